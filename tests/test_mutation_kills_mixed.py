"""Tests written to kill surviving mutants of ``stats/mixed.py``'s door (docs/mutation/mixed.md).

Second implementations: the dense textbook formulas of Henderson (1975) (``V``, ``P``, ``C^-1``) for every
factor; statsmodels ``WLS`` for a model without random factors; R ``lme4::lmer(weights = )`` for a weighted fit.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from helpers.stats.mixed import fit, indicator


@pytest.fixture(scope="module")
def door():
    from test_mixed_door import crossed

    d = crossed(seed=4, n=120)
    w, wc = np.unique(d["worker_id"], return_inverse=True)
    i, ic = np.unique(d["interviewer_id"], return_inverse=True)
    X = np.column_stack([np.ones(len(d)), d["role"] == "social_worker", d["mode"] == "phone"]).astype(float)
    y = d["composite"].to_numpy() / 100  # on the 0-1 scale every PEV is below 1
    res = fit(y, X, [("worker", wc, len(w)), ("interviewer", ic, len(i))])
    return y, X, (wc, len(w)), (ic, len(i)), res


def test_mixed_door_pev_of_the_last_factor_is_the_dense_formula(door):
    """Without a recipient factor nothing is absorbed: the last factor (the interviewer) has its PEV and its
    PEV(x'b + u) too, by the dense formulas ``D = G - G Z'PZG``, ``B = -A X'V^-1 Z G`` (Henderson, 1975), all below
    1 on this scale; ``rho`` is ``log(s2_k / sigma2)``."""
    y, X, (wc, nw), (ic, ni), res = door
    Z = np.hstack([indicator(wc, nw).toarray(), indicator(ic, ni).toarray()])
    G = np.diag([res.variances["worker"]] * nw + [res.variances["interviewer"]] * ni)
    Vi = np.linalg.inv(Z @ G @ Z.T + res.sigma2 * np.eye(len(y)))
    A = np.linalg.inv(X.T @ Vi @ X)
    P = Vi - Vi @ X @ A @ X.T @ Vi
    D = np.diag(G - G @ Z.T @ P @ Z @ G)
    B = -A @ X.T @ Vi @ Z @ G
    x = np.array([1.0, 1.0, 0.0])
    assert res.kept == ("worker", "interviewer") and set(res.pev) == {"worker", "interviewer"}
    np.testing.assert_allclose(res.pev["interviewer"], D[nw:], rtol=1e-6)
    expected = x @ A @ x + D[nw:] + 2 * (x @ B)[nw:]
    assert expected.max() < 1
    np.testing.assert_allclose(res.x_pev(x, "interviewer"), expected, rtol=1e-6)
    np.testing.assert_allclose(res.x_pev(x, "worker"), x @ A @ x + D[:nw] + 2 * (x @ B)[:nw], rtol=1e-6)
    np.testing.assert_allclose(res.rho, np.log([res.variances["worker"] / res.sigma2,
                                                res.variances["interviewer"] / res.sigma2]), rtol=1e-9)


def test_mixed_door_x_pev_of_a_dropped_factor_is_that_of_x_b():
    """A factor dropped at the boundary: PEV(x'b + u) is the variance of x'b for each of its levels."""
    rng = np.random.default_rng(7)
    g = np.repeat(np.arange(20), 6)
    h = rng.integers(0, 5, len(g))
    y = rng.normal(0, 2, 20)[g] + rng.normal(0, 1, len(g))
    res = fit(y, np.ones((len(g), 1)), [("group", g, 20), ("flat", h, 5)])
    assert res.kept == ("group",)
    flat = res.x_pev(np.ones(1), "flat")
    assert flat.shape == (5,)
    np.testing.assert_allclose(flat, np.full(5, res.cov_beta[0, 0]))


def test_mixed_door_without_random_factors_is_weighted_least_squares():
    """No factor: the door is WLS (statsmodels): coefficients, their covariance and the residual variance;
    converged, nothing kept, no note."""
    rng = np.random.default_rng(3)
    n = 60
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    w = rng.uniform(0.5, 2.0, n)
    y = X @ [1.0, 0.5, -0.3] + rng.normal(0, 1, n) / np.sqrt(w)
    ref = sm.WLS(y, X, weights=w).fit()
    res = fit(y, X, [], weights=w)
    np.testing.assert_allclose(res.beta, ref.params, rtol=1e-10)
    np.testing.assert_allclose(res.cov_beta, ref.cov_params(), rtol=1e-8)
    assert res.sigma2 == pytest.approx(ref.scale, rel=1e-10)
    np.testing.assert_allclose(res.residuals, y - X @ ref.params, atol=1e-10)
    assert res.converged and res.kept == () and res.notes == () and res.variances == {} and res.blups == {}
    plain = fit(y, X, [])
    np.testing.assert_allclose(plain.beta, sm.OLS(y, X).fit().params, rtol=1e-10)


#: R 4 lme4 1.1 ``lmer(y ~ x + (1 | g), weights = w, REML = TRUE)`` on the data of ``_weighted_design`` (written
#: to CSV and read by R): fixed effects, variances (group, residual sigma2 at weight 1), SEs, BLUPs
LMER_FIXEF = [0.850221137673, 0.387703836921]
LMER_VAR = (0.245170891847, 0.821102067130)
LMER_SE = [0.1498972612029, 0.0839523528868]
LMER_BLUP = [-0.0886991928395, 0.3167872049861, 0.2636812137058, -0.0595806116792, 0.1354633487562,
             -0.5376042222076, 0.5020326989855, -0.0407797521753, -0.3250683392106, -0.5178977071964,
             -0.4265172499417, 0.6969791612821, 0.5313906172837, -0.6274705176302, 0.1772833478810]


def _weighted_design():
    rng = np.random.default_rng(21)
    g = np.repeat(np.arange(15), 8)
    x = rng.normal(size=len(g))
    w = rng.choice([0.5, 1.0, 2.0], len(g))
    y = 1.0 + 0.4 * x + rng.normal(0, 0.8, 15)[g] + rng.normal(0, 1, len(g)) / np.sqrt(w)
    return y, np.column_stack([np.ones(len(g)), x]), g, w


def test_mixed_door_weighted_fit_matches_lme4():
    """``weights`` (residual variance ``sigma2 / w_i``) through the door: R lme4's weighted REML fit - variances,
    fixed effects, their SEs and the BLUPs (the unweighted fit is another answer)."""
    y, X, g, w = _weighted_design()
    res = fit(y, X, [("g", g, 15)], weights=w)
    assert (res.variances["g"], res.sigma2) == pytest.approx(LMER_VAR, rel=1e-4)
    np.testing.assert_allclose(res.beta, LMER_FIXEF, atol=1e-5)
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov_beta)), LMER_SE, rtol=1e-4)
    np.testing.assert_allclose(res.blups["g"], LMER_BLUP, atol=1e-5)
    np.testing.assert_allclose(res.residuals, y - X @ LMER_FIXEF - np.asarray(LMER_BLUP)[g], atol=1e-5)
    assert np.isfinite(res.reml_criterion) and res.converged and res.notes == ()
    assert abs(fit(y, X, [("g", g, 15)]).sigma2 - LMER_VAR[1]) > 0.01


def test_mixed_door_every_factor_at_zero_falls_back_to_least_squares():
    """A factor whose level means are all equal has REML variance 0: dropped, and the fit is least squares with
    the REML residual variance ``RSS / (n - p)`` (statsmodels OLS), zero BLUPs, the note, ``rho`` at the bound."""
    rng = np.random.default_rng(2)
    h = np.tile(np.arange(6), 10)
    e = rng.normal(0, 1, len(h))
    y = 5.0 + e - (np.bincount(h, e) / 10)[h]  # every level mean exactly 5
    res = fit(y, np.ones((len(h), 1)), [("flat", h, 6)])
    ref = sm.OLS(y, np.ones((len(h), 1))).fit()
    assert res.kept == () and res.variances == {"flat": 0.0}
    assert res.notes == ("flat variance estimated at 0 (boundary)",)
    np.testing.assert_allclose(res.beta, ref.params, rtol=1e-12)
    assert res.sigma2 == pytest.approx(ref.scale, rel=1e-8)
    np.testing.assert_allclose(res.cov_beta, ref.cov_params(), rtol=1e-8)
    np.testing.assert_allclose(res.residuals, ref.resid, atol=1e-10)
    assert not res.blups["flat"].any() and res.blups["flat"].shape == (6,)
    np.testing.assert_allclose(res.x_pev(np.ones(1), "flat"), np.full(6, ref.cov_params()[0, 0]), rtol=1e-8)
    assert res.converged and np.isfinite(res.reml_criterion) and res.rho[0] < -600


def test_mixed_door_says_when_reml_did_not_converge(monkeypatch):
    """A REML search that does not report convergence is carried into the fit and named in its notes."""
    import helpers.stats.mixed as mixed

    real = mixed.reml
    monkeypatch.setattr(mixed, "reml", lambda *a, **k: (*real(*a, **k)[:2], False, real(*a, **k)[3]))
    y, X, g, w = _weighted_design()
    res = mixed.fit(y, X, [("g", g, 15)], weights=w)
    assert not res.converged and res.notes == ("REML did not report convergence",)
    assert res.variances["g"] == pytest.approx(LMER_VAR[0], rel=1e-4)
