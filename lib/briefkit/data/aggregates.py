"""Aggregates periods, the Biểu 06 identities and bounds of aggregates rows, and whether the
rows of one unit follow on from each other (``unchained_aggregates``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data.loaded import Loaded


@dataclass
class Periods:
    """Aggregates periods parsed with :func:`briefkit.periods.parse_period` (calendar), one
    entry per record; ``error`` is None where the period is readable."""

    spec: pd.Series  # canonical spec ("2022 q1" → "2022Q1"), NA where unreadable
    start: np.ndarray  # datetime64[ns], NaT where unreadable
    end: np.ndarray
    error: np.ndarray  # object: the ValueError message, or None
    #: object: the granularity (briefkit.periods.Kind: month, quarter, half, year, range),
    #: None where unreadable
    kind: np.ndarray


def parse_periods(periods: pd.Series) -> Periods:
    """Parse each distinct period once (a file has a handful) and spread to the records."""
    from briefkit.periods import parse_period

    codes, uniques = pd.factorize(periods)
    k = len(uniques)
    spec = np.full(k + 1, None, dtype=object)
    start = np.full(k + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
    end = start.copy()
    error = np.full(k + 1, None, dtype=object)
    kind = np.full(k + 1, None, dtype=object)
    for i, text in enumerate(uniques):
        try:
            period = parse_period(str(text))
        except ValueError as exc:
            error[i] = str(exc)
            continue
        spec[i], start[i], end[i] = period.spec, period.start, period.end
        kind[i] = period.kind
    return Periods(pd.Series(spec[codes], index=periods.index, dtype="str"),
                    start[codes], end[codes], error[codes], kind[codes])


def check_aggregates(loaded: Loaded) -> None:
    """Readable periods, the Biểu 06 identity and bounds on complete rows, then whether each
    unit's rows follow on from each other."""
    frame = loaded.frame
    periods = None
    if loaded.has("period"):
        periods = parse_periods(frame["period"])
        reason = periods.error
        bad = ~np.equal(reason, np.array(None)) & frame["period"].notna().to_numpy()
        if bad.any():
            loaded.emit("bad_period", "period", bad,
                        [f"cannot read period {p!r}: {r}"
                         for p, r in zip(frame["period"][bad], reason[bad], strict=True)])

    def term(names: Sequence[str], mask: np.ndarray) -> Callable[[int], str]:
        heads = [loaded.header(n) for n in names]
        cols = frame[list(names)].to_numpy(dtype=object)[mask]
        sums = cols.sum(axis=1) if len(names) else []

        def text(i: int) -> str:
            parts = " + ".join(f"{h} {int(v)}" for h, v in zip(heads, cols[i], strict=True))
            return f"{parts} = {int(sums[i])}" if len(names) > 1 else parts
        return text

    for rule_set, rule in ((schema.FORM06_IDENTITIES, "form06_identity"),
                           (schema.FORM06_BOUNDS, "form06_bound")):
        for r in rule_set:
            names = [*r.left, *r.right]
            if not all(loaded.has(n) for n in names):
                continue
            complete = frame[names].notna().all(axis=1).to_numpy()
            left = frame[list(r.left)].sum(axis=1, skipna=False)
            right = frame[list(r.right)].sum(axis=1, skipna=False)
            broken = (left != right) if r.op == "==" else (left > right)
            mask = complete & broken.fillna(False).to_numpy(dtype=bool)
            if not mask.any():
                continue
            lhs, rhs = term(r.left, mask), term(r.right, mask)
            sign = "≠" if r.op == "==" else ">"
            what = "identity" if r.op == "==" else "bound"
            msgs = [f"Biểu 06 {what} {r.label!r} broken: {lhs(i)} {sign} {rhs(i)}"
                    for i in range(int(mask.sum()))]
            loaded.emit(rule, None if r.op == "==" else r.left[0], mask, msgs)
    if periods is not None:
        check_chain(loaded, periods)


_STOCKS = ("unit_id", "carried_over", "pending_in_time", "pending_overdue")


def check_chain(loaded: Loaded, periods: Periods) -> None:
    """Consecutive periods of one unit and one granularity (month → next month, quarter → next
    quarter, …; a period ``kind`` of :func:`briefkit.periods.parse_period`): the later row's
    carried_over must be what the earlier row left pending (pending_in_time +
    pending_overdue). Each row may balance on its own and still not follow on; then a period
    made of both (a half-year of two quarters) cannot be read from them, and is unknown
    (:meth:`briefkit.kpis.AggregateRows.figures`). A warning on the later row's carried_over,
    naming the earlier row; rows with an unreadable period or an empty count are skipped."""
    if not all(loaded.has(c) for c in _STOCKS) or loaded.frame.empty:
        return
    frame = loaded.frame
    rows = pd.DataFrame({
        "unit": frame["unit_id"].to_numpy(dtype=object),
        "kind": periods.kind,
        "start": periods.start,
        "next": periods.end + np.timedelta64(1, "D"),  # the day a following period starts
        "carried": frame["carried_over"].to_numpy(dtype=float, na_value=np.nan),
        "pending": (frame["pending_in_time"] + frame["pending_overdue"])
        .to_numpy(dtype=float, na_value=np.nan),
        "at": np.arange(len(frame)),
    }).dropna()
    # a unit's row for the period before (the first of duplicates: duplicate_period is an error)
    before = rows.drop_duplicates(["unit", "kind", "next"])[
        ["unit", "kind", "next", "pending", "at"]].rename(
        columns={"next": "start", "pending": "left", "at": "earlier"})
    pairs = rows.merge(before, on=["unit", "kind", "start"]).sort_values("at")
    broken = pairs[pairs["carried"] != pairs["left"]]
    if broken.empty:
        return
    later = broken["at"].to_numpy(dtype=np.int64)
    earlier = broken["earlier"].to_numpy(dtype=np.int64)
    carried_h, in_time_h, overdue_h = (loaded.header(c) for c in _STOCKS[1:])
    stocks = frame[["pending_in_time", "pending_overdue"]].to_numpy(dtype=object)[earlier]
    loaded.emit("unchained_aggregates", "carried_over", later, [
        f"unit {u!r}: {carried_h} {int(c)} in period {p!r} is not what period {q!r} left "
        f"pending ({place}: {in_time_h} {int(a)} + {overdue_h} {int(b)} = {int(left)}): the "
        "rows do not follow on from each other, so a period spanning both (a half-year of "
        "two quarters…) is left unknown"
        for u, c, p, q, place, (a, b), left in zip(
            broken["unit"], broken["carried"], frame["period"].to_numpy(dtype=object)[later],
            frame["period"].to_numpy(dtype=object)[earlier], loaded.places(earlier), stocks,
            broken["left"], strict=True)])
