"""Ingestion: read raw interview tables, validate them, quarantine bad rows, pseudonymise recipients.

The data contract is documented in ``data/raw/README.md``. In short, per survey year:

* ``interviews_<year>`` (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``, ``.xls``): one row per interview;
* ``workers_<year>``, ``interviewers_<year>``, ``strata_<year>``: the roster.

Reading real exports (encodings, delimiters, title rows, sheets, merged cells) is
:mod:`helpers.io.readers`; matching headers to columns and items (codes, question texts, mapping files)
is :mod:`helpers.io.columns`; personal data in free text is :mod:`helpers.io.pii`.

Two kinds of problem are distinguished:

* **file-level** (unreadable, binary or undecodable file, no header row, duplicated, unknown or
  ambiguous column, missing required column, a row with the wrong number of cells, merged cells in
  data rows): :class:`DataContractError` with a one-line message naming the file and the line, cell
  range or column, never quoting a cell of a personal-data column. The CLI prints it and exits with
  status 2; nothing is written.
* **row-level** (unknown answer label, out-of-range code, duplicate interview id, date outside the
  survey year, broken pair, worker/interviewer/stratum missing from the roster, role or department
  contradicting the roster, personal data in an id, missing or unknown controlled value): the row
  moves to the quarantine table with file, row number (the physical line of a text file, blank lines
  counted, or the sheet row), column and reason. ``rows read = rows accepted + rows quarantined``
  holds for every file and is checked before anything is written.

Recipient names and phones are dropped here and never written; recipient ids become keyed
pseudonyms (HMAC-SHA256), stable across years for the same key. Personal data in free text (phones,
e-mails, names, SNILS, passport, INN and OMS numbers, addresses, birth dates: :mod:`helpers.io.pii`) is
replaced by placeholders before anything is written, and counted per file and kind in the log
(``pii_<kind>``).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import shlex
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.io.codebook import Codebook, load_codebook, normalise_label
from helpers.io.columns import HeaderMatcher, explain_unmatched, read_mapping
from helpers.io.contract import DataContractError
from helpers.io.demo import DEMO_KEY, DEMO_MARKER
from helpers.io.pii import COUNTED, ID_KINDS, quote, scrub_series
from helpers.io.pii import arrow_text as _arrow  # one Arrow array per column
from helpers.io.provenance import file_sha256
from helpers.io.quarantine import problems_per_row

KEY_ENV = "MG_PSEUDONYM_KEY"
KEY_FILE_ENV = "MG_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = ".pseudonym_key"

ID_COLUMNS = [
    "interview_id", "date", "interviewer_id", "interviewer_role", "recipient_id",
    "recipient_name", "recipient_phone", "worker_id", "department", "stratum", "pair_id", "mode",
]
OPTIONAL_COLUMNS = ["comment"]
PERSONAL_COLUMNS = ["recipient_name", "recipient_phone"]
NON_EMPTY = [
    "interview_id", "date", "interviewer_id", "interviewer_role", "recipient_id", "worker_id",
    "department", "stratum", "mode",
]
ROSTER_COLUMNS = {
    "workers": ["worker_id", "worker_name", "department"],
    "interviewers": ["interviewer_id", "interviewer_name", "role"],
    "strata": ["stratum", "department", "population"],
}
FILE_PATTERN = re.compile(r"^(interviews|workers|interviewers|strata)_(\d{4})\.(csv|tsv|txt|xlsx|xls)$", re.I)


@dataclass
class IngestResult:
    """What ingestion produced: accepted interviews, quarantine and per-file counts."""

    interviews: pd.DataFrame
    quarantine: pd.DataFrame
    rosters: dict[str, pd.DataFrame]
    log: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    demo: bool = False  # the raw folder carries the demo marker (DEMO_DATA.txt)
    notes: list[str] = field(default_factory=list)
    #: SHA-256 by file name of the files behind the years kept from an earlier ingestion (:func:`merge_with_processed`)
    kept_inputs: dict[str, str] = field(default_factory=dict)

    @property
    def inputs(self) -> dict[str, str]:
        """SHA-256 of every raw file behind the result, by file name: the files read now and, after
        :func:`merge_with_processed`, those of the years kept from the earlier ingestion."""
        return {**self.kept_inputs, **{p.name: file_sha256(p) for p in self.files}}


# ---- reading --------------------------------------------------------------------------------------
def _targets(kind: str, cb: Codebook) -> list[str]:
    if kind == "interviews":
        return ID_COLUMNS + OPTIONAL_COLUMNS + cb.item_codes
    return ROSTER_COLUMNS[kind]


def _matcher(kind: str, cb: Codebook):
    return HeaderMatcher(_targets(kind, cb), cb if kind == "interviews" else None)


def _looked_for(kind: str) -> str:
    if kind == "interviews":
        return ("the contract's columns (interview_id, date, interviewer_id, ...) or the codebook's items "
                "(by code or question text)")
    if kind == "any":
        return "the contract's columns or the codebook's items"
    return f"the columns of a {kind} roster ({', '.join(ROSTER_COLUMNS[kind])})"


def read_source(path: str | Path, kind: str = "any", cb: Codebook | None = None,
                mapping: dict[str, str] | None = None):
    """Read one raw file with headers as written: a :class:`helpers.io.readers.RawTable`.

    ``kind`` (interviews, workers, interviewers, strata, or ``any``) chooses the columns that
    identify the header row; ``mapping`` is the source's mapping file (header -> column).
    Raises :class:`DataContractError` (one line naming the file and the line or cell range).
    """
    from helpers.io.readers import ReadError, read_raw

    path = Path(path)
    cb = cb or load_codebook()
    if not path.exists():
        raise DataContractError(f"{path}: file not found")
    if kind == "any":
        targets = list(dict.fromkeys(ID_COLUMNS + OPTIONAL_COLUMNS + cb.item_codes
                                     + [c for cols in ROSTER_COLUMNS.values() for c in cols]))
        matcher = HeaderMatcher(targets, cb)
    else:
        matcher = _matcher(kind, cb)
    try:
        return read_raw(path, lambda cells: matcher.score(cells, mapping), _looked_for(kind))
    except ReadError as err:
        raise DataContractError(str(err)) from None
    except Exception as err:  # noqa: BLE001  the contract: one line, never a traceback, no cell content
        raise DataContractError(f"{path}: cannot read ({type(err).__name__}); is it a table of the contract?"
                                ) from None


def read_table(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/TXT/XLSX/XLS table with every cell as a string ("" for blank), headers as written.

    The header row is found below title rows; encodings, delimiters and sheets as in
    :mod:`helpers.io.readers`. ``columns``: the contract's column names that identify the header row of
    another study's file (default: the Mystery Guest contract and codebook). Raises
    :class:`DataContractError` with a one-line message.
    """
    if columns is None:
        return read_source(path).frame
    from helpers.io.readers import ReadError, read_raw

    known = {normalise_label(c) for c in columns}
    looked_for = f"the contract's columns ({', '.join(columns[:3])}, ...)"
    first_row = iter([10**6])  # fallback: the first non-blank row is the header (missing columns named later)
    try:
        try:
            return read_raw(Path(path), lambda cells: sum(normalise_label(c) in known for c in cells), looked_for).frame
        except ReadError as err:
            if "found no header row" not in str(err):
                raise
            return read_raw(Path(path), lambda cells: next(first_row, 0), looked_for).frame
    except ReadError as err:
        raise DataContractError(str(err)) from None
    except Exception as err:  # noqa: BLE001  the contract: one line, never a traceback, no cell content
        raise DataContractError(f"{path}: cannot read ({type(err).__name__}); is it a table of the contract?") from None


def map_headers(path: Path, table, kind: str, cb: Codebook) -> tuple[pd.DataFrame, list[str]]:
    """Rename the raw headers to contract columns / item codes; (frame, notes). Unmatched headers stop."""
    mapping = read_mapping(path)
    matches = _matcher(kind, cb).match_all(list(table.frame.columns), mapping)
    bad = [m for m in matches if m.column is None]
    if bad:
        more = f" (and {len(bad) - 1} more unmatched headers)" if len(bad) > 1 else ""
        raise DataContractError(f"{path}: unknown column '{bad[0].header}': {explain_unmatched(bad[0])}{more}; "
                                "`python -m helpers map-columns FILE --save` writes a mapping file to fill in")
    targets = set(_targets(kind, cb))
    wrong = [m for m in matches if m.column not in targets]
    if wrong:
        raise DataContractError(f"{path}: mapping file maps '{wrong[0].header}' to '{wrong[0].column}', which is "
                                "not a column of the contract or an item of the codebook")
    seen: dict[str, str] = {}
    for m in matches:
        if m.column in seen:
            raise DataContractError(f"{path}: headers '{seen[m.column]}' and '{m.header}' both mean column "
                                    f"'{m.column}'; keep one")
        seen[m.column] = m.header
    renamed = [m for m in matches if m.rule != "code" or m.header != m.column]
    notes = []
    if renamed:
        rules = sorted({m.rule for m in renamed})
        notes.append(f"{len(renamed)} headers matched by {', '.join(rules)}")
    return table.frame.set_axis([m.column for m in matches], axis=1), notes


# ---- rosters --------------------------------------------------------------------------------------
def _require_columns(path: Path, df: pd.DataFrame, required: list[str], allowed: list[str]) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataContractError(
            f"{path}: missing required column '{missing[0]}'" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
        )
    unknown = [c for c in df.columns if c not in allowed]
    if unknown:
        raise DataContractError(
            f"{path}: unknown column '{unknown[0]}'; expected the contract's columns or an item code of the codebook"
        )


def read_roster(path: Path, kind: str, cb: Codebook) -> pd.DataFrame:
    """Read one roster file; controlled values are mapped to codes, bad cells stop with a message."""
    table = read_source(path, kind, cb, _mapping(path))
    df, _ = map_headers(path, table, kind, cb)
    cols = ROSTER_COLUMNS[kind]
    _require_columns(path, df, cols, cols)
    df = df[cols].copy()
    lines = table.lines
    vocab = {"workers": ("department", "department"), "interviewers": ("role", "interviewer_role"),
             "strata": ("department", "department")}[kind]
    lookup = cb.vocabulary_lookup(vocab[1])
    mapped = _map_distinct_text(df[vocab[0]], lambda v: lookup.get(normalise_label(v)))
    unknown = np.flatnonzero(mapped.isna().to_numpy(dtype=bool))
    if len(unknown):
        i = int(unknown[0])
        raise DataContractError(
            f"{path}: row {lines[i]}: column '{vocab[0]}': unknown value {quote(df[vocab[0]].iloc[i])}; expected one "
            f"of {sorted(cb.vocabularies[vocab[1]])}"
        )
    df[vocab[0]] = mapped
    key = cols[0]
    dup = df[key].str.strip().duplicated(keep=False)
    if dup.any():
        i = np.flatnonzero(dup.to_numpy())
        raise DataContractError(f"{path}: rows {lines[i[0]]} and {lines[i[1]]}: column '{key}': the same "
                                f"{key} {quote(df[key].iloc[i[0]])} twice; a roster lists each once")
    if kind == "strata":
        pop = pd.to_numeric(df["population"].str.replace(r"[\s\u00a0]", "", regex=True)
                            .str.replace(r"[.,]0+$", "", regex=True), errors="coerce")
        bad = pop.isna() | (pop <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataContractError(
                f"{path}: row {lines[i]}: column 'population': {quote(df['population'].iloc[i])} is not a positive "
                "whole number"
            )
        df["population"] = pop.astype("int64")
    return df


def _mapping(path: Path) -> dict[str, str]:
    return read_mapping(path)


# ---- validation of interviews -----------------------------------------------------------------------
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y")


def _parse_dates(s: pd.Series) -> pd.Series:
    """Dates typed as DD.MM.YYYY, YYYY-MM-DD, DD/MM/YYYY or DD.MM.YY (a midnight time allowed); NaT if none fits.

    Each distinct value is parsed once (a year of interviews holds a few hundred dates).

    >>> _parse_dates(pd.Series(["12.03.2020", " 2020-03-12 00:00 ", "12/03/2020", "x", "12.03.20", "12.03.2020"],
    ...                        dtype="string")).dt.strftime("%Y-%m-%d").tolist()
    ['2020-03-12', '2020-03-12', '2020-03-12', nan, '2020-03-12', '2020-03-12']
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    parsed = _parse_distinct_dates(pd.Series(uniques, dtype=s.dtype)).to_numpy(dtype="datetime64[ns]")
    return pd.Series(parsed[codes], index=s.index, dtype="datetime64[ns]")


def _parse_distinct_dates(s: pd.Series) -> pd.Series:
    s = s.str.strip().str.replace(r"[ T]00:00(:00)?$", "", regex=True)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    for fmt in _DATE_FORMATS:
        todo = out.isna() & (s != "")
        if not todo.any():
            break
        out[todo] = pd.to_datetime(s[todo], format=fmt, errors="coerce")
    return out


def _map_distinct(values: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct value (hash-based), not once per cell."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = np.array([func(u) for u in uniques], dtype=object)
    return pd.Series(mapped[codes] if len(codes) else [], index=values.index, dtype=object)


def _map_distinct_text(values: pd.Series, func) -> pd.Series:
    """:func:`_map_distinct` for a ``func`` returning text (or None): a string column built by Arrow's ``take``
    from the distinct results, never a column of a million Python objects.

    >>> _map_distinct_text(pd.Series(["a", "b", "a", "c"], dtype="string"), {"a": "A", "b": None}.get).tolist()
    ['A', <NA>, 'A', <NA>]
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = pa.array([func(u) for u in np.asarray(uniques, dtype=object)], type=pa.string())
    return pd.Series(pd.array(mapped.take(pa.array(codes, type=pa.int64())), dtype="string"), index=values.index)


def _quoted(values: pd.Series, idx: np.ndarray) -> np.ndarray:
    """Scrubbed, quoted form of ``values`` at positions ``idx`` (see :func:`helpers.io.pii.quote`)."""
    return _map_distinct(values.iloc[idx].fillna("").astype(str), quote).to_numpy(dtype=object)


def _texts(values: pd.Series | np.ndarray, idx: np.ndarray) -> np.ndarray:
    v = values.iloc[idx].fillna("").astype(str) if isinstance(values, pd.Series) else values[idx]
    return np.asarray(v, dtype=object)


def _map_codes(values: pd.Series, lookup: dict[str, int]) -> tuple[pd.Series, np.ndarray, object]:
    """Map typed answers to codes via unique values.

    Returns the codes (Int64, <NA> for a blank or a problem), a mask of the rows with a problem and a function
    giving the problem text of rows at given positions (built only for those rows).

    >>> codes, bad, reasons = _map_codes(pd.Series(["Да", " 2.0 ", "", "9", "может"]), {"да": 1, "2": 2})
    >>> codes.tolist(), bad.tolist(), reasons(np.flatnonzero(bad)).tolist()
    ([1, 2, <NA>, <NA>, <NA>], [False, False, False, True, True], ["out-of-range code '9' (expected [1, 2])", "unknown answer label 'может'"])
    """
    inverse, uniques = pd.factorize(values, use_na_sentinel=False)
    uniques = np.asarray(uniques, dtype=object).astype(str)
    codes = np.full(len(uniques), -1, dtype=np.int64)
    problems = np.full(len(uniques), "", dtype=object)
    for k, u in enumerate(uniques):
        if u.strip() == "":
            codes[k] = -2
            continue
        key = normalise_label(re.sub(r"^\s*(\d+)[.,]0*\s*$", r"\1", u))
        if key in lookup:
            codes[k] = lookup[key]
        elif re.fullmatch(r"-?\d+([.,]\d+)?", key):
            problems[k] = f"out-of-range code {quote(u)} (expected {sorted(set(lookup.values()))})"
        else:
            problems[k] = f"unknown answer label {quote(u)}"
    per_row = codes[inverse]
    c = pd.arrays.IntegerArray(per_row, per_row < 0)
    bad = (problems != "")[inverse]
    return pd.Series(c, index=values.index), bad, lambda idx: problems[inverse[idx]]


def _in_roster(values: pd.Series, roster: pd.Series) -> np.ndarray:
    """Whether each value is listed in ``roster`` (a hash lookup in Arrow; a blank or missing value is not).

    >>> _in_roster(pd.Series(["W1", "W9", "", None], dtype="string"), pd.Series(["W1", "W2"])).tolist()
    [True, False, False, False]
    """
    found = pc.is_in(_arrow(values), value_set=_arrow(roster))
    return found.to_numpy(zero_copy_only=False).astype(bool)


def _roster_values(values: pd.Series, keys: pd.Series, attrs: pd.Series) -> pd.Series:
    """``attrs`` of the roster row whose key is each value (<NA> for a value not in the roster); the keys of a
    roster are unique (:func:`read_roster` refuses a key listed twice).

    >>> _roster_values(pd.Series(["S1", "S3", "S2"]), pd.Series(["S1", "S2"]), pd.Series(["volunteer", "social_worker"])).tolist()
    ['volunteer', <NA>, 'social_worker']
    """
    at = pc.index_in(_arrow(values), value_set=_arrow(keys))
    picked = pc.take(_arrow(attrs), at)
    return pd.Series(pd.array(picked, dtype="string"), index=values.index)


class _Problems:
    """Collects row-level problems as (row mask, column, reason) without a Python loop over rows."""

    def __init__(self, n: int):
        self.n = n
        self.parts: list[tuple[np.ndarray, str, np.ndarray]] = []

    def add(self, mask, column: str, reason) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            idx = np.flatnonzero(mask)
            if callable(reason):  # built only for the rows concerned: (positions) -> reasons
                self.parts.append((idx, column, np.asarray(reason(idx), dtype=object)))
                return
            r = np.asarray(reason, dtype=object)
            self.parts.append((idx, column, r[idx] if r.ndim else np.full(len(idx), reason, dtype=object)))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"pos": pd.Series(dtype="int64"), "column": pd.Series(dtype=str),
                                 "reason": pd.Series(dtype=str)})
        return pd.DataFrame(
            {
                "pos": np.concatenate([p[0] for p in self.parts]),
                "column": np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in self.parts]),
                "reason": np.concatenate([p[2] for p in self.parts]),
            }
        )


def validate_interviews(
    raw: pd.DataFrame, path: Path, year: int, cb: Codebook, rosters: dict[str, pd.DataFrame],
    lines: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Validate one year's interview table.

    Parameters
    ----------
    raw : DataFrame
        The table with contract column names (see :func:`map_headers`), every cell a string.
    path, year, cb, rosters
        Source file (for messages), survey year, codebook and the year's rosters.
    lines : array of int, optional
        Line (text) or row (Excel) number of every row in the file; default: header on line 1, no blanks.

    Returns
    -------
    accepted, quarantine, pii
        Accepted rows (free text scrubbed), quarantined rows (reason and column, values quoted only
        after scrubbing, never from a personal-data column) and the personal-data spans replaced
        (``{kind: n}`` for every kind of :data:`helpers.io.pii.COUNTED`).
    """
    items_asked = cb.items_for_year(year)
    required = ID_COLUMNS + items_asked
    allowed = ID_COLUMNS + OPTIONAL_COLUMNS + cb.item_codes
    _require_columns(path, raw, required, allowed)
    n = len(raw)
    raw = raw.reset_index(drop=True)
    problems = _Problems(n)
    stripped = {col: raw[col].str.strip() for col in [*NON_EMPTY, "pair_id"]}
    blank = {col: (stripped[col] == "").to_numpy(dtype=bool) for col in NON_EMPTY}
    for col in NON_EMPTY:
        problems.add(blank[col], col, "missing value")
    out = pd.DataFrame({"interview_id": stripped["interview_id"], "year": np.full(n, year, dtype="int64")})
    # controlled vocabularies
    for col, vocab, target in (("interviewer_role", "interviewer_role", "role"),
                               ("department", "department", "department"), ("mode", "mode", "mode")):
        lookup = cb.vocabulary_lookup(vocab)
        mapped = _map_distinct_text(raw[col], lambda v, lk=lookup: lk.get(normalise_label(v)))
        bad = mapped.isna().to_numpy(dtype=bool) & ~blank[col]
        expected = f" (expected one of {sorted(cb.vocabularies[vocab])})"
        problems.add(bad, col, lambda i, c=col, e=expected: "unknown value " + _quoted(raw[c], i) + e)
        out[target] = mapped
    # dates
    dates = _parse_dates(raw["date"])
    unparsed = dates.isna().to_numpy(dtype=bool) & ~blank["date"]
    problems.add(unparsed, "date", lambda i: "unparseable date " + _quoted(raw["date"], i)
                 + " (expected DD.MM.YYYY or YYYY-MM-DD)")
    outside = dates.notna() & (dates.dt.year != year)
    problems.add(outside, "date", lambda i: "date " + _texts(dates.iloc[i].dt.strftime("%Y-%m-%d"), np.arange(len(i)))
                 + f" outside survey year {year}")
    out["date"] = dates
    for col in ("interviewer_id", "worker_id", "stratum", "recipient_id"):
        out[col] = stripped[col]
    out["pair_id"] = stripped["pair_id"].replace("", pd.NA)
    # personal data in free text: scrubbed before anything is kept; in an id it quarantines the row
    pii = dict.fromkeys(COUNTED, 0)
    comment = raw["comment"].str.strip() if "comment" in raw else pd.Series("", index=raw.index, dtype="string")
    out["comment"], counts = scrub_series(comment, own=cb.own_addresses)
    pii = {k: pii[k] + counts[k] for k in pii}
    for col in ("interview_id", "interviewer_id", "worker_id", "stratum", "pair_id"):
        values = out[col].fillna("").astype("string")
        cleaned, counts = scrub_series(values, kinds=ID_KINDS)
        changed = (cleaned != values).to_numpy()
        if changed.any():
            problems.add(changed, col, "personal data (phone, e-mail or name) in an id column")
            out[col] = cleaned.where(changed, out[col])
            pii = {k: pii[k] + counts[k] for k in pii}
    # roster membership
    for col, kind, key in (("worker_id", "workers", "worker_id"), ("interviewer_id", "interviewers", "interviewer_id"),
                           ("stratum", "strata", "stratum")):
        absent = ~_in_roster(out[col], rosters[kind][key]) & (out[col] != "").to_numpy(dtype=bool)
        problems.add(absent, col, lambda i, c=col, k=kind: f"{c.replace('_id', '')} " + _quoted(out[c], i)
                     + f" missing from {k}_{year} roster")
    # contradictions with the rosters: the interviewer's role, the stratum's department
    for col, target, kind, key, attr in (("interviewer_role", "role", "interviewers", "interviewer_id", "role"),
                                         ("department", "department", "strata", "stratum", "department")):
        roster_value = _roster_values(out[key], rosters[kind][key], rosters[kind][attr])
        clash = (roster_value.notna() & out[target].notna() & (roster_value != out[target])).to_numpy(dtype=bool)
        problems.add(clash, col, lambda i, t=target, k=kind, key=key, rv=roster_value:
                     f"{t} '" + _texts(out[t], i) + f"' contradicts the {k}_{year} roster, where {key} "
                     + _quoted(out[key], i) + " is '" + _texts(rv, i) + "'")
    # answers
    present = [item for item in cb.item_codes if item in raw]
    with ThreadPoolExecutor(max_workers=2) as pool:  # Arrow's hashing releases the GIL: two columns at a time
        mapped_items = dict(zip(present, pool.map(lambda it: _map_codes(raw[it], cb.answer_lookup(it)), present),
                                strict=True))
    for item in cb.item_codes:
        if item not in raw:
            out[item] = pd.array([pd.NA] * n, dtype="Int64")
            continue
        codes, bad, reasons = mapped_items[item]
        problems.add(bad, item, reasons)
        if item not in items_asked:
            problems.add(codes.notna(), item, f"answer to an item not asked in {year}")
        out[item] = codes
    # duplicates and pairs
    dup = out["interview_id"].duplicated(keep=False) & (out["interview_id"] != "")
    dup = dup.to_numpy(dtype=bool)
    problems.add(dup, "interview_id", lambda i: "duplicate interview id " + _quoted(out["interview_id"], i))
    _check_pairs(out, problems)
    if lines is None:
        lines = np.arange(n, dtype=np.int64) + 2
    ok, bad = _split(out, raw, problems, path, np.asarray(lines, dtype=np.int64))
    return ok, bad, pii


def _check_pairs(out: pd.DataFrame, problems: _Problems) -> None:
    """A pair id names two interviews of one recipient, one by each interviewer role; else both are quarantined.

    Without groupby: the pairs are numbered (factorize), their sizes counted (bincount), and the two
    interviews of each pair of two compared side by side (an unknown role or recipient never clashes).
    """
    paired = np.flatnonzero(out["pair_id"].notna().to_numpy(dtype=bool))
    if not len(paired):
        return
    codes, _ = pd.factorize(out["pair_id"].iloc[paired])
    size = np.bincount(codes)[codes]
    two = np.flatnonzero(size == 2)
    two = two[np.argsort(codes[two], kind="stable")]
    first, second = paired[two[0::2]], paired[two[1::2]]  # the two interviews of each pair of two

    def compare(col: str) -> tuple[np.ndarray, np.ndarray]:  # (known in both, equal)
        a = out[col].iloc[first].reset_index(drop=True)
        b = out[col].iloc[second].reset_index(drop=True)
        known = (a.notna() & b.notna()).to_numpy(dtype=bool)
        return known, known & (a == b).fillna(False).to_numpy(dtype=bool)

    _, same_role = compare("role")
    recipient_known, same_recipient = compare("recipient_id")
    for rows, reason in ((paired[size > 2], "pair id on more than two interviews"),
                         (_both(first, second, same_role), "pair id on two interviews of the same interviewer role"),
                         (_both(first, second, recipient_known & ~same_recipient), "pair id links interviews of different recipients")):
        mask = np.zeros(len(out), dtype=bool)
        mask[rows] = True
        problems.add(mask, "pair_id", reason)


def _both(first: np.ndarray, second: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """Positions of both interviews of the pairs where ``hit`` holds."""
    return np.concatenate([first[hit], second[hit]])


def _split(out: pd.DataFrame, raw: pd.DataFrame, problems: _Problems, path: Path, lines: np.ndarray):
    pf = problems.frame()
    bad_pos = np.unique(pf["pos"].to_numpy())
    keep = np.ones(len(out), dtype=bool)
    keep[bad_pos] = False
    out["source_file"] = path.name
    out["source_row"] = lines
    if len(pf):
        # each problem once per row, with the columns it concerns: "answer to an item not asked in 2022
        # [eth_appearance, eth_discipline, ...]", not the same sentence once per column
        first = problems_per_row(pf)
        quarantine = pd.DataFrame(
            {
                "file": path.name,
                "row": lines[first.index.to_numpy()],
                "interview_id": out["interview_id"].to_numpy()[first.index.to_numpy()],
                "year": out["year"].to_numpy()[first.index.to_numpy()],
                "column": first["column"].to_numpy(),
                "columns": first["columns"].to_numpy(),
                "reason": first["reason"].to_numpy(),
            }
        )
    else:
        quarantine = empty_quarantine()
    return out.loc[keep].reset_index(drop=True), quarantine


def empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                         [("file", str), ("row", "int64"), ("interview_id", str), ("year", "int64"),
                          ("column", str), ("columns", str), ("reason", str)]})


# ---- pseudonymisation ----------------------------------------------------------------------------
def pseudonymisation_key(raw_dir: Path | None = None) -> bytes:
    """Key for recipient pseudonyms: $MG_PSEUDONYM_KEY, else the key file, else the demo key for demo data.

    A key file that the group or others may read gets one warning line on stderr (once per process), naming
    the file and the ``chmod 600`` that fixes it; the key itself is never printed.
    """
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    key_file = Path(os.environ.get(KEY_FILE_ENV, DEFAULT_KEY_FILE))
    if key_file.exists():
        warning = key_file_warning(key_file)
        if warning and warning not in _KEY_WARNINGS:
            _KEY_WARNINGS.add(warning)
            print(f"warning: {warning}", file=sys.stderr, flush=True)
        return key_file.read_text(encoding="utf-8").strip().encode()
    if raw_dir is not None and (raw_dir / DEMO_MARKER).exists():
        return DEMO_KEY.encode()
    raise DataContractError(
        f"no pseudonymisation key: set ${KEY_ENV} or write the key to {key_file} (git-ignored); see README"
    )


_KEY_WARNINGS: set[str] = set()  # warnings already printed by this process


def key_file_warning(key_file: Path) -> str | None:
    """One line when the key file is open to its group or other users (its mode lets them read or change
    it), else None.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "k"
    >>> _ = f.write_text("secret")
    >>> f.chmod(0o600); key_file_warning(f) is None
    True
    >>> f.chmod(0o644); key_file_warning(f).endswith(f"fix: chmod 600 {f}")
    True
    """
    if os.name != "posix":
        return None
    mode = key_file.stat().st_mode & 0o777
    if not mode & 0o077:
        return None
    who = " and ".join(w for w, bits in (("its group", 0o070), ("other users", 0o007)) if mode & bits)
    return (f"the pseudonymisation key file {key_file} is open to {who} (mode {mode:o}); "
            f"fix: chmod 600 {shlex.quote(str(key_file))}")


def pseudonymise(ids: pd.Series, key: bytes, known: tuple[pa.Array, pa.Array] | None = None) -> pd.Series:
    """Keyed pseudonym HMAC-SHA256(key, id), first 16 hex digits: stable across years, not reversible.

    HMAC (RFC 2104): H((K' xor opad) || H((K' xor ipad) || m)), K' the key padded to SHA-256's block of 64
    bytes (hashed first if longer). The two keyed states are computed once and copied for every distinct id,
    which gives the same digest as :func:`hmac.digest` at half the cost. ``known``: pseudonyms computed ahead
    (:func:`pseudonym_table`), looked up by hash; an id not among them is computed here.

    >>> pseudonymise(pd.Series(["R-1", "R-2", "R-1"]), b"key").tolist()
    ['df40d3c4dbf730a5', '705e71c505e662c3', 'df40d3c4dbf730a5']
    >>> import hmac; hmac.digest(b"key", b"R-1", "sha256").hex()[:16]
    'df40d3c4dbf730a5'
    >>> pseudonymise(pd.Series(["R-1", "R-3"]), b"key", known=pseudonym_table(pd.Series(["R-1"]), b"key")).tolist()  # R-3 computed here
    ['df40d3c4dbf730a5', 'f8111e9d4c52a7d2']
    """
    pseudonym = _pseudonym_function(key)
    if known is None:
        return _map_distinct_text(ids, pseudonym)
    found = pc.take(known[1], pc.index_in(_arrow(ids), value_set=known[0]))
    out = pd.Series(pd.array(found, dtype="string"), index=ids.index)
    missing = (out.isna() & ids.notna()).to_numpy()
    if missing.any():
        out[missing] = _map_distinct_text(ids[missing], pseudonym)
    return out


def pseudonym_table(ids: pd.Series, key: bytes) -> tuple[pa.Array, pa.Array]:
    """(the distinct ids, stripped of surrounding spaces, and their pseudonyms): :func:`ingest` computes them on a
    second thread while the year's rows are validated, and :func:`pseudonymise` looks the accepted ids up.

    >>> ids, pids = pseudonym_table(pd.Series([" R-1", "R-1", None]), b"key")
    >>> ids.to_pylist(), pids.to_pylist()
    (['R-1'], ['df40d3c4dbf730a5'])
    """
    distinct = pc.unique(pc.utf8_trim_whitespace(_arrow(ids)).drop_null())
    pseudonym = _pseudonym_function(key)
    return distinct, pa.array([pseudonym(u) for u in distinct.to_pylist()], type=pa.string())


def _pseudonym_function(key: bytes):
    """HMAC-SHA256(key, id)[:16 hex digits] of one id, from the precomputed keyed states."""
    inner, outer = _hmac_states(key)

    def pseudonym(u: object) -> str:
        h = inner.copy()
        h.update((u if type(u) is str else str(u)).encode("utf-8"))
        o = outer.copy()
        o.update(h.digest())
        return o.hexdigest()[:16]

    return pseudonym


def _hmac_states(key: bytes):
    """SHA-256 states after (K' xor ipad) and (K' xor opad), RFC 2104 section 2 (block size 64 bytes)."""
    k = hashlib.sha256(key).digest() if len(key) > 64 else key
    k = k.ljust(64, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in k)), hashlib.sha256(bytes(b ^ 0x5C for b in k))


# ---- orchestration --------------------------------------------------------------------------------
_LOOSE_NAME = re.compile(r"^(interviews|workers|interviewers|strata)[\s_\-]*(\d{4})(?P<rest>.*?)\.(?P<ext>[^.]+)$",
                         re.I)
_IGNORED = re.compile(r"(^\.|^~\$|^README|^DEMO_DATA\.txt$|\.columns\.ya?ml$)", re.I)
SUPPORTED = ("csv", "tsv", "txt", "xlsx", "xls")


def discover(raw_dir: Path, notes: list[str] | None = None) -> dict[int, dict[str, Path]]:
    """Group the raw files by year: {year: {"interviews": path, "workers": path, ...}}.

    ``interviews_2020.csv`` (also ``.tsv``, ``.txt``, ``.xlsx``, ``.xls``, any case) is read. A near-miss
    name such as ``interviews_2020 (копия).csv`` is read with a note when it is the only file of its kind
    and year, left aside with a note when the exact name is there too, and refused by name when two
    near misses compete. A file named like a raw table in an unsupported format is refused by name.
    Notes are appended to ``notes``.
    """
    notes = notes if notes is not None else []
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise DataContractError(f"{raw_dir}: raw data folder not found")
    exact: dict[tuple[int, str], Path] = {}
    near: dict[tuple[int, str], list[Path]] = {}
    for p in sorted(raw_dir.iterdir()):
        if not p.is_file() or _IGNORED.search(p.name):
            continue
        m = _LOOSE_NAME.match(p.name)
        if not m:
            continue
        kind, year, rest, ext = m.group(1).lower(), int(m.group(2)), m.group("rest"), m.group("ext").lower()
        if ext not in SUPPORTED:
            raise DataContractError(f"{p}: unsupported format '.{m.group('ext')}' for {kind} of {year}; "
                                    f"save it as {', '.join('.' + e for e in SUPPORTED)}")
        strict = m.group(0).lower() == f"{kind}_{year}.{ext}" and not rest
        if strict:
            if (year, kind) in exact:
                raise DataContractError(f"{p}: a second {kind} file for {year} "
                                        f"({exact[(year, kind)].name} already found); keep one")
            exact[(year, kind)] = p
        else:
            near.setdefault((year, kind), []).append(p)
    for (year, kind), paths in sorted(near.items()):
        if (year, kind) in exact:
            for p in paths:
                notes.append(f"{p}: not read: {exact[(year, kind)].name} is the {kind} file of {year} "
                             "(rename or remove the copy)")
        elif len(paths) > 1:
            raise DataContractError(f"{paths[1]}: two files could be the {kind} of {year} "
                                    f"({paths[0].name}, {paths[1].name}); rename one to {kind}_{year}.<ext>")
        else:
            exact[(year, kind)] = paths[0]
            notes.append(f"{paths[0]}: read as the {kind} file of {year} (name differs from "
                         f"{kind}_{year}.{paths[0].suffix.lstrip('.').lower()})")
    found: dict[int, dict[str, Path]] = {}
    for (year, kind), p in sorted(exact.items()):
        found.setdefault(year, {})[kind] = p
    return found


def _no_interviews_message(raw_dir: Path) -> str:
    files = sorted(p.name for p in raw_dir.iterdir() if p.is_file() and not _IGNORED.search(p.name)) \
        if raw_dir.is_dir() else []
    unknown = [f for f in files if not _LOOSE_NAME.match(f)]
    if unknown:
        shown = ", ".join(repr(f) for f in unknown[:4]) + (" ..." if len(unknown) > 4 else "")
        held = f"; not recognised as raw tables: {shown} (rename to interviews_<year>.<ext>)"
    elif files:
        held = f"; it holds only {', '.join(repr(f) for f in files[:4])}" + (" ..." if len(files) > 4 else "")
    else:
        held = "; the folder is empty"
    return f"{raw_dir}: no interview files (expected interviews_<year>.csv, .tsv, .txt, .xlsx or .xls){held}"


def ingest(
    raw_dir: str | Path = "data/raw", years: list[int] | None = None, codebook: Codebook | None = None,
    paths: list[Path] | None = None,
) -> IngestResult:
    """Read, validate and pseudonymise every interview file under ``raw_dir`` (or only ``paths``).

    Notes (near-miss names read, title rows skipped, sheets chosen, headers matched by text) and
    warnings (no rows, no accepted row, every date in another year) are in ``result.notes`` and in
    the ingest log's ``notes`` and ``warnings`` columns.
    """
    from helpers.io.readers import system_allocator

    with system_allocator():
        return _ingest(Path(raw_dir), years, codebook or load_codebook(), paths)


def _ingest(raw_dir: Path, years: list[int] | None, cb: Codebook, paths: list[Path] | None) -> IngestResult:
    notes: list[str] = []
    found = discover(raw_dir, notes)
    if paths:
        wanted = {Path(p).resolve() for p in paths}
        unknown = [p for p in paths if not any(Path(p).resolve() == v.resolve() for f in found.values()
                                               for v in f.values())]
        if unknown:
            raise DataContractError(f"{unknown[0]}: not a raw file of the contract (expected "
                                    "interviews_<year>.<ext> or a roster beside it)")
        found = {y: f for y, f in found.items() if any(v.resolve() in wanted for v in f.values())}
    if years:
        found = {y: f for y, f in found.items() if y in years}
    if not any("interviews" in f for f in found.values()):
        raise DataContractError(_no_interviews_message(raw_dir))
    key = pseudonymisation_key(raw_dir)
    accepted, quarantined, logs, files, ahead_of_time = [], [], [], [], []
    rosters: dict[str, list[pd.DataFrame]] = {k: [] for k in ROSTER_COLUMNS}
    # a second thread does what waits on nothing here while the files are read and validated: importing pandera
    # (0.5 s) and the recipients' pseudonyms (one HMAC per distinct id: 0.8 s for 500,000 ids)
    with ThreadPoolExecutor(max_workers=1) as ahead:
        schema = ahead.submit(importlib.import_module, "helpers.io.schema")
        for year, group in sorted(found.items()):
            if "interviews" not in group:
                continue
            year_rosters = {}
            for kind in ROSTER_COLUMNS:
                if kind not in group:
                    raise DataContractError(f"{raw_dir / f'{kind}_{year}.csv'}: roster file missing for {year}")
                year_rosters[kind] = read_roster(group[kind], kind, cb)
                rosters[kind].append(year_rosters[kind].assign(year=year))
                files.append(group[kind])
            path = group["interviews"]
            table = read_source(path, "interviews", cb, _mapping(path))
            raw, header_notes = map_headers(path, table, "interviews", cb)
            if "recipient_id" in raw:
                ahead_of_time.append(ahead.submit(pseudonym_table, raw["recipient_id"], key))
            ok, bad, pii = validate_interviews(raw, path, year, cb, year_rosters, table.lines)
            if len(raw) != len(ok) + len(bad):  # the reconciliation promise, checked on every file
                raise AssertionError(f"{path}: {len(raw)} rows read != {len(ok)} + {len(bad)}")
            file_notes = [f"{path.name}: {n}" for n in table.notes + header_notes]
            if table.blank_rows:
                file_notes.append(f"{path.name}: {table.blank_rows} blank rows skipped (line numbers kept)")
            warnings = _warnings(path, raw, ok, bad, year)
            notes.extend(file_notes)
            logs.append({"file": path.name, "year": year, "rows_read": len(raw),
                         "rows_accepted": len(ok), "rows_quarantined": len(bad),
                         **{f"pii_{k}": pii[k] for k in COUNTED},
                         "notes": "; ".join(file_notes), "warnings": "; ".join(warnings)})
            accepted.append(ok)
            quarantined.append(bad)
            files.append(path)
        known = [f.result() for f in ahead_of_time]
        interview_schema = schema.result().interview_schema
    interviews = pd.concat(accepted, ignore_index=True)
    known_ids = (pa.concat_arrays([k[0] for k in known]), pa.concat_arrays([k[1] for k in known])) if known else None
    interviews.insert(interviews.columns.get_loc("recipient_id"), "recipient_pid",
                      pseudonymise(interviews["recipient_id"], key, known_ids))
    interviews = interviews.drop(columns="recipient_id")
    interviews = interviews[_ordered_columns(cb)]
    interviews = interview_schema(cb).validate(interviews)
    return IngestResult(
        interviews=interviews,
        quarantine=pd.concat(quarantined, ignore_index=True),
        rosters={k: pd.concat(v, ignore_index=True) for k, v in rosters.items()},
        log=pd.DataFrame(logs),
        files=files,
        demo=(raw_dir / DEMO_MARKER).exists(),
        notes=notes,
    )


def interview_years(raw_dir: str | Path) -> list[int]:
    """The survey years with an interview file in ``raw_dir`` (the default years of a run)."""
    return sorted(y for y, files in discover(Path(raw_dir)).items() if "interviews" in files)


def require_accepted(result: IngestResult, years: list[int], raw_dir: str | Path = "") -> None:
    """Raise :class:`DataContractError` (one line) when a requested survey year has no accepted interview.

    The line names the year and its most frequent problem among the quarantine's reasons: each row's
    reasons are split at ``"; "`` and counted as kinds, the values that differ from row to row (quoted
    cells, dates) shown as ``…``, so that 289 rows dated in the wrong year count as one problem.

    >>> r = IngestResult(interviews=pd.DataFrame({"year": [2021]}), rosters={}, log=pd.DataFrame(
    ...     {"year": [2021, 2022], "rows_read": [5, 3]}), quarantine=pd.DataFrame({"year": [2022] * 3, "reason": [
    ...     "date 2021-03-02 outside survey year 2022 [date]", "date 2021-04-09 outside survey year 2022 [date]",
    ...     "unknown answer label 'x' [mode]; date 2021-05-01 outside survey year 2022 [date]"]}))
    >>> require_accepted(r, [2021, 2022])
    Traceback (most recent call last):
    ...
    helpers.io.contract.DataContractError: 2022: none of the 3 interviews was accepted; most frequent reason (3 rows): date … outside survey year 2022 [date]
    """
    accepted = set(int(y) for y in result.interviews["year"].unique())
    for year in sorted(set(int(y) for y in years) - accepted):
        read = result.log.loc[result.log["year"] == year, "rows_read"].sum() if len(result.log) else 0
        if not read:
            raise DataContractError(f"{year}: requested, but {raw_dir or 'the raw folder'} holds no interview "
                                    f"rows of {year} (expected interviews_{year}.csv, .tsv, .txt, .xlsx or .xls)")
        problems = result.quarantine.loc[result.quarantine["year"] == year, "reason"].str.split("; ").explode()
        kinds = problems.str.replace(r"'[^']*'", "'…'", regex=True).str.replace(r"\b\d{4}-\d\d-\d\d\b", "…", regex=True)
        top = kinds.value_counts(sort=True)
        raise DataContractError(f"{year}: none of the {int(read)} interviews was accepted; most frequent reason "
                                f"({int(top.iloc[0])} rows): {top.index[0]}")


def _warnings(path: Path, raw: pd.DataFrame, ok: pd.DataFrame, bad: pd.DataFrame, year: int) -> list[str]:
    """Whole-file warnings: no data rows, no accepted row, every date outside the survey year."""
    out = []
    if len(raw) == 0:
        return [f"{path.name}: header only, no data rows"]
    if len(ok) == 0:
        out.append(f"{path.name}: 0 of {len(raw)} rows accepted (all quarantined)")
    dates = _parse_dates(raw["date"]) if "date" in raw else pd.Series(dtype="datetime64[ns]")
    years = dates.dropna().dt.year
    if len(years) and (years != year).all():
        common = int(years.mode().iloc[0])
        out.append(f"{path.name}: every date falls outside {year} (most in {common}); is this the file of {common}?")
    return out


def _ordered_columns(cb: Codebook) -> list[str]:
    return ["interview_id", "year", "date", "interviewer_id", "role", "recipient_pid", "worker_id",
            "department", "stratum", "pair_id", "mode", "comment", "source_file", "source_row", *cb.item_codes]


PROCESSED_TABLES = ("interviews", "quarantine", "ingest_log", "workers", "interviewers", "strata")


def merge_with_processed(result: IngestResult, out_dir: str | Path) -> tuple[IngestResult, list[int]]:
    """``result`` with the other years of an existing ``out_dir`` added back: (merged result, kept years).

    Used when some files are validated alone: their years replace the same years in the processed
    data, every other year stays as it was (same pseudonymisation key assumed).
    """
    out = Path(out_dir)
    if not all((out / f"{n}.parquet").exists() for n in PROCESSED_TABLES):
        return result, []
    new_years = set(int(y) for y in result.log["year"])
    old = {n: pd.read_parquet(out / f"{n}.parquet") for n in PROCESSED_TABLES}
    keep = lambda df: df[~df["year"].isin(new_years)]  # noqa: E731
    kept_years = sorted(int(y) for y in set(old["ingest_log"]["year"]) - new_years)
    if not kept_years:
        return result, []
    cb = load_codebook()
    from helpers.io.schema import interview_schema

    interviews = pd.concat([keep(old["interviews"]), result.interviews], ignore_index=True)
    interviews = interview_schema(cb).validate(interviews.sort_values(["year", "source_row"], kind="stable")
                                               .reset_index(drop=True))
    merged = IngestResult(
        interviews=interviews,
        quarantine=pd.concat([keep(old["quarantine"]), result.quarantine], ignore_index=True)
        .sort_values(["year", "row"], kind="stable").reset_index(drop=True),
        rosters={k: pd.concat([keep(old[k]), v], ignore_index=True).sort_values("year", kind="stable")
                 .reset_index(drop=True) for k, v in result.rosters.items()},
        log=pd.concat([keep(old["ingest_log"]), result.log], ignore_index=True).sort_values("year", kind="stable")
        .reset_index(drop=True),
        files=result.files,
        notes=result.notes,
        demo=result.demo,
        kept_inputs=_inputs_of_years(out, kept_years),
    )
    return merged, kept_years


def _inputs_of_years(out_dir: Path, years: list[int]) -> dict[str, str]:
    """The raw files' SHA-256 recorded by the ingestion that wrote ``out_dir``, for the files of ``years``."""
    summary = out_dir / "ingest_summary.json"
    recorded = json.loads(summary.read_text(encoding="utf-8")).get("inputs", {}) if summary.exists() else {}
    return {name: digest for name, digest in recorded.items()
            if (m := _LOOSE_NAME.match(name)) and int(m.group(2)) in set(years)}


def write_processed(result: IngestResult, out_dir: str | Path = "data/processed") -> list[Path]:
    """Write interviews, quarantine, rosters, the ingest log and the data dictionary to ``out_dir``."""
    from helpers.io.safe_csv import to_csv_safe

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in [("interviews", result.interviews), ("quarantine", result.quarantine),
                     ("ingest_log", result.log), *result.rosters.items()]:
        p = out / f"{name}.parquet"
        tmp = out / f".{name}.parquet.tmp"
        df.to_parquet(tmp, index=False)
        os.replace(tmp, p)
        written.append(p)
    from helpers.io.schema import data_dictionary

    dd = data_dictionary(load_codebook())
    to_csv_safe(dd, out / "data_dictionary.csv", index=False)
    written.append(out / "data_dictionary.csv")
    log = result.log
    summary = {
        "demo": result.demo,
        "inputs": result.inputs,
        "rows_read": int(log["rows_read"].sum()),
        "rows_accepted": int(log["rows_accepted"].sum()),
        "rows_quarantined": int(log["rows_quarantined"].sum()),
        "personal_data_replaced": {k: int(log[f"pii_{k}"].sum()) if f"pii_{k}" in log else 0 for k in COUNTED},
        "files": log.to_dict(orient="records"),
    }
    (out / "ingest_summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    written.append(out / "ingest_summary.json")
    return written
