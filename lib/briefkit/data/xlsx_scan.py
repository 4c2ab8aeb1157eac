"""A workbook's XML read as bytes, for what python-calamine does not tell
(:mod:`~briefkit.data.xlsx_cells` says what and why).

:func:`open_workbook` opens a workbook as openpyxl's ``load_workbook`` (read-only, data only)
does, except for a sheet without a stored dimension (``<dimension ref>``; openpyxl's
write-only mode writes none): openpyxl parses such a sheet whole when the workbook opens,
only to find that it has none (about a third of its reading time). Here expat alone (no
element built) checks that the sheet's XML parses where openpyxl's parser would have parsed
it, and openpyxl's own code runs whenever this cannot decide: the same sheets, dimensions and
errors.

:class:`Scan` is one pass over a sheet's XML with regular expressions (no XML parsing): the
rows present, the number cells of the columns read, and the cells to read again from their
own XML as openpyxl does. :func:`risky_shared` finds the shared texts calamine reads
otherwise than openpyxl.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator
from typing import Any, cast
from xml.etree import ElementTree
from xml.parsers import expat

from briefkit.data import rules

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DEFAULT_NAMESPACE = b'xmlns="' + MAIN + b'"'
#: bytes of a sheet's XML scanned at a time (cut after a row's end)
_CHUNK = 16 << 20

#: Tags openpyxl and calamine may read otherwise than the scan's patterns assume: a cell or
#: row tag not in the form spreadsheet programs write (``r`` first, then ``s`` and ``t``, a
#: row number of at most 7 digits); comments, CDATA, a DOCTYPE (``<!``) are looked for apart.
_ODD_TAGS = (re.compile(rb'<c (?!r="[A-Z]{1,3}[1-9][0-9]{0,6}"(?: s="[0-9]+")?'
                        rb'(?: t="[a-zA-Z]+")?/?>)'),
             re.compile(rb"<c[>/\t\n\r]"),
             re.compile(rb'<row(?:[>/\t\n\r]| (?!r="[1-9][0-9]{0,6}"[ />]))'))
#: Cells to read again from their XML: a text starting with a space calamine would trim (or an
#: entity, maybe a space), a value that is not a plain number (an error, a formula's text, a
#: number Python reads otherwise than calamine).
_ODD_CELLS = (re.compile(rb"<t>[\s&]"), re.compile(rb"<v>(?![\d.eE+-]*</v>)"))
#: A cell of a type calamine reads otherwise (errors, formula texts, ISO dates), or written
#: otherwise than calamine and openpyxl surely agree on (a boolean not 0 or 1, a shared-text
#: index not a number, an inline text not plain or empty).
_TYPED = re.compile(
    rb't="(?:b"(?!><v>[01]</v>)|s"(?!><v>\d+</v>)'
    rb'|inlineStr"(?!><is><t(?: xml:space="preserve")?>[^<][^<]*</t></is>)|e"|str"|d")')
#: a text ending with a space (or an entity) calamine would trim unless it is preserved
_TEXT_END = re.compile(rb"</t>(?<=[\s;]</t>)")
#: a text tag with attributes other than xml:space="preserve"
_TEXT_ATTRIBUTES = re.compile(rb'<t (?!xml:space="preserve">)')
_PRESERVED = b'<t xml:space="preserve">'
#: calamine decodes ``_x00HH_`` in texts (openpyxl keeps it in cells, and in shared texts
#: removes ``x005F_``)
_ESCAPE = b"_x00"
_ROW = re.compile(rb'<row r="(\d+)"[^>]*?(/?)>(\s*<c )?')
_ENCODING = re.compile(rb'^<\?xml[^>]*?encoding=["\']([^"\']*)["\']')
_PREFIXED = re.compile(rb'xmlns:[\w.-]+="' + re.escape(MAIN) + b'"')
#: shared texts: one starting an index (``<si/>``, which calamine skips), a plain text after
#: rich-text runs (openpyxl puts it first, calamine in its place), an escape
_SHARED_ITEM = re.compile(rb"<si[\s/>]")
_SHARED_EMPTY = re.compile(rb"<si\s*/>")
_SHARED_RISKS = re.compile(rb"</r>\s*<t[\s/>]|x005F_|<t>[\s&]")
#: what follows a number cell's tag: ``/>``, or a formula, a value and the end (else: ``end``
#: is empty and openpyxl's parser reads the cell)
_NUMBER_TAIL = rb'(?:(/)>|>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?(?:<v>([^<]*)</v>)?(</c>)?)'
_LETTERS = re.compile(rb'<c r="([A-Z]{2,})')
_ALL_SHARED_CELLS = re.compile(rb'<c r="([A-Z]+)(\d+)"(?: s="\d+")? t="s"><v>(\d+)</v>')
_ALL_LETTERS = re.compile(rb'<c r="([A-Z]+)')
_SHEET_DATA_END = re.compile(rb"</sheetData>|<sheetData\s*/>")


class Fallback(Exception):
    """The fast path cannot vouch for this sheet: openpyxl reads it."""


# ------------------------------------------------------------------------------ opening


def open_workbook(path: Any) -> Any:
    """openpyxl's read-only workbook (data only), as ``load_workbook`` opens it; a sheet
    without a stored dimension is not parsed whole to find none (see the module)."""
    import openpyxl

    if not openpyxl.__version__.startswith("3.1."):  # the reader copied below is 3.1's
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    reader = _reader_class()(path, read_only=True, data_only=True)
    reader.read()
    return reader.wb


@functools.cache
def _reader_class() -> Any:
    from openpyxl.packaging.relationship import get_dependents, get_rels_path
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            if not _without_dimension(self):
                cast(Any, ReadOnlyWorksheet)._get_size(self)

    class Reader(ExcelReader):
        def read_worksheets(self) -> None:
            """openpyxl 3.1's ``read_worksheets`` for a read-only workbook."""
            reader = cast(Any, self)
            for sheet, rel in reader.parser.find_sheets():
                if rel.target not in reader.valid_files:
                    continue
                if "chartsheet" in rel.Type:
                    reader.read_chartsheet(sheet, rel)
                    continue
                rels_path = cast(Any, get_rels_path)(rel.target)
                if rels_path in reader.valid_files:  # as openpyxl: a damaged one raises
                    get_dependents(reader.archive, rels_path)
                ws = Sheet(reader.wb, sheet.name, rel.target, reader.shared_strings)
                ws.sheet_state = sheet.state
                reader.wb._sheets.append(ws)

    return Reader


def _without_dimension(ws: Any) -> bool:
    """True if openpyxl's ``_get_size`` would find no dimension and raise nothing: it parses
    the sheet's XML (16 KiB at a time) up to the end of ``sheetData``, returning the first
    dimension met. Expat checks the same bytes (the part openpyxl would parse); anything
    else (a dimension, a DTD or comment, another namespace, an error) is left to openpyxl."""
    parser = expat.ParserCreate(None, "}")  # as ElementTree's parser: namespaces resolved
    tail = b""
    first = True
    with ws._get_source() as source:
        while data := source.read(16 * 1024):  # ElementTree.iterparse reads 16 KiB at a time
            window = tail + data
            if b"dimension" in window or b"<!" in window:
                return False
            if first:
                start = window.find(b"<sheetData")
                head = window if start < 0 else window[:start]
                if _DEFAULT_NAMESPACE not in head or _PREFIXED.search(head):
                    return False
                first = False
            try:
                parser.Parse(data, False)
            except expat.ExpatError:
                return False
            if _SHEET_DATA_END.search(window):
                return True
            tail = data[-32:]
    return False


# ------------------------------------------------------------------------------ shared texts


def risky_shared(wb: Any) -> set[int]:
    """Indexes of the shared texts calamine reads otherwise than openpyxl (a space trimmed,
    an escape decoded, an empty text); :class:`Fallback` if calamine would number them
    otherwise, or read another table."""
    strings = shared_strings(wb)
    manifest = _manifest(wb)
    found = manifest.find(_content_type("SHARED_STRINGS"))
    part = None if found is None else str(found.PartName[1:])
    workbook = str(_workbook_part(manifest).PartName[1:])
    calamine_part = workbook[: workbook.rfind("/") + 1] + "sharedStrings.xml"
    if part is None:
        if calamine_part in wb._archive.namelist():
            raise Fallback("calamine reads shared texts openpyxl does not")
        return set()
    if part != calamine_part:
        raise Fallback("the shared texts are where calamine does not look")
    data = wb._archive.read(part)
    if b"<!" in data or not plain_xml(data):
        raise Fallback("the shared texts are not plain XML")
    if _SHARED_EMPTY.search(data):
        raise Fallback("an empty shared text calamine would skip")
    risky = {i for i, s in enumerate(strings) if s == ""}
    places = list(risk_positions(data, _SHARED_RISKS))
    if places:
        starts = [m.start() for m in _SHARED_ITEM.finditer(data)]
        if len(starts) != len(strings):
            raise Fallback("shared texts counted otherwise")
        for position in places:
            at = bisect.bisect_right(starts, position) - 1
            if at >= 0:
                risky.add(at)
    return risky


def shared_strings(wb: Any) -> list[str]:
    """The shared texts as openpyxl read them (every read-only sheet holds the list)."""
    for ws in wb.worksheets:
        return cast(list[str], ws._shared_strings)
    return []


def _manifest(wb: Any) -> Any:
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES

    root = ElementTree.fromstring(wb._archive.read(ARC_CONTENT_TYPES))
    return cast(Any, Manifest).from_tree(root)


def _content_type(name: str) -> str:
    from openpyxl.xml import constants

    return cast(str, getattr(constants, name))


def _workbook_part(manifest: Any) -> Any:
    from openpyxl.reader.excel import _find_workbook_part  # type: ignore[attr-defined]

    return _find_workbook_part(manifest)


def plain_xml(data: bytes) -> bool:
    """UTF-8 without a byte-order mark, as spreadsheet programs write it."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:3] == b"\xef\xbb\xbf":
        return False
    m = _ENCODING.match(data)
    return m is None or m.group(1).lower() in (b"utf-8", b"utf8")


def risk_positions(data: bytes, extra: re.Pattern[bytes] | None = None) -> Iterator[int]:
    """Where a text may read otherwise in calamine than in openpyxl: a text not preserved
    ending with a space (or an entity), a text tag with other attributes, ``_x00HH_``."""
    for m in _TEXT_END.finditer(data):
        opener = data.rfind(b"<t", 0, m.start())
        if not data.startswith(_PRESERVED, opener):
            yield m.start()
    for m in _TEXT_ATTRIBUTES.finditer(data):
        yield m.start()
    at = data.find(_ESCAPE)
    while at >= 0:
        yield at
        at = data.find(_ESCAPE, at + 1)
    if extra is not None:
        for m in extra.finditer(data):
            yield m.start()


# ------------------------------------------------------------------------------ the scan


#: (row, column) → the value openpyxl reads there, and the cell's style
Overrides = dict[tuple[int, int], tuple[Any, int]]
#: number cells as found: (column letters, row digits, style, "/" if empty, text, "</c>")
Numbers = list[tuple[bytes, bytes, bytes, bytes, bytes, bytes]]


class Scan:
    """One pass over a sheet's XML: the rows present (``rows``, in file order), the last row
    and column, the number cells of the ``columns`` (0-based; ``numbers``, as found) and
    ``overrides``: the values openpyxl reads in the cells flagged, which calamine may read
    otherwise (``parse_cell(xml)``: a cell's row, column, value and style, as openpyxl
    reads them). Shared texts calamine reads otherwise (``shared``, by index) are flagged in
    the ``columns``, and in every column of the first ``top`` rows (which are compared with
    openpyxl's)."""

    def __init__(self, columns: list[int], shared: set[int], top: int,
                 parse_cell: Callable[[bytes], tuple[int, int, Any, int]]) -> None:
        from openpyxl.utils.cell import column_index_from_string, get_column_letter

        self.shared = shared
        self.parse_cell = parse_cell
        self.rows: list[int] = []
        self.last_row = 0
        self.last_column = 0
        self.overrides: Overrides = {}
        self.numbers: Numbers = []
        self._letters: set[bytes] = set()
        self._seen: set[int] = set()
        self._head = True
        self._column = column_index_from_string
        names = sorted({get_column_letter(pos + 1).encode() for pos in columns},
                       key=lambda s: (-len(s), s))
        alternatives = b"|".join(names)
        self._numbers = re.compile(
            rb'<c r="(' + alternatives + rb')(\d+)"(?: s="(\d+)")?(?: t="n")?'
            + _NUMBER_TAIL) if names else None
        self._shared_cells = re.compile(
            rb'<c r="(' + alternatives + rb')(\d+)"(?: s="\d+")? t="s"><v>(\d+)</v>'
        ) if names and shared else None
        self._top = top if shared else 0
        self._wide = _LETTERS if rules.MAX_COLUMNS > 26 else _ALL_LETTERS

    def run(self, source: Any) -> None:
        tail = b""
        while True:
            chunk = source.read(_CHUNK)
            buf = tail + chunk if tail else chunk
            if not chunk:
                if buf:
                    self._buffer(buf)
                break
            cut = buf.rfind(b"</row>")
            if cut < 0:
                tail = buf
                continue
            cut += len(b"</row>")
            self._buffer(buf[:cut])
            tail = buf[cut:]
        if self._head:
            raise Fallback("no sheet data")
        if any(b <= a for a, b in zip(self.rows, self.rows[1:], strict=False)):
            raise Fallback("rows out of order")
        if self.last_row > min(rules.MAX_ROWS, rules.MAX_SHEET_ROWS):
            raise Fallback("rows beyond the limit")
        columns = [self._column(s.decode()) for s in self._letters]
        self.last_column = max([*columns, 26 if self._wide is _LETTERS else 0])
        if self.last_column > rules.MAX_COLUMNS:
            raise Fallback("columns beyond the limit")

    def _buffer(self, buf: bytes) -> None:
        """A piece of the sheet's XML: whole rows (the first piece: what precedes them)."""
        begin = 0
        if self._head:
            if not plain_xml(buf) or _PREFIXED.search(buf, 0, 4096):
                raise Fallback("the sheet's XML is not written as spreadsheet programs write it")
            begin = buf.find(b"<sheetData")
            if begin < 0 or _DEFAULT_NAMESPACE not in buf[:begin]:
                raise Fallback("no sheet data in the default namespace")
            self._head = False
        if buf.find(b"xmlns", begin) >= 0 or buf.find(b"<!", begin) >= 0:
            raise Fallback("a namespace, comment or CDATA inside the sheet data")
        for pattern in _ODD_TAGS:
            if pattern.search(buf, begin):
                raise Fallback("the sheet's XML is not written as spreadsheet programs write it")
        flagged = [m.start() for pattern in _ODD_CELLS for m in pattern.finditer(buf, begin)]
        flagged.extend(m.start() for m in _TYPED.finditer(buf, begin))
        flagged.extend(risk_positions(buf))
        for number, slash, cells in _ROW.findall(buf, begin):
            n = int(number)
            self.last_row = max(self.last_row, n)
            if cells and not slash:
                self.rows.append(n)
        self._letters.update(self._wide.findall(buf, begin))
        if self._numbers is not None:
            self._number_cells(buf, begin)
        found = self._shared_cells.findall(buf, begin) if self._shared_cells else []
        if self._top:  # the top rows: every column
            end = len(buf)
            for m in _ROW.finditer(buf, begin):
                if int(m.group(1)) > self._top:
                    end = m.start()
                    break
            found += _ALL_SHARED_CELLS.findall(buf, begin, end)
            if end < len(buf):
                self._top = 0
        for letters, digits, index in found:
            if int(index) in self.shared:
                flagged.append(buf.find(b'<c r="' + letters + digits + b'"', begin))
        for position in flagged:
            self._parse_around(buf, position)

    def _number_cells(self, buf: bytes, begin: int) -> None:
        assert self._numbers is not None
        found = self._numbers.findall(buf, begin)
        for letters, digits, *_ in [t for t in found if not (t[5] or t[3]) or b"&" in t[4]]:
            # more in the cell than a value: openpyxl's parser reads it (and it wins)
            self._parse_around(buf, buf.find(b'<c r="' + letters + digits + b'"', begin))
        self.numbers.extend(found)

    def _parse_around(self, buf: bytes, position: int) -> None:
        """The cell holding ``position`` (if any), parsed by openpyxl's cell parser."""
        if position < 0:
            raise Fallback("a cell the scan found and lost")
        start = buf.rfind(b"<c ", 0, position + 3)  # (the position may be the tag's own)
        if start < 0 or start in self._seen:
            return
        close = buf.find(b">", start)
        if close < 0:
            raise Fallback("a cell without its end")
        if buf[close - 1] == 0x2F:  # "/>"
            end = close + 1
        else:
            end = buf.find(b"</c>", close)
            if end < 0:
                raise Fallback("a cell without its end")
            end += 4
        if position >= end:
            return  # not inside a cell
        self._seen.add(start)
        row, column, value, style = self.parse_cell(buf[start:end])
        self.overrides[(row, column)] = (value, style)

