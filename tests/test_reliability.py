"""Agreement statistics: published reference values, library cross-checks, edge cases, survey API."""

from __future__ import annotations

import math
import re

import krippendorff
import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats import inter_rater as ir
from statsmodels.stats.contingency_tables import SquareTable

from helpers.datasets import REFERENCE_DIR
from helpers.io.codebook import load_codebook
from helpers.stats.agreement import (
    COEFFICIENTS,
    analytic_se,
    bootstrap_table_ci,
    resample_tables,
    table_coefficients,
)
from helpers.studies.mystery_guest import reliability as rel

REF = REFERENCE_DIR


def ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


GWET = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])


# ----------------------------------------------------------------------------------------------
# published reference values
# ----------------------------------------------------------------------------------------------
def test_shrout_fleiss_icc_f_df_and_ci():
    d = ref("shrout_fleiss_1979.csv").melt("target", var_name="judge", value_name="score")
    r = rel.icc(d, "target", "judge", "score").set_index("Type")
    published = {"ICC1": 0.165742, "ICC2": 0.289764, "ICC3": 0.714841, "ICC1k": 0.442797,
                 "ICC2k": 0.620051, "ICC3k": 0.909316}
    for t, v in published.items():
        assert r.loc[t, "ICC"] == pytest.approx(v, abs=1e-6)
    assert r.loc["ICC1", "F"] == pytest.approx(1.7947, abs=1e-4)
    assert (r.loc["ICC1", "df1"], r.loc["ICC1", "df2"]) == (5, 18)
    for t in ("ICC2", "ICC3"):
        assert r.loc[t, "F"] == pytest.approx(11.0272, abs=1e-4)
        assert (r.loc[t, "df1"], r.loc[t, "df2"]) == (5, 15)
    assert round(r.loc["ICC1", "ci_low"], 3) == -0.133
    assert round(r.loc["ICC1", "ci_high"], 3) == 0.723
    assert round(r.loc["ICC2", "ci_low"], 3) == 0.019
    assert round(r.loc["ICC2", "ci_high"], 3) == 0.761
    assert round(r.loc["ICC2", "df_ci"], 3) == 4.785  # Satterthwaite
    # R psych::ICC prints 0.342; the reference README says 0.343 (exact bound 0.342465)
    assert r.loc["ICC3", "ci_low"] == pytest.approx(0.343, abs=6e-4)
    assert round(r.loc["ICC3", "ci_low"], 3) == 0.342
    assert round(r.loc["ICC3", "ci_high"], 3) == 0.946
    # psych::ICC average-measure bounds: -0.884, 0.071, 0.676 (lower)
    assert round(r.loc["ICC1k", "ci_low"], 3) == -0.884
    assert round(r.loc["ICC2k", "ci_low"], 3) == 0.071
    assert round(r.loc["ICC3k", "ci_low"], 3) == 0.676


def test_icc_cis_agree_with_pingouin_rounding():
    d = ref("shrout_fleiss_1979.csv").melt("target", var_name="judge", value_name="score")
    ours = rel.icc(d, "target", "judge", "score")
    theirs = pg.intraclass_corr(d, "target", "judge", "score")
    ci = np.vstack(theirs["CI95"].to_numpy())
    np.testing.assert_allclose(ours[["ci_low", "ci_high"]].to_numpy(), ci, atol=0.005 + 1e-9)


def test_fleiss_1971():
    d = ref("fleiss_1971_diagnoses.csv").set_index("subject")
    r = rel.fleiss_kappa(d, n_boot=500, seed=3)
    assert r.estimate == pytest.approx(0.4302445, abs=1e-7)
    assert r.z == pytest.approx(17.65183, abs=1e-5)
    assert list(r.per_category.values()) == pytest.approx(
        [0.244755, 0.244755, 0.520000, 0.471127, 0.566118], abs=1e-6)
    assert r.ci_low < r.estimate < r.ci_high


def test_irr_anxiety_cohen_kappa_levels_that_occur():
    d = ref("irr_anxiety.csv")
    assert rel.cohen_kappa(d.rater2, d.rater3).estimate == pytest.approx(-0.006289308, abs=1e-9)
    assert rel.cohen_kappa(d.rater2, d.rater3, "linear").estimate == pytest.approx(
        0.1459075, abs=1e-7)
    assert rel.cohen_kappa(d.rater2, d.rater3, "quadratic").estimate == pytest.approx(
        0.2520325, abs=1e-7)


def test_irr_anxiety_full_scale_variant_matches_statsmodels_on_6x6():
    d = ref("irr_anxiety.csv")
    t = pd.crosstab(d.rater2, d.rater3).reindex(index=range(1, 7), columns=range(1, 7),
                                                fill_value=0).to_numpy()
    for w, wt in ((None, None), ("linear", "linear"), ("quadratic", "quadratic")):
        ours = rel.cohen_kappa(d.rater2, d.rater3, w, categories=range(1, 7)).estimate
        assert ours == pytest.approx(ir.cohens_kappa(t, wt=wt).kappa, abs=1e-12)
    # the unused level changes the weighted kappas, not the unweighted one
    assert rel.cohen_kappa(d.rater2, d.rater3, "linear", categories=range(1, 7)).estimate \
        == pytest.approx(0.1262136, abs=1e-7)
    assert rel.cohen_kappa(d.rater2, d.rater3, categories=range(1, 7)).estimate \
        == pytest.approx(-0.006289308, abs=1e-9)


@pytest.mark.parametrize("level,value", [("nominal", 0.743421), ("ordinal", 0.815388),
                                         ("interval", 0.849107), ("ratio", 0.797403)])
def test_krippendorff_2011(level, value):
    d = ref("krippendorff_2011.csv").set_index("unit").T  # raters x units
    r = rel.krippendorff_alpha(d, level, n_boot=300, seed=1)
    assert r.estimate == pytest.approx(value, abs=1e-6)
    assert r.ci_low <= r.ci_high


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_own_coincidence_equals_package(level):
    """The hand-written coincidence computation (used for the bootstrap) equals the package."""
    d = ref("krippendorff_2011.csv").set_index("unit").T.to_numpy(float)
    counts, cats = rel._rating_counts(d.T)
    c = counts[counts.sum(1) >= 2]
    m = c.sum(1)
    o = ((c[:, :, None] * c[:, None, :] - c[:, :, None] * np.eye(len(cats)))
         / (m - 1)[:, None, None]).sum(0)
    ours = float(rel._kripp_from_coincidence(o, level, np.asarray(cats, float)))
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=d,
                                                    level_of_measurement=level), abs=1e-12)


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
    a, b = rel._expand_table(GWET)
    k = rel.cohen_kappa(a, b)
    assert k.estimate == pytest.approx(0.7964094, abs=1e-7)
    assert k.se == pytest.approx(0.05891, abs=5e-6)
    q = stats.t.ppf(0.975, 99)
    assert (k.ci_low, k.ci_high) == pytest.approx((k.estimate - q * k.se, k.estimate + q * k.se))
    assert rel.scott_pi(a, b).estimate == pytest.approx(0.7962397, abs=1e-7)
    assert rel.brennan_prediger(a, b).estimate == pytest.approx(0.835, abs=1e-12)
    assert rel.percent_agreement(a, b).estimate == pytest.approx(0.89, abs=1e-12)
    assert rel.cohen_kappa(a, b, "quadratic").estimate == pytest.approx(0.8921569, abs=1e-7)
    g = rel.gwet_ac(np.column_stack([a, b]))
    assert g.estimate == pytest.approx(0.8493305, abs=1e-7)
    # raw-data variance divides by n(n-1), the table formula (published 0.04322) by n^2
    assert g.se * math.sqrt(99 / 100) == pytest.approx(0.04322, abs=5e-6)
    alpha = rel.krippendorff_alpha(np.vstack([a, b]), "nominal", n_boot=0)
    assert alpha.estimate == pytest.approx(0.7972585, abs=1e-7)


def test_stuart_1955_stuart_maxwell_and_bowker():
    t = ref("stuart_1955_vision.csv").set_index("right_eye").to_numpy()
    sm = rel.stuart_maxwell(t)
    assert sm.estimate == pytest.approx(11.9566, abs=1e-4)
    assert sm.df == 3
    assert sm.pvalue == pytest.approx(0.00753, abs=5e-6)
    bw = rel.bowker_symmetry(t)
    assert bw.estimate == pytest.approx(19.1066, abs=1e-4)
    assert bw.df == 6
    assert bw.pvalue == pytest.approx(0.003987, abs=5e-7)
    st = SquareTable(t, shift_zeros=False)
    assert sm.estimate == pytest.approx(st.homogeneity().statistic, rel=1e-12)
    assert bw.estimate == pytest.approx(st.symmetry().statistic, rel=1e-12)


def test_bland_altman_pefr():
    d = ref("bland_altman_1986_pefr.csv")
    ba = rel.bland_altman(d.wright1, d.mini1, z=2)
    assert ba.bias == pytest.approx(-2.117647, abs=1e-6)
    assert ba.sd == pytest.approx(38.765130, abs=1e-6)
    assert (ba.loa_low, ba.loa_high) == pytest.approx((ba.bias - 2 * ba.sd, ba.bias + 2 * ba.sd))
    # published -79.7 / 75.5 are computed from the rounded mean (-2.1) and SD (38.8)
    assert round(round(ba.bias, 1) - 2 * round(ba.sd, 1), 1) == -79.7
    assert round(round(ba.bias, 1) + 2 * round(ba.sd, 1), 1) == 75.5
    assert abs(ba.loa_low - -79.7) < 0.1 and abs(ba.loa_high - 75.5) < 0.1
    t = stats.t.ppf(0.975, 16)
    assert ba.ci_high - ba.bias == pytest.approx(t * ba.sd / math.sqrt(17))
    assert ba.loa_low_ci_low < ba.loa_low < ba.loa_low_ci_high


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
    t, cats = rel.contingency_table(a, b, categories=range(1, 6))
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
        g = rel.gwet_ac(np.column_stack([a, b]), w, categories=range(1, 6))
        assert g.estimate == pytest.approx(float(c[name]), abs=1e-12)


def test_brennan_prediger_equals_randolph_free_marginal_kappa():
    rng = np.random.default_rng(5)
    a, b = _random_pairs(rng, k=5, ceiling=0.3)
    counts = ir.aggregate_raters(np.column_stack([a, b]))[0]
    assert counts.shape[1] == 5  # every category observed, so Randolph's q = 5
    assert rel.brennan_prediger(a, b, range(1, 6)).estimate == pytest.approx(
        ir.fleiss_kappa(counts, method="randolph"), abs=1e-12)


def test_gwet_multirater_with_missing_uses_pairable_values():
    # three raters, some missing: units rated once enter only the category shares
    r = np.array([[1, 1, np.nan], [2, 2, 2], [1, 2, np.nan], [2, np.nan, np.nan], [1, 1, 1]])
    g = rel.gwet_ac(r, categories=[1, 2])
    # by hand: pa over units with >= 2 ratings = (1 + 1 + 0 + 1)/4
    pa = 3 / 4
    pi1 = np.mean([1, 0, 0.5, 0, 1])
    pe = (2 / 2) * (2 * pi1 * (1 - pi1))  # T_w / (K(K-1)) * sum_k pi_k (1 - pi_k)
    assert g.estimate == pytest.approx((pa - pe) / (1 - pe), abs=1e-12)
    assert g.n == 5


def test_wilcoxon_rank_biserial_equals_pingouin():
    rng = np.random.default_rng(3)
    x = rng.integers(60, 100, 80).astype(float)
    y = x - rng.integers(-3, 8, 80)
    r = rel.wilcoxon_signed_rank(x, y, n_boot=300, seed=1)
    p = pg.wilcoxon(x, y)
    assert r.estimate == pytest.approx(float(p["RBC"].iloc[0]), abs=1e-12)
    assert r.pvalue == pytest.approx(stats.wilcoxon(x - y).pvalue, rel=1e-12)
    assert r.ci_low < r.estimate < r.ci_high
    assert r.estimate > 0  # x tends to be larger


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
    a, b = rel._expand_table(GWET)
    a, b = np.asarray(a), np.asarray(b)
    rng = np.random.default_rng(11)
    row_kappas = []
    for _ in range(400):
        i = rng.integers(0, len(a), len(a))
        row_kappas.append(ir.cohens_kappa(rel.contingency_table(a[i], b[i], [1, 2, 3])[0]).kappa)
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
        k = rel.cohen_kappa(a, b, w, categories=range(1, 6))
        assert math.isnan(k.estimate) and "chance agreement is 1" in k.reason
    pi = rel.scott_pi(a, b, categories=range(1, 6))
    assert math.isnan(pi.estimate) and pi.reason
    assert rel.percent_agreement(a, b).estimate == 1.0
    assert rel.gwet_ac(np.column_stack([a, b]), categories=range(1, 6)).estimate == 1.0
    assert rel.brennan_prediger(a, b, categories=range(1, 6)).estimate == 1.0
    al = rel.krippendorff_alpha(np.vstack([a, b]), "nominal")
    assert math.isnan(al.estimate) and "0/0" in al.reason
    res = bootstrap_table_ci(rel.contingency_table(a, b, range(1, 6))[0], range(1, 6), 200, 0)
    res = res.set_index("statistic")
    assert res.loc["cohen_kappa", "reason"].startswith("every answer is in one category")
    assert math.isnan(res.loc["krippendorff_alpha_ordinal", "estimate"])
    assert res.loc["gwet_ac1", "estimate"] == 1.0
    assert res.loc["percent_agreement", "estimate"] == 1.0
    sm = rel.stuart_maxwell(a, b, range(1, 6))
    assert math.isnan(sm.estimate) and sm.reason


def test_one_category_without_scale_ac1_needs_categories():
    g = rel.gwet_ac(np.column_stack([[3, 3], [3, 3]]))
    assert math.isnan(g.estimate) and "categories" in g.reason


def test_single_pair():
    k = rel.cohen_kappa([4], [5], categories=range(1, 6))
    assert k.n == 1 and math.isnan(k.ci_low)
    res = bootstrap_table_ci(rel.contingency_table([4], [5], range(1, 6))[0], range(1, 6), 100, 0)
    assert (res["n"] == 1).all()
    assert res["ci_low"].isna().all()
    assert (res["reason"] != "").all()
    assert res.set_index("statistic").loc["percent_agreement", "estimate"] == 0.0


def test_missing_answers_use_all_pairable_values():
    a = [5, 5, None, 4, np.nan, 3, pd.NA]
    b = [5, 4, 5, None, 3, 3, 5]
    t, cats = rel.contingency_table(a, b, range(1, 6))
    assert t.sum() == 3
    k = rel.cohen_kappa(a, b, categories=range(1, 6))
    assert k.n == 3
    assert k.estimate == pytest.approx(ir.cohens_kappa(t).kappa)


def test_category_used_by_one_role_only():
    a = [5, 5, 5, 4, 5, 5]
    b = [5, 5, 3, 5, 5, 5]  # 3 only by b, 4 only by a
    k = rel.cohen_kappa(a, b, categories=range(1, 6))
    assert not math.isnan(k.estimate)
    assert k.estimate == pytest.approx(
        ir.cohens_kappa(rel.contingency_table(a, b, range(1, 6))[0]).kappa)
    sm = rel.stuart_maxwell(a, b, range(1, 6))
    assert sm.df == 2 and not math.isnan(sm.estimate)


def test_labels_vs_codes():
    labs = ["agree", "strongly agree", "agree", "strongly agree"]
    codes = [4, 5, 4, 5]
    order = ["disagree", "agree", "strongly agree"]
    k_lab = rel.cohen_kappa(labs, labs[::-1], "linear", categories=order)
    k_code = rel.cohen_kappa(codes, codes[::-1], "linear", categories=[3, 4, 5])
    assert k_lab.estimate == pytest.approx(k_code.estimate)
    with pytest.raises(ValueError, match="not among categories"):
        rel.cohen_kappa(labs, codes, categories=order)


def test_stuart_maxwell_no_discordant_pairs():
    sm = rel.stuart_maxwell([1, 2, 3], [1, 2, 3])
    assert math.isnan(sm.estimate) and "no discordant" in sm.reason


def test_stuart_maxwell_singular_uses_pinv_and_rank():
    t = np.array([[5, 2, 0], [0, 6, 0], [0, 0, 4]])  # category 3 only concordant
    sm = rel.stuart_maxwell(t)
    assert sm.df == 1
    assert sm.estimate == pytest.approx(2.0)  # McNemar on the 1-2 block: (2-0)^2/2


def test_icc_and_bland_altman_edge_cases():
    d = pd.DataFrame({"t": [1, 1], "r": ["a", "b"], "s": [3.0, 4.0]})
    out = rel.icc(d, "t", "r", "s")
    assert out["ICC"].isna().all() and (out["reason"] != "").all()
    ba = rel.bland_altman([1.0], [2.0])
    assert ba.bias == -1.0 and math.isnan(ba.sd) and ba.reason
    w = rel.wilcoxon_signed_rank([1, 2, 3], [1, 2, 3])
    assert math.isnan(w.estimate) and w.reason


# ----------------------------------------------------------------------------------------------
# survey API on frames built here
# ----------------------------------------------------------------------------------------------
def _interviews(n_pairs=60, seed=0, items=("eth_appearance", "cov_mask", "qual_overall")):
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n_pairs):
        base = {it: (rng.choice([3, 4, 5], p=[0.05, 0.15, 0.8]) if not it.startswith("cov")
                     else rng.choice([0, 1], p=[0.1, 0.9])) for it in items}
        for role, iid in (("volunteer", f"v{p % 3}"), ("social_worker", f"s{p % 4}")):
            row = {"interview_id": f"{role[0]}{p}", "pair_id": f"P{p}", "role": role,
                   "interviewer_id": iid}
            for it in items:
                v = base[it]
                if rng.random() < 0.15:
                    v = rng.choice([3, 4, 5]) if not it.startswith("cov") else 1 - v
                row[it] = v
            rows.append(row)
    f = pd.DataFrame(rows)
    for it in items:
        f[it] = f[it].astype("Int64")
    f.loc[3, "eth_appearance"] = 8  # don't know
    f.loc[5, "qual_overall"] = pd.NA
    # an unpaired interview must be ignored
    extra = f.iloc[[0]].copy()
    extra["pair_id"] = pd.NA
    extra["interview_id"] = "x"
    return pd.concat([f, extra], ignore_index=True)


def test_paired_tables_treat_8_9_as_missing_and_use_full_scale():
    cb = load_codebook()
    f = _interviews()
    tabs = rel.paired_tables(f, cb)
    t, cats = tabs["eth_appearance"]
    assert cats == [1, 2, 3, 4, 5] and t.shape == (5, 5)
    assert t.sum() == 59  # one pair lost to "don't know"
    assert tabs["qual_overall"][0].sum() == 59
    assert tabs["cov_mask"][1] == [0, 1]
    # rows are the volunteer's answers
    v = f[f.role.eq("volunteer") & f.pair_id.notna()].set_index("pair_id")["cov_mask"]
    assert t.sum() > 0 and tabs["cov_mask"][0].sum(1)[1] == int((v == 1).sum())


def test_compare_interviewers_tidy_and_reproducible():
    cb = load_codebook()
    f = _interviews()
    out = rel.compare_interviewers(f, cb, n_boot=300, seed=2)
    assert list(out.columns[:7]) == ["item_or_domain", "level", "statistic", "estimate",
                                     "ci_low", "ci_high", "n"]
    assert set(out["item_or_domain"]) == {"eth_appearance", "cov_mask", "qual_overall"}
    assert set(out["statistic"]) == set(COEFFICIENTS) | {"stuart_maxwell"}
    again = rel.compare_interviewers(f, cb, n_boot=300, seed=2)
    pd.testing.assert_frame_equal(out, again)
    # results for one item do not depend on which other items are analysed
    alone = rel.compare_interviewers(f, cb, n_boot=300, seed=2, items=["qual_overall"])
    pd.testing.assert_frame_equal(
        out[out.item_or_domain == "qual_overall"].reset_index(drop=True), alone)
    # estimate equals the direct computation on the pairs
    g = f[f.pair_id.notna()].pivot(index="pair_id", columns="role", values="qual_overall")
    k = rel.cohen_kappa(g["volunteer"], g["social_worker"], categories=range(1, 6))
    row = out[(out.item_or_domain == "qual_overall") & (out.statistic == "cohen_kappa")].iloc[0]
    assert row["estimate"] == pytest.approx(k.estimate) and row["n"] == k.n
    defined = out[out.estimate.notna() & (out.statistic != "stuart_maxwell")]
    assert ((defined.ci_low <= defined.estimate + 1e-12)
            & (defined.estimate <= defined.ci_high + 1e-12)).all()


def _scores(n_pairs=80, shift=3.0, seed=1):
    rng = np.random.default_rng(seed)
    true = rng.normal(85, 8, n_pairs)
    leniency = {"v0": 2.0, "v1": 0.0, "v2": -1.0, "s0": 0.0, "s1": 0.0}
    rows = []
    for p in range(n_pairs):
        for role, iid in (("volunteer", f"v{p % 3}"), ("social_worker", f"s{p % 2}")):
            eff = leniency[iid] + (shift if role == "volunteer" else 0.0)
            rows.append({"interview_id": f"{role[0]}{p}", "pair_id": f"P{p}", "role": role,
                         "interviewer_id": iid, "ethics": true[p] + eff + rng.normal(0, 3),
                         "composite": true[p] + eff + rng.normal(0, 3)})
    return pd.DataFrame(rows)


def test_compare_scores_detects_volunteer_shift_with_sign():
    s = _scores(shift=4.0)
    out = rel.compare_scores(s, n_boot=300, seed=0).set_index(["item_or_domain", "statistic"])
    bias = out.loc[("composite", "bland_altman_bias")]
    assert bias["ci_low"] > 0  # volunteers score higher
    assert out.loc[("composite", "rank_biserial"), "estimate"] > 0
    assert out.loc[("composite", "wilcoxon_w"), "p_value"] < 0.01
    assert {"ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"} <= set(
        out.loc["composite"].index)
    icc2 = out.loc[("composite", "ICC2"), "estimate"]
    assert 0.5 < icc2 < out.loc[("composite", "ICC3"), "estimate"]  # shift lowers absolute ICC
    # the score rows are appended by compare_interviewers when scores are given
    both = rel.compare_interviewers(_interviews(), load_codebook(), n_boot=100, scores=s)
    assert set(both.level) == {"item", "score"}


def test_interviewer_leniency_finds_the_lenient_interviewer():
    s = _scores(n_pairs=150, shift=0.0, seed=4)
    out = rel.interviewer_leniency(s, "composite").set_index("interviewer_id")
    assert out.loc["v0", "estimate"] > out.loc["v2", "estimate"]
    assert out.loc["v0", "ci_low"] > 0
    assert (out["funnel95_low"] < out["target"]).all()
    assert (out["funnel998_high"] > out["funnel95_high"]).all()
    # deviations against the partner sum to zero over all paired interviews
    assert (out["n"] * out["estimate"]).sum() == pytest.approx(0.0, abs=1e-8)
    overall = rel.interviewer_leniency(s, "composite", reference="overall")
    assert overall["n"].sum() == len(s)


def test_intra_interviewer_correlation_and_design_effect():
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(20), 10)
    y = rng.normal(0, 1, 20)[g] * np.sqrt(0.2) + rng.normal(0, np.sqrt(0.8), 200)
    d = pd.DataFrame({"interviewer_id": g.astype(str), "composite": y})
    r = rel.intra_interviewer_correlation(d)
    assert r.ci_low < 0.2 < r.ci_high
    assert r.design_effect == pytest.approx(1 + 9 * max(r.estimate, 0))
    assert r.effective_n == pytest.approx(200 / r.design_effect)
    # equals pingouin's ICC1 on balanced data
    wide = d.assign(j=np.tile(np.arange(10), 20))
    p = pg.intraclass_corr(wide, "interviewer_id", "j", "composite").set_index("Type")
    assert r.estimate == pytest.approx(p.loc["ICC(1,1)", "ICC"], abs=1e-10)


# ----------------------------------------------------------------------------------------------
# interpretation
# ----------------------------------------------------------------------------------------------
def test_bands():
    assert [rel.landis_koch(v) for v in (-0.1, 0.1, 0.3, 0.5, 0.7, 0.9, float("nan"))] == [
        "poor", "slight", "fair", "moderate", "substantial", "almost perfect", "undefined"]
    assert [rel.koo_li(v) for v in (0.4, 0.6, 0.8, 0.95)] == [
        "poor", "moderate", "good", "excellent"]
    assert rel.krippendorff_band(0.667) == "tentative conclusions only"
    assert rel.krippendorff_band(0.8) == "reliable"


def test_describe_agreement_sentences():
    s = rel.describe_agreement({"item_or_domain": "x", "statistic": "krippendorff_alpha_ordinal",
                                "estimate": 0.7, "ci_low": 0.6, "ci_high": 0.85, "n": 50})
    assert "tentative" in s and "Krippendorff" in s and "spans" in s
    s = rel.describe_agreement({"item_or_domain": "x", "statistic": "ICC2", "estimate": 0.8,
                                "ci_low": 0.7, "ci_high": 0.88, "n": 50})
    assert "Koo & Li (2016)" in s and "good" in s
    s = rel.describe_agreement({"item_or_domain": "x", "statistic": "cohen_kappa",
                                "estimate": float("nan"), "ci_low": float("nan"),
                                "ci_high": float("nan"), "n": 5, "reason": "every answer"})
    assert "undefined" in s and "every answer" in s


def test_kappa_paradox_detector():
    t = np.zeros((5, 5), int)
    t[4, 4], t[3, 4], t[4, 3], t[3, 3] = 90, 4, 4, 2
    text = rel.kappa_paradox(t, range(1, 6), "eth_appearance", {5: "strongly agree"})
    assert text is not None
    assert "92%" in text and "AC1" in text and "alpha" in text and "strongly agree" in text
    # balanced answers: high agreement and high kappa, no paradox
    t2 = np.diag([20, 20, 20, 20, 20])
    t2[0, 1] = 2
    assert rel.kappa_paradox(t2, range(1, 6)) is None
    # everything in one category: kappa undefined, still flagged
    t3 = np.zeros((5, 5), int)
    t3[4, 4] = 30
    assert "undefined" in rel.kappa_paradox(t3, range(1, 6))
    # report over interviews
    f, cb = _interviews(n_pairs=80), load_codebook()
    rep = rel.kappa_paradox_report(f, cb)
    flagged = {i for i, (tab, cats) in rel.paired_tables(f, cb).items() if rel.kappa_paradox(tab, cats) is not None}
    assert flagged and set(rep) == flagged  # exactly the items whose table shows the paradox
    assert all("AC1" in text and cb.item_label(item, "en")[:20] in text for item, text in rep.items())


def test_interviewer_leniency_within_role_removes_role_shift():
    s = _scores(n_pairs=150, shift=6.0, seed=4)
    plain = rel.interviewer_leniency(s, "composite").set_index("interviewer_id")
    within = rel.interviewer_leniency(s, "composite", within_role=True).set_index("interviewer_id")
    # the role shift pushes every volunteer above the overall target ...
    assert (plain.loc[["v0", "v1", "v2"], "estimate"] > plain["target"].iloc[0]).all()
    # ... but within their role, v1 (no own leniency) sits inside the funnel near its role target
    assert within.loc["v1", "target"] > 0 > within.loc["s0", "target"]
    assert not within.loc["v1", "outside998"]
    assert within.loc["v0", "estimate"] > within.loc["v0", "target"]


# ----------------------------------------------------------------------------------------------
# report helpers
# ----------------------------------------------------------------------------------------------
def test_report_helpers_and_figures():
    import matplotlib

    matplotlib.use("Agg")
    cb = load_codebook()
    f = _interviews(n_pairs=50).assign(year=2020)
    s = _scores(n_pairs=50).assign(year=2020)
    tidy = rel.compare_interviewers(f, cb, n_boot=100, scores=s)
    summ = rel.agreement_summary(tidy, cb)
    assert list(summ["item"]) == ["eth_appearance", "qual_overall", "cov_mask"]  # codebook order
    assert {"percent_agreement", "gwet_ac1", "stuart_maxwell_p"} <= set(summ.columns)
    paras = rel.interpretation_paragraphs(tidy)
    assert "Landis & Koch (1977)" in paras[0] and "0.667" in paras[1] and "Holm" in paras[2]
    sc = rel.score_agreement_summary(tidy)
    assert list(sc["score"]) == ["ethics", "composite"]
    sent = rel.score_sentences(tidy)
    assert "Koo & Li (2016)" in sent[0] and "volunteers score the composite index systematically higher" \
        in sent[1]
    assert rel.least_agreeing(tidy, 2, "gwet_ac1") == list(
        tidy[tidy.statistic == "gwet_ac1"].sort_values("estimate")["item_or_domain"][:2])
    assert rel.paired_years(pd.concat([f, f.assign(year=2019, pair_id=pd.NA)])) == [2020]
    ie = rel.intra_interviewer_correlation(s)
    assert "design effect" in rel.interviewer_effect_sentence(ie)
    figs = [rel.plot_agreement_forest(tidy), rel.plot_bland_altman(s),
            rel.plot_confusion(rel.paired_tables(f, cb), ["cov_mask"]),
            rel.plot_funnel(rel.interviewer_leniency(s, within_role=True))]
    for fig in figs:
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel()
        matplotlib.pyplot.close(fig)


def test_year_without_pairs_gives_nan_with_reasons_not_a_crash():
    cb = load_codebook()
    f = _interviews(n_pairs=10).assign(pair_id=pd.NA)
    out = rel.compare_interviewers(f, cb, n_boot=50, scores=_scores(10).assign(pair_id=pd.NA))
    assert out["estimate"].isna().all()
    assert (out["reason"].fillna("") != "").all()
    assert (out.loc[out.level == "item", "reason"].str.startswith("no pairable")).all()
    assert rel.interpretation_paragraphs(out) == [
        "No paired interviews: agreement cannot be assessed."]
    assert rel.interviewer_leniency(_scores(10).assign(pair_id=pd.NA)).empty


def test_planted_role_shift_detected_on_demo_data(demo_dirs, codebook):
    """Done-when of issue 4: the volunteer vs social-worker shift of the demo truth is found,
    Bland-Altman bias and Wilcoxon, with the right sign."""
    import json

    from helpers.studies.mystery_guest.scoring import score_interviews

    truth = json.loads(demo_dirs["truth"].read_text())
    shift = truth["role_shift"]["volunteer"] - truth["role_shift"]["social_worker"]
    interviews = pd.read_parquet(demo_dirs["processed"] / "interviews.parquet")
    sel = interviews[interviews["year"] == 2020]
    out = rel.compare_scores(score_interviews(sel, codebook), ["composite"], n_boot=300)
    out = out.set_index("statistic")
    bias = out.loc["bland_altman_bias"]
    assert np.sign(bias["estimate"]) == np.sign(shift)
    assert bias["ci_low"] > 0 if shift > 0 else bias["ci_high"] < 0
    assert out.loc["wilcoxon_w", "p_value"] < 0.05
    assert np.sign(out.loc["rank_biserial", "estimate"]) == np.sign(shift)


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


def test_pairs_use_first_interview_id_when_a_role_occurs_twice():
    cb = load_codebook()
    f = pd.DataFrame({
        "interview_id": ["b", "a", "c", "d", "e"],
        "pair_id": ["P1", "P1", "P1", "P2", pd.NA],
        "role": ["volunteer", "volunteer", "social_worker", "volunteer", "social_worker"],
        "qual_overall": pd.array([3, 5, 5, 4, 4], dtype="Int64"),
    })
    t, _ = rel.paired_tables(f, cb, ["qual_overall"])["qual_overall"]
    assert t.sum() == 1 and t[4, 4] == 1  # "a" (5) before "b" (3); P2 has no partner


def test_sentences_in_russian():
    cb = load_codebook()
    f = _interviews(n_pairs=60)
    s = _scores(n_pairs=60)
    tidy = rel.compare_interviewers(f, cb, n_boot=100, scores=s)
    texts = (rel.interpretation_paragraphs(tidy, "ru") + rel.score_sentences(tidy, lang="ru")
             + [rel.interviewer_effect_sentence(rel.intra_interviewer_correlation(s), lang="ru")])
    for t in texts:  # Russian throughout: apart from cited authors and symbols, no Latin words
        rest = re.sub(r"[A-Z][a-z]+( & [A-Z][a-z]+)?,? \(?\d{4}", "", t)
        latin = [w for w in re.findall(r"\b[A-Za-z_]{3,}\b", rest) if w not in {"ICC", "rho", "Kish", "Krippendorff"}]
        assert not latin, (latin, t)
    assert "Landis & Koch (1977)" in texts[0] and "Koo & Li (2016)" in texts[3]
    t = np.zeros((5, 5), int)
    t[4, 4], t[3, 4], t[4, 3] = 90, 5, 5
    ru = rel.kappa_paradox(t, range(1, 6), "eth_appearance", {5: "полностью согласен"}, lang="ru")
    assert ru.startswith("Парадокс каппы") and "«полностью согласен»" in ru
