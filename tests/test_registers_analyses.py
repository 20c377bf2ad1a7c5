"""The registers' statistics on small hand-made tables whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from helpers.studies.registers import analyses as an


@pytest.mark.parametrize(("k", "n"), [(0, 205), (3, 10), (47, 47), (120, 152)])
def test_wilson_matches_statsmodels(k, n):
    low, high = an.wilson_interval(k, n)
    ref = proportion_confint(k, n, method="wilson")
    assert np.allclose([low, high], ref, atol=1e-12)


def test_wilson_undefined_without_observations():
    assert all(np.isnan(an.wilson_interval(0, 0)))


def test_share_table_keeps_zero_categories():
    t = an.share_table(pd.DataFrame({"year": [1, 1, 2], "kind": ["a", "b", "a"]}), "kind", ["a", "b", "c"], ["year"])
    assert t.loc[(t["year"] == 2) & (t["kind"] == "c"), "n"].item() == 0
    assert t.groupby("year")["n"].sum().to_dict() == {1: 2, 2: 1}


def test_collection_calendar_on_time_late_missed_extra():
    c = pd.DataFrame({"settlement": "S1", "date": pd.to_datetime(["2021-01-01", "2021-01-11", "2021-01-20"])})
    cal = an.collection_calendar(c, 2021, ["S1"])
    first = cal[cal["expected"].notna()].head(3)
    assert first["status"].tolist() == ["on_time", "late", "missed"]
    assert first["days_late"].iloc[1] == 3
    assert cal.loc[cal["status"] == "extra", "collected"].tolist() == [pd.Timestamp("2021-01-20")]
    s = an.collection_summary(cal)
    assert s["expected"].item() == 53  # 2021 began on a Friday and s["on_time"].item() == 1


def test_quarterly_compliance_finds_the_user_without_a_mailing():
    users = pd.DataFrame({"user_pid": ["a", "b"], "registered": pd.to_datetime(["2020-12-01", "2020-12-01"]),
                          "left": pd.NaT, "stratum": "recipient/email"})
    mailings = pd.DataFrame({"mailing_id": ["M1", "M1", "M2"], "user_pid": ["a", "b", "a"],
                             "date": pd.to_datetime(["2021-02-01", "2021-02-01", "2021-05-01"])})
    summary, missing = an.quarterly_compliance(users, mailings, 2021)
    assert summary["compliant"].tolist() == [2, 1, 0, 0]
    assert missing.loc[missing["quarter"] == "2021 Q2", "user_pid"].tolist() == ["b"]


def test_heatmap_splits_visits_over_clock_hours():
    v = pd.DataFrame({"date": pd.to_datetime(["2021-04-05"]), "start_min": [8 * 60 + 30], "end_min": [10 * 60]})
    grid = an.hours_heatmap(v)
    assert grid.loc[8, 0] == 0.5 and grid.loc[9, 0] == 1.0 and grid.to_numpy().sum() == 1.5


def test_decision_times_and_pending():
    a = pd.DataFrame({"year": 2021, "collected": pd.to_datetime(["2021-03-05"] * 3),
                      "decision_date": pd.to_datetime(["2021-03-09", "2021-03-15", None])})
    t = an.decision_times(a)
    assert t[["n", "pending", "median", "max"]].values.tolist() == [[2, 1, 7.0, 10.0]]


def test_repeat_contacts():
    t = an.repeat_contacts(pd.DataFrame({"caller_pid": ["x", "x", "y", "z"]}))
    assert t[["contacts", "callers", "repeat_callers"]].values.tolist() == [[4, 3, 1]]


def test_gratitude_workers_beside_mystery_guest_scores():
    appeals = pd.DataFrame({"kind": ["gratitude", "gratitude", "opinion_staff"], "worker_id": ["W01", "W01", "W02"]})
    scores = pd.DataFrame({"worker_id": ["W01"], "n": [30], "adjusted": [91.0], "ci_low": [88.0], "ci_high": [94.0]})
    t = an.gratitude_workers(appeals, scores)
    assert t.values.tolist() == [["W01", 2, 30, 91.0, 88.0, 94.0]]
    assert an.gratitude_workers(appeals, None).columns.tolist() == ["worker_id", "gratitude_appeals"]
