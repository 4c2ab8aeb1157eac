"""KPI tables of one or many periods, sharing the work: the public entry points.

:class:`KpiTables` reads a dataset once (:class:`~briefkit.kpis.counts.UnitCounts`,
:class:`~briefkit.kpis.rows.TableLayout`) and keeps each period's raw table (figures without
targets) once computed. The table of a period, its comparison with the same period last year,
the ``baseline_plus`` baselines of its targets and the trend history all read the same raw
tables: 8 quarters of history with their baselines are 9 raw tables, not 24 computations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from briefkit.kpis.changes import UnitChanges
from briefkit.kpis.counts import PeriodCounts, UnitCounts
from briefkit.kpis.registry import STATUS_NA, ScoreRule, load_index766_weights
from briefkit.kpis.rows import TableLayout, rank_units

if TYPE_CHECKING:
    from briefkit.data import Dataset
    from briefkit.periods import Period
    from briefkit.targets import Targets


class CountsSource(Protocol):
    """What :class:`KpiTables` reads the base counts from (:class:`UnitCounts`)."""

    def of_many(self, periods: Sequence[Period]) -> list[PeriodCounts]: ...


class KpiTables:
    """The KPI tables of one dataset and one set of Decision-766 weights, for any periods.

    Build one per dataset and ask it for as many tables as needed; it must not outlive
    changes to the dataset's frames (it reads them once). ``counts``: where the base counts
    come from (default: :class:`UnitCounts` of ``ds``; a partitioned dataset's come from its
    partitions, :class:`briefkit.partitioned.PartitionedCounts`, and ``ds`` then only needs
    its units and unit_changes).
    """

    def __init__(self, ds: Dataset, weights: Mapping[str, ScoreRule] | None = None, *,
                 counts: CountsSource | None = None) -> None:
        self.weights = weights if weights is not None else load_index766_weights()
        self.counts = counts if counts is not None else UnitCounts(ds)
        self.layout = TableLayout(ds.units)
        self.changes = UnitChanges.of(ds)
        self._raw: dict[Period, pd.DataFrame] = {}

    def prefetch(self, periods: Iterable[Period]) -> None:
        """Compute the raw tables of those periods that are not computed yet, together."""
        missing = list(dict.fromkeys(p for p in periods if p not in self._raw))
        if missing:
            counts = self.counts.of_many(missing)
            merges = [self.changes.merges(c, p) for c, p in zip(counts, missing, strict=True)]
            tables = self.layout.tables(missing, counts, self.weights, merges)
            self._raw.update((p, self.changes.restrict(t, p))
                             for p, t in zip(missing, tables, strict=True))

    def raw_table(self, period: Period) -> pd.DataFrame:
        """unit_id, unit_name, kind, level, is_rollup, period, kpi, numerator, denominator,
        value, basis: the figures of a period, computed once (each call returns a copy).
        Units that merged: see :mod:`briefkit.kpis.changes`."""
        self.prefetch([period])
        return self._raw[period].copy()

    def needed(self, periods: Iterable[Period], targets: Targets | None = None, *,
               compare: bool = False) -> list[Period]:
        """The periods whose raw tables the tables of ``periods`` read: themselves, the same
        periods last year with ``compare``, and the previous years that their targets'
        ``baseline_plus`` rules start from."""
        needed = []
        for period in periods:
            needed.append(period)
            if compare:
                needed.append(period.shift_years(-1))
            if targets is not None and _has_baseline_rule(targets, period.year):
                needed.append(period.year_period().shift_years(-1))
        return list(dict.fromkeys(needed))

    def table(self, period: Period, targets: Targets | None = None, *,
              compare: bool = True) -> pd.DataFrame:
        """The KPI table of a period (see :func:`compute_kpis`)."""
        self.prefetch(self.needed([period], targets, compare=compare))
        table = self.raw_table(period)
        if targets is not None:
            from briefkit.targets import apply_targets

            table = apply_targets(table, targets, period, baseline=self.raw_table)
        else:
            table["target"] = np.nan
            table["status"] = STATUS_NA
        if compare:
            previous = self.raw_table(period.shift_years(-1))
            table = table.merge(previous[["unit_id", "kpi", "value"]].rename(
                columns={"value": "value_prev"}), on=["unit_id", "kpi"], how="left")
            table["change"] = table["value"] - table["value_prev"]
            table["rank"] = rank_units(table)
        return table

    def history(self, period: Period, n: int = 8, targets: Targets | None = None
                ) -> pd.DataFrame:
        """The tables of the ``n`` periods ending with ``period`` (see :func:`kpi_history`)."""
        periods = period.trailing(n)
        self.prefetch(self.needed(periods, targets))
        frames = []
        for order, each in enumerate(periods):
            frame = self.table(each, targets, compare=False)
            frames.append(frame.assign(period_label=each.label(), period_order=order))
        return pd.concat(frames, ignore_index=True)


def compute_kpis(ds: Dataset, period: Period, targets: Targets | None = None, *,
                 weights: Mapping[str, ScoreRule] | None = None,
                 compare: bool = True) -> pd.DataFrame:
    """The KPI table for a period: one row per unit (and roll-up) × KPI.

    Columns: unit_id, unit_name, kind, level, is_rollup, period, kpi, numerator, denominator,
    value, basis (``own``, or ``predecessors`` where the figures add up former units', see
    :mod:`briefkit.kpis.changes`), target, status (and target_rule with ``targets``), and
    with ``compare``: value_prev (same period last year), change (value − value_prev; points
    of a fraction for rates) and rank (1 = best among units, for KPIs with a direction;
    roll-ups unranked).
    """
    return KpiTables(ds, weights).table(period, targets, compare=compare)


def kpi_history(ds: Dataset, period: Period, n: int = 8, targets: Targets | None = None, *,
                weights: Mapping[str, ScoreRule] | None = None) -> pd.DataFrame:
    """KPI tables of the ``n`` periods ending with ``period`` (oldest first), stacked, with
    ``period_label`` (Vietnamese) and ``period_order`` (0 = oldest) for trend charts."""
    return KpiTables(ds, weights).history(period, n, targets)


def kpi_tables(ds: Dataset, period: Period, n: int = 8, targets: Targets | None = None, *,
               weights: Mapping[str, ScoreRule] | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(compute_kpis(ds, period, targets, weights=weights), kpi_history(ds, period, n,
    targets, weights=weights))``, computing each period's figures once for both."""
    tables = KpiTables(ds, weights)
    tables.prefetch(tables.needed([period], targets, compare=True)
                    + tables.needed(period.trailing(n), targets))
    return tables.table(period, targets), tables.history(period, n, targets)


def _has_baseline_rule(targets: Targets, year: int) -> bool:
    """Whether some rule of the year (a default or a unit's) is a ``baseline_plus``."""
    rules = targets.years.get(year)
    if rules is None:
        return False
    every = [*rules.defaults.values(), *(r for unit in rules.units.values()
                                         for r in unit.values())]
    return any(rule.kind == "baseline_plus" for rule in every)
