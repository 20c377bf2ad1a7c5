"""Benchmark the year-comparison verdicts (issue 19, items 4 and 5): a change reported when only the
interviewers changed, and the coverage of the interviewer-role coefficient.

Simulated 2018-2021 studies shaped like the demo (:mod:`helpers.studies.mystery_guest.year_simulation`), **no
change in quality** in any of them:

(a) the social-worker vs volunteer gap grows in 2021 only (latent role shift -0.5 -> -0.9): how often some
    Holm-adjusted year contrast of the composite is significant - with the new default (the headline: volunteer
    interviews only when the equal-gap check rejects or cannot test, else the constant instrument), with the
    constant instrument alone (the old default) and with the volunteer interviews alone; the power of the gap
    check; the bias of the 2020-2021 change;
(b) the gap is the same every year: the same rates (the false-change rate of the new default);
(c) the role coefficient of the year model: coverage of its 95% interval with the interviewer-level df (the
    default) and of the Wald interval it replaced - on the studies of (b) (the demo's latent-logit answers; the
    true role effect in points is the mean within-recipient gap over the studies), and on a linear outcome in the
    same design (truth +4.5 points; interviewer SD 1.3 points as the year model estimates on these studies, and 2.5).

Every rate with its Wilson 95% Monte-Carlo interval. ``rows(n_studies, seed)`` returns the table rows for
``benchmarks/bench_verdicts.py``.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_verdicts_years.py [--studies 200] [--seed 0]``
(~4 min on one core). Prints a table and rewrites its section of benchmarks/RESULTS.md. Measures, does not
assert (the fast seeded versions with assertions are in ``tests/test_role_gap.py``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _results import table, write_section  # noqa: E402

from helpers.studies.mystery_guest.year_simulation import rate, role_study, year_study  # noqa: E402

_STUDY = {"gap_grows": "gap grows in 2021 only (role shift -0.5 -> -0.9), no change in quality",
          "no_change": "same gap every year, no change in quality"}


def _row(verdict: str, study: str, measure: str, r: dict, target: str, meets) -> dict:
    return {"verdict": verdict, "simulated study": study, "measure": measure, "estimate": r["estimate"],
            "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n": r["n"], "target": target,
            "meets": None if meets is None else bool(meets)}


def _mean_row(verdict: str, study: str, measure: str, values) -> dict:
    """A mean over the studies with its t 95% Monte-Carlo interval."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    m = float(v.mean())
    return _row(verdict, study, measure, {"estimate": m, "ci_low": float(m - half), "ci_high": float(m + half),
                                          "n": len(v)}, "",
                None)


def rows(n_studies: int = 200, seed: int = 0) -> list[dict]:
    """The bench's rows: ``verdict, simulated study, measure, estimate, ci_low, ci_high`` (Wilson 95% Monte-Carlo
    interval), ``n`` (studies), ``target``, ``meets`` (``None`` where there is no target); seeds ``seed`` to
    ``seed + n_studies - 1``. Rates are shares of studies (Wilson interval); the rows "mean 2020-2021 change" are
    means in points (t interval)."""
    out = []
    seeds = range(seed, seed + n_studies)
    for scenario in ("gap_grows", "no_change"):
        res = [year_study(scenario, s) for s in seeds]
        study = _STUDY[scenario]
        head = rate(r["headline"] for r in res)
        if scenario == "gap_grows":  # the target
            target, meets = "<= 0.10", head["estimate"] <= 0.10
        else:  # nominal 0.05: met unless the Monte-Carlo interval lies above it
            target, meets = "0.05 (nominal)", head["ci_low"] <= 0.05
        out.append(_row("year comparisons: headline (new default)", study, "P(any Holm contrast significant)", head,
                        target, meets))
        out.append(_row("year comparisons: constant instrument only (old default)", study,
                        "P(any Holm contrast significant)", rate(r["model"] for r in res), "", None))
        out.append(_row("year comparisons: volunteer interviews only", study, "P(any Holm contrast significant)",
                        rate(r["volunteers"] for r in res), "", None))
        out.append(_row("equal-gap check (Welch, level 0.20)", study, "P(equality rejected or not testable)",
                        rate(r["gap_rejected"] for r in res), "", None))
        for key, name in (("model", "constant instrument only"), ("volunteers", "volunteer interviews only"),
                          ("headline", "headline (new default)")):
            out.append(_mean_row(f"year comparisons: {name}", study, "mean 2020-2021 change, points (truth 0)",
                                 [r[f"d_{key}"] for r in res]))
        if scenario == "no_change":  # the demo's generating model: true role effect = mean within-recipient gap
            truth = -float(np.mean([r["gap"] for r in res]))
            z = stats.norm.ppf(0.975)
            study = (f"demo's latent-logit answers, same gap every year; true role effect {truth:.2f} points "
                     "(mean within-recipient gap over the studies)")
            t_cov = rate(r["role_ci_low"] <= truth <= r["role_ci_high"] for r in res)
            out.append(_row("role coefficient, interviewer-level df (default)", study, "coverage of the 95% interval",
                            t_cov, ">= 0.93", t_cov["estimate"] >= 0.93))
            out.append(_row("role coefficient, Wald z (before)", study, "coverage of the 95% interval",
                            rate(abs(r["role_coef"] - truth) <= z * r["role_se"] for r in res), "", None))
    for sd_i in (1.3, 2.5):
        cov = [role_study(s, sd_interviewer=sd_i) for s in seeds]
        study = f"linear outcome, 4 social-worker + 6 volunteer interviewers, interviewer SD {sd_i} points"
        t_cov = rate(r["t_covers"] for r in cov)
        out.append(_row("role coefficient, interviewer-level df (default)", study, "coverage of the 95% interval",
                        t_cov, ">= 0.93", t_cov["estimate"] >= 0.93))
        out.append(_row("role coefficient, Wald z (before)", study, "coverage of the 95% interval",
                        rate(r["wald_covers"] for r in cov), "", None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--studies", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rs = rows(args.studies, args.seed)
    secs = time.perf_counter() - t0
    shown = [{"verdict": r["verdict"], "simulated study": r["simulated study"], "measure": r["measure"],
              "estimate [95% MC interval]": f"{r['estimate']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]",
              "studies": r["n"], "target": r["target"] or "—",
              "meets": "—" if r["meets"] is None else ("yes" if r["meets"] else "NO")} for r in rs]
    body = (f"{args.studies} simulated studies per row (seeds {args.seed}-{args.seed + args.studies - 1}), "
            f"{secs:.0f} s. Demo-shaped 2018-2021 studies (`simulate_years`): 2018-19 volunteers only, 2020-21 "
            "every recipient interviewed by a volunteer and a social worker; no change in quality. Headline = "
            "volunteer interviews only when Welch's test of equal within-recipient gaps rejects at 0.20 (or "
            "cannot test), else the constant instrument. Role coefficient of the year model, t interval on "
            "interviewers - 2 df: on the latent-logit studies of the second scenario (true effect = mean "
            "within-recipient gap over the studies) and on a linear outcome in the same design (true effect "
            "4.5 points).\n\n"
            + table(shown)
            + f"\n\nReproduce: `OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_verdicts_years.py "
            f"--studies {args.studies} --seed {args.seed}`")
    print(body)
    write_section("bench_verdicts_years", "Year-comparison verdicts: changing role gap, role coefficient "
                  "(`benchmarks/bench_verdicts_years.py`)", body)


if __name__ == "__main__":
    main()
