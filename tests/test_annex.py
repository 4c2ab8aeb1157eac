"""The Excel annex, read back with openpyxl: layout, figures, the kpis.csv mirror, safety."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from briefkit import __version__
from briefkit.annex import (
    ANNEX_KPIS,
    SHEET_BIEU06,
    SHEET_KPI,
    SHEET_KPI_DATA,
    SHEET_SOURCES,
    build_annex,
    generated_at,
    write_annex,
)
from briefkit.kpis import BIEU06_COLUMNS, KPI_CSV_COLUMNS, KPIS, compute_kpis
from briefkit.periods import parse_period
from briefkit.pipeline import kpis_csv_text
from briefkit.targets import load_targets
from tests import kpi_fixture

PERIOD = parse_period("2022Q1")
PROVENANCE = {
    "period": "2022Q1",
    "convention": "calendar",
    "data/dossiers.csv": "sha256:" + "ab" * 32,
    "parameters": {"targets": None, "index766": "params/index766.yaml"},
    "toolkit_version": __version__,
    "generated_at": "2024-01-15T08:30:00+07:00",
}
HEADER_TOP, FIRST_DATA = 5, 8  # Biểu 06: header rows 5–6, column numbers 7, data from 8
INJECTION = '=HYPERLINK("http://x","y")'


def table_for(ds=None, targets=None):
    return compute_kpis(ds if ds is not None else kpi_fixture.dataset(), PERIOD, targets)


def write(tmp_path: Path, table: pd.DataFrame, name: str = "annex.xlsx", **kwargs) -> Path:
    return write_annex(tmp_path / name, table, PERIOD, PROVENANCE, **kwargs)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return table_for()


@pytest.fixture(scope="module")
def book(table: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    return openpyxl.load_workbook(write(tmp_path_factory.mktemp("annex"), table))


def bieu06_rows(ws: Worksheet) -> dict[str, list]:
    """Label in column B → its 13 cells, for the data rows of the Biểu 06 sheet."""
    rows = {}
    for cells in ws.iter_rows(min_row=FIRST_DATA, max_col=13, values_only=True):
        if cells[1] is not None:
            rows[cells[1]] = list(cells)
    return rows


def counts(table: pd.DataFrame, unit_id: str) -> list[float]:
    """Columns (3)…(13) of a unit from the KPI table; (5) = direct + postal."""
    values = table[table["unit_id"] == unit_id].set_index("kpi")["value"]
    values = values.reindex([*values.index, "received_direct_or_postal"])
    values["received_direct_or_postal"] = values["received_direct"] + values["received_postal"]
    return [values[column] for *_, column in BIEU06_COLUMNS]


# ------------------------------------------------------------------------------ structure


def test_sheet_names(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == [SHEET_BIEU06, SHEET_KPI, SHEET_KPI_DATA, SHEET_SOURCES]
    assert book.sheetnames == ["Biểu 06", "Chỉ tiêu", "KPI (dữ liệu)", "Nguồn dữ liệu"]


def test_bieu06_titles(book: openpyxl.Workbook) -> None:
    ws = book[SHEET_BIEU06]
    assert ws["A1"].value == "Biểu số 06/VPCP/KSTT"
    assert ws["A2"].value.startswith("KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")
    assert ws["A3"].value == "Kỳ báo cáo: quý I/2022"


def test_bieu06_merged_headers(book: openpyxl.Workbook) -> None:
    ws = book[SHEET_BIEU06]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A5:A6", "B5:B6", "C5:F5", "G5:J5", "K5:M5"} <= merged
    assert [ws.cell(HEADER_TOP, c).value for c in (1, 2, 3, 7, 11)] == [
        "STT", "Đơn vị", "Số hồ sơ nhận giải quyết", "Số hồ sơ đã giải quyết",
        "Số hồ sơ đang giải quyết"]
    assert [ws.cell(HEADER_TOP + 1, c).value for c in range(3, 14)] == [
        "Tổng số", "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước",
        "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn"]
    assert all(ws.cell(HEADER_TOP, c).font.b for c in (1, 2, 3, 7, 11))
    assert all(ws.cell(HEADER_TOP + 1, c).font.b for c in range(3, 14))
    assert ws.cell(HEADER_TOP + 1, 13).border.bottom.style == "thin"


def test_bieu06_column_numbers(book: openpyxl.Workbook) -> None:
    ws = book[SHEET_BIEU06]
    assert [ws.cell(FIRST_DATA - 1, c).value for c in range(1, 14)] == [
        f"({n})" for n in range(1, 14)]


def test_bieu06_layout_groups_units_by_kind(book: openpyxl.Workbook) -> None:
    ws = book[SHEET_BIEU06]
    layout = [(r[0], r[1]) for r in ws.iter_rows(min_row=FIRST_DATA, max_col=2,
                                                values_only=True) if r[1] is not None]
    assert layout == [
        ("I", "Các phòng, ban chuyên môn"), ("1", "Phòng Tư pháp"), ("2", "Phòng Nội vụ"),
        ("II", "UBND các phường, xã"), ("1", "UBND Phường 7"), ("2", "UBND Phường 9"),
        (None, "Tổng cộng"),
    ]
    assert ws.cell(FIRST_DATA, 2).font.b and not ws.cell(FIRST_DATA + 1, 2).font.b


def test_bieu06_values_equal_the_kpi_table(book: openpyxl.Workbook,
                                           table: pd.DataFrame) -> None:
    rows = bieu06_rows(book[SHEET_BIEU06])
    expected = {
        "Phòng Tư pháp": "TP", "Phòng Nội vụ": "EMPTY", "UBND Phường 7": "007",
        "UBND Phường 9": "AGG", "Tổng cộng": "*",
        # a group whose units are exactly one level's units shows that level's roll-up
        "Các phòng, ban chuyên môn": "*huyen", "UBND các phường, xã": "*xa",
    }
    for label, unit_id in expected.items():
        assert rows[label][2:] == counts(table, unit_id), label
    assert rows["Phòng Tư pháp"][2:] == [10, 5, 4, 1, 6, 3, 1, 2, 4, 3, 1]  # by hand


def test_bieu06_identities_hold_on_every_row(book: openpyxl.Workbook) -> None:
    rows = bieu06_rows(book[SHEET_BIEU06])
    assert len(rows) == 7
    for label, r in rows.items():
        c = dict(zip(range(1, 14), r, strict=True))
        assert c[3] == c[4] + c[5] + c[6], label
        assert c[3] == c[7] + c[11], label
        assert c[7] == c[8] + c[9] + c[10], label
        assert c[11] == c[12] + c[13], label


def test_bieu06_number_format_and_font(book: openpyxl.Workbook) -> None:
    ws = book[SHEET_BIEU06]
    for col in range(3, 14):
        cell = ws.cell(FIRST_DATA + 1, col)
        assert cell.number_format == "#,##0"
        assert cell.data_type == "n" and isinstance(cell.value, int)
    for cell in (ws["A1"], ws["B5"], ws.cell(FIRST_DATA + 1, 2), ws.cell(FIRST_DATA + 1, 3)):
        assert (cell.font.name, cell.font.sz) == ("Times New Roman", 12)


def test_freeze_panes(book: openpyxl.Workbook) -> None:
    assert book[SHEET_BIEU06].freeze_panes == "C8"
    assert book[SHEET_KPI].freeze_panes == "C6"
    assert book[SHEET_KPI_DATA].freeze_panes == "A2"
    assert book[SHEET_SOURCES].freeze_panes == "A4"


def test_print_setup(book: openpyxl.Workbook) -> None:
    titles = {SHEET_BIEU06: "$5:$7", SHEET_KPI: "$4:$5", SHEET_KPI_DATA: "$1:$1",
              SHEET_SOURCES: "$3:$3"}
    for ws in book:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert int(setup.paperSize) == 9, ws.title  # A4
        assert int(setup.fitToWidth) == 1 and int(setup.fitToHeight) == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows == titles[ws.title]
        assert ws.column_dimensions["A"].width > 0 and ws.column_dimensions["B"].width > 0


# ------------------------------------------------------------------------------ KPI sheets


def test_kpi_sheet_rows_and_formats(book: openpyxl.Workbook, table: pd.DataFrame) -> None:
    ws = book[SHEET_KPI]
    names = [ws.cell(r, 2).value for r in range(6, 13)]
    assert names == ["Phòng Tư pháp", "UBND Phường 7", "Phòng Nội vụ", "UBND Phường 9",
                     "Các đơn vị cấp huyện", "Các đơn vị cấp xã", "Toàn bộ các đơn vị"]
    # no targets in this table: one column per KPI, headed by its label over both rows
    labels = [ws.cell(4, c).value for c in range(3, 3 + len(ANNEX_KPIS))]
    assert labels[0] == KPIS["online_rate"].label
    assert labels[-1] == KPIS["index766_online"].label + " (điểm)"
    online = ws.cell(6, 3)
    assert online.value == pytest.approx(3 / 6) and online.number_format == "0.00%"
    points = ws.cell(6, 2 + len(ANNEX_KPIS))
    assert points.number_format == "0.00"
    tp = table[(table["unit_id"] == "TP") & (table["kpi"] == "index766_online")]
    assert points.value == tp["value"].iloc[0]


def test_kpi_sheet_targets_and_status(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("2022:\n  online_rate: 0.8447\n  documents_signed_rate: {max: 0.9}\n"
                       "  units:\n    TP: {online_rate: 0.5}\n", encoding="utf-8")
    table = table_for(targets=load_targets(targets))
    ws = openpyxl.load_workbook(write(tmp_path, table))[SHEET_KPI]
    assert "C4:E4" in {str(r) for r in ws.merged_cells.ranges}
    assert [ws.cell(5, c).value for c in (3, 4, 5)] == ["Kết quả", "Chỉ tiêu", "Đánh giá"]
    by_name = {ws.cell(r, 2).value: r for r in range(6, 13)}
    tp, ward = by_name["Phòng Tư pháp"], by_name["UBND Phường 7"]
    assert ws.cell(tp, 4).value == 0.5 and ws.cell(tp, 5).value == "Đạt"
    assert ws.cell(ward, 4).value == 0.8447 and ws.cell(ward, 5).value == "Chưa đạt"
    assert ws.cell(tp, 4).number_format == '"≥ "0.00%'
    assert ws.cell(tp, 5).fill.fgColor.rgb.endswith("C6EFCE")
    assert ws.cell(ward, 5).fill.fgColor.rgb.endswith("FFC7CE")
    # on_time_rate has no target: a single column, right after the three of online_rate
    assert ws.cell(4, 6).value == KPIS["on_time_rate"].label
    assert "F4:F5" in {str(r) for r in ws.merged_cells.ranges}
    # a "max" target says so
    signed = next(c for c in range(3, ws.max_column + 1)
                  if ws.cell(4, c).value == KPIS["documents_signed_rate"].label)
    assert ws.cell(tp, signed + 1).number_format == '"≤ "0.00%'
    assert ws.cell(by_name["Phòng Nội vụ"], signed + 2).value == "—"  # no documents


def test_show_all_targets_keeps_a_fixed_layout(tmp_path: Path, table: pd.DataFrame) -> None:
    ws = openpyxl.load_workbook(write(tmp_path, table, show_all_targets=True))[SHEET_KPI]
    assert ws.max_column == 2 + 3 * len(ANNEX_KPIS)
    assert ws.cell(6, 5).value == "—"


def test_kpi_data_sheet_mirrors_kpis_csv(book: openpyxl.Workbook, table: pd.DataFrame) -> None:
    text_columns = ["unit_id", "unit_name", "period", "kpi", "status"]
    number_columns = [c for c in KPI_CSV_COLUMNS if c not in text_columns]
    csv = pd.read_csv(io.StringIO(kpis_csv_text(table)), dtype=str, keep_default_na=False)
    for column in number_columns:
        csv[column] = pd.to_numeric(csv[column].replace("", None)).astype(float)

    rows = list(book[SHEET_KPI_DATA].iter_rows(values_only=True))
    assert list(rows[0]) == KPI_CSV_COLUMNS
    sheet = pd.DataFrame(rows[1:], columns=KPI_CSV_COLUMNS)
    for column in text_columns:
        sheet[column] = sheet[column].map(lambda v: "" if v is None else v).astype(str)
    for column in number_columns:
        sheet[column] = sheet[column].astype(float)  # None -> NaN
    csv[text_columns] = csv[text_columns].astype(str)
    pd.testing.assert_frame_equal(sheet, csv, check_dtype=False, check_exact=True)
    assert "007" in set(sheet["unit_id"])  # the leading zero survives


def test_sources_sheet(book: openpyxl.Workbook) -> None:
    ws = book[SHEET_SOURCES]
    rows = {r[0]: r[1] for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["period"] == "2022Q1"
    assert rows["data/dossiers.csv"] == "sha256:" + "ab" * 32
    assert rows["parameters"] == '{"index766": "params/index766.yaml", "targets": null}'
    assert [ws["A3"].value, ws["B3"].value] == ["Thông tin", "Giá trị"]
    assert ws["A3"].font.b and ws["A3"].border.top.style == "thin"


# ------------------------------------------------------------------------------ unknown values


def test_unreported_unit_stays_empty_never_zero(tmp_path: Path) -> None:
    ds = kpi_fixture.dataset()
    ds = dataclasses.replace(ds, aggregates=ds.aggregates[ds.aggregates["period"] != "2022Q1"])
    table = table_for(ds)
    book = openpyxl.load_workbook(write(tmp_path, table))
    ward = bieu06_rows(book[SHEET_BIEU06])["UBND Phường 9"]
    assert ward[2:] == [None] * 11
    cell = next(c for c in book[SHEET_BIEU06]["C"] if c.row >= FIRST_DATA
                and book[SHEET_BIEU06].cell(c.row, 2).value == "UBND Phường 9")
    assert cell.number_format == "#,##0" and cell.border.left.style == "thin"

    ws = book[SHEET_KPI]
    row = next(r for r in range(6, 13) if ws.cell(r, 2).value == "UBND Phường 9")
    assert [ws.cell(row, c).value for c in range(3, 3 + len(ANNEX_KPIS))] == \
        [None] * len(ANNEX_KPIS)

    data = pd.DataFrame(list(book[SHEET_KPI_DATA].iter_rows(min_row=2, values_only=True)),
                        columns=KPI_CSV_COLUMNS)
    agg = data[(data["unit_id"] == "AGG") & data["kpi"].isin([c for *_, c in BIEU06_COLUMNS])]
    assert len(agg) == 10 and agg["value"].isna().all()  # column (5) is not a KPI of its own
    # the totals still add up over the units that reported
    total = bieu06_rows(book[SHEET_BIEU06])["Tổng cộng"]
    assert total[2:] == counts(table, "*")
    assert not any(isinstance(v, float) and math.isnan(v) for v in total)


# ------------------------------------------------------------------------------ safety


HOSTILE = {
    "TP": INJECTION,
    "007": "@SUM(1+1)*cmd|' /C calc'!A0",
    "EMPTY": "#N/A",
    "AGG": "-2+3",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    ds = kpi_fixture.dataset()
    units = ds.units.copy()
    units["name"] = units["unit_id"].map(HOSTILE)
    table = table_for(dataclasses.replace(ds, units=units))
    return write(tmp_path_factory.mktemp("hostile"), table), table


def test_formula_like_names_are_written_as_text(hostile: tuple[Path, pd.DataFrame]) -> None:
    _, table = hostile
    book = build_annex(table, PERIOD, {"note": "=1+1"})
    cells = [c for ws in book for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value in {*HOSTILE.values(), "=1+1"}]
    assert len(cells) >= 4 * 3 + 1  # every name on three sheets, and the provenance value
    assert {c.data_type for c in cells} == {"s"}


def test_formula_like_names_read_back_literally(hostile: tuple[Path, pd.DataFrame]) -> None:
    path, _ = hostile
    book = openpyxl.load_workbook(path)
    names = [book[SHEET_BIEU06].cell(r, 2) for r in range(FIRST_DATA, FIRST_DATA + 7)]
    by_value = {c.value: c for c in names}
    for text in HOSTILE.values():
        cell = by_value[text]
        assert cell.data_type == "s", text
        assert cell.value == text
    assert by_value[INJECTION].quotePrefix  # stays text if a user edits the cell
    assert by_value["-2+3"].quotePrefix and not by_value["#N/A"].quotePrefix
    data = [c for c in book[SHEET_KPI_DATA]["B"] if c.value == INJECTION]
    assert data and all(c.data_type == "s" for c in data)
    # no formula anywhere in the package
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, name


def test_illegal_control_characters_do_not_break_the_file(tmp_path: Path) -> None:
    ds = kpi_fixture.dataset()
    units = ds.units.copy()
    units.loc[0, "name"] = "Phòng\x0bTư pháp"
    table = table_for(dataclasses.replace(ds, units=units))
    ws = openpyxl.load_workbook(write(tmp_path, table))[SHEET_BIEU06]
    assert ws.cell(FIRST_DATA + 1, 2).value == "Phòng\ufffdTư pháp"


# ------------------------------------------------------------------------------ files


def test_properties_and_reproducible_bytes(tmp_path: Path, table: pd.DataFrame) -> None:
    first = write(tmp_path, table, "a.xlsx")
    second = write(tmp_path, table, "b.xlsx")
    assert first.read_bytes() == second.read_bytes()
    props = openpyxl.load_workbook(first).properties
    assert props.creator == f"briefkit {__version__}"
    assert props.title == "Phụ lục: kết quả giải quyết thủ tục hành chính quý I/2022"
    assert props.created == props.modified == dt.datetime(2024, 1, 15, 1, 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx"]  # no leftovers


def test_failed_build_leaves_the_previous_file(tmp_path: Path, table: pd.DataFrame) -> None:
    path = write(tmp_path, table)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="lacks column"):
        write_annex(path, table.drop(columns="status"), PERIOD, PROVENANCE)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["annex.xlsx"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("2024-01-15T08:30:00+07:00", dt.datetime(2024, 1, 15, 1, 30)),
    ("2024-01-15T01:30:00Z", dt.datetime(2024, 1, 15, 1, 30)),
    ("2024-01-15 01:30:00.123456", dt.datetime(2024, 1, 15, 1, 30)),
    (pd.Timestamp("2024-01-15 08:30", tz="Asia/Ho_Chi_Minh"), dt.datetime(2024, 1, 15, 1, 30)),
    (dt.date(2024, 1, 15), dt.datetime(2024, 1, 15)),
])
def test_generated_at(raw: object, expected: dt.datetime) -> None:
    assert generated_at({"generated_at": raw}) == expected


def test_generated_at_absent_or_bad() -> None:
    assert generated_at({}) is None
    assert generated_at({"generated_at": None}) is None
    with pytest.raises(ValueError, match="ISO 8601"):
        generated_at({"generated_at": "15/01/2024"})


# ------------------------------------------------------------------------------ grouping


def test_kind_labels_and_level_subtotals(tmp_path: Path) -> None:
    """Kinds that do not coincide with a level: the level roll-up gets its own row."""
    ds = kpi_fixture.dataset()
    units = ds.units.copy()
    units.loc[units["unit_id"] == "EMPTY", "kind"] = "van_phong"
    table = table_for(dataclasses.replace(ds, units=units))
    path = write(tmp_path, table, kind_labels={"phuong_xa": "Cấp xã"})
    ws = openpyxl.load_workbook(path)[SHEET_BIEU06]
    layout = [(r[0], r[1]) for r in ws.iter_rows(min_row=FIRST_DATA, max_col=2,
                                                values_only=True) if r[1] is not None]
    assert layout == [
        ("I", "Các phòng, ban chuyên môn"), ("1", "Phòng Tư pháp"),
        ("II", "Cấp xã"), ("1", "UBND Phường 7"), ("2", "UBND Phường 9"),
        ("III", "van_phong"), ("1", "Phòng Nội vụ"),
        (None, "Cộng các đơn vị cấp huyện"), (None, "Tổng cộng"),
    ]
    rows = bieu06_rows(ws)
    assert rows["Các phòng, ban chuyên môn"][2:] == [None] * 11  # no roll-up to show
    assert rows["Cấp xã"][2:] == counts(table, "*xa")
    assert rows["Cộng các đơn vị cấp huyện"][2:] == counts(table, "*huyen")


def test_kpi_selection(tmp_path: Path, table: pd.DataFrame) -> None:
    ws = openpyxl.load_workbook(write(tmp_path, table, kpis=["on_time_rate"]))[SHEET_KPI]
    assert ws.max_column == 3 and ws.cell(4, 3).value == KPIS["on_time_rate"].label
    with pytest.raises(ValueError, match="Unknown KPI"):
        build_annex(table, PERIOD, PROVENANCE, kpis=["no_such_kpi"])
