"""Text from the data, as every output shows it: never markup, never a formula, never a control.

A unit's or a procedure's name comes from a portal export, and whatever it holds reaches the
terminal, the HTML and PDF briefings, their charts, the Excel annex and kpis.csv. Two rules,
each defined once here, are applied by each of those writers at the one place where it puts
text into its format:

* **Control characters are shown, not obeyed** (:func:`visible`). C0 controls other than tab
  and line feed (NUL, BEL, ESC, CR …), DEL and the C1 controls (U+0080–U+009F) act on a
  terminal (``ESC [ 31 m`` colours it), and neither they nor U+FFFE, U+FFFF or a lone
  surrogate can be carried by XML: an SVG chart holding one does not parse, openpyxl refuses
  the whole workbook (``IllegalCharacterError``), a PDF would keep them in its text. The
  bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder how
  the text around them is displayed (a name could show as something else than it is). Each is
  written as its Python escape, ``\\x1b`` or ``\\ufffe``, the same in every output (terminal,
  HTML, PDF, charts, annex, kpis.csv), so the name reads the same everywhere and the bad
  character can be found and fixed in the source file. Used by the terminal
  (:func:`briefkit.cli._text`), the HTML blocks (:func:`html_text`), the charts' labels and
  titles, the documents' metadata, the annex's cells and kpis.csv's text cells.
* **Text never becomes a formula** (:func:`is_formula_like`). Text starting with "=", "+",
  "-", "@", a tab or a carriage return is what a spreadsheet interprets when the text is typed
  in or a CSV file is opened (OWASP, "CSV injection"). The annex forces its cells to text and
  sets their quote prefix; CSV has no cell types, so a CSV text cell gets a leading apostrophe
  (:func:`csv_text`): ``=HYPERLINK("http://x","y")`` is written ``'=HYPERLINK("http://x","y")``
  and shown literally, apostrophe included. Numbers are never touched: numeric columns are not
  text, and a text cell that is a plain number ("-5", "+3.5") cannot be a formula either.

HTML's own markup ("<", "&", quotes) is escaped by :func:`html_text`, rich's markup ("[bold]")
by the terminal.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

__all__ = [
    "FORMULA_TRIGGERS",
    "csv_text",
    "html_text",
    "is_formula_like",
    "visible",
]

#: Leading characters that make a spreadsheet interpret typed text (OWASP, "CSV injection").
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: What :func:`visible` writes instead of each character it does not let through.
_SHOWN: dict[int, str] = {
    **{c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))
       if c not in (0x09, 0x0A)},
    **{c: f"\\u{c:04x}" for c in (*range(0xD800, 0xE000), 0xFFFE, 0xFFFF,
                                   *range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}
#: A plain decimal number: text that cannot be a formula even with a leading sign.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def visible(text: str) -> str:
    """``text`` with every control character (but tab and line feed) and every character XML
    cannot carry written as its escape: ``"a\\x1bb"`` → ``"a\\\\x1bb"`` (see the module
    notes). Text without any comes back as it is."""
    return text.translate(_SHOWN)


def is_formula_like(text: str) -> bool:
    """True for text a spreadsheet would interpret if it were typed in (see the module notes)."""
    return text.startswith(FORMULA_TRIGGERS)


def csv_text(value: object) -> str:
    """A text cell of a CSV file briefkit writes: :func:`visible`, and an apostrophe before
    formula-like text that is not a plain number (see the module notes)."""
    text = visible(value if isinstance(value, str) else str(value))
    if is_formula_like(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def html_text(value: Any) -> str:
    """Any value as HTML text: :func:`visible`, then escaped, quotes too (fragments may end up
    in attributes); None is empty."""
    return escape(visible("" if value is None else str(value)), quote=True)
