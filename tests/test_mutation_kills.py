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
