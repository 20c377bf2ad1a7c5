"""How often are social workers flagged when nothing differs, and are planted changes still found?

Seeded simulations of the Mystery Guest design (:func:`helpers.studies.mystery_guest.simulate.simulate_panel`):

- **recognition / concern lists** (:func:`helpers.studies.mystery_guest.scoring.recognition_lists`): one 2020-shaped year -
  15 workers, 144 recipients interviewed twice (a volunteer and a social worker), 9 interviewers - with
  **no true differences between workers**; P(at least one worker listed) for the composite;
- **improved / declined flags** (:func:`helpers.studies.mystery_guest.trends.worker_trajectories`; ``--sd-worker-year``
  adds a worker x year fluctuation, default 0 - the fluctuation of SD 0.3 is measured in bench_verdicts_workers.py): the demo's four-year design
  (2018-2019: 4-5 workers, one volunteer interview per recipient; 2020-2021: the paired design above),
  recipients recurring and keeping their effect, demo year effects, workers differing (SD 0.55 on the
  latent scale) but **no worker changing**; P(at least one worker flagged);
- power: the same design with the demo's planted slopes (W02 -0.4, W03 +0.4 per year on the latent
  scale): share of studies where each is found with the right sign, and P(any other worker flagged).

"before" is the rule of the previous release, recomputed here: trajectories = weighted least-squares
slope of the per-year cell means with per-cell clustered SEs and a normal quantile, no multiplicity
control; recognition = the adjusted score's whole 95% interval above / below the organisation mean.
"after" is the current default (Holm across the workers; recognition: each worker against the mean of the others with
the workers as fixed effects, Satterthwaite t; trajectories: Satterthwaite t with the worker x year term always in).

Run: ``.venv/bin/python benchmarks/bench_worker_flags.py [--sims 200] [--before-sims 60]``. Prints a table and rewrites its
section of benchmarks/RESULTS.md. Measures, does not assert (the fast versions are in
tests/test_worker_flags.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _results import table, write_section  # noqa: E402
from scipy import stats  # noqa: E402

from helpers.studies.mystery_guest import trends as T  # noqa: E402
from helpers.studies.mystery_guest.scoring import (  # noqa: E402
    recognition_lists,
    score_interviews,
    worker_scores,
    worker_slopes,
)
from helpers.studies.mystery_guest.simulate import DEMO_SHAPE, simulate_panel  # noqa: E402

YEAR_EFFECT = {2018: 0.0, 2019: 0.25, 2020: -0.45, 2021: 0.1}  # the demo's planted year effects


def old_trajectory_flags(per_year: pd.DataFrame) -> pd.Series:
    """The previous release's rule: WLS slope of the relative cell means, 1 / se^2 weights, |z| > 1.96."""
    out = {}
    for w, g in per_year.groupby("worker_id"):
        g = g[np.isfinite(g["se"]) & (g["se"] > 0)]
        if len(g) < 2:
            continue
        x, y, wt = g["year"].to_numpy(float), g["relative"].to_numpy(), 1 / g["se"].to_numpy() ** 2
        xb = (wt * x).sum() / wt.sum()
        sxx = (wt * (x - xb) ** 2).sum()
        slope = (wt * (x - xb) * y).sum() / sxx
        out[w] = "improved" if slope - 1.96 / np.sqrt(sxx) > 0 else "declined" if slope + 1.96 / np.sqrt(sxx) < 0 else ""
    return pd.Series(out, dtype=object)


def trajectories(n_sims: int, n_before: int, slopes: dict | None, seed0: int, sd_worker_year: float = 0.0) -> dict:
    """P(flags) after (all ``n_sims`` studies) and before (the first ``n_before``: the old rule needs the slow
    statsmodels year model of :func:`helpers.studies.mystery_guest.trends.year_mixed_model`)."""
    after, before = [], []
    for s in range(n_sims):
        st = simulate_panel(sd_worker=0.55, year_effect=YEAR_EFFECT, slopes=slopes, sd_worker_year=sd_worker_year,
                            seed=seed0 + s, **DEMO_SHAPE)
        scored = score_interviews(st.interviews)
        change = worker_slopes(scored)
        results = [(after, change.set_index("worker_id")["direction"].replace("within_uncertainty", ""))]
        if s < n_before:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = T.year_mixed_model(scored)
            per_year, _ = T.worker_trajectories(scored, fit=fit)
            results.append((before, old_trajectory_flags(per_year)))
        for rows, flags in results:
            others = flags.drop(list(slopes or {}), errors="ignore")
            row = {"any_false": bool((others != "").any())}
            for w, b in (slopes or {}).items():
                row[w] = flags.get(w, "") == ("improved" if b > 0 else "declined")
            if rows is after:
                other = ~change["worker_id"].isin(list(slopes or {}))
                row["unadjusted_any"] = bool((change.loc[other, "p"] < 0.05).any())
            rows.append(row)
    return {"after": pd.DataFrame(after).mean().to_dict(), "before": pd.DataFrame(before).mean().to_dict()}


def recognition(n_sims: int, seed0: int) -> dict:
    rows = []
    for s in range(n_sims):
        st = simulate_panel(years=(2020,), sd_worker=0.0, seed=seed0 + s)
        w = worker_scores(score_interviews(st.interviews))
        old = ((w["ci_low"] > w["org_mean"]) | (w["ci_high"] < w["org_mean"])).any()
        lists = recognition_lists(w)
        rows.append({"before_any_false": bool(old), "after_any_false": len(lists) > 0,
                     "after_unadjusted_any": len(recognition_lists(w, method="none")) > 0})
    return pd.DataFrame(rows).mean().to_dict()


def wilson(p: float, n: int) -> str:
    if n == 0 or p != p:
        return "not run"
    z = stats.norm.ppf(0.975)
    c, h = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return f"{p:.3f} [{(c - h) / (1 + z * z / n):.3f}, {(c + h) / (1 + z * z / n):.3f}]"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=200)
    ap.add_argument("--before-sims", type=int, default=60, help="studies for the previous release's rules (slow)")
    ap.add_argument("--slope", type=float, default=0.4, help="planted |slope| of W02 (-) and W03 (+), latent scale")
    ap.add_argument("--sd-worker-year", type=float, default=0.0,
                    help="SD of the worker x year fluctuation (latent); 0.3 in bench_verdicts_workers.py")
    a = ap.parse_args()
    planted = {"W02": -a.slope, "W03": a.slope}
    n, nb = a.sims, min(a.before_sims, a.sims)
    t0 = time.perf_counter()
    rec = recognition(n, 10_000)
    null = trajectories(n, nb, None, 20_000, a.sd_worker_year)
    alt = trajectories(n, nb, planted, 30_000, a.sd_worker_year)
    secs = time.perf_counter() - t0
    cols = ("before", "after (Holm)", "after without multiplicity control")
    rows = [
        {"flag": "recognition / concern (composite, 2020 design)", "scenario": "no differences between 15 workers",
         "quantity": "P(any worker listed)", cols[0]: wilson(rec["before_any_false"], n),
         cols[1]: wilson(rec["after_any_false"], n), cols[2]: wilson(rec["after_unadjusted_any"], n)},
        {"flag": "improved / declined (2018-2021 demo design)", "scenario": "no worker changes",
         "quantity": "P(any worker flagged)", cols[0]: wilson(null["before"].get("any_false", np.nan), nb),
         cols[1]: wilson(null["after"]["any_false"], n), cols[2]: wilson(null["after"]["unadjusted_any"], n)},
        {"flag": "improved / declined", "scenario": f"W02 -{a.slope:g}/yr, W03 +{a.slope:g}/yr planted",
         "quantity": "P(any other worker flagged)", cols[0]: wilson(alt["before"].get("any_false", np.nan), nb),
         cols[1]: wilson(alt["after"]["any_false"], n), cols[2]: wilson(alt["after"]["unadjusted_any"], n)},
    ]
    for w in planted:
        rows.append({"flag": "improved / declined", "scenario": f"W02 -{a.slope:g}/yr, W03 +{a.slope:g}/yr planted",
                     "quantity": f"P({w} found, right sign)", cols[0]: wilson(alt["before"].get(w, np.nan), nb),
                     cols[1]: wilson(alt["after"][w], n), cols[2]: ""})
    body = (f"{n} seeded studies per scenario ({nb} for the previous rules of the trajectories; 95% Wilson "
            f"intervals; worker x year fluctuation SD {a.sd_worker_year:g} - with 0.3 see bench_verdicts_workers; "
            f"{secs:.0f} s in all). Before = the previous "
            "release's rules (per-cell SEs, normal quantile, no multiplicity control; recognition on the adjusted "
            "score's interval); after = the defaults now (worker slopes on the empirical-logit scale relative to the "
            "organisation's year means, from a mixed model with recipient, interviewer, worker and worker x year "
            "effects and a moderated residual variance per worker, Satterthwaite t test, Holm across the workers; "
            "recognition: each worker against the mean of the others, workers fixed, Satterthwaite t, Holm).\n\n"
            + table(rows)
            + f"\n\nReproduce: `.venv/bin/python benchmarks/bench_worker_flags.py --sims {n} --before-sims {nb}"
            + (f" --slope {a.slope:g}" if a.slope != 0.4 else "")
            + (f" --sd-worker-year {a.sd_worker_year:g}`" if a.sd_worker_year else "`"))
    print(body)
    name = ("bench_worker_flags" + (f"_slope_{a.slope:g}" if a.slope != 0.4 else "")
            + (f"_sdwy_{a.sd_worker_year:g}" if a.sd_worker_year else ""))
    title = "Worker flags under the null and with planted changes" + (f" (planted slopes ±{a.slope:g})" if a.slope != 0.4 else "")
    write_section(name, f"{title} (`benchmarks/bench_worker_flags.py`)", body)


if __name__ == "__main__":
    main()
