"""Simulated studies for the year-comparison verdicts: how often a change is reported, and whether the role
coefficient's interval covers the truth.

Used by ``benchmarks/bench_verdicts_years.py`` (>= 200 studies each) and, with a few studies, by the seeded
tests of ``tests/test_role_gap.py``.

- :func:`year_study` one 2018-2021 study shaped like the demo (:func:`~helpers.studies.mystery_guest.simulate.simulate_years`),
  with the social-worker gap constant (``"no_change"``) or growing in 2021 only (``"gap_grows"``: latent role
  shift -0.5 -> -0.9): whether the headline, the constant-instrument and the volunteer-only comparisons report a
  change (any Holm-adjusted contrast below 0.05), whether the gap check rejected, and the 2020-2021 changes;
  and the year model's role coefficient with its interval;
- :func:`role_study` the same design with a **linear** outcome (worker, interviewer and recipient effects,
  residual; role -4.5 points, phone +1), so the true role coefficient is known: its Wald and interviewer-df
  intervals and whether they cover;
- :func:`rate` a share with its Wilson (1927) 95% Monte-Carlo interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

__all__ = ["ROLE_TRUTH", "SCENARIOS", "rate", "role_study", "year_study"]

SCENARIOS = {"no_change": {2020: -0.5, 2021: -0.5}, "gap_grows": {2020: -0.5, 2021: -0.9}}
#: latent role shift by year of each scenario (2018-2019 have no social-worker interviews); no change in quality

ROLE_TRUTH = {"role": -4.5, "phone": 1.0, "sd_worker": 3.0, "sd_interviewer": 1.3, "sd_recipient": 3.2,
              "sd_residual": 5.0, "mean": 85.0}
#: the linear outcome of :func:`role_study` in points (about the year model's estimates on the demo-shaped studies)


def year_study(scenario: str, seed: int) -> dict:
    """One simulated study of ``scenario`` (:data:`SCENARIOS`): what each year comparison of the composite says.

    Keys: ``headline``, ``model``, ``volunteers`` (any Holm-adjusted contrast with p < 0.05 in that comparison),
    ``gap_rejected`` (the equal-gap check chose the volunteer-only headline), ``d_model``, ``d_volunteers``,
    ``d_headline`` (the 2020-2021 change, points; the truth is 0); the year model's role coefficient (volunteer
    minus social worker) ``role_coef, role_se, role_df, role_ci_low, role_ci_high`` and ``gap`` (the mean
    within-recipient gap, social worker minus volunteer, over the recipients of all paired years): with a
    constant gap the mean of ``-gap`` over many studies is the true role effect in points on the latent-logit
    answers, which has no closed form.
    """
    from helpers.studies.mystery_guest.role_gap import year_comparisons
    from helpers.studies.mystery_guest.scoring import score_interviews
    from helpers.studies.mystery_guest.simulate import simulate_years
    from helpers.studies.mystery_guest.trends import year_mixed_model

    st = simulate_years(seed=seed, role_shift=SCENARIOS[scenario])
    s = score_interviews(st.interviews)
    fit = year_mixed_model(s, roster=st.strata)
    yc = year_comparisons(s, roster=st.strata, fit=fit)
    role = fit.fixed.set_index("term").loc["C(role)[T.volunteer]"]
    g = yc.check.gaps[yc.check.gaps["n"] > 0]

    def pair(t):
        r = t[(t["year_a"] == 2020) & (t["year_b"] == 2021)]
        return float(r["difference"].iloc[0]) if len(r) else np.nan

    return {"headline": bool((yc.headline["p_adjusted"] < 0.05).any()),
            "model": bool((yc.model["p_adjusted"] < 0.05).any()),
            "volunteers": bool((yc.volunteers["p_adjusted"] < 0.05).any()),
            "gap_rejected": yc.check.headline == "volunteers", "gap_p": float(yc.check.p_value),
            "d_model": pair(yc.model), "d_volunteers": pair(yc.volunteers), "d_headline": pair(yc.headline),
            "role_coef": float(role["coef"]), "role_se": float(role["se"]), "role_df": float(role["df"]),
            "role_ci_low": float(role["ci_low"]), "role_ci_high": float(role["ci_high"]),
            "gap": float((g["estimate"] * g["n"]).sum() / g["n"].sum())}


def role_study(seed: int, alpha: float = 0.05, sd_interviewer: float | None = None) -> dict:
    """One study in the 2018-2021 design of :func:`~helpers.studies.mystery_guest.simulate.simulate_years` (4 social-
    worker and 6 volunteer interviewers) with the linear outcome of :data:`ROLE_TRUTH` (``sd_interviewer``
    replaces its interviewer SD); the year model's role coefficient (volunteer minus social worker, truth +4.5)
    with its Wald and its interviewer-df interval.

    Keys: ``coef``, ``se``, ``df``, ``wald_covers``, ``t_covers``, ``interviewers``.
    """
    from helpers.studies.mystery_guest.simulate import simulate_years
    from helpers.studies.mystery_guest.trends import year_mixed_model

    st = simulate_years(seed=seed)
    d = st.interviews[["year", "worker_id", "interviewer_id", "recipient_pid", "role", "mode", "stratum"]].copy()
    rng = np.random.default_rng([seed, 41])
    t = ROLE_TRUTH

    def effect(col, sd):
        codes, levels = pd.factorize(d[col])
        return rng.normal(0, sd, len(levels))[codes]

    sd_i = t["sd_interviewer"] if sd_interviewer is None else sd_interviewer
    d["composite"] = (t["mean"] + effect("worker_id", t["sd_worker"]) + effect("interviewer_id", sd_i)
                      + effect("recipient_pid", t["sd_recipient"]) + t["role"] * (d["role"] == "social_worker")
                      + t["phone"] * (d["mode"] == "phone") + rng.normal(0, t["sd_residual"], len(d)))
    fit = year_mixed_model(d, roster=st.strata, alpha=alpha)
    r = fit.fixed.set_index("term").loc["C(role)[T.volunteer]"]
    truth = -t["role"]
    z = stats.norm.ppf(1 - alpha / 2)
    return {"coef": float(r["coef"]), "se": float(r["se"]), "df": float(r["df"]),
            "wald_covers": bool(abs(r["coef"] - truth) <= z * r["se"]),
            "t_covers": bool(r["ci_low"] <= truth <= r["ci_high"]), "interviewers": int(d["interviewer_id"].nunique())}


def rate(hits, ci: float = 0.95) -> dict:
    """Share of ``hits`` (booleans) with its Wilson (1927, *JASA* 22:209) Monte-Carlo interval and ``n``.

    8 of 200: ``(p + z^2/2n) / (1 + z^2/n) -/+ z sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2/n)`` by hand gives
    0.02041 to 0.07693.

    >>> r = rate([True] * 8 + [False] * 192)
    >>> r["estimate"], r["n"], round(r["ci_low"], 4), round(r["ci_high"], 4)
    (0.04, 200, 0.0204, 0.0769)
    """
    h = np.asarray(list(hits), dtype=bool)
    k, n = int(h.sum()), len(h)
    lo, hi = proportion_confint(k, n, alpha=1 - ci, method="wilson") if n else (np.nan, np.nan)
    return {"estimate": k / n if n else np.nan, "ci_low": float(lo), "ci_high": float(hi), "n": n, "hits": k}
