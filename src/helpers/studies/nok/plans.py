"""What each organisation's improvement plan holds: its shortfalls below target and the suggestions about them.

Every organisation rated by the НОК publishes a plan to remove the shortfalls found (Government Decree
No. 457 of 17.04.2018, the form of its annex: shortfall, measure, planned date, responsible person,
result). The plan is pre-filled here from the run's results (:func:`helpers.studies.nok.benchmark.improvement_plan`):

* a **shortfall** is an indicator below its target: a checklist indicator with items missing (its target
  is the full list, 100 points) or a survey indicator below the survey target (95 by default);
  indicators that are only below the group mean are left to the report;
* its **measure** is the indicator's ``action`` in the НОК codebook;
* the organisation's respondents' **suggestions** are quoted beside the indicators they concern: a
  suggestion concerns an indicator when one of its words begins with one of the indicator's
  ``suggestion_words`` (codebook). Suggestions are free text: they are read from the validated tables,
  where ingestion has replaced personal data by placeholders (:func:`helpers.io.pii.scrub`).

No words here: :mod:`helpers.narrative.plans` writes the cells, :mod:`helpers.report.documents` the DOCX.
"""

from __future__ import annotations

import re

import pandas as pd

from helpers.studies.nok.codebook import NokCodebook, load_nok_codebook

__all__ = ["concerned_indicators", "plan_shortfalls", "suggestions_by_indicator"]


def _truth(values: pd.Series) -> pd.Series:
    """Truth values as a CSV gives them back (``True``/``"True"``/``1``) as booleans."""
    return values.map(lambda v: str(v).strip().lower() in {"true", "1", "yes"})


def plan_shortfalls(plan: pd.DataFrame, target: float) -> pd.DataFrame:
    """The rows of an improvement plan that go into the organisation's document: indicators below target.

    ``plan`` is :func:`~helpers.studies.nok.benchmark.improvement_plan` (or its CSV in the run's tables).
    A checklist row is a shortfall when items are missing (target 100); a survey row when its value is
    below ``target``. Order kept (per organisation, largest gain first).

    >>> p = pd.DataFrame({"organisation_id": ["A", "A", "A"], "indicator": ["i3_1", "i5_3", "i4_1"],
    ...                   "source": ["checklist", "survey", "survey"], "value": [60.0, 90.0, 96.0],
    ...                   "missing": [2, 0, 0]})
    >>> plan_shortfalls(p, 95.0)["indicator"].tolist()
    ['i3_1', 'i5_3']
    """
    checklist = (plan["source"] == "checklist") & (pd.to_numeric(plan["missing"], errors="coerce").fillna(0) > 0)
    survey = (plan["source"] == "survey") & (pd.to_numeric(plan["value"], errors="coerce") < target)
    out = plan[checklist | survey].copy()
    out["target"] = [100.0 if s == "checklist" else float(target) for s in out["source"]]
    return out.reset_index(drop=True)


def concerned_indicators(suggestion: str, codebook: NokCodebook | None = None) -> list[str]:
    """The indicators a suggestion concerns: one of its words begins with one of the indicator's
    ``suggestion_words`` (case ignored).

    >>> concerned_indicators("Отремонтировать пандус и нужен лифт"), concerned_indicators("Спасибо персоналу")
    (['i3_1'], [])
    >>> concerned_indicators("Больше прогулок")
    ['i5_3']
    """
    cb = codebook or load_nok_codebook()
    text = str(suggestion).casefold()
    return [ind for ind, spec in cb.indicators.items()
            if any(re.search(r"(?<!\w)" + re.escape(w.casefold()), text) for w in spec.get("suggestion_words", []))]


def suggestions_by_indicator(respondents: pd.DataFrame, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """Respondents' suggestions per organisation and indicator concerned, with how many gave each.

    One row per ``organisation_id, indicator, suggestion`` with ``respondents`` (case and surrounding
    spaces ignored when counting; the first spelling kept), most frequent first. A suggestion that concerns
    no indicator (thanks, "all is fine") has no row.

    >>> r = pd.DataFrame({"organisation_id": ["A", "A", "A", "B"],
    ...                   "suggestions": ["Нужен лифт", " нужен лифт", "Спасибо", "Больше прогулок"]})
    >>> suggestions_by_indicator(r).values.tolist()
    [['A', 'i3_1', 'Нужен лифт', 2], ['B', 'i5_3', 'Больше прогулок', 1]]
    """
    cb = codebook or load_nok_codebook()
    cols = ["organisation_id", "indicator", "suggestion", "respondents"]
    if "suggestions" not in respondents:
        return pd.DataFrame(columns=cols)
    text = respondents["suggestions"].fillna("").astype(str).str.strip()
    d = respondents.assign(suggestion=text, key=text.str.casefold())[text != ""]
    counted = (d.groupby(["organisation_id", "key"], as_index=False, sort=True)
               .agg(suggestion=("suggestion", "first"), respondents=("suggestion", "size")))
    rows = [{"organisation_id": r.organisation_id, "indicator": ind, "suggestion": r.suggestion,
             "respondents": int(r.respondents)}
            for r in counted.itertuples() for ind in concerned_indicators(r.suggestion, cb)]
    out = pd.DataFrame(rows, columns=cols)
    return (out.sort_values(["organisation_id", "indicator", "respondents"], ascending=[True, True, False],
                            kind="stable").reset_index(drop=True))
