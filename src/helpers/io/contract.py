"""Types shared by the readers of the data contract: the one-line contract error and a header's match.

:mod:`helpers.io.columns` (headers to columns) and :mod:`helpers.io.ingest` (reading, validation) both
import this module and neither imports the other's internals back: the import graph of ``helpers.io`` has no
circle (``tests/test_layers.py`` keeps it so).
"""

from __future__ import annotations

from dataclasses import dataclass


class DataContractError(Exception):
    """A file-level problem: the message is one line naming the file, the column and what was expected."""


@dataclass(frozen=True)
class Match:
    """How one header was matched: the column it becomes (or ``None``) and the rule that matched."""

    header: str
    column: str | None
    rule: str
    suggestions: tuple[str, ...] = ()
