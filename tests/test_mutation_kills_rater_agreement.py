"""Tests written to kill meaningful surviving mutants of stats/rater_agreement.py (``benchmarks/mutation.py
rater_agreement``; docs/mutation/rater_agreement.md). Each checks values against a published value (R irrCAC's
README), statsmodels, scipy or a hand computation from the formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

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
    assert (r.n, r.statistic, r.reason) == (12, "gwet_ac1", "")
    assert r.ci_low == pytest.approx(0.461, abs=5e-4)
    q = stats.t.ppf(0.975, 11)
    assert (r.ci_low, r.ci_high) == pytest.approx((r.estimate - q * r.se, r.estimate + q * r.se), abs=1e-12)
    # pa and pe of the README give the estimate: (0.8181818 - 0.1903212) / (1 - 0.1903212)
    assert r.estimate == pytest.approx((0.8181818 - 0.1903212) / (1 - 0.1903212), abs=1e-6)
    # the full scale 1..5 given explicitly changes nothing (every category occurs)
    assert ra.gwet_ac(CAC_RAW4RATERS, categories=range(1, 6)).se == pytest.approx(r.se, rel=1e-12)
