"""Which days the data cover, and whether a requested period lies outside them.

A period the data do not reach gives a KPI table of zeros and empty rates, which reads like a
quiet quarter; ``briefkit kpis`` and ``briefkit run`` warn instead, naming the data's range.
The span is that of the dossiers (their receipt and resolution dates) and of the aggregates'
periods (calendar months).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from briefkit.i18n import _, current_language
from briefkit.periods import Period, parse_period

if TYPE_CHECKING:
    from briefkit.data import Dataset

__all__ = ["DataSpan", "data_span", "outside_data"]


@dataclass(frozen=True)
class DataSpan:
    """The first and last day the data speak of (inclusive)."""

    first: _dt.date
    last: _dt.date

    def as_list(self) -> list[str]:
        """ISO dates, for JSON."""
        return [self.first.isoformat(), self.last.isoformat()]

    @classmethod
    def from_list(cls, value: object) -> DataSpan | None:
        if not isinstance(value, list | tuple) or len(value) != 2:
            return None
        first, last = (_dt.date.fromisoformat(str(v)) for v in value)
        return cls(first, last)


def data_span(dataset: Dataset) -> DataSpan | None:
    """The span of ``dataset``'s dossiers and aggregates; None when it has neither."""
    days: list[pd.Timestamp] = []
    dossiers = dataset.dossiers
    for column in ("received_at", "resolved_at"):
        if column in dossiers.columns and not dossiers.empty:
            dates = pd.to_datetime(dossiers[column]).dropna()
            if not dates.empty:
                days += [dates.min(), dates.max()]
    aggregates = dataset.aggregates
    if "period" in aggregates.columns and not aggregates.empty:
        for spec in aggregates["period"].dropna().unique():
            try:
                period = parse_period(str(spec))
            except ValueError:
                continue
            days += [period.start, period.end]
    if not days:
        return None
    return DataSpan(min(days).date(), max(days).date())


def _day(day: _dt.date) -> str:
    return day.isoformat() if current_language() == "en" else day.strftime("%d/%m/%Y")


def outside_data(period: Period, span: DataSpan | None) -> str | None:
    """A warning (in the current language) when ``period`` has no day in ``span``, else
    None (also when the data have no dates at all: the data checks say so already)."""
    if span is None:
        return None
    start, end = period.start.date(), period.end.date()
    if end >= span.first and start <= span.last:
        return None
    return _("the period {label} ({start} – {end}) lies outside the data, which run from "
             "{first} to {last}: its figures will be empty").format(
        label=period.label(), start=_day(start), end=_day(end), first=_day(span.first),
        last=_day(span.last))
