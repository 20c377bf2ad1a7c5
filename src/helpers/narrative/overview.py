"""Sentences and reviewer tables of the data-overview report (wording in ``messages/<lang>/overview.yaml``).

The tables of :mod:`helpers.studies.mystery_guest.overview` carry codes (measure names, departments, item
codes, ingestion's reasons); the ``*_view`` functions put the reviewer's words in their place.
"""

from __future__ import annotations

import re

import pandas as pd

from helpers.io.codebook import Codebook, load_codebook
from helpers.narrative.catalogue import has, text

__all__ = ["column_label", "counts_view", "coverage_view", "mismatch_warning", "missing_view", "quarantine_reason",
           "quarantine_summary_view", "quarantine_view", "file_label", "workers_view"]


def _t(key: str, lang: str, **values) -> str:
    return text(f"overview.{key}", lang, **values)


def counts_view(counts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """:func:`counts_vs_published` with the measures in words."""
    return counts.assign(measure=counts["measure"].map(lambda m: _t(f"measures.{m}", lang)))


def mismatch_warning(counts: pd.DataFrame, lang: str) -> str:
    """A warning naming every count that differs from the published figure ("" when all match).

    >>> c = pd.DataFrame({"measure": ["recipients", "workers"], "match": pd.array([False, pd.NA], dtype="boolean")})
    >>> mismatch_warning(c, "ru")
    'Число отличается от опубликованного (1): получатели. Проверьте карантин ниже.'
    """
    bad = counts[counts["match"].eq(False).fillna(False).astype(bool)]
    if bad.empty:
        return ""
    return _t("mismatch", lang, n=len(bad), measures=", ".join(_t(f"measures.{m}", lang) for m in bad["measure"]))


def coverage_view(cov: pd.DataFrame, lang: str, codebook: Codebook | None = None) -> pd.DataFrame:
    """:func:`coverage` with departments (and strata named after a department) in words."""
    cb = codebook or load_codebook()
    deps = cb.vocabularies["department"]
    return cov.assign(department=cov["department"].map(lambda d: cb.vocabulary_label("department", d, lang)),
                      stratum=cov["stratum"].map(lambda s: cb.vocabulary_label("department", s, lang) if s in deps else s))


def workers_view(per_worker: pd.DataFrame, lang: str, codebook: Codebook | None = None) -> pd.DataFrame:
    cb = codebook or load_codebook()
    return per_worker.assign(department=per_worker["department"].map(
        lambda d: cb.vocabulary_label("department", d, lang) if isinstance(d, str) and d else d))


def missing_view(miss: pd.DataFrame, lang: str, codebook: Codebook | None = None) -> pd.DataFrame:
    """:func:`missing_rates` with the question text instead of the item code."""
    cb = codebook or load_codebook()
    out = miss.rename(columns={"item": "question"})
    out["question"] = out["question"].map(lambda i: cb.item_label(i, lang))
    return out


def file_label(name: str, lang: str) -> str:
    """A raw file's name in words (``interviews_2021.csv`` -> "interviews file of 2021 (CSV)").

    >>> file_label("interviews_2021.csv", "ru")
    'файл «интервью» за 2021 г. (CSV)'
    """
    m = re.fullmatch(r"(?P<kind>[a-z]+)_(?P<year>\d{4})\.(?P<ext>\w+)", str(name))
    if not m or not has(f"overview.file_kinds.{m['kind']}", lang):
        return str(name)
    return _t("file", lang, kind=_t(f"file_kinds.{m['kind']}", lang), year=m["year"], ext=m["ext"].upper())


def quarantine_summary_view(summary: pd.DataFrame, lang: str) -> pd.DataFrame:
    return summary.assign(file=summary["file"].map(lambda f: file_label(f, lang)))


def column_label(column: str, lang: str, codebook: Codebook | None = None) -> str:
    """A raw column in words: the question text of an item, the contract column's name otherwise."""
    cb = codebook or load_codebook()
    if column in cb.items:
        return cb.item_label(column, lang)
    key = f"overview.columns.{column}"
    return text(key, lang) if has(key, lang) else column


_REASONS = [
    (r"duplicate interview id (?P<v>'[^']*')", "duplicate"),
    (r"unknown answer label (?P<v>'[^']*')", "unknown_label"),
    (r"out-of-range code (?P<v>'[^']*') \(expected (?P<e>.*)\)", "out_of_range"),
    (r"unknown value (?P<v>'[^']*') \(expected one of (?P<e>.*)\)", "unknown_value"),
    (r"unparseable date (?P<v>'[^']*') \(expected .*\)", "unparseable_date"),
    (r"date (?P<v>\S+) outside survey year (?P<y>\d+)", "date_outside"),
    (r"(?P<what>worker|interviewer|stratum) (?P<v>'[^']*') missing from (?P<k>[a-z]+)_(?P<y>\d+) roster", "not_in_roster"),
    (r"(?P<what>role|department) '(?P<v>[^']*)' contradicts the (?P<k>[a-z]+)_(?P<y>\d+) roster, where \w+ "
     r"(?P<id>'[^']*') is '(?P<rv>[^']*)'", "contradicts_roster"),
    (r"answer to an item not asked in (?P<y>\d+)", "not_asked"),
    (r"personal data \(phone, e-mail or name\) in an id column", "personal_data"),
]


def quarantine_reason(reason: str, lang: str) -> str:
    """Ingestion's reason (English, ``; ``-joined) in the report's words; an unknown reason is kept as it is.

    Each problem names the columns it concerns in brackets (``"missing value [date]"``); the report's table
    names the row's column, so the brackets are dropped and a problem of several columns says how many.

    >>> quarantine_reason("duplicate interview id '2021-00006'; date 2020-01-15 outside survey year 2021", "ru")
    "повторяющийся номер интервью '2021-00006'; дата 2020-01-15 вне года опроса 2021"
    >>> quarantine_reason("answer to an item not asked in 2022 [cov_mask, cov_gloves]; "
    ...                   "date 2021-12-31 outside survey year 2022 [date]", "ru")
    'ответ на вопрос, который в 2022 г. не задавался (столбцов: 2); дата 2021-12-31 вне года опроса 2022'
    """
    out = []
    for part in str(reason).split("; "):
        named = re.fullmatch(r"(?P<body>.*) \[(?P<columns>\w+(?:, \w+)*)\]", part)
        columns = named["columns"].split(", ") if named else []
        part = named["body"] if named else part
        before = len(out)
        for pattern, key in _REASONS:
            m = re.fullmatch(pattern, part)
            if m:
                values = m.groupdict()
                if "what" in values:
                    values["what"] = _t(f"reasons.what.{values['what']}", lang)
                if "k" in values:
                    values["k"] = _t(f"reasons.roster.{values['k']}", lang)
                out.append(_t(f"reasons.{key}", lang, **values) if values else _t(f"reasons.{key}", lang))
                break
        else:
            out.append(part)
        if len(columns) > 1 and len(out) > before:
            out[-1] = _t("reasons.in_columns", lang, reason=out[-1], n=len(columns))
    return "; ".join(out)


def quarantine_view(reasons: pd.DataFrame, lang: str, codebook: Codebook | None = None) -> pd.DataFrame:
    """:func:`quarantine_reasons` with the column and the reason in words."""
    cb = codebook or load_codebook()
    return reasons.assign(file=reasons["file"].map(lambda f: file_label(f, lang)),
                          column=reasons["column"].map(lambda c: column_label(str(c), lang, cb)),
                          reason=reasons["reason"].map(lambda r: quarantine_reason(r, lang)))
