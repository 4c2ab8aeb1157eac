"""What every reader returns: a file's header, its mapped columns as text, the row
number a user sees for each record; and the header mapping shared by the readers."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data import rules
from briefkit.data.rules import problem
from briefkit.problems import Problem
from briefkit.schema import Table

_ZERO_PATTERN = re.compile(r"^(0+)(?:\.(0+))?$")

#: How many rows from the top of a sheet or CSV file are searched for the header row (a
#: title, a date line and blank rows often come first in exports).
HEADER_SEARCH_ROWS = 20


@dataclass
class Raw:
    """A file as read: its header, the mapped columns as text (from Parquet, dates may
    already be datetimes, yes/no values booleans, and text a Categorical) and the
    user-visible row number of each record."""

    header: list[str]
    header_row: int | None
    positions: dict[str, int]  # canonical column → position in ``header``
    columns: dict[int, pd.Series]
    rows: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    #: the sheet of each record, for a table spread over several sheets of a workbook
    #: (problems then name the sheet); None otherwise
    sheets: np.ndarray | None = None


def clean_header(value: Any) -> str:
    return "" if value is None else re.sub(r"\s+", " ", str(value)).strip()


def map_headers(header: Sequence[str], table: Table) -> tuple[dict[str, int], list[str]]:
    """Canonical column → position, and the headers that designate a column twice."""
    index = table.header_index()
    positions: dict[str, int] = {}
    duplicates: list[str] = []
    for pos, text in enumerate(header):
        name = index.get(schema.fold(text)) if text else None
        if name is None:
            continue  # unknown columns are ignored (the contract: "kept but ignored")
        if name in positions:
            duplicates.append(text)
        else:
            positions[name] = pos
    return positions, duplicates


def find_header(rows: Iterable[Sequence[Any]], table: Table
                ) -> tuple[int, list[str], int] | None:
    """(row number, header, how many of the table's required columns it holds) of the first
    of ``rows`` (numbered from 1) holding every required column, else of the (first) row
    holding the most of them (a header with a typo: its missing columns are then reported
    at the right row); None if no row holds any. The readers of workbooks and CSV files pass
    the first :data:`HEADER_SEARCH_ROWS` rows, so a title above the table is fine."""
    required = {c.name for c in table.columns if c.present}
    best: tuple[int, list[str], int] | None = None
    for number, values in enumerate(rows, start=1):
        header = [clean_header(v) for v in values]
        positions, _ = map_headers(header, table)
        found = len(required & positions.keys())
        if found and (best is None or found > best[2]):
            best = (number, header, found)
            if found == len(required):
                break
    return best


def header_problems(path: Path, table: Table, header: Sequence[str], positions: dict[str, int],
                     duplicates: list[str], header_row: int | None) -> list[Problem]:
    out = []
    for text in duplicates:
        name = table.header_index()[schema.fold(text)]
        out.append(problem(
            "duplicate_column", path.name,
            f"column {text!r} designates {name!r}, like column "
            f"{header[positions[name]]!r}; keep only one of them", header_row, text))
    for col in table.columns:
        if col.present and col.name not in positions:
            spellings = ", ".join(repr(a) for a in (col.name, *col.aliases))
            out.append(problem(
                "missing_column", path.name,
                f"required column {col.name!r} is missing (accepted headers: {spellings})",
                header_row, col.name))
    return out


class Unreadable(Exception):
    """A file that cannot be read at all; becomes one problem of ``rule``
    (``unreadable_file`` unless a limit says otherwise), at ``row`` and ``column`` when the
    place is known (the row as a spreadsheet shows it, the header as written)."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None,
                 rule: str = "unreadable_file"):
        super().__init__(message)
        self.row, self.column, self.rule = row, column, rule


def long_cells(path: Path, header: Sequence[str], columns: dict[int, pd.Series],
               rows: np.ndarray) -> list[Problem]:
    """``cell_too_long`` for each text cell of the mapped columns beyond
    :data:`~briefkit.data.rules.MAX_CELL_CHARS`. Vectorised, and cheap: a column stored by
    Arrow (pandas' ``str``) first gives its longest cell in bytes from its offsets alone, and
    characters are only counted (``str.len``) if that is beyond the limit."""
    out = []
    for pos, s in columns.items():
        for i in _long_positions(s, rules.MAX_CELL_CHARS):
            value = str(s.iloc[i])
            lines = value.count("\n")
            hint = (f"; it spans {lines + 1} lines: a quote that opens in this cell and is "
                    "closed only much further (or never)?" if lines else "")
            out.append(too_long(path.name, len(value), int(rows[i]), header[pos], hint))
    return out


def too_long(file: str, length: int, row: int, column: str, hint: str = "") -> Problem:
    """``cell_too_long``: a cell of ``length`` characters, beyond what a spreadsheet holds."""
    return problem(
        "cell_too_long", file,
        f"a cell of {length:,} characters, more than a spreadsheet cell holds "
        f"({rules.MAX_CELL_CHARS:,}){hint}", row, column)


def _long_positions(s: pd.Series, limit: int) -> np.ndarray:
    """Positions of the text cells of ``s`` longer than ``limit`` characters (a Categorical's
    categories are measured, then found in its codes)."""
    import pyarrow.compute as pc

    if isinstance(s.dtype, pd.CategoricalDtype):
        long = _long_positions(pd.Series(s.cat.categories), limit)
        return np.flatnonzero(np.isin(s.cat.codes.to_numpy(), long)) if len(long) else long
    if not (pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s)):
        return np.zeros(0, dtype=np.intp)
    if hasattr(s.array, "__arrow_array__"):  # its own chunks: pa.array would combine them
        longest = pc.max(pc.binary_length(s.array.__arrow_array__())).as_py()
        if longest is None or longest <= limit:  # a character takes at least a byte
            return np.zeros(0, dtype=np.intp)
    lengths = s.str.len().to_numpy(dtype=float, na_value=0)
    return np.flatnonzero(lengths > limit)


def render_number(value: float | int, number_format: str) -> str:
    """The text an Excel number shows in a code column: a plain zero pattern ("000",
    "0.000000") pads as Excel does; otherwise an integer when integral, else the shortest
    repr (``repr`` of a float is the shortest string that round-trips)."""
    m = _ZERO_PATTERN.match(number_format or "")
    if m and math.isfinite(value):
        decimals = len(m.group(2) or "")
        return f"{value:0{len(m.group(1)) + (decimals + 1 if decimals else 0)}.{decimals}f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)
