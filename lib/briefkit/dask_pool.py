"""Running a batch's tasks on a Dask cluster (``briefkit run --scheduler tcp://HOST:8786``).

:class:`DaskPool` is a :class:`~briefkit.workers.Pool`: it submits
:func:`~briefkit.workers.run_task` for every task to a ``distributed`` scheduler and yields the
:class:`~briefkit.workers.TaskResult` of each as it completes. The driver stages and publishes
the files that come back, exactly as with local workers: the output folder and the manifest
are the driver's, and workers share no file system with it.

What travels with a task, so that workers need neither the data nor the notebooks:

* the task's slice of the prepared bundle (a few tens of kilobytes per unit), as with local
  workers;
* the notebook itself: :class:`DaskPool` reads each notebook once and ships its bytes in the
  task (:attr:`NotebookTask.source <briefkit.workers.NotebookTask.source>`); the worker runs
  exactly the notebook whose checksum is in the step's input key, and the executed notebook
  still names the driver's path.

What workers do need: the same environment as the driver — briefkit (the same version: a
task sent to a worker with another version fails with a message saying so), its dependencies
and the fonts the PDFs use. A worker process imports briefkit and warms its in-process shell
on its first task (:meth:`DaskPool.start` sends each worker a warm-up task while the driver
prepares the bundle).

Threads: the default executor runs one notebook at a time per process (the IPython shell is
a singleton, and a task's working directory is the process's), so tasks that land on the
threads of one worker process run one after the other, under a process-wide lock. Start
workers with one thread each and one process per core —
``dask worker tcp://HOST:8786 --nworkers N --nthreads 1``; more threads are correct, only
not faster.

Failures: a notebook that fails is a failed result like anywhere else. A task whose *future*
fails — its worker died (the scheduler retries it on other workers up to
``distributed.scheduler.allowed-failures`` times, then reports ``KilledWorker``), it was
cancelled, the connection to the scheduler was lost, a worker could not unpickle it — becomes
a failed :class:`~briefkit.workers.TaskResult` for that task, never an exception: the other
units complete. ``--timeout`` is not enforced on a cluster (a running cell cannot be stopped
from outside its thread); a cluster has its own means (worker lifetimes, restarts).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import os
import threading
import traceback
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import distributed

from briefkit import __version__
from briefkit.problems import InputError, Problem
from briefkit.workers import NotebookTask, Pool, Task, TaskResult, WorkerContext, run_task

if TYPE_CHECKING:
    from dask.typing import Key

__all__ = ["DaskPool", "run_on_worker", "warm_worker"]

#: One task at a time per worker process, whatever its number of threads (see the module
#: docstring).
_PROCESS_LOCK = threading.Lock()


def run_on_worker(task: Task, context: WorkerContext, version: str | None = None) -> TaskResult:
    """What a Dask worker runs for one task: :func:`~briefkit.workers.run_task`, one task at a
    time per process; ``version`` is the driver's briefkit version (a mismatch fails the task
    rather than producing other documents under the same input key)."""
    if version is not None and version != __version__:
        return TaskResult(task.key, False, error=(
            f"worker: briefkit {__version__} on {os.uname().nodename}, the driver runs "
            f"{version}: workers need the driver's version"),
            worker=f"{os.uname().nodename}:{os.getpid()}")
    with _PROCESS_LOCK:
        os.environ.setdefault("MPLBACKEND", "agg")
        return run_task(task, context)


def warm_worker() -> str:
    """Import what notebooks use and build the in-process shell (:func:`briefkit.inprocess.
    warm_up`), under the task lock; returns the worker's name. Never raises: what fails here
    fails again, and is reported, in the worker's first task."""
    with _PROCESS_LOCK, contextlib.suppress(Exception):
        os.environ.setdefault("MPLBACKEND", "agg")
        from briefkit.inprocess import warm_up

        warm_up()
    return f"{os.uname().nodename}:{os.getpid()}"


def connect(address: str, **client_kwargs: Any) -> distributed.Client:
    """A client of the scheduler at ``address`` (``client_kwargs`` go to
    ``distributed.Client``), for the batch's pool and ``briefkit kpis --scheduler``; an
    unreachable scheduler is an :class:`~briefkit.problems.InputError`."""
    try:
        return distributed.Client(address, set_as_default=False, **client_kwargs)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError([Problem("--scheduler", f"cannot connect to the Dask scheduler at "
                                  f"{address!r}: {_first_line(exc)}",
                                  rule="unreachable")]) from exc


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _failure(key: str, exc: BaseException) -> TaskResult:
    """A failed result for a task whose future erred (not the task's own failure, which
    comes back as a result)."""
    name = type(exc).__name__
    if name == "KilledWorker":
        tries = getattr(exc, "allowed_failures", None)
        last = getattr(getattr(exc, "last_worker", None), "address", None)
        error = "the Dask worker running this task died (KilledWorker"
        if isinstance(tries, int):
            error += f": {tries + 1} worker(s) died running it"
        error += f"; last: {last})" if last else ")"
    elif isinstance(exc, (asyncio.CancelledError, concurrent.futures.CancelledError)):
        error = f"the task was cancelled on the Dask cluster ({_first_line(exc)})"
    else:
        error = f"dask: {_first_line(exc)}"
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return TaskResult(key, False, error=error, detail=detail)


class DaskPool(Pool):
    """Tasks on a Dask cluster (see the module docstring).

    ``address``: the scheduler's address (``tcp://HOST:8786``; the pool creates a client and
    closes it in :meth:`close`) or a ``distributed.Client`` (used as it is, never closed
    here); ``client_kwargs`` go to ``distributed.Client``. An unreachable scheduler is an
    :class:`~briefkit.problems.InputError` (nothing has been written yet).
    """

    name = "dask"

    def __init__(self, context: WorkerContext, address: str | distributed.Client,
                 **client_kwargs: Any) -> None:
        self.context = context
        self._size: int | None = None
        self._warming: list[distributed.Future[Any]] = []
        if isinstance(address, distributed.Client):
            self.client, self._own = address, False
        else:
            self.client, self._own = connect(address, **client_kwargs), True

    @property
    def size(self) -> int | None:
        """Worker processes known to the scheduler now (each runs one task at a time); the
        last known number when the scheduler cannot be asked."""
        with contextlib.suppress(Exception):
            self._size = len(self.client.nthreads())
        return self._size

    def start(self) -> DaskPool:
        """Send every worker a warm-up task (not waited for): it imports pandas, matplotlib,
        WeasyPrint and briefkit and builds the shell while the driver prepares the bundle.
        Only for the in-process executor; workers that join later warm up on their first
        task."""
        if self.context.executor != "inprocess" or self._warming:
            return self
        with contextlib.suppress(Exception):
            for address in self.client.nthreads():
                self._warming.append(self.client.submit(
                    warm_worker, key=f"briefkit-warm-up-{uuid.uuid4().hex}", pure=False,
                    workers=[address], allow_other_workers=False, priority=10))
        return self

    def _shipped(self, tasks: Iterable[Task]) -> list[Task]:
        """The tasks with their notebooks' bytes (each notebook read once)."""
        sources: dict[Path, bytes | None] = {}
        shipped: list[Task] = []
        for task in tasks:
            if isinstance(task, NotebookTask) and task.source is None:
                path = Path(task.notebook)
                if path not in sources:
                    try:
                        sources[path] = path.read_bytes()
                    except OSError:
                        sources[path] = None  # the worker says it is missing, per task
                if sources[path] is not None:
                    task = replace(task, source=sources[path])
            shipped.append(task)
        return shipped

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        shipped = self._shipped(tasks)
        if not shipped:
            return
        run_id = uuid.uuid4().hex
        keys = [f"briefkit-{hashlib.sha256(f'{run_id}/{t.key}'.encode()).hexdigest()[:32]}"
                for t in shipped]
        by_dask_key: dict[Key, str] = {k: t.key for k, t in zip(keys, shipped, strict=True)}
        pending: dict[Key, distributed.Future[Any]] = {}
        try:
            try:  # one message: the scheduler sees the whole batch at once and queues it
                futures = self.client.map(run_on_worker, shipped, key=keys, pure=False,
                                          context=self.context, version=__version__)
            except Exception as exc:  # the scheduler is gone, a task cannot be pickled…
                for task in shipped:
                    yield _failure(task.key, exc)
                return
            del shipped  # the payloads are the scheduler's now
            pending = {f.key: f for f in futures}
            del futures
            try:
                completed = distributed.as_completed(list(pending.values()),
                                                     loop=self.client.loop)
                for future in completed:
                    result = self._result(future, by_dask_key[future.key])
                    pending.pop(future.key, None)
                    future.release()  # the worker may forget it now
                    yield result
            except Exception as exc:  # the client broke down: the rest failed with it
                lost, pending = pending, {}
                with contextlib.suppress(Exception):
                    self.client.cancel(list(lost.values()))
                for dask_key in lost:
                    yield _failure(by_dask_key[dask_key], exc)
        finally:
            if pending:  # the caller stopped early: do not leave the cluster working for it
                with contextlib.suppress(Exception):
                    self.client.cancel(list(pending.values()))
            self._release_warm_up()

    @staticmethod
    def _result(future: distributed.Future[Any], key: str) -> TaskResult:
        try:
            result = future.result()
            if not isinstance(result, TaskResult):
                raise TypeError(f"a worker returned {type(result).__name__}, not a TaskResult")
            return result
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # worker died, cancelled, connection lost…
            return _failure(key, exc)

    def _release_warm_up(self) -> None:
        for future in self._warming:
            with contextlib.suppress(Exception):
                future.release()
        self._warming.clear()

    def close(self) -> None:
        self._release_warm_up()
        if self._own:
            with contextlib.suppress(Exception):
                self.client.close()
            self._own = False
