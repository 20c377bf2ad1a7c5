"""Internal reports stay internal (issue 24): their own tree, owner-only files, a banner on every page, the key
file warned about and never written, and no build folder left behind by a killed run.

One sequence of small runs (the overview of 2018, or a notebook of one cell) into one reports folder, made
once for the whole suite (:func:`audiences`), under umask 000 so that every mode seen is the pipeline's own:

1. an internal run killed with SIGKILL while its notebook executes (it leaves ``internal/.building-<id>``);
2. a public run, which removes that build folder;
3. an internal run in Russian, its pseudonymisation key in a file other users may read;
4. an internal run whose notebook fails (its folder is kept as ``internal/<id>-failed``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from helpers.io.ingest import read_table
from helpers.narrative.catalogue import text
from helpers.pipeline import run_pipeline
from helpers.pipeline.publish import NOINDEX

KEY = "k3y-of-the-centre-7f3a9c"  # what the key file holds: it must appear in no file and no log line


@contextlib.contextmanager
def _env(**values: str | None):
    """Set (or, with None, remove) environment variables for the block."""
    old = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def _notebook(folder: Path, name: str, parameters: str, *cells: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(parameters), *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


def _run(log: dict, name: str, **kw) -> None:
    """run_pipeline in this process; its exit code, stdout and stderr recorded under ``name``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = run_pipeline(**kw)
    log[name] = {"rc": rc, "out": out.getvalue(), "err": err.getvalue()}


def _modes(root: Path) -> dict[str, list]:
    """``[permission bits, is a folder]`` of ``root`` and of everything under it (symbolic links left out)."""
    return {str(p.relative_to(root)): [stat.S_IMODE(p.lstat().st_mode), p.is_dir()]
            for p in [root, *root.rglob("*")] if not p.is_symlink()}


def _not_owner_only(modes: dict[str, list]) -> dict[str, str]:
    return {k: oct(m) for k, (m, folder) in modes.items() if m != (0o700 if folder else 0o600)}


KILLED = """
import sys
from pathlib import Path
from helpers.pipeline import run_pipeline
raw, out, processed, notebooks, truth = map(Path, sys.argv[1:])
run_pipeline([2018], raw, out, audience="internal", processed_dir=processed, notebook_dir=notebooks,
             truth_path=truth)
"""


@pytest.fixture(scope="module")
def audiences(demo_dirs, suite_once, tmp_path_factory):
    def compute():
        root = tmp_path_factory.mktemp("audiences")
        out, raw, truth = root / "reports", demo_dirs["raw"], demo_dirs["truth"]
        key_file = root / "pseudonym.key"
        key_file.write_text(KEY + "\n", encoding="utf-8")
        key_file.chmod(0o644)
        # a notebook that writes a table naming a worker, then hangs: the run is killed while it executes
        slow = _notebook(root / "slow", "overview", 'tables_dir: str = "."  # where the tables go',
                         "from pathlib import Path\n"
                         "Path(tables_dir, 'partial.csv').write_text('worker_id,worker_name\\nW01,a name\\n')",
                         "import time\ntime.sleep(600)")
        failing = _notebook(root / "failing", "summary", "years: list = [2018]  # survey years", "1 / 0")
        log: dict[str, dict] = {}
        umask = os.umask(0)
        try:
            with _env(MG_PSEUDONYM_KEY=None, MG_PSEUDONYM_KEY_FILE=str(key_file)):
                proc = subprocess.Popen([sys.executable, "-c", KILLED, str(raw), str(out), str(root / "p0"),
                                         str(slow), str(truth)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
                deadline = time.monotonic() + 300
                while (not list((out / "internal").glob(".building-*/.tables/overview-2018/partial.csv"))
                       and proc.poll() is None and time.monotonic() < deadline):
                    time.sleep(0.05)
                proc.send_signal(signal.SIGKILL)
                stdout, stderr = proc.communicate(timeout=60)
                log["killed"] = {"rc": proc.returncode, "out": stdout, "err": stderr}
            left = {str(p.relative_to(out)): _modes(p) for p in sorted((out / "internal").glob(".building-*"))
                    if p.is_dir()}
            _run(log, "public", years=[2018], raw_dir=raw, out_dir=out, notebooks=["overview"],
                 processed_dir=root / "p1", truth_path=truth)
            with _env(MG_PSEUDONYM_KEY=None, MG_PSEUDONYM_KEY_FILE=str(key_file)):
                _run(log, "internal", years=[2018], raw_dir=raw, out_dir=out, notebooks=["overview"], lang="ru",
                     audience="internal", processed_dir=root / "p2", truth_path=truth)
                _run(log, "failed", years=[2018, 2019], raw_dir=raw, out_dir=out, audience="internal",
                     processed_dir=root / "p3", notebook_dir=failing, truth_path=truth)
        finally:
            os.umask(umask)
        return {"root": str(root), "out": str(out), "key_file": str(key_file), "log": log, "left": left}

    return suite_once("audiences", compute)


def _worker_names(raw: Path) -> set[str]:
    names = set()
    for p in raw.glob("workers_*.csv"):
        names |= {n for n in read_table(p)["worker_name"].dropna() if n}
    return names


def _public_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and "internal" not in p.relative_to(out).parts]


def test_public_latest_is_the_public_run_and_no_worker_name_reaches_the_public_tree(audiences, demo_dirs):
    out, log = Path(audiences["out"]), audiences["log"]
    assert log["public"]["rc"] == 0 and log["internal"]["rc"] == 0, log
    public = (out / "latest").resolve()
    assert public.parent == out and json.loads((public / "manifest.json").read_text("utf-8"))["audience"] == "public"
    internal = (out / "internal" / "latest").resolve()
    assert internal.parent == out / "internal" and (internal / "overview-2018.html").exists()
    assert json.loads((internal / "manifest.json").read_text("utf-8"))["audience"] == "internal"
    # each tree lists its own runs only; the public index names and links no internal run
    public_index = (out / "index.html").read_text("utf-8")
    assert public.name in public_index and internal.name not in public_index and "internal" not in public_index
    internal_index = (out / "internal" / "index.html").read_text("utf-8")
    assert internal.name in internal_index and public.name not in internal_index
    assert not [p for p in out.iterdir() if p.is_dir() and p.name.endswith("-failed")]  # the failed run: internal
    names = _worker_names(demo_dirs["raw"])
    assert len(names) >= 10
    files = _public_files(out)
    assert len(files) >= 10
    leaks = {str(p.relative_to(out)): found for p in files
             if (found := [n for n in names if n in p.read_bytes().decode("utf-8", "ignore")])}
    assert not leaks
    # the internal run does name the workers (so the scan above could have found them)
    assert [n for n in names if n in (internal / "overview-2018.html").read_text("utf-8")]


def test_every_internal_folder_and_file_is_the_owners_only(audiences):
    out, log = Path(audiences["out"]), audiences["log"]
    assert log["failed"]["rc"] == 1, log["failed"]
    failed = [p for p in (out / "internal").iterdir() if p.name.endswith("-failed")]
    assert len(failed) == 1 and (failed[0] / "failure.json").exists()
    modes = _modes(out / "internal")
    assert len(modes) >= 20 and any(k.endswith("tables/overview_2018_workers.csv") for k in modes)
    assert modes["."] == [0o700, True] and modes["index.html"] == [0o600, False]
    assert not _not_owner_only(modes)
    # the build folder the killed run left behind was the owner's only too (the table its kernel wrote included)
    (build, left), = audiences["left"].items()
    assert build.startswith("internal/.building-") and any(k.endswith("partial.csv") for k in left)
    assert not _not_owner_only(left)


def test_every_internal_page_carries_the_banner_and_noindex(audiences):
    """In the page's language: the Russian run's pages in Russian, the failed (English) run's in English."""
    out = Path(audiences["out"])
    banner = {lang: text("pipeline.internal_banner", lang) for lang in ("en", "ru")}
    assert banner["ru"].startswith("Для внутреннего пользования") and banner["en"].startswith("Internal")
    pages = sorted((out / "internal").rglob("*.html"))
    assert len(pages) >= 5  # the tree's index, two run pages, the report, the failed run's report
    langs = {str(p.relative_to(out)): re.search(r"<html lang=[\"'](\w+)", p.read_text("utf-8")).group(1)
             for p in pages}
    assert set(langs.values()) == {"en", "ru"}
    missing = [k for k, lang in langs.items()
               if banner[lang] not in (t := (out / k).read_text("utf-8")) or NOINDEX not in t
               or "class='mg-internal'" not in t]
    assert not missing
    public = [p for p in _public_files(out) if p.suffix == ".html"]
    assert public and not [p for p in public if NOINDEX in (t := p.read_text("utf-8")) or "mg-internal" in t]


def test_a_key_file_open_to_others_is_warned_about(audiences):
    log, key_file = audiences["log"], audiences["key_file"]
    lines = [x for x in log["internal"]["err"].splitlines() if "pseudonymisation key file" in x]
    assert lines == [f"warning: the pseudonymisation key file {key_file} is open to its group and other users "
                     f"(mode 644); fix: chmod 600 {key_file}"], log["internal"]["err"]
    assert "key file" not in log["public"]["err"]  # the public run used the demo key, no file


def test_key_file_warning_only_when_the_mode_lets_others_in(tmp_path, monkeypatch, capsys):
    from helpers.io.ingest import pseudonymisation_key

    monkeypatch.delenv("MG_PSEUDONYM_KEY", raising=False)
    for mode, warned in ((0o600, False), (0o400, False), (0o640, True), (0o604, True), (0o620, True)):
        f = tmp_path / f"key-{mode:o}"
        f.write_text(KEY, encoding="utf-8")
        f.chmod(mode)
        monkeypatch.setenv("MG_PSEUDONYM_KEY_FILE", str(f))
        assert pseudonymisation_key(tmp_path) == KEY.encode()
        err = capsys.readouterr().err
        assert (f"chmod 600 {f}" in err) == warned, (oct(mode), err)
        assert KEY not in err


def test_the_key_is_never_written_to_a_log_manifest_or_report(audiences):
    root, log = Path(audiences["root"]), audiences["log"]
    assert not [name for name, x in log.items() if KEY in x["out"] + x["err"]]
    files = [p for p in root.rglob("*") if p.is_file() and p != Path(audiences["key_file"])]
    assert any(p.name == "manifest.json" for p in files) and any(p.suffix == ".ipynb" for p in files)
    assert not [str(p) for p in files if KEY.encode() in p.read_bytes()]


def test_a_killed_run_leaves_no_build_folder(audiences):
    out, log, left = Path(audiences["out"]), audiences["log"], audiences["left"]
    assert log["killed"]["rc"] == -signal.SIGKILL
    assert len(left) == 1  # the killed run left its build folder, with a table naming a worker
    assert not list(out.rglob(".building-*"))
    lines = [x for x in log["public"]["out"].splitlines() if x.startswith("removed")]
    assert lines == [f"removed 1 build folder of runs no longer running: {next(iter(left))}"]


def _fake_run(tree: Path, run_id: str, manifest: dict) -> None:
    (tree / run_id).mkdir(parents=True)
    (tree / run_id / "manifest.json").write_text(json.dumps({"run_id": run_id, **manifest}), encoding="utf-8")


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_a_tree_holding_the_other_audience_is_refused(audience, demo_dirs, tmp_path, capsys):
    """An internal run into a folder whose ``internal/`` holds a public run, and a public run into a folder
    holding an internal run (written before internal runs had their own tree): one line, exit 2, nothing written."""
    out = tmp_path / "reports"
    if audience == "internal":
        _fake_run(out / "internal", "20200101-000000", {"audience": "public", "parameters": {"audience": "public"}})
    else:
        _fake_run(out, "20200101-000000", {"parameters": {"audience": "internal"}})  # no top-level audience
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.name != ".lock")
    rc = run_pipeline([2018], demo_dirs["raw"], out, audience=audience, processed_dir=tmp_path / "p",
                      notebooks=["overview"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and "20200101-000000" in err, err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.name != ".lock") == before


def test_make_clean_reports_removes_both_trees(tmp_path):
    root = Path(__file__).resolve().parents[1]
    reports = tmp_path / "reports"
    for tree in (reports, reports / "internal"):
        _fake_run(tree, "20200101-000000", {})
        (tree / "20200101-000001-failed").mkdir()
        (tree / ".building-20200101-000002").mkdir()
        (tree / ".building-20200101-000002.lock").touch()
        (tree / "index.html").touch()
        (tree / "latest").symlink_to("20200101-000000")
    (reports / ".gitkeep").touch()
    subprocess.run(["make", "-s", "-f", str(root / "Makefile"), "-C", str(tmp_path), "clean-reports"], check=True,
                   capture_output=True)
    assert sorted(p.name for p in reports.iterdir()) == [".gitkeep"]


def test_publish_makes_an_internal_run_owner_only_whatever_the_modes_of_its_files(tmp_path):
    """Files an internal run did not write itself (hard links to an earlier run's reports, made before runs
    were owner-only, or copies keeping their mode) are made owner-only when the run is published."""
    from helpers.pipeline import publish

    tree = tmp_path / "reports" / "internal"
    build = tree / ".building-20200101-000000"
    (build / "tables").mkdir(parents=True)
    for name in ("overview-2018.html", "overview-2018.ipynb", "tables/overview_2018_workers.csv"):
        (build / name).write_text("W01 a name", encoding="utf-8")
        (build / name).chmod(0o644)
    (build / "tables").chmod(0o755)
    manifest = {"run_id": "20200101-000000", "audience": "internal", "status": "complete",
                "started": "2020-01-01T00:00:00", "finished": "2020-01-01T00:00:01", "git_commit": "abc", "inputs": {}, "notebooks": [],
                "ingest": {"rows_read": 1, "rows_accepted": 1, "rows_quarantined": 0},
                "parameters": {"lang": "en", "years": [2018], "audience": "internal"}}
    final = publish(build, tree, manifest, [])
    assert final == tree / "20200101-000000" and (tree / "latest").resolve() == final
    modes = _modes(final)
    assert len(modes) == 7 and not _not_owner_only(modes)  # the folder, tables/, 3 reports, manifest, page
    assert stat.S_IMODE((tree / "index.html").stat().st_mode) == 0o600


def test_the_readme_key_recipe_makes_a_file_only_its_owner_can_read(tmp_path):
    """The README's command for a key file, run as written (under the usual umask 022): mode 600, no warning."""
    from helpers.io.ingest import key_file_warning

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    recipe = next(line for line in readme.splitlines() if line.rstrip().endswith("> .pseudonym_key)")
                  or line.rstrip().endswith("> .pseudonym_key"))
    subprocess.run(["bash", "-c", f"umask 022; {recipe.replace('python -c', f'{sys.executable} -c', 1)}"],
                   cwd=tmp_path, check=True)
    key = tmp_path / ".pseudonym_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) == 64
    assert key_file_warning(key) is None
