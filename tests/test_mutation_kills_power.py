"""Tests written to kill meaningful surviving mutants of ``benchmarks/mutation.py power`` (docs/mutation/power.md)
that the session-5 notes had judged harmless. Values from statsmodels ``TTestIndPower`` (a second implementation)."""

from __future__ import annotations

import pytest
from statsmodels.stats.power import TTestIndPower

from helpers.stats.power import mdd_two_samples


@pytest.mark.parametrize("alpha,power", [(0.05, 0.99), (0.2, 0.95), (0.45, 0.6)])
def test_mdd_when_the_power_quantile_exceeds_the_level_quantile(alpha, power):
    """z_power > z_(1 - alpha/2) (power above 1 - alpha/2), or a large level: the normal-approximation start of the
    root bracket, (z_(1 - alpha/2) + z_power) se, is still positive, and the MDD is statsmodels' effect size times
    sd (a bracket started from z_(1 - alpha/2) - z_power, or from z_(1 - 2 alpha), is negative and brentq returned
    the negative root)."""
    n_a, n_b, sd = 35, 42, 2.0
    ref = TTestIndPower().solve_power(nobs1=n_a, ratio=n_b / n_a, alpha=alpha, power=power) * sd
    assert mdd_two_samples(n_a, n_b, sd, alpha=alpha, power=power) == pytest.approx(ref, rel=1e-5)
