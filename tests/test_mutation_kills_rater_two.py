"""Tests written to kill meaningful surviving mutants of the two-rater wrappers of stats/rater_agreement.py
(``benchmarks/mutation.py rater_two``; docs/mutation/rater_two.md). Each checks values against a published value
(R irrCAC's README), statsmodels ``cohens_kappa`` or a hand computation from the formula."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.stats import rater_agreement as ra

#: Gwet's cont3x3abstractors (irrCAC README): 100 subjects, 3 categories
GWET = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])


def _kappa_by_hand(t: np.ndarray) -> float:
    """Cohen (1960): (po - pe) / (1 - pe), po the diagonal share, pe the product of the two raters' margins."""
    p = t / t.sum()
    po, pe = np.trace(p), p.sum(1) @ p.sum(0)
    return (po - pe) / (1 - pe)


def test_cohen_kappa_is_the_formula_by_hand():
    a, b = ra.expand_table(GWET)
    assert ra.cohen_kappa(a, b).estimate == pytest.approx(_kappa_by_hand(GWET), abs=1e-12)


def _t(confidence: float, n: int) -> float:
    from scipy import stats

    return stats.t.ppf(0.5 + confidence / 2, n - 1)


@pytest.fixture(scope="module")
def gwet_pairs():
    return ra.expand_table(GWET)


def test_two_rater_coefficients_by_hand_with_names_and_intervals_at_a_given_confidence(gwet_pairs):
    """cont3x3abstractors at confidence 0.8: the estimates by the formulas, the standard errors (irrCAC's published
    0.05891 for kappa; Gwet's linearisation by hand for pi; sqrt(pa(1-pa)/n)/(1-1/q) for Brennan-Prediger) and the
    interval est +- t_{0.9, 99} se."""
    a, b = gwet_pairs
    p = GWET / GWET.sum()
    n, po, q = 100, np.trace(p), _t(0.8, 100)
    # Scott's pi: pooled marginals m_k = (p_k. + p_.k)/2, pe = sum m_k^2
    m = (p.sum(1) + p.sum(0)) / 2
    pe_pi = m @ m
    pi = (po - pe_pi) / (1 - pe_pi)
    eye = np.eye(3)
    se_pi = np.sqrt(((p * (eye - (1 - pi) * (m[:, None] + m[None, :])) ** 2).sum()
                     - (po - 2 * (1 - pi) * pe_pi) ** 2) / (n * (1 - pe_pi) ** 2))
    # Brennan-Prediger: pe = 1/q with q = 3 categories
    bp = (po - 1 / 3) / (1 - 1 / 3)
    se_bp = np.sqrt(po * (1 - po) / n) / (1 - 1 / 3)
    cases = [(ra.cohen_kappa(a, b, confidence=0.8), "cohen_kappa", _kappa_by_hand(GWET), 0.05891, 5e-6),
             (ra.scott_pi(a, b, confidence=0.8), "scott_pi", pi, se_pi, 1e-12),
             (ra.brennan_prediger(a, b, confidence=0.8), "brennan_prediger", bp, se_bp, 1e-12)]
    assert pi == pytest.approx(0.7962397, abs=1e-7) and bp == pytest.approx(0.835, abs=1e-12)  # irrCAC README
    for r, name, est, se, tol in cases:
        assert (r.statistic, r.n, r.reason, r.ci_method) == (name, 100, "", "analytic (Gwet)")
        assert r.estimate == pytest.approx(est, abs=1e-12)
        assert r.se == pytest.approx(se, abs=tol)
        assert (r.ci_low, r.ci_high) == pytest.approx((est - q * r.se, est + q * r.se), abs=1e-12)


def test_weighted_kappa_is_statsmodels_on_the_full_scale_under_its_name(gwet_pairs):
    """Linear and quadratic weights by category position: answer 3 recoded 4 with category 3 kept unused in the
    scale 1..4, the distances change, and the estimate is statsmodels' cohens_kappa of the 4 x 4 table."""
    from statsmodels.stats.inter_rater import cohens_kappa

    a, b = ([4 if x == 3 else x for x in v] for v in gwet_pairs)
    padded = np.zeros((4, 4), int)
    padded[np.ix_([0, 1, 3], [0, 1, 3])] = GWET
    for w in ("linear", "quadratic"):
        r = ra.cohen_kappa(a, b, w, categories=range(1, 5))
        assert (r.statistic, r.n) == (f"cohen_kappa_{w}", 100)
        assert r.estimate == pytest.approx(cohens_kappa(padded, wt=w).kappa, abs=1e-12)
        assert r.estimate != pytest.approx(cohens_kappa(GWET, wt=w).kappa, abs=1e-3)  # the scale matters
    assert ra.cohen_kappa(*gwet_pairs, "quadratic").estimate == pytest.approx(0.8921569, abs=1e-7)  # irrCAC README


def test_brennan_prediger_and_scott_pi_take_the_given_scale(gwet_pairs):
    """BP's chance agreement is 1/q over the categories given: five categories, (0.89 - 1/5) / (1 - 1/5)."""
    a, b = gwet_pairs
    assert ra.brennan_prediger(a, b, categories=range(1, 6)).estimate == pytest.approx((0.89 - 0.2) / 0.8, abs=1e-12)
    for f in (ra.cohen_kappa, ra.scott_pi, ra.brennan_prediger):  # an answer outside the given scale is refused
        with pytest.raises(ValueError, match="not among categories"):
            f(a, b, categories=[1, 2])


def test_unknown_weights_are_refused_with_the_reason(gwet_pairs):
    a, b = gwet_pairs
    with pytest.raises(ValueError, match=r"^weights must be None, 'linear' or 'quadratic', not 'cubic'$"):
        ra.cohen_kappa(a, b, "cubic")


def test_no_pairable_answer_gives_nan_with_the_reason_under_the_name():
    a, b = [None, 1, np.nan], [2, None, 3]  # no pair complete
    why = "no pairable answers (no unit rated by both raters)"
    for r, name in ((ra.cohen_kappa(a, b), "cohen_kappa"), (ra.cohen_kappa(a, b, "linear"), "cohen_kappa_linear"),
                    (ra.scott_pi(a, b), "scott_pi"), (ra.brennan_prediger(a, b), "brennan_prediger")):
        assert (r.statistic, r.n, r.reason) == (name, 0, why)
        assert all(np.isnan(v) for v in (r.estimate, r.ci_low, r.ci_high))


def test_expand_table_reproduces_an_asymmetric_table():
    t = np.array([[2, 0, 1], [3, 0, 0], [0, 4, 1]])
    a, b = ra.expand_table(t)
    back = np.zeros((3, 3), int)
    for i, j in zip(a, b, strict=True):
        back[i - 1, j - 1] += 1
    assert np.array_equal(back, t) and len(a) == 11 and min(a + b) == 1


def test_expand_table_takes_float_counts():
    """A count table held as floats (e.g. summed with numpy) gives the same pairs as the integer table."""
    assert ra.expand_table(np.array([[1.0, 2.0], [0.0, 1.0]])) == ([1, 1, 1, 2], [1, 2, 2, 2])
