"""Safe CSV exports: every CSV table the workbench writes goes through :func:`to_csv_safe`.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or carriage return) as a formula ("CSV injection", OWASP). An interview id typed as
``=HYPERLINK(...)`` would reach a reviewer's Excel as a live formula. Following the OWASP rule, such
text cells (and column names) are prefixed with a single quote, which spreadsheets show as text.

Numbers are left alone: numeric columns are written as numbers (``-0.25`` stays a negative number),
and a text cell that is a plain number (``-3``, ``+7,5``) is not a formula and is not changed either.

Notebooks call it as ``df.safe.to_csv(path, index=False)`` (a pandas accessor registered when
:mod:`helpers` is imported), so that each export stays a one-line change.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"id": ["=1+2", "W01", "-3", "@SUM(A1)"], "score": [-0.5, 1.0, 2.0, -3.0]})
>>> neutralise(df)["id"].tolist()
["'=1+2", 'W01', '-3', "'@SUM(A1)"]
>>> neutralise(df)["score"].tolist()
[-0.5, 1.0, 2.0, -3.0]
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d[\d\s\u00a0]*)?([.,]\d+)?([eE][+-]?\d+)?$")


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with ``'``; anything else unchanged.

    >>> neutralise_cell("=cmd|' /C calc'!A0"), neutralise_cell("-12,5"), neutralise_cell(-4)
    ("'=cmd|' /C calc'!A0", '-12,5', -4)
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_START):
        if value[0] in "+-" and _PLAIN_NUMBER.match(value) and any(ch.isdigit() for ch in value):
            return value
        return "'" + value
    return value


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with text cells and column names neutralised; numeric columns untouched."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) \
                or pd.api.types.is_datetime64_any_dtype(s):
            continue
        out[col] = s.map(neutralise_cell, na_action="ignore")
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    if isinstance(out.index, pd.MultiIndex) or out.index.dtype == object:
        out.index = out.index.map(neutralise_cell)
    return out


def to_csv_safe(df: pd.DataFrame, path: str | Path, **kwargs) -> None:
    """Write ``df`` as CSV (UTF-8 by default) after :func:`neutralise`; keyword arguments go to ``to_csv``."""
    kwargs.setdefault("encoding", "utf-8")
    neutralise(df).to_csv(path, **kwargs)


@pd.api.extensions.register_dataframe_accessor("safe")
class SafeAccessor:
    """``df.safe.to_csv(path, index=False)``: :func:`to_csv_safe` as a DataFrame method."""

    def __init__(self, df: pd.DataFrame):
        self._df = df

    def to_csv(self, path: str | Path, **kwargs) -> None:
        to_csv_safe(self._df, path, **kwargs)
