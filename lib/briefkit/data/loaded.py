"""One table file after reading and conversion, with what is needed to name places."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from briefkit.data.factorized import factorize
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
    #: the sheet of each record of ``frame`` when the table is spread over several sheets
    #: of a workbook (problems then name it), else None
    sheets: np.ndarray | None = None

    @property
    def file(self) -> str:
        return self.path.name

    def has(self, column: str) -> bool:
        """Whether the file provides ``column`` (a value check on it makes sense)."""
        return column in self.headers

    def codes(self, column: str) -> tuple[np.ndarray, pd.Index]:
        """``pd.factorize`` of a column of the frame (codes, -1 for missing; the distinct
        values), computed once per column (:mod:`briefkit.data.factorized`): the cross-table
        checks read the dossiers' unit and procedure ids several times, and the KPI counts
        read them again."""
        return factorize(self.frame[column])

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def emit(self, rule: str, column: str | None, where: np.ndarray,
             messages: Iterable[str]) -> None:
        """One Problem per offending record (``where``: positions or a boolean mask)."""
        idx = self._positions(where)
        col = None if column is None else self.header(column)
        rows = self.rows[idx].tolist()
        sheets = [None] * len(rows) if self.sheets is None else self.sheets[idx].tolist()
        self.problems.extend(
            problem(rule, self.file, msg, row, col, sheet)
            for row, sheet, msg in zip(rows, sheets, messages, strict=True)
        )

    def places(self, where: np.ndarray) -> list[str]:
        """How a message points at other records: ``row 5``, or ``sheet '2022', row 5`` when
        the table is spread over several sheets."""
        idx = self._positions(where)
        rows = self.rows[idx].tolist()
        if self.sheets is None:
            return [f"row {r}" for r in rows]
        return [f"sheet {s!r}, row {r}" for s, r in zip(self.sheets[idx].tolist(), rows,
                                                         strict=True)]

    @staticmethod
    def _positions(where: np.ndarray) -> np.ndarray:
        where = np.asarray(where)
        return np.flatnonzero(where) if where.dtype == bool else where
