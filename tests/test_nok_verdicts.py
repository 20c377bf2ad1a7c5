"""НОК verdicts keep their promise: simultaneous comparison with the region and rank intervals, the
dissatisfaction funnel's respondent-level dispersion, the total's interval (seeded reference values and
coverage). Long rate checks: ``benchmarks/bench_verdicts_nok.py`` and the ``slow`` tests here."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from helpers.studies.nok.benchmark import dissatisfaction_funnel, respondent_dispersion
from helpers.studies.nok.calibration import (
    coverage_of_totals,
    null_study_verdicts,
    proportion_funnel_outside,
    true_total,
)
from helpers.studies.nok.demo import make_identical_organisations, make_nok_demo
from helpers.studies.nok.scoring import score_organisations
from helpers.studies.nok.uncertainty import (
    JOINT_TOTAL,
    bootstrap_draws,
    rank_intervals,
    region_comparison,
    score_intervals,
    simultaneous_critical_value,
)

Q = [f"q{i:02d}" for i in range(1, 16)]


@pytest.fixture(scope="module")
def demo():
    d = make_nok_demo()
    resp = d.respondents.assign(**{q: d.respondents[q].map({"да": 1, "нет": 0}).astype("Int64") for q in Q})
    orgs = d.organisations.assign(kind="residential_home")
    return resp, orgs, score_organisations(resp, orgs), bootstrap_draws(resp, orgs, n_boot=1000, seed=1)


# ---- the total's interval: seeded reference values and coverage ------------------------------------------
def test_total_interval_seeded_reference_values(demo):
    resp, orgs, _, _ = demo
    iv = score_intervals(resp, orgs, n_boot=1000, seed=1).set_index(["organisation_id", "measure"])
    reference = {"ORG01": (97.226115, 96.401855, 97.941512), "ORG11": (92.418587, 91.658632, 93.196688),
                 "ORG17": (100.0, 98.631671, 100.0)}  # ORG17 (every answer yes): the Jeffreys total, widened to 100
    for org, values in reference.items():
        got = iv.loc[(org, "total"), ["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, values, atol=2e-6)


def test_total_interval_coverage_fast_seeded():
    # 4 null studies x 17 organisations; the seeded count is pinned (62 of 68 = 0.91)
    cov = coverage_of_totals(range(4), n_boot=200)
    assert len(cov) == 68 and int(cov["covered"].sum()) == 62
    assert (cov["ci_low"] < true_total()).any() and (cov["ci_high"] > true_total()).any()


@pytest.mark.slow
def test_total_interval_coverage_tells_095_from_085():
    # 40 studies x 17 = 680 intervals: the binomial sd at 0.95 is 0.008, so 0.85 would be 12 sd away
    cov = coverage_of_totals(range(100, 140), n_boot=400)
    assert 0.925 <= cov["covered"].mean() <= 0.975


# ---- the comparison with the region ----------------------------------------------------------------------
def test_simultaneous_critical_value_against_sidak_for_independent_normals():
    rng = np.random.default_rng(4)
    c, sd = simultaneous_critical_value(rng.normal(size=(40000, 17)) * 3.0)
    sidak = float(pd.Series([0.95 ** (1 / 17)]).map(lambda q: __import__("scipy").stats.norm.ppf(0.5 + q / 2)).iloc[0])
    assert c == pytest.approx(sidak, abs=0.05)  # 2.98
    np.testing.assert_allclose(sd, 3.0, rtol=0.02)


def test_org17_difference_interval_contains_its_estimate_and_everyone_gets_one_estimator(demo):
    from statsmodels.stats.multitest import multipletests

    resp, orgs, scores, draws = demo
    assert JOINT_TOTAL in draws
    joint = draws[JOINT_TOTAL]
    assert np.all(np.ptp(joint, axis=0) > 0)  # the all-yes organisation varies like every other
    r = region_comparison(draws, scores["organisation_id"], scores["total"]).set_index("organisation_id")
    assert ((r["diff_low"] <= r["diff_from_region"]) & (r["diff_from_region"] <= r["diff_high"])).all()
    assert r.loc["ORG17", "diff_from_region"] == pytest.approx(2.722657, abs=1e-6)
    assert r.loc["ORG17", "vs_region"] == "above" and r.loc["ORG11", "vs_region"] == "below"
    # p-values by hand from the pooled replicates, Holm by statsmodels (second implementation)
    diff = joint - joint.mean(axis=1, keepdims=True)
    dev = np.abs(diff - diff.mean(axis=0))
    est = r["diff_from_region"].to_numpy()
    p = np.array([(1 + np.sum(dev[:, j] >= abs(est[j]))) / (len(dev) + 1) for j in range(len(est))])
    np.testing.assert_allclose(r["p_value"], p, rtol=1e-12)
    np.testing.assert_allclose(r["p_holm"], multipletests(p, method="holm")[1], rtol=1e-12)
    assert (r["distinguishable_from_region"] == (r["p_holm"] < 0.05)).all()
    # intervals at the Bonferroni level 1 - 0.05/17 of the same deviations
    np.testing.assert_allclose(r["diff_high"] - est, np.quantile(dev, 1 - 0.05 / 17, axis=0), rtol=1e-12)
    assert (r["distinguishable_from_region"] | ((r["diff_low"] <= 0) & (r["diff_high"] >= 0))).all()


def test_null_studies_pin_the_familywise_rate():
    # four seeded null studies (17 identical organisations): Holm calls none; the old marginal rule (the 95%
    # interval of each difference) calls several on the same draws
    calls, marginal = [], 0
    for seed in range(100, 104):
        calls.append(null_study_verdicts(seed, n_boot=400))  # 400 > 17 / 0.05: Holm can reject
        resp, orgs = make_identical_organisations(seed)
        scores = score_organisations(resp, orgs)
        d = bootstrap_draws(resp, orgs, n_boot=400, seed=seed, method="pooled")["total"]
        diff = d - d.mean(axis=1, keepdims=True)
        half = np.quantile(np.abs(diff - diff.mean(axis=0)), 0.95, axis=0)
        est = scores["total"] - scores["total"].mean()
        marginal += int((np.abs(est) > half).sum())
    assert [c["distinguishable"] for c in calls] == [0, 0, 0, 0]
    assert [c["named_998_od"] for c in calls] == [0, 0, 0, 0]
    assert marginal >= 2
    assert min(c["min_p_holm"] for c in calls) < 0.5  # not trivially 1: the Holm p-values move
    assert all(5.5 < c["respondent_phi"] < 7.0 for c in calls)


def test_too_few_replicates_for_holm_are_announced():
    draws = {"total": np.random.default_rng(0).normal(size=(300, 17))}
    with pytest.warns(UserWarning, match="use at least 340"):
        region_comparison(draws, [f"O{i}" for i in range(17)], np.zeros(17))


# ---- simultaneous rank intervals -------------------------------------------------------------------------
def _brute_force_ranks(d: np.ndarray, est: np.ndarray, level: float = 0.95):
    """Second implementation of the Mogstad et al. simultaneous rank set, by loops over ordered pairs."""
    m = len(est)
    pairs = [(j, k) for j, k in itertools.permutations(range(m), 2)]
    sd = {p: np.std(d[:, p[0]] - d[:, p[1]], ddof=1) for p in pairs}
    t = np.max([np.abs((d[:, j] - d[:, k]) - np.mean(d[:, j] - d[:, k])) / sd[(j, k)] for j, k in pairs], axis=0)
    c = np.quantile(t, level)
    low = [1 + sum(est[k] - est[j] - c * sd[(k, j)] > 0 for k in range(m) if k != j) for j in range(m)]
    high = [m - sum(est[j] - est[k] - c * sd[(j, k)] > 0 for k in range(m) if k != j) for j in range(m)]
    return low, high


def test_rank_intervals_match_a_brute_force_second_implementation(demo):
    _, _, scores, draws = demo
    r = rank_intervals(draws, scores["organisation_id"], scores["total"])
    low, high = _brute_force_ranks(draws[JOINT_TOTAL], scores["total"].to_numpy())
    assert r["rank_low"].tolist() == low and r["rank_high"].tolist() == high
    assert (r["rank_low"] <= r["rank"]).all() and (r["rank"] <= r["rank_high"]).all()
    # simultaneous intervals are wider than the marginal percentiles of the replicates' ranks
    assert (r["rank_high"] - r["rank_low"]).mean() > 6


def test_rank_intervals_jointly_cover_planted_distinct_truths():
    # 6 organisations 2 sd apart and one far ahead: the true ranks 1..6 lie in all intervals together
    rng = np.random.default_rng(12)
    truth = np.array([10.0, 8.0, 6.0, 4.0, 2.0, 0.0])
    hits = 0
    for _ in range(40):
        est = truth + rng.normal(size=6)
        draws = {"total": est + rng.normal(size=(1000, 6))}
        r = rank_intervals(draws, list("ABCDEF"), est)
        hits += bool(((r["rank_low"] <= np.arange(1, 7)) & (np.arange(1, 7) <= r["rank_high"])).all())
    assert hits >= 36  # joint coverage; marginal percentile intervals of ranks cover jointly far less often


# ---- the dissatisfaction funnel: one respondent, many answers --------------------------------------------
def test_respondent_dispersion_by_hand():
    # 10 respondents of one organisation asked only q05 and q06 (everything else yes):
    # two say no to both, the others yes: c = (2, 2, 0 x 8); rates 0.2 each -> e_i = 0.4
    resp = pd.DataFrame({"organisation_id": "A", **{q: 1 for q in Q}}, index=range(10)).astype({q: "Int64" for q in Q})
    resp.loc[:1, ["q05", "q06"]] = 0
    per = respondent_dispersion(resp)
    assert per["observed"].tolist() == [2, 2] + [0] * 8
    np.testing.assert_allclose(per["expected"], 0.4)
    pearson = 2 * (2 - 0.4) ** 2 / 0.4 + 8 * 0.4**2 / 0.4  # 12.8 + 3.2 = 16
    assert per.attrs["phi"] == pytest.approx(pearson / (10 - 2))  # two rates estimated: phi = 2


def test_dissatisfaction_funnel_simulates_the_respondents_of_the_region():
    from scipy import stats

    from helpers.stats.funnel import funnel_limits

    resp, _ = make_identical_organisations(5)
    f = dissatisfaction_funnel(resp, n_sim=20000, seed=3).set_index("organisation_id")
    assert f["respondent_phi"].iloc[0] > 5  # unhappy-about-everything respondents: far from Poisson
    np.testing.assert_allclose(f["value"], f["observed"] / f["expected"], rtol=1e-12)
    # second implementation of ORG16's limits (41 respondents): its own simulation from the same pool
    per = respondent_dispersion(resp)
    rng = np.random.default_rng(8)
    idx = rng.integers(0, len(per), size=(20000, 41))
    sims = per["observed"].to_numpy()[idx].sum(axis=1) / per["expected"].to_numpy()[idx].sum(axis=1)
    for col, q in (("ll95", 0.025), ("ul95", 0.975), ("ll998", 0.001), ("ul998", 0.999)):
        assert f.loc["ORG16", col] == pytest.approx(np.quantile(sims, q), abs=0.04)
    # 41 respondents none of whom is unhappy about everything (probability 0.9**41 = 1.3%) is not unusual at 99.8%
    happy = per[per["observed"] < 5].sample(41, replace=True, random_state=1)
    ratio = happy["observed"].sum() / happy["expected"].sum()
    assert ratio > f.loc["ORG16", "ll998"]
    # a scaled Poisson (phi times Poisson) has a lighter lower tail than the respondents' mixture: it would name it
    phi = f["respondent_phi"].iloc[0]
    poisson = funnel_limits([f.loc["ORG16", "expected"] / phi], kind="ratio")["ll998"].iloc[0]
    assert poisson > f.loc["ORG16", "ll998"] + 0.05 and ratio < poisson
    assert stats.norm.cdf(f["z"]).min() > 0.0005  # a null study: nobody near the 99.8% edge here


# ---- proportion funnels ----------------------------------------------------------------------------------
def test_proportion_funnel_rate_pinned():
    runs = [proportion_funnel_outside(s) for s in range(40)]
    assert sum(r["units"] for r in runs) == 680
    assert sum(r["outside_known"] for r in runs) == 18  # 0.026
    assert sum(r["outside_pooled"] for r in runs) == 16  # 0.024 (hypergeometric limits, gated tau2; before: 10)
