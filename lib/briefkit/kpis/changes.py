"""Units that merged (``unit_changes``): a unit's figures across a merger, period by period.

A row of unit_changes says that ``from_unit_id`` became part of ``to_unit_id`` on
``effective_date`` (the first day of the new unit; the former unit's last day is the day
before). Chains (A → B, later B → C) are followed: C's *former units* are B and A.

For a period, a former unit is **alive** when the period starts before its end (its
effective date); then:

* the former unit keeps its own rows (its own dossiers);
* the unit it became part of (directly or down a chain) gets its own figures **plus** those
  of its alive former units: numerators and denominators added up over the units that
  report them (as roll-ups add up their members: never an average of rates), the
  procedure-coverage KPIs counted over the union of their catalogues. Its rows say
  ``basis = "predecessors"`` (``"own"`` otherwise).

A former unit that is no longer alive (the period starts on or after its end) has no rows:
it is not in the table, kpis.csv, the annex or the briefings of that period. What is left of
its dossiers then (received before its end, carried over, resolved or still pending after
it: the new unit took them over) counts for the unit it became part of.

Roll-ups (``*``, ``*xa`` …) add up every unit's *own* figures, whatever the mergers: each
dossier is counted once, by the unit that received it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from briefkit.kpis.counts import BASE_INDEX, PeriodCounts
from briefkit.kpis.registry import ROLLUP_ALL

if TYPE_CHECKING:
    from briefkit.data import Dataset
    from briefkit.periods import Period

__all__ = ["BASIS_OWN", "BASIS_PREDECESSORS", "Merge", "UnitChanges"]

BASIS_OWN = "own"
BASIS_PREDECESSORS = "predecessors"

#: A former unit that is no longer alive still adds to the new unit where any of these is
#: not zero in the period (dossiers it left open, documents sent late).
_ACTIVITY = np.array([BASE_INDEX[name] for name in ("received_online", "received_direct",
                                                     "received_postal", "carried_over",
                                                     "documents_electronic")])


@dataclass(frozen=True)
class Merge:
    """One unit's figures for one period as the sum over several units' base counts.

    ``position``: the unit's position in units.csv; ``summed``: the positions whose
    numerators and denominators are added up (the unit first); ``catalogues``: a boolean mask
    over the units whose catalogues the procedure-coverage KPIs count, or None when they stay
    the unit's own (no former unit alive in the period)."""

    position: int
    summed: np.ndarray
    catalogues: np.ndarray | None


class UnitChanges:
    """The unit_changes of one dataset, over its units.csv (see the module)."""

    def __init__(self, changes: pd.DataFrame, unit_ids: pd.Index) -> None:
        self.unit_ids = unit_ids
        known = changes["from_unit_id"].isin(unit_ids) & changes["to_unit_id"].isin(unit_ids) \
            & changes["effective_date"].notna()
        changes = changes[known].drop_duplicates("from_unit_id")
        self.successor: dict[str, str] = dict(zip(
            changes["from_unit_id"].astype(str), changes["to_unit_id"].astype(str),
            strict=True))
        self.end: dict[str, pd.Timestamp] = {
            str(u): pd.Timestamp(d) for u, d in zip(changes["from_unit_id"],
                                                    changes["effective_date"], strict=True)}
        direct: dict[str, list[str]] = {}
        for former, new in self.successor.items():
            direct.setdefault(new, []).append(former)
        order = {u: i for i, u in enumerate(unit_ids)}
        #: unit → its former units, directly or down a chain, in units.csv order
        self.predecessors: dict[str, list[str]] = {}
        for unit in direct:
            found: list[str] = []
            todo = list(direct[unit])
            while todo:
                former = todo.pop()
                if former == unit or former in found:
                    raise ValueError(f"unit_changes loop through unit {former!r}")
                found.append(former)
                todo.extend(direct.get(former, []))
            self.predecessors[unit] = sorted(found, key=order.__getitem__)

    @classmethod
    def of(cls, ds: Dataset) -> UnitChanges:
        changes = getattr(ds, "unit_changes", None)
        if changes is None:
            changes = pd.DataFrame({"from_unit_id": pd.Series([], dtype="str"),
                                    "to_unit_id": pd.Series([], dtype="str"),
                                    "effective_date": pd.Series([], dtype="datetime64[ns]")})
        return cls(changes, pd.Index(ds.units["unit_id"].astype(str), name="unit_id"))

    def __bool__(self) -> bool:
        return bool(self.successor)

    def alive(self, unit_id: str, period: Period) -> bool:
        """Whether the unit exists during (part of) the period: it never ended, or the
        period starts before its end."""
        end = self.end.get(unit_id)
        return end is None or period.start < end

    def former(self, period: Period) -> list[str]:
        """The units that ended before the period starts (they have no rows in it)."""
        return [u for u in self.successor if not self.alive(u, period)]

    def alive_predecessors(self, unit_id: str, period: Period) -> list[str]:
        """The unit's former units alive in the period (their figures are in the unit's)."""
        return [u for u in self.predecessors.get(unit_id, []) if self.alive(u, period)]

    def successor_in(self, unit_id: str, period: Period) -> str:
        """The unit whose rows hold the unit's dossiers in the period: itself while alive,
        else the unit it became part of (down a chain)."""
        while not self.alive(unit_id, period) and unit_id in self.successor:
            unit_id = self.successor[unit_id]
        return unit_id

    @cached_property
    def _positions(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """For each unit with former units: its position in units.csv, its former units'
        positions (in :attr:`predecessors` order; -1 if absent) and their ends (ns)."""
        where = {u: i for i, u in enumerate(self.unit_ids)}
        return [(where.get(unit, -1),
                 np.array([where.get(u, -1) for u in formers], dtype=np.int64),
                 np.array([self.end[u].value for u in formers], dtype=np.int64))
                for unit, formers in self.predecessors.items()]

    def merges(self, counts: PeriodCounts, period: Period) -> list[Merge]:
        """The units whose figures for the period add up former units' (see :class:`Merge`):
        a former unit counts while it is alive (:meth:`alive`: the period starts before its
        end), and once ended where it still has activity in the period."""
        start = pd.Timestamp(period.start).value
        merges = []
        for unit, formers, ends in self._positions:
            alive = ends > start
            ended = formers[~alive]
            busy = np.nansum(counts.counts[np.ix_(ended, _ACTIVITY)], axis=1) > 0
            if not alive.any() and not busy.any():
                continue
            own = np.concatenate([[unit], formers[alive]])
            catalogues = None
            if alive.any():
                catalogues = np.zeros(len(self.unit_ids), dtype=bool)
                catalogues[own] = True
            merges.append(Merge(unit, np.concatenate([own, ended[busy]]), catalogues))
        return merges

    def restrict(self, table: pd.DataFrame, period: Period) -> pd.DataFrame:
        """A period's table as the period's units show it: ``basis`` says which units' figures
        add up former units', the units that ended before the period have no rows, and
        neither has the roll-up of a level none of whose units is left (after the 2025
        reform: "Các đơn vị cấp huyện", a row of zeros otherwise)."""
        if not self:
            return table
        merged = [u for u in self.predecessors if self.alive_predecessors(u, period)]
        table.loc[table["unit_id"].isin(merged), "basis"] = BASIS_PREDECESSORS
        gone = table["unit_id"].isin(self.former(period))
        if not gone.any():
            return table
        rollup = table["is_rollup"].astype(bool)
        levels_left = set(table.loc[~gone & ~rollup, "level"].astype(str))
        empty = rollup & (table["unit_id"] != ROLLUP_ALL) \
            & ~table["level"].astype(str).isin(levels_left)
        return table[~gone & ~empty].reset_index(drop=True)

    def describe(self, units: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
        """unit → its former units (``unit_id``, ``name``, ``until``: the ISO date of its
        end), for the prepared bundle and the sentence naming them."""
        names = dict(zip(units["unit_id"].astype(str), units["name"].astype(str), strict=True))
        return {unit: [{"unit_id": u, "name": names.get(u, u),
                        "until": self.end[u].date().isoformat()} for u in formers]
                for unit, formers in self.predecessors.items()}
