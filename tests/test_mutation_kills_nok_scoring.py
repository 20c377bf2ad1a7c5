"""Tests written to kill meaningful surviving mutants of ``benchmarks/mutation.py nok_scoring``
(docs/mutation/nok_scoring.md): the НОК formulas of :mod:`helpers.studies.nok.scoring` (Order 344n of 31.05.2018;
../shared/NOK.md), each value computed by hand from the formula - shares 100·S/U, points capped at 100, the
weighted criterion with the weights of undefined indicators rescaled, the total as the mean of K1-K5, rounding
half up to two decimals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.studies.nok.scoring import (
    answer_codes,
    checklist_indicator,
    criterion_score,
    official_round,
    region_scores,
    respondent_count_matrix,
    score_organisations,
    survey_counts,
    survey_indicator,
    total_score,
)

Q = [f"q{i:02d}" for i in range(1, 16)]


def test_official_round_half_up_of_arrays_and_other_decimals():
    """Half up (not to even): 0.125 -> 0.13, 2.5 -> 3; the 1e-9 guard only absorbs float noise."""
    out = official_round(np.array([0.125, 92.4249, 2.675, 99.995]))
    assert isinstance(out, np.ndarray) and out.tolist() == [0.13, 92.42, 2.68, 100.0]
    assert official_round(2.5, 0) == 3.0 and official_round(92.45, 1) == 92.5 and official_round(92.44999, 1) == 92.4
    assert official_round(78.0849999) == 78.08 and isinstance(official_round(1.005), float)


def test_answer_codes_of_numbers_booleans_and_blanks():
    s = pd.Series([1.0, 0.0, np.True_, np.False_, "", " ", "нет", "ДА", pd.NA, np.int64(1)], name="q05")
    np.testing.assert_array_equal(answer_codes(s), [1, 0, 1, 0, np.nan, np.nan, 0, 1, np.nan, 1])
    with pytest.raises(ValueError, match=r"unknown answer 2 in column 'q07': expected 1/0, yes/no or да/нет"):
        answer_codes(pd.Series([1, 2], name="q07"))


def _resp() -> pd.DataFrame:
    """Organisation X: 4 respondents; q01 yes for 3 (q02 yes for 2), q03 yes for 1 (q04 no), q07 no for all."""
    d = pd.DataFrame({"organisation_id": "X", **{q: [1, 1, 1, 1] for q in Q}})
    d["q01"], d["q02"] = [1, 1, 1, 0], [1, 1, 0, pd.NA]
    d["q03"], d["q04"] = [1, 0, 0, 0], [0, pd.NA, pd.NA, pd.NA]
    d["q07"], d["q08"] = 0, pd.NA
    d["q05"] = [1, 0, 0, 1]
    return d


def test_count_matrix_and_counts_per_organisation_by_hand():
    m = respondent_count_matrix(_resp().set_axis([10, 11, 12, 13]))
    assert m.index.tolist() == [10, 11, 12, 13]  # one row per respondent, aligned with the input
    assert (m.drop(columns="organisation_id").dtypes == "int64").all()  # whole counts
    assert m["n"].tolist() == [1, 1, 1, 1]
    assert m["i1_3_u1"].tolist() == [1, 1, 1, 0] and m["i1_3_s1"].tolist() == [1, 1, 0, 0]
    assert m["i1_3_u2"].tolist() == [1, 0, 0, 0] and m["i1_3_s2"].tolist() == [0, 0, 0, 0]
    assert m["i2_2_u1"].tolist() == [1, 1, 1, 1] and m["i2_2_s1"].tolist() == [1, 0, 0, 1]
    assert m["i3_3_u1"].sum() == 0 and m["i3_3_s1"].sum() == 0
    c = survey_counts(_resp(), ["Y", "X"])
    assert c.index.tolist() == ["Y", "X"] and c.loc["Y"].sum() == 0  # no respondents: zero counts
    assert c.index.name == "organisation_id" and c.dtypes.eq("int64").all()
    assert c.loc["X", "n"] == 4 and c.loc["X", "i1_3_u1"] == 3 and c.loc["X", "i1_3_s1"] == 2


def test_scores_and_reasons_by_hand_with_an_organisation_without_respondents():
    orgs = pd.DataFrame({"organisation_id": [7, 8], "name": ["Seven", "Eight"], "kind": ["home", "centre"],
                         "info_stand_required": [4, 2], "info_stand_present": [3, 2],
                         "info_site_required": [5, 10], "info_site_present": [5, 5], "remote_channels": [1, 9],
                         "comfort_conditions": [2, 9], "premises_conditions": [6, 0], "services_conditions": [3, 1]})
    s = score_organisations(_resp().assign(organisation_id=7), orgs).set_index("organisation_id")
    assert s.index.tolist() == ["7", "8"] and s.loc["7", "name"] == "Seven" and s.loc["8", "kind"] == "centre"
    assert s.loc["7", "respondents"] == 4 and s.loc["8", "respondents"] == 0
    # checklist: i1_1 = 0.5 (3/4 + 5/5) 100, i1_2 = min(100, 30·1), i2_1 = 20·2, i3_1 = min(100, 20·6), i3_2 = 60
    assert s.loc["7", "i1_1"] == pytest.approx(87.5) and s.loc["7", "i1_2"] == 30 and s.loc["7", "i2_1"] == 40
    assert s.loc["7", "i3_1"] == 100 and s.loc["7", "i3_2"] == 60 and s.loc["8", "i1_2"] == 100
    # survey: i1_3 = mean(100·2/3, 100·0/1) = 100/3; i2_2 = 50; i3_3 undefined (no q07 = yes)
    assert s.loc["7", "i1_3"] == pytest.approx(100 / 3) and s.loc["7", "i2_2"] == 50 and np.isnan(s.loc["7", "i3_3"])
    k1 = 0.3 * 87.5 + 0.3 * 30 + 0.4 * 100 / 3
    k2 = 0.3 * 40 + 0.4 * 50 + 0.3 * 100
    k3 = (0.3 * 100 + 0.4 * 60) / 0.7
    assert s.loc["7", "K1"] == pytest.approx(k1) and s.loc["7", "K2"] == pytest.approx(k2)
    assert s.loc["7", "K3"] == pytest.approx(k3) and s.loc["7", "K4"] == 100 and s.loc["7", "K5"] == 100
    assert s.loc["7", "total"] == pytest.approx((k1 + k2 + k3 + 200) / 5)
    assert s.loc["7", "reason"] == ("i3_3: share q08 undefined (no respondents with q07 = yes); "
                                    "i3_3 undefined: K3 = weighted mean of i3_1, i3_2 (weights rescaled to 1)")
    r8 = s.loc["8", "reason"]
    assert r8.startswith("i1_3: share q02 undefined (no respondents with q01 = yes); the indicator is the mean of "
                         "its defined shares; i1_3: share q04 undefined (no respondents with q03 = yes); the indicator")
    assert "i2_2: share q05 undefined (no respondents); " in r8
    assert "i4_1, i4_2, i4_3 undefined: K4 undefined, total undefined" in r8
    assert np.isnan(s.loc["8", "total"]) and s.loc["8", "K1"] == pytest.approx((0.3 * 75 + 0.3 * 100) / 0.6)


def test_the_formulas_broadcast_over_replicates():
    """The bootstrap passes (replicates x organisations) arrays: every formula works elementwise on them."""
    counts = {"i1_3_s1": np.array([[9, 0], [5, 2]]), "i1_3_u1": np.array([[10, 0], [10, 4]]),
              "i1_3_s2": np.array([[3, 1], [0, 0]]), "i1_3_u2": np.array([[4, 2], [0, 0]])}
    out = survey_indicator(counts, "i1_3")
    np.testing.assert_allclose(out, [[82.5, 50.0], [50.0, 50.0]])
    # the Bayesian bootstrap weighs respondents: a denominator below one respondent is still a denominator
    frac = survey_indicator({"i2_2_s1": np.array([0.3, 0.45]), "i2_2_u1": np.array([0.6, 0.5])}, "i2_2")
    np.testing.assert_allclose(frac, [50.0, 90.0])
    both_undefined = survey_indicator({k: np.zeros(2) for k in counts}, "i1_3")
    assert np.isnan(both_undefined).all()
    ind = {"i3_1": np.array([[60.0, 100.0]]), "i3_2": np.array([[80.0], [40.0]]),
           "i3_3": np.array([[np.nan, 50.0]])}
    np.testing.assert_allclose(criterion_score(ind, "K3"), [[(18 + 32) / 0.7, 30 + 32 + 15],
                                                           [(18 + 16) / 0.7, 30 + 16 + 15]])
    assert np.isnan(criterion_score({"i3_1": [np.nan], "i3_2": [np.nan], "i3_3": [np.nan]}, "K3")).all()
    crit = {"K1": [[100.0, 50.0]], "K2": [[90.0, 50.0]], "K3": [[80.0, np.nan]], "K4": [[100.0, 50.0]],
            "K5": [[95.0, 50.0]]}
    out = total_score(crit)
    assert out.shape == (1, 2) and out[0, 0] == pytest.approx(93.0) and np.isnan(out[0, 1])


def test_checklist_indicator_caps_points_and_averages_the_information_shares():
    org = {"info_stand_required": [4, 10], "info_stand_present": [1, 10], "info_site_required": [2, 10],
           "info_site_present": [2, 5], "remote_channels": [0, 3], "comfort_conditions": [6, 4]}
    np.testing.assert_allclose(checklist_indicator(org, "i1_1"), [62.5, 75.0])
    np.testing.assert_allclose(checklist_indicator(org, "i1_2"), [0.0, 90.0])
    np.testing.assert_allclose(checklist_indicator(org, "i2_1"), [100.0, 80.0])


def test_region_scores_leave_out_undefined_values_and_the_text_columns():
    s = pd.DataFrame({"organisation_id": ["A", "B", "C"], "name": ["a", "b", "c"], "kind": "home",
                      "respondents": [10, 0, 5], "K1": [90.0, 70.0, 80.0], "total": [92.0, np.nan, 88.0],
                      "reason": ["", "x", ""]})
    r = region_scores(s)
    assert list(r.columns) == ["organisations", "respondents", "K1", "total"]
    assert r.iloc[0].tolist() == [3, 15, 80.0, 90.0]


def custom_codebook():
    """The shipped codebook with four changes a caller's codebook could make: 25 points a remote channel (not 30),
    i2_2 on question q06 (not q05), K2's weights 0.2 / 0.4 / 0.4 (not 0.3 / 0.4 / 0.3), and "ага" meaning yes."""
    import copy

    from helpers.studies.nok.codebook import NokCodebook, load_nok_codebook

    raw = copy.deepcopy(load_nok_codebook().raw)
    raw["indicators"]["i1_2"]["points"] = 25
    raw["indicators"]["i2_2"]["parts"] = [{"numerator": "q06", "denominator": "all"}]
    raw["indicators"]["i2_1"]["weight"], raw["indicators"]["i2_3"]["weight"] = 0.2, 0.4
    raw["answers"][1]["aliases"] = [*raw["answers"][1]["aliases"], "ага"]
    return NokCodebook(raw)


def test_a_given_codebook_is_used_by_every_step():
    """Organisation 7 of _resp() scored with the changed codebook: i1_2 = 25·1, i2_2 = 100·4/4 (q06),
    K2 = 0.2·40 + 0.4·100 + 0.4·100; "ага" is read as yes."""
    cb = custom_codebook()
    orgs = pd.DataFrame({"organisation_id": ["7"], "info_stand_required": [4], "info_stand_present": [3],
                         "info_site_required": [5], "info_site_present": [5], "remote_channels": [1],
                         "comfort_conditions": [2], "premises_conditions": [6], "services_conditions": [3]})
    resp = _resp().assign(organisation_id="7", q06=["ага", "1", "да", "yes"])
    s = score_organisations(resp, orgs, cb).iloc[0]
    assert s["i1_2"] == 25 and s["i2_2"] == 100 and s["K2"] == pytest.approx(0.2 * 40 + 0.4 * 100 + 0.4 * 100)
    assert answer_codes(pd.Series(["ага"]), cb).tolist() == [1.0]
    assert respondent_count_matrix(resp, cb)["i2_2_s1"].tolist() == [1, 1, 1, 1]
    assert survey_counts(resp, ["7"], cb).loc["7", "i2_2_s1"] == 4
    assert checklist_indicator({"remote_channels": [2]}, "i1_2", cb).tolist() == [50.0]
    assert survey_indicator({"i2_2_s1": [3], "i2_2_u1": [4]}, "i2_2", cb).tolist() == [75.0]
    assert criterion_score({"i2_1": [40.0], "i2_2": [100.0], "i2_3": [100.0]}, "K2", cb).tolist() == [88.0]


def test_unknown_organisations_are_named_five_at_most():
    orgs = pd.DataFrame({"organisation_id": ["7"], "info_stand_required": [4], "info_stand_present": [3],
                         "info_site_required": [5], "info_site_present": [5], "remote_channels": [1],
                         "comfort_conditions": [2], "premises_conditions": [6], "services_conditions": [3]})
    resp = pd.concat([_resp().assign(organisation_id=o) for o in "ABCDEF"], ignore_index=True)
    with pytest.raises(ValueError, match=r"missing from the checklist: \['A', 'B', 'C', 'D', 'E'\]$"):
        score_organisations(resp, orgs)
