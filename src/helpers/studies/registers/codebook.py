"""The registers' vocabularies read from ``codebook.yaml``: codes, Russian and English labels, aliases.

Examples
--------
>>> cb = load_registers_codebook()
>>> cb.lookup("mailbox", "kinds")["благодарность"], cb.code("mailbox", "settlements", " ВЫСЕЛКИ ")
('gratitude', 'S1')
>>> cb.code("support_line", "case_groups", "не то") is None
True
>>> cb.text("mailbox", "kinds", "complaint", "ru"), cb.label("settlement", "ru")
('жалоба', 'поселение')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from helpers.io.codebook import normalise_label
from helpers.io.yamlfile import load_yaml

__all__ = ["RegistersCodebook", "load_registers_codebook"]


@dataclass(frozen=True, eq=False)
class RegistersCodebook:
    """The parsed codebook. Build with :func:`load_registers_codebook`."""

    raw: dict

    def vocabulary(self, register: str, name: str) -> dict[str, dict]:
        """``{code: {ru, en, aliases}}`` of one controlled column."""
        return self.raw[register][name]

    def codes(self, register: str, name: str) -> list[str]:
        return [str(c) for c in self.vocabulary(register, name)]

    @cache  # noqa: B019 - the codebook is immutable and cached itself
    def lookup(self, register: str, name: str) -> dict[str, str]:
        """Normalised code, label or alias -> code."""
        table = {}
        for code, entry in self.vocabulary(register, name).items():
            for s in [str(code), entry["ru"], entry["en"], *entry.get("aliases", [])]:
                table[normalise_label(s)] = str(code)
        return table

    def code(self, register: str, name: str, value: object) -> str | None:
        """The code of a typed value, ``None`` when unknown."""
        return self.lookup(register, name).get(normalise_label(value))

    def text(self, register: str, name: str, code: str, lang: str = "en") -> str:
        """Label of a code in the report's language (the code itself when unknown)."""
        entry = self.vocabulary(register, name).get(code)
        return entry[lang] if entry else str(code)

    def setting(self, register: str, name: str):
        return self.raw[register][name]

    def title(self, register: str, lang: str = "en") -> str:
        return self.raw[register]["title"][lang]

    def label(self, word: str, lang: str = "en") -> str:
        """Russian word of a table column or value (English: the word itself)."""
        if lang != "ru":
            return word
        return self.raw["labels_ru"].get(word, word)


@cache
def load_registers_codebook(path: str | Path | None = None) -> RegistersCodebook:
    """Load the registers' codebook (default: ``codebook.yaml`` beside this module)."""
    if path is None:
        text = resources.files("helpers.studies.registers").joinpath("codebook.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return RegistersCodebook(load_yaml(text))
