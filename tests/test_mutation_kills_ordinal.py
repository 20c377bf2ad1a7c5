"""Tests written to kill surviving mutants of ``stats/ordinal.py`` (docs/mutation/ordinal.md).

The second implementation is statsmodels' plain ``OrderedModel`` (numerical derivatives), fitted on the same
small seeded data; the clustered standard errors are also computed by hand from its scores (the sandwich
``H^-1 (sum_g s_g s_g') H^-1`` with statsmodels' small-sample factor ``G/(G-1) (n-1)/(n-k)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.numdiff import approx_fprime

from helpers.stats.ordinal import analytic_ordered_model, fit_cumulative_logit


@pytest.fixture(scope="module")
def small():
    """300 answers on a 1-4 scale (coded 10, 20, 30, 40 and given out of order), two covariates, 60 clusters."""
    rng = np.random.default_rng(5)
    n = 300
    X = pd.DataFrame({"b": rng.integers(0, 2, n).astype(float), "c": rng.normal(size=n)})
    groups = np.repeat(np.arange(60), 5)
    latent = 0.9 * X["b"] - 0.6 * X["c"] + rng.normal(0, 0.8, 60)[groups] + rng.logistic(size=n)
    answer = pd.Series(10 * (1 + np.digitize(latent, [-1.0, 0.5, 1.8])))
    plain = OrderedModel(pd.Series(pd.Categorical(answer, categories=[10, 20, 30, 40], ordered=True)), X,
                         distr="logit")
    ref = plain.fit(method="bfgs", maxiter=2000, disp=False)
    return X, answer, groups, plain, ref


def test_ordinal_fit_matches_the_plain_ordered_model(small):
    """Model-based fit: the coefficients and thresholds of statsmodels' plain ``OrderedModel`` on the answers in
    their sorted order (a fit with categories in the order of appearance, the probit link, or the default
    optimiser stopped early gives other numbers)."""
    X, answer, _, _, ref = small
    r = fit_cumulative_logit(answer, X)
    np.testing.assert_allclose(np.asarray(r.params), np.asarray(ref.params), atol=1e-4)
    np.testing.assert_allclose(np.asarray(r.bse), np.asarray(ref.bse), rtol=2e-3)
    assert list(r.params.index[:2]) == ["b", "c"]
    assert r.params["b"] > 0 > r.params["c"]  # the planted signs: larger answers with b, smaller with c


def test_ordinal_fit_clusters_the_standard_errors_by_hand(small):
    """``groups`` gives the cluster sandwich: by hand from the plain model's scores and numerical Hessian,
    ``V = c H^-1 (sum_g s_g s_g') H^-1``, ``c = G/(G-1) (n-1)/(n-k)`` (statsmodels' default correction)."""
    X, answer, groups, plain, ref = small
    r = fit_cumulative_logit(answer, X, groups=groups)
    p = np.asarray(ref.params)
    scores = approx_fprime(p, plain.loglikeobs, centered=True)
    hinv = np.linalg.inv(-approx_fprime(p, lambda q: approx_fprime(q, plain.loglike, centered=True),
                                        centered=True))
    sg = pd.DataFrame(scores).groupby(groups).sum().to_numpy()
    n, k, g = len(answer), len(p), len(np.unique(groups))
    v = g / (g - 1) * (n - 1) / (n - k) * hinv @ (sg.T @ sg) @ hinv
    np.testing.assert_allclose(np.asarray(r.bse), np.sqrt(np.diag(v)), rtol=5e-3)
    assert r.cov_type == "cluster"
    # clustering on 60 recipients of 5 correlated answers widens the interval of c, a within-cluster covariate
    # only a little, and differs from the model-based errors
    assert not np.allclose(np.asarray(r.bse), np.asarray(ref.bse), rtol=1e-3)


def test_ordinal_probit_density_is_the_normal_one(small):
    """The logistic shortcut applies to the logit link only: a probit model keeps the normal cdf and pdf."""
    X, answer, *_ = small
    y = pd.Series(pd.Categorical(answer, ordered=True))
    probit = analytic_ordered_model()(y, X, distr="probit")
    z = np.r_[-np.inf, -40.0, -1.5, 0.0, 0.7, 3.0, np.inf]
    assert np.array_equal(probit.pdf(z), stats.norm.pdf(z))
    assert np.array_equal(probit.cdf(z), stats.norm.cdf(z))


#: R 4 MASS::polr(y ~ ., method = "logistic", Hess = TRUE) on the data of ``_twelve_covariates`` (written to CSV
#: and read by R): coefficients, thresholds zeta (logit P(y <= k) = zeta_k - x'b) and standard errors
POLR_COEF = [-0.91493416562, -0.45826986857, -0.61976712777, -0.62992764356, -0.15556224900, -0.02682601014,
             0.02514858967, 0.34016383652, 0.55361259349, 0.45284999885, 0.63319364746, 0.88102834252]
POLR_ZETA = [-1.8477085958, -0.1822507433, 1.2269948335]
POLR_SE = [0.11282447834, 0.10759945413, 0.10305765797, 0.10845362666, 0.10442178906, 0.10219769221,
           0.10743193833, 0.09684954791, 0.10199197745, 0.10514632151, 0.10013650308, 0.10967893952]


def _twelve_covariates():
    rng = np.random.default_rng(8)
    n, k = 400, 12
    X = pd.DataFrame(rng.normal(size=(n, k)), columns=[f"x{i}" for i in range(k)])
    latent = X.to_numpy() @ np.linspace(-0.8, 0.8, k) + rng.logistic(size=n)
    return X, pd.Series(1 + np.digitize(latent, [-1.5, 0.0, 1.2]))


def test_ordinal_fit_with_many_covariates_matches_r_polr():
    """Twelve covariates (15 parameters): the fit reaches R ``MASS::polr``'s maximum (coefficients, thresholds
    and model-based standard errors). statsmodels' default optimiser (Nelder-Mead) stops far from it."""
    X, y = _twelve_covariates()
    r = fit_cumulative_logit(y, X)
    np.testing.assert_allclose(np.asarray(r.params[:12]), POLR_COEF, atol=2e-4)
    th = np.asarray(r.params[12:])
    zeta = np.cumsum(np.r_[th[0], np.exp(th[1:])])  # statsmodels: a_1 = t_0, a_j = a_{j-1} + exp(t_{j-1})
    np.testing.assert_allclose(zeta, POLR_ZETA, atol=2e-4)
    np.testing.assert_allclose(np.asarray(r.bse[:12]), POLR_SE, rtol=2e-3)


def test_ordinal_fit_stops_at_the_iteration_limit_asked_for():
    """``maxiter`` reaches the optimiser: three iterations are not enough to reach R's maximum."""
    X, y = _twelve_covariates()
    r = fit_cumulative_logit(y, X, maxiter=3)
    assert not r.mle_retvals["converged"]
    assert np.abs(np.asarray(r.params[:12]) - POLR_COEF).max() > 0.01
