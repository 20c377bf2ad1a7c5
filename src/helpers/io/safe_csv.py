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

import numpy as np
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


def _isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with text cells and column names neutralised; numeric columns untouched (and the whole
    numbers of a mixed column stay whole: ``47``, not ``47.0``).

    >>> neutralise(pd.DataFrame({"v": pd.Series([47, 93.5, "=1"], dtype=object)}))["v"].tolist()
    [47, 93.5, "'=1"]"""
    out = whole_counts(df).copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) \
                or pd.api.types.is_datetime64_any_dtype(s):
            continue
        # cell by cell into an object column: Series.map would infer a dtype and write a count 47 beside a
        # share 93.5 as "47.0"
        out[col] = pd.Series([v if _isna(v) else neutralise_cell(v) for v in s], index=s.index, dtype=object)
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    if isinstance(out.index, pd.MultiIndex) or out.index.dtype == object:
        out.index = out.index.map(neutralise_cell)
    return out


# column names that hold counts of people, interviews or events (a float column of these is a count that lost
# its integer type to a missing value or a pivot)
COUNT_NAMES = frozenset({"n", "count", "recipients", "interviews", "respondents", "users", "appeals", "contacts",
                         "workers", "interviewers", "organisations", "visits", "mailings", "answers", "pairs",
                         "n_recipients", "n_interviews", "n_pairs", "n_workers", "n_respondents", "n_answers",
                         "n_items", "n_raters", "n_units", "n_obs"})


def is_count_name(column: object) -> bool:
    """A column that counts things, by its code: :data:`COUNT_NAMES`, ``n_<what>``, ``<what>_n`` or ``n<what>``
    such as ``n_a`` / ``na`` of a year pair.

    >>> [is_count_name(c) for c in ("n", "n_recipients", "recipients_b", "respondents", "mean", "ci_low", 2021)]
    [True, True, True, True, False, False, False]
    """
    if not isinstance(column, str):
        return False
    name = column.lower()
    base = name.rsplit("_", 1)[0] if name.endswith(("_a", "_b")) else name
    return (base in COUNT_NAMES or name.startswith("n_") or name.endswith("_n") or bool(re.fullmatch(r"n[ab]?|n_?\d+", name)))


def whole_counts(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every float count column (:func:`is_count_name`) whose values are whole numbers as nullable
    ``Int64``: a count prints ``47``, never ``47.0``, also when a missing value made pandas store it as float.

    >>> t = whole_counts(pd.DataFrame({"n": [40.0, None], "mean": [1.0, 2.0], "users": [1.5, 2.0]}))
    >>> [str(d) for d in t.dtypes]
    ['Int64', 'float64', 'float64']
    """
    out = df
    for c in df.columns:
        col = df[c]
        if not is_count_name(c) or not pd.api.types.is_float_dtype(col):
            continue
        v = col.dropna()
        if len(v) and bool(np.isfinite(v).all()) and bool((v == v.round()).all()):
            if out is df:
                out = df.copy()
            out[c] = col.round().astype("Int64")
    return out


#: the mark of a cell that a public report withholds because it rests on fewer than 5 recipients (shown as such in
#: the pages' tables; a CSV holds a missing value and the row's ``suppressed`` flag instead, :func:`tidy_suppressed`)
SUPPRESSED = "n<5"


def tidy_suppressed(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each withheld cell (:data:`SUPPRESSED`) a missing value, and a last column ``suppressed`` that
    is true on the rows that lost cells; a column left with numbers only is numeric again. ``df`` itself when
    nothing is withheld.

    A CSV column holds one kind of value: a score column with the text ``n<5`` in some rows is read as text by
    R, pandas or a spreadsheet, and its mean cannot be taken. The flag keeps "withheld" apart from "missing".

    >>> t = tidy_suppressed(pd.DataFrame({"worker_id": ["W1", "W2"], "mean": [90.5, "n<5"], "n": [12, "n<5"]}))
    >>> t.to_dict("list"), [str(d) for d in t.dtypes]
    ({'worker_id': ['W1', 'W2'], 'mean': [90.5, nan], 'n': [12.0, nan], 'suppressed': [False, True]}, ['str', 'float64', 'float64', 'bool'])
    """
    # only a text or mixed column can hold the mark: numeric columns are not scanned
    marks = pd.DataFrame({c: (df[c].astype(object) == SUPPRESSED).to_numpy(dtype=bool)
                          if not pd.api.types.is_numeric_dtype(df[c]) else np.zeros(len(df), dtype=bool)
                          for c in df.columns}, index=df.index)
    if not marks.to_numpy().any():
        return df
    if "suppressed" in df.columns:
        raise ValueError("a table with withheld cells cannot also have a column named 'suppressed'")
    out = df.copy()
    for c in marks.columns[marks.any()]:
        kept = out[c].astype(object).where(~marks[c])
        numbers = pd.to_numeric(kept, errors="coerce")
        out[c] = numbers if numbers.notna().sum() == kept.notna().sum() else kept
    out["suppressed"] = marks.any(axis=1).to_numpy()
    return out


def to_csv_safe(df: pd.DataFrame, path: str | Path, **kwargs) -> None:
    """Write ``df`` as CSV (UTF-8 by default) after :func:`tidy_suppressed` and :func:`neutralise`; keyword
    arguments go to ``to_csv``."""
    kwargs.setdefault("encoding", "utf-8")
    neutralise(tidy_suppressed(df)).to_csv(path, **kwargs)


@pd.api.extensions.register_dataframe_accessor("safe")
class SafeAccessor:
    """``df.safe.to_csv(path, index=False)``: :func:`to_csv_safe` as a DataFrame method."""

    def __init__(self, df: pd.DataFrame):
        self._df = df

    def to_csv(self, path: str | Path, **kwargs) -> None:
        to_csv_safe(self._df, path, **kwargs)
