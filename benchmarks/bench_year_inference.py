"""Benchmark year inference under a pure change of interviewer mix: false-positive rates, SE calibration, speed.

Simulated 2018-2021 studies (:func:`helpers.studies.mystery_guest.simulate.simulate_years`) with **no change in quality**:
2018-2019 volunteer-only, 2020-2021 volunteer + social-worker pairs (social workers ~3 points lower),
the phone share moving 30/30/70/50%, recipients recurring across years with a persistent effect,
workers and interviewers random. For each method: the share of studies in which it reports a change
(any Holm-significant pair for ``compare_years``, p < 0.05 for ``trend_test``), with its Monte Carlo
SE. Also: the ratio of the empirical SD of the 2020-2021 contrast to its mean reported SE, and the
time of the year model on the demo data (MME engine against statsmodels, with the recipient effect).

Run: ``.venv/bin/python benchmarks/bench_year_inference.py [--studies 300]``. Prints a table and
rewrites its own section of benchmarks/RESULTS.md. Measures, does not assert (the fast seeded
versions with assertions are in ``tests/test_year_inference.py``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _results import table, write_section  # noqa: E402

from helpers.stats.comparisons import holm  # noqa: E402
from helpers.studies.mystery_guest import trends as T  # noqa: E402
from helpers.studies.mystery_guest.scoring import score_interviews  # noqa: E402
from helpers.studies.mystery_guest.simulate import simulate_years  # noqa: E402


def one_study(seed: int) -> dict:
    st = simulate_years(seed=seed)
    s = score_interviews(st.interviews)
    fit = T.year_mixed_model(s, roster=st.strata)
    c = T.compare_years(s, roster=st.strata, fit=fit)
    tr = T.trend_test(s, roster=st.strata, fit=fit)
    c_all = T.compare_years(s, roster=st.strata, instrument=None)
    tr_all = T.trend_test(s, roster=st.strata, instrument=None)
    vol = s[s["role"] == "volunteer"]
    c_vol = T.compare_years(vol, roster=st.strata, instrument=None)
    tr_vol = T.trend_test(vol, roster=st.strata, instrument=None)
    nore = T.year_mixed_model(s, roster=st.strata, recipients=False)
    # today's main (before issue 9): all interviews, the years' samples treated as independent (no covariance)
    se_ind = np.sqrt(c_all["se"] ** 2 + 2 * c_all["covariance"])
    p_ind = 2 * stats.t.sf(np.abs(c_all["difference"]) / se_ind, c_all["df"])
    ys = T.yearly_summary(s, st.strata, measures=["composite"], top_box=False, instrument=None)
    cc = ys["year"].to_numpy(float) - ys["year"].mean()
    z_ind = abs((cc * ys["estimate"]).sum()) / np.sqrt((cc**2 * ys["se"] ** 2).sum())
    k = c.set_index(["year_a", "year_b"]).loc[(2020, 2021)]
    k_all = c_all.set_index(["year_a", "year_b"]).loc[(2020, 2021)]
    k_nore = nore.contrasts.set_index(["year_a", "year_b"]).loc[(2020, 2021)]
    return {
        "before (today's main): all interviews, years independent, compare_years": bool((holm(p_ind) < 0.05).any()),
        "before (today's main): all interviews, years independent, trend_test": bool(z_ind > stats.norm.ppf(0.975)),
        "default compare_years (constant instrument)": bool((c["p_adjusted"] < 0.05).any()),
        "default trend_test (constant instrument)": bool(tr["p"] < 0.05),
        "all interviews compare_years (instrument=None)": bool((c_all["p_adjusted"] < 0.05).any()),
        "all interviews trend_test (instrument=None)": bool(tr_all["p"] < 0.05),
        "volunteer interviews only, design-based compare_years": bool((c_vol["p_adjusted"] < 0.05).any()),
        "volunteer interviews only, design-based trend_test": bool(tr_vol["p"] < 0.05),
        "year model without recipient effect, any Holm contrast": bool((nore.contrasts["p_adjusted"] < 0.05).any()),
        "_d": k["difference"], "_se": k["se"], "_d_all": k_all["difference"], "_se_all": k_all["se"],
        "_se_all_indep": float(np.sqrt(k_all["se"] ** 2 + 2 * k_all["covariance"])),
        "_d_nore": k_nore["difference"], "_se_nore": k_nore["se"],
        "_m20": fit.means.set_index("year").loc[2020, "estimate"], "_se_m20": fit.means.set_index("year").loc[2020, "se"],
        "_m20_nore": nore.means.set_index("year").loc[2020, "estimate"],
        "_se_m20_nore": nore.means.set_index("year").loc[2020, "se"],
    }


def demo_timing(repeat: int = 3) -> list[dict]:
    import tempfile

    from helpers.io.demo import write_demo_data
    from helpers.io.ingest import ingest

    with tempfile.TemporaryDirectory() as tmp:
        write_demo_data(Path(tmp) / "raw", Path(tmp) / "truth.json", seed=2018)
        s = score_interviews(ingest(Path(tmp) / "raw").interviews)
    rows = []
    for engine, rec in (("mme", True), ("statsmodels", True), ("mme", False), ("statsmodels", False)):
        best = np.inf
        for _ in range(repeat):
            t = time.perf_counter()
            T.year_mixed_model(s, engine=engine, recipients=rec)
            best = min(best, time.perf_counter() - t)
        rows.append({"year model on the demo data": f"engine={engine}, recipients={rec}", "seconds (best of 3)":
                     f"{best:.2f}"})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--studies", type=int, default=300)
    args = ap.parse_args()
    t0 = time.perf_counter()
    res = pd.DataFrame([one_study(seed) for seed in range(args.studies)])
    n = len(res)
    rows = []
    for col in [c for c in res.columns if not c.startswith("_")]:
        p = float(res[col].mean())
        rows.append({"method (no change in quality, mix changes)": col, "reports a change": f"{p:.3f}",
                     "MC SE": f"{np.sqrt(p * (1 - p) / n):.3f}"})
    cal = [
        {"estimate": "2020-2021 contrast, default (constant instrument)", "empirical SD": f"{res['_d'].std():.3f}",
         "mean reported SE": f"{res['_se'].mean():.3f}", "ratio": f"{res['_d'].std() / res['_se'].mean():.2f}"},
        {"estimate": "2020-2021 contrast, all interviews, recurring recipients' covariance used",
         "empirical SD": f"{res['_d_all'].std():.3f}", "mean reported SE": f"{res['_se_all'].mean():.3f}",
         "ratio": f"{res['_d_all'].std() / res['_se_all'].mean():.2f}"},
        {"estimate": "2020-2021 contrast, all interviews, years treated as independent",
         "empirical SD": f"{res['_d_all'].std():.3f}", "mean reported SE": f"{res['_se_all_indep'].mean():.3f}",
         "ratio": f"{res['_d_all'].std() / res['_se_all_indep'].mean():.2f}"},
        {"estimate": "2020-2021 contrast, year model without recipient effect", "empirical SD": f"{res['_d_nore'].std():.3f}",
         "mean reported SE": f"{res['_se_nore'].mean():.3f}",
         "ratio": f"{res['_d_nore'].std() / res['_se_nore'].mean():.2f}"},
        {"estimate": "2020 yearly mean (level), default model", "empirical SD": f"{res['_m20'].std():.3f}",
         "mean reported SE": f"{res['_se_m20'].mean():.3f}", "ratio": f"{res['_m20'].std() / res['_se_m20'].mean():.2f}"},
        {"estimate": "2020 yearly mean (level), model without recipient effect",
         "empirical SD": f"{res['_m20_nore'].std():.3f}", "mean reported SE": f"{res['_se_m20_nore'].mean():.3f}",
         "ratio": f"{res['_m20_nore'].std() / res['_se_m20_nore'].mean():.2f}"},
    ]
    sim_s = time.perf_counter() - t0
    timing = demo_timing()
    body = (f"{n} simulated studies (seeds 0-{n - 1}), {sim_s:.0f} s. No change in quality; only the interviewer "
            "mix changes (2018-19 volunteers only, 2020-21 volunteer + social-worker pairs, social workers ~3 points "
            "lower; phone share 30/30/70/50%); recipients recur across years with a persistent effect; workers and "
            "interviewers random. Nominal level 0.05 (Holm family-wise for compare_years).\n\n"
            + table(rows) + "\n\nCalibration of the standard errors over the simulated studies (ratio 1 = honest; "
            "> 1 = intervals too narrow):\n\n" + table(cal) + "\n\n" + table(timing)
            + "\n\nReproduce: `.venv/bin/python benchmarks/bench_year_inference.py --studies 300`")
    print(body)
    write_section("bench_year_inference", "Year inference under a change of interviewer mix "
                  "(`benchmarks/bench_year_inference.py`)", body)


if __name__ == "__main__":
    main()
