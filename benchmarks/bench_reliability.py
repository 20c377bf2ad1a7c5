"""Benchmark: the per-item agreement suite with 2,000-resample bootstrap intervals.

For 25 items and 1k / 100k / 1M pairs of interviews, times in the same run

* **fast** -- ``helpers.studies.mystery_guest.reliability.item_agreement`` per item: the K x K table of paired answers
  (one ``bincount``), 2,000 multinomial resampled tables, all 12 coefficients evaluated on the
  batch at once, BCa intervals, plus the Stuart-Maxwell test; total wall time for all 25 items;
* **naive** -- resample the rows 2,000 times and call the libraries on each resample
  (statsmodels ``cohens_kappa`` x 3 on a ``pd.crosstab``, statsmodels ``fleiss_kappa`` for
  Scott's pi and Brennan-Prediger, ``krippendorff.alpha`` x 3 levels on the raw rows, Gwet's
  AC1/AC2 x 3 with numpy on the raw rows, percent agreement). The naive run is too slow to complete, so a
  few resamples of one item are timed and the cost is extrapolated linearly to 2,000 resamples
  x 25 items; the table says so.

Measures, does not assert. Writes its section of ``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/bench_reliability.py            # full run (~ a few minutes)
    .venv/bin/python benchmarks/bench_reliability.py --quick    # 1k and 100k only
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import time
from importlib import metadata
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import scipy
import statsmodels
from statsmodels.stats import inter_rater as ir

from helpers.stats.agreement import table_coefficients, table_from_codes, weight_matrix
from helpers.studies.mystery_guest import reliability as rel

CATS = [1, 2, 3, 4, 5]
K = len(CATS)
RESULTS = Path(__file__).with_name("RESULTS.md")
MARK = "bench_reliability"


def make_data(n_pairs: int, n_items: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Position codes 0..4 (-1 = don't know) of two interviewers, ceiling-shaped answers."""
    rng = np.random.default_rng(seed)
    p = np.array([0.02, 0.03, 0.07, 0.18, 0.70])
    truth = rng.choice(K, size=(n_pairs, n_items), p=p).astype(np.int8)
    a = truth.copy()
    b = np.where(rng.random((n_pairs, n_items)) < 0.75, truth,
                 rng.choice(K, size=(n_pairs, n_items), p=p)).astype(np.int8)
    a[rng.random((n_pairs, n_items)) < 0.03] = -1
    b[rng.random((n_pairs, n_items)) < 0.03] = -1
    return a, b


def fast_suite(a: np.ndarray, b: np.ndarray, n_boot: int, seed: int = 0) -> pd.DataFrame:
    parts = []
    for j in range(a.shape[1]):
        table = table_from_codes(a[:, j], b[:, j], K)
        parts.append(rel.item_agreement(table, CATS, n_boot, np.random.default_rng([seed, j]),
                                        f"item{j:02d}"))
    return pd.concat(parts, ignore_index=True)


def naive_statistics(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Every coefficient of the suite from raw rows with library calls (one resample)."""
    ok = (a >= 0) & (b >= 0)
    x, y = a[ok] + 1, b[ok] + 1
    tab = pd.crosstab(x, y).reindex(index=CATS, columns=CATS, fill_value=0).to_numpy()
    out = {"percent_agreement": float(np.mean(x == y))}
    for w, name in ((None, "cohen_kappa"), ("linear", "cohen_kappa_linear"),
                    ("quadratic", "cohen_kappa_quadratic")):
        out[name] = ir.cohens_kappa(tab, wt=w).kappa
    counts = ir.aggregate_raters(np.column_stack([x - 1, y - 1]), n_cat=K)[0]
    out["scott_pi"] = ir.fleiss_kappa(counts, method="fleiss")
    out["brennan_prediger"] = ir.fleiss_kappa(counts, method="randolph")
    raw = np.column_stack([x, y]).astype(float)
    # no library computes Gwet's AC: numpy on the raw rows (no table), as a user would write it
    pi = (np.bincount(x - 1, minlength=K) + np.bincount(y - 1, minlength=K)) / (2 * x.size)
    for w, name in ((None, "gwet_ac1"), ("linear", "gwet_ac2_linear"),
                    ("quadratic", "gwet_ac2_quadratic")):
        wm = weight_matrix(K, w)
        pa = wm[x - 1, y - 1].mean()
        pe = wm.sum() / (K * (K - 1)) * (pi * (1 - pi)).sum()
        out[name] = (pa - pe) / (1 - pe)
    for level in ("nominal", "ordinal", "interval"):
        out[f"krippendorff_alpha_{level}"] = krippendorff.alpha(
            reliability_data=raw.T, level_of_measurement=level)
    return out


def naive_resample_seconds(a: np.ndarray, b: np.ndarray, n_resamples: int, seed: int = 0
                           ) -> float:
    """Mean seconds per row-resample of one item (draw + all library calls)."""
    rng = np.random.default_rng(seed)
    n = a.shape[0]
    t0 = time.perf_counter()
    for _ in range(n_resamples):
        idx = rng.integers(0, n, n)
        naive_statistics(a[idx], b[idx])
    return (time.perf_counter() - t0) / n_resamples


def cross_check(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |fast - naive| over the coefficients of item 0 on the full sample."""
    fast = table_coefficients(table_from_codes(a[:, 0], b[:, 0], K), CATS)
    naive = naive_statistics(a[:, 0], b[:, 0])
    return max(abs(float(fast[k]) - naive[k]) for k in naive)


def end_to_end_seconds(n_pairs: int, n_boot: int) -> tuple[float, int]:
    """``compare_interviewers`` from a DataFrame of 2 x n_pairs interviews (codebook items)."""
    from helpers.io.codebook import load_codebook

    cb = load_codebook()
    items = cb.items_for_year(2020)
    a, b = make_data(n_pairs, len(items), seed=1)
    ids = np.arange(n_pairs).astype(str)

    def frame(codes: np.ndarray, role: str) -> pd.DataFrame:
        d = {"interview_id": np.char.add(role[0], ids), "pair_id": np.char.add("P", ids),
             "role": role}
        for j, it in enumerate(items):
            scale = np.asarray(sorted(cb.scale_of(it).codes))
            v = scale[codes[:, j].astype(np.int64) % len(scale)]
            d[it] = pd.array(np.where(codes[:, j] < 0, 8, v), dtype="Int64")
        return pd.DataFrame(d)

    f = pd.concat([frame(a, "volunteer"), frame(b, "social_worker")], ignore_index=True)
    t0 = time.perf_counter()
    rel.compare_interviewers(f, cb, n_boot=n_boot)
    return time.perf_counter() - t0, len(items)


def fmt_s(s: float) -> str:
    if s < 60:
        return f"{s:.2f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    if s < 86400 * 2:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    ap.add_argument("--items", type=int, default=25)
    ap.add_argument("--n-boot", type=int, default=2000)
    ap.add_argument("--quick", action="store_true", help="sizes 1k and 100k only")
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args()
    sizes = [1_000, 100_000] if args.quick else args.sizes
    naive_reps = {1_000: 20, 100_000: 4, 1_000_000: 2}
    rows = []
    for n in sizes:
        a, b = make_data(n, args.items, seed=n)
        fast_suite(a[:1000], b[:1000], 50)  # warm-up (imports, caches)
        t0 = time.perf_counter()
        res = fast_suite(a, b, args.n_boot)
        fast = time.perf_counter() - t0
        n_ci = int(res["ci_low"].notna().sum())
        reps = naive_reps.get(n, 2)
        per = naive_resample_seconds(a[:, 0], b[:, 0], reps)
        naive = per * args.n_boot * args.items
        diff = cross_check(a, b)
        rows.append({
            "pairs": f"{n:,}", "items": args.items, "resamples": args.n_boot,
            "fast (measured)": fmt_s(fast), "intervals": n_ci,
            "naive per resample x item (measured)": f"{per * 1000:.1f} ms ({reps} timed)",
            "naive total (extrapolated)": fmt_s(naive), "speed-up": f"{naive / fast:,.0f}x",
            "max abs diff fast vs naive": f"{diff:.1e}",
        })
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    md = markdown_table(table)
    n_e2e = max(sizes)
    e2e, n_items_e2e = end_to_end_seconds(n_e2e, args.n_boot)
    e2e_line = (f"End to end, `compare_interviewers(interviews, codebook, n_boot={args.n_boot})` on "
                f"a DataFrame of {2 * n_e2e:,} interviews ({n_e2e:,} pairs, the {n_items_e2e} "
                f"codebook items of 2020, pairing by pair_id included): **{fmt_s(e2e)}** "
                f"(measured).")
    md += "\n\n" + e2e_line
    print()
    print(md)
    if args.no_write:
        return
    env = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; Python "
           f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
           f"scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, "
           f"krippendorff {metadata.version('krippendorff')}; the machine is shared with other "
           "workers, so wall times vary by run")
    section = f"""<!-- {MARK} -->
## Reliability: per-item agreement suite with bootstrap intervals (`bench_reliability.py`)

Per item: percent agreement, Cohen's kappa (unweighted, linear, quadratic), Scott's pi, Gwet's
AC1 and AC2 (linear, quadratic), Brennan-Prediger, Krippendorff's alpha (nominal, ordinal,
interval), each with a {args.n_boot}-resample BCa interval, plus the Stuart-Maxwell test;
{args.items} items, 5-point scale with a ceiling (70% top answers), 3% don't know per interviewer.
**fast** = `helpers.studies.mystery_guest.reliability.item_agreement`: K x K table + multinomial resampling of the table,
all coefficients vectorised over the resamples (measured: wall time for all items, starting from
the two interviewers' answer codes as integer arrays; the end-to-end line below includes pairing
the interviews of a DataFrame).
**naive** = resample rows and call statsmodels / krippendorff (Gwet's AC with numpy on the raw rows) for each
resample; *measured* on a few resamples of one item in the same run and **extrapolated linearly**
to {args.n_boot} resamples x {args.items} items (running it in full would take the time shown).
The last column checks that both give the same estimates on the full sample.

{md}

Machine: {env}. Reproduce: `.venv/bin/python benchmarks/bench_reliability.py`.
Targets (issue 4): 1M pairs x 25 items, all intervals, < 30 s on 2 cores; >= 100x faster than
naive at 100k pairs.
<!-- /{MARK} -->"""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"<!-- {MARK} -->.*?<!-- /{MARK} -->", re.S)
    text = (pattern.sub(lambda _: section, text) if pattern.search(text)
            else text.rstrip() + "\n\n" + section + "\n")
    RESULTS.write_text(text, encoding="utf-8")
    print(f"\nwrote section {MARK} of {RESULTS}")


def markdown_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(map(str, r)) + " |" for r in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


if __name__ == "__main__":
    main()
