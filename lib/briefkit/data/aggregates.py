"""Aggregates periods and the Biểu 06 identities and bounds of aggregates rows."""

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


def parse_periods(periods: pd.Series) -> Periods:
    """Parse each distinct period once (a file has a handful) and spread to the records."""
    from briefkit.periods import parse_period

    codes, uniques = pd.factorize(periods)
    k = len(uniques)
    spec = np.full(k + 1, None, dtype=object)
    start = np.full(k + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
    end = start.copy()
    error = np.full(k + 1, None, dtype=object)
    for i, text in enumerate(uniques):
        try:
            period = parse_period(str(text))
        except ValueError as exc:
            error[i] = str(exc)
            continue
        spec[i], start[i], end[i] = period.spec, period.start, period.end
    return Periods(pd.Series(spec[codes], index=periods.index, dtype="str"),
                    start[codes], end[codes], error[codes])


def check_aggregates(loaded: Loaded) -> None:
    """Readable periods, then the Biểu 06 identity and bounds on complete rows."""
    frame = loaded.frame
    if loaded.has("period"):
        reason = parse_periods(frame["period"]).error
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
