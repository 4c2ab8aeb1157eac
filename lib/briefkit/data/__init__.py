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

* **Suspicious is not wrong, but it is said.** What the data cannot prove wrong but makes
  unlikely (dates that read as well month-first, a count no one-stop shop reaches, ids that
  differ only by case or by invisible characters, text garbled by a legacy encoding) is a
  warning naming its place (:mod:`~briefkit.data.suspicious`).

Row numbers: CSV and XLSX rows are what a spreadsheet shows (header row 1, first record row
2; the actual row, so a header found below title rows is accounted for). A workbook whose
table is spread over several sheets (one per year) is read sheet after sheet, and its
problems name the sheet too. Parquet has no header row: ``row`` is the record index + 1
(first record = row 1).

The package, in the order data flows: :mod:`~briefkit.data.folder` finds the files;
:mod:`~briefkit.data.load` reads each one (:mod:`~briefkit.data.read_csv`,
:mod:`~briefkit.data.read_xlsx`, :mod:`~briefkit.data.read_parquet`, all ending in the shape
of :mod:`~briefkit.data.raw`), converts its columns (:mod:`~briefkit.data.convert`) and runs
the checks that need only that file (:mod:`~briefkit.data.suspicious`, and
:mod:`~briefkit.data.aggregates` for aggregates); then
:mod:`~briefkit.data.crosscheck` and :mod:`~briefkit.data.changes` check the tables against
each other. Every problem's severity comes from :data:`~briefkit.data.rules.RULES`.

:mod:`~briefkit.data.converted` writes a validated folder as Parquet (``briefkit convert``)
and reads one back without the row checks when its files are exactly those it wrote.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from briefkit import schema
from briefkit.data.convert import LOCAL_TZ, empty_frame
from briefkit.data.converted import read_converted
from briefkit.data.folder import as_today, find_files, run_checks
from briefkit.data.load import load_file
from briefkit.data.rules import MAX_COUNT, RULES
from briefkit.problems import InputError, Problem

__all__ = ["LOCAL_TZ", "MAX_COUNT", "RULES", "Dataset", "find_files", "load_dataset",
           "read_table", "validate"]


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
        default_factory=lambda: empty_frame(schema.UNIT_CHANGES))


def load_dataset(folder: str | Path, *, today: _dt.date | None = None) -> Dataset:
    """Read and validate a data folder.

    Raises :class:`InputError` carrying every error found (and nothing else for bad data);
    warnings are returned on :attr:`Dataset.warnings`. ``today`` (default: the current date)
    is what "a date in the future" is measured against; tests pin it.

    A folder written by ``briefkit convert`` whose files are exactly the ones it validated
    is read without the row checks; its warnings are the ones recorded then
    (:mod:`~briefkit.data.converted`).
    """
    fast = read_converted(Path(folder))
    frames, files, problems = fast if fast is not None else run_checks(Path(folder), today)
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
    return run_checks(Path(folder), today)[2]


def read_table(path: str | Path, table: str, *, today: _dt.date | None = None) -> pd.DataFrame:
    """One file as its canonical frame: aliases resolved, types converted, file-level checks
    done (no cross-table references). Raises :class:`InputError` if the file has errors;
    warnings are dropped (use :func:`validate` on a folder to see them)."""
    if table not in schema.TABLES:
        raise ValueError(f"unknown table {table!r}; one of {', '.join(schema.TABLES)}")
    path = Path(path)
    loaded = load_file(path, schema.TABLES[table], as_today(today))
    if any(p.severity == "error" for p in loaded.problems):
        raise InputError(loaded.problems)
    return loaded.frame
