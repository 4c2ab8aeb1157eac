"""From files to a KPI table: the one path every command and notebook takes.

Kept apart from the CLI so notebooks, the batch runner and tests call exactly what
``briefkit kpis`` calls. Input is checked in full (targets, data) before anything is computed,
and nothing is written until everything is computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from briefkit.data import Dataset, load_dataset
from briefkit.data.factorized import per_distinct
from briefkit.formatting import is_missing
from briefkit.iorw import atomic_write_text, real_folder
from briefkit.kpis import KPIS, compute_kpis, kpis_csv_frame, load_index766_weights
from briefkit.kpis.registry import ScoreRule
from briefkit.periods import Period, parse_period
from briefkit.problems import InputError
from briefkit.targets import Targets, load_targets
from briefkit.textsafety import csv_text


@dataclass
class KpiRequest:
    data: Path | str
    period: str
    convention: str = "calendar"
    targets: Path | str | None = None
    index766: Path | str | None = None


@dataclass
class KpiResult:
    period: Period
    dataset: Dataset
    table: pd.DataFrame
    targets: Targets | None = None
    request: KpiRequest | None = field(default=None, repr=False)


def request_parameters(request: KpiRequest
                       ) -> tuple[Period, Targets | None, dict[str, ScoreRule]]:
    """The request's period, targets and Decision-766 weights (InputError/ValueError on bad
    ones): what every way of computing its table (one folder, partitions) starts from."""
    period = parse_period(request.period, request.convention)  # type: ignore[arg-type]
    targets = load_targets(request.targets) if request.targets else None
    return period, targets, load_index766_weights(request.index766)


def check_target_units(targets: Targets | None, units: pd.DataFrame, period: Period) -> None:
    """InputError for the targets' overrides of units the data does not have
    (:meth:`~briefkit.targets.Targets.unit_problems`)."""
    if targets is not None and (problems := targets.unit_problems(units["unit_id"], period)):
        raise InputError(problems)


def compute_request(request: KpiRequest, dataset: Dataset | None = None) -> KpiResult:
    """Parse the period, load targets and data (raising InputError/ValueError on bad input),
    and compute the KPI table. ``dataset`` skips loading when the caller already has it."""
    period, targets, weights = request_parameters(request)
    ds = dataset if dataset is not None else load_dataset(request.data)
    check_target_units(targets, ds.units, period)
    table = compute_kpis(ds, period, targets, weights=weights)
    return KpiResult(period, ds, table, targets, request)


def _csv_number(x: object) -> str:
    """Counts print as integers, fractions with full precision, missing as empty."""
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return ""
    number = float(x)  # type: ignore[arg-type]  # a count or a fraction: float() reads both
    if number.is_integer():
        return str(int(number))
    return repr(number)


#: The numeric columns of kpis.csv; every other column is text.
KPI_CSV_NUMBERS = ("numerator", "denominator", "value", "target")


def kpis_csv_text(table: pd.DataFrame) -> str:
    """kpis.csv's text: numbers by :func:`_csv_number`; text cells by
    :func:`briefkit.textsafety.csv_text` (control characters shown as ``\\x1b``,
    formula-like text after an apostrophe, so no cell is a formula in a spreadsheet)."""
    frame = kpis_csv_frame(table).copy()
    for column in frame.columns:
        if column in KPI_CSV_NUMBERS:
            frame[column] = _each_distinct(frame[column], _csv_number)
        else:
            frame[column] = _each_distinct(
                frame[column], lambda v: "" if is_missing(v) else csv_text(v))
    return frame.to_csv(index=False, lineterminator="\n")


def _each_distinct(values: pd.Series, cell: Callable[[object], str]) -> np.ndarray:
    """``cell`` of every value, computed once per distinct value (a national table has
    hundreds of thousands of rows and a few thousand names, ids and statuses)."""
    return per_distinct(values, lambda distinct: np.array([cell(u) for u in distinct],
                                                          dtype=object), cell(None))


def write_kpis_csv(result: KpiResult, out_dir: Path | str) -> Path:
    """Write OUT/<period>/kpis.csv atomically; the period folder is created only now.

    Nothing below ``out_dir`` is followed: a symbolic link in place of the period folder is
    replaced by a real folder (:func:`briefkit.iorw.real_folder`), one in place of kpis.csv
    by the file (a rename replaces the link itself), so their targets are never written."""
    path = real_folder(Path(out_dir) / result.period.slug) / "kpis.csv"
    atomic_write_text(path, kpis_csv_text(result.table))
    return path


__all__ = ["KPIS", "KpiRequest", "KpiResult", "compute_request", "kpis_csv_text",
           "write_kpis_csv"]
