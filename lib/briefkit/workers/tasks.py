"""A task of the batch, and how it runs wherever it lands.

A **task** is everything one output needs, self-contained so it can travel to another process
or machine: a notebook task carries the notebook, its parameters and its slice of the prepared
bundle as bytes (:class:`NotebookTask`); the annex task carries the KPI table
(:class:`AnnexTask`). :func:`run_task` does the whole job where it lands — execute the notebook
(with the executor the :class:`WorkerContext` names), render its HTML and PDF, or write the
workbook — in a private scratch folder, and returns the produced files as bytes
(:class:`TaskResult`). The driver alone writes into the output folder (staging, then publish),
so workers never share a file system with it, and a worker that dies loses nothing published.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BUNDLE_DIR", "SOURCE_DIR", "AnnexTask", "NotebookTask", "Task", "TaskResult",
           "WorkerContext", "default_annex_writer", "default_renderer", "run_task"]

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
    #: keyword arguments for the writer (``frame=``: see :func:`briefkit.annex.write_annex`)
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)


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
    ``(notebook, html, pdf)`` and the annex writer ``(path, table, period, provenance,
    **options)``, ``options`` being the task's (``frame=``); None: the defaults,
    :func:`briefkit.render.render_notebook` and :func:`briefkit.annex.write_annex`."""

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

    parameters = {**task.parameters, "output_dir": "."}
    if task.bundle:
        (work / BUNDLE_DIR).mkdir()
        for name, data in task.bundle.items():
            (work / BUNDLE_DIR / name).write_bytes(data)
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
        writer(target, task.table, task.period, task.provenance, **task.options)
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
