"""Where the batch's jobs run: one task shape (:mod:`~briefkit.workers.tasks`), run inline,
on local worker processes (:mod:`~briefkit.workers.pools`), or on a Dask cluster
(:mod:`briefkit.dask_pool`)."""

from briefkit.workers.pools import MAX_START_FAILURES, InlinePool, LocalPool, Pool
from briefkit.workers.tasks import (
    BUNDLE_DIR,
    SOURCE_DIR,
    AnnexTask,
    NotebookTask,
    Task,
    TaskResult,
    WorkerContext,
    default_annex_writer,
    default_renderer,
    run_task,
)

__all__ = [
    "BUNDLE_DIR",
    "MAX_START_FAILURES",
    "SOURCE_DIR",
    "AnnexTask",
    "InlinePool",
    "LocalPool",
    "NotebookTask",
    "Pool",
    "Task",
    "TaskResult",
    "WorkerContext",
    "default_annex_writer",
    "default_renderer",
    "run_task",
]
