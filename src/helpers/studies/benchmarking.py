"""Benchmarking across units of a study with funnel plots instead of bare rankings.

:func:`worker_funnel` puts the Mystery Guest social workers' scores on a funnel by the number of
interviews behind each score (the statistics are :func:`helpers.stats.funnel.mean_funnel`).
"""

from __future__ import annotations

import pandas as pd

from helpers.stats.funnel import mean_funnel

__all__ = ["worker_funnel"]


def worker_funnel(scored: pd.DataFrame, measure: str = "composite", trim: float = 0.1) -> pd.DataFrame:
    """Social workers' mean scores on a funnel by number of interviews.

    ``scored`` has one row per interview with ``worker_id`` and the score ``measure`` (0-100), e.g.
    the output of ``helpers.studies.mystery_guest.scoring.score_interviews``. Interviews without a score are left out.
    Returns one row per social worker: ``worker_id``, ``interviews`` (with a score), ``mean``,
    ``z``, the 95% and 99.8% limits around the mean of all interviews without (``ll95 …``) and with
    over-dispersion (``ll95_od …``), and flags ``outside95``, ``outside998``, ``outside95_od``,
    ``outside998_od`` (``"below"``, ``"above"`` or ``""``), and ``n_recipients`` (distinct recipients
    behind the scored interviews, what small-cell suppression counts) when ``scored`` has ``recipient_pid``.
    φ, τ², the target and the pooled within-worker sd are in ``attrs``.

    >>> d = pd.DataFrame({"worker_id": ["W1"] * 3 + ["W2"] * 3, "composite": [70, 80, 90, 75, 85, 80]})
    >>> worker_funnel(d)[["worker_id", "interviews", "mean"]].values.tolist()
    [['W1', 3, 80.0], ['W2', 3, 80.0]]
    """
    d = scored.dropna(subset=["worker_id", measure])
    t = mean_funnel(d[measure].to_numpy(dtype="float64"), d["worker_id"].astype(str).to_numpy(), trim=trim)
    t = t.rename(columns={"unit": "worker_id", "size": "interviews", "value": "mean"})
    t["interviews"] = t["interviews"].astype("int64")
    if "recipient_pid" in d:
        recipients = d.groupby(d["worker_id"].astype(str))["recipient_pid"].nunique()
        t["n_recipients"] = t["worker_id"].map(recipients).fillna(0).astype("int64")
    return t
