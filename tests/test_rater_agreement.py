"""Agreement of raters on categorical answers (helpers.stats.rater_agreement and the table engine
helpers.stats.agreement): published reference values, library cross-checks, the table bootstrap, edge cases."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats import inter_rater as ir
from statsmodels.stats.contingency_tables import SquareTable

from helpers.datasets import REFERENCE_DIR
from helpers.stats import rater_agreement as ra
from helpers.stats.agreement import (
    COEFFICIENTS,
    alpha_from_coincidence,
    analytic_se,
    bootstrap_table_ci,
    contingency_table,
    krippendorff_metric,
    resample_tables,
    table_coefficients,
)

REF = REFERENCE_DIR


def ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


GWET = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])


# ----------------------------------------------------------------------------------------------
# published reference values
# ----------------------------------------------------------------------------------------------
def test_fleiss_1971():
    d = ref("fleiss_1971_diagnoses.csv").set_index("subject")
    r = ra.fleiss_kappa(d, n_boot=500, seed=3)
    assert r.estimate == pytest.approx(0.4302445, abs=1e-7)
    assert r.z == pytest.approx(17.65183, abs=1e-5)
    assert list(r.per_category.values()) == pytest.approx(
        [0.244755, 0.244755, 0.520000, 0.471127, 0.566118], abs=1e-6)
    assert r.ci_low < r.estimate < r.ci_high


def test_irr_anxiety_cohen_kappa_levels_that_occur():
    d = ref("irr_anxiety.csv")
    assert ra.cohen_kappa(d.rater2, d.rater3).estimate == pytest.approx(-0.006289308, abs=1e-9)
    assert ra.cohen_kappa(d.rater2, d.rater3, "linear").estimate == pytest.approx(
        0.1459075, abs=1e-7)
    assert ra.cohen_kappa(d.rater2, d.rater3, "quadratic").estimate == pytest.approx(
        0.2520325, abs=1e-7)


def test_irr_anxiety_full_scale_variant_matches_statsmodels_on_6x6():
    d = ref("irr_anxiety.csv")
    t = pd.crosstab(d.rater2, d.rater3).reindex(index=range(1, 7), columns=range(1, 7),
                                                fill_value=0).to_numpy()
    for w, wt in ((None, None), ("linear", "linear"), ("quadratic", "quadratic")):
        ours = ra.cohen_kappa(d.rater2, d.rater3, w, categories=range(1, 7)).estimate
        assert ours == pytest.approx(ir.cohens_kappa(t, wt=wt).kappa, abs=1e-12)
    # the unused level changes the weighted kappas, not the unweighted one
    assert ra.cohen_kappa(d.rater2, d.rater3, "linear", categories=range(1, 7)).estimate \
        == pytest.approx(0.1262136, abs=1e-7)
    assert ra.cohen_kappa(d.rater2, d.rater3, categories=range(1, 7)).estimate \
        == pytest.approx(-0.006289308, abs=1e-9)


@pytest.mark.parametrize("level,value", [("nominal", 0.743421), ("ordinal", 0.815388),
                                         ("interval", 0.849107), ("ratio", 0.797403)])
def test_krippendorff_2011(level, value):
    d = ref("krippendorff_2011.csv").set_index("unit").T  # raters x units
    r = ra.krippendorff_alpha(d, level, n_boot=300, seed=1)
    assert r.estimate == pytest.approx(value, abs=1e-6)
    assert r.ci_low <= r.ci_high


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_own_coincidence_equals_package(level):
    """The one coincidence kernel (used by the bootstrap and by table_coefficients) equals the package."""
    d = ref("krippendorff_2011.csv").set_index("unit").T.to_numpy(float)
    counts, cats = ra.rating_counts(d.T)
    c = counts[counts.sum(1) >= 2]
    m = c.sum(1)
    o = ((c[:, :, None] * c[:, None, :] - c[:, :, None] * np.eye(len(cats)))
         / (m - 1)[:, None, None]).sum(0)
    ours = float(alpha_from_coincidence(o, krippendorff_metric(level, o.sum(-1), np.asarray(cats, float))))
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=d,
                                                    level_of_measurement=level), abs=1e-12)


def test_krippendorff_result_is_an_agreement_with_pairable_values():
    d = ref("krippendorff_2011.csv").set_index("unit").T
    r = ra.krippendorff_alpha(d, "nominal", n_boot=0)
    assert r.statistic == "krippendorff_alpha_nominal" and r.n == 11 and r.n_pairable_values == 40  # n.. = 40 in the paper
    assert r.to_dict()["estimate"] == r.estimate


def test_gwet_cont3x3abstractors_all_coefficients():
    c = {k: float(v) for k, v in table_coefficients(GWET).items()}
    assert c["percent_agreement"] == pytest.approx(0.89, abs=1e-12)
    assert c["cohen_kappa"] == pytest.approx(0.7964094, abs=1e-7)
    assert c["scott_pi"] == pytest.approx(0.7962397, abs=1e-7)
    assert c["gwet_ac1"] == pytest.approx(0.8493305, abs=1e-7)
    assert c["brennan_prediger"] == pytest.approx(0.835, abs=1e-12)
    assert c["krippendorff_alpha_nominal"] == pytest.approx(0.7972585, abs=1e-7)
    assert c["cohen_kappa_quadratic"] == pytest.approx(0.8921569, abs=1e-7)
    assert round(analytic_se("cohen_kappa", GWET), 5) == 0.05891
    assert round(analytic_se("gwet_ac1", GWET), 5) == 0.04322


def test_gwet_public_functions_on_expanded_table():
    a, b = ra.expand_table(GWET)
    k = ra.cohen_kappa(a, b)
    assert k.estimate == pytest.approx(0.7964094, abs=1e-7)
    assert k.se == pytest.approx(0.05891, abs=5e-6)
    q = stats.t.ppf(0.975, 99)
    assert (k.ci_low, k.ci_high) == pytest.approx((k.estimate - q * k.se, k.estimate + q * k.se))
    assert ra.scott_pi(a, b).estimate == pytest.approx(0.7962397, abs=1e-7)
    assert ra.brennan_prediger(a, b).estimate == pytest.approx(0.835, abs=1e-12)
    assert ra.percent_agreement(a, b).estimate == pytest.approx(0.89, abs=1e-12)
    assert ra.cohen_kappa(a, b, "quadratic").estimate == pytest.approx(0.8921569, abs=1e-7)
    g = ra.gwet_ac(np.column_stack([a, b]))
    assert g.estimate == pytest.approx(0.8493305, abs=1e-7)
    # raw-data variance divides by n(n-1), the table formula (published 0.04322) by n^2
    assert g.se * math.sqrt(99 / 100) == pytest.approx(0.04322, abs=5e-6)
    alpha = ra.krippendorff_alpha(np.vstack([a, b]), "nominal", n_boot=0)
    assert alpha.estimate == pytest.approx(0.7972585, abs=1e-7)


def test_stuart_1955_stuart_maxwell_and_bowker():
    t = ref("stuart_1955_vision.csv").set_index("right_eye").to_numpy()
    sm = ra.stuart_maxwell(t)
    assert sm.estimate == pytest.approx(11.9566, abs=1e-4)
    assert sm.df == 3
    assert sm.p_value == pytest.approx(0.00753, abs=5e-6)
    bw = ra.bowker_symmetry(t)
    assert bw.estimate == pytest.approx(19.1066, abs=1e-4)
    assert bw.df == 6
    assert bw.p_value == pytest.approx(0.003987, abs=5e-7)
    st = SquareTable(t, shift_zeros=False)
    assert sm.estimate == pytest.approx(st.homogeneity().statistic, rel=1e-12)
    assert bw.estimate == pytest.approx(st.symmetry().statistic, rel=1e-12)


# ----------------------------------------------------------------------------------------------
# cross-checks against libraries on random tables
# ----------------------------------------------------------------------------------------------
def _random_pairs(rng, n=300, k=5, ceiling=0.6):
    p = np.full(k, (1 - ceiling) / (k - 1))
    p[-1] = ceiling
    a = rng.choice(np.arange(1, k + 1), size=n, p=p)
    b = np.where(rng.random(n) < 0.7, a, rng.choice(np.arange(1, k + 1), size=n, p=p))
    return a, b


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_table_coefficients_equal_statsmodels_and_krippendorff(seed):
    rng = np.random.default_rng(seed)
    a, b = _random_pairs(rng)
    t, cats = contingency_table(a, b, categories=range(1, 6))
    c = table_coefficients(t, cats)
    assert float(c["cohen_kappa"]) == pytest.approx(ir.cohens_kappa(t).kappa, abs=1e-12)
    assert float(c["cohen_kappa_linear"]) == pytest.approx(
        ir.cohens_kappa(t, wt="linear").kappa, abs=1e-12)
    assert float(c["cohen_kappa_quadratic"]) == pytest.approx(
        ir.cohens_kappa(t, wt="quadratic").kappa, abs=1e-12)
    # Scott's pi of two raters = Fleiss' kappa of two raters
    assert float(c["scott_pi"]) == pytest.approx(
        ir.fleiss_kappa(ir.aggregate_raters(np.column_stack([a, b]))[0]), abs=1e-12)
    for level in ("nominal", "ordinal", "interval"):
        assert float(c[f"krippendorff_alpha_{level}"]) == pytest.approx(
            krippendorff.alpha(reliability_data=np.vstack([a, b]).astype(float),
                               level_of_measurement=level), abs=1e-12)
    # multi-rater Gwet on two complete raters equals the table AC1/AC2
    for w, name in ((None, "gwet_ac1"), ("linear", "gwet_ac2_linear"),
                    ("quadratic", "gwet_ac2_quadratic")):
        g = ra.gwet_ac(np.column_stack([a, b]), w, categories=range(1, 6))
        assert g.estimate == pytest.approx(float(c[name]), abs=1e-12)


def test_brennan_prediger_equals_randolph_free_marginal_kappa():
    rng = np.random.default_rng(5)
    a, b = _random_pairs(rng, k=5, ceiling=0.3)
    counts = ir.aggregate_raters(np.column_stack([a, b]))[0]
    assert counts.shape[1] == 5  # every category observed, so Randolph's q = 5
    assert ra.brennan_prediger(a, b, range(1, 6)).estimate == pytest.approx(
        ir.fleiss_kappa(counts, method="randolph"), abs=1e-12)


def test_gwet_multirater_with_missing_uses_pairable_values():
    # three raters, some missing: units rated once enter only the category shares
    r = np.array([[1, 1, np.nan], [2, 2, 2], [1, 2, np.nan], [2, np.nan, np.nan], [1, 1, 1]])
    g = ra.gwet_ac(r, categories=[1, 2])
    # by hand: pa over units with >= 2 ratings = (1 + 1 + 0 + 1)/4
    pa = 3 / 4
    pi1 = np.mean([1, 0, 0.5, 0, 1])
    pe = (2 / 2) * (2 * pi1 * (1 - pi1))  # T_w / (K(K-1)) * sum_k pi_k (1 - pi_k)
    assert g.estimate == pytest.approx((pa - pe) / (1 - pe), abs=1e-12)
    assert g.n == 5


# ----------------------------------------------------------------------------------------------
# the table bootstrap
# ----------------------------------------------------------------------------------------------
def test_resample_tables_keeps_n_and_is_seeded():
    t1 = resample_tables(GWET, 200, np.random.default_rng(7))
    t2 = resample_tables(GWET, 200, np.random.default_rng(7))
    assert t1.shape == (200, 3, 3)
    assert np.array_equal(t1, t2)
    assert (t1.sum(axis=(1, 2)) == GWET.sum()).all()
    assert (t1[:, 0, 1] == 0).all()  # empty cells stay empty
    # cell means converge to the observed table
    np.testing.assert_allclose(t1.mean(0), GWET, atol=1.5)


def test_table_bootstrap_matches_row_bootstrap_distribution():
    """Multinomial table resampling has the law of tabulating a row resample."""
    a, b = ra.expand_table(GWET)
    a, b = np.asarray(a), np.asarray(b)
    rng = np.random.default_rng(11)
    row_kappas = []
    for _ in range(400):
        i = rng.integers(0, len(a), len(a))
        row_kappas.append(ir.cohens_kappa(contingency_table(a[i], b[i], [1, 2, 3])[0]).kappa)
    tab = table_coefficients(resample_tables(GWET, 4000, np.random.default_rng(12)))
    assert np.std(row_kappas) == pytest.approx(np.std(tab["cohen_kappa"]), rel=0.15)
    assert np.mean(row_kappas) == pytest.approx(np.mean(tab["cohen_kappa"]), abs=0.01)
    # and the bootstrap SE is close to Gwet's analytic SE
    assert np.std(tab["cohen_kappa"]) == pytest.approx(analytic_se("cohen_kappa", GWET), rel=0.1)


def test_bootstrap_table_ci_frame_and_reproducibility():
    r1 = bootstrap_table_ci(GWET, n_boot=500, seed=4)
    r2 = bootstrap_table_ci(GWET, n_boot=500, seed=4)
    pd.testing.assert_frame_equal(r1, r2)
    assert list(r1["statistic"]) == list(COEFFICIENTS)
    assert (r1["ci_low"] <= r1["estimate"]).all() and (r1["estimate"] <= r1["ci_high"]).all()
    # percent agreement has the exact Clopper-Pearson interval (issue 9), the others BCa
    assert set(r1["ci_method"]) == {"bootstrap bca", "exact (Clopper-Pearson)"}
    assert r1.set_index("statistic").loc["percent_agreement", "ci_method"] == "exact (Clopper-Pearson)"
    pct = bootstrap_table_ci(GWET, n_boot=500, seed=4, method="percentile")
    assert set(pct["ci_method"]) == {"bootstrap percentile", "exact (Clopper-Pearson)"}
    assert not np.allclose(pct["ci_low"], r1["ci_low"])


# ----------------------------------------------------------------------------------------------
# edge cases
# ----------------------------------------------------------------------------------------------
def test_all_answers_in_one_category_gives_nan_with_reason_not_zero():
    a = [5] * 20
    b = [5] * 20
    for w in (None, "linear", "quadratic"):
        k = ra.cohen_kappa(a, b, w, categories=range(1, 6))
        assert math.isnan(k.estimate) and "chance agreement is 1" in k.reason
    pi = ra.scott_pi(a, b, categories=range(1, 6))
    assert math.isnan(pi.estimate) and pi.reason
    assert ra.percent_agreement(a, b).estimate == 1.0
    assert ra.gwet_ac(np.column_stack([a, b]), categories=range(1, 6)).estimate == 1.0
    assert ra.brennan_prediger(a, b, categories=range(1, 6)).estimate == 1.0
    al = ra.krippendorff_alpha(np.vstack([a, b]), "nominal")
    assert math.isnan(al.estimate) and "0/0" in al.reason
    res = bootstrap_table_ci(contingency_table(a, b, range(1, 6))[0], range(1, 6), 200, 0)
    res = res.set_index("statistic")
    assert res.loc["cohen_kappa", "reason"].startswith("every answer is in one category")
    assert math.isnan(res.loc["krippendorff_alpha_ordinal", "estimate"])
    assert res.loc["gwet_ac1", "estimate"] == 1.0
    assert res.loc["percent_agreement", "estimate"] == 1.0
    sm = ra.stuart_maxwell(a, b, range(1, 6))
    assert math.isnan(sm.estimate) and sm.reason


def test_one_category_without_scale_ac1_needs_categories():
    g = ra.gwet_ac(np.column_stack([[3, 3], [3, 3]]))
    assert math.isnan(g.estimate) and "categories" in g.reason


def test_single_pair():
    k = ra.cohen_kappa([4], [5], categories=range(1, 6))
    assert k.n == 1 and math.isnan(k.ci_low)
    res = bootstrap_table_ci(contingency_table([4], [5], range(1, 6))[0], range(1, 6), 100, 0)
    assert (res["n"] == 1).all()
    assert res["ci_low"].isna().all()
    assert (res["reason"] != "").all()
    assert res.set_index("statistic").loc["percent_agreement", "estimate"] == 0.0


def test_missing_answers_use_all_pairable_values():
    a = [5, 5, None, 4, np.nan, 3, pd.NA]
    b = [5, 4, 5, None, 3, 3, 5]
    t, cats = contingency_table(a, b, range(1, 6))
    assert t.sum() == 3
    k = ra.cohen_kappa(a, b, categories=range(1, 6))
    assert k.n == 3
    assert k.estimate == pytest.approx(ir.cohens_kappa(t).kappa)


def test_category_used_by_one_role_only():
    a = [5, 5, 5, 4, 5, 5]
    b = [5, 5, 3, 5, 5, 5]  # 3 only by b, 4 only by a
    k = ra.cohen_kappa(a, b, categories=range(1, 6))
    assert not math.isnan(k.estimate)
    assert k.estimate == pytest.approx(
        ir.cohens_kappa(contingency_table(a, b, range(1, 6))[0]).kappa)
    sm = ra.stuart_maxwell(a, b, range(1, 6))
    assert sm.df == 2 and not math.isnan(sm.estimate)


def test_labels_vs_codes():
    labs = ["agree", "strongly agree", "agree", "strongly agree"]
    codes = [4, 5, 4, 5]
    order = ["disagree", "agree", "strongly agree"]
    k_lab = ra.cohen_kappa(labs, labs[::-1], "linear", categories=order)
    k_code = ra.cohen_kappa(codes, codes[::-1], "linear", categories=[3, 4, 5])
    assert k_lab.estimate == pytest.approx(k_code.estimate)
    with pytest.raises(ValueError, match="not among categories"):
        ra.cohen_kappa(labs, codes, categories=order)


def test_stuart_maxwell_no_discordant_pairs():
    sm = ra.stuart_maxwell([1, 2, 3], [1, 2, 3])
    assert math.isnan(sm.estimate) and "no discordant" in sm.reason


def test_stuart_maxwell_singular_uses_pinv_and_rank():
    t = np.array([[5, 2, 0], [0, 6, 0], [0, 0, 4]])  # category 3 only concordant
    sm = ra.stuart_maxwell(t)
    assert sm.df == 1
    assert sm.estimate == pytest.approx(2.0)  # McNemar on the 1-2 block: (2-0)^2/2




def test_bootstrap_intervals_cover_the_true_value():
    """Monte Carlo: BCa intervals from table resampling cover the population coefficient
    about 95% of the time (n = 150 pairs, ceiling-shaped answers)."""
    rng = np.random.default_rng(123)
    marg = np.array([0.02, 0.03, 0.07, 0.18, 0.70])
    p = 0.6 * np.diag(marg) + 0.4 * np.outer(marg, marg)
    truth = {k: float(v) for k, v in table_coefficients(p * 1e6).items()}
    names = ("cohen_kappa", "gwet_ac1", "percent_agreement", "krippendorff_alpha_nominal")
    hits = dict.fromkeys(names, 0)
    sims = 200
    for s in range(sims):
        t = rng.multinomial(150, p.ravel()).reshape(5, 5)
        r = bootstrap_table_ci(t, range(1, 6), n_boot=500, seed=s).set_index("statistic")
        for k in names:
            hits[k] += bool(r.loc[k, "ci_low"] <= truth[k] <= r.loc[k, "ci_high"])
    for k in names:
        assert 0.88 <= hits[k] / sims <= 0.99, (k, hits[k] / sims)


