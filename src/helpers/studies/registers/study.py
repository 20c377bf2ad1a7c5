"""Everything the registers' reports show, computed once per report.

``open_mailbox_study``, ``open_elibrary_study``, ``open_support_line_study``, ``open_assistant_study`` and
``channels_overview``: each reads the validated tables (from ``processed_dir`` when the pipeline wrote them,
else validated now from ``raw_dir``) and computes every table of its notebook; the notebooks only show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.studies.registers import analyses as an
from helpers.studies.registers.codebook import RegistersCodebook, load_registers_codebook
from helpers.studies.registers.ingest import RegisterData, load_register, register_years
from helpers.studies.registers.sample import survey_sample

__all__ = ["AssistantStudy", "ElibraryStudy", "MailboxStudy", "SupportLineStudy", "CODE_COLUMNS", "channels_overview",
           "mystery_guest_workers", "open_assistant_study", "open_elibrary_study",
           "open_mailbox_study", "open_support_line_study"]

CODE_COLUMNS = {"settlement": ("mailbox", "settlements"), "kind": ("mailbox", "kinds"),
                "signed": ("mailbox", "signed"), "source": ("elibrary", "sources"),
                "channel": (None, None), "topic": ("elibrary", "topics"), "case_group": ("support_line", "case_groups"),
                "outcome": ("support_line", "outcomes"), "age_group": ("support_line", "age_groups"),
                "movement": ("assistant", "movements"), "reason": ("assistant", "termination_reasons")}


def _years(raw_dir, register: str, years, processed_dir) -> list[int]:
    if years is None:
        return register_years(raw_dir, register, processed_dir)
    return [int(y) for y in ([years] if isinstance(years, int | str) else years)]


def _load_all(raw_dir, register: str, years: list[int], processed_dir) -> dict[int, RegisterData]:
    return {y: load_register(raw_dir, register, y, processed_dir) for y in years}


def _concat(data: dict[int, RegisterData], table: str) -> pd.DataFrame:
    parts = [d.tables[table] for d in data.values() if table in d.tables]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _log(data: dict[int, RegisterData]) -> tuple[pd.DataFrame, pd.DataFrame]:
    log = pd.concat([d.log for d in data.values()], ignore_index=True) if data else pd.DataFrame()
    qs = [d.quarantine for d in data.values() if len(d.quarantine)]
    q = pd.concat(qs, ignore_index=True) if qs else pd.DataFrame(columns=["file", "row", "id", "column", "reason"])
    return log, q


# ---- Social Mailbox -----------------------------------------------------------------------------------
@dataclass
class MailboxStudy:
    years: list[int]
    appeals: pd.DataFrame
    collections: pd.DataFrame
    per_year: pd.DataFrame
    kinds: pd.DataFrame
    kinds_by_year: pd.DataFrame
    signed: pd.DataFrame
    settlements: pd.DataFrame
    calendar: pd.DataFrame
    calendar_summary: pd.DataFrame
    calendar_source: str  # "collections" (the box log) or "appeals" (only boxes that held an appeal are known)
    decisions: pd.DataFrame
    log: pd.DataFrame
    quarantine: pd.DataFrame
    gratitude: pd.DataFrame | None = None
    gratitude_note: str = ""
    codebook: RegistersCodebook = field(default_factory=load_registers_codebook)


def mystery_guest_workers(processed_dir) -> tuple[pd.DataFrame | None, str]:
    """Pooled rater-adjusted Mystery Guest composite per social worker from ``processed_dir``
    (``interviews.parquet``), or ``(None, reason)`` when the Mystery Guest data are absent."""
    path = Path(processed_dir) / "interviews.parquet" if processed_dir else None
    if path is None or not path.exists():
        return None, "no Mystery Guest data (interviews.parquet) in the processed folder"
    from helpers.studies.mystery_guest.overview import load_processed
    from helpers.studies.mystery_guest.scoring import score_interviews, worker_scores

    interviews = load_processed(processed_dir)["interviews"]
    return worker_scores(score_interviews(interviews), pooled=True), ""


def open_mailbox_study(raw_dir, years=None, processed_dir=None, internal: bool = False) -> MailboxStudy:
    """Every table of the mailbox report, computed once.

    Parameters
    ----------
    raw_dir, processed_dir : validated tables are read from ``processed_dir`` when the pipeline wrote them,
        else the raw files are validated now (nothing written).
    years : years to report (default: every year found).
    internal : add the workers named in gratitude beside their pooled rater-adjusted Mystery Guest composite
        (:func:`helpers.studies.mystery_guest.scoring.worker_scores` on ``processed_dir/interviews.parquet``; when absent,
        ``gratitude_note`` says so). Management only: never for the public audience.

    Returns
    -------
    MailboxStudy
        Appeals per year; kinds (all years and per year), signed/anonymous and settlements as shares with
        Wilson 95% intervals; the Friday collection calendar and its summary; days to decision.
    """
    cb = load_registers_codebook()
    years = _years(raw_dir, "mailbox", years, processed_dir)
    data = _load_all(raw_dir, "mailbox", years, processed_dir)
    appeals, collections = _concat(data, "appeals"), _concat(data, "collections")
    settlements = cb.codes("mailbox", "settlements")
    kinds = cb.codes("mailbox", "kinds")
    source = "collections"
    calendars = []
    for y in years:
        c = data[y].tables.get("collections")
        if c is None or not len(c):
            source = "appeals"
            a = data[y].tables["appeals"]
            c = a[["settlement", "collected"]].drop_duplicates().rename(columns={"collected": "date"})
        calendars.append(an.collection_calendar(c, y, settlements, cb.setting("mailbox", "collection_weekday"),
                                                cb.setting("mailbox", "late_days")).assign(year=y))
    calendar = pd.concat(calendars, ignore_index=True)
    log, q = _log(data)
    study = MailboxStudy(
        years=years, appeals=appeals, collections=collections, per_year=an.appeals_per_year(appeals),
        kinds=an.appeal_kinds(appeals, kinds), kinds_by_year=an.appeal_kinds(appeals, kinds, ["year"]),
        signed=an.share_table(appeals, "signed", cb.codes("mailbox", "signed"), ["year"]),
        settlements=an.appeals_by_settlement(appeals, settlements), calendar=calendar,
        calendar_summary=an.collection_summary(calendar), calendar_source=source,
        decisions=an.decision_times(appeals), log=log, quarantine=q, codebook=cb)
    if internal:
        workers, why = mystery_guest_workers(processed_dir)
        study.gratitude = an.gratitude_workers(appeals, workers)
        study.gratitude_note = why
    return study


# ---- E-library ----------------------------------------------------------------------------------------
@dataclass
class ElibraryStudy:
    years: list[int]
    users: pd.DataFrame
    mailings: pd.DataFrame
    compliance: pd.DataFrame
    not_reached: pd.DataFrame
    reach: pd.DataFrame
    reached_total: int
    reached_by_year: pd.DataFrame
    notes: dict
    sample: pd.DataFrame
    sample_seed: int
    log: pd.DataFrame
    quarantine: pd.DataFrame
    codebook: RegistersCodebook


def open_elibrary_study(raw_dir, years=None, processed_dir=None, sample_share: float = 0.10,
                        sample_seed: int = 2021) -> ElibraryStudy:
    """Every table of the E-library report, computed once.

    Parameters
    ----------
    raw_dir, processed_dir, years : as :func:`open_mailbox_study`.
    sample_share, sample_seed : the survey sample (:func:`helpers.studies.registers.sample.survey_sample`),
        drawn from the users in the register on 31 December of the latest year; ``sample_share ≤ 0.10``.

    Returns
    -------
    ElibraryStudy
        Users reached per year and overall (distinct pseudonyms), reach per channel and quarterly compliance
        with Wilson 95% intervals, the users not reached per quarter, the half-year notes and the sample.
    """
    cb = load_registers_codebook()
    years = _years(raw_dir, "elibrary", years, processed_dir)
    data = _load_all(raw_dir, "elibrary", years, processed_dir)
    users, mailings = _concat(data, "users"), _concat(data, "mailings")
    comp, missing = zip(*(an.quarterly_compliance(data[y]["users"], data[y]["mailings"], y) for y in years),
                        strict=True)
    notes = {(y, h): an.half_year_figures(data[y]["users"], data[y]["mailings"], y, h)
             for y in years for h in (1, 2)}
    latest = data[max(years)]["users"]
    by_year = pd.DataFrame([{"year": str(y), "users_reached": an.users_reached(data[y]["mailings"])} for y in years]
                           + [{"year": "all", "users_reached": an.users_reached(mailings)}])
    log, q = _log(data)
    return ElibraryStudy(
        years=years, users=users, mailings=mailings, compliance=pd.concat(comp, ignore_index=True),
        not_reached=pd.concat(missing, ignore_index=True), reach=an.reach_per_channel(users, mailings),
        reached_total=an.users_reached(mailings), reached_by_year=by_year, notes=notes,
        sample=survey_sample(latest, sample_share, sample_seed, on=pd.Timestamp(max(years), 12, 31)),
        sample_seed=sample_seed, log=log, quarantine=q, codebook=cb)


# ---- Support Line --------------------------------------------------------------------------------------
@dataclass
class SupportLineStudy:
    years: list[int]
    contacts: pd.DataFrame
    weekly: pd.DataFrame
    case_mix: pd.DataFrame
    case_mix_by_year: pd.DataFrame
    resolution: pd.DataFrame
    repeats: pd.DataFrame
    channels: pd.DataFrame
    age_groups: pd.DataFrame
    log: pd.DataFrame
    quarantine: pd.DataFrame
    codebook: RegistersCodebook


def open_support_line_study(raw_dir, years=None, processed_dir=None) -> SupportLineStudy:
    """Every table of the Support Line report: weekly load with the COVID-19 periods of the codebook, case-group,
    channel and age-group mix (Wilson 95% intervals), resolution times and repeat callers (pseudonyms)."""
    cb = load_registers_codebook()
    years = _years(raw_dir, "support_line", years, processed_dir)
    data = _load_all(raw_dir, "support_line", years, processed_dir)
    contacts = _concat(data, "contacts")
    groups = cb.codes("support_line", "case_groups")
    log, q = _log(data)
    return SupportLineStudy(
        years=years, contacts=contacts, weekly=an.weekly_load(contacts, cb.setting("support_line", "covid_periods")),
        case_mix=an.case_mix(contacts, groups), case_mix_by_year=an.case_mix(contacts, groups, ["year"]),
        resolution=an.resolution_times(contacts), repeats=an.repeat_contacts(contacts),
        channels=an.share_table(contacts, "channel", cb.codes("support_line", "channels"), ["year"]),
        age_groups=an.share_table(contacts, "age_group", cb.codes("support_line", "age_groups"), ["year"]),
        log=log, quarantine=q, codebook=cb)


# ---- assistant support -----------------------------------------------------------------------------------
@dataclass
class AssistantStudy:
    year: int
    visits: pd.DataFrame
    movements: pd.DataFrame
    per_assistant: pd.DataFrame
    per_user: pd.DataFrame
    heatmap: pd.DataFrame
    movement: pd.DataFrame
    reasons: pd.DataFrame
    users_served: int
    data_errors: pd.DataFrame
    log: pd.DataFrame
    quarantine: pd.DataFrame
    codebook: RegistersCodebook


def open_assistant_study(raw_dir, year: int, processed_dir=None) -> AssistantStudy:
    """Every table of the assistant-support report of one timesheet year: hours, visits and users per
    assistant, hours per user, the hour × weekday heatmap, movements, termination reasons, and the visits
    quarantined as data errors (overlapping, reversed, impossible or outside working hours)."""
    cb = load_registers_codebook()
    data = load_register(raw_dir, "assistant", int(year), processed_dir)
    visits = data["visits"]
    movements = data.tables.get("movements", pd.DataFrame(columns=["date", "movement", "reason"]))
    q = data.quarantine
    errors = q[q["file"].str.startswith("assistant_visits")]
    return AssistantStudy(
        year=int(year), visits=visits, movements=movements, per_assistant=an.hours_per_assistant(visits),
        per_user=an.hours_per_user(visits), heatmap=an.hours_heatmap(visits),
        movement=an.caseload_movement(movements) if len(movements) else pd.DataFrame(),
        reasons=an.termination_reasons(movements) if len(movements) else pd.DataFrame(),
        users_served=int(visits["user_pid"].nunique()), data_errors=errors, log=data.log, quarantine=q, codebook=cb)


# ---- one overview across channels -------------------------------------------------------------------------
# the trends report's two composite estimates the summary shows: the constant instrument (model-based, random
# effects for worker, interviewer and recipient) and every interview as conducted (design-weighted, clustered)
MG_MEASURES = {"reference": "composite_index", None: "composite_index_all"}


def mg_composite(processed_dir, years, artefact_dir=None) -> pd.DataFrame | None:
    """The Mystery Guest composite index per year **as the trends report estimates it**: the run's trends
    artefacts ``trends.summary`` (:func:`helpers.studies.mystery_guest.trends.yearly_summary`), loaded when the
    trends report of the run computed them (the executive summary shows the same), never recomputed from
    interviews taken as independent. One row per (year, measure): ``composite_index`` (constant instrument) and
    ``composite_index_all`` (every interview), with ``estimate, ci_low, ci_high`` and ``n`` (interviews).
    ``None`` without validated interviews.
    """
    path = Path(processed_dir) / "interviews.parquet" if processed_dir else None
    if path is None or not path.exists():
        return None
    from helpers.studies.mystery_guest import trends
    from helpers.studies.mystery_guest.study import open_study

    study = open_study(processed_dir, artefact_dir)
    mg_years = [int(y) for y in years if int(y) in study.years]
    if not mg_years:
        return None
    rows = []
    for instrument, measure in MG_MEASURES.items():
        s = trends.artefact(study, "summary", mg_years, instrument=instrument)
        c = s[s["measure"] == "composite"]
        rows += [{"year": int(r.year), "measure": measure, "estimate": float(r.estimate), "n": int(r.n),
                  "ci_low": float(r.ci_low), "ci_high": float(r.ci_high)} for r in c.itertuples()]
    return pd.DataFrame(rows)


def channels_overview(raw_dir, years, processed_dir=None, artefact_dir=None) -> tuple[pd.DataFrame, list[str]]:
    """Per year and channel, what it says about the centre: one row per (year, channel, measure) with its
    value, n and 95% interval where it is an estimate. Returns (table, notes on channels without data).

    Mystery Guest: the composite index (0-100) of the trends report, :func:`mg_composite` (constant instrument
    and every interview, each with its model- or design-based interval; loaded from the run's artefacts in
    ``artefact_dir`` when the trends report computed them). Mailbox: appeals, share of gratitude, complaints (Wilson). E-library: users
    reached, share of active users reached every quarter. Support Line: contacts. Assistant support: users
    served, hours.
    """
    years = [int(y) for y in years]
    rows, notes = [], []

    def add(year, channel, measure, value, n=np.nan, low=np.nan, high=np.nan):
        rows.append({"year": year, "channel_name": channel, "measure": measure, "value": value, "n": n,
                     "ci_low": low, "ci_high": high})

    mg = mg_composite(processed_dir, years, artefact_dir)
    if mg is None:
        notes.append("mystery_guest")
    else:
        for r in mg.itertuples():
            add(r.year, "mystery_guest", r.measure, r.estimate, r.n, r.ci_low, r.ci_high)
    for register in ("mailbox", "elibrary", "support_line", "assistant"):
        present = [y for y in register_years(raw_dir, register, processed_dir) if y in years]
        if not present:
            notes.append(register)
        for y in present:
            d = load_register(raw_dir, register, y, processed_dir)
            if register == "mailbox":
                a = d["appeals"]
                k = int((a["kind"] == "gratitude").sum())
                lo, hi = an.wilson_interval(k, len(a))
                add(y, register, "appeals", len(a))
                add(y, register, "gratitude_share", 100 * k / len(a) if len(a) else np.nan, len(a), 100 * lo, 100 * hi)
                c = int((a["kind"] == "complaint").sum())
                lo, hi = an.wilson_interval(c, len(a))
                add(y, register, "complaint_share", 100 * c / len(a) if len(a) else np.nan, len(a), 100 * lo, 100 * hi)
            elif register == "elibrary":
                comp, _ = an.quarterly_compliance(d["users"], d["mailings"], y)
                add(y, register, "users_reached", an.users_reached(d["mailings"]))
                k, n = int(comp["compliant"].sum()), int(comp["users"].sum())
                lo, hi = an.wilson_interval(k, n)
                add(y, register, "quarters_with_mailing_share", 100 * k / n if n else np.nan, n, 100 * lo, 100 * hi)
            elif register == "support_line":
                add(y, register, "contacts", len(d["contacts"]))
            else:
                add(y, register, "users_served", int(d["visits"]["user_pid"].nunique()))
                hours = float(d["visits"]["hours"].sum())
                add(y, register, "hours", int(hours) if hours.is_integer() else hours)
    out = pd.DataFrame(rows, columns=["year", "channel_name", "measure", "value", "n", "ci_low", "ci_high"])
    out["n"] = out["n"].astype("Int64")
    # counts stay whole numbers in the report, estimates keep their decimals
    out["value"] = pd.Series([int(v) if not m.endswith(("_share", "_index", "_all"))
                              and (m != "hours" or float(v).is_integer()) else float(v)
                              for v, m in zip(out["value"], out["measure"], strict=True)], dtype=object)
    return out, notes
