"""Ordered (cumulative-logit, proportional-odds) regression with analytic scores and cluster-robust errors.

Pure statistics (no language, no plots). The likelihood is statsmodels' ``OrderedModel``; only the derivatives
are closed-form (the library differentiates numerically), which keeps a fit with a few hundred dummies to
seconds.

- :func:`analytic_ordered_model` the ``OrderedModel`` subclass with analytic scores;
- :func:`fit_cumulative_logit` a proportional-odds fit, standard errors clustered on ``groups``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

__all__ = ["analytic_ordered_model", "fit_cumulative_logit"]


def analytic_ordered_model():
    """statsmodels ``OrderedModel`` with analytic scores (the library differentiates numerically).

    Same likelihood (McCullagh, 1980, *JRSS B* 42:109); only the derivatives are closed-form: with
    ``u = a_{y+1} - x b`` and ``l = a_y - x b``, ``d log p / d b = -(f(u) - f(l)) x / p`` and, for the
    threshold parameters (``a_1 = t_0``, ``a_j = a_{j-1} + exp(t_{j-1})``),
    ``d log p / d t_m = (f(u) d a_{y+1}/d t_m - f(l) d a_y / d t_m) / p``. The Hessian is the
    numerical Jacobian of the analytic score. Tests check the score against numerical
    differentiation and the fit against the plain ``OrderedModel``.

    Returns
    -------
    type
        A subclass of ``statsmodels.miscmodels.ordinal_model.OrderedModel``.

    Examples
    --------
    >>> cls = analytic_ordered_model()
    >>> y = pd.Series(pd.Categorical([1, 2, 3, 2, 3, 1, 3, 3], ordered=True))
    >>> x = pd.DataFrame({"b": [0.0, 0, 1, 0, 1, 0, 1, 1]})
    >>> m = cls(y, x, distr="logit")
    >>> p = np.array([1.0, -0.5, 0.2])
    >>> from statsmodels.tools.numdiff import approx_fprime
    >>> bool(np.allclose(m.score(p), approx_fprime(p, m.loglike, centered=True), atol=1e-6))
    True
    """
    from scipy import special, stats
    from statsmodels.miscmodels.ordinal_model import OrderedModel
    from statsmodels.tools.numdiff import approx_fprime

    class AnalyticOrderedModel(OrderedModel):
        # the logistic cdf and pdf by scipy's own formulas (``logistic._cdf = expit``, ``_pdf = exp(y - 2 log1p(e^y))``,
        # ``y = -|x|``) without ``rv_continuous``'s argument checks, which took most of a fit: the same numbers
        # (tests/test_trends.py compares them with ``stats.logistic``, infinities included)
        def cdf(self, x):
            if self.distr is not stats.logistic:
                return super().cdf(x)
            return special.expit(x)

        def pdf(self, x):
            if self.distr is not stats.logistic:
                return super().pdf(x)
            y = -np.abs(x)
            return np.exp(y - 2.0 * special.log1p(np.exp(y)))

        def score_obs(self, params):
            params = np.asarray(params, dtype=float)
            k = self.k_vars
            low, upp = self._bounds(params)
            prob = np.maximum(self.cdf(upp) - self.cdf(low), 1e-300)
            f_u = np.where(np.isfinite(upp), self.pdf(np.where(np.isfinite(upp), upp, 0.0)), 0.0)
            f_l = np.where(np.isfinite(low), self.pdf(np.where(np.isfinite(low), low, 0.0)), 0.0)
            g_b = -((f_u - f_l) / prob)[:, None] * np.asarray(self.exog, dtype=float)
            th = params[k:]
            n_th = len(th)
            # d a_j / d t_m for j = 0..K (a_0 = -inf, a_K = +inf): 1 for m = 0 and 0 < j < K;
            # exp(t_m) for 1 <= m <= j - 1 and j < K
            levels = n_th + 2
            da = np.zeros((levels, n_th))
            for j in range(1, levels - 1):
                da[j, 0] = 1.0
                for m in range(1, j):
                    da[j, m] = np.exp(th[m])
            y = np.asarray(self.endog, dtype=int)
            g_t = (f_u[:, None] * da[y + 1] - f_l[:, None] * da[y]) / prob[:, None]
            return np.column_stack([g_b, g_t])

        def score(self, params):
            return self.score_obs(params).sum(axis=0)

        def hessian(self, params):
            return approx_fprime(np.asarray(params, dtype=float), self.score, centered=True)

    return AnalyticOrderedModel


def fit_cumulative_logit(answer: pd.Series, X: pd.DataFrame, groups=None, maxiter: int = 2000):
    """Proportional-odds regression ``logit P(answer <= k) = theta_k - x' beta``, cluster-robust on ``groups``.

    Parameters
    ----------
    answer : Series
        Ordered answers (any sortable codes; categories are their sorted distinct values).
    X : DataFrame
        Covariates without an intercept (the thresholds play its part).
    groups : array-like, optional
        Cluster of every row (e.g. the recipient): sandwich standard errors clustered on it
        (statsmodels ``cov_type="cluster"``); ``None`` gives model-based errors.

    Returns
    -------
    statsmodels results
        ``params``, ``bse``, ``pvalues``, ``cov_params()`` by the column names of ``X``.
    """
    cats = sorted(pd.Series(answer).unique())
    endog = pd.Series(pd.Categorical(answer, categories=cats, ordered=True))
    model = analytic_ordered_model()(endog, X, distr="logit")
    kw = {} if groups is None else {"cov_type": "cluster", "cov_kwds": {"groups": np.asarray(groups)}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(method="bfgs", maxiter=maxiter, disp=False, **kw)
