"""Tests written to kill surviving mutants of ``stats/survey.py`` (docs/mutation/survey.md).

Every expected value is computed here from the textbook formula, not from the module: the stratified mean
``sum_h (N_h / N) ybar_h`` and Lohr's (2019, eq. 3.6) variance ``sum_h (1 - n_h/N_h) (N_h/N)^2 s_h^2 / n_h`` on
the recipients' means (with the same number of interviews per recipient the linearised variance of the module
is exactly this), ``t`` intervals on ``n_psu - H`` degrees of freedom, and the Korn-Graubard interval of
``survey::svyciprop(method = "beta")``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.stats.survey import (
    design_weights,
    weighted_mean,
    weighted_share,
    weighted_vs_unweighted,
)


def _lohr(groups: dict[str, tuple[float, list[float]]]) -> tuple[float, float]:
    """Stratified mean and variance (Lohr 3.6) of ``{stratum: (N_h, recipient means)}``."""
    big_n = sum(n for n, _ in groups.values())
    mean = sum(n / big_n * np.mean(v) for n, v in groups.values())
    var = sum((1 - len(v) / n) * (n / big_n) ** 2 * np.var(v, ddof=1) / len(v) for n, v in groups.values()
              if len(v) > 1)
    return mean, var


@pytest.fixture(scope="module")
def panel():
    """Two interviews per recipient (volunteer and social worker): home care, 4 recipients of 400; temporary
    residence, a census of 3 recipients. ``score`` on 0-100, ``top`` 0/1."""
    rec = ["h1", "h2", "h3", "h4", "t1", "t2", "t3"]
    score = {"h1": (70, 80), "h2": (84, 86), "h3": (60, 70), "h4": (90, 80), "t1": (100, 96), "t2": (90, 94),
             "t3": (98, 98)}
    top = {"h1": (0, 1), "h2": (1, 1), "h3": (0, 0), "h4": (1, 0), "t1": (1, 1), "t2": (0, 1), "t3": (1, 1)}
    rows = [{"year": 2020, "stratum": "home" if r[0] == "h" else "temp", "recipient_pid": r, "score": float(s),
             "top": float(t)} for r in rec for s, t in zip(score[r], top[r], strict=True)]
    roster = pd.DataFrame({"year": [2020, 2020], "stratum": ["home", "temp"], "population": [400, 3]})
    return pd.DataFrame(rows), roster, score, top


def test_survey_weighted_vs_unweighted_every_column_by_hand(panel):
    """Weighted: stratified by the roster and clustered on the recipient (Lohr 3.6 on recipient means, the
    census stratum without variance); unweighted: the plain mean of 14 interviews with the SE of 7 recipients.
    Interval level, ``n`` and ``n_recipients`` as asked."""
    frame, roster, score, _ = panel
    t = weighted_vs_unweighted(frame, ["score"], roster, ci=0.9).iloc[0]
    means = {r: np.mean(v) for r, v in score.items()}
    est, var = _lohr({"home": (400, [means[r] for r in ("h1", "h2", "h3", "h4")]),
                      "temp": (3, [means[r] for r in ("t1", "t2", "t3")])})
    assert t["weighted"] == pytest.approx(est, rel=1e-12)
    assert t["weighted_se"] == pytest.approx(np.sqrt(var), rel=1e-10)
    half = stats.t.ppf(0.95, 7 - 2) * np.sqrt(var)
    assert (t["weighted_ci_low"], t["weighted_ci_high"]) == pytest.approx((est - half, est + half), rel=1e-10)
    plain = frame["score"].mean()
    se = np.std(list(means.values()), ddof=1) / np.sqrt(7)  # equal weights: the SE of 7 recipient means
    assert t["unweighted"] == pytest.approx(plain) and t["unweighted_se"] == pytest.approx(se, rel=1e-10)
    uhalf = stats.t.ppf(0.95, 7 - 1) * se
    assert (t["unweighted_ci_low"], t["unweighted_ci_high"]) == pytest.approx((plain - uhalf, plain + uhalf))
    assert (t["n"], t["n_recipients"]) == (14, 7)
    assert t["difference"] == pytest.approx(est - plain) and t["measure"] == "score"


def test_survey_weighted_vs_unweighted_shares_in_points(panel):
    """``share=True``: the design-weighted share and its Korn-Graubard interval (svyciprop "beta", by hand),
    in percentage points, and the unweighted share."""
    frame, roster, _, top = panel
    t = weighted_vs_unweighted(frame, ["top"], roster, share=True).iloc[0]
    means = {r: np.mean(v) for r, v in top.items()}
    p, var = _lohr({"home": (400, [means[r] for r in ("h1", "h2", "h3", "h4")]),
                    "temp": (3, [means[r] for r in ("t1", "t2", "t3")])})
    n_eff = p * (1 - p) / var * (stats.t.ppf(0.025, 14 - 1) / stats.t.ppf(0.025, 7 - 2)) ** 2
    low = stats.beta.ppf(0.025, n_eff * p, n_eff * (1 - p) + 1)
    high = stats.beta.ppf(0.975, n_eff * p + 1, n_eff * (1 - p))
    assert t["weighted"] == pytest.approx(100 * p) and t["weighted_se"] == pytest.approx(100 * np.sqrt(var))
    assert (t["weighted_ci_low"], t["weighted_ci_high"]) == pytest.approx((100 * low, 100 * high), rel=1e-8)
    assert t["unweighted"] == pytest.approx(100 * frame["top"].mean())


def test_survey_material_by_size_or_by_the_interval(panel):
    """Material: a difference of at least ``material`` points (default 1), or an unweighted figure outside the
    weighted interval. Home care (recipient means 80, 84, 78, 82) and temporary residence ``delta`` higher: the
    weighted mean is ``81 + 3/403 delta``, the unweighted ``81 + 6/14 delta``. A difference of 0.9 point inside
    the interval is not material, 1.001 points are; 4 points with ``material=5`` is, only because it falls outside the
    weighted interval (half-width ``t_5 SE``, 3.3 points)."""
    _, roster, _, _ = panel
    home = {"h1": (79, 81), "h2": (83, 85), "h3": (77, 79), "h4": (81, 83)}

    def frame(delta):
        rows = [("home", r, s) for r, v in home.items() for s in v]
        rows += [("temp", r, 81.0 + delta) for r in ("t1", "t2", "t3") for _ in range(2)]
        return pd.DataFrame(rows, columns=["stratum", "recipient_pid", "score"]).assign(year=2020)

    _, var = _lohr({"home": (400, [80, 84, 78, 82]), "temp": (3, [81.0, 81.0, 81.0])})
    half = stats.t.ppf(0.975, 5) * np.sqrt(var)
    assert 3.2 < half < 3.4
    for d, material, expected in ((0.9, 1.0, False), (1.001, 1.0, True), (4.0, 5.0, True), (3.0, 5.0, False)):
        delta = -d / (3 / 403 - 6 / 14)
        kw = {} if material == 1.0 else {"material": material}
        t = weighted_vs_unweighted(frame(delta), ["score"], roster, **kw).iloc[0]
        assert t["difference"] == pytest.approx(-d, rel=1e-9)
        assert t["weighted_se"] == pytest.approx(np.sqrt(var), rel=1e-9)
        assert bool(t["material"]) is expected


def test_survey_design_weights_refuse_a_bad_roster_naming_the_strata():
    """A roster with a stratum twice, or with a population of 0, is refused; the message names the strata of the
    frame that have no positive population, as (year, stratum) or, with ``by=("stratum",)``, as the stratum."""
    f = pd.DataFrame({"year": [2020] * 4, "stratum": ["a", "a", "b", "c"]})
    roster = pd.DataFrame({"year": [2020] * 3, "stratum": ["a", "b", "c"], "population": [30, 0, 1]})
    with pytest.raises(ValueError, match="^roster has duplicate strata$"):
        design_weights(f, pd.concat([roster, roster.iloc[[0]]]))
    with pytest.raises(ValueError, match=r"population <= 0: \[\(2020, 'b'\)\]$"):
        design_weights(f, roster)
    with pytest.raises(ValueError, match=r"population <= 0: \['b'\]$"):
        design_weights(f, roster, by=("stratum",))
    ok = roster.assign(population=[30, 1, 2])
    assert design_weights(f, ok).tolist() == [15.0, 15.0, 1.0, 2.0]  # N_h / n_h
    assert design_weights(f, ok, by=("stratum",)).tolist() == [15.0, 15.0, 1.0, 2.0]
    half = roster.assign(population=[30, 0.5, 1])  # a population between 0 and 1 is positive
    assert design_weights(f, half).tolist() == [15.0, 15.0, 0.5, 1.0]


def test_survey_prepare_refuses_bad_weights():
    """Weights must be as many as the values, positive (0 refused) and present."""
    with pytest.raises(ValueError, match="^values and weights differ in length$"):
        weighted_mean([1.0, 2.0], [1.0])
    for w in ([1.0, 0.0], [1.0, -2.0], [1.0, np.nan]):
        with pytest.raises(ValueError, match="^weights must be positive and non-missing$"):
            weighted_mean([1.0, 2.0], w)


def test_survey_census_strata_and_the_reasons_for_no_interval():
    """A census stratum of one unit (n_h = N_h = 1) adds no variance and no NaN (FPC 0); a sampled stratum of
    one unit makes the SE NaN, named once however many such strata; one unit per stratum everywhere leaves
    no degree of freedom (``too_few_psu``, df 1); no value at all gives ``no_values``."""
    r = weighted_mean([1.0, 2.0, 3.0], [10.0, 10.0, 1.0], ["A", "A", "B"])
    assert r.estimate == pytest.approx((20 * 1.5 + 1 * 3) / 21)
    assert r.se**2 == pytest.approx((1 - 2 / 20) * (20 / 21) ** 2 * 0.5 / 2, rel=1e-12)
    assert (r.n, r.n_psu, r.df, r.reason, r.confidence) == (3, 3, 1.0, "", 0.95)
    first = weighted_mean([3.0, 1.0, 2.0], [1.0, 10.0, 10.0], ["B", "A", "A"])  # the census stratum first
    assert (first.estimate, first.se) == pytest.approx((r.estimate, r.se), rel=1e-12)
    half = stats.t.ppf(0.975, 1) * r.se
    assert (r.ci_low, r.ci_high) == pytest.approx((r.estimate - half, r.estimate + half))
    two = weighted_mean([1.0, 2.0, 3.0, 4.0], [10.0, 10.0, 5.0, 5.0], ["A", "A", "B", "C"])
    assert np.isnan(two.se) and np.isnan(two.ci_low) and two.reason == "single_psu_stratum"
    census = weighted_mean([1.0, 2.0], [1.0, 1.0], ["A", "B"])
    assert census.se == 0.0 and (census.n_psu, census.df, census.reason) == (2, 1.0, "too_few_psu")
    assert np.isnan(census.ci_low) and np.isnan(census.ci_high) and census.estimate == 1.5
    none = weighted_mean([np.nan, np.nan], [1.0, 1.0], ["A", "A"])
    assert (none.n, none.n_psu, none.reason, none.confidence) == (0, 0, "no_values", 0.95)
    assert np.isnan(none.estimate) and np.isnan(none.se) and np.isnan(none.df)
    assert weighted_share([np.nan, np.nan]).reason == "no_values"


def test_survey_share_without_design_variance_is_clopper_pearson():
    """SE 0 (a census of each stratum, or every answer the same): the exact Clopper-Pearson interval of the
    sampling units (scipy's ``binomtest``), at the level asked for; 0 of 10 has the lower limit 0."""
    r = weighted_share([1, 0, 1, 0], [1.0, 1.0, 1.0, 1.0], ["A", "A", "B", "B"])
    cp = stats.binomtest(2, 4).proportion_ci(0.95, method="exact")
    assert r.se == 0 and (r.ci_low, r.ci_high) == pytest.approx((cp.low, cp.high), rel=1e-9)
    zero = weighted_share([0] * 10, ci=0.9)
    cp = stats.binomtest(0, 10).proportion_ci(0.9, method="exact")
    assert (zero.ci_low, zero.ci_high) == pytest.approx((0.0, cp.high), rel=1e-9)
    one = weighted_share([1] * 10, ci=0.9)
    assert (one.ci_low, one.ci_high) == pytest.approx((0.05 ** (1 / 10), 1.0), rel=1e-9)
    assert one.confidence == 0.9


def test_survey_share_korn_graubard_at_another_level():
    """8 of 10 at 90%: ``n_eff = 9`` (equal weights, df = n - 1), interval ``[B(0.05; 7.2, 2.8), B(0.95; 8.2, 1.8)]``."""
    r = weighted_share([1, 0, 1, 1, 0, 1, 1, 1, 1, 1], ci=0.9)
    assert (r.ci_low, r.ci_high) == pytest.approx((stats.beta.ppf(0.05, 7.2, 2.8), stats.beta.ppf(0.95, 8.2, 1.8)),
                                                  rel=1e-9)
    assert (r.n, r.n_psu, r.df) == (10, 10, 9.0)


def test_survey_share_of_one_answer_and_of_non_indicators():
    """One answer of 1: the Clopper-Pearson interval of 1 of 1, [0.025, 1] (no design SE, but an interval).
    A value other than 0/1 is refused with the reason."""
    r = weighted_share([1])
    assert (r.estimate, r.n, r.n_psu) == (1.0, 1, 1)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.025, 1.0), rel=1e-9)
    with pytest.raises(ValueError, match=r"^indicator must be 0/1 \(or missing\)$"):
        weighted_share([0, 1, 2])


def test_survey_unequal_weights_in_one_stratum_by_the_linearisation_formula():
    """Unequal weights without strata: the Taylor-linearised variance of the ratio ``sum w y / sum w``
    (Lohr, 2019, ch. 9; R ``svymean`` with ``ids = ~1``, no FPC) ``n/(n-1) sum w_i^2 (y_i - ybar_w)^2 / (sum w)^2``,
    and with clusters of unequal size the same on the cluster totals of ``w_i (y_i - ybar_w)``."""
    y, w = np.array([1.0, 2.0, 4.0, 7.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0, 2.0])
    ybar = (w * y).sum() / w.sum()
    r = weighted_mean(y, w)
    assert r.estimate == pytest.approx(ybar)
    assert r.se**2 == pytest.approx(5 / 4 * (w**2 * (y - ybar) ** 2).sum() / w.sum() ** 2, rel=1e-12)
    c = weighted_mean(y, w, clusters=["a", "a", "b", "b", "b"])
    e = w * (y - ybar)
    totals = np.array([e[:2].sum(), e[2:].sum()])
    assert c.se**2 == pytest.approx(2 / 1 * ((totals - totals.mean()) ** 2).sum() / w.sum() ** 2, rel=1e-12)


def test_survey_share_interval_with_fewer_than_one_expected_success_and_two_answers():
    """Equal weights: ``n_eff = n - 1`` and no degrees-of-freedom adjustment. 1 of 10: ``x = 0.9`` (below 1, still a
    beta quantile, not 0); 1 of 2: ``n_eff = 1``, ``x = 0.5``."""
    r = weighted_share([1] + [0] * 9)
    assert (r.ci_low, r.ci_high) == pytest.approx((stats.beta.ppf(0.025, 0.9, 9.1), stats.beta.ppf(0.975, 1.9, 8.1)),
                                                  rel=1e-9)
    assert r.ci_low > 0
    two = weighted_share([1, 0])
    assert (two.ci_low, two.ci_high) == pytest.approx((stats.beta.ppf(0.025, 0.5, 1.5), stats.beta.ppf(0.975, 1.5, 0.5)),
                                                      rel=1e-9)
