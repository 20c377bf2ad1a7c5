"""Executing a run's notebooks: the lock on the reports folder, a pool of long-lived kernels, one notebook
executed with papermill (or an earlier execution reused), and its HTML rendered in the same worker thread."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import os
import re
import shutil
import threading
import time
from pathlib import Path

from helpers.pipeline.plan import NOTEBOOK_DIR, Job
from helpers.pipeline.publish import render_html


class RunLocked(RuntimeError):
    """Another run holds the lock on the reports folder."""


@contextlib.contextmanager
def run_lock(reports: Path, private: bool = False):
    """Exclusive, non-blocking lock on the reports folder; raises :class:`RunLocked` if another run holds it.

    ``private``: the folder (an internal tree) and its lock file are made readable by their owner only.
    """
    reports.mkdir(parents=True, exist_ok=True)
    if private:
        os.chmod(reports, 0o700)
    fh = (reports / ".lock").open("a+")
    if private:
        os.chmod(reports / ".lock", 0o600)
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


BUILD_PREFIX = ".building-"


def _build_lock_path(build: Path) -> Path:
    return build.with_name(build.name + ".lock")


@contextlib.contextmanager
def build_lock(build: Path):
    """Hold the lock of a run's build folder (``.building-<id>.lock`` beside it) while the run lives.

    The lock is taken before the folder is made and given up (its file removed) after the folder was moved
    into place or removed, so a build folder whose lock can be taken belongs to a run that is no longer
    running: a crashed or killed one (the system releases the lock of a dead process). Any run, public or
    internal, can so remove the leftovers of another tree's runs without waiting for that tree's lock.
    """
    path = _build_lock_path(build)
    fh = path.open("a+")
    fcntl.flock(fh, fcntl.LOCK_EX)  # a fresh name: nobody else holds it
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _stale(lock: Path) -> tuple[bool, object]:
    """(True, held file or None) when no living run holds ``lock``; (False, None) when one does."""
    try:
        fh = lock.open("r")
    except FileNotFoundError:
        return True, None
    except OSError:  # another account's run (its lock is not ours to read): left alone
        return False, None
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return False, None
    return True, fh


def remove_stale_builds(trees: list[Path]) -> list[Path]:
    """Remove the build folders (``.building-<id>``) in ``trees`` whose run is no longer running (its lock is
    gone: :func:`build_lock`), and lock files left without a folder; return the folders removed.

    >>> import tempfile
    >>> tree = Path(tempfile.mkdtemp())
    >>> (tree / ".building-20200101-000000").mkdir()            # left by a killed run
    >>> with build_lock(tree / ".building-20200101-000001"):    # a run still running
    ...     (tree / ".building-20200101-000001").mkdir()
    ...     [p.name for p in remove_stale_builds([tree])], sorted(p.name for p in tree.iterdir())
    (['.building-20200101-000000'], ['.building-20200101-000001', '.building-20200101-000001.lock'])
    """
    removed: list[Path] = []
    for tree in trees:
        if not tree.is_dir():
            continue
        for entry in sorted(tree.glob(BUILD_PREFIX + "*")):
            folder = entry.with_name(entry.name.removesuffix(".lock"))
            if entry.suffix == ".lock" and folder.exists():
                continue  # handled with its folder
            stale, held = _stale(_build_lock_path(folder))
            if not stale:
                continue
            try:
                if folder.is_dir() and not folder.is_symlink():
                    shutil.rmtree(folder, ignore_errors=True)
                    if not folder.exists():  # (a folder another account keeps is not counted)
                        removed.append(folder)
                with contextlib.suppress(OSError):
                    _build_lock_path(folder).unlink()
            finally:
                if held is not None:
                    held.close()
    return removed


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
    job.title = entry.get("title", "")
    job.reused_from = entry.get("reused_from") or run_dir.name
    return True


KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR", "--HistoryManager.hist_file=:memory:"]  # errors only: no start-up warning about local TCP
# what every kernel of a run imports first (figures are drawn off-screen)
WARM_UP = "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot\n"


def warm_up_code(notebooks: list[Path], lang: str = "en") -> str:
    """The code a kernel runs while ingestion runs: :data:`WARM_UP`, every import statement of the notebooks it
    will execute (so the first notebook on a kernel finds its modules loaded, and a run of a few notebooks
    imports no more than they need), the codebook and the catalogue of ``lang`` read, and the collector told
    that all this lives as long as the kernel (``gc.freeze``: a full collection over the imported stack costs
    about 0.1 s, a few times a notebook).

    >>> code = warm_up_code([NOTEBOOK_DIR / "overview.ipynb"])
    >>> "from helpers.studies.mystery_guest import overview" in code and "gc.freeze()" in code
    True
    """
    import ast

    import nbformat

    statements: dict[str, None] = {}
    for path in notebooks:
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                body = ast.parse(cell.source).body
            except SyntaxError:  # a cell with IPython syntax: its imports are found when it runs
                continue
            statements.update((ast.unparse(n), None) for n in body if isinstance(n, (ast.Import, ast.ImportFrom)))
    guarded = [f"with contextlib.suppress(Exception):\n    {s}" for s in statements]  # errors show in the notebook
    preload = ("with contextlib.suppress(Exception):\n    import helpers.io.codebook, helpers.narrative.catalogue\n"
               f"    helpers.io.codebook.load_codebook(), helpers.narrative.catalogue.messages({lang!r})")
    return "\n".join([WARM_UP + "import contextlib, gc", *guarded, preload, "gc.freeze()"])


# What %reset -f clears (the user's names, the output cache), without its gc.collect() (0.2-0.5 s a notebook),
# leaving no name behind (one statement; the closing semicolon keeps its value out of the output)
RESET = ("(lambda ip: (ip.user_ns['_oh'].clear(), [ip.user_ns.pop(k) for k in [k for k in ip.user_ns "
         "if k not in ip.user_ns_hidden]], __import__('matplotlib.pyplot').pyplot.close('all')))(get_ipython());")
RESET_TAG = "mg-pipeline-reset"


class KernelPool:
    """One long-lived kernel per worker thread, reset between notebooks.

    Starting a kernel and importing the scientific stack costs about as much as a small notebook; a run of 14
    notebooks on 2 workers pays it twice instead of 14 times. Between notebooks the kernel's namespace is
    reset (as ``%reset -f`` would, see RESET) and figures closed, so a notebook sees nothing of the one before; modules stay
    imported. A kernel that died is replaced. Kernels are bound to the thread that started them (their
    sockets belong to that thread's event loop).
    """

    def __init__(self, cwd: Path, warm_code: str = WARM_UP):
        self.cwd = str(cwd)
        self.warm_code = warm_code  # what a kernel runs first (see warm_up_code)
        self._local = threading.local()
        self._all: list = []
        self._lock = threading.Lock()

    def kernel(self, warm: bool = False):
        """This thread's kernel manager, started (and optionally warmed up) on first use or after a crash."""
        return self.connection(warm)[0]

    def connection(self, warm: bool = False):
        """This thread's (kernel manager, kernel client): the client's channels stay open from notebook to
        notebook, so a notebook does not wait for a new client to become ready (about 0.2 s each, and as much
        again for the reset between notebooks)."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = getattr(self._local, "km", None)
        if km is None or not run_sync(km.is_alive)():
            km = AsyncKernelManager(kernel_name="python3")
            run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=self.cwd)
            kc = km.client()
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=120)
            kc.allow_stdin = False  # a notebook asking for input fails instead of waiting (as under nbclient)
            self._local.km, self._local.kc = km, kc
            with self._lock:
                self._all.append((km, kc))
            if warm:
                self._run(kc, self.warm_code)
        return self._local.km, self._local.kc

    @staticmethod
    def _run(kc, code: str) -> None:
        from jupyter_core.utils import run_sync

        with contextlib.suppress(Exception):  # a kernel that cannot run this is replaced on next use
            run_sync(kc.execute_interactive)(code, timeout=300, output_hook=lambda msg: None)

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        for km, kc in self._all:
            with contextlib.suppress(Exception):
                kc.stop_channels()
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=True)


@functools.cache
def pooled_engine():
    """papermill's nbclient engine executing on the kernel client the pool keeps open (``kc``).

    nbclient opens a new client for every notebook when it is only given the kernel manager, and waiting for
    that client's first message costs about 0.2 s a notebook of idle time (its IOPub subscription starts
    late); papermill passes no client on, so this engine hands the pool's client to papermill's own client
    class. Registered with papermill as ``mg-pool`` (once per process).
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class PooledClient(PapermillNotebookClient):
        def __init__(self, nb_man, km=None, kc=None, **kw):
            super().__init__(nb_man, km=km, **kw)
            self.kc = kc

    class PooledEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            # the arguments as papermill's NBClientEngine passes them, plus the client
            kwargs = remove_args(["input_path"], **kwargs)
            final = merge_kwargs(remove_args(["timeout", "startup_timeout"], **kwargs),
                                 timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                                 startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                 log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            return PooledClient(nb_man, **final).execute()

    papermill_engines.register(POOLED_ENGINE, PooledEngine)


POOLED_ENGINE = "mg-pool"


def _with_reset(src: Path):
    """The notebook with the kernel reset as a first cell (see RESET)."""
    import nbformat

    nb = nbformat.read(str(src), as_version=4)
    cell = nbformat.v4.new_code_cell(RESET)
    cell.metadata["tags"] = [RESET_TAG]
    nb.cells.insert(0, cell)
    return nb


def _drop_reset(out: Path):
    """The executed notebook as the researcher wrote it: without the reset cell (written back, and returned)."""
    import nbformat

    nb = nbformat.read(str(out), as_version=4)
    nb.cells = [c for c in nb.cells if RESET_TAG not in c.metadata.get("tags", [])]
    nbformat.write(nb, str(out))
    return nb


def declared_parameters(notebook: Path) -> set[str]:
    """Names of the parameters a notebook declares in its ``parameters`` cell.

    papermill's reading (``inspect_notebook``) skips a line whose comment it cannot parse (a ``;`` or
    parentheses in it), so the names assigned at the start of the cell's lines are added as well.
    """
    import nbformat
    import papermill as pm

    names = set(pm.inspect_notebook(str(notebook)))
    for cell in nbformat.read(str(notebook), as_version=4).cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            names |= set(re.findall(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=", cell.source, re.M))
    return names


def execute(job: Job, build: Path, common: dict, notebook_dir: Path = NOTEBOOK_DIR, footer: str = "",
            kernels: KernelPool | None = None) -> Job:
    """Execute one notebook with papermill and render it to HTML with the code hidden.

    Only the parameters the notebook declares are passed (so ``artefact_dir`` reaches only the notebooks
    that take it). The notebook writes its tidy tables into a folder of its own, moved into the run's
    ``tables/`` afterwards, so the run knows which tables each notebook made (and can reuse them with the
    notebook).
    """
    import papermill as pm

    src = notebook_dir / f"{job.notebook}.ipynb"
    declared = declared_parameters(src)
    own_tables = build / ".tables" / job.stem
    own_tables.mkdir(parents=True, exist_ok=True)
    params = {k: v for k, v in {**common, **job.parameters, "tables_dir": str(own_tables)}.items() if k in declared}
    out = build / f"{job.stem}.ipynb"
    start = time.perf_counter()
    try:
        # the kernel's working folder is set through nbclient's resources, not papermill's `cwd`, which
        # chdirs the whole process and races when notebooks run in parallel threads; the kernel logs errors
        # only (its start-up warning about unencrypted local TCP would fill a scheduled run's log)
        # the executed notebook is written once at the end, not after every cell (papermill's default)
        reused, nb = {}, str(src)
        if kernels is not None:
            km, kc = kernels.connection()
            pooled_engine()
            reused = {"km": km, "kc": kc, "engine_name": POOLED_ENGINE}
            nb = _with_reset(src)
        pm.execute_notebook(nb, str(out), parameters=params, progress_bar=False, kernel_name="python3",
                            log_output=False, resources={"metadata": {"path": str(build)}},
                            extra_arguments=KERNEL_ARGUMENTS, request_save_on_cell_execute=False, **reused)
        job.status = "ok"
    except pm.PapermillExecutionError as err:
        job.status = "failed"
        job.error = {"notebook": src.name, "cell": err.exec_count, "cell_index": err.cell_index - (kernels is not None),
                     "error": f"{err.ename}: {err.evalue}"}
    except Exception as err:  # a kernel that dies or cannot start must fail the run, not the process
        job.status = "failed"
        job.error = {"notebook": src.name, "cell": None, "error": f"{type(err).__name__}: {err}"}
    # places of this run only (the artefact folder is removed at publishing) are not recorded
    job.parameters = {k: v for k, v in params.items() if k not in ("tables_dir", "artefact_dir")}
    (build / "tables").mkdir(exist_ok=True)
    job.tables = sorted(p.name for p in own_tables.iterdir() if p.is_file())
    for name in job.tables:
        os.replace(own_tables / name, build / "tables" / name)
    shutil.rmtree(own_tables, ignore_errors=True)
    executed = _drop_reset(out) if out.exists() and kernels is not None else None
    if out.exists():
        t0 = time.perf_counter()
        job.title = render_html(out, out.with_suffix(".html"), lang=common.get("lang", "en"), footer=footer,
                                nb=executed, audience=common.get("audience", "public"))
        job.html_seconds = round(time.perf_counter() - t0, 2)
    job.seconds = round(time.perf_counter() - start, 2)
    return job
