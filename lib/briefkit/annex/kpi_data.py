"""Sheet 4, "KPI (dữ liệu)": kpis.csv as a sheet, for tools that read the annex back; hidden,
not part of the printed annex (see :mod:`briefkit.annex`)."""

from __future__ import annotations

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from briefkit.annex.cells import _notice, _print_setup, _put, _width
from briefkit.annex.contents import DATA_SHEET_NOTICE
from briefkit.annex.styles import _BOLD, _CENTER, _FILL_HEADER
from briefkit.formatting import is_missing
from briefkit.kpis import KPI_CSV_COLUMNS, kpis_csv_frame


def _kpi_data_sheet(ws: Worksheet, table: pd.DataFrame) -> None:
    """kpis.csv as a sheet: same columns, same rows, same order; numbers stay numbers.

    Machine data, not part of the printed annex: the last sheet, a grey tab, and a running
    header saying so on every page should someone print it anyway (the cells themselves stay
    exactly kpis.csv)."""
    frame = kpis_csv_frame(table)
    text_columns = {"unit_id", "unit_name", "period", "kpi", "status", "basis"}
    widths = {c: float(len(c)) for c in KPI_CSV_COLUMNS}
    for col, column in enumerate(KPI_CSV_COLUMNS, start=1):
        _put(ws, 1, col, column, font=_BOLD, align=_CENTER, fill=_FILL_HEADER)
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=2):
        for col, (column, value) in enumerate(zip(KPI_CSV_COLUMNS, values, strict=True),
                                              start=1):
            if column in text_columns:
                value = "" if is_missing(value) else str(value)
                widths[column] = max(widths[column], len(value))
                _put(ws, row, col, value if value else None)
            else:
                _put(ws, row, col, value)
    for col, column in enumerate(KPI_CSV_COLUMNS, start=1):
        width = widths[column] + 3 if column in text_columns else 12.0
        _width(ws, col, min(width, 45.0))
    ws.freeze_panes = "A2"
    last = get_column_letter(len(KPI_CSV_COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{max(len(frame) + 1, 1)}"
    ws.sheet_properties.tabColor = "808080"
    _print_setup(ws, "1:1")
    _notice(ws, DATA_SHEET_NOTICE)
