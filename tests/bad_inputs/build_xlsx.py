"""Builders of the XLSX corpus cases (``tests/bad_inputs/xlsx.yaml``): each takes the data
folder with the fixture's CSV files and replaces one table by a workbook shaped as real
exports are (merged header cells, one sheet per year, notes sheets) or as only a program or
a hand edit makes it (a stored dimension or a cell beyond Excel's limits)."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

#: The fixture's dossier columns under the Vietnamese headers of a portal export.
VIETNAMESE = {
    "dossier_id": "Mã hồ sơ", "unit_id": "Đơn vị giải quyết", "procedure_id": "Mã TTHC",
    "channel": "Kênh thực hiện", "received_at": "Ngày tiếp nhận", "due_at": "Ngày hẹn trả",
    "resolved_at": "Ngày có kết quả", "returned_by_post": "Trả kết quả qua BCCI",
    "apology_sent": "Thư xin lỗi", "inter_agency": "Liên thông giữa cơ quan nhà nước",
}
DATES = ("received_at", "due_at", "resolved_at")


def take_csv(data: Path, table: str) -> tuple[list[str], list[list[str]]]:
    """The header and records of ``table``.csv, which is deleted (a workbook replaces it)."""
    path = data / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    path.unlink()
    return rows[0], rows[1:]


def _book() -> openpyxl.Workbook:
    """A workbook without sheets (sheets are added in order)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    return wb


def _table_sheet(wb: openpyxl.Workbook, title: str, header: list[str],
                 rows: list[list[str]]) -> Worksheet:
    ws = wb.create_sheet(title)
    ws.append(header)
    for r in rows:
        ws.append(r)
    return ws


def _dossier_book(data: Path, fill: Callable[[Worksheet, list[str], list[list[str]]], None],
                  title: str = "Hồ sơ") -> None:
    header, rows = take_csv(data, "dossiers")
    wb = _book()
    fill(wb.create_sheet(title), [VIETNAMESE[h] for h in header], rows)
    wb.save(data / "dossiers.xlsx")


# ---------------------------------------------------------------------------------------
# Merged header cells
# ---------------------------------------------------------------------------------------


def two_row_header(data: Path) -> None:
    """The usual report layout: "Ngày" merged across the three date columns in row 1 above
    their names in row 2; every other header merged down over rows 1–2."""
    def fill(ws: Worksheet, header: list[str], rows: list[list[str]]) -> None:
        first = header.index("Ngày tiếp nhận")
        top: list[Any] = [None if i in range(first, first + 3) else h for i, h in enumerate(header)]
        top[first] = "Ngày"
        ws.append(top)
        ws.append([h if i in range(first, first + 3) else None for i, h in enumerate(header)])
        for i in range(len(header)):
            if i not in range(first, first + 3):
                ws.merge_cells(start_row=1, end_row=2, start_column=i + 1, end_column=i + 1)
        ws.merge_cells(start_row=1, end_row=1, start_column=first + 1, end_column=first + 3)
        for r in rows:
            ws.append(r)
    _dossier_book(data, fill)


def title_merged_across(data: Path) -> None:
    """A report title merged across the whole first row, the header below it."""
    def fill(ws: Worksheet, header: list[str], rows: list[list[str]]) -> None:
        ws.append(["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ QUÝ I/2022"])
        ws.merge_cells(start_row=1, end_row=1, start_column=1, end_column=len(header))
        ws.append(header)
        for r in rows:
            ws.append(r)
    _dossier_book(data, fill)


def _header_across(data: Path, second: Callable[[list[str]], str | None]) -> None:
    """"Mã hồ sơ" merged across columns A:B; column B holds ``second(record)``."""
    def fill(ws: Worksheet, header: list[str], rows: list[list[str]]) -> None:
        ws.append([header[0], None, *header[1:]])
        ws.merge_cells("A1:B1")
        for r in rows:
            ws.append([r[0], second(r), *r[1:]])
    _dossier_book(data, fill)


def header_merged_across_empty(data: Path) -> None:
    """A wide "Mã hồ sơ" header merged over two columns, the ids in the first."""
    _header_across(data, lambda r: None)


def header_merged_across_values(data: Path) -> None:
    """The same, but the second column under the merged header holds values too."""
    _header_across(data, lambda r: "x" if r[0] == "D2" else None)


def merged_unit_cells(data: Path) -> None:
    """The unit merged down over each unit's rows, as a grouped report shows it."""
    def fill(ws: Worksheet, header: list[str], rows: list[list[str]]) -> None:
        ws.append(header)
        for r in rows:
            ws.append(r)
        groups: dict[str, list[int]] = {}
        for number, r in enumerate(rows, start=2):  # the fixture lists each unit's together
            groups.setdefault(r[1], []).append(number)
        for numbers in groups.values():
            for number in numbers[1:]:
                ws.cell(number, 2).value = None
            ws.merge_cells(start_row=numbers[0], end_row=numbers[-1], start_column=2,
                           end_column=2)
    _dossier_book(data, fill)


def merged_count_cells(data: Path) -> None:
    """aggregates.xlsx with one count merged over the unit's two periods."""
    header, rows = take_csv(data, "aggregates")
    wb = _book()
    ws = _table_sheet(wb, "Biểu 06", header, rows)
    column = header.index("carried_over") + 1
    ws.cell(3, column).value = None
    ws.merge_cells(start_row=2, end_row=3, start_column=column, end_column=column)
    wb.save(data / "aggregates.xlsx")


# ---------------------------------------------------------------------------------------
# One sheet per year
# ---------------------------------------------------------------------------------------


def _year_sheets(data: Path, edit: Callable[[str, list[str], list[list[str]]], None]
                 | None = None, notes: bool = True) -> None:
    """dossiers.xlsx with a notes sheet, then one sheet per year of receipt, then an empty
    sheet; ``edit(year, header, rows)`` may change a year's sheet before it is written."""
    header, rows = take_csv(data, "dossiers")
    header = [VIETNAMESE[h] for h in header]
    at = header.index("Ngày tiếp nhận")
    years: dict[str, list[list[str]]] = {}
    for r in rows:
        years.setdefault(r[at][-4:], []).append(r)
    wb = _book()
    if notes:
        _table_sheet(wb, "Hướng dẫn", ["Mỗi năm một trang tính; ngày ghi dd/mm/yyyy."],
                     [["Cột", "Ý nghĩa"], ["Mã hồ sơ", "mã do hệ thống cấp"]])
    for year in sorted(years):
        sheet_header, sheet_rows = list(header), [list(r) for r in years[year]]
        if edit is not None:
            edit(year, sheet_header, sheet_rows)
        _table_sheet(wb, year, sheet_header, sheet_rows)
    wb.create_sheet("Trống")
    wb.save(data / "dossiers.xlsx")


def sheets_per_year(data: Path) -> None:
    """2021 and 2022 in sheets of their own (the 2021 one first), notes and empty sheets."""
    _year_sheets(data)


def sheets_per_year_duplicate(data: Path) -> None:
    """The 2022 sheet repeats dossier W0 of the 2021 sheet (its row 4)."""
    def edit(year: str, header: list[str], rows: list[list[str]]) -> None:
        if year == "2022":
            rows.append(["W0", "007", "2.000001", "truc_tiep", "05/01/2022", "06/01/2022",
                         "05/01/2022", "False", "False", "False"])
    _year_sheets(data, edit)


def sheets_per_year_bad_date(data: Path) -> None:
    """A date that cannot be read in the 2022 sheet, its third record (row 4)."""
    def edit(year: str, header: list[str], rows: list[list[str]]) -> None:
        if year == "2022":
            rows[2][header.index("Ngày tiếp nhận")] = "31/02/2022"
    _year_sheets(data, edit)


def sheets_per_year_other_columns(data: Path) -> None:
    """The 2022 sheet has no "Thư xin lỗi" column: its records would all read "no apology"."""
    def edit(year: str, header: list[str], rows: list[list[str]]) -> None:
        if year == "2022":
            at = header.index("Thư xin lỗi")
            del header[at]
            for r in rows:
                del r[at]
    _year_sheets(data, edit)


def sheets_per_year_header_typo(data: Path) -> None:
    """The 2022 sheet misspells "Mã TTHC": it would be skipped and its records lost."""
    def edit(year: str, header: list[str], rows: list[list[str]]) -> None:
        if year == "2022":
            header[header.index("Mã TTHC")] = "Mã thủ tục"
    _year_sheets(data, edit)


# ---------------------------------------------------------------------------------------
# Limits (hand-edited XML: no spreadsheet program writes these)
# ---------------------------------------------------------------------------------------


def _patch_sheet(path: Path, change: Callable[[str], str], part: str = "xl/worksheets/sheet1.xml"
                 ) -> None:
    """Rewrite one worksheet part of a workbook (a hand edit of its XML)."""
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in members:
            if info.filename == part:
                text = content.decode("utf-8")
                changed = change(text)
                assert changed != text, f"{part}: the edit changed nothing"
                content = changed.encode("utf-8")
            target.writestr(info.filename, content)


def _plain(data: Path) -> Path:
    header, rows = take_csv(data, "dossiers")
    wb = _book()
    _table_sheet(wb, "Hồ sơ", [VIETNAMESE[h] for h in header], rows)
    wb.save(data / "dossiers.xlsx")
    return data / "dossiers.xlsx"


def dimension_too_large(data: Path) -> None:
    """A stored dimension of two million rows (beyond the 1,048,576 a sheet holds)."""
    path = _plain(data)
    _patch_sheet(path, lambda x: _replace_once(x, '<dimension ref="A1:J17"/>',
                                              '<dimension ref="A1:J2000000"/>'))


def row_beyond_sheet(data: Path) -> None:
    """A record on row 1,048,577 while the stored dimension says 17 rows."""
    path = _plain(data)
    extra = ('<row r="1048577"><c r="A1048577" t="inlineStr"><is><t>D99</t></is></c></row>'
             "</sheetData>")
    _patch_sheet(path, lambda x: _replace_once(x, "</sheetData>", extra))


def cell_too_long(data: Path) -> None:
    """A procedure name of 40,000 characters (Excel stops at 32,767)."""
    header, rows = take_csv(data, "procedures")
    wb = _book()
    ws = _table_sheet(wb, "TTHC", header, rows)
    ws.cell(4, header.index("name") + 1).value = "LONGCELL"
    path = data / "procedures.xlsx"
    wb.save(path)
    _patch_sheet(path, lambda x: _replace_once(x, "LONGCELL", "Thủ tục " + "x" * 40_000))


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)

