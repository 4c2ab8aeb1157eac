"""Writing the annex's cells: one cell, a merged range, row heights and column widths, and
each sheet's page setup.

Decisions worth knowing:

* **Unknown is empty, never 0.** An aggregate-only unit that did not report, or a rate with a
  zero denominator, leaves its cell empty (with the border and number format, so the table
  still reads as a table).
* **Numbers are stored as numbers**, shown the Vietnamese way where a number format can force
  it: counts with a literal thousands dot (:data:`FMT_COUNT`: "10.561" in Excel and
  LibreOffice on any system); rates and points carry the Vietnamese locale id
  (:data:`FMT_RATE`: "91,71%" in LibreOffice on any system, while Excel always takes the
  decimal separator from the reader's system: "91,71%" on a Vietnamese one).
  Numbers are not rounded here: the cell keeps the exact value and the format rounds it for
  display, as staff checking the figures by hand expect.
* **Text never becomes a formula.** openpyxl turns any ``str`` beginning with "=" into a
  formula (and "#N/A" and friends into error cells). Every text cell written here is forced to
  an inline string (``data_type == "s"``), so Excel and LibreOffice show it literally when the
  file is opened. Text that *would* be interpreted if a user retyped it (it starts with "=",
  "+", "-", "@", a tab or a carriage return: the OWASP list for spreadsheets) also gets the
  cell's *quote prefix* flag, the invisible apostrophe that keeps it text when the cell is
  edited. The value itself is never altered (no apostrophe is prepended); kpis.csv, which has
  no cell types, writes such text after an apostrophe instead (:mod:`briefkit.textsafety`,
  the one definition of the rule), and otherwise the data sheet mirrors it character for
  character. What the annex cannot protect against is a user saving a sheet as CSV and
  opening that CSV elsewhere. Control characters (ESC, NUL …), which XML cannot carry, are
  shown as their escape ("\\x1b"), as in every output (:func:`neutral_text`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from copy import copy
from typing import Any, cast

import numpy as np
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from briefkit.annex.styles import (
    _BOLD,
    _BORDER,
    _FONT,
    _HEAD,
    _LINE_HEIGHT,
    _MARGINS,
    _POINTS_PER_WIDTH,
    _PRINT_HEIGHT,
    _PRINT_WIDTH,
    FONT_NAME,
    FONT_SIZE,
    MIN_PRINT_SCALE,
)
from briefkit.formatting import is_missing
from briefkit.textsafety import is_formula_like, visible

_EXCEL_MAX_TEXT = 32767


def neutral_text(value: object) -> str:
    """Text as it may go into a cell: control characters and characters XML cannot carry
    shown as their escape (:func:`briefkit.textsafety.visible`: ``\\x1b``, as kpis.csv, the
    briefings and the terminal show them; openpyxl would otherwise refuse to write the whole
    file), cut to Excel's 32,767 characters."""
    return visible(value if isinstance(value, str) else str(value))[:_EXCEL_MAX_TEXT]


def _number(value: object) -> int | float | None:
    """A cell number: None when unknown, an int for whole values (so "10", not "10.0")."""
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Expected a number, got a boolean: {value!r}")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError(f"Cannot write {value!r} to the annex; a division by zero upstream?")
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def _put(ws: Worksheet, row: int, col: int, value: object = None, *, font: Font = _FONT,
         align: Alignment | None = None, fmt: str | None = None, border: bool = True,
         fill: PatternFill | None = None) -> Cell:
    """Write one cell. ``str`` is always stored as literal text (never a formula or an error
    code); other values as numbers; None / NaN as an empty cell that still has its style."""
    # not a MergedCell: writing one's value raises before anything is returned
    cell = cast(Cell, ws.cell(row=row, column=col))
    if isinstance(value, str):
        text = neutral_text(value)
        cell.value = text
        cell.data_type = "s"  # openpyxl made "=…" a formula and "#N/A" an error: undo that
        if is_formula_like(text):
            cell.quotePrefix = True
    else:
        cell.value = _number(value)
    cell.font = font
    if align is not None:
        cell.alignment = align
    if fmt is not None:
        cell.number_format = fmt
    if border:
        cell.border = _BORDER
    if fill is not None:
        cell.fill = fill
    return cell


def _merge(ws: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int,
           value: str, *, font: Font = _BOLD, align: Alignment = _HEAD, border: bool = True,
           fill: PatternFill | None = None) -> None:
    """Merge a range and style *every* cell of it: Excel draws a merged range's border from
    its edge cells, so styling only the top-left cell leaves gaps in the grid."""
    for r in range(first_row, last_row + 1):
        for c in range(first_col, last_col + 1):
            cell = ws.cell(row=r, column=c)
            if border:
                cell.border = _BORDER
            if fill is not None:
                cell.fill = fill
    _put(ws, first_row, first_col, value, font=font, align=align, border=border, fill=fill)
    if (first_row, first_col) != (last_row, last_col):
        ws.merge_cells(start_row=first_row, start_column=first_col, end_row=last_row,
                       end_column=last_col)


def _lines(text: str, width: float, factor: float = 1.0) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (an estimate: word
    wrap, Times New Roman letters a little narrower than the digit Excel measures widths by)."""
    usable = max(width - 1.5, 1.0)
    count = 0
    for paragraph in str(text).split("\n"):
        line, lines = 0.0, 1
        for word in paragraph.split():
            size = len(word) * factor
            if line and line + 1 + size > usable:
                lines += 1 + int(size // usable)
                line = size % usable
            else:
                line = line + (1 if line else 0) + size
        count += lines
    return max(count, 1)


def _fit_height(ws: Worksheet, row: int, texts: Iterable[tuple[str, float]],
                factor: float = 1.0) -> None:
    """Give a row the height its wrapped texts need (Excel does not grow rows that contain
    merged cells by itself, and a guessed height is better than clipped headers)."""
    lines = max((_lines(text, width, factor) for text, width in texts), default=1)
    if lines > 1:
        ws.row_dimensions[row].height = lines * _LINE_HEIGHT


def _width(ws: Worksheet, col: int, width: float) -> None:
    ws.column_dimensions[get_column_letter(col)].width = round(width, 1)


def _print_width(widths: Iterable[float]) -> float:
    """Points that columns of these widths take on paper at 100 %."""
    return sum(widths) * _POINTS_PER_WIDTH


def _print_height(ws: Worksheet, last_row: int) -> float:
    """Points that rows 1…``last_row`` take on paper at 100 %."""
    return sum(ws.row_dimensions[r].height or _LINE_HEIGHT for r in range(1, last_row + 1))


def _one_page_tall(ws: Worksheet, last_row: int, widths: Iterable[float]) -> bool:
    """True when fitting the sheet to one page costs no legibility: it prints no smaller than
    fitting its width alone would, or than :data:`MIN_PRINT_SCALE`."""
    across = 100 * _PRINT_WIDTH / _print_width(widths)
    down = 100 * _PRINT_HEIGHT / _print_height(ws, last_row)
    return down >= min(across, MIN_PRINT_SCALE)


def _print_setup(ws: Worksheet, title_rows: str | None, *, pages_tall: int = 0,
                 scale: int | None = None, col_breaks: Iterable[int] = ()) -> None:
    """A4 landscape, header rows repeated, page number at the top centre.

    By default the sheet is fitted to one page wide and ``pages_tall`` pages tall (0: as many
    as needed), the application working out the scale. With ``scale`` the sheet prints at
    that percentage instead and breaks into pages of columns after each of ``col_breaks``
    (Excel ignores manual page breaks on a sheet fitted to pages).

    Printing the whole workbook numbers pages on across sheets (Excel and LibreOffice alike),
    so only the first sheet hides the number of its first page (see :func:`build_annex`)."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if scale is None:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = pages_tall
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    else:
        ws.page_setup.scale = scale
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=False)
        for col in col_breaks:  # a break after column ``col`` (1-based)
            ws.col_breaks.append(Break(id=col, max=1048575))
    ws.print_options.horizontalCentered = True
    ws.page_margins = copy(_MARGINS)
    if title_rows:
        ws.print_title_rows = title_rows
    header = ws.oddHeader
    assert header is not None  # openpyxl's HeaderFooter() always makes its items
    header.center.text = "&P"
    header.center.font = f"{FONT_NAME},Regular"
    header.center.size = FONT_SIZE


def _notice(ws: Worksheet, text: str) -> None:
    """A notice printed at the top left of every page of a data sheet (italic, 10 pt)."""
    header = ws.oddHeader
    assert header is not None  # openpyxl's HeaderFooter() always makes its items
    header.left.text = text
    header.left.font = f"{FONT_NAME},Italic"
    header.left.size = 10


def _use_default_font(workbook: Workbook) -> None:
    """Make Times New Roman 12 the workbook's Normal font.

    openpyxl has no public switch for it: font 0 of the style table is both the Normal style's
    font and that of every unstyled cell, and column widths are measured in its digit width.
    Replacing it before any cell is written is safe (nothing refers to another font yet).
    """
    # private: no public API for it (nor an attribute in openpyxl's stubs)
    cast(Any, workbook)._fonts = IndexedList([_FONT])
