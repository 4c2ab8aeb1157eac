"""``briefkit run``: every unit's briefing, the overview, the annex and the manifest, in one go.

A run reads as its flow::

    plan ─► prepare ─► run steps (in parallel) ─► publish each as it completes ─► manifest

* **Plan** (:mod:`~briefkit.batch.plan`): every option and input checked, the data loaded and
  validated, the KPI table computed — once. On bad input nothing is written and the output
  folder is not even created (:class:`~briefkit.problems.InputError`, exit status 2).
* **Prepare** (:mod:`briefkit.bundle`): the history of every unit, the late-dossier lists,
  targets, weights, header and provenance, computed once into the prepared bundle; each
  notebook gets its slice (kilobytes of Parquet and JSON) instead of recomputing everything.
* **Run steps** (:mod:`~briefkit.batch.steps`, :mod:`briefkit.workers`): the overview, the
  annex and every unit are tasks for ``workers`` warm worker processes (default: one per core;
  notebooks run in-process on a warm IPython shell, see :mod:`briefkit.inprocess`), or for a
  Dask cluster (``scheduler``). Workers render the HTML and PDF themselves and send the files
  back; a step whose inputs are unchanged since the previous run, and whose files still
  match its manifest, is reused as it is (``force`` rebuilds everything).
* **Publish** (:mod:`~briefkit.batch.publish`): everything is staged in a hidden folder
  (``OUT/<period>/.run-*.part/``, same file system) and moved into place file by file with
  :func:`os.replace`; a killed run leaves only hidden ``*.part`` entries, swept by the next run.
  One failing unit never stops the others: it keeps its executed notebook with the error, gets
  no HTML/PDF (stale ones are deleted), and the run exits 1.
* **Manifest** (:mod:`briefkit.manifest`): written last, it is the completion mark (deleted
  when a run starts writing); it lists every output with its sha256, each step's input key and
  whether it was rebuilt or reused. An advisory lock refuses a second concurrent run into the
  same period folder.

Unit folders are named by :func:`unit_slugs`; the files by the document settings'
``file_names`` (default ``BC-TTHC_<slug>_<period>.ipynb/.html/.pdf`` for a unit,
``BC-TTHC_tong-hop_<period>.*`` for the overview, ``PL-TTHC_<period>.xlsx`` for the annex; see
:mod:`briefkit.settings`), so attachments to one dispatch tell themselves apart. Notebooks
receive the parameters :data:`UNIT_PARAMETERS` (the overview the same without
``unit_id``); ``output_dir`` (``.``) and ``bundle`` (``.bundle``) are relative to the
notebook's working directory, a scratch folder whose extra files are published beside the
briefing.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from briefkit.batch.plan import (
    AnnexWriter,
    Plan,
    Renderer,
    default_header_file,
    default_notebooks_dir,
    make_plan,
    prepare,
)
from briefkit.batch.prepared import Prepared, save_cached
from briefkit.batch.publish import Previous, Publisher, begin, exclusive, sweep, switch
from briefkit.batch.request import (
    KPIS_NAME,
    OVERVIEW_NOTEBOOK,
    UNIT_NOTEBOOK,
    UNIT_PARAMETERS,
    BatchResult,
    RunRequest,
    StepResult,
    UnitResult,
)
from briefkit.batch.slugs import unit_slug, unit_slugs
from briefkit.batch.steps import Step, finish, lost_result, plan_steps, reused_result
from briefkit.clock import local_now
from briefkit.failpoints import reach
from briefkit.i18n import _
from briefkit.iorw import atomic_write_text
from briefkit.manifest import MANIFEST_NAME, data_fingerprint, provenance, write_manifest
from briefkit.pipeline import kpis_csv_text
from briefkit.textsafety import visible
from briefkit.workers import InlinePool, LocalPool, Pool, WorkerContext

__all__ = [
    "KPIS_NAME",
    "OVERVIEW_NOTEBOOK",
    "UNIT_NOTEBOOK",
    "UNIT_PARAMETERS",
    "AnnexWriter",
    "BatchResult",
    "Renderer",
    "RunRequest",
    "StepResult",
    "UnitResult",
    "default_header_file",
    "default_notebooks_dir",
    "make_pool",
    "run_batch",
    "unit_slug",
    "unit_slugs",
]


def make_pool(request: RunRequest, context: WorkerContext) -> Pool:
    """Where a run's steps run: a Dask cluster (``scheduler``), this process (``workers=0``)
    or local worker processes (default: one per core)."""
    if request.scheduler is not None:
        from briefkit.dask_pool import DaskPool

        return DaskPool(context, request.scheduler)
    if request.workers == 0:
        return InlinePool(context)
    return LocalPool(context, request.workers, timeout=request.timeout)


def _progress_bar(total: int, label: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=f"briefkit {label}", unit=_("step"), file=sys.stderr,
                disable=not (enabled and sys.stderr.isatty()), dynamic_ncols=True)


def run_batch(request: RunRequest, *, executor: Any = None, renderer: Renderer | None = None,
              annex_writer: AnnexWriter | None = None, progress: bool = True,
              pool: Pool | None = None) -> BatchResult:
    """Run ``briefkit run`` (see the module docstring): validate, then write everything.

    Raises :class:`~briefkit.problems.InputError` — before writing anything, without creating
    the output folder — when the input is unusable. Failing units, overview or annex are
    reported in the result (``exit_code`` 1), never raised. ``executor``: an
    :class:`~briefkit.engines.Executor` object instead of ``request.executor`` (picklable,
    unless ``workers=0``); ``renderer``/``annex_writer``: see :data:`Renderer` /
    :data:`AnnexWriter`; ``pool``: where the steps run (default :func:`make_pool`; the caller
    keeps ownership of a pool it passes). ``progress``: a progress bar on stderr when it is a
    terminal.
    """
    started, clock = local_now(), time.perf_counter()
    early: list[Pool] = []

    def warm(context: WorkerContext) -> None:
        """New data is about to be loaded, so steps will run: start the local workers now,
        they warm up while the data is validated and prepared."""
        if pool is None and request.scheduler is None and request.workers != 0:
            early.append(LocalPool(context, request.workers, timeout=request.timeout).start())

    try:
        plan = make_plan(request, executor, renderer, annex_writer, warm=warm)
    except BaseException:
        for warming in early:
            warming.close()
        raise
    timings = {"plan": time.perf_counter() - clock}
    own = pool is None
    if pool is None:
        pool = early[0] if early else make_pool(request, plan.context)
    try:
        start = getattr(pool, "start", None)
        if callable(start) and (request.force or plan.cached is None
                                or not (plan.folder / MANIFEST_NAME).exists()):
            # Something will run (new data, or no earlier run): warm the workers up while the
            # data is prepared. Same inputs as the last run: most likely nothing runs, and the
            # pool starts only if a step has to.
            start()
        mark = time.perf_counter()
        prepared = prepare(plan)  # before the folder exists: bad data writes nothing
        timings["prepare"] = time.perf_counter() - mark
        reach("prepared")
        with exclusive(plan.final_folder):
            sweep(plan.final_folder)
            building = begin(plan.final_folder)
            try:
                reach("begun")
                result = _execute(dataclasses.replace(plan, building=building), prepared,
                                  pool, started, clock, progress, timings)
                switch(building, plan.final_folder)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            return _rebased(result, building, plan.final_folder)
    finally:
        if own:
            pool.close()


def _execute(plan: Plan, prepared: Prepared, pool: Pool, started: Any, clock: float,
             progress: bool, timings: dict[str, float]) -> BatchResult:
    folder = plan.folder
    previous = Previous.read(folder)
    publisher = Publisher(folder)
    (folder / MANIFEST_NAME).unlink(missing_ok=True)  # from now on the folder is "in progress"
    bundle = prepared.bundle
    kpis_text = kpis_csv_text(bundle.table)
    kpis = atomic_write_text(folder / KPIS_NAME, kpis_text)

    mark = time.perf_counter()
    annex_provenance = provenance(prepared.files, plan.period, {
        **plan.base_parameters(),
        "units": list(plan.request.units) if plan.request.units else None},
        generated_at=plan.created)
    known = len(prepared.slice_keys)
    steps = plan_steps(plan, bundle, kpis_text, annex_provenance, prepared.slice_keys)
    timings["steps_plan"] = time.perf_counter() - mark
    if not prepared.cached or len(prepared.slice_keys) != known:
        save_cached(folder, plan.cache_key, prepared)  # with the slices' keys

    mark = time.perf_counter()
    results: dict[str, StepResult] = {}
    todo: list[Step] = []
    for step in steps:
        files = None if plan.request.force else \
            previous.reusable(step.id, step.input_key, folder)
        if files is not None:
            results[step.id] = reused_result(step, files)
        else:
            todo.append(step)
    warnings: list[str] = []
    occupied = {KPIS_NAME, *(s.main[0] for s in steps if s.kind == "annex"),
                *plan.slugs.values()}
    by_key = {step.task_key: step for step in todo}
    bar = _progress_bar(len(steps), plan.period.spec, progress)
    bar.update(len(results))
    staging = Path(tempfile.mkdtemp(prefix=".run-", suffix=".part", dir=folder))
    try:
        for result in pool.run(step.make_task() for step in todo):
            owner = by_key.get(result.key)
            if owner is None or owner.id in results:
                continue  # not ours, or reported twice: the first report stands
            done = finish(owner, result, staging, publisher, previous, occupied, warnings)
            results[owner.id] = done
            reach("step-published")
            # the terminal: a unit id's control characters shown, never obeyed
            label = visible(str(owner.unit_id)) if owner.kind == "unit" else owner.kind
            state = _("ok") if done.ok else _("FAILED")
            bar.set_postfix_str(f"{label}: {state}", refresh=False)
            bar.update(1)
    finally:
        bar.close()
        shutil.rmtree(staging, ignore_errors=True)
    for step in todo:
        results.setdefault(step.id, lost_result(step))
    timings["steps"] = time.perf_counter() - mark

    if data_fingerprint(prepared.files) != plan.fingerprint:
        warnings.append("the data files changed during the run: the briefings may not all "
                        "come from the same data; run again")
    return _write_manifest(plan, prepared, steps, results, kpis, started, clock, warnings,
                           timings, pool)


def _rebased(result: BatchResult, built: Path, final: Path) -> BatchResult:
    """The result with its paths in the final folder instead of the one it was built in."""
    def move(path: Path) -> Path:
        return final / path.relative_to(built) if path.is_relative_to(built) else path

    for step in (*result.units, result.overview, result.annex):
        step.files = [move(p) for p in step.files]
    return dataclasses.replace(result, folder=final, kpis=move(result.kpis),
                               manifest=move(result.manifest))


def _relative(files: list[Path], folder: Path) -> list[str]:
    return [p.relative_to(folder).as_posix() for p in files]


def _row(step: Step, result: StepResult, folder: Path) -> dict[str, Any]:
    row: dict[str, Any] = {
        "status": result.status, "error": result.error, "duration_s": round(result.duration, 3),
        "execute_s": None if result.execute_s is None else round(result.execute_s, 3),
        "render_s": None if result.render_s is None else round(result.render_s, 3),
        "build": "reused" if result.reused else "rebuilt", "input_key": step.input_key,
        "data_sha256": step.data_sha256, "files": _relative(result.files, folder)}
    if isinstance(result, UnitResult):
        row = {"unit_id": result.unit_id, "name": result.name, "slug": result.slug, **row}
    return row


def _write_manifest(plan: Plan, prepared: Prepared, steps: list[Step],
                    results: dict[str, StepResult], kpis: Path,
                    started: Any, clock: float, warnings: list[str],
                    timings: dict[str, float], pool: Pool) -> BatchResult:
    folder = plan.folder
    units = [results[s.id] for s in steps if s.kind == "unit"]
    overview, annex = results["step:overview"], results["step:annex"]
    unit_rows = [_row(s, results[s.id], folder) for s in steps if s.kind == "unit"]
    step_rows = {s.kind: _row(s, results[s.id], folder) for s in steps if s.kind != "unit"}
    outputs = [kpis, *(f for r in results.values() for f in r.files)]
    parameters = {**plan.base_parameters(), "out": str(plan.out_dir),
                  "notebooks": str(plan.unit_notebook.parent),
                  "units": list(plan.request.units) if plan.request.units is not None else None,
                  "unit_parameters": list(UNIT_PARAMETERS), "force": plan.request.force,
                  "workers": getattr(pool, "size", None), "pool": pool.name,
                  "prepared": "cached" if prepared.cached else "computed",
                  "scheduler": plan.request.scheduler}
    finished = local_now()
    from briefkit.kpis import DEFAULT_INDEX766_FILE

    reach("manifest")
    manifest = write_manifest(
        folder / MANIFEST_NAME, period=plan.period, outputs=outputs,
        data_files=prepared.files,
        other_inputs={"targets": plan.targets, "header": plan.header,
                      "index766": plan.index766 or DEFAULT_INDEX766_FILE,
                      "unit_notebook": plan.unit_notebook,
                      "overview_notebook": plan.overview_notebook},
        parameters=parameters, units=unit_rows, steps=step_rows,
        executor=plan.executor_name, started_at=started, finished_at=finished,
        warnings=warnings)
    units_typed = [u for u in units if isinstance(u, UnitResult)]
    return BatchResult(plan.period, folder, kpis, manifest, units_typed, overview, annex,
                       plan.executor_name, started, finished, time.perf_counter() - clock,
                       warnings, list(prepared.warnings), timings, prepared.span)
