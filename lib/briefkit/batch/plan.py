"""Planning a run: every option and input checked, everything loaded, nothing written.

Period, convention, targets, Decision-766 weights, the data folder, the requested
``--units``, the header file, the notebooks, the executor, the worker count or scheduler and
the renderer/annex modules are all checked before the output folder is even created; every
problem is reported at once (:class:`~briefkit.problems.InputError`, exit status 2). The KPI
table is computed here, once, for kpis.csv, the bundle and the annex.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from briefkit import packaged
from briefkit.batch.prepared import HISTORY_PERIODS, Prepared, cache_key, load_cached
from briefkit.batch.request import OVERVIEW_NOTEBOOK, UNIT_NOTEBOOK, RunRequest
from briefkit.batch.slugs import unit_slugs
from briefkit.clock import document_date, document_timestamp, run_time
from briefkit.data import Dataset, find_files, load_dataset
from briefkit.engines import available_executors
from briefkit.kpis import UnitChanges, container_units
from briefkit.manifest import data_fingerprint
from briefkit.periods import Period, parse_period
from briefkit.problems import InputError, Problem
from briefkit.workers import WorkerContext

__all__ = ["AnnexWriter", "Plan", "Renderer", "default_header_file", "default_notebooks_dir",
           "make_plan", "prepare"]

#: ``renderer(executed_notebook, html_path, pdf_path)`` writes both files (default:
#: :func:`briefkit.render.render_notebook`). It runs in the workers: it must be picklable
#: (a module-level function) unless the run has ``workers=0``.
Renderer = Callable[[Path, Path, Path], object]
#: ``annex_writer(path, kpi_table, period, provenance)`` writes the workbook (default:
#: :func:`briefkit.annex.write_annex`); picklable, as the renderer.
#: ``(path, table, period, provenance, **options)``: :func:`briefkit.annex.write_annex`'s shape;
#: ``options`` carries ``frame=`` (:class:`briefkit.bieu06.Frame`).
AnnexWriter = Callable[..., object]


def default_notebooks_dir() -> Path:
    """``./notebooks`` when it has the unit notebook (a project folder, e.g. one ``briefkit
    init`` wrote, or a checkout), else the notebooks briefkit ships (:mod:`briefkit.packaged`:
    the package's copy, or the checkout's in an editable install), so ``briefkit run`` works
    from any folder; ``--notebooks`` names any other folder."""
    for candidate in (Path.cwd() / "notebooks", packaged.notebooks_dir()):
        if (candidate / UNIT_NOTEBOOK).is_file():
            return candidate
    return Path.cwd() / "notebooks"


def default_header_file() -> Path | None:
    """``./params/header.yaml``, else the one briefkit ships; None when neither exists."""
    for candidate in (Path.cwd() / "params" / "header.yaml", packaged.params_path("header.yaml")):
        if candidate.is_file():
            return candidate
    return None


@dataclass
class Plan:
    """Everything a run needs, checked; building it writes nothing.

    ``cached``: the prepared data of an earlier run with the same inputs (see
    :mod:`briefkit.batch.prepared`); otherwise ``dataset`` is the loaded, validated data and
    :func:`prepare` computes the rest. ``created``: the documents' timestamp."""

    request: RunRequest
    period: Period
    dataset: Dataset | None
    cached: Prepared | None
    units: list[tuple[str, str]]
    slugs: dict[str, str]
    data_dir: Path
    out_dir: Path
    unit_notebook: Path
    overview_notebook: Path
    header: Path | None
    targets: Path | None
    index766: Path | None
    context: WorkerContext
    executor_name: str
    fingerprint: str
    files: dict[str, Path]
    created: datetime
    cache_key: str
    settings: dict[str, Any] = field(default_factory=dict)
    #: Where the run builds the folder's next state (:func:`briefkit.batch.publish.begin`);
    #: None before it starts.
    building: Path | None = None

    @property
    def final_folder(self) -> Path:
        """``OUT/<period>``: what users see."""
        return self.out_dir / self.period.slug

    @property
    def folder(self) -> Path:
        """Where the run writes: the folder being built, else the final one."""
        return self.building if self.building is not None else self.final_folder

    def file_stem(self, kind: str, unit_id: str | None = None) -> str:
        """The output name (without extension) of a ``unit`` briefing, the ``overview`` or
        the ``annex``, from the settings' ``file_names`` (:func:`briefkit.settings.file_stem`)."""
        from briefkit.settings import file_stem

        if unit_id is None:
            return file_stem(self.settings, kind, period=self.period.spec)
        return file_stem(self.settings, kind, period=self.period.spec,
                         slug=self.slugs[unit_id], unit_id=unit_id)

    def base_parameters(self) -> dict[str, Any]:
        return {"data_dir": str(self.data_dir), "period": self.period.spec,
                "convention": self.period.convention, "targets_file": _text(self.targets),
                "header_file": _text(self.header), "index766_file": _text(self.index766)}


def prepare(plan: Plan) -> Prepared:
    """The run's prepared data: the cached one, or computed now from the loaded data (the
    KPI table and the history in one pass, see :func:`briefkit.kpis.kpi_tables`). Raises
    InputError when the data cannot give a KPI table."""
    if plan.cached is not None:
        return plan.cached
    from briefkit.bundle import build_bundle

    dataset = plan.dataset
    assert dataset is not None
    try:
        bundle = build_bundle(plan.data_dir, plan.period.spec,
                              convention=plan.period.convention, targets_file=plan.targets,
                              header_file=plan.header, index766_file=plan.index766,
                              history_periods=HISTORY_PERIODS, dataset=dataset,
                              generated_at=plan.created, parameters=plan.base_parameters())
    except ValueError as exc:
        raise InputError([Problem(str(plan.data_dir), str(exc))]) from exc
    from briefkit.coverage import data_span

    every, grouping = _units_of(dataset, plan.period)
    return Prepared(every, grouping, dict(dataset.files), list(dataset.warnings), bundle,
                    span=data_span(dataset))


def _units_of(dataset: Dataset, period: Period | None
              ) -> tuple[list[tuple[str, str]], set[str]]:
    """Every unit of units.csv as (id, name), in order, and the units that get no briefing:
    those that only group others (they resolve nothing: their briefing would be empty) and
    the former units that ended before the period (unit_changes: they have no figures)."""
    table = dataset.units
    ids = [str(u) for u in table["unit_id"]]
    former = set(UnitChanges.of(dataset).former(period)) if period is not None else set()
    return list(zip(ids, (str(n) for n in table["name"]), strict=True)), \
        container_units(dataset) | former


def _text(path: Path | None) -> str | None:
    """Paths go to notebooks as text: papermill writes them into the code as literals."""
    return None if path is None else str(path)


def _absolute(path: Path | str | None) -> Path | None:
    return None if path is None or str(path) == "" else Path(path).expanduser().resolve()


#: The notebook format versions ``nbformat.read(path, as_version=4)`` reads (and converts).
NOTEBOOK_VERSIONS = (1, 2, 3, 4)


def _check_notebook(path: Path, option: str, problems: list[Problem]) -> None:
    """A notebook that ``nbformat.read`` would read: JSON with a known major ``nbformat``
    version (it warns, and does not refuse, on a notebook that breaks the schema). Checked
    without nbformat, whose import (jsonschema and, where JupyterLab installed them, its
    format checkers: ~0.2-0.5 s) the driver has no other use for."""
    if not path.is_file():
        problems.append(Problem(option, f"notebook {str(path)!r} not found", rule="missing_file"))
        return
    try:
        node = json.loads(path.read_bytes())
        if not isinstance(node, dict):
            raise ValueError("not a JSON object")
        version = node.get("nbformat", 1)  # nbformat's reader: none is version 1
        if isinstance(version, bool) or version not in NOTEBOOK_VERSIONS:
            raise ValueError(f"unsupported nbformat version {version!r}")
    except (OSError, ValueError) as exc:  # json.JSONDecodeError, UnicodeDecodeError too
        problems.append(Problem(option, f"{path.name} is not a readable notebook: {exc}",
                                rule="unreadable_file"))


def _check_header(path: Path, problems: list[Problem]) -> dict[str, Any]:
    """The document settings (:mod:`briefkit.settings`), validated: every problem names the
    file and the key. ``{}`` (and the problems listed) when they cannot be used."""
    from briefkit.settings import load_settings

    if not path.is_file():
        problems.append(Problem("--header", f"header file {str(path)!r} not found",
                                rule="missing_file"))
        return {}
    try:
        return load_settings(path)
    except InputError as exc:
        problems += exc.problems
        return {}


def make_plan(request: RunRequest, executor: Any = None, renderer: Renderer | None = None,
              annex_writer: AnnexWriter | None = None,
              warm: Callable[[WorkerContext], object] | None = None) -> Plan:
    """Check everything, collecting every problem; raise one InputError. Writes nothing.
    ``warm(context)`` is called when the options are sound and data the last run did not
    prepare is about to be loaded (the batch starts its workers then)."""
    from briefkit.kpis import load_index766_weights
    from briefkit.targets import load_targets

    problems: list[Problem] = []
    period = None
    try:
        period = parse_period(request.period, request.convention)  # type: ignore[arg-type]
    except ValueError as exc:
        problems.append(Problem("--period", str(exc), rule="bad_period"))

    targets = _absolute(request.targets)
    loaded_targets = None
    if targets is not None:
        try:
            loaded_targets = load_targets(targets)
        except InputError as exc:
            problems += exc.problems
    index766 = _absolute(request.index766)
    try:
        load_index766_weights(index766)
    except (OSError, ValueError) as exc:
        problems.append(Problem("--index766", str(exc), rule="unreadable_file"))

    header = _absolute(request.header) if request.header is not None else default_header_file()
    settings: dict[str, Any] = {}
    if header is not None:
        settings = _check_header(header, problems)
    notebooks = _absolute(request.notebooks) or default_notebooks_dir().resolve()
    unit_notebook, overview_notebook = notebooks / UNIT_NOTEBOOK, notebooks / OVERVIEW_NOTEBOOK
    _check_notebook(unit_notebook, "--notebooks", problems)
    _check_notebook(overview_notebook, "--notebooks", problems)

    executor_name = request.executor
    if executor is None:
        if request.executor not in available_executors():
            # Only the name is checked here (cheap): the workers build their own executor.
            problems.append(Problem("--executor", f"unknown executor {request.executor!r}; "
                                    f"available: {', '.join(available_executors())}",
                                    rule="unknown_executor"))
    else:
        executor_name = getattr(executor, "name", type(executor).__name__)
    if request.workers is not None and request.workers < 0:
        problems.append(Problem("--workers", f"{request.workers} is not a number of worker "
                                "processes (0 = run everything in this process)",
                                rule="bad_value"))
    if request.timeout is not None and not request.timeout > 0:
        problems.append(Problem("--timeout", f"{request.timeout} is not a positive number of "
                                "seconds", rule="bad_value"))
    if request.scheduler is not None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            problems.append(Problem("--scheduler", "running on a Dask cluster needs "
                                    "dask.distributed: pip install 'briefkit[dask]'",
                                    rule="missing_module"))
    for module, needed_for, given in (("briefkit.render", "render briefings", renderer),
                                      ("briefkit.annex", "write the annex", annex_writer)):
        missing = given is None and _missing_module(module)
        if missing:
            problems.append(Problem(module, f"cannot {needed_for}: {missing}",
                                    rule="missing_module"))
    context = WorkerContext(executor if executor is not None else request.executor, {},
                            renderer, annex_writer)
    if request.workers != 0 or request.scheduler is not None:
        try:
            pickle.dumps(context)
        except Exception as exc:
            problems.append(Problem("--workers", "the executor, renderer or annex writer "
                                    f"cannot be sent to worker processes ({exc}); run with "
                                    "workers=0", rule="bad_value"))

    data_dir = Path(request.data).expanduser().resolve()
    out_dir = Path(request.out).expanduser().resolve()
    problems += _check_out(out_dir, data_dir, str(request.out))
    files: dict[str, Path] = {}
    created = _documents_time(header)
    key = fingerprint = ""
    cached: Prepared | None = None
    if period is not None and not problems and data_dir.is_dir():
        # Inputs whose bytes an earlier run already validated and prepared: read its result.
        files, file_problems = find_files(data_dir)
        if not file_problems:
            fingerprint = data_fingerprint(files)
            key = cache_key(files, fingerprint, {"targets": targets, "header": header,
                                                 "index766": index766},
                            {"period": period.spec, "convention": period.convention,
                             "created": created.isoformat(),
                             "today": date.today().isoformat()})
            cached = None if request.force else load_cached(out_dir / period.slug, key)
    dataset = None
    if cached is None:
        if warm is not None and not problems and period is not None:
            warm(context)
        try:
            dataset = load_dataset(data_dir)
            files = dict(dataset.files)
        except InputError as exc:
            problems += exc.problems

    units: list[tuple[str, str]] = []
    slugs: dict[str, str] = {}
    if cached is not None or dataset is not None:
        every, grouping_only = (cached.units, cached.grouping_only) if cached is not None \
            else _units_of(dataset, period)  # type: ignore[arg-type]
        all_ids = [u for u, _ in every]
        names = dict(every)
        try:
            slugs = unit_slugs(all_ids)
        except ValueError as exc:
            problems.append(Problem("units", str(exc), rule="duplicate_id"))
        # A unit that only groups others resolves nothing: its briefing would be empty. It
        # stays in the overview, the annex and kpis.csv, and --units can still ask for it.
        wanted = [u for u in all_ids if u not in grouping_only]
        if request.units is not None:
            asked = list(dict.fromkeys(str(u) for u in request.units))
            unknown = [u for u in asked if u not in names]
            for u in unknown:
                problems.append(Problem("--units", f"unknown unit id {u!r} (units.csv has "
                                        f"{_sample(all_ids)})", rule="unknown_unit"))
            if not asked:
                problems.append(Problem("--units", "no unit id given", rule="empty_value"))
            wanted = [u for u in all_ids if u in set(asked)]
        units = [(u, names[u]) for u in wanted]
        if header is not None:
            from briefkit.settings import check_unit_overrides, source_name

            problems += check_unit_overrides(settings, all_ids, source_name(header))
        if loaded_targets is not None and period is not None:
            problems += loaded_targets.unit_problems(all_ids, period)

    if problems:
        raise InputError(problems)
    assert period is not None
    return Plan(request, period, dataset, cached, units, slugs, data_dir, out_dir,
                unit_notebook, overview_notebook, header, targets, index766, context,
                executor_name, fingerprint or data_fingerprint(files), files, created, key,
                settings)


def _check_out(out_dir: Path, data_dir: Path, given: str) -> list[Problem]:
    """``--out`` must be a folder that can be written and that is not inside the data folder
    (the next run would read the outputs as data). Checked before anything is written."""
    import os

    if out_dir == data_dir or out_dir.is_relative_to(data_dir):
        return [Problem("--out", f"{given!r} is inside the data folder: choose a folder "
                        "outside it (the next run would read the outputs as data)",
                        rule="bad_value")]
    existing = out_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return [Problem("--out", f"{given!r}: {str(existing)!r} is a file, not a folder",
                        rule="bad_value")]
    if not os.access(existing, os.W_OK | os.X_OK):
        return [Problem("--out", f"{given!r}: no permission to write in {str(existing)!r}",
                        rule="bad_value")]
    return []


def _documents_time(header: Path | None) -> datetime:
    """The documents' timestamp: their date (the header's, else the run's, see
    :mod:`briefkit.clock`) at 00:00 Vietnamese time."""
    from briefkit.bundle import load_header

    fixed = None
    if header is not None:
        try:
            fixed = load_header(header).get("date")
        except Exception:  # a broken header is reported by _check_header
            fixed = None
    try:
        day = document_date(run_time(), fixed)
    except (TypeError, ValueError):
        day = document_date(run_time())
    return document_timestamp(day)


def _missing_module(name: str) -> str | None:
    """Why ``name`` (or a module it needs) cannot be imported, without importing it here (the
    workers do): None when its dependencies are installed."""
    import importlib.util

    needs = {"briefkit.render": ("nbconvert", "weasyprint"), "briefkit.annex": ("openpyxl",)}
    for module in needs.get(name, ()):
        if importlib.util.find_spec(module) is None:
            return f"No module named {module!r}"
    return None


def _sample(ids: Sequence[str], n: int = 8) -> str:
    shown = ", ".join(repr(u) for u in ids[:n])
    return shown + (f" and {len(ids) - n} more" if len(ids) > n else "")


