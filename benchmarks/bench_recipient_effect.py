"""Benchmark: the worker mixed model with the recipient as a third crossed random effect at scale.

100,000 interviews of 50,000 recipients (each interviewed twice: a volunteer and a social worker), 1,000
workers, 200 interviewers; planted variances worker 9, interviewer 4, recipient 16, residual 36. The
Henderson engine absorbs the recipient factor (:class:`helpers.stats.mixed.MME`), so the dense system has
1,000 + 200 + 2 unknowns whatever the number of recipients.

Run: ``.venv/bin/python benchmarks/bench_recipient_effect.py [--recipients 50000]``. Prints a table and
rewrites its section of benchmarks/RESULTS.md. Measures, does not assert.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _results import table, write_section  # noqa: E402

from helpers.studies.mystery_guest.scoring import worker_scores  # noqa: E402

PLANTED = {"worker": 9.0, "interviewer": 4.0, "recipient": 16.0, "residual": 36.0}


def study(n_recipients: int, n_workers: int = 1000, n_interviewers: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.integers(0, n_workers, n_recipients)
    q = rng.normal(0, np.sqrt(PLANTED["worker"]), n_workers)
    lin = rng.normal(0, np.sqrt(PLANTED["interviewer"]), n_interviewers)
    u = rng.normal(0, np.sqrt(PLANTED["recipient"]), n_recipients)
    rec = np.repeat(np.arange(n_recipients), 2)
    ww = np.repeat(w, 2)
    i = rng.integers(0, n_interviewers, 2 * n_recipients)
    role = np.tile(["volunteer", "social_worker"], n_recipients)
    y = 85 + q[ww] + lin[i] + u[rec] - 3 * (role == "social_worker") + rng.normal(0, np.sqrt(PLANTED["residual"]), 2 * n_recipients)
    d = pd.DataFrame({"year": 2020, "worker_id": pd.Series(ww).map("W{:04d}".format), "interviewer_id": pd.Series(i).map("I{:03d}".format),
                      "role": role, "mode": "in_person", "recipient_pid": pd.Series(rec).map("r{:06d}".format), "composite": y})
    return d, q


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipients", type=int, default=50_000)
    a = ap.parse_args()
    d, q = study(a.recipients)
    rows = []
    for recipients in (False, True):
        t = time.perf_counter()
        r = worker_scores(d, recipients=recipients)
        secs = time.perf_counter() - t
        adj = r.set_index("worker_id")["adjusted"].reindex([f"W{k:04d}" for k in range(len(q))])
        rows.append({"recipient effect": "yes" if recipients else "no", "interviews": f"{len(d):,}",
                     "recipients": f"{a.recipients:,}", "seconds": f"{secs:.1f}",
                     "var worker / interviewer / recipient / residual": " / ".join(
                         f"{r[c].iloc[0]:.2f}" for c in ("var_worker", "var_interviewer", "var_recipient", "var_residual")),
                     "r(adjusted, planted quality)": f"{np.corrcoef(adj, q)[0, 1]:.3f}",
                     "mean worker effect SE": f"{r['effect_se'].mean():.3f}"})
    body = ("Planted variances worker / interviewer / recipient / residual: "
            + " / ".join(f"{v:g}" for v in PLANTED.values()) + ". Without the recipient effect its variance goes into "
            "the residual and the worker effects' prediction errors treat the two interviews of a recipient as "
            "independent (too small).\n\n" + table(rows)
            + f"\n\nReproduce: `.venv/bin/python benchmarks/bench_recipient_effect.py --recipients {a.recipients}`")
    print(body)
    write_section("bench_recipient_effect", "Worker model with a recipient random effect at scale "
                  "(`benchmarks/bench_recipient_effect.py`)", body)


if __name__ == "__main__":
    main()
