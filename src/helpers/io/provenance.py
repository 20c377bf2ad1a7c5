"""Provenance of data files: content hashes that tie results (and the demo's planted truth) to their inputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["file_sha256"]


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
