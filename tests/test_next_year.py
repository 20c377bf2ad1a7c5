"""Next year and every year after (issue 20): a new year's files are analysed with no code or codebook change.

2022 is made from the demo's 2021 files the way a centre would bring it: the same four tables named
``*_2022``, every date and interview number moved on by a year. It lives in a temporary raw folder of its
own (the session's demo data stay as they are).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.__main__ import build_parser, main
from helpers.io.demo import DEMO_MARKER
from helpers.io.ingest import ingest, interview_years
from helpers.pipeline import plan_jobs, run_pipeline

KINDS = ("interviews", "workers", "interviewers", "strata")


def _mystery_guest_raw(src: Path, dst: Path, years=(2018, 2019, 2020, 2021)) -> Path:
    """The Mystery Guest files of ``years`` (and the demo marker) copied to ``dst``."""
    dst.mkdir(parents=True)
    for y in years:
        for kind in KINDS:
            shutil.copy(src / f"{kind}_{y}.csv", dst)
    shutil.copy(src / DEMO_MARKER, dst)
    return dst


def _add_year_from(raw: Path, source_year: int, year: int, move_dates: bool = True) -> None:
    """Copy ``source_year``'s four files as ``year``'s; with ``move_dates`` every date and interview number
    moves on to ``year`` (a year's worth of interviews like the last one)."""
    for kind in KINDS:
        text = (raw / f"{kind}_{source_year}.csv").read_text(encoding="utf-8")
        if kind == "interviews" and move_dates:
            text = re.sub(rf"(?<![\d]){source_year}(?![\d])", str(year), text)
        (raw / f"{kind}_{year}.csv").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def raw_2022(demo_dirs, tmp_path_factory) -> Path:
    raw = _mystery_guest_raw(demo_dirs["raw"], tmp_path_factory.mktemp("next_year") / "raw")
    _add_year_from(raw, 2021, 2022)
    return raw


def test_a_new_year_is_accepted_like_the_year_it_was_made_from(raw_2022):
    result = ingest(raw_2022)
    log = result.log.set_index("year")
    assert log.loc[2022, "rows_read"] == log.loc[2021, "rows_read"] == 289
    assert log.loc[2022, "rows_accepted"] == log.loc[2021, "rows_accepted"] > 0
    q22 = result.quarantine[result.quarantine["year"] == 2022]
    assert len(q22) == len(result.quarantine[result.quarantine["year"] == 2021])  # the demo's planted faults only
    assert not q22["reason"].str.contains("not asked").any()
    assert log.loc[2022, "warnings"] == ""


def test_the_default_years_are_those_with_interview_files(raw_2022):
    assert interview_years(raw_2022) == [2018, 2019, 2020, 2021, 2022]
    assert build_parser().parse_args(["run"]).years is None  # no fixed list: the run takes the raw folder's years


def test_every_report_plans_the_new_year(raw_2022):
    result = ingest(raw_2022)
    present = sorted(int(y) for y in result.interviews["year"].unique())
    paired = sorted(int(y) for y in result.interviews.dropna(subset=["pair_id"])["year"].unique())
    assert present == [2018, 2019, 2020, 2021, 2022] and paired == [2020, 2021, 2022]
    jobs = {j.stem: j for j in plan_jobs(present, paired)}
    for stem in ("overview-2022", "scoring-2022", "reliability-2022"):
        assert jobs[stem].reads == [2022]
    for stem in ("scoring-pooled", "trends-all", "summary-all"):
        assert 2022 in jobs[stem].reads
    assert jobs["trends-all"].parameters["years"] == present
    assert jobs["reliability-pooled"].reads == present and jobs["reliability-pooled"].parameters["pooled"]


@pytest.fixture(scope="module")
def run_2022(raw_2022, demo_dirs, tmp_path_factory):
    """The run a user starts after dropping 2022 in: default years; only the trends and summary notebooks
    (the per-year reports are planned above; these two are the ones that compare years)."""
    out = tmp_path_factory.mktemp("reports_2022")
    rc = run_pipeline(years=None, raw_dir=raw_2022, out_dir=out, jobs=1, notebooks=["trends", "summary"],
                      processed_dir=tmp_path_factory.mktemp("processed_2022"), truth_path=demo_dirs["truth"])
    return rc, out


def test_trends_and_summary_include_the_new_year(run_2022):
    rc, out = run_2022
    assert rc == 0
    latest = out / "latest"
    manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["years"] == [2018, 2019, 2020, 2021, 2022]
    assert {n["stem"] for n in manifest["notebooks"]} == {"trends-all", "summary-all"}
    assert {"interviews_2022.csv", "strata_2022.csv"} <= set(manifest["inputs"])
    yearly = pd.read_csv(latest / "tables" / "trends_yearly.csv")
    assert sorted(yearly["year"].unique()) == [2018, 2019, 2020, 2021, 2022]
    assert 2022 in set(pd.read_csv(latest / "tables" / "trends_sample.csv")["year"])
    summary = (latest / "summary-all.html").read_text(encoding="utf-8")
    assert "2018" in summary and "2022" in summary


def test_a_year_with_no_accepted_row_stops_the_run_with_one_line(demo_dirs, tmp_path, capsys):
    raw = _mystery_guest_raw(demo_dirs["raw"], tmp_path / "raw", years=(2020, 2021))
    _add_year_from(raw, 2021, 2022, move_dates=False)  # 2022's file still dated 2021: every row quarantined
    capsys.readouterr()
    rc = main(["run", "--raw", str(raw), "--out", str(tmp_path / "reports"), "--processed", str(tmp_path / "p"),
               "--truth", str(demo_dirs["truth"])])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err == ["error: 2022: none of the 289 interviews was accepted; most frequent reason (289 rows): "
                   "date … outside survey year 2022 [date]"]
    assert not (tmp_path / "p").exists() and not list((tmp_path / "reports").glob("2*"))  # nothing written


def test_a_requested_year_without_files_stops_the_run(demo_dirs, tmp_path, capsys):
    raw = _mystery_guest_raw(demo_dirs["raw"], tmp_path / "raw", years=(2020, 2021))
    rc = main(["run", "--years", "2021", "2023", "--raw", str(raw), "--out", str(tmp_path / "reports"),
               "--processed", str(tmp_path / "p")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("error: 2023: requested, but")


def test_a_problem_of_many_columns_is_named_once_with_its_columns(demo_dirs, tmp_path):
    """An answer in an item the year does not ask: one problem per row naming every column, not one per column."""
    raw = _mystery_guest_raw(demo_dirs["raw"], tmp_path / "raw", years=(2019, 2020))
    for kind in KINDS:  # 2020's answers (COVID-19 items included) filed as 2019, whose questionnaire lacks them
        (raw / f"{kind}_2019.csv").write_text((raw / f"{kind}_2020.csv").read_text(encoding="utf-8")
                                              .replace("2020", "2019"), encoding="utf-8")
    q = ingest(raw).quarantine
    q19 = q[q["year"] == 2019]
    assert len(q19) > 0
    reason = q19["reason"].iloc[0]
    assert reason.count("answer to an item not asked in 2019") == 1
    assert "answer to an item not asked in 2019 [cov_" in reason
    assert set(q19["columns"].iloc[0].split(", ")) >= {"cov_mask", "cov_gloves", "cov_prevention"}


def test_validating_one_file_keeps_the_inputs_of_every_year(demo_dirs, tmp_path):
    """Provenance: after one year is validated again, ``inputs`` still names every file behind data/processed."""
    raw = _mystery_guest_raw(demo_dirs["raw"], tmp_path / "raw")
    out = tmp_path / "processed"
    assert main(["validate", str(raw), "--out", str(out)]) == 0
    before = json.loads((out / "ingest_summary.json").read_text(encoding="utf-8"))["inputs"]
    assert len(before) == 16
    (raw / "interviews_2019.csv").write_text((raw / "interviews_2019.csv").read_text(encoding="utf-8") + "\n",
                                             encoding="utf-8")
    assert main(["validate", str(raw / "interviews_2019.csv"), "--out", str(out)]) == 0
    after = json.loads((out / "ingest_summary.json").read_text(encoding="utf-8"))["inputs"]
    assert set(after) == set(before)
    assert [f for f in after if after[f] != before[f]] == ["interviews_2019.csv"]


# ---- instrument changes declared in the codebook (issue 20, item 2) ---------------------------------------
DROPPED, REWORDED = "qual_recommend", "eth_appearance"


def _changed_codebook(path: Path) -> Path:
    """The package's codebook with 2022's changes declared: one item dropped after 2021, one reworded in 2022."""
    text = (Path(__file__).resolve().parents[1] / "src" / "helpers" / "io" / "codebook.yaml").read_text(encoding="utf-8")
    for item, line in ((DROPPED, "until: 2021"), (REWORDED, "reworded: [2022]")):
        text, n = re.subn(rf"(\n  {item}:\n(?:    .*\n)*?    from: 2018\n)", rf"\g<1>    {line}\n", text)
        assert n == 1
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def changed_2022(demo_dirs, tmp_path, monkeypatch):
    """2021 moved to 2022 with the dropped item left blank, ingested under the changed codebook."""
    from helpers.io.codebook import CODEBOOK_ENV
    from helpers.io.ingest import write_processed

    monkeypatch.setenv(CODEBOOK_ENV, str(_changed_codebook(tmp_path / "codebook.yaml")))
    raw = _mystery_guest_raw(demo_dirs["raw"], tmp_path / "raw")
    _add_year_from(raw, 2021, 2022)
    interviews = pd.read_csv(raw / "interviews_2022.csv", dtype=str, keep_default_na=False)
    interviews[DROPPED] = ""  # not asked in 2022
    # 2022 is not an exact copy of 2021: some answers differ (two identical years make the role-gap check's
    # covariance singular, a separate edge case)
    answered = interviews["eth_discipline"].str.strip() != ""
    interviews.loc[answered & (interviews.index % 4 == 0), "eth_discipline"] = "скорее согласен"
    interviews.to_csv(raw / "interviews_2022.csv", index=False)
    result = ingest(raw)
    write_processed(result, tmp_path / "processed")
    return result, tmp_path / "processed"


def test_a_declared_change_keeps_the_trends_composite_comparable(changed_2022):
    from helpers.io.codebook import load_codebook
    from helpers.narrative.trends import instrument_changes_sentence
    from helpers.studies.mystery_guest.scoring import score_interviews
    from helpers.studies.mystery_guest.study import open_study
    from helpers.studies.mystery_guest.trends import yearly_summary

    result, processed = changed_2022
    cb = load_codebook()  # the changed one, from $MG_CODEBOOK
    years = [2018, 2019, 2020, 2021, 2022]
    assert not result.quarantine["reason"].str.contains("not asked in 2022").any()
    assert cb.instrument_changes(years)[-2:] == [(DROPPED, 2021, "dropped"), (REWORDED, 2022, "reworded")]
    comparable = cb.trend_items(years)
    assert DROPPED not in comparable and REWORDED not in comparable
    study = open_study(processed)
    scored = study.scored(years)
    assert sorted(scored["year"].unique()) == years
    # the composite of the trends: the same questions in every year (the two changed items left out)
    expected = score_interviews(study.interviews(years), cb, items=comparable)
    pd.testing.assert_series_equal(scored["composite"], expected["composite"])
    full = score_interviews(study.interviews(years), cb)
    assert (scored["composite"] != full["composite"]).mean() > 0.5  # the changed items count in the full score
    assert scored.loc[scored["year"] == 2022, "composite"].notna().mean() > 0.9
    # one year alone keeps its own full questionnaire
    pd.testing.assert_series_equal(study.scored(2021)["composite"], full.loc[full["year"] == 2021, "composite"]
                                   .reset_index(drop=True))
    yearly = yearly_summary(scored, measures=["composite"], top_box=False, weighted=False)
    assert sorted(yearly["year"]) == years
    # the report names the changed items, in both languages
    en, ru = (instrument_changes_sentence(cb, years, lang) for lang in ("en", "ru"))
    assert cb.item_label(DROPPED, "en") in en and cb.item_label(REWORDED, "en") in en and "2022" in en
    assert cb.item_label(DROPPED, "ru") in ru and cb.item_label(REWORDED, "ru") in ru
    assert instrument_changes_sentence(cb, [2018, 2019, 2020, 2021], "en") is None  # no change within 2018-2021


def test_a_reworded_year_outside_the_item_is_refused(tmp_path):
    from helpers.io.codebook import load_codebook

    text = _changed_codebook(tmp_path / "c.yaml").read_text(encoding="utf-8").replace("reworded: [2022]",
                                                                                       "reworded: [2018]")
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="'reworded: 2018' must fall after 'from: 2018'"):
        load_codebook(tmp_path / "c.yaml")


@pytest.mark.slow
def test_the_trends_report_names_the_changed_items(changed_2022, demo_dirs, tmp_path):
    from helpers.io.codebook import load_codebook

    _, processed = changed_2022
    cb = load_codebook()
    out = tmp_path / "reports"
    rc = run_pipeline(years=None, raw_dir=tmp_path / "raw", out_dir=out, jobs=1, notebooks=["trends"],
                      processed_dir=tmp_path / "p2", truth_path=demo_dirs["truth"])
    assert rc == 0
    html = (out / "latest" / "trends-all.html").read_text(encoding="utf-8")
    assert "2022" in html and cb.item_label(DROPPED, "en") in html and cb.item_label(REWORDED, "en") in html
