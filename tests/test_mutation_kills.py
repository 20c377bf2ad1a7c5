"""Tests written to kill meaningful surviving mutants of ``make mutation`` (docs/mutation.md): each states the
behaviour a mutant broke without any other test noticing."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.power import TTestIndPower

from helpers.stats.power import mdd_two_samples, minimum_detectable_difference, t_test_power


# ---------------------------------------------------------------------------- stats/power.py
@pytest.mark.parametrize("df", [np.inf, 10.0, 3.0])
def test_power_at_no_difference_is_the_level(df):
    """Both rejection tails count: at difference 0 the power of a two-sided test is alpha (a mutant that dropped
    or subtracted the lower tail gave alpha / 2 or 0)."""
    for alpha in (0.05, 0.2):
        assert t_test_power(0.0, 1.0, df, alpha) == pytest.approx(alpha, abs=1e-12)
    # a negative difference has the power of the positive one
    assert t_test_power(-1.3, 1.0, df) == pytest.approx(t_test_power(1.3, 1.0, df), abs=1e-12)


def test_power_far_in_the_opposite_tail_is_finite():
    """scipy's noncentral t gives NaN far in the opposite tail: counted as 0, so the power stays a number."""
    p = t_test_power(7.0 * 0.4, 0.4, 50.0, 0.005)
    assert np.isfinite(p) and 0.5 < p < 1.0
    assert np.isfinite(t_test_power(-7.0 * 0.4, 0.4, 50.0, 0.005))


@pytest.mark.parametrize("kwargs", [{"alpha": 0.0}, {"alpha": 1.0}, {"power": 0.0}, {"power": 1.0},
                                    {"alpha": 1.5}, {"df": 0.0}, {"df": -2.0}])
def test_mdd_is_nan_outside_its_domain(kwargs):
    args = {"se": 1.0, "df": np.inf, "alpha": 0.05, "power": 0.8} | kwargs
    assert np.isnan(minimum_detectable_difference(**args))
    assert np.isnan(minimum_detectable_difference(np.nan)) and np.isnan(minimum_detectable_difference(-1.0))
    assert np.isnan(minimum_detectable_difference(np.inf))


@pytest.mark.parametrize("alpha,power", [(0.01, 0.9), (0.10, 0.5), (0.05, 0.95)])
def test_mdd_passes_its_level_and_power_on(alpha, power):
    """Non-default level and power reach the root (statsmodels TTestIndPower as the second implementation)."""
    n_a, n_b, sd = 20, 30, 2.0
    ref = TTestIndPower().solve_power(nobs1=n_a, ratio=n_b / n_a, alpha=alpha, power=power) * sd
    assert mdd_two_samples(n_a, n_b, sd, alpha=alpha, power=power) == pytest.approx(ref, rel=1e-5)
    se = sd * np.sqrt(1 / n_a + 1 / n_b)
    assert t_test_power(minimum_detectable_difference(se, n_a + n_b - 2, alpha, power), se, n_a + n_b - 2,
                        alpha) == pytest.approx(power, abs=1e-8)


def test_mdd_two_samples_needs_two_per_group_only():
    assert np.isfinite(mdd_two_samples(2, 2, 1.0)) and np.isnan(mdd_two_samples(1, 5, 1.0))


@pytest.mark.parametrize("se", [1e-9, 1e-6, 1.0, 1e4])
def test_mdd_is_accurate_at_any_scale(se):
    """The root is solved to a tolerance relative to se (tiny and huge standard errors alike)."""
    assert minimum_detectable_difference(se) / se == pytest.approx(2.8015817870138116, rel=1e-9)


def test_mdd_edge_of_its_domain():
    """Power at or below the level: every difference, 0 included, is detected that often (MDD 0). Fewer than
    one degree of freedom is still a t distribution. One degree of freedom needs the bracket to grow."""
    assert minimum_detectable_difference(1.0, alpha=0.05, power=0.03) == 0.0
    assert minimum_detectable_difference(1.0, 12.0, alpha=0.2, power=0.1) == 0.0  # level and df passed on
    assert minimum_detectable_difference(1.0, df=0.5) == pytest.approx(198.3166645841, rel=1e-8)
    m = minimum_detectable_difference(1.0, df=1.0, alpha=0.01, power=0.9)
    assert t_test_power(m, 1.0, 1.0, 0.01) == pytest.approx(0.9, abs=1e-9) and m > 100


# ---------------------------------------------------------------------------- stats/rater_agreement.py
def _ra():
    from helpers.stats import rater_agreement as ra

    return ra


def test_gwet_ac_names_interval_level_and_result_fields():
    from scipy import stats

    ra = _ra()
    a, b = ra.expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    x = np.column_stack([a, b])
    r = ra.gwet_ac(x)
    assert r.statistic == "gwet_ac1" and ra.gwet_ac(x, "linear").statistic == "gwet_ac2_linear"
    assert ra.gwet_ac(x, "quadratic").statistic == "gwet_ac2_quadratic"
    q = stats.t.ppf(0.975, 99)  # the default level is 95%
    assert (r.ci_low, r.ci_high) == pytest.approx((r.estimate - q * r.se, r.estimate + q * r.se), abs=1e-12)
    r90 = ra.gwet_ac(x, confidence=0.9)
    q90 = stats.t.ppf(0.95, 99)
    assert (r90.ci_low, r90.ci_high) == pytest.approx((r.estimate - q90 * r.se, r.estimate + q90 * r.se))
    # a unit nobody rated is not a unit
    assert ra.gwet_ac(np.vstack([x, [np.nan, np.nan]])).n == 100
    # two units: an interval; one unit: none, with the reason and every field
    assert not np.isnan(ra.gwet_ac([[1, 2], [2, 2]], categories=[1, 2]).ci_low)
    one = ra.gwet_ac([[1, 2]], categories=[1, 2])
    assert (one.statistic, one.n, one.reason) == ("gwet_ac1", 1, "no interval with a single unit")
    assert one.estimate == pytest.approx(-1.0) and np.isnan(one.ci_low) and np.isnan(one.ci_high)
    same = ra.gwet_ac([[5, 5]] * 30, "linear", categories=[1, 2, 3, 4, 5])
    assert (same.statistic, same.estimate, same.n, same.se) == ("gwet_ac2_linear", 1.0, 30, 0.0)
    assert np.isnan(same.ci_low) and np.isnan(same.ci_high) and same.reason.startswith("standard error 0")


def test_percent_agreement_result_fields_level_and_scale():
    from statsmodels.stats.proportion import proportion_confint

    ra = _ra()
    a, b = ra.expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    r = ra.percent_agreement(a, b, confidence=0.9)
    assert (r.statistic, r.n) == ("percent_agreement", 100) and isinstance(r.n, int)
    assert r.se == pytest.approx(np.sqrt(0.89 * 0.11 / 100) / 1.0, rel=1e-9)
    assert (r.ci_low, r.ci_high) == pytest.approx(proportion_confint(89, 100, alpha=0.1, method="beta"))
    one = ra.percent_agreement([4], [4])  # one pair: Clopper-Pearson [0.025, 1]
    assert (one.estimate, one.ci_high, one.n) == (1.0, 1.0, 1) and one.ci_low == pytest.approx(0.025)
    with pytest.raises(ValueError, match="not among categories"):
        ra.percent_agreement([1, 2], [1, 7], categories=[1, 2])


def test_bowker_symmetry_counts_only_pairs_with_discordance():
    from scipy import stats

    ra = _ra()
    t = np.array([[10, 1, 0], [0, 8, 6], [0, 2, 9]])  # pair (1,3) empty, pair (1,2) a single pair
    r = ra.bowker_symmetry(t)
    x2 = (1 - 0) ** 2 / 1 + (6 - 2) ** 2 / 8
    assert (r.estimate, r.df, r.n) == (pytest.approx(x2), 2.0, 36)
    assert r.p_value == pytest.approx(stats.chi2.sf(x2, 2))
    a, b = ra.expand_table(t)
    assert ra.bowker_symmetry(a, b).estimate == pytest.approx(x2)
    with pytest.raises(ValueError, match="not among categories"):
        ra.bowker_symmetry(a, b, categories=[1, 2])
    with pytest.raises(ValueError, match="not among categories"):
        ra.stuart_maxwell(a, b, categories=[1, 2])
    none = ra.bowker_symmetry(np.diag([3, 4, 5]))
    assert (none.statistic, none.n) == ("bowker_symmetry", 12) and none.reason.startswith("no discordant")
    assert np.isnan(none.estimate) and np.isnan(none.df) and np.isnan(none.p_value)
