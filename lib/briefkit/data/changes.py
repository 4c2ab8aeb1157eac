"""Checks of unit_changes (mergers): no loop, no merger into a former unit, no
activity of a former unit after its change."""

from __future__ import annotations

import numpy as np
import pandas as pd

from briefkit.data.aggregates import parse_periods
from briefkit.data.crosscheck import lookup_dates
from briefkit.data.loaded import Loaded


def check_unit_changes(loaded: dict[str, Loaded]) -> None:
    """unit_changes: no loop (A → B → A), no merger into a unit that had already ended, and
    no dossier received (no aggregates period ending) on or after a former unit's change:
    its figures would belong to two units. Unknown units are reference errors; a unit merged
    twice is a duplicate ``from_unit_id``."""
    changes = loaded.get("unit_changes")
    if changes is None or changes.frame.empty or not (
            changes.has("from_unit_id") and changes.has("to_unit_id")):
        return
    frame = changes.frame
    usable = (frame["from_unit_id"].notna() & frame["to_unit_id"].notna()).to_numpy()
    firsts = ~frame["from_unit_id"].duplicated().to_numpy() & usable
    successor = dict(zip(frame["from_unit_id"][firsts], frame["to_unit_id"][firsts],
                         strict=True))
    ends = pd.Series(frame["effective_date"][firsts].to_numpy(dtype="datetime64[ns]"),
                     index=frame["from_unit_id"][firsts].to_numpy(dtype=object))

    froms = [str(u) for u in frame["from_unit_id"].astype(object)]
    cycle_rows: list[int] = []
    cycle_msgs: list[str] = []
    for i in np.flatnonzero(firsts).tolist():
        start = froms[i]
        path, unit = [start], successor[start]
        while unit in successor and unit != start and len(path) <= len(successor):
            path.append(unit)
            unit = successor[unit]
        if unit == start:
            cycle_rows.append(i)
            cycle_msgs.append(f"unit {start!r} comes back to itself through "
                              f"{changes.header('to_unit_id')}: "
                              f"{' → '.join([*path, start])}; a change must lead to a unit "
                              "that goes on")
    if cycle_rows:
        changes.emit("change_cycle", "to_unit_id", np.array(cycle_rows, dtype=np.int64),
                     cycle_msgs)
    cyclic = {froms[i] for i in cycle_rows}

    if changes.has("effective_date"):
        target_end = pd.Series(lookup_dates(frame["to_unit_id"], ends), index=frame.index)
        early = (usable & ~frame["from_unit_id"].isin(cyclic).to_numpy()
                 & (target_end < frame["effective_date"]).fillna(False).to_numpy(dtype=bool))
        if early.any():
            changes.emit("change_into_former_unit", "effective_date", early, [
                f"{t!r} itself ended on {e:%d/%m/%Y}, so {f!r} cannot become part of it on "
                f"{d:%d/%m/%Y}" for f, t, d, e in zip(
                    frame["from_unit_id"][early], frame["to_unit_id"][early],
                    frame["effective_date"][early], target_end[early], strict=True)])
        _check_activity_after_change(loaded, ends, changes.file)


def _check_activity_after_change(loaded: dict[str, Loaded], ends: pd.Series,
                                 source: str) -> None:
    """Dossiers received, and aggregates periods ending, on or after a unit's end."""
    dossiers, aggregates = loaded.get("dossiers"), loaded.get("aggregates")
    if dossiers is not None and dossiers.has("received_at"):
        d = dossiers.frame
        # once per distinct unit, on the loader's shared factorization (lookup_dates)
        end = pd.Series(lookup_dates(d["unit_id"], ends), index=d.index)
        late = (d["received_at"] >= end).fillna(False).to_numpy(dtype=bool)
        if late.any():
            dossiers.emit("activity_after_change", "received_at", late, [
                f"dossier {i!r} of unit {u!r} is received on {r:%d/%m/%Y}, but the unit "
                f"ended on {e:%d/%m/%Y} ({source}): it belongs to the unit it became part of"
                for i, u, r, e in zip(d["dossier_id"][late], d["unit_id"][late],
                                      d["received_at"][late], end[late], strict=True)])
    if aggregates is not None and not aggregates.frame.empty and aggregates.has("period"):
        a = aggregates.frame
        ended = lookup_dates(a["unit_id"], ends)
        after = parse_periods(a["period"]).end >= ended  # NaT compares False
        if after.any():
            aggregates.emit("activity_after_change", "period", after, [
                f"unit {u!r} reports period {p!r}, which ends after the unit ended on "
                f"{pd.Timestamp(e):%d/%m/%Y} ({source})"
                for u, p, e in zip(a["unit_id"][after], a["period"][after], ended[after],
                                   strict=True)])
