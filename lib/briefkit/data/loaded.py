"""One table file after reading and conversion, with what is needed to name places."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from briefkit.data.rules import problem
from briefkit.problems import Problem
from briefkit.schema import Table


@dataclass
class Loaded:
    """One table file after reading and conversion, with what is needed to name places."""

    table: Table
    path: Path
    frame: pd.DataFrame
    rows: np.ndarray  # user-visible row number of each record of ``frame``
    headers: dict[str, str]  # canonical column → header as written in the file
    header_row: int | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.path.name

    def has(self, column: str) -> bool:
        """Whether the file provides ``column`` (a value check on it makes sense)."""
        return column in self.headers

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def emit(self, rule: str, column: str | None, where: np.ndarray,
             messages: Iterable[str]) -> None:
        """One Problem per offending record (``where``: positions or a boolean mask)."""
        where = np.asarray(where)
        idx = np.flatnonzero(where) if where.dtype == bool else where
        col = None if column is None else self.header(column)
        rows = self.rows[idx].tolist()
        self.problems.extend(
            problem(rule, self.file, msg, row, col)
            for row, msg in zip(rows, messages, strict=True)
        )
