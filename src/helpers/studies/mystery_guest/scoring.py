"""Objective scores from subjective answers: item, domain and composite scores; rater-adjusted
social-worker scores with intervals; recognition and concern lists; psychometric checks.

Public API (stable):

- :func:`score_interviews` - one row per interview: ids, one column per domain score, ``composite``.
- :func:`item_scores` - the 0-100 score of every item of every interview.
- :func:`domain_missing_reasons`, :func:`item_missing_counts` - why scores are missing.
- :func:`top_box` - share of the best answer per item and per domain, with intervals.
- :func:`worker_scores` - one row per social worker (per year unless pooled): raw mean and
  rater-adjusted score (linear mixed model) side by side, with 95% intervals and a small-n flag.
- :func:`worker_domain_scores` - :func:`worker_scores` for every domain and the composite (long).
- :func:`recognition_lists` - workers who differ from the mean of the other workers (workers as fixed
  effects, interviewer and recipient random, Satterthwaite t), with Holm's family-wise error control across
  the workers (``method``, ``alpha``, ``n_compared`` say what is controlled;
  :func:`helpers.narrative.scoring.multiplicity_sentence` words it).
- :func:`worker_slopes` - each worker's change per year relative to the organisation (mixed model on
  the empirical-logit scale with the worker x year fluctuation, Satterthwaite t), "improved / declined" with
  Holm's control across the workers; no flags when the fluctuation cannot be estimated (no worker in 3+ years).
- :func:`answer_distribution` - counts and shares of every answer of every item (codes, no words).
- :func:`psychometric_table` - alpha (Feldt CI), omega, item-total r, floor/ceiling per domain
  and interviewer role, with warnings.
- re-exported: :func:`cronbach_alpha`, :func:`mcdonald_omega`, :func:`corrected_item_total`,
  :func:`floor_ceiling` (from :mod:`helpers.stats.psychometrics`); :func:`weighted_mean`,
  :func:`weighted_share`, :func:`design_weights`, :func:`weighted_vs_unweighted`
  (from :mod:`helpers.stats.survey`).

Scoring convention: an item's answer code ``c`` on a scale with substantive codes
``min..max`` scores ``(c - min) / (max - min) * 100`` ("linear mean score" / percent of maximum
possible, as in national patient-experience surveys, e.g. the NHS Adult Inpatient Survey and
CAHPS), ``100 - that`` for reverse-keyed items, so 100 is always the best answer. "Don't know"
(8), "refused" (9) and blanks are missing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers.io.codebook import Codebook, load_codebook
from helpers.stats.comparisons import holm
from helpers.stats.mixed import fit as mixed_fit
from helpers.stats.mixed import indicator
from helpers.stats.mixed_inference import satterthwaite
from helpers.stats.psychometrics import (
    AlphaResult,
    OmegaResult,
    corrected_item_total,
    cronbach_alpha,
    floor_ceiling,
    mcdonald_omega,
)
from helpers.stats.survey import (
    DesignEstimate,
    design_weights,
    weighted_mean,
    weighted_share,
    weighted_vs_unweighted,
)

__all__ = [
    "ID_COLUMNS",
    "AlphaResult",
    "OmegaResult",
    "DesignEstimate",
    "score_interviews",
    "item_scores",
    "domain_missing_reasons",
    "item_missing_counts",
    "top_box",
    "answer_distribution",
    "worker_scores",
    "worker_domain_scores",
    "recognition_lists",
    "worker_slopes",
    "psychometric_table",
    "organisation_means",
    "worker_tables",
    "cronbach_alpha",
    "mcdonald_omega",
    "corrected_item_total",
    "floor_ceiling",
    "weighted_mean",
    "weighted_share",
    "design_weights",
    "weighted_vs_unweighted",
]

ID_COLUMNS = [
    "interview_id",
    "year",
    "worker_id",
    "interviewer_id",
    "role",
    "mode",
    "department",
    "stratum",
    "pair_id",
    "recipient_pid",
]
DEFAULT_REFERENCE = {"role": "volunteer", "mode": "in_person"}


# --------------------------------------------------------------------------------------------
# item, domain and composite scores
# --------------------------------------------------------------------------------------------
def _ids(interviews: pd.DataFrame) -> pd.DataFrame:
    return interviews[[c for c in ID_COLUMNS if c in interviews.columns]].copy()


def _codes(interviews: pd.DataFrame, item: str) -> np.ndarray:
    col = interviews[item]
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _item_matrix(interviews: pd.DataFrame, cb: Codebook, items: list[str]) -> np.ndarray:
    """n x k array of 0-100 item scores (NaN = missing); raises on codes not in the codebook."""
    out = np.full((len(interviews), len(items)), np.nan)
    for j, item in enumerate(items):
        if item not in interviews.columns:
            continue
        code = _codes(interviews, item)
        scale = cb.scale_of(item)
        substantive = np.isin(code, list(scale.codes))
        known = substantive | np.isin(code, list(scale.missing)) | np.isnan(code)
        if not known.all():
            bad = sorted(set(code[~known].tolist()))[:5]
            raise ValueError(f"item {item!r} holds codes not in its scale {scale.name!r}: {bad}")
        score = (code - scale.min_code) / (scale.max_code - scale.min_code) * 100.0
        if cb.items[item].reverse:
            score = 100.0 - score
        out[:, j] = np.where(substantive, score, np.nan)
    return out


def _asked(interviews: pd.DataFrame, cb: Codebook, items: list[str]) -> np.ndarray:
    """n x k boolean: was the item part of the questionnaire in the interview's year."""
    year = pd.to_numeric(interviews["year"]).to_numpy()
    return np.column_stack([cb.items[i].asked(year) for i in items]) if items else np.zeros((len(year), 0), bool)


def item_scores(interviews: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """The 0-100 score of every item of every interview (ids + one float column per item).

    ``(code - min) / (max - min) * 100``, reversed for reverse-keyed items (100 = best answer);
    don't know / refused / blank / not asked are ``NaN``. Raises ``ValueError`` on a code that is
    neither a substantive nor a missing code of the item's scale.

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2018, 2018], "eth_appearance": pd.array([5, 8], dtype="Int64"),
    ...                   "eth_lateness": pd.array([2, None], dtype="Int64")})
    >>> item_scores(f)[["eth_appearance", "eth_lateness"]].to_numpy().tolist()
    [[100.0, 75.0], [nan, nan]]
    """
    cb = codebook or load_codebook()
    items = [i for i in cb.item_codes if i in interviews.columns]
    mat = _item_matrix(interviews, cb, items)
    out = _ids(interviews)
    return pd.concat([out, pd.DataFrame(mat, columns=items, index=interviews.index)], axis=1)


def _domain_arrays(interviews: pd.DataFrame, cb: Codebook, min_share: float, only: list[str] | None = None):
    """Per domain: (score, reason) arrays. reason: '' | 'not_asked' | 'none_answered' | 'below_min_share'.
    ``only``: score on these items alone (the others are treated as not asked)."""
    out = {}
    for d in cb.domains:
        items = [i for i in cb.items_in_domain(d) if only is None or i in only]
        mat = _item_matrix(interviews, cb, items)
        asked = _asked(interviews, cb, items)
        mat = np.where(asked, mat, np.nan)  # an answer to an item not asked that year is ignored
        n_asked = asked.sum(axis=1)
        n_ans = (~np.isnan(mat)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(mat, axis=1) / n_ans
            share = n_ans / n_asked
        ok = (n_asked > 0) & (n_ans > 0) & (share >= min_share - 1e-12)
        score = np.where(ok, mean, np.nan)
        reason = np.where(
            n_asked == 0, "not_asked", np.where(n_ans == 0, "none_answered", np.where(ok, "", "below_min_share"))
        )
        out[d] = (score, reason)
    return out


def score_interviews(interviews: pd.DataFrame, codebook: Codebook | None = None, min_share: float = 0.5,
                     items: list[str] | None = None) -> pd.DataFrame:
    """Domain scores and the composite quality index of every interview.

    - Item score: 0-100, see the module docstring (100 = best answer; reverse-keyed items handled).
    - Domain score: mean of the answered items of the domain among the items asked that year,
      when at least ``min_share`` of them are answered; otherwise ``NaN`` (the reason is counted by
      :func:`domain_missing_reasons`). Don't know / refused / blank are not answers.
    - ``composite``: weighted mean of the domain scores with the codebook's composite weights
      (COVID-19 safety has weight 0, so 2018-2021 stay comparable). ``NaN`` when any domain with a
      positive weight is ``NaN`` - a composite is never computed from a subset of the domains.
    - ``items``: score on these items only (default: every item). The trends pass the items comparable
      across their years (:meth:`helpers.io.codebook.Codebook.trend_items`) when the codebook declares an item
      added, dropped or reworded within them, so that a composite means the same questions in every year.

    Returns the id columns present (``interview_id, year, worker_id, interviewer_id, role, mode,
    department, stratum, pair_id, recipient_pid``), one float column per domain and ``composite``,
    in the input's row order and index. Vectorised (numpy over item columns).

    Examples
    --------
    >>> cb = load_codebook()
    >>> row = {i: 5 for i in cb.items_for_year(2018)} | {"eth_lateness": 1, "eth_conflicts": 2}
    >>> row |= {"qual_needs": 8, "qual_overall": 9, "qual_recommend": None, "qual_timeliness": 4}
    >>> f = pd.DataFrame([row | {"year": 2018}]).astype({i: "Int64" for i in row})
    >>> score_interviews(f, cb)[["ethics", "competence", "quality", "covid", "composite"]].round(2)
       ethics  competence  quality  covid  composite
    0   96.43       100.0      NaN    NaN        NaN
    >>> domain_missing_reasons(f, cb)[["domain", "reason", "n"]].to_numpy().tolist()
    [['composite', 'missing_domain', 1], ['covid', 'not_asked', 1], ['quality', 'below_min_share', 1]]
    """
    cb = codebook or load_codebook()
    if not 0 < min_share <= 1:
        raise ValueError("min_share must be in (0, 1]")
    out = _ids(interviews)
    doms = _domain_arrays(interviews, cb, min_share, items)
    for d, (score, _) in doms.items():
        out[d] = score
    weights = {d: w for d, w in cb.composite_weights.items() if w > 0}
    total = sum(weights.values())
    comp = np.zeros(len(out))
    for d, w in weights.items():
        comp = comp + w * doms[d][0]  # NaN propagates: every weighted domain is required
    out["composite"] = comp / total if total > 0 else np.nan
    return out


def domain_missing_reasons(interviews: pd.DataFrame, codebook: Codebook | None = None, min_share: float = 0.5) -> pd.DataFrame:
    """Counts of missing domain scores by year, domain and reason.

    Reasons: ``not_asked`` (no item of the domain in that year's questionnaire, e.g. COVID-19
    safety before 2020), ``none_answered`` (every asked item don't know / refused / blank),
    ``below_min_share`` (some answered, fewer than ``min_share``). Also one row per year with
    domain ``composite`` and reason ``missing_domain`` (a weighted domain is missing). Columns
    ``year, domain, reason, n, n_interviews, share``.
    """
    cb = codebook or load_codebook()
    doms = _domain_arrays(interviews, cb, min_share)
    year = pd.to_numeric(interviews["year"]).to_numpy()
    frames = [pd.DataFrame({"year": year, "domain": d, "reason": r}) for d, (_, r) in doms.items()]
    weighted = [d for d, w in cb.composite_weights.items() if w > 0]
    comp_missing = np.zeros(len(year), bool)
    for d in weighted:
        comp_missing |= np.isnan(doms[d][0])
    frames.append(pd.DataFrame({"year": year, "domain": "composite", "reason": np.where(comp_missing, "missing_domain", "")}))
    long = pd.concat(frames, ignore_index=True)
    n_year = long.groupby(["year", "domain"]).size().rename("n_interviews")
    counts = long[long["reason"] != ""].groupby(["year", "domain", "reason"]).size().rename("n").reset_index()
    counts = counts.join(n_year, on=["year", "domain"])
    counts["share"] = counts["n"] / counts["n_interviews"]
    return counts.sort_values(["year", "domain", "reason"]).reset_index(drop=True)


def item_missing_counts(interviews: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """Per year and item asked that year: answered, don't know, refused and blank counts."""
    cb = codebook or load_codebook()
    rows = []
    for year, g in interviews.groupby("year"):
        for item in cb.items_for_year(int(year)):
            code = _codes(g, item) if item in g.columns else np.full(len(g), np.nan)
            scale = cb.scale_of(item)
            kinds = {k: [c for c, e in scale.missing.items() if e.get("kind") == k] for k in ("dont_know", "refused")}
            rows.append(
                {
                    "year": int(year),
                    "item": item,
                    "answered": int(np.isin(code, list(scale.codes)).sum()),
                    "dont_know": int(np.isin(code, kinds["dont_know"]).sum()),
                    "refused": int(np.isin(code, kinds["refused"]).sum()),
                    "blank": int(np.isnan(code).sum()),
                    "n_interviews": len(g),
                }
            )
    return pd.DataFrame(rows)


def _cp(k: int, n: int, ci: float) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    a = 1 - ci
    low = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return low, high


def top_box(interviews: pd.DataFrame, codebook: Codebook | None = None, by: str | list[str] | None = None,
            min_share: float = 0.5, ci: float = 0.95) -> pd.DataFrame:
    """Top-box share (share of the best answer) per item and per domain, with Clopper-Pearson CIs.

    Item: share of the answered (substantive) answers that are the best answer (5 on the agreement
    scale, 1 for reverse-keyed items, "yes" for COVID-19 items). Domain: share of the interviews
    with a domain score whose every answered item is the best answer (domain score = 100).
    Unweighted and treating interviews as independent; for design-weighted organisation figures
    use :func:`weighted_share`. Columns: (``by``), ``level, name, n, n_top, share, ci_low, ci_high``.

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2018] * 4, "eth_appearance": pd.array([5, 5, 4, 9], dtype="Int64")})
    >>> top_box(f).query("name == 'eth_appearance'")[["n", "n_top", "share"]].round(3).to_dict("records")
    [{'n': 3, 'n_top': 2, 'share': 0.667}]
    """
    cb = codebook or load_codebook()
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    items = item_scores(interviews, cb)
    doms = score_interviews(interviews, cb, min_share)
    rows = []
    groups = [((), interviews.index)] if not keys else interviews.groupby(keys).groups.items()
    for key, idx in groups:
        key = key if isinstance(key, tuple) else (key,)
        for level, frame, names in (("item", items, [i for i in cb.item_codes if i in items]), ("domain", doms, list(cb.domains))):
            for name in names:
                v = frame.loc[idx, name].to_numpy(dtype="float64")
                v = v[~np.isnan(v)]
                n, k = len(v), int((v >= 100 - 1e-9).sum())
                if n == 0:
                    continue
                low, high = _cp(k, n, ci)
                rows.append(dict(zip(keys, key, strict=True)) | {"level": level, "name": name, "n": n, "n_top": k,
                                                                  "share": k / n, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def answer_distribution(interviews: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """Counts and shares of every answer of every item, among the interviews that asked the item.

    One row per item and answer: every substantive code of the item's scale, every missing code
    (don't know, refused) and ``blank`` (no answer recorded). ``kind`` is ``substantive``,
    ``dont_know``, ``refused`` or ``blank``; ``rank`` orders the substantive answers from worst (1) to
    best (K) in the item's scoring direction (reverse-keyed items flipped), so bars of all items read
    the same way; missing answers have ``rank`` 0. ``share`` is of the substantive answers (``NaN``
    for missing answers), ``share_asked`` of every interview that asked the item (``n_asked``).
    Items asked in none of the interviews are left out. Codes only: the figures and tables word them
    from the codebook. Columns: ``item, domain, code, kind, rank, n_ranks, n, n_asked, share, share_asked``.

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2018] * 4, "eth_appearance": pd.array([5, 5, 4, None], dtype="Int64")})
    >>> d = answer_distribution(f)
    >>> d[d["item"] == "eth_appearance"][["code", "kind", "n", "share"]].tail(4).to_numpy().tolist()
    [[5.0, 'substantive', 2, 0.6666666666666666], [8.0, 'dont_know', 0, nan], [9.0, 'refused', 0, nan], [nan, 'blank', 1, nan]]
    """
    cb = codebook or load_codebook()
    rows = []
    for item in cb.item_codes:
        if item not in interviews.columns:
            continue
        asked = _asked(interviews, cb, [item])[:, 0]
        code = _codes(interviews, item)[asked]
        if not len(code):
            continue
        scale = cb.scale_of(item)
        subst = sorted(scale.codes)
        n_sub = int(np.isin(code, subst).sum())
        entries = [(c, "substantive") for c in subst]
        entries += [(c, scale.missing[c].get("kind", "missing")) for c in sorted(scale.missing)]
        entries += [(np.nan, "blank")]
        for c, kind in entries:
            n = int(np.isnan(code).sum()) if kind == "blank" else int((code == c).sum())
            if kind == "substantive":
                pos = subst.index(c) + 1
                rank = len(subst) + 1 - pos if cb.items[item].reverse else pos
            else:
                rank = 0
            rows.append({"item": item, "domain": cb.items[item].domain, "code": float(c), "kind": kind, "rank": rank,
                         "n_ranks": len(subst), "n": n, "n_asked": len(code),
                         "share": n / n_sub if (rank and n_sub) else np.nan, "share_asked": n / len(code)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# worker scores: raw and rater-adjusted (linear mixed model)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Fit:
    adjusted: pd.Series  # by worker
    se: pd.Series  # sqrt of prediction error variance of x_ref'b + u_w, by worker
    org_mean: float
    model: str
    var_worker: float = np.nan
    var_interviewer: float = np.nan
    var_residual: float = np.nan
    effect_se: pd.Series | None = None  # prediction error of the worker effect u_w alone
    var_recipient: float = np.nan
    kind: str = "mixed"  # mixed | mixed_at_mean | fixed_fallback (the code behind ``model``, for the narrative)


def _fixed_design(d: pd.DataFrame, terms: list[str], reference: dict) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Intercept + treatment dummies of ``terms``; returns X, the reference row, names and notes."""
    cols, names, ref, notes = [np.ones(len(d))], ["Intercept"], [1.0], []
    for t in terms:
        if t not in d.columns:
            continue
        levels = sorted(d[t].dropna().astype(str).unique())
        if len(levels) < 2:
            continue
        v = d[t].astype(str).to_numpy()
        if t == "year":
            base = levels[0]
            others = levels[1:]
            ref_row = [1.0 / len(levels)] * len(others)  # equal-weight average over the years
        else:
            base = str(reference.get(t, ""))
            if base not in levels:
                base = pd.Series(v).value_counts().index[0]
                notes.append(f"reference {t}={base} (most frequent; {reference.get(t)!r} absent)")
            others = [lv for lv in levels if lv != base]
            ref_row = [0.0] * len(others)
        for lv in others:
            cols.append((v == lv).astype(float))
            names.append(f"{t}[{lv}]")
        ref.extend(ref_row)
    X = np.column_stack(cols)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        # e.g. role confounded with mode: drop dummies until full rank (stated)
        keep = [0]
        for j in range(1, X.shape[1]):
            if np.linalg.matrix_rank(X[:, [*keep, j]]) == len(keep) + 1:
                keep.append(j)
            else:
                notes.append(f"dropped {names[j]} (confounded)")
        X, ref, names = X[:, keep], [ref[j] for j in keep], [names[j] for j in keep]
    return X, np.asarray(ref), names, notes


def _has_repeats(d: pd.DataFrame, column: str = "recipient_pid") -> bool:
    """True when ``column`` exists and some value occurs in more than one row (e.g. a recipient interviewed twice)."""
    if column not in d.columns:
        return False
    v = d[column].dropna().astype(str)
    v = v[v != ""]
    return len(v) == len(d) and v.nunique() < len(v)


def _fit_mixed(d: pd.DataFrame, measure: str, terms: list[str], reference: dict, engine: str,
               recipients: bool = True) -> _Fit:
    y = d[measure].to_numpy(dtype="float64")
    workers, w_codes = np.unique(d["worker_id"].astype(str).to_numpy(), return_inverse=True)
    raters, i_codes = np.unique(d["interviewer_id"].astype(str).to_numpy(), return_inverse=True)
    X, x_ref, xnames, notes = _fixed_design(d, terms, reference)
    fixed = " + ".join(dict.fromkeys(n.split("[")[0] for n in xnames[1:])) or "none"
    factors = [("worker", w_codes, len(workers))]
    if len(raters) >= 2:
        factors.append(("interviewer", i_codes, len(raters)))
    else:
        notes.append("one interviewer: leniency not identifiable")
    if recipients and _has_repeats(d):
        recs, r_codes = np.unique(d["recipient_pid"].astype(str).to_numpy(), return_inverse=True)
        factors.append(("recipient", r_codes, len(recs)))  # absorbed by the door
    elif recipients and "recipient_pid" in d.columns:
        notes.append("no recipient interviewed twice: recipient effect not separable from the residual")
    if engine in ("auto", "mme"):
        res = mixed_fit(y, X, factors)
        if not res.converged:
            raise RuntimeError("REML did not converge")
        sigma2, vcomp, kept = res.sigma2, res.variances, res.kept
        engine_name = "REML, Henderson's equations (helpers.stats.mixed.fit)"
    elif engine == "statsmodels":
        sigma2, vcomp = _statsmodels_components(y, X, factors)
        kept = tuple(f for f, _, _ in factors if vcomp[f] > 1e-6 * sigma2)
        res = None
        engine_name = "REML, statsmodels MixedLM"
    else:
        raise ValueError("engine must be 'auto', 'mme' or 'statsmodels'")
    notes += [f"{f} variance estimated at 0 (boundary)" for f, _, _ in factors if f not in kept]
    desc = "random intercepts " + (" + ".join(f for f, _, _ in factors)) + (" (crossed)" if len(factors) >= 2 else "")
    model = f"mixed ({engine_name}): {desc}; fixed: {fixed}"
    if notes:
        model += "; " + "; ".join(notes)
    if res is None:  # statsmodels' components: Henderson's solution at them, by the same door's algebra
        res = _solve_at(y, X, factors, vcomp, sigma2)
    var_rec = vcomp.get("recipient", np.nan)
    org = float(x_ref @ res.beta)
    if "worker" not in res.kept:
        # no between-worker variance: every worker's adjusted score is the population mean
        se_mean = float(np.sqrt(x_ref @ res.cov_beta @ x_ref))
        return _Fit(pd.Series(org, index=workers), pd.Series(se_mean, index=workers), org,
                    model + "; every worker shrunk to the mean", vcomp.get("worker", np.nan),
                    vcomp.get("interviewer", np.nan), sigma2, pd.Series(0.0, index=workers), var_rec, "mixed_at_mean")
    u = res.blups["worker"]
    se = np.sqrt(res.x_pev(x_ref, "worker"))
    se_u = np.sqrt(np.clip(res.pev["worker"], 0, None))
    return _Fit(pd.Series(org + u, index=workers), pd.Series(se, index=workers), org, model,
                vcomp.get("worker", np.nan), vcomp.get("interviewer", 0.0), sigma2, pd.Series(se_u, index=workers),
                var_rec)


def _worker_contrasts(d: pd.DataFrame, measure: str, terms: list[str], reference: dict,
                      recipients: bool = True) -> pd.DataFrame:
    """Each worker against the mean of the other workers, the workers as **fixed** effects: the test behind
    :func:`recognition_lists`.

    Model (REML by the one door, :func:`helpers.stats.mixed.fit`): ``score = a_w + role + mode (+ year) +
    v_interviewer + r_recipient + e`` with one fixed level ``a_w`` per worker and random interviewer and
    recipient intercepts (each dropped when its variance is estimated at 0, or when it cannot be separated:
    one interviewer, no recipient interviewed twice). Contrast of worker ``w``:
    ``c_w = a_w - mean_{v != w} a_v``, ``se_w = sqrt(L_w' Cov(b) L_w)``, ``t_w = c_w / se_w`` on Satterthwaite's
    degrees of freedom (:func:`helpers.stats.mixed_inference.satterthwaite`). Under "worker w is like the
    others" ``t_w`` is (approximately) Student t whatever the between-worker variance - unlike the BLUP over its
    prediction error, whose variance under that null is the worker's reliability (< 1). Returns one row per
    worker: ``contrast, contrast_se, contrast_df, contrast_p`` (two-sided); empty with fewer than 2 workers.
    """
    y = d[measure].to_numpy(dtype="float64")
    workers, w_codes = np.unique(d["worker_id"].astype(str).to_numpy(), return_inverse=True)
    nw = len(workers)
    cols = ["contrast", "contrast_se", "contrast_df", "contrast_p"]
    if nw < 2:
        return pd.DataFrame(columns=cols, index=workers, dtype=float)
    X0, _, _, _ = _fixed_design(d, terms, reference)
    X = indicator(w_codes, nw).toarray()
    for j in range(1, X0.shape[1]):  # covariates not confounded with the workers
        if np.linalg.matrix_rank(np.hstack([X, X0[:, [j]]])) == X.shape[1] + 1:
            X = np.hstack([X, X0[:, [j]]])
    if len(y) - X.shape[1] < 1:
        return pd.DataFrame(np.nan, columns=cols, index=workers)
    raters, i_codes = np.unique(d["interviewer_id"].astype(str).to_numpy(), return_inverse=True)
    factors = [("interviewer", i_codes, len(raters))] if len(raters) >= 2 else []
    if recipients and _has_repeats(d):
        recs, r_codes = np.unique(d["recipient_pid"].astype(str).to_numpy(), return_inverse=True)
        factors.append(("recipient", r_codes, len(recs)))
    res = mixed_fit(y, X, factors)
    L = np.zeros((X.shape[1], nw))
    L[:nw, :] = (np.eye(nw) * nw - 1.0) / (nw - 1)  # e_w - mean of the others
    test = satterthwaite(y, X, factors, res, L)
    p = 2 * stats.t.sf(np.abs(test.t), test.df)
    return pd.DataFrame({"contrast": test.estimate, "contrast_se": test.se, "contrast_df": test.df,
                         "contrast_p": p}, index=workers)


def _statsmodels_components(y, X, factors) -> tuple[float, dict]:
    """REML variance components by statsmodels ``MixedLM`` (variance-components path): the second
    implementation, kept for the cross-checks (``engine="statsmodels"``)."""
    from statsmodels.regression.mixed_linear_model import MixedLM, VCSpec

    vc = VCSpec(
        [f for f, _, _ in factors],
        [[[f"{f}{k}" for k in range(m)]] for f, _, m in factors],
        [[indicator(c, m)] for _, c, m in factors],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = MixedLM(y, X, groups=np.zeros(len(y)), exog_vc=vc).fit(reml=True, method=["lbfgs", "bfgs", "nm"])
    if not res.converged:
        raise RuntimeError("REML did not converge")
    return float(res.scale), dict(zip([f for f, _, _ in factors], np.asarray(res.vcomp, dtype=float), strict=True))


def _solve_at(y, X, factors, vcomp, sigma2):
    """Henderson's solution at given variance components (the statsmodels cross-check path)."""
    from helpers.stats.mixed import MME, MixedFit

    kept = [(f, c, m) for f, c, m in factors if vcomp[f] > 1e-6 * sigma2]
    p = X.shape[1]
    if not kept:
        Ai = np.linalg.pinv(X.T @ X)
        return MixedFit(Ai @ (X.T @ y), sigma2 * Ai, sigma2, vcomp, {}, {}, {}, np.nan, True, ())
    absorb = kept[-1][0] == "recipient"
    beta, u, Cinv = MME(y, X, [indicator(c, m) for _, c, m in kept], absorb).solve([vcomp[f] for f, _, _ in kept],
                                                                                   sigma2)
    blups, pev, cross, at = {}, {}, {}, 0
    for f, _, m in kept[:-1] if absorb else kept:
        sl = slice(p + at, p + at + m)
        blups[f], pev[f], cross[f] = u[at:at + m], sigma2 * np.diag(Cinv)[sl], sigma2 * Cinv[:p, sl]
        at += m
    return MixedFit(beta, sigma2 * Cinv[:p, :p], sigma2, vcomp, blups, pev, cross, np.nan, True,
                    tuple(f for f, _, _ in kept))


LOGIT_OFFSET = 1.0  # points added to both sides of the empirical logit of a 0-100 score (about its smallest step)
MIN_WORKERS_ADJUSTED = 10  # fewer workers in a year: the worker variance is too uncertain for per-worker intervals
NU0 = 10  # prior degrees of freedom that moderate a worker's residual variance towards the pooled one


def _components_fit(y, X, factors, weights=None, start=None):
    """REML fit of ``y = X b + sum Z_k u_k + e`` (random factors ``(name, codes, levels)``, the recipient
    absorbed) by the one door :func:`helpers.stats.mixed.fit`; returns ``(b, Cov(b), sigma2, variances,
    residuals, notes)``. Factors whose variance is estimated at 0 are dropped before the final solve (stated)."""
    res = mixed_fit(y, X, factors, weights=weights, start=start)
    return res.beta, res.cov_beta, res.sigma2, res.variances, res.residuals, list(res.notes)


def worker_slopes(scored: pd.DataFrame, measure: str = "composite", years=None, alpha: float = 0.05,
                  method: str = "holm", reference: dict | None = None, recipients: bool = True,
                  worker_year: bool | None = None, heteroscedastic: bool = True, anchor: str = "year_model",
                  scale: str = "logit", offset: float = LOGIT_OFFSET, ci: float = 0.95) -> pd.DataFrame:
    """Change per year of every worker assessed in several years, relative to the organisation, with
    multiplicity control: the "improved / declined" flags.

    **Scale.** Scores pile up at 100 (the ceiling), where a real change moves the 0-100 score very
    little and the spread shrinks; a year that is worse for everyone moves weak workers more points
    than strong ones. The model is therefore fitted to the empirical logit of the score,
    ``y = log((score + k) / (100 - score + k))`` with ``k = offset`` (default 1 point, about the
    composite's smallest step), on which the answers' latent satisfaction is close to additive
    (``scale="points"`` fits the score itself). ``slope_logit`` / ``se_logit`` are on that scale;
    ``slope`` / ``se`` / ``ci_*`` are converted to points per year at the worker's mean score
    (delta method, ``dS/dy = (S + k)(100 + k - S) / (100 + 2k)``); the test is the same on both.

    **Model** (REML on Henderson's equations, :func:`helpers.stats.mixed.reml`), in two stages so that a slope is
    relative to the organisation's year means (``anchor="year_model"``):

    1. ``y = b0 + year + role + mode + u_w + c_wy + v_interviewer + r_recipient + e`` gives the year
       effects (a year that was worse for everyone is not a worker's decline);
    2. with those year effects as an offset, ``y = b0 + role + mode + beta_w (t - tbar_w) + u_w + c_wy
       + v + r + e``: one fixed slope ``beta_w`` per worker assessed in two or more years.

    ``u_w`` worker, ``c_wy`` worker x year (a worker's ordinary ups and downs, **always** modelled, so a slope
    must stand out from them), ``v``
    interviewer and ``r`` recipient (the sampling unit: both interviews of a pair, and a recipient
    seen again in a later year, share it; absorbed, :class:`helpers.stats.mixed.MME`) are random intercepts, dropped
    when their variance is estimated at 0 (stated in ``model``). ``anchor="average"``: one model
    with year fixed and the slopes constrained to an information-weighted sum of 0.
    ``heteroscedastic=True`` (default): the residual variance of each worker is estimated from the
    first fit, moderated towards the pooled one with ``NU0 = 10`` prior df (Smyth, 2004, *Stat.
    Appl. Genet. Mol. Biol.* 3:3) and the model refitted with weights ``1 / s2_w``.

    **Test.** ``se`` = ``sqrt(sigma2 [C^-1]_beta)`` from the inverse coefficient matrix of the
    mixed-model equations (Henderson, 1975, *Biometrics* 31:423), pooling every interview rather
    than the 6-9 df of one worker-year cell; ``t = slope / se`` on **Satterthwaite's degrees of freedom**
    (:func:`helpers.stats.mixed_inference.satterthwaite`): how precisely the REML variances fix the slope's
    variance - when the worker x year fluctuation dominates it, about the ``sum_w (years_w - 2)`` cells that
    estimate that fluctuation (exactly so in a balanced design: tests/test_worker_verdicts.py), not the number
    of interviews; with per-worker residual variances at most ``n_w - 2 + NU0`` (the moderated variance's df).
    The df are moreover at most ``sum_w (years_w - 2)``, the "containment" df of the worker x year term that
    contains the slopes (SAS ``DDFM=CONTAIN``; the "never pool" rule of ANOVA): a fluctuation estimated at 0
    (from ~9 cells it often is, even at SD 0.3) is dropped from the fit, and Satterthwaite's df would then jump
    to the interviews' (48-66; some worker was flagged in 11% of the studies) - a discontinuity at the boundary
    that also made two optimisers' answers differ.
    On main the fluctuation's variance was treated as known (``df = n_w - 2 + NU0``): with a fluctuation of SD
    0.3 in the demo's shape some worker was falsely flagged in 14-20% of the studies.

    **Too few years.** The fluctuation is estimable only from a worker's cells around their own line:
    ``sum_w (years_w - 2)`` degrees of freedom. With none (no worker in three or more years, e.g. a 2020-2021
    window) it is confounded with the slopes, and a worker's change between two years cannot be told apart
    from the ordinary year-to-year ups and downs every worker has: on main, where the term was then switched
    off, some worker was falsely flagged in 47% of such windows. Such a window gets **no flags**:
    ``direction = "not_assessed"``, ``reason = "window_too_short"``, ``p`` NaN, ``n_compared`` 0; the slope
    and its interval (from the model without the fluctuation) still describe the change relative to the
    organisation's change between the two years. We chose this over a flag worded "differs from the
    organisation's change": that statement would be about the realised change including the worker's
    fluctuation, which the reader would take as a verdict on the worker's trend. ``worker_year=False`` drops the
    term on request (then the flags assume there is no fluctuation). p-values are
    adjusted across the workers compared by ``method``: default Holm (1979, *Scand. J. Statist.*
    6:65) - the probability that **any** worker with no true change is flagged is at most ``alpha``;
    ``"fdr_bh"`` (Benjamini & Hochberg, 1995, *JRSS B* 57:289) controls only the expected share of
    false flags among the flagged. Holm is the default because a flag is a statement about a named
    person. ``direction``: "improved" / "declined" when the adjusted p is below ``alpha``,
    otherwise ``"within_uncertainty"``; ``method``, ``alpha`` and ``n_compared`` say what is controlled
    (worded by :func:`helpers.narrative.scoring.multiplicity_sentence`). ``ci_low``/``ci_high``: the
    per-worker ``ci`` interval (not simultaneous). Variance components are treated as known
    (Kackar & Harville, 1984). False-flag rates and power are measured by seeded simulation in
    ``tests/test_worker_flags.py`` and ``benchmarks/bench_worker_flags.py``.

    Columns: ``worker_id, years, n, n_recipients, slope, se, ci_low, ci_high, slope_logit, se_logit,
    df, p, p_adjusted, n_compared, method, alpha, direction, reason, model``.
    """
    reference = {**DEFAULT_REFERENCE, **(reference or {})}
    cols = ["worker_id", "years", "n", "n_recipients", "slope", "se", "ci_low", "ci_high", "slope_logit", "se_logit",
            "df", "p", "p_adjusted", "n_compared", "method", "alpha", "direction", "reason", "model"]
    d = scored.dropna(subset=[measure, "worker_id", "year"]).copy()
    if years is not None:
        d = d[d["year"].isin(list(years))]
    d = d[d["worker_id"].astype(str) != ""]
    d["year"] = d["year"].astype(int)
    n_years = d.groupby("worker_id")["year"].nunique()
    multi = sorted(n_years[n_years >= 2].index.astype(str))
    if len(multi) < 2 or d["year"].nunique() < 2:
        return pd.DataFrame(columns=cols)
    raw = d[measure].to_numpy(dtype="float64")
    if scale == "logit":
        y = np.log((raw + offset) / (100.0 - raw + offset))
    elif scale == "points":
        y = raw
    else:
        raise ValueError("scale must be 'logit' or 'points'")
    X0, _, xnames, notes = _fixed_design(d, ["year", "role", "mode"], reference)
    w = d["worker_id"].astype(str).to_numpy()
    t = d["year"].to_numpy(dtype=float)
    S = np.zeros((len(d), len(multi)))
    for k, wk in enumerate(multi):
        m = w == wk
        S[m, k] = t[m] - t[m].mean()
    year_cols = [j for j, nm in enumerate(xnames) if nm.startswith("year[")]
    workers, w_codes = np.unique(w, return_inverse=True)
    factors = [("worker", w_codes, len(workers))]
    # the worker x year fluctuation is estimable only from a worker's cells around their straight line:
    # sum_w (years_w - 2) degrees of freedom; with none (e.g. a two-year window) it is confounded with the slopes
    cell_df = int((n_years - 2).clip(lower=0).sum())
    too_short = cell_df == 0 and worker_year is not False
    if worker_year is None:
        worker_year = cell_df > 0
    if worker_year and cell_df > 0:
        cells, c_codes = np.unique(pd.Series(w) + "|" + d["year"].astype(str).to_numpy(), return_inverse=True)
        factors.append(("worker x year", c_codes, len(cells)))
    raters, i_codes = np.unique(d["interviewer_id"].astype(str).to_numpy(), return_inverse=True)
    if len(raters) >= 2:
        factors.append(("interviewer", i_codes, len(raters)))
    if recipients and _has_repeats(d):
        recs, r_codes = np.unique(d["recipient_pid"].astype(str).to_numpy(), return_inverse=True)
        factors.append(("recipient", r_codes, len(recs)))
    if anchor == "year_model":
        # stage 1: the organisation's year means from the model without slopes; stage 2: worker
        # slopes around them (year effects as an offset), so a slope is relative to the organisation
        b1, _, s1, v1, _, _ = _components_fit(y, X0, factors)
        start = np.log(np.maximum(np.array([v1[f] for f, _, _ in factors]), 1e-4 * s1) / s1)
        y = y - X0[:, year_cols] @ b1[year_cols]
        keep = [j for j in range(X0.shape[1]) if j not in year_cols]
        X, K = np.hstack([X0[:, keep], S]), np.eye(len(multi))
    else:  # constraint sum_w sxx_w beta_w = 0 (relative to the information-weighted average worker)
        sxx = (S**2).sum(axis=0)
        K = np.vstack([np.eye(len(multi) - 1), -sxx[None, :-1] / sxx[-1]])
        keep = list(range(X0.shape[1]))
        X = np.hstack([X0, S @ K])
        start = None
    p0 = len(keep)
    final = mixed_fit(y, X, factors, start=start)
    beta, cov, sigma2, vcomp, resid, fit_notes = (final.beta, final.cov_beta, final.sigma2, final.variances,
                                                  final.residuals, list(final.notes))
    wts = None
    if heteroscedastic:
        # residual variance per worker (the ceiling shrinks the spread of high scorers), moderated
        # towards the pooled variance with NU0 prior df (Smyth, 2004), then the model is refitted
        # with the weights 1 / s2_w treated as known
        e = pd.DataFrame({"w": w, "e2": resid**2})
        g = e.groupby("w")["e2"]
        nu = (g.size() - 2).clip(lower=1)
        s2w = (g.sum() + NU0 * sigma2) / (nu + NU0)
        wts = 1.0 / pd.Series(w).map(s2w).to_numpy()
        wts = wts / wts.mean()
        warm = np.log(np.maximum(np.array([vcomp[f] for f, _, _ in factors]), 1e-4 * sigma2) / sigma2)
        final = mixed_fit(y, X, factors, weights=wts, start=warm)
        beta, cov, sigma2, vcomp, resid, fit_notes = (final.beta, final.cov_beta, final.sigma2, final.variances,
                                                      final.residuals, list(final.notes))
        fit_notes.append(f"residual variance per worker (moderated, {NU0} prior df): "
                         f"{s2w.min():.1f} to {s2w.max():.1f}")
    notes += fit_notes
    slope = K @ beta[p0:]
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", K, cov[p0:, p0:], K), 0, None))
    g = d.assign(worker_id=w).groupby("worker_id")
    n_w = g.size().reindex(multi).to_numpy()
    # degrees of freedom: Satterthwaite's for each slope (how precisely the REML variances - above all the
    # worker x year fluctuation, estimated from few cells - fix its variance); with per-worker residual
    # variances also at most the worker's residual df plus the prior df of the moderated variance (Smyth, 2004)
    Lfull = np.zeros((X.shape[1], len(multi)))
    Lfull[p0:, :] = K.T
    satt = satterthwaite(y, X, factors, final, Lfull, weights=wts).df
    if worker_year and cell_df > 0:
        # a slope is contained in the worker x year term: at most the df of the cells that estimate the fluctuation
        # (the "containment" df), also when that variance is estimated at 0 - still uncertain, and without the bound
        # the df would jump from ~9 to the interviews' as the estimate reaches the boundary
        satt = np.minimum(satt, cell_df)
    df = np.minimum(satt, n_w - 2 + NU0) if heteroscedastic else satt
    q = stats.t.ppf(0.5 + ci / 2, df)
    out = pd.DataFrame({"worker_id": multi, "slope": slope, "se": se, "df": df.astype(float)})
    out["p"] = 2 * stats.t.sf(np.abs(slope / se), df)
    if scale == "logit":
        # points per year at the worker's mean score: dS/deta = (S + k)(100 + k - S) / (100 + 2k)
        m = g[measure].mean().reindex(multi).to_numpy()
        deriv = (m + offset) * (100.0 + offset - m) / (100.0 + 2 * offset)
        out["slope_logit"], out["se_logit"] = slope, se
        out["slope"], out["se"] = slope * deriv, se * deriv
    out["ci_low"], out["ci_high"] = out["slope"] - q * out["se"], out["slope"] + q * out["se"]
    out["reason"] = ""
    if too_short:  # no flag: a change between the years is not distinguishable from the worker's ups and downs
        out["p"] = np.nan
        out["reason"] = "window_too_short"
        notes.append("window too short to estimate the worker x year fluctuation (no worker in 3 or more years): "
                     "no improved / declined flags")
    out["p_adjusted"] = _multiplicity(out["p"], method)
    out["n_compared"] = int(out["p"].notna().sum())
    hit = out["p_adjusted"] < alpha
    out["direction"] = np.where(hit & (out["slope"] > 0), "improved",
                                np.where(hit & (out["slope"] < 0), "declined",
                                         np.where(out["reason"] != "", "not_assessed", "within_uncertainty")))
    out["method"], out["alpha"] = method, float(alpha)
    out["years"] = out["worker_id"].map(g["year"].apply(lambda v: ", ".join(str(x) for x in sorted(set(v)))))
    out["n"] = out["worker_id"].map(g.size()).astype("int64")
    rec = g["recipient_pid"].nunique() if "recipient_pid" in d else g.size()
    out["n_recipients"] = out["worker_id"].map(rec).astype("int64")
    fixed = " + ".join(dict.fromkeys(n.split("[")[0] for n in xnames[1:])) or "none"
    desc = " + ".join(f"{f} ({vcomp[f]:.2f})" for f, _, _ in factors)
    what = ("the empirical logit log((score + k) / (100 - score + k)), k = " + f"{offset:g}" if scale == "logit"
            else "the score (points)")
    rel = ("relative to the organisation's year means (year effects from the model without slopes, as an offset)"
           if anchor == "year_model" else "slopes sum to 0 (relative to the information-weighted average worker)")
    out["model"] = (f"mixed (REML, Henderson's equations) of {what}: fixed {fixed} + one slope per worker assessed in "
                    f"several years, {rel}; random intercepts (variance) {desc}; "
                    f"residual variance {sigma2:.2f}" + ("; " + "; ".join(notes) if notes else ""))
    return out.reindex(columns=cols)


def _fit_fixed(d: pd.DataFrame, measure: str, terms: list[str], reference: dict) -> _Fit:
    """Fallback: OLS with worker fixed effects (no shrinkage, interviewer leniency not removed)."""
    y = d[measure].to_numpy(dtype="float64")
    workers, w_codes = np.unique(d["worker_id"].astype(str).to_numpy(), return_inverse=True)
    X0, x_ref, xnames, notes = _fixed_design(d, terms, reference)
    W = indicator(w_codes, len(workers)).toarray()
    X = np.hstack([W, X0[:, 1:]])  # worker dummies replace the intercept
    df = len(y) - np.linalg.matrix_rank(X)
    if df <= 0:
        raise RuntimeError("no residual degrees of freedom")
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    sigma2 = float(((y - X @ beta) ** 2).sum() / df)
    cov = sigma2 * np.linalg.pinv(X.T @ X)
    C = np.hstack([np.eye(len(workers)), np.tile(x_ref[1:], (len(workers), 1))])
    adj = C @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", C, cov, C))
    fixed = " + ".join(dict.fromkeys(n.split("[")[0] for n in xnames[1:])) or "none"
    model = f"fixed effects (OLS): worker + {fixed}; no shrinkage, interviewer leniency not removed"
    return _Fit(pd.Series(adj, index=workers), pd.Series(se, index=workers), float(np.mean(adj)),
                "; ".join([model, *notes]), var_residual=sigma2, effect_se=pd.Series(se, index=workers))


def _raw_table(d: pd.DataFrame, measure: str, ci: float) -> pd.DataFrame:
    """Per worker: n, recipients, raw mean with a cluster-robust t interval (clusters = recipients).

    ``se^2 = G / (G - 1) sum_g (sum_{i in g} (y_i - ybar) / n)^2`` over the worker's ``G``
    recipients (CR1 / the linearised variance of :func:`helpers.stats.survey.weighted_mean` with
    ``clusters``), ``t`` quantile with ``G - 1`` df. Without ``recipient_pid`` every interview is
    its own cluster and this is the classical ``s / sqrt(n)`` with ``n - 1`` df.
    """
    w = d["worker_id"].astype(str).to_numpy()
    y = d[measure].to_numpy(dtype="float64")
    if "recipient_pid" in d.columns and d["recipient_pid"].notna().all():
        cl = d["recipient_pid"].astype(str).to_numpy()
    else:
        cl = np.arange(len(d)).astype(str)
    f = pd.DataFrame({"w": w, "c": cl, "y": y})
    g = f.groupby("w")["y"]
    t = pd.DataFrame({"n": g.size(), "n_recipients": f.groupby("w")["c"].nunique(), "raw_mean": g.mean()})
    f["z"] = (f["y"] - f["w"].map(t["raw_mean"])) / f["w"].map(t["n"])
    ztot = f.groupby(["w", "c"])["z"].sum()
    G = t["n_recipients"]
    ss = (ztot**2).groupby(level=0).sum().reindex(t.index)
    t["raw_se"] = np.sqrt(G / (G - 1).where(G > 1) * ss)
    q = stats.t.ppf(0.5 + ci / 2, (G - 1).clip(lower=1))
    half = np.where(G > 1, q * t["raw_se"], np.nan)
    t["raw_ci_low"], t["raw_ci_high"] = t["raw_mean"] - half, t["raw_mean"] + half
    return t


def _one_table(d, measure, method, terms, reference, min_n, ci, engine, recipients=True):
    raw = _raw_table(d, measure, ci)
    fit = None
    reasons = []
    if method == "mixed":
        if raw.shape[0] < 2:
            reasons.append("one worker: nothing to compare")
        else:
            try:
                fit = _fit_mixed(d, measure, terms, reference, engine, recipients)
            except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
                reasons.append(f"mixed model failed ({exc})")
                try:
                    fit = _fit_fixed(d, measure, terms, reference)
                    fit = _Fit(fit.adjusted, fit.se, fit.org_mean, "fallback to " + fit.model + " - " + "; ".join(reasons),
                               var_residual=fit.var_residual, effect_se=fit.effect_se, kind="fixed_fallback")
                except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc2:
                    reasons.append(f"fixed-effects model failed ({exc2})")
    elif method != "raw":
        raise ValueError("method must be 'mixed' or 'raw'")
    t = raw.copy()
    z = stats.norm.ppf(0.5 + ci / 2)
    if fit is None:
        t["adjusted"], t["ci_low"], t["ci_high"] = t["raw_mean"], t["raw_ci_low"], t["raw_ci_high"]
        t["org_mean"] = float(d[measure].mean())
        t["model"] = "raw mean (method='raw')" if method == "raw" else "fallback to raw mean - " + "; ".join(reasons)
        t["model_kind"] = "raw" if method == "raw" else "raw_fallback"
        t["var_worker"] = t["var_interviewer"] = t["var_residual"] = t["var_recipient"] = np.nan
        t["effect"], t["effect_se"] = t["raw_mean"] - t["org_mean"], t["raw_se"]
    else:
        t["adjusted"] = fit.adjusted.reindex(t.index)
        se = fit.se.reindex(t.index)
        t["ci_low"], t["ci_high"] = t["adjusted"] - z * se, t["adjusted"] + z * se
        t["org_mean"] = fit.org_mean
        t["model"] = fit.model
        t["model_kind"] = fit.kind
        t["var_worker"], t["var_interviewer"], t["var_residual"] = fit.var_worker, fit.var_interviewer, fit.var_residual
        t["var_recipient"] = fit.var_recipient
        t["effect"] = t["adjusted"] - fit.org_mean
        t["effect_se"] = (fit.effect_se if fit.effect_se is not None else fit.se).reindex(t.index)
    for c in ("raw_ci_low", "raw_ci_high", "ci_low", "ci_high"):
        t[c] = t[c].clip(lower=0.0, upper=100.0)  # the score scale is bounded
    t["flag"] = t["n"] < min_n
    # an adjusted interval that is the mean's interval (no between-worker variance) or rests on a worker
    # variance estimated from a handful of workers is not shown per worker (the narrative says why)
    shrunk = t["model_kind"].isin(["mixed", "mixed_at_mean"])
    t["adjusted_note"] = np.where(shrunk & (t["model_kind"] == "mixed_at_mean"), "at_mean",
                                  np.where(shrunk & (len(t) < MIN_WORKERS_ADJUSTED), "few_workers", ""))
    contrast = None
    if method == "mixed" and raw.shape[0] >= 2:
        try:
            contrast = _worker_contrasts(d, measure, terms, reference, recipients)
        except (RuntimeError, ValueError, np.linalg.LinAlgError):
            contrast = None
    for c in ("contrast", "contrast_se", "contrast_df", "contrast_p"):
        t[c] = np.nan if contrast is None else contrast[c].reindex(t.index).to_numpy(dtype=float)
    return t.drop(columns="raw_se").reset_index(names="worker_id")


def worker_scores(
    scored: pd.DataFrame,
    method: str = "mixed",
    measure: str = "composite",
    min_n: int = 5,
    pooled: bool = False,
    ci: float = 0.95,
    reference: dict | None = None,
    engine: str = "auto",
    recipients: bool = True,
) -> pd.DataFrame:
    """Score of each social worker: raw mean and rater-adjusted score, side by side, with intervals.

    ``scored`` is the output of :func:`score_interviews`; ``measure`` a domain or ``composite``.
    One row per worker and year (``pooled=False``) or per worker over all years (``pooled=True``,
    ``year`` = <NA>). Columns: ``worker_id, year, measure, n, raw_mean, raw_ci_low, raw_ci_high,
    adjusted, ci_low, ci_high, flag, org_mean, model, model_kind, var_worker, var_interviewer,
    var_residual, n_recipients, var_recipient, effect, effect_se, contrast, contrast_se, contrast_df,
    contrast_p, adjusted_note``. ``model`` describes the fit in a
    statistician's words (a trace for the tables' appendix); ``model_kind`` is its code (``mixed``,
    ``mixed_at_mean`` - no between-worker variance, every worker at the mean -, ``fixed_fallback``,
    ``raw``, ``raw_fallback``), which :func:`helpers.narrative.scoring.model_sentence` words.

    Raw: mean of the worker's interview scores with a cluster-robust t interval, the recipient
    (``recipient_pid``) as the cluster: ``se^2 = G/(G-1) sum_g (sum_{i in g} (y_i - ybar)/n)^2``, ``t``
    with ``G - 1`` df, ``G`` = the worker's recipients (``n_recipients``) - the two interviews of a
    recipient are not independent (same as :func:`helpers.stats.survey.weighted_mean` with ``clusters``;
    without ``recipient_pid`` the classical ``s / sqrt(n)``, ``n - 1`` df; ``NaN`` when ``G = 1``).

    Adjusted (``method="mixed"``): linear mixed model with *crossed* random intercepts (REML, by the
    workbench's one door for mixed models, :func:`helpers.stats.mixed.fit`)::

        score = b0 + role + mode (+ year, pooled) + u_worker + v_interviewer + r_recipient + e

    ``adjusted = x_ref' b + u_w``: the population mean at the reference role and mode (default
    volunteer, in person; pooled: the equal-weight average of the years) plus the worker's BLUP,
    which is shrunk towards 0 when the worker has few interviews. Interviewer leniency ``v`` is
    removed. ``r_recipient`` (``recipients=True``, default, when some recipient has two or more
    interviews - the 2020-2021 pairs, a recipient seen again in a pooled analysis) makes the
    recipient the sampling unit: the worker's evidence is counted in recipients, not interviews.
    ``b`` and ``u`` are computed from Henderson's mixed-model equations at the REML
    variance components; the interval is ``adjusted +/- z sqrt(PEV)`` with the prediction error
    variance ``PEV = sigma2 c' C^-1 c``, ``c = (x_ref, e_w)`` (Henderson, 1975, *Biometrics* 31:423).
    Approximation: the variance components are treated as known (their uncertainty is ignored,
    Kackar & Harville, 1984, *JASA* 79:853), so intervals are slightly too narrow for small data.
    ``org_mean`` = ``x_ref' b``. ``effect`` = ``u_w`` (= ``adjusted - org_mean``) and ``effect_se``
    = ``sqrt(sigma2 [C^-1]_ww)``, the prediction error of the worker effect alone (the diagonal of
    the inverse coefficient matrix for the random effect; Henderson, 1975): what
    :func:`recognition_lists` tests against 0. Fallbacks: raw mean minus the mean with the raw
    (cluster-robust) SE; fixed effects: the OLS SE of the worker's adjusted score.

    ``engine``: who estimates the REML variance components. ``"auto"``/``"mme"`` (default) - the one door,
    :func:`helpers.stats.mixed.fit` (profiled REML on Henderson's equations, exact-gradient search, the
    recipient factor absorbed) at every size, so the result does not depend on the data's size nor on the
    computer's BLAS kernel (statsmodels' L-BFGS stopped short of the optimum on some kernels:
    tests/test_mixed_door.py fits under two OpenBLAS kernels); ``"statsmodels"`` - ``MixedLM``'s variance
    components, the second implementation kept for the cross-checks. The engine is named in ``model``.

    Fallbacks, always stated in ``model``: one interviewer -> worker random intercept only; a
    variance estimated at 0 -> that factor dropped (worker at 0: every worker at the mean);
    non-convergence or a failure -> worker fixed effects (OLS, no shrinkage); one worker or no
    residual degrees of freedom -> raw mean. ``method="raw"``: adjusted = raw.

    Interval bounds are clipped to the 0-100 range of the scores.

    ``flag`` is True when ``n < min_n`` (default 5): too few interviews to judge the worker.

    ``adjusted_note``: ``"at_mean"`` when the worker variance is estimated at 0 (every adjusted score and
    interval is the organisation mean's), ``"few_workers"`` when the table (a year) has fewer than
    ``MIN_WORKERS_ADJUSTED`` = 10 workers (the worker variance, which sets the shrinkage, rests on a handful of
    workers); the reviewer's table and figures then show raw means with their own intervals
    (:func:`helpers.narrative.scoring.adjusted_note_sentence` says why). On the demo's 2018 (4 workers, 35
    interviews) all four workers had the "95% CI" [89.95, 96.76], the mean's, which missed W03's planted 97.54.

    ``contrast, contrast_se, contrast_df, contrast_p``: each worker against the mean of the other workers with
    the workers as fixed effects (Satterthwaite t), the test of :func:`recognition_lists`.
    """
    if measure not in scored.columns:
        raise KeyError(f"{measure!r} is not a column of the scored frame")
    reference = {**DEFAULT_REFERENCE, **(reference or {})}
    d = scored.dropna(subset=[measure, "worker_id"])
    d = d[d["worker_id"].astype(str) != ""]
    out = []
    if pooled:
        t = _one_table(d, measure, method, ["role", "mode", "year"], reference, min_n, ci, engine, recipients)
        t.insert(1, "year", pd.array([pd.NA] * len(t), dtype="Int64"))
        out.append(t)
    else:
        for year, g in d.groupby("year"):
            t = _one_table(g, measure, method, ["role", "mode"], reference, min_n, ci, engine, recipients)
            t.insert(1, "year", pd.array([int(year)] * len(t), dtype="Int64"))
            out.append(t)
    cols = ["worker_id", "year", "measure", "n", "raw_mean", "raw_ci_low", "raw_ci_high", "adjusted", "ci_low",
            "ci_high", "flag", "org_mean", "model", "model_kind", "var_worker", "var_interviewer", "var_residual",
            "n_recipients", "var_recipient", "effect", "effect_se", "contrast", "contrast_se", "contrast_df",
            "contrast_p", "adjusted_note"]
    if not out:
        return pd.DataFrame(columns=cols)
    res = pd.concat(out, ignore_index=True)
    res["measure"] = measure
    res["n"] = res["n"].astype("int64")
    res["n_recipients"] = res["n_recipients"].astype("int64")
    return res[cols]


def worker_domain_scores(scored: pd.DataFrame, codebook: Codebook | None = None, **kwargs) -> pd.DataFrame:
    """:func:`worker_scores` of every domain with a positive composite weight and of the composite (long)."""
    cb = codebook or load_codebook()
    measures = [d for d, w in cb.composite_weights.items() if w > 0 and d in scored] + ["composite"]
    return pd.concat([worker_scores(scored, measure=m, **kwargs) for m in measures], ignore_index=True)


def _multiplicity(p: pd.Series, method: str) -> pd.Series:
    """Adjusted p-values within one family (Holm by :func:`helpers.stats.comparisons.holm`, other methods by
    statsmodels ``multipletests``); NaN stays NaN."""
    out = pd.Series(np.nan, index=p.index)
    ok = p.notna()
    if method == "none":
        out[ok] = p[ok]
    elif ok.any() and method == "holm":  # multipletests' Holm calls gc.collect() (0.1 s in a notebook kernel)
        out[ok] = holm(p[ok].to_numpy())
    elif ok.any():
        from statsmodels.stats.multitest import multipletests

        out[ok] = multipletests(p[ok].to_numpy(), method=method)[1]
    return out


def _effect_p(effect: pd.Series, se: pd.Series) -> pd.Series:
    """Two-sided normal p-value of ``effect / se``; an effect of exactly 0 (worker shrunk to the mean) gets p = 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (effect / se).to_numpy(dtype=float)
    p = 2 * stats.norm.sf(np.abs(z))
    p = np.where((effect.to_numpy(dtype=float) == 0) & ~np.isfinite(z), 1.0, p)
    return pd.Series(p, index=effect.index)


def recognition_lists(worker_table: pd.DataFrame, alpha: float = 0.05, method: str = "holm",
                      family: tuple[str, ...] = ("year", "measure")) -> pd.DataFrame:
    """Workers who differ from **the mean of the other workers** - above (recognition) or below (concern) - with
    multiplicity control across the workers compared.

    **Test per worker** (columns ``contrast*`` of :func:`worker_scores`, from ``_worker_contrasts``): the workers
    are **fixed** effects, interviewer and recipient random intercepts (role and mode fixed), REML by the one
    door :func:`helpers.stats.mixed.fit`; ``c_w = a_w - mean_{v != w} a_v`` with ``se_w = sqrt(L' Cov(b) L)``
    and ``t_w = c_w / se_w`` on **Satterthwaite's degrees of freedom** (Satterthwaite, 1946; Giesbrecht & Burns,
    1985; :func:`helpers.stats.mixed_inference.satterthwaite`), ``p = 2 P(T_df > |t_w|)``. Under "worker ``w``
    is like the others" ``t_w`` is Student t whatever the worker's number of interviews, so the printed ``p``
    is a p-value. Assumptions: normal errors on the 0-100 score (the ceiling makes them skewed; checked by
    simulation with ordinal answers at the ceiling in ``tests/test_worker_verdicts.py`` and
    ``benchmarks/bench_verdicts_workers.py``: null statistic variance about 1, family-wise error below
    ``alpha``), one residual variance for all workers, interviewer and recipient effects independent of the
    worker. Previously the list tested the BLUP over its prediction error, ``u_w / sqrt(PEV)``: under the null
    its variance is the worker's reliability (0.57 measured), not 1, so its "p" was not a p-value and workers
    with few interviews could hardly be listed; that statistic remains only for tables without the contrast
    columns (older tables, hand-made ones, ``method="raw"``), named in column ``test`` (``contrast_t`` /
    ``effect_z``).

    p-values are adjusted within each ``family`` (default: one year and one measure - the 15 workers of a
    year's composite are one family) by ``method``:

    - ``"holm"`` (default; Holm, 1979, *Scand. J. Statist.* 6:65): the probability that **any** worker who
      is truly like the others is listed is at most ``alpha`` (strong control of the family-wise error rate,
      under any dependence between the workers' tests). Chosen because a listing is a decision about a named
      person (an award or corrective measures): one false listing already harms someone;
    - ``"fdr_bh"`` (Benjamini & Hochberg, 1995, *JRSS B* 57:289): controls the expected share of false listings
      among the listed; ``"bonferroni"``; ``"none"``.

    A worker is listed when the adjusted p-value is below ``alpha``; never by rank alone (Goldstein &
    Spiegelhalter, 1996, *JRSS A* 159:385). The SE treats the variance components as known (Kackar & Harville,
    1984); their uncertainty enters through the degrees of freedom only.

    Columns: ``list, worker_id, year, measure, n, n_recipients, raw_mean, raw_ci_low, raw_ci_high,
    adjusted, ci_low, ci_high, org_mean, effect, effect_se, contrast, contrast_se, contrast_df, test, p,
    p_adjusted, n_compared, method, alpha, flag, model, model_kind, adjusted_note``; ``method``, ``alpha`` and
    ``n_compared`` say what is controlled (worded by :func:`helpers.narrative.scoring.multiplicity_sentence`,
    the evidence beside each name by :func:`helpers.narrative.scoring.evidence_sentence`).
    """
    t = worker_table.copy()
    if "effect" not in t or "effect_se" not in t:
        t["effect"] = t["adjusted"] - t["org_mean"]
        t["effect_se"] = (t["ci_high"] - t["ci_low"]) / (2 * stats.norm.ppf(0.975))
    if "n_recipients" not in t:
        t["n_recipients"] = pd.array([pd.NA] * len(t), dtype="Int64")
    for c in ("contrast", "contrast_se", "contrast_df"):
        if c not in t:
            t[c] = np.nan
    has = t["contrast_se"].notna() & (t["contrast_se"] > 0) & t["contrast_df"].notna()
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = (t["contrast"] / t["contrast_se"]).to_numpy(dtype=float)
    t["p"] = np.where(has, 2 * stats.t.sf(np.abs(stat), t["contrast_df"].to_numpy(dtype=float)),
                      _effect_p(t["effect"], t["effect_se"]))
    t["test"] = np.where(has, "contrast_t", "effect_z")
    sign = np.where(has, t["contrast"], t["effect"])
    keys = [k for k in family if k in t.columns]
    t["p_adjusted"] = np.nan
    t["n_compared"] = 0
    groups = t.groupby(keys, dropna=False).groups.items() if keys else [((), t.index)]
    for _, idx in groups:
        t.loc[idx, "p_adjusted"] = _multiplicity(t.loc[idx, "p"], method)
        t.loc[idx, "n_compared"] = int(t.loc[idx, "p"].notna().sum())
    t["method"], t["alpha"] = method, float(alpha)
    hit = t["p_adjusted"] < alpha
    t["list"] = np.where(hit & (sign > 0), "recognition", np.where(hit & (sign < 0), "concern", ""))
    t = t[t["list"] != ""].copy()
    if "model_kind" not in t:
        t["model_kind"] = ""
    if "adjusted_note" not in t:
        t["adjusted_note"] = ""
    t["_order"] = np.where(t["list"] == "recognition", -t["adjusted"], t["adjusted"])
    t = t.sort_values(["list", "measure", "year", "_order"], ascending=[False, True, True, True])
    cols = ["list", "worker_id", "year", "measure", "n", "n_recipients", "raw_mean", "raw_ci_low", "raw_ci_high",
            "adjusted", "ci_low", "ci_high", "org_mean", "effect", "effect_se", "contrast", "contrast_se",
            "contrast_df", "test", "p", "p_adjusted", "n_compared", "method", "alpha", "flag", "model", "model_kind",
            "adjusted_note"]
    return t[cols].reset_index(drop=True)


def organisation_means(scored: pd.DataFrame, strata: pd.DataFrame, codebook: Codebook | None = None,
                       material: float = 1.0) -> pd.DataFrame:
    """Per year: organisation-level mean of every domain and the composite, and the top-box share of the
    composite (every item best), design-weighted and unweighted side by side (:func:`weighted_vs_unweighted`,
    recipients as clusters). Shares are in percent. Columns: ``year, statistic`` (``mean`` or
    ``top_box_share``) + those of
    :func:`weighted_vs_unweighted`.
    """
    cb = codebook or load_codebook()
    measures = [d for d in cb.domains if d in scored and scored[d].notna().any()] + ["composite"]
    out = []
    for year, g in scored.groupby("year"):
        roster = strata[strata["year"] == year]
        means = [m for m in measures if g[m].notna().any()]
        t = weighted_vs_unweighted(g, means, roster, material=material)
        t.insert(0, "statistic", "mean")
        top = g.assign(composite_top_box=(g["composite"] >= 100 - 1e-9).astype(float).where(g["composite"].notna()))
        s = weighted_vs_unweighted(top, ["composite_top_box"], roster, material=material, share=True)
        s.insert(0, "statistic", "top_box_share")
        out += [t.assign(year=int(year)), s.assign(year=int(year))]
    res = pd.concat(out, ignore_index=True)
    return res[["year", *[c for c in res.columns if c != "year"]]]


# --------------------------------------------------------------------------------------------
# psychometric table
# --------------------------------------------------------------------------------------------
def psychometric_table(interviews: pd.DataFrame, codebook: Codebook | None = None, by: str | None = "role",
                       min_share: float = 0.5, alpha_min: float = 0.7, ceiling_max: float = 0.8) -> pd.DataFrame:
    """Internal consistency and ceiling of every domain, overall and per ``by`` group (interviewer role).

    Per domain (items asked in the interviews given; pass one year, or pooled years) and group:
    ``k`` items, ``n`` complete interviews, Cronbach's alpha with the Feldt 95% CI, McDonald's
    omega total, the lowest corrected item-total correlation, the floor / ceiling share of the
    domain score (share of interviews at 0 / 100) and the mean item top-box share. ``warning``
    holds the code of every problem, ``;``-separated: ``alpha_low`` (alpha below ``alpha_min``, 0.7),
    ``ceiling_high`` (ceiling share above ``ceiling_max``, 80%), ``alpha_undefined`` /
    ``omega_undefined`` (the reason codes in ``alpha_reason`` / ``omega_reason``); ``alpha_min`` and
    ``ceiling_max`` are columns too, so :func:`helpers.narrative.scoring.psychometric_warnings` can
    word them. Items are the 0-100 item scores.
    """
    cb = codebook or load_codebook()
    items = item_scores(interviews, cb)
    doms = score_interviews(interviews, cb, min_share)
    groups = [("all", interviews.index)]
    if by is not None and by in interviews:
        groups += [(str(k), idx) for k, idx in interviews.groupby(by).groups.items()]
    rows = []
    for d in cb.domains:
        cols = [i for i in cb.items_in_domain(d) if i in items and items[i].notna().any()]
        if len(cols) < 2:
            continue
        for g, idx in groups:
            x = items.loc[idx, cols].dropna(axis=1, how="all")
            a = cronbach_alpha(x)
            o = mcdonald_omega(x)
            itc = corrected_item_total(x)
            fc = floor_ceiling(doms.loc[idx, d]).iloc[0]
            top = float(np.nanmean([(x[c].dropna() >= 100).mean() for c in x.columns])) if x.shape[1] else np.nan
            warn = []
            if np.isnan(a.estimate):
                warn.append("alpha_undefined")
            elif a.estimate < alpha_min:
                warn.append("alpha_low")
            if fc["ceiling_share"] > ceiling_max:
                warn.append("ceiling_high")
            if np.isnan(o.estimate):
                warn.append("omega_undefined")
            rows.append({"domain": d, "group": g, "k": x.shape[1], "n": a.n, "alpha": a.estimate,
                         "alpha_ci_low": a.ci_low, "alpha_ci_high": a.ci_high, "omega": o.estimate,
                         "min_item_total_r": float(itc.min()) if itc.notna().any() else np.nan,
                         "n_scores": int(fc["n"]), "floor_share": fc["floor_share"], "ceiling_share": fc["ceiling_share"],
                         "item_top_box": top, "warning": ";".join(warn), "alpha_reason": a.reason,
                         "omega_reason": o.reason if np.isnan(o.estimate) else "", "alpha_min": alpha_min,
                         "ceiling_max": ceiling_max})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# artefacts shared by the notebooks (computed once per run through ``study.artefact``)
# --------------------------------------------------------------------------------------------
def worker_tables(study, years: list[int] | None = None, pooled: bool = False, min_n: int = 5) -> dict[str, pd.DataFrame]:
    """The worker models of one report, for ``study.artefact("scoring.workers", worker_tables, ...)``:
    ``composite`` (:func:`worker_scores`) and ``domains`` (:func:`worker_domain_scores`, the composite
    included) of the scored interviews of ``years``, fitted once per run."""
    scored = study.scored(years)
    cb = study.codebook
    domains = worker_domain_scores(scored, cb, min_n=min_n, pooled=pooled)
    composite = domains[domains["measure"] == "composite"].reset_index(drop=True)
    return {"composite": composite, "domains": domains}
