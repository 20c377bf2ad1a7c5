"""Tests written to kill meaningful surviving mutants of ``benchmarks/mutation.py year_verdicts``
(docs/mutation/year_verdicts.md): :func:`helpers.studies.mystery_guest.trends.compare_years` and ``_mdds``.

Every expected value is computed here from the formula: the Wald interval ``d ± z·se``, Holm's adjusted p by
statsmodels, the level of Holm's deciding step by hand, the MDD by solving the two-sided normal power equation
with scipy's root finder, Cliff's delta as the mean sign of all pairs, Welch's interval with its
Satterthwaite df, and the stratified mean ``Σ N_h ȳ_h / N``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from helpers.stats.power import minimum_detectable_difference
from helpers.studies.mystery_guest.trends import MixedYearFit, _mdds, compare_years

YEARS = [2018, 2019, 2020]


def _normal_mdd(se: float, alpha: float, power: float = 0.8) -> float:
    """Root of Phi(d/se - z) + Phi(-d/se - z) = power, z = z_{1 - alpha/2}: the two-sided Wald test's MDD."""
    z = stats.norm.ppf(1 - alpha / 2)
    return optimize.brentq(lambda d: stats.norm.cdf(d / se - z) + stats.norm.cdf(-d / se - z) - power, 0, 20 * se,
                           xtol=1e-13)


def _scored() -> pd.DataFrame:
    """Interviews of three years: volunteers (the reference role) and social workers, whose scores Cliff's
    delta must leave out."""
    vol = {2018: [70.0, 80, 90], 2019: [75.0, 85, 95, 60], 2020: [88.0, 92]}
    sw = {2018: [10.0, 20], 2019: [99.0], 2020: [5.0, 15, 25]}
    rows = [(y, "volunteer", v) for y, vs in vol.items() for v in vs] + [(y, "social_worker", v) for y, vs in sw.items()
                                                                         for v in vs]
    return pd.DataFrame(rows, columns=["year", "role", "composite"]).assign(
        recipient_pid=lambda d: [f"r{i}" for i in range(len(d))])


def _fit(p=(0.001, 0.02, 0.04), diff=(3.0, -4.0, 5.0), se=(1.0, 1.5, 2.5)) -> MixedYearFit:
    """A year model's output written by hand: means of the three years, contrasts (2018-19, 2018-20, 2019-20)
    and the covariance of the yearly means. The contrasts' own intervals are NaN: compare_years must make its own."""
    means = pd.DataFrame({"year": YEARS, "estimate": [80.0, 83.0, 76.0], "se": 1.0, "ci_low": np.nan,
                          "ci_high": np.nan, "n": [30, 40, 50], "n_recipients": [15, 21, 26]})
    pairs = [(2018, 2019), (2018, 2020), (2019, 2020)]
    contrasts = pd.DataFrame({"year_a": [a for a, _ in pairs], "year_b": [b for _, b in pairs], "difference": diff,
                              "se": se, "ci_low": np.nan, "ci_high": np.nan, "p": p})
    cov = pd.DataFrame([[1.0, 0.1, 0.2], [0.1, 1.2, 0.3], [0.2, 0.3, 1.4]], index=YEARS, columns=YEARS)
    return MixedYearFit("composite", ("role", "mode"), means, contrasts, pd.DataFrame(), {}, pd.Series(dtype=float),
                        True, 120, cov=cov, instrument="reference")


def _cliff(x, y) -> float:
    return float(np.sign(np.subtract.outer(np.asarray(x), np.asarray(y))).mean())


def test_reference_comparisons_by_hand_from_the_fitted_means():
    s = _scored()
    r = compare_years(s, fit=_fit())
    assert len(r) == 3 and (r["instrument"] == "reference").all() and (r["measure"] == "composite").all()
    assert r[["year_a", "year_b"]].values.tolist() == [[2018, 2019], [2018, 2020], [2019, 2020]]
    assert r["n_a"].tolist() == [30, 30, 40] and r["n_b"].tolist() == [40, 50, 50]
    assert r["recipients_a"].tolist() == [15, 15, 21] and r["recipients_b"].tolist() == [21, 26, 26]
    assert r["estimate_a"].tolist() == [80.0, 80.0, 83.0] and r["estimate_b"].tolist() == [83.0, 76.0, 76.0]
    assert r["difference"].tolist() == [3.0, -4.0, 5.0] and r["se"].tolist() == [1.0, 1.5, 2.5]
    assert np.isinf(r["df"]).all() and r["p"].tolist() == [0.001, 0.02, 0.04]
    assert r["covariance"].tolist() == [0.1, 0.2, 0.3]
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(r["ci_low"], [3 - z, -4 - 1.5 * z, 5 - 2.5 * z], rtol=1e-12)
    np.testing.assert_allclose(r["ci_high"], [3 + z, -4 + 1.5 * z, 5 + 2.5 * z], rtol=1e-12)
    # Cliff's delta of the volunteers' interviews only, year_b against year_a
    vol = s[s["role"] == "volunteer"].groupby("year")["composite"].apply(list)
    np.testing.assert_allclose(r["cliffs_delta"], [_cliff(vol[2019], vol[2018]), _cliff(vol[2020], vol[2018]),
                                                   _cliff(vol[2020], vol[2019])], rtol=1e-12)
    assert (r["cliffs_ci_low"] <= r["cliffs_delta"]).all() and (r["cliffs_delta"] <= r["cliffs_ci_high"]).all()
    assert not r["ceiling_blocked"].any()
    # Holm (statsmodels); every step rejects: levels 0.05/3, 0.05/2, 0.05
    np.testing.assert_allclose(r["p_adjusted"], multipletests(r["p"], method="holm")[1], rtol=1e-12)
    np.testing.assert_allclose(r["alpha_step"], [0.05 / 3, 0.05 / 2, 0.05], rtol=1e-12)
    np.testing.assert_allclose(r["alpha_adjusted"], 0.05 / 3, rtol=1e-12)
    q = stats.norm.ppf(1 - np.array([0.05 / 3, 0.05 / 2, 0.05]) / 2)
    np.testing.assert_allclose(r["ci_low_adjusted"], r["difference"] - q * r["se"], rtol=1e-12)
    np.testing.assert_allclose(r["ci_high_adjusted"], r["difference"] + q * r["se"], rtol=1e-12)
    assert r["verdict"].tolist() == ["increase", "decrease", "increase"]
    np.testing.assert_allclose(r["mdd"], [_normal_mdd(v, 0.05 / 3) for v in r["se"]], rtol=1e-8)
    np.testing.assert_allclose(r["mdd_unadjusted"], [_normal_mdd(v, 0.05) for v in r["se"]], rtol=1e-8)
    assert (r["power"] == 0.8).all()
    assert list(r.columns) == ["year_a", "year_b", "difference", "ci_low", "ci_high", "p_adjusted", "mdd", "measure",
                               "n_a", "n_b", "recipients_a", "recipients_b", "estimate_a", "estimate_b", "se", "df",
                               "p", "covariance", "cliffs_delta", "cliffs_ci_low", "cliffs_ci_high", "ceiling_blocked",
                               "alpha_adjusted", "alpha_step", "ci_low_adjusted", "ci_high_adjusted", "mdd_unadjusted",
                               "verdict", "power", "instrument"]


def test_a_year_without_volunteer_interviews_has_no_cliffs_delta():
    """The model still compares 2020 (its mean is standardised to a volunteer), but Cliff's delta, on the volunteers'
    interviews, has no 2020 sample: NaN for its pairs, the 2018-2019 value as before."""
    s = _scored()
    s = s[~((s["year"] == 2020) & (s["role"] == "volunteer"))]
    r = compare_years(s, fit=_fit())
    assert np.isnan(r.loc[1, "cliffs_delta"]) and np.isnan(r.loc[2, "cliffs_delta"])
    assert r.loc[0, "cliffs_delta"] == pytest.approx(_cliff([75.0, 85, 95, 60], [70.0, 80, 90]))
    assert r["verdict"].tolist() == ["increase", "decrease", "increase"]


def test_reference_comparisons_at_another_alpha_and_power():
    """alpha = 0.01: the Wald interval at z_0.995; the third pair (p 0.04) is no longer a change, and Holm stops
    at the second step (0.02 >= 0.01/2): the second and third get that step's level. power = 0.9 moves the MDD."""
    r = compare_years(_scored(), fit=_fit(), alpha=0.01, power=0.9)
    z = stats.norm.ppf(0.995)
    np.testing.assert_allclose(r["ci_low"], r["difference"] - z * r["se"], rtol=1e-12)
    np.testing.assert_allclose(r["alpha_step"], [0.01 / 3, 0.01 / 2, 0.01 / 2], rtol=1e-12)
    assert r["verdict"].tolist() == ["increase", "not significant", "not significant"]
    np.testing.assert_allclose(r["mdd"], [_normal_mdd(v, 0.01 / 3, 0.9) for v in r["se"]], rtol=1e-8)
    np.testing.assert_allclose(r["mdd_unadjusted"], [_normal_mdd(v, 0.01, 0.9) for v in r["se"]], rtol=1e-8)
    assert (r["power"] == 0.9).all()


def test_another_method_adjusts_by_statsmodels_at_the_bonferroni_level():
    r = compare_years(_scored(), fit=_fit(), method="bonferroni")
    np.testing.assert_allclose(r["p_adjusted"], multipletests(r["p"], method="bonferroni")[1], rtol=1e-12)
    np.testing.assert_allclose(r["alpha_step"], 0.05 / 3, rtol=1e-12)
    assert r["verdict"].tolist() == ["increase", "not significant", "not significant"]  # 0.06 and 0.12


def test_ceiling_blocks_a_pair_at_the_given_limit_and_leaves_it_out_of_holm():
    """2019 has half of its interviews at 100: testable at the default limit 0.8, not at limit 0.5. The blocked
    pairs get no p and the verdict "not testable"; Holm and alpha / m run over the one pair left."""
    s = _scored()
    s.loc[s["year"] == 2019, "composite"] = [100.0, 100, 95, 60, 99]  # 2 of 5 at 100 ...
    s = pd.concat([s, s[s["year"] == 2019].head(1)], ignore_index=True)  # ... and a sixth: 3 of 6
    assert not compare_years(s, fit=_fit())["ceiling_blocked"].any()
    r = compare_years(s, fit=_fit(), limit=0.5)
    assert r["ceiling_blocked"].tolist() == [True, False, True]
    assert r["verdict"].tolist() == ["not testable (ceiling)", "decrease", "not testable (ceiling)"]
    assert r["p"].isna().tolist() == [True, False, True] and r["p_adjusted"].isna().tolist() == [True, False, True]
    assert r.loc[1, "p_adjusted"] == pytest.approx(0.02) and (r["alpha_adjusted"] == 0.05).all()


def _design_years(n=(12, 15), shift=4.0, seed=7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"year": np.repeat([2018, 2019], n),
                      "composite": np.r_[rng.normal(80, 6, n[0]), rng.normal(80 + shift, 9, n[1])]})
    return f.assign(recipient_pid=[f"r{i}" for i in range(len(f))])


def test_design_based_comparison_is_welch_with_its_interval():
    f = _design_years()
    f["ethics"] = 100 - f["composite"]  # another measure in the table changes nothing
    r = compare_years(f).iloc[0]
    a, b = (f.loc[f["year"] == y, "composite"].to_numpy() for y in (2018, 2019))
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    se = np.sqrt(va + vb)
    q = stats.t.ppf(0.975, df)
    assert r["instrument"] == "unrecorded" and r["covariance"] == 0 and r["measure"] == "composite"
    assert (r["n_a"], r["n_b"], r["recipients_a"], r["recipients_b"]) == (12, 15, 12, 15)
    assert r["estimate_a"] == pytest.approx(a.mean()) and r["estimate_b"] == pytest.approx(b.mean())
    assert r["se"] == pytest.approx(se, rel=1e-10) and r["df"] == pytest.approx(df, rel=1e-10)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((b.mean() - a.mean() - q * se, b.mean() - a.mean() + q * se),
                                                        rel=1e-10)
    # one pair: Holm's only step is alpha itself, on Welch's df
    assert r["alpha_step"] == 0.05 and r["ci_low_adjusted"] == pytest.approx(r["ci_low"], rel=1e-10)
    assert r["mdd"] == pytest.approx(minimum_detectable_difference(se, df, 0.05), rel=1e-8)
    assert r["cliffs_delta"] == pytest.approx(_cliff(b, a), rel=1e-12)


def test_design_based_comparison_is_stratified_with_a_roster():
    """With a roster, each year's mean is Σ N_h ȳ_h / N over its strata; ``weighted=False`` gives the plain mean."""
    f = _design_years(n=(12, 12))
    f["stratum"] = np.tile(["A", "A", "B"], 8)
    roster = pd.DataFrame({"year": [2018, 2018, 2019, 2019], "stratum": ["A", "B", "A", "B"],
                           "population": [100, 10, 50, 50]})
    r = compare_years(f, roster=roster, instrument=None).iloc[0]
    ybar = f.groupby(["year", "stratum"])["composite"].mean()
    assert r["estimate_a"] == pytest.approx((100 * ybar[2018, "A"] + 10 * ybar[2018, "B"]) / 110, rel=1e-10)
    assert r["estimate_b"] == pytest.approx((50 * ybar[2019, "A"] + 50 * ybar[2019, "B"]) / 100, rel=1e-10)
    plain = compare_years(f, roster=roster, weighted=False, instrument=None).iloc[0]
    assert plain["estimate_a"] == pytest.approx(f.loc[f["year"] == 2018, "composite"].mean(), rel=1e-10)


def test_recipients_seen_in_both_years_enter_the_covariance():
    """The same eight recipients in both years: se^2 = se_a^2 + se_b^2 - 2 cov with a positive covariance."""
    rng = np.random.default_rng(3)
    own = rng.normal(0, 8, 8)
    f = pd.DataFrame({"year": np.repeat([2018, 2019], 8), "recipient_pid": [f"r{i}" for i in range(8)] * 2,
                      "composite": np.r_[80 + own + rng.normal(0, 2, 8), 83 + own + rng.normal(0, 2, 8)]})
    r = compare_years(f, instrument=None).iloc[0]
    ya, yb = (f.loc[f["year"] == y, "composite"].to_numpy() for y in (2018, 2019))
    sa, sb = ya.std(ddof=1) / np.sqrt(8), yb.std(ddof=1) / np.sqrt(8)
    assert r["covariance"] == pytest.approx(np.cov(ya, yb)[0, 1] / 8, rel=1e-10)  # Kish: n_c s_ab / (n_a n_b)
    assert r["covariance"] > 0.5 * sa * sb
    assert r["se"] ** 2 == pytest.approx(sa**2 + sb**2 - 2 * r["covariance"], rel=1e-8)
    assert r["recipients_a"] == 8 and r["recipients_b"] == 8


def test_years_are_chosen_and_one_year_gives_an_empty_table():
    f = pd.concat([_design_years(), _design_years(seed=8).assign(year=lambda d: d["year"] + 2)], ignore_index=True)
    f["recipient_pid"] = [f"r{i}" for i in range(len(f))]
    assert len(compare_years(f)) == 6
    two = compare_years(f, years=[2018, 2020])
    assert two[["year_a", "year_b"]].values.tolist() == [[2018, 2020]]
    assert compare_years(f, years=[2019]).empty


def test_mdds_of_normal_and_t_contrasts():
    """With df = inf the MDD is se times the MDD at se = 1 (the normal power equation); finite df, se = 0 or a
    missing se go one by one to minimum_detectable_difference."""
    out = _mdds([1.0, 2.5, 2.0, 0.0, np.nan], [np.inf, np.inf, 12.0, np.inf, np.inf], 0.05, 0.8)
    assert out[0] == pytest.approx(_normal_mdd(1.0, 0.05), rel=1e-8)
    assert out[1] == pytest.approx(_normal_mdd(2.5, 0.05), rel=1e-8)
    assert out[2] == pytest.approx(minimum_detectable_difference(2.0, 12.0, 0.05, 0.8), rel=1e-12)
    assert out[2] > _normal_mdd(2.0, 0.05)  # the t test needs more
    assert out[3] == minimum_detectable_difference(0.0, np.inf, 0.05, 0.8) or np.isnan(out[3])
    assert np.isnan(out[4])
    assert _mdds([2.0], [np.inf], 0.01, 0.9)[0] == pytest.approx(_normal_mdd(2.0, 0.01, 0.9), rel=1e-8)
    assert _mdds([2.0], [12.0], 0.01, 0.9)[0] == pytest.approx(minimum_detectable_difference(2.0, 12.0, 0.01, 0.9),
                                                               rel=1e-12)


def test_a_small_significant_increase_is_an_increase_and_p_equal_to_alpha_is_not_significant():
    """The sign alone decides increase / decrease (a change of half a point is an increase), and a change is
    significant only when the adjusted p is strictly below alpha (one pair: Holm's p is the p itself)."""
    r = compare_years(_scored(), fit=_fit(p=(1e-6, 1e-6, 0.5), diff=(0.5, -0.5, 0.2), se=(0.1, 0.1, 0.3)))
    assert r["verdict"].tolist() == ["increase", "decrease", "not significant"]
    two = _fit(p=(0.05, 0.5, 0.5))
    two.means = two.means[two.means["year"] < 2020]
    two.contrasts = two.contrasts.head(1)
    r = compare_years(_scored().query("year < 2020"), fit=two)
    assert r["p_adjusted"].tolist() == [0.05] and r["verdict"].tolist() == ["not significant"]


def _panel(seed: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three years of 36 interviews: 6 workers, 6 interviewers (volunteers in person, social workers by phone
    from 2019), two strata with their roster."""
    rng = np.random.default_rng(seed)
    n = 36
    rows = []
    for y, shift in zip(YEARS, (0.0, 3.0, 6.0), strict=True):
        role = np.where(np.arange(n) % 3 == 0, "social_worker", "volunteer") if y > 2018 else np.full(n, "volunteer")
        rows.append(pd.DataFrame({
            "year": y, "worker_id": [f"W{i % 6}" for i in range(n)], "interviewer_id": [f"I{i % 6}" for i in range(n)],
            "role": role, "mode": np.where(role == "volunteer", "in_person", "phone"),
            "recipient_pid": [f"{y}-{i // 2}" for i in range(n)], "stratum": np.where(np.arange(n) < 24, "A", "B"),
            "composite": 75 + shift - 6 * (role != "volunteer") + rng.normal(0, 5, n)}))
    roster = pd.DataFrame({"year": np.repeat(YEARS, 2), "stratum": ["A", "B"] * 3, "population": [300, 60] * 3})
    return pd.concat(rows, ignore_index=True), roster


@pytest.fixture(scope="module")
def panel():
    return _panel()


@pytest.mark.parametrize("instrument", ["reference", "pooled"])
def test_without_a_fit_the_year_model_is_fitted_with_the_given_arguments(panel, instrument):
    """compare_years fits year_mixed_model itself with the measure, the years, the instrument, the roster and the
    weighting it was given: the same rows as with that model passed in (whose contrasts are checked by hand above)."""
    from helpers.studies.mystery_guest.trends import year_mixed_model

    s, roster = panel
    for kwargs in ({"years": [2018, 2020]}, {"roster": roster}, {"roster": roster, "weighted": False}):
        fit = year_mixed_model(s, "composite", instrument=instrument, **kwargs)
        own = compare_years(s, instrument=instrument, **kwargs)
        given = compare_years(s, fit=fit, **kwargs)
        assert (own["instrument"] == instrument).all()
        pd.testing.assert_frame_equal(own, given)
        np.testing.assert_allclose(own["estimate_a"], fit.means.set_index("year").loc[own["year_a"], "estimate"])
    assert len(compare_years(s, years=[2018, 2020], instrument=instrument)) == 1


def test_a_fit_of_another_measure_is_refused(panel):
    s, _ = panel
    with pytest.raises(ValueError, match="fit is a model of 'composite', not of 'ethics'"):
        compare_years(s.assign(ethics=s["composite"]), "ethics", fit=_fit())


def test_without_volunteers_cliffs_delta_takes_every_interview():
    """The reference role is absent (or the role is not recorded): Cliff's delta on all interviews."""
    s = _scored()
    for frame in (s[s["role"] == "social_worker"], s.drop(columns="role")):
        r = compare_years(frame, fit=_fit())
        by = frame.groupby("year")["composite"].apply(list)
        np.testing.assert_allclose(r["cliffs_delta"], [_cliff(by[2019], by[2018]), _cliff(by[2020], by[2018]),
                                                       _cliff(by[2020], by[2019])], rtol=1e-12)


def _stratified_cov(f: pd.DataFrame, roster: pd.DataFrame) -> float:
    """Kish's covariance of two stratified yearly means from the recipients in both (written out here):
    weights N_h / n_h, z_hi = w (y - ybar) / sum w centred within the stratum, k_h = (1 - n_h / N_h) n_h / (n_h - 1)
    per year, cov = sum over common recipients of sqrt(k_ah k_bh) z_ai z_bi."""
    z, k = {}, {}
    for y in (2018, 2019):
        g = f[f["year"] == y]
        pop = roster[roster["year"] == y].set_index("stratum")["population"]
        n_h = g.groupby("stratum").size()
        w = g["stratum"].map(pop / n_h).to_numpy(float)
        v = g["composite"].to_numpy()
        zz = pd.Series(w * (v - (w * v).sum() / w.sum()) / w.sum(), index=g["recipient_pid"].to_numpy())
        zz -= g.assign(z=zz.to_numpy()).groupby("stratum")["z"].transform("mean").to_numpy()
        z[y] = zz
        k[y] = g["stratum"].map((1 - n_h / pop) * n_h / (n_h - 1)).set_axis(g["recipient_pid"].to_numpy())
    return float((np.sqrt(k[2018] * k[2019]) * z[2018] * z[2019]).sum())


def test_stratified_covariance_of_recurring_recipients_by_hand():
    rng = np.random.default_rng(5)
    own = rng.normal(0, 8, 12)
    pid = [f"r{i}" for i in range(12)]
    f = pd.DataFrame({"year": np.repeat([2018, 2019], 12), "recipient_pid": pid * 2, "stratum": (["A"] * 8 + ["B"] * 4) * 2,
                      "composite": np.r_[80 + own + rng.normal(0, 2, 12), 83 + own + rng.normal(0, 2, 12)]})
    roster = pd.DataFrame({"year": [2018, 2018, 2019, 2019], "stratum": ["A", "B"] * 2, "population": [40, 20, 30, 30]})
    r = compare_years(f, roster=roster, instrument=None).iloc[0]
    assert r["covariance"] == pytest.approx(_stratified_cov(f, roster), rel=1e-10)
    plain = compare_years(f, roster=roster, weighted=False, instrument=None).iloc[0]
    ya, yb = (f.loc[f["year"] == y, "composite"].to_numpy() for y in (2018, 2019))
    assert plain["covariance"] == pytest.approx(np.cov(ya, yb)[0, 1] / 12, rel=1e-10)


def test_all_interviews_as_conducted_are_plain_means_whatever_the_roles(panel):
    """instrument=None: the design-based estimate of every interview, not the model standardised to volunteers."""
    s, _ = panel
    r = compare_years(s, instrument=None)
    means = s.groupby("year")["composite"].mean()
    np.testing.assert_allclose(r["estimate_a"], means[r["year_a"]].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(r["estimate_b"], means[r["year_b"]].to_numpy(), rtol=1e-12)
    assert r["instrument"].isna().all()


def test_without_a_fit_the_model_is_of_the_measure_compared(panel):
    from helpers.studies.mystery_guest.trends import year_mixed_model

    s, _ = panel
    s = s.assign(ethics=100 - s["composite"])
    r = compare_years(s, "ethics")
    means = year_mixed_model(s, "ethics").means.set_index("year")["estimate"]
    np.testing.assert_allclose(r["estimate_a"], means[r["year_a"]].to_numpy(), rtol=1e-10)
    assert (r["measure"] == "ethics").all()
