"""Tests written to kill the meaningful surviving mutants of the pooled-share funnel (``make mutation
MUTATION_MODULES=funnel_pooled``; docs/mutation/funnel_pooled.md). Every expected value is computed here
independently of :mod:`helpers.stats.funnel`: the hypergeometric distribution from ``scipy.stats.hypergeom``, the
smoothed quantile from its published formula (Spiegelhalter 2005, appendix A.1.1), Pearson's X² from
``scipy.stats.chi2_contingency``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from helpers.stats.funnel import (
    Homogeneity,
    funnel_table,
    homogeneity_test,
    pooled_share_flags,
    pooled_share_limits,
)


def _smoothed_limit(big_n: int, total: int, n: int, q: float) -> float:
    """(r - a)/n, r the smallest count with F(r) >= q, a = (F(r) - q)/(F(r) - F(r - 1)), cut to [0, 1], with
    F the distribution function of Hypergeometric(N, T, n) as scipy computes it."""
    dist = stats.hypergeom(big_n, total, n)
    cdf = dist.cdf(np.arange(n + 1))
    r = int(np.argmax(cdf >= q - 1e-13))
    before = cdf[r - 1] if r > 0 else 0.0
    return float(np.clip((r - (cdf[r] - q) / (cdf[r] - before)) / n, 0.0, 1.0))


# pools where the edges of the distribution bind: a unit larger than the events (n > T), larger than the
# non-events (n > N - T), of one answer, equal to the whole pool, and shares near 0 and near 1
POOLS = [([1, 2, 3, 5, 8], 4, 30), ([1, 2, 3, 5, 8], 27, 30), ([3, 10, 25], 12, 40), ([3, 10, 25], 30, 40),
         ([40], 10, 40), ([2, 6, 20], 1, 50), ([2, 6, 20], 49, 50)]


@pytest.mark.parametrize("sizes,total,big_n", POOLS)
def test_pooled_share_limits_at_the_edges_of_the_hypergeometric(sizes, total, big_n):
    """Small units, whose quantile is the count 0 or 1, and units whose range is cut by the events or the
    non-events of the pool: every limit as the smoothed quantile of scipy's hypergeometric distribution."""
    lim = pooled_share_limits(sizes, total, big_n, levels=(0.9, 0.95))
    for level, lab in ((0.9, "90"), (0.95, "95")):
        a = (1 - level) / 2
        for n, low, high in zip(sizes, lim[f"ll{lab}"], lim[f"ul{lab}"], strict=True):
            assert low == pytest.approx(_smoothed_limit(big_n, total, n, a), abs=1e-9), (n, level)
            assert high == pytest.approx(_smoothed_limit(big_n, total, n, 1 - a), abs=1e-9), (n, level)
            assert 0.0 <= low <= high <= 1.0


def test_pooled_share_limits_of_a_unit_that_is_the_whole_pool():
    """A unit of all 40 answers of a pool with 10 events has exactly 10 events: F jumps from 0 to 1 at 10, so
    the smoothed q-quantile is (10 - (1 - q))/40 (the formula above with F(9) = 0, F(10) = 1)."""
    lim = pooled_share_limits([40], 10, 40).iloc[0]
    assert lim["ll95"] == pytest.approx((10 - 0.975) / 40, abs=1e-12)
    assert lim["ul95"] == pytest.approx((10 - 0.025) / 40, abs=1e-12)


@pytest.mark.parametrize("sizes,total,big_n", [([41], 10, 40), ([5], 41, 40), ([5], -1, 40)])
def test_pooled_share_limits_refuse_a_unit_or_events_beyond_the_pool(sizes, total, big_n):
    with pytest.raises(ValueError, match="^a unit cannot be larger than the total, nor the events more than the total$"):
        pooled_share_limits(sizes, total, big_n)


def test_pooled_share_limits_accept_a_pool_of_no_event_and_of_only_events():
    """T = 0 and T = N are possible pools (every share 0, or 1): R is 0, or n, for sure. With no event the
    smoothed quantiles (0 - (1 - q))/n are below 0 and cut to 0; with only events they are (n - (1 - q))/n."""
    none = pooled_share_limits([5, 10], 0, 30)
    assert (none == 0).all().all()
    every = pooled_share_limits([5, 10], 30, 30)
    assert every["ll95"].tolist() == pytest.approx([(5 - 0.975) / 5, (10 - 0.975) / 10])
    assert every["ul95"].tolist() == pytest.approx([(5 - 0.025) / 5, (10 - 0.025) / 10])


def _mid_p(o: int, n: int, total: int, big_n: int) -> tuple[float, float, float]:
    dist = stats.hypergeom(big_n, total, n)
    return float(dist.cdf(o - 1)), float(dist.pmf(o)), float(dist.sf(o))  # P(R < O), P(R = O), P(R > O)


@pytest.mark.parametrize("side", ["below", "above"])
def test_pooled_share_flags_take_half_the_point_probability(side):
    """The flag is the mid-p: P(R < O) + ½ P(R = O) < α/2. The level is chosen so that α/2 lies between
    P(R < O) + P(R = O)/3 and P(R < O) + P(R = O)/2: a unit exactly there is not flagged (a third of the point
    probability, or none, would flag it); and just above the mid-p it is."""
    sizes = np.array([60, 80, 100, 120])
    events = np.array([50, 72, 90, 110]) if side == "below" else np.array([56, 64, 80, 96])
    total, big_n = int(events.sum()), int(sizes.sum())
    lower, point, upper = _mid_p(int(events[0]), 60, total, big_n)
    tail = lower if side == "below" else upper
    assert point > 0.005  # the rules differ by a visible amount at this unit
    for share, flagged in ((0.42, ""), (0.58, side)):
        level = 1 - 2 * (tail + share * point)
        assert pooled_share_flags(events, sizes, level)[0] == flagged, (share, level)


def test_homogeneity_test_of_a_pool_without_variation():
    """No event, only events, or a single unit: nothing to test - X² = 0, df = k - 1, p = 1 (what
    ``chi2_contingency`` cannot compute, a table with an empty column)."""
    assert homogeneity_test([0, 0, 0], [10, 20, 30]) == Homogeneity(statistic=0.0, df=2, p_value=1.0)
    assert homogeneity_test([10, 20, 30], [10, 20, 30]) == Homogeneity(statistic=0.0, df=2, p_value=1.0)
    assert homogeneity_test([4], [10]) == Homogeneity(statistic=0.0, df=0, p_value=1.0)


def test_funnel_table_reports_the_homogeneity_p_and_the_pooling_in_its_attrs():
    events, sizes = np.array([30, 50, 41, 44]), np.array([100, 100, 90, 95])
    t = funnel_table(events, sizes)
    _, p, _, _ = stats.chi2_contingency(np.column_stack([events, sizes - events]), correction=False)
    assert t.attrs["homogeneity_p"] == pytest.approx(p, rel=1e-10) and t.attrs["pooled"] is True
    given = funnel_table(events, sizes, target=0.4)
    assert given.attrs["pooled"] is False
    ratio = funnel_table([12, 30, 8], [10.0, 25.0, 11.0], kind="ratio")
    assert np.isnan(ratio.attrs["homogeneity_p"]) and ratio.attrs["pooled"] is False


def test_funnel_table_pooled_limits_at_the_levels_asked():
    """The plain pooled limits follow ``levels`` (0.9 and 0.99 here), from scipy's hypergeometric."""
    events, sizes = np.array([30, 50, 41, 44]), np.array([100, 100, 90, 95])
    t = funnel_table(events, sizes, levels=(0.9, 0.99))
    total, big_n = int(events.sum()), int(sizes.sum())
    for lab, a in (("90", 0.05), ("99", 0.005)):
        assert t[f"ll{lab}"].tolist() == pytest.approx([_smoothed_limit(big_n, total, n, a) for n in sizes])
        assert t[f"ul{lab}"].tolist() == pytest.approx([_smoothed_limit(big_n, total, n, 1 - a) for n in sizes])
