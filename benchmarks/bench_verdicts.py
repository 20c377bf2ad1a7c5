"""Do the verdicts a reviewer reads keep their stated error rates? Every verdict of issue 19 in one table.

Assembles the three verdict benchmarks, each a module with ``rows(n_studies, seed)`` and its own section of
RESULTS.md, on seeded simulated studies where the truth is known:

- ``bench_verdicts_nok.py``: НОК "distinguishable from the region", the dissatisfaction funnel, the proportion
  funnels, simultaneous rank intervals;
- ``bench_verdicts_workers.py``: worker trajectories (worker x year fluctuation, a 2020-2021 window) and the
  recognition / concern lists (false listings, the null statistic's variance, power);
- ``bench_verdicts_years.py``: year comparisons with a changing role gap, the role coefficient's coverage.

Every rate carries its Monte-Carlo 95% interval and the target. Run (about 25 min on one free core at 200
studies)::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_verdicts.py [--studies 200] [--seed 0] [--dry-run]

The fast seeded versions that pin each rate are in tests/test_nok_verdicts.py, tests/test_worker_flags.py and
tests/test_role_gap.py.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import bench_verdicts_nok  # noqa: E402
import bench_verdicts_workers  # noqa: E402
import bench_verdicts_years  # noqa: E402
from _results import table, write_section  # noqa: E402


def _met(estimate: float, target: str) -> str:
    """Whether a rate meets a target written as '<= x', '>= x' or 'in a-b' ('' when it is only reported)."""
    t = (target or "").replace("P(any) ", "").replace("P(any named) ", "").replace("P(outside) ", "").strip()
    try:
        if t.startswith("<="):
            return "yes" if estimate <= float(t[2:]) else "NO"
        if t.startswith(">="):
            return "yes" if estimate >= float(t[2:]) else "NO"
        if t.startswith("in "):
            lo, hi = (float(v) for v in t[3:].split("-"))
            return "yes" if lo <= estimate <= hi else "NO"
    except ValueError:
        return ""
    return ""


def _nok(n: int, seed: int) -> list[dict]:
    out = []
    for r in bench_verdicts_nok.rows(n, seed):
        out.append({"verdict": r["verdict"], "simulated study": r["simulated study"], "quantity": "rate",
                    "estimate [MC 95%]": f"{r['rate']} {r['MC 95% interval']}", "units": r["n"],
                    "target": r["target"], "meets": r["met"] or ""})
    return out


def _workers(n: int, seed: int) -> list[dict]:
    return [{"verdict": r["verdict"], "simulated study": r["scenario"], "quantity": r["quantity"],
             "estimate [MC 95%]": f"{r['estimate']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]",
             "units": f"{r['n_studies']} studies", "target": r["target"],
             "meets": _met(r["estimate"], r["target"]) if "power" not in r["target"] and "+/-" not in r["target"]
             else ("yes" if "+/-" in r["target"] and abs(r["estimate"] - 1) <= 0.15 else "")}
            for r in bench_verdicts_workers.rows(n, seed)]


def _years(n: int, seed: int) -> list[dict]:
    return [{"verdict": r["verdict"], "simulated study": r["simulated study"], "quantity": r["measure"],
             "estimate [MC 95%]": f"{r['estimate']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]",
             "units": f"{r['n']} studies", "target": r["target"] or "",
             "meets": "" if r["meets"] is None else ("yes" if r["meets"] else "NO")}
            for r in bench_verdicts_years.rows(n, seed)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dry-run", action="store_true", help="print the table, do not write RESULTS.md")
    a = ap.parse_args()
    t0 = time.perf_counter()
    rows = _nok(a.studies, a.seed) + _workers(a.studies, a.seed) + _years(a.studies, a.seed)
    secs = time.perf_counter() - t0
    body = (f"{a.studies} seeded studies per scenario (seed {a.seed}), {secs:.0f} s in all. Each module's own "
            "section below gives its design in full.\n\n" + table(rows)
            + f"\n\nReproduce: `OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_verdicts.py "
            f"--studies {a.studies} --seed {a.seed}`")
    print(body)
    if not a.dry_run:
        write_section("bench_verdicts", "Verdicts that hold: every verdict's error rate in one table "
                      "(`benchmarks/bench_verdicts.py`)", body)


if __name__ == "__main__":
    main()
