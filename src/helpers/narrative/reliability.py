"""The reliability report in words: bands, sentences and reviewer tables from the results of
:mod:`helpers.studies.mystery_guest.reliability` (wording in ``messages/<lang>/reliability.yaml``).

Bands: :func:`landis_koch`, :func:`koo_li`, :func:`krippendorff_band` return a band *code*
(``"almost_perfect"``, ``"tentative"``); :func:`band_label` words it. Sentences: :func:`describe_agreement`,
:func:`interpretation_paragraphs`, :func:`score_sentences`, :func:`interviewer_effect_sentence`,
:func:`kappa_paradox_text` / :func:`kappa_paradox_report`, :func:`ceiling_warnings`, :func:`interval_note`.
Tables for reviewers (question text instead of item codes, numbers in the locale's marks):
:func:`agreement_summary`, :func:`score_agreement_summary`, :func:`kappa_paradox_table`,
:func:`weighted_table`, :func:`leniency_table`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.narrative import fmt
from helpers.narrative.catalogue import text
from helpers.studies.mystery_guest.reliability import (
    SUMMARY_STATISTICS,
    InterviewerEffect,
    KappaParadox,
    ceiling_items,
    kappa_paradox,
    kappa_paradoxes,
    paired_tables,
    stuart_maxwell_holm,
)

__all__ = [
    "agreement_summary",
    "band_label",
    "ceiling_warnings",
    "describe_agreement",
    "interpretation_paragraphs",
    "interval_note",
    "interviewer_effect_sentence",
    "kappa_paradox_report",
    "kappa_paradox_table",
    "kappa_paradox_text",
    "koo_li",
    "krippendorff_band",
    "landis_koch",
    "leniency_table",
    "reason_text",
    "score_agreement_summary",
    "score_sentences",
    "statistic_name",
    "weighted_table",
]


# ==============================================================================================
# bands
# ==============================================================================================
def _nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def landis_koch(value: float) -> str:
    """Landis & Koch (1977, Biometrics 33:159-174) band of a kappa-type coefficient (a code).

    >>> landis_koch(0.45), landis_koch(-0.1), landis_koch(0.95)
    ('moderate', 'poor', 'almost_perfect')
    """
    if _nan(value):
        return "undefined"
    for upper, band in ((0.0, "poor"), (0.20, "slight"), (0.40, "fair"), (0.60, "moderate"),
                        (0.80, "substantial")):
        if value < upper or (upper > 0 and value <= upper):
            return band
    return "almost_perfect"


def koo_li(value: float) -> str:
    """Koo & Li (2016, J Chiropr Med 15:155-163) band of an ICC (a code).

    >>> koo_li(0.3), koo_li(0.6), koo_li(0.8), koo_li(0.95)
    ('poor', 'moderate', 'good', 'excellent')
    """
    if _nan(value):
        return "undefined"
    if value < 0.5:
        return "poor"
    if value < 0.75:
        return "moderate"
    if value <= 0.9:
        return "good"
    return "excellent"


def krippendorff_band(value: float) -> str:
    """Krippendorff's (2004, Content Analysis, 2nd ed., p. 241) thresholds 0.667 and 0.800 (a code).

    >>> krippendorff_band(0.85), krippendorff_band(0.7), krippendorff_band(0.5)
    ('reliable', 'tentative', 'unacceptable')
    """
    if _nan(value):
        return "undefined"
    if value >= 0.800:
        return "reliable"
    if value >= 0.667:
        return "tentative"
    return "unacceptable"


_SCALES = {"landis_koch": landis_koch, "koo_li": koo_li, "krippendorff": krippendorff_band}


def band_label(scale: str, value: float, lang: str = "en") -> str:
    """The band of ``value`` on ``scale`` (landis_koch | koo_li | krippendorff) in words.

    >>> band_label("landis_koch", 0.95, "en"), band_label("landis_koch", 0.95, "ru")
    ('almost perfect', 'почти полное')
    """
    return text(f"reliability.band.{scale}.{_SCALES[scale](value)}", lang)


def statistic_name(statistic: str, lang: str = "en") -> str:
    """A coefficient's name in words (``cohen_kappa`` -> Cohen's kappa / каппа Коэна)."""
    return text(f"reliability.statistic.{statistic}", lang)


_REASONS = (("no pairable", "no_pairs"), ("no complete pairs", "no_pairs"), ("no paired", "no_pairs"),
            ("every answer is in one category", "one_category"), ("chance agreement is 1", "one_category"),
            ("expected disagreement", "one_category"), ("one rater used a single category", "one_rater"),
            ("standard error 0", "pinned"), ("degenerate", "degenerate"),
            ("of resamples (more than", "resamples_undefined"), ("no resamples", "no_resamples"),
            ("fewer than two categories known", "scale"), ("fewer than two", "few"), ("single", "few"),
            ("at least two", "few"))


def reason_text(reason: object, lang: str = "en") -> str:
    """Why a value is undefined, in the report's language (the stats layer records English reasons).

    >>> reason_text("no pairable answers (no unit rated by both raters)", "ru")
    'нет пар, в которых оба опрашивающих дали ответ'
    """
    r = "" if _nan(reason) else str(reason)
    if lang == "en" and r:
        return r
    for start, code in _REASONS:
        if start in r:
            return text(f"reliability.reason.{code}", lang)
    return text("reliability.reason.other", lang)


# ==============================================================================================
# numbers in words
# ==============================================================================================
def _cell(estimate, low, high, lang: str, digits: int = 2) -> str:
    """``0.93 (0.85 to 0.97)`` in the locale's marks; "undefined" for NaN, no interval when it has none."""
    if _nan(estimate) or pd.isna(estimate):
        return text("reliability.undefined", lang)
    est = fmt.number(estimate, lang, digits)
    if pd.isna(low) or pd.isna(high):
        return est
    return text("reliability.cell", lang, estimate=est, low=fmt.number(low, lang, digits),
                high=fmt.number(high, lang, digits))


def _p_cell(p: float, lang: str, digits: int) -> str:
    """A p-value in a table cell: ``0.238``, ``< 0.001`` (APA style, :func:`helpers.narrative.fmt.p_value`)."""
    return fmt.p_value(p, lang, digits).removeprefix("p = ").removeprefix("p ")


def _range(x: pd.Series, lang: str, pct: bool = False) -> str:
    x = x.dropna()
    if x.empty:
        return text("reliability.undefined", lang)

    def f(v):
        return fmt.percent(v, lang) if pct else fmt.number(v, lang, 2)

    return text("reliability.range", lang, low=f(x.min()), high=f(x.max()), median=f(x.median()))


def _question(item: str, codebook, lang: str) -> str:
    if codebook is not None and item in getattr(codebook, "items", {}):
        return codebook.item_label(item, lang)
    return item


def _items(tidy: pd.DataFrame) -> pd.DataFrame:
    return tidy[tidy["level"].eq("item") | tidy["level"].isna()]


# ==============================================================================================
# sentences
# ==============================================================================================
def describe_agreement(row, label: str | None = None, lang: str = "en") -> str:
    """One sentence for one row of the tidy table, with the cited band.

    >>> describe_agreement({"item_or_domain": "Appearance", "statistic": "cohen_kappa",
    ...     "estimate": 0.52, "ci_low": 0.40, "ci_high": 0.63, "n": 140, "reason": ""})
    "Appearance: Cohen's kappa = 0.52 (95% CI 0.40 to 0.63, n = 140), moderate agreement on the Landis & Koch (1977) scale; the interval spans fair to substantial."
    >>> describe_agreement({"item_or_domain": "Внешний вид", "statistic": "cohen_kappa",
    ...     "estimate": 0.52, "ci_low": 0.40, "ci_high": 0.63, "n": 140, "reason": ""}, lang="ru")[:61]
    'Внешний вид: каппа Коэна = 0,52 (95% ДИ от 0,40 до 0,63, n = '
    """
    r = dict(row)
    stat, est = r["statistic"], float(r["estimate"])
    what = label or r.get("item_or_domain", "")
    name = statistic_name(stat, lang)
    if math.isnan(est):
        return text("reliability.describe.undefined", lang, what=what, name=name,
                    reason=reason_text(r.get("reason"), lang))
    lo, hi = float(r.get("ci_low", math.nan)), float(r.get("ci_high", math.nan))
    n = int(r["n"])
    head = (text("reliability.describe.head", lang, what=what, name=name, estimate=est, n=n) if math.isnan(lo)
            else text("reliability.describe.head_ci", lang, what=what, name=name, estimate=est, low=lo, high=hi,
                      n=n))
    if stat == "percent_agreement":
        return text("reliability.describe.percent", lang, head=head)
    scale, kind = (("krippendorff", "alpha") if stat.startswith("krippendorff") else
                   ("koo_li", "icc") if stat.upper().startswith("ICC") else ("landis_koch", "kappa"))
    out = text(f"reliability.describe.{kind}", lang, head=head, band=band_label(scale, est, lang))
    if not math.isnan(lo):
        b_lo, b_hi = band_label(scale, lo, lang), band_label(scale, hi, lang)
        if b_lo != b_hi:
            out += text("reliability.describe.spans", lang, low=b_lo, high=b_hi)
    return out + "."


def interpretation_paragraphs(tidy: pd.DataFrame, codebook=None, lang: str = "en") -> list[str]:
    """Plain-language paragraphs on the per-item agreement, with the cited bands."""
    t = _items(tidy)
    if t.empty or not (t["n"].fillna(0) > 0).any():
        return [text("reliability.interpretation.no_pairs", lang)]

    def col(s):
        return t.loc[t["statistic"] == s, "estimate"].astype(float)

    pa, kap, ac1 = col("percent_agreement"), col("cohen_kappa"), col("gwet_ac1")
    alpha = col("krippendorff_alpha_ordinal")
    out = [
        text("reliability.interpretation.agreement", lang, n_items=int(t["item_or_domain"].nunique()),
             pa_range=_range(pa, lang, pct=True), kappa_range=_range(kap, lang),
             kappa_band=band_label("landis_koch", kap.median(), lang), ac1_range=_range(ac1, lang),
             ac1_band=band_label("landis_koch", ac1.median(), lang)),
        text("reliability.interpretation.alpha", lang, alpha_range=_range(alpha, lang),
             n_reliable=int((alpha >= 0.8).sum()), n_tentative=int(((alpha >= 0.667) & (alpha < 0.8)).sum()),
             n_low=int((alpha < 0.667).sum()), n_undefined=int(alpha.isna().sum())),
    ]
    sm = stuart_maxwell_holm(tidy)
    if len(sm):
        def listing(items):
            if not items:
                return ""
            words = "; ".join(f"«{_question(i, codebook, lang)}»" for i in items)
            return text("reliability.interpretation.list", lang, items=words)

        raw = sm.loc[sm["p_value"] < 0.05, "item"].tolist()
        holm = sm.loc[sm["p_holm"] < 0.05, "item"].tolist()
        out.append(text("reliability.interpretation.stuart_maxwell", lang, n_raw=len(raw), n_tests=len(sm),
                        raw_list=listing(raw), n_holm=len(holm), holm_list=listing(holm)))
    return out


def kappa_paradox_text(paradox: KappaParadox, label: str = "", answer: str = "", lang: str = "en") -> str:
    """The kappa paradox of one item explained in a paragraph (numbers from
    :func:`helpers.studies.mystery_guest.reliability.kappa_paradox`).

    >>> from helpers.studies.mystery_guest.reliability import kappa_paradox
    >>> t = np.array([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 1, 0],
    ...               [0, 0, 0, 1, 4], [0, 0, 0, 3, 91]])
    >>> print(kappa_paradox_text(kappa_paradox(t), "«Appearance»", "strongly agree")[:87])
    Kappa paradox on «Appearance»: the volunteer and the social worker gave the same answer
    """
    p = paradox
    why = (text("reliability.paradox.kappa_undefined", lang, pe=p.chance_agreement) if math.isnan(p.cohen_kappa)
           else text("reliability.paradox.kappa_low", lang, kappa=p.cohen_kappa, pe=p.chance_agreement))
    body = text("reliability.paradox.text", lang, label=label or text("reliability.paradox.this_item", lang),
                pa=p.percent_agreement, n=p.n, why=why, share=p.top_share, answer=answer or str(p.top_category),
                ac1=p.gwet_ac1, alpha=fmt.number(p.krippendorff_alpha_nominal, lang, 2))
    if p.percent_agreement >= 0.80:
        return body
    return text("reliability.paradox.modest", lang, text=body, pa=p.percent_agreement, one_in=p.one_in)


def _answer(codebook, item: str, code, lang: str) -> str:
    try:
        return codebook.scale_of(item).label(code, lang)
    except (KeyError, AttributeError):
        return str(code)


def kappa_paradox_report(interviews: pd.DataFrame, codebook, lang: str = "en", **thresholds) -> dict[str, str]:
    """``{item: paragraph}`` for every item of ``interviews`` that shows the kappa paradox."""
    out = {}
    for item, (t, cats) in paired_tables(interviews, codebook).items():
        found = kappa_paradox(t, cats, **thresholds)
        if found is not None:
            out[item] = kappa_paradox_text(found, f"«{codebook.item_label(item, lang)}»",
                                           _answer(codebook, item, found.top_category, lang), lang)
    return out


def kappa_paradox_table(interviews: pd.DataFrame, codebook, lang: str = "en", **thresholds) -> pd.DataFrame:
    """The items showing the kappa paradox for a reviewer: question, pairs, percent agreement, Cohen's kappa,
    kappa's chance agreement, Gwet's AC1, the most common answer and its share (numbers as floats)."""
    p = kappa_paradoxes(interviews, codebook, **thresholds)
    return pd.DataFrame({
        "question": [codebook.item_label(i, lang) for i in p["item"]],
        "n_pairs": p["n"].astype(int),
        "percent_agreement": p["percent_agreement"].astype(float),
        "cohen_kappa": p["cohen_kappa"].astype(float),
        "chance_agreement": p["chance_agreement"].astype(float),
        "gwet_ac1": p["gwet_ac1"].astype(float),
        "top_answer": [_answer(codebook, i, c, lang) for i, c in zip(p["item"], p["top_category"], strict=True)],
        "top_share": p["top_share"].astype(float),
    })


def ceiling_warnings(tables: dict[str, tuple[np.ndarray, list]], codebook=None, lang: str = "en",
                     **thresholds) -> list[str]:
    """A warning (a list with one paragraph, or empty) for items with few pairs at the ceiling
    (:func:`helpers.studies.mystery_guest.reliability.ceiling_items`).

    >>> t = np.zeros((5, 5), int); t[4, 4], t[4, 3] = 33, 2
    >>> ceiling_warnings({"Appearance": (t, [1, 2, 3, 4, 5])})[0][:58]
    'Few pairs at the ceiling (Appearance: n = 35, 97% in one c'
    """
    found = ceiling_items(tables, **thresholds)
    if found.empty:
        return []
    items = "; ".join(text("reliability.ceiling.item", lang, item=_question(r.item, codebook, lang), n=int(r.n),
                           share=r.top_share) for r in found.itertuples())
    return [text("reliability.ceiling.warning", lang, items=items)]


def interval_note(resample: str = "interviewers", weighted: bool = False, lang: str = "en") -> str:
    """One paragraph saying what the agreement intervals and estimates mean (for the report).

    >>> interval_note("pairs")[:62]
    'The intervals treat the pairs as independent units: they are c'
    """
    if resample == "pairs":
        out = text("reliability.interval_note.pairs", lang)
    else:
        what = text(f"reliability.interval_note.what.{resample.replace('+', '_')}", lang)
        out = text("reliability.interval_note.clusters", lang, what=what)
    return out + " " + text(f"reliability.interval_note.{'weighted' if weighted else 'unweighted'}", lang)


def score_sentences(tidy: pd.DataFrame, column: str = "composite", codebook=None, lang: str = "en") -> list[str]:
    """Sentences on the agreement of one score: ICC band (Koo & Li 2016), Bland-Altman bias and limits,
    and the direction of systematic leniency (Wilcoxon, rank-biserial r)."""
    name = _measure(column, codebook, lang)
    t = tidy[(tidy["level"] == "score") & (tidy["item_or_domain"] == column)]
    if t.empty:
        return [text("reliability.score.no_pairs", lang, name=name.lower())]
    g = t.set_index("statistic")
    out = [describe_agreement(g.loc["ICC2"].to_dict() | {"statistic": "ICC2"}, label=name, lang=lang)]
    b = g.loc["bland_altman_bias"]
    lo, hi = g.loc["bland_altman_loa_low"], g.loc["bland_altman_loa_high"]
    if not pd.isna(b["estimate"]) and not pd.isna(b["ci_low"]):
        side = "higher" if b["ci_low"] > 0 else "lower" if b["ci_high"] < 0 else "none"
        who = text(f"reliability.score.who.{side}", lang, name=name.lower())
        out.append(text("reliability.score.bland_altman", lang, bias=float(b["estimate"]), low=float(b["ci_low"]),
                        high=float(b["ci_high"]), n=int(b["n"]), who=who, loa_low=float(lo["estimate"]),
                        loa_high=float(hi["estimate"])))
    if "rank_biserial" in g.index and not pd.isna(g.loc["rank_biserial", "estimate"]):
        r = g.loc["rank_biserial"]
        out.append(text("reliability.score.wilcoxon", lang, p=fmt.p_value(g.loc["wilcoxon_w", "p_value"], lang, 4),
                        r=float(r["estimate"]), low=float(r["ci_low"]), high=float(r["ci_high"])))
    return out


def _measure(column: str, codebook, lang: str) -> str:
    if codebook is None:
        from helpers.io.codebook import load_codebook

        codebook = load_codebook()
    return codebook.measure_label(column, lang)


def interviewer_effect_sentence(effect: InterviewerEffect, score: str = "composite", codebook=None,
                                lang: str = "en") -> str:
    """The intra-interviewer correlation and the design effect it implies, in words."""
    e = effect
    name = _measure(score, codebook, lang).lower()
    if math.isnan(e.estimate):
        return text("reliability.effect.undefined", lang, score=name, reason=text("reliability.effect.reason", lang)
                    if lang != "en" else e.reason)
    return text("reliability.effect.text", lang, score=name, rho=e.estimate, low=e.ci_low, high=e.ci_high,
                n=int(e.n), g=int(e.n_interviewers), m=e.mean_interviews, deff=e.design_effect,
                deff_low=e.design_effect_ci_low, deff_high=e.design_effect_ci_high, n_eff=e.effective_n)


# ==============================================================================================
# tables for reviewers
# ==============================================================================================
def agreement_summary(tidy: pd.DataFrame, codebook=None, lang: str = "en",
                      statistics: Sequence[str] = SUMMARY_STATISTICS) -> pd.DataFrame:
    """One row per item: the question, pairs, the chosen coefficients as "estimate (ci_low to ci_high)" in the
    locale's marks, and the Stuart-Maxwell p-value; items in the order of the tidy table (codebook order)."""
    rows = []
    for item, g in _items(tidy).groupby("item_or_domain", sort=False):
        g = g.set_index("statistic")
        row = {"question": _question(item, codebook, lang), "n_pairs": int(g["n"].max())}
        for s in statistics:
            if s in g.index:
                row[s] = _cell(*g.loc[s, ["estimate", "ci_low", "ci_high"]], lang)
        if "stuart_maxwell" in g.index:
            p = g.loc["stuart_maxwell", "p_value"]
            row["stuart_maxwell_p"] = _p_cell(p, lang, 3)
        rows.append(row)
    return pd.DataFrame(rows)


def score_agreement_summary(tidy: pd.DataFrame, codebook=None, lang: str = "en") -> pd.DataFrame:
    """One row per score (domain, composite): ICC(2,1) and ICC(3,1) with CIs, Bland-Altman bias and limits
    with CIs, rank-biserial r with CI and the Wilcoxon p-value, in the locale's marks."""
    t = tidy[tidy["level"] == "score"]
    rows = []

    def cell(g, s, digits=2):
        if s not in g.index:
            return fmt.DASH
        return _cell(*g.loc[s, ["estimate", "ci_low", "ci_high"]], lang, digits)

    for col, g in t.groupby("item_or_domain", sort=False):
        g = g.set_index("statistic")
        p = g.loc["wilcoxon_w", "p_value"] if "wilcoxon_w" in g.index else math.nan
        rows.append({"score": _measure(col, codebook, lang), "n_pairs": int(g["n"].max()), "icc2": cell(g, "ICC2"),
                     "icc3": cell(g, "ICC3"), "ba_bias": cell(g, "bland_altman_bias", 1),
                     "loa_low": cell(g, "bland_altman_loa_low", 1), "loa_high": cell(g, "bland_altman_loa_high", 1),
                     "rank_biserial": cell(g, "rank_biserial"),
                     "wilcoxon_p": _p_cell(p, lang, 4)})
    return pd.DataFrame(rows)


def weighted_table(both: pd.DataFrame, codebook=None, lang: str = "en") -> pd.DataFrame:
    """The design-weighted and unweighted agreement (from
    :func:`~helpers.studies.mystery_guest.reliability.weighted_vs_unweighted_agreement`) for a reviewer."""
    return pd.DataFrame({
        "question": [_question(i, codebook, lang) for i in both["item"]],
        "coefficient": [statistic_name(s, lang) for s in both["statistic"]],
        "n_pairs": both["n"].astype(int),
        "weighted_estimate": [_cell(e, lo, hi, lang) for e, lo, hi in
                     both[["estimate_weighted", "ci_low_weighted", "ci_high_weighted"]].itertuples(index=False)],
        "unweighted_estimate": [_cell(e, lo, hi, lang) for e, lo, hi in
                       both[["estimate_unweighted", "ci_low_unweighted", "ci_high_unweighted"]]
                       .itertuples(index=False)],
        "weighted_difference": both["difference"].astype(float),
    })


def leniency_table(leniency: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Interviewer leniency (:func:`~helpers.studies.mystery_guest.reliability.interviewer_leniency`) for a
    reviewer: interviewer code, role in words, interviews, mean deviation with its CI, the role's mean and
    whether the interviewer lies outside the funnel limits."""
    return pd.DataFrame({
        "interviewer": leniency["interviewer_id"].astype(str),
        "interviewer_role": [text(f"reliability.role.{r}", lang) for r in leniency["role"]],
        "n_interviews": leniency["n"].astype(int),
        "deviation": [_cell(e, lo, hi, lang, 1) for e, lo, hi in
                      leniency[["estimate", "ci_low", "ci_high"]].itertuples(index=False)],
        "role_mean": leniency["target"].astype(float),
        "outside95": leniency["outside95"].astype(bool),
        "outside998": leniency["outside998"].astype(bool),
    })
