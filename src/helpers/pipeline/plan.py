"""What a run executes: the jobs of each declared study, and the content key of every execution.

A job is one notebook with its parameters. Its content key (:func:`job_key`) hashes everything the executed
notebook depends on (notebook source, parameters that are not places, code version, package versions, the
fingerprints of the survey years it reads), so an earlier execution with the same key can be reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from helpers.io.provenance import file_sha256
from helpers.studies import load_studies

NOTEBOOK_DIR = Path(__file__).resolve().parents[3] / "notebooks"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGES = ["pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "pingouin", "krippendorff",
            "pandera", "pyarrow", "papermill", "nbconvert", "mystery-guest-workbench"]
# parameters that name places (they differ from run to run); what those places hold enters the key instead
PLACE_PARAMETERS = ("processed_dir", "tables_dir", "truth_path", "raw_dir", "artefact_dir")
# measured seconds of a cold run (2 cores, demo data); the longest notebooks start first so that parallel
# workers finish together instead of one worker starting the slowest notebook last
EXPECTED_SECONDS = {"trends-all": 30.0, "scoring-pooled": 25.0, "summary-all": 20.0, "scoring": 12.0,
                    "reliability-pooled": 10.0, "reliability": 6.0, "overview": 4.0}


@dataclass
class Job:
    """One notebook execution: which notebook, with which parameters, and what happened."""

    notebook: str
    label: str
    parameters: dict
    reads: list[int] = field(default_factory=list)  # survey years whose data the notebook reads
    study: str = "mystery_guest"  # the declared study (helpers.studies) the notebook belongs to
    status: str = "pending"
    seconds: float = 0.0
    error: dict = field(default_factory=dict)
    key: str = ""  # content key: notebook, parameters, code version and the data it reads
    reused_from: str = ""  # run id whose executed notebook was reused ("" = executed in this run)
    tables: list[str] = field(default_factory=list)  # tidy tables the notebook wrote
    title: str = ""  # the report's title (its page's first heading)
    html_seconds: float = 0.0  # of ``seconds``, the time spent rendering the HTML page

    @property
    def stem(self) -> str:
        return f"{self.notebook}-{self.label}"


def plan_study(study, year_sets: dict[str, list[int]], notebook_dir: Path = NOTEBOOK_DIR) -> list[Job]:
    """The jobs of one declared study (:mod:`helpers.studies`) for the years its data hold.

    ``year_sets``: ``{"year": [...], "paired_year": [...]}`` - the survey years present, and those whose
    data allow the ``paired_*`` notebooks. Declared notebooks that do not exist are skipped.
    """
    years = sorted(year_sets.get("year", []))
    jobs: list[Job] = []
    for decl in study.notebooks:
        over = sorted(year_sets.get("paired_year", [])) if decl.each.startswith("paired_") else years
        if not over or len(years) < decl.min_years:
            continue
        kind = decl.each.removeprefix("paired_")
        if kind == "year":
            jobs += [Job(decl.notebook, str(y), {"year": y, **decl.parameters}, [y], study=study.name) for y in over]
        elif kind == "pooled":
            jobs.append(Job(decl.notebook, "pooled", {"year": max(over), **decl.parameters}, years, study=study.name))
        else:  # all
            jobs.append(Job(decl.notebook, "all", {"years": years, **decl.parameters}, years, study=study.name))
    return [j for j in jobs if (notebook_dir / f"{j.notebook}.ipynb").exists()]


def plan_jobs(years: list[int], paired_years: list[int], notebooks: list[str] | None = None,
              notebook_dir: Path = NOTEBOOK_DIR) -> list[Job]:
    """The Mystery Guest notebooks of a run and their parameters, from the study's declaration."""
    study = next(s for s in load_studies() if s.name == "mystery_guest")
    jobs = plan_study(study, {"year": list(years), "paired_year": list(paired_years)}, notebook_dir)
    return [j for j in jobs if not notebooks or j.notebook in notebooks]


def expected_seconds(job: Job, measured: dict[str, float] | None = None) -> float:
    """A job's cost for scheduling only: its seconds in the previous run when measured, else a rough guess
    (unknown notebooks count as small)."""
    if measured and measured.get(job.stem):
        return float(measured[job.stem])
    return EXPECTED_SECONDS.get(job.stem, EXPECTED_SECONDS.get(job.notebook, 3.0))


def longest_first(jobs: list[Job], measured: dict[str, float] | None = None) -> list[Job]:
    """The jobs in the order to start them: longest expected first (stable among equals).

    >>> [j.stem for j in longest_first([Job("overview", "2020", {}), Job("trends", "all", {}),
    ...                                 Job("scoring", "pooled", {})])]
    ['trends-all', 'scoring-pooled', 'overview-2020']
    """
    return sorted(jobs, key=lambda j: -expected_seconds(j, measured))


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=NOTEBOOK_DIR.parent,
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=NOTEBOOK_DIR.parent,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for p in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[p] = metadata.version(p)
    return versions


# ---- incremental runs: every execution keyed by the content it depends on ----------------------------
def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def code_version(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 over the package's source, codebooks and templates (a dirty work tree counts as it is)."""
    h = hashlib.sha256()
    for p in sorted(package_dir.rglob("*")):
        if p.is_file() and p.suffix in {".py", ".yaml", ".yml", ".j2", ".json", ".css", ".tpl"}:
            h.update(str(p.relative_to(package_dir)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def data_fingerprints(result) -> dict[int, str]:
    """Per survey year, a SHA-256 of everything ingestion produced for it (interviews, quarantine, rosters).

    A notebook that reads only 2018 gets the same fingerprint when only the 2021 file changed.
    """
    import pandas as pd

    frames = {"interviews": result.interviews, "quarantine": result.quarantine, **result.rosters}
    out = {}
    for year in sorted({int(y) for f in frames.values() if "year" in f for y in f["year"].dropna().unique()}):
        h = hashlib.sha256()
        for name, f in sorted(frames.items()):
            part = f[f["year"] == year] if "year" in f else f
            h.update(name.encode())
            h.update(",".join(map(str, part.columns)).encode())
            h.update(pd.util.hash_pandas_object(part.astype("string"), index=False).to_numpy().tobytes())
        out[year] = h.hexdigest()
    return out


def study_files(study, raw_dir: Path) -> dict[str, str]:
    """SHA-256 of every raw file of a declared study, by file name."""
    pattern = re.compile(study.files, re.I)
    return {p.name: file_sha256(p) for p in sorted(raw_dir.iterdir()) if p.is_file() and pattern.match(p.name)}


def raw_fingerprints(study, raw_dir: Path) -> dict[int, str]:
    """Per survey year, a SHA-256 of the study's raw files of that year (for studies read from raw files)."""
    pattern = re.compile(study.files, re.I)
    by_year: dict[int, dict[str, str]] = {}
    for name, digest in study_files(study, raw_dir).items():
        by_year.setdefault(int(pattern.match(name).group(1)), {})[name] = digest
    return {y: _digest(files) for y, files in by_year.items()}


def job_key(job: Job, common: dict, notebook_dir: Path, code: str, data: dict[str, dict[int, str]],
            extra: dict) -> str:
    """The content key of one execution: notebook source, parameters (not paths), code version, package
    versions and the fingerprints of the years of its study it reads. Equal keys mean an equal executed
    notebook."""
    params = {k: v for k, v in {**common, **job.parameters}.items() if k not in PLACE_PARAMETERS}
    nb = hashlib.sha256((notebook_dir / f"{job.notebook}.ipynb").read_bytes()).hexdigest()
    years = data.get(job.study, {})
    return _digest({"notebook": nb, "parameters": params, "code": code, "data": {y: years.get(y) for y in job.reads},
                    **extra})


def previous_executions(out_dir: Path) -> dict[str, tuple[Path, dict]]:
    """Executed notebooks of earlier complete runs by content key (newest run wins), with their run folder."""
    found: dict[str, tuple[Path, dict]] = {}
    runs = sorted((d for d in out_dir.iterdir() if d.is_dir() and d.name[:1].isdigit() and not d.name.endswith("-failed")),
                  reverse=True) if out_dir.exists() else []
    for d in runs:
        mf = d / "manifest.json"
        if not mf.exists():
            continue
        with contextlib.suppress(ValueError, KeyError):
            for j in json.loads(mf.read_text(encoding="utf-8")).get("notebooks", []):
                if j.get("key") and j.get("status") == "ok":
                    found.setdefault(j["key"], (d, j))
    return found


def headlines(interviews) -> dict[str, float]:
    """Headline figures a reviewer tracks from run to run: per year interviews, recipients and the share of
    recipients fully satisfied overall (top box of ``qual_overall`` among substantive answers)."""
    out: dict[str, float] = {}
    for year, df in interviews.groupby("year"):
        answered = df["qual_overall"].dropna()
        answered = answered[answered <= 5]
        out[f"{year} interviews"] = int(len(df))
        out[f"{year} recipients"] = int(df["recipient_pid"].nunique())
        if len(answered):
            out[f"{year} fully satisfied overall, %"] = round(float((answered == 5).mean() * 100), 1)
    return out


def changes_since(previous: dict | None, manifest: dict) -> dict:
    """Inputs whose SHA-256 differs and headline figures that moved since the previous complete run."""
    if not previous:
        return {"previous_run": None, "inputs": [], "headlines": []}
    old_in, new_in = previous.get("inputs", {}), manifest["inputs"]
    inputs = [{"file": f, "change": "added" if f not in old_in else "removed" if f not in new_in else "changed"}
              for f in sorted(set(old_in) | set(new_in)) if old_in.get(f) != new_in.get(f)]
    old_h, new_h = previous.get("headlines", {}), manifest.get("headlines", {})
    moved = [{"figure": k, "before": old_h.get(k), "now": new_h.get(k)}
             for k in sorted(set(old_h) | set(new_h)) if old_h.get(k) != new_h.get(k)]
    return {"previous_run": previous["run_id"], "inputs": inputs, "headlines": moved}
