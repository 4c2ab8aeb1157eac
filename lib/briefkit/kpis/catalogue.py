"""The catalogue (which procedures each unit offers) and the procedure-coverage counts.

A unit offers the procedures of its level, narrowed to its fields (lĩnh vực). Coverage counts
*distinct procedures*: a procedure offered by five wards is one procedure of their roll-up, and
it "has online dossiers" when any of those wards received one for it in the period.
:class:`CatalogueArrays` holds the catalogue as integer codes so that a period's coverage is a
lookup in a unit × procedure matrix of "received an online dossier".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from briefkit.data.factorized import per_distinct

if TYPE_CHECKING:
    from briefkit.data import Dataset

def unit_catalogue(units: pd.DataFrame, procedures: pd.DataFrame) -> pd.DataFrame:
    """The (unit_id, procedure_id, online_level) pairs a unit offers: procedures of its level,
    narrowed to its ``fields`` (lĩnh vực, ``;``-separated) where it has any."""
    fields = units[["unit_id", "level"]].copy()
    raw_fields = units["fields"] if "fields" in units else pd.Series(pd.NA, index=units.index)
    fields["field_key"] = raw_fields.astype("object").where(raw_fields.notna(), None)
    fields["field_key"] = fields["field_key"].map(
        lambda v: [_field_key(f) for f in str(v).split(";") if f.strip()] if v else [None])
    fields = fields.explode("field_key")
    procs = procedures[["procedure_id", "level", "online_level"]].copy()
    procs["proc_field_key"] = procedures["field"].map(_field_key)
    pairs = fields.merge(procs, on="level", how="inner")
    keep = pairs["field_key"].isna() | (pairs["field_key"] == pairs["proc_field_key"])
    pairs = pairs.loc[keep, ["unit_id", "procedure_id", "online_level"]]
    return pairs.drop_duplicates(["unit_id", "procedure_id"]).reset_index(drop=True)


def _unit_ids(frame: pd.DataFrame) -> set[str]:
    """The distinct unit ids of a frame (unique first: 100k rows, a few dozen units)."""
    return {str(u) for u in frame["unit_id"].unique()}


def container_units(ds: Dataset, dossier_units: set[str] | None = None) -> set[str]:
    """Units that only group others: someone's parent, with no dossier and no aggregate row of
    their own (a district People's Committee above its departments). They resolve nothing, so
    they offer no catalogue to judge; their counts are zeros, their rates not applicable.
    ``dossier_units``: the dossiers' distinct unit ids, when the caller has them already."""
    parents = set(ds.units["parent_id"].dropna().astype(str)) if "parent_id" in ds.units \
        else set()
    if dossier_units is None:
        dossier_units = _unit_ids(ds.dossiers)
    return parents - (dossier_units | _unit_ids(ds.aggregates))


def catalogue_of(ds: Dataset, dossier_units: set[str] | None = None) -> pd.DataFrame:
    units = ds.units[~ds.units["unit_id"].astype(str).isin(container_units(ds, dossier_units))]
    return unit_catalogue(units, ds.procedures)


def _field_key(name: object) -> str | None:
    if name is None or (isinstance(name, float) and np.isnan(name)) or name is pd.NA:
        return None
    return " ".join(str(name).casefold().split())



@dataclass(frozen=True)
class CatalogueArrays:
    """The catalogue's rows as codes: ``unit`` (position in the units, -1 if unknown),
    ``procedure`` (position in ``procedure_ids``) and ``level`` (online level, float)."""

    unit: np.ndarray
    procedure: np.ndarray
    level: np.ndarray
    procedure_ids: pd.Index
    n_units: int

    @classmethod
    def of(cls, catalogue: pd.DataFrame, unit_ids: pd.Index) -> CatalogueArrays:
        procedure, procedure_ids = pd.factorize(catalogue["procedure_id"])
        return cls(unit_ids.get_indexer(pd.Index(catalogue["unit_id"])), procedure,
                   catalogue["online_level"].to_numpy(dtype=float), pd.Index(procedure_ids),
                   len(unit_ids))

    def procedure_codes(self, procedure_ids: pd.Series | pd.Index) -> np.ndarray:
        """Position of each id in :attr:`procedure_ids` (-1 where no unit offers it)."""
        return per_distinct(procedure_ids, self.procedure_ids.get_indexer, -1)

    def online_matrix(self, unit: np.ndarray, procedure: np.ndarray,
                      online_in: np.ndarray) -> np.ndarray:
        """unit × procedure: True where the unit received an online dossier for the procedure
        (per dossier: ``unit`` position, ``procedure`` code, ``online_in`` flag)."""
        keep = online_in & (unit >= 0) & (procedure >= 0)
        matrix = np.zeros((self.n_units, len(self.procedure_ids)), dtype=bool)
        matrix[unit[keep], procedure[keep]] = True
        return matrix

    def unit_coverage(self, online: np.ndarray) -> np.ndarray:
        """units × :data:`_CATALOGUE_COUNTS`: each unit's own procedures (its catalogue has
        each procedure once)."""
        mine = self.unit >= 0
        unit, level = self.unit[mine], self.level[mine]
        has = online[unit, self.procedure[mine]]
        # floats, as every base count (NaN marks unknown ones): np.bincount of an empty
        # catalogue (no unit offers a procedure of its level) is int64 whatever the weights
        return np.column_stack([np.bincount(unit, weights=c, minlength=self.n_units)
                                for c in _coverage_columns(level, has)]).astype(float)

    @cached_property
    def _by_unit(self) -> tuple[np.ndarray, np.ndarray]:
        """The catalogue's rows ordered by unit (in catalogue order within a unit), and where
        each unit's run starts in that order (``n_units + 1`` bounds)."""
        order = np.argsort(self.unit, kind="stable")
        bounds = np.searchsorted(self.unit[order], np.arange(self.n_units + 1))
        return order, bounds

    def rows_of(self, members: np.ndarray) -> np.ndarray:
        """The catalogue rows of the units of a boolean mask, in catalogue order: read from
        each member's run (a merger's group of a few units reads a few dozen rows, not the
        whole catalogue — a national table has tens of thousands of such groups)."""
        order, bounds = self._by_unit
        units = np.flatnonzero(members)
        starts, lengths = bounds[units], bounds[units + 1] - bounds[units]
        within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths,
                                                           lengths)
        return np.sort(order[np.repeat(starts, lengths) + within])

    def group_coverage(self, members: np.ndarray, online: np.ndarray) -> np.ndarray:
        """:data:`_CATALOGUE_COUNTS` of a group of units (``members``: a boolean mask over the
        units), counting each procedure once: its online level is that of its first catalogue
        row in the group, and it has online dossiers if any member got one for it."""
        rows = self.rows_of(members)
        procedure = self.procedure[rows]
        distinct, first = np.unique(procedure, return_index=True)
        has_row = online[self.unit[rows], procedure]
        has = np.bincount(procedure, weights=has_row, minlength=len(self.procedure_ids)) > 0
        columns = _coverage_columns(self.level[rows[first]], has[distinct])
        return np.array([float(c.sum()) for c in columns])


def _coverage_columns(level: np.ndarray, has_online: np.ndarray) -> list[np.ndarray]:
    """The 0/1 columns of :data:`_CATALOGUE_COUNTS`, one entry per (unit or group, procedure)."""
    l3, l4 = level == 3, level == 4
    return [l3, l3 & has_online, l4, l4 & has_online, level >= 3]
