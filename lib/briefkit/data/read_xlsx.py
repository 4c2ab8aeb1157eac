"""Reading Excel workbooks into the raw shape.

**Which sheets.** A table may be spread over several sheets of one workbook (one per year:
"2022", "2023", "2024"). Every sheet whose header row — the first of its first
:data:`~briefkit.data.raw.HEADER_SEARCH_ROWS` rows that holds all the table's required
columns, so a title above the table is fine — is read, in sheet order, one sheet's records
after the other's. Other sheets (a "Hướng dẫn" notes sheet, a summary, an empty sheet) are
ignored, except a sheet whose best row holds most of the required columns (more than half,
at least two) but not all: that is part of the table with a header typo, and ignoring it
would drop its records in silence, so its missing columns are reported. When no sheet holds
every required column, the sheet and row holding the most of them (else the first sheet's
first non-empty row) is read and its missing columns are reported.

The sheets of one table must designate the same columns under the same headers (in any
order); otherwise the file is refused (``missing_column``, naming the sheet and the column).
Reading each sheet with its own mapping was the alternative, but a column one sheet lacks
would give that sheet's records the column's default (no apology sent, not returned by
post…): a silently wrong figure, which is what this loader exists to prevent. And a problem
names a column as written in the sheet it points at, so a column needs one spelling.

Problems name the sheet (:attr:`~briefkit.problems.Problem.sheet`) when more than one sheet
makes up the table, for every record (:attr:`~briefkit.data.raw.Raw.sheets`); a duplicate id
names the other sheet's row. With one sheet, messages read exactly as they always did.

**Merged cells.** A merged range's value is stored in its top-left cell only; a program
reads the other cells as empty, though a user sees the value across the range. openpyxl's
read-only mode does not expose the ranges (the file lists them after the cells), so they are
found by one pass over the sheet's XML as bytes (no parsing: about 1% of the time the cells
take). Without them, a header cell merged down over two rows is empty in the lower one, so
no row of a two-row header holds every column; and a merged cell in the records is empty.

* Header rows are read as a user sees them: a cell covered by a range merged down from
  above takes that range's value, so "Mã hồ sơ" merged over rows 1–2 next to "Ngày" merged
  across three columns above "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả" is one
  header, row 2; a title merged across the first row is a title row above the header. A
  cell covered by a range merged across is empty: a header merged over two columns names
  its first column, and if the other holds values in the records, which column is meant is
  ambiguous (``merged_cells``). Records start below the ranges merged down from the header
  row (sub-header rows are not records).
* In the records, a range merged down one column shows one value for every row it covers
  (Excel keeps only the top-left value when merging), so that value is read into each of
  them, except for a count (it could as well be the rows' total): ``merged_cells``. A
  column covered by a range merged across from another column is ambiguous:
  ``merged_cells``.

**Limits.** A sheet whose stored dimension (``<dimension ref>``, which openpyxl reads when
it opens the workbook) exceeds the rows a sheet holds
(:data:`~briefkit.data.rules.MAX_SHEET_ROWS`, Excel's, or MAX_ROWS if lower) or
:data:`~briefkit.data.rules.MAX_COLUMNS` is refused before its records are read
(``file_too_large``). The stored dimension can lie (it is then reset, and every cell read),
so rows and columns are also counted while reading: the first row beyond a limit stops the
reading. A text cell beyond :data:`~briefkit.data.rules.MAX_CELL_CHARS` (Excel's own limit:
only a program or a hand-edited file makes one) in a column the table reads is
``cell_too_long`` at its row and column; ignored columns are not looked at.

**Two readers of the records.** Sheets, headers, merged ranges and limits are found with
openpyxl as described above. The records are read by python-calamine (in Rust, several times
faster) where it reads them exactly as openpyxl does, and by openpyxl's loop
(:func:`_read_records`) for any sheet the fast path cannot vouch for
(:mod:`~briefkit.data.xlsx_cells` says how that is decided): the same records, values and
problems either way. ``read_xlsx(..., fast=False)`` reads with openpyxl alone.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import itertools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data import rules
from briefkit.data.raw import (
    HEADER_SEARCH_ROWS,
    Raw,
    Unreadable,
    clean_header,
    find_header,
    header_problems,
    map_headers,
    render_number,
    too_long,
)
from briefkit.data.rules import problem
from briefkit.data.xlsx_cells import Book, Fallback, Wanted
from briefkit.data.xlsx_scan import open_workbook
from briefkit.problems import Problem
from briefkit.schema import Table

#: A range merged down from the header row over at most this many rows below it is part of
#: the header (sub-headers); one reaching further covers rows that should be records.
_HEADER_DEPTH = 5

_MERGE_CELL = re.compile(rb'<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref="([^"]*)"')
_CHUNK = 1 << 20

#: (first column, first row, last column, last row), 1-based and inclusive
Merge = tuple[int, int, int, int]


@dataclass
class _Head:
    """A candidate header row of a sheet."""

    row: int
    header: list[str]
    positions: dict[str, int]
    duplicates: list[str]
    found: int  # how many of the table's required columns it holds


@dataclass
class _Sheet:
    ws: Any
    title: str
    declared: tuple[int | None, int | None]  # rows, columns of its stored dimension
    merges: list[Merge]
    head: _Head | None
    top: list[tuple[Any, ...]] = field(default_factory=list)  # its first rows, as read


@dataclass
class _Part:
    """What one sheet contributes: its records' rows and mapped values (by canonical column),
    and its problems (without the sheet; added when the table has several sheets)."""

    rows: list[int] = field(default_factory=list)
    values: dict[str, list[str | None]] = field(default_factory=dict)
    #: a code column's numbers: how many, the first (row, value, number format, text)
    numeric: dict[str, tuple[int, tuple[int, Any, str, str]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def read_xlsx(path: Path, table: Table, *, fast: bool = True) -> Raw:
    """Every sheet holding the table (see the module), its records concatenated; ``fast``:
    the records through python-calamine where it reads them as openpyxl does (see
    :mod:`~briefkit.data.xlsx_cells`), else (and for any sheet it cannot vouch for) openpyxl."""
    import openpyxl

    try:
        wb = (open_workbook(path) if fast else
              openpyxl.load_workbook(path, read_only=True, data_only=True))
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise Unreadable(f"cannot open the workbook: {exc}") from exc
    book = Book(path, wb) if fast else None
    try:
        if not wb.worksheets:
            raise Unreadable("the workbook has no sheet")
        sheets = [_survey(ws, table) for ws in wb.worksheets]
        required = sum(1 for c in table.columns if c.present)
        complete = [s for s in sheets if s.head is not None and s.head.found == required]
        if complete:
            near = [s for s in sheets if s.head is not None and s.head.found < required
                    and s.head.found >= 2 and 2 * s.head.found > required]
            return _read_sheets(path, table, complete, near, wb.epoch, book)
        candidates = [s for s in sheets if s.head is not None]
        if candidates:
            best = max(candidates, key=lambda s: s.head.found if s.head else 0)
        else:
            best = sheets[0]
            best.head = _first_filled(best.ws, table)
        return _read_sheets(path, table, [best], [], wb.epoch, book)
    finally:
        if book is not None:
            book.close()
        wb.close()


def _survey(ws: Any, table: Table) -> _Sheet:
    """A sheet's stored dimension, merged ranges and best header row (as a user sees it)."""
    declared = (ws.max_row, ws.max_column)
    ws.reset_dimensions()  # some writers store wrong dimensions; read every cell
    merges = _merged_ranges(ws)
    top = list(itertools.islice(ws.iter_rows(values_only=True), HEADER_SEARCH_ROWS))
    for number, values in enumerate(top, start=1):
        if len(values) > rules.MAX_COLUMNS:
            raise _too_wide(ws.title, number, len(values))
    return _Sheet(ws, ws.title, declared, merges, _best_header(_as_seen(top, merges), table),
                  top)


def _first_filled(ws: Any, table: Table) -> _Head:
    """The first non-empty row of a sheet, as its header (its missing columns are then
    reported); the sheet is unreadable if it has none."""
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if any(v not in (None, "") for v in values):
            header = [clean_header(v) for v in values]
            positions, duplicates = map_headers(header, table)
            return _Head(number, header, positions, duplicates, 0)
    raise Unreadable(f"sheet {ws.title!r} is empty")


def _best_header(rows: list[list[Any]], table: Table) -> _Head | None:
    """The first row holding every required column, else the (first) row holding the most
    of them; None if no row holds any (:func:`~briefkit.data.raw.find_header`, which the
    CSV reader shares)."""
    best = find_header(rows, table)
    if best is None:
        return None
    number, header, found = best
    positions, duplicates = map_headers(header, table)
    return _Head(number, header, positions, duplicates, found)


def _merged_ranges(ws: Any) -> list[Merge]:
    """A read-only sheet's merged ranges, found in its XML (``<mergeCell ref="A1:B2"/>``,
    stored after the cells) by a byte search; none if the sheet's XML is not reachable."""
    from openpyxl.utils.cell import range_boundaries

    opener = getattr(ws, "_get_source", None)  # openpyxl's read-only sheet: its XML part
    if opener is None:
        return []
    refs: set[bytes] = set()
    tail = b""
    with opener() as source:
        while chunk := source.read(_CHUNK):
            buf = tail + chunk
            if b"mergeCell" in buf:  # matches across chunks are in ``tail`` + next chunk
                refs.update(m.group(1) for m in _MERGE_CELL.finditer(buf))
            tail = buf[-256:]
    out: list[Merge] = []
    for ref in refs:
        try:
            c0, r0, c1, r1 = range_boundaries(ref.decode("ascii"))
        except (ValueError, TypeError, UnicodeDecodeError):
            continue  # not a range Excel writes; the cells read as stored
        if c0 is None or r0 is None or c1 is None or r1 is None or (c0, r0) == (c1, r1):
            continue
        out.append((c0, r0, c1, r1))
    return sorted(out, key=lambda m: (m[1], m[0]))


def _as_seen(rows: list[tuple[Any, ...]], merges: list[Merge]) -> list[list[Any]]:
    """The first rows of a sheet as a user sees them: a cell covered by a range merged down
    from above holds the range's value; a cell covered by a range merged across is empty."""
    grid = [list(r) for r in rows]
    for c0, r0, c1, r1 in merges:
        if r0 > len(grid):
            continue
        top = grid[r0 - 1]
        value = top[c0 - 1] if c0 <= len(top) else None
        for r in range(r0, min(r1, len(grid)) + 1):
            row = grid[r - 1]
            if r > r0:
                if len(row) < c0:
                    row.extend([None] * (c0 - len(row)))
                row[c0 - 1] = value
            for c in range(c0 + 1, min(c1, len(row)) + 1):
                row[c - 1] = None
    return grid


def _read_sheets(path: Path, table: Table, sheets: list[_Sheet], near: list[_Sheet],
                 epoch: Any, book: Book | None) -> Raw:
    """The records of ``sheets`` (which hold the table), concatenated; ``near``: sheets
    that look like part of the table but lack required columns (reported, not read)."""
    named = len(sheets) + len(near) > 1
    first = sheets[0]
    assert first.head is not None
    header, positions = first.head.header, first.head.positions
    problems: list[Problem] = []

    def add(found: list[Problem], sheet: _Sheet) -> None:
        problems.extend(replace(p, sheet=sheet.title) if named else p for p in found)

    for sheet in (*sheets, *near):
        assert sheet.head is not None
        add(header_problems(path, table, sheet.head.header, sheet.head.positions,
                            sheet.head.duplicates, sheet.head.row), sheet)
    differ = _differences(path, first, sheets[1:])
    problems.extend(differ)
    parts: list[tuple[_Sheet, _Part]] = []
    if not differ:
        for sheet in sheets:
            part = _read_part(path, table, sheet, epoch, book)
            add(part.problems, sheet)
            add(_hidden(path, sheet, len(part.rows)), sheet)
            parts.append((sheet, part))

    columns: dict[int, pd.Series] = {}
    for name, pos in positions.items():
        values = parts[0][1].values[name] if len(parts) == 1 else \
            [v for _, part in parts for v in part.values[name]]
        columns[pos] = pd.Series(values, dtype="str")
        numeric = [(sheet, part.numeric[name]) for sheet, part in parts
                   if name in part.numeric]
        if numeric:
            sheet, (_, (number, v, fmt, text)) = numeric[0]
            cells = sum(count for _, (count, _) in numeric)
            add([problem(
                "numeric_code", path.name,
                f"column {header[pos]!r} is stored as numbers in Excel ({cells} cells, "
                f"first in row {number}: {v!r} read as {text!r} using number format {fmt!r}); "
                "leading zeros or trailing decimal zeros may be lost: format the column as Text",
                number, header[pos])], sheet)
    rows = np.asarray(parts[0][1].rows if len(parts) == 1 else
                      [r for _, part in parts for r in part.rows], dtype=np.int64)
    sheet_of = None
    if named:
        sheet_of = np.repeat(np.array([s.title for s, _ in parts] or [""], dtype=object),
                             [len(p.rows) for _, p in parts] or [0])
    return Raw(header, first.head.row, positions, columns, rows, problems, sheet_of)


def _hidden(path: Path, sheet: _Sheet, records: int) -> list[Problem]:
    """A hidden sheet holding the table is read like the others (its records are in the
    file), but the user who hid it may not expect them counted: say so."""
    state = getattr(sheet.ws, "sheet_state", "visible")
    if state == "visible" or not records:
        return []
    how = "very hidden (only a macro or a program can show it)" if state == "veryHidden" \
        else "hidden (Excel: right-click a sheet tab, Unhide)"
    return [problem(
        "hidden_sheet", path.name,
        f"sheet {sheet.title!r} is {how}; its {records:,} records are read with the others: "
        "unhide it to check them, or delete the sheet if they are not data")]


def _differences(path: Path, first: _Sheet, others: list[_Sheet]) -> list[Problem]:
    """``missing_column`` for every column the sheets of one table do not share under the
    same header (see the module: refused, not read with a mapping per sheet)."""
    assert first.head is not None
    mine = {name: first.head.header[pos] for name, pos in first.head.positions.items()}
    out: list[Problem] = []
    for sheet in others:
        assert sheet.head is not None
        theirs = {name: sheet.head.header[pos] for name, pos in sheet.head.positions.items()}
        for name in dict.fromkeys([*mine, *theirs]):
            if name not in theirs:
                where, text, other = sheet, mine[name], first
            elif name not in mine:
                where, text, other = first, theirs[name], sheet
            elif mine[name] != theirs[name]:
                out.append(problem(
                    "missing_column", path.name,
                    f"column {theirs[name]!r} is called {mine[name]!r} in sheet "
                    f"{first.title!r}; the sheets of one table need the same header",
                    sheet.head.row, theirs[name], sheet.title))
                continue
            else:
                continue
            assert where.head is not None
            out.append(problem(
                "missing_column", path.name,
                f"column {text!r} ({name}) of sheet {other.title!r} is missing here; the "
                "sheets of one table need the same columns (this sheet's records would get "
                "the column's default)", where.head.row, text, where.title))
    return out


def _too_wide(title: str, row: int, width: int) -> Unreadable:
    return Unreadable(
        f"sheet {title!r}: row {row} has {width:,} columns, more than the "
        f"{rules.MAX_COLUMNS:,} a sheet holds", row, None, "file_too_large")


def _read_records(path: Path, table: Table, sheet: _Sheet, epoch: Any) -> _Part:
    """One sheet's records below its header (and the sub-header rows merged to it)."""
    from openpyxl.utils.datetime import from_excel

    assert sheet.head is not None
    ws, head = sheet.ws, sheet.head
    row_limit = _check_declared(sheet)
    part = _Part()
    column_of = {pos: name for name, pos in head.positions.items()}  # 0-based position
    start, fills, watch = _merge_plan(path, table, sheet, column_of, part.problems)
    plan = []
    numbers: dict[str, list[tuple[int, Any, str, str]]] = {}
    for name, pos in head.positions.items():
        part.values[name] = []
        numbers[name] = []
        kind = table.column(name).kind
        plan.append((pos, part.values[name], kind, numbers[name] if kind in
                     schema.CODE_KINDS else None, head.header[pos]))
    rows = part.rows
    keep_row = rows.append
    cell_limit = rules.MAX_CELL_CHARS
    max_columns = rules.MAX_COLUMNS
    # Reading a workbook is inherently cell by cell (openpyxl yields cells); this is the
    # only per-record loop of the loader, and it only renders cells to text.
    for number, cells in enumerate(ws.iter_rows(min_row=start), start=start):
        if number > row_limit:
            raise Unreadable(
                f"sheet {sheet.title!r} goes on beyond row {row_limit:,}, the last a sheet "
                "holds", None, None, "file_too_large")
        width = len(cells)
        if not width:
            continue  # a row absent from the file (openpyxl yields the gaps as empty rows)
        if width > max_columns:
            raise _too_wide(sheet.title, number, width)
        keep_row(number)
        for pos, out, kind, numeric, text in plan:
            cell = cells[pos] if pos < width else None
            v = None if cell is None else cell.value
            if v is None:
                out.append(None)
            elif isinstance(v, str):
                out.append(v)
                if len(v) > cell_limit:
                    part.problems.append(too_long(path.name, len(v), number, text))
            elif isinstance(v, bool):
                out.append("true" if v else "false")
            elif isinstance(v, _dt.datetime | _dt.date):
                out.append(v.isoformat(sep=" ") if isinstance(v, _dt.datetime)
                           else v.isoformat())
            elif isinstance(v, int | float):
                if kind == "date":
                    try:
                        out.append(from_excel(v, epoch).isoformat(sep=" "))
                    except (ValueError, OverflowError, TypeError):
                        out.append(str(v))
                else:
                    fmt = cell.number_format if cell is not None else "General"
                    rendered = render_number(v, fmt)
                    out.append(rendered)
                    if numeric is not None:
                        numeric.append((number, v, fmt, rendered))
            else:
                out.append(str(v))
        if watch:
            for pos in [p for p in watch if p < width and cells[p].value not in (None, "")]:
                ref, anchor = watch.pop(pos)
                part.problems.append(_headerless(path, pos, ref, head.header[anchor], number))
    for pos, first, last in fills:
        _fill_down(rows, part.values[column_of[pos]], first, last)
    part.numeric = {name: (len(cells), cells[0]) for name, cells in numbers.items() if cells}
    return part


def _check_declared(sheet: _Sheet) -> int:
    """``file_too_large`` if the sheet's stored dimension exceeds a sheet; the row limit."""
    row_limit = min(rules.MAX_ROWS, rules.MAX_SHEET_ROWS)
    declared_rows, declared_columns = sheet.declared
    if (declared_rows or 0) > row_limit or (declared_columns or 0) > rules.MAX_COLUMNS:
        raise Unreadable(
            f"sheet {sheet.title!r} is {declared_rows or 0:,} rows by {declared_columns or 0:,} "
            f"columns (its stored dimension); a sheet holds at most {row_limit:,} rows and "
            f"{rules.MAX_COLUMNS:,} columns", None, None, "file_too_large")
    return row_limit


def _read_part(path: Path, table: Table, sheet: _Sheet, epoch: Any, book: Book | None
               ) -> _Part:
    """One sheet's records: through python-calamine when it can vouch for them, else (or
    without a ``book``) through openpyxl."""
    if book is not None:
        try:
            return _fast_records(path, table, sheet, book)
        except Fallback:
            pass
    return _read_records(path, table, sheet, epoch)


def _fast_records(path: Path, table: Table, sheet: _Sheet, book: Book) -> _Part:
    """:func:`_read_records` through python-calamine (:mod:`~briefkit.data.xlsx_cells`):
    the same records, values and problems, in the same order."""

    assert sheet.head is not None
    head = sheet.head
    _check_declared(sheet)
    part = _Part()
    column_of = {pos: name for name, pos in head.positions.items()}
    start, fills, watch = _merge_plan(path, table, sheet, column_of, part.problems)
    kinds = {pos: table.column(name).kind for name, pos in head.positions.items()}
    wanted = [Wanted(pos, kind, kind in schema.CODE_KINDS) for pos, kind in kinds.items()]
    wanted += [Wanted(pos, None) for pos in watch]
    cells = book.cells(sheet.ws, sheet.title, start, wanted, sheet.top)
    rows = part.rows = cells.rows
    order = {pos: i for i, pos in enumerate(head.positions.values())}
    events: list[tuple[int, int, int, Problem]] = []
    for at, pos, length in cells.long:
        events.append((at, 0, order[pos], too_long(path.name, length, rows[at],
                                                    head.header[pos])))
    for i, (pos, (ref, anchor)) in enumerate(watch.items()):
        if pos in cells.filled:
            at = cells.filled[pos]
            events.append((at, 1, i, _headerless(path, pos, ref, head.header[anchor],
                                                 rows[at])))
    part.problems.extend(p for *_, p in sorted(events, key=lambda e: e[:3]))
    for name, pos in head.positions.items():
        part.values[name] = cells.values[pos]
        if pos in cells.numeric:
            count, (at, v, fmt, text) = cells.numeric[pos]
            part.numeric[name] = (count, (rows[at], v, fmt, text))
    for pos, first, last in fills:
        _fill_down(rows, part.values[column_of[pos]], first, last)
    return part


def _headerless(path: Path, pos: int, ref: str, header: str, row: int) -> Problem:
    """``merged_cells``: the column at ``pos`` holds values but its header is ``header``'s,
    merged over it (range ``ref``)."""
    from openpyxl.utils.cell import get_column_letter

    return problem(
        "merged_cells", path.name,
        f"column {get_column_letter(pos + 1)} holds values but has no header of its own: the "
        f"header {header!r} is merged over {ref}; unmerge it and give each column its own "
        "header", row, header)


def _merge_plan(path: Path, table: Table, sheet: _Sheet, column_of: dict[int, str],
                problems: list[Problem]) -> tuple[int, list[tuple[int, int, int]],
                                                   dict[int, tuple[str, int]]]:
    """From a sheet's merged ranges: the row its records start on; the ranges merged down in
    a read column, to fill (position, first row, last row); the columns that have no header
    because a read column's header is merged over them (position → range, header position),
    whose values are ambiguous. Ambiguous ranges are reported in ``problems``."""
    from openpyxl.utils.cell import get_column_letter

    assert sheet.head is not None
    head = sheet.head
    header_row = head.row

    def ref(m: Merge) -> str:
        return (f"{get_column_letter(m[0])}{m[1]}:{get_column_letter(m[2])}{m[3]}")

    def report(message: str, row: int, pos: int) -> None:
        problems.append(problem("merged_cells", path.name, message, row, head.header[pos]))

    start = header_row + 1
    watch: dict[int, tuple[str, int]] = {}
    for m in sheet.merges:
        c0, r0, c1, r1 = m
        if not r0 <= header_row <= r1 or c0 - 1 not in column_of:
            continue  # (a read column's header cell is never covered: it would be empty)
        if r1 - header_row <= _HEADER_DEPTH:
            start = max(start, r1 + 1)
        else:
            report(f"the header cell is merged down over {ref(m)}, over rows that should "
                   "hold records: unmerge it", header_row + 1, c0 - 1)
        for c in range(c0 + 1, c1 + 1):
            if c - 1 not in column_of:
                watch[c - 1] = (ref(m), c0 - 1)
    fills: list[tuple[int, int, int]] = []
    for m in sheet.merges:
        c0, r0, c1, r1 = m
        if r1 < start or r0 <= header_row:
            continue  # above the records, or the header's own (done above)
        if r0 < start:  # from a sub-header row into the records
            for c in range(c0, c1 + 1):
                if c - 1 in column_of:
                    report(f"this cell is covered by the merged cells {ref(m)}, which start "
                           "in the header rows: unmerge them", start, c - 1)
            continue
        if c0 - 1 in column_of and r1 > r0:
            if table.column(column_of[c0 - 1]).kind == "count":
                report(f"the merged cells {ref(m)} show one count over {r1 - r0 + 1} rows: "
                       "it could count each row or all of them; unmerge the cells and give "
                       "each row its count", r0, c0 - 1)
            else:
                fills.append((c0 - 1, r0, r1))
        for c in range(c0 + 1, c1 + 1):
            if c - 1 in column_of:
                report(f"this cell is covered by the merged cells {ref(m)}, whose value "
                       f"stands in column {get_column_letter(c0)}; whether it belongs to "
                       "this column is ambiguous: unmerge the cells and fill each one",
                       r0, c - 1)
    return start, fills, watch


def _fill_down(rows: list[int], values: list[str | None], first: int, last: int) -> None:
    """A range merged down one column: its top value into every row it covers."""
    at = bisect.bisect_left(rows, first)
    if at == len(rows) or rows[at] != first:
        return  # the top row is not a record (blank): nothing to fill
    end = bisect.bisect_right(rows, last)
    value = values[at]
    for i in range(at + 1, end):
        values[i] = value
