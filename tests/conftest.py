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
