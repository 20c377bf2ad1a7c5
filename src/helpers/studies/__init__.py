"""Declared studies: which instruments the workbench knows, their raw files and their notebooks.

Each study is one YAML file beside this module (``<name>.yaml``)::

    name: mystery_guest
    title: {en: Mystery Guest, ru: Тайный гость}
    files: '^interviews_(\\d{4})\\.'   # a raw file of the study; the group is the survey year
    notebooks:
      - {notebook: overview, each: year}
      - {notebook: scoring, each: pooled, parameters: {pooled: true}}
      - {notebook: trends, each: all, min_years: 2}

``each`` says how a notebook is repeated: ``year`` (one report per survey year), ``pooled`` (one report
of all years, parameter ``year`` = the latest), ``all`` (one report with ``years`` = every year),
``paired_year`` / ``paired_pooled`` (as ``year`` / ``pooled``, over the years whose data allow it — the
study's pipeline hook says which). The pipeline plans a run from these declarations and the files found
in ``data/raw``: adding a study is a YAML file, its notebooks and its package, not a change to the pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

__all__ = ["NotebookPlan", "Study", "load_studies", "study_years"]

STUDY_DIR = Path(__file__).resolve().parent
EACH = ("year", "pooled", "all", "paired_year", "paired_pooled")


@dataclass(frozen=True)
class NotebookPlan:
    """One declared notebook of a study and how it is repeated over the survey years."""

    notebook: str
    each: str
    parameters: dict = field(default_factory=dict)
    min_years: int = 1


@dataclass(frozen=True)
class Study:
    """A declared study (instrument): its name, title, raw-file pattern and notebooks."""

    name: str
    title: dict
    files: str
    notebooks: tuple[NotebookPlan, ...]


def _notebook(entry: dict, source: Path) -> NotebookPlan:
    if entry.get("each") not in EACH:
        raise ValueError(f"{source}: notebook {entry.get('notebook')!r}: 'each' must be one of {', '.join(EACH)}")
    return NotebookPlan(entry["notebook"], entry["each"], dict(entry.get("parameters") or {}),
                        int(entry.get("min_years", 1)))


@cache
def load_studies(folder: Path = STUDY_DIR) -> tuple[Study, ...]:
    """Every study declared in ``folder/*.yaml``, in file-name order."""
    studies = []
    for path in sorted(folder.glob("*.yaml")):
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        studies.append(Study(d["name"], dict(d.get("title") or {}), d["files"],
                             tuple(_notebook(e, path) for e in d["notebooks"])))
    return tuple(studies)


def study_years(study: Study, raw_dir: Path) -> list[int]:
    """Survey years for which ``raw_dir`` holds a file of the study (by its declared file pattern)."""
    pattern = re.compile(study.files, re.I)
    found = (pattern.match(p.name) for p in raw_dir.iterdir()) if raw_dir.is_dir() else ()
    return sorted({int(m.group(1)) for m in found if m})
