"""Mutation kills for helpers.stats.mixed_inference (benchmarks/mutation.py entry ``mixed_inference``).

Satterthwaite's degrees of freedom of worker contrasts, checked against an independent dense formula on a small
crossed design with two random factors (interviewers, and recipients absorbed as the door does), weights and
scores in small units: V = sum s2_k Z_k Z_k' + sigma2 W^-1, Cov(b) = (X'V^-1 X)^-1, the REML deviance's observed
Hessian H_ij = -tr(P V_i P V_j) + 2 y'P V_i P V_j P y, A = 2 H^-1, g_i = -L'M V_i M'L with M = Cov(b) X'V^-1,
df = 2 (L'Cov L)^2 / g'Ag (Giesbrecht & Burns, 1985, Biometrics 41:477; the method of lmerTest).
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.stats.mixed import fit as mixed_fit
from helpers.stats.mixed_inference import satterthwaite


def _design(seed: int = 5):
    rng = np.random.default_rng(seed)
    workers, raters, recipients = 6, 4, 40
    rec = np.repeat(np.arange(recipients), 3)
    n = len(rec)
    wc = rec % workers  # each recipient is served by one worker
    ic = rng.integers(0, raters, n)
    w = rng.choice([0.5, 1.0, 2.0], n)
    # scores in small units (SD about 0.1): the contrast's variance is well below 1
    y = (0.05 * np.arange(workers)[wc] + rng.normal(0, 0.08, raters)[ic] + rng.normal(0, 0.06, recipients)[rec]
         + rng.normal(0, 0.05, n) / np.sqrt(w))
    X = np.column_stack([np.eye(workers)[wc], (np.arange(n) % 2).astype(float)])
    factors = [("interviewer", ic, raters), ("recipient", rec, recipients)]
    L = np.zeros(X.shape[1])
    L[:workers] = -1.0 / (workers - 1)
    L[0] = 1.0
    return y, X, factors, w, L


def _dense(y, X, factors, variances, sigma2, L, w=None):
    n = len(y)
    Zs = [np.eye(m)[c] for _, c, m in factors]
    Vs = [Z @ Z.T for Z in Zs] + [np.diag(1 / (np.ones(n) if w is None else w))]
    V = sum(v * Vi for v, Vi in zip([*variances, sigma2], Vs, strict=True))
    Vi = np.linalg.inv(V)
    cov = np.linalg.inv(X.T @ Vi @ X)
    P = Vi - Vi @ X @ cov @ X.T @ Vi
    k = len(Vs)
    H = np.array([[-np.trace(P @ Vs[i] @ P @ Vs[j]) + 2 * y @ P @ Vs[i] @ P @ Vs[j] @ P @ y for j in range(k)]
                  for i in range(k)])
    A = 2 * np.linalg.inv(H)
    var = float(L @ cov @ L)
    M = cov @ X.T @ Vi
    g = np.array([-(L @ M @ Vs[i] @ M.T @ L) for i in range(k)])
    return var, 2 * var**2 / float(g @ A @ g)


@pytest.fixture(scope="module")
def weighted_fit():
    y, X, factors, w, L = _design()
    res = mixed_fit(y, X, factors, weights=w)
    assert list(res.kept) == ["interviewer", "recipient"]
    return y, X, factors, w, L, res


def test_two_random_factors_absorbed_and_weighted_match_the_dense_formula(weighted_fit):
    y, X, factors, w, L, res = weighted_fit
    got = satterthwaite(y, X, factors, res, L[:, None], weights=w)  # recipients absorbed (the default)
    var, df = _dense(y, X, factors, [res.variances["interviewer"], res.variances["recipient"]], res.sigma2, L, w)
    assert var < 0.01  # small units: a floor at 1 would show
    assert float(got.se[0]) == pytest.approx(np.sqrt(var), rel=1e-6)
    assert float(got.df[0]) == pytest.approx(df, rel=2e-3)
    assert float(got.estimate[0]) == pytest.approx(float(L @ res.beta), abs=1e-12)
    assert got.n_parameters == 3  # two variances and sigma2


def test_absorbing_the_recipients_changes_nothing_and_a_1d_contrast_is_one_column(weighted_fit):
    y, X, factors, w, L, res = weighted_fit
    absorbed = satterthwaite(y, X, factors, res, L[:, None], weights=w)
    plain = satterthwaite(y, X, factors, res, L[:, None], weights=w, absorb=None)
    one_d = satterthwaite(y, X, factors, res, L, weights=w)
    for r in (plain, one_d):
        np.testing.assert_allclose(r.se, absorbed.se, rtol=1e-9)
        np.testing.assert_allclose(r.df, absorbed.df, rtol=1e-4)
    assert one_d.se.shape == (1,)


def test_the_weights_enter_the_df(weighted_fit):
    y, X, factors, w, L, res = weighted_fit
    unweighted = satterthwaite(y, X, factors, res, L[:, None])
    _, df_unweighted = _dense(y, X, factors, [res.variances["interviewer"], res.variances["recipient"]],
                              res.sigma2, L)
    assert float(unweighted.df[0]) == pytest.approx(df_unweighted, rel=2e-3)
    weighted = satterthwaite(y, X, factors, res, L[:, None], weights=w)
    assert abs(float(weighted.df[0]) / float(unweighted.df[0]) - 1) > 0.01


def test_without_a_random_factor_the_df_are_those_of_least_squares():
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(30), rng.normal(size=30), np.r_[np.ones(15), np.zeros(15)]])
    y = X @ [1.0, 0.5, -0.2] + rng.normal(0, 1, 30)
    res = mixed_fit(y, X, [])
    r = satterthwaite(y, X, [], res, np.array([0.0, 1.0, 0.0]))
    assert r.df.tolist() == [27.0] and r.n_parameters == 1
