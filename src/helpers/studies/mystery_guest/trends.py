"""Year-over-year analysis 2018-2021: trends with honest uncertainty, composition, workers, COVID-19.

**Years are compared on a constant instrument by default.** 2018-2019 were interviewed by
volunteers only; from 2020 every recipient is interviewed by a volunteer and by a social worker,
and social workers score about 3 points lower. A plain mean over all interviews therefore falls in
2020 even if nothing changed (in simulated studies with no change in quality it reported a change in
about 4 of 10 studies; ``benchmarks/RESULTS.md``). The default estimates are the yearly means of
:func:`year_mixed_model` standardised to a volunteer interviewing in person
(:data:`REFERENCE_INSTRUMENT`; regression standardisation as in patient-survey case-mix adjustment,
Zaslavsky 2001), with random intercepts for worker, interviewer and **recipient** - the recipient is
the sampling unit, whether interviewed twice in a year or again in a later year. The all-interview,
design-based figures (``instrument=None``) stay available and every sentence that reports them says
that they depend on the interviewer mix; every sentence names the instrument it reports
(:func:`instrument_label`).

Every yearly figure comes with ``n`` and a 95% interval. All-interview organisation-level means are
design-weighted where the year's sample is stratified (2020-2021: 10% of home care, 100% of
temporary residence) through :mod:`helpers.stats.survey`, clustered on the recipient; the model-based
ones put the departments at their population shares. Tests of change:

- :func:`compare_years`: every year pair with Holm-adjusted p-values, Cliff's delta and the minimum
  detectable difference (MDD, :mod:`helpers.stats.power`) at the Holm-Bonferroni level ``alpha/m``; a
  contrast that is not significant is reported as "changes between L and U cannot be excluded"
  (:func:`comparison_sentence`), never as "no change";
- :func:`trend_test`: linear trend across the years (contrast of the yearly means with their covariance);
- :func:`year_mixed_model`: the constant-instrument model (REML on Henderson's equations through
  :func:`helpers.stats.mixed.reml`; statsmodels ``MixedLM`` as the cross-check);
  :func:`raw_vs_adjusted` puts its yearly means beside the all-interview ones with a sentence that
  explains the difference;
- :func:`ordinal_year_model`: proportional-odds regression (statsmodels ``OrderedModel``) of the item
  answers on year, role, mode and worker, clustered on the recipient across years, whose
  coefficients live on the latent logit scale of the demo truth;
- :func:`worker_trajectories`, :func:`covid_compliance`, :func:`ceiling_by_year`,
  :func:`truth_check` and :func:`key_findings` (plain-language sentences in English or Russian).

A trend of a measure is not tested when too many interviews sit at the ceiling
(:data:`CEILING_LIMIT`): the result then carries a sentence instead of a p-value.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from itertools import combinations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from helpers.io.codebook import Codebook, load_codebook
from helpers.stats.power import minimum_detectable_difference
from helpers.stats.survey import design_weights, weighted_mean, weighted_share
from helpers.studies.mystery_guest.overview import PUBLISHED, sample_counts

__all__ = [
    "load_years",
    "CEILING_LIMIT",
    "DOMAIN_MEASURES",
    "REFERENCE_INSTRUMENT",
    "CliffsDelta",
    "MixedYearFit",
    "caveats",
    "ceiling_by_year",
    "cliffs_delta",
    "compare_years",
    "comparison_sentence",
    "covid_compliance",
    "instrument_label",
    "key_findings",
    "key_numbers",
    "ordinal_year_model",
    "plot_covid",
    "plot_raw_vs_adjusted",
    "plot_worker_trajectories",
    "plot_yearly",
    "raw_vs_adjusted",
    "sample_by_year",
    "trend_sentence",
    "trend_test",
    "truth_check",
    "truth_sentence",
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
              ci: float = 0.95):
    fn = weighted_share if share else weighted_mean
    clusters = frame.get("recipient_pid", None)
    if weighted and roster is not None:
        w = design_weights(frame, roster)
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
    return interviews, strata, score_interviews(interviews, codebook or load_codebook())


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
    :func:`instrument_label` turns it into the words every report sentence carries):

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
    for y in _years(scored, years):
        f = scored[scored["year"] == y]
        for m in measures:
            v = f[m].astype("float64")
            if v.notna().sum() == 0:
                continue
            specs = [(m, v, False)]
            if top_box:
                specs.append((f"{m}_top", (v >= _TOP).astype("float64").where(v.notna()), True))
            for name, values, share in specs:
                e = _estimate(f, values, roster, is_weighted, share, ci)
                k = 100.0 if share else 1.0
                rows.append({"year": y, "measure": name, "estimate": e.estimate * k, "se": e.se * k,
                             "ci_low": e.ci_low * k, "ci_high": e.ci_high * k, "n": e.n,
                             "n_recipients": e.n_psu, "df": e.df, "weighted": is_weighted, "instrument": used})
    return pd.DataFrame(rows)


def _linearised_by_recipient(frame: pd.DataFrame, values: pd.Series, roster: pd.DataFrame | None,
                             weighted: bool) -> tuple[pd.DataFrame, dict]:
    """Linearised values ``z_i`` of one year's (weighted) mean, summed per recipient, and the strata's factors.

    As :func:`helpers.stats.survey.weighted_mean`: ``z_hi = sum over the rows of recipient i of
    w (y - ybar) / sum w``, respondents' weights scaled up to the stratum total. Returns a frame
    indexed by recipient (columns ``stratum``, ``z``, centred within the stratum) and per stratum
    ``n_h / (n_h - 1)`` times the FPC ``1 - n_h / N_h`` (1 when unweighted).
    """
    y = values.astype("float64").to_numpy()
    use = bool(weighted and roster is not None)
    w = design_weights(frame, roster).to_numpy() if use else np.ones(len(y))
    h = frame["stratum"].astype(str).to_numpy() if use else np.zeros(len(y), dtype=object)
    psu = (frame["recipient_pid"].astype(str).to_numpy() if "recipient_pid" in frame
           else np.array([f"row{k}" for k in range(len(y))], dtype=object))
    ok = ~np.isnan(y)
    if use:
        full = pd.Series(w).groupby(h).transform("sum").to_numpy()
        resp = pd.Series(np.where(ok, w, 0.0)).groupby(h).transform("sum").to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            w = w * full / resp
    y, w, h, psu = y[ok], w[ok], h[ok], psu[ok]
    mean = float((w * y).sum() / w.sum())
    t = pd.DataFrame({"h": h, "psu": psu, "z": w * (y - mean) / w.sum(), "w": w})
    t = t.groupby(["h", "psu"], sort=False).agg(z=("z", "sum"), w=("w", "sum")).reset_index()
    factor = {}
    for hh, g in t.groupby("h"):
        n_h = len(g)
        fpc = max(0.0, 1.0 - n_h / g["w"].sum()) if use else 1.0
        factor[hh] = fpc * n_h / (n_h - 1) if n_h > 1 else 0.0
    t["z"] = t["z"] - t.groupby("h")["z"].transform("mean")
    return t.drop_duplicates("psu").set_index("psu")[["h", "z"]], factor


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
    for y in yrs:
        f = scored[scored["year"] == y]
        lin[y] = _linearised_by_recipient(f, f[measure], roster, weighted)
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
    rows = []
    for y in _years(scored, years):
        f = scored[scored["year"] == y]
        for m in measures:
            v = f[m].astype("float64").dropna()
            if len(v) == 0:
                continue
            share = float((v >= _TOP).mean())
            rows.append({"year": y, "measure": m, "n": len(v), "ceiling_share": share,
                         "sd": float(v.std(ddof=1)) if len(v) > 1 else np.nan,
                         "testable": bool(share < limit and len(v) > 1 and v.std(ddof=1) > 0)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# effect sizes and pairwise comparisons
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CliffsDelta:
    """Cliff's delta of ``x`` against ``y`` with its asymmetric 95% interval."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    n_x: int
    n_y: int


def cliffs_delta(x, y, ci: float = 0.95, variance: str = "unbiased", distribution: str = "t") -> CliffsDelta:
    """Cliff's delta, ``P(X > Y) - P(X < Y)``, with the asymmetric interval of Feng & Cliff.

    ``d = (1 / (n_x n_y)) sum_i sum_j sign(x_i - y_j)`` (Cliff, 1993, *Psychological Bulletin*
    114:494); equivalently ``d = 2 U / (n_x n_y) - 1`` with ``U`` the Mann-Whitney statistic (ties
    count 1/2). With ``d_i.``, ``d_.j`` the row and column means of the dominance matrix ``d_ij``:

    - ``variance="unbiased"`` (Cliff 1993, eq. 8): ``s^2 = (n_y^2 sum_i (d_i. - d)^2 + n_x^2 sum_j
      (d_.j - d)^2 - sum_ij (d_ij - d)^2) / (n_x n_y (n_x - 1)(n_y - 1))``;
    - ``variance="consistent"`` (Cliff 1996): ``s^2 = ((n_y - 1) s_i.^2 + (n_x - 1) s_.j^2 + s_ij^2)
      / (n_x n_y)`` with ``s_i.^2 = sum (d_i. - d)^2 / (n_x - 1)``, ``s_.j^2`` likewise and
      ``s_ij^2 = sum (d_ij - d)^2 / ((n_x - 1)(n_y - 1))``.

    Interval (Feng & Cliff, 2004, *J Mod Appl Stat Methods* 3:322):
    ``(d - d^3 -/+ q s sqrt((1 - d^2)^2 + q^2 s^2)) / (1 - d^2 + q^2 s^2)`` with ``q`` the normal or
    Student-t (``n_x + n_y - 2`` df) quantile. As R ``effsize::cliff.delta`` (Torchiano, 2020), whose
    defaults (unbiased, t) are ours; with complete separation (``|d| = 1``) ``d`` is shrunk by
    ``(n_x n_y - 1) / (n_x n_y)`` for the variance and the interval is closed at ``+/-1``. Missing
    values are dropped. Hand-written: no maintained Python library gives this interval; tests check
    ``d`` against ``scipy.stats.mannwhitneyu`` and the intervals against effsize's published test output.

    Examples
    --------
    effsize's test case: treatment (10, 10, 20, 20, 20, 30, 30, 30, 40, 50) against control
    (10, 20, 30, 40, 40, 50); consistent variance, normal quantile: d = -0.25, CI (-0.7125, 0.3640).

    >>> r = cliffs_delta([10, 10, 20, 20, 20, 30, 30, 30, 40, 50], [10, 20, 30, 40, 40, 50],
    ...                  variance="consistent", distribution="normal")
    >>> round(r.estimate, 4), round(r.ci_low, 4), round(r.ci_high, 4)
    (-0.25, -0.7125, 0.364)
    """
    a = pd.to_numeric(pd.Series(x), errors="coerce").astype("float64").dropna().to_numpy()
    b = pd.to_numeric(pd.Series(y), errors="coerce").astype("float64").dropna().to_numpy()
    nx, ny = len(a), len(b)
    if nx == 0 or ny == 0:
        return CliffsDelta(np.nan, np.nan, np.nan, np.nan, nx, ny)
    dom = np.sign(a[:, None] - b[None, :])
    d = float(dom.mean())
    if nx < 2 or ny < 2:
        return CliffsDelta(d, np.nan, np.nan, np.nan, nx, ny)
    dd = d * (nx * ny - 1) / (nx * ny) if abs(d) == 1 else d
    di, dj = dom.mean(axis=1), dom.mean(axis=0)
    ssr = float(((dom - dd) ** 2).sum())
    if variance == "unbiased":
        var = (ny**2 * ((di - dd) ** 2).sum() + nx**2 * ((dj - dd) ** 2).sum() - ssr) / (nx * ny * (nx - 1) * (ny - 1))
    elif variance == "consistent":
        s_i = ((di - dd) ** 2).sum() / (nx - 1)
        s_j = ((dj - dd) ** 2).sum() / (ny - 1)
        var = ((ny - 1) * s_i + (nx - 1) * s_j + ssr / ((nx - 1) * (ny - 1))) / (nx * ny)
    else:
        raise ValueError("variance must be 'unbiased' or 'consistent'")
    var = max(float(var), 0.0)
    q = stats.norm.ppf(0.5 + ci / 2) if distribution == "normal" else stats.t.ppf(0.5 + ci / 2, nx + ny - 2)
    root = q * np.sqrt(var) * np.sqrt((1 - dd**2) ** 2 + q**2 * var)
    den = 1 - dd**2 + q**2 * var
    if den <= 0:
        return CliffsDelta(d, np.nan, np.nan, float(np.sqrt(var)), nx, ny)
    low, high = (dd - dd**3 - root) / den, (dd - dd**3 + root) / den
    if d == 1:
        high = 1.0
    if d == -1:
        low = -1.0
    return CliffsDelta(d, float(max(-1.0, low)), float(min(1.0, high)), float(np.sqrt(var)), nx, ny)


def _not_testable(ceiling: pd.DataFrame, measure: str, years: list[int]) -> list[int]:
    if ceiling.empty:
        return []
    c = ceiling[(ceiling["measure"] == measure) & ceiling["year"].isin(years)]
    return [int(y) for y in c.loc[~c["testable"], "year"]]


def _diff(ea: pd.Series, eb: pd.Series, alpha: float, power: float, cov: float = 0.0) -> dict:
    diff = eb["estimate"] - ea["estimate"]
    va, vb = ea["se"] ** 2, eb["se"] ** 2
    se = float(np.sqrt(max(va + vb - 2 * cov, 0.0)))
    # Welch-Satterthwaite degrees of freedom from the two design-based t intervals
    den = (va**2 / ea["df"] if va > 0 else 0.0) + (vb**2 / eb["df"] if vb > 0 else 0.0)
    df = float((va + vb) ** 2 / den) if den > 0 else np.inf
    if se > 0:
        half = stats.t.ppf(1 - alpha / 2, df) * se
        p = float(2 * stats.t.sf(abs(diff) / se, df))
    else:
        half, p = np.nan, np.nan
    return {"difference": diff, "se": se, "df": df, "ci_low": diff - half, "ci_high": diff + half, "p": p,
            "covariance": float(cov)}


def _check_fit(fit, measure: str) -> None:
    if fit is not None and fit.measure != measure:
        raise ValueError(f"fit is a model of {fit.measure!r}, not of {measure!r}")


def _quantile(level: float, df: float) -> float:
    return float(stats.norm.ppf(level) if not np.isfinite(df) else stats.t.ppf(level, df))


def compare_years(scored: pd.DataFrame, measure: str = "composite", roster: pd.DataFrame | None = None,
                  weighted: bool = True, years=None, alpha: float = 0.05, power: float = 0.8,
                  method: str = "holm", limit: float = CEILING_LIMIT, lang: str = "en",
                  instrument: str | None = "reference", fit: MixedYearFit | None = None) -> pd.DataFrame:
    """Every pair of years: difference ``year_b - year_a`` in points with CI, Holm-adjusted p, Cliff's delta, MDD.

    What is compared (``instrument``; column ``instrument_label`` says it in words):

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
      (:func:`_holm`; another ``method`` goes to ``statsmodels.stats.multitest.multipletests``).
    - ``ci_low_adjusted`` / ``ci_high_adjusted``: interval at level ``1 - alpha / m``, the
      Bonferroni level that bounds Holm's (Holm's first step is ``alpha / m``, later steps are more
      lenient). A pair that is not Holm-significant always has 0 inside this interval, so the
      sentence "changes between L and U cannot be excluded" quotes it.
    - ``mdd``: minimum detectable difference at ``power`` for that ``se`` and ``df`` at the
      **adjusted** level ``alpha / m`` (a conservative bound for Holm's step-down levels;
      :func:`helpers.stats.power.minimum_detectable_difference`); ``mdd_unadjusted`` at ``alpha``.
    - ``cliffs_delta`` (+ CI): unweighted, interview level (:func:`cliffs_delta`), on the reference
      role's interviews only when ``instrument`` is not ``None``; ties at the ceiling pull it towards
      0. Its interval treats interviews as independent.
    - When either year has :data:`CEILING_LIMIT` or more of its interviews at 100, ``p`` and
      ``p_adjusted`` are ``NaN`` and ``verdict`` says the change cannot be tested.

    ``verdict``: "increase" / "decrease" (adjusted p < alpha), "not significant", or
    "not testable (ceiling)". Non-significance never bounds the change by the MDD: the sentence
    gives the interval of changes that cannot be excluded.

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
        est = fit.means.set_index("year")
        ref_role = REFERENCE_INSTRUMENT["role"]
        cliff_frame = scored[scored["role"] == ref_role] if "role" in scored and (scored["role"] == ref_role).any() \
            else scored
        for c in fit.contrasts.itertuples():
            ea, eb = est.loc[c.year_a], est.loc[c.year_b]
            rows.append({"year_a": int(c.year_a), "year_b": int(c.year_b), "measure": measure,
                         "n_a": int(ea["n"]), "n_b": int(eb["n"]), "recipients_a": int(ea["n_recipients"]),
                         "recipients_b": int(eb["n_recipients"]), "estimate_a": ea["estimate"],
                         "estimate_b": eb["estimate"], "difference": c.difference, "se": c.se, "df": np.inf,
                         "ci_low": c.difference - stats.norm.ppf(1 - alpha / 2) * c.se,
                         "ci_high": c.difference + stats.norm.ppf(1 - alpha / 2) * c.se, "p": c.p,
                         "covariance": float(fit.cov.loc[c.year_a, c.year_b])})
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
            rows.append(r | _diff(ea, eb, alpha, power, V[a, b]))
    for r in rows:
        blocked = _not_testable(ceiling, measure, [r["year_a"], r["year_b"]])
        if blocked:
            r["p"] = np.nan
        cd = cliffs_delta(cliff_frame.loc[cliff_frame["year"] == r["year_b"], measure],
                          cliff_frame.loc[cliff_frame["year"] == r["year_a"], measure])
        r |= {"cliffs_delta": cd.estimate, "cliffs_ci_low": cd.ci_low, "cliffs_ci_high": cd.ci_high,
              "ceiling_blocked": bool(blocked)}
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_adjusted"] = np.nan
    ok = out["p"].notna()
    m = int(ok.sum())
    if ok.any():
        out.loc[ok, "p_adjusted"] = (_holm(out.loc[ok, "p"]) if method == "holm" else
                                     multipletests(out.loc[ok, "p"], alpha=alpha, method=method)[1])
    alpha_adj = alpha / max(m, 1)
    out["alpha_adjusted"] = alpha_adj
    half = np.array([_quantile(1 - alpha_adj / 2, df) for df in out["df"]]) * out["se"].to_numpy()
    out["ci_low_adjusted"] = out["difference"] - half
    out["ci_high_adjusted"] = out["difference"] + half
    out["mdd"] = [minimum_detectable_difference(se, df, alpha_adj, power) for se, df in zip(out["se"], out["df"],
                                                                                             strict=True)]
    out["mdd_unadjusted"] = [minimum_detectable_difference(se, df, alpha, power)
                             for se, df in zip(out["se"], out["df"], strict=True)]
    out["verdict"] = ["not testable (ceiling)" if r.ceiling_blocked else
                      ("increase" if r.difference > 0 else "decrease") if r.p_adjusted < alpha else "not significant"
                      for r in out.itertuples()]
    out["instrument"] = used
    out["instrument_label"] = instrument_label(used, lang)
    out["sentence"] = [comparison_sentence(r, lang, power) for _, r in out.iterrows()]
    first = ["year_a", "year_b", "difference", "ci_low", "ci_high", "p_adjusted", "mdd"]
    return out[first + [c for c in out.columns if c not in first]]


def comparison_sentence(r: pd.Series, lang: str = "en", power: float = 0.8) -> str:
    """One row of :func:`compare_years` in words, naming the instrument it reports.

    Significant: the change, its 95% interval and the Holm p. Not significant: "changes between L
    and U cannot be excluded" (the interval at the Bonferroni level ``alpha / m``, which contains 0
    whenever Holm does not reject) and the MDD at that level - never "no change larger than the MDD".
    """
    ru = lang == "ru"
    ya, yb, d = int(r["year_a"]), int(r["year_b"]), r["difference"]
    label = instrument_label(r["instrument"], lang)
    if r["verdict"].startswith("not testable"):
        return (f"{ya}→{yb} ({label}): изменение не проверяется — слишком много оценок на максимуме шкалы." if ru else
                f"{ya} to {yb} ({label}): the change is not tested, too many scores sit at the top of the scale.")
    if r["verdict"] in ("increase", "decrease"):
        return (f"{ya}→{yb} ({label}): {d:+.1f} балла (95% ДИ {r['ci_low']:.1f}…{r['ci_high']:.1f}), значимо "
                f"с поправкой Холма (p = {r['p_adjusted']:.3f}); при n = {int(r['recipients_a'])} и "
                f"n = {int(r['recipients_b'])} получателей обнаружима разница больше {r['mdd']:.1f} балла "
                f"(мощность {power:.0%} на уровне Холма–Бонферрони)." if ru else
                f"{ya} to {yb} ({label}): {d:+.1f} points (95% CI {r['ci_low']:.1f} to {r['ci_high']:.1f}), "
                f"significant after Holm adjustment (p = {r['p_adjusted']:.3f}); with n = {int(r['recipients_a'])} and "
                f"n = {int(r['recipients_b'])} recipients, differences larger than {r['mdd']:.1f} points could be "
                f"detected ({power:.0%} power at the Holm-Bonferroni level).")
    lvl, a = 1 - r["alpha_adjusted"], r["alpha_adjusted"]
    lo, hi = r["ci_low_adjusted"], r["ci_high_adjusted"]
    if ru:
        return (f"{ya}→{yb} ({label}): {d:+.1f} балла, незначимо с поправкой Холма (p = {r['p_adjusted']:.2f}); "
                f"нельзя исключить изменения от {lo:+.1f} до {hi:+.1f} балла ({lvl:.1%}-й интервал на уровне "
                f"Бонферрони α/m = {a:.4f}, ограничивающем поправку Холма). При n = {int(r['recipients_a'])} и "
                f"n = {int(r['recipients_b'])} получателей можно обнаружить только разницу больше {r['mdd']:.1f} "
                f"балла (мощность {power:.0%} на том же уровне).")
    return (f"{ya} to {yb} ({label}): {d:+.1f} points, not significant after Holm adjustment "
            f"(p = {r['p_adjusted']:.2f}); changes between {lo:+.1f} and {hi:+.1f} points cannot be excluded "
            f"({lvl:.1%} interval at the Bonferroni level alpha/m = {a:.4f}, which bounds Holm's). With "
            f"n = {int(r['recipients_a'])} and n = {int(r['recipients_b'])} recipients, only differences larger "
            f"than {r['mdd']:.1f} points could be detected ({power:.0%} power at that level).")


def trend_test(scored: pd.DataFrame, measure: str = "composite", roster: pd.DataFrame | None = None,
               weighted: bool = True, years=None, limit: float = CEILING_LIMIT, ci: float = 0.95,
               instrument: str | None = "reference", fit: MixedYearFit | None = None) -> pd.Series:
    """Linear trend across the years: slope (points per year) of the yearly estimates, with CI and p.

    The slope is the least-squares line through the yearly estimates ``m``:
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

    ``p`` is ``NaN`` with a ``note`` when a year is at the ceiling. ``instrument`` names what was used.

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
           "slope": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan, "note": "",
           "instrument": used}
    if len(est) < 3:
        out["note"] = "fewer than three years with an estimate"
        return pd.Series(out)
    c = yrs - yrs.mean()
    ss = float((c**2).sum())
    slope = float((c * est["estimate"].to_numpy()).sum() / ss)
    se = float(np.sqrt(max(c @ V @ c, 0.0)) / ss)
    z = stats.norm.ppf(0.5 + ci / 2)
    out |= {"slope": slope, "se": se, "ci_low": slope - z * se, "ci_high": slope + z * se,
            "p": float(2 * stats.norm.sf(abs(slope) / se)) if se > 0 else np.nan}
    blocked = _not_testable(ceiling_by_year(scored, [measure], limit, years), measure, [int(y) for y in yrs])
    if blocked:
        out["p"] = np.nan
        out["note"] = (f"not tested: {len(blocked)} year(s) ({', '.join(map(str, blocked))}) have "
                       f"{limit:.0%} or more of the interviews at the top of the scale")
    return pd.Series(out)


def trend_sentence(trend: pd.Series, lang: str = "en", alpha: float = 0.05) -> str:
    """The result of :func:`trend_test` in words (or why it was not tested), naming the instrument.

    Not significant: "slopes between L and U points per year cannot be excluded" (the 95% interval),
    never "no trend".
    """
    ru = lang == "ru"
    m = _measure_label(str(trend["measure"]), lang)
    label = instrument_label(trend.get("instrument", None), lang)
    if not np.isfinite(trend["slope"]):
        return (f"{m}: тренд не оценивается ({trend['note']}; {label})." if ru else
                f"{m}: no trend estimated ({trend['note']}; {label}).")
    ci = f"{trend['ci_low']:+.2f}…{trend['ci_high']:+.2f}" if ru else f"{trend['ci_low']:+.2f} to {trend['ci_high']:+.2f}"
    if not np.isfinite(trend["p"]):
        return (f"{m}: наклон {trend['slope']:+.2f} балла в год (95% ДИ {ci}) не проверяется: {trend['note']} ({label})."
                if ru else
                f"{m}: slope {trend['slope']:+.2f} points per year (95% CI {ci}) is not tested: {trend['note']} ({label}).")
    if trend["p"] < alpha:
        word = ("растёт" if trend["slope"] > 0 else "снижается") if ru else ("rises" if trend["slope"] > 0 else "falls")
        return (f"{m} {word} на {abs(trend['slope']):.2f} балла в год (95% ДИ {ci}, p = {trend['p']:.3f}, годы "
                f"{trend['years']}; {label})." if ru else
                f"{m} {word} by {abs(trend['slope']):.2f} points per year (95% CI {ci}, p = {trend['p']:.3f}, years "
                f"{trend['years']}; {label}).")
    return (f"{m}: линейный тренд не подтверждается (наклон {trend['slope']:+.2f} балла в год, p = {trend['p']:.2f}); "
            f"нельзя исключить наклон от {trend['ci_low']:+.2f} до {trend['ci_high']:+.2f} балла в год (95% ДИ; "
            f"{label})." if ru else
            f"{m}: no linear trend shown (slope {trend['slope']:+.2f} points per year, p = {trend['p']:.2f}); slopes "
            f"between {trend['ci_low']:+.2f} and {trend['ci_high']:+.2f} points per year cannot be excluded (95% CI; "
            f"{label}).")


# ---------------------------------------------------------------------------------------------
# the constant instrument: role- and mode-standardised yearly means from a mixed model
# ---------------------------------------------------------------------------------------------

REFERENCE_INSTRUMENT = {"role": "volunteer", "mode": "in_person"}
"""The reference instrument every default year comparison is standardised to: a volunteer
interviewing in person - the only interviewer role present in every year (2018-2019 were
volunteer-only) and the mode of the reference in :mod:`helpers.studies.mystery_guest.simulate` and of the adjusted
worker scores."""

INSTRUMENTS = ("reference", "pooled", None)

_INSTRUMENT_LABEL = {
    "reference": {"en": "constant instrument: volunteer in-person interviews, role- and mode-standardised",
                  "ru": "постоянный инструмент: личные интервью волонтёров, стандартизация по роли и способу опроса"},
    "pooled": {"en": "constant instrument: the pooled role/mode mix of all years, standardised",
               "ru": "постоянный инструмент: общий для всех лет состав ролей и способов опроса, стандартизация"},
    "constant": {"en": "constant instrument: interviewer role and mode did not change",
                 "ru": "постоянный инструмент: роль опрашивающих и способ опроса не менялись"},
    None: {"en": "all interviews as conducted — depends on the interviewer mix",
           "ru": "все интервью как есть — зависит от состава опрашивающих"},
    "unrecorded": {"en": "all interviews, interviewer role and mode not recorded — may depend on the interviewer mix",
                   "ru": "все интервью, роль и способ опроса не записаны — может зависеть от состава опрашивающих"},
}


def instrument_label(instrument: str | None, lang: str = "en") -> str:
    """The words that say which comparison a number reports (every sentence of the reports carries one).

    Examples
    --------
    >>> instrument_label(None)
    'all interviews as conducted — depends on the interviewer mix'
    """
    if not isinstance(instrument, str) and pd.isna(instrument):  # None becomes NaN in a table column
        instrument = None
    return _INSTRUMENT_LABEL[instrument]["ru" if lang == "ru" else "en"]


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
    fixed: pd.DataFrame  # term, coef, se, ci_low, ci_high, p
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


def _holm(p) -> np.ndarray:
    """Holm (1979, *Scand J Statist* 6:65) adjusted p-values: sorted ``p_(k) (m - k + 1)``, running maximum, capped at 1.

    Same numbers as ``statsmodels.stats.multitest.multipletests(method="holm")``, which calls
    ``gc.collect()`` on every use (0.25 s with a large heap - too slow inside simulations).

    Examples
    --------
    >>> _holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1)))
    out = np.empty_like(adj)
    out[order] = adj
    return out


def _one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is in the pinned environment
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _mme_fit(y: np.ndarray, X: np.ndarray, factors: list[tuple[str, np.ndarray, int]]):
    """REML variance components (:func:`helpers.stats.mixed.reml`) and Henderson's solution.

    Returns ``beta``, ``V(beta) = sigma2 [C^-1]_bb``, the BLUPs per factor, the variance components,
    ``sigma2`` and the convergence flag; components estimated at 0 are dropped from ``C``.
    """
    from scipy import sparse

    from helpers.stats.mixed import reml as _reml_mme

    Zs = [sparse.csr_array((np.ones(len(c)), (np.arange(len(c)), c)), shape=(len(c), m)) for _, c, m in factors]
    with _one_blas_thread():  # a few hundred small Cholesky factorisations: threads only contend (15x slower)
        return _mme_solve(y, X, Zs, factors, _reml_mme(y, X, Zs))


def _mme_solve(y, X, Zs, factors, reml):
    from scipy import sparse

    sigma2, s2, ok, _ = reml
    vcomp = {f: float(v) for (f, _, _), v in zip(factors, s2, strict=True)}
    kept = [(k, z) for k, z in enumerate(Zs) if s2[k] > 1e-6 * sigma2]
    p = X.shape[1]
    if kept:
        Z = sparse.hstack([z for _, z in kept], format="csr")
        lam = np.concatenate([np.full(z.shape[1], sigma2 / s2[k]) for k, z in kept])
        ztx = np.asarray(Z.T @ X)
        C = np.block([[X.T @ X, ztx.T], [ztx, (Z.T @ Z).toarray() + np.diag(lam)]])
        rhs = np.concatenate([X.T @ y, Z.T @ y])
    else:
        C, rhs = X.T @ X, X.T @ y
    Cinv = np.linalg.inv(C)
    sol = Cinv @ rhs
    blups, start = {}, p
    for k, z in kept:
        blups[factors[k][0]] = sol[start:start + z.shape[1]]
        start += z.shape[1]
    return sol[:p], sigma2 * Cinv[:p, :p], blups, vcomp, sigma2, ok


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
    *Biometrics* 31:423). On the demo data with the recipient effect: 0.12 s against 0.95 s for
    statsmodels ``MixedLM`` with ``vc_formula`` (``engine="statsmodels"``, kept as the cross-check;
    best of 3, ``benchmarks/bench_year_inference.py``). The REML search runs with one BLAS thread:
    on the shared 2-core machine a multithreaded BLAS made the same fit take 7 s (a few hundred
    ~300 x 300 Cholesky factorisations, each slowed 15x by thread contention); statsmodels took
    2.6-6.5 s there. Rows with a missing score or covariate are dropped.
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
        shares = {int(y): (g.set_index("stratum")["population"] / g["population"].sum()).to_dict()
                  for y, g in r.groupby("year")}
    notes: list[str] = []
    if engine == "statsmodels":
        return _year_mixed_statsmodels(d, measure, adjust, recipients, alpha, instrument, reference, use_strata,
                                       shares)
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
    return _assemble_fit(d, measure, adjust, names, beta, V, se_fe, yrs, vecs, variance, leniency, ok, alpha,
                         instrument, "REML, Henderson's equations (helpers.stats.mixed.reml)", notes, None)


def _assemble_fit(d, measure, adjust, names, beta, V, se_fe, yrs, vecs, variance, leniency, ok, alpha, instrument,
                  engine, notes, result) -> MixedYearFit:
    z = stats.norm.ppf(1 - alpha / 2)
    S = np.vstack([vecs[y] for y in yrs])
    m = S @ beta
    cov = S @ V @ S.T
    rows = []
    for k, y in enumerate(yrs):
        se = float(np.sqrt(max(cov[k, k], 0.0)))
        g = d[d["year"] == y]
        rows.append({"year": int(y), "estimate": float(m[k]), "se": se, "ci_low": float(m[k]) - z * se,
                     "ci_high": float(m[k]) + z * se, "n": len(g),
                     "n_recipients": int(g["recipient_pid"].nunique()) if "recipient_pid" in g else len(g)})
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
        contrasts["p_adjusted"] = _holm(contrasts["p"])
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
                    fit: MixedYearFit | None = None, lang: str = "en") -> tuple[pd.DataFrame, str]:
    """Raw yearly means beside the mixed-model means adjusted for role and mode, and a sentence.

    Raw: unweighted mean of all interviews of the year as conducted (clustered on the recipient,
    t interval) - depends on the interviewer mix. Adjusted: the constant instrument, the
    :func:`year_mixed_model` means standardised to a volunteer interviewing in person (or what
    ``fit`` was standardised to), net of which workers, interviewers and recipients were sampled. The table also gives the composition (share
    of interviews by social-worker interviewers, by phone). The sentence names the year pair whose
    change differs most between raw and adjusted and the role effect behind it.
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
    t = t.merge(a, on="year", how="left").merge(comp.reset_index(), on="year", how="left")
    return t, explain_adjustment(t, fit, lang)


def _term(fit: MixedYearFit, prefix: str) -> pd.Series | None:
    rows = fit.fixed[fit.fixed["term"].str.startswith(prefix)]
    return None if rows.empty else rows.iloc[0]


def explain_adjustment(table: pd.DataFrame, fit: MixedYearFit, lang: str = "en") -> str:
    """Why raw and adjusted trends differ, in words, computed from ``table`` (:func:`raw_vs_adjusted`) and ``fit``.

    Names the consecutive year pair where the share of social-worker interviews changed most, the
    part of the raw change that the role effect alone explains (change in share x role effect),
    and the raw against the adjusted change; the adjusted change also nets out which workers and
    interviewers were sampled, which can offset the role effect.
    """
    ru = lang == "ru"
    t = table.sort_values("year").reset_index(drop=True)
    if len(t) < 2:
        return ""
    raw_ch, adj_ch = t["raw"].diff(), t["adjusted"].diff()
    role = _term(fit, "C(role)")
    mode = _term(fit, "C(mode)")
    d_share = t["share_social_worker"].diff().abs()
    i = int(d_share.iloc[1:].idxmax()) if d_share.iloc[1:].max() > 0 else int((raw_ch - adj_ch).abs().iloc[1:].idxmax())
    ya, yb = int(t.loc[i - 1, "year"]), int(t.loc[i, "year"])
    sw_a, sw_b = t.loc[i - 1, "share_social_worker"], t.loc[i, "share_social_worker"]
    parts = []
    if role is not None:
        lvl = re.search(r"\[T\.(.+)\]", role["term"]).group(1)
        sign = 1.0 if lvl == "social_worker" else -1.0  # express as social worker minus volunteer
        sw = sign * role["coef"]
        lo, hi = sorted([sign * role["ci_low"], sign * role["ci_high"]])
        part = sw * (sw_b - sw_a)
        if ru:
            head = (f"Социальные работники в роли опрашивающих ставят в среднем на {abs(sw):.1f} балла "
                    f"{'ниже' if sw < 0 else 'выше'}, чем волонтёры (95% ДИ {lo:.1f}…{hi:.1f}).")
            if abs(sw_b - sw_a) >= 0.01:
                head += (f" Между {ya} и {yb} гг. их доля среди интервью изменилась с {sw_a:.0%} до {sw_b:.0%}, что "
                         f"само по себе сдвигает сырое среднее на {part:+.1f} балла.")
            else:
                head += f" Их доля среди интервью между {ya} и {yb} гг. не менялась ({sw_b:.0%})."
            parts.append(head)
        else:
            head = (f"Social-worker interviewers score {abs(sw):.1f} points {'lower' if sw < 0 else 'higher'} than "
                    f"volunteers (95% CI {lo:.1f} to {hi:.1f}).")
            if abs(sw_b - sw_a) >= 0.01:
                head += (f" Between {ya} and {yb} their share of the interviews went from {sw_a:.0%} to {sw_b:.0%}, "
                         f"which by itself moves the raw mean by {part:+.1f} points.")
            else:
                head += f" Their share of the interviews did not change between {ya} and {yb} ({sw_b:.0%})."
            parts.append(head)
    if mode is not None:
        lvl = re.search(r"\[T\.(.+)\]", mode["term"]).group(1)
        sign = 1.0 if lvl == "phone" else -1.0
        ph = sign * mode["coef"]
        lo, hi = sorted([sign * mode["ci_low"], sign * mode["ci_high"]])
        parts.append(f"Интервью по телефону отличаются от личных на {ph:+.1f} балла (95% ДИ {lo:.1f}…{hi:.1f})." if ru
                     else f"Phone interviews differ from in-person ones by {ph:+.1f} points (95% CI {lo:.1f} to {hi:.1f}).")
    gap = float(raw_ch.iloc[i] - adj_ch.iloc[i])
    if ru:
        parts.append(f"Изменение {ya}→{yb} по всем интервью как есть, без взвешивания (зависит от состава опрашивающих): "
                     f"{raw_ch.iloc[i]:+.1f} балла; при постоянном инструменте (стандартизация по роли и способу опроса, "
                     f"с учётом того, какие работники, опрашивающие и получатели попали в выборку): {adj_ch.iloc[i]:+.1f} балла"
                     + (" — точечные оценки различаются меньше чем на 1 балл." if abs(gap) < 1 else
                        f" — поправка меняет изменение на {-gap:+.1f} балла."))
    else:
        parts.append(f"Counting all interviews as conducted, unweighted (which depends on the interviewer mix), the change {ya} to "
                     f"{yb} is {raw_ch.iloc[i]:+.1f} points; on the constant instrument (role- and mode-standardised, net "
                     f"of which workers, interviewers and recipients were sampled) it is {adj_ch.iloc[i]:+.1f} points"
                     + (" - the two point estimates differ by less than 1 point." if abs(gap) < 1 else
                        f" - the adjustment changes it by {-gap:+.1f} points."))
    return " ".join(parts)


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


def _ordered_model_class():
    """statsmodels ``OrderedModel`` with analytic scores (the library differentiates numerically).

    Same likelihood; only the derivatives are closed-form: with ``u = a_{y+1} - x b`` and
    ``l = a_y - x b``, ``d log p / d b = -(f(u) - f(l)) x / p`` and, for the threshold
    parameters (``a_1 = t_0``, ``a_j = a_{j-1} + exp(t_{j-1})``),
    ``d log p / d t_m = (f(u) d a_{y+1}/d t_m - f(l) d a_y / d t_m) / p``. The Hessian is the
    numerical Jacobian of the analytic score. Tests check the score against numerical
    differentiation and the fit against the plain ``OrderedModel``.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel
    from statsmodels.tools.numdiff import approx_fprime

    class _AnalyticOrderedModel(OrderedModel):
        def score_obs(self, params):
            params = np.asarray(params, dtype=float)
            k = self.k_vars
            low, upp = self._bounds(params)
            prob = np.maximum(self.cdf(upp) - self.cdf(low), 1e-300)
            f_u = np.where(np.isfinite(upp), self.pdf(np.where(np.isfinite(upp), upp, 0.0)), 0.0)
            f_l = np.where(np.isfinite(low), self.pdf(np.where(np.isfinite(low), low, 0.0)), 0.0)
            g_b = -((f_u - f_l) / prob)[:, None] * np.asarray(self.exog, dtype=float)
            th = params[k:]
            n_th = len(th)
            # d a_j / d t_m for j = 0..K (a_0 = -inf, a_K = +inf): 1 for m = 0 and 0 < j < K;
            # exp(t_m) for 1 <= m <= j - 1 and j < K
            levels = n_th + 2
            da = np.zeros((levels, n_th))
            for j in range(1, levels - 1):
                da[j, 0] = 1.0
                for m in range(1, j):
                    da[j, m] = np.exp(th[m])
            y = np.asarray(self.endog, dtype=int)
            g_t = (f_u[:, None] * da[y + 1] - f_l[:, None] * da[y]) / prob[:, None]
            return np.column_stack([g_b, g_t])

        def score(self, params):
            return self.score_obs(params).sum(axis=0)

        def hessian(self, params):
            return approx_fprime(np.asarray(params, dtype=float), self.score, centered=True)

    return _AnalyticOrderedModel


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
    Analytic scores (:func:`_ordered_model_class`) keep the fit to a few seconds.
    """
    long = item_answers_long(interviews, codebook, years=years)
    yrs = sorted(long["year"].unique())
    X = pd.get_dummies(long["year"].astype(str), prefix="year", drop_first=True, dtype=float)
    for a in adjust:
        if long[a].nunique() > 1:
            X = X.join(pd.get_dummies(long[a].astype(str), prefix=a, drop_first=True, dtype=float))
    X = X.join(pd.get_dummies(long["item"].astype(str), prefix="item", drop_first=True, dtype=float))
    cats = sorted(long["answer"].unique())
    endog = pd.Series(pd.Categorical(long["answer"], categories=cats, ordered=True))
    groups = pd.factorize(long["recipient_pid"])[0]
    model = _ordered_model_class()(endog, X, distr="logit")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(method="bfgs", maxiter=2000, disp=False, cov_type="cluster", cov_kwds={"groups": groups})
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


def truth_sentence(check: pd.DataFrame, lang: str = "en") -> str:
    """The truth check in words: how many planted differences were detectable, found, missed, of the wrong sign."""
    det = check[check["detectable"]]
    found = int((det["verdict"] == "recovered (right sign)").sum())
    sig = check[check["significant"]]
    wrong = int((check["verdict"] == "wrong sign").sum())
    undet = int((check["verdict"] == "undetectable at this n").sum())
    if lang == "ru":
        return (f"Из {len(check)} заложенных разностей лет {len(det)} больше минимально обнаружимой; из них найдено с "
                f"правильным знаком {found}. Значимых оценок {len(sig)}, с неверным знаком {wrong}. "
                f"{undet} разностей меньше МОР — отчёт называет их необнаружимыми при таких выборках, а не «отсутствием изменений».")
    return (f"Of {len(check)} planted year differences, {len(det)} exceed the minimum detectable difference and "
            f"{found} of those were found with the right sign. {len(sig)} estimates are significant, {wrong} with the "
            f"wrong sign. {undet} differences are below the MDD and are reported as undetectable with these samples, "
            f"not as 'no change'.")


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
    (:func:`helpers.stats.survey.weighted_mean`, unweighted); ``relative`` = that mean minus the
    model's year mean.

    ``change`` (the flags): :func:`helpers.studies.mystery_guest.scoring.worker_slopes` - a mixed model of all interviews
    on the empirical-logit scale of the score (the ceiling compresses changes of strong workers in
    points) with year, role and mode fixed, one slope per worker relative to the organisation's year
    means, random worker, worker x year, interviewer and recipient intercepts and a residual
    variance per worker; the slope's SE comes from the model (not from the 6-9 df of one cell) and
    is tested with t. ``slope`` is in points per year at the worker's mean score. ``direction`` is
    "improved" / "declined" when the **Holm-adjusted** p-value across the workers compared is below
    ``alpha`` (``method="fdr_bh"`` for Benjamini-Hochberg), so the chance that any worker with no
    true change is flagged is at most ``alpha`` (measured in tests/test_worker_flags.py);
    otherwise "within the uncertainty". ``control`` states it in words. Returns ``(per_year, change)``.
    """
    from helpers.studies.mystery_guest.scoring import worker_slopes

    fit = fit or year_mixed_model(scored, measure, years=years)
    d = scored[scored["year"].isin(_years(scored, years))].dropna(subset=[measure]).copy()
    change = worker_slopes(d, measure, alpha=alpha, method=method, ci=ci)
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
        rows.append({"worker_id": w, "year": int(y), "n": e.n, "estimate": e.estimate, "se": e.se,
                     "ci_low": e.ci_low, "ci_high": e.ci_high, "relative": e.estimate - org.get(int(y), np.nan)})
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
# findings in plain language
# ---------------------------------------------------------------------------------------------


def _largest_consecutive(comparisons: pd.DataFrame, years) -> pd.Series | None:
    if comparisons is None or comparisons.empty:
        return None
    ys = sorted(int(y) for y in years)
    consec = comparisons[comparisons["year_b"] == comparisons["year_a"].map(lambda a: next((y for y in ys if y > a), -1))]
    return consec.loc[consec["difference"].abs().idxmax()] if not consec.empty else None


def _change_clause(big: pd.Series, lang: str) -> str:
    """The verdict of one contrast of :func:`compare_years` as a clause (significant, not significant, ceiling)."""
    ru = lang == "ru"
    ya, yb, dd = int(big["year_a"]), int(big["year_b"]), big["difference"]
    if big["verdict"] in ("increase", "decrease"):
        return (f"{dd:+.1f} балла между {ya} и {yb} гг. (95% ДИ {big['ci_low']:.1f}…{big['ci_high']:.1f}), значимо с "
                f"поправкой Холма (p = {big['p_adjusted']:.3f})" if ru else
                f"{dd:+.1f} points from {ya} to {yb} (95% CI {big['ci_low']:.1f} to {big['ci_high']:.1f}), significant "
                f"after Holm adjustment (p = {big['p_adjusted']:.3f})")
    if big["verdict"].startswith("not testable"):
        return (f"изменение между {ya} и {yb} гг. проверить нельзя из-за эффекта потолка" if ru else
                f"the change from {ya} to {yb} cannot be tested because of the ceiling")
    return (f"{dd:+.1f} балла между {ya} и {yb} гг., незначимо с поправкой Холма (p = {big['p_adjusted']:.2f}); нельзя "
            f"исключить изменения от {big['ci_low_adjusted']:+.1f} до {big['ci_high_adjusted']:+.1f} балла" if ru else
            f"{dd:+.1f} points from {ya} to {yb}, not significant after Holm adjustment (p = {big['p_adjusted']:.2f}); "
            f"changes between {big['ci_low_adjusted']:+.1f} and {big['ci_high_adjusted']:+.1f} points cannot be excluded")


def key_findings(summary: pd.DataFrame, comparisons: pd.DataFrame, adjusted: pd.DataFrame,
                 fit: MixedYearFit, covid: pd.DataFrame | None = None, changes: pd.DataFrame | None = None,
                 lang: str = "en", comparisons_all: pd.DataFrame | None = None) -> list[str]:
    """The three most important findings as sentences, computed from the analysis tables.

    1. Level and change of the composite **on the instrument of** ``summary`` / ``comparisons``
       (by default the constant instrument of :func:`yearly_summary` / :func:`compare_years`:
       volunteer in-person interviews, role- and mode-standardised), named in the sentence: the
       range of the yearly estimates and the largest change between consecutive years with its
       verdict - significant after Holm, or "changes between L and U cannot be excluded" (the
       interval at the Bonferroni level ``alpha/m``). With ``comparisons_all`` (``compare_years(...,
       instrument=None)``) the same pair counted over all interviews follows, labelled as depending
       on the interviewer mix.
    2. Composition: how the interviewer mix moves the all-interview change (:func:`explain_adjustment`).
    3. COVID-19 safety: organisation-wide compliance shares of the last year with intervals, the
       change since the first COVID-19 year, and a warning when a department rests on few
       recipients; if there is no COVID-19 module, the workers who improved or declined.
    """
    ru = lang == "ru"
    out = []
    comp = summary[summary["measure"] == "composite"].sort_values("year")
    lo, hi = comp.loc[comp["estimate"].idxmin()], comp.loc[comp["estimate"].idxmax()]
    inst = comp["instrument"].iloc[0] if "instrument" in comp else None
    label = instrument_label(inst, lang)
    if ru:
        s = (f"Интегральный индекс качества (0–100; {label}) оставался высоким во все годы: от {lo['estimate']:.1f} "
             f"(95% ДИ {lo['ci_low']:.1f}…{lo['ci_high']:.1f}, n = {int(lo['n'])}, {int(lo['year'])} г.) до "
             f"{hi['estimate']:.1f} ({hi['ci_low']:.1f}…{hi['ci_high']:.1f}, n = {int(hi['n'])}, {int(hi['year'])} г.).")
    else:
        s = (f"The composite quality index (0-100; {label}) stayed high in every year, between {lo['estimate']:.1f} "
             f"(95% CI {lo['ci_low']:.1f} to {lo['ci_high']:.1f}, n = {int(lo['n'])}, {int(lo['year'])}) and "
             f"{hi['estimate']:.1f} ({hi['ci_low']:.1f} to {hi['ci_high']:.1f}, n = {int(hi['n'])}, {int(hi['year'])}).")
    big = _largest_consecutive(comparisons, comp["year"])
    if big is not None:
        s += (f" Самое большое изменение: {_change_clause(big, lang)}." if ru else
              f" The largest change: {_change_clause(big, lang)}.")
        if comparisons_all is not None and not comparisons_all.empty:
            a = comparisons_all[(comparisons_all["year_a"] == big["year_a"]) & (comparisons_all["year_b"] == big["year_b"])]
            if not a.empty:
                s += (f" По всем интервью как есть (это зависит от состава опрашивающих): "
                      f"{_change_clause(a.iloc[0], lang)}." if ru else
                      f" Counting all interviews as conducted (which depends on the interviewer mix): "
                      f"{_change_clause(a.iloc[0], lang)}.")
    out.append(s)
    out.append(explain_adjustment(adjusted, fit, lang))
    if covid is not None and not covid.empty:
        cb = load_codebook()
        short = _COVID_SHORT.get(lang, _COVID_SHORT["en"])
        org = covid[covid["department"] == "all"]
        org = org if not org.empty else covid
        last = int(org["year"].max())
        o = org[org["year"] == last].sort_values("share")
        items = "; ".join(f"{short.get(r['item'], r['item'])} {r['share']:.0f}% ({r['ci_low']:.0f}–{r['ci_high']:.0f}%)"
                          for _, r in o.iterrows())
        dept = covid[(covid["department"] != "all") & (covid["year"] == last)]
        small = dept.groupby("department")["n_recipients"].max()
        small_txt = ""
        if not small.empty and small.min() < 30:
            d = small.idxmin()
            small_txt = (f" Интервалы по подразделению «{cb.vocabulary_label('department', d, lang)}» широкие "
                         f"(≤ {int(small.min())} получателей)." if ru else
                         f" Department figures for {cb.vocabulary_label('department', d, lang)} rest on "
                         f"{int(small.min())} recipients or fewer and have wide intervals.")
        first = int(org["year"].min())
        trend_txt = ""
        if first < last:
            a = org[org["year"] == first].set_index("item")["share"]
            b = org[org["year"] == last].set_index("item")["share"]
            ch = (b - a).dropna()
            if not ch.empty:
                trend_txt = (f" По сравнению с {first} г. доли изменились: "
                             + ", ".join(f"{short.get(k, k)} {v:+.0f} п. п." for k, v in ch.items()) if ru else
                             f" Compared with {first}: " + ", ".join(f"{short.get(k, k)} {v:+.0f} percentage points"
                                                                     for k, v in ch.items()) + ".")
        out.append((f"Безопасность COVID-19 в {last} г. (по организации; {instrument_label(None, lang)}; 95% ДИ): {items}; "
                    f"ни одна мера не достигает 100%." if ru else
                    f"COVID-19 safety in {last} (organisation-wide; {instrument_label(None, lang)}; 95% CI): {items}; "
                    f"none reaches 100%.") + trend_txt + small_txt)
    elif changes is not None and not changes.empty:
        imp = changes.loc[changes["direction"] == "improved", "worker_id"].tolist()
        dec = changes.loc[changes["direction"] == "declined", "worker_id"].tolist()
        out.append(f"Работники, улучшившие результаты сверх неопределённости: {', '.join(imp) or 'нет'}; "
                    f"ухудшившие: {', '.join(dec) or 'нет'}." if ru else
                    f"Workers who improved beyond the uncertainty: {', '.join(imp) or 'none'}; declined: "
                    f"{', '.join(dec) or 'none'}.")
    return out


def key_numbers(summary: pd.DataFrame, sample: pd.DataFrame, lang: str = "en",
                summary_all: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per year for the executive summary: recipients, interviews, composite and top-box share with CIs.

    The composite and top-box columns come from ``summary`` (by default the constant instrument of
    :func:`yearly_summary`); with ``summary_all`` (``instrument=None``) the all-interview composite
    follows in its own column, named as depending on the interviewer mix.
    """
    comp = summary[summary["measure"] == "composite"].set_index("year")
    top = summary[summary["measure"] == "composite_top"].set_index("year")
    allc = None if summary_all is None else summary_all[summary_all["measure"] == "composite"].set_index("year")
    constant = "instrument" in summary and summary["instrument"].iloc[0] in ("reference", "pooled", "constant")
    smp = sample.set_index("year")
    rows = []
    for y in comp.index:
        c, t = comp.loc[y], top.loc[y] if y in top.index else None
        row = {"year": int(y), "recipients": int(smp.loc[y, "recipients"]) if y in smp.index else np.nan,
               "interviews": int(c["n"]),
               "composite": f"{c['estimate']:.1f} [{c['ci_low']:.1f}; {c['ci_high']:.1f}]",
               "all answers best, %": "—" if t is None else
               f"{t['estimate']:.0f} [{t['ci_low']:.0f}; {t['ci_high']:.0f}]"}
        if allc is not None and y in allc.index:
            a = allc.loc[y]
            row["composite, all"] = f"{a['estimate']:.1f} [{a['ci_low']:.1f}; {a['ci_high']:.1f}]"
        rows.append(row)
    out = pd.DataFrame(rows)
    if lang == "ru":
        const = ", постоянный инструмент" if constant else ""
        out = out.rename(columns={"year": "год", "recipients": "получатели", "interviews": "интервью",
                                  "composite": f"интегральный индекс{const} [95% ДИ]",
                                  "all answers best, %": f"все ответы лучшие{const}, % [95% ДИ]",
                                  "composite, all": "интегральный индекс, все интервью (зависит от состава "
                                                    "опрашивающих) [95% ДИ]"})
    else:
        const = ", constant instrument" if constant else ""
        out = out.rename(columns={"composite": f"composite{const} [95% CI]",
                                  "all answers best, %": f"all answers best{const}, % [95% CI]",
                                  "composite, all": "composite, all interviews (depends on the interviewer mix) "
                                                    "[95% CI]"})
    return out


def caveats(summary: pd.DataFrame, ceiling: pd.DataFrame, comparisons: pd.DataFrame, sample: pd.DataFrame,
            lang: str = "en") -> list[str]:
    """Caveats for reviewers, computed: ceiling, smallest detectable change, design change, weighting."""
    ru = lang == "ru"
    out = []
    dom = ceiling[ceiling["measure"].isin(["ethics", "competence", "quality"])]
    if not dom.empty:
        hi = dom.loc[dom["ceiling_share"].idxmax()]
        label = load_codebook().domain_label(hi["measure"], lang)
        out.append(f"Эффект потолка: до {hi['ceiling_share']:.0%} интервью ставят максимальный балл по блоку "
                   f"«{label}» ({int(hi['year'])} г.); улучшение там почти невозможно увидеть." if ru else
                   f"Ceiling: up to {hi['ceiling_share']:.0%} of the interviews give the maximum score in the "
                   f"domain '{label}' ({int(hi['year'])}); improvement there can hardly show.")
    blocked = ceiling[~ceiling["testable"]]
    if not blocked.empty:
        names = ", ".join(sorted({f"{r['measure']} {int(r['year'])}" for _, r in blocked.iterrows()}))
        out.append(f"Не проверяются из-за потолка (≥ {CEILING_LIMIT:.0%} на максимуме): {names}." if ru else
                   f"Not tested because of the ceiling (≥ {CEILING_LIMIT:.0%} at the maximum): {names}.")
    if not comparisons.empty and comparisons["mdd"].notna().any():
        w = comparisons.loc[comparisons["mdd"].idxmax()]
        label = instrument_label(w.get("instrument", None), lang)
        a = float(w.get("alpha_adjusted", 0.05))
        out.append(f"Малые выборки: при n = {int(w['recipients_a'])} и n = {int(w['recipients_b'])} получателей "
                   f"({int(w['year_a'])} и {int(w['year_b'])} гг.) можно обнаружить только разницу больше {w['mdd']:.1f} "
                   f"балла (мощность 80% на уровне Холма–Бонферрони {a:.4f}; {label}). Незначимая разница не означает "
                   f"отсутствия изменений." if ru else
                   f"Small samples: with n = {int(w['recipients_a'])} and n = {int(w['recipients_b'])} recipients "
                   f"({int(w['year_a'])} vs {int(w['year_b'])}) only differences larger than {w['mdd']:.1f} points could "
                   f"be detected (80% power at the Holm-Bonferroni level {a:.4f}; {label}). A non-significant difference "
                   f"is not evidence of no change.")
    smp = sample.set_index("year")
    solo = [int(y) for y in smp.index if smp.loc[y, "social_worker_interviewers"] == 0]
    paired = [int(y) for y in smp.index if smp.loc[y, "social_worker_interviewers"] > 0]
    if solo and paired:
        out.append(f"Схема опроса менялась: в {', '.join(map(str, solo))} гг. опрашивали только волонтёры, в "
                   f"{', '.join(map(str, paired))} гг. — пары «волонтёр + социальный работник», а социальные работники "
                   f"ставят ниже. Поэтому годы сравниваются при постоянном инструменте (личные интервью волонтёров, "
                   f"стандартизация по роли и способу опроса); сравнение всех интервью как есть зависит от состава "
                   f"опрашивающих и приводится только для справки." if ru else
                   f"The design changed: only volunteers interviewed in {', '.join(map(str, solo))}, volunteer + "
                   f"social-worker pairs in {', '.join(map(str, paired))}, and social workers score lower. Years are "
                   f"therefore compared on a constant instrument (volunteer in-person interviews, role- and "
                   f"mode-standardised); the all-interview comparison depends on the interviewer mix and is shown "
                   f"for reference only.")
    if bool(summary["weighted"].any()) and summary.get("instrument", pd.Series([None])).iloc[0] in ("reference", "pooled"):
        out.append("Оценки по организации при постоянном инструменте — прогнозы смешанной модели (случайные эффекты "
                   "работника, опрашивающего и получателя; получатель, опрошенный дважды или в разные годы, — одна "
                   "единица), усреднённые по долям подразделений в обслуживаемом населении." if ru else
                   "Constant-instrument organisation figures are mixed-model predictions (random effects for worker, "
                   "interviewer and recipient; a recipient interviewed twice or in several years is one unit), "
                   "averaged over the departments' shares of the population served.")
    elif bool(summary["weighted"].any()):
        cov = [c for c in ("coverage_home_care", "coverage_temporary_residence") if c in smp]
        strat = smp.dropna(subset=cov) if cov else smp.iloc[0:0]
        frac = ""
        if len(strat):
            r = strat.iloc[-1]
            frac = (f" (в {int(strat.index[-1])} г. опрошено {r[cov[0]]:.0%} получателей надомного обслуживания и "
                    f"{r[cov[1]]:.0%} временного проживания)" if ru else
                    f" ({r[cov[0]]:.0%} of home-care and {r[cov[1]]:.0%} of temporary-residence recipients "
                    f"interviewed in {int(strat.index[-1])})")
        out.append(f"Оценки по организации взвешены по плану выборки{frac}; интервалы учитывают, что одного "
                   f"получателя могли опросить дважды." if ru else
                   f"Organisation-level figures are design-weighted{frac}; intervals count the interviews of one "
                   f"recipient as one sampling unit.")
    return out


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------

_COVID_SHORT = {
    "en": {"cov_gloves": "gloves", "cov_mask": "medical mask", "cov_prevention": "infection prevention"},
    "ru": {"cov_gloves": "перчатки", "cov_mask": "медицинская маска", "cov_prevention": "меры профилактики"},
}

_L = {
    "en": {"all": "organisation (weighted)", "year": "Survey year", "score": "Score (0-100)", "share": "Share 'yes' (%)",
           "raw": "all interviews (depends on the interviewer mix)",
           "adjusted": "constant instrument (volunteer in person)", "trend": "Yearly estimates with 95% CI",
           "rva": "Composite: constant instrument vs all interviews as conducted (95% CI)",
           "workers": "Workers assessed in several years: adjusted composite (95% CI)",
           "covid": "COVID-19 safety compliance by department (95% CI)"},
    "ru": {"all": "организация (взвешено)", "year": "Год опроса", "score": "Балл (0–100)", "share": "Доля «да» (%)",
           "raw": "все интервью (зависит от состава опрашивающих)",
           "adjusted": "постоянный инструмент (волонтёр, лично)", "trend": "Оценки по годам с 95% ДИ",
           "rva": "Интегральный индекс: постоянный инструмент и все интервью как есть (95% ДИ)",
           "workers": "Работники, оценённые в нескольких годах: скорректированный индекс (95% ДИ)",
           "covid": "Соблюдение мер безопасности COVID-19 по подразделениям (95% ДИ)"},
}


def _measure_label(measure: str, lang: str = "en") -> str:
    return load_codebook().measure_label(measure, lang)


def _errorbar(ax, x, est, low, high, fmt: str = "o-", **kw):
    ax.errorbar(x, est, yerr=[np.asarray(est) - np.asarray(low), np.asarray(high) - np.asarray(est)],
                fmt=fmt, capsize=4, **kw)


def plot_yearly(summary: pd.DataFrame, measures: list[str] | None = None, lang: str = "en") -> plt.Figure:
    """Small multiples: one panel per measure, estimate per year with its 95% CI and n under each point."""
    L = _L.get(lang, _L["en"])
    measures = [m for m in (measures or DOMAIN_MEASURES) if m in set(summary["measure"])]
    pal = sns.color_palette("colorblind")
    fig, axes = plt.subplots(1, len(measures), figsize=(3.2 * len(measures), 3.4), sharey=False, squeeze=False)
    for ax, m in zip(axes[0], measures, strict=True):
        s = summary[summary["measure"] == m].sort_values("year")
        _errorbar(ax, s["year"], s["estimate"], s["ci_low"], s["ci_high"], color=pal[0])
        for _, r in s.iterrows():
            ax.annotate(f"n={int(r['n'])}", (r["year"], r["ci_low"]), textcoords="offset points", xytext=(0, -12),
                        ha="center", fontsize=7)
        ax.set_title(_measure_label(m, lang), fontsize=9)
        ax.set_xticks(s["year"])
        ax.set_xlabel(L["year"])
        ax.margins(y=0.2)
    axes[0][0].set_ylabel(L["score"] if not measures[0].endswith("_top") else "%")
    fig.suptitle(L["trend"])
    fig.tight_layout()
    return fig


def plot_raw_vs_adjusted(table: pd.DataFrame, lang: str = "en") -> plt.Figure:
    """Constant-instrument (solid, first) and all-interview (dashed) yearly means side by side, 95% CI, n per year."""
    L = _L.get(lang, _L["en"])
    pal = sns.color_palette("colorblind")
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    t = table.sort_values("year")
    _errorbar(ax, t["year"] - 0.08, t["adjusted"], t["adjusted_ci_low"], t["adjusted_ci_high"], color=pal[1],
              label=L["adjusted"])
    _errorbar(ax, t["year"] + 0.08, t["raw"], t["raw_ci_low"], t["raw_ci_high"], color=pal[0], label=L["raw"],
              fmt="o--")
    ax.set_xticks(t["year"])
    ax.set_xticklabels([f"{int(y)}\nn={int(n)}" for y, n in zip(t["year"], t["n"], strict=True)])
    ax.set_xlabel(L["year"])
    ax.set_ylabel(L["score"])
    ax.set_title(L["rva"], fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_worker_trajectories(per_year: pd.DataFrame, changes: pd.DataFrame | None = None,
                             lang: str = "en") -> plt.Figure:
    """Small multiples, one panel per worker: adjusted score per year with 95% CI and n."""
    L = _L.get(lang, _L["en"])
    pal = sns.color_palette("colorblind")
    workers = sorted(per_year["worker_id"].unique())
    ncol = min(5, max(1, len(workers)))
    nrow = int(np.ceil(len(workers) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.6 * ncol, 2.4 * nrow), sharey=True, squeeze=False)
    lab = {} if changes is None or changes.empty else changes.set_index("worker_id")["direction"].to_dict()
    colour = {"improved": pal[2], "declined": pal[3]}
    years = sorted(per_year["year"].unique())
    for ax, w in zip(axes.flat, workers, strict=False):
        g = per_year[per_year["worker_id"] == w].sort_values("year")
        _errorbar(ax, g["year"], g["estimate"], g["ci_low"].fillna(g["estimate"]), g["ci_high"].fillna(g["estimate"]),
                  color=colour.get(lab.get(w), pal[0]))
        for _, r in g.iterrows():
            ax.annotate(f"{int(r['n'])}", (r["year"], r["estimate"]), textcoords="offset points", xytext=(6, 2),
                        fontsize=6)
        flag = lab.get(w, "")
        short = {"improved": "improved" if lang != "ru" else "улучшение",
                 "declined": "declined" if lang != "ru" else "ухудшение"}.get(flag, "")
        ax.set_title(f"{w} {short}".strip(), fontsize=9, color=colour.get(flag, "black"))
        ax.set_xticks(years)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(workers):]:
        ax.axis("off")
    fig.supxlabel(L["year"] + (" (рядом с точкой — число интервью)" if lang == "ru" else
                               " (n = interviews next to each point)"), fontsize=9)
    fig.supylabel(L["score"], fontsize=9)
    from helpers.studies.mystery_guest.scoring import translate_control

    control = "" if changes is None or changes.empty or "control" not in changes else str(changes["control"].iloc[0])
    if control:
        control = ("флаги «улучшение / ухудшение»: " if lang == "ru" else "improved / declined flags: ") + translate_control(
            control, lang)
    fig.suptitle(L["workers"] + (f"\n{control}" if control else ""), fontsize=10)
    fig.tight_layout()
    return fig


def plot_covid(covid: pd.DataFrame, codebook: Codebook | None = None, lang: str = "en") -> plt.Figure:
    """Dot-and-interval plot of the COVID-19 compliance shares: items x departments, one panel per year."""
    cb = codebook or load_codebook()
    L = _L.get(lang, _L["en"])
    pal = sns.color_palette("colorblind")
    years = sorted(covid["year"].unique())
    depts = list(dict.fromkeys(covid["department"]))
    items = list(dict.fromkeys(covid["item"]))
    fig, axes = plt.subplots(1, len(years), figsize=(5.2 * len(years), 3.6), sharex=True, squeeze=False)
    for ax, y in zip(axes[0], years, strict=True):
        for k, dept in enumerate(depts):
            g = covid[(covid["year"] == y) & (covid["department"] == dept)].set_index("item").reindex(items)
            pos = np.arange(len(items)) + (k - (len(depts) - 1) / 2) * 0.22
            ax.errorbar(g["share"], pos, xerr=[g["share"] - g["ci_low"], g["ci_high"] - g["share"]], fmt="o",
                        capsize=3, color=pal[k], label=dept)
            for p, (_, r) in zip(pos, g.iterrows(), strict=True):
                if np.isfinite(r["share"]):
                    ax.annotate(f"n={int(r['n'])}", (r["ci_high"], p), textcoords="offset points", xytext=(3, -3),
                                fontsize=6)
        ax.set_yticks(np.arange(len(items)))
        ax.set_yticklabels([_COVID_SHORT.get(lang, _COVID_SHORT["en"]).get(i, i) for i in items], fontsize=8)
        ax.set_xlim(0, 115)
        ax.set_xlabel(L["share"])
        ax.set_title(str(y))
    handles, labels = axes[0][0].get_legend_handles_labels()
    names = [cb.vocabulary_label("department", d, lang) if d != "all" else L["all"] for d in labels]
    fig.legend(handles, names, loc="lower center", ncol=len(depts), fontsize=8, frameon=False)
    fig.suptitle(L["covid"], fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
