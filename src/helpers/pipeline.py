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
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
PACKAGES = ["pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "pingouin", "krippendorff",
            "pandera", "pyarrow", "papermill", "nbconvert", "mystery-guest-workbench"]


@dataclass
class Job:
    """One notebook execution: which notebook, with which parameters, and what happened."""

    notebook: str
    label: str
    parameters: dict
    status: str = "pending"
    seconds: float = 0.0
    error: dict = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return f"{self.notebook}-{self.label}"


def plan_jobs(years: list[int], paired_years: list[int], notebooks: list[str] | None = None,
              notebook_dir: Path = NOTEBOOK_DIR) -> list[Job]:
    """The notebooks of a run and their parameters. Notebooks that do not exist yet are skipped."""
    jobs: list[Job] = []
    for y in years:
        jobs.append(Job("overview", str(y), {"year": y}))
    for y in years:
        jobs.append(Job("scoring", str(y), {"year": y, "pooled": False, "simulate_always": False}))
    jobs.append(Job("scoring", "pooled", {"year": max(years), "pooled": True}))
    for y in paired_years:
        jobs.append(Job("reliability", str(y), {"year": y, "pooled": False}))
    if paired_years:
        jobs.append(Job("reliability", "pooled", {"year": max(paired_years), "pooled": True}))
    if len(years) >= 2:  # trends compare years: with one year there is nothing to compare
        jobs.append(Job("trends", "all", {"years": list(years)}))
        jobs.append(Job("summary", "all", {"years": list(years)}))
    jobs = [j for j in jobs if (notebook_dir / f"{j.notebook}.ipynb").exists()]
    if notebooks:
        jobs = [j for j in jobs if j.notebook in notebooks]
    return jobs


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def execute(job: Job, build: Path, common: dict, notebook_dir: Path = NOTEBOOK_DIR, footer: str = "") -> Job:
    """Execute one notebook with papermill and render it to HTML with the code hidden."""
    import papermill as pm

    src = notebook_dir / f"{job.notebook}.ipynb"
    declared = pm.inspect_notebook(str(src))
    params = {k: v for k, v in {**common, **job.parameters}.items() if k in declared}
    out = build / f"{job.stem}.ipynb"
    start = time.perf_counter()
    try:
        # the kernel's working folder is set through nbclient's resources, not papermill's `cwd`, which
        # chdirs the whole process and races when notebooks run in parallel threads
        pm.execute_notebook(str(src), str(out), parameters=params, progress_bar=False, kernel_name="python3",
                            log_output=False, resources={"metadata": {"path": str(build)}})
        job.status = "ok"
    except pm.PapermillExecutionError as err:
        job.status = "failed"
        job.error = {"notebook": src.name, "cell": err.exec_count, "cell_index": err.cell_index,
                     "error": f"{err.ename}: {err.evalue}"}
    except Exception as err:  # a kernel that dies or cannot start must fail the run, not the process
        job.status = "failed"
        job.error = {"notebook": src.name, "cell": None, "error": f"{type(err).__name__}: {err}"}
    job.seconds = round(time.perf_counter() - start, 2)
    job.parameters = params
    if out.exists():
        render_html(out, out.with_suffix(".html"), lang=common.get("lang", "en"), footer=footer)
    return job


TEMPLATES = Path(__file__).resolve().parent / "templates"
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


def _index_html(manifest: dict) -> str:
    rows = "\n".join(
        f"<tr><td><a href='{html.escape(j['stem'])}.html'>{html.escape(j['notebook'])}</a></td>"
        f"<td>{html.escape(j['label'])}</td><td>{html.escape(j['status'])}</td><td>{j['seconds']:.1f} s</td></tr>"
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
<table><tr><th>report</th><th>parameters</th><th>status</th><th>duration</th></tr>
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


def run_pipeline(years: list[int], raw_dir: Path, out_dir: Path, lang: str = "en", jobs: int = 1,
                 audience: str = "public",
                 processed_dir: Path = Path("data/processed"), notebooks: list[str] | None = None,
                 notebook_dir: Path = NOTEBOOK_DIR, truth_path: Path = Path("data/demo/truth.json")) -> int:
    """Run ingestion and every notebook; return the exit code (0 ok, 1 notebook failed, 3 locked)."""
    from helpers.ingest import ingest, write_processed

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
        print(f"run {run_id}: ingesting {raw_dir} ...", flush=True)
        result = ingest(raw_dir, years=years)
        for warning in (w for ws in result.log["warnings"] for w in ws.split("; ") if w):
            print(f"warning: {warning}", file=sys.stderr, flush=True)
        write_processed(result, processed_dir)
        present = sorted(int(y) for y in result.interviews["year"].unique())
        paired = sorted(int(y) for y in result.interviews.loc[result.interviews["pair_id"].notna(), "year"].unique())
        plan = plan_jobs(present, paired, notebooks, notebook_dir)
        if len(present) < 2:
            print(f"note: one survey year ({present}): the trends and summary reports need two or more and are "
                  "not run", flush=True)
        common = {"processed_dir": str(processed_dir.resolve()), "tables_dir": str((build / "tables").resolve()),
                  "lang": lang, "audience": audience, "truth_path": str(truth_path.resolve()), "years": present}
        manifest = {
            "run_id": run_id, "status": "running", "started": started.isoformat(timespec="seconds"),
            "parameters": {"years": present, "lang": lang, "audience": audience, "jobs": jobs,
                           "raw_dir": str(raw_dir), "processed_dir": str(processed_dir)},
            "inputs": {p.name: sha256(p) for p in result.files},
            "ingest": json.loads((processed_dir / "ingest_summary.json").read_text(encoding="utf-8")),
            "packages": package_versions(), "git_commit": git_commit(),
            "headlines": headlines(result.interviews),
        }
        latest = out_dir / "latest" / "manifest.json"
        previous = json.loads(latest.read_text(encoding="utf-8")) if latest.exists() else None
        manifest["changes"] = changes_since(previous, manifest)
        t0 = time.perf_counter()
        done = 0

        def _one(job: Job) -> Job:
            nonlocal done
            execute(job, build, common, notebook_dir, footer_html(manifest, lang))
            done += 1
            print(f"[{done}/{len(plan)}] {job.stem}: {job.status} ({job.seconds:.1f} s)"
                  + (f" — cell {job.error.get('cell')}: {job.error.get('error')}" if job.error else ""), flush=True)
            return job

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            finished = list(pool.map(_one, plan))
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
