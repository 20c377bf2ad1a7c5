"""НОК demo data: the published Kaluga 2021 span, the kinds of organisation, a clean round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers.studies.nok.demo import make_nok_demo, write_nok_demo
from helpers.studies.nok.ingest import ingest_nok
from helpers.studies.nok.scoring import official_round, score_organisations


@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("nok_demo")
    write_nok_demo(root / "raw", truth_path=root / "truth.json")
    return root


def test_rounded_totals_span_exactly_the_published_range(demo_raw):
    data = ingest_nok(demo_raw / "raw", 2021)
    scores = score_organisations(data.respondents, data.organisations)
    totals = official_round(scores["total"].to_numpy())
    assert len(scores) == 17
    assert totals.min() == 92.42 and totals.max() == 100.0
    assert ((totals >= 92.42) & (totals <= 100.0)).all()


def test_kinds_of_the_kaluga_organisations(demo_raw):
    kinds = ingest_nok(demo_raw / "raw", 2021).organisations["kind"].value_counts().to_dict()
    assert kinds == {"residential_home": 9, "psychoneurological_home": 4, "rehabilitation_centre": 1,
                     "homeless_centre": 1, "children_home": 1, "family_support_centre": 1}


def test_demo_ingests_without_quarantine_and_realistic_sizes(demo_raw):
    data = ingest_nok(demo_raw / "raw", 2021)
    assert len(data.quarantine) == 0
    n = data.respondents.groupby("organisation_id").size()
    assert n.min() >= 40 and n.max() <= 300


def test_deterministic_and_truth_written(demo_raw):
    demo = make_nok_demo()
    pd.testing.assert_frame_equal(demo.respondents, pd.read_csv(demo_raw / "raw" / "nok_respondents_2021.csv",
                                                                dtype=str, keep_default_na=False))
    truth = pd.DataFrame(json.loads((demo_raw / "truth.json").read_text(encoding="utf-8")))
    assert len(truth) == 17 and {"total", "K3", "p_q15"} <= set(truth.columns)
    # the planted truth is near the observed scores (sampling error only)
    assert np.abs(demo.truth["total"] - demo.scores["total"]).max() < 2.0
    # the best organisation has no respondent with a disability: i3_3 undefined by the rule
    best = demo.scores.set_index("organisation_id").loc["ORG17"]
    assert np.isnan(best["i3_3"]) and best["total"] == 100.0
