"""The official НОК calculation against hand-computed examples built from NOK.md (to 1e-9).

The files in ``tests/data/nok`` hold four organisations:

A (10 respondents, Russian labels; stands 15/18, site 30/40, 2 channels, 3 comfort, 1 premises,
  6 services conditions):
  i1_1 = 0.5(15/18 + 30/40)100 = 950/12;  i1_2 = 60;  i1_3 = 0.5(5/6 + 3/4)100 = 950/12
  i2_1 = 60;  i2_2 = 90;  i2_3 = 80;  i3_1 = 20;  i3_2 = min(100, 120) = 100;  i3_3 = 2/3·100
  i4_1 = 100; i4_2 = 90; i4_3 = 4/5·100 = 80;  i5_1 = 90;  i5_2 = 70;  i5_3 = 80
  K1 = 0.7·950/12 + 18 = 881/12;  K2 = 18 + 36 + 24 = 78;  K3 = 6 + 40 + 20 = 66
  K4 = 40 + 36 + 16 = 92;  K5 = 27 + 14 + 40 = 81;  total = (881/12 + 317)/5 = 4685/60
B (4 respondents, English labels; full checklist): nobody used the stands (i1_3 = the site share
  only, 1/2 → 50), nobody has a disability (i3_3 undefined → K3 = (0.3·100 + 0.4·100)/0.7 = 100),
  nobody used remote contact (i4_3 undefined → K4 = (0.4·100 + 0.4·75)/0.8 = 87.5);
  K1 = 30 + 30 + 20 = 80;  total = (80 + 100 + 100 + 87.5 + 100)/5 = 93.5
C (2 respondents, codes; stands and site complete, nothing else): i1_3 undefined → K1 = (0.3·100 +
  0.3·0)/0.6 = 50;  K2 = 0.4·50 = 20;  K3 = 0;  K4 = 100 (i4_3 undefined);  K5 = 0;  total = 34
D (no respondent; stands 9/10, site 20/20, 5 channels): i1_1 = 95, K1 = (0.3·95 + 0.3·100)/0.6 = 97.5;
  every survey indicator undefined; K4 and K5 undefined → total undefined.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.studies.nok.codebook import load_nok_codebook
from helpers.studies.nok.ingest import ingest_nok
from helpers.studies.nok.scoring import official_round, region_scores, score_organisations

DATA = Path(__file__).parent / "data" / "nok"

EXPECTED = {
    "A": {"i1_1": 950 / 12, "i1_2": 60, "i1_3": 950 / 12, "i2_1": 60, "i2_2": 90, "i2_3": 80, "i3_1": 20,
          "i3_2": 100, "i3_3": 200 / 3, "i4_1": 100, "i4_2": 90, "i4_3": 80, "i5_1": 90, "i5_2": 70, "i5_3": 80,
          "K1": 881 / 12, "K2": 78, "K3": 66, "K4": 92, "K5": 81, "total": 4685 / 60},
    "B": {"i1_1": 100, "i1_2": 100, "i1_3": 50, "i3_3": np.nan, "i4_2": 75, "i4_3": np.nan,
          "K1": 80, "K2": 100, "K3": 100, "K4": 87.5, "K5": 100, "total": 93.5},
    "C": {"i1_1": 100, "i1_2": 0, "i1_3": np.nan, "i2_2": 50, "i3_3": 0, "i4_3": np.nan,
          "K1": 50, "K2": 20, "K3": 0, "K4": 100, "K5": 0, "total": 34},
    "D": {"i1_1": 95, "i2_2": np.nan, "K1": 97.5, "K4": np.nan, "K5": np.nan, "total": np.nan},
}


@pytest.fixture(scope="module")
def scores():
    data = ingest_nok(DATA, 2021)
    assert len(data.quarantine) == 0
    return score_organisations(data.respondents, data.organisations).set_index("organisation_id")


@pytest.mark.parametrize("org", sorted(EXPECTED))
def test_hand_computed_scores(scores, org):
    for col, value in EXPECTED[org].items():
        got = scores.loc[org, col]
        if np.isnan(value):
            assert np.isnan(got), f"{org} {col}: expected undefined, got {got}"
        else:
            assert got == pytest.approx(value, abs=1e-9), f"{org} {col}"


def test_columns_and_order_of_the_public_api(scores):
    cb = load_nok_codebook()
    expected = ["i1_1", "i1_2", "i1_3", "i2_1", "i2_2", "i2_3", "i3_1", "i3_2", "i3_3",
                "i4_1", "i4_2", "i4_3", "i5_1", "i5_2", "i5_3", "K1", "K2", "K3", "K4", "K5", "total"]
    assert cb.indicator_codes == expected[:15]
    assert [c for c in scores.columns if c in expected] == expected
    assert scores.index.tolist() == ["A", "B", "C", "D"]
    assert scores["respondents"].tolist() == [10, 4, 2, 0]


def test_weights_of_every_criterion_sum_to_one():
    cb = load_nok_codebook()
    for k in ("K1", "K2", "K3", "K4", "K5"):
        assert sum(cb.weight(i) for i in cb.indicators_of(k)) == pytest.approx(1.0, abs=1e-12)


def test_zero_denominator_rule_is_stated_in_reason(scores):
    assert scores.loc["A", "reason"] == ""
    b = scores.loc["B", "reason"]
    assert "i1_3: share q02 undefined (no respondents with q01 = yes)" in b
    assert "i3_3 undefined: K3 = weighted mean of i3_1, i3_2 (weights rescaled to 1)" in b
    assert "i4_3 undefined: K4 = weighted mean of i4_1, i4_2" in b
    assert "K4 undefined, total undefined" in scores.loc["D", "reason"]


def test_denominators_follow_the_skip_logic_in_one_place():
    cb = load_nok_codebook()
    from helpers.narrative.nok import denominator_text

    dens = {i: denominator_text(cb, i, "en") for i in cb.survey_indicators}
    assert dens == {"i1_3": "q01 = yes; q03 = yes", "i2_2": "all respondents", "i2_3": "all respondents",
                    "i3_3": "q07 = yes", "i4_1": "all respondents", "i4_2": "all respondents",
                    "i4_3": "q11 = yes", "i5_1": "all respondents", "i5_2": "all respondents",
                    "i5_3": "all respondents"}
    assert cb.filtered == {"q02": "q01", "q04": "q03", "q08": "q07", "q12": "q11"}


def test_unrounded_and_official_rounding(scores):
    assert scores.loc["A", "total"] == pytest.approx(78.08333333333333, abs=1e-12)
    assert official_round(scores.loc["A", "total"]) == 78.08
    assert official_round(92.415) == 92.42 and official_round(92.41499) == 92.41


def test_region_is_the_mean_of_organisations(scores):
    region = region_scores(scores.reset_index())
    assert region["organisations"].item() == 4 and region["respondents"].item() == 16
    assert region["total"].item() == pytest.approx((4685 / 60 + 93.5 + 34) / 3, abs=1e-9)
    assert region["K1"].item() == pytest.approx((881 / 12 + 80 + 50 + 97.5) / 4, abs=1e-9)


def test_respondents_of_an_unknown_organisation_are_refused():
    orgs = pd.DataFrame({"organisation_id": ["A"], "info_stand_required": [1], "info_stand_present": [1],
                         "info_site_required": [1], "info_site_present": [1], "remote_channels": [4],
                         "comfort_conditions": [5], "premises_conditions": [5], "services_conditions": [5]})
    resp = pd.DataFrame({"organisation_id": ["Z"], **{f"q{i:02d}": [1] for i in range(1, 16)}})
    with pytest.raises(ValueError, match="missing from the checklist"):
        score_organisations(resp, orgs)


def test_public_api_is_exported_lazily():
    import subprocess
    import sys

    import helpers
    from helpers.stats.funnel import funnel_limits

    assert helpers.score_organisations is score_organisations and helpers.funnel_limits is funnel_limits
    code = "import sys, helpers; print('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_labels_and_codes_score_alike_and_unknown_labels_are_refused(scores):
    raw = pd.read_csv(DATA / "nok_respondents_2021.csv", dtype=str, keep_default_na=False)
    orgs = pd.read_csv(DATA / "nok_organisations_2021.csv")
    from_labels = score_organisations(raw, orgs).set_index("organisation_id")
    pd.testing.assert_series_equal(from_labels["total"], scores["total"])
    raw.loc[0, "q05"] = "возможно"
    with pytest.raises(ValueError, match="unknown answer 'возможно' in column 'q05'"):
        score_organisations(raw, orgs)
