"""The official НОК calculation (Order 344n of 31.05.2018) per organisation and for the region.

Every indicator is on 0-100; a criterion is the weighted sum of its indicators; an organisation's
total is the mean of the five criteria (``../shared/NOK.md``; formulas and weights are read from
``codebook.yaml``):

==========  =====================================================================  ======
indicator   formula                                                                weight
==========  =====================================================================  ======
i1_1        0.5·(stand present/required + site present/required)·100               0.3
i1_2        30 points per working remote channel, at most 100                      0.3
i1_3        0.5·(100·S_q02/U_q01 + 100·S_q04/U_q03)                                0.4
i2_1        20 points per comfort condition, at most 100                           0.3
i2_2, i2_3  100·S_q05/N, 100·S_q06/N                                               0.4, 0.3
i3_1, i3_2  20 points per accessibility condition (premises; services), max 100    0.3, 0.4
i3_3        100·S_q08/U_q07 (respondents with a disability)                        0.3
i4_1..i4_3  100·S_q09/N, 100·S_q10/N, 100·S_q12/U_q11                              .4 .4 .2
i5_1..i5_3  100·S_q13/N, 100·S_q14/N, 100·S_q15/N                                  .3 .2 .5
==========  =====================================================================  ======

**Denominators** (one place: the ``parts`` of each survey indicator in ``codebook.yaml``): ``N`` = all
accepted respondents of the organisation; ``U_qXX`` = respondents who answered the filter question
``qXX`` "yes" (the skip logic practised since 2019); ``S`` = those of the denominator who answered
the satisfaction question "yes".

**Zero-denominator rule.** A share whose denominator is 0 is undefined (NaN), never 0 or 100:

1. an indicator with several shares (i1_3) is the mean of its defined shares; NaN if none is defined;
2. a criterion with an undefined indicator is the weighted mean of its defined indicators, the
   weights rescaled to sum to 1 (e.g. no respondent with a disability:
   K3 = (0.3·i3_1 + 0.4·i3_2)/0.7); NaN if no indicator of the criterion is defined;
3. the total is NaN when any criterion is NaN.

Each application of the rule is written in the ``reason`` column of :func:`score_organisations`.
Values are unrounded; :func:`official_round` gives the published two decimals.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from helpers.studies.nok.codebook import CRITERIA, NokCodebook, load_nok_codebook

__all__ = [
    "answer_codes",
    "checklist_indicator",
    "criterion_score",
    "official_round",
    "region_scores",
    "respondent_count_matrix",
    "score_organisations",
    "survey_counts",
    "survey_indicator",
    "total_score",
]


def official_round(value, decimals: int = 2):
    """Round half up to ``decimals`` as published (92.425 → 92.43), tolerant of float noise.

    >>> official_round(92.425), official_round(92.4249), official_round(99.995)
    (92.43, 92.42, 100.0)
    """
    scale = 10.0**decimals
    out = np.floor(np.asarray(value, dtype="float64") * scale + 0.5 + 1e-9) / scale
    return float(out) if np.ndim(out) == 0 else out


# ---- counts ------------------------------------------------------------------------------------------
def _count_columns(cb: NokCodebook) -> list[tuple[str, int, str, str]]:
    """(indicator, part number, numerator question, denominator question or 'all') of every share."""
    return [(ind, k, p["numerator"], p["denominator"])
            for ind in cb.survey_indicators for k, p in enumerate(cb.indicators[ind]["parts"], start=1)]


def answer_codes(values: pd.Series, codebook: NokCodebook | None = None) -> np.ndarray:
    """Answers as 1.0 (yes), 0.0 (no) or NaN (blank / skipped), from codes, booleans or labels.

    Labels are read with the codebook (да/нет, yes/no, 1/0 …); an unknown label is an error here,
    never a silent "no" (validation quarantines such rows before scoring).

    >>> answer_codes(pd.Series([1, 0, None, "да", "No", True])).tolist()
    [1.0, 0.0, nan, 1.0, 0.0, 1.0]
    """
    cb = codebook or load_nok_codebook()
    inverse, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)  # blanks/NA -> -1
    mapped = np.array([_answer_code(u, values.name, cb) for u in uniques] + [np.nan], dtype="float64")
    return mapped[inverse]


def _answer_code(u: object, column: object, cb: NokCodebook) -> float:
    if isinstance(u, bool | np.bool_) or (isinstance(u, int | float | np.integer | np.floating) and u in (0, 1)):
        return float(u)
    if str(u).strip() == "":
        return np.nan
    code = cb.answer_code(str(u))
    if code is None:
        raise ValueError(f"unknown answer {u!r} in column {column!r}: expected 1/0, yes/no or да/нет")
    return float(code)


def respondent_count_matrix(respondents: pd.DataFrame, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """What each respondent adds to every count: ``n`` (1), and per share ``<ind>_u<k>``, ``<ind>_s<k>``.

    ``u`` is 1 when the respondent is in the share's denominator (everyone, or filter question
    answered "yes"), ``s`` is 1 when the respondent is in the denominator and answered the
    satisfaction question "yes". Summed per organisation these are the N, U and S of the method.
    """
    cb = codebook or load_nok_codebook()
    out = {"organisation_id": respondents["organisation_id"].to_numpy(), "n": np.ones(len(respondents), "int64")}
    codes = {q: answer_codes(respondents[q], cb) == 1 for q in cb.question_codes if q in respondents}
    for ind, k, num, den in _count_columns(cb):
        u = np.ones(len(respondents), bool) if den == "all" else codes[den]
        out[f"{ind}_u{k}"] = u.astype("int64")
        out[f"{ind}_s{k}"] = (u & codes[num]).astype("int64")
    return pd.DataFrame(out, index=respondents.index)


def survey_counts(respondents: pd.DataFrame, organisation_ids, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """N, U and S per organisation (rows in the order of ``organisation_ids``; 0 without respondents)."""
    m = respondent_count_matrix(respondents, codebook)
    return m.groupby("organisation_id", sort=False).sum().reindex(pd.Index(organisation_ids, name="organisation_id"),
                                                                  fill_value=0)


# ---- indicators ----------------------------------------------------------------------------------------
def _share(s: np.ndarray, u: np.ndarray) -> np.ndarray:
    s, u = np.asarray(s, dtype="float64"), np.asarray(u, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(u > 0, 100.0 * s / np.where(u > 0, u, 1.0), np.nan)


def survey_indicator(counts: Mapping[str, np.ndarray], indicator: str, codebook: NokCodebook | None = None) -> np.ndarray:
    """A survey indicator from counts: the mean of its defined shares 100·S/U (NaN if none is defined).

    ``counts`` maps ``<ind>_s<k>`` / ``<ind>_u<k>`` to arrays of any shape (organisations, or bootstrap
    replicates × organisations).

    >>> survey_indicator({"i1_3_s1": [9], "i1_3_u1": [10], "i1_3_s2": [3], "i1_3_u2": [4]}, "i1_3").tolist()
    [82.5]
    >>> survey_indicator({"i1_3_s1": [9], "i1_3_u1": [10], "i1_3_s2": [0], "i1_3_u2": [0]}, "i1_3").tolist()
    [90.0]
    """
    cb = codebook or load_nok_codebook()
    parts = [_share(counts[f"{indicator}_s{k}"], counts[f"{indicator}_u{k}"])
             for k in range(1, len(cb.indicators[indicator]["parts"]) + 1)]
    stacked = np.stack(parts)
    defined = ~np.isnan(stacked)
    with np.errstate(invalid="ignore"):
        return np.where(defined.any(axis=0), np.nansum(stacked, axis=0) / np.maximum(defined.sum(axis=0), 1), np.nan)


def checklist_indicator(organisations: pd.DataFrame | Mapping, indicator: str,
                        codebook: NokCodebook | None = None) -> np.ndarray:
    """A checklist indicator: ``info_share`` 0.5·Σ present/required·100, or ``points`` min(100, points·count).

    >>> org = {"remote_channels": [2, 4], "comfort_conditions": [3, 5]}
    >>> checklist_indicator(org, "i1_2").tolist(), checklist_indicator(org, "i2_1").tolist()
    ([60.0, 100.0], [60.0, 100.0])
    """
    cb = codebook or load_nok_codebook()
    spec = cb.indicators[indicator]

    def col(name: str) -> np.ndarray:
        return np.asarray(organisations[name], dtype="float64")

    if spec["kind"] == "info_share":
        shares = [col(p["present"]) / col(p["required"]) for p in spec["parts"]]
        return 100.0 * np.mean(shares, axis=0)
    return np.minimum(100.0, spec["points"] * col(spec["column"]))


def criterion_score(indicators: Mapping[str, np.ndarray], criterion: str, codebook: NokCodebook | None = None) -> np.ndarray:
    """Weighted sum of the criterion's indicators; weights of undefined indicators are dropped and the
    rest rescaled to sum to 1 (NaN when none is defined).

    >>> ind = {"i3_1": np.array([60.0]), "i3_2": np.array([80.0]), "i3_3": np.array([np.nan])}
    >>> round(float(criterion_score(ind, "K3")[0]), 10)  # (0.3*60 + 0.4*80) / 0.7
    71.4285714286
    """
    cb = codebook or load_nok_codebook()
    codes = cb.indicators_of(criterion)
    values = np.stack(np.broadcast_arrays(*[np.asarray(indicators[i], dtype="float64") for i in codes]))
    w = np.array([cb.weight(i) for i in codes]).reshape((-1,) + (1,) * (values.ndim - 1))
    defined = ~np.isnan(values)
    wsum = np.where(defined, w, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(wsum > 0, np.where(defined, w * values, 0.0).sum(axis=0) / np.where(wsum > 0, wsum, 1), np.nan)


def total_score(criteria: Mapping[str, np.ndarray]) -> np.ndarray:
    """Mean of K1…K5 (NaN if any criterion is undefined).

    >>> total_score({"K1": [100.0], "K2": [90.0], "K3": [80.0], "K4": [100.0], "K5": [95.0]}).tolist()
    [93.0]
    """
    return np.mean(np.stack(np.broadcast_arrays(*[np.asarray(criteria[k], dtype="float64") for k in CRITERIA])), axis=0)


def all_scores(counts: Mapping[str, np.ndarray], checklist: Mapping[str, np.ndarray],
               codebook: NokCodebook | None = None) -> dict[str, np.ndarray]:
    """Every indicator, criterion and the total from counts and the checklist (arrays broadcast)."""
    cb = codebook or load_nok_codebook()
    out = {}
    for ind, spec in cb.indicators.items():
        out[ind] = survey_indicator(counts, ind, cb) if spec["kind"] == "survey" else checklist_indicator(checklist, ind, cb)
    for k in CRITERIA:
        out[k] = criterion_score(out, k, cb)
    out["total"] = total_score(out)
    return out


# ---- reasons ---------------------------------------------------------------------------------------------
def _reasons(counts: pd.DataFrame, scores: Mapping[str, np.ndarray], cb: NokCodebook) -> list[str]:
    reasons: list[list[str]] = [[] for _ in range(len(counts))]
    for ind in cb.survey_indicators:
        parts = cb.indicators[ind]["parts"]
        for k, p in enumerate(parts, start=1):
            who = "respondents" if p["denominator"] == "all" else f"respondents with {p['denominator']} = yes"
            for i in np.flatnonzero(counts[f"{ind}_u{k}"].to_numpy() == 0):
                rest = "; the indicator is the mean of its defined shares" if len(parts) > 1 else ""
                reasons[i].append(f"{ind}: share {p['numerator']} undefined (no {who}){rest}")
    for crit in CRITERIA:
        codes = cb.indicators_of(crit)
        for i in range(len(counts)):
            gone = [c for c in codes if np.isnan(scores[c][i])]
            if not gone:
                continue
            kept = [c for c in codes if c not in gone]
            rule = (f"{crit} = weighted mean of {', '.join(kept)} (weights rescaled to 1)" if kept
                    else f"{crit} undefined, total undefined")
            reasons[i].append(f"{', '.join(gone)} undefined: {rule}")
    return ["; ".join(r) for r in reasons]


# ---- public API --------------------------------------------------------------------------------------------
def score_organisations(respondents: pd.DataFrame, organisations: pd.DataFrame,
                        codebook: NokCodebook | None = None) -> pd.DataFrame:
    """The official НОК scores of every organisation, unrounded.

    Parameters
    ----------
    respondents : DataFrame
        One row per accepted respondent: ``organisation_id``, ``q01 … q15`` coded 1 (yes), 0 (no),
        NA (skipped by the filter) - the output of :func:`helpers.studies.nok.ingest.ingest_nok`.
    organisations : DataFrame
        One row per organisation: ``organisation_id`` and the checklist counts (``name``, ``kind``
        are carried along when present).

    Returns
    -------
    DataFrame
        One row per ``organisation_id`` (in the order of ``organisations``): ``name``, ``kind``,
        ``respondents`` (N), ``i1_1 … i5_3``, ``K1 … K5``, ``total`` (0-100, unrounded) and ``reason``
        ("" when every share is defined; otherwise which share is undefined and how the zero-denominator
        rule of this module computed the criterion).

    Examples
    --------
    >>> orgs = pd.DataFrame({"organisation_id": ["A"], "info_stand_required": [10], "info_stand_present": [9],
    ...     "info_site_required": [20], "info_site_present": [20], "remote_channels": [3],
    ...     "comfort_conditions": [5], "premises_conditions": [2], "services_conditions": [4]})
    >>> resp = pd.DataFrame({"organisation_id": ["A", "A"], **{f"q{i:02d}": [1, 1] for i in range(1, 16)}})
    >>> resp.loc[1, ["q07", "q08"]] = [0, None]
    >>> s = score_organisations(resp, orgs)
    >>> s[["i1_1", "i1_2", "i3_1", "i3_3", "K1", "K3", "total"]].round(6).values.tolist()
    [[95.0, 90.0, 40.0, 100.0, 95.5, 74.0, 93.9]]
    """
    cb = codebook or load_nok_codebook()
    ids = organisations["organisation_id"].astype(str).to_numpy()
    unknown = set(respondents["organisation_id"].astype(str)) - set(ids)
    if unknown:
        raise ValueError(f"respondents of organisations missing from the checklist: {sorted(unknown)[:5]}")
    resp = respondents.assign(organisation_id=respondents["organisation_id"].astype(str))
    counts = survey_counts(resp, ids, cb)
    scores = all_scores({c: counts[c].to_numpy() for c in counts.columns}, organisations, cb)
    out = pd.DataFrame({"organisation_id": ids})
    for extra in ("name", "kind"):
        if extra in organisations:
            out[extra] = organisations[extra].to_numpy()
    out["respondents"] = counts["n"].to_numpy()
    for col in [*cb.indicator_codes, *CRITERIA, "total"]:
        out[col] = scores[col]
    out["reason"] = _reasons(counts.reset_index(drop=True), scores, cb)
    return out


def region_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """The region: arithmetic mean over organisations of every indicator, criterion and the total.

    Undefined values are left out of a column's mean; ``organisations`` counts the organisations,
    ``respondents`` sums them.

    >>> region_scores(pd.DataFrame({"respondents": [10, 30], "K1": [90.0, 100.0], "total": [92.0, np.nan]}))
       organisations  respondents    K1  total
    0              2           40  95.0   92.0
    """
    value_cols = [c for c in scores.columns if c not in ("organisation_id", "name", "kind", "respondents", "reason")]
    row = {"organisations": len(scores), "respondents": int(scores["respondents"].sum())}
    row.update({c: float(scores[c].mean()) for c in value_cols})
    return pd.DataFrame([row])
