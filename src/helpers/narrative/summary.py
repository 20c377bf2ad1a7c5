"""Sentences and the key-numbers table of the executive summary, worded from the trends tables
(wording in ``messages/<lang>/summary.yaml``; instrument words from ``trends.yaml``).

- :func:`key_findings` the three most important findings;
- :func:`key_numbers` one row per year: recipients, interviews, composite and top-box share with intervals;
- :func:`caveats` what limits the numbers: ceiling, smallest detectable change, design change, weighting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.narrative import fmt
from helpers.narrative.catalogue import text
from helpers.narrative.trends import explain_adjustment, instrument_label, role_gap_sentence, signed

__all__ = ["caveats", "change_clause", "key_findings", "key_numbers", "key_numbers_tidy"]


def change_clause(row: pd.Series, lang: str = "en") -> str:
    """The verdict of one contrast of :func:`~helpers.studies.mystery_guest.trends.compare_years` as a clause
    (significant, not significant with the changes that cannot be excluded, or not testable)."""
    ya, yb = str(int(row["year_a"])), str(int(row["year_b"]))
    if row["verdict"] in ("increase", "decrease"):
        return text("summary.findings.clause_significant", lang, d=signed(row["difference"], lang), ya=ya, yb=yb,
                    lo=float(row["ci_low"]), hi=float(row["ci_high"]), p=fmt.p_value(row["p_adjusted"], lang, 3))
    if str(row["verdict"]).startswith("not testable"):
        return text("summary.findings.clause_not_testable", lang, ya=ya, yb=yb)
    return text("summary.findings.clause_not_significant", lang, d=signed(row["difference"], lang), ya=ya, yb=yb,
                p=fmt.p_value(row["p_adjusted"], lang, 2), lo=signed(row["ci_low_adjusted"], lang),
                hi=signed(row["ci_high_adjusted"], lang))


def _covid_finding(covid: pd.DataFrame, lang: str) -> str:
    from helpers.io.codebook import load_codebook

    cb = load_codebook()

    def short(item):
        return text(f"trends.covid_short.{item}", lang)

    org = covid[covid["department"] == "all"]
    org = org if not org.empty else covid
    last = int(org["year"].max())
    o = org[org["year"] == last].sort_values("share")
    items = "; ".join(text("summary.findings.covid_item", lang, item=short(r["item"]), share=float(r["share"]),
                           low=float(r["ci_low"]), high=float(r["ci_high"])) for _, r in o.iterrows())
    out = text("summary.findings.covid", lang, year=str(last), label=instrument_label(None, lang), items=items)
    first = int(org["year"].min())
    if first < last:
        a = org[org["year"] == first].set_index("item")["share"]
        b = org[org["year"] == last].set_index("item")["share"]
        ch = (b - a).dropna()
        if not ch.empty:
            changes = ", ".join(text("summary.findings.covid_change_item", lang, item=short(k),
                                     change=signed(v, lang, 0)) for k, v in ch.items())
            out += " " + text("summary.findings.covid_change", lang, year=str(first), changes=changes)
    dept = covid[(covid["department"] != "all") & (covid["year"] == last)]
    small = dept.groupby("department")["n_recipients"].max()
    if not small.empty and small.min() < 30:
        out += " " + text("summary.findings.covid_small", lang,
                          department=cb.vocabulary_label("department", small.idxmin(), lang), n=int(small.min()))
    return out


def key_findings(summary: pd.DataFrame, comparisons: pd.DataFrame, adjusted: pd.DataFrame, fit,
                 covid: pd.DataFrame | None = None, changes: pd.DataFrame | None = None, lang: str = "en",
                 comparisons_all: pd.DataFrame | None = None, worker=str, year_comparisons=None) -> list[str]:
    """The three most important findings as sentences, computed from the analysis tables.

    1. Level and change of the composite **on the instrument of** ``summary`` / ``comparisons``
       (by default the constant instrument), named in the sentence: the range of the yearly estimates and
       the largest change between consecutive years with its verdict - significant after Holm, or "changes
       between L and U cannot be excluded" (the interval at the Bonferroni level ``alpha/m``). With
       ``comparisons_all`` (``instrument=None``) the same pair counted over all interviews follows, labelled
       as depending on the interviewer mix. With ``year_comparisons``
       (:func:`helpers.studies.mystery_guest.role_gap.year_comparisons`; ``comparisons`` is then its headline)
       the check of the equal social-worker gap follows (:func:`helpers.narrative.trends.role_gap_sentence`) and
       the same pair by the other comparison, side by side; a volunteer-only headline is labelled as such.
    2. Composition: how the interviewer mix moves the all-interview change (:func:`explain_adjustment`).
    3. COVID-19 safety: organisation-wide compliance shares of the last year with intervals, the change since
       the first COVID-19 year, and a warning when a department rests on few recipients; if there is no
       COVID-19 module, the workers who improved or declined (``worker`` labels their ids).
    """
    from helpers.studies.mystery_guest.trends import largest_consecutive_change

    out = []
    comp = summary[summary["measure"] == "composite"].sort_values("year")
    lo, hi = comp.loc[comp["estimate"].idxmin()], comp.loc[comp["estimate"].idxmax()]
    inst = comp["instrument"].iloc[0] if "instrument" in comp else None
    s = text("summary.findings.level", lang, label=instrument_label(inst, lang), lo=float(lo["estimate"]),
             lo_low=float(lo["ci_low"]), lo_high=float(lo["ci_high"]), lo_n=int(lo["n"]), lo_year=str(int(lo["year"])),
             hi=float(hi["estimate"]), hi_low=float(hi["ci_low"]), hi_high=float(hi["ci_high"]), hi_n=int(hi["n"]),
             hi_year=str(int(hi["year"])))
    big = largest_consecutive_change(comparisons, comp["year"])
    if big is not None:
        if big.get("instrument") == "volunteers":
            s += " " + text("summary.findings.largest_labelled", lang, label=instrument_label("volunteers", lang),
                            clause=change_clause(big, lang))
        else:
            s += " " + text("summary.findings.largest", lang, clause=change_clause(big, lang))
        if year_comparisons is not None:
            s += " " + role_gap_sentence(year_comparisons.check, lang)
            other = (year_comparisons.model if big.get("instrument") == "volunteers"
                     else year_comparisons.volunteers)
            key = "model" if big.get("instrument") == "volunteers" else "volunteers"
            o = other[(other["year_a"] == big["year_a"]) & (other["year_b"] == big["year_b"])] \
                if not other.empty else other
            if not o.empty:
                s += " " + text(f"summary.findings.largest_{key}", lang, clause=change_clause(o.iloc[0], lang))
        if comparisons_all is not None and not comparisons_all.empty:
            a = comparisons_all[(comparisons_all["year_a"] == big["year_a"])
                                & (comparisons_all["year_b"] == big["year_b"])]
            if not a.empty:
                s += " " + text("summary.findings.largest_all", lang, clause=change_clause(a.iloc[0], lang))
    out.append(s)
    out.append(explain_adjustment(adjusted, fit, lang))
    if covid is not None and not covid.empty:
        out.append(_covid_finding(covid, lang))
    elif changes is not None and not changes.empty and (changes["direction"] == "not_assessed").all():
        out.append(text("summary.findings.workers_not_assessed", lang))
    elif changes is not None and not changes.empty:
        nobody = text("summary.findings.nobody", lang)
        imp = [worker(w) for w in changes.loc[changes["direction"] == "improved", "worker_id"]]
        dec = [worker(w) for w in changes.loc[changes["direction"] == "declined", "worker_id"]]
        out.append(text("summary.findings.workers", lang, improved=", ".join(imp) or nobody,
                        declined=", ".join(dec) or nobody))
    return out


def _with_ci(row: pd.Series, lang: str, digits: int) -> str:
    return (f"{fmt.number(row['estimate'], lang, digits)} [{fmt.number(row['ci_low'], lang, digits)}; "
            f"{fmt.number(row['ci_high'], lang, digits)}]")


def key_numbers(summary: pd.DataFrame, sample: pd.DataFrame, lang: str = "en",
                summary_all: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per year for the executive summary: recipients, interviews, composite and top-box share with CIs.

    The composite and top-box columns come from ``summary`` (by default the constant instrument); with
    ``summary_all`` (``instrument=None``) the all-interview composite follows in its own column. Column codes
    (headers in ``summary.headers``): ``year, recipients, interviews, composite_ci[_constant],
    top_box_ci[_constant], composite_ci_all``; numbers are text in the locale's marks.
    """
    comp = summary[summary["measure"] == "composite"].set_index("year")
    top = summary[summary["measure"] == "composite_top"].set_index("year")
    allc = None if summary_all is None else summary_all[summary_all["measure"] == "composite"].set_index("year")
    constant = "instrument" in summary and summary["instrument"].iloc[0] in ("reference", "pooled", "constant")
    tail = "_constant" if constant else ""
    smp = sample.set_index("year")
    rows = []
    for y in comp.index:
        c = comp.loc[y]
        row = {"year": str(int(y)), "recipients": int(smp.loc[y, "recipients"]) if y in smp.index else np.nan,
               "interviews": int(c["n"]), f"composite_ci{tail}": _with_ci(c, lang, 1),
               f"top_box_ci{tail}": fmt.DASH if y not in top.index else _with_ci(top.loc[y], lang, 0)}
        if allc is not None and y in allc.index:
            row["composite_ci_all"] = _with_ci(allc.loc[y], lang, 1)
        rows.append(row)
    return pd.DataFrame(rows)


def key_numbers_tidy(summary: pd.DataFrame, sample: pd.DataFrame,
                     summary_all: pd.DataFrame | None = None) -> pd.DataFrame:
    """The tidy twin of :func:`key_numbers` for the CSV: one row per year and measure with numbers in their own
    columns - ``year, measure, instrument, estimate, ci_low, ci_high, interviews`` and the year's
    ``recipients``. Measures: ``composite`` and ``composite_top`` of ``summary`` (its ``instrument``), and the
    ``composite`` of ``summary_all`` (every interview).
    """
    smp = sample.set_index("year")["recipients"] if "recipients" in sample else pd.Series(dtype=float)
    parts = [summary[summary["measure"].isin(["composite", "composite_top"])]]
    if summary_all is not None:
        parts.append(summary_all[summary_all["measure"] == "composite"])
    rows = [{"year": int(r["year"]), "measure": r["measure"], "instrument": r.get("instrument") or "all",
             "estimate": float(r["estimate"]), "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]),
             "interviews": int(r["n"]), "recipients": smp.get(r["year"], np.nan)}
            for part in parts for _, r in part.iterrows()]
    out = pd.DataFrame(rows, columns=["year", "measure", "instrument", "estimate", "ci_low", "ci_high",
                                      "interviews", "recipients"])
    out["recipients"] = out["recipients"].astype("Int64")
    return out.sort_values("year", kind="stable", ignore_index=True)


def caveats(summary: pd.DataFrame, ceiling: pd.DataFrame, comparisons: pd.DataFrame, sample: pd.DataFrame,
            lang: str = "en") -> list[str]:
    """Caveats for reviewers, computed: ceiling, smallest detectable change, design change, weighting."""
    from helpers.io.codebook import load_codebook
    from helpers.studies.mystery_guest.trends import CEILING_LIMIT

    out = []
    dom = ceiling[ceiling["measure"].isin(["ethics", "competence", "quality"])]
    if not dom.empty:
        hi = dom.loc[dom["ceiling_share"].idxmax()]
        out.append(text("summary.caveats.ceiling", lang, share=float(hi["ceiling_share"]),
                        domain=load_codebook().domain_label(hi["measure"], lang), year=str(int(hi["year"]))))
    blocked = ceiling[~ceiling["testable"]]
    if not blocked.empty:
        from helpers.narrative.trends import measure_label

        items = ", ".join(sorted({f"{measure_label(r['measure'], lang)} {int(r['year'])}"
                                  for _, r in blocked.iterrows()}))
        out.append(text("summary.caveats.blocked", lang, limit=CEILING_LIMIT, items=items))
    if not comparisons.empty and comparisons["mdd"].notna().any():
        w = comparisons.loc[comparisons["mdd"].idxmax()]
        out.append(text("summary.caveats.small_samples", lang, na=int(w["recipients_a"]), nb=int(w["recipients_b"]),
                        ya=str(int(w["year_a"])), yb=str(int(w["year_b"])), mdd=float(w["mdd"]),
                        a=float(w.get("alpha_adjusted", 0.05)), label=instrument_label(w.get("instrument"), lang)))
    smp = sample.set_index("year")
    solo = [str(int(y)) for y in smp.index if smp.loc[y, "social_worker_interviewers"] == 0]
    paired = [str(int(y)) for y in smp.index if smp.loc[y, "social_worker_interviewers"] > 0]
    if solo and paired:
        out.append(text("summary.caveats.design", lang, solo=", ".join(solo), paired=", ".join(paired)))
    inst = summary["instrument"].iloc[0] if "instrument" in summary and len(summary) else None
    if bool(summary["weighted"].any()) and inst in ("reference", "pooled"):
        out.append(text("summary.caveats.model", lang))
    elif bool(summary["weighted"].any()):
        cov = [c for c in ("coverage_home_care", "coverage_temporary_residence") if c in smp]
        strat = smp.dropna(subset=cov) if len(cov) == 2 else smp.iloc[0:0]
        fraction = ""
        if len(strat):
            r = strat.iloc[-1]
            fraction = text("summary.caveats.fraction", lang, home=float(r[cov[0]]), temporary=float(r[cov[1]]),
                            year=str(int(strat.index[-1])))
        out.append(text("summary.caveats.weighted", lang, fraction=fraction))
    return out
