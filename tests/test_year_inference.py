"""Honest year inference (issue 9): a constant instrument for year comparisons, recipients as the sampling unit.

Seeded simulations of 2018-2021 studies with NO change in quality and only a change of interviewer mix
(:func:`helpers.studies.mystery_guest.simulate.simulate_years`): the default ``compare_years`` / ``trend_test`` must report a
change at the nominal rate, while the all-interview option still sees the mix. The long versions (300
studies, SE calibration, speed) are in ``benchmarks/bench_year_inference.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.io.demo import recipient_effect
from helpers.narrative import summary as NS
from helpers.narrative import trends as N
from helpers.studies.mystery_guest import trends as T
from helpers.studies.mystery_guest.overview import load_processed
from helpers.studies.mystery_guest.scoring import score_interviews
from helpers.studies.mystery_guest.simulate import simulate_years

NULL_STUDIES = 120  # MC SE of a 5% rate: 0.020; 300 studies in benchmarks/ gave 0.020 and 0.037


def _null_study(seed: int, instrument="reference") -> tuple[bool, bool]:
    st = simulate_years(seed=seed)
    s = score_interviews(st.interviews)
    fit = T.year_mixed_model(s, roster=st.strata) if instrument == "reference" else None
    c = T.compare_years(s, roster=st.strata, instrument=instrument, fit=fit)
    t = T.trend_test(s, roster=st.strata, instrument=instrument, fit=fit)
    return bool((c["p_adjusted"] < 0.05).any()), bool(t["p"] < 0.05)


def test_simulated_study_has_the_mix_change_and_recurring_recipients():
    st = simulate_years(seed=1)
    s = score_interviews(st.interviews)
    share_sw = s.groupby("year")["role"].apply(lambda r: (r == "social_worker").mean())
    assert share_sw[2018] == 0 and share_sw[2019] == 0 and share_sw[2020] == 0.5 and share_sw[2021] == 0.5
    n = s.groupby("year")["recipient_pid"].nunique()
    assert n.tolist() == [35, 42, 144, 143]
    seen = set(s.loc[s["year"] < 2021, "recipient_pid"])
    assert 0.2 < np.mean([r in seen for r in s.loc[s["year"] == 2021, "recipient_pid"].unique()]) < 0.9
    # the role effect is there: within a pair the social worker scores ~3 points lower
    pair = s[s["year"] >= 2020].pivot_table(index=["year", "recipient_pid"], columns="role", values="composite")
    assert -5 < (pair["social_worker"] - pair["volunteer"]).mean() < -1.5


def test_default_year_comparison_holds_its_level_under_a_pure_change_of_interviewer_mix():
    res = np.array([_null_study(seed) for seed in range(NULL_STUDIES)])
    bound = 0.05 + 2 * np.sqrt(0.05 * 0.95 / NULL_STUDIES)
    fpr_compare, fpr_trend = res.mean(axis=0)
    assert fpr_compare <= bound, f"compare_years reports a change in {fpr_compare:.2f} of null studies"
    assert fpr_trend <= bound, f"trend_test reports a trend in {fpr_trend:.2f} of null studies"


def test_all_interview_comparison_sees_the_mix_change():
    # why it is not the default: counting every interview as conducted, the social-worker interviews of
    # 2020-21 read as a fall in quality (benchmarks/RESULTS.md: about 0.4 of null studies, 8x the nominal 0.05)
    res = np.array([_null_study(seed, instrument=None) for seed in range(1000, 1030)])
    assert res[:, 0].mean() >= 0.2 and res[:, 1].mean() >= 0.2, res.mean(axis=0)


def test_constant_instrument_recovers_a_planted_change():
    # power, not only level: a real fall of 0.7 on the latent scale (~4 points) in 2020 is found
    hits = []
    for seed in range(8):
        st = simulate_years(year_effect={2018: 0.0, 2019: 0.0, 2020: -0.7, 2021: -0.7}, seed=500 + seed)
        c = T.compare_years(score_interviews(st.interviews), roster=st.strata).set_index(["year_a", "year_b"])
        hits.append(c.loc[(2019, 2020), "verdict"] == "decrease")
    assert np.mean(hits) >= 0.6


# ---------------------------------------------------------------- recipients as the sampling unit


def test_design_covariance_of_a_fully_paired_sample_is_the_paired_t():
    # every recipient seen in both years, equal weights: se of the difference = sd(differences) / sqrt(n)
    rng = np.random.default_rng(4)
    n = 40
    u = rng.normal(0, 6, n)
    f = pd.DataFrame({"year": np.repeat([2020, 2021], n), "recipient_pid": [f"r{i}" for i in range(n)] * 2,
                      "composite": np.r_[80 + u + rng.normal(0, 3, n), 81 + u + rng.normal(0, 3, n)]})
    r = T.compare_years(f).iloc[0]
    a, b = f["composite"].to_numpy()[:n], f["composite"].to_numpy()[n:]
    assert r["se"] == pytest.approx(np.std(b - a, ddof=1) / np.sqrt(n), rel=1e-10)
    assert r["covariance"] > 0
    # ignoring the recurrence would give the two-sample SE, here more than twice as large
    assert np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n) > 2 * r["se"]
    assert r["difference"] == pytest.approx(stats.ttest_rel(b, a).statistic * r["se"])


def _linearised_by_recipient_pandas(frame, values, roster, weighted):
    """The previous implementation (pandas group-by, weights per year): the second implementation below."""
    from helpers.stats.survey import design_weights

    y = values.astype("float64").to_numpy()
    use = bool(weighted and roster is not None)
    w = design_weights(frame, roster).to_numpy() if use else np.ones(len(y))
    h = frame["stratum"].astype(str).to_numpy() if use else np.zeros(len(y), dtype=object)
    psu = frame["recipient_pid"].astype(str).to_numpy()
    ok = ~np.isnan(y)
    if use:
        full = pd.Series(w).groupby(h).transform("sum").to_numpy()
        resp = pd.Series(np.where(ok, w, 0.0)).groupby(h).transform("sum").to_numpy()
        w = w * full / resp
    y, w, h, psu = y[ok], w[ok], h[ok], psu[ok]
    mean = float((w * y).sum() / w.sum())
    t = pd.DataFrame({"h": h, "psu": psu, "z": w * (y - mean) / w.sum(), "w": w})
    t = t.groupby(["h", "psu"], sort=False).agg(z=("z", "sum"), w=("w", "sum")).reset_index()
    factor = {}
    for hh, g in t.groupby("h"):
        n_h = len(g)
        fpc = max(0.0, 1.0 - n_h / g["w"].sum()) if use else 1.0
        factor[hh] = fpc * n_h / (n_h - 1) if n_h > 1 else 0.0
    t["z"] = t["z"] - t.groupby("h")["z"].transform("mean")
    return t.drop_duplicates("psu").set_index("psu")[["h", "z"]], factor


@pytest.mark.parametrize("weighted", [True, False])
def test_linearisation_by_bincount_is_the_pandas_group_by(weighted):
    """Second implementation: the pandas group-by the bincount version replaced, with design weights computed per
    year (the previous code) - the same recipients, strata, linearised values (1e-15) and factors; missing
    scores included (a recipient with one of two interviews missing)."""
    from helpers.stats.survey import design_weights

    st = simulate_years(seed=3)
    s = score_interviews(st.interviews)
    s.loc[s.index[::7], "composite"] = np.nan
    frames = list(T._year_frames(s, [2018, 2019, 2020, 2021], st.strata if weighted else None))
    assert [y for y, _, _ in frames] == [2018, 2019, 2020, 2021]
    for y, f, w in frames:
        assert f.equals(s[s["year"] == y])
        if weighted:
            np.testing.assert_array_equal(w, design_weights(f, st.strata).to_numpy())
        new, k_new = T._linearised_by_recipient(f, f["composite"], st.strata, weighted, w)
        old, k_old = _linearised_by_recipient_pandas(f, f["composite"], st.strata, weighted)
        assert new.index.tolist() == old.index.tolist() and new["h"].tolist() == old["h"].tolist()
        np.testing.assert_allclose(new["z"], old["z"], rtol=0, atol=1e-15)
        assert k_new.keys() == k_old.keys() and all(k_new[h] == pytest.approx(k_old[h], rel=1e-14) for h in k_old)


def test_design_covariance_is_zero_without_recurring_recipients():
    rng = np.random.default_rng(5)
    f = pd.DataFrame({"year": np.repeat([2018, 2019], 30), "recipient_pid": [f"r{i}" for i in range(60)],
                      "composite": rng.normal(85, 8, 60)})
    r = T.compare_years(f).iloc[0]
    assert r["covariance"] == 0 and r["p"] == pytest.approx(stats.ttest_ind(
        f.loc[f["year"] == 2019, "composite"], f.loc[f["year"] == 2018, "composite"], equal_var=False).pvalue)


def test_demo_recipient_effect_persists_across_years(demo_dirs):
    a = recipient_effect(["R-W01-001", "R-W01-002"], seed=2018)
    assert np.array_equal(a, recipient_effect(["R-W01-001", "R-W01-002"], seed=2018)) and a[0] != a[1]
    # on the data: recipients seen in 2020 and 2021 keep their position within their worker's recipients
    # (pair means, centred by worker and year); 0.40 with the persistent effect, 0.08 when drawn anew each year
    s = score_interviews(load_processed(demo_dirs["processed"])["interviews"])
    m = s.groupby(["year", "worker_id", "recipient_pid"])["composite"].mean().reset_index()
    m["c"] = m["composite"] - m.groupby(["year", "worker_id"])["composite"].transform("mean")
    w = m.pivot_table(index="recipient_pid", columns="year", values="c")[[2020, 2021]].dropna()
    assert len(w) >= 80 and w.corr().iloc[0, 1] > 0.25


def test_year_model_engine_matches_statsmodels(demo_dirs):
    # second implementation: the MME engine (scoring's REML on Henderson's equations) against MixedLM
    s = score_interviews(load_processed(demo_dirs["processed"])["interviews"])
    s = s[s["year"] >= 2020]
    fast = T.year_mixed_model(s)
    slow = T.year_mixed_model(s, engine="statsmodels")
    assert set(fast.variance) == {"worker", "interviewer", "recipient", "residual"}
    for k in fast.variance:
        assert fast.variance[k] == pytest.approx(slow.variance[k], rel=0.02, abs=0.05)
    np.testing.assert_allclose(fast.means["estimate"], slow.means["estimate"], atol=0.01)
    np.testing.assert_allclose(fast.contrasts["se"], slow.contrasts["se"], rtol=0.02)


def test_year_model_with_the_recipient_absorbed_is_the_full_system(monkeypatch):
    """Second implementation: the previous engine - recipients in the dense Henderson system (side ~400) and the
    Nelder-Mead REML search - against the default (recipient absorbed, gradient search): the same fit to
    1e-3 in the variance components, 1e-5 points in the standardised means, 1e-4 (relative) in their SEs."""
    from scipy import sparse

    from helpers.stats.mixed import MME, reml

    def full(y, X, factors):
        Zs = [sparse.csr_array((np.ones(len(c)), (np.arange(len(c)), c)), shape=(len(c), m)) for _, c, m in factors]
        sigma2, s2, ok, _ = reml(y, X, Zs, optimizer="nelder-mead")
        kept = [k for k in range(len(Zs)) if s2[k] > 1e-6 * sigma2]
        beta, u, Cinv = MME(y, X, [Zs[k] for k in kept]).solve([s2[k] for k in kept], sigma2)
        blups, at = {}, 0
        for k in kept:
            blups[factors[k][0]] = u[at:at + Zs[k].shape[1]]
            at += Zs[k].shape[1]
        p = X.shape[1]
        return beta, sigma2 * Cinv[:p, :p], blups, {f: float(v) for (f, _, _), v in zip(factors, s2, strict=True)}, \
            sigma2, ok

    for seed in range(3):
        st = simulate_years(seed=seed)
        s = score_interviews(st.interviews)
        new = T.year_mixed_model(s, roster=st.strata)
        with monkeypatch.context() as m:
            m.setattr(T, "_mme_fit", full)
            old = T.year_mixed_model(s, roster=st.strata)
        assert set(new.variance) == set(old.variance) == {"worker", "interviewer", "recipient", "residual"}
        for k in new.variance:
            assert new.variance[k] == pytest.approx(old.variance[k], abs=1e-3)
        np.testing.assert_allclose(new.means["estimate"], old.means["estimate"], atol=1e-5)
        np.testing.assert_allclose(new.means["se"], old.means["se"], rtol=1e-4)
        np.testing.assert_allclose(new.contrasts["se"], old.contrasts["se"], rtol=1e-4)
        np.testing.assert_allclose(new.contrasts["p_adjusted"], old.contrasts["p_adjusted"], atol=1e-4)
        np.testing.assert_allclose(new.interviewer_effects, old.interviewer_effects.loc[new.interviewer_effects.index],
                                   atol=1e-4)


# ---------------------------------------------------------------- the demo reports


@pytest.fixture(scope="module")
def demo_tables(demo_dirs):
    d = load_processed(demo_dirs["processed"])
    s = score_interviews(d["interviews"])
    fit = T.year_mixed_model(s, roster=d["strata"])
    return {"scored": s, "strata": d["strata"], "fit": fit,
            "summary": T.yearly_summary(s, d["strata"]),
            "comparisons": T.compare_years(s, roster=d["strata"], fit=fit),
            "comparisons_all": T.compare_years(s, roster=d["strata"], instrument=None)}


def test_default_summary_is_the_constant_instrument(demo_tables):
    summ, fit = demo_tables["summary"], demo_tables["fit"]
    comp = summ[summ["measure"] == "composite"].set_index("year")
    assert (summ["instrument"] == "reference").all()
    np.testing.assert_allclose(comp["estimate"], fit.means.set_index("year")["estimate"])
    # the reference instrument is a volunteer in person: above the pooled mix, which includes social workers
    pooled = T.year_mixed_model(demo_tables["scored"], roster=demo_tables["strata"], instrument="pooled")
    assert (fit.means["estimate"] > pooled.means["estimate"]).all()
    np.testing.assert_allclose(fit.contrasts["difference"], pooled.contrasts["difference"], atol=1e-8)


def test_every_comparison_sentence_names_its_instrument(demo_tables):
    s = demo_tables["scored"]
    for lang, const, mix in (("en", "constant instrument", "depends on the interviewer mix"),
                             ("ru", "постоянный инструмент", "зависит от состава опрашивающих")):
        default = T.compare_years(s, roster=demo_tables["strata"], fit=demo_tables["fit"])
        everything = T.compare_years(s, roster=demo_tables["strata"], instrument=None)

        def sentences(frame, lang=lang):
            return [N.comparison_sentence(row, lang) for _, row in frame.iterrows()]

        assert all(const in x for x in sentences(default)) and all(mix in x for x in sentences(everything))
        for frame in (default, everything):
            ns = frame[frame["verdict"] == "not significant"]
            word = "cannot be excluded" if lang == "en" else "нельзя исключить"
            assert len(ns) and all(word in x for x in sentences(ns))
            assert (ns["ci_low_adjusted"] < 0).all() and (ns["ci_high_adjusted"] > 0).all()
        t = N.trend_sentence(T.trend_test(s, roster=demo_tables["strata"], fit=demo_tables["fit"]), lang)
        assert const in t
    with pytest.raises(ValueError, match="not of 'ethics'"):
        T.compare_years(s, "ethics", fit=demo_tables["fit"])


def test_key_findings_state_the_constant_instrument_first(demo_tables):
    d = demo_tables
    table = T.raw_vs_adjusted(d["scored"], fit=d["fit"])
    for lang, const, mix in (("en", "constant instrument", "depends on the interviewer mix"),
                             ("ru", "постоянный инструмент", "зависит от состава опрашивающих")):
        first = NS.key_findings(d["summary"], d["comparisons"], table, d["fit"], lang=lang,
                               comparisons_all=d["comparisons_all"])[0]
        assert const in first and mix in first and first.index(const) < first.index(mix)
    assert "no change larger than" not in first


def test_minimum_detectable_differences_scale_with_the_standard_error():
    """Second implementation: the MDD of every contrast solved on its own (the previous code) against the unit MDD
    times the SE that compare_years now uses for Wald (df = inf) contrasts; t contrasts are still solved one by one."""
    from helpers.stats.power import minimum_detectable_difference

    st = simulate_years(seed=7)
    s = score_interviews(st.interviews)
    for instrument in ("reference", None):
        c = T.compare_years(s, roster=st.strata, instrument=instrument)
        assert np.isinf(c["df"]).all() == (instrument == "reference")
        for r in c.itertuples():
            assert r.mdd == pytest.approx(minimum_detectable_difference(r.se, r.df, r.alpha_adjusted, 0.8), rel=1e-9)
            assert r.mdd_unadjusted == pytest.approx(minimum_detectable_difference(r.se, r.df, 0.05, 0.8), rel=1e-9)
    assert T._mdds([np.nan, 0.0, 2.0], [np.inf, np.inf, np.inf], 0.05, 0.8)[2] == pytest.approx(2 * 2.8016, abs=1e-4)
    assert np.isnan(T._mdds([np.nan, 0.0], [np.inf, np.inf], 0.05, 0.8)).all()


def test_ceiling_table_is_the_per_year_filter():
    """Second implementation: the per-year frame filter the array version replaced (same shares, SDs, flags)."""
    st = simulate_years(seed=2)
    s = score_interviews(st.interviews)
    s.loc[s.index[::5], "quality"] = np.nan
    s.loc[s["year"] == 2019, "ethics"] = 100.0  # a year at the ceiling
    rows = []
    for y in sorted(s["year"].unique()):
        f = s[s["year"] == y]
        for m in ["ethics", "competence", "quality", "composite", "covid"]:
            v = f[m].astype("float64").dropna()
            if len(v):
                share = float((v >= 100.0 - 1e-9).mean())
                rows.append({"year": int(y), "measure": m, "n": len(v), "ceiling_share": share,
                             "sd": float(v.std(ddof=1)) if len(v) > 1 else np.nan,
                             "testable": bool(share < 0.8 and len(v) > 1 and v.std(ddof=1) > 0)})
    pd.testing.assert_frame_equal(T.ceiling_by_year(s), pd.DataFrame(rows))
    assert not T.ceiling_by_year(s).set_index(["year", "measure"]).loc[(2019, "ethics"), "testable"]


def test_simulated_years_are_the_ones_the_previous_code_drew():
    """Golden values of the frame-per-step implementation (before the simulation was built from arrays): the same
    draws in the same order, so the seeded rates above are measured on the same studies as before."""
    f = simulate_years(seed=0).interviews
    assert len(f) == 651 and f["recipient_pid"].iloc[[0, 7, -1]].tolist() == ["r-W01-08", "r-W01-10", "r-W15-00"]
    assert f["interviewer_id"].iloc[[0, 7, -1]].tolist() == ["V04", "V04", "S02"]
    assert float(score_interviews(f)["composite"].sum()) == pytest.approx(59957.7380952381, rel=1e-13)
    assert int(f.filter(regex="^(eth|comp|qual|cov)_").sum().sum()) == 42812
    assert list(f.columns[:9]) == ["department", "worker_id", "recipient_pid", "role", "interviewer_id", "mode", "year",
                                   "stratum", "interview_id"]


def test_the_reml_search_runs_on_one_blas_thread():
    from threadpoolctl import threadpool_info

    with T._one_blas_thread():
        inside = [p["num_threads"] for p in threadpool_info()]
    with T._one_blas_thread():  # the cached controller limits again
        again = [p["num_threads"] for p in threadpool_info()]
    assert inside and all(n == 1 for n in inside) and all(n == 1 for n in again)


def test_yearly_intervals_stay_on_the_score_scale(demo_tables):
    # near the ceiling the Wald interval of a year's mean reached 100.38 (trends Table 2) and a worker's 100.37:
    # a score lies on 0-100, so the interval is cut there; the cut interval keeps every covered true mean
    means = demo_tables["fit"].means
    summary = demo_tables["summary"]
    per_year, _ = T.worker_trajectories(demo_tables["scored"], fit=demo_tables["fit"])
    for t in (means, summary, per_year):
        assert t["ci_low"].min() >= 0 and t["ci_high"].max() <= 100
    near = summary[summary["estimate"] + 1.96 * summary["se"] > 100]
    assert len(near) and (near["ci_high"] == 100).all()
    inner = means["estimate"] + stats.norm.ppf(0.975) * means["se"] < 100
    np.testing.assert_allclose(means.loc[inner, "ci_high"], (means["estimate"] + 1.959964 * means["se"])[inner],
                               rtol=1e-6)
