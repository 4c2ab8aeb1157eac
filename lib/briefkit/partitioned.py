"""KPIs of a partitioned dataset, in this process or on a Dask cluster
(``briefkit kpis --data DATASET [--scheduler tcp://HOST:8786]``).

**Layout.** A partitioned dataset is a folder of data folders named hive-style,
``KEY=VALUE`` (``DATASET/province=01/``, ``DATASET/province=79/`` …), each a complete data
folder of the contract — best one written by ``briefkit convert`` (Parquet, read without
re-validation). The partitions are read in the order of their names. Each holds its own
units (no unit in two partitions; its parent and its mergers in ``unit_changes`` are in the
same partition, as validation requires), their dossiers, aggregates and documents, and the
same procedures table (the national catalogue) as every other partition. A plain data folder
is a dataset of one partition.

**Equal, by construction, to the in-memory result on the folder that concatenates the
partitions** (their units in partition order, the other tables likewise):

* each partition is read and validated where it lies (a worker), and its per-unit state is
  :class:`~briefkit.kpis.counts.UnitCounts` — the in-memory code itself, not a second
  implementation of the counts. A unit's base counts depend only on its own rows (its
  dossiers, aggregates, documents, its catalogue: its level and fields, the procedures, and
  whether it only groups its children — all within its partition), so the partition's
  counts *are* the rows of the whole dataset's counts;
* a partition also returns, for each period, its units × procedures matrix "received an
  online dossier" (:attr:`PeriodCounts.online`) and its catalogue; the driver stacks them
  into the whole dataset's :class:`~briefkit.kpis.counts.PeriodCounts`;
* the driver then builds the table with :class:`~briefkit.kpis.tables.KpiTables` on those
  counts: roll-ups add up numerators and denominators over the members of every partition,
  and the procedure-coverage KPIs count each procedure once over the union of the members'
  catalogues (a procedure with online dossiers in two provinces is one procedure of the
  national roll-up); mergers, targets, comparison and ranks are computed as in memory.

**Why ``client.map`` and not ``dask.dataframe``.** The unit of work is a partition's per-unit
counts, which the loader and :class:`UnitCounts` already compute (with the Biểu 06 rows
standing in for dossiers, units that only group others, procedure coverage); expressing them
again as ``dask.dataframe`` group-bys would be a second definition of every base count, to be
kept equal to the first by hand. ``client.map`` keeps each partition's loaded state on its
worker (loaded once, asked for as many periods as the table needs: the period, the same
period last year, the targets' baselines) and sends back only units × counts, the online
matrix and the partition's summary (its units and unit × procedure catalogue) — about 1.5 MB
for a province of 472 units (``make bench-national``), whatever its number of dossiers.

Workers read the partitions themselves: the dataset's path must be readable at the same
absolute path on every worker (a shared file system), and they need the driver's briefkit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from briefkit import __version__, schema
from briefkit.coverage import DataSpan, data_span
from briefkit.data import Dataset, load_dataset
from briefkit.data.convert import empty_frame
from briefkit.data.folder import partitions
from briefkit.kpis.catalogue import CatalogueArrays, catalogue_of
from briefkit.kpis.counts import PeriodCounts, UnitCounts
from briefkit.kpis.tables import KpiTables
from briefkit.periods import Period
from briefkit.pipeline import KpiRequest, KpiResult, check_target_units, request_parameters
from briefkit.problems import InputError, Problem

if TYPE_CHECKING:
    import distributed

__all__ = ["PartitionedCounts", "compute_partitioned", "is_partitioned",
           "partitions"]

def is_partitioned(dataset: Path | str) -> bool:
    """Whether ``dataset`` is a folder of ``KEY=VALUE`` partition folders."""
    return partitions(dataset) != [Path(dataset)]


# --- what a worker runs ----------------------------------------------------------------


@dataclass
class _Summary:
    """What the driver needs of a partition besides its counts (small tables)."""

    name: str
    units: pd.DataFrame
    procedures: pd.DataFrame
    unit_changes: pd.DataFrame
    catalogue: pd.DataFrame
    procedure_ids: pd.Index  # the columns of the partition's online matrices
    warnings: list[Problem]
    errors: list[Problem]
    span: DataSpan | None


class _Partition:
    """One partition, loaded on a worker: its :class:`UnitCounts` and :class:`_Summary`."""

    def __init__(self, folder: str, name: str, version: str) -> None:
        self.counts: UnitCounts | None = None
        empty = {t: empty_frame(schema.TABLES[t]) for t in ("units", "procedures",
                                                              "unit_changes")}
        errors: list[Problem] = []
        if version != __version__:
            errors.append(Problem(name, f"the worker runs briefkit {__version__}, the driver "
                                        f"{version}: workers need the driver's version",
                                  rule="version"))
            ds = None
        else:
            try:
                ds = load_dataset(folder)
            except InputError as exc:
                errors, ds = exc.problems, None
        if ds is None:
            self.summary = _Summary(name, empty["units"], empty["procedures"],
                                    empty["unit_changes"], pd.DataFrame(), pd.Index([]),
                                    [], _within(name, errors), None)
            return
        self.counts = UnitCounts(ds)
        self.summary = _Summary(name, ds.units, ds.procedures, ds.unit_changes,
                                catalogue_of(ds), self.counts.catalogue.procedure_ids,
                                _within(name, ds.warnings), [], data_span(ds))

    def period_counts(self, periods: Sequence[Period]
                      ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per period: the units' base counts, and the (unit position, procedure code) pairs
        of the online matrix (codes into the partition's catalogue's procedure ids)."""
        assert self.counts is not None
        out = []
        for counts in self.counts.of_many(periods):
            rows, columns = np.nonzero(counts.online)
            out.append((counts.counts, rows, columns))
        return out


def _within(name: str, problems: list[Problem]) -> list[Problem]:
    """The problems with their file named inside the partition (``province=01/dossiers.csv``)."""
    return [replace(p, file=f"{name}/{p.file}") for p in problems]


def _open(folder: str, name: str, version: str) -> _Partition:
    return _Partition(folder, name, version)


def _summary(partition: _Partition) -> _Summary:
    return partition.summary


def _period_counts(partition: _Partition, periods: Sequence[Period]
                   ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return partition.period_counts(periods)


# --- the driver --------------------------------------------------------------------------


class PartitionedCounts:
    """The base counts of a partitioned dataset (a :class:`~briefkit.kpis.tables.CountsSource`):
    each partition loaded once, in this process or on the workers of ``client``, and asked
    for the periods a table needs (see the module)."""

    def __init__(self, dataset: Path | str, client: distributed.Client | None = None) -> None:
        self.client = client
        folders = partitions(dataset)
        names = [p.name if p != Path(dataset) else "." for p in folders]
        paths = [str(p.resolve()) for p in folders]
        if client is None:
            self._handles: list[Any] = [_open(p, n, __version__)
                                        for p, n in zip(paths, names, strict=True)]
        else:
            self._handles = client.map(_open, paths, names, version=__version__, pure=False)
        summaries: list[_Summary] = self._map(_summary)
        errors = [p for s in summaries for p in s.errors]
        errors += _consistency_problems([s for s in summaries if not s.errors])
        if errors:
            raise InputError(errors)
        self.summaries = summaries
        self.dataset = Dataset(
            units=pd.concat([s.units for s in summaries], ignore_index=True),
            procedures=summaries[0].procedures,
            dossiers=empty_frame(schema.DOSSIERS),
            aggregates=empty_frame(schema.AGGREGATES),
            documents=empty_frame(schema.DOCUMENTS),
            files={},
            warnings=[w for s in summaries for w in s.warnings],
            unit_changes=pd.concat([s.unit_changes for s in summaries], ignore_index=True),
        )
        self.unit_ids = pd.Index(self.dataset.units["unit_id"].astype(str), name="unit_id")
        self.catalogue = CatalogueArrays.of(
            pd.concat([s.catalogue for s in summaries], ignore_index=True), self.unit_ids)
        spans = [s.span for s in summaries if s.span is not None]
        self.span = DataSpan(min(s.first for s in spans), max(s.last for s in spans)) \
            if spans else None

    def _map(self, fn: Callable[..., Any], **kwargs: Any) -> list[Any]:
        """``fn(partition, **kwargs)`` for every partition, in partition order."""
        if self.client is None:
            return [fn(h, **kwargs) for h in self._handles]
        return list(self.client.gather(self.client.map(fn, self._handles, pure=False,
                                                       **kwargs)))

    def of(self, period: Period) -> PeriodCounts:
        return self.of_many([period])[0]

    def of_many(self, periods: Sequence[Period]) -> list[PeriodCounts]:
        """The whole dataset's counts for each period: one round of tasks for them all."""
        per_partition = self._map(_period_counts, periods=list(periods))
        n_procedures = len(self.catalogue.procedure_ids)
        columns_of = [self.catalogue.procedure_ids.get_indexer(s.procedure_ids)
                      for s in self.summaries]
        result = []
        for i in range(len(periods)):
            blocks, online = [], np.zeros((len(self.unit_ids), n_procedures), dtype=bool)
            offset = 0
            for partition, column_of in zip(per_partition, columns_of, strict=True):
                counts, rows, columns = partition[i]
                online[offset + rows, column_of[columns]] = True
                blocks.append(counts)
                offset += len(counts)
            result.append(PeriodCounts(np.vstack(blocks), online, self.catalogue))
        return result


def _consistency_problems(summaries: list[_Summary]) -> list[Problem]:
    """Partitions that cannot make one dataset: a unit in two of them, another procedures
    table than the first partition's."""
    problems: list[Problem] = []
    if not summaries:
        return problems
    seen: dict[str, str] = {}
    for s in summaries:
        for unit in s.units["unit_id"].astype(str):
            if unit in seen:
                problems.append(Problem(f"{s.name}/units", f"unit {unit!r} is also in "
                                        f"partition {seen[unit]}: a unit belongs to one "
                                        f"partition", rule="duplicate_unit"))
            else:
                seen[unit] = s.name
    first = summaries[0]
    for s in summaries[1:]:
        if not s.procedures.reset_index(drop=True).equals(
                first.procedures.reset_index(drop=True)):
            problems.append(Problem(f"{s.name}/procedures", f"differs from the procedures of "
                                    f"{first.name}: every partition needs the same procedures "
                                    f"table", rule="procedures_differ"))
    return problems


def compute_partitioned(request: KpiRequest, client: distributed.Client | None = None
                        ) -> tuple[KpiResult, DataSpan | None]:
    """:func:`~briefkit.pipeline.compute_request` for a partitioned dataset (``request.data``),
    on ``client``'s cluster or in this process; also the data's span (for the notes)."""
    period, targets, weights = request_parameters(request)
    counts = PartitionedCounts(request.data, client)
    ds = counts.dataset
    check_target_units(targets, ds.units, period)
    tables = KpiTables(ds, weights, counts=counts)
    table = tables.table(period, targets)
    return KpiResult(period, ds, table, targets, request), counts.span
