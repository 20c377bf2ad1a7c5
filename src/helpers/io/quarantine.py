"""Row problems collected while validating a table, and the quarantine they become.

The contract shared by every ingester (Mystery Guest, НОК, registers): a bad row is quarantined once, with
its file, physical row number, id, the first column at fault, every column at fault and every reason; rows
read = rows accepted + rows quarantined. Each problem is named once per row with the columns it concerns in
brackets (``"missing value [age, sex]"``), not once per column.

>>> import pandas as pd
>>> p = RowProblems()
>>> p.add([False, True, True], "age", "missing value")
>>> p.add([False, True, False], "sex", ["?", "missing value", "?"])
>>> p.add([False, True, False], "sex", "unknown code")
>>> accepted, q = p.split(pd.DataFrame({"id": ["a", "b", "c"]}), "f.csv", "id")
>>> accepted["id"].tolist(), q[["row", "id", "column", "columns", "reason"]].to_numpy().tolist()
(['a'], [[3, 'b', 'age', 'age, sex', 'missing value [age, sex]; unknown code [sex]'], [4, 'c', 'age', 'age', 'missing value [age]']])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["QUARANTINE_COLUMNS", "RowProblems", "empty_quarantine"]

QUARANTINE_COLUMNS = ["file", "row", "id", "column", "columns", "reason"]


def empty_quarantine() -> pd.DataFrame:
    """A quarantine with no rows and the contract's columns (``row`` as int64)."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else object) for c in QUARANTINE_COLUMNS})



def problems_per_row(problems: pd.DataFrame) -> pd.DataFrame:
    """One row per row at fault (index ``pos``) from ``pos, column, reason`` (one line per column and problem):
    ``column`` (the first at fault), ``reason`` (each problem once with its columns, "; "-joined:
    ``"missing value [age, sex]"``) and ``columns`` (every column at fault).

    >>> p = pd.DataFrame({"pos": [3, 3, 3], "column": ["age", "sex", "q1"],
    ...                   "reason": ["missing value", "missing value", "unknown answer"]})
    >>> problems_per_row(p).to_dict("records")
    [{'column': 'age', 'reason': 'missing value [age, sex]; unknown answer [q1]', 'columns': 'age, sex, q1'}]
    """
    p = problems.sort_values("pos", kind="stable")
    named = p.groupby(["pos", "reason"], sort=False).agg(
        column=("column", "first"), named=("column", lambda c: ", ".join(dict.fromkeys(c)))).reset_index()
    named["reason"] = named["reason"] + " [" + named["named"] + "]"
    return named.groupby("pos", sort=True).agg(
        column=("column", "first"), reason=("reason", "; ".join),
        columns=("named", lambda c: ", ".join(dict.fromkeys(", ".join(c).split(", ")))))

class RowProblems:
    """Row problems as (position, column, reason); :meth:`split` names each problem of a row once."""

    def __init__(self, unique_reasons: bool = True) -> None:
        self.rows: list[tuple[int, str, str]] = []
        self.unique_reasons = unique_reasons  # kept for callers; a problem is always named once per row

    def add(self, mask, column: str, reasons) -> None:
        """Record ``reasons`` (one, or one per position) for the rows where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        r = np.broadcast_to(np.asarray(reasons, dtype=object), mask.shape)
        self.rows.extend((int(i), column, str(r[i])) for i in np.flatnonzero(mask))

    def split(self, out: pd.DataFrame, path: Path | str, id_column: str,
              ids: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Accepted rows and one quarantine row per bad row: the first column at fault, every column at fault
        (``columns``) and each problem once with its columns (``"missing value [age, sex]"``), "; "-joined.

        ``row`` is the physical line of a file with one header line (position + 2); ``ids``: the ids as the
        quarantine may show them (default: ``out[id_column]``).
        """
        if not self.rows:
            return out.reset_index(drop=True), empty_quarantine()
        first = problems_per_row(pd.DataFrame(self.rows, columns=["pos", "column", "reason"]))
        pos = first.index.to_numpy()
        shown = (out[id_column] if ids is None else ids).to_numpy()
        q = pd.DataFrame({"file": Path(path).name, "row": (pos + 2).astype("int64"), "id": shown[pos],
                          "column": first["column"].to_numpy(), "columns": first["columns"].to_numpy(),
                          "reason": first["reason"].to_numpy()})
        keep = np.ones(len(out), dtype=bool)
        keep[pos] = False
        return out.loc[keep].reset_index(drop=True), q
