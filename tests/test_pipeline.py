"""The papermill pipeline end to end on demo data, failure handling, the lock, and stored notebooks."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest

from helpers.ingest import read_table
from helpers.pipeline import NOTEBOOK_DIR, run_lock, run_pipeline

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


@pytest.fixture(scope="module")
def full_run(public_run):
    return public_run


def test_full_run_completes_and_links_every_report(full_run):
    rc, out = full_run
    assert rc == 0
    latest = out / "latest"
    assert latest.is_symlink() and (latest / "index.html").exists()
    manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
    assert {n["status"] for n in manifest["notebooks"]} == {"ok"}
    assert {"interviews_2018.csv", "workers_2020.csv", "strata_2021.csv"} <= set(manifest["inputs"])
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in manifest["inputs"].values())
    assert manifest["packages"]["pandas"] and manifest["git_commit"]
    index = (latest / "index.html").read_text(encoding="utf-8")
    htmls = sorted(p.name for p in latest.glob("*.html") if p.name != "index.html")
    assert len(htmls) == len(manifest["notebooks"]) >= 4
    for name in htmls:
        assert f"href='{name}'" in index
    assert (out / "index.html").exists() and "latest/index.html" in (out / "index.html").read_text(encoding="utf-8")
    assert manifest["ingest"]["rows_read"] == manifest["ingest"]["rows_accepted"] + manifest["ingest"]["rows_quarantined"]
    tables = sorted(p.name for p in (latest / "tables").glob("*.csv"))
    assert tables and tables == sorted(p.name for p in (Path(manifest["parameters"]["processed_dir"]) / "tables").glob("*.csv"))


def test_every_notebook_is_in_the_run(full_run):
    _, out = full_run
    ran = {p.stem.split("-")[0] for p in (out / "latest").glob("*.ipynb")}
    assert ran == {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("year", [2018, 2019, 2020])
def test_overview_counts_equal_published(full_run, year):
    _, out = full_run
    counts = pd.read_csv(out / "latest" / "tables" / f"overview_{year}_counts.csv")
    published = counts[counts["published"] != "—"]
    assert len(published) >= 3 and (published["match"] == "yes").all()


def test_reports_hide_code_and_leak_no_recipient(full_run, demo_dirs):
    _, out = full_run
    raw = pd.concat([read_table(p) for p in demo_dirs["raw"].glob("interviews_*.csv")])
    secrets = {s for s in set(raw["recipient_name"]) | set(raw["recipient_phone"]) if s}
    manifest = json.loads((out / "latest" / "manifest.json").read_text(encoding="utf-8"))
    processed = Path(manifest["parameters"]["processed_dir"])
    scanned = 0
    for p in [*(out / "latest").rglob("*"), *processed.rglob("*")]:  # the reports and data/processed
        if p.is_file():
            text = p.read_bytes().decode("utf-8", "ignore")
            if p.suffix == ".parquet":  # compressed: scan the decoded table as well
                text += pd.read_parquet(p).astype(str).to_csv()
            assert not [s for s in secrets if s in text], p.name
            scanned += p.suffix == ".parquet"
    assert scanned >= 6
    html = (out / "latest" / "overview-2020.html").read_text(encoding="utf-8")
    assert "load_processed" not in html  # code cells are hidden
    assert "data:image/png;base64" in html  # figures embedded


def _tiny_notebooks(tmp_path: Path, failing: bool) -> Path:
    nbdir = tmp_path / "nb"
    nbdir.mkdir(parents=True)
    shutil.copy(NOTEBOOK_DIR / "overview.ipynb", nbdir)
    if failing:  # the last notebook of a run ("summary") fails in its second cell
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("years: list = [2020]"), nbformat.v4.new_code_cell("1 / 0")]
        nb.cells[0].metadata["tags"] = ["parameters"]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, nbdir / "summary.ipynb")
    return nbdir


def test_failed_run_leaves_latest_and_a_failure_record(demo_dirs, tmp_path):
    out, processed = tmp_path / "reports", tmp_path / "processed"
    ok = run_pipeline([2018], demo_dirs["raw"], out, processed_dir=processed,
                      notebook_dir=_tiny_notebooks(tmp_path / "a", failing=False))
    assert ok == 0
    good = (out / "latest").resolve()
    rc = run_pipeline([2018, 2019], demo_dirs["raw"], out, processed_dir=processed,  # summary needs 2 years
                      notebook_dir=_tiny_notebooks(tmp_path / "b", failing=True))
    assert rc == 1
    assert (out / "latest").resolve() == good
    failed = [p for p in out.iterdir() if p.name.endswith("-failed")]
    assert len(failed) == 1
    record = json.loads((failed[0] / "failure.json").read_text(encoding="utf-8"))
    assert record[0]["notebook"] == "summary.ipynb" and "ZeroDivisionError" in record[0]["error"]
    assert record[0]["cell"] is not None
    assert json.loads((failed[0] / "manifest.json").read_text(encoding="utf-8"))["status"] == "failed"
    assert not list(out.glob(".building-*"))


def test_second_run_exits_at_once_when_locked(demo_dirs, tmp_path, capsys):
    out = tmp_path / "reports"
    with run_lock(out):
        rc = run_pipeline([2018], demo_dirs["raw"], out, processed_dir=tmp_path / "p")
    assert rc == 3
    assert "another run is in progress" in capsys.readouterr().err
    assert not [p for p in out.iterdir() if p.is_dir()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_stored_without_outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any(c.outputs or c.execution_count for c in code)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged `parameters`"
    for line in params[0].source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert re.match(r"^\w+: [\w\[\], |]+ = .+  # .+", line), f"untyped or uncommented parameter: {line}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_with_default_parameters(path, demo_dirs, tmp_path):
    """As a researcher opening it in JupyterLab: cwd notebooks/, data in ../data/processed."""
    root = tmp_path / "repo"
    (root / "notebooks").mkdir(parents=True)
    shutil.copytree(demo_dirs["processed"], root / "data" / "processed")
    (root / "data" / "demo").mkdir()
    shutil.copy(demo_dirs["truth"], root / "data" / "demo" / "truth.json")
    pm.execute_notebook(str(path), str(tmp_path / "out.ipynb"), cwd=str(root / "notebooks"),
                        kernel_name="python3", progress_bar=False)


def test_changes_since_previous_run():
    from helpers.pipeline import changes_since

    prev = {"run_id": "r1", "inputs": {"a.csv": "1", "b.csv": "2"}, "headlines": {"2020 interviews": 288}}
    now = {"run_id": "r2", "inputs": {"a.csv": "1", "b.csv": "3", "c.csv": "4"}, "headlines": {"2020 interviews": 290}}
    ch = changes_since(prev, now)
    assert ch["previous_run"] == "r1"
    assert ch["inputs"] == [{"file": "b.csv", "change": "changed"}, {"file": "c.csv", "change": "added"}]
    assert ch["headlines"] == [{"figure": "2020 interviews", "before": 288, "now": 290}]
    assert changes_since(None, now)["previous_run"] is None


def test_second_run_reports_what_changed(demo_dirs, tmp_path):
    out, processed = tmp_path / "reports", tmp_path / "processed"
    nbdir = _tiny_notebooks(tmp_path / "n", failing=False)
    assert run_pipeline([2018], demo_dirs["raw"], out, processed_dir=processed, notebook_dir=nbdir) == 0
    first = (out / "latest").resolve().name
    assert run_pipeline([2018], demo_dirs["raw"], out, processed_dir=processed, notebook_dir=nbdir) == 0
    manifest = json.loads((out / "latest" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["changes"]["previous_run"] == first and manifest["changes"]["inputs"] == []
    assert manifest["headlines"]["2018 recipients"] == 35
    assert "no input file and no headline figure changed" in (out / "latest" / "index.html").read_text(encoding="utf-8")


def test_parallel_run_leaves_the_process_working_folder_alone(full_run):
    """papermill's `cwd` argument chdirs the whole process; with --jobs 2 that raced. The run must not move us."""
    import os

    assert Path(os.getcwd()).resolve() == Path(__file__).resolve().parents[1]


def test_two_runs_started_at_once(demo_dirs, tmp_path):
    """Two scheduled runs on one reports folder: exactly one publishes, the other exits 3 with a clear message."""
    import subprocess
    import sys

    out = tmp_path / "reports"
    cmd = [sys.executable, "-m", "helpers", "run", "--years", "2018", "--notebooks", "overview", "--raw",
           str(demo_dirs["raw"]), "--out", str(out), "--processed", str(tmp_path / "processed")]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 3], results
    loser = next(err for rc, err in results if rc == 3)
    assert "another run is in progress" in loser and "Traceback" not in loser
    assert len([p for p in out.iterdir() if p.is_dir() and p.name[0].isdigit()]) == 1
    assert (out / "latest" / "index.html").exists()


def test_plan_skips_trends_for_a_single_year():
    from helpers.pipeline import plan_jobs

    one = {j.notebook for j in plan_jobs([2020], [2020])}
    two = {j.notebook for j in plan_jobs([2020, 2021], [2020, 2021])}
    assert "trends" not in one and "summary" not in one
    assert {"trends", "summary"} <= two
