"""Shared fixtures: one set of demo raw data and its ingestion per test session (in a temp folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.codebook import load_codebook
from helpers.demo import write_demo_data
from helpers.ingest import ingest, write_processed

REFERENCE = Path(__file__).parent / "data" / "reference"


@pytest.fixture(scope="session")
def codebook():
    return load_codebook()


@pytest.fixture(scope="session")
def demo_dirs(tmp_path_factory) -> dict[str, Path]:
    """Demo raw data, its truth and its processed tables, written once per session."""
    root = tmp_path_factory.mktemp("demo")
    raw, processed, truth = root / "raw", root / "processed", root / "demo" / "truth.json"
    write_demo_data(raw, truth, seed=2018)
    write_processed(ingest(raw), processed)
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
def internal_run(demo_dirs, tmp_path_factory):
    """The pipeline in Russian for management (internal audience), the paired years only (suite time)."""
    from helpers.pipeline import run_pipeline

    out = tmp_path_factory.mktemp("reports_internal")
    rc = run_pipeline(years=[2020, 2021], raw_dir=demo_dirs["raw"], out_dir=out, jobs=2, lang="ru",
                      audience="internal", processed_dir=tmp_path_factory.mktemp("processed_internal"),
                      truth_path=demo_dirs["truth"])
    return rc, out
