"""Tests written to kill meaningful surviving mutants of ``benchmarks/mutation.py nok_scoring``
(docs/mutation/nok_scoring.md): the НОК formulas of :mod:`helpers.studies.nok.scoring` (Order 344n; NOK.md),
each value computed by hand from the formula."""

from __future__ import annotations
