"""The assumption of the year comparisons, checked: is the social-worker vs volunteer gap the same every year?

The constant-instrument year model (:func:`helpers.studies.mystery_guest.trends.year_mixed_model`) has one
interviewer-role effect for all years. If the gap between social-worker and volunteer interviewers changes
from one year to the next, the model spreads the change over the years' volunteer-standardised means and a
change of interviewers reads as a change of quality: in simulated studies where the gap grows in 2021 only
(latent role shift -0.5 -> -0.9), the 2020-2021 change was biased by about -1.4 points and some
Holm-adjusted contrast was significant in 58% of studies (nominal 5%), while a comparison of the volunteer
interviews alone stayed unbiased (``benchmarks/RESULTS.md``, ``bench_verdicts_years``).

Every recipient of 2020-2021 is interviewed by both roles, so the gap can be measured within the recipient,
free of who was sampled:

- :func:`recipient_gaps` the within-recipient gap (social-worker minus volunteer score) of every recipient
  interviewed by both roles in a year;
- :func:`paired_gap_by_year` its mean per year with a t interval and ``n`` recipients;
- :func:`role_gap_check` Welch's test that the yearly gaps are equal
  (:func:`helpers.stats.comparisons.welch_anova`, recipients seen in two years as correlated units) and the
  decision which comparison is the headline: the constant-instrument model when equality is not rejected at
  :data:`GAP_ALPHA` (or when at most one year has social-worker interviews: the model's role effect is then
  that year's own gap and nothing is assumed), **volunteer interviews only** when equality is rejected or
  cannot be tested;
- :func:`year_comparisons` both comparisons side by side and the headline;
- :func:`role_term_df` the interviewer-level (between-within) degrees of freedom of the role coefficient,
  whose Wald interval rested on 4 social-worker interviewers (coverage 0.88 in 200 demo-shaped simulated
  studies; with ``df = interviewers - 2`` it is 0.94).

Codes only; the words are in :mod:`helpers.narrative.trends` (``trends.role_gap.*`` in the catalogue).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from helpers.stats.comparisons import WelchAnova, difference, welch_anova

__all__ = ["GAP_ALPHA", "HEADLINES", "RoleGapCheck", "YearComparisons", "paired_gap_by_year", "recipient_gaps",
           "role_gap_check", "role_term_df", "volunteer_comparisons", "with_interviewer_df", "year_comparisons"]

GAP_ALPHA = 0.20
"""Level of the preliminary test of equal gaps. A test that guards an assumption is run at a liberal level
(Bancroft, 1944, *Ann Math Stat* 15:190; Paull, 1950, *Ann Math Stat* 21:539 recommend about 0.25 for such
"sometimes-pool" rules): at 0.05 it missed the growing gap of the simulated studies in 15% of them and the
headline then reported a change in 13.5% (target 10%); at 0.20 in 3.5% and 8% (``bench_verdicts_years``)."""

HEADLINES = ("model", "volunteers")
#: ``"model"``: the constant-instrument year model of all interviews; ``"volunteers"``: volunteer interviews only

_SW, _VOL = "social_worker", "volunteer"


def recipient_gaps(scored: pd.DataFrame, measure: str = "composite", years=None) -> pd.DataFrame:
    """The within-recipient gap of every recipient interviewed by both roles in a year.

    ``gap_ry = mean score of the social-worker interviews of recipient r in year y - mean score of the
    volunteer interviews`` (one interview of each in the 2020-2021 design). Rows with a missing score are
    dropped first. Columns: ``year, recipient_pid, gap``.

    Examples
    --------
    >>> s = pd.DataFrame({"year": [2020] * 4, "recipient_pid": ["a", "a", "b", "c"],
    ...                   "role": ["volunteer", "social_worker", "volunteer", "social_worker"],
    ...                   "composite": [90.0, 85.0, 80.0, 70.0]})
    >>> recipient_gaps(s).to_dict("records")
    [{'year': 2020, 'recipient_pid': 'a', 'gap': -5.0}]
    """
    need = ["year", "recipient_pid", "role", measure]
    if any(c not in scored for c in need):
        return pd.DataFrame({"year": pd.Series(dtype="int64"), "recipient_pid": pd.Series(dtype=object),
                             "gap": pd.Series(dtype="float64")})
    d = scored.loc[scored["role"].isin([_SW, _VOL]), need].dropna()
    if years is not None:
        d = d[d["year"].isin(list(years))]
    d = d.assign(year=d["year"].astype(int), score=d[measure].astype("float64"))
    by = d.groupby(["year", "recipient_pid", "role"])["score"].mean().unstack("role")
    for c in (_SW, _VOL):
        if c not in by:
            by[c] = np.nan
    by = by.dropna(subset=[_SW, _VOL])
    out = (by[_SW] - by[_VOL]).rename("gap").reset_index()
    return out[["year", "recipient_pid", "gap"]].sort_values(["year", "recipient_pid"], ignore_index=True)


def paired_gap_by_year(scored: pd.DataFrame, measure: str = "composite", years=None, ci: float = 0.95) -> pd.DataFrame:
    """Mean within-recipient gap (social worker minus volunteer, points) per year, with a t interval.

    For the ``n`` recipients interviewed by both roles in a year (:func:`recipient_gaps`):
    ``estimate = mean(gap)``, ``se = sd(gap) / sqrt(n)``, ``df = n - 1``, interval ``estimate +/- t se``,
    ``p_value`` of the paired t test of no gap (Student, 1908). The recipient is the unit, so the interval
    needs no assumption about who else was sampled; it treats the recipients as independent (the interviewers
    they share are in the gap's variance, not modelled). Every year of the data has a row: ``reason`` is
    ``"no_social_worker_interviews"`` (2018-2019 were volunteer-only), ``"fewer_than_two_pairs"``, or empty.
    ``social_worker_interviews``: the year's interviews by social workers (with a score).

    Examples
    --------
    >>> s = pd.DataFrame({"year": [2019] * 2 + [2020] * 6, "recipient_pid": list("xyaabbcc"),
    ...                   "role": ["volunteer"] * 2 + ["volunteer", "social_worker"] * 3,
    ...                   "composite": [90.0, 80.0, 90.0, 86.0, 80.0, 74.0, 100.0, 98.0]})
    >>> r = paired_gap_by_year(s)
    >>> r[["year", "estimate", "n", "reason"]].to_dict("records")
    [{'year': 2019, 'estimate': nan, 'n': 0, 'reason': 'no_social_worker_interviews'}, {'year': 2020, 'estimate': -4.0, 'n': 3, 'reason': ''}]
    >>> round(float(r.loc[1, "se"]), 4), round(float(r.loc[1, "ci_low"]), 3)  # sd 2, t(2) = 4.303
    (1.1547, -8.968)
    """
    gaps = recipient_gaps(scored, measure, years)
    all_years = sorted(int(y) for y in scored["year"].dropna().unique() if years is None or y in set(years))
    sw = scored[(scored["role"] == _SW) & scored[measure].notna()] if "role" in scored else scored.iloc[0:0]
    n_sw = sw.groupby("year").size()
    rows = []
    for y in all_years:
        g = gaps.loc[gaps["year"] == y, "gap"].to_numpy()
        n = len(g)
        row = {"year": y, "measure": measure, "estimate": float(g.mean()) if n else np.nan, "se": np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "n": int(n), "df": float(n - 1) if n else np.nan,
               "p_value": np.nan, "social_worker_interviews": int(n_sw.get(y, 0)), "reason": ""}
        if row["social_worker_interviews"] == 0:
            row["reason"] = "no_social_worker_interviews"
        elif n < 2:
            row["reason"] = "fewer_than_two_pairs"
        else:
            se = float(g.std(ddof=1) / np.sqrt(n))
            q = stats.t.ppf(0.5 + ci / 2, n - 1)
            row |= {"se": se, "ci_low": row["estimate"] - q * se, "ci_high": row["estimate"] + q * se,
                    "p_value": float(2 * stats.t.sf(abs(row["estimate"]) / se, n - 1)) if se > 0 else np.nan}
        rows.append(row)
    return pd.DataFrame(rows)


def _gap_covariance(gaps: pd.DataFrame, yrs: list[int], se: np.ndarray) -> np.ndarray:
    """Covariance of the yearly mean gaps: ``se^2`` on the diagonal; for years ``a, b`` sharing ``n_c`` recipients
    ``cov_ab = n_c s_ab / (n_a n_b)`` with ``s_ab`` the covariance of the common recipients' gaps (Kish, 1965,
    *Survey Sampling*, sec. 12.4: overlapping samples). 0 when fewer than two recipients recur."""
    V = np.diag(np.asarray(se, dtype=float) ** 2)
    by = {y: gaps[gaps["year"] == y].set_index("recipient_pid")["gap"] for y in yrs}
    for i in range(len(yrs)):
        for j in range(i + 1, len(yrs)):
            a, b = by[yrs[i]], by[yrs[j]]
            common = a.index.intersection(b.index)
            if len(common) < 2:
                continue
            s_ab = float(((a[common] - a.mean()) * (b[common] - b.mean())).sum() / (len(common) - 1))
            V[i, j] = V[j, i] = len(common) * s_ab / (len(a) * len(b))
    return V


@dataclass(frozen=True)
class RoleGapCheck:
    """Whether the yearly role gaps are equal, and which year comparison is therefore the headline.

    ``gaps``: :func:`paired_gap_by_year`. ``test``: :func:`helpers.stats.comparisons.welch_anova` over the years
    with pairs (``None`` when not run). ``estimate, ci_low, ci_high, se, p_value``: the change of the gap from
    the first to the last year with pairs (last minus first, points; t interval, Welch-Satterthwaite df, the
    recurring recipients' covariance) - ``p_value`` is the equality test's over all those years. ``n``:
    recipients with pairs, all years. ``decision``: ``"equal"`` (not rejected at ``alpha``), ``"unequal"``
    (rejected), ``"not_testable"`` (two or more years with social-worker interviews but fewer than two with
    pairs), ``"not_needed"`` (at most one year with social-worker interviews: the model's role effect is that
    year's gap, nothing is assumed). ``headline``: ``"volunteers"`` for ``unequal`` and ``not_testable``,
    else ``"model"``. ``reason``: a code for the narrative (the decision, or why the test is missing).
    """

    gaps: pd.DataFrame
    test: WelchAnova | None
    estimate: float
    ci_low: float
    ci_high: float
    se: float
    p_value: float
    n: int
    decision: str
    headline: str
    alpha: float
    years: tuple[int, ...] = ()
    reason: str = ""
    measure: str = "composite"


def role_gap_check(scored: pd.DataFrame, measure: str = "composite", years=None, alpha: float = GAP_ALPHA,
                   ci: float = 0.95) -> RoleGapCheck:
    """Test that the within-recipient role gap is the same in every year with pairs; choose the headline.

    Per year the mean gap ``m_y`` with ``v_y = s_y^2 / n_y`` (:func:`paired_gap_by_year`); the yearly means are
    compared by Welch's (1951, *Biometrika* 38:330) heteroscedastic F test
    (:func:`helpers.stats.comparisons.welch_anova`), with the covariance of two years' means from the recipients
    interviewed in both (``n_c s_ab / (n_a n_b)``, Kish, 1965, sec. 12.4), so a recipient seen in 2020 and 2021 is
    not counted as two independent units. For two years this is Welch's t test of ``m_2021 - m_2020``.
    Equality is rejected when ``p < alpha`` (:data:`GAP_ALPHA`, a liberal level for a preliminary test).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> rows = [{"year": y, "recipient_pid": f"r{y}{i}", "role": role, "composite": 90 + rng.normal(0, 3)
    ...          + (gap if role == "social_worker" else 0)}
    ...         for y, gap in ((2020, -3.0), (2021, -8.0)) for i in range(60) for role in ("volunteer", "social_worker")]
    >>> c = role_gap_check(pd.DataFrame(rows))
    >>> c.decision, c.headline, c.n, bool(c.p_value < 0.001), bool(c.ci_low < -5 < c.ci_high)
    ('unequal', 'volunteers', 120, True, True)
    """
    gaps_y = paired_gap_by_year(scored, measure, years, ci)
    with_sw = gaps_y[gaps_y["social_worker_interviews"] > 0]
    paired = gaps_y[gaps_y["reason"] == ""]
    n = int(gaps_y["n"].sum())
    nan = dict(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, se=np.nan, p_value=np.nan)
    yrs = tuple(int(y) for y in paired["year"])
    if len(with_sw) <= 1:
        return RoleGapCheck(gaps_y, None, n=n, decision="not_needed", headline="model", alpha=alpha, years=yrs,
                            reason="at_most_one_year_with_social_workers", measure=measure, **nan)
    if len(paired) < 2:
        return RoleGapCheck(gaps_y, None, n=n, decision="not_testable", headline="volunteers", alpha=alpha,
                            years=yrs, reason="fewer_than_two_years_with_pairs", measure=measure, **nan)
    gaps = recipient_gaps(scored, measure, years)
    V = _gap_covariance(gaps, list(yrs), paired["se"].to_numpy())
    test = welch_anova(paired["estimate"], paired["se"] ** 2, paired["n"], cov=V)
    if not np.isfinite(test.p_value):
        return RoleGapCheck(gaps_y, test, n=n, decision="not_testable", headline="volunteers", alpha=alpha,
                            years=yrs, reason=test.reason or "no_test", measure=measure, **nan)
    first, last = paired.iloc[0], paired.iloc[-1]
    d = difference(first["estimate"], first["se"], first["df"], last["estimate"], last["se"], last["df"], 1 - ci,
                   V[0, -1])
    unequal = test.p_value < alpha
    return RoleGapCheck(gaps_y, test, d.estimate, d.ci_low, d.ci_high, d.se, test.p_value, n,
                        "unequal" if unequal else "equal", "volunteers" if unequal else "model", alpha, yrs,
                        "unequal" if unequal else "equal", measure)


def volunteer_comparisons(scored: pd.DataFrame, measure: str = "composite", roster: pd.DataFrame | None = None,
                          weighted: bool = True, years=None, alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
    """:func:`helpers.studies.mystery_guest.trends.compare_years` on the volunteer interviews alone.

    The same year model (worker, interviewer and recipient random; mode and department fixed; the role
    column is constant and drops out) or, where the mode does not vary either, the design-based comparison.
    Needs no assumption about the social-worker gap; in 2020-2021 it uses half the interviews, so its
    intervals are wider. ``instrument`` is ``"volunteers"``.
    """
    from helpers.studies.mystery_guest.trends import compare_years

    vol = scored[scored["role"] == _VOL] if "role" in scored else scored
    out = compare_years(vol, measure, roster=roster, weighted=weighted, years=years, alpha=alpha, power=power)
    if not out.empty:
        out["instrument"] = "volunteers"
    return out


@dataclass(frozen=True)
class YearComparisons:
    """The year comparisons of one measure: the constant-instrument ``model``, the ``volunteers``-only one, the
    ``check`` of the equal-gap assumption, and the ``headline`` (one of the two, by ``check.headline``).
    Every table has the columns of :func:`helpers.studies.mystery_guest.trends.compare_years`."""

    model: pd.DataFrame
    volunteers: pd.DataFrame
    check: RoleGapCheck
    headline: pd.DataFrame = field(repr=False)

    def side_by_side(self) -> pd.DataFrame:
        """One row per year pair: ``difference, ci_low, ci_high, p_adjusted, verdict`` of both, suffixed
        ``_model`` / ``_volunteers``, and ``headline`` (which one the reports lead with)."""
        keys = ["year_a", "year_b"]
        cols = ["difference", "ci_low", "ci_high", "p_adjusted", "verdict"]
        a = self.model[keys + cols] if not self.model.empty else pd.DataFrame(columns=keys + cols)
        b = self.volunteers[keys + cols] if not self.volunteers.empty else pd.DataFrame(columns=keys + cols)
        out = a.merge(b, on=keys, how="outer", suffixes=("_model", "_volunteers"))
        out["headline"] = self.check.headline
        return out


def year_comparisons(scored: pd.DataFrame, measure: str = "composite", roster: pd.DataFrame | None = None,
                     weighted: bool = True, years=None, alpha: float = 0.05, power: float = 0.8,
                     gap_alpha: float = GAP_ALPHA, fit=None, model: pd.DataFrame | None = None) -> YearComparisons:
    """Both year comparisons of ``measure`` and the headline chosen by :func:`role_gap_check`.

    ``model``: :func:`~helpers.studies.mystery_guest.trends.compare_years` with the constant instrument (``fit``
    reuses a fitted year model; a ready ``model`` table is used as is); ``volunteers``:
    :func:`volunteer_comparisons`. The headline is the volunteer-only table when the gap check rejects equality
    or cannot test it, else the model's.
    """
    from helpers.studies.mystery_guest.trends import compare_years

    if model is None:
        model = compare_years(scored, measure, roster=roster, weighted=weighted, years=years, alpha=alpha,
                              power=power, fit=fit)
    check = role_gap_check(scored, measure, years, gap_alpha)
    vol = volunteer_comparisons(scored, measure, roster, weighted, years, alpha, power)
    return YearComparisons(model, vol, check, vol if check.headline == "volunteers" else model)


# ---------------------------------------------------------------------------------------------
# the role coefficient: interviewer-level degrees of freedom
# ---------------------------------------------------------------------------------------------


def role_term_df(frame: pd.DataFrame, factor: str = "role", cluster: str = "interviewer_id") -> float:
    """Between-within degrees of freedom of a fixed effect that is constant within the levels of ``cluster``.

    The role of an interviewer never changes, so the role effect is estimated from the differences between
    interviewers: ``df = I - 1 - (L - 1)`` with ``I`` interviewers and ``L`` role levels (``I - 2`` for two
    roles), the between-subject df of the between-within method (Schluchter & Elashoff, 1990,
    *J Stat Comput Simul* 37:11; SAS PROC MIXED ``DDFM=BETWITHIN``). ``inf`` when the factor varies within an
    interviewer (then it is a within effect) or is missing; ``nan`` when ``df < 1``.

    Examples
    --------
    >>> f = pd.DataFrame({"interviewer_id": ["V1", "V2", "V3", "S1", "S2", "V1"],
    ...                   "role": ["volunteer"] * 3 + ["social_worker"] * 2 + ["volunteer"]})
    >>> role_term_df(f)
    3.0
    """
    if factor not in frame or cluster not in frame:
        return np.inf
    d = frame[[factor, cluster]].dropna()
    if (d.groupby(cluster)[factor].nunique() > 1).any():
        return np.inf
    df = float(d[cluster].nunique() - d[factor].nunique())
    return df if df >= 1 else np.nan


def with_interviewer_df(fixed: pd.DataFrame, frame: pd.DataFrame, alpha: float = 0.05,
                        factor: str = "role", cluster: str = "interviewer_id") -> pd.DataFrame:
    """A year model's fixed-effects table with a ``df`` column: :func:`role_term_df` for the ``factor`` terms
    (t interval ``coef +/- t(1 - alpha/2, df) se`` and t p-value), ``inf`` (the Wald z interval as before) for
    the others. With the interviewer-level df the role interval covered the true role effect in 0.94 of 200
    demo-shaped simulated studies (0.99 with a linear outcome), the Wald interval in 0.88 (0.96-0.965)
    (``bench_verdicts_years``)."""
    out = fixed.copy()
    out["df"] = np.inf
    rows = out["term"].astype(str).str.startswith(f"C({factor})")
    if not rows.any():
        return out
    df = role_term_df(frame, factor, cluster)
    out.loc[rows, "df"] = df
    if np.isfinite(df):
        q = stats.t.ppf(1 - alpha / 2, df)
        se, coef = out.loc[rows, "se"].to_numpy(float), out.loc[rows, "coef"].to_numpy(float)
        out.loc[rows, "ci_low"] = coef - q * se
        out.loc[rows, "ci_high"] = coef + q * se
        with np.errstate(divide="ignore", invalid="ignore"):
            out.loc[rows, "p"] = 2 * stats.t.sf(np.abs(coef) / np.where(se > 0, se, np.nan), df)
    elif np.isnan(df):
        out.loc[rows, ["ci_low", "ci_high", "p"]] = np.nan
    return out
