"""Reading CSV files into the raw shape.

The file is read as bytes. A file with more lines than :data:`~briefkit.data.rules.MAX_ROWS`
is refused before anything is parsed (counting newlines is cheap). The bytes must be UTF-8
(with or without BOM); otherwise the first undecodable byte is placed (row and column) and
the likely encoding named. The header row is searched among the first rows with each
accepted separator (:func:`~briefkit.data.raw.find_header`, as for workbooks), so a title
above the table is fine; only those first lines are decoded here. Arrow's CSV reader then
parses the bytes below the header (multi-threaded, only the columns the table uses, every one
as text, UTF-8 checked). Whatever it refuses (a record of another width, a byte that is not
UTF-8, a quote left open) goes to pandas' C parser, which reads short records and places
problems; the whole file is decoded by Python only to place a byte neither could read.

Row numbers are what a spreadsheet shows: rows count records, not lines (a quoted value may
hold line breaks), blank lines and title rows included. When pandas refuses the syntax, the
records are walked once more with the :mod:`csv` module, which says where each one starts,
to name the row (and the column where it can be known); that slower walk only runs then.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from briefkit.data import rules
from briefkit.data.raw import (
    HEADER_SEARCH_ROWS,
    Raw,
    Unreadable,
    clean_header,
    find_header,
    header_problems,
    long_cells,
    map_headers,
)
from briefkit.schema import Table

_SEPARATORS = (",", ";", "\t")
_SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "a tab"}
#: Physical lines the header search reads at most (a stray quote in a title must not make
#: it read the whole file).
_HEAD_LINES = 1_000
_RESAVE = "open it in Excel and save it as 'CSV UTF-8 (Comma delimited)'"


class _Lines(Iterator[str]):
    """The lines of ``text`` from ``pos`` on (ends kept: ``\n``, ``\r\n`` or a lone ``\r``
    as pandas also reads them), noting where the last one read ends: fed to
    :func:`csv.reader`, which reads a line only when a record needs it, ``pos`` after each
    record is where that record ends."""

    def __init__(self, text: str, pos: int = 0, limit: int | None = None):
        self.text, self.pos, self.left = text, pos, limit

    def __next__(self) -> str:
        text, pos = self.text, self.pos
        if pos >= len(text) or self.left == 0:
            raise StopIteration
        newline = text.find("\n", pos)
        end = len(text) if newline < 0 else newline + 1
        cr = text.find("\r", pos, end if newline < 0 else newline - 1)  # a lone CR ends it
        if cr >= 0:
            end = cr + 1
        line, self.pos = text[pos:end], end
        if self.left is not None:
            self.left -= 1
        return line


def _records(text: str, sep: str, limit: int = HEADER_SEARCH_ROWS
             ) -> list[tuple[list[str], int, int]]:
    """The first ``limit`` records (fields, start and end offsets); fewer when the csv
    module cannot go on (a value beyond its field size limit, a NUL character)."""
    lines = _Lines(text, 0, _HEAD_LINES)
    out: list[tuple[list[str], int, int]] = []
    start = 0
    try:
        for fields in csv.reader(lines, delimiter=sep):
            out.append((fields, start, lines.pos))
            start = lines.pos
            if len(out) == limit:
                break
    except csv.Error:
        pass
    return out


def _check_width(records: list[tuple[list[str], int, int]]) -> None:
    limit = rules.MAX_COLUMNS
    for number, (fields, _, _) in enumerate(records, start=1):
        if len(fields) > limit:
            raise Unreadable(
                f"{len(fields):,} columns, more than the {limit:,} a spreadsheet holds "
                f"(the first beyond the limit is column {limit + 1:,})", number,
                clean_header(fields[limit]) or None, "file_too_large")


def _header(text: str, table: Table, whole: bool = True) -> tuple[str, int, list[str], int]:
    """(separator, header row, header, offset where the records below it start): the row
    :func:`~briefkit.data.raw.find_header` picks (every required column, else the most of
    them), with whichever separator splits it so (the most columns, then the earliest row,
    then ``,`` before ``;`` and tab); if no row holds any, the first non-blank row (its
    missing columns are then reported), split as its text says. ``text``: the file's text,
    or (``whole`` false) its first :data:`_HEAD_LINES` lines."""
    best: tuple[tuple[int, int], tuple[str, int, list[str], int]] | None = None
    for sep in _SEPARATORS:
        records = _records(text, sep)
        _check_width(records)
        found = find_header((fields for fields, _, _ in records), table)
        if found is not None:
            number, header, count = found
            if best is None or (-count, number) < best[0]:
                best = (-count, number), (sep, number, header, records[number - 1][2])
    if best is not None:
        return best[1]
    if whole and not text.strip():
        raise Unreadable("the file is empty or its first line (the header) is blank")
    sep = ","
    first = _first_filled(text, _records(text, sep))
    if first is not None and sep not in first[2]:
        sep = next((s for s in _SEPARATORS[1:] if s in first[2]), sep)
        first = _first_filled(text, _records(text, sep))
    if first is None:
        raise Unreadable(f"the first {HEADER_SEARCH_ROWS} rows are blank: no header row found")
    number, fields, _, end = first
    return sep, number, [clean_header(f) for f in fields], end


def _first_filled(text: str, records: list[tuple[list[str], int, int]]
                  ) -> tuple[int, list[str], str, int] | None:
    """(row number, fields, text, end offset) of the first record with a non-blank field."""
    for number, (fields, start, end) in enumerate(records, start=1):
        if any(f.strip() for f in fields):
            return number, fields, text[start:end], end
    return None


def read_csv(path: Path, table: Table) -> Raw:
    """UTF-8 (BOM or not), ``,`` or — if the header only splits that way — ``;`` or tab.

    Only the first lines are decoded here, for the header search; pandas parses the bytes
    below the header and decodes them strictly, so a byte that is not UTF-8 further down
    fails there (and only then is the whole file decoded, to place it)."""
    stamp = _stamp(path)
    data = path.read_bytes()
    _check_lines(data)
    whole = _not_text(data)
    if whole:
        raise Unreadable(whole)
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    cut = bom
    for _ in range(_HEAD_LINES):  # the lines the header search may read, whole
        cut = data.find(b"\n", cut) + 1
        if cut == 0:
            cut = len(data)
            break
    try:
        head = data[bom:cut].decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8(data, table) from None
    sep, header_row, header, start = _header(head, table, cut == len(data))
    body = bom + len(head[:start].encode("utf-8"))
    positions, duplicates = map_headers(header, table)
    columns: dict[int, pd.Series]
    if body >= len(data):
        columns = {pos: pd.Series([], dtype="str") for pos in positions.values()}
        count = 0
    else:
        # Arrow reads the body from the file itself, so the bytes read for the checks above
        # are released first: a 10 M-dossier export is 1.1 GB that need not be held twice.
        del data
        fast = _read_arrow(path, stamp, body, sep, len(header), positions,
                           _coded(positions, table))
        if fast is not None:
            columns, count = fast
        else:
            columns, count = _read_pandas(path.read_bytes(), table, bom, body, start, sep,
                                          header, header_row, positions)
    if count > rules.MAX_ROWS:
        raise Unreadable(f"{count:,} records, more than the {rules.MAX_ROWS:,} a file may "
                         "hold: split it (e.g. one file per year)",
                         header_row + rules.MAX_ROWS + 1, None, "file_too_large")
    rows = np.arange(header_row + 1, header_row + 1 + count)
    problems = header_problems(path, table, header, positions, duplicates, header_row)
    problems += long_cells(path, header, columns, rows)
    return Raw(header, header_row, positions, columns, rows, problems)


def _read_pandas(data: bytes, table: Table, bom: int, body: int, start: int, sep: str,
                 header: list[str], header_row: int, positions: dict[str, int]
                 ) -> tuple[dict[int, pd.Series], int]:
    """The used columns of the body as pandas reads them (blank lines kept, short records
    filled), or the problem that stops it placed at its row and column."""
    handle = io.BytesIO(data)
    handle.seek(body)
    try:
        frame = pd.read_csv(handle, sep=sep, header=None, names=range(len(header)),
                            dtype=str, keep_default_na=False, skip_blank_lines=False,
                            encoding="utf-8", encoding_errors="strict")
    except UnicodeDecodeError:
        raise _not_utf8(data, table) from None
    except (pd.errors.ParserError, ValueError) as exc:
        text = data[bom:].decode("utf-8", errors="replace")
        raise _syntax_error(text, start, sep, header, header_row, exc) from exc
    return {pos: frame[pos] for pos in positions.values()}, len(frame)


def _stamp(path: Path) -> tuple[int, int]:
    """The file's size and modification time: unchanged between the two reads of it."""
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def _coded(positions: dict[str, int], table: Table) -> set[int]:
    """The columns to read as dictionaries (pandas Categoricals, which the loader converts
    once per distinct value): codes, vocabularies, yes/no values, counts and text — few
    distinct values each —, not the table's own single key (every value distinct) nor dates
    (a date-time column has nearly as many distinct values as rows, and dates are parsed
    once per distinct text anyway)."""
    return {pos for name, pos in positions.items()
            if table.unique != (name,) and table.column(name).kind != "date"}


def _read_arrow(path: Path, stamp: tuple[int, int], body: int, sep: str, width: int,
                positions: dict[str, int], coded: set[int]
                ) -> tuple[dict[int, pd.Series], int] | None:
    """The used columns of a well-formed body, parsed by Arrow's CSV reader (multi-threaded,
    only the columns the table uses, text kept as text — the ``coded`` ones as dictionaries
    —: empty cells are "" as pandas gives them with ``keep_default_na=False``); None for
    anything it refuses — a blank line, a record of another width, a byte that is not
    UTF-8, a quote left open — so that the pandas path reads it (blank lines kept, so that
    rows stay spreadsheet rows) or places the problem at its row and column. The body is
    streamed from the file from byte ``body`` on; a file changed since ``stamp`` (its size
    and time when its header was read) is refused."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    wanted = sorted(set(positions.values()))
    dictionary = pa.dictionary(pa.int32(), pa.string())
    try:
        with pa.OSFile(str(path)) as source:
            source.seek(body)
            table = pacsv.read_csv(
                source,
                read_options=pacsv.ReadOptions(column_names=names, encoding="utf8"),
                parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True,
                                                  ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    column_types={names[i]: dictionary if i in coded else pa.string()
                                  for i in wanted},
                    include_columns=[names[i] for i in wanted],
                    strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    if _stamp(path) != stamp:
        raise Unreadable("the file changed while it was being read (is another program "
                         "still writing it?): run again once it is complete")
    columns = {i: _series(table.column(names[i])) for i in wanted}
    return columns, table.num_rows


def _series(column: Any) -> pd.Series:
    """An Arrow text column as pandas text, a dictionary one as a Categorical of text."""
    series: pd.Series = column.to_pandas()
    return series if isinstance(series.dtype, pd.CategoricalDtype) else series.astype("str")


def _check_lines(data: bytes) -> None:
    """Refuse a file with more lines than a header and :data:`MAX_ROWS` records, before
    parsing it (a line has at least one byte, so small files are not even counted)."""
    limit = rules.MAX_ROWS + 1
    if len(data) <= limit:
        return
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if lines > limit:
        raise Unreadable(f"{lines:,} lines, more than a header and the {rules.MAX_ROWS:,} "
                         "records a file may hold: split it (e.g. one file per year)",
                         rule="file_too_large")


# --------------------------------------------------------------------------------------
# Syntax errors: where
# --------------------------------------------------------------------------------------


def _syntax_error(text: str, start: int, sep: str, header: list[str], header_row: int,
                  exc: Exception) -> Unreadable:
    """What pandas refused, at the row (record) where it is: a record with more fields than
    the header, or a quote never closed (at the row and column where it opens)."""
    width = len(header)
    lines = _Lines(text, start)
    row, begin = header_row, start
    last: tuple[int, int, list[str]] | None = None
    try:
        for fields in csv.reader(lines, delimiter=sep):
            row += 1
            if len(fields) > width:
                return Unreadable(
                    f"{len(fields)} fields where the header has {width}; a separator inside "
                    f"an unquoted value? (a value containing {_SEPARATOR_NAMES[sep]} must be "
                    "in double quotes)", row)
            last = (row, begin, fields)
            begin = lines.pos
    except csv.Error:  # a value beyond the csv module's limit (131,072 characters)
        return _open_quote(text, begin, sep, header, row + 1, None)
    if last is not None:
        row, begin, fields = last
        try:
            for _ in csv.reader(_Lines(text, begin), delimiter=sep, strict=True):
                pass
        except csv.Error as err:
            if "unexpected end of data" in str(err):
                return _open_quote(text, begin, sep, header, row, fields)
    return Unreadable(f"CSV syntax error: {exc}")


def _open_quote(text: str, begin: int, sep: str, header: list[str], row: int,
                fields: list[str] | None) -> Unreadable:
    """A quote opening in the record that starts at ``begin`` and not closed (``fields``:
    the record as the csv module read it to the end of the file; None when it gave up on a
    value beyond its limit, then the record's first line says where the value starts)."""
    if fields is None:
        end = text.find("\n", begin)
        # Enough of the line to count the fields before the one the quote opens (the csv
        # module would give up on that value again, were it read whole).
        first = text[begin:end if end >= 0 else len(text)][:100_000].rstrip("\r")
        fields = next(csv.reader([first], delimiter=sep), [""])
        length = None
    else:
        length = len(fields[-1]) if fields else 0
    i = max(len(fields) - 1, 0)
    column = header[i] if i < len(header) and header[i] else None
    where = "" if column else f" (field {i + 1})"
    spans = text.count("\n", begin) + (not text.endswith("\n"))
    lines = f"{spans:,} line" + ("s" if spans != 1 else "")
    if length is None:
        return Unreadable(
            f"a cell longer than a spreadsheet cell holds ({rules.MAX_CELL_CHARS:,} "
            f"characters) starts here{where}: a quote opens in it and is closed only much "
            "further, or never; close the quote or remove it", row, column, "cell_too_long")
    if length > rules.MAX_CELL_CHARS:
        return Unreadable(
            f"a quote opens in this cell{where} and is never closed: the rest of the file "
            f"({lines}) becomes one cell of {length:,} characters, more than a "
            f"spreadsheet cell holds ({rules.MAX_CELL_CHARS:,}); close the quote or remove it",
            row, column, "cell_too_long")
    return Unreadable(
        f"a quote opens in this cell{where} and is never closed: the rest of the file "
        f"({lines}) becomes this one cell; close the quote or remove it", row, column)


# --------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------


def _not_text(data: bytes) -> str | None:
    """Why the whole file is not UTF-8 CSV, told by its first bytes; None if it may be."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ("not UTF-8 text but UTF-16 (Excel's \"Unicode Text\", tab-separated): "
                f"{_RESAVE}")
    if data.startswith(b"PK\x03\x04"):
        return ("not a CSV file but a zip archive, probably an Excel workbook named .csv: "
                "rename it .xlsx, or save it as 'CSV UTF-8 (Comma delimited)'")
    if b"\x00" in data[:4096]:
        return ("not UTF-8 text: it holds NUL bytes (UTF-16 without a byte order mark, or "
                f"not a text file); {_RESAVE}")
    return None


def _not_utf8(data: bytes, table: Table) -> Unreadable:
    """The first byte that is not UTF-8, at its row and column, with the likely encoding."""
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + bom
    else:  # not expected: pandas found what Python's decoder does not
        return Unreadable("not UTF-8 text; save it as 'CSV UTF-8 (Comma delimited)'")
    message = (f"not UTF-8 text: byte {offset:,} (0x{data[offset]:02X}) cannot be read; "
               f"{_encoding_hint(data, offset)}")
    text = data.decode("utf-8-sig", errors="replace")
    try:
        sep, header_row, header, _ = _header(text, table)
    except Unreadable:
        sep, header_row, header = ",", 1, []
    # The bad byte as a placeholder after the text before it: the csv module then tells in
    # which record (row) and field it is, quoted line breaks included.
    before = data[bom:offset].decode("utf-8") + "\ufffd"
    records = 0
    fields: list[str] = []
    try:
        for record in csv.reader(_Lines(before), delimiter=sep):
            records, fields = records + 1, record
    except csv.Error:
        return Unreadable(message)
    i = max(len(fields) - 1, 0)
    if records == header_row:
        message += f" (in the header, field {i + 1})"
    column = header[i] if records > header_row and i < len(header) and header[i] else None
    return Unreadable(message, records, column)


def _encoding_hint(data: bytes, offset: int) -> str:
    """The likely encoding of a file whose byte ``offset`` is the first not UTF-8, and what
    to do, from what precedes it and the 64 KiB from it on.

    Non-ASCII text before it (necessarily UTF-8), or most non-ASCII characters after it
    decodable: a UTF-8 file with a foreign value. Otherwise an 8-bit encoding: TCVN3 (ABC,
    the ``.Vn`` fonts) puts ă â ê ô ơ ư đ and the capitals, and à ả ã á ạ…, on bytes
    0xA1–0xBF, which are rare symbols in the Windows code pages; Windows-1258 and 1252 put
    letters on 0xC0–0xFF (1258 adds combining tone marks)."""
    sample = data[offset:offset + 65_536]
    decoded = sample.decode("utf-8", errors="replace")
    foreign = sum(1 for c in decoded if ord(c) > 127)
    broken = decoded.count("\ufffd")
    if not data[:offset].isascii() or broken * 2 < foreign:
        return ("the file is otherwise UTF-8: a value pasted from another "
                f"encoding, or a damaged file? Correct that cell, or {_RESAVE}")
    high = np.frombuffer(sample, dtype=np.uint8)
    high = high[high >= 0x80]
    tcvn3 = int(((high >= 0xA1) & (high <= 0xBF)).sum())
    if high.size and tcvn3 * 4 >= high.size:
        return ("it looks like TCVN3 (ABC, the .Vn fonts), a pre-Unicode Vietnamese "
                "encoding: convert it to Unicode (e.g. with Unikey's converter, TCVN3 → "
                "Unicode), then save it as 'CSV UTF-8 (Comma delimited)'")
    return ("it looks like an ANSI export (Windows-1258 or Windows-1252), which garbles "
            f"Vietnamese: {_RESAVE}")
