"""Checks across tables: references, the unit hierarchy, dossiers against their
unit's level and fields, units without data, dossiers overlapping aggregates."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data.aggregates import parse_periods
from briefkit.data.factorized import per_distinct
from briefkit.data.loaded import Loaded
from briefkit.data.rules import problem, rows_text
from briefkit.data.suspicious import suggestions
from briefkit.problems import Problem


def positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Position of each value in ``index`` (-1 where it is absent or missing), looked up once
    per distinct value (a few hundred units for millions of records)."""
    return per_distinct(values, index.get_indexer, -1)


def lookup_dates(keys: pd.Series, dates: pd.Series) -> np.ndarray:
    """``dates[key]`` for each key, NaT where absent, as datetime64[ns]. ``Series.map`` with a
    datetime mapper fails when the mapper is empty (pandas casts it to float64), which happens
    as soon as no record has a usable date: those records' own errors must be what the user
    reads, not a traceback."""
    values = np.append(dates.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    looked_up: np.ndarray = values[positions(dates.index, keys)]  # -1: the trailing NaT
    return looked_up


def check_references(loaded: dict[str, Loaded]) -> None:
    """Every reference (schema.Reference) resolves, where both ends were readable; one that
    equals a known id but for letter case gets "did you mean" it (ids are not folded: "tp" may
    be another unit, and the user says which)."""
    for source in loaded.values():
        for ref in source.table.references:
            target = loaded.get(ref.table)
            if target is None or not target.has(ref.target) or not source.has(ref.column):
                continue
            values = source.frame[ref.column]
            known = target.frame[ref.target].dropna()
            # (called at once, within this iteration)
            bad = per_distinct(values, lambda ids: ~ids.isin(known), False)  # noqa: B023
            if bad.any():
                noun = ref.table[:-1]
                hints = suggestions(values[bad], known)
                msgs = [f"{ref.column} {v!r}: no such {noun} in {target.file}"
                        + (f"; did you mean {hints[v]!r}?" if v in hints else "")
                        for v in values[bad]]
                source.emit(ref.rule, ref.column, bad, msgs)


def check_hierarchy(loaded: dict[str, Loaded]) -> None:
    """parent_id chains must end at a top unit: a loop would make roll-ups endless."""
    units = loaded.get("units")
    if units is None or not units.has("parent_id") or not units.has("unit_id"):
        return
    ids, parents = units.frame["unit_id"], units.frame["parent_id"]
    n = len(ids)
    first = pd.Series(np.arange(n), index=ids.to_numpy(dtype=object))
    first = first[~first.index.duplicated() & first.index.notna()]
    pointer = parents.map(first).fillna(-1).to_numpy(dtype=np.int64)
    # Pointer doubling: after k rounds a row points 2**k generations up; past n generations
    # only rows caught in (or below) a loop still point anywhere.
    for _ in range(max(1, int(np.ceil(np.log2(n + 1))) + 1)):
        pointer = np.where(pointer >= 0, pointer[np.maximum(pointer, 0)], -1)
    bad = pointer >= 0
    if bad.any():
        units.emit("parent_cycle", "parent_id", bad,
                   [f"unit {u!r}: following {units.header('parent_id')} loops "
                    f"(through {p!r}) instead of reaching a top-level unit"
                    for u, p in zip(ids[bad], parents[bad], strict=True)])


def check_dossier_fit(loaded: dict[str, Loaded]) -> None:
    """Dossiers whose procedure is not of the unit's level, or not in the unit's fields:
    one warning per (unit, procedure) pair, naming its rows, not one per dossier."""
    dossiers, units, procs = (loaded.get(n) for n in ("dossiers", "units", "procedures"))
    if dossiers is None or units is None or procs is None:
        return
    # Every warning here is about a (unit, procedure) pair: the pairs are judged on one
    # dossier each (a few thousand pairs for millions of dossiers), then the rows of the pairs
    # that do not fit are listed.
    unit_codes, _ = dossiers.codes("unit_id")
    proc_codes, proc_ids = dossiers.codes("procedure_id")
    pair = unit_codes.astype(np.int64) * (len(proc_ids) + 1) + proc_codes  # one per pair
    firsts = pd.Series(pair).drop_duplicates().index.to_numpy()
    unfit = _dossier_fit(dossiers, units, procs, firsts, None)
    if unfit:
        rows = np.flatnonzero(np.isin(pair, pair[np.asarray(sorted(unfit), dtype=np.int64)]))
        _dossier_fit(dossiers, units, procs, rows, dossiers.problems)


def _dossier_fit(dossiers: Loaded, units: Loaded, procs: Loaded, positions: np.ndarray,
                 problems: list[Problem] | None) -> set[int]:
    """The dossiers at ``positions`` against their unit's level and fields: the positions
    whose pair does not fit; with ``problems``, one warning per pair added to it."""
    unfit: set[int] = set()
    d = dossiers.frame[["unit_id", "procedure_id"]].iloc[positions].copy()
    d["row"] = dossiers.rows[positions]
    d["position"] = positions
    u = units.frame[["unit_id", "level", "fields"]].drop_duplicates("unit_id").dropna(
        subset=["unit_id"])
    p = procs.frame[["procedure_id", "level", "field"]].drop_duplicates("procedure_id").dropna(
        subset=["procedure_id"])
    m = d.merge(u, on="unit_id", how="inner").merge(
        p, on="procedure_id", how="inner", suffixes=("_unit", "_proc"))
    if m.empty:
        return unfit

    def emit(rule: str, mask: pd.Series, describe: Callable[[dict[Hashable, Any]], str]) -> None:
        hits = m[mask.fillna(False).to_numpy(dtype=bool)].sort_values("position")
        if hits.empty:
            return
        unfit.update(hits["position"].tolist())
        if problems is None:
            return
        groups = hits.groupby(["unit_id", "procedure_id"], sort=False)
        first = groups.first().reset_index()
        rows = groups["row"].agg(list).to_list()
        at = groups["position"].agg(list).to_list()
        # one Problem per (unit, procedure) pair, not per dossier
        for info, listed, places in zip(first.to_dict("records"), rows, at, strict=True):
            sheets = None if dossiers.sheets is None else dossiers.sheets[places].tolist()
            problems.append(problem(
                rule, dossiers.file,
                f"{describe(info)} for unit {info['unit_id']!r}, procedure "
                f"{info['procedure_id']!r} ({len(listed)} dossier(s): "
                f"{rows_text(listed, sheets)})",
                listed[0], dossiers.header("procedure_id"), sheets[0] if sheets else None))

    if units.has("level") and procs.has("level"):
        emit("level_mismatch",
             m["level_unit"].notna() & m["level_proc"].notna()
             & (m["level_unit"] != m["level_proc"]),
             lambda r: f"procedure of level {r['level_proc']!r} at a unit of level "
                       f"{r['level_unit']!r}")
    if units.has("fields") and procs.has("field"):
        allowed = u.dropna(subset=["fields"]).assign(
            field_key=lambda f: f["fields"].str.split(";")).explode("field_key")
        allowed["field_key"] = allowed["field_key"].map(schema.fold, na_action="ignore")
        allowed = allowed[["unit_id", "field_key"]].drop_duplicates().assign(allowed=True)
        m["field_key"] = per_distinct(
            m["field"], lambda fields: np.array([schema.fold(str(x)) for x in fields],
                                                dtype=object), None)
        found = m[["unit_id", "field_key"]].merge(allowed, how="left", on=["unit_id", "field_key"])
        has_fields = m["unit_id"].isin(allowed["unit_id"]) & m["field"].notna()
        emit("field_mismatch", has_fields & found["allowed"].isna().to_numpy(),
             lambda r: f"field {r['field']!r} is not among the unit's fields "
                       f"({r['fields']!r})")
    return unfit


def check_coverage(loaded: dict[str, Loaded]) -> None:
    """Units without any data; units with both dossiers and aggregates for a period."""
    units, dossiers, aggregates = (loaded.get(n) for n in ("units", "dossiers", "aggregates"))
    if units is None or dossiers is None or not units.has("unit_id"):
        return
    ids = units.frame["unit_id"]
    # distinct ids first (a set of millions of strings is slow), the factorization shared
    unit_codes, dossier_units = dossiers.codes("unit_id")
    with_data = set(dossier_units)
    if aggregates is not None:
        with_data |= set(aggregates.frame["unit_id"].dropna().unique())
    # A unit that is some unit's parent gets its figures from the roll-up of its children.
    parents = set(units.frame["parent_id"].dropna())
    idle = (ids.notna() & ~ids.isin(with_data) & ~ids.isin(parents)).to_numpy()
    if idle.any():
        units.emit("unit_without_data", "unit_id", idle,
                   [f"unit {v!r} has no dossiers and no aggregates: its KPIs will be empty"
                    for v in ids[idle]])

    if aggregates is None or aggregates.frame.empty or dossiers.frame.empty:
        return
    d = dossiers.frame
    # A unit's dossier data spans from its first receipt to its last result (open dossiers:
    # forever, they are carried over); aggregates periods meeting that span overlap.
    last = d["resolved_at"].where(d["resolved_at"].notna(), pd.Timestamp.max.normalize())
    last = last.where(last >= d["received_at"], d["received_at"])
    span = pd.DataFrame({"unit": unit_codes, "first": d["received_at"], "last": last})
    span = span[unit_codes >= 0].dropna().groupby("unit").agg(first=("first", "min"),
                                                               last=("last", "max"))
    span.index = dossier_units[span.index.to_numpy()]
    a = aggregates.frame[["unit_id", "period"]]
    periods = parse_periods(a["period"])
    first = lookup_dates(a["unit_id"], span["first"])
    last_day = lookup_dates(a["unit_id"], span["last"])
    overlap = (first <= periods.end) & (last_day >= periods.start)  # NaT compares False
    if overlap.any():
        aggregates.emit(
            "dossier_aggregate_overlap", "period", overlap,
            [f"unit {u!r} also has dossier records reaching into period {p!r}: the dossier "
             "data wins and this aggregates row is not used for that period"
             for u, p in zip(a["unit_id"][overlap], a["period"][overlap], strict=True)])
