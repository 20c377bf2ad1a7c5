"""Declared studies: which instruments the workbench knows, their raw files and their notebooks.

Studies (instruments) built on the shared foundation, each a room of its own: ``mystery_guest`` (the modules
at the package top, for now), ``nok`` (the independent assessment of the quality of service conditions,
Order 344n), and ``benchmarking`` (funnels that compare units of any study, e.g. Mystery Guest social workers).

Each study is one YAML file beside this module (``<name>.yaml``)::

    name: nok
    title: {en: Independent quality assessment (НОК), ru: Независимая оценка качества (НОК)}
    files: '^nok_(?:respondents|organisations)_(\\d{4})\\.(csv|xlsx)$'  # the group is the survey year
    validate: helpers.studies.nok.ingest:validate_for_run   # optional: checks the files before any notebook
    notebooks:
      - {notebook: nok, each: year}
      - {notebook: trends, each: all, min_years: 2}     # (an example of a multi-year report)

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
    validate: str = ""  # "module:function(raw_dir, years, processed_dir) -> log rows", run before the notebooks

    def validator(self):
        """The declared validation step, imported; ``None`` when the study declares none."""
        if not self.validate:
            return None
        from importlib import import_module

        module, _, function = self.validate.partition(":")
        return getattr(import_module(module), function)


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
                             tuple(_notebook(e, path) for e in d["notebooks"]), d.get("validate", "")))
    return tuple(studies)


def study_years(study: Study, raw_dir: Path) -> list[int]:
    """Survey years for which ``raw_dir`` holds a file of the study (by its declared file pattern)."""
    pattern = re.compile(study.files, re.I)
    found = (pattern.match(p.name) for p in raw_dir.iterdir()) if raw_dir.is_dir() else ()
    return sorted({int(m.group(1)) for m in found if m})
