"""The validation rules (id → severity, meaning) and the Problem each one makes."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from briefkit.problems import Problem, Severity

#: Every validation rule: id → (severity, what it means). Problems carry the id in ``rule``.
#: The largest count an aggregates cell may hold: no unit handles a billion dossiers in a
#: period, and a larger number would wrap around in 64-bit arithmetic.
MAX_COUNT = 1_000_000_000

#: Above this many dossiers a month of its period, an aggregates count is warned about
#: (``implausible_count``): a busy provincial one-stop centre handles a few hundred thousand
#: dossiers a quarter, and the largest province as a whole well under a million a month; so
#: 1,000,000 a month (3,000,000 a quarter, 12,000,000 a year) is beyond any one unit, even a
#: whole province, while a count of 900 million for a ward's quarter is caught.
PLAUSIBLE_COUNT_PER_MONTH = 1_000_000

#: Limits of a data file, checked before its records are converted (a file beyond them is
#: refused at once, not after minutes): Excel's own limits for a cell's text and a sheet's
#: columns, and a record count far beyond any one-stop system's export (issue 10's national
#: scale is a partitioned Parquet dataset, many files).
MAX_CELL_CHARS = 32_767
MAX_COLUMNS = 16_384
MAX_ROWS = 100_000_000
#: The rows an Excel sheet holds (its own limit, as MAX_COLUMNS): a workbook sheet beyond it
#: was not written by a spreadsheet program, and reading up to MAX_ROWS empty rows of a
#: hand-edited one would take minutes.
MAX_SHEET_ROWS = 1_048_576

RULES: dict[str, tuple[Severity, str]] = {
    # errors: the data cannot give correct KPIs
    "missing_folder": ("error", "the data folder does not exist"),
    "missing_file": ("error", "a required table (units, procedures, dossiers) has no file"),
    "ambiguous_file": ("error", "a table exists in two formats (e.g. units.csv and units.xlsx)"),
    "unreadable_file": ("error", "the file cannot be read (encoding, damaged, CSV syntax)"),
    "missing_column": ("error", "a required column is absent"),
    "duplicate_column": ("error", "two headers designate the same column"),
    "merged_cells": ("error", "merged cells (Excel) whose value cannot be told to belong to "
                              "one column or row"),
    "file_too_large": ("error", "a file with more rows or columns than the limits allow "
                                "(MAX_ROWS, MAX_COLUMNS)"),
    "cell_too_long": ("error", "a cell with more text than a spreadsheet cell holds "
                               "(MAX_CELL_CHARS)"),
    "unsupported_type": ("error", "a Parquet column of a type its column cannot be read from "
                                  "(e.g. dates stored as integers, lists, structs)"),
    "empty_value": ("error", "a required value (id, reference, channel, date…) is empty"),
    "duplicate_id": ("error", "an id is used by two rows"),
    "unknown_unit": ("error", "a unit id that units does not define"),
    "unknown_procedure": ("error", "a procedure id that procedures does not define"),
    "parent_cycle": ("error", "following parent_id loops instead of reaching a top unit"),
    "bad_date": ("error", "a date that cannot be read"),
    "resolved_before_received": ("error", "result date before the receipt date"),
    "unknown_channel": ("error", "a channel outside the contract's vocabulary"),
    "bad_boolean": ("error", "a yes/no value that cannot be read"),
    "unknown_level": ("error", "a level other than tinh / huyen / xa"),
    "unknown_online_level": ("error", "an online level other than 2 / 3 / 4"),
    "bad_count": ("error", "an aggregates count that is not a whole number"),
    "negative_count": ("error", "a negative aggregates count"),
    "count_too_large": ("error", "an aggregates count above a billion (MAX_COUNT)"),
    "bad_period": ("error", "an aggregates period that cannot be read"),
    "duplicate_period": ("error", "two aggregates rows for the same unit and period"),
    "form06_identity": ("error", "an aggregates row breaks the Biểu 06 identity"),
    "form06_bound": ("error", "an optional Biểu 06 count exceeds what contains it"),
    "change_cycle": ("error", "following unit_changes from a unit leads back to it"),
    "change_into_former_unit": ("error", "a unit merged into a unit that had already ended"),
    "activity_after_change": ("error", "a former unit with dossiers or aggregates on or after "
                                       "its change's effective date"),
    "case_duplicate_id": ("error", "two unit (or procedure) ids that differ only by letter case "
                                   "or character width"),
    # warnings: suspicious, reported, not blocking
    "due_before_received": ("warning", "due date before the receipt date"),
    "date_out_of_range": ("warning", "a date in the future or before 2000"),
    "level_mismatch": ("warning", "a dossier's procedure is of another level than its unit"),
    "field_mismatch": ("warning", "a dossier's procedure field is not among its unit's fields"),
    "unit_without_data": ("warning", "a unit with neither dossiers nor aggregates"),
    "dossier_aggregate_overlap": ("warning", "dossiers and aggregates cover the same unit+period"),
    "numeric_code": ("warning", "a code column stored as numbers (Excel/Parquet)"),
    "empty_table": ("warning", "a table file without any record"),
    "month_first_dates": ("warning", "day/month/year dates over several months with no day "
                                     "above 12: perhaps written month first"),
    "implausible_count": ("warning", "an aggregates count above PLAUSIBLE_COUNT_PER_MONTH "
                                     "dossiers a month of its period"),
    "unchained_aggregates": ("warning", "an aggregates row whose carried_over is not what the "
                                        "unit's row for the period before left pending"),
    "invisible_character": ("warning", "invisible characters or unusual spaces in an id, "
                                       "removed"),
    "case_duplicate_record": ("warning", "two dossier (or document) ids that differ only by "
                                         "letter case or character width"),
    "hidden_sheet": ("warning", "a hidden workbook sheet holding records of the table (they "
                                "are read)"),
    "garbled_text": ("warning", "text garbled by a legacy encoding (UTF-8 read as "
                                "Windows-1252, TCVN3, VNI)"),
}

#: Rule id for a value that its column's kind cannot read.
BAD_VALUE_RULE: dict[str, str] = {
    "level": "unknown_level",
    "online_level": "unknown_online_level",
    "channel": "unknown_channel",
    "bool": "bad_boolean",
    "date": "bad_date",
}

MAX_ROWS_LISTED = 5


def problem(rule: str, file: str, message: str, row: int | None = None,
             column: str | None = None, sheet: str | None = None) -> Problem:
    """A Problem whose severity comes from :data:`RULES`, so a rule is never both."""
    return Problem(file=file, message=message, row=row, column=column,
                   severity=RULES[rule][0], rule=rule, sheet=sheet)


def rows_text(rows: Sequence[int], sheets: Sequence[str] | None = None) -> str:
    """``rows 2, 5, 9 and 12 more`` — a short listing for grouped warnings; with ``sheets``
    (each row's sheet, when a workbook's table spans several), ``sheet '2022', rows 2, 5;
    sheet '2023', row 9 and 12 more``: a bare row number would not say which sheet."""
    more = len(rows) - MAX_ROWS_LISTED
    tail = f" and {more} more" if more > 0 else ""
    if sheets is None:
        shown = ", ".join(str(r) for r in rows[:MAX_ROWS_LISTED])
        word = "row" if len(rows) == 1 else "rows"
        return f"{word} {shown}{tail}"
    parts = []
    listed = list(zip(sheets[:MAX_ROWS_LISTED], rows[:MAX_ROWS_LISTED], strict=True))
    for sheet, group in itertools.groupby(listed, key=lambda pair: pair[0]):
        numbers = [str(r) for _, r in group]
        word = "row" if len(numbers) == 1 else "rows"
        parts.append(f"sheet {sheet!r}, {word} {', '.join(numbers)}")
    return "; ".join(parts) + tail
