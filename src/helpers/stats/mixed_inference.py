"""Tests of fixed-effect contrasts after a REML fit of :func:`helpers.stats.mixed.fit`: Satterthwaite degrees of freedom.

Pure statistics (no language). The fit itself is the door's (:func:`helpers.stats.mixed.fit`); this module only
asks how precisely the variance of a contrast ``L'b`` is known, which the door's ``cov_beta`` (the variance
components treated as known) does not say.

- :func:`satterthwaite` the estimate, standard error and Satterthwaite degrees of freedom of contrasts ``L'b``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from helpers.stats.mixed import MME, MixedFit, indicator

__all__ = ["ContrastTest", "satterthwaite"]


@dataclass(frozen=True)
class ContrastTest:
    """Contrasts ``L'b`` of one fit: ``estimate``, ``se`` (``sqrt(L' Cov(b) L)``), ``df`` (Satterthwaite),
    ``t = estimate / se``; ``n_parameters`` the variance parameters whose uncertainty entered ``df``."""

    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray
    n_parameters: int

    @property
    def t(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.estimate / self.se


def _deviance_parts(mme: MME, variances: np.ndarray, sigma2: float):
    lam = sigma2 / variances
    S, rhs, extra, logdet_d = mme.system(lam)
    factor = linalg.cho_factor(S, lower=True, check_finite=False)
    sol = linalg.cho_solve(factor, rhs, check_finite=False)
    Q = mme.yty - sol @ rhs - extra
    logdet = 2 * np.log(np.diag(factor[0])).sum() + logdet_d
    return factor, Q, logdet


def satterthwaite(y: np.ndarray, X: np.ndarray, factors: list, fit: MixedFit, L: np.ndarray,
                  weights: np.ndarray | None = None, absorb: str | None = "recipient",
                  step: float = 1e-3) -> ContrastTest:
    """Estimate, SE and Satterthwaite degrees of freedom of the contrasts ``L'b`` of a REML fit.

    ``y, X, factors, weights, absorb`` are those given to :func:`helpers.stats.mixed.fit` and ``fit`` its result;
    ``L`` is ``p x m`` (one column per contrast). With ``theta`` the variance parameters of the factors the fit
    kept and the residual variance ``sigma2``, ``V(theta) = L' Cov(b; theta) L = sigma2 L' [C(theta)^-1]_bb L``
    and (Satterthwaite, 1946, *Biometrics Bulletin* 2:110; Giesbrecht & Burns, 1985, *Biometrics* 41:477;
    the method of lmerTest, Kuznetsova, Brockhoff & Christensen, 2017, *J. Stat. Softw.* 82(13))::

        df = 2 V^2 / (g' A g),   g = dV / dtheta,   A = Cov(theta_hat) = 2 H^-1,

    ``H`` the Hessian of the REML deviance ``-2 l_R`` in the variances (observed information), here

        -2 l_R = (n - p) log sigma2 + Q / sigma2 + sum_k q_k log(s2_k / sigma2) + log|C| + const

    (Henderson's coefficient matrix ``C``, ``lambda_k = sigma2 / s2_k``; Harville, 1977, *JASA* 72:320).
    ``H`` and ``g`` are central differences (relative step ``step``) in the variances, not their logarithms, so a
    variance near 0 is well behaved; a factor the fit dropped (variance at 0) is not a parameter. Without any
    random factor the model is least squares and ``df = n - p``. The REML estimates' own uncertainty is what
    the degrees of freedom express; ``se`` itself treats them as known, as the door does (Kenward & Roger's
    inflation of the SE is not applied).

    Examples
    --------
    Balanced one-way layout (30 groups of 8): the grand mean's variance is ``(s2 + sigma2 / 8) / 30``, a
    multiple of the between-group mean square's expectation, so its Satterthwaite df are those of that mean
    square, ``30 - 1 = 29`` (the classical result, Searle, Casella & McCulloch, 1992, 3.6).

    >>> from helpers.stats.mixed import fit
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(30), 8)
    >>> y = rng.normal(0, 2, 30)[g] + rng.normal(0, 1, len(g))
    >>> X = np.ones((len(g), 1))
    >>> r = satterthwaite(y, X, [("group", g, 30)], fit(y, X, [("group", g, 30)]), np.ones((1, 1)))
    >>> round(float(r.df[0]), 3)
    29.0
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    L = np.asarray(L, dtype=float)
    if L.ndim == 1:
        L = L[:, None]
    est = L.T @ fit.beta
    var0 = np.einsum("im,ij,jm->m", L, fit.cov_beta, L)
    se = np.sqrt(np.clip(var0, 0, None))
    n, p = X.shape
    by_name = {f: (c, m) for f, c, m in factors}
    kept = list(fit.kept)
    if not kept:
        rank = np.linalg.matrix_rank(X)
        return ContrastTest(est, se, np.full(len(est), float(n - rank)), 1)
    absorbed = absorb is not None and kept[-1] == absorb
    Zs = [indicator(np.asarray(by_name[f][0]), by_name[f][1]) for f in kept]
    mme = MME(y, X, Zs, absorbed, weights)
    theta = np.array([fit.variances[f] for f in kept] + [fit.sigma2], dtype=float)
    q = np.array([z.shape[1] for z in Zs], dtype=float)
    k = len(theta)

    def deviance(th: np.ndarray) -> float:
        v, s2 = th[:-1], th[-1]
        _, Q, logdet = _deviance_parts(mme, v, s2)
        return float((n - p) * np.log(s2) + Q / s2 + (q * np.log(v / s2)).sum() + logdet)

    def contrast_var(th: np.ndarray) -> np.ndarray:
        v, s2 = th[:-1], th[-1]
        factor, _, _ = _deviance_parts(mme, v, s2)
        Lp = np.vstack([L, np.zeros((mme.C0.shape[0] - p, L.shape[1]))])
        sol = linalg.cho_solve(factor, Lp, check_finite=False)
        return s2 * np.einsum("im,im->m", Lp, sol)

    h = step * theta
    H = np.empty((k, k))
    f0 = deviance(theta)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        H[i, i] = (deviance(theta + ei) - 2 * f0 + deviance(theta - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            H[i, j] = H[j, i] = (deviance(theta + ei + ej) - deviance(theta + ei - ej) - deviance(theta - ei + ej)
                                 + deviance(theta - ei - ej)) / (4 * h[i] * h[j])
    A = 2 * np.linalg.pinv(H)
    G = np.empty((k, L.shape[1]))
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        G[i] = (contrast_var(theta + ei) - contrast_var(theta - ei)) / (2 * h[i])
    denom = np.einsum("im,ij,jm->m", G, A, G)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(denom > 0, 2 * var0**2 / denom, np.inf)
    return ContrastTest(est, se, df, k)
