"""Where the batch's jobs run: one task shape, run inline, on local worker processes, or on a
Dask cluster (:mod:`briefkit.dask_pool`).

A **task** is everything one output needs, self-contained so it can travel to another process
or machine: a notebook task carries the notebook, its parameters and its slice of the prepared
bundle as bytes (:class:`NotebookTask`); the annex task carries the KPI table
(:class:`AnnexTask`). :func:`run_task` does the whole job where it lands — execute the notebook
(with the executor the :class:`WorkerContext` names), render its HTML and PDF, or write the
workbook — in a private scratch folder, and returns the produced files as bytes
(:class:`TaskResult`). The driver alone writes into the output folder (staging, then publish),
so workers never share a file system with it, and a worker that dies loses nothing published.

:class:`LocalPool` keeps ``workers`` processes (spawned, so no state is inherited from the
driver), each warmed up once (briefkit, pandas, matplotlib and WeasyPrint imported, the
in-process shell built, see :mod:`briefkit.inprocess`) and reused for many tasks. A worker is
replaced after ``max_tasks`` tasks, after a failed task (a notebook may leave a module in a bad
state) and when it dies (a notebook that crashes the interpreter fails alone); a task running
longer than ``timeout`` seconds is stopped the same way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BUNDLE_DIR",
    "SOURCE_DIR",
    "AnnexTask",
    "InlinePool",
    "LocalPool",
    "NotebookTask",
    "Pool",
    "Task",
    "TaskResult",
    "WorkerContext",
    "run_task",
]

#: The folder (inside a task's scratch folder, the notebook's working directory) holding the
#: task's slice of the prepared bundle; the notebook's ``bundle`` parameter names it.
BUNDLE_DIR = ".bundle"
#: The folder (inside a task's scratch folder) where a task that carries its notebook's bytes
#: (:attr:`NotebookTask.source`) has them written before execution; never collected.
SOURCE_DIR = ".notebook"


@dataclass(frozen=True)
class NotebookTask:
    """Execute ``notebook`` with ``parameters`` and render it (when ``render``).

    ``stem``: the output names (``briefing`` → ``briefing.ipynb/.html/.pdf``); ``bundle``: the
    prepared slice's files (:meth:`briefkit.bundle.Bundle.to_files`), written to
    :data:`BUNDLE_DIR` in the scratch folder, whose ``bundle`` and ``output_dir`` parameters
    are then relative paths (``.bundle``, ``.``): the executed notebook does not depend on the
    folder the worker used. ``created``: the documents' timestamp (ISO text) recorded in the
    executed notebook's metadata, where the PDF's creation date comes from. ``source``: the
    notebook's bytes, for workers that cannot read ``notebook`` (another machine): when set,
    the worker executes these (written to :data:`SOURCE_DIR` under the same file name) and
    ``notebook`` only names the source in the executed notebook's metadata.
    """

    key: str
    notebook: Path
    stem: str
    parameters: Mapping[str, Any]
    bundle: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    created: str | None = None
    render: bool = True
    source: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AnnexTask:
    """Write the Excel annex (``name``) of ``table`` with the context's annex writer."""

    key: str
    name: str
    table: Any = field(repr=False)
    period: Any
    provenance: Mapping[str, Any] = field(repr=False)


Task = NotebookTask | AnnexTask


@dataclass
class TaskResult:
    """What a task produced: ``files`` (path relative to the task's folder → bytes; a failed
    notebook task still returns its executed notebook, with the error in place), timings,
    and for a failure a one-line ``error`` and the full ``detail``."""

    key: str
    ok: bool
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    error: str | None = None
    detail: str | None = field(default=None, repr=False)
    execute_s: float | None = None
    render_s: float | None = None
    duration: float = 0.0
    worker: str = ""


@dataclass(frozen=True)
class WorkerContext:
    """How a worker runs tasks: the executor (a registry name and its options, or an
    executor object, which must then be picklable for worker processes), the renderer
    ``(notebook, html, pdf)`` and the annex writer ``(path, table, period, provenance)``
    (None: the defaults, :func:`briefkit.render.render_notebook` and
    :func:`briefkit.annex.write_annex`)."""

    executor: Any = "inprocess"
    executor_options: Mapping[str, Any] = field(default_factory=dict)
    renderer: Callable[..., object] | None = None
    annex_writer: Callable[..., object] | None = None


# ------------------------------------------------------------------------------ one task


def default_renderer() -> Callable[..., object]:
    """:func:`briefkit.render.render_notebook`, imported where the task runs."""
    from briefkit.render import render_notebook

    return render_notebook


def default_annex_writer() -> Callable[..., object]:
    """:func:`briefkit.annex.write_annex`, imported where the task runs."""
    from briefkit.annex import write_annex

    return write_annex


_EXECUTORS: dict[Any, Any] = {}


def _executor(context: WorkerContext) -> Any:
    """The context's executor, built once per process (a warm shell stays warm)."""
    if not isinstance(context.executor, str):
        return context.executor
    key = (context.executor, tuple(sorted((k, repr(v))
                                          for k, v in context.executor_options.items())))
    if key not in _EXECUTORS:
        from briefkit.engines import get_executor

        _EXECUTORS[key] = get_executor(context.executor, **dict(context.executor_options))
    return _EXECUTORS[key]


def _one_line(prefix: str, exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return f"{prefix}{text[0] if text else type(exc).__name__}"


def _collect(work: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(work.rglob("*")):
        rel = path.relative_to(work)
        if rel.parts[0] in (BUNDLE_DIR, SOURCE_DIR) or not path.is_file() or \
                (path.name.startswith(".") and ".part" in path.name):
            continue
        files[rel.as_posix()] = path.read_bytes()
    return files


def _stamp(executed: Path, created: str | None, source: Path) -> Any:
    """Record the documents' date and the source notebook in the executed notebook; return
    the notebook node."""
    import nbformat

    from briefkit.render import set_document_metadata

    nb = nbformat.read(executed, as_version=4)
    if created:
        set_document_metadata(nb, created=created)
    pm = nb.metadata.get("papermill")
    if isinstance(pm, dict):
        pm["input_path"] = str(source)
    executed.write_text(nbformat.writes(nb), encoding="utf-8")
    return nb


def _run_notebook(task: NotebookTask, context: WorkerContext, work: Path,
                  result: TaskResult) -> None:
    from briefkit.engines import ExecutionOutcome

    if task.bundle:
        (work / BUNDLE_DIR).mkdir()
        for name, data in task.bundle.items():
            (work / BUNDLE_DIR / name).write_bytes(data)
    parameters = {**task.parameters, "output_dir": "."}
    if task.bundle:
        parameters["bundle"] = BUNDLE_DIR
    executed = work / f"{task.stem}.ipynb"
    notebook = Path(task.notebook)
    if task.source is not None:
        (work / SOURCE_DIR).mkdir()
        notebook = work / SOURCE_DIR / (notebook.name or "notebook.ipynb")
        notebook.write_bytes(task.source)
    elif not notebook.is_file():
        result.error = (f"worker: notebook {str(task.notebook)!r} not found on "
                        f"{os.uname().nodename} (workers need the notebooks at the driver's "
                        "path, or tasks that carry them: NotebookTask.source)")
        return
    start = time.perf_counter()
    executor = _executor(context)
    try:
        outcome = executor.execute(notebook, executed, parameters)
    except Exception as exc:  # an executor bug must not take the worker down
        outcome = ExecutionOutcome(False, executed, time.perf_counter() - start,
                                   _one_line(f"{getattr(executor, 'name', '?')}: ", exc),
                                   traceback.format_exc())
    result.execute_s = outcome.duration
    result.ok, result.error, result.detail = outcome.ok, outcome.error, outcome.detail
    node = None
    if executed.is_file():
        with contextlib.suppress(Exception):  # a notebook the engine mangled stays as it is
            node = _stamp(executed, task.created, Path(task.notebook))
    if not outcome.ok or not task.render:
        result.files = {executed.name: executed.read_bytes()} if executed.is_file() else {}
        return
    html, pdf = work / f"{task.stem}.html", work / f"{task.stem}.pdf"
    start = time.perf_counter()
    try:
        renderer = context.renderer or default_renderer()
        from briefkit.render import render_documents, render_notebook

        if renderer is render_notebook and node is not None:  # the node in hand: no re-read
            text, data = render_documents(node, name=executed.stem, base_url=f"{work}/")
            html.write_text(text, encoding="utf-8")
            pdf.write_bytes(data)
        else:
            renderer(executed, html, pdf)
        missing = [p.name for p in (html, pdf) if not p.is_file()]
        if missing:
            result.ok, result.error = False, \
                f"render: the renderer wrote no {' / '.join(missing)}"
    except Exception as exc:
        result.ok, result.error = False, _one_line("render: ", exc)
        result.detail = traceback.format_exc()
    result.render_s = time.perf_counter() - start
    if result.ok:
        result.files = _collect(work)
    else:
        result.files = {executed.name: executed.read_bytes()}


def _run_annex(task: AnnexTask, context: WorkerContext, work: Path, result: TaskResult) -> None:
    writer = context.annex_writer or default_annex_writer()
    target = work / task.name
    try:
        writer(target, task.table, task.period, task.provenance)
        if target.is_file():
            result.ok, result.files = True, {task.name: target.read_bytes()}
        else:
            result.ok, result.error = False, "the annex writer wrote no file"
    except Exception as exc:
        result.ok, result.error = False, _one_line("annex: ", exc)
        result.detail = traceback.format_exc()


def run_task(task: Task, context: WorkerContext) -> TaskResult:
    """Run one task here (any process), in a scratch folder that is its working directory;
    never raises for the task's own trouble."""
    start = time.perf_counter()
    result = TaskResult(task.key, False, worker=f"{os.uname().nodename}:{os.getpid()}")
    work = Path(tempfile.mkdtemp(prefix="briefkit-task-"))
    cwd = os.getcwd()
    try:
        os.chdir(work)  # the notebook's working directory, also for executors that keep cwd
        if isinstance(task, NotebookTask):
            _run_notebook(task, context, work, result)
        else:
            _run_annex(task, context, work, result)
    except Exception as exc:  # scratch folder trouble, a bad task…
        result.ok, result.error = False, _one_line("worker: ", exc)
        result.detail = traceback.format_exc()
    finally:
        with contextlib.suppress(OSError):
            os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)
    result.duration = time.perf_counter() - start
    return result


# ------------------------------------------------------------------------------ pools


class Pool:
    """Runs tasks somewhere and yields their results **as they complete**, exactly once per
    task; never raises for a task's trouble. ``close()`` releases what it holds."""

    name = "pool"

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InlinePool(Pool):
    """Every task in this process, one after the other (``--workers 0``: debugging, and
    executors that cannot be pickled)."""

    name = "inline"

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        for task in tasks:
            yield run_task(task, self.context)


def _worker_main(conn: Any, context: WorkerContext, warm: bool) -> None:
    """A worker process: warm up, then run tasks received on ``conn`` until told to stop."""
    os.environ.setdefault("MPLBACKEND", "agg")
    if warm:
        with contextlib.suppress(Exception):
            from briefkit.inprocess import warm_up

            warm_up()
    conn.send(_READY)  # the time limit of a task starts when a warm worker receives it
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            result = run_task(task, context)
        except BaseException as exc:  # report anything, then go on
            result = TaskResult(task.key, False, error=_one_line("worker: ", exc),
                                detail=traceback.format_exc())
        conn.send(result)


_READY = "ready"
#: Worker processes that may die before their first "ready" before the pool gives up.
MAX_START_FAILURES = 3


class _Lookahead:
    """An iterator that can tell whether anything is left, taking items only when asked."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = iter(items)
        self._next: deque[Any] = deque()

    def __bool__(self) -> bool:
        if not self._next:
            for item in self._items:
                self._next.append(item)
                break
        return bool(self._next)

    def popleft(self) -> Any:
        if not self:
            raise IndexError("no item left")
        return self._next.popleft()


class _Worker:
    def __init__(self, ctx: Any, context: WorkerContext, warm: bool) -> None:
        self.ready = False
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, context, warm),
                                   daemon=True, name="briefkit-worker")
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.started = 0.0
        self.done = 0

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError, BrokenPipeError):
                self.conn.send(None)
        self.process.join(timeout=None if kill else 10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class LocalPool(Pool):
    """``workers`` local processes (see the module docstring)."""

    name = "local"

    def __init__(self, context: WorkerContext, workers: int | None = None, *,
                 max_tasks: int = 200, timeout: float | None = None) -> None:
        import multiprocessing

        self.context = context
        self.size = max(1, workers or os.cpu_count() or 1)
        self.max_tasks = max_tasks
        self.timeout = timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._warm = context.executor == "inprocess"
        self._workers: list[_Worker] = []
        self._start_failures = 0  # workers that died before they were ready
        self._ever_ready = False

    def start(self) -> LocalPool:
        """Start (and warm up) the workers now, e.g. while the driver prepares the bundle."""
        while len(self._workers) < self.size:
            self._workers.append(_Worker(self._ctx, self.context, self._warm))
        return self

    def _replace(self, worker: _Worker, kill: bool) -> None:
        worker.stop(kill=kill)
        self._workers[self._workers.index(worker)] = _Worker(self._ctx, self.context,
                                                             self._warm)

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        from multiprocessing.connection import wait

        pending = _Lookahead(tasks)  # built as workers free up: the first start sooner
        if not pending:
            return  # nothing to do: no worker needs to start
        self.start()
        while True:
            for worker in self._workers:
                if worker.ready and worker.task is None and pending:
                    worker.task, worker.started = pending.popleft(), time.perf_counter()
                    with contextlib.suppress(OSError):  # a dead worker: its sentinel says so
                        worker.conn.send(worker.task)
            busy = [w for w in self._workers if w.task is not None]
            starting = [w for w in self._workers if not w.ready]
            if not busy and not (pending and starting):
                return
            waits = [w.conn for w in busy + starting] + \
                [w.process.sentinel for w in busy + starting]
            limit = None
            if self.timeout is not None and busy:
                limit = max(0.0, min(w.started for w in busy) + self.timeout
                            - time.perf_counter())
            ready = set(wait(waits, timeout=limit))
            for worker in starting:
                if worker.conn in ready or worker.process.sentinel in ready:
                    if self._greet(worker):
                        self._ever_ready = True
                        continue
                    self._start_failures += 1  # died while warming up
                    if not self._ever_ready and self._start_failures >= MAX_START_FAILURES:
                        yield from self._cannot_start(worker, pending)
                        return
                    self._replace(worker, kill=True)
            for worker in busy:
                result = self._outcome(worker, ready)
                if result is None:
                    continue
                worker.task = None
                worker.done += 1
                failed_worker = result.error is not None and result.error.startswith(
                    ("the worker process died", "timed out after"))
                if failed_worker or not result.ok or worker.done >= self.max_tasks:
                    if pending:
                        self._replace(worker, kill=failed_worker)
                    else:  # nothing left for it: a new worker would only be stopped again
                        worker.stop(kill=failed_worker)
                        self._workers.remove(worker)
                yield result

    def _cannot_start(self, worker: _Worker, pending: _Lookahead) -> Iterator[TaskResult]:
        """Every task fails when no worker process can even start (no retrying forever)."""
        worker.process.join(timeout=5)
        error = (f"no worker process could start (the last exited with code "
                 f"{worker.process.exitcode}; its error is on stderr). A script that runs the "
                 f"batch must start it under `if __name__ == \"__main__\":` (worker processes "
                 f"import the script), or run with workers=0")
        self.close()
        while pending:
            yield TaskResult(pending.popleft().key, False, error=error)

    @staticmethod
    def _greet(worker: _Worker) -> bool:
        """Read a starting worker's "ready"; False when it died instead."""
        try:
            worker.ready = worker.conn.recv() == _READY
        except (EOFError, OSError):
            return False
        return worker.ready

    def _outcome(self, worker: _Worker, ready: set[Any]) -> TaskResult | None:
        """The busy worker's result, a failure if it died or ran out of time, else None."""
        task = worker.task
        assert task is not None
        if worker.conn in ready:
            try:
                result: TaskResult = worker.conn.recv()
                return result
            except (EOFError, OSError):
                pass
        if worker.conn in ready or worker.process.sentinel in ready:
            worker.process.join(timeout=5)
            return TaskResult(task.key, False, error=(
                f"the worker process died (exit code {worker.process.exitcode}) while "
                f"running this task"))
        if self.timeout is not None and time.perf_counter() - worker.started >= self.timeout:
            return TaskResult(task.key, False, error=f"timed out after {self.timeout:g} s")
        return None

    def close(self) -> None:
        for worker in self._workers:  # a busy or still warming worker holds nothing of ours
            worker.stop(kill=worker.task is not None or not worker.ready)
        self._workers.clear()
