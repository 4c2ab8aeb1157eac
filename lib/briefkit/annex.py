"""The Excel annex (phụ lục) attached to an official dispatch: Biểu 06, KPI tables, provenance.

Sheets, in order:

1. **"Biểu 06"**: the national form Biểu số 06/VPCP/KSTT (Circular 01/2020/TT-VPCP), laid out
   by :mod:`briefkit.bieu06` (the model the overview's HTML form reads too) and framed as the
   form is: the form's code, the reporting and receiving unit, the period with its actual
   dates, the place and date, "Người lập biểu" and "Thủ trưởng đơn vị" with room to sign; its
   two-level merged headers and column numbers (1)…(13). Units are grouped by their ``kind``
   (a Roman-numbered group row per kind, headed by :func:`briefkit.labels.kind_label`, the
   headings the HTML Biểu 06 uses; units numbered 1, 2, … inside it). A group whose units
   are exactly the units of one level carries that level's roll-up (``*huyen`` …) in its group
   row, the way Vietnamese tables show sub-totals; level roll-ups that match no group are listed
   after the groups ("Cộng các đơn vị cấp …"). The grand total (roll-up ``*``) is the last row,
   "Tổng cộng". Every figure comes from the KPI table via :func:`briefkit.kpis.bieu06_frame`, so
   the annex can never disagree with kpis.csv.
2. **"Chỉ tiêu"**: one row per unit (roll-ups last) and, per main KPI (:data:`ANNEX_KPIS`),
   its result ("Kết quả") and, where some unit has a target, the judgement in words ("Đánh
   giá": "Đạt" / "Chưa đạt" / "—"; text, so it reads the same in black and white, with a light
   green / red fill on top). A target that is the same for every unit that has one is written
   once, under the KPI's name ("Chỉ tiêu: ≥ 98%"); targets that differ between units (each
   unit's last year + 10 points under ``baseline_plus``) get a "Chỉ tiêu" column of their own
   (:func:`kpi_sheet_columns`). A header row above names each KPI group (:data:`KPI_GROUP_LABELS`).
3. **"Nguồn dữ liệu"**: the provenance in Vietnamese (:func:`provenance_rows`: period,
   convention, the data fingerprint, each data file by its name relative to the data folder
   with its sha256, each parameter, briefkit's version, the time), and a note that this sheet
   and the next are for checking, not for print. Not part of the printed annex
   (:data:`PRINTED_SHEETS`): a hidden sheet (Excel and LibreOffice neither print nor export
   hidden sheets; "Unhide" shows it), with a grey tab and a running header saying so.
4. **"KPI (dữ liệu)"**: the long table with exactly the columns and rows of kpis.csv, numbers as
   numbers, for tools that read the annex back. It is machine data, not part of the printed
   annex: it comes last and is hidden like the provenance (printing the whole workbook gave
   19 pages of it), with a grey tab and a running header for whoever unhides and prints it.

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
* **Reproducible files.** Cell contents depend only on the inputs. The workbook's creator is
  "briefkit <version>", and when the provenance has a generation time (``generated_at``; the
  batch gives the document timestamp, 00:00 of the document's date in Vietnam) the
  document's created / modified times and the zip entries' timestamps (in Vietnamese wall
  time) are set to it; without one, all of them are a fixed "no date", 1980-01-01 00:00 (the
  earliest time a zip entry can carry), rather than the clock. Nothing else varies (no random
  id, no file-system time), so the same inputs give the same bytes in any process.
* **Typography and print.** Times New Roman 12 throughout (also as the workbook's default
  font, so cells a user adds later match); Excel on Windows has it, LibreOffice substitutes the
  metric-compatible Liberation Serif. Every sheet prints on A4 landscape with its header rows
  repeated on each page and page numbers at the top centre except on the first page (Decree
  30/2020, annex I). The printed tables are laid out to print at :data:`MIN_PRINT_SCALE` (80 %,
  12-pt text at 9.6 pt) or larger: Biểu 06 is fitted to the page width (and to one page when
  that costs no legibility), "Chỉ tiêu" see below, "Nguồn dữ liệu" fitted to the width (it
  prints at 100 %). The machine data sheet is only fitted to the width (about 75 %).
* **The "Chỉ tiêu" sheet prints as pages of whole KPIs.** Ten KPIs with target and judgement
  are some thirty columns, which fitted to one page width printed at a third of their size.
  So the sheet is laid out as printed pages side by side: each takes as many whole KPIs as fit
  at 80 % (a KPI group is not split unless it is wider than a page) and starts with its own
  "STT" and "Đơn vị" columns, a column page break after it; the first is titled like the
  sheet, the others "… (tiếp theo)", each has the legend below it. Each sheet of paper is
  thus a complete table, the way a continued table reads in an official annex, and on screen
  it is still one row per unit (the repeated name columns sit where the paper turns). The
  sheet prints at a fixed scale, as large as the widest page allows, kept small enough that
  a table fitting on one page tall at 80 % does (Excel ignores manual page breaks on a sheet
  fitted to pages, so "fit to width" cannot be used here). Repeating the name columns
  as print titles was tried and rejected: the title rows, merged across the first page, then
  print as clipped fragments in the repeated columns of every other page.
* **Units that only group others** (a district People's Committee above its departments, see
  :func:`briefkit.kpis.container_units`) stay in both tables, with their zeros in Biểu 06 and
  "—" on "Chỉ tiêu", under their kind's heading ("Ủy ban nhân dân"). The annex receives only
  the KPI table, which cannot tell such a unit from one that had no dossiers this period, and
  a unit with zero dossiers is a fact the form should show, not drop.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from briefkit import __version__, bieu06, wording
from briefkit.clock import LOCAL_TZ, document_timestamp
from briefkit.formatting import format_number, format_percent, is_missing
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
    shown_in,
)
from briefkit.labels import KIND_LABELS
from briefkit.periods import Period
from briefkit.textsafety import FORMULA_TRIGGERS, is_formula_like, visible

SHEET_BIEU06 = "Biểu 06"
SHEET_KPI = "Chỉ tiêu"
SHEET_KPI_DATA = "KPI (dữ liệu)"
SHEET_SOURCES = "Nguồn dữ liệu"

BIEU06_FORM = bieu06.FORM_CODE
#: The form's title; a province using its own wording passes ``title=`` to :func:`write_annex`.
BIEU06_TITLE = bieu06.TITLE
KPI_TITLE = ("KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU VỀ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH, "
             "DỊCH VỤ CÔNG TRỰC TUYẾN")
SOURCES_TITLE = "NGUỒN DỮ LIỆU VÀ THAM SỐ TÍNH TOÁN"
#: The running header of the data sheet's printed pages.
DATA_SHEET_NOTICE = "Dữ liệu dạng máy đọc (trùng khớp kpis.csv), không thuộc phụ lục in"
#: The running header of the provenance sheet's printed pages.
SOURCES_SHEET_NOTICE = "Thông tin kiểm tra nguồn gốc số liệu, không thuộc phụ lục in"
#: The sheets that make the printed annex (the provenance and the machine data are not part
#: of it: they carry hashes, the toolkit's version, file names).
PRINTED_SHEETS = (SHEET_BIEU06, SHEET_KPI)
#: Vietnamese labels of the provenance keys (:func:`briefkit.manifest.provenance`) on the
#: "Nguồn dữ liệu" sheet; other keys are shown as they are.
PROVENANCE_LABELS: dict[str, str] = {
    "period": "Kỳ báo cáo",
    "period_spec": "Mã kỳ báo cáo",
    "convention": "Cách tính kỳ",
    "data_sha256": "Mã băm dữ liệu (sha256)",
    "version": "Phiên bản briefkit",
    "generated_at": "Thời điểm lập",
}
#: Vietnamese labels of the run's parameters (one row each, "Tham số: …").
PARAMETER_LABELS: dict[str, str] = {
    "data_dir": "thư mục dữ liệu",
    "period": "kỳ",
    "convention": "cách tính kỳ",
    "targets_file": "tệp chỉ tiêu",
    "header_file": "tệp thiết lập văn bản",
    "index766_file": "tệp trọng số Quyết định 766",
    "units": "đơn vị được chọn",
    "unit_id": "mã đơn vị",
}
_CONVENTION_WORDS = {"calendar": "theo lịch",
                     "nd09": "theo Nghị định 09/2019/NĐ-CP (từ ngày 15 tháng trước đến "
                             "ngày 14)"}
GRAND_TOTAL_LABEL = bieu06.GRAND_TOTAL_LABEL

#: Group headings of Biểu 06 by unit kind: the table shared with the HTML Biểu 06
#: (:mod:`briefkit.labels`); callers extend it with ``kind_labels=``.
DEFAULT_KIND_LABELS: Mapping[str, str] = KIND_LABELS

#: Headings of the "Chỉ tiêu" sheet's top header row, by :attr:`KpiDef.group
#: <briefkit.kpis.KpiDef.group>`; they repeat on every printed page.
KPI_GROUP_LABELS: Mapping[str, str] = {
    "online": "Dịch vụ công trực tuyến",
    "timeliness": "Tiến độ giải quyết hồ sơ",
    "documents": "Văn bản điện tử",
    "index766": "Chỉ số theo QĐ 766",
    "bieu06": "Kết quả giải quyết hồ sơ",
    "postal": "Dịch vụ bưu chính công ích",
}
_OTHER_GROUP_LABEL = "Chỉ tiêu khác"

#: KPIs of the "Chỉ tiêu" sheet (declared on the KPI definitions, :attr:`KpiDef.shown
#: <briefkit.kpis.KpiDef.shown>`), in column order (those absent from the table are
#: skipped): by group, so each printed page covers whole groups where it can.
ANNEX_KPIS: tuple[str, ...] = tuple(sorted(
    shown_in("annex"), key=lambda k: list(KPI_GROUP_LABELS).index(KPIS[k].group)))


#: The "Đánh giá" words (:mod:`briefkit.wording`, shared with the HTML tables and the charts).
STATUS_TEXT: Mapping[str, str] = wording.STATUS_WORDS

#: Keys of the provenance mapping read as the generation time (first one present wins).
GENERATED_AT_KEYS: tuple[str, ...] = ("generated_at", "generated-at", "generated at")

#: Counts with the Vietnamese thousands dot as a literal ("10.561", "1.234.567"), so Excel and
#: LibreOffice show it whatever the reader's regional settings (a "#,##0" would follow them).
FMT_COUNT = '[>=1000000]#"."###"."###;[>=1000]#"."###;0'
#: Rates and points with the Vietnamese locale's id: LibreOffice then writes "91,71%" on any
#: system; Excel takes the decimal separator from the system whatever the format says (no
#: number format can force it there), so an English Windows shows "91.71%" (README).
FMT_RATE = "[$-42A]0.00%"
FMT_POINTS = "[$-42A]0.00"
_LOCALE_CODE = "[$-42A]"  # Vietnamese (LCID 0x042A): a format's first token
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
#: created / modified of an annex whose provenance has no time (naive UTC, as openpyxl wants)
_NO_DATE = _dt.datetime(*_ZIP_EPOCH)
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
_SHRINK = Alignment(horizontal="center", vertical="center", shrink_to_fit=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_RIGHT = Alignment(horizontal="right", vertical="center")
_TITLE = Alignment(horizontal="center", vertical="center", wrap_text=True)

# One line of 12-pt text: Excel's default row height for the font, in points.
_LINE_HEIGHT = 15.75
# Decree 30/2020 margins (top/bottom 20 mm, left 30 mm, right 15 mm), in inches.
_MARGINS = PageMargins(left=30 / 25.4, right=15 / 25.4, top=20 / 25.4, bottom=20 / 25.4,
                       header=8 / 25.4, footer=8 / 25.4)

# Print geometry, in points: what an A4 landscape page holds inside those margins (Excel
# prints the running header in the top margin; LibreOffice too, for an xlsx), and what a
# column of width 1 takes on paper at 100 %: one digit of Times New Roman 12, 8 px = 6 pt
# (measured in LibreOffice), plus a little for Excel's own rounding. Heights are estimated
# with Excel's 15.75-pt line; LibreOffice's is 15 pt, so the estimate errs on the safe side.
_PRINT_WIDTH = (297 - 30 - 15) / 25.4 * 72
_PRINT_HEIGHT = (210 - 20 - 20) / 25.4 * 72
_POINTS_PER_WIDTH = 6.0 * 1.04
#: The smallest print scale (percent) the annex's tables are laid out for: 12-pt text then
#: prints at 9.6 pt, the size of a dense table in an official annex.
MIN_PRINT_SCALE = 80


# ---------------------------------------------------------------------------------- API


def write_annex(path: str | Path, table: pd.DataFrame, period: Period,
                provenance: Mapping[str, object], *,
                kind_labels: Mapping[str, str] | None = None,
                kpis: Sequence[str] | None = None, title: str | None = None,
                show_all_targets: bool = False, frame: bieu06.Frame | None = None) -> Path:
    """Write the annex workbook to ``path`` atomically and return the path.

    ``table`` is what :func:`briefkit.kpis.compute_kpis` returns; ``provenance`` a flat mapping
    shown on the "Nguồn dữ liệu" sheet (its ``generated_at`` fixes the file's timestamps).
    ``kind_labels`` adds to / overrides :data:`briefkit.labels.KIND_LABELS`; ``kpis`` replaces
    :data:`ANNEX_KPIS`; ``title`` replaces :data:`BIEU06_TITLE`. On the "Chỉ tiêu" sheet a KPI
    gets a status column only when some unit has a target for it, and a target column only
    when targets differ between units (a column of dashes, or of one repeated figure, would
    only make the pages more); ``show_all_targets`` gives every KPI all three columns, a layout
    that depends on the KPI list alone. ``frame``: what surrounds the Biểu 06 table (the
    reporting and receiving unit, place and date, the signatories' names; see
    :class:`briefkit.bieu06.Frame`, built from the document settings by ``briefkit run``);
    without one, the form shows blanks to fill in by hand.

    Nothing appears under ``path`` unless the whole workbook was written.
    """
    workbook = build_annex(table, period, provenance, kind_labels=kind_labels, kpis=kpis,
                           title=title, show_all_targets=show_all_targets, frame=frame)
    when = generated_at(provenance)
    with atomic_path(path) as tmp:
        _save(workbook, tmp, when)
    return Path(path)


def build_annex(table: pd.DataFrame, period: Period, provenance: Mapping[str, object], *,
                kind_labels: Mapping[str, str] | None = None,
                kpis: Sequence[str] | None = None, title: str | None = None,
                show_all_targets: bool = False, frame: bieu06.Frame | None = None
                ) -> Workbook:
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
    form = workbook.active
    assert isinstance(form, Worksheet)  # a new Workbook's one sheet, active
    _bieu06_sheet(form, table, period, kind_labels, title or BIEU06_TITLE,
                  frame or bieu06.Frame())
    _kpi_sheet(workbook.create_sheet(SHEET_KPI), table, period, chosen, show_all_targets)
    _sources_sheet(workbook.create_sheet(SHEET_SOURCES), period, provenance)
    _kpi_data_sheet(workbook.create_sheet(SHEET_KPI_DATA), table)
    form.HeaderFooter.differentFirst = True  # no number on page 1 (Decree 30)
    for name in workbook.sheetnames:
        if name not in PRINTED_SHEETS:
            # hidden sheets are neither printed nor exported to PDF (Excel, LibreOffice); tools
            # still read them, and a user shows them with "Unhide"
            workbook[name].sheet_state = "hidden"

    props = workbook.properties
    props.creator = f"briefkit {__version__}"
    props.lastModifiedBy = props.creator
    props.title = f"Phụ lục: kết quả giải quyết thủ tục hành chính {period.label()}"
    props.subject = f"{BIEU06_FORM}; chỉ tiêu {period.spec}"
    # openpyxl stamps a new workbook with the current time (and cannot write a workbook
    # without one): the annex carries the provenance's time, else the fixed "no date" its zip
    # entries carry too, never the second it was built
    props.created = props.modified = when if when is not None else _NO_DATE
    return workbook


def generated_at(provenance: Mapping[str, object]) -> _dt.datetime | None:
    """The generation time from the provenance, as naive UTC (what the xlsx core properties
    store), or None. Accepts a datetime, a pandas Timestamp or ISO 8601 text (a naive value is
    taken as UTC) or a date (the document's date: its 00:00 Vietnamese time, see
    :func:`briefkit.clock.document_timestamp`). Raises ValueError for anything else: a wrong
    timestamp in an official file is worse than an error."""
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
    elif isinstance(raw, _dt.date):  # a document date: its 00:00 in Vietnam
        value = document_timestamp(raw)
    else:
        raise ValueError(f"provenance {key!r}: expected a time, got {type(raw).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


# ---------------------------------------------------------------------------------- cells


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


def _use_default_font(workbook: Workbook) -> None:
    """Make Times New Roman 12 the workbook's Normal font.

    openpyxl has no public switch for it: font 0 of the style table is both the Normal style's
    font and that of every unstyled cell, and column widths are measured in its digit width.
    Replacing it before any cell is written is safe (nothing refers to another font yet).
    """
    # private: no public API for it (nor an attribute in openpyxl's stubs)
    cast(Any, workbook)._fonts = IndexedList([_FONT])


# ---------------------------------------------------------------------------------- sheet 1


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


# ---------------------------------------------------------------------------------- sheet 2

KPI_HEADER_ROW = 4  # three header rows: KPI groups, KPIs, "Kết quả" / "Chỉ tiêu" / "Đánh giá"
KPI_FIRST_DATA_ROW = KPI_HEADER_ROW + 3

_KPI_STT_WIDTH = 5.0
_KPI_NAME_WIDTH = 32.0  # at most; a longer name wraps
_KPI_VALUE_WIDTH, _KPI_TARGET_WIDTH, _KPI_STATUS_WIDTH = 9.0, 11.0, 9.0
_KPI_ALONE_WIDTH = 11.0  # a KPI without targets: its one column carries its name
_KPI_NOTE = (
    "Ghi chú: “≥”: đạt khi kết quả bằng hoặc cao hơn chỉ tiêu; “≤”: đạt khi bằng hoặc thấp "
    "hơn; “Không áp dụng”: không đánh giá (không có chỉ tiêu hoặc không có số liệu); ô để "
    "trống: không có số liệu.")
#: The title of the "Chỉ tiêu" sheet's printed pages after the first.
KPI_TITLE_CONTINUED = "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU (tiếp theo)"


@dataclass(frozen=True)
class KpiColumns:
    """How one KPI sits on the "Chỉ tiêu" sheet.

    ``target`` is ``"none"`` when no unit has a target for it (one column, "Kết quả"),
    ``"header"`` when every target is the same (two columns, "Kết quả" and "Đánh giá"; the
    target, ``header_target``, is written under the KPI's name) and ``"column"`` when targets
    differ between units (a "Chỉ tiêu" column between the two: under ``baseline_plus`` each
    unit has its own).
    """

    kpi: str
    target: Literal["none", "header", "column"]
    header_target: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return {"none": ("Kết quả",), "header": ("Kết quả", "Đánh giá"),
                "column": ("Kết quả", "Chỉ tiêu", "Đánh giá")}[self.target]

    @property
    def widths(self) -> tuple[float, ...]:
        return {"none": (_KPI_ALONE_WIDTH,),
                "header": (_KPI_VALUE_WIDTH, _KPI_STATUS_WIDTH),
                "column": (_KPI_VALUE_WIDTH, _KPI_TARGET_WIDTH, _KPI_STATUS_WIDTH)}[self.target]

    @property
    def label(self) -> str:
        definition = KPIS[self.kpi]
        label = definition.label
        if definition.kind == "points" and not label.startswith("Điểm"):
            label += " (điểm)"
        return f"{label}\n{self.header_target}" if self.header_target else label


_rule_sign = wording.rule_sign


def _target_format(fmt: str, rule: object) -> str:
    """Show which way a target goes ("≥ 84,47%") while the cell stays a number."""
    sign = _rule_sign(rule)
    if not sign:
        return fmt
    locale = _LOCALE_CODE if fmt.startswith(_LOCALE_CODE) else ""
    return f'{locale}"{sign}"{fmt.removeprefix(locale)}'


def _target_words(kpi: str, target: float, rule: object) -> str:
    """"Chỉ tiêu: ≥ 98%" (decimals only where the target has them: "≥ 84,47%")."""
    if KPIS[kpi].kind == "rate":
        whole = abs(target * 100 - round(target * 100)) < 1e-9
        text = format_percent(target, 0 if whole else 2)
    else:
        whole = abs(target - round(target)) < 1e-9
        text = format_number(target, 0 if whole else 2)
    return f"Chỉ tiêu: {_rule_sign(rule)}{text}"


def kpi_sheet_columns(table: pd.DataFrame, kpis: Sequence[str], *,
                      show_all_targets: bool = False) -> list[KpiColumns]:
    """The column layout of the "Chỉ tiêu" sheet, KPI by KPI (see :class:`KpiColumns`);
    ``show_all_targets`` gives every KPI its three columns, a fixed layout."""
    plan = []
    for kpi in kpis:
        if show_all_targets:
            plan.append(KpiColumns(kpi, "column"))
            continue
        rows = table[(table["kpi"] == kpi) & table["target"].notna()]
        if rows.empty:
            plan.append(KpiColumns(kpi, "none"))
            continue
        rules = rows["target_rule"] if "target_rule" in rows else pd.Series(None, rows.index)
        distinct = {(round(float(t), 12), _rule_sign(r))
                    for t, r in zip(rows["target"], rules, strict=True)}
        if len(distinct) == 1:
            words = _target_words(kpi, float(rows["target"].iloc[0]), rules.iloc[0])
            plan.append(KpiColumns(kpi, "header", words))
        else:
            plan.append(KpiColumns(kpi, "column"))
    return plan


def _pages_of_columns(plan: Sequence[KpiColumns], capacity: float) -> list[list[KpiColumns]]:
    """KPIs split into printed pages of at most ``capacity`` width each: a KPI group (a run
    of KPIs of one :attr:`~briefkit.kpis.KpiDef.group`) starts a new page rather than being
    split, unless it is wider than a page; a KPI's columns are never split."""
    runs: list[list[KpiColumns]] = []
    for columns in plan:
        if runs and KPIS[runs[-1][-1].kpi].group == KPIS[columns.kpi].group:
            runs[-1].append(columns)
        else:
            runs.append([columns])
    pages: list[list[KpiColumns]] = [[]]
    used = 0.0
    for run in runs:
        width = sum(sum(c.widths) for c in run)
        if pages[-1] and used + width > capacity and width <= capacity:
            pages.append([])
            used = 0.0
        for columns in run:
            if pages[-1] and used + sum(columns.widths) > capacity:
                pages.append([])
                used = 0.0
            pages[-1].append(columns)
            used += sum(columns.widths)
    return pages


def _kpi_rows_in_order(table: pd.DataFrame) -> list[tuple[str, str, bool]]:
    """(unit_id, name, is_rollup): units in table order, then level roll-ups, then ``*``."""
    meta = table.drop_duplicates("unit_id")
    rows = [(str(u), bieu06.unit_name(n, str(u)), bool(r)) for u, n, r in
            zip(meta["unit_id"], meta["unit_name"], meta["is_rollup"], strict=True)]
    units = [r for r in rows if not r[2]]
    rollups = sorted((r for r in rows if r[2]), key=lambda r: r[0] == ROLLUP_ALL)
    return units + rollups


def _status_cell(ws: Worksheet, row: int, col: int, record: pd.Series | None,
                 font: Font) -> None:
    """The judgement in words; "Không áp dụng", wider than the column, is shrunk to fit
    (Excel and LibreOffice both honour "shrink to fit"), so rows stay one line tall."""
    status = str(record["status"]) if record is not None else STATUS_NA
    status_font, fill = font, None
    if status == STATUS_MET:
        status_font, fill = _FONT_MET, _FILL_MET
    elif status == STATUS_NOT_MET:
        status_font, fill = _FONT_NOT_MET, _FILL_NOT_MET
    _put(ws, row, col, STATUS_TEXT.get(status, status), font=status_font, align=_SHRINK,
         fill=fill)


def _kpi_sheet(ws: Worksheet, table: pd.DataFrame, period: Period, kpis: Sequence[str],
               show_all_targets: bool) -> None:
    """One row per unit; per KPI its result, the target where it differs between units, and
    the judgement in words; laid out as printed pages side by side (see the module notes)."""
    rows = _kpi_rows_in_order(table)
    indexed = table.set_index(["unit_id", "kpi"])
    has_rule = "target_rule" in table.columns
    name_width = min(max([24.0, *(len(n) * 1.0 + 3 for _, n, _ in rows)]), _KPI_NAME_WIDTH)
    # pages are cut for the widest name column, so the layout depends on the KPIs alone
    capacity = (_PRINT_WIDTH * 100 / MIN_PRINT_SCALE / _POINTS_PER_WIDTH
                - _KPI_STT_WIDTH - _KPI_NAME_WIDTH)
    plan = kpi_sheet_columns(table, kpis, show_all_targets=show_all_targets)

    # each printed page: its own STT and Đơn vị columns, then whole KPIs
    pages: list[tuple[int, int, list[tuple[int, KpiColumns]]]] = []  # (first, last, KPIs)
    widths: list[float] = []
    for page in _pages_of_columns(plan, capacity):
        start = len(widths) + 1
        widths += [_KPI_STT_WIDTH, name_width]
        placed = []
        for columns in page:
            placed.append((len(widths) + 1, columns))
            widths += columns.widths
        pages.append((start, len(widths), placed))

    def span(first: int, last: int) -> float:
        return sum(widths[first - 1:last])

    top, mid, sub = KPI_HEADER_ROW, KPI_HEADER_ROW + 1, KPI_HEADER_ROW + 2
    note_row = KPI_FIRST_DATA_ROW + len(rows) + 1
    title_lines, group_texts, label_lines = [], [], 1
    for number, (start, end, placed) in enumerate(pages):
        # title block: a page after the first is the table continued ("tiếp theo")
        title = KPI_TITLE if number == 0 else KPI_TITLE_CONTINUED
        _merge(ws, 1, start, 1, end, title, font=_BOLD, align=_TITLE, border=False)
        _merge(ws, 2, start, 2, end, f"Kỳ báo cáo: {period.label()}", font=_ITALIC,
               align=_TITLE, border=False)
        title_lines.append((title, span(start, end)))

        # headers: KPI groups, KPIs (with the target when it is one for all), their columns
        _merge(ws, top, start, sub, start, "STT", fill=_FILL_HEADER)
        _merge(ws, top, start + 1, sub, start + 1, "Đơn vị", fill=_FILL_HEADER)
        groups: list[tuple[str, int, int]] = []
        for first, columns in placed:
            group, last = KPIS[columns.kpi].group, first + len(columns.widths) - 1
            if groups and groups[-1][0] == group:
                groups[-1] = (group, groups[-1][1], last)
            else:
                groups.append((group, first, last))
        for group, first, last in groups:
            text = KPI_GROUP_LABELS.get(group, _OTHER_GROUP_LABEL)
            _merge(ws, top, first, top, last, text, fill=_FILL_HEADER)
            group_texts.append((text, span(first, last)))
        for first, columns in placed:
            last = first + len(columns.widths) - 1
            if columns.target == "none":  # one column: its label takes both rows
                _merge(ws, mid, first, sub, first, columns.label, fill=_FILL_HEADER)
                label_lines = max(label_lines, _lines(columns.label, span(first, last)) - 1)
                continue
            _merge(ws, mid, first, mid, last, columns.label, fill=_FILL_HEADER)
            label_lines = max(label_lines, _lines(columns.label, span(first, last)))
            for offset, header in enumerate(columns.headers):
                _put(ws, sub, first + offset, header, font=_BOLD, align=_HEAD,
                     fill=_FILL_HEADER)
        _merge(ws, note_row, start, note_row, end, _KPI_NOTE, font=_ITALIC, align=_LEFT,
               border=False)
    _fit_height(ws, 1, title_lines, factor=1.45)
    ws.row_dimensions[3].height = _LINE_HEIGHT / 2  # a little air above the table
    _fit_height(ws, top, group_texts)
    ws.row_dimensions[mid].height = label_lines * _LINE_HEIGHT
    _fit_height(ws, note_row, [(_KPI_NOTE, min(span(s, e) for s, e, _ in pages))])

    # body: units numbered 1, 2, …, roll-ups last in bold
    number = 0
    for row, (unit_id, name, rollup) in enumerate(rows, start=KPI_FIRST_DATA_ROW):
        font = _BOLD if rollup else _FONT
        number += 0 if rollup else 1
        for start, _, placed in pages:
            _put(ws, row, start, "" if rollup else str(number), font=font, align=_CENTER)
            _put(ws, row, start + 1, name, font=font, align=_LEFT)
            for first, columns in placed:
                fmt = FMT_POINTS if KPIS[columns.kpi].kind == "points" else FMT_RATE
                key = (unit_id, columns.kpi)
                # a full key of the unique (unit_id, kpi) index: one row, a Series
                record = cast(pd.Series, indexed.loc[key]) if key in indexed.index else None
                value = record["value"] if record is not None else None
                _put(ws, row, first, value, font=font, align=_RIGHT, fmt=fmt)
                if columns.target == "column":
                    target = record["target"] if record is not None else None
                    rule = record["target_rule"] if record is not None and has_rule else None
                    _put(ws, row, first + 1, target, font=font, align=_RIGHT,
                         fmt=_target_format(fmt, rule))
                if columns.target != "none":
                    _status_cell(ws, row, first + len(columns.widths) - 1, record, font)
        _fit_height(ws, row, [(name, name_width)])

    for col, width in enumerate(widths, start=1):
        _width(ws, col, width)
    ws.freeze_panes = cast(Cell, ws.cell(row=KPI_FIRST_DATA_ROW, column=3))  # not merged
    # as large as the widest page allows; a table that fits on one page tall at the smallest
    # scale is kept on one page tall
    scales = [100.0, 100 * _PRINT_WIDTH / max(_print_width(widths[s - 1:e])
                                              for s, e, _ in pages)]
    tall = 100 * _PRINT_HEIGHT / _print_height(ws, note_row)
    if tall >= MIN_PRINT_SCALE:
        scales.append(tall)
    _print_setup(ws, f"{top}:{sub}", scale=int(min(scales)),
                 col_breaks=[end for _, end, _ in pages[:-1]])


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
    header = ws.oddHeader
    assert header is not None  # openpyxl's HeaderFooter() always makes its items
    header.left.text = DATA_SHEET_NOTICE
    header.left.font = f"{FONT_NAME},Italic"
    header.left.size = 10


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


def provenance_rows(provenance: Mapping[str, object]) -> list[tuple[str, object]]:
    """The provenance as the "Nguồn dữ liệu" sheet lists it, in Vietnamese: known keys under
    their labels (:data:`PROVENANCE_LABELS`), each data file by its name relative to the data
    folder with its sha256, each parameter on a row of its own; other keys as they are."""
    rows: list[tuple[str, object]] = []
    names = provenance.get("data_file_names")
    names = names if isinstance(names, Mapping) else {}
    for key, value in provenance.items():
        if key == "data_file_names":
            continue
        if key == "data_files" and isinstance(value, Mapping):
            for table, sha in value.items():
                rows.append((f"Tệp dữ liệu {names.get(table, table)} (sha256)", sha))
        elif key == "parameters" and isinstance(value, Mapping):
            for name, item in value.items():
                label = PARAMETER_LABELS.get(str(name), str(name))
                rows.append((f"Tham số: {label}", "(không có)" if item is None else item))
        elif key == "convention" and str(value) in _CONVENTION_WORDS:
            rows.append((PROVENANCE_LABELS[key], _CONVENTION_WORDS[str(value)]))
        else:
            rows.append((PROVENANCE_LABELS.get(str(key), str(key)), value))
    return rows


def _sources_sheet(ws: Worksheet, period: Period, provenance: Mapping[str, object]) -> None:
    """The provenance, for whoever checks the figures: not part of the printed annex (a grey
    tab, and a running header saying so on its pages)."""
    rows = provenance_rows(provenance)
    key_width = min(max([16.0, *(len(str(k)) + 3.0 for k, _ in rows)]), 40.0)
    values = [_provenance_value(v) for _, v in rows]
    longest = max((len(str(v)) for v in values if v is not None), default=20)
    value_width = min(max(30.0, longest + 3.0), 90.0)
    _merge(ws, 1, 1, 1, 2, SOURCES_TITLE, font=_BOLD, align=_TITLE, border=False)
    _merge(ws, 2, 1, 2, 2, f"Kỳ báo cáo: {period.label()}", font=_ITALIC, align=_TITLE,
           border=False)
    _put(ws, 3, 1, "Thông tin", font=_BOLD, align=_CENTER, fill=_FILL_HEADER)
    _put(ws, 3, 2, "Giá trị", font=_BOLD, align=_CENTER, fill=_FILL_HEADER)
    for row, ((key, _), value) in enumerate(zip(rows, values, strict=True), start=4):
        _put(ws, row, 1, str(key), font=_BOLD, align=_LEFT)
        align = _LEFT if isinstance(value, str) or value is None else _RIGHT
        _put(ws, row, 2, value, align=align)
        _fit_height(ws, row, [(str(key), key_width), (str(value or ""), value_width)])
    note = (f"Ghi chú: trang tính này và trang tính “{SHEET_KPI_DATA}” (trang tính cuối, dữ "
            "liệu dạng máy đọc, trùng khớp với tệp kpis.csv) dùng để kiểm tra, đối chiếu và "
            "nhập vào phần mềm khác; không thuộc phần phụ lục cần in.")
    note_row = 4 + len(values) + 1
    _merge(ws, note_row, 1, note_row, 2, note, font=_ITALIC, align=_LEFT, border=False)
    _fit_height(ws, note_row, [(note, key_width + value_width)])
    _width(ws, 1, key_width)
    _width(ws, 2, value_width)
    ws.freeze_panes = "A4"
    ws.sheet_properties.tabColor = "808080"
    _print_setup(ws, "3:3")
    header = ws.oddHeader
    assert header is not None  # openpyxl's HeaderFooter() always makes its items
    header.left.text = SOURCES_SHEET_NOTICE
    header.left.font = f"{FONT_NAME},Italic"
    header.left.size = 10


# ---------------------------------------------------------------------------------- saving


class _FixedTimeZip(zipfile.ZipFile):
    """A zip file whose entries all carry one timestamp, so equal workbooks are equal bytes
    (``writestr`` stamps an entry with the current time, ``write`` with the file's mtime;
    openpyxl uses both: worksheets go through a temporary file)."""

    def __init__(self, file: Path, date_time: tuple[int, int, int, int, int, int]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._date_time = date_time

    def writestr(self, zinfo_or_arcname: str | zipfile.ZipInfo, data: Any,
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
    cell: Any  # its private ``_value`` is not in openpyxl's stubs
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
    if when is not None:
        # zip entries carry a wall-clock time without zone: Vietnamese time, so the document
        # timestamp reads as 00:00 of the document's date (as in the PDF and the HTML)
        local = when.replace(tzinfo=_dt.UTC).astimezone(LOCAL_TZ)
        if local.year >= 1980:
            stamp = (local.year, local.month, local.day, local.hour, local.minute,
                     local.second)
    with _FixedTimeZip(target, stamp) as archive, _exact_floats(workbook):
        ExcelWriter(workbook, archive).write_data()



__all__ = [
    "ANNEX_KPIS",
    "BIEU06_TITLE",
    "DEFAULT_KIND_LABELS",
    "FORMULA_TRIGGERS",
    "KPI_GROUP_LABELS",
    "MIN_PRINT_SCALE",
    "SHEET_BIEU06",
    "SHEET_KPI",
    "SHEET_KPI_DATA",
    "SHEET_SOURCES",
    "KpiColumns",
    "bieu06_layout",
    "build_annex",
    "generated_at",
    "is_formula_like",
    "kpi_sheet_columns",
    "neutral_text",
    "write_annex",
]
