"""Words of the НОК report: tables in the report's language, intervals as text, the improvement plan's
actions, the denominators of the survey shares.

The НОК instrument's own labels (criteria, indicators, kinds of organisation, actions, the report glossary
``labels_ru``) stay in the НОК codebook; every other word comes from the message catalogue
(``messages/<lang>/nok.yaml``), numbers through :mod:`helpers.narrative.fmt`.

>>> localise(pd.DataFrame({"vs_region": ["below", ""], "significant": [True, False]}), "ru").values.tolist()
[['ниже', 'да'], ['', 'нет']]
>>> interval_text(97.24, 96.1, 98.04, "en"), interval_text(97.24, 96.1, 98.04, "ru"), interval_text(np.nan, 1, 2, "ru")
('97.2 [96.1; 98.0]', '97,2 [96,1; 98,0]', '—')
>>> denominator_text(load_nok_codebook(), "i1_3", "ru")
'q01 = да; q03 = да'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.narrative import fmt
from helpers.narrative.catalogue import text
from helpers.narrative.reasons import indicator_number, localise_quarantine
from helpers.studies.nok.codebook import CRITERIA, NokCodebook, load_nok_codebook

__all__ = ["criteria_profile", "criteria_tidy", "denominator_table", "denominator_text", "interval_text", "localise", "plan_table"]


def interval_text(estimate: float, low: float, high: float, lang: str, digits: int = 1) -> str:
    """``'97.2 [96.1; 98.0]'`` in the locale's marks; ``'—'`` when undefined."""
    if not np.isfinite(estimate):
        return fmt.DASH
    return f"{fmt.number(estimate, lang, digits)} [{fmt.number(low, lang, digits)}; {fmt.number(high, lang, digits)}]"


def criteria_profile(study, lang: str) -> pd.DataFrame:
    """One row per organisation: n, K1…K5 and the total, each as 'estimate [95% interval]'."""
    iv = study.intervals.set_index(["organisation_id", "measure"])
    rows = []
    for _, r in study.ranking.iterrows():
        row = {"organisation_id": r["organisation_id"], "respondents": int(r["respondents"])}
        for m in [*CRITERIA, "total"]:
            e = iv.loc[(r["organisation_id"], m)]
            row[m] = interval_text(e["estimate"], e["ci_low"], e["ci_high"], lang)
        rows.append(row)
    return pd.DataFrame(rows)


def criteria_tidy(study) -> pd.DataFrame:
    """The tidy twin of :func:`criteria_profile` for the CSV: one row per organisation and measure (K1…K5,
    total) with ``respondents`` and the numbers ``estimate, ci_low, ci_high`` in their own columns (the page shows
    them as 'estimate [interval]' text)."""
    iv = study.intervals.set_index(["organisation_id", "measure"])
    rows = [{"organisation_id": r["organisation_id"], "respondents": int(r["respondents"]), "measure": m,
             **{c: float(iv.loc[(r["organisation_id"], m), c]) for c in ("estimate", "ci_low", "ci_high")}}
            for _, r in study.ranking.iterrows() for m in [*CRITERIA, "total"]]
    return pd.DataFrame(rows, columns=["organisation_id", "respondents", "measure", "estimate", "ci_low", "ci_high"])


def denominator_text(cb: NokCodebook, indicator: str, lang: str) -> str:
    """Who the share of a survey indicator is taken over, e.g. ``'q07 = yes'`` or ``'all respondents'``."""
    return "; ".join(text("nok.all_respondents", lang) if d == "all" else text("nok.filter_yes", lang, question=d)
                     for d in cb.denominators(indicator))


def denominator_table(lang: str, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """Per indicator: criterion, weight, source and the denominator its share is taken over."""
    cb = codebook or load_nok_codebook()
    rows = []
    for ind, spec in cb.indicators.items():
        source = "survey" if spec["kind"] == "survey" else "checklist"
        rows.append({"criterion": spec["criterion"], "indicator": ind, "text": cb.indicator_text(ind, lang),
                     "weight": cb.weight(ind), "source": source,
                     "denominator": denominator_text(cb, ind, lang) if source == "survey" else fmt.DASH})
    return pd.DataFrame(rows)


def plan_table(plan: pd.DataFrame, lang: str, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """The improvement plan with each indicator's action in words (from the codebook)."""
    cb = codebook or load_nok_codebook()
    return plan.assign(action=plan["indicator"].map(lambda i: cb.indicators[i]["action"][lang]))


def localise(df: pd.DataFrame, lang: str, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """A table in the report's language: kinds, words such as above/below/yes/no, reasons in words, and
    (Russian) the column names of the НОК glossary; English headers are worded by the report."""
    cb = codebook or load_nok_codebook()
    out = localise_quarantine(df, lang) if "reason" in df else df.copy()
    for col in out.columns:
        if col == "kind":
            out[col] = out[col].map(lambda k: cb.kind_label(k, lang))
        elif out[col].dtype == bool:
            out[col] = out[col].map(lambda v: text("report.answer_yes" if v else "report.answer_no", lang))
        elif col == "indicator":
            out[col] = out[col].map(lambda v: indicator_number(v) if isinstance(v, str) else v)
        elif col in ("vs_region", "source", "measure", "outside95", "outside998", "outside95_od", "outside998_od"):
            out[col] = out[col].map(lambda v: text(f"nok.values.{v}", lang) if isinstance(v, str) and v
                                    and _known(f"nok.values.{v}") else v if v else "")
    return out.rename(columns=lambda c: cb.label(c, lang)) if lang == "ru" else out


def _known(key: str) -> bool:
    from helpers.narrative.catalogue import has

    return has(key, "en")
