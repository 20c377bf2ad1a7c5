"""Benchmarking НОК organisations: improvement plans, the region view and funnel plots.

As the Polish benchmarking group did (seed ``pl_social_assistance_benchmarking_2007_2008.txt``), every
organisation is compared with the group; where it is below the group (or below a target) on an
indicator it gets a corrective action. The shortfalls are of two kinds:

* **checklist items missing** (information on stands/site, remote channels, comfort and
  accessibility conditions): certain, no sampling error;
* **survey indicators** below the target or below the group mean, with the interval saying whether
  "below the group" is more than noise (``significant``: the interval's upper end is below the mean).

``points_in_total`` is what bringing the indicator to 100 would add to the organisation's total:
weight × (100 - value) / 5 (the total is the mean of five criteria), so a plan can be sorted by gain.

Funnels (:mod:`helpers.stats.funnel`): each satisfaction share against its denominator (exact
binomial limits), and the count of "no" answers against the count expected at the regional rates
(ratio; limits simulated from the region's respondents, since one respondent answers many
questions), both with and without over-dispersion between organisations. A point outside the limits is "unusual for
the group", a reason to look, not proof of a real difference.

**"Significant" in the improvement plan** (:func:`survey_shortfalls`): the indicator's 95% interval
lies wholly below the group mean. For one indicator of one organisation that is equal to the group,
the chance of this is about 2.5% (one-sided); it is not adjusted over the indicators and organisations
(11 survey indicators × the organisations), so among 17 organisations about 4-5 such calls are expected
by chance alone. It ranks the plan's rows; it is not a familywise verdict.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from helpers.stats.funnel import funnel_table, level_label, winsorise
from helpers.studies.nok.codebook import CRITERIA, NokCodebook, load_nok_codebook
from helpers.studies.nok.scoring import respondent_count_matrix

__all__ = ["checklist_gaps", "dissatisfaction_funnel", "funnel_outliers", "improvement_plan", "plan_priorities",
           "region_indicator_gaps", "region_view", "respondent_dispersion", "share_funnels", "survey_shortfalls"]


def _points_needed(spec: dict) -> int:
    return math.ceil(100 / spec["points"])


def checklist_gaps(organisations: pd.DataFrame, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """What each organisation lacks on the checklist, one row per checklist item group.

    ``present`` and ``required`` (items required by the legal list; for points indicators the count
    that gives 100 points: 4 channels at 30 points, 5 conditions at 20 points), ``missing``.

    >>> org = pd.DataFrame({"organisation_id": ["A"], "info_stand_required": [18], "info_stand_present": [16],
    ...     "info_site_required": [36], "info_site_present": [36], "remote_channels": [3],
    ...     "comfort_conditions": [5], "premises_conditions": [2], "services_conditions": [6]})
    >>> checklist_gaps(org)[["item", "present", "required", "missing"]].values.tolist()
    [['info_stand_present', 16, 18, 2], ['info_site_present', 36, 36, 0], ['remote_channels', 3, 4, 1], ['comfort_conditions', 5, 5, 0], ['premises_conditions', 2, 5, 3], ['services_conditions', 6, 5, 0]]
    """
    cb = codebook or load_nok_codebook()
    rows = []
    for _, org in organisations.iterrows():
        for ind, spec in cb.indicators.items():
            if spec["kind"] == "info_share":
                pairs = [(p["present"], int(org[p["present"]]), int(org[p["required"]])) for p in spec["parts"]]
            elif spec["kind"] == "points":
                pairs = [(spec["column"], int(org[spec["column"]]), _points_needed(spec))]
            else:
                continue
            rows += [{"organisation_id": org["organisation_id"], "criterion": spec["criterion"], "indicator": ind,
                      "item": item, "present": present, "required": required,
                      "missing": max(0, required - present)} for item, present, required in pairs]
    return pd.DataFrame(rows)


def survey_shortfalls(intervals: pd.DataFrame, target: float = 95.0) -> pd.DataFrame:
    """Survey indicators of every organisation against the target and the group.

    ``intervals`` is :func:`helpers.studies.nok.uncertainty.score_intervals`. The group mean is the
    mean over organisations of the indicator. ``below_group`` compares the estimate,
    ``significant`` says the whole 95% interval is below the group mean: a per-comparison error of about
    2.5% (one-sided) for each indicator of each organisation, not adjusted over the comparisons (see the
    module docstring).
    """
    s = intervals[intervals["source"] == "survey"].copy()
    s["group_mean"] = s.groupby("measure")["estimate"].transform("mean")
    s["target"] = target
    s["below_target"] = s["estimate"] < target
    s["below_group"] = s["estimate"] < s["group_mean"]
    s["significant"] = s["ci_high"] < s["group_mean"]
    return s.rename(columns={"measure": "indicator", "estimate": "value"}).reset_index(drop=True)


def improvement_plan(scores: pd.DataFrame, intervals: pd.DataFrame, organisations: pd.DataFrame,
                     target: float = 95.0, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """The actionable table: per organisation, every shortfall with its action, largest gain first.

    Rows: checklist indicators with items missing, and survey indicators below ``target`` or below
    the group. Columns: ``organisation_id, criterion, indicator, source, value, n, group_mean,
    below_target, below_group, significant, missing`` (checklist items) and ``points_in_total``; the action
    of each indicator is in the codebook (:func:`helpers.narrative.nok.plan_table` adds it in words).
    """
    cb = codebook or load_nok_codebook()
    gaps = checklist_gaps(organisations, cb)
    gaps = gaps[gaps["missing"] > 0].groupby(["organisation_id", "indicator"], as_index=False)["missing"].sum()
    long = scores.melt(id_vars="organisation_id", value_vars=cb.indicator_codes, var_name="indicator", value_name="value")
    checklist = long.merge(gaps, on=["organisation_id", "indicator"])
    checklist = checklist.assign(source="checklist", n=np.nan, group_mean=np.nan, below_target=False,
                                 below_group=False, significant=False)
    survey = survey_shortfalls(intervals, target)
    survey = survey[survey["below_target"] | survey["below_group"]].assign(missing=0)
    cols = ["organisation_id", "indicator", "source", "value", "n", "group_mean", "below_target", "below_group",
            "significant", "missing"]
    plan = pd.concat([checklist[cols], survey[cols]], ignore_index=True)
    plan.insert(1, "criterion", plan["indicator"].map(lambda i: cb.indicators[i]["criterion"]))
    plan["points_in_total"] = [cb.weight(i) * (100 - v) / 5 for i, v in zip(plan["indicator"], plan["value"], strict=True)]
    plan["n"] = plan["n"].astype("Int64")
    return plan.sort_values(["organisation_id", "points_in_total"], ascending=[True, False]).reset_index(drop=True)


def plan_priorities(plan: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """The ``top`` shortfalls of every organisation by points of the total, numbered ``priority`` 1, 2, …

    >>> p = pd.DataFrame({"organisation_id": ["A", "A", "B"], "points_in_total": [0.2, 1.0, 0.5]})
    >>> plan_priorities(p, top=1)[["organisation_id", "priority", "points_in_total"]].values.tolist()
    [['A', 1, 1.0], ['B', 1, 0.5]]
    """
    p = plan.sort_values(["organisation_id", "points_in_total"], ascending=[True, False], kind="stable")
    p = p.groupby("organisation_id", sort=True).head(top).copy()
    p.insert(1, "priority", p.groupby("organisation_id").cumcount() + 1)
    return p.reset_index(drop=True)


def region_view(scores: pd.DataFrame, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """Which criteria hold the region back: per criterion the regional mean (mean of organisations),
    the gap to 100, its share in the gap of the regional total, and how many organisations are below
    100 on it; largest gap first.

    >>> s = pd.DataFrame({"K1": [100.0, 98.0], "K2": [100.0, 100.0], "K3": [90.0, 94.0], "K4": [100.0, 100.0],
    ...                   "K5": [99.0, 99.0]})
    >>> region_view(s)[["criterion", "region_mean", "gap", "organisations_below_100"]].values.tolist()[:2]
    [['K3', 92.0, 8.0, 2], ['K1', 99.0, 1.0, 1]]
    """
    rows = []
    for k in CRITERIA:
        mean = float(scores[k].mean())
        rows.append({"criterion": k, "region_mean": mean, "gap": 100 - mean, "gap_in_total": (100 - mean) / 5,
                     "organisations_below_100": int((scores[k] < 100 - 1e-9).sum())})
    out = pd.DataFrame(rows)
    total_gap = out["gap_in_total"].sum()
    out["share_of_total_gap"] = out["gap_in_total"] / total_gap if total_gap > 0 else 0.0
    return out.sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)


def region_indicator_gaps(scores: pd.DataFrame, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """Per indicator: regional mean, and what its gap costs the regional total (weight × gap / 5)."""
    cb = codebook or load_nok_codebook()
    rows = [{"criterion": spec["criterion"], "indicator": ind,
             "source": "survey" if spec["kind"] == "survey" else "checklist",
             "region_mean": float(scores[ind].mean()),
             "gap_in_total": cb.weight(ind) * (100 - float(scores[ind].mean())) / 5}
            for ind, spec in cb.indicators.items()]
    return pd.DataFrame(rows).sort_values("gap_in_total", ascending=False, kind="stable").reset_index(drop=True)


# ---- funnels -----------------------------------------------------------------------------------------
def _share_counts(respondents: pd.DataFrame, cb: NokCodebook) -> pd.DataFrame:
    m = respondent_count_matrix(respondents.assign(organisation_id=respondents["organisation_id"].astype(str)), cb)
    return m.groupby("organisation_id", sort=True).sum()


def share_funnels(respondents: pd.DataFrame, codebook: NokCodebook | None = None, trim: float = 0.1) -> pd.DataFrame:
    """A proportion funnel for every satisfaction question (every share of a survey indicator).

    Long table: ``indicator, question`` (the satisfaction question), ``organisation_id``, ``events``
    (S), ``size`` (U), ``value`` (S/U), ``z``, limits ``ll95 … ul998`` and ``… _od``, flags
    ``outside95 … outside998_od``, and the question's ``phi``, ``tau2_estimated``, ``homogeneity_p`` (Pearson's
    test of one common share), ``tau2`` (applied to the ``_od`` limits: 0 unless that test rejects at 5%) and
    ``target`` (pooled share; the plain limits are conditional on the pooled total). Organisations with a zero denominator for a question are left out of its funnel.
    """
    cb = codebook or load_nok_codebook()
    counts = _share_counts(respondents, cb)
    frames = []
    for ind in cb.survey_indicators:
        for k, part in enumerate(cb.indicators[ind]["parts"], start=1):
            c = counts[counts[f"{ind}_u{k}"] > 0]
            if c.empty:  # nobody in the denominator anywhere: no funnel for this share
                continue
            t = funnel_table(c[f"{ind}_s{k}"], c[f"{ind}_u{k}"], kind="proportion", units=c.index.to_numpy(), trim=trim)
            t = t.rename(columns={"unit": "organisation_id"})
            t.insert(1, "events", c[f"{ind}_s{k}"].to_numpy())
            t["size"] = t["size"].astype("int64")
            frames.append(t.assign(indicator=ind, question=part["numerator"], phi=t.attrs["phi"],
                                   tau2_estimated=t.attrs["tau2_estimated"],
                                   homogeneity_p=t.attrs["homogeneity_p"], tau2=t.attrs["tau2"],
                                   target=t.attrs["target"]))
    out = pd.concat(frames, ignore_index=True)
    return out[["indicator", "question", *[c for c in out.columns if c not in ("indicator", "question")]]]


def respondent_dispersion(respondents: pd.DataFrame, codebook: NokCodebook | None = None) -> pd.DataFrame:
    """Each respondent's "no" answers to the satisfaction questions, c_i, and the number expected, e_i.

    ``e_i = Σ_q u_iq · r_q``: the shares q whose denominator the respondent is in (u_iq = 1), times the
    regional rate of "no" to q, r_q = Σ_i (u_iq - s_iq) / Σ_i u_iq. Columns ``organisation_id, observed``
    (c_i), ``expected`` (e_i); the respondent-level dispersion is in ``attrs["phi"]`` (see
    :func:`dissatisfaction_funnel`).
    """
    cb = codebook or load_nok_codebook()
    m = respondent_count_matrix(respondents.assign(organisation_id=respondents["organisation_id"].astype(str)), cb)
    c, e = np.zeros(len(m)), np.zeros(len(m))
    rates = 0
    for ind in cb.survey_indicators:
        for k in range(1, len(cb.indicators[ind]["parts"]) + 1):
            u, s = m[f"{ind}_u{k}"].to_numpy(float), m[f"{ind}_s{k}"].to_numpy(float)
            if u.sum() == 0:
                continue
            c += u - s
            e += u * (u - s).sum() / u.sum()
            rates += int((u - s).sum() > 0)  # a rate estimated at 0 adds nothing to c_i - e_i
    out = pd.DataFrame({"organisation_id": m["organisation_id"].to_numpy(), "observed": c, "expected": e})
    asked = e > 0
    dof = int(asked.sum()) - rates
    pearson = float((((c - e) ** 2)[asked] / e[asked]).sum())
    out.attrs["phi"] = max(1.0, pearson / dof) if dof > 0 else 1.0
    return out


def _tails(sims: np.ndarray, value: float) -> tuple[float, float]:
    """Mid-p tails of ``value`` in the simulated distribution ``sims``: P(X < v) + ½P(X = v), P(X > v) + ½P(X = v)."""
    equal = np.isclose(sims, value, rtol=1e-9, atol=0.0)  # the same count summed in another order
    below = float(np.mean((sims < value) & ~equal))
    return below + float(equal.mean()) / 2, 1.0 - below - float(equal.mean()) / 2


def dissatisfaction_funnel(respondents: pd.DataFrame, codebook: NokCodebook | None = None,
                           trim: float = 0.1, n_sim: int = 20000, seed: int = 2021,
                           levels: tuple[float, ...] = (0.95, 0.998)) -> pd.DataFrame:
    """Observed "no" answers to the satisfaction questions against the number expected at the regional rates.

    E_org = Σ_q U_q,org × (regional share of "no" to q); O/E = 1 means dissatisfaction as common as in
    the region.

    **One respondent answers many questions.** A respondent unhappy about everything says "no" a dozen
    times, so an organisation's "no" answers are not independent Poisson events (Poisson limits name an
    organisation of a null study in most data sets), nor a scaled Poisson count: with 10% of
    respondents unhappy about everything, a small organisation has none of them in about 1% of surveys
    (0.9⁴¹), far more often than a count φ times more variable than Poisson allows (it would be named
    at 99.8% in 6-7% of null studies). The limits are therefore those of the respondents themselves: an
    organisation of n respondents is simulated ``n_sim`` times by drawing n respondents, each with
    their observed c_i and expected e_i "no" answers (:func:`respondent_dispersion`), from the pooled
    respondents of the region, and

        limits = quantiles α/2 and 1 - α/2 of O*/E* = Σ c*/Σ e*;

    an organisation is outside when the mid-p tail of its O/E among the simulated ratios is below α/2
    (``z`` is the normal quantile of that lower tail). This is the null distribution of an organisation
    whose respondents are like the region's (a respondent-level bootstrap; Efron & Tibshirani 1993,
    ch. 16 for bootstrap tests). The respondent-level dispersion φ = Σ(c_i - e_i)²/e_i/(N - Q) is
    reported as ``respondent_phi``.

    **Over-dispersion between organisations** (``_od`` columns): multiplicative, Spiegelhalter (2005,
    QSHC 14:347): φ_org = mean of the squared z-scores winsorised at ``trim``; when φ_org > 1, the
    limits are the simulated quantiles at the wider level Φ(± z_α √φ_org) and the flags use it too.

    An organisation outside the 99.8% ``_od`` limits is **unusual for the group**: its dissatisfaction is
    unlikely to be that far from the region's by chance, which is a reason to look, not proof of a
    real difference. Columns: ``organisation_id, observed, expected, value`` (O/E), ``z``, ``ll95 …
    ul998`` and ``… _od``, ``outside95 … outside998_od``, ``respondent_phi`` and ``phi`` (φ_org).
    """
    cb = codebook or load_nok_codebook()
    per = respondent_dispersion(respondents, cb)
    c, e = per["observed"].to_numpy(), per["expected"].to_numpy()
    sums = per.groupby("organisation_id", sort=True)[["observed", "expected"]].agg(["sum", "size"])
    keep = sums[("expected", "sum")].to_numpy() > 0
    sums = sums[keep]
    rng = np.random.default_rng(seed)
    sizes = sums[("observed", "size")].to_numpy().astype(int)
    # one stream of respondents per simulation; an organisation of n respondents takes the first n (the
    # running sums give every size at once; organisations share the draws, each one's distribution is exact)
    idx = rng.integers(0, len(c), size=(n_sim, int(sizes.max()) if len(sizes) else 0))
    c_run, e_run = np.cumsum(c[idx], axis=1), np.cumsum(e[idx], axis=1)
    rows, sims_of = [], []
    for (org, r), n in zip(sums.iterrows(), sizes, strict=True):
        ratio = r[("observed", "sum")] / r[("expected", "sum")]
        e_sum = e_run[:, n - 1]
        sims = np.where(e_sum > 0, c_run[:, n - 1] / np.where(e_sum > 0, e_sum, 1), 1.0)
        low_tail, high_tail = _tails(sims, ratio)
        rows.append({"organisation_id": org, "observed": r[("observed", "sum")], "expected": r[("expected", "sum")],
                     "value": ratio, "z": float(stats.norm.ppf(np.clip(low_tail, 0.5 / n_sim, 1 - 0.5 / n_sim))),
                     "_tails": (low_tail, high_tail)})
        sims_of.append(sims)
    out = pd.DataFrame(rows)
    if out.empty:
        return out.drop(columns="_tails", errors="ignore")
    phi_org = float(np.mean(winsorise(out["z"].to_numpy(), trim) ** 2)) if len(out) > 1 else 1.0
    widen = np.sqrt(max(1.0, phi_org))
    for level in levels:
        lab = level_label(level)
        half = {"": (1 - level) / 2, "_od": float(stats.norm.cdf(-stats.norm.isf((1 - level) / 2) * widen))}
        for suffix, a in half.items():
            out[f"ll{lab}{suffix}"] = [float(np.quantile(x, a)) for x in sims_of]
            out[f"ul{lab}{suffix}"] = [float(np.quantile(x, 1 - a)) for x in sims_of]
            out[f"outside{lab}{suffix}"] = ["below" if lo < a else "above" if hi < a else "" for lo, hi in out["_tails"]]
    out = out.drop(columns="_tails")
    out.attrs.update(respondent_phi=per.attrs["phi"], phi=phi_org, n_sim=n_sim)
    return out.assign(respondent_phi=per.attrs["phi"], phi=phi_org)


def funnel_outliers(funnel: pd.DataFrame, adjusted: bool = True, levels: tuple[str, ...] = ("95", "998")) -> pd.DataFrame:
    """Rows outside the limits of any of ``levels`` (over-dispersion-adjusted limits by default)."""
    suffix = "_od" if adjusted else ""
    mask = np.zeros(len(funnel), dtype=bool)
    for level in levels:
        mask |= (funnel[f"outside{level}{suffix}"] != "").to_numpy()
    return funnel[mask].reset_index(drop=True)
