"""Tests written to kill the mutants of helpers.stats.agreement's reasons and resampling designs that survived
the first run of entry ``agreement_intervals`` (docs/mutation/agreement_intervals.md, "Reasons and resampling designs").

The reasons: which reason a NaN coefficient (or a NaN interval) gets on which table, checked by its opening
phrase, its parameters (the number of categories used, the undefined share, the 5% bound) and the catalogue key a
Russian report shows for it (``reason_text``), not by the wording of every sentence. The tables are the ones
that trigger each rule, worked out by hand from the formulas: Cohen's kappa is 0/0 exactly when both raters keep
to the same single category (``p_e = sum_k r_k c_k = 1``), Scott's pi and Krippendorff's alpha when the pooled
answers use one category; a chance agreement within ``1e-12`` of 1 (a category carrying a weight of 1e-13) is
0/0 as well, by the guard of ``_ratio``, although two categories carry weight.

The designs: a stratified bootstrap written out here (each stratum's pairs resampled with replacement in their
own stratum - a multinomial draw of its n pairs - times its weight), and exact properties a wrong design breaks
(each stratum's total in every replicate, the cells a stratum can reach, a one-pair stratum kept); the cluster
bootstrap read off exactly (whole clusters, G of them per replicate; Owen's ``m_v m_s`` weights of crossed
factors) and the jackknife written out (leave each pair out, tabulate, count the distinct tables).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.narrative.catalogue import text
from helpers.narrative.reliability import reason_text
from helpers.stats import agreement as ag

KEYS = ("no_pairs", "one_category", "one_rater", "pinned", "degenerate", "resamples_undefined", "no_resamples",
        "scale", "few", "other")


def _key(reason: str) -> str:
    """The catalogue key of the reason a Russian report shows for an English reason of the stats layer."""
    shown = reason_text(reason, "ru")
    return next(k for k in KEYS if shown == text(f"reliability.reason.{k}", "ru"))


def _reasons(table) -> dict[str, str]:
    """The reason of every coefficient of ``table`` (no resamples: the NaN ones carry undefined_reason)."""
    t = np.asarray(table, dtype=float)
    d = ag.table_intervals(t, None, float(t.sum()))
    return dict(zip(d.statistic, d.reason, strict=True))


KAPPAS = ("cohen_kappa", "cohen_kappa_linear", "cohen_kappa_quadratic")
ALPHAS = ("krippendorff_alpha_nominal", "krippendorff_alpha_ordinal", "krippendorff_alpha_interval")
ONE_CATEGORY = "every answer is in one category (1 category used)"


def test_no_pairs_gives_the_no_pairs_reason_for_every_coefficient():
    for name, why in _reasons(np.zeros((2, 2))).items():
        assert why.startswith("no pairable answers (no unit rated by both raters)"), name
        assert _key(why) == "no_pairs"


@pytest.mark.parametrize("table", [[[5]], [[0, 0], [0, 5]], [[4, 0, 0], [0, 0, 0], [0, 0, 0]]])
def test_one_category_used_names_the_count_for_kappa_pi_and_alpha(table):
    """Both raters in one category: p_e = 1 for kappa (any weights), pi and alpha; the reason says 1 category."""
    r = _reasons(table)
    for name in (*KAPPAS, "scott_pi", *ALPHAS):
        assert r[name].startswith(ONE_CATEGORY), name
        assert _key(r[name]) == "one_category"
    if len(table) == 1:  # a 1 x 1 table: AC1/AC2 and Brennan-Prediger need K >= 2 (p_e = 1/K, K (K - 1))
        for name in ("gwet_ac1", "gwet_ac2_linear", "gwet_ac2_quadratic", "brennan_prediger"):
            assert r[name].startswith("fewer than two categories known: pass the full scale"), name
            assert _key(r[name]) == "scale"  # the scale is missing, not pairs (a Russian report said "too few pairs")
    else:  # K >= 2: AC1 and Brennan-Prediger stay defined (1: every pair agrees), only without an interval here
        assert r["gwet_ac1"] == r["brennan_prediger"] == "no resamples: no interval"  # 5 pairs, none drawn
        assert _key(r["gwet_ac1"]) == "no_resamples"


def test_analytic_path_gives_the_same_undefined_reason():
    r = ag.agreement_from_table("scott_pi", np.array([[0, 0], [0, 7]]))
    assert math.isnan(r.estimate) and r.reason.startswith(ONE_CATEGORY)
    r = ag.agreement_from_table("brennan_prediger", np.array([[7]]))
    assert math.isnan(r.estimate) and r.reason.startswith("fewer than two categories known")


def test_chance_agreement_rounding_to_one_with_two_categories_used():
    """p_e within 1e-12 of 1 although two categories carry weight: 'chance agreement is 1', never the count
    of a single category; Krippendorff's alpha with fewer than two pairable values says so.

    Row rater in one category, the column rater's second category weighted 1e-13 (rows {0}, columns {0, 1}):
    p_e = c_0 = 1 / (1 + 1e-13); alpha's expected disagreement 2 n_0 n_1 ~ 4e-13, with n = 1 pair.
    """
    a = _reasons([[1.0, 1e-13], [0.0, 0.0]])
    for name in (*KAPPAS, "scott_pi"):
        assert a[name].startswith("chance agreement is 1 (expected disagreement 0)"), name
        assert _key(a[name]) == "one_category"
    assert a["krippendorff_alpha_nominal"].startswith("fewer than two pairable values")
    assert _key(a["krippendorff_alpha_nominal"]) == "few"
    b = _reasons([[1.0, 0.0], [1e-13, 0.0]])  # the mirror: rows {0, 1}, columns {0}
    assert b["cohen_kappa"].startswith("chance agreement is 1 (expected disagreement 0)")
    c = _reasons([[2.0 - 1e-13, 1e-13], [0.0, 0.0]])  # n = 2 pairs exactly: alpha's 0/0 is not "fewer than two"
    assert c["krippendorff_alpha_nominal"].startswith("chance agreement is 1 (expected disagreement 0)")


@pytest.mark.parametrize(("name", "table", "key", "start"), [
    # one rater in one category: kappa = 0 with se 0 whichever rater it is (Gwet 2014: p_a = p_e = c_l)
    ("cohen_kappa", [[0, 1], [0, 39]], "one_rater", "one rater used a single category"),  # column rater
    ("cohen_kappa", [[0, 0], [1, 39]], "one_rater", "one rater used a single category"),  # row rater
    ("cohen_kappa_linear", [[0, 3], [0, 37]], "one_rater", "one rater used a single category"),
    # every pair agrees, both raters use both categories: coefficient 1 with se 0
    ("cohen_kappa", [[20, 0], [0, 20]], "pinned", "standard error 0 (answers at the ceiling"),
    ("gwet_ac1", [[20, 0], [0, 20]], "pinned", "standard error 0 (answers at the ceiling"),
])
def test_pinned_reason_per_table(name, table, key, start):
    r = ag.agreement_from_table(name, np.array(table))
    assert r.se == 0.0 and math.isnan(r.ci_low) and math.isnan(r.ci_high)
    assert r.reason.startswith(start)
    assert _key(r.reason) == key


def test_bootstrap_degeneracy_bounds():
    spread = np.linspace(0.4, 0.6, 95)
    assert ag.bootstrap_degeneracy(0.5, np.array([])) == ("no resamples", pytest.approx(math.nan, nan_ok=True),
                                                          False)
    assert _key("no resamples") == "no_resamples"
    # exactly 5% undefined is still usable ("more than" 5% withholds the interval)
    why, share, usable = ag.bootstrap_degeneracy(0.5, np.r_[spread, np.full(5, np.nan)])
    assert (why, share, usable) == ("undefined in 5.0% of resamples (excluded)", 0.05, True)
    why, share, usable = ag.bootstrap_degeneracy(0.5, np.r_[spread[:94], np.full(6, np.nan)])
    assert why.startswith("undefined in 6.0% of resamples (more than 5%)") and share == 0.06 and not usable
    assert _key(why) == "resamples_undefined"  # not the catch-all "see the table of all coefficients"
    # two distinct replicates are enough
    assert ag.bootstrap_degeneracy(0.5, np.array([0.4, 0.6])) == ("", 0.0, True)


@pytest.mark.parametrize(("estimate", "boot", "usable"), [
    (0.0, [0.0, 1e-9], False),  # range 1e-9: at the bound, degenerate
    (0.0, [0.0, 1.5e-9], True),  # above it
    (0.5, [0.5, 0.5, 0.5], False),
    (10.0, [10.0, 10.0 + 5e-9], False),  # the bound scales with |estimate| beyond 1: 1e-8 here
    (-1.0, [-1.0, -1.0 + 5e-9], True),
])
def test_bootstrap_degeneracy_range_bound(estimate, boot, usable):
    why, share, ok = ag.bootstrap_degeneracy(estimate, np.array(boot))
    assert ok is usable and share == 0.0
    if not usable:
        assert why.startswith("every resample gives the same value") and _key(why) == "degenerate"
    else:
        assert why == ""


def test_resample_tables_of_one_pair_and_of_none():
    rng = np.random.default_rng(3)
    one = ag.resample_tables(np.array([[0, 0], [1, 0]]), 7, rng)  # one pair: every resample is that pair
    assert one.shape == (7, 2, 2)
    assert (one == np.array([[0, 0], [1, 0]])).all()
    none = ag.resample_tables(np.zeros((3, 3), dtype=int), 4, rng)
    assert none.shape == (4, 3, 3) and not none.any()


STRATA = np.array([[[3.0, 2.0], [0.0, 0.0]],  # stratum A: 5 pairs, first rater answered 0
                   [[0.0, 0.0], [0.0, 1.0]]])  # stratum B: one pair (1, 1)
WEIGHTS = np.array([2.0, 0.5])


def test_stratified_tables_resample_within_each_stratum():
    b = ag.stratified_tables(STRATA, WEIGHTS, 300, np.random.default_rng(11))
    assert b.shape == (300, 2, 2)
    # each stratum keeps its own n in every replicate: A's 5 pairs stay in row 0 (weight 2), B's one pair in (1, 1)
    assert (b[:, 0, :].sum(1) == 10.0).all()
    assert (b[:, 1, 1] == 0.5).all() and (b[:, 1, 0] == 0.0).all()
    assert (b.sum(axis=(1, 2)) == 10.5).all()
    # A's cell (0, 0) moves: 2 x Binomial(5, 3/5)
    assert set(np.unique(b[:, 0, 0])) <= {0.0, 2.0, 4.0, 6.0, 8.0, 10.0} and np.ptp(b[:, 0, 0]) > 0
    assert b[:, 0, 0].mean() == pytest.approx(6.0, abs=0.35)  # 2 * 5 * 3/5; sd of the mean 2*sqrt(1.2/300)
    # written out: the pairs of each stratum drawn with replacement (n_h draws from its cell shares), weighted
    rng = np.random.default_rng(11)
    ref = sum(w * rng.multinomial(int(t.sum()), t.ravel() / t.sum(), size=300).reshape(300, 2, 2)
              for t, w in zip(STRATA, WEIGHTS, strict=True))
    np.testing.assert_array_equal(b, ref)


def test_designs_refuse_mismatched_lengths():
    with pytest.raises(ValueError):  # a weight missing: the stratum is not silently dropped
        ag.stratified_tables(STRATA, WEIGHTS[:1], 5, np.random.default_rng(0))
    ct = ag.cluster_tables(np.array([0, 1]), np.array([0, 1]), 2, {"v": ["x", "y"], "s": ["w", "z"]})
    bad = ag.ClusterTables(ct.tables, ct.levels[:1], ct.n_levels, ct.factors, ct.n)
    with pytest.raises(ValueError):  # a factor without its levels is not silently left out of the resampling
        ag.pigeonhole_tables(bad, 5, np.random.default_rng(0))


def test_cluster_tables_keep_missing_levels_and_single_level_factors():
    """Pairs with an unknown interviewer form their own cluster; a factor with one level (one social worker)
    keeps every cell's levels right. Worked out by hand: pair 4 has no answer of rater b (left out);
    v: x -> 0, <missing> -> 1, y -> 2 in order of appearance; s has the single level w."""
    a = np.array([0, 1, 1, 0, 1])
    b = np.array([0, 1, 0, 0, -1])
    ct = ag.cluster_tables(a, b, 2, {"v": ["x", "x", None, "y", "y"], "s": ["w"] * 5})
    np.testing.assert_array_equal(ct.tables, [[[1, 0], [0, 1]], [[0, 0], [1, 0]], [[1, 0], [0, 0]]])
    assert [lv.tolist() for lv in ct.levels] == [[0, 1, 2], [0, 0, 0]]
    assert ct.n_levels == (3, 1) and ct.factors == ("v", "s") and ct.n.tolist() == [2.0, 1.0, 1.0]


def test_pigeonhole_resamples_whole_clusters_and_crossed_levels():
    """One factor: the cluster bootstrap (whole clusters drawn with replacement, G of them); two crossed factors:
    Owen's pigeonhole weights ``m_v m_s``. Each cell sits in its own cell of a 3 x 3 table, so a replicate's
    multiplicity of every cell can be read off exactly."""
    a = np.array([0, 0, 1, 1, 1, 2, 2])
    b = np.array([0, 0, 1, 1, 1, 2, 2])  # cluster x: 2 pairs in (0, 0); y: 3 in (1, 1); z: 2 in (2, 2)
    ct = ag.cluster_tables(a, b, 3, {"v": ["x", "x", "y", "y", "y", "z", "z"]})
    rep = ag.pigeonhole_tables(ct, 400, np.random.default_rng(5))
    m = np.stack([rep[:, 0, 0] / 2, rep[:, 1, 1] / 3, rep[:, 2, 2] / 2], axis=1)
    assert (m == np.round(m)).all() and (m >= 0).all()  # whole clusters: each one's pairs all in or all out
    assert (m.sum(1) == 3).all()  # G = 3 clusters drawn in every replicate
    assert (rep.sum(axis=(1, 2)) == (m * [2, 3, 2]).sum(1)).all()
    assert m.mean() == pytest.approx(1.0, abs=0.1) and np.ptp(m) > 0
    # crossed volunteer x worker, one pair per (v, s) cell, in four different table cells
    a2, b2 = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    ct2 = ag.cluster_tables(a2, b2, 2, {"v": ["p", "p", "q", "q"], "s": ["u", "w", "u", "w"]})
    w = ag.pigeonhole_tables(ct2, 400, np.random.default_rng(6))  # w[:, i, j] = m_v(i) m_s(j)
    np.testing.assert_array_equal(w[:, 0, 0] * w[:, 1, 1], w[:, 0, 1] * w[:, 1, 0])
    mv = w.sum(2) / 2  # sum_s m_v m_s = 2 m_v (the worker multiplicities sum to 2)
    ms = w.sum(1) / 2
    assert (mv.sum(1) == 2).all() and (ms.sum(1) == 2).all()
    assert np.ptp(mv) > 0 and np.ptp(ms) > 0  # both factors resampled
    np.testing.assert_array_equal(w, mv[:, :, None] * ms[:, None, :])


def test_jackknife_tables_are_the_leave_one_pair_out_tables():
    """Written out over the pairs: leave each pair out, tabulate, count the distinct tables."""
    t = np.array([[3, 1, 0], [0, 2, 0], [1, 0, 4]])
    a, b = np.nonzero(t)
    pairs = np.repeat(np.stack([a, b], 1), t[a, b], axis=0)
    seen: dict[bytes, list] = {}
    for i in range(len(pairs)):
        rest = np.delete(pairs, i, axis=0)
        tab = ag.table_from_codes(rest[:, 0], rest[:, 1], 3)
        seen.setdefault(tab.tobytes(), [tab, 0])[1] += 1
    tables, mult = ag._jackknife_tables(t)
    assert mult.sum() == t.sum() == len(pairs)
    got = {np.asarray(x, dtype=np.int64).tobytes(): m for x, m in zip(tables, mult, strict=True)}
    assert got == {k: float(v[1]) for k, v in seen.items()}
