"""Ingestion speed: 1M interviews (CSV) and a 200k-row XLSX, beside plain pandas in the same run.

Targets (issue 20, item 5): 1M interviews ingested and validated in <= 10 s on the 2-core machine; a
200k-row XLSX read once (values and merged-cell detection in one pass over the file).

Rows, each in a fresh interpreter (wall time from the start of the call, CPU time of the process and its threads
(less sensitive to the load of a shared machine), peak resident memory):

* ``ingest``: :func:`helpers.io.ingest.ingest` of the 1M-interview CSV year (reading, label mapping, every
  row-level check, personal-data scrub, pseudonymisation, the pandera schema check of the output);
* ``pandas_read``: ``pandas.read_csv(dtype=str)`` of the same file - reading only, no checks;
* ``pandas_read_pyarrow``: ``pandas.read_csv(dtype=str, engine="pyarrow")`` of the same file - reading only;
* ``xlsx_read``: :func:`helpers.io.ingest.read_source` of a 200k-row XLSX of interviews (python-calamine for the
  values, the sheet XML's ``<mergeCells>`` streamed for merged cells; header search; no validation);
* ``pandas_excel_calamine`` (and with ``--openpyxl`` ``pandas_excel_openpyxl``, 11 min under load):
  ``pandas.read_excel(dtype=str)`` of the same workbook with that engine - reading only, no merged-cell check.

    .venv/bin/python benchmarks/bench_ingest.py [--recipients 500000] [--xlsx-rows 200000] [--openpyxl]

On a shared machine the other sessions' processes take CPU from the run, whatever their ``nice``: Linux shares
the CPU between *sessions* first (autogroups). Where allowed (root), the benchmark gives its own session the
highest autogroup priority, so that its wall times approach those of a quiet machine; the table says whether it
could.
"""

from __future__ import annotations

import argparse
import json
import os
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
mode, raw, xlsx = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
if mode == "ingest":
    from helpers.io.ingest import ingest
    r = ingest(raw)
    n = len(r.interviews) + len(r.quarantine)
elif mode == "pandas_read":
    import pandas as pd
    n = len(pd.read_csv(raw / "interviews_2020.csv", dtype=str, keep_default_na=False))
elif mode == "pandas_read_pyarrow":
    import pandas as pd
    n = len(pd.read_csv(raw / "interviews_2020.csv", dtype=str, keep_default_na=False, engine="pyarrow"))
elif mode == "xlsx_read":
    from helpers.io.ingest import read_source
    n = len(read_source(xlsx, "interviews").frame)
elif mode.startswith("pandas_excel_"):
    import pandas as pd
    n = len(pd.read_excel(xlsx, dtype=str, engine=mode.removeprefix("pandas_excel_")))
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rows": n, "seconds": time.perf_counter() - t0, "cpu": ru.ru_utime + ru.ru_stime,
                  "peak_mb": ru.ru_maxrss / 1024}))
"""


def raise_priority() -> str:
    """Give this session's autogroup nice -20 (``/proc/self/autogroup``; root only); say what was done."""
    try:
        Path("/proc/self/autogroup").write_text("-20")
        return "this session's autogroup at nice -20 (the other sessions' processes kept running)"
    except OSError:
        return "default priority (could not raise the autogroup's)"


def run(mode: str, raw: Path, xlsx: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(raw), str(xlsx)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_xlsx(raw: Path, rows: int, path: Path) -> None:
    """The first ``rows`` interviews of the CSV year as a workbook (openpyxl write-only mode)."""
    import openpyxl
    import pandas as pd

    df = pd.read_csv(raw / "interviews_2020.csv", dtype=str, keep_default_na=False, nrows=rows)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("interviews")
    ws.append(list(df.columns))
    for rec in df.itertuples(index=False):
        ws.append(list(rec))
    wb.save(path)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--recipients", type=int, default=500_000, help="recipients (x2 interviews: paired year)")
    p.add_argument("--xlsx-rows", type=int, default=200_000)
    p.add_argument("--openpyxl", action="store_true", help="also time pandas.read_excel(engine='openpyxl') (slow)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each CSV row; the table shows the median run")
    args = p.parse_args()
    raw = DATA / f"ingest_{args.recipients}"
    if not (raw / "interviews_2020.csv").exists():
        from helpers.io.demo import write_demo_data

        t0 = time.perf_counter()
        write_demo_data(raw, raw / "truth.json", seed=1, recipients=args.recipients, years=(2020,))
        print(f"generated {2 * args.recipients:,} interviews in {time.perf_counter() - t0:.0f} s")
    xlsx = DATA / f"interviews_{args.xlsx_rows}.xlsx"
    if not xlsx.exists():
        t0 = time.perf_counter()
        make_xlsx(raw, args.xlsx_rows, xlsx)
        print(f"wrote {args.xlsx_rows:,}-row XLSX in {time.perf_counter() - t0:.0f} s")
    priority = raise_priority()
    load = os.getloadavg()[0]
    rows = []
    modes = [("ingest", f"helpers.io.ingest.ingest, {2 * args.recipients:,}-interview CSV "
                        "(read + validate + scrub + pseudonymise)"),
             ("pandas_read", "plain pandas.read_csv(dtype=str), same CSV, reading only"),
             ("pandas_read_pyarrow", "plain pandas.read_csv(dtype=str, engine='pyarrow'), same CSV, reading only"),
             ("xlsx_read", "helpers.io.ingest.read_source, XLSX (python-calamine + <mergeCells>)"),
             ("pandas_excel_calamine", "plain pandas.read_excel(engine='calamine'), same XLSX, reading only")]
    if args.openpyxl:
        modes.append(("pandas_excel_openpyxl", "plain pandas.read_excel(engine='openpyxl'), same XLSX, reading only"))
    loads = []
    for mode, label in modes:
        loads.append(os.getloadavg()[0])
        runs = [run(mode, raw, xlsx) for _ in range(args.repeat if not mode.startswith(("xlsx", "pandas_excel")) else 1)]
        r = sorted(runs, key=lambda x: x["seconds"])[len(runs) // 2]  # the median run
        rows.append({"step": label, "rows": f"{r['rows']:,}", "wall s": f"{r['seconds']:.1f}",
                     "each run, wall s": " / ".join(f"{x['seconds']:.1f}" for x in runs),
                     "CPU s": f"{r['cpu']:.1f}", "peak MB": f"{r['peak_mb']:.0f}", "load before": f"{loads[-1]:.1f}"})
        print(rows[-1], flush=True)
    after = os.getloadavg()[0]
    body = (table(rows) + f"\n\nPriority: {priority}. 1-minute load average {load:.1f} before, {after:.1f} after "
            "(the machine is shared: wall times vary with the load; CPU s, user + system time of the process and its "
            f"threads, varies less). The CSV rows are the median of {args.repeat} runs (each run in its own column); "
            "the XLSX rows are one run. Targets (issue 20): 1M interviews ingested "
            "and validated in <= 10 s; a 200k-row XLSX read once, merged cells still detected. The ingest row "
            "does everything validation does; the pandas rows only read.\n"
            f"Reproduce: `.venv/bin/python benchmarks/bench_ingest.py --recipients {args.recipients} "
            f"--xlsx-rows {args.xlsx_rows} --repeat {args.repeat}{' --openpyxl' if args.openpyxl else ''}`")
    write_section("bench_ingest", f"Ingestion of {2 * args.recipients:,} interviews and a "
                  f"{args.xlsx_rows:,}-row XLSX", body)


if __name__ == "__main__":
    main()
