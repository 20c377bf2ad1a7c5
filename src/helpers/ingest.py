"""Ingestion: read raw interview tables, validate them, quarantine bad rows, pseudonymise recipients.

The data contract is documented in ``data/raw/README.md``. In short, per survey year:

* ``interviews_<year>.csv`` (or ``.xlsx``): one row per interview;
* ``workers_<year>.csv``, ``interviewers_<year>.csv``, ``strata_<year>.csv``: the roster.

Two kinds of problem are distinguished:

* **file-level** (unreadable file, undecodable bytes, missing required column, unknown column):
  :class:`DataContractError` with a one-line message naming the file and the column. The CLI prints
  it and exits with status 2; nothing is written.
* **row-level** (unknown answer label, out-of-range code, duplicate interview id, date outside the
  survey year, broken pair, worker/interviewer/stratum missing from the roster, missing or unknown
  controlled value): the row moves to the quarantine table with file, row number (the line in the
  file; the header is row 1), column and reason. ``rows read = rows accepted + rows quarantined``
  holds for every file and is checked before anything is written.

Recipient names and phones are dropped here and never written; recipient ids become keyed
pseudonyms (HMAC-SHA256), stable across years for the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from helpers.codebook import Codebook, load_codebook, normalise_label
from helpers.demo import DEMO_KEY, DEMO_MARKER
from helpers.provenance import file_sha256

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
FILE_PATTERN = re.compile(r"^(interviews|workers|interviewers|strata)_(\d{4})\.(csv|txt|xlsx)$", re.I)


class DataContractError(Exception):
    """A file-level problem: the message is one line naming the file, the column and what was expected."""


@dataclass
class IngestResult:
    """What ingestion produced: accepted interviews, quarantine and per-file counts."""

    interviews: pd.DataFrame
    quarantine: pd.DataFrame
    rosters: dict[str, pd.DataFrame]
    log: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    demo: bool = False  # the raw folder carries the demo marker (DEMO_DATA.txt)

    @property
    def inputs(self) -> dict[str, str]:
        """SHA-256 of every raw file read, by file name."""
        return {p.name: file_sha256(p) for p in self.files}


# ---- reading --------------------------------------------------------------------------------------
def _from_cp1251(path: Path, data: bytes) -> bytes:
    """Re-encode a Windows-1251 file as UTF-8, refusing text that is really damaged UTF-8."""
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as err:
        raise DataContractError(
            f"{path}: cannot decode byte {err.start}: expected UTF-8 (with or without BOM) or Windows-1251"
        ) from None
    if re.search(r"Р[°µѕёЅ]|С[‚ЊЏ]", text):
        raise DataContractError(
            f"{path}: wrong encoding guess: text decodes as Windows-1251 but looks like damaged UTF-8; "
            "re-export the file as UTF-8 or Windows-1251"
        )
    return text.encode("utf-8")


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    return max(counts, key=counts.get)


def _parse_csv(path: Path, data: bytes) -> pa.Table:
    """Parse UTF-8 bytes with pyarrow (which validates UTF-8 itself), every column as a string."""
    first = data[: data.find(b"\n") if b"\n" in data else len(data)]
    header = first.decode("utf-8")
    if not header.strip():
        raise DataContractError(f"{path}: row 1: empty header; expected column names")
    delimiter = _sniff_delimiter(header)
    names = next(iter(pd.read_csv(io.StringIO(header), sep=delimiter, header=None, dtype=str).itertuples(index=False)))
    names = [str(n).strip() for n in names]
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False),
    )


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV/TXT/XLSX table with every cell as a string ("" for blank).

    Accepts UTF-8 with or without BOM and Windows-1251; comma, semicolon or tab delimiters.
    Raises :class:`DataContractError` with a one-line message when the file cannot be read.
    UTF-8 is tried first (pyarrow validates it while parsing, so valid files are decoded once);
    bytes that are not UTF-8 are read as Windows-1251.
    """
    path = Path(path)
    if not path.exists():
        raise DataContractError(f"{path}: file not found")
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        try:
            table = _parse_csv(path, data)
        except (UnicodeDecodeError, pa.ArrowInvalid) as err:
            if isinstance(err, pa.ArrowInvalid) and "utf" not in str(err).lower():
                raise
            table = _parse_csv(path, _from_cp1251(path, data))
    except pa.ArrowInvalid as err:
        raise DataContractError(f"{path}: cannot parse as delimited text ({str(err).splitlines()[0]})") from None
    return table.to_pandas(types_mapper=lambda t: pd.StringDtype() if t == pa.string() else None).fillna("")


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_excel(path, dtype=object, engine="openpyxl")
    except Exception as err:  # openpyxl raises many types for a broken workbook
        raise DataContractError(f"{path}: cannot read as XLSX ({type(err).__name__}: {err})") from None
    df.columns = [str(c).strip() for c in df.columns]

    def cell(v: object) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "strftime"):
            return pd.Timestamp(v).strftime("%Y-%m-%d")
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return df.map(cell).astype("string")


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
    df = read_table(path)
    cols = ROSTER_COLUMNS[kind]
    _require_columns(path, df, cols, cols)
    df = df[cols].copy()
    vocab = {"workers": ("department", "department"), "interviewers": ("role", "interviewer_role"),
             "strata": ("department", "department")}[kind]
    lookup = cb.vocabulary_lookup(vocab[1])
    for i, v in enumerate(df[vocab[0]]):
        if normalise_label(v) not in lookup:
            raise DataContractError(
                f"{path}: row {i + 2}: column '{vocab[0]}': unknown value '{v}'; expected one of "
                f"{sorted(cb.vocabularies[vocab[1]])}"
            )
    df[vocab[0]] = df[vocab[0]].map(lambda v: lookup[normalise_label(v)])
    if kind == "strata":
        pop = pd.to_numeric(df["population"].str.replace(r"[\s\u00a0]", "", regex=True)
                            .str.replace(r"[.,]0+$", "", regex=True), errors="coerce")
        bad = pop.isna() | (pop <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataContractError(
                f"{path}: row {i + 2}: column 'population': '{df['population'].iloc[i]}' is not a positive whole number"
            )
        df["population"] = pop.astype("int64")
    return df


# ---- validation of interviews -----------------------------------------------------------------------
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y")


def _parse_dates(s: pd.Series) -> pd.Series:
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


def _map_codes(values: pd.Series, lookup: dict[str, int]) -> tuple[pd.Series, pd.Series]:
    """Map typed answers to codes via unique values. Returns (codes Int64, problem text or '')."""
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
            problems[k] = f"out-of-range code '{u}' (expected {sorted(set(lookup.values()))})"
        else:
            problems[k] = f"unknown answer label '{u}'"
    c = pd.array(codes[inverse], dtype="Int64")
    c[(codes[inverse] < 0)] = pd.NA
    return pd.Series(c, index=values.index), pd.Series(problems[inverse], index=values.index)


class _Problems:
    """Collects row-level problems as (row mask, column, reason) without a Python loop over rows."""

    def __init__(self, n: int):
        self.n = n
        self.parts: list[tuple[np.ndarray, str, np.ndarray]] = []

    def add(self, mask, column: str, reason) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            idx = np.flatnonzero(mask)
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
    raw: pd.DataFrame, path: Path, year: int, cb: Codebook, rosters: dict[str, pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate one year's interview table. Returns (accepted rows, quarantine rows)."""
    items_asked = cb.items_for_year(year)
    required = ID_COLUMNS + items_asked
    allowed = ID_COLUMNS + OPTIONAL_COLUMNS + cb.item_codes
    _require_columns(path, raw, required, allowed)
    n = len(raw)
    raw = raw.reset_index(drop=True)
    problems = _Problems(n)
    for col in NON_EMPTY:
        problems.add(raw[col].str.strip() == "", col, "missing value")
    out = pd.DataFrame({"interview_id": raw["interview_id"].str.strip(), "year": np.full(n, year, dtype="int64")})
    # controlled vocabularies
    for col, vocab, target in (("interviewer_role", "interviewer_role", "role"),
                               ("department", "department", "department"), ("mode", "mode", "mode")):
        lookup = cb.vocabulary_lookup(vocab)
        mapped = _map_distinct(raw[col], lambda v, lk=lookup: lk.get(normalise_label(v)))
        bad = mapped.isna() & (raw[col].str.strip() != "")
        problems.add(bad, col, "unknown value '" + raw[col].astype(str) + f"' (expected one of {sorted(cb.vocabularies[vocab])})")
        out[target] = mapped.astype("string")
    # dates
    dates = _parse_dates(raw["date"])
    nonblank = raw["date"].str.strip() != ""
    problems.add(dates.isna() & nonblank, "date",
                 "unparseable date '" + raw["date"].astype(str) + "' (expected DD.MM.YYYY or YYYY-MM-DD)")
    outside = dates.notna() & (dates.dt.year != year)
    problems.add(outside, "date", "date " + dates.dt.strftime("%Y-%m-%d").fillna("") + f" outside survey year {year}")
    out["date"] = dates
    for col in ("interviewer_id", "worker_id", "stratum"):
        out[col] = raw[col].str.strip()
    out["recipient_id"] = raw["recipient_id"].str.strip()
    out["pair_id"] = raw["pair_id"].str.strip().replace("", pd.NA)
    out["comment"] = raw["comment"].str.strip() if "comment" in raw else ""
    # roster membership
    for col, kind, key in (("worker_id", "workers", "worker_id"), ("interviewer_id", "interviewers", "interviewer_id"),
                           ("stratum", "strata", "stratum")):
        known = set(rosters[kind][key])
        problems.add(~out[col].isin(known) & (out[col] != ""), col,
                     f"{col.replace('_id', '')} '" + out[col].astype(str) + f"' missing from {kind}_{year} roster")
    # answers
    for item in cb.item_codes:
        if item not in raw:
            out[item] = pd.array([pd.NA] * n, dtype="Int64")
            continue
        codes, msg = _map_codes(raw[item], cb.answer_lookup(item))
        problems.add(msg != "", item, msg.to_numpy())
        if item not in items_asked:
            problems.add(codes.notna(), item, f"answer to an item not asked in {year}")
        out[item] = codes
    # duplicates and pairs
    dup = out["interview_id"].duplicated(keep=False) & (out["interview_id"] != "")
    problems.add(dup, "interview_id", "duplicate interview id '" + out["interview_id"].astype(str) + "'")
    _check_pairs(out, problems)
    return _split(out, raw, problems, path)


def _check_pairs(out: pd.DataFrame, problems: _Problems) -> None:
    paired = out["pair_id"].notna()
    if not paired.any():
        return
    g = out[paired].groupby("pair_id", sort=False)
    size = g["interview_id"].transform("size")
    roles = g["role"].transform("nunique")
    role_unknown = out.loc[paired, "role"].isna().groupby(out.loc[paired, "pair_id"]).transform("any")
    recipients = g["recipient_id"].transform("nunique")
    mask = np.zeros(len(out), dtype=bool)
    for cond, reason in ((size > 2, "pair id on more than two interviews"),
                         ((size == 2) & (roles < 2) & ~role_unknown, "pair id on two interviews of the same interviewer role"),
                         ((size == 2) & (recipients > 1), "pair id links interviews of different recipients")):
        mask[:] = False
        mask[np.flatnonzero(paired)[cond.to_numpy()]] = True
        problems.add(mask, "pair_id", reason)


def _split(out: pd.DataFrame, raw: pd.DataFrame, problems: _Problems, path: Path):
    pf = problems.frame()
    bad_pos = np.unique(pf["pos"].to_numpy())
    keep = np.ones(len(out), dtype=bool)
    keep[bad_pos] = False
    out["source_file"] = path.name
    out["source_row"] = np.arange(len(out), dtype="int64") + 2
    if len(pf):
        pf = pf.sort_values("pos", kind="stable")
        first = pf.groupby("pos", sort=True).agg(column=("column", "first"), reason=("reason", "; ".join),
                                                 columns=("column", lambda c: ", ".join(dict.fromkeys(c))))
        quarantine = pd.DataFrame(
            {
                "file": path.name,
                "row": first.index.to_numpy() + 2,
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
    """Key for recipient pseudonyms: $MG_PSEUDONYM_KEY, else the key file, else the demo key for demo data."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    key_file = Path(os.environ.get(KEY_FILE_ENV, DEFAULT_KEY_FILE))
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip().encode()
    if raw_dir is not None and (raw_dir / DEMO_MARKER).exists():
        return DEMO_KEY.encode()
    raise DataContractError(
        f"no pseudonymisation key: set ${KEY_ENV} or write the key to {key_file} (git-ignored); see README"
    )


def pseudonymise(ids: pd.Series, key: bytes) -> pd.Series:
    """Keyed pseudonym HMAC-SHA256(key, id), first 16 hex digits: stable across years, not reversible."""
    return _map_distinct(ids, lambda u: hmac.digest(key, str(u).encode("utf-8"), hashlib.sha256).hex()[:16]
                         ).astype("string")


# ---- orchestration --------------------------------------------------------------------------------
def discover(raw_dir: Path) -> dict[int, dict[str, Path]]:
    """Group the raw files by year: {year: {"interviews": path, "workers": path, ...}}."""
    found: dict[int, dict[str, Path]] = {}
    for p in sorted(raw_dir.iterdir()):
        m = FILE_PATTERN.match(p.name)
        if m:
            kind, year = m.group(1).lower(), int(m.group(2))
            if kind in found.setdefault(year, {}):
                raise DataContractError(f"{p}: a second {kind} file for {year} ({found[year][kind].name} already found)")
            found[year][kind] = p
    return found


def ingest(
    raw_dir: str | Path = "data/raw", years: list[int] | None = None, codebook: Codebook | None = None,
    paths: list[Path] | None = None,
) -> IngestResult:
    """Read, validate and pseudonymise every interview file under ``raw_dir`` (or only ``paths``)."""
    cb = codebook or load_codebook()
    raw_dir = Path(raw_dir)
    found = discover(raw_dir)
    if paths:
        wanted = {Path(p).resolve() for p in paths}
        found = {y: f for y, f in found.items() if any(v.resolve() in wanted for v in f.values())}
    if years:
        found = {y: f for y, f in found.items() if y in years}
    if not any("interviews" in f for f in found.values()):
        raise DataContractError(f"{raw_dir}: no interview files (expected interviews_<year>.csv or .xlsx)")
    key = pseudonymisation_key(raw_dir)
    accepted, quarantined, logs, files = [], [], [], []
    rosters: dict[str, list[pd.DataFrame]] = {k: [] for k in ROSTER_COLUMNS}
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
        raw = read_table(group["interviews"])
        ok, bad = validate_interviews(raw, group["interviews"], year, cb, year_rosters)
        if len(raw) != len(ok) + len(bad):  # the reconciliation promise, checked on every file
            raise AssertionError(f"{group['interviews']}: {len(raw)} rows read != {len(ok)} + {len(bad)}")
        logs.append({"file": group["interviews"].name, "year": year, "rows_read": len(raw),
                     "rows_accepted": len(ok), "rows_quarantined": len(bad)})
        accepted.append(ok)
        quarantined.append(bad)
        files.append(group["interviews"])
    interviews = pd.concat(accepted, ignore_index=True)
    interviews.insert(interviews.columns.get_loc("recipient_id"), "recipient_pid",
                      pseudonymise(interviews["recipient_id"], key))
    interviews = interviews.drop(columns="recipient_id")
    interviews = interviews[_ordered_columns(cb)]
    from helpers.schema import interview_schema  # local import: pandera is slow to import

    interviews = interview_schema(cb).validate(interviews)
    return IngestResult(
        interviews=interviews,
        quarantine=pd.concat(quarantined, ignore_index=True),
        rosters={k: pd.concat(v, ignore_index=True) for k, v in rosters.items()},
        log=pd.DataFrame(logs),
        files=files,
        demo=(raw_dir / DEMO_MARKER).exists(),
    )


def _ordered_columns(cb: Codebook) -> list[str]:
    return ["interview_id", "year", "date", "interviewer_id", "role", "recipient_pid", "worker_id",
            "department", "stratum", "pair_id", "mode", "comment", "source_file", "source_row", *cb.item_codes]


def write_processed(result: IngestResult, out_dir: str | Path = "data/processed") -> list[Path]:
    """Write interviews, quarantine, rosters, the ingest log and the data dictionary to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in [("interviews", result.interviews), ("quarantine", result.quarantine),
                     ("ingest_log", result.log), *result.rosters.items()]:
        p = out / f"{name}.parquet"
        df.to_parquet(p, index=False)
        written.append(p)
    from helpers.schema import data_dictionary

    dd = data_dictionary(load_codebook())
    dd.to_csv(out / "data_dictionary.csv", index=False)
    written.append(out / "data_dictionary.csv")
    summary = {
        "rows_read": int(result.log["rows_read"].sum()),
        "rows_accepted": int(result.log["rows_accepted"].sum()),
        "rows_quarantined": int(result.log["rows_quarantined"].sum()),
        "files": result.log.to_dict(orient="records"),
        "demo": result.demo,
        "inputs": result.inputs,
    }
    (out / "ingest_summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    written.append(out / "ingest_summary.json")
    return written
