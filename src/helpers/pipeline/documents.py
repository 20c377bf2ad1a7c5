"""The documents of a run (``--formats``): DOCX and PDF of the reports that are filed as documents, and one
improvement plan per НОК organisation, written into the run being built beside its HTML pages.

* ``<stem>.docx`` and ``<stem>.pdf`` of the executive summary and of the НОК report (:data:`DOCUMENT_NOTEBOOKS`),
  from the executed notebook (DOCX) and from its HTML page (PDF): :mod:`helpers.report.documents`;
* with ``docx``, ``plans/nok-<year>-plan-<organisation_id>.docx`` for every organisation of a НОК report,
  pre-filled from the run's own improvement-plan table (``tables/nok_<year>_improvement_plan.csv``) and the
  year's validated respondents (scrubbed suggestions): :mod:`helpers.studies.nok.plans`,
  :mod:`helpers.narrative.plans`.

The run's page links them (manifest ``documents``). An internal run builds them in the internal tree like
every other file of the run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from helpers.narrative.catalogue import text

__all__ = ["DOCUMENT_NOTEBOOKS", "FORMATS", "PLAN_FOLDER", "make_documents", "parse_formats", "plan_name",
           "provenance"]

FORMATS = ("html", "pdf", "docx")
DOCUMENT_NOTEBOOKS = ("summary", "nok")
PLAN_FOLDER = "plans"


def parse_formats(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The formats of ``--formats html,pdf,docx`` (HTML always made: the PDF is printed from it and the run's
    page links everything), in :data:`FORMATS` order.

    >>> parse_formats("docx, pdf"), parse_formats(None)
    (('html', 'pdf', 'docx'), ('html',))
    >>> parse_formats("odt")
    Traceback (most recent call last):
    ...
    ValueError: unknown format 'odt': choose among html, pdf, docx
    """
    words = value.split(",") if isinstance(value, str) else list(value or [])
    chosen = {w.strip().lower() for w in words if w.strip()}
    unknown = sorted(chosen - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r}: choose among {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in chosen | {"html"})


def plan_name(year: int, organisation_id: str) -> str:
    """File name of an organisation's improvement plan.

    >>> plan_name(2021, "ORG07")
    'nok-2021-plan-ORG07.docx'
    """
    return f"nok-{year}-plan-{organisation_id}.docx"


def provenance(manifest: dict, lang: str) -> str:
    """The provenance line of a document's footer: run id, start and code version."""
    return text("documents.footer", lang, run=manifest["run_id"], started=manifest["started"].replace("T", " "),
                code=manifest.get("git_commit", ""))


def _target(params: dict, notebook: Path) -> float:
    """The НОК report's survey target: the job's parameter, else the notebook's default."""
    if "target" in params:
        return float(params["target"])
    import papermill as pm

    return float(pm.inspect_notebook(str(notebook))["target"]["default"])


def _plans(build: Path, params: dict, notebook: Path, lang: str, footer: str) -> list[dict]:
    """Every organisation's improvement plan of one НОК report (see the module docstring)."""
    import pandas as pd

    from helpers.narrative.plans import plan_document
    from helpers.report.documents import write_plan_docx
    from helpers.studies.nok.codebook import load_nok_codebook
    from helpers.studies.nok.plans import plan_shortfalls, suggestions_by_indicator
    from helpers.studies.nok.study import load_nok_data

    year = int(params["year"])
    cb = load_nok_codebook()
    plan = pd.read_csv(build / "tables" / f"nok_{year}_improvement_plan.csv", dtype={"organisation_id": str})
    shortfalls = plan_shortfalls(plan, _target(params, notebook))
    data = load_nok_data(params.get("raw_dir", "data/raw"), year, params.get("processed_dir"), cb)
    said = suggestions_by_indicator(data.respondents, cb)
    made = []
    for org in data.organisations.itertuples():
        oid = str(org.organisation_id)
        words = plan_document(oid, str(org.name), shortfalls[shortfalls["organisation_id"] == oid],
                              said[said["organisation_id"] == oid], year, lang, cb)
        path = write_plan_docx(words, build / PLAN_FOLDER / plan_name(year, oid), lang, footer)
        made.append({"report": f"nok-{year}", "format": "docx", "kind": "plan", "organisation_id": oid,
                     "file": path.relative_to(build).as_posix()})
    return made


def make_documents(build: Path, jobs: list, common: dict, formats: tuple[str, ...], manifest: dict,
                   notebook_dir: Path) -> list[dict]:
    """Write the documents of the run being built (``formats`` beyond ``html``); return one record per file
    (``report`` stem, ``format``, ``kind`` report or plan, ``file`` relative to the run)."""
    import nbformat

    from helpers.report.documents import report_items, write_pdfs, write_report_docx

    lang = common.get("lang", "en")
    footer = provenance(manifest, lang)
    chosen = [j for j in jobs if j.notebook in DOCUMENT_NOTEBOOKS and j.status == "ok"]
    to_print = [(build / f"{j.stem}.html", build / f"{j.stem}.pdf") for j in chosen] if "pdf" in formats else []
    made: list[dict] = []
    # Chromium prints the PDFs in a thread of its own while the DOCX documents are built (about half the time)
    with ThreadPoolExecutor(max_workers=1) as printer:
        printing = printer.submit(write_pdfs, to_print, lang, footer) if to_print else None
        for job in chosen if "docx" in formats else []:
            items = report_items(nbformat.read(str(build / f"{job.stem}.ipynb"), as_version=4), lang)
            write_report_docx(items, build / f"{job.stem}.docx", lang, footer)
            made.append({"report": job.stem, "format": "docx", "kind": "report", "file": f"{job.stem}.docx"})
            if job.notebook == "nok":
                made += _plans(build, {**common, **job.parameters}, notebook_dir / f"{job.notebook}.ipynb", lang,
                               footer)
        if printing is not None:
            printing.result()
    made += [{"report": html.stem, "format": "pdf", "kind": "report", "file": pdf.name} for html, pdf in to_print]
    return made
