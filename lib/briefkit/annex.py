"""The Excel annex (phụ lục) attached to an official dispatch: Biểu 06, KPI tables, provenance.

Sheets, in order:

1. **"Biểu 06"**: the national form Biểu số 06/VPCP/KSTT (Circular 01/2020/TT-VPCP) with its
   two-level merged headers and column numbers (1)…(13). Units are grouped by their ``kind``
   (a Roman-numbered group row per kind, units numbered 1, 2, … inside it). A group whose units
   are exactly the units of one level carries that level's roll-up (``*huyen`` …) in its group
   row, the way Vietnamese tables show sub-totals; level roll-ups that match no group are listed
   after the groups ("Cộng các đơn vị cấp …"). The grand total (roll-up ``*``) is the last row,
   "Tổng cộng". Every figure comes from the KPI table via :func:`briefkit.kpis.bieu06_frame`, so
   the annex can never disagree with kpis.csv.
2. **"Chỉ tiêu"**: one row per unit (roll-ups last) and one column group per main KPI
   (:data:`ANNEX_KPIS`): the value, and where the KPI has a target for some unit, the target and
   the status in words ("Đạt" / "Chưa đạt" / "—"). Status is written as text, so it reads the
   same printed in black and white; a light green / red fill is added on top.
3. **"KPI (dữ liệu)"**: the long table with exactly the columns and rows of kpis.csv, numbers as
   numbers, for tools that read the annex back.
4. **"Nguồn dữ liệu"**: the provenance mapping as key / value rows.

Decisions worth knowing:

* **Unknown is empty, never 0.** An aggregate-only unit that did not report, or a rate with a
  zero denominator, leaves its cell empty (with the border and number format, so the table
  still reads as a table).
* **Numbers are stored as numbers** with Excel number formats (``#,##0``, ``0.00%``); Excel and
  LibreOffice then show them in the reader's locale (1.234 and 80,18% on a Vietnamese system).
  Numbers are not rounded here: the cell keeps the exact value and the format rounds it for
  display, as staff checking the figures by hand expect.
* **Text never becomes a formula.** openpyxl turns any ``str`` beginning with "=" into a
  formula (and "#N/A" and friends into error cells). Every text cell written here is forced to
  an inline string (``data_type == "s"``), so Excel and LibreOffice show it literally when the
  file is opened. Text that *would* be interpreted if a user retyped it (it starts with "=",
  "+", "-", "@", a tab or a carriage return: the OWASP list for spreadsheets) also gets the
  cell's *quote prefix* flag, the invisible apostrophe that keeps it text when the cell is
  edited. The value itself is never altered (no apostrophe is prepended), so the data sheet
  still mirrors kpis.csv character for character. What the annex cannot protect against is a
  user saving a sheet as CSV and opening that CSV elsewhere: CSV has no cell types.
* **Reproducible files.** Cell contents depend only on the inputs. The workbook's creator is
  "briefkit <version>", and when the provenance has a generation time (``generated_at``) the
  document's created / modified times and the zip entries' timestamps are set to it, so the
  same inputs give the same bytes.
* **Typography and print.** Times New Roman 12 throughout (also as the workbook's default
  font, so cells a user adds later match); Excel on Windows has it, LibreOffice substitutes the
  metric-compatible Liberation Serif. Every sheet prints on A4 landscape, fitted to the page
  width, with its header rows repeated on each page and page numbers at the top centre except
  on the first page (Decree 30/2020, annex I).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from copy import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from briefkit import __version__
from briefkit.formatting import is_missing, to_roman
from briefkit.iorw import atomic_path
from briefkit.kpis import (
    BIEU06_COLUMNS,
    KPI_CSV_COLUMNS,
    KPIS,
    ROLLUP_ALL,
    STATUS_MET,
    STATUS_NA,
    STATUS_NOT_MET,
    bieu06_frame,
    kpis_csv_frame,
)
from briefkit.periods import Period

SHEET_BIEU06 = "Biểu 06"
SHEET_KPI = "Chỉ tiêu"
SHEET_KPI_DATA = "KPI (dữ liệu)"
SHEET_SOURCES = "Nguồn dữ liệu"

BIEU06_FORM = "Biểu số 06/VPCP/KSTT"
#: The form's title; a province using its own wording passes ``title=`` to :func:`write_annex`.
BIEU06_TITLE = ("KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ "
                "TRỰC TIẾP GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")
KPI_TITLE = ("KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU VỀ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH, "
             "DỊCH VỤ CÔNG TRỰC TUYẾN")
SOURCES_TITLE = "NGUỒN DỮ LIỆU VÀ THAM SỐ TÍNH TOÁN"
GRAND_TOTAL_LABEL = "Tổng cộng"

#: Group headings of Biểu 06 by unit kind; a kind not listed shows as written in units.csv.
#: Kinds are a free vocabulary (data contract), so callers extend this with ``kind_labels=``.
DEFAULT_KIND_LABELS: Mapping[str, str] = {
    "phong_ban": "Các phòng, ban chuyên môn",
    "phuong_xa": "UBND các phường, xã",
    "so_nganh": "Các sở, ban, ngành",
}
_NO_KIND_LABEL = "Các đơn vị khác"

#: KPIs of the "Chỉ tiêu" sheet, in column order (those absent from the table are skipped).
ANNEX_KPIS: tuple[str, ...] = (
    "online_rate", "on_time_rate", "late_apology_rate", "l3_online_share", "l4_online_share",
    "l3_procedures_with_online", "l4_procedures_with_online", "documents_signed_rate",
    "index766_progress", "index766_online",
)

STATUS_TEXT: Mapping[str, str] = {STATUS_MET: "Đạt", STATUS_NOT_MET: "Chưa đạt", STATUS_NA: "—"}

#: Leading characters that make a spreadsheet interpret typed text (OWASP, "CSV injection").
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: Keys of the provenance mapping read as the generation time (first one present wins).
GENERATED_AT_KEYS: tuple[str, ...] = ("generated_at", "generated-at", "generated at")

FMT_COUNT = "#,##0"
FMT_RATE = "0.00%"
FMT_POINTS = "0.00"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_EXCEL_MAX_TEXT = 32767

# ---------------------------------------------------------------------------------- styles

FONT_NAME = "Times New Roman"
FONT_SIZE = 12
_FONT = Font(name=FONT_NAME, size=FONT_SIZE, family=1)
_BOLD = Font(name=FONT_NAME, size=FONT_SIZE, family=1, bold=True)
_ITALIC = Font(name=FONT_NAME, size=FONT_SIZE, family=1, italic=True)
_FONT_MET = Font(name=FONT_NAME, size=FONT_SIZE, family=1, color="006100")
_FONT_NOT_MET = Font(name=FONT_NAME, size=FONT_SIZE, family=1, bold=True, color="9C0006")
_FILL_MET = PatternFill("solid", start_color="C6EFCE", end_color="C6EFCE")
_FILL_NOT_MET = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
_FILL_HEADER = PatternFill("solid", start_color="F2F2F2", end_color="F2F2F2")
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD = Alignment(horizontal="center", vertical="center", wrap_text=True)
_CENTER = Alignment(horizontal="center", vertical="center")
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_RIGHT = Alignment(horizontal="right", vertical="center")
_TITLE = Alignment(horizontal="center", vertical="center", wrap_text=True)

# One line of 12-pt text: Excel's default row height for the font, in points.
_LINE_HEIGHT = 15.75
# Decree 30/2020 margins (top/bottom 20 mm, left 30 mm, right 15 mm), in inches.
_MARGINS = PageMargins(left=30 / 25.4, right=15 / 25.4, top=20 / 25.4, bottom=20 / 25.4,
                       header=8 / 25.4, footer=8 / 25.4)


# ---------------------------------------------------------------------------------- API


def write_annex(path: str | Path, table: pd.DataFrame, period: Period,
                provenance: Mapping[str, object], *,
                kind_labels: Mapping[str, str] | None = None,
                kpis: Sequence[str] | None = None, title: str | None = None,
                show_all_targets: bool = False) -> Path:
    """Write the annex workbook to ``path`` atomically and return the path.

    ``table`` is what :func:`briefkit.kpis.compute_kpis` returns; ``provenance`` a flat mapping
    shown on the "Nguồn dữ liệu" sheet (its ``generated_at`` fixes the file's timestamps).
    ``kind_labels`` adds to / overrides :data:`DEFAULT_KIND_LABELS`; ``kpis`` replaces
    :data:`ANNEX_KPIS`; ``title`` replaces :data:`BIEU06_TITLE`. On the "Chỉ tiêu" sheet a KPI
    gets target and status columns only when some unit has a target for it (a column of dashes
    would only make the page too wide to print); ``show_all_targets`` keeps them for every KPI.

    Nothing appears under ``path`` unless the whole workbook was written.
    """
    workbook = build_annex(table, period, provenance, kind_labels=kind_labels, kpis=kpis,
                           title=title, show_all_targets=show_all_targets)
    when = generated_at(provenance)
    with atomic_path(path) as tmp:
        _save(workbook, tmp, when)
    return Path(path)


def build_annex(table: pd.DataFrame, period: Period, provenance: Mapping[str, object], *,
                kind_labels: Mapping[str, str] | None = None,
                kpis: Sequence[str] | None = None, title: str | None = None,
                show_all_targets: bool = False) -> Workbook:
    """The annex as an in-memory workbook (see :func:`write_annex`), for callers that add sheets."""
    required = [*KPI_CSV_COLUMNS, "kind", "level", "is_rollup"]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(f"KPI table lacks column(s) {', '.join(missing)}; "
                         f"pass what compute_kpis() returns")
    wanted = list(kpis) if kpis is not None else list(ANNEX_KPIS)
    unknown = [k for k in wanted if k not in KPIS]
    if unknown:
        raise ValueError(f"Unknown KPI id(s) for the annex: {', '.join(unknown)}")
    present = set(table["kpi"])
    chosen = [k for k in wanted if k in present]
    when = generated_at(provenance)  # validated before any work

    workbook = Workbook()
    _use_default_font(workbook)
    labels = {**DEFAULT_KIND_LABELS, **(kind_labels or {})}
    _bieu06_sheet(workbook.active, table, period, labels, title or BIEU06_TITLE)
    _kpi_sheet(workbook.create_sheet(SHEET_KPI), table, period, chosen, show_all_targets)
    _kpi_data_sheet(workbook.create_sheet(SHEET_KPI_DATA), table)
    _sources_sheet(workbook.create_sheet(SHEET_SOURCES), period, provenance)
    workbook.active.HeaderFooter.differentFirst = True  # no number on page 1 (Decree 30)

    props = workbook.properties
    props.creator = f"briefkit {__version__}"
    props.lastModifiedBy = props.creator
    props.title = f"Phụ lục: kết quả giải quyết thủ tục hành chính {period.label()}"
    props.subject = f"{BIEU06_FORM}; chỉ tiêu {period.spec}"
    if when is not None:
        props.created = when
        props.modified = when
    return workbook


def generated_at(provenance: Mapping[str, object]) -> _dt.datetime | None:
    """The generation time from the provenance, as naive UTC (what the xlsx core properties
    store), or None. Accepts a datetime, a pandas Timestamp or ISO 8601 text; a naive value is
    taken as UTC. Raises ValueError for anything else: a wrong timestamp in an official file is
    worse than an error."""
    for key in GENERATED_AT_KEYS:
        if key in provenance and not is_missing(provenance[key]):
            raw = provenance[key]
            break
    else:
        return None
    if isinstance(raw, str):
        try:
            value = _dt.datetime.fromisoformat(raw.strip())
        except ValueError as exc:
            raise ValueError(f"provenance {key!r}: {raw!r} is not an ISO 8601 time") from exc
    elif isinstance(raw, pd.Timestamp):
        value = raw.to_pydatetime()
    elif isinstance(raw, _dt.datetime):
        value = raw
    elif isinstance(raw, _dt.date):
        value = _dt.datetime(raw.year, raw.month, raw.day)
    else:
        raise ValueError(f"provenance {key!r}: expected a time, got {type(raw).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


# ---------------------------------------------------------------------------------- cells


def neutral_text(value: object) -> str:
    """Text as it may go into a cell: characters XML cannot carry replaced by U+FFFD, cut to
    Excel's 32,767 characters (openpyxl would otherwise refuse to write the whole file)."""
    text = value if isinstance(value, str) else str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return text[:_EXCEL_MAX_TEXT]


def is_formula_like(text: str) -> bool:
    """True for text a spreadsheet would interpret if it were typed in (see module notes)."""
    return text.startswith(FORMULA_TRIGGERS)


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
    cell = ws.cell(row=row, column=col)
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


def _print_setup(ws: Worksheet, title_rows: str | None) -> None:
    """A4 landscape, one page wide, header rows repeated, page number at the top centre.

    Printing the whole workbook numbers pages on across sheets (Excel and LibreOffice alike),
    so only the first sheet hides the number of its first page (see :func:`build_annex`)."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins = copy(_MARGINS)
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddHeader.center.text = "&P"
    ws.oddHeader.center.font = f"{FONT_NAME},Regular"
    ws.oddHeader.center.size = FONT_SIZE


def _use_default_font(workbook: Workbook) -> None:
    """Make Times New Roman 12 the workbook's Normal font.

    openpyxl has no public switch for it: font 0 of the style table is both the Normal style's
    font and that of every unstyled cell, and column widths are measured in its digit width.
    Replacing it before any cell is written is safe (nothing refers to another font yet).
    """
    workbook._fonts = IndexedList([_FONT])  # private: no public API for it


# ---------------------------------------------------------------------------------- sheet 1


def _kind_label(kind: object, labels: Mapping[str, str]) -> str:
    if is_missing(kind) or str(kind).strip() in ("", "nan", "<NA>", "None"):
        return _NO_KIND_LABEL
    return labels.get(str(kind), str(kind))


def _unit_name(name: object, unit_id: str) -> str:
    """The unit's name, or its id where the name is missing (never the text "nan")."""
    return unit_id if is_missing(name) or not str(name).strip() else str(name)


def _rollup_label(unit_id: str, name: object) -> str:
    if unit_id == ROLLUP_ALL:
        return GRAND_TOTAL_LABEL
    text = _unit_name(name, unit_id)
    return f"Cộng {text[:1].lower()}{text[1:]}"


def bieu06_layout(table: pd.DataFrame, kind_labels: Mapping[str, str] | None = None
                  ) -> list[tuple[str, str, str, str | None]]:
    """The rows of the Biểu 06 sheet, in order, as (role, STT, label, unit_id) with role one of
    ``group`` / ``unit`` / ``subtotal`` / ``total``; a group row's unit_id is the roll-up whose
    figures it shows (None when its units are no level's units).

    Exposed so tests and other renderers (an HTML annex) lay the form out the same way.
    """
    labels = {**DEFAULT_KIND_LABELS, **(kind_labels or {})}
    meta = table.drop_duplicates("unit_id").set_index("unit_id")
    is_rollup = meta["is_rollup"].astype(bool)
    units, rollups = meta[~is_rollup], meta[is_rollup]
    kinds: dict[str, list[str]] = {}
    for unit_id, kind in zip(units.index, units["kind"], strict=True):
        kinds.setdefault(_kind_label(kind, labels), []).append(str(unit_id))

    # members of each level roll-up, as compute_kpis forms them (units of that level)
    level_members = {
        rid: set(units.index[units["level"].astype(str) == rid.removeprefix("*")])
        for rid in rollups.index if rid != ROLLUP_ALL
    }
    rows: list[tuple[str, str, str, str | None]] = []
    placed: set[str] = set()
    for number, (label, members) in enumerate(kinds.items(), start=1):
        match = next((rid for rid, m in level_members.items()
                      if m == set(members) and rid not in placed), None)
        if match is not None:
            placed.add(match)
        rows.append(("group", to_roman(number), label, match))
        rows += [("unit", str(i), _unit_name(meta.at[u, "unit_name"], u), u)
                 for i, u in enumerate(members, start=1)]
    for rid in level_members:
        if rid not in placed:
            rows.append(("subtotal", "", _rollup_label(rid, rollups.at[rid, "unit_name"]), rid))
    if ROLLUP_ALL in rollups.index:
        rows.append(("total", "", GRAND_TOTAL_LABEL, ROLLUP_ALL))
    return rows


BIEU06_HEADER_ROW = 5  # first of the two header rows; the column numbers follow them
BIEU06_FIRST_DATA_ROW = BIEU06_HEADER_ROW + 3


def _bieu06_sheet(ws: Worksheet, table: pd.DataFrame, period: Period,
                  kind_labels: Mapping[str, str], title: str) -> None:
    ws.title = SHEET_BIEU06
    frame = bieu06_frame(table)
    layout = bieu06_layout(table, kind_labels)
    ncols = 2 + len(BIEU06_COLUMNS)
    count_width = 12.0
    name_width = min(max([24.0, *(len(label) * 1.0 + 3 for _, _, label, _ in layout)]), 42.0)

    # title block
    _put(ws, 1, 1, BIEU06_FORM, font=_BOLD, border=False)
    _merge(ws, 2, 1, 2, ncols, title, font=_BOLD, align=_TITLE, border=False)
    _merge(ws, 3, 1, 3, ncols, f"Kỳ báo cáo: {period.label()}", font=_ITALIC, align=_TITLE,
           border=False)
    _merge(ws, 4, ncols - 2, 4, ncols, "Đơn vị tính: hồ sơ", font=_ITALIC,
           align=Alignment(horizontal="right", vertical="center"), border=False)
    total_width = 6 + name_width + count_width * len(BIEU06_COLUMNS)
    _fit_height(ws, 2, [(title, total_width)], factor=1.45)

    # headers: (1) STT and (2) Đơn vị span both rows; the three groups span their columns
    top, sub, numbers = BIEU06_HEADER_ROW, BIEU06_HEADER_ROW + 1, BIEU06_HEADER_ROW + 2
    _merge(ws, top, 1, sub, 1, "STT", fill=_FILL_HEADER)
    _merge(ws, top, 2, sub, 2, "Đơn vị", fill=_FILL_HEADER)
    groups: dict[str, list[int]] = {}
    for offset, (_, group, _, _) in enumerate(BIEU06_COLUMNS):
        groups.setdefault(group, []).append(3 + offset)
    for group, cols in groups.items():
        _merge(ws, top, cols[0], top, cols[-1], group, fill=_FILL_HEADER)
    for offset, (_, _, header, _) in enumerate(BIEU06_COLUMNS):
        _put(ws, sub, 3 + offset, header, font=_BOLD, align=_HEAD, fill=_FILL_HEADER)
    for col in range(1, ncols + 1):
        _put(ws, numbers, col, f"({col})", font=_ITALIC, align=_CENTER)
    _fit_height(ws, top, [(g, count_width * len(c)) for g, c in groups.items()])
    _fit_height(ws, sub, [(h, count_width) for _, _, h, _ in BIEU06_COLUMNS])

    # body
    number_cols = [n for n, _, _, _ in BIEU06_COLUMNS]
    row = BIEU06_FIRST_DATA_ROW
    for role, stt, label, unit_id in layout:
        strong = role != "unit"
        font = _BOLD if strong else _FONT
        _put(ws, row, 1, stt, font=font, align=_CENTER)
        _put(ws, row, 2, label, font=font, align=_LEFT)
        figures = frame.loc[unit_id] if unit_id is not None else None
        for offset, number in enumerate(number_cols):
            value = figures[number] if figures is not None else None
            _put(ws, row, 3 + offset, value, font=font, align=_RIGHT, fmt=FMT_COUNT)
        _fit_height(ws, row, [(label, name_width)])
        row += 1

    _width(ws, 1, 6)
    _width(ws, 2, name_width)
    for col in range(3, ncols + 1):
        _width(ws, col, count_width)
    ws.freeze_panes = ws.cell(row=BIEU06_FIRST_DATA_ROW, column=3)
    _print_setup(ws, f"{top}:{numbers}")


# ---------------------------------------------------------------------------------- sheet 2

KPI_HEADER_ROW = 4
KPI_FIRST_DATA_ROW = KPI_HEADER_ROW + 2


def _kpi_rows_in_order(table: pd.DataFrame) -> list[tuple[str, str, bool]]:
    """(unit_id, name, is_rollup): units in table order, then level roll-ups, then ``*``."""
    meta = table.drop_duplicates("unit_id")
    rows = [(str(u), _unit_name(n, str(u)), bool(r)) for u, n, r in
            zip(meta["unit_id"], meta["unit_name"], meta["is_rollup"], strict=True)]
    units = [r for r in rows if not r[2]]
    rollups = sorted((r for r in rows if r[2]), key=lambda r: r[0] == ROLLUP_ALL)
    return units + rollups


def _target_format(fmt: str, rule: object) -> str:
    """Show which way a target goes ("≥ 84,47%") while the cell stays a number."""
    if rule == "max":
        return f'"≤ "{fmt}'
    if rule in ("min", "baseline_plus"):
        return f'"≥ "{fmt}'
    return fmt


def _kpi_sheet(ws: Worksheet, table: pd.DataFrame, period: Period, kpis: Sequence[str],
               show_all_targets: bool) -> None:
    rows = _kpi_rows_in_order(table)
    indexed = table.set_index(["unit_id", "kpi"])
    has_rule = "target_rule" in table.columns
    with_targets = {k for k in kpis if show_all_targets
                    or table.loc[table["kpi"] == k, "target"].notna().any()}
    value_width, target_width, status_width = 12.0, 12.0, 11.0
    name_width = min(max([24.0, *(len(n) * 1.0 + 3 for _, n, _ in rows)]), 40.0)

    # column plan: (first column, kpi) and the total width
    plan: list[tuple[int, str]] = []
    col = 3
    for kpi in kpis:
        plan.append((col, kpi))
        col += 3 if kpi in with_targets else 1
    ncols = col - 1

    _merge(ws, 1, 1, 1, ncols, KPI_TITLE, font=_BOLD, align=_TITLE, border=False)
    _merge(ws, 2, 1, 2, ncols, f"Kỳ báo cáo: {period.label()}", font=_ITALIC, align=_TITLE,
           border=False)
    total = 6 + name_width + sum((value_width + target_width + status_width)
                                 if k in with_targets else value_width for k in kpis)
    _fit_height(ws, 1, [(KPI_TITLE, total)], factor=1.45)

    top, sub = KPI_HEADER_ROW, KPI_HEADER_ROW + 1
    _merge(ws, top, 1, sub, 1, "STT", fill=_FILL_HEADER)
    _merge(ws, top, 2, sub, 2, "Đơn vị", fill=_FILL_HEADER)
    group_lines, single_lines = 1, 1
    for first, kpi in plan:
        definition = KPIS[kpi]
        label = definition.label + (" (điểm)" if definition.kind == "points" else "")
        if kpi in with_targets:
            _merge(ws, top, first, top, first + 2, label, fill=_FILL_HEADER)
            for offset, header in enumerate(("Kết quả", "Chỉ tiêu", "Đánh giá")):
                _put(ws, sub, first + offset, header, font=_BOLD, align=_HEAD,
                     fill=_FILL_HEADER)
            group_lines = max(group_lines,
                              _lines(label, value_width + target_width + status_width))
        else:
            _merge(ws, top, first, sub, first, label, fill=_FILL_HEADER)
            single_lines = max(single_lines, _lines(label, value_width))
    # a label merged over both header rows gets their joint height; the lower row keeps one line
    ws.row_dimensions[top].height = max(group_lines, single_lines - 1) * _LINE_HEIGHT

    row = KPI_FIRST_DATA_ROW
    number = 0
    for unit_id, name, rollup in rows:
        font = _BOLD if rollup else _FONT
        if not rollup:
            number += 1
        _put(ws, row, 1, "" if rollup else str(number), font=font, align=_CENTER)
        _put(ws, row, 2, name, font=font, align=_LEFT)
        for first, kpi in plan:
            fmt = FMT_POINTS if KPIS[kpi].kind == "points" else FMT_RATE
            key = (unit_id, kpi)
            found = key in indexed.index
            record = indexed.loc[key] if found else None
            value = record["value"] if record is not None else None
            _put(ws, row, first, value, font=font, align=_RIGHT, fmt=fmt)
            if kpi not in with_targets:
                continue
            target = record["target"] if record is not None else None
            rule = record["target_rule"] if record is not None and has_rule else None
            _put(ws, row, first + 1, target, font=font, align=_RIGHT,
                 fmt=_target_format(fmt, rule))
            status = str(record["status"]) if record is not None else STATUS_NA
            text = STATUS_TEXT.get(status, status)
            status_font, fill = font, None
            if status == STATUS_MET:
                status_font, fill = _FONT_MET, _FILL_MET
            elif status == STATUS_NOT_MET:
                status_font, fill = _FONT_NOT_MET, _FILL_NOT_MET
            _put(ws, row, first + 2, text, font=status_font, align=_CENTER, fill=fill)
        _fit_height(ws, row, [(name, name_width)])
        row += 1

    note = ("Ghi chú: ô để trống là không có số liệu (đơn vị chưa báo cáo hoặc không phát sinh "
            "hồ sơ); “—”: không có chỉ tiêu để đánh giá. Chỉ tiêu “≥”: kết quả đạt khi bằng "
            "hoặc cao hơn; “≤”: đạt khi bằng hoặc thấp hơn.")
    _merge(ws, row + 1, 1, row + 1, ncols, note, font=_ITALIC, align=_LEFT, border=False)
    _fit_height(ws, row + 1, [(note, total)])

    _width(ws, 1, 6)
    _width(ws, 2, name_width)
    for first, kpi in plan:
        _width(ws, first, value_width)
        if kpi in with_targets:
            _width(ws, first + 1, target_width)
            _width(ws, first + 2, status_width)
    ws.freeze_panes = ws.cell(row=KPI_FIRST_DATA_ROW, column=3)
    _print_setup(ws, f"{top}:{sub}")


def _kpi_data_sheet(ws: Worksheet, table: pd.DataFrame) -> None:
    """kpis.csv as a sheet: same columns, same rows, same order; numbers stay numbers."""
    frame = kpis_csv_frame(table)
    text_columns = {"unit_id", "unit_name", "period", "kpi", "status"}
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
        width = widths[column] + 3 if column in text_columns else 14.0
        _width(ws, col, min(width, 45.0))
    ws.freeze_panes = "A2"
    last = get_column_letter(len(KPI_CSV_COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{max(len(frame) + 1, 1)}"
    _print_setup(ws, "1:1")


# ---------------------------------------------------------------------------------- sheet 3


def _provenance_value(value: object) -> object:
    """Numbers stay numbers; times become ISO text (unambiguous, no locale, no time zone loss);
    lists and mappings become JSON; everything else its text."""
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return value if math.isfinite(float(value)) else str(value)
    if isinstance(value, (_dt.date, _dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return json.dumps(items, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _sources_sheet(ws: Worksheet, period: Period, provenance: Mapping[str, object]) -> None:
    key_width = min(max([16.0, *(len(str(k)) + 3.0 for k in provenance)]), 40.0)
    values = [_provenance_value(v) for v in provenance.values()]
    longest = max((len(str(v)) for v in values if v is not None), default=20)
    value_width = min(max(30.0, longest + 3.0), 90.0)
    _merge(ws, 1, 1, 1, 2, SOURCES_TITLE, font=_BOLD, align=_TITLE, border=False)
    _merge(ws, 2, 1, 2, 2, f"Kỳ báo cáo: {period.label()}", font=_ITALIC, align=_TITLE,
           border=False)
    _put(ws, 3, 1, "Thông tin", font=_BOLD, align=_CENTER, fill=_FILL_HEADER)
    _put(ws, 3, 2, "Giá trị", font=_BOLD, align=_CENTER, fill=_FILL_HEADER)
    for row, (key, value) in enumerate(zip(provenance, values, strict=True), start=4):
        _put(ws, row, 1, str(key), font=_BOLD, align=_LEFT)
        align = _LEFT if isinstance(value, str) or value is None else _RIGHT
        _put(ws, row, 2, value, align=align)
        _fit_height(ws, row, [(str(key), key_width), (str(value or ""), value_width)])
    _width(ws, 1, key_width)
    _width(ws, 2, value_width)
    ws.freeze_panes = "A4"
    _print_setup(ws, "3:3")


# ---------------------------------------------------------------------------------- saving


class _FixedTimeZip(zipfile.ZipFile):
    """A zip file whose entries all carry one timestamp, so equal workbooks are equal bytes
    (``writestr`` stamps an entry with the current time, ``write`` with the file's mtime;
    openpyxl uses both: worksheets go through a temporary file)."""

    def __init__(self, file: Path, date_time: tuple[int, int, int, int, int, int]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._date_time = date_time

    def writestr(self, zinfo_or_arcname: str | zipfile.ZipInfo, data: Any,  # type: ignore[override]
                 compress_type: int | None = None, compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zinfo_or_arcname
            info.date_time = self._date_time
        else:
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
        super().writestr(info, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        name = arcname if arcname is not None else Path(filename).name
        self.writestr(str(name), Path(filename).read_bytes(), compress_type, compresslevel)


@contextlib.contextmanager
def _exact_floats(workbook: Workbook) -> Iterator[None]:
    """While saving, give every float cell the shortest text that reads back as the same float.

    openpyxl writes numbers with ``"%.16g"``, which loses the last digit of some doubles
    (17.647058823529413 is written 17.64705882352941), so the data sheet would not read back
    equal to kpis.csv. Its writer copies a ``str`` value of a numeric cell verbatim, so for the
    duration of the save such cells hold ``repr(value)``; the workbook is restored afterwards.
    """
    changed: list[tuple[Cell, float]] = []
    try:
        for ws in workbook.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    value = cell._value  # private: the raw value, whatever its data_type
                    if (cell.data_type == "n" and isinstance(value, float)
                            and float(f"{value:.16g}") != value):
                        changed.append((cell, value))
                        cell._value = repr(value)
        yield
    finally:
        for cell, value in changed:
            cell._value = value


def _save(workbook: Workbook, target: Path, when: _dt.datetime | None) -> None:
    """Save like ``Workbook.save`` but without its "modified = now", with fixed zip times and
    with floats written exactly."""
    stamp = _ZIP_EPOCH
    if when is not None and when.year >= 1980:
        stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with _FixedTimeZip(target, stamp) as archive, _exact_floats(workbook):
        ExcelWriter(workbook, archive).write_data()



__all__ = [
    "ANNEX_KPIS",
    "BIEU06_TITLE",
    "DEFAULT_KIND_LABELS",
    "FORMULA_TRIGGERS",
    "SHEET_BIEU06",
    "SHEET_KPI",
    "SHEET_KPI_DATA",
    "SHEET_SOURCES",
    "bieu06_layout",
    "build_annex",
    "generated_at",
    "is_formula_like",
    "neutral_text",
    "write_annex",
]
