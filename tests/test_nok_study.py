"""The НОК report's tables and figures on the hand-made files (one organisation without respondents)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from helpers.figures import nok as figures
from helpers.narrative.nok import criteria_profile, denominator_table, localise
from helpers.studies.nok.study import open_nok_study

matplotlib.use("Agg")
DATA = Path(__file__).parent / "data" / "nok"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return open_nok_study(DATA, 2021, tmp_path_factory.mktemp("processed"), n_boot=200)


def test_processed_tables_are_read_first(tmp_path):
    from helpers.studies.nok.ingest import ingest_nok, write_nok_processed
    from helpers.studies.nok.study import load_nok_data

    data = ingest_nok(DATA, 2021)
    write_nok_processed(data.__class__(**{**data.__dict__, "respondents": data.respondents.iloc[:5]}), tmp_path)
    assert len(load_nok_data(DATA, 2021, tmp_path).respondents) == 5  # the pipeline's validated tables
    assert len(load_nok_data(DATA, 2021, tmp_path / "none").respondents) == 16  # else the raw files


def test_undefined_total_is_not_ranked(study):
    r = study.ranking.set_index("organisation_id")
    assert r["rank"].dtype == "Int64" and pd.isna(r.loc["D", "rank"]) and pd.isna(r.loc["D", "rank_low"])
    assert r["rank"].dropna().tolist() == [1, 2, 3]
    assert list(r.index[:3]) == ["B", "A", "C"]


def test_every_table_and_figure_builds_in_both_languages(study):
    for lang in ("en", "ru"):
        profile = criteria_profile(study, lang)
        assert profile.set_index("organisation_id").loc["D", "total"] == "—"
        assert localise(study.ranking, lang).shape == study.ranking.shape
        assert len(denominator_table(lang)) == 15
        for fig in (figures.ranking_plot(study.ranking, float(study.region["total"].iloc[0]), lang),
                    figures.criteria_heatmap(study.scores, list(study.ranking["organisation_id"]), lang),
                    figures.share_funnel_plot(study.share_funnels, ["q15", "q08"], lang),
                    figures.ratio_funnel_plot(study.dissatisfaction, lang),
                    figures.region_gap_plot(study.region_view, lang)):
            assert fig.axes and fig.axes[0].get_xlabel()
            matplotlib.pyplot.close(fig)
    assert {"организация", "место", "отличается от среднего по области"} <= set(localise(study.ranking, "ru").columns)
