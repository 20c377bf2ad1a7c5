"""The НОК instrument read from ``codebook.yaml``: questions with skip logic, checklist, indicators.

Examples
--------
>>> cb = load_nok_codebook()
>>> cb.question_codes[:3], cb.filter_of("q02"), cb.filter_of("q05")
(['q01', 'q02', 'q03'], 'q01', None)
>>> cb.answer_code(" Да "), cb.answer_code("no"), cb.answer_code("может быть")
(1, 0, None)
>>> cb.indicator_codes[:4], cb.indicators_of("K4")
(['i1_1', 'i1_2', 'i1_3', 'i2_1'], ['i4_1', 'i4_2', 'i4_3'])
>>> cb.denominators("i3_3"), cb.denominators("i2_2")
(['q07'], ['all'])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

from helpers.io.codebook import normalise_label
from helpers.io.yamlfile import load_yaml

CRITERIA = ("K1", "K2", "K3", "K4", "K5")


@dataclass(frozen=True, eq=False)
class NokCodebook:
    """The parsed НОК codebook. Build with :func:`load_nok_codebook`."""

    raw: dict

    @property
    def question_codes(self) -> list[str]:
        return list(self.raw["questions"])

    def filter_of(self, question: str) -> str | None:
        """The filter question whose "yes" opens ``question`` (``None``: asked of everyone)."""
        return self.raw["questions"][question].get("filter")

    @property
    def filtered(self) -> dict[str, str]:
        """``{dependent question: filter question}`` for every question behind a filter."""
        return {q: f for q in self.question_codes if (f := self.filter_of(q))}

    def question_text(self, question: str, lang: str = "en") -> str:
        return self.raw["questions"][question]["text"][lang]

    @cached_property
    def answer_lookup(self) -> dict[str, int]:
        table = {}
        for code, entry in self.raw["answers"].items():
            for s in [entry["ru"], entry["en"], *entry.get("aliases", []), str(code)]:
                table[normalise_label(s)] = int(code)
        return table

    def answer_code(self, text: object) -> int | None:
        return self.answer_lookup.get(normalise_label(text))

    def vocabulary_lookup(self, entries: dict) -> dict[str, str]:
        table = {}
        for code, entry in entries.items():
            for s in [code, entry["ru"], entry["en"], *entry.get("aliases", [])]:
                table[normalise_label(s)] = code
        return table

    @property
    def kinds(self) -> dict[str, dict]:
        return self.raw["kinds"]

    def kind_label(self, kind: str, lang: str = "en") -> str:
        return self.kinds[kind][lang] if kind in self.kinds else kind

    @property
    def sex_vocabulary(self) -> dict[str, dict]:
        return self.raw["respondent_extra"]["sex"]["vocabulary"]

    @property
    def age_range(self) -> tuple[int, int]:
        a = self.raw["respondent_extra"]["age"]
        return int(a["min"]), int(a["max"])

    @property
    def checklist(self) -> dict[str, dict]:
        return self.raw["checklist"]

    @property
    def indicators(self) -> dict[str, dict]:
        return self.raw["indicators"]

    @property
    def indicator_codes(self) -> list[str]:
        return list(self.indicators)

    def indicators_of(self, criterion: str) -> list[str]:
        return [i for i, v in self.indicators.items() if v["criterion"] == criterion]

    @property
    def survey_indicators(self) -> list[str]:
        return [i for i, v in self.indicators.items() if v["kind"] == "survey"]

    def weight(self, indicator: str) -> float:
        return float(self.indicators[indicator]["weight"])

    def indicator_text(self, indicator: str, lang: str = "en") -> str:
        return self.indicators[indicator]["text"][lang]

    def criterion_label(self, criterion: str, lang: str = "en") -> str:
        return self.raw["criteria"][criterion][lang]

    def denominators(self, indicator: str) -> list[str]:
        """The filter question each share of a survey indicator is taken over (``"all"``: every respondent)."""
        return [p["denominator"] for p in self.indicators[indicator].get("parts", []) if "denominator" in p]

    def label(self, word: str, lang: str) -> str:
        """Russian word of a table column or value (English: the word itself)."""
        if lang != "ru":
            return word
        return self.raw["labels_ru"].get(word, word)


@cache
def load_nok_codebook(path: str | Path | None = None) -> NokCodebook:
    """Load the НОК codebook (default: ``codebook.yaml`` shipped beside this module)."""
    if path is None:
        text = resources.files("helpers.studies.nok").joinpath("codebook.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return NokCodebook(load_yaml(text))
