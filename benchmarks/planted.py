"""Planted bugs (issue 23, "Done when"): each weak spot of the issue has a test that fails on its bug - shown by
planting the bug, running the weak spot's tests, seeing them fail, and reverting: ``make planted``.

    .venv/bin/python benchmarks/planted.py                        # every plant (a few minutes on 2 cores)
    .venv/bin/python benchmarks/planted.py holm-no-running-max    # some plants, by name
    .venv/bin/python benchmarks/planted.py --list                 # the plants and their test selections

Each entry of :data:`PLANTS` is a one-line bug: a substitution ``old -> new`` in one source file (``old`` may
carry lines of context before the changed line when that line occurs twice; it must occur EXACTLY once,
else the script stops with "plant <name> no longer applies: <file>") and the FAST tests written for that weak
spot (pytest arguments; ``-m "not slow"`` is added). For every plant a fresh copy of ``src/``, ``tests/``,
``pyproject.toml``, the benchmark scripts and ``notebooks/`` is made under a temporary folder, the bug is planted in the copy
only (the working tree is never modified), and ``python -m pytest -q -x -p no:xdist <selection>`` runs there
with ``PYTHONPATH=<copy>/src`` first and the copy as the working directory. The venv has ``helpers`` installed
editable from the worktree, so two proofs that the copy is what runs:

* a probe plugin (``-p _plant_probe``) records ``helpers.__file__`` from inside the pytest process and stops the
  session if it is not under the copy;
* a control run of every selection in a fresh, unplanted copy must pass (a selection that fails without the
  bug proves nothing with it).

Outcome per plant: "caught" with the first failing test's node id, or "MISSED". The table (weak spot | plant |
file | caught by | seconds) is printed and written as the section "planted" of benchmarks/RESULTS.md. Exit code
1 if a plant is MISSED, a control fails, or a probe finds ``helpers`` imported from elsewhere.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _project import copy_project, single_thread_env  # noqa: E402
from _results import table, write_section  # noqa: E402

NOT_SLOW = ["-m", "not slow"]


@dataclass(frozen=True)
class Plant:
    """One one-line bug: ``old`` replaced by ``new`` in ``file``; ``tests`` must catch it."""

    name: str
    weak_spot: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]


# ---- the test selections of the weak spots (shared by their plants: one control run each) -----------------------
SUPPRESSION = ("tests/test_suppression.py", "src/helpers/report/__init__.py")
RECIPIENTS = ("tests/test_suppression.py", "tests/test_scoring.py", "-k", "recipient")
SCRUB_SERIES = ("tests/test_privacy_paths.py", "tests/test_mutation_kills_pii.py", "-k", "scrub_series or prefilter")
ID_COLUMNS = ("tests/test_privacy_paths.py", "-k", "_id")
YEAR_HOLM = ("tests/test_outputs_agree.py", "tests/test_mutation_kills_year_verdicts.py", "-k",
             "year_verdict or year_adjusted or holm")
WORKER_HOLM = ("tests/test_outputs_agree.py", "tests/test_mutation_kills_worker_verdicts.py",
               "tests/test_worker_verdicts.py", "-k", "holm or adjusted or lists")
FUNNEL = ("tests/test_funnel.py", "tests/test_mutation_kills_funnel_pooled.py", "src/helpers/stats/funnel.py", "-k",
          "not proportion_funnel_around_the_pooled_share")
MEAN_FUNNEL = ("tests/test_funnel.py", "tests/test_mutation_kills.py", "-k", "mean_funnel")
AGREEMENT_BOOT = ("tests/test_agreement_bootstrap_values.py",)
TABLE_TESTS = ("tests/test_rater_agreement.py", "src/helpers/stats/rater_agreement.py", "-k",
               "stuart or bowker or maxwell or symmetry")
NOK_TOTAL = ("tests/test_nok_uncertainty.py", "tests/test_mutation_kills_nok_uncertainty.py", "-k",
             "not coverage")
DOMAINS = ("tests/test_outputs_agree.py", "-k", "worker_domain_scores")
WEIGHTED_REML = ("tests/test_outputs_agree.py", "-k", "weighted_reml")
HOLM = ("tests/test_comparisons.py", "src/helpers/stats/comparisons.py", "-k", "holm")
SAFE_CSV = ("tests/test_suppression.py", "tests/test_ingest_privacy.py", "-k", "csv or neutralise")

PLANTS: list[Plant] = [
    Plant("suppress-below-4", "small-cell threshold: cells of fewer than 5 recipients suppressed (5 -> 4)",
          "src/helpers/report/__init__.py",
          "fillna(0).lt(MIN_CELL)", "fillna(0).lt(MIN_CELL - 1)", SUPPRESSION),
    Plant("min-cell-4", "small-cell threshold: the constant MIN_CELL itself 5 -> 4",
          "src/helpers/report/__init__.py",
          "MIN_CELL = 5  # public", "MIN_CELL = 4  # public", SUPPRESSION),
    Plant("worker-cell-counts-interviews", "suppression counts recipients, not interviews (worker scores' n_recipients)",
          "src/helpers/studies/mystery_guest/scoring.py",
          '"n_recipients": f.groupby("w")["c"].nunique()', '"n_recipients": g.size()', RECIPIENTS),
    Plant("trajectory-cell-counts-interviews", "suppression counts recipients, not interviews (per-year worker cells)",
          "src/helpers/studies/mystery_guest/trends.py",
          '"n": e.n, "n_recipients": e.n_psu, "estimate"', '"n": e.n, "n_recipients": e.n, "estimate"', RECIPIENTS),
    Plant("funnel-counts-interviews", "suppression counts recipients, not interviews (the worker funnel figure)",
          "src/helpers/studies/benchmarking.py",
          '["recipient_pid"].nunique()', '["recipient_pid"].size()', RECIPIENTS),
    Plant("prefilter-never-true", "scrub_series' pre-filter (the path ingestion uses): no cell a candidate",
          "src/helpers/io/pii.py",
          ".to_numpy(zero_copy_only=False).astype(bool)", ".to_numpy(zero_copy_only=False).astype(bool) & False",
          SCRUB_SERIES),
    # (phones left out of the free-text pre-filter change nothing: its "address" pattern, any digit, picks them)
    Plant("prefilter-without-mobile", "scrub_series' pre-filter: one kind of personal data (mobiles in ids) left out",
          "src/helpers/io/pii.py",
          "_PREFILTER[k] for k in kinds)", '_PREFILTER[k] for k in kinds if k != "mobile")', SCRUB_SERIES),
    Plant("prefilter-without-email", "scrub_series' pre-filter: one kind of personal data (e-mails) left out",
          "src/helpers/io/pii.py",
          "_PREFILTER[k] for k in kinds)", '_PREFILTER[k] for k in kinds if k != "email")', SCRUB_SERIES),
    Plant("worker-id-not-scrubbed", "a name typed into an id column reaches the output (worker_id not checked)",
          "src/helpers/io/ingest.py",
          'for col in ("interview_id", "interviewer_id", "worker_id", "stratum", "pair_id"):',
          'for col in ("interview_id", "interviewer_id", "stratum", "pair_id"):', ID_COLUMNS),
    Plant("id-pii-not-quarantined", "a name typed into an id column: the row is not quarantined",
          "src/helpers/io/ingest.py",
          'problems.add(changed, col, "personal data', 'problems.add(changed & False, col, "personal data',
          ID_COLUMNS),
    Plant("year-verdict-raw-p", "year comparisons: increase/decrease decided on the raw p, not the Holm p",
          "src/helpers/studies/mystery_guest/trends.py",
          'out["difference"], out["p_adjusted"],', 'out["difference"], out["p"],', YEAR_HOLM),
    Plant("worker-trend-raw-p", "worker verdicts (improved/declined): decided on the raw p, not the Holm p",
          "src/helpers/studies/mystery_guest/scoring.py",
          'hit = out["p_adjusted"] < alpha', 'hit = out["p"] < alpha', WORKER_HOLM),
    Plant("recognition-raw-p", "worker verdicts (recognition/concern lists): raw p, not the Holm p",
          "src/helpers/studies/mystery_guest/scoring.py",
          'hit = t["p_adjusted"] < alpha', 'hit = t["p"] < alpha', WORKER_HOLM),
    Plant("funnel-tau2-zero", "funnel over-dispersion: tau2 forced to 0 in the _od limits",
          "src/helpers/stats/funnel.py",
          "tau2 = od.tau2 if gate_open else 0.0", "tau2 = 0.0", FUNNEL),
    Plant("mean-funnel-tau2-zero", "funnel over-dispersion: tau2 forced to 0 in the mean funnel's _od limits",
          "src/helpers/stats/funnel.py",
          "wide = mean_funnel_limits(n, target, sd, levels, tau2=od.tau2)",
          "wide = mean_funnel_limits(n, target, sd, levels, tau2=0.0)", MEAN_FUNNEL),
    Plant("funnel-z-sign", "funnel z: a wrong z in the helper funnel_table calls (funnel_z_scores)",
          "src/helpers/stats/funnel.py",
          '"z": (y - y0) / s}', '"z": (y0 - y) / s}', FUNNEL),
    Plant("funnel-z-scale", "funnel z: a wrong z in the helper funnel_table calls (s without the 1/2)",
          "src/helpers/stats/funnel.py",
          "s = 1.0 / (2.0 * np.sqrt(n))", "s = 1.0 / np.sqrt(n)", FUNNEL),
    Plant("funnel-docstring-formula", "funnel limits with target != 1, tau2 > 0: target(1 +- z sqrt(s2+t2))^2",
          "src/helpers/stats/funnel.py",
          "return np.clip(root - half, 0.0, None) ** 2, (root + half) ** 2",
          "return target * np.clip(1.0 - half, 0.0, None) ** 2, target * (1.0 + half) ** 2", FUNNEL),
    Plant("krippendorff-one-tail", "Krippendorff bootstrap interval: alpha in each tail instead of alpha/2",
          "src/helpers/stats/rater_agreement.py",
          "krippendorff_metric(level, o_boot.sum(-1), values))\n"
          "        why, _, usable = bootstrap_degeneracy(est, boot)\n"
          "        if usable:\n"
          "            lo, hi, how = bootstrap_interval(est, boot, confidence=confidence,",
          "krippendorff_metric(level, o_boot.sum(-1), values))\n"
          "        why, _, usable = bootstrap_degeneracy(est, boot)\n"
          "        if usable:\n"
          "            lo, hi, how = bootstrap_interval(est, boot, confidence=2 * confidence - 1,",
          AGREEMENT_BOOT),
    Plant("fleiss-one-tail", "Fleiss bootstrap interval: alpha in each tail instead of alpha/2",
          "src/helpers/stats/rater_agreement.py",
          "1 - pe, 1), np.nan)\n"
          "        why, _, usable = bootstrap_degeneracy(est, boot)\n"
          "        if usable:\n"
          "            lo, hi, how = bootstrap_interval(est, boot, confidence=confidence,",
          "1 - pe, 1), np.nan)\n"
          "        why, _, usable = bootstrap_degeneracy(est, boot)\n"
          "        if usable:\n"
          "            lo, hi, how = bootstrap_interval(est, boot, confidence=2 * confidence - 1,",
          AGREEMENT_BOOT),
    Plant("fleiss-unweighted-replicates", "Fleiss bootstrap interval: the replicates' pattern weights dropped",
          "src/helpers/stats/rater_agreement.py",
          "pb = wts @ p_i / n_units", "pb = freq @ p_i / n_units", AGREEMENT_BOOT),
    Plant("bootstrap-percentile-alpha", "agreement kernel's bootstrap interval: percentiles alpha, not alpha/2",
          "src/helpers/stats/agreement.py",
          "lo_q, hi_q = alpha, 1 - alpha", "lo_q, hi_q = 2 * alpha, 1 - 2 * alpha", AGREEMENT_BOOT),
    Plant("ac1-bca-acceleration-sign", "AC1 bootstrap (BCa of the agreement kernel): acceleration of wrong sign",
          "src/helpers/stats/agreement.py",
          "d = jm - jack[ok]", "d = jack[ok] - jm", AGREEMENT_BOOT),
    Plant("stuart-maxwell-df", "a table test's degrees of freedom: Stuart-Maxwell df off by one",
          "src/helpers/stats/rater_agreement.py",
          "float(rank), float(stats.chi2.sf(q, rank))", "float(rank + 1), float(stats.chi2.sf(q, rank + 1))",
          TABLE_TESTS),
    Plant("bowker-df", "a table test's degrees of freedom: Bowker df off by one",
          "src/helpers/stats/rater_agreement.py",
          "df = float(ok.sum())", "df = float(ok.sum() + 1)", TABLE_TESTS),
    Plant("nok-total-level", "the НОК total's bootstrap interval: wrong level (alpha, not alpha/2, per tail)",
          "src/helpers/studies/nok/uncertainty.py",
          "    a = (1 - level) / 2\n    low, high = _containing(*_nan_quantiles(draws[\"total\"], a), totals)",
          "    a = 1 - level\n    low, high = _containing(*_nan_quantiles(draws[\"total\"], a), totals)", NOK_TOTAL),
    Plant("nok-replicates-not-reweighted", "the НОК bootstrap: the replicates not re-weighted (all weights 1)",
          "src/helpers/studies/nok/uncertainty.py",
          "return g * (n / g[:, :n].sum(axis=1, keepdims=True))", "return np.ones_like(g)", NOK_TOTAL),
    Plant("domain-scores-of-the-composite", "per-domain worker scores: every domain scored on the composite",
          "src/helpers/studies/mystery_guest/scoring.py",
          "worker_scores(scored, measure=m, **kwargs) for m in measures",
          'worker_scores(scored, measure="composite", **kwargs).assign(measure=m) for m in measures', DOMAINS),
    Plant("worker-raw-sum", "per-domain worker scores: the raw mean a sum",
          "src/helpers/studies/mystery_guest/scoring.py",
          '"raw_mean": g.mean()})', '"raw_mean": g.sum()})', DOMAINS),
    Plant("reml-weights-ignored", "the weighted REML: weights ignored (Henderson's equations unweighted)",
          "src/helpers/stats/mixed.py",
          "if weights is not None:  # Var(e_i)", "if False:  # Var(e_i)", WEIGHTED_REML),
    Plant("holm-no-running-max", "Holm adjustment: the step-down running maximum dropped",
          "src/helpers/stats/comparisons.py",
          "np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1))", "(p[order] * np.arange(len(p), 0, -1))",
          HOLM),
    Plant("safe-csv-no-tidy", "the safe CSV writer: to_csv_safe's suppression step (tidy_suppressed) dropped",
          "src/helpers/io/safe_csv.py",
          "neutralise(tidy_suppressed(df)).to_csv(path, **kwargs)", "neutralise(df).to_csv(path, **kwargs)",
          SAFE_CSV),
    Plant("safe-csv-no-neutralise", "the safe CSV writer bypassed: formulas not neutralised",
          "src/helpers/io/safe_csv.py",
          "neutralise(tidy_suppressed(df)).to_csv(path, **kwargs)", "tidy_suppressed(df).to_csv(path, **kwargs)",
          SAFE_CSV),
]

PROBE = '''"""Loaded by benchmarks/planted.py (-p _plant_probe): helpers must be imported from this copy."""
from pathlib import Path

import pytest

COPY = Path(__file__).resolve().parent


def pytest_sessionstart(session):
    import helpers

    where = Path(helpers.__file__).resolve()
    (COPY / ".helpers_file").write_text(str(where), encoding="utf-8")
    if COPY not in where.parents:
        raise pytest.UsageError(f"helpers imported from {where}, not from the copy {COPY}")
'''


class NoLongerApplies(SystemExit):
    pass


def check(plant: Plant, root: Path = ROOT) -> None:
    """Stop unless ``plant.old`` occurs exactly once in its file and differs from ``plant.new``."""
    text = (root / plant.file).read_text(encoding="utf-8")
    if text.count(plant.old) != 1 or plant.old == plant.new:
        raise NoLongerApplies(f"plant {plant.name} no longer applies: {plant.file}")


@contextmanager
def fresh_copy():
    """A fresh copy of src/, tests/, pyproject.toml, the benchmark scripts and notebooks/ (the safe-CSV test runs
    the pipeline), with the probe plugin; removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="planted-"))
    try:
        copy_project(tmp, notebooks=True)
        shutil.copy2(ROOT / "pyproject.toml", tmp / "pyproject.toml")
        (tmp / "_plant_probe.py").write_text(PROBE, encoding="utf-8")
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def apply(plant: Plant, copy: Path) -> None:
    """Plant the bug in the copy (never in the working tree)."""
    check(plant, copy)
    path = copy / plant.file
    path.write_text(path.read_text(encoding="utf-8").replace(plant.old, plant.new), encoding="utf-8")


_FAILED = re.compile(r"^(FAILED|ERROR) (\S+)", re.M)


def run_selection(copy: Path, tests: tuple[str, ...]) -> tuple[int, str, str, float]:
    """pytest on the selection in the copy: (return code, first failing node id or "", helpers' path, seconds)."""
    env = single_thread_env(PYTHONPATH=os.pathsep.join([str(copy / "src"), str(copy)]
                                                       + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH")
                                                          else [])))
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:xdist", "-p", "_plant_probe", "-rfE",
           *NOT_SLOW, *tests]
    start = time.perf_counter()
    res = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    probe = copy / ".helpers_file"
    where = probe.read_text(encoding="utf-8") if probe.exists() else ""
    m = _FAILED.search(res.stdout)
    first = f"{m.group(1).lower()} {m.group(2)}" if m else ""
    if res.returncode != 0 and not first:
        tail = (res.stdout + res.stderr).strip().splitlines()[-3:]
        first = "pytest exit " + str(res.returncode) + ": " + " / ".join(tail)
    return res.returncode, first, where, seconds


def inside(where: str, copy: Path) -> bool:
    return bool(where) and copy.resolve() in Path(where).resolve().parents


def control(tests: tuple[str, ...]) -> dict:
    """The selection in a fresh unplanted copy: it must pass, with helpers imported from the copy."""
    with fresh_copy() as copy:
        rc, first, where, seconds = run_selection(copy, tests)
        return {"ok": rc == 0 and inside(where, copy), "first": first, "where": where, "seconds": seconds}


def plant_once(plant: Plant) -> dict:
    """Plant, run the selection, remove the copy: caught (with the first failing test) or MISSED."""
    with fresh_copy() as copy:
        apply(plant, copy)
        rc, first, where, seconds = run_selection(copy, plant.tests)
        probe_ok = inside(where, copy)
        caught = rc != 0 and probe_ok and first.startswith(("failed", "error"))
        return {"caught": caught, "first": first, "where": where, "probe_ok": probe_ok, "seconds": seconds}


def selection_text(tests: tuple[str, ...]) -> str:
    return " ".join(f'"{t}"' if " " in t else t for t in tests)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="plants to run (default: all)")
    ap.add_argument("--list", action="store_true", help="print the plants and their test selections")
    args = ap.parse_args(argv)
    known = {p.name: p for p in PLANTS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        ap.error(f"unknown plant(s) {unknown}; --list shows them")
    chosen = [known[n] for n in args.names] if args.names else PLANTS
    if args.list:
        for p in chosen:
            print(f"{p.name}: {p.weak_spot}\n    {p.file}: {p.old!r} -> {p.new!r}\n    pytest {selection_text(p.tests)}")
        return 0
    for p in chosen:  # every plant must still apply before anything runs
        check(p)
    start = time.perf_counter()
    controls: dict[tuple[str, ...], dict] = {}
    for tests in dict.fromkeys(p.tests for p in chosen):
        controls[tests] = c = control(tests)
        print(f"control {'pass' if c['ok'] else 'FAIL'} ({c['seconds']:.0f} s): pytest {selection_text(tests)}"
              + ("" if c["ok"] else f"\n    {c['first']} (helpers from {c['where'] or '?'})"), flush=True)
    rows, bad = [], 0
    for p in chosen:
        r = plant_once(p)
        c = controls[p.tests]
        verdict = ("caught: " + r["first"].split(" ", 1)[1]) if r["caught"] else "MISSED"
        if not r["probe_ok"]:
            verdict = f"NOT PROVEN (helpers from {r['where'] or '?'})"
        if not c["ok"]:
            verdict += " (control FAILED)"
        bad += not (r["caught"] and c["ok"])
        rows.append({"weak spot": p.weak_spot, "plant": f"`{p.name}`", "file": p.file.removeprefix("src/helpers/"),
                     "caught by": verdict, "seconds": f"{r['seconds']:.1f}"})
        print(f"{p.name}: {verdict} ({r['seconds']:.1f} s)", flush=True)
    body = table(rows)
    print("\n" + body)
    ctrl = [f"- `pytest {selection_text(t)}`: {'pass' if c['ok'] else 'FAIL'} ({c['seconds']:.0f} s)"
            for t, c in controls.items()]
    caught = sum(r["caught by"].startswith("caught") for r in rows)
    summary = (f"{caught} of {len(rows)} plants caught. Command: `.venv/bin/python benchmarks/planted.py`"
               f" (`make planted`), {time.perf_counter() - start:.0f} s in all (one pytest at a time, under nice);"
               " each plant in a fresh copy, helpers imported from the copy (probe).")
    if not args.names:
        write_section("planted", "Planted bugs: each weak spot of issue 23 caught by its tests",
                      summary + "\n\n" + body + "\n\nControl runs (no plant; each must pass):\n\n" + "\n".join(ctrl))
    print("\n" + summary)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
