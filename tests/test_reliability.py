"""The reliability room: survey analyses (studies.mystery_guest.reliability), their words
(narrative.reliability, catalogue) and figures (figures.reliability)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pingouin as pg  # noqa: E402
import pytest  # noqa: E402

from helpers.figures import reliability as fr  # noqa: E402
from helpers.io.codebook import load_codebook  # noqa: E402
from helpers.narrative import reliability as nr  # noqa: E402
from helpers.narrative.language import code_names, latin_words  # noqa: E402
from helpers.stats.agreement import COEFFICIENTS  # noqa: E402
from helpers.stats.rater_agreement import cohen_kappa  # noqa: E402
from helpers.studies.mystery_guest import reliability as rel  # noqa: E402


# ----------------------------------------------------------------------------------------------
# survey level
# ----------------------------------------------------------------------------------------------
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
    k = cohen_kappa(g["volunteer"], g["social_worker"], categories=range(1, 6))
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


def test_year_without_pairs_gives_nan_with_reasons_not_a_crash():
    cb = load_codebook()
    f = _interviews(n_pairs=10).assign(pair_id=pd.NA)
    out = rel.compare_interviewers(f, cb, n_boot=50, scores=_scores(10).assign(pair_id=pd.NA))
    assert out["estimate"].isna().all()
    assert (out["reason"].fillna("") != "").all()
    assert (out.loc[out.level == "item", "reason"].str.startswith("no pairable")).all()
    assert nr.interpretation_paragraphs(out) == [
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




# ----------------------------------------------------------------------------------------------
# the kappa paradox and the ceiling as data
# ----------------------------------------------------------------------------------------------
def test_kappa_paradox_detector_returns_the_numbers():
    t = np.zeros((5, 5), int)
    t[4, 4], t[3, 4], t[4, 3], t[3, 3] = 90, 4, 4, 2
    p = rel.kappa_paradox(t, range(1, 6))
    assert p is not None and p.n == 100
    assert p.percent_agreement == pytest.approx(0.92) and p.top_category == 5
    assert p.top_share == pytest.approx(0.94)
    assert p.chance_agreement == pytest.approx(0.94**2 + 0.06**2)
    assert p.cohen_kappa == pytest.approx((0.92 - p.chance_agreement) / (1 - p.chance_agreement))
    assert p.gwet_ac1 > p.cohen_kappa + 0.3 and p.one_in == 13  # 1 / 0.08
    # balanced answers: high agreement and high kappa, no paradox
    t2 = np.diag([20, 20, 20, 20, 20])
    t2[0, 1] = 2
    assert rel.kappa_paradox(t2, range(1, 6)) is None
    # everything in one category: kappa undefined, still flagged
    t3 = np.zeros((5, 5), int)
    t3[4, 4] = 30
    p3 = rel.kappa_paradox(t3, range(1, 6))
    assert np.isnan(p3.cohen_kappa) and p3.chance_agreement == 1.0
    # the table over interviews holds exactly the items whose table shows the paradox
    f, cb = _interviews(n_pairs=80), load_codebook()
    found = rel.kappa_paradoxes(f, cb)
    flagged = [i for i, (tab, cats) in rel.paired_tables(f, cb).items() if rel.kappa_paradox(tab, cats)]
    assert flagged and found["item"].tolist() == flagged


def test_ceiling_items():
    few = {"a": (np.diag([0, 0, 0, 2, 33]), [1, 2, 3, 4, 5])}
    many = {"a": (np.diag([0, 0, 0, 2, 93]), [1, 2, 3, 4, 5])}
    spread = {"a": (np.diag([7, 7, 7, 7, 7]), [1, 2, 3, 4, 5])}
    out = rel.ceiling_items(few)
    assert out.to_dict("records") == [{"item": "a", "n": 35, "top_share": pytest.approx(33 / 35)}]
    assert rel.ceiling_items(many).empty and rel.ceiling_items(spread).empty


# ----------------------------------------------------------------------------------------------
# words
# ----------------------------------------------------------------------------------------------
def test_bands():
    assert [nr.landis_koch(v) for v in (-0.1, 0.1, 0.3, 0.5, 0.7, 0.9, float("nan"))] == [
        "poor", "slight", "fair", "moderate", "substantial", "almost_perfect", "undefined"]
    assert [nr.koo_li(v) for v in (0.4, 0.6, 0.8, 0.95)] == ["poor", "moderate", "good", "excellent"]
    assert nr.krippendorff_band(0.667) == "tentative" and nr.krippendorff_band(0.8) == "reliable"
    assert nr.band_label("krippendorff", 0.7, "en") == "tentative conclusions only"
    assert nr.band_label("koo_li", 0.8, "ru") == "хорошая"


def test_describe_agreement_sentences():
    s = nr.describe_agreement({"item_or_domain": "x", "statistic": "krippendorff_alpha_ordinal",
                               "estimate": 0.7, "ci_low": 0.6, "ci_high": 0.85, "n": 50})
    assert s == ("x: Krippendorff's alpha (ordinal) = 0.70 (95% CI 0.60 to 0.85, n = 50): tentative "
                 "conclusions only, by Krippendorff's (2004) thresholds of 0.667 and 0.800; the interval spans "
                 "unacceptable to reliable.")
    s = nr.describe_agreement({"item_or_domain": "x", "statistic": "ICC2", "estimate": 0.8,
                               "ci_low": 0.7, "ci_high": 0.88, "n": 50})
    assert "good reliability on the Koo & Li (2016) scale; the interval spans moderate to good." in s
    s = nr.describe_agreement({"item_or_domain": "x", "statistic": "cohen_kappa", "estimate": float("nan"),
                               "ci_low": float("nan"), "ci_high": float("nan"), "n": 5,
                               "reason": "every answer is in one category"})
    assert s == "x: Cohen's kappa is undefined (every answer is in one category)."
    ru = nr.describe_agreement({"item_or_domain": "x", "statistic": "cohen_kappa", "estimate": float("nan"),
                                "ci_low": float("nan"), "ci_high": float("nan"), "n": 5,
                                "reason": "every answer is in one category (1 category used): chance agreement"},
                               lang="ru")
    assert ru == ("x: каппа Коэна не определена (все ответы в одной категории: случайное согласие равно 1, "
                  "коэффициент равен 0/0).")


def test_kappa_paradox_in_words():
    cb = load_codebook()
    t = np.zeros((5, 5), int)
    t[4, 4], t[3, 4], t[4, 3], t[3, 3] = 90, 4, 4, 2
    p = rel.kappa_paradox(t, range(1, 6))
    en = nr.kappa_paradox_text(p, "«Appearance»", "strongly agree")
    assert en.startswith("Kappa paradox on «Appearance»: the volunteer and the social worker gave the same "
                         "answer in 92% of 100 pairs of interviews, yet Cohen's kappa is only 0.")
    assert "94% of all answers are 'strongly agree'" in en and "Gwet's AC1 = 0.92" in en
    ru = nr.kappa_paradox_text(p, "«Внешний вид»", "полностью согласен", "ru")
    assert ru.startswith("Парадокс каппы по вопросу «Внешний вид»") and "«полностью согласен»" in ru
    assert "AC1 Гвета = 0,92" in ru and latin_words(ru) == []
    # below 80% agreement the paragraph says that part of the gap is real disagreement
    t4 = np.zeros((5, 5), int)
    t4[4, 4], t4[3, 4], t4[4, 3] = 70, 15, 15
    modest = nr.kappa_paradox_text(rel.kappa_paradox(t4, range(1, 6)), "x", "y")
    assert modest.endswith("the interviewers disagree on about one recipient in 3, so not all of the gap is a "
                           "paradox.")
    f = _interviews(n_pairs=80)
    rep = nr.kappa_paradox_report(f, cb)
    assert list(rep) == rel.kappa_paradoxes(f, cb)["item"].tolist()
    assert all(f"«{cb.item_label(item, 'en')}»" in words for item, words in rep.items())
    table = nr.kappa_paradox_table(f, cb, "ru")
    assert table["question"].tolist() == [cb.item_label(i, "ru") for i in rep]
    assert set(table["top_answer"]) <= {cb.scale_of(i).label(c, "ru") for i in rep for c in (1, 2, 3, 4, 5)}


def test_ceiling_warning_and_notes():
    t = np.zeros((5, 5), int)
    t[4, 4], t[4, 3] = 33, 2
    few = {"eth_appearance": (t, [1, 2, 3, 4, 5])}
    cb = load_codebook()
    en = nr.ceiling_warnings(few, cb)
    assert len(en) == 1 and en[0].startswith(
        f"Few pairs at the ceiling ({cb.item_label('eth_appearance', 'en')}: n = 35, 97% in one category).")
    assert nr.ceiling_warnings({"x": (np.diag([9, 9, 9, 9, 9]), [1, 2, 3, 4, 5])}) == []
    ru = nr.ceiling_warnings(few, cb, "ru")[0]
    assert ru.startswith("Мало пар у потолка шкалы") and "n = 35, 97% в одной категории" in ru
    assert "conditional on these interviewers" in nr.interval_note("pairs")
    assert "pigeonhole" in nr.interval_note("interviewers") and "unweighted" in nr.interval_note("interviewers")
    assert "design-weighted" in nr.interval_note("interviewers", weighted=True)
    assert "the interviewers and the workers" in nr.interval_note("interviewers+workers")
    assert "голубятня" in nr.interval_note("interviewers", lang="ru")


def _tidy(n=50):
    cb = load_codebook()
    f = _interviews(n_pairs=n).assign(year=2020)
    s = _scores(n_pairs=n).assign(year=2020)
    return cb, f, s, rel.compare_interviewers(f, cb, n_boot=100, scores=s)


def test_reviewer_tables_show_questions_and_locale_numbers():
    cb, f, s, tidy = _tidy()
    summ = nr.agreement_summary(tidy, cb)
    assert summ["question"].tolist() == [cb.item_label(i, "en") for i in
                                         ("eth_appearance", "qual_overall", "cov_mask")]  # codebook order
    assert {"n_pairs", "percent_agreement", "gwet_ac1", "stuart_maxwell_p"} <= set(summ.columns)
    assert summ["stuart_maxwell_p"].str.fullmatch(r"(< )?[01]\.\d{3}").all()
    row = tidy[(tidy.item_or_domain == "qual_overall") & (tidy.statistic == "gwet_ac1")].iloc[0]
    assert summ.loc[1, "gwet_ac1"] == f"{row.estimate:.2f} ({row.ci_low:.2f} to {row.ci_high:.2f})"
    ru = nr.agreement_summary(tidy, cb, "ru")
    ru_cell = f"{row.estimate:.2f} (от {row.ci_low:.2f} до {row.ci_high:.2f})".replace(".", ",")
    assert ru.loc[1, "gwet_ac1"] == ru_cell and ru.loc[1, "question"] == cb.item_label("qual_overall", "ru")
    sc = nr.score_agreement_summary(tidy, cb, "ru")
    assert sc["score"].tolist() == [cb.measure_label("ethics", "ru"), cb.measure_label("composite", "ru")]
    assert "," in sc.loc[1, "icc2"] and "." not in sc.loc[1, "icc2"]
    both = rel.weighted_vs_unweighted_agreement(tidy, tidy)
    wt = nr.weighted_table(both, cb, "ru")
    assert set(wt["coefficient"]) == {"процент совпадений", "AC1 Гвета"} and (wt["weighted_difference"] == 0).all()
    le = nr.leniency_table(rel.interviewer_leniency(s, within_role=True), "ru")
    assert set(le["interviewer_role"]) == {"волонтёр", "социальный работник"}
    for table in (summ, nr.score_agreement_summary(tidy, cb), nr.weighted_table(both, cb),
                  nr.leniency_table(rel.interviewer_leniency(s), "en")):
        cells = " ".join(table.astype(str).to_numpy().ravel())
        assert code_names(cells) == [], code_names(cells)


def test_sentences_in_english():
    cb, f, s, tidy = _tidy()
    paras = nr.interpretation_paragraphs(tidy, cb)
    assert paras[0].startswith("Over 3 items, the volunteer and the social worker gave the same answer in ")
    assert "Landis & Koch (1977)" in paras[0] and "reach 0.800 (reliable)" in paras[1]
    assert "after Holm's correction for 3 tests" in paras[2]
    sent = nr.score_sentences(tidy, "composite", cb)
    assert sent[0].startswith("Composite index: ICC(2,1) (absolute agreement, single interviewer) = ")
    assert "Koo & Li (2016)" in sent[0]
    assert "volunteers score the composite index systematically higher than social workers" in sent[1]
    assert sent[2].startswith("Wilcoxon signed-rank test: p ")
    ie = rel.intra_interviewer_correlation(s)
    words = nr.interviewer_effect_sentence(ie, "composite", cb)
    assert f"rho = {ie.estimate:.2f}" in words and f"design effect is 1 + (m - 1) rho = {ie.design_effect:.2f}" \
        in words
    assert all(code_names(p) == [] for p in paras + sent + [words])


def test_sentences_in_russian_have_no_english_words():
    cb, f, s, tidy = _tidy(60)
    ie = rel.intra_interviewer_correlation(s)
    texts = (nr.interpretation_paragraphs(tidy, cb, "ru") + nr.score_sentences(tidy, "composite", cb, "ru")
             + [nr.interviewer_effect_sentence(ie, "composite", cb, "ru"), nr.interval_note(lang="ru")]
             + list(nr.kappa_paradox_report(f, cb, "ru").values()))
    for t in texts:
        assert latin_words(t) == [], (latin_words(t), t)
    assert "Лэндиса и Коха (1977)" in texts[0] and "Ку и Ли (2016)" in texts[3]
    assert f"ρ = {ie.estimate:.2f}".replace(".", ",") in texts[-2 - len(nr.kappa_paradox_report(f, cb, "ru"))]


def test_year_without_pairs_in_words():
    cb = load_codebook()
    f = _interviews(n_pairs=10).assign(pair_id=pd.NA)
    out = rel.compare_interviewers(f, cb, n_boot=50, scores=_scores(10).assign(pair_id=pd.NA))
    assert nr.interpretation_paragraphs(out, cb, "ru") == ["Нет парных интервью: согласие оценить нельзя."]
    assert nr.agreement_summary(out, cb, "ru")["gwet_ac1"].eq("не определено").all()


# ----------------------------------------------------------------------------------------------
# figures
# ----------------------------------------------------------------------------------------------
def _texts(fig) -> list[str]:
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    return [t for t in out if t]


def test_figures_in_russian_use_catalogue_words_and_decimal_commas():
    cb, f, s, tidy = _tidy()
    lenient = rel.interviewer_leniency(s, within_role=True)
    figs = {
        "forest": fr.plot_agreement_forest(tidy, cb, "ru", "2020"),
        "ba": fr.plot_bland_altman(s, "composite", cb, "ru", "2020"),
        "confusion": fr.plot_confusion(rel.paired_tables(f, cb), ["cov_mask", "qual_overall"], cb, "ru"),
        "funnel": fr.plot_funnel(lenient, "composite", cb, "ru", "2020"),
    }
    for name, fig in figs.items():
        fig.canvas.draw()
        words = _texts(fig)
        assert words, name
        for w in words:
            assert latin_words(w) == [], (name, w)
    forest = figs["forest"].axes[0]
    assert [t.get_text() for t in forest.get_yticklabels()][1].startswith(cb.item_label("qual_overall", "ru")[:20])
    assert forest.get_title().replace("\n", " ") == "Согласие волонтёра и социального работника по вопросам, 2020"
    assert any("," in t.get_text() for t in forest.get_xticklabels())
    assert {t.get_text() for t in forest.figure.legends[0].get_texts()} == {
        "процент совпадений", "каппа Коэна", "AC1 Гвета", "альфа Криппендорфа (порядковая)"}
    ba = figs["ba"].axes[0]
    n = len(rel.paired_scores(s))
    assert ba.get_title().replace("\n", " ") == f"График Бланда-Альтмана, интегральный индекс, 2020 (пар: {n})"
    assert len(ba.collections[0].get_offsets()) == n  # one point per pair
    conf = figs["confusion"].axes
    assert len(conf) == 2 and conf[0].get_title().endswith(f"(n = {int(rel.paired_tables(f, cb)['cov_mask'][0].sum())})")
    funnel = figs["funnel"].axes[0]
    assert {t.get_text() for t in funnel.get_legend().get_texts()} == {"волонтёр", "социальный работник"}
    for fig in figs.values():
        plt.close(fig)


def test_figures_in_english_show_no_codes():
    cb, f, s, tidy = _tidy()
    figs = [fr.plot_agreement_forest(tidy, cb, "en", "2020"), fr.plot_bland_altman(s, "composite", cb, "en", "2020"),
            fr.plot_confusion(rel.paired_tables(f, cb), ["cov_mask"], cb, "en"),
            fr.plot_funnel(rel.interviewer_leniency(s), "composite", cb, "en", "2020"),
            fr.plot_funnel(rel.interviewer_leniency(s).iloc[0:0], "composite", cb, "en", "2020")]
    for fig in figs:
        fig.canvas.draw()
        for w in _texts(fig):
            assert code_names(w) == [], w
        plt.close(fig)


def test_funnel_band_is_the_normal_funnel_of_a_mean():
    lim = rel.funnel_band([4, 16], 1.0, 2.0)
    assert lim["funnel95_high"].tolist() == pytest.approx([1 + 1.959964, 1 + 0.979982], abs=1e-6)
    assert lim["funnel998_low"].iloc[1] == pytest.approx(1 - 3.090232 / 2, abs=1e-6)
