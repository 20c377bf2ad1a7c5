"""The report pipeline: ingest raw data, execute every notebook with papermill, render HTML.

A run is built in ``reports/.building-<run-id>/`` and published by an atomic rename to
``reports/<run-id>/`` only when every notebook succeeded; ``reports/latest`` (a symlink) then moves
to it. A failed run is renamed ``reports/<run-id>-failed/`` with ``failure.json`` naming the
notebook, the cell and the error, and ``latest`` does not move. A lock file makes a second run on
the same reports folder exit at once (exit code 3).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from helpers.io.provenance import file_sha256
from helpers.studies import load_studies, study_years

NOTEBOOK_DIR = Path(__file__).resolve().parents[3] / "notebooks"
PACKAGES = ["pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "pingouin", "krippendorff",
            "pandera", "pyarrow", "papermill", "nbconvert", "mystery-guest-workbench"]


@dataclass
class Job:
    """One notebook execution: which notebook, with which parameters, and what happened."""

    notebook: str
    label: str
    parameters: dict
    reads: list[int] = field(default_factory=list)  # survey years whose data the notebook reads
    study: str = "mystery_guest"  # the declared study (helpers.studies) the notebook belongs to
    status: str = "pending"
    seconds: float = 0.0
    error: dict = field(default_factory=dict)
    key: str = ""  # content key: notebook, parameters, code version and the data it reads
    reused_from: str = ""  # run id whose executed notebook was reused ("" = executed in this run)
    tables: list[str] = field(default_factory=list)  # tidy tables the notebook wrote

    @property
    def stem(self) -> str:
        return f"{self.notebook}-{self.label}"


def plan_study(study, year_sets: dict[str, list[int]], notebook_dir: Path = NOTEBOOK_DIR) -> list[Job]:
    """The jobs of one declared study (:mod:`helpers.studies`) for the years its data hold.

    ``year_sets``: ``{"year": [...], "paired_year": [...]}`` - the survey years present, and those whose
    data allow the ``paired_*`` notebooks. Declared notebooks that do not exist are skipped.
    """
    years = sorted(year_sets.get("year", []))
    jobs: list[Job] = []
    for decl in study.notebooks:
        over = sorted(year_sets.get("paired_year", [])) if decl.each.startswith("paired_") else years
        if not over or len(years) < decl.min_years:
            continue
        kind = decl.each.removeprefix("paired_")
        if kind == "year":
            jobs += [Job(decl.notebook, str(y), {"year": y, **decl.parameters}, [y], study=study.name) for y in over]
        elif kind == "pooled":
            jobs.append(Job(decl.notebook, "pooled", {"year": max(over), **decl.parameters}, years, study=study.name))
        else:  # all
            jobs.append(Job(decl.notebook, "all", {"years": years, **decl.parameters}, years, study=study.name))
    return [j for j in jobs if (notebook_dir / f"{j.notebook}.ipynb").exists()]


def plan_jobs(years: list[int], paired_years: list[int], notebooks: list[str] | None = None,
              notebook_dir: Path = NOTEBOOK_DIR) -> list[Job]:
    """The Mystery Guest notebooks of a run and their parameters, from the study's declaration."""
    study = next(s for s in load_studies() if s.name == "mystery_guest")
    jobs = plan_study(study, {"year": list(years), "paired_year": list(paired_years)}, notebook_dir)
    return [j for j in jobs if not notebooks or j.notebook in notebooks]


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=NOTEBOOK_DIR.parent,
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=NOTEBOOK_DIR.parent,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for p in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[p] = metadata.version(p)
    return versions


# ---- incremental runs: every execution keyed by the content it depends on ----------------------------
PACKAGE_DIR = Path(__file__).resolve().parents[1]
# parameters that name places (they differ from run to run); what those places hold enters the key instead
PLACE_PARAMETERS = ("processed_dir", "tables_dir", "truth_path", "raw_dir")


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def code_version(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 over the package's source, codebooks and templates (a dirty work tree counts as it is)."""
    h = hashlib.sha256()
    for p in sorted(package_dir.rglob("*")):
        if p.is_file() and p.suffix in {".py", ".yaml", ".yml", ".j2", ".json", ".css", ".tpl"}:
            h.update(str(p.relative_to(package_dir)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def data_fingerprints(result) -> dict[int, str]:
    """Per survey year, a SHA-256 of everything ingestion produced for it (interviews, quarantine, rosters).

    A notebook that reads only 2018 gets the same fingerprint when only the 2021 file changed.
    """
    import pandas as pd

    frames = {"interviews": result.interviews, "quarantine": result.quarantine, **result.rosters}
    out = {}
    for year in sorted({int(y) for f in frames.values() if "year" in f for y in f["year"].dropna().unique()}):
        h = hashlib.sha256()
        for name, f in sorted(frames.items()):
            part = f[f["year"] == year] if "year" in f else f
            h.update(name.encode())
            h.update(",".join(map(str, part.columns)).encode())
            h.update(pd.util.hash_pandas_object(part.astype("string"), index=False).to_numpy().tobytes())
        out[year] = h.hexdigest()
    return out


def study_files(study, raw_dir: Path) -> dict[str, str]:
    """SHA-256 of every raw file of a declared study, by file name."""
    pattern = re.compile(study.files, re.I)
    return {p.name: file_sha256(p) for p in sorted(raw_dir.iterdir()) if p.is_file() and pattern.match(p.name)}


def raw_fingerprints(study, raw_dir: Path) -> dict[int, str]:
    """Per survey year, a SHA-256 of the study's raw files of that year (for studies read from raw files)."""
    pattern = re.compile(study.files, re.I)
    by_year: dict[int, dict[str, str]] = {}
    for name, digest in study_files(study, raw_dir).items():
        by_year.setdefault(int(pattern.match(name).group(1)), {})[name] = digest
    return {y: _digest(files) for y, files in by_year.items()}


def job_key(job: Job, common: dict, notebook_dir: Path, code: str, data: dict[str, dict[int, str]],
            extra: dict) -> str:
    """The content key of one execution: notebook source, parameters (not paths), code version, package
    versions and the fingerprints of the years of its study it reads. Equal keys mean an equal executed
    notebook."""
    params = {k: v for k, v in {**common, **job.parameters}.items() if k not in PLACE_PARAMETERS}
    nb = hashlib.sha256((notebook_dir / f"{job.notebook}.ipynb").read_bytes()).hexdigest()
    years = data.get(job.study, {})
    return _digest({"notebook": nb, "parameters": params, "code": code, "data": {y: years.get(y) for y in job.reads},
                    **extra})


def previous_executions(out_dir: Path) -> dict[str, tuple[Path, dict]]:
    """Executed notebooks of earlier complete runs by content key (newest run wins), with their run folder."""
    found: dict[str, tuple[Path, dict]] = {}
    runs = sorted((d for d in out_dir.iterdir() if d.is_dir() and d.name[:1].isdigit() and not d.name.endswith("-failed")),
                  reverse=True) if out_dir.exists() else []
    for d in runs:
        mf = d / "manifest.json"
        if not mf.exists():
            continue
        with contextlib.suppress(ValueError, KeyError):
            for j in json.loads(mf.read_text(encoding="utf-8")).get("notebooks", []):
                if j.get("key") and j.get("status") == "ok":
                    found.setdefault(j["key"], (d, j))
    return found


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def reuse(job: Job, build: Path, previous: dict[str, tuple[Path, dict]]) -> bool:
    """Publish an earlier execution with the same key into this run (hard links); False if none is complete."""
    if job.key not in previous:
        return False
    run_dir, entry = previous[job.key]
    files = [run_dir / f"{job.stem}.ipynb", run_dir / f"{job.stem}.html"] + [run_dir / "tables" / t for t in entry.get("tables", [])]
    if not all(f.exists() for f in files):
        return False
    for f in files:
        _link_or_copy(f, build / f.relative_to(run_dir))
    job.status, job.seconds, job.tables = "ok", 0.0, list(entry.get("tables", []))
    job.reused_from = entry.get("reused_from") or run_dir.name
    return True


class RunLocked(RuntimeError):
    """Another run holds the lock on the reports folder."""


@contextlib.contextmanager
def run_lock(reports: Path):
    """Exclusive, non-blocking lock on the reports folder; raises :class:`RunLocked` if another run holds it."""
    reports.mkdir(parents=True, exist_ok=True)
    fh = (reports / ".lock").open("a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip()
        fh.close()
        raise RunLocked(f"{reports}: another run is in progress ({holder or 'lock held'}); try again later") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()} since {dt.datetime.now().isoformat(timespec='seconds')}\n")
    fh.flush()
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]  # errors only: no start-up warning about local TCP
# imported once per kernel while ingestion runs; every notebook after the first on a kernel finds them loaded
WARM_UP = ("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot, pandas, scipy.stats, seaborn, "
           "statsmodels.api, statsmodels.formula.api\nimport helpers.studies.mystery_guest.overview, helpers.studies.mystery_guest.scoring, helpers.studies.mystery_guest.reliability, "
           "helpers.studies.mystery_guest.trends, helpers.report")
# between two notebooks on one kernel: the user namespace and every open figure are cleared
RESET = "get_ipython().run_line_magic('reset', '-f')\nimport matplotlib.pyplot as _p\n_p.close('all')\ndel _p"


class KernelPool:
    """One long-lived kernel per worker thread, reset between notebooks.

    Starting a kernel and importing the scientific stack costs about as much as a small notebook; a run of 14
    notebooks on 2 workers pays it twice instead of 14 times. Between notebooks the kernel's namespace is
    reset (``%reset -f``) and figures closed, so a notebook sees nothing of the one before; modules stay
    imported. A kernel that died is replaced. Kernels are bound to the thread that started them (their
    sockets belong to that thread's event loop).
    """

    def __init__(self, cwd: Path):
        self.cwd = str(cwd)
        self._local = threading.local()
        self._all: list = []
        self._lock = threading.Lock()

    def kernel(self, warm: bool = False):
        """This thread's kernel manager, started (and optionally warmed up) on first use or after a crash."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = getattr(self._local, "km", None)
        if km is None or not run_sync(km.is_alive)():
            km = AsyncKernelManager(kernel_name="python3")
            run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=self.cwd)
            self._local.km, self._local.used = km, False
            with self._lock:
                self._all.append(km)
            if warm:
                self._run(km, WARM_UP)
        return km

    def reset(self) -> None:
        """Clear this thread's kernel after a notebook (a no-op before its first notebook)."""
        km = getattr(self._local, "km", None)
        if km is not None and self._local.used:
            self._run(km, RESET)
        self._local.used = True

    @staticmethod
    def _run(km, code: str) -> None:
        from jupyter_core.utils import run_sync

        async def go():
            kc = km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=120)
                await kc.execute_interactive(code, timeout=300, output_hook=lambda msg: None)
            finally:
                kc.stop_channels()

        with contextlib.suppress(Exception):  # a kernel that cannot run this is replaced on next use
            run_sync(go)()

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        for km in self._all:
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=True)


def execute(job: Job, build: Path, common: dict, notebook_dir: Path = NOTEBOOK_DIR, footer: str = "",
            kernels: KernelPool | None = None) -> Job:
    """Execute one notebook with papermill and render it to HTML with the code hidden.

    The notebook writes its tidy tables into a folder of its own, moved into the run's ``tables/`` afterwards,
    so the run knows which tables each notebook made (and can reuse them with the notebook).
    """
    import papermill as pm

    src = notebook_dir / f"{job.notebook}.ipynb"
    declared = pm.inspect_notebook(str(src))
    own_tables = build / ".tables" / job.stem
    own_tables.mkdir(parents=True, exist_ok=True)
    params = {k: v for k, v in {**common, **job.parameters, "tables_dir": str(own_tables)}.items() if k in declared}
    out = build / f"{job.stem}.ipynb"
    start = time.perf_counter()
    try:
        # the kernel's working folder is set through nbclient's resources, not papermill's `cwd`, which
        # chdirs the whole process and races when notebooks run in parallel threads; the kernel logs errors
        # only (its start-up warning about unencrypted local TCP would fill a scheduled run's log)
        reused = {}
        if kernels is not None:
            kernels.reset()
            reused = {"km": kernels.kernel()}
        pm.execute_notebook(str(src), str(out), parameters=params, progress_bar=False, kernel_name="python3",
                            log_output=False, resources={"metadata": {"path": str(build)}},
                            extra_arguments=KERNEL_ARGUMENTS, **reused)
        job.status = "ok"
    except pm.PapermillExecutionError as err:
        job.status = "failed"
        job.error = {"notebook": src.name, "cell": err.exec_count, "cell_index": err.cell_index,
                     "error": f"{err.ename}: {err.evalue}"}
    except Exception as err:  # a kernel that dies or cannot start must fail the run, not the process
        job.status = "failed"
        job.error = {"notebook": src.name, "cell": None, "error": f"{type(err).__name__}: {err}"}
    job.seconds = round(time.perf_counter() - start, 2)
    job.parameters = {k: v for k, v in params.items() if k != "tables_dir"}
    (build / "tables").mkdir(exist_ok=True)
    job.tables = sorted(p.name for p in own_tables.iterdir() if p.is_file())
    for name in job.tables:
        os.replace(own_tables / name, build / "tables" / name)
    shutil.rmtree(own_tables, ignore_errors=True)
    if out.exists():
        render_html(out, out.with_suffix(".html"), lang=common.get("lang", "en"), footer=footer)
    return job


TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates"
LANGS = ("en", "ru")


def render_html(ipynb: Path, target: Path, lang: str = "en", footer: str = "") -> None:
    """Render an executed notebook to one self-contained HTML file.

    Code and stderr streams (library warnings; they stay in the executed .ipynb) are hidden, figures are embedded, no script or style is fetched from a network (template
    ``templates/mg``), markdown cells tagged for the other language (``lang-ru`` / ``lang-en``) are
    dropped, a table of contents linking every section heading is inserted after the title, and
    ``footer`` (run id, date, code version, input hashes) closes the page.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="mg", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    others = {f"lang-{x}" for x in LANGS if x != lang}
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=others, enabled=True), enabled=True)
    nb = nbformat.read(str(ipynb), as_version=4)
    for cell in nb.cells:  # library warnings stay in the executed notebook for researchers, not in the report
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                  if c.cell_type == "markdown" and c.source.startswith("# ")
                  and not set(c.metadata.get("tags", [])) & others), ipynb.stem)
    body, _ = exporter.from_notebook_node(nb, resources={"mg_footer": footer, "metadata": {"name": title}})
    target.write_text(add_toc(body, lang), encoding="utf-8")


_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)(?:<a class="anchor-link".*?</a>)?</h\1>', re.S)


def add_toc(body: str, lang: str = "en") -> str:
    """Insert a table of contents (links to every h2/h3 id) after the first h1 of the page."""
    entries = [(int(level), ident, re.sub(r"<[^>]+>", "", text).strip()) for level, ident, text in _HEADING.findall(body)]
    if not entries:
        return body
    items = "".join(f"<li style='margin-left:{(lvl - 2) * 1.2}em'><a href=\"#{html.escape(ident, quote=True)}\">"
                    f"{html.escape(text)}</a></li>"
                    for lvl, ident, text in entries)
    title = "Contents" if lang == "en" else "Содержание"
    toc = f"<nav class='mg-toc'><b>{title}</b><ol style='list-style:none;padding-left:0'>{items}</ol></nav>"
    m = re.search(r"</h1>", body)
    return body[: m.end()] + toc + body[m.end():] if m else toc + body


def footer_html(manifest: dict, lang: str = "en") -> str:
    """Provenance line of every report: run id, date, code version and the SHA-256 of every input."""
    words = {"en": ("Run", "started", "code version", "inputs (SHA-256, first 12 digits)"),
             "ru": ("Запуск", "начат", "версия кода", "входные файлы (SHA-256, первые 12 знаков)")}[lang]
    inputs = ", ".join(f"{html.escape(k)} <code>{v[:12]}</code>" for k, v in sorted(manifest["inputs"].items()))
    return (f"{words[0]} <b>{html.escape(manifest['run_id'])}</b>, {words[1]} {html.escape(manifest['started'])}, "
            f"{words[2]} <code>{html.escape(manifest['git_commit'])}</code>; {words[3]}: {inputs}.")


def headlines(interviews) -> dict[str, float]:
    """Headline figures a reviewer tracks from run to run: per year interviews, recipients and the share of
    recipients fully satisfied overall (top box of ``qual_overall`` among substantive answers)."""
    out: dict[str, float] = {}
    for year, df in interviews.groupby("year"):
        answered = df["qual_overall"].dropna()
        answered = answered[answered <= 5]
        out[f"{year} interviews"] = int(len(df))
        out[f"{year} recipients"] = int(df["recipient_pid"].nunique())
        if len(answered):
            out[f"{year} fully satisfied overall, %"] = round(float((answered == 5).mean() * 100), 1)
    return out


def changes_since(previous: dict | None, manifest: dict) -> dict:
    """Inputs whose SHA-256 differs and headline figures that moved since the previous complete run."""
    if not previous:
        return {"previous_run": None, "inputs": [], "headlines": []}
    old_in, new_in = previous.get("inputs", {}), manifest["inputs"]
    inputs = [{"file": f, "change": "added" if f not in old_in else "removed" if f not in new_in else "changed"}
              for f in sorted(set(old_in) | set(new_in)) if old_in.get(f) != new_in.get(f)]
    old_h, new_h = previous.get("headlines", {}), manifest.get("headlines", {})
    moved = [{"figure": k, "before": old_h.get(k), "now": new_h.get(k)}
             for k in sorted(set(old_h) | set(new_h)) if old_h.get(k) != new_h.get(k)]
    return {"previous_run": previous["run_id"], "inputs": inputs, "headlines": moved}


def _changes_html(changes: dict) -> str:
    if not changes.get("previous_run"):
        return "<p>No previous complete run to compare with.</p>"
    prev = html.escape(changes["previous_run"])
    if not changes["inputs"] and not changes["headlines"]:
        return f"<p>Since the previous complete run <a href='../{prev}/index.html'>{prev}</a>: no input file and no headline figure changed.</p>"
    rows = "".join(f"<li>input <code>{html.escape(c['file'])}</code> {c['change']}</li>" for c in changes["inputs"])
    rows += "".join(f"<li>{html.escape(h['figure'])}: {h['before']} → {h['now']}</li>" for h in changes["headlines"])
    return f"<p>Changes since the previous complete run <a href='../{prev}/index.html'>{prev}</a>:</p><ul>{rows}</ul>"


def _how(job: dict) -> str:
    if job.get("reused_from"):
        return f"reused from run <a href='../{html.escape(job['reused_from'])}/index.html'>{html.escape(job['reused_from'])}</a>"
    return f"executed in {job['seconds']:.1f} s"


def _index_html(manifest: dict) -> str:
    rows = "\n".join(
        f"<tr><td><a href='{html.escape(j['stem'])}.html'>{html.escape(j['notebook'])}</a></td>"
        f"<td>{html.escape(j['label'])}</td><td>{html.escape(j['status'])}</td>"
        f"<td>{_how(j)}</td></tr>"
        for j in manifest["notebooks"]
    )
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Mystery Guest reports — run {html.escape(manifest['run_id'])}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{padding:.3em .8em;text-align:left}}
tr:nth-child(even){{background:#f3f3f3}}</style></head><body>
<h1>Mystery Guest reports</h1>
<p>Run <b>{html.escape(manifest['run_id'])}</b>, status <b>{html.escape(manifest['status'])}</b>,
started {html.escape(manifest['started'])}, finished {html.escape(manifest.get('finished', ''))};
code version {html.escape(manifest['git_commit'])}; years {', '.join(map(str, manifest['parameters']['years']))}.
Rows read {manifest['ingest']['rows_read']} = accepted {manifest['ingest']['rows_accepted']}
+ quarantined {manifest['ingest']['rows_quarantined']}.</p>
<table><tr><th>report</th><th>parameters</th><th>status</th><th>this run</th></tr>
{rows}</table>
<h2>What changed</h2>
{_changes_html(manifest.get("changes", {}))}
<p><a href="manifest.json">manifest.json</a> (parameters, input hashes, package versions)</p>
</body></html>"""


def _runs_index(reports: Path) -> None:
    """Write ``reports/index.html`` listing every run (newest first)."""
    rows = []
    for d in sorted((p for p in reports.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "latest"),
                    reverse=True):
        mf = d / "manifest.json"
        if not mf.exists():
            continue
        m = json.loads(mf.read_text(encoding="utf-8"))
        rows.append(f"<tr><td><a href='{d.name}/index.html'>{html.escape(m['run_id'])}</a></td>"
                    f"<td>{html.escape(m['status'])}</td><td>{html.escape(m['started'])}</td>"
                    f"<td>{m.get('seconds', 0):.0f} s</td><td>{html.escape(json.dumps(m['parameters']))}</td></tr>")
    (reports / "index.html").write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Mystery Guest runs</title>"
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}td,th{padding:.3em .8em}</style>"
        "</head><body><h1>Mystery Guest report runs</h1><p><a href='latest/index.html'>latest complete run</a></p>"
        "<table><tr><th>run</th><th>status</th><th>started</th><th>duration</th><th>parameters</th></tr>"
        + "\n".join(rows) + "</table></body></html>", encoding="utf-8")


def _publish_latest(reports: Path, run_dir: Path) -> None:
    tmp = reports / ".latest-tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(run_dir.name, target_is_directory=True)
    os.replace(tmp, reports / "latest")


def progress_line(job: Job, done: int, total: int, elapsed: float) -> str:
    """One line of the run log per notebook: done/total, what happened, seconds, and the time still to go."""
    what = (f"reused from run {job.reused_from}" if job.reused_from else
            f"executed in {job.seconds:.1f} s" if job.status == "ok" else
            f"FAILED after {job.seconds:.1f} s in cell {job.error.get('cell')}: {job.error.get('error')}")
    eta = f", about {elapsed / done * (total - done):.0f} s to go" if done < total else ""
    return f"[{done}/{total}] {job.stem}: {what} ({elapsed:.0f} s elapsed{eta})"


def run_pipeline(years: list[int], raw_dir: Path, out_dir: Path, lang: str = "en", jobs: int = 1,
                 audience: str = "public",
                 processed_dir: Path = Path("data/processed"), notebooks: list[str] | None = None,
                 notebook_dir: Path = NOTEBOOK_DIR, truth_path: Path = Path("data/demo/truth.json"),
                 force: bool = False) -> int:
    """Run ingestion and every notebook; return the exit code (0 ok, 1 notebook failed, 3 locked).

    A notebook whose content key (:func:`job_key`) equals that of an execution in an earlier complete run
    is not executed again: its executed notebook, HTML and tables are linked into the new run, and the
    run page says so. ``force=True`` executes every notebook.
    """
    from helpers.io.ingest import ingest, write_processed

    out_dir, raw_dir, processed_dir = Path(out_dir).resolve(), Path(raw_dir).resolve(), Path(processed_dir).resolve()
    # one BLAS thread per kernel: notebooks run in parallel on few cores, where threaded BLAS thrashes
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(run_lock(out_dir))
        except RunLocked as err:
            print(f"error: {err}", file=sys.stderr)
            return 3
        started = dt.datetime.now()
        run_id = started.strftime("%Y%m%d-%H%M%S")
        while any((out_dir / f"{run_id}{s}").exists() for s in ("", "-failed")):
            started += dt.timedelta(seconds=1)
            run_id = started.strftime("%Y%m%d-%H%M%S")
        build = out_dir / f".building-{run_id}"
        (build / "tables").mkdir(parents=True, exist_ok=False)
        kernels = KernelPool(build)
        # a run that stops before publishing (a bad input file) leaves no half-built folder behind
        stack.callback(lambda: shutil.rmtree(build, ignore_errors=True))
        stack.callback(kernels.shutdown)  # unwound last-in first-out: after the workers below have finished
        workers = stack.enter_context(ThreadPoolExecutor(max_workers=max(1, jobs)))
        earlier = {} if force else previous_executions(out_dir)
        if not earlier:  # nothing to reuse: start and warm the kernels while ingestion runs
            for _ in range(max(1, jobs)):
                workers.submit(kernels.kernel, True)
        print(f"run {run_id}: ingesting {raw_dir} ...", flush=True)
        result = ingest(raw_dir, years=years)
        for warning in (w for ws in result.log["warnings"] for w in ws.split("; ") if w):
            print(f"warning: {warning}", file=sys.stderr, flush=True)
        write_processed(result, processed_dir)
        present = sorted(int(y) for y in result.interviews["year"].unique())
        paired = sorted(int(y) for y in result.interviews.loc[result.interviews["pair_id"].notna(), "year"].unique())
        plan = plan_jobs(present, paired, notebooks, notebook_dir)
        data = {"mystery_guest": data_fingerprints(result)}
        other_inputs: dict[str, str] = {}
        study_logs: dict[str, list[dict]] = {}
        for study in load_studies():  # the other declared studies read their raw files in their notebooks
            if study.name == "mystery_guest":
                continue
            study_years_present = [y for y in study_years(study, raw_dir) if y in years]
            study_plan = [j for j in plan_study(study, {"year": study_years_present}, notebook_dir)
                          if not notebooks or j.notebook in notebooks]
            if study_plan and study.validator():  # a bad file stops the run here (exit 2), before any notebook
                study_logs[study.name] = study.validator()(raw_dir, study_years_present, processed_dir)
            plan += study_plan
            data[study.name] = raw_fingerprints(study, raw_dir)
            other_inputs.update(study_files(study, raw_dir))
        if len(present) < 2:
            print(f"note: one survey year ({present}): the trends and summary reports need two or more and are "
                  "not run", flush=True)
        common = {"processed_dir": str(processed_dir.resolve()), "tables_dir": str((build / "tables").resolve()),
                  "lang": lang, "audience": audience, "truth_path": str(truth_path.resolve()), "years": present,
                  "raw_dir": str(raw_dir)}
        manifest = {
            "run_id": run_id, "status": "running", "started": started.isoformat(timespec="seconds"),
            "parameters": {"years": present, "lang": lang, "audience": audience, "jobs": jobs,
                           "raw_dir": str(raw_dir), "processed_dir": str(processed_dir)},
            "inputs": {**result.inputs, **other_inputs},
            "ingest": json.loads((processed_dir / "ingest_summary.json").read_text(encoding="utf-8")),
            "studies_ingest": study_logs,
            "packages": package_versions(), "git_commit": git_commit(),
            "headlines": headlines(result.interviews),
        }
        latest = out_dir / "latest" / "manifest.json"
        previous = json.loads(latest.read_text(encoding="utf-8")) if latest.exists() else None
        manifest["changes"] = changes_since(previous, manifest)
        code = code_version()
        truth = Path(truth_path)
        extra = {"packages": manifest["packages"],
                 "truth": hashlib.sha256(truth.read_bytes()).hexdigest() if truth.is_file() else None}
        for job in plan:
            job.key = job_key(job, common, notebook_dir, code, data, extra)
        manifest["code_version"] = code
        t0 = time.perf_counter()
        done = 0
        footer = footer_html(manifest, lang)

        def _one(job: Job) -> Job:
            nonlocal done
            if not reuse(job, build, earlier):
                execute(job, build, common, notebook_dir, footer, kernels)
            done += 1
            print(progress_line(job, done, len(plan), time.perf_counter() - t0), flush=True)
            return job

        finished = list(workers.map(_one, plan))
        failed = [j for j in finished if j.status != "ok"]
        manifest.update(
            status="failed" if failed else "complete",
            finished=dt.datetime.now().isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - t0, 1),
            notebooks=[{**asdict(j), "stem": j.stem} for j in finished],
        )
        (build / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str),
                                             encoding="utf-8")
        (build / "index.html").write_text(_index_html(manifest), encoding="utf-8")
        if failed:
            (build / "failure.json").write_text(json.dumps([j.error | {"report": j.stem} for j in failed], indent=2,
                                                           ensure_ascii=False), encoding="utf-8")
            final = out_dir / f"{run_id}-failed"
            os.replace(build, final)
            _runs_index(out_dir)
            for j in failed:
                print(f"error: {j.stem} failed in cell {j.error.get('cell')}: {j.error.get('error')}", file=sys.stderr)
            print(f"run {run_id} FAILED; reports/latest unchanged; failure record: {final / 'failure.json'}",
                  file=sys.stderr)
            return 1
        final = out_dir / run_id
        os.replace(build, final)
        _publish_latest(out_dir, final)
        # the complete run's tidy tables also land beside the processed data, for researchers
        shutil.copytree(final / "tables", processed_dir / "tables", dirs_exist_ok=True)
        _runs_index(out_dir)
        print(f"run {run_id} complete in {manifest['seconds']:.0f} s: {final / 'index.html'}")
        return 0
