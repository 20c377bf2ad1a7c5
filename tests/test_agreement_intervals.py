"""Issue 9, items 3, 4 and 7: honest agreement intervals at the ceiling, interviewer clusters,
design weights; the survey share interval as R ``svyciprop(method = "beta")``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from helpers.io.codebook import load_codebook
from helpers.narrative import reliability as nr
from helpers.stats import rater_agreement as ra
from helpers.stats.agreement import (
    bootstrap_degeneracy,
    bootstrap_table_ci,
    clopper_pearson,
    cluster_tables,
    korn_graubard,
    pigeonhole_tables,
    table_coefficients,
    table_intervals,
)
from helpers.stats.survey import weighted_mean, weighted_share
from helpers.studies.mystery_guest import reliability as rel
from helpers.studies.mystery_guest.agreement_simulation import (
    AgreementDesign,
    coverage,
    population_table,
)

CATS = [1, 2, 3, 4, 5]


def _table(cells: dict) -> np.ndarray:
    t = np.zeros((5, 5), dtype=int)
    for (a, b), n in cells.items():
        t[a - 1, b - 1] = n
    return t


# ----------------------------------------------------------------------------------------------
# item 3: the ceiling
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("x,n", [(40, 40), (0, 12), (89, 100), (8, 10), (1, 35), (143, 144)])
def test_clopper_pearson_equals_statsmodels_beta(x, n):
    lo, hi = clopper_pearson(x, n)
    ref = proportion_confint(x, n, alpha=0.05, method="beta")
    assert (lo, hi) == pytest.approx(ref, abs=1e-10)
    cp = stats.binomtest(x, n).proportion_ci(0.95, method="exact")  # a third implementation
    assert (lo, hi) == pytest.approx((cp.low, cp.high), abs=1e-10)


def test_forty_agreeing_pairs_get_a_real_interval():
    res = bootstrap_table_ci(_table({(5, 5): 40}), CATS, 1000, 0).set_index("statistic")
    pa = res.loc["percent_agreement"]
    assert pa["estimate"] == 1.0
    assert round(pa["ci_low"], 3) == 0.912 and pa["ci_high"] == 1.0  # 0.025 ** (1/40)
    assert pa["ci_method"] == "exact (Clopper-Pearson)"
    # AC1 = 1 in every resample: no zero-width interval, a reason instead
    ac1 = res.loc["gwet_ac1"]
    assert ac1["estimate"] == 1.0 and math.isnan(ac1["ci_low"]) and math.isnan(ac1["ci_high"])
    assert "same value" in ac1["reason"]
    widths = (res["ci_high"] - res["ci_low"]).dropna()
    assert (widths > 0.05).all()


def test_kappa_pinned_at_zero_is_not_a_confident_interval():
    """39 x (5,5) + 1 x (5,4): kappa 0.000 used to get an interval of width 4e-7."""
    t = _table({(5, 5): 39, (5, 4): 1})
    res = bootstrap_table_ci(t, CATS, 2000, 0).set_index("statistic")
    k = res.loc["cohen_kappa"]
    assert k["estimate"] == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(k["ci_low"]) and math.isnan(k["ci_high"])
    # the resamples without the one disagreement, (39/40)^40 = 36.3%, are counted and reported
    assert k["undefined_share"] == pytest.approx((39 / 40) ** 40, abs=0.03)
    assert "undefined in 3" in k["reason"] and "% of resamples" in k["reason"]
    for s in ("scott_pi", "krippendorff_alpha_nominal", "krippendorff_alpha_ordinal"):
        assert math.isnan(res.loc[s, "ci_low"]) and res.loc[s, "reason"]
    # every finite interval has real width
    w = (res["ci_high"] - res["ci_low"]).dropna()
    assert (w > 1e-3).all(), w


def test_small_undefined_share_is_excluded_and_reported_not_silent():
    # 56 x (5,5) + 3 x (4,4) + 1 x (5,4): kappa undefined when only (5,5) is drawn, (56/60)^60 = 1.6%
    t = _table({(5, 5): 56, (4, 4): 3, (5, 4): 1})
    res = bootstrap_table_ci(t, CATS, 4000, 3).set_index("statistic")
    k = res.loc["cohen_kappa"]
    assert k["undefined_share"] == pytest.approx((56 / 60) ** 60, abs=0.006)
    assert not math.isnan(k["ci_low"]) and "excluded" in k["reason"]
    assert res.loc["gwet_ac1", "undefined_share"] == 0 and res.loc["gwet_ac1", "reason"] == ""


def test_degeneracy_rules():
    assert bootstrap_degeneracy(0.5, np.linspace(0, 1, 100))[2]
    assert not bootstrap_degeneracy(0.0, np.r_[np.zeros(90), np.full(10, np.nan)])[2]  # 10%
    assert not bootstrap_degeneracy(1.0, np.ones(50))[2]
    assert not bootstrap_degeneracy(0.0, 1e-12 * np.arange(50))[2]  # numerically constant


def test_korn_graubard_falls_back_to_n_without_variance():
    lo, hi, n_eff = korn_graubard(1.0, 0.0, 40)
    assert n_eff == 40 and round(lo, 4) == 0.9119 and hi == 1.0
    lo, hi, n_eff = korn_graubard(0.8, 0.8 * 0.2 / 50, 144)
    assert n_eff == pytest.approx(50)
    assert (lo, hi) == pytest.approx(clopper_pearson(40, 50))


def test_analytic_intervals_are_never_zero_width():
    a = b = [5] * 30
    g = ra.gwet_ac(np.column_stack([a, b]), categories=CATS)
    assert g.estimate == 1.0 and math.isnan(g.ci_low) and "standard error 0" in g.reason
    bp = ra.brennan_prediger(a, b, categories=CATS)
    assert bp.estimate == 1.0 and math.isnan(bp.ci_low) and bp.reason
    pa = ra.percent_agreement(a, b, categories=CATS)
    assert pa.ci_low == pytest.approx(0.025 ** (1 / 30)) and pa.ci_high == 1.0


def test_public_percent_agreement_is_exact():
    a, b = ra.expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    r = ra.percent_agreement(a, b)
    assert (r.ci_low, r.ci_high) == pytest.approx(proportion_confint(89, 100, method="beta"))
    assert r.ci_method == "exact (Clopper-Pearson)"


def test_ceiling_items_flag_few_pairs_at_the_ceiling():
    few = {"eth_appearance": (_table({(5, 5): 33, (5, 4): 2}), CATS)}
    many = {"eth_appearance": (_table({(5, 5): 133, (5, 4): 2}), CATS)}
    spread = {"x": (_table({(5, 5): 10, (4, 4): 10, (3, 3): 10}), CATS)}
    assert rel.ceiling_items(few)[["item", "n"]].to_dict("records") == [{"item": "eth_appearance", "n": 35}]
    assert rel.ceiling_items(many).empty and rel.ceiling_items(spread).empty
    assert "n = 35" in nr.ceiling_warnings(few)[0] and nr.ceiling_warnings(many) == []
    assert "потолка" in nr.ceiling_warnings(few, lang="ru")[0]
    assert "conditional on these interviewers" in nr.interval_note("pairs")
    assert "pigeonhole" in nr.interval_note("interviewers") and "unweighted" in \
        nr.interval_note("interviewers")
    assert "design-weighted" in nr.interval_note("interviewers", weighted=True)
    assert "голубятня" in nr.interval_note("interviewers", lang="ru")


# ----------------------------------------------------------------------------------------------
# item 4: clusters
# ----------------------------------------------------------------------------------------------
def test_cluster_tables_are_a_sufficient_statistic():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    a[:5] = -1  # missing answers are left out
    v, s = rng.integers(0, 5, 300), rng.integers(0, 4, 300)
    ct = cluster_tables(a, b, 5, {"v": v, "s": s})
    ok = a >= 0
    assert ct.table.sum() == ok.sum() == ct.n.sum()
    np.testing.assert_array_equal(ct.table, np.bincount(a[ok] * 5 + b[ok], minlength=25).reshape(5, 5))
    # a cell is one (v, s) combination
    assert len(ct.n) == len(set(zip(v[ok], s[ok], strict=True)))
    assert ct.n_levels == (5, 4)


def test_pigeonhole_resamples_interviewers_not_pairs():
    rng = np.random.default_rng(1)
    a, b = rng.integers(3, 5, 200), rng.integers(3, 5, 200)
    ct = cluster_tables(a, b, 5, {"v": rng.integers(0, 5, 200), "s": rng.integers(0, 4, 200)})
    boot = pigeonhole_tables(ct, 3000, np.random.default_rng(2))
    np.testing.assert_allclose(boot.mean(0), ct.table, rtol=0.05, atol=1.0)  # unbiased for T
    assert np.array_equal(boot, pigeonhole_tables(ct, 3000, np.random.default_rng(2)))
    # the total number of pairs varies (clusters differ in size): not a multinomial of n pairs
    assert boot.sum((1, 2)).std() > 10
    # one cluster only: nothing to resample -> degenerate -> no interval, with a reason
    one = cluster_tables(a, b, 5, {"v": np.zeros(200, int)})
    res = table_intervals(one.table, pigeonhole_tables(one, 200, rng), 200, CATS,
                          resampling="interviewers").set_index("statistic")
    assert math.isnan(res.loc["gwet_ac1", "ci_low"]) and "same value" in res.loc["gwet_ac1", "reason"]
    assert not math.isnan(res.loc["percent_agreement", "ci_low"])  # Clopper-Pearson at n


def _frame(n_pairs=90, seed=0, stratum=None):
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n_pairs):
        base = rng.choice([3, 4, 5], p=[0.1, 0.2, 0.7])
        for role, iid in (("volunteer", f"V{p % 5}"), ("social_worker", f"S{p % 4}")):
            v = base if rng.random() > 0.3 else rng.choice([3, 4, 5])
            rows.append({"interview_id": f"{role[0]}{p}", "pair_id": f"P{p}", "role": role,
                         "interviewer_id": iid, "worker_id": f"W{p % 15}", "year": 2020,
                         "stratum": (stratum(p) if stratum else "home_care"),
                         "qual_overall": v})
    f = pd.DataFrame(rows)
    f["qual_overall"] = f["qual_overall"].astype("Int64")
    return f


def test_compare_interviewers_resampling_options():
    cb = load_codebook()
    f = _frame()
    clus = rel.compare_interviewers(f, cb, n_boot=400, items=["qual_overall"]).set_index("statistic")
    unit = rel.compare_interviewers(f, cb, n_boot=400, items=["qual_overall"],
                                    resample="pairs").set_index("statistic")
    assert clus.loc["gwet_ac1", "ci_method"] == "interviewers bootstrap percentile"
    assert unit.loc["gwet_ac1", "ci_method"] == "bootstrap bca"
    assert unit.loc["percent_agreement", "ci_method"] == "exact (Clopper-Pearson)"
    np.testing.assert_allclose(clus["estimate"], unit["estimate"], equal_nan=True)
    assert clus.loc["stuart_maxwell", "p_value"] == pytest.approx(unit.loc["stuart_maxwell", "p_value"])
    assert not clus["weighted"].any()
    both = rel.compare_interviewers(f, cb, n_boot=400, items=["qual_overall"],
                                    resample="interviewers+workers").set_index("statistic")
    w = {k: (t.loc["gwet_ac1", "ci_high"] - t.loc["gwet_ac1", "ci_low"])
         for k, t in (("unit", unit), ("clus", clus), ("both", both))}
    assert w["unit"] < w["clus"] < w["both"], w
    with pytest.raises(ValueError, match="resample"):
        rel.compare_interviewers(f, cb, items=["qual_overall"], resample="recipients")
    # no interviewer ids: pairs as units, and the table says so
    bare = rel.compare_interviewers(f.drop(columns=["interviewer_id", "worker_id"]), cb,
                                    n_boot=100, items=["qual_overall"]).set_index("statistic")
    assert "no interviewer ids" in bare.loc["gwet_ac1", "ci_method"]


# ----------------------------------------------------------------------------------------------
# item 7: design weights
# ----------------------------------------------------------------------------------------------
def test_design_weighted_agreement_by_hand():
    cb = load_codebook()
    f = _frame(60, seed=4, stratum=lambda p: "temporary_residence" if p < 20 else "home_care")
    roster = pd.DataFrame({"year": [2020, 2020], "stratum": ["home_care", "temporary_residence"],
                           "population": [400, 20]})
    design = rel.pair_design(f, roster)
    assert design.groupby("stratum")["weight"].first().to_dict() == {
        "home_care": 10.0, "temporary_residence": 1.0}
    w = rel.compare_interviewers(f, cb, n_boot=300, items=["qual_overall"], strata=roster)
    u = rel.compare_interviewers(f, cb, n_boot=300, items=["qual_overall"])
    w, u = w.set_index("statistic"), u.set_index("statistic")
    wide = f.pivot(index="pair_id", columns="role", values="qual_overall")
    agree = (wide["volunteer"] == wide["social_worker"]).astype(float)
    weight = design.set_index("pair_id")["weight"].reindex(wide.index)
    assert w.loc["percent_agreement", "estimate"] == pytest.approx(np.average(agree, weights=weight))
    assert u.loc["percent_agreement", "estimate"] == pytest.approx(agree.mean())
    assert w.loc["percent_agreement", "n"] == u.loc["percent_agreement", "n"] == 60
    assert w["weighted"].all() and not u["weighted"].any()
    # the weighted table is the sum of the weighted pair cells: AC1 from it by hand
    t = np.zeros((5, 5))
    for pid, r in wide.iterrows():
        t[int(r["volunteer"]) - 1, int(r["social_worker"]) - 1] += weight[pid]
    assert w.loc["gwet_ac1", "estimate"] == pytest.approx(float(table_coefficients(t, CATS)["gwet_ac1"]))
    cmp = rel.weighted_vs_unweighted_agreement(w.reset_index(), u.reset_index())
    assert set(cmp["statistic"]) == {"percent_agreement", "gwet_ac1"}
    assert cmp["difference"].abs().max() > 0
    # weights with unit-level resampling: stratified pair bootstrap, Korn-Graubard percent agreement
    wp = rel.compare_interviewers(f, cb, n_boot=300, items=["qual_overall"], strata=roster,
                                  resample="pairs").set_index("statistic")
    assert wp.loc["percent_agreement", "ci_method"].startswith("Korn-Graubard")
    assert wp.loc["gwet_ac1", "ci_low"] < wp.loc["gwet_ac1", "estimate"] < wp.loc["gwet_ac1", "ci_high"]


def test_weighted_share_is_r_svyciprop_beta_not_capped():
    # stratified: A N=300, 30 sampled (27 ones); B census of 60 (6 ones): deff < 1 -> n_eff > n
    y = [1] * 27 + [0] * 3 + [1] * 6 + [0] * 54
    h = ["A"] * 30 + ["B"] * 60
    w = [10.0] * 30 + [1.0] * 60
    m = weighted_mean(y, w, h)
    r = weighted_share(y, w, h)
    # R survey 4.5, svyciprop(method = "beta"), by hand
    n_eff = m.estimate * (1 - m.estimate) / m.se**2 * (stats.t.ppf(0.025, 89) / stats.t.ppf(0.025, 88)) ** 2
    assert n_eff > 90  # more than the sample: a cap at n would widen the interval
    x = m.estimate * n_eff
    assert r.ci_low == pytest.approx(stats.beta.ppf(0.025, x, n_eff - x + 1))
    assert r.ci_high == pytest.approx(stats.beta.ppf(0.975, x + 1, n_eff - x))


def test_weighted_share_reproduces_r_on_the_2020_demo_top_box():
    """R svyciprop(~top, svydesign(ids=~recipient_pid, strata=~stratum, weights=~w, fpc=~N),
    method="beta") on the 2020 demo composite top-box: 0.081 to 0.168 (issue 9).

    The R figures were computed on the first version of the demo data (before recipients kept their effect
    across years); that 2020 top-box table is frozen in ``tests/data/survey`` (recipients re-coded)."""
    f = pd.read_csv(Path(__file__).parent / "data" / "survey" / "demo2020_top_box_v1.csv")
    assert len(f) == 288 and f["recipient"].nunique() == 144
    r = weighted_share(f["top"], f["weight"], f["stratum"], clusters=f["recipient"])
    assert (round(r.ci_low, 3), round(r.ci_high, 3)) == (0.081, 0.168)


# ----------------------------------------------------------------------------------------------
# item 4: coverage in the 2020 shape (seeded simulation; long version benchmarks/bench_coverage.py)
# ----------------------------------------------------------------------------------------------
def test_category_probabilities_are_the_direct_quadrature():
    """Second implementation: the direct formula (the previous code) - one logistic per Gauss-Hermite node
    and threshold, ``sum_j w_j / (1 + exp(-(mu + sd x_j - t_c)))`` - against the factored one; also far in
    both tails, where a probability is exactly 0 or 1."""
    from helpers.studies.mystery_guest import agreement_simulation as sim

    d = AgreementDesign()
    mu = np.r_[np.random.default_rng(3).normal(2, 1.5, 20_000), -800.0, -40.0, 0.0, 40.0, 800.0]
    with np.errstate(over="ignore"):
        z = mu[:, None, None] + d.sd_answer * sim._X[:, None] - np.asarray(d.thresholds)
        ge = (1.0 / (1.0 + np.exp(-z)) * sim._W[:, None]).sum(-2)
    direct = np.concatenate([np.ones((len(mu), 1)), ge, np.zeros((len(mu), 1))], axis=1)
    direct = direct[:, :-1] - direct[:, 1:]
    fast = sim._category_probs(mu, d.sd_answer, d.thresholds)
    assert fast.shape == (len(mu), 5) and np.allclose(fast.sum(1), 1.0, atol=1e-12)
    assert np.abs(fast - direct).max() < 1e-13
    assert sim._category_probs(mu.reshape(5, -1), d.sd_answer, d.thresholds).shape == (5, len(mu) // 5, 5)


def test_population_truth_is_stable():
    t1 = table_coefficients(population_table(n_draws=100_000, seed=1) * 1e6, CATS)
    t2 = table_coefficients(population_table(n_draws=100_000, seed=2) * 1e6, CATS)
    for k in ("percent_agreement", "gwet_ac1"):
        assert float(t1[k]) == pytest.approx(float(t2[k]), abs=0.003)


def test_interviewer_cluster_intervals_cover_95_percent_in_the_2020_shape():
    """600 simulated 2020-shaped studies (144 pairs, 5 + 4 interviewers, 15 workers; demo variance
    components), 300 resamples each. Monte Carlo SE of a coverage of 0.95 is
    sqrt(0.95 * 0.05 / 600) = 0.009, so 95% +- 3 is a +-3.4 SE band. The same studies with pairs
    resampled as units must fall short (that is what the default fixes), so the test can fail."""
    res = coverage(n_studies=600, n_boot=300, design=AgreementDesign(),
                   methods=("interviewers", "pairs"), seed=2020).set_index(["method", "statistic"])
    for s in ("percent_agreement", "gwet_ac1"):
        c = res.loc[("interviewers", s), "coverage"]
        assert 0.92 <= c <= 0.98, (s, c)
        assert res.loc[("interviewers", s), "no_interval"] == 0
    assert res.loc[("pairs", "gwet_ac1"), "coverage"] < 0.92


def test_design_weights_remove_the_over_representation_bias():
    """Stratified 2020 shape: 130 of 1,300 home-care recipients + all 14 in temporary residence,
    who here agree more (latent shift 3). The weighted percent agreement estimates the population
    value; the unweighted one is pulled towards temporary residence (14/144 of the pairs instead of
    14/1,314 of the population)."""
    from helpers.studies.mystery_guest.agreement_simulation import CATEGORIES, simulate_pairs

    d = AgreementDesign(n_temporary=14, temporary_shift=3.0)
    truth = float(table_coefficients(population_table(d, n_draws=100_000) * 1e6,
                                     CATEGORIES)["percent_agreement"])
    rng = np.random.default_rng(1)
    weighted, unweighted = [], []
    for _ in range(400):
        f = simulate_pairs(d, rng)
        a, b = f["a"].to_numpy(), f["b"].to_numpy()
        t = cluster_tables(a, b, 5, {}, f["weight"]).table
        weighted.append(float(table_coefficients(t, CATEGORIES)["percent_agreement"]))
        unweighted.append(float(np.mean(a == b)))
    se = np.std(weighted) / np.sqrt(400)  # ~0.0026
    assert abs(np.mean(weighted) - truth) < 4 * se
    assert np.mean(unweighted) - truth > 0.012  # ~ +0.021, eight standard errors


# ----------------------------------------------------------------------------------------------
# issue 19, item 5: no zero-width interval anywhere in the kappa family
# ----------------------------------------------------------------------------------------------
KAPPA_FAMILY = ("cohen_kappa", "cohen_kappa_linear", "cohen_kappa_quadratic", "scott_pi",
                "brennan_prediger")


def _no_zero_width(estimate, lo, hi, reason, what):
    """An interval is of real width, or NaN with a reason; never zero width."""
    if math.isnan(lo) or math.isnan(hi):
        assert math.isnan(lo) and math.isnan(hi) and reason, what
    else:
        assert hi - lo > 1e-4, (what, lo, hi)
        assert lo <= estimate <= hi, what


def test_one_rater_with_a_single_category_gets_no_interval_in_the_kappa_family():
    """39 x (5,5) + 1 x (5,4): Cohen's kappa (any weights) is 0 with the analytic interval +-2e-7 on main."""
    a, b = [5] * 40, [5] * 39 + [4]
    for w in (None, "linear", "quadratic"):
        k = ra.cohen_kappa(a, b, w, categories=CATS)
        assert k.estimate == pytest.approx(0.0, abs=1e-12)
        assert math.isnan(k.ci_low) and math.isnan(k.ci_high), (w, k)
        assert k.reason.startswith("one rater used a single category"), k.reason
        assert k.n == 40 and isinstance(k.n, int) and str(k.n) == "40"
    # the others stay defined with an interval of real width (pi is not pinned by one margin)
    pi = ra.scott_pi(a, b, categories=CATS)
    assert pi.estimate == pytest.approx(-1 / 79) and pi.ci_high - pi.ci_low > 0.01
    bp = ra.brennan_prediger(a, b, categories=CATS)
    assert bp.estimate == pytest.approx((39 / 40 - 1 / 5) / (1 - 1 / 5))
    assert bp.ci_high - bp.ci_low > 0.05 and bp.ci_high == 1.0  # irrCAC closes the upper bound at 1
    # Fleiss (two raters = Scott's pi) and Krippendorff: their bootstrap is degenerate -> NaN + reason
    f = ra.fleiss_kappa(np.column_stack([a, b]), n_boot=500, seed=0)
    assert f.estimate == pytest.approx(pi.estimate) and math.isnan(f.ci_low) and f.reason
    assert isinstance(f.n, int) and f.n == 40
    al = ra.krippendorff_alpha(np.vstack([a, b]), n_boot=500, seed=0)
    assert math.isnan(al.ci_low) and al.reason and al.n == 40 and al.n_pairable_values == 80
    assert isinstance(al.n_pairable_values, int)
    # the reviewer reads the reason in words, in both languages
    assert nr.reason_text(ra.cohen_kappa(a, b).reason, "ru").startswith("один из опрашивающих")


def test_pinned_linear_kappa_gets_no_interval():
    """Linear-weighted kappa is exactly 0 whenever one rater never answers below the other
    (sum |k-l| (p_kl - r_k c_l) = E[k-l] - E[k-l] = 0): its analytic se is rounding only."""
    t = _table({(2, 1): 11, (2, 2): 35, (3, 2): 13})
    a, b = ra.expand_table(t)
    k = ra.cohen_kappa(a, b, "linear", categories=CATS)
    assert k.estimate == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(k.ci_low) and "standard error 0" in k.reason
    assert ra.cohen_kappa(a, b, categories=CATS).ci_high - ra.cohen_kappa(a, b, categories=CATS).ci_low > 0.05
    res = bootstrap_table_ci(t, CATS, 500, 0).set_index("statistic")
    assert math.isnan(res.loc["cohen_kappa_linear", "ci_low"]) and res.loc["cohen_kappa_linear", "reason"]


@pytest.mark.parametrize("seed", [0, 1])
def test_no_zero_width_interval_in_the_kappa_family_on_sparse_tables(seed):
    """Every sparse 3 x 3 table (1-3 occupied cells, the shapes where coefficients get pinned): the analytic,
    the table-bootstrap and Fleiss' intervals are of real width or NaN with a reason. On main, 400 such tables
    gave 67 analytic Cohen's kappa intervals (over the three weights) narrower than 1e-6."""
    rng = np.random.default_rng(seed)
    cats = [1, 2, 3]
    for _ in range(60):
        t = np.zeros((3, 3), dtype=int)
        for c in rng.choice(9, size=rng.integers(1, 4), replace=False):
            t.flat[c] = rng.integers(1, 30)
        a, b = ra.expand_table(t)
        n = int(t.sum())
        for s in KAPPA_FAMILY:
            r = (ra.cohen_kappa(a, b, s.removeprefix("cohen_kappa_") if s.startswith("cohen_kappa_") else None,
                                categories=cats) if s.startswith("cohen") else
                 getattr(ra, s)(a, b, categories=cats))
            assert isinstance(r.n, int) and r.n == n
            if not math.isnan(r.estimate):
                _no_zero_width(r.estimate, r.ci_low, r.ci_high, r.reason, (s, t.tolist()))
        f = ra.fleiss_kappa(np.column_stack([a, b]), n_boot=200, seed=1)
        if not math.isnan(f.estimate):
            _no_zero_width(f.estimate, f.ci_low, f.ci_high, f.reason, ("fleiss", t.tolist()))
        res = bootstrap_table_ci(t, cats, 200, 1)
        assert res["n"].dtype.kind == "i"
        for r in res[res["statistic"].isin(KAPPA_FAMILY)].itertuples():
            if not math.isnan(r.estimate):
                _no_zero_width(r.estimate, r.ci_low, r.ci_high, r.reason, (r.statistic, t.tolist()))
