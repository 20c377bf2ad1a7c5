"""Sentences and reviewer tables of the scoring report, worded from result tables.

Wording lives in ``messages/<lang>/scoring.yaml``; numbers follow the locale (:mod:`helpers.narrative.fmt`).
The result tables come from :mod:`helpers.studies.mystery_guest.scoring` and carry codes (item codes,
measure names, reason codes, method names); the ``*_view`` functions turn them into the tables a
reviewer reads (question text instead of item codes, words instead of codes; numbers stay numbers,
formatted by :class:`helpers.report.Report`), the other functions write the sentences.
"""

from __future__ import annotations

import math

import pandas as pd

from helpers.io.codebook import Codebook, load_codebook
from helpers.narrative import fmt
from helpers.narrative.catalogue import text

__all__ = [
    "adjusted_note_sentence",
    "data_sentence",
    "evidence_sentence",
    "measure_label",
    "missing_reasons_view",
    "model_sentence",
    "multiplicity_sentence",
    "no_listing_sentence",
    "organisation_view",
    "psychometric_view",
    "psychometric_warnings",
    "recognition_view",
    "recovery_view",
    "top_box_view",
    "weighting_sentences",
    "worker_view",
]


def _t(key: str, lang: str, **values) -> str:
    return text(f"scoring.{key}", lang, **values)


def multiplicity_sentence(method: str = "holm", alpha: float = 0.05, n: int = 0, lang: str = "en") -> str:
    """What a worker flag controls, in words.

    >>> multiplicity_sentence("holm", 0.05, 15, "en")
    'family-wise error 5% across the 15 workers (Holm)'
    >>> multiplicity_sentence("holm", 0.05, 15, "ru")
    'вероятность хотя бы одной ошибки 5% на 15 работников (поправка Холма)'
    """
    return text(f"scoring.multiplicity.{method}", lang, a=alpha, n=n)


def measure_label(measure: str, lang: str, codebook: Codebook | None = None) -> str:
    """A domain's name from the codebook, or another measure's (composite, top-box share) from the catalogue.

    >>> measure_label("composite", "ru"), measure_label("ethics", "en")
    ('интегральный индекс', 'Professional ethics')
    """
    cb = codebook or load_codebook()
    if measure in cb.domains:
        return cb.domain_label(measure, lang)
    return text(f"scoring.measures.{measure}", lang)


def _item_or_measure(name: str, lang: str, cb: Codebook) -> str:
    return cb.item_label(name, lang) if name in cb.items else measure_label(name, lang, cb)


def data_sentence(period: str, interviews: pd.DataFrame, lang: str) -> str:
    """What the report rests on: interviews, recipients, workers and interviewers of ``period``.

    >>> f = pd.DataFrame({"recipient_pid": ["a", "a", "b"], "worker_id": ["W1"] * 3, "interviewer_id": ["I1", "I2", "I1"]})
    >>> data_sentence("2020", f, "ru")
    'Данные: 2020; интервью — 3, получателей — 2, социальных работников — 1, опрашивающих — 2.'
    """
    return _t("data", lang, period=period, n=len(interviews), recipients=int(interviews["recipient_pid"].nunique()),
              workers=int(interviews["worker_id"].nunique()), interviewers=int(interviews["interviewer_id"].nunique()))


def period_label(year: int | None, lang: str) -> str:
    """``2020`` or "all years pooled" in words."""
    return str(year) if year is not None else _t("pooled", lang)


# ----------------------------------------------------------------------------------------- organisation
def weighting_sentences(org: pd.DataFrame, lang: str, codebook: Codebook | None = None) -> list[str]:
    """One warning per material weighted-vs-unweighted difference of :func:`organisation_means`
    (empty when none is material; then :func:`weighting_agree` says so)."""
    cb = codebook or load_codebook()
    out = []
    for r in org[org["material"]].itertuples():
        unit = "unit_pp" if r.statistic == "top_box_share" else "unit_points"
        diff = ("+" if r.difference > 0 else "") + fmt.number(r.difference, lang, 1)
        out.append(_t("weighting.differs", lang, year=str(r.year), measure=_org_measure(r.statistic, r.measure, lang, cb),
                      weighted=r.weighted, unweighted=r.unweighted, difference=diff, unit=_t(unit, lang)))
    return out


def weighting_agree(lang: str) -> str:
    return _t("weighting.agree", lang)


def _org_measure(statistic: str, measure: str, lang: str, cb: Codebook) -> str:
    return _t("measures.top_box_share", lang) if statistic == "top_box_share" else measure_label(measure, lang, cb)


def organisation_view(org: pd.DataFrame, lang: str, codebook: Codebook | None = None) -> pd.DataFrame:
    """:func:`organisation_means` for a reviewer: the measure in words, the columns a reader needs."""
    cb = codebook or load_codebook()
    cols = ["year", "measure", "weighted", "weighted_ci_low", "weighted_ci_high", "unweighted",
            "unweighted_ci_low", "unweighted_ci_high", "n", "n_recipients", "difference"]
    out = org[["statistic", *cols]].copy()
    out["measure"] = [_org_measure(s, m, lang, cb) for s, m in zip(out["statistic"], out["measure"], strict=True)]
    return out.drop(columns="statistic")


# ----------------------------------------------------------------------------------------- answers
def top_box_view(top: pd.DataFrame, lang: str, codebook: Codebook | None = None) -> pd.DataFrame:
    """:func:`top_box` for a reviewer: question text or domain name, shares in percent."""
    cb = codebook or load_codebook()
    out = top.copy()
    out["level"] = out["level"].map(lambda v: _t(f"levels.{v}", lang))
    out["name"] = out["name"].map(lambda v: _item_or_measure(v, lang, cb))
    for c in ("share", "ci_low", "ci_high"):
        out[c] = out[c] * 100
    return out.rename(columns={"name": "question_or_domain", "share": "share_pct"})


def missing_reasons_view(reasons: pd.DataFrame, lang: str, codebook: Codebook | None = None) -> pd.DataFrame:
    """:func:`domain_missing_reasons` for a reviewer: domain and reason in words."""
    cb = codebook or load_codebook()
    out = reasons.copy()
    out["domain"] = out["domain"].map(lambda v: measure_label(v, lang, cb))
    out["reason"] = out["reason"].map(lambda v: _t(f"missing_reason.{v}", lang))
    return out


# ----------------------------------------------------------------------------------------- instrument
def psychometric_view(psy: pd.DataFrame, lang: str, codebook: Codebook | None = None) -> pd.DataFrame:
    """:func:`psychometric_table` for a reviewer: domain and group in words, warnings as a sentence."""
    cb = codebook or load_codebook()
    out = psy.copy()
    out["warning"] = [_warning_words(r, lang) for r in psy.itertuples()]
    out["domain"] = out["domain"].map(lambda v: measure_label(v, lang, cb))
    out["group"] = out["group"].map(lambda v: _t(f"groups.{v}", lang))
    return out.drop(columns=["alpha_reason", "omega_reason", "alpha_min", "ceiling_max"], errors="ignore")


def _warning_words(r, lang: str) -> str:
    words = []
    for code in filter(None, str(r.warning).split(";")):
        values = {"alpha": r.alpha, "alpha_min": r.alpha_min, "ceiling": r.ceiling_share, "ceiling_max": r.ceiling_max}
        words.append(_t(f"warnings.{code}", lang, **values))
    return "; ".join(words)


def psychometric_warnings(psy: pd.DataFrame, lang: str, codebook: Codebook | None = None) -> str:
    """One sentence naming every flagged domain and group with its problems ("" when none is flagged).

    >>> psy = pd.DataFrame({"domain": ["ethics"], "group": ["all"], "alpha": [0.41], "ceiling_share": [0.86],
    ...                     "warning": ["alpha_low;ceiling_high"], "alpha_min": [0.7], "ceiling_max": [0.8]})
    >>> psychometric_warnings(psy, "ru")
    'Проверьте инструмент: Нормы служебной этики (все интервью): альфа 0,41 ниже 0,7; на потолке 86% интервью (больше 80%).'
    """
    cb = codebook or load_codebook()
    flagged = psy[psy["warning"].astype(str) != ""]
    if flagged.empty:
        return ""
    parts = [_t("warnings.item", lang, domain=measure_label(r.domain, lang, cb), group=_t(f"groups.{r.group}", lang),
                problems=_warning_words(r, lang)) for r in flagged.itertuples()]
    return _t("warnings.check", lang, items="; ".join(parts))


# ----------------------------------------------------------------------------------------- workers
def _hide_adjusted(t: pd.DataFrame) -> pd.DataFrame:
    """Adjusted score and interval blanked where ``adjusted_note`` says they are not a worker's own (the worker
    variance at 0: the mean's interval; too few workers to estimate it)."""
    if "adjusted_note" not in t:
        return t
    hide = t["adjusted_note"].fillna("").astype(str) != ""
    t = t.copy()
    for c in ("adjusted", "ci_low", "ci_high"):
        if c in t:
            t[c] = t[c].astype(float).mask(hide)
    return t


def worker_view(workers: pd.DataFrame, label=str) -> pd.DataFrame:
    """The columns of :func:`worker_scores` a reviewer reads, workers by ``label`` (code or name). Where
    ``adjusted_note`` is set (:func:`adjusted_note_sentence` says why) the adjusted score and its interval are
    left empty: only the raw mean with its own interval is shown."""
    cols = ["worker_id", "year", "n", "n_recipients", "raw_mean", "raw_ci_low", "raw_ci_high", "adjusted", "ci_low",
            "ci_high", "flag"]
    return _hide_adjusted(workers)[cols].assign(worker_id=workers["worker_id"].map(label))


def adjusted_note_sentence(workers: pd.DataFrame, lang: str) -> list[str]:
    """Why a year's table shows raw means instead of adjusted scores, one sentence per year with an
    ``adjusted_note`` (``at_mean``: worker variance estimated at 0; ``few_workers``: fewer than
    :data:`~helpers.studies.mystery_guest.scoring.MIN_WORKERS_ADJUSTED` workers).

    >>> t = pd.DataFrame({"year": [2018] * 4, "worker_id": list("ABCD"), "adjusted_note": "at_mean"})
    >>> adjusted_note_sentence(t, "en")[0][:60]
    '2018: the variance between social workers is estimated at 0,'
    """
    from helpers.studies.mystery_guest.scoring import MIN_WORKERS_ADJUSTED

    if "adjusted_note" not in workers:
        return []
    out = []
    keys = workers["year"].astype(object).where(workers["year"].notna(), None)
    for year, g in workers.groupby(keys.map(lambda v: -1 if v is None else int(v)), sort=True):
        notes = [n for n in g["adjusted_note"].fillna("").astype(str).unique() if n]
        if notes:
            out.append(_t(f"adjusted_note.{notes[0]}", lang, period=period_label(None if year == -1 else year, lang),
                          n=int(g["worker_id"].nunique()), min=MIN_WORKERS_ADJUSTED))
    return out


_FACTORS = (("var_worker", "worker"), ("var_interviewer", "interviewer"), ("var_recipient", "recipient"))


def model_sentence(row: pd.Series | dict, lang: str) -> str:
    """The model behind a worker table in words, from ``model_kind`` and the variance components.

    >>> model_sentence({"model_kind": "mixed", "var_worker": 4.0, "var_interviewer": 1.5, "var_recipient": float("nan"),
    ...                 "var_residual": 30.0, "year": 2020}, "en")  # doctest: +NORMALIZE_WHITESPACE
    'Model: linear mixed model (REML) with random intercepts of the social worker and the interviewer (variances
    4.0 and 1.5; residual 30.0).'
    """
    row = dict(row)
    kind = row.get("model_kind") or "mixed"
    if kind in ("raw", "raw_fallback", "fixed_fallback"):
        return _t(f"model.{kind}", lang)
    kept = [(name, row.get(col)) for col, name in _FACTORS
            if row.get(col) is not None and not _nan(row.get(col)) and row.get(col) > 0]
    names = _join([_t(f"model.factor.{n}", lang) for n, _ in kept], lang)
    variances = _join([fmt.number(v, lang, 1) for _, v in kept], lang)
    key = "model.mixed_at_mean" if kind == "mixed_at_mean" else "model.mixed"
    return _t(key, lang, factors=names, variances=variances, residual=float(row.get("var_residual", math.nan)))


def _nan(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _join(words: list[str], lang: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + _t("and", lang) + words[-1]


def no_listing_sentence(period: str, control: str, lang: str) -> str:
    return _t("lists.none", lang, period=period, control=control)


def recognition_view(lists: pd.DataFrame, lang: str, label=str, codebook: Codebook | None = None) -> pd.DataFrame:
    """:func:`recognition_lists` for a reviewer: list and measure in words, what is controlled in words."""
    cb = codebook or load_codebook()
    cols = ["list", "measure", "worker_id", "year", "n", "n_recipients", "raw_mean", "raw_ci_low", "raw_ci_high",
            "adjusted", "ci_low", "ci_high", "org_mean"]
    contrast = "test" in lists and (lists["test"] == "contrast_t").all()
    cols += ["contrast", "contrast_se", "contrast_df"] if contrast else ["effect", "effect_se"]
    out = _hide_adjusted(lists)[[*cols, "p_adjusted"]].copy()
    out["worker_id"] = out["worker_id"].map(label)
    out["list"] = out["list"].map(lambda v: _t(f"lists.{v}", lang))
    out["measure"] = out["measure"].map(lambda v: measure_label(v, lang, cb))
    out["p_adjusted"] = out["p_adjusted"].map(lambda p: fmt.number(p, lang, 3))
    out["control"] = [multiplicity_sentence(m, a, int(n), lang)
                      for m, a, n in zip(lists["method"], lists["alpha"], lists["n_compared"], strict=True)]
    return out


def evidence_sentence(row, lang: str, label=str, codebook: Codebook | None = None) -> str:
    """The evidence beside a listed worker's name.

    >>> r = pd.Series({"worker_id": "W01", "measure": "composite", "list": "recognition", "n": 10, "n_recipients": 9,
    ...                "raw_mean": 95.0, "raw_ci_low": 92.0, "raw_ci_high": 98.0, "adjusted": 94.0, "ci_low": 91.0,
    ...                "ci_high": 97.0, "effect": 4.0, "effect_se": 1.2, "org_mean": 90.0, "p_adjusted": 0.004,
    ...                "method": "holm", "alpha": 0.05, "n_compared": 15, "flag": False})
    >>> print(evidence_sentence(r, "ru"))  # doctest: +NORMALIZE_WHITESPACE
    W01 (интегральный индекс, поощрение): 10 интервью, получателей: 9; простое среднее 95,0 (95% ДИ от 92,0 до 98,0);
    скорректированная оценка 94,0 (95% ДИ от 91,0 до 97,0); эффект работника +4,0 (ошибка прогноза 1,2) относительно
    среднего по организации 90,0; p с поправкой = 0,004 (вероятность хотя бы одной ошибки 5% на 15 работников
    (поправка Холма)).
    """
    cb = codebook or load_codebook()
    r = dict(row)
    if r.get("test") == "contrast_t":
        shown = not str(r.get("adjusted_note") or "")
        adjusted = (_t("lists.adjusted_part", lang, adjusted=r["adjusted"],
                       ci=fmt.interval(r["ci_low"], r["ci_high"], lang)) if shown else "")
        sentence = _t("lists.evidence_contrast", lang, worker=label(r["worker_id"]),
                      measure=measure_label(r["measure"], lang, cb), list=_t(f"lists.{r['list']}", lang),
                      sample=_sample(r, lang), raw=r["raw_mean"],
                      raw_ci=fmt.interval(r["raw_ci_low"], r["raw_ci_high"], lang), adjusted=adjusted,
                      contrast=("+" if r["contrast"] > 0 else "") + fmt.number(r["contrast"], lang, 1),
                      se=r["contrast_se"], df=r["contrast_df"], p=fmt.number(r["p_adjusted"], lang, 3),
                      control=multiplicity_sentence(r["method"], r["alpha"], int(r["n_compared"]), lang))
        return sentence + (_t("lists.few", lang) if r.get("flag") else "") + "."
    sentence = _t("lists.evidence", lang, worker=label(r["worker_id"]), measure=measure_label(r["measure"], lang, cb),
                  list=_t(f"lists.{r['list']}", lang), sample=_sample(r, lang),
                  raw=r["raw_mean"], raw_ci=fmt.interval(r["raw_ci_low"], r["raw_ci_high"], lang),
                  adjusted=r["adjusted"], ci=fmt.interval(r["ci_low"], r["ci_high"], lang),
                  effect=("+" if r["effect"] > 0 else "") + fmt.number(r["effect"], lang, 1), se=r["effect_se"],
                  org=r["org_mean"], p=fmt.number(r["p_adjusted"], lang, 3),
                  control=multiplicity_sentence(r["method"], r["alpha"], int(r["n_compared"]), lang))
    return sentence + (_t("lists.few", lang) if r.get("flag") else "") + "."


def _sample(r: dict, lang: str) -> str:
    rec = r.get("n_recipients")
    if rec is None or rec is pd.NA or _nan(rec):
        return _t("lists.sample_n", lang, n=int(r["n"]))
    return _t("lists.sample", lang, n=int(r["n"]), recipients=int(rec))


# ----------------------------------------------------------------------------------------- recovery
def recovery_view(recovery: pd.DataFrame, lang: str) -> pd.DataFrame:
    """:func:`helpers.studies.mystery_guest.simulate.recovery` rows for a reviewer (``data`` is a code:
    ``demo`` or ``simulated``; ``period`` the demo data's period)."""
    out = recovery.copy()
    periods = out["period"] if "period" in out else [""] * len(out)
    out["data"] = [_t(f"recovery.{d}", lang, period=str(p)) for d, p in zip(out["data"], periods, strict=True)]
    out["estimate"] = out["estimate"].map(lambda v: _t(f"recovery.{v}", lang))
    return out[["data", "estimate", "n_workers", "r_true_score", "rmse", "bias"]]
