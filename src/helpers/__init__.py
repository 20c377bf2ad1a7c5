"""Mystery Guest workbench: objective scores, interviewer reliability and trends for social services.

Modules
-------
codebook     the instrument (items, domains, scales) read from ``codebook.yaml``
demo         deterministic demo data reproducing the published 2018-2021 figures
ingest       validation, quarantine and pseudonymisation of raw interview tables
readers      raw tables as centres export them (encodings, delimiters, title rows, XLSX/XLS sheets)
columns      headers matched to the contract's columns and the codebook's items; mapping files
pii          phones, e-mails and personal names found in free text and replaced by placeholders
safe_csv     CSV exports safe from formula injection (``df.safe.to_csv``)
scoring      item, domain and composite scores; rater-adjusted social-worker scores
reliability  agreement between volunteer and social-worker interviewers
trends       year-over-year analysis 2018-2021
pipeline     papermill runs that render every report to HTML
stats        pure statistics (funnel limits, over-dispersion)
studies      further instruments: ``studies.nok`` (the НОК index) and cross-study benchmarking

``score_organisations`` (НОК scores) and ``funnel_limits`` are exported here and imported lazily,
so that ``import helpers`` stays cheap.
"""

__version__ = "0.1.0"

_LAZY = {
    "score_organisations": "helpers.studies.nok.scoring",
    "funnel_limits": "helpers.stats.funnel",
}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    """Import the public API on first use (PEP 562)."""
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
