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
    assert (two.ci_low, two.ci_high) == pytest.approx((0.5 - stats.t.ppf(0.975, 1) * se, 0.5 + stats.t.ppf(0.975, 1) * se))
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
