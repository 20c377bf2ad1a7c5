"""Small-cell suppression counts recipients (people), not interviews, at the threshold of 5 (issue 23)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.report import MIN_CELL, SUPPRESSED, Report
from helpers.studies.benchmarking import worker_funnel


def _workers(recipients: list[int], interviews_each: int = 2) -> pd.DataFrame:
    """One row per worker as the scoring tables hold them: ``n`` interviews, ``n_recipients`` recipients."""
    return pd.DataFrame({"worker_id": [f"W{i + 1:02d}" for i in range(len(recipients))], "year": 2021,
                         "n": [r * interviews_each for r in recipients], "n_recipients": recipients,
                         "raw_mean": [90.0 + i for i in range(len(recipients))],
                         "adjusted": [88.0 + i for i in range(len(recipients))]})


def test_threshold_is_five_recipients():
    assert MIN_CELL == 5


@pytest.mark.parametrize("recipients, suppressed", [(3, True), (4, True), (5, False), (6, False)])
def test_public_suppression_at_the_boundary(recipients, suppressed):
    t = Report().suppress(_workers([recipients]))
    row = t.iloc[0]
    assert (row["raw_mean"] == SUPPRESSED) is suppressed
    assert (row["adjusted"] == SUPPRESSED) is suppressed
    assert (row["n"] == SUPPRESSED) is suppressed  # the interview count tells the cell's size as well
    assert row["n_recipients"] == recipients and row["worker_id"] == "W01" and row["year"] == 2021  # never blanked


def test_interviews_do_not_count_as_recipients():
    """6 interviews of 3 recipients (a paired year) and 8 of 4 are small cells; 5 recipients once each are not."""
    t = pd.concat([_workers([3]), _workers([4]).assign(worker_id="W02"),
                   _workers([5], interviews_each=1).assign(worker_id="W03")], ignore_index=True)
    assert t["n"].tolist() == [6, 8, 5]
    out = Report().suppress(t)
    assert out["raw_mean"].tolist() == [SUPPRESSED, SUPPRESSED, 90.0]
    assert Report().drawable(t)["worker_id"].tolist() == ["W03"]


def test_internal_reports_show_every_cell():
    t = _workers([1, 3, 4, 5])
    internal = Report(audience="internal")
    pd.testing.assert_frame_equal(internal.suppress(t), t)
    pd.testing.assert_frame_equal(internal.drawable(t), t)
    assert not internal.small(t).any()


def test_missing_recipient_count_is_suppressed_not_shown():
    t = _workers([9, 9]).astype({"n_recipients": "Int64"})
    t.loc[1, "n_recipients"] = pd.NA
    assert Report().suppress(t)["raw_mean"].tolist() == [90.0, SUPPRESSED]


def test_public_table_without_a_recipient_count_is_an_error():
    """Before: a table without the count column was returned unsuppressed."""
    t = _workers([3]).drop(columns="n_recipients")
    with pytest.raises(ValueError, match="n_recipients"):
        Report().suppress(t)
    with pytest.raises(ValueError, match="n_recipients"):
        Report().drawable(t)
    assert Report(audience="internal").suppress(t) is t


def test_explicit_columns_and_count_name():
    t = pd.DataFrame({"worker": ["W01", "W02"], "interviews": [8, 10], "recipients": [4, 5], "share": [0.5, 0.6]})
    out = Report().suppress(t, n_col="recipients", columns=["interviews"])
    assert out["interviews"].tolist() == [SUPPRESSED, 10] and out["share"].tolist() == [0.5, 0.6]


def test_scoring_worker_view_suppresses_on_recipients():
    """The scoring report's worker table (what the notebook passes to ``Report.suppress``)."""
    from helpers.narrative.scoring import worker_view

    t = _workers([3, 4, 5, 10]).assign(raw_ci_low=80.0, raw_ci_high=99.0, ci_low=80.0, ci_high=99.0, flag=False)
    view = Report().suppress(worker_view(t))
    assert view["adjusted"].tolist() == [SUPPRESSED, SUPPRESSED, 90.0, 91.0]
    assert view["n"].tolist()[2:] == [10, 20]


def test_worker_funnel_counts_recipients():
    """The funnel figure's rows carry the recipients behind each worker (both interviews of a pair: one)."""
    rng = np.random.default_rng(0)
    rows = []
    for w, k in (("W01", 3), ("W02", 5)):
        for r in range(k):
            rows += [{"worker_id": w, "recipient_pid": f"{w}-{r}", "composite": float(rng.uniform(70, 100))}] * 2
    f = worker_funnel(pd.DataFrame(rows))
    assert f.set_index("worker_id")[["interviews", "n_recipients"]].to_dict("index") == {
        "W01": {"interviews": 6, "n_recipients": 3}, "W02": {"interviews": 10, "n_recipients": 5}}
    assert Report().drawable(f)["worker_id"].tolist() == ["W02"]


def test_worker_trajectories_count_recipients(demo_dirs):
    """The trends report's per-year worker cells carry their recipients; the demo's small cell is one."""
    from helpers.io.demo import SMALL_CELL, SMALL_CELL_RECIPIENTS
    from helpers.studies.mystery_guest.study import open_study
    from helpers.studies.mystery_guest.trends import worker_trajectories

    per_year, _ = worker_trajectories(open_study(demo_dirs["processed"]).scored([2020, 2021]))
    cell = per_year.set_index(["worker_id", "year"]).loc[SMALL_CELL]
    assert (cell["n"], cell["n_recipients"]) == (2 * SMALL_CELL_RECIPIENTS, SMALL_CELL_RECIPIENTS)
    small = per_year[Report().small(per_year)]
    assert list(zip(small["worker_id"], small["year"], strict=True)) == [SMALL_CELL]


@pytest.mark.parametrize("lang, no", [("ru", "нет"), ("en", "no")])
def test_suppressed_table_shows_truth_values_in_words(lang, no):
    """A boolean column (the worker table's `flag`) holding the mark beside truth values still reads yes / no."""
    from helpers.narrative.scoring import worker_view

    t = _workers([3, 10]).assign(raw_ci_low=80.0, raw_ci_high=99.0, ci_low=80.0, ci_high=99.0, flag=False)
    rep = Report(lang=lang)
    view = rep.suppress(worker_view(t))
    assert view["flag"].tolist() == [SUPPRESSED, False]
    html = rep.table_html(view, "workers")
    assert "False" not in html and f">{no}<" in html and "n&lt;5" in html


def test_csv_export_of_a_public_table_is_tidy(tmp_path):
    """A withheld cell is an empty cell of a number column in the CSV, its row flagged `suppressed`: read back,
    the score column is numeric (its mean can be taken) and the count column whole numbers."""
    t = pd.DataFrame({"worker_id": ["W1", "W2", "W3"], "n": [6, 9, 10], "n_recipients": [3, 4, 5],
                      "mean": [90.0, 85.0, 80.5]})
    Report().suppress(t).safe.to_csv(tmp_path / "t.csv", index=False)
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["mean"].dtype == float and back["mean"].isna().tolist() == [True, True, False]
    assert back["mean"].mean() == 80.5 and back["n"].tolist()[2] == 10
    assert back["suppressed"].tolist() == [True, True, False] and back["n_recipients"].tolist() == [3, 4, 5]
    assert SUPPRESSED not in (tmp_path / "t.csv").read_text(encoding="utf-8")
    Report(audience="internal").suppress(t).safe.to_csv(tmp_path / "i.csv", index=False)
    assert "suppressed" not in pd.read_csv(tmp_path / "i.csv")
