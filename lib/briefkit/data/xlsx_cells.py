"""A sheet's records read through python-calamine, exactly as openpyxl reads them.

openpyxl parses a sheet's XML cell by cell in Python (about 28 s of CPU for 100,000
dossiers); python-calamine parses it in Rust (about 1.3 s), but does not read every cell as
openpyxl does: it gives no number formats (a code stored as 7 with the format ``000`` shows
"007", and openpyxl's path renders it so), converts date cells its own way (another epoch
rule, another rounding of milliseconds, a date for a datetime), gives "" for an empty cell,
an empty text and an error (``#N/A``) alike, trims the spaces of a text not marked
``xml:space="preserve"``, decodes ``_x000D_`` where openpyxl keeps it, and fills the rows
absent from the file. So the sheet's XML is also scanned as bytes (regular expressions over
its text, no XML parsing; about as long as calamine's own read) for what calamine cannot
tell:

* the rows present in the file: openpyxl's records (a row absent from the file is none, a
  row holding only formatted empty cells is one);
* every number cell of the columns the table reads, read from its XML as openpyxl reads it
  (its text, and its style's number format: a date or time format makes it a date, as in
  openpyxl; the others go with it to :func:`~briefkit.data.raw.render_number`);
* the cells calamine reads otherwise than openpyxl: errors, formula texts, ISO dates, texts
  calamine would trim or decode (and the shared texts it would), empty texts, booleans and
  shared-text indexes written unusually, number texts Python reads otherwise. Each is parsed
  from its own XML by openpyxl's cell parser, so it reads as openpyxl reads it.

Calamine's values serve the rest: texts and booleans. As a check of all this, the first
rows (those openpyxl read to find the header) must hold the same texts in calamine as in
openpyxl, but in the cells the scan re-read. Whatever the fast path cannot vouch for raises
:class:`Fallback`, and openpyxl reads the sheet as before (correctness first): XML not
written the way spreadsheet programs write it (a cell or row tag with its attributes in
another order or spelling, a prefixed namespace, comments, CDATA, another encoding), a
shared-text table calamine would number otherwise, rows out of order, a row or column beyond
the limits, a grid too large for calamine's memory, a value in a row absent from the file, a
first row calamine reads otherwise, a value calamine cannot convert, any cell openpyxl's
parser fails on (openpyxl then reports it as it always did).

Not checked (Excel and the libraries that write workbooks never do it): a cell whose
reference names another row than the row holding it, cells out of column order in a row, a
cell written twice in a row.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from xml.etree import ElementTree

from briefkit.data import rules
from briefkit.data.raw import render_number
from briefkit.data.xlsx_scan import (
    MAIN,
    Fallback,
    Numbers,
    Overrides,
    Scan,
    risky_shared,
    shared_strings,
)

__all__ = ["Book", "Cells", "Fallback", "Wanted"]

#: calamine holds a sheet as a dense grid (rows x columns, 32 bytes a cell): beyond this many
#: cells, the sheet is read by openpyxl, which streams
DENSE_CELLS = 40_000_000


@dataclass(frozen=True)
class Wanted:
    """A column the fast path reads: its 0-based position, its kind (None: only watched for
    values, see :func:`~briefkit.data.read_xlsx._merge_plan`), whether it holds codes."""

    pos: int
    kind: str | None
    code: bool = False


@dataclass
class Cells:
    """A sheet's records from ``start`` on, as openpyxl's path reads them: each record's row,
    each read column's texts, the numbers of the code columns (how many, and the first:
    record index, value, number format, text), the texts beyond
    :data:`~briefkit.data.rules.MAX_CELL_CHARS` (record index, position, length) and, for each
    watched column, the record index of its first value."""

    rows: list[int]
    values: dict[int, list[str | None]] = field(default_factory=dict)
    numeric: dict[int, tuple[int, tuple[int, Any, str, str]]] = field(default_factory=dict)
    long: list[tuple[int, int, int]] = field(default_factory=list)
    filled: dict[int, int] = field(default_factory=dict)


class Book:
    """The fast path for one workbook: openpyxl's workbook (read-only, already open: its
    styles, shared texts, epoch and zip archive) and python-calamine's (opened on first use)."""

    def __init__(self, path: Path, wb: Any) -> None:
        from openpyxl.worksheet._reader import WorkSheetParser

        self.path, self.wb = path, wb
        self.epoch = wb.epoch
        self.date_formats: set[int] = set(wb._date_formats)
        self.timedelta_formats: set[int] = set(wb._timedelta_formats)
        self._calamine: Any = None
        self._shared: set[int] | None = None
        self._formats: dict[int, str] = {}
        self._parser: Any = None
        self._parser_class = WorkSheetParser
        self._shared_error: Fallback | None = None

    def close(self) -> None:
        if self._calamine is not None:
            self._calamine.close()
            self._calamine = None

    # ---------------------------------------------------------------------------- styles

    def number_format(self, style: int) -> str:
        """A style's number format, as openpyxl's read-only cell gives it."""
        fmt = self._formats.get(style)
        if fmt is None:
            from openpyxl.cell.read_only import ReadOnlyCell

            cell = cast(Any, ReadOnlyCell)(_StyleHolder(self.wb), 1, 1, None, "n", style)
            fmt = self._formats[style] = str(cell.number_format)
        return fmt

    # ---------------------------------------------------------------------------- reading

    def cells(self, ws: Any, title: str, start: int, wanted: list[Wanted],
              top: list[tuple[Any, ...]]) -> Cells:
        """The records of ``ws`` from row ``start`` on (see the module); :class:`Fallback`
        when the fast path cannot vouch for the sheet."""
        shared = self._risky_shared()
        scan = Scan([w.pos for w in wanted], shared, len(top), self.parse_cell)
        with ws._get_source() as source:
            scan.run(source)
        rows = [n for n in scan.rows if n >= start]
        grid = self._grid(title, scan, start, rows, wanted, top)
        out = Cells(rows)
        index = {n: i for i, n in enumerate(rows)}
        fixed: dict[int, dict[int, tuple[Any, int]]] = {w.pos: {} for w in wanted}
        for (number, column), value in scan.overrides.items():
            at = index.get(number)
            if at is not None and column - 1 in fixed:
                fixed[column - 1][at] = value
        numbers = _numbers(scan.numbers, index, wanted, fixed)
        for w in wanted:
            _Column(self, w, grid[w.pos], numbers[w.pos], fixed[w.pos]).into(out)
        return out

    def _grid(self, title: str, scan: Scan, start: int, rows: list[int],
              wanted: list[Wanted], top: list[tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
        """Calamine's values of the wanted columns, one per record ("" when absent)."""
        import python_calamine

        if scan.last_row * max(scan.last_column, 1) > DENSE_CELLS:
            raise Fallback("the sheet's grid is too large for calamine")
        with _calamine_errors():
            if self._calamine is None:
                self._calamine = python_calamine.CalamineWorkbook.from_path(str(self.path))
            sheet = self._calamine.get_sheet_by_name(title)
        origin = sheet.start
        r0, c0 = origin if origin is not None else (0, 0)
        end = sheet.end
        if end is not None and (end[0] + 1 > max(scan.last_row, 1)
                                or end[1] + 1 > max(scan.last_column, 1)):
            raise Fallback("calamine reads cells beyond the rows and columns of the file")
        width = sheet.width
        inside = [w.pos - c0 for w in wanted if 0 <= w.pos - c0 < width]
        pick: Callable[[list[Any]], tuple[Any, ...]]
        if len(inside) == 1:
            only = inside[0]

            def pick(values: list[Any]) -> tuple[Any, ...]:
                return (values[only],)
        elif inside:
            pick = operator.itemgetter(*inside)
        else:
            def pick(values: list[Any]) -> tuple[Any, ...]:
                return ()
        blank = ("",) * len(inside)
        picked: list[tuple[Any, ...]] = []
        keep = picked.append
        at, count = 0, len(rows)
        compared = [False] * len(top)
        # iter_rows yields the rows before the range's first one as empty rows (the columns
        # start at the range's first one): row i is row i + 1 of the sheet (checked below)
        yielded = 0
        for i, values in enumerate(_calamine_rows(sheet) if origin is not None else ()):
            number = yielded = i + 1
            while at < count and rows[at] < number:
                keep(blank)
                at += 1
            if at < count and rows[at] == number:
                keep(pick(values))
                at += 1
            elif number >= start and values.count("") != len(values):
                raise Fallback(f"calamine reads a value in row {number}, absent from the file")
            if number <= len(top):
                _same_as_openpyxl(top[number - 1], values, c0, number, scan.overrides)
                compared[number - 1] = True
        if origin is not None and yielded != r0 + sheet.height:
            raise Fallback("calamine yields its rows otherwise than this reader assumes")
        picked.extend([blank] * (count - at))
        for number, done in enumerate(compared, start=1):  # top rows beyond calamine's range
            if not done:
                _same_as_openpyxl(top[number - 1], [], c0, number, scan.overrides)
        columns = list(zip(*picked, strict=True)) if picked else [()] * len(inside)
        by_pos = {pos + c0: column for pos, column in zip(inside, columns, strict=True)}
        empty: tuple[Any, ...] = ("",) * count
        return {w.pos: by_pos.get(w.pos, empty) for w in wanted}

    # ---------------------------------------------------------------------------- helpers

    def parse_cell(self, xml: bytes) -> tuple[int, int, Any, int]:
        """(row, column, value, style) of one cell's XML, by openpyxl's own cell parser."""
        if self._parser is None:
            self._parser = cast(Any, self._parser_class)(
                None, shared_strings(self.wb), data_only=True,
                epoch=self.epoch, date_formats=self.date_formats,
                timedelta_formats=self.timedelta_formats)
        try:
            element = ElementTree.fromstring(b'<c xmlns="' + MAIN + b'"' + xml[2:])
            cell = self._parser.parse_cell(element)
        except Exception as exc:  # openpyxl's path then reports it as it always did
            raise Fallback(f"a cell openpyxl may not read: {exc}") from exc
        return int(cell["row"]), int(cell["column"]), cell["value"], int(cell["style_id"] or 0)

    def render_numbers(self, keys: set[tuple[bytes, bytes]], kind: str
                       ) -> dict[tuple[bytes, bytes], tuple[str | None, Any, bool]]:
        """The number cells (style, text) of a column of ``kind``: their text (as
        :func:`render`), value (as openpyxl's cell parser gives it; None for a date, which only
        its text matters of) and whether it is a number read as text. A date (a number in a
        date format, or any number in a date column) in the range of plain dates is computed
        with numpy for all at once, step by step as openpyxl's ``from_excel``."""
        out: dict[tuple[bytes, bytes], tuple[str | None, Any, bool]] = {}
        dates = []
        for key in keys:
            style = int(key[0] or 0)
            date_style = style in self.date_formats
            if key[1] and ((date_style and style not in self.timedelta_formats)
                           or (kind == "date" and not date_style)):
                dates.append(key)
                continue
            value = self.number(key[1], style)
            text, is_number = render(value, kind, style, self)
            out[key] = (text, value, is_number)
        if dates:
            texts = _date_texts([key[1] for key in dates], self.epoch)
            for key, text in zip(dates, texts, strict=True):
                if text is None:  # out of the plain range: openpyxl's own functions
                    style = int(key[0] or 0)
                    value = self.number(key[1], style)
                    text, is_number = render(value, kind, style, self)
                    out[key] = (text, value, is_number)
                else:
                    out[key] = (text, None, False)
        return out

    def number(self, text: bytes, style: int) -> Any:
        """A number cell's value as openpyxl's cell parser gives it (data only)."""
        from openpyxl.utils.datetime import from_excel
        from openpyxl.worksheet._reader import _cast_number  # type: ignore[attr-defined]

        if not text:
            return None
        try:
            value = _cast_number(text.decode("ascii"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise Fallback(f"a number openpyxl may not read: {text!r}") from exc
        if style in self.date_formats:
            try:
                value = from_excel(value, self.epoch,
                                   timedelta=style in self.timedelta_formats)
            except (OverflowError, ValueError):
                value = "#VALUE!"
        return value

    def _risky_shared(self) -> set[int]:
        """Indexes of the shared texts calamine reads otherwise than openpyxl (trimmed,
        decoded, empty...); :class:`Fallback` if it would number them otherwise."""
        if self._shared_error is not None:
            raise self._shared_error
        if self._shared is None:
            try:
                self._shared = risky_shared(self.wb)
            except Fallback as exc:
                self._shared_error = exc
                raise
        return self._shared


@contextlib.contextmanager
def _calamine_errors() -> Iterator[None]:
    """Calamine's errors (a damaged file, a value it cannot convert: a Rust panic, which
    Python sees as a BaseException) as :class:`Fallback`: openpyxl then reads the sheet, and
    reports what it reported."""
    try:
        yield
    except Fallback:
        raise
    except Exception as exc:
        raise Fallback(f"calamine: {exc}") from exc
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        raise Fallback(f"calamine: {exc}") from exc


def _calamine_rows(sheet: Any) -> Iterator[list[Any]]:
    rows = iter(sheet.iter_rows())
    while True:
        with _calamine_errors():
            values = next(rows, None)
        if values is None:
            return
        yield values


def _numbers(found: Numbers, index: dict[int, int], wanted: list[Wanted],
             fixed: dict[int, dict[int, tuple[Any, int]]]
             ) -> dict[int, list[tuple[int, tuple[bytes, bytes]]]]:
    """The number cells of each wanted column among the records: (record index, (style,
    text)), but those parsed whole (``fixed``, which wins)."""
    from openpyxl.utils.cell import get_column_letter

    by_digits = {str(n).encode(): i for n, i in index.items()}
    out: dict[int, list[tuple[int, tuple[bytes, bytes]]]] = {w.pos: [] for w in wanted}
    lists = {get_column_letter(w.pos + 1).encode(): (out[w.pos], fixed[w.pos]) for w in wanted}
    for letters, digits, style, _, text, _ in found:
        at = by_digits.get(digits)
        if at is not None:
            cells, parsed = lists[letters]
            if at not in parsed:
                cells.append((at, (style, text)))
    return out


class _StyleHolder:
    """The little of a worksheet a ReadOnlyCell needs for its number format."""

    def __init__(self, wb: Any) -> None:
        self.parent = wb


#: a cell calamine gives as neither text nor boolean, which the scan must have read
_UNREAD = object()


class _Column:
    """One column of the records: calamine's texts and booleans, the scan's numbers and
    cells parsed whole, rendered as openpyxl's path renders them (see :func:`render`)."""

    def __init__(self, book: Book, wanted: Wanted, values: tuple[Any, ...],
                 numbers: list[tuple[int, tuple[bytes, bytes]]],
                 fixed: dict[int, tuple[Any, int]]) -> None:
        self.book, self.wanted, self.values = book, wanted, values
        self.numbers, self.fixed = numbers, fixed

    def into(self, out: Cells) -> None:
        w, book = self.wanted, self.book
        if w.kind is None:  # watched: the first record holding a value
            first = self._first_value()
            if first is not None:
                out.filled[w.pos] = first
            return
        kind = w.kind
        values = self.values
        texts: list[Any] = [(v or None) if type(v) is str else ("true" if v else "false")
                            if type(v) is bool else _UNREAD for v in values]
        limit = rules.MAX_CELL_CHARS
        long: dict[int, int] = {}
        if max((len(v) for v in values if type(v) is str), default=0) > limit:
            long = {i: len(v) for i, v in enumerate(values) if type(v) is str and len(v) > limit}
        numeric: dict[int, tuple[Any, int, str]] = {}
        rendered = book.render_numbers({key for _, key in self.numbers}, kind)
        for at, key in self.numbers:
            text, value, is_number = rendered[key]
            texts[at] = text
            if long:
                long.pop(at, None)
            if is_number and w.code:
                numeric[at] = (value, int(key[0] or 0), text or "")
        for at, (value, style) in self.fixed.items():
            text, is_number = render(value, kind, style, book)
            texts[at] = text
            long.pop(at, None)
            if isinstance(value, str) and len(value) > limit:
                long[at] = len(value)
            numeric.pop(at, None)
            if is_number and w.code:
                numeric[at] = (value, style, text or "")
        if _UNREAD in texts:
            raise Fallback("calamine gives a value the scan did not read")
        out.values[w.pos] = texts
        out.long.extend((at, w.pos, length) for at, length in long.items())
        if numeric:
            at = min(numeric)
            value, style, text = numeric[at]
            out.numeric[w.pos] = (len(numeric), (at, value, book.number_format(style), text))

    def _first_value(self) -> int | None:
        """The record index of the first value (openpyxl's: neither None nor "")."""
        candidates = [at for at, (value, _) in self.fixed.items() if value not in (None, "")]
        for i, v in enumerate(self.values):  # a number cell holds a value in both or neither
            if v != "" and i not in self.fixed:
                candidates.append(i)
                break
        return min(candidates) if candidates else None


def _date_texts(texts: list[bytes], epoch: Any) -> list[str | None]:
    """``from_excel(float(t), epoch).isoformat(sep=" ")`` for each number text, computed with
    numpy in the same steps (``divmod(v, 1)``, milliseconds ``round(fraction * 86400 *
    1000)``, half to even), for the values between the 1900 leap-year bug and the year 9999
    (None for the others, which openpyxl's functions compute)."""
    import datetime as _dt

    import numpy as np

    # from the first day after the 1900 leap-year bug (openpyxl shifts the days before it)
    # or, in the 1904 system, the epoch's second day (before it: a time of day)
    low = float(max((_dt.datetime(1900, 3, 1) - epoch).days, 1))
    high = float((_dt.datetime(9999, 12, 31) - epoch).days)
    v = np.array([_float(t) for t in texts], dtype=np.float64)
    ok = (v >= low) & (v < high)
    day = np.floor(np.where(ok, v, low))
    fraction = np.where(ok, v, low) - day
    ms = np.round(fraction * 86400.0 * 1000.0)
    stamp = (np.datetime64(epoch.replace(microsecond=0), "ms")
             + day.astype(np.int64).astype("timedelta64[D]")
             + ms.astype(np.int64).astype("timedelta64[ms]"))
    strings = np.datetime_as_string(stamp, unit="ms").tolist()
    return [(s[:10] + " " + s[11:19] if s.endswith(".000") else s[:10] + " " + s[11:] + "000")
            if good else None for s, good in zip(strings, ok.tolist(), strict=True)]


def _float(text: bytes) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")  # not a plain date: openpyxl's functions tell


def render(v: Any, kind: str, style: int, book: Book) -> tuple[str | None, bool]:
    """A cell's value as openpyxl's path renders it (``_read_records`` in
    :mod:`~briefkit.data.read_xlsx`), and whether it is a number rendered as text."""
    import datetime as _dt

    from openpyxl.utils.datetime import from_excel

    if v is None:
        return None, False
    if isinstance(v, str):
        return v, False
    if isinstance(v, bool):
        return ("true" if v else "false"), False
    if isinstance(v, _dt.datetime | _dt.date):
        return (v.isoformat(sep=" ") if isinstance(v, _dt.datetime) else v.isoformat()), False
    if isinstance(v, int | float):
        if kind == "date":
            try:
                return from_excel(v, book.epoch).isoformat(sep=" "), False
            except (ValueError, OverflowError, TypeError):
                return str(v), False
        return render_number(v, book.number_format(style)), True
    return str(v), False


def _same_as_openpyxl(expected: tuple[Any, ...], values: list[Any], c0: int, number: int,
                      parsed: Overrides) -> None:
    """One of the top rows (which openpyxl read to find the header) as calamine reads it:
    where calamine reads a text, openpyxl reads the same text (or nothing for an empty one),
    but in the cells the scan has parsed as openpyxl does: a check that the scan flags every
    text calamine reads otherwise, and that calamine reads the same sheet."""
    for c in range(max(len(expected), c0 + len(values))):
        a = expected[c] if c < len(expected) else None
        b = values[c - c0] if 0 <= c - c0 < len(values) else ""
        if type(b) is str and a != b and not (a is None and b == "") \
                and (number, c + 1) not in parsed:  # (numbers are the scan's)
            raise Fallback(f"calamine reads row {number} otherwise than openpyxl")
