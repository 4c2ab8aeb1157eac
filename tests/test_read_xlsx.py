"""Tests of the workbook reader (:mod:`briefkit.data.read_xlsx`, issue 9): merged cells in the
header and in the records, a table spread over several sheets, and the limits of a sheet.

Each problem is checked where a user would look for it: the file, the sheet (only when the
table has several), the row Excel shows and the header as written. The corpus
(``tests/bad_inputs/xlsx.yaml``) runs the same shapes through the command line. Every workbook
read here is read by both of the reader's paths (python-calamine, and openpyxl's, its
fallback), which must agree (:func:`read_xlsx`; ``tests/test_xlsx_fast.py`` compares them on
many more).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

import briefkit.data.read_xlsx as reader
from briefkit import schema
from briefkit.data import load_dataset, read_table, rules, validate
from briefkit.data.raw import Raw
from briefkit.problems import InputError, Problem
from tests import kpi_fixture
from tests.bad_inputs import build_xlsx
from tests.test_xlsx_fast import assert_same

TODAY = dt.date(2023, 1, 1)
DOSSIERS = schema.TABLES["dossiers"]
HEADER = ["Mã hồ sơ", "Đơn vị giải quyết", "Mã TTHC", "Kênh thực hiện", "Ngày tiếp nhận",
          "Ngày hẹn trả", "Ngày có kết quả"]


def read_xlsx(path: Path, table: schema.Table) -> Raw:
    """The workbook as the reader reads it, the same by both of its paths."""
    result = assert_same(path, table)
    if isinstance(result, Exception):
        raise result
    return result


def record(n: int, unit: str = "TP", received: str = "05/01/2022") -> list[Any]:
    return [f"D{n}", unit, "1.000001", "truc_tuyen", received, "10/01/2022", "08/01/2022"]


def book(path: Path, sheets: dict[str, Sequence[Sequence[Any]]],
         merges: dict[str, Sequence[str]] | None = None) -> Path:
    """A workbook with ``sheets`` (title → rows, in order) and merged ranges per sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(list(r))
        for ref in (merges or {}).get(title, ()):
            ws.merge_cells(ref)
    wb.save(path)
    return path


def errors(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


def folder_with(tmp_path: Path, build: str) -> Path:
    """The KPI fixture's folder with one of the corpus builders applied."""
    data = kpi_fixture.write_folder(tmp_path / "data")
    getattr(build_xlsx, build)(data)
    return data


# --------------------------------------------------------------------------------------
# Problem: the sheet in the message
# --------------------------------------------------------------------------------------


def test_problem_names_the_sheet_only_when_known() -> None:
    where = dict(file="dossiers.xlsx", message="cannot read date 'x'", row=5,
                 column="Ngày tiếp nhận")
    assert str(Problem(**where)) == \
        "dossiers.xlsx, row 5, column 'Ngày tiếp nhận': cannot read date 'x'"
    assert str(Problem(**where, sheet="2023")) == \
        "dossiers.xlsx, sheet '2023', row 5, column 'Ngày tiếp nhận': cannot read date 'x'"
    assert str(Problem("d.xlsx", "too large", sheet="2023")) == "d.xlsx, sheet '2023': too large"
    assert rules.problem("bad_date", "d.xlsx", "m", 5, "c", "2023").sheet == "2023"


# --------------------------------------------------------------------------------------
# Merged header cells
# --------------------------------------------------------------------------------------


def two_row_header(tmp_path: Path, records: Sequence[Sequence[Any]]) -> Path:
    """ "Ngày" merged across the three dates in row 1 above their names in row 2; the other
    headers merged down over rows 1-2 (stored in row 1 only, as Excel stores them)."""
    top = ["Mã hồ sơ", "Đơn vị giải quyết", "Mã TTHC", "Kênh thực hiện", "Ngày", None, None]
    sub = [None, None, None, None, "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả"]
    return book(tmp_path / "dossiers.xlsx", {"Hồ sơ": [top, sub, *records]},
                {"Hồ sơ": ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:G1"]})


def test_two_row_merged_header_is_read_as_seen(tmp_path: Path) -> None:
    raw = read_xlsx(two_row_header(tmp_path, [record(1), record(2)]), DOSSIERS)
    assert raw.header_row == 2
    assert raw.header == HEADER
    assert raw.rows.tolist() == [3, 4]
    assert raw.columns[raw.positions["dossier_id"]].tolist() == ["D1", "D2"]
    assert raw.columns[raw.positions["received_at"]].tolist() == ["05/01/2022"] * 2
    assert raw.problems == [] and raw.sheets is None


def test_two_row_header_problems_name_sheet_rows(tmp_path: Path) -> None:
    path = two_row_header(tmp_path, [record(1), record(2, received="31/02/2022")])
    with pytest.raises(InputError) as caught:
        read_table(path, "dossiers", today=TODAY)
    assert errors(caught.value.problems) == [
        "dossiers.xlsx, row 4, column 'Ngày tiếp nhận': cannot read date '31/02/2022' "
        "(expected 14/03/2022, 2022-03-14, with or without a time, or an Excel date)"]


def test_title_merged_across_is_a_title_row(tmp_path: Path) -> None:
    path = book(tmp_path / "dossiers.xlsx",
                {"Hồ sơ": [["BÁO CÁO HỒ SƠ QUÝ I/2022"], [], HEADER, record(1)]},
                {"Hồ sơ": ["A1:G1"]})
    raw = read_xlsx(path, DOSSIERS)
    assert (raw.header_row, raw.rows.tolist(), raw.problems) == (3, [4], [])


def test_header_merged_across_names_its_first_column(tmp_path: Path) -> None:
    rows = [["Mã hồ sơ", None, *HEADER[1:]], ["D1", None, *record(1)[1:]],
            ["D2", None, *record(2)[1:]]]
    raw = read_xlsx(book(tmp_path / "dossiers.xlsx", {"Hồ sơ": rows}, {"Hồ sơ": ["A1:B1"]}),
                    DOSSIERS)
    assert raw.problems == []
    assert raw.positions["dossier_id"] == 0 and raw.positions["unit_id"] == 2
    assert raw.columns[0].tolist() == ["D1", "D2"]


def test_values_under_a_header_merged_across_are_ambiguous(tmp_path: Path) -> None:
    rows = [["Mã hồ sơ", None, *HEADER[1:]], ["D1", None, *record(1)[1:]],
            ["D", "2", *record(2)[1:]]]
    raw = read_xlsx(book(tmp_path / "dossiers.xlsx", {"Hồ sơ": rows}, {"Hồ sơ": ["A1:B1"]}),
                    DOSSIERS)
    assert [(p.rule, p.row, p.column) for p in raw.problems] == \
        [("merged_cells", 3, "Mã hồ sơ")]
    assert "column B holds values but has no header of its own" in raw.problems[0].message


def test_sub_header_rows_are_not_records(tmp_path: Path) -> None:
    """The header row found is the upper one ("Ngày tiếp nhận" merged over a date and a time
    column, "Ngày"/"Giờ" below); the records start below the headers merged down."""
    top = ["Mã hồ sơ", "Đơn vị giải quyết", "Mã TTHC", "Kênh thực hiện", "Ngày tiếp nhận",
           None, "Ngày hẹn trả", "Ngày có kết quả"]
    sub = [None, None, None, None, "Ngày", "Giờ", None, None]
    data = ["D1", "TP", "1.000001", "truc_tuyen", "05/01/2022", None, "10/01/2022", ""]
    path = book(tmp_path / "dossiers.xlsx", {"Hồ sơ": [top, sub, data]},
                {"Hồ sơ": ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:F1", "G1:G2", "H1:H2"]})
    raw = read_xlsx(path, DOSSIERS)
    assert (raw.header_row, raw.rows.tolist(), raw.problems) == (1, [3], [])
    data[5] = "08:30"
    path = book(tmp_path / "dossiers.xlsx", {"Hồ sơ": [top, sub, data]},
                {"Hồ sơ": ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:F1", "G1:G2", "H1:H2"]})
    assert [(p.rule, p.row, p.column) for p in read_xlsx(path, DOSSIERS).problems] == \
        [("merged_cells", 3, "Ngày tiếp nhận")]


def test_header_merged_down_into_the_records(tmp_path: Path) -> None:
    rows = [HEADER, *[[None, *record(i)[1:]] for i in range(8)]]
    raw = read_xlsx(book(tmp_path / "dossiers.xlsx", {"Hồ sơ": rows}, {"Hồ sơ": ["A1:A9"]}),
                    DOSSIERS)
    assert [(p.rule, p.row, p.column) for p in raw.problems] == [("merged_cells", 2, "Mã hồ sơ")]
    assert "merged down over A1:A9" in raw.problems[0].message


# --------------------------------------------------------------------------------------
# Merged cells in the records
# --------------------------------------------------------------------------------------


def test_value_merged_down_is_read_into_every_row(tmp_path: Path) -> None:
    rows = [HEADER, record(1, "TP"), [*record(2)[:1], None, *record(2)[2:]], [], record(3, "007"),
            [*record(4)[:1], None, *record(4)[2:]]]
    path = book(tmp_path / "dossiers.xlsx", {"Hồ sơ": rows}, {"Hồ sơ": ["B2:B4", "B5:B6"]})
    raw = read_xlsx(path, DOSSIERS)
    assert raw.problems == []
    assert raw.rows.tolist() == [2, 3, 5, 6]  # row 4 is absent from the file: no record
    assert raw.columns[1].tolist() == ["TP", "TP", "007", "007"]


def test_count_merged_down_is_ambiguous(tmp_path: Path) -> None:
    data = folder_with(tmp_path, "merged_count_cells")
    assert [str(p) for p in validate(data, today=TODAY) if p.severity == "error"] == [
        "aggregates.xlsx, row 2, column 'carried_over': the merged cells E2:E3 show one count "
        "over 2 rows: it could count each row or all of them; unmerge the cells and give each "
        "row its count",
        # the covered cell is left empty (not given a guessed count)
        "aggregates.xlsx, row 3, column 'carried_over': carried_over is empty; a value is "
        "required"]


def test_value_merged_across_into_a_read_column_is_ambiguous(tmp_path: Path) -> None:
    rows = [HEADER, record(1), ["D2", "TP", "1.000001", None, *record(2)[4:]]]
    path = book(tmp_path / "dossiers.xlsx", {"Hồ sơ": rows}, {"Hồ sơ": ["C3:D3"]})
    problems = read_xlsx(path, DOSSIERS).problems
    assert [(p.rule, p.row, p.column) for p in problems] == \
        [("merged_cells", 3, "Kênh thực hiện")]
    assert "covered by the merged cells C3:D3, whose value stands in column C" in \
        problems[0].message


def test_merges_in_ignored_columns_do_not_matter(tmp_path: Path) -> None:
    rows = [[*HEADER, "Ghi chú"], [*record(1), "gộp"], [*record(2), None]]
    path = book(tmp_path / "dossiers.xlsx", {"Hồ sơ": rows}, {"Hồ sơ": ["H1:I1", "H2:H3"]})
    raw = read_xlsx(path, DOSSIERS)
    assert raw.problems == [] and raw.rows.tolist() == [2, 3]


def test_merged_ranges_are_found_across_chunks(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "_CHUNK", 7)  # every element split between reads
    path = book(tmp_path / "m.xlsx", {"S": [["a", "b", "c"]] * 4}, {"S": ["A1:B1", "C2:C4"]})
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        assert reader._merged_ranges(wb["S"]) == [(1, 1, 2, 1), (3, 2, 3, 4)]
    finally:
        wb.close()


# --------------------------------------------------------------------------------------
# A table over several sheets
# --------------------------------------------------------------------------------------


def year_book(tmp_path: Path, **edits: Any) -> Path:
    notes = [["Hướng dẫn nhập liệu"], ["Mã hồ sơ", "do hệ thống cấp"]]
    sheets: dict[str, Sequence[Sequence[Any]]] = {
        "Hướng dẫn": notes,
        "2022": [HEADER, record(1), record(2)],
        "Trống": [],
        "2023": [["BÁO CÁO 2023"], HEADER, record(3, received="05/01/2023"),
                 record(4, received="06/01/2023")],
    }
    sheets.update(edits)
    return book(tmp_path / "dossiers.xlsx", sheets)


def test_every_sheet_with_the_header_is_read_in_order(tmp_path: Path) -> None:
    raw = read_xlsx(year_book(tmp_path), DOSSIERS)
    assert raw.problems == []
    assert raw.columns[0].tolist() == ["D1", "D2", "D3", "D4"]
    assert raw.rows.tolist() == [2, 3, 3, 4]
    assert raw.sheets is not None and raw.sheets.tolist() == ["2022", "2022", "2023", "2023"]


@pytest.mark.parametrize(("state", "how"), [("hidden", "is hidden (Excel: right-click"),
                                             ("veryHidden", "is very hidden (only a macro")])
def test_a_hidden_sheet_is_read_and_said(tmp_path: Path, state: str, how: str) -> None:
    """A hidden sheet's records are in the file and are read; the user who hid it is told,
    on the sheet, so that last year's hidden copy is not counted unawares."""
    path = year_book(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["2022"].sheet_state = state
    wb["Hướng dẫn"].sheet_state = "hidden"  # no records of the table: nothing to say
    wb.save(path)
    raw = read_xlsx(path, DOSSIERS)
    assert raw.columns[0].tolist() == ["D1", "D2", "D3", "D4"]
    assert [(p.rule, p.severity, p.sheet, p.row) for p in raw.problems] == \
        [("hidden_sheet", "warning", "2022", None)]
    assert how in raw.problems[0].message
    assert "its 2 records are read with the others" in raw.problems[0].message


def test_one_sheet_among_notes_names_no_sheet(tmp_path: Path) -> None:
    path = book(tmp_path / "dossiers.xlsx",
                {"Hướng dẫn": [["Ghi chú"]], "Hồ sơ": [HEADER, record(1, received="x")]})
    raw = read_xlsx(path, DOSSIERS)
    assert raw.sheets is None
    with pytest.raises(InputError) as caught:
        read_table(path, "dossiers", today=TODAY)
    assert [p.sheet for p in caught.value.problems] == [None]
    assert str(caught.value.problems[0]).startswith(
        "dossiers.xlsx, row 2, column 'Ngày tiếp nhận': cannot read date 'x'")


def test_problems_name_the_sheet(tmp_path: Path) -> None:
    path = year_book(tmp_path, **{"2023": [HEADER, record(3, received="31/02/2023")]})
    with pytest.raises(InputError) as caught:
        read_table(path, "dossiers", today=TODAY)
    assert errors(caught.value.problems) == [
        "dossiers.xlsx, sheet '2023', row 2, column 'Ngày tiếp nhận': cannot read date "
        "'31/02/2023' (expected 14/03/2022, 2022-03-14, with or without a time, or an Excel "
        "date)"]


def test_duplicate_id_names_the_other_sheet(tmp_path: Path) -> None:
    path = year_book(tmp_path, **{"2023": [HEADER, record(3), record(1)]})
    with pytest.raises(InputError) as caught:
        read_table(path, "dossiers", today=TODAY)
    assert errors(caught.value.problems) == [
        "dossiers.xlsx, sheet '2023', row 3, column 'Mã hồ sơ': dossier_id 'D1' is already "
        "used in sheet '2022', row 2"]


def test_duplicate_id_within_one_sheet_reads_as_before(tmp_path: Path) -> None:
    path = book(tmp_path / "dossiers.xlsx", {"Hồ sơ": [HEADER, record(1), record(1)]})
    with pytest.raises(InputError) as caught:
        read_table(path, "dossiers", today=TODAY)
    assert errors(caught.value.problems) == [
        "dossiers.xlsx, row 3, column 'Mã hồ sơ': dossier_id 'D1' is already used in row 2"]


def test_sheets_in_another_column_order_are_read(tmp_path: Path) -> None:
    order = [2, 0, 1, 3, 4, 5, 6]
    raw = read_xlsx(year_book(tmp_path, **{"2023": [
        [HEADER[i] for i in order], [record(3)[i] for i in order]]}), DOSSIERS)
    assert raw.problems == []
    assert raw.columns[raw.positions["dossier_id"]].tolist() == ["D1", "D2", "D3"]
    assert raw.columns[raw.positions["procedure_id"]].tolist() == ["1.000001"] * 3


def test_sheets_with_other_columns_are_refused(tmp_path: Path) -> None:
    path = year_book(tmp_path, **{"2023": [[*HEADER, "Thư xin lỗi"], [*record(3), "x"]]})
    raw = read_xlsx(path, DOSSIERS)
    assert len(raw.rows) == 0
    assert [str(p) for p in raw.problems] == [
        "dossiers.xlsx, sheet '2022', row 1, column 'Thư xin lỗi': column 'Thư xin lỗi' "
        "(apology_sent) of sheet '2023' is missing here; the sheets of one table need the same "
        "columns (this sheet's records would get the column's default)"]


def test_sheets_with_other_spellings_are_refused(tmp_path: Path) -> None:
    path = year_book(tmp_path, **{"2023": [["MaHoSo", *HEADER[1:]], record(3)]})
    assert [(p.rule, p.sheet, p.row, p.column, p.message) for p in
            read_xlsx(path, DOSSIERS).problems] == [
        ("missing_column", "2023", 1, "MaHoSo", "column 'MaHoSo' is called 'Mã hồ sơ' in "
         "sheet '2022'; the sheets of one table need the same header")]


def test_sheet_with_most_columns_is_not_dropped_in_silence(tmp_path: Path) -> None:
    path = year_book(tmp_path, **{"2023": [["Mã hồ sơ", "Đơn vị", *HEADER[2:]], record(3)]})
    problems = read_xlsx(path, DOSSIERS).problems
    assert [(p.rule, p.sheet, p.row, p.column) for p in problems] == \
        [("missing_column", "2023", 1, "unit_id")]


def test_numeric_code_warning_names_its_sheet(tmp_path: Path) -> None:
    path = year_book(tmp_path, **{"2023": [HEADER, [7, *record(3)[1:]]]})
    (warning,) = read_xlsx(path, DOSSIERS).problems
    assert (warning.rule, warning.sheet, warning.row, warning.column) == \
        ("numeric_code", "2023", 2, "Mã hồ sơ")


def test_without_a_complete_header_the_best_row_is_reported(tmp_path: Path) -> None:
    path = book(tmp_path / "dossiers.xlsx",
                {"Ghi chú": [["x"]], "Hồ sơ": [["BÁO CÁO"], HEADER[:-1], record(1)[:-1]]})
    assert [(p.rule, p.sheet, p.row, p.column) for p in read_xlsx(path, DOSSIERS).problems] \
        == [("missing_column", None, 2, "resolved_at")]


def test_year_sheets_give_the_figures_of_the_whole_table(tmp_path: Path) -> None:
    ds = load_dataset(folder_with(tmp_path, "sheets_per_year"), today=TODAY)
    expected = kpi_fixture.dossiers()
    assert sorted(ds.dossiers["dossier_id"]) == sorted(expected["dossier_id"])
    assert ds.dossiers["dossier_id"].tolist()[:3] == ["D5", "D8", "W0"]  # the 2021 sheet


# --------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------


def patch_sheet(path: Path, old: str, new: str, part: str = "xl/worksheets/sheet1.xml") -> None:
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members:
            if name == part:
                text = content.decode("utf-8")
                assert text.count(old) == 1, old
                content = text.replace(old, new).encode("utf-8")
            target.writestr(name, content)


def test_stored_dimension_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    path = book(tmp_path / "dossiers.xlsx", {"Hồ sơ": [HEADER, record(1)]})
    patch_sheet(path, '<dimension ref="A1:G2"/>', '<dimension ref="A1:XFE3"/>')
    with pytest.raises(InputError) as caught:
        read_table(path, "dossiers", today=TODAY)
    (p,) = caught.value.problems
    assert (p.rule, p.row) == ("file_too_large", None)
    assert p.message == ("sheet 'Hồ sơ' is 3 rows by 16,385 columns (its stored dimension); a "
                         "sheet holds at most 1,048,576 rows and 16,384 columns")


def test_a_lying_dimension_does_not_hide_rows_beyond_the_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_SHEET_ROWS", 5)
    path = book(tmp_path / "dossiers.xlsx", {"Hồ sơ": [HEADER, *[record(i) for i in range(3)]]})
    assert len(read_xlsx(path, DOSSIERS).rows) == 3  # 4 rows: within the limit
    patch_sheet(path, "</sheetData>",
                '<row r="9"><c r="A9" t="inlineStr"><is><t>D9</t></is></c></row></sheetData>')
    with pytest.raises(InputError) as caught:
        read_table(path, "dossiers", today=TODAY)
    assert [(p.rule, p.message) for p in caught.value.problems] == [
        ("file_too_large", "sheet 'Hồ sơ' goes on beyond row 5, the last a sheet holds")]


def test_a_row_wider_than_the_limit_is_refused(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_COLUMNS", 8)
    path = book(tmp_path / "dossiers.xlsx",
                {"Hồ sơ": [HEADER, record(1), [*record(2), None, "x"]]})
    with pytest.raises(InputError) as caught:
        read_table(path, "dossiers", today=TODAY)
    assert [(p.rule, p.row, p.message) for p in caught.value.problems] == [
        ("file_too_large", 3, "sheet 'Hồ sơ': row 3 has 9 columns, more than the 8 a sheet "
                              "holds")]


def test_a_cell_beyond_excel_limit(tmp_path: Path) -> None:
    path = book(tmp_path / "dossiers.xlsx", {"Hồ sơ": [HEADER, record(1), record(2)]})
    patch_sheet(path, "<t>D2</t>", "<t>D" + "2" * 40_000 + "</t>")
    problems = read_xlsx(path, DOSSIERS).problems
    assert [str(p) for p in problems] == [
        "dossiers.xlsx, row 3, column 'Mã hồ sơ': a cell of 40,001 characters, more than a "
        "spreadsheet cell holds (32,767)"]


def test_long_cells_of_ignored_columns_are_not_read(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_CELL_CHARS", 10)
    path = book(tmp_path / "dossiers.xlsx",
                {"Hồ sơ": [[*HEADER, "Ghi chú"], [*record(1), "một ghi chú dài"],
                           [*record(2, unit="Phòng Tư pháp"), None]]})
    problems = read_xlsx(path, DOSSIERS).problems
    assert [(p.rule, p.row, p.column) for p in problems] == \
        [("cell_too_long", 3, "Đơn vị giải quyết")]


def test_rows_keep_their_numbers_across_gaps(tmp_path: Path) -> None:
    path = book(tmp_path / "dossiers.xlsx", {"Hồ sơ": [HEADER, record(1)]})
    patch_sheet(path, "</sheetData>",
                '<row r="40"><c r="A40" t="inlineStr"><is><t>D40</t></is></c></row></sheetData>')
    raw = read_xlsx(path, DOSSIERS)
    assert raw.rows.tolist() == [2, 40]
    assert np.array_equal(raw.columns[0].to_numpy(dtype=object), np.array(["D1", "D40"],
                                                                          dtype=object))


def test_grouped_warnings_name_each_rows_sheet(tmp_path: Path) -> None:
    """A warning that lists rows across the sheets of a table names each row's sheet: a bare
    "rows 2, 3" would not say which sheet's row 3."""
    from briefkit.data.load import load_file

    zwsp = "\u200b"
    first, third = record(1), record(3, received="05/01/2023")
    first[0], third[0] = f"D1{zwsp}", f"D3{zwsp}"
    path = year_book(tmp_path, **{"2022": [HEADER, first, record(2)],
                                  "2023": [["BÁO CÁO 2023"], HEADER, third,
                                           record(4, received="06/01/2023")]})
    loaded = load_file(path, DOSSIERS, pd.Timestamp(TODAY))
    (warning,) = [p for p in loaded.problems if p.rule == "invisible_character"]
    assert (warning.sheet, warning.row) == ("2022", 2)
    assert warning.message.endswith("(sheet '2022', row 2; sheet '2023', row 3)")


def test_rows_text_lists_rows_by_sheet() -> None:
    assert rules.rows_text([2, 5]) == "rows 2, 5"
    assert rules.rows_text([2, 5, 3], ["a", "a", "b"]) == "sheet 'a', rows 2, 5; sheet 'b', row 3"
    many = list(range(2, 2 + rules.MAX_ROWS_LISTED + 3))
    assert rules.rows_text(many, ["a"] * len(many)).endswith(" and 3 more")
