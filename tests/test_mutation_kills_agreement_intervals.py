"""Tests written to kill the mutants of helpers.stats.agreement's interval tables and small helpers that survived
(entry ``agreement_intervals``: ``table_intervals``, ``_percent_agreement_interval``, ``bootstrap_table_ci``,
``_ratio``, ``contingency_table``, ``table_from_codes``, ``sort_key``, ``_values``, ``_difference``, ``as_count``;
docs/mutation/agreement_intervals.md).

Second implementations: the ``krippendorff`` package (alpha of every resample and of every leave-one-pair-out
sample of the raw pairs), scipy ``binomtest(...).proportion_ci(method="exact")`` and statsmodels
``proportion_confint(method="beta")`` (Clopper-Pearson, also at a non-integer effective n), a plain row bootstrap
of the pairs written out here, and the published formulas (BCa: Efron & Tibshirani 1993, eq. 14.10-14.15;
Korn & Graubard 1998: Clopper-Pearson at ``n_eff = p (1 - p) / var``).
"""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint

from helpers.stats import agreement as ag

COLUMNS = ["statistic", "estimate", "ci_low", "ci_high", "n", "se", "reason", "ci_method", "undefined_share"]
VALUES = np.array([0.0, 1.0, 5.0])  # unequal spacing: the interval alpha on values differs from the one on positions
PICK = ("percent_agreement", "cohen_kappa", "krippendorff_alpha_interval")
# 30 pairs of answers on the positions 0, 1, 2 of VALUES (rater A, rater B)
A = np.array([0, 0, 1, 1, 2, 2, 0, 1, 2, 2, 1, 0, 2, 1, 1, 0, 2, 2, 1, 0, 0, 1, 2, 2, 1, 1, 0, 2, 1, 2])
B = np.array([0, 1, 1, 1, 2, 1, 0, 1, 2, 2, 0, 0, 2, 2, 1, 0, 1, 2, 1, 1, 0, 1, 2, 0, 1, 2, 0, 2, 1, 2])


def _table(a: np.ndarray, b: np.ndarray, w: np.ndarray | None = None, k: int = 3) -> np.ndarray:
    """The K x K table of the pairs (rows A, columns B), weighted by ``w``, tallied one pair at a time."""
    t = np.zeros((k, k))
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        t[x, y] += 1.0 if w is None else w[i]
    return t


def _alpha(a: np.ndarray, b: np.ndarray) -> float:
    """Krippendorff's interval alpha of the raw pairs on VALUES (the krippendorff package)."""
    return float(krippendorff.alpha(np.vstack([VALUES[a], VALUES[b]]), level_of_measurement="interval"))


@pytest.fixture(scope="module")
def row_bootstrap():
    """A plain row bootstrap of the 30 pairs (200 resamples): the resampled tables, and per resample the
    share of agreeing pairs and the package's interval alpha; plus the leave-one-pair-out alphas."""
    idx = np.random.default_rng(5).integers(0, A.size, (200, A.size))
    tables = np.stack([_table(A[i], B[i]) for i in idx])
    pct = np.array([np.mean(A[i] == B[i]) for i in idx])
    alpha = np.array([_alpha(A[i], B[i]) for i in idx])
    jack = np.array([_alpha(np.delete(A, j), np.delete(B, j)) for j in range(A.size)])
    return tables, pct, alpha, jack


def _bca(est: float, b: np.ndarray, jack: np.ndarray, confidence: float) -> tuple[float, float]:
    """BCa (Efron & Tibshirani 1993, eq. 14.10-14.15) with the n leave-one-pair-out values."""
    z0 = stats.norm.ppf((np.sum(b < est) + 0.5 * np.sum(b == est)) / b.size)
    d = jack.mean() - jack
    acc = np.sum(d**3) / (6 * np.sum(d**2) ** 1.5)
    z = stats.norm.ppf([(1 - confidence) / 2, 1 - (1 - confidence) / 2])
    return tuple(np.quantile(b, stats.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z)))))


def test_table_intervals_bca_on_category_values_by_hand(row_bootstrap):
    """Pairs resampled as units, BCa by default: interval alpha on the values 0, 1, 5 (estimate, resamples and
    jackknife from the krippendorff package), Clopper-Pearson for percent agreement (scipy), the bootstrap
    standard errors (sd of the resamples, ddof 1), only the coefficients asked for."""
    tables, pct, alpha, jack = row_bootstrap
    t = _table(A, B)
    res = ag.table_intervals(t, tables, 30, VALUES, which=PICK)
    assert list(res.columns) == COLUMNS and list(res.statistic) == list(PICK)
    r = res.set_index("statistic")
    est = _alpha(A, B)
    row = r.loc["krippendorff_alpha_interval"]
    assert row.estimate == pytest.approx(est, abs=1e-12)
    assert (row.ci_low, row.ci_high) == pytest.approx(_bca(est, alpha, jack, 0.95), abs=1e-12)
    assert row.ci_method == "bootstrap bca" and row.reason == "" and row.undefined_share == 0.0
    assert row.se == pytest.approx(np.std(alpha, ddof=1), abs=1e-12)
    p = r.loc["percent_agreement"]
    x = int(np.sum(A == B))
    ci = binomtest(x, 30).proportion_ci(0.95, method="exact")
    assert (p.estimate, p.ci_low, p.ci_high) == pytest.approx((x / 30, ci.low, ci.high), abs=1e-12)
    assert p.ci_method == "exact (Clopper-Pearson)" and p.reason == "" and p.undefined_share == 0.0
    assert p.se == pytest.approx(np.std(pct, ddof=1), abs=1e-12)
    assert p.n == 30 and isinstance(p.n, int | np.integer)
    assert r.loc["cohen_kappa", "ci_method"] == "bootstrap bca"


def test_table_intervals_percentile_at_90_percent_by_hand(row_bootstrap):
    tables, _, alpha, _ = row_bootstrap
    r = ag.table_intervals(_table(A, B), tables, 30, VALUES, confidence=0.9, method="percentile",
                           which=PICK).set_index("statistic")
    row = r.loc["krippendorff_alpha_interval"]
    assert (row.ci_low, row.ci_high) == pytest.approx(tuple(np.quantile(alpha, [0.05, 0.95])), abs=1e-12)
    assert row.ci_method == "bootstrap percentile"
    ci = binomtest(int(np.sum(A == B)), 30).proportion_ci(0.9, method="exact")
    assert (r.loc["percent_agreement", "ci_low"], r.loc["percent_agreement", "ci_high"]) == pytest.approx(
        (ci.low, ci.high), abs=1e-12)


def test_bootstrap_table_ci_passes_values_level_and_exact_switch():
    """bootstrap_table_ci: alpha on the given values (package), the percent agreement interval at the level
    asked (scipy), and a bootstrap interval for percent agreement when the exact one is switched off."""
    t = _table(A, B).astype(int)
    r = ag.bootstrap_table_ci(t, VALUES, 300, 2, 0.9, which=PICK).set_index("statistic")
    assert r.loc["krippendorff_alpha_interval", "estimate"] == pytest.approx(_alpha(A, B), abs=1e-12)
    ci = binomtest(int(np.sum(A == B)), 30).proportion_ci(0.9, method="exact")
    assert (r.loc["percent_agreement", "ci_low"], r.loc["percent_agreement", "ci_high"]) == pytest.approx(
        (ci.low, ci.high), abs=1e-12)
    off = ag.bootstrap_table_ci(t, VALUES, 300, 2, which=PICK, exact_percent_agreement=False)
    assert off.set_index("statistic").loc["percent_agreement", "ci_method"] == "bootstrap bca"


def test_bootstrap_table_ci_defaults_are_2000_resamples_seed_0_bca():
    t = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    pd.testing.assert_frame_equal(ag.bootstrap_table_ci(t, which=PICK[:2]),
                                  ag.bootstrap_table_ci(t, None, 2000, 0, 0.95, "bca", PICK[:2]))
    d = ag.table_intervals(t, ag.resample_tables(t, 50, np.random.default_rng(0)), 100,
                           which=PICK[:2]).set_index("statistic")
    assert d.loc["cohen_kappa", "ci_method"] == "bootstrap bca"  # default method bca, default resampling pairs
    assert d.loc["percent_agreement", "ci_method"] == "exact (Clopper-Pearson)"


@pytest.mark.parametrize("resampling, label", [("pairs", "bootstrap"),
                                               ("pairs within strata", "pairs within strata bootstrap")])
def test_korn_graubard_for_weighted_pairs_by_hand(resampling, label):
    """Design-weighted pairs: Clopper-Pearson (statsmodels' beta method) at n_eff = p (1 - p) / var with var the
    variance (ddof 1) of two weighted resamples' agreement shares; se of two resamples (ddof 1) is defined."""
    w = np.linspace(0.5, 2.0, A.size)
    rng = np.random.default_rng(8)
    idx = rng.integers(0, A.size, (2, A.size))
    boot = np.stack([_table(A[i], B[i], w[i]) for i in idx])
    shares = np.array([np.sum(w[i] * (A[i] == B[i])) / np.sum(w[i]) for i in idx])
    e = np.sum(w * (A == B)) / w.sum()
    r = ag.table_intervals(_table(A, B, w), boot, 30, VALUES, 0.9, which=PICK,
                           resampling=resampling).set_index("statistic")
    p = r.loc["percent_agreement"]
    var = np.var(shares, ddof=1)
    n_eff = e * (1 - e) / var
    lo, hi = proportion_confint(e * n_eff, n_eff, alpha=0.1, method="beta")
    assert (p.estimate, p.ci_low, p.ci_high) == pytest.approx((e, lo, hi), abs=1e-12)
    assert p.ci_method == f"Korn-Graubard (Clopper-Pearson at effective n from the {label})"
    assert p.reason == "" and p.n == 30 and p.se == pytest.approx(np.sqrt(var), abs=1e-12)
    assert r.loc["cohen_kappa", "ci_method"] == f"{label} percentile"
    assert r.loc["cohen_kappa", "se"] == pytest.approx(np.std([
        float(ag.table_coefficients(bt, which=("cohen_kappa",))["cohen_kappa"]) for bt in boot], ddof=1))


def test_korn_graubard_without_variance_in_the_resamples_uses_the_pairs():
    """Weighted resamples that never move (0 < p < 1): n_eff is unknown, so the interval of the 30 pairs."""
    w = np.linspace(0.5, 2.0, A.size)
    t = _table(A, B, w)
    e = np.sum(w * (A == B)) / w.sum()
    p = ag.table_intervals(t, np.stack([t, t, t]), 30, which=PICK).set_index("statistic").loc["percent_agreement"]
    lo, hi = proportion_confint(e * 30, 30, method="beta")
    assert (p.ci_low, p.ci_high) == pytest.approx((lo, hi), abs=1e-12)
    assert p.reason == "no variance in the resamples: effective n = pairs"
    one = ag.table_intervals(t, t[None], 30, which=PICK[:1]).iloc[0]  # one resample: no variance either
    assert (one.ci_low, one.ci_high) == pytest.approx((lo, hi), abs=1e-12) and one.reason == p.reason


@pytest.mark.parametrize("shift, real", [(1e-2, True), (1e-5, False)])
def test_korn_graubard_variance_threshold_is_a_standard_error_of_1e_6(shift, real):
    """Two weighted resamples whose agreement shares differ by ~0.007 shift: a variance of ~2e-9 (se 5e-5) is
    a variance (n_eff = p (1 - p) / var, statsmodels' beta interval there), one of ~2e-15 (se 5e-8, below
    MIN_SE = 1e-6) is rounding: the interval of the 30 pairs."""
    w = np.linspace(0.5, 2.0, A.size)
    t = _table(A, B, w)
    t2 = t.copy()
    t2[0, 0] += shift
    e = np.sum(w * (A == B)) / w.sum()
    shares = np.array([np.trace(x) / x.sum() for x in (t, t2)])
    var = np.var(shares, ddof=1)
    assert (1e-10 < var < 1e-8) if real else (1e-16 < var < 1e-14)
    p = ag.table_intervals(t, np.stack([t, t2]), 30, which=PICK[:1]).iloc[0]
    n_eff = e * (1 - e) / var if real else 30.0
    lo, hi = proportion_confint(e * n_eff, n_eff, method="beta")
    assert (p.ci_low, p.ci_high) == pytest.approx((lo, hi), abs=1e-9)
    assert p.reason == ("" if real else "no variance in the resamples: effective n = pairs")


def test_cluster_resampling_percent_agreement_percentile_by_hand():
    """Cluster resamples that move: percent agreement takes the percentile interval like the others."""
    rng = np.random.default_rng(9)
    idx = rng.integers(0, A.size, (100, A.size))
    boot = np.stack([_table(A[i], B[i]) for i in idx])
    pct = np.array([np.mean(A[i] == B[i]) for i in idx])
    p = ag.table_intervals(_table(A, B), boot, 30, which=PICK,
                           resampling="interviewer").set_index("statistic").loc["percent_agreement"]
    assert (p.ci_low, p.ci_high) == pytest.approx(tuple(np.quantile(pct, [0.025, 0.975])), abs=1e-12)
    assert p.ci_method == "interviewer bootstrap percentile" and p.reason == ""


def test_cluster_resampling_where_every_pair_agrees():
    """All 12 pairs agree: percent agreement gets Clopper-Pearson at the 12 pairs (90%: [0.05^(1/12), 1]);
    kappa is 1 in every resample: no interval (NaN, not None), se 0, the degeneracy reason, no method."""
    t = np.diag([5.0, 4.0, 3.0])
    r = ag.table_intervals(t, np.stack([t] * 4), 12, confidence=0.9, which=PICK[:2],
                           resampling="interviewer").set_index("statistic")
    p = r.loc["percent_agreement"]
    assert (p.ci_low, p.ci_high) == pytest.approx((0.05 ** (1 / 12), 1.0), abs=1e-12)
    assert p.ci_method == "exact (Clopper-Pearson) at the number of pairs"
    assert p.reason == ("every cluster resample gives the same value (all pairs agree): Clopper-Pearson interval "
                        "of independent pairs; the clustering by interviewer is not reflected")
    k = r.loc["cohen_kappa"]
    assert k.estimate == 1.0 and math.isnan(k.ci_low) and math.isnan(k.ci_high)
    assert k.n == 12 and k.se == 0.0 and k.ci_method == "" and k.undefined_share == 0.0
    assert k.reason.startswith("every resample gives the same value")
    alone = ag.table_intervals(t, np.stack([t] * 4), 12, which=("cohen_kappa",), resampling="interviewer")
    assert alone[["ci_low", "ci_high"]].dtypes.tolist() == [np.float64, np.float64]  # NaN, not None


def test_undefined_coefficient_row():
    """Every answer in one category: kappa is 0/0; its row is NaN (not None) with the reason, n kept."""
    t = np.array([[5.0, 0.0], [0.0, 0.0]])
    res = ag.table_intervals(t, ag.resample_tables(t, 20, np.random.default_rng(0)), 5, which=PICK[:2])
    assert list(res.columns) == COLUMNS
    k = res.set_index("statistic").loc["cohen_kappa"]
    assert all(math.isnan(v) for v in (k.estimate, k.ci_low, k.ci_high, k.undefined_share))
    assert k.n == 5 and k.reason.startswith("every answer is in one category (1 category used)")
    alone = ag.table_intervals(t, None, 5, which=("cohen_kappa",))
    assert alone[["estimate", "ci_low", "ci_high"]].dtypes.tolist() == [np.float64] * 3  # NaN, not None


@pytest.mark.parametrize("n, boot", [(40, None), (2, None), (1, "tables")])
def test_no_interval_without_resamples_or_with_one_pair(n, boot):
    t = {40: np.array([[20.0, 3.0], [2.0, 15.0]]), 2: np.array([[1.0, 0.0], [0.0, 1.0]]),
         1: np.array([[0.0, 1.0], [0.0, 0.0]])}[n]
    tables = None if boot is None else ag.resample_tables(t, 20, np.random.default_rng(0))
    res = ag.table_intervals(t, tables, n, which=PICK[:2])
    assert list(res.columns) == COLUMNS and list(res.statistic) == list(PICK[:2])
    for row in res.itertuples():
        assert math.isnan(row.ci_low) and math.isnan(row.ci_high) and math.isnan(row.undefined_share)
        assert row.n == n  # 40 pairs without resamples are not "fewer than two pairs" (the old reason said so)
        assert row.reason == ("no interval with fewer than two pairs" if n < 2 else "no resamples: no interval")


def test_two_pairs_are_enough_and_the_number_of_resamples_matters():
    """Two agreeing pairs: Clopper-Pearson [sqrt(0.025), 1] (R binom.test(2, 2)); no interval without
    resamples; one resample still gives the exact interval of percent agreement."""
    two = np.array([[1, 0], [0, 1]])
    p = ag.bootstrap_table_ci(two, n_boot=50, which=PICK[:1]).iloc[0]
    assert (p.ci_low, p.ci_high) == pytest.approx((math.sqrt(0.025), 1.0), abs=1e-12)
    t = np.array([[20, 3], [2, 15]])
    none = ag.bootstrap_table_ci(t, n_boot=0, which=PICK[:2])
    assert none.ci_low.isna().all() and none.ci_high.isna().all()
    one = ag.bootstrap_table_ci(t, n_boot=1, which=PICK[:1]).iloc[0]
    ci = binomtest(35, 40).proportion_ci(0.95, method="exact")
    assert (one.ci_low, one.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-12)


# --- small helpers ----------------------------------------------------------------------------------------------

def test_table_from_codes_by_hand():
    """Codes 0..3 (3 unused), -1 missing in either: only the complete pairs are counted, code 0 included."""
    a = np.array([0, 1, 2, -1, 0, 2, 0])
    b = np.array([0, 2, -1, 1, 1, 2, 0])
    want = np.zeros((4, 4), int)
    for x, y in ((0, 0), (1, 2), (0, 1), (2, 2), (0, 0)):
        want[x, y] += 1
    assert ag.table_from_codes(a, b, 4).tolist() == want.tolist()


def test_contingency_table_orders_numbers_then_labels_and_says_what_is_wrong():
    """Codes in numeric order (9 before 10), then text labels in alphabetical order ("don't know" answers)."""
    a = [10, 9, "dk", "refused", 1, "n/a", "b"]
    b = [9, 10, "dk", "refused", 1, "a", "c"]
    t, cats = ag.contingency_table(a, b)
    assert cats == [1, 9, 10, "a", "b", "c", "dk", "n/a", "refused"]
    assert t[1, 2] == 1 and t[2, 1] == 1 and t[0, 0] == 1 and t[7, 3] == 1
    assert ag.sort_key(np.int64(3)) == (0, 3.0) and ag.sort_key("x") == (1, "x")
    with pytest.raises(ValueError, match=r"^a and b must have the same length \(3 != 2\)$"):
        ag.contingency_table([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match=r"^answer 7 is not among categories \[1, 2\] \(codes and labels must "
                                         r"not be mixed\)$"):
        ag.contingency_table([1, 7], [1, 2], categories=[1, 2])


def test_as_count_leaves_what_is_not_a_number_alone():
    assert ag.as_count(None) is None and ag.as_count("40") == "40" and ag.as_count(40.0) == 40


def test_ratio_is_nan_at_or_below_the_threshold_and_difference_rule():
    """_ratio: NaN where |den| <= 1e-12 (also 1e-13 / 1e-13, which would be 1); _difference: a - b unless
    within 1e-10 max(|a|, |b|) (a variance of 1e-9 on sums of 0.01 is kept; 1e-11 on sums of 2 is rounding)."""
    out = ag._ratio(np.array([1e-13, 3.0, 1.0]), np.array([1e-13, 2.0, 0.0]))
    assert math.isnan(out[0]) and out[1] == 1.5 and math.isnan(out[2])
    assert ag._difference(0.01 + 1e-9, 0.01) == pytest.approx(1e-9, rel=1e-6)
    assert ag._difference(2.0 + 1e-11, 2.0) == 0.0
