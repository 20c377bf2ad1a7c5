"""Year-over-year analysis 2018-2021: trends with honest uncertainty, composition, workers, COVID-19.

Every yearly figure comes with ``n`` and a 95% interval. Organisation-level means are
design-weighted where the year's sample is stratified (2020-2021: 10% of home care, 100% of
temporary residence) through :mod:`helpers.survey`, with the two interviews of a recipient treated
as one sampling unit. Tests of change:

- :func:`compare_years`: pairwise design-based differences with Holm-adjusted p-values, Cliff's
  delta and the minimum detectable difference (MDD, :mod:`helpers.power`) of every year pair;
- :func:`trend_test`: linear trend across the years (contrast of the yearly estimates);
- :func:`year_mixed_model`: linear mixed model with year as a factor, role and mode of the interview
  as fixed effects and crossed random intercepts for workers and interviewers (statsmodels
  ``MixedLM`` with variance components); :func:`raw_vs_adjusted` puts its yearly means beside the
  raw ones with a sentence that explains the difference;
- :func:`ordinal_year_model`: proportional-odds regression (statsmodels ``OrderedModel``) of the item
  answers on year, whose coefficients live on the latent logit scale of the demo truth;
- :func:`worker_trajectories`, :func:`covid_compliance`, :func:`ceiling_by_year`,
  :func:`truth_check` and :func:`key_findings` (plain-language sentences in English or Russian).

A trend of a measure is not tested when too many interviews sit at the ceiling
(:data:`CEILING_LIMIT`): the result then carries a sentence instead of a p-value.
"""

from __future__ import annotations

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

from helpers.codebook import Codebook, load_codebook
from helpers.overview import PUBLISHED, sample_counts
from helpers.power import mdd_sentence, minimum_detectable_difference
from helpers.survey import design_weights, weighted_mean, weighted_share

__all__ = [
    "CEILING_LIMIT",
    "DOMAIN_MEASURES",
    "CliffsDelta",
    "MixedYearFit",
    "caveats",
    "ceiling_by_year",
    "cliffs_delta",
    "compare_years",
    "covid_compliance",
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
                   ci: float = 0.95) -> pd.DataFrame:
    """Organisation-level estimate of every domain score and the composite per year, with 95% CI and n.

    Means of the 0-100 scores (:func:`helpers.survey.weighted_mean`); with ``top_box=True`` also
    the top-box share of each measure (``<measure>_top``: share of interviews whose score is 100,
    i.e. every answer the best one, as a percentage, Korn-Graubard interval from
    :func:`helpers.survey.weighted_share`). ``weighted=True`` and a ``roster`` (``strata.parquet``)
    give design-weighted estimates (weights = stratum population / interviews in the stratum,
    stratified, clustered on the recipient); otherwise plain means clustered on the recipient.
    Missing scores are dropped (item nonresponse is handled within strata by the survey module).

    Columns: ``year, measure, estimate, se, ci_low, ci_high, n`` (interviews with a value),
    ``n_recipients``, ``weighted``.

    Examples
    --------
    >>> s = pd.DataFrame({"year": [2018] * 4, "recipient_pid": list("abcd"),
    ...                   "composite": [100.0, 90.0, 80.0, 100.0]})
    >>> r = yearly_summary(s, measures=["composite"], top_box=False)
    >>> r[["year", "measure", "estimate", "n", "weighted"]].to_dict("records")
    [{'year': 2018, 'measure': 'composite', 'estimate': 92.5, 'n': 4, 'weighted': False}]
    """
    measures = [m for m in (measures or DOMAIN_MEASURES + ["covid"]) if m in scored]
    is_weighted = bool(weighted and roster is not None)
    rows = []
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
                             "n_recipients": e.n_psu, "df": e.df, "weighted": is_weighted})
    return pd.DataFrame(rows)


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


def _diff(ea: pd.Series, eb: pd.Series, alpha: float, power: float) -> dict:
    diff = eb["estimate"] - ea["estimate"]
    va, vb = ea["se"] ** 2, eb["se"] ** 2
    se = float(np.sqrt(va + vb))
    # Welch-Satterthwaite degrees of freedom from the two design-based t intervals
    den = (va**2 / ea["df"] if va > 0 else 0.0) + (vb**2 / eb["df"] if vb > 0 else 0.0)
    df = float((va + vb) ** 2 / den) if den > 0 else np.inf
    if se > 0:
        half = stats.t.ppf(1 - alpha / 2, df) * se
        p = float(2 * stats.t.sf(abs(diff) / se, df))
    else:
        half, p = np.nan, np.nan
    return {"difference": diff, "se": se, "df": df, "ci_low": diff - half, "ci_high": diff + half, "p": p,
            "mdd": minimum_detectable_difference(se, df, alpha, power)}


def compare_years(scored: pd.DataFrame, measure: str = "composite", roster: pd.DataFrame | None = None,
                  weighted: bool = True, years=None, alpha: float = 0.05, power: float = 0.8,
                  method: str = "holm", limit: float = CEILING_LIMIT, lang: str = "en") -> pd.DataFrame:
    """Every pair of years: difference ``year_b - year_a`` in points with CI, Holm-adjusted p, Cliff's delta, MDD.

    - Difference and CI: design-based yearly estimates (:func:`yearly_summary`; independent samples
      of recipients), ``se = sqrt(se_a^2 + se_b^2)``, Welch-Satterthwaite df, t interval.
    - ``p_adjusted``: Holm (1979, *Scand J Statist* 6:65) over the pairs that can be tested
      (``statsmodels.stats.multitest.multipletests``).
    - ``mdd``: minimum detectable difference at 80% power and 5% level for that ``se`` and ``df``
      (:func:`helpers.power.minimum_detectable_difference`); ``sentence`` states it in words.
    - ``cliffs_delta`` (+ CI): unweighted, interview level (:func:`cliffs_delta`); ties at the
      ceiling pull it towards 0. Its interval treats interviews as independent.
    - When either year has :data:`CEILING_LIMIT` or more of its interviews at 100, ``p`` and
      ``p_adjusted`` are ``NaN`` and ``verdict`` says the change cannot be tested.

    ``verdict``: "increase" / "decrease" (adjusted p < alpha), "no change larger than the MDD"
    (not significant), or "not testable (ceiling)".

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> s = pd.DataFrame({"year": np.repeat([2018, 2019], 60), "recipient_pid": [str(i) for i in range(120)],
    ...                   "composite": np.r_[rng.normal(80, 8, 60), rng.normal(90, 8, 60)]})
    >>> r = compare_years(s)
    >>> r.loc[0, "verdict"], bool(r.loc[0, "difference"] > r.loc[0, "mdd"]), bool(r.loc[0, "p_adjusted"] < 0.05)
    ('increase', True, True)
    """
    summary = yearly_summary(scored, roster, weighted, measures=[measure], top_box=False, years=years)
    est = summary.set_index("year")
    ceiling = ceiling_by_year(scored, [measure], limit, years)
    rows = []
    for ya, yb in combinations(est.index.tolist(), 2):
        ea, eb = est.loc[ya], est.loc[yb]
        r = {"year_a": int(ya), "year_b": int(yb), "measure": measure, "n_a": int(ea["n"]), "n_b": int(eb["n"]),
             "recipients_a": int(ea["n_recipients"]), "recipients_b": int(eb["n_recipients"]),
             "estimate_a": ea["estimate"], "estimate_b": eb["estimate"]}
        r |= _diff(ea, eb, alpha, power)
        blocked = _not_testable(ceiling, measure, [ya, yb])
        if blocked:
            r["p"] = np.nan
        cd = cliffs_delta(scored.loc[scored["year"] == yb, measure], scored.loc[scored["year"] == ya, measure])
        r |= {"cliffs_delta": cd.estimate, "cliffs_ci_low": cd.ci_low, "cliffs_ci_high": cd.ci_high,
              "ceiling_blocked": bool(blocked)}
        rows.append(r)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_adjusted"] = np.nan
    ok = out["p"].notna()
    if ok.any():
        out.loc[ok, "p_adjusted"] = multipletests(out.loc[ok, "p"], alpha=alpha, method=method)[1]
    verdicts, sentences = [], []
    for _, r in out.iterrows():
        if r["ceiling_blocked"]:
            v = "not testable (ceiling)"
        elif r["p_adjusted"] < alpha:
            v = "increase" if r["difference"] > 0 else "decrease"
        else:
            v = "no change larger than the MDD"
        verdicts.append(v)
        s = mdd_sentence(r["year_a"], r["year_b"], r["recipients_a"], r["recipients_b"], r["mdd"], lang=lang)
        if r["ceiling_blocked"]:
            s += (" Изменение не проверяется: слишком много оценок на максимуме шкалы." if lang == "ru" else
                  " The change is not tested: too many scores sit at the top of the scale.")
        sentences.append(s)
    out["verdict"] = verdicts
    out["sentence"] = sentences
    first = ["year_a", "year_b", "difference", "ci_low", "ci_high", "p_adjusted", "mdd"]
    return out[first + [c for c in out.columns if c not in first]]


def trend_test(scored: pd.DataFrame, measure: str = "composite", roster: pd.DataFrame | None = None,
               weighted: bool = True, years=None, limit: float = CEILING_LIMIT, ci: float = 0.95) -> pd.Series:
    """Linear trend across the years: slope (points per year) of the yearly estimates, with CI and p.

    The slope is the least-squares line through the design-based yearly estimates
    ``b = sum_y c_y m_y / sum_y c_y^2`` with ``c_y = year - mean(year)``; the years are independent
    samples, so ``se(b) = sqrt(sum_y c_y^2 se_y^2) / sum_y c_y^2`` (a linear contrast, as the
    orthogonal-polynomial trend test of an ANOVA; Rosenthal & Rosnow, 1985, *Contrast Analysis*),
    tested with a normal reference. ``p`` is ``NaN`` with a ``note`` when a year is at the ceiling.

    Examples
    --------
    >>> s = pd.DataFrame({"year": np.repeat([2018, 2019, 2020], 3), "recipient_pid": list("abcdefghi"),
    ...                   "composite": [80.0, 82, 84, 85, 87, 89, 90, 92, 94]})
    >>> r = trend_test(s)
    >>> float(r["slope"]), round(float(r["se"]), 3), bool(r["p"] < 0.01)
    (5.0, 0.816, True)
    """
    est = yearly_summary(scored, roster, weighted, measures=[measure], top_box=False, years=years)
    est = est[np.isfinite(est["se"])]
    yrs = est["year"].to_numpy(dtype=float)
    out = {"measure": measure, "years": ", ".join(str(int(y)) for y in yrs), "n": int(est["n"].sum()),
           "slope": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan, "note": ""}
    if len(est) < 3:
        out["note"] = "fewer than three years with an estimate"
        return pd.Series(out)
    c = yrs - yrs.mean()
    ss = float((c**2).sum())
    slope = float((c * est["estimate"].to_numpy()).sum() / ss)
    se = float(np.sqrt((c**2 * est["se"].to_numpy() ** 2).sum()) / ss)
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
    """The result of :func:`trend_test` in words (or why it was not tested)."""
    ru = lang == "ru"
    m = _measure_label(str(trend["measure"]), lang)
    if not np.isfinite(trend["slope"]):
        return (f"{m}: тренд не оценивается ({trend['note']})." if ru else f"{m}: no trend estimated ({trend['note']}).")
    ci = f"{trend['ci_low']:+.1f}…{trend['ci_high']:+.1f}" if ru else f"{trend['ci_low']:+.1f} to {trend['ci_high']:+.1f}"
    if not np.isfinite(trend["p"]):
        return (f"{m}: наклон {trend['slope']:+.2f} балла в год (95% ДИ {ci}) не проверяется: {trend['note']}." if ru else
                f"{m}: slope {trend['slope']:+.2f} points per year (95% CI {ci}) is not tested: {trend['note']}.")
    if trend["p"] < alpha:
        word = ("растёт" if trend["slope"] > 0 else "снижается") if ru else ("rises" if trend["slope"] > 0 else "falls")
        return (f"{m} {word} на {abs(trend['slope']):.2f} балла в год (95% ДИ {ci}, p = {trend['p']:.3f}, годы "
                f"{trend['years']})." if ru else
                f"{m} {word} by {abs(trend['slope']):.2f} points per year (95% CI {ci}, p = {trend['p']:.3f}, years "
                f"{trend['years']}).")
    return (f"{m}: линейного тренда не обнаружено (наклон {trend['slope']:+.2f} балла в год, 95% ДИ {ci}, "
            f"p = {trend['p']:.2f})." if ru else
            f"{m}: no linear trend detected (slope {trend['slope']:+.2f} points per year, 95% CI {ci}, "
            f"p = {trend['p']:.2f}).")


# ---------------------------------------------------------------------------------------------
# mixed model: year as a factor, crossed random intercepts for workers and interviewers
# ---------------------------------------------------------------------------------------------


@dataclass
class MixedYearFit:
    """A fitted year model: yearly means at a common composition, contrasts, variance components."""

    measure: str
    adjust: tuple[str, ...]
    means: pd.DataFrame  # year, estimate, se, ci_low, ci_high, n
    contrasts: pd.DataFrame  # year_a, year_b, difference, se, ci_low, ci_high, p, p_adjusted
    fixed: pd.DataFrame  # term, coef, se, ci_low, ci_high, p
    variance: dict  # component -> variance
    interviewer_effects: pd.Series  # BLUPs by interviewer_id
    converged: bool
    n: int
    result: object = field(repr=False, default=None)


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


def year_mixed_model(scored: pd.DataFrame, measure: str = "composite", adjust=("role", "mode"),
                     years=None, recipients: bool = False, alpha: float = 0.05) -> MixedYearFit:
    """Linear mixed model ``score ~ C(year) + adjust + (1 | worker) + (1 | interviewer)`` (REML).

    Crossed random intercepts are fitted as variance components of a single group
    (statsmodels ``MixedLM`` with ``vc_formula``; the usual way to fit crossed effects there).
    ``recipients=True`` adds a random intercept per recipient (the two interviews of a pair),
    which is slower (about 20 s on the demo data). Interview ``role`` and ``mode`` enter as fixed
    effects; a covariate that does not vary in the data is dropped.

    ``means``: the model's yearly means standardised to the pooled composition of all years
    (average prediction with every interview set to that year, random effects at 0; a linear
    contrast of the fixed effects, so its SE comes from their covariance). ``contrasts``: every
    year pair, Holm-adjusted. Rows with a missing score or covariate are dropped.
    """
    cols = ["year", measure, "worker_id", "interviewer_id"] + list(adjust) + (["recipient_pid"] if recipients else [])
    d = scored.loc[scored["year"].isin(_years(scored, years)), cols].dropna().copy()
    d["score"] = d[measure].astype("float64")
    d["year"] = d["year"].astype(int)
    adjust = tuple(a for a in adjust if d[a].nunique() > 1)
    d["one"] = 1
    import statsmodels.formula.api as smf  # local: statsmodels formula import is slow

    rhs = " + ".join(["C(year)"] + [f"C({a})" for a in adjust])
    vc = {"worker": "0 + C(worker_id)", "interviewer": "0 + C(interviewer_id)"}
    if recipients:
        vc["recipient"] = "0 + C(recipient_pid)"
    model = smf.mixedlm(f"score ~ {rhs}", d, groups="one", vc_formula=vc)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(reml=True)
    fe = res.fe_params
    cov = res.cov_params().loc[fe.index, fe.index].to_numpy()
    X = model.exog  # fixed-effects design
    yrs = sorted(d["year"].unique())
    year_cols = {y: f"C(year)[T.{y}]" for y in yrs[1:]}
    z = stats.norm.ppf(1 - alpha / 2)
    names = list(fe.index)
    base = X.mean(axis=0)
    for c in year_cols.values():
        base[names.index(c)] = 0.0
    vecs = {}
    rows = []
    for y in yrs:
        v = base.copy()
        if y in year_cols:
            v[names.index(year_cols[y])] = 1.0
        vecs[y] = v
        est = float(v @ fe.to_numpy())
        se = float(np.sqrt(v @ cov @ v))
        rows.append({"year": y, "estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se,
                     "n": int((d["year"] == y).sum())})
    means = pd.DataFrame(rows)
    crow = []
    for ya, yb in combinations(yrs, 2):
        v = vecs[yb] - vecs[ya]
        diff, se = float(v @ fe.to_numpy()), float(np.sqrt(v @ cov @ v))
        crow.append({"year_a": ya, "year_b": yb, "difference": diff, "se": se, "ci_low": diff - z * se,
                     "ci_high": diff + z * se, "p": float(2 * stats.norm.sf(abs(diff) / se))})
    contrasts = pd.DataFrame(crow)
    if not contrasts.empty:
        contrasts["p_adjusted"] = multipletests(contrasts["p"], method="holm")[1]
    bse = res.bse_fe
    fixed = pd.DataFrame({"term": names, "coef": fe.to_numpy(), "se": bse.to_numpy(),
                          "ci_low": fe.to_numpy() - z * bse.to_numpy(), "ci_high": fe.to_numpy() + z * bse.to_numpy(),
                          "p": res.pvalues.loc[names].to_numpy()})
    variance = dict(zip(model.exog_vc.names, np.asarray(res.vcomp, dtype=float), strict=True))
    variance["residual"] = float(res.scale)
    return MixedYearFit(measure, adjust, means, contrasts, fixed, variance, _blups(res, "interviewer"),
                        bool(res.converged), len(d), res)


def raw_vs_adjusted(scored: pd.DataFrame, measure: str = "composite", years=None,
                    fit: MixedYearFit | None = None, lang: str = "en") -> tuple[pd.DataFrame, str]:
    """Raw yearly means beside the mixed-model means adjusted for role and mode, and a sentence.

    Raw: unweighted mean of the interviews of the year (clustered on the recipient, t interval).
    Adjusted: :func:`year_mixed_model` means at the pooled role/mode composition, net of which
    workers and interviewers happened to be sampled. The table also gives the composition (share
    of interviews by social-worker interviewers, by phone). The sentence names the year pair whose
    change differs most between raw and adjusted and the role effect behind it.
    """
    fit = fit or year_mixed_model(scored, measure, years=years)
    raw = yearly_summary(scored, None, False, measures=[measure], top_box=False, years=years)
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
        parts.append(f"Сырое изменение {ya}→{yb}: {raw_ch.iloc[i]:+.1f} балла; с поправкой на роль, способ опроса и на то, "
                     f"какие работники и опрашивающие попали в выборку: {adj_ch.iloc[i]:+.1f} балла"
                     + (" — выводы о тренде не меняются." if abs(gap) < 1 else
                        f" — поправка меняет изменение на {-gap:+.1f} балла."))
    else:
        parts.append(f"The raw change {ya} to {yb} is {raw_ch.iloc[i]:+.1f} points; adjusted for role, mode and for which "
                     f"workers and interviewers were sampled it is {adj_ch.iloc[i]:+.1f} points"
                     + (" - the trend tells the same story either way." if abs(gap) < 1 else
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
    from helpers.scoring import item_scores

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
    (:func:`helpers.survey.weighted_mean`, unweighted); ``relative`` = that mean minus the
    model's year mean.

    ``change`` (the flags): :func:`helpers.scoring.worker_slopes` - a mixed model of all interviews
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
    from helpers.scoring import worker_slopes

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
    (:func:`helpers.survey.weighted_share`), and the Wilson interval (Wilson, 1927, *JASA* 22:209;
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


def key_findings(summary: pd.DataFrame, comparisons: pd.DataFrame, adjusted: pd.DataFrame,
                 fit: MixedYearFit, covid: pd.DataFrame | None = None, changes: pd.DataFrame | None = None,
                 lang: str = "en") -> list[str]:
    """The three most important findings as sentences, computed from the analysis tables.

    1. Level and change of the composite: the range of the yearly estimates and the largest
       change between consecutive years, with its verdict (significant after Holm, or smaller than
       the MDD).
    2. Composition: how the role/mode adjustment changes the largest raw change.
    3. COVID-19 safety: organisation-wide compliance shares of the last year with intervals, the
       change since the first COVID-19 year, and a warning when a department rests on few
       recipients; if there is no COVID-19 module, the workers who improved or declined.
    """
    ru = lang == "ru"
    out = []
    comp = summary[summary["measure"] == "composite"].sort_values("year")
    lo, hi = comp.loc[comp["estimate"].idxmin()], comp.loc[comp["estimate"].idxmax()]
    consec = comparisons[comparisons["year_b"] == comparisons["year_a"].map(
        lambda a: next((y for y in comp["year"] if y > a), -1))]
    big = consec.loc[consec["difference"].abs().idxmax()] if not consec.empty else None
    if ru:
        s = (f"Интегральный индекс качества (0–100) оставался высоким во все годы: от {lo['estimate']:.1f} "
             f"(95% ДИ {lo['ci_low']:.1f}…{lo['ci_high']:.1f}, n = {int(lo['n'])}, {int(lo['year'])} г.) до "
             f"{hi['estimate']:.1f} ({hi['ci_low']:.1f}…{hi['ci_high']:.1f}, n = {int(hi['n'])}, {int(hi['year'])} г.).")
    else:
        s = (f"The composite quality index (0-100) stayed high in every year, between {lo['estimate']:.1f} "
             f"(95% CI {lo['ci_low']:.1f} to {lo['ci_high']:.1f}, n = {int(lo['n'])}, {int(lo['year'])}) and "
             f"{hi['estimate']:.1f} ({hi['ci_low']:.1f} to {hi['ci_high']:.1f}, n = {int(hi['n'])}, {int(hi['year'])}).")
    if big is not None:
        ya, yb, dd = int(big["year_a"]), int(big["year_b"]), big["difference"]
        if big["verdict"] in ("increase", "decrease"):
            s += (f" Самое большое изменение — {dd:+.1f} балла между {ya} и {yb} гг. (95% ДИ {big['ci_low']:.1f}…"
                  f"{big['ci_high']:.1f}, p с поправкой Холма = {big['p_adjusted']:.3f})." if ru else
                  f" The largest change, {dd:+.1f} points from {ya} to {yb} (95% CI {big['ci_low']:.1f} to "
                  f"{big['ci_high']:.1f}), is significant after Holm adjustment (p = {big['p_adjusted']:.3f}).")
        elif big["verdict"].startswith("not testable"):
            s += (f" Изменение между {ya} и {yb} гг. проверить нельзя из-за эффекта потолка." if ru else
                  f" The change from {ya} to {yb} cannot be tested because of the ceiling.")
        else:
            s += (f" Самое большое изменение ({dd:+.1f} балла, {ya}→{yb}) статистически не подтверждается; при таких "
                  f"выборках обнаружимы лишь изменения больше {big['mdd']:.1f} балла." if ru else
                  f" The largest change ({dd:+.1f} points, {ya} to {yb}) is not significant; with these samples only "
                  f"changes larger than {big['mdd']:.1f} points could have been detected.")
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
        out.append((f"Безопасность COVID-19 в {last} г. (по организации, 95% ДИ): {items}; "
                    f"ни одна мера не достигает 100%." if ru else
                    f"COVID-19 safety in {last} (organisation-wide, 95% CI): {items}; none reaches 100%.") + trend_txt + small_txt)
    elif changes is not None and not changes.empty:
        imp = changes.loc[changes["direction"] == "improved", "worker_id"].tolist()
        dec = changes.loc[changes["direction"] == "declined", "worker_id"].tolist()
        out.append(f"Работники, улучшившие результаты сверх неопределённости: {', '.join(imp) or 'нет'}; "
                    f"ухудшившие: {', '.join(dec) or 'нет'}." if ru else
                    f"Workers who improved beyond the uncertainty: {', '.join(imp) or 'none'}; declined: "
                    f"{', '.join(dec) or 'none'}.")
    return out


def key_numbers(summary: pd.DataFrame, sample: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """One row per year for the executive summary: recipients, interviews, composite and top-box share with CIs."""
    comp = summary[summary["measure"] == "composite"].set_index("year")
    top = summary[summary["measure"] == "composite_top"].set_index("year")
    smp = sample.set_index("year")
    rows = []
    for y in comp.index:
        c, t = comp.loc[y], top.loc[y] if y in top.index else None
        rows.append({"year": int(y), "recipients": int(smp.loc[y, "recipients"]) if y in smp.index else np.nan,
                     "interviews": int(c["n"]),
                     "composite": f"{c['estimate']:.1f} [{c['ci_low']:.1f}; {c['ci_high']:.1f}]",
                     "all answers best, %": "—" if t is None else
                     f"{t['estimate']:.0f} [{t['ci_low']:.0f}; {t['ci_high']:.0f}]"})
    out = pd.DataFrame(rows)
    if lang == "ru":
        out = out.rename(columns={"year": "год", "recipients": "получатели", "interviews": "интервью",
                                  "composite": "интегральный индекс [95% ДИ]",
                                  "all answers best, %": "все ответы лучшие, % [95% ДИ]"})
    else:
        out = out.rename(columns={"composite": "composite [95% CI]", "all answers best, %": "all answers best, % [95% CI]"})
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
    if not comparisons.empty:
        w = comparisons.loc[comparisons["mdd"].idxmax()]
        out.append(("Малые выборки: " if ru else "Small samples: ") + str(w["sentence"]))
    smp = sample.set_index("year")
    solo = [int(y) for y in smp.index if smp.loc[y, "social_worker_interviewers"] == 0]
    paired = [int(y) for y in smp.index if smp.loc[y, "social_worker_interviewers"] > 0]
    if solo and paired:
        out.append(f"Схема опроса менялась: в {', '.join(map(str, solo))} гг. опрашивали только волонтёры, в "
                   f"{', '.join(map(str, paired))} гг. — пары «волонтёр + социальный работник»; сравнение лет "
                   f"поэтому приводится и с поправкой на роль и способ опроса." if ru else
                   f"The design changed: only volunteers interviewed in {', '.join(map(str, solo))}, volunteer + "
                   f"social-worker pairs in {', '.join(map(str, paired))}; year comparisons are therefore also "
                   f"shown adjusted for interviewer role and mode.")
    if bool(summary["weighted"].any()):
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
    "en": {"all": "organisation (weighted)", "year": "Survey year", "score": "Score (0-100)", "share": "Share 'yes' (%)", "raw": "raw",
           "adjusted": "adjusted for role and mode", "trend": "Yearly estimates with 95% CI",
           "rva": "Composite: raw vs adjusted for interviewer role and mode (95% CI)",
           "workers": "Workers assessed in several years: adjusted composite (95% CI)",
           "covid": "COVID-19 safety compliance by department (95% CI)"},
    "ru": {"all": "организация (взвешено)", "year": "Год опроса", "score": "Балл (0–100)", "share": "Доля «да» (%)", "raw": "без поправки",
           "adjusted": "с поправкой на роль и способ", "trend": "Оценки по годам с 95% ДИ",
           "rva": "Интегральный индекс: без поправки и с поправкой на роль и способ опроса (95% ДИ)",
           "workers": "Работники, оценённые в нескольких годах: скорректированный индекс (95% ДИ)",
           "covid": "Соблюдение мер безопасности COVID-19 по подразделениям (95% ДИ)"},
}


def _measure_label(measure: str, lang: str = "en") -> str:
    base, top = (measure[:-4], True) if measure.endswith("_top") else (measure, False)
    if base == "composite":
        label = "Интегральный индекс" if lang == "ru" else "Composite index"
    else:
        try:
            label = load_codebook().domain_label(base, lang)
        except KeyError:
            label = base
    if top:
        label += ": все ответы лучшие" if lang == "ru" else ": all answers best"
    return label


def _errorbar(ax, x, est, low, high, **kw):
    ax.errorbar(x, est, yerr=[np.asarray(est) - np.asarray(low), np.asarray(high) - np.asarray(est)],
                fmt="o-", capsize=4, **kw)


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
    """Raw and adjusted yearly means side by side (offset), 95% CI, n under each year."""
    L = _L.get(lang, _L["en"])
    pal = sns.color_palette("colorblind")
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    t = table.sort_values("year")
    _errorbar(ax, t["year"] - 0.08, t["raw"], t["raw_ci_low"], t["raw_ci_high"], color=pal[0], label=L["raw"])
    _errorbar(ax, t["year"] + 0.08, t["adjusted"], t["adjusted_ci_low"], t["adjusted_ci_high"], color=pal[1],
              label=L["adjusted"], linestyle="--")
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
    from helpers.scoring import translate_control

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
