"""The words of a НОК organisation's improvement plan: its title, the columns of the official form and the
pre-filled cells (:mod:`helpers.studies.nok.plans` chooses the rows; :mod:`helpers.report.documents` writes
the DOCX).

The columns are those of the form annexed to Government Decree No. 457 of 17.04.2018: the shortfall found,
the measure to remove it, the planned date, the responsible person (name, position) and the result
(measures taken, actual date). Rows are grouped by criterion (K1-K5) in the codebook's order.
"""

from __future__ import annotations

import pandas as pd

from helpers.narrative.catalogue import text
from helpers.narrative.reasons import indicator_number
from helpers.studies.nok.codebook import CRITERIA, NokCodebook, load_nok_codebook

__all__ = ["PLAN_COLUMNS", "plan_document", "shortfall_text"]

#: the form's columns (catalogue ``documents.plan.columns.<code>``); the last two are under "result"
PLAN_COLUMNS = ("shortfall", "measure", "planned", "responsible", "taken", "actual")


def _t(key: str, lang: str, **values) -> str:
    return text(f"documents.plan.{key}", lang, **values)


def shortfall_text(row, lang: str, codebook: NokCodebook | None = None) -> str:
    """The shortfall of one plan row in words: the indicator, its value and what it falls short of.

    >>> row = pd.Series({"indicator": "i3_1", "source": "checklist", "value": 60.0, "missing": 2, "target": 100.0})
    >>> shortfall_text(row, "ru")
    'Показатель 3.1 «Оборудование помещений и территории с учётом доступности для инвалидов»: 60,0 балла из 100; не хватает обязательных позиций: 2.'
    >>> shortfall_text(row.to_dict() | {"indicator": "i5_3", "source": "survey", "value": 91.25, "target": 95.0}, "en")
    'Indicator 5.3 “Satisfied overall”: 91.2 of 100, below the target of 95.'
    """
    cb = codebook or load_nok_codebook()
    ind = row["indicator"]
    words = {"number": indicator_number(ind), "text": cb.indicator_text(ind, lang), "value": float(row["value"])}
    if row["source"] == "checklist":
        return _t("checklist", lang, missing=int(row["missing"]), **words)
    return _t("survey", lang, target=float(row["target"]), **words)


def plan_document(organisation_id: str, name: str, shortfalls: pd.DataFrame, suggestions: pd.DataFrame,
                  year: int, lang: str, codebook: NokCodebook | None = None) -> dict:
    """Everything one organisation's plan says, in ``lang``.

    ``shortfalls``: the organisation's rows of :func:`helpers.studies.nok.plans.plan_shortfalls`;
    ``suggestions``: its rows of :func:`helpers.studies.nok.plans.suggestions_by_indicator`. Returns
    ``{"title", "organisation", "intro", "columns": {code: words}, "result", "fields": {"date", "person",
    "text"}, "sections": [{"criterion": words, "rows": [{"indicator", "shortfall", "suggestions", "measure"}]}],
    "none": words or None}``.
    """
    cb = codebook or load_nok_codebook()
    sections = []
    for crit in CRITERIA:
        rows = []
        for _, r in shortfalls[shortfalls["indicator"].map(lambda i: cb.indicators[i]["criterion"]) == crit].iterrows():
            said = suggestions[suggestions["indicator"] == r["indicator"]]
            items = "; ".join(_t("suggestion", lang, text=s.suggestion, n=int(s.respondents)) for s in said.itertuples())
            rows.append({"indicator": r["indicator"], "shortfall": shortfall_text(r, lang, cb),
                         "suggestions": _t("suggestions", lang, items=items) if items else "",
                         "measure": cb.indicators[r["indicator"]]["action"][lang]})
        if rows:
            sections.append({"criterion": f"{crit[1:]}. {cb.criterion_label(crit, lang)}", "rows": rows})
    return {"title": _t("title", lang, year=str(year)),
            "organisation": _t("organisation", lang, name=name, organisation_id=organisation_id),
            "intro": _t("intro", lang, year=str(year)),
            "columns": {c: _t(f"columns.{c}", lang) for c in PLAN_COLUMNS}, "result": _t("columns.result", lang),
            "fields": {k: _t(f"{k}_field", lang) for k in ("date", "person", "text")},
            "sections": sections, "none": None if sections else _t("none", lang)}
