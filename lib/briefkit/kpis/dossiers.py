"""Dossiers as arrays, and the 0/1 flags of each dossier base count for a period.

Everything about a dossier that does not depend on the period (its unit, its procedure's
online level, its channel, its booleans, its dates as int64 nanoseconds, how its result date
compares with its due date) is read once into :class:`DossierArrays`; a period then costs a
few comparisons of int64 arrays (:meth:`DossierArrays.flags`). Every dossier base count is
defined here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

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


def online_levels(ds: Dataset, dossiers: pd.DataFrame) -> np.ndarray:
    """Each dossier's procedure online level (2, 3, 4; NaN when unknown), as floats."""
    levels = ds.procedures.set_index("procedure_id")["online_level"]
    codes, uniques = pd.factorize(dossiers["procedure_id"])
    per_unique = pd.Series(uniques).map(levels).astype("float").to_numpy()
    return np.append(per_unique, np.nan)[codes]  # code -1 (missing id) reads the NaN


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
        codes, uniques = pd.factorize(dossiers["channel"])
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
