"""Wall time of a full 2018-2021 run on demo data (ingestion + every notebook + HTML), --jobs 1 vs --jobs 2.

Target (issue 2): full run under 60 s on 2 cores. Each configuration runs in a fresh reports folder.

    .venv/bin/python benchmarks/bench_pipeline.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import table, write_section  # noqa: E402


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        subprocess.run([sys.executable, "-m", "helpers", "demo-data", "--raw", str(raw), "--truth",
                        str(tmp / "truth.json")], check=True, capture_output=True)
        for jobs in (1, 2):
            out = tmp / f"reports_{jobs}"
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "helpers", "run", "--raw", str(raw), "--out", str(out),
                                   "--processed", str(tmp / f"processed_{jobs}"), "--truth", str(tmp / "truth.json"),
                                   "--jobs", str(jobs)], capture_output=True, text=True)
            wall = time.perf_counter() - t0
            manifest = json.loads((next(out.glob("2*")) / "manifest.json").read_text(encoding="utf-8"))
            slowest = max(manifest["notebooks"], key=lambda n: n["seconds"])
            rows.append({"--jobs": jobs, "exit code": proc.returncode, "notebooks": len(manifest["notebooks"]),
                         "wall s": f"{wall:.1f}",
                         "sum of notebook s": f"{sum(n['seconds'] for n in manifest['notebooks']):.1f}",
                         "slowest notebook": f"{slowest['stem']} ({slowest['seconds']:.1f} s)"})
            print(rows[-1], flush=True)
    body = (table(rows) + "\n\nTarget: full 4-year run < 60 s on 2 cores. Wall time includes interpreter start, "
            "ingestion, every notebook (papermill, one kernel each) and the HTML rendering.\n"
            "Reproduce: `.venv/bin/python benchmarks/bench_pipeline.py`")
    write_section("bench_pipeline", "Full 2018-2021 run on demo data", body)


if __name__ == "__main__":
    main()
