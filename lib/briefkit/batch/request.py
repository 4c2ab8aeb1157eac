"""What ``briefkit run`` is asked (:class:`RunRequest`) and what it answers (the results)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from briefkit.coverage import DataSpan
from briefkit.periods import Period
from briefkit.problems import Problem

__all__ = [
    "KPIS_NAME",
    "OVERVIEW_NOTEBOOK",
    "STATUS_FAILED",
    "STATUS_OK",
    "UNIT_NOTEBOOK",
    "UNIT_PARAMETERS",
    "BatchResult",
    "RunRequest",
    "StepResult",
    "UnitResult",
]

UNIT_NOTEBOOK = "unit_briefing.ipynb"
OVERVIEW_NOTEBOOK = "overview.ipynb"
KPIS_NAME = "kpis.csv"
#: The parameters every unit notebook receives, in this order (the overview: without
#: unit_id). ``output_dir`` and ``bundle`` are relative to the notebook's working directory.
UNIT_PARAMETERS = ("data_dir", "unit_id", "period", "convention", "targets_file",
                   "header_file", "index766_file", "output_dir", "bundle")
STATUS_OK = "ok"
STATUS_FAILED = "failed"


@dataclass
class RunRequest:
    """What ``briefkit run`` is asked to do (the CLI options, as a value).

    ``units``: ids to run (kept as text, run in units.csv order); None = every unit.
    ``header``/``notebooks``: None = the defaults (see :mod:`briefkit.batch.plan`).
    ``executor``: how a notebook is executed (:func:`briefkit.engines.get_executor`;
    ignored when :func:`~briefkit.batch.run_batch` is given an executor object).
    ``workers``: worker processes (None = the machine's cores; 0 = everything in this
    process, one after the other). ``scheduler``: a Dask scheduler address
    (``tcp://host:8786``) to run the jobs on a cluster instead. ``force``: rebuild every
    output even where the previous run's still matches its inputs. ``timeout``: seconds a
    single briefing may take before its worker is stopped (None: no limit).
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
    executor: str = "inprocess"
    workers: int | None = None
    scheduler: str | None = None
    force: bool = False
    timeout: float | None = None


@dataclass(kw_only=True)
class StepResult:
    """A period-wide step (the overview, the annex); :class:`UnitResult` adds a unit's own
    fields. ``files`` are the published paths (absolute); ``detail`` the full traceback of a
    failure (not in the manifest, which keeps the one-line ``error``). ``reused``: the
    previous run's files still matched this step's inputs and were kept as they are."""

    name: str
    status: str
    duration: float
    error: str | None = None
    detail: str | None = field(default=None, repr=False)
    files: list[Path] = field(default_factory=list)
    input_key: str | None = None
    reused: bool = False
    execute_s: float | None = None
    render_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK


@dataclass(kw_only=True)
class UnitResult(StepResult):
    """One unit's briefing."""

    unit_id: str
    slug: str


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
    timings: dict[str, float] = field(default_factory=dict)
    #: The days the data cover (:mod:`briefkit.coverage`): the CLI warns about a period
    #: outside them.
    data_span: DataSpan | None = None

    @property
    def failed_units(self) -> list[UnitResult]:
        return [u for u in self.units if not u.ok]

    @property
    def ok(self) -> bool:
        return not self.failed_units and self.overview.ok and self.annex.ok

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def steps(self) -> list[StepResult]:
        return [*self.units, self.overview, self.annex]

    def summary(self) -> dict[str, Any]:
        """Counts and timings for people (the CLI prints it) and benchmarks."""
        built = [u.duration for u in self.units if not u.reused]
        return {
            "units": len(self.units), "ok": len(self.units) - len(self.failed_units),
            "failed": len(self.failed_units),
            "failed_units": [u.unit_id for u in self.failed_units],
            "rebuilt": sum(not s.reused for s in self.steps),
            "reused": sum(s.reused for s in self.steps),
            "overview": self.overview.status, "annex": self.annex.status,
            "total_s": round(self.duration, 2),
            "mean_unit_s": round(sum(built) / len(built), 2) if built else None,
            "max_unit_s": round(max(built), 2) if built else None,
            **{f"{k}_s": round(v, 2) for k, v in self.timings.items()},
        }
