"""One file: read (whatever its format), convert, and every check that needs only it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data.aggregates import check_aggregates, parse_periods
from briefkit.data.convert import bad_message, convert, default, empty_frame, strip_text
from briefkit.data.distinct import all_distinct
from briefkit.data.loaded import Loaded
from briefkit.data.raw import Raw, Unreadable
from briefkit.data.read_csv import read_csv
from briefkit.data.read_parquet import read_parquet
from briefkit.data.read_xlsx import read_xlsx
from briefkit.data.rules import MAX_COUNT, problem
from briefkit.data.suspicious import GROUPED, check_file, emit_grouped
from briefkit.schema import Table


def read_file(path: Path, table: Table) -> Raw:
    """Dispatch on the file suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, table)
    if suffix == ".xlsx":
        return read_xlsx(path, table)
    if suffix == ".parquet":
        return read_parquet(path, table)
    raise Unreadable(f"unsupported file type {path.suffix!r}; use .csv, .xlsx or .parquet")



def load_file(path: Path, table: Table, today: pd.Timestamp) -> Loaded:
    """Read and convert one file, with every check that needs only this file."""
    try:
        raw = read_file(path, table)
    except Exception as exc:  # a file we cannot read is the user's problem, not a crash
        # Damaged workbooks and Parquet files fail in many ways, deep inside openpyxl or
        # pyarrow; whatever the cause, the user gets one readable problem, not a traceback.
        if not isinstance(exc, Unreadable):
            exc = Unreadable(f"cannot read the file ({type(exc).__name__}: {exc})")
        loaded = Loaded(table, path, empty_frame(table), np.zeros(0, np.int64), {}, None)
        loaded.problems.append(problem(exc.rule, path.name, str(exc), exc.row, exc.column))
        return loaded

    # Records blank in every column of the table (blank lines, trailing formatted rows in
    # Excel) are not records: drop them, keeping the others' row numbers.
    # (each column's text is released as soon as it is stripped, and its stripped text as
    # soon as it is converted: at most one extra copy of a column is alive at a time)
    texts = {pos: strip_text(raw.columns.pop(pos)) for pos in list(raw.columns)}
    blank = np.full(len(raw.rows), bool(texts), dtype=bool)
    for s in texts.values():
        blank &= s.isna().to_numpy()
    keep = ~blank
    rows = raw.rows[keep]
    headers = {name: raw.header[pos] for name, pos in raw.positions.items()}
    loaded = Loaded(table, path, pd.DataFrame(), rows, headers, raw.header_row,
                     list(raw.problems), None if raw.sheets is None else raw.sheets[keep])

    out: dict[str, pd.Series] = {}
    for col in table.columns:
        pos = raw.positions.get(col.name)
        if pos is None:
            out[col.name] = default(col.kind, len(rows))
            continue
        series = texts.pop(pos)
        series = series.reset_index(drop=True) if keep.all() else \
            series[keep].reset_index(drop=True)
        values, bad, missing = convert(col.kind, series)
        out[col.name] = values
        if col.filled and missing.any():
            loaded.emit("empty_value", col.name, missing,
                        [f"{col.name} is empty; a value is required"] * int(missing.sum()))
        flagged = [(rule, mask) for rule, mask in bad.items() if mask.any()]
        # the cells as written, only for messages: building Python objects for millions of
        # clean cells (a Timestamp each for Parquet dates) was half of loading a Parquet file
        raw_values = series.to_numpy(dtype=object) if flagged else np.empty(0, dtype=object)
        for rule, mask in flagged:
            if rule in GROUPED:  # one warning per column, naming its rows
                emit_grouped(rule, loaded, col.name, raw_values, values, mask)
                continue
            if rule == "negative_count":
                msgs = [f"count {v!r} is negative" for v in raw_values[mask]]
            elif rule == "count_too_large":
                msgs = [f"count {v!r} is beyond {MAX_COUNT:,}: no unit handles that many "
                        "dossiers in a period" for v in raw_values[mask]]
            else:
                msgs = [bad_message(col.kind, str(v)) for v in raw_values[mask]]
            loaded.emit(rule, col.name, mask, msgs)
    loaded.frame = pd.DataFrame(out)

    if len(rows) == 0:
        loaded.problems.append(problem(
            "empty_table", path.name, f"{table.name} has no records"))
    _check_unique(loaded)
    check_file(loaded)
    _check_dates(loaded, today)
    if table.name == "aggregates":
        check_aggregates(loaded)
    return loaded


def _check_unique(loaded: Loaded) -> None:
    """Duplicate keys, naming the row that used the key first."""
    key = list(loaded.table.unique)
    if not key or not all(loaded.has(k) for k in key):
        return
    # the usual case, unique: a quicker test than naming duplicates (briefkit.data.distinct)
    if len(key) == 1 and all_distinct(loaded.frame[key[0]]):
        return
    frame = loaded.frame[key].copy()
    if "period" in key:
        frame["period"] = parse_periods(frame["period"]).spec
    valid = frame.notna().all(axis=1).to_numpy()
    dup = frame.duplicated(keep="first").to_numpy() & valid
    if not dup.any():
        return
    position = pd.Series(np.arange(len(frame)))
    first = position.groupby([frame[k] for k in key], dropna=True).transform("first")
    first_rows = loaded.places(first[dup].to_numpy(dtype=np.int64))  # NA keys are not in dup
    shown = loaded.frame[key].to_numpy(dtype=object)[dup]
    if len(key) == 1:
        rule, column = "duplicate_id", key[0]
        msgs = [f"{key[0]} {v[0]!r} is already used in {r}"
                for v, r in zip(shown, first_rows, strict=True)]
    else:
        rule, column = "duplicate_period", "period"
        msgs = [f"unit {v[0]!r} already has a row for period {v[1]!r} ({r})"
                for v, r in zip(shown, first_rows, strict=True)]
    loaded.emit(rule, column, dup, msgs)


def _check_dates(loaded: Loaded, today: pd.Timestamp) -> None:
    """Date orders within a record (schema.DateOrder) and implausible dates."""
    frame = loaded.frame
    for order in loaded.table.date_orders:
        if not (loaded.has(order.later) and loaded.has(order.earlier)):
            continue
        later, earlier = frame[order.later], frame[order.earlier]
        bad = (later < earlier).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            msgs = [f"{loaded.header(order.later)} {lv:%d/%m/%Y} is before "
                    f"{loaded.header(order.earlier)} {ev:%d/%m/%Y}"
                    for lv, ev in zip(later[bad], earlier[bad], strict=True)]
            loaded.emit(order.rule, order.later, bad, msgs)
    earliest = pd.Timestamp(schema.EARLIEST_PLAUSIBLE_YEAR, 1, 1)
    for col in loaded.table.columns:
        if col.kind != "date" or not loaded.has(col.name):
            continue
        values = frame[col.name]
        latest = today + pd.Timedelta(days=col.future_days)
        early = (values < earliest).to_numpy(dtype=bool)
        late = (values > latest).to_numpy(dtype=bool)
        if early.any():
            loaded.emit("date_out_of_range", col.name, early,
                        [f"date {v:%d/%m/%Y} is before {schema.EARLIEST_PLAUSIBLE_YEAR}; a typo?"
                         for v in values[early]])
        if late.any():
            what = "in the future" if not col.future_days else \
                f"more than {col.future_days} days in the future"
            loaded.emit("date_out_of_range", col.name, late,
                        [f"date {v:%d/%m/%Y} is {what} (today is {today:%d/%m/%Y})"
                         for v in values[late]])
