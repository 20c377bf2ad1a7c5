"""Agreement between volunteer and social-worker interviewers (inter-rater reliability).

Public API (issue 4). Categorical answers of two raters: :func:`cohen_kappa`, :func:`scott_pi`,
:func:`brennan_prediger`, :func:`percent_agreement` (two answer vectors), :func:`gwet_ac`
(units x raters), :func:`krippendorff_alpha` (raters x units, Krippendorff's layout),
:func:`fleiss_kappa` (units x raters), :func:`stuart_maxwell` and :func:`bowker_symmetry`
(marginal homogeneity and symmetry of the K x K table). Scores: :func:`icc` (the six
Shrout-Fleiss / McGraw-Wong forms with F tests and intervals), :func:`bland_altman`,
:func:`wilcoxon_signed_rank` (with the matched-pairs rank-biserial correlation). Survey level:
:func:`compare_interviewers` (tidy per-item table with fast bootstrap intervals),
:func:`compare_scores` (domain and composite scores), :func:`interviewer_leniency`,
:func:`funnel_limits`, :func:`intra_interviewer_correlation`, and the interpretation helpers
:func:`landis_koch`, :func:`koo_li`, :func:`krippendorff_band`, :func:`describe_agreement`,
:func:`kappa_paradox`.

Every coefficient function returns an object with ``estimate, ci_low, ci_high, n`` (floats) and
``reason``: where a statistic is undefined (e.g. chance agreement 1 because every answer is in one
category) the estimate is NaN and ``reason`` says why -- never 0 and never an exception.

The categorical coefficients of two raters are computed from the K x K table of paired answers in
:mod:`helpers.stats.agreement`. Survey-level intervals (:func:`compare_interviewers`) resample the
interviewers as clusters by default (pigeonhole bootstrap of per-interviewer-pair K x K tables,
Owen 2007; ``resample="pairs"``: multinomial resampling of the table, intervals conditional on these
interviewers); either way 2,000 resamples cost the same for 100 pairs as for a million. Percent
agreement has an exact (Clopper-Pearson) interval, degenerate bootstraps give NaN with a reason,
and ``strata`` (the roster) gives design-weighted tables (issue 9).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import krippendorff as _kd
import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats
from statsmodels.stats import inter_rater as _ir

from helpers.io.codebook import load_codebook
from helpers.stats.agreement import (
    COEFFICIENTS,
    Agreement,
    agreement_from_table,
    analytic_se,
    bootstrap_degeneracy,
    bootstrap_interval,
    bootstrap_table_ci,
    clopper_pearson,
    cluster_tables,
    contingency_table,
    ordinal_metric,
    pigeonhole_tables,
    resample_tables,
    stratified_tables,
    table_coefficients,
    table_from_codes,
    table_intervals,
    undefined_reason,
    weight_matrix,
)
from helpers.stats.survey import design_weights

__all__ = [
    "COEFFICIENTS",
    "Agreement",
    "BlandAltman",
    "TestResult",
    "analytic_se",
    "bland_altman",
    "bootstrap_table_ci",
    "ceiling_warnings",
    "clopper_pearson",
    "interval_note",
    "pair_design",
    "weighted_vs_unweighted_agreement",
    "weights_differ",
    "bowker_symmetry",
    "brennan_prediger",
    "cohen_kappa",
    "compare_interviewers",
    "compare_scores",
    "contingency_table",
    "describe_agreement",
    "fleiss_kappa",
    "funnel_limits",
    "gwet_ac",
    "icc",
    "intra_interviewer_correlation",
    "interviewer_leniency",
    "kappa_paradox",
    "kappa_paradox_report",
    "koo_li",
    "krippendorff_alpha",
    "krippendorff_band",
    "landis_koch",
    "paired_tables",
    "percent_agreement",
    "resample_tables",
    "scott_pi",
    "stuart_maxwell",
    "table_coefficients",
    "wilcoxon_signed_rank",
    "agreement_summary",
    "interpretation_paragraphs",
    "interviewer_effect_sentence",
    "least_agreeing",
    "paired_years",
    "plot_agreement_forest",
    "plot_bland_altman",
    "plot_confusion",
    "plot_funnel",
    "score_agreement_summary",
    "score_sentences",
    "select_interviews",
]

ROLES = ("volunteer", "social_worker")


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

    >>> a, b = _expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
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
    >>> a, b = _expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    >>> round(brennan_prediger(a, b).estimate, 7)
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
    clusters see :func:`compare_interviewers`).

    Examples
    --------
    >>> a, b = _expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
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


def _expand_table(table) -> tuple[list, list]:
    """Pairs (a, b) reproducing a K x K count table with categories 1..K (for examples/tests)."""
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
def _rating_counts(ratings, categories=None) -> tuple[np.ndarray, list]:
    """Units x categories count matrix from a units x raters array (NaN missing), vectorised."""
    r = pd.DataFrame(ratings)
    n_units, n_raters = r.shape
    flat = pd.Series(r.to_numpy(dtype=object).ravel()).mask(lambda x: x.isna())
    present = flat.dropna()
    if categories is None:
        cats = sorted(set(present.tolist()), key=_key)
    else:
        cats = list(categories)
        bad = set(present.tolist()) - set(cats)
        if bad:
            raise ValueError(f"rating {sorted(bad, key=_key)[0]!r} is not among categories {cats!r}")
    idx = {c: i for i, c in enumerate(cats)}
    codes = flat.map(idx)
    ok = codes.notna().to_numpy()
    unit = np.repeat(np.arange(n_units), n_raters)[ok]
    counts = np.zeros((n_units, len(cats)))
    np.add.at(counts, (unit, codes.to_numpy()[ok].astype(np.int64)), 1)
    return counts, cats


def _missing(v) -> bool:
    if v is None or v is pd.NA:
        return True
    try:
        return bool(np.isnan(v))
    except (TypeError, ValueError):
        return False


def _key(v):
    return (0, float(v)) if isinstance(v, int | float | np.integer | np.floating) else (1, str(v))


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

    >>> a, b = _expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    >>> res = gwet_ac(np.column_stack([a, b]))
    >>> round(res.estimate, 7), round(res.se * (99 / 100) ** 0.5, 5)
    (0.8493305, 0.04322)
    """
    counts, cats = _rating_counts(ratings, categories)
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
    if se <= 1e-12:
        return Agreement(name, float(ac), math.nan, math.nan, n, se,
                         reason="standard error 0 (every unit agrees): no zero-width interval")
    q = stats.t.ppf(0.5 + confidence / 2, n - 1)
    return Agreement(name, float(ac), float(ac - q * se), float(ac + q * se), n, se,
                     ci_method="analytic (Gwet)")


def _pattern_weights(n_units: int, freq: np.ndarray, n_boot: int, rng) -> np.ndarray:
    """Bootstrap multiplicities of distinct unit patterns: (B, P) multinomial(n, freq/n)."""
    return rng.multinomial(n_units, freq / freq.sum(), size=n_boot).astype(float)


def _kripp_metric(level: str, nc: np.ndarray, values: np.ndarray) -> np.ndarray:
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(len(values)), nc.shape[:-1] + (len(values),) * 2)
    if level == "ordinal":
        return ordinal_metric(nc)
    d = values[:, None] - values[None, :]
    if level == "interval":
        return np.broadcast_to(d**2, nc.shape[:-1] + d.shape)
    if level == "ratio":
        s = values[:, None] + values[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.where(s != 0, (d / np.where(s != 0, s, 1)) ** 2, 0.0)
        return np.broadcast_to(m, nc.shape[:-1] + d.shape)
    raise ValueError(f"level must be nominal, ordinal, interval or ratio, not {level!r}")


def _kripp_from_coincidence(o: np.ndarray, level: str, values: np.ndarray) -> np.ndarray:
    nc = o.sum(-1)
    delta = _kripp_metric(level, nc, values)
    n_tot = nc.sum(-1)
    obs = (o * delta).sum((-2, -1))
    exp = np.einsum("...k,...kl,...l->...", nc, delta, nc)
    out = np.full(np.shape(obs), np.nan)
    ok = exp > 1e-12
    np.divide((n_tot - 1) * obs, exp, out=out, where=ok)
    return 1.0 - out


@dataclass(frozen=True)
class AlphaResult:
    """Krippendorff's alpha with a unit-bootstrap interval."""

    statistic: str
    estimate: float
    ci_low: float
    ci_high: float
    n: float
    n_pairable_values: float
    reason: str = ""
    ci_method: str = ""


def krippendorff_alpha(
    data,
    level: str = "nominal",
    n_boot: int = 1000,
    seed: int | None = 0,
    confidence: float = 0.95,
) -> AlphaResult:
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
    counts, cats = _rating_counts(x.T)
    values = np.asarray(cats, dtype=float)
    mu = counts.sum(1)
    pairable = mu >= 2
    n_units = float(pairable.sum())
    name = f"krippendorff_alpha_{level}"
    if len(cats) < 2 or n_units == 0:
        why = ("no unit with two or more values" if n_units == 0 else
               "every value is in one category: expected disagreement is 0, alpha is 0/0")
        return AlphaResult(name, math.nan, math.nan, math.nan, n_units, float(mu[pairable].sum()),
                           reason=why)
    est = float(_kd.alpha(reliability_data=x, level_of_measurement=level))
    if math.isnan(est):
        return AlphaResult(name, math.nan, math.nan, math.nan, n_units, float(mu[pairable].sum()),
                           reason="expected disagreement is 0: alpha is 0/0")
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
        boot = _kripp_from_coincidence(o_boot, level, values)
        why, _, usable = bootstrap_degeneracy(est, boot)
        if usable:
            lo, hi, how = bootstrap_interval(est, boot, confidence=confidence, method="percentile")
    return AlphaResult(name, est, lo, hi, n_units, float(mu[pairable].sum()), reason=why,
                       ci_method=how)


@dataclass(frozen=True)
class FleissResult:
    """Fleiss' kappa with Fleiss-Nee-Landis z test, per-category kappas and a bootstrap CI."""

    estimate: float
    ci_low: float
    ci_high: float
    n: float
    z: float
    pvalue: float
    se0: float
    per_category: dict = field(default_factory=dict)
    reason: str = ""
    statistic: str = "fleiss_kappa"


def fleiss_kappa(ratings, n_boot: int = 1000, seed: int | None = 0,
                 confidence: float = 0.95) -> FleissResult:
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
    counts, cats = _rating_counts(r)
    n_units = float(len(counts))
    if n_units == 0 or len(cats) < 2:
        why = ("no complete unit" if n_units == 0 else
               "every rating is in one category: chance agreement is 1, kappa is 0/0")
        return FleissResult(math.nan, math.nan, math.nan, n_units, math.nan, math.nan, math.nan,
                            reason=why)
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
    why = ""
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
            lo, hi, _ = bootstrap_interval(est, boot, confidence=confidence, method="percentile")
    return FleissResult(est, lo, hi, n_units, float(z), float(2 * stats.norm.sf(abs(z))),
                        float(se0), per, reason=why)


# ==============================================================================================
# tests on the K x K table
# ==============================================================================================
@dataclass(frozen=True)
class TestResult:
    """A test statistic with its degrees of freedom and p-value (``estimate`` = statistic)."""

    __test__ = False  # not a pytest test class

    statistic: str
    estimate: float
    df: float
    pvalue: float
    n: float
    reason: str = ""
    ci_low: float = math.nan
    ci_high: float = math.nan


def _square_table(a, b, categories) -> np.ndarray:
    if b is None:
        t = np.asarray(a, dtype=float)
        if t.ndim != 2 or t.shape[0] != t.shape[1]:
            raise ValueError("with b=None, a must be a square contingency table")
        return t
    return contingency_table(a, b, categories)[0].astype(float)


def stuart_maxwell(a, b=None, categories: Sequence | None = None) -> TestResult:
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
    >>> round(r.estimate, 4), r.df, round(r.pvalue, 5)
    (11.9566, 3.0, 0.00753)
    """
    t = _square_table(a, b, categories)
    n = float(t.sum())
    if n == 0:
        return TestResult("stuart_maxwell", math.nan, math.nan, math.nan, n,
                          reason="no pairable answers (no unit rated by both raters)")
    used = (t.sum(0) + t.sum(1)) > 0
    t = t[np.ix_(used, used)]
    k = t.shape[0]
    if k < 2:
        return TestResult("stuart_maxwell", math.nan, math.nan, math.nan, n,
                          reason="fewer than two categories used: marginal homogeneity is trivial")
    r, c = t.sum(1), t.sum(0)
    d = (r - c)[:-1]
    v = -(t + t.T)
    np.fill_diagonal(v, r + c - 2 * np.diag(t))
    v = v[:-1, :-1]
    rank = np.linalg.matrix_rank(v)
    if rank == 0:
        return TestResult("stuart_maxwell", math.nan, math.nan, math.nan, n,
                          reason="no discordant pairs: the margins are identical and the test "
                                 "statistic is 0/0")
    vinv = np.linalg.inv(v) if rank == k - 1 else np.linalg.pinv(v)
    q = float(d @ vinv @ d)
    return TestResult("stuart_maxwell", q, float(rank), float(stats.chi2.sf(q, rank)), n)


def bowker_symmetry(a, b=None, categories: Sequence | None = None) -> TestResult:
    """Bowker's test of symmetry of the K x K table, ``sum_{k<l} (n_kl - n_lk)^2 / (n_kl + n_lk)``.

    ``df`` = number of off-diagonal pairs with ``n_kl + n_lk > 0`` (R ``mcnemar.test`` and
    statsmodels ``SquareTable.symmetry`` count all K(K-1)/2 pairs; they agree when no pair is
    empty). Reference: Bowker AH (1948) JASA 43:572-574.

    Examples
    --------
    >>> import pandas as pd
    >>> from helpers.datasets import load_reference
    >>> t = load_reference("stuart_1955_vision").set_index("right_eye")
    >>> r = bowker_symmetry(t.to_numpy())
    >>> round(r.estimate, 4), r.df, round(r.pvalue, 6)
    (19.1066, 6.0, 0.003987)
    """
    t = _square_table(a, b, categories)
    n = float(t.sum())
    iu = np.triu_indices(t.shape[0], 1)
    s = (t + t.T)[iu]
    dif = (t - t.T)[iu]
    ok = s > 0
    if ok.sum() == 0:
        return TestResult("bowker_symmetry", math.nan, math.nan, math.nan, n,
                          reason="no discordant pairs: symmetry holds trivially, the test is 0/0")
    x2 = float((dif[ok] ** 2 / s[ok]).sum())
    df = float(ok.sum())
    return TestResult("bowker_symmetry", x2, df, float(stats.chi2.sf(x2, df)), n)


# ==============================================================================================
# scores: ICC, Bland-Altman, Wilcoxon
# ==============================================================================================
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
    cols = ["Type", "Description", "ICC", "F", "df1", "df2", "pval", "ci_low", "ci_high", "df_ci",
            "n", "k", "reason"]
    if n < 2 or k < 2:
        return pd.DataFrame(
            [{"Type": t, "Description": d, "ICC": math.nan, "F": math.nan, "df1": math.nan,
              "df2": math.nan, "pval": math.nan, "ci_low": math.nan, "ci_high": math.nan,
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
                        df2=float(row["df2"]), pval=float(row["pval"]))
        else:
            vals = dict(ICC=math.nan, F=math.nan, df1=float(df1),
                        df2=float(df2w if t.startswith("ICC1") else df2e), pval=math.nan)
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

    def to_frame(self, label: str = "") -> pd.DataFrame:
        rows = [
            ("bland_altman_bias", self.estimate, self.ci_low, self.ci_high),
            ("bland_altman_sd", self.sd, math.nan, math.nan),
            ("bland_altman_loa_low", self.loa_low, self.loa_low_ci_low, self.loa_low_ci_high),
            ("bland_altman_loa_high", self.loa_high, self.loa_high_ci_low, self.loa_high_ci_high),
        ]
        return pd.DataFrame(
            [{"item_or_domain": label, "statistic": s, "estimate": e, "ci_low": lo,
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
    pvalue: float
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
            "p_value": sm.pvalue, "df": sm.df}])], ignore_index=True)
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
                "n": sm.n, "reason": sm.reason, "p_value": sm.pvalue, "df": sm.df,
                "ci_method": ""}])], ignore_index=True)
        part["level"] = "item"
        part["weighted"] = weighted
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=TIDY_COLUMNS)
    if scores is not None:
        out = pd.concat([out, compare_scores(scores, n_boot=n_boot, seed=seed)],
                        ignore_index=True)
    return out.reindex(columns=TIDY_COLUMNS)


_ID_COLUMNS = {"interview_id", "pair_id", "role", "interviewer_id", "recipient_pid", "worker_id",
               "year", "department", "stratum", "mode", "date", "n_items", "n_answered"}


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
                         "reason": r["reason"], "p_value": r["pval"], "df": r["df1"]})
        ba = bland_altman(v, s)
        rows += ba.to_frame(col).to_dict("records")
        wx = wilcoxon_signed_rank(v, s, n_boot=n_boot, seed=seed)
        rows.append({"item_or_domain": col, "statistic": "wilcoxon_w", "estimate": wx.statistic_w,
                     "n": wx.n, "reason": wx.reason, "p_value": wx.pvalue, "df": wx.n_nonzero})
        rows.append({"item_or_domain": col, "statistic": "rank_biserial", "estimate": wx.estimate,
                     "ci_low": wx.ci_low, "ci_high": wx.ci_high, "n": wx.n, "reason": wx.reason,
                     "ci_method": "bootstrap percentile"})
    out = pd.DataFrame(rows).reindex(columns=TIDY_COLUMNS)
    out["level"] = "score"
    return out


# ==============================================================================================
# interviewers: leniency, funnel plot, intra-interviewer correlation, design effect
# ==============================================================================================
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
        lim = funnel_limits([n], target, sigma)
        rows.append({"interviewer_id": iid, "role": role, "n": n, "estimate": m, "ci_low": lo,
                     "ci_high": hi, "sd": sd, "target": target,
                     **{c: float(lim[c].iloc[0]) for c in cols[8:12]}, "reason": why})
    out = pd.DataFrame(rows, columns=cols)
    out["outside95"] = (out["estimate"] < out["funnel95_low"]) | (
        out["estimate"] > out["funnel95_high"])
    out["outside998"] = (out["estimate"] < out["funnel998_low"]) | (
        out["estimate"] > out["funnel998_high"])
    return out


def funnel_limits(n: Sequence[float], target: float, sigma: float) -> pd.DataFrame:
    """Funnel-plot control limits ``target +- z sigma / sqrt(n)`` for z = 1.96 and 3.09.

    >>> funnel_limits([4], 0.0, 2.0).round(2).to_dict("records")
    [{'n': 4.0, 'funnel95_low': -1.96, 'funnel95_high': 1.96, 'funnel998_low': -3.09, 'funnel998_high': 3.09}]
    """
    n = np.asarray(n, dtype=float)
    z95, z998 = stats.norm.ppf(0.975), stats.norm.ppf(0.999)
    se = sigma / np.sqrt(n)
    return pd.DataFrame({"n": n, "funnel95_low": target - z95 * se,
                         "funnel95_high": target + z95 * se,
                         "funnel998_low": target - z998 * se,
                         "funnel998_high": target + z998 * se})


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


# ==============================================================================================
# interpretation in words
# ==============================================================================================
def landis_koch(value: float) -> str:
    """Landis & Koch (1977, Biometrics 33:159-174) band of a kappa-type coefficient.

    >>> landis_koch(0.45), landis_koch(-0.1), landis_koch(0.95)
    ('moderate', 'poor', 'almost perfect')
    """
    if value is None or math.isnan(value):
        return "undefined"
    for upper, band in ((0.0, "poor"), (0.20, "slight"), (0.40, "fair"), (0.60, "moderate"),
                        (0.80, "substantial")):
        if value < upper or (upper > 0 and value <= upper):
            return band
    return "almost perfect"


def koo_li(value: float) -> str:
    """Koo & Li (2016, J Chiropr Med 15:155-163) band of an ICC.

    >>> koo_li(0.3), koo_li(0.6), koo_li(0.8), koo_li(0.95)
    ('poor', 'moderate', 'good', 'excellent')
    """
    if value is None or math.isnan(value):
        return "undefined"
    if value < 0.5:
        return "poor"
    if value < 0.75:
        return "moderate"
    if value <= 0.9:
        return "good"
    return "excellent"


def krippendorff_band(value: float) -> str:
    """Krippendorff's (2004, Content Analysis, 2nd ed., p. 241) thresholds 0.667 and 0.800.

    >>> krippendorff_band(0.85), krippendorff_band(0.7), krippendorff_band(0.5)
    ('reliable', 'tentative conclusions only', 'unacceptable')
    """
    if value is None or math.isnan(value):
        return "undefined"
    if value >= 0.800:
        return "reliable"
    if value >= 0.667:
        return "tentative conclusions only"
    return "unacceptable"


_NAMES = {
    "percent_agreement": "percent agreement",
    "cohen_kappa": "Cohen's kappa",
    "cohen_kappa_linear": "linearly weighted kappa",
    "cohen_kappa_quadratic": "quadratically weighted kappa",
    "scott_pi": "Scott's pi",
    "gwet_ac1": "Gwet's AC1",
    "gwet_ac2_linear": "Gwet's AC2 (linear weights)",
    "gwet_ac2_quadratic": "Gwet's AC2 (quadratic weights)",
    "brennan_prediger": "the Brennan-Prediger coefficient",
    "krippendorff_alpha_nominal": "Krippendorff's alpha (nominal)",
    "krippendorff_alpha_ordinal": "Krippendorff's alpha (ordinal)",
    "krippendorff_alpha_interval": "Krippendorff's alpha (interval)",
    "ICC1": "ICC(1,1) (one-way, single interviewer)",
    "ICC2": "ICC(2,1) (absolute agreement, single interviewer)",
    "ICC3": "ICC(3,1) (consistency, single interviewer)",
    "ICC1k": "ICC(1,k) (one-way, mean of both interviewers)",
    "ICC2k": "ICC(2,k) (absolute agreement, mean of both interviewers)",
    "ICC3k": "ICC(3,k) (consistency, mean of both interviewers)",
}


def _p(p: float) -> str:
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.4f}"


def _fmt(x: float, digits: int = 2) -> str:
    return "NaN" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def describe_agreement(row, label: str | None = None) -> str:
    """One sentence for one row of the tidy table, with the cited band.

    >>> describe_agreement({"item_or_domain": "eth_appearance", "statistic": "cohen_kappa",
    ...     "estimate": 0.52, "ci_low": 0.40, "ci_high": 0.63, "n": 140, "reason": ""})
    "eth_appearance: Cohen's kappa = 0.52 (95% CI 0.40 to 0.63, n = 140), moderate agreement on the Landis & Koch (1977) scale; the interval spans fair to substantial."
    """
    r = dict(row)
    stat, est = r["statistic"], float(r["estimate"])
    what = label or r.get("item_or_domain", "")
    name = _NAMES.get(stat, stat)
    if math.isnan(est):
        return f"{what}: {name} is undefined ({r.get('reason') or 'no reason recorded'})."
    lo, hi = float(r.get("ci_low", math.nan)), float(r.get("ci_high", math.nan))
    ci = "" if math.isnan(lo) else f"95% CI {_fmt(lo)} to {_fmt(hi)}, "
    head = f"{what}: {name} = {_fmt(est)} ({ci}n = {int(r['n'])})"
    if stat.startswith("krippendorff"):
        band, fn, src = krippendorff_band(est), krippendorff_band, (
            "Krippendorff's (2004) thresholds of 0.667 and 0.800")
        text = f"{head}: {band}, by {src}"
    elif stat.upper().startswith("ICC"):
        band, fn = koo_li(est), koo_li
        text = f"{head}, {band} reliability on the Koo & Li (2016) scale"
    elif stat == "percent_agreement":
        return f"{head}; percent agreement is not corrected for chance."
    else:
        band, fn = landis_koch(est), landis_koch
        text = f"{head}, {band} agreement on the Landis & Koch (1977) scale"
    if not math.isnan(lo):
        b_lo, b_hi = fn(lo), fn(hi)
        if b_lo != b_hi:
            text += f"; the interval spans {b_lo} to {b_hi}"
    return text + "."


def kappa_paradox(table: np.ndarray, categories: Sequence | None = None, label: str = "",
                  labels: dict | None = None, pa_min: float = 0.60, gap_min: float = 0.30,
                  prevalence_min: float = 0.70, lang: str = "en") -> str | None:
    """An explicit paragraph when an item shows the kappa paradox, else ``None``.

    Flagged when percent agreement >= ``pa_min``, Cohen's kappa is at least ``gap_min`` below it
    (or undefined), and one category holds at least ``prevalence_min`` of all answers (a
    ceiling). Then chance agreement under kappa's model is high, so kappa stays low although the
    interviewers often agree (Feinstein & Cicchetti 1990; Cicchetti & Feinstein 1990). The
    paragraph points to Gwet's AC1 (Gwet 2008), which stays stable under such prevalence, and to
    Krippendorff's alpha, which like kappa asks whether the answers separate recipients. The
    thresholds are conventions of this project, not published cut-offs; when percent agreement
    is below 0.80 the paragraph says that part of the low kappa is real disagreement.
    ``lang``: "en" or "ru".

    >>> t = np.array([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 1, 0],
    ...               [0, 0, 0, 1, 4], [0, 0, 0, 3, 91]])
    >>> print(kappa_paradox(t, [1, 2, 3, 4, 5], "eth_appearance")[:89])
    Kappa paradox on eth_appearance: the volunteer and the social worker gave the same answer
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
    r, c = t.sum(1) / n, t.sum(0) / n
    pe = float(r @ c)
    lab = (labels or {}).get(cats[top], str(cats[top]))
    alpha = coef["krippendorff_alpha_nominal"]
    ac1 = coef["gwet_ac1"]
    one_in = max(round(1 / (1 - pa)), 2) if pa < 1 else 0
    if lang == "ru":
        kap_txt = (f"каппа Коэна не определена (0/0), так как случайное согласие равно {pe:.2f}"
                   if math.isnan(kap) else
                   f"каппа Коэна равна лишь {kap:.2f}, так как случайное согласие в модели каппы "
                   f"уже {pe:.2f}")
        return (
            f"Парадокс каппы по вопросу {label or '(вопрос)'}: волонтёр и социальный работник "
            f"дали одинаковый ответ в {pa:.0%} из {int(n)} пар интервью, но {kap_txt} "
            f"(наблюдаемое {pa:.2f}): {prev:.0%} всех ответов — «{lab}» (потолок), а когда почти "
            f"все ответы одинаковы, два опрашивающих, отвечающих независимо друг от друга, "
            f"совпадали бы почти так же часто (Feinstein & Cicchetti 1990). Здесь каппа говорит о "
            f"редкости остальных ответов, а не о том, как часто опрашивающие расходятся. AC1 "
            f"Гвета = {ac1:.2f}, поправка на случайность которого не зависит так от "
            f"распространённости ответа (Gwet 2008), лучше описывает согласие; альфа "
            f"Криппендорфа (номинальная) = {_fmt(alpha)} показывает, как и каппа, что ответы почти "
            f"не различают получателей, потому что почти все получили лучший ответ."
            + ("" if pa >= 0.80 else
               f" Согласие {pa:.0%} само по себе умеренное: опрашивающие расходятся примерно по "
               f"одному получателю из {one_in}, так что не весь разрыв объясняется парадоксом.")
        )
    kap_txt = (f"Cohen's kappa is undefined (0/0) because chance agreement is {pe:.2f}"
               if math.isnan(kap) else
               f"Cohen's kappa is only {kap:.2f}, because kappa's chance agreement is already "
               f"{pe:.2f}")
    return (
        f"Kappa paradox on {label or 'this item'}: the volunteer and the social worker gave the "
        f"same answer in {pa:.0%} of {int(n)} pairs of interviews, yet {kap_txt} (observed "
        f"{pa:.2f}): {prev:.0%} of all answers are '{lab}' (a ceiling), and when nearly every "
        f"answer is the same, two interviewers answering independently of each other would "
        f"agree almost as often (Feinstein & Cicchetti 1990). Kappa here describes how rare the "
        f"other answers are, not how often the interviewers disagree. Gwet's AC1 = {ac1:.2f}, "
        f"which corrects for chance without this dependence on prevalence (Gwet 2008), is the "
        f"better summary of agreement; Krippendorff's alpha (nominal) = {_fmt(alpha)} shows, like "
        f"kappa, that the answers barely separate recipients, because almost all of them got "
        f"the best answer."
        + ("" if pa >= 0.80 else
           f" Agreement of {pa:.0%} is itself modest: the interviewers disagree on about one "
           f"recipient in {one_in}, so not all of the gap is a paradox.")
    )


def kappa_paradox_report(interviews: pd.DataFrame, codebook, lang: str = "en",
                         **thresholds) -> dict[str, str]:
    """``{item: paragraph}`` for every item of ``interviews`` that shows the kappa paradox."""
    out = {}
    for item, (t, cats) in paired_tables(interviews, codebook).items():
        labels = {c: codebook.scale_of(item).label(c, lang) for c in cats}
        text = kappa_paradox(t, cats, f"«{codebook.item_label(item, lang)}»", labels, lang=lang, **thresholds)
        if text:
            out[item] = text
    return out


def kappa_paradox_table(interviews: pd.DataFrame, codebook, lang: str = "en", **thresholds) -> pd.DataFrame:
    """One row per item showing the kappa paradox (criteria of :func:`kappa_paradox`): pairs, percent
    agreement, Cohen's kappa, kappa's chance agreement, Gwet's AC1 and the share of the most common answer.
    A compact companion to the paragraphs, so that a report explains the paradox once and lists the items."""
    rows = []
    for item, (t, cats) in paired_tables(interviews, codebook).items():
        labels = {c: codebook.scale_of(item).label(c, lang) for c in cats}
        if not kappa_paradox(t, cats, item, labels, lang=lang, **thresholds):
            continue
        t = np.asarray(t, dtype=float)
        n = t.sum()
        coef = table_coefficients(t, list(cats))
        marg = (t.sum(0) + t.sum(1)) / (2 * n)
        rows.append({"item": item, "question": codebook.item_label(item, lang), "n": int(n),
                     "percent_agreement": float(coef["percent_agreement"]), "cohen_kappa": float(coef["cohen_kappa"]),
                     "chance_agreement": float((t.sum(1) / n) @ (t.sum(0) / n)), "gwet_ac1": float(coef["gwet_ac1"]),
                     "top_answer": labels[cats[int(np.argmax(marg))]], "top_answer_share": float(marg.max())})
    return pd.DataFrame(rows)


# ==============================================================================================
# report helpers: selection, summary table, figures
# ==============================================================================================
def paired_years(interviews: pd.DataFrame) -> list[int]:
    """Survey years that hold at least one volunteer / social-worker pair."""
    p = interviews[interviews["pair_id"].notna()]
    return sorted(int(y) for y in p["year"].unique())


def select_interviews(interviews: pd.DataFrame, year: int, pooled: bool = False) -> pd.DataFrame:
    """The interviews of ``year``, or of every year with pairs when ``pooled``."""
    years = paired_years(interviews) if pooled else [year]
    return interviews[interviews["year"].isin(years)]


SUMMARY_STATISTICS = ("percent_agreement", "cohen_kappa", "gwet_ac1", "krippendorff_alpha_ordinal")


def agreement_summary(tidy: pd.DataFrame, codebook=None, lang: str = "en",
                      statistics: Sequence[str] = SUMMARY_STATISTICS) -> pd.DataFrame:
    """One row per item: pairs, the chosen coefficients as "estimate (ci_low to ci_high)", and
    the Stuart-Maxwell p-value; items in codebook order."""
    t = tidy[tidy["level"].eq("item") | tidy["level"].isna()]
    rows = []
    for item, g in t.groupby("item_or_domain", sort=False):
        g = g.set_index("statistic")
        row = {"item": item}
        if codebook is not None and item in codebook.items:
            row["question"] = codebook.item_label(item, lang)
        row["n"] = int(g["n"].max())
        for s in statistics:
            if s in g.index:
                e, lo, hi = g.loc[s, ["estimate", "ci_low", "ci_high"]]
                row[s] = ("undefined" if pd.isna(e) else
                          f"{e:.2f}" + ("" if pd.isna(lo) else f" ({lo:.2f} to {hi:.2f})"))
        if "stuart_maxwell" in g.index:
            p = g.loc["stuart_maxwell", "p_value"]
            row["stuart_maxwell_p"] = "—" if pd.isna(p) else f"{p:.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


#: small-sample / ceiling warning thresholds of :func:`ceiling_warnings`
CEILING_N_MAX = 60
CEILING_TOP_SHARE = 0.80


def ceiling_warnings(tables: dict[str, tuple[np.ndarray, list]], lang: str = "en",
                     n_max: int = CEILING_N_MAX, top_share: float = CEILING_TOP_SHARE
                     ) -> list[str]:
    """Warnings for items with few pairs *and* answers concentrated in one category.

    Flagged when an item has fewer than ``n_max`` pairs and one answer holds at least
    ``top_share`` of all answers. There the bootstrap distribution of kappa-type coefficients
    (kappa, pi, alpha) is lumpy and often partly undefined, and their 95% intervals cover the true
    value far less often than 95% even for independent pairs (``benchmarks/bench_coverage.py``,
    n = 35: about 0.80 with 80% of the answers in the top category, below 0.5 with 90%); percent
    agreement keeps its exact interval and AC1 stays near 0.95. Thresholds are this project's
    conventions. ``lang``: en | ru.

    >>> t = np.zeros((5, 5), int); t[4, 4], t[4, 3] = 33, 2
    >>> ceiling_warnings({"eth_appearance": (t, [1, 2, 3, 4, 5])})[0][:60]
    'Few pairs at the ceiling (eth_appearance: n = 35, 97% in one'
    """
    flagged = []
    for item, (t, _cats) in tables.items():
        t = np.asarray(t, dtype=float)
        n = t.sum()
        if n == 0 or n >= n_max:
            continue
        share = float(((t.sum(0) + t.sum(1)) / (2 * n)).max())
        if share >= top_share:
            flagged.append(f"{item}: n = {int(n)}, {share:.0%}" +
                           (" в одной категории" if lang == "ru" else " in one category"))
    if not flagged:
        return []
    if lang == "ru":
        return [f"Мало пар у потолка шкалы ({'; '.join(flagged)}). При таком числе пар и такой "
                f"концентрации ответов интервалы каппы, пи Скотта и альфы Криппендорфа "
                f"покрывают истинное значение заметно реже 95% (в моделировании при n = 35 — около "
                f"80%, если 80% ответов в верхней категории, и меньше 50%, если 90%); там, где "
                f"бутстрэп вырожден, интервал не приводится. Процент согласия и AC1 Гвета "
                f"сохраняют близкое к 95% покрытие."]
    return [f"Few pairs at the ceiling ({'; '.join(flagged)}). With so few pairs and answers "
            f"this concentrated, the intervals of kappa, Scott's pi and Krippendorff's alpha "
            f"cover the true value much less often than 95% (in simulation at n = 35: about 80% "
            f"with 80% of answers in the top category, under 50% with 90%); where the bootstrap "
            f"is degenerate no interval is given. Percent agreement and Gwet's AC1 keep close to "
            f"95% coverage."]


def interval_note(resample: str = "interviewers", weighted: bool = False, lang: str = "en"
                  ) -> str:
    """One paragraph saying what the agreement intervals and estimates mean (for the report).

    >>> interval_note("pairs")[:62]
    'The intervals treat the pairs as independent units: they are c'
    """
    ru = lang == "ru"
    if resample == "pairs":
        txt = ("Интервалы считают пары независимыми: они условны по этим опрашивающим и "
               "работникам и слишком узки для вывода об опрашивающих вообще (в моделировании "
               "дизайна 2020 г. 95%-интервал AC1 накрывает истину примерно в 87% случаев)."
               if ru else
               "The intervals treat the pairs as independent units: they are conditional on "
               "these interviewers and workers, and too narrow for a statement about "
               "interviewers in general (in a simulation of the 2020 design the 95% interval "
               "of AC1 covers the truth about 87% of the time).")
    else:
        what = {"interviewers": ("волонтёров и опрашивающих социальных работников",
                                 "the volunteer and the social-worker interviewers"),
                "interviewers+workers": ("опрашивающих и социальных работников",
                                         "the interviewers and the workers"),
                "workers": ("социальных работников", "the workers")}[resample]
        txt = (f"Интервалы учитывают, что пары делят немногих опрашивающих: бутстрэп "
               f"переизвлекает {what[0]} как кластеры («голубятня», Owen 2007), поэтому они "
               f"относятся к опрашивающим, подобным этим, а не только к этим; если ответы "
               f"совпадают во всех парах, процент согласия получает точный интервал "
               f"Клоппера-Пирсона."
               if ru else
               f"The intervals allow for the pairs sharing a few interviewers: the bootstrap "
               f"resamples {what[1]} as clusters (pigeonhole bootstrap, Owen 2007), so they "
               f"speak for interviewers like these, not only these; where every pair agrees, percent "
               f"agreement gets the exact Clopper-Pearson interval instead.")
    if weighted:
        txt += (" Оценки взвешены весами дизайна (обратными вероятностями отбора получателей): "
                "они относятся ко всем обслуживаемым получателям, а не к выборке, в которой "
                "отделение временного проживания представлено с завышением." if ru else
                " Estimates are design-weighted (inverse inclusion probabilities of the "
                "recipients): they describe agreement over all recipients served, not over the "
                "sample, in which temporary residence is over-represented.")
    else:
        txt += (" Оценки не взвешены: они описывают пары выборки, в которой отделение "
                "временного проживания представлено с завышением (в 2020 г. в 10 раз), а не всех "
                "обслуживаемых получателей." if ru else
                " Estimates are unweighted: they describe the sampled pairs, in which temporary "
                "residence is over-represented (10x in 2020), not all recipients served.")
    return txt


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


def least_agreeing(tidy: pd.DataFrame, k: int = 3, statistic: str = "gwet_ac1") -> list[str]:
    """The ``k`` items with the lowest ``statistic`` (undefined values last)."""
    t = tidy[(tidy["statistic"] == statistic) & (tidy["level"].eq("item") | tidy["level"].isna())]
    return t.sort_values("estimate", na_position="last")["item_or_domain"].head(k).tolist()


_STAT_LABEL = {**_NAMES, "krippendorff_alpha_ordinal": "Krippendorff's alpha (ordinal)"}


def plot_agreement_forest(tidy: pd.DataFrame, statistics: Sequence[str] = SUMMARY_STATISTICS,
                          title: str = "Agreement of volunteer and social worker per item"):
    """Forest plot: each item's coefficients with their 95% intervals, one marker per statistic."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    t = tidy[tidy["statistic"].isin(statistics) & (tidy["level"].eq("item") | tidy["level"].isna())]
    items = list(dict.fromkeys(t["item_or_domain"]))
    pal = sns.color_palette("colorblind", len(statistics))
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(items) + 1.8))
    off = np.linspace(-0.27, 0.27, len(statistics))
    for s, o, col in zip(statistics, off, pal, strict=True):
        g = t[t["statistic"] == s].set_index("item_or_domain").reindex(items)
        y = np.arange(len(items)) + o
        est = g["estimate"].to_numpy(float)
        lo = g["ci_low"].to_numpy(float)
        hi = g["ci_high"].to_numpy(float)
        ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", ms=4, color=col, capsize=2,
                    lw=1, label=_STAT_LABEL.get(s, s))
    for x, ls in ((0, "-"), (0.667, ":"), (0.8, "--")):
        ax.axvline(x, color="grey", lw=0.8, ls=ls)
    ax.set_yticks(np.arange(len(items)), items)
    ax.invert_yaxis()
    ax.set_xlabel("coefficient (1 = perfect agreement, 0 = chance); lines at 0.667 and 0.800")
    ax.set_ylabel("item")
    ax.set_xlim(min(-0.3, np.nanmin(t["ci_low"].to_numpy(float), initial=0) - 0.05), 1.02)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.6 / (0.45 * len(items) + 1.8)),
              ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def plot_bland_altman(scores: pd.DataFrame, column: str = "composite", title: str | None = None):
    """Bland-Altman plot of volunteer minus social-worker scores against their mean, with the bias,
    the limits of agreement and the 95% interval of each (shaded)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    wide = _pairs(scores, [column])
    v = pd.to_numeric(wide[("volunteer", column)], errors="coerce").astype(float)
    s = pd.to_numeric(wide[("social_worker", column)], errors="coerce").astype(float)
    ok = v.notna() & s.notna()
    v, s = v[ok].to_numpy(), s[ok].to_numpy()
    ba = bland_altman(v, s)
    pal = sns.color_palette("colorblind", 3)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter((v + s) / 2, v - s, s=14, alpha=0.6, color=pal[0], label="pair of interviews")
    for est, lo, hi, lab, col in (
        (ba.bias, ba.ci_low, ba.ci_high, f"bias {ba.bias:.1f}", pal[1]),
        (ba.loa_low, ba.loa_low_ci_low, ba.loa_low_ci_high, f"limits {ba.loa_low:.1f}", pal[2]),
        (ba.loa_high, ba.loa_high_ci_low, ba.loa_high_ci_high, f"and {ba.loa_high:.1f}", pal[2]),
    ):
        if not math.isnan(est):
            ax.axhline(est, color=col, lw=1.2, label=lab)
            ax.axhspan(lo, hi, color=col, alpha=0.15)
    ax.axhline(0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel(f"mean of the two {column} scores (0-100)")
    ax.set_ylabel(f"volunteer minus social worker ({column}, points)")
    ax.set_title(title or f"Bland-Altman plot of the {column} score (n = {int(ba.n)} pairs)")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_confusion(tables: dict[str, tuple[np.ndarray, list]], items: Sequence[str],
                   codebook=None, lang: str = "en"):
    """Heatmaps of the paired answers (rows volunteer, columns social worker) of ``items``."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    items = list(items)
    fig, axes = plt.subplots(1, len(items), figsize=(4.2 * len(items), 4), squeeze=False)
    for ax, item in zip(axes[0], items, strict=True):
        t, cats = tables[item]
        labels = [str(c) for c in cats]
        sns.heatmap(t, annot=True, fmt="d", cmap="Blues", cbar=False, ax=ax,
                    xticklabels=labels, yticklabels=labels)
        ax.set_xlabel("social worker's answer (code)")
        ax.set_ylabel("volunteer's answer (code)")
        ax.set_title(f"{item} (n = {int(t.sum())})", fontsize=10)
    fig.suptitle("Paired answers of the least-agreeing items (diagonal = same answer)")
    fig.tight_layout()
    return fig


def plot_funnel(leniency: pd.DataFrame, title: str = "Interviewer leniency (funnel plot)"):
    """Funnel plot: each interviewer's mean deviation with its 95% interval against the number of
    interviews, with 95% and 99.8% control limits around the target."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(7, 4.5))
    pal = dict(zip(ROLES, sns.color_palette("colorblind", 2), strict=True))
    if leniency.empty:
        ax.set_title(title + " - no data")
        return fig
    nmax = float(leniency["n"].max()) * 1.15
    grid = np.linspace(2, max(nmax, 3), 200)
    for role, g in leniency.groupby("role"):
        tgt = float(g["target"].iloc[0])
        # sigma back from one row's 95% limit: limit = target + 1.96 sigma / sqrt(n)
        r0 = g.iloc[0]
        sigma = (r0["funnel95_high"] - tgt) * math.sqrt(r0["n"]) / stats.norm.ppf(0.975)
        lim = funnel_limits(grid, tgt, sigma)
        col = pal.get(role, "grey")
        same = leniency["target"].nunique() == 1
        if role == leniency["role"].iloc[0] or not same:
            for c, ls in (("funnel95", "--"), ("funnel998", ":")):
                ax.plot(grid, lim[f"{c}_low"], color="grey" if same else col, ls=ls, lw=0.9)
                ax.plot(grid, lim[f"{c}_high"], color="grey" if same else col, ls=ls, lw=0.9)
            ax.axhline(tgt, color="grey" if same else col, lw=0.8)
        ax.errorbar(g["n"], g["estimate"], yerr=[g["estimate"] - g["ci_low"],
                                                 g["ci_high"] - g["estimate"]],
                    fmt="o", color=col, capsize=3, label=role.replace("_", " "))
        for _, r in g.iterrows():
            ax.annotate(str(r["interviewer_id"]), (r["n"], r["estimate"]), xytext=(4, 3),
                        textcoords="offset points", fontsize=8)
    ax.set_xlabel("interviews with a paired partner (n)")
    ax.set_ylabel("mean deviation from the partner's score (points)")
    ax.set_title(title + " - dashed 95%, dotted 99.8% limits")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _range(x: pd.Series, pct: bool = False) -> str:
    x = x.dropna()
    if x.empty:
        return "undefined"
    if pct:
        return f"{x.min():.0%} to {x.max():.0%} (median {x.median():.0%})"
    return f"{x.min():.2f} to {x.max():.2f} (median {x.median():.2f})"


_RU_BANDS = {
    "poor": "плохое", "slight": "незначительное", "fair": "слабое", "moderate": "умеренное",
    "substantial": "существенное", "almost perfect": "почти полное", "undefined": "не определено",
}
_RU_ICC = {"poor": "низкая", "moderate": "умеренная", "good": "хорошая", "excellent": "отличная",
           "undefined": "не определена"}


def _range_ru(x: pd.Series, pct: bool = False) -> str:
    return (_range(x, pct).replace(" to ", " до ").replace("median", "медиана")
            .replace("undefined", "не определено"))


def interpretation_paragraphs(tidy: pd.DataFrame, lang: str = "en") -> list[str]:
    """Plain-language paragraphs on the per-item agreement, with the cited bands (en or ru)."""
    ru = lang == "ru"
    t = tidy[tidy["level"].eq("item") | tidy["level"].isna()]
    if t.empty or not (t["n"].fillna(0) > 0).any():
        return ["Нет парных интервью: согласие оценить нельзя." if ru else
                "No paired interviews: agreement cannot be assessed."]

    def col(s):
        return t.loc[t["statistic"] == s, "estimate"].astype(float)

    n_items = t["item_or_domain"].nunique()
    pa, kap, ac1 = col("percent_agreement"), col("cohen_kappa"), col("gwet_ac1")
    alpha = col("krippendorff_alpha_ordinal")
    n_rel, n_tent = int((alpha >= 0.8).sum()), int(((alpha >= 0.667) & (alpha < 0.8)).sum())
    n_low, n_nan = int((alpha < 0.667).sum()), int(alpha.isna().sum())
    if ru:
        out = [
            f"По {n_items} вопросам волонтёр и социальный работник дали одинаковый ответ в "
            f"{_range_ru(pa, pct=True)} пар. С поправкой на случайность каппа Коэна — от "
            f"{_range_ru(kap)}: по медиане «{_RU_BANDS[landis_koch(kap.median())]}» согласие по "
            f"шкале Landis & Koch (1977); AC1 Гвета — от {_range_ru(ac1)} "
            f"(«{_RU_BANDS[landis_koch(ac1.median())]}» по медиане).",
            f"Порядковая альфа Криппендорфа — от {_range_ru(alpha)}; порога 0,800 (надёжно) "
            f"достигают {n_rel} вопрос(ов), порога 0,667 (предварительные выводы) — {n_tent} "
            f"(пороги Krippendorff 2004); ниже 0,667 — {n_low}, не определена — {n_nan}.",
        ]
    else:
        out = [
            f"Over {n_items} items, the volunteer and the social worker gave the same answer in "
            f"{_range(pa, pct=True)} of the pairs. Chance-corrected, Cohen's kappa ranges "
            f"{_range(kap)} - '{landis_koch(kap.median())}' at the median on the Landis & Koch "
            f"(1977) scale - while Gwet's AC1 ranges {_range(ac1)} "
            f"('{landis_koch(ac1.median())}' at the median).",
            f"Krippendorff's ordinal alpha ranges {_range(alpha)}; {n_rel} item(s) reach 0.800 "
            f"(reliable) and {n_tent} reach 0.667 (tentative conclusions), Krippendorff's (2004) "
            f"thresholds; {n_low} item(s) fall below 0.667, {n_nan} undefined.",
        ]
    sm = t[t["statistic"] == "stuart_maxwell"].dropna(subset=["p_value"])
    if len(sm):
        from statsmodels.stats.multitest import multipletests

        holm = multipletests(sm["p_value"].to_numpy(float), method="holm")[1]
        raw_sig = sm.loc[sm["p_value"] < 0.05, "item_or_domain"].tolist()
        holm_sig = sm.loc[holm < 0.05, "item_or_domain"].tolist()
        raw_txt = f" ({', '.join(raw_sig)})" if raw_sig else ""
        holm_txt = f" ({', '.join(holm_sig)})." if holm_sig else "."
        out.append(
            f"Критерий Стюарта-Максвелла находит различие распределений ответов двух ролей "
            f"(p < 0,05) по {len(raw_sig)} из {len(sm)} вопросов{raw_txt}; с поправкой Холма на "
            f"{len(sm)} проверок — по {len(holm_sig)}{holm_txt}" if ru else
            f"The Stuart-Maxwell test finds different answer distributions for the two roles "
            f"(p < 0.05) on {len(raw_sig)} of {len(sm)} items{raw_txt}; after Holm's correction "
            f"for {len(sm)} tests, on {len(holm_sig)}{holm_txt}"
        )
    return out


def score_agreement_summary(tidy: pd.DataFrame) -> pd.DataFrame:
    """One row per score (domain, composite): ICC(2,1) and ICC(3,1) with CIs, Bland-Altman bias
    and limits with CIs, rank-biserial r with CI and the Wilcoxon p-value (formatted strings)."""
    t = tidy[tidy["level"] == "score"]
    rows = []

    def fmt(g, s):
        if s not in g.index:
            return "—"
        e, lo, hi = g.loc[s, ["estimate", "ci_low", "ci_high"]]
        if pd.isna(e):
            return "undefined"
        return f"{e:.2f}" + ("" if pd.isna(lo) else f" ({lo:.2f} to {hi:.2f})")

    for col, g in t.groupby("item_or_domain", sort=False):
        g = g.set_index("statistic")
        p = g.loc["wilcoxon_w", "p_value"] if "wilcoxon_w" in g.index else math.nan
        rows.append({"score": col, "n": int(g["n"].max()), "ICC(2,1)": fmt(g, "ICC2"),
                     "ICC(3,1)": fmt(g, "ICC3"), "bias": fmt(g, "bland_altman_bias"),
                     "lower limit": fmt(g, "bland_altman_loa_low"),
                     "upper limit": fmt(g, "bland_altman_loa_high"),
                     "rank-biserial r": fmt(g, "rank_biserial"),
                     "Wilcoxon p": "—" if pd.isna(p) else ("<0.0001" if p < 1e-4 else f"{p:.4f}")})
    return pd.DataFrame(rows)


def score_sentences(tidy: pd.DataFrame, column: str = "composite", lang: str = "en") -> list[str]:
    """Sentences on the agreement of one score: ICC band (Koo & Li 2016), Bland-Altman bias and
    limits, and the direction of systematic leniency (Wilcoxon, rank-biserial r); en or ru."""
    ru = lang == "ru"
    name = load_codebook().measure_label(column, lang)
    t = tidy[(tidy["level"] == "score") & (tidy["item_or_domain"] == column)]
    if t.empty:
        return [f"Нет парных оценок: {name.lower()}." if ru else f"No paired scores: {name.lower()}."]
    g = t.set_index("statistic")
    i2 = g.loc["ICC2"]
    if ru:
        if pd.isna(i2["estimate"]):
            out = [f"{name}: ICC(2,1) не определена ({i2['reason']})."]
        else:
            out = [f"{name}: ICC(2,1) (абсолютное согласие, один опрашивающий) = "
                   f"{i2['estimate']:.2f} (95% ДИ {i2['ci_low']:.2f} до {i2['ci_high']:.2f}, "
                   f"n = {int(i2['n'])}) — {_RU_ICC[koo_li(i2['estimate'])]} надёжность по шкале "
                   f"Koo & Li (2016)."]
    else:
        out = [describe_agreement(i2.to_dict() | {"statistic": "ICC2"}, label=name)]
    b = g.loc["bland_altman_bias"]
    lo, hi = g.loc["bland_altman_loa_low"], g.loc["bland_altman_loa_high"]
    if not pd.isna(b["estimate"]) and not pd.isna(b["ci_low"]):
        side = ("higher" if b["ci_low"] > 0 else "lower" if b["ci_high"] < 0 else None)
        if ru:
            who = ({"higher": f"волонтёры систематически оценивают {name.lower()} выше социальных "
                              f"работников",
                    "lower": f"волонтёры систематически оценивают {name.lower()} ниже социальных "
                             f"работников"}.get(side, "систематического различия ролей не видно"))
            out.append(
                f"Бланд-Альтман: средняя разность (волонтёр минус социальный работник) "
                f"{b['estimate']:.1f} балла (95% ДИ {b['ci_low']:.1f} до {b['ci_high']:.1f}, "
                f"n = {int(b['n'])}): {who}. В 95% пар оценки двух опрашивающих одного получателя "
                f"различаются в пределах от {lo['estimate']:.1f} до {hi['estimate']:.1f} балла "
                f"(пределы согласия; Bland & Altman 1986, 1999)."
            )
        else:
            who = (f"volunteers score the {name.lower()} systematically {side} than social workers"
                   if side else "no systematic difference between the roles is shown")
            out.append(
                f"Bland-Altman: mean difference (volunteer - social worker) {b['estimate']:.1f} "
                f"points (95% CI {b['ci_low']:.1f} to {b['ci_high']:.1f}, n = {int(b['n'])}): "
                f"{who}. For one recipient the two interviewers' scores differ by between "
                f"{lo['estimate']:.1f} and {hi['estimate']:.1f} points in 95% of pairs (limits of "
                f"agreement; Bland & Altman 1986, 1999)."
            )
    if "rank_biserial" in g.index and not pd.isna(g.loc["rank_biserial", "estimate"]):
        r = g.loc["rank_biserial"]
        p = g.loc["wilcoxon_w", "p_value"]
        out.append(
            f"Критерий Уилкоксона: {_p(p)}; рангово-бисериальная корреляция r = "
            f"{r['estimate']:.2f} (95% ДИ {r['ci_low']:.2f} до {r['ci_high']:.2f}; "
            f"положительная — волонтёры выше)." if ru else
            f"Wilcoxon signed-rank test: {_p(p)}; matched-pairs rank-biserial r = "
            f"{r['estimate']:.2f} (95% CI {r['ci_low']:.2f} to {r['ci_high']:.2f}; positive = "
            f"volunteers higher)."
        )
    return out


def interviewer_effect_sentence(effect: InterviewerEffect, score: str = "composite",
                                lang: str = "en") -> str:
    """The intra-interviewer correlation and the design effect it implies, in words (en or ru)."""
    e = effect
    score = load_codebook().measure_label(score, lang).lower()
    if lang == "ru":
        if math.isnan(e.estimate):
            return f"Внутриклассовая корреляция по опрашивающим ({score}): не определена ({e.reason})."
        return (
            f"Внутриклассовая корреляция «{score}» по опрашивающим: rho = {e.estimate:.2f} "
            f"(95% ДИ {e.ci_low:.2f} до {e.ci_high:.2f}; {int(e.n)} интервью, "
            f"{int(e.n_interviewers)} опрашивающих, в среднем {e.mean_interviews:.0f} у каждого). "
            f"При такой нагрузке эффект дизайна 1 + (m - 1) rho = {e.design_effect:.2f} (95% ДИ "
            f"{e.design_effect_ci_low:.2f} до {e.design_effect_ci_high:.2f}; Kish 1962): "
            f"{int(e.n)} интервью несут столько же информации, сколько около "
            f"{e.effective_n:.0f} независимых. Опрашивающие распределялись по получателям не "
            f"случайно, поэтому rho включает и различия между их получателями: это верхняя оценка."
        )
    if math.isnan(e.estimate):
        return f"Intra-interviewer correlation of the {score} score: undefined ({e.reason})."
    return (
        f"Intra-interviewer correlation of the {score} score: rho = {e.estimate:.2f} (95% CI "
        f"{e.ci_low:.2f} to {e.ci_high:.2f}; {int(e.n)} interviews by "
        f"{int(e.n_interviewers)} interviewers, {e.mean_interviews:.0f} each on "
        f"average). With this workload the design effect is 1 + (m - 1) rho = "
        f"{e.design_effect:.2f} (95% CI {e.design_effect_ci_low:.2f} to "
        f"{e.design_effect_ci_high:.2f}; Kish 1962): the {int(e.n)} interviews carry "
        f"about as much information as {e.effective_n:.0f} independent ones. Because "
        f"interviewers were not assigned to recipients at random, rho also contains differences "
        f"between the recipients each interviewer saw; it is an upper bound."
    )
