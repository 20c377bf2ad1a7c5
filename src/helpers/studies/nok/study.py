"""Everything the НОК report shows, computed once: :func:`open_nok_study`.

The notebook ``notebooks/nok.ipynb`` calls this and then only shows tables and figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.studies.nok import benchmark
from helpers.studies.nok.codebook import CRITERIA, NokCodebook, load_nok_codebook
from helpers.studies.nok.ingest import NokData, ingest_nok, read_nok_processed
from helpers.studies.nok.scoring import official_round, region_scores, score_organisations
from helpers.studies.nok.uncertainty import bootstrap_draws, ranking_table, score_intervals

__all__ = ["NokStudy", "load_nok_data", "open_nok_study", "region_intervals", "suggestion_counts"]


@dataclass
class NokStudy:
    """The year's validated data and every derived table of the НОК report."""

    year: int
    data: NokData
    scores: pd.DataFrame
    region: pd.DataFrame
    region_ci: pd.DataFrame
    intervals: pd.DataFrame
    ranking: pd.DataFrame
    plan: pd.DataFrame
    region_view: pd.DataFrame
    indicator_gaps: pd.DataFrame
    share_funnels: pd.DataFrame
    dissatisfaction: pd.DataFrame
    codebook: NokCodebook
    n_boot: int
    target: float


def region_intervals(draws: dict[str, np.ndarray], region: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The regional mean of every criterion and the total with its bootstrap interval.

    Use classic (multinomial) draws: the mean over organisations is far from the bounds, and the
    Jeffreys prior's small pull towards 50% would add up over the organisations.
    """
    a = (1 - level) / 2
    rows = []
    for m in [*CRITERIA, "total"]:
        reps = np.nanmean(draws[m], axis=1)
        low, high = np.quantile(reps, [a, 1 - a])
        est = float(region[m].iloc[0])
        rows.append({"measure": m, "estimate": est, "ci_low": min(low, est), "ci_high": max(high, est)})
    return pd.DataFrame(rows)


def load_nok_data(raw_dir: str | Path, year: int, processed_dir: str | Path | None = None,
                  codebook: NokCodebook | None = None) -> NokData:
    """The year's validated НОК tables: from ``processed_dir`` when the pipeline has written them
    (``nok_*_<year>.parquet``), else validated now from the raw files in ``raw_dir`` (nothing written)."""
    data = read_nok_processed(processed_dir, year) if processed_dir is not None else None
    return data if data is not None else ingest_nok(raw_dir, year, codebook)


def open_nok_study(raw_dir: str | Path, year: int, processed_dir: str | Path | None = None, n_boot: int = 2000,
                   seed: int = 2021, target: float = 95.0) -> NokStudy:
    """Load the year's НОК data (:func:`load_nok_data`) and compute scores, intervals, ranking,
    improvement plans, region view and funnels."""
    cb = load_nok_codebook()
    data = load_nok_data(raw_dir, year, processed_dir, cb)
    resp, orgs = data.respondents, data.organisations
    scores = score_organisations(resp, orgs, cb)
    draws = bootstrap_draws(resp, orgs, n_boot, seed, cb)
    intervals = score_intervals(resp, orgs, codebook=cb, draws=draws)
    region = region_scores(scores)
    classic = bootstrap_draws(resp, orgs, n_boot, seed + 2, cb, method="classic")
    return NokStudy(
        year=year, data=data, scores=scores, region=region, region_ci=region_intervals(classic, region),
        intervals=intervals, ranking=ranking_table(resp, orgs, codebook=cb, draws=draws),
        plan=benchmark.improvement_plan(scores, intervals, orgs, target, cb),
        region_view=benchmark.region_view(scores, cb), indicator_gaps=benchmark.region_indicator_gaps(scores, cb),
        share_funnels=benchmark.share_funnels(resp, cb), dissatisfaction=benchmark.dissatisfaction_funnel(resp, cb),
        codebook=cb, n_boot=n_boot, target=target,
    )


def suggestion_counts(respondents: pd.DataFrame) -> pd.DataFrame:
    """Respondents' suggestions (free text) per organisation with how many gave each, most frequent first.

    Free text may name people: for the internal audience only.

    >>> r = pd.DataFrame({"organisation_id": ["A", "A", "A"], "suggestions": ["Нужен лифт", " нужен лифт", ""]})
    >>> suggestion_counts(r).values.tolist()
    [['A', 'Нужен лифт', 2]]
    """
    text = respondents["suggestions"].fillna("").astype(str).str.strip()
    d = respondents.assign(suggestion=text, key=text.str.casefold())[text != ""]
    out = (d.groupby(["organisation_id", "key"], as_index=False)
           .agg(suggestion=("suggestion", "first"), respondents=("suggestion", "size")))
    return (out.sort_values(["organisation_id", "respondents"], ascending=[True, False], kind="stable")
            [["organisation_id", "suggestion", "respondents"]].reset_index(drop=True))


def official_totals(study: NokStudy) -> pd.Series:
    """The totals as published (2 decimals)."""
    return pd.Series(official_round(study.scores["total"].to_numpy()), index=study.scores["organisation_id"])
