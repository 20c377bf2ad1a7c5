"""Ingestion of the registers: data contracts, validation, quarantine, pseudonyms, personal data dropped.

The contracts (columns fixed; controlled values typed as a code, a Russian or English label or an alias
of ``codebook.yaml``; dates ``DD.MM.YYYY`` or ``YYYY-MM-DD``; times ``HH:MM``) are documented in
``data/raw/README.md``. Per register and year ``YYYY``:

* ``mailbox_YYYY`` (one row per appeal) and optionally ``mailbox_collections_YYYY`` (one row per box
  opening, also when the box was empty);
* ``elibrary_users_YYYY`` (the register of users active in the year) and ``elibrary_mailings_YYYY``
  (the mailing journal, one row per mailing and user reached);
* ``support_line_YYYY`` (one row per contact);
* ``assistant_visits_YYYY`` (the coordinator's timesheet, one row per visit) and
  ``assistant_movements_YYYY`` (new users, terminations with reason, vacant positions, hires).

Two kinds of problem, as for the Mystery Guest and НОК:

* **file-level** (missing or unreadable file, missing or unknown column):
  :class:`helpers.io.ingest.DataContractError`, one line naming the file and the column;
* **row-level**: the row is quarantined with ``file, row, id, column, reason`` (row = line in the file,
  the header is row 1). ``rows read = rows accepted + rows quarantined`` is checked for every file.

Personal data never leave this module: free text (appeal text, signature, decision, notes), names and
contact details are dropped; recipients' and users' ids become keyed pseudonyms
(:func:`helpers.io.ingest.pseudonymise`). A quarantine reason never repeats a free-text or contact value:
for controlled columns the typed value is shown after :func:`_scrub` (every kind of :mod:`helpers.io.pii`
masked). The one free text kept, the appeal's ``department``, is scrubbed and its spans counted per file in the
log (``pii_<kind>``). Each problem is named once per row with its columns
(:class:`helpers.io.quarantine.RowProblems`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.io.ingest import (
    DataContractError,
    _parse_dates,
    pseudonymisation_key,
    pseudonymise,
    read_table,
)
from helpers.io.pii import COUNTED
from helpers.io.quarantine import RowProblems, empty_quarantine
from helpers.studies.registers.codebook import RegistersCodebook, load_registers_codebook

__all__ = ["REGISTERS", "RegisterData", "empty_quarantine", "ingest_register", "read_register_processed",
           "validate_for_run", "write_register_processed"]

EXT = r"\.(csv|txt|xlsx)$"
# register -> {table: (file stem, required?)}; the first table is the register's main file
REGISTERS: dict[str, dict[str, tuple[str, bool]]] = {
    "mailbox": {"appeals": ("mailbox", True), "collections": ("mailbox_collections", False)},
    "elibrary": {"users": ("elibrary_users", True), "mailings": ("elibrary_mailings", True)},
    "support_line": {"contacts": ("support_line", True)},
    "assistant": {"visits": ("assistant_visits", True), "movements": ("assistant_movements", False)},
}
COLUMNS = {  # (required, optional); optional personal columns are read and dropped
    "appeals": (["appeal_id", "settlement", "collected", "kind", "signed"],
                ["written", "worker_id", "department", "decision", "decision_date", "text", "signature"]),
    "collections": (["settlement", "date"], ["appeals", "collected_by"]),
    "users": (["user_id", "registered", "source", "channel"], ["left", "name", "contact"]),
    "mailings": (["mailing_id", "date", "topic", "user_id"], []),
    "contacts": (["contact_id", "date", "channel", "case_group", "outcome", "caller_id", "age_group"],
                 ["resolved_date", "name", "phone", "note"]),
    "visits": (["visit_id", "assistant_id", "user_id", "date", "start", "end"], ["assistant_name", "user_name"]),
    "movements": (["date", "movement"], ["user_id", "assistant_id", "reason"]),
}
# the id a quarantine row shows, taken from the validated table: a person's id only as its pseudonym
ID_COLUMN = {"appeals": "appeal_id", "collections": "settlement", "users": "user_pid", "mailings": "mailing_id",
             "contacts": "contact_id", "visits": "visit_id", "movements": "movement"}
WORKER_CODE = re.compile(r"^[A-Za-zА-Яа-я]{0,3}\d{1,4}$")

_PHONE = re.compile(r"(?:\+?\d[\s\-()]*){7,}\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _scrub(text: pd.Series) -> pd.Series:
    """Mask personal data in free text (phones, e-mails, names, SNILS, passport, INN, OMS, addresses, birth
    dates) with the patterns of the interviews' free text (:func:`helpers.io.pii.scrub_series`).

    >>> _scrub(pd.Series(["Спасибо Ивановой М. П., тел. +7 (918) 123-45-67, ivan@mail.ru"])).tolist()
    ['Спасибо [ФИО], тел. [телефон], [e-mail]']
    """
    from helpers.io.pii import scrub_series

    return scrub_series(text.fillna("").astype(str))[0].astype(object)


def _shown(values: pd.Series, width: int = 30) -> pd.Series:
    """A typed value as a quarantine reason may repeat it: scrubbed and cut to ``width`` characters."""
    s = _scrub(values.astype(str).str.strip())
    return s.where(s.str.len() <= width, s.str.slice(0, width) + "…")


def _quoted(mask, typed: pd.Series, before: str, after: str = "") -> np.ndarray:
    """Reasons that repeat the typed value (:func:`_shown`), built for the flagged rows only.

    >>> _quoted([False, True], pd.Series(["7", "x"]), "'", "' is not a date").tolist()
    ['', "'x' is not a date"]
    """
    mask = np.asarray(mask, dtype=bool)
    out = np.full(len(typed), "", dtype=object)
    if mask.any():
        out[mask] = (before + _shown(typed[mask]) + after).to_numpy()
    return out


@dataclass
class RegisterData:
    """Accepted tables of one register and year, the quarantine and the per-file log."""

    register: str
    year: int
    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    log: pd.DataFrame

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def _split(problems: RowProblems, out: pd.DataFrame, raw: pd.DataFrame, path: Path, id_column: str):
    """Accepted rows and the quarantine (ids scrubbed and cut as reasons show them); rows reconcile."""
    ids = _shown(out[id_column].astype(object).where(out[id_column].notna(), "")) if problems.rows else None
    accepted, q = problems.split(out, path, id_column, ids=ids)
    if len(raw) != len(accepted) + len(q):  # the reconciliation promise
        raise AssertionError(f"{path}: {len(raw)} rows read != {len(accepted)} + {len(q)}")
    return accepted, q


# ---- column checks ----------------------------------------------------------------------------------
def _require_columns(path: Path, df: pd.DataFrame, table: str) -> None:
    required, optional = COLUMNS[table]
    missing = [c for c in required if c not in df.columns]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise DataContractError(f"{path}: missing required column '{missing[0]}'{more}")
    unknown = [c for c in df.columns if c not in required + optional]
    if unknown:
        raise DataContractError(f"{path}: unknown column '{unknown[0]}'; expected {', '.join(required + optional)}")


def _col(raw: pd.DataFrame, name: str) -> pd.Series:
    return raw[name].astype(str).str.strip() if name in raw else pd.Series("", index=raw.index, dtype=object)


def _blank(s: pd.Series) -> np.ndarray:
    return (s == "").to_numpy()


def _ids(raw, column, problems, unique=True) -> pd.Series:
    ids = _col(raw, column)
    problems.add(_blank(ids), column, "missing value")
    if unique:
        dup = ids.duplicated(keep=False) & (ids != "")
        problems.add(dup, column, _quoted(dup, ids, "duplicate id '", "'"))
    return ids


def _vocab(raw, column, cb: RegistersCodebook, register: str, name: str, problems, required=True) -> pd.Series:
    typed = _col(raw, column)
    codes = typed.map(lambda v: cb.code(register, name, v) if v else None)
    if required:
        problems.add(_blank(typed), column, "missing value")
    expected = ", ".join(cb.codes(register, name))
    unknown = codes.isna() & (typed != "")
    problems.add(unknown, column, _quoted(unknown, typed, f"unknown {column} '", f"' (expected one of {expected})"))
    return codes.astype(object).where(codes.notna(), None)


def _dates(raw, column, problems, year: int | None = None, required=True) -> pd.Series:
    typed = _col(raw, column)
    d = _parse_dates(pd.Series(typed, dtype="string")).set_axis(raw.index)
    if required:
        problems.add(_blank(typed), column, "missing value")
    bad = d.isna().to_numpy() & ~_blank(typed)
    problems.add(bad, column, _quoted(bad, typed, "'", "' is not a date (DD.MM.YYYY or YYYY-MM-DD)"))
    if year is not None:
        outside = (d.dt.year != year).fillna(False).to_numpy(dtype=bool) & d.notna().to_numpy()
        problems.add(outside, column, f"{column} " + d.dt.strftime("%d.%m.%Y").fillna("") + f" outside the year {year}")
    return d


def _times(raw, column, problems) -> pd.Series:
    """``HH:MM`` -> minutes after midnight (float; NaN when blank or malformed)."""
    typed = _col(raw, column)
    m = typed.str.extract(r"^(\d{1,2})[:.](\d{2})(?::\d{2})?$")
    minutes = pd.to_numeric(m[0], errors="coerce") * 60 + pd.to_numeric(m[1], errors="coerce")
    bad = minutes.isna() | (pd.to_numeric(m[0], errors="coerce") > 24) | (pd.to_numeric(m[1], errors="coerce") > 59)
    problems.add(_blank(typed), column, "missing value")
    typed_bad = bad.to_numpy() & ~_blank(typed)
    problems.add(typed_bad, column, _quoted(typed_bad, typed, "'", "' is not a time (HH:MM)"))
    return minutes.where(~bad)


def _counts(raw, column, problems) -> pd.Series:
    typed = _col(raw, column).str.replace(r"[.,]0+$", "", regex=True)
    n = pd.to_numeric(typed.where(typed.str.fullmatch(r"\d+"), None), errors="coerce").astype("Int64")
    bad = n.isna().to_numpy() & ~_blank(typed)
    problems.add(bad, column, _quoted(bad, typed, "'", "' is not a whole number ≥ 0"))
    return n


def _after(later: pd.Series, earlier: pd.Series, column: str, problems, what: str) -> None:
    bad = (later < earlier).fillna(False).to_numpy(dtype=bool)
    problems.add(bad, column, what)


# ---- the tables -------------------------------------------------------------------------------------
def _appeals(raw, year, cb, problems, key) -> pd.DataFrame:
    out = pd.DataFrame({"appeal_id": _ids(raw, "appeal_id", problems)})
    out["year"] = year
    out["settlement"] = _vocab(raw, "settlement", cb, "mailbox", "settlements", problems)
    out["collected"] = _dates(raw, "collected", problems, year)
    out["written"] = _dates(raw, "written", problems, required=False)
    _after(out["collected"], out["written"], "written", problems, "written after the box was opened (collected)")
    out["kind"] = _vocab(raw, "kind", cb, "mailbox", "kinds", problems)
    out["signed"] = _vocab(raw, "signed", cb, "mailbox", "signed", problems)
    worker = _col(raw, "worker_id")
    not_code = (worker != "") & ~worker.str.fullmatch(WORKER_CODE.pattern)
    # a name typed where a code belongs is personal data: the reason does not repeat it
    problems.add(not_code, "worker_id", "worker_id must be a worker code such as W01, not a name or text")
    out["worker_id"] = worker.where(worker != "", None).str.upper()
    # the department is short free text: kept, but only after scrubbing personal data (counted in the log)
    from helpers.io.pii import scrub_series

    department, out.attrs["pii"] = scrub_series(_col(raw, "department").fillna(""))
    out["department"] = department.astype(object).where(lambda s: s != "", None)
    out["decision_date"] = _dates(raw, "decision_date", problems, required=False)
    _after(out["decision_date"], out["collected"], "decision_date", problems,
           "decision_date before the box was opened (collected)")
    decision = _col(raw, "decision")
    problems.add((decision != "").to_numpy() & out["decision_date"].isna().to_numpy(), "decision_date",
                 "a decision is recorded without its date")
    out["decision_taken"] = (decision != "") | out["decision_date"].notna()
    out["has_text"] = _col(raw, "text") != ""
    return out


def _collections(raw, year, cb, problems, key) -> pd.DataFrame:
    out = pd.DataFrame({"settlement": _vocab(raw, "settlement", cb, "mailbox", "settlements", problems)})
    out["date"] = _dates(raw, "date", problems, year)
    out["appeals"] = _counts(raw, "appeals", problems)
    dup = out.duplicated(["settlement", "date"], keep=False) & out["date"].notna() & out["settlement"].notna()
    problems.add(dup, "date", "the same box is recorded as opened twice on this date")
    return out


def _users(raw, year, cb, problems, key) -> pd.DataFrame:
    ids = _ids(raw, "user_id", problems)
    out = pd.DataFrame({"user_pid": pseudonymise(ids, key).astype(str)})
    out["year"] = year
    out["registered"] = _dates(raw, "registered", problems)
    problems.add((out["registered"].dt.year > year).fillna(False).to_numpy(dtype=bool), "registered",
                 f"registered after the year {year} of the register")
    out["left"] = _dates(raw, "left", problems, required=False)
    _after(out["left"], out["registered"], "left", problems, "left before registered")
    out["source"] = _vocab(raw, "source", cb, "elibrary", "sources", problems)
    out["channel"] = _vocab(raw, "channel", cb, "elibrary", "channels", problems)
    contact = _col(raw, "contact")
    email, phone = contact.str.contains(_EMAIL), contact.str.contains(_PHONE)
    problems.add((out["channel"] == "email") & (contact != "") & ~email, "contact",
                 "contact is not an e-mail address although the channel is e-mail")
    problems.add((out["channel"] == "whatsapp") & (contact != "") & ~phone, "contact",
                 "contact is not a phone number although the channel is WhatsApp")
    out["stratum"] = out["source"].astype(str) + "/" + out["channel"].astype(str)
    return out  # name and contact are dropped here


def _mailings(raw, year, cb, problems, key, users=None) -> pd.DataFrame:
    out = pd.DataFrame({"mailing_id": _ids(raw, "mailing_id", problems, unique=False)})
    out["year"] = year
    out["date"] = _dates(raw, "date", problems, year)
    out["topic"] = _vocab(raw, "topic", cb, "elibrary", "topics", problems)
    ids = _ids(raw, "user_id", problems, unique=False)
    out["user_pid"] = pseudonymise(ids, key).astype(str)
    dup = raw.assign(_u=ids).duplicated(["mailing_id", "_u"], keep=False) & (ids != "")
    problems.add(dup, "user_id", "the same user is listed twice in one mailing")
    if users is not None:
        reg = users.set_index("user_pid")
        known = out["user_pid"].isin(reg.index) & (ids != "")
        problems.add(~known & (ids != ""), "user_id", "user missing from the user register (or quarantined there)")
        span = out[["user_pid"]].merge(users[["user_pid", "registered", "left"]].drop_duplicates("user_pid"),
                                       on="user_pid", how="left").set_axis(out.index)
        start, end = pd.to_datetime(span["registered"]), pd.to_datetime(span["left"])
        _after(out["date"], start, "date", problems, "mailing dated before the user registered")
        _after(end, out["date"], "date", problems, "mailing dated after the user left")
    return out


def _contacts(raw, year, cb, problems, key) -> pd.DataFrame:
    out = pd.DataFrame({"contact_id": _ids(raw, "contact_id", problems)})
    out["year"] = year
    out["date"] = _dates(raw, "date", problems, year)
    out["channel"] = _vocab(raw, "channel", cb, "support_line", "channels", problems)
    out["case_group"] = _vocab(raw, "case_group", cb, "support_line", "case_groups", problems)
    out["outcome"] = _vocab(raw, "outcome", cb, "support_line", "outcomes", problems)
    out["caller_pid"] = pseudonymise(_ids(raw, "caller_id", problems, unique=False), key).astype(str)
    out["age_group"] = _vocab(raw, "age_group", cb, "support_line", "age_groups", problems)
    out["resolved_date"] = _dates(raw, "resolved_date", problems, required=False)
    _after(out["resolved_date"], out["date"], "resolved_date", problems, "resolved_date before the contact date")
    problems.add((out["outcome"] == "resolved").to_numpy() & out["resolved_date"].isna().to_numpy()
                 & (_col(raw, "resolved_date") == "").to_numpy(), "resolved_date",
                 "outcome is resolved but resolved_date is blank")
    out["days_to_resolution"] = (out["resolved_date"] - out["date"]).dt.days.astype("Float64")
    return out  # name, phone and note are dropped here


def _visits(raw, year, cb, problems, key) -> pd.DataFrame:
    out = pd.DataFrame({"visit_id": _ids(raw, "visit_id", problems)})
    out["year"] = year
    out["assistant_id"] = _ids(raw, "assistant_id", problems, unique=False)
    out["user_pid"] = pseudonymise(_ids(raw, "user_id", problems, unique=False), key).astype(str)
    out["date"] = _dates(raw, "date", problems, year)
    out["start_min"] = _times(raw, "start", problems)
    out["end_min"] = _times(raw, "end", problems)
    length = out["end_min"] - out["start_min"]
    problems.add((length <= 0).fillna(False).to_numpy(dtype=bool), "end", "end is not after start")
    max_h = float(cb.setting("assistant", "max_visit_hours"))
    problems.add((length > max_h * 60).fillna(False).to_numpy(dtype=bool), "end",
                 f"impossible visit: longer than {max_h:g} hours")
    h0, h1 = (int(cb.setting("assistant", k)[:2]) * 60 for k in ("day_start", "day_end"))
    problems.add(((out["start_min"] < h0) | (out["end_min"] > h1)).fillna(False).to_numpy(dtype=bool), "start",
                 f"visit outside {cb.setting('assistant', 'day_start')}-{cb.setting('assistant', 'day_end')}")
    out["hours"] = length / 60
    _overlaps(out, problems)
    return out


def _overlaps(out: pd.DataFrame, problems: RowProblems) -> None:
    """Flag visits of one assistant that overlap in time on the same day (both visits).

    Visits sorted by start within (assistant, day): a visit overlaps when it starts before the latest end so
    far; its reason names the visit that set that end (the first to reach it), and that visit - unless it
    overlaps one before it - names the first visit that overlaps it.
    """
    ok = (out["date"].notna() & (out["end_min"] > out["start_min"]).fillna(False) & (out["assistant_id"] != ""))
    d = out.loc[ok, ["assistant_id", "date", "start_min", "end_min", "visit_id"]]
    d = d.sort_values(["assistant_id", "date", "start_min"], kind="stable")
    if d.empty:
        return
    day = d[["assistant_id", "date"]]
    first = day.ne(day.shift()).any(axis=1).to_numpy()  # first visit of an (assistant, day)
    start, end = d["start_min"].to_numpy(float), d["end_min"].to_numpy(float)
    latest = pd.Series(end).groupby(np.cumsum(first)).cummax().to_numpy()
    before = np.where(first, -np.inf, np.roll(latest, 1))  # latest end among the day's earlier visits
    setter = pd.Series(np.where(end > before, np.arange(len(d)), np.nan)).ffill().to_numpy()
    by = np.roll(setter, 1)  # the visit that set ``before``
    labels, vid = d.index.to_numpy(), d["visit_id"].to_numpy(object)
    flagged: dict[int, str] = {}
    overlapping = np.flatnonzero(~first & (start < before))
    for i in overlapping:
        flagged[labels[i]] = f"overlaps visit '{vid[int(by[i])]}' of the same assistant"
    for i in overlapping:  # in visit order: the first visit overlapping it names it
        flagged.setdefault(labels[int(by[i])], f"overlaps visit '{vid[i]}' of the same assistant")
    mask = np.zeros(len(out), dtype=bool)
    reasons = np.full(len(out), "", dtype=object)
    for i, why in flagged.items():
        mask[i], reasons[i] = True, why
    problems.add(mask, "start", reasons)


def _movements(raw, year, cb, problems, key) -> pd.DataFrame:
    out = pd.DataFrame({"date": _dates(raw, "date", problems, year)})
    out["year"] = year
    out["movement"] = _vocab(raw, "movement", cb, "assistant", "movements", problems)
    user, assistant = _col(raw, "user_id"), _col(raw, "assistant_id")
    needs_user = out["movement"].isin(["new_user", "termination"]).to_numpy()
    problems.add(needs_user & _blank(user), "user_id", "a new user or a termination needs the user_id")
    needs_assistant = out["movement"].isin(["vacancy", "hire"]).to_numpy()
    problems.add(needs_assistant & _blank(assistant), "assistant_id", "a vacancy or a hire needs the assistant_id")
    out["user_pid"] = pseudonymise(user, key).astype(str).where(user != "", None)
    out["assistant_id"] = assistant.where(assistant != "", None)
    out["reason"] = _vocab(raw, "reason", cb, "assistant", "termination_reasons", problems, required=False)
    problems.add((out["movement"] == "termination").to_numpy() & _blank(_col(raw, "reason")), "reason",
                 "a termination needs its reason")
    return out


READERS = {"appeals": _appeals, "collections": _collections, "users": _users, "mailings": _mailings,
           "contacts": _contacts, "visits": _visits, "movements": _movements}


# ---- orchestration ----------------------------------------------------------------------------------
def find_register_files(raw_dir: str | Path, register: str, year: int) -> dict[str, Path]:
    """``{table: path}`` of one register and year; a missing required file is a one-line contract error."""
    raw_dir = Path(raw_dir)
    names = sorted(p for p in raw_dir.iterdir()) if raw_dir.is_dir() else []
    found: dict[str, Path] = {}
    for table, (stem, required) in REGISTERS[register].items():
        pattern = re.compile(rf"^{stem}_{year}{EXT}", re.I)
        hits = [p for p in names if pattern.match(p.name)]
        if len(hits) > 1:
            raise DataContractError(f"{hits[1]}: a second {stem} file for {year} ({hits[0].name} already found)")
        if hits:
            found[table] = hits[0]
        elif required:
            raise DataContractError(f"{raw_dir / f'{stem}_{year}.csv'}: {stem} file for {year} not found")
    return found


def ingest_register(raw_dir: str | Path, register: str, year: int, codebook: RegistersCodebook | None = None,
                    key: bytes | None = None) -> RegisterData:
    """Read and validate one register's files of one year under ``raw_dir``.

    Parameters
    ----------
    raw_dir : folder holding the raw files (``<stem>_<year>.csv|txt|xlsx``).
    register : ``"mailbox"``, ``"elibrary"``, ``"support_line"`` or ``"assistant"`` (:data:`REGISTERS`).
    year : the file's year; every date of a row must fall in it.
    codebook : the vocabularies (default: ``codebook.yaml``).
    key : pseudonymisation key (default :func:`helpers.io.ingest.pseudonymisation_key` of ``raw_dir``).

    Returns
    -------
    RegisterData
        ``tables`` (accepted rows, personal columns dropped, ids pseudonymised), ``quarantine``
        (``file, row, id, column, reason``) and ``log`` (rows read = accepted + quarantined per file).

    Raises
    ------
    DataContractError
        One line naming the file (and column) for a missing file, a missing or unknown column, two files
        of one register and year, or an unreadable file.
    """
    cb = codebook or load_registers_codebook()
    raw_dir = Path(raw_dir)
    files = find_register_files(raw_dir, register, year)
    key = key if key is not None else pseudonymisation_key(raw_dir)
    tables, quarantines, log = {}, [], []
    for table, path in files.items():
        raw = read_table(path, [*COLUMNS[table][0], *COLUMNS[table][1]]).reset_index(drop=True)
        _require_columns(path, raw, table)
        problems = RowProblems(unique_reasons=True)
        if table == "mailings":
            out = _mailings(raw, year, cb, problems, key, users=tables.get("users"))
        else:
            out = READERS[table](raw, year, cb, problems, key)
        out["source_row"] = np.arange(len(out), dtype="int64") + 2
        pii = out.attrs.get("pii", {})
        accepted, q = _split(problems, out, raw, path, ID_COLUMN[table])
        tables[table], quarantines = accepted, [*quarantines, q]
        log.append({"file": path.name, "rows_read": len(raw), "rows_accepted": len(accepted),
                    "rows_quarantined": len(q), **{f"pii_{k}": int(pii.get(k, 0)) for k in COUNTED}})
    quarantine = pd.concat([q for q in quarantines if len(q)] or [empty_quarantine()], ignore_index=True)
    return RegisterData(register, year, tables, quarantine, pd.DataFrame(log))


def write_register_processed(data: RegisterData, out_dir: str | Path) -> list[Path]:
    """Write ``registers_<register>_<table>_<year>.parquet`` (accepted tables, quarantine, log)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in {**data.tables, "quarantine": data.quarantine, "log": data.log}.items():
        p = out / f"registers_{data.register}_{name}_{data.year}.parquet"
        df.to_parquet(p, index=False)
        written.append(p)
    return written


def read_register_processed(processed_dir: str | Path, register: str, year: int) -> RegisterData | None:
    """The tables written by :func:`write_register_processed`, or ``None`` when they are absent."""
    d = Path(processed_dir)
    names = ["quarantine", "log", *REGISTERS[register]]
    paths = {n: d / f"registers_{register}_{n}_{year}.parquet" for n in names}
    if not all(paths[n].exists() for n in ("quarantine", "log", next(iter(REGISTERS[register])))):
        return None
    tables = {n: pd.read_parquet(p) for n, p in paths.items() if p.exists()}
    return RegisterData(register, year, {n: tables[n] for n in REGISTERS[register] if n in tables},
                        tables["quarantine"], tables["log"])


def load_register(raw_dir: str | Path, register: str, year: int, processed_dir: str | Path | None = None) -> RegisterData:
    """From ``processed_dir`` when the pipeline has written it, else validated now from ``raw_dir``."""
    data = read_register_processed(processed_dir, register, year) if processed_dir is not None else None
    return data if data is not None else ingest_register(raw_dir, register, year)


def register_years(raw_dir: str | Path, register: str, processed_dir: str | Path | None = None) -> list[int]:
    """Years for which ``raw_dir`` holds the register's main file, or ``processed_dir`` its validated log."""
    stem = next(iter(REGISTERS[register].values()))[0]
    pattern = re.compile(rf"^{stem}_(\d{{4}}){EXT}", re.I)
    done = re.compile(rf"^registers_{register}_log_(\d{{4}})\.parquet$")
    years = set()
    for folder, pat in ((raw_dir, pattern), (processed_dir, done)):
        if folder is not None and Path(folder).is_dir():
            years |= {int(m.group(1)) for p in Path(folder).iterdir() if (m := pat.match(p.name))}
    return sorted(years)


def _validator(register: str):
    def validate_for_run(raw_dir: str | Path, years: list[int], processed_dir: str | Path) -> list[dict]:
        done = [ingest_register(raw_dir, register, year) for year in years]  # every year checked before any write
        logs: list[dict] = []
        for data in done:
            write_register_processed(data, processed_dir)
            logs += data.log.to_dict(orient="records")
        return logs

    validate_for_run.__doc__ = (f"The pipeline's validation step of the {register} register (declared in its study "
                                "YAML): validates every year's files before any notebook (a bad file raises "
                                ":class:`DataContractError`: one line, exit 2), writes the processed tables and "
                                "returns the log rows (file, rows read, accepted, quarantined).")
    return validate_for_run


validate_mailbox = _validator("mailbox")
validate_elibrary = _validator("elibrary")
validate_support_line = _validator("support_line")
validate_assistant = _validator("assistant")


def validate_for_run(raw_dir: str | Path, years: list[int], processed_dir: str | Path) -> list[dict]:
    """Validate every register present in ``raw_dir`` for ``years`` (for a run of all registers at once)."""
    logs: list[dict] = []
    for register in REGISTERS:
        present = [y for y in register_years(raw_dir, register) if y in years]
        logs += _validator(register)(raw_dir, present, processed_dir)
    return logs


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.studies.registers.ingest RAW_DIR [--out DIR]``: validate every register's files.

    Prints rows read = accepted + quarantined per file; a file-level problem prints its one line, exit 2.
    """
    import argparse
    import sys

    ap = argparse.ArgumentParser(description="validate the registers' files")
    ap.add_argument("raw_dir")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    try:
        for register in REGISTERS:
            for year in register_years(a.raw_dir, register):
                data = ingest_register(a.raw_dir, register, year)
                for r in data.log.itertuples(index=False):
                    print(f"{r.file}: {r.rows_read} rows read = {r.rows_accepted} accepted + "
                          f"{r.rows_quarantined} quarantined")
                if a.out:
                    write_register_processed(data, a.out)
    except DataContractError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
