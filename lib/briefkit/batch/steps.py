"""The steps of a run — every unit's briefing, the overview, the annex — in one shape.

A :class:`Step` is a task for the workers (:mod:`briefkit.workers`) plus where its files go
and its **input key**: the sha256 of everything its files are made from (the prepared slice,
the notebook, the parameters, the briefkit version, the renderer or annex writer). A step
whose input key and files match the previous run's manifest is reused as it is
(:meth:`briefkit.batch.publish.Previous.reusable`); the others run, and :func:`finish` stages
what came back and publishes it:

* a step that succeeded publishes its extras, then its notebook, its HTML, and its PDF last;
* a step that failed keeps its executed notebook, with the error in place, and **no**
  HTML/PDF: stale ones from an earlier run are deleted, so nobody attaches last quarter's PDF
  believing it is current;
* the files the previous manifest listed for that step (in its place) and the standard files
  are replaced or deleted; files a person put there are left alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from briefkit import __version__
from briefkit.batch.plan import Plan
from briefkit.batch.publish import Previous, Publisher, publish_order
from briefkit.batch.request import (
    STATUS_FAILED,
    STATUS_OK,
    StepResult,
    UnitResult,
)
from briefkit.bieu06 import Frame
from briefkit.bundle import Bundle
from briefkit.iorw import sha256_file
from briefkit.packaged import templates_dir
from briefkit.settings import resolve
from briefkit.workers import AnnexTask, NotebookTask, Task, TaskResult

__all__ = ["Step", "document_files", "finish", "plan_steps", "reused_result"]


def document_files(stem: str) -> tuple[str, str, str]:
    """A notebook step's files in publish order: the executed notebook, the HTML, the PDF
    (``BC-TTHC_TP_2023Q4`` → ``BC-TTHC_TP_2023Q4.ipynb/.html/.pdf``; the names come from the
    settings' ``file_names``, see :meth:`briefkit.batch.plan.Plan.file_stem`)."""
    return (f"{stem}.ipynb", f"{stem}.html", f"{stem}.pdf")


@dataclass
class Step:
    """One output of the run (see the module docstring). ``id``: its key in the manifest
    (``unit:<id>``, ``step:overview``, ``step:annex``); ``dest``: the folder its files go to;
    ``main``: its standard files in publish order."""

    id: str
    kind: str
    dest: Path
    main: tuple[str, ...]
    make_task: Callable[[], Task]
    input_key: str
    unit_id: str | None = None
    name: str = ""
    slug: str | None = None
    data_sha256: str | None = None

    @property
    def task_key(self) -> str:
        """The key its task carries (a unit id, ``*overview``, ``*annex``)."""
        return self.unit_id if self.unit_id is not None else f"*{self.kind}"


def _identity(function: Callable[..., object] | None, default: str) -> str:
    if function is None:
        return default
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', '?')}"


def _key(**parts: Any) -> str:
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _templates_fingerprint() -> str:
    """The HTML/PDF template and its stylesheet, as a key: a restyled template rebuilds
    every document even when briefkit's version did not change."""
    # the folder from briefkit.packaged, not briefkit.render: the driver renders nothing, and
    # importing the renderer imports nbconvert (0.7 s before the first step could start)
    folder = templates_dir()
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return _key(**{p.relative_to(folder).as_posix(): sha256_file(p) for p in files})


def plan_steps(plan: Plan, bundle: Bundle, kpis_text: str, annex_provenance: dict[str, Any],
               slice_keys: dict[str, tuple[str, str]] | None = None) -> list[Step]:
    """The overview, the annex, then every unit of the plan, with their tasks and keys.

    ``kpis_text``: kpis.csv's text, written by the run (the annex's key is its hash).

    ``slice_keys``: the units' slice keys already known (``unit_id → (fingerprint,
    data_sha256)`` of ``bundle.unit_slice(unit_id)``, kept with prepared data read from the
    cache): such a unit is sliced only if its step runs. The keys of the units sliced here
    are added to it."""
    known = {} if slice_keys is None else slice_keys
    created = str(bundle.provenance.get("generated_at") or "") or None
    renderer = _identity(plan.context.renderer, "briefkit.render.render_notebook")
    base = plan.base_parameters()
    notebooks = {p: sha256_file(p) for p in {plan.unit_notebook, plan.overview_notebook}}
    templates = _templates_fingerprint()

    def notebook_step(id_: str, kind: str, dest: Path, main: tuple[str, ...],
                      part: Callable[[], Bundle], fingerprint: str, data_sha256: str | None,
                      notebook: Path, parameters: dict[str, Any], **extra: Any) -> Step:
        def make_task() -> Task:  # only for the steps that run: Parquet costs a few ms
            return NotebookTask(extra.get("unit_id") or f"*{kind}", notebook,
                                main[0].removesuffix(".ipynb"), parameters, part().to_files(),
                                created)

        key = _key(kind=kind, bundle=fingerprint, notebook=notebooks[notebook],
                   parameters=parameters, renderer=renderer, templates=templates,
                   version=__version__, files=main)
        return Step(id_, kind, dest, main, make_task, key, data_sha256=data_sha256, **extra)

    def unit_part(unit_id: str) -> tuple[Callable[[], Bundle], str, str | None]:
        """The unit's slice (made when asked), its fingerprint and data_sha256."""
        if unit_id in known:
            fingerprint, data_sha256 = known[unit_id]
            return (lambda: bundle.unit_slice(unit_id)), fingerprint, data_sha256
        part = bundle.unit_slice(unit_id)
        known[unit_id] = (part.fingerprint(), str(part.provenance["data_sha256"]))
        return (lambda: part), *known[unit_id]

    folder = plan.folder
    steps = [notebook_step("step:overview", "overview", folder,
                           document_files(plan.file_stem("overview")), lambda: bundle,
                           bundle.fingerprint(), bundle.provenance.get("data_sha256"),
                           plan.overview_notebook, dict(base))]
    annex_name = f"{plan.file_stem('annex')}.xlsx"
    # the annex goes with the overview's dispatch: its frame from the overview's settings
    frame = Frame.from_settings(resolve(plan.settings), date=plan.created.date())
    annex_key = _key(kind="annex", table=hashlib.sha256(kpis_text.encode("utf-8")).hexdigest(),
        provenance=annex_provenance, frame=dataclasses.asdict(frame),
        writer=_identity(plan.context.annex_writer, "briefkit.annex.write_annex"),
        version=__version__, files=annex_name)
    steps.append(Step("step:annex", "annex", folder, (annex_name,),
                      lambda: AnnexTask("*annex", annex_name, bundle.table, plan.period,
                                        annex_provenance, {"frame": frame}), annex_key,
                      data_sha256=bundle.provenance.get("data_sha256")))
    for unit_id, name in plan.units:
        parameters = {"data_dir": base["data_dir"], "unit_id": unit_id,
                      **{k: v for k, v in base.items() if k != "data_dir"}}
        steps.append(notebook_step(f"unit:{unit_id}", "unit", folder / plan.slugs[unit_id],
                                   document_files(plan.file_stem("unit", unit_id)),
                                   *unit_part(unit_id), plan.unit_notebook,
                                   parameters, unit_id=unit_id, name=name,
                                   slug=plan.slugs[unit_id]))
    return steps


def _result(step: Step, **fields: Any) -> StepResult:
    if step.kind == "unit":
        assert step.unit_id is not None and step.slug is not None
        return UnitResult(unit_id=step.unit_id, name=step.name, slug=step.slug,
                          input_key=step.input_key, **fields)
    return StepResult(name=step.kind, input_key=step.input_key, **fields)


def reused_result(step: Step, files: list[Path]) -> StepResult:
    return _result(step, status=STATUS_OK, duration=0.0, files=files, reused=True)


def _safe(rel: str) -> PurePosixPath | None:
    path = PurePosixPath(rel)
    if path.is_absolute() or not path.parts or ".." in path.parts or "\\" in rel:
        return None
    return path


def finish(step: Step, result: TaskResult, staging: Path, publisher: Publisher,
           previous: Previous, occupied: Iterable[str], warnings: list[str]) -> StepResult:
    """Stage and publish what a step's task returned (see the module docstring). Never
    raises for the step's own trouble."""
    work = staging / hashlib.sha256(step.id.encode("utf-8")).hexdigest()[:16]
    ok, error, detail = result.ok, result.error, result.detail
    blocked = set(occupied) - set(step.main) if step.dest == publisher.folder else set()
    staged: list[tuple[Path, Path]] = []
    try:
        for rel, data in sorted(result.files.items()):
            safe = _safe(rel)
            if safe is None or safe.parts[0] in blocked or (not ok and rel != step.main[0]):
                if ok and safe is not None:
                    warnings.append(f"{step.kind}: extra file {rel!r} not published: the name "
                                    f"belongs to another output")
                continue
            source = work / safe
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_bytes(data)
            staged.append((source, step.dest / safe))
    except OSError as exc:
        ok, error, detail, staged = False, f"stage: {type(exc).__name__}: {exc}", \
            traceback.format_exc(), []
    staged.sort(key=lambda pair: publish_order(
        pair[1].relative_to(step.dest).as_posix(), step.main))
    stale = [step.dest / n for n in step.main]
    for path in previous.paths(step.id, publisher.folder):
        if step.kind == "unit":
            if path.resolve().is_relative_to(step.dest.resolve()):
                stale.append(path)
        elif path.parent == publisher.folder and path.name not in blocked:
            stale.append(path)
    try:
        files = publisher.publish(staged, stale)
    except OSError as exc:  # permissions, a folder where a file should go, disk full…
        for leftover in step.main[1:]:
            with contextlib.suppress(OSError):
                (step.dest / leftover).unlink(missing_ok=True)
        ok, error, detail = False, f"publish: {type(exc).__name__}: {exc}", \
            traceback.format_exc()
        files = [final for _, final in staged if final.is_file()
                 and final.name not in step.main[1:]]
    return _result(step, status=STATUS_OK if ok else STATUS_FAILED,
                   duration=result.duration, error=error, detail=detail, files=files,
                   execute_s=result.execute_s, render_s=result.render_s)


def lost_result(step: Step) -> StepResult:
    """A step whose task never came back (a pool that lost it)."""
    return _result(step, status=STATUS_FAILED, duration=0.0,
                   error="the workers returned no result for this step")
