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
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from briefkit import __version__, clock, report
from briefkit.annex import (
    ANNEX_KPIS,
    FMT_COUNT,
    FMT_POINTS,
    FMT_RATE,
    KPI_GROUP_LABELS,
    MIN_PRINT_SCALE,
    PRINTED_SHEETS,
    SHEET_BIEU06,
    SHEET_KPI,
    SHEET_KPI_DATA,
    SHEET_SOURCES,
    SOURCES_SHEET_NOTICE,
    build_annex,
    generated_at,
    kpi_sheet_columns,
    write_annex,
)
from briefkit.bieu06 import Frame
from briefkit.kpis import BIEU06_COLUMNS, KPI_CSV_COLUMNS, KPIS, compute_kpis
from briefkit.labels import KIND_LABELS, NO_KIND_LABEL, kind_label
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
HEADER_TOP, FIRST_DATA = 7, 10  # Biểu 06: frame rows 1–6, header rows 7–8, numbers 9, data
KPI_TOP, KPI_FIRST = 4, 7  # Chỉ tiêu: header rows 4 (groups), 5 (KPIs), 6 (columns); data
# What a printed A4 landscape page holds inside the Decree 30 margins, in points, and what a
# column of width 1 takes at 100 % (6 pt in LibreOffice for Times New Roman 12; 4 % spare).
PRINT_WIDTH, PRINT_HEIGHT = (297 - 45) / 25.4 * 72, (210 - 40) / 25.4 * 72
POINTS_PER_WIDTH = 6.0 * 1.04
#: Targets on eight of the ten KPIs of the sheet, one of them different for one unit: the
#: shape of the demo district's 2023 targets (the demo has each unit's baseline + 10 points).
WIDE_TARGETS = """2022:
  online_rate: 0.8447
  on_time_rate: {min: 0.98}
  late_apology_rate: {min: 1.0}
  l3_online_share: {min: 0.5}
  l4_online_share: {min: 0.5}
  l3_procedures_with_online: {min: 0.6}
  l4_procedures_with_online: {min: 0.6}
  documents_signed_rate: {min: 1.0}
  units:
    TP: {online_rate: 0.5}
"""
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


def kpi_layout(ws: Worksheet) -> dict[str, dict]:
    """KPI name → its columns on the "Chỉ tiêu" sheet: ``cols``, their ``headers`` and the
    ``target`` written under the name (None when there is none)."""
    layout = {}
    for merged in sorted(ws.merged_cells.ranges, key=lambda r: r.min_col):
        if merged.min_row != KPI_TOP + 1:
            continue
        label, _, target = ws.cell(merged.min_row, merged.min_col).value.partition("\n")
        cols = list(range(merged.min_col, merged.max_col + 1))
        headers = (["Kết quả"] if merged.max_row == KPI_TOP + 2
                   else [ws.cell(KPI_TOP + 2, c).value for c in cols])
        layout[label] = {"cols": cols, "headers": headers, "target": target or None}
    return layout


def kpi_pages(ws: Worksheet) -> list[tuple[int, int]]:
    """(first, last) column of each printed page of the "Chỉ tiêu" sheet."""
    starts = [c for c in range(1, ws.max_column + 1) if ws.cell(KPI_TOP, c).value == "STT"]
    return list(zip(starts, [s - 1 for s in starts[1:]] + [ws.max_column], strict=True))


def kpi_rows(ws: Worksheet) -> dict[str, int]:
    """Unit name → its row on the "Chỉ tiêu" sheet."""
    return {ws.cell(r, 2).value: r for r in range(KPI_FIRST, ws.max_row + 1)
            if ws.cell(r, 2).value is not None}


def kpi_cell(ws: Worksheet, unit: str, kpi: str, header: str = "Kết quả"):
    entry = kpi_layout(ws)[KPIS[kpi].label]
    return ws.cell(kpi_rows(ws)[unit], entry["cols"][entry["headers"].index(header)])


def column_width(ws: Worksheet, col: int) -> float:
    return ws.column_dimensions[get_column_letter(col)].width


def wide_table(tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "targets.yaml"
    path.write_text(WIDE_TARGETS, encoding="utf-8")
    return table_for(targets=load_targets(path))


def counts(table: pd.DataFrame, unit_id: str) -> list[float]:
    """Columns (3)…(13) of a unit from the KPI table; (5) = direct + postal."""
    values = table[table["unit_id"] == unit_id].set_index("kpi")["value"]
    values = values.reindex([*values.index, "received_direct_or_postal"])
    values["received_direct_or_postal"] = values["received_direct"] + values["received_postal"]
    return [values[column] for *_, column in BIEU06_COLUMNS]


# ------------------------------------------------------------------------------ structure


def test_sheet_names(book: openpyxl.Workbook) -> None:
    # the printed annex first, the machine data last
    assert book.sheetnames == [SHEET_BIEU06, SHEET_KPI, SHEET_SOURCES, SHEET_KPI_DATA]
    assert book.sheetnames == ["Biểu 06", "Chỉ tiêu", "Nguồn dữ liệu", "KPI (dữ liệu)"]


def test_bieu06_titles(book: openpyxl.Workbook) -> None:
    ws = book[SHEET_BIEU06]
    assert ws["A1"].value == "Biểu số 06/VPCP/KSTT"
    assert ws["A2"].value == "Ban hành kèm theo Thông tư số 01/2020/TT-VPCP"
    assert ws["A3"].value.startswith("KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")
    assert ws["A4"].value == "Kỳ báo cáo: quý I/2022"
    assert ws["A5"].value == "(Từ ngày 01/01/2022 đến ngày 31/03/2022)"
    # no settings given: blanks for the clerk to fill in
    assert ws["G1"].value == "Đơn vị báo cáo: …………………………"
    assert ws["G2"].value == "Đơn vị nhận báo cáo: …………………………"


FRAME_SETTINGS = {
    "parent_body": "ỦY BAN NHÂN DÂN QUẬN 13", "issuing_body": "VĂN PHÒNG HĐND VÀ UBND",
    "place": "Quận 13", "signature": {"signer": "Nguyễn Văn An"},
    "annex": {"receiving_unit": "UBND Thành phố", "preparer": "Lê Văn Cường"},
}


def test_bieu06_frame_from_the_settings(tmp_path: Path, table: pd.DataFrame) -> None:
    """The form's frame: who reports to whom, the place and date, both signatories."""
    frame = Frame.from_settings(FRAME_SETTINGS, dt.date(2022, 4, 5))
    assert frame == Frame("ỦY BAN NHÂN DÂN QUẬN 13", "UBND Thành phố", "Quận 13",
                          dt.date(2022, 4, 5), "Lê Văn Cường", "Nguyễn Văn An")
    ws = openpyxl.load_workbook(write(tmp_path, table, frame=frame))[SHEET_BIEU06]
    assert ws["G1"].value == "Đơn vị báo cáo: ỦY BAN NHÂN DÂN QUẬN 13"
    assert ws["G2"].value == "Đơn vị nhận báo cáo: UBND Thành phố"
    below = [(c.coordinate, c.value) for row in ws.iter_rows(min_row=FIRST_DATA + 7)
             for c in row if c.value is not None]
    assert [v for _, v in below] == [
        "Quận 13, ngày 05 tháng 4 năm 2022", "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ",
        "(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ tên, đóng dấu)", "Lê Văn Cường", "Nguyễn Văn An"]
    # the preparer on the left half, the head (and the place and date) on the right
    assert [c[0] for c, _ in below] == ["G", "A", "G", "A", "G", "A", "G"]
    # the parent body is the default reporting unit, the issuing body the next
    assert Frame.from_settings({"issuing_body": "VĂN PHÒNG"}).reporting_unit == "VĂN PHÒNG"


def test_signature_block_stays_with_the_table(tmp_path: Path, table: pd.DataFrame) -> None:
    """A form longer than a page: a page break before the table's last rows keeps the
    signature block from opening a page of its own."""
    many = pd.concat([table.assign(unit_id=table["unit_id"].where(
        table["is_rollup"], table["unit_id"] + f"-{i}")) for i in range(25)])
    many = many.drop_duplicates(["unit_id", "kpi"])
    ws = openpyxl.load_workbook(write(tmp_path, many))[SHEET_BIEU06]
    total = next(c.row for c in ws["B"] if c.value == "Tổng cộng")
    assert not ws.sheet_properties.pageSetUpPr.fitToPage  # too long for one sheet of paper
    assert [b.id for b in ws.row_breaks.brk] == [total - 3]  # the block + 3 rows together


def test_bieu06_merged_headers(book: openpyxl.Workbook) -> None:
    ws = book[SHEET_BIEU06]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A7:A8", "B7:B8", "C7:F7", "G7:J7", "K7:M7"} <= merged
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
        assert cell.number_format == FMT_COUNT
        assert cell.data_type == "n" and isinstance(cell.value, int)
    for cell in (ws["A1"], ws["B7"], ws.cell(FIRST_DATA + 1, 2), ws.cell(FIRST_DATA + 1, 3)):
        assert (cell.font.name, cell.font.sz) == ("Times New Roman", 12)


def test_freeze_panes(book: openpyxl.Workbook) -> None:
    assert book[SHEET_BIEU06].freeze_panes == "C10"
    assert book[SHEET_KPI].freeze_panes == "C7"
    assert book[SHEET_KPI_DATA].freeze_panes == "A2"
    assert book[SHEET_SOURCES].freeze_panes == "A4"


def test_print_setup(book: openpyxl.Workbook) -> None:
    titles = {SHEET_BIEU06: "$7:$9", SHEET_KPI: "$4:$6", SHEET_KPI_DATA: "$1:$1",
              SHEET_SOURCES: "$3:$3"}
    for ws in book:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert int(setup.paperSize) == 9, ws.title  # A4
        assert ws.print_title_rows == titles[ws.title]
        assert ws.print_title_cols is None, ws.title
        assert ws.print_options.horizontalCentered, ws.title
        assert ws.oddHeader.center.text == "&P", ws.title
        assert ws.column_dimensions["A"].width > 0 and ws.column_dimensions["B"].width > 0
        if ws.title == SHEET_KPI:  # a fixed scale: Excel ignores page breaks when fitting
            assert not ws.sheet_properties.pageSetUpPr.fitToPage
            assert MIN_PRINT_SCALE <= setup.scale <= 100
        else:
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert int(setup.fitToWidth) == 1, ws.title
    # the form is small enough for one sheet of paper; the other sheets take what they need
    assert int(book[SHEET_BIEU06].page_setup.fitToHeight) == 1
    assert int(book[SHEET_SOURCES].page_setup.fitToHeight) == 0
    assert book[SHEET_BIEU06].HeaderFooter.differentFirst  # no number on page 1
    assert not book[SHEET_KPI].HeaderFooter.differentFirst


def test_bieu06_prints_legibly(tmp_path: Path, table: pd.DataFrame) -> None:
    """Fitted to the width, the form prints at about 80 % even with long unit names (it
    printed at 66 % before); a long name wraps instead of widening the form."""
    long_names = table.assign(unit_name=table["unit_name"] + " - Thương binh và Xã hội")
    ws = openpyxl.load_workbook(write(tmp_path, long_names))[SHEET_BIEU06]
    width = sum(column_width(ws, c) for c in range(1, 14)) * POINTS_PER_WIDTH
    assert 100 * PRINT_WIDTH / width >= 77  # 80 % in LibreOffice, which needs no spare
    assert ws.row_dimensions[FIRST_DATA + 1].height == 2 * 15.75  # "Phòng Tư pháp - …"
    assert int(ws.page_setup.fitToHeight) == 1  # a short form: one sheet of paper


# ------------------------------------------------------------------------------ KPI sheets


def test_kpi_sheet_rows_and_formats(book: openpyxl.Workbook, table: pd.DataFrame) -> None:
    ws = book[SHEET_KPI]
    names = [ws.cell(r, 2).value for r in range(KPI_FIRST, KPI_FIRST + 7)]
    assert names == ["Phòng Tư pháp", "UBND Phường 7", "Phòng Nội vụ", "UBND Phường 9",
                     "Các đơn vị cấp huyện", "Các đơn vị cấp xã", "Toàn bộ các đơn vị"]
    assert [ws.cell(r, 1).value for r in range(KPI_FIRST, KPI_FIRST + 7)] == \
        ["1", "2", "3", "4", None, None, None]
    assert ws.cell(KPI_FIRST + 6, 2).font.b and not ws.cell(KPI_FIRST, 2).font.b
    # no targets in this table: one column per KPI, headed by its name over two rows
    layout = kpi_layout(ws)
    assert list(layout) == [KPIS[k].label for k in ANNEX_KPIS]
    assert all(e["headers"] == ["Kết quả"] and e["target"] is None for e in layout.values())
    online = kpi_cell(ws, "Phòng Tư pháp", "online_rate")
    assert online.value == pytest.approx(3 / 6)
    assert online.number_format == FMT_RATE == "[$-42A]0.00%"
    points = kpi_cell(ws, "Phòng Tư pháp", "index766_online")
    assert points.number_format == FMT_POINTS
    tp = table[(table["unit_id"] == "TP") & (table["kpi"] == "index766_online")]
    assert points.value == tp["value"].iloc[0]
    # the KPI groups head the KPIs, one heading per group
    assert ws.cell(KPI_TOP, 3).value == KPI_GROUP_LABELS["online"] == "Dịch vụ công trực tuyến"
    groups = [ws.cell(KPI_TOP, c).value for c in range(3, ws.max_column + 1)
              if ws.cell(KPI_TOP, c).value not in (None, "STT", "Đơn vị")]
    assert groups == ["Dịch vụ công trực tuyến", "Tiến độ giải quyết hồ sơ", "Văn bản điện tử",
                      "Chỉ số theo QĐ 766"]


def test_kpi_sheet_matches_the_kpi_table(tmp_path: Path) -> None:
    """Every value, target and judgement on the sheet is the KPI table's, on every page."""
    table = wide_table(tmp_path)
    ws = openpyxl.load_workbook(write(tmp_path, table))[SHEET_KPI]
    rows = kpi_rows(ws)
    words = {"dat": "Đạt", "chua_dat": "Chưa đạt", "khong_ap_dung": "Không áp dụng"}
    checked = 0
    for record in table[table["kpi"].isin(ANNEX_KPIS)].itertuples():
        entry = kpi_layout(ws)[KPIS[record.kpi].label]
        cells = {h: ws.cell(rows[record.unit_name], c)
                 for h, c in zip(entry["headers"], entry["cols"], strict=True)}
        if pd.isna(record.value):
            assert cells["Kết quả"].value is None, (record.unit_id, record.kpi)
        else:
            assert cells["Kết quả"].value == record.value, (record.unit_id, record.kpi)
        if "Chỉ tiêu" in cells:
            target = None if pd.isna(record.target) else record.target
            assert cells["Chỉ tiêu"].value == target
        if "Đánh giá" in cells:
            assert cells["Đánh giá"].value == words[record.status]
            assert cells["Đánh giá"].data_type == "s"
        checked += 1
    assert checked == 7 * len(ANNEX_KPIS)


def test_kpi_sheet_targets_and_status(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("2022:\n  online_rate: 0.8447\n  documents_signed_rate: {max: 0.9}\n"
                       "  on_time_rate: {min: 0.98}\n"
                       "  units:\n    TP: {online_rate: 0.5}\n", encoding="utf-8")
    table = table_for(targets=load_targets(targets))
    ws = openpyxl.load_workbook(write(tmp_path, table))[SHEET_KPI]
    layout = kpi_layout(ws)
    # targets that differ between units: a target column of their own
    online = layout[KPIS["online_rate"].label]
    assert online == {"cols": [3, 4, 5], "headers": ["Kết quả", "Chỉ tiêu", "Đánh giá"],
                      "target": None}
    assert "C5:E5" in {str(r) for r in ws.merged_cells.ranges}
    assert kpi_cell(ws, "Phòng Tư pháp", "online_rate", "Chỉ tiêu").value == 0.5
    assert kpi_cell(ws, "Phòng Tư pháp", "online_rate", "Đánh giá").value == "Đạt"
    assert kpi_cell(ws, "UBND Phường 7", "online_rate", "Chỉ tiêu").value == 0.8447
    assert kpi_cell(ws, "UBND Phường 7", "online_rate", "Đánh giá").value == "Chưa đạt"
    assert kpi_cell(ws, "Phòng Tư pháp", "online_rate", "Chỉ tiêu").number_format == \
        '[$-42A]"≥ "0.00%'
    assert kpi_cell(ws, "Phòng Tư pháp", "online_rate", "Đánh giá").fill.fgColor.rgb \
        .endswith("C6EFCE")
    assert kpi_cell(ws, "UBND Phường 7", "online_rate", "Đánh giá").fill.fgColor.rgb \
        .endswith("FFC7CE")
    # one target for all: written once under the KPI's name, which way it goes included
    assert layout[KPIS["documents_signed_rate"].label]["headers"] == ["Kết quả", "Đánh giá"]
    assert layout[KPIS["documents_signed_rate"].label]["target"] == "Chỉ tiêu: ≤ 90%"
    assert layout[KPIS["on_time_rate"].label]["target"] == "Chỉ tiêu: ≥ 98%"
    assert kpi_cell(ws, "Phòng Nội vụ", "documents_signed_rate", "Đánh giá").value == \
        "Không áp dụng"
    # no target: the result alone, right after online_rate's three columns
    assert layout[KPIS["l3_online_share"].label] == {"cols": [6], "headers": ["Kết quả"],
                                                     "target": None}
    assert "F5:F6" in {str(r) for r in ws.merged_cells.ranges}


def test_target_in_the_header_keeps_its_decimals(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("2022:\n  online_rate: 0.8447\n  index766_online: 11.5\n", encoding="utf-8")
    plan = {c.kpi: c for c in kpi_sheet_columns(table_for(targets=load_targets(path)),
                                                ANNEX_KPIS)}
    assert plan["online_rate"].header_target == "Chỉ tiêu: ≥ 84,47%"
    assert plan["index766_online"].header_target == "Chỉ tiêu: ≥ 11,50"
    assert plan["on_time_rate"].target == "none"


def test_kpi_sheet_prints_as_pages_of_whole_kpis(tmp_path: Path) -> None:
    """Targets on most KPIs used to make ~30 columns fitted to one page (35 % scale). Now
    each printed page is a table of its own: STT and Đơn vị, then whole KPIs, at 80 %+."""
    table = wide_table(tmp_path)
    ws = openpyxl.load_workbook(write(tmp_path, table))[SHEET_KPI]
    pages = kpi_pages(ws)
    assert pages == [(1, 13), (14, 23)]
    # a column page break after each page but the last, a fixed scale
    assert [b.id for b in ws.col_breaks.brk] == [13]
    scale = ws.page_setup.scale
    assert MIN_PRINT_SCALE <= scale <= 100
    for first, last in pages:
        width = sum(column_width(ws, c) for c in range(first, last + 1)) * POINTS_PER_WIDTH
        assert width * scale / 100 <= PRINT_WIDTH, (first, last)
        # each page repeats the unit columns, names as text, numbered the same
        assert [ws.cell(KPI_TOP, first).value, ws.cell(KPI_TOP, first + 1).value] == \
            ["STT", "Đơn vị"]
        for row in kpi_rows(ws).values():
            assert ws.cell(row, first + 1).value == ws.cell(row, 2).value
            assert ws.cell(row, first).value == ws.cell(row, 1).value
            assert ws.cell(row, first + 1).data_type == "s"
    # a KPI is never split across pages, and a group only when wider than a page
    layout = kpi_layout(ws)
    for entry in layout.values():
        assert len({next(i for i, (f, la) in enumerate(pages) if f <= c <= la)
                    for c in entry["cols"]}) == 1
    page_of = {label: next(i for i, (f, la) in enumerate(pages) if f <= e["cols"][0] <= la)
               for label, e in layout.items()}
    assert {KPIS[k].group for k in ANNEX_KPIS if page_of[KPIS[k].label] == 0} == {"online"}
    # the demo's shape: the target column only where targets differ
    assert layout[KPIS["online_rate"].label]["headers"] == ["Kết quả", "Chỉ tiêu", "Đánh giá"]
    assert layout[KPIS["on_time_rate"].label]["headers"] == ["Kết quả", "Đánh giá"]
    assert layout[KPIS["index766_online"].label]["headers"] == ["Kết quả"]
    # titles: the sheet's on the first page, "(tiếp theo)" on the others; a legend under each
    assert ws.cell(1, 1).value.startswith("KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU VỀ")
    assert ws.cell(1, 14).value == "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU (tiếp theo)"
    assert ws.cell(2, 1).value == ws.cell(2, 14).value == "Kỳ báo cáo: quý I/2022"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:M1", "N1:W1", "A4:A6", "B4:B6", "N4:N6", "O4:O6"} <= merged
    note_row = KPI_FIRST + 7 + 1
    assert ws.cell(note_row, 1).value.startswith("Ghi chú:")
    assert ws.cell(note_row, 14).value == ws.cell(note_row, 1).value
    # the whole table fits on one page tall at that scale (7 rows)
    height = sum(ws.row_dimensions[r].height or 15.75 for r in range(1, note_row + 1))
    assert height * scale / 100 <= PRINT_HEIGHT


def test_kpi_sheet_with_many_units_prints_page_after_page(tmp_path: Path) -> None:
    """Sixty units: taller than a page, so rows break and the header rows repeat; the scale
    is then as large as the widest page allows."""
    base = wide_table(tmp_path)
    units = base[~base["is_rollup"]]
    copies = [units.assign(unit_id=units["unit_id"] + f"-{i}",
                           unit_name=units["unit_name"] + f" {i}") for i in range(15)]
    table = pd.concat([*copies, base[base["is_rollup"]]], ignore_index=True)
    ws = openpyxl.load_workbook(write(tmp_path, table))[SHEET_KPI]
    assert ws.print_title_rows == "$4:$6"
    assert len(kpi_rows(ws)) == 60 + 3
    scale = ws.page_setup.scale
    widest = max(sum(column_width(ws, c) for c in range(f, la + 1)) for f, la in kpi_pages(ws))
    assert MIN_PRINT_SCALE <= scale <= 100
    assert widest * POINTS_PER_WIDTH * (scale + 1) / 100 > PRINT_WIDTH  # no larger would fit


def test_show_all_targets_keeps_a_fixed_layout(tmp_path: Path, table: pd.DataFrame) -> None:
    ws = openpyxl.load_workbook(write(tmp_path, table, show_all_targets=True))[SHEET_KPI]
    layout = kpi_layout(ws)
    assert all(e["headers"] == ["Kết quả", "Chỉ tiêu", "Đánh giá"] for e in layout.values())
    assert kpi_cell(ws, "Phòng Tư pháp", "online_rate", "Đánh giá").value == "Không áp dụng"
    # the same columns whatever the targets and however long the names
    long_names = wide_table(tmp_path).assign(unit_name="Phòng Lao động - Thương binh và Xã hội")
    other = openpyxl.load_workbook(write(tmp_path, long_names, "b.xlsx",
                                         show_all_targets=True))[SHEET_KPI]
    assert {k: e["cols"] for k, e in kpi_layout(other).items()} == \
        {k: e["cols"] for k, e in layout.items()}
    assert kpi_pages(other) == kpi_pages(ws)


def test_kpi_data_sheet_mirrors_kpis_csv(book: openpyxl.Workbook, table: pd.DataFrame) -> None:
    text_columns = ["unit_id", "unit_name", "period", "kpi", "status", "basis"]
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
    # in Vietnamese: known keys under their labels, each parameter on a row of its own
    assert rows["Kỳ báo cáo"] == "2022Q1"
    assert rows["Cách tính kỳ"] == "theo lịch"
    assert rows["data/dossiers.csv"] == "sha256:" + "ab" * 32
    assert rows["Tham số: targets"] == "(không có)"
    assert rows["Tham số: index766"] == "params/index766.yaml"
    assert rows["Thời điểm lập"] == "2024-01-15T08:30:00+07:00"
    assert [ws["A3"].value, ws["B3"].value] == ["Thông tin", "Giá trị"]
    assert ws["A3"].font.b and ws["A3"].border.top.style == "thin"
    # below the table, a note that this sheet and the last one are not for print
    note = ws.cell(4 + len(rows) - 1, 1)
    assert note.value.startswith("Ghi chú: trang tính này và trang tính “KPI (dữ liệu)”")
    assert "kpis.csv" in note.value and "không thuộc phần phụ lục cần in" in note.value
    # not part of the printed annex: grey tab, a running header saying so
    assert SHEET_SOURCES not in PRINTED_SHEETS
    assert ws.sheet_properties.tabColor.rgb.endswith("808080")
    assert ws.oddHeader.left.text == SOURCES_SHEET_NOTICE


def test_sources_sheet_names_data_files_relative_to_the_data_folder() -> None:
    from briefkit.annex import provenance_rows

    rows = dict(provenance_rows({
        "convention": "nd09", "data_sha256": "c" * 64,
        "data_files": {"units": "a" * 64, "dossiers": "b" * 64},
        "data_file_names": {"units": "units.csv", "dossiers": "2022/dossiers.parquet"},
        "parameters": {"data_dir": "demo", "targets_file": "targets.yaml", "units": None},
        "version": "9.9"}))
    assert rows == {
        "Cách tính kỳ": "theo Nghị định 09/2019/NĐ-CP (từ ngày 15 tháng trước đến ngày 14)",
        "Mã băm dữ liệu (sha256)": "c" * 64,
        "Tệp dữ liệu units.csv (sha256)": "a" * 64,
        "Tệp dữ liệu 2022/dossiers.parquet (sha256)": "b" * 64,
        "Tham số: thư mục dữ liệu": "demo", "Tham số: tệp chỉ tiêu": "targets.yaml",
        "Tham số: đơn vị được chọn": "(không có)", "Phiên bản briefkit": "9.9"}


def test_kpi_data_sheet_is_marked_as_machine_data(book: openpyxl.Workbook) -> None:
    ws = book[SHEET_KPI_DATA]
    # last, and hidden: neither printed nor exported to PDF with the annex (it gave 19 pages)
    assert book.sheetnames[-1] == SHEET_KPI_DATA and ws.sheet_state == "hidden"
    assert book[SHEET_SOURCES].sheet_state == "hidden"
    assert all(book[name].sheet_state == "visible" for name in PRINTED_SHEETS)
    assert ws.oddHeader.left.text == ("Dữ liệu dạng máy đọc (trùng khớp kpis.csv), "
                                      "không thuộc phụ lục in")
    assert ws.oddHeader.center.text == "&P"
    assert ws.sheet_properties.tabColor.rgb.endswith("808080")
    assert [c.value for c in ws[1]] == KPI_CSV_COLUMNS  # nothing added to the data


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
    assert cell.number_format == FMT_COUNT and cell.border.left.style == "thin"

    ws = book[SHEET_KPI]
    assert [kpi_cell(ws, "UBND Phường 9", k).value for k in ANNEX_KPIS] == \
        [None] * len(ANNEX_KPIS)
    assert kpi_cell(ws, "UBND Phường 9", "online_rate").number_format == FMT_RATE

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
    # shown as its escape, as in kpis.csv, the briefings and the terminal (briefkit.textsafety)
    assert ws.cell(FIRST_DATA + 1, 2).value == "Phòng\\x0bTư pháp"


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
    with zipfile.ZipFile(first) as archive:  # Vietnamese wall time of generated_at
        assert {i.date_time for i in archive.infolist()} == {(2024, 1, 15, 8, 30, 0)}


def test_document_date_everywhere_and_no_clock_without_a_time(tmp_path: Path,
                                                              table: pd.DataFrame) -> None:
    stamp = clock.document_timestamp(dt.date(2026, 11, 30))
    dated = write_annex(tmp_path / "dated.xlsx", table, PERIOD,
                        {**PROVENANCE, "generated_at": stamp})
    with zipfile.ZipFile(dated) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 11, 30, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert core.count("2026-11-29T17:00:00Z") == 2  # created and modified: 00:00 +07:00
    # without a time: a fixed "no date" (openpyxl would put the clock there)
    bare = {k: v for k, v in PROVENANCE.items() if k != "generated_at"}
    undated = write_annex(tmp_path / "undated.xlsx", table, PERIOD, bare)
    with zipfile.ZipFile(undated) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert core.count("1980-01-01T00:00:00Z") == 2


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
    (dt.date(2024, 1, 15), dt.datetime(2024, 1, 14, 17, 0)),  # 00:00 in Vietnam
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
        ("III", "Van phong"), ("1", "Phòng Nội vụ"),  # a kind not listed, made readable
        (None, "Cộng các đơn vị cấp huyện"), (None, "Tổng cộng"),
    ]
    rows = bieu06_rows(ws)
    assert rows["Các phòng, ban chuyên môn"][2:] == [None] * 11  # no roll-up to show
    assert rows["Cấp xã"][2:] == counts(table, "*xa")
    assert rows["Cộng các đơn vị cấp huyện"][2:] == counts(table, "*huyen")


def test_container_unit_is_labelled_and_kept(tmp_path: Path) -> None:
    """The demo's "ubnd" kind (a People's Committee that only groups its departments) gets a
    heading in words, and its unit stays in the form with its zeros."""
    ds = kpi_fixture.dataset()
    units = ds.units.copy()
    units.loc[units["unit_id"] == "EMPTY", "kind"] = "ubnd"
    table = table_for(dataclasses.replace(ds, units=units))
    ws = openpyxl.load_workbook(write(tmp_path, table))[SHEET_BIEU06]
    layout = [(r[0], r[1]) for r in ws.iter_rows(min_row=FIRST_DATA, max_col=2,
                                                values_only=True) if r[1] is not None]
    assert ("III", "Ủy ban nhân dân") in layout and ("1", "Phòng Nội vụ") in layout
    assert "ubnd" not in {label for _, label in layout}
    assert bieu06_rows(ws)["Phòng Nội vụ"][2:] == [0] * 11
    # the HTML Biểu 06 heads the group the same way: one home for the labels
    assert ">Ủy ban nhân dân<" in report.bieu06_html(table)


@pytest.mark.parametrize(("kind", "expected"), [
    ("phong_ban", "Các phòng, ban chuyên môn"),
    ("phuong_xa", "UBND các phường, xã"),
    ("so_nganh", "Các sở, ban, ngành"),
    ("ubnd", "Ủy ban nhân dân"),
    ("van_phong", "Van phong"),
    ("  xa_dac_khu  ", "Xa dac khu"),
    ("Khối Đảng", "Khối Đảng"),
    ("UBND_cap_xa", "UBND cap xa"),
    (None, NO_KIND_LABEL),
    (float("nan"), NO_KIND_LABEL),
    ("nan", NO_KIND_LABEL),
    ("", NO_KIND_LABEL),
    ("___", NO_KIND_LABEL),
])
def test_kind_label(kind: object, expected: str) -> None:
    assert kind_label(kind) == expected


def test_kind_labels_have_one_home() -> None:
    from briefkit import annex

    assert report.KIND_LABELS is KIND_LABELS and annex.DEFAULT_KIND_LABELS is KIND_LABELS
    assert kind_label("phuong_xa", {"phuong_xa": "Cấp xã"}) == "Cấp xã"
    assert kind_label("ubnd", {"phuong_xa": "Cấp xã"}) == "Ủy ban nhân dân"
    with pytest.raises(TypeError):
        KIND_LABELS["x"] = "y"  # type: ignore[index]


def test_kpi_selection(tmp_path: Path, table: pd.DataFrame) -> None:
    ws = openpyxl.load_workbook(write(tmp_path, table, kpis=["on_time_rate"]))[SHEET_KPI]
    assert ws.max_column == 3 and ws.cell(KPI_TOP + 1, 3).value == KPIS["on_time_rate"].label
    assert ws.cell(KPI_TOP, 3).value == "Tiến độ giải quyết hồ sơ"
    assert not ws.col_breaks.brk
    with pytest.raises(ValueError, match="Unknown KPI"):
        build_annex(table, PERIOD, PROVENANCE, kpis=["no_such_kpi"])


def test_annex_settings_are_validated() -> None:
    """The ``annex:`` section of the document settings: known keys, text values; each
    problem names the key."""
    from briefkit.settings import settings_problems

    problems = settings_problems({"issuing_body": "VP", "annex": {"receiver": "UBND",
                                                                  "preparer": 5}}, "h.yaml")
    assert [p.message for p in problems] == [
        "annex.receiver: unknown key (known: reporting_unit, receiving_unit, preparer, head)",
        "annex.preparer: must be text (got 5)"]
    assert [p.message for p in settings_problems({"issuing_body": "VP", "annex": "x"},
                                                 "h.yaml")] == [
        "annex: must be a mapping with reporting_unit, receiving_unit, preparer, head"]
    assert settings_problems({"issuing_body": "VP", "annex": {"head": None}}, "h.yaml") == []
