"""Worker verdicts of issue 19 (item 3): how often a worker is flagged or listed when nothing differs, and power.

Seeded simulations (:func:`helpers.studies.mystery_guest.simulate.simulate_panel`):

- **trajectories** (:func:`helpers.studies.mystery_guest.scoring.worker_slopes`, "improved / declined"): the demo's
  four-year shape (``DEMO_SHAPE``: 2018-2019 4-5 workers with one volunteer interview per recipient, 2020-2021
  15 workers with paired interviews), demo year effects, workers differing (SD 0.55 latent), **a worker x year
  fluctuation of SD 0.3** (latent) and no worker changing: P(any worker flagged) over 2018-2021 and in a
  2020-2021 window; power with the demo's planted slopes (W02 -0.4, W03 +0.4 latent per year);
- **recognition / concern lists** (:func:`helpers.studies.mystery_guest.scoring.recognition_lists`): one year,
  15 workers with 20 recipients each, every recipient interviewed by a volunteer and a social worker; no
  differences (familywise error), and two workers planted at +8 / -8 points of the composite around an
  organisation mean of about 84 (latent base 0.5: at the demo's 94 no one can be 8 points above; power); the null
  statistic's variance (the t statistic of the workers without a planted difference).

Monte-Carlo intervals: Wilson 95% for rates; for the statistic's variance, the chi-square interval of a
variance with (number of null statistics - 1) df (the statistics of one study are correlated, so it is
indicative). ``rows(n_studies, seed)`` returns the table rows for ``benchmarks/bench_verdicts.py``.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_verdicts_workers.py [--sims 200]``. Prints a table
and rewrites its section of benchmarks/RESULTS.md. The fast seeded versions are in tests/test_worker_verdicts.py.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from functools import lru_cache  # noqa: E402

import numpy as np  # noqa: E402
from scipy import optimize, stats  # noqa: E402

from helpers.studies.mystery_guest.scoring import (  # noqa: E402
    recognition_lists,
    score_interviews,
    worker_scores,
    worker_slopes,
)
from helpers.studies.mystery_guest.simulate import DEMO_SHAPE, simulate_panel, true_score  # noqa: E402

YEAR_EFFECT = {2018: 0.0, 2019: 0.25, 2020: -0.45, 2021: 0.1}  # the demo's planted year effects
SD_WORKER_YEAR = 0.3
PLANTED_SLOPES = {"W02": -0.4, "W03": 0.4}
# base 0.5: an organisation mean of about 84 points, so that +8 points stays below the ceiling (at the demo's base
# 2.0 the mean is 94 and no worker can be 8 points above it)
RECOGNITION_SHAPE = {"years": (2020,), "per_worker": (20,) * 15, "base": 0.5}
POINTS = 8.0


@lru_cache(maxsize=4)
def latent_offset(points: float, base: float = 2.0, noise: float = float(np.sqrt(0.6**2 + 0.3**2 + 0.7**2))) -> float:
    """Latent shift that moves a worker's expected item score by ``points`` at the reference (volunteer in person,
    average interviewer and recipient; :func:`helpers.studies.mystery_guest.simulate.true_score`)."""
    target = float(true_score(base, noise)) + points
    return float(optimize.brentq(lambda q: float(true_score(base + q, noise)) - target, -6, 6))


def trajectory_study(seed: int, window=None, slopes: dict | None = None, scored=None) -> dict:
    if scored is None:
        st = simulate_panel(sd_worker=0.55, year_effect=YEAR_EFFECT, slopes=slopes, sd_worker_year=SD_WORKER_YEAR,
                            seed=seed, **DEMO_SHAPE)
        scored = score_interviews(st.interviews)
    r = worker_slopes(scored, years=window).set_index("worker_id")
    flagged = r["direction"].isin(["improved", "declined"])
    others = flagged.drop(list(slopes or {}), errors="ignore")
    out = {"any_false": bool(others.any()), "n_compared": int(r["n_compared"].max()) if len(r) else 0}
    for w, b in (slopes or {}).items():
        out[w] = bool(w in r.index and r.loc[w, "direction"] == ("improved" if b > 0 else "declined"))
    return out


def recognition_study(seed: int, points: float = 0.0) -> dict:
    b = RECOGNITION_SHAPE["base"]
    offsets = {"W01": latent_offset(points, b), "W02": latent_offset(-points, b)} if points else None
    st = simulate_panel(sd_worker=0.0, offsets=offsets, seed=seed, **RECOGNITION_SHAPE)
    w = worker_scores(score_interviews(st.interviews))
    lists = recognition_lists(w).set_index("worker_id")
    planted = set(offsets or {})
    null = w[~w["worker_id"].isin(planted)]
    out = {"any_false": bool(len(lists.drop(list(planted), errors="ignore"))),
           "t_null": (null["contrast"] / null["contrast_se"]).tolist()}
    if points:
        out["W01"] = bool("W01" in lists.index and lists.loc["W01", "list"] == "recognition")
        out["W02"] = bool("W02" in lists.index and lists.loc["W02", "list"] == "concern")
    return out


def wilson(k: int, n: int) -> tuple[float, float, float]:
    if n == 0:
        return np.nan, np.nan, np.nan
    z = stats.norm.ppf(0.975)
    p = k / n
    c, h = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return p, (c - h) / (1 + z * z / n), (c + h) / (1 + z * z / n)


def _rate(verdict, scenario, quantity, hits, target) -> dict:
    p, lo, hi = wilson(int(sum(hits)), len(hits))
    return {"verdict": verdict, "scenario": scenario, "quantity": quantity, "estimate": p, "ci_low": lo,
            "ci_high": hi, "n_studies": len(hits), "target": target}


def rows(n_studies: int, seed: int) -> list[dict]:
    """One row per measured quantity: ``verdict, scenario, quantity, estimate, ci_low, ci_high, n_studies, target``
    (rates with their Wilson 95% Monte-Carlo interval)."""
    base = np.random.SeedSequence(seed).generate_state(5)
    full, window = [], []
    for s in range(n_studies):  # the same simulated studies, all years and the 2020-2021 window
        st = simulate_panel(sd_worker=0.55, year_effect=YEAR_EFFECT, sd_worker_year=SD_WORKER_YEAR,
                            seed=int(base[0]) + s, **DEMO_SHAPE)
        scored = score_interviews(st.interviews)
        full.append(trajectory_study(0, scored=scored))
        window.append(trajectory_study(0, window=(2020, 2021), scored=scored))
    power = [trajectory_study(int(base[2]) + s, slopes=PLANTED_SLOPES) for s in range(n_studies)]
    rec0 = [recognition_study(int(base[3]) + s) for s in range(n_studies)]
    rec8 = [recognition_study(int(base[4]) + s, POINTS) for s in range(n_studies)]
    shape = "demo shape 2018-2021, worker x year SD 0.3, no change"
    out = [
        _rate("trajectories", shape, "P(any worker flagged)", [r["any_false"] for r in full], "<= 0.07"),
        _rate("trajectories", "same, 2020-2021 window (no flags: fluctuation not estimable)",
              "P(any worker flagged)", [r["any_false"] for r in window], "<= 0.07"),
        _rate("trajectories", "demo shape, SD 0.3, W02 -0.4 / W03 +0.4 per year", "P(any other worker flagged)",
              [r["any_false"] for r in power], "<= 0.07"),
    ]
    for w in PLANTED_SLOPES:
        out.append(_rate("trajectories", "demo shape, SD 0.3, W02 -0.4 / W03 +0.4 per year",
                         f"P({w} flagged, right sign)", [r[w] for r in power], "power (reported)"))
    rshape = "15 workers x 20 recipients, paired interviews"
    out.append(_rate("recognition lists", rshape + ", no differences", "P(any worker listed)",
                     [r["any_false"] for r in rec0], "<= 0.07"))
    out.append(_rate("recognition lists", rshape + f", W01 +{POINTS:g} / W02 -{POINTS:g} points",
                     "P(any other worker listed)", [r["any_false"] for r in rec8], "<= 0.07"))
    for w, lab in (("W01", "recognition"), ("W02", "concern")):
        out.append(_rate("recognition lists", rshape + f", W01 +{POINTS:g} / W02 -{POINTS:g} points",
                         f"P({w} on the {lab} list)", [r[w] for r in rec8], "power (reported)"))
    t = np.array([x for r in rec0 + rec8 for x in r["t_null"]], dtype=float)
    t = t[np.isfinite(t)]
    v = float(np.var(t, ddof=1))
    lo, hi = (len(t) - 1) * v / stats.chi2.ppf([0.975, 0.025], len(t) - 1)
    out.append({"verdict": "recognition lists", "scenario": rshape + ", workers without a planted difference",
                "quantity": "variance of the null t statistic", "estimate": v, "ci_low": lo, "ci_high": hi,
                "n_studies": 2 * n_studies, "target": "1 +/- 0.15"})
    return out


def main() -> None:
    from _results import table, write_section

    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=200)
    ap.add_argument("--seed", type=int, default=19)
    a = ap.parse_args()
    t0 = time.perf_counter()
    res = rows(a.sims, a.seed)
    secs = time.perf_counter() - t0
    shown = [{"verdict": r["verdict"], "simulated study": r["scenario"], "quantity": r["quantity"],
              "estimate [MC 95%]": f"{r['estimate']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]",
              "studies": r["n_studies"], "target": r["target"]} for r in res]
    body = (f"{a.sims} seeded studies per scenario, {secs:.0f} s in all. Trajectories: worker slopes on the "
            "empirical-logit scale relative to the organisation's year means, mixed model with worker, worker x year, "
            "interviewer and recipient effects, Satterthwaite t (df at most the containment df of the worker x year "
            "term), Holm across the workers; no flags when no worker is "
            "seen in 3 or more years. Recognition: each worker against the mean of the others, workers fixed, "
            "interviewer and recipient random, Satterthwaite t, Holm across the workers.\n\n" + table(shown)
            + f"\n\nReproduce: `OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_verdicts_workers.py "
            f"--sims {a.sims} --seed {a.seed}`")
    print(body)
    write_section("bench_verdicts_workers", "Worker verdicts: trajectories and recognition lists "
                  "(`benchmarks/bench_verdicts_workers.py`)", body)


if __name__ == "__main__":
    main()
