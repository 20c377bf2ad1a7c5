"""Internal-consistency and distribution checks of a multi-item scale.

One statistic, one function: :func:`cronbach_alpha` (with the Feldt interval),
:func:`mcdonald_omega` (omega total from a one-factor model), :func:`corrected_item_total`
(corrected item-total correlations) and :func:`floor_ceiling` (floor and ceiling shares).
The per-domain / per-role table that the scoring report shows is built in
:func:`helpers.studies.mystery_guest.scoring.psychometric_table` from these pieces.

Items are a wide DataFrame: one row per respondent (interview), one column per item, numeric
(the 0-100 item scores of :func:`helpers.studies.mystery_guest.scoring.item_scores`, or raw codes), ``NaN`` = missing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "AlphaResult",
    "OmegaResult",
    "cronbach_alpha",
    "mcdonald_omega",
    "corrected_item_total",
    "floor_ceiling",
]


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha with its Feldt confidence interval."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int  # respondents with every item answered (listwise)
    k: int  # items
    confidence: float = 0.95
    reason: str = ""  # why the estimate is NaN: too_few_items_or_respondents | zero_variance


@dataclass(frozen=True)
class OmegaResult:
    """McDonald's omega total from a one-factor model."""

    estimate: float
    n: int
    k: int
    loadings: tuple[float, ...] = ()
    uniquenesses: tuple[float, ...] = ()
    method: str = "ml"
    reason: str = ""  # ';'-separated codes: constant_items_dropped, too_few_items, factor_model_failed, fit_warning, heywood_case
    dropped: tuple[str, ...] = ()  # items dropped for zero variance


def _complete(items: pd.DataFrame) -> pd.DataFrame:
    x = pd.DataFrame(items).apply(pd.to_numeric, errors="coerce").astype("float64")
    return x.dropna(axis=0, how="any")


def cronbach_alpha(items: pd.DataFrame, ci: float = 0.95) -> AlphaResult:
    """Cronbach's alpha of the unweighted sum of ``items``, with Feldt's exact CI.

    Measures the internal consistency of a scale: the share of the variance of the sum score
    that is common to the items, under essential tau-equivalence (a lower bound otherwise).

    Formula (Cronbach, 1951, *Psychometrika* 16:297):
    ``alpha = k / (k - 1) * (1 - sum(var(item_j)) / var(sum))`` with sample variances (ddof=1).
    Confidence interval (Feldt, 1965, *Psychometrika* 30:357; Feldt, Woodruff & Salih, 1987,
    *Applied Psychological Measurement* 11:93): ``(1 - alpha) / (1 - A) ~ F(n-1, (n-1)(k-1))``, so
    ``[1 - (1 - alpha) F_{1-a/2}, 1 - (1 - alpha) F_{a/2}]``.

    Missing data: listwise deletion (respondents with any missing item are dropped); ``n`` is the
    number kept. Undefined cases (fewer than 2 items or 2 respondents, zero variance of the sum)
    return ``NaN`` with the reason code in ``reason`` (``too_few_items_or_respondents``,
    ``zero_variance``).

    Validated against pingouin ``cronbach_alpha`` (tests) and the published value of the
    15 x 10 real-statistics.com data set (pingouin docs; R ``psych::alpha``).

    Examples
    --------
    >>> from helpers.datasets import load_reference
    >>> data = load_reference("cronbach_alpha_15x10").drop(columns="subject")
    >>> res = cronbach_alpha(data)
    >>> round(res.estimate, 7), round(res.ci_low, 3), round(res.ci_high, 3), res.n
    (0.5917188, 0.195, 0.84, 15)
    """
    x = _complete(items)
    n, k = x.shape
    if k < 2 or n < 2:
        return AlphaResult(np.nan, np.nan, np.nan, n, k, ci, "too_few_items_or_respondents")
    total_var = x.sum(axis=1).var(ddof=1)
    if not total_var > 0:
        return AlphaResult(np.nan, np.nan, np.nan, n, k, ci, "zero_variance")  # every respondent gave the same total
    alpha = k / (k - 1) * (1 - x.var(ddof=1).sum() / total_var)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    a = 1 - ci
    low = 1 - (1 - alpha) * stats.f.ppf(1 - a / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(a / 2, df1, df2)
    return AlphaResult(float(alpha), float(low), float(high), int(n), int(k), ci)


def mcdonald_omega(items: pd.DataFrame, method: str = "ml") -> OmegaResult:
    """McDonald's omega total of the unweighted sum of ``items``, from a one-factor model.

    Measures the share of the variance of the sum score explained by a single common factor,
    without alpha's tau-equivalence assumption (congeneric items).

    Formula (McDonald, 1999, *Test Theory: A Unified Treatment*; Revelle & Zinbarg, 2009,
    *Psychometrika* 74:145): a one-factor model is fitted to the correlation matrix (statsmodels
    ``Factor``, maximum likelihood by default, ``method="pa"`` for principal axis); standardised
    loadings ``l_j`` and uniquenesses ``u_j`` are rescaled by the item SDs ``s_j``
    (``lambda_j = l_j s_j``, ``psi_j = u_j s_j^2``) and
    ``omega = (sum lambda_j)^2 / ((sum lambda_j)^2 + sum psi_j)`` (model-implied variance of the
    unweighted raw sum). Loadings are oriented so that their sum is positive.

    The factor fit is statsmodels'; only the omega formula is hand-written (no well-kept Python
    library provides omega). Cross-checked in the tests against the population omega of
    simulated congeneric data and against alpha for tau-equivalent items.

    Missing data: listwise deletion. Items with zero variance are dropped (named in ``dropped``,
    reason ``constant_items_dropped``). Needs at least 3 items with variance and more respondents than
    items (a one-factor model of 2 items is not identified); otherwise ``NaN`` with the reason
    ``too_few_items``. ``reason`` also records ``factor_model_failed``, ``fit_warning`` (the factor fit
    warned) and ``heywood_case`` (a uniqueness near 0), ``;``-separated.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=5000)
    >>> x = pd.DataFrame({f"i{j}": 0.7 * f + rng.normal(scale=0.71, size=5000) for j in range(4)})
    >>> round(mcdonald_omega(x).estimate, 3)  # population: 2.8^2 / (2.8^2 + 4 * 0.71^2) = 0.795
    0.792
    """
    from statsmodels.multivariate.factor import Factor

    x = _complete(items)
    n = len(x)
    sd = x.std(ddof=1)
    constant = [c for c in x.columns if not sd[c] > 0]
    codes = ["constant_items_dropped"] if constant else []
    dropped = tuple(map(str, constant))
    x = x.drop(columns=constant)
    k = x.shape[1]
    if k < 3 or n <= k:
        return OmegaResult(np.nan, n, k, method=method, reason=";".join([*codes, "too_few_items"]), dropped=dropped)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = Factor(x.to_numpy(), n_factor=1, method=method).fit()
        except (np.linalg.LinAlgError, ValueError):
            return OmegaResult(np.nan, n, k, method=method, reason=";".join([*codes, "factor_model_failed"]),
                               dropped=dropped)
    load = np.asarray(res.loadings, dtype=float).ravel()
    uniq = np.asarray(res.uniqueness, dtype=float).ravel()
    if load.sum() < 0:
        load = -load
    s = sd[x.columns].to_numpy()
    lam, psi = load * s, np.clip(uniq, 0, None) * s**2
    common = lam.sum() ** 2
    omega = common / (common + psi.sum())
    if caught:
        codes.append("fit_warning")
    if np.any(uniq < 0.005):
        codes.append("heywood_case")
    return OmegaResult(float(omega), n, k, tuple(load.round(6)), tuple(uniq.round(6)), method, ";".join(codes), dropped)


def corrected_item_total(items: pd.DataFrame) -> pd.Series:
    """Corrected item-total correlation of each item: Pearson r of the item with the sum of the others.

    Formula: ``r(x_j, sum_{i != j} x_i)`` (Nunnally & Bernstein, 1994, *Psychometric Theory*);
    ``NaN`` when the item or the rest score is constant. Missing data: listwise deletion.

    Examples
    --------
    With two items each rest score is the other item, so both equal r(a, b) = 3 / 5:

    >>> x = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3]})
    >>> corrected_item_total(x).round(3).tolist()
    [0.6, 0.6]
    """
    x = _complete(items)
    total = x.sum(axis=1)
    out = {}
    for c in x.columns:
        rest = total - x[c]
        if x[c].std() > 0 and rest.std() > 0:
            out[c] = float(np.corrcoef(x[c], rest)[0, 1])
        else:
            out[c] = np.nan
    return pd.Series(out, name="corrected_item_total", dtype="float64")


def floor_ceiling(values: pd.Series | pd.DataFrame, floor: float = 0.0, ceiling: float = 100.0) -> pd.DataFrame:
    """Floor and ceiling shares: share of the non-missing answers at the lowest / highest possible value.

    For a DataFrame, one row per column; for a Series, one row. A ceiling share above 15% is
    the usual threshold for a ceiling effect of a scale score (Terwee et al., 2007,
    *Journal of Clinical Epidemiology* 60:34); the scoring report warns above 80%.

    Examples
    --------
    >>> floor_ceiling(pd.Series([0, 50, 100, 100, None], name="x"))
       n  floor_share  ceiling_share
    x  4         0.25            0.5
    """
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    rows = {}
    for c in frame.columns:
        v = pd.to_numeric(frame[c], errors="coerce").astype("float64").dropna()
        n = len(v)
        rows[c] = {
            "n": n,
            "floor_share": float((v <= floor).mean()) if n else np.nan,
            "ceiling_share": float((v >= ceiling).mean()) if n else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index")
