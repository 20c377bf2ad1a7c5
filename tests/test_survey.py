"""Design-based estimates checked against hand-computed stratified examples (Lohr, 2019, ch. 3)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.stats.survey import (
    design_weights,
    weighted_mean,
    weighted_share,
    weighted_vs_unweighted,
)


def test_stratified_mean_and_se_by_hand():
    # Home care: N = 1300, sample n = 4: 80, 90, 100, 90 -> ybar = 90, s^2 = 200/3
    # Temporary residence: census N = n = 3: 100, 70, 100 -> ybar = 90, FPC = 0 (no variance)
    # ybar_str = (1300*90 + 3*90) / 1303 = 90
    # V = (1 - 4/1300) * (1300/1303)^2 * (200/3) / 4 = 0.996923 * 0.995402 * 16.666667 = 16.539...
    values = [80, 90, 100, 90, 100, 70, 100]
    strata = ["home"] * 4 + ["temp"] * 3
    weights = [1300 / 4] * 4 + [1.0] * 3
    r = weighted_mean(values, weights, strata)
    v = (1 - 4 / 1300) * (1300 / 1303) ** 2 * (200 / 3) / 4
    assert r.estimate == pytest.approx(90.0)
    assert r.se**2 == pytest.approx(v, rel=1e-12)
    assert v == pytest.approx(16.5390, abs=1e-4)
    assert r.df == 5  # 7 units - 2 strata
    half = stats.t.ppf(0.975, 5) * np.sqrt(v)
    assert (r.ci_low, r.ci_high) == pytest.approx((90 - half, 90 + half))


def test_unequal_stratum_means_are_weighted_by_population():
    # A: N=90, sample 10, 20 (mean 15); B: N=10, census of 2: 50, 70 (mean 60)
    # weighted: (90*15 + 10*60)/100 = 19.5; unweighted: 37.5
    r = weighted_mean([10, 20, 50, 70], [45, 45, 5, 5], ["A", "A", "B", "B"])
    assert r.estimate == pytest.approx(19.5)
    # V = (1 - 2/90)(0.9)^2 * 50 / 2 (B: FPC = 1 - 2/10 = 0.8, (0.1)^2 * 200/2)
    v = (1 - 2 / 90) * 0.81 * 50 / 2 + 0.8 * 0.01 * 200 / 2
    assert r.se**2 == pytest.approx(v)
    assert weighted_mean([10, 20, 50, 70]).estimate == pytest.approx(37.5)


def test_unweighted_se_is_classical():
    y = np.array([3.0, 5, 8, 9, 10, 14])
    r = weighted_mean(y)
    assert r.se == pytest.approx(y.std(ddof=1) / np.sqrt(len(y)))
    assert r.ci_high == pytest.approx(y.mean() + stats.t.ppf(0.975, 5) * r.se)


def test_clusters_count_recipients_not_interviews():
    # two identical interviews per recipient: clustering gives the SE of 3 recipients, not 6 interviews
    y = [1.0, 1.0, 4.0, 4.0, 7.0, 7.0]
    r = weighted_mean(y, clusters=["a", "a", "b", "b", "c", "c"])
    assert r.n == 6 and r.n_psu == 3
    assert r.se == pytest.approx(np.std([1, 4, 7], ddof=1) / np.sqrt(3))


def test_missing_values_keep_the_stratum_share():
    # A: N=90 sample 10, NaN, 20 -> respondent mean 15; B: N=10 values 50, 70
    r = weighted_mean([10, np.nan, 20, 50, 70], [30, 30, 30, 5, 5], ["A", "A", "A", "B", "B"])
    assert r.estimate == pytest.approx((90 * 15 + 10 * 60) / 100)
    assert r.n == 4


def test_single_unit_stratum_without_census_has_no_se():
    r = weighted_mean([1.0, 2, 3], [10, 10, 5], ["A", "A", "B"])
    assert np.isnan(r.se) and r.reason == "single_psu_stratum"


def test_design_weights_from_roster():
    f = pd.DataFrame({"year": [2020] * 5, "stratum": ["home_care"] * 3 + ["temporary_residence"] * 2})
    roster = pd.DataFrame({"year": [2020, 2020], "stratum": ["home_care", "temporary_residence"],
                           "population": [1300, 14]})
    w = design_weights(f, roster)
    assert w.tolist() == pytest.approx([1300 / 3] * 3 + [7.0] * 2)
    with pytest.raises(ValueError, match="missing from the roster"):
        design_weights(f.assign(year=2021), roster)


def test_weighted_share_korn_graubard():
    r = weighted_share([1] * 10)
    assert r.ci_low == pytest.approx(0.025 ** (1 / 10))  # Clopper-Pearson lower bound at x = n
    r2 = weighted_share([1, 0, 1, 1, 0, 1, 1, 1, 1, 1])
    cp = stats.binomtest(8, 10).proportion_ci(0.95, method="exact")
    # equal weights: se^2 = p(1-p)/(n-1), so n_eff = n - 1 = 9 and the interval is close to CP(8, 10)
    assert r2.estimate == 0.8
    assert r2.ci_low == pytest.approx(cp.low, abs=0.03) and r2.ci_high == pytest.approx(cp.high, abs=0.03)
    with pytest.raises(ValueError):
        weighted_share([0, 2])


def test_weighted_vs_unweighted_sentence():
    f = pd.DataFrame({
        "year": 2020, "stratum": ["home"] * 4 + ["temp"] * 4, "recipient_pid": list("abcdefgh"),
        "score": [80.0, 82, 78, 80, 100, 100, 98, 100],
    })
    roster = pd.DataFrame({"year": [2020, 2020], "stratum": ["home", "temp"], "population": [400, 4]})
    t = weighted_vs_unweighted(f, ["score"], roster).iloc[0]
    assert t["weighted"] == pytest.approx((400 * 80 + 4 * 99.5) / 404)
    assert t["unweighted"] == pytest.approx(89.75)
    assert t["material"] and t["difference"] == pytest.approx(t["weighted"] - 89.75)
    assert "sentence" not in t  # words are the narrative's (helpers.narrative.scoring.weighting_sentence)
    same = weighted_vs_unweighted(f.assign(score=90.0 + np.arange(8) % 2), ["score"], roster).iloc[0]
    assert not same["material"] and abs(same["difference"]) < 1
