"""Ingestion of НОК files: the respondent survey and the organisation checklist, per year.

The data contract (column names are fixed; answers and kinds may be typed in Russian or English):

* ``nok_organisations_<year>.csv|xlsx``: ``organisation_id, name, kind, info_stand_required,
  info_stand_present, info_site_required, info_site_present, remote_channels, comfort_conditions,
  premises_conditions, services_conditions`` (counts found by the operator);
* ``nok_respondents_<year>.csv|xlsx``: ``respondent_id, organisation_id, q01 … q15`` (yes/no,
  да/нет, 1/0; blank where the filter question skipped it) and optionally ``sex, age, suggestions``
  (free text, personal data in it replaced by placeholders: :func:`helpers.io.pii.scrub`).

CSV files may be UTF-8 (with or without BOM) or Windows-1251, comma/semicolon/tab separated
(the reader of the Mystery Guest, :func:`helpers.io.ingest.read_table`).

Two kinds of problem, as for the Mystery Guest:

* **file-level** (file missing or unreadable, undecodable bytes, missing or unknown column):
  :class:`helpers.io.ingest.DataContractError`, one line naming the file (and row/column where known);
* **row-level**: the row is quarantined with ``file, row, id, column, reason`` (row = line in the
  file, the header is row 1). Skip logic is checked, never repaired: an answer to a question that its
  filter skipped (``q01 = no`` but ``q02`` answered) is quarantined, as is a blank answer the
  filter required. ``rows read = rows accepted + rows quarantined`` is checked for every file.
  Each problem is named once per row with its columns (:class:`helpers.io.quarantine.RowProblems`).

Personal data: the free-text ``suggestions`` are scrubbed at ingestion with the interviews' patterns
(:func:`helpers.io.pii.scrub_series`: names, phones, e-mails, SNILS, passport, INN, OMS, addresses, birth
dates), counted per file in the log (``pii_<kind>``); a value quoted in a quarantine reason is scrubbed first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.io.codebook import normalise_label
from helpers.io.ingest import DataContractError, read_table
from helpers.io.pii import COUNTED, scrub_series
from helpers.io.quarantine import RowProblems, empty_quarantine
from helpers.studies.nok.codebook import NokCodebook, load_nok_codebook

FILE_PATTERN = re.compile(r"^nok_(respondents|organisations)_(\d{4})\.(csv|txt|xlsx)$", re.I)
ORGANISATION_IDS = ["organisation_id", "name", "kind"]
RESPONDENT_IDS = ["respondent_id", "organisation_id"]
RESPONDENT_OPTIONAL = ["sex", "age", "suggestions"]

__all__ = ["NokData", "find_nok_files", "ingest_nok", "read_nok_processed", "read_organisations",
           "validate_respondents", "write_nok_processed"]


@dataclass
class NokData:
    """Accepted respondents and organisations of one year, the quarantine and the per-file log."""

    respondents: pd.DataFrame
    organisations: pd.DataFrame
    quarantine: pd.DataFrame
    log: pd.DataFrame
    year: int


def _require_columns(path: Path, df: pd.DataFrame, required: list[str], allowed: list[str]) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise DataContractError(f"{path}: missing required column '{missing[0]}'{more}")
    unknown = [c for c in df.columns if c not in allowed]
    if unknown:
        raise DataContractError(f"{path}: unknown column '{unknown[0]}'; expected the НОК contract's columns")


def _whole_numbers(s: pd.Series) -> pd.Series:
    text = s.str.strip().str.replace(r"[.,]0+$", "", regex=True)
    return pd.to_numeric(text.where(text.str.fullmatch(r"-?\d+"), None), errors="coerce").astype("Int64")


def _blank(s: pd.Series) -> np.ndarray:
    return (s.str.strip() == "").to_numpy()


def _safe(values: pd.Series) -> pd.Series:
    """A typed value as a quarantine reason may quote it: personal data scrubbed (``'[телефон]'``).

    >>> _safe(pd.Series(["5", "+7 916 123-45-67"])).tolist()
    ['5', '[телефон]']
    """
    return scrub_series(values.astype(str).fillna(""))[0].astype(object)


def _check_ids(raw: pd.DataFrame, column: str, problems: RowProblems, what: str) -> pd.Series:
    ids = raw[column].str.strip()
    problems.add(ids == "", column, "missing value")
    dup = ids.duplicated(keep=False) & (ids != "")
    problems.add(dup, column, f"duplicate {what} id '" + _safe(ids) + "'")
    return ids


# ---- organisations ---------------------------------------------------------------------------------
def read_organisations(path: str | Path, codebook: NokCodebook | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and validate the organisation checklist file. Returns (accepted, quarantine)."""
    cb, path = codebook or load_nok_codebook(), Path(path)
    columns = ORGANISATION_IDS + list(cb.checklist)
    raw = read_nok_table(path, cb).reset_index(drop=True)
    _require_columns(path, raw, columns, columns)
    problems = RowProblems()
    out = pd.DataFrame({"organisation_id": _check_ids(raw, "organisation_id", problems, "organisation"),
                        "name": raw["name"].str.strip()})
    problems.add(_blank(raw["name"]), "name", "missing value")
    lookup = cb.vocabulary_lookup(cb.kinds)
    kind = raw["kind"].map(lambda v: lookup.get(normalise_label(v)))
    problems.add(kind.isna() & ~_blank(raw["kind"]), "kind",
                 "unknown kind '" + _safe(raw["kind"]) + f"' (expected one of {sorted(cb.kinds)})")
    problems.add(_blank(raw["kind"]), "kind", "missing value")
    out["kind"] = kind
    for col, spec in cb.checklist.items():
        out[col] = _check_count(raw[col], col, spec, problems)
    for col, spec in cb.checklist.items():
        if "le" in spec:
            over = (out[col] > out[spec["le"]]).fillna(False).to_numpy(dtype=bool)
            problems.add(over, col, f"{col} " + out[col].astype(str) + f" exceeds {spec['le']} "
                         + out[spec["le"]].astype(str))
    return _reconciled(raw, *problems.split(out, path, "organisation_id"), path)


def _check_count(values: pd.Series, col: str, spec: dict, problems: RowProblems) -> pd.Series:
    n = _whole_numbers(values)
    blank = _blank(values)
    problems.add(blank, col, "missing value")
    problems.add(n.isna().to_numpy() & ~blank, col, "'" + _safe(values) + "' is not a whole number")
    low = (n < spec.get("min", 0)).fillna(False).to_numpy(dtype=bool)
    problems.add(low, col, f"{col} " + n.astype(str) + f" is below {spec.get('min', 0)}")
    if "max" in spec:
        high = (n > spec["max"]).fillna(False).to_numpy(dtype=bool)
        problems.add(high, col, f"{col} " + n.astype(str) + f" exceeds the {spec['max']} items of the list")
    return n


def _reconciled(raw, accepted, quarantine, path) -> tuple[pd.DataFrame, pd.DataFrame]:
    if len(raw) != len(accepted) + len(quarantine):  # the reconciliation promise
        raise AssertionError(f"{path}: {len(raw)} rows read != {len(accepted)} + {len(quarantine)}")
    return accepted, quarantine


# ---- respondents -----------------------------------------------------------------------------------
def _answers(raw: pd.DataFrame, cb: NokCodebook, problems: RowProblems) -> pd.DataFrame:
    lookup = cb.answer_lookup
    out = {}
    for q in cb.question_codes:
        key = raw[q].map(lambda v: normalise_label(re.sub(r"^\s*(\d+)[.,]0*\s*$", r"\1", str(v))))
        code = key.map(lambda k: lookup.get(k, -1) if k else -2).to_numpy()
        problems.add(code == -1, q, "unknown answer label '" + _safe(raw[q]) + "' (expected yes/no, да/нет or 1/0)")
        out[q] = pd.array(np.where(code >= 0, code, 0), dtype="Int64")
        out[q][code < 0] = pd.NA
    return pd.DataFrame(out, index=raw.index)


def _skip_logic(answers: pd.DataFrame, raw: pd.DataFrame, cb: NokCodebook, problems: RowProblems) -> None:
    """The questionnaire's filters: a skipped question must be blank, an opened one answered."""
    filtered = cb.filtered
    blank = {q: _blank(raw[q]) for q in cb.question_codes}
    for q in cb.question_codes:
        if q not in filtered:
            problems.add(blank[q], q, f"blank answer: every respondent is asked {q}")
    for q, f in filtered.items():
        no = (answers[f] == 0).fillna(False).to_numpy(dtype=bool)
        yes = (answers[f] == 1).fillna(False).to_numpy(dtype=bool)
        problems.add(no & ~blank[q], q, f"answer to {q} although {f} = no: the filter skips {q}")
        problems.add(yes & blank[q], q, f"blank answer to {q} although {f} = yes: the filter asks {q}")


def _extras(raw: pd.DataFrame, cb: NokCodebook, problems: RowProblems) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    sex = raw["sex"] if "sex" in raw else pd.Series("", index=raw.index, dtype="string")
    lookup = cb.vocabulary_lookup(cb.sex_vocabulary)
    out["sex"] = sex.map(lambda v: lookup.get(normalise_label(v)))
    problems.add(out["sex"].isna() & ~_blank(sex), "sex", "unknown value '" + _safe(sex) + "'")
    age = raw["age"] if "age" in raw else pd.Series("", index=raw.index, dtype="string")
    out["age"] = _whole_numbers(age)
    low, high = cb.age_range
    bad = (~_blank(age)) & (out["age"].isna() | (out["age"] < low) | (out["age"] > high)).fillna(True).to_numpy(dtype=bool)
    problems.add(bad, "age", "age '" + _safe(age) + f"' is not a whole number from {low} to {high}")
    # free text: personal data (names, phones, addresses, ...) replaced by placeholders before anything is kept
    suggestions = raw["suggestions"].str.strip() if "suggestions" in raw else pd.Series("", index=raw.index)
    cleaned, counts = scrub_series(suggestions.fillna(""))
    out["suggestions"] = cleaned.astype(object)
    out.attrs["pii"] = counts
    return out


def validate_respondents(raw: pd.DataFrame, path: str | Path, organisation_ids, codebook: NokCodebook | None = None,
                         organisations_file: str = "the organisation file", pii: dict[str, int] | None = None,
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate the respondent table against the questionnaire and the accepted organisations.

    Returns (accepted, quarantine). Answers become 1 (yes), 0 (no) or <NA> (skipped by a filter); the
    suggestions are scrubbed of personal data, whose spans per kind are added to ``pii`` when given.
    """
    cb, path = codebook or load_nok_codebook(), Path(path)
    _require_columns(path, raw, RESPONDENT_IDS + cb.question_codes,
                     RESPONDENT_IDS + cb.question_codes + RESPONDENT_OPTIONAL)
    raw = raw.reset_index(drop=True)
    problems = RowProblems()
    out = pd.DataFrame({"respondent_id": _check_ids(raw, "respondent_id", problems, "respondent")})
    org = raw["organisation_id"].str.strip()
    problems.add(org == "", "organisation_id", "missing value")
    unknown = ~org.isin(set(organisation_ids)) & (org != "")
    problems.add(unknown, "organisation_id",
                 "organisation '" + _safe(org) + f"' missing from {organisations_file} (or quarantined there)")
    out["organisation_id"] = org
    answers = _answers(raw, cb, problems)
    _skip_logic(answers, raw, cb, problems)
    extras = _extras(raw, cb, problems)
    if pii is not None:
        pii.update({k: pii.get(k, 0) + n for k, n in extras.attrs["pii"].items()})
    out = pd.concat([out, answers, extras], axis=1)
    out["source_file"] = path.name
    out["source_row"] = np.arange(len(out), dtype="int64") + 2
    return _reconciled(raw, *problems.split(out, path, "respondent_id"), path)


# ---- orchestration ---------------------------------------------------------------------------------
def find_nok_files(raw_dir: str | Path, year: int) -> dict[str, Path]:
    """``{"respondents": path, "organisations": path}`` of one year, or a one-line contract error."""
    raw_dir = Path(raw_dir)
    found: dict[str, Path] = {}
    for p in sorted(raw_dir.iterdir()) if raw_dir.is_dir() else []:
        m = FILE_PATTERN.match(p.name)
        if m and int(m.group(2)) == year:
            kind = m.group(1).lower()
            if kind in found:
                raise DataContractError(f"{p}: a second НОК {kind} file for {year} ({found[kind].name} already found)")
            found[kind] = p
    for kind in ("organisations", "respondents"):
        if kind not in found:
            raise DataContractError(f"{raw_dir / f'nok_{kind}_{year}.csv'}: НОК {kind} file for {year} not found")
    return found


def read_nok_table(path: str | Path, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """A НОК raw file (respondents or organisations, by its name) with every cell as text, headers as written."""
    cb, path = codebook or load_nok_codebook(), Path(path)
    if "organisations" in path.name.lower():
        return read_table(path, ORGANISATION_IDS + list(cb.checklist))
    return read_table(path, RESPONDENT_IDS + cb.question_codes)


def ingest_nok(raw_dir: str | Path, year: int, codebook: NokCodebook | None = None) -> NokData:
    """Read and validate the year's organisation checklist and respondent survey under ``raw_dir``."""
    cb = codebook or load_nok_codebook()
    files = find_nok_files(raw_dir, year)
    orgs, org_q = read_organisations(files["organisations"], cb)
    raw = read_nok_table(files["respondents"], cb)
    pii = dict.fromkeys(COUNTED, 0)
    resp, resp_q = validate_respondents(raw, files["respondents"], orgs["organisation_id"], cb,
                                        organisations_file=files["organisations"].name, pii=pii)
    log = pd.DataFrame([
        {"file": files["organisations"].name, "rows_read": len(orgs) + len(org_q),
         "rows_accepted": len(orgs), "rows_quarantined": len(org_q), **{f"pii_{k}": 0 for k in COUNTED}},
        {"file": files["respondents"].name, "rows_read": len(raw),
         "rows_accepted": len(resp), "rows_quarantined": len(resp_q), **{f"pii_{k}": pii[k] for k in COUNTED}},
    ])
    quarantine = pd.concat([q for q in (org_q, resp_q) if len(q)] or [empty_quarantine()], ignore_index=True)
    return NokData(respondents=resp, organisations=orgs, quarantine=quarantine, log=log, year=year)


def write_nok_processed(data: NokData, out_dir: str | Path) -> list[Path]:
    """Write the accepted tables, the quarantine and the log as ``nok_<table>_<year>.parquet``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("respondents", "organisations", "quarantine", "log"):
        p = out / f"nok_{name}_{data.year}.parquet"
        getattr(data, name).to_parquet(p, index=False)
        written.append(p)
    return written


def read_nok_processed(processed_dir: str | Path, year: int) -> NokData | None:
    """The validated tables written by :func:`write_nok_processed`, or ``None`` when they are absent."""
    d = Path(processed_dir)
    paths = {name: d / f"nok_{name}_{year}.parquet" for name in ("respondents", "organisations", "quarantine", "log")}
    if not all(p.exists() for p in paths.values()):
        return None
    tables = {name: pd.read_parquet(p) for name, p in paths.items()}
    return NokData(year=year, **tables)


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.studies.nok.ingest RAW_DIR --year 2021 [--out DIR]``: validate the year's НОК files.

    Prints rows read = accepted + quarantined per file (and writes the tables with ``--out``); a
    file-level problem prints its one-line message and returns 2, as the Mystery Guest CLI does.
    """
    import argparse
    import sys

    ap = argparse.ArgumentParser(description="validate the НОК files of one year")
    ap.add_argument("raw_dir")
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--out", default=None, help="write nok_*_<year>.parquet here")
    a = ap.parse_args(argv)
    try:
        data = ingest_nok(a.raw_dir, a.year)
    except DataContractError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for r in data.log.itertuples(index=False):
        print(f"{r.file}: {r.rows_read} rows read = {r.rows_accepted} accepted + {r.rows_quarantined} quarantined")
    if a.out:
        write_nok_processed(data, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def validate_for_run(raw_dir: str | Path, years: list[int], processed_dir: str | Path) -> list[dict]:
    """The pipeline's validation step of the НОК study (declared in ``studies/nok.yaml``).

    Validates every year's files before any notebook runs (a bad file raises :class:`DataContractError`,
    so the run stops with one line and exit 2) and writes ``nok_*_<year>.parquet`` to ``processed_dir``.
    Returns the ingestion log rows (file, rows read, accepted, quarantined).
    """
    logs: list[dict] = []
    for year in years:
        data = ingest_nok(raw_dir, year)
        write_nok_processed(data, processed_dir)
        logs += data.log.to_dict(orient="records")
    return logs
