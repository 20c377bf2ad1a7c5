"""The report pipeline: ingest raw data, execute every notebook with papermill, render HTML.

A run is built in ``reports/.building-<run-id>/`` and published by an atomic rename to
``reports/<run-id>/`` only when every notebook succeeded; ``reports/latest`` (a symlink) then moves
to it. A failed run is renamed ``reports/<run-id>-failed/`` with ``failure.json`` naming the
notebook, the cell and the error, and ``latest`` does not move. A lock file makes a second run on
the same reports folder exit at once (exit code 3).

Public and internal runs are published into separate trees: public runs into ``reports/``, internal runs
(workers' names) into ``reports/internal/`` with their own ``latest`` and ``index.html``. A tree never holds
runs of the other audience: such a run is refused with one line (exit code 2). An internal run is written
with folders 0700 and files 0600 whatever the umask, its build and failed folders included. A run that
starts removes the build folders of runs no longer running (killed or crashed: their lock is gone), in both
trees, and says so in one line.

The steps live in three modules: :mod:`.plan` (what to execute and the content key of each execution),
:mod:`.execute` (the kernel pool, one notebook executed or reused) and :mod:`.publish` (HTML pages, the
run's page and manifest, the atomic publish). Ingestion is the only step that writes into the processed
data folder; every table a report makes stays in its run's ``tables/``.

Notebooks that declare an ``artefact_dir`` parameter get the run's artefact folder
(``<building run>/_artefacts``): what several notebooks need is computed once there
(:func:`helpers.studies.mystery_guest.study.open_study`) and loaded by the others; the folder is not
published, its log is summarised in the manifest (``artefacts``: per artefact, computed and loaded counts
and seconds).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from helpers.pipeline.execute import (
    BUILD_PREFIX,
    KERNEL_ARGUMENTS,
    RESET,
    WARM_UP,
    KernelPool,
    RunLocked,
    build_lock,
    declared_parameters,
    execute,
    remove_stale_builds,
    reuse,
    run_lock,
    warm_up_code,
)
from helpers.pipeline.plan import (
    NOTEBOOK_DIR,
    PACKAGE_DIR,
    PACKAGES,
    PLACE_PARAMETERS,
    Job,
    changes_since,
    code_version,
    data_fingerprints,
    git_commit,
    headlines,
    job_key,
    longest_first,
    package_versions,
    plan_jobs,
    plan_study,
    previous_executions,
    raw_fingerprints,
    study_files,
)
from helpers.pipeline.publish import (
    ARTEFACT_FOLDER,
    INTERNAL_TREE,
    add_toc,
    artefact_summary,
    audience_conflict,
    footer_html,
    owner_only,
    progress_line,
    publish,
    render_html,
    run_audience,
    run_tree,
)
from helpers.studies import load_studies, study_years

__all__ = ["ARTEFACT_FOLDER", "BUILD_PREFIX", "INTERNAL_TREE", "KERNEL_ARGUMENTS", "NOTEBOOK_DIR", "PACKAGES",
           "PACKAGE_DIR", "PLACE_PARAMETERS", "RESET", "WARM_UP", "Job", "KernelPool", "RunLocked", "add_toc",
           "artefact_summary", "audience_conflict", "build_lock", "changes_since", "code_version",
           "data_fingerprints", "declared_parameters", "execute", "footer_html", "git_commit", "headlines",
           "job_key", "longest_first", "owner_only", "package_versions", "plan_jobs", "plan_study",
           "previous_executions", "progress_line", "publish", "raw_fingerprints", "remove_stale_builds",
           "render_html", "reuse", "run_audience", "run_lock", "run_pipeline", "run_tree", "study_files",
           "warm_up_code"]


def warm_up(kernels: KernelPool, lang: str) -> None:
    """In a worker thread: start and warm its kernel."""
    kernels.kernel(warm=True)


def warm_up_tools() -> None:
    """In a thread of its own while the kernels start: import papermill and nbconvert (the exporters
    themselves are per worker thread), so that a worker whose kernel is ready starts its first notebook at once."""
    from helpers.pipeline.execute import pooled_engine
    from helpers.pipeline.publish import _report_exporter_class

    pooled_engine()
    _report_exporter_class()


def run_pipeline(years: list[int] | None, raw_dir: Path, out_dir: Path, lang: str = "en", jobs: int = 1,
                 audience: str = "public",
                 processed_dir: Path = Path("data/processed"), notebooks: list[str] | None = None,
                 notebook_dir: Path = NOTEBOOK_DIR, truth_path: Path = Path("data/demo/truth.json"),
                 force: bool = False, formats: tuple[str, ...] | str = ("html",)) -> int:
    """Run ingestion and every notebook; return the exit code (0 ok, 1 notebook failed, 2 a bad input or the
    other audience's runs in the run's tree, 3 locked).

    The run is published into its audience's tree of ``out_dir`` (:func:`run_tree`): ``out_dir`` itself for
    the public, ``out_dir/internal`` for the internal audience (owner-only files, under umask 077).

    ``years``: the survey years to report; ``None`` or empty: every year with an interview file in ``raw_dir``.
    A requested year without an accepted interview stops the run before anything is written
    (:class:`~helpers.io.contract.DataContractError`, exit 2 at the command line).

    A notebook whose content key (:func:`job_key`) equals that of an execution in an earlier complete run
    is not executed again: its executed notebook, HTML and tables are linked into the new run, and the
    run page says so. ``force=True`` executes every notebook.

    ``formats``: ``html`` (always) and any of ``pdf``, ``docx`` (:mod:`helpers.pipeline.documents`): the
    summary and НОК reports as documents beside their pages, and with ``docx`` the НОК improvement plans in
    ``plans/``; the run's page links them. A document that cannot be made fails the run.
    """
    from helpers.io.ingest import ingest, interview_years, require_accepted, write_processed
    from helpers.pipeline.documents import make_documents, parse_formats

    formats = parse_formats(formats)
    out_dir, raw_dir, processed_dir = Path(out_dir).resolve(), Path(raw_dir).resolve(), Path(processed_dir).resolve()
    years = list(years) if years else interview_years(raw_dir)
    # one BLAS thread per kernel: notebooks run in parallel on few cores, where threaded BLAS thrashes
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    # jsonschema (under nbformat) imports rfc3987_syntax when installed (JupyterLab's event schemas bring it),
    # which builds a grammar for 0.6 s to check the `iri` string format; no notebook schema uses that format,
    # so the run does without it (an import of it raises ImportError, which jsonschema skips)
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)
    tree = run_tree(out_dir, audience)
    private = audience == "internal"
    out_dir.mkdir(parents=True, exist_ok=True)  # before the umask below: the reports folder is not the owner's only
    with contextlib.ExitStack() as stack:
        if private:  # everything the run (and its kernels) writes is the owner's only, from the first byte
            stack.callback(os.umask, os.umask(0o077))
        try:
            stack.enter_context(run_lock(tree, private=private))
        except RunLocked as err:
            print(f"error: {err}", file=sys.stderr)
            return 3
        conflict = audience_conflict(tree, audience)
        if conflict:
            print(f"error: {conflict}", file=sys.stderr)
            return 2
        # leftovers of killed or crashed runs, in this tree and the other audience's (personal data included)
        other_tree = out_dir if private else run_tree(out_dir, "internal")
        stale = remove_stale_builds([tree, other_tree])
        if stale:
            print(f"removed {len(stale)} build folder{'s' * (len(stale) > 1)} of runs no longer running: "
                  + ", ".join(str(p.relative_to(out_dir)) for p in stale), flush=True)
        started = dt.datetime.now()
        run_id = started.strftime("%Y%m%d-%H%M%S")
        while any((tree / name).exists() for name in (run_id, f"{run_id}-failed", f"{BUILD_PREFIX}{run_id}")):
            started += dt.timedelta(seconds=1)
            run_id = started.strftime("%Y%m%d-%H%M%S")
        build = tree / f"{BUILD_PREFIX}{run_id}"
        stack.enter_context(build_lock(build))  # given up last: after the build was published or removed
        build.mkdir(mode=0o700 if private else 0o777)
        (build / "tables").mkdir()
        if private:
            owner_only(build)
        # the kernels import what the notebooks that may run import (all of them unless `notebooks` names some)
        chosen = sorted(p for p in Path(notebook_dir).glob("*.ipynb") if not notebooks or p.stem in notebooks)
        kernels = KernelPool(build, warm_up_code(chosen, lang))
        # a run that stops before publishing (a bad input file) leaves no half-built folder behind
        stack.callback(lambda: shutil.rmtree(build, ignore_errors=True))
        stack.callback(kernels.shutdown)  # unwound last-in first-out: after the workers below have finished
        workers = stack.enter_context(ThreadPoolExecutor(max_workers=max(1, jobs)))
        earlier = {} if force else previous_executions(tree)
        if not earlier:  # nothing to reuse: start and warm the kernels (and load the tools) while ingestion runs
            for _ in range(max(1, jobs)):
                workers.submit(warm_up, kernels, lang)
            threading.Thread(target=warm_up_tools, daemon=True).start()
        print(f"run {run_id}: ingesting {raw_dir} ...", flush=True)
        result = ingest(raw_dir, years=years)
        require_accepted(result, years, raw_dir)  # a requested year without an accepted row: exit 2, one line
        for warning in (w for ws in result.log["warnings"] for w in ws.split("; ") if w):
            print(f"warning: {warning}", file=sys.stderr, flush=True)
        write_processed(result, processed_dir)
        present = sorted(int(y) for y in result.interviews["year"].unique())
        paired = sorted(int(y) for y in result.interviews.loc[result.interviews["pair_id"].notna(), "year"].unique())
        plan = plan_jobs(present, paired, notebooks, notebook_dir)
        data = {"mystery_guest": data_fingerprints(result)}
        other_inputs: dict[str, str] = {}
        study_logs: dict[str, list[dict]] = {}
        for study in load_studies():  # the other declared studies read their raw files in their notebooks
            if study.name == "mystery_guest":
                continue
            study_years_present = [y for y in study_years(study, raw_dir) if y in years]
            study_plan = [j for j in plan_study(study, {"year": study_years_present}, notebook_dir)
                          if not notebooks or j.notebook in notebooks]
            if study_plan and study.validator():  # a bad file stops the run here (exit 2), before any notebook
                study_logs[study.name] = study.validator()(raw_dir, study_years_present, processed_dir)
            plan += study_plan
            data[study.name] = raw_fingerprints(study, raw_dir)
            other_inputs.update(study_files(study, raw_dir))
        if len(present) < 2:
            print(f"note: one survey year ({present}): the trends and summary reports need two or more and are "
                  "not run", flush=True)
        common = {"processed_dir": str(processed_dir.resolve()), "tables_dir": str((build / "tables").resolve()),
                  "lang": lang, "audience": audience, "truth_path": str(truth_path.resolve()), "years": present,
                  "raw_dir": str(raw_dir), "artefact_dir": str((build / ARTEFACT_FOLDER).resolve())}
        manifest = {
            "run_id": run_id, "audience": audience, "status": "running", "started": started.isoformat(timespec="seconds"),
            "parameters": {"years": present, "lang": lang, "audience": audience, "jobs": jobs, "formats": list(formats),
                           "raw_dir": str(raw_dir), "processed_dir": str(processed_dir)},
            "inputs": {**result.inputs, **other_inputs},
            "ingest": json.loads((processed_dir / "ingest_summary.json").read_text(encoding="utf-8")),
            "studies_ingest": study_logs,
            "packages": package_versions(), "git_commit": git_commit(),
            "headlines": headlines(result.interviews),
        }
        latest = tree / "latest" / "manifest.json"
        previous = json.loads(latest.read_text(encoding="utf-8")) if latest.exists() else None
        manifest["changes"] = changes_since(previous, manifest)
        code = code_version()
        truth = Path(truth_path)
        extra = {"packages": manifest["packages"],
                 "truth": hashlib.sha256(truth.read_bytes()).hexdigest() if truth.is_file() else None}
        for job in plan:
            job.key = job_key(job, common, notebook_dir, code, data, extra)
        manifest["code_version"] = code
        t0 = time.perf_counter()
        done = 0
        footer = footer_html(manifest, lang)

        def _one(job: Job) -> Job:
            nonlocal done
            if not reuse(job, build, earlier):
                execute(job, build, common, notebook_dir, footer, kernels)
            done += 1
            print(progress_line(job, done, len(plan), time.perf_counter() - t0), flush=True)
            return job

        # the longest notebooks start first (as long as they took in the previous run), so that the workers
        # finish together; the run's page lists them in the planned order
        measured = {j["stem"]: j.get("seconds", 0.0) for j in (previous or {}).get("notebooks", [])
                    if not j.get("reused_from")}
        list(workers.map(_one, longest_first(plan, measured)))
        failed = [j for j in plan if j.status != "ok"]
        if not failed and len(formats) > 1:
            t_doc = time.perf_counter()
            try:
                manifest["documents"] = make_documents(build, plan, common, formats, manifest, Path(notebook_dir))
            except Exception as err:  # a document that cannot be made fails the run, as a notebook does
                failed = [Job("documents", "all", {}, status="failed",
                              error={"notebook": "documents", "cell": None, "error": f"{type(err).__name__}: {err}"})]
            print(f"documents ({', '.join(formats[1:])}): {len(manifest.get('documents', []))} files in "
                  f"{time.perf_counter() - t_doc:.1f} s", flush=True)
        manifest.update(
            status="failed" if failed else "complete",
            finished=dt.datetime.now().isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - t0, 1),
            notebooks=[{**asdict(j), "stem": j.stem} for j in plan],
        )
        final = publish(build, tree, manifest, failed)
        if failed:
            for j in failed:
                print(f"error: {j.stem} failed in cell {j.error.get('cell')}: {j.error.get('error')}", file=sys.stderr)
            print(f"run {run_id} FAILED; {tree / 'latest'} unchanged; failure record: {final / 'failure.json'}",
                  file=sys.stderr)
            return 1
        print(f"run {run_id} complete in {manifest['seconds']:.0f} s: {final / 'index.html'}")
        return 0
