"""Design-based estimates for stratified samples of recipients (design weights, stratified SEs).

2020 and 2021 interview a stratified sample: 10% of the home-care recipients and 100% of the
temporary-residence department. A plain mean over interviews over-represents temporary
residence tenfold; organisation-level figures therefore use inverse-probability weights from
the roster (``strata.parquet``: population = recipients served in the stratum) and
stratified, design-based standard errors.

Public functions: :func:`design_weights`, :func:`weighted_mean`, :func:`weighted_share`,
:func:`weighted_vs_unweighted`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "DesignEstimate",
    "design_weights",
    "weighted_mean",
    "weighted_share",
    "weighted_vs_unweighted",
]


@dataclass(frozen=True)
class DesignEstimate:
    """A design-based estimate of a mean or share."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int  # observations with a value
    n_psu: int = 0  # sampling units (recipients when clusters are given) with a value
    df: float = np.nan  # degrees of freedom of the t interval
    confidence: float = 0.95
    reason: str = ""  # why se / the interval is NaN: no_values | single_psu_stratum | too_few_psu


def design_weights(frame: pd.DataFrame, strata: pd.DataFrame, by: tuple[str, ...] = ("year", "stratum")) -> pd.Series:
    """Inverse-probability weight of each row: stratum population / rows sampled in the stratum.

    ``strata`` is the roster (columns ``year, stratum, population``). The weights of a stratum
    add up to its population, so with two interviews per recipient (a volunteer and a social
    worker) each interview carries half a recipient's weight. Compute the weights on the frame you
    analyse (e.g. after keeping only volunteer interviews). Raises ``ValueError`` when a stratum of
    ``frame`` is missing from the roster or has a non-positive population - never a silent NaN.

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2020] * 4, "stratum": ["a", "a", "a", "b"]})
    >>> roster = pd.DataFrame({"year": [2020, 2020], "stratum": ["a", "b"], "population": [30, 1]})
    >>> design_weights(f, roster).tolist()
    [10.0, 10.0, 10.0, 1.0]
    """
    by = list(by)
    pop = strata.set_index(by)["population"].astype("float64")
    if pop.index.has_duplicates:
        raise ValueError("roster has duplicate strata")
    key = pd.MultiIndex.from_frame(frame[by]) if len(by) > 1 else pd.Index(frame[by[0]])
    population = pop.reindex(key).to_numpy()
    if np.isnan(population).any() or (population <= 0).any():
        bad = sorted({tuple(k) if len(by) > 1 else k for k, p in zip(key, population, strict=True) if not p > 0})
        raise ValueError(f"strata missing from the roster or with population <= 0: {bad}")
    size = frame.groupby(by, dropna=False)[by[0]].transform("size").to_numpy()
    return pd.Series(population / size, index=frame.index, name="weight")


def _linearised(y: np.ndarray, w: np.ndarray, strata: np.ndarray, psu: np.ndarray, use_fpc: bool) -> tuple[float, float, int, int, str]:
    """Ratio mean and its stratified, linearised variance (with-replacement PSUs, FPC per stratum)."""
    total_w = w.sum()
    mean = float((w * y).sum() / total_w)
    z = w * (y - mean) / total_w
    frame = pd.DataFrame({"h": strata, "psu": psu, "z": z, "w": w})
    psu_tot = frame.groupby(["h", "psu"], sort=False).agg(z=("z", "sum"), w=("w", "sum")).reset_index()
    var = 0.0
    notes = []
    for _h, g in psu_tot.groupby("h", sort=False):
        n_h = len(g)
        pop_h = g["w"].sum()  # weights of a stratum add up to its population (of PSUs)
        fpc = (max(0.0, 1.0 - n_h / pop_h) if pop_h > 0 else 0.0) if use_fpc else 1.0
        if n_h < 2:
            if fpc > 0:
                notes.append("single_psu_stratum")  # its variance cannot be estimated
                var = np.nan
            continue
        dev = g["z"].to_numpy() - g["z"].mean()
        var += fpc * n_h / (n_h - 1) * float((dev**2).sum())
    return mean, float(np.sqrt(var)) if np.isfinite(var) else np.nan, len(psu_tot), psu_tot["h"].nunique(), ";".join(dict.fromkeys(notes))


def _prepare(values, weights, strata, clusters):
    y = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64").to_numpy()
    w = np.ones_like(y) if weights is None else pd.Series(weights).astype("float64").to_numpy()
    if len(w) != len(y):
        raise ValueError("values and weights differ in length")
    if np.isnan(w).any() or (w <= 0).any():
        raise ValueError("weights must be positive and non-missing")
    h = np.zeros(len(y), dtype=object) if strata is None else pd.Series(strata).astype("object").to_numpy()
    psu = np.arange(len(y)).astype(object) if clusters is None else pd.Series(clusters).astype("object").to_numpy()
    ok = ~np.isnan(y)
    if strata is not None:
        # Item nonresponse: within a stratum, respondents carry the stratum's whole population
        # (weighting-class adjustment), so the estimator stays sum_h (N_h / N) * ybar_h.
        full = pd.Series(w).groupby(h).transform("sum").to_numpy()
        resp = pd.Series(np.where(ok, w, 0.0)).groupby(h).transform("sum").to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            w = w * full / resp
    return y[ok], w[ok], h[ok], psu[ok]


def weighted_mean(values, weights=None, strata=None, *, clusters=None, ci: float = 0.95) -> DesignEstimate:
    """Design-based (stratified, inverse-probability weighted) estimate of a population mean.

    Estimator (Lohr, 2019, *Sampling: Design and Analysis*, 2nd/3rd ed., section 3.2):
    ``ybar_str = sum_h (N_h / N) ybar_h`` where ``N_h`` is the sum of the weights of stratum ``h``
    (weights ``w = N_h / n_h`` add up to the stratum population) and ``ybar_h`` the weighted mean
    of the stratum's respondents. Variance: the stratified Taylor-linearised variance of the ratio
    ``sum w y / sum w`` with a finite population correction per stratum,
    ``V = sum_h (1 - n_h / N_h) n_h / (n_h - 1) sum_i (z_hi - zbar_h)^2``,
    ``z_hi = w_hi (y_hi - ybar) / sum w`` summed over the sampling unit (PSU) ``i``. With one row
    per recipient and equal weights in a stratum this is exactly Lohr's (3.6)
    ``V = sum_h (1 - n_h/N_h) (N_h/N)^2 s_h^2 / n_h``. Interval: ``t`` with ``n_psu - H`` degrees of
    freedom (Lohr 3.2; R ``survey`` uses the same). The variance conditions on the estimated
    weights and treats PSUs as drawn without replacement only through the FPC.

    ``clusters``: sampling unit of each row (e.g. ``recipient_pid`` when a recipient is
    interviewed twice), so that two interviews of one recipient are not counted as independent.
    The FPC is applied only when both ``weights`` and ``strata`` are given.
    ``weights=None``: equal weights, no FPC (the unweighted mean with its classical SE ``s / sqrt(n)``).

    Missing values are dropped; within a stratum the respondents' weights are scaled up to the
    stratum total (item nonresponse assumed missing at random within strata). A stratum with one
    sampled unit and FPC < 1 makes the SE ``NaN`` (``reason`` ``single_psu_stratum``); a census stratum
    (``n_h = N_h``) contributes no variance.

    Examples
    --------
    Stratum A: N=100, sample 2, 4, 6 (s^2 = 4); stratum B: N=10, sample 5, 7 (s^2 = 2).
    ``ybar = (100*4 + 10*6) / 110 = 4.1818``;
    ``V = (1 - 3/100) (100/110)^2 4/3 + (1 - 2/10) (10/110)^2 2/2 = 1.0689 + 0.0066 = 1.0755``.

    >>> y = [2, 4, 6, 5, 7]
    >>> w = [100 / 3] * 3 + [10 / 2] * 2
    >>> r = weighted_mean(y, w, strata=["A", "A", "A", "B", "B"])
    >>> round(r.estimate, 4), round(r.se**2, 4), r.n, r.df
    (4.1818, 1.0755, 5, 3.0)
    """
    y, w, h, psu = _prepare(values, weights, strata, clusters)
    if len(y) == 0:
        return DesignEstimate(np.nan, np.nan, np.nan, np.nan, 0, 0, np.nan, ci, "no_values")
    use_fpc = weights is not None and strata is not None
    mean, se, n_psu, n_strata, reason = _linearised(y, w, h, psu, use_fpc)
    df = float(max(n_psu - n_strata, 1))
    if np.isfinite(se) and n_psu > n_strata:
        half = stats.t.ppf(0.5 + ci / 2, df) * se
        low, high = mean - half, mean + half
    else:
        low = high = np.nan
        reason = reason or "too_few_psu"
    return DesignEstimate(mean, se, float(low), float(high), len(y), n_psu, df, ci, reason)


def weighted_share(indicator, weights=None, strata=None, *, clusters=None, ci: float = 0.95) -> DesignEstimate:
    """Design-based estimate of a population share (e.g. the top-box share), Korn-Graubard interval.

    ``indicator`` is 1/0 (``True``/``False``), ``NaN`` = missing. The estimate ``p`` and its SE are
    those of :func:`weighted_mean` of the indicator (stratified, clustered, FPC). The interval is
    the Clopper-Pearson interval at the design effective sample size (Korn & Graubard, 1998,
    *Survey Methodology* 24:193), computed exactly as R ``survey::svyciprop(method = "beta")``
    (survey 4.5, ``R/svyttest.R``)::

        n_eff = p (1 - p) / se^2 * (t_{n-1, a/2} / t_{df, a/2})^2
        [qbeta(a/2, n_eff p, n_eff (1 - p) + 1), qbeta(1 - a/2, n_eff p + 1, n_eff (1 - p))]

    with ``n`` the observations with a value (R: ``nrow(design)``) and ``df`` the design degrees
    of freedom (sampling units minus strata, R ``degf``). ``n_eff`` is *not* capped at ``n``:
    a stratified design with a census stratum can be more precise than simple random sampling
    (2020 demo top-box of the composite: 0.081-0.168, as R; capping at the number of recipients,
    this function's behaviour before issue 9, gave 0.071-0.184). Where it differs from R: when
    ``se = 0`` (p = 0 or 1, or no variance) R returns NaN limits; here ``n_eff`` is then the number
    of sampling units (``n_psu``), i.e. the exact Clopper-Pearson interval of independent
    recipients - the interval does not collapse to a point when every answer is the best one.

    Examples
    --------
    Ten of ten recipients gave the best answer: p = 1, interval [0.692, 1] (Clopper-Pearson).

    >>> r = weighted_share([1] * 10)
    >>> r.estimate, round(r.ci_low, 3), r.ci_high
    (1.0, 0.692, 1.0)

    Equal weights, 8 of 10: ``se^2 = p (1 - p) / (n - 1)`` and ``df = n - 1`` (no adjustment), so
    ``n_eff = 9``, ``x = 7.2`` and the interval is ``[B(0.025; 7.2, 2.8), B(0.975; 8.2, 1.8)]``:

    >>> r = weighted_share([1, 0, 1, 1, 0, 1, 1, 1, 1, 1])
    >>> round(r.ci_low, 4), round(r.ci_high, 4)
    (0.4219, 0.9789)
    """
    x = pd.to_numeric(pd.Series(indicator).astype("object"), errors="coerce").astype("float64")
    if ((x.dropna() != 0) & (x.dropna() != 1)).any():
        raise ValueError("indicator must be 0/1 (or missing)")
    est = weighted_mean(x, weights, strata, clusters=clusters, ci=ci)
    if est.n == 0:
        return est
    p = est.estimate
    a = 1 - ci
    if est.se > 0 and 0 < p < 1:
        df = est.df if np.isfinite(est.df) else max(est.n_psu - 1, 1)
        adj = (stats.t.ppf(a / 2, max(est.n - 1, 1)) / stats.t.ppf(a / 2, df)) ** 2
        n_eff = p * (1 - p) / est.se**2 * adj
    else:
        n_eff = float(est.n_psu)
    k = p * n_eff
    low = 0.0 if k <= 0 else float(stats.beta.ppf(a / 2, k, n_eff - k + 1))
    high = 1.0 if k >= n_eff else float(stats.beta.ppf(1 - a / 2, k + 1, n_eff - k))
    return DesignEstimate(p, est.se, low, high, est.n, est.n_psu, est.df, ci, est.reason)


def weighted_vs_unweighted(
    frame: pd.DataFrame,
    measures: list[str],
    strata: pd.DataFrame,
    *,
    cluster: str | None = "recipient_pid",
    by: tuple[str, ...] = ("year", "stratum"),
    material: float = 1.0,
    share: bool = False,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Organisation-level means (or shares) of ``measures``, design-weighted and unweighted, side by side.

    Weighted: :func:`weighted_mean` (or :func:`weighted_share` when ``share=True``) with
    :func:`design_weights` from the roster, strata ``by[-1]`` and clusters ``cluster``. Unweighted:
    the same function with equal weights, one stratum, no FPC (the naive figure of the raw data).
    A difference is *material* when it is at least ``material`` points (on the 0-100 scale; for
    shares, ``material`` percentage points) or the unweighted estimate falls outside the weighted
    interval (column ``material``; :func:`helpers.narrative.scoring.weighting_sentence` words it).

    Run it on one year at a time (the roster's strata are per year).
    """
    weights = design_weights(frame, strata, by)
    clusters = frame[cluster] if cluster and cluster in frame else None
    fn = weighted_share if share else weighted_mean
    scale = 100.0 if share else 1.0
    rows = []
    for m in measures:
        wgt = fn(frame[m], weights, frame[by[-1]], clusters=clusters, ci=ci)
        unw = fn(frame[m], None, None, clusters=clusters, ci=ci)
        diff = (wgt.estimate - unw.estimate) * scale
        is_material = bool(
            np.isfinite(diff) and (abs(diff) >= material or not (wgt.ci_low <= unw.estimate <= wgt.ci_high))
        )
        rows.append(
            {
                "measure": m,
                "weighted": wgt.estimate * scale,
                "weighted_se": wgt.se * scale,
                "weighted_ci_low": wgt.ci_low * scale,
                "weighted_ci_high": wgt.ci_high * scale,
                "unweighted": unw.estimate * scale,
                "unweighted_se": unw.se * scale,
                "unweighted_ci_low": unw.ci_low * scale,
                "unweighted_ci_high": unw.ci_high * scale,
                "n": wgt.n,
                "n_recipients": wgt.n_psu,
                "difference": diff,
                "material": is_material,
            }
        )
    return pd.DataFrame(rows)
