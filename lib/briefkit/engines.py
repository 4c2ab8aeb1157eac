"""Notebook execution behind one small seam, so the batch never knows *how* a notebook runs.

A worker (:mod:`briefkit.workers`) only asks an :class:`Executor` to turn a notebook and its
parameters into an executed notebook file, and gets an :class:`ExecutionOutcome` back:
:class:`InProcessExecutor` (the default: papermill on a warm IPython shell in the worker's own
process, see :mod:`briefkit.inprocess`) or :class:`PapermillExecutor` (a fresh Jupyter kernel
per notebook). The registry is modelled on papermill's engines registry: built-ins in
:data:`EXECUTORS`, plug-ins from the entry-point group ``briefkit.executors``
(``name = "package.module:factory"``), looked up by name with :func:`get_executor`.

The contract every executor keeps (the batch relies on it):

* ``execute`` **never raises for a failing notebook**: a cell error, a dead kernel or a timeout
  is an outcome with ``ok=False`` and a one-line ``error``.
* The executed notebook is **always** written to ``output`` — also on failure, where it holds
  the outputs up to and including the failing cell, so whoever reads it sees the error in
  place — and written **atomically**: a temporary file beside ``output`` moved into place
  with :func:`os.replace`, never a half-written notebook under the final name.
* Parameters arrive in the notebook with their Python types: ``"007"`` stays the string
  ``"007"``. (That is why nothing here goes through papermill's command line, whose ``-p``
  turns ``007`` into the integer 7.)
* The notebook runs with ``output``'s folder as its working directory: that is where the
  batch puts the job's prepared bundle and where extra files go, so the parameters are
  relative paths and the executed notebook does not depend on which folder a worker used.
* The executed notebook is **reproducible**: :func:`normalise_notebook` blanks the wall-clock
  times papermill and nbclient record, names its ``output_path`` by file name only and gives
  cells added during execution (the injected parameters, the error marker) fixed ids, so the
  same inputs give the same bytes in any process.

Where notebooks run — one after the other, on worker processes, on a Dask cluster — is not an
executor's business: :mod:`briefkit.workers` runs tasks (execute, then render) on pools, and
each worker builds its executor once. Executors holding resources (kernels, a cluster client)
may define ``close()``; whoever created the executor closes it.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

__all__ = [
    "ENTRY_POINT_GROUP",
    "EXECUTORS",
    "ExecutionOutcome",
    "Executor",
    "InProcessExecutor",
    "PapermillExecutor",
    "available_executors",
    "get_executor",
    "normalise_notebook",
    "register_executor",
]

#: Entry-point group third-party executors register under (pyproject:
#: ``[project.entry-points."briefkit.executors"] warm = "mypkg.warm:WarmKernelExecutor"``).
ENTRY_POINT_GROUP = "briefkit.executors"

#: The kernel name that means "this interpreter" (see :class:`PapermillExecutor`).
NATIVE_KERNEL = "python3"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# ----------------------------------------------------------------------------------- types


@dataclass(frozen=True)
class ExecutionOutcome:
    """What running one notebook gave.

    ``error`` is one line for people and the manifest ("RuntimeError: boom (cell 3)");
    ``detail`` the full traceback as text (no terminal colour codes) for logs.
    ``duration`` is wall-clock seconds, kernel start-up included.
    """

    ok: bool
    output: Path
    duration: float
    error: str | None = None
    detail: str | None = None


@runtime_checkable
class Executor(Protocol):
    """Runs one parameterised notebook; see the module docstring for the contract."""

    name: str

    def execute(self, notebook: Path, output: Path,
                parameters: Mapping[str, Any]) -> ExecutionOutcome: ...


# ----------------------------------------------------------------------------- papermill


def _kernel_manager_class(native: bool, log: IO[bytes] | None) -> type:
    """The kernel manager class for one execution.

    * ``native``: the ``python3`` kernel is *this* interpreter. Jupyter resolves ``python3``
      through kernel-spec folders, where a user-level or system-wide spec may point at another
      Python (one without briefkit, or another version of it): the briefing would then
      silently run other code. The spec is built from ipykernel, whose argv starts with
      ``sys.executable``, so the batch runs the environment that launched it.
    * ``log``: the kernel process's own stdout/stderr (kernel-app logging, C-level output —
      not the notebook's output, which travels over the messaging protocol) go to this file
      instead of the terminal, where they would tear the progress bar; the executor attaches
      them to a failed outcome's ``detail``.
    * CurveZMQ transport encryption when libzmq has it: the kernel's localhost ports then
      carry no plain text (and ipykernel stops warning about it once per unit).
    """
    import zmq
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class BriefkitKernelManager(AsyncKernelManager):
        @default("transport_encryption")
        def _transport_encryption_default(self) -> str:
            return "auto" if zmq.has("curve") else "disabled"

        @property
        def kernel_spec(self) -> KernelSpec | None:
            if native and self._kernel_spec is None:
                from ipykernel.kernelspec import RESOURCES, get_kernel_dict

                spec = get_kernel_dict()  # argv: [sys.executable, -m, ipykernel_launcher…]
                wanted = set(KernelSpec.class_trait_names())
                self._kernel_spec = KernelSpec(
                    resource_dir=RESOURCES, name=NATIVE_KERNEL,
                    **{k: v for k, v in spec.items() if k in wanted})
            return super().kernel_spec

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            if log is not None:
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return BriefkitKernelManager


@contextlib.contextmanager
def _temporary_notebook(output: Path) -> Iterator[Path]:
    """A temporary ``.ipynb`` beside ``output`` (papermill warns on other suffixes); removed
    on the way out unless it was moved into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=".part.ipynb",
                                dir=output.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # papermill creates it; an empty file would look like a written notebook
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _error_summary(exc: BaseException) -> tuple[str, str]:
    """(one line, full text) for an exception from papermill/nbclient."""
    ename = getattr(exc, "ename", None)
    if ename is not None:  # papermill.PapermillExecutionError
        evalue = _ANSI.sub("", str(getattr(exc, "evalue", "")))
        count = getattr(exc, "exec_count", None)
        where = f" (cell {count})" if count is not None else ""
        line = f"{ename}: {evalue}".strip().splitlines()[0] if evalue else ename
        trace = getattr(exc, "traceback", None) or []
        return line + where, _ANSI.sub("", "\n".join(trace))
    text = _ANSI.sub("", str(exc)).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}".rstrip(": "), text


def _with_kernel_log(detail: str, log: IO[bytes], limit: int = 4000) -> str:
    """The traceback plus the tail of what the kernel process printed, if anything."""
    log.flush()
    log.seek(0)
    text = log.read().decode("utf-8", "replace").strip()
    if not text:
        return detail
    return f"{detail}\n\n--- kernel process output (last {limit} characters) ---\n" \
           f"{text[-limit:]}"


def _write_failure_notebook(notebook: Path, target: Path, parameters: Mapping[str, Any],
                            error: str) -> None:
    """When the engine failed before saving anything (kernel did not start…), still leave a
    notebook: the source notebook with the error on top and in its metadata."""
    import nbformat

    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception:
        nb = nbformat.v4.new_notebook()
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**briefkit: this notebook could not be executed.**\n\n```\n{error}\n```"))
    nb.metadata["briefkit"] = {**dict(nb.metadata.get("briefkit", {}) or {}),
                               "error": error,
                               "parameters": {k: repr(v) for k, v in parameters.items()}}
    nbformat.write(nb, target)


_VOLATILE = ("start_time", "end_time", "duration")


def normalise_notebook(nb: Any, source_ids: Iterable[str] = (), *,
                       output_name: str | None = None) -> Any:
    """Make an executed notebook a function of its inputs (see the module docstring): the
    times papermill records become None, nbclient's per-cell ``execution`` timings go, the
    ``output_path`` is the file name only, and cells whose id is not among ``source_ids``
    (added during execution) get ``briefkit-<index>``. Returns ``nb`` (changed in place)."""
    keep = set(source_ids)
    pm = nb.metadata.get("papermill")
    if isinstance(pm, dict):
        for key in _VOLATILE:
            if key in pm:
                pm[key] = None
        if output_name is not None:
            pm["output_path"] = output_name
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        cpm = cell.metadata.get("papermill")
        if isinstance(cpm, dict):
            for key in _VOLATILE:
                if key in cpm:
                    cpm[key] = None
        if "id" in cell and cell["id"] not in keep:
            cell["id"] = f"briefkit-{index}"
    return nb


def _write_normalised(path: Path, source_ids: set[str], output_name: str) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    normalise_notebook(nb, source_ids, output_name=output_name)
    path.write_text(nbformat.writes(nb), encoding="utf-8")


def _source_ids(notebook: Path) -> set[str]:
    import json

    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
        return {str(c["id"]) for c in cells if isinstance(c, dict) and "id" in c}
    except (OSError, ValueError, AttributeError):
        return set()


class PapermillExecutor:
    """One fresh kernel per notebook through papermill's Python API.

    ``kernel_name="python3"`` (the default) runs the interpreter that runs briefkit, whatever
    kernel specs are installed (see :func:`_kernel_manager_class`); any other name is
    resolved by Jupyter as usual. ``execution_timeout`` (seconds per cell, None = no limit)
    keeps a stuck cell from stalling the whole batch. ``quiet_kernel`` keeps the kernel
    process's own logs off the terminal (they are attached to a failure's ``detail``). Other
    keyword arguments go to papermill's engine.
    """

    name = "papermill"
    #: papermill's engine name (None: its default, nbclient with a kernel).
    engine_name: str | None = None

    def __init__(self, kernel_name: str = NATIVE_KERNEL, *,
                 execution_timeout: float | None = None, start_timeout: float = 60,
                 quiet_kernel: bool = True, **engine_kwargs: Any) -> None:
        self.kernel_name = kernel_name
        self.quiet_kernel = quiet_kernel
        self.execution_timeout = execution_timeout
        self.start_timeout = start_timeout
        self.engine_kwargs = engine_kwargs

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_name={self.kernel_name!r})"

    def _engine_kwargs(self, log: IO[bytes]) -> dict[str, Any]:
        kwargs = dict(self.engine_kwargs)
        if self.execution_timeout is not None:
            kwargs.setdefault("execution_timeout", self.execution_timeout)
        kwargs.setdefault("kernel_manager_class", _kernel_manager_class(
            self.kernel_name == NATIVE_KERNEL, log if self.quiet_kernel else None))
        return kwargs

    def execute(self, notebook: Path, output: Path,
                parameters: Mapping[str, Any]) -> ExecutionOutcome:
        import papermill

        notebook, output = Path(notebook).resolve(), Path(output)
        start = time.perf_counter()
        error = detail = None
        with _temporary_notebook(output) as tmp, tempfile.TemporaryFile() as log:
            try:
                papermill.execute_notebook(
                    str(notebook), str(tmp), parameters=dict(parameters),
                    kernel_name=self.kernel_name, progress_bar=False, log_output=False,
                    start_timeout=self.start_timeout, cwd=str(output.parent.resolve()),
                    engine_name=self.engine_name, request_save_on_cell_execute=False,
                    **self._engine_kwargs(log))
            except Exception as exc:  # the notebook's failure is an outcome, not a crash
                error, detail = _error_summary(exc)
                detail = _with_kernel_log(detail, log)
            if not tmp.exists() or tmp.stat().st_size == 0:
                _write_failure_notebook(notebook, tmp, parameters,
                                        error or "the engine wrote no notebook")
                error = error or "the engine wrote no notebook"
            else:
                _write_normalised(tmp, _source_ids(notebook), output.name)
            os.replace(tmp, output)
        return ExecutionOutcome(error is None, output, time.perf_counter() - start,
                                error, detail)


class InProcessExecutor(PapermillExecutor):
    """Notebooks run in this process on a warm IPython shell (:mod:`briefkit.inprocess`),
    through papermill with the ``briefkit`` engine: papermill's parameters, injected cell,
    metadata and error handling, without a kernel to start or messages to exchange. Meant
    for worker processes (:mod:`briefkit.workers`), which isolate the batch from a notebook
    that crashes its interpreter. ``execution_timeout`` is enforced by the worker pool (a
    cell cannot be interrupted in-process)."""

    name = "inprocess"
    engine_name = "briefkit"

    def __init__(self, kernel_name: str = NATIVE_KERNEL, **options: Any) -> None:
        super().__init__(kernel_name, **options)
        from papermill.engines import papermill_engines

        from briefkit.inprocess import InProcessEngine

        if papermill_engines._engines.get(self.engine_name) is not InProcessEngine:
            papermill_engines.register(self.engine_name, InProcessEngine)

    def _engine_kwargs(self, log: IO[bytes]) -> dict[str, Any]:
        return dict(self.engine_kwargs)


# ------------------------------------------------------------------------------ registry

ExecutorFactory = Callable[..., Executor]

#: Built-in executors by name. Plug-ins come from the ``briefkit.executors`` entry points and
#: cannot shadow a built-in (a package cannot silently change what ``papermill`` means).
EXECUTORS: dict[str, ExecutorFactory] = {"inprocess": InProcessExecutor,
                                          "papermill": PapermillExecutor}


def register_executor(name: str, factory: ExecutorFactory) -> None:
    """Add an executor in-process (tests, notebooks); entry points are for packages."""
    EXECUTORS[name] = factory


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_executors() -> list[str]:
    """Names :func:`get_executor` accepts (built-ins first, then plug-ins, not loaded)."""
    return [*EXECUTORS, *sorted(n for n in _entry_points() if n not in EXECUTORS)]


def get_executor(name: str = "papermill", **options: Any) -> Executor:
    """The executor called ``name``, built with ``options``.

    Built-ins first, then the entry-point group; a plug-in is imported only when asked for,
    so one broken plug-in cannot break the others. Raises ``ValueError`` naming the
    available executors for an unknown name, or saying why a plug-in failed to load.
    """
    factory = EXECUTORS.get(name)
    if factory is None:
        ep = _entry_points().get(name)
        if ep is None:
            raise ValueError(f"unknown executor {name!r}; available: "
                             f"{', '.join(available_executors())}")
        try:
            factory = ep.load()
        except Exception as exc:
            raise ValueError(f"executor {name!r} ({ep.value}) cannot be loaded: "
                             f"{type(exc).__name__}: {exc}") from exc
    executor = factory(**options)
    if not isinstance(executor, Executor):
        raise ValueError(f"executor {name!r} does not implement execute(notebook, output, "
                         f"parameters) and a name")
    return executor
