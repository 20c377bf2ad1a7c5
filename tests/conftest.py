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
# session fixtures that run the whole pipeline: under pytest-xdist (`make test`: -n 2 --dist loadgroup) every
# test that uses one of them goes to one worker, so each full run happens once per suite, not once per worker
RUN_FIXTURES = ("public_run", "internal_run")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if callspec is not None:  # a test that takes the run by name: parametrize("which", ["public_run", ...])
            used |= {v for v in callspec.params.values() if isinstance(v, str)}
        group = next((g for g in RUN_FIXTURES if g in used), None)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


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
def demo_result(demo_dirs):
    return ingest(demo_dirs["raw"])


@pytest.fixture(scope="session")
def public_run(demo_dirs, tmp_path_factory):
    """The full 2018-2021 pipeline on demo data, English, public audience: (exit code, reports folder)."""
    from helpers.pipeline import run_pipeline

    out = tmp_path_factory.mktemp("reports_public")
    rc = run_pipeline(years=[2018, 2019, 2020, 2021], raw_dir=demo_dirs["raw"], out_dir=out, jobs=2,
                      processed_dir=tmp_path_factory.mktemp("processed_public"), truth_path=demo_dirs["truth"])
    return rc, out


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
    left over from an earlier demo run that must not be applied to them."""
    from helpers.pipeline import run_pipeline

    out = tmp_path_factory.mktemp("reports_internal")
    with _env(MG_PSEUDONYM_KEY="a real centre's secret key"):
        rc = run_pipeline(years=[2020, 2021], raw_dir=real_raw, out_dir=out, jobs=2, lang="ru",
                          audience="internal", processed_dir=tmp_path_factory.mktemp("processed_internal"),
                          truth_path=demo_dirs["truth"])
    return rc, out


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
