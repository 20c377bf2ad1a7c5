"""Ingestion of 1M interviews: wall time and peak memory, beside the naive alternative.

Targets (issue 2): 1M interviews ingested and validated in under 30 s and 4 GB.
The alternative measured in the same run: pandas' default CSV reader and a per-cell label mapping
(``Series.map`` of the normalising function on every cell instead of once per distinct value).

    .venv/bin/python benchmarks/bench_ingest.py [--recipients 500000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import table, write_section  # noqa: E402

DATA = Path(__file__).parent / "_data"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
mode, raw = sys.argv[1], Path(sys.argv[2])
if mode == "ingest":
    from helpers.io.ingest import ingest
    r = ingest(raw)
    n = len(r.interviews) + len(r.quarantine)
elif mode == "pandas_read":
    import pandas as pd
    n = len(pd.read_csv(raw / "interviews_2020.csv", dtype=str, keep_default_na=False))
elif mode == "naive_map":
    import pandas as pd
    from helpers.io.codebook import load_codebook, normalise_label
    cb = load_codebook()
    df = pd.read_csv(raw / "interviews_2020.csv", dtype=str, keep_default_na=False)
    for item in cb.items_for_year(2020):
        lk = cb.answer_lookup(item)
        df[item] = df[item].map(lambda v: lk.get(normalise_label(v)))
    n = len(df)
print(json.dumps({"rows": n, "seconds": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(mode: str, raw: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(raw)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--recipients", type=int, default=500_000, help="recipients (x2 interviews: paired year)")
    args = p.parse_args()
    raw = DATA / f"ingest_{args.recipients}"
    if not (raw / "interviews_2020.csv").exists():
        from helpers.io.demo import write_demo_data

        t0 = time.perf_counter()
        write_demo_data(raw, raw / "truth.json", seed=1, recipients=args.recipients, years=(2020,))
        print(f"generated {2 * args.recipients:,} interviews in {time.perf_counter() - t0:.0f} s")
    rows = []
    for mode, label in [("ingest", "helpers.io.ingest.ingest (pyarrow reader, per-distinct-value mapping)"),
                        ("pandas_read", "alternative: pandas.read_csv (C engine), reading only"),
                        ("naive_map", "alternative: pandas read + per-cell label mapping, no validation")]:
        r = run(mode, raw)
        rows.append({"step": label, "interviews": f"{r['rows']:,}", "wall s": f"{r['seconds']:.1f}",
                     "peak MB": f"{r['peak_mb']:.0f}"})
        print(rows[-1], flush=True)
    body = (table(rows) + "\n\nTargets: 1M interviews ingested and validated < 30 s and < 4 GB. "
            "The ingest row includes reading, label mapping, every row-level check, pseudonymisation "
            "and the pandera schema check of the output; the alternatives do less work.\n"
            f"Reproduce: `.venv/bin/python benchmarks/bench_ingest.py --recipients {args.recipients}`")
    write_section("bench_ingest", f"Ingestion of {2 * args.recipients:,} interviews", body)


if __name__ == "__main__":
    main()
