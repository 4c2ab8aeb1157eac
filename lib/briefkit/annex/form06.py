"""Sheet 1, "Biểu 06": the national form Biểu số 06/VPCP/KSTT with its frame and signature
block, laid out by :mod:`briefkit.bieu06` (see :mod:`briefkit.annex`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from briefkit import bieu06
from briefkit.annex.cells import (
    _fit_height,
    _merge,
    _one_page_tall,
    _print_setup,
    _print_width,
    _put,
    _width,
)
from briefkit.annex.contents import SHEET_BIEU06
from briefkit.annex.styles import (
    _BOLD,
    _CENTER,
    _FILL_HEADER,
    _FONT,
    _HEAD,
    _ITALIC,
    _LEFT,
    _LINE_HEIGHT,
    _PRINT_HEIGHT,
    _PRINT_WIDTH,
    _RIGHT,
    _TITLE,
    FMT_COUNT,
)
from briefkit.kpis import BIEU06_COLUMNS, bieu06_frame
from briefkit.periods import Period


def bieu06_layout(table: pd.DataFrame, kind_labels: Mapping[str, str] | None = None
                  ) -> list[bieu06.Row]:
    """The rows of the Biểu 06 sheet: :func:`briefkit.bieu06.layout`, the model the overview's
    HTML form reads too."""
    return bieu06.layout(table, kind_labels)


BIEU06_HEADER_ROW = 7  # first of the two header rows; the column numbers follow them
BIEU06_FIRST_DATA_ROW = BIEU06_HEADER_ROW + 3


def _bieu06_frame_top(ws: Worksheet, period: Period, frame: bieu06.Frame, title: str,
                      ncols: int, widths: Sequence[float]) -> None:
    """Rows 1–6: the form's code and legal basis (left), the reporting and receiving unit
    (right), the title and the period with its actual dates (centred), the unit of measure."""
    half = ncols // 2
    _merge(ws, 1, 1, 1, half, bieu06.FORM_CODE, font=_BOLD, align=_LEFT, border=False)
    _merge(ws, 2, 1, 2, half, bieu06.FORM_LEGAL_BASIS, font=_ITALIC, align=_LEFT, border=False)
    reporting, receiving = frame.unit_lines()
    right = Alignment(horizontal="right", vertical="center", wrap_text=True)
    _merge(ws, 1, half + 1, 1, ncols, reporting, align=right, border=False)
    _merge(ws, 2, half + 1, 2, ncols, receiving, align=right, border=False)
    _fit_height(ws, 1, [(reporting, sum(widths[half:]))])
    _fit_height(ws, 2, [(receiving, sum(widths[half:]))])
    _merge(ws, 3, 1, 3, ncols, title, font=_BOLD, align=_TITLE, border=False)
    _fit_height(ws, 3, [(title, sum(widths))], factor=1.45)
    period_line, dates_line = bieu06.period_lines(period)
    _merge(ws, 4, 1, 4, ncols, period_line, font=_BOLD, align=_TITLE, border=False)
    _merge(ws, 5, 1, 5, ncols, dates_line, font=_ITALIC, align=_TITLE, border=False)
    _merge(ws, 6, ncols - 2, 6, ncols, bieu06.UNIT_OF_MEASURE, font=_ITALIC,
           align=Alignment(horizontal="right", vertical="center"), border=False)


def _bieu06_frame_bottom(ws: Worksheet, row: int, frame: bieu06.Frame, ncols: int) -> int:
    """Below the table: the place and date (right), then "NGƯỜI LẬP BIỂU" (left) and
    "THỦ TRƯỞNG ĐƠN VỊ" (right) with their hints, room to sign, and the names; returns the
    last row. Kept on the table's last page (no page break inside the block)."""
    half = ncols // 2
    first = row + 1
    place = frame.place_date()
    _merge(ws, first, half + 1, first, ncols, place, font=_ITALIC, align=_TITLE, border=False)
    titles = first + 1
    _merge(ws, titles, 1, titles, half, bieu06.PREPARER_TITLE, font=_BOLD, align=_TITLE,
           border=False)
    _merge(ws, titles, half + 1, titles, ncols, bieu06.HEAD_TITLE, font=_BOLD, align=_TITLE,
           border=False)
    hints = titles + 1
    _merge(ws, hints, 1, hints, half, bieu06.SIGN_HINT_PREPARER, font=_ITALIC, align=_TITLE,
           border=False)
    _merge(ws, hints, half + 1, hints, ncols, bieu06.SIGN_HINT_HEAD, font=_ITALIC,
           align=_TITLE, border=False)
    for blank in range(hints + 1, hints + 3):  # room for the signature and the seal
        ws.row_dimensions[blank].height = _LINE_HEIGHT * 2
    names = hints + 3
    if frame.preparer:
        _merge(ws, names, 1, names, half, frame.preparer, font=_BOLD, align=_TITLE,
               border=False)
    if frame.head:
        _merge(ws, names, half + 1, names, ncols, frame.head, font=_BOLD, align=_TITLE,
               border=False)
    return names


def _pages(heights: Sequence[float], capacity: float, repeated: float) -> list[int]:
    """The page (0, 1, …) each row falls on, rows of ``heights`` filling pages of
    ``capacity`` points, each page after the first starting with ``repeated`` points of
    repeated header rows."""
    page, used, pages = 0, 0.0, []
    for height in heights:
        if used + height > capacity and used > repeated:
            page, used = page + 1, repeated
        used += height
        pages.append(page)
    return pages


def _break_before_block(ws: Worksheet, scale: int, title_rows: range, last_table_row: int,
                        last: int, keep_rows: int = 3) -> int | None:
    """Where to break the page so that the signature block (the rows after
    ``last_table_row``) never opens a page of its own: the row after which to break (the
    block then follows the table's last ``keep_rows`` rows), or None when the page breaks of
    the sheet printed at ``scale`` % fall far from the block. Applications differ by a few
    per cent in how tall they print a row, so the block counts as at risk when a page ends
    anywhere near it (a page 10 % shorter or longer would split it)."""
    heights = [ws.row_dimensions[r].height or _LINE_HEIGHT for r in range(1, last + 1)]
    repeated = sum(ws.row_dimensions[r].height or _LINE_HEIGHT for r in title_rows)
    capacity = _PRINT_HEIGHT * 100 / scale
    first_kept = max(title_rows.stop, last_table_row - keep_rows + 1)
    for factor in (0.9, 1.0, 1.1):
        pages = _pages(heights, capacity * factor, repeated)
        if len(set(pages[first_kept - 1:last])) > 1:
            return first_kept - 1
    return None


def _bieu06_sheet(ws: Worksheet, table: pd.DataFrame, period: Period,
                  kind_labels: Mapping[str, str] | None, title: str,
                  frame: bieu06.Frame) -> None:
    ws.title = SHEET_BIEU06
    frame_rows = bieu06_frame(table)
    layout = bieu06.layout(table, kind_labels)
    ncols = 2 + len(BIEU06_COLUMNS)
    # 10 holds "1.234.567" in bold; a longer unit name wraps rather than shrink the print
    stt_width, count_width = 5.0, 10.0
    name_width = min(max([24.0, *(len(r.label) * 1.0 + 3 for r in layout)]), 32.0)
    widths = [stt_width, name_width, *[count_width] * len(BIEU06_COLUMNS)]
    _bieu06_frame_top(ws, period, frame, title, ncols, widths)

    # headers: (1) STT and (2) Đơn vị span both rows; the three groups span their columns
    top, sub, numbers = BIEU06_HEADER_ROW, BIEU06_HEADER_ROW + 1, BIEU06_HEADER_ROW + 2
    _merge(ws, top, 1, sub, 1, "STT", fill=_FILL_HEADER)
    _merge(ws, top, 2, sub, 2, bieu06.UNIT_HEADING, fill=_FILL_HEADER)
    groups = bieu06.column_groups()
    for group, cols in groups:
        _merge(ws, top, cols[0], top, cols[-1], group, fill=_FILL_HEADER)
    for number, _, header, _ in BIEU06_COLUMNS:
        _put(ws, sub, number, header, font=_BOLD, align=_HEAD, fill=_FILL_HEADER)
    for col in range(1, ncols + 1):
        _put(ws, numbers, col, f"({col})", font=_ITALIC, align=_CENTER)
    _fit_height(ws, top, [(g, count_width * len(c)) for g, c in groups])
    # the column headers are short words, narrower than the digits widths are measured in:
    # "Trực tiếp, dịch vụ bưu chính" takes three lines in a column 10 wide, not five
    _fit_height(ws, sub, [(h, count_width) for _, _, h, _ in BIEU06_COLUMNS], factor=0.8)

    # body
    number_cols = [n for n, _, _, _ in BIEU06_COLUMNS]
    row = BIEU06_FIRST_DATA_ROW
    for item in layout:
        font = _BOLD if item.strong else _FONT
        _put(ws, row, 1, item.stt, font=font, align=_CENTER)
        _put(ws, row, 2, item.label, font=font, align=_LEFT)
        figures = frame_rows.loc[item.unit_id] if item.unit_id is not None else None
        for number in number_cols:
            value = figures[number] if figures is not None else None
            _put(ws, row, number, value, font=font, align=_RIGHT, fmt=FMT_COUNT)
        _fit_height(ws, row, [(item.label, name_width)])
        row += 1
    last = _bieu06_frame_bottom(ws, row, frame, ncols)

    for col, width in enumerate(widths, start=1):
        _width(ws, col, width)
    ws.freeze_panes = cast(Cell, ws.cell(row=BIEU06_FIRST_DATA_ROW, column=3))  # not merged
    for r in range(1, last + 1):  # every height explicit: the pagination is then predictable
        if ws.row_dimensions[r].height is None:
            ws.row_dimensions[r].height = _LINE_HEIGHT
    # the form on one sheet of paper when that keeps it legible, else as many as it needs,
    # the signature block on the same page as the table's last rows
    if _one_page_tall(ws, last, widths):
        _print_setup(ws, f"{top}:{numbers}", pages_tall=1)
    else:
        scale = int(min(100.0, 100 * _PRINT_WIDTH / _print_width(widths)))
        _print_setup(ws, f"{top}:{numbers}", scale=scale)
        keep = _break_before_block(ws, scale, range(top, numbers + 1), row - 1, last)
        if keep is not None:
            ws.row_breaks.append(Break(id=keep))
