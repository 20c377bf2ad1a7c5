"""Demo data reproduce every published figure and are deterministic for a seed."""

import json

import pandas as pd
import pytest

from helpers.io.demo import write_demo_data
from helpers.studies.mystery_guest.overview import PUBLISHED, counts_vs_published, sample_counts


@pytest.mark.parametrize("year", [2018, 2019, 2020])
def test_published_figures_reproduced(demo_result, year):
    table = counts_vs_published(demo_result.interviews, year)
    published = table[table["published"].notna()]
    assert len(published) >= 3
    assert published["match"].eq(True).all() and (published["observed"] == published["published"]).all(), published


def test_published_counts_exact(demo_result):
    c = sample_counts(demo_result.interviews)
    assert c.loc[2018, ["workers", "recipients", "volunteers"]].tolist() == [4, 35, 4]
    assert c.loc[2019, ["workers", "recipients", "volunteers"]].tolist() == [5, 42, 4]
    assert c.loc[2020, ["recipients", "home_care_recipients", "temporary_residence_recipients"]].tolist() == [144, 130, 14]
    assert c.loc[2020, "complete_pairs"] == 144 and c.loc[2020, "social_worker_interviewers"] > 0
    assert c.loc[2018, "social_worker_interviewers"] == 0 and c.loc[2019, "complete_pairs"] == 0
    assert PUBLISHED[2020]["recipients"] == 144


def test_ceiling_and_missing_answers(demo_result, codebook):
    df = demo_result.interviews
    top = (df["qual_overall"] == 5).mean()
    assert 0.55 < top < 0.95  # most answers at the top, but not all
    assert (df["eth_conflicts"] == 1).mean() > 0.5  # reverse-keyed: best answer is 1
    assert (df[codebook.item_codes] == 8).sum().sum() > 0
    assert df[codebook.items_for_year(2018)].isna().to_numpy().sum() > 0
    assert df.loc[df["year"] < 2020, "cov_mask"].isna().all()


def test_deterministic_for_a_seed(tmp_path):
    a = write_demo_data(tmp_path / "a", tmp_path / "a.json", seed=7, years=(2018,))
    b = write_demo_data(tmp_path / "b", tmp_path / "b.json", seed=7, years=(2018,))
    c = write_demo_data(tmp_path / "c", tmp_path / "c.json", seed=8, years=(2018,))
    assert a[0].read_bytes() == b[0].read_bytes()
    assert a[0].read_bytes() != c[0].read_bytes()


def test_truth_is_written_outside_raw(demo_dirs):
    truth = json.loads(demo_dirs["truth"].read_text(encoding="utf-8"))
    assert not demo_dirs["truth"].is_relative_to(demo_dirs["raw"])
    assert truth["role_shift"]["social_worker"] < 0
    assert set(truth["year_effect"]) == {"2018", "2019", "2020", "2021"}
    assert "W01" in truth["worker_quality"]["2018"] and "V01" in truth["interviewer_leniency"]


def test_scaling_for_benchmarks(tmp_path):
    write_demo_data(tmp_path, tmp_path / "t.json", seed=1, recipients=500, years=(2020,))
    df = pd.read_csv(tmp_path / "interviews_2020.csv", dtype=str)
    assert df["recipient_id"].nunique() == 500 and len(df) == 1000  # paired year


def test_demo_carries_one_small_cell(demo_result):
    """Worker W13 is assessed in 2021 through 3 recipients (6 interviews, both of every pair): the one cell a
    public report must suppress; every other worker-year rests on 7 or more recipients. 2021's totals are
    the 2020 design's (128 home care + 15 temporary residence, 143 pairs)."""
    from helpers.io.demo import SMALL_CELL, SMALL_CELL_RECIPIENTS
    from helpers.report import MIN_CELL

    df = demo_result.interviews
    cells = df.groupby(["worker_id", "year"]).agg(n=("interview_id", "size"), recipients=("recipient_pid", "nunique"))
    small = cells[cells["recipients"] < MIN_CELL]
    assert small.index.tolist() == [SMALL_CELL]
    assert small.iloc[0].tolist() == [2 * SMALL_CELL_RECIPIENTS, SMALL_CELL_RECIPIENTS] and SMALL_CELL_RECIPIENTS == 3
    assert cells.drop(SMALL_CELL)["recipients"].min() >= 7
    c = sample_counts(df)
    assert c.loc[2021, ["recipients", "home_care_recipients", "temporary_residence_recipients"]].tolist() == [143, 128, 15]
