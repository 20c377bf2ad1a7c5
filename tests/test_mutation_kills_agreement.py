"""Tests written to kill the mutants of helpers.stats.agreement's coefficient kernels and interval rules that
survived (docs/mutation/agreement.md).

Second implementations: statsmodels ``cohens_kappa`` (its standard error of weighted kappa, Fleiss, Cohen &
Everitt 1969, equals irrCAC's linearisation), statsmodels ``proportion_confint(method="beta")`` (Clopper-Pearson),
the ``krippendorff`` package; otherwise the published formulas written out here (percent agreement and
Brennan-Prediger: ``se = sqrt(p_a (1 - p_a) / n) / (1 - p_e)``; Gwet 2014, ch. 5).
"""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.inter_rater import cohens_kappa
from statsmodels.stats.proportion import proportion_confint

from helpers.datasets import REFERENCE_DIR
from helpers.stats import agreement as ag

GWET = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])


@pytest.fixture(scope="module")
def anxiety() -> np.ndarray:
    """R irr's anxiety data, rater 2 x rater 3 on the full scale 1-6 (level 5 unused by both)."""
    d = pd.read_csv(REFERENCE_DIR / "irr_anxiety.csv")
    return ag.contingency_table(d.rater2, d.rater3, categories=range(1, 7))[0]


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_kappa_standard_errors_equal_statsmodels(anxiety, weights):
    for t in (GWET, anxiety):
        sm = cohens_kappa(t, wt=weights or None)
        name = "cohen_kappa" + (f"_{weights}" if weights else "")
        assert float(ag.table_coefficients(t, which=(name,))[name]) == pytest.approx(sm.kappa, abs=1e-12)
        assert ag.analytic_se(name, t) == pytest.approx(sm.std_kappa, rel=1e-9)


def test_percent_agreement_and_brennan_prediger_standard_errors_by_hand():
    n, pa = 100, 0.89
    assert ag.analytic_se("percent_agreement", GWET) == pytest.approx(math.sqrt(pa * (1 - pa) / n), rel=1e-12)
    assert ag.analytic_se("brennan_prediger", GWET) == pytest.approx(math.sqrt(pa * (1 - pa) / n) / (1 - 1 / 3),
                                                                     rel=1e-12)
    with pytest.raises(ValueError, match="no analytic standard error for 'krippendorff_alpha_nominal'"):
        ag.analytic_se("krippendorff_alpha_nominal", GWET)
    assert math.isnan(ag.analytic_se("cohen_kappa", np.array([[1, 0], [0, 0]])))  # one pair
    assert math.isnan(ag.analytic_se("gwet_ac1", np.array([[5]])))  # one category


@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_agreement_from_table_interval_by_hand(confidence):
    r = ag.agreement_from_table("gwet_ac1", GWET, confidence=confidence)
    q = stats.t.ppf(1 - (1 - confidence) / 2, 99)
    assert r.estimate == pytest.approx(0.8493305, abs=1e-7) and r.se == pytest.approx(0.04322, abs=5e-6)
    assert (r.ci_low, r.ci_high) == pytest.approx((r.estimate - q * r.se, r.estimate + q * r.se), abs=1e-12)
    assert (r.statistic, r.n, r.reason, r.ci_method) == ("gwet_ac1", 100, "", "analytic (Gwet)")


def test_agreement_from_table_undefined_and_no_interval_returns():
    k = ag.agreement_from_table("krippendorff_alpha_nominal", GWET)
    assert k.estimate == pytest.approx(0.7972585, abs=1e-7) and math.isnan(k.ci_low) and math.isnan(k.ci_high)
    assert (k.n, k.reason) == (100, "no analytic interval: use the bootstrap")
    one = ag.agreement_from_table("cohen_kappa", np.array([[4, 0], [0, 0]]))
    assert math.isnan(one.estimate) and one.n == 4 and one.reason.startswith("every answer is in one category")
    single = ag.agreement_from_table("percent_agreement", np.array([[1, 0], [0, 0]]))
    assert single.estimate == 1.0 and single.n == 1 and math.isnan(single.ci_high)
    assert single.reason == "interval undefined with fewer than two pairs"


@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_clopper_pearson_and_korn_graubard_at_any_level(confidence):
    for x, n in ((0, 12), (3, 12), (12, 12), (7.5, 19.2)):
        ref = proportion_confint(x, n, alpha=1 - confidence, method="beta") if float(x).is_integer() else (
            stats.beta.ppf((1 - confidence) / 2, x, n - x + 1), stats.beta.ppf(1 - (1 - confidence) / 2, x + 1, n - x))
        assert ag.clopper_pearson(x, n, confidence) == pytest.approx(tuple(np.nan_to_num(ref, nan=0.0)), abs=1e-12)
    assert ag.clopper_pearson(0, 12)[0] == 0.0 and ag.clopper_pearson(12, 12)[1] == 1.0
    assert all(math.isnan(v) for v in ag.clopper_pearson(0, 0))
    p, var = 0.75, 0.01  # n_eff = 0.75 * 0.25 / 0.01 = 18.75
    lo, hi, n_eff = ag.korn_graubard(p, var, 40, confidence)
    assert n_eff == pytest.approx(18.75) and (lo, hi) == pytest.approx(ag.clopper_pearson(p * 18.75, 18.75,
                                                                                           confidence))
    assert all(math.isnan(v) for v in ag.korn_graubard(math.nan, 0.01, 40))
    assert all(math.isnan(v) for v in ag.korn_graubard(0.5, 0.01, 0))
    assert ag.korn_graubard(0.0, 0.0, 30)[2] == 30.0


def test_weight_matrix_names_and_a_single_category():
    assert (ag.weight_matrix(3, "nominal") == np.eye(3)).all() and (ag.weight_matrix(3, "unweighted") == np.eye(3)).all()
    assert ag.weight_matrix(4, "quadratic")[0].tolist() == pytest.approx([1, 1 - 1 / 9, 1 - 4 / 9, 0])
    assert ag.weight_matrix(1, "linear").tolist() == [[1.0]]
    with pytest.raises(ValueError, match="weights must be None, 'linear' or 'quadratic', not 'cubic'"):
        ag.weight_matrix(3, "cubic")


def test_krippendorff_metrics_against_the_krippendorff_package():
    """Two raters on a ratio and an interval scale with values 1, 2, 4, 8: alpha from the table's coincidences
    equals the krippendorff package on the raw pairs."""
    a = np.array([1, 2, 4, 8, 8, 2, 1, 4, 2, 8, 4, 1])
    b = np.array([1, 4, 4, 8, 4, 2, 2, 4, 1, 8, 8, 1])
    vals = np.array([1.0, 2.0, 4.0, 8.0])
    t = ag.contingency_table(a, b, categories=vals)[0]
    o = (t + t.T).astype(float)
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ours = float(ag.alpha_from_coincidence(o, ag.krippendorff_metric(level, o.sum(-1), vals)))
        theirs = krippendorff.alpha(np.vstack([a, b]).astype(float), level_of_measurement=level)
        assert ours == pytest.approx(theirs, abs=1e-12), level
    with pytest.raises(ValueError, match="level must be nominal, ordinal, interval or ratio, not 'log'"):
        ag.krippendorff_metric("log", o.sum(-1), vals)
    assert ag.krippendorff_metric("ratio", np.ones(2), np.array([0.0, 0.0])).tolist() == [[0, 0], [0, 0]]


def test_table_coefficients_interval_metric_uses_the_category_values():
    """Krippendorff's interval alpha on values 1, 2, 4, 8 differs from the one on positions 0-3."""
    t = np.array([[3, 1, 0, 0], [1, 2, 1, 0], [0, 1, 3, 1], [0, 0, 1, 4]])
    a = np.repeat(np.arange(4), t.sum(1))
    b = np.concatenate([np.repeat(np.arange(4), row) for row in t])
    vals = np.array([1.0, 2.0, 4.0, 8.0])
    got = ag.table_coefficients(t, values=vals, which=("krippendorff_alpha_interval",))
    ref = krippendorff.alpha(np.vstack([vals[a], vals[b]]), level_of_measurement="interval")
    assert float(got["krippendorff_alpha_interval"]) == pytest.approx(ref, abs=1e-12)
    assert list(got) == ["krippendorff_alpha_interval"]


@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_bootstrap_interval_percentile_by_hand(confidence):
    b = np.r_[np.random.default_rng(4).normal(size=300), np.nan]
    lo, hi, used = ag.bootstrap_interval(0.1, b, confidence=confidence, method="percentile")
    q = (1 - confidence) / 2
    assert (lo, hi) == pytest.approx(tuple(np.quantile(b[:-1], [q, 1 - q])), abs=1e-12)
    assert used == "bootstrap percentile"
    assert ag.bootstrap_interval(math.nan, b)[2] == "" and math.isnan(ag.bootstrap_interval(0.1, b[:1])[0])


def test_agreement_from_table_defaults_fields_and_two_pairs():
    r = ag.agreement_from_table("gwet_ac1", GWET)  # default level 0.95
    q = stats.t.ppf(0.975, 99)
    assert (r.ci_low, r.ci_high) == pytest.approx((r.estimate - q * r.se, r.estimate + q * r.se), abs=1e-12)
    two = ag.agreement_from_table("percent_agreement", np.array([[1, 1], [0, 0]]))  # two pairs: an interval
    se = math.sqrt(0.5 * 0.5 / 2)
    assert (two.estimate, two.se, two.n) == (0.5, pytest.approx(se), 2)
    assert (two.ci_low, two.ci_high) == pytest.approx((0.5 - stats.t.ppf(0.975, 1) * se, min(1.0, 0.5 + stats.t.ppf(0.975, 1) * se)))
    one = ag.agreement_from_table("cohen_kappa", np.array([[4, 0], [0, 0]]))
    assert one.statistic == "cohen_kappa" and math.isnan(one.ci_low) and math.isnan(one.ci_high)
    single = ag.agreement_from_table("percent_agreement", np.array([[1, 0], [0, 0]]))
    assert single.statistic == "percent_agreement" and math.isnan(single.se)
    pinned = ag.agreement_from_table("cohen_kappa", np.array([[0, 0], [1, 39]]))
    assert pinned.statistic == "cohen_kappa" and 0 <= pinned.se <= ag.MIN_SE and pinned.ci_method == ""
    assert pinned.reason == ag.pinned_reason("cohen_kappa", np.array([[0, 0], [1, 39]]))
    vals = np.array([1.0, 2.0, 4.0])
    k = ag.agreement_from_table("krippendorff_alpha_interval", GWET, values=vals)
    a = np.repeat(np.arange(3), GWET.sum(1))
    b = np.concatenate([np.repeat(np.arange(3), row) for row in GWET])
    ref = krippendorff.alpha(np.vstack([vals[a], vals[b]]), level_of_measurement="interval")
    assert k.statistic == "krippendorff_alpha_interval" and k.estimate == pytest.approx(ref, abs=1e-12)


def test_korn_graubard_edges_fall_back_to_n():
    """Without a usable variance (0) or at p = 0 or 1 the effective size is n; n may be below 1."""
    for p, var in ((0.5, 0.0), (0.0, 0.01), (1.0, 0.01)):
        lo, hi, n_eff = ag.korn_graubard(p, var, 30)
        assert n_eff == 30.0 and (lo, hi) == pytest.approx(ag.clopper_pearson(p * 30, 30))
    assert ag.korn_graubard(0.5, 0.0, 0.5)[2] == 0.5


def test_analytic_se_of_ac1_on_two_categories_and_of_a_single_category():
    """Gwet (2014, ch. 5) linearised variance written out for a 2 x 2 table; with one category Brennan-Prediger's
    chance agreement is 1 and there is no standard error."""
    t = np.array([[40, 5], [3, 12]])
    n, p = 60, t / 60
    m = (p.sum(0) + p.sum(1)) / 2
    pe = 2 / 2 * (m * (1 - m)).sum()
    pa = np.trace(p)
    theta = (pa - pe) / (1 - pe)
    u = 2 * (1 - m) / 2
    s1 = (p * (np.eye(2) - (1 - theta) * (u[:, None] + u[None, :])) ** 2).sum()
    se = math.sqrt((s1 - (pa - 2 * (1 - theta) * pe) ** 2) / (n * (1 - pe) ** 2))
    assert ag.analytic_se("gwet_ac1", t) == pytest.approx(se, rel=1e-12)
    assert math.isnan(ag.analytic_se("brennan_prediger", np.array([[3]])))
    assert math.isnan(ag.analytic_se("cohen_kappa", np.array([[5, 0], [0, 0]])))  # chance agreement 1: 0/0


# --- second part of the run (docs/mutation/agreement.md, "second part") ----------------------------------------

BOOT = np.random.default_rng(11).gamma(2.0, 0.1, 400)  # skewed replicates, estimate 0.17 inside them
JACK = 0.2 + np.random.default_rng(12).gamma(1.5, 0.01, 30)  # skewed leave-one-out values: acceleration != 0


def _bca_by_hand(est: float, b: np.ndarray, jack: np.ndarray, confidence: float,
                 weights: np.ndarray | None = None) -> tuple[float, float]:
    """Efron (1987) / Efron & Tibshirani (1993, eq. 14.10-14.15): z0 = Phi^-1(share of replicates below the
    estimate, ties half), a = sum w d^3 / (6 (sum w d^2)^1.5), d = mean(jack) - jack (a = 0 without spread);
    the bounds are the replicates' quantiles Phi(z0 + (z0 + z)/(1 - a (z0 + z)))."""
    w = np.ones_like(jack) if weights is None else weights
    z0 = stats.norm.ppf((np.sum(b < est) + 0.5 * np.sum(b == est)) / b.size)
    d = np.average(jack, weights=w) - jack
    s2 = np.sum(w * d**2)
    acc = np.sum(w * d**3) / (6 * s2**1.5) if s2 > 0 else 0.0
    z = stats.norm.ppf([(1 - confidence) / 2, 1 - (1 - confidence) / 2])
    return tuple(np.quantile(b, stats.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z)))))


def test_bootstrap_interval_defaults_to_95_percent_bca_with_equal_jackknife_weights():
    lo, hi, used = ag.bootstrap_interval(0.17, BOOT, JACK)
    assert used == "bootstrap bca"
    assert (lo, hi) == pytest.approx(_bca_by_hand(0.17, BOOT, JACK, 0.95), abs=1e-12)
    assert (lo, hi) != pytest.approx(tuple(np.quantile(BOOT, [0.025, 0.975])), abs=1e-3)  # BCa moved them


def test_bootstrap_interval_bca_with_a_constant_or_a_two_value_jackknife():
    """A jackknife without spread has no acceleration (a = 0: the bias-corrected percentile interval); two
    usable jackknife values are enough. (0.25: its mean is exact in floating point, so d = 0 exactly.)"""
    flat = np.full(30, 0.25)
    assert ag.bootstrap_interval(0.17, BOOT, flat, confidence=0.9)[:2] == pytest.approx(
        _bca_by_hand(0.17, BOOT, flat, 0.9), abs=1e-12)
    two = np.r_[0.18, np.nan, 0.21]
    lo, hi, used = ag.bootstrap_interval(0.17, BOOT, two, confidence=0.9)
    assert used == "bootstrap bca"
    assert (lo, hi) == pytest.approx(_bca_by_hand(0.17, BOOT, np.array([0.18, 0.21]), 0.9), abs=1e-12)


def test_bootstrap_interval_falls_back_to_the_percentile_interval():
    """Percentile whenever asked, or without a jackknife, or with the estimate outside every replicate (z0
    infinite), or with fewer than two usable jackknife values; two replicates are enough for an interval."""
    pct = tuple(np.quantile(BOOT, [0.05, 0.95]))
    for est, jack, method in ((0.17, JACK, "percentile"), (0.17, None, "bca"), (-1.0, JACK, "bca"),
                              (5.0, JACK, "bca"), (0.17, np.r_[0.2, np.nan, np.nan], "bca")):
        lo, hi, used = ag.bootstrap_interval(est, BOOT, jack, confidence=0.9, method=method)
        assert (lo, hi, used) == (pytest.approx(pct[0], abs=1e-12), pytest.approx(pct[1], abs=1e-12),
                                  "bootstrap percentile"), (est, method)
    lo, hi, _ = ag.bootstrap_interval(0.5, np.array([0.2, np.nan, 0.6]), method="percentile")
    assert (lo, hi) == pytest.approx((0.2 + 0.025 * 0.4, 0.6 - 0.025 * 0.4))


def test_ratio_metric_where_a_pair_sums_to_one():
    """delta = ((c - k)/(c + k))^2 on values 0, 1, 3: (0, 1) gives 1, (1, 3) gives 1/4, (0, 3) gives 1."""
    got = ag.krippendorff_metric("ratio", np.ones(3), np.array([0.0, 1.0, 3.0]))
    assert got.ravel().tolist() == pytest.approx([0, 1, 1, 1, 0, 0.25, 1, 0.25, 0])
    a = np.array([0, 1, 3, 1, 0, 3, 1, 1])
    b = np.array([1, 1, 3, 3, 0, 3, 0, 1])
    t = ag.contingency_table(a, b, categories=[0, 1, 3])[0]
    o = (t + t.T).astype(float)
    ours = float(ag.alpha_from_coincidence(o, ag.krippendorff_metric("ratio", o.sum(-1), np.array([0.0, 1, 3]))))
    assert ours == pytest.approx(krippendorff.alpha(np.vstack([a, b]).astype(float), level_of_measurement="ratio"),
                                 abs=1e-12)


def test_two_category_table_by_hand_and_against_statsmodels():
    """Yes/no: Brennan-Prediger (p_a - 1/2)/(1/2); AC1 with p_e = 2 m_1 m_2 (Gwet 2008); linear weights on two
    categories are the identity, so the linear kappa and AC2 equal kappa and AC1 (statsmodels agrees)."""
    t = np.array([[40, 5], [3, 12]])
    pa = 52 / 60
    m1 = (45 / 60 + 43 / 60) / 2
    ac1 = (pa - 2 * m1 * (1 - m1)) / (1 - 2 * m1 * (1 - m1))
    r = ag.table_coefficients(t)
    assert float(r["brennan_prediger"]) == pytest.approx((pa - 0.5) / 0.5, abs=1e-12)
    assert float(r["gwet_ac1"]) == pytest.approx(ac1, abs=1e-12)
    assert float(r["gwet_ac2_linear"]) == pytest.approx(ac1, abs=1e-12)
    assert float(r["cohen_kappa_linear"]) == pytest.approx(cohens_kappa(t, wt="linear").kappa, abs=1e-12)
    assert float(r["cohen_kappa_linear"]) == pytest.approx(cohens_kappa(t).kappa, abs=1e-12)
    assert ag.weight_matrix(2, "linear").tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert (ag.weight_matrix(3, "identity") == np.eye(3)).all()


def test_ac2_asked_alone_by_hand():
    """Gwet's AC2, linear weights, on Gwet's table: p_a = sum w p, p_e = T_w/(K(K-1)) sum m(1-m)."""
    p = GWET / GWET.sum()
    w = ag.weight_matrix(3, "linear")
    m = (p.sum(0) + p.sum(1)) / 2
    pa, pe = (w * p).sum(), w.sum() / 6 * (m * (1 - m)).sum()
    got = ag.table_coefficients(GWET, which=("gwet_ac2_linear",))
    assert list(got) == ["gwet_ac2_linear"] and float(got["gwet_ac2_linear"]) == pytest.approx((pa - pe) / (1 - pe))


def test_table_coefficients_of_a_batch_an_empty_and_a_one_category_table():
    """A batch (B, K, K) of asymmetric tables gives each table's own values (Krippendorff's alpha as the
    krippendorff package on the raw pairs); an empty table gives NaN; one category: agreement 1, the rest NaN."""
    tables = np.array([[[5, 3, 0], [0, 4, 1], [1, 0, 6]], [[2, 0, 4], [1, 7, 0], [0, 2, 3]], np.zeros((3, 3))])
    batch = ag.table_coefficients(tables)
    for i, t in enumerate(tables[:2]):
        a = np.repeat(np.arange(3), t.sum(1).astype(int))
        b = np.concatenate([np.repeat(np.arange(3), row.astype(int)) for row in t])
        for level in ("nominal", "ordinal", "interval"):
            assert batch[f"krippendorff_alpha_{level}"][i] == pytest.approx(
                krippendorff.alpha(np.vstack([a, b]).astype(float), level_of_measurement=level), abs=1e-12)
        assert batch["cohen_kappa"][i] == pytest.approx(cohens_kappa(t).kappa, abs=1e-12)
    assert all(np.isnan(v[2]) for v in batch.values())
    one = ag.table_coefficients(np.array([[7]]))
    assert float(one["percent_agreement"]) == 1.0
    assert all(np.isnan(float(v)) for name, v in one.items() if name != "percent_agreement")


@pytest.mark.parametrize("statistic", ["cohen_kappa", "gwet_ac1", "percent_agreement", "brennan_prediger"])
def test_analytic_interval_is_closed_at_one_as_irrcac_publishes_it(statistic):
    # 20 pairs, one disagreement: est + t_19 se passes 1 for every coefficient; irrCAC reports min(1, ...)
    t = np.array([[9, 1], [0, 10]])
    r = ag.agreement_from_table(statistic, t)
    q = stats.t.ppf(0.975, 19)
    assert r.estimate + q * r.se > 1 and r.ci_high == 1.0
    assert r.ci_low == pytest.approx(r.estimate - q * r.se, abs=1e-12)
