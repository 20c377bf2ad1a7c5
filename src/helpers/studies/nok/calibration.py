"""Do the НОК verdicts keep their error rates? One seeded simulated study per call.

The benchmark ``benchmarks/bench_verdicts_nok.py`` repeats these over hundreds of seeds and reports the
rates with Monte-Carlo intervals; the tests pin a few seeds.

* :func:`null_study_verdicts` - 17 identical organisations of the demo's sizes, 10% of respondents
  unhappy about everything (:func:`helpers.studies.nok.demo.make_identical_organisations`): which
  organisations are called distinguishable from the region, and which are named by the
  dissatisfaction funnel at 99.8%. Every such call is false.
* :func:`proportion_funnel_outside` - proportion funnels at a target p₀ between 0.95 and 0.99 and
  denominators of 40-200: how many organisations fall outside the 95% limits by chance.
* :func:`true_total` - the true total of an organisation of the null study (for coverage).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.stats.funnel import binomial_tail_flags, funnel_table
from helpers.studies.nok.benchmark import dissatisfaction_funnel
from helpers.studies.nok.codebook import NokCodebook, load_nok_codebook
from helpers.studies.nok.demo import make_identical_organisations
from helpers.studies.nok.scoring import all_scores, score_organisations
from helpers.studies.nok.uncertainty import bootstrap_draws, rank_intervals, region_comparison

__all__ = ["coverage_of_totals", "null_study_verdicts", "proportion_funnel_outside", "true_total"]


def null_study_verdicts(seed: int, n_boot: int = 500, unhappy: float = 0.10, p_yes: float = 0.97,
                        n_sim: int = 10000) -> dict:
    """The verdicts of one null study (see the module docstring).

    Returns ``distinguishable`` (organisations called distinguishable from the region),
    ``named_998`` / ``named_998_od`` (organisations outside the dissatisfaction funnel's 99.8% limits,
    plain - respondent-level dispersion only - and widened for over-dispersion between organisations),
    ``respondent_phi``, ``min_p_holm`` and ``rank_width`` (mean width of the simultaneous rank
    intervals; all 17 ranks are tied in truth, so the widest honest interval is 1-17).
    """
    resp, orgs = make_identical_organisations(seed, unhappy=unhappy, p_yes=p_yes)
    scores = score_organisations(resp, orgs)
    draws = bootstrap_draws(resp, orgs, n_boot=n_boot, seed=seed, method="pooled")
    region = region_comparison(draws, scores["organisation_id"], scores["total"])
    ranks = rank_intervals(draws, scores["organisation_id"], scores["total"])
    funnel = dissatisfaction_funnel(resp, n_sim=n_sim, seed=seed)
    return {"distinguishable": int(region["distinguishable_from_region"].sum()),
            "named_998": int((funnel["outside998"] != "").sum()),
            "named_998_od": int((funnel["outside998_od"] != "").sum()),
            "respondent_phi": float(funnel["respondent_phi"].iloc[0]),
            "min_p_holm": float(region["p_holm"].min()),
            "rank_width": float((ranks["rank_high"] - ranks["rank_low"] + 1).mean())}


def proportion_funnel_outside(seed: int, n_units: int = 17, p_range: tuple[float, float] = (0.95, 0.99),
                              n_range: tuple[int, int] = (40, 200)) -> dict:
    """One funnel of ``n_units`` organisations, all at the same true share p₀ ~ U(p_range), denominators
    ~ U{n_range}. ``outside_known``: units outside the 95% limits around the true p₀
    (:func:`helpers.stats.funnel.binomial_tail_flags`); ``outside_pooled``: around the pooled share, as
    the report draws it (:func:`helpers.stats.funnel.funnel_table`, over-dispersion-adjusted flags)."""
    rng = np.random.default_rng([seed, 95])
    p0 = float(rng.uniform(*p_range))
    n = rng.integers(n_range[0], n_range[1] + 1, size=n_units)
    events = rng.binomial(n, p0)
    known = binomial_tail_flags(events, n, p0, 0.95)
    pooled = funnel_table(events, n, kind="proportion")
    return {"units": n_units, "p0": p0, "outside_known": int((known != "").sum()),
            "outside_pooled": int((pooled["outside95_od"] != "").sum())}


def true_total(unhappy: float = 0.10, p_yes: float = 0.97, codebook: NokCodebook | None = None) -> float:
    """The true total of every organisation of the null study: the checklist is complete (100) and every
    satisfaction share is (1 - unhappy)·p_yes, whatever its denominator.

    >>> round(true_total(), 4)
    91.364
    """
    cb = codebook or load_nok_codebook()
    share = (1 - unhappy) * p_yes
    counts = {}
    for ind in cb.survey_indicators:
        for k in range(1, len(cb.indicators[ind]["parts"]) + 1):
            counts[f"{ind}_u{k}"] = np.array([1.0])
            counts[f"{ind}_s{k}"] = np.array([share])
    _, orgs = make_identical_organisations(0, codebook=cb)
    return float(all_scores(counts, orgs.iloc[[0]].reset_index(drop=True), cb)["total"][0])


def coverage_of_totals(seeds, n_boot: int = 300) -> pd.DataFrame:
    """Per null study and organisation: the total's 95% interval and whether it covers :func:`true_total`.

    The interval is :func:`helpers.studies.nok.uncertainty.score_intervals` on classic draws, which is
    what the report's default ("mixed") gives the total of an organisation whose answers vary."""
    from helpers.studies.nok.uncertainty import score_intervals

    truth = true_total()
    frames = []
    for seed in seeds:
        resp, orgs = make_identical_organisations(seed)
        draws = bootstrap_draws(resp, orgs, n_boot=n_boot, seed=seed, method="classic")
        iv = score_intervals(resp, orgs, draws=draws)
        iv = iv[iv["measure"] == "total"].assign(seed=seed)
        frames.append(iv.assign(covered=(iv["ci_low"] <= truth) & (truth <= iv["ci_high"])))
    return pd.concat(frames, ignore_index=True)
