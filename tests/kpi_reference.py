"""The KPI computation as it was before the multi-period engine (briefkit 0.1, kpis.py), kept
as the reference the engine must match exactly: one full computation per period, pandas
groupbys and merges. Only the per-period path is copied; the definitions it reads (the KPI
registry, :func:`_value`, the catalogue, roll-up groups, ranks, targets) are the library's.

Used by tests/test_history.py and benchmarks/bench_kpis.py; not part of the library. The
one addition to the old code is a cache of raw tables (see :func:`_raw_table`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from briefkit.kpis import (
    _KPI_LIST,
    BASE_COUNTS,
    KPIS,
    ROLLUP_ALL,
    ROLLUP_KIND,
    ROLLUP_NAMES,
    STATUS_NA,
    KpiDef,
    ScoreRule,
    _value,
    load_index766_weights,
    rank_units,
    rollup_groups,
)
from briefkit.kpis.catalogue import _unit_ids, catalogue_of as _catalogue
from briefkit.kpis.registry import _DOSSIER_COUNTS
from briefkit.periods import Period, parse_period

if TYPE_CHECKING:
    from briefkit.data import Dataset
    from briefkit.targets import Targets


def _dossier_indicators(dossiers: pd.DataFrame, online_level: pd.Series,
                        period: Period) -> pd.DataFrame:
    """One 0/1 column per dossier base count, for the given period (vectorised)."""
    start, end = period.start, period.end
    received = dossiers["received_at"]
    resolved = dossiers["resolved_at"]
    due = dossiers["due_at"]
    channel = dossiers["channel"].to_numpy()
    online = channel == "truc_tuyen"

    received_in = ((received >= start) & (received <= end)).to_numpy()
    resolved_in = ((resolved >= start) & (resolved <= end)).to_numpy()  # NaT compares False
    open_at_start = (resolved.isna() | (resolved >= start)).to_numpy()
    carried = (received < start).to_numpy() & open_at_start
    pending = (received <= end).to_numpy() & (resolved.isna() | (resolved > end)).to_numpy()
    early = resolved_in & (resolved < due).to_numpy()
    on_time = resolved_in & (resolved == due).to_numpy()
    late = resolved_in & (resolved > due).to_numpy()
    level = online_level.to_numpy()
    l3, l4 = level == 3, level == 4
    inter_agency = dossiers["inter_agency"].to_numpy(dtype=bool)

    return pd.DataFrame({
        "unit_id": dossiers["unit_id"].to_numpy(),
        "received_online": received_in & online,
        "received_direct": received_in & (channel == "truc_tiep"),
        "received_postal": received_in & (channel == "buu_chinh"),
        "carried_over": carried,
        "resolved_total": resolved_in,
        "resolved_early": early,
        "resolved_on_time": on_time,
        "resolved_late": late,
        "resolved_online": resolved_in & online,
        "pending_total": pending,
        "pending_in_time": pending & (due >= end).to_numpy(),
        "pending_overdue": pending & (due < end).to_numpy(),
        "returned_by_post": resolved_in & dossiers["returned_by_post"].to_numpy(dtype=bool),
        "apology_sent": late & dossiers["apology_sent"].to_numpy(dtype=bool),
        "received_l3": received_in & l3,
        "online_received_l3": received_in & l3 & online,
        "received_l4": received_in & l4,
        "online_received_l4": received_in & l4 & online,
        "ia_received_l3": received_in & l3 & inter_agency,
        "ia_online_received_l3": received_in & l3 & inter_agency & online,
        "ia_received_l4": received_in & l4 & inter_agency,
        "ia_online_received_l4": received_in & l4 & inter_agency & online,
    })


def _online_levels(ds: Dataset, dossiers: pd.DataFrame) -> pd.Series:
    """Each dossier's procedure online level (2, 3, 4), aligned with ``dossiers``."""
    levels = ds.procedures.set_index("procedure_id")["online_level"]
    return dossiers["procedure_id"].map(levels).astype("float")



def _coverage_counts(catalogue: pd.DataFrame, online_pairs: pd.DataFrame,
                     group_of_unit: pd.Series) -> pd.DataFrame:
    """Procedure-coverage counts per group, counting each procedure once within a group."""
    pairs = catalogue.assign(group=catalogue["unit_id"].map(group_of_unit)).dropna(
        subset=["group"])
    pairs = pairs.merge(online_pairs.assign(has_online=True), on=["unit_id", "procedure_id"],
                        how="left")
    pairs["has_online"] = pairs["has_online"].fillna(False).astype(bool)
    distinct = (pairs.groupby(["group", "procedure_id"], sort=False)
                .agg(online_level=("online_level", "first"), has_online=("has_online", "any"))
                .reset_index())
    lv = distinct["online_level"].to_numpy()
    indicators = pd.DataFrame({
        "group": distinct["group"].to_numpy(),
        "procedures_l3": lv == 3,
        "procedures_l3_with_online": (lv == 3) & distinct["has_online"].to_numpy(),
        "procedures_l4": lv == 4,
        "procedures_l4_with_online": (lv == 4) & distinct["has_online"].to_numpy(),
        "procedures_online": lv >= 3,
    })
    return indicators.groupby("group", sort=False).sum()


def _aggregate_counts(ds: Dataset, period: Period, units: Iterable[str]) -> pd.DataFrame:
    """Base counts of aggregate-only units, from Biểu 06 rows that exactly tile the period.

    A period made of several reported periods (a half-year from two quarters) adds up the
    flows, takes the carried-over count of the first and the pending counts of the last.
    A unit whose rows do not cover the period exactly gets no row (unknown, not zero); one
    whose rows do not chain (carried over ≠ the pending of the row before) gets NaN figures.
    """
    agg = ds.aggregates
    rows = []
    unchained = []
    wanted = set(units)
    if agg.empty or not wanted:
        return pd.DataFrame(columns=_DOSSIER_COUNTS)
    parsed = [parse_period(str(p), period.convention) for p in agg["period"]]
    agg = agg.assign(_start=[p.start for p in parsed], _end=[p.end for p in parsed])
    inside = agg[agg["unit_id"].isin(wanted) & (agg["_start"] >= period.start)
                 & (agg["_end"] <= period.end)]
    for unit_id, part in inside.sort_values("_start").groupby("unit_id", sort=True):
        starts, ends = part["_start"].tolist(), part["_end"].tolist()
        contiguous = all(s == e + pd.Timedelta(days=1) for s, e in zip(starts[1:], ends[:-1],
                                                                          strict=True))
        if not (starts[0] == period.start and ends[-1] == period.end and contiguous):
            continue
        first, last = part.iloc[0], part.iloc[-1]
        pending = (part["pending_in_time"] + part["pending_overdue"]).tolist()
        chained = all(c == p for c, p in zip(part["carried_over"].tolist()[1:], pending[:-1],
                                              strict=True))
        if not chained:
            unchained.append(unit_id)

        def total(column: str, part: pd.DataFrame = part) -> float:
            values = part[column] if column in part else pd.Series([pd.NA])
            return float("nan") if values.isna().any() else float(values.sum())

        direct_or_postal = total("received_direct_or_postal")
        postal = total("received_postal")
        rows.append({
            "unit_id": unit_id,
            "received_online": total("received_online"),
            "received_postal": postal,
            "received_direct": direct_or_postal - postal,
            "received_direct_or_postal": direct_or_postal,
            "carried_over": float(first["carried_over"]),
            "resolved_early": total("resolved_early"),
            "resolved_on_time": total("resolved_on_time"),
            "resolved_late": total("resolved_late"),
            "resolved_online": total("resolved_online"),
            "pending_in_time": float(last["pending_in_time"]),
            "pending_overdue": float(last["pending_overdue"]),
            "returned_by_post": total("returned_by_post"),
            "apology_sent": total("apology_sent"),
        })
    frame = pd.DataFrame(rows).set_index("unit_id") if rows else pd.DataFrame(
        columns=_DOSSIER_COUNTS)
    if rows:
        frame["resolved_total"] = (frame["resolved_early"] + frame["resolved_on_time"]
                                   + frame["resolved_late"])
        frame["pending_total"] = frame["pending_in_time"] + frame["pending_overdue"]
        frame.loc[unchained, :] = np.nan
    return frame


def unit_counts(ds: Dataset, period: Period, *, catalogue: pd.DataFrame | None = None,
                online_pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Base counts (:data:`BASE_COUNTS`) per unit for a period, indexed by unit_id in the
    order of units.csv. Counts are floats so that unknown can be NaN (an aggregate-only
    unit that did not report the period, or a count its form does not carry).
    ``catalogue`` and ``online_pairs`` save recomputing what the caller already has."""
    unit_ids = ds.units["unit_id"].astype(str)
    dossiers = ds.dossiers
    indicators = _dossier_indicators(dossiers, _online_levels(ds, dossiers), period)
    counts = (indicators.groupby("unit_id", sort=False).sum()
              .reindex(unit_ids, fill_value=0).astype(float))

    counts["received_direct_or_postal"] = counts["received_direct"] + counts["received_postal"]

    # Biểu 06 rows stand in for dossiers, unit by unit and period by period: where a unit has
    # no dossier in play during the period (none received, none carried over) and its rows
    # tile the period, the rows are its figures — a ward that reported counts before it moved
    # onto the system keeps its history. Where both exist, dossier data wins (the loader
    # warns). A unit known only from rows that do not cover the period is unknown, not zero.
    in_play = counts[["received_online", "received_direct", "received_postal",
                      "carried_over"]].sum(axis=1)
    reporting = _unit_ids(ds.aggregates)
    candidates = [u for u in unit_ids if u in reporting and in_play[u] == 0]
    from_aggregates: list[str] = []
    if candidates:
        from_agg = _aggregate_counts(ds, period, candidates)
        from_aggregates = list(from_agg.index)
        with_dossiers = _unit_ids(dossiers)
        unknown = [u for u in candidates if u not in with_dossiers and u not in from_agg.index]
        counts.loc[unknown + from_aggregates, :] = np.nan
        if from_aggregates:
            counts.loc[from_agg.index, from_agg.columns] = from_agg.astype(float)
        from_aggregates += unknown
    counts["received_new"] = counts["received_online"] + counts["received_direct_or_postal"]
    counts["received_total"] = counts["received_new"] + counts["carried_over"]
    counts["resolved_in_time"] = counts["resolved_early"] + counts["resolved_on_time"]
    counts["handled_in_time_766"] = counts["resolved_in_time"] + counts["pending_in_time"]

    catalogue = _catalogue(ds) if catalogue is None else catalogue
    online_pairs = _online_pairs(dossiers, period) if online_pairs is None else online_pairs
    coverage = _coverage_counts(catalogue, online_pairs, pd.Series(unit_ids.values,
                                                                    index=unit_ids.values))
    coverage = coverage.reindex(unit_ids, fill_value=0).astype(float)
    if from_aggregates:  # their online dossiers are unknown, so is their coverage
        coverage.loc[from_aggregates, ["procedures_l3_with_online",
                                       "procedures_l4_with_online"]] = np.nan
    counts = counts.join(coverage)

    documents = ds.documents
    sent_in = period.contains(documents["sent_at"]).to_numpy()
    electronic = documents["electronic"].to_numpy(dtype=bool) & sent_in
    doc_counts = pd.DataFrame({
        "unit_id": documents["unit_id"].to_numpy(),
        "documents_electronic": electronic,
        "documents_signed": electronic & documents["digitally_signed"].to_numpy(dtype=bool),
    }).groupby("unit_id", sort=False).sum().reindex(unit_ids, fill_value=0).astype(float)
    counts = counts.join(doc_counts)
    counts.index.name = "unit_id"
    return counts[BASE_COUNTS]


def _online_pairs(dossiers: pd.DataFrame, period: Period) -> pd.DataFrame:
    online_in = (dossiers["channel"] == "truc_tuyen") & period.contains(dossiers["received_at"])
    return dossiers.loc[online_in, ["unit_id", "procedure_id"]].drop_duplicates()



def _kpi_rows(counts: pd.DataFrame, weights: Mapping[str, ScoreRule]) -> pd.DataFrame:
    frames = []
    for kpi in _KPI_LIST:
        num = counts[kpi.numerator]
        den = counts[kpi.denominator] if kpi.denominator else pd.Series(np.nan, counts.index)
        frames.append(pd.DataFrame({
            "unit_id": counts.index, "kpi": kpi.id, "numerator": num.to_numpy(),
            "denominator": den.to_numpy(), "value": _value(kpi, num, den, weights).to_numpy(),
        }))
    return pd.concat(frames, ignore_index=True)


def _rollup_rows(ds: Dataset, counts: pd.DataFrame, catalogue: pd.DataFrame,
                 online_pairs: pd.DataFrame, weights: Mapping[str, ScoreRule]) -> pd.DataFrame:
    """Roll-ups add the members' numerators and denominators over the members that report
    both (an unreported member is left out of both, never counted as zero; a count that a
    member with figures for the period lacks is unknown); the coverage KPIs count distinct
    procedures of the members' catalogues instead."""
    groups = rollup_groups(ds.units)
    group_of = {u: g for g, members in groups.items() if g != ROLLUP_ALL for u in members}
    everyone = pd.Series(ROLLUP_ALL, index=counts.index)

    def coverage_of(pairs: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([_coverage_counts(pairs, online_pairs, everyone),
                          _coverage_counts(pairs, online_pairs, pd.Series(group_of))])

    # A coverage *rate* can only use units whose online dossiers are known (not the
    # aggregate-only ones); the count of procedures offered online uses every catalogue.
    known = catalogue["unit_id"].isin(counts.index[counts["procedures_l3_with_online"].notna()])
    coverage_known, coverage_all = coverage_of(catalogue[known]), coverage_of(catalogue)

    def distinct(group: str, count: str, kpi: KpiDef) -> float:
        frame = coverage_known if kpi.denominator else coverage_all
        return float(frame.at[group, count]) if group in frame.index else 0.0

    rows = []
    for group, members in groups.items():
        sub = counts.loc[members]
        for kpi in _KPI_LIST:
            num = sub[kpi.numerator]
            den = sub[kpi.denominator] if kpi.denominator else None
            if kpi.rollup == "distinct_procedures":
                num_total = distinct(group, kpi.numerator, kpi)
                den_total = distinct(group, kpi.denominator, kpi) if kpi.denominator else np.nan
            else:
                reported = num.notna() & (den.notna() if den is not None else True)
                num_total = float(num[reported].sum()) if reported.any() else np.nan
                if den is None and (sub["received_total"].notna() & num.isna()).any():
                    num_total = np.nan  # a member with figures lacks the count
                den_total = (float(den[reported].sum()) if reported.any() else np.nan) \
                    if den is not None else np.nan
            rows.append({"unit_id": group, "kpi": kpi.id, "numerator": num_total,
                         "denominator": den_total})
    frame = pd.DataFrame(rows)
    values = []
    for kpi_id, part in frame.groupby("kpi", sort=False):
        values.append(_value(KPIS[kpi_id], part["numerator"], part["denominator"], weights))
    frame["value"] = pd.concat(values).sort_index()
    return frame


def compute_kpis(ds: Dataset, period: Period, targets: Targets | None = None, *,
                 weights: Mapping[str, ScoreRule] | None = None,
                 compare: bool = True) -> pd.DataFrame:
    """The KPI table for a period: one row per unit (and roll-up) × KPI.

    Columns: unit_id, unit_name, kind, level, is_rollup, period, kpi, numerator, denominator,
    value, target, status, and with ``compare``: value_prev (same period last year), change
    (value − value_prev; points of a fraction for rates) and rank (1 = best among units, for
    KPIs with a direction; roll-ups unranked).
    """
    weights = weights if weights is not None else load_index766_weights()
    table = _raw_table(ds, period, weights)
    if targets is not None:
        from briefkit.targets import apply_targets

        table = apply_targets(table, targets, period,
                              baseline=lambda p: _raw_table(ds, p, weights))
    else:
        table["target"] = np.nan
        table["status"] = STATUS_NA
    if compare:
        previous = _raw_table(ds, period.shift_years(-1), weights)
        table = table.merge(previous[["unit_id", "kpi", "value"]].rename(
            columns={"value": "value_prev"}), on=["unit_id", "kpi"], how="left")
        table["change"] = table["value"] - table["value_prev"]
        table["rank"] = rank_units(table)
    return table


# The reference is slow (that is why it was replaced), and the tests ask it for the same
# period's figures many times: its raw tables are kept per dataset, period and weights (the
# dataset is kept alive with its table so that its id cannot be reused). A benchmark of the
# old path turns this off.
CACHE = True
_RAW_TABLES: dict[tuple[int, Period, tuple], tuple[Dataset, pd.DataFrame]] = {}


def _raw_table(ds: Dataset, period: Period, weights: Mapping[str, ScoreRule]) -> pd.DataFrame:
    if not CACHE:
        return _compute_raw_table(ds, period, weights)
    key = (id(ds), period, tuple(sorted(weights.items())))
    if key not in _RAW_TABLES:
        _RAW_TABLES[key] = (ds, _compute_raw_table(ds, period, weights))
    return _RAW_TABLES[key][1].copy()


def _compute_raw_table(ds: Dataset, period: Period,
                       weights: Mapping[str, ScoreRule]) -> pd.DataFrame:
    catalogue = _catalogue(ds)
    online_pairs = _online_pairs(ds.dossiers, period)
    counts = unit_counts(ds, period, catalogue=catalogue, online_pairs=online_pairs)
    table = pd.concat([_kpi_rows(counts, weights),
                       _rollup_rows(ds, counts, catalogue, online_pairs, weights)],
                      ignore_index=True)
    units = ds.units.set_index(ds.units["unit_id"].astype(str))
    names = {**units["name"].astype(str).to_dict(), **ROLLUP_NAMES}
    table.insert(1, "unit_name", table["unit_id"].map(names))
    table.insert(2, "kind", table["unit_id"].map(units["kind"].astype(str).to_dict())
                 .fillna(ROLLUP_KIND))
    table.insert(3, "level", table["unit_id"].map(units["level"].astype(str).to_dict())
                 .fillna(table["unit_id"].str.removeprefix("*").replace("", pd.NA)))
    table.insert(4, "is_rollup", table["unit_id"].str.startswith("*")
                 & ~table["unit_id"].isin(units.index))
    table.insert(5, "period", period.spec)
    table["basis"] = "own"  # the reference knows no unit_changes
    return table


def kpi_history(ds: Dataset, period: Period, n: int = 8, targets: Targets | None = None, *,
                weights: Mapping[str, ScoreRule] | None = None) -> pd.DataFrame:
    """KPI tables of the ``n`` periods ending with ``period`` (oldest first), stacked, with
    ``period_label`` (Vietnamese) and ``period_order`` (0 = oldest) for trend charts."""
    weights = weights if weights is not None else load_index766_weights()
    frames = []
    for order, each in enumerate(period.trailing(n)):
        frame = compute_kpis(ds, each, targets, weights=weights, compare=False)
        frames.append(frame.assign(period_label=each.label(), period_order=order))
    return pd.concat(frames, ignore_index=True)

