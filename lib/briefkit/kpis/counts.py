"""Base counts per unit (:data:`BASE_COUNTS`), for as many periods as asked, sharing the work.

:class:`UnitCounts` reads a dataset once: each dossier's unit (as a position in units.csv),
its arrays (:class:`~briefkit.kpis.dossiers.DossierArrays`), the catalogue as codes, the
aggregate rows with their parsed periods, the documents' units and dates. A period then costs
its masks and one ``np.bincount`` per count over the unit positions.

Which figures a unit gets, period by period:

* dossier counts: the sum of the dossiers' flags;
* a unit with Biểu 06 rows and no dossier in play during the period (none received, none
  carried over): its rows' figures where they tile the period (all unknown where those rows
  do not chain, see :mod:`briefkit.kpis.aggregates`), else unknown (NaN) if it has no
  dossier at all; the counts its form does not carry (levels, inter-agency) are unknown;
* catalogue counts: its procedures (an aggregate-only unit's online coverage is unknown);
* document counts: its electronic documents sent in the period, and those signed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from briefkit.data.crosscheck import positions
from briefkit.data.factorized import factorize, per_distinct
from briefkit.kpis.aggregates import AggregateRows
from briefkit.kpis.catalogue import CatalogueArrays, _unit_ids, catalogue_of
from briefkit.kpis.dossiers import (
    DossierArrays,
    DossierGroups,
    dates_ns,
    distinct_online_levels,
    in_period,
)
from briefkit.kpis.registry import _CATALOGUE_COUNTS, _DOSSIER_COUNTS, BASE_COUNTS

if TYPE_CHECKING:
    from briefkit.data import Dataset
    from briefkit.periods import Period

#: Position of each base count in the columns of :attr:`PeriodCounts.counts`.
BASE_INDEX = {name: i for i, name in enumerate(BASE_COUNTS)}
_IN_PLAY = ["received_online", "received_direct", "received_postal", "carried_over"]
_UNKNOWN_COVERAGE = ["procedures_l3_with_online", "procedures_l4_with_online"]
#: From how many periods grouping the dossiers first is faster than flagging every dossier
#: for each period (at 10 M dossiers: 1.4 s to group, then ~0.02 s a period, against
#: ~0.6 s a period dossier by dossier; the figures are the same either way).
_GROUPING_PAYS = 3


@dataclass(frozen=True)
class PeriodCounts:
    """The base counts of every unit for one period (units × :data:`BASE_COUNTS`, floats, NaN
    where unknown) and what procedure coverage of a group of units needs."""

    counts: np.ndarray
    online: np.ndarray  # units × procedures: received an online dossier in the period
    catalogue: CatalogueArrays

    def column(self, name: str) -> np.ndarray:
        return self.counts[:, BASE_INDEX[name]]

    def group_coverage(self, members: np.ndarray) -> np.ndarray:
        """:data:`_CATALOGUE_COUNTS` of the units of a boolean mask, each procedure once."""
        return self.catalogue.group_coverage(members, self.online)


class UnitCounts:
    """Base counts per unit of one dataset, for any period (see the module)."""

    def __init__(self, ds: Dataset) -> None:
        self.unit_ids = pd.Index(ds.units["unit_id"].astype(str), name="unit_id")
        dossiers = ds.dossiers
        # each id column is hashed once: units and procedures are looked up per distinct id
        # (the loader's checks have factorized them already: briefkit.data.factorized)
        unit = per_distinct(dossiers["unit_id"], self.unit_ids.get_indexer, -1)
        self.with_dossiers = {str(u) for u in factorize(dossiers["unit_id"])[1]}
        procedure, distinct_procedures = factorize(dossiers["procedure_id"])
        if (unit < 0).any():  # dossiers of units outside units.csv are counted nowhere
            dossiers, unit, procedure = dossiers[unit >= 0], unit[unit >= 0], \
                procedure[unit >= 0]
        self.dossier_unit = unit
        level = np.append(distinct_online_levels(ds, distinct_procedures), np.nan)[procedure]
        self.dossiers = DossierArrays.of(dossiers, level)
        self.catalogue = CatalogueArrays.of(catalogue_of(ds, self.with_dossiers), self.unit_ids)
        self.dossier_procedure = np.append(
            self.catalogue.procedure_codes(distinct_procedures), -1)[procedure]
        self.aggregates = AggregateRows(ds.aggregates)
        self.reporting = _unit_ids(ds.aggregates)
        documents = ds.documents
        self.document_unit = positions(self.unit_ids, documents["unit_id"])
        self.document_sent, self.document_dated = dates_ns(documents["sent_at"])
        self.document_electronic = documents["electronic"].to_numpy(dtype=bool)
        self.document_signed = documents["digitally_signed"].to_numpy(dtype=bool)

    def _per_unit(self, unit: np.ndarray, flag: np.ndarray,
                  weight: np.ndarray | None = None) -> np.ndarray:
        keep = flag & (unit >= 0)
        return np.bincount(unit[keep], None if weight is None else weight[keep],
                           minlength=len(self.unit_ids)).astype(float)

    def of(self, period: Period) -> PeriodCounts:
        """The base counts of every unit for the period, from every dossier's flags."""
        return self._counts(period, DossierGroups.every(self.dossiers, self.dossier_unit,
                                                        self.dossier_procedure))

    def of_many(self, periods: Sequence[Period]) -> list[PeriodCounts]:
        """:meth:`of` for each period, in one pass over the dossiers: they are first put in
        the groups that every count of these periods treats alike
        (:meth:`~briefkit.kpis.dossiers.DossierArrays.grouped`), then each period counts the
        groups. The same figures as :meth:`of`, exactly."""
        groups = self.dossiers.grouped(self.dossier_unit, self.dossier_procedure, periods) \
            if len(periods) >= _GROUPING_PAYS else None
        if groups is None:
            return [self.of(period) for period in periods]
        return [self._counts(period, groups) for period in periods]

    def _counts(self, period: Period, groups: DossierGroups) -> PeriodCounts:
        """The period's counts from the flags of the groups' members, each standing for its
        group's dossiers."""
        online_in = groups.online.online & groups.online.received_in(period)
        online = self.catalogue.online_matrix(groups.online_unit, groups.online_procedure,
                                              online_in)
        flags, unit, weight = groups.arrays.flags(period), groups.unit, groups.weight
        column = {name: self._per_unit(unit, flags[name], weight) for name in _DOSSIER_COUNTS}
        column["received_direct_or_postal"] = column["received_direct"] + column["received_postal"]

        # Biểu 06 rows stand in for dossiers, unit by unit and period by period: where a unit
        # has no dossier in play during the period and its rows tile the period, the rows are
        # its figures — a ward that reported counts before it moved onto the system keeps its
        # history. Where both exist, dossier data wins (the loader warns). A unit known only
        # from rows that do not cover the period is unknown, not zero.
        # _IN_PLAY is not empty, so the sum is an array, never sum()'s start value 0
        in_play = cast(np.ndarray, sum(column[name] for name in _IN_PLAY))
        candidates = [u for i, u in enumerate(self.unit_ids)
                      if u in self.reporting and in_play[i] == 0]
        unknown_units = np.zeros(len(self.unit_ids), dtype=bool)
        if candidates:
            from_agg = self.aggregates.figures(period, candidates)
            unknown = [u for u in candidates if u not in self.with_dossiers and u not in from_agg]
            unknown_units[self.unit_ids.get_indexer(pd.Index([*unknown, *from_agg]))] = True
            for values in column.values():
                values[unknown_units] = np.nan
            for unit_id, figure in from_agg.items():
                row = self.unit_ids.get_loc(unit_id)
                for name, value in figure.items():
                    column[name][row] = value
        column["received_new"] = column["received_online"] + column["received_direct_or_postal"]
        column["received_total"] = column["received_new"] + column["carried_over"]
        column["resolved_in_time"] = column["resolved_early"] + column["resolved_on_time"]
        column["handled_in_time_766"] = column["resolved_in_time"] + column["pending_in_time"]

        coverage = self.catalogue.unit_coverage(online)
        for i, name in enumerate(_CATALOGUE_COUNTS):
            column[name] = coverage[:, i]
            if name in _UNKNOWN_COVERAGE:  # their online dossiers are unknown, so is this
                column[name][unknown_units] = np.nan

        electronic = self.document_electronic & in_period(self.document_sent,
                                                          self.document_dated, period)
        column["documents_electronic"] = self._per_unit(self.document_unit, electronic)
        column["documents_signed"] = self._per_unit(self.document_unit,
                                                    electronic & self.document_signed)
        counts = np.column_stack([column[name] for name in BASE_COUNTS])
        return PeriodCounts(counts, online, self.catalogue)

    def frame(self, period: Period) -> pd.DataFrame:
        """:meth:`of` as a frame indexed by unit_id (the order of units.csv)."""
        return pd.DataFrame(self.of(period).counts, index=self.unit_ids, columns=BASE_COUNTS)


def unit_counts(ds: Dataset, period: Period) -> pd.DataFrame:
    """Base counts (:data:`BASE_COUNTS`) per unit for a period, indexed by unit_id in the
    order of units.csv. Counts are floats so that unknown can be NaN (an aggregate-only
    unit that did not report the period, or a count its form does not carry)."""
    return UnitCounts(ds).frame(period)
