"""The fast workbook reader (python-calamine and a scan of the sheet's XML,
:mod:`briefkit.data.xlsx_cells`) against openpyxl's (issue 10): the same records, row
numbers, sheets, values and problems, or the same error, on every workbook:

* the workbooks of the corpus (``tests/bad_inputs/build_xlsx.py``; those of
  ``tests/test_read_xlsx.py`` are compared there, test by test);
* workbooks written by hand as XML, each with one thing calamine reads otherwise than
  openpyxl (a text not preserved, an escape, an error, an empty text, a date, a number in a
  format...) or one thing the scan refuses (openpyxl then reads the sheet);
* workbooks Hypothesis writes with openpyxl: codes as numbers in formats (``000``, ``0``,
  ``General``, ``@``), dates as date cells, numbers and texts, booleans, errors, formulas,
  empty cells, rows absent from the file, merged cells, several sheets, hidden ones, the 1904
  date system, with and without a stored dimension.

And the common office export (text or General-format numeric codes, dates as date cells)
does take the fast path: openpyxl's record loop is not called.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

import briefkit.data.read_xlsx as reader
from briefkit import schema
from briefkit.data import rules, xlsx_cells
from briefkit.data.raw import Raw
from briefkit.data.read_xlsx import read_xlsx
from tests import kpi_fixture
from tests.bad_inputs import build_xlsx

#: openpyxl warns of a date cell beyond the dates (the generated ones are many)
pytestmark = pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")

DOSSIERS = schema.TABLES["dossiers"]
AGGREGATES = schema.TABLES["aggregates"]
HEADER = [c.name for c in DOSSIERS.columns]


# --------------------------------------------------------------------------------------
# Comparing the two readers
# --------------------------------------------------------------------------------------


def outcome(path: Path, table: schema.Table, fast: bool) -> Raw | Exception:
    try:
        return read_xlsx(path, table, fast=fast)
    except Exception as exc:  # the same error is the expected outcome then
        return exc


def assert_same(path: Path, table: schema.Table = DOSSIERS) -> Raw | Exception:
    """Both readers give the same Raw (or raise the same error); the fast one's outcome."""
    fast, slow = outcome(path, table, True), outcome(path, table, False)
    if isinstance(slow, Exception) or isinstance(fast, Exception):
        assert type(fast) is type(slow), (fast, slow)
        assert str(fast) == str(slow)
        assert vars(fast) == vars(slow)
        return fast
    assert (fast.header, fast.header_row, fast.positions) == \
        (slow.header, slow.header_row, slow.positions)
    assert fast.rows.dtype == slow.rows.dtype and fast.rows.tolist() == slow.rows.tolist()
    assert fast.columns.keys() == slow.columns.keys()
    for pos, column in slow.columns.items():
        pd.testing.assert_series_equal(fast.columns[pos], column)
        assert [v if isinstance(v, str) else None for v in fast.columns[pos]] == \
            [v if isinstance(v, str) else None for v in column]
    assert fast.problems == slow.problems
    if slow.sheets is None:
        assert fast.sheets is None
    else:
        assert fast.sheets is not None and fast.sheets.tolist() == slow.sheets.tolist()
    return fast


@pytest.fixture
def fast_only(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path, schema.Table], Raw]:
    """Read a workbook that must take the fast path: openpyxl's record loop fails the test."""

    def refuse(*args: Any) -> Any:
        raise AssertionError("openpyxl's record loop was called")

    def read(path: Path, table: schema.Table = DOSSIERS) -> Raw:
        expected = read_xlsx(path, table, fast=False)
        monkeypatch.setattr(reader, "_read_records", refuse)
        try:
            got = assert_same_raw(read_xlsx(path, table), expected)
        finally:
            monkeypatch.undo()
        return got

    return read


def assert_same_raw(fast: Raw, slow: Raw) -> Raw:
    assert (fast.header, fast.header_row, fast.positions, fast.rows.tolist(), fast.problems) \
        == (slow.header, slow.header_row, slow.positions, slow.rows.tolist(), slow.problems)
    for pos, column in slow.columns.items():
        pd.testing.assert_series_equal(fast.columns[pos], column)
    return fast


# --------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------

BUILDERS = [name for name in dir(build_xlsx) if not name.startswith("_")
            and name not in ("take_csv",) and callable(getattr(build_xlsx, name))
            and getattr(getattr(build_xlsx, name), "__module__", "") == build_xlsx.__name__]


@pytest.mark.parametrize("builder", BUILDERS)
def test_corpus_workbooks_read_the_same(builder: str, tmp_path: Path) -> None:
    data = kpi_fixture.write_folder(tmp_path / "data")
    getattr(build_xlsx, builder)(data)
    books = sorted(data.glob("*.xlsx"))
    assert books
    for path in books:
        assert_same(path, schema.TABLES[path.stem])


def test_the_fixture_as_workbooks(tmp_path: Path,
                                  fast_only: Callable[[Path, schema.Table], Raw]) -> None:
    """Every fixture table written as a workbook of texts (a CSV opened and saved)."""
    data = kpi_fixture.write_folder(tmp_path / "data")
    for source in sorted(data.glob("*.csv")):
        header, rows = build_xlsx.take_csv(data, source.stem)
        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        for row in [header, *rows]:
            ws.append([v if v != "" else None for v in row])
        path = data / f"{source.stem}.xlsx"
        wb.save(path)
        fast_only(path, schema.TABLES[source.stem])


# --------------------------------------------------------------------------------------
# The common office export takes the fast path
# --------------------------------------------------------------------------------------


def export(path: Path, records: Sequence[Sequence[Any]], formats: dict[int, str] | None = None,
           write_only: bool = False, epoch: dt.datetime = WINDOWS_EPOCH) -> Path:
    """A dossiers workbook: the canonical header, then ``records`` (number formats by
    0-based column; dates get openpyxl's date format)."""
    wb = openpyxl.Workbook(write_only=write_only)
    wb.epoch = epoch
    ws = wb.create_sheet("Hồ sơ") if write_only else wb.active
    assert ws is not None
    ws.append(HEADER)
    for record in records:
        if write_only or not formats:
            ws.append(list(record))
            continue
        ws.append(list(record))
        for col, fmt in formats.items():
            ws.cell(ws.max_row, col + 1).number_format = fmt
    wb.save(path)
    return path


def record(n: int, code: Any = None) -> list[Any]:
    received = dt.datetime(2023, 1, 1, 8, 30) + dt.timedelta(days=n, minutes=7 * n)
    return [code if code is not None else f"H67-{n:05d}", f"{n % 7:03d}", "1.000001",
            "truc_tuyen" if n % 2 else "truc_tiep", received, received.date(),
            received + dt.timedelta(days=3, hours=2) if n % 3 else None,
            n % 2 == 0, n % 5 == 0, None]


def test_text_codes_and_date_cells(tmp_path: Path,
                                   fast_only: Callable[[Path, schema.Table], Raw]) -> None:
    raw = fast_only(export(tmp_path / "d.xlsx", [record(n) for n in range(50)]))
    assert raw.columns[4].iloc[0] == "2023-01-01 08:30:00"
    assert raw.columns[5].iloc[1] == "2023-01-02 00:00:00"  # a date cell: a datetime
    assert raw.columns[7].iloc[0] == "true"


def test_without_a_stored_dimension(tmp_path: Path,
                                    fast_only: Callable[[Path, schema.Table], Raw]) -> None:
    """openpyxl's write-only mode stores no dimension (openpyxl parses such a sheet whole
    when it opens it; the fast path checks it with expat alone)."""
    path = export(tmp_path / "d.xlsx", [record(n) for n in range(50)], write_only=True)
    assert b"<dimension" not in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    fast_only(path)


def test_numeric_codes_in_general_format(tmp_path: Path,
                                         fast_only: Callable[[Path, schema.Table], Raw]
                                         ) -> None:
    raw = fast_only(export(tmp_path / "d.xlsx", [record(n, code=1000 + n) for n in range(9)]))
    (warning,) = [p for p in raw.problems if p.rule == "numeric_code"]
    assert "(9 cells, first in row 2: 1000 read as '1000' using number format 'General')" in \
        warning.message


def test_numeric_codes_in_a_zero_format(tmp_path: Path,
                                        fast_only: Callable[[Path, schema.Table], Raw]) -> None:
    raw = fast_only(export(tmp_path / "d.xlsx", [record(n, code=n) for n in range(9)],
                           formats={0: "000000"}))
    assert raw.columns[0].tolist()[:3] == ["000000", "000001", "000002"]
    assert "read as '000000' using number format '000000'" in raw.problems[0].message


def test_the_1904_date_system(tmp_path: Path,
                              fast_only: Callable[[Path, schema.Table], Raw]) -> None:
    raw = fast_only(export(tmp_path / "d.xlsx", [record(n) for n in range(9)], epoch=MAC_EPOCH))
    assert raw.columns[4].iloc[0] == "2023-01-01 08:30:00"


def test_an_excel_like_export(tmp_path: Path,
                              fast_only: Callable[[Path, schema.Table], Raw]) -> None:
    """Shared texts (Excel's way), a stored dimension, built-in date formats."""
    strings = [*HEADER, "H67-1", "TP", "1.000001", "truc_tuyen", "Phòng Tư pháp "]
    header = "".join(f'<c r="{col(i)}1" t="s"><v>{i}</v></c>' for i in range(len(HEADER)))
    rows = [f'<row r="1" spans="1:10">{header}</row>']
    for r in range(2, 12):
        rows.append(
            f'<row r="{r}" spans="1:10"><c r="A{r}" t="s"><v>10</v></c>'
            f'<c r="B{r}" s="0" t="s"><v>{11 if r % 2 else 14}</v></c>'
            f'<c r="C{r}" t="s"><v>12</v></c>'
            f'<c r="D{r}" t="s"><v>13</v></c><c r="E{r}" s="2"><v>{45000 + r}.3958333333</v></c>'
            f'<c r="F{r}" s="1"><v>{45003 + r}</v></c><c r="G{r}" s="2"/>'
            f'<c r="H{r}" t="b"><v>{r % 2}</v></c></row>')
    path = raw_book(tmp_path / "d.xlsx", "".join(rows), fmts=[14, 22],
                    strings=[f'<si><t xml:space="preserve">{s}</t></si>' for s in strings],
                    dimension="A1:J11")
    raw = fast_only(path)
    assert raw.columns[1].iloc[0] == "Phòng Tư pháp "
    assert raw.columns[4].iloc[0] == "2023-03-17 09:30:00"


# --------------------------------------------------------------------------------------
# Workbooks written by hand as XML
# --------------------------------------------------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><workbookPr{pr}/><sheets><sheet name="Hồ sơ" sheetId="1" r:id="rId1"/>'
    '</sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="'
    'worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>')
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def col(i: int) -> str:
    return openpyxl.utils.get_column_letter(i + 1)


def styles(fmts: Sequence[int | str]) -> str:
    """A style sheet whose cell style i + 1 has number format ``fmts[i]`` (a built-in id or
    a format code); style 0 is General."""
    custom: list[tuple[int, str]] = []
    ids = []
    for f in fmts:
        if isinstance(f, int):
            ids.append(f)
        else:
            custom.append((164 + len(custom), f))
            ids.append(custom[-1][0])
    codes = "".join(f'<numFmt numFmtId="{i}" formatCode="{escape(f)}"/>' for i, f in custom)
    xfs = "".join(f'<xf numFmtId="{i}" fontId="0" fillId="0" borderId="0" xfId="0" '
                  'applyNumberFormat="1"/>' for i in ids)
    return (f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">'
            f'<numFmts count="{len(custom)}">{codes}</numFmts><fonts count="1"><font/></fonts>'
            '<fills count="1"><fill><patternFill/></fill></fills><borders count="1"><border/>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            f'borderId="0"/></cellStyleXfs><cellXfs count="{len(ids) + 1}"><xf numFmtId="0" '
            f'fontId="0" fillId="0" borderId="0" xfId="0"/>{xfs}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            '</cellStyles></styleSheet>')


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def raw_book(path: Path, sheet_data: str, *, fmts: Sequence[int | str] = (),
             strings: Sequence[str] = (), date1904: bool = False, dimension: str | None = None,
             after: str = "", head: str | None = None) -> Path:
    """A workbook of one sheet ("Hồ sơ") with ``sheet_data`` (rows), shared texts
    ``strings`` (``<si>`` elements) and cell styles (see :func:`styles`)."""
    stored = f'<dimension ref="{dimension}"/>' if dimension else ""
    opening = head if head is not None else \
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
    sheet = f"{opening}{stored}<sheetData>{sheet_data}</sheetData>{after}</worksheet>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK.format(pr=' date1904="1"' if date1904 else ""))
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/styles.xml", styles(fmts))
        z.writestr("xl/sharedStrings.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'
                   + "".join(strings) + "</sst>")
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def header_row(r: int = 1) -> str:
    return f'<row r="{r}">' + "".join(
        f'<c r="{col(i)}{r}" t="inlineStr"><is><t>{h}</t></is></c>'
        for i, h in enumerate(HEADER)) + "</row>"


def text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def plain_row(r: int, *cells: str) -> str:
    """A record: id, unit, procedure, channel as plain texts, then ``cells``."""
    return (f'<row r="{r}">{text(f"A{r}", f"D{r}")}{text(f"B{r}", "TP")}'
            f'{text(f"C{r}", "1.000001")}{text(f"D{r}", "truc_tuyen")}{"".join(cells)}</row>')


#: (sheet data after the header, keyword arguments of raw_book); each one thing
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "text not preserved with spaces": (plain_row(2, text("E2", " 05/01/2022 ")), {}),
    "text with an entity space": (plain_row(2, text("E2", "&#32;05/01/2022")), {}),
    "text ending with an entity": (plain_row(2, text("E2", "05/01/2022&#10;")), {}),
    "text preserved with spaces": (plain_row(
        2, '<c r="E2" t="inlineStr"><is><t xml:space="preserve"> x </t></is></c>'), {}),
    "text with an escape": (plain_row(2, text("E2", "a_x000D_b")), {}),
    "text of rich runs": (plain_row(
        2, '<c r="E2" t="inlineStr"><is><r><t>a</t></r><r><t> </t></r><r><t>b</t></r>'
           '</is></c>'), {}),
    "empty inline texts": (plain_row(
        2, '<c r="E2" t="inlineStr"><is><t/></is></c><c r="F2" t="inlineStr"><is/></c>'
           '<c r="G2" t="inlineStr"></c>'), {}),
    "a newline text": (plain_row(2, text("E2", "\n")), {}),
    "an error": (plain_row(2, '<c r="E2" t="e"><v>#N/A</v></c>'), {}),
    "an error in an unread column": (plain_row(2, '<c r="K2" t="e"><v>#REF!</v></c>'), {}),
    "a formula text": (plain_row(2, '<c r="E2" t="str"><f>A1</f><v> x </v></c>'
                                    '<c r="F2" t="str"><v>_x0041_</v></c>'), {}),
    "an empty formula text": (plain_row(2, '<c r="E2" t="str"><f>A1</f><v></v></c>'), {}),
    "an ISO date": (plain_row(2, '<c r="E2" t="d"><v>2023-01-05T10:00:00</v></c>'
                                 '<c r="F2" t="d"><v>2023-01-05</v></c>'), {}),
    "booleans": (plain_row(2, '<c r="H2" t="b"><v>1</v></c><c r="I2" t="b"><v>0</v></c>'), {}),
    "a boolean written 2": (plain_row(2, '<c r="H2" t="b"><v>2</v></c>'), {}),
    "a boolean written 00": (plain_row(2, '<c r="H2" t="b"><v>00</v></c>'), {}),
    "a boolean written true": (plain_row(2, '<c r="H2" t="b"><v>true</v></c>'), {}),
    "a date number": (plain_row(2, '<c r="E2" s="1"><v>45000.5</v></c>'
                                   '<c r="F2" s="2"><v>45000</v></c>'),
                      {"fmts": ["yyyy-mm-dd h:mm", "dd/mm/yyyy"]}),
    "dates around 1900": (plain_row(2, '<c r="E2" s="1"><v>0.5</v></c><c r="F2" s="1"><v>'
                                       '59.25</v></c><c r="G2" s="1"><v>60</v></c>')
                          + plain_row(3, '<c r="E3" s="1"><v>61.75</v></c><c r="F3" s="1">'
                                         '<v>-1.5</v></c><c r="G3" s="1"><v>1</v></c>'),
                          {"fmts": ["yyyy-mm-dd h:mm"]}),
    "dates around 1904": (plain_row(2, '<c r="E2" s="1"><v>0.5</v></c><c r="F2" s="1"><v>'
                                       '1</v></c><c r="G2" s="1"><v>59.25</v></c>'),
                          {"fmts": ["yyyy-mm-dd h:mm"], "date1904": True}),
    "a date beyond the year 9999": (plain_row(2, '<c r="E2" s="1"><v>3000000</v></c>'
                                                 '<c r="F2"><v>3000000</v></c>'),
                                    {"fmts": ["yyyy-mm-dd"]}),
    "milliseconds half way": (plain_row(2, '<c r="E2" s="1"><v>45000.0000000057870370</v></c>'
                                           '<c r="F2"><v>45000.000005787037</v></c>'),
                              {"fmts": ["yyyy-mm-dd h:mm:ss.000"]}),
    "a time and a duration": (plain_row(2, '<c r="E2" s="1"><v>0.25</v></c>'
                                           '<c r="F2" s="2"><v>1.25</v></c>'
                                           '<c r="K2" s="2"><v>1.25</v></c>'),
                              {"fmts": ["h:mm", "[h]:mm:ss"]}),
    "a number in a date column": (plain_row(2, '<c r="E2"><v>45000</v></c>'
                                               '<c r="F2"><v>45000.75</v></c>'
                                               '<c r="G2"><v>1e20</v></c>'), {}),
    "numeric codes in formats": (
        '<row r="2"><c r="A2" s="1"><v>7</v></c><c r="B2" s="2"><v>7.5</v></c>'
        '<c r="C2" s="3"><v>1.5</v></c><c r="D2" s="4"><v>3</v></c></row>'
        '<row r="3"><c r="A3" s="5"><v>7</v></c><c r="B3" s="6"><v>1234567.5</v></c>'
        '<c r="C3" s="7"><v>12</v></c><c r="D3"><v>7.0</v></c></row>',
        {"fmts": ["000", "0", "0.00", "@", 49, "#,##0", '"No. "0']}),
    "a numeric code beyond 2**53": (
        '<row r="2"><c r="A2"><v>12345678901234567891</v></c><c r="B2"><v>1E+20</v></c>'
        '</row>', {}),
    "numbers written unusually": (
        '<row r="2"><c r="A2"><v> 5</v></c><c r="B2"><v>+7</v></c><c r="C2"><v>.5</v></c>'
        '</row>', {}),
    "a number Python reads otherwise": ('<row r="2"><c r="A2"><v>1_000</v></c></row>', {}),
    "a number nobody reads": ('<row r="2"><c r="A2"><v>1-2</v></c></row>', {}),
    "a number with an entity": ('<row r="2"><c r="A2"><v>&#49;2</v></c></row>', {}),
    "rows absent and empty": (plain_row(2) + '<row r="3"/><row r="4"></row>'
                              '<row r="5"><c r="B5" s="1"/></row>' + plain_row(9)
                              + '<row r="12"><c r="K12" s="1"/></row>', {"fmts": ["000"]}),
    "rows out of order": (plain_row(3) + plain_row(2), {}),
    "a row written twice": (plain_row(2) + plain_row(2), {}),
    "a row without a number": (plain_row(2) + "<row>" + text("A3", "x") + "</row>", {}),
    "a cell without a reference": (
        '<row r="2"><c t="inlineStr"><is><t>D2</t></is></c></row>', {}),
    "attributes in another order": (
        '<row r="2"><c t="inlineStr" r="A2"><is><t>D2</t></is></c></row>', {}),
    "an attribute in single quotes": ("<row r='2'><c r='A2' t='e'><v>#N/A</v></c></row>", {}),
    "a comment": (plain_row(2, "<!-- x -->"), {}),
    "CDATA": (plain_row(2, '<c r="E2" t="inlineStr"><is><t><![CDATA[ x ]]></t></is></c>'), {}),
    "shared texts": (plain_row(2, '<c r="E2" t="s"><v>0</v></c><c r="F2" t="s"><v>1</v></c>'
                                  '<c r="G2" t="s"><v>2</v></c>'),
                     {"strings": ["<si><t>a</t></si>", '<si><t xml:space="preserve"> b </t></si>',
                                  "<si><r><t>ri</t></r><r><rPr/><t>ch</t></r></si>"]}),
    "shared texts calamine reads otherwise": (
        plain_row(2, '<c r="E2" t="s"><v>0</v></c><c r="F2" t="s"><v>1</v></c>'
                     '<c r="G2" t="s"><v>2</v></c><c r="K2" t="s"><v>3</v></c>')
        + plain_row(3, '<c r="E3" t="s"><v>4</v></c><c r="F3" t="s"><v>5</v></c>'
                       '<c r="G3" t="s"><v>6</v></c><c r="H3" t="s"><v>7</v></c>'),
        {"strings": ["<si><t>  </t></si>", "<si><t>x_x000D_y</t></si>", "<si><t/></si>",
                     "<si><t>a x005F_b</t></si>", "<si><t> a</t></si>",
                     "<si><r><t>a</t></r><t>b</t></si>", "<si><t>ph</t><rPh sb=\"0\" eb=\"1\">"
                     "<t>PH</t></rPh></si>", "<si><t>a&#10;</t></si>"]}),
    "an empty shared text calamine skips": (
        plain_row(2, '<c r="E2" t="s"><v>1</v></c>'),
        {"strings": ["<si/>", "<si><t>x</t></si>"]}),
    "a shared-text index written unusually": (
        plain_row(2, '<c r="E2" t="s"><v> 1</v></c>'),
        {"strings": ["<si><t>a</t></si>", "<si><t>b</t></si>"]}),
    "merged cells": (plain_row(2) + '<row r="3"><c r="A3" t="inlineStr"><is><t>D3</t></is></c>'
                     '</row>', {"after": '<mergeCells count="1"><mergeCell ref="B2:B3"/>'
                                         '</mergeCells>'}),
    "a stored dimension that lies": (plain_row(2) + plain_row(30), {"dimension": "A1:B2"}),
    "the namespace also prefixed": (plain_row(2), {"head": f'<?xml version="1.0"?><worksheet '
                                                   f'xmlns:x="{MAIN}" xmlns="{MAIN}">'}),
    "a formula number": (plain_row(2, '<c r="E2"><f>1+1</f><v>45000</v></c>'
                                      '<c r="F2"><f>1+1</f></c>'), {}),
    "a cell with more inside": (plain_row(2, '<c r="E2" s="1"><v>45000</v><extLst/></c>'),
                                {"fmts": ["yyyy-mm-dd"]}),
    "a value in an unread column": (plain_row(2, '<c r="Z2"><v>1</v></c>'), {}),
    "a style beyond the styles": (plain_row(2, '<c r="E2" s="9"><v>45000</v></c>'), {}),
    "no row at all": ("", {}),
}


#: the cases openpyxl reads (the fast path refuses them, or both fail alike)
OPENPYXL_READS = {
    "a boolean written 2", "a boolean written 00", "a boolean written true",
    "a number nobody reads", "rows out of order", "a row written twice",
    "a row without a number", "a cell without a reference", "attributes in another order",
    "an attribute in single quotes", "a comment", "CDATA", "an empty shared text calamine skips",
    "the namespace also prefixed", "a cell with more inside"}


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The path each sheet read takes: "fast", or the reason the fast path refused it."""
    taken: list[str] = []
    fast = reader._fast_records

    def spy(*args: Any) -> Any:
        try:
            part = fast(*args)
        except xlsx_cells.Fallback as exc:
            taken.append(str(exc))
            raise
        taken.append("fast")
        return part

    monkeypatch.setattr(reader, "_fast_records", spy)
    return taken


@pytest.mark.parametrize("case", list(CASES))
def test_hand_written_workbooks(case: str, tmp_path: Path, paths: list[str]) -> None:
    rows, options = CASES[case]
    sheet = header_row() + rows
    assert_same(raw_book(tmp_path / "d.xlsx", sheet, **options))
    if case in OPENPYXL_READS:
        assert "fast" not in paths
    else:
        assert paths[0] == "fast"


def test_no_row_above_the_records(tmp_path: Path,
                                  fast_only: Callable[[Path, schema.Table], Raw]) -> None:
    """Empty rows and a title above the header: calamine's rows start lower."""
    sheet = header_row(4) + "".join(plain_row(r, text(f"E{r}", " x ")) for r in (5, 6, 9))
    raw = fast_only(raw_book(tmp_path / "d.xlsx", sheet))
    assert (raw.header_row, raw.rows.tolist()) == (4, [5, 6, 9])
    sheet = '<row r="2">' + text("C2", "BÁO CÁO") + "</row>" + sheet
    fast_only(raw_book(tmp_path / "e.xlsx", sheet))


def test_a_cell_too_long(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_CELL_CHARS", 5)
    raw = assert_same(raw_book(tmp_path / "d.xlsx", header_row() + plain_row(
        2, text("E2", "a long date"), '<c r="F2" t="e"><v>#DIV/0!</v></c>',
        '<c r="G2" s="1"><v>45000</v></c>'), fmts=["yyyy-mm-dd"]))
    assert isinstance(raw, Raw)
    found = [(p.rule, p.column) for p in raw.problems]
    assert ("cell_too_long", "received_at") in found and ("cell_too_long", "due_at") in found
    assert ("cell_too_long", "resolved_at") not in found  # a date cell, not a text


@pytest.mark.parametrize("limit", [5, 11])
def test_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    monkeypatch.setattr(rules, "MAX_SHEET_ROWS", limit)
    monkeypatch.setattr(rules, "MAX_COLUMNS", limit + 1)
    rows = "".join(plain_row(r) for r in range(2, 9)) + \
        '<row r="9"><c r="L9" t="inlineStr"><is><t>x</t></is></c></row>'
    assert_same(raw_book(tmp_path / "d.xlsx", header_row() + rows))


def test_a_grid_too_large_for_calamine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       fast_only: Callable[[Path, schema.Table], Raw]) -> None:
    path = raw_book(tmp_path / "d.xlsx", header_row() + plain_row(2) + '<row r="900">'
                    + text("AB900", "far") + "</row>")
    fast_only(path)
    monkeypatch.setattr(xlsx_cells, "DENSE_CELLS", 900 * 27)
    assert_same(path)


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04 broken"])
def test_damaged_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "d.xlsx"
    path.write_bytes(content)
    assert isinstance(assert_same(path), Exception)


def test_a_damaged_sheet_without_a_dimension(tmp_path: Path) -> None:
    """openpyxl parses such a sheet when it opens the workbook: the same error."""
    path = raw_book(tmp_path / "d.xlsx", header_row() + plain_row(2) + "<row r='3'><c>")
    error = assert_same(path)
    assert isinstance(error, Exception)
    with_dimension = raw_book(tmp_path / "e.xlsx", header_row() + plain_row(2)
                              + '<row r="3"><c r="A3">', dimension="A1:J3")
    assert isinstance(assert_same(with_dimension), Exception)


def test_a_truncated_sheet(tmp_path: Path) -> None:
    path = export(tmp_path / "d.xlsx", [record(n) for n in range(50)])
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet[: len(sheet) * 2 // 3]
    with zipfile.ZipFile(path, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)
    assert_same(path)


# --------------------------------------------------------------------------------------
# Dates computed with numpy, as openpyxl computes them
# --------------------------------------------------------------------------------------


@settings(derandomize=True, database=None, max_examples=500, deadline=None)
@given(st.lists(st.one_of(
    st.floats(min_value=-10, max_value=3e6, allow_nan=False),
    st.floats(min_value=44000, max_value=47000),
    st.integers(min_value=40000, max_value=50000).map(lambda d: d + 0.5 / 86_400_000),
    st.integers(min_value=0, max_value=2**40).map(lambda n: 45000 + n / 2**40)),
    min_size=1, max_size=20), st.sampled_from([WINDOWS_EPOCH, MAC_EPOCH]))
def test_dates_as_openpyxl_computes_them(values: list[float], epoch: dt.datetime) -> None:
    texts = xlsx_cells._date_texts([repr(v).encode() for v in values], epoch)
    for v, text in zip(values, texts, strict=True):
        if text is not None:
            assert text == from_excel(v, epoch).isoformat(sep=" "), v


# --------------------------------------------------------------------------------------
# Workbooks Hypothesis writes with openpyxl
# --------------------------------------------------------------------------------------

FORMATS = ["General", "000", "0", "0.00", "@", "#,##0", "yyyy-mm-dd", "dd/mm/yyyy hh:mm",
           "[h]:mm:ss", "mm:ss", "0.000000", "d-mmm", '"No. "0', "h:mm AM/PM"]

texts = st.lists(st.sampled_from([*"aZ09 ./-:", "_x000D_", "Đ", "ồ", "\n", "\t", "&", "<",
                                  "x005F_", "\u00a0"]), max_size=8).map("".join)
moments = st.datetimes(min_value=dt.datetime(1899, 12, 31), max_value=dt.datetime(2200, 1, 1))
values = st.one_of(
    st.none(), st.just(""), texts, st.sampled_from(["05/01/2022", "2022-01-05 10:00", "TP",
                                                    "truc_tuyen", "true", "0001", "=1+1",
                                                    "#N/A", "#DIV/0!"]),
    st.integers(min_value=-(2**60), max_value=2**60), st.integers(min_value=0, max_value=999),
    st.floats(allow_nan=False, allow_infinity=False, width=64), st.booleans(), moments,
    moments.map(lambda m: m.date()), st.times(),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3)))
cells = st.tuples(values, st.one_of(st.none(), st.sampled_from(FORMATS)))


@st.composite
def workbooks(draw: st.DrawFn, cells: st.SearchStrategy[tuple[Any, str | None]] = cells
              ) -> dict[str, Any]:
    sheets = []
    for n in range(draw(st.integers(1, 3))):
        header = list(HEADER)
        if draw(st.booleans()):
            header[draw(st.integers(0, len(header) - 1))] = draw(st.sampled_from(
                ["Ghi chú", "", "Mã hồ sơ"]))
        extra = draw(st.integers(0, 2))
        rows: dict[int, list[tuple[Any, str | None]]] = {}
        top = draw(st.integers(1, 3))
        number = top
        for _ in range(draw(st.integers(0, 8))):
            number += draw(st.sampled_from([1, 1, 1, 2, 5]))
            width = draw(st.integers(0, len(header) + extra))
            rows[number] = draw(st.lists(cells, min_size=width, max_size=width))
        merges = draw(st.lists(st.tuples(st.integers(1, 12), st.integers(top, number + 2),
                                         st.integers(0, 2), st.integers(0, 3)), max_size=3))
        sheets.append({"title": f"S{n}", "header": header, "top": top, "rows": rows,
                       "merges": merges, "hidden": draw(st.booleans()),
                       "title_rows": draw(st.lists(texts, max_size=top - 1))})
    return {"sheets": sheets, "epoch": draw(st.sampled_from([WINDOWS_EPOCH, MAC_EPOCH])),
            "dimension": draw(st.booleans())}


def write(path: Path, spec: dict[str, Any]) -> Path:
    wb = openpyxl.Workbook()
    wb.epoch = spec["epoch"]
    wb.remove(wb.active)  # type: ignore[arg-type]
    for sheet in spec["sheets"]:
        ws = wb.create_sheet(sheet["title"])
        for r, title in enumerate(sheet["title_rows"], start=1):
            ws.cell(r, 1, title or None)
        for c, name in enumerate(sheet["header"], start=1):
            ws.cell(sheet["top"], c, name or None)
        for r, row in sheet["rows"].items():
            for c, (value, fmt) in enumerate(row, start=1):
                cell = ws.cell(r, c)
                try:
                    cell.value = value
                except (ValueError, TypeError):
                    cell.value = str(value)
                if fmt is not None:
                    cell.number_format = fmt
        taken: set[tuple[int, int]] = set()
        for c, r, across, down in sheet["merges"]:
            area = {(r + i, c + j) for i in range(down + 1) for j in range(across + 1)}
            if (across or down) and not area & taken:
                taken |= area
                ws.merge_cells(start_row=r, start_column=c, end_row=r + down,
                               end_column=c + across)
        if sheet["hidden"] and len(wb.sheetnames) > 1:
            ws.sheet_state = "hidden"
    wb.save(path)
    if not spec["dimension"]:
        drop_dimensions(path)
    return path


def drop_dimensions(path: Path) -> None:
    with zipfile.ZipFile(path) as source:
        parts = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts:
            if name.startswith("xl/worksheets/"):
                content = re.sub(rb"<dimension [^>]*/>", b"", content)
            target.writestr(name, content)


@settings(derandomize=True, database=None, max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(workbooks())
def test_written_workbooks_read_the_same(tmp_path: Path, spec: dict[str, Any]) -> None:
    assert_same(write(tmp_path / "d.xlsx", spec))


#: what an office export holds: texts (with any spaces and escapes), codes as numbers in
#: General or a zero format, dates as date cells, booleans, errors, formulas, empty cells
common_values = st.one_of(
    st.none(), st.just(""), texts, st.sampled_from(["05/01/2022", "TP", "#N/A", "=1+1"]),
    st.integers(min_value=0, max_value=10**12), st.booleans(), moments,
    moments.map(lambda m: m.date()))
common_cells = st.tuples(common_values, st.sampled_from(
    [None, "General", "000", "0", "@", "yyyy-mm-dd", "dd/mm/yyyy hh:mm"]))


@settings(derandomize=True, database=None, max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(workbooks(common_cells))
def test_common_workbooks_take_the_fast_path(tmp_path: Path, paths: list[str],
                                             spec: dict[str, Any]) -> None:
    paths.clear()
    assert_same(write(tmp_path / "d.xlsx", spec))
    assert all(path == "fast" for path in paths), paths


@settings(derandomize=True, database=None, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 10**6), st.floats(
    0, 1e6), st.sampled_from(["", "12", "TP", "2022Q1", "-1"])), st.sampled_from(
    [None, "General", "0", "000", "0.0"])), min_size=14, max_size=14), max_size=6))
def test_counts_read_the_same(tmp_path: Path, rows: list[list[tuple[Any, str | None]]]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([c.name for c in AGGREGATES.columns])
    for row in rows:
        ws.append([v for v, _ in row])
        for c, (_, fmt) in enumerate(row, start=1):
            if fmt:
                ws.cell(ws.max_row, c).number_format = fmt
    wb.save(tmp_path / "a.xlsx")
    assert_same(tmp_path / "a.xlsx", AGGREGATES)


def test_fast_is_the_default() -> None:
    assert read_xlsx.__kwdefaults__ == {"fast": True}
