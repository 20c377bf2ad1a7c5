"""Simulated paired-interview studies with known agreement, to measure interval coverage.

A 2020-shaped study (issue 9): 144 recipients, each interviewed by one of 5 volunteers and one of
4 social-worker interviewers about one of 15 social workers. Answers follow the latent
cumulative-logit model of the demo data (:mod:`helpers.io.demo`)::

    P(code >= c) = logistic(eta - threshold_c),
    eta = base + worker quality + recipient + interviewer leniency + role shift + answer noise

with the demo's thresholds (most answers at the top: the ceiling) and standard deviations
(worker 0.55, interviewer 0.3, recipient 0.6, answer noise sqrt(0.3^2 + 0.7^2)). The two answers
of a pair share the worker and the recipient (that is what makes them agree); they differ by the
interviewers' leniency, the role shift and independent noise.

The **true** value of a coefficient is its value on the expected K x K table of a pair drawn
from the whole population (new interviewers, workers and recipients):
``E[P_v P_s^T]`` over the random effects, the per-answer noise integrated by Gauss-Hermite
quadrature and the rest by Monte Carlo. This is the quantity an interval that "generalises to
other interviewers like these" must cover.

Public: :func:`simulate_pairs`, :func:`population_table`, :func:`coverage`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.io.demo import THRESHOLDS as DEMO_THRESHOLDS
from helpers.stats.agreement import (
    bootstrap_table_ci,
    cluster_tables,
    pigeonhole_tables,
    stratified_tables,
    table_coefficients,
    table_intervals,
)

__all__ = ["AgreementDesign", "simulate_pairs", "population_table", "coverage"]

THRESHOLDS = tuple(float(t) for t in DEMO_THRESHOLDS)  # one source: helpers.io.demo
K = 5
CATEGORIES = [1, 2, 3, 4, 5]
FACTORS = {
    "interviewers": ("volunteer", "social_worker"),
    "interviewers+workers": ("volunteer", "social_worker", "worker"),
    "workers": ("worker",),
}


@dataclass(frozen=True)
class AgreementDesign:
    """Shape and variance components of a simulated paired study (defaults: the 2020 demo)."""

    n_pairs: int = 144
    n_volunteers: int = 5
    n_sw_interviewers: int = 4
    n_workers: int = 15
    base: float = 2.0
    sd_worker: float = 0.55
    sd_interviewer: float = 0.3
    sd_recipient: float = 0.6
    sd_answer: float = float(np.hypot(0.3, 0.7))
    role_shift: float = -0.5
    thresholds: tuple = field(default=THRESHOLDS)
    #: stratified sample: the last ``n_temporary`` pairs are temporary-residence recipients, served
    #: by their own ``temporary_workers`` workers, a census of ``population_temporary``; the other
    #: pairs are a sample of ``population_home`` home-care recipients (2020: 130 of 1,300, 14 of 14)
    n_temporary: int = 0
    temporary_workers: int = 2
    temporary_shift: float = 0.0
    population_home: int = 1300
    population_temporary: int = 14


_X, _W = np.polynomial.hermite_e.hermegauss(24)
_W = _W / _W.sum()


def _category_probs(mu: np.ndarray, sd: float, thresholds, chunk: int = 4096) -> np.ndarray:
    """P(code = 1..K | mu), the answer noise N(0, sd^2) integrated out: shape (..., K).

    ``P(code >= c) = sum_j w_j logistic(mu + sd x_j - t_c)`` (Gauss-Hermite nodes ``x_j``), computed as
    ``1 / (1 + exp(-mu) exp(t_c - sd x_j))``: one exponential per ``mu`` instead of one per node and
    threshold (the same numbers to rounding: tests/test_agreement_intervals.py compares with the direct
    formula), in chunks that stay in the cache.
    """
    mu = np.asarray(mu, dtype=float)
    t = np.asarray(thresholds, dtype=float)
    e = np.exp(t[None, :] - sd * _X[:, None]).ravel()  # exp(-(sd x_j - t_c)), nodes x thresholds
    flat = mu.ravel()
    ge = np.empty((len(flat), len(t)))  # P(code >= 2..K)
    with np.errstate(over="ignore"):  # exp(-mu) = inf gives probability 0, as it should
        for a in range(0, len(flat), chunk):
            em = np.exp(-flat[a:a + chunk])
            p = 1.0 / (1.0 + em[:, None] * e)
            ge[a:a + chunk] = np.einsum("njk,j->nk", p.reshape(len(em), len(_X), len(t)), _W)
    ge = ge.reshape(mu.shape + (len(t),))
    ones = np.ones(mu.shape + (1,))
    up = np.concatenate([ones, ge, 0 * ones], axis=-1)
    return up[..., :-1] - up[..., 1:]


def _stratum_table(d: AgreementDesign, shift: float, n_draws: int, rng) -> np.ndarray:
    common = (d.base + shift + rng.normal(0, d.sd_worker, n_draws)
              + rng.normal(0, d.sd_recipient, n_draws))
    pv = _category_probs(common + rng.normal(0, d.sd_interviewer, n_draws), d.sd_answer,
                         d.thresholds)
    ps = _category_probs(common + d.role_shift + rng.normal(0, d.sd_interviewer, n_draws),
                         d.sd_answer, d.thresholds)
    return np.einsum("nk,nl->kl", pv, ps) / n_draws


def population_table(design: AgreementDesign = AgreementDesign(), n_draws: int = 400_000,
                     seed: int = 20201) -> np.ndarray:
    """Expected K x K cell probabilities of a pair drawn from the population (sums to 1).

    With a temporary-residence stratum (``n_temporary > 0``) the population table is the mixture
    of the two strata in proportion to their populations (what design weights estimate).
    """
    rng = np.random.default_rng(seed)
    home = _stratum_table(design, 0.0, n_draws, rng)
    if design.n_temporary == 0:
        return home
    temp = _stratum_table(design, design.temporary_shift, n_draws, rng)
    nh, nt = design.population_home, design.population_temporary
    return (nh * home + nt * temp) / (nh + nt)


def simulate_pairs(design: AgreementDesign = AgreementDesign(),
                   rng: np.random.Generator | None = None) -> pd.DataFrame:
    """One simulated study: one row per pair with ``volunteer, social_worker, worker`` (integer
    ids), the answer positions ``a`` (volunteer) and ``b`` (social worker), 0..K-1, ``stratum``
    and the design ``weight`` (stratum population / pairs in the stratum).

    Workers get equal shares of the pairs of their stratum (in random order); each pair's two
    interviewers are drawn at random from their role, as in the demo data.
    """
    return pd.DataFrame(_simulate_arrays(design, rng or np.random.default_rng()))


def _simulate_arrays(d: AgreementDesign, rng: np.random.Generator) -> dict:
    """The columns of :func:`simulate_pairs` as arrays (what :func:`coverage` uses, without a frame per study)."""
    n = d.n_pairs
    n_home = n - d.n_temporary
    lv = rng.normal(0, d.sd_interviewer, d.n_volunteers)
    ls = rng.normal(0, d.sd_interviewer, d.n_sw_interviewers) + d.role_shift
    q = rng.normal(0, d.sd_worker, d.n_workers)
    if d.n_temporary:
        home_w = d.n_workers - d.temporary_workers
        worker = np.r_[rng.permutation(np.arange(n_home) % home_w),
                       home_w + rng.permutation(np.arange(d.n_temporary) % d.temporary_workers)]
    else:
        worker = rng.permutation(np.arange(n) % d.n_workers)
    temporary = np.arange(n) >= n_home
    v = rng.integers(0, d.n_volunteers, n)
    s = rng.integers(0, d.n_sw_interviewers, n)
    common = (d.base + q[worker] + d.temporary_shift * temporary
              + rng.normal(0, d.sd_recipient, n))
    pa = _category_probs(common + lv[v], d.sd_answer, d.thresholds)
    pb = _category_probs(common + ls[s], d.sd_answer, d.thresholds)
    a = (rng.random((n, 1)) > pa.cumsum(1)).sum(1).clip(0, K - 1)
    b = (rng.random((n, 1)) > pb.cumsum(1)).sum(1).clip(0, K - 1)
    weight = np.where(temporary, d.population_temporary / max(d.n_temporary, 1),
                      d.population_home / max(n_home, 1))
    return {"volunteer": v, "social_worker": s, "worker": worker, "a": a, "b": b,
            "stratum": np.where(temporary, "temporary_residence", "home_care"), "weight": weight}


def coverage(
    n_studies: int = 500,
    n_boot: int = 400,
    design: AgreementDesign = AgreementDesign(),
    methods: Sequence[str] = ("interviewers", "pairs"),
    statistics: Sequence[str] = ("percent_agreement", "gwet_ac1"),
    seed: int = 2020,
    confidence: float = 0.95,
    weighted: bool = False,
) -> pd.DataFrame:
    """Empirical coverage of the intervals of :mod:`helpers.stats.agreement` over simulated studies.

    Every method sees the same studies. ``methods``: ``"pairs"`` (pairs as independent units:
    :func:`helpers.stats.agreement.bootstrap_table_ci`, BCa and exact percent agreement) and the
    cluster schemes ``"interviewers"`` (two-way pigeonhole, the report's default),
    ``"interviewers+workers"``, ``"workers"`` (:func:`helpers.stats.agreement.pigeonhole_tables` +
    :func:`helpers.stats.agreement.table_intervals`). A study whose interval is NaN counts as a miss.
    ``weighted=True``: design-weighted tables (the population truth of a stratified design);
    ``"pairs"`` then resamples pairs within strata. ``"unweighted"`` in ``methods`` adds the
    unweighted estimate with its interviewer-cluster interval, to show what ignoring the weights
    does to coverage of the population value.
    Returns one row per method and statistic: ``truth, coverage, mc_se`` (the Monte Carlo
    standard error ``sqrt(c (1 - c) / R)``), ``mean_width, no_interval`` (share of studies
    without an interval), ``n_studies, n_boot``.
    """
    rng = np.random.default_rng(seed)
    truth = {k: float(v) for k, v in table_coefficients(population_table(design) * 1e6,
                                                         CATEGORIES, statistics).items()}
    hits = {(m, s): [] for m in methods for s in statistics}
    widths = {(m, s): [] for m in methods for s in statistics}
    for _ in range(n_studies):
        f = _simulate_arrays(design, rng)  # the columns of simulate_pairs, without building its frame
        a, b = f["a"], f["b"]
        w = f["weight"].astype(float) if weighted else None
        for m in methods:
            if m == "pairs" and not weighted:
                table = np.bincount(a * K + b, minlength=K * K).reshape(K, K)
                res = bootstrap_table_ci(table, CATEGORIES, n_boot, rng, confidence,
                                         which=statistics)
            elif m == "pairs":
                ct = cluster_tables(a, b, K, {"stratum": f["stratum"]})
                _, first = np.unique(pd.factorize(f["stratum"])[0], return_index=True)
                wh = f["weight"][first].astype(float)  # each stratum's weight, strata in order of appearance
                boot = stratified_tables(ct.tables, wh[list(ct.levels[0])], n_boot, rng)
                tw = cluster_tables(a, b, K, {}, w).table
                res = table_intervals(tw, boot, len(a), CATEGORIES, confidence, "percentile",
                                      statistics, resampling="pairs within strata")
            else:
                use = "interviewers" if m == "unweighted" else m
                ct = cluster_tables(a, b, K, {c: f[c] for c in FACTORS[use]},
                                    None if m == "unweighted" else w)
                res = table_intervals(ct.table, pigeonhole_tables(ct, n_boot, rng), len(a),
                                      CATEGORIES, confidence, "percentile", statistics,
                                      resampling=use)
            at = {st: k for k, st in enumerate(res["statistic"].tolist())}
            low, high = res["ci_low"].to_numpy(dtype=float), res["ci_high"].to_numpy(dtype=float)
            for s in statistics:
                lo, hi = float(low[at[s]]), float(high[at[s]])
                hits[(m, s)].append(bool(lo <= truth[s] <= hi))
                widths[(m, s)].append(hi - lo)
    rows = []
    for (m, s), h in hits.items():
        c = float(np.mean(h))
        w = np.asarray(widths[(m, s)])
        rows.append({"method": m, "statistic": s, "truth": truth[s], "coverage": c,
                     "mc_se": float(np.sqrt(max(c * (1 - c), 1e-12) / n_studies)),
                     "mean_width": float(np.nanmean(w)) if np.isfinite(w).any() else np.nan,
                     "no_interval": float(np.mean(np.isnan(w))),
                     "n_studies": n_studies, "n_boot": n_boot})
    return pd.DataFrame(rows)
