"""Tests written to kill meaningful surviving mutants of stats/rater_agreement.py (``benchmarks/mutation.py
rater_agreement``; docs/mutation/rater_agreement.md). Each checks values against a published value (R irrCAC's
README), statsmodels, scipy or a hand computation from the formula."""

from __future__ import annotations

import math

import krippendorff as kd
import numpy as np
import pytest
from scipy import stats
from statsmodels.stats import inter_rater as ir

from helpers.stats import rater_agreement as ra

NA = np.nan
#: irrCAC's ``cac.raw4raters`` (12 subjects x 4 raters, categories 1-5, no rater rated every subject; subject 12 has
#: a single rating). Published in the irrCAC README (Gwet; github.com/kgwet/irrCAC): ``gwet.ac1.raw`` gives
#: pa 0.8181818, pe 0.1903212, AC1 0.77544, SE 0.14295, 95% CI (0.461, 1) [irrCAC closes the interval at 1].
CAC_RAW4RATERS = np.array([
    [1, 1, NA, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [NA, 5, 5, 5], [NA, NA, 1, 1], [NA, NA, 3, NA],
])


def test_gwet_ac1_with_missing_ratings_reproduces_irrcac():
    r = ra.gwet_ac(CAC_RAW4RATERS)
    assert r.estimate == pytest.approx(0.77544, abs=5e-6)
    assert r.se == pytest.approx(0.14295, abs=5e-6)  # the unit rated once enters the linearised variance
    assert (r.n, r.statistic, r.reason, r.ci_method) == (12, "gwet_ac1", "", "analytic (Gwet)")
    # the published interval (0.461, 1): est - t se, and the upper bound closed at 1 (est + t se = 1.090)
    assert r.ci_low == pytest.approx(0.461, abs=5e-4) and r.ci_high == 1.0
    q = stats.t.ppf(0.975, 11)
    assert r.ci_low == pytest.approx(r.estimate - q * r.se, abs=1e-12) and r.estimate + q * r.se > 1.08
    # pa and pe of the README give the estimate: (0.8181818 - 0.1903212) / (1 - 0.1903212)
    assert r.estimate == pytest.approx((0.8181818 - 0.1903212) / (1 - 0.1903212), abs=1e-6)
    # the full scale 1..5 given explicitly changes nothing (every category occurs)
    assert ra.gwet_ac(CAC_RAW4RATERS, categories=range(1, 6)).se == pytest.approx(r.se, rel=1e-12)


# ---------------------------------------------------------------------------- Stuart-Maxwell and the K x K table
def test_stuart_maxwell_edges_return_every_field_with_the_reason():
    cases = [(np.zeros((3, 3)), 0, "no pairable answers (no unit rated by both raters)"),
             (np.array([[5, 0], [0, 0]]), 5, "fewer than two categories used: marginal homogeneity is trivial"),
             (np.diag([2, 3]), 5, "no discordant pairs: the margins are identical and the test statistic is 0/0")]
    for t, n, reason in cases:
        r = ra.stuart_maxwell(t)
        assert (r.statistic, r.n, r.reason) == ("stuart_maxwell", n, reason) and isinstance(r.n, int)
        assert all(np.isnan(v) for v in (r.estimate, r.df, r.p_value, r.ci_low, r.ci_high))
    empty = ra.stuart_maxwell([None, 1], [2, None])  # pairs with a missing answer are dropped
    assert (empty.n, empty.reason) == (0, cases[0][2])


def test_stuart_maxwell_drops_unused_categories_as_statsmodels_on_the_rest():
    from statsmodels.stats.contingency_tables import SquareTable

    t = np.array([[10, 3, 0, 2], [1, 8, 0, 4], [0, 0, 0, 0], [3, 1, 0, 12]])  # category 3 used by neither rater
    r = ra.stuart_maxwell(t)
    ref = SquareTable(t[np.ix_([0, 1, 3], [0, 1, 3])], shift_zeros=False).homogeneity()
    assert (r.estimate, r.df, r.p_value, r.n) == (pytest.approx(ref.statistic), 2.0, pytest.approx(ref.pvalue), 44)
    assert r.statistic == "stuart_maxwell" and r.reason == ""
    a, b = ra.expand_table(t)
    assert ra.stuart_maxwell(a, b, categories=[1, 2, 3, 4, 5]).estimate == pytest.approx(ref.statistic)


def test_stuart_maxwell_singular_p_value_on_its_rank():
    # category 3 only concordant: V is singular, the test is McNemar's on the 1-2 block, (3 - 1)^2 / (3 + 1), 1 df
    r = ra.stuart_maxwell(np.array([[5, 3, 0], [1, 6, 0], [0, 0, 4]]))
    assert (r.estimate, r.df, r.n) == (pytest.approx(1.0), 1.0, 19)
    assert r.p_value == pytest.approx(stats.chi2.sf(1.0, 1))


def test_square_table_refuses_a_table_that_is_not_square():
    for bad in ([[1, 2, 3], [4, 5, 6]], [1, 2, 3]):
        with pytest.raises(ValueError, match="^with b=None, a must be a square contingency table$"):
            ra.stuart_maxwell(bad)
        with pytest.raises(ValueError, match="^with b=None, a must be a square contingency table$"):
            ra.bowker_symmetry(bad)


# ---------------------------------------------------------------------------- Krippendorff's alpha, Fleiss' kappa
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_krippendorff_alpha_edges_return_every_field_with_the_reason():
    r = ra.krippendorff_alpha([[1, NA], [NA, 2]])
    assert (r.statistic, r.n, r.n_pairable_values, r.reason) == ("krippendorff_alpha_nominal", 0, 0,
                                                                 "no unit with two or more values")
    r = ra.krippendorff_alpha([[1, 1, 1], [1, 1, NA]], "ordinal")
    assert (r.statistic, r.n, r.n_pairable_values) == ("krippendorff_alpha_ordinal", 2, 4)
    assert r.reason == "every value is in one category: expected disagreement is 0, alpha is 0/0"
    r = ra.krippendorff_alpha([[1, 2, NA], [1, NA, 3]])  # the only pairable unit has one value twice
    assert (r.n, r.n_pairable_values, r.reason) == (1, 2, "expected disagreement is 0: alpha is 0/0")
    for res in (r, ra.krippendorff_alpha([[1, NA], [NA, 2]])):
        assert all(np.isnan(v) for v in (res.estimate, res.ci_low, res.ci_high))
    r = ra.krippendorff_alpha([[1, 2, 1], [1, 2, 2]], n_boot=0)
    # by hand: coincidences o_11 = 2, o_22 = 2, o_12 = o_21 = 1, n = 6: alpha = 1 - 5 * 2 / (2 * 3 * 3) = 4/9
    assert (r.estimate, r.n, r.n_pairable_values) == (pytest.approx(4 / 9), 3, 6)
    assert r.reason == "no interval requested (n_boot = 0)" and np.isnan(r.ci_low) and r.ci_method == ""
    one = ra.krippendorff_alpha([[1], [2]], n_boot=50)  # one unit, two values: alpha = 1 - 1 * 2 / (1 * 1 * 2) = 0
    assert (one.estimate, one.n, one.reason) == (0.0, 1, "no interval with a single unit") and np.isnan(one.ci_low)


def test_fleiss_kappa_small_table_by_hand():
    # units (1, 2) and (1, 1): P = (0 + 1)/2, p = (3/4, 1/4), Pe = 10/16, kappa = (1/2 - 10/16) / (6/16) = -1/3;
    # se0 = sqrt(2) / (sum pq sqrt(N m (m - 1))) sqrt((sum pq)^2 - sum pq (q - p)) = sqrt(2) / (3/8 * 2) * 3/8
    r = ra.fleiss_kappa([[1, 2], [1, 1]], n_boot=0)
    se0 = math.sqrt(2) / (3 / 8 * 2) * (3 / 8)
    assert (r.estimate, r.se0, r.z) == pytest.approx((-1 / 3, se0, -1 / 3 / se0))
    assert r.p_value == pytest.approx(2 * stats.norm.sf(1 / 3 / se0))
    # per category: 1 - sum_i n_ij (m - n_ij) / (N m (m - 1) p_j q_j) = 1 - 1 / (4 * 3/16)
    assert r.per_category == pytest.approx({1: -1 / 3, 2: -1 / 3})
    assert (r.statistic, r.n, r.reason) == ("fleiss_kappa", 2, "no interval requested (n_boot = 0)")
    one = ra.fleiss_kappa([[1, 2]], n_boot=10)
    assert (one.n, one.reason) == (1, "no interval with a single unit") and np.isnan(one.ci_low)


def test_fleiss_kappa_edges_return_every_field_with_the_reason():
    r = ra.fleiss_kappa([[1, NA], [2, NA]])
    assert (r.statistic, r.n, r.reason, r.per_category) == ("fleiss_kappa", 0, "no complete unit", {})
    r = ra.fleiss_kappa([[1, 1], [1, 1], [2, NA]])  # the incomplete unit is dropped: one category left
    assert (r.n, r.reason) == (2, "every rating is in one category: chance agreement is 1, kappa is 0/0")
    assert all(np.isnan(v) for v in (r.estimate, r.z, r.p_value, r.se0, r.ci_low))


def test_rating_counts_on_a_given_scale():
    counts, cats = ra.rating_counts([[1, 3, NA], [3, 3, 1]], categories=[1, 2, 3])
    assert cats == [1, 2, 3] and counts.tolist() == [[1, 0, 1], [1, 0, 2]]
    with pytest.raises(ValueError, match="rating 4 is not among categories"):
        ra.rating_counts([[1, 4], [5, 1]], categories=[1, 2, 3])
    assert ra.expand_table([[0, 2], [1, 0]]) == ([1, 1, 2], [2, 2, 1])


def test_gwet_ac_edges_return_every_field_with_the_reason():
    one = ra.gwet_ac([[3, 3], [3, 3], [3, NA]], "quadratic")  # one category and no scale: K unknown
    assert (one.statistic, one.n) == ("gwet_ac2_quadratic", 3) and one.reason.startswith("fewer than two categories")
    single = ra.gwet_ac([[1, NA], [NA, 2], [2, NA]], categories=[1, 2])
    assert (single.statistic, single.n, single.reason) == ("gwet_ac1", 3, "no unit rated by two or more raters")
    for r in (one, single):
        assert all(np.isnan(v) for v in (r.estimate, r.ci_low, r.ci_high, r.se))


def test_krippendorff_alpha_reads_text_as_missing_and_keeps_its_documented_defaults():
    from helpers.datasets import load_reference

    d = load_reference("krippendorff_2011").set_index("unit").T
    text = d.astype(object).where(d.notna(), "n/a")  # blanks written as text
    assert ra.krippendorff_alpha(text, n_boot=0).estimate == pytest.approx(0.743421, abs=5e-7)  # Krippendorff (2011)
    # the documented defaults: 1,000 resamples, seed 0
    default, given = ra.krippendorff_alpha(d), ra.krippendorff_alpha(d, n_boot=1000, seed=0)
    assert (default.ci_low, default.ci_high) == (given.ci_low, given.ci_high)


# ---------------------------------------------------------------------------- second part of the run (fleiss_kappa,
# krippendorff_alpha, rating_counts): docs/mutation/rater_agreement.md
#: two units rated by three raters, (1, 1, 2) and (1, 2, 2). A unit bootstrap of two units has three outcomes:
#: both units A (probability 1/4), both B (1/4), one of each (1/2). By hand:
#: Fleiss: AA has p = (2/3, 1/3), P = ((4 + 1) - 3) / 6 = 1/3, Pe = 5/9: kappa = (1/3 - 5/9) / (4/9) = -1/2 (BB the
#: same by symmetry); AB has p = (1/2, 1/2), Pe = 1/2: kappa = (1/3 - 1/2) / (1/2) = -1/3 (the estimate).
#: Krippendorff (nominal): AA has o_11 = 2, o_12 = o_21 = 2, o_22 = 0, n = 6, n_1 = 4, n_2 = 2:
#: alpha = 1 - 5 * 4 / (2 * 4 * 2) = -1/4; AB has o_11 = o_22 = 1, o_12 = o_21 = 2, n_1 = n_2 = 3:
#: alpha = 1 - 5 * 4 / (2 * 3 * 3) = -1/9 (the estimate).
#: So each replicate is one of two values, each with probability 1/2: the percentile interval is (low, estimate).
TWO_UNITS = np.array([[1, 1, 2], [1, 2, 2]])


def test_two_units_are_enough_for_a_bootstrap_interval_by_hand():
    f = ra.fleiss_kappa(TWO_UNITS, n_boot=200, seed=0)
    assert (f.n, f.estimate) == (2, pytest.approx(-1 / 3))
    assert (f.ci_low, f.ci_high, f.reason) == (pytest.approx(-1 / 2), pytest.approx(-1 / 3), "")
    assert f.ci_method == "bootstrap percentile"  # the interval says how it was made, as Krippendorff's does
    k = ra.krippendorff_alpha(TWO_UNITS.T, n_boot=200, seed=0)  # raters x units
    assert (k.n, k.estimate) == (2, pytest.approx(-1 / 9))
    assert (k.ci_low, k.ci_high, k.reason) == (pytest.approx(-1 / 4), pytest.approx(-1 / 9), "")


def test_one_resample_is_a_degenerate_bootstrap_not_an_interval_never_requested():
    for r in (ra.fleiss_kappa(TWO_UNITS, n_boot=1), ra.krippendorff_alpha(TWO_UNITS.T, n_boot=1)):
        assert r.reason.startswith("every resample gives the same value") and np.isnan(r.ci_low)


def _pattern_draws(counts: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct unit patterns (rows of ``counts``) in lexicographic order and the multinomial
    multiplicities a unit bootstrap over them draws with ``default_rng(seed)`` (the draws of the module)."""
    pats, freq = np.unique(counts, axis=0, return_counts=True)
    w = np.random.default_rng(seed).multinomial(len(counts), freq / freq.sum(), size=n_boot)
    return pats, w


def test_fleiss_interval_at_a_given_confidence_is_statsmodels_on_the_same_resamples():
    from helpers.datasets import load_reference

    d = load_reference("fleiss_1971_diagnoses").set_index("subject")
    counts, _ = ra.rating_counts(d)
    pats, w = _pattern_draws(counts, 60, 4)
    # every replicate's kappa by statsmodels on the resampled units written out
    boot = [ir.fleiss_kappa(np.repeat(pats, wi, axis=0)) for wi in w]
    r = ra.fleiss_kappa(d, n_boot=60, seed=4, confidence=0.5)
    assert (r.ci_low, r.ci_high) == pytest.approx(tuple(np.quantile(boot, [0.25, 0.75])), abs=1e-12)
    # the defaults of the signature: 1,000 resamples, seed 0
    default, given = ra.fleiss_kappa(d), ra.fleiss_kappa(d, n_boot=1000, seed=0)
    assert (default.ci_low, default.ci_high) == (given.ci_low, given.ci_high)


def test_krippendorff_interval_at_a_given_confidence_is_the_package_on_the_same_resamples():
    from helpers.datasets import load_reference

    d = load_reference("krippendorff_2011").set_index("unit").T.to_numpy(float)  # raters x units
    pairable = d[:, (~np.isnan(d)).sum(0) >= 2]
    counts, _ = ra.rating_counts(pairable.T)
    pats, w = _pattern_draws(counts, 40, 2)
    # a unit pattern written back as the values of its unit (NaN for the raters left over)
    cats = np.unique(pairable[~np.isnan(pairable)])
    cols = [np.r_[np.repeat(cats, p.astype(int)), np.full(d.shape[0] - int(p.sum()), np.nan)] for p in pats]
    boot = [kd.alpha(reliability_data=np.column_stack([c for c, k in zip(cols, wi, strict=True) for _ in range(k)]),
                     level_of_measurement="interval") for wi in w]
    r = ra.krippendorff_alpha(d, "interval", n_boot=40, seed=2, confidence=0.5)
    assert (r.ci_low, r.ci_high) == pytest.approx(tuple(np.quantile(boot, [0.25, 0.75])), abs=1e-12)
    assert r.ci_method == "bootstrap percentile"


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_krippendorff_alpha_undefined_estimate_keeps_its_name():
    r = ra.krippendorff_alpha([[1, 2, NA], [1, NA, 3]], "interval")  # the only pairable unit: one value twice
    assert (r.statistic, r.n) == ("krippendorff_alpha_interval", 1)


def test_fleiss_kappa_without_a_complete_unit_has_no_interval():
    r = ra.fleiss_kappa([[1, NA], [2, NA]])
    assert np.isnan(r.ci_low) and np.isnan(r.ci_high) and np.isnan(r.estimate)


def test_rating_counts_sorts_numbers_before_text():
    # sort_key: numbers in numeric order, then text; Python cannot compare 2 with "a" by itself
    counts, cats = ra.rating_counts([[2, "b"], [10, "a"]])
    assert cats == [2, 10, "a", "b"]
    assert counts.tolist() == [[1, 0, 0, 1], [0, 1, 1, 0]]
    with pytest.raises(ValueError, match="rating 4 is not among categories"):
        ra.rating_counts([["x", 4], [1, 1]], categories=[1, 2])


def test_bowker_symmetry_is_statsmodels_symmetry_under_its_name():
    """Stuart's (1955) vision grades (no empty off-diagonal pair): statsmodels ``SquareTable.symmetry`` gives the
    same chi-square, df and p (Bowker 1948); the result carries the test's name."""
    from statsmodels.stats.contingency_tables import SquareTable

    from helpers.datasets import load_reference

    t = load_reference("stuart_1955_vision").set_index("right_eye").to_numpy()
    ref = SquareTable(t, shift_zeros=False).symmetry()
    r = ra.bowker_symmetry(t)
    assert (r.statistic, r.n) == ("bowker_symmetry", t.sum())
    assert (r.estimate, r.df, r.p_value) == pytest.approx((ref.statistic, ref.df, ref.pvalue), rel=1e-12)
    assert r.estimate == pytest.approx(19.1066, abs=5e-5)  # the docstring's published value
