"""Reading Excel workbooks into the raw shape."""

from __future__ import annotations

import datetime as _dt
import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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

_HEADER_SEARCH_ROWS = 20


def _excel_header(rows: Iterable[tuple[Any, ...]], table: Table) -> tuple[int, list[str]] | None:
    """(row number, header) of the first row among the first rows of a sheet that holds
    every required column; None if no row does."""
    required = {c.name for c in table.columns if c.present}
    for number, values in enumerate(rows, start=1):
        header = [clean_header(v) for v in values]
        positions, _ = map_headers(header, table)
        if required <= positions.keys():
            return number, header
    return None


def read_xlsx(path: Path, table: Table) -> Raw:
    """The first sheet whose header row (searched in the first rows, so a title above the
    table is fine) holds the table's required columns; else the first sheet and its first
    non-empty row, whose missing columns are then reported."""
    import openpyxl
    from openpyxl.utils.datetime import from_excel

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise Unreadable(f"cannot open the workbook: {exc}") from exc
    try:
        if not wb.worksheets:
            raise Unreadable("the workbook has no sheet")
        found = None
        for ws in wb.worksheets:
            ws.reset_dimensions()  # some writers store wrong dimensions; read every cell
            head = _excel_header(
                itertools.islice(ws.iter_rows(values_only=True), _HEADER_SEARCH_ROWS), table)
            if head is not None:
                found = (ws, *head)
                break
        if found is None:
            ws = wb.worksheets[0]
            for number, row_values in enumerate(ws.iter_rows(values_only=True), start=1):
                if any(v not in (None, "") for v in row_values):
                    found = (ws, number, [clean_header(v) for v in row_values])
                    break
            else:
                raise Unreadable(f"sheet {ws.title!r} is empty")
        ws, header_row, header = found
        positions, duplicates = map_headers(header, table)
        kinds = {pos: table.column(name).kind for name, pos in positions.items()}
        values: dict[int, list[str | None]] = {pos: [] for pos in kinds}
        numeric: dict[int, list[tuple[int, Any, str, str]]] = {pos: [] for pos in kinds}
        rows: list[int] = []
        epoch = wb.epoch
        # Reading a workbook is inherently cell by cell (openpyxl yields cells); this is the
        # only per-record loop of the loader, and it only renders cells to text.
        for number, cells in enumerate(ws.iter_rows(min_row=header_row + 1),
                                       start=header_row + 1):
            rows.append(number)
            width = len(cells)
            for pos, kind in kinds.items():
                cell = cells[pos] if pos < width else None
                v = None if cell is None else cell.value
                if v is None or isinstance(v, str):
                    values[pos].append(v)
                elif isinstance(v, bool):
                    values[pos].append("true" if v else "false")
                elif isinstance(v, _dt.datetime | _dt.date):
                    values[pos].append(v.isoformat(sep=" ") if isinstance(v, _dt.datetime)
                                       else v.isoformat())
                elif isinstance(v, int | float):
                    if kind == "date":
                        try:
                            values[pos].append(from_excel(v, epoch).isoformat(sep=" "))
                        except (ValueError, OverflowError, TypeError):
                            values[pos].append(str(v))
                    else:
                        fmt = cell.number_format if cell is not None else "General"
                        text = render_number(v, fmt)
                        values[pos].append(text)
                        if kind in schema.CODE_KINDS:
                            numeric[pos].append((number, v, fmt, text))
                else:
                    values[pos].append(str(v))
    finally:
        wb.close()
    problems = header_problems(path, table, header, positions, duplicates, header_row)
    for pos, found_cells in numeric.items():
        if found_cells:
            number, v, fmt, text = found_cells[0]
            problems.append(problem(
                "numeric_code", path.name,
                f"column {header[pos]!r} is stored as numbers in Excel ({len(found_cells)} cells, "
                f"first in row {number}: {v!r} read as {text!r} using number format {fmt!r}); "
                "leading zeros or trailing decimal zeros may be lost: format the column as Text",
                number, header[pos]))
    columns = {pos: pd.Series(vals, dtype="str") for pos, vals in values.items()}
    return Raw(header, header_row, positions, columns, np.asarray(rows, dtype=np.int64),
                problems)
