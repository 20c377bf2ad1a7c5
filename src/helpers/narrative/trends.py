"""Sentences and reviewer words of the trends report, worded from the tables of
:mod:`helpers.studies.mystery_guest.trends` (wording in ``messages/<lang>/trends.yaml``).

Every sentence about a yearly figure names the instrument it reports (:func:`instrument_label`). A
comparison that is not significant is worded as the interval of changes that cannot be excluded, never as
"no change".

>>> instrument_label(None, "en")
'all interviews as conducted — depends on the interviewer mix'
>>> verdict_label("not significant", "ru"), signed(-2.25, "ru"), signed(1.0, "en", 2)
('незначимо', '-2,2', '+1.00')
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from helpers.narrative import fmt
from helpers.narrative.catalogue import label, text

__all__ = ["comparison_sentence", "direction_label", "explain_adjustment", "instrument_label",
           "instrument_short", "measure_label", "reviewer_table", "role_gap_sentence", "role_gap_table",
           "side_by_side_table", "signed", "term_label", "trend_sentence", "truth_sentence", "truth_verdict_label",
           "variance_sentence", "verdict_label"]

_VERDICT = {"increase": "increase", "decrease": "decrease", "not significant": "not_significant",
            "not testable (ceiling)": "not_testable"}
_DIRECTION = {"improved": "improved", "declined": "declined", "within_uncertainty": "within",
              "within the uncertainty": "within", "not_assessed": "not_assessed"}
_TRUTH = {"recovered (right sign)": "recovered", "wrong sign": "wrong_sign",
          "missed although detectable": "missed", "undetectable at this n": "undetectable"}


def signed(x: float, lang: str, digits: int = 1) -> str:
    """A change with its sign (``+2.3``, ``-1,5``) in the locale's marks; NaN is a dash."""
    if x is None or not np.isfinite(x):
        return fmt.DASH
    body = fmt.number(x, lang, digits)
    return body if body.startswith(("-", "−")) or float(body.replace(",", ".").replace("\xa0", "")) == 0 \
        else "+" + body


def _instrument_key(instrument) -> str:
    if not isinstance(instrument, str) and pd.isna(instrument):  # None becomes NaN in a table column
        return "all"
    return str(instrument)


def instrument_label(instrument: str | None, lang: str = "en") -> str:
    """The words that say which comparison a number reports (every sentence of the reports carries one)."""
    return text(f"trends.instrument.{_instrument_key(instrument)}", lang)


def instrument_short(instrument: str | None, lang: str = "en") -> str:
    """A short instrument name for a table cell."""
    return text(f"trends.instrument_short.{_instrument_key(instrument)}", lang)


def verdict_label(verdict: str, lang: str = "en") -> str:
    """A :func:`~helpers.studies.mystery_guest.trends.compare_years` verdict in words."""
    return text(f"trends.verdict.{_VERDICT[verdict]}", lang) if verdict in _VERDICT else verdict


def direction_label(direction: str, lang: str = "en") -> str:
    """A worker's change flag (improved / declined / within the uncertainty) in words."""
    return text(f"trends.direction.{_DIRECTION[direction]}", lang) if direction in _DIRECTION else direction


def truth_verdict_label(verdict: str, lang: str = "en") -> str:
    return text(f"trends.truth_verdict.{_TRUTH[verdict]}", lang) if verdict in _TRUTH else verdict


def measure_label(measure: str, lang: str = "en") -> str:
    """A measure (``composite``, ``ethics_top``) in the codebook's words."""
    from helpers.io.codebook import load_codebook

    return load_codebook().measure_label(measure, lang)


def term_label(term: str, lang: str = "en") -> str:
    """A fixed-effect term of the year model (``C(role)[T.volunteer]``) in words.

    >>> term_label("C(year)[T.2020]", "en"), term_label("C(mode)[T.phone]", "ru")
    ('year 2020', 'способ опроса: по телефону')
    """
    if term == "Intercept":
        return text("trends.term.intercept", lang)
    m = re.fullmatch(r"C\((\w+)\)\[T\.(.+)\]", str(term))
    if m is None:
        return term
    factor, level = m.groups()
    if factor == "year":
        return text("trends.term.year", lang, year=level)
    from helpers.io.codebook import load_codebook

    vocab = {"role": "interviewer_role", "mode": "mode", "stratum": "department"}.get(factor)
    try:
        words = load_codebook().vocabulary_label(vocab, level, lang) if vocab else level
    except (KeyError, ValueError):
        words = level
    return text(f"trends.term.{factor}", lang, level=words) if factor in ("role", "mode", "stratum") else term


def variance_sentence(variance: dict, lang: str = "en") -> str:
    """The variance components of a year model in one line."""
    parts = ", ".join(f"{text(f'trends.variance.{k}', lang)} {fmt.number(v, lang, 1)}" for k, v in variance.items())
    return text("trends.variance.line", lang, parts=parts)


def comparison_sentence(r: pd.Series, lang: str = "en") -> str:
    """One row of :func:`~helpers.studies.mystery_guest.trends.compare_years` in words, naming its instrument.

    Significant: the change, its 95% interval and the Holm p. Not significant: "changes between L
    and U cannot be excluded" (the interval at the Bonferroni level ``alpha / m``, which contains 0
    whenever Holm does not reject) and the MDD at that level - never "no change larger than the MDD".
    """
    ya, yb = str(int(r["year_a"])), str(int(r["year_b"]))
    lab = instrument_label(r.get("instrument"), lang)
    power = float(r.get("power", 0.8))
    if str(r["verdict"]).startswith("not testable"):
        return text("trends.comparison.not_testable", lang, ya=ya, yb=yb, label=lab)
    common = {"ya": ya, "yb": yb, "label": lab, "d": signed(r["difference"], lang), "na": int(r["recipients_a"]),
              "nb": int(r["recipients_b"]), "mdd": float(r["mdd"]), "power": power}
    if r["verdict"] in ("increase", "decrease"):
        return text("trends.comparison.significant", lang, lo=float(r["ci_low"]), hi=float(r["ci_high"]),
                    p=fmt.p_value(r["p_adjusted"], lang, 3), **common)
    return text("trends.comparison.not_significant", lang, p=fmt.p_value(r["p_adjusted"], lang, 2),
                lo=signed(r["ci_low_adjusted"], lang), hi=signed(r["ci_high_adjusted"], lang),
                level=1 - float(r["alpha_adjusted"]), a=float(r["alpha_adjusted"]), **common)


def _trend_why(trend: pd.Series, lang: str) -> str:
    reason = str(trend.get("reason", "") or "")
    if reason == "ceiling":
        years = str(trend.get("ceiling_years", ""))
        return text("trends.trend.reason.ceiling", lang, k=len([y for y in years.split(",") if y.strip()]),
                    years=years, limit=float(trend.get("limit", 0.8)))
    if reason:
        return text(f"trends.trend.reason.{reason}", lang)
    return ""


def trend_sentence(trend: pd.Series, lang: str = "en", alpha: float = 0.05) -> str:
    """The result of :func:`~helpers.studies.mystery_guest.trends.trend_test` in words (or why it was not
    tested), naming the instrument. Not significant: "slopes between L and U points per year cannot be
    excluded" (the 95% interval), never "no trend"."""
    m = measure_label(str(trend["measure"]), lang)
    lab = instrument_label(trend.get("instrument", None), lang)
    if not np.isfinite(trend["slope"]):
        return text("trends.trend.no_estimate", lang, m=m, why=_trend_why(trend, lang), label=lab)
    lo, hi = signed(trend["ci_low"], lang, 2), signed(trend["ci_high"], lang, 2)
    if not np.isfinite(trend["p"]):
        return text("trends.trend.not_tested", lang, m=m, slope=signed(trend["slope"], lang, 2), lo=lo, hi=hi,
                    why=_trend_why(trend, lang), label=lab)
    if trend["p"] < alpha:
        key = "rises" if trend["slope"] > 0 else "falls"
        return text(f"trends.trend.{key}", lang, m=m, size=abs(float(trend["slope"])), lo=lo, hi=hi,
                    p=fmt.p_value(trend["p"], lang, 3), years=str(trend["years"]), label=lab)
    return text("trends.trend.not_shown", lang, m=m, slope=signed(trend["slope"], lang, 2),
                p=fmt.p_value(trend["p"], lang, 2), lo=lo, hi=hi, label=lab)


def explain_adjustment(table: pd.DataFrame, fit, lang: str = "en") -> str:
    """Why raw and adjusted trends differ, in words, from
    :func:`~helpers.studies.mystery_guest.trends.composition_effect` of ``table`` and ``fit``.

    Names the consecutive year pair where the share of social-worker interviews changed most, the
    part of the raw change that the role effect alone explains (change in share x role effect),
    and the raw against the adjusted change; the adjusted change also nets out which workers and
    interviewers were sampled, which can offset the role effect.
    """
    from helpers.studies.mystery_guest.trends import composition_effect

    e = composition_effect(table, fit)
    if e is None:
        return ""
    ya, yb = str(e["year_a"]), str(e["year_b"])
    parts = []
    if e["role"] is not None:
        r = e["role"]
        parts.append(text("trends.adjustment.role_lower" if r["effect"] < 0 else "trends.adjustment.role_higher",
                          lang, size=abs(r["effect"]), lo=r["ci_low"], hi=r["ci_high"]))
        if abs(e["share_b"] - e["share_a"]) >= 0.01:
            parts.append(text("trends.adjustment.share_changed", lang, ya=ya, yb=yb, sa=e["share_a"], sb=e["share_b"],
                              part=signed(e["role_part"], lang)))
        else:
            parts.append(text("trends.adjustment.share_same", lang, ya=ya, yb=yb, sb=e["share_b"]))
    if e["mode"] is not None:
        m = e["mode"]
        parts.append(text("trends.adjustment.mode", lang, effect=signed(m["effect"], lang), lo=m["ci_low"],
                          hi=m["ci_high"]))
    tail = (text("trends.adjustment.close", lang) if abs(e["gap"]) < 1 else
            text("trends.adjustment.apart", lang, shift=signed(-e["gap"], lang)))
    parts.append(text("trends.adjustment.change", lang, ya=ya, yb=yb, raw=signed(e["raw_change"], lang),
                      adjusted=signed(e["adjusted_change"], lang)) + tail)
    return " ".join(parts)


def role_gap_sentence(check, lang: str = "en") -> str:
    """The check of the equal-gap assumption in words
    (:func:`~helpers.studies.mystery_guest.role_gap.role_gap_check`): the within-recipient gap of every year
    with pairs, the equality test and which comparison is the headline, and why."""
    g = check.gaps[check.gaps["reason"] == ""]
    parts = "; ".join(text("trends.role_gap.gap_year", lang, year=str(int(r.year)), d=signed(r.estimate, lang),
                           lo=signed(r.ci_low, lang), hi=signed(r.ci_high, lang), n=int(r.n)) for r in g.itertuples())
    out = [text("trends.role_gap.gaps", lang, m=measure_label(check.measure, lang), parts=parts)] if parts else []
    if check.decision in ("equal", "unequal"):
        out.append(text(f"trends.role_gap.{check.decision}", lang, years=", ".join(map(str, check.years)),
                        p=fmt.p_value(check.p_value, lang, 3), alpha=float(check.alpha),
                        change=signed(check.estimate, lang), lo=signed(check.ci_low, lang),
                        hi=signed(check.ci_high, lang)))
    else:
        out.append(text(f"trends.role_gap.{check.decision}", lang))
    return " ".join(out)


def role_gap_table(check, lang: str = "en") -> pd.DataFrame:
    """The yearly within-recipient gaps for a table: ``year, n_recipients, estimate, ci_low, ci_high, reason``
    (the reason in words; empty where the year has pairs)."""
    t = check.gaps[["year", "n", "estimate", "ci_low", "ci_high", "reason"]].rename(columns={"n": "n_recipients"})
    return t.assign(year=t["year"].astype(str),
                    reason=[text(f"trends.role_gap.reason.{r}", lang) if r else "" for r in t["reason"]])


def _cell(difference, lo, hi, p, verdict, lang) -> str:
    if difference is None or not np.isfinite(difference):
        return fmt.DASH
    return text("trends.role_gap.cell", lang, d=signed(difference, lang), lo=signed(lo, lang), hi=signed(hi, lang),
                p=fmt.p_value(p, lang, 3), verdict=verdict_label(verdict, lang))


def side_by_side_table(comparisons, lang: str = "en") -> pd.DataFrame:
    """Both year comparisons of :func:`~helpers.studies.mystery_guest.role_gap.year_comparisons` per pair of years,
    in words: ``years, model, volunteers`` (change, 95% CI, Holm p, conclusion) and ``headline`` (which the
    reports lead with)."""
    t = comparisons.side_by_side()
    rows = []
    for r in t.to_dict("records"):
        rows.append({"years": f"{int(r['year_a'])}–{int(r['year_b'])}",
                     "model": _cell(r["difference_model"], r["ci_low_model"], r["ci_high_model"],
                                    r["p_adjusted_model"], r["verdict_model"], lang),
                     "volunteers": _cell(r["difference_volunteers"], r["ci_low_volunteers"],
                                         r["ci_high_volunteers"], r["p_adjusted_volunteers"],
                                         r["verdict_volunteers"], lang),
                     "headline": text(f"trends.role_gap.headline.{r['headline']}", lang)})
    return pd.DataFrame(rows, columns=["years", "model", "volunteers", "headline"])


def truth_sentence(check: pd.DataFrame, lang: str = "en") -> str:
    """The truth check in words: how many planted differences were detectable, found, missed, of the wrong sign."""
    det = check[check["detectable"]]
    return text("trends.truth", lang, n=len(check), det=len(det),
                found=int((det["verdict"] == "recovered (right sign)").sum()), sig=int(check["significant"].sum()),
                wrong=int((check["verdict"] == "wrong sign").sum()),
                undet=int((check["verdict"] == "undetectable at this n").sum()))


def reviewer_table(df: pd.DataFrame, lang: str = "en", worker=None) -> pd.DataFrame:
    """A trends table with its codes in reviewer words: measures, verdicts, directions, instruments, model
    terms, COVID-19 items (question text), departments; ``worker`` maps worker ids (public codes, names)."""
    from helpers.io.codebook import load_codebook

    cb = load_codebook()
    out = df.copy()
    words = {"measure": lambda v: measure_label(v, lang), "verdict": lambda v: verdict_label(v, lang),
             "direction": lambda v: direction_label(v, lang), "instrument": lambda v: instrument_short(v, lang),
             "term": lambda v: term_label(v, lang), "item": lambda v: cb.item_label(v, lang),
             "department": lambda v: (text("trends.figure.organisation", lang) if v == "all"
                                      else cb.vocabulary_label("department", v, lang))}
    for col, f in words.items():
        if col == "instrument" and col in out:  # None (all interviews) is a value here, not a gap
            out[col] = [f(v) for v in out[col]]
        elif col in out:
            out[col] = [v if not isinstance(v, str) and pd.isna(v) else f(v) for v in out[col]]
    if "verdict" in out and "planted" in out:  # the truth check's verdicts
        out["verdict"] = [truth_verdict_label(v, lang) for v in df["verdict"]]
    if worker is not None and "worker_id" in out:
        out["worker_id"] = out["worker_id"].map(worker)
    return out


def label_rows(codes, lang: str = "en") -> list[str]:
    """Row names of the sample table (``coverage_home_care`` ...) in words."""
    return [label("trends.sample_rows", c, lang) for c in codes]


def mdd_sentence(year_a: int, year_b: int, n_a: int, n_b: int, mdd: float, lang: str = "en",
                 power: float = 0.8, alpha: float = 0.05) -> str:
    """The minimum detectable difference (:func:`helpers.stats.power.mdd_two_samples`) in words.

    >>> mdd_sentence(2018, 2019, 35, 42, 6.14)
    '2018 vs 2019: with n = 35 and n = 42 recipients, only differences larger than 6.1 points could be detected (80% power, 5% level).'
    >>> mdd_sentence(2018, 2019, 35, 42, 6.14, "ru")
    '2018 и 2019: при n = 35 и n = 42 получателей можно обнаружить только разницу больше 6,1 балла (мощность 80%, уровень 5%).'
    """
    import math

    if not math.isfinite(mdd):
        return text("trends.mdd.undefined", lang, ya=year_a, yb=year_b)
    return text("trends.mdd.sentence", lang, ya=year_a, yb=year_b, na=n_a, nb=n_b, mdd=mdd, power=power, a=alpha)


def instrument_changes_sentence(codebook, years, lang: str = "en") -> str | None:
    """The questionnaire's declared changes within ``years`` and what the trends do about them, or ``None``
    when no change touches the composite's domains (:meth:`helpers.io.codebook.Codebook.trend_items`).

    Each changed item is named by its question text; changes in a domain outside the composite (COVID-19
    safety) are said once, marked as such.

    >>> from helpers.io.codebook import load_codebook
    >>> instrument_changes_sentence(load_codebook(), [2018, 2019, 2020, 2021]) is None
    True
    """
    only = codebook.trend_items(years)
    if only is None:
        return None
    weighted = {d for d, w in codebook.composite_weights.items() if w > 0}
    inside, outside = [], []
    for item, year, change in codebook.instrument_changes(years):
        words = text(f"trends.changes.{change}", lang, item=codebook.item_label(item, lang), year=str(year))
        (inside if codebook.items[item].domain in weighted else outside).append(words)
    if outside:
        inside.append(text("trends.changes.outside", lang, changes="; ".join(outside)))
    n = sum(1 for c in only if codebook.items[c].domain in weighted)
    return text("trends.changes.intro", lang, changes="; ".join(inside), n=n)
