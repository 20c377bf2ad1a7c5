"""Tests written to kill meaningful surviving mutants of stats/comparisons.py (``benchmarks/mutation.py comparisons``;
docs/mutation/comparisons.md). Each checks values against scipy, statsmodels or a hand computation from the
published formula (written here with loops, apart from the module's vectorised code)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from helpers.stats.comparisons import (
    cliffs_delta,
    difference,
    holm,
    linear_trend,
    quantile,
    welch_anova,
)


# ---------------------------------------------------------------------------- Cliff's delta
def _cliff_by_hand(x, y, variance="unbiased", distribution="t", ci=0.95):
    """Cliff (1993, eq. 8) / Cliff (1996) variance and Feng & Cliff (2004) interval, with loops over the pairs;
    complete separation shrinks d by (nx ny - 1) / (nx ny) and closes the interval at +-1 (R effsize)."""
    nx, ny = len(x), len(y)
    dom = [[(xi > yj) - (xi < yj) for yj in y] for xi in x]
    d = sum(map(sum, dom)) / (nx * ny)
    dd = d * (nx * ny - 1) / (nx * ny) if abs(d) == 1 else d
    di = [sum(row) / ny for row in dom]
    dj = [sum(dom[i][j] for i in range(nx)) / nx for j in range(ny)]
    s_row = sum((v - dd) ** 2 for v in di)
    s_col = sum((v - dd) ** 2 for v in dj)
    s_all = sum((dom[i][j] - dd) ** 2 for i in range(nx) for j in range(ny))
    if variance == "unbiased":
        var = (ny**2 * s_row + nx**2 * s_col - s_all) / (nx * ny * (nx - 1) * (ny - 1))
    else:
        var = ((ny - 1) * s_row / (nx - 1) + (nx - 1) * s_col / (ny - 1) + s_all / ((nx - 1) * (ny - 1))) / (nx * ny)
    var = max(var, 0.0)
    q = stats.norm.ppf(1 - (1 - ci) / 2) if distribution == "normal" else stats.t.ppf(1 - (1 - ci) / 2, nx + ny - 2)
    s = math.sqrt(var)
    root = q * s * math.sqrt((1 - dd**2) ** 2 + q**2 * var)
    den = 1 - dd**2 + q**2 * var
    low, high = (dd - dd**3 - root) / den, (dd - dd**3 + root) / den
    if d == 1:
        high = 1.0
    if d == -1:
        low = -1.0
    return d, max(-1.0, low), min(1.0, high), s


@pytest.mark.parametrize("variance", ["unbiased", "consistent"])
@pytest.mark.parametrize("distribution", ["t", "normal"])
def test_cliffs_delta_every_field_by_hand(variance, distribution):
    x, y = [3, 5, 5, 6, 9, 2], [1, 4, 5, 2, 2]
    r = cliffs_delta(x, y, ci=0.9, variance=variance, distribution=distribution)
    d, lo, hi, s = _cliff_by_hand(x, y, variance, distribution, ci=0.9)
    assert (r.estimate, r.ci_low, r.ci_high, r.se) == pytest.approx((d, lo, hi, s), abs=1e-12)
    assert (r.n_x, r.n_y, r.n, r.reason) == (6, 5, 11, "")


def test_cliffs_delta_complete_separation_shrinks_d_for_the_variance_and_closes_at_one():
    for x, y in (([1, 2, 3], [4, 5]), ([4, 5], [1, 2, 3])):
        r = cliffs_delta(x, y)
        d, lo, hi, s = _cliff_by_hand(x, y)
        assert abs(r.estimate) == 1 and (r.ci_low, r.ci_high, r.se) == pytest.approx((lo, hi, s), abs=1e-12)
        assert (r.ci_low == -1.0) if r.estimate < 0 else (r.ci_high == 1.0)
        assert -1 < (r.ci_high if r.estimate < 0 else r.ci_low) < 1  # the other end stays open
        assert s > 0  # with d = +-1 itself every deviation would be 0: the shrinkage gives the variance


def test_cliffs_delta_drops_missing_and_non_numeric_values():
    r = cliffs_delta([3, np.nan, 5, "n/a", 5, 6, None, 9, 2], [1, 4, None, 5, "-", 2, 2])
    ref = cliffs_delta([3, 5, 5, 6, 9, 2], [1, 4, 5, 2, 2])
    assert (r.estimate, r.ci_low, r.ci_high, r.se, r.n_x, r.n_y) == (ref.estimate, ref.ci_low, ref.ci_high, ref.se,
                                                                     6, 5)
    assert r.estimate == pytest.approx(_cliff_by_hand([3, 5, 5, 6, 9, 2], [1, 4, 5, 2, 2])[0])


def test_cliffs_delta_edges_return_every_field_with_the_reason():
    for x, y in (([], [1, 2]), ([1, 2], []), ([np.nan], [1, 2])):
        r = cliffs_delta(x, y)
        assert r.reason == "empty_sample" and (r.n_x, r.n_y) == (len([v for v in x if v == v]), len(y))
        assert all(np.isnan(v) for v in (r.estimate, r.ci_low, r.ci_high, r.se))
    for x, y in (([3], [1, 2, 5]), ([1, 2, 5], [3])):
        r = cliffs_delta(x, y)
        assert r.reason == "fewer_than_two" and (r.n_x, r.n_y) == (len(x), len(y))
        assert r.estimate == pytest.approx(1 / 3 if len(x) == 1 else -1 / 3)  # 2 of 3 pairs won, one lost
        assert all(np.isnan(v) for v in (r.ci_low, r.ci_high, r.se))
    with pytest.raises(ValueError, match="^variance must be 'unbiased' or 'consistent', not 'pooled'$"):
        cliffs_delta([1, 2], [3, 4], variance="pooled")


# ---------------------------------------------------------------------------- difference of two estimates
def test_difference_of_small_standard_errors_is_welchs_test():
    # standard errors below 1 (variances below 1) and a 90% interval, against scipy's Welch test from summaries
    r = difference(0.80, 0.05, 20, 0.84, 0.03, 30, alpha=0.1)
    welch = stats.ttest_ind_from_stats(0.84, 0.03 * np.sqrt(31), 31, 0.80, 0.05 * np.sqrt(21), 21, equal_var=False)
    va, vb = 0.05**2, 0.03**2
    df = (va + vb) ** 2 / (va**2 / 20 + vb**2 / 30)  # Welch-Satterthwaite
    assert r.df == pytest.approx(df, rel=1e-12) and r.p_value == pytest.approx(welch.pvalue, rel=1e-10)
    half = stats.t.ppf(0.95, df) * np.sqrt(va + vb)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.04 - half, 0.04 + half), rel=1e-10)
    assert (r.covariance, r.reason) == (0.0, "")


def test_difference_with_one_exact_estimate_takes_the_other_df():
    # a known (se 0) reference against an estimate with 12 df: a one-sample t test
    r = difference(50.0, 0.0, 5, 53.0, 1.2, 12)
    assert r.df == pytest.approx(12.0) and r.se == pytest.approx(1.2)
    assert r.p_value == pytest.approx(2 * stats.t.sf(3.0 / 1.2, 12), rel=1e-12)
    r = difference(53.0, 1.2, 12, 50.0, 0.0, 5)
    assert r.df == pytest.approx(12.0) and r.estimate == -3.0


def test_difference_with_covariance_keeps_it_and_the_interval():
    r = difference(80.0, 2.0, np.inf, 84.0, 1.5, np.inf, covariance=1.5)
    se = np.sqrt(4 + 2.25 - 3)
    assert r.df == np.inf and r.covariance == 1.5 and r.se == pytest.approx(se)
    assert (r.ci_low, r.ci_high) == pytest.approx((4 - 1.959964 * se, 4 + 1.959964 * se), rel=1e-6)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(4 / se), rel=1e-12)


def test_difference_without_variance_says_so_with_every_field():
    r = difference(80.0, 0.0, 30, 84.0, 0.0, 40, covariance=0.0)
    assert (r.estimate, r.se, r.df, r.covariance, r.reason) == (4.0, 0.0, np.inf, 0.0, "zero_se")
    assert np.isnan(r.ci_low) and np.isnan(r.ci_high) and np.isnan(r.p_value)
    # a covariance equal to both variances: the same estimate twice, se 0
    r = difference(80.0, 1.0, 30, 84.0, 1.0, 30, covariance=1.0)
    assert (r.se, r.covariance, r.reason) == (0.0, 1.0, "zero_se") and r.df == pytest.approx(60.0)


# ---------------------------------------------------------------------------- linear trend
def test_linear_trend_fewer_than_three_points_every_field():
    for x in ([2019, 2020], [2020], []):
        r = linear_trend(x, [80.0] * len(x), np.eye(len(x)))
        assert (r.n, r.reason) == (len(x), "fewer_than_three_points")
        assert all(np.isnan(v) for v in (r.estimate, r.ci_low, r.ci_high, r.se, r.p_value))


def test_linear_trend_comparisons_by_hand_with_correlated_estimates_and_a_level():
    # slope of 3 points with a full covariance matrix: c = (-1, 0, 1), b = (m3 - m1) / 2, se^2 = (V11 + V33 - 2 V13) / 4
    V = np.array([[2.0, 0.3, 0.5], [0.3, 1.5, 0.2], [0.5, 0.2, 1.0]])
    r = linear_trend([1, 2, 3], [90.0, 88.0, 86.5], V, ci=0.9)
    b, se = (86.5 - 90.0) / 2, np.sqrt(2.0 + 1.0 - 2 * 0.5) / 2
    z = stats.norm.ppf(0.95)
    assert (r.estimate, r.se, r.n, r.reason) == (pytest.approx(b), pytest.approx(se), 3, "")
    assert (r.ci_low, r.ci_high) == pytest.approx((b - z * se, b + z * se))
    assert r.p_value == pytest.approx(2 * stats.norm.sf(abs(b) / se))  # a falling trend: two-sided


def test_linear_trend_without_variance_has_no_p():
    r = linear_trend([1, 2, 3], [1.0, 2.0, 3.0], np.zeros((3, 3)))
    assert r.estimate == pytest.approx(1.0) and r.se == 0.0 and np.isnan(r.p_value)


# ---------------------------------------------------------------------------- Holm, quantile, Welch's ANOVA
def test_holm_comparisons_by_hand_with_the_running_maximum():
    # sorted 0.001, 0.02, 0.03, 0.5 times 4, 3, 2, 1: 0.004, 0.06, 0.06 (running max), 0.5
    assert holm([0.03, 0.5, 0.001, 0.02]).tolist() == pytest.approx([0.06, 0.5, 0.004, 0.06])
    assert holm([0.9, 0.6]).tolist() == [1.0, 1.0] and holm([]).tolist() == []


def test_quantile_comparisons_normal_and_t():
    assert quantile(0.95, np.inf) == pytest.approx(1.6448536, abs=1e-7)
    assert quantile(0.05, 4) == pytest.approx(-2.1318468, abs=1e-7)


def test_welch_anova_comparisons_fields_and_groups_left_out():
    from statsmodels.stats.oneway import anova_oneway

    rng = np.random.default_rng(11)
    groups = [rng.normal(0, 1, 8), rng.normal(1, 2, 11), rng.normal(0.5, 1.5, 6)]
    m = [g.mean() for g in groups] + [7.0, 9.0, np.nan]
    v = [g.var(ddof=1) / len(g) for g in groups] + [0.0, 0.4, 0.3]
    n = [len(g) for g in groups] + [10, 1, 10]  # left out: variance 0, a single unit, no mean
    r = welch_anova(m, v, n)
    ref = anova_oneway(groups, use_var="unequal")
    assert (r.statistic, r.df_den, r.p_value) == pytest.approx((ref.statistic, ref.df[1], ref.pvalue), rel=1e-9)
    assert (r.k, r.n, r.df_num, r.reason) == (3, 25, 2.0, "")
    assert r.estimate == pytest.approx(max(m[:3]) - min(m[:3]))
    one = welch_anova([1.0, 5.0], [0.2, 0.3], [10, 1])
    assert (one.k, one.n, one.estimate, one.reason) == (1, 10, 0.0, "fewer_than_two_groups")
    assert all(np.isnan(x) for x in (one.statistic, one.df_num, one.df_den, one.p_value))
    none = welch_anova([1.0, 5.0], [0.2, 0.3], [1, 1])
    assert (none.k, none.n, none.reason) == (0, 0, "fewer_than_two_groups") and np.isnan(none.estimate)
    zero = welch_anova([1.0, 2.0], [0.0, 0.3], [10, 10])
    assert (zero.k, zero.n, zero.estimate, zero.reason) == (1, 10, 0.0, "zero_variance")


def test_linear_trend_comparisons_default_level_is_95_percent():
    r = linear_trend([1, 2, 3, 4], [1.0, 3.0, 2.0, 5.0], np.eye(4) * 0.5)
    se = np.sqrt(0.5 / 5.0)  # c = (-1.5, -0.5, 0.5, 1.5), c'c = 5
    assert (r.ci_low, r.ci_high) == pytest.approx((r.estimate - 1.959964 * se, r.estimate + 1.959964 * se), rel=1e-6)


def test_welch_anova_comparisons_groups_of_two_units_count():
    # a group of exactly two units has n - 1 = 1 df and enters the test (Welch's L has 1 / (n_j - 1) = 1)
    m, v, n = [1.0, 2.0, 4.0], [0.5, 0.2, 1.0], [2, 10, 5]
    r = welch_anova(m, v, n)
    w = 1 / np.array(v)
    mt = (w * m).sum() / w.sum()
    lam = ((1 - w / w.sum()) ** 2 / (np.array(n) - 1)).sum()
    f = (w * (np.array(m) - mt) ** 2).sum() / 2 / (1 + 2 * 1 * lam / 8)
    assert (r.k, r.n, r.statistic, r.df_den) == (3, 17, pytest.approx(f), pytest.approx(8 / (3 * lam)))
    assert r.p_value == pytest.approx(stats.f.sf(f, 2, 8 / (3 * lam)))
    zero = welch_anova([1.0, 2.0], [0.0, 0.3], [2, 10])  # the group of two with variance 0: "zero_variance"
    assert (zero.k, zero.reason) == (1, "zero_variance")


def test_welch_anova_comparisons_contrasts_without_any_variance():
    # a covariance matrix of zeros (every mean known exactly): equal means are no evidence (F = 0, p = 1),
    # different means a certain difference (F = inf, p = 0)
    same = welch_anova([2.0, 2.0], [0.1, 0.1], [10, 10], cov=np.zeros((2, 2)))
    assert (same.statistic, same.p_value, same.df_num) == (0.0, 1.0, 0.0)
    diff = welch_anova([2.0, 3.0], [0.1, 0.1], [10, 10], cov=np.zeros((2, 2)))
    assert (diff.statistic, diff.p_value, diff.df_num) == (np.inf, 0.0, 0.0)


@pytest.mark.parametrize("scale", [1e-6, 1e3])
def test_welch_anova_comparisons_do_not_depend_on_the_unit_of_measurement(scale):
    # F, its df and p are scale-free: the same design in other units (means x s, variances x s^2) gives the same test,
    # also for a group copied into another (a direction without variance) and a certain difference in that direction
    ma, va, mb, vb = 2.0, 0.25, 3.0, 0.36
    cov = np.array([[va, 0, 0], [0, vb, vb], [0, vb, vb]])
    ref = welch_anova([ma, mb, mb], [va, vb, vb], [40] * 3, cov=cov)
    r = welch_anova(np.array([ma, mb, mb]) * scale, np.array([va, vb, vb]) * scale**2, [40] * 3, cov=cov * scale**2)
    assert (r.statistic, r.df_num, r.df_den, r.p_value) == pytest.approx(
        (ref.statistic, ref.df_num, ref.df_den, ref.p_value), rel=1e-6)
    sure = welch_anova(np.array([ma, mb, mb + 1]) * scale, np.array([va, vb, vb]) * scale**2, [40] * 3,
                       cov=cov * scale**2)
    assert (sure.statistic, sure.p_value) == (np.inf, 0.0)


@pytest.mark.parametrize("kw", [{"distribution": "norm"}, {"distribution": "T"}, {"variance": "unbaised"}])
def test_cliffs_delta_refuses_an_unknown_option_by_name(kw):
    # before, distribution="norm" (a typo of "normal") silently gave the t interval
    with pytest.raises(ValueError, match=repr(next(iter(kw.values())))):
        cliffs_delta([1, 2, 3, 4], [2, 3, 4, 5], **kw)
