"""Quarantine and scoring reasons in the report's language.

Ingestion (``helpers.io.ingest``, the НОК and register ingesters) writes each quarantined row's reason into
the data as a short English sentence with the offending value quoted (``"duplicate interview id 'I0007'"``);
that text stays in the data, as the contract's record. For a report, :func:`reason_text` recognises the
sentence by its pattern (:data:`PATTERNS`, one per reason code), and words it from the catalogue
(``messages/<lang>/reasons.yaml``, key = the reason code), values and codes kept as they are. Several reasons
of one row are joined by ``"; "``. A reason no pattern knows is returned unchanged (the language scan of the
reports then shows it, so a new reason cannot slip into a Russian report unnoticed).

>>> reason_text("duplicate interview id 'I0007'", "ru")
'повторяющийся номер интервью «I0007»'
>>> reason_text("missing value; end is not after start", "ru")
'значение не заполнено; окончание не позже начала'
>>> reason_text("overlaps visit 'V05330' of the same assistant", "en")
"overlaps visit 'V05330' of the same assistant"
>>> reason_code("date 2020-12-31 outside survey year 2021")
'date_outside_year'

The Mystery Guest ingester names the columns of each problem in brackets after it
(``"missing value [date, stratum]"``); the brackets are not part of the pattern, and a problem of several
columns says how many:

>>> reason_code("duplicate interview id '2021-00006' [interview_id]")
'duplicate_interview'
>>> reason_text("missing value [date, stratum]; duplicate interview id 'I7' [interview_id]", "ru")
'значение не заполнено (столбцов: 2); повторяющийся номер интервью «I7»'
"""

from __future__ import annotations

import re

import pandas as pd

from helpers.narrative.catalogue import label, text

__all__ = ["PATTERNS", "indicator_number", "localise_quarantine", "reason_code", "reason_text"]

_V = r"'(?P<value>.*?)'"  # a value quoted by the ingester
#: reason code -> the English sentence the ingesters write (named groups are the message's placeholders)
PATTERNS: dict[str, str] = {
    "missing_value": r"missing value",
    "duplicate_interview": rf"duplicate interview id {_V}",
    "duplicate_id": rf"duplicate id {_V}",
    "duplicate_named_id": rf"duplicate (?P<what>\w+) id {_V}",
    "unknown_answer": rf"unknown answer label {_V}(?: \(expected yes/no, да/нет or 1/0\))?",
    "out_of_range_code": rf"out-of-range code {_V} \(expected (?P<expected>.*)\)",
    "unknown_value_expected": rf"unknown value {_V} \(expected one of (?P<expected>.*)\)",
    "unknown_value": rf"unknown value {_V}",
    "unknown_kind": rf"unknown kind {_V} \(expected one of .*\)",
    "unknown_code": rf"unknown (?P<column>\w+) {_V} \(expected one of (?P<expected>.*)\)",
    "unparseable_date": rf"unparseable date {_V} \(expected DD\.MM\.YYYY or YYYY-MM-DD\)",
    "not_a_date": rf"{_V} is not a date \(DD\.MM\.YYYY or YYYY-MM-DD\)",
    "not_a_time": rf"{_V} is not a time \(HH:MM\)",
    "not_a_count": rf"{_V} is not a whole number ≥ 0",
    "not_a_whole_number": rf"{_V} is not a whole number",
    "date_outside_year": r"date (?P<value>\S+) outside survey year (?P<year>\d{4})",
    "outside_register_year": r"(?P<column>\w+) (?P<value>\S+) outside the year (?P<year>\d{4})",
    "personal_data_in_id": r"personal data \(phone, e-mail or name\) in an id column",
    "missing_from_roster": rf"(?P<column>\w+) {_V} missing from (?P<roster>\w+)_(?P<year>\d{{4}}) roster",
    "contradicts_roster": rf"(?P<column>\w+) {_V} contradicts the (?P<roster>\w+)_(?P<year>\d{{4}}) roster, where "
                          rf"(?P<key_column>\w+) '(?P<key_value>.*?)' is '(?P<roster_value>.*?)'",
    "item_not_asked": r"answer to an item not asked in (?P<year>\d{4})",
    "pair_more_than_two": r"pair id on more than two interviews",
    "pair_same_role": r"pair id on two interviews of the same interviewer role",
    "pair_different_recipients": r"pair id links interviews of different recipients",
    "worker_code": r"worker_id must be a worker code such as W01, not a name or text",
    "decision_without_date": r"a decision is recorded without its date",
    "box_opened_twice": r"the same box is recorded as opened twice on this date",
    "registered_after_year": r"registered after the year (?P<year>\d{4}) of the register",
    "contact_not_email": r"contact is not an e-mail address although the channel is e-mail",
    "contact_not_phone": r"contact is not a phone number although the channel is WhatsApp",
    "user_listed_twice": r"the same user is listed twice in one mailing",
    "user_unknown": r"user missing from the user register \(or quarantined there\)",
    "mailing_before_registration": r"mailing dated before the user registered",
    "mailing_after_leaving": r"mailing dated after the user left",
    "resolved_without_date": r"outcome is resolved but resolved_date is blank",
    "resolved_before_contact": r"resolved_date before the contact date",
    "written_after_collection": r"written after the box was opened \(collected\)",
    "decision_before_collection": r"decision_date before the box was opened \(collected\)",
    "left_before_registered": r"left before registered",
    "end_not_after_start": r"end is not after start",
    "visit_too_long": r"impossible visit: longer than (?P<hours>[\d.]+) hours",
    "visit_outside_hours": r"visit outside (?P<start>\d\d:\d\d)-(?P<end>\d\d:\d\d)",
    "visit_overlap": rf"overlaps visit {_V} of the same assistant",
    "user_needed": r"a new user or a termination needs the user_id",
    "assistant_needed": r"a vacancy or a hire needs the assistant_id",
    "termination_reason_needed": r"a termination needs its reason",
    "checklist_exceeds": r"(?P<column>\w+) (?P<value>\S+) exceeds (?P<limit_column>\w+) (?P<limit>\S+)",
    "below_minimum": r"(?P<column>\w+) (?P<value>\S+) is below (?P<limit>\S+)",
    "exceeds_list": r"(?P<column>\w+) (?P<value>\S+) exceeds the (?P<limit>\S+) items of the list",
    "blank_answer_asked": r"blank answer: every respondent is asked (?P<question>\w+)",
    "answer_although_skipped": r"answer to (?P<question>\w+) although (?P<filter>\w+) = no: the filter skips \w+",
    "blank_although_asked": r"blank answer to (?P<question>\w+) although (?P<filter>\w+) = yes: the filter asks \w+",
    "age_out_of_range": rf"age {_V} is not a whole number from (?P<low>\d+) to (?P<high>\d+)",
    "organisation_unknown": rf"organisation {_V} missing from (?P<file>\S+) \(or quarantined there\)",
    # the НОК zero-denominator rule (helpers.studies.nok.scoring): written in the scores' reason column
    "share_undefined": r"(?P<indicator>\w+): share (?P<question>\w+) undefined \(no (?P<who>.*?)\)",
    "mean_of_defined": r"the indicator is the mean of its defined shares",
    "indicator_undefined": r"(?P<indicators>[\w, ]+) undefined: (?P<rule>.*)",
}
_COMPILED = {code: re.compile(rf"^{p}$", re.S) for code, p in PATTERNS.items()}
_WORDED = {"column", "key_column", "limit_column", "what"}  # placeholders holding a column code: worded as a table header


_COLUMNS = re.compile(r"^(?P<body>.*) \[(?P<columns>\w+(?:, \w+)*)\]$", re.S)


def _without_columns(reason: str) -> tuple[str, list[str]]:
    """A reason without the bracketed columns the ingester names after it, and those columns."""
    m = _COLUMNS.match(reason.strip())
    return (m["body"], m["columns"].split(", ")) if m else (reason.strip(), [])


def reason_code(reason: str) -> str | None:
    """The code of one English reason sentence (``None`` when no pattern knows it)."""
    reason = _without_columns(reason)[0]
    for code, pattern in _COMPILED.items():
        if pattern.match(reason):
            return code
    return None


def _one(reason: str, lang: str) -> str:
    body, columns = _without_columns(reason)
    worded = _worded(body, lang)
    if worded is None:  # a reason no pattern knows stays as written, brackets and all
        return reason.strip()
    return text("reasons.in_columns", lang, reason=worded, n=len(columns)) if len(columns) > 1 else worded


def _worded(reason: str, lang: str) -> str | None:
    for code, pattern in _COMPILED.items():
        m = pattern.match(reason)
        if m is None:
            continue
        values = {k: (v or "") for k, v in m.groupdict().items()}
        for k in _WORDED & values.keys():
            values[k] = _column(values[k], lang)
        for k in {"value", "roster_value"} & values.keys():
            values[k] = _value(values[k], lang)
        if "expected" in values:
            values["expected"] = ", ".join(_value(v.strip(" '[]"), lang) for v in values["expected"].split(","))
        for k in {"indicator", "indicators"} & values.keys():
            values[k] = indicator_number(values[k])
        if code == "share_undefined":
            values["who"] = _who(values["who"], lang)
        if code == "indicator_undefined":
            values["rule"] = _rule(values["rule"], lang)
        return text(f"reasons.{code}", lang, **values)
    return None


def reason_text(reason: object, lang: str) -> object:
    """One cell of a ``reason`` column in ``lang`` (several reasons joined by ``"; "``); non-text unchanged."""
    if not isinstance(reason, str) or not reason.strip():
        return reason
    parts = reason.split("; ")
    return "; ".join(_one(p, lang) for p in parts)


def indicator_number(codes: str) -> str:
    """НОК indicator codes as the official numbering reviewers know (``i3_3`` -> ``3.3``).

    >>> indicator_number("i3_1, i3_2")
    '3.1, 3.2'
    """
    return re.sub(r"\bi(\d)_(\d)\b", r"\1.\2", codes)


def _column(code: str, lang: str) -> str:
    """A column code as a table header; an unknown one loses its underscores in English (a code stays a code
    in Russian)."""
    for area in ("headers", "values"):
        found = label(area, code, lang)
        if found != code:
            return str(found)
    return code.replace("_", " ") if lang == "en" else code


def _value(value: str, lang: str) -> str:
    """A coded value in words when the catalogue knows it (``social_worker`` -> ``социальный работник``)."""
    return str(label("values", value, lang)) if value and "." not in value else value


def _who(who: str, lang: str) -> str:
    m = re.fullmatch(r"respondents with (?P<question>\w+) = yes", who)
    if m:
        return text("reasons.who_yes", lang, question=m["question"])
    return text("reasons.who_all", lang) if who == "respondents" else who


def _rule(rule: str, lang: str) -> str:
    m = re.fullmatch(r"(?P<criterion>\w+) = weighted mean of (?P<indicators>[\w, ]+) \(weights rescaled to 1\)", rule)
    if m:
        return text("reasons.rule_rescaled", lang, criterion=label("values", m["criterion"], lang),
                    indicators=indicator_number(m["indicators"]))
    m = re.fullmatch(r"(?P<criterion>\w+) undefined, total undefined", rule)
    if m:
        return text("reasons.rule_total_undefined", lang, criterion=label("values", m["criterion"], lang))
    return rule


def localise_quarantine(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A quarantine (or scores) table for display: its ``reason`` column worded in ``lang``, its ``column``
    column as table headers; the stored table is not changed. The ``columns`` list of the ingesters (every
    column at fault) is left out of the display: each worded reason says how many columns it concerns.

    >>> q = pd.DataFrame({"file": ["f"], "row": [2], "column": ["age"], "columns": ["age, sex"],
    ...                   "reason": ["missing value [age, sex]"]})
    >>> localise_quarantine(q, "ru")[["column", "reason"]].to_numpy().tolist()[0][1]
    'значение не заполнено (столбцов: 2)'
    >>> "columns" in localise_quarantine(q, "en")
    False
    """
    out = table.drop(columns=["columns"], errors="ignore")
    if "reason" in out:
        out["reason"] = out["reason"].map(lambda r: reason_text(r, lang))
    if "column" in out:
        out["column"] = out["column"].map(lambda c: _column(c, lang) if isinstance(c, str) else c)
    return out
