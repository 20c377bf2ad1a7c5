"""Agreement of two measurements on a score scale: intraclass correlations, Bland-Altman, Wilcoxon.

:func:`icc` (the six Shrout-Fleiss / McGraw-Wong forms with F tests and intervals), :func:`bland_altman`
(bias and limits of agreement with their intervals), :func:`wilcoxon_signed_rank` (with the matched-pairs
rank-biserial correlation). Funnel-plot limits of a mean: :func:`helpers.stats.funnel.mean_funnel_limits`.
Pure statistics: no language, no plots; results carry ``estimate, ci_low, ci_high, n, reason`` (and ``p_value`` for tests).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats

from helpers.stats.agreement import bootstrap_interval

__all__ = ["BlandAltman", "WilcoxonResult", "bland_altman", "icc", "wilcoxon_signed_rank"]


_ICC_DESC = {
    "ICC1": "Single raters absolute (one-way random)",
    "ICC2": "Single random raters (two-way random, absolute agreement)",
    "ICC3": "Single fixed raters (two-way mixed, consistency)",
    "ICC1k": "Average raters absolute (one-way random)",
    "ICC2k": "Average random raters (two-way random, absolute agreement)",
    "ICC3k": "Average fixed raters (two-way mixed, consistency)",
}


def icc(data: pd.DataFrame, targets: str, raters: str, ratings: str,
        confidence: float = 0.95) -> pd.DataFrame:
    """The six intraclass correlations of Shrout & Fleiss (1979) / McGraw & Wong (1996).

    From the two-way ANOVA of the targets x raters table (mean squares ``MSR`` targets, ``MSC``
    raters, ``MSE`` residual, ``MSW`` within targets; n targets, k raters):
    ICC1 = (MSR-MSW)/(MSR+(k-1)MSW); ICC2 = (MSR-MSE)/(MSR+(k-1)MSE+k(MSC-MSE)/n);
    ICC3 = (MSR-MSE)/(MSR+(k-1)MSE); the k forms are the reliabilities of the mean of k raters.
    F tests: ``MSR/MSW`` (df n-1, n(k-1)) for ICC1/ICC1k, ``MSR/MSE`` (df n-1, (n-1)(k-1)) else.
    Intervals: exact F-based for ICC1/ICC3 and their k forms; for ICC2 the approximation of
    McGraw & Wong (1996) with Satterthwaite's df (column ``df_ci``); ICC2k by Spearman-Brown of
    the ICC2 bounds, as R ``psych::ICC`` and pingouin.

    ICC, F, df and p come from ``pingouin.intraclass_corr`` (validated against R psych); the
    intervals are recomputed here at full precision (pingouin rounds them to 2 decimals).
    The lower bound of ICC3 is 0.3425 (R psych::ICC prints 0.342; the reference README's 0.343
    is off in the last digit -- the exact F bound is (F/F_.975(5,15) - 1)/(F/F_.975 + 3)).
    Missing data: targets without a rating from every rater are dropped (complete cases).
    A rater's repeated rating of the same target: the first one counts.

    References: Shrout PE, Fleiss JL (1979) Psychol Bull 86:420-428; McGraw KO, Wong SP (1996)
    Psychol Methods 1:30-46.

    Examples
    --------
    >>> import pandas as pd
    >>> from helpers.datasets import load_reference
    >>> d = load_reference("shrout_fleiss_1979").melt(
    ...     "target", var_name="judge", value_name="score")
    >>> r = icc(d, "target", "judge", "score").set_index("Type")
    >>> r["ICC"].round(6).tolist()
    [0.165742, 0.289764, 0.714841, 0.442797, 0.620051, 0.909316]
    >>> r.loc[["ICC1", "ICC2", "ICC3"], ["ci_low", "ci_high"]].round(3).to_numpy().tolist()
    [[-0.133, 0.723], [0.019, 0.761], [0.342, 0.946]]
    >>> round(float(r.loc["ICC2", "df_ci"]), 3), round(float(r.loc["ICC3", "F"]), 4)
    (4.785, 11.0272)
    """
    wide = data.pivot_table(index=targets, columns=raters, values=ratings, aggfunc="first",
                            observed=True).dropna()
    x = wide.to_numpy(dtype=float)
    n, k = x.shape
    cols = ["Type", "Description", "ICC", "F", "df1", "df2", "p_value", "ci_low", "ci_high", "df_ci",
            "n", "k", "reason"]
    if n < 2 or k < 2:
        return pd.DataFrame(
            [{"Type": t, "Description": d, "ICC": math.nan, "F": math.nan, "df1": math.nan,
              "df2": math.nan, "p_value": math.nan, "ci_low": math.nan, "ci_high": math.nan,
              "df_ci": math.nan, "n": float(n), "k": float(k),
              "reason": "ICC needs at least two targets rated by at least two raters"}
             for t, d in _ICC_DESC.items()], columns=cols)
    gm = x.mean()
    ssr = k * ((x.mean(1) - gm) ** 2).sum()
    ssc = n * ((x.mean(0) - gm) ** 2).sum()
    sst = ((x - gm) ** 2).sum()
    sse = sst - ssr - ssc
    msr, msc = ssr / (n - 1), ssc / (k - 1)
    mse = sse / ((n - 1) * (k - 1))
    msw = (ssc + sse) / (n * (k - 1))
    long = wide.reset_index().melt(id_vars=targets, var_name=raters, value_name=ratings)
    reason = ""
    if msr == 0 and msw == 0:
        reason = "no variance between or within targets: ICC is 0/0"
    pgr = None
    if not reason:
        pgr = pg.intraclass_corr(long, targets, raters, ratings).set_index("Type")
    a = 1 - confidence
    df1, df2w, df2e = n - 1, n * (k - 1), (n - 1) * (k - 1)
    out = []

    def fcrit(d1, d2):
        return stats.f.ppf(1 - a / 2, d1, d2)

    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = msr / msw if msw > 0 else math.inf
        f3 = msr / mse if mse > 0 else math.inf
        fl1, fu1 = f1 / fcrit(df1, df2w), f1 * fcrit(df2w, df1)
        fl3, fu3 = f3 / fcrit(df1, df2e), f3 * fcrit(df2e, df1)
        icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        aa = k * icc2 / (n * (1 - icc2))
        bb = 1 + k * icc2 * (n - 1) / (n * (1 - icc2))
        v = (aa * msc + bb * mse) ** 2 / ((aa * msc) ** 2 / (k - 1) + (bb * mse) ** 2 / df2e)
        fs_l, fs_u = fcrit(df1, v), fcrit(v, df1)
        l2 = n * (msr - fs_l * mse) / (fs_l * (k * msc + (k * n - k - n) * mse) + n * msr)
        u2 = n * (fs_u * msr - mse) / (k * msc + (k * n - k - n) * mse + n * fs_u * msr)
        # at perfect agreement F is infinite and these are inf/inf: NaN, as in R psych::ICC (no warning printed)
        ci = {
            "ICC1": ((fl1 - 1) / (fl1 + k - 1), (fu1 - 1) / (fu1 + k - 1), math.nan),
            "ICC2": (l2, u2, v),
            "ICC3": ((fl3 - 1) / (fl3 + k - 1), (fu3 - 1) / (fu3 + k - 1), math.nan),
            "ICC1k": (1 - 1 / fl1, 1 - 1 / fu1, math.nan),
            "ICC2k": (k * l2 / (1 + (k - 1) * l2), k * u2 / (1 + (k - 1) * u2), v),
            "ICC3k": (1 - 1 / fl3, 1 - 1 / fu3, math.nan),
        }
    # pingouin 0.7 labels the forms ICC(1,1), ICC(A,1), ICC(C,1), ...; older versions ICC1, ...
    pg_names = {"ICC1": ("ICC1", "ICC(1,1)"), "ICC2": ("ICC2", "ICC(A,1)"),
                "ICC3": ("ICC3", "ICC(C,1)"), "ICC1k": ("ICC1k", "ICC(1,k)"),
                "ICC2k": ("ICC2k", "ICC(A,k)"), "ICC3k": ("ICC3k", "ICC(C,k)")}
    for t, desc in _ICC_DESC.items():
        if pgr is not None:
            name = next(nm for nm in pg_names[t] if nm in pgr.index)
            row = pgr.loc[name]
            vals = dict(ICC=float(row["ICC"]), F=float(row["F"]), df1=float(row["df1"]),
                        df2=float(row["df2"]), p_value=float(row["pval"]))
        else:
            vals = dict(ICC=math.nan, F=math.nan, df1=float(df1),
                        df2=float(df2w if t.startswith("ICC1") else df2e), p_value=math.nan)
        lo, hi, dfc = ci[t] if not reason else (math.nan, math.nan, math.nan)
        out.append({"Type": t, "Description": desc, **vals, "ci_low": float(lo),
                    "ci_high": float(hi), "df_ci": float(dfc), "n": float(n), "k": float(k),
                    "reason": reason})
    return pd.DataFrame(out, columns=cols)


@dataclass(frozen=True)
class BlandAltman:
    """Bland-Altman agreement of two measurements: bias (mean difference) and limits of agreement.

    ``estimate``/``ci_low``/``ci_high`` are the bias and its interval (common result shape).
    """

    estimate: float
    ci_low: float
    ci_high: float
    n: float
    sd: float
    loa_low: float
    loa_high: float
    loa_low_ci_low: float
    loa_low_ci_high: float
    loa_high_ci_low: float
    loa_high_ci_high: float
    z: float = 1.96
    reason: str = ""
    statistic: str = "bland_altman_bias"

    @property
    def bias(self) -> float:
        return self.estimate

    def to_frame(self) -> pd.DataFrame:
        """Four rows (bias, SD, lower and upper limit), columns ``statistic, estimate, ci_low, ci_high, n, reason``."""
        rows = [
            ("bland_altman_bias", self.estimate, self.ci_low, self.ci_high),
            ("bland_altman_sd", self.sd, math.nan, math.nan),
            ("bland_altman_loa_low", self.loa_low, self.loa_low_ci_low, self.loa_low_ci_high),
            ("bland_altman_loa_high", self.loa_high, self.loa_high_ci_low, self.loa_high_ci_high),
        ]
        return pd.DataFrame(
            [{"statistic": s, "estimate": e, "ci_low": lo,
              "ci_high": hi, "n": self.n, "reason": self.reason} for s, e, lo, hi in rows]
        )


def bland_altman(x: Sequence[float], y: Sequence[float], z: float = 1.96,
                 confidence: float = 0.95) -> BlandAltman:
    """Bias ``mean(x - y)``, SD of the differences and limits of agreement ``bias +- z SD``.

    Intervals (Bland & Altman 1986, 1999): bias ``+- t_{n-1} SD/sqrt(n)``; each limit
    ``+- t_{n-1} SD sqrt(1/n + z^2/(2(n-1)))`` (the 1999 approximation of the standard error of a
    limit; the 1986 paper uses ``sqrt(3/n) SD`` for z = 2). Pairs with a missing value are dropped.
    Hand-written (pingouin only plots Bland-Altman without the limits' intervals).

    References: Bland JM, Altman DG (1986) Lancet i:307-310; Bland JM, Altman DG (1999) Stat
    Methods Med Res 8:135-160.

    Examples
    --------
    PEFR (Bland & Altman 1986, Table 1): Wright minus mini meter, first readings. Published:
    mean difference -2.1, SD 38.8, limits (mean +- 2 SD) -79.7 to 75.5 l/min (from the rounded
    mean and SD; unrounded -79.6 to 75.4).

    >>> import pandas as pd
    >>> from helpers.datasets import load_reference
    >>> d = load_reference("bland_altman_1986_pefr")
    >>> ba = bland_altman(d.wright1, d.mini1, z=2)
    >>> round(ba.bias, 6), round(ba.sd, 6), round(ba.loa_low, 1), round(ba.loa_high, 1)
    (-2.117647, 38.76513, -79.6, 75.4)
    """
    xx = np.asarray(pd.to_numeric(pd.Series(list(x)), errors="coerce"), dtype=float)
    yy = np.asarray(pd.to_numeric(pd.Series(list(y)), errors="coerce"), dtype=float)
    ok = ~(np.isnan(xx) | np.isnan(yy))
    d = xx[ok] - yy[ok]
    n = float(d.size)
    nan = math.nan
    if n < 2:
        bias = float(d.mean()) if n else nan
        return BlandAltman(bias, nan, nan, n, nan, nan, nan, nan, nan, nan, nan, z,
                           reason="fewer than two pairs: SD and limits undefined")
    bias = float(d.mean())
    sd = float(d.std(ddof=1))
    t = stats.t.ppf(0.5 + confidence / 2, n - 1)
    se_b = sd / math.sqrt(n)
    se_l = sd * math.sqrt(1 / n + z**2 / (2 * (n - 1)))
    lo, hi = bias - z * sd, bias + z * sd
    return BlandAltman(bias, bias - t * se_b, bias + t * se_b, n, sd, lo, hi,
                       lo - t * se_l, lo + t * se_l, hi - t * se_l, hi + t * se_l, z)


@dataclass(frozen=True)
class WilcoxonResult:
    """Wilcoxon signed-rank test with the matched-pairs rank-biserial correlation.

    ``estimate``/``ci_low``/``ci_high``: the rank-biserial correlation and its bootstrap interval.
    """

    estimate: float
    ci_low: float
    ci_high: float
    n: float
    statistic_w: float
    p_value: float
    n_nonzero: float
    median_difference: float
    reason: str = ""
    statistic: str = "rank_biserial"


def _rank_biserial(d: np.ndarray) -> np.ndarray:
    """Matched-pairs rank-biserial r = (T+ - T-)/(T+ + T-) along the last axis (zeros dropped)."""
    d = np.asarray(d, dtype=float)
    ad = np.where(d == 0, np.nan, np.abs(d))
    ranks = stats.rankdata(ad, axis=-1, nan_policy="omit")
    pos = np.nansum(np.where(d > 0, ranks, 0.0), axis=-1)
    neg = np.nansum(np.where(d < 0, ranks, 0.0), axis=-1)
    tot = pos + neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (pos - neg) / np.where(tot > 0, tot, 1), np.nan)


def wilcoxon_signed_rank(x: Sequence[float], y: Sequence[float], n_boot: int = 2000,
                         seed: int | None = 0, confidence: float = 0.95) -> WilcoxonResult:
    """Wilcoxon signed-rank test of ``x - y`` with the matched-pairs rank-biserial correlation.

    Test: ``scipy.stats.wilcoxon`` with zero differences dropped (``zero_method="wilcox"``,
    normal approximation with tie correction when there are ties or n > 50). Effect size
    (Kerby 2014): ``r = (T+ - T-) / (T+ + T-)`` over the non-zero differences, in [-1, 1];
    positive means ``x`` tends to be larger. It equals pingouin's ``RBC`` (tests). Interval:
    percentile bootstrap of pairs (vectorised ranking). Pairs with a missing value are dropped.

    References: Wilcoxon F (1945) Biometrics Bulletin 1:80-83; Kerby DS (2014) Comprehensive
    Psychology 3:11.IT.3.1.

    Examples
    --------
    >>> r = wilcoxon_signed_rank([3, 5, 6, 8, 9, 9], [1, 4, 7, 4, 5, 9], n_boot=0)
    >>> round(r.estimate, 4), r.n_nonzero
    (0.8, 5.0)
    """
    xx = np.asarray(pd.to_numeric(pd.Series(list(x)), errors="coerce"), dtype=float)
    yy = np.asarray(pd.to_numeric(pd.Series(list(y)), errors="coerce"), dtype=float)
    ok = ~(np.isnan(xx) | np.isnan(yy))
    d = xx[ok] - yy[ok]
    n = float(d.size)
    nz = d[d != 0]
    med = float(np.median(d)) if n else math.nan
    if n == 0:
        return WilcoxonResult(math.nan, math.nan, math.nan, n, math.nan, math.nan, 0.0, med,
                              reason="no complete pairs")
    if nz.size == 0:
        return WilcoxonResult(math.nan, math.nan, math.nan, n, math.nan, math.nan, 0.0, med,
                              reason="no non-zero difference: the test and effect size are 0/0")
    res = stats.wilcoxon(nz, zero_method="wilcox")
    r = float(_rank_biserial(d))
    lo = hi = math.nan
    if n_boot > 0 and n >= 2:
        rng = np.random.default_rng(seed)
        boot = _rank_biserial(d[rng.integers(0, d.size, size=(n_boot, d.size))])
        lo, hi, _ = bootstrap_interval(r, boot, confidence=confidence, method="percentile")
    return WilcoxonResult(r, lo, hi, n, float(res.statistic), float(res.pvalue),
                          float(nz.size), med)
