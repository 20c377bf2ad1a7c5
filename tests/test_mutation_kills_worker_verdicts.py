"""Tests written to kill meaningful surviving mutants of ``benchmarks/mutation.py worker_verdicts``
(docs/mutation/worker_verdicts.md): the recognition / concern lists of
:func:`helpers.studies.mystery_guest.scoring.recognition_lists` on small hand-made worker tables. Every p-value is
recomputed here with scipy (``2 T_df(-|t|)``, ``2 Phi(-|z|)``) and every adjustment with statsmodels'
``multipletests`` (a second implementation of Holm, Bonferroni and Benjamini-Hochberg)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from helpers.studies.mystery_guest.scoring import _effect_p, _multiplicity, recognition_lists

Z975 = stats.norm.ppf(0.975)


def _table(**extra) -> pd.DataFrame:
    """Six workers of one year and measure with the contrast columns of worker_scores (t on Satterthwaite df)."""
    t = pd.DataFrame({"worker_id": list("ABCDEF"), "year": 2020, "measure": "composite",
                      "n": [20, 18, 22, 16, 20, 19], "n_recipients": [10, 9, 11, 8, 10, 9],
                      "raw_mean": 90.0, "raw_ci_low": 85.0, "raw_ci_high": 95.0,
                      "adjusted": [96.0, 94.0, 83.0, 90.0, 86.0, 91.0], "ci_low": 80.0, "ci_high": 99.0,
                      "org_mean": 90.0, "effect": [6.0, 4.0, -7.0, 0.0, -4.0, 1.0],
                      "effect_se": [10.0, 10.0, 10.0, 10.0, 10.0, 10.0],
                      "contrast": [4.2, 6.5, -8.0, 0.5, -3.0, 1.0], "contrast_se": [0.9, 1.6, 2.0, 1.0, 1.5, 1.0],
                      "contrast_df": [12.0, 30.0, 8.0, 20.0, 15.0, 25.0], "flag": False, "model": "m"})
    return t.assign(**extra)


def _t_p(t: pd.DataFrame) -> np.ndarray:
    return 2 * stats.t.sf(np.abs(t["contrast"] / t["contrast_se"]), t["contrast_df"])


def test_lists_by_hand_holm_on_the_contrast_t_with_its_columns_and_order():
    """Holm over the six workers (statsmodels), listed when the adjusted p is below 0.05, recognition for a positive
    contrast; recognition first, best adjusted score first, concern lowest first; each column carried."""
    t = _table()
    p = _t_p(t)
    adj = multipletests(p, method="holm")[1]
    assert (adj < 0.05).tolist() == [True, True, True, False, False, False]  # the probe: three listed, three not
    r = recognition_lists(t)
    assert r[["list", "worker_id"]].values.tolist() == [["recognition", "A"], ["recognition", "B"], ["concern", "C"]]
    np.testing.assert_allclose(r["p"], p[:3], rtol=1e-12)
    np.testing.assert_allclose(r["p_adjusted"], adj[:3], rtol=1e-12)
    assert (r["test"] == "contrast_t").all() and (r["n_compared"] == 6).all()
    assert (r["method"] == "holm").all() and (r["alpha"] == 0.05).all() and r["n_compared"].dtype.kind == "i"
    assert r["n_recipients"].tolist() == [10, 9, 11] and r["contrast_df"].tolist() == [12.0, 30.0, 8.0]
    assert (r["model_kind"] == "").all() and (r["adjusted_note"] == "").all()
    assert list(r.columns) == ["list", "worker_id", "year", "measure", "n", "n_recipients", "raw_mean", "raw_ci_low",
                               "raw_ci_high", "adjusted", "ci_low", "ci_high", "org_mean", "effect", "effect_se",
                               "contrast", "contrast_se", "contrast_df", "test", "p", "p_adjusted", "n_compared",
                               "method", "alpha", "flag", "model", "model_kind", "adjusted_note"]
    # the order within a list follows the adjusted score, not the table's order
    swapped = recognition_lists(_table(adjusted=[94.0, 96.0, 83.0, 90.0, 86.0, 91.0]))
    assert swapped["worker_id"].tolist() == ["B", "A", "C"]
    # two concerns: the lowest adjusted score first (C, listed after B in the table)
    two = recognition_lists(_table(contrast=[7.0, -6.5, -8.0, 0.5, -3.0, 1.0], adjusted=[96.0, 83.0, 80.0, 90, 86, 91]))
    assert two[["list", "worker_id"]].values.tolist() == [["recognition", "A"], ["concern", "C"], ["concern", "B"]]
    # across families: recognition, then concern; within each by measure, then year (ascending)
    many = pd.concat([_table(measure="quality", year=2021), _table(measure="quality", year=2020),
                      _table(measure="ethics", year=2021)], ignore_index=True)
    got = recognition_lists(many)
    assert got[["list", "measure", "year", "worker_id"]].values.tolist() == [
        ["recognition", "ethics", 2021, "A"], ["recognition", "ethics", 2021, "B"],
        ["recognition", "quality", 2020, "A"], ["recognition", "quality", 2020, "B"],
        ["recognition", "quality", 2021, "A"], ["recognition", "quality", 2021, "B"],
        ["concern", "ethics", 2021, "C"], ["concern", "quality", 2020, "C"], ["concern", "quality", 2021, "C"]]
    kept = recognition_lists(_table(model_kind="mixed", adjusted_note="note"))
    assert (kept["model_kind"] == "mixed").all() and (kept["adjusted_note"] == "note").all()


def test_listed_only_strictly_below_alpha_and_at_the_given_alpha():
    """A worker whose adjusted p equals alpha is not listed; another alpha moves the line (and is recorded)."""
    t = _table()
    adj = multipletests(_t_p(t), method="holm")[1]
    at = recognition_lists(t, alpha=float(adj[2]))  # C's adjusted p exactly
    assert "C" not in set(at["worker_id"]) and {"A", "B"} <= set(at["worker_id"])
    loose = recognition_lists(t, alpha=0.5)
    assert set(loose["worker_id"]) == {w for w, q in zip(t["worker_id"], adj, strict=True) if q < 0.5}
    assert (loose["alpha"] == 0.5).all()


@pytest.mark.parametrize("method", ["bonferroni", "fdr_bh"])
def test_other_methods_are_statsmodels_multipletests(method):
    t = _table()
    adj = multipletests(_t_p(t), method=method)[1]
    r = recognition_lists(t, method=method).set_index("worker_id")
    expect = {w for w, q in zip(t["worker_id"], adj, strict=True) if q < 0.05}
    assert set(r.index) == expect and (r["method"] == method).all()
    np.testing.assert_allclose(r["p_adjusted"], adj[[list(t["worker_id"]).index(w) for w in r.index]], rtol=1e-12)


def test_method_none_lists_on_the_unadjusted_p():
    t = _table()
    p = _t_p(t)
    r = recognition_lists(t, method="none")
    assert set(r["worker_id"]) == {w for w, q in zip(t["worker_id"], p, strict=True) if q < 0.05}
    np.testing.assert_allclose(r["p_adjusted"], r["p"], rtol=0, atol=0)


def test_families_are_one_year_and_one_measure_each():
    """Each (year, measure) is its own family of six; ``family=()`` pools the twelve rows into one Holm family."""
    t = _table()
    both = pd.concat([t, t.assign(year=2021)], ignore_index=True)
    r = recognition_lists(both)
    assert len(r) == 6 and (r["n_compared"] == 6).all()
    pooled = recognition_lists(both, family=())
    adj12 = multipletests(np.r_[_t_p(t), _t_p(t)], method="holm")[1]
    assert (pooled["n_compared"] == 12).all()
    np.testing.assert_allclose(np.sort(pooled["p_adjusted"]), np.sort(adj12[adj12 < 0.05]), rtol=1e-12)
    # a family key absent from the table is ignored, and a missing year is a family of its own
    nan_year = recognition_lists(both.assign(year=[np.nan] * 6 + [2021] * 6), family=("year", "measure", "region"))
    assert (nan_year["n_compared"] == 6).all() and len(nan_year) == 6


def test_without_a_usable_contrast_the_effect_z_is_used():
    """A contrast SE of 0 or missing, or a missing df, falls back to ``effect / effect_se`` (normal p)."""
    t = _table(contrast_se=[1.5, 0.0, np.nan, 1.0, 1.5, 1.0], contrast_df=[12.0, 30.0, 8.0, np.nan, 15.0, 25.0],
               effect=[6.0, 30.0, -40.0, 35.0, -4.0, 1.0])
    r = recognition_lists(t, method="none").set_index("worker_id")
    assert r["test"].to_dict() == {"A": "contrast_t", "B": "effect_z", "C": "effect_z", "D": "effect_z"}
    np.testing.assert_allclose(r.loc[["B", "C", "D"], "p"], 2 * stats.norm.sf([3.0, 4.0, 3.5]), rtol=1e-12)
    assert r.loc["C", "list"] == "concern" and r.loc["D", "list"] == "recognition"  # sign of the effect


def test_a_table_without_effect_or_contrast_columns_is_tested_on_its_interval():
    """Older tables: effect = adjusted - org_mean, effect_se = (ci_high - ci_low) / (2 z_0.975)."""
    t = _table().drop(columns=["effect", "effect_se", "contrast", "contrast_se", "contrast_df", "n_recipients"])
    t["ci_low"], t["ci_high"] = t["adjusted"] - 2 * Z975, t["adjusted"] + 2 * Z975  # effect_se = 2
    r = recognition_lists(t, method="none").set_index("worker_id")
    z = (t["adjusted"] - 90.0) / 2.0
    p = 2 * stats.norm.sf(np.abs(z))
    assert set(r.index) == {w for w, q in zip(t["worker_id"], p, strict=True) if q < 0.05} == {"A", "C", "B", "E"}
    np.testing.assert_allclose(r["p"], [p[list(t["worker_id"]).index(w)] for w in r.index], rtol=1e-12)
    np.testing.assert_allclose(r["effect_se"], 2.0, rtol=1e-12)
    assert (r["test"] == "effect_z").all() and r["n_recipients"].isna().all() and r["n_recipients"].dtype == "Int64"
    assert r["contrast"].isna().all() and r["contrast_se"].isna().all() and r["contrast_df"].isna().all()
    assert r["contrast"].dtype == float and r["contrast_df"].dtype == float
    # an effect without its SE: both are taken from the interval
    half = recognition_lists(_table().drop(columns=["effect_se", "contrast", "contrast_se", "contrast_df"]).assign(
        ci_low=t["ci_low"], ci_high=t["ci_high"]), method="none").set_index("worker_id")
    np.testing.assert_allclose(half["effect_se"], 2.0, rtol=1e-12)
    np.testing.assert_allclose(half["effect"], half["adjusted"] - 90.0, rtol=1e-12)


def test_a_small_significant_contrast_is_listed_by_its_sign():
    """Half a point above the others with SE 0.1 is a recognition, half a point below a concern."""
    t = _table(contrast=[0.5, -0.5, 0.0, 0.1, -0.1, 0.0], contrast_se=0.1)
    r = recognition_lists(t).set_index("worker_id")
    assert r["list"].to_dict() == {"A": "recognition", "B": "concern"}


def test_effect_p_of_a_shrunk_worker_is_one_and_otherwise_normal():
    e = pd.Series([0.0, 0.0, 3.0, -2.0, 1.0], index=[5, 6, 7, 8, 9])
    se = pd.Series([0.0, 2.0, 1.0, 1.0, 0.0], index=[5, 6, 7, 8, 9])
    p = _effect_p(e, se)
    assert p.iloc[0] == 1.0 and p.iloc[1] == 1.0  # 0/0: the worker shrunk to the mean
    np.testing.assert_allclose(p.iloc[2:4], 2 * stats.norm.sf([3.0, 2.0]), rtol=1e-12)
    assert p.iloc[4] == 0.0  # a positive effect with se 0: z infinite, p 0
    assert list(p.index) == list(e.index)


def test_multiplicity_keeps_nan_and_the_index():
    p = pd.Series([0.01, np.nan, 0.04, 0.03], index=[10, 11, 12, 13])
    for method in ("holm", "bonferroni", "fdr_bh"):
        out = _multiplicity(p, method)
        assert np.isnan(out[11]) and list(out.index) == [10, 11, 12, 13]
        np.testing.assert_allclose(out[[10, 12, 13]], multipletests([0.01, 0.04, 0.03], method=method)[1])
    none = _multiplicity(p, "none")
    assert np.isnan(none[11]) and none[[10, 12, 13]].tolist() == [0.01, 0.04, 0.03]
    assert _multiplicity(pd.Series([np.nan, np.nan]), "holm").isna().all()


def test_a_worker_without_a_p_value_is_not_counted_in_the_family():
    """F has no estimate (no contrast, no effect): its p is NaN, Holm runs over the other five and n_compared is 5."""
    t = _table(contrast=[7.0, 6.5, -8.0, 0.5, -3.0, np.nan], contrast_se=[1.5, 1.6, 2.0, 1.0, 1.5, np.nan],
               effect=[6.0, 4.0, -7.0, 0.0, -4.0, np.nan])
    r = recognition_lists(t)
    adj5 = multipletests(_t_p(t)[:5], method="holm")[1]
    assert (r["n_compared"] == 5).all()
    np.testing.assert_allclose(r["p_adjusted"], adj5[adj5 < 0.05], rtol=1e-12)
