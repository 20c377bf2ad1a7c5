"""Quarantine reasons in the report's language (helpers.narrative.reasons): every reason the ingesters write
is recognised and worded in Russian without English words; the stored reason stays as written."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.narrative.language import code_names, latin_words
from helpers.narrative.reasons import PATTERNS, localise_quarantine, reason_code, reason_text

#: one reason per code, as the ingesters (io.ingest, studies.registers.ingest, studies.nok.ingest/scoring) write it
EXAMPLES = {
    "missing_value": "missing value",
    "duplicate_interview": "duplicate interview id 'I0007'",
    "duplicate_id": "duplicate id 'A12'",
    "duplicate_named_id": "duplicate organisation id 'ORG01'",
    "unknown_answer": "unknown answer label 'может быть'",
    "out_of_range_code": "out-of-range code '7' (expected [1, 2, 3, 4, 5])",
    "unknown_value_expected": "unknown value 'сосед' (expected one of ['social_worker', 'volunteer'])",
    "unknown_value": "unknown value 'ж'",
    "unknown_kind": "unknown kind 'школа' (expected one of ['boarding_home'])",
    "unknown_code": "unknown channel 'факс' (expected one of email, whatsapp)",
    "unparseable_date": "unparseable date '31.02.2021' (expected DD.MM.YYYY or YYYY-MM-DD)",
    "not_a_date": "'вчера' is not a date (DD.MM.YYYY or YYYY-MM-DD)",
    "not_a_time": "'25:00' is not a time (HH:MM)",
    "not_a_count": "'-1' is not a whole number ≥ 0",
    "not_a_whole_number": "'пять' is not a whole number",
    "date_outside_year": "date 2020-12-31 outside survey year 2021",
    "outside_register_year": "date 01.01.2022 outside the year 2021",
    "personal_data_in_id": "personal data (phone, e-mail or name) in an id column",
    "missing_from_roster": "worker 'W99' missing from workers_2021 roster",
    "contradicts_roster": "role 'social_worker' contradicts the interviewers_2020 roster, where interviewer_id 'I07' "
                          "is 'volunteer'",
    "item_not_asked": "answer to an item not asked in 2018",
    "pair_more_than_two": "pair id on more than two interviews",
    "pair_same_role": "pair id on two interviews of the same interviewer role",
    "pair_different_recipients": "pair id links interviews of different recipients",
    "worker_code": "worker_id must be a worker code such as W01, not a name or text",
    "decision_without_date": "a decision is recorded without its date",
    "box_opened_twice": "the same box is recorded as opened twice on this date",
    "registered_after_year": "registered after the year 2021 of the register",
    "contact_not_email": "contact is not an e-mail address although the channel is e-mail",
    "contact_not_phone": "contact is not a phone number although the channel is WhatsApp",
    "user_listed_twice": "the same user is listed twice in one mailing",
    "user_unknown": "user missing from the user register (or quarantined there)",
    "mailing_before_registration": "mailing dated before the user registered",
    "mailing_after_leaving": "mailing dated after the user left",
    "resolved_without_date": "outcome is resolved but resolved_date is blank",
    "resolved_before_contact": "resolved_date before the contact date",
    "written_after_collection": "written after the box was opened (collected)",
    "decision_before_collection": "decision_date before the box was opened (collected)",
    "left_before_registered": "left before registered",
    "end_not_after_start": "end is not after start",
    "visit_too_long": "impossible visit: longer than 8 hours",
    "visit_outside_hours": "visit outside 06:00-22:00",
    "visit_overlap": "overlaps visit 'V05330' of the same assistant",
    "user_needed": "a new user or a termination needs the user_id",
    "assistant_needed": "a vacancy or a hire needs the assistant_id",
    "termination_reason_needed": "a termination needs its reason",
    "checklist_exceeds": "info_present 40 exceeds info_required 36",
    "below_minimum": "info_required -1 is below 0",
    "exceeds_list": "comfort_present 7 exceeds the 5 items of the list",
    "blank_answer_asked": "blank answer: every respondent is asked q05",
    "answer_although_skipped": "answer to q08 although q07 = no: the filter skips q08",
    "blank_although_asked": "blank answer to q08 although q07 = yes: the filter asks q08",
    "age_out_of_range": "age '150' is not a whole number from 14 to 110",
    "organisation_unknown": "organisation 'ORG99' missing from nok_organisations_2021.csv (or quarantined there)",
    "share_undefined": "i3_3: share q08 undefined (no respondents with q07 = yes)",
    "mean_of_defined": "the indicator is the mean of its defined shares",
    "indicator_undefined": "i3_3 undefined: K3 = weighted mean of i3_1, i3_2 (weights rescaled to 1)",
}


def test_every_pattern_has_an_example_and_recognises_it():
    assert sorted(EXAMPLES) == sorted(PATTERNS)
    assert {code: reason_code(reason) for code, reason in EXAMPLES.items()} == {c: c for c in EXAMPLES}


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_reasons_are_worded_in_russian_without_english(code):
    worded = reason_text(EXAMPLES[code], "ru")
    assert worded != EXAMPLES[code]
    assert latin_words(worded) == [], worded


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_english_reasons_name_no_column_codes(code):
    worded = reason_text(EXAMPLES[code], "en")
    assert code_names(worded.replace("nok_organisations_2021.csv", "")) == [], worded


def test_joined_reasons_and_unknown_reasons():
    assert reason_text("missing value; end is not after start", "ru") == "значение не заполнено; окончание не позже начала"
    assert reason_text("a reason nobody wrote a pattern for", "ru") == "a reason nobody wrote a pattern for"
    q = pd.DataFrame({"file": ["a.csv"], "row": [2], "column": ["end"], "reason": ["end is not after start"]})
    shown = localise_quarantine(q, "ru")
    assert shown.loc[0, "column"] == "окончание" and shown.loc[0, "reason"] == "окончание не позже начала"
    assert q.loc[0, "reason"] == "end is not after start"  # the stored table is not changed


def test_every_reason_of_the_demo_data_is_worded(demo_result, demo_dirs):
    from helpers.studies.registers.ingest import ingest_register

    reasons = list(demo_result.quarantine["reason"])
    reasons += list(ingest_register(demo_dirs["raw"], "assistant", 2021).quarantine["reason"])
    assert reasons, "the demo data plant faults"
    unknown = [p for r in reasons for p in r.split("; ") if reason_code(p) is None]
    assert unknown == []
