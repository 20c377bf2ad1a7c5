"""The papermill pipeline end to end on demo data, failure handling, the lock, and stored notebooks."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers.io.ingest import read_table
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
    assert sorted(p.name for p in (latest / "tables").glob("*.csv"))
    # nothing but ingestion writes into the processed data: the report tables live in the run folder only
    assert not (Path(manifest["parameters"]["processed_dir"]) / "tables").exists()
    assert not (latest / "_artefacts").exists() and not (latest / ".tables").exists()


def test_every_notebook_is_in_the_run(full_run):
    _, out = full_run
    ran = {p.stem.split("-")[0] for p in (out / "latest").glob("*.ipynb")}
    assert ran == {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("year", [2018, 2019, 2020])
def test_overview_counts_equal_published(full_run, year):
    _, out = full_run
    counts = pd.read_csv(out / "latest" / "tables" / f"overview_{year}_counts.csv")
    published = counts[counts["published"].notna()]
    assert len(published) >= 3 and published["match"].astype(bool).all()


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
    assert '<svg class="mg-svg' in html and "</text>" in html  # figures embedded inline, their words as text


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
    # a title a reader of the notebook sees: a markdown title cell, or the report's title from the catalogue
    titled = nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert titled or any(re.search(r"rep\.heading\([^)]*, 1[,)]", c.source) for c in code), "no title"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged `parameters`"
    for line in params[0].source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert re.match(r"^\w+: [\w\[\], |]+ = .+  # .+", line), f"untyped or uncommented parameter: {line}"


def test_every_notebook_runs_with_default_parameters_under_nbval(demo_dirs, tmp_path):
    """As a researcher's "Run All" in JupyterLab: nbval executes every notebook of notebooks/ with its default
    parameters, from notebooks/ with the data in ../data (here a copy of the demo data in a temporary repository)."""
    import subprocess
    import sys

    root = tmp_path / "repo"
    shutil.copytree(NOTEBOOK_DIR, root / "notebooks", ignore=shutil.ignore_patterns("*.py", ".ipynb_checkpoints"))
    shutil.copytree(demo_dirs["processed"], root / "data" / "processed")
    shutil.copytree(demo_dirs["raw"], root / "data" / "raw")
    (root / "data" / "demo").mkdir()
    shutil.copy(demo_dirs["truth"], root / "data" / "demo" / "truth.json")
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(root), str(root / "notebooks")],
                          cwd=root, capture_output=True, text=True, timeout=1500)
    tail = proc.stdout[-3000:]
    assert proc.returncode == 0, tail
    cells = sum(c.cell_type == "code" for p in NOTEBOOKS for c in nbformat.read(str(p), as_version=4).cells)
    assert re.search(rf"\b{cells} passed", tail), tail  # every code cell of every notebook ran


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_reads_every_parameter(path, caplog):
    """papermill's own reading of the parameters cell finds every name the cell assigns, without a warning
    (a comment it cannot parse makes it log "Unable to parse line" in every run and skip the name)."""
    import logging

    import papermill as pm

    from helpers.pipeline import declared_parameters

    with caplog.at_level(logging.WARNING, logger="papermill"):
        names = set(pm.inspect_notebook(str(path)))
    assert names == declared_parameters(path)
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("papermill")]


def test_notebook_sources_are_the_paired_py_files():
    """Each notebook's reviewable source is its jupytext pair (py:percent); the two hold the same cells."""
    import jupytext

    for path in NOTEBOOKS:
        py = path.with_suffix(".py")
        assert py.exists(), f"{py.name} missing: run `jupytext --sync {path.name}`"
        a, b = nbformat.read(str(path), as_version=4), jupytext.read(py)
        pairs = list(zip(a.cells, b.cells, strict=True))
        for x, y in pairs:
            assert (x.cell_type, x.source.strip(), sorted(x.metadata.get("tags", []))) == \
                   (y.cell_type, y.source.strip(), sorted(y.metadata.get("tags", []))), (path.name, x.source[:80])


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
    results = [(p.wait(timeout=300), p.stderr.read(), p.stdout.read()) for p in procs]
    winner, winner_log = next((err, log) for rc, err, log in results if rc == 0)
    # the log is what a person reads on a server: no kernel or papermill warning, one line per notebook
    assert winner == "", winner
    assert re.search(r"^\[1/1\] overview-2018: executed in [\d.]+ s \(\d+ s elapsed\)$", winner_log, re.M), winner_log
    assert len(winner_log.strip().splitlines()) == 4, winner_log  # ingesting, one-year note, progress, complete
    results = [(rc, err) for rc, err, _ in results]
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


# ---------------------------------------------------------------- real data: no planted truth (issue 13, item 1)
def test_real_user_run_completes_without_planted_truth(internal_run):
    """Demo raw files without the demo marker, a stale truth file beside them: every report is rendered
    and no planted-truth section is computed against data the truth does not describe."""
    rc, out = internal_run
    assert rc == 0
    latest = (out / "latest").resolve()
    manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    assert {n["stem"] for n in manifest["notebooks"]} >= {"scoring-2020", "scoring-2021", "trends-all", "summary-all"}
    assert manifest["ingest"]["demo"] is False
    tables = {p.name for p in (latest / "tables").glob("*.csv")}
    assert "trends_truth_check.csv" not in tables
    assert not {"scoring_2020_recovery.csv", "scoring_2021_recovery.csv"} & tables
    pooled = pd.read_csv(latest / "tables" / "scoring_pooled_recovery.csv")
    assert not pooled["data"].str.startswith("demo data").any()  # only the simulated study
    trends_html = (latest / "trends-all.html").read_text(encoding="utf-8")
    assert "Заложенные и оценённые эффекты лет" not in trends_html
    assert "заложенной истины нет" in trends_html
    assert "Демонстрационные данные" not in (latest / "summary-all.html").read_text(encoding="utf-8")


def test_demo_run_checks_the_planted_truth(full_run):
    _, out = full_run
    tables = {p.name for p in (out / "latest" / "tables").glob("*.csv")}
    assert {"trends_truth_check.csv", "scoring_2020_recovery.csv"} <= tables


def test_planted_truth_applies_only_to_the_files_it_was_written_for(demo_dirs, real_raw, tmp_path):
    from helpers.io.demo import is_demo, planted_truth
    from helpers.io.ingest import ingest, write_processed

    truth = planted_truth(demo_dirs["processed"], demo_dirs["truth"])
    assert truth is not None and truth["year_effect"] and is_demo(demo_dirs["processed"])
    assert planted_truth(demo_dirs["processed"], tmp_path / "no-truth.json") is None  # no truth file
    # demo files, one of them edited (a row removed): the truth no longer describes them
    edited = tmp_path / "edited"
    shutil.copytree(demo_dirs["raw"], edited)
    f = edited / "interviews_2019.csv"
    f.write_text("".join(f.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    write_processed(ingest(edited), tmp_path / "p_edited")
    assert is_demo(tmp_path / "p_edited") and planted_truth(tmp_path / "p_edited", demo_dirs["truth"]) is None
    # real data (no marker) with a truth file left over from the demo
    import os

    os.environ["MG_PSEUDONYM_KEY"] = "k"
    try:
        write_processed(ingest(real_raw), tmp_path / "p_real")
    finally:
        del os.environ["MG_PSEUDONYM_KEY"]
    assert not is_demo(tmp_path / "p_real") and planted_truth(tmp_path / "p_real", demo_dirs["truth"]) is None


# ---------------------------------------------------------------- incremental runs (issue 12, item 2)
def test_rerun_reuses_unchanged_notebooks_and_reexecutes_what_changed(demo_dirs, tmp_path, capsys):
    raw, out, processed = tmp_path / "raw", tmp_path / "reports", tmp_path / "processed"
    shutil.copytree(demo_dirs["raw"], raw)
    kw = {"out_dir": out, "processed_dir": processed, "notebooks": ["overview"]}
    assert run_pipeline([2018, 2021], raw, **kw) == 0
    first = (out / "latest").resolve()
    # nothing changed: nothing executed, every report and table published again from the first run
    assert run_pipeline([2018, 2021], raw, **kw) == 0
    second = json.loads((out / "latest" / "manifest.json").read_text(encoding="utf-8"))
    assert {j["stem"]: j["reused_from"] for j in second["notebooks"]} == {"overview-2018": first.name,
                                                                          "overview-2021": first.name}
    assert sorted(p.name for p in (out / "latest" / "tables").glob("*.csv")) == sorted(
        p.name for p in (first / "tables").glob("*.csv"))
    assert (out / "latest" / "overview-2021.html").read_bytes() == (first / "overview-2021.html").read_bytes()
    assert "reused from run" in (out / "latest" / "index.html").read_text(encoding="utf-8")
    # the 2021 file changes (one interview fewer): 2021 is executed again, 2018 is still reused
    f = raw / "interviews_2021.csv"
    lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
    f.write_text("".join(lines[:-4] + lines[-3:]), encoding="utf-8")
    assert run_pipeline([2018, 2021], raw, **kw) == 0
    third = {j["stem"]: j for j in json.loads((out / "latest" / "manifest.json").read_text(encoding="utf-8"))["notebooks"]}
    assert third["overview-2018"]["reused_from"] == first.name
    assert third["overview-2021"]["reused_from"] == "" and third["overview-2021"]["seconds"] > 0
    # --force executes everything
    assert run_pipeline([2018, 2021], raw, force=True, **kw) == 0
    fourth = json.loads((out / "latest" / "manifest.json").read_text(encoding="utf-8"))["notebooks"]
    assert all(j["reused_from"] == "" for j in fourth)
    log = capsys.readouterr().out
    assert "[2/2] overview-2018: reused from run" in log or "[1/2] overview-2018: reused from run" in log


def test_data_fingerprint_of_a_year_ignores_other_years(demo_result):
    from helpers.pipeline import data_fingerprints

    base = data_fingerprints(demo_result)
    assert set(base) == {2018, 2019, 2020, 2021} and len(set(base.values())) == 4
    changed = dataclasses.replace(demo_result, interviews=demo_result.interviews.drop(
        demo_result.interviews.index[demo_result.interviews["year"] == 2021][:1]))
    after = data_fingerprints(changed)
    assert after[2021] != base[2021] and all(after[y] == base[y] for y in (2018, 2019, 2020))


# ---------------------------------------------------------------- declared studies (issue 14, item 2)
def test_pipeline_plans_a_declared_study_without_code_change(tmp_path, monkeypatch):
    """A new study is a YAML declaration, its notebook and its raw files: the pipeline plans it as declared."""
    from helpers import studies
    from helpers.pipeline import plan_study, raw_fingerprints

    folder = tmp_path / "studies"
    folder.mkdir()
    shutil.copy(studies.STUDY_DIR / "mystery_guest.yaml", folder)
    (folder / "survey.yaml").write_text(
        "name: survey\ntitle: {en: Survey, ru: Опрос}\nfiles: '^survey_(\\d{4})\\.csv$'\n"
        "notebooks:\n  - {notebook: overview, each: year, parameters: {flag: true}}\n"
        "  - {notebook: overview, each: all, min_years: 3}\n", encoding="utf-8")
    declared = {s.name: s for s in studies.load_studies(folder)}
    assert set(declared) == {"mystery_guest", "survey"}
    raw = tmp_path / "raw"
    raw.mkdir()
    for y in (2020, 2021):
        (raw / f"survey_{y}.csv").write_text(f"a\n{y}\n", encoding="utf-8")
    (raw / "survey_2021 (копия).csv").write_text("a\n", encoding="utf-8")
    years = studies.study_years(declared["survey"], raw)
    assert years == [2020, 2021]
    jobs = plan_study(declared["survey"], {"year": years})
    assert [(j.stem, j.parameters, j.study) for j in jobs] == [
        ("overview-2020", {"year": 2020, "flag": True}, "survey"),
        ("overview-2021", {"year": 2021, "flag": True}, "survey")]  # 'all' needs 3 years
    before = raw_fingerprints(declared["survey"], raw)
    (raw / "survey_2021.csv").write_text("a\n2022\n", encoding="utf-8")
    after = raw_fingerprints(declared["survey"], raw)
    assert after[2020] == before[2020] and after[2021] != before[2021]


def test_bad_study_declaration_names_the_file(tmp_path):
    from helpers import studies

    (tmp_path / "bad.yaml").write_text("name: bad\nfiles: 'x_(\\d{4})'\nnotebooks:\n  - {notebook: a, each: weekly}\n",
                                       encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.yaml: notebook 'a': 'each' must be one of"):
        studies.load_studies(tmp_path)


# ---------------------------------------------------------------- one kernel per worker (issue 12, item 1)
def test_notebooks_sharing_a_kernel_see_nothing_of_each_other(demo_dirs, tmp_path):
    """With one worker every notebook runs on the same kernel; the namespace is reset between them."""
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    for name, code in [("overview", "leak = 'from overview'\nimport os\nwith open('pid-overview', 'w') as f:\n"
                                     "    f.write(str(os.getpid()))"),
                       ("scoring", "assert 'leak' not in globals(), 'namespace not reset'\nimport os\n"
                                   "with open(f'pid-scoring-{year}', 'w') as f:\n    f.write(str(os.getpid()))")]:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}"), nbformat.v4.new_code_cell("year: int = 0  # y"),
                    nbformat.v4.new_code_cell(code)]
        nb.cells[1].metadata["tags"] = ["parameters"]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, nbdir / f"{name}.ipynb")
    out = tmp_path / "reports"
    rc = run_pipeline([2018, 2019], demo_dirs["raw"], out, processed_dir=tmp_path / "p", notebook_dir=nbdir, jobs=1,
                      notebooks=["overview", "scoring"])
    assert rc == 0, json.loads(next(out.glob("*-failed/failure.json")).read_text()) if rc else rc
    run = (out / "latest").resolve()
    pids = {p.name: p.read_text() for p in run.glob("pid-*")}
    assert {"pid-overview", "pid-scoring-2018", "pid-scoring-2019"} <= set(pids)
    assert len(set(pids.values())) == 1  # one kernel served every notebook


def test_bad_file_of_a_declared_study_stops_the_run_before_any_notebook(demo_dirs, tmp_path):
    import subprocess
    import sys

    raw = tmp_path / "raw"
    shutil.copytree(demo_dirs["raw"], raw)
    nok = raw / "nok_organisations_2021.csv"
    frame = pd.read_csv(nok)
    frame.drop(columns=frame.columns[1]).to_csv(nok, index=False)
    out = tmp_path / "reports"
    proc = subprocess.run([sys.executable, "-m", "helpers", "run", "--years", "2021", "--raw", str(raw), "--out",
                           str(out), "--processed", str(tmp_path / "p")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "nok_organisations_2021.csv" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not list(out.glob("*/*.html")) and not list(out.glob(".building-*"))  # no notebook ran, nothing left


# ---------------------------------------------------------------- computed once (issue 14, item 3)
def _declares_artefact_dir(name: str) -> bool:
    from helpers.pipeline import declared_parameters

    return "artefact_dir" in declared_parameters(NOTEBOOK_DIR / f"{name}.ipynb")


MG_NOTEBOOKS = ("overview", "scoring", "reliability", "trends", "summary")


def test_full_run_computes_every_artefact_once(full_run):
    """Every shared artefact of a full run is computed exactly once; `scored` once, loaded by the other
    Mystery Guest notebooks. A notebook that stops declaring `artefact_dir` fails here (it would compute
    every shared model again), it is not skipped."""
    missing = [n for n in MG_NOTEBOOKS if not _declares_artefact_dir(n)]
    assert not missing, f"Mystery Guest notebooks without an `artefact_dir` parameter: {missing}"
    _, out = full_run
    manifest = json.loads((out / "latest" / "manifest.json").read_text(encoding="utf-8"))
    arts = manifest["artefacts"]
    assert arts, "the run's manifest records no artefact"
    assert {(a["name"], a["computed"]) for a in arts} == {(a["name"], 1) for a in arts}, arts
    scored = [a for a in arts if a["name"] == "scored"]
    assert len(scored) == 1 and scored[0]["computed"] == 1 and scored[0]["loaded"] >= 1, scored
    assert all(_declares_artefact_dir(n) for n in MG_NOTEBOOKS)  # every Mystery Guest notebook takes the folder
    assert not (out / "latest" / "_artefacts").exists()


def _artefact_notebooks(nbdir: Path) -> Path:
    """Two tiny Mystery Guest notebooks: `overview` takes `artefact_dir` and asks for the scored interviews,
    `scoring` takes no such parameter (as a notebook not yet moved to the artefact store)."""
    nbdir.mkdir(parents=True)
    cells = {"overview": ("year: int = 0  # y\nprocessed_dir: str = ''  # p\nartefact_dir: str = ''  # a",
                          "from helpers.studies.mystery_guest.study import open_study\n"
                          "study = open_study(processed_dir, artefact_dir)\nassert len(study.scored(year))\n"
                          "from IPython.display import HTML, display\n"
                          "display(HTML(f\"<h1 id='t'>Overview {year}</h1><h2 id='s'>Section</h2>\"))"),
             "scoring": ("year: int = 0  # y", "assert 'artefact_dir' not in globals()")}
    for name, (params, code) in cells.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(params), nbformat.v4.new_code_cell(code)]
        nb.cells[0].metadata["tags"] = ["parameters"]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, nbdir / f"{name}.ipynb")
    return nbdir


def test_artefact_folder_reaches_the_notebooks_that_declare_it(demo_dirs, tmp_path):
    """The pipeline passes the run's artefact folder only to notebooks declaring `artefact_dir`; what they
    share is computed once (here `scored`, asked for by three notebooks on two kernels), the folder is not
    published, and the manifest keeps its log's summary. The title comes from the first emitted <h1>."""
    out = tmp_path / "reports"
    rc = run_pipeline([2018, 2019, 2020], demo_dirs["raw"], out, processed_dir=tmp_path / "p", jobs=2,
                      notebook_dir=_artefact_notebooks(tmp_path / "nb"), notebooks=["overview", "scoring"])
    assert rc == 0, json.loads(next(out.glob("*-failed/failure.json")).read_text()) if rc else rc
    run = (out / "latest").resolve()
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert [(a["name"], a["computed"], a["loaded"]) for a in manifest["artefacts"]] == [("scored", 1, 2)]
    assert not (run / "_artefacts").exists() and not list(run.rglob("*.pkl"))
    jobs = {j["stem"]: j for j in manifest["notebooks"]}
    assert "artefact_dir" not in jobs["overview-2018"]["parameters"]  # a place of the build, not recorded
    page = (run / "overview-2019.html").read_text(encoding="utf-8")
    assert "<title>Overview 2019</title>" in page and jobs["overview-2019"]["title"] == "Overview 2019"
    assert "href=\"#s\">Section</a>" in page  # the table of contents finds headings emitted as outputs
    assert "Overview 2019" in (run / "index.html").read_text(encoding="utf-8")


def test_run_pages_in_russian_hold_no_english(demo_dirs, tmp_path):
    """With --lang ru the run's page and the list of runs are Russian throughout (file names and hashes
    in <code> aside)."""
    from helpers.narrative.language import code_names, latin_words

    out = tmp_path / "reports"
    nbdir = _tiny_notebooks(tmp_path / "n", failing=False)
    for lang in ("en", "ru"):
        assert run_pipeline([2018], demo_dirs["raw"], out, processed_dir=tmp_path / "p", notebook_dir=nbdir,
                            lang=lang) == 0
        for page in (out / "latest" / "index.html", out / "index.html"):
            visible = re.sub(r"<code>.*?</code>|<head>.*?</head>|<[^>]+>", " ", page.read_text(encoding="utf-8"), flags=re.S)
            visible = re.sub(r"\b\d{8}-\d{6}\b", " ", visible)  # run ids
            if lang == "ru":
                assert latin_words(visible) == [], (page.name, latin_words(visible))
            else:
                assert code_names(visible) == [], (page.name, code_names(visible))
    assert "Что изменилось" in (out / "latest" / "index.html").read_text(encoding="utf-8")


def test_report_exporter_makes_the_page_nbconvert_makes(full_run):
    """The run's exporter skips HTMLExporter's BeautifulSoup pass and makes its two changes on the text:
    the same document as nbconvert's HTMLExporter (compared as parsed by BeautifulSoup)."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    from helpers.pipeline.publish import TEMPLATES, _exporter

    _, out = full_run
    nbconvert = HTMLExporter(template_name="mg", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
                             exclude_input_prompt=True, exclude_output_prompt=True)
    nbconvert.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"lang-ru"}, enabled=True), enabled=True)
    planted = nbformat.v4.new_notebook()  # an image without alt text and an output to make focusable
    planted.cells = [nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "display_data", {"text/html": "<p>a</p><img src='x.png'>"})])]
    notebooks = [nbformat.read(str(out / "latest" / f"{stem}.ipynb"), as_version=4)
                 for stem in ("scoring-2020", "mailbox-all")]
    for nb in [planted, *notebooks]:
        ours, theirs = _exporter("en").from_notebook_node(nb)[0], nbconvert.from_notebook_node(nb)[0]
        assert 'tabindex="0"' in ours
        assert str(BeautifulSoup(ours, "html.parser")) == str(BeautifulSoup(theirs, "html.parser"))
    assert 'alt="No description has been provided for this image"' in _exporter("en").from_notebook_node(planted)[0]


# ---------------------------------------------------------------- small cells (issue 23, item 3)
def _latest(out: Path) -> Path:
    """The run's report folder under the output path the fixture gave: ``<out>/latest``, or an audience's own
    tree below it (``<out>/internal/latest``)."""
    found = [p for p in (out / "latest", *sorted(out.glob("*/latest"))) if (p / "manifest.json").exists()]
    assert len(found) == 1, found
    return found[0].resolve()


def _rows(html: str, worker: str) -> list[str]:
    """The HTML table rows naming ``worker`` (its code, alone or followed by the name)."""
    return [r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if re.search(rf">{worker}(?:<| )", r)]


def test_public_reports_suppress_the_small_cell(full_run):
    """The demo's worker W13 is assessed in 2021 through 3 recipients (6 interviews): every public table
    blanks its 2021 cells (`n<5`), and no other cell is suppressed; its 2020 cells (10 recipients) are shown."""
    from helpers.io.demo import SMALL_CELL
    from helpers.report import SUPPRESSED

    worker, year = SMALL_CELL
    latest = _latest(full_run[1])
    html = (latest / f"scoring-{year}.html").read_text(encoding="utf-8")
    rows = _rows(html, worker)
    assert rows and all("n&lt;5" in r for r in rows), rows
    assert all(_rows(r, worker) for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if "n&lt;5" in r)
    assert "n&lt;5" not in (latest / "scoring-2020.html").read_text(encoding="utf-8")
    # the CSV tables are tidy: a withheld cell is empty and its row flagged `suppressed`, no "n<5" text in a
    # column of numbers
    tables = latest / "tables"
    scores = pd.read_csv(tables / f"scoring_{year}_workers.csv", dtype=str)
    small = scores["worker_id"] == worker
    assert small.any() and scores.loc[small, "adjusted"].isna().all() and (scores.loc[small, "suppressed"] == "True").all()
    assert (scores.loc[small, "n_recipients"] == "3").all()
    assert scores.loc[~small, "adjusted"].notna().all() and (scores.loc[~small, "suppressed"] == "False").all()
    per_worker = pd.read_csv(tables / f"overview_{year}_workers.csv", dtype=str).set_index("worker")
    assert pd.isna(per_worker.loc[worker, "interviews"]) and (per_worker["suppressed"] == "True").sum() == 1
    assert per_worker.loc[worker, "suppressed"] == "True"
    per_year = pd.read_csv(tables / "trends_workers_per_year.csv", dtype=str).set_index(["worker_id", "year"])
    assert pd.isna(per_year.loc[(worker, str(year)), "estimate"])
    assert pd.notna(per_year.loc[(worker, "2020"), "estimate"])
    assert (per_year["suppressed"] == "True").sum() == 1 and per_year.loc[(worker, str(year)), "suppressed"] == "True"
    for t in tables.glob("*.csv"):
        assert SUPPRESSED not in t.read_text(encoding="utf-8"), t.name
    # the per-interview table would give the blanked mean back: the worker's code is gone from its 2021 rows,
    # the rows stay, and 2020's rows keep it
    for stem in (str(year), "pooled"):
        interviews = pd.read_csv(tables / f"scoring_{stem}_interviews.csv", dtype=str)
        in_year = interviews["year"] == str(year)
        assert not ((interviews["worker_id"] == worker) & in_year).any()
        masked = interviews["suppressed"] == "True"
        assert masked.sum() == 6 and (masked <= in_year).all() and interviews.loc[masked, "worker_id"].isna().all()
        if stem == "pooled":
            assert ((interviews["worker_id"] == worker) & (interviews["year"] == "2020")).sum() > 0


def test_internal_reports_show_the_small_cell(internal_run):
    """Management sees W13's 2021 scores: no cell of the internal run is suppressed."""
    from helpers.io.demo import SMALL_CELL
    from helpers.report import SUPPRESSED

    worker, year = SMALL_CELL
    latest = _latest(internal_run[1])
    html = (latest / f"scoring-{year}.html").read_text(encoding="utf-8")
    rows = _rows(html, worker)
    assert rows and not [r for r in rows if "n&lt;5" in r] and "n&lt;5" not in html
    assert re.search(rf">{worker} [А-ЯЁ]", html)  # the name beside the code
    scores = pd.read_csv(latest / "tables" / f"scoring_{year}_workers.csv", dtype=str)
    mine = scores[scores["worker_id"] == worker]
    assert len(mine) and (mine["n_recipients"] == "3").all()
    assert pd.to_numeric(mine["adjusted"]).notna().all() and not (scores == SUPPRESSED).any().any()
    assert "suppressed" not in scores
    interviews = pd.read_csv(latest / "tables" / f"scoring_{year}_interviews.csv", dtype=str)
    assert (interviews["worker_id"] == worker).sum() == 6 and not (interviews["worker_id"] == SUPPRESSED).any()
