"""Where tasks run: in this process (:class:`InlinePool`) or on warm local worker processes
(:class:`LocalPool`); a Dask cluster is :mod:`briefkit.dask_pool`.

:class:`LocalPool` keeps ``workers`` processes (spawned, so no state is inherited from the
driver), each warmed up once (briefkit, pandas, matplotlib and WeasyPrint imported, the
in-process shell built, see :mod:`briefkit.inprocess`) and reused for many tasks. A worker is
replaced after ``max_tasks`` tasks, after a failed task (a notebook may leave a module in a bad
state) and when it dies (a notebook that crashes the interpreter fails alone); a task running
longer than ``timeout`` seconds is stopped the same way. Workers that cannot start at all fail
every task after :data:`MAX_START_FAILURES` tries.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, NoReturn

from briefkit.workers.tasks import Task, TaskResult, WorkerContext, _one_line, run_task

__all__ = ["MAX_START_FAILURES", "InlinePool", "LocalPool", "Pool"]


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
    from briefkit.startup import defer_imports

    defer_imports()
    if warm:
        with contextlib.suppress(Exception):
            from briefkit.inprocess import warm_up

            warm_up()
    settle_collector()
    conn.send(_READY)  # the time limit of a task starts when a warm worker receives it
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            task = None
        if task is None:
            _exit_now()
        try:
            result = run_task(task, context)
        except BaseException as exc:  # report anything, then go on
            result = TaskResult(task.key, False, error=_one_line("worker: ", exc),
                                detail=traceback.format_exc())
        conn.send(result)


#: The cyclic collector's first threshold in a worker (Python's default: 700 allocations).
WORKER_GC_THRESHOLD = 10_000


def settle_collector() -> None:
    """Set the cyclic garbage collector for a worker's life of tasks: what the warm-up
    imported (modules, classes, the shell: ~180,000 objects) is moved out of its reach with
    :func:`gc.freeze`, since it lives as long as the process, and the young generation is
    collected every :data:`WORKER_GC_THRESHOLD` allocations instead of 700.

    A briefing allocates millions of short-lived objects (matplotlib's artists and
    transforms, WeasyPrint's boxes); with the defaults the collector spent ~0.2 s a unit,
    walking the same long-lived objects again and again, and ~0.05 s with these settings
    (``gc.callbacks`` timing, 12 units of the demo district). Peak memory rose by ~10 MB a
    worker. Reference counting still frees nearly everything at once; the collector keeps
    reclaiming cycles (closed figures, laid-out documents), only in larger batches."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])


def _exit_now() -> NoReturn:
    """End an idle worker at once: everything it made has been sent, and an interpreter's
    teardown with pandas, matplotlib, IPython and Pango loaded takes about a second, which
    the driver would wait for (and Pango's objects freed at teardown can crash it, see
    :func:`briefkit.render.pdf._release_pdf_resources`)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


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
        self.signal_stop(kill)
        self.wait(kill)

    def signal_stop(self, kill: bool = False) -> None:
        """Tell the worker to end (an idle one ends at once), or kill it."""
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError, BrokenPipeError):
                self.conn.send(None)

    def wait(self, kill: bool = False) -> None:
        """Wait for the worker told to stop to end (killed after 10 s)."""
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
        # every worker told first, then waited for: they end side by side
        kills = [worker.task is not None or not worker.ready  # busy or warming: nothing
                 for worker in self._workers]                 # of ours left in it
        for worker, kill in zip(self._workers, kills, strict=True):
            worker.signal_stop(kill)
        for worker, kill in zip(self._workers, kills, strict=True):
            worker.wait(kill)
        self._workers.clear()
