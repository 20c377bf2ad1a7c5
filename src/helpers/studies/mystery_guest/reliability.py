"""Agreement between volunteer and social-worker interviewers of the same recipient (inter-rater reliability).

The domain analyses of the Mystery Guest survey, built on :mod:`helpers.stats.rater_agreement`,
:mod:`helpers.stats.score_agreement` and the K x K table engine :mod:`helpers.stats.agreement`:

* the pairs: :func:`paired_tables` (one K x K table per item), :func:`pair_design` (interviewers, worker,
  stratum and design weight of each pair), :func:`paired_scores`, :func:`paired_years`,
  :func:`select_interviews`;
* agreement per item: :func:`compare_interviewers` (tidy table of every coefficient with cluster-bootstrap
  or design-weighted intervals; issue 9), :func:`item_agreement` (one item's table, batched bootstrap),
  :func:`weighted_vs_unweighted_agreement`, :func:`least_agreeing`, :func:`stuart_maxwell_holm`;
* scores: :func:`compare_scores` (ICC, Bland-Altman, Wilcoxon per domain and composite);
* interviewers: :func:`interviewer_leniency` (funnel limits), :func:`intra_interviewer_correlation`;
* warnings as data: :func:`kappa_paradox` / :func:`kappa_paradoxes` (the kappa paradox detector),
  :func:`ceiling_items` (few pairs at the ceiling), :func:`weights_differ`.

Tables carry codes (item codes, statistic names, reasons); the words a reviewer reads are written by
:mod:`helpers.narrative.reliability`, the figures drawn by :mod:`helpers.figures.reliability`.

Survey-level intervals (:func:`compare_interviewers`) resample the interviewers as clusters by default
(pigeonhole bootstrap of per-interviewer-pair K x K tables, Owen 2007; ``resample="pairs"``: multinomial
resampling of the table, intervals conditional on these interviewers); either way 2,000 resamples cost the
same for 100 pairs as for a million. Percent agreement has an exact (Clopper-Pearson) interval, degenerate
bootstraps give NaN with a reason, and ``strata`` (the roster) gives design-weighted tables (issue 9).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers.stats.agreement import (
    bootstrap_table_ci,
    cluster_tables,
    pigeonhole_tables,
    resample_tables,
    stratified_tables,
    table_coefficients,
    table_from_codes,
    table_intervals,
)
from helpers.stats.comparisons import holm
from helpers.stats.funnel import mean_funnel_limits
from helpers.stats.rater_agreement import stuart_maxwell
from helpers.stats.score_agreement import bland_altman, icc, wilcoxon_signed_rank
from helpers.stats.survey import design_weights
from helpers.studies.mystery_guest.scoring import ID_COLUMNS

__all__ = [
    "CEILING_N_MAX",
    "CEILING_TOP_SHARE",
    "RESAMPLING",
    "ROLES",
    "SUMMARY_STATISTICS",
    "TIDY_COLUMNS",
    "InterviewerEffect",
    "KappaParadox",
    "ceiling_items",
    "compare_interviewers",
    "compare_scores",
    "funnel_band",
    "intra_interviewer_correlation",
    "interviewer_leniency",
    "item_agreement",
    "kappa_paradox",
    "kappa_paradoxes",
    "least_agreeing",
    "pair_design",
    "paired_scores",
    "paired_tables",
    "paired_years",
    "score_columns",
    "select_interviews",
    "stuart_maxwell_holm",
    "weighted_vs_unweighted_agreement",
    "weights_differ",
]

ROLES = ("volunteer", "social_worker")

#: the coefficients a report shows per item (the tidy table holds all of :data:`COEFFICIENTS`)
SUMMARY_STATISTICS = ("percent_agreement", "cohen_kappa", "gwet_ac1", "krippendorff_alpha_ordinal")


# ==============================================================================================
# survey level: pairs of interviews
# ==============================================================================================
def _pairs(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Wide frame, one row per pair_id, columns ``(role, column)`` for the two roles."""
    f = frame[frame["pair_id"].notna() & frame["role"].isin(ROLES)]
    f = f.sort_values(["pair_id", "role", "interview_id"])
    f = f.drop_duplicates(["pair_id", "role"], keep="first")
    wide = f.pivot(index="pair_id", columns="role", values=list(columns))
    wide = wide.swaplevel(0, 1, axis=1)
    both = [r for r in ROLES if r in wide.columns.get_level_values(0)]
    if len(both) < 2:
        return wide.iloc[0:0]
    return wide


def _pair_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Positions (in the returned frame) of the volunteer and the social-worker interview of every
    complete pair. Same rule as :func:`_pairs` (first interview_id per role), without a pivot."""
    f = frame[frame["pair_id"].notna() & frame["role"].isin(ROLES)]
    if f.duplicated(["pair_id", "role"]).any():
        f = f.sort_values(["pair_id", "role", "interview_id"])
        f = f.drop_duplicates(["pair_id", "role"], keep="first")
    codes, uniques = pd.factorize(f["pair_id"])
    is_v = (f["role"] == "volunteer").to_numpy()
    vol = np.full(len(uniques), -1, dtype=np.int64)
    sw = np.full(len(uniques), -1, dtype=np.int64)
    vol[codes[is_v]] = np.flatnonzero(is_v)
    sw[codes[~is_v]] = np.flatnonzero(~is_v)
    both = (vol >= 0) & (sw >= 0)
    return f, vol[both], sw[both]


def _positions(values: pd.Series, cats: Sequence[int]) -> np.ndarray:
    """Position of each code among ``cats`` (0..K-1); -1 for missing or non-substantive codes."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    c = np.asarray(cats, dtype=float)
    idx = np.clip(np.searchsorted(c, v), 0, len(c) - 1)
    return np.where(c[idx] == v, idx, -1).astype(np.int64)


def paired_tables(interviews: pd.DataFrame, codebook, items: Sequence[str] | None = None
                  ) -> dict[str, tuple[np.ndarray, list]]:
    """K x K tables (rows volunteer, columns social worker) of every item over the pairs.

    Codes 8 (don't know) and 9 (refused) and blanks are missing; the categories are the item's
    full scale (worst to best code), so categories used by only one role, or by none, still count.
    """
    items = list(items) if items is not None else [i for i in codebook.items
                                                   if i in interviews.columns]
    f, vol, sw = _pair_rows(interviews)
    out = {}
    for item in items:
        cats = sorted(codebook.scale_of(item).codes)
        pos = _positions(f[item], cats)
        out[item] = (table_from_codes(pos[vol], pos[sw], len(cats)), cats)
    return out


#: resampling schemes of :func:`compare_interviewers`: the clustering factors resampled
RESAMPLING: dict[str, tuple[str, ...]] = {
    "interviewers": ("volunteer_interviewer", "social_worker_interviewer"),
    "interviewers+workers": ("volunteer_interviewer", "social_worker_interviewer", "worker_id"),
    "workers": ("worker_id",),
    "pairs": (),
}


def pair_design(interviews: pd.DataFrame, strata: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per complete pair: ``pair_id``, the two interviewers, the worker, year, stratum and
    (with the roster ``strata``) the design weight of the recipient.

    Same pairing rule as :func:`paired_tables` (rows in the same order). The weight is
    :func:`helpers.stats.survey.design_weights` on the pairs: stratum population / pairs in the stratum
    (2020 demo: 1300/130 = 10 for home care, 14/14 = 1 for temporary residence).
    """
    f, vol, sw = _pair_rows(interviews)
    v = f.iloc[vol].reset_index(drop=True)
    s = f.iloc[sw].reset_index(drop=True)
    out = pd.DataFrame({"pair_id": v["pair_id"].to_numpy()})
    for col, src in (("volunteer_interviewer", v), ("social_worker_interviewer", s)):
        out[col] = src["interviewer_id"].to_numpy() if "interviewer_id" in src else pd.NA
    for col in ("worker_id", "year", "stratum"):
        out[col] = v[col].to_numpy() if col in v else pd.NA
    if strata is not None and len(out):
        by = ("year", "stratum")
        out["weight"] = design_weights(out, strata, by).to_numpy()
    else:
        out["weight"] = 1.0
    return out


def _item_seed(seed: int, label: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(label.encode())])


def _resampled(a, b, k, design, resample, weighted, n_boot, rng):
    """Bootstrap tables of one item and the name of the resampling (see compare_interviewers)."""
    w = design["weight"].to_numpy(float) if weighted else None
    if resample == "pairs":
        if not weighted:
            t = table_from_codes(a, b, k)
            return (resample_tables(t, n_boot, rng) if t.sum() >= 2 else None), "pairs"
        key = design["year"].astype(str) + "|" + design["stratum"].astype(str)
        ct = cluster_tables(a, b, k, {"stratum": key})
        codes = pd.factorize(key.astype("object"))[0]
        wh = pd.Series(w).groupby(codes).first().reindex(ct.levels[0]).to_numpy(float)
        return (stratified_tables(ct.tables, wh, n_boot, rng) if ct.n.sum() >= 2 else None), \
            "pairs within strata"
    factors = {f: design[f] for f in RESAMPLING[resample]}
    ct = cluster_tables(a, b, k, factors, w)
    if ct.n.sum() < 2:
        return None, resample
    return pigeonhole_tables(ct, n_boot, rng), resample


def item_agreement(table: np.ndarray, categories: Sequence, n_boot: int = 2000,
                   seed: int | np.random.Generator = 0, label: str = "",
                   method: str = "bca", boot_tables: np.ndarray | None = None,
                   resampling: str = "pairs", n: float | None = None) -> pd.DataFrame:
    """Tidy per-item rows: every coefficient of :data:`COEFFICIENTS` with intervals, plus the
    Stuart-Maxwell test (``estimate`` = chi2, ``p_value``, ``df``).

    Without ``boot_tables`` the pairs are resampled as independent units
    (:func:`bootstrap_table_ci`); with them (cluster or weighted resamples of the same item,
    from :func:`compare_interviewers`) the intervals come from those (:func:`table_intervals`);
    ``table`` may then be design-weighted and ``n`` is the number of pairs. The Stuart-Maxwell
    test always uses the unweighted table of the pairs."""
    if boot_tables is None and resampling == "pairs":
        res = bootstrap_table_ci(table, values=categories, n_boot=n_boot, seed=seed, method=method)
        counts = np.asarray(table)
    else:
        n = float(np.asarray(table).sum()) if n is None else n
        res = table_intervals(table, boot_tables, n, categories, method=method,
                              resampling=resampling)
        counts = None
    res["p_value"] = math.nan
    res["df"] = math.nan
    sm = stuart_maxwell(counts) if counts is not None else None
    if sm is not None:
        res = pd.concat([res, pd.DataFrame([{
            "statistic": "stuart_maxwell", "estimate": sm.estimate, "ci_low": math.nan,
            "ci_high": math.nan, "n": sm.n, "se": math.nan, "reason": sm.reason, "ci_method": "",
            "p_value": sm.p_value, "df": sm.df}])], ignore_index=True)
    res.insert(0, "item_or_domain", label)
    return res


TIDY_COLUMNS = ["item_or_domain", "level", "statistic", "estimate", "ci_low", "ci_high", "n",
                "reason", "p_value", "df", "se", "ci_method", "undefined_share", "weighted"]


def compare_interviewers(
    interviews: pd.DataFrame,
    codebook,
    n_boot: int = 2000,
    seed: int = 0,
    items: Sequence[str] | None = None,
    scores: pd.DataFrame | None = None,
    method: str = "bca",
    resample: str = "interviewers",
    strata: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Agreement of the volunteer and the social worker who interviewed the same recipient.

    Pairs the two interviews sharing a ``pair_id`` (one ``volunteer``, one ``social_worker``;
    if a role occurs twice in a pair the first interview_id is used). For every item of the
    codebook present in ``interviews`` (or ``items``): percent agreement, Cohen's kappa
    (unweighted, linear, quadratic), Scott's pi, Gwet's AC1 and AC2 (linear, quadratic),
    Brennan-Prediger, Krippendorff's alpha (nominal, ordinal, interval), each with an interval,
    and the Stuart-Maxwell test. Don't know (8) / refused (9) / blank are missing; every pair where
    both answered is used. The full scale of the item defines the categories. Seeds are derived
    from ``seed`` and the item code, so results are reproducible and do not depend on the order
    of the items.

    Uncertainty (``resample``; issue 9). The pairs of a year share a handful of interviewers
    (2020: 5 volunteers, 4 social-worker interviewers) and 15 workers, so they are not independent.

    * ``"interviewers"`` (default): two-way pigeonhole bootstrap of the crossed volunteer x
      social-worker-interviewer array (Owen 2007): both sets of interviewers are resampled as
      clusters, a pair's table is weighted by the product of its two interviewers' multiplicities
      (:func:`helpers.stats.agreement.pigeonhole_tables`; per-cell tables, so it stays vectorised).
      Percentile intervals; percent agreement Korn-Graubard. The intervals generalise to other
      interviewers like these. Workers are not resampled: the pigeonhole counts the pair-level
      variance about three times, which in the 2020 design more than covers the worker
      clustering; resampling workers as a third factor counts it seven times (simulated coverage
      of AC1 ~1.00). Simulated coverage of the 95% intervals in the 2020 shape
      (``benchmarks/bench_coverage.py``, 2,000 studies): AC1 0.967, percent agreement 0.968
      (pairs as units: 0.873 and 0.896). With a much stronger worker effect (SD 1.0 on the
      latent scale instead of 0.55) it falls to about 0.93: use ``"interviewers+workers"``
      (conservative) when workers differ a lot.
    * ``"interviewers+workers"`` (three-way pigeonhole, conservative), ``"workers"`` (one-way
      cluster bootstrap of workers).
    * ``"pairs"``: pairs resampled as independent units (multinomial table bootstrap, BCa;
      percent agreement exact Clopper-Pearson). The intervals are then *conditional on these
      interviewers and workers*. Frames without ``interviewer_id`` fall back to this (stated in
      ``ci_method``).

    Design weights (``strata``: the roster, ``year, stratum, population``; issue 9): the K x K
    table is design-weighted (each pair weighted by its recipient's inverse inclusion probability,
    :func:`pair_design`), so the coefficients estimate agreement over the population served
    rather than the sample, in which temporary residence is 10x over-represented in 2020;
    resampling as above (``"pairs"``: within strata). ``n`` stays the number of pairs. Without
    ``strata`` the agreement is that of the sampled pairs (unweighted), column ``weighted``.

    If ``scores`` (one row per interview: interview_id, pair_id, role, score columns, as from
    ``helpers.studies.mystery_guest.scoring.score_interviews``) is given, the rows of :func:`compare_scores` are
    appended (``level == "score"``).

    Returns a tidy frame: ``item_or_domain, level, statistic, estimate, ci_low, ci_high, n,
    reason, p_value, df, se, ci_method, undefined_share, weighted``.
    """
    if resample not in RESAMPLING:
        raise ValueError(f"resample must be one of {sorted(RESAMPLING)}, not {resample!r}")
    items = list(items) if items is not None else [i for i in codebook.items
                                                   if i in interviews.columns]
    f, vol, sw = _pair_rows(interviews)
    design = pair_design(interviews, strata)
    weighted = strata is not None
    scheme = resample
    need = RESAMPLING[resample]
    if any(design[c].isna().all() for c in need) and len(design):
        scheme = "pairs"
    parts = []
    for item in items:
        cats = sorted(codebook.scale_of(item).codes)
        pos = _positions(f[item], cats)
        a, b = pos[vol], pos[sw]
        k = len(cats)
        table = table_from_codes(a, b, k)
        rng = _item_seed(seed, item)
        if scheme == "pairs" and not weighted:
            part = item_agreement(table, cats, n_boot, rng, item, method)
            if scheme != resample:
                part["ci_method"] = part["ci_method"].where(
                    part["ci_method"] == "", part["ci_method"] + " (pairs as units: no "
                    "interviewer ids)")
        else:
            boot, name = _resampled(a, b, k, design, scheme, weighted, n_boot, rng)
            ok = (a >= 0) & (b >= 0)
            wt = cluster_tables(a, b, k, {}, design["weight"].to_numpy(float)).table \
                if weighted and ok.any() else table.astype(float)
            part = item_agreement(wt, cats, n_boot, rng, item, method, boot, name,
                                  float(table.sum()))
            sm = stuart_maxwell(table)
            part = pd.concat([part, pd.DataFrame([{
                "item_or_domain": item, "statistic": "stuart_maxwell", "estimate": sm.estimate,
                "n": sm.n, "reason": sm.reason, "p_value": sm.p_value, "df": sm.df,
                "ci_method": ""}])], ignore_index=True)
        part["level"] = "item"
        part["weighted"] = weighted
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=TIDY_COLUMNS)
    if scores is not None:
        out = pd.concat([out, compare_scores(scores, n_boot=n_boot, seed=seed)],
                        ignore_index=True)
    return out.reindex(columns=TIDY_COLUMNS)


_ID_COLUMNS = {*ID_COLUMNS, "date", "n_items", "n_answered"}


def score_columns(scores: pd.DataFrame) -> list[str]:
    """Numeric score columns of a scores frame (everything numeric that is not an id)."""
    return [c for c in scores.columns
            if c not in _ID_COLUMNS and pd.api.types.is_numeric_dtype(scores[c])]


def compare_scores(scores: pd.DataFrame, columns: Sequence[str] | None = None,
                   n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Agreement of volunteer and social-worker scores (domains, composite) over the pairs.

    For each score column: the six ICC forms (:func:`icc`; ``p_value`` of the F test),
    Bland-Altman bias, SD and limits with intervals (:func:`bland_altman`, difference =
    volunteer - social worker, so a positive bias means volunteers score higher), and the
    Wilcoxon signed-rank test (``wilcoxon_w`` with ``p_value``) with the rank-biserial correlation
    and its bootstrap interval (``rank_biserial``). Pairs with a missing score are dropped.
    ``scores``: one row per interview with ``interview_id, pair_id, role`` and score columns.
    """
    columns = list(columns) if columns is not None else score_columns(scores)
    wide = _pairs(scores, columns)
    rows = []
    for col in columns:
        if wide.empty:
            v = s = pd.Series(dtype=float)
        else:
            v = pd.to_numeric(wide[("volunteer", col)], errors="coerce").astype(float)
            s = pd.to_numeric(wide[("social_worker", col)], errors="coerce").astype(float)
        ok = v.notna() & s.notna()
        long = pd.DataFrame({
            "target": np.tile(np.arange(int(ok.sum())), 2),
            "rater": ["volunteer"] * int(ok.sum()) + ["social_worker"] * int(ok.sum()),
            "score": np.concatenate([v[ok].to_numpy(), s[ok].to_numpy()]),
        })
        ic = icc(long, "target", "rater", "score")
        for _, r in ic.iterrows():
            rows.append({"item_or_domain": col, "statistic": r["Type"], "estimate": r["ICC"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n": r["n"],
                         "reason": r["reason"], "p_value": r["p_value"], "df": r["df1"]})
        ba = bland_altman(v, s)
        rows += [{"item_or_domain": col, **r} for r in ba.to_frame().to_dict("records")]
        wx = wilcoxon_signed_rank(v, s, n_boot=n_boot, seed=seed)
        rows.append({"item_or_domain": col, "statistic": "wilcoxon_w", "estimate": wx.statistic_w,
                     "n": wx.n, "reason": wx.reason, "p_value": wx.p_value, "df": wx.n_nonzero})
        rows.append({"item_or_domain": col, "statistic": "rank_biserial", "estimate": wx.estimate,
                     "ci_low": wx.ci_low, "ci_high": wx.ci_high, "n": wx.n, "reason": wx.reason,
                     "ci_method": "bootstrap percentile"})
    out = pd.DataFrame(rows).reindex(columns=TIDY_COLUMNS)
    out["level"] = "score"
    return out


# ==============================================================================================
# interviewers: leniency, funnel plot, intra-interviewer correlation, design effect
# ==============================================================================================
def funnel_band(n: Sequence[float], target: float, sigma: float) -> pd.DataFrame:
    """Funnel-plot control limits ``target +- z sigma / sqrt(n)`` for z = 1.96 and 3.09 (Spiegelhalter 2005;
    :func:`helpers.stats.funnel.mean_funnel_limits`), in the columns of :func:`interviewer_leniency`.

    >>> funnel_band([4], 0.0, 2.0).round(2).to_dict("records")
    [{'n': 4.0, 'funnel95_low': -1.96, 'funnel95_high': 1.96, 'funnel998_low': -3.09, 'funnel998_high': 3.09}]
    """
    lim = mean_funnel_limits(n, target, sigma)
    return pd.DataFrame({"n": np.asarray(n, dtype=float), "funnel95_low": lim["ll95"].to_numpy(),
                         "funnel95_high": lim["ul95"].to_numpy(), "funnel998_low": lim["ll998"].to_numpy(),
                         "funnel998_high": lim["ul998"].to_numpy()})


def interviewer_leniency(scores: pd.DataFrame, score: str = "composite",
                         reference: str = "pair", within_role: bool = False,
                         confidence: float = 0.95) -> pd.DataFrame:
    """Each interviewer's mean deviation (leniency) with an interval, and funnel-plot limits.

    ``reference="pair"``: deviation = the interviewer's score minus the score given by the other
    interviewer of the same recipient (same ``pair_id``); the recipient's true quality cancels,
    only paired interviews are used. ``reference="overall"``: deviation from the mean of all
    interviews (use for years without pairs; then recipient and worker differences are not
    separated from leniency). Interval: ``mean +- t_{n-1} sd/sqrt(n)`` per interviewer (NaN for
    n = 1). Funnel limits (Spiegelhalter 2005): ``target +- z sigma/sqrt(n)``, target the mean of
    all deviations, sigma their SD, z = 1.96 (95%) and 3.09 (99.8%). With ``within_role=True``
    target and sigma are computed per role, so that a systematic difference between volunteers
    and social workers (shown by :func:`compare_scores`) is not counted as individual leniency.
    ``scores`` needs ``interviewer_id, role, pair_id`` and the score column.

    Reference: Spiegelhalter DJ (2005) Funnel plots for comparing institutional performance.
    Stat Med 24:1185-1202.
    """
    f = scores[["interview_id", "interviewer_id", "role", "pair_id", score]].copy()
    f[score] = pd.to_numeric(f[score], errors="coerce").astype(float)
    f = f[f[score].notna()]
    if reference == "pair":
        f = f[f["pair_id"].notna()]
        g = f.groupby("pair_id")[score]
        size, total = g.transform("size"), g.transform("sum")
        f = f[size == 2]
        f["deviation"] = f[score] - (total[size == 2] - f[score])
    elif reference == "overall":
        f["deviation"] = f[score] - f[score].mean()
    else:
        raise ValueError("reference must be 'pair' or 'overall'")
    cols = ["interviewer_id", "role", "n", "estimate", "ci_low", "ci_high", "sd", "target",
            "funnel95_low", "funnel95_high", "funnel998_low", "funnel998_high",
            "outside95", "outside998", "reason"]
    if f.empty:
        return pd.DataFrame(columns=cols)
    grp = f.groupby("role")["deviation"] if within_role else None
    rows = []
    for (iid, role), g in f.groupby(["interviewer_id", "role"], sort=True):
        ref_dev = f.loc[f["role"] == role, "deviation"] if grp is not None else f["deviation"]
        target = float(ref_dev.mean())
        sigma = float(ref_dev.std(ddof=1)) if len(ref_dev) > 1 else math.nan
        d = g["deviation"].to_numpy()
        n = float(d.size)
        m = float(d.mean())
        if n >= 2:
            sd = float(d.std(ddof=1))
            h = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
            lo, hi, why = m - h, m + h, ""
        else:
            sd, lo, hi, why = math.nan, math.nan, math.nan, "a single interview: no interval"
        lim = funnel_band([n], target, sigma)
        rows.append({"interviewer_id": iid, "role": role, "n": n, "estimate": m, "ci_low": lo,
                     "ci_high": hi, "sd": sd, "target": target,
                     **{c: float(lim[c].iloc[0]) for c in cols[8:12]}, "reason": why})
    out = pd.DataFrame(rows, columns=cols)
    out["outside95"] = (out["estimate"] < out["funnel95_low"]) | (
        out["estimate"] > out["funnel95_high"])
    out["outside998"] = (out["estimate"] < out["funnel998_low"]) | (
        out["estimate"] > out["funnel998_high"])
    return out


@dataclass(frozen=True)
class InterviewerEffect:
    """Intra-interviewer correlation (one-way ANOVA ICC) and the design effect it implies."""

    estimate: float
    ci_low: float
    ci_high: float
    n: float
    n_interviewers: float
    mean_interviews: float
    design_effect: float
    design_effect_ci_low: float
    design_effect_ci_high: float
    effective_n: float
    reason: str = ""
    statistic: str = "intra_interviewer_correlation"


def intra_interviewer_correlation(scores: pd.DataFrame, score: str = "composite",
                                  group: str = "interviewer_id",
                                  confidence: float = 0.95) -> InterviewerEffect:
    """Share of score variance due to interviewers, and the design effect ``1 + (m - 1) rho``.

    ``rho = (MSB - MSW) / (MSB + (m0 - 1) MSW)`` from the one-way ANOVA of the score by
    interviewer, ``m0 = (N - sum m_i^2 / N)/(g - 1)`` for unequal workloads (Searle 1971);
    interval from the F distribution, ``(F_L - 1)/(F_L + m0 - 1)``. The design effect of
    Kish (1962) uses the mean workload ``m`` and ``max(rho, 0)``; ``effective_n = N / deff``.
    Because interviewers were not assigned at random to recipients, rho also contains
    differences between the recipients (and workers) each interviewer happened to see: it is an
    upper bound for the pure interviewer effect.

    References: Kish L (1962) JASA 57:92-115; Searle SR (1971) Linear Models, ch. 9.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"interviewer_id": list("aaabbbccc"),
    ...                   "composite": [1, 2, 3, 4, 5, 6, 7, 8, 9]})
    >>> r = intra_interviewer_correlation(d)
    >>> round(r.estimate, 4), round(r.design_effect, 4)
    (0.8966, 2.7931)
    """
    f = scores[[group, score]].copy()
    f[score] = pd.to_numeric(f[score], errors="coerce").astype(float)
    f = f[f[score].notna() & f[group].notna()]
    n = float(len(f))
    sizes = f.groupby(group).size()
    g = float(len(sizes))
    nan = math.nan
    if g < 2 or n - g < 1:
        return InterviewerEffect(nan, nan, nan, n, g, n / g if g else nan, nan, nan, nan, nan,
                                 reason="needs at least two interviewers and one with two "
                                        "interviews")
    means = f.groupby(group)[score].mean()
    gm = f[score].mean()
    ssb = float((sizes * (means - gm) ** 2).sum())
    ssw = float(((f[score] - f[group].map(means)) ** 2).sum())
    msb, msw = ssb / (g - 1), ssw / (n - g)
    m0 = (n - float((sizes**2).sum()) / n) / (g - 1)
    mbar = n / g
    if msw == 0 and msb == 0:
        return InterviewerEffect(nan, nan, nan, n, g, mbar, nan, nan, nan, nan,
                                 reason="no score variance: rho is 0/0")
    rho = (msb - msw) / (msb + (m0 - 1) * msw)
    if msw > 0:
        fstat = msb / msw
        a = 1 - confidence
        fl = fstat / stats.f.ppf(1 - a / 2, g - 1, n - g)
        fu = fstat * stats.f.ppf(1 - a / 2, n - g, g - 1)
        lo, hi = (fl - 1) / (fl + m0 - 1), (fu - 1) / (fu + m0 - 1)
    else:
        lo = hi = 1.0

    def deff(r):
        return 1 + (mbar - 1) * max(r, 0.0)

    d = deff(rho)
    return InterviewerEffect(float(rho), float(lo), float(hi), n, g, float(mbar), float(d),
                             float(deff(lo)), float(deff(hi)), float(n / d))




def paired_scores(scores: pd.DataFrame, column: str = "composite") -> pd.DataFrame:
    """The two scores of every complete pair: columns ``pair_id, volunteer, social_worker`` (pairs with a
    missing score dropped; same pairing rule as :func:`paired_tables`)."""
    wide = _pairs(scores, [column])
    if wide.empty:
        return pd.DataFrame({"pair_id": [], "volunteer": [], "social_worker": []})
    out = pd.DataFrame({r: pd.to_numeric(wide[(r, column)], errors="coerce").astype(float) for r in ROLES})
    return out.dropna().rename_axis("pair_id").reset_index()


# ==============================================================================================
# the kappa paradox and the ceiling, as data
# ==============================================================================================
@dataclass(frozen=True)
class KappaParadox:
    """The numbers of an item that shows the kappa paradox (see :func:`kappa_paradox`)."""

    n: int
    percent_agreement: float
    cohen_kappa: float
    chance_agreement: float
    gwet_ac1: float
    krippendorff_alpha_nominal: float
    top_category: object
    top_share: float

    @property
    def one_in(self) -> int:
        """The interviewers disagree on about one recipient in this many (0 when they always agree)."""
        pa = self.percent_agreement
        return max(round(1 / (1 - pa)), 2) if pa < 1 else 0


def kappa_paradox(table: np.ndarray, categories: Sequence | None = None, pa_min: float = 0.60,
                  gap_min: float = 0.30, prevalence_min: float = 0.70) -> KappaParadox | None:
    """The kappa paradox on one K x K table: its numbers when it shows, else ``None``.

    Flagged when percent agreement >= ``pa_min``, Cohen's kappa is at least ``gap_min`` below it
    (or undefined), and one category holds at least ``prevalence_min`` of all answers (a
    ceiling). Then chance agreement under kappa's model is high, so kappa stays low although the
    interviewers often agree (Feinstein & Cicchetti 1990; Cicchetti & Feinstein 1990); Gwet's AC1
    (Gwet 2008) stays stable under such prevalence. The thresholds are conventions of this project,
    not published cut-offs. The words: :func:`helpers.narrative.reliability.kappa_paradox_text`.

    >>> t = np.array([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 1, 0],
    ...               [0, 0, 0, 1, 4], [0, 0, 0, 3, 91]])
    >>> p = kappa_paradox(t, [1, 2, 3, 4, 5])
    >>> p.n, round(p.percent_agreement, 2), round(p.cohen_kappa, 2), p.top_category, round(p.top_share, 2)
    (100, 0.92, 0.23, 5, 0.94)
    """
    t = np.asarray(table, dtype=float)
    n = t.sum()
    if n == 0:
        return None
    cats = list(categories) if categories is not None else list(range(1, t.shape[0] + 1))
    coef = {k: float(v) for k, v in table_coefficients(t, cats).items()}
    pa, kap = coef["percent_agreement"], coef["cohen_kappa"]
    marg = (t.sum(0) + t.sum(1)) / (2 * n)
    top = int(np.argmax(marg))
    prev = float(marg[top])
    if not (pa >= pa_min and prev >= prevalence_min and (math.isnan(kap) or pa - kap >= gap_min)):
        return None
    pe = float((t.sum(1) / n) @ (t.sum(0) / n))
    return KappaParadox(int(n), pa, kap, pe, coef["gwet_ac1"], coef["krippendorff_alpha_nominal"],
                        cats[top], prev)


def kappa_paradoxes(interviews: pd.DataFrame, codebook, **thresholds) -> pd.DataFrame:
    """One row per item of ``interviews`` that shows the kappa paradox (:func:`kappa_paradox`): ``item, n,
    percent_agreement, cohen_kappa, chance_agreement, gwet_ac1, krippendorff_alpha_nominal, top_category,
    top_share`` (items in codebook order)."""
    rows = []
    for item, (t, cats) in paired_tables(interviews, codebook).items():
        found = kappa_paradox(t, cats, **thresholds)
        if found is not None:
            rows.append({"item": item, **found.__dict__})
    cols = ["item", *KappaParadox.__dataclass_fields__]
    return pd.DataFrame(rows, columns=cols)


#: small-sample / ceiling thresholds of :func:`ceiling_items`
CEILING_N_MAX = 60
CEILING_TOP_SHARE = 0.80


def ceiling_items(tables: dict[str, tuple[np.ndarray, list]], n_max: int = CEILING_N_MAX,
                  top_share: float = CEILING_TOP_SHARE) -> pd.DataFrame:
    """Items with few pairs *and* answers concentrated in one category: ``item, n, top_share``.

    Flagged when an item has fewer than ``n_max`` pairs and one answer holds at least ``top_share`` of
    all answers. There the bootstrap distribution of kappa-type coefficients (kappa, pi, alpha) is lumpy
    and often partly undefined, and their 95% intervals cover the true value far less often than 95%
    even for independent pairs (``benchmarks/bench_coverage.py``, n = 35: about 0.80 with 80% of the
    answers in the top category, below 0.5 with 90%); percent agreement keeps its exact interval and AC1
    stays near 0.95. Thresholds are this project's conventions.

    >>> t = np.zeros((5, 5), int); t[4, 4], t[4, 3] = 33, 2
    >>> ceiling_items({"eth_appearance": (t, [1, 2, 3, 4, 5])}).round(3).to_dict("records")
    [{'item': 'eth_appearance', 'n': 35, 'top_share': 0.971}]
    """
    rows = []
    for item, (t, _cats) in tables.items():
        t = np.asarray(t, dtype=float)
        n = t.sum()
        if n == 0 or n >= n_max:
            continue
        share = float(((t.sum(0) + t.sum(1)) / (2 * n)).max())
        if share >= top_share:
            rows.append({"item": item, "n": int(n), "top_share": share})
    return pd.DataFrame(rows, columns=["item", "n", "top_share"])


# ==============================================================================================
# selection and summaries of the tidy table
# ==============================================================================================
def paired_years(interviews: pd.DataFrame) -> list[int]:
    """Survey years that hold at least one volunteer / social-worker pair."""
    p = interviews[interviews["pair_id"].notna()]
    return sorted(int(y) for y in p["year"].unique())


def select_interviews(interviews: pd.DataFrame, year: int, pooled: bool = False) -> pd.DataFrame:
    """The interviews of ``year``, or of every year with pairs when ``pooled``."""
    years = paired_years(interviews) if pooled else [year]
    return interviews[interviews["year"].isin(years)]


def weights_differ(interviews: pd.DataFrame, strata: pd.DataFrame | None) -> bool:
    """True when the roster gives the pairs of ``interviews`` unequal design weights (a stratified
    sample with different sampling fractions, e.g. 2020: 10% of home care, 100% of temporary
    residence); False without a roster, with strata missing from it, or with equal weights."""
    if strata is None:
        return False
    try:
        w = pair_design(interviews, strata)["weight"]
    except (KeyError, ValueError):
        return False
    return bool(len(w) and w.max() - w.min() > 1e-9 * w.max())


def weighted_vs_unweighted_agreement(weighted: pd.DataFrame, unweighted: pd.DataFrame,
                                     statistics: Sequence[str] = ("percent_agreement",
                                                                  "gwet_ac1")) -> pd.DataFrame:
    """Per item and statistic: the design-weighted and the unweighted estimate with their
    intervals and the difference (two tidy frames of :func:`compare_interviewers`)."""
    keys = ["item_or_domain", "statistic"]
    cols = keys + ["n", "estimate", "ci_low", "ci_high"]

    def pick(t):
        t = t[(t["level"] == "item") & t["statistic"].isin(statistics)]
        return t[cols]

    m = pick(weighted).merge(pick(unweighted).drop(columns="n"), on=keys,
                             suffixes=("_weighted", "_unweighted"))
    m["difference"] = m["estimate_weighted"] - m["estimate_unweighted"]
    return m.rename(columns={"item_or_domain": "item"})


def _items(tidy: pd.DataFrame) -> pd.DataFrame:
    return tidy[tidy["level"].eq("item") | tidy["level"].isna()]


def least_agreeing(tidy: pd.DataFrame, k: int = 3, statistic: str = "gwet_ac1") -> list[str]:
    """The ``k`` items with the lowest ``statistic`` (undefined values last)."""
    t = _items(tidy)
    t = t[t["statistic"] == statistic]
    return t.sort_values("estimate", na_position="last")["item_or_domain"].head(k).tolist()


def stuart_maxwell_holm(tidy: pd.DataFrame) -> pd.DataFrame:
    """The Stuart-Maxwell tests of the tidy table with Holm's adjustment over the items tested:
    ``item, p_value, p_holm`` (items without a p-value left out)."""
    t = _items(tidy)
    sm = t[t["statistic"] == "stuart_maxwell"].dropna(subset=["p_value"])
    adjusted = holm(sm["p_value"].to_numpy(float)) if len(sm) else []
    return pd.DataFrame({"item": sm["item_or_domain"].to_numpy(), "p_value": sm["p_value"].to_numpy(float),
                         "p_holm": np.asarray(adjusted, dtype=float)})
