"""Data overview: sample counts beside the published figures, answer distributions, missing answers.

The published figures are those of the Vyselki KCSON report (``docs/domain.md``); ``None`` means
the report gives no figure.

Examples
--------
>>> PUBLISHED[2020]["recipients"], PUBLISHED[2020]["home_care_recipients"]
(144, 130)
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.io.codebook import Codebook

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


def interviews_per_worker(interviews: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per social worker assessed in ``year``: department, interviews and distinct recipients."""
    df = interviews[interviews["year"] == year]
    g = df.groupby("worker_id")
    return pd.DataFrame({
        "department": g["department"].first(),
        "interviews": g.size(),
        "recipients": g["recipient_pid"].nunique(),
    }).reset_index()


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


def _wrap(text: str, width: int = 48) -> str:
    return textwrap.shorten(text, width=width, placeholder="…")


def plot_answer_distribution(interviews: pd.DataFrame, cb: Codebook, year: int, lang: str = "en") -> plt.Figure:
    """Stacked bars of answer shares per question, unfavourable answers left, favourable right, then greys
    for don't know, refused and blank. Positively keyed, reverse-keyed and yes/no questions are drawn in
    separate panels so that colours always mean the same: red = unfavourable, blue = favourable."""
    df = interviews[interviews["year"] == year]
    items = cb.items_for_year(year)
    ru = lang == "ru"
    groups = [
        ("согласие, положительная формулировка" if ru else "agreement, positively worded", [i for i in items if cb.items[i].scale == "agreement5" and not cb.items[i].reverse]),
        ("согласие, отрицательная формулировка (несогласие благоприятно)" if ru
         else "agreement, negatively worded (disagreeing is favourable)",
         [i for i in items if cb.items[i].scale == "agreement5" and cb.items[i].reverse]),
        ("да / нет" if ru else "yes / no", [i for i in items if cb.items[i].scale == "yesno"]),
    ]
    groups = [g for g in groups if g[1]]
    fig, axes = plt.subplots(len(groups), 1, figsize=(11, 0.42 * len(items) + 1.2 * len(groups) + 1),
                             gridspec_kw={"height_ratios": [len(g[1]) + 1.5 for g in groups]}, squeeze=False)
    greys = ["#9e9e9e", "#6e6e6e", "#d0d0d0"]
    for ax, (title, group) in zip(axes[:, 0], groups, strict=True):
        scale = cb.scale_of(group[0])
        codes = sorted(scale.codes, reverse=cb.items[group[0]].reverse)
        colours = list(plt.get_cmap("RdBu")(np.linspace(0.1, 0.9, len(codes))))
        cats = [(c, scale.codes[c][lang], col) for c, col in zip(codes, colours, strict=True)]
        cats += [(c, scale.missing[c][lang], g) for c, g in zip(sorted(scale.missing), greys, strict=False)]
        cats += [(None, "blank" if lang == "en" else "пусто", greys[-1])]
        left = np.zeros(len(group))
        for code, label, colour in cats:
            share = np.array([(df[i].isna() if code is None else df[i] == code).mean() * 100 for i in group])
            ax.barh([_wrap(cb.item_label(i, lang)) for i in group], share, left=left, color=colour, label=label,
                    edgecolor="white", linewidth=0.5)
            left += share
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_title(title, fontsize=10, loc="left")
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        ax.tick_params(axis="y", labelsize=8)
    axes[-1, 0].set_xlabel(f"доля интервью, % (n = {len(df)})" if ru else f"share of interviews, % (n = {len(df)})")
    fig.suptitle(f"Ответы по вопросам, {year} г." if ru else f"Answers per question, {year}", y=1.0)
    fig.tight_layout()
    return fig
