"""Reading Parquet files into the raw shape.

The file's metadata is read first: a file beyond :data:`~briefkit.data.rules.MAX_ROWS`
records or :data:`~briefkit.data.rules.MAX_COLUMNS` columns is refused before any data is.
Then only the columns the table uses are read, and each one's Arrow type is checked
against its column's kind: a date column holds dates, timestamps (tz-aware ones too) or
text, never numbers (``20220105``, days or milliseconds since 1970 would be guesses); the
other columns hold text, numbers or booleans. A used column of any other type (lists,
structs, binary…) is one ``unsupported_type`` error naming it, and is not read further.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data import rules
from briefkit.data.raw import (
    Raw,
    Unreadable,
    clean_header,
    header_problems,
    long_cells,
    map_headers,
    render_number,
)
from briefkit.data.rules import problem
from briefkit.problems import Problem
from briefkit.schema import Table

#: datetime64[ns]'s range, which the converted frames use: timestamps outside it are read
#: as text, so that the date check names each one.
_FIRST_YEAR, _LAST_YEAR = 1678, 2261


def read_parquet(path: Path, table: Table) -> Raw:
    """Parquet keeps native types: timestamps stay datetimes, booleans without nulls stay
    booleans in yes/no columns, text columns but a unique key are read as dictionaries and
    booleans with nulls rendered as one (Categoricals of text), the rest is rendered as text
    (numbers in code columns with a ``numeric_code`` warning). Rows are record index + 1."""
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as pf:
            names = list(pf.schema_arrow.names)
            count = pf.metadata.num_rows
            _check_limits(names, count)
            header = [clean_header(h) for h in names]
            positions, duplicates = map_headers(header, table)
            used = sorted(set(positions.values()))
            if all(names.count(names[pos]) == 1 for pos in used):
                coded = _dictionary_columns(pf.schema_arrow, positions, table)
                with pq.ParquetFile(path, metadata=pf.metadata, read_dictionary=coded) as dpf:
                    data = dpf.read(columns=[names[pos] for pos in used])
                arrays = {pos: data.column(i) for i, pos in enumerate(used)}
            else:  # a name given twice in the file: read everything, pick by position
                data = pf.read()
                arrays = {pos: data.column(pos) for pos in used}
    except Unreadable:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError… for damaged files
        raise Unreadable(f"cannot read the Parquet file: {exc}") from exc
    problems = header_problems(path, table, header, positions, duplicates, None)
    columns: dict[int, pd.Series] = {}
    for name, pos in positions.items():
        kind = table.column(name).kind
        array = arrays[pos]
        if not _accepted(array.type, kind):
            problems.append(_type_problem(path, header[pos], array, kind))
            continue
        s = _to_pandas(array)
        if _kept_as_is(s, kind):
            columns[pos] = s
            continue
        if kind in schema.CODE_KINDS and _numeric(array.type):
            problems.append(problem(
                "numeric_code", path.name,
                f"column {header[pos]!r} has a numeric type ({array.type}); codes are read as "
                "text without leading zeros: store codes as strings", None, header[pos]))
        columns[pos] = _series_as_text(s)
    # A column of an unsupported type is reported once, not read (nor said to be missing).
    positions = {name: pos for name, pos in positions.items() if pos in columns}
    rows = np.arange(1, count + 1)
    problems += long_cells(path, header, columns, rows)
    return Raw(header, None, positions, columns, rows, problems)


def _check_limits(names: list[str], count: int) -> None:
    if len(names) > rules.MAX_COLUMNS:
        raise Unreadable(
            f"{len(names):,} columns, more than the {rules.MAX_COLUMNS:,} a file may hold",
            None, clean_header(names[rules.MAX_COLUMNS]) or None, "file_too_large")
    if count > rules.MAX_ROWS:
        raise Unreadable(
            f"{count:,} records, more than the {rules.MAX_ROWS:,} a file may hold: split it "
            "(e.g. one file per year)", rules.MAX_ROWS + 1, None, "file_too_large")


def _dictionary_columns(arrow_schema: Any, positions: dict[str, int], table: Table
                        ) -> list[str]:
    """The used text columns to read as dictionaries (pandas Categoricals, converted once per
    distinct value): all but the table's single unique key, whose values are all distinct.
    Dates stored as text too, unlike CSV's ``read_csv._coded``: a Parquet writer stores a
    column of few distinct values with a dictionary already, so reading it as one is free,
    where Arrow's CSV reader would have to hash every date-time text."""
    return [arrow_schema.names[pos] for name, pos in positions.items()
            if table.unique != (name,) and _is_text(arrow_schema.types[pos])]


def _is_text(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def _value_type(arrow_type: Any) -> Any:
    """The type of the values (a dictionary-encoded column's dictionary values)."""
    import pyarrow as pa

    return arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type


def _numeric(arrow_type: Any) -> bool:
    import pyarrow as pa

    t = _value_type(arrow_type)
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))


def _accepted(arrow_type: Any, kind: str) -> bool:
    """Whether a column of ``kind`` can be read from Arrow type ``arrow_type``."""
    import pyarrow as pa

    t = _value_type(arrow_type)
    text = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
    dates = pa.types.is_timestamp(t) or pa.types.is_date(t)
    if pa.types.is_null(t) or text or dates:  # null: a column with no value at all
        return True
    return kind != "date" and (_numeric(t) or pa.types.is_boolean(t))


def _type_problem(path: Path, header: str, array: Any, kind: str) -> Problem:
    values = array.drop_null()
    example = ""
    if len(values):
        shown = repr(values[0].as_py())
        example = f" (e.g. {shown if len(shown) <= 40 else shown[:39] + '…'})"
    if kind == "date":
        hint = ("store dates as a Parquet date or timestamp (pandas datetime64), or as text "
                "such as 2022-01-05 or 05/01/2022")
        if _numeric(array.type):
            hint += ("; numbers are not read as dates (20220105, days or milliseconds "
                     "since 1970, an Excel serial: each would be a guess)")
        what = "not a date type"
    else:
        hint = "store it as text (codes, counts and levels may also be numbers, yes/no " \
               "values booleans)"
        what = "a type this column cannot be read from"
    return problem("unsupported_type", path.name,
                   f"column {header!r} is stored as {array.type}{example}, {what}: {hint}",
                   None, header)


def _to_pandas(array: Any) -> pd.Series:
    """A column as a pandas Series: see :func:`_categorical`; other dictionaries decoded,
    dates as datetime64, timestamps outside datetime64[ns]'s range as text (the date check
    then names them)."""
    import pyarrow as pa

    coded = _categorical(array)
    if coded is not None:
        return coded
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    # Integers with nulls as Python ints, not floats: a 17-digit code keeps every digit.
    s: pd.Series = array.to_pandas(date_as_object=False,
                                   integer_object_nulls=pa.types.is_integer(array.type))
    if pd.api.types.is_datetime64_any_dtype(s) and s.notna().any() and (
            s.min().year < _FIRST_YEAR or s.max().year > _LAST_YEAR):
        stamped: pd.Series = s.dt.strftime("%Y-%m-%d %H:%M:%S")
        return stamped.astype("str")
    return s


def _categorical(array: Any) -> pd.Series | None:
    """Text read as a dictionary, and booleans with nulls (as "true"/"false"), as a
    Categorical of text: converted once per distinct value. None for other columns."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(array.type) and _is_text(array.type.value_type):
        coded: pd.Series = array.to_pandas()
        return coded
    if pa.types.is_boolean(array.type) and array.null_count:
        codes = pc.fill_null(array, False).to_numpy().astype(np.int8)
        codes[array.is_null().to_numpy()] = -1
        return pd.Series(pd.Categorical.from_codes(
            codes, categories=pd.Index(["false", "true"], dtype="str")))
    return None


def _kept_as_is(s: pd.Series, kind: str) -> bool:
    """Whether a column goes to conversion as read: datetimes in a date column, booleans
    without nulls in a yes/no column (nothing to read), text read as a dictionary."""
    if kind == "date" and pd.api.types.is_datetime64_any_dtype(s):
        return True
    if kind == "bool" and pd.api.types.is_bool_dtype(s):  # with nulls: a Categorical
        return True
    return isinstance(s.dtype, pd.CategoricalDtype)


def _series_as_text(s: pd.Series) -> pd.Series:
    """A native (Parquet) column as text the way a user would have written it."""
    if pd.api.types.is_bool_dtype(s):
        return s.map({True: "true", False: "false"}).astype("str")
    if pd.api.types.is_integer_dtype(s):
        return s.astype("Int64").astype("str").where(s.notna())
    if pd.api.types.is_float_dtype(s):
        integral = s.notna() & (s % 1 == 0) & (s.abs() < 2.0**63)  # Int64 holds it
        if integral.sum() == s.notna().sum():
            return s.astype("Int64").astype("str").where(s.notna())
        codes, uniques = pd.factorize(s)
        rendered = np.array([render_number(float(u), "General") for u in uniques] + [None],
                            dtype=object)
        return pd.Series(rendered[codes], index=s.index, dtype="str")
    if pd.api.types.is_datetime64_any_dtype(s):
        stamped: pd.Series = s.dt.strftime("%Y-%m-%d %H:%M:%S")
        return stamped.astype("str")
    if isinstance(s.dtype, pd.StringDtype):  # string columns: already text, no Python pass
        return s.astype("str")
    return s.map(lambda v: v if v is None or isinstance(v, str) else _text(v),
                 na_action="ignore").astype("str")


def _text(value: Any) -> str:
    """A value of an object column as text (booleans, should they arrive as objects)."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)
