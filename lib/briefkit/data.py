"""Reading and validating an input folder (data contract v1).

The loader turns whatever real exports look like (CSV with or without BOM, ``;``-separated
CSV, Excel workbooks with any sheet name and codes stored as numbers, Parquet; Vietnamese
or portal headers, day-first dates, "Có"/"x" booleans…) into the canonical frames the KPI
code relies on, and it refuses data that would give wrong KPIs.

Design choices, and why:

* **Everything is text first.** CSV is read with ``dtype=str``; Excel numbers in code
  columns are rendered back to the text the user sees (``007``, ``1.001600``). Codes keep
  their leading zeros and conversions are explicit, per column kind, in one place
  (:mod:`briefkit.schema` says which column is which kind).
* **Collect, then raise once.** Every check runs over whole columns (boolean masks), and a
  :class:`~briefkit.problems.Problem` is built only for offending rows, naming the file as
  the user has it, the row as a spreadsheet shows it and the header as written in the file.
  :func:`load_dataset` raises a single :class:`~briefkit.problems.InputError` with all of
  them, so a user fixes a folder in one pass.
* **No guessing on dates.** Explicit formats are tried one after another on the cells not
  parsed yet; ``03/04/2022`` is the 3rd of April, always.

Row numbers: CSV and XLSX rows are what a spreadsheet shows (header row 1, first record row
2; for XLSX the actual sheet row, so a header found below a title row is accounted for).
Parquet has no header row: ``row`` is the record index + 1 (first record = row 1).
"""

from __future__ import annotations

import datetime as _dt
import io
import itertools
import math
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.problems import InputError, Problem, Severity
from briefkit.schema import Table

__all__ = ["RULES", "Dataset", "find_files", "load_dataset", "read_table", "validate"]

#: Every validation rule: id → (severity, what it means). Problems carry the id in ``rule``.
#: The largest count an aggregates cell may hold: no unit handles a billion dossiers in a
#: period, and a larger number would wrap around in 64-bit arithmetic.
MAX_COUNT = 1_000_000_000

RULES: dict[str, tuple[Severity, str]] = {
    # errors: the data cannot give correct KPIs
    "missing_folder": ("error", "the data folder does not exist"),
    "missing_file": ("error", "a required table (units, procedures, dossiers) has no file"),
    "ambiguous_file": ("error", "a table exists in two formats (e.g. units.csv and units.xlsx)"),
    "unreadable_file": ("error", "the file cannot be read (encoding, damaged, CSV syntax)"),
    "missing_column": ("error", "a required column is absent"),
    "duplicate_column": ("error", "two headers designate the same column"),
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
    # warnings: suspicious, reported, not blocking
    "due_before_received": ("warning", "due date before the receipt date"),
    "date_out_of_range": ("warning", "a date in the future or before 2000"),
    "level_mismatch": ("warning", "a dossier's procedure is of another level than its unit"),
    "field_mismatch": ("warning", "a dossier's procedure field is not among its unit's fields"),
    "unit_without_data": ("warning", "a unit with neither dossiers nor aggregates"),
    "dossier_aggregate_overlap": ("warning", "dossiers and aggregates cover the same unit+period"),
    "numeric_code": ("warning", "a code column stored as numbers (Excel/Parquet)"),
    "empty_table": ("warning", "a table file without any record"),
}

#: Rule id for a value that its column's kind cannot read.
_BAD_VALUE_RULE: dict[str, str] = {
    "level": "unknown_level",
    "online_level": "unknown_online_level",
    "channel": "unknown_channel",
    "bool": "bad_boolean",
    "date": "bad_date",
}

#: The time zone of tz-aware timestamps' wall clock (Parquet): the data is Vietnamese.
LOCAL_TZ = "Asia/Ho_Chi_Minh"

_NS_MIN = np.datetime64("1678-01-01", "us")
_NS_MAX = np.datetime64("2261-12-31", "us")
_MAX_ROWS_LISTED = 5
_HEADER_SEARCH_ROWS = 20
_ZERO_PATTERN = re.compile(r"^(0+)(?:\.(0+))?$")


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """The canonical input tables (see the module and :mod:`briefkit.schema`).

    Text and id columns hold Python ``str`` values (pandas 3 default ``str`` dtype; a missing
    optional value is its NA, which ``pd.isna`` recognises; codes such as ``"007"`` stay text),
    levels are ``tinh``/``huyen``/``xa``, channels ``truc_tiep``/``truc_tuyen``/``buu_chinh``,
    ``procedures.online_level`` is ``int8`` (2, 3, 4), dates are ``datetime64[ns]`` at
    midnight (``resolved_at`` NaT while open), booleans numpy ``bool``, aggregates counts
    ``Int64``. Optional tables absent from the folder are empty frames with their columns.
    """

    units: pd.DataFrame
    procedures: pd.DataFrame
    dossiers: pd.DataFrame
    aggregates: pd.DataFrame
    documents: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    #: from_unit_id, to_unit_id, effective_date (see :mod:`briefkit.kpis.changes`); empty
    #: without a unit_changes file.
    unit_changes: pd.DataFrame = field(
        default_factory=lambda: _empty_frame(schema.UNIT_CHANGES))


def load_dataset(folder: str | Path, *, today: _dt.date | None = None) -> Dataset:
    """Read and validate a data folder.

    Raises :class:`InputError` carrying every error found (and nothing else for bad data);
    warnings are returned on :attr:`Dataset.warnings`. ``today`` (default: the current date)
    is what "a date in the future" is measured against; tests pin it.
    """
    frames, files, problems = _run(Path(folder), today)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return Dataset(
        units=frames["units"],
        procedures=frames["procedures"],
        dossiers=frames["dossiers"],
        aggregates=frames["aggregates"],
        documents=frames["documents"],
        files=files,
        warnings=[p for p in problems if p.severity == "warning"],
        unit_changes=frames["unit_changes"],
    )


def validate(folder: str | Path, *, today: _dt.date | None = None) -> list[Problem]:
    """Every error and warning for a data folder; never raises for bad data."""
    return _run(Path(folder), today)[2]


def read_table(path: str | Path, table: str, *, today: _dt.date | None = None) -> pd.DataFrame:
    """One file as its canonical frame: aliases resolved, types converted, file-level checks
    done (no cross-table references). Raises :class:`InputError` if the file has errors;
    warnings are dropped (use :func:`validate` on a folder to see them)."""
    if table not in schema.TABLES:
        raise ValueError(f"unknown table {table!r}; one of {', '.join(schema.TABLES)}")
    path = Path(path)
    loaded = _load(path, schema.TABLES[table], _today(today))
    if any(p.severity == "error" for p in loaded.problems):
        raise InputError(loaded.problems)
    return loaded.frame


# --------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------


def _problem(rule: str, file: str, message: str, row: int | None = None,
             column: str | None = None) -> Problem:
    """A Problem whose severity comes from :data:`RULES`, so a rule is never both."""
    return Problem(file=file, message=message, row=row, column=column,
                   severity=RULES[rule][0], rule=rule)


def _rows_text(rows: Sequence[int]) -> str:
    """``rows 2, 5, 9 and 12 more`` — a short listing for grouped warnings."""
    shown = ", ".join(str(r) for r in rows[:_MAX_ROWS_LISTED])
    more = len(rows) - _MAX_ROWS_LISTED
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {shown}" + (f" and {more} more" if more > 0 else "")


@dataclass
class _Loaded:
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
            _problem(rule, self.file, msg, row, col)
            for row, msg in zip(rows, messages, strict=True)
        )


# --------------------------------------------------------------------------------------
# Reading: each format ends in the same raw shape (header + text columns + row numbers)
# --------------------------------------------------------------------------------------


@dataclass
class _Raw:
    """A file as read: its header, the mapped columns as text (dates may already be
    datetimes from Parquet) and the user-visible row number of each record."""

    header: list[str]
    header_row: int | None
    positions: dict[str, int]  # canonical column → position in ``header``
    columns: dict[int, pd.Series]
    rows: np.ndarray
    problems: list[Problem] = field(default_factory=list)


def _clean_header(value: Any) -> str:
    return "" if value is None else re.sub(r"\s+", " ", str(value)).strip()


def _map_headers(header: Sequence[str], table: Table) -> tuple[dict[str, int], list[str]]:
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


def _header_problems(path: Path, table: Table, header: Sequence[str], positions: dict[str, int],
                     duplicates: list[str], header_row: int | None) -> list[Problem]:
    out = []
    for text in duplicates:
        name = table.header_index()[schema.fold(text)]
        out.append(_problem(
            "duplicate_column", path.name,
            f"column {text!r} designates {name!r}, like column "
            f"{header[positions[name]]!r}; keep only one of them", header_row, text))
    for col in table.columns:
        if col.present and col.name not in positions:
            spellings = ", ".join(repr(a) for a in (col.name, *col.aliases))
            out.append(_problem(
                "missing_column", path.name,
                f"required column {col.name!r} is missing (accepted headers: {spellings})",
                header_row, col.name))
    return out


def _read(path: Path, table: Table) -> _Raw:
    """Dispatch on the file suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, table)
    if suffix == ".xlsx":
        return _read_xlsx(path, table)
    if suffix == ".parquet":
        return _read_parquet(path, table)
    raise _Unreadable(f"unsupported file type {path.suffix!r}; use .csv, .xlsx or .parquet")


class _Unreadable(Exception):
    """A file that cannot be read at all; becomes one ``unreadable_file`` problem."""


def _read_csv(path: Path, table: Table) -> _Raw:
    """UTF-8 (BOM or not), ``,`` or — if the header only splits that way — ``;`` or tab."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Unreadable(
            f"not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' "
            "(Windows-1258/ANSI exports garble Vietnamese)") from exc
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise _Unreadable("the file is empty or its first line (the header) is blank")
    sep = ","
    if "," not in first_line:
        sep = next((s for s in (";", "\t") if s in first_line), ",")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str,
                            keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise _Unreadable(f"CSV syntax error: {exc}") from exc
    header = [_clean_header(h) for h in frame.iloc[0].tolist()]
    positions, duplicates = _map_headers(header, table)
    body = frame.iloc[1:].reset_index(drop=True)
    columns = {pos: body[pos] for pos in positions.values()}
    # Record i (0-based) sits on spreadsheet row i + 2: blank lines are kept as records
    # (and dropped later) precisely so that this holds.
    rows = np.arange(2, len(body) + 2)
    problems = _header_problems(path, table, header, positions, duplicates, 1)
    return _Raw(header, 1, positions, columns, rows, problems)


def _render_number(value: float | int, number_format: str) -> str:
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


def _excel_header(rows: Iterable[tuple[Any, ...]], table: Table) -> tuple[int, list[str]] | None:
    """(row number, header) of the first row among the first rows of a sheet that holds
    every required column; None if no row does."""
    required = {c.name for c in table.columns if c.present}
    for number, values in enumerate(rows, start=1):
        header = [_clean_header(v) for v in values]
        positions, _ = _map_headers(header, table)
        if required <= positions.keys():
            return number, header
    return None


def _read_xlsx(path: Path, table: Table) -> _Raw:
    """The first sheet whose header row (searched in the first rows, so a title above the
    table is fine) holds the table's required columns; else the first sheet and its first
    non-empty row, whose missing columns are then reported."""
    import openpyxl
    from openpyxl.utils.datetime import from_excel

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _Unreadable(f"cannot open the workbook: {exc}") from exc
    try:
        if not wb.worksheets:
            raise _Unreadable("the workbook has no sheet")
        found = None
        for ws in wb.worksheets:
            ws.reset_dimensions()  # some writers store wrong dimensions; read every cell
            head = _excel_header(
                itertools.islice(ws.iter_rows(values_only=True), _HEADER_SEARCH_ROWS), table)
            if head is not None:
                found = (ws, *head)
                break
        if found is None:
            ws = wb.worksheets[0]
            for number, row_values in enumerate(ws.iter_rows(values_only=True), start=1):
                if any(v not in (None, "") for v in row_values):
                    found = (ws, number, [_clean_header(v) for v in row_values])
                    break
            else:
                raise _Unreadable(f"sheet {ws.title!r} is empty")
        ws, header_row, header = found
        positions, duplicates = _map_headers(header, table)
        kinds = {pos: table.column(name).kind for name, pos in positions.items()}
        values: dict[int, list[str | None]] = {pos: [] for pos in kinds}
        numeric: dict[int, list[tuple[int, Any, str, str]]] = {pos: [] for pos in kinds}
        rows: list[int] = []
        epoch = wb.epoch
        # Reading a workbook is inherently cell by cell (openpyxl yields cells); this is the
        # only per-record loop of the loader, and it only renders cells to text.
        for number, cells in enumerate(ws.iter_rows(min_row=header_row + 1),
                                       start=header_row + 1):
            rows.append(number)
            width = len(cells)
            for pos, kind in kinds.items():
                cell = cells[pos] if pos < width else None
                v = None if cell is None else cell.value
                if v is None or isinstance(v, str):
                    values[pos].append(v)
                elif isinstance(v, bool):
                    values[pos].append("true" if v else "false")
                elif isinstance(v, _dt.datetime | _dt.date):
                    values[pos].append(v.isoformat(sep=" ") if isinstance(v, _dt.datetime)
                                       else v.isoformat())
                elif isinstance(v, int | float):
                    if kind == "date":
                        try:
                            values[pos].append(from_excel(v, epoch).isoformat(sep=" "))
                        except (ValueError, OverflowError, TypeError):
                            values[pos].append(str(v))
                    else:
                        fmt = cell.number_format if cell is not None else "General"
                        text = _render_number(v, fmt)
                        values[pos].append(text)
                        if kind in schema.CODE_KINDS:
                            numeric[pos].append((number, v, fmt, text))
                else:
                    values[pos].append(str(v))
    finally:
        wb.close()
    problems = _header_problems(path, table, header, positions, duplicates, header_row)
    for pos, found_cells in numeric.items():
        if found_cells:
            number, v, fmt, text = found_cells[0]
            problems.append(_problem(
                "numeric_code", path.name,
                f"column {header[pos]!r} is stored as numbers in Excel ({len(found_cells)} cells, "
                f"first in row {number}: {v!r} read as {text!r} using number format {fmt!r}); "
                "leading zeros or trailing decimal zeros may be lost: format the column as Text",
                number, header[pos]))
    columns = {pos: pd.Series(vals, dtype="str") for pos, vals in values.items()}
    return _Raw(header, header_row, positions, columns, np.asarray(rows, dtype=np.int64),
                problems)


def _read_parquet(path: Path, table: Table) -> _Raw:
    """Parquet keeps native types: timestamps stay datetimes, the rest is rendered as text
    (numbers in code columns with a ``numeric_code`` warning). Rows are record index + 1."""
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas(date_as_object=False)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError… for damaged files
        raise _Unreadable(f"cannot read the Parquet file: {exc}") from exc
    frame = frame.reset_index(drop=True)
    header = [_clean_header(h) for h in frame.columns]
    positions, duplicates = _map_headers(header, table)
    problems = _header_problems(path, table, header, positions, duplicates, None)
    columns: dict[int, pd.Series] = {}
    for name, pos in positions.items():
        s = frame.iloc[:, pos]
        kind = table.column(name).kind
        if kind == "date" and pd.api.types.is_datetime64_any_dtype(s):
            columns[pos] = s
            continue
        if (kind in schema.CODE_KINDS and pd.api.types.is_numeric_dtype(s)
                and not pd.api.types.is_bool_dtype(s)):
            problems.append(_problem(
                "numeric_code", path.name,
                f"column {header[pos]!r} has a numeric type ({s.dtype}); codes are read as "
                "text without leading zeros: store codes as strings", None, header[pos]))
        columns[pos] = _series_as_text(s)
    rows = np.arange(1, len(frame) + 1)
    return _Raw(header, None, positions, columns, rows, problems)


def _series_as_text(s: pd.Series) -> pd.Series:
    """A native (Parquet) column as text the way a user would have written it."""
    if pd.api.types.is_bool_dtype(s):
        return s.map({True: "true", False: "false"}).astype("str")
    if pd.api.types.is_integer_dtype(s):
        return s.astype("Int64").astype("str").where(s.notna())
    if pd.api.types.is_float_dtype(s):
        integral = s.notna() & (s % 1 == 0)
        if integral.sum() == s.notna().sum():
            return s.astype("Int64").astype("str").where(s.notna())
        codes, uniques = pd.factorize(s)
        rendered = np.array([_render_number(float(u), "General") for u in uniques] + [None],
                            dtype=object)
        return pd.Series(rendered[codes], index=s.index, dtype="str")
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d %H:%M:%S").astype("str")
    return s.map(lambda v: v if v is None or isinstance(v, str) else str(v),
                 na_action="ignore").astype("str")


# --------------------------------------------------------------------------------------
# Conversion by column kind: text in, (canonical values, {rule: bad mask}) out
# --------------------------------------------------------------------------------------


def _text(s: pd.Series) -> pd.Series:
    """Stripped text, empty → NA (datetime columns from Parquet pass through)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    s = s.astype("str").str.strip()
    return s.where(s != "")


def _nfc(text: pd.Series) -> pd.Series:
    """Text in NFC: a decomposed "Phường" (macOS, some exports) must equal its NFC twin.
    Only non-ASCII cells need it, and normalising is per cell, so it is done on those only."""
    odd = (~text.str.isascii()).fillna(False).to_numpy(dtype=bool)
    if not odd.any():
        return text
    out = text.copy()
    out[odd] = text[odd].str.normalize("NFC")
    return out


def _vocabulary(text: pd.Series, vocab: dict[str, object]) -> tuple[np.ndarray, np.ndarray]:
    """Values through a folded vocabulary, computed once per distinct spelling."""
    codes, uniques = pd.factorize(text)
    mapped = np.array([vocab.get(schema.fold(str(u))) for u in uniques] + [None], dtype=object)
    values = mapped[codes]  # code -1 (missing) picks the trailing None
    bad = (codes >= 0) & np.equal(values, np.array(None))
    return values, bad


def _parse_date_texts(texts: pd.Series) -> np.ndarray:
    """datetime64[D] of distinct date texts (NaT where unreadable).

    The cell is split into a date part and an optional time part (after a space or ``T``).
    The time is checked against :data:`schema.TIME_PATTERN` and dropped; each format of
    :data:`schema.DATE_FORMATS` is tried, vectorised, on the date parts no earlier format
    could read. Dates outside datetime64[ns]'s range (years like 0022) are unreadable.
    """
    if texts.empty:
        return np.array([], dtype="datetime64[D]")
    parts = texts.str.replace("T", " ", n=1, regex=False).str.split(
        " ", n=1, expand=True, regex=False)
    day = parts[0]
    time_ok = np.ones(len(texts), dtype=bool)
    if parts.shape[1] > 1:
        clock = parts[1].str.strip()
        time_ok = (clock.isna() | clock.str.fullmatch(schema.TIME_PATTERN)).fillna(False) \
            .to_numpy(dtype=bool)
    day_codes, day_uniques = pd.factorize(day)
    values = np.asarray(day_uniques, dtype=object)
    parsed = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    todo = np.ones(len(values), dtype=bool)
    for fmt in schema.DATE_FORMATS:
        idx = np.flatnonzero(todo)
        if not len(idx):
            break
        attempt = pd.to_datetime(pd.Series(values[idx], dtype="str"), format=fmt,
                                 errors="coerce").to_numpy(dtype="datetime64[us]")
        ok = ~np.isnat(attempt) & (attempt >= _NS_MIN) & (attempt <= _NS_MAX)
        parsed[idx[ok]] = attempt[ok].astype("datetime64[D]")
        todo[idx[ok]] = False
    out = np.append(parsed, np.datetime64("NaT"))[day_codes]
    out[~time_ok] = np.datetime64("NaT")
    return out


def _parse_dates(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Dates at midnight (datetime64[ns]) and the mask of unreadable cells.

    Text is parsed once per distinct value (a date column has few), see
    :func:`_parse_date_texts`. Native datetimes (Parquet) are only truncated to the day,
    tz-aware ones first taken to Vietnamese wall-clock time.
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
        days = s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        return pd.Series(days.astype("datetime64[ns]"), index=s.index), np.zeros(len(s), bool)
    codes, uniques = pd.factorize(s)
    parsed = _parse_date_texts(pd.Series(np.asarray(uniques, dtype=object), dtype="str"))
    days = np.append(parsed, np.datetime64("NaT"))[codes]
    bad = (codes >= 0) & np.isnat(days)
    return pd.Series(days.astype("datetime64[ns]"), index=s.index), bad


def _convert(kind: str, text: pd.Series) -> tuple[pd.Series, dict[str, np.ndarray], np.ndarray]:
    """(canonical values, {rule: mask of bad values}, mask of missing values) for a column
    already through :func:`_text`."""
    if kind in schema.NULL_MARKER_KINDS and not pd.api.types.is_datetime64_any_dtype(text):
        text = text.where(~text.isin(schema.NULL_MARKERS))
    missing = text.isna().to_numpy()
    if kind == "date":
        values, bad = _parse_dates(text)
        return values, {"bad_date": bad}, missing
    if kind in ("id", "text", "period"):
        return _nfc(text), {}, missing
    if kind == "count":
        number = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = ~missing & ~(np.isfinite(number) & (np.mod(number, 1) == 0))
            negative = ~missing & ~bad & (number < 0)
            huge = ~missing & ~bad & (number > MAX_COUNT)  # before int64 could wrap it
        ok = ~missing & ~bad & ~negative & ~huge
        counts = pd.array(np.where(ok, number, 0).astype(np.int64), dtype="Int64")
        counts[~ok] = pd.NA
        return pd.Series(counts, index=text.index), \
            {"bad_count": bad, "negative_count": negative, "count_too_large": huge}, missing
    mapped, bad = _vocabulary(text, schema.VOCABULARIES[kind])
    rule = _BAD_VALUE_RULE[kind]
    if kind == "bool":
        return pd.Series(mapped == True, index=text.index, dtype=bool), {rule: bad}, missing  # noqa: E712
    if kind == "online_level":
        levels = pd.Series(mapped, index=text.index, dtype="Int8")
        if not levels.isna().any():
            levels = levels.astype("int8")
        return levels, {rule: bad}, missing
    return pd.Series(mapped, index=text.index, dtype="str"), {rule: bad}, missing


def _default(kind: str, n: int) -> pd.Series:
    """The value of an optional column the file does not have."""
    if kind == "bool":
        return pd.Series(np.zeros(n, dtype=bool))
    if kind == "date":
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    if kind == "count":
        return pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
    if kind == "online_level":
        return pd.Series(pd.array([pd.NA] * n, dtype="Int8"))
    return pd.Series([None] * n, dtype="str")


def _empty_frame(table: Table) -> pd.DataFrame:
    """A table with no file: its columns with their canonical dtypes, no rows."""
    return pd.DataFrame({c.name: _default(c.kind, 0) for c in table.columns})


def _bad_message(kind: str, value: str) -> str:
    if kind == "date":
        return (f"cannot read date {value!r} (expected 14/03/2022, 2022-03-14, "
                "with or without a time, or an Excel date)")
    if kind == "count":
        return f"count {value!r} is not a whole number"
    noun = {"level": "level", "online_level": "online level", "channel": "channel",
            "bool": "yes/no value"}[kind]
    return f"unknown {noun} {value!r}; expected {schema.VOCABULARY_HINTS[kind]}"


# --------------------------------------------------------------------------------------
# One file: read, convert, file-level checks
# --------------------------------------------------------------------------------------


def _load(path: Path, table: Table, today: pd.Timestamp) -> _Loaded:
    """Read and convert one file, with every check that needs only this file."""
    try:
        raw = _read(path, table)
    except Exception as exc:  # a file we cannot read is the user's problem, not a crash
        # Damaged workbooks and Parquet files fail in many ways, deep inside openpyxl or
        # pyarrow; whatever the cause, the user gets one readable problem, not a traceback.
        reason = str(exc) if isinstance(exc, _Unreadable) else \
            f"cannot read the file ({type(exc).__name__}: {exc})"
        loaded = _Loaded(table, path, _empty_frame(table), np.zeros(0, np.int64), {}, None)
        loaded.problems.append(_problem("unreadable_file", path.name, reason))
        return loaded

    # Records blank in every column of the table (blank lines, trailing formatted rows in
    # Excel) are not records: drop them, keeping the others' row numbers.
    texts = {pos: _text(s) for pos, s in raw.columns.items()}
    blank = np.full(len(raw.rows), bool(texts), dtype=bool)
    for s in texts.values():
        blank &= s.isna().to_numpy()
    keep = ~blank
    rows = raw.rows[keep]
    headers = {name: raw.header[pos] for name, pos in raw.positions.items()}
    loaded = _Loaded(table, path, pd.DataFrame(), rows, headers, raw.header_row,
                     list(raw.problems))

    out: dict[str, pd.Series] = {}
    for col in table.columns:
        pos = raw.positions.get(col.name)
        if pos is None:
            out[col.name] = _default(col.kind, len(rows))
            continue
        series = texts[pos][keep].reset_index(drop=True)
        values, bad, missing = _convert(col.kind, series)
        out[col.name] = values
        if col.filled and missing.any():
            loaded.emit("empty_value", col.name, missing,
                        [f"{col.name} is empty; a value is required"] * int(missing.sum()))
        raw_values = series.to_numpy(dtype=object)
        for rule, mask in bad.items():
            if mask.any():
                if rule == "negative_count":
                    msgs = [f"count {v!r} is negative" for v in raw_values[mask]]
                elif rule == "count_too_large":
                    msgs = [f"count {v!r} is beyond {MAX_COUNT:,}: no unit handles that many "
                            "dossiers in a period" for v in raw_values[mask]]
                else:
                    msgs = [_bad_message(col.kind, str(v)) for v in raw_values[mask]]
                loaded.emit(rule, col.name, mask, msgs)
    loaded.frame = pd.DataFrame(out)

    if len(rows) == 0:
        loaded.problems.append(_problem(
            "empty_table", path.name, f"{table.name} has no records"))
    _check_unique(loaded)
    _check_dates(loaded, today)
    if table.name == "aggregates":
        _check_aggregates(loaded)
    return loaded


def _check_unique(loaded: _Loaded) -> None:
    """Duplicate keys, naming the row that used the key first."""
    key = list(loaded.table.unique)
    if not key or not all(loaded.has(k) for k in key):
        return
    frame = loaded.frame[key].copy()
    if "period" in key:
        frame["period"] = _parse_periods(frame["period"]).spec
    valid = frame.notna().all(axis=1).to_numpy()
    dup = frame.duplicated(keep="first").to_numpy() & valid
    if not dup.any():
        return
    position = pd.Series(np.arange(len(frame)))
    first = position.groupby([frame[k] for k in key], dropna=True).transform("first")
    first_rows = loaded.rows[first[dup].to_numpy(dtype=np.int64)]  # NA keys are not in dup
    shown = loaded.frame[key].to_numpy(dtype=object)[dup]
    if len(key) == 1:
        rule, column = "duplicate_id", key[0]
        msgs = [f"{key[0]} {v[0]!r} is already used in row {r}"
                for v, r in zip(shown, first_rows, strict=True)]
    else:
        rule, column = "duplicate_period", "period"
        msgs = [f"unit {v[0]!r} already has a row for period {v[1]!r} (row {r})"
                for v, r in zip(shown, first_rows, strict=True)]
    loaded.emit(rule, column, dup, msgs)


def _check_dates(loaded: _Loaded, today: pd.Timestamp) -> None:
    """Date orders within a record (schema.DateOrder) and implausible dates."""
    frame = loaded.frame
    for order in loaded.table.date_orders:
        if not (loaded.has(order.later) and loaded.has(order.earlier)):
            continue
        later, earlier = frame[order.later], frame[order.earlier]
        bad = (later < earlier).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            msgs = [f"{loaded.header(order.later)} {lv:%d/%m/%Y} is before "
                    f"{loaded.header(order.earlier)} {ev:%d/%m/%Y}"
                    for lv, ev in zip(later[bad], earlier[bad], strict=True)]
            loaded.emit(order.rule, order.later, bad, msgs)
    earliest = pd.Timestamp(schema.EARLIEST_PLAUSIBLE_YEAR, 1, 1)
    for col in loaded.table.columns:
        if col.kind != "date" or not loaded.has(col.name):
            continue
        values = frame[col.name]
        latest = today + pd.Timedelta(days=col.future_days)
        early = (values < earliest).to_numpy(dtype=bool)
        late = (values > latest).to_numpy(dtype=bool)
        if early.any():
            loaded.emit("date_out_of_range", col.name, early,
                        [f"date {v:%d/%m/%Y} is before {schema.EARLIEST_PLAUSIBLE_YEAR}; a typo?"
                         for v in values[early]])
        if late.any():
            what = "in the future" if not col.future_days else \
                f"more than {col.future_days} days in the future"
            loaded.emit("date_out_of_range", col.name, late,
                        [f"date {v:%d/%m/%Y} is {what} (today is {today:%d/%m/%Y})"
                         for v in values[late]])


@dataclass
class _Periods:
    """Aggregates periods parsed with :func:`briefkit.periods.parse_period` (calendar), one
    entry per record; ``error`` is None where the period is readable."""

    spec: pd.Series  # canonical spec ("2022 q1" → "2022Q1"), NA where unreadable
    start: np.ndarray  # datetime64[ns], NaT where unreadable
    end: np.ndarray
    error: np.ndarray  # object: the ValueError message, or None


def _parse_periods(periods: pd.Series) -> _Periods:
    """Parse each distinct period once (a file has a handful) and spread to the records."""
    from briefkit.periods import parse_period

    codes, uniques = pd.factorize(periods)
    k = len(uniques)
    spec = np.full(k + 1, None, dtype=object)
    start = np.full(k + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
    end = start.copy()
    error = np.full(k + 1, None, dtype=object)
    for i, text in enumerate(uniques):
        try:
            period = parse_period(str(text))
        except ValueError as exc:
            error[i] = str(exc)
            continue
        spec[i], start[i], end[i] = period.spec, period.start, period.end
    return _Periods(pd.Series(spec[codes], index=periods.index, dtype="str"),
                    start[codes], end[codes], error[codes])


def _check_aggregates(loaded: _Loaded) -> None:
    """Readable periods, then the Biểu 06 identity and bounds on complete rows."""
    frame = loaded.frame
    if loaded.has("period"):
        reason = _parse_periods(frame["period"]).error
        bad = ~np.equal(reason, np.array(None)) & frame["period"].notna().to_numpy()
        if bad.any():
            loaded.emit("bad_period", "period", bad,
                        [f"cannot read period {p!r}: {r}"
                         for p, r in zip(frame["period"][bad], reason[bad], strict=True)])

    def term(names: Sequence[str], mask: np.ndarray) -> Callable[[int], str]:
        heads = [loaded.header(n) for n in names]
        cols = frame[list(names)].to_numpy(dtype=object)[mask]
        sums = cols.sum(axis=1) if len(names) else []

        def text(i: int) -> str:
            parts = " + ".join(f"{h} {int(v)}" for h, v in zip(heads, cols[i], strict=True))
            return f"{parts} = {int(sums[i])}" if len(names) > 1 else parts
        return text

    for rule_set, rule in ((schema.FORM06_IDENTITIES, "form06_identity"),
                           (schema.FORM06_BOUNDS, "form06_bound")):
        for r in rule_set:
            names = [*r.left, *r.right]
            if not all(loaded.has(n) for n in names):
                continue
            complete = frame[names].notna().all(axis=1).to_numpy()
            left = frame[list(r.left)].sum(axis=1, skipna=False)
            right = frame[list(r.right)].sum(axis=1, skipna=False)
            broken = (left != right) if r.op == "==" else (left > right)
            mask = complete & broken.fillna(False).to_numpy(dtype=bool)
            if not mask.any():
                continue
            lhs, rhs = term(r.left, mask), term(r.right, mask)
            sign = "≠" if r.op == "==" else ">"
            what = "identity" if r.op == "==" else "bound"
            msgs = [f"Biểu 06 {what} {r.label!r} broken: {lhs(i)} {sign} {rhs(i)}"
                    for i in range(int(mask.sum()))]
            loaded.emit(rule, None if r.op == "==" else r.left[0], mask, msgs)


# --------------------------------------------------------------------------------------
# The folder: find files, load each, cross-table checks
# --------------------------------------------------------------------------------------


def _today(today: _dt.date | None) -> pd.Timestamp:
    return pd.Timestamp(today if today is not None else _dt.date.today()).normalize()


def find_files(folder: str | Path) -> tuple[dict[str, Path], list[Problem]]:
    """The data files of a folder, without reading them: table name → file; a missing
    folder, missing required tables and ambiguous ones are problems."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}, [_problem("missing_folder", str(folder),
                             f"data folder {str(folder)!r} does not exist")]
    return _find_files(folder)


def _find_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Table name → file; missing required tables and ambiguous ones are problems."""
    found: dict[str, list[Path]] = {name: [] for name in schema.TABLES}
    others: dict[str, list[Path]] = {name: [] for name in schema.TABLES}
    for path in sorted(folder.iterdir()):
        stem = path.stem.casefold()
        if stem in found and path.is_file():
            (found if path.suffix.lower() in schema.FORMATS else others)[stem].append(path)
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    for name, table in schema.TABLES.items():
        paths = found[name]
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            problems.append(_problem(
                "ambiguous_file", paths[0].name,
                f"table {name!r} is given {len(paths)} times ({names}); keep one file"))
        elif paths:
            files[name] = paths[0]
        elif table.required:
            hint = ""
            if others[name]:
                hint = f" ({', '.join(p.name for p in others[name])} is not a supported format)"
            problems.append(_problem(
                "missing_file", f"{name}.csv",
                f"required table {name!r} not found in {folder}: expected {name}.csv, "
                f"{name}.xlsx or {name}.parquet{hint}"))
    return files, problems


def _run(folder: Path, today: _dt.date | None
         ) -> tuple[dict[str, pd.DataFrame], dict[str, Path], list[Problem]]:
    """Load everything, check everything; frames are only meaningful without errors."""
    frames = {name: _empty_frame(t) for name, t in schema.TABLES.items()}
    if not folder.is_dir():
        return frames, {}, [_problem("missing_folder", str(folder),
                                     f"data folder {str(folder)!r} does not exist")]
    now = _today(today)
    files, problems = _find_files(folder)
    loaded = {name: _load(path, schema.TABLES[name], now) for name, path in files.items()}
    for item in loaded.values():
        frames[item.table.name] = item.frame
    _check_references(loaded)
    _check_hierarchy(loaded)
    _check_dossier_fit(loaded)
    _check_coverage(loaded)
    _check_unit_changes(loaded)
    for item in loaded.values():
        problems.extend(item.problems)
    return frames, files, problems


def _check_references(loaded: dict[str, _Loaded]) -> None:
    """Every reference (schema.Reference) resolves, where both ends were readable."""
    for source in loaded.values():
        for ref in source.table.references:
            target = loaded.get(ref.table)
            if target is None or not target.has(ref.target) or not source.has(ref.column):
                continue
            values = source.frame[ref.column]
            known = target.frame[ref.target].dropna()
            bad = (values.notna() & ~values.isin(known)).to_numpy()
            if bad.any():
                noun = ref.table[:-1]
                msgs = [f"{ref.column} {v!r}: no such {noun} in {target.file}"
                        for v in values[bad]]
                source.emit(ref.rule, ref.column, bad, msgs)


def _check_hierarchy(loaded: dict[str, _Loaded]) -> None:
    """parent_id chains must end at a top unit: a loop would make roll-ups endless."""
    units = loaded.get("units")
    if units is None or not units.has("parent_id") or not units.has("unit_id"):
        return
    ids, parents = units.frame["unit_id"], units.frame["parent_id"]
    n = len(ids)
    first = pd.Series(np.arange(n), index=ids.to_numpy(dtype=object))
    first = first[~first.index.duplicated() & first.index.notna()]
    pointer = parents.map(first).fillna(-1).to_numpy(dtype=np.int64)
    # Pointer doubling: after k rounds a row points 2**k generations up; past n generations
    # only rows caught in (or below) a loop still point anywhere.
    for _ in range(max(1, int(np.ceil(np.log2(n + 1))) + 1)):
        pointer = np.where(pointer >= 0, pointer[np.maximum(pointer, 0)], -1)
    bad = pointer >= 0
    if bad.any():
        units.emit("parent_cycle", "parent_id", bad,
                   [f"unit {u!r}: following {units.header('parent_id')} loops "
                    f"(through {p!r}) instead of reaching a top-level unit"
                    for u, p in zip(ids[bad], parents[bad], strict=True)])


def _check_dossier_fit(loaded: dict[str, _Loaded]) -> None:
    """Dossiers whose procedure is not of the unit's level, or not in the unit's fields:
    one warning per (unit, procedure) pair, naming its rows, not one per dossier."""
    dossiers, units, procs = (loaded.get(n) for n in ("dossiers", "units", "procedures"))
    if dossiers is None or units is None or procs is None:
        return
    d = dossiers.frame[["unit_id", "procedure_id"]].copy()
    d["row"] = dossiers.rows
    u = units.frame[["unit_id", "level", "fields"]].drop_duplicates("unit_id").dropna(
        subset=["unit_id"])
    p = procs.frame[["procedure_id", "level", "field"]].drop_duplicates("procedure_id").dropna(
        subset=["procedure_id"])
    m = d.merge(u, on="unit_id", how="inner").merge(
        p, on="procedure_id", how="inner", suffixes=("_unit", "_proc"))
    if m.empty:
        return

    def emit(rule: str, mask: pd.Series, describe: Callable[[dict[Hashable, Any]], str]) -> None:
        hits = m[mask.fillna(False).to_numpy(dtype=bool)].sort_values("row")
        if hits.empty:
            return
        groups = hits.groupby(["unit_id", "procedure_id"], sort=False)
        first = groups.first().reset_index()
        rows = groups["row"].agg(list).to_list()
        # one Problem per (unit, procedure) pair, not per dossier
        for info, listed in zip(first.to_dict("records"), rows, strict=True):
            dossiers.problems.append(_problem(
                rule, dossiers.file,
                f"{describe(info)} for unit {info['unit_id']!r}, procedure "
                f"{info['procedure_id']!r} ({len(listed)} dossier(s): {_rows_text(listed)})",
                listed[0], dossiers.header("procedure_id")))

    if units.has("level") and procs.has("level"):
        emit("level_mismatch",
             m["level_unit"].notna() & m["level_proc"].notna()
             & (m["level_unit"] != m["level_proc"]),
             lambda r: f"procedure of level {r['level_proc']!r} at a unit of level "
                       f"{r['level_unit']!r}")
    if units.has("fields") and procs.has("field"):
        allowed = u.dropna(subset=["fields"]).assign(
            field_key=lambda f: f["fields"].str.split(";")).explode("field_key")
        allowed["field_key"] = allowed["field_key"].map(schema.fold, na_action="ignore")
        allowed = allowed[["unit_id", "field_key"]].drop_duplicates().assign(allowed=True)
        codes, uniques = pd.factorize(m["field"])
        m["field_key"] = np.array([schema.fold(str(x)) for x in uniques] + [None],
                                  dtype=object)[codes]
        found = m[["unit_id", "field_key"]].merge(allowed, how="left", on=["unit_id", "field_key"])
        has_fields = m["unit_id"].isin(allowed["unit_id"]) & m["field"].notna()
        emit("field_mismatch", has_fields & found["allowed"].isna().to_numpy(),
             lambda r: f"field {r['field']!r} is not among the unit's fields "
                       f"({r['fields']!r})")


def _check_coverage(loaded: dict[str, _Loaded]) -> None:
    """Units without any data; units with both dossiers and aggregates for a period."""
    units, dossiers, aggregates = (loaded.get(n) for n in ("units", "dossiers", "aggregates"))
    if units is None or dossiers is None or not units.has("unit_id"):
        return
    ids = units.frame["unit_id"]
    with_data = set(dossiers.frame["unit_id"].dropna())
    if aggregates is not None:
        with_data |= set(aggregates.frame["unit_id"].dropna())
    # A unit that is some unit's parent gets its figures from the roll-up of its children.
    parents = set(units.frame["parent_id"].dropna())
    idle = (ids.notna() & ~ids.isin(with_data) & ~ids.isin(parents)).to_numpy()
    if idle.any():
        units.emit("unit_without_data", "unit_id", idle,
                   [f"unit {v!r} has no dossiers and no aggregates: its KPIs will be empty"
                    for v in ids[idle]])

    if aggregates is None or aggregates.frame.empty or dossiers.frame.empty:
        return
    d = dossiers.frame
    # A unit's dossier data spans from its first receipt to its last result (open dossiers:
    # forever, they are carried over); aggregates periods meeting that span overlap.
    last = d["resolved_at"].where(d["resolved_at"].notna(), pd.Timestamp.max.normalize())
    last = last.where(last >= d["received_at"], d["received_at"])
    span = pd.DataFrame({"unit_id": d["unit_id"], "first": d["received_at"], "last": last}) \
        .dropna().groupby("unit_id").agg(first=("first", "min"), last=("last", "max"))
    a = aggregates.frame[["unit_id", "period"]]
    periods = _parse_periods(a["period"])
    first = a["unit_id"].map(span["first"]).to_numpy(dtype="datetime64[ns]")
    last_day = a["unit_id"].map(span["last"]).to_numpy(dtype="datetime64[ns]")
    overlap = (first <= periods.end) & (last_day >= periods.start)  # NaT compares False
    if overlap.any():
        aggregates.emit(
            "dossier_aggregate_overlap", "period", overlap,
            [f"unit {u!r} also has dossier records reaching into period {p!r}: the dossier "
             "data wins and this aggregates row is not used for that period"
             for u, p in zip(a["unit_id"][overlap], a["period"][overlap], strict=True)])


def _check_unit_changes(loaded: dict[str, _Loaded]) -> None:
    """unit_changes: no loop (A → B → A), no merger into a unit that had already ended, and
    no dossier received (no aggregates period ending) on or after a former unit's change:
    its figures would belong to two units. Unknown units are reference errors; a unit merged
    twice is a duplicate ``from_unit_id``."""
    changes = loaded.get("unit_changes")
    if changes is None or changes.frame.empty or not (
            changes.has("from_unit_id") and changes.has("to_unit_id")):
        return
    frame = changes.frame
    usable = (frame["from_unit_id"].notna() & frame["to_unit_id"].notna()).to_numpy()
    firsts = ~frame["from_unit_id"].duplicated().to_numpy() & usable
    successor = dict(zip(frame["from_unit_id"][firsts], frame["to_unit_id"][firsts],
                         strict=True))
    ends = dict(zip(frame["from_unit_id"][firsts], frame["effective_date"][firsts],
                    strict=True))

    froms = [str(u) for u in frame["from_unit_id"].astype(object)]
    cycle_rows: list[int] = []
    cycle_msgs: list[str] = []
    for i in np.flatnonzero(firsts).tolist():
        start = froms[i]
        path, unit = [start], successor[start]
        while unit in successor and unit != start and len(path) <= len(successor):
            path.append(unit)
            unit = successor[unit]
        if unit == start:
            cycle_rows.append(i)
            cycle_msgs.append(f"unit {start!r} comes back to itself through "
                              f"{changes.header('to_unit_id')}: "
                              f"{' → '.join([*path, start])}; a change must lead to a unit "
                              "that goes on")
    if cycle_rows:
        changes.emit("change_cycle", "to_unit_id", np.array(cycle_rows, dtype=np.int64),
                     cycle_msgs)
    cyclic = {froms[i] for i in cycle_rows}

    if changes.has("effective_date"):
        target_end = frame["to_unit_id"].map(ends)
        early = (usable & ~frame["from_unit_id"].isin(cyclic).to_numpy()
                 & (target_end < frame["effective_date"]).fillna(False).to_numpy(dtype=bool))
        if early.any():
            changes.emit("change_into_former_unit", "effective_date", early, [
                f"{t!r} itself ended on {e:%d/%m/%Y}, so {f!r} cannot become part of it on "
                f"{d:%d/%m/%Y}" for f, t, d, e in zip(
                    frame["from_unit_id"][early], frame["to_unit_id"][early],
                    frame["effective_date"][early], target_end[early], strict=True)])
        _check_activity_after_change(loaded, ends, changes.file)


def _check_activity_after_change(loaded: dict[str, _Loaded], ends: dict[str, Any],
                                 source: str) -> None:
    """Dossiers received, and aggregates periods ending, on or after a unit's end."""
    dossiers, aggregates = loaded.get("dossiers"), loaded.get("aggregates")
    if dossiers is not None and dossiers.has("received_at"):
        d = dossiers.frame
        end = d["unit_id"].map(ends)
        late = (d["received_at"] >= end).fillna(False).to_numpy(dtype=bool)
        if late.any():
            dossiers.emit("activity_after_change", "received_at", late, [
                f"dossier {i!r} of unit {u!r} is received on {r:%d/%m/%Y}, but the unit "
                f"ended on {e:%d/%m/%Y} ({source}): it belongs to the unit it became part of"
                for i, u, r, e in zip(d["dossier_id"][late], d["unit_id"][late],
                                      d["received_at"][late], end[late], strict=True)])
    if aggregates is not None and not aggregates.frame.empty and aggregates.has("period"):
        a = aggregates.frame
        ended = a["unit_id"].map(ends).to_numpy(dtype="datetime64[ns]")
        after = _parse_periods(a["period"]).end >= ended  # NaT compares False
        if after.any():
            aggregates.emit("activity_after_change", "period", after, [
                f"unit {u!r} reports period {p!r}, which ends after the unit ended on "
                f"{pd.Timestamp(e):%d/%m/%Y} ({source})"
                for u, p, e in zip(a["unit_id"][after], a["period"][after], ended[after],
                                   strict=True)])
