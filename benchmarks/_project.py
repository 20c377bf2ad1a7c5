"""A copy of the project for a test run outside the working tree (mutation testing, planted bugs), and the
single-threaded environment those runs use."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def copy_project(dest: Path, notebooks: bool = False) -> None:
    """Copy src/, tests/ and the benchmark scripts (some tests import a benchmark's design, not its data) into
    ``dest``, replacing any earlier copy of them; ``notebooks=True`` adds notebooks/ (the pipeline tests run them)."""
    folders = ("src", "tests", "benchmarks") + (("notebooks",) if notebooks else ())
    for folder in folders:
        if (dest / folder).exists():
            shutil.rmtree(dest / folder)
    shutil.copytree(ROOT / "src", dest / "src", ignore=IGNORE)
    shutil.copytree(ROOT / "tests", dest / "tests", ignore=IGNORE)
    (dest / "benchmarks").mkdir(parents=True)
    for script in (ROOT / "benchmarks").glob("*.py"):
        shutil.copy2(script, dest / "benchmarks")
    if notebooks:
        shutil.copytree(ROOT / "notebooks", dest / "notebooks", ignore=IGNORE)


def single_thread_env(**extra: str) -> dict[str, str]:
    """The environment with one BLAS/OpenMP thread (one test run per core), plus ``extra``."""
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **extra}
