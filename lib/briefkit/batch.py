"""``briefkit run``: every unit's briefing, the overview, the annex and the manifest, in one go.

What a run does, in order::

    validate everything ─► kpis.csv ─► per unit: execute → render → publish ─► overview
                        ─► annex.xlsx ─► manifest.json

Decisions, and why:

* **Validate first, write nothing on bad input.** Period, convention, targets, Decision-766
  weights, the data folder, the requested ``--units``, the header file, the notebooks, the
  executor name and the renderer/annex modules are all checked before the output folder is
  even created; every problem is reported at once (:class:`~briefkit.problems.InputError`,
  exit status 2).
* **The KPI table is computed once** (:func:`briefkit.pipeline.compute_request`) for
  ``kpis.csv`` and the annex. Each notebook recomputes from the same files through the same
  function (``briefing.prepare``), so the figures agree; a run-wide warning says so if the data
  files changed while the run was going.
* **One failing unit never stops the others.** Its executed notebook, with the error in place,
  is kept as ``<slug>/briefing.ipynb``; it gets status ``failed`` in the result and the
  manifest, and **no** ``briefing.html``/``briefing.pdf``: stale ones from an earlier run are
  deleted, so nobody attaches last quarter's PDF believing it is current. The same holds for
  the overview (``overview.html``/``.pdf``) and the annex.
* **Nothing half-written under a final name**, even if the process is killed: everything is
  produced in a hidden staging folder (``OUT/<period>/.run-*.part/``, same file system) and
  moved into place file by file with :func:`os.replace`. A killed run leaves only hidden
  ``*.part`` entries, which the next run into that folder sweeps away.
* **``manifest.json`` is the completion mark.** It is deleted when a run starts writing and
  written last, so a folder with a manifest holds a finished run, and
  :func:`briefkit.manifest.verify_manifest` tells whether it is intact.
* **Re-runs replace cleanly and touch only what they own.** A unit folder receives this run's
  files; the files this run did not produce but the previous manifest listed for that unit
  (and the standard briefing files) are deleted. Files a person put there (a signed copy, say)
  are left alone, and so are the folders of units not in this run (``--units`` re-runs one
  unit without discarding the others' briefings); the manifest lists only this run's files.
* **One run per output folder at a time**: an advisory lock (``.briefkit.lock``, released by
  the OS even if the process dies) refuses a second concurrent run into the same period folder.

Unit folders are named by :func:`unit_slugs`, see there. Notebooks receive these parameters
(:data:`UNIT_PARAMETERS`; the overview the same without ``unit_id``): ``data_dir``,
``unit_id``, ``period`` (canonical spec), ``convention``, ``targets_file``, ``header_file``,
``index766_file`` (absolute paths as text, or None) and ``output_dir`` — a scratch folder the
notebook may write extra files to; on success they are published beside the briefing (the
overview's beside overview.html) and listed in the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from briefkit.data import Dataset, load_dataset
from briefkit.engines import ExecutionOutcome, Executor, Job, get_executor, run_jobs
from briefkit.kpis import DEFAULT_INDEX766_FILE, container_units
from briefkit.manifest import (
    MANIFEST_NAME,
    data_fingerprint,
    local_now,
    provenance,
    write_manifest,
)
from briefkit.periods import Period, parse_period
from briefkit.pipeline import KpiRequest, KpiResult, compute_request, write_kpis_csv
from briefkit.problems import InputError, Problem

__all__ = [
    "ANNEX_NAME",
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
    "run_batch",
    "unit_slug",
    "unit_slugs",
]

UNIT_NOTEBOOK = "unit_briefing.ipynb"
OVERVIEW_NOTEBOOK = "overview.ipynb"
KPIS_NAME = "kpis.csv"
ANNEX_NAME = "annex.xlsx"
LOCK_NAME = ".briefkit.lock"
#: The parameters every unit notebook receives, in this order (the overview: without unit_id).
UNIT_PARAMETERS = ("data_dir", "unit_id", "period", "convention", "targets_file",
                   "header_file", "index766_file", "output_dir")
STATUS_OK = "ok"
STATUS_FAILED = "failed"

_BRIEFING = ("briefing.ipynb", "briefing.html", "briefing.pdf")
_OVERVIEW = ("overview.ipynb", "overview.html", "overview.pdf")
_RESERVED = {KPIS_NAME, ANNEX_NAME, MANIFEST_NAME, LOCK_NAME, *_OVERVIEW}
#: The repository this module sits in (an editable install): where the default notebooks and
#: params/header.yaml live when the current folder has none.
SOURCE_ROOT = Path(__file__).resolve().parents[2]

#: ``renderer(executed_notebook, html_path, pdf_path)`` writes both files (default:
#: :func:`briefkit.render.render_notebook`).
Renderer = Callable[[Path, Path, Path], object]
#: ``annex_writer(path, kpi_table, period, provenance)`` writes the workbook (default:
#: :func:`briefkit.annex.write_annex`).
AnnexWriter = Callable[[Path, pd.DataFrame, Period, Mapping[str, Any]], object]


# ------------------------------------------------------------------------------- slugs

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_SLUG_MAX = 48
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                    *(f"LPT{i}" for i in range(10))}


def _short_hash(unit_id: str) -> str:
    return hashlib.sha256(unit_id.encode("utf-8")).hexdigest()[:8]


def unit_slug(unit_id: str) -> str:
    """A folder name for one unit id, on its own (see :func:`unit_slugs` for a set of ids).

    Vietnamese letters lose their diacritics (``Phường`` → ``Phuong``, ``đ`` → ``d``), every
    run of other characters than ``A-Z a-z 0-9 _ -`` becomes ``_``, and the result is cut to
    48 characters. Whenever that is not the id itself — or the id starts with ``-`` or is a
    Windows device name (``CON``, ``NUL``…) — ``-`` and the first 8 hex digits of the id's
    sha256 are appended: ``"../x"`` → ``x-<hash>``, ``"UBND Phường 1"`` →
    ``UBND_Phuong_1-<hash>``, ``"TP"`` → ``TP``. So a slug never holds a path separator or a
    dot (no ``..``, no hidden folder, no clash with ``kpis.csv``/``overview.html``), and two
    ids that clean up alike still get different folders.
    """
    text = unicodedata.normalize("NFKD", unit_id.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    base = _UNSAFE.sub("_", text).strip("_").lstrip("-")[:_SLUG_MAX].rstrip("_")
    if base and base == unit_id and base.upper() not in _WINDOWS_DEVICES:
        return base
    return f"{base or 'unit'}-{_short_hash(unit_id)}"


def unit_slugs(unit_ids: Iterable[str]) -> dict[str, str]:
    """Folder names for a set of unit ids: :func:`unit_slug`, plus the hash for ids that differ
    only in case (``TP`` and ``tp``), which would share a folder on the case-insensitive file
    systems of Windows and macOS. Computed over *all* units of units.csv, so a unit's folder
    does not depend on which ``--units`` a run asks for. Raises ValueError if two slugs
    still collide (a 32-bit hash collision: never seen, but never silent either)."""
    ids = list(dict.fromkeys(unit_ids))
    slugs = {u: unit_slug(u) for u in ids}
    groups: dict[str, list[str]] = defaultdict(list)
    for u in ids:
        groups[slugs[u].casefold()].append(u)
    for members in groups.values():
        if len(members) > 1:
            for u in members:
                if slugs[u] == u:
                    slugs[u] = f"{u}-{_short_hash(u)}"
    seen: dict[str, str] = {}
    for u in ids:
        other = seen.setdefault(slugs[u].casefold(), u)
        if other != u:
            raise ValueError(f"unit ids {other!r} and {u!r} map to the same folder "
                             f"{slugs[u]!r}; rename one of them")
    return slugs


# ------------------------------------------------------------------------------- types


@dataclass
class RunRequest:
    """What ``briefkit run`` is asked to do (the CLI options, as a value).

    ``units``: ids to run (kept as text, run in units.csv order); None = every unit.
    ``header``/``notebooks``: None = :func:`default_header_file` /
    :func:`default_notebooks_dir`. ``executor``: a name for :func:`get_executor` (ignored when
    :func:`run_batch` is given an executor object).
    """

    data: Path | str
    period: str
    out: Path | str
    convention: str = "calendar"
    targets: Path | str | None = None
    units: Sequence[str] | None = None
    header: Path | str | None = None
    notebooks: Path | str | None = None
    index766: Path | str | None = None
    executor: str = "papermill"


@dataclass(kw_only=True)
class StepResult:
    """A period-wide step (the overview, the annex); :class:`UnitResult` adds a unit's own
    fields. ``files`` are the published paths (absolute); ``detail`` the full traceback of a
    failure (not in the manifest, which keeps the one-line ``error``)."""

    name: str
    status: str
    duration: float
    error: str | None = None
    detail: str | None = field(default=None, repr=False)
    files: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK


@dataclass(kw_only=True)
class UnitResult(StepResult):
    """One unit's briefing."""

    unit_id: str
    slug: str
    execute_s: float | None = None
    render_s: float | None = None


@dataclass
class BatchResult:
    """What a run produced; ``exit_code`` is the contract's (0 all ok, 1 something failed)."""

    period: Period
    folder: Path
    kpis: Path
    manifest: Path
    units: list[UnitResult]
    overview: StepResult
    annex: StepResult
    executor: str
    started_at: datetime
    finished_at: datetime
    duration: float
    warnings: list[str] = field(default_factory=list)
    data_warnings: list[Problem] = field(default_factory=list)

    @property
    def failed_units(self) -> list[UnitResult]:
        return [u for u in self.units if not u.ok]

    @property
    def ok(self) -> bool:
        return not self.failed_units and self.overview.ok and self.annex.ok

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> dict[str, Any]:
        """Counts and timings for people (the CLI prints it) and benchmarks."""
        times = [u.duration for u in self.units]
        return {
            "units": len(self.units), "ok": len(self.units) - len(self.failed_units),
            "failed": len(self.failed_units),
            "failed_units": [u.unit_id for u in self.failed_units],
            "overview": self.overview.status, "annex": self.annex.status,
            "total_s": round(self.duration, 2),
            "mean_unit_s": round(sum(times) / len(times), 2) if times else None,
            "max_unit_s": round(max(times), 2) if times else None,
        }


# ------------------------------------------------------------------------ validation


def default_notebooks_dir() -> Path:
    """``./notebooks`` when it has the unit notebook, else the source tree's ``notebooks/``
    (so ``briefkit run`` works from any folder of a checkout); a project can bring its own
    notebooks by running from its folder or passing ``--notebooks``."""
    for candidate in (Path.cwd() / "notebooks", SOURCE_ROOT / "notebooks"):
        if (candidate / UNIT_NOTEBOOK).is_file():
            return candidate
    return Path.cwd() / "notebooks"


def default_header_file() -> Path | None:
    """``./params/header.yaml``, else the source tree's; None when neither exists."""
    for candidate in (Path.cwd() / "params" / "header.yaml",
                      SOURCE_ROOT / "params" / "header.yaml"):
        if candidate.is_file():
            return candidate
    return None


@dataclass
class _Plan:
    """Everything a run needs, checked; building it writes nothing."""

    request: RunRequest
    period: Period
    dataset: Dataset
    result: KpiResult
    units: list[tuple[str, str]]
    slugs: dict[str, str]
    data_dir: Path
    out_dir: Path
    unit_notebook: Path
    overview_notebook: Path
    header: Path | None
    targets: Path | None
    index766: Path | None
    executor: Executor
    owns_executor: bool
    renderer: Renderer
    annex_writer: AnnexWriter
    fingerprint: str

    @property
    def folder(self) -> Path:
        return self.out_dir / self.period.slug

    def base_parameters(self) -> dict[str, Any]:
        return {"data_dir": str(self.data_dir), "period": self.period.spec,
                "convention": self.period.convention, "targets_file": _text(self.targets),
                "header_file": _text(self.header), "index766_file": _text(self.index766)}

    def unit_parameters(self, unit_id: str, output_dir: Path) -> dict[str, Any]:
        base = self.base_parameters()
        values = {**base, "unit_id": str(unit_id), "output_dir": str(output_dir)}
        return {name: values[name] for name in UNIT_PARAMETERS}

    def overview_parameters(self, output_dir: Path) -> dict[str, Any]:
        return {**self.base_parameters(), "output_dir": str(output_dir)}


def _text(path: Path | None) -> str | None:
    """Paths go to notebooks as text: papermill writes them into the code as literals."""
    return None if path is None else str(path)


def _absolute(path: Path | str | None) -> Path | None:
    return None if path is None or str(path) == "" else Path(path).expanduser().resolve()


def _check_notebook(path: Path, option: str, problems: list[Problem]) -> None:
    import nbformat

    if not path.is_file():
        problems.append(Problem(option, f"notebook {str(path)!r} not found", rule="missing_file"))
        return
    try:
        nbformat.read(path, as_version=4)
    except Exception as exc:
        problems.append(Problem(option, f"{path.name} is not a readable notebook: {exc}",
                                rule="unreadable_file"))


def _check_header(path: Path, problems: list[Problem]) -> None:
    import yaml

    if not path.is_file():
        problems.append(Problem("--header", f"header file {str(path)!r} not found",
                                rule="missing_file"))
        return
    try:
        header = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(path.name, f"not valid YAML: {exc}", rule="unreadable_file"))
        return
    if not isinstance(header, Mapping) or not str(header.get("issuing_body") or "").strip():
        problems.append(Problem(path.name, "the header needs at least 'issuing_body' (see "
                                "params/header.yaml)", rule="missing_column"))


def _default_renderer() -> Renderer:
    from briefkit.render import render_notebook

    return render_notebook


def _default_annex_writer() -> AnnexWriter:
    from briefkit.annex import write_annex

    return write_annex


def _plan(request: RunRequest, executor: Executor | None, renderer: Renderer | None,
          annex_writer: AnnexWriter | None) -> _Plan:
    """Check everything, collecting every problem; raise one InputError. Writes nothing."""
    from briefkit.kpis import load_index766_weights
    from briefkit.targets import load_targets

    problems: list[Problem] = []
    period = None
    try:
        period = parse_period(request.period, request.convention)  # type: ignore[arg-type]
    except ValueError as exc:
        problems.append(Problem("--period", str(exc), rule="bad_period"))

    targets = _absolute(request.targets)
    if targets is not None:
        try:
            load_targets(targets)
        except InputError as exc:
            problems += exc.problems
    index766 = _absolute(request.index766)
    try:
        load_index766_weights(index766)
    except (OSError, ValueError) as exc:
        problems.append(Problem("--index766", str(exc), rule="unreadable_file"))

    header = _absolute(request.header) if request.header is not None else default_header_file()
    if header is not None:
        _check_header(header, problems)
    notebooks = _absolute(request.notebooks) or default_notebooks_dir().resolve()
    unit_notebook, overview_notebook = notebooks / UNIT_NOTEBOOK, notebooks / OVERVIEW_NOTEBOOK
    _check_notebook(unit_notebook, "--notebooks", problems)
    _check_notebook(overview_notebook, "--notebooks", problems)

    owns_executor = executor is None
    if executor is None:
        try:
            executor = get_executor(request.executor)
        except ValueError as exc:
            problems.append(Problem("--executor", str(exc), rule="unknown_executor"))
    try:
        renderer = renderer or _default_renderer()
    except ImportError as exc:
        problems.append(Problem("briefkit.render", f"cannot render briefings: {exc}",
                                rule="missing_module"))
    try:
        annex_writer = annex_writer or _default_annex_writer()
    except ImportError as exc:
        problems.append(Problem("briefkit.annex", f"cannot write the annex: {exc}",
                                rule="missing_module"))

    data_dir = Path(request.data).expanduser().resolve()
    dataset = None
    try:
        dataset = load_dataset(data_dir)
    except InputError as exc:
        problems += exc.problems

    units: list[tuple[str, str]] = []
    slugs: dict[str, str] = {}
    if dataset is not None:
        table = dataset.units
        all_ids = [str(u) for u in table["unit_id"]]
        names = dict(zip(all_ids, (str(n) for n in table["name"]), strict=True))
        try:
            slugs = unit_slugs(all_ids)
        except ValueError as exc:
            problems.append(Problem("units", str(exc), rule="duplicate_id"))
        # A unit that only groups others resolves nothing: its briefing would be empty. It
        # stays in the overview, the annex and kpis.csv, and --units can still ask for it.
        grouping_only = container_units(dataset)
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

    if problems:
        close = getattr(executor, "close", None)
        if owns_executor and callable(close):
            close()  # a plug-in may hold a cluster or kernels from its constructor
        raise InputError(problems)
    assert period is not None and dataset is not None and executor is not None
    assert renderer is not None and annex_writer is not None
    kpi_request = KpiRequest(data_dir, period.spec, period.convention, targets, index766)
    try:
        result = compute_request(kpi_request, dataset=dataset)
    except ValueError as exc:
        raise InputError([Problem(str(data_dir), str(exc))]) from exc
    return _Plan(request, period, dataset, result, units, slugs, data_dir,
                 Path(request.out).expanduser().resolve(), unit_notebook, overview_notebook,
                 header, targets, index766, executor, owns_executor, renderer, annex_writer,
                 data_fingerprint(dataset.files))


def _sample(ids: Sequence[str], n: int = 8) -> str:
    shown = ", ".join(repr(u) for u in ids[:n])
    return shown + (f" and {len(ids) - n} more" if len(ids) > n else "")


# -------------------------------------------------------------------------- running


@contextlib.contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """Create ``folder`` and hold an advisory lock on it for the run (POSIX; elsewhere a
    no-op). The OS releases it when the process dies, so a crash never leaves it stuck."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; one run at a time is on the user
        yield
        return
    with open(folder / LOCK_NAME, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError([Problem(str(folder), "another briefkit run is writing to this "
                                      "folder; wait for it to finish", rule="busy")]) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _is_temporary(path: Path) -> bool:
    return path.name.startswith(".") and ".part" in path.name


def _sweep(folder: Path) -> None:
    """Remove what killed runs left: hidden ``*.part`` staging folders and temp files."""
    for entry in folder.iterdir():
        if _is_temporary(entry):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _previous_files(folder: Path) -> dict[str, list[str]]:
    """Files the previous run's manifest listed, by unit id and by step (relative paths)."""
    import json

    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, list[str]] = {}
    for unit in manifest.get("units", []) or []:
        if isinstance(unit, Mapping) and isinstance(unit.get("unit_id"), str):
            out[f"unit:{unit['unit_id']}"] = [str(f) for f in unit.get("files", []) or []]
    for name, step in (manifest.get("steps", {}) or {}).items():
        if isinstance(step, Mapping):
            out[f"step:{name}"] = [str(f) for f in step.get("files", []) or []]
    return out


class _Publisher:
    """Moves staged files to their final names and deletes stale ones, never outside the
    period folder and never a file this run already published."""

    def __init__(self, folder: Path, previous: dict[str, list[str]]):
        self.folder = folder
        self.previous = previous
        self.published: set[Path] = set()

    def _inside(self, path: Path) -> bool:
        resolved = path.resolve()
        return resolved != self.folder.resolve() / MANIFEST_NAME and \
            resolved.is_relative_to(self.folder.resolve())

    def publish(self, staged: Sequence[tuple[Path, Path]], stale: Iterable[Path]) -> list[Path]:
        """``staged``: (staged file, final path) pairs, moved in order; ``stale``: final paths
        to delete unless they are among this run's outputs."""
        targets = {final for _, final in staged}
        for path in stale:
            if path not in targets and path not in self.published and self._inside(path) \
                    and (path.is_file() or path.is_symlink()):
                path.unlink()
        for source, final in staged:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, final)
            self.published.add(final)
        return [final for _, final in staged]

    def previous_paths(self, key: str) -> list[Path]:
        return [self.folder / rel for rel in self.previous.get(key, [])]


def _publish_rank(rel: Path, main: Sequence[str]) -> int:
    """Extras first, then the notebook, the HTML, and the PDF very last: once the PDF is in
    place, everything that goes with it is too."""
    return 1 + main.index(rel.name) if len(rel.parts) == 1 and rel.name in main else 0


def _staged_files(work: Path) -> list[Path]:
    return sorted(p for p in work.rglob("*") if p.is_file() and not _is_temporary(p))


def _render(renderer: Renderer, notebook: Path, html: Path, pdf: Path
            ) -> tuple[str | None, str | None, float]:
    """(error, detail, seconds) of rendering; a renderer that writes nothing is an error."""
    start = time.perf_counter()
    try:
        renderer(notebook, html, pdf)
    except Exception as exc:
        return (f"render: {type(exc).__name__}: {exc}".splitlines()[0],
                traceback.format_exc(), time.perf_counter() - start)
    missing = [p.name for p in (html, pdf) if not p.is_file()]
    if missing:
        return (f"render: the renderer wrote no {' / '.join(missing)}", None,
                time.perf_counter() - start)
    return None, None, time.perf_counter() - start


def _progress_bar(total: int, period: Period, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=f"briefkit {period.spec}", unit="unit", file=sys.stderr,
                disable=not (enabled and sys.stderr.isatty()), dynamic_ncols=True)


def _run_units(plan: _Plan, staging: Path, publisher: _Publisher,
               progress: bool) -> list[UnitResult]:
    jobs: list[Job] = []
    for unit_id, _ in plan.units:
        work = staging / plan.slugs[unit_id]
        work.mkdir()
        jobs.append(Job(unit_id, plan.unit_notebook, work / _BRIEFING[0],
                        plan.unit_parameters(unit_id, work)))
    names = dict(plan.units)
    results: dict[str, UnitResult] = {}
    bar = _progress_bar(len(jobs), plan.period, progress)
    try:
        for job, outcome in run_jobs(plan.executor, jobs):
            if job.key not in names or job.key in results:
                continue  # not ours, or reported twice: the first report stands
            unit = _finish_unit(plan, job, outcome, names[job.key], publisher)
            results[job.key] = unit
            bar.set_postfix_str(f"{unit.unit_id}: {'ok' if unit.ok else 'FAILED'}",
                                refresh=False)
            bar.update(1)
    finally:
        bar.close()
    for unit_id, name in plan.units:  # an execute_many that lost a job
        if unit_id not in results:
            results[unit_id] = UnitResult(unit_id=unit_id, name=name,
                                          slug=plan.slugs[unit_id], status=STATUS_FAILED,
                                          duration=0.0,
                                          error="the executor returned no outcome")
    return [results[unit_id] for unit_id, _ in plan.units]


def _finish_unit(plan: _Plan, job: Job, outcome: ExecutionOutcome, name: str,
                 publisher: _Publisher) -> UnitResult:
    """Render an executed unit notebook and publish the unit folder (see the module docstring
    for what a failed unit keeps). Never raises for this unit's own trouble."""
    unit_id, slug = job.key, plan.slugs[job.key]
    work, dest = job.output.parent, plan.folder / slug
    error, detail, render_s = outcome.error, outcome.detail, None
    if outcome.ok:
        error, detail, render_s = _render(plan.renderer, job.output, work / _BRIEFING[1],
                                          work / _BRIEFING[2])
    ok = outcome.ok and error is None
    staged = _staged_files(work) if ok else [p for p in (job.output,) if p.is_file()]
    staged.sort(key=lambda p: _publish_rank(p.relative_to(work), _BRIEFING))
    # Stale: the standard files, and what the last manifest listed for this unit *in its
    # folder* (a damaged manifest must not make one unit delete another's files).
    stale = [dest / n for n in _BRIEFING]
    stale += [p for p in publisher.previous_paths(f"unit:{unit_id}")
              if p.resolve().is_relative_to(dest.resolve())]
    try:
        files = publisher.publish([(p, dest / p.relative_to(work)) for p in staged], stale)
    except OSError as exc:  # permissions, a folder where a file should go, disk full…
        for leftover in (dest / _BRIEFING[1], dest / _BRIEFING[2]):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
        ok, error, detail = False, f"publish: {type(exc).__name__}: {exc}", \
            traceback.format_exc()
        files = [p for p in publisher.published if p.is_relative_to(dest) and p.is_file()]
    shutil.rmtree(work, ignore_errors=True)
    return UnitResult(unit_id=unit_id, name=name, slug=slug,
                      status=STATUS_OK if ok else STATUS_FAILED,
                      duration=outcome.duration + (render_s or 0.0),
                      execute_s=outcome.duration, render_s=render_s, error=error, detail=detail,
                      files=files)


def _run_overview(plan: _Plan, staging: Path, publisher: _Publisher,
                  warnings: list[str]) -> StepResult:
    folder = plan.folder
    work = staging / ".overview"
    work.mkdir()
    job = Job("*overview", plan.overview_notebook, work / _OVERVIEW[0],
              plan.overview_parameters(work))
    [(_, outcome)] = list(run_jobs(plan.executor, [job]))
    error, detail, render_s = outcome.error, outcome.detail, 0.0
    if outcome.ok:
        error, detail, render_s = _render(plan.renderer, job.output, work / _OVERVIEW[1],
                                          work / _OVERVIEW[2])
    ok = outcome.ok and error is None
    staged: list[tuple[Path, Path]] = []
    occupied = {*_RESERVED, *plan.slugs.values()} - set(_OVERVIEW)
    if ok:
        for path in _staged_files(work):
            rel = path.relative_to(work)
            if rel.parts[0] in occupied:
                warnings.append(f"overview: extra file {rel.as_posix()!r} not published: the "
                                f"name belongs to another output")
                continue
            staged.append((path, folder / rel))
        staged.sort(key=lambda pair: _publish_rank(pair[1].relative_to(folder), _OVERVIEW))
    elif job.output.is_file():
        staged = [(job.output, folder / _OVERVIEW[0])]
    stale = [folder / name for name in _OVERVIEW]
    stale += [p for p in publisher.previous_paths("step:overview")
              if p.parent == folder and p.name not in occupied]
    try:
        files = publisher.publish(staged, stale)
    except OSError as exc:
        for leftover in (folder / _OVERVIEW[1], folder / _OVERVIEW[2]):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
        ok, error, detail = False, f"publish: {type(exc).__name__}: {exc}", \
            traceback.format_exc()
        files = [final for _, final in staged if final.is_file() and final.name not in
                 _OVERVIEW[1:]]
    return StepResult(name="overview", status=STATUS_OK if ok else STATUS_FAILED,
                      duration=outcome.duration + render_s, error=error, detail=detail,
                      files=files)


def _run_annex(plan: _Plan, staging: Path, publisher: _Publisher,
               prov: Mapping[str, Any]) -> StepResult:
    start = time.perf_counter()
    work = staging / ".annex"
    work.mkdir()
    target = work / ANNEX_NAME
    error = detail = None
    try:
        plan.annex_writer(target, plan.result.table, plan.period, prov)
        if not target.is_file():
            error = "the annex writer wrote no file"
    except Exception as exc:
        error = f"annex: {type(exc).__name__}: {exc}".splitlines()[0]
        detail = traceback.format_exc()
    final = plan.folder / ANNEX_NAME
    try:
        files = publisher.publish([(target, final)] if error is None else [], [final])
    except OSError as exc:
        error, detail, files = f"publish: {type(exc).__name__}: {exc}", \
            traceback.format_exc(), []
    return StepResult(name="annex", status=STATUS_OK if error is None else STATUS_FAILED,
                      duration=time.perf_counter() - start, error=error, detail=detail,
                      files=files)


def _relative_files(files: Iterable[Path], folder: Path) -> list[str]:
    return [p.relative_to(folder).as_posix() for p in files]


def run_batch(request: RunRequest, *, executor: Executor | None = None,
              renderer: Renderer | None = None, annex_writer: AnnexWriter | None = None,
              progress: bool = True) -> BatchResult:
    """Run ``briefkit run`` (see the module docstring): validate, then write everything.

    Raises :class:`~briefkit.problems.InputError` — before writing anything, without creating
    the output folder — when the input is unusable. Failing units, overview or annex are
    reported in the result (``exit_code`` 1), never raised. ``executor``: an
    :class:`~briefkit.engines.Executor` object (the caller keeps ownership); default: the
    one ``request.executor`` names, closed at the end. ``renderer``/``annex_writer``: see
    :data:`Renderer` / :data:`AnnexWriter`. ``progress``: a progress bar on stderr when it is a
    terminal.
    """
    started, clock = local_now(), time.perf_counter()
    plan = _plan(request, executor, renderer, annex_writer)
    try:
        with _exclusive(plan.folder):
            return _execute(plan, started, clock, progress)
    finally:
        close = getattr(plan.executor, "close", None)
        if plan.owns_executor and callable(close):
            close()


def _execute(plan: _Plan, started: datetime, clock: float, progress: bool) -> BatchResult:
    folder = plan.folder
    _sweep(folder)
    publisher = _Publisher(folder, _previous_files(folder))
    (folder / MANIFEST_NAME).unlink(missing_ok=True)  # from now on the folder is "in progress"
    kpis = write_kpis_csv(plan.result, plan.out_dir)
    warnings: list[str] = []
    staging = Path(tempfile.mkdtemp(prefix=".run-", suffix=".part", dir=folder))
    try:
        units = _run_units(plan, staging, publisher, progress)
        overview = _run_overview(plan, staging, publisher, warnings)
        prov_parameters = {**plan.base_parameters(),
                           "units": list(plan.request.units) if plan.request.units else None}
        prov = provenance(plan.dataset, plan.period, prov_parameters, generated_at=started)
        annex = _run_annex(plan, staging, publisher, prov)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    if data_fingerprint(plan.dataset.files) != plan.fingerprint:
        warnings.append("the data files changed during the run: the briefings may not all "
                        "come from the same data; run again")
    finished = local_now()
    unit_rows = [{"unit_id": u.unit_id, "name": u.name, "slug": u.slug, "status": u.status,
                  "error": u.error, "duration_s": round(u.duration, 3),
                  "execute_s": None if u.execute_s is None else round(u.execute_s, 3),
                  "render_s": None if u.render_s is None else round(u.render_s, 3),
                  "files": _relative_files(u.files, folder)} for u in units]
    steps = {s.name: {"status": s.status, "error": s.error, "duration_s": round(s.duration, 3),
                      "files": _relative_files(s.files, folder)} for s in (overview, annex)}
    outputs = [kpis, *(f for u in units for f in u.files), *overview.files, *annex.files]
    parameters = {**plan.base_parameters(), "out": str(plan.out_dir),
                  "notebooks": str(plan.unit_notebook.parent),
                  "units": list(plan.request.units) if plan.request.units is not None else None,
                  "unit_parameters": list(UNIT_PARAMETERS)}
    manifest = write_manifest(
        folder / MANIFEST_NAME, period=plan.period, outputs=outputs,
        data_files=plan.dataset.files,
        other_inputs={"targets": plan.targets, "header": plan.header,
                      "index766": plan.index766 or DEFAULT_INDEX766_FILE,
                      "unit_notebook": plan.unit_notebook,
                      "overview_notebook": plan.overview_notebook},
        parameters=parameters, units=unit_rows, steps=steps,
        executor=getattr(plan.executor, "name", type(plan.executor).__name__),
        started_at=started, finished_at=finished, warnings=warnings)
    return BatchResult(plan.period, folder, kpis, manifest, units, overview, annex,
                       getattr(plan.executor, "name", type(plan.executor).__name__),
                       started, finished, time.perf_counter() - clock, warnings,
                       list(plan.dataset.warnings))

