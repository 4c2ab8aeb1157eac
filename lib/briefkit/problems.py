"""Problems found in input data, and the exception that carries them.

Validation never stops at the first problem: it collects every :class:`Problem`
and raises one :class:`InputError` at the end, so a user fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or suspicious) in one place of one input file.

    ``row`` is the row number a user sees when opening the file: for CSV and XLSX
    the header is row 1 and the first record is row 2; ``None`` when the problem
    concerns the whole file or a whole column. ``sheet`` names the workbook sheet the
    row is on, set only when a table is spread over several sheets (a row number alone
    would then be ambiguous); single-sheet problems read exactly as without it.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    severity: Severity = "error"
    rule: str = ""
    sheet: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.sheet is not None:
            where += f", sheet {self.sheet!r}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Input that cannot be used; carries every error found (warnings travel separately)."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = [p for p in problems if p.severity == "error"]
        super().__init__(summarize(self.problems))


def summarize(problems: list[Problem], per_rule: int = 20) -> str:
    """Human-readable listing, at most ``per_rule`` lines per rule so a file with
    thousands of bad rows still gives a readable message (the full list stays on
    the exception)."""
    lines: list[str] = []
    shown: dict[tuple[str, str], int] = {}
    hidden: dict[tuple[str, str], int] = {}
    for p in problems:
        key = (p.file, p.rule or p.message)
        if shown.get(key, 0) < per_rule:
            shown[key] = shown.get(key, 0) + 1
            lines.append(f"{p.severity}: {p}")
        else:
            hidden[key] = hidden.get(key, 0) + 1
    for (file, rule), n in hidden.items():
        lines.append(f"... and {n} more of the same kind ({rule}) in {file}")
    return "\n".join(lines)
