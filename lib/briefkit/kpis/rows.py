"""KPI rows from base counts: one row per unit × KPI, then one per roll-up × KPI.

A row's ``numerator`` and ``denominator`` are the base counts its :class:`KpiDef` names and
its ``value`` is derived by :func:`_value`, the one place a value is derived. Roll-ups (``*``
and ``*huyen`` …) add up their members' numerators and denominators over the members that
report both (an unreported member is left out of both, never counted as zero) — except that
a count is unknown when a member with figures for the period lacks it (a ward's Biểu 06
without the postal split): the members' total, not the part of it some members report; the
procedure-coverage KPIs count distinct procedures of the members' catalogues instead.
:class:`TableLayout` holds what does not depend on the period (which rows, the units' names,
kinds and levels), so a period's table is its three number columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from briefkit.kpis.changes import BASIS_OWN, Merge
from briefkit.kpis.counts import BASE_INDEX, PeriodCounts
from briefkit.kpis.registry import (
    _CATALOGUE_COUNTS,
    _KPI_LIST,
    BIEU06_COLUMNS,
    KPI_CSV_COLUMNS,
    ROLLUP_ALL,
    ROLLUP_KIND,
    ROLLUP_NAMES,
    KpiDef,
    ScoreRule,
)

if TYPE_CHECKING:
    from briefkit.periods import Period

def _value(kpi: KpiDef, num: pd.Series, den: pd.Series,
           weights: Mapping[str, ScoreRule]) -> pd.Series:
    """The one place a KPI's value is derived from its numerator and denominator."""
    if kpi.kind == "count":
        return num.astype(float)
    ratio = num / den.where(den > 0)
    if kpi.kind == "rate":
        return ratio
    rule = weights[kpi.id]
    # np.minimum on a Series returns a Series (__array_ufunc__); numpy's stubs say ndarray
    return cast(pd.Series, rule.points * np.minimum(1.0, ratio / rule.full_at))


def rollup_groups(units: pd.DataFrame) -> dict[str, list[str]]:
    """Roll-up id → member unit ids: ``*`` for all units, ``*<level>`` for each present level."""
    ids = units["unit_id"].astype(str)
    groups = {ROLLUP_ALL: ids.tolist()}
    for level in ("tinh", "huyen", "xa"):
        members = ids[units["level"] == level].tolist()
        if members:
            groups[f"*{level}"] = members
    return groups



# Per KPI (in registry order): its numerator's and denominator's base-count column (the
# denominator of a count is an extra column of NaN), and how roll-ups combine it.
_NAN_COLUMN = len(BASE_INDEX)
_NUMERATOR = np.array([BASE_INDEX[k.numerator] for k in _KPI_LIST])
_DENOMINATOR = np.array([BASE_INDEX[k.denominator] if k.denominator else _NAN_COLUMN
                         for k in _KPI_LIST])
_HAS_DENOMINATOR = np.array([k.denominator is not None for k in _KPI_LIST])
#: A member has figures for the period where its Biểu 06 total (column 3) is known.
_RECEIVED_TOTAL = BASE_INDEX["received_total"]
_DISTINCT = [(i, k) for i, k in enumerate(_KPI_LIST) if k.rollup == "distinct_procedures"]
_DISTINCT_INDEX = np.array([i for i, _ in _DISTINCT], dtype=np.int64)


class TableLayout:
    """The rows of a KPI table and its period-independent columns, for one units table.

    Rows: every unit (units.csv order) for each KPI (registry order), then each roll-up of
    :func:`rollup_groups` with its KPIs. Columns: unit_id, unit_name, kind, level, is_rollup,
    kpi; :meth:`tables` adds period, numerator, denominator and value.
    """

    def __init__(self, units: pd.DataFrame) -> None:
        unit_ids = units["unit_id"].astype(str)
        self.n_units = len(unit_ids)
        groups = rollup_groups(units)
        index = pd.Index(unit_ids)
        self.groups: list[tuple[np.ndarray, np.ndarray]] = []  # (positions, mask) of members
        for members in groups.values():
            mask = np.zeros(self.n_units, dtype=bool)
            mask[index.get_indexer(pd.Index(members))] = True
            self.groups.append((index.get_indexer(pd.Index(members)), mask))
        ids = unit_ids.tolist()  # Python strings once, not once per KPI from Arrow
        skeleton = pd.DataFrame({
            "unit_id": [u for _ in _KPI_LIST for u in ids]
                       + [g for g in groups for _ in _KPI_LIST],
            "kpi": [k.id for k in _KPI_LIST for _ in ids]
                   + [k.id for _ in groups for k in _KPI_LIST],
        })
        by_id = units.set_index(unit_ids)
        names = by_id["name"].astype(str).to_dict() | ROLLUP_NAMES
        skeleton.insert(1, "unit_name", skeleton["unit_id"].map(names))
        skeleton.insert(2, "kind", skeleton["unit_id"].map(by_id["kind"].astype(str).to_dict())
                        .fillna(ROLLUP_KIND))
        skeleton.insert(3, "level", skeleton["unit_id"].map(by_id["level"].astype(str).to_dict())
                        .fillna(skeleton["unit_id"].str.removeprefix("*").replace({"": pd.NA})))
        skeleton.insert(4, "is_rollup", skeleton["unit_id"].str.startswith("*")
                        & ~skeleton["unit_id"].isin(by_id.index))
        self.skeleton = skeleton
        # The rows of each KPI: its units, then its row in each roll-up.
        n_kpis, n_unit_rows = len(_KPI_LIST), len(_KPI_LIST) * self.n_units
        self.kpi_rows = [np.concatenate([
            np.arange(k * self.n_units, (k + 1) * self.n_units),
            n_unit_rows + np.arange(len(groups)) * n_kpis + k]) for k in range(n_kpis)]

    def fractions(self, counts: PeriodCounts, merges: Sequence[Merge] = ()
                  ) -> tuple[np.ndarray, np.ndarray]:
        """numerator and denominator of every row, for one period's counts. ``merges``: the
        units whose rows add up former units' figures (:mod:`briefkit.kpis.changes`), as a
        roll-up of them would; roll-ups add up every unit's own figures."""
        base = np.column_stack([counts.counts, np.full(self.n_units, np.nan)])
        numerators = [base[:, _NUMERATOR].T.ravel()]
        denominators = [base[:, _DENOMINATOR].T.ravel()]
        known = ~np.isnan(counts.column("procedures_l3_with_online"))
        for positions, members in self.groups:
            num, den = _group_fractions(base, counts, positions, members, known)
            numerators.append(num)
            denominators.append(den)
        for merge in merges:
            num, den = _group_fractions(base, counts, merge.summed, merge.catalogues, known)
            rows = merge.position + np.arange(len(_KPI_LIST)) * self.n_units
            numerators[0][rows] = num
            denominators[0][rows] = den
        return np.concatenate(numerators), np.concatenate(denominators)

    def tables(self, periods: Sequence[Period], counts: Sequence[PeriodCounts],
               weights: Mapping[str, ScoreRule],
               merges: Sequence[Sequence[Merge]] | None = None) -> list[pd.DataFrame]:
        """The periods' KPI tables (no target, no comparison), from each period's counts
        (and merges, see :meth:`fractions`). Values are derived KPI by KPI for all the
        periods at once. ``basis`` is ``own`` on every row (the caller marks merged units)."""
        merges = merges if merges is not None else [()] * len(counts)
        pairs = [self.fractions(c, m) for c, m in zip(counts, merges, strict=True)]
        numerator = np.vstack([num for num, _ in pairs])  # periods × rows
        denominator = np.vstack([den for _, den in pairs])
        value = np.empty_like(numerator)
        for kpi, rows in zip(_KPI_LIST, self.kpi_rows, strict=True):
            value[:, rows] = _value(kpi, pd.Series(numerator[:, rows].ravel()),
                                    pd.Series(denominator[:, rows].ravel()),
                                    weights).to_numpy().reshape(len(pairs), len(rows))
        tables = []
        for i, period in enumerate(periods):
            table = self.skeleton.copy()
            table.insert(5, "period", period.spec)
            table["numerator"] = numerator[i]
            table["denominator"] = denominator[i]
            table["value"] = value[i]
            table["basis"] = BASIS_OWN
            tables.append(table)
        return tables


def _group_fractions(base: np.ndarray, counts: PeriodCounts, positions: np.ndarray,
                     catalogues: np.ndarray | None, known: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator per KPI of a group of units: sums over the units at
    ``positions`` that report both (a count: unknown when one with figures lacks it, see
    :func:`_rollup_sums`); the procedure-coverage KPIs count distinct procedures of
    the catalogues of ``catalogues`` (a boolean mask over the units; None: keep the first
    unit's own, the unit of a merge whose former units have all ended)."""
    members = base[positions]
    num, den = _rollup_sums(members[:, _NUMERATOR], members[:, _DENOMINATOR],
                            ~np.isnan(members[:, _RECEIVED_TOTAL]))
    if catalogues is None:
        num[_DISTINCT_INDEX] = base[positions[0], _NUMERATOR[_DISTINCT_INDEX]]
        den[_DISTINCT_INDEX] = base[positions[0], _DENOMINATOR[_DISTINCT_INDEX]]
        return num, den
    # A coverage *rate* can only use units whose online dossiers are known (not the
    # aggregate-only ones); the count of procedures offered online uses every catalogue.
    covered = {True: counts.group_coverage(catalogues & known),
               False: counts.group_coverage(catalogues)}
    for i, kpi in _DISTINCT:
        coverage = covered[kpi.denominator is not None]
        num[i] = coverage[_CATALOGUE_COUNTS.index(kpi.numerator)]
        if kpi.denominator:
            den[i] = coverage[_CATALOGUE_COUNTS.index(kpi.denominator)]
    return num, den


def _rollup_sums(num: np.ndarray, den: np.ndarray, present: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Members × KPIs → the roll-up's numerator and denominator per KPI: sums over the members
    that report both (NaN when none does; a count's denominator stays NaN). ``present``: the
    members with figures for the period; a count that one of them lacks is NaN — a rate may
    leave a member out of both its terms, but a count is the members' total: the part of it
    some members report (the postal split of all but an aggregate-only ward) would understate
    it without a word. A member without any figure (a ward that did not report the period)
    is left out, as before."""
    reported = ~np.isnan(num) & (~np.isnan(den) | ~_HAS_DENOMINATOR)
    any_reported = reported.any(axis=0)
    lacking = (present[:, None] & ~reported).any(axis=0) & ~_HAS_DENOMINATOR
    num_total = np.where(any_reported & ~lacking,
                         np.where(reported, num, 0.0).sum(axis=0), np.nan)
    den_total = np.where(any_reported & _HAS_DENOMINATOR,
                         np.where(reported, den, 0.0).sum(axis=0), np.nan)
    return num_total, den_total


def rank_units(table: pd.DataFrame) -> pd.Series:
    """Rank of each unit within each KPI (1 = best; ties share the better rank). Roll-ups,
    KPIs without a direction and units without a value get no rank."""
    direction = table["kpi"].map({k.id: k.direction for k in _KPI_LIST})
    score = table["value"].where(~table["is_rollup"] & direction.notna())
    score = score.where(direction != "lower", -score)
    return score.groupby(table["kpi"]).rank(ascending=False, method="min")


def bieu06_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Biểu 06 as a wide frame: one row per unit (and roll-up), columns 3…13 in form order.

    Built from the KPI table so the form and kpis.csv can never disagree; column (5) is what
    (3) holds besides (4) and (6).
    """
    counts = table.pivot_table(index="unit_id", columns="kpi", values="value", sort=False,
                               dropna=False, aggfunc="first")
    # Column (5) by the form's identity, not as received_direct + received_postal: a ward
    # reporting Biểu 06 counts without the optional received_postal has no split (nor has a
    # roll-up of it).
    counts["received_direct_or_postal"] = (counts["received_total"] - counts["received_online"]
                                           - counts["carried_over"])
    meta = table.drop_duplicates("unit_id").set_index("unit_id")[
        ["unit_name", "kind", "level", "is_rollup"]]
    wide = meta.join(counts[[c for _, _, _, c in BIEU06_COLUMNS]])
    return wide.rename(columns={c: n for n, _, _, c in BIEU06_COLUMNS})


def kpis_csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The contract's kpis.csv columns, in its order."""
    return table[KPI_CSV_COLUMNS]

