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


# --- the core (MME, reml, henderson and their helpers): docs/mutation/mixed_core.md ------------------------------
# A small crossed design (84 rows: 5 workers, 4 interviewers and a fifth without interviews, 42 recipients with 1, 2
# or 3 interviews each) checked
# against the dense textbook formulas computed here with numpy (never the module's own code): Henderson's
# coefficient matrix ``C`` and its inverse, ``V = sigma2 W^-1 + Z G Z'``, the profiled REML criterion
# ``(n - p) log(y'Py / (n - p)) + log|H| + log|X'H^-1 X|`` (``H = V / sigma2``; equal to the module's
# ``(n - p) log(Q / (n - p)) + sum_k q_k rho_k + log|C|`` with no constant: ``|H| = |Z'Z + L| / |L|`` and
# ``|C| = |Z'Z + L| |X'H^-1 X|``) and its numerical derivative; statsmodels ``MixedLM`` REML estimates.


def _core_design(seed=11):
    rng = np.random.default_rng(seed)
    r = np.repeat(np.arange(42), np.tile([1, 2, 3], 14))
    n = len(r)
    wk, iv = rng.integers(0, 5, n), rng.integers(0, 4, n)
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    y = (1 + 0.5 * x + rng.normal(0, 0.9, 5)[wk] + rng.normal(0, 0.7, 4)[iv] + rng.normal(0, 0.8, 42)[r]
         + rng.normal(0, 0.6, n))
    w = rng.uniform(0.5, 2.0, n)
    return y, X, [(wk, 5), (iv, 5), (r, 42)], w  # interviewer 4: no interview


@pytest.fixture(scope="module")
def core():
    y, X, codes, w = _core_design()
    Zd = [np.eye(k)[c] for c, k in codes]  # dense indicators, built by hand
    return y, X, codes, Zd, w


def _dense_criterion(y, X, Zd, rho, w=None):
    """Profiled ``-2 l_R`` by the dense formula on the rows rescaled by ``sqrt(w)`` (Harville, 1977)."""
    r = np.ones(len(y)) if w is None else np.sqrt(w)
    y, X, Z = y * r, X * r[:, None], np.hstack(Zd) * r[:, None]
    G = np.diag(np.concatenate([np.full(z.shape[1], np.exp(v)) for z, v in zip(Zd, rho, strict=True)]))
    H = np.eye(len(y)) + Z @ G @ Z.T
    Hi = np.linalg.inv(H)
    A = X.T @ Hi @ X
    P = Hi - Hi @ X @ np.linalg.inv(A) @ X.T @ Hi
    n_p = len(y) - X.shape[1]
    return n_p * np.log(y @ P @ y / n_p) + np.linalg.slogdet(H)[1] + np.linalg.slogdet(A)[1]


def _dense_mme(y, X, Zd, variances, sigma2, w=None):
    """Henderson's full ``C``, its right-hand side, solution and inverse (dense, every factor kept)."""
    W = np.ones(len(y)) if w is None else w
    M = np.hstack([X, *Zd])
    C = M.T @ (M * W[:, None])
    lam = np.concatenate([np.zeros(X.shape[1])] + [np.full(z.shape[1], sigma2 / v) for z, v in zip(Zd, variances,
                                                                                                     strict=True)])
    C += np.diag(lam)
    rhs = M.T @ (W * y)
    return C, rhs, np.linalg.solve(C, rhs), np.linalg.inv(C)


RHOS = ([0.1, -1.0, 0.3], [-2.0, 0.5, -0.7])


@pytest.mark.parametrize("absorb", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_core_criterion_and_gradient_are_the_dense_formula(core, absorb, weighted):
    """``MME.criterion`` equals the dense profiled REML criterion exactly (no constant), absorbed or not, weighted
    or not; the analytic gradient equals its central numerical derivative."""
    from helpers.stats.mixed import MME

    y, X, codes, Zd, w = core
    w = w if weighted else None
    mme = MME(y, X, [indicator(c, k) for c, k in codes], absorb=absorb, weights=w)
    for rho in map(np.array, RHOS):
        ref = _dense_criterion(y, X, Zd, rho, w)
        assert mme.criterion(rho) == pytest.approx(ref, rel=1e-10)
        f, g = mme.criterion_and_gradient(rho)
        assert f == pytest.approx(ref, rel=1e-10)
        h = 1e-5
        num = [(_dense_criterion(y, X, Zd, rho + e, w) - _dense_criterion(y, X, Zd, rho - e, w)) / (2 * h)
               for e in h * np.eye(3)]
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-6)
    small = MME(y / 20, X, mme_zs(codes), absorb=absorb, weights=w)  # Q below 1: still a criterion
    rho = np.array(RHOS[0])
    ref = _dense_criterion(y / 20, X, Zd, rho, w)
    assert ref == pytest.approx(_dense_criterion(y, X, Zd, rho, w) - 82 * np.log(400), rel=1e-12)
    assert small.criterion(rho) == pytest.approx(ref, rel=1e-10)
    assert small.criterion_and_gradient(rho)[0] == pytest.approx(ref, rel=1e-10)


def mme_zs(codes):
    return [indicator(c, k) for c, k in codes]


def _schur(C, rhs, m):
    """The last ``m`` unknowns of ``C x = rhs`` eliminated (dense): ``S``, its right-hand side, ``a_r' C_rr^-1 a_r``
    and ``log|C_rr|``."""
    k = C.shape[0] - m
    Crr_inv = np.linalg.inv(C[k:, k:])
    S = C[:k, :k] - C[:k, k:] @ Crr_inv @ C[k:, :k]
    return S, rhs[:k] - C[:k, k:] @ Crr_inv @ rhs[k:], rhs[k:] @ Crr_inv @ rhs[k:], np.linalg.slogdet(C[k:, k:])[1]


#: (MME.GROUP_LIMIT, MME.SPARSE_GROUP_LIMIT, the groups' blocks): the four ways of summing the absorbed factor
GROUPINGS = {"dense": (4_000_000, 60_000_000, "dense"),
             "dense blocks, sparse B": (450, 60_000_000, "dense"),  # 3 x 12^2 <= 450 < 12 x 42
             "sparse blocks": (0, 60_000_000, "sparse"),
             "no groups": (0, 0, None),
             "too many non-zeros": (0, 5, None)}


#: every grouping unweighted and weighted, but dense blocks with a sparse B weighted: weighted counts are all
#: distinct (42 groups of one recipient), so that path is not reached (a case left out, not a skipped test)
SCHUR_CASES = [(g, w) for g in GROUPINGS for w in (False, True) if not (g == "dense blocks, sparse B" and w)]


@pytest.mark.parametrize("grouping,weighted", SCHUR_CASES)
def test_core_absorbed_system_is_the_dense_schur_complement(core, monkeypatch, grouping, weighted):
    """Every way of summing the absorbed recipients gives the dense Schur complement of Henderson's ``C``
    (weighted: ``C = M'WM + L``), its right-hand side, the absorbed part of ``Q`` and ``log|C_rr|``; the
    criterion and its gradient equal the dense formula and its numerical derivative."""
    from helpers.stats.mixed import MME

    limit, sparse_limit, blocks = GROUPINGS[grouping]
    monkeypatch.setattr(MME, "GROUP_LIMIT", limit)
    monkeypatch.setattr(MME, "SPARSE_GROUP_LIMIT", sparse_limit)
    y, X, codes, Zd, w = core
    w = w if weighted else None
    mme = MME(y, X, [indicator(c, k) for c, k in codes], absorb=True, weights=w)
    if blocks is None:
        assert mme.groups is None
    else:
        assert (mme.groups["G"] is not None) == (blocks == "dense")
        assert len(mme.groups["n"]) == (42 if weighted else 3)
        np.testing.assert_allclose(mme.groups["size"].sum(), 42)
    variances, sigma2 = [0.5, 0.3, 0.8], 0.4
    C, rhs, _, _ = _dense_mme(y, X, Zd, variances, sigma2, w)
    lam = sigma2 / np.array(variances)
    for got, ref in zip(mme.system(lam), _schur(C, rhs, 42), strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)
    rho = np.array(RHOS[1])
    f, g = mme.criterion_and_gradient(rho)
    assert f == pytest.approx(_dense_criterion(y, X, Zd, rho, w), rel=1e-10)
    assert mme.criterion(rho) == pytest.approx(f, rel=1e-12)
    num = [(_dense_criterion(y, X, Zd, rho + e, w) - _dense_criterion(y, X, Zd, rho - e, w)) / 2e-5
           for e in 1e-5 * np.eye(3)]
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_core_solve_is_the_dense_henderson_solution(core, weighted):
    """``MME.solve``: BLUE, BLUPs and ``C^-1`` are those of the dense equations ``C [b; u] = M'W y``; absorbed,
    ``S^-1`` is the leading block of ``C^-1`` and ``absorbed_blup`` the recipients' part of the solution."""
    from helpers.stats.mixed import MME

    y, X, codes, Zd, w = core
    w = w if weighted else None
    Zs = [indicator(c, k) for c, k in codes]
    variances, sigma2 = [0.5, 0.3, 0.8], 0.4
    _, _, sol, Cinv = _dense_mme(y, X, Zd, variances, sigma2, w)
    b, u, Ci = MME(y, X, Zs, weights=w).solve(variances, sigma2)  # by default nothing is absorbed
    np.testing.assert_allclose(b, sol[:2], rtol=1e-9)
    np.testing.assert_allclose(u, sol[2:], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(Ci, Cinv, rtol=1e-9, atol=1e-12)
    mme = MME(y, X, Zs, absorb=True, weights=w)
    b, u, Ci = mme.solve(variances, sigma2)
    np.testing.assert_allclose(b, sol[:2], rtol=1e-9)
    np.testing.assert_allclose(u, sol[2:12], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(Ci, Cinv[:12, :12], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mme.absorbed_blup(variances, sigma2, np.concatenate([b, u])), sol[12:], rtol=1e-9,
                               atol=1e-12)
    _, _, sol1, _ = _dense_mme(y, X, Zd[:1], variances[:1], sigma2, w)
    one = MME(y, X, Zs[:1], absorb=True, weights=w)  # a single factor is absorbed too: only b is solved for
    b, u, Ci = one.solve(variances[:1], sigma2)
    assert u.shape == (0,) and Ci.shape == (2, 2)
    np.testing.assert_allclose(b, sol1[:2], rtol=1e-9)
    np.testing.assert_allclose(one.absorbed_blup(variances[:1], sigma2, b), sol1[2:], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("absorb", [False, True])
def test_core_henderson_standard_errors_are_the_dense_prediction_error_variances(core, absorb):
    """``henderson``: BLUE, worker BLUPs, ``se_adjusted = sqrt(PEV(x'b + u_w))`` by the dense formula
    ``D = G - G Z'PZG``, ``B = -A X'V^-1 Z G`` (Henderson, 1975) and ``se_effect = sqrt(D)``; with no worker the
    standard error of ``x'b`` and NaN."""
    from helpers.stats.mixed import henderson

    y, X, codes, Zd, _ = core
    variances, sigma2 = [0.5, 0.3, 0.8], 0.4
    Z = np.hstack(Zd)
    G = np.diag(np.concatenate([np.full(z.shape[1], v) for z, v in zip(Zd, variances, strict=True)]))
    Vi = np.linalg.inv(Z @ G @ Z.T + sigma2 * np.eye(len(y)))
    A = np.linalg.inv(X.T @ Vi @ X)
    P = Vi - Vi @ X @ A @ X.T @ Vi
    D = np.diag(G - G @ Z.T @ P @ Z @ G)[:5]
    B = (-A @ X.T @ Vi @ Z @ G)[:, :5]
    beta_ref = A @ X.T @ Vi @ y
    x = np.array([1.0, 0.3])
    Zs = [indicator(c, k) for c, k in codes]
    beta, u, se_adj, se_eff = henderson(y, X, Zs, variances, sigma2, x, 5, absorb=absorb)
    np.testing.assert_allclose(beta, beta_ref, rtol=1e-9)
    np.testing.assert_allclose(u[:5], G[:5, :5] @ Zd[0].T @ P @ y, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(se_adj, np.sqrt(x @ A @ x + 2 * x @ B + D), rtol=1e-8)
    np.testing.assert_allclose(se_eff, np.sqrt(D), rtol=1e-8)
    _, u1, se1, _ = henderson(y, X, Zs[:1], [0.5], sigma2, x, 5)  # one factor: nothing to absorb by default
    Vi1 = np.linalg.inv(0.5 * Zd[0] @ Zd[0].T + sigma2 * np.eye(len(y)))
    A1 = np.linalg.inv(X.T @ Vi1 @ X)
    P1 = Vi1 - Vi1 @ X @ A1 @ X.T @ Vi1
    D1 = 0.5 - 0.25 * np.diag(Zd[0].T @ P1 @ Zd[0])
    np.testing.assert_allclose(u1, 0.5 * Zd[0].T @ P1 @ y, rtol=1e-8)
    np.testing.assert_allclose(se1, np.sqrt(x @ A1 @ x - 2 * 0.5 * x @ A1 @ X.T @ Vi1 @ Zd[0] + D1), rtol=1e-8)
    beta0, _, se0, nan = henderson(y, X, Zs, variances, sigma2, x, 0, absorb=absorb)
    np.testing.assert_allclose(beta0, beta_ref, rtol=1e-9)
    assert se0 == pytest.approx(np.sqrt(x @ A @ x), rel=1e-8) and np.isnan(nan)


def test_core_criterion_without_random_factors_and_where_it_is_undefined(core):
    """No random factor: ``(n - p) log(RSS / (n - p)) + log|X'X|``. A singular ``X'X`` (a repeated column) or a
    ``y`` with nothing left to explain (``Q = 0``) has no criterion: ``inf`` and a zero gradient."""
    from helpers.stats.mixed import MME

    y, X, codes, _, _ = core
    n = len(y)
    rss = y @ y - y @ X @ np.linalg.solve(X.T @ X, X.T @ y)
    none = MME(y, X, [], absorb=True)
    assert not none.absorb
    assert none.criterion(np.array([])) == pytest.approx((n - 2) * np.log(rss / (n - 2))
                                                         + np.linalg.slogdet(X.T @ X)[1], rel=1e-12)
    Zs = [indicator(c, k) for c, k in codes]
    for yy, XX in ((y, np.column_stack([X[:, 0], X[:, 0]])), (np.zeros(n), X)):
        for absorb in (False, True):
            mme = MME(yy, XX, Zs, absorb=absorb)
            assert mme.criterion(np.zeros(3)) == np.inf
            f, g = mme.criterion_and_gradient(np.zeros(3))
            assert f == np.inf and g.shape == (3,) and not g.any()


#: statsmodels 0.14 ``MixedLM.from_formula("y ~ x", groups=1, re_formula="0", vc_formula={worker, interviewer,
#: recipient}).fit(reml=True)`` on ``_core_design()`` (written to a frame and fitted once): residual variance and the
#: three variance components
SM_SIGMA2 = 0.27451459147528157
SM_VC = [0.19939400504825994, 0.034215590635308324, 0.32579744285418355]


def _check_reml(res, y, X, Zd, w=None, rtol=1e-4):
    sigma2, s2, ok, crit = res
    assert ok
    assert sigma2 == pytest.approx(SM_SIGMA2, rel=rtol)
    np.testing.assert_allclose(s2, SM_VC, rtol=rtol)
    assert crit == pytest.approx(_dense_criterion(y, X, Zd, np.log(s2 / sigma2), w), rel=1e-8)


@pytest.mark.parametrize("absorb", [False, True])
def test_core_reml_matches_statsmodels(core, absorb):
    """``reml`` (exact-gradient L-BFGS-B) reaches statsmodels' REML estimates; ``-2 l_R`` is the dense criterion at
    them and ``sigma2 = Q / (n - p)`` there (the profiled optimum)."""
    from helpers.stats.mixed import reml

    y, X, codes, Zd, _ = core
    _check_reml(reml(y, X, [indicator(c, k) for c, k in codes], absorb=absorb), y, X, Zd)


def test_core_reml_with_unit_weights_is_unweighted(core):
    """Weights of 1 are no weights; weights ``c`` for every row scale ``sigma2`` by ``1 / c`` and leave the ratios."""
    from helpers.stats.mixed import reml

    y, X, codes, Zd, _ = core
    Zs = [indicator(c, k) for c, k in codes]
    _check_reml(reml(y, X, Zs, absorb=True, weights=np.ones(len(y))), y, X, Zd)
    sigma2, s2, ok, _ = reml(y, X, Zs, absorb=True, weights=np.full(len(y), 4.0))
    assert ok and sigma2 == pytest.approx(4 * SM_SIGMA2, rel=1e-4)
    np.testing.assert_allclose(s2, SM_VC, rtol=1e-4)


def test_core_reml_weighted_is_the_minimum_of_the_dense_criterion(core):
    """Weighted REML (``Var(e_i) = sigma2 / w_i``): a zero numerical gradient of the dense weighted criterion at the
    estimates, and ``sigma2 = y'Py / (n - p)`` on the rescaled rows there."""
    from helpers.stats.mixed import reml

    y, X, codes, Zd, w = core
    sigma2, s2, ok, crit = reml(y, X, [indicator(c, k) for c, k in codes], absorb=True, weights=w)
    rho = np.log(s2 / sigma2)
    assert ok and crit == pytest.approx(_dense_criterion(y, X, Zd, rho, w), rel=1e-10)
    num = [(_dense_criterion(y, X, Zd, rho + e, w) - _dense_criterion(y, X, Zd, rho - e, w)) / 2e-5
           for e in 1e-5 * np.eye(3)]
    np.testing.assert_allclose(num, 0, atol=1e-4)
    r = np.sqrt(w)
    ys, Xs, Z = y * r, X * r[:, None], np.hstack(Zd) * r[:, None]
    G = np.diag(np.concatenate([np.full(z.shape[1], v) for z, v in zip(Zd, s2 / sigma2, strict=True)]))
    Hi = np.linalg.inv(np.eye(len(y)) + Z @ G @ Z.T)
    P = Hi - Hi @ Xs @ np.linalg.inv(Xs.T @ Hi @ Xs) @ Xs.T @ Hi
    assert sigma2 == pytest.approx(ys @ P @ ys / (len(y) - 2), rel=1e-10)
    unweighted = reml(y, X, [indicator(c, k) for c, k in codes], absorb=True)[0]
    assert abs(sigma2 - unweighted) > 1e-3


def test_core_reml_by_nelder_mead_and_by_the_fallbacks(core, monkeypatch):
    """The second search (``optimizer="nelder-mead"``), and the fallbacks taken when the gradient search fails
    (Nelder-Mead from -1.5; with a warm start, L-BFGS-B from it), reach statsmodels' estimates; a warm start at
    the optimum stays there; an unknown optimizer is refused."""
    from helpers.stats import mixed

    y, X, codes, Zd, _ = core
    Zs = [indicator(c, k) for c, k in codes]
    _check_reml(mixed.reml(y, X, Zs, absorb=True, optimizer="nelder-mead"), y, X, Zd)
    start = np.log(np.array(SM_VC) / SM_SIGMA2)
    _check_reml(mixed.reml(y, X, Zs, absorb=True, start=start), y, X, Zd)
    with pytest.raises(ValueError, match="^optimizer must be 'gradient' or 'nelder-mead'$"):
        mixed.reml(y, X, Zs, optimizer="newton")
    monkeypatch.setattr(mixed.MME, "criterion_and_gradient", lambda self, rho: (np.inf, np.zeros(len(rho))))
    _check_reml(mixed.reml(y, X, Zs, absorb=True), y, X, Zd)
    _check_reml(mixed.reml(y, X, Zs, absorb=True, start=start + 0.3), y, X, Zd)


@pytest.mark.parametrize("search", ["gradient", "fallback"])
def test_core_reml_puts_a_flat_factor_at_exactly_zero(monkeypatch, search):
    """A factor whose level means are all equal: REML variance 0 at the lower bound (set to exactly 0), the other
    factor at the one-way ANOVA estimator (balanced: ``sigma2 = MSW``, ``s2 = (MSB - MSW) / n``; Searle, Casella &
    McCulloch, 1992, 4.7) - the flat factor is orthogonal to the groups; also by the Nelder-Mead fallback."""
    from helpers.stats import mixed
    from helpers.stats.mixed import reml

    if search == "fallback":
        monkeypatch.setattr(mixed.MME, "criterion_and_gradient", lambda self, rho: (np.inf, np.zeros(len(rho))))

    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(12), 6)
    h = np.tile(np.arange(6), 12)
    y = rng.normal(0, 1.5, 12)[g] + rng.normal(0, 1, len(g))
    y -= np.bincount(h, y)[h] / 12 - y.mean()  # every level mean of h equal, group means unchanged
    m = np.bincount(g, y) / 6
    msw = ((y - m[g]) ** 2).sum() / (72 - 12)
    msb = 6 * ((m - y.mean()) ** 2).sum() / 11
    sigma2, s2, ok, _ = reml(y, np.ones((72, 1)), [indicator(g, 12), indicator(h, 6)])
    assert ok and s2[1] == 0.0 and sigma2 == pytest.approx(msw, rel=1e-6)
    assert s2[0] == pytest.approx((msb - msw) / 6, rel=1e-5)


def test_core_projected_gradient_by_hand():
    """Components pushing against their bound do not count (``x`` at the lower bound with a positive gradient, at
    the upper bound with a negative one); those at a bound pointing inside, and every interior one, do."""
    from helpers.stats.mixed import _projected_gradient

    box = [(-15.0, 8.0)] * 3
    assert _projected_gradient(np.array([-15.0, 0.0, 8.0]), np.array([3.0, -0.5, -2.0]), box) == 0.5
    assert _projected_gradient(np.array([-15.0, 0.0, 8.0]), np.array([-3.0, 0.5, 2.0]), box) == 3.0
    assert _projected_gradient(np.array([-16.0, 9.0, 1.0]), np.array([1.0, -1.0, -0.25]), box) == 0.25
    assert _projected_gradient(np.array([8.0, 8.0, -15.0]), np.array([0.5, -0.75, -0.25]), box) == 0.5
    assert _projected_gradient(np.array([-15.0, 8.0]), np.array([2, -7]), [(-15, 8)] * 2) == 0.0


def test_core_cho_inverse_is_the_inverse():
    """``S^-1`` from the lower Cholesky factor equals ``numpy.linalg.inv`` (full, symmetric); a factor with a zero
    on its diagonal (a singular ``S``) raises."""
    from helpers.stats.mixed import _cho_inverse

    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5))
    S = A @ A.T + np.diag([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(_cho_inverse(np.linalg.cholesky(S)), np.linalg.inv(S), rtol=1e-10, atol=1e-12)
    L = np.linalg.cholesky(S)
    L[2, 2] = 0.0
    with pytest.raises(np.linalg.LinAlgError, match="potri"):
        _cho_inverse(L)


def test_core_indicator_by_hand():
    """One row per observation, a 1 in the column of its level; a level without observations is an empty column."""
    Z = indicator(np.array([0, 2, 1, 2]), 4)
    assert Z.shape == (4, 4)
    np.testing.assert_array_equal(Z.toarray(), [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0]])


def test_core_absorbed_blocks_are_dense_exactly_up_to_the_memory_limit(core, monkeypatch):
    """``G_g`` is kept dense when ``groups x dim^2`` floats fit ``GROUP_LIMIT`` (3 groups x 12^2 = 432 here), else
    sparse; ``SPARSE_GROUP_LIMIT`` bounds only the sparse blocks (at 0 dense blocks are still kept)."""
    from helpers.stats.mixed import MME

    y, X, codes, _, _ = core
    Zs = [indicator(c, k) for c, k in codes]
    for limit, dense in ((432, True), (431, False), (100, False)):
        monkeypatch.setattr(MME, "GROUP_LIMIT", limit)
        assert (MME(y, X, Zs, absorb=True).groups["G"] is not None) == dense
    monkeypatch.setattr(MME, "GROUP_LIMIT", 432)
    monkeypatch.setattr(MME, "SPARSE_GROUP_LIMIT", 0)
    assert MME(y, X, Zs, absorb=True).groups["G"] is not None


@pytest.mark.filterwarnings("error::scipy.optimize.OptimizeWarning")  # a misspelt solver option warns
def test_core_reml_accepts_a_stopped_line_search_only_near_a_stationary_point(core, monkeypatch):
    """The rule of ``reml``'s docstring, with the real optimizer's answers reported as "line search stopped":
    accepted when no projected gradient component exceeds 1e-4 (one gradient run, no Nelder-Mead); otherwise
    restarted once from there, then the Nelder-Mead search and its polish (or, with a warm start, L-BFGS-B from it)
    - each time at statsmodels' estimates. Every solver knows every option it is given (scipy warns otherwise)."""
    from scipy import optimize

    from helpers.stats.mixed import reml

    y, X, codes, Zd, _ = core
    Zs = mme_zs(codes)
    real, calls = optimize.minimize, []

    def stopped(jac):
        def minimize(fun, x0, **kw):
            res = real(fun, x0, **kw)
            # the method scipy runs: no name is L-BFGS-B with bounds, else BFGS; names in any case
            method = kw.get("method") or ("L-BFGS-B" if kw.get("bounds") is not None else "BFGS")
            calls.append((method.upper(), kw.get("jac") is True))
            if kw.get("jac") is True:
                res.success, res.jac = False, np.asarray(jac, dtype=float)
            return res
        return minimize

    monkeypatch.setattr(optimize, "minimize", stopped([1e-4, -1e-4, 0.0]))
    _check_reml(reml(y, X, Zs, absorb=True), y, X, Zd)
    assert calls == [("L-BFGS-B", True)]
    calls.clear()
    monkeypatch.setattr(optimize, "minimize", stopped([0.0, 0.5, 0.0]))
    _check_reml(reml(y, X, Zs, absorb=True), y, X, Zd)
    assert calls == [("L-BFGS-B", True)] * 2 + [("NELDER-MEAD", False), ("L-BFGS-B", False)]
    calls.clear()
    _check_reml(reml(y, X, Zs, absorb=True, start=np.array([-0.3, -2.1, 0.2])), y, X, Zd)
    assert calls == [("L-BFGS-B", True)] * 2 + [("L-BFGS-B", False)]


@pytest.mark.parametrize("search", ["gradient", "fallback"])
def test_core_reml_stops_at_the_upper_bound_of_rho(monkeypatch, search):
    """A variance ratio beyond ``exp(8)`` (group sd 300, residual sd 1): ``rho`` stops at its bound 8, ``sigma2`` is
    the profiled ``y'Py / (n - p)`` there (dense, ``H = I + exp(8) ZZ'``), ``s2 = exp(8) sigma2`` and ``-2 l_R`` is
    the criterion there - also when the gradient search fails and the (unbounded) Nelder-Mead search takes over
    (it stops at ``rho = 11.7``, outside the box: its criterion there is not that of the estimates returned)."""
    from helpers.stats import mixed
    from helpers.stats.mixed import reml

    if search == "fallback":
        monkeypatch.setattr(mixed.MME, "criterion_and_gradient", lambda self, rho: (np.inf, np.zeros(len(rho))))
    rng = np.random.default_rng(8)
    g = np.repeat(np.arange(10), 4)
    y = rng.normal(0, 300, 10)[g] + rng.normal(0, 1, 40)
    X = np.ones((40, 1))
    sigma2, s2, ok, crit = reml(y, X, [indicator(g, 10)])
    Z = np.eye(10)[g]
    Hi = np.linalg.inv(np.eye(40) + np.exp(8) * Z @ Z.T)
    P = Hi - Hi @ X @ np.linalg.inv(X.T @ Hi @ X) @ X.T @ Hi
    assert ok and sigma2 == pytest.approx(y @ P @ y / 39, rel=1e-9)
    assert s2[0] == pytest.approx(np.exp(8) * sigma2, rel=1e-12)
    assert crit == pytest.approx(_dense_criterion(y, X, [Z], np.array([8.0])), rel=1e-10)


def test_core_absorbed_sparse_blocks_are_kept_exactly_up_to_their_limit(core, monkeypatch):
    """``SPARSE_GROUP_LIMIT`` bounds the non-zeros of all the sparse blocks together: counted by hand from the dense
    ``B = M'R`` (``M = [X, Z_worker, Z_interviewer]``, ``R`` the recipients), ``G_g = B_g B_g'`` per distinct count,
    the blocks are kept at a limit equal to that total and dropped one below it."""
    from helpers.stats.mixed import MME

    y, X, codes, Zd, _ = core
    B = np.hstack([X, Zd[0], Zd[1]]).T @ Zd[2]
    counts = Zd[2].sum(axis=0)
    total = sum(np.count_nonzero(B[:, counts == c] @ B[:, counts == c].T) for c in np.unique(counts))
    monkeypatch.setattr(MME, "GROUP_LIMIT", 0)
    for limit, kept in ((total, True), (total - 1, False)):
        monkeypatch.setattr(MME, "SPARSE_GROUP_LIMIT", limit)
        mme = MME(y, X, mme_zs(codes), absorb=True)
        assert (mme.groups is not None) == kept


def test_core_criterion_is_infinite_not_an_error_far_outside_the_box(core):
    """The Nelder-Mead fallback searches without bounds: a ratio ``exp(-rho)`` that overflows (``rho = -1000``) makes
    ``C`` infinite, and the criterion is then ``inf`` (a point to move away from), not an exception."""
    from helpers.stats.mixed import MME

    y, X, codes, _, _ = core
    for absorb in (False, True):
        mme = MME(y, X, mme_zs(codes), absorb=absorb)
        for rho in ([-1000.0, 0.0, 0.0], [0.0, 0.0, -1000.0]):
            with np.errstate(over="ignore", invalid="ignore"):
                assert mme.criterion(np.array(rho)) == np.inf
                assert mme.criterion_and_gradient(np.array(rho))[0] == np.inf
