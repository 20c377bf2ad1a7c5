"""Tests written to kill the mutants of helpers.stats.psychometrics that survived (docs/mutation/psychometrics.md).

Values are computed independently: alpha and its Feldt interval by hand from the item variances and scipy's F
quantiles (Cronbach 1951; Feldt 1965), omega from a one-factor maximum-likelihood fit written here (the ML
discrepancy log|S| + tr(R S^-1) minimised by scipy, S = l l' + diag(u)), the item-total correlations and the
floor / ceiling shares by counting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from helpers.stats.psychometrics import (
    corrected_item_total,
    cronbach_alpha,
    floor_ceiling,
    mcdonald_omega,
)


@pytest.fixture(scope="module")
def congeneric() -> pd.DataFrame:
    """300 respondents, 4 congeneric items on different scales (SD 10, 5, 2, 1)."""
    rng = np.random.default_rng(11)
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    f = rng.normal(size=300)
    x = f[:, None] * lam + rng.normal(size=(300, 4)) * np.sqrt(1 - lam**2)
    return pd.DataFrame(x * np.array([10, 5, 2, 1]) + 50, columns=list("abcd"))


def _ml_one_factor(x: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Standardised loadings and uniquenesses of a one-factor ML fit to the correlation matrix."""
    r = np.corrcoef(x.to_numpy().T)
    k = r.shape[0]

    def discrepancy(p):
        s = np.outer(p[:k], p[:k]) + np.diag(np.exp(p[k:]))
        return np.linalg.slogdet(s)[1] + np.trace(r @ np.linalg.inv(s))

    p = optimize.minimize(discrepancy, np.r_[np.full(k, 0.5), np.log(np.full(k, 0.5))], method="BFGS",
                          options={"gtol": 1e-10}).x
    return np.abs(p[:k]), np.exp(p[k:])


def test_omega_equals_a_hand_written_ml_fit_and_orients_the_loadings(congeneric):
    load, uniq = _ml_one_factor(congeneric)
    s = congeneric.std(ddof=1).to_numpy()
    lam, psi = load * s, uniq * s**2
    omega = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    for x in (congeneric, -congeneric):  # statsmodels returns negative loadings for one of the two
        r = mcdonald_omega(x)
        assert r.estimate == pytest.approx(omega, abs=1e-6)
        assert r.loadings == pytest.approx(tuple(load), abs=1e-5)
        assert r.uniquenesses == pytest.approx(tuple(uniq), abs=1e-5)
        assert (r.n, r.k, r.method, r.reason, r.dropped) == (300, 4, "ml", "", ())
    pa = mcdonald_omega(congeneric, method="pa")
    assert pa.method == "pa" and pa.loadings != mcdonald_omega(congeneric).loadings
    assert pa.estimate == pytest.approx(omega, abs=1e-3)


def test_omega_flags_a_heywood_case(congeneric):
    """An item that is the factor itself has uniqueness 0: the fit warns and the case is named."""
    f = np.random.default_rng(11).normal(size=300)  # the fixture's factor (its first draw)
    y = congeneric.assign(a=f * 10 + np.random.default_rng(1).normal(size=300) * 0.01)
    r = mcdonald_omega(y)
    assert r.reason.split(";") == ["fit_warning", "heywood_case"]
    assert min(r.uniquenesses) < 0.005 and 0 < r.estimate < 1


def test_omega_constant_items_and_too_few_respondents_say_why(congeneric):
    r = mcdonald_omega(congeneric.assign(z=3.0, y=1.0))
    assert r.dropped == ("z", "y") and r.reason == "constant_items_dropped" and r.k == 4
    assert r.estimate == pytest.approx(mcdonald_omega(congeneric).estimate, abs=1e-6)
    few = mcdonald_omega(congeneric.iloc[:4].assign(z=1.0), method="pa")  # n = k = 4: not identified
    assert np.isnan(few.estimate) and (few.n, few.k, few.method) == (4, 4, "pa")
    assert few.reason == "constant_items_dropped;too_few_items" and few.dropped == ("z",)
    five = mcdonald_omega(congeneric.iloc[:5])  # n = 5 > k = 4 is fitted
    assert "too_few_items" not in five.reason and 0 < five.estimate < 1


def test_omega_with_missing_values_uses_the_complete_rows(congeneric):
    x = congeneric.copy()
    x.iloc[[3, 10, 20], [0, 2, 3]] = np.nan
    r = mcdonald_omega(x)
    assert r.n == 297 and r.estimate == pytest.approx(mcdonald_omega(x.dropna()).estimate, abs=1e-6)


@pytest.mark.parametrize("ci", [0.95, 0.8])
def test_alpha_and_feldt_interval_by_hand(congeneric, ci):
    x = congeneric.to_numpy()
    n, k = x.shape
    alpha = k / (k - 1) * (1 - x.var(0, ddof=1).sum() / x.sum(1).var(ddof=1))
    q = (1 - ci) / 2
    lo = 1 - (1 - alpha) * stats.f.ppf(1 - q, n - 1, (n - 1) * (k - 1))
    hi = 1 - (1 - alpha) * stats.f.ppf(q, n - 1, (n - 1) * (k - 1))
    r = cronbach_alpha(congeneric, ci=ci)
    assert (r.estimate, r.ci_low, r.ci_high) == pytest.approx((alpha, lo, hi), abs=1e-12)
    assert (r.n, r.k, r.confidence, r.reason) == (300, 4, ci, "")


def test_alpha_of_two_respondents_and_its_undefined_cases():
    two = cronbach_alpha(pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 5.0]}))
    assert two.estimate == pytest.approx(2 * (1 - (2 + 4.5) / 12.5))  # k/(k-1) (1 - sum var / var sum)
    one = cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), ci=0.9)
    assert (one.n, one.k, one.confidence, one.reason) == (3, 1, 0.9, "too_few_items_or_respondents")
    row = cronbach_alpha(pd.DataFrame({"a": [1.0, None], "b": [2.0, 4.0]}))
    assert (row.n, row.k, row.reason) == (1, 2, "too_few_items_or_respondents")
    assert all(np.isnan(v) for v in (one.estimate, one.ci_low, one.ci_high, row.ci_low, row.ci_high))
    small = cronbach_alpha(pd.DataFrame({"a": [0.1, 0.2, 0.4], "b": [0.2, 0.1, 0.5]}))  # var of the sum 0.12 < 1
    assert small.estimate == pytest.approx(2 * (1 - (0.07 / 3 + 0.13 / 3) / 0.12)) and small.reason == ""
    flat = cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0]}), ci=0.9)
    assert (flat.n, flat.k, flat.confidence, flat.reason) == (3, 2, 0.9, "zero_variance")
    assert np.isnan(flat.ci_low) and np.isnan(flat.ci_high)


def test_alpha_reads_numbers_written_as_text():
    x = pd.DataFrame({"a": ["1", "2", "4", "x"], "b": [2, 2, 5, 1], "c": [1.0, 3.0, 4.0, 2.0]})
    assert cronbach_alpha(x).estimate == pytest.approx(cronbach_alpha(x.iloc[:3].astype(float)).estimate)
    assert cronbach_alpha(x).n == 3


@pytest.mark.filterwarnings("error::RuntimeWarning")  # a constant item or rest gives NaN without a warning
def test_corrected_item_total_constant_item_rest_and_missing_rows():
    x = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 9.0], "b": [2.0, 1.0, 4.0, 3.0, None], "c": 5.0})
    r = corrected_item_total(x)
    assert r.name == "corrected_item_total" and r.index.tolist() == ["a", "b", "c"]
    # complete rows only; c is constant (NaN), so a's rest is b + 5: r(a, b) = 0.6, and b's rest is a + 5
    assert r["a"] == pytest.approx(0.6) and r["b"] == pytest.approx(0.6) and np.isnan(r["c"])
    assert corrected_item_total(x / 10)["a"] == pytest.approx(0.6)  # a rest score with SD below 1
    only = corrected_item_total(pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": 5.0}))
    assert np.isnan(only["a"])  # the rest score (c) is constant


def test_floor_ceiling_at_given_bounds_and_empty_columns():
    t = floor_ceiling(pd.DataFrame({"a": [1, 1, 2, 5, 6, 0], "b": [None, "x", None, None, None, None]}),
                      floor=1, ceiling=5)
    assert t.loc["a", "n"] == 6 and t.loc["a", "floor_share"] == pytest.approx(3 / 6)
    assert t.loc["a", "ceiling_share"] == pytest.approx(2 / 6)
    assert t.loc["b", "n"] == 0 and np.isnan(t.loc["b", "floor_share"]) and np.isnan(t.loc["b", "ceiling_share"])
    d = floor_ceiling(pd.Series([0.0, 0.0, 0.5, 100.0, 99.0], name="s"))  # default floor 0, ceiling 100
    assert d.loc["s"].tolist() == [5, 0.4, 0.2]


def test_omega_clips_negative_uniquenesses_of_principal_axis(congeneric):
    """Principal axis gives the near-copy of the factor a uniqueness below 0 (a Heywood case): it enters the
    omega formula as 0, ``omega = (sum l s)^2 / ((sum l s)^2 + sum max(u, 0) s^2)``."""
    f = np.random.default_rng(11).normal(size=300)
    y = congeneric.assign(a=f * 10 + np.random.default_rng(1).normal(size=300) * 0.01)
    r = mcdonald_omega(y, method="pa")
    load, uniq = np.array(r.loadings), np.array(r.uniquenesses)
    assert uniq.min() < -0.01 and r.reason == "heywood_case"
    s = y.std(ddof=1).to_numpy()
    lam, psi = load * s, np.clip(uniq, 0, None) * s**2
    assert r.estimate == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()), abs=1e-5)


def test_omega_of_three_items_and_of_weak_items():
    """Three items are the fewest a one-factor model fits; loadings summing to less than 1 stay positive."""
    rng = np.random.default_rng(5)
    g = rng.normal(size=3000)
    weak = pd.DataFrame({f"i{j}": 0.25 * g + rng.normal(size=3000) for j in range(3)})
    for x in (weak, -weak, weak[["i2", "i1", "i0"]]):  # statsmodels' sign follows the column order, not the data
        r = mcdonald_omega(x)
        assert r.k == 3 and r.reason == "" and 0 < sum(r.loadings) < 1 and min(r.loadings) > 0
        load, uniq = _ml_one_factor(x)
        lam, psi = load * x.std(ddof=1).to_numpy(), uniq * x.var(ddof=1).to_numpy()
        assert r.estimate == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()), abs=1e-5)


def test_omega_says_when_the_factor_model_fails(congeneric, monkeypatch):
    from statsmodels.multivariate.factor import Factor

    def fail(self, *args, **kwargs):
        raise np.linalg.LinAlgError("singular")

    monkeypatch.setattr(Factor, "fit", fail)
    r = mcdonald_omega(congeneric.assign(z=0.0), method="pa")
    assert np.isnan(r.estimate) and (r.n, r.k, r.method, r.dropped) == (300, 4, "pa", ("z",))
    assert r.reason == "constant_items_dropped;factor_model_failed"
