"""Agreement of raters on categorical answers: the coefficients and tests on raw answers.

Two raters (answer vectors ``a``, ``b``): :func:`cohen_kappa` (unweighted, linear, quadratic),
:func:`scott_pi`, :func:`brennan_prediger`, :func:`percent_agreement`. Any number of raters:
:func:`gwet_ac` (units x raters), :func:`krippendorff_alpha` (raters x units, Krippendorff's layout),
:func:`fleiss_kappa` (units x raters). The K x K table: :func:`stuart_maxwell` (marginal homogeneity)
and :func:`bowker_symmetry`.

Every coefficient returns an :class:`~helpers.stats.agreement.Agreement` (``statistic, estimate, ci_low,
ci_high, n, se, reason, ci_method``; Krippendorff's alpha adds the number of pairable values, Fleiss'
kappa its z test): where a statistic is undefined (e.g. chance agreement 1 because every answer is in one
category) the estimate is NaN and ``reason`` says why -- never 0 and never an exception. Tests return a
:class:`TableTest` (``estimate`` the test statistic, ``df``, ``p_value``).

The two-rater coefficients are computed from the K x K table of paired answers by
:mod:`helpers.stats.agreement` (the table is a sufficient statistic); Krippendorff's alpha uses the same
coincidence kernel (:func:`helpers.stats.agreement.alpha_from_coincidence`) for any number of raters.
Pure statistics: no language, no plots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import krippendorff as _kd
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats import inter_rater as _ir

from helpers.stats.agreement import (
    MIN_SE,
    Agreement,
    agreement_from_table,
    alpha_from_coincidence,
    as_count,
    bootstrap_degeneracy,
    bootstrap_interval,
    clopper_pearson,
    contingency_table,
    krippendorff_metric,
    sort_key,
    undefined_reason,
    weight_matrix,
)

__all__ = [
    "FleissKappa",
    "KrippendorffAlpha",
    "TableTest",
    "bowker_symmetry",
    "brennan_prediger",
    "cohen_kappa",
    "expand_table",
    "fleiss_kappa",
    "gwet_ac",
    "krippendorff_alpha",
    "percent_agreement",
    "rating_counts",
    "scott_pi",
    "stuart_maxwell",
]


# ==============================================================================================
# two raters, categorical answers
# ==============================================================================================
def _two_rater(statistic, a, b, weights, categories, confidence) -> Agreement:
    table, cats = contingency_table(a, b, categories)
    suffix = "" if weights is None else f"_{weights}"
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")
    name = statistic + suffix
    if table.size == 0:
        return Agreement(name, math.nan, math.nan, math.nan, 0.0,
                         reason="no pairable answers (no unit rated by both raters)")
    return agreement_from_table(name, table, values=cats, confidence=confidence)


def cohen_kappa(
    a: Sequence,
    b: Sequence,
    weights: str | None = None,
    categories: Sequence | None = None,
    confidence: float = 0.95,
) -> Agreement:
    """Cohen's kappa of two raters, unweighted or with linear / quadratic weights.

    Measures agreement beyond the agreement expected if the two raters answered independently,
    each with their own marginal distribution:
    ``kappa = (p_a - p_e) / (1 - p_e)``, ``p_a = sum_kl w_kl p_kl``, ``p_e = sum_kl w_kl p_k. p_.l``
    with ``w = I`` (Cohen 1960), ``1 - |k-l|/(K-1)`` (linear) or ``1 - (k-l)^2/(K-1)^2``
    (quadratic; Cohen 1968). The weights depend on the *positions* of the categories in
    ``categories`` (as R ``irr::kappa2`` and statsmodels).

    Missing data: pairs with a missing answer (None, NaN, ``pd.NA``) are dropped.
    ``categories=None`` builds the table from the values that occur in either vector, which is
    what ``irr::kappa2`` does: on the anxiety data, where no rater 2/3 answer is 5, the linear
    weights then treat 4 and 6 as adjacent. Pass the full scale (``categories=range(1, 7)``) to
    keep the scale's distances. Undefined (NaN with a ``reason``) when chance agreement is 1.
    Interval: ``kappa +- t_{n-1} se`` with Gwet's (2014) large-sample standard error (irrCAC).

    References: Cohen J (1960) Educ Psychol Meas 20:37-46; Cohen J (1968) Psychol Bull
    70:213-220; Gwet KL (2014) Handbook of Inter-Rater Reliability, 4th ed.

    Examples
    --------
    R ``irr::kappa2`` on the anxiety data, rater 2 vs rater 3 (levels that occur):

    >>> import pandas as pd
    >>> from helpers.datasets import load_reference
    >>> d = load_reference("irr_anxiety")
    >>> [round(cohen_kappa(d.rater2, d.rater3, w).estimate, 7) for w in (None, "linear", "quadratic")]
    [-0.0062893, 0.1459075, 0.2520325]

    The full 1..6 scale (category 5 kept, unused):

    >>> [round(cohen_kappa(d.rater2, d.rater3, w, categories=range(1, 7)).estimate, 7)
    ...  for w in (None, "linear", "quadratic")]
    [-0.0062893, 0.1262136, 0.229798]
    """
    return _two_rater("cohen_kappa", a, b, weights, categories, confidence)


def scott_pi(a: Sequence, b: Sequence, categories: Sequence | None = None,
             confidence: float = 0.95) -> Agreement:
    """Scott's pi: chance agreement from the *pooled* distribution of both raters.

    ``pi = (p_a - p_e)/(1 - p_e)``, ``p_e = sum_k m_k^2``, ``m_k = (p_k. + p_.k)/2``.
    Missing pairs dropped; NaN with a reason when every answer is in one category; interval from
    Gwet's (2014) standard error. Reference: Scott WA (1955) Public Opinion Quarterly 19:321-325.

    Examples
    --------
    Gwet's cont3x3abstractors (irrCAC README): Scott's pi 0.7962397.

    >>> a, b = expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    >>> round(scott_pi(a, b).estimate, 7)
    0.7962397
    """
    return _two_rater("scott_pi", a, b, None, categories, confidence)


def brennan_prediger(a: Sequence, b: Sequence, categories: Sequence | None = None,
                     confidence: float = 0.95) -> Agreement:
    """Brennan-Prediger coefficient: chance agreement ``1/K`` (uniform answering).

    ``BP = (p_a - 1/K) / (1 - 1/K)``. It depends on the number of categories, so pass the full
    scale in ``categories``. Defined whenever K >= 2, also when every answer is in one category.
    Reference: Brennan RL, Prediger DJ (1981) Educ Psychol Meas 41:687-699.

    Examples
    --------
    Gwet's cont3x3abstractors (irrCAC README, ``bp.coeff.raw``): 0.835 = (0.89 - 1/3) / (1 - 1/3).

    >>> table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    >>> round(brennan_prediger(*expand_table(table)).estimate, 7)
    0.835
    """
    return _two_rater("brennan_prediger", a, b, None, categories, confidence)


def percent_agreement(a: Sequence, b: Sequence, categories: Sequence | None = None,
                      confidence: float = 0.95) -> Agreement:
    """Share of complete pairs with identical answers, ``p_a = sum_k p_kk``.

    Not chance-corrected; always defined when there is at least one pair. Interval: exact
    Clopper-Pearson (:func:`helpers.stats.agreement.clopper_pearson`; issue 9), which stays inside
    [0, 1] and keeps its width when every pair agrees (40 of 40: [0.912, 1]); ``se`` is the
    binomial standard error of irrCAC. Pairs are treated as independent (for interviewer
    clusters see :func:`helpers.studies.mystery_guest.reliability.compare_interviewers`).

    Examples
    --------
    >>> a, b = expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    >>> r = percent_agreement(a, b)
    >>> round(r.estimate, 10), round(r.ci_low, 4), round(r.ci_high, 4)  # R binom.test(89, 100)
    (0.89, 0.8117, 0.9438)
    """
    res = _two_rater("percent_agreement", a, b, None, categories, confidence)
    if math.isnan(res.estimate) or res.n < 1:
        return res
    lo, hi = clopper_pearson(round(res.estimate * res.n), res.n, confidence)
    return Agreement(res.statistic, res.estimate, lo, hi, res.n, res.se,
                     ci_method="exact (Clopper-Pearson)")


def expand_table(table) -> tuple[list, list]:
    """Pairs (a, b) reproducing a K x K count table with categories 1..K (for examples and tests).

    >>> expand_table([[1, 2], [0, 1]])
    ([1, 1, 1, 2], [1, 2, 2, 2])
    """
    t = np.asarray(table, dtype=int)
    k = t.shape[0]
    a, b = [], []
    for i in range(k):
        for j in range(k):
            a += [i + 1] * t[i, j]
            b += [j + 1] * t[i, j]
    return a, b


# ==============================================================================================
# many raters, categorical answers
# ==============================================================================================
def rating_counts(ratings, categories=None) -> tuple[np.ndarray, list]:
    """Units x categories count matrix from a units x raters array (NaN missing), vectorised.

    >>> counts, cats = rating_counts([[1, 1, None], [2, 1, 2]])
    >>> counts.tolist(), cats
    ([[2.0, 0.0], [1.0, 2.0]], [1, 2])
    """
    r = pd.DataFrame(ratings)
    n_units, n_raters = r.shape
    flat = pd.Series(r.to_numpy(dtype=object).ravel()).mask(lambda x: x.isna())
    present = flat.dropna()
    if categories is None:
        cats = sorted(set(present.tolist()), key=sort_key)
    else:
        cats = list(categories)
        bad = set(present.tolist()) - set(cats)
        if bad:
            raise ValueError(f"rating {sorted(bad, key=sort_key)[0]!r} is not among categories {cats!r}")
    idx = {c: i for i, c in enumerate(cats)}
    codes = flat.map(idx)
    ok = codes.notna().to_numpy()
    unit = np.repeat(np.arange(n_units), n_raters)[ok]
    counts = np.zeros((n_units, len(cats)))
    np.add.at(counts, (unit, codes.to_numpy()[ok].astype(np.int64)), 1)
    return counts, cats


def gwet_ac(
    ratings,
    weights: str | None = None,
    categories: Sequence | None = None,
    confidence: float = 0.95,
) -> Agreement:
    """Gwet's AC1 (unweighted) or AC2 (linear / quadratic weights) for any number of raters.

    ``AC = (p_a - p_e)/(1 - p_e)`` with ``p_a`` the mean, over units rated at least twice, of
    ``sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))`` (``r*_ik = sum_l w_kl r_il``) and
    ``p_e = T_w / (K (K-1)) * sum_k pi_k (1 - pi_k)``, ``pi_k`` the mean share of category k
    over units rated at least once, ``T_w`` the sum of the weights.
    Chance agreement stays below 1 when answers pile up in one category, so AC1 stays defined
    (it equals percent agreement when every answer is in one category); it needs the number of
    categories K, so pass the full scale in ``categories``.

    ``ratings``: units x raters (array or DataFrame), NaN/None for missing; units with a single
    rating enter ``pi_k`` only (all pairable values are used). Interval ``AC +- t_{n-1} se`` with
    Gwet's linearised variance (irrCAC ``gwet.ac1.raw``, finite population correction off).
    Weights use category positions (= irrCAC weights for consecutive integer categories).

    Reference: Gwet KL (2008) Computing inter-rater reliability and its variance in the presence
    of high agreement. Br J Math Stat Psychol 61:29-48. Tests: the two-rater AC1 and its SE
    reproduce the irrCAC README; AC1/AC2 equal the table formulas; missing data by hand.

    Examples
    --------
    Gwet's cont3x3abstractors, two raters (irrCAC README: AC1 0.8493305, SE 0.04322). The
    published SE is that of the table formula (variance divided by n^2, ``analytic_se``); the
    raw-data formula used here divides by n (n - 1), so it is larger by sqrt(n / (n - 1)):

    >>> a, b = expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    >>> res = gwet_ac(np.column_stack([a, b]))
    >>> round(res.estimate, 7), round(res.se * (99 / 100) ** 0.5, 5)
    (0.8493305, 0.04322)
    """
    counts, cats = rating_counts(ratings, categories)
    name = "gwet_ac1" if weights is None else f"gwet_ac2_{weights}"
    k = len(cats)
    ri = counts.sum(1)
    keep = ri > 0
    counts, ri = counts[keep], ri[keep]
    n = float(len(ri))
    if k < 2:
        return Agreement(name, math.nan, math.nan, math.nan, n,
                         reason=undefined_reason("gwet_ac1", np.zeros((k, k)) + 1))
    w = weight_matrix(k, weights)
    two = ri >= 2
    if two.sum() == 0:
        return Agreement(name, math.nan, math.nan, math.nan, n,
                         reason="no unit rated by two or more raters")
    cw = counts @ w.T
    sum_q = (counts * (cw - 1)).sum(1)
    den = ri * (ri - 1)
    pa_i = np.where(two, sum_q / np.where(two, den, 1), 0.0)
    n2 = two.sum()
    pa = pa_i[two].sum() / n2
    pi = (counts / ri[:, None]).mean(0)
    tw = w.sum()
    pe = tw * (pi * (1 - pi)).sum() / (k * (k - 1))
    ac = (pa - pe) / (1 - pe)
    # linearised variance (Gwet 2008; irrCAC gwet.ac1.raw)
    ac_i = (n / n2) * (pa_i - pe * two) / (1 - pe)
    pe_i = tw / (k * (k - 1)) * (counts @ (1 - pi)) / ri
    ac_i_x = ac_i - 2 * (1 - ac) * (pe_i - pe) / (1 - pe)
    if n < 2:
        return Agreement(name, float(ac), math.nan, math.nan, n,
                         reason="no interval with a single unit")
    se = math.sqrt(((ac_i_x - ac) ** 2).sum() / (n * (n - 1)))
    if se <= MIN_SE:
        return Agreement(name, float(ac), math.nan, math.nan, n, se,
                         reason="standard error 0 (every unit agrees): no zero-width interval")
    q = stats.t.ppf(0.5 + confidence / 2, n - 1)
    # the upper bound closed at 1, the coefficient's maximum, as irrCAC publishes it (cac.raw4raters: (0.461, 1))
    return Agreement(name, float(ac), float(ac - q * se), float(min(1.0, ac + q * se)), n, se,
                     ci_method="analytic (Gwet)")


def _no_bootstrap_reason(n_boot: int, n_units: float) -> str:
    """Why a unit-bootstrap interval is NaN before any resample is drawn."""
    return "no interval with a single unit" if n_units < 2 else "no interval requested (n_boot = 0)"


def _pattern_weights(n_units: int, freq: np.ndarray, n_boot: int, rng) -> np.ndarray:
    """Bootstrap multiplicities of distinct unit patterns: (B, P) multinomial(n, freq/n)."""
    return rng.multinomial(n_units, freq / freq.sum(), size=n_boot).astype(float)


@dataclass(frozen=True)
class KrippendorffAlpha(Agreement):
    """Krippendorff's alpha with a unit-bootstrap interval: an :class:`Agreement` (``n`` = units with two or
    more values) and the number of pairable values."""

    n_pairable_values: int = math.nan

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "n_pairable_values", as_count(self.n_pairable_values))


def krippendorff_alpha(
    data,
    level: str = "nominal",
    n_boot: int = 1000,
    seed: int | None = 0,
    confidence: float = 0.95,
) -> KrippendorffAlpha:
    """Krippendorff's alpha, ``1 - D_o / D_e``, at the nominal, ordinal, interval or ratio level.

    ``data``: raters x units (Krippendorff's layout), NaN for missing. Uses all pairable values:
    every unit with at least two values contributes its ``m_u (m_u - 1)`` ordered pairs with
    weight ``1/(m_u - 1)`` to the coincidence matrix ``o_ck``; units with one value are ignored.
    ``alpha = 1 - (n.. - 1) sum o_ck delta_ck / sum n_c n_k delta_ck`` with the level's metric
    ``delta`` (ordinal: ``(sum_{g=c..k} n_g - (n_c + n_k)/2)^2``). The estimate comes from the
    ``krippendorff`` package (Castro 2017); the same coincidence computation, written here,
    gives the bootstrap: units are resampled (multinomial over the distinct unit patterns, so
    the cost does not grow with the number of units), percentile interval. NaN with a reason
    when expected disagreement is 0 (a single value used).

    Reference: Krippendorff K (2011) Computing Krippendorff's alpha-reliability. Annenberg School
    for Communication, Departmental Papers 43; Hayes AF, Krippendorff K (2007) Communication
    Methods and Measures 1:77-89.

    Examples
    --------
    Krippendorff (2011), 4 observers x 12 units with missing values:

    >>> import pandas as pd
    >>> from helpers.datasets import load_reference
    >>> d = load_reference("krippendorff_2011").set_index("unit").T
    >>> [round(krippendorff_alpha(d, lv, n_boot=0).estimate, 6)
    ...  for lv in ("nominal", "ordinal", "interval", "ratio")]
    [0.743421, 0.815388, 0.849107, 0.797403]
    """
    raw = np.asarray(data.to_numpy() if isinstance(data, pd.DataFrame) else data, dtype=object)
    x = pd.to_numeric(pd.Series(raw.ravel()), errors="coerce").to_numpy(dtype=float).reshape(
        raw.shape)
    counts, cats = rating_counts(x.T)
    values = np.asarray(cats, dtype=float)
    mu = counts.sum(1)
    pairable = mu >= 2
    n_units = float(pairable.sum())
    name = f"krippendorff_alpha_{level}"
    if len(cats) < 2 or n_units == 0:
        why = ("no unit with two or more values" if n_units == 0 else
               "every value is in one category: expected disagreement is 0, alpha is 0/0")
        return KrippendorffAlpha(name, math.nan, math.nan, math.nan, n_units, reason=why,
                                 n_pairable_values=float(mu[pairable].sum()))
    est = float(_kd.alpha(reliability_data=x, level_of_measurement=level))
    if math.isnan(est):
        return KrippendorffAlpha(name, math.nan, math.nan, math.nan, n_units,
                                 reason="expected disagreement is 0: alpha is 0/0",
                                 n_pairable_values=float(mu[pairable].sum()))
    lo = hi = math.nan
    how = why = ""
    if n_boot > 0 and n_units >= 2:
        c = counts[pairable]
        pats, freq = np.unique(c, axis=0, return_counts=True)
        m = pats.sum(1)
        o_pat = (pats[:, :, None] * pats[:, None, :] - pats[:, :, None] * np.eye(len(cats)))
        o_pat = o_pat / (m - 1)[:, None, None]
        rng = np.random.default_rng(seed)
        wts = _pattern_weights(int(n_units), freq.astype(float), n_boot, rng)
        o_boot = np.einsum("bp,pkl->bkl", wts, o_pat)
        boot = alpha_from_coincidence(o_boot, krippendorff_metric(level, o_boot.sum(-1), values))
        why, _, usable = bootstrap_degeneracy(est, boot)
        if usable:
            lo, hi, how = bootstrap_interval(est, boot, confidence=confidence, method="percentile")
    else:
        why = _no_bootstrap_reason(n_boot, n_units)
    return KrippendorffAlpha(name, est, lo, hi, n_units, reason=why, ci_method=how,
                             n_pairable_values=float(mu[pairable].sum()))


@dataclass(frozen=True)
class FleissKappa(Agreement):
    """Fleiss' kappa (an :class:`Agreement`) with the Fleiss-Nee-Landis z test (``z``, ``p_value``, the
    standard error under the null ``se0``), per-category kappas and a bootstrap CI."""

    z: float = math.nan
    p_value: float = math.nan
    se0: float = math.nan
    per_category: dict = field(default_factory=dict)


def fleiss_kappa(ratings, n_boot: int = 1000, seed: int | None = 0,
                 confidence: float = 0.95) -> FleissKappa:
    """Fleiss' kappa, the multi-rater generalisation of Scott's pi (same number of raters per unit).

    ``kappa = (P - P_e)/(1 - P_e)``, ``P`` the mean over units of
    ``sum_j n_ij (n_ij - 1) / (m (m - 1))``, ``P_e = sum_j p_j^2``. Estimate from statsmodels
    (``inter_rater.fleiss_kappa``); the z statistic uses the standard error under the null of
    Fleiss, Nee & Landis (1979), as R ``irr::kappam.fleiss``; per-category kappas
    ``1 - sum_i n_ij (m - n_ij) / (N m (m-1) p_j q_j)``. Interval: unit bootstrap (multinomial
    over distinct unit patterns), percentile. ``ratings``: units x raters; units with a missing
    rating are dropped (complete cases), which the formula requires.

    Reference: Fleiss JL (1971) Psychol Bull 76:378-382; Fleiss JL, Nee JCM, Landis JR (1979)
    Psychol Bull 86:974-977.

    Examples
    --------
    >>> import pandas as pd
    >>> from helpers.datasets import load_reference
    >>> d = load_reference("fleiss_1971_diagnoses").set_index("subject")
    >>> res = fleiss_kappa(d, n_boot=0)
    >>> round(res.estimate, 7), round(res.z, 5)
    (0.4302445, 17.65183)
    >>> [round(v, 6) for v in res.per_category.values()]
    [0.244755, 0.244755, 0.52, 0.471127, 0.566118]
    """
    r = pd.DataFrame(ratings)
    r = r[r.notna().all(axis=1)]
    counts, cats = rating_counts(r)
    n_units = float(len(counts))
    if n_units == 0 or len(cats) < 2:
        why = ("no complete unit" if n_units == 0 else
               "every rating is in one category: chance agreement is 1, kappa is 0/0")
        return FleissKappa("fleiss_kappa", math.nan, math.nan, math.nan, n_units, reason=why)
    m = counts.sum(1)[0]
    est = float(_ir.fleiss_kappa(counts, method="fleiss"))
    p = counts.sum(0) / (n_units * m)
    q = 1 - p
    pq = (p * q).sum()
    se0 = math.sqrt(2) / (pq * math.sqrt(n_units * m * (m - 1))) * math.sqrt(
        pq**2 - (p * q * (q - p)).sum()
    )
    z = est / se0
    per = {
        c: float(1 - (counts[:, j] * (m - counts[:, j])).sum() / (n_units * m * (m - 1) * p[j] * q[j]))
        if p[j] * q[j] > 0 else math.nan
        for j, c in enumerate(cats)
    }
    lo = hi = math.nan
    how = why = ""
    if n_boot > 0 and n_units >= 2:
        pats, freq = np.unique(counts, axis=0, return_counts=True)
        rng = np.random.default_rng(seed)
        wts = _pattern_weights(int(n_units), freq.astype(float), n_boot, rng)
        p_i = ((pats**2).sum(1) - m) / (m * (m - 1))
        pb = wts @ p_i / n_units
        pj = wts @ (pats / m) / n_units
        pe = (pj**2).sum(1)
        boot = np.where(1 - pe > 1e-12, (pb - pe) / np.where(1 - pe > 1e-12, 1 - pe, 1), np.nan)
        why, _, usable = bootstrap_degeneracy(est, boot)
        if usable:
            lo, hi, how = bootstrap_interval(est, boot, confidence=confidence, method="percentile")
    else:
        why = _no_bootstrap_reason(n_boot, n_units)
    return FleissKappa("fleiss_kappa", est, lo, hi, n_units, reason=why, ci_method=how, z=float(z),
                       p_value=float(2 * stats.norm.sf(abs(z))), se0=float(se0), per_category=per)


# ==============================================================================================
# tests on the K x K table
# ==============================================================================================
@dataclass(frozen=True)
class TableTest:
    """A test on the K x K table: ``statistic`` is the test's name, ``estimate`` its chi-square value, with
    degrees of freedom ``df`` and ``p_value``."""

    statistic: str
    estimate: float
    df: float
    p_value: float
    n: int
    reason: str = ""
    ci_low: float = math.nan
    ci_high: float = math.nan

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", as_count(self.n))


def _square_table(a, b, categories) -> np.ndarray:
    if b is None:
        t = np.asarray(a, dtype=float)
        if t.ndim != 2 or t.shape[0] != t.shape[1]:
            raise ValueError("with b=None, a must be a square contingency table")
        return t
    return contingency_table(a, b, categories)[0].astype(float)


def stuart_maxwell(a, b=None, categories: Sequence | None = None) -> TableTest:
    """Stuart-Maxwell test of marginal homogeneity: do both raters use the categories equally often?

    ``Q = d' V^{-1} d`` with ``d_k = n_k. - n_.k`` (K-1 categories), ``V_kk = n_k. + n_.k - 2 n_kk``,
    ``V_kl = -(n_kl + n_lk)``; ``Q ~ chi2(K-1)`` under homogeneity. Categories used by neither
    rater are dropped first (they would make ``V`` singular); if ``V`` is still singular the
    Moore-Penrose inverse is used with ``df = rank(V)``. Equal to statsmodels
    ``SquareTable.homogeneity()`` (cross-checked in tests) but defined on the edge cases: with no
    discordant pair (or one category) the statistic is NaN with a reason.
    ``a, b``: paired answers (missing pairs dropped), or ``a`` a K x K table and ``b=None``.

    Reference: Stuart A (1955) Biometrika 42:412-416; Maxwell AE (1970) Br J Psychiatry
    116:651-655.

    Examples
    --------
    Stuart's (1955) 7,477 women, right vs left eye vision grade:

    >>> import pandas as pd
    >>> from helpers.datasets import load_reference
    >>> t = load_reference("stuart_1955_vision").set_index("right_eye")
    >>> r = stuart_maxwell(t.to_numpy())
    >>> round(r.estimate, 4), r.df, round(r.p_value, 5)
    (11.9566, 3.0, 0.00753)
    """
    t = _square_table(a, b, categories)
    n = float(t.sum())
    if n == 0:
        return TableTest("stuart_maxwell", math.nan, math.nan, math.nan, n,
                          reason="no pairable answers (no unit rated by both raters)")
    used = (t.sum(0) + t.sum(1)) > 0
    t = t[np.ix_(used, used)]
    k = t.shape[0]
    if k < 2:
        return TableTest("stuart_maxwell", math.nan, math.nan, math.nan, n,
                          reason="fewer than two categories used: marginal homogeneity is trivial")
    r, c = t.sum(1), t.sum(0)
    d = (r - c)[:-1]
    v = -(t + t.T)
    np.fill_diagonal(v, r + c - 2 * np.diag(t))
    v = v[:-1, :-1]
    rank = np.linalg.matrix_rank(v)
    if rank == 0:
        return TableTest("stuart_maxwell", math.nan, math.nan, math.nan, n,
                          reason="no discordant pairs: the margins are identical and the test "
                                 "statistic is 0/0")
    vinv = np.linalg.inv(v) if rank == k - 1 else np.linalg.pinv(v)
    q = float(d @ vinv @ d)
    return TableTest("stuart_maxwell", q, float(rank), float(stats.chi2.sf(q, rank)), n)


def bowker_symmetry(a, b=None, categories: Sequence | None = None) -> TableTest:
    """Bowker's test of symmetry of the K x K table, ``sum_{k<l} (n_kl - n_lk)^2 / (n_kl + n_lk)``.

    ``df`` = number of off-diagonal pairs with ``n_kl + n_lk > 0`` (R ``mcnemar.test`` and
    statsmodels ``SquareTable.symmetry`` count all K(K-1)/2 pairs; they agree when no pair is
    empty). Reference: Bowker AH (1948) JASA 43:572-574.

    Examples
    --------
    Stuart's (1955) vision grades (as :func:`stuart_maxwell`):

    >>> from helpers.datasets import load_reference
    >>> r = bowker_symmetry(load_reference("stuart_1955_vision").set_index("right_eye").to_numpy())
    >>> round(r.estimate, 4), r.df, round(r.p_value, 6)
    (19.1066, 6.0, 0.003987)
    """
    t = _square_table(a, b, categories)
    n = float(t.sum())
    iu = np.triu_indices(t.shape[0], 1)
    s = (t + t.T)[iu]
    dif = (t - t.T)[iu]
    ok = s > 0
    if ok.sum() == 0:
        return TableTest("bowker_symmetry", math.nan, math.nan, math.nan, n,
                          reason="no discordant pairs: symmetry holds trivially, the test is 0/0")
    x2 = float((dif[ok] ** 2 / s[ok]).sum())
    df = float(ok.sum())
    return TableTest("bowker_symmetry", x2, df, float(stats.chi2.sf(x2, df)), n)


