"""A papermill engine that runs notebooks in this process, on a warm IPython shell.

Why: a briefing notebook is a few milliseconds of work per cell once the bundle is prepared,
but a Jupyter kernel costs about a second to start and import pandas, matplotlib and
WeasyPrint, and then ~25 ms of messaging per cell (measured: a 17-cell notebook of trivial
cells takes 0.46 s on a warm kernel through nbclient). A batch worker instead keeps one
:class:`~IPython.core.interactiveshell.InteractiveShell` with everything imported, and this
engine runs each notebook's cells on it, with a fresh namespace per notebook.

It is a real papermill engine (``papermill --engine briefkit``, entry point group
``papermill.engine``), so papermill keeps doing what it does: the parameters cell, the
injected-parameters cell, the ``papermill`` metadata of every cell, and on a failing cell the
error output in place, execution stopped there and the error marker on top. Outputs are
recorded as ipykernel sends them: ``display_data`` for :func:`IPython.display.display`,
``execute_result`` for a cell's last expression, ``stream`` for stdout/stderr (and warnings),
``error`` with the coloured traceback for an exception.

What differs from a kernel: the code runs in the worker's process, so a notebook that
crashes the interpreter takes the worker with it (the pool then fails that notebook alone
and starts a new worker, see :mod:`briefkit.workers`), and modules imported by one notebook
stay imported for the next (that is the point). :func:`reset_shell` clears the user
namespace, the output history and the execution counter, and closes matplotlib figures, so
every notebook starts from ``In [1]`` on an empty namespace.
"""

from __future__ import annotations

import contextlib
import io
import platform
import sys
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["LANGUAGE_INFO", "InProcessEngine", "reset_shell", "warm_shell", "warm_up"]

#: What ipykernel reports as ``language_info`` (the executed notebook's metadata).
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": platform.python_version(),
}
#: The modules a worker imports before its first notebook.
WARM_MODULES = ("pandas", "matplotlib.pyplot", "briefkit.briefing", "briefkit.charts",
                "briefkit.report", "briefkit.render", "weasyprint")

_LOCK = threading.Lock()  # one notebook at a time per process: the shell is a singleton
_SHELL: Any = None


def _output(output_type: str, **fields: Any) -> Any:
    """An nbformat output node, as ``nbformat.v4.new_output`` builds it minus the schema
    validation of each output (1 ms apiece; the notebook is validated when written)."""
    from nbformat import from_dict

    return from_dict({"output_type": output_type, **fields})


class _Recorder:
    """The outputs of the cell being run, in nbformat's shape."""

    def __init__(self) -> None:
        self.outputs: list[Any] = []

    def add(self, output: Any) -> None:
        self.outputs.append(output)

    def stream(self, name: str, text: str) -> None:

        if not text:
            return
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.get("output_type") == "stream" and last.get("name") == name:
            last["text"] += text  # consecutive writes make one output, as nbclient keeps them
        else:
            self.outputs.append(_output("stream", name=name, text=text))


class _Stream(io.TextIOBase):
    def __init__(self, recorder: _Recorder, name: str) -> None:
        self.recorder, self.name_ = recorder, name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.recorder.stream(self.name_, text)
        return len(text)


def _make_shell() -> Any:
    from IPython.core.display_trap import DisplayTrap
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Publisher(DisplayPublisher):
        recorder: _Recorder | None = None

        def publish(self, data: dict[str, Any], metadata: dict[str, Any] | None = None,
                    source: Any = None, *, transient: Any = None, update: bool = False,
                    **kwargs: Any) -> None:
            if self.recorder is not None:
                self.recorder.add(_output("display_data", data=dict(data),
                                          metadata=dict(metadata or {})))

        def clear_output(self, wait: bool = False) -> None:
            if self.recorder is not None:
                self.recorder.outputs.clear()

    class Hook(DisplayHook):
        recorder: _Recorder | None = None

        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict: dict[str, Any],
                              md_dict: dict[str, Any] | None = None) -> None:
            if self.recorder is not None:
                self.recorder.add(_output("execute_result", data=dict(format_dict),
                                          metadata=dict(md_dict or {}),
                                          execution_count=self.prompt_count))

        def finish_displayhook(self) -> None:
            pass

    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # no sqlite file under ~/.ipython
    config.InteractiveShell.colors = "linux"  # coloured tracebacks, as a kernel sends them
    shell = InteractiveShell.instance(config=config)
    # IPython's constructors are unannotated (traitlets' **kwargs)
    shell.display_pub = Publisher(shell=shell, parent=shell)  # type: ignore[no-untyped-call]
    shell.displayhook = Hook(  # type: ignore[no-untyped-call]
        shell=shell, cache_size=shell.cache_size, parent=shell)
    shell.display_trap = DisplayTrap(hook=shell.displayhook)  # run_cell installs this one
    shell.sys_excepthook = sys.excepthook
    return shell


@contextlib.contextmanager
def _own_main() -> Iterator[None]:
    """IPython installs its user module as ``sys.modules["__main__"]``; the process's own
    ``__main__`` comes back afterwards (multiprocessing's spawn, pickling and the caller's
    code expect theirs)."""
    main = sys.modules.get("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def warm_shell() -> Any:
    """This process's shell (created on first use)."""
    global _SHELL
    if _SHELL is None:
        with _own_main():
            _SHELL = _make_shell()
    return _SHELL


def warm_up(modules: tuple[str, ...] = WARM_MODULES) -> None:
    """Create the shell and import ``modules`` (what a worker does before its first job)."""
    import importlib
    import os

    os.environ.setdefault("MPLBACKEND", "agg")
    warm_shell()
    for name in modules:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def reset_shell(shell: Any) -> None:
    """A fresh namespace, output history and ``In [1]`` for the next notebook; open
    matplotlib figures closed. (IPython's reset ends with a full ``gc.collect()``, ~0.1 s with
    pandas loaded; it is skipped here: reference counting frees the namespace, and the
    cyclic collector runs on its own schedule.)"""
    import gc

    collect = gc.collect
    gc.collect = lambda generation=2: 0
    try:
        shell.reset(new_session=True)
    finally:
        gc.collect = collect
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


@contextlib.contextmanager
def _capturing(shell: Any, recorder: _Recorder) -> Iterator[list[Any]]:
    errors: list[Any] = []

    def show(etype: type, evalue: BaseException, stb: list[str]) -> None:
        errors.append(_output("error", ename=etype.__name__, evalue=str(evalue),
                              traceback=list(stb)))
        recorder.add(errors[-1])

    shell.display_pub.recorder = shell.displayhook.recorder = recorder
    shell._showtraceback = show
    stdout, stderr = _Stream(recorder, "stdout"), _Stream(recorder, "stderr")
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            yield errors
    finally:
        shell.display_pub.recorder = shell.displayhook.recorder = None


def run_cell(shell: Any, cell: Any) -> bool:
    """Run one code cell, filling its outputs and execution count; False when it raised."""
    if not cell.source.strip():
        return True  # as nbclient: an empty cell is not sent to the kernel
    recorder = _Recorder()
    with _capturing(shell, recorder) as errors:
        result = shell.run_cell(cell.source, store_history=True)
    cell.execution_count = result.execution_count
    cell.outputs = recorder.outputs
    failed = bool(errors) or result.error_before_exec is not None \
        or result.error_in_exec is not None
    if failed and not errors:  # raised without a traceback shown (should not happen)
        exc = result.error_in_exec or result.error_before_exec
        cell.outputs.append(_output("error", ename=type(exc).__name__, evalue=str(exc),
                                    traceback=[]))
    # Execution stops at a failing cell; papermill then decides whether it is an error
    # (``sys.exit(0)`` stops the notebook without being one, as with a kernel).
    return not failed


class InProcessEngine:
    """The papermill engine (``engine_name="briefkit"``) running cells on :func:`warm_shell`.

    It has papermill's engine interface without subclassing ``papermill.engines.Engine``:
    papermill loads the ``papermill.engine`` entry points while ``papermill.engines`` is
    being imported, so this module must not import it at the top."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None,
                         progress_bar: bool = False, log_output: bool = False,
                         autosave_cell_every: int = 30, **kwargs: Any) -> Any:
        """As ``papermill.engines.Engine.execute_notebook``: wrap ``nb`` in papermill's
        execution manager (metadata, timings, status) and run it."""
        from papermill.engines import NotebookExecutionManager

        nb_man = NotebookExecutionManager(nb, output_path=output_path,
                                          progress_bar=progress_bar, log_output=log_output,
                                          autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> None:
        with _LOCK, _own_main():
            shell = warm_shell()
            reset_shell(shell)
            try:
                for index, cell in enumerate(nb_man.nb.cells):
                    try:
                        nb_man.cell_start(cell, index)
                        if cell.cell_type == "code" and not run_cell(shell, cell):
                            nb_man.cell_exception(cell, cell_index=index)
                            break
                    finally:
                        nb_man.cell_complete(cell, cell_index=index)
            finally:
                shell.display_pub.recorder = shell.displayhook.recorder = None
            nb_man.nb.metadata["language_info"] = dict(LANGUAGE_INFO)

    @classmethod
    def nb_kernel_name(cls, nb: Any, name: str | None = None) -> str:
        from papermill.utils import nb_kernel_name

        return str(nb_kernel_name(nb, name))

    @classmethod
    def nb_language(cls, nb: Any, language: str | None = None) -> str:
        from papermill.utils import nb_language

        return str(nb_language(nb, language))
