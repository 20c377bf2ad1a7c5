"""Wall time of full 2018-2021 runs on demo data, in units of the notebook "floor", and peak memory.

The **floor** is what one trivial notebook costs (it only imports ``helpers``): papermill and nbconvert
as two command-line calls, i.e. process starts, kernel start, imports and HTML export. It is measured
in the same run as the pipeline, so a loaded machine slows both alike and the ratio stays comparable.

Rows: the floor (median of 3); a cold run (``--force``, every notebook executed) with ``--jobs 1`` and with
``--jobs 2`` (median of 3 runs, each listed);
an unchanged rerun (``--jobs 2``: every notebook reused by content key). Targets (issue 12): cold run
<= 4 floors, unchanged rerun <= 1 floor, peak resident memory <= 2 GB with ``--jobs 2``.
Peak memory is the largest sum of the resident sets of the run's process tree (sampled every 0.2 s).

    .venv/bin/python benchmarks/bench_pipeline.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _results import table, write_section  # noqa: E402

BIN = Path(sys.executable).parent
COLD_REPEATS = 3  # cold --jobs 2 runs (the target row); the median is reported, every run listed


def timed(cmd: list[str]) -> tuple[float, int, float]:
    """Run ``cmd``; return (wall seconds, exit code, peak MB of the process tree)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0.0]

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree if p.is_running()) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, _ = proc.communicate()
    thread.join()
    if proc.returncode:
        print(out[-2000:], file=sys.stderr)
    return time.perf_counter() - t0, proc.returncode, peak[0]


def floor(tmp: Path) -> float:
    """A notebook that only imports helpers: papermill CLI + nbconvert CLI (median of 3)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import helpers")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src, out = tmp / "floor.ipynb", tmp / "floor-out.ipynb"
    nbformat.write(nb, src)
    times = []
    for _ in range(3):
        a, _, _ = timed([str(BIN / "papermill"), str(src), str(out), "--no-progress-bar"])
        b, _, _ = timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)])
        times.append(a + b)
    return sorted(times)[1]


def main() -> None:
    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        subprocess.run([sys.executable, "-m", "helpers", "demo-data", "--raw", str(raw), "--truth",
                        str(tmp / "truth.json")], check=True, capture_output=True)
        unit = floor(tmp)
        rows.append({"what": "floor: one trivial notebook (papermill + nbconvert CLI)", "exit code": 0,
                     "notebooks executed / reused": "1 / 0", "wall s": f"{unit:.1f}", "floors": "1.0",
                     "peak MB": "—"})
        print(rows[-1], flush=True)
        for label, jobs, force, folder in [("cold run, --jobs 1", 1, True, "r1"), ("cold run, --jobs 2", 2, True, "r2"),
                                           ("unchanged rerun, --jobs 2", 2, False, "r2")]:
            out = tmp / folder
            cmd = [sys.executable, "-m", "helpers", "run", "--raw", str(raw), "--out", str(out), "--processed",
                   str(tmp / f"processed_{folder}"), "--truth", str(tmp / "truth.json"), "--jobs", str(jobs)]
            repeats = COLD_REPEATS if (force and jobs == 2) else 1  # the target row: median of several runs
            runs = sorted((timed(cmd + (["--force"] if force else [])) for _ in range(repeats)), key=lambda r: r[0])
            wall, rc, peak = runs[len(runs) // 2][0], max(r[1] for r in runs), max(r[2] for r in runs)
            if repeats > 1:
                label += f" (median of {repeats}: " + ", ".join(f"{r[0]:.1f}" for r in runs) + " s)"
            manifest = json.loads((out / "latest" / "manifest.json").read_text(encoding="utf-8"))
            reused = sum(bool(n.get("reused_from")) for n in manifest["notebooks"])
            rows.append({"what": label, "exit code": rc,
                         "notebooks executed / reused": f"{len(manifest['notebooks']) - reused} / {reused}",
                         "wall s": f"{wall:.1f}", "floors": f"{wall / unit:.1f}", "peak MB": f"{peak:.0f}"})
            print(rows[-1], flush=True)
            if force and jobs == 2:
                slowest = sorted(manifest["notebooks"], key=lambda n: -n["seconds"])[:5]
                cold2 = ", ".join(f"{n['stem']} {n['seconds']:.1f} s" for n in slowest)
                cold2_sum = sum(n["seconds"] for n in manifest["notebooks"])
    load = f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    body = (table(rows) + "\n\nTargets (issue 12): cold run <= 4 floors, unchanged rerun <= 1 floor, peak memory "
            "<= 2 GB with --jobs 2. Wall time includes interpreter start, ingestion, every notebook (papermill on one long-lived "
            "kernel per worker) and the HTML rendering; the floor is measured in the same run.\n"
            f"Cold run with --jobs 2: notebooks took {cold2_sum:.0f} s in all (per notebook in the run's manifest, "
            f"`notebooks[].seconds`); the slowest: {cold2}. Machine load (1-minute average, 2 cores): {load}.\n"
            "Reproduce: `.venv/bin/python benchmarks/bench_pipeline.py`")
    write_section("bench_pipeline", "Full 2018-2021 run on demo data, in floors", body)


if __name__ == "__main__":
    main()
