"""The one door for mixed models at a region's size, side by side with R's lme4 when Rscript is present.

A crossed design the size of a region pooling its centres: 73,000 ratings of 1,100 rated units (social workers)
by 3,000 raters, one fixed covariate. The door (helpers.stats.mixed.fit, REML on Henderson's equations with the
rater factor absorbed) against lme4::lmer(REML = TRUE) on the same data, in one run; both fits' variance
components are printed so that the comparison is of the same optimum. lme4 is a benchmark peer only (Debian
r-base-core r-cran-lme4), never a test dependency.

    .venv/bin/python benchmarks/bench_mixed.py [--ratings 73000 --units 1100 --raters 3000 --repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _results import table, write_section  # noqa: E402

from helpers.stats.mixed import fit  # noqa: E402

_R = """
suppressMessages(library(lme4))
d <- read.csv("{csv}")
d$unit <- factor(d$unit); d$rater <- factor(d$rater)
best <- Inf
for (k in 1:{repeat}) {{
  t <- system.time(m <- lmer(y ~ x + (1 | unit) + (1 | rater), data = d, REML = TRUE))[["elapsed"]]
  best <- min(best, t)
}}
v <- as.data.frame(VarCorr(m))
cat(sprintf("%.4f %.6f %.6f %.6f %.6f\\n", best, v$vcov[v$grp == "unit"], v$vcov[v$grp == "rater"],
            v$vcov[v$grp == "Residual"], REMLcrit(m)))
cat(basename(sessionInfo()$BLAS), "\n")
"""


def design(ratings: int, units: int, raters: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    u = rng.integers(0, units, ratings)
    r = rng.integers(0, raters, ratings)
    x = (rng.random(ratings) < 0.3).astype(float)
    y = 80 + 1.5 * x + rng.normal(0, 4, units)[u] + rng.normal(0, 3, raters)[r] + rng.normal(0, 6, ratings)
    return y, x, u, r


def time_door(y, x, u, r, units, raters, repeat):
    X = np.column_stack([np.ones(len(y)), x])
    best, res = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fit(y, X, [("unit", u, units), ("rater", r, raters)], absorb="rater")
        best = min(best, time.perf_counter() - t0)
    return best, res


def time_lme4(y, x, u, r, repeat):
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        pd.DataFrame({"y": y, "x": x, "unit": u, "rater": r}).to_csv(csv, index=False)
        script = Path(tmp) / "fit.R"
        script.write_text(_R.format(csv=csv, repeat=repeat))
        done = subprocess.run(["Rscript", str(script)], capture_output=True, text=True)
        if done.returncode != 0 or "lme4" in done.stderr and "no package" in done.stderr:
            print("lme4 not usable:", done.stderr[-300:])
            return None
        first, blas = done.stdout.strip().splitlines()[:2]
        t, su, sr, s2, crit = (float(v) for v in first.split())
        return t, {"unit": su, "rater": sr, "residual": s2, "crit": crit, "blas": blas.strip()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ratings", type=int, default=73_000)
    ap.add_argument("--units", type=int, default=1_100)
    ap.add_argument("--raters", type=int, default=3_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    y, x, u, r = design(a.ratings, a.units, a.raters)
    size = f"{a.ratings:,} ratings, {a.units:,} units, {a.raters:,} raters"
    t_door, res = time_door(y, x, u, r, a.units, a.raters, a.repeat)
    rows = [{"fit": "helpers.stats.mixed.fit (rater absorbed)", "design": size, "seconds (best)": f"{t_door:.2f}",
             "var unit": f"{res.variances['unit']:.4f}", "var rater": f"{res.variances['rater']:.4f}",
             "var residual": f"{res.sigma2:.4f}", "converged": res.converged}]
    peer = time_lme4(y, x, u, r, a.repeat)
    if peer is None:
        rows.append({"fit": "lme4::lmer (REML)", "design": size, "seconds (best)": "Rscript/lme4 not installed",
                     "var unit": "", "var rater": "", "var residual": "", "converged": ""})
    else:
        t, v = peer
        rows.append({"fit": "lme4::lmer (REML)", "design": size, "seconds (best)": f"{t:.2f}",
                     "var unit": f"{v['unit']:.4f}", "var rater": f"{v['rater']:.4f}",
                     "var residual": f"{v['residual']:.4f}", "converged": f"(lme4's checks; R BLAS {v['blas']})"})
    text = table(rows)
    print(text)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    write_section("mixed_door", "One door for mixed models at a region's size, beside lme4",
                  f"Best of {a.repeat} fits each, one BLAS thread, load average {load:.1f} at the start "
                  f"(the machine is shared: compare the two rows of one run, not runs).\n\n{text}\n\n"
                  "Command: `.venv/bin/python benchmarks/bench_mixed.py`. lme4 time is `system.time(lmer(...))` "
                  "inside R (no data reading); the door's time includes building Henderson's equations.")


if __name__ == "__main__":
    main()
