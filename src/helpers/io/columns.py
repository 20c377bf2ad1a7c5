"""Column headers as centres write them, matched to the contract's columns and the codebook's items.

A header is matched, after :func:`normalise_header` (case, ё/е, spaces, punctuation and a leading
number such as ``1.``, ``1)``, ``№ 1``, ``Вопрос 1``, ``Q1:`` are ignored), by one of these rules, in order:

1. ``mapping file``: the per-source file ``<raw file name without extension>.columns.yaml`` beside the
   raw file (written by ``python -m helpers map-columns FILE --save`` and edited by hand), which maps a
   header exactly as written to a column name;
2. ``code``: the contract's column name or the item code (``qual_overall``, ``Qual Overall``);
3. ``alias``: a Russian or English name of a contract column (``Дата``, ``Комментарий``, ...);
4. ``text_ru`` / ``text_en``: the item's question text in the codebook, in Russian or English.

A header that no rule catches, or that two rules send to different columns, or two headers sent to the
same column, stop ingestion with one line naming the file, the header and the closest columns
(:mod:`difflib`). Nothing is guessed: a near miss is reported, not matched.

Examples
--------
>>> normalise_header(" Вопрос 12. Социальный работник  всегда выглядит опрятно?")
'социальный работник всегда выглядит опрятно'
>>> normalise_header("1) Interview_ID")
'interview id'
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import yaml

from helpers.io.codebook import Codebook
from helpers.io.contract import DataContractError, Match

__all__ = ["ALIASES", "DataContractError", "HeaderMatcher", "Match", "explain_unmatched", "mapping_file",
           "normalise_header", "read_mapping", "save_mapping"]

#: Russian and English names of the contract's columns, as centres' spreadsheets head them
ALIASES: dict[str, list[str]] = {
    "interview_id": ["номер интервью", "номер анкеты", "id интервью", "interview"],
    "date": ["дата", "дата опроса", "дата интервью", "interview date"],
    "interviewer_id": ["код опрашивающего", "опрашивающий", "interviewer", "interviewer code"],
    "interviewer_role": ["роль опрашивающего", "роль", "role", "interviewer role"],
    "recipient_id": ["код получателя", "номер получателя", "recipient", "recipient code"],
    "recipient_name": ["фио получателя", "получатель", "фио", "recipient name"],
    "recipient_phone": ["телефон получателя", "телефон", "phone", "recipient phone"],
    "worker_id": ["код социального работника", "социальный работник", "worker", "worker code"],
    "department": ["отделение", "department"],
    "stratum": ["страта", "stratum"],
    "pair_id": ["номер пары", "пара", "pair"],
    "mode": ["способ опроса", "способ", "mode"],
    "comment": ["комментарий", "комментарий получателя", "примечание", "comments", "remark"],
    "worker_name": ["фио социального работника", "фио работника", "worker name"],
    "interviewer_name": ["фио опрашивающего", "interviewer name"],
    "population": ["численность", "число получателей", "обслуживается", "population served"],
}

_NUMBERING = re.compile(
    r"^\s*(?:(?:вопрос|question|пункт|item|q|№|n|#)\s*)?\d+(?:[.,]\d+)*(?:\s*[.):\-–—]+\s*|\s+)(?=\S)",
    re.IGNORECASE)


def normalise_header(text: object) -> str:
    """Case-, ё-, space-, punctuation- and numbering-insensitive form of a header."""
    s = str(text).replace("\u00a0", " ").strip()
    s = _NUMBERING.sub("", s, count=1)
    s = s.casefold().replace("ё", "е")
    s = re.sub(r"[_\W]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def mapping_file(path: Path) -> Path:
    """The per-source mapping file of a raw file: ``interviews_2020.csv`` -> ``interviews_2020.columns.yaml``."""
    return path.with_name(path.name.rsplit(".", 1)[0] + ".columns.yaml")


def read_mapping(path: Path) -> dict[str, str]:
    """Header -> column from the source's mapping file (empty when there is none)."""
    mf = mapping_file(path)
    if not mf.exists():
        return {}
    try:
        raw = yaml.safe_load(mf.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise DataContractError(f"{mf}: cannot read the column mapping ({type(err).__name__})") from None
    columns = raw.get("columns", raw) if isinstance(raw, dict) else None
    if not isinstance(columns, dict):
        raise DataContractError(f"{mf}: expected 'columns:' mapping each header to a column name")
    return {str(k): str(v) for k, v in columns.items() if v not in (None, "")}


class HeaderMatcher:
    """Matches headers to ``targets`` (contract columns and, for interviews, item codes)."""

    def __init__(self, targets: list[str], cb: Codebook | None = None):
        self.targets = list(targets)
        self.rules: dict[str, dict[str, str]] = {"code": {}, "alias": {}, "text_ru": {}, "text_en": {}}
        self.ambiguous: dict[str, set[str]] = {}
        for t in self.targets:
            self._add("code", t, t)
            for a in ALIASES.get(t, []):
                self._add("alias", a, t)
            if cb is not None and t in cb.items:
                self._add("text_ru", cb.items[t].text["ru"], t)
                self._add("text_en", cb.items[t].text["en"], t)

    def _add(self, rule: str, text: str, target: str) -> None:
        key = normalise_header(text)
        table = self.rules[rule]
        if key in table and table[key] != target:
            self.ambiguous.setdefault(key, {table[key]}).add(target)
        table.setdefault(key, target)

    def match(self, header: str, mapping: dict[str, str] | None = None) -> Match:
        """Match one header; ``mapping`` is the source's mapping file (header as written -> column)."""
        if mapping and header in mapping:
            return Match(header, mapping[header], "mapping file")
        key = normalise_header(header)
        if key in self.ambiguous:
            return Match(header, None, "ambiguous", tuple(sorted(self.ambiguous[key])))
        for rule, table in self.rules.items():
            if key in table:
                return Match(header, table[key], rule)
        return Match(header, None, "unmatched", self.closest(header))

    def closest(self, header: str, n: int = 3) -> tuple[str, ...]:
        """The ``n`` columns whose code, alias or question text is closest to ``header``.

        Closeness is the larger of difflib's ratio and the share of common word stems (first five
        letters), so that a reworded question still finds its item.
        """
        key = normalise_header(header)
        stems = {w[:5] for w in key.split() if len(w) > 2}
        best: dict[str, float] = {}
        for table in self.rules.values():
            for k, t in table.items():
                ratio = difflib.SequenceMatcher(None, key, k).ratio()
                other = {w[:5] for w in k.split() if len(w) > 2}
                overlap = len(stems & other) / len(stems | other) if stems and other else 0.0
                best[t] = max(best.get(t, 0.0), ratio, overlap)
        ranked = sorted((v, t) for t, v in best.items() if v >= 0.35)
        return tuple(t for _, t in reversed(ranked[-n:]))

    def score(self, cells: list[str], mapping: dict[str, str] | None = None) -> int:
        """How many cells of a candidate header row match a column (used to find the header row)."""
        return sum(1 for c in cells if c.strip() and self.match(c, mapping).column is not None)

    def match_all(self, headers: list[str], mapping: dict[str, str] | None = None) -> list[Match]:
        return [self.match(h, mapping) for h in headers]


def explain_unmatched(m: Match) -> str:
    """The part of a one-line message that says what an unmatched or ambiguous header could be."""
    if m.rule == "ambiguous":
        return f"the header matches several columns ({', '.join(m.suggestions)})"
    near = f"closest: {', '.join(m.suggestions)}" if m.suggestions else "nothing close"
    return f"the header matches no column of the contract or item of the codebook ({near})"


def save_mapping(path: Path, matches: list[Match]) -> Path:
    """Write the source's mapping file: every header as written -> its column (blank where unmatched)."""
    mf = mapping_file(path)
    lines = [
        f"# Column mapping for {path.name}: header as written in the file -> column of the contract/codebook.",
        "# Written by `python -m helpers map-columns`; fill the blanks with an item code or a column name.",
        "columns:",
    ]
    for m in matches:
        if not m.header.strip():
            continue
        value = m.column or ""
        hint = f"  # {m.rule}" + (f"; closest: {', '.join(m.suggestions)}" if m.suggestions else "")
        lines.append(f"  {yaml.safe_dump(m.header, allow_unicode=True, width=10_000).strip().removesuffix('...').strip()}: "
                     f"{value}{hint}")
    mf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return mf
