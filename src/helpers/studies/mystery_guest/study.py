"""A run's shared Mystery Guest artefacts, computed once and opened by every notebook.

``study = open_study(processed_dir, artefact_dir=...)`` is the one call a notebook starts from. What
several notebooks need (the scored interviews, fitted year models, worker tables) is computed by the
first notebook that asks and stored in ``artefact_dir`` (the run's artefact folder, given by the
pipeline); later notebooks — in the same kernel or another one running beside it — load it. Without
``artefact_dir`` (a researcher's own session) artefacts are kept in memory for the session.

An artefact is ``study.artefact(name, compute, **params)``: ``compute(study, **params)`` runs once per
``(name, params)``; ``params`` must be JSON-able, they are the key. A file lock serialises two kernels
asking for the same artefact at once. Every computation and every load is logged (``log.jsonl`` in the
artefact folder), so a test can count what a run computed.

>>> import tempfile, pandas as pd
>>> store = ArtefactStore(Path(tempfile.mkdtemp()))
>>> calls = []
>>> def work(study, k):
...     calls.append(k)
...     return pd.DataFrame({"k": [k]})
>>> a = store.get("demo.table", work, None, k=1); b = store.get("demo.table", work, None, k=1)
>>> fresh = ArtefactStore(store.folder).get("demo.table", work, None, k=1)  # another kernel
>>> calls, fresh.equals(a), [e["event"] for e in store.log()]
([1], True, ['computed', 'loaded'])
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["ArtefactStore", "MysteryGuestStudy", "open_study"]

PROCESSED_TABLES = ("interviews", "quarantine", "ingest_log", "workers", "interviewers", "strata")


def _key(name: str, params: dict) -> str:
    blob = json.dumps(params, sort_keys=True, default=str)
    return f"{name}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


@dataclass
class ArtefactStore:
    """Artefacts by name and parameters: in memory, and in ``folder`` when one is given."""

    folder: Path | None = None
    memory: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.folder is not None:
            self.folder = Path(self.folder)
            self.folder.mkdir(parents=True, exist_ok=True)

    def _record(self, name: str, key: str, event: str, seconds: float) -> None:
        if self.folder is None:
            self.memory.setdefault("__log__", []).append({"name": name, "key": key, "event": event})
            return
        line = json.dumps({"name": name, "key": key, "event": event, "pid": os.getpid(),
                           "seconds": round(seconds, 3)})
        with open(self.folder / "log.jsonl", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def log(self) -> list[dict]:
        """Every computation and load recorded so far (oldest first)."""
        if self.folder is None:
            return list(self.memory.get("__log__", []))
        path = self.folder / "log.jsonl"
        if not path.exists():
            return []
        return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]

    def get(self, name: str, compute: Callable[..., Any], study, **params) -> Any:
        key = _key(name, params)
        if key in self.memory:
            return self.memory[key]
        if self.folder is None:
            t0 = time.perf_counter()
            value = self.memory[key] = compute(study, **params)
            self._record(name, key, "computed", time.perf_counter() - t0)
            return value
        path = self.folder / f"{key}.pkl"
        with open(self.folder / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a second kernel asking for the same artefact waits here
            try:
                t0 = time.perf_counter()
                if path.exists():
                    value = pickle.loads(path.read_bytes())
                    self._record(name, key, "loaded", time.perf_counter() - t0)
                else:
                    value = compute(study, **params)
                    tmp = path.with_suffix(".tmp")
                    tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
                    tmp.replace(path)
                    self._record(name, key, "computed", time.perf_counter() - t0)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        self.memory[key] = value
        return value


@dataclass
class MysteryGuestStudy:
    """The validated Mystery Guest data of one run and its shared artefacts (see the module docstring)."""

    processed_dir: Path
    store: ArtefactStore

    @cached_property
    def data(self) -> dict[str, pd.DataFrame]:
        """Every table ingestion wrote (interviews, quarantine, ingest_log, workers, interviewers, strata)."""
        from helpers.studies.mystery_guest.overview import load_processed

        return load_processed(self.processed_dir)

    @cached_property
    def codebook(self):
        from helpers.io.codebook import load_codebook

        return load_codebook()

    @property
    def years(self) -> list[int]:
        """Survey years present in the validated interviews."""
        return sorted(int(y) for y in self.data["interviews"]["year"].unique())

    def interviews(self, years: list[int] | int | None = None) -> pd.DataFrame:
        """Validated interviews of ``years`` (all years when ``None``), index reset."""
        return _of_years(self.data["interviews"], years)

    def strata(self, years: list[int] | int | None = None) -> pd.DataFrame:
        return _of_years(self.data["strata"], years)

    def scored(self, years: list[int] | int | None = None) -> pd.DataFrame:
        """Scored interviews (:func:`~helpers.studies.mystery_guest.scoring.score_interviews`), scored once
        for all years and filtered (an interview's scores depend only on its own answers and year).

        Several years whose questionnaires differ in the composite's items (an item added, dropped or reworded
        within them, declared in the codebook) are scored on the items comparable across them
        (:meth:`helpers.io.codebook.Codebook.trend_items`), so that the years compare like with like."""
        if years is not None and not isinstance(years, int):
            only = self.codebook.trend_items(sorted(int(y) for y in years))
            if only is not None:
                return self.artefact("scored_comparable", _score_comparable, years=sorted(int(y) for y in years))
        return _of_years(self.artefact("scored", _score_all), years)

    def artefact(self, name: str, compute: Callable[..., Any], /, **params) -> Any:
        """``compute(self, **params)`` once per run and ``(name, params)``; later calls load the result."""
        return self.store.get(name, compute, self, **params)


def _of_years(frame: pd.DataFrame, years) -> pd.DataFrame:
    if years is None:
        return frame.reset_index(drop=True)
    years = [years] if isinstance(years, int) else list(years)
    return frame[frame["year"].isin(years)].reset_index(drop=True)


def _score_all(study: MysteryGuestStudy) -> pd.DataFrame:
    from helpers.studies.mystery_guest.scoring import score_interviews

    return score_interviews(study.interviews(), study.codebook)


def _score_comparable(study: MysteryGuestStudy, years: list[int]) -> pd.DataFrame:
    from helpers.studies.mystery_guest.scoring import score_interviews

    interviews = _of_years(study.interviews(), years)
    return score_interviews(interviews, study.codebook, items=study.codebook.trend_items(years))


def open_study(processed_dir: str | Path, artefact_dir: str | Path | None = None) -> MysteryGuestStudy:
    """The Mystery Guest study of a run: validated data in ``processed_dir``, artefacts in ``artefact_dir``
    (``None`` or ``""``: in memory, for a researcher's own session)."""
    folder = Path(artefact_dir) if artefact_dir else None
    if folder is not None and not folder.parent.exists():
        # an executed report opened again later: its run's build folder is gone; keep artefacts in memory
        # rather than recreating a stray build folder
        folder = None
    return MysteryGuestStudy(Path(processed_dir), ArtefactStore(folder))
