"""Psychometric statistics against published values and second implementations."""


import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from helpers.datasets import REFERENCE_DIR
from helpers.stats.psychometrics import (
    corrected_item_total,
    cronbach_alpha,
    floor_ceiling,
    mcdonald_omega,
)

REF = REFERENCE_DIR


@pytest.fixture(scope="module")
def alpha_data() -> pd.DataFrame:
    return pd.read_csv(REF / "cronbach_alpha_15x10.csv").drop(columns="subject")


def test_alpha_reproduces_published_value(alpha_data):
    r = cronbach_alpha(alpha_data)
    assert r.estimate == pytest.approx(0.5917188, abs=1e-7)
    assert (round(r.ci_low, 3), round(r.ci_high, 3)) == (0.195, 0.840)
    assert (r.n, r.k) == (15, 10)


def test_alpha_matches_pingouin_with_missing_values():
    rng = np.random.default_rng(3)
    f = rng.normal(size=200)
    x = pd.DataFrame({f"q{j}": f + rng.normal(scale=1 + j / 3, size=200) for j in range(6)})
    ours = cronbach_alpha(x, ci=0.9)
    ref, ci = pg.cronbach_alpha(x, ci=0.9)
    assert ours.estimate == pytest.approx(ref, abs=1e-12)
    assert [round(ours.ci_low, 3), round(ours.ci_high, 3)] == pytest.approx(list(ci), abs=1e-12)
    # with missing values: same listwise estimate; pingouin's Feldt df use the rows *before*
    # deletion (a pingouin quirk), ours the complete rows, so only the estimate is compared
    x = x.mask(rng.random(x.shape) < 0.05)
    ours = cronbach_alpha(x)
    ref, _ = pg.cronbach_alpha(x, nan_policy="listwise")
    assert ours.estimate == pytest.approx(ref, abs=1e-12)
    assert ours.n == len(x.dropna()) < len(x)


def test_alpha_undefined_cases_say_why():
    const = pd.DataFrame({"a": [100.0] * 5, "b": [100.0] * 5})
    r = cronbach_alpha(const)
    assert np.isnan(r.estimate) and r.reason == "zero_variance"
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0]})).estimate)


def _congeneric(loadings, n, seed):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    lam = np.asarray(loadings)
    psi = 1 - lam**2
    x = f[:, None] * lam + rng.normal(size=(n, len(lam))) * np.sqrt(psi)
    return pd.DataFrame(x * 10 + 50, columns=[f"i{j}" for j in range(len(lam))]), lam * 10, psi * 100


def test_omega_recovers_population_value_of_congeneric_items():
    x, lam, psi = _congeneric([0.9, 0.8, 0.6, 0.4, 0.3], 20000, 1)
    population = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    ml = mcdonald_omega(x)
    pa = mcdonald_omega(x, method="pa")
    assert ml.estimate == pytest.approx(population, abs=0.005)
    assert pa.estimate == pytest.approx(ml.estimate, abs=0.005)  # second computation (principal axis)
    # with unequal loadings omega exceeds alpha (alpha is a lower bound)
    assert ml.estimate > cronbach_alpha(x).estimate + 0.005


def test_omega_equals_alpha_for_tau_equivalent_items():
    x, _, _ = _congeneric([0.7] * 5, 20000, 2)
    assert mcdonald_omega(x).estimate == pytest.approx(cronbach_alpha(x).estimate, abs=0.003)


def test_omega_drops_constant_items_and_refuses_two_items():
    x, _, _ = _congeneric([0.8, 0.7, 0.6], 500, 4)
    r = mcdonald_omega(x.assign(const=1.0))
    assert r.k == 3 and "constant_items_dropped" in r.reason and len(r.dropped) == 1
    two = mcdonald_omega(x[["i0", "i1"]])
    assert np.isnan(two.estimate) and "too_few_items" in two.reason


def test_corrected_item_total_against_hand_computation():
    x, _, _ = _congeneric([0.8, 0.7, 0.6, 0.5], 300, 5)
    r = corrected_item_total(x)
    for c in x.columns:
        rest = x.drop(columns=c).sum(axis=1)
        assert r[c] == pytest.approx(np.corrcoef(x[c], rest)[0, 1], abs=1e-12)
    # reverse an item: its corrected item-total correlation turns negative
    assert corrected_item_total(x.assign(i3=-x["i3"]))["i3"] < 0


def test_floor_ceiling_shares():
    t = floor_ceiling(pd.DataFrame({"a": [0, 0, 100, 50], "b": [100, 100, 100, None]}))
    assert t.loc["a", "floor_share"] == 0.5 and t.loc["a", "ceiling_share"] == 0.25
    assert t.loc["b", "n"] == 3 and t.loc["b", "ceiling_share"] == 1.0
