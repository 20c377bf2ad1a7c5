"""Item/domain/composite scores, worker scores (mixed model), recognition lists, proof of adjustment."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from helpers.figures.scoring import (
    caterpillar_plot,
    diverging_item_bars,
    domain_heatmap,
    recovery_plot,
)
from helpers.io.codebook import load_codebook
from helpers.narrative import scoring as words
from helpers.narrative.language import code_names, latin_words
from helpers.stats.mixed import MME, indicator
from helpers.studies.mystery_guest.scoring import (
    _fixed_design,
    answer_distribution,
    domain_missing_reasons,
    item_missing_counts,
    item_scores,
    organisation_means,
    psychometric_table,
    recognition_lists,
    score_interviews,
    top_box,
    worker_domain_scores,
    worker_scores,
    worker_tables,
)
from helpers.studies.mystery_guest.simulate import recovery, simulate_study

CB = load_codebook()


def _frame(rows: list[dict], year: int = 2018) -> pd.DataFrame:
    items = CB.item_codes
    f = pd.DataFrame([{i: r.get(i) for i in items} | {"year": r.get("year", year)} for r in rows])
    return f.astype({i: "Int64" for i in items})


def _all(code: int, year: int = 2018, **over) -> dict:
    """Every agreement item at ``code`` in the scoring direction (reverse-keyed items mirrored)."""
    return {i: (6 - code if CB.items[i].reverse else code) for i in CB.items_for_year(year)} | {"year": year} | over


# ---- item, domain, composite ---------------------------------------------------------------
def test_item_score_is_linear_percent_of_maximum_and_reversed():
    f = _frame([{"eth_appearance": c, "eth_lateness": c} for c in (1, 2, 3, 4, 5, 8, 9, None)])
    s = item_scores(f, CB)
    assert s["eth_appearance"].tolist()[:5] == [0, 25, 50, 75, 100]
    assert s["eth_lateness"].tolist()[:5] == [100, 75, 50, 25, 0]  # reverse-keyed: 1 is best
    assert s[["eth_appearance", "eth_lateness"]].iloc[5:].isna().all().all()


def test_yes_no_items_score_0_or_100():
    f = _frame([_all(5, 2020) | {"cov_gloves": 1, "cov_mask": 0, "cov_prevention": 8}])
    s = item_scores(f, CB)
    assert (s.loc[0, "cov_gloves"], s.loc[0, "cov_mask"]) == (100, 0)
    assert score_interviews(f, CB).loc[0, "covid"] == 50


def test_invalid_code_raises():
    with pytest.raises(ValueError, match="eth_appearance"):
        item_scores(_frame([{"eth_appearance": 7}]), CB)


def test_domain_min_share_rule_and_reasons():
    comp = CB.items_in_domain("competence")  # 4 items
    half = _all(5) | {comp[0]: 8, comp[1]: 9}  # 2 of 4 answered: exactly one half -> scored
    less = _all(5) | {comp[0]: 8, comp[1]: 9, comp[2]: None}  # 1 of 4 -> missing
    none = _all(5) | dict.fromkeys(comp, 8)
    f = _frame([half, less, none])
    s = score_interviews(f, CB)
    assert s["competence"].tolist()[0] == 100 and s["competence"].isna().tolist() == [False, True, True]
    assert s["composite"].isna().tolist() == [False, True, True]
    r = domain_missing_reasons(f, CB).set_index(["domain", "reason"])["n"]
    assert r[("competence", "below_min_share")] == 1 and r[("competence", "none_answered")] == 1
    assert r[("covid", "not_asked")] == 3 and r[("composite", "missing_domain")] == 2
    # a stricter rule drops the half-answered interview too
    assert score_interviews(f, CB, min_share=0.75)["competence"].isna().all()


def test_items_not_asked_that_year_are_ignored():
    f = _frame([_all(5, 2018) | {"cov_mask": 0}])
    assert np.isnan(score_interviews(f, CB).loc[0, "covid"])


def test_composite_uses_codebook_weights_and_ignores_covid():
    row = _all(5, 2020) | dict.fromkeys(CB.items_in_domain("quality"), 3) | dict.fromkeys(CB.items_in_domain("covid"), 0)
    f = _frame([row], 2020)
    s = score_interviews(f, CB).iloc[0]
    assert s["quality"] == 50 and s["covid"] == 0
    assert s["composite"] == pytest.approx((100 + 100 + 50) / 3)
    domains = {d: dict(v) for d, v in CB.domains.items()}
    domains["quality"]["composite_weight"] = 2.0
    cb2 = dataclasses.replace(CB, domains=domains)
    assert score_interviews(f, cb2).loc[0, "composite"] == pytest.approx((100 + 100 + 2 * 50) / 4)


def test_score_interviews_keeps_ids_and_order():
    f = _frame([_all(5), _all(1)]).assign(interview_id=["b", "a"], worker_id="W1", role="volunteer")
    s = score_interviews(f, CB)
    assert s["interview_id"].tolist() == ["b", "a"] and list(s.columns[:2]) == ["interview_id", "year"]
    assert s.loc[0, "composite"] == 100 and s.loc[1, "composite"] == 0


def test_top_box_uses_best_answer_in_scoring_direction():
    f = _frame([_all(5, eth_lateness=1), _all(5, eth_lateness=5), _all(4, eth_lateness=1)])
    t = top_box(f, CB).set_index(["level", "name"])
    assert t.loc[("item", "eth_lateness"), "share"] == pytest.approx(2 / 3)
    assert t.loc[("item", "eth_appearance"), "share"] == pytest.approx(2 / 3)
    assert t.loc[("domain", "ethics"), "n_top"] == 1  # only the first interview is 100 on every item
    assert t.loc[("item", "eth_appearance"), "ci_high"] < 1


def test_item_missing_counts():
    f = _frame([_all(5, eth_appearance=8), _all(5, eth_appearance=9), _all(5, eth_appearance=None)])
    r = item_missing_counts(f, CB).set_index("item").loc["eth_appearance"]
    assert (r["answered"], r["dont_know"], r["refused"], r["blank"]) == (0, 1, 1, 1)


# ---- worker scores ---------------------------------------------------------------------------
def _crossed(seed=1, n_workers=12, n_raters=8, n=240):
    """Crossed worker and interviewer effects (the design is kept in tests/test_mixed_door.py)."""
    from test_mixed_door import crossed

    return crossed(seed, n_workers, n_raters, n)


def test_raw_columns():
    d = _crossed()
    t = worker_scores(d, method="raw").set_index("worker_id")
    g = d.groupby("worker_id")["composite"]
    assert t["n"].equals(g.size().astype("int64"))
    assert np.allclose(t["raw_mean"], g.mean())
    half = g.std() / np.sqrt(g.size()) * stats.t.ppf(0.975, g.size() - 1)
    assert np.allclose(t["raw_ci_high"], (g.mean() + half).clip(upper=100))
    assert (t["adjusted"] == t["raw_mean"]).all() and (t["model"] == "raw mean (method='raw')").all()


def test_blups_match_statsmodels_crossed_fit():
    d = _crossed().assign(g=1)
    t = worker_scores(d).set_index("worker_id")
    assert t["model"].iloc[0].startswith("mixed") and "crossed" in t["model"].iloc[0]
    m = smf.mixedlm("composite ~ C(role, Treatment('volunteer')) + C(mode, Treatment('in_person'))", d, groups="g",
                    re_formula="0", vc_formula={"worker": "0 + C(worker_id)", "interviewer": "0 + C(interviewer_id)"})
    # Powell: statsmodels' default lbfgs stops short of the REML optimum on this data under some BLAS
    # kernels (llf -806.95 vs -806.84); Powell and Nelder-Mead both reach the optimum that worker_scores finds
    r = m.fit(reml=True, method=["powell"])
    assert t["var_worker"].iloc[0] == pytest.approx(r.vcomp[1], rel=1e-3)
    assert t["var_interviewer"].iloc[0] == pytest.approx(r.vcomp[0], rel=1e-3)
    re = r.random_effects[1]
    u = {k.split("[")[-1].rstrip("]"): v for k, v in re.items() if k.startswith("worker")}
    org = r.fe_params.iloc[0]
    assert t["org_mean"].iloc[0] == pytest.approx(org, abs=1e-2)
    assert len(u) == 12
    for w, v in u.items():
        assert t.loc[w, "adjusted"] == pytest.approx(org + v, abs=1e-2)


def test_interval_is_prediction_error_variance_from_direct_formula():
    """PEV of x'b + u_w by the textbook formulas (Henderson 1975) with V, P dense."""
    d = _crossed(seed=4, n=120)
    t = worker_scores(d).set_index("worker_id")
    s2, sw, si = t["var_residual"].iloc[0], t["var_worker"].iloc[0], t["var_interviewer"].iloc[0]
    X = np.column_stack([np.ones(len(d)), d["role"] == "social_worker", d["mode"] == "phone"]).astype(float)
    Z = np.hstack([pd.get_dummies(d["worker_id"]).to_numpy(float), pd.get_dummies(d["interviewer_id"]).to_numpy(float)])
    nw = d["worker_id"].nunique()
    G = np.diag([sw] * nw + [si] * d["interviewer_id"].nunique())
    V = Z @ G @ Z.T + s2 * np.eye(len(d))
    Vi = np.linalg.inv(V)
    A = np.linalg.inv(X.T @ Vi @ X)
    P = Vi - Vi @ X @ A @ X.T @ Vi
    D = G - G @ Z.T @ P @ Z @ G  # Var(u_hat - u)
    B = -A @ X.T @ Vi @ Z @ G  # Cov(b_hat, u_hat - u)
    x = np.array([1.0, 0, 0])
    workers = sorted(d["worker_id"].unique())
    for j, w in enumerate(workers):
        pev = x @ A @ x + D[j, j] + 2 * x @ B[:, j]
        assert (t.loc[w, "ci_high"] - t.loc[w, "ci_low"]) / (2 * 1.959964) == pytest.approx(np.sqrt(pev), rel=1e-3)


def test_shrinkage_pulls_small_n_towards_the_mean():
    d = _crossed(seed=2)
    extra = pd.DataFrame({"year": 2020, "worker_id": "Wnew", "interviewer_id": ["I0", "I1"], "role": ["volunteer", "social_worker"],
                          "mode": "in_person", "composite": [40.0, 40.0]})
    t = worker_scores(pd.concat([d, extra], ignore_index=True), min_n=5).set_index("worker_id")
    new = t.loc["Wnew"]
    assert new["flag"] and not t.drop(index="Wnew")["flag"].any()
    assert new["raw_mean"] < new["adjusted"] < new["org_mean"]


def test_fallbacks_are_stated():
    d = _crossed(seed=5)
    one_rater = worker_scores(d.assign(interviewer_id="I0", role="volunteer"))
    assert "one interviewer" in one_rater["model"].iloc[0] and "interviewer" not in one_rater["model"].iloc[0].split(";")[0].split(":")[1]
    one_worker = worker_scores(d.assign(worker_id="W00"))
    assert one_worker["model"].iloc[0].startswith("fallback to raw mean") and len(one_worker) == 1
    flat = d.assign(composite=80.0 + np.random.default_rng(0).normal(0, 5, len(d)))  # no worker differences
    t = worker_scores(flat, engine="mme")
    # seeded: REML puts the worker variance on its boundary, says so, and shrinks every worker to the mean
    assert "worker variance estimated at 0 (boundary)" in t["model"].iloc[0]
    assert "every worker shrunk to the mean" in t["model"].iloc[0]
    assert t["var_worker"].iloc[0] == 0 and t["adjusted"].nunique() == 1 and len(t) == 12


def test_hand_written_reml_matches_statsmodels():
    d = _crossed(seed=4)
    sm = worker_scores(d, engine="statsmodels")
    mme = worker_scores(d, engine="mme")
    assert "statsmodels MixedLM" in sm["model"].iloc[0] and "Henderson" in mme["model"].iloc[0]
    for c in ("var_worker", "var_interviewer", "var_residual"):
        assert mme[c].iloc[0] == pytest.approx(sm[c].iloc[0], rel=1e-3)
    assert np.allclose(mme["adjusted"], sm["adjusted"], atol=1e-3)
    assert np.allclose(mme["ci_high"] - mme["ci_low"], sm["ci_high"] - sm["ci_low"], atol=1e-3)


def test_pooled_is_stated():
    d = _crossed(seed=6, n=400)
    pooled = pd.concat([d, d.assign(year=2021, composite=d["composite"] + 5)], ignore_index=True)
    p = worker_scores(pooled, pooled=True)
    assert p["year"].isna().all() and "year" in p["model"].iloc[0] and len(p) == d["worker_id"].nunique()
    per_year = worker_scores(pooled)
    assert sorted(per_year["year"].unique()) == [2020, 2021]


def test_recognition_lists():
    t = pd.DataFrame({"worker_id": ["A", "B", "C"], "year": 2020, "measure": "composite", "n": [10, 10, 3],
                      "raw_mean": [95.0, 80, 70], "raw_ci_low": [93.0, 77, 60], "raw_ci_high": [97.0, 83, 80],
                      "adjusted": [94.0, 85, 86], "ci_low": [91.0, 82, 80], "ci_high": [97.0, 88, 92],
                      "flag": [False, False, True], "org_mean": 90.0, "model": "m"})
    r = recognition_lists(t)
    assert r[["list", "worker_id"]].values.tolist() == [["recognition", "A"], ["concern", "B"]]
    assert "evidence" not in r and r.loc[0, "method"] == "holm" and r.loc[0, "alpha"] == 0.05
    en = words.evidence_sentence(r.iloc[0], "en")
    assert "10 interviews" in en and "adjusted score 94.0 (95% CI 91.0 to 97.0)" in en and not code_names(en)
    ru = words.evidence_sentence(r.iloc[0], "ru")
    assert "скорректированная оценка 94,0 (95% ДИ от 91,0 до 97,0)" in ru and not latin_words(ru)


def test_worker_domain_scores_long():
    sim = simulate_study(n_workers=10, n_interviewers=6, seed=3)
    t = worker_domain_scores(score_interviews(sim.interviews, CB), CB, engine="mme")
    assert set(t["measure"]) == {"ethics", "competence", "quality", "composite"}


# ---- proof that the adjustment helps ------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 2])
def test_adjusted_scores_recover_planted_truth_better_than_raw_means(seed):
    sim = simulate_study(n_workers=60, n_interviewers=30, seed=seed)
    w = worker_scores(score_interviews(sim.interviews, CB))
    assert w["model"].iloc[0].startswith("mixed")
    r = recovery(w, sim.truth).set_index("estimate")
    assert r.loc["adjusted", "r_true_score"] > r.loc["raw_mean", "r_true_score"]
    assert r.loc["adjusted", "rmse"] < r.loc["raw_mean", "rmse"]


# ---- psychometric table ----------------------------------------------------------------------------
def test_psychometric_table_warns_on_ceiling_and_low_alpha():
    sim = simulate_study(n_workers=20, n_interviewers=10, seed=1)
    t = psychometric_table(sim.interviews, CB)
    assert set(t["group"]) == {"all", "volunteer", "social_worker"}
    row = t[(t["domain"] == "ethics") & (t["group"] == "all")].iloc[0]
    assert row["k"] == 7 and 0 < row["alpha"] < 1 and row["alpha_ci_low"] < row["alpha"] < row["alpha_ci_high"]
    # force a ceiling: every answer best -> ceiling 100% and alpha undefined, both named
    f = sim.interviews.copy()
    for i in CB.items_in_domain("quality"):
        f[i] = pd.array([5] * len(f), dtype="Int64")
    q = psychometric_table(f, CB, by=None).set_index("domain").loc["quality"]
    assert q["ceiling_share"] == 1 and set(q["warning"].split(";")) == {"ceiling_high", "alpha_undefined", "omega_undefined"}
    assert q["alpha_reason"] == "zero_variance"
    said = words.psychometric_warnings(psychometric_table(f, CB, by=None), "ru")
    assert "на потолке 100% интервью (больше 80%)" in said and "альфу рассчитать нельзя" in said and not latin_words(said)
    # independent items -> alpha near 0 -> warning
    rng = np.random.default_rng(0)
    for i in CB.items_in_domain("competence"):
        f[i] = pd.array(rng.integers(1, 6, len(f)), dtype="Int64")
    c = psychometric_table(f, CB, by=None).set_index("domain").loc["competence"]
    assert c["alpha"] < 0.7 and "alpha_low" in c["warning"].split(";")


# ---- organisation means and figures --------------------------------------------------------------
def test_organisation_means_weighted_and_unweighted_per_year():
    s1 = simulate_study(n_workers=8, n_interviewers=4, seed=7).interviews
    s1["stratum"] = np.where(np.arange(len(s1)) % 4 == 0, "temporary_residence", "home_care")
    scored = score_interviews(s1, CB)
    # inflate the composite in the fully sampled stratum: weighting must pull the mean down
    scored.loc[scored["stratum"] == "temporary_residence", "composite"] = 100.0
    roster = pd.DataFrame({"year": [2020, 2020], "stratum": ["home_care", "temporary_residence"],
                           "population": [int((scored["stratum"] == "home_care").sum() * 10),
                                          int((scored["stratum"] == "temporary_residence").sum())]})
    t = organisation_means(scored, roster, CB).set_index(["statistic", "measure"])
    comp = t.loc[("mean", "composite")]
    assert comp["weighted"] < comp["unweighted"] and comp["material"]
    hc = scored.loc[scored["stratum"] == "home_care", "composite"].mean()
    assert comp["weighted"] == pytest.approx((10 * len(scored[scored["stratum"] == "home_care"]) * hc
                                              + (scored["stratum"] == "temporary_residence").sum() * 100)
                                             / roster["population"].sum())
    assert ("top_box_share", "composite_top_box") in t.index
    said = words.weighting_sentences(t.reset_index().assign(year=2020), "en", CB)
    assert any(x.startswith("2020, composite: the design-weighted estimate") for x in said)


def test_figures_draw_intervals():
    import matplotlib

    matplotlib.use("Agg")
    sim = simulate_study(n_workers=8, n_interviewers=4, seed=8)
    scored = score_interviews(sim.interviews, CB)
    w = worker_scores(scored, engine="mme")
    fig = caterpillar_plot(w)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 8 and ax.get_xlabel().startswith("score")
    assert len(ax.containers) >= 2  # raw and adjusted error bars, one interval per worker each
    assert all(len(c.lines[2][0].get_segments()) == 8 for c in ax.containers[:2])
    ru = caterpillar_plot(w, "ru").axes[0]
    ru.figure.canvas.draw()
    assert ru.get_xlabel().startswith("оценка") and not latin_words(ru.get_title() + ru.get_xlabel() + ru.get_ylabel())
    long = worker_domain_scores(scored, CB, engine="mme")
    heat = domain_heatmap(long, CB).axes[0]
    assert len(heat.get_yticklabels()) == long["worker_id"].nunique()  # one row per worker
    assert len(heat.texts) == long.dropna(subset=["adjusted"]).shape[0]  # every cell annotated
    dist = answer_distribution(sim.interviews, CB)
    bars = diverging_item_bars(dist).axes[0]
    assert len(bars.get_yticklabels()) == dist["item"].nunique() and len(bars.figure.legends) == 1  # the legend under the figure
    labels = [t.get_text() for t in bars.get_yticklabels()]
    assert not any(code_names(x) for x in labels)  # question text, not item codes
    assert recovery_plot(w, sim.truth).axes[1].get_title().startswith("adjusted")
    rec = recovery_plot(w, sim.truth, "ru")
    rec.canvas.draw()
    ticks = [t.get_text() for t in rec.axes[0].get_xticklabels() if t.get_text()]
    assert rec.axes[1].get_title().startswith("скорректированная") and "," in rec.axes[1].get_title()
    assert all("." not in t for t in ticks)  # decimal comma on the Russian axes


def test_failed_mixed_fit_falls_back_to_stated_fixed_effects(monkeypatch):
    import helpers.studies.mystery_guest.scoring as scoring

    def boom(*args, **kwargs):
        raise RuntimeError("REML did not converge")

    monkeypatch.setattr(scoring, "_fit_mixed", boom)
    d = _crossed(seed=9)
    t = worker_scores(d).set_index("worker_id")
    assert t["model"].iloc[0].startswith("fallback to fixed effects (OLS)") and "did not converge" in t["model"].iloc[0]
    # OLS with worker dummies: adjusted = worker's mean at the reference role and mode
    X = pd.get_dummies(d["worker_id"]).astype(float).assign(sw=(d["role"] == "social_worker") * 1.0,
                                                             ph=(d["mode"] == "phone") * 1.0)
    beta = np.linalg.lstsq(X.to_numpy(), d["composite"].to_numpy(), rcond=None)[0]
    assert np.allclose(t["adjusted"].to_numpy(), beta[: t.shape[0]])


# ---- recipients as the sampling unit ------------------------------------------------------------
def _paired(seed=3, n_workers=6, per=6, n_vol=3, n_sw=3):
    """A small 2020-shaped study: every recipient interviewed twice (a volunteer and a social worker)."""
    from helpers.studies.mystery_guest.simulate import simulate_panel

    st = simulate_panel(years=(2020,), per_worker=(per,) * n_workers, volunteers=n_vol, sw_interviewers=n_sw,
                        sd_worker=0.5, sd_recipient=0.8, seed=seed)
    return score_interviews(st.interviews, CB).dropna(subset=["composite"]).reset_index(drop=True)


def test_recipient_effect_matches_statsmodels_vc_formula():
    """Second implementation: statsmodels MixedLM with three crossed variance components (vc_formula)."""
    import warnings

    d = _paired()
    t = worker_scores(d, engine="mme").set_index("worker_id")
    assert "worker + interviewer + recipient (crossed)" in t["model"].iloc[0]
    m = smf.mixedlm("composite ~ C(role, Treatment('volunteer')) + C(mode, Treatment('in_person'))", d.assign(g=1),
                    groups="g", re_formula="0", vc_formula={"worker": "0 + C(worker_id)", "interviewer": "0 + C(interviewer_id)",
                                                           "recipient": "0 + C(recipient_pid)"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = m.fit(reml=True, method=["nm", "powell"], maxiter=20000)
    vc = dict(zip(m.exog_vc.names, r.vcomp, strict=True))
    for name in ("worker", "interviewer", "recipient"):
        assert t[f"var_{name}"].iloc[0] == pytest.approx(vc[name], rel=5e-4)
    assert t["var_residual"].iloc[0] == pytest.approx(r.scale, rel=5e-4)
    # the hand-written optimum is at least as good as statsmodels' (same REML criterion)
    X, *_ = _fixed_design(d, ["role", "mode"], {"role": "volunteer", "mode": "in_person"})
    Zs = [indicator(np.unique(d[c], return_inverse=True)[1], d[c].nunique()) for c in
          ("worker_id", "interviewer_id", "recipient_pid")]
    mme = MME(d["composite"].to_numpy(float), X, Zs, absorb=True)
    ours = np.log(t[["var_worker", "var_interviewer", "var_recipient"]].iloc[0].to_numpy(float) / t["var_residual"].iloc[0])
    theirs = np.log(np.array([vc["worker"], vc["interviewer"], vc["recipient"]]) / r.scale)
    assert mme.criterion(ours) <= mme.criterion(theirs) + 1e-8
    u = {k.split("[")[-1].rstrip("]"): v for k, v in next(iter(r.random_effects.values())).items() if k.startswith("worker")}
    for w, v in u.items():
        assert t.loc[w, "effect"] == pytest.approx(v, abs=2e-4)


def test_absorbing_the_recipient_factor_changes_nothing():
    d = _paired(seed=5)
    X, *_ = _fixed_design(d, ["role", "mode"], {"role": "volunteer", "mode": "in_person"})
    Zs = [indicator(np.unique(d[c], return_inverse=True)[1], d[c].nunique()) for c in
          ("worker_id", "interviewer_id", "recipient_pid")]
    y = d["composite"].to_numpy(float)
    dense, absorbed = MME(y, X, Zs, absorb=False), MME(y, X, Zs, absorb=True)
    for rho in ([0.1, -1.0, 0.3], [-2.0, 0.5, -0.7]):
        assert absorbed.criterion(np.array(rho)) == pytest.approx(dense.criterion(np.array(rho)), rel=1e-10)
    b1, u1, C1 = dense.solve([3.0, 2.0, 5.0], 10.0)
    b2, u2, C2 = absorbed.solve([3.0, 2.0, 5.0], 10.0)
    q = len(u2)
    assert np.allclose(b1, b2) and np.allclose(u1[:q], u2) and np.allclose(C1[: C2.shape[0], : C2.shape[0]], C2)


def _panel_system(seed=5, weighted=False):
    """y, X, Zs (worker, interviewer, recipient) and weights of a 2018-2021 demo-shaped panel, on the logit scale."""
    from helpers.studies.mystery_guest.simulate import DEMO_SHAPE, simulate_panel

    st = simulate_panel(sd_worker=0.55, year_effect={2018: 0.0, 2019: 0.25, 2020: -0.45, 2021: 0.1}, seed=seed,
                        **DEMO_SHAPE)
    d = score_interviews(st.interviews, CB).dropna(subset=["composite"]).reset_index(drop=True)
    c = d["composite"].to_numpy(float)
    y = np.log((c + 1) / (101 - c))
    X, *_ = _fixed_design(d, ["year", "role", "mode"], {"role": "volunteer", "mode": "in_person"})
    codes = {k: np.unique(d[k], return_inverse=True)[1] for k in ("worker_id", "interviewer_id", "recipient_pid")}
    Zs = [indicator(v, v.max() + 1) for v in codes.values()]
    w = np.random.default_rng(seed).uniform(0.5, 2, codes["worker_id"].max() + 1)[codes["worker_id"]] if weighted else None
    return y, X, Zs, w


@pytest.mark.parametrize("weighted", [False, True])
def test_grouped_absorption_is_the_sparse_product(monkeypatch, weighted):
    """Second implementation: the absorbed system summed per distinct n_r (default) against the sparse product
    over every recipient (the previous code, still used above MME.GROUP_LIMIT)."""
    y, X, Zs, w = _panel_system(weighted=weighted)
    grouped = MME(y, X, Zs, absorb=True, weights=w)
    monkeypatch.setattr(MME, "GROUP_LIMIT", 0)
    coo = MME(y, X, Zs, absorb=True, weights=w)  # the groups' blocks kept sparse (large systems)
    monkeypatch.setattr(MME, "SPARSE_GROUP_LIMIT", 0)
    sparse_path = MME(y, X, Zs, absorb=True, weights=w)
    assert grouped.groups is not None and sparse_path.groups is None
    assert grouped.groups["G"] is not None and coo.groups["G"] is None
    assert len(grouped.groups["n"]) < len(sparse_path.counts) / 4  # few distinct n_r: the point of grouping
    for rho in ([0.1, -1.0, 0.3], [-2.0, 0.5, -0.7], [-15.0, -3.0, 1.0]):
        lam = np.exp(-np.array(rho))
        for other in (coo, grouped):
            for a, b in zip(other.system(lam), sparse_path.system(lam), strict=True):
                assert np.allclose(a, b, rtol=1e-11, atol=1e-9)
            assert other.criterion(np.array(rho)) == pytest.approx(sparse_path.criterion(np.array(rho)), rel=1e-12)
            f1, g1 = other.criterion_and_gradient(np.array(rho))
            f2, g2 = sparse_path.criterion_and_gradient(np.array(rho))
            assert f1 == pytest.approx(f2, rel=1e-12) and np.allclose(g1, g2, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("absorb", [False, True])
def test_reml_gradient_is_the_numerical_derivative(absorb):
    y, X, Zs, w = _panel_system(seed=6, weighted=absorb)
    mme = MME(y, X, Zs, absorb=absorb, weights=w)
    for rho in ([0.1, -1.0, 0.3], [-2.0, 0.5, -0.7], [-12.0, -3.0, 1.0]):
        rho = np.array(rho)
        f, g = mme.criterion_and_gradient(rho)
        assert f == mme.criterion(rho)
        h = 1e-5 * np.eye(len(rho))
        numeric = np.array([(mme.criterion(rho + e) - mme.criterion(rho - e)) / 2e-5 for e in h])  # central
        assert np.allclose(g, numeric, rtol=1e-5, atol=1e-5)


def test_gradient_reml_reaches_the_nelder_mead_optimum(monkeypatch):
    """Second implementation: every REML fit of worker_slopes (3 per study: stage 1, stage 2, weighted refit),
    worker_scores (2020, recipient absorbed: the worker-random model and the worker-fixed contrast model of the
    recognition lists) and the year model, repeated with the previous search
    (``optimizer="nelder-mead"``: Nelder-Mead + L-BFGS-B with a numerical gradient). The gradient search ends
    at the same optimum: its -2 l_R is never more than 1e-4 above (where the previous search stopped short of
    a variance at 0 on the flat boundary, it is lower), sigma2 agrees to 1e-4 and every variance component
    to 2e-3 sigma2; it takes fewer evaluations."""
    import helpers.stats.mixed as mixed
    from helpers.studies.mystery_guest import scoring
    from helpers.studies.mystery_guest import trends as T
    from helpers.studies.mystery_guest.simulate import DEMO_SHAPE, simulate_panel, simulate_years

    fits = []
    real = mixed.reml

    def both(y, X, Zs, absorb=False, weights=None, start=None, optimizer="gradient"):
        new = real(y, X, Zs, absorb, weights, start, "gradient")
        fits.append((new, real(y, X, Zs, absorb, weights, start, "nelder-mead")))
        return new

    monkeypatch.setattr(mixed, "reml", both)
    ye = {2018: 0.0, 2019: 0.25, 2020: -0.45, 2021: 0.1}
    for s in range(3):
        scoring.worker_slopes(score_interviews(simulate_panel(sd_worker=0.55, year_effect=ye, slopes={"W02": -0.4},
                                                              seed=3000 + s, **DEMO_SHAPE).interviews, CB))
        worker_scores(score_interviews(simulate_panel(years=(2020,), seed=100 + s).interviews, CB))
        st = simulate_years(seed=s)
        T.year_mixed_model(score_interviews(st.interviews, CB), roster=st.strata)
    assert len(fits) == 18
    for (s_new, v_new, ok_new, f_new), (s_old, v_old, ok_old, f_old) in fits:
        assert ok_new and ok_old
        assert f_new <= f_old + 1e-4
        assert s_new == pytest.approx(s_old, rel=1e-4)
        assert np.allclose(v_new, v_old, rtol=0, atol=2e-3 * s_old)


def test_worker_effect_prediction_error_from_direct_formula_with_recipients():
    """PEV(u_w) = [G - G Z' P Z G]_ww (Henderson 1975) with the recipient in V, against effect_se."""
    d = _paired(seed=7)
    t = worker_scores(d, engine="mme").set_index("worker_id")
    s2 = t["var_residual"].iloc[0]
    X = np.column_stack([np.ones(len(d)), d["role"] == "social_worker", d["mode"] == "phone"]).astype(float)
    blocks = [pd.get_dummies(d[c]).to_numpy(float) for c in ("worker_id", "interviewer_id", "recipient_pid")]
    comps = [t[f"var_{n}"].iloc[0] for n in ("worker", "interviewer", "recipient")]
    Z = np.hstack(blocks)
    G = np.diag(np.concatenate([np.full(b.shape[1], v) for b, v in zip(blocks, comps, strict=True)]))
    Vi = np.linalg.inv(Z @ G @ Z.T + s2 * np.eye(len(d)))
    P = Vi - Vi @ X @ np.linalg.inv(X.T @ Vi @ X) @ X.T @ Vi
    D = G - G @ Z.T @ P @ Z @ G
    nw = blocks[0].shape[1]
    assert np.allclose(t["effect_se"].to_numpy(), np.sqrt(np.diag(D)[:nw]), rtol=1e-6)
    # the adjusted score's interval also carries the mean's uncertainty: always wider
    assert ((t["ci_high"] - t["ci_low"]) / (2 * 1.959964) > t["effect_se"]).all()


def test_raw_interval_is_clustered_on_the_recipient():
    from helpers.stats.survey import weighted_mean

    d = _paired(seed=8)
    t = worker_scores(d, method="raw").set_index("worker_id")
    for w, g in d.groupby("worker_id"):
        e = weighted_mean(g["composite"], clusters=g["recipient_pid"])
        assert t.loc[w, "n_recipients"] == e.n_psu == g["recipient_pid"].nunique() < t.loc[w, "n"]
        assert t.loc[w, "raw_ci_low"] == pytest.approx(max(e.ci_low, 0.0))
        assert t.loc[w, "raw_ci_high"] == pytest.approx(min(e.ci_high, 100.0))
    # treating the two interviews of a recipient as independent would give other (here: different) intervals
    naive = worker_scores(d.assign(recipient_pid=[f"x{i}" for i in range(len(d))]), method="raw").set_index("worker_id")
    assert not np.allclose(naive["raw_ci_high"], t["raw_ci_high"])


def test_recognition_lists_test_the_worker_effect_with_holm():
    from statsmodels.stats.multitest import multipletests

    t = pd.DataFrame({"worker_id": list("ABCDE"), "year": 2020, "measure": "composite", "n": 20, "n_recipients": 10,
                      "raw_mean": 90.0, "raw_ci_low": 85.0, "raw_ci_high": 95.0, "adjusted": [95.0, 93.0, 84.0, 90.0, 88.0],
                      "org_mean": 90.0, "flag": False, "model": "m",
                      "effect": [5.0, 3.0, -6.0, 0.0, -2.0], "effect_se": [1.5, 1.4, 2.0, 1.0, 1.0]})
    # adjusted intervals wide (the mean's uncertainty): the old rule would list nobody
    t["ci_low"], t["ci_high"] = t["adjusted"] - 7, t["adjusted"] + 7
    r = recognition_lists(t)
    p = 2 * stats.norm.sf(np.abs(t["effect"] / t["effect_se"]))
    holm = multipletests(p, method="holm")[1]
    expected = {w for w, h in zip(t["worker_id"], holm, strict=True) if h < 0.05}
    assert set(r["worker_id"]) == expected == {"A", "C"}
    assert r.set_index("worker_id").loc["A", "list"] == "recognition" and r.set_index("worker_id").loc["C", "list"] == "concern"
    assert np.allclose(r.set_index("worker_id").loc[["A", "C"], "p_adjusted"], holm[[0, 2]])
    assert (r["n_compared"] == 5).all() and (r["method"] == "holm").all()
    evidence = words.evidence_sentence(r.iloc[0], "en")
    assert "family-wise error 5% across the 5 workers (Holm)" in evidence and "20 interviews of 10 recipients" in evidence
    # B (p = 0.032 alone) is listed without multiplicity control, not with it
    assert "B" in set(recognition_lists(t, method="none")["worker_id"])
    # one family per measure: a second measure does not change the first one's adjustment
    both = recognition_lists(pd.concat([t, t.assign(measure="ethics")], ignore_index=True))
    assert (both["n_compared"] == 5).all() and len(both) == 4


def test_worker_funnel_plot_names_exactly_the_workers_outside_the_limits():
    from helpers.figures.scoring import worker_funnel_plot
    from helpers.studies.benchmarking import worker_funnel

    rng = np.random.default_rng(3)
    d = pd.DataFrame({"worker_id": np.repeat([f"W{i:02d}" for i in range(12)], 20),
                      "composite": rng.normal(85, 6, 240)})
    d.loc[d["worker_id"] == "W00", "composite"] -= 25  # one clearly worse worker
    f = worker_funnel(d)
    fig = worker_funnel_plot(f, "ru")
    named = {t.get_text() for t in fig.axes[0].texts}
    assert named == set(f.loc[f["outside998_od"] != "", "worker_id"]) and "W00" in named
    assert fig.axes[0].get_xlabel() == "интервью о работнике"


# ---- layers: statistics without words, words from the catalogue ----------------------------------
def test_study_layer_has_no_language_parameter():
    import inspect

    from helpers.studies.mystery_guest import overview, scoring, simulate

    for module in (scoring, overview, simulate):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not inspect.isclass(obj):
                assert "lang" not in inspect.signature(obj).parameters, f"{module.__name__}.{name}"
    assert not hasattr(overview, "answer_distribution") and not hasattr(scoring, "multiplicity_sentence")


def test_answer_distribution_is_codes_and_counts():
    sim = simulate_study(n_workers=6, n_interviewers=3, seed=2)
    d = answer_distribution(sim.interviews, CB)
    assert {"item_label", "label"}.isdisjoint(d.columns)
    one = d[d["item"] == "eth_lateness"]  # reverse-keyed: code 1 is the best answer
    assert one.loc[one["code"] == 1, "rank"].item() == 5 and one.loc[one["code"] == 5, "rank"].item() == 1
    assert one["n"].sum() == one["n_asked"].iloc[0] == len(sim.interviews)  # every interview counted once
    sub = one[one["kind"] == "substantive"]
    assert sub["share"].sum() == pytest.approx(1.0) and one["share_asked"].sum() == pytest.approx(1.0)


def test_overview_figure_and_tables_in_russian_words():
    import matplotlib

    matplotlib.use("Agg")
    from helpers.figures.overview import plot_answer_distribution
    from helpers.narrative import overview as ov

    sim = simulate_study(n_workers=6, n_interviewers=3, seed=2)
    fig = plot_answer_distribution(answer_distribution(sim.interviews, CB), 2020, "ru", CB)
    fig.canvas.draw()
    shown = [fig._suptitle.get_text()]
    for ax in fig.axes:
        shown += [ax.get_title(loc="left"), ax.get_xlabel(), *[t.get_text() for t in ax.get_xticklabels()],
                  *[t.get_text() for t in ax.get_yticklabels()], *[t.get_text() for t in ax.get_legend().get_texts()]]
    assert not latin_words(" ".join(shown)), latin_words(" ".join(shown))
    assert len(fig.axes) == 3  # positive, negative and yes/no questions in their own panels
    reason = "unknown value 'x' (expected one of ['in_person', 'phone']); answer to an item not asked in 2019"
    assert ov.quarantine_reason(reason, "ru").startswith("неизвестное значение 'x'")
    assert "не задавался" in ov.quarantine_reason(reason, "ru")


def test_reviewer_tables_have_no_codes_in_english_and_no_latin_in_russian():
    sim = simulate_study(n_workers=8, n_interviewers=4, seed=3)
    scored = score_interviews(sim.interviews, CB)
    psy = psychometric_table(sim.interviews, CB)
    top = top_box(sim.interviews, CB)
    reasons = domain_missing_reasons(sim.interviews, CB)
    for lang, check in (("en", code_names), ("ru", latin_words)):
        for view in (words.psychometric_view(psy, lang, CB), words.top_box_view(top, lang, CB),
                     words.missing_reasons_view(reasons, lang, CB)):
            cells = " ".join(view.select_dtypes(include="object").astype(str).to_numpy().ravel())
            assert not check(cells), (lang, check(cells)[:5])
    w = worker_scores(scored, engine="mme")
    said = words.model_sentence(w.iloc[0], "ru")
    assert said.startswith("Модель: линейная смешанная модель (REML)") and not latin_words(said.replace("REML", ""))


def test_worker_models_are_a_run_artefact_computed_once(demo_dirs, tmp_path):
    from helpers.studies.mystery_guest.study import open_study

    study = open_study(demo_dirs["processed"], tmp_path)
    a = study.artefact("scoring.workers", worker_tables, years=[2020], pooled=False, min_n=5)
    again = open_study(demo_dirs["processed"], tmp_path)  # another notebook of the same run
    b = again.artefact("scoring.workers", worker_tables, years=[2020], pooled=False, min_n=5)
    assert b["domains"].equals(a["domains"]) and set(a["composite"]["measure"]) == {"composite"}
    events = [e["event"] for e in again.store.log() if e["name"] == "scoring.workers"]
    assert events == ["computed", "loaded"]
