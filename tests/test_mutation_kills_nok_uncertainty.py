"""Tests written to kill meaningful surviving mutants of ``benchmarks/mutation.py nok_uncertainty``
(docs/mutation/nok_uncertainty.md): :mod:`helpers.studies.nok.uncertainty` on three small organisations (fast:
a few hundred replicates), each value from a second computation written here - percentiles of given replicates
by numpy, the binomial and Beta moments of one share's bootstrap, the Monte-Carlo order statistic of the max-|t|,
the rank sets and bootstrap p-values by loops over pairs, Holm by statsmodels."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from helpers.studies.nok.codebook import load_nok_codebook
from helpers.studies.nok.scoring import score_organisations
from helpers.studies.nok.uncertainty import (
    JOINT_TOTAL,
    bootstrap_draws,
    rank_intervals,
    ranking_table,
    region_comparison,
    score_intervals,
    simultaneous_critical_value,
)

Q = [f"q{i:02d}" for i in range(1, 16)]
CB = load_nok_codebook()
MEASURES = [*CB.indicator_codes, "K1", "K2", "K3", "K4", "K5", "total"]


def _orgs(ids=("A", "B", "C")) -> pd.DataFrame:
    k = len(ids)
    return pd.DataFrame({"organisation_id": list(ids), "name": [f"Home {i}" for i in ids], "kind": "home",
                         "info_stand_required": [10] * k, "info_stand_present": [8, 10, 9][:k],
                         "info_site_required": [10] * k, "info_site_present": [10] * k,
                         "remote_channels": [4] * k, "comfort_conditions": [5] * k,
                         "premises_conditions": [5] * k, "services_conditions": [5] * k})


def _respondents() -> pd.DataFrame:
    """A: 20 respondents, 14 satisfied with q05 and 10 of them with everything; B: 20, all "yes";
    C: 10, nobody with a disability (q07 = 0: i3_3 undefined), q05 satisfied 5 of 10."""
    a = pd.DataFrame({"organisation_id": "A", **{q: 1 for q in Q}}, index=range(20))
    a["q05"] = [1] * 14 + [0] * 6
    a.loc[15:, Q[8:]] = 0
    b = pd.DataFrame({"organisation_id": "B", **{q: 1 for q in Q}}, index=range(20))
    c = pd.DataFrame({"organisation_id": "C", **{q: 1 for q in Q}}, index=range(10))
    c["q07"], c["q08"] = 0, pd.NA
    c["q05"] = [1] * 5 + [0] * 5
    return pd.concat([a, b, c], ignore_index=True).astype({q: "Int64" for q in Q})


@pytest.fixture(scope="module")
def data():
    resp, orgs = _respondents(), _orgs()
    return resp, orgs, score_organisations(resp, orgs).set_index("organisation_id")


# ---- score_intervals from given replicates ------------------------------------------------------------------
def test_score_intervals_are_percentiles_of_the_replicates_widened_to_the_estimate(data):
    resp, orgs, official = data
    rng = np.random.default_rng(0)
    draws = {m: official[m].to_numpy(float) + rng.normal(0, 2, size=(200, 3)) for m in MEASURES}
    draws["i2_2"][:, 1] = rng.uniform(80, 95, 200)  # B's estimate 100 lies above every replicate
    draws["i3_3"][:50, 0] = np.nan  # A: a quarter of the replicates undefined
    iv = score_intervals(resp, orgs, draws=draws).set_index(["organisation_id", "measure"])
    assert len(iv) == 3 * len(MEASURES)
    assert score_intervals(resp, orgs, draws=draws).index.equals(pd.RangeIndex(3 * len(MEASURES)))
    for (org, m), row in iv.iterrows():
        j = "ABC".index(org)
        d = draws[m][:, j]
        est = official.loc[org, m]
        if np.isnan(est) or np.isnan(d).all():
            continue
        low, high = np.nanquantile(d, [0.025, 0.975])
        assert row["estimate"] == pytest.approx(est, rel=1e-12)
        assert row["ci_low"] == pytest.approx(min(low, est), rel=1e-12), (org, m)
        assert row["ci_high"] == pytest.approx(max(high, est), rel=1e-12), (org, m)
        assert row["undefined_share"] == pytest.approx(np.isnan(d).mean())
    assert iv.loc[("B", "i2_2"), "ci_high"] == 100.0 and iv.loc[("B", "i2_2"), "ci_low"] < 95
    assert iv.loc[("A", "i3_3"), "undefined_share"] == 0.25
    # another level: the 5% and 95% percentiles
    iv90 = score_intervals(resp, orgs, draws=draws, level=0.9).set_index(["organisation_id", "measure"])
    assert iv90.loc[("A", "K2"), "ci_low"] == pytest.approx(min(np.quantile(draws["K2"][:, 0], 0.05),
                                                                official.loc["A", "K2"]), rel=1e-12)


def test_score_intervals_n_and_source_by_hand(data):
    resp, orgs, official = data
    draws = {m: np.tile(official[m].to_numpy(float), (20, 1)) for m in MEASURES}
    iv = score_intervals(resp, orgs, draws=draws).set_index(["organisation_id", "measure"])
    # n: the share's denominator U (i1_3: q01 "yes" + q03 "yes"; i3_3: q07 "yes"), N for criteria and the total
    assert iv.loc[("A", "i2_2"), "n"] == 20 and iv.loc[("A", "i1_3"), "n"] == 40
    assert iv.loc[("C", "i3_3"), "n"] == 0 and iv.loc[("C", "i2_2"), "n"] == 10 and iv.loc[("B", "K3"), "n"] == 20
    assert iv.loc[("C", "total"), "n"] == 10
    assert np.isnan(iv.loc[("A", "i1_1"), "n"]) and np.isnan(iv.loc[("A", "i1_2"), "n"])
    # organisations in another order than their respondents, and one without respondents: n follows the ids
    orgs2 = pd.concat([_orgs(("C", "A")), _orgs(("D",)), _orgs(("B",))], ignore_index=True)
    d2 = {m: np.full((20, 4), 50.0) for m in MEASURES}
    iv2 = score_intervals(resp, orgs2, draws=d2).set_index(["organisation_id", "measure"])
    assert [iv2.loc[(o, "total"), "n"] for o in "CADB"] == [10, 20, 0, 20]
    assert [iv2.loc[(o, "i3_3"), "n"] for o in "CADB"] == [0, 20, 0, 20]
    src = iv.xs("A")["source"].to_dict()
    assert src["i1_1"] == "checklist" and src["i1_2"] == "checklist" and src["i2_1"] == "checklist"
    assert src["i2_2"] == "survey" and src["i1_3"] == "survey"
    assert src["K1"] == src["total"] == "combined"
    assert list(iv.reset_index().columns) == ["organisation_id", "measure", "source", "estimate", "ci_low", "ci_high",
                                              "n", "undefined_share"]


# ---- the bootstrap itself --------------------------------------------------------------------------------------
def test_classic_bootstrap_of_one_share_is_binomial(data):
    """Efron's bootstrap of A's q05 share (14 of 20): S* ~ Binomial(20, 0.7), so mean 70, sd 100·sqrt(.7·.3/20)."""
    resp, orgs, _ = data
    d = bootstrap_draws(resp, orgs, n_boot=3000, seed=5, method="classic")
    x = d["i2_2"][:, 0]
    assert x.mean() == pytest.approx(70.0, abs=0.7)
    assert x.std() == pytest.approx(100 * np.sqrt(0.7 * 0.3 / 20), abs=0.5)
    assert np.all(np.mod(x, 5.0) == 0)  # whole respondents: multiples of 100/20
    assert np.ptp(d["i2_2"][:, 1]) == 0 and np.ptp(d["i2_1"]) == 0  # all "yes"; a checklist indicator


def test_jeffreys_bootstrap_of_one_share_has_the_beta_moments(data):
    """Jeffreys: Beta(14.5, 6.5), mean 100·14.5/21, sd 100·sqrt(ab / ((a+b)^2 (a+b+1)))."""
    resp, orgs, _ = data
    x = bootstrap_draws(resp, orgs, n_boot=3000, seed=6, method="jeffreys")["i2_2"][:, 0]
    a, b = 14.5, 6.5
    assert x.mean() == pytest.approx(100 * a / (a + b), abs=0.6)
    assert x.std() == pytest.approx(100 * np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))), abs=0.5)
    y = bootstrap_draws(resp, orgs, n_boot=3000, seed=6, method="jeffreys")["i2_2"][:, 1]  # B: Beta(20.5, 0.5)
    assert y.mean() == pytest.approx(100 * 20.5 / 21, abs=0.3) and y.max() < 100


def test_pooled_bootstrap_draws_from_the_region(data):
    """Pooled: each organisation's N respondents from all 50: the q05 share of the region is 39/50 for all three."""
    resp, orgs, _ = data
    d = bootstrap_draws(resp, orgs, n_boot=600, seed=7, method="pooled")
    p = 39 / 50
    for j, n in enumerate((20, 20, 10)):
        assert d["i2_2"][:, j].mean() == pytest.approx(100 * p, abs=2.5)
        assert d["i2_2"][:, j].std() == pytest.approx(100 * np.sqrt(p * (1 - p) / n), rel=0.15)
    assert np.isnan(d["i3_3"][:, 2]).all() and np.isfinite(d["total"]).all()  # C's undefined share stays undefined


def test_pooled_bootstrap_of_an_organisation_with_one_respondent(data):
    resp, _, _ = data
    one = pd.concat([resp, resp.head(1).assign(organisation_id="E")], ignore_index=True)
    d = bootstrap_draws(one, pd.concat([_orgs(), _orgs(("E",))], ignore_index=True), n_boot=300, seed=2,
                        method="pooled")
    x = d["i2_2"][:, 3]
    assert set(np.unique(x)) == {0.0, 100.0} and x.mean() == pytest.approx(100 * 40 / 51, abs=8)


def test_undefined_shares_stay_undefined_and_an_organisation_without_respondents_has_no_survey(data):
    resp, _, official = data
    orgs = _orgs(("A", "B", "C"))
    orgs = pd.concat([orgs, _orgs(("D",))], ignore_index=True)
    for method in ("jeffreys", "classic", "pooled"):
        d = bootstrap_draws(resp, orgs, n_boot=50, seed=1, method=method)
        assert all(d[m].shape == (50, 4) for m in MEASURES)
        assert np.isnan(d["i3_3"][:, 2]).all() and np.isfinite(d["i3_3"][:, :2]).all(), method
        assert np.isnan(d["i2_2"][:, 3]).all() and np.isnan(d["total"][:, 3]).all(), method
        assert (d["i1_1"][:, 3] == 90.0).all() and (d["i1_1"][:, 0] == official.loc["A", "i1_1"]).all(), method
        # C's K3 = (0.3 i3_1 + 0.4 i3_2) / 0.7 = 100 in every replicate (the zero-denominator rule)
        assert np.allclose(d["K3"][:, 2], 100.0), method


def test_mixed_takes_the_classic_total_unless_it_is_constant_and_the_pooled_totals_for_the_joint_verdicts(data):
    resp, orgs, _ = data
    mixed = bootstrap_draws(resp, orgs, n_boot=300, seed=11)
    jeff = bootstrap_draws(resp, orgs, n_boot=300, seed=11, method="jeffreys")
    classic = bootstrap_draws(resp, orgs, n_boot=300, seed=12, method="classic")
    pooled = bootstrap_draws(resp, orgs, n_boot=300, seed=13, method="pooled")
    np.testing.assert_array_equal(mixed["i2_2"], jeff["i2_2"])
    np.testing.assert_array_equal(mixed["total"][:, [0, 2]], classic["total"][:, [0, 2]])
    assert np.ptp(classic["total"][:, 1]) == 0  # B: every answer "yes"
    np.testing.assert_array_equal(mixed["total"][:, 1], jeff["total"][:, 1])
    np.testing.assert_array_equal(mixed[JOINT_TOTAL], pooled["total"])
    with pytest.raises(ValueError, match="method must be"):
        bootstrap_draws(resp, orgs, n_boot=10, method="bayes")


# ---- the joint verdicts -----------------------------------------------------------------------------------------
def test_simultaneous_critical_value_is_the_monte_carlo_order_statistic():
    rng = np.random.default_rng(2)
    d = rng.normal(size=(99, 3)) * [0.5, 2.0, 3.0]  # one column with sd below 1
    d = np.c_[d, np.full(99, 7.0)]  # a constant column: sd 0, left out of the maximum
    c, sd = simultaneous_critical_value(d)
    s = d[:, :3].std(axis=0, ddof=1)
    t = np.sort(np.max(np.abs(d[:, :3] - d[:, :3].mean(axis=0)) / s, axis=1))
    assert c == pytest.approx(t[int(np.ceil(100 * 0.95)) - 1], rel=1e-12)  # the 95th of 99
    np.testing.assert_allclose(sd[:3], s, rtol=1e-12)
    assert sd[3] == 0
    c80, _ = simultaneous_critical_value(d, level=0.8)
    assert c80 == pytest.approx(t[79], rel=1e-12)
    nan_c, _ = simultaneous_critical_value(np.ones((10, 2)))
    assert np.isnan(nan_c)


def _rank_sets(d: np.ndarray, est: np.ndarray, level: float = 0.95):
    """The rank sets by loops over ordered pairs (as Mogstad et al. 2024 define them), with the order statistic."""
    m = len(est)
    pairs = list(itertools.combinations(range(m), 2))
    diffs = np.stack([d[:, j] - d[:, k] for j, k in pairs], axis=1)
    sd = diffs.std(axis=0, ddof=1)
    t = np.sort(np.max(np.abs(diffs - diffs.mean(axis=0)) / sd, axis=1))
    c = t[int(np.ceil((len(t) + 1) * level)) - 1]
    better = {(j, k): est[j] - est[k] - c * sd[i] > 0 for i, (j, k) in enumerate(pairs)}
    worse = {(j, k): est[j] - est[k] + c * sd[i] < 0 for i, (j, k) in enumerate(pairs)}
    low = [1 + sum(better.get((k, j), False) or worse.get((j, k), False) for k in range(m) if k != j)
           for j in range(m)]
    high = [m - sum(better.get((j, k), False) or worse.get((k, j), False) for k in range(m) if k != j)
            for j in range(m)]
    return low, high


def test_rank_intervals_by_loops_over_pairs_and_no_rank_without_a_total():
    rng = np.random.default_rng(3)
    est = np.array([90.0, 86.5, 80.0, 79.5, 70.0])
    d = est + rng.normal(0, 1.0, size=(199, 5))
    sets = {}
    for level in (0.95, 0.5):
        r = rank_intervals({"total": d}, list("ABCDE"), est, level=level)
        sets[level] = _rank_sets(d, est, level)
        assert (r["rank_low"].tolist(), r["rank_high"].tolist()) == sets[level], level
    assert sets[0.95] != sets[0.5]  # 90 vs 86.5 told apart at 50%, not at 95%
    assert r["rank"].tolist() == [1, 2, 3, 4, 5]
    assert r["rank"].dtype == "Int64" and r["rank_low"].dtype == "Int64" and r["rank_high"].dtype == "Int64"
    # organisations moving together (a shock common to all): the differences vary little, and the order of the
    # table is not the order of the totals
    est2 = np.array([80.0, 90.0, 70.0, 89.1, 79.5])
    d2 = est2 + rng.normal(0, 3.0, size=(199, 1)) + rng.normal(0, 0.1, size=(199, 5))
    r2 = rank_intervals({"total": d2}, list("ABCDE"), est2)
    low, high = _rank_sets(d2, est2)
    assert r2["rank_low"].tolist() == low and r2["rank_high"].tolist() == high == [3, 1, 5, 2, 4]
    assert r2["rank_low"].tolist() == [3, 1, 5, 2, 4]
    # the pooled totals are used when present
    moved = rank_intervals({"total": d, JOINT_TOTAL: est + rng.normal(0, 30, size=(199, 5))}, list("ABCDE"), est)
    assert moved["rank_low"].tolist() == [1] * 5 and moved["rank_high"].tolist() == [5] * 5
    # an undefined total: no rank, and the others are ranked among four; ties by the rounded total share a rank
    tot = np.array([90.0, np.nan, 80.001, 79.999, 70.0])
    r = rank_intervals({"total": d}, list("ABCDE"), tot)
    assert r["rank"].isna().tolist() == [False, True, False, False, False]
    assert r["rank"].dropna().tolist() == [1, 2, 2, 4]
    assert r["rank_low"].isna().tolist() == [False, True, False, False, False]
    low, high = _rank_sets(d[:, [0, 2, 3, 4]], tot[[0, 2, 3, 4]])
    assert r["rank_low"].dropna().tolist() == low and r["rank_high"].dropna().tolist() == high
    assert max(high) == 4


def test_region_comparison_p_values_holm_and_intervals_by_hand():
    rng = np.random.default_rng(4)
    B, m = 400, 5
    d = 85 + rng.normal(0, 1.0, size=(B, m))
    totals = np.array([89.0, 85.2, 84.9, 81.5, 85.0])
    r = region_comparison({"total": d}, list("ABCDE"), totals)
    diff = d - d.mean(axis=1, keepdims=True)
    dev = np.abs(diff - diff.mean(axis=0))
    est = totals - totals.mean()
    p = (1 + (dev >= np.abs(est)).sum(axis=0)) / (B + 1)
    np.testing.assert_allclose(r["diff_from_region"], est, rtol=1e-12)
    np.testing.assert_allclose(r["p_value"], p, rtol=1e-12)
    np.testing.assert_allclose(r["p_holm"], multipletests(p, method="holm")[1], rtol=1e-12)
    half = np.quantile(dev, 1 - 0.05 / m, axis=0)
    np.testing.assert_allclose(r["diff_low"], est - half, rtol=1e-12)
    np.testing.assert_allclose(r["diff_high"], est + half, rtol=1e-12)
    sig = multipletests(p, method="holm")[1] < 0.05
    assert r["distinguishable_from_region"].tolist() == sig.tolist() == [True, False, False, True, False]
    assert r["vs_region"].tolist() == ["above", "", "", "below", ""]
    # an undefined total is left out of the region, of Holm and of m
    t2 = totals.copy()
    t2[2] = np.nan
    d2 = d.copy()
    d2[:, 2] = np.nan
    r2 = region_comparison({"total": d2}, list("ABCDE"), t2)
    assert np.isnan(r2.loc[2, "p_value"]) and np.isnan(r2.loc[2, "p_holm"]) and not r2.loc[2, "distinguishable_from_region"]
    keep = [0, 1, 3, 4]
    est2 = t2[keep] - t2[keep].mean()
    diff2 = d[:, keep] - d[:, keep].mean(axis=1, keepdims=True)
    dev2 = np.abs(diff2 - diff2.mean(axis=0))
    p2 = (1 + (dev2 >= np.abs(est2)).sum(axis=0)) / (B + 1)
    np.testing.assert_allclose(r2.loc[keep, "p_value"], p2, rtol=1e-12)
    np.testing.assert_allclose(r2.loc[keep, "p_holm"], multipletests(p2, method="holm")[1], rtol=1e-12)
    np.testing.assert_allclose(r2.loc[keep, "diff_high"], est2 + np.quantile(dev2, 1 - 0.05 / 4, axis=0),
                               rtol=1e-12)
    # the pooled totals are used when present; a measure other than the total is read from its own replicates
    flat = region_comparison({"total": d, JOINT_TOTAL: 85 + rng.normal(0, 20, size=(B, m))}, list("ABCDE"), totals)
    assert not flat["distinguishable_from_region"].any()
    k1 = region_comparison({"K1": d, "total": d * 0 + 85}, list("ABCDE"), totals, measure="K1")
    np.testing.assert_allclose(k1["p_value"], p, rtol=1e-12)
    # at level 0.5 Holm compares with 0.5, and the interval is the 1 - 0.5/m quantile
    r50 = region_comparison({"total": d}, list("ABCDE"), totals, level=0.5)
    np.testing.assert_allclose(r50["diff_high"], est + np.quantile(dev, 1 - 0.5 / m, axis=0), rtol=1e-12)
    assert r50["distinguishable_from_region"].tolist() == (multipletests(p, method="holm")[1] < 0.5).tolist()


def test_region_comparison_warns_only_when_holm_cannot_reject():
    d = {"total": np.random.default_rng(0).normal(size=(98, 5))}  # smallest Holm p 5/99 > 0.05
    with pytest.warns(UserWarning, match="98 replicates cannot show any of 5 organisations.*use at least 100"):
        region_comparison(d, list("ABCDE"), np.zeros(5))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        region_comparison({"total": np.random.default_rng(0).normal(size=(100, 5))}, list("ABCDE"), np.zeros(5))


def test_ranking_table_joins_the_official_total_its_interval_ranks_and_region(data):
    resp, orgs, official = data
    rng = np.random.default_rng(9)
    tot = official["total"].to_numpy()
    draws = {"total": tot + rng.normal(0, 1, size=(400, 3)), JOINT_TOTAL: tot + rng.normal(0, 1, size=(400, 3))}
    t = ranking_table(resp, orgs, draws=draws)
    assert t["organisation_id"].tolist() == list(official["total"].sort_values(ascending=False).index)
    t = t.set_index("organisation_id")
    for j, org in enumerate("ABC"):
        low, high = np.quantile(draws["total"][:, j], [0.025, 0.975])
        assert t.loc[org, "ci_low"] == pytest.approx(min(low, tot[j]), rel=1e-12)
        assert t.loc[org, "ci_high"] == pytest.approx(max(high, tot[j]), rel=1e-12)
        assert t.loc[org, "total"] == tot[j] and t.loc[org, "respondents"] == (20, 20, 10)[j]
        assert t.loc[org, "total_official"] == np.floor(tot[j] * 100 + 0.5) / 100
    ranks = rank_intervals(draws, list("ABC"), tot).set_index("organisation_id")
    region = region_comparison(draws, list("ABC"), tot).set_index("organisation_id")
    assert t["rank_low"].to_dict() == ranks["rank_low"].to_dict()
    assert t["p_value"].to_dict() == region["p_value"].to_dict()
    assert t.loc["A", "name"] == "Home A" and t.loc["A", "kind"] == "home"
    assert list(t.reset_index().columns) == [
        "organisation_id", "name", "kind", "respondents", "total", "total_official", "ci_low", "ci_high", "rank",
        "rank_low", "rank_high", "diff_from_region", "diff_low", "diff_high", "p_value", "p_holm",
        "distinguishable_from_region", "vs_region"]
    # another level reaches the interval, the ranks and the region comparison
    half = ranking_table(resp, orgs, draws=draws, level=0.5).set_index("organisation_id")
    r50 = rank_intervals(draws, list("ABC"), tot, level=0.5).set_index("organisation_id")
    g50 = region_comparison(draws, list("ABC"), tot, level=0.5).set_index("organisation_id")
    assert half["rank_high"].to_dict() == r50["rank_high"].to_dict()
    assert half["diff_high"].to_dict() == g50["diff_high"].to_dict()
    assert half.loc["A", "ci_high"] == pytest.approx(max(np.quantile(draws["total"][:, 0], 0.75), tot[0]), rel=1e-12)


def test_a_given_codebook_is_used_by_the_bootstrap_and_the_intervals(data):
    """With i1_2 at 25 points a channel (tests/test_mutation_kills_nok_scoring.py): the checklist indicator is 100
    (4 channels) in every replicate and estimate; i2_2 on q06 (all "yes") is 100 for A instead of 70."""
    from test_mutation_kills_nok_scoring import custom_codebook

    resp, orgs, _ = data
    cb = custom_codebook()
    for method in ("jeffreys", "classic", "pooled"):
        d = bootstrap_draws(resp, orgs, n_boot=20, seed=1, codebook=cb, method=method)
        assert (d["i1_2"] == 100.0).all(), method
    d = bootstrap_draws(resp, orgs.assign(remote_channels=2), n_boot=20, seed=1, codebook=cb, method="classic")
    assert (d["i1_2"] == 50.0).all() and (d["i2_2"][:, 0] == 100.0).all()
    iv = score_intervals(resp, orgs.assign(remote_channels=2), n_boot=20, seed=1, codebook=cb).set_index(
        ["organisation_id", "measure"])
    assert iv.loc[("A", "i1_2"), "estimate"] == 50.0 and iv.loc[("A", "i2_2"), "estimate"] == 100.0
    assert iv.loc[("A", "i1_2"), "ci_high"] == 50.0 and iv.loc[("A", "i2_2"), "ci_low"] > 90  # replicates too
    with pytest.warns(UserWarning, match="20 replicates cannot show"):
        t = ranking_table(resp, orgs.assign(remote_channels=2), n_boot=20, seed=1, codebook=cb)
    t = t.set_index("organisation_id")
    own = score_intervals(resp, orgs.assign(remote_channels=2), n_boot=20, seed=1, codebook=cb).set_index(
        ["organisation_id", "measure"]).xs("total", level="measure")
    np.testing.assert_allclose(t.loc[list("ABC"), "ci_high"], own.loc[list("ABC"), "ci_high"], rtol=1e-12)
    np.testing.assert_allclose(t.loc[list("ABC"), "ci_low"], own.loc[list("ABC"), "ci_low"], rtol=1e-12)
    assert t.loc["B", "total"] == pytest.approx(score_organisations(resp, orgs.assign(remote_channels=2), cb)
                                                .set_index("organisation_id").loc["B", "total"])
    assert t.loc["B", "total"] < 100  # K1 has i1_2 = 50


# ---- survivors of the full run (docs/mutation/nok_uncertainty.md, second part) ---------------------------------
def test_mixed_draws_compute_the_total_and_the_joint_totals_with_the_given_codebook(data):
    """"mixed" is the classic total (seed + 1) and the pooled totals (seed + 2), each with the caller's codebook:
    with 25 points a channel and two channels i1_2 is 50, not the shipped 60, so the totals differ."""
    from test_mutation_kills_nok_scoring import custom_codebook

    resp, orgs, _ = data
    orgs2, cb = orgs.assign(remote_channels=2), custom_codebook()
    mixed = bootstrap_draws(resp, orgs2, n_boot=30, seed=1, codebook=cb)
    classic = bootstrap_draws(resp, orgs2, n_boot=30, seed=2, codebook=cb, method="classic")["total"]
    pooled = bootstrap_draws(resp, orgs2, n_boot=30, seed=3, codebook=cb, method="pooled")["total"]
    # A's classic total varies (q05 14 of 20 is not in i2_2 here, but q09-q15); B and C, all "yes" on the
    # questions of this codebook's survey indicators but i3_3, keep the Jeffreys total
    assert np.ptp(classic[:, 0]) > 0
    np.testing.assert_array_equal(mixed["total"][:, 0], classic[:, 0])
    np.testing.assert_array_equal(mixed[JOINT_TOTAL], pooled)
    shipped = bootstrap_draws(resp, orgs2, n_boot=30, seed=3, method="pooled")["total"]
    assert np.all(np.abs(shipped - pooled) > 0.1)  # the codebook matters to every replicate


def test_denominators_follow_a_given_codebook(data):
    """i2_2 on q05 among those with q07 = yes (a changed denominator): n is A's 20 and C's 0 (nobody with q07 = yes),
    not the shipped "all respondents" (C: 10)."""
    import copy

    from helpers.studies.nok.codebook import NokCodebook

    resp, orgs, official = data
    raw = copy.deepcopy(CB.raw)
    raw["indicators"]["i2_2"]["parts"] = [{"numerator": "q05", "denominator": "q07"}]
    cb = NokCodebook(raw)
    draws = {m: np.tile(official[m].to_numpy(float), (20, 1)) for m in MEASURES}
    iv = score_intervals(resp, orgs, draws=draws, codebook=cb).set_index(["organisation_id", "measure"])
    assert [iv.loc[(o, "i2_2"), "n"] for o in "ABC"] == [20, 20, 0]


def test_pooled_bootstrap_draws_the_first_respondent_of_the_region(data):
    """A first respondent, the only one of the region's 51 not satisfied with q06 (i2_2 asked on q06 here): the
    pooled i2_2 of an organisation of 20 has mean 100·50/51 over the replicates (se 0.18 at 300), not 100."""
    resp, orgs, _ = data
    first = resp.head(1).assign(organisation_id="A", q06=0)
    d = bootstrap_draws(pd.concat([first, resp], ignore_index=True), orgs, n_boot=300, seed=4, method="pooled",
                        codebook=_q06_codebook())
    assert d["i2_2"][:, 1].mean() == pytest.approx(100 * 50 / 51, abs=0.7)


def _q06_codebook():
    import copy

    from helpers.studies.nok.codebook import NokCodebook

    raw = copy.deepcopy(CB.raw)
    raw["indicators"]["i2_2"]["parts"] = [{"numerator": "q06", "denominator": "all"}]
    return NokCodebook(raw)


def test_ranking_table_passes_its_level_to_the_rank_intervals(data):
    """Totals A 88, B 100, C 95.7; joint replicates with sd 1.7: B and C (4.3 apart) are told apart at 50% but not
    at 95%, so the rank sets (by loops over pairs) differ between the levels and the table must follow its level."""
    resp, orgs, official = data
    tot = official["total"].to_numpy()
    rng = np.random.default_rng(8)
    draws = {"total": tot + rng.normal(0, 1, size=(400, 3)), JOINT_TOTAL: tot + rng.normal(0, 1.7, size=(400, 3))}
    sets = {level: _rank_sets(draws[JOINT_TOTAL], tot, level) for level in (0.5, 0.95)}
    assert sets[0.5] != sets[0.95]
    for level, (low, high) in sets.items():
        t = ranking_table(resp, orgs, draws=draws, level=level).set_index("organisation_id").loc[list("ABC")]
        assert (t["rank_low"].tolist(), t["rank_high"].tolist()) == (low, high), level


def _common_shock(offsets, n_boot=400, seed=5) -> np.ndarray:
    """Replicates that move together: 85 + a shock common to all organisations + each one's offset, so every
    organisation's difference from the regional mean is the same in every replicate (deviation 0 up to rounding)."""
    return 85 + np.random.default_rng(seed).normal(0, 2, size=(n_boot, 1)) + np.asarray(offsets)


def test_region_comparison_counts_ties_and_labels_a_small_distinguishable_difference():
    """Deviations 0 in every replicate: p = 1/(B + 1) where the total differs from the region, and p = 1 for the
    organisation exactly at the regional mean (each replicate's deviation 0 ties its |difference| 0: counted).
    Holm over five: 5/401 < 0.05, so A (+0.5) is distinguishable "above", C (0) is not."""
    offsets = np.array([0.5, -1.0, 0.0, -2.0, 2.5])  # mean 0: the regional mean is 85 exactly
    r = region_comparison({"total": _common_shock(offsets)}, list("ABCDE"), 85 + offsets)
    assert r["diff_from_region"].tolist() == offsets.tolist()
    np.testing.assert_allclose(r["p_value"], [1 / 401, 1 / 401, 1.0, 1 / 401, 1 / 401], rtol=1e-12)
    assert r["distinguishable_from_region"].tolist() == [True, True, False, True, True]
    assert r["vs_region"].tolist() == ["above", "below", "", "below", "above"]


def test_region_comparison_at_the_boundary_of_holm():
    """B = 9 replicates, m = 5 organisations, level 0.5: the smallest p is 1/10 and its Holm p 5/10 = 1 - level,
    not below it: nobody distinguishable, and the warning (m/(B + 1) >= 1 - level) is given."""
    offsets = np.array([9.0, -1.0, 0.0, -3.0, -5.0])
    d = _common_shock(np.zeros(5), n_boot=9) + np.random.default_rng(1).normal(0, 1, size=(9, 5))
    with pytest.warns(UserWarning, match="9 replicates cannot show any of 5 organisations"):
        r = region_comparison({"total": d}, list("ABCDE"), 85 + offsets, level=0.5)
    assert r.loc[0, "p_value"] == 1 / 10 and r.loc[0, "p_holm"] == 0.5
    assert not r["distinguishable_from_region"].any()


def test_region_comparison_leaves_out_an_organisation_without_replicates():
    """C has a total but no defined replicate: no p-value, and Holm runs over the other four (m = 4)."""
    rng = np.random.default_rng(6)
    d = 85 + rng.normal(0, 1.0, size=(400, 5))
    d[:, 2] = np.nan
    totals = np.array([89.0, 85.2, 84.9, 81.5, 85.0])
    r = region_comparison({"total": d}, list("ABCDE"), totals)
    keep = [0, 1, 3, 4]
    est = totals - totals.mean()
    diff = d[:, keep] - d[:, keep].mean(axis=1, keepdims=True)
    dev = np.abs(diff - diff.mean(axis=0))
    p = (1 + (dev >= np.abs(est[keep])).sum(axis=0)) / 401
    assert np.isnan(r.loc[2, "p_value"]) and np.isnan(r.loc[2, "p_holm"])
    assert not r.loc[2, "distinguishable_from_region"]
    np.testing.assert_allclose(r.loc[keep, "p_value"], p, rtol=1e-12)
    np.testing.assert_allclose(r.loc[keep, "p_holm"], multipletests(p, method="holm")[1], rtol=1e-12)
    np.testing.assert_allclose(r.loc[keep, "diff_high"], est[keep] + np.quantile(dev, 1 - 0.05 / 4, axis=0),
                               rtol=1e-12)
