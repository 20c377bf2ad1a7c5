"""Mutation testing of the statistics and verdicts (issue 23, item 5): ``make mutation``.

mutmut (3.x) changes one operator, constant or argument at a time in a module and runs that module's own
FAST test selection against each change (a "mutant"); a mutant the tests do not notice *survives*. Every
module below runs in its own copy of the project (``.mutation/<module>/``: src, tests and pyproject.toml with
a ``[tool.mutmut]`` section written here), so each has its own test selection and its own results.

    .venv/bin/python benchmarks/mutation.py                       # every module (hours on 2 cores)
    .venv/bin/python benchmarks/mutation.py power comparisons     # some modules
    .venv/bin/python benchmarks/mutation.py --list                # the modules and their test selections

Per module it records the mutants, killed (a test failed or timed out), survived, without tests, the score
``killed / mutants`` and the wall time, in ``benchmarks/mutation/<module>.json`` (committed: one file a module,
so modules run on different branches merge without conflict), and writes the table of every recorded module
into the ``mutation`` section of benchmarks/RESULTS.md (``--table`` rewrites it from those files alone). The surviving mutants of a module are listed in
``.mutation/<module>/survivors.txt`` (``mutmut show <name>`` in that folder prints one); the ones judged
harmless, and why, are in docs/mutation/<module>.md. Timeouts count as killed (a mutant that makes a loop endless is
noticed). Goal: at least 85% killed in every module.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"
RECORDS = ROOT / "benchmarks" / "mutation"
MUTMUT = Path(sys.executable).with_name("mutmut")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _project import copy_project, single_thread_env  # noqa: E402
from _results import table, write_section  # noqa: E402

NOT_SLOW = ["-m", "not slow"]
# the agreement tests left out of the agreement entries' selections: coverage simulations and whole-design checks
NOT_AGREEMENT_SIMULATIONS = ("not cover and not design_weights and not no_zero_width and not matches_row_bootstrap"
                             " and not population_truth and not category_probabilities")

#: module -> (file to mutate, mutant-name globs (empty: every function), pytest selection: fast tests only)
MODULES: dict[str, tuple[str, list[str], list[str]]] = {
    "power": ("src/helpers/stats/power.py", [],
              ["tests/test_trends.py", "tests/test_outputs_agree.py", "tests/test_mutation_kills.py",
               "tests/test_mutation_kills_power.py", "src/helpers/stats/power.py", "-k", "mdd or power"]),
    "comparisons": ("src/helpers/stats/comparisons.py", [],
                    ["tests/test_comparisons.py", "tests/test_trends.py", "tests/test_role_gap.py",
                     "tests/test_mutation_kills.py", "tests/test_mutation_kills_comparisons.py",
                     "src/helpers/stats/comparisons.py", "-k",
                     "holm or cliff or difference_is or linear_trend or welch or comparisons or quantile"]),
    # the coefficient kernels and interval rules a reviewer's numbers rest on (the whole module: ~2,000 mutants
    # at ~25 s a survivor); the five slowest tests (simulations, 5-7 s each) are left out
    "agreement": ("src/helpers/stats/agreement.py",
                  [f"helpers.stats.agreement.x_{f}__mutmut_*" for f in (
                      "table_coefficients", "alpha_from_coincidence", "krippendorff_metric", "ordinal_metric",
                      "weight_matrix", "analytic_se", "agreement_from_table", "bootstrap_interval",
                      "clopper_pearson", "korn_graubard")],
                  ["tests/test_agreement_intervals.py", "tests/test_rater_agreement.py",
                   "tests/test_agreement_bootstrap_values.py", "tests/test_mutation_kills.py",
                   "tests/test_mutation_kills_agreement.py", "src/helpers/stats/agreement.py", "-k",
                   NOT_AGREEMENT_SIMULATIONS]),
    # the rest of agreement.py (session 8): the resampling designs, the interval tables and the small helpers
    "agreement_intervals": ("src/helpers/stats/agreement.py",
                            [f"helpers.stats.agreement.x_{f}__mutmut_*" for f in (
                                "contingency_table", "table_from_codes", "_values", "_ratio", "_chance_corrected",
                                "undefined_reason", "_difference", "pinned_reason", "resample_tables",
                                "_jackknife_tables", "bootstrap_degeneracy", "cluster_tables", "pigeonhole_tables",
                                "stratified_tables", "_percent_agreement_interval", "table_intervals",
                                "bootstrap_table_ci", "as_count", "is_missing", "sort_key")],
                            ["tests/test_agreement_intervals.py", "tests/test_rater_agreement.py",
                             "tests/test_agreement_bootstrap_values.py", "tests/test_mutation_kills.py",
                             "tests/test_mutation_kills_agreement.py",
                             "tests/test_mutation_kills_agreement_intervals.py",
                             "tests/test_mutation_kills_agreement_designs.py", "src/helpers/stats/agreement.py", "-k",
                             NOT_AGREEMENT_SIMULATIONS]),
    # restricted (time) to the functions whose survivors were unread or never run in the first, stopped run, and
    # the two whose earlier run was stopped (percent_agreement, bowker_symmetry): docs/mutation/rater_agreement.md
    "rater_agreement": ("src/helpers/stats/rater_agreement.py",
                        [f"helpers.stats.rater_agreement.x_{f}__mutmut_*" for f in
                         ("gwet_ac", "stuart_maxwell", "_square_table", "krippendorff_alpha", "fleiss_kappa",
                          "rating_counts", "percent_agreement", "bowker_symmetry")],
                        ["tests/test_rater_agreement.py", "tests/test_agreement_bootstrap_values.py",
                         "tests/test_agreement_intervals.py", "tests/test_mutation_kills.py",
                         "tests/test_mutation_kills_rater_agreement.py", "src/helpers/stats/rater_agreement.py",
                         "-k", "not cover"]),
    # the rest of rater_agreement.py (session 8): the two-rater wrappers, expand_table and the bootstrap helpers
    "rater_two": ("src/helpers/stats/rater_agreement.py",
                  [f"helpers.stats.rater_agreement.x_{f}__mutmut_*" for f in
                   ("_two_rater", "cohen_kappa", "scott_pi", "brennan_prediger", "expand_table",
                    "_no_bootstrap_reason", "_pattern_weights")],
                  ["tests/test_rater_agreement.py", "tests/test_agreement_intervals.py",
                   "tests/test_mutation_kills_rater_agreement.py", "tests/test_mutation_kills_rater_two.py",
                   "src/helpers/stats/rater_agreement.py", "-k",
                   NOT_AGREEMENT_SIMULATIONS]),
    "survey": ("src/helpers/stats/survey.py", [], ["tests/test_survey.py", "tests/test_mutation_kills_survey.py",
                                                   "src/helpers/stats/survey.py"]),
    "ordinal": ("src/helpers/stats/ordinal.py", [],  # the demo year-model test (a whole demo ingestion) is left out
                ["tests/test_trends.py", "tests/test_mutation_kills_ordinal.py", "src/helpers/stats/ordinal.py",
                 "-k", "(ordinal or ordered_model) and not recovers"]),
    "psychometrics": ("src/helpers/stats/psychometrics.py", [],
                      ["tests/test_psychometrics.py", "tests/test_mutation_kills_psychometrics.py",
                       "src/helpers/stats/psychometrics.py"]),
    "score_agreement": ("src/helpers/stats/score_agreement.py", [],
                        ["tests/test_score_agreement.py", "tests/test_mutation_kills_score_agreement.py",
                         "src/helpers/stats/score_agreement.py"]),
    # restricted to the door (fit, its fixed-only fallback, the PEV of x'b + u): the whole module is ~600 mutants
    # of 10-20 s each; the Nelder-Mead comparison (80 s) and the two-BLAS-kernel test (subprocesses) are left out
    "mixed": ("src/helpers/stats/mixed.py",
              ["helpers.stats.mixed.x_fit__*", "helpers.stats.mixed.x__fixed_only*",
               "helpers.stats.mixed.xǁMixedFitǁx_pev*"],
              ["tests/test_outputs_agree.py", "tests/test_scoring.py", "tests/test_mixed_door.py",
               "tests/test_mutation_kills_mixed.py",
               "src/helpers/stats/mixed.py", "-k",
               "(reml or mme or statsmodels or henderson or door) and not nelder_mead and not blas_kernels"]),
    # the core under the door (never scored by "mixed": 10-20 s a mutant): Henderson's equations, REML and their
    # helpers, against a fast selection (dense formulas and statsmodels on an 84-row design, the doctests)
    "mixed_core": ("src/helpers/stats/mixed.py",
                   ["helpers.stats.mixed.xǁMMEǁ*", "helpers.stats.mixed.x_reml__*", "helpers.stats.mixed.x_henderson__*",
                    "helpers.stats.mixed.x__cho_inverse__*", "helpers.stats.mixed.x__projected_gradient__*",
                    "helpers.stats.mixed.x_indicator__*"],
                   ["tests/test_mutation_kills_mixed.py", "src/helpers/stats/mixed.py"]),
    # Satterthwaite's df of the worker contrasts (session 8: the one stats/ module not listed before)
    "mixed_inference": ("src/helpers/stats/mixed_inference.py", [],
                        ["tests/test_worker_verdicts.py", "tests/test_mutation_kills_mixed_inference.py",
                         "src/helpers/stats/mixed_inference.py", "-k",
                         "contrast or trajectory_df or containment_df or mixed_inference or dense or absorbing"
                         " or weights or least_squares"]),
    # every function but the pooled-share ones of entry funnel_pooled (and funnel_table, which that entry holds)
    "funnel": ("src/helpers/stats/funnel.py",
               [f"helpers.stats.funnel.x_{f}__mutmut_*" for f in (
                   "level_label", "_z", "_as_array", "_proportion_limits", "_integer_sizes", "_binomial_quantile_limit",
                   "_binomial_limits", "binomial_tail_flags", "_poisson_limits", "_sqrt_ratio_limits",
                   "funnel_limits", "mean_funnel_limits", "funnel_z_scores", "winsorise", "additive_tau2",
                   "overdispersion", "_flags", "_proportion_flags", "_assemble", "mean_funnel")]
               + ["helpers.stats.funnel.xǁHomogeneityǁ*", "helpers.stats.funnel.xǁOverdispersionǁ*"],
               ["tests/test_funnel.py", "tests/test_mutation_kills.py", "src/helpers/stats/funnel.py", "-k", "funnel"]),
    # the pooled-share funnel (issue 19), written after the funnel run above: its functions and funnel_table
    "funnel_pooled": ("src/helpers/stats/funnel.py",
                      [f"helpers.stats.funnel.x_{f}*" for f in ("_smoothed_quantile_limit", "_pooled_pmf",
                                                                "pooled_share_limits", "pooled_share_flags",
                                                                "homogeneity_test", "funnel_table")],
                      ["tests/test_funnel.py", "tests/test_mutation_kills.py", "tests/test_mutation_kills_funnel_pooled.py",
                       "src/helpers/stats/funnel.py", "-k", "funnel or pooled or homogeneity or overdispersion"]),
    "pii": ("src/helpers/io/pii.py", [],  # the real-ingestion tests (30-60 s each) are left out: too slow per mutant
            ["tests/test_privacy_paths.py", "tests/test_ingest_privacy.py", "tests/test_mutation_kills.py",
             "tests/test_mutation_kills_pii.py", "src/helpers/io/pii.py", "-k",
             "(scrub or look_alikes or ids_are_not or pii) and not real_ingestion"]),
    # validation, quarantine and pseudonymisation only (the functions behind a reviewer's rows and counts); the
    # real-ingestion tests (test_ingest*.py, 60 s together) are too slow per mutant: small hand-made tables instead
    "ingest": ("src/helpers/io/ingest.py",
               [f"helpers.io.ingest.{f}*" for f in (
                   "x_validate_interviews", "x__check_pairs", "x__both", "x__split", "x__map_codes",
                   "x__map_distinct", "x__quoted", "x__texts", "x__parse_dates", "x__parse_distinct_dates",
                   "xǁ_Problemsǁ", "x_empty_quarantine", "x_pseudonymise", "x_pseudonym_table", "x__pseudonym_function",
                   "x__hmac_states", "x__require_columns", "x_require_accepted", "x__warnings")],
               ["tests/test_mutation_kills_ingest.py", "tests/test_ingest_reader.py", "src/helpers/io/ingest.py",
                "-k", "not threaded and not ragged and not cp1251 and not bom"]),
    # the Arrow helpers written for the ingestion speed (session 8), after the ingest run above
    "ingest_arrow": ("src/helpers/io/ingest.py",
                     [f"helpers.io.ingest.{f}*" for f in ("x__in_roster", "x__roster_values")],  # _arrow: now pii's
                     ["tests/test_mutation_kills_ingest.py", "tests/test_ingest_reader.py", "src/helpers/io/ingest.py",
                      "-k", "not threaded and not ragged and not cp1251 and not bom"]),
    "report_suppression": ("src/helpers/report/__init__.py",
                           ["helpers.report.xǁReportǁsuppress*", "helpers.report.xǁReportǁsmall*",
                            "helpers.report.xǁReportǁdrawable*"],
                           ["tests/test_suppression.py", "tests/test_mutation_kills.py",
                            "src/helpers/report/__init__.py", "-k",
                            "not trajectories and (suppression or suppress or small or drawable or Report)"]),
    "nok_scoring": ("src/helpers/studies/nok/scoring.py", [],  # not the 10 s subprocess test of lazy exports
                    ["tests/test_mutation_kills_nok_scoring.py", "tests/test_nok_scoring.py",
                     "src/helpers/studies/nok/scoring.py", "-k", "not exported_lazily"]),
    "nok_uncertainty": ("src/helpers/studies/nok/uncertainty.py", [],  # small organisations, not the demo (40 s)
                        ["tests/test_mutation_kills_nok_uncertainty.py", "tests/test_nok_uncertainty.py",
                         "tests/test_nok_verdicts.py", "-k",
                         "mutation_kills or jeffreys_posterior or all_satisfied or against_sidak or too_few_replicates"]),
    "year_verdicts": ("src/helpers/studies/mystery_guest/trends.py",
                      ["helpers.studies.mystery_guest.trends.x_compare_years*",
                       "helpers.studies.mystery_guest.trends.x__mdds*"],
                      # not the demo-data or simulation tests, one seed of each Holm test: 476 mutants of one
                      # long function at ~17 s each took hours with the full selection on the loaded machine
                      ["tests/test_mutation_kills_year_verdicts.py",
                       "tests/test_outputs_agree.py::test_year_verdict_is_significant_exactly_when_the_holm_p_is_below_alpha[0]",
                       "tests/test_outputs_agree.py::test_year_adjusted_interval_excludes_zero_exactly_when_significant[5]",
                       "tests/test_trends.py::test_compare_years_welch_and_holm",
                       "tests/test_trends.py::test_ceiling_blocks_the_test"]),
    "worker_verdicts": ("src/helpers/studies/mystery_guest/scoring.py",
                        ["helpers.studies.mystery_guest.scoring.x_recognition_lists*",
                         "helpers.studies.mystery_guest.scoring.x__multiplicity*",
                         "helpers.studies.mystery_guest.scoring.x__effect_p*"],
                        # not the 40-simulation rate test of test_worker_flags.py (a minute per mutant)
                        ["tests/test_mutation_kills_worker_verdicts.py", "tests/test_scoring.py",
                         "tests/test_worker_flags.py", "-k", "worker_verdicts or recognition or holm_on"]),
}


def _config(source: str, selection: list[str]) -> str:
    return "\n".join([
        "", "[tool.mutmut]",
        'source_paths = ["src/"]',
        f"only_mutate = {json.dumps([source])}",
        'also_copy = ["benchmarks/"]',  # the benchmark scripts some tests import (copied by prepare(), no data)
        'pytest_add_cli_args = ["-p", "no:xdist", "-q", "-x"]',
        f"pytest_add_cli_args_test_selection = {json.dumps(selection + NOT_SLOW)}",
        "",
    ])


def prepare(name: str) -> Path:
    """A fresh copy of src, tests and pyproject.toml with this module's mutmut section."""
    work = WORK / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    prepare_copy(name, work)
    return work


def prepare_copy(name: str, work: Path) -> list[str]:
    """Copy the current src, tests, benchmark scripts and pyproject.toml (with the module's mutmut section) into
    ``work``, keeping its ``mutants/`` state; return the source files whose text differs from the copy there."""
    changed = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "src").rglob("*.py"))
               if not (work / p.relative_to(ROOT)).exists()
               or (work / p.relative_to(ROOT)).read_bytes() != p.read_bytes()]
    copy_project(work)
    if (work / "mutants" / "src").exists():  # mutmut copies the .py files again itself, not the message catalogues
        for p in (ROOT / "src").rglob("*"):
            if p.is_file() and p.suffix not in (".py", ".pyc"):
                (work / "mutants" / p.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(p, work / "mutants" / p.relative_to(ROOT))
    _write_config(name, work)
    return changed


def _write_config(name: str, work: Path) -> None:
    """pyproject.toml with the module's mutmut section (its source and test selection)."""
    source, _, selection = MODULES[name]
    (work / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8")
                                         + _config(source, selection), encoding="utf-8")


def _first_run(before: dict) -> dict:
    """The counts of a module's first run, kept through its rechecks and updates."""
    return before.get("first_run") or {k: before[k] for k in ("mutants", "killed", "survived", "score", "seconds")}


def run(name: str, max_children: int) -> dict:
    _, globs, selection = MODULES[name]
    work = prepare(name)
    env = single_thread_env(TERM="dumb")
    start = time.perf_counter()
    with open(work / "mutmut.log", "w", encoding="utf-8") as log:
        subprocess.run([str(MUTMUT), "run", "--max-children", str(max_children), *globs], cwd=work, env=env,
                       stdout=log, stderr=subprocess.STDOUT, check=False)
    return collect(name, time.perf_counter() - start, max_children)


def recheck(name: str, max_children: int) -> dict:
    """Re-run only the survivors of an earlier run of ``name`` against the current tests (the tests written to
    kill them): the tests are copied in again, mutmut finds the new ones and maps them to functions, and runs
    only the named mutants. The wall time recorded is the first run's plus this one's."""
    work = WORK / name
    before = json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))
    survivors = [line.split(":")[0] for line in (work / "survivors.txt").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    shutil.rmtree(work / "tests")
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _write_config(name, work)
    # a changed test selection makes mutmut forget every verdict: keep those of the mutants not re-run
    metas = list((work / "mutants").rglob("*.meta"))
    saved = {m: json.loads(m.read_text(encoding="utf-8"))["exit_code_by_key"] for m in metas}
    env = single_thread_env(TERM="dumb")
    start = time.perf_counter()
    with open(work / "mutmut-recheck.log", "w", encoding="utf-8") as log:
        if survivors:
            subprocess.run([str(MUTMUT), "run", "--max-children", str(max_children), *survivors], cwd=work,
                           env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - start
    rerun = set(survivors)
    for m, codes in saved.items():
        meta = json.loads(m.read_text(encoding="utf-8"))
        meta["exit_code_by_key"] |= {k: v for k, v in codes.items() if k not in rerun}
        m.write_text(json.dumps(meta), encoding="utf-8")
    row = collect(name, before["seconds"] + seconds, max_children)
    row["first_run"] = _first_run(before)
    return row


def update(name: str, max_children: int) -> dict:
    """Bring an earlier run of ``name`` up to the current code: copy the current source and tests in, and let
    mutmut re-test the mutants of the functions whose source changed since (it keeps a hash per function and
    resets those verdicts; when it finds new tests it re-runs the mutants they reach too). A verdict left
    unset in an unchanged function keeps its earlier value, as in ``recheck``. The wall time recorded is
    the earlier runs' plus this one's; ``updated`` says when and how many mutants were re-tested."""
    work = WORK / name
    before = json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))
    metas = {m: json.loads(m.read_text(encoding="utf-8")) for m in (work / "mutants").rglob("*.meta")}
    fresh = prepare_copy(name, work)
    env = single_thread_env(TERM="dumb")
    start = time.perf_counter()
    _, globs, _ = MODULES[name]
    with open(work / "mutmut-update.log", "w", encoding="utf-8") as log:
        done = subprocess.run([str(MUTMUT), "run", "--max-children", str(max_children), *(globs or [])], cwd=work,
                              env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode:  # e.g. the tests fail on the unmutated code: no verdict is worth recording
        sys.exit(f"{name}: mutmut stopped with exit code {done.returncode} (see {work / 'mutmut-update.log'}); "
                 "the record is unchanged")
    seconds = time.perf_counter() - start
    changed = 0
    for m, old in metas.items():  # a verdict mutmut left unset in an unchanged function is the earlier one
        meta = json.loads(m.read_text(encoding="utf-8"))
        same = {f for f, h in meta.get("hash_by_function_name", {}).items()
                if old.get("hash_by_function_name", {}).get(f) == h}
        codes = meta["exit_code_by_key"]
        for key in codes:
            unchanged = key.rpartition("__mutmut_")[0].rpartition(".")[2] in same
            changed += not unchanged
            if codes[key] is None and unchanged:
                codes[key] = old["exit_code_by_key"].get(key)
        m.write_text(json.dumps(meta), encoding="utf-8")
    row = collect(name, before["seconds"] + seconds, max_children)
    row["first_run"] = _first_run(before)
    row["updated"] = {"when": row["when"], "mutants_in_changed_functions": changed, "seconds": round(seconds),
                      "source_files_changed": fresh}
    return row


def collect(name: str, seconds: float, max_children: int) -> dict:
    """Read the verdicts of ``.mutation/<name>`` (also of a run stopped early: its unchecked mutants are
    counted apart, and the score is over the checked ones)."""
    _, globs, selection = MODULES[name]
    work = WORK / name
    env = {**os.environ, "TERM": "dumb"}
    out = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=work, env=env, capture_output=True,
                         text=True, check=False).stdout
    status: dict[str, str] = {}
    for line in out.splitlines():
        if ":" in line:
            key, _, value = line.strip().rpartition(": ")
            if key.startswith("helpers."):
                status[key] = value.strip()
    if globs:  # only the verdict functions of the module
        from fnmatch import fnmatch

        status = {k: v for k, v in status.items() if any(fnmatch(k, g) for g in globs)}
    count = {s: sum(v == s for v in status.values()) for s in set(status.values())}
    killed = count.get("killed", 0) + count.get("timeout", 0)
    unchecked = count.get("not checked", 0)
    total = len(status) - unchecked
    survivors = sorted(k for k, v in status.items() if v not in ("killed", "timeout", "not checked"))
    (work / "survivors.txt").write_text("\n".join(f"{k}: {status[k]}" for k in survivors) + "\n", encoding="utf-8")
    return {"module": name, "file": MODULES[name][0], "functions": " ".join(globs) or "all",
            "tests": " ".join(selection), "mutants": total, "killed": killed,
            "survived": count.get("survived", 0), "no_tests": count.get("no tests", 0),
            "other": total - killed - count.get("survived", 0) - count.get("no tests", 0),
            "not_checked": unchecked,
            "score": round(killed / total, 3) if total else None, "seconds": round(seconds),
            "max_children": max_children, "when": time.strftime("%Y-%m-%d %H:%M")}


def record(rows: list[dict]) -> None:
    """Keep each row in ``benchmarks/mutation/<module>.json`` and rewrite the RESULTS.md table from all of them."""
    RECORDS.mkdir(exist_ok=True)
    for r in rows:
        (RECORDS / f"{r['module']}.json").write_text(json.dumps(r, indent=1, ensure_ascii=False) + "\n",
                                                     encoding="utf-8")
    done = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(RECORDS.glob("*.json"))
            if p.stem in MODULES}
    shown = [{"module": r["module"], "file": r["file"].removeprefix("src/helpers/"),
              "scope": _scope(r["module"]), "mutants": r["mutants"],
              "killed": r["killed"], "survived": r["survived"], "no tests": r["no_tests"],
              "not run (stopped)": r.get("not_checked", 0),
              "score": f"{r['score']:.0%}" if r["score"] is not None else "-",
              "before the added tests": (f"{r['first_run']['killed']}/{r['first_run']['mutants']} "
                                         f"({r['first_run']['score']:.0%})" if r.get("first_run") else "-"),
              "wall time": f"{r['seconds'] / 60:.1f} min ({r['max_children']} worker{'s' * (r['max_children'] > 1)})"}
             for r in sorted(done.values(), key=lambda r: list(MODULES).index(r["module"]))]
    not_run = [m for m in MODULES if m not in done]
    body = (f"Command: `make mutation` (= `.venv/bin/python benchmarks/mutation.py`; one module: "
            f"`.venv/bin/python benchmarks/mutation.py power`). mutmut {_version()}; score = killed "
            "(a test failed or timed out) / mutants checked. Surviving mutants and the ones judged harmless: "
            "docs/mutation.md and docs/mutation/<module>.md. \"before the added tests\": the first run, before the tests written to kill "
            "its survivors (`--recheck`).\n\n" + table(shown)
            + ("\n\nNot run yet: " + ", ".join(not_run) + "." if not_run else ""))
    write_section("mutation", "Mutation testing (issue 23)", body)


def _scope(name: str) -> str:
    """"whole file", or how many functions the module's mutant-name globs restrict it to."""
    globs = MODULES[name][1]
    return f"{len(globs)} functions" if globs else "whole file"


def _version() -> str:
    out = subprocess.run([str(MUTMUT), "--version"], capture_output=True, text=True, check=False).stdout
    return out.strip().split()[-1] if out.strip() else "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", help=f"modules (default: all): {', '.join(MODULES)}")
    ap.add_argument("--max-children", type=int, default=2, help="parallel mutant runs (default 2)")
    ap.add_argument("--list", action="store_true", help="print the modules and their test selections")
    ap.add_argument("--recheck", action="store_true",
                    help="re-run only the survivors of the last run of each module against the current tests")
    ap.add_argument("--update", action="store_true",
                    help="bring the last run of each module up to the current code: re-test only the mutants of "
                         "functions changed since, keep the other verdicts")
    ap.add_argument("--table", action="store_true",
                    help="only rewrite the RESULTS.md table from benchmarks/mutation/*.json")
    ap.add_argument("--collect", type=float, metavar="SECONDS",
                    help="only read the results already in .mutation/<module> (a run stopped early) and record "
                         "them with this wall time")
    args = ap.parse_args()
    if args.list:
        for name, (source, globs, selection) in MODULES.items():
            print(f"{name:20s} {source} {' '.join(globs)}\n{'':20s} pytest {' '.join(selection + NOT_SLOW)}")
        return
    if args.table:
        record([])
        return
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        ap.error(f"unknown modules {unknown}; choose from {list(MODULES)}")
    for name in args.modules or list(MODULES):
        row = (collect(name, args.collect, args.max_children) if args.collect is not None
               else recheck(name, args.max_children) if args.recheck
               else update(name, args.max_children) if args.update else run(name, args.max_children))
        print(f"{name}: {row['killed']}/{row['mutants']} killed ({row['score']}), {row['survived']} survived, "
              f"{row['no_tests']} without tests, {row['seconds']} s", flush=True)
        record([row])


if __name__ == "__main__":
    main()
