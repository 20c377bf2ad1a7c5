"""open_study: the shared Mystery Guest artefacts, computed once per run."""

from __future__ import annotations

import pandas as pd

from helpers.studies.mystery_guest.scoring import score_interviews
from helpers.studies.mystery_guest.study import open_study


def test_scored_once_for_all_years_equals_scoring_each_year(demo_dirs, tmp_path):
    study = open_study(demo_dirs["processed"], tmp_path / "artefacts")
    for year in (2018, 2021):
        own = score_interviews(study.interviews(year), study.codebook)
        pd.testing.assert_frame_equal(study.scored(year), own.reset_index(drop=True))
    assert [e["event"] for e in study.store.log()] == ["computed"]


def test_a_second_kernel_loads_what_the_first_computed(demo_dirs, tmp_path):
    first = open_study(demo_dirs["processed"], tmp_path / "artefacts")
    first.scored([2020])
    second = open_study(demo_dirs["processed"], tmp_path / "artefacts")
    pd.testing.assert_frame_equal(second.scored([2020]), first.scored([2020]))
    assert [e["event"] for e in second.store.log()] == ["computed", "loaded"]


def test_without_a_folder_artefacts_live_in_memory(demo_dirs):
    study = open_study(demo_dirs["processed"])
    calls = []
    for _ in range(3):
        study.artefact("count", lambda s, k: calls.append(k) or k, k=7)
    study.artefact("count", lambda s, k: calls.append(k) or k, k=8)
    assert calls == [7, 8]


def test_an_artefact_folder_whose_run_is_gone_is_not_recreated(demo_dirs, tmp_path):
    gone = tmp_path / ".building-20260101-000000" / "_artefacts"
    study = open_study(demo_dirs["processed"], gone)
    assert study.store.folder is None and len(study.scored(2018)) > 0
    assert not gone.parent.exists()
