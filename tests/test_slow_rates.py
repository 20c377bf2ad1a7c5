"""Rates that can tell right from wrong (issue 23, item 4): long seeded Monte-Carlo checks, marked ``slow``.

``make test`` (CI) leaves them out and keeps the fast seeded versions (tests/test_worker_flags.py,
tests/test_rater_agreement.py); ``make test-slow`` runs them (about 10 minutes on one core).

How many simulations. A rate is accepted when it lies on the right side of the midpoint between the value
claimed and the wrong value it must be told from; the number of studies makes both errors small
(binomial probabilities, scipy.stats.binom):

=================================  =======  ==========  ==========  ================  ==============
rate                               claimed  wrong       studies     P(fail | claim)   P(pass | wrong)
=================================  =======  ==========  ==========  ================  ==============
false change (docs/methods.md)     3.5%     7%          600         0.014             0.042
false listing (family-wise)        <= 5%    10%         400         0.011             0.052
interval coverage                  0.95     0.85        400         < 1e-4            0.002
=================================  =======  ==========  ==========  ================  ==============
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.stats import rater_agreement as ra
from helpers.stats.agreement import bootstrap_table_ci, table_coefficients
from helpers.studies.mystery_guest.scoring import (
    recognition_lists,
    score_interviews,
    worker_scores,
    worker_slopes,
)
from helpers.studies.mystery_guest.simulate import DEMO_SHAPE, simulate_panel

pytestmark = pytest.mark.slow

YEAR_EFFECT = {2018: 0.0, 2019: 0.25, 2020: -0.45, 2021: 0.1}


def _cp(k: int, n: int) -> str:
    """The rate with its Clopper-Pearson 95% interval, for the failure message."""
    from helpers.stats.agreement import clopper_pearson

    lo, hi = clopper_pearson(k, n)
    return f"{k}/{n} = {k / n:.3f} (95% CI {lo:.3f} to {hi:.3f})"


def test_false_change_rate_is_told_from_twice_its_stated_value():
    """docs/methods.md: with no worker changing, some worker is flagged "improved"/"declined" in 3.5% of the
    studies (demo 2018-2021 design, 15 workers). 600 studies: pass when at most 31 (5.25%) flag anyone."""
    n = 600
    flagged = 0
    for s in range(n):
        st = simulate_panel(sd_worker=0.55, year_effect=YEAR_EFFECT, seed=50_000 + s, **DEMO_SHAPE)
        r = worker_slopes(score_interviews(st.interviews))
        flagged += bool((r["direction"] != "within_uncertainty").any())
    assert flagged <= 31, _cp(flagged, n)


def test_false_listing_rate_is_told_from_twice_the_nominal_level():
    """Recognition / concern lists, one 2020-shaped year with no true differences: family-wise error at most
    5% (Holm). 400 studies: pass when at most 30 (7.5%) list anyone."""
    n = 400
    listed = 0
    for s in range(n):
        st = simulate_panel(years=(2020,), sd_worker=0.0, seed=60_000 + s)
        listed += len(recognition_lists(worker_scores(score_interviews(st.interviews)))) > 0
    assert listed <= 30, _cp(listed, n)


def test_table_bootstrap_intervals_cover_95_percent():
    """BCa intervals of the pair bootstrap (and Clopper-Pearson for percent agreement), n = 150 pairs of
    ceiling-shaped answers: coverage of the population value at least 0.90 in 400 studies."""
    rng = np.random.default_rng(4321)
    marg = np.array([0.02, 0.03, 0.07, 0.18, 0.70])
    p = 0.6 * np.diag(marg) + 0.4 * np.outer(marg, marg)
    truth = {k: float(v) for k, v in table_coefficients(p * 1e6).items()}
    names = ("cohen_kappa", "cohen_kappa_quadratic", "scott_pi", "gwet_ac1", "brennan_prediger",
             "percent_agreement", "krippendorff_alpha_nominal")
    n = 400
    hits = dict.fromkeys(names, 0)
    for s in range(n):
        t = rng.multinomial(150, p.ravel()).reshape(5, 5)
        r = bootstrap_table_ci(t, range(1, 6), n_boot=500, seed=s).set_index("statistic")
        for k in names:
            hits[k] += bool(r.loc[k, "ci_low"] <= truth[k] <= r.loc[k, "ci_high"])
    for k in names:
        assert hits[k] >= 0.90 * n, (k, _cp(hits[k], n))


def _ratings(rng, units: int, raters: int = 3) -> np.ndarray:
    truth = rng.choice(5, units, p=[0.1, 0.15, 0.2, 0.25, 0.3])
    x = np.where(rng.random((raters, units)) < 0.6, truth, rng.choice(5, (raters, units))).astype(float) + 1
    return x


def test_unit_bootstrap_intervals_of_alpha_and_fleiss_cover_95_percent():
    """Krippendorff's alpha and Fleiss' kappa (unit bootstrap, percentile), 3 raters x 80 units: coverage of
    the population value (one sample of 400,000 units) at least 0.90 in 400 studies."""
    big = _ratings(np.random.default_rng(0), 400_000)
    counts, _ = ra.rating_counts(big.T)
    truth_fleiss = ra.fleiss_kappa(big.T, n_boot=0).estimate
    m = counts.sum(1)[0]
    pj = counts.sum(0) / counts.sum()
    p_obs = ((counts * (counts - 1)).sum(1) / (m * (m - 1))).mean()
    # without missing values, nominal alpha = 1 - (N m - 1)/(N m) (1 - P_o)/(1 - P_e): its population value
    # is Fleiss' kappa in the limit
    truth_alpha = 1 - (1 - p_obs) / (1 - (pj**2).sum())
    assert truth_alpha == pytest.approx(truth_fleiss, abs=1e-4)
    rng = np.random.default_rng(77)
    n = 400
    hit_a = hit_f = 0
    for s in range(n):
        x = _ratings(rng, 80)
        a = ra.krippendorff_alpha(x, "nominal", n_boot=1000, seed=s)
        f = ra.fleiss_kappa(x.T, n_boot=1000, seed=s)
        hit_a += (not math.isnan(a.ci_low)) and a.ci_low <= truth_alpha <= a.ci_high
        hit_f += (not math.isnan(f.ci_low)) and f.ci_low <= truth_fleiss <= f.ci_high
    assert hit_a >= 0.90 * n, _cp(hit_a, n)
    assert hit_f >= 0.90 * n, _cp(hit_f, n)
