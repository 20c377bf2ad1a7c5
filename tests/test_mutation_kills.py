"""Tests written to kill meaningful surviving mutants of ``make mutation`` (docs/mutation.md): each states the
behaviour a mutant broke without any other test noticing."""

from __future__ import annotations

import numpy as np
import pandas as pd
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


# ---------------------------------------------------------------------------- stats/funnel.py
def _funnel():
    from helpers.stats import funnel

    return funnel


def _arcsine_limit_by_root(n: int, p0: float, tau2: float, z: float, sign: int) -> float:
    """Second implementation of an over-dispersed proportion limit: the root in [0, 1] of
    (asin(sqrt(L)) - asin(sqrt(p0))) / sqrt(1/(4n) + tau2) = sign * z, or the end of [0, 1] when there is none."""
    from scipy import optimize

    se = np.sqrt(1 / (4 * n) + tau2)

    def f(p):
        return (np.arcsin(np.sqrt(p)) - np.arcsin(np.sqrt(p0))) / se - sign * z

    if sign < 0:
        return optimize.brentq(f, 0.0, p0, xtol=1e-14) if f(0.0) < 0 else 0.0
    return optimize.brentq(f, p0, 1.0, xtol=1e-14) if f(1.0) > 0 else 1.0


@pytest.mark.parametrize("p0, tau2", [(0.05, 0.03), (0.05, 0.0005), (0.97, 0.004), (0.999, 0.0001)])
def test_funnel_overdispersed_proportion_limits_at_both_ends_of_the_scale(p0, tau2):
    """Targets near 0 and 1 (the existing check uses p0 = 0.83 only): the angle is clipped to [0, pi/2]
    - a lower angle below 0 must give the limit 0, not sin^2 of a negative angle, and neither clip may bite
    inside (0, pi/2)."""
    from scipy import stats

    sizes = np.array([3, 10, 150, 900, 20000])
    lim = _funnel().funnel_limits(sizes, target=p0, tau2=tau2)
    for level, lab in ((0.95, "95"), (0.998, "998")):
        z = stats.norm.isf((1 - level) / 2)
        for n, low, high in zip(sizes, lim[f"ll{lab}"], lim[f"ul{lab}"], strict=True):
            assert low == pytest.approx(_arcsine_limit_by_root(n, p0, tau2, z, -1), abs=1e-9)
            assert high == pytest.approx(_arcsine_limit_by_root(n, p0, tau2, z, 1), abs=1e-9)


def test_funnel_exact_binomial_lower_limit_is_zero_when_the_quantile_falls_below():
    """Binomial(10, 0.1): P(R = 0) = 0.349 > 0.025, so the smoothed count's 2.5% quantile is negative,
    -(0.349 - 0.025) / 0.349 = -0.928; a share cannot lie below 0, so the limit is 0."""
    from scipy import stats

    p_zero = stats.binom.pmf(0, 10, 0.1)
    assert p_zero == pytest.approx(0.9**10)
    lim = _funnel().funnel_limits([10, 20], target=0.1)
    assert lim["ll95"].tolist() == [0.0, 0.0] and lim["ll998"].tolist() == [0.0, 0.0]
    # the upper limit of Binomial(10, 0.1) is an interior quantile: r = 3, a = (F(3) - 0.975) / P(R = 3)
    f3, f2 = stats.binom.cdf(3, 10, 0.1), stats.binom.cdf(2, 10, 0.1)
    assert lim["ul95"].iloc[0] == pytest.approx((3 - (f3 - 0.975) / (f3 - f2)) / 10, abs=1e-12)


def _hand_tau2(events, size, target, trim):
    """tau2 by the moment formula on winsorised arcsine z-scores around ``target`` (Spiegelhalter et al. 2012,
    eq. 4), written out with numpy: the second implementation of ``overdispersion``."""
    z = (np.arcsin(np.sqrt(events / size)) - np.arcsin(np.sqrt(target))) * 2 * np.sqrt(size)
    zw = np.clip(z, *np.quantile(z, [trim, 1 - trim]))
    k, w = len(z), 4.0 * size
    return z, max(0.0, (np.sum(zw**2) - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def _hand_arcsine_limits(size, target, tau2, level):
    from scipy import stats

    y0, q = np.arcsin(np.sqrt(target)), stats.norm.isf((1 - level) / 2)
    half = q * np.sqrt(1 / (4 * size) + tau2)
    return np.sin(np.clip(y0 - half, 0, np.pi / 2)) ** 2, np.sin(np.clip(y0 + half, 0, np.pi / 2)) ** 2


def _over_dispersed_units(target, trim, level):
    """30 units with between-unit variance on the arcsine scale (seeded), and probes of 1,000 answers each at
    the half-answer boundary of the over-dispersed limits of ``level``: the lower probe's count O has
    (O - 1/2)/n < lower limit <= (O + 1/2)/n (not "below"), the upper one (O - 1/2)/n <= upper < (O + 1/2)/n (not
    "above"); one answer further out each is flagged. The probes lie beyond the winsorising quantiles, so their
    exact count does not change tau2."""
    rng = np.random.default_rng(41)
    size = rng.integers(40, 400, size=30)
    theta = np.arcsin(np.sqrt(0.85)) + rng.normal(0, 0.09, size=30)
    events = np.r_[rng.binomial(size, np.sin(theta) ** 2), 399, 250, 500, 499, 1000, 1000]  # one far above, below
    size = np.r_[size, 400, 400, 1000, 1000, 1000, 1000]
    for _ in range(3):  # the probes' counts to a fixed point (they do not move tau2)
        _, tau2 = _hand_tau2(events, size, target, trim)
        low, high = _hand_arcsine_limits(np.array([1000, 1000]), target, tau2, level)
        at_low, at_high = np.floor(low[0] * 1000 + 0.5), np.ceil(high[1] * 1000 - 0.5)
        events[-4:] = at_low, at_low - 1, at_high, at_high + 1
    return events, size


def test_funnel_table_over_dispersed_proportion_flags_by_hand():
    """The ``_od`` flags of proportions, computed independently: tau2 by the DerSimonian-Laird-type moment
    formula on winsorised z-scores around the GIVEN target (Spiegelhalter et al. 2012, eq. 4), limits
    sin^2(asin(sqrt(p0)) +- z sqrt(1/(4n) + tau2)), and the half-answer correction: (O + 1/2)/n below the
    lower, (O - 1/2)/n above the upper limit. Also the given trim, the given levels and z around the target."""
    from scipy import stats

    target, trim = 0.88, 0.15  # neither the pooled share nor the default trim
    events, size = _over_dispersed_units(target, trim, 0.9)
    t = _funnel().funnel_table(events, size, target=target, trim=trim, levels=(0.9, 0.99))
    z, tau2 = _hand_tau2(events, size, target, trim)
    np.testing.assert_allclose(t["z"], z, rtol=1e-12)
    assert tau2 > 0.002 and t.attrs["tau2"] == pytest.approx(tau2, rel=1e-12)
    assert t.attrs["trim"] == trim and t.attrs["target"] == target
    assert [c for c in t.columns if c.startswith(("ll", "ul"))] == [
        "ll90", "ll90_od", "ul90", "ul90_od", "ll99", "ll99_od", "ul99", "ul99_od"]
    for level, lab in ((0.9, "90"), (0.99, "99")):
        low, high = _hand_arcsine_limits(size, target, tau2, level)
        np.testing.assert_allclose(t[f"ll{lab}_od"], low, rtol=1e-12)
        np.testing.assert_allclose(t[f"ul{lab}_od"], high, rtol=1e-12)
        expected = np.where((events + 0.5) / size < low, "below", np.where((events - 0.5) / size > high, "above", ""))
        assert t[f"outside{lab}_od"].tolist() == expected.tolist()
        # plain flags: the mid-p tails of scipy's binomial at the given target
        mid_low = stats.binom.cdf(events - 1, size, target) + stats.binom.pmf(events, size, target) / 2
        mid_high = stats.binom.sf(events, size, target) + stats.binom.pmf(events, size, target) / 2
        plain = np.where(mid_low < (1 - level) / 2, "below", np.where(mid_high < (1 - level) / 2, "above", ""))
        assert t[f"outside{lab}"].tolist() == plain.tolist()
    # both directions occur, and the probes sit on the boundary: not flagged, yet half an answer from it
    assert {"below", "above"} <= set(t["outside90_od"].iloc[:-4])
    low, high = t["ll90_od"].iloc[-4], t["ul90_od"].iloc[-2]
    assert (events[-4] - 0.5) / 1000 < low <= (events[-4] + 0.5) / 1000
    assert (events[-2] - 0.5) / 1000 <= high < (events[-2] + 0.5) / 1000
    assert t["outside90_od"].tolist()[-4:] == ["", "below", "", "above"]


def test_funnel_table_without_over_dispersion_keeps_the_mid_p_flags():
    """tau2 = 0 (40 units exactly on target, winsorised away the two others): the ``_od`` flags are the exact
    mid-p flags. 83 of 100 at p0 = 0.9 is "below" by mid-p (F(82) + P(83)/2 < 0.025) but not by the corrected
    share 83.5% against the lower limit 83.2%; 97 of 100 is "above" both ways."""
    from scipy import stats

    assert stats.binom.cdf(82, 100, 0.9) + stats.binom.pmf(83, 100, 0.9) / 2 < 0.025
    events = np.r_[np.full(40, 90), 83, 97]
    t = _funnel().funnel_table(events, np.full(42, 100), target=0.9)
    assert t.attrs["tau2"] == 0.0
    assert t["outside95"].tolist()[-2:] == ["below", "above"]
    assert t["outside95_od"].tolist() == t["outside95"].tolist()
    assert t["outside998_od"].tolist() == t["outside998"].tolist() == [""] * 42
    for col in ("ll95", "ul95", "ll998", "ul998"):
        assert t[f"{col}_od"].tolist() == t[col].tolist()


def test_funnel_table_ratio_target_defaults_to_one():
    """Ratios are centred on 1 (observed = expected), not on the pooled ratio; FunnelPlotR's published limits
    for expected counts 15, 20, 30 (tests/testthat/test-poisson_limits.R)."""
    t = _funnel().funnel_table([30, 30, 45], [15, 20, 30], kind="ratio")
    assert t.attrs["target"] == 1.0
    np.testing.assert_allclose(t["ll95"], [0.5596924, 0.6108260, 0.6746958], atol=5e-8)
    np.testing.assert_allclose(t["ul998"], [2.082907, 1.902094, 1.702771], atol=5e-7)
    np.testing.assert_allclose(t["z"], (np.sqrt([2.0, 1.5, 1.5]) - 1) * 2 * np.sqrt([15, 20, 30]), rtol=1e-12)


def test_mean_funnel_over_dispersed_by_hand():
    """A mean funnel whose units differ more than their within-unit spread allows (the existing checks have
    tau2 = 0): pooled sd, z, tau2 (moment formula on winsorised z, the given trim) and the widened normal limits
    target +- z_a sqrt(sd^2/n + tau2) at the given levels, all written out with numpy and scipy."""
    from scipy import stats

    rng = np.random.default_rng(8)
    sizes = rng.integers(3, 25, size=24)
    units = np.repeat([f"u{i:02d}" for i in range(24)], sizes)
    values = rng.normal(80, 6, size=len(units)) + np.repeat(rng.normal(0, 5, size=24), sizes)
    trim, levels = 0.2, (0.9, 0.99)
    t = _funnel().mean_funnel(values, units, trim=trim, levels=levels)
    frame = pd.DataFrame({"u": units, "v": values})
    g = frame.groupby("u")["v"]
    n, mean, var = g.size().to_numpy(float), g.mean().to_numpy(), g.var(ddof=1).to_numpy()
    sd = np.sqrt(np.sum((n - 1) * var) / np.sum(n - 1))
    target = values.mean()
    z = (mean - target) / (sd / np.sqrt(n))
    zw = np.clip(z, *np.quantile(z, [trim, 1 - trim]))
    w = n / sd**2
    tau2 = (np.sum(zw**2) - 23) / (w.sum() - (w**2).sum() / w.sum())
    assert t["unit"].tolist() == sorted(set(units))
    assert t.attrs["sd"] == pytest.approx(sd, rel=1e-12) and t.attrs["target"] == pytest.approx(target, rel=1e-12)
    np.testing.assert_allclose(t["z"], z, rtol=1e-10)
    assert tau2 > 1 and t.attrs["tau2"] == pytest.approx(tau2, rel=1e-10) and t.attrs["trim"] == trim
    for level in levels:
        lab = f"{level * 100:g}"
        q = stats.norm.isf((1 - level) / 2)
        np.testing.assert_allclose(t[f"ll{lab}"], target - q * sd / np.sqrt(n), rtol=1e-10)
        np.testing.assert_allclose(t[f"ul{lab}_od"], target + q * np.sqrt(sd**2 / n + tau2), rtol=1e-10)
        wide_low = target - q * np.sqrt(sd**2 / n + tau2)
        assert t[f"outside{lab}_od"].tolist() == np.where(mean < wide_low, "below", np.where(
            mean > target + q * np.sqrt(sd**2 / n + tau2), "above", "")).tolist()
    assert (t["outside90"] != "").sum() > (t["outside90_od"] != "").sum() > 0


def test_mean_funnel_needs_a_within_unit_spread():
    """Units of one observation each give no pooled sd (0/0): refused with the reason. One unit of two
    observations (one degree of freedom) is enough."""
    with pytest.raises(ValueError, match=r"^a mean funnel needs at least one unit with two or more observations$"):
        _funnel().mean_funnel([70.0, 80.0, 90.0], ["a", "b", "c"])
    t = _funnel().mean_funnel([70.0, 74.0, 90.0], ["a", "a", "b"], trim=0)
    assert t.attrs["sd"] == pytest.approx(np.sqrt(8.0))  # (70 - 72)^2 + (74 - 72)^2 over 1 df


def test_funnel_ratio_flags_z_and_defaults_by_hand():
    """Ratios: a unit above is called "above" (the existing checks count flags only), z around a target that is
    not 1 (Spiegelhalter 2005 Table I: y = sqrt(O/E), s = 1/(2 sqrt(E))), units numbered 0.. when not named,
    phi in the attributes, and the over-dispersed lower limit clipped at 0 (a root below 0 has no meaning)."""
    from scipy import stats

    f = _funnel()
    expected = np.array([20.0, 30.0, 25.0, 40.0, 50.0])
    t = f.funnel_table([20, 30, 60, 10, 50], expected, kind="ratio", trim=0)
    assert t["unit"].tolist() == [0, 1, 2, 3, 4]
    lim = f.funnel_limits(expected, kind="ratio")
    assert lim["ul998"].iloc[2] < 60 / 25 and lim["ll998"].iloc[3] > 10 / 40  # exact Poisson limits
    assert t["outside998"].tolist() == ["", "", "above", "below", ""]
    z = (np.sqrt(np.array([20, 30, 60, 10, 50]) / expected) - 1) * 2 * np.sqrt(expected)
    assert t.attrs["phi"] == pytest.approx(np.mean(z**2), rel=1e-12)
    zs = f.funnel_z_scores([30, 10], [20, 20], kind="ratio", target=1.44)
    np.testing.assert_allclose(zs["z"], (np.sqrt([1.5, 0.5]) - 1.2) * 2 * np.sqrt(20), rtol=1e-12)
    np.testing.assert_allclose(zs["y"], np.sqrt([1.5, 0.5]), rtol=1e-12)
    # the default kind is a proportion: asin(sqrt(O/n)) around the pooled share
    zp = f.funnel_z_scores([30, 10], [40, 40])
    np.testing.assert_allclose(zp["z"], (np.arcsin(np.sqrt([0.75, 0.25])) - np.arcsin(np.sqrt(0.5))) * 2 * np.sqrt(40))
    # (1 - 3.09 sqrt(1/8 + 0.2)) < 0: the lower over-dispersed limit is 0, not the square of a negative root
    wide = f.funnel_limits([2.0], kind="ratio", tau2=0.2)
    assert wide["ll998"].iloc[0] == 0.0
    assert wide["ul998"].iloc[0] == pytest.approx((1 + stats.norm.isf(0.001) * np.sqrt(1 / 8 + 0.2)) ** 2)


def test_funnel_limits_refuse_impossible_arguments_with_the_reason():
    f = _funnel()
    with pytest.raises(ValueError, match=r"^tau2 must be non-negative$"):
        f.funnel_limits([10], kind="ratio", tau2=-0.1)
    with pytest.raises(ValueError, match=r"^a proportion funnel needs a target between 0 and 1$"):
        f.funnel_limits([10], target=1.5)
    with pytest.raises(ValueError, match="kind must be one of"):
        f.funnel_z_scores([1], [2], kind="rate")
    with pytest.raises(ValueError, match=r"^exact binomial limits need whole-number denominators$"):
        f.funnel_limits([10.5], target=0.5)
    # a target of exactly 0 is a proportion too: every limit is 0
    assert f.funnel_limits([10], target=0.0).iloc[0].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_funnel_additive_tau2_small_and_edge_cases_by_hand():
    """tau2 = max(0, (k phi - (k - 1)) / (sum w - sum w^2 / sum w)), w = 1/s^2, computed by hand:
    two units already show between-unit variance; k phi just above k - 1 gives a small positive tau2; every
    field is returned on the tau2 = 0 path too; no unit at all gives phi NaN, not an error."""
    f = _funnel()
    two = f.additive_tau2([3.0, -3.0], [0.1, 0.2], trim=0)  # phi 9; w 100, 25: 125 - 10625/125 = 40
    assert (two.phi, two.n_units, two.trim) == (9.0, 2, 0) and two.tau2 == pytest.approx(17 / 40, rel=1e-12)
    near = f.additive_tau2([1.1**0.5] * 5, [0.1] * 5, trim=0)  # phi 1.1: k phi = 5.5 > 4
    assert near.tau2 == pytest.approx(1.5 / 400, rel=1e-9)
    none = f.additive_tau2([0.5, -0.5, 0.2], [0.1, 0.1, 0.1], trim=0)
    assert (none.tau2, none.n_units, none.trim) == (0.0, 3, 0) and none.phi == pytest.approx(0.54 / 3)
    empty = f.additive_tau2([], [])
    assert np.isnan(empty.phi) and (empty.tau2, empty.n_units) == (0.0, 0)
    assert f.winsorise([]).tolist() == [] and f.winsorise([4.0]).tolist() == [4.0]
    # the default trim is 10% at each end (R type-7 quantiles 1 and 9 of 0..10)
    assert f.winsorise(np.arange(11.0)).tolist() == [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9]


@pytest.mark.parametrize("size", [[np.nan], [np.inf], [10, -1]])
def test_funnel_sizes_must_be_positive_and_finite(size):
    with pytest.raises(ValueError, match=r"^size must be positive and finite$"):
        _funnel().funnel_limits(size, kind="ratio")


# ---------------------------------------------------------------------------- report: small-cell suppression
def test_suppression_reads_a_count_that_is_not_a_number_as_small():
    """A recipient count that is not a number (a text cell, an earlier suppression mark) is taken as 0 and
    suppressed, not an error and never shown; ``drawable`` honours another count column's name."""
    from helpers.report import SUPPRESSED, Report

    t = pd.DataFrame({"worker_id": ["W1", "W2", "W3"], "n_recipients": ["3", "n<5", 7], "mean": [1.0, 2.0, 3.0]})
    assert Report().small(t).tolist() == [True, True, False]
    assert Report().suppress(t)["mean"].tolist() == [SUPPRESSED, SUPPRESSED, 3.0]
    other = pd.DataFrame({"worker": ["W1", "W2"], "respondents": [4, 5]})
    assert Report().drawable(other, n_col="respondents")["worker"].tolist() == ["W2"]


# ---------------------------------------------------------------------------- io/pii.py (pii: names in the selection)
def test_pii_scrub_series_missing_empty_and_id_kinds():
    """Missing cells come out as empty text (never a placeholder or 'nan'), the result is a string column,
    an empty column gives every count 0, and the kinds asked for reach ``scrub``: in an id column a long digit
    run is an id (only the mobile-phone scan applies), in free text it is a phone."""
    from helpers.io.pii import COUNTED, ID_KINDS, scrub_series

    out, counts = scrub_series(pd.Series(["Иванова Мария Петровна", None, pd.NA, "2021-00017"], dtype=object))
    assert out.tolist() == ["[ФИО]", "", "", "2021-00017"] and str(out.dtype) == "string"
    assert counts == dict.fromkeys(COUNTED, 0) | {"name": 1}
    empty, zero = scrub_series(pd.Series([], dtype=object))
    assert empty.tolist() == [] and zero == dict.fromkeys(COUNTED, 0)
    assert all(type(v) is int for v in zero.values())
    ids, c = scrub_series(pd.Series(["Код 1234567890123", "Код 1234567890123"]), ID_KINDS)
    assert ids.tolist() == ["Код 1234567890123"] * 2 and c["phone"] == 0
    text, c = scrub_series(pd.Series(["Код 1234567890123", "Код 1234567890123"]))
    assert text.tolist() == ["Код [телефон]"] * 2 and c["phone"] == 2  # counted per cell


def test_pii_counts_words_and_quote_edges():
    """The kinds found are said in words in the order of COUNTED, with each language's plural forms (the word
    for none when nothing was found); a value of exactly ``limit`` characters is quoted whole, one more is cut to
    ``limit`` with an ellipsis."""
    from helpers.io.pii import quote
    from helpers.narrative.privacy import counts_words

    assert counts_words({}, "en") == "none" and counts_words({"phone": 0}, "ru") == counts_words({}, "ru")
    assert counts_words({"email": 2, "birth": 1}, "en") == "2 e-mails, 1 birth date"
    assert counts_words({"address": 2, "phone": 1}, "ru") == "1 телефон, 2 адреса"
    assert counts_words({"phone": 5, "name": 21}, "ru") == "5 телефонов, 21 имя"
    assert quote("x" * 40) == "'" + "x" * 40 + "'"
    assert quote("x" * 41) == "'" + "x" * 39 + "…'" and len(quote("x" * 41)) == 42


@pytest.mark.parametrize("text", [
    "Спасибо Марию", "Спасибо Натальей", "Звонила Ольгой", "Спасибо Сашей", "Спасибо Сергею", "Спасибо Игорем",
    "Спасибо Анатолия", "Приходила с Иваном", "Спасибо Ивану", "Спасибо Иване"])
def test_pii_first_names_in_their_case_forms(text):
    """A first name standing alone in an oblique case, one of each ending class of ``_name_forms``
    (-ия/-ья, -а/-я, -й/-ь, a consonant), is a name (the regex is built at import, so mutmut cannot mutate it:
    these were checked by applying changes by hand)."""
    from helpers.io.pii import scrub, scrub_series

    word = text.split()[-1]
    assert scrub(text)[0] == text.replace(word, "[ФИО]")
    assert scrub_series(pd.Series([text]))[0].tolist() == [text.replace(word, "[ФИО]")]
