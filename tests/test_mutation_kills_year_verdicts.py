"""Tests written to kill meaningful surviving mutants of ``benchmarks/mutation.py year_verdicts``
(docs/mutation/year_verdicts.md): :func:`helpers.studies.mystery_guest.trends.compare_years` and ``_mdds``."""

from __future__ import annotations
