"""Tests of briefkit.data: reading every accepted shape of input, and every validation rule.

Each bad-input test asserts that the problem names the file, the row as a spreadsheet
shows it and the column as written in the user's file, because that is what lets a user
fix the data without reading code. Files are built in tmp_path, small, so the suite is fast.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from briefkit import schema
from briefkit.data import RULES, Dataset, load_dataset, read_table, validate
from briefkit.problems import InputError, Problem

TODAY = dt.date(2023, 1, 1)

Table = tuple[list[str], list[list[str]]]


def base_tables() -> dict[str, Table]:
    """A small valid folder: no error and no warning."""
    return {
        "units": (
            ["unit_id", "name", "kind", "level", "parent_id", "fields"],
            [
                ["Q6", "UBND Quận 6", "quan", "huyen", "", ""],
                ["007", "Phòng Tư pháp", "phong_ban", "huyen", "Q6", "Tư pháp; Hộ tịch"],
                ["P1", "UBND Phường 1", "phuong_xa", "xa", "Q6", ""],
            ],
        ),
        "procedures": (
            ["procedure_id", "name", "field", "level", "online_level"],
            [
                ["1.001600", "Cấp bản sao trích lục hộ tịch", "Hộ tịch", "huyen", "4"],
                ["2.000", "Đăng ký khai sinh", "Hộ tịch", "xa", "3"],
            ],
        ),
        "dossiers": (
            ["dossier_id", "unit_id", "procedure_id", "channel", "received_at", "due_at",
             "resolved_at", "returned_by_post", "apology_sent", "inter_agency"],
            [
                ["H1", "007", "1.001600", "truc_tuyen", "2022-01-10", "2022-01-20", "2022-01-15",
                 "false", "false", "false"],
                ["H2", "P1", "2.000", "truc_tiep", "2022-02-01", "2022-02-05", "",
                 "false", "false", "true"],
            ],
        ),
    }


AGG_HEADER = ["unit_id", "period", *schema.AGGREGATE_COUNTS, *schema.AGGREGATE_OPTIONAL_COUNTS]
# received 10 + 5 + 1 = 16 = resolved 3 + 8 + 2 + pending 2 + 1
AGG_ROW = ["A1", "2022Q1", "10", "5", "1", "3", "8", "2", "2", "1", "9", "2", "1", "2"]


def with_aggregates(tables: dict[str, Table], rows: Sequence[Sequence[str]] = (AGG_ROW,)
                    ) -> dict[str, Table]:
    """Add an aggregate-only unit A1 and its Biểu 06 rows."""
    header, unit_rows = tables["units"]
    tables["units"] = (header, [*unit_rows, ["A1", "UBND Phường 2", "phuong_xa", "xa", "Q6", ""]])
    tables["aggregates"] = (AGG_HEADER, [list(r) for r in rows])
    return tables


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]],
              bom: bool = False, sep: str = ",") -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=sep)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_folder(folder: Path, tables: dict[str, Table], bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables.items():
        write_csv(folder / f"{name}.csv", header, rows, bom=bom)
    return folder


def set_cell(tables: dict[str, Table], table: str, row: int, column: str, value: object
             ) -> None:
    """Set one cell; ``row`` counts records from 0, ``column`` is the canonical name (even
    after :func:`rename`)."""
    header, rows = tables[table]
    canonical = AGG_HEADER if table == "aggregates" else base_tables()[table][0]
    rows[row][header.index(column) if column in header else canonical.index(column)] = value


def rename(tables: dict[str, Table], table: str, column: str, new: str) -> None:
    header, _ = tables[table]
    header[header.index(column)] = new


def problems(folder: Path, rule: str) -> list[Problem]:
    found = [p for p in validate(folder, today=TODAY) if p.rule == rule]
    assert found, f"no {rule} problem in {validate(folder, today=TODAY)}"
    assert all(p.severity == RULES[rule][0] for p in found)
    return found


def one(folder: Path, rule: str, file: str, row: int | None, column: str | None) -> Problem:
    """The single problem of ``rule``, checked to name the file, row and column."""
    found = problems(folder, rule)
    assert len(found) == 1, found
    p = found[0]
    assert (p.file, p.row, p.column) == (file, row, column), p
    assert file in str(p)
    if row is not None:
        assert f"row {row}" in str(p)
    if column is not None:
        assert repr(column) in str(p)
    return p


@pytest.fixture
def tables() -> dict[str, Table]:
    return base_tables()


# --------------------------------------------------------------------------------------
# Valid input, round trips
# --------------------------------------------------------------------------------------


def check_canonical(ds: Dataset) -> None:
    """The frames the KPI code relies on, with their exact dtypes."""
    assert list(ds.units.columns) == ["unit_id", "name", "kind", "level", "parent_id", "fields"]
    assert list(ds.procedures.columns) == ["procedure_id", "name", "field", "level",
                                           "online_level"]
    assert list(ds.dossiers.columns) == [
        "dossier_id", "unit_id", "procedure_id", "channel", "received_at", "due_at",
        "resolved_at", "returned_by_post", "apology_sent", "inter_agency"]
    assert list(ds.aggregates.columns) == AGG_HEADER
    assert list(ds.documents.columns) == ["document_id", "unit_id", "sent_at", "electronic",
                                          "digitally_signed"]
    for frame, cols in ((ds.units, ["unit_id", "name", "kind", "level", "parent_id", "fields"]),
                        (ds.procedures, ["procedure_id", "name", "field", "level"]),
                        (ds.dossiers, ["dossier_id", "unit_id", "procedure_id", "channel"])):
        for c in cols:
            assert pd.api.types.is_string_dtype(frame[c]), (c, frame[c].dtype)
            assert all(isinstance(v, str) for v in frame[c].dropna()), c
    assert ds.procedures["online_level"].dtype in (np.int8, pd.Int8Dtype())
    for c in ("received_at", "due_at", "resolved_at"):
        assert ds.dossiers[c].dtype == "datetime64[ns]"
        assert (ds.dossiers[c].dropna() == ds.dossiers[c].dropna().dt.normalize()).all()
    for c in ("returned_by_post", "apology_sent", "inter_agency"):
        assert ds.dossiers[c].dtype == np.bool_
    for c in AGG_HEADER[2:]:
        assert ds.aggregates[c].dtype == "Int64"
    assert ds.documents["sent_at"].dtype == "datetime64[ns]"
    assert ds.documents["electronic"].dtype == np.bool_


def test_valid_folder_has_no_problem(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, tables)
    assert validate(folder, today=TODAY) == []
    ds = load_dataset(folder, today=TODAY)
    check_canonical(ds)
    assert ds.warnings == []
    assert ds.files == {n: folder / f"{n}.csv" for n in ("units", "procedures", "dossiers")}
    assert ds.aggregates.empty and ds.documents.empty


@pytest.mark.parametrize("bom", [False, True])
def test_csv_round_trip(tmp_path: Path, tables: dict[str, Table], bom: bool) -> None:
    ds = load_dataset(write_folder(tmp_path, tables, bom=bom), today=TODAY)
    check_canonical(ds)
    assert ds.units["unit_id"].tolist() == ["Q6", "007", "P1"]
    assert ds.units["parent_id"].isna().tolist() == [True, False, False]
    assert ds.units["fields"].iloc[1] == "Tư pháp; Hộ tịch"
    assert ds.procedures["procedure_id"].tolist() == ["1.001600", "2.000"]
    assert ds.procedures["online_level"].tolist() == [4, 3]
    d = ds.dossiers
    assert d["unit_id"].tolist() == ["007", "P1"]
    assert d["channel"].tolist() == ["truc_tuyen", "truc_tiep"]
    assert d["received_at"].tolist() == [pd.Timestamp("2022-01-10"), pd.Timestamp("2022-02-01")]
    assert d["resolved_at"].iloc[0] == pd.Timestamp("2022-01-15")
    assert pd.isna(d["resolved_at"].iloc[1])
    assert d["inter_agency"].tolist() == [False, True]


def test_csv_semicolon_separator(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, tables)
    header, rows = tables["dossiers"]
    write_csv(folder / "dossiers.csv", header, rows, bom=True, sep=";")
    ds = load_dataset(folder, today=TODAY)
    assert ds.dossiers["dossier_id"].tolist() == ["H1", "H2"]


def test_blank_lines_dropped_but_row_numbers_kept(tmp_path: Path, tables: dict[str, Table]
                                                  ) -> None:
    header, rows = tables["dossiers"]
    bad = [*rows[0][:3], "Fax", *rows[0][4:]]
    bad[0] = "H3"
    tables["dossiers"] = (header, [rows[0], ["" for _ in header], rows[1], bad])
    folder = write_folder(tmp_path, tables)
    one(folder, "unknown_channel", "dossiers.csv", 5, "channel")


def test_optional_boolean_columns_may_be_absent(tmp_path: Path, tables: dict[str, Table]
                                                ) -> None:
    header, rows = tables["dossiers"]
    tables["dossiers"] = (header[:7], [r[:7] for r in rows])
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    check_canonical(ds)
    assert not ds.dossiers["apology_sent"].any()


def test_extra_columns_are_ignored(tmp_path: Path, tables: dict[str, Table]) -> None:
    header, rows = tables["dossiers"]
    tables["dossiers"] = ([*header, "Ghi chú"], [[*r, "bất kỳ"] for r in rows])
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert "Ghi chú" not in ds.dossiers.columns


def test_text_values_are_stripped_and_nfc(tmp_path: Path, tables: dict[str, Table]) -> None:
    # a unit id typed decomposed in dossiers must match its NFC spelling in units
    set_cell(tables, "units", 2, "unit_id", "Phường 1")
    set_cell(tables, "dossiers", 1, "unit_id", unicodedata.normalize("NFD", " Phường 1 "))
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert ds.dossiers["unit_id"].iloc[1] == unicodedata.normalize("NFC", "Phường 1")


def write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]],
               sheet: str = "Sheet1", formats: dict[str, str] | None = None,
               before: Sequence[str] = (), title_rows: Sequence[Sequence[object]] = ()) -> Path:
    """A workbook whose data sheet is ``sheet``, after sheets named in ``before``."""
    wb = openpyxl.Workbook()
    wb.active.title = before[0] if before else sheet
    for name in before[1:]:
        wb.create_sheet(name)
    for name in before:
        wb[name].append(["Ghi chú", "không phải dữ liệu"])
    ws = wb[sheet] if sheet in wb.sheetnames else wb.create_sheet(sheet)
    for t in title_rows:
        ws.append(list(t))
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    for col, fmt in (formats or {}).items():
        j = list(header).index(col)
        for cells in ws.iter_rows(min_row=len(title_rows) + 2, min_col=j + 1, max_col=j + 1):
            cells[0].number_format = fmt
    wb.save(path)
    return path


def test_xlsx_round_trip(tmp_path: Path, tables: dict[str, Table]) -> None:
    write_xlsx(tmp_path / "units.xlsx", ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Cấp",
                                         "Đơn vị cấp trên"],
               [["Q6", "UBND Quận 6", "quan", "Huyện", None],
                [7, "Phòng Tư pháp", "phong_ban", "Huyện", "Q6"],
                ["P1", "UBND Phường 1", "phuong_xa", "Xã", "Q6"]],
               sheet="Danh sách đơn vị", formats={"Mã đơn vị": "000"}, before=["Hướng dẫn"])
    write_xlsx(tmp_path / "procedures.xlsx", ["Mã TTHC", "Tên TTHC", "Lĩnh vực", "Cấp thực hiện",
                                              "Mức độ"],
               [[1.0016, "Cấp bản sao", "Hộ tịch", "huyen", 4],
                ["2.000", "Đăng ký khai sinh", "Hộ tịch", "xa", "Một phần"]],
               sheet="TTHC", formats={"Mã TTHC": "0.000000"},
               title_rows=[["DANH MỤC THỦ TỤC HÀNH CHÍNH"], []])
    write_xlsx(tmp_path / "dossiers.xlsx",
               ["Mã hồ sơ", "Đơn vị giải quyết", "Mã TTHC", "Kênh thực hiện", "Ngày tiếp nhận",
                "Ngày hẹn trả", "Ngày có kết quả", "Thư xin lỗi",
                "Liên thông giữa cơ quan nhà nước"],
               [[1, 7, "1.001600", 2, dt.datetime(2022, 4, 3, 8, 30), 44661, "09/04/2022",
                 True, False],
                ["H2", "P1", "2.000", 1, dt.date(2022, 2, 1), "2022-02-05", None, None, True]],
               sheet="Hồ sơ", formats={"Đơn vị giải quyết": "000"})
    ds = load_dataset(tmp_path, today=TODAY)
    check_canonical(ds)
    assert ds.units["unit_id"].tolist() == ["Q6", "007", "P1"]
    assert ds.units["level"].tolist() == ["huyen", "huyen", "xa"]
    assert ds.procedures["procedure_id"].tolist() == ["1.001600", "2.000"]
    assert ds.procedures["online_level"].tolist() == [4, 3]
    d = ds.dossiers
    assert d["dossier_id"].tolist() == ["1", "H2"]
    assert d["unit_id"].tolist() == ["007", "P1"]
    assert d["channel"].tolist() == ["truc_tuyen", "truc_tiep"]
    assert d["received_at"].tolist() == [pd.Timestamp("2022-04-03"), pd.Timestamp("2022-02-01")]
    assert d["due_at"].iloc[0] == pd.Timestamp("2022-04-10")  # Excel serial 44661
    assert d["resolved_at"].iloc[0] == pd.Timestamp("2022-04-09")
    assert d["apology_sent"].tolist() == [True, False]
    assert d["inter_agency"].tolist() == [False, True]
    numeric = [w for w in ds.warnings if w.rule == "numeric_code"]
    where = {(w.file, w.column, w.row) for w in numeric}
    assert where == {("units.xlsx", "Mã đơn vị", 3), ("procedures.xlsx", "Mã TTHC", 4),
                     ("dossiers.xlsx", "Mã hồ sơ", 2), ("dossiers.xlsx", "Đơn vị giải quyết", 2)}
    assert any("'1.001600'" in w.message and "0.000000" in w.message for w in numeric)


def test_xlsx_rows_are_sheet_rows(tmp_path: Path, tables: dict[str, Table]) -> None:
    """A header below a title row: problems name the row Excel shows."""
    folder = write_folder(tmp_path, tables)
    (folder / "dossiers.csv").unlink()
    header, rows = tables["dossiers"]
    rows[1][header.index("channel")] = "Fax"
    write_xlsx(folder / "dossiers.xlsx", header, rows, sheet="Data",
               title_rows=[["BÁO CÁO HỒ SƠ"]])
    one(folder, "unknown_channel", "dossiers.xlsx", 4, "channel")


def test_xlsx_number_rendering() -> None:
    from briefkit.data.raw import render_number as _render_number

    assert _render_number(7, "000") == "007"
    assert _render_number(1.0016, "0.000000") == "1.001600"
    assert _render_number(1.0016, "General") == "1.0016"
    assert _render_number(12.0, "General") == "12"
    assert _render_number(12, "#,##0") == "12"
    assert _render_number(0.1 + 0.2, "General") == "0.30000000000000004"


def test_parquet_round_trip(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, tables)
    (folder / "dossiers.csv").unlink()
    pd.DataFrame({
        "MaHoSo": ["H1", "H2", "H3"],
        "DonViXuLy": ["007", "P1", "P1"],
        "MaTTHC": ["1.001600", "2.000", "2.000"],
        "KenhThucHien": np.array([2, 1, 3], dtype="int64"),
        "NgayTiepNhan": pd.to_datetime(["2022-04-03 08:30", "2022-02-01", "2022-02-02"],
                                       format="ISO8601"),
        "NgayHenTra": pd.to_datetime(["2022-04-10", "2022-02-05", "2022-02-06"]),
        "NgayKetThucXuLy": pd.to_datetime(["2022-04-09 17:00", None, None], format="ISO8601"),
        "Thư xin lỗi": [True, False, False],
    }).to_parquet(folder / "dossiers.parquet")
    ds = load_dataset(folder, today=TODAY)
    check_canonical(ds)
    d = ds.dossiers
    assert d["channel"].tolist() == ["truc_tuyen", "truc_tiep", "buu_chinh"]
    assert d["received_at"].iloc[0] == pd.Timestamp("2022-04-03")
    assert d["resolved_at"].iloc[0] == pd.Timestamp("2022-04-09")
    assert d["apology_sent"].tolist() == [True, False, False]
    assert ds.files["dossiers"] == folder / "dossiers.parquet"


def test_parquet_rows_are_record_index_plus_one(tmp_path: Path, tables: dict[str, Table]
                                                ) -> None:
    folder = write_folder(tmp_path, tables)
    (folder / "dossiers.csv").unlink()
    header, rows = tables["dossiers"]
    rows[1][header.index("channel")] = "Fax"
    pd.DataFrame(rows, columns=header).to_parquet(folder / "dossiers.parquet")
    one(folder, "unknown_channel", "dossiers.parquet", 2, "channel")


def test_read_table(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, tables)
    frame = read_table(folder / "procedures.csv", "procedures")
    assert frame["procedure_id"].tolist() == ["1.001600", "2.000"]
    set_cell(tables, "procedures", 0, "online_level", "9")
    write_folder(folder, tables)
    with pytest.raises(InputError) as err:
        read_table(folder / "procedures.csv", "procedures")
    assert [p.rule for p in err.value.problems] == ["unknown_online_level"]


# --------------------------------------------------------------------------------------
# Aliases
# --------------------------------------------------------------------------------------

#: The aliases as data-contract.md lists them, written out here (not read from the schema)
#: so that a schema drifting from the contract fails.
CONTRACT_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("units", "unit_id"): ("Mã đơn vị", "MaDonVi"),
    ("units", "name"): ("Tên đơn vị", "TenDonVi"),
    ("units", "kind"): ("Loại đơn vị",),
    ("units", "level"): ("Cấp",),
    ("units", "parent_id"): ("Đơn vị cấp trên",),
    ("units", "fields"): ("Lĩnh vực",),
    ("procedures", "procedure_id"): ("Mã TTHC", "MaTTHC"),
    ("procedures", "name"): ("Tên TTHC", "TenTTHC"),
    ("procedures", "field"): ("Lĩnh vực", "TenLinhVuc"),
    ("procedures", "level"): ("Cấp thực hiện",),
    ("procedures", "online_level"): ("Mức độ", "MucDo"),
    ("dossiers", "dossier_id"): ("Mã hồ sơ", "MaHoSo"),
    ("dossiers", "unit_id"): ("Đơn vị giải quyết", "DonViXuLy"),
    ("dossiers", "procedure_id"): ("Mã TTHC", "MaTTHC"),
    ("dossiers", "channel"): ("Hình thức nộp", "Kênh thực hiện", "KenhThucHien"),
    ("dossiers", "received_at"): ("Ngày tiếp nhận", "NgayTiepNhan"),
    ("dossiers", "due_at"): ("Ngày hẹn trả", "NgayHenTra"),
    ("dossiers", "resolved_at"): ("Ngày có kết quả", "NgayKetThucXuLy"),
    ("dossiers", "returned_by_post"): ("Trả kết quả qua BCCI",),
    ("dossiers", "apology_sent"): ("Thư xin lỗi",),
    ("dossiers", "inter_agency"): ("Liên thông giữa cơ quan nhà nước",),
}
MOST_ALIASES = max(len(a) for a in CONTRACT_ALIASES.values())
SPELLINGS = {
    "as is": lambda a: a,
    "nfd": lambda a: unicodedata.normalize("NFD", a),
    "upper": str.upper,
    "spaced": lambda a: f"  {a.replace(' ', '  ')} ",
}


def test_schema_has_the_contract_aliases() -> None:
    for (table, column), aliases in CONTRACT_ALIASES.items():
        assert set(aliases) <= set(schema.TABLES[table].column(column).aliases), (table, column)


@pytest.mark.parametrize("spelling", list(SPELLINGS))
@pytest.mark.parametrize("nth", range(MOST_ALIASES))
def test_every_alias(tmp_path: Path, tables: dict[str, Table], nth: int, spelling: str) -> None:
    """Every column that has an ``nth`` alias is renamed to it (over all ``nth``, every alias
    of the contract), and the frames equal those read with canonical headers."""
    tables = with_aggregates(tables)
    reference = load_dataset(write_folder(tmp_path / "canonical", tables), today=TODAY)
    for (table, column), aliases in CONTRACT_ALIASES.items():
        if nth < len(aliases):
            rename(tables, table, column, SPELLINGS[spelling](aliases[nth]))
    ds = load_dataset(write_folder(tmp_path / "aliases", tables), today=TODAY)
    for table in schema.TABLES:
        pd.testing.assert_frame_equal(getattr(ds, table), getattr(reference, table))


def test_alias_problem_names_header_as_written(tmp_path: Path, tables: dict[str, Table]
                                               ) -> None:
    rename(tables, "dossiers", "received_at", "Ngày tiếp nhận")
    set_cell(tables, "dossiers", 1, "received_at", "không rõ")
    one(write_folder(tmp_path, tables), "bad_date", "dossiers.csv", 3, "Ngày tiếp nhận")


def test_no_alias_collides_within_a_table() -> None:
    for t in schema.TABLES.values():
        keys = [k for c in t.columns for k in c.keys]
        assert len(keys) == len(set(keys)), t.name


# --------------------------------------------------------------------------------------
# Values: channels, dates, booleans, levels
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", "truc_tiep"), ("2", "truc_tuyen"), ("3", "buu_chinh"),
    ("truc_tiep", "truc_tiep"), ("Trực tiếp", "truc_tiep"), ("TRỰC TUYẾN", "truc_tuyen"),
    ("Trực tuyến", "truc_tuyen"), ("Bưu chính công ích", "buu_chinh"), ("BCCI", "buu_chinh"),
    ("Qua bưu chính", "buu_chinh"), ("buu_chinh", "buu_chinh"),
])
def test_channel_spellings(tmp_path: Path, tables: dict[str, Table], raw: str,
                           expected: str) -> None:
    set_cell(tables, "dossiers", 0, "channel", raw)
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert ds.dossiers["channel"].iloc[0] == expected


def test_channel_codes_as_numbers(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, tables)
    (folder / "dossiers.csv").unlink()
    header, rows = tables["dossiers"]
    rows = [rows[0][:], rows[1][:], [*rows[1][:1], *rows[1][1:]]]
    rows[2][0] = "H3"
    for r, code in zip(rows, (1, 2, 3), strict=True):
        r[header.index("channel")] = code
    write_xlsx(folder / "dossiers.xlsx", header, rows)
    ds = load_dataset(folder, today=TODAY)
    assert ds.dossiers["channel"].tolist() == ["truc_tiep", "truc_tuyen", "buu_chinh"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("03/04/2022", "2022-04-03"),  # the day-first trap: 3 April, never 4 March
    ("4/3/2022", "2022-03-04"),
    ("14/03/2022", "2022-03-14"),
    ("14/03/2022 08:30", "2022-03-14"),
    ("14-03-2022", "2022-03-14"),
    ("2022-03-14", "2022-03-14"),
    ("2022-03-14 08:30", "2022-03-14"),
    ("2022-03-14 08:30:00", "2022-03-14"),
    ("2022-03-14T23:59:59", "2022-03-14"),
])
def test_date_spellings(tmp_path: Path, tables: dict[str, Table], raw: str,
                        expected: str) -> None:
    set_cell(tables, "dossiers", 0, "received_at", raw)
    set_cell(tables, "dossiers", 0, "due_at", "2022-05-01")
    set_cell(tables, "dossiers", 0, "resolved_at", "2022-05-01")
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert ds.dossiers["received_at"].iloc[0] == pd.Timestamp(expected)


BOOLEANS = [("true", True), ("TRUE", True), ("True", True), ("1", True), ("có", True),
            ("Có", True), ("x", True), ("X", True), ("yes", True), ("false", False),
            ("FALSE", False), ("0", False), ("không", False), ("Không", False), ("no", False),
            ("", False)]


@pytest.mark.parametrize(("raw", "expected"), BOOLEANS)
def test_boolean_spellings(tmp_path: Path, tables: dict[str, Table], raw: str,
                           expected: bool) -> None:
    set_cell(tables, "dossiers", 0, "apology_sent", raw)
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert ds.dossiers["apology_sent"].iloc[0] is np.bool_(expected)


def test_excel_booleans(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, tables)
    (folder / "dossiers.csv").unlink()
    header, rows = tables["dossiers"]
    rows[0][header.index("apology_sent")] = True
    rows[1][header.index("apology_sent")] = False
    rows[0][header.index("returned_by_post")] = 1
    write_xlsx(folder / "dossiers.xlsx", header, rows)
    ds = load_dataset(folder, today=TODAY)
    assert ds.dossiers["apology_sent"].tolist() == [True, False]
    assert ds.dossiers["returned_by_post"].tolist() == [True, False]


@pytest.mark.parametrize(("raw", "expected"), [
    ("Tỉnh", "tinh"), ("cấp tỉnh", "tinh"), ("TINH", "tinh"), ("Huyện", "huyen"),
    ("Cấp huyện", "huyen"), ("Xã", "xa"), ("cap_xa", "xa"),
])
def test_level_spellings(tmp_path: Path, tables: dict[str, Table], raw: str,
                         expected: str) -> None:
    set_cell(tables, "procedures", 1, "level", raw)
    set_cell(tables, "units", 2, "level", raw)
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert ds.procedures["level"].iloc[1] == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("2", 2), ("1", 2), ("khong", 2), ("Không", 2), ("mức độ 2", 2),
    ("3", 3), ("mot_phan", 3), ("Một phần", 3), ("Mức độ 3", 3),
    ("4", 4), ("toan_trinh", 4), ("Toàn trình", 4), ("mức độ 4", 4),
])
def test_online_level_spellings(tmp_path: Path, tables: dict[str, Table], raw: str,
                                expected: int) -> None:
    set_cell(tables, "procedures", 0, "online_level", raw)
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert ds.procedures["online_level"].iloc[0] == expected
    assert ds.procedures["online_level"].dtype == np.int8


def test_vocabularies_cover_the_canonical_values() -> None:
    assert set(schema.LEVEL_VOCABULARY.values()) == set(schema.LEVELS)
    assert set(schema.CHANNEL_VOCABULARY.values()) == set(schema.CHANNELS)
    assert set(schema.ONLINE_LEVEL_VOCABULARY.values()) == set(schema.ONLINE_LEVELS)


def test_aggregates_and_documents(tmp_path: Path, tables: dict[str, Table]) -> None:
    tables = with_aggregates(tables)
    tables["documents"] = (["document_id", "unit_id", "sent_at", "electronic",
                            "digitally_signed"],
                           [["VB1", "Q6", "15/03/2022", "x", ""], ["VB2", "P1", "2022-03-16",
                                                                   "có", "có"]])
    header, rows = tables["aggregates"]
    tables["aggregates"] = (header[:10], [r[:10] for r in rows])  # optional counts absent
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    check_canonical(ds)
    assert ds.aggregates["period"].tolist() == ["2022Q1"]
    assert ds.aggregates["received_online"].tolist() == [10]
    assert ds.aggregates["resolved_online"].isna().all()
    assert ds.documents["electronic"].tolist() == [True, True]
    assert ds.documents["digitally_signed"].tolist() == [False, True]
    assert ds.warnings == []


# --------------------------------------------------------------------------------------
# Errors: one test per rule
# --------------------------------------------------------------------------------------


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_dataset(tmp_path / "nowhere")
    assert [p.rule for p in err.value.problems] == ["missing_folder"]


def test_missing_file(tmp_path: Path, tables: dict[str, Table]) -> None:
    del tables["procedures"]
    folder = write_folder(tmp_path, tables)
    (folder / "procedures.xls").write_bytes(b"old excel")
    p = one(folder, "missing_file", "procedures.csv", None, None)
    assert "procedures.xls" in p.message


def test_a_partitioned_dataset_is_named_as_such(tmp_path: Path,
                                                tables: dict[str, Table]) -> None:
    """A folder of partitions (province=01/…) where a data folder is expected: one problem
    saying what it is and which folder to give, not three missing tables."""
    for name in ("province=79", "province=01"):
        write_folder(tmp_path / "ds" / name, tables)
    found = validate(tmp_path / "ds", today=TODAY)
    assert [(p.rule, p.file) for p in found] == [("missing_file", "ds")]
    assert "partitioned dataset (2 partitions: province=01, province=79)" in found[0].message
    assert str(tmp_path / "ds" / "province=01") in found[0].message
    assert validate(tmp_path / "ds" / "province=01", today=TODAY) == []


def test_ambiguous_file(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, tables)
    header, rows = tables["units"]
    write_xlsx(folder / "units.xlsx", header, rows)
    p = one(folder, "ambiguous_file", "units.csv", None, None)
    assert "units.xlsx" in p.message


def test_unreadable_csv_encoding(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, tables)
    header, rows = tables["units"]
    text = "\n".join(",".join(r) for r in [header, *rows])
    (folder / "units.csv").write_bytes(text.encode("utf-16"))
    p = one(folder, "unreadable_file", "units.csv", None, None)
    assert "UTF-8" in p.message


def test_unreadable_xlsx(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, tables)
    (folder / "dossiers.csv").unlink()
    (folder / "dossiers.xlsx").write_bytes(b"not a zip")
    one(folder, "unreadable_file", "dossiers.xlsx", None, None)


def test_missing_column(tmp_path: Path, tables: dict[str, Table]) -> None:
    header, rows = tables["dossiers"]
    j = header.index("due_at")
    tables["dossiers"] = ([h for i, h in enumerate(header) if i != j],
                          [[v for i, v in enumerate(r) if i != j] for r in rows])
    p = one(write_folder(tmp_path, tables), "missing_column", "dossiers.csv", 1, "due_at")
    assert "Ngày hẹn trả" in p.message


def test_duplicate_column(tmp_path: Path, tables: dict[str, Table]) -> None:
    header, rows = tables["dossiers"]
    tables["dossiers"] = ([*header, "Mã hồ sơ"], [[*r, r[0]] for r in rows])
    one(write_folder(tmp_path, tables), "duplicate_column", "dossiers.csv", 1, "Mã hồ sơ")


@pytest.mark.parametrize(("table", "column"), [
    ("dossiers", "dossier_id"), ("dossiers", "unit_id"), ("dossiers", "procedure_id"),
    ("dossiers", "channel"), ("dossiers", "received_at"), ("dossiers", "due_at"),
    ("units", "unit_id"), ("units", "level"), ("procedures", "procedure_id"),
    ("procedures", "online_level"),
])
def test_empty_value(tmp_path: Path, tables: dict[str, Table], table: str, column: str
                     ) -> None:
    set_cell(tables, table, 1, column, "  ")
    written = column.upper().replace("_", " ")  # problems name the header as written
    rename(tables, table, column, written)
    found = problems(write_folder(tmp_path, tables), "empty_value")
    assert [(p.file, p.row, p.column) for p in found] == [(f"{table}.csv", 3, written)]


def test_duplicate_id(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 1, "dossier_id", "H1")
    p = one(write_folder(tmp_path, tables), "duplicate_id", "dossiers.csv", 3, "dossier_id")
    assert "'H1'" in p.message and "row 2" in p.message


def test_duplicate_unit_and_procedure_ids(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "units", 2, "unit_id", "007")
    set_cell(tables, "procedures", 1, "procedure_id", "1.001600")
    found = problems(write_folder(tmp_path, tables), "duplicate_id")
    assert {(p.file, p.row, p.column) for p in found} == {
        ("units.csv", 4, "unit_id"), ("procedures.csv", 3, "procedure_id")}


def test_unknown_unit(tmp_path: Path, tables: dict[str, Table]) -> None:
    rename(tables, "dossiers", "unit_id", "DonViXuLy")
    set_cell(tables, "dossiers", 1, "unit_id", "P9")
    p = one(write_folder(tmp_path, tables), "unknown_unit", "dossiers.csv", 3, "DonViXuLy")
    assert "'P9'" in p.message and "units.csv" in p.message


def test_unknown_unit_everywhere(tmp_path: Path, tables: dict[str, Table]) -> None:
    tables = with_aggregates(tables)
    set_cell(tables, "aggregates", 0, "unit_id", "ZZ")
    tables["documents"] = (["document_id", "unit_id", "sent_at", "electronic",
                            "digitally_signed"], [["VB1", "YY", "2022-03-15", "1", "1"]])
    set_cell(tables, "units", 2, "parent_id", "XX")
    found = problems(write_folder(tmp_path, tables), "unknown_unit")
    assert {(p.file, p.row, p.column) for p in found} == {
        ("aggregates.csv", 2, "unit_id"), ("documents.csv", 2, "unit_id"),
        ("units.csv", 4, "parent_id")}


def test_unknown_procedure(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 0, "procedure_id", "1.0016")  # lost trailing zeros
    p = one(write_folder(tmp_path, tables), "unknown_procedure", "dossiers.csv", 2,
            "procedure_id")
    assert "'1.0016'" in p.message


def test_parent_cycle(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "units", 0, "parent_id", "007")  # Q6 → 007 → Q6
    found = problems(write_folder(tmp_path, tables), "parent_cycle")
    assert {(p.file, p.row, p.column) for p in found} >= {
        ("units.csv", 2, "parent_id"), ("units.csv", 3, "parent_id")}


@pytest.mark.parametrize("raw", ["31/02/2022", "2022-13-01", "14/03/22", "14/03/2022 25:00",
                                 "hôm qua", "14/03/0022"])
def test_bad_date(tmp_path: Path, tables: dict[str, Table], raw: str) -> None:
    rename(tables, "dossiers", "received_at", "NgayTiepNhan")
    set_cell(tables, "dossiers", 1, "received_at", raw)
    p = one(write_folder(tmp_path, tables), "bad_date", "dossiers.csv", 3, "NgayTiepNhan")
    assert repr(raw) in p.message


def test_resolved_before_received(tmp_path: Path, tables: dict[str, Table]) -> None:
    rename(tables, "dossiers", "resolved_at", "Ngày có kết quả")
    set_cell(tables, "dossiers", 0, "resolved_at", "09/01/2022")
    p = one(write_folder(tmp_path, tables), "resolved_before_received", "dossiers.csv", 2,
            "Ngày có kết quả")
    assert "09/01/2022" in p.message and "10/01/2022" in p.message


def test_unknown_channel(tmp_path: Path, tables: dict[str, Table]) -> None:
    rename(tables, "dossiers", "channel", "Hình thức nộp")
    set_cell(tables, "dossiers", 1, "channel", "Fax")
    p = one(write_folder(tmp_path, tables), "unknown_channel", "dossiers.csv", 3,
            "Hình thức nộp")
    assert "'Fax'" in p.message


def test_bad_boolean(tmp_path: Path, tables: dict[str, Table]) -> None:
    rename(tables, "dossiers", "apology_sent", "Thư xin lỗi")
    set_cell(tables, "dossiers", 1, "apology_sent", "có lẽ")
    p = one(write_folder(tmp_path, tables), "bad_boolean", "dossiers.csv", 3, "Thư xin lỗi")
    assert "'có lẽ'" in p.message


def test_unknown_level(tmp_path: Path, tables: dict[str, Table]) -> None:
    rename(tables, "units", "level", "Cấp")
    set_cell(tables, "units", 1, "level", "Trung ương")
    p = one(write_folder(tmp_path, tables), "unknown_level", "units.csv", 3, "Cấp")
    assert "'Trung ương'" in p.message


def test_unknown_online_level(tmp_path: Path, tables: dict[str, Table]) -> None:
    rename(tables, "procedures", "online_level", "MucDo")
    set_cell(tables, "procedures", 1, "online_level", "5")
    p = one(write_folder(tmp_path, tables), "unknown_online_level", "procedures.csv", 3, "MucDo")
    assert "'5'" in p.message


@pytest.mark.parametrize("raw", ["1.5", "abc", "3 hồ sơ"])
def test_bad_count(tmp_path: Path, tables: dict[str, Table], raw: str) -> None:
    tables = with_aggregates(tables)
    set_cell(tables, "aggregates", 0, "resolved_late", raw)
    p = one(write_folder(tmp_path, tables), "bad_count", "aggregates.csv", 2, "resolved_late")
    assert repr(raw) in p.message


def test_negative_count(tmp_path: Path, tables: dict[str, Table]) -> None:
    tables = with_aggregates(tables)
    set_cell(tables, "aggregates", 0, "apology_sent", "-1")
    p = one(write_folder(tmp_path, tables), "negative_count", "aggregates.csv", 2,
            "apology_sent")
    assert "'-1'" in p.message


@pytest.mark.parametrize("raw", ["1000000001", "99999999999999999999", "1e30"])
def test_count_too_large(tmp_path: Path, tables: dict[str, Table], raw: str) -> None:
    """A count beyond a billion is an error, never wrapped to a negative 64-bit figure."""
    tables = with_aggregates(tables)
    set_cell(tables, "aggregates", 0, "received_online", raw)
    p = one(write_folder(tmp_path, tables), "count_too_large", "aggregates.csv", 2,
            "received_online")
    assert p.message == f"count {raw!r} is beyond 1,000,000,000: no unit handles that many " \
                        "dossiers in a period"


def test_bad_period(tmp_path: Path, tables: dict[str, Table]) -> None:
    tables = with_aggregates(tables)
    set_cell(tables, "aggregates", 0, "period", "2022Q5")
    p = one(write_folder(tmp_path, tables), "bad_period", "aggregates.csv", 2, "period")
    assert "'2022Q5'" in p.message


def test_duplicate_period(tmp_path: Path, tables: dict[str, Table]) -> None:
    second = AGG_ROW[:]
    second[1] = "2022 q1"  # the same quarter, spelt differently
    tables = with_aggregates(tables, [AGG_ROW, second])
    p = one(write_folder(tmp_path, tables), "duplicate_period", "aggregates.csv", 3, "period")
    assert "row 2" in p.message


def test_form06_identity(tmp_path: Path, tables: dict[str, Table]) -> None:
    tables = with_aggregates(tables)
    set_cell(tables, "aggregates", 0, "carried_over", "4")
    p = one(write_folder(tmp_path, tables), "form06_identity", "aggregates.csv", 2, None)
    for part in ("received_online 10", "received_direct_or_postal 5", "carried_over 4",
                 "= 19", "resolved_early 3", "pending_overdue 1", "= 16", "≠"):
        assert part in p.message


@pytest.mark.parametrize(("column", "value"), [
    ("resolved_online", "14"), ("received_postal", "6"), ("apology_sent", "3"),
    ("returned_by_post", "14"),
])
def test_form06_bound(tmp_path: Path, tables: dict[str, Table], column: str, value: str
                      ) -> None:
    tables = with_aggregates(tables)
    set_cell(tables, "aggregates", 0, column, value)
    p = one(write_folder(tmp_path, tables), "form06_bound", "aggregates.csv", 2, column)
    assert f"{column} {value}" in p.message


# A1's 2022Q1 row (AGG_ROW) leaves 2 + 1 = 3 dossiers pending; rows of the next quarter that
# balance on their own, carrying over 3 (chained) or 0 (not).
AGG_Q2_CHAINED = ["A1", "2022Q2", "10", "5", "3", "3", "8", "2", "4", "1", "9", "2", "1", "2"]
AGG_Q2_UNCHAINED = ["A1", "2022Q2", "10", "5", "0", "3", "8", "2", "1", "1", "9", "2", "1", "2"]


def test_unchained_aggregates(tmp_path: Path, tables: dict[str, Table]) -> None:
    """A row whose carried_over is not what the unit's row for the period before left pending:
    a warning on the later row's carried_over, naming the earlier row and both values."""
    folder = write_folder(tmp_path, with_aggregates(tables, [AGG_ROW, AGG_Q2_UNCHAINED]))
    p = one(folder, "unchained_aggregates", "aggregates.csv", 3, "carried_over")
    assert p.severity == "warning"
    for part in ("unit 'A1'", "carried_over 0 in period '2022Q2'", "period '2022Q1'",
                 "(row 2: pending_in_time 2 + pending_overdue 1 = 3)"):
        assert part in p.message, p.message
    load_dataset(folder, today=TODAY)  # a warning: the rows load


@pytest.mark.parametrize(("rows", "warned"), [
    ([AGG_ROW, AGG_Q2_CHAINED], None),
    ([AGG_Q2_UNCHAINED, AGG_ROW], 2),  # file order does not matter
    ([AGG_ROW, [*AGG_Q2_UNCHAINED[:1], "quý II/2022", *AGG_Q2_UNCHAINED[2:]]], 3),
    ([AGG_ROW, [*AGG_Q2_UNCHAINED[:1], "2022Q3", *AGG_Q2_UNCHAINED[2:]]], None),  # a gap
    ([AGG_ROW, [*AGG_Q2_UNCHAINED[:1], "2022-04", *AGG_Q2_UNCHAINED[2:]]], None),  # a month
    ([[*AGG_ROW[:1], "2022-03", *AGG_ROW[2:]],  # month → month
      [*AGG_Q2_UNCHAINED[:1], "2022-04", *AGG_Q2_UNCHAINED[2:]]], 3),
    ([[*AGG_ROW[:1], "2021", *AGG_ROW[2:]],  # year → year
      [*AGG_Q2_UNCHAINED[:1], "năm 2022", *AGG_Q2_UNCHAINED[2:]]], 3),
    ([AGG_ROW, ["A2", *AGG_Q2_UNCHAINED[1:]]], None),  # another unit
])
def test_unchained_aggregates_only_between_consecutive_periods_of_one_granularity(
        tmp_path: Path, tables: dict[str, Table], rows: list[list[str]], warned: int | None
) -> None:
    tables = with_aggregates(tables, rows)
    header, unit_rows = tables["units"]
    tables["units"] = (header, [*unit_rows, ["A2", "UBND Phường 3", "phuong_xa", "xa", "Q6", ""]])
    found = [p for p in validate(write_folder(tmp_path, tables), today=TODAY)
             if p.rule == "unchained_aggregates"]
    assert [p.row for p in found] == ([] if warned is None else [warned]), found


def test_many_errors_in_one_exception(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 0, "channel", "Fax")
    set_cell(tables, "dossiers", 1, "received_at", "32/01/2022")
    set_cell(tables, "dossiers", 1, "unit_id", "P9")
    set_cell(tables, "units", 0, "level", "trung_uong")
    set_cell(tables, "procedures", 0, "online_level", "9")
    with pytest.raises(InputError) as err:
        load_dataset(write_folder(tmp_path, tables), today=TODAY)
    rules = {p.rule for p in err.value.problems}
    assert rules == {"unknown_channel", "bad_date", "unknown_unit", "unknown_level",
                     "unknown_online_level"}
    text = str(err.value)
    assert "dossiers.csv, row 2, column 'channel'" in text
    assert "units.csv, row 2, column 'level'" in text


@pytest.mark.parametrize("damage", ["no folder", "empty csv", "garbage xlsx", "utf16",
                                    "garbage parquet", "ragged csv", "header only"])
def test_load_dataset_raises_only_input_error(tmp_path: Path, tables: dict[str, Table],
                                              damage: str) -> None:
    folder = write_folder(tmp_path / "data", tables)
    if damage == "no folder":
        folder = tmp_path / "missing"
    elif damage == "empty csv":
        (folder / "units.csv").write_bytes(b"")
    elif damage == "garbage xlsx":
        (folder / "units.csv").unlink()
        (folder / "units.xlsx").write_bytes(b"PK\x03\x04garbage")
    elif damage == "utf16":
        (folder / "units.csv").write_text("unit_id,name\nA,B\n", encoding="utf-16")
    elif damage == "garbage parquet":
        (folder / "dossiers.csv").unlink()
        (folder / "dossiers.parquet").write_bytes(b"PAR1garbage")
    elif damage == "ragged csv":
        (folder / "procedures.csv").write_text('a,b\n1,2,3,4\n"unterminated\n', encoding="utf-8")
    elif damage == "header only":
        (folder / "units.csv").write_text("unit_id\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_dataset(folder, today=TODAY)
    assert err.value.problems
    assert all(p.severity == "error" for p in err.value.problems)
    assert all(isinstance(p, Problem) for p in validate(folder, today=TODAY))


# --------------------------------------------------------------------------------------
# Warnings: reported, never raised
# --------------------------------------------------------------------------------------


def warns(folder: Path, rule: str) -> list[Problem]:
    ds = load_dataset(folder, today=TODAY)  # must not raise
    found = [w for w in ds.warnings if w.rule == rule]
    assert found and all(w.severity == "warning" for w in found)
    return found


def test_due_before_received(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 1, "due_at", "2022-01-31")
    folder = write_folder(tmp_path, tables)
    warns(folder, "due_before_received")
    one(folder, "due_before_received", "dossiers.csv", 3, "due_at")


def test_dates_out_of_range(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 0, "received_at", "1999-12-31")
    set_cell(tables, "dossiers", 1, "received_at", "2023-01-02")  # after TODAY
    set_cell(tables, "dossiers", 1, "due_at", "2023-06-01")  # a future due date is normal
    folder = write_folder(tmp_path, tables)
    found = warns(folder, "date_out_of_range")
    assert {(p.file, p.row, p.column) for p in found} == {
        ("dossiers.csv", 2, "received_at"), ("dossiers.csv", 3, "received_at")}


def test_level_mismatch(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 1, "unit_id", "007")  # a xa procedure at a huyen unit
    folder = write_folder(tmp_path, tables)
    (p,) = warns(folder, "level_mismatch")
    assert (p.file, p.row, p.column) == ("dossiers.csv", 3, "procedure_id")
    assert "'007'" in p.message and "'2.000'" in p.message


def test_field_mismatch(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "units", 1, "fields", "Chứng thực")
    (p,) = warns(write_folder(tmp_path, tables), "field_mismatch")
    assert (p.file, p.row, p.column) == ("dossiers.csv", 2, "procedure_id")
    assert "'Hộ tịch'" in p.message


def test_unit_without_data(tmp_path: Path, tables: dict[str, Table]) -> None:
    _, rows = tables["units"]
    rows.append(["P5", "UBND Phường 5", "phuong_xa", "xa", "Q6", ""])
    (p,) = warns(write_folder(tmp_path, tables), "unit_without_data")
    assert (p.file, p.row, p.column) == ("units.csv", 5, "unit_id")


def test_dossier_aggregate_overlap(tmp_path: Path, tables: dict[str, Table]) -> None:
    tables = with_aggregates(tables)
    set_cell(tables, "aggregates", 0, "unit_id", "007")  # 007 has a dossier in January 2022
    (p,) = warns(write_folder(tmp_path, tables), "dossier_aggregate_overlap")
    assert (p.file, p.row, p.column) == ("aggregates.csv", 2, "period")
    assert "dossier data wins" in p.message


def test_no_overlap_for_other_periods(tmp_path: Path, tables: dict[str, Table]) -> None:
    row = AGG_ROW[:]
    row[0], row[1] = "007", "2021Q4"
    tables = with_aggregates(tables, [row])
    rules = {p.rule for p in validate(write_folder(tmp_path, tables), today=TODAY)}
    assert "dossier_aggregate_overlap" not in rules


def test_empty_table(tmp_path: Path, tables: dict[str, Table]) -> None:
    header, _ = tables["dossiers"]
    tables["dossiers"] = (header, [])
    folder = write_folder(tmp_path, tables)
    found = warns(folder, "empty_table")
    assert found[0].file == "dossiers.csv"


def test_late_without_apology_is_not_a_warning(tmp_path: Path, tables: dict[str, Table]
                                               ) -> None:
    set_cell(tables, "dossiers", 0, "resolved_at", "2022-01-25")  # after due 2022-01-20
    assert validate(write_folder(tmp_path, tables), today=TODAY) == []


def test_every_rule_is_tested_and_documented() -> None:
    source = "".join((Path(__file__).parent / name).read_text(encoding="utf-8")  # issue 9's
                     for name in ("test_data.py", "test_suspicious.py",  # suspicious values,
                                  "test_read_xlsx.py",  # workbooks
                                  "test_read_csv.py"))  # CSV and Parquet
    for rule in RULES:
        assert f'"{rule}"' in source or f"test_{rule}" in source, rule


def test_unit_changes_rules_are_tested_with_the_merger_fixture() -> None:
    source = (Path(__file__).parent / "test_unit_changes.py").read_text(encoding="utf-8")
    for rule in ("change_cycle", "change_into_former_unit", "activity_after_change"):
        assert f'"{rule}"' in source, rule


# --------------------------------------------------------------------------------------
# Corners
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["NULL", "null", "-", "#N/A"])
def test_null_markers_in_dates(tmp_path: Path, tables: dict[str, Table], marker: str) -> None:
    set_cell(tables, "dossiers", 0, "resolved_at", marker)
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert pd.isna(ds.dossiers["resolved_at"].iloc[0])


def test_null_marker_is_a_code_in_id_columns(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 0, "dossier_id", "NULL")
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert ds.dossiers["dossier_id"].iloc[0] == "NULL"


def test_duplicates_next_to_empty_ids(tmp_path: Path, tables: dict[str, Table]) -> None:
    _, rows = tables["dossiers"]
    rows.append(["", *rows[1][1:]])
    rows.append(["H1", *rows[1][1:]])
    found = validate(write_folder(tmp_path, tables), today=TODAY)
    assert {(p.rule, p.row) for p in found} == {("empty_value", 4), ("duplicate_id", 5)}


def test_parquet_native_types(tmp_path: Path, tables: dict[str, Table]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = write_folder(tmp_path, tables)
    (folder / "dossiers.csv").unlink()
    pq.write_table(pa.table({
        "dossier_id": pa.array([1, 2], pa.int64()),
        "unit_id": ["007", "P1"],
        "procedure_id": ["1.001600", "2.000"],
        "channel": pa.array([2.0, 3.0]),
        "received_at": pa.array([dt.date(2022, 3, 1)] * 2, pa.date32()),
        # 23:30 UTC is 06:30 the next day in Vietnam
        "due_at": pa.array([dt.datetime(2022, 3, 5, 23, 30)] * 2, pa.timestamp("us", tz="UTC")),
        "resolved_at": pa.array([None, dt.date(2022, 3, 2)], pa.date32()),
        "apology_sent": pa.array([True, None]),
    }), folder / "dossiers.parquet")
    ds = load_dataset(folder, today=TODAY)
    check_canonical(ds)
    d = ds.dossiers
    assert d["dossier_id"].tolist() == ["1", "2"]
    assert d["channel"].tolist() == ["truc_tuyen", "buu_chinh"]
    assert d["received_at"].tolist() == [pd.Timestamp("2022-03-01")] * 2
    assert d["due_at"].tolist() == [pd.Timestamp("2022-03-06")] * 2
    assert d["apology_sent"].tolist() == [True, False]
    (w,) = ds.warnings
    assert (w.rule, w.file, w.row, w.column) == ("numeric_code", "dossiers.parquet", None,
                                                 "dossier_id")


def test_error_summary_is_readable(tmp_path: Path, tables: dict[str, Table]) -> None:
    tables = with_aggregates(tables)
    set_cell(tables, "aggregates", 0, "carried_over", "4")
    with pytest.raises(InputError) as err:
        load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert str(err.value).startswith("error: aggregates.csv, row 2: Biểu 06 identity")


def test_readme_lists_every_rule_with_its_severity() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(\w+)` \| (error|warning) \|", readme, flags=re.M))
    assert listed == {rule: severity for rule, (severity, _) in RULES.items()}


def test_every_unfit_unit_procedure_pair_is_warned_once(tmp_path: Path) -> None:
    """The fit check judges (unit, procedure) pairs on one dossier each: with more procedures
    than units (as always), every pair must still be its own (a key collision once dropped
    pairs), and each warning lists all the rows of its pair."""
    units = "unit_id,name,kind,level\nA,Xã A,phuong_xa,xa\nB,Xã B,phuong_xa,xa\n"
    procs = "procedure_id,name,field,level,online_level\n" + "".join(
        f"P{i},Thủ tục {i},Hộ tịch,{'tinh' if i % 2 else 'xa'},3\n" for i in range(7))
    lines = [f"D{n},{u},P{i},truc_tiep,05/01/2022,10/01/2022,08/01/2022\n"
             for n, (u, i) in enumerate((u, i) for _ in range(3) for u in "AB" for i in range(7))]
    (tmp_path / "units.csv").write_text(units, encoding="utf-8")
    (tmp_path / "procedures.csv").write_text(procs, encoding="utf-8")
    (tmp_path / "dossiers.csv").write_text(
        "dossier_id,unit_id,procedure_id,channel,received_at,due_at,resolved_at\n"
        + "".join(lines), encoding="utf-8")
    found = [p for p in validate(tmp_path, today=dt.date(2023, 1, 1))
             if p.rule == "level_mismatch"]
    pairs = {re.search(r"unit '(\w)', procedure '(P\d)'", p.message).groups()  # type: ignore[union-attr]
             for p in found}
    assert pairs == {(u, f"P{i}") for u in "AB" for i in (1, 3, 5)}
    assert len(found) == 6 and all("(3 dossier(s): rows " in p.message for p in found)
