"""The E-library survey sample: a reproducible stratified random sample of at most 10% of the users.

The Vyselki centre uses the E-library register as the frame for remote surveys "with a coverage of up to
10% of respondents". The sample:

* **frame**: the users active on ``on`` (registered on or before it, not left before it), one row per
  user pseudonym (``user_pid``, HMAC-SHA256 of the user id with the workbench's key, as
  :func:`helpers.io.ingest.pseudonymise`; the same user keeps the same pseudonym across years and waves);
* **strata**: source × channel (recipient / computer-class graduate × e-mail / WhatsApp), so that every
  kind of user is represented in proportion;
* **size**: ``n = floor(share · N)`` with ``share ≤ 0.10`` — never above 10% of the frame;
* **allocation**: proportional, ``n_h = floor(n · N_h / N)`` and the remaining units to the strata with the
  largest remainders (Hamilton's method), so that ``Σ n_h = n`` exactly (Cochran 1977, *Sampling
  Techniques*, §5.5);
* **selection**: simple random sampling without replacement within each stratum, from the frame sorted
  by pseudonym, with ``numpy.random.default_rng(seed)``: the same frame and seed give the same sample
  whatever the order of the input rows;
* **weights**: inclusion probability ``π_h = n_h / N_h`` and design weight ``1 / π_h`` for the estimates
  of the survey that follows.

>>> users = pd.DataFrame({"user_pid": [f"u{i:03d}" for i in range(100)],
...                       "stratum": ["a"] * 70 + ["b"] * 30,
...                       "registered": pd.Timestamp("2020-01-01"), "left": pd.NaT})
>>> s = survey_sample(users, seed=1)
>>> len(s), s.groupby("stratum").size().to_dict()
(10, {'a': 7, 'b': 3})
>>> s.equals(survey_sample(users.sample(frac=1, random_state=5), seed=1))
True
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.io.safe_csv import to_csv_safe

__all__ = ["MAX_SHARE", "allocate", "survey_frame", "survey_sample", "write_survey_sample"]

MAX_SHARE = 0.10


def survey_frame(users: pd.DataFrame, on: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """Users active on ``on`` (default: all rows), one row per pseudonym, sorted by pseudonym."""
    u = users
    if on is not None:
        on = pd.Timestamp(on)
        u = u[(u["registered"] <= on) & (u["left"].isna() | (u["left"] >= on))]
    return (u.drop_duplicates("user_pid", keep="last")[["user_pid", "stratum"]]
            .sort_values("user_pid", kind="stable").reset_index(drop=True))


def allocate(sizes: pd.Series, n: int) -> pd.Series:
    """Proportional allocation of ``n`` over strata of ``sizes`` by largest remainders (sum exactly ``n``).

    >>> allocate(pd.Series({"a": 55, "b": 30, "c": 15}), 9).to_dict()
    {'a': 5, 'b': 3, 'c': 1}
    """
    total = sizes.sum()
    if total == 0 or n == 0:
        return pd.Series(0, index=sizes.index, dtype="int64")
    quota = sizes * n / total
    base = np.floor(quota).astype("int64")
    rest = n - int(base.sum())
    order = (quota - base).sort_values(ascending=False, kind="stable").index[:rest]
    base[order] += 1
    return np.minimum(base, sizes).astype("int64")


def survey_sample(users: pd.DataFrame, share: float = MAX_SHARE, seed: int = 2021,
                  on: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """The stratified random sample (see the module docstring). ``share`` above 10% is refused.

    Returns ``user_pid, stratum, frame_size, stratum_size, stratum_sample, inclusion_probability, weight``,
    sorted by stratum and pseudonym.
    """
    if not 0 < share <= MAX_SHARE:
        raise ValueError(f"share must be in (0, {MAX_SHARE}]: the E-library surveys reach at most 10% of users")
    frame = survey_frame(users, on)
    n = int(np.floor(share * len(frame) + 1e-9))
    sizes = frame.groupby("stratum").size()
    alloc = allocate(sizes, n)
    rng = np.random.default_rng(seed)
    parts = []
    for stratum in sorted(sizes.index):
        members = frame[frame["stratum"] == stratum]
        k = int(alloc[stratum])
        pick = np.sort(rng.choice(len(members), size=k, replace=False)) if k else np.array([], dtype=int)
        chosen = members.iloc[pick].copy()
        chosen["frame_size"], chosen["stratum_size"], chosen["stratum_sample"] = len(frame), len(members), k
        chosen["inclusion_probability"] = k / len(members)
        chosen["weight"] = len(members) / k if k else np.nan
        parts.append(chosen)
    cols = ["user_pid", "stratum", "frame_size", "stratum_size", "stratum_sample", "inclusion_probability", "weight"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    return out[cols].sort_values(["stratum", "user_pid"], kind="stable").reset_index(drop=True)


def write_survey_sample(sample: pd.DataFrame, path: str | Path, seed: int) -> Path:
    """Export the sample (pseudonyms only) as CSV, with the seed in a first comment line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(f"# E-library survey sample, seed {seed}, {len(sample)} of {int(sample['frame_size'].max() if len(sample) else 0)} users\n")
        to_csv_safe(sample, f, index=False)  # CSV-injection safe, as every export
    return path
