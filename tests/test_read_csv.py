"""The CSV and Parquet readers on damaged, foreign and oversized files (issue 9): every
problem names the file, the row as a spreadsheet shows it (records, not lines: a quoted
value may hold line breaks) and the column where it can be known; nothing crashes.

Files are tiny and written in tmp_path; the limits (``rules.MAX_*``) are lowered with
monkeypatch, since the readers look them up when they run.
"""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from briefkit import schema
from briefkit.data import rules
from briefkit.data.load import load_file
from briefkit.data.loaded import Loaded
from briefkit.data.raw import HEADER_SEARCH_ROWS, find_header
from briefkit.problems import Problem

TODAY = pd.Timestamp("2023-01-01")
UNITS_HEADER = "unit_id,name,kind,level"
DOSSIERS_HEADER = ("dossier_id,unit_id,procedure_id,channel,received_at,due_at,resolved_at,"
                   "returned_by_post,apology_sent,inter_agency")
D1 = "D1,TP,1.000001,truc_tuyen,05/01/2022,10/01/2022,08/01/2022,false,false,false"
D2 = "D2,TP,1.000001,truc_tiep,06/01/2022,10/01/2022,,false,false,false"


def load(path: Path, table: str) -> Loaded:
    return load_file(path, schema.TABLES[table], TODAY)


def errors(loaded: Loaded, rule: str | None = None) -> list[Problem]:
    return [p for p in loaded.problems
            if p.severity == "error" and (rule is None or p.rule == rule)]


def only(loaded: Loaded, rule: str, row: int | None, column: str | None) -> Problem:
    """The one error of the file, of ``rule``, at ``row`` and ``column``."""
    found = errors(loaded)
    assert len(found) == 1, found
    p = found[0]
    assert (p.rule, p.row, p.column) == (rule, row, column), p
    return p


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


# --------------------------------------------------------------------------------------
# CSV syntax
# --------------------------------------------------------------------------------------


def test_extra_field_names_the_spreadsheet_row(tmp_path: Path) -> None:
    bad = D2.replace("truc_tiep", "truc_tiep,x")
    path = write(tmp_path, "dossiers.csv", "\n".join([DOSSIERS_HEADER, D1, bad, D1]) + "\n")
    p = only(load(path, "dossiers"), "unreadable_file", 3, None)
    assert p.message.startswith("11 fields where the header has 10; a separator inside an "
                                "unquoted value?")
    assert str(p).startswith("dossiers.csv, row 3: 11 fields")


def test_rows_count_records_not_lines(tmp_path: Path) -> None:
    """A quoted name holding two line breaks is one spreadsheet row."""
    units = [UNITS_HEADER, 'TP,"Phòng\nTư\npháp",phong_ban,huyen', "P1,UBND,phuong_xa,xa",
             "P2,UBND,phuong_xa,xa,extra"]
    p = only(load(write(tmp_path, "units.csv", "\n".join(units) + "\n"), "units"),
             "unreadable_file", 4, None)
    assert p.message.startswith("5 fields where the header has 4")


def test_semicolon_file_names_its_separator(tmp_path: Path) -> None:
    text = "unit_id;name;kind;level\nTP;Phòng Tư pháp;phong_ban;huyen\nP1;A;B;xa;x\n"
    p = only(load(write(tmp_path, "units.csv", text), "units"), "unreadable_file", 3, None)
    assert "a value containing ';' must be in double quotes" in p.message


def test_unclosed_quote_names_where_it_opens(tmp_path: Path) -> None:
    units = [UNITS_HEADER, 'TP,"Phòng\nTư pháp",phong_ban,huyen', 'P1,UBND,"phuong_xa,xa',
             "P2,UBND,phuong_xa,xa"]
    p = only(load(write(tmp_path, "units.csv", "\n".join(units) + "\n"), "units"),
             "unreadable_file", 3, "kind")
    assert p.message == ("a quote opens in this cell and is never closed: the rest of the "
                         "file (2 lines) becomes this one cell; close the quote or remove it")


def test_unclosed_quote_swallowing_a_long_file_is_a_long_cell(tmp_path: Path) -> None:
    rows = [D1.replace("D1", f"D{i}") for i in range(3, 603)]
    text = "\n".join([DOSSIERS_HEADER, D1, D2.replace(",TP,", ',"TP,'), *rows]) + "\n"
    p = only(load(write(tmp_path, "dossiers.csv", text), "dossiers"), "cell_too_long", 3,
             "unit_id")
    assert "a quote opens in this cell and is never closed: the rest of the file (601 " \
           "lines) becomes one cell of 47,359 characters" in p.message
    assert "more than a spreadsheet cell holds (32,767)" in p.message


def test_value_beyond_the_csv_modules_limit_is_placed(tmp_path: Path) -> None:
    """A quote opening a value that only closes 200,000 characters later, in a file that
    pandas also refuses: the csv module gives up on that value; its start is named."""
    filler = "x" * 200_000
    text = (f'{UNITS_HEADER}\nTP,A,phong_ban,huyen\nP1,"B{filler}\nmore",phuong_xa,xa\n'
            "P2,C,phuong_xa,xa,extra\n")
    p = only(load(write(tmp_path, "units.csv", text), "units"), "cell_too_long", 3, "name")
    assert "starts here: a quote opens in it and is closed only much further, or never" \
        in p.message


def test_ragged_short_rows_are_not_syntax_errors(tmp_path: Path) -> None:
    text = f"{UNITS_HEADER},parent_id\nTP,A,phong_ban,huyen\n"
    loaded = load(write(tmp_path, "units.csv", text), "units")
    assert errors(loaded) == []
    assert loaded.frame["unit_id"].tolist() == ["TP"]


# --------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------


def test_windows_1258_byte_at_its_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    # "Phường" as Windows-1258 writes it: ư 0xFD, ơ 0xF5, then a combining grave 0xCC
    path.write_bytes(f"{UNITS_HEADER}\nTP,A,phong_ban,huyen\n".encode()
                     + b"P1,UBND Ph\xfd\xf5\xccng 1,phuong_xa,xa\n")
    p = only(load(path, "units"), "unreadable_file", 3, "name")
    assert p.message.startswith("not UTF-8 text: byte 55 (0xFD) cannot be read; it looks like "
                                "an ANSI export (Windows-1258 or Windows-1252)")
    assert "save it as 'CSV UTF-8 (Comma delimited)'" in p.message


def test_byte_offsets_count_the_bom_and_rows_the_quoted_breaks(tmp_path: Path) -> None:
    body = f'{UNITS_HEADER}\nTP,"Phòng\nTư pháp",phong_ban,huyen\nP1,"A",phuong_xa,x'
    data = b"\xef\xbb\xbf" + body.encode("utf-8") + b"\xe0\n"
    path = tmp_path / "units.csv"
    path.write_bytes(data)
    p = only(load(path, "units"), "unreadable_file", 3, "level")
    assert f"byte {len(data) - 2:,} (0xE0)" in p.message


def test_bad_byte_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(b"unit_id,T\xean,kind,level\nTP,A,phong_ban,huyen\n")
    p = only(load(path, "units"), "unreadable_file", 1, None)
    assert p.message.endswith("(in the header, field 2)")


def test_bad_byte_far_below_the_header(tmp_path: Path) -> None:
    """Below the first lines, pandas decodes (strictly); the byte is then placed as above."""
    rows = "".join(f"U{i},Đơn vị {i},phong_ban,huyen\n" for i in range(1_500))
    path = tmp_path / "units.csv"
    path.write_bytes(f"Báo cáo\n{UNITS_HEADER}\n{rows}".encode()
                     + b"P1,x,phuong_xa,Ph\xfd\xf5\xccng\n")
    p = only(load(path, "units"), "unreadable_file", 1_503, "level")
    assert "the file is otherwise UTF-8" in p.message


def test_syntax_error_far_below_the_header(tmp_path: Path) -> None:
    rows = "".join(f"U{i},\"Đơn vị\n{i}\",phong_ban,huyen\n" for i in range(1_500))
    text = f"Báo cáo\n{UNITS_HEADER}\n{rows}P1,x,phuong_xa,xa,x\n"
    p = only(load(write(tmp_path, "units.csv", text), "units"), "unreadable_file", 1_503, None)
    assert p.message.startswith("5 fields where the header has 4")


def test_tcvn3_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    # "Phòng Tư pháp", "Đăng ký" in TCVN3 (ABC): ò 0xDF, ư 0xAD, á 0xB8, Đ 0xA7, ă 0xA8, ý 0xFD
    path.write_bytes(b"unit_id,name,kind,level\nTP,Ph\xdfng T\xad ph\xb8p,phong_ban,huyen\n"
                     b"P1,\xa7\xa8ng k\xfd,phuong_xa,xa\n")
    p = only(load(path, "units"), "unreadable_file", 2, "name")
    assert "it looks like TCVN3 (ABC, the .Vn fonts)" in p.message
    assert "TCVN3 → Unicode" in p.message


def test_one_foreign_byte_in_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes("unit_id,name,kind,level\nTP,Phòng Tư pháp,phong_ban,huyen\n".encode()
                     + b"P1,UBND \xff" + "Phường 1,phuong_xa,xa\n".encode())
    p = only(load(path, "units"), "unreadable_file", 3, "name")
    assert "the file is otherwise UTF-8" in p.message


@pytest.mark.parametrize(("data", "expected"), [
    ("unit_id,name\nA,B\n".encode("utf-16"), "not UTF-8 text but UTF-16 (Excel's \"Unicode "
                                             "Text\", tab-separated)"),
    ("unit_id,name\nA,B\n".encode("utf-16-le"), "it holds NUL bytes (UTF-16 without a byte "
                                                "order mark, or not a text file)"),
    (b"PK\x03\x04\x14\x00garbage", "not a CSV file but a zip archive, probably an Excel "
                                   "workbook named .csv: rename it .xlsx"),
])
def test_whole_file_encodings(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(data)
    assert expected in only(load(path, "units"), "unreadable_file", None, None).message


# --------------------------------------------------------------------------------------
# The header below a title
# --------------------------------------------------------------------------------------


def test_title_row_above_the_header(tmp_path: Path) -> None:
    bad = D2.replace("truc_tiep", "bồ câu")
    text = "\n".join(["BÁO CÁO HỒ SƠ QUÝ 1/2022", "", DOSSIERS_HEADER, D1, bad]) + "\n"
    loaded = load(write(tmp_path, "dossiers.csv", text), "dossiers")
    assert loaded.header_row == 3
    assert loaded.rows.tolist() == [4, 5]
    only(loaded, "unknown_channel", 5, "channel")


def test_title_padded_by_excel_and_semicolons(tmp_path: Path) -> None:
    """Excel pads a title row with separators; the header's separator is found by trying."""
    text = ("DANH SÁCH ĐƠN VỊ;;;\n;;;\nNgày xuất: 01/04/2022;;;\n"
            "Mã đơn vị;Tên đơn vị;Loại đơn vị;Cấp\nTP;Phòng Tư pháp;phong_ban;huyen\n"
            "P1;UBND Phường 1;phuong_xa;tỉnh lẻ\n")
    loaded = load(write(tmp_path, "units.csv", text), "units")
    assert (loaded.header_row, loaded.rows.tolist()) == (4, [5, 6])
    only(loaded, "unknown_level", 6, "Cấp")


def test_header_after_a_quoted_multiline_title(tmp_path: Path) -> None:
    text = f'"BÁO CÁO\nQUÝ 1/2022"\n{UNITS_HEADER}\nTP,A,phong_ban,huyen\nP1,B,x,quan\n'
    loaded = load(write(tmp_path, "units.csv", text), "units")
    assert loaded.header_row == 2
    only(loaded, "unknown_level", 4, "level")


def test_no_header_row_reports_the_first_filled_row(tmp_path: Path) -> None:
    text = "\n\nma;ten\nTP;A\n"
    loaded = load(write(tmp_path, "units.csv", text), "units")
    missing = errors(loaded, "missing_column")
    assert {(p.row, p.column) for p in missing} == {
        (3, "unit_id"), (3, "name"), (3, "kind"), (3, "level")}


def test_blank_rows_only(tmp_path: Path) -> None:
    text = "\n" * (HEADER_SEARCH_ROWS + 2) + f"{UNITS_HEADER}\n"
    assert "no header row found" in only(load(write(tmp_path, "units.csv", text), "units"),
                                         "unreadable_file", None, None).message


def test_header_only_file(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, "units.csv", UNITS_HEADER), "units")
    assert errors(loaded) == [] and len(loaded.frame) == 0


def test_find_header_is_shared() -> None:
    table = schema.TABLES["units"]
    rows = [("BÁO CÁO",), (), ("Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Cấp", None)]
    assert find_header(rows, table) == (
        3, ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Cấp", ""], 4)
    assert find_header(rows[:2], table) is None
    typo = [("Cấp",), ("Mã đơn vị", "Tên đv", "Loại đơn vị", "Cấp"), ("Mã đơn vị",)]
    assert find_header(typo, table) == (2, ["Mã đơn vị", "Tên đv", "Loại đơn vị", "Cấp"], 3)


def test_header_with_a_typo_below_a_title(tmp_path: Path) -> None:
    """The row holding most required columns is the header: its missing one is reported
    there, not every column at the title."""
    text = "BÁO CÁO\nunit_id,Tên đv,kind,level\nTP,A,phong_ban,huyen\n"
    loaded = load(write(tmp_path, "units.csv", text), "units")
    only(loaded, "missing_column", 2, "name")
    assert loaded.rows.tolist() == [3]


# --------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------


def test_too_many_lines_refused_before_parsing(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_ROWS", 3)
    path = write(tmp_path, "dossiers.csv", "\n".join([DOSSIERS_HEADER] + [D1] * 4) + "\n")
    p = only(load(path, "dossiers"), "file_too_large", None, None)
    assert p.message.startswith("5 lines, more than a header and the 3 records a file may hold")


def test_record_count_beyond_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Old Mac line ends (a lone CR) escape the newline count: records are counted too."""
    monkeypatch.setattr(rules, "MAX_ROWS", 2)
    text = "\r".join(["Báo cáo", UNITS_HEADER, "TP,A,phong_ban,huyen", "P1,B,phuong_xa,xa",
                      "P2,C,phuong_xa,xa"]) + "\r"
    p = only(load(write(tmp_path, "units.csv", text), "units"), "file_too_large", 5, None)
    assert p.message == "3 records, more than the 2 a file may hold: split it (e.g. one file " \
                        "per year)"
    monkeypatch.setattr(rules, "MAX_ROWS", 3)
    loaded = load(write(tmp_path, "units.csv", text), "units")
    assert errors(loaded) == [] and loaded.rows.tolist() == [3, 4, 5]


def test_too_many_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_COLUMNS", 5)
    text = f"Báo cáo\n{UNITS_HEADER},a,b,c\nTP,A,phong_ban,huyen,,,\n"
    p = only(load(write(tmp_path, "units.csv", text), "units"), "file_too_large", 2, "b")
    assert p.message == "7 columns, more than the 5 a spreadsheet holds (the first beyond " \
                        "the limit is column 6)"


def test_cell_too_long(tmp_path: Path) -> None:
    long_name = "Phòng " * 6_000  # 36,000 characters
    text = f"{UNITS_HEADER}\nTP,A,phong_ban,huyen\nP1,{long_name},phuong_xa,xa\n"
    p = only(load(write(tmp_path, "units.csv", text), "units"), "cell_too_long", 3, "name")
    assert p.message == "a cell of 36,000 characters, more than a spreadsheet cell holds (32,767)"


def test_quote_closed_much_later_makes_a_long_cell(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_CELL_CHARS", 100)
    rows = [f"U{i},Đơn vị {i},phong_ban,huyen" for i in range(10)]
    text = "\n".join([UNITS_HEADER, 'TP,"Phòng Tư pháp,phong_ban,huyen', *rows,
                      'P9,B",phuong_xa,xa']) + "\n"
    found = errors(load(write(tmp_path, "units.csv", text), "units"), "cell_too_long")
    assert [(p.row, p.column) for p in found] == [(2, "name")]
    assert "it spans 12 lines: a quote that opens in this cell and is closed only much " \
           "further (or never)?" in found[0].message


def test_unmapped_long_cells_are_not_checked(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_CELL_CHARS", 10)
    text = f"{UNITS_HEADER},ghi_chu\nTP,A,phong_ban,huyen,{'x' * 50}\n"
    assert errors(load(write(tmp_path, "units.csv", text), "units")) == []


# --------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------


def dossiers_parquet(tmp_path: Path, **columns: pa.Array) -> Path:
    """Two dossiers as Parquet, with some columns replaced."""
    frame = pd.DataFrame([D1.split(","), D2.split(",")], columns=DOSSIERS_HEADER.split(","))
    frame["resolved_at"] = frame["resolved_at"].replace("", None)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name, array in columns.items():
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, array)
        else:
            table = table.append_column(name, array)
    path = tmp_path / "dossiers.parquet"
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize(("array", "shown"), [
    (pa.array([20220105, 20220106], pa.int64()), "int64 (e.g. 20220105)"),
    (pa.array([18997, 18998], pa.int32()), "int32 (e.g. 18997)"),
    (pa.array([1641340800000, None], pa.int64()), "int64 (e.g. 1641340800000)"),
    (pa.array([44566.0, 44567.5]), "double (e.g. 44566.0)"),
    (pa.array([decimal.Decimal("20220105"), None], pa.decimal128(10, 0)),
     "decimal128(10, 0) (e.g. Decimal('20220105'))"),
])
def test_parquet_numbers_are_never_dates(tmp_path: Path, array: pa.Array, shown: str) -> None:
    loaded = load(dossiers_parquet(tmp_path, received_at=array), "dossiers")
    p = only(loaded, "unsupported_type", None, "received_at")
    assert p.message == (
        f"column 'received_at' is stored as {shown}, not a date type: store dates as a "
        "Parquet date or timestamp (pandas datetime64), or as text such as 2022-01-05 or "
        "05/01/2022; numbers are not read as dates (20220105, days or milliseconds since "
        "1970, an Excel serial: each would be a guess)")


@pytest.mark.parametrize(("column", "array", "shown"), [
    ("unit_id", pa.array([["TP"], ["TP"]]), "list<element: string> (e.g. ['TP'])"),
    ("due_at", pa.array([{"d": "10/01/2022"}, None]), "struct<d: string>"),
    ("dossier_id", pa.array([b"D1", b"D2"]), "binary (e.g. b'D1')"),
    ("due_at", pa.array([dt.time(8), None]), "time64[us] (e.g. datetime.time(8, 0))"),
])
def test_parquet_unsupported_types_name_their_column(tmp_path: Path, column: str,
                                                     array: pa.Array, shown: str) -> None:
    loaded = load(dossiers_parquet(tmp_path, **{column: array}), "dossiers")
    p = only(loaded, "unsupported_type", None, column)
    assert p.message.startswith(f"column {column!r} is stored as {shown}")


def test_parquet_unused_nested_columns_are_not_read(tmp_path: Path) -> None:
    path = dossiers_parquet(tmp_path, attachments=pa.array([[{"a": 1}], None]))
    assert errors(load(path, "dossiers")) == []


def test_parquet_native_and_encoded_types(tmp_path: Path) -> None:
    received = pa.array([dt.date(2022, 1, 5), dt.date(2022, 1, 6)], pa.date32())
    # 2022-01-09 20:00 UTC is already the 10th in Hanoi (UTC+7)
    due = pa.array([dt.datetime(2022, 1, 9, 20), dt.datetime(2022, 1, 10, 1)],
                   pa.timestamp("ms", tz="UTC"))
    unit = pa.array(["TP", "TP"]).dictionary_encode()
    channel = pa.array(["truc_tuyen", "truc_tiep"]).dictionary_encode()
    procedure = pa.array([decimal.Decimal("1.001600"), decimal.Decimal("1.000001")],
                         pa.decimal128(10, 6))
    apology = pa.array([True, None])
    loaded = load(dossiers_parquet(tmp_path, received_at=received, due_at=due, unit_id=unit,
                                   channel=channel, procedure_id=procedure,
                                   apology_sent=apology, resolved_at=pa.nulls(2)), "dossiers")
    assert errors(loaded) == []
    frame = loaded.frame
    assert frame["received_at"].tolist() == [pd.Timestamp("2022-01-05"), pd.Timestamp("2022-01-06")]
    assert frame["due_at"].tolist() == [pd.Timestamp("2022-01-10"), pd.Timestamp("2022-01-10")]
    assert frame["resolved_at"].isna().all()
    assert frame["unit_id"].tolist() == ["TP", "TP"]
    assert frame["channel"].tolist() == ["truc_tuyen", "truc_tiep"]
    assert frame["procedure_id"].tolist() == ["1.001600", "1.000001"]
    assert frame["apology_sent"].tolist() == [True, False]
    assert [p.column for p in loaded.problems if p.rule == "numeric_code"] == ["procedure_id"]


def test_parquet_all_null_required_dates(tmp_path: Path) -> None:
    loaded = load(dossiers_parquet(tmp_path, received_at=pa.nulls(2)), "dossiers")
    assert [(p.rule, p.row, p.column) for p in errors(loaded)] == [
        ("empty_value", 1, "received_at"), ("empty_value", 2, "received_at")]


def test_parquet_integer_codes_with_nulls_keep_every_digit(tmp_path: Path) -> None:
    loaded = load(dossiers_parquet(tmp_path, dossier_id=pa.array([12345678901234567, None])),
                  "dossiers")
    assert loaded.frame["dossier_id"].tolist()[0] == "12345678901234567"
    only(loaded, "empty_value", 2, "dossier_id")


def test_parquet_huge_float_code_is_text(tmp_path: Path) -> None:
    loaded = load(dossiers_parquet(tmp_path, dossier_id=pa.array([1e30, 2.0])), "dossiers")
    assert errors(loaded) == []
    assert loaded.frame["dossier_id"].tolist() == ["1000000000000000019884624838656", "2"]


def test_parquet_timestamp_outside_the_range_is_a_bad_date(tmp_path: Path) -> None:
    resolved = pa.array([dt.datetime(1, 1, 1), None], pa.timestamp("us"))
    p = only(load(dossiers_parquet(tmp_path, resolved_at=resolved), "dossiers"), "bad_date",
             1, "resolved_at")
    assert "'0001-01-01 00:00:00'" in p.message


def test_parquet_limits_from_the_metadata(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = dossiers_parquet(tmp_path)
    monkeypatch.setattr(rules, "MAX_ROWS", 1)
    p = only(load(path, "dossiers"), "file_too_large", 2, None)
    assert p.message == "2 records, more than the 1 a file may hold: split it (e.g. one file " \
                        "per year)"
    monkeypatch.setattr(rules, "MAX_ROWS", 10)
    monkeypatch.setattr(rules, "MAX_COLUMNS", 4)
    only(load(path, "dossiers"), "file_too_large", None, "received_at")


def test_parquet_long_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_CELL_CHARS", 10)
    loaded = load(dossiers_parquet(tmp_path, unit_id=pa.array(["TP", "TP-123456789"])),
                  "dossiers")
    assert [(p.rule, p.row, p.column) for p in errors(loaded, "cell_too_long")] == [
        ("cell_too_long", 2, "unit_id")]


def test_rows_are_int64(tmp_path: Path) -> None:
    path = write(tmp_path, "units.csv", f"{UNITS_HEADER}\nTP,A,phong_ban,huyen\n")
    assert load(path, "units").rows.dtype == np.int64


# ---------------------------------------------------------------- Arrow's reader and pandas'

_BODIES = {
    "plain": "D1,TP,1.000001,truc_tuyen,05/01/2022,10/01/2022,08/01/2022,False,False,False\n",
    "crlf and no final newline": "D1,TP,1.000001,truc_tuyen,05/01/2022,10/01/2022,,x,,\r\n"
                                 "D2,007,1.000002,Trực tiếp,2022-01-05 08:30,,,có,không,",
    "quoted separators, quotes and line breaks": '"D,1",TP,1.000001,"truc ""tuyen""",'
                                                 '05/01/2022,,"08/01/2022\n",,,\n',
    "spaces kept, empty cells": " D1 , TP ,1.000001,  ,05/01/2022,,,,,\n,,,,,,,,,\n",
    "a quote inside an unquoted value": 'D1,T"P,1.000001,truc_tuyen,05/01/2022,,,,,\n',
    "decomposed Vietnamese": "D1,TP,1.000001,Trực tuyến,05/01/2022,,,,,\n",
    "a blank line (kept: rows stay rows)": "D1,TP,1.000001,a,05/01/2022,,,,,\n\nD2,TP,1,a,b,,,,,\n",
    "a short record (pandas fills it)": "D1,TP,1.000001,a,05/01/2022\nD2,TP,1,a,b,,,,,\n",
}


@pytest.mark.parametrize("body", list(_BODIES))
def test_arrow_and_pandas_read_the_same_columns(tmp_path: Path, body: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The Arrow fast path gives exactly what the pandas path gives, or steps aside."""
    from briefkit.data import read_csv as reader

    header = ("dossier_id,unit_id,procedure_id,channel,received_at,due_at,resolved_at,"
              "returned_by_post,apology_sent,inter_agency\n")
    path = tmp_path / "dossiers.csv"
    path.write_bytes((header + _BODIES[body]).encode("utf-8"))
    table = schema.TABLES["dossiers"]
    answers: list[object] = []
    arrow = reader._read_arrow
    monkeypatch.setattr(reader, "_read_arrow", lambda *args: answers.append(arrow(*args))
                        or answers[-1])
    fast = reader.read_csv(path, table)
    assert (answers[0] is None) == body.startswith("a short")  # who read it
    monkeypatch.setattr(reader, "_read_arrow", lambda *args: None)
    slow = reader.read_csv(path, table)
    assert fast.rows.tolist() == slow.rows.tolist()
    assert fast.columns.keys() == slow.columns.keys()
    coded = {fast.header[pos] for pos in fast.columns
             if isinstance(fast.columns[pos].dtype, pd.CategoricalDtype)}
    if answers[0] is not None:  # Arrow reads codes, vocabularies and yes/no as dictionaries
        assert coded == {"unit_id", "procedure_id", "channel", "returned_by_post",
                         "apology_sent", "inter_agency"}
    for pos in fast.columns:
        pd.testing.assert_series_equal(fast.columns[pos].astype("str"),
                                       slow.columns[pos].astype("str"), check_names=False)
    # and the loader makes the same frame and problems of either
    today = pd.Timestamp(2026, 1, 1)
    monkeypatch.setattr(reader, "_read_arrow", arrow)
    by_arrow = load_file(path, table, today)
    monkeypatch.setattr(reader, "_read_arrow", lambda *args: None)
    by_pandas = load_file(path, table, today)
    pd.testing.assert_frame_equal(by_arrow.frame, by_pandas.frame)
    assert by_arrow.problems == by_pandas.problems


def test_a_file_changed_while_read_is_refused(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The header is read from the bytes in memory, the body streamed from the file again
    (so a large export is not held twice): a file that changed in between is refused rather
    than read half old, half new."""
    from briefkit.data import read_csv as reader

    path = write(tmp_path, "units.csv", f"{UNITS_HEADER}\nTP,A,phong_ban,huyen\n")
    stamps = iter([(1, 1), (2, 2)])
    monkeypatch.setattr(reader, "_stamp", lambda _path: next(stamps))
    loaded = load(path, "units")
    assert [p.message for p in loaded.problems if p.severity == "error"] == [
        "the file changed while it was being read (is another program still writing it?): "
        "run again once it is complete"]
