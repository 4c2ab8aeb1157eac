"""Dossiers as arrays, and the 0/1 flags of each dossier base count for a period.

Everything about a dossier that does not depend on the period (its unit, its procedure's
online level, its channel, its booleans, its dates as int64 nanoseconds, how its result date
compares with its due date) is read once into :class:`DossierArrays`; a period then costs a
few comparisons of int64 arrays (:meth:`DossierArrays.flags`). Every dossier base count is
defined here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from briefkit.data.factorized import factorize, per_distinct

if TYPE_CHECKING:
    from briefkit.data import Dataset
    from briefkit.periods import Period

_DAY_NS = 86_400 * 10**9


def timestamp_ns(ts: pd.Timestamp) -> int:
    """A (naive) timestamp as int64 nanoseconds since the epoch."""
    return int(pd.Timestamp(ts).to_datetime64().astype("datetime64[ns]").astype(np.int64))


def dates_ns(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Dates as (int64 nanoseconds, known mask), converted the way :meth:`Period.contains`
    converts them (ISO 8601 text parsed, a time zone dropped keeping the wall-clock time), so
    a mask built from them is the one ``contains`` gives."""
    series = values
    if not series.empty and not pd.api.types.is_datetime64_any_dtype(series.dtype):
        try:
            series = pd.to_datetime(series, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise TypeError("dates must be datetimes (or ISO 8601 text)") from exc
    if getattr(getattr(series, "dt", None), "tz", None) is not None:
        series = series.dt.tz_localize(None)
    as_ns = series.to_numpy(dtype="datetime64[ns]")
    return as_ns.view(np.int64), ~np.isnat(as_ns)


def in_period(ns: np.ndarray, known: np.ndarray, period: Period) -> np.ndarray:
    """``period.contains`` on converted dates: start <= d < the day after the end."""
    start, after_end = timestamp_ns(period.start), timestamp_ns(period.end) + _DAY_NS
    return known & (ns >= start) & (ns < after_end)


def thresholds(periods: Sequence[Period]) -> np.ndarray:
    """Every instant a date is compared with in :meth:`DossierArrays.flags` and
    :func:`in_period` for these periods, sorted: the first day at midnight (``>= start``),
    the last day at midnight (``due >= end``), one nanosecond after it (``<= end`` is
    ``< end + 1``) and the day after it. Two dates with as many thresholds at or before
    them compare alike with every one of them (:meth:`DossierArrays.grouped`)."""
    points: set[int] = set()
    for period in periods:
        start, end = timestamp_ns(period.start), timestamp_ns(period.end)
        points.update((start, end, end + 1, end + _DAY_NS))
    return np.array(sorted(points), dtype=np.int64)


@dataclass(frozen=True)
class DossierGroups:
    """Dossiers that every count of some periods treats alike, each group once: a member's
    arrays (:attr:`arrays`), its unit position and how many dossiers it stands for
    (:attr:`weight`; None: one each, every dossier its own group, see :meth:`every`); and the
    same for online dossiers by unit and procedure (what procedure coverage reads). See
    :meth:`DossierArrays.grouped`."""

    arrays: DossierArrays
    unit: np.ndarray
    weight: np.ndarray | None
    online: DossierArrays
    online_unit: np.ndarray
    online_procedure: np.ndarray

    @classmethod
    def every(cls, arrays: DossierArrays, unit: np.ndarray, procedure: np.ndarray
              ) -> DossierGroups:
        """Every dossier on its own (what :meth:`DossierArrays.flags` of each gives)."""
        return cls(arrays, unit, None, arrays, unit, procedure)


def online_levels(ds: Dataset, dossiers: pd.DataFrame) -> np.ndarray:
    """Each dossier's procedure online level (2, 3, 4; NaN when unknown), as floats."""
    return per_distinct(dossiers["procedure_id"], lambda ids: distinct_online_levels(ds, ids),
                        np.nan)


def distinct_online_levels(ds: Dataset, procedure_ids: pd.Index) -> np.ndarray:
    """The online level (float, NaN when unknown) of each of these procedure ids: what
    :func:`online_levels` looks up once per distinct id (code -1, a missing id, reads the
    NaN it appends)."""
    levels = ds.procedures.set_index("procedure_id")["online_level"]
    per_unique: np.ndarray = pd.Series(procedure_ids).map(levels).astype("float").to_numpy()
    return per_unique


@dataclass(frozen=True)
class DossierArrays:
    """The period-independent part of every dossier base count, one array entry per dossier."""

    received: np.ndarray  # int64 ns
    received_known: np.ndarray
    resolved: np.ndarray
    resolved_known: np.ndarray
    due: np.ndarray
    due_known: np.ndarray
    online: np.ndarray
    direct: np.ndarray
    postal: np.ndarray
    before_due: np.ndarray  # resolved < due (False when either is missing)
    at_due: np.ndarray
    after_due: np.ndarray
    returned_by_post: np.ndarray
    apology_sent: np.ndarray
    l3: np.ndarray
    l4: np.ndarray
    inter_agency: np.ndarray

    @classmethod
    def of(cls, dossiers: pd.DataFrame, online_level: np.ndarray) -> DossierArrays:
        received, received_known = dates_ns(dossiers["received_at"])
        resolved, resolved_known = dates_ns(dossiers["resolved_at"])
        due, due_known = dates_ns(dossiers["due_at"])
        codes, uniques = factorize(dossiers["channel"])
        channels = list(uniques)

        def channel(name: str) -> np.ndarray:
            return codes == channels.index(name) if name in channels else np.zeros(
                len(codes), dtype=bool)

        both = resolved_known & due_known
        level = np.asarray(online_level, dtype=float)
        return cls(
            received, received_known, resolved, resolved_known, due, due_known,
            channel("truc_tuyen"), channel("truc_tiep"), channel("buu_chinh"),
            both & (resolved < due), both & (resolved == due), both & (resolved > due),
            dossiers["returned_by_post"].to_numpy(dtype=bool),
            dossiers["apology_sent"].to_numpy(dtype=bool),
            level == 3, level == 4, dossiers["inter_agency"].to_numpy(dtype=bool),
        )

    def take(self, index: np.ndarray) -> DossierArrays:
        """The dossiers at these positions."""
        return DossierArrays(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def grouped(self, unit: np.ndarray, procedure: np.ndarray,
                periods: Sequence[Period]) -> DossierGroups | None:
        """The dossiers in groups that :meth:`flags` and :meth:`received_in` treat alike for
        each of ``periods``: same unit, same flags, and each date known or not and, if known,
        between the same two :func:`thresholds`. A group's counts are its size times its
        member's flags, so these periods' counts cost one pass over the dossiers (grouping)
        plus a few hundred thousand groups per period, whatever the number of dossiers:
        exactly the counts of every dossier (tests compare both). ``None`` when the group
        key would not fit in 63 bits (a very large number of units and periods)."""
        points = thresholds(periods)
        span = len(points) + 1  # a date has 0 to len(points) thresholds at or before it
        # every boolean array is a bit of the key and every date its position among the
        # thresholds, so an array added for a new count is part of the grouping by itself
        arrays = [getattr(self, f.name) for f in fields(self)]
        flags = [a for a in arrays if a.dtype == bool]
        dates = [a for a in arrays if a.dtype == np.int64]
        if len(flags) + len(dates) != len(arrays) or len(flags) > 16:
            raise TypeError("DossierArrays holds int64 dates and up to 16 boolean arrays")
        n_units = int(unit.max()) + 2 if len(unit) else 1
        if np.log2(float(n_units)) + len(dates) * np.log2(float(span)) + len(flags) > 62:
            return None
        bits = np.zeros(len(unit), dtype=np.uint16)
        for i, flag in enumerate(flags):
            bits |= flag.astype(np.uint16) << np.uint16(i)
        key = unit.astype(np.int64) + 1
        for ns in dates:  # NaT is before every threshold; whether a date is known is a flag
            key = key * span + np.searchsorted(points, ns, side="right")
        key = (key << len(flags)) | bits
        member, weight = _one_of_each(key)
        # online dossiers received, by unit, procedure and where their receipt date falls
        online = np.flatnonzero(self.online & (unit >= 0) & (procedure >= 0))
        n_procedures = int(procedure.max()) + 1 if len(procedure) else 1
        online_key = (((unit[online].astype(np.int64) * n_procedures + procedure[online]) * span
                       + np.searchsorted(points, self.received[online], side="right")) * 2
                      + self.received_known[online])
        online_member = online[_one_of_each(online_key)[0]]
        return DossierGroups(self.take(member), unit[member], weight,
                             self.take(online_member), unit[online_member],
                             procedure[online_member])

    def received_in(self, period: Period) -> np.ndarray:
        """Received within the period's days, whatever the time of day (``Period.contains``):
        what the procedure-coverage KPIs count."""
        return in_period(self.received, self.received_known, period)

    def flags(self, period: Period) -> dict[str, np.ndarray]:
        """One boolean array per dossier base count (:data:`_DOSSIER_COUNTS`, in its order).

        Dates are compared with the period's first and last day at midnight, as the loader
        gives them (dates at midnight)."""
        start, end = timestamp_ns(period.start), timestamp_ns(period.end)
        received, rec_known = self.received, self.received_known
        resolved, res_known = self.resolved, self.resolved_known
        received_in = rec_known & (received >= start) & (received <= end)
        resolved_in = res_known & (resolved >= start) & (resolved <= end)
        open_at_start = ~res_known | (resolved >= start)
        carried = rec_known & (received < start) & open_at_start
        pending = rec_known & (received <= end) & (~res_known | (resolved > end))
        due_after_end = self.due_known & (self.due >= end)
        due_before_end = self.due_known & (self.due < end)
        late = resolved_in & self.after_due
        online = self.online
        l3, l4, inter_agency = self.l3, self.l4, self.inter_agency
        return {
            "received_online": received_in & online,
            "received_direct": received_in & self.direct,
            "received_postal": received_in & self.postal,
            "carried_over": carried,
            "resolved_total": resolved_in,
            "resolved_early": resolved_in & self.before_due,
            "resolved_on_time": resolved_in & self.at_due,
            "resolved_late": late,
            "resolved_online": resolved_in & online,
            "pending_total": pending,
            "pending_in_time": pending & due_after_end,
            "pending_overdue": pending & due_before_end,
            "returned_by_post": resolved_in & self.returned_by_post,
            "apology_sent": late & self.apology_sent,
            "received_l3": received_in & l3,
            "online_received_l3": received_in & l3 & online,
            "received_l4": received_in & l4,
            "online_received_l4": received_in & l4 & online,
            "ia_received_l3": received_in & l3 & inter_agency,
            "ia_online_received_l3": received_in & l3 & inter_agency & online,
            "ia_received_l4": received_in & l4 & inter_agency,
            "ia_online_received_l4": received_in & l4 & inter_agency & online,
        }


def _one_of_each(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A position holding each distinct key (any one: the members of a group are alike), and
    how many positions hold it."""
    codes, uniques = pd.factorize(key)
    member = np.empty(len(uniques), dtype=np.int64)
    member[codes] = np.arange(len(key))
    return member, np.bincount(codes, minlength=len(uniques)).astype(float)


def dossier_indicators(ds: Dataset, dossiers: pd.DataFrame, period: Period) -> pd.DataFrame:
    """One 0/1 column per dossier base count for the period, with the dossiers' unit_id (the
    flags of :meth:`DossierArrays.flags` as a frame, for listings of single dossiers)."""
    flags = DossierArrays.of(dossiers, online_levels(ds, dossiers)).flags(period)
    return pd.DataFrame({"unit_id": dossiers["unit_id"].to_numpy(), **flags})


def late_without_apology(ds: Dataset, period: Period, unit_id: str | None = None) -> pd.DataFrame:
    """Dossiers resolved late in the period with no apology letter (the complement of the
    ``apology_sent`` count, from the same flags): dossier_id, unit_id, procedure_id,
    procedure_name, due_at, resolved_at, days_late — most days late first."""
    dossiers = ds.dossiers
    if unit_id is not None:
        dossiers = dossiers[dossiers["unit_id"] == unit_id]
    flags = dossier_indicators(ds, dossiers, period)
    late = flags["resolved_late"].to_numpy() & ~flags["apology_sent"].to_numpy()
    listing = dossiers.loc[late, ["dossier_id", "unit_id", "procedure_id", "due_at",
                                  "resolved_at"]].copy()
    listing.insert(3, "procedure_name", listing["procedure_id"].map(
        ds.procedures.set_index("procedure_id")["name"]))
    listing["days_late"] = (listing["resolved_at"] - listing["due_at"]).dt.days
    ordered: pd.DataFrame = listing.sort_values(["days_late", "dossier_id"],
                                                ascending=[False, True])
    return ordered.reset_index(drop=True)
