"""Respondent bootstrap of НОК scores: Jeffreys posterior for one share, coverage of the planted truth,
rank intervals and the comparison with the region."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.studies.nok.codebook import load_nok_codebook
from helpers.studies.nok.demo import make_nok_demo
from helpers.studies.nok.scoring import score_organisations
from helpers.studies.nok.uncertainty import bootstrap_draws, ranking_table, score_intervals

Q = [f"q{i:02d}" for i in range(1, 16)]


def _org(org_id="A"):
    return pd.DataFrame({"organisation_id": [org_id], "info_stand_required": [10], "info_stand_present": [10],
                         "info_site_required": [10], "info_site_present": [10], "remote_channels": [4],
                         "comfort_conditions": [5], "premises_conditions": [5], "services_conditions": [5]})


def _respondents(n, yes_q05, org_id="A"):
    d = pd.DataFrame({"organisation_id": org_id, **{q: 1 for q in Q}}, index=range(n))
    d["q05"] = [1] * yes_q05 + [0] * (n - yes_q05)
    return d.astype({q: "Int64" for q in Q})


@pytest.fixture(scope="module")
def demo():
    d = make_nok_demo()
    resp = d.respondents.assign(**{q: d.respondents[q].map({"да": 1, "нет": 0}).astype("Int64") for q in Q})
    orgs = d.organisations.assign(kind="residential_home")
    draws = bootstrap_draws(resp, orgs, n_boot=1000, seed=1)
    return d, resp, orgs, draws


def test_one_share_follows_the_jeffreys_posterior():
    # second implementation: scipy's Beta(S + 1/2, U - S + 1/2) quantiles
    draws = bootstrap_draws(_respondents(30, 27), _org(), n_boot=40000, seed=3, method="jeffreys")
    q = np.quantile(draws["i2_2"][:, 0], [0.025, 0.5, 0.975])
    np.testing.assert_allclose(q, 100 * stats.beta.ppf([0.025, 0.5, 0.975], 27.5, 3.5), atol=0.35)


def test_all_satisfied_still_gets_an_interval_and_classic_collapses():
    resp, org = _respondents(60, 60), _org()
    jeff = score_intervals(resp, org, n_boot=4000, seed=2).set_index("measure").loc["i2_2"]
    assert jeff["estimate"] == 100.0 and jeff["ci_high"] == pytest.approx(100.0)
    assert jeff["ci_low"] == pytest.approx(100 * stats.beta.ppf(0.025, 60.5, 0.5), abs=0.4)
    classic = score_intervals(resp, org, n_boot=500, seed=2, method="classic").set_index("measure").loc["i2_2"]
    assert classic["ci_low"] == classic["ci_high"] == 100.0


def test_repeated_sampling_coverage_of_a_ceiling_share():
    # 80 samples of 60 respondents from a true share of 97%: the 95% intervals must cover it
    rng = np.random.default_rng(8)
    p, n, hits, reps = 0.97, 60, 0, 80
    for r in range(reps):
        resp = _respondents(n, int(rng.binomial(n, p)))
        draws = bootstrap_draws(resp, _org(), n_boot=300, seed=r, method="jeffreys")
        low, high = np.quantile(draws["i2_2"][:, 0], [0.025, 0.975])
        hits += low <= 100 * p <= high
    assert hits / reps >= 0.88


def test_estimates_are_the_official_scores_and_checklist_is_fixed(demo):
    _, resp, orgs, draws = demo
    iv = score_intervals(resp, orgs, draws=draws)
    scores = score_organisations(resp, orgs).melt(id_vars="organisation_id", var_name="measure", value_name="official")
    m = iv.merge(scores, on=["organisation_id", "measure"])
    np.testing.assert_allclose(m["estimate"].astype(float), m["official"].astype(float))
    checklist = iv[iv["source"] == "checklist"]
    assert (checklist["ci_low"] == checklist["estimate"]).all() and checklist["n"].isna().all()
    cb = load_nok_codebook()
    assert set(iv["measure"]) == {*cb.indicator_codes, "K1", "K2", "K3", "K4", "K5", "total"}


def test_intervals_cover_the_planted_truth(demo):
    d, resp, orgs, draws = demo
    iv = score_intervals(resp, orgs, draws=draws)
    truth = d.truth.melt(id_vars="organisation_id", var_name="measure", value_name="truth")
    m = iv.merge(truth, on=["organisation_id", "measure"])
    m = m[(m["source"] != "checklist")].dropna(subset=["truth"])
    covered = (m["truth"] >= m["ci_low"] - 1e-9) & (m["truth"] <= m["ci_high"] + 1e-9)
    assert covered[m["measure"] == "total"].mean() >= 14 / 17
    assert covered[m["source"] == "survey"].mean() >= 0.85
    assert covered[m["source"] == "combined"].mean() >= 0.85
    assert ((m["ci_low"] <= m["estimate"] + 1e-9) & (m["estimate"] <= m["ci_high"] + 1e-9)).mean() > 0.97


def test_undefined_share_stays_undefined(demo):
    _, resp, orgs, draws = demo
    iv = score_intervals(resp, orgs, draws=draws).set_index(["organisation_id", "measure"])
    best = iv.loc[("ORG17", "i3_3")]
    assert np.isnan(best["estimate"]) and np.isnan(best["ci_low"]) and best["undefined_share"] == 1.0
    assert iv.loc[("ORG17", "K3"), "ci_low"] == 100.0


def test_ranking_with_rank_intervals_and_region(demo):
    _, resp, orgs, draws = demo
    t = ranking_table(resp, orgs, draws=draws).set_index("organisation_id")
    assert (t["rank_low"] <= t["rank"]).all() and (t["rank"] <= t["rank_high"]).all()
    assert t.loc["ORG17", "rank"] == 1 and t.loc["ORG11", "rank"] == 17
    assert t.loc["ORG11", "vs_region"] == "below" and t.loc["ORG17", "vs_region"] == "above"
    assert t["distinguishable_from_region"].dtype == bool
    assert not t["distinguishable_from_region"].all()  # the middle of the table is noise
    assert (t["ci_low"] <= t["total"]).all() and (t["total"] <= t["ci_high"] + 1e-9).all()
    assert t["total_official"].min() == 92.42
