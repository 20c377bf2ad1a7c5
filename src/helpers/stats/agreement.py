"""Chance-corrected agreement of two raters on categorical answers, computed from the K x K table.

This module is the engine behind :mod:`helpers.stats.rater_agreement` (the public functions on raw answers)
and :mod:`helpers.studies.mystery_guest.reliability` (the survey analyses). For two
raters, the K x K table of paired answers is a *sufficient statistic* for every coefficient here
(percent agreement, Cohen's kappa and its weighted forms, Scott's pi, Gwet's AC1/AC2,
Brennan-Prediger, Krippendorff's alpha at the nominal, ordinal and interval level): a pair
``(a_i, b_i)`` enters only through the cell it falls into. All coefficients are therefore written
as vectorised functions of tables of shape ``(..., K, K)`` so that the bootstrap can draw 2,000
resampled *tables* (multinomial with the observed cell proportions, which is exactly the
distribution of the table of a row-resample) and evaluate every coefficient at once. Its cost does
not depend on the number of pairs.

Common form. With ``p_kl`` the share of pairs in cell (k, l) and agreement weights ``w_kl``
(1 on the diagonal), every coefficient is ``(p_a - p_e) / (1 - p_e)`` with ``p_a = sum w_kl p_kl``
and a coefficient-specific chance agreement ``p_e``:

===================  ==================================================  ==========================
coefficient          p_e                                                 reference
===================  ==================================================  ==========================
Cohen's kappa        sum w_kl r_k c_l  (row/column margins)              Cohen 1960; 1968
Scott's pi           sum w_kl m_k m_l, m = (r + c) / 2                   Scott 1955
Gwet's AC1 / AC2     T_w / (K (K-1)) * sum m_k (1 - m_k), T_w = sum w    Gwet 2008
Brennan-Prediger     T_w / K^2                                           Brennan & Prediger 1981
Krippendorff alpha   1 - (N-1) sum o delta / sum n_c n_k delta           Krippendorff 2011
===================  ==================================================  ==========================

Clusters. Pairs that share interviewers are not independent. :func:`cluster_tables` keeps one
K x K table per combination of cluster levels (e.g. volunteer x social-worker interviewer) and
:func:`pigeonhole_tables` resamples the levels of every factor (Owen 2007), so the cluster
bootstrap is a ``(B, C) @ (C, K^2)`` product. :func:`table_intervals` turns resampled tables into
intervals with the rules of issue 9: exact intervals for percent agreement, no interval (NaN with a
reason) when the resamples are degenerate, undefined resamples counted.

Undefined values. When ``1 - p_e`` is 0 (for kappa, pi and alpha: every answer in one category)
the coefficient is 0/0: it is returned as NaN and :func:`undefined_reason` states why. It is never
replaced by 0. Percent agreement, AC1/AC2 and Brennan-Prediger stay defined as long as the scale
has at least two categories (pass the full scale in ``categories``).

Hand-written because no well-kept Python library computes these coefficients on a batch of tables
(statsmodels' ``cohens_kappa`` takes one table and has no AC1 or Scott's pi; ``krippendorff``
works on raw data). The single-table values are cross-checked against statsmodels, krippendorff
and the published irrCAC / irr numbers in ``tests/test_rater_agreement.py``.

Examples
--------
Gwet's ``cont3x3abstractors`` table (irrCAC README; Gwet, Handbook of Inter-Rater Reliability):

>>> import numpy as np
>>> t = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
>>> c = table_coefficients(t)
>>> print({k: round(float(v), 7) for k, v in c.items() if k in (
...     "percent_agreement", "cohen_kappa", "scott_pi", "gwet_ac1", "brennan_prediger",
...     "krippendorff_alpha_nominal", "cohen_kappa_quadratic")})
{'percent_agreement': 0.89, 'cohen_kappa': 0.7964094, 'cohen_kappa_quadratic': 0.8921569, 'scott_pi': 0.7962397, 'gwet_ac1': 0.8493305, 'brennan_prediger': 0.835, 'krippendorff_alpha_nominal': 0.7972585}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: coefficients computed by :func:`table_coefficients`, in reporting order
COEFFICIENTS: tuple[str, ...] = (
    "percent_agreement",
    "cohen_kappa",
    "cohen_kappa_linear",
    "cohen_kappa_quadratic",
    "scott_pi",
    "gwet_ac1",
    "gwet_ac2_linear",
    "gwet_ac2_quadratic",
    "brennan_prediger",
    "krippendorff_alpha_nominal",
    "krippendorff_alpha_ordinal",
    "krippendorff_alpha_interval",
)

_EPS = 1e-12

#: a standard error at or below this is read as 0 (the coefficients live on [-1, 1]; rounding leaves about
#: 1e-7 where the exact value is 0, e.g. Cohen's kappa when one rater uses a single category), so no
#: interval of width below ~4e-6 is ever given: NaN with a reason instead (issue 19, item 5)
MIN_SE = 1e-6


def as_count(n: object) -> object:
    """A count as ``int`` when it is a whole number (``40.0 -> 40``), unchanged otherwise (NaN).

    >>> as_count(40.0), as_count(np.int64(3)), as_count(float("nan"))
    (40, 3, nan)
    """
    if isinstance(n, bool):
        return n
    if isinstance(n, int | np.integer):
        return int(n)
    if isinstance(n, float | np.floating) and math.isfinite(n) and float(n).is_integer():
        return int(n)
    return n


@dataclass(frozen=True)
class Agreement:
    """One agreement coefficient with its 95% interval.

    ``estimate`` is NaN exactly when the coefficient is undefined; ``reason`` then says why.
    ``n`` is the number of units (pairs) that entered the computation, an integer.
    An interval is either of real width or NaN with a ``reason``: never of zero width.
    """

    statistic: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    se: float = math.nan
    reason: str = ""
    ci_method: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", as_count(self.n))

    def to_dict(self) -> dict:
        return {
            "statistic": self.statistic,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
            "se": self.se,
            "reason": self.reason,
            "ci_method": self.ci_method,
        }


# ----------------------------------------------------------------------------------------------
# tables and weights
# ----------------------------------------------------------------------------------------------
def is_missing(v: object) -> bool:
    """True for None, ``pd.NA`` and NaN (a value that cannot be paired)."""
    if v is None or v is pd.NA:
        return True
    try:
        return bool(np.isnan(v))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def sort_key(v: object):
    """Sort key of category values: numbers in numeric order, then anything else as text."""
    return (0, float(v)) if isinstance(v, int | float | np.integer | np.floating) else (1, str(v))


def contingency_table(
    a: Sequence, b: Sequence, categories: Sequence | None = None
) -> tuple[np.ndarray, list]:
    """K x K table of paired answers (rows: ``a``, columns: ``b``) over the complete pairs.

    Pairs where either answer is missing (None, NaN, ``pd.NA``) are dropped: with two raters
    these are exactly the values that are not pairable. ``categories`` fixes the rows/columns and
    their order (the full scale, worst to best); by default the sorted union of the values that
    occur (R ``irr::kappa2`` behaviour). A value outside ``categories`` raises ``ValueError``
    (codes and labels must not be mixed).

    >>> t, cats = contingency_table([1, 2, None, 2], [1, 3, 2, 2])
    >>> cats, t.tolist()
    ([1, 2, 3], [[1, 0, 0], [0, 1, 1], [0, 0, 0]])
    """
    a = list(a)
    b = list(b)
    if len(a) != len(b):
        raise ValueError(f"a and b must have the same length ({len(a)} != {len(b)})")
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if not (is_missing(x) or is_missing(y))]
    if categories is None:
        cats = sorted({v for p in pairs for v in p}, key=sort_key)
    else:
        cats = list(categories)
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)), dtype=np.int64)
    for x, y in pairs:
        try:
            table[index[x], index[y]] += 1
        except KeyError as err:
            raise ValueError(
                f"answer {err.args[0]!r} is not among categories {cats!r}"
                " (codes and labels must not be mixed)"
            ) from None
    return table, cats


def table_from_codes(a: np.ndarray, b: np.ndarray, n_categories: int) -> np.ndarray:
    """Fast K x K table from integer position arrays (0..K-1; negative = missing)."""
    ok = (a >= 0) & (b >= 0)
    flat = a[ok].astype(np.int64) * n_categories + b[ok].astype(np.int64)
    return np.bincount(flat, minlength=n_categories * n_categories).reshape(
        n_categories, n_categories
    )


def weight_matrix(n_categories: int, weights: str | None = None) -> np.ndarray:
    """Agreement weights ``w_kl`` on category *positions* 0..K-1.

    ``None``: identity; ``"linear"``: ``1 - |k-l|/(K-1)``; ``"quadratic"``: ``1 - (k-l)^2/(K-1)^2``
    (Cohen 1968; irr's "equal" and "squared"; irrCAC's linear and quadratic weights for
    consecutive integer categories).

    >>> weight_matrix(3, "linear").tolist()
    [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
    """
    k = np.arange(n_categories, dtype=float)
    d = np.abs(k[:, None] - k[None, :])
    if weights is None or weights in ("identity", "nominal", "unweighted"):
        return np.eye(n_categories)
    span = max(n_categories - 1, 1)
    if weights == "linear":
        return 1.0 - d / span
    if weights == "quadratic":
        return 1.0 - (d / span) ** 2
    raise ValueError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")


def _values(categories: Sequence | None, n_categories: int) -> np.ndarray:
    """Numeric values of the categories for the interval metric (positions for labels)."""
    if categories is not None:
        try:
            return np.asarray([float(c) for c in categories])
        except (TypeError, ValueError):
            pass
    return np.arange(n_categories, dtype=float)


# ----------------------------------------------------------------------------------------------
# vectorised coefficients
# ----------------------------------------------------------------------------------------------
def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.abs(den) > _EPS
    np.divide(num, den, out=out, where=ok)
    return out


def _chance_corrected(pa: np.ndarray, pe: np.ndarray) -> np.ndarray:
    return _ratio(pa - pe, 1.0 - pe)


def alpha_from_coincidence(o: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Krippendorff's alpha from coincidence matrices ``o`` (..., K, K) and the metric ``delta``.

    ``alpha = 1 - (n.. - 1) sum o_ck delta_ck / sum n_c n_k delta_ck`` (Krippendorff 2011), NaN where the
    expected disagreement is 0. The one kernel behind :func:`table_coefficients` (two raters) and
    :func:`helpers.stats.rater_agreement.krippendorff_alpha` (any number of raters, and its bootstrap).

    Ten units, two raters, table ``[[5, 1], [1, 3]]`` (the ``krippendorff`` package gives 0.6041667):

    >>> o = np.array([[10.0, 2.0], [2.0, 6.0]])  # t + t', each unit counted both ways
    >>> round(float(alpha_from_coincidence(o, krippendorff_metric("nominal", o.sum(-1), np.arange(2.0)))), 7)
    0.6041667
    """
    nc = o.sum(axis=-1)
    n_total = nc.sum(axis=-1)
    observed = (o * delta).sum(axis=(-2, -1))
    expected = np.einsum("...k,...kl,...l->...", nc, delta, nc)
    return 1.0 - (n_total - 1.0) * _ratio(observed, expected)


def krippendorff_metric(level: str, nc: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Krippendorff's difference function ``delta_ck`` at one level of measurement.

    ``nc``: marginal value frequencies of the coincidence matrix (..., K) (the ordinal metric depends on
    them); ``values``: the numeric values of the K categories (interval and ratio metrics). Nominal
    ``1 - [c = k]``; ordinal :func:`ordinal_metric`; interval ``(c - k)^2``; ratio ``((c - k)/(c + k))^2``.
    """
    values = np.asarray(values, dtype=float)
    k = len(values)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        return ordinal_metric(nc)
    d = values[:, None] - values[None, :]
    if level == "interval":
        return d**2
    if level == "ratio":
        s = values[:, None] + values[None, :]
        return np.where(s != 0, (d / np.where(s != 0, s, 1)) ** 2, 0.0)
    raise ValueError(f"level must be nominal, ordinal, interval or ratio, not {level!r}")


def ordinal_metric(nc: np.ndarray) -> np.ndarray:
    """Krippendorff's ordinal metric ``delta_ck^2 = (sum_{g=c..k} n_g - (n_c + n_k)/2)^2``.

    ``nc``: marginal value frequencies of the coincidence matrix, shape (..., K).
    """
    cum = np.cumsum(nc, axis=-1)
    # sum_{g=min..max} n_g = cum[max] - cum[min] + n_min
    lo_cum = cum[..., :, None]
    hi_cum = cum[..., None, :]
    k = nc.shape[-1]
    idx = np.arange(k)
    upper = idx[:, None] <= idx[None, :]
    span = np.where(upper, hi_cum - lo_cum + nc[..., :, None], lo_cum - hi_cum + nc[..., None, :])
    return (span - (nc[..., :, None] + nc[..., None, :]) / 2.0) ** 2


def table_coefficients(
    table: np.ndarray, values: Sequence[float] | None = None, which: Sequence[str] = COEFFICIENTS
) -> dict[str, np.ndarray]:
    """Every coefficient of :data:`COEFFICIENTS` for one table or a batch of tables.

    ``table``: counts of shape ``(K, K)`` or ``(B, K, K)``, rows rater A, columns rater B.
    ``values``: numeric values of the K categories for Krippendorff's interval metric
    (default 0..K-1); kappa and AC2 weights use category positions (see :func:`weight_matrix`).
    Returns ``{name: array of shape (B,) or ()}``; NaN marks an undefined coefficient.
    """
    t = np.asarray(table, dtype=float)
    k = t.shape[-1]
    n = t.sum(axis=(-2, -1))
    p = t / np.where(n > 0, n, np.nan)[..., None, None]
    r = p.sum(axis=-1)
    c = p.sum(axis=-2)
    m = (r + c) / 2.0
    out: dict[str, np.ndarray] = {}
    v = _values(values, k) if values is not None else np.arange(k, dtype=float)
    for wname, suffix in ((None, ""), ("linear", "_linear"), ("quadratic", "_quadratic")):
        names = [f"cohen_kappa{suffix}", f"gwet_ac{'1' if wname is None else '2' + suffix}"]
        if wname is None:
            names += ["percent_agreement", "scott_pi", "brennan_prediger"]
        if not any(nm in which for nm in names):
            continue
        w = weight_matrix(k, wname)
        pa = (w * p).sum(axis=(-2, -1))
        tw = w.sum()
        if wname is None:
            out["percent_agreement"] = pa
            out["scott_pi"] = _chance_corrected(pa, np.einsum("...k,kl,...l->...", m, w, m))
            out["brennan_prediger"] = (
                _chance_corrected(pa, np.full_like(pa, tw / k**2)) if k > 1 else pa * np.nan
            )
        out[f"cohen_kappa{suffix}"] = _chance_corrected(
            pa, np.einsum("...k,kl,...l->...", r, w, c)
        )
        ac_name = "gwet_ac1" if wname is None else f"gwet_ac2{suffix}"
        if k > 1:
            pe_ac = tw / (k * (k - 1)) * (m * (1.0 - m)).sum(axis=-1)
            out[ac_name] = _chance_corrected(pa, pe_ac)
        else:
            out[ac_name] = pa * np.nan
    if any(nm.startswith("krippendorff") for nm in which):
        o = t + np.swapaxes(t, -1, -2)  # coincidences of 2 raters: each unit gives (a,b), (b,a)
        for level in ("nominal", "ordinal", "interval"):
            out[f"krippendorff_alpha_{level}"] = alpha_from_coincidence(
                o, krippendorff_metric(level, o.sum(-1), v))
    return {name: out[name] for name in COEFFICIENTS if name in out and name in which}


def undefined_reason(statistic: str, table: np.ndarray) -> str:
    """Why ``statistic`` is undefined (NaN) on ``table``; empty string when it is defined."""
    t = np.asarray(table, dtype=float)
    n = t.sum()
    k = t.shape[-1]
    if n == 0:
        return "no pairable answers (no unit rated by both raters)"
    used = np.flatnonzero(t.sum(0) + t.sum(1))
    if statistic.startswith(("gwet_ac", "brennan_prediger")) and k < 2:
        return (
            "fewer than two categories known: pass the full scale in `categories` "
            "(AC1/AC2 and Brennan-Prediger need the number of categories)"
        )
    if statistic.startswith(("cohen_kappa", "scott_pi", "krippendorff_alpha")):
        rows = np.flatnonzero(t.sum(1))
        cols = np.flatnonzero(t.sum(0))
        if len(used) == 1 or (statistic.startswith("cohen") and len(rows) == 1 and len(cols) == 1
                              and rows[0] == cols[0]):
            return (
                f"every answer is in one category ({len(used)} category used): chance agreement "
                "is 1, so the coefficient is 0/0; report percent agreement and Gwet's AC1, "
                "which stay defined"
            )
        if statistic.startswith("krippendorff") and n < 2:
            return "fewer than two pairable values"
        return "chance agreement is 1 (expected disagreement 0): the coefficient is 0/0"
    return "undefined"


# ----------------------------------------------------------------------------------------------
# analytic standard errors (Gwet 2014; irrCAC *.table functions)
# ----------------------------------------------------------------------------------------------
def analytic_se(statistic: str, table: np.ndarray) -> float:
    """Large-sample standard error of a two-rater coefficient, as in R irrCAC (Gwet 2014).

    For kappa, Scott's pi and AC1/AC2 (linearisation, Gwet 2014 ch. 5; irrCAC ``kappa2.table``,
    ``scott2.table``, ``gwet.ac1.table``):
    ``v = [sum p_kl (w_kl - (1-theta)(u_k + v_l))^2 - (p_a - 2(1-theta) p_e)^2] / (n (1-p_e)^2)``
    with ``u = W c, v = W' r`` (kappa), ``u = W m, v = W' m`` (pi) and
    ``u_k = T_w (1 - m_k) / (K (K-1))`` (AC). For percent agreement and Brennan-Prediger, whose
    chance term is fixed, ``v = (sum p_kl w_kl^2 - p_a^2) / (n (1-p_e)^2)``. NaN when undefined.
    The finite-population correction of irrCAC is not applied (N = infinity).

    >>> t = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    >>> round(analytic_se("cohen_kappa", t), 5), round(analytic_se("gwet_ac1", t), 5)
    (0.05891, 0.04322)
    """
    t = np.asarray(table, dtype=float)
    k = t.shape[-1]
    n = t.sum()
    if n < 2:
        return math.nan
    p = t / n
    r = p.sum(1)
    c = p.sum(0)
    m = (r + c) / 2
    wname = None
    for s in ("linear", "quadratic"):
        if statistic.endswith(s):
            wname = s
    w = weight_matrix(k, wname)
    pa = float((w * p).sum())
    tw = w.sum()
    if statistic in ("percent_agreement", "brennan_prediger"):
        pe = 0.0 if statistic == "percent_agreement" else tw / k**2
        if 1 - pe <= _EPS:
            return math.nan
        return math.sqrt(_difference((p * w**2).sum(), pa**2) / (n * (1 - pe) ** 2))
    if statistic.startswith("cohen_kappa"):
        pe = float(r @ w @ c)
        u, v = w @ c, w.T @ r
    elif statistic == "scott_pi":
        pe = float(m @ w @ m)
        u, v = w @ m, w.T @ m
    elif statistic.startswith("gwet_ac"):
        if k < 2:
            return math.nan
        pe = float(tw / (k * (k - 1)) * (m * (1 - m)).sum())
        u = v = tw * (1 - m) / (k * (k - 1))
    else:
        raise ValueError(f"no analytic standard error for {statistic!r}")
    if 1 - pe <= _EPS:
        return math.nan
    theta = (pa - pe) / (1 - pe)
    s1 = (p * (w - (1 - theta) * (u[:, None] + v[None, :])) ** 2).sum()
    var = _difference(s1, (pa - 2 * (1 - theta) * pe) ** 2) / (n * (1 - pe) ** 2)
    return math.sqrt(var)


def _difference(a: float, b: float) -> float:
    """``a - b`` for a variance written as a difference of two sums: 0 when it is within rounding of 0
    (``|a - b| <= 1e-10 max(|a|, |b|)``) or negative, so a variance that is exactly 0 comes out as 0,
    not as the ~1e-15 that rounding leaves (which gave kappa an interval of width 4e-7)."""
    d = float(a) - float(b)
    return 0.0 if d <= 1e-10 * max(abs(float(a)), abs(float(b))) else d


def pinned_reason(statistic: str, table: np.ndarray) -> str:
    """Why the analytic standard error of a defined coefficient is 0 (the reason given with the NaN interval).

    Cohen's kappa (any weights) is exactly 0 in every table where one rater uses a single category
    (``p_a = p_e = sum_l w_kl c_l``): the sampling model behind the standard error fixes that rater's
    margin, so the standard error is 0 and a ``kappa +- t se`` interval would have zero width (issue 19,
    item 5: 39 x (5,5) + (5,4)). Otherwise (every pair agrees, or the linear weights' kappa pinned at 0
    when one rater never answers below the other) the standard error is 0 for the same reason: the
    coefficient cannot move when the pairs are resampled.

    >>> pinned_reason("cohen_kappa", np.array([[0, 0], [1, 39]]))[:35]
    'one rater used a single category: C'
    """
    t = np.asarray(table, dtype=float)
    if statistic.startswith("cohen_kappa") and (
            np.count_nonzero(t.sum(1)) == 1 or np.count_nonzero(t.sum(0)) == 1):
        return ("one rater used a single category: Cohen's kappa is 0 in every sample where that rater "
                "keeps to one answer, so its standard error is 0; no interval is given rather than a "
                "zero-width one")
    return ("standard error 0 (answers at the ceiling, or a coefficient fixed by the raters' "
            "margins): no zero-width interval")


def agreement_from_table(
    statistic: str,
    table: np.ndarray,
    values: Sequence[float] | None = None,
    confidence: float = 0.95,
) -> Agreement:
    """One coefficient of a table with the analytic (irrCAC) interval ``est +- t_{n-1} se``, its upper bound at
    most 1 (irrCAC: ``ucb <- min(1, coeff + stderr * qt(...))``).

    Never a zero-width interval: when the standard error is 0 (at or below :data:`MIN_SE`, the
    rounding left where it is exactly 0) the interval is NaN and ``reason`` says why
    (:func:`pinned_reason`), as the bootstrap path does (:func:`bootstrap_degeneracy`).
    Krippendorff's alpha has no analytic standard error here; use :func:`bootstrap_table_ci`.

    >>> r = agreement_from_table("cohen_kappa", np.array([[0, 0], [1, 39]]))  # 39 x (5,5) + (5,4)
    >>> r.estimate, r.ci_low, r.n, r.reason[:32]
    (0.0, nan, 40, 'one rater used a single category')
    """
    t = np.asarray(table)
    est = float(table_coefficients(t, values, which=(statistic,))[statistic])
    n = float(t.sum())
    if math.isnan(est):
        return Agreement(statistic, math.nan, math.nan, math.nan, n,
                         reason=undefined_reason(statistic, t))
    if statistic.startswith("krippendorff"):
        return Agreement(statistic, est, math.nan, math.nan, n,
                         reason="no analytic interval: use the bootstrap")
    se = analytic_se(statistic, t)
    if math.isnan(se) or n < 2:
        return Agreement(statistic, est, math.nan, math.nan, n, se,
                         reason="interval undefined with fewer than two pairs")
    if se <= MIN_SE:
        return Agreement(statistic, est, math.nan, math.nan, n, se,
                         reason=pinned_reason(statistic, t))
    q = stats.t.ppf(0.5 + confidence / 2, n - 1)
    # the upper bound closed at 1, the coefficient's maximum, as irrCAC's *.table functions publish it
    return Agreement(statistic, est, est - q * se, min(1.0, est + q * se), n, se, ci_method="analytic (Gwet)")


# ----------------------------------------------------------------------------------------------
# the table bootstrap
# ----------------------------------------------------------------------------------------------
def resample_tables(table: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` bootstrap tables: multinomial(n, observed cell shares), shape (B, K, K).

    Drawing n pairs with replacement and tabulating them gives exactly this multinomial law, so
    the result is the pair bootstrap without touching the pairs.
    """
    t = np.asarray(table, dtype=np.int64)
    n = int(t.sum())
    k = t.shape[-1]
    if n == 0:
        return np.zeros((n_boot, k, k))
    draws = rng.multinomial(n, t.ravel() / n, size=n_boot)
    return draws.reshape(n_boot, k, k)


def _jackknife_tables(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-pair-out tables: one per non-empty cell, with the cell count as multiplicity."""
    t = np.asarray(table, dtype=np.int64)
    k = t.shape[-1]
    cells = np.flatnonzero(t.ravel())
    jk = np.repeat(t.ravel()[None, :], len(cells), axis=0)
    jk[np.arange(len(cells)), cells] -= 1
    return jk.reshape(-1, k, k), t.ravel()[cells].astype(float)


def bootstrap_interval(
    estimate: float,
    boot: np.ndarray,
    jack: np.ndarray | None = None,
    jack_weights: np.ndarray | None = None,
    confidence: float = 0.95,
    method: str = "bca",
) -> tuple[float, float, str]:
    """Percentile or BCa (Efron 1987) interval from bootstrap replicates ``boot``.

    NaN replicates (resamples where the coefficient is undefined) are left out here; callers check
    :func:`bootstrap_degeneracy` first (more than 5% undefined, or all replicates equal: no
    interval) and report the undefined share. BCa falls back to the percentile interval when the
    acceleration or the bias correction cannot be computed.
    """
    b = np.asarray(boot, dtype=float)
    b = b[~np.isnan(b)]
    if b.size < 2 or math.isnan(estimate):
        return math.nan, math.nan, ""
    alpha = (1 - confidence) / 2
    lo_q, hi_q = alpha, 1 - alpha
    used = "percentile"
    if method == "bca" and jack is not None and np.ptp(b) > 0:
        prop = (np.sum(b < estimate) + 0.5 * np.sum(b == estimate)) / b.size
        jw = np.ones_like(jack) if jack_weights is None else jack_weights
        ok = ~np.isnan(jack)
        if 0 < prop < 1 and ok.sum() >= 2:
            jm = np.average(jack[ok], weights=jw[ok])
            d = jm - jack[ok]
            den = 6.0 * (np.sum(jw[ok] * d**2)) ** 1.5
            acc = np.sum(jw[ok] * d**3) / den if den > 0 else 0.0
            z0 = stats.norm.ppf(prop)
            zs = stats.norm.ppf([alpha, 1 - alpha])
            adj = stats.norm.cdf(z0 + (z0 + zs) / (1 - acc * (z0 + zs)))
            if np.all(np.isfinite(adj)):
                lo_q, hi_q = float(adj[0]), float(adj[1])
                used = "bca"
    lo, hi = np.quantile(b, [lo_q, hi_q])
    return float(lo), float(hi), f"bootstrap {used}"


#: largest share of resamples in which a coefficient may be undefined before its interval is
#: withheld (NaN with a reason); below it the undefined resamples are excluded and counted
MAX_UNDEFINED_SHARE = 0.05


def bootstrap_degeneracy(estimate: float, boot: np.ndarray,
                         max_undefined: float = MAX_UNDEFINED_SHARE) -> tuple[str, float, bool]:
    """Check bootstrap replicates before an interval is read off them.

    Returns ``(reason, undefined_share, usable)``. Not usable (the interval must be NaN) when

    * more than ``max_undefined`` of the replicates are undefined (NaN): the defined ones are a
      selected subset (e.g. the resamples that happen to contain a rare disagreement), so their
      quantiles are not an interval for the coefficient;
    * every defined replicate has the same value (range below ``1e-9``): the resampling cannot
      move the statistic (all pairs agree, or the coefficient is pinned at a value such as
      kappa = 0 when one interviewer gave a single answer), so a quantile interval would have zero
      width and claim certainty the data do not have.

    Otherwise usable; ``reason`` still reports a non-zero undefined share (those replicates are
    excluded and counted, never dropped silently).

    >>> bootstrap_degeneracy(0.0, np.r_[np.zeros(64), np.full(36, np.nan)])[0][:38]
    'undefined in 36.0% of resamples (more '
    >>> bootstrap_degeneracy(0.5, np.r_[np.linspace(0.4, 0.6, 99), np.nan])
    ('undefined in 1.0% of resamples (excluded)', 0.01, True)
    """
    b = np.asarray(boot, dtype=float)
    if b.size == 0:
        return "no resamples", math.nan, False
    undefined = float(np.mean(np.isnan(b)))
    ok = b[~np.isnan(b)]
    if undefined > max_undefined:
        return (f"undefined in {undefined:.1%} of resamples (more than {max_undefined:.0%}): "
                "the defined resamples are a selected subset, so no bootstrap interval is "
                "given"), undefined, False
    if ok.size < 2 or np.ptp(ok) <= 1e-9 * max(1.0, abs(estimate)):
        return ("every resample gives the same value: the bootstrap is degenerate here "
                "(answers at the ceiling), so no interval is given rather than a zero-width "
                "one"), undefined, False
    if undefined > 0:
        return f"undefined in {undefined:.1%} of resamples (excluded)", undefined, True
    return "", 0.0, True


def clopper_pearson(x: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a binomial proportion ``x / n``.

    ``[B(a/2; x, n - x + 1), B(1 - a/2; x + 1, n - x)]`` with ``B`` the beta quantile, 0 when
    ``x = 0`` and 1 when ``x = n``. Non-integer ``x`` and ``n`` (an effective sample size, Korn &
    Graubard 1998) are allowed. Chosen over Wilson because it never falls below the nominal level
    (Clopper & Pearson 1934, Biometrika 26:404; Brown, Cai & DasGupta 2001, Stat Sci 16:101), which
    matters at the ceiling, where percent agreement sits at or near 1.

    Examples
    --------
    40 pairs that all agree: the 95% interval is [0.912, 1] (``0.025 ** (1/40)``), not [1, 1].

    >>> lo, hi = clopper_pearson(40, 40)
    >>> round(lo, 4), hi
    (0.9119, 1.0)
    >>> [round(v, 4) for v in clopper_pearson(8, 10)]  # R binom.test(8, 10): 0.4439 0.9748
    [0.4439, 0.9748]
    """
    if not n > 0:
        return math.nan, math.nan
    a = 1.0 - confidence
    lo = 0.0 if x <= 0 else float(stats.beta.ppf(a / 2, x, n - x + 1))
    hi = 1.0 if x >= n else float(stats.beta.ppf(1 - a / 2, x + 1, n - x))
    return lo, hi


def korn_graubard(p: float, var: float, n: float, confidence: float = 0.95
                  ) -> tuple[float, float, float]:
    """Clopper-Pearson interval at the effective sample size ``n_eff = p (1 - p) / var``.

    Korn & Graubard (1998, Survey Methodology 24:193) for a proportion estimated under a complex
    design (here: clustered pairs or design weights), with ``x = p n_eff``; the variance ``var``
    comes from the cluster bootstrap. ``n_eff`` is not capped at ``n`` (as R
    ``survey::svyciprop(method = "beta")``). When ``var`` is 0 or ``p`` is 0 or 1 the effective
    size is unknown and ``n`` is used (the interval of independent pairs, the least that the data
    support). Returns ``(low, high, n_eff)``.

    >>> [round(v, 4) for v in korn_graubard(1.0, 0.0, 40)]
    [0.9119, 1.0, 40.0]
    """
    if math.isnan(p) or not n > 0:
        return math.nan, math.nan, math.nan
    n_eff = p * (1 - p) / var if (var > 0 and 0 < p < 1) else float(n)
    lo, hi = clopper_pearson(p * n_eff, n_eff, confidence)
    return lo, hi, float(n_eff)


# ----------------------------------------------------------------------------------------------
# cluster tables and the pigeonhole bootstrap
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClusterTables:
    """Per-cell K x K tables of pairs sharing the same level of every clustering factor.

    ``tables``: shape ``(C, K, K)`` (float: design weights allowed); ``levels``: one integer array
    of length C per factor (the level of each cell); ``n_levels``: levels per factor;
    ``factors``: names; ``n``: pairs per cell (unweighted).
    """

    tables: np.ndarray
    levels: tuple[np.ndarray, ...]
    n_levels: tuple[int, ...]
    factors: tuple[str, ...]
    n: np.ndarray

    @property
    def table(self) -> np.ndarray:
        """The (weighted) K x K table of all pairs."""
        return self.tables.sum(axis=0)


def cluster_tables(a: np.ndarray, b: np.ndarray, n_categories: int,
                   factors: dict[str, Sequence], weights: Sequence[float] | None = None
                   ) -> ClusterTables:
    """Aggregate pairs into one K x K table per combination of cluster levels.

    ``a, b``: category positions 0..K-1 of the two raters (negative = missing: the pair is left
    out); ``factors``: ``{name: level of each pair}`` (e.g. volunteer interviewer, social-worker
    interviewer); ``weights``: design weight of each pair (default 1). The tables are a sufficient
    statistic for every coefficient and for the pigeonhole bootstrap, so the bootstrap cost depends
    on the number of cells, not of pairs.

    >>> ct = cluster_tables(np.array([0, 1, 1]), np.array([0, 1, 0]), 2,
    ...                     {"v": ["x", "x", "y"]})
    >>> ct.tables.tolist(), ct.n_levels
    ([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [1.0, 0.0]]], (2,))
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ok = (a >= 0) & (b >= 0)
    w = np.ones(len(a)) if weights is None else np.asarray(weights, dtype=float)
    codes, sizes = [], []
    for name, lv in factors.items():
        c, u = pd.factorize(pd.Series(list(lv)).astype("object").fillna(f"<missing {name}>"))
        codes.append(np.asarray(c, dtype=np.int64))
        sizes.append(len(u))
    k2 = n_categories * n_categories
    if codes:
        cell = np.ravel_multi_index(tuple(c[ok] for c in codes), tuple(max(s, 1) for s in sizes))
    else:
        cell = np.zeros(int(ok.sum()), dtype=np.int64)
    uniq, inv = np.unique(cell, return_inverse=True)
    tables = np.zeros((len(uniq), k2))
    np.add.at(tables, (inv, a[ok] * n_categories + b[ok]), w[ok])
    counts = np.bincount(inv, minlength=len(uniq)).astype(float)
    lv = np.unravel_index(uniq, tuple(max(s, 1) for s in sizes)) if codes else ()
    return ClusterTables(tables.reshape(-1, n_categories, n_categories), tuple(lv),
                         tuple(sizes), tuple(factors), counts)


def pigeonhole_tables(ct: ClusterTables, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Pigeonhole bootstrap (Owen 2007) of cluster tables: ``(n_boot, K, K)`` resampled tables.

    Every factor is resampled independently: its ``G`` levels are drawn ``G`` times with
    replacement (multiplicities ``m_g ~ multinomial(G, 1/G)``), and a cell carries the product of
    the multiplicities of its levels; the resampled table is ``sum_c (prod_f m_{f,c}) T_c``. With one
    factor this is the ordinary cluster bootstrap; with the volunteer and the social-worker
    interviewer as the two factors it is Owen's pigeonhole bootstrap of the crossed volunteer x
    social-worker array. Vectorised: one ``(B, C) @ (C, K^2)`` product.

    Reference: Owen AB (2007) The pigeonhole bootstrap. Ann Appl Stat 1:386-411; Owen AB, Eckles D
    (2012) Bootstrapping data arrays of arbitrary order. Ann Appl Stat 6:895-927.
    """
    c, k, _ = ct.tables.shape
    weight = np.ones((n_boot, c))
    for lv, g in zip(ct.levels, ct.n_levels, strict=True):
        m = rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot).astype(float)
        weight *= m[:, lv]
    return (weight @ ct.tables.reshape(c, k * k)).reshape(n_boot, k, k)


def stratified_tables(strata_tables: np.ndarray, weights: np.ndarray, n_boot: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Pair bootstrap within strata: each stratum's table resampled (multinomial, its own n),
    multiplied by the stratum's design weight and summed; shape ``(n_boot, K, K)``."""
    out = 0.0
    for t, w in zip(strata_tables, weights, strict=True):
        out = out + w * resample_tables(t, n_boot, rng)
    return np.asarray(out, dtype=float)


# ----------------------------------------------------------------------------------------------
# intervals from resampled tables
# ----------------------------------------------------------------------------------------------
def _percent_agreement_interval(t, e, b, n, confidence, resampling, integer, label):
    """(low, high, method, reason) for percent agreement, or None to use the bootstrap."""
    if resampling == "pairs" and integer:
        lo, hi = clopper_pearson(float(np.trace(t)), float(t.sum()), confidence)
        return lo, hi, "exact (Clopper-Pearson)", ""
    if resampling.startswith("pairs"):
        var = float(np.nanvar(b, ddof=1)) if b.size > 1 else 0.0
        var = var if var > MIN_SE**2 else 0.0  # identical resamples leave ~1e-32 of rounding, not a variance
        lo, hi, _ = korn_graubard(e, var, n, confidence)
        why = "" if (var > 0 and 0 < e < 1) else "no variance in the resamples: effective n = pairs"
        return lo, hi, f"Korn-Graubard (Clopper-Pearson at effective n from the {label})", why
    if bootstrap_degeneracy(e, b)[2]:
        return None
    lo, hi = clopper_pearson(e * n, n, confidence)
    return lo, hi, "exact (Clopper-Pearson) at the number of pairs", (
        "every cluster resample gives the same value (all pairs agree): Clopper-Pearson interval "
        "of independent pairs; the clustering by interviewer is not reflected")


def table_intervals(
    table: np.ndarray,
    boot_tables: np.ndarray | None,
    n: float,
    values: Sequence[float] | None = None,
    confidence: float = 0.95,
    method: str = "bca",
    which: Sequence[str] = COEFFICIENTS,
    exact_percent_agreement: bool = True,
    resampling: str = "pairs",
) -> pd.DataFrame:
    """Every coefficient of ``table`` with an interval from the resampled tables ``boot_tables``.

    ``table`` may hold design-weighted counts (its shares are what the coefficients use); ``n`` is
    the number of pairs. Rules (issue 9):

    * **percent agreement**: exact Clopper-Pearson interval (:func:`clopper_pearson`, ``x`` = pairs
      that agree) for unweighted pairs resampled as independent units; Korn-Graubard
      (:func:`korn_graubard`, Clopper-Pearson at the effective n from the bootstrap variance)
      for design-weighted pairs; for cluster resampling the percentile interval like the other
      coefficients (the Korn-Graubard interval over-covers there: 0.98 in the 2020-shaped
      simulation), and Clopper-Pearson at the number of pairs when the cluster resamples are
      degenerate (every pair agrees). Never zero width: 40 of 40 agreeing pairs give [0.912, 1].
    * **every other coefficient**: BCa (``method="bca"``; exact jackknife over the cells, pairs
      resampled as units, unweighted only) or percentile interval of the resampled tables, unless
      :func:`bootstrap_degeneracy` says the replicates cannot give one: then NaN with a reason.
      The share of undefined resamples is reported in ``undefined_share`` and in ``reason``.

    Returns the tidy frame ``statistic, estimate, ci_low, ci_high, n, se, reason, ci_method,
    undefined_share``.
    """
    t = np.asarray(table, dtype=float)
    est = table_coefficients(t, values, which)
    integer = bool(np.allclose(t, np.round(t)))
    use_bca = method == "bca" and resampling == "pairs" and integer
    rows = []
    boot = table_coefficients(boot_tables, values, which) if boot_tables is not None else {}
    jack: dict = {}
    jk_w = None
    if use_bca and boot:
        jk_tables, jk_w = _jackknife_tables(np.round(t).astype(np.int64))
        jack = table_coefficients(jk_tables, values, which)
    label = "bootstrap" if resampling == "pairs" else f"{resampling} bootstrap"
    for name, value in est.items():
        e = float(value)
        if math.isnan(e):
            rows.append({**Agreement(name, math.nan, math.nan, math.nan, n,
                                     reason=undefined_reason(name, t)).to_dict(),
                         "undefined_share": math.nan})
            continue
        if n < 2 or not boot:
            rows.append({**Agreement(name, e, math.nan, math.nan, n,
                                     reason="no interval with fewer than two pairs" if n < 2
                                     else "no resamples: no interval").to_dict(),
                         "undefined_share": math.nan})
            continue
        b = np.asarray(boot[name], dtype=float)
        se = float(np.nanstd(b, ddof=1)) if np.sum(~np.isnan(b)) > 1 else math.nan
        if name == "percent_agreement" and exact_percent_agreement:
            row = _percent_agreement_interval(t, e, b, n, confidence, resampling, integer, label)
            if row is not None:
                rows.append({**Agreement(name, e, row[0], row[1], n, se, row[3],
                                         row[2]).to_dict(),
                             "undefined_share": float(np.mean(np.isnan(b)))})
                continue
        why, undefined, usable = bootstrap_degeneracy(e, b)
        if not usable:
            rows.append({**Agreement(name, e, math.nan, math.nan, n, se, why, "").to_dict(),
                         "undefined_share": undefined})
            continue
        lo, hi, how = bootstrap_interval(e, b, jack.get(name), jk_w, confidence=confidence,
                                         method="bca" if use_bca else "percentile")
        if resampling != "pairs":
            how = how.replace("bootstrap", label)
        rows.append({**Agreement(name, e, lo, hi, n, se, why, how).to_dict(),
                     "undefined_share": undefined})
    return pd.DataFrame(rows)


def bootstrap_table_ci(
    table: np.ndarray,
    values: Sequence[float] | None = None,
    n_boot: int = 2000,
    seed: int | np.random.Generator | None = 0,
    confidence: float = 0.95,
    method: str = "bca",
    which: Sequence[str] = COEFFICIENTS,
    exact_percent_agreement: bool = True,
) -> pd.DataFrame:
    """All coefficients of a two-rater table with bootstrap intervals, pairs resampled as units.

    One multinomial draw of ``n_boot`` tables (seeded ``numpy`` Generator), every coefficient
    evaluated on the batch at once; BCa acceleration from the exact jackknife, which for a table
    has only one distinct leave-one-out value per non-empty cell. Percent agreement gets the exact
    Clopper-Pearson interval (``exact_percent_agreement=False``: bootstrap like the others);
    degenerate resamples give NaN with a reason (:func:`table_intervals`). The intervals treat the
    pairs as independent: they are conditional on the interviewers and workers of the study (for
    clustered pairs use :func:`pigeonhole_tables` with :func:`table_intervals`). Returns a tidy
    frame with columns ``statistic, estimate, ci_low, ci_high, n, se, reason, ci_method,
    undefined_share``.

    >>> t = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    >>> res = bootstrap_table_ci(t, n_boot=500, seed=1).set_index("statistic")
    >>> bool(res.loc["gwet_ac1", "ci_low"] < 0.8493305 < res.loc["gwet_ac1", "ci_high"])
    True
    >>> [round(v, 4) for v in res.loc["percent_agreement", ["ci_low", "ci_high"]]]  # binom.test(89, 100)
    [0.8117, 0.9438]
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    t = np.asarray(table, dtype=np.int64)
    n = float(t.sum())
    boot = resample_tables(t, n_boot, rng) if (n >= 2 and n_boot > 0) else None
    return table_intervals(t, boot, n, values, confidence, method, which,
                           exact_percent_agreement, "pairs")
