"""Year-over-year analysis 2018-2021: trends with honest uncertainty, composition, workers, COVID-19.

Domain analyses only: tables and fitted models, with codes (measure names, verdict and reason codes); the
words are in :mod:`helpers.narrative.trends` and :mod:`helpers.narrative.summary`, the figures in
:mod:`helpers.figures.trends`, the generic statistics in :mod:`helpers.stats` (:mod:`~helpers.stats.comparisons`,
:mod:`~helpers.stats.ordinal`, :mod:`~helpers.stats.mixed`, :mod:`~helpers.stats.survey`,
:mod:`~helpers.stats.power`).

**Years are compared on a constant instrument by default.** 2018-2019 were interviewed by
volunteers only; from 2020 every recipient is interviewed by a volunteer and by a social worker,
and social workers score about 3 points lower. A plain mean over all interviews therefore falls in
2020 even if nothing changed (in simulated studies with no change in quality it reported a change in
about 4 of 10 studies; ``benchmarks/RESULTS.md``). The default estimates are the yearly means of
:func:`year_mixed_model` standardised to a volunteer interviewing in person
(:data:`REFERENCE_INSTRUMENT`; regression standardisation as in patient-survey case-mix adjustment,
Zaslavsky 2001), with random intercepts for worker, interviewer and **recipient** - the recipient is
the sampling unit, whether interviewed twice in a year or again in a later year. The all-interview,
design-based figures (``instrument=None``) stay available; every table carries the column
``instrument`` and every sentence about it names it (:func:`helpers.narrative.trends.instrument_label`).

Every yearly figure comes with ``n`` and a 95% interval. All-interview organisation-level means are
design-weighted where the year's sample is stratified (2020-2021: 10% of home care, 100% of
temporary residence) through :mod:`helpers.stats.survey`, clustered on the recipient; the model-based
ones put the departments at their population shares. Tests of change:

- :func:`compare_years`: every year pair with Holm-adjusted p-values, Cliff's delta and the minimum
  detectable difference (MDD, :mod:`helpers.stats.power`) at the Holm-Bonferroni level ``alpha/m``; a
  contrast that is not significant carries the interval of changes that cannot be excluded;
- the assumption of the constant instrument - one social-worker gap for every year - is checked in
  :mod:`helpers.studies.mystery_guest.role_gap` (the gap within the recipient per year, Welch's test of equal
  gaps); where it fails or cannot be checked the headline comparison uses the volunteer interviews only
  (artefact ``year_comparisons``: both comparisons and the check);
- :func:`trend_test`: linear trend across the years (contrast of the yearly means with their covariance);
- :func:`year_mixed_model`: the constant-instrument model (REML on Henderson's equations through
  :func:`helpers.stats.mixed.reml`; statsmodels ``MixedLM`` as the cross-check);
  :func:`raw_vs_adjusted` puts its yearly means beside the all-interview ones and
  :func:`composition_effect` measures what the interviewer mix does to the raw change;
- :func:`ordinal_year_model`: proportional-odds regression (:mod:`helpers.stats.ordinal`) of the item
  answers on year, role, mode and worker, clustered on the recipient across years, whose
  coefficients live on the latent logit scale of the demo truth;
- :func:`worker_trajectories`, :func:`covid_compliance`, :func:`ceiling_by_year`, :func:`truth_check`.

A trend of a measure is not tested when too many interviews sit at the ceiling
(:data:`CEILING_LIMIT`): the result then carries ``reason="ceiling"`` instead of a p-value.

Artefacts of a run (:func:`artefact`): the trends and summary notebooks ask for the same tables and models
through ``study.artefact("trends.<name>", ...)``, so a run fits each model once and the summary loads what the
trends report computed.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from helpers.io.codebook import Codebook, load_codebook
from helpers.stats.comparisons import cliffs_delta, difference, holm, linear_trend, quantile
from helpers.stats.ordinal import fit_cumulative_logit
from helpers.stats.power import minimum_detectable_difference
from helpers.stats.survey import design_weights, weighted_mean, weighted_share
from helpers.studies.mystery_guest.overview import PUBLISHED, sample_counts
from helpers.studies.mystery_guest.role_gap import with_interviewer_df

__all__ = [
    "ARTEFACTS",
    "CEILING_LIMIT",
    "DOMAIN_MEASURES",
    "INSTRUMENTS",
    "REFERENCE_INSTRUMENT",
    "MixedYearFit",
    "artefact",
    "ceiling_by_year",
    "compare_years",
    "composition_effect",
    "covid_compliance",
    "item_answers_long",
    "largest_consecutive_change",
    "load_years",
    "ordinal_year_model",
    "raw_vs_adjusted",
    "sample_by_year",
    "summary_tables",
    "trend_test",
    "trends_tables",
    "truth_check",
    "worker_trajectories",
    "year_mixed_model",
    "yearly_summary",
]

DOMAIN_MEASURES = ["ethics", "competence", "quality", "composite"]
CEILING_LIMIT = 0.8  # share of interviews at the maximum score above which a trend is not tested
_TOP = 100.0 - 1e-9


def _years(scored: pd.DataFrame, years=None) -> list[int]:
    ys = sorted(int(y) for y in scored["year"].dropna().unique())
    return [y for y in ys if years is None or y in set(years)]


def _estimate(frame: pd.DataFrame, values: pd.Series, roster: pd.DataFrame | None, weighted: bool, share: bool,
              ci: float = 0.95, weights: np.ndarray | None = None):
    """``weights``: the design weights of ``frame``'s rows when already computed (else from ``roster``)."""
    fn = weighted_share if share else weighted_mean
    clusters = frame.get("recipient_pid", None)
    if weighted and roster is not None:
        w = design_weights(frame, roster) if weights is None else pd.Series(weights, index=frame.index, name="weight")
        return fn(values, w, frame["stratum"], clusters=clusters, ci=ci)
    return fn(values, None, None, clusters=clusters, ci=ci)


# ---------------------------------------------------------------------------------------------
# sample description
# ---------------------------------------------------------------------------------------------


def load_years(processed_dir, years, codebook: Codebook | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The validated interviews and strata roster of ``years`` and the scored interviews: ``(interviews, strata,
    scored)`` — the setup every multi-year report starts from (scores by :func:`helpers.studies.mystery_guest.scoring.score_interviews`)."""
    from helpers.studies.mystery_guest.overview import load_processed
    from helpers.studies.mystery_guest.scoring import score_interviews

    data = load_processed(processed_dir)
    interviews = data["interviews"][data["interviews"]["year"].isin(years)].reset_index(drop=True)
    strata = data["strata"][data["strata"]["year"].isin(years)]
    cb = codebook or load_codebook()
    return interviews, strata, score_interviews(interviews, cb, items=cb.trend_items(years))


def sample_by_year(interviews: pd.DataFrame, strata: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per year: interviews, recipients, workers, interviewers by role, pairs, coverage, published figures.

    ``coverage_home_care`` / ``coverage_temporary_residence``: recipients interviewed / recipients
    served (roster ``strata``), e.g. 130 / 1300 = 10% and 14 / 14 = 100% in 2020. ``published_*``
    columns repeat the figures of the source report (``<NA>`` where none is published).

    Examples
    --------
    >>> f = pd.DataFrame({"year": [2020] * 3, "recipient_pid": ["a", "a", "b"], "worker_id": ["W1"] * 3,
    ...                   "interviewer_id": ["V1", "S1", "V1"], "role": ["volunteer", "social_worker", "volunteer"],
    ...                   "pair_id": ["p", "p", None], "department": ["home_care"] * 3})
    >>> sample_by_year(f)[["interviews", "recipients", "complete_pairs", "published_recipients"]].to_dict("records")
    [{'interviews': 3, 'recipients': 2, 'complete_pairs': 1, 'published_recipients': 144}]
    """
    out = sample_counts(interviews).reset_index()
    if strata is not None:
        for dept in ("home_care", "temporary_residence"):
            pop = strata[strata["department"] == dept].groupby("year")["population"].sum()
            col = out[f"{dept}_recipients"]
            out[f"population_{dept}"] = out["year"].map(pop).astype("Int64")
            out[f"coverage_{dept}"] = col / out["year"].map(pop)
    for key in ("recipients", "workers", "volunteers"):
        out[f"published_{key}"] = pd.array([PUBLISHED.get(int(y), {}).get(key) for y in out["year"]], dtype="Int64")
    return out


# ---------------------------------------------------------------------------------------------
# yearly estimates
# ---------------------------------------------------------------------------------------------


def yearly_summary(scored: pd.DataFrame, roster: pd.DataFrame | None = None, weighted: bool = True,
                   measures: list[str] | None = None, top_box: bool = True, years=None,
                   ci: float = 0.95, instrument: str | None = "reference") -> pd.DataFrame:
    """Organisation-level estimate of every domain score and the composite per year, with 95% CI and n.

    ``instrument`` says what is compared across years (the column ``instrument`` repeats it, and
    :func:`helpers.narrative.trends.instrument_label` turns it into the words every sentence carries):

    - ``"reference"`` (default): a **constant instrument** - the yearly means of
      :func:`year_mixed_model` standardised to a volunteer interviewing in person
      (:data:`REFERENCE_INSTRUMENT`), with random intercepts for worker, interviewer and recipient;
      with ``weighted=True`` and a ``roster`` the strata enter at the year's population shares
      (model-based post-stratification). The top-box share (``<measure>_top``) is the same model
      fitted to the 0/100 indicator (a linear probability model; its interval is clipped to 0-100).
      Regression standardisation as in patient-survey case-mix adjustment (Zaslavsky, 2001,
      *Int J Qual Health Care* 13:481). ``df`` is ``inf`` (Wald intervals).
    - ``"pooled"``: the same model standardised to the pooled role/mode mix of all years.
    - ``None``: every interview as conducted - **depends on the interviewer mix** (social-worker
      interviewers, who score lower, only from 2020). Means of the 0-100 scores
      (:func:`helpers.stats.survey.weighted_mean`); top-box shares with the Korn-Graubard interval
      (:func:`helpers.stats.survey.weighted_share`). ``weighted=True`` and a ``roster`` give
      design-weighted estimates (weights = stratum population / interviews in the stratum,
      stratified, clustered on the recipient); otherwise plain means clustered on the recipient.

    When the data record no role/mode (or they never vary), the model is not needed and the
    all-interview estimate is returned with ``instrument`` ``"unrecorded"`` (or ``"constant"``).
    Missing scores are dropped.

    Columns: ``year, measure, estimate, se, ci_low, ci_high, n`` (interviews with a value),
    ``n_recipients``, ``df``, ``weighted``, ``instrument``.

    Examples
    --------
    >>> s = pd.DataFrame({"year": [2018] * 4, "recipient_pid": list("abcd"),
    ...                   "composite": [100.0, 90.0, 80.0, 100.0]})
    >>> r = yearly_summary(s, measures=["composite"], top_box=False)
    >>> r[["year", "measure", "estimate", "n", "weighted", "instrument"]].to_dict("records")
    [{'year': 2018, 'measure': 'composite', 'estimate': 92.5, 'n': 4, 'weighted': False, 'instrument': 'unrecorded'}]
    """
    measures = [m for m in (measures or DOMAIN_MEASURES + ["covid"]) if m in scored]
    is_weighted = bool(weighted and roster is not None)
    used = _resolve_instrument(scored, instrument)
    rows = []
    if used in ("reference", "pooled"):
        for m in measures:
            v = scored[m].astype("float64")
            if v.notna().sum() == 0:
                continue
            specs = [(m, scored, False)]
            if top_box:
                specs.append((f"{m}_top", scored.assign(**{f"{m}_top": (v >= _TOP).astype("float64").where(v.notna())
                                                           * 100.0}), True))
            for name, frame, share in specs:
                fit = year_mixed_model(frame, name, years=years, instrument=used, roster=roster, weighted=weighted,
                                       alpha=1 - ci)
                for r in fit.means.itertuples():
                    lo, hi = (max(r.ci_low, 0.0), min(r.ci_high, 100.0)) if share else (r.ci_low, r.ci_high)
                    rows.append({"year": int(r.year), "measure": name, "estimate": r.estimate, "se": r.se,
                                 "ci_low": lo, "ci_high": hi, "n": int(r.n), "n_recipients": int(r.n_recipients),
                                 "df": np.inf, "weighted": is_weighted, "instrument": used})
        return pd.DataFrame(rows)
    for y, f, wy in _year_frames(scored, _years(scored, years), roster if is_weighted else None):
        for m in measures:
            v = f[m].astype("float64")
            if v.notna().sum() == 0:
                continue
            specs = [(m, v, False)]
            if top_box:
                specs.append((f"{m}_top", (v >= _TOP).astype("float64").where(v.notna()), True))
            for name, values, share in specs:
                e = _estimate(f, values, roster, is_weighted, share, ci, weights=wy)
                k = 100.0 if share else 1.0
                rows.append({"year": y, "measure": name, "estimate": e.estimate * k, "se": e.se * k,
                             "ci_low": e.ci_low * k, "ci_high": e.ci_high * k, "n": e.n,
                             "n_recipients": e.n_psu, "df": e.df, "weighted": is_weighted, "instrument": used})
    return pd.DataFrame(rows)


def _year_frames(scored: pd.DataFrame, yrs: list[int], roster: pd.DataFrame | None):
    """``(year, rows of that year, their design weights or None)`` for every year in ``yrs``: the weights from
    one :func:`helpers.stats.survey.design_weights` call (population / rows of the year and stratum, the same
    numbers as per year)."""
    sub = scored[scored["year"].isin(yrs)]
    year = sub["year"].to_numpy()
    w = design_weights(sub, roster).to_numpy() if roster is not None and len(sub) else None
    for y in yrs:
        m = year == y
        yield y, sub[m], (None if w is None else w[m])


def _linearised_by_recipient(frame: pd.DataFrame, values: pd.Series, roster: pd.DataFrame | None,
                             weighted: bool, weights: np.ndarray | None = None) -> tuple[pd.DataFrame, dict]:
    """Linearised values ``z_i`` of one year's (weighted) mean, summed per recipient, and the strata's factors.

    As :func:`helpers.stats.survey.weighted_mean`: ``z_hi = sum over the rows of recipient i of
    w (y - ybar) / sum w``, respondents' weights scaled up to the stratum total. Returns a frame
    indexed by recipient (columns ``h`` - the stratum -, ``z``, centred within the stratum) and per stratum
    ``n_h / (n_h - 1)`` times the FPC ``1 - n_h / N_h`` (1 when unweighted). ``weights``: the design
    weights of ``frame``'s rows when already computed. Sums by ``np.bincount`` over factorised codes
    (tests/test_year_inference.py compares with the pandas group-by it replaced).
    """
    y = values.astype("float64").to_numpy()
    use = bool(weighted and roster is not None)
    if use:
        w = (design_weights(frame, roster).to_numpy() if weights is None else np.asarray(weights, dtype=float))
    else:
        w = np.ones(len(y))
    h = frame["stratum"].astype(str).to_numpy(dtype=object) if use else np.zeros(len(y), dtype=object)
    psu = (frame["recipient_pid"].astype(str).to_numpy(dtype=object) if "recipient_pid" in frame
           else np.array([f"row{k}" for k in range(len(y))], dtype=object))
    ok = ~np.isnan(y)
    if use:
        hc, hu = pd.factorize(h)
        full = np.bincount(hc, weights=w, minlength=len(hu))[hc]
        resp = np.bincount(hc, weights=np.where(ok, w, 0.0), minlength=len(hu))[hc]
        with np.errstate(invalid="ignore", divide="ignore"):
            w = w * full / resp
    y, w, h, psu = y[ok], w[ok], h[ok], psu[ok]
    mean = float((w * y).sum() / w.sum())
    z = w * (y - mean) / w.sum()
    hc, hu = pd.factorize(h)
    pc, pu = pd.factorize(psu)
    cc, _ = pd.factorize(hc * max(len(pu), 1) + pc)  # (stratum, recipient) cells in order of appearance
    first = np.unique(cc, return_index=True)[1]
    zc = np.bincount(cc, weights=z, minlength=len(first))
    wc = np.bincount(cc, weights=w, minlength=len(first))
    ch = hc[first]
    n_h = np.bincount(ch, minlength=len(hu))
    w_h = np.bincount(ch, weights=wc, minlength=len(hu))
    factor = {}
    for k, hh in enumerate(hu):
        fpc = max(0.0, 1.0 - n_h[k] / w_h[k]) if use else 1.0
        factor[hh] = fpc * n_h[k] / (n_h[k] - 1) if n_h[k] > 1 else 0.0
    zc = zc - (np.bincount(ch, weights=zc, minlength=len(hu)) / np.maximum(n_h, 1))[ch]
    out = pd.DataFrame({"h": hu[ch], "z": zc}, index=pd.Index(psu[first], name="psu"))
    return out[~out.index.duplicated(keep="first")], factor


def _design_year_covariance(scored: pd.DataFrame, measure: str, summary: pd.DataFrame, roster: pd.DataFrame | None,
                            weighted: bool) -> np.ndarray:
    """Covariance matrix of the all-interview yearly estimates, recipients seen in several years included.

    Diagonal: the design-based variances of :func:`yearly_summary` (``se^2``). Off-diagonal, for
    years ``a`` and ``b`` whose samples share recipients (the same keyed pseudonym): the covariance
    of two estimates from partially overlapping samples (Kish, 1965, *Survey Sampling*, section
    12.4; Berger, 2004, *Canadian J Statistics* 32:451), estimated from the common recipients as
    ``cov_ab = sum_{i in both} sqrt(k_ah k_bh) z_ai z_bi`` with the linearised values ``z``
    (centred within the stratum) and ``k_h = fpc_h n_h / (n_h - 1)`` of each year. For equal weights
    and one stratum this is Kish's ``n_c s_ab / (n_a n_b)``. A recipient's effect persists across
    years, so ``cov_ab > 0`` and a difference is estimated more precisely than two independent
    samples suggest; without common recipients ``cov_ab = 0`` and nothing changes.
    """
    yrs = summary["year"].astype(int).tolist()
    V = np.diag(summary["se"].to_numpy(dtype=float) ** 2)
    if "recipient_pid" not in scored:
        return V
    lin = {}
    for y, f, wy in _year_frames(scored, yrs, roster if weighted else None):
        lin[y] = _linearised_by_recipient(f, f[measure], roster, weighted, wy)
    for a, b in combinations(range(len(yrs)), 2):
        (za, ka), (zb, kb) = lin[yrs[a]], lin[yrs[b]]
        common = za.index.intersection(zb.index)
        if len(common) == 0:
            continue
        ca, cb_ = za.loc[common], zb.loc[common]
        k = np.sqrt(ca["h"].map(ka).to_numpy(float) * cb_["h"].map(kb).to_numpy(float))
        V[a, b] = V[b, a] = float((k * ca["z"].to_numpy() * cb_["z"].to_numpy()).sum())
    return V


def ceiling_by_year(scored: pd.DataFrame, measures: list[str] | None = None, limit: float = CEILING_LIMIT,
                    years=None) -> pd.DataFrame:
    """Share of interviews at the maximum (100) per year and measure, and whether a trend can be tested.

    ``testable`` is ``False`` when the ceiling share reaches ``limit`` (default 80%, the level at
    which the scoring report warns; Terwee et al., 2007, *J Clin Epidemiol* 60:34 call 15% a
    ceiling effect) or the scores do not vary: a mean that cannot move up says little about change.

    Examples
    --------
    >>> s = pd.DataFrame({"year": [2018] * 5 + [2019] * 5, "composite": [100.0] * 5 + [100.0] * 4 + [90.0]})
    >>> ceiling_by_year(s, ["composite"])[["year", "ceiling_share", "testable"]].to_dict("records")
    [{'year': 2018, 'ceiling_share': 1.0, 'testable': False}, {'year': 2019, 'ceiling_share': 0.8, 'testable': False}]
    """
    measures = [m for m in (measures or DOMAIN_MEASURES + ["covid"]) if m in scored]
    year = pd.to_numeric(scored["year"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    values = {m: scored[m].astype("float64").to_numpy(dtype="float64", na_value=np.nan) for m in measures}
    rows = []
    for y in _years(scored, years):
        in_year = year == y
        for m in measures:
            v = values[m][in_year]
            v = pd.Series(v[~np.isnan(v)])
            if len(v) == 0:
                continue
            share = float((v >= _TOP).mean())
            sd = float(v.std(ddof=1)) if len(v) > 1 else np.nan
            rows.append({"year": y, "measure": m, "n": len(v), "ceiling_share": share, "sd": sd,
                         "testable": bool(share < limit and len(v) > 1 and sd > 0)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# pairwise comparisons and the trend
# ---------------------------------------------------------------------------------------------


def _not_testable(ceiling: pd.DataFrame, measure: str, years: list[int]) -> list[int]:
    """The ``years`` (in the table's order) in which ``measure`` is at the ceiling (not testable)."""
    if ceiling.empty:
        return []
    hit = (ceiling["measure"].to_numpy() == measure) & ~ceiling["testable"].to_numpy(dtype=bool)
    wanted = {int(y) for y in years}
    return [int(y) for y in ceiling["year"].to_numpy()[hit] if int(y) in wanted]


def _diff(ea: pd.Series, eb: pd.Series, alpha: float, cov: float = 0.0) -> dict:
    d = difference(ea["estimate"], ea["se"], ea["df"], eb["estimate"], eb["se"], eb["df"], alpha, cov)
    return {"difference": d.estimate, "se": d.se, "df": d.df, "ci_low": d.ci_low, "ci_high": d.ci_high,
            "p": d.p_value, "covariance": d.covariance}


def _check_fit(fit, measure: str) -> None:
    if fit is not None and fit.measure != measure:
        raise ValueError(f"fit is a model of {fit.measure!r}, not of {measure!r}")


def _mdds(se, df, alpha: float, power: float) -> list[float]:
    """:func:`helpers.stats.power.minimum_detectable_difference` of every ``(se, df)``. With ``df = inf`` the power
    depends on ``difference / se`` only, so the MDD is ``se`` times the MDD at ``se = 1`` (one root for every
    row instead of one each; the same to the root's relative tolerance 1e-10, tests/test_year_inference.py)."""
    unit = None
    out = []
    for s, d in zip(se, df, strict=True):
        if np.isinf(d) and np.isfinite(s) and s > 0:
            unit = minimum_detectable_difference(1.0, np.inf, alpha, power) if unit is None else unit
            out.append(float(s * unit))
        else:
            out.append(minimum_detectable_difference(s, d, alpha, power))
    return out


def _holm_levels(p: pd.Series, alpha: float) -> np.ndarray:
    """The level of the Holm step that decides each hypothesis (Holm, 1979, *Scand J Statist* 6:65).

    With the ``m`` p-values ordered ``p_(1) <= ... <= p_(m)`` and ``j`` the first step where
    ``p_(j) >= alpha / (m - j + 1)`` (Holm stops there): ``alpha / (m - i + 1)`` for ``i < j`` (rejected) and
    ``alpha / (m - j + 1)`` for ``i >= j`` (accepted; ``p_(i) >= p_(j)``, so 0 stays inside the interval).
    A pair with no p-value gets the Bonferroni level ``alpha / m``.

    >>> _holm_levels(pd.Series([0.01, 0.04, 0.03, np.nan]), 0.05).round(4).tolist()
    [0.0167, 0.025, 0.025, 0.0167]
    """
    v = p.to_numpy(dtype=float)
    ok = np.isfinite(v)
    m = int(ok.sum())
    out = np.full(len(v), alpha / max(m, 1))
    idx = np.flatnonzero(ok)[np.argsort(v[ok], kind="stable")]
    level = alpha / max(m, 1)
    stopped = False
    for i, k in enumerate(idx):
        if not stopped:
            level = alpha / (m - i)
            stopped = v[k] >= level
        out[k] = level
    return out


def compare_years(scored: pd.DataFrame, measure: str = "composite", roster: pd.DataFrame | None = None,
                  weighted: bool = True, years=None, alpha: float = 0.05, power: float = 0.8,
                  method: str = "holm", limit: float = CEILING_LIMIT,
                  instrument: str | None = "reference", fit: MixedYearFit | None = None) -> pd.DataFrame:
    """Every pair of years: difference ``year_b - year_a`` in points with CI, Holm-adjusted p, Cliff's delta, MDD.

    What is compared (``instrument``, repeated in the column ``instrument``;
    :func:`helpers.narrative.trends.instrument_label` says it in words):

    - ``"reference"`` (default): a **constant instrument**. Differences of the yearly means of
      :func:`year_mixed_model` standardised to a volunteer interviewing in person, with random
      intercepts for worker, interviewer and recipient (a recipient seen in two years, or twice in
      one year, is one unit); ``se^2 = v' cov v`` from the model's covariance of the yearly means,
      Wald z (``df = inf``). ``fit`` reuses a fitted model.
    - ``None``: all interviews as conducted - **depends on the interviewer mix**. Design-based yearly
      estimates (:func:`yearly_summary` with ``instrument=None``),
      ``se^2 = se_a^2 + se_b^2 - 2 cov_ab`` where ``cov_ab`` comes from the recipients sampled in both
      years (:func:`_design_year_covariance`; 0 when none recur), Welch-Satterthwaite df, t interval.
      Kept to show what the change of interviewer mix does to the raw figures; not the default
      because a pure change of mix (social-worker interviewers from 2020) reads as a change in
      quality (``tests/test_year_inference.py``).

    Then, for both:

    - ``p_adjusted``: Holm (1979, *Scand J Statist* 6:65) over the ``m`` pairs that can be tested
      (:func:`helpers.stats.comparisons.holm`; another ``method`` goes to
      ``statsmodels.stats.multitest.multipletests``).
    - ``ci_low_adjusted`` / ``ci_high_adjusted``: interval at the level of the Holm step that decides
      the pair (``alpha_step``, :func:`_holm_levels`): ``alpha / (m - i + 1)`` for the ``i``-th smallest
      p while Holm rejects, the level of the first accepted step after that; ``alpha / m`` for another
      ``method``. So the interval excludes 0 exactly when the verdict is a change
      (tests/test_outputs_agree.py), and a pair that is not Holm-significant has 0 inside it: the
      sentence "changes between L and U cannot be excluded"
      (:func:`helpers.narrative.trends.comparison_sentence`) quotes it. These intervals are
      consistent with the test, not simultaneous (Strassburger & Bretz, 2008, *Stat Med* 27:4914).
    - ``mdd``: minimum detectable difference at ``power`` for that ``se`` and ``df`` at the
      **adjusted** level ``alpha / m`` (a conservative bound for Holm's step-down levels;
      :func:`helpers.stats.power.minimum_detectable_difference`); ``mdd_unadjusted`` at ``alpha``.
    - ``cliffs_delta`` (+ CI): unweighted, interview level (:func:`helpers.stats.comparisons.cliffs_delta`),
      on the reference
      role's interviews only when ``instrument`` is not ``None``; ties at the ceiling pull it towards
      0. Its interval treats interviews as independent.
    - When either year has :data:`CEILING_LIMIT` or more of its interviews at 100, ``p`` and
      ``p_adjusted`` are ``NaN`` and ``verdict`` says the change cannot be tested.

    ``verdict`` (a code; :func:`helpers.narrative.trends.verdict_label` words it): "increase" /
    "decrease" (adjusted p < alpha), "not significant", or "not testable (ceiling)". ``power`` is kept
    in the column ``power``. Non-significance never bounds the change by the MDD: the sentence gives
    the interval of changes that cannot be excluded.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> s = pd.DataFrame({"year": np.repeat([2018, 2019], 60), "recipient_pid": [str(i) for i in range(120)],
    ...                   "composite": np.r_[rng.normal(80, 8, 60), rng.normal(90, 8, 60)]})
    >>> r = compare_years(s)
    >>> r.loc[0, "verdict"], bool(r.loc[0, "difference"] > r.loc[0, "mdd"]), bool(r.loc[0, "p_adjusted"] < 0.05)
    ('increase', True, True)
    """
    _check_fit(fit, measure)
    used = _resolve_instrument(scored, instrument) if fit is None else fit.instrument
    ceiling = ceiling_by_year(scored, [measure], limit, years)
    rows = []
    if used in ("reference", "pooled"):
        fit = fit or year_mixed_model(scored, measure, years=years, instrument=used, roster=roster,
                                      weighted=weighted, alpha=alpha)
        est = {int(r["year"]): r for r in fit.means.to_dict("records")}
        ref_role = REFERENCE_INSTRUMENT["role"]
        cliff_frame = scored[scored["role"] == ref_role] if "role" in scored and (scored["role"] == ref_role).any() \
            else scored
        zq = stats.norm.ppf(1 - alpha / 2)
        for c in fit.contrasts.to_dict("records"):
            ya, yb = int(c["year_a"]), int(c["year_b"])
            ea, eb = est[ya], est[yb]
            rows.append({"year_a": ya, "year_b": yb, "measure": measure,
                         "n_a": int(ea["n"]), "n_b": int(eb["n"]), "recipients_a": int(ea["n_recipients"]),
                         "recipients_b": int(eb["n_recipients"]), "estimate_a": ea["estimate"],
                         "estimate_b": eb["estimate"], "difference": c["difference"], "se": c["se"], "df": np.inf,
                         "ci_low": c["difference"] - zq * c["se"], "ci_high": c["difference"] + zq * c["se"],
                         "p": c["p"],
                         "covariance": float(fit.cov.loc[ya, yb])})
    else:
        cliff_frame = scored
        summary = yearly_summary(scored, roster, weighted, measures=[measure], top_box=False, years=years,
                                 instrument=None)
        V = _design_year_covariance(scored, measure, summary, roster, weighted)
        est = summary.set_index("year")
        yrs = est.index.tolist()
        for a, b in combinations(range(len(yrs)), 2):
            ya, yb = yrs[a], yrs[b]
            ea, eb = est.loc[ya], est.loc[yb]
            r = {"year_a": int(ya), "year_b": int(yb), "measure": measure, "n_a": int(ea["n"]), "n_b": int(eb["n"]),
                 "recipients_a": int(ea["n_recipients"]), "recipients_b": int(eb["n_recipients"]),
                 "estimate_a": ea["estimate"], "estimate_b": eb["estimate"]}
            rows.append(r | _diff(ea, eb, alpha, V[a, b]))
    by_year = {int(y): v.to_numpy() for y, v in cliff_frame.groupby("year")[measure]} if rows else {}
    for r in rows:
        blocked = _not_testable(ceiling, measure, [r["year_a"], r["year_b"]])
        if blocked:
            r["p"] = np.nan
        cd = cliffs_delta(by_year.get(r["year_b"], np.array([])), by_year.get(r["year_a"], np.array([])))
        r |= {"cliffs_delta": cd.estimate, "cliffs_ci_low": cd.ci_low, "cliffs_ci_high": cd.ci_high,
              "ceiling_blocked": bool(blocked)}
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_adjusted"] = np.nan
    ok = out["p"].notna()
    m = int(ok.sum())
    if ok.any():
        out.loc[ok, "p_adjusted"] = (holm(out.loc[ok, "p"]) if method == "holm" else
                                     multipletests(out.loc[ok, "p"], alpha=alpha, method=method)[1])
    alpha_adj = alpha / max(m, 1)
    out["alpha_adjusted"] = alpha_adj
    out["alpha_step"] = _holm_levels(out["p"], alpha) if method == "holm" else alpha_adj
    half = np.array([quantile(1 - a / 2, df) for a, df in zip(out["alpha_step"], out["df"], strict=True)]) \
        * out["se"].to_numpy()
    out["ci_low_adjusted"] = out["difference"] - half
    out["ci_high_adjusted"] = out["difference"] + half
    out["mdd"] = _mdds(out["se"], out["df"], alpha_adj, power)
    out["mdd_unadjusted"] = _mdds(out["se"], out["df"], alpha, power)
    out["verdict"] = ["not testable (ceiling)" if blocked else
                      ("increase" if diff > 0 else "decrease") if p_adj < alpha else "not significant"
                      for blocked, diff, p_adj in zip(out["ceiling_blocked"], out["difference"], out["p_adjusted"],
                                                      strict=True)]
    out["power"] = power
    out["instrument"] = used
    first = ["year_a", "year_b", "difference", "ci_low", "ci_high", "p_adjusted", "mdd"]
    return out[first + [c for c in out.columns if c not in first]]


def trend_test(scored: pd.DataFrame, measure: str = "composite", roster: pd.DataFrame | None = None,
               weighted: bool = True, years=None, limit: float = CEILING_LIMIT, ci: float = 0.95,
               instrument: str | None = "reference", fit: MixedYearFit | None = None) -> pd.Series:
    """Linear trend across the years: slope (points per year) of the yearly estimates, with CI and p.

    The slope is the least-squares line through the yearly estimates ``m``
    (:func:`helpers.stats.comparisons.linear_trend`):
    ``b = c' m / c' c`` with ``c_y = year - mean(year)`` (the orthogonal-polynomial trend contrast of
    an ANOVA; Rosenthal & Rosnow, 1985, *Contrast Analysis*), ``se(b) = sqrt(c' V c) / c' c`` with
    ``V`` the covariance matrix of the yearly estimates, tested with a normal reference.

    - ``instrument="reference"`` (default): ``m`` and ``V`` are the constant-instrument means of
      :func:`year_mixed_model` (volunteer in person; worker, interviewer and recipient random
      intercepts), so a change in the interviewer mix is not read as a trend.
    - ``instrument=None``: all interviews, design-based (depends on the interviewer mix); ``V`` has
      the design variances on the diagonal and the covariances from recipients seen in two years
      off it (:func:`_design_year_covariance`); with no recurring recipients this is the familiar
      ``sqrt(sum c^2 se^2) / sum c^2``.

    ``p`` is ``NaN`` with ``reason="ceiling"`` (and the years in ``ceiling_years``) when a year is at
    the ceiling, ``reason="fewer_than_three_years"`` when there is no line to fit. ``instrument``
    names what was used, ``limit`` the ceiling limit.

    Examples
    --------
    >>> s = pd.DataFrame({"year": np.repeat([2018, 2019, 2020], 3), "recipient_pid": list("abcdefghi"),
    ...                   "composite": [80.0, 82, 84, 85, 87, 89, 90, 92, 94]})
    >>> r = trend_test(s)
    >>> float(r["slope"]), round(float(r["se"]), 3), bool(r["p"] < 0.01)
    (5.0, 0.816, True)
    """
    _check_fit(fit, measure)
    used = _resolve_instrument(scored, instrument) if fit is None else fit.instrument
    if used in ("reference", "pooled"):
        fit = fit or year_mixed_model(scored, measure, years=years, instrument=used, roster=roster, weighted=weighted)
        est = fit.means
        V = fit.cov.loc[est["year"].tolist(), est["year"].tolist()].to_numpy()
    else:
        est = yearly_summary(scored, roster, weighted, measures=[measure], top_box=False, years=years, instrument=None)
        V = _design_year_covariance(scored, measure, est, roster, weighted)
    keep = np.isfinite(est["se"]).to_numpy()
    est, V = est[keep], V[np.ix_(keep, keep)]
    yrs = est["year"].to_numpy(dtype=float)
    out = {"measure": measure, "years": ", ".join(str(int(y)) for y in yrs), "n": int(est["n"].sum()),
           "slope": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan, "reason": "",
           "ceiling_years": "", "limit": limit, "instrument": used}
    if len(est) < 3:
        out["reason"] = "fewer_than_three_years"
        return pd.Series(out)
    lt = linear_trend(yrs, est["estimate"].to_numpy(), V, ci)
    out |= {"slope": lt.estimate, "se": lt.se, "ci_low": lt.ci_low, "ci_high": lt.ci_high, "p": lt.p_value}
    blocked = _not_testable(ceiling_by_year(scored, [measure], limit, years), measure, [int(y) for y in yrs])
    if blocked:
        out["p"] = np.nan
        out["reason"] = "ceiling"
        out["ceiling_years"] = ", ".join(map(str, blocked))
    return pd.Series(out)


# ---------------------------------------------------------------------------------------------
# the constant instrument: role- and mode-standardised yearly means from a mixed model
# ---------------------------------------------------------------------------------------------

REFERENCE_INSTRUMENT = {"role": "volunteer", "mode": "in_person"}
"""The reference instrument every default year comparison is standardised to: a volunteer
interviewing in person - the only interviewer role present in every year (2018-2019 were
volunteer-only) and the mode of the reference in :mod:`helpers.studies.mystery_guest.simulate` and of the adjusted
worker scores."""

INSTRUMENTS = ("reference", "pooled", None)
#: what a table's ``instrument`` column may hold: the three choices and ``"constant"`` / ``"unrecorded"``
#: (see :func:`_resolve_instrument`)

def _resolve_instrument(scored: pd.DataFrame, instrument: str | None, adjust=("role", "mode")) -> str | None:
    """Which estimator a default call uses: the model (``reference``/``pooled``) only when the mix varies.

    ``"constant"``: role and mode are recorded and do not vary in the data, so the all-interview
    design-based estimate already compares like with like; ``"unrecorded"``: role or mode columns
    (or the worker/interviewer ids the model needs) are missing, so the mix cannot be standardised.
    """
    if instrument not in INSTRUMENTS:
        raise ValueError(f"instrument must be one of {INSTRUMENTS}")
    if instrument is None:
        return None
    needed = ["worker_id", "interviewer_id", *adjust]
    if any(c not in scored for c in needed):
        return "unrecorded"
    if all(scored[a].dropna().nunique() <= 1 for a in adjust):
        return "constant"
    return instrument


@dataclass
class MixedYearFit:
    """A fitted year model: standardised yearly means, contrasts, fixed effects, variance components.

    ``cov``: covariance matrix of the yearly means (years x years), from which every contrast and
    the trend take their standard errors. ``instrument``: ``"reference"`` (means standardised to
    :data:`REFERENCE_INSTRUMENT`) or ``"pooled"`` (to the pooled role/mode mix of the data).
    """

    measure: str
    adjust: tuple[str, ...]
    means: pd.DataFrame  # year, estimate, se, ci_low, ci_high, n, n_recipients
    contrasts: pd.DataFrame  # year_a, year_b, difference, se, ci_low, ci_high, p, p_adjusted
    fixed: pd.DataFrame  # term, coef, se, ci_low, ci_high, p, df (interviewer-level for the role; inf: Wald z)
    variance: dict  # component -> variance
    interviewer_effects: pd.Series  # BLUPs by interviewer_id
    converged: bool
    n: int
    result: object = field(repr=False, default=None)
    cov: pd.DataFrame | None = field(repr=False, default=None)
    instrument: str = "reference"
    engine: str = ""
    notes: tuple[str, ...] = ()


def _blups(result, name: str) -> pd.Series:
    re_ = result.random_effects
    values = next(iter(re_.values()))
    pat = re.compile(rf"^{name}\[C\([a-z_]+\)\[(.+)\]\]$")
    out = {}
    for k, v in values.items():
        m = pat.match(str(k))
        if m:
            out[m.group(1)] = float(v)
    return pd.Series(out, dtype="float64")


def _treatment(d: pd.DataFrame, col: str) -> tuple[list[str], list[str]]:
    """Levels of ``col`` (sorted; the first is the coding base, as patsy) and the names of its dummies."""
    levels = sorted(d[col].astype(str).unique())
    return levels, [f"C({col})[T.{lv}]" for lv in levels[1:]]


def _year_design(d: pd.DataFrame, adjust: tuple[str, ...], strata: bool):
    """Fixed-effects design ``Intercept + C(year) + C(role) + C(mode) [+ C(stratum)]`` with patsy names."""
    yrs = sorted(d["year"].unique())
    cols, names = [np.ones(len(d))], ["Intercept"]
    for y in yrs[1:]:
        cols.append((d["year"] == y).to_numpy(float))
        names.append(f"C(year)[T.{y}]")
    factors = list(adjust) + (["stratum"] if strata else [])
    for a in factors:
        levels, dummies = _treatment(d, a)
        for lv, nm in zip(levels[1:], dummies, strict=True):
            cols.append((d[a].astype(str) == lv).to_numpy(float))
            names.append(nm)
    X = np.column_stack(cols)
    keep, notes = [0], []
    for j in range(1, X.shape[1]):  # drop a dummy that is confounded with the ones before it (stated)
        if np.linalg.matrix_rank(X[:, [*keep, j]]) == len(keep) + 1:
            keep.append(j)
        else:
            notes.append(f"dropped {names[j]} (confounded)")
    return X[:, keep], [names[j] for j in keep], yrs, notes


def _standardisation_vectors(d: pd.DataFrame, X: np.ndarray, names: list[str], yrs: list[int], adjust, instrument,
                             reference: dict, stratum_shares: dict | None) -> tuple[dict, list[str]]:
    """Row vector ``x_y`` per year: the fixed-effects row of the standard interview of year ``y``.

    ``instrument="reference"``: role and mode dummies set to ``reference`` (a level absent from the
    data falls back to the most frequent one, stated); ``"pooled"``: set to their means over all
    rows (the pooled mix). Stratum dummies: the year's population shares (``stratum_shares``).
    """
    notes = []
    base = np.zeros(len(names))
    base[0] = 1.0
    for a in adjust:
        idx = [k for k, nm in enumerate(names) if nm.startswith(f"C({a})[T.")]
        if instrument == "pooled":
            base[idx] = X[:, idx].mean(axis=0)
            continue
        ref = str(reference.get(a, ""))
        present = set(d[a].astype(str))
        if ref not in present:
            ref = d[a].astype(str).value_counts().index[0]
            notes.append(f"reference {a}={reference.get(a)!r} absent: {a}={ref} used")
        for k in idx:
            base[k] = float(names[k] == f"C({a})[T.{ref}]")
    vecs = {}
    for y in yrs:
        v = base.copy()
        if f"C(year)[T.{y}]" in names:
            v[names.index(f"C(year)[T.{y}]")] = 1.0
        if stratum_shares is not None:
            for k, nm in enumerate(names):
                if nm.startswith("C(stratum)[T."):
                    v[k] = stratum_shares.get(y, {}).get(nm[len("C(stratum)[T."):-1], 0.0)
        vecs[y] = v
    return vecs, notes


_THREADPOOLS = []  # the threadpoolctl controller, made once: its scan of the loaded libraries takes ~2 ms a call


def _one_blas_thread():
    """Context with one BLAS / OpenMP thread (as ``threadpoolctl.threadpool_limits(1)``)."""
    try:
        import scipy.linalg  # noqa: F401 - every BLAS the fit uses is loaded before the scan
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is in the pinned environment
        return contextlib.nullcontext()
    if not _THREADPOOLS:
        _THREADPOOLS.append(ThreadpoolController())
    return _THREADPOOLS[0].limit(limits=1)


def _mme_fit(y: np.ndarray, X: np.ndarray, factors: list[tuple[str, np.ndarray, int]]):
    """REML variance components and Henderson's solution by the one door, :func:`helpers.stats.mixed.fit`.

    Returns ``beta``, ``V(beta) = sigma2 [C^-1]_bb``, the BLUPs per kept factor, the variance components,
    ``sigma2`` and the convergence flag; components estimated at 0 are dropped from ``C``. The recipient
    factor is absorbed (:class:`helpers.stats.mixed.MME`: the same criterion and the same ``[C^-1]_bb``, a
    system of side ~30 instead of ~400 - tests/test_year_inference.py compares with the full system).
    """
    from helpers.stats.mixed import fit

    with _one_blas_thread():  # many small Cholesky factorisations: threads only contend (15x slower)
        res = fit(y, X, factors)
    blups = {f: res.blups[f] for f in res.kept}
    return res.beta, res.cov_beta, blups, res.variances, res.sigma2, res.converged


def year_mixed_model(scored: pd.DataFrame, measure: str = "composite", adjust=("role", "mode"),
                     years=None, recipients: bool = True, alpha: float = 0.05, instrument: str = "reference",
                     roster: pd.DataFrame | None = None, weighted: bool = True,
                     reference: dict | None = None, engine: str = "mme") -> MixedYearFit:
    """Linear mixed model ``score ~ C(year) + role + mode + (1|worker) + (1|interviewer) + (1|recipient)`` (REML).

    Model (Searle, Casella & McCulloch, 1992, *Variance Components*, ch. 6), for interview ``i`` of
    recipient ``r`` about worker ``w`` by interviewer ``j`` in year ``t``:
    ``y_i = mu + tau_t + x_i' gamma + a_w + b_j + c_r + e_i`` with crossed random intercepts
    ``a_w ~ N(0, s2_w)``, ``b_j ~ N(0, s2_j)``, ``c_r ~ N(0, s2_r)``, ``e_i ~ N(0, sigma2)``. The
    recipient effect ``c_r`` is on the keyed pseudonym (``recipient_pid``), so it covers both
    interviews of a pair **and** a recipient seen again in a later year: the recipient, not the
    interview, is the sampling unit (``recipients=False`` leaves it out, for comparison only).
    ``x_i``: treatment dummies of interviewer ``role`` and ``mode`` (a covariate that does not vary is
    dropped) and, with a ``roster`` and ``weighted=True``, of the ``stratum``.

    Standardised yearly means (regression standardisation, the case-mix adjustment of patient
    surveys: Zaslavsky, 2001, *Int J Qual Health Care* 13:481; O'Malley et al., 2005, *Health Serv
    Res* 40:2162): ``m_t = x_t' beta`` with ``x_t`` the fixed-effects row of the *standard interview*
    of year ``t`` - ``instrument="reference"``: a volunteer in person (:data:`REFERENCE_INSTRUMENT`),
    the only role present in every year; ``"pooled"``: the pooled role/mode mix of all years - and
    the stratum dummies at the year's population shares from the roster (model-based
    post-stratification; Little, 1993, *JASA* 88:1001). Random effects at 0: the mean over
    workers, interviewers and recipients. ``cov = X_s V(beta) X_s'``; contrasts and the trend are
    linear in ``m`` and take their SEs from it (Wald z, conditional on the REML variance components;
    no Kenward-Roger correction - the simulations in ``tests/test_year_inference.py`` check the level).
    Year contrasts do not depend on the reference (no year x role interaction): only the levels do.

    Engine: ``engine="mme"`` (default) - REML variance components by the hand-written Henderson-
    equations REML of :func:`helpers.stats.mixed.reml` (crossed factors, any number), then
    Henderson's equations ``C [b; u] = [X'y; Z'y]``, ``V(b) = sigma2 [C^-1]_bb`` (Henderson, 1975,
    *Biometrics* 31:423), the recipient factor absorbed (:class:`helpers.stats.mixed.MME`: a system of
    side ~30 instead of ~300) and the REML search by L-BFGS-B with the exact gradient (about 20
    evaluations). statsmodels ``MixedLM`` with ``vc_formula`` (``engine="statsmodels"``) is kept as
    the cross-check; timings in ``benchmarks/bench_year_inference.py``. The REML search runs with one
    BLAS thread: on the shared 2-core machine a multithreaded BLAS slowed the many small Cholesky
    factorisations 15x by thread contention. Rows with a missing score or covariate are dropped.
    """
    reference = reference or REFERENCE_INSTRUMENT
    if instrument not in ("reference", "pooled"):
        raise ValueError("year_mixed_model standardises to instrument='reference' or 'pooled'")
    use_strata = bool(weighted and roster is not None and "stratum" in scored)
    recipients = bool(recipients and "recipient_pid" in scored)
    cols = ["year", measure, "worker_id", "interviewer_id"] + list(adjust) + (["recipient_pid"] if recipients else []) \
        + (["stratum"] if use_strata else [])
    d = scored.loc[scored["year"].isin(_years(scored, years)), cols].dropna().copy()
    d["score"] = d[measure].astype("float64")
    d["year"] = d["year"].astype(int)
    adjust = tuple(a for a in adjust if d[a].nunique() > 1)
    use_strata = use_strata and d["stratum"].nunique() > 1
    shares = None
    if use_strata:
        r = roster[roster["year"].isin(d["year"].unique())]
        rows = list(zip(r["year"].astype(int), r["stratum"], r["population"], strict=True))
        total: dict[int, float] = {}
        for y, _, pop in rows:
            total[y] = total.get(y, 0) + pop
        shares = {}
        for y, st, pop in rows:  # population share of each stratum in its year (a repeated stratum: the last row)
            shares.setdefault(y, {})[st] = float(pop / total[y])
    notes: list[str] = []
    if engine == "statsmodels":
        return _interviewer_df(_year_mixed_statsmodels(d, measure, adjust, recipients, alpha, instrument, reference,
                                                       use_strata, shares), d, alpha)
    if engine != "mme":
        raise ValueError("engine must be 'mme' or 'statsmodels'")
    X, names, yrs, dn = _year_design(d, adjust, use_strata)
    notes += dn
    factors = []
    ids = {}
    for f, col in (("worker", "worker_id"), ("interviewer", "interviewer_id"), ("recipient", "recipient_pid")):
        if col not in d or (f == "recipient" and not recipients):
            continue
        levels, codes = np.unique(d[col].astype(str).to_numpy(), return_inverse=True)
        if len(levels) < 2 or len(levels) == len(d):
            notes.append(f"{f} effect not identifiable (one level, or one row per level): left out")
            continue
        factors.append((f, codes, len(levels)))
        ids[f] = levels
    y = d["score"].to_numpy()
    beta, V, blups, vcomp, sigma2, ok = _mme_fit(y, X, factors)
    vecs, sn = _standardisation_vectors(d, X, names, yrs, adjust, instrument, reference, shares)
    notes += sn
    variance = {f: vcomp.get(f, 0.0) for f in ("worker", "interviewer", "recipient") if f in vcomp}
    variance["residual"] = float(sigma2)
    leniency = pd.Series(blups.get("interviewer", np.zeros(len(ids.get("interviewer", [])))),
                         index=ids.get("interviewer", []), dtype="float64")
    se_fe = np.sqrt(np.clip(np.diag(V), 0, None))
    return _interviewer_df(_assemble_fit(d, measure, adjust, names, beta, V, se_fe, yrs, vecs, variance, leniency, ok,
                                         alpha, instrument, "REML, Henderson's equations (helpers.stats.mixed.reml)",
                                         notes, None), d, alpha)


def _interviewer_df(fit: MixedYearFit, d: pd.DataFrame, alpha: float) -> MixedYearFit:
    """The role coefficient with interviewer-level df (:func:`~helpers.studies.mystery_guest.role_gap.with_interviewer_df`):
    a t interval on the interviewers' between-within df instead of the Wald z (column ``df`` of ``fit.fixed``)."""
    fit.fixed = with_interviewer_df(fit.fixed, d, alpha)
    return fit


def _assemble_fit(d, measure, adjust, names, beta, V, se_fe, yrs, vecs, variance, leniency, ok, alpha, instrument,
                  engine, notes, result) -> MixedYearFit:
    z = stats.norm.ppf(1 - alpha / 2)
    S = np.vstack([vecs[y] for y in yrs])
    m = S @ beta
    cov = S @ V @ S.T
    rows = []
    year = d["year"].to_numpy()
    rec = d["recipient_pid"].to_numpy() if "recipient_pid" in d else None
    for k, y in enumerate(yrs):
        se = float(np.sqrt(max(cov[k, k], 0.0)))
        in_year = year == y
        n = int(in_year.sum())
        # a score lies on 0-100: the Wald interval is cut at the scale's ends (a mean near the ceiling gave
        # an upper end of 100.38); the cut interval holds the true mean whenever the uncut one does
        rows.append({"year": int(y), "estimate": float(m[k]), "se": se, "ci_low": max(float(m[k]) - z * se, 0.0),
                     "ci_high": min(float(m[k]) + z * se, 100.0), "n": n,
                     "n_recipients": int(pd.Series(rec[in_year]).nunique()) if rec is not None else n})
    means = pd.DataFrame(rows)
    crow = []
    for a, b in combinations(range(len(yrs)), 2):
        diff = float(m[b] - m[a])
        se = float(np.sqrt(max(cov[a, a] + cov[b, b] - 2 * cov[a, b], 0.0)))
        crow.append({"year_a": int(yrs[a]), "year_b": int(yrs[b]), "difference": diff, "se": se,
                     "ci_low": diff - z * se, "ci_high": diff + z * se,
                     "p": float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else np.nan})
    contrasts = pd.DataFrame(crow)
    if not contrasts.empty:
        contrasts["p_adjusted"] = holm(contrasts["p"])
    pz = 2 * stats.norm.sf(np.abs(beta) / np.where(se_fe > 0, se_fe, np.nan))
    fixed = pd.DataFrame({"term": names, "coef": beta, "se": se_fe, "ci_low": beta - z * se_fe,
                          "ci_high": beta + z * se_fe, "p": pz})
    covdf = pd.DataFrame(cov, index=[int(y) for y in yrs], columns=[int(y) for y in yrs])
    return MixedYearFit(measure, tuple(adjust), means, contrasts, fixed, variance, leniency, bool(ok), len(d), result,
                        covdf, instrument, engine, tuple(notes))


def _year_mixed_statsmodels(d, measure, adjust, recipients, alpha, instrument, reference, use_strata, shares):
    """The same model with statsmodels ``MixedLM`` (``vc_formula``): the slow cross-check of the MME engine."""
    import warnings

    import statsmodels.formula.api as smf  # local: statsmodels formula import is slow

    d = d.copy()
    d["one"] = 1
    rhs = " + ".join(["C(year)"] + [f"C({a})" for a in adjust] + (["C(stratum)"] if use_strata else []))
    vc = {"worker": "0 + C(worker_id)", "interviewer": "0 + C(interviewer_id)"}
    if recipients:
        vc["recipient"] = "0 + C(recipient_pid)"
    model = smf.mixedlm(f"score ~ {rhs}", d, groups="one", vc_formula=vc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(reml=True)
    fe = res.fe_params
    names = list(fe.index)
    V = res.cov_params().loc[names, names].to_numpy()
    yrs = sorted(d["year"].unique())
    vecs, notes = _standardisation_vectors(d, np.asarray(model.exog), names, yrs, adjust, instrument, reference,
                                           shares)
    variance = dict(zip(model.exog_vc.names, np.asarray(res.vcomp, dtype=float), strict=True))
    variance["residual"] = float(res.scale)
    return _assemble_fit(d, measure, adjust, names, fe.to_numpy(), V, res.bse_fe.to_numpy(), yrs, vecs, variance,
                         _blups(res, "interviewer"), res.converged, alpha, instrument, "REML, statsmodels MixedLM",
                         notes, res)


def raw_vs_adjusted(scored: pd.DataFrame, measure: str = "composite", years=None,
                    fit: MixedYearFit | None = None) -> pd.DataFrame:
    """Raw yearly means beside the mixed-model means adjusted for role and mode, and the interviewer mix.

    Raw: unweighted mean of all interviews of the year as conducted (clustered on the recipient,
    t interval) - depends on the interviewer mix. Adjusted: the constant instrument, the
    :func:`year_mixed_model` means standardised to a volunteer interviewing in person (or what
    ``fit`` was standardised to), net of which workers, interviewers and recipients were sampled.
    The table also gives the composition (share of interviews by social-worker interviewers, by
    phone). Columns: ``year, n, raw, raw_ci_low, raw_ci_high, adjusted, adjusted_ci_low,
    adjusted_ci_high, share_social_worker, share_phone``. :func:`composition_effect` measures the
    difference, :func:`helpers.narrative.trends.explain_adjustment` words it.
    """
    fit = fit or year_mixed_model(scored, measure, years=years)
    raw = yearly_summary(scored, None, False, measures=[measure], top_box=False, years=years, instrument=None)
    comp = scored[scored["year"].isin(raw["year"])].groupby("year").agg(
        share_social_worker=("role", lambda s: float((s == "social_worker").mean())),
        share_phone=("mode", lambda s: float((s == "phone").mean())))
    t = raw[["year", "n", "estimate", "ci_low", "ci_high"]].rename(
        columns={"estimate": "raw", "ci_low": "raw_ci_low", "ci_high": "raw_ci_high"})
    a = fit.means[["year", "estimate", "ci_low", "ci_high"]].rename(
        columns={"estimate": "adjusted", "ci_low": "adjusted_ci_low", "ci_high": "adjusted_ci_high"})
    return t.merge(a, on="year", how="left").merge(comp.reset_index(), on="year", how="left")


def _term(fit: MixedYearFit, prefix: str) -> pd.Series | None:
    rows = fit.fixed[fit.fixed["term"].str.startswith(prefix)]
    return None if rows.empty else rows.iloc[0]


def _signed_effect(fit: MixedYearFit, factor: str, level: str) -> dict | None:
    """The fixed effect of ``factor`` expressed as ``level`` minus the other level, with its 95% interval."""
    term = _term(fit, f"C({factor})")
    if term is None:
        return None
    sign = 1.0 if re.search(r"\[T\.(.+)\]", term["term"]).group(1) == level else -1.0
    lo, hi = sorted([sign * term["ci_low"], sign * term["ci_high"]])
    return {"effect": float(sign * term["coef"]), "ci_low": float(lo), "ci_high": float(hi)}


def composition_effect(table: pd.DataFrame, fit: MixedYearFit) -> dict | None:
    """What the interviewer mix does to the raw change, from :func:`raw_vs_adjusted` and its ``fit``.

    Picks the consecutive year pair where the share of social-worker interviews changed most (else the
    pair where raw and adjusted changes differ most) and returns ``year_a, year_b``, the shares
    ``share_a, share_b``, the role effect ``role`` (social worker minus volunteer: ``effect, ci_low,
    ci_high``) and ``role_part`` = role effect x change in share (the part of the raw change the role
    effect alone explains), the mode effect ``mode`` (phone minus in person) when modelled, the raw and
    adjusted changes ``raw_change, adjusted_change`` and ``gap = raw_change - adjusted_change`` (the
    adjusted change also nets out which workers and interviewers were sampled, which can offset the role
    effect). ``None`` with fewer than two years.

    Examples
    --------
    >>> fit = MixedYearFit("composite", ("role",), pd.DataFrame(), pd.DataFrame(),
    ...     pd.DataFrame({"term": ["C(role)[T.volunteer]"], "coef": [3.0], "ci_low": [2.0], "ci_high": [4.0]}),
    ...     {}, pd.Series(dtype=float), True, 0)
    >>> t = pd.DataFrame({"year": [2019, 2020], "raw": [90.0, 88.0], "adjusted": [90.0, 89.5],
    ...                   "share_social_worker": [0.0, 0.5]})
    >>> e = composition_effect(t, fit)
    >>> e["year_a"], e["year_b"], e["role"]["effect"], e["role_part"], e["gap"]
    (2019, 2020, -3.0, -1.5, -1.5)
    """
    t = table.sort_values("year").reset_index(drop=True)
    if len(t) < 2:
        return None
    raw_ch, adj_ch = t["raw"].diff(), t["adjusted"].diff()
    d_share = t["share_social_worker"].diff().abs()
    i = int(d_share.iloc[1:].idxmax()) if d_share.iloc[1:].max() > 0 else int((raw_ch - adj_ch).abs().iloc[1:].idxmax())
    sw_a, sw_b = float(t.loc[i - 1, "share_social_worker"]), float(t.loc[i, "share_social_worker"])
    role = _signed_effect(fit, "role", "social_worker")
    return {"year_a": int(t.loc[i - 1, "year"]), "year_b": int(t.loc[i, "year"]), "share_a": sw_a, "share_b": sw_b,
            "role": role, "role_part": None if role is None else role["effect"] * (sw_b - sw_a),
            "mode": _signed_effect(fit, "mode", "phone"), "raw_change": float(raw_ch.iloc[i]),
            "adjusted_change": float(adj_ch.iloc[i]), "gap": float(raw_ch.iloc[i] - adj_ch.iloc[i])}


# ---------------------------------------------------------------------------------------------
# ordinal regression of the item answers
# ---------------------------------------------------------------------------------------------


def item_answers_long(interviews: pd.DataFrame, codebook: Codebook | None = None, domains=("ethics", "competence",
                      "quality"), years=None) -> pd.DataFrame:
    """Substantive answers in long form, oriented so that higher is better (reverse-keyed items mirrored).

    Columns: ``interview_id, year, recipient_pid, worker_id, interviewer_id, role, mode, item, answer``
    (1 = worst ... 5 = best). Don't know, refused and blank are dropped.
    """
    from helpers.studies.mystery_guest.scoring import item_scores

    cb = codebook or load_codebook()
    f = interviews[interviews["year"].isin(_years(interviews, years))]
    items = [i for i in cb.item_codes if cb.items[i].domain in domains and i in f]
    sc = item_scores(f, cb)
    ids = ["interview_id", "year", "recipient_pid", "worker_id", "interviewer_id", "role", "mode"]
    wide = pd.concat([f[[c for c in ids if c in f]].reset_index(drop=True), sc[items].reset_index(drop=True)], axis=1)
    long = wide.melt(id_vars=[c for c in ids if c in f], value_vars=items, var_name="item", value_name="score")
    long = long.dropna(subset=["score"])
    smax = {i: cb.scale_of(i).max_code - cb.scale_of(i).min_code for i in items}
    long["answer"] = (1 + long["score"] / 100 * long["item"].map(smax)).round().astype(int)
    return long.drop(columns="score").reset_index(drop=True)


def ordinal_year_model(interviews: pd.DataFrame, codebook: Codebook | None = None,
                       adjust=("role", "mode", "worker_id"),
                       years=None, alpha: float = 0.05) -> pd.DataFrame:
    """Proportional-odds (cumulative logit) regression of the item answers on year.

    ``logit P(answer <= k) = theta_k - (beta_year + beta_role + beta_mode + beta_worker + beta_item)``
    (McCullagh, 1980, *JRSS B* 42:109), statsmodels ``OrderedModel`` (``distr="logit"``), item
    fixed effects so that items of different difficulty are compared with themselves, worker fixed
    effects (``adjust`` may name any id column) so that a year is not judged by which workers
    happened to be assessed in it, standard
    errors clustered on the recipient (all items and both interviews of a recipient are
    correlated). Year coefficients are differences from the first year on the latent logit scale,
    the scale of the demo truth; random effects are not modelled, so the coefficients are
    population-averaged and somewhat attenuated towards 0 relative to the planted (conditional) ones.

    Returns one row per year after the first: ``year, coef, se, ci_low, ci_high, p, n_answers``;
    ``mdd`` is the minimum detectable latent difference (80% power) for that standard error.
    ``attrs["cov"]``: covariance of the year coefficients (for contrasts between later years).
    Analytic scores (:func:`helpers.stats.ordinal.analytic_ordered_model`) keep the fit to a few seconds.
    """
    long = item_answers_long(interviews, codebook, years=years)
    yrs = sorted(long["year"].unique())
    X = pd.get_dummies(long["year"].astype(str), prefix="year", drop_first=True, dtype=float)
    for a in adjust:
        if long[a].nunique() > 1:
            X = X.join(pd.get_dummies(long[a].astype(str), prefix=a, drop_first=True, dtype=float))
    X = X.join(pd.get_dummies(long["item"].astype(str), prefix="item", drop_first=True, dtype=float))
    res = fit_cumulative_logit(long["answer"], X, groups=pd.factorize(long["recipient_pid"])[0])
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for y in yrs[1:]:
        name = f"year_{y}"
        coef, se = float(res.params[name]), float(res.bse[name])
        rows.append({"year": int(y), "reference": int(yrs[0]), "coef": coef, "se": se, "ci_low": coef - z * se,
                     "ci_high": coef + z * se, "p": float(res.pvalues[name]),
                     "mdd": minimum_detectable_difference(se, np.inf, alpha), "n_answers": int((long["year"] == y).sum())})
    out = pd.DataFrame(rows)
    names = [f"year_{y}" for y in yrs[1:]]
    out.attrs["cov"] = pd.DataFrame(np.asarray(res.cov_params().loc[names, names]), index=yrs[1:], columns=yrs[1:])
    out.attrs["n_answers"] = len(long)
    return out


def truth_check(ordinal: pd.DataFrame, truth: dict, alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
    """Planted year effects (demo truth, latent scale) against the ordinal model's estimates, per year pair.

    For every pair of years: planted difference, estimated difference of the coefficients with the
    SE from their covariance (``ordinal.attrs["cov"]``; independence assumed when it is absent),
    the MDD of that SE at ``power``, and:
    ``detectable`` = |planted| > MDD; ``significant`` = the 95% CI excludes 0; ``sign_ok`` = same
    sign; ``verdict``: "recovered (right sign)", "wrong sign" (significant, opposite sign),
    "missed although detectable" (should happen with probability about 1 - power), or
    "undetectable at this n".
    """
    eff = {int(k): float(v) for k, v in truth["year_effect"].items()}
    ref = int(ordinal["reference"].iloc[0])
    later = ordinal["year"].astype(int).tolist()
    yrs = [ref] + later
    coef = np.r_[0.0, ordinal["coef"].to_numpy()]
    cov = np.zeros((len(yrs), len(yrs)))
    c = ordinal.attrs.get("cov")
    cov[1:, 1:] = np.asarray(c.loc[later, later]) if c is not None else np.diag(ordinal["se"].to_numpy() ** 2)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for a, b in combinations(range(len(yrs)), 2):
        ya, yb = yrs[a], yrs[b]
        v = np.zeros(len(yrs))
        v[b], v[a] = 1.0, -1.0
        planted = eff.get(yb, np.nan) - eff.get(ya, np.nan)
        est = float(v @ coef)
        s = float(np.sqrt(v @ cov @ v))
        mdd = minimum_detectable_difference(s, np.inf, alpha, power)
        significant = bool(abs(est) > z * s)
        detectable = bool(abs(planted) > mdd)
        sign_ok = bool(np.sign(est) == np.sign(planted))
        if significant:
            verdict = "recovered (right sign)" if sign_ok else "wrong sign"
        else:
            verdict = "missed although detectable" if detectable else "undetectable at this n"
        rows.append({"year_a": ya, "year_b": yb, "planted": planted, "estimate": est, "se": s,
                     "ci_low": est - z * s, "ci_high": est + z * s, "mdd": mdd, "detectable": detectable,
                     "significant": significant, "sign_ok": sign_ok, "verdict": verdict})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# workers
# ---------------------------------------------------------------------------------------------


def worker_trajectories(scored: pd.DataFrame, measure: str = "composite", fit: MixedYearFit | None = None,
                        years=None, ci: float = 0.95, alpha: float = 0.05,
                        method: str = "holm") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adjusted score of every worker assessed in more than one year, per year, and their change.

    ``per_year`` (what the figure draws): adjusted score of an interview = the score minus the
    fixed effects of role and mode and minus the interviewer's estimated leniency (BLUP) of
    :func:`year_mixed_model`, i.e. what a volunteer of average leniency interviewing in person
    would have recorded. Per worker and year: mean with a t interval clustered on the recipient
    (:func:`helpers.stats.survey.weighted_mean`, unweighted); ``n`` interviews, ``n_recipients`` the
    recipients behind them (what a public report's small-cell suppression counts); ``relative`` = that
    mean minus the model's year mean.

    ``change`` (the flags): :func:`helpers.studies.mystery_guest.scoring.worker_slopes` - a mixed model of all interviews
    on the empirical-logit scale of the score (the ceiling compresses changes of strong workers in
    points) with year, role and mode fixed, one slope per worker relative to the organisation's year
    means, random worker, worker x year, interviewer and recipient intercepts and a residual
    variance per worker; the slope's SE comes from the model (not from the 6-9 df of one cell) and
    is tested with t. ``slope`` is in points per year at the worker's mean score. ``direction`` is
    "improved" / "declined" when the **Holm-adjusted** p-value across the workers compared is below
    ``alpha`` (``method="fdr_bh"`` for Benjamini-Hochberg), so the chance that any worker with no
    true change is flagged is at most ``alpha`` (measured in tests/test_worker_flags.py);
    otherwise "within the uncertainty". ``method``, ``alpha`` and ``n_compared`` say what is controlled
    (:func:`helpers.narrative.scoring.multiplicity_sentence` words it). Returns ``(per_year, change)``.
    """
    from helpers.studies.mystery_guest.scoring import worker_slopes

    fit = fit or year_mixed_model(scored, measure, years=years)
    d = scored[scored["year"].isin(_years(scored, years))].dropna(subset=[measure]).copy()
    change = worker_slopes(d, measure, alpha=alpha, method=method, ci=ci)
    change = change.assign(**{k: v for k, v in (("method", method), ("alpha", alpha)) if k not in change})
    multi = d.groupby("worker_id")["year"].nunique()
    d = d[d["worker_id"].isin(multi[multi > 1].index)]
    adj = d[measure].astype("float64").to_numpy().copy()
    for a in fit.adjust:
        for _, r in fit.fixed[fit.fixed["term"].str.startswith(f"C({a})")].iterrows():
            lvl = re.search(r"\[T\.(.+)\]", r["term"]).group(1)
            adj = adj - r["coef"] * (d[a].astype(str) == lvl).to_numpy()
    adj = adj - d["interviewer_id"].map(fit.interviewer_effects).fillna(0.0).to_numpy()
    d["adjusted"] = adj
    org = fit.means.set_index("year")["estimate"]
    rows = []
    for (w, y), g in d.groupby(["worker_id", "year"]):
        e = weighted_mean(g["adjusted"], clusters=g.get("recipient_pid", None), ci=ci)
        rows.append({"worker_id": w, "year": int(y), "n": e.n, "n_recipients": e.n_psu, "estimate": e.estimate,
                     "se": e.se, "ci_low": max(e.ci_low, 0.0), "ci_high": min(e.ci_high, 100.0),  # a 0-100 score
                     "relative": e.estimate - org.get(int(y), np.nan)})
    return pd.DataFrame(rows), change


# ---------------------------------------------------------------------------------------------
# COVID-19 safety
# ---------------------------------------------------------------------------------------------


def covid_compliance(interviews: pd.DataFrame, roster: pd.DataFrame | None = None,
                     codebook: Codebook | None = None, years=None, ci: float = 0.95) -> pd.DataFrame:
    """Share of "yes" answers to each COVID-19 safety item, per year and department and organisation-wide.

    Per department: design-based share (one stratum, clustered on the recipient: the two
    interviews of a recipient are one unit) with the Korn-Graubard interval
    (:func:`helpers.stats.survey.weighted_share`), and the Wilson interval (Wilson, 1927, *JASA* 22:209;
    ``statsmodels proportion_confint(method="wilson")``) that treats answers as independent,
    beside it. ``department == "all"``: design-weighted over the departments with the ``roster``
    (unweighted when it is ``None``). Don't know / refused / blank are not answers.
    """
    cb = codebook or load_codebook()
    items = [i for i in cb.items_in_domain("covid") if i in interviews]
    f = interviews[interviews["year"].isin(_years(interviews, years))]
    rows = []
    for y, fy in f.groupby("year"):
        groups = [(dept, g) for dept, g in fy.groupby("department")] + [("all", fy)]
        for dept, g in groups:
            for item in items:
                code = g[item].astype("float64")
                yes = code.where(code.isin([0, 1]))
                if yes.notna().sum() == 0:
                    continue
                e = _estimate(g, yes, roster if dept == "all" else None, dept == "all", True, ci)
                k, n = int((yes == 1).sum()), int(yes.notna().sum())
                wl, wh = proportion_confint(k, n, alpha=1 - ci, method="wilson")
                rows.append({"year": int(y), "department": dept, "item": item, "n": n, "n_recipients": e.n_psu,
                             "yes": k, "share": e.estimate * 100, "ci_low": e.ci_low * 100,
                             "ci_high": e.ci_high * 100, "wilson_low": wl * 100, "wilson_high": wh * 100,
                             "weighted": bool(dept == "all" and roster is not None)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# the run's shared artefacts: computed once, opened by the trends and summary notebooks
# ---------------------------------------------------------------------------------------------


def _a_sample(study, years):
    return sample_by_year(study.interviews(years), study.strata(years))


def _a_summary(study, years, instrument):
    return yearly_summary(study.scored(years), study.strata(years), instrument=instrument)


def _a_ceiling(study, years):
    return ceiling_by_year(study.scored(years))


def _a_fit(study, years, measure):
    return year_mixed_model(study.scored(years), measure, roster=study.strata(years))


def _a_comparisons(study, years, measure, instrument):
    fit = artefact(study, "fit", years, measure=measure) if instrument == "reference" else None
    return compare_years(study.scored(years), measure, roster=study.strata(years), instrument=instrument, fit=fit)


def _a_year_comparisons(study, years, measure):
    """Both year comparisons of ``measure`` and the headline (:func:`helpers.studies.mystery_guest.role_gap.year_comparisons`):
    the constant-instrument table is the ``comparisons`` artefact, the volunteer-only one and the gap check are added."""
    from helpers.studies.mystery_guest.role_gap import year_comparisons

    return year_comparisons(study.scored(years), measure, roster=study.strata(years),
                            model=artefact(study, "comparisons", years, measure=measure))


def _a_trend(study, years, measure, instrument):
    fit = artefact(study, "fit", years, measure=measure) if instrument == "reference" else None
    return trend_test(study.scored(years), measure, roster=study.strata(years), instrument=instrument, fit=fit)


def _a_raw_vs_adjusted(study, years):
    return raw_vs_adjusted(study.scored(years), fit=artefact(study, "fit", years, measure="composite"))


def _a_workers(study, years):
    return worker_trajectories(study.scored(years), fit=artefact(study, "fit", years, measure="composite"))


def _a_covid(study, years):
    return covid_compliance(study.interviews(years), study.strata(years), study.codebook)


def _a_ordinal(study, years):
    return ordinal_year_model(study.interviews(years), study.codebook)


#: the trends artefacts of a run, by name (``study.artefact("trends.<name>", ...)``)
ARTEFACTS = {"sample": _a_sample, "summary": _a_summary, "ceiling": _a_ceiling, "fit": _a_fit,
             "comparisons": _a_comparisons, "year_comparisons": _a_year_comparisons, "trend": _a_trend, "raw_vs_adjusted": _a_raw_vs_adjusted,
             "workers": _a_workers, "covid": _a_covid, "ordinal": _a_ordinal}


def artefact(study, name: str, years, **params):
    """The trends artefact ``name`` of ``years`` for ``study`` (:func:`~helpers.studies.mystery_guest.study.open_study`):
    computed on the first request of the run, loaded afterwards (``study.artefact("trends.<name>", ...)``).

    ``params``: ``instrument`` (``"reference"`` or ``None``) for ``summary``, ``comparisons``, ``trend``;
    ``measure`` for ``fit``, ``comparisons``, ``year_comparisons``, ``trend``. Defaults: ``instrument="reference"``,
    ``measure="composite"``.
    """
    compute = ARTEFACTS[name]
    names = compute.__code__.co_varnames[2:compute.__code__.co_argcount]
    defaults = {"instrument": "reference", "measure": "composite"}
    unknown = set(params) - set(names)
    if unknown:
        raise TypeError(f"artefact {name!r} takes {names}, not {sorted(unknown)}")
    full = {k: params.get(k, defaults[k]) for k in names}
    return study.artefact(f"trends.{name}", compute, years=sorted(int(y) for y in years), **full)


def trends_tables(study, years) -> dict:
    """Every table and model of the trends report (each an artefact of the run), by name."""
    out = {"sample": artefact(study, "sample", years),
           "summary": artefact(study, "summary", years),
           "summary_all": artefact(study, "summary", years, instrument=None),
           "ceiling": artefact(study, "ceiling", years),
           "fit": artefact(study, "fit", years)}
    out["comparisons"] = pd.concat([artefact(study, "comparisons", years, measure=m) for m in DOMAIN_MEASURES],
                                   ignore_index=True)
    out["comparisons_all"] = artefact(study, "comparisons", years, instrument=None)
    out["year_comparisons"] = artefact(study, "year_comparisons", years)  # composite: model, volunteers, gap check
    out["trend"] = pd.DataFrame([artefact(study, "trend", years, measure=m) for m in DOMAIN_MEASURES]
                                + [artefact(study, "trend", years, instrument=None)])
    out["ordinal"] = artefact(study, "ordinal", years)
    out["raw_vs_adjusted"] = artefact(study, "raw_vs_adjusted", years)
    out["per_year"], out["changes"] = artefact(study, "workers", years)
    out["covid"] = artefact(study, "covid", years)
    return out


def summary_tables(study, years) -> dict:
    """What the executive summary shows, by name: the same artefacts as the trends report (loaded when the
    trends report of the run computed them). ``comparisons`` is the **headline** year comparison of the composite
    (volunteer interviews only when the social-worker gap is not the same every year or cannot be checked:
    :func:`helpers.studies.mystery_guest.role_gap.role_gap_check`); ``year_comparisons`` holds both and the check."""
    per_year, changes = artefact(study, "workers", years)
    both = artefact(study, "year_comparisons", years)
    return {"sample": artefact(study, "sample", years), "fit": artefact(study, "fit", years),
            "summary": artefact(study, "summary", years),
            "summary_all": artefact(study, "summary", years, instrument=None),
            "comparisons": both.headline, "year_comparisons": both,
            "comparisons_all": artefact(study, "comparisons", years, instrument=None),
            "ceiling": artefact(study, "ceiling", years), "raw_vs_adjusted": artefact(study, "raw_vs_adjusted", years),
            "covid": artefact(study, "covid", years), "changes": changes}


def largest_consecutive_change(comparisons: pd.DataFrame, years) -> pd.Series | None:
    """The row of :func:`compare_years` with the largest absolute change between consecutive ``years``."""
    if comparisons is None or comparisons.empty:
        return None
    ys = sorted(int(y) for y in years)
    consec = comparisons[comparisons["year_b"] == comparisons["year_a"].map(lambda a: next((y for y in ys if y > a), -1))]
    return consec.loc[consec["difference"].abs().idxmax()] if not consec.empty else None
