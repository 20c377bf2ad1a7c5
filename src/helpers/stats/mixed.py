"""Linear mixed models with crossed random intercepts: Henderson's mixed-model equations and REML.

Pure statistics (no language, no plots). Hand-written because statsmodels ``MixedLM`` (variance-components
path), although correct, needs minutes for 1,000 workers x 200 interviewers (benchmarks/bench_scoring.py);
every estimate is cross-checked against statsmodels ``MixedLM`` in the tests.

- :func:`indicator` the sparse design matrix of one factor;
- :class:`MME` Henderson's equations, with the last factor optionally absorbed (Schur complement);
- :func:`reml` REML variance components (Harville 1977; Searle, Casella & McCulloch 1992, ch. 6);
- :func:`henderson` BLUE, BLUPs and prediction error variances (Henderson 1975);
- :func:`fit` **the one door**: every linear mixed model of the workbench (worker scores, year models,
  trajectories) is fitted by it, returning a :class:`MixedFit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

__all__ = ["MME", "MixedFit", "fit", "henderson", "indicator", "reml"]


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
        self.groups = None
        if self.absorb:
            R = sparse.csr_array(Zs[-1])
            self.B = sparse.csr_array(M.T @ R)
            self.counts = np.asarray(R.multiply(R).sum(axis=0)).ravel()  # diag(R'R) (weighted: sum of w)
            self.d = np.asarray(R.T @ y).ravel()
            self._group_absorbed()

    GROUP_LIMIT = 4_000_000  # floats (32 MB) for dense per-count blocks G_g; above it the blocks are kept sparse
    SPARSE_GROUP_LIMIT = 60_000_000  # non-zeros of the sparse blocks; above it the sparse product per evaluation

    def _group_absorbed(self) -> None:
        """Recipients with the same ``n_r`` share ``1 / (n_r + lambda_r)``: precompute, per distinct ``n_r``
        (group ``g``), ``G_g = sum_r b_r b_r'``, ``B_g d_g = sum_r b_r d_r``, ``sum_r d_r^2`` and the group size, so
        that an evaluation costs one product with ``len(groups)`` rows instead of a sparse product over every
        recipient. Small systems keep ``G`` dense (one row per group); large ones (a region's crossed design:
        thousands of raters) keep the non-zeros of every ``G_g`` with their group (``flat``, ``data``, ``grp``),
        and an evaluation is a weighted count of them. The same sums in another order (tests/test_scoring.py
        compares both with the sparse product over every recipient)."""
        vals, inv = np.unique(self.counts, return_inverse=True)
        dim = self.B.shape[0]
        dense = len(vals) * dim * dim <= self.GROUP_LIMIT
        if not dense and self.SPARSE_GROUP_LIMIT <= 0:
            return
        Bc = self.B.toarray() if dense and dim * self.B.shape[1] <= self.GROUP_LIMIT else self.B.tocsc()
        Bd = np.empty((dim, len(vals)))
        order = np.argsort(inv, kind="stable")
        bounds = np.searchsorted(inv[order], np.arange(len(vals) + 1))
        G = np.empty((len(vals), dim * dim)) if dense else None
        parts, nnz = [], 0
        for g in range(len(vals)):
            idx = order[bounds[g]:bounds[g + 1]]
            Bg = Bc[:, idx]
            GG = Bg @ Bg.T
            if dense:
                G[g] = (GG.toarray() if sparse.issparse(GG) else GG).ravel()
            else:
                c = sparse.coo_array(GG)
                parts.append((c.row.astype(np.int64) * dim + c.col, c.data, np.full(len(c.data), g)))
                nnz += len(c.data)
                if nnz > self.SPARSE_GROUP_LIMIT:
                    return
            Bd[:, g] = Bg @ self.d[idx]
        self.groups = {"n": vals, "size": np.bincount(inv, minlength=len(vals)).astype(float), "G": G, "Bd": Bd,
                       "dd": np.bincount(inv, weights=self.d**2, minlength=len(vals))}
        if not dense:
            self.groups.update(flat=np.concatenate([f for f, _, _ in parts]),
                               data=np.concatenate([v for _, v, _ in parts]),
                               grp=np.concatenate([k for _, _, k in parts]))

    def _group_sum(self, w: np.ndarray) -> np.ndarray:
        """``sum_g w_g G_g`` (flattened)."""
        gr = self.groups
        if gr["G"] is not None:
            return w @ gr["G"]
        return np.bincount(gr["flat"], gr["data"] * w[gr["grp"]], minlength=self.B.shape[0] ** 2)

    def _group_dot(self, A: np.ndarray) -> np.ndarray:
        """``<G_g, A>`` (the sum of the elementwise product) for every group ``g``."""
        gr = self.groups
        if gr["G"] is not None:
            return gr["G"] @ A.ravel()
        return np.bincount(gr["grp"], gr["data"] * A.ravel()[gr["flat"]], minlength=len(gr["n"]))

    def system(self, lam: np.ndarray):
        """(S, rhs, extra, logdet_D): the absorbed system for penalties ``lam`` (one per factor)."""
        sizes = self.sizes[:-1] if self.absorb else self.sizes
        S = self.C0.copy()
        if len(sizes):
            S[self.diag_idx, self.diag_idx] += np.concatenate([np.full(q, v) for q, v in zip(sizes, lam, strict=False)])
        rhs, extra, logdet_d = self.a, 0.0, 0.0
        if self.absorb and self.groups is not None:
            gr = self.groups
            D = gr["n"] + lam[-1]
            Dinv = 1.0 / D
            S -= self._group_sum(Dinv).reshape(S.shape)
            rhs = self.a - gr["Bd"] @ Dinv
            extra = float(gr["dd"] @ Dinv)
            logdet_d = float(gr["size"] @ np.log(D))
        elif self.absorb:
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

    def criterion_and_gradient(self, rho: np.ndarray) -> tuple[float, np.ndarray]:
        """:meth:`criterion` and its exact gradient in ``rho``.

        With ``lambda_k = exp(-rho_k)``, ``d log|C| / d lambda_k = tr_k(C^-1)`` (the trace of the diagonal block
        of factor ``k``) and ``dQ / d lambda_k = u_k'u_k`` (``u_k`` the BLUPs of factor ``k`` at ``lambda``), so
        ``d(-2 l_R) / d rho_k = q_k - lambda_k ((n - p) u_k'u_k / Q + tr_k(C^-1))`` (Harville, 1977, *JASA*
        72:320, written on the log-ratio scale). For the absorbed factor ``u_r = (d_r - b_r' s) / D_r``
        and ``[C^-1]_rr = 1 / D_r + b_r' S^-1 b_r / D_r^2`` (``D_r = n_r + lambda_r``; the inverse of a
        partitioned matrix). tests/test_scoring.py checks it against numerical differentiation.
        """
        from scipy import linalg

        rho = np.asarray(rho, dtype=float)
        k = len(self.sizes)
        lam = np.exp(-rho)
        S, rhs, extra, logdet_d = self.system(lam)
        try:
            factor = linalg.cho_factor(S, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return np.inf, np.zeros(k)
        sol = linalg.cho_solve(factor, rhs, check_finite=False)
        Q = self.yty - sol @ rhs - extra
        if not Q > 0:
            return np.inf, np.zeros(k)
        n_p = self.n - self.p
        logdet = 2 * np.log(np.diag(factor[0])).sum() + logdet_d
        f = n_p * np.log(Q / n_p) + float(np.dot(self.sizes, rho)) + logdet
        Sinv = _cho_inverse(factor[0])
        uu, tr = np.empty(k), np.empty(k)
        start = self.p
        for j, q in enumerate(self.sizes[:-1] if self.absorb else self.sizes):
            u = sol[start:start + q]
            uu[j], tr[j] = u @ u, np.trace(Sinv[start:start + q, start:start + q])
            start += q
        if self.absorb:
            if self.groups is not None:
                gr = self.groups
                Dinv = 1.0 / (gr["n"] + lam[-1])
                quad = self._group_dot(np.outer(sol, sol))  # sum_r (b_r' s)^2 per group
                uu[-1] = float((Dinv**2) @ (gr["dd"] - 2 * (sol @ gr["Bd"]) + quad))
                tr[-1] = float(gr["size"] @ Dinv + (Dinv**2) @ self._group_dot(Sinv))
            else:
                Dinv = 1.0 / (self.counts + lam[-1])
                u = (self.d - self.B.T @ sol) * Dinv
                # sum_r Dinv_r^2 b_r' S^-1 b_r = tr(S^-1 B diag(Dinv^2) B'): one sparse product, no dense S^-1 B
                M = (self.B @ sparse.diags_array(Dinv**2) @ self.B.T).toarray()
                uu[-1], tr[-1] = u @ u, float(Dinv.sum() + np.sum(Sinv * M))
        grad = np.asarray(self.sizes, dtype=float) - lam * (n_p * uu / Q + tr)
        return float(f), grad

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


def _cho_inverse(L: np.ndarray) -> np.ndarray:
    """``S^-1`` from the lower Cholesky factor of ``S`` (LAPACK ``potri``: a third of the work of solving
    against the identity)."""
    from scipy.linalg import lapack

    inv, info = lapack.dpotri(L, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"potri failed ({info})")
    return np.tril(inv) + np.tril(inv, -1).T


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


def _projected_gradient(x: np.ndarray, grad: np.ndarray, bounds: list) -> float:
    """Largest gradient component that a move inside the box could use (0 for one pushing against its bound)."""
    lo, hi = np.array(bounds, dtype=float).T
    g = np.where(((x <= lo) & (grad > 0)) | ((x >= hi) & (grad < 0)), 0.0, np.asarray(grad, dtype=float))
    return float(np.abs(g).max()) if len(g) else 0.0


def reml(y: np.ndarray, X: np.ndarray, Zs: list, absorb: bool = False,
         weights: np.ndarray | None = None, start: np.ndarray | None = None,
         optimizer: str = "gradient") -> tuple[float, np.ndarray, bool, float]:
    """REML variance components of ``y = X b + sum_k Z_k u_k + e`` from Henderson's equations.

    Hand-written because statsmodels ``MixedLM`` (variance-components path), although correct,
    needs minutes for 1,000 workers x 200 interviewers (measured in benchmarks/bench_scoring.py);
    cross-checked against statsmodels in tests/test_scoring.py. With ``lambda_k = sigma2 / s2_k``,
    ``C = [[X'X, X'Z], [Z'X, Z'Z + diag(lambda)]]`` and ``Q = y'y - [b; u]'[X'y; Z'y]``, the
    profiled REML criterion is (Harville, 1977, *JASA* 72:320; Searle, Casella & McCulloch, 1992,
    *Variance Components*, ch. 6)
    ``-2 l_R = (n - p) log(Q / (n - p)) + sum_k q_k log(1 / lambda_k) + log|C| + const``,
    minimised over ``rho_k = log(s2_k / sigma2)`` in ``[-15, 8]``; only cross-products enter, so the cost
    does not grow with the number of interviews. ``absorb=True``: the last factor (recipients: many
    levels, one per sampling unit) is absorbed (:class:`MME`), so a third variance component costs
    one product per evaluation. ``weights``: residual variance ``sigma2 / w_i`` (known relative weights).

    ``optimizer="gradient"`` (default): L-BFGS-B with the exact gradient
    (:meth:`MME.criterion_and_gradient`), from ``start`` or ``rho = -1.5``; 10-60 evaluations (the simulated
    studies of tests/test_worker_flags.py) instead of ~300. ``"nelder-mead"``: the previous search
    (Nelder-Mead from ``-1.5``, then an L-BFGS-B polish with a numerical gradient; with ``start`` L-BFGS-B only, Nelder-Mead if it fails), kept as
    the second implementation: tests/test_scoring.py checks that both reach the same optimum. A gradient
    search whose line search stops early (the criterion cannot fall further in double precision) is
    accepted when no projected gradient component exceeds 1e-4, else restarted once from there; the
    Nelder-Mead search is the fallback when it still does not converge. Returns
    ``(sigma2, s2_k, converged, -2 l_R)``.

    Examples
    --------
    A balanced one-way layout, where REML is the ANOVA estimator (Searle, Casella & McCulloch, 1992, 4.7):
    ``sigma2 = MSW``, ``s2 = (MSB - MSW) / n``.

    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(30), 8)
    >>> y = rng.normal(0, 2, 30)[g] + rng.normal(0, 1, len(g))
    >>> sigma2, s2, ok, _ = reml(y, np.ones((len(g), 1)), [indicator(g, 30)])
    >>> m = np.bincount(g, y) / 8
    >>> msw, msb = ((y - m[g]) ** 2).sum() / (240 - 30), 8 * ((m - y.mean()) ** 2).sum() / 29
    >>> ok, bool(np.isclose(sigma2, msw, rtol=1e-6)), bool(np.isclose(s2[0], (msb - msw) / 8, rtol=1e-6))
    (True, True, True)
    """
    from scipy import optimize

    mme = MME(y, X, Zs, absorb, weights)
    k = len(Zs)
    bounds = [(-15.0, 8.0)] * k
    if optimizer not in ("gradient", "nelder-mead"):
        raise ValueError("optimizer must be 'gradient' or 'nelder-mead'")
    res = None
    if optimizer == "gradient":
        x0 = np.full(k, -1.5) if start is None else np.clip(start, -8, 8)
        for _ in range(2):  # a second run from where the first stopped when its line search gave up early
            res = optimize.minimize(mme.criterion_and_gradient, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                                    options={"ftol": 1e-12, "gtol": 1e-8, "maxiter": 1000})
            ok = bool(np.isfinite(res.fun) and (res.success or _projected_gradient(res.x, res.jac, bounds) <= 1e-4))
            if ok:
                break
            x0 = res.x
    if res is None or not ok:
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
        ok = bool(best.success or polish.success)
    rho = np.clip(res.x, -15, 8)
    S, rhs, extra, _ = mme.system(np.exp(-rho))
    sol = np.linalg.solve(S, rhs)
    sigma2 = float((mme.yty - sol @ rhs - extra) / (mme.n - mme.p))
    s2 = sigma2 * np.exp(rho)
    s2[rho <= -14.9] = 0.0  # at the lower bound: variance component estimated at 0
    # -2 l_R at the estimates returned: the unbounded Nelder-Mead search may have stopped outside the box
    crit = float(res.fun) if np.array_equal(rho, res.x) else float(mme.criterion(rho))
    return sigma2, s2, ok, crit


@dataclass(frozen=True)
class MixedFit:
    """One REML fit of ``y = X b + sum_k Z_k u_k + e`` (:func:`fit`).

    ``beta`` BLUE; ``cov_beta = sigma2 [C^-1]_bb``; ``variances`` per factor (0 at the boundary);
    ``blups`` per factor (zeros for a factor whose variance is at 0); ``pev`` the prediction error
    variance ``sigma2 [C^-1]_kk`` of each BLUP of a kept, non-absorbed factor; ``cross`` per such factor
    ``sigma2 [C^-1]_{b,k}`` (the covariance of ``b - beta`` with ``u_hat_k - u_k``, for the PEV of
    ``x'b + u``); ``reml_criterion`` ``-2 l_R`` up to a constant; ``converged``; ``kept`` the factors in
    the final solve; ``notes`` what was dropped or did not converge; ``residuals`` ``y - X b - Z u``.
    """

    beta: np.ndarray
    cov_beta: np.ndarray
    sigma2: float
    variances: dict
    blups: dict
    pev: dict
    cross: dict
    reml_criterion: float
    converged: bool
    kept: tuple
    notes: tuple = field(default_factory=tuple)
    residuals: np.ndarray | None = None
    rho: np.ndarray | None = None

    def x_pev(self, x: np.ndarray, factor: str) -> np.ndarray:
        """``PEV(x'b + u_k)`` for every level of ``factor``: ``x' V_b x + 2 x' cross_k + pev_k``
        (Henderson, 1975); the variance of ``x'b`` alone when ``factor`` is not kept."""
        base = float(x @ self.cov_beta @ x)
        if factor not in self.pev:
            return np.full(len(self.blups.get(factor, [])), base)
        return np.clip(base + 2 * (x @ self.cross[factor]) + self.pev[factor], 0, None)


def fit(y: np.ndarray, X: np.ndarray, factors: list, weights: np.ndarray | None = None,
        start: np.ndarray | None = None, absorb: str | None = "recipient",
        boundary: float = 1e-6) -> MixedFit:
    """REML fit of a linear mixed model with crossed random intercepts: the workbench's one door.

    ``y = X b + sum_k Z_k u_k + e``, ``u_k ~ N(0, s2_k I)``, ``e ~ N(0, sigma2 W^-1)`` (``W = diag(weights)``);
    ``factors`` is a list of ``(name, codes, levels)``. The variance components come from :func:`reml`
    (profiled REML on Henderson's equations, exact-gradient L-BFGS-B; Harville, 1977, *JASA* 72:320), the
    same engine at every size, so a result does not depend on which optimiser a size picked nor on the
    BLAS kernel (tests/test_mixed_door.py fits under two OpenBLAS kernels). A factor whose variance is
    below ``boundary * sigma2`` is dropped before the final solve (stated in ``notes``), then ``b`` and the
    BLUPs solve Henderson's equations ``C [b; u] = [X'W y; Z'W y]`` (Henderson, 1975, *Biometrics* 31:423).
    The factor named ``absorb`` (default the recipient: one level per sampling unit, many levels) is
    absorbed by the Schur complement (:class:`MME`) when it is in the model; ``absorb=None`` absorbs none.
    statsmodels ``MixedLM`` (variance components) is the second implementation in the tests.

    Examples
    --------
    The balanced one-way layout of :func:`reml` (the ANOVA estimator): the BLUP of group ``g`` is its mean
    deviation shrunk by ``s2 / (s2 + sigma2 / 8)``.

    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(30), 8)
    >>> y = rng.normal(0, 2, 30)[g] + rng.normal(0, 1, len(g))
    >>> f = fit(y, np.ones((len(g), 1)), [("group", g, 30)])
    >>> m = np.bincount(g, y) / 8
    >>> shrink = f.variances["group"] / (f.variances["group"] + f.sigma2 / 8)
    >>> f.converged, bool(np.allclose(f.blups["group"], shrink * (m - y.mean()), atol=1e-8))
    (True, True)
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    factors = list(factors)
    if absorb is not None and any(f == absorb for f, _, _ in factors):
        factors = [t for t in factors if t[0] != absorb] + [t for t in factors if t[0] == absorb]
    else:
        absorb = None
    names = [f for f, _, _ in factors]
    wt = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    notes: list[str] = []
    if not factors:
        return _fixed_only(y, X, wt, {}, {}, notes, np.nan, True)
    Zs = [indicator(np.asarray(c), m) for _, c, m in factors]
    sigma2, s2, ok, crit = reml(y, X, Zs, absorb=absorb is not None, weights=weights, start=start)
    rho = np.log(np.maximum(s2, 1e-300) / sigma2)
    if not ok:
        notes.append("REML did not report convergence")
    variances = {f: float(v) for f, v in zip(names, s2, strict=True)}
    kept = [k for k, f in enumerate(names) if variances[f] > boundary * sigma2]
    notes += [f"{f} variance estimated at 0 (boundary)" for f in names if variances[f] <= boundary * sigma2]
    blups = {f: np.zeros(m) for f, _, m in factors}
    if not kept:
        return _fixed_only(y, X, wt, variances, blups, notes, crit, ok, sigma2, rho)
    absorbed = absorb is not None and kept[-1] == len(factors) - 1
    v = [s2[k] for k in kept]
    mme = MME(y, X, [Zs[k] for k in kept], absorbed, weights)
    beta, u, Cinv = mme.solve(v, sigma2)
    p = X.shape[1]
    pev, cross, start_at = {}, {}, 0
    for k in kept[:-1] if absorbed else kept:
        q = Zs[k].shape[1]
        blups[names[k]] = u[start_at:start_at + q]
        sl = slice(p + start_at, p + start_at + q)
        pev[names[k]] = sigma2 * np.diag(Cinv)[sl]
        cross[names[k]] = sigma2 * Cinv[:p, sl]
        start_at += q
    if absorbed:
        blups[names[-1]] = mme.absorbed_blup(v, sigma2, np.concatenate([beta, u]))
    fitted = X @ beta + sum((Zs[k] @ blups[names[k]] for k in kept), np.zeros(len(y)))
    return MixedFit(beta, sigma2 * Cinv[:p, :p], float(sigma2), variances, blups, pev, cross, float(crit), bool(ok),
                    tuple(names[k] for k in kept), tuple(notes), y - fitted, rho)


def _fixed_only(y, X, wt, variances, blups, notes, crit, ok, sigma2=None, rho=None) -> MixedFit:
    """Weighted least squares when no random factor is left (every variance at 0, or none asked)."""
    r = np.sqrt(wt)
    beta = np.linalg.lstsq(X * r[:, None], y * r, rcond=None)[0]
    resid = y - X @ beta
    if sigma2 is None:
        sigma2 = float((wt * resid**2).sum() / (len(y) - X.shape[1]))
    cov = sigma2 * np.linalg.pinv((X * wt[:, None]).T @ X)
    return MixedFit(beta, cov, float(sigma2), variances, blups, {}, {}, float(crit), bool(ok), (), tuple(notes),
                    resid, rho)
