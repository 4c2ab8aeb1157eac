"""Reading Parquet files into the raw shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data.raw import (
    Raw,
    Unreadable,
    clean_header,
    header_problems,
    map_headers,
    render_number,
)
from briefkit.data.rules import problem
from briefkit.schema import Table


def read_parquet(path: Path, table: Table) -> Raw:
    """Parquet keeps native types: timestamps stay datetimes, the rest is rendered as text
    (numbers in code columns with a ``numeric_code`` warning). Rows are record index + 1."""
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas(date_as_object=False)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError… for damaged files
        raise Unreadable(f"cannot read the Parquet file: {exc}") from exc
    frame = frame.reset_index(drop=True)
    header = [clean_header(h) for h in frame.columns]
    positions, duplicates = map_headers(header, table)
    problems = header_problems(path, table, header, positions, duplicates, None)
    columns: dict[int, pd.Series] = {}
    for name, pos in positions.items():
        s = frame.iloc[:, pos]
        kind = table.column(name).kind
        if kind == "date" and pd.api.types.is_datetime64_any_dtype(s):
            columns[pos] = s
            continue
        if (kind in schema.CODE_KINDS and pd.api.types.is_numeric_dtype(s)
                and not pd.api.types.is_bool_dtype(s)):
            problems.append(problem(
                "numeric_code", path.name,
                f"column {header[pos]!r} has a numeric type ({s.dtype}); codes are read as "
                "text without leading zeros: store codes as strings", None, header[pos]))
        columns[pos] = _series_as_text(s)
    rows = np.arange(1, len(frame) + 1)
    return Raw(header, None, positions, columns, rows, problems)


def _series_as_text(s: pd.Series) -> pd.Series:
    """A native (Parquet) column as text the way a user would have written it."""
    if pd.api.types.is_bool_dtype(s):
        return s.map({True: "true", False: "false"}).astype("str")
    if pd.api.types.is_integer_dtype(s):
        return s.astype("Int64").astype("str").where(s.notna())
    if pd.api.types.is_float_dtype(s):
        integral = s.notna() & (s % 1 == 0)
        if integral.sum() == s.notna().sum():
            return s.astype("Int64").astype("str").where(s.notna())
        codes, uniques = pd.factorize(s)
        rendered = np.array([render_number(float(u), "General") for u in uniques] + [None],
                            dtype=object)
        return pd.Series(rendered[codes], index=s.index, dtype="str")
    if pd.api.types.is_datetime64_any_dtype(s):
        stamped: pd.Series = s.dt.strftime("%Y-%m-%d %H:%M:%S")
        return stamped.astype("str")
    return s.map(lambda v: v if v is None or isinstance(v, str) else str(v),
                 na_action="ignore").astype("str")
