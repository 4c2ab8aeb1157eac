"""Biểu 06 rows of aggregate-only units: the base counts they give for a period.

A ward that reports counts (Biểu số 06/VPCP/KSTT) instead of dossiers has figures for a period
only where its rows tile it exactly, and, for a period made of several rows, where each row
carries over what the one before left pending (else the Biểu 06 of the whole would break
(3) = (7) + (11): its figures are unknown; the loader warns, ``unchained_aggregates``). The
rows are read once (their periods parsed once per convention); a period then looks at a few
dozen numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from briefkit.kpis.dossiers import timestamp_ns
from briefkit.kpis.registry import _DOSSIER_COUNTS
from briefkit.periods import Convention, Period, parse_period

_DAY_NS = 86_400 * 10**9
# Flows add up over the rows; the carried-over count is the first row's, pending the last's.
_FLOWS = ["received_online", "received_postal", "received_direct_or_postal", "resolved_early",
          "resolved_on_time", "resolved_late", "resolved_online", "returned_by_post",
          "apology_sent"]
_STOCKS = ["carried_over", "pending_in_time", "pending_overdue"]


class AggregateRows:
    """The aggregates table as arrays: each row's unit, counts (NaN where not reported) and,
    per convention, first and last day."""

    def __init__(self, aggregates: pd.DataFrame) -> None:
        self.periods = aggregates["period"].astype(str).tolist()
        self.units = aggregates["unit_id"].to_numpy(dtype=object)
        # A column the file does not have is unknown for every row.
        self.values = {c: aggregates[c].to_numpy(dtype=float, na_value=np.nan)
                       if c in aggregates else np.full(len(aggregates), np.nan)
                       for c in _FLOWS + _STOCKS}
        self.pending = self.values["pending_in_time"] + self.values["pending_overdue"]
        self._bounds: dict[Convention, tuple[np.ndarray, np.ndarray]] = {}

    def _days(self, convention: Convention) -> tuple[np.ndarray, np.ndarray]:
        if convention not in self._bounds:
            parsed = {p: parse_period(p, convention) for p in set(self.periods)}
            self._bounds[convention] = (
                np.array([timestamp_ns(parsed[p].start) for p in self.periods], dtype=np.int64),
                np.array([timestamp_ns(parsed[p].end) for p in self.periods], dtype=np.int64))
        return self._bounds[convention]

    def figures(self, period: Period, units: Iterable[str]) -> dict[str, dict[str, float]]:
        """Base counts of aggregate-only units, from Biểu 06 rows that exactly tile the period.

        A period made of several reported periods (a half-year from two quarters) adds up the
        flows, takes the carried-over count of the first and the pending counts of the last.
        A unit whose rows do not cover the period exactly gets no entry (unknown, not zero);
        one whose rows cover it but do not chain (a row's carried-over count is not what the
        row before left pending) gets every figure unknown (NaN): its rows contradict each
        other, and which of them is wrong, the data cannot tell.
        """
        wanted = set(units)
        if not len(self.units) or not wanted:
            return {}
        starts, ends = self._days(period.convention)
        start, end = timestamp_ns(period.start), timestamp_ns(period.end)
        asked = np.array([u in wanted for u in self.units], dtype=bool)
        inside = np.flatnonzero(asked & (starts >= start) & (ends <= end))
        figures: dict[str, dict[str, float]] = {}
        for unit_id in dict.fromkeys(self.units[inside]):
            rows = inside[self.units[inside] == unit_id]
            rows = rows[np.argsort(starts[rows], kind="stable")]
            contiguous = bool((starts[rows[1:]] == ends[rows[:-1]] + _DAY_NS).all())
            if not (starts[rows[0]] == start and ends[rows[-1]] == end and contiguous):
                continue
            chained = bool((self.values["carried_over"][rows[1:]]
                            == self.pending[rows[:-1]]).all())
            total = {c: float("nan") if np.isnan(v := self.values[c][rows]).any()
                     else float(v.sum()) for c in _FLOWS}
            first, last = rows[0], rows[-1]
            figure = {
                "received_online": total["received_online"],
                "received_postal": total["received_postal"],
                "received_direct": total["received_direct_or_postal"] - total["received_postal"],
                "received_direct_or_postal": total["received_direct_or_postal"],
                "carried_over": float(self.values["carried_over"][first]),
                "resolved_early": total["resolved_early"],
                "resolved_on_time": total["resolved_on_time"],
                "resolved_late": total["resolved_late"],
                "resolved_online": total["resolved_online"],
                "pending_in_time": float(self.values["pending_in_time"][last]),
                "pending_overdue": float(self.values["pending_overdue"][last]),
                "returned_by_post": total["returned_by_post"],
                "apology_sent": total["apology_sent"],
            }
            figure["resolved_total"] = (figure["resolved_early"] + figure["resolved_on_time"]
                                        + figure["resolved_late"])
            figure["pending_total"] = figure["pending_in_time"] + figure["pending_overdue"]
            figures[str(unit_id)] = figure if chained else dict.fromkeys(figure, float("nan"))
        return figures


def aggregate_counts(aggregates: pd.DataFrame, period: Period,
                     units: Iterable[str]) -> pd.DataFrame:
    """:meth:`AggregateRows.figures` as a frame indexed by unit_id (sorted)."""
    figures = AggregateRows(aggregates).figures(period, units)
    if not figures:
        return pd.DataFrame(columns=_DOSSIER_COUNTS)
    return pd.DataFrame.from_dict(figures, orient="index").rename_axis("unit_id").sort_index()
