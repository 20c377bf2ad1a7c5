"""The assumption of the year comparisons (issue 19, items 4 and 5): the within-recipient role gap per year, Welch's
test of equal gaps, the volunteer-only headline, the role coefficient's interviewer-level df, and the seeded rates
of ``benchmarks/bench_verdicts_years.py``."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.stats.comparisons import difference, welch_anova
from helpers.studies.mystery_guest import role_gap as R
from helpers.studies.mystery_guest import year_simulation as Y

# ---------------------------------------------------------------- Welch's test against second implementations


def test_welch_anova_matches_statsmodels_for_three_unequal_groups():
    from statsmodels.stats.oneway import anova_oneway

    rng = np.random.default_rng(5)
    groups = [rng.normal(0, 1, 12), rng.normal(0.8, 3, 25), rng.normal(0.2, 0.5, 9)]
    r = welch_anova([g.mean() for g in groups], [g.var(ddof=1) / len(g) for g in groups], [len(g) for g in groups])
    ref = anova_oneway(groups, use_var="unequal")
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert r.df_den == pytest.approx(ref.df[1], rel=1e-10)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert (r.k, r.n, r.df_num) == (3, 46, 2.0)


def test_welch_anova_with_two_groups_is_welchs_t_test():
    rng = np.random.default_rng(6)
    a, b = rng.normal(0, 1, 15), rng.normal(1, 2, 30)
    r = welch_anova([a.mean(), b.mean()], [a.var(ddof=1) / 15, b.var(ddof=1) / 30], [15, 30])
    t = stats.ttest_ind(a, b, equal_var=False)
    assert r.statistic == pytest.approx(t.statistic**2, rel=1e-10)
    assert r.p_value == pytest.approx(t.pvalue, rel=1e-9)


def test_welch_anova_uses_the_covariance_of_correlated_means():
    # two years sharing recipients: F = t^2 of the difference with its covariance (helpers.stats.comparisons.difference)
    ma, mb, va, vb, cov = -4.0, -2.5, 0.5, 0.4, 0.15
    r = welch_anova([ma, mb], [va, vb], [144, 143], cov=[[va, cov], [cov, vb]])
    d = difference(ma, va**0.5, 143, mb, vb**0.5, 142, covariance=cov)
    assert r.statistic == pytest.approx((d.estimate / d.se) ** 2, rel=1e-12)
    assert r.p_value == pytest.approx(d.p_value, rel=1e-9)
    independent = welch_anova([ma, mb], [va, vb], [144, 143])
    assert r.p_value < independent.p_value  # a positive covariance makes the difference more precise


def test_welch_anova_with_a_group_copied_into_another_group():
    # a year's data copied into the next (same recipients, same answers): the copy's gap has the same mean and its
    # difference has variance 0; the test stands on the other directions instead of a singular-matrix error
    ma, va, mb, vb = 2.0, 0.25, 3.0, 0.36
    cov = np.array([[va, 0, 0], [0, vb, vb], [0, vb, vb]])
    r = welch_anova([ma, mb, mb], [va, vb, vb], [40, 40, 40], cov=cov)
    two = welch_anova([ma, mb], [va, vb], [40, 40])
    assert r.df_num == 1 and np.isfinite(r.p_value)
    # the one direction left is year 1 against the copied pair: its Wald statistic is the two-group t^2 = F (k = 2),
    # divided by Welch's k = 3 factor 1 + 2 (k - 2) L / (k^2 - 1)
    factor = 1 + 2 * (3 - 2) * _welch_lambda([va, vb, vb], [40] * 3) / 8
    assert r.statistic * factor == pytest.approx(two.statistic, rel=1e-9)
    assert two.statistic == pytest.approx((mb - ma) ** 2 / (va + vb), rel=1e-12)
    # a difference without variance is certain
    assert welch_anova([ma, mb, mb + 1], [va, vb, vb], [40] * 3, cov=cov).p_value == 0.0


def _welch_lambda(v, n):
    w = 1 / np.asarray(v)
    return float(((1 - w / w.sum()) ** 2 / (np.asarray(n) - 1)).sum())


def test_welch_anova_says_why_there_is_no_test():
    assert welch_anova([1.0], [0.1], [10]).reason == "fewer_than_two_groups"
    assert welch_anova([1.0, 2.0], [0.1, 0.0], [10, 10]).reason == "zero_variance"
    assert np.isnan(welch_anova([1.0, 2.0], [0.1, 0.2], [10, 1]).p_value)


# ---------------------------------------------------------------- the within-recipient gap


def _paired_years(gaps=(-3.0, -3.0), n=60, seed=3, shared=0, sd=3.0):
    """Years 2020, 2021 (and a volunteer-only 2019): every recipient interviewed by both roles; ``shared``
    recipients of 2021 were also sampled in 2020."""
    rng = np.random.default_rng(seed)
    rows = [{"year": 2019, "recipient_pid": f"v{i}", "role": "volunteer", "composite": 90 + rng.normal(0, sd)}
            for i in range(n)]
    for y, gap in zip((2020, 2021), gaps, strict=True):
        for i in range(n):
            rid = f"r2020-{i}" if (y == 2021 and i < shared) else f"r{y}-{i}"
            base = 90 + rng.normal(0, sd)
            rows.append({"year": y, "recipient_pid": rid, "role": "volunteer", "composite": base + rng.normal(0, 2)})
            rows.append({"year": y, "recipient_pid": rid, "role": "social_worker",
                         "composite": base + gap + rng.normal(0, 2)})
    return pd.DataFrame(rows)


def test_paired_gap_is_the_paired_t_test():
    s = _paired_years()
    g = R.paired_gap_by_year(s).set_index("year")
    d = s[s["year"] == 2020].pivot(index="recipient_pid", columns="role", values="composite")
    ref = stats.ttest_rel(d["social_worker"], d["volunteer"])
    ci = ref.confidence_interval(0.95)
    assert g.loc[2020, "estimate"] == pytest.approx((d["social_worker"] - d["volunteer"]).mean(), rel=1e-12)
    assert g.loc[2020, "p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert (g.loc[2020, "ci_low"], g.loc[2020, "ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert g.loc[2020, "n"] == 60 and isinstance(g.loc[2020, "n"], np.integer)
    assert g.loc[2019, "reason"] == "no_social_worker_interviews" and g.loc[2019, "n"] == 0


def test_gap_covariance_of_recipients_seen_in_two_years_by_hand():
    s = _paired_years(shared=20)
    gaps = R.recipient_gaps(s)
    a = gaps[gaps["year"] == 2020].set_index("recipient_pid")["gap"]
    b = gaps[gaps["year"] == 2021].set_index("recipient_pid")["gap"]
    common = a.index.intersection(b.index)
    assert len(common) == 20
    by_hand = sum((a[c] - a.mean()) * (b[c] - b.mean()) for c in common) / 19 * 20 / (60 * 60)
    V = R._gap_covariance(gaps, [2020, 2021], np.array([a.std(ddof=1) / 60**0.5, b.std(ddof=1) / 60**0.5]))
    assert V[0, 1] == pytest.approx(by_hand, rel=1e-12)
    assert V[0, 0] == pytest.approx(a.var(ddof=1) / 60, rel=1e-12)


def test_check_keeps_the_model_when_the_gaps_are_equal_and_rejects_a_growing_gap():
    equal = R.role_gap_check(_paired_years((-3.0, -3.0)))
    assert (equal.decision, equal.headline, equal.years, equal.n) == ("equal", "model", (2020, 2021), 120)
    assert equal.p_value > R.GAP_ALPHA
    grows = R.role_gap_check(_paired_years((-3.0, -6.0)))
    assert (grows.decision, grows.headline) == ("unequal", "volunteers")
    assert grows.p_value < 0.001 and grows.ci_low < -3.0 < grows.ci_high and grows.estimate < 0


def test_check_cannot_test_with_one_paired_year_and_needs_nothing_with_one_social_worker_year():
    s = _paired_years((-3.0, -6.0))
    only_2020_pairs = s[~((s["year"] == 2021) & (s["role"] == "volunteer"))]
    c = R.role_gap_check(only_2020_pairs)
    assert (c.decision, c.headline, c.reason) == ("not_testable", "volunteers", "fewer_than_two_years_with_pairs")
    one_sw_year = s[~((s["year"] == 2021) & (s["role"] == "social_worker"))]
    c = R.role_gap_check(one_sw_year)
    assert (c.decision, c.headline) == ("not_needed", "model")


def test_headline_is_the_volunteer_comparison_when_the_gap_changes():
    s = _paired_years((-3.0, -6.0))
    s["worker_id"] = "W" + (s.index % 5).astype(str)
    s["interviewer_id"] = np.where(s["role"] == "volunteer", "V", "S") + (s.index % 3).astype(str)
    s["mode"] = np.where(s.index % 2 == 0, "phone", "in_person")
    yc = R.year_comparisons(s)
    assert yc.check.headline == "volunteers"
    assert yc.headline is yc.volunteers and set(yc.volunteers["instrument"]) == {"volunteers"}
    side = yc.side_by_side()
    assert list(side[["year_a", "year_b"]].itertuples(index=False, name=None)) == [(2019, 2020), (2019, 2021),
                                                                                   (2020, 2021)]
    assert set(side["headline"]) == {"volunteers"}
    same = R.year_comparisons(_paired_years((-3.0, -3.0)).assign(
        worker_id=s["worker_id"], interviewer_id=s["interviewer_id"], mode=s["mode"]))
    assert same.headline is same.model


# ---------------------------------------------------------------- the role coefficient's interviewer-level df


def test_role_coefficient_gets_a_t_interval_on_interviewers_minus_two_df():
    d = pd.DataFrame({"interviewer_id": ["V1", "V2", "S1", "S2", "S3"], "role": ["volunteer"] * 2 + ["social_worker"] * 3})
    assert R.role_term_df(d) == 3.0
    assert R.role_term_df(d.assign(role=["volunteer", "social_worker", "social_worker", "volunteer", "volunteer"])
                          .pipe(lambda f: pd.concat([f, f.assign(role="volunteer")]))) == np.inf
    r = Y.role_study(0)
    assert r["df"] == r["interviewers"] - 2
    from helpers.studies.mystery_guest.simulate import simulate_years
    from helpers.studies.mystery_guest.trends import year_mixed_model

    st = simulate_years(seed=0)
    s = st.interviews.assign(composite=np.random.default_rng(0).normal(85, 5, len(st.interviews)))
    fixed = year_mixed_model(s, roster=st.strata).fixed.set_index("term")
    role = fixed.loc["C(role)[T.volunteer]"]
    q = stats.t.ppf(0.975, role["df"])
    assert role["ci_high"] - role["coef"] == pytest.approx(q * role["se"], rel=1e-12)
    assert role["p"] == pytest.approx(2 * stats.t.sf(abs(role["coef"]) / role["se"], role["df"]), rel=1e-12)
    mode = fixed.loc["C(mode)[T.phone]"]
    assert mode["df"] == np.inf
    assert mode["ci_high"] - mode["coef"] == pytest.approx(stats.norm.ppf(0.975) * mode["se"], rel=1e-12)


# ---------------------------------------------------------------- the bench's rates, seeded and few


def test_seeded_rates_of_the_year_verdicts():
    # benchmarks/bench_verdicts_years.py with 5 studies: the gap grows in 2021 only - the constant instrument
    # reports a change in most studies, the headline (volunteer interviews after the gap check) in one;
    # the 200-study rates are in benchmarks/RESULTS.md
    grows = [Y.year_study("gap_grows", s) for s in range(5)]
    assert [r["model"] for r in grows] == [True, True, False, True, True]
    assert [r["headline"] for r in grows] == [True, False, False, False, False]
    assert all(r["gap_rejected"] for r in grows)
    assert np.mean([r["d_model"] for r in grows]) < -1.0 < np.mean([r["d_volunteers"] for r in grows])
    same = [Y.year_study("no_change", s) for s in range(3)]
    assert [r["headline"] for r in same] == [False, False, False]
    cover = [Y.role_study(s) for s in range(10)]
    assert sum(r["t_covers"] for r in cover) == 10


@pytest.mark.slow
def test_rates_over_forty_studies():
    grows = [Y.year_study("gap_grows", s) for s in range(40)]
    assert np.mean([r["headline"] for r in grows]) <= 0.15
    assert np.mean([r["model"] for r in grows]) >= 0.4
    same = [Y.year_study("no_change", s) for s in range(40)]
    assert np.mean([r["headline"] for r in same]) <= 0.10
    cover = [Y.role_study(s) for s in range(100)]
    assert np.mean([r["t_covers"] for r in cover]) >= 0.9


# ---------------------------------------------------------------- words


def test_gap_sentences_in_both_languages_for_every_decision():
    from helpers.narrative import trends as N
    from helpers.narrative.language import code_names, latin_words

    s = _paired_years((-3.0, -6.0))
    checks = [R.role_gap_check(_paired_years((-3.0, -3.0))), R.role_gap_check(s),
              R.role_gap_check(s[~((s["year"] == 2021) & (s["role"] == "volunteer"))]),
              R.role_gap_check(s[~((s["year"] == 2021) & (s["role"] == "social_worker"))])]
    assert [c.decision for c in checks] == ["equal", "unequal", "not_testable", "not_needed"]
    for lang in ("en", "ru"):
        said = [N.role_gap_sentence(c, lang) for c in checks]
        assert len(set(said)) == 4
        for x in said:
            if lang == "ru":
                assert latin_words(x) == [], x
                assert not re.search(r"\d\.\d", x), x
            else:
                assert code_names(x) == [], x
                assert not re.search(r"\d,\d", x), x
        cells = " ".join(N.role_gap_table(checks[0], lang)["reason"])
        assert (latin_words(cells) if lang == "ru" else code_names(cells)) == []


def test_summary_finding_names_the_volunteer_headline_and_shows_the_model_beside_it():
    from helpers.narrative import summary as NS
    from helpers.narrative.language import code_names, latin_words
    from helpers.narrative.trends import instrument_label
    from helpers.studies.mystery_guest import trends as T

    s = _paired_years((-3.0, -6.0))
    s["worker_id"] = "W" + (s.index % 5).astype(str)
    s["interviewer_id"] = np.where(s["role"] == "volunteer", "V", "S") + (s.index % 3).astype(str)
    s["mode"] = np.where(s.index % 2 == 0, "phone", "in_person")
    fit = T.year_mixed_model(s)
    yc = R.year_comparisons(s, fit=fit)
    summary = T.yearly_summary(s, measures=["composite"], top_box=False)
    for lang in ("en", "ru"):
        first = NS.key_findings(summary, yc.headline, T.raw_vs_adjusted(s, fit=fit), fit, lang=lang,
                                year_comparisons=yc)[0]
        assert instrument_label("volunteers", lang) in first
        assert _opening(lang, "summary.findings.largest_model") in first
        assert (latin_words(first) if lang == "ru" else code_names(first)) == [], first


def _opening(lang, key):
    """The fixed opening words of a catalogue message (up to its first placeholder)."""
    from helpers.narrative.catalogue import messages

    return messages(lang)[key].split("{")[0]
