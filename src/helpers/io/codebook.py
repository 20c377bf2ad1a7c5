"""The Mystery Guest instrument (codebook): items, domains, scales and vocabularies.

Everything that validates, scores or labels answers reads :func:`load_codebook`, which parses
``codebook.yaml`` shipped inside the package. The file is the one source of truth.

Examples
--------
>>> cb = load_codebook()
>>> cb.items_for_year(2018)[:3]
['eth_appearance', 'eth_discipline', 'eth_lateness']
>>> len(cb.items_for_year(2019)), len(cb.items_for_year(2020)), len(cb.items_for_year(2035))  # years are open-ended
(15, 18, 18)
>>> cb.answer_code("eth_appearance", "  Полностью согласен ")
5
>>> cb.answer_code("cov_mask", "Yes")
1
>>> cb.is_missing_code("eth_appearance", 8), cb.missing_kind("eth_appearance", 9)
(True, 'refused')
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from helpers.io.yamlfile import load_yaml

LANGS = ("ru", "en")


def normalise_label(text: object) -> str:
    """Case-, whitespace- and ё/е-insensitive form of an answer as typed by a person.

    >>> normalise_label("  Полностью   Согласен ")
    'полностью согласен'
    >>> normalise_label("Волонтёр") == normalise_label("волонтер")
    True
    """
    s = re.sub(r"\s+", " ", str(text)).strip().casefold()
    return s.replace("ё", "е")


@dataclass(frozen=True)
class Scale:
    """A response scale: substantive codes (worst to best) and non-substantive missing codes."""

    name: str
    codes: dict[int, dict]
    missing: dict[int, dict]

    @property
    def min_code(self) -> int:
        return min(self.codes)

    @property
    def max_code(self) -> int:
        return max(self.codes)

    def label(self, code: int, lang: str = "en") -> str:
        entry = self.codes.get(code) or self.missing.get(code)
        return entry[lang] if entry else str(code)

    def lookup(self) -> dict[str, int]:
        """Map every accepted spelling (both languages, aliases, the code itself) to its code."""
        table: dict[str, int] = {}
        for code, entry in {**self.codes, **self.missing}.items():
            spellings = [entry["ru"], entry["en"], *entry.get("aliases", []), str(code)]
            for s in spellings:
                table[normalise_label(s)] = code
        return table


@dataclass(frozen=True)
class Item:
    """One question. It is asked from survey year ``first_year`` on, up to ``last_year`` when it was dropped
    (``None``: still asked). No closed list of years: a new year asks every item not dropped before it.

    >>> it = Item("x", "ethics", "", "agreement5", False, first_year=2020, last_year=None, text={})
    >>> it.asked_in(2019), it.asked_in(2020), it.asked_in(2040)
    (False, True, True)
    >>> Item("y", "ethics", "", "agreement5", False, 2018, 2019, {}).asked(np.array([2018, 2019, 2020])).tolist()
    [True, True, False]
    """

    code: str
    domain: str
    facet: str
    scale: str
    reverse: bool
    first_year: int
    last_year: int | None
    text: dict[str, str]
    #: survey years from which the item is asked in a new wording (``reworded: [2022]``): its answers from
    #: that year on are not compared with the answers before
    reworded: tuple[int, ...] = ()

    def asked_in(self, year: int) -> bool:
        """Whether the item is on the questionnaire of survey ``year``."""
        return self.first_year <= int(year) and (self.last_year is None or int(year) <= self.last_year)

    def asked(self, years: Iterable[int] | np.ndarray) -> np.ndarray:
        """:meth:`asked_in` for an array of survey years (one boolean per element)."""
        y = np.asarray(years)
        return (y >= self.first_year) & (y <= self.last_year if self.last_year is not None else True)

    @property
    def asked_label(self) -> str:
        """The years it is asked, for the data dictionary: ``from 2018`` (still asked) or ``2018-2020`` (dropped).

        >>> Item("y", "ethics", "", "agreement5", False, 2018, None, {}).asked_label
        'from 2018'
        """
        return f"from {self.first_year}" if self.last_year is None else f"{self.first_year}-{self.last_year}"


@dataclass(frozen=True, eq=False)  # identity hash: a codebook is a cache key
class Codebook:
    """Parsed instrument. Build with :func:`load_codebook`."""

    version: str
    items: dict[str, Item]
    scales: dict[str, Scale]
    domains: dict[str, dict]
    vocabularies: dict[str, dict[str, dict]]
    source: str = field(default="", compare=False)
    #: the centre's own addresses (``privacy: own_addresses:``): kept as typed in free text, not scrubbed
    own_addresses: tuple[str, ...] = ()

    # -- items ---------------------------------------------------------------------------
    @property
    def item_codes(self) -> list[str]:
        return list(self.items)

    def items_for_year(self, year: int) -> list[str]:
        return [c for c, it in self.items.items() if it.asked_in(year)]

    def items_in_domain(self, domain: str) -> list[str]:
        return [c for c, it in self.items.items() if it.domain == domain]

    def scale_of(self, item: str) -> Scale:
        return self.scales[self.items[item].scale]

    def item_label(self, item: str, lang: str = "en") -> str:
        return self.items[item].text[lang]

    def domain_label(self, domain: str, lang: str = "en") -> str:
        return self.domains[domain]["label"][lang]

    def measure_label(self, measure: str, lang: str = "en") -> str:
        """Reviewer words for a score column: ``composite``, a domain, or either with ``_top`` (all answers best).

        >>> load_codebook().measure_label("composite", "ru")
        'Интегральный индекс'
        """
        base, top = (measure[:-4], True) if measure.endswith("_top") else (measure, False)
        if base == "composite":
            label = "Интегральный индекс" if lang == "ru" else "Composite index"
        else:
            label = self.domain_label(base, lang) if base in self.domains else base
        if top:
            label += ": все ответы лучшие" if lang == "ru" else ": all answers best"
        return label

    @property
    def composite_weights(self) -> dict[str, float]:
        return {d: float(v.get("composite_weight", 1.0)) for d, v in self.domains.items()}

    # -- instrument changes ---------------------------------------------------------------
    def instrument_changes(self, years: Iterable[int]) -> list[tuple[str, int, str]]:
        """The declared changes of the questionnaire within the window of ``years`` (first to last), as
        ``(item, year, change)``, change one of ``added`` (asked from ``year``), ``dropped`` (last asked in
        ``year``) and ``reworded`` (new wording from ``year``); sorted by year and item.

        >>> load_codebook().instrument_changes([2018, 2019, 2020, 2021])[:2]
        [('cov_gloves', 2020, 'added'), ('cov_mask', 2020, 'added')]
        >>> load_codebook().instrument_changes([2020, 2021])
        []
        """
        ys = [int(y) for y in years]
        if not ys:
            return []
        lo, hi = min(ys), max(ys)
        out = []
        for code, it in self.items.items():
            if lo < it.first_year <= hi:
                out.append((code, it.first_year, "added"))
            if it.last_year is not None and lo <= it.last_year < hi:
                out.append((code, it.last_year, "dropped"))
            out += [(code, y, "reworded") for y in it.reworded if lo < y <= hi]
        return sorted(out, key=lambda c: (c[1], c[0], c[2]))

    def comparable_items(self, years: Iterable[int]) -> list[str]:
        """Items whose answers compare across ``years``: asked in every one of them, and not reworded within
        their window. The trends score the domains with a positive composite weight on these items only
        (:func:`helpers.studies.mystery_guest.scoring.score_interviews`, ``items``).

        >>> cb = load_codebook()
        >>> len(cb.comparable_items([2018, 2021])), len(cb.comparable_items([2020, 2021]))
        (15, 18)
        """
        ys = [int(y) for y in years]
        lo, hi = (min(ys), max(ys)) if ys else (0, 0)
        return [c for c, it in self.items.items()
                if all(it.asked_in(y) for y in ys) and not any(lo < r <= hi for r in it.reworded)]

    def trend_items(self, years: Iterable[int]) -> list[str] | None:
        """The items the trends over ``years`` score on: in the domains of the composite (positive weight) the
        :meth:`comparable_items`, in the others (COVID-19 safety, analysed year by year) every item; ``None``
        when that is every item asked in some year of the window (no declared change touches the composite).

        >>> load_codebook().trend_items([2018, 2019, 2020, 2021]) is None
        True
        """
        ys = [int(y) for y in years]
        weighted = {d for d, w in self.composite_weights.items() if w > 0}
        comparable = set(self.comparable_items(ys))
        keep = [c for c, it in self.items.items() if it.domain not in weighted or c in comparable]
        changed = [c for c, it in self.items.items()
                   if it.domain in weighted and c not in comparable and any(it.asked_in(y) for y in ys)]
        return keep if changed else None

    # -- answers -------------------------------------------------------------------------
    def answer_code(self, item: str, answer: object) -> int | None:
        """Code of one typed answer, or ``None`` when the text is not a known label."""
        return _lookup(self, self.items[item].scale).get(normalise_label(answer))

    def answer_lookup(self, item: str) -> dict[str, int]:
        return _lookup(self, self.items[item].scale)

    def is_missing_code(self, item: str, code: int) -> bool:
        return code in self.scale_of(item).missing

    def missing_kind(self, item: str, code: int) -> str | None:
        entry = self.scale_of(item).missing.get(code)
        return entry["kind"] if entry else None

    # -- vocabularies --------------------------------------------------------------------
    def vocabulary_lookup(self, name: str) -> dict[str, str]:
        """Every accepted spelling of a controlled value (role, department, mode) -> its code."""
        table: dict[str, str] = {}
        for code, entry in self.vocabularies[name].items():
            for s in [code, entry["ru"], entry["en"], *entry.get("aliases", [])]:
                table[normalise_label(s)] = code
        return table

    def vocabulary_label(self, name: str, code: str, lang: str = "en") -> str:
        return self.vocabularies[name][code][lang]


@cache
def _lookup(cb: Codebook, scale: str) -> dict[str, int]:
    return cb.scales[scale].lookup()


def _parse(raw: dict, source: str) -> Codebook:
    scales = {
        name: Scale(
            name=name,
            codes={int(k): v for k, v in s["codes"].items()},
            missing={int(k): v for k, v in s.get("missing", {}).items()},
        )
        for name, s in raw["scales"].items()
    }
    items = {code: _item(code, it, source) for code, it in raw["items"].items()}
    for code, it in items.items():
        if it.scale not in scales:
            raise ValueError(f"{source}: item {code!r} uses unknown scale {it.scale!r}")
        if it.domain not in raw["domains"]:
            raise ValueError(f"{source}: item {code!r} uses unknown domain {it.domain!r}")
    return Codebook(
        version=str(raw.get("version", "")),
        items=items,
        scales=scales,
        domains=raw["domains"],
        vocabularies=raw.get("vocabularies", {}),
        source=source,
        own_addresses=tuple(str(a) for a in (raw.get("privacy") or {}).get("own_addresses", [])),
    )


def _item(code: str, it: dict, source: str) -> Item:
    """One item of the YAML: ``from:`` (first survey year asked, required), ``until:`` (last year, if dropped) and
    ``reworded:`` (the years a new wording took effect, if any)."""
    if "years" in it or "from" not in it:
        raise ValueError(f"{source}: item {code!r}: give the first survey year it is asked as 'from: <year>' "
                         "(and 'until: <year>' if it was dropped), not a list of years")
    first = int(it["from"])
    last = int(it["until"]) if it.get("until") is not None else None
    if last is not None and last < first:
        raise ValueError(f"{source}: item {code!r}: 'until: {last}' is before 'from: {first}'")
    reworded = tuple(sorted(int(y) for y in it.get("reworded") or ()))
    bad = [y for y in reworded if y <= first or (last is not None and y > last)]
    if bad:
        raise ValueError(f"{source}: item {code!r}: 'reworded: {bad[0]}' must fall after 'from: {first}'"
                         + (f" and not after 'until: {last}'" if last is not None else ""))
    return Item(code=code, domain=it["domain"], facet=it.get("facet", ""), scale=it["scale"],
                reverse=bool(it.get("reverse", False)), first_year=first, last_year=last, text=dict(it["text"]),
                reworded=reworded)


#: environment variable naming a codebook file to use instead of the package's (a centre's own instrument,
#: or a test's); it reaches the notebooks' kernels, which inherit the environment of the run
CODEBOOK_ENV = "MG_CODEBOOK"


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load the instrument from ``path`` (default: ``$MG_CODEBOOK`` if set, else the ``codebook.yaml`` shipped in
    the package). Parsed once per file."""
    if path is None and os.environ.get(CODEBOOK_ENV):
        path = os.environ[CODEBOOK_ENV]
    return _load_codebook(str(path) if path is not None else None)


@cache
def _load_codebook(path: str | None) -> Codebook:
    if path is None:
        text = resources.files("helpers.io").joinpath("codebook.yaml").read_text(encoding="utf-8")
        source = "helpers/io/codebook.yaml"
    else:
        text = Path(path).read_text(encoding="utf-8")
        source = str(path)
    return _parse(load_yaml(text), source)
