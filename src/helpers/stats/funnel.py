"""Funnel plots for comparing units (organisations, social workers) of different size.

A funnel plot draws each unit's indicator against its size with control limits around a target:
a unit outside the 99.8% limits is unusual for the group - unlikely to lie that far from the target
by sampling error alone (Spiegelhalter 2005). When the units differ more than sampling error allows (over-dispersion),
the limits are widened by an additive between-unit variance τ², estimated from winsorised
z-scores (Spiegelhalter, Sherlaw-Johnson et al. 2012; the method of the R package FunnelPlotR).

Public functions
----------------
- :func:`funnel_limits` - limits for proportions (exact binomial) or ratios (exact Poisson).
- :func:`binomial_tail_flags` - which units' counts lie outside exact binomial limits (mid-p).
- :func:`mean_funnel_limits` - limits for means of a continuous score (normal).
- :func:`funnel_z_scores` - transformed indicator ``y``, its standard error ``s`` and ``z``.
- :func:`winsorise` - pull the tails of z-scores in to given quantiles.
- :func:`overdispersion` - the dispersion ratio φ and τ² from the units' data.
- :func:`funnel_table` - one row per unit: value, z, limits with and without τ², outlier flags.
- :func:`mean_funnel` - :func:`funnel_table` for means of a score (e.g. a social worker's score).

Validation
----------
- Exact Poisson limits for ratios reproduce the published values of FunnelPlotR's test suite
  (``tests/testthat/test-poisson_limits.R``: expected 15, 20, 30 → 95% limits 0.5596924–1.649348,
  0.6108260–1.544419, 0.6746958–1.427562; 99.8% limits 0.3862650–2.082907, 0.4479107–1.902094,
  0.5289724–1.702771); see the doctest of :func:`funnel_limits`.
- The same exact limits applied to FunnelPlotR's published ``medpar`` example (Poisson GLM of length
  of stay, 54 hospitals) flag the published "25 outliers" outside the unadjusted 99.8% limits
  (``tests/test_funnel.py``; data and source in ``tests/data/funnel``).
- Exact binomial limits for proportions (Spiegelhalter 2005, appendix A.1.1, interpolated) are checked
  in ``tests/test_funnel.py`` against a second implementation: root finding, with
  ``scipy.optimize.brentq``, of the distribution function of the smoothed count R - U (U uniform on
  [0, 1]) built from ``scipy.stats.binom``; the flag agrees with the mid-p tails of ``scipy.stats.binom``.
- Over-dispersed limits (arcsine scale for proportions, square-root scale for ratios) are checked
  against root finding of their defining equation and, for a ratio with target ≠ 1 and τ² > 0, by a
  seeded simulation of the random-effects model they assume (the share outside the 95% limits is 5%).
- τ² without winsorisation, with the target at the inverse-variance weighted mean, equals the
  DerSimonian–Laird estimator of ``statsmodels.stats.meta_analysis.combine_effects`` (test).
- :func:`additive_tau2` inside FunnelPlotR's "SHMI" variant (log scale, 10% tails truncated) on
  ``medpar`` gives φ = 8.53, τ² = 0.0284 and the published "9 outliers" at 99.8% (test; FunnelPlotR
  publishes the count, not φ or τ²; the count holds for τ² between 0.021 and 0.034).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "Overdispersion",
    "additive_tau2",
    "binomial_tail_flags",
    "funnel_limits",
    "funnel_table",
    "funnel_z_scores",
    "mean_funnel",
    "mean_funnel_limits",
    "overdispersion",
    "winsorise",
]

KINDS = ("proportion", "ratio")
LEVELS = (0.95, 0.998)


def level_label(level: float) -> str:
    """Column suffix of a confidence level: 0.95 → ``'95'``, 0.998 → ``'998'``.

    >>> level_label(0.95), level_label(0.998)
    ('95', '998')
    """
    return f"{level * 100:g}".replace(".", "")


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def _as_array(size) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(size, dtype="float64"))
    if np.any(~np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError("size must be positive and finite")
    return arr


def _proportion_limits(n: np.ndarray, target: float, z: float, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """Over-dispersed limits on the arcsine scale: sin²(asin(√p₀) ± z√(1/(4n) + τ²)), angle in [0, π/2]."""
    y0 = np.arcsin(np.sqrt(target))
    half = z * np.sqrt(1.0 / (4.0 * n) + tau2)
    low = np.clip(y0 - half, 0.0, np.pi / 2)
    high = np.clip(y0 + half, 0.0, np.pi / 2)
    return np.sin(low) ** 2, np.sin(high) ** 2


def _integer_sizes(n: np.ndarray) -> np.ndarray:
    rounded = np.round(n)
    if np.any(np.abs(n - rounded) > 1e-9):
        raise ValueError("exact binomial limits need whole-number denominators")
    return rounded


def _binomial_quantile_limit(n: np.ndarray, target: float, q: float) -> np.ndarray:
    """Spiegelhalter (2005) appendix A.1.1: ``(r_q - a)/n`` with r_q the q-quantile of Binomial(n, p₀) and
    ``a = (F(r_q) - q) / (F(r_q) - F(r_q - 1))`` - the q-quantile of the smoothed count R - U."""
    if target in (0.0, 1.0):  # a degenerate binomial: the limit is the target itself
        return np.full(n.shape, target)
    r = stats.binom.ppf(q, n, target)
    f, f_before = stats.binom.cdf(r, n, target), stats.binom.cdf(r - 1, n, target)
    a = (f - q) / (f - f_before)
    return np.clip((r - a) / n, 0.0, 1.0)


def _binomial_limits(n: np.ndarray, target: float, level: float) -> tuple[np.ndarray, np.ndarray]:
    n = _integer_sizes(n)
    alpha = 1.0 - level
    return _binomial_quantile_limit(n, target, alpha / 2), _binomial_quantile_limit(n, target, 1 - alpha / 2)


def binomial_tail_flags(events, size, target: float, level: float) -> np.ndarray:
    """``"below"``, ``"above"`` or ``""``: is a unit's count outside the exact binomial limits of ``level``?

    The interpolated limit of :func:`funnel_limits` is the quantile of the smoothed count R - U
    (U uniform on [0, 1]); an observed count O stands for the interval [O - 1, O] of the smoothed
    count, whose centre O - ½ is compared with the limits. That is the mid-p tail of the exact
    binomial: "below" when ``P(R < O) + ½P(R = O) < α/2``, "above" when
    ``P(R > O) + ½P(R = O) < α/2`` (R ~ Binomial(n, p₀), α = 1 - level; Lancaster 1961, JASA 56:223).
    Comparing O/n itself with the interpolated limits would call a share of 100% "above" whenever
    P(R = n) > α/2: at p₀ = 0.99 and n = 100, 37% of units that are exactly on target.

    At p₀ = 0.97 a share of 100% is unusual among 100 respondents (P(R = 100) = 0.048, mid-p 0.024), not
    at p₀ = 0.99 (P(R = 100) = 0.366):

    >>> binomial_tail_flags([100, 95, 93], [100, 100, 100], 0.97, 0.95).tolist()
    ['above', '', 'below']
    >>> binomial_tail_flags([100], [100], 0.99, 0.95).tolist()
    ['']
    """
    o = np.asarray(events, dtype="float64")
    n = _integer_sizes(_as_array(size))
    half_point = 0.5 * stats.binom.pmf(o, n, target)
    below = stats.binom.cdf(o - 1, n, target) + half_point < (1 - level) / 2
    above = stats.binom.sf(o, n, target) + half_point < (1 - level) / 2
    return np.where(below, "below", np.where(above, "above", ""))


def _poisson_limits(expected: np.ndarray, target: float, level: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = 1.0 - level
    low = stats.chi2.ppf(alpha / 2, 2.0 * expected) / (2.0 * expected)
    high = stats.chi2.ppf(1.0 - alpha / 2, 2.0 * (expected + 1.0)) / (2.0 * expected)
    return target * low, target * high


def _sqrt_ratio_limits(expected: np.ndarray, target: float, z: float, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    half = z * np.sqrt(1.0 / (4.0 * expected) + tau2)
    root = np.sqrt(target)
    return np.clip(root - half, 0.0, None) ** 2, (root + half) ** 2


def funnel_limits(size, kind: str = "proportion", target: float | None = None,
                  levels: tuple[float, ...] = LEVELS, tau2: float = 0.0) -> pd.DataFrame:
    """Funnel-plot control limits around ``target`` for units of the given ``size``.

    Proportions (``kind="proportion"``, ``size`` = whole-number denominator n, ``target`` = p₀
    required): with ``tau2 == 0`` the exact binomial limits of Spiegelhalter (2005, appendix A.1.1),
    interpolated between the integers: with r_q the q-quantile of Binomial(n, p₀) (the smallest r with
    F(r) ≥ q) and ``a = (F(r_q) - q) / (F(r_q) - F(r_q - 1))``,

        limit_q = (r_q - a) / n,   q = α/2 (lower) and 1 - α/2 (upper);

    it is the q-quantile of the smoothed count R - U (U uniform on [0, 1]); which counts lie outside
    is decided by their mid-p tail, :func:`binomial_tail_flags`. With ``tau2 > 0`` (additive
    over-dispersion, Spiegelhalter et al. 2012 §3.4; FunnelPlotR's "PR") the arcsine-square-root
    scale ``y = asin(√p)``, ``s = 1/(2√n)``:

        limits = sin²( asin(√p₀) ± z_α · √(s² + τ²) ),

    the angle clipped to [0, π/2] so that limits stay in [0, 1].

    Ratios of observed to expected counts (``kind="ratio"``, ``size`` = expected count E,
    ``target`` default 1): with ``tau2 == 0`` the exact Poisson limits

        lower = target · χ²_{α/2}(2E) / (2E),   upper = target · χ²_{1-α/2}(2E + 2) / (2E);

    with ``tau2 > 0`` the square-root scale, the variance-stabilising transform of a Poisson ratio
    (Spiegelhalter 2005, Table I and §3.3; Spiegelhalter et al. 2012 §3.4): ``y = √(O/E)`` has
    standard error ``s = 1/(2√E)`` whatever the target θ₀ (delta method: Var(O/E) = θ₀/E, divided by
    4θ₀), so

        limits = ( √θ₀ ± z_α √(s² + τ²) )²,

    the lower root clipped at 0, squared back to the ratio scale so that as τ² → 0 it approaches the
    exact limits (FunnelPlotR's "CQC" variant, target 1 only, leaves them on the square-root scale).
    ``θ₀ · (1 ± z_α √(s² + τ²))²`` would be wrong for θ₀ ≠ 1: it scales the standard error by √θ₀.

    ``z_α`` is the two-sided standard normal quantile of each level (1.959964 for 95%, 3.090232
    for 99.8%).

    Parameters
    ----------
    size : array-like of positive numbers
        Denominators (proportions) or expected counts (ratios).
    kind : {"proportion", "ratio"}
    target : float, optional
        The centre line; required for proportions, 1 by default for ratios.
    levels : tuple of float
        Two-sided coverage of the limits; the columns are named ``ll<level>``/``ul<level>``
        (``ll95, ul95, ll998, ul998`` for the default).
    tau2 : float
        Between-unit variance on the transformed scale (0: no over-dispersion), e.g. from
        :func:`overdispersion`.

    Returns
    -------
    DataFrame
        One lower/upper column per level (``ll95, ul95, ll998, ul998`` by default), one row per size
        in the order given.

    References
    ----------
    Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
    Statistics in Medicine 24:1185-1202.
    Spiegelhalter D, Sherlaw-Johnson C, Bardsley M, Blunt I, Wood C, Grigg O (2012). Statistical
    methods for healthcare regulation: rating, screening and surveillance. JRSS A 175:1-47.

    Examples
    --------
    The exact Poisson limits published in FunnelPlotR's tests (expected counts 15, 20, 30):

    >>> lim = funnel_limits([15, 20, 30], kind="ratio")
    >>> lim["ll95"].round(7).tolist(), lim["ul95"].round(6).tolist()
    ([0.5596924, 0.610826, 0.6746958], [1.649348, 1.544419, 1.427562])
    >>> lim["ll998"].round(7).tolist(), lim["ul998"].round(6).tolist()
    ([0.386265, 0.4479107, 0.5289724], [2.082907, 1.902094, 1.702771])

    A share of 90% among 100 respondents (exact binomial; Binomial(100, 0.9) has 2.5% quantile 84
    with F(84) = 0.03989 and F(83) = 0.02060, so the lower 95% limit is (84 - 0.7718)/100):

    >>> funnel_limits([100], target=0.9).round(4).iloc[0].tolist()
    [0.8323, 0.9496, 0.7916, 0.9758]

    Over-dispersed ratio limits around θ₀ = 1.5 (E = 20, τ² = 0.02): (√1.5 ± 1.96·√(1/80 + 0.02))²

    >>> funnel_limits([20], kind="ratio", target=1.5, tau2=0.02).round(4).iloc[0, :2].tolist()
    [0.7594, 2.4903]
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if tau2 < 0:
        raise ValueError("tau2 must be non-negative")
    n = _as_array(size)
    if kind == "proportion":
        if target is None or not 0.0 <= target <= 1.0:
            raise ValueError("a proportion funnel needs a target between 0 and 1")
    else:
        target = 1.0 if target is None else float(target)
    out = {}
    for level in levels:
        z = _z(level)
        if kind == "proportion" and tau2 == 0:
            low, high = _binomial_limits(n, float(target), level)
        elif kind == "proportion":
            low, high = _proportion_limits(n, float(target), z, tau2)
        elif tau2 == 0:
            low, high = _poisson_limits(n, target, level)
        else:
            low, high = _sqrt_ratio_limits(n, target, z, tau2)
        out[f"ll{level_label(level)}"], out[f"ul{level_label(level)}"] = low, high
    return pd.DataFrame(out)


def mean_funnel_limits(size, target: float, sd: float, levels: tuple[float, ...] = LEVELS,
                       tau2: float = 0.0) -> pd.DataFrame:
    """Normal funnel limits for a unit's mean of ``size`` observations: ``target ± z_α √(sd²/n + τ²)``.

    ``sd`` is the within-unit standard deviation of one observation (pooled over units); τ² is on
    the scale of the score (Spiegelhalter 2005, §3.1 "normal data").

    >>> mean_funnel_limits([4, 25], target=80.0, sd=10.0).round(3).iloc[:, 0:2].values.tolist()
    [[70.2, 89.8], [76.08, 83.92]]
    """
    n = _as_array(size)
    out = {}
    for level in levels:
        half = _z(level) * np.sqrt(sd**2 / n + tau2)
        out[f"ll{level_label(level)}"], out[f"ul{level_label(level)}"] = target - half, target + half
    return pd.DataFrame(out)


def funnel_z_scores(observed, size, kind: str = "proportion", target: float | None = None) -> pd.DataFrame:
    """Transformed indicator, its standard error and the z-score of each unit.

    Proportions: ``y = asin(√(O/n))``, ``s = 1/(2√n)``, target ``y₀ = asin(√p₀)`` with p₀ = ΣO/Σn
    by default. Ratios: ``y = √(O/E)``, ``s = 1/(2√E)``, ``y₀ = √target`` (target 1 by default).
    ``z = (y - y₀)/s`` (Spiegelhalter et al. 2012, §3.4).

    >>> funnel_z_scores([81, 49], [100, 100], kind="ratio")["z"].round(12).tolist()
    [-2.0, -6.0]
    """
    o = np.asarray(observed, dtype="float64")
    n = _as_array(size)
    if kind == "proportion":
        p0 = o.sum() / n.sum() if target is None else float(target)
        y, y0 = np.arcsin(np.sqrt(o / n)), np.arcsin(np.sqrt(p0))
    elif kind == "ratio":
        y, y0 = np.sqrt(o / n), np.sqrt(1.0 if target is None else float(target))
    else:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    s = 1.0 / (2.0 * np.sqrt(n))
    return pd.DataFrame({"y": y, "s": s, "z": (y - y0) / s})


def winsorise(z, trim: float = 0.1) -> np.ndarray:
    """Set z-scores below the ``trim`` quantile to it and above the ``1 - trim`` quantile to it.

    Quantiles are the linear interpolation of R's default (type 7), as FunnelPlotR uses.

    >>> winsorise(np.arange(11.0), 0.1).tolist()
    [1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 9.0]
    """
    z = np.asarray(z, dtype="float64")
    if trim <= 0 or len(z) == 0:
        return z.copy()
    low, high = np.quantile(z, [trim, 1.0 - trim])
    return np.clip(z, low, high)


@dataclass(frozen=True)
class Overdispersion:
    """The dispersion ratio φ (1 = no over-dispersion), τ² and the number of units they rest on."""

    phi: float
    tau2: float
    n_units: int
    trim: float


def additive_tau2(z, s, trim: float = 0.1) -> Overdispersion:
    """φ and τ² from z-scores ``z`` and standard errors ``s`` on the transformed scale.

    φ = (1/k) Σ z_w², the z-scores winsorised at ``trim`` (Spiegelhalter 2005, *Handling
    over-dispersion of performance indicators*, QSHC 14:347); with weights w = 1/s²,

        τ² = max(0, (kφ - (k - 1)) / (Σw - Σw²/Σw)),   and 0 when kφ ≤ k - 1,

    the DerSimonian–Laird moment estimator applied to the winsorised z-scores (Spiegelhalter et al.
    2012, eq. 4; FunnelPlotR's ``tau_func``).

    >>> additive_tau2([1.0, -1.0], [0.1, 0.1], trim=0).phi
    1.0
    >>> additive_tau2([3.0], [0.1]).tau2
    0.0
    """
    z = winsorise(z, trim)
    w = 1.0 / np.asarray(s, dtype="float64") ** 2
    k = len(z)
    phi = float(np.mean(z**2)) if k else float("nan")
    if k < 2 or k * phi <= k - 1:  # one unit cannot show between-unit variance
        return Overdispersion(phi=phi, tau2=0.0, n_units=k, trim=trim)
    tau2 = (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum())
    return Overdispersion(phi=phi, tau2=float(max(0.0, tau2)), n_units=k, trim=trim)


def overdispersion(observed, size, kind: str = "proportion", target: float | None = None,
                   trim: float = 0.1) -> Overdispersion:
    """Over-dispersion (φ, τ²) of units' proportions or ratios, by additive random effects.

    The z-scores of :func:`funnel_z_scores` are winsorised at ``trim`` (10% at each end by default)
    and passed to :func:`additive_tau2`. τ² is on the scale of :func:`funnel_limits` (arcsine for
    proportions, square root for ratios), so ``funnel_limits(..., tau2=overdispersion(...).tau2)``
    gives the over-dispersed funnel.

    References
    ----------
    Spiegelhalter D, Sherlaw-Johnson C, Bardsley M et al. (2012). JRSS A 175:1-47;
    FunnelPlotR (Mainey C, NHS-R Community), "Spiegelhalter" method for proportions.

    Examples
    --------
    Units that agree with the target show no over-dispersion:

    >>> overdispersion([50, 100, 150], [100, 200, 300]).tau2
    0.0
    """
    zs = funnel_z_scores(observed, size, kind, target)
    return additive_tau2(zs["z"].to_numpy(), zs["s"].to_numpy(), trim)


def _flags(value: np.ndarray, limits: pd.DataFrame, levels: tuple[float, ...], suffix: str) -> dict:
    out = {}
    for level in levels:
        lab = level_label(level)
        low, high = limits[f"ll{lab}"].to_numpy(), limits[f"ul{lab}"].to_numpy()
        out[f"outside{lab}{suffix}"] = np.where(value < low, "below", np.where(value > high, "above", ""))
    return out


def _proportion_flags(o: np.ndarray, n: np.ndarray, target: float, plain: pd.DataFrame, wide: pd.DataFrame,
                      levels: tuple[float, ...], tau2: float) -> dict:
    """Plain limits: the exact mid-p rule of :func:`binomial_tail_flags`. Over-dispersed (arcsine) limits: the
    count corrected by half an answer towards the target, (O - ½)/n against the upper, (O + ½)/n against the
    lower limit (without the correction a share of 100% lies above any upper limit below 1)."""
    out = {}
    for level in levels:
        lab = level_label(level)
        plain_flags = binomial_tail_flags(o, n, target, level)
        out[f"outside{lab}"] = plain_flags
        if tau2 == 0:
            out[f"outside{lab}_od"] = plain_flags
            continue
        low, high = wide[f"ll{lab}"].to_numpy(), wide[f"ul{lab}"].to_numpy()
        out[f"outside{lab}_od"] = np.where((o + 0.5) / n < low, "below", np.where((o - 0.5) / n > high, "above", ""))
    return out


def funnel_table(observed, size, kind: str = "proportion", target: float | None = None,
                 units=None, trim: float = 0.1, levels: tuple[float, ...] = LEVELS) -> pd.DataFrame:
    """One row per unit: value, z-score, limits without and with over-dispersion, and outlier flags.

    ``value`` is O/n (proportion) or O/E (ratio); the target defaults to ΣO/Σn (proportions) or 1.
    Columns ``ll95 … ul998`` are the plain limits, ``ll95_od …`` the limits widened by τ² of
    :func:`overdispersion` (equal to the plain limits when τ² = 0); ``outside95`` etc. say ``"below"``,
    ``"above"`` or ``""``: "unusual for the group" at that level, not a proof of a real difference. For
    proportions the plain flags follow the exact mid-p rule (:func:`binomial_tail_flags`) and the
    over-dispersed ones the arcsine limits with a half-answer continuity correction; for ratios the value
    is compared with the limits. φ and τ² are in ``DataFrame.attrs``.
    """
    o = np.asarray(observed, dtype="float64")
    n = _as_array(size)
    if target is None:
        target = float(o.sum() / n.sum()) if kind == "proportion" else 1.0
    od = overdispersion(o, n, kind, target, trim)
    value = o / n
    plain = funnel_limits(n, kind, target, levels)
    wide = funnel_limits(n, kind, target, levels, tau2=od.tau2)
    flags = _proportion_flags(o, n, target, plain, wide, levels, od.tau2) if kind == "proportion" else None
    return _assemble(units, value, n, funnel_z_scores(o, n, kind, target)["z"], plain, wide, levels, od, target,
                     flags)


def _assemble(units, value, n, z, plain, wide, levels, od: Overdispersion, target, flags: dict | None = None
              ) -> pd.DataFrame:
    out = pd.DataFrame({"unit": units if units is not None else np.arange(len(n)), "size": n,
                        "value": value, "z": np.asarray(z)})
    for col in plain.columns:
        out[col] = plain[col].to_numpy()
        out[f"{col}_od"] = wide[col].to_numpy()
    if flags is None:
        flags = {**_flags(value, plain, levels, ""), **_flags(value, wide, levels, "_od")}
    out = out.assign(**{k: flags[k] for k in [f"outside{level_label(lv)}{sfx}" for sfx in ("", "_od") for lv in levels]})
    out.attrs.update(phi=od.phi, tau2=od.tau2, target=target, trim=od.trim)
    return out


def mean_funnel(values, units, trim: float = 0.1, levels: tuple[float, ...] = LEVELS) -> pd.DataFrame:
    """Funnel of units' mean scores against the number of observations behind each mean.

    Target = grand mean of all observations; sd = pooled within-unit standard deviation
    √(Σ(n_u - 1)s_u² / Σ(n_u - 1)); ``s_u = sd/√n_u``, ``z = (mean_u - target)/s_u``; φ and τ²
    by :func:`additive_tau2` on the winsorised z-scores; limits :func:`mean_funnel_limits`.
    Missing values are dropped; units with one observation still get limits (from the pooled sd).

    >>> t = mean_funnel([70, 80, 90, 75, 85, 80], ["a", "a", "a", "b", "b", "b"])
    >>> t[["unit", "size", "value"]].values.tolist()
    [['a', 3.0, 80.0], ['b', 3.0, 80.0]]
    """
    d = pd.DataFrame({"unit": np.asarray(units), "v": np.asarray(values, dtype="float64")}).dropna()
    g = d.groupby("unit", sort=True)["v"]
    n, mean, var = g.size().astype("float64"), g.mean(), g.var(ddof=1).fillna(0.0)
    dof = (n - 1).sum()
    if dof <= 0:
        raise ValueError("a mean funnel needs at least one unit with two or more observations")
    sd = float(np.sqrt(((n - 1) * var).sum() / dof))
    target = float(d["v"].mean())
    s = sd / np.sqrt(n.to_numpy())
    z = (mean.to_numpy() - target) / s
    od = additive_tau2(z, s, trim)
    plain = mean_funnel_limits(n, target, sd, levels)
    wide = mean_funnel_limits(n, target, sd, levels, tau2=od.tau2)
    out = _assemble(n.index.to_numpy(), mean.to_numpy(), n.to_numpy(), z, plain, wide, levels, od, target)
    out.attrs["sd"] = sd
    return out
