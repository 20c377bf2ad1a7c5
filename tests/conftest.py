"""Shared fixtures: one set of demo raw data and its ingestion per test session (in a temp folder)."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from helpers.datasets import REFERENCE_DIR
from helpers.io.codebook import load_codebook
from helpers.io.demo import DEMO_MARKER, write_demo_data
from helpers.io.ingest import ingest, write_processed
from helpers.studies.nok.demo import write_nok_demo
from helpers.studies.nok.ingest import validate_for_run
from helpers.studies.registers.demo import write_registers_demo
from helpers.studies.registers.ingest import validate_for_run as validate_registers

REFERENCE = REFERENCE_DIR
# fixtures and the scripts that made them are data, not test modules (doctest collection would import them)
collect_ignore = ["data"]


def _once_per_suite(name: str, tmp_path_factory, compute):
    """``compute()`` once for the whole suite, also under pytest-xdist (``make test`` runs two workers): the
    first worker that asks computes and records the JSON-able result in the suite's shared temporary folder,
    under a file lock; a worker asking meanwhile waits for it and reuses it (the full pipeline runs below are
    the suite's most expensive fixtures). xdist's own grouping (--dist loadgroup) cannot do this with pytest 9
    (it renames test ids through an attribute pytest 9 no longer reads)."""
    import fcntl
    import json

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    record, lock = shared / f"{name}.json", shared / f"{name}.lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            if record.exists():
                return json.loads(record.read_text(encoding="utf-8"))
            value = compute()
            record.write_text(json.dumps(value), encoding="utf-8")
            return value
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def suite_once(tmp_path_factory):
    """``suite_once(name, compute)``: :func:`_once_per_suite` for a test module's own expensive results."""
    return lambda name, compute: _once_per_suite(name, tmp_path_factory, compute)


@pytest.fixture(scope="session")
def codebook():
    return load_codebook()


@pytest.fixture(scope="session")
def demo_dirs(tmp_path_factory) -> dict[str, Path]:
    """Demo raw data, its truth and its processed tables, written once per session."""
    root = tmp_path_factory.mktemp("demo")
    raw, processed, truth = root / "raw", root / "processed", root / "demo" / "truth.json"
    write_demo_data(raw, truth, seed=2018)
    write_nok_demo(raw, truth_path=root / "demo" / "nok_truth.json")
    write_registers_demo(raw)
    write_processed(ingest(raw), processed)
    validate_for_run(raw, [2021], processed)
    validate_registers(raw, [2018, 2019, 2020, 2021], processed)
    return {"root": root, "raw": raw, "processed": processed, "truth": truth}


@pytest.fixture(scope="session")
def copy_demo_years(demo_dirs):
    """``copy_demo_years(folder, 2020, ...)``: the demo's raw files of those years and its demo marker copied into
    a new ``folder`` (returned), for a test to alter."""

    def copy(folder: Path, *years: int) -> Path:
        folder.mkdir(parents=True)
        for p in demo_dirs["raw"].iterdir():
            if p.name.endswith(tuple(f"{y}.csv" for y in years)) or p.name == DEMO_MARKER:
                shutil.copy(p, folder)
        return folder

    return copy


@pytest.fixture(scope="session")
def demo_result(demo_dirs):
    return ingest(demo_dirs["raw"])


@pytest.fixture(scope="session")
def public_run(demo_dirs, tmp_path_factory):
    """The full 2018-2021 pipeline on demo data, English, public audience, with the DOCX documents
    (tests/test_documents.py; the Russian run prints the PDFs as well): (exit code, reports folder)."""
    from helpers.pipeline import run_pipeline

    def compute():
        out = tmp_path_factory.mktemp("reports_public")
        rc = run_pipeline(years=[2018, 2019, 2020, 2021], raw_dir=demo_dirs["raw"], out_dir=out, jobs=2,
                          processed_dir=tmp_path_factory.mktemp("processed_public"), truth_path=demo_dirs["truth"],
                          formats=("html", "docx"))
        return rc, str(out)

    rc, out = _once_per_suite("public_run", tmp_path_factory, compute)
    return rc, Path(out)


@pytest.fixture(scope="session")
def russian_run(demo_dirs, tmp_path_factory):
    """The full 2018-2021 pipeline in Russian for the public (the internal run covers only 2020-2021), with every
    document format (tests/test_documents.py)."""
    from helpers.pipeline import run_pipeline

    def compute():
        out = tmp_path_factory.mktemp("reports_ru")
        rc = run_pipeline(years=[2018, 2019, 2020, 2021], raw_dir=demo_dirs["raw"], out_dir=out, jobs=2, lang="ru",
                          processed_dir=tmp_path_factory.mktemp("processed_ru"), truth_path=demo_dirs["truth"],
                          formats=("html", "pdf", "docx"))
        return rc, str(out)

    rc, out = _once_per_suite("russian_run", tmp_path_factory, compute)
    return rc, Path(out)


@pytest.fixture(scope="session")
def real_raw(demo_dirs, tmp_path_factory) -> Path:
    """The demo raw files as a real user holds them: no demo marker (so no planted truth applies)."""
    raw = tmp_path_factory.mktemp("real") / "raw"
    shutil.copytree(demo_dirs["raw"], raw)
    (raw / DEMO_MARKER).unlink()
    return raw


@pytest.fixture(scope="session")
def internal_run(real_raw, demo_dirs, tmp_path_factory):
    """The pipeline in Russian for management (internal audience), the paired years only (suite time), as a
    real user runs it: raw files without the demo marker, their own pseudonymisation key, and a truth file
    left over from an earlier demo run that must not be applied to them: (exit code, the internal tree
    ``<--out>/internal``, which holds the run, its ``latest`` and ``index.html``)."""
    from helpers.pipeline import run_pipeline

    def compute():
        out = tmp_path_factory.mktemp("reports_internal")
        with _env(MG_PSEUDONYM_KEY="a real centre's secret key"):
            rc = run_pipeline(years=[2020, 2021], raw_dir=real_raw, out_dir=out, jobs=2, lang="ru",
                              audience="internal", processed_dir=tmp_path_factory.mktemp("processed_internal"),
                              truth_path=demo_dirs["truth"])
        return rc, str(out / "internal")

    rc, out = _once_per_suite("internal_run", tmp_path_factory, compute)
    return rc, Path(out)


@contextlib.contextmanager
def _env(**values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


#: the full runs the browser visits, their language, and whether axe-core audits them and SVG texts are measured
VISITED_RUNS = {"public_run": ("en", True), "russian_run": ("ru", True), "internal_run": ("ru", False)}


@pytest.fixture(scope="session")
def visited(request, suite_once):
    """``visited(which)``: (the run folder, :func:`_chromium.visit` of every page of a full run fixture, keyed
    ``<run>/<page>.html`` and ``index.html`` for the reports index), once for the whole suite: the browser,
    accessibility and figure tests read the same visit (screenshots in the run's ``screenshots/``)."""
    from _chromium import AXE, run_pages, visit

    def get(which: str) -> tuple[Path, dict[str, dict]]:
        rc, out = request.getfixturevalue(which)
        assert rc == 0
        run_dir = (out / "latest").resolve()
        lang, deep = VISITED_RUNS[which]

        def compute():
            seen = visit(run_pages(out), lang, run_dir, shots_dir=run_dir / "screenshots",
                         axe=AXE if deep and AXE.exists() else None, measure=deep)
            return {str(Path(k).resolve().relative_to(run_dir.parent)): v for k, v in seen.items()}

        return run_dir, suite_once(f"visit_{which}", compute)

    return get
