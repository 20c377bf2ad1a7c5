"""Tests written to kill the mutants of helpers.stats.score_agreement that survived (docs/mutation/score_agreement.md).

Every value is computed independently here: the ICC intervals by hand from the two-way ANOVA and the F
quantiles (Shrout & Fleiss 1979; McGraw & Wong 1996), checked against R psych::ICC's printed bounds for the
Shrout-Fleiss data; the Bland-Altman intervals from the 1999 formula with scipy's t quantile; the
Wilcoxon bootstrap interval by a loop over the same resamples with scipy's ranks and numpy's quantiles.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.datasets import REFERENCE_DIR
from helpers.stats import score_agreement as sa


@pytest.fixture(scope="module")
def sf_long() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "shrout_fleiss_1979.csv").melt("target", var_name="judge", value_name="score")


def _icc_by_hand(x: np.ndarray, confidence: float) -> dict[str, tuple[float, float]]:
    """The six intervals of Shrout & Fleiss (1979) / McGraw & Wong (1996), written out from the mean squares."""
    n, k = x.shape
    gm = x.mean()
    msr = k * ((x.mean(1) - gm) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(0) - gm) ** 2).sum() / (k - 1)
    sse = ((x - x.mean(1, keepdims=True) - x.mean(0, keepdims=True) + gm) ** 2).sum()
    mse = sse / ((n - 1) * (k - 1))
    msw = ((x - x.mean(1, keepdims=True)) ** 2).sum() / (n * (k - 1))
    q = 1 - (1 - confidence) / 2
    out = {}
    for name, ms_err, d2 in (("1", msw, n * (k - 1)), ("3", mse, (n - 1) * (k - 1))):
        f = msr / ms_err
        fl, fu = f / stats.f.ppf(q, n - 1, d2), f * stats.f.ppf(q, d2, n - 1)
        out["ICC" + name] = ((fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1))
        out["ICC" + name + "k"] = (1 - 1 / fl, 1 - 1 / fu)
    r2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    a = k * r2 / (n * (1 - r2))
    b = 1 + k * r2 * (n - 1) / (n * (1 - r2))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1)))
    fs_l, fs_u = stats.f.ppf(q, n - 1, v), stats.f.ppf(q, v, n - 1)
    lo = n * (msr - fs_l * mse) / (fs_l * (k * msc + (k * n - k - n) * mse) + n * msr)
    hi = n * (fs_u * msr - mse) / (k * msc + (k * n - k - n) * mse + n * fs_u * msr)
    out["ICC2"] = (lo, hi)
    out["ICC2k"] = (k * lo / (1 + (k - 1) * lo), k * hi / (1 + (k - 1) * hi))
    return out


@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_icc_all_six_intervals_by_hand(sf_long, confidence):
    r = sa.icc(sf_long, "target", "judge", "score", confidence=confidence).set_index("Type")
    x = pd.read_csv(REFERENCE_DIR / "shrout_fleiss_1979.csv").set_index("target").to_numpy(float)
    for t, (lo, hi) in _icc_by_hand(x, confidence).items():
        assert (r.loc[t, "ci_low"], r.loc[t, "ci_high"]) == pytest.approx((lo, hi), abs=1e-9), t
    assert (r["n"] == 6).all() and (r["k"] == 4).all() and (r["reason"] == "").all()
    assert math.isnan(r.loc["ICC1", "df_ci"]) and r.loc["ICC2k", "df_ci"] == r.loc["ICC2", "df_ci"]


def test_icc_published_upper_bounds_and_p_values(sf_long):
    """R psych::ICC on the Shrout-Fleiss data prints upper bounds 0.72 0.76 0.95 0.91 0.93 0.99 and p
    0.16477 (ICC1) and 0.00013 (ICC2, ICC3)."""
    r = sa.icc(sf_long, "target", "judge", "score").set_index("Type")
    assert r["ci_high"].round(2).tolist() == [0.72, 0.76, 0.95, 0.91, 0.93, 0.99]
    assert r.loc["ICC1", "p_value"] == pytest.approx(0.16477, abs=5e-6)
    assert r.loc["ICC1", "p_value"] == pytest.approx(stats.f.sf(1.79466, 5, 18), abs=1e-5)
    assert r.loc["ICC3k", "p_value"] == pytest.approx(0.00013, abs=5e-6)
    assert r["Description"].tolist()[:2] == ["Single raters absolute (one-way random)",
                                              "Single random raters (two-way random, absolute agreement)"]


def test_icc_drops_targets_without_every_rating(sf_long):
    """A seventh target rated by only three judges is left out: the published values stand."""
    extra = pd.DataFrame({"target": [7, 7, 7], "judge": sf_long["judge"].unique()[:3], "score": [1.0, 9.0, 5.0]})
    r = sa.icc(pd.concat([sf_long, extra]), "target", "judge", "score").set_index("Type")
    assert r.loc["ICC2", "ICC"] == pytest.approx(0.289764, abs=1e-6)
    assert round(r.loc["ICC2", "ci_low"], 3) == 0.019 and r.loc["ICC1", "n"] == 6


def test_icc_without_any_variance_says_why_and_keeps_the_df():
    d = pd.DataFrame({"t": np.repeat([1, 2, 3], 2), "r": ["a", "b"] * 3, "s": 4.0})
    r = sa.icc(d, "t", "r", "s").set_index("Type")
    assert (r["reason"] == "no variance between or within targets: ICC is 0/0").all()
    assert r[["ICC", "F", "p_value", "ci_low", "ci_high", "df_ci"]].isna().all().all()
    assert r["df1"].tolist() == [2.0] * 6
    assert r["df2"].tolist() == [3.0, 2.0, 2.0, 3.0, 2.0, 2.0]  # n(k-1) for ICC1, (n-1)(k-1) else
    assert (r["n"] == 3).all() and (r["k"] == 2).all()


def test_icc_too_small_says_why_with_its_size():
    r = sa.icc(pd.DataFrame({"t": [1, 2, 3], "r": ["a"] * 3, "s": [1.0, 2.0, 3.0]}), "t", "r", "s")
    assert (r["reason"] == "ICC needs at least two targets rated by at least two raters").all()
    assert (r["n"] == 3).all() and (r["k"] == 1).all() and r["Type"].tolist()[-1] == "ICC3k"
    assert r.drop(columns=["Type", "Description", "n", "k", "reason"]).isna().all().all()


@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_bland_altman_every_interval_by_hand(confidence):
    d = pd.read_csv(REFERENCE_DIR / "bland_altman_1986_pefr.csv")
    x = d.wright1.astype(float).tolist() + [math.nan, 400.0]  # pairs with a missing value are dropped
    y = d.mini1.astype(float).tolist() + [300.0, math.nan]
    ba = sa.bland_altman(x, y, confidence=confidence)
    diff = (d.wright1 - d.mini1).to_numpy(float)
    n, bias, sd = 17, diff.mean(), diff.std(ddof=1)
    t = stats.t.ppf(1 - (1 - confidence) / 2, n - 1)
    se_l = sd * math.sqrt(1 / n + 1.96**2 / (2 * (n - 1)))
    lo, hi = bias - 1.96 * sd, bias + 1.96 * sd
    assert ba.n == n and ba.z == 1.96 and ba.reason == ""
    assert (ba.ci_low, ba.ci_high) == pytest.approx((bias - t * sd / math.sqrt(n), bias + t * sd / math.sqrt(n)))
    assert (ba.loa_low, ba.loa_high) == pytest.approx((lo, hi))
    assert (ba.loa_low_ci_low, ba.loa_low_ci_high) == pytest.approx((lo - t * se_l, lo + t * se_l))
    assert (ba.loa_high_ci_low, ba.loa_high_ci_high) == pytest.approx((hi - t * se_l, hi + t * se_l))
    assert ba.to_frame().columns.tolist() == ["statistic", "estimate", "ci_low", "ci_high", "n", "reason"]
    f = ba.to_frame().set_index("statistic")
    assert f.index.tolist() == ["bland_altman_bias", "bland_altman_sd", "bland_altman_loa_low",
                                "bland_altman_loa_high"]
    assert f["estimate"].tolist() == pytest.approx([bias, sd, lo, hi])
    assert f.loc["bland_altman_loa_high", ["ci_low", "ci_high"]].tolist() == pytest.approx([hi - t * se_l,
                                                                                           hi + t * se_l])
    assert f.loc["bland_altman_bias", "ci_low"] == pytest.approx(bias - t * sd / math.sqrt(n))
    assert f.loc["bland_altman_sd", ["ci_low", "ci_high"]].isna().all() and (f["n"] == n).all()
    assert ba.bias == ba.estimate and ba.statistic == "bland_altman_bias"


def test_bland_altman_of_two_pairs_and_text_answers():
    """Two pairs are enough (n - 1 = 1 degree of freedom); text that is not a number counts as missing."""
    ba = sa.bland_altman([1, 3, "n/a", 5.0], [0, 0, 1.0, "?"], z=2)
    sd, t = math.sqrt(2), stats.t.ppf(0.975, 1)
    assert (ba.n, ba.bias, ba.sd, ba.reason, ba.z) == (2, 2.0, pytest.approx(sd), "", 2)
    assert (ba.ci_low, ba.ci_high) == pytest.approx((2 - t * sd / math.sqrt(2), 2 + t * sd / math.sqrt(2)))
    se_l = sd * math.sqrt(1 / 2 + 4 / 2)
    assert ba.loa_low_ci_low == pytest.approx(2 - 2 * sd - t * se_l)


def test_bland_altman_without_two_pairs_says_why():
    one = sa.bland_altman([1.0, math.nan], [3.0, 2.0], z=2)
    assert one.bias == -2.0 and one.n == 1 and one.z == 2
    assert one.reason == "fewer than two pairs: SD and limits undefined"
    none = sa.bland_altman([math.nan], [1.0])
    assert none.n == 0 and math.isnan(none.bias) and none.reason == one.reason
    assert all(math.isnan(v) for v in (one.ci_low, one.ci_high, one.sd, one.loa_low, one.loa_high,
                                        one.loa_low_ci_low, one.loa_low_ci_high, one.loa_high_ci_low,
                                        one.loa_high_ci_high))
    assert one.to_frame().columns.tolist() == ["statistic", "estimate", "ci_low", "ci_high", "n", "reason"]
    assert (one.to_frame()["reason"] == one.reason).all()


def _rbc(d: np.ndarray) -> float:
    nz = d[d != 0]
    if nz.size == 0:
        return math.nan
    ranks = stats.rankdata(np.abs(nz))
    return float((ranks[nz > 0].sum() - ranks[nz < 0].sum()) / ranks.sum())


@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_wilcoxon_fields_and_bootstrap_interval_by_a_loop(confidence):
    rng = np.random.default_rng(7)
    x = rng.integers(1, 10, 25).astype(float)
    y = x - rng.integers(-2, 4, 25)
    xm, ym = np.r_[x, math.nan, 3.0], np.r_[y, 2.0, math.nan]  # incomplete pairs are dropped
    r = sa.wilcoxon_signed_rank(xm, ym, n_boot=400, seed=5, confidence=confidence)
    d = x - y
    w = stats.wilcoxon(d[d != 0])
    assert r.n == 25 and r.n_nonzero == (d != 0).sum() and r.median_difference == np.median(d)
    assert (r.statistic_w, r.p_value) == pytest.approx((w.statistic, w.pvalue), rel=1e-12)
    assert r.estimate == pytest.approx(_rbc(d), abs=1e-12) and r.reason == ""
    idx = np.random.default_rng(5).integers(0, 25, size=(400, 25))
    boot = np.array([_rbc(d[i]) for i in idx])
    boot = boot[~np.isnan(boot)]
    q = (1 - confidence) / 2
    assert (r.ci_low, r.ci_high) == pytest.approx(tuple(np.quantile(boot, [q, 1 - q])), abs=1e-12)
    assert r.statistic == "rank_biserial"


def test_wilcoxon_bootstrap_with_many_zero_and_fractional_differences():
    """Resamples in which every difference is 0 have no r (left out) and one non-zero difference gives r = +-1;
    differences between 0 and 1 are positive."""
    d = np.r_[np.zeros(12), 0.5, -0.25, 0.75]
    r = sa.wilcoxon_signed_rank(d + 3, np.full(15, 3.0), n_boot=400, seed=2, confidence=0.8)
    assert r.estimate == pytest.approx((2 + 3 - 1) / 6) and r.n_nonzero == 3
    boot = np.array([_rbc(d[i]) for i in np.random.default_rng(2).integers(0, 15, size=(400, 15))])
    assert np.isnan(boot).sum() > 5 and (np.abs(boot) == 1).sum() > 20  # both cases occur
    boot = boot[~np.isnan(boot)]
    assert (r.ci_low, r.ci_high) == pytest.approx(tuple(np.quantile(boot, [0.1, 0.9])), abs=1e-12)
    assert r.ci_low == pytest.approx(-0.14)  # counting the 16 all-zero resamples as r = 0 would give 0


def test_wilcoxon_reads_text_as_missing():
    r = sa.wilcoxon_signed_rank(["1", "x", 4, 6, 2], [0, 1, 1, 1, "?"], n_boot=0)
    assert r.n == 3 and r.estimate == 1.0 and r.median_difference == 3.0


def test_wilcoxon_rank_biserial_with_ties_and_negative_shift():
    """Kerby (2014): r = (T+ - T-)/(T+ + T-); differences -1, -1, 2, -3, 0 give ranks 1.5, 1.5, 3, 4 (the zero
    dropped): T+ = 3, T- = 7, r = -0.4; without a bootstrap the interval is NaN."""
    r = sa.wilcoxon_signed_rank([1, 1, 4, 0, 5], [2, 2, 2, 3, 5], n_boot=0)
    assert r.estimate == pytest.approx(-0.4) and r.n_nonzero == 4 and r.n == 5 and r.median_difference == -1
    assert math.isnan(r.ci_low) and math.isnan(r.ci_high)


def test_wilcoxon_without_pairs_or_differences_says_why():
    none = sa.wilcoxon_signed_rank([math.nan], [1.0])
    assert none.n == 0 and none.reason == "no complete pairs" and none.n_nonzero == 0
    assert all(math.isnan(v) for v in (none.estimate, none.ci_low, none.ci_high, none.statistic_w, none.p_value,
                                        none.median_difference))
    same = sa.wilcoxon_signed_rank([1, 2, 3], [1, 2, 3])
    assert same.reason == "no non-zero difference: the test and effect size are 0/0"
    assert same.n == 3 and same.n_nonzero == 0 and same.median_difference == 0
    assert all(math.isnan(v) for v in (same.estimate, same.ci_low, same.ci_high, same.statistic_w, same.p_value))


def test_wilcoxon_default_bootstrap_is_2000_resamples_of_seed_0():
    x, y = np.array([3.0, 5, 6, 8, 9, 9, 4, 7]), np.array([1.0, 4, 7, 4, 5, 9, 6, 2])
    r = sa.wilcoxon_signed_rank(x, y)
    d = x - y
    boot = np.array([_rbc(d[i]) for i in np.random.default_rng(0).integers(0, 8, size=(2000, 8))])
    assert (r.ci_low, r.ci_high) == pytest.approx(tuple(np.nanquantile(boot, [0.025, 0.975])), abs=1e-12)


# --- second part of the run (docs/mutation/score_agreement.md, "second part") ---------------------------------

def _icc_values_by_hand(x: np.ndarray) -> dict[str, float]:
    """The six ICCs from the mean squares (Shrout & Fleiss 1979, Table 2; McGraw & Wong 1996, Table 4)."""
    n, k = x.shape
    gm = x.mean()
    msr = k * ((x.mean(1) - gm) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(0) - gm) ** 2).sum() / (k - 1)
    mse = ((x - x.mean(1, keepdims=True) - x.mean(0, keepdims=True) + gm) ** 2).sum() / ((n - 1) * (k - 1))
    msw = ((x - x.mean(1, keepdims=True)) ** 2).sum() / (n * (k - 1))
    return {"ICC1": (msr - msw) / (msr + (k - 1) * msw),
            "ICC2": (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
            "ICC3": (msr - mse) / (msr + (k - 1) * mse),
            "ICC1k": (msr - msw) / msr,
            "ICC2k": (msr - mse) / (msr + (msc - mse) / n),
            "ICC3k": (msr - mse) / msr}


def test_icc_of_two_targets_by_hand():
    """Two targets are enough (df1 = 1): the six ICCs and intervals written out from the mean squares."""
    x = np.array([[1.0, 2.0, 4.0], [6.0, 8.0, 7.0]])
    d = pd.DataFrame({"t": np.repeat([1, 2], 3), "r": ["a", "b", "c"] * 2, "s": x.ravel()})
    r = sa.icc(d, "t", "r", "s").set_index("Type")
    assert (r["reason"] == "").all() and (r["n"] == 2).all() and (r["df1"] == 1).all()
    for t, v in _icc_values_by_hand(x).items():
        assert r.loc[t, "ICC"] == pytest.approx(v, abs=1e-12), t
    for t, (lo, hi) in _icc_by_hand(x, 0.95).items():
        assert (r.loc[t, "ci_low"], r.loc[t, "ci_high"]) == pytest.approx((lo, hi), abs=1e-9), t


def test_icc_is_free_of_the_rating_scale(sf_long):
    """Ratings divided by 10 (mean squares below 1: MSW 0.0626, MSE 0.0102) give the published ICCs and
    intervals of the Shrout-Fleiss data (R psych::ICC: lower bounds -0.133 0.019 0.342 -0.884 0.071 0.676)."""
    r = sa.icc(sf_long.assign(score=sf_long.score / 10), "target", "judge", "score").set_index("Type")
    assert r["ICC"].round(6).tolist() == [0.165742, 0.289764, 0.714841, 0.442797, 0.620051, 0.909316]
    assert r["ci_low"].round(3).tolist() == [-0.133, 0.019, 0.342, -0.884, 0.071, 0.676]
    assert r["ci_high"].round(2).tolist() == [0.72, 0.76, 0.95, 0.91, 0.93, 0.99]


@pytest.mark.parametrize("dtype", ["float64", "Int64"])
def test_icc_of_perfect_agreement_is_one(dtype):
    """Every rater gives each target the same rating: MSW = MSE = 0, so each ICC is MSR/MSR = 1 (not the 0/0
    case, which needs MSR = 0 too); nullable integer ratings (pandas "Int64") are read as numbers."""
    d = pd.DataFrame({"t": np.repeat([1, 2, 3, 4], 3), "r": ["a", "b", "c"] * 4,
                      "s": np.repeat([1, 2, 4, 7], 3)}).astype({"s": dtype})
    with np.errstate(divide="ignore", invalid="ignore"):
        r = sa.icc(d, "t", "r", "s").set_index("Type")
    assert r["ICC"].tolist() == [1.0] * 6 and (r["reason"] == "").all()
    assert (r.loc[["ICC1k", "ICC3k"], ["ci_low", "ci_high"]] == 1.0).all().all()  # 1 - 1/F with F infinite


def test_icc_counts_the_first_of_repeated_ratings(sf_long):
    """A judge's second rating of the same target is ignored: the published values stand."""
    again = pd.DataFrame({"target": [1], "judge": ["J1"], "score": [1.0]})  # J1 first gave target 1 a 9
    r = sa.icc(pd.concat([sf_long, again]), "target", "judge", "score").set_index("Type")
    assert r["ICC"].round(6).tolist() == [0.165742, 0.289764, 0.714841, 0.442797, 0.620051, 0.909316]


def test_icc_undefined_rows_keep_their_descriptions_and_float_columns():
    numeric = ["ICC", "F", "df1", "df2", "p_value", "ci_low", "ci_high", "df_ci", "n", "k"]
    small = sa.icc(pd.DataFrame({"t": [1, 2, 3], "r": ["a"] * 3, "s": [1.0, 2.0, 3.0]}), "t", "r", "s")
    flat = sa.icc(pd.DataFrame({"t": np.repeat([1, 2, 3], 2), "r": ["a", "b"] * 3, "s": 4.0}), "t", "r", "s")
    for r in (small, flat):
        assert r["Description"].tolist() == [
            "Single raters absolute (one-way random)",
            "Single random raters (two-way random, absolute agreement)",
            "Single fixed raters (two-way mixed, consistency)", "Average raters absolute (one-way random)",
            "Average random raters (two-way random, absolute agreement)",
            "Average fixed raters (two-way mixed, consistency)"]
        assert (r[numeric].dtypes == "float64").all()


def test_wilcoxon_bootstrap_needs_two_pairs_and_starts_at_two():
    """One pair: r = 1 and no interval (every resample is that pair); two pairs (differences 1 and -2, r = -1/3):
    the percentile interval of the resamples, computed by a loop."""
    one = sa.wilcoxon_signed_rank([2.0], [1.0], n_boot=200)
    assert one.estimate == 1.0 and math.isnan(one.ci_low) and math.isnan(one.ci_high)
    two = sa.wilcoxon_signed_rank([2.0, 1.0], [1.0, 3.0], n_boot=200, seed=3, confidence=0.5)
    d = np.array([1.0, -2.0])
    boot = np.array([_rbc(d[i]) for i in np.random.default_rng(3).integers(0, 2, size=(200, 2))])
    assert two.estimate == pytest.approx(-1 / 3)
    assert (two.ci_low, two.ci_high) == pytest.approx(tuple(np.quantile(boot, [0.25, 0.75])), abs=1e-12)
