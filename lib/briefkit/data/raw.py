"""What every reader returns: a file's header, its mapped columns as text, the row
number a user sees for each record; and the header mapping shared by the readers."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data.rules import problem
from briefkit.problems import Problem
from briefkit.schema import Table

_ZERO_PATTERN = re.compile(r"^(0+)(?:\.(0+))?$")


@dataclass
class Raw:
    """A file as read: its header, the mapped columns as text (dates may already be
    datetimes from Parquet) and the user-visible row number of each record."""

    header: list[str]
    header_row: int | None
    positions: dict[str, int]  # canonical column → position in ``header``
    columns: dict[int, pd.Series]
    rows: np.ndarray
    problems: list[Problem] = field(default_factory=list)


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
    """A file that cannot be read at all; becomes one ``unreadable_file`` problem."""


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
