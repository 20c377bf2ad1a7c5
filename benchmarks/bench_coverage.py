"""Benchmark: coverage of the agreement intervals in simulated studies (issue 9, items 3 and 4).

Long version of ``tests/test_agreement_intervals.py::test_interviewer_cluster_intervals_cover_95_
percent_in_the_2020_shape``. Three tables, every one from seeded simulations
(:mod:`helpers.studies.mystery_guest.agreement_simulation`, the latent cumulative-logit model of the demo data):

1. the 2020 shape (144 pairs, 5 volunteers + 4 social-worker interviewers, 15 workers, demo
   variance components): empirical coverage of the 95% intervals of percent agreement and Gwet's
   AC1 (and kappa, ordinal alpha) for every resampling scheme, side by side: ``interviewers``
   (two-way pigeonhole, the report's default), ``pairs`` (pairs as independent units, the old
   default), ``interviewers+workers`` (three-way pigeonhole), ``workers`` (one-way cluster);
2. sensitivity of the default and of the unit-level intervals to weaker / stronger interviewer and
   worker effects;
3. the ceiling at small n: independent pairs (no clustering at all), n = 35, with answers piled at
   the top, pairs resampled as units: how often kappa-type intervals cover, how often there is no
   interval. This is the basis of the report's small-n warning.

Measures, does not assert. Writes its section of ``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/bench_coverage.py              # ~ 5-10 min on 2 cores
    .venv/bin/python benchmarks/bench_coverage.py --quick      # fewer studies
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
from _results import table, write_section

from helpers.stats.agreement import bootstrap_table_ci, table_coefficients
from helpers.studies.mystery_guest.agreement_simulation import (
    CATEGORIES,
    AgreementDesign,
    coverage,
    population_table,
)

STATS = ("percent_agreement", "gwet_ac1", "cohen_kappa", "krippendorff_alpha_ordinal")


def fmt(c: float, se: float) -> str:
    return f"{c:.3f} ± {se:.3f}"


def shape_2020(n_studies: int, n_boot: int) -> tuple[list[dict], float]:
    t0 = time.perf_counter()
    res = coverage(n_studies, n_boot, AgreementDesign(),
                   methods=("interviewers", "pairs", "interviewers+workers", "workers"),
                   statistics=STATS, seed=7)
    rows = []
    for s in STATS:
        g = res[res.statistic == s].set_index("method")
        row = {"statistic": s, "truth": f"{g['truth'].iloc[0]:.3f}"}
        for m in ("interviewers", "pairs", "interviewers+workers", "workers"):
            row[f"{m} coverage"] = fmt(g.loc[m, "coverage"], g.loc[m, "mc_se"])
            row[f"{m} width"] = f"{g.loc[m, 'mean_width']:.3f}"
        row["no interval (default)"] = f"{g.loc['interviewers', 'no_interval']:.3f}"
        rows.append(row)
    return rows, time.perf_counter() - t0


def sensitivity(n_studies: int, n_boot: int) -> list[dict]:
    base = AgreementDesign()
    designs = {
        "demo (sd interviewer 0.3, worker 0.55)": base,
        "weak interviewers (0.15)": replace(base, sd_interviewer=0.15),
        "strong interviewers (0.6)": replace(base, sd_interviewer=0.6),
        "strong workers (1.0)": replace(base, sd_worker=1.0),
        "no interviewer/worker effects": replace(base, sd_interviewer=0.0, sd_worker=0.0),
        "higher ceiling (base 3.0)": replace(base, base=3.0),
    }
    rows = []
    for name, d in designs.items():
        res = coverage(n_studies, n_boot, d, methods=("interviewers", "pairs"),
                       statistics=("percent_agreement", "gwet_ac1"), seed=11)
        g = res.set_index(["method", "statistic"])
        row = {"design": name}
        for m in ("interviewers", "pairs"):
            for s, lab in (("percent_agreement", "PA"), ("gwet_ac1", "AC1")):
                row[f"{m} {lab}"] = fmt(g.loc[(m, s), "coverage"], g.loc[(m, s), "mc_se"])
        rows.append(row)
        print(row, flush=True)
    return rows


def small_n_ceiling(n_pairs: int, n_studies: int, n_boot: int, base: float) -> list[dict]:
    """Independent pairs drawn from the population table; pairs resampled as units."""
    d = replace(AgreementDesign(), base=base)
    p = population_table(d)
    truth = {k: float(v) for k, v in table_coefficients(p * 1e6, CATEGORIES, STATS).items()}
    rng = np.random.default_rng(35)
    hits = {s: 0 for s in STATS}
    none = {s: 0 for s in STATS}
    top = []
    for _ in range(n_studies):
        t = rng.multinomial(n_pairs, p.ravel()).reshape(5, 5)
        top.append(((t.sum(0) + t.sum(1)) / (2 * n_pairs)).max())
        r = bootstrap_table_ci(t, CATEGORIES, n_boot, rng, which=STATS).set_index("statistic")
        for s in STATS:
            lo, hi = r.loc[s, "ci_low"], r.loc[s, "ci_high"]
            none[s] += bool(np.isnan(lo))
            hits[s] += bool(lo <= truth[s] <= hi)
    rows = []
    for s in STATS:
        c = hits[s] / n_studies
        defined = n_studies - none[s]
        rows.append({"base": base, "n": n_pairs, "mean share of top answer": f"{np.mean(top):.2f}",
                     "statistic": s, "truth": f"{truth[s]:.3f}",
                     "coverage (no interval = miss)": fmt(c, np.sqrt(c * (1 - c) / n_studies)),
                     "coverage where an interval is given": (
                         f"{hits[s] / defined:.3f}" if defined else "-"),
                     "no interval": f"{none[s] / n_studies:.3f}"})
    return rows


def weighted_2020(n_studies: int, n_boot: int) -> list[dict]:
    """Stratified 2020 shape (130 home care of 1,300 + census of 14 in temporary residence with
    their own 2 workers): coverage of the population value by design-weighted intervals."""
    rows = []
    for shift in (0.0, 1.5, 3.0):
        d = replace(AgreementDesign(), n_temporary=14, temporary_shift=shift)
        res = coverage(n_studies, n_boot, d, methods=("interviewers", "pairs", "unweighted"),
                       statistics=("percent_agreement", "gwet_ac1"), seed=13, weighted=True)
        for _, r in res.iterrows():
            rows.append({"temporary-residence shift": shift, "method": r["method"],
                         "statistic": r["statistic"], "population truth": f"{r['truth']:.3f}",
                         "coverage": fmt(r["coverage"], r["mc_se"]),
                         "width": f"{r['mean_width']:.3f}"})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=2000)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    r, b = (400, 300) if args.quick else (args.studies, args.n_boot)
    rows1, secs = shape_2020(r, b)
    print(table(rows1), flush=True)
    rows2 = sensitivity(max(r // 2, 200), min(b, 400))
    rows3 = small_n_ceiling(35, r, min(b, 500), 2.0) + small_n_ceiling(35, r, min(b, 500), 3.0)
    print(table(rows3))
    rows4 = weighted_2020(max(r // 2, 200), min(b, 400))
    body = f"""Seeded simulations of paired-interview studies (`helpers.studies.mystery_guest.agreement_simulation`: latent
cumulative-logit answers as in the demo data; truth = the coefficient of the expected table of a
pair drawn from the whole population of interviewers, workers and recipients). Coverage of the
95% interval; ± is the Monte Carlo SE sqrt(c(1-c)/R). A study without an interval counts as a miss.

**1. The 2020 shape** (144 pairs, 5 volunteers + 4 social-worker interviewers, 15 workers; demo
variance components), {r} studies, {b} resamples each ({secs:.0f} s). `interviewers` = two-way
pigeonhole bootstrap of the volunteer x social-worker-interviewer array (the report's default);
`pairs` = pairs resampled as independent units (BCa; percent agreement exact Clopper-Pearson);
`interviewers+workers` = three-way pigeonhole; `workers` = one-way cluster bootstrap of workers.

{table(rows1)}

**2. Sensitivity** ({max(r // 2, 200)} studies, {min(b, 400)} resamples; PA = percent agreement):

{table(rows2)}

**3. Small n at the ceiling**, independent pairs (no clustering), pairs resampled as units,
{r} studies of n = 35, {min(b, 500)} resamples (basis of the report's small-n warning):

{table(rows3)}

**4. Design weights** (item 7): the 2020 stratified shape, 130 of 1,300 home-care recipients and
all 14 temporary-residence recipients (own 2 workers, latent shift as given), truth = agreement over
the population served. `interviewers` / `pairs` = design-weighted table with interviewer-cluster /
within-strata pair resampling; `unweighted` = the sample's table with interviewer-cluster
intervals, read as if it estimated the population ({max(r // 2, 200)} studies,
{min(b, 400)} resamples):

{table(rows4)}

Reproduce: `.venv/bin/python benchmarks/bench_coverage.py` (fast version in
`tests/test_agreement_intervals.py`: 600 studies, 300 resamples, 95% ± 3)."""
    if not args.no_write:
        write_section("bench_coverage", "Agreement intervals: coverage in simulated studies "
                      "(`bench_coverage.py`)", body)
        print("wrote section bench_coverage of RESULTS.md")


if __name__ == "__main__":
    main()
