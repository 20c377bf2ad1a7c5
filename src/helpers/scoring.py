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
- :func:`recognition_lists` - workers whose adjusted interval lies wholly above / below the
  organisation mean, with the evidence.
- :func:`psychometric_table` - alpha (Feldt CI), omega, item-total r, floor/ceiling per domain
  and interviewer role, with warnings.
- re-exported: :func:`cronbach_alpha`, :func:`mcdonald_omega`, :func:`corrected_item_total`,
  :func:`floor_ceiling` (from :mod:`helpers.psychometrics`); :func:`weighted_mean`,
  :func:`weighted_share`, :func:`design_weights`, :func:`weighted_vs_unweighted`
  (from :mod:`helpers.survey`).

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
from scipy import sparse, stats

from helpers.codebook import Codebook, load_codebook
from helpers.psychometrics import (
    AlphaResult,
    OmegaResult,
    corrected_item_total,
    cronbach_alpha,
    floor_ceiling,
    mcdonald_omega,
)
from helpers.survey import (
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
    "psychometric_table",
    "organisation_means",
    "caterpillar_plot",
    "domain_heatmap",
    "diverging_item_bars",
    "recovery_plot",
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
    return np.column_stack([np.isin(year, cb.items[i].years) for i in items]) if items else np.zeros((len(year), 0), bool)


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


def _domain_arrays(interviews: pd.DataFrame, cb: Codebook, min_share: float):
    """Per domain: (score, reason) arrays. reason: '' | 'not_asked' | 'none_answered' | 'below_min_share'."""
    out = {}
    for d in cb.domains:
        items = cb.items_in_domain(d)
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


def score_interviews(interviews: pd.DataFrame, codebook: Codebook | None = None, min_share: float = 0.5) -> pd.DataFrame:
    """Domain scores and the composite quality index of every interview.

    - Item score: 0-100, see the module docstring (100 = best answer; reverse-keyed items handled).
    - Domain score: mean of the answered items of the domain among the items asked that year,
      when at least ``min_share`` of them are answered; otherwise ``NaN`` (the reason is counted by
      :func:`domain_missing_reasons`). Don't know / refused / blank are not answers.
    - ``composite``: weighted mean of the domain scores with the codebook's composite weights
      (COVID-19 safety has weight 0, so 2018-2021 stay comparable). ``NaN`` when any domain with a
      positive weight is ``NaN`` - a composite is never computed from a subset of the domains.

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
    doms = _domain_arrays(interviews, cb, min_share)
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


def answer_distribution(interviews: pd.DataFrame, codebook: Codebook | None = None, lang: str = "en") -> pd.DataFrame:
    """Counts and shares of every answer of every item (for diverging stacked bars).

    ``rank`` orders the substantive answers from worst (1) to best (K) in the item's scoring
    direction (reverse-keyed items flipped), so bars of all items read the same way; don't
    know / refused have ``rank`` 0 and are reported beside the bars, not inside them. Shares are of
    the answered (substantive) answers. Columns: ``item, item_label, domain, code, label, rank,
    n_ranks, n, share``.
    """
    cb = codebook or load_codebook()
    rows = []
    for item in cb.item_codes:
        if item not in interviews.columns:
            continue
        code = _codes(interviews, item)
        asked = _asked(interviews, cb, [item])[:, 0]
        code = code[asked]
        scale = cb.scale_of(item)
        subst = sorted(scale.codes)
        n_sub = int(np.isin(code, subst).sum())
        for c in [*subst, *sorted(scale.missing)]:
            n = int((code == c).sum())
            if c in scale.codes:
                pos = subst.index(c) + 1
                rank = len(subst) + 1 - pos if cb.items[item].reverse else pos
            else:
                rank = 0
            rows.append({"item": item, "item_label": cb.item_label(item, lang), "domain": cb.items[item].domain,
                         "code": c, "label": scale.label(c, lang), "rank": rank, "n_ranks": len(subst), "n": n,
                         "share": n / n_sub if (rank and n_sub) else np.nan})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# worker scores: raw and rater-adjusted (linear mixed model)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Fit:
    adjusted: pd.Series  # by worker
    se: pd.Series  # sqrt of prediction error variance, by worker
    org_mean: float
    model: str
    var_worker: float = np.nan
    var_interviewer: float = np.nan
    var_residual: float = np.nan


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


def _indicator(codes: np.ndarray, k: int) -> sparse.csr_array:
    n = len(codes)
    return sparse.csr_array((np.ones(n), (np.arange(n), codes)), shape=(n, k))


def _henderson(y, X, Zs, variances, sigma2, x_ref, n_workers):
    """BLUE of beta, BLUP of the random effects and the prediction error variance of x_ref'b + u_w.

    Henderson's mixed-model equations (Henderson, 1975, *Biometrics* 31:423):
    ``C = [[X'X, X'Z], [Z'X, Z'Z + sigma2 G^-1]]``, ``C [b; u] = [X'y; Z'y]``,
    ``Var([b - beta; u_hat - u]) = sigma2 C^-1``. The first random factor must be the worker.
    """
    Z = sparse.hstack(Zs, format="csr")
    dinv = np.concatenate([np.full(z.shape[1], sigma2 / v) for z, v in zip(Zs, variances, strict=True)])
    p = X.shape[1]
    ztx = np.asarray(Z.T @ X)
    top = np.hstack([X.T @ X, ztx.T])
    bottom = np.hstack([ztx, (Z.T @ Z).toarray() + np.diag(dinv)])
    C = np.vstack([top, bottom])
    rhs = np.concatenate([X.T @ y, Z.T @ y])
    Cinv = np.linalg.inv(C)
    sol = Cinv @ rhs
    beta, u = sol[:p], sol[p:]
    A, B = Cinv[:p, :p], Cinv[:p, p:p + n_workers]
    Dw = np.diag(Cinv)[p:p + n_workers]
    if n_workers == 0:  # only the standard error of the population mean x_ref'b
        return beta, u, float(np.sqrt(sigma2 * x_ref @ A @ x_ref))
    pev = sigma2 * (x_ref @ A @ x_ref + 2 * (x_ref @ B) + Dw)
    return beta, u, np.sqrt(np.clip(pev, 0, None))


def _reml_mme(y: np.ndarray, X: np.ndarray, Zs: list) -> tuple[float, np.ndarray, bool, float]:
    """REML variance components of ``y = X b + sum_k Z_k u_k + e`` from Henderson's equations.

    Hand-written because statsmodels ``MixedLM`` (variance-components path), although correct,
    needs minutes for 1,000 workers x 200 interviewers (measured in benchmarks/bench_scoring.py);
    cross-checked against statsmodels in tests/test_scoring.py. With ``lambda_k = sigma2 / s2_k``,
    ``C = [[X'X, X'Z], [Z'X, Z'Z + diag(lambda)]]`` and ``Q = y'y - [b; u]'[X'y; Z'y]``, the
    profiled REML criterion is (Harville, 1977, *JASA* 72:320; Searle, Casella & McCulloch, 1992,
    *Variance Components*, ch. 6)
    ``-2 l_R = (n - p) log(Q / (n - p)) + sum_k q_k log(1 / lambda_k) + log|C| + const``,
    minimised over ``log(s2_k / sigma2)`` (Nelder-Mead from 0.22, then an L-BFGS-B polish); only cross-products
    enter, so the cost does not grow with the number of interviews. Returns
    ``(sigma2, s2_k, converged, -2 l_R)``.
    """
    from scipy import linalg, optimize

    Z = sparse.hstack(Zs, format="csr")
    sizes = [z.shape[1] for z in Zs]
    n, p = X.shape
    xtx, ztx = X.T @ X, np.asarray(Z.T @ X)
    ztz = (Z.T @ Z).toarray()
    rhs = np.concatenate([X.T @ y, Z.T @ y])
    yty = float(y @ y)
    C0 = np.block([[xtx, ztx.T], [ztx, ztz]])
    diag_idx = np.arange(p, p + sum(sizes))

    def crit(rho: np.ndarray) -> float:
        lam = np.concatenate([np.full(q, np.exp(-r)) for q, r in zip(sizes, rho, strict=True)])
        C = C0.copy()
        C[diag_idx, diag_idx] += lam
        try:
            factor = linalg.cho_factor(C, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return np.inf
        sol = linalg.cho_solve(factor, rhs, check_finite=False)
        Q = yty - sol @ rhs
        if not Q > 0:
            return np.inf
        logdet = 2 * np.log(np.diag(factor[0])).sum()
        return (n - p) * np.log(Q / (n - p)) + sum(q * r for q, r in zip(sizes, rho, strict=True)) + logdet

    bounds = [(-15.0, 8.0)] * len(Zs)
    best = optimize.minimize(crit, np.full(len(Zs), -1.5), method="Nelder-Mead",
                             options={"xatol": 1e-4, "fatol": 1e-7, "maxiter": 2000})
    polish = optimize.minimize(crit, np.clip(best.x, -15, 8), method="L-BFGS-B", bounds=bounds)
    res = polish if polish.fun <= best.fun else best
    rho = np.clip(res.x, -15, 8)
    lam = np.concatenate([np.full(q, np.exp(-r)) for q, r in zip(sizes, rho, strict=True)])
    C = C0.copy()
    C[diag_idx, diag_idx] += lam
    sol = np.linalg.solve(C, rhs)
    sigma2 = float((yty - sol @ rhs) / (n - p))
    s2 = sigma2 * np.exp(rho)
    s2[rho <= -14.9] = 0.0  # at the lower bound: variance component estimated at 0
    return sigma2, s2, bool(best.success or polish.success), float(res.fun)


def _fit_mixed(d: pd.DataFrame, measure: str, terms: list[str], reference: dict, engine: str) -> _Fit:
    from statsmodels.regression.mixed_linear_model import MixedLM, VCSpec

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
    q = sum(m for _, _, m in factors)
    if engine == "auto":
        engine = "statsmodels" if (len(y) <= 5_000 and q <= 300) else "mme"
    if engine == "statsmodels":
        vc = VCSpec(
            [f for f, _, _ in factors],
            [[[f"{f}{k}" for k in range(m)]] for f, _, m in factors],
            [[_indicator(c, m)] for _, c, m in factors],
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = MixedLM(y, X, groups=np.zeros(len(y)), exog_vc=vc).fit(reml=True, method=["lbfgs", "bfgs", "nm"])
        if not res.converged:
            raise RuntimeError("REML did not converge")
        sigma2 = float(res.scale)
        vcomp = dict(zip([f for f, _, _ in factors], np.asarray(res.vcomp, dtype=float), strict=True))
        engine_name = "REML, statsmodels MixedLM"
    elif engine == "mme":
        caught = []
        sigma2, s2, ok, _ = _reml_mme(y, X, [_indicator(c, m) for _, c, m in factors])
        if not ok:
            raise RuntimeError("REML did not converge")
        vcomp = dict(zip([f for f, _, _ in factors], s2, strict=True))
        engine_name = "REML, Henderson's equations (helpers.scoring._reml_mme)"
    else:
        raise ValueError("engine must be 'auto', 'statsmodels' or 'mme'")
    tol = 1e-6 * sigma2
    kept = [(f, c, m) for f, c, m in factors if vcomp[f] > tol]
    for f, _, _ in factors:
        if vcomp[f] <= tol:
            notes.append(f"{f} variance estimated at 0 (boundary)")
    bound = [str(w.message)[:80] for w in caught if "boundary" in str(w.message).lower()]
    if bound and not any("boundary" in n for n in notes):
        notes.append("fit near the boundary of the parameter space")
    desc = "random intercepts " + (" + ".join(f for f, _, _ in factors)) + (" (crossed)" if len(factors) == 2 else "")
    model = f"mixed ({engine_name}): {desc}; fixed: {fixed}"
    if notes:
        model += "; " + "; ".join(notes)
    if not kept or kept[0][0] != "worker":
        # no between-worker variance: every worker's adjusted score is the population mean
        if kept:
            Zs = [_indicator(c, m) for _, c, m in kept]
            beta, _, se_mean = _henderson(y, X, Zs, [vcomp[f] for f, _, _ in kept], sigma2, x_ref, 0)
        else:
            beta = np.linalg.lstsq(X, y, rcond=None)[0]
            se_mean = float(np.sqrt(sigma2 * x_ref @ np.linalg.pinv(X.T @ X) @ x_ref))
        org = float(x_ref @ beta)
        return _Fit(pd.Series(org, index=workers), pd.Series(se_mean, index=workers), org,
                    model + "; every worker shrunk to the mean", vcomp.get("worker", np.nan),
                    vcomp.get("interviewer", np.nan), sigma2)
    Zs = [_indicator(c, m) for _, c, m in kept]
    beta, u, se = _henderson(y, X, Zs, [vcomp[f] for f, _, _ in kept], sigma2, x_ref, len(workers))
    org = float(x_ref @ beta)
    return _Fit(pd.Series(org + u[: len(workers)], index=workers), pd.Series(se, index=workers), org, model,
                vcomp.get("worker", np.nan), vcomp.get("interviewer", 0.0), sigma2)


def _fit_fixed(d: pd.DataFrame, measure: str, terms: list[str], reference: dict) -> _Fit:
    """Fallback: OLS with worker fixed effects (no shrinkage, interviewer leniency not removed)."""
    y = d[measure].to_numpy(dtype="float64")
    workers, w_codes = np.unique(d["worker_id"].astype(str).to_numpy(), return_inverse=True)
    X0, x_ref, xnames, notes = _fixed_design(d, terms, reference)
    W = _indicator(w_codes, len(workers)).toarray()
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
                "; ".join([model, *notes]), var_residual=sigma2)


def _raw_table(d: pd.DataFrame, measure: str, ci: float) -> pd.DataFrame:
    g = d.groupby(d["worker_id"].astype(str))[measure]
    t = pd.DataFrame({"n": g.size(), "raw_mean": g.mean(), "raw_sd": g.std(ddof=1)})
    q = stats.t.ppf(0.5 + ci / 2, (t["n"] - 1).clip(lower=1))
    half = np.where(t["n"] > 1, q * t["raw_sd"] / np.sqrt(t["n"]), np.nan)
    t["raw_ci_low"], t["raw_ci_high"] = t["raw_mean"] - half, t["raw_mean"] + half
    return t.drop(columns="raw_sd")


def _one_table(d, measure, method, terms, reference, min_n, ci, engine):
    raw = _raw_table(d, measure, ci)
    fit = None
    reasons = []
    if method == "mixed":
        if raw.shape[0] < 2:
            reasons.append("one worker: nothing to compare")
        else:
            try:
                fit = _fit_mixed(d, measure, terms, reference, engine)
            except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
                reasons.append(f"mixed model failed ({exc})")
                try:
                    fit = _fit_fixed(d, measure, terms, reference)
                    fit = _Fit(fit.adjusted, fit.se, fit.org_mean, "fallback to " + fit.model + " - " + "; ".join(reasons),
                               var_residual=fit.var_residual)
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
        t["var_worker"] = t["var_interviewer"] = t["var_residual"] = np.nan
    else:
        t["adjusted"] = fit.adjusted.reindex(t.index)
        se = fit.se.reindex(t.index)
        t["ci_low"], t["ci_high"] = t["adjusted"] - z * se, t["adjusted"] + z * se
        t["org_mean"] = fit.org_mean
        t["model"] = fit.model
        t["var_worker"], t["var_interviewer"], t["var_residual"] = fit.var_worker, fit.var_interviewer, fit.var_residual
    for c in ("raw_ci_low", "raw_ci_high", "ci_low", "ci_high"):
        t[c] = t[c].clip(lower=0.0, upper=100.0)  # the score scale is bounded
    t["flag"] = t["n"] < min_n
    return t.reset_index(names="worker_id")


def worker_scores(
    scored: pd.DataFrame,
    method: str = "mixed",
    measure: str = "composite",
    min_n: int = 5,
    pooled: bool = False,
    ci: float = 0.95,
    reference: dict | None = None,
    engine: str = "auto",
) -> pd.DataFrame:
    """Score of each social worker: raw mean and rater-adjusted score, side by side, with intervals.

    ``scored`` is the output of :func:`score_interviews`; ``measure`` a domain or ``composite``.
    One row per worker and year (``pooled=False``) or per worker over all years (``pooled=True``,
    ``year`` = <NA>). Columns: ``worker_id, year, measure, n, raw_mean, raw_ci_low, raw_ci_high,
    adjusted, ci_low, ci_high, flag, org_mean, model, var_worker, var_interviewer, var_residual``.

    Raw: mean of the worker's interview scores, t interval (``NaN`` when n = 1).

    Adjusted (``method="mixed"``): linear mixed model (REML; statsmodels ``MixedLM`` in the
    variance-components formulation - one group, sparse indicator matrices - which gives
    *crossed* random intercepts)::

        score = b0 + role + mode (+ year, pooled) + u_worker + v_interviewer + e

    ``adjusted = x_ref' b + u_w``: the population mean at the reference role and mode (default
    volunteer, in person; pooled: the equal-weight average of the years) plus the worker's BLUP,
    which is shrunk towards 0 when the worker has few interviews. Interviewer leniency ``v`` is
    removed. ``b`` and ``u`` are computed from Henderson's mixed-model equations at the REML
    variance components; the interval is ``adjusted +/- z sqrt(PEV)`` with the prediction error
    variance ``PEV = sigma2 c' C^-1 c``, ``c = (x_ref, e_w)`` (Henderson, 1975, *Biometrics* 31:423).
    Approximation: the variance components are treated as known (their uncertainty is ignored,
    Kackar & Harville, 1984, *JASA* 79:853), so intervals are slightly too narrow for small data.
    ``org_mean`` = ``x_ref' b``.

    ``engine``: who estimates the REML variance components. ``"statsmodels"`` - ``MixedLM``;
    ``"mme"`` - a hand-written REML on Henderson's equations (same criterion; cross-checked
    against statsmodels in the tests), used because statsmodels needs minutes at 1,000 workers x
    200 interviewers; ``"auto"`` (default) - statsmodels up to 5,000 interviews and 300 workers +
    interviewers (every real year), ``"mme"`` above. The engine is named in ``model``.

    Fallbacks, always stated in ``model``: one interviewer -> worker random intercept only; a
    variance estimated at 0 -> that factor dropped (worker at 0: every worker at the mean);
    non-convergence or a failure -> worker fixed effects (OLS, no shrinkage); one worker or no
    residual degrees of freedom -> raw mean. ``method="raw"``: adjusted = raw.

    Interval bounds are clipped to the 0-100 range of the scores.

    ``flag`` is True when ``n < min_n`` (default 5): too few interviews to judge the worker.
    """
    if measure not in scored.columns:
        raise KeyError(f"{measure!r} is not a column of the scored frame")
    reference = {**DEFAULT_REFERENCE, **(reference or {})}
    d = scored.dropna(subset=[measure, "worker_id"])
    d = d[d["worker_id"].astype(str) != ""]
    out = []
    if pooled:
        t = _one_table(d, measure, method, ["role", "mode", "year"], reference, min_n, ci, engine)
        t.insert(1, "year", pd.array([pd.NA] * len(t), dtype="Int64"))
        out.append(t)
    else:
        for year, g in d.groupby("year"):
            t = _one_table(g, measure, method, ["role", "mode"], reference, min_n, ci, engine)
            t.insert(1, "year", pd.array([int(year)] * len(t), dtype="Int64"))
            out.append(t)
    cols = ["worker_id", "year", "measure", "n", "raw_mean", "raw_ci_low", "raw_ci_high", "adjusted", "ci_low",
            "ci_high", "flag", "org_mean", "model", "var_worker", "var_interviewer", "var_residual"]
    if not out:
        return pd.DataFrame(columns=cols)
    res = pd.concat(out, ignore_index=True)
    res["measure"] = measure
    res["n"] = res["n"].astype("int64")
    return res[cols]


def worker_domain_scores(scored: pd.DataFrame, codebook: Codebook | None = None, **kwargs) -> pd.DataFrame:
    """:func:`worker_scores` of every domain with a positive composite weight and of the composite (long)."""
    cb = codebook or load_codebook()
    measures = [d for d, w in cb.composite_weights.items() if w > 0 and d in scored] + ["composite"]
    return pd.concat([worker_scores(scored, measure=m, **kwargs) for m in measures], ignore_index=True)


def recognition_lists(worker_table: pd.DataFrame) -> pd.DataFrame:
    """Workers whose adjusted interval lies wholly above (recognition) or below (concern) the organisation mean.

    The organisation mean is ``org_mean`` of the worker table (the model's population mean at
    the reference role and mode, the centre of the adjusted scores). A worker is listed only when
    the whole 95% interval of the adjusted score is above / below it - never by rank alone. The
    interval also carries the uncertainty of the mean, so the rule is slightly conservative.
    Evidence beside each name: n, raw mean with interval, adjusted with interval, the model and
    the small-n flag. Columns: ``list, worker_id, year, measure, n, raw_mean, raw_ci_low,
    raw_ci_high, adjusted, ci_low, ci_high, org_mean, flag, model, evidence``.
    """
    t = worker_table.copy()
    above = t["ci_low"] > t["org_mean"]
    below = t["ci_high"] < t["org_mean"]
    t["list"] = np.where(above, "recognition", np.where(below, "concern", ""))
    t = t[t["list"] != ""].copy()
    t["evidence"] = [
        f"n={r.n}; raw {r.raw_mean:.1f} [{r.raw_ci_low:.1f}, {r.raw_ci_high:.1f}]; adjusted {r.adjusted:.1f} "
        f"[{r.ci_low:.1f}, {r.ci_high:.1f}] vs organisation mean {r.org_mean:.1f}" + ("; few interviews" if r.flag else "")
        for r in t.itertuples()
    ]
    t["_order"] = np.where(t["list"] == "recognition", -t["adjusted"], t["adjusted"])
    t = t.sort_values(["list", "measure", "year", "_order"], ascending=[False, True, True, True])
    cols = ["list", "worker_id", "year", "measure", "n", "raw_mean", "raw_ci_low", "raw_ci_high", "adjusted",
            "ci_low", "ci_high", "org_mean", "flag", "model", "evidence"]
    return t[cols].reset_index(drop=True)


def organisation_means(scored: pd.DataFrame, strata: pd.DataFrame, codebook: Codebook | None = None,
                       material: float = 1.0) -> pd.DataFrame:
    """Per year: organisation-level mean of every domain and the composite, and the top-box share of the
    composite (every item best), design-weighted and unweighted side by side (:func:`weighted_vs_unweighted`,
    recipients as clusters). Shares are in percent. Columns: ``year, statistic`` + those of
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
        s.insert(0, "statistic", "top-box share (%)")
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
    names every problem: alpha below ``alpha_min`` (0.7), ceiling share above ``ceiling_max``
    (80%), or an undefined statistic (with the reason). Items are the 0-100 item scores.
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
                warn.append(f"alpha undefined: {a.note}")
            elif a.estimate < alpha_min:
                warn.append(f"alpha {a.estimate:.2f} < {alpha_min}")
            if fc["ceiling_share"] > ceiling_max:
                warn.append(f"ceiling {fc['ceiling_share']:.0%} > {ceiling_max:.0%}")
            if o.note and np.isnan(o.estimate):
                warn.append(f"omega undefined: {o.note}")
            rows.append({"domain": d, "group": g, "k": x.shape[1], "n": a.n, "alpha": a.estimate,
                         "alpha_ci_low": a.ci_low, "alpha_ci_high": a.ci_high, "omega": o.estimate,
                         "min_item_total_r": float(itc.min()) if itc.notna().any() else np.nan,
                         "n_scores": int(fc["n"]), "floor_share": fc["floor_share"], "ceiling_share": fc["ceiling_share"],
                         "item_top_box": top, "warning": "; ".join(warn)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# figures (matplotlib; seaborn "colorblind" palette; intervals always drawn)
# --------------------------------------------------------------------------------------------
def _palette(n: int = 10) -> list:
    import seaborn as sns

    return sns.color_palette("colorblind", n)


def caterpillar_plot(worker_table: pd.DataFrame, title: str = "", label=str):
    """Raw mean and adjusted score of every worker with 95% intervals, sorted by the adjusted score.

    Hollow markers = raw mean with its t interval; filled = adjusted with its interval; the
    dashed line is the organisation mean at the reference role and mode. ``label`` maps a
    worker_id to the text shown (e.g. :meth:`helpers.report.Report.worker`).
    """
    import matplotlib.pyplot as plt

    t = worker_table.sort_values("adjusted").reset_index(drop=True)
    pal = _palette()
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.32 * len(t)))
    y = np.arange(len(t))
    ax.errorbar(t["raw_mean"], y + 0.15, xerr=[t["raw_mean"] - t["raw_ci_low"], t["raw_ci_high"] - t["raw_mean"]],
                fmt="o", mfc="white", color=pal[7], capsize=2, label="raw mean, 95% CI")
    ax.errorbar(t["adjusted"], y - 0.15, xerr=[t["adjusted"] - t["ci_low"], t["ci_high"] - t["adjusted"]],
                fmt="o", color=pal[0], capsize=2, label="adjusted (mixed model), 95% CI")
    if t["org_mean"].nunique() == 1:
        ax.axvline(t["org_mean"].iloc[0], ls="--", color=pal[3], lw=1, label="organisation mean")
    ax.set_yticks(y, [f"{label(w)} (n={n}){' *' if f else ''}" for w, n, f in zip(t["worker_id"], t["n"], t["flag"], strict=True)])
    ax.set_xlabel("score (0-100, 100 = best answer on every item)")
    ax.set_ylabel("social worker (* = fewer interviews than the minimum)")
    ax.set_title(title or "Social workers: raw and adjusted scores")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def domain_heatmap(long_table: pd.DataFrame, codebook: Codebook | None = None, value: str = "adjusted",
                   lang: str = "en", title: str = "", label=str):
    """Worker x domain heatmap of ``value`` (default adjusted score), annotated with score and interval width."""
    import matplotlib.pyplot as plt

    cb = codebook or load_codebook()
    t = long_table.copy()
    t["cell"] = [f"{v:.0f}\n±{(h - lo) / 2:.0f}" for v, lo, h in zip(t[value], t["ci_low"], t["ci_high"], strict=True)]
    order = [m for m in [*cb.domains, "composite"] if m in set(t["measure"])]
    piv = t.pivot_table(index="worker_id", columns="measure", values=value, aggfunc="first")[order]
    ann = t.pivot_table(index="worker_id", columns="measure", values="cell", aggfunc="first")[order]
    piv = piv.sort_values("composite" if "composite" in piv else order[0])
    ann = ann.loc[piv.index]
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(order), 0.9 + 0.42 * len(piv)))
    im = ax.imshow(piv.to_numpy(dtype=float), cmap="cividis", aspect="auto")
    for i in range(piv.shape[0]):
        for j in range(piv.shape[1]):
            v = piv.iat[i, j]
            ax.text(j, i, ann.iat[i, j] if pd.notna(v) else "", ha="center", va="center", fontsize=7,
                    color="black" if pd.notna(v) and v > np.nanmean(piv.to_numpy(dtype=float)) else "white")
    names = [cb.domain_label(m, lang) if m in cb.domains else ("Composite" if lang == "en" else "Интегральный индекс") for m in order]
    ax.set_xticks(range(len(order)), names, rotation=20, ha="right")
    ax.set_yticks(range(len(piv)), [label(w) for w in piv.index])
    ax.set_xlabel("domain")
    ax.set_ylabel("social worker")
    ax.set_title(title or f"{value.replace('_', ' ').capitalize()} score by worker and domain (± half the 95% CI)")
    fig.colorbar(im, ax=ax, label="score (0-100)")
    fig.tight_layout()
    return fig


def diverging_item_bars(distribution: pd.DataFrame, title: str = ""):
    """Diverging stacked bars of every item's answers (from :func:`answer_distribution`).

    Answers worse than the middle of the scale extend to the left, better ones to the right, the
    middle answer is split across zero; yes/no items: "no" left, "yes" right. The share missing
    (don't know / refused) and n answered are written beside each bar.
    """
    import matplotlib.pyplot as plt

    pal = _palette()
    colours5 = [pal[3], pal[1], pal[7], pal[9], pal[0]]
    items = list(dict.fromkeys(distribution["item"]))
    fig, ax = plt.subplots(figsize=(10, 0.9 + 0.36 * len(items)))
    for y, item in enumerate(reversed(items)):
        d = distribution[distribution["item"] == item]
        sub = d[d["rank"] > 0].sort_values("rank")
        miss = d.loc[d["rank"] == 0, "n"].sum()
        n_ans = int(sub["n"].sum())
        if n_ans == 0:
            continue
        k = int(sub["n_ranks"].iloc[0])
        colours = colours5 if k == 5 else [pal[3], pal[0]]
        shares = sub["share"].to_numpy() * 100
        half = k // 2  # answers below the middle; an odd scale's middle answer straddles zero
        start = -(shares[:half].sum() + (shares[half] / 2 if k % 2 else 0))
        for r in range(k):
            ax.barh(y, shares[r], left=start, color=colours[r], edgecolor="white", height=0.7)
            start += shares[r]
        ax.text(101, y, f"n={n_ans}; missing {miss / (n_ans + miss):.0%}" if (n_ans + miss) else "", va="center", fontsize=7)
    labels = [distribution.loc[distribution["item"] == i, "item_label"].iloc[0] for i in reversed(items)]
    ax.set_yticks(range(len(items)), [textwrap_short(lbl) for lbl in labels], fontsize=7)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-100, 128)
    ax.set_xlabel("% of substantive answers (left: worse than the middle of the scale, right: better)")
    ax.set_title(title or "Answers to every item (reverse-keyed items turned so that right = better)")
    five = distribution[(distribution["n_ranks"] == 5) & (distribution["rank"] > 0)].drop_duplicates("rank").sort_values("rank")
    from matplotlib.patches import Patch

    legend = [Patch(color=colours5[r - 1], label=f"{r}: {lbl}") for r, lbl in zip(five["rank"], five["label"], strict=True)]
    legend += [Patch(color=pal[3], label="no (yes/no items)"), Patch(color=pal[0], label="yes (yes/no items)")]
    ax.legend(handles=legend, fontsize=7, loc="upper center", bbox_to_anchor=(0.45, -0.09), ncol=4,
              title="answer, worst to best", title_fontsize=7)
    fig.tight_layout()
    return fig


def textwrap_short(text: str, width: int = 55) -> str:
    """Shorten a label to ``width`` characters for an axis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def recovery_plot(worker_table: pd.DataFrame, truth: pd.DataFrame, title: str = ""):
    """Raw mean and adjusted score against the planted true score, with intervals and the identity line."""
    import matplotlib.pyplot as plt

    keys = ["worker_id"] + (["year"] if "year" in truth and worker_table["year"].notna().all() else [])
    wt = worker_table.copy()
    if "year" in keys:
        wt["year"] = wt["year"].astype("int64")
    d = wt.merge(truth, on=keys)
    pal = _palette()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharex=True, sharey=True)
    for ax, (est, lo, hi, name, c) in zip(axes, [("raw_mean", "raw_ci_low", "raw_ci_high", "raw mean", pal[7]),
                                                 ("adjusted", "ci_low", "ci_high", "adjusted", pal[0])], strict=True):
        ax.errorbar(d["true_score"], d[est], yerr=[d[est] - d[lo], d[hi] - d[est]], fmt="o", ms=3, color=c,
                    alpha=0.6, elinewidth=0.6)
        lims = [min(d["true_score"].min(), d["raw_mean"].min(), d["adjusted"].min()) - 3, 100.5]
        ax.plot(lims, lims, ls="--", color="black", lw=0.8)
        ax.set_xlim(lims)
        ax.set_ylim(lims)  # intervals reaching further down are cut at the frame
        r = np.corrcoef(d[est], d["true_score"])[0, 1]
        rmse = np.sqrt(((d[est] - d["true_score"]) ** 2).mean())
        ax.set_title(f"{name}: r = {r:.2f}, RMSE = {rmse:.1f} (n = {len(d)} workers)", fontsize=9)
        ax.set_xlabel("planted true score (0-100)")
    axes[0].set_ylabel("estimated score with 95% CI (0-100)")
    fig.suptitle(title or "Recovery of the planted truth")
    fig.tight_layout()
    return fig
