"""Two-sample comparisons: Cliff's delta with the Feng-Cliff interval, the difference of two estimates,
Holm's step-down adjustment.

Pure statistics (no language, no plots). Results follow the package convention: ``estimate, ci_low, ci_high,
n, se, p_value, reason``.

- :func:`cliffs_delta` the dominance statistic ``P(X > Y) - P(X < Y)`` and its asymmetric interval;
- :func:`difference` ``b - a`` of two estimates with their standard errors (and covariance), Welch-Satterthwaite
  degrees of freedom, t interval and p;
- :func:`linear_trend` least-squares slope through estimates with a known covariance matrix (a trend contrast);
- :func:`holm` Holm-adjusted p-values (the numbers of ``statsmodels`` ``multipletests(method="holm")``, without
  its ``gc.collect()``);
- :func:`quantile` normal (``df = inf``) or Student-t quantile;
- :func:`welch_anova` equality of several means with unequal variances (Welch's F), correlated means allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["CliffsDelta", "Difference", "LinearTrend", "WelchAnova", "cliffs_delta", "difference", "holm",
           "linear_trend", "quantile", "welch_anova"]


@dataclass(frozen=True)
class CliffsDelta:
    """Cliff's delta of ``x`` against ``y`` with its asymmetric interval; ``n = n_x + n_y``.

    ``reason``: empty, or why the interval is missing (``"empty_sample"``, ``"fewer_than_two"``,
    ``"degenerate_interval"``).
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    n_x: int
    n_y: int
    reason: str = ""

    @property
    def n(self) -> int:
        return self.n_x + self.n_y


def cliffs_delta(x, y, ci: float = 0.95, variance: str = "unbiased", distribution: str = "t") -> CliffsDelta:
    """Cliff's delta, ``P(X > Y) - P(X < Y)``, with the asymmetric interval of Feng & Cliff.

    ``d = (1 / (n_x n_y)) sum_i sum_j sign(x_i - y_j)`` (Cliff, 1993, *Psychological Bulletin*
    114:494); equivalently ``d = 2 U / (n_x n_y) - 1`` with ``U`` the Mann-Whitney statistic (ties
    count 1/2). With ``d_i.``, ``d_.j`` the row and column means of the dominance matrix ``d_ij``:

    - ``variance="unbiased"`` (Cliff 1993, eq. 8): ``s^2 = (n_y^2 sum_i (d_i. - d)^2 + n_x^2 sum_j
      (d_.j - d)^2 - sum_ij (d_ij - d)^2) / (n_x n_y (n_x - 1)(n_y - 1))``;
    - ``variance="consistent"`` (Cliff 1996): ``s^2 = ((n_y - 1) s_i.^2 + (n_x - 1) s_.j^2 + s_ij^2)
      / (n_x n_y)`` with ``s_i.^2 = sum (d_i. - d)^2 / (n_x - 1)``, ``s_.j^2`` likewise and
      ``s_ij^2 = sum (d_ij - d)^2 / ((n_x - 1)(n_y - 1))``.

    Interval (Feng & Cliff, 2004, *J Mod Appl Stat Methods* 3:322):
    ``(d - d^3 -/+ q s sqrt((1 - d^2)^2 + q^2 s^2)) / (1 - d^2 + q^2 s^2)`` with ``q`` the normal or
    Student-t (``n_x + n_y - 2`` df) quantile. As R ``effsize::cliff.delta`` (Torchiano, 2020), whose
    defaults (unbiased, t) are ours; with complete separation (``|d| = 1``) ``d`` is shrunk by
    ``(n_x n_y - 1) / (n_x n_y)`` for the variance and the interval is closed at ``+/-1``. Missing
    values are dropped. Hand-written: no maintained Python library gives this interval; tests check
    ``d`` against ``scipy.stats.mannwhitneyu`` and the intervals against effsize's published test output.

    Parameters
    ----------
    x, y : array-like
        The two samples (numbers; anything else is treated as missing).
    ci : float
        Confidence level of the interval.
    variance : {"unbiased", "consistent"}
    distribution : {"t", "normal"}

    Returns
    -------
    CliffsDelta

    Examples
    --------
    effsize's test case: treatment (10, 10, 20, 20, 20, 30, 30, 30, 40, 50) against control
    (10, 20, 30, 40, 40, 50); consistent variance, normal quantile: d = -0.25, CI (-0.7125, 0.3640).

    >>> r = cliffs_delta([10, 10, 20, 20, 20, 30, 30, 30, 40, 50], [10, 20, 30, 40, 40, 50],
    ...                  variance="consistent", distribution="normal")
    >>> round(r.estimate, 4), round(r.ci_low, 4), round(r.ci_high, 4), r.n
    (-0.25, -0.7125, 0.364, 16)
    """
    a = pd.to_numeric(pd.Series(x), errors="coerce").astype("float64").dropna().to_numpy()
    b = pd.to_numeric(pd.Series(y), errors="coerce").astype("float64").dropna().to_numpy()
    if variance not in ("unbiased", "consistent"):
        raise ValueError(f"variance must be 'unbiased' or 'consistent', not {variance!r}")
    if distribution not in ("t", "normal"):  # a typo ('norm') must not silently give the t interval
        raise ValueError(f"distribution must be 't' or 'normal', not {distribution!r}")
    nx, ny = len(a), len(b)
    if nx == 0 or ny == 0:
        return CliffsDelta(np.nan, np.nan, np.nan, np.nan, nx, ny, "empty_sample")
    dom = np.sign(a[:, None] - b[None, :])
    d = float(dom.mean())
    if nx < 2 or ny < 2:
        return CliffsDelta(d, np.nan, np.nan, np.nan, nx, ny, "fewer_than_two")
    dd = d * (nx * ny - 1) / (nx * ny) if abs(d) == 1 else d
    di, dj = dom.mean(axis=1), dom.mean(axis=0)
    ssr = float(((dom - dd) ** 2).sum())
    if variance == "unbiased":
        var = (ny**2 * ((di - dd) ** 2).sum() + nx**2 * ((dj - dd) ** 2).sum() - ssr) / (nx * ny * (nx - 1) * (ny - 1))
    else:  # "consistent"
        s_i = ((di - dd) ** 2).sum() / (nx - 1)
        s_j = ((dj - dd) ** 2).sum() / (ny - 1)
        var = ((ny - 1) * s_i + (nx - 1) * s_j + ssr / ((nx - 1) * (ny - 1))) / (nx * ny)
    var = max(float(var), 0.0)
    q = stats.norm.ppf(0.5 + ci / 2) if distribution == "normal" else stats.t.ppf(0.5 + ci / 2, nx + ny - 2)
    root = q * np.sqrt(var) * np.sqrt((1 - dd**2) ** 2 + q**2 * var)
    den = 1 - dd**2 + q**2 * var
    if den <= 0:
        return CliffsDelta(d, np.nan, np.nan, float(np.sqrt(var)), nx, ny, "degenerate_interval")
    low, high = (dd - dd**3 - root) / den, (dd - dd**3 + root) / den
    if d == 1:
        high = 1.0
    if d == -1:
        low = -1.0
    return CliffsDelta(d, float(max(-1.0, low)), float(min(1.0, high)), float(np.sqrt(var)), nx, ny)


@dataclass(frozen=True)
class Difference:
    """``b - a`` with its interval: ``estimate, ci_low, ci_high, se, df, p_value, covariance``."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    df: float
    p_value: float
    covariance: float = 0.0
    reason: str = ""


def difference(estimate_a: float, se_a: float, df_a: float, estimate_b: float, se_b: float, df_b: float,
               alpha: float = 0.05, covariance: float = 0.0) -> Difference:
    """Difference of two estimates ``b - a`` with a t interval and a two-sided p-value.

    ``se^2 = se_a^2 + se_b^2 - 2 cov_ab`` (``cov_ab`` from units sampled in both, e.g. Kish, 1965, *Survey
    Sampling*, sec. 12.4; 0 for independent samples); degrees of freedom by Welch-Satterthwaite from the two
    estimates' own ``df`` (Satterthwaite, 1946, *Biometrics Bulletin* 2:110):
    ``df = (v_a + v_b)^2 / (v_a^2 / df_a + v_b^2 / df_b)`` (``inf`` when both are normal).
    With ``se = 0`` the interval and p are NaN (``reason = "zero_se"``).

    Examples
    --------
    Two independent means 80 (se 2, df 30) and 84 (se 1.5, df 40); Welch's test from the same summaries,
    ``scipy.stats.ttest_ind_from_stats(84, 1.5 * 41 ** 0.5, 41, 80, 2 * 31 ** 0.5, 31, equal_var=False)``,
    gives t = 1.6, p = 0.1149:

    >>> r = difference(80.0, 2.0, 30, 84.0, 1.5, 40)
    >>> r.estimate, r.se, round(r.df, 1), round(r.ci_low, 2), round(r.ci_high, 2), round(r.p_value, 4)
    (4.0, 2.5, 59.2, -1.0, 9.0, 0.1149)
    """
    diff = float(estimate_b - estimate_a)
    va, vb = float(se_a) ** 2, float(se_b) ** 2
    se = float(np.sqrt(max(va + vb - 2 * covariance, 0.0)))
    den = (va**2 / df_a if va > 0 else 0.0) + (vb**2 / df_b if vb > 0 else 0.0)
    df = float((va + vb) ** 2 / den) if den > 0 else np.inf
    if se > 0:
        half = stats.t.ppf(1 - alpha / 2, df) * se
        p = float(2 * stats.t.sf(abs(diff) / se, df))
        return Difference(diff, float(diff - half), float(diff + half), se, df, p, float(covariance))
    return Difference(diff, np.nan, np.nan, se, df, np.nan, float(covariance), "zero_se")


def holm(p) -> np.ndarray:
    """Holm (1979, *Scand J Statist* 6:65) adjusted p-values: sorted ``p_(k) (m - k + 1)``, running maximum,
    capped at 1.

    Same numbers as ``statsmodels.stats.multitest.multipletests(method="holm")``, which calls
    ``gc.collect()`` on every use (0.25 s with a large heap - too slow inside simulations).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1)))
    out = np.empty_like(adj)
    out[order] = adj
    return out


def quantile(level: float, df: float) -> float:
    """Quantile of the standard normal (``df`` infinite) or of Student's t with ``df`` degrees of freedom.

    >>> round(quantile(0.975, float("inf")), 4), round(quantile(0.975, 10), 4)
    (1.96, 2.2281)
    """
    return float(stats.norm.ppf(level) if not np.isfinite(df) else stats.t.ppf(level, df))


@dataclass(frozen=True)
class LinearTrend:
    """Slope of a line through estimates: ``estimate, ci_low, ci_high, se, p_value, n`` (points), ``reason``."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    p_value: float
    n: int
    reason: str = ""


def linear_trend(x, estimates, cov, ci: float = 0.95) -> LinearTrend:
    """Least-squares slope of ``estimates`` on ``x`` with its standard error from the estimates' covariance.

    ``b = c' m / c' c`` with ``c = x - mean(x)`` (the orthogonal-polynomial trend contrast of an ANOVA;
    Rosenthal & Rosnow, 1985, *Contrast Analysis*), ``se(b) = sqrt(c' V c) / c' c`` with ``V`` the covariance
    matrix of the estimates (diagonal for independent ones), Wald interval and two-sided p (normal reference).
    Fewer than three points: NaN with ``reason="fewer_than_three_points"``.

    Examples
    --------
    Three independent means 82, 87, 92 with variance 4/3 each: slope 5, ``se = sqrt(2 * 4/3) / 2 = 0.816``
    (the numbers of :func:`helpers.studies.mystery_guest.trends.trend_test`'s example).

    >>> r = linear_trend([2018, 2019, 2020], [82.0, 87.0, 92.0], np.diag([4 / 3] * 3))
    >>> r.estimate, round(r.se, 3), r.n
    (5.0, 0.816, 3)
    """
    x = np.asarray(x, dtype=float)
    m = np.asarray(estimates, dtype=float)
    V = np.asarray(cov, dtype=float)
    if len(x) < 3:
        return LinearTrend(np.nan, np.nan, np.nan, np.nan, np.nan, len(x), "fewer_than_three_points")
    c = x - x.mean()
    ss = float((c**2).sum())
    slope = float((c * m).sum() / ss)
    se = float(np.sqrt(max(c @ V @ c, 0.0)) / ss)
    z = stats.norm.ppf(0.5 + ci / 2)
    p = float(2 * stats.norm.sf(abs(slope) / se)) if se > 0 else np.nan
    return LinearTrend(slope, float(slope - z * se), float(slope + z * se), se, p, len(x))


@dataclass(frozen=True)
class WelchAnova:
    """Welch's test that ``k`` means are equal: ``statistic`` (F), ``df_num``, ``df_den``, ``p_value``, ``k`` (groups),
    ``n`` (units in all groups), ``estimate`` (largest minus smallest mean), ``reason`` (empty, or why there is no
    test: ``"fewer_than_two_groups"`` with two or more units and a variance, ``"zero_variance"``)."""

    statistic: float
    df_num: float
    df_den: float
    p_value: float
    k: int
    n: int
    estimate: float
    reason: str = ""


def welch_anova(estimates, variances, n, cov=None) -> WelchAnova:
    """Welch's (1951) F test that ``k`` group means are equal, without assuming equal variances.

    Input: the group means ``m_j``, the variances of the means ``v_j = s_j^2 / n_j`` and the group sizes
    ``n_j``. With weights ``w_j = 1 / v_j``, ``W = sum w_j``, ``m~ = sum w_j m_j / W`` and
    ``L = sum (1 - w_j / W)^2 / (n_j - 1)`` (Welch, 1951, *Biometrika* 38:330, eq. 9)::

        F = [sum w_j (m_j - m~)^2 / (k - 1)] / [1 + 2 (k - 2) L / (k^2 - 1)],
        df = (k - 1, (k^2 - 1) / (3 L)).

    For ``k = 2`` this is Welch's t test (``F = t^2``, Welch-Satterthwaite df). **Correlated means**
    (``cov``, the full covariance matrix of the means, e.g. the same units in two groups): the numerator's
    ``sum w_j (m_j - m~)^2`` - which equals the Wald statistic ``(C m)' (C V C')^-1 (C m)`` of the ``k - 1``
    contrasts ``C`` for a diagonal ``V`` - is computed as that Wald statistic with the full ``V``; ``L`` and
    the df keep the groups' own variances. For ``k = 2`` this is :func:`difference` with its covariance (``F = t^2``,
    the same p). Groups with fewer than two units or ``v_j = 0`` are left out (``k`` counts the rest).
    When ``C V C'`` is singular (two groups are the same units with the same values - a year's data copied
    into another - so a contrast has variance 0), the Wald statistic uses its ``r`` directions with a variance
    (eigenvalues above 1e-10 of the largest) and ``df_num = r``; a nonzero contrast in a direction without
    variance is a certain difference (F = inf, p = 0).

    Validated against ``statsmodels.stats.oneway.anova_oneway(use_var="unequal")`` and ``scipy.stats.ttest_ind
    (equal_var=False)`` (tests/test_role_gap.py).

    Examples
    --------
    Student's (1908) sleep data, as R ``t.test(extra ~ group, data = sleep)`` and ``oneway.test`` print it:
    t = -1.8608, df = 17.776, p = 0.07939 (so F = 3.4626):

    >>> g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    >>> g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    >>> r = welch_anova([np.mean(g1), np.mean(g2)], [np.var(g1, ddof=1) / 10, np.var(g2, ddof=1) / 10], [10, 10])
    >>> round(r.statistic, 4), round(r.df_den, 3), round(r.p_value, 5), r.k, r.n
    (3.4626, 17.776, 0.07939, 2, 20)
    """
    m = np.asarray(estimates, dtype=float)
    v = np.asarray(variances, dtype=float)
    nn = np.asarray(n, dtype=float)
    V = np.diag(v) if cov is None else np.asarray(cov, dtype=float)
    ok = np.isfinite(m) & np.isfinite(v) & (nn >= 2) & (v > 0)
    k, total = int(ok.sum()), int(nn[ok].sum())
    rng = float(m[ok].max() - m[ok].min()) if k else np.nan
    if k < 2:
        why = "zero_variance" if (np.isfinite(v) & (v <= 0) & (nn >= 2)).any() else "fewer_than_two_groups"
        return WelchAnova(np.nan, np.nan, np.nan, np.nan, k, total, rng, why)
    m, v, nn, V = m[ok], v[ok], nn[ok], V[np.ix_(ok, ok)]
    w = 1.0 / v
    lam = float(((1 - w / w.sum()) ** 2 / (nn - 1)).sum())
    C = np.hstack([-np.ones((k - 1, 1)), np.eye(k - 1)])  # m_j - m_1, j = 2..k
    cm = C @ m
    wald, rank = _wald_on_the_directions_with_variance(cm, C @ V @ C.T)
    stat = wald / rank / (1 + 2 * (k - 2) * lam / (k**2 - 1)) if rank else np.inf if wald else 0.0
    df_den = float((k**2 - 1) / (3 * lam))
    p = float(stats.f.sf(stat, max(rank, 1), df_den)) if np.isfinite(stat) else 0.0
    return WelchAnova(float(stat), float(rank), df_den, p, k, total, rng)


def _wald_on_the_directions_with_variance(cm: np.ndarray, S: np.ndarray) -> tuple[float, int]:
    """``(cm' S^+ cm, rank of S)`` over the eigen-directions of ``S`` with variance (eigenvalue > 1e-10 of the
    largest); ``inf`` when ``cm`` has a part (beyond 1e-9 of its size) in a direction without variance."""
    lam, U = np.linalg.eigh((S + S.T) / 2)
    keep = lam > 1e-10 * max(float(lam.max()), 0.0) if lam.size and lam.max() > 0 else np.zeros(lam.shape, bool)
    proj = U.T @ cm
    if np.any(np.abs(proj[~keep]) > 1e-9 * max(float(np.abs(cm).max()), 1e-300)):
        return np.inf, int(keep.sum())
    return float((proj[keep] ** 2 / lam[keep]).sum()), int(keep.sum())
