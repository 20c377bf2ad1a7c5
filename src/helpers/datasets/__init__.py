"""Reference data sets with published results, shipped with the package (as pingouin's ``read_dataset``).

Every statistic of the workbench is checked against one of these in its docstring (doctests run from any
folder) and in ``tests/``. ``reference/README.md`` names the source and the published values of each.

>>> load_reference("fleiss_1971_diagnoses").shape
(30, 7)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["REFERENCE_DIR", "load_reference", "reference_names"]

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


def reference_names() -> list[str]:
    """Names of the shipped reference data sets (file names without ``.csv``)."""
    return sorted(p.stem for p in REFERENCE_DIR.glob("*.csv"))


def load_reference(name: str) -> pd.DataFrame:
    """One reference data set as a DataFrame; ``name`` as listed by :func:`reference_names`."""
    path = REFERENCE_DIR / f"{name}.csv"
    if not path.exists():
        raise KeyError(f"no reference data set {name!r}; known: {', '.join(reference_names())}")
    return pd.read_csv(path)
