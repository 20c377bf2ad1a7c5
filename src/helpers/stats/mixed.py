"""Linear mixed models with crossed random intercepts: Henderson's mixed-model equations and REML.

Pure statistics (no language, no plots). Hand-written because statsmodels ``MixedLM`` (variance-components
path), although correct, needs minutes for 1,000 workers x 200 interviewers (benchmarks/bench_scoring.py);
every estimate is cross-checked against statsmodels ``MixedLM`` in the tests.

- :func:`indicator` the sparse design matrix of one factor;
- :class:`MME` Henderson's equations, with the last factor optionally absorbed (Schur complement);
- :func:`reml` REML variance components (Harville 1977; Searle, Casella & McCulloch 1992, ch. 6);
- :func:`henderson` BLUE, BLUPs and prediction error variances (Henderson 1975).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["MME", "henderson", "indicator", "reml"]


def indicator(codes: np.ndarray, k: int) -> sparse.csr_array:
    n = len(codes)
    return sparse.csr_array((np.ones(n), (np.arange(n), codes)), shape=(n, k))


class MME:
    """Henderson's mixed-model equations of ``y = X b + sum_k Z_k u_k + e``, ``u_k ~ N(0, s2_k I)``.

    ``C(lambda) = [[X'X, X'Z], [Z'X, Z'Z + diag(lambda)]]``, ``lambda_k = sigma2 / s2_k``
    (Henderson, 1975, *Biometrics* 31:423). With ``absorb=True`` the **last** random factor (the
    recipient, one level per sampling unit and many levels) is absorbed: its block of ``C`` is
    diagonal (``Z_r'Z_r = diag(n_r)``, each interview belongs to one recipient), so it is
    eliminated by the Schur complement ``S = C_11 - C_1r diag(1 / (n_r + lambda_r)) C_r1``;
    ``log|C| = log|S| + sum_r log(n_r + lambda_r)``, ``S^-1`` is exactly the block of ``C^-1`` for
    the fixed effects and the other random factors, and the cost grows with the number of
    interviews only through one sparse product - never a dense matrix of side "number of
    recipients".
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, Zs: list, absorb: bool = False, weights: np.ndarray | None = None):
        self.n, self.p = X.shape
        self.absorb = bool(absorb and len(Zs) > 0)
        if weights is not None:  # Var(e_i) = sigma2 / w_i: rescale every row by sqrt(w_i)
            r = np.sqrt(np.asarray(weights, dtype=float))
            y, X = y * r, X * r[:, None]
            Zs = [sparse.diags_array(r) @ sparse.csr_array(z) for z in Zs]
        dense = Zs[:-1] if self.absorb else Zs
        self.sizes = [z.shape[1] for z in Zs]
        M = sparse.hstack([sparse.csr_array(X), *dense], format="csr") if dense else sparse.csr_array(X)
        self.C0 = (M.T @ M).toarray()
        self.a = np.asarray(M.T @ y).ravel()
        self.yty = float(y @ y)
        self.diag_idx = np.arange(self.p, M.shape[1])
        if self.absorb:
            R = sparse.csr_array(Zs[-1])
            self.B = sparse.csr_array(M.T @ R)
            self.counts = np.asarray(R.multiply(R).sum(axis=0)).ravel()  # diag(R'R) (weighted: sum of w)
            self.d = np.asarray(R.T @ y).ravel()

    def system(self, lam: np.ndarray):
        """(S, rhs, extra, logdet_D): the absorbed system for penalties ``lam`` (one per factor)."""
        sizes = self.sizes[:-1] if self.absorb else self.sizes
        S = self.C0.copy()
        if len(sizes):
            S[self.diag_idx, self.diag_idx] += np.concatenate([np.full(q, v) for q, v in zip(sizes, lam, strict=False)])
        rhs, extra, logdet_d = self.a, 0.0, 0.0
        if self.absorb:
            D = self.counts + lam[-1]
            Dinv = 1.0 / D
            S = S - (self.B @ sparse.diags_array(Dinv) @ self.B.T).toarray()
            rhs = self.a - self.B @ (self.d * Dinv)
            extra = float((self.d**2 * Dinv).sum())
            logdet_d = float(np.log(D).sum())
        return S, rhs, extra, logdet_d

    def criterion(self, rho: np.ndarray) -> float:
        """Profiled ``-2 l_R`` (up to a constant) at ``rho_k = log(s2_k / sigma2)``."""
        from scipy import linalg

        S, rhs, extra, logdet_d = self.system(np.exp(-np.asarray(rho)))
        try:
            factor = linalg.cho_factor(S, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return np.inf
        sol = linalg.cho_solve(factor, rhs, check_finite=False)
        Q = self.yty - sol @ rhs - extra
        if not Q > 0:
            return np.inf
        logdet = 2 * np.log(np.diag(factor[0])).sum() + logdet_d
        n_p = self.n - self.p
        return n_p * np.log(Q / n_p) + sum(q * r for q, r in zip(self.sizes, rho, strict=True)) + logdet

    def solve(self, variances, sigma2: float):
        """``(b, u, Cinv)``: BLUE, BLUPs of the non-absorbed random factors, and the block of ``C^-1`` for them."""
        lam = np.array([sigma2 / v for v in variances])
        S, rhs, _, _ = self.system(lam)
        Cinv = np.linalg.inv(S)
        sol = Cinv @ rhs
        return sol[: self.p], sol[self.p:], Cinv

    def absorbed_blup(self, variances, sigma2: float, sol: np.ndarray) -> np.ndarray:
        """BLUPs of the absorbed factor given the other solutions: ``(d - B' sol) / (n_r + lambda_r)``."""
        return (self.d - self.B.T @ sol) / (self.counts + sigma2 / variances[-1])


def henderson(y, X, Zs, variances, sigma2, x_ref, n_workers, absorb=False):
    """BLUE of beta, BLUP of the random effects and prediction error variances (Henderson, 1975).

    ``C [b; u] = [X'y; Z'y]``, ``Var([b - beta; u_hat - u]) = sigma2 C^-1``. The first random
    factor must be the worker. Returns ``(beta, u, se_adjusted, se_effect)`` with
    ``se_adjusted = sqrt(PEV(x_ref'b + u_w))`` and ``se_effect = sqrt(sigma2 [C^-1]_ww)``, the
    prediction error of the worker effect alone (the diagonal of the inverse coefficient matrix
    for the random effect). With ``absorb`` the last factor is absorbed (:class:`MME`).
    """
    beta, u, Cinv = MME(y, X, Zs, absorb).solve(variances, sigma2)
    p = X.shape[1]
    A, B = Cinv[:p, :p], Cinv[:p, p:p + n_workers]
    Dw = np.diag(Cinv)[p:p + n_workers]
    if n_workers == 0:  # only the standard error of the population mean x_ref'b
        return beta, u, float(np.sqrt(sigma2 * x_ref @ A @ x_ref)), np.nan
    pev = sigma2 * (x_ref @ A @ x_ref + 2 * (x_ref @ B) + Dw)
    return beta, u, np.sqrt(np.clip(pev, 0, None)), np.sqrt(np.clip(sigma2 * Dw, 0, None))


def reml(y: np.ndarray, X: np.ndarray, Zs: list, absorb: bool = False,
              weights: np.ndarray | None = None, start: np.ndarray | None = None) -> tuple[float, np.ndarray, bool, float]:
    """REML variance components of ``y = X b + sum_k Z_k u_k + e`` from Henderson's equations.

    Hand-written because statsmodels ``MixedLM`` (variance-components path), although correct,
    needs minutes for 1,000 workers x 200 interviewers (measured in benchmarks/bench_scoring.py);
    cross-checked against statsmodels in tests/test_scoring.py. With ``lambda_k = sigma2 / s2_k``,
    ``C = [[X'X, X'Z], [Z'X, Z'Z + diag(lambda)]]`` and ``Q = y'y - [b; u]'[X'y; Z'y]``, the
    profiled REML criterion is (Harville, 1977, *JASA* 72:320; Searle, Casella & McCulloch, 1992,
    *Variance Components*, ch. 6)
    ``-2 l_R = (n - p) log(Q / (n - p)) + sum_k q_k log(1 / lambda_k) + log|C| + const``,
    minimised over ``log(s2_k / sigma2)`` (Nelder-Mead from 0.22, then an L-BFGS-B polish); only cross-products
    enter, so the cost does not grow with the number of interviews. ``absorb=True``: the last
    factor (recipients: many levels, one per sampling unit) is absorbed (:class:`MME`), so a
    third variance component costs one sparse product per evaluation. ``weights``: residual
    variance ``sigma2 / w_i`` (known relative weights). Returns
    ``(sigma2, s2_k, converged, -2 l_R)``.
    """
    from scipy import optimize

    mme = MME(y, X, Zs, absorb, weights)
    k = len(Zs)
    bounds = [(-15.0, 8.0)] * k
    polish = None
    if start is not None:  # warm start (a refit of a similar model): quasi-Newton only, Nelder-Mead if it fails
        polish = optimize.minimize(mme.criterion, np.clip(start, -8, 8), method="L-BFGS-B", bounds=bounds,
                                   options={"ftol": 1e-12, "gtol": 1e-8})
    if polish is not None and polish.success and np.isfinite(polish.fun):
        best = polish
    else:
        best = optimize.minimize(mme.criterion, np.full(k, -1.5), method="Nelder-Mead",
                                 options={"xatol": 1e-5, "fatol": 1e-8, "maxiter": 3000})
        polish = optimize.minimize(mme.criterion, np.clip(best.x, -15, 8), method="L-BFGS-B", bounds=bounds,
                                   options={"ftol": 1e-12, "gtol": 1e-8})
    res = polish if polish.fun <= best.fun else best
    rho = np.clip(res.x, -15, 8)
    S, rhs, extra, _ = mme.system(np.exp(-rho))
    sol = np.linalg.solve(S, rhs)
    sigma2 = float((mme.yty - sol @ rhs - extra) / (mme.n - mme.p))
    s2 = sigma2 * np.exp(rho)
    s2[rho <= -14.9] = 0.0  # at the lower bound: variance component estimated at 0
    return sigma2, s2, bool(best.success or polish.success), float(res.fun)
