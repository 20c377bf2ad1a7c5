"""Data overview: sample counts beside the published figures, answer distributions, missing answers.

The published figures are those of the Vyselki KCSON report (``shared/DOMAIN.md``); ``None`` means
the report gives no figure.

Examples
--------
>>> PUBLISHED[2020]["recipients"], PUBLISHED[2020]["home_care_recipients"]
(144, 130)
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.codebook import Codebook

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
    """The year's counts side by side with the published figures, with a match column."""
    counts = sample_counts(interviews)
    row = counts.loc[year] if year in counts.index else pd.Series(0, index=counts.columns)
    pub = PUBLISHED.get(year, {})
    rows = []
    for measure in counts.columns:
        p = pub.get(measure)
        rows.append({"measure": measure.replace("_", " "), "in the data": int(row[measure]),
                     "published": "—" if p is None else p,
                     "match": "—" if p is None else ("yes" if int(row[measure]) == p else "NO")})
    return pd.DataFrame(rows)


def coverage(interviews: pd.DataFrame, strata: pd.DataFrame, year: int) -> pd.DataFrame:
    """Sampled recipients per stratum against the population served, with the sampling fraction."""
    st = strata[strata["year"] == year].set_index("stratum")
    sampled = interviews[interviews["year"] == year].groupby("stratum")["recipient_pid"].nunique()
    out = pd.DataFrame({"department": st["department"], "population served": st["population"],
                        "recipients interviewed": sampled.reindex(st.index).fillna(0).astype(int)})
    out["sampling fraction"] = (out["recipients interviewed"] / out["population served"]).round(3)
    return out.reset_index()


def answer_distribution(interviews: pd.DataFrame, cb: Codebook, year: int, lang: str = "en") -> pd.DataFrame:
    """Per item asked in ``year``: share of each answer (substantive, don't know, refused, blank) with n."""
    df = interviews[interviews["year"] == year]
    rows = []
    for item in cb.items_for_year(year):
        scale = cb.scale_of(item)
        col = df[item]
        n = len(col)
        row = {"item": item, "text": cb.item_label(item, lang), "n": n}
        for code, entry in {**scale.codes, **scale.missing}.items():
            row[entry[lang]] = (col == code).sum() / n if n else np.nan
        row["blank"] = col.isna().sum() / n if n else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def missing_rates(interviews: pd.DataFrame, cb: Codebook, year: int) -> pd.DataFrame:
    """Per item: don't know, refused and blank shares with their counts (n = interviews of the year)."""
    df = interviews[interviews["year"] == year]
    n = len(df)
    rows = []
    for item in cb.items_for_year(year):
        dk = int((df[item] == 8).sum())
        ref = int((df[item] == 9).sum())
        blank = int(df[item].isna().sum())
        rows.append({"item": item, "n": n, "don't know": dk, "refused": ref, "blank": blank,
                     "share missing": (dk + ref + blank) / n if n else np.nan})
    return pd.DataFrame(rows)


def quarantine_summary(quarantine: pd.DataFrame, log: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Rows read, accepted and quarantined per file, with the reconciliation check."""
    lg = log if year is None else log[log["year"] == year]
    out = lg[["file", "rows_read", "rows_accepted", "rows_quarantined"]].copy()
    out["reconciles"] = np.where(out["rows_read"] == out["rows_accepted"] + out["rows_quarantined"], "yes", "NO")
    return out


def quarantine_reasons(quarantine: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    q = quarantine if year is None else quarantine[quarantine["year"] == year]
    return q[["file", "row", "column", "reason"]].reset_index(drop=True)


def plot_answer_distribution(dist: pd.DataFrame, title: str) -> plt.Figure:
    """Horizontal stacked bars of answer shares per item (best answer on the right)."""
    cats = [c for c in dist.columns if c not in ("item", "text", "n")]
    palette = plt.get_cmap("RdYlBu")(np.linspace(0.05, 0.95, len(cats)))
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(dist) + 1.5))
    left = np.zeros(len(dist))
    for color, c in zip(palette, cats, strict=True):
        vals = dist[c].fillna(0).to_numpy() * 100
        ax.barh(dist["item"], vals, left=left, color=color, label=c, edgecolor="white", linewidth=0.5)
        left += vals
    ax.invert_yaxis()
    ax.set_xlabel("share of interviews, %")
    ax.set_xlim(0, 100)
    ax.set_title(title)
    ax.legend(ncol=4, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.2 / max(len(dist), 1)))
    fig.tight_layout()
    return fig
