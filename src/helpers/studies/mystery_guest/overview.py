"""Data overview: sample counts beside the published figures, coverage, missing answers, quarantine.

Tables of codes and numbers only; :mod:`helpers.narrative.overview` words them and
:mod:`helpers.figures.overview` draws them. The answer distribution is
:func:`helpers.studies.mystery_guest.scoring.answer_distribution` (one function for both reports).

The published figures are those of the Vyselki KCSON report (``docs/domain.md``); ``None`` means
the report gives no figure.

Examples
--------
>>> PUBLISHED[2020]["recipients"], PUBLISHED[2020]["home_care_recipients"]
(144, 130)
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.io.codebook import Codebook

__all__ = ["PUBLISHED", "counts_vs_published", "coverage", "interviews_per_worker", "load_processed", "missing_rates",
           "quarantine_reasons", "quarantine_summary", "redact_quoted", "sample_counts"]

PUBLISHED: dict[int, dict[str, int | None]] = {
    2018: {"workers": 4, "recipients": 35, "volunteers": 4, "home_care_recipients": None,
           "temporary_residence_recipients": None},
    2019: {"workers": 5, "recipients": 42, "volunteers": 4, "home_care_recipients": None,
           "temporary_residence_recipients": None},
    2020: {"workers": None, "recipients": 144, "volunteers": None, "home_care_recipients": 130,
           "temporary_residence_recipients": 14},
    2021: {"workers": None, "recipients": None, "volunteers": None, "home_care_recipients": None,
           "temporary_residence_recipients": None},
}


def load_processed(processed_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Read every table ingestion wrote (interviews, quarantine, ingest_log, workers, interviewers, strata)."""
    d = Path(processed_dir)
    names = ["interviews", "quarantine", "ingest_log", "workers", "interviewers", "strata"]
    missing = [n for n in names if not (d / f"{n}.parquet").exists()]
    if missing:
        raise FileNotFoundError(
            f"{d}: {missing[0]}.parquet not found; run `python -m helpers validate` (or `make reports`) first"
        )
    return {n: pd.read_parquet(d / f"{n}.parquet") for n in names}


def sample_counts(interviews: pd.DataFrame) -> pd.DataFrame:
    """Per year: interviews, recipients, workers, interviewers by role, pairs, recipients by department."""
    g = interviews.groupby("year")
    out = pd.DataFrame({
        "interviews": g.size(),
        "recipients": g["recipient_pid"].nunique(),
        "workers": g["worker_id"].nunique(),
        "volunteers": interviews[interviews["role"] == "volunteer"].groupby("year")["interviewer_id"].nunique(),
        "social_worker_interviewers": interviews[interviews["role"] == "social_worker"]
        .groupby("year")["interviewer_id"].nunique(),
        "complete_pairs": interviews.dropna(subset=["pair_id"]).groupby(["year", "pair_id"]).size()
        .eq(2).groupby("year").sum(),
        "home_care_recipients": interviews[interviews["department"] == "home_care"]
        .groupby("year")["recipient_pid"].nunique(),
        "temporary_residence_recipients": interviews[interviews["department"] == "temporary_residence"]
        .groupby("year")["recipient_pid"].nunique(),
    })
    return out.fillna(0).astype(int)


def counts_vs_published(interviews: pd.DataFrame, year: int) -> pd.DataFrame:
    """The year's counts side by side with the published figures.

    Columns: ``measure`` (a code of :func:`sample_counts`), ``observed``, ``published`` (``NaN`` where the
    report gives no figure) and ``match`` (``<NA>`` where there is nothing to compare).

    >>> f = pd.DataFrame({"year": [2020] * 2, "recipient_pid": ["a", "b"], "worker_id": ["W1", "W1"],
    ...                   "interviewer_id": ["I1", "I1"], "role": ["volunteer"] * 2, "pair_id": [None, None],
    ...                   "department": ["home_care"] * 2})
    >>> r = counts_vs_published(f, 2020).set_index("measure").loc["recipients"]
    >>> int(r["observed"]), float(r["published"]), bool(r["match"])
    (2, 144.0, False)
    """
    counts = sample_counts(interviews)
    row = counts.loc[year] if year in counts.index else pd.Series(0, index=counts.columns)
    pub = PUBLISHED.get(year, {})
    rows = []
    for measure in counts.columns:
        p = pub.get(measure)
        rows.append({"measure": measure, "observed": int(row[measure]),
                     "published": np.nan if p is None else float(p),
                     "match": pd.NA if p is None else bool(int(row[measure]) == p)})
    out = pd.DataFrame(rows)
    out["match"] = out["match"].astype("boolean")
    return out


def coverage(interviews: pd.DataFrame, strata: pd.DataFrame, year: int) -> pd.DataFrame:
    """Sampled recipients per stratum against the population served, with the sampling fraction.

    Columns: ``stratum, department, population, interviewed, sampling_fraction``.
    """
    st = strata[strata["year"] == year].set_index("stratum")
    sampled = interviews[interviews["year"] == year].groupby("stratum")["recipient_pid"].nunique()
    out = pd.DataFrame({"department": st["department"], "population": st["population"],
                        "interviewed": sampled.reindex(st.index).fillna(0).astype(int)})
    out["sampling_fraction"] = out["interviewed"] / out["population"]
    return out.reset_index()


def interviews_per_worker(interviews: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per social worker assessed in ``year``: department, interviews and distinct recipients."""
    df = interviews[interviews["year"] == year]
    g = df.groupby("worker_id")
    return pd.DataFrame({
        "department": g["department"].first(),
        "interviews": g.size(),
        "recipients": g["recipient_pid"].nunique(),
    }).reset_index()


def missing_rates(interviews: pd.DataFrame, cb: Codebook, year: int) -> pd.DataFrame:
    """Per item asked in ``year``: don't know, refused and blank counts and the share missing.

    Columns: ``item, n, dont_know, refused, blank, share_missing`` (``n`` = interviews of the year).
    """
    df = interviews[interviews["year"] == year]
    n = len(df)
    rows = []
    for item in cb.items_for_year(year):
        scale = cb.scale_of(item)
        code = pd.to_numeric(df[item], errors="coerce")
        kinds = {k: [c for c, e in scale.missing.items() if e.get("kind") == k] for k in ("dont_know", "refused")}
        dk = int(code.isin(kinds["dont_know"]).sum())
        ref = int(code.isin(kinds["refused"]).sum())
        blank = int(code.isna().sum())
        rows.append({"item": item, "n": n, "dont_know": dk, "refused": ref, "blank": blank,
                     "share_missing": (dk + ref + blank) / n if n else np.nan})
    return pd.DataFrame(rows)


def quarantine_summary(quarantine: pd.DataFrame, log: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Rows read, accepted and quarantined per file, with the reconciliation check (``reconciles``, bool)."""
    lg = log if year is None else log[log["year"] == year]
    out = lg[["file", "rows_read", "rows_accepted", "rows_quarantined"]].copy()
    out["reconciles"] = out["rows_read"] == out["rows_accepted"] + out["rows_quarantined"]
    return out


def quarantine_reasons(quarantine: pd.DataFrame, year: int | None = None, public: bool = True) -> pd.DataFrame:
    """File, row, column and reason of each quarantined row.

    Ingestion never stores the value of a personal-data column and scrubs every value it quotes, but a
    quoted cell (an answer typed as free text, an unknown id) is still raw data: in public reports
    (``public=True``, the default) every quoted value is replaced by ``'…'``.

    >>> q = pd.DataFrame({"file": ["f.csv"], "row": [7], "year": [2020], "column": ["mode"],
    ...                   "reason": ["unknown value 'позвонил сыну' (expected one of ['in_person', 'phone'])"]})
    >>> quarantine_reasons(q)["reason"].iloc[0]
    "unknown value '…' (expected one of ['in_person', 'phone'])"
    >>> quarantine_reasons(q, public=False)["reason"].iloc[0]
    "unknown value 'позвонил сыну' (expected one of ['in_person', 'phone'])"
    """
    q = quarantine if year is None else quarantine[quarantine["year"] == year]
    out = q[["file", "row", "column", "reason"]].reset_index(drop=True)
    if public:
        out["reason"] = out["reason"].astype(str).map(redact_quoted)
    return out


def redact_quoted(reason: str) -> str:
    """Replace every quoted cell value in a quarantine reason by ``'…'``, keeping lists of allowed codes.

    >>> redact_quoted("date 2020-01-15 outside survey year 2021; unknown answer label 'Иванов'")
    "date 2020-01-15 outside survey year 2021; unknown answer label '…'"
    """
    kept = re.sub(r"\[[^\]]*\]", lambda m: m.group(0).replace("'", "\x00"), reason)
    return re.sub(r"'[^']*'", "'…'", kept).replace("\x00", "'")
