"""НОК benchmarking: checklist gaps, improvement plans, the region view and the funnels."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.narrative.nok import plan_table
from helpers.studies.nok.benchmark import (
    checklist_gaps,
    dissatisfaction_funnel,
    funnel_outliers,
    improvement_plan,
    region_view,
    share_funnels,
)
from helpers.studies.nok.demo import make_nok_demo
from helpers.studies.nok.scoring import score_organisations
from helpers.studies.nok.uncertainty import score_intervals

Q = [f"q{i:02d}" for i in range(1, 16)]


def _orgs(ids, **checklist):
    base = {"info_stand_required": 18, "info_stand_present": 18, "info_site_required": 36, "info_site_present": 36,
            "remote_channels": 4, "comfort_conditions": 5, "premises_conditions": 5, "services_conditions": 5}
    return pd.DataFrame([{"organisation_id": o, **base, **checklist} for o in ids])


def _respondents(counts: dict[str, tuple[int, int]], question="q15"):
    """counts: organisation -> (respondents, 'no' answers to ``question``); everything else 'yes'."""
    frames = []
    for org, (n, no) in counts.items():
        d = pd.DataFrame({"organisation_id": org, **{q: 1 for q in Q}}, index=range(n))
        d[question] = [0] * no + [1] * (n - no)
        frames.append(d)
    return pd.concat(frames, ignore_index=True).astype({q: "Int64" for q in Q})


@pytest.fixture(scope="module")
def demo():
    d = make_nok_demo()
    resp = d.respondents.assign(**{q: d.respondents[q].map({"да": 1, "нет": 0}).astype("Int64") for q in Q})
    orgs = d.organisations.assign(kind="residential_home")
    return resp, orgs, score_organisations(resp, orgs), score_intervals(resp, orgs, n_boot=300, seed=4)


def test_checklist_gaps_count_missing_items():
    g = checklist_gaps(_orgs(["A"], info_site_present=30, remote_channels=1, services_conditions=2))
    missing = dict(zip(g["item"], g["missing"], strict=True))
    assert missing == {"info_stand_present": 0, "info_site_present": 6, "remote_channels": 3,
                       "comfort_conditions": 0, "premises_conditions": 0, "services_conditions": 3}


def test_improvement_plan_hand_example():
    orgs = _orgs(["A", "B"], services_conditions=4)
    orgs.loc[1, "services_conditions"] = 5
    resp = _respondents({"A": (20, 4), "B": (20, 0)})
    scores = score_organisations(resp, orgs)
    plan = plan_table(improvement_plan(scores, score_intervals(resp, orgs, n_boot=300), orgs, target=95.0), "ru")
    a = plan[plan["organisation_id"] == "A"].set_index("indicator")
    # i3_2 = 80 (4 of 5 conditions): 0.4 * 20 / 5 = 1.6 points of the total
    assert a.loc["i3_2", "points_in_total"] == pytest.approx(1.6, abs=1e-12) and a.loc["i3_2", "missing"] == 1
    # i5_3 = 16/20 = 80 < 95 and below the group mean 90: 0.5 * 20 / 5 = 2
    assert a.loc["i5_3", "points_in_total"] == pytest.approx(2.0, abs=1e-12)
    assert bool(a.loc["i5_3", "below_target"]) and bool(a.loc["i5_3", "below_group"])
    assert a.loc["i5_3", "group_mean"] == pytest.approx(90.0)
    assert list(a.index[:2]) == ["i5_3", "i3_2"]  # largest gain first
    assert a.loc["i5_3", "action"].startswith("Разобрать")
    assert plan[plan["organisation_id"] == "B"].empty


def test_region_view_names_what_the_kaluga_council_named(demo):
    _, _, scores, _ = demo
    view = region_view(scores)
    assert view["criterion"].tolist()[:3] == ["K3", "K1", "K2"]
    assert view["share_of_total_gap"].sum() == pytest.approx(1.0)
    assert view.set_index("criterion").loc["K3", "gap"] == pytest.approx(100 - scores["K3"].mean())


def test_share_funnel_finds_a_planted_outlier():
    counts = {f"O{i:02d}": (100, 5) for i in range(12)} | {"BAD": (100, 40)}
    f = share_funnels(_respondents(counts))
    q15 = f[f["question"] == "q15"].set_index("organisation_id")
    assert q15.loc["BAD", "outside998"] == "below"
    assert (q15.drop(index="BAD")["outside95"] == "").all()
    out = funnel_outliers(f[f["question"] == "q15"], adjusted=False)
    assert out["organisation_id"].tolist() == ["BAD"]
    assert q15["events"].loc["BAD"] == 60 and q15["size"].loc["BAD"] == 100


def test_dissatisfaction_ratio_hand_example():
    # only q05 has 'no' answers: A 2 of 10, B 2 of 30 -> regional rate 4/40; E_A = 1, E_B = 3
    f = dissatisfaction_funnel(_respondents({"A": (10, 2), "B": (30, 2)}, question="q05")).set_index("organisation_id")
    assert f.loc["A", "expected"] == pytest.approx(1.0) and f.loc["B", "expected"] == pytest.approx(3.0)
    assert f.loc["A", "value"] == pytest.approx(2.0) and f.loc["B", "value"] == pytest.approx(2 / 3)
    # each respondent says "no" once or never, e_i = 0.1: an organisation of n simulated from the pool of 4 "no"
    # among 40 has O* ~ Binomial(n, 0.1) and E* = n/10 - second implementation: scipy's binomial
    from scipy import stats

    assert f["respondent_phi"].eq(1.0).all()  # binary counts: no respondent-level over-dispersion
    mid_low = stats.binom.cdf(1, 10, 0.1) + stats.binom.pmf(2, 10, 0.1) / 2  # A: P(O* < 2) + P(O* = 2)/2
    assert f.loc["A", "z"] == pytest.approx(stats.norm.ppf(mid_low), abs=0.03)
    high = stats.binom.ppf(0.975, 30, 0.1)  # B's 97.5% quantile of O*: 6
    assert (high - 1) / 3 <= f.loc["B", "ul95"] <= high / 3
    assert f.loc["A", "ll95"] == 0.0 and (f["outside95"] == "").all()


def test_funnels_survive_a_question_nobody_was_asked_and_no_dissatisfaction():
    resp = _respondents({"A": (10, 0), "B": (12, 0)})
    resp["q03"] = 0  # nobody used the site: q04 skipped everywhere
    resp["q04"] = pd.array([pd.NA] * len(resp), dtype="Int64")
    f = share_funnels(resp)
    assert "q04" not in set(f["question"]) and {"q02", "q15"} <= set(f["question"])
    assert dissatisfaction_funnel(resp).empty  # no 'no' answer anywhere: nothing is expected
