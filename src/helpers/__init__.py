"""Mystery Guest workbench: objective scores, interviewer reliability and trends for social services.

Floors (imports only point down)
--------------------------------
stats       pure statistics: agreement, rater and score agreement, survey, psychometrics, power, mixed, funnel
io          codebook, schema, readers, columns, ingest, pii, safe_csv, provenance, demo
studies     the instruments: ``mystery_guest`` (overview, scoring, reliability, trends, ``study.open_study``),
            ``nok`` (the НОК index), ``registers`` (feedback registers, workload), ``benchmarking``
narrative   every sentence; the message catalogue (``messages/<lang>/*.yaml``); locale numbers (``fmt``)
figures     every plot
report      HTML tables and figures, audiences, suppression
pipeline    plan, execute and publish a run of every declared study's notebooks

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
