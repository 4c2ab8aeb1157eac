"""Saving the annex: the time it carries (:func:`generated_at`) and the same bytes for the
same inputs.

Decisions worth knowing:

* **Reproducible files.** Cell contents depend only on the inputs. The workbook's creator is
  "briefkit <version>", and when the provenance has a generation time (``generated_at``; the
  batch gives the document timestamp, 00:00 of the document's date in Vietnam) the
  document's created / modified times and the zip entries' timestamps (in Vietnamese wall
  time) are set to it; without one, all of them are a fixed "no date", 1980-01-01 00:00 (the
  earliest time a zip entry can carry), rather than the clock. Nothing else varies (no random
  id, no file-system time), so the same inputs give the same bytes in any process.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.writer.excel import ExcelWriter

from briefkit.clock import LOCAL_TZ, document_timestamp
from briefkit.formatting import is_missing

#: Keys of the provenance mapping read as the generation time (first one present wins).
GENERATED_AT_KEYS: tuple[str, ...] = ("generated_at", "generated-at", "generated at")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
#: created / modified of an annex whose provenance has no time (naive UTC, as openpyxl wants)
_NO_DATE = _dt.datetime(*_ZIP_EPOCH)


def generated_at(provenance: Mapping[str, object]) -> _dt.datetime | None:
    """The generation time from the provenance, as naive UTC (what the xlsx core properties
    store), or None. Accepts a datetime, a pandas Timestamp or ISO 8601 text (a naive value is
    taken as UTC) or a date (the document's date: its 00:00 Vietnamese time, see
    :func:`briefkit.clock.document_timestamp`). Raises ValueError for anything else: a wrong
    timestamp in an official file is worse than an error."""
    for key in GENERATED_AT_KEYS:
        if key in provenance and not is_missing(provenance[key]):
            raw = provenance[key]
            break
    else:
        return None
    if isinstance(raw, str):
        try:
            value = _dt.datetime.fromisoformat(raw.strip())
        except ValueError as exc:
            raise ValueError(f"provenance {key!r}: {raw!r} is not an ISO 8601 time") from exc
    elif isinstance(raw, pd.Timestamp):
        value = raw.to_pydatetime()
    elif isinstance(raw, _dt.datetime):
        value = raw
    elif isinstance(raw, _dt.date):  # a document date: its 00:00 in Vietnam
        value = document_timestamp(raw)
    else:
        raise ValueError(f"provenance {key!r}: expected a time, got {type(raw).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip file whose entries all carry one timestamp, so equal workbooks are equal bytes
    (``writestr`` stamps an entry with the current time, ``write`` with the file's mtime;
    openpyxl uses both: worksheets go through a temporary file)."""

    def __init__(self, file: Path, date_time: tuple[int, int, int, int, int, int]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._date_time = date_time

    def writestr(self, zinfo_or_arcname: str | zipfile.ZipInfo, data: Any,
                 compress_type: int | None = None, compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zinfo_or_arcname
            info.date_time = self._date_time
        else:
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
        super().writestr(info, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        name = arcname if arcname is not None else Path(filename).name
        self.writestr(str(name), Path(filename).read_bytes(), compress_type, compresslevel)


@contextlib.contextmanager
def _exact_floats(workbook: Workbook) -> Iterator[None]:
    """While saving, give every float cell the shortest text that reads back as the same float.

    openpyxl writes numbers with ``"%.16g"``, which loses the last digit of some doubles
    (17.647058823529413 is written 17.64705882352941), so the data sheet would not read back
    equal to kpis.csv. Its writer copies a ``str`` value of a numeric cell verbatim, so for the
    duration of the save such cells hold ``repr(value)``; the workbook is restored afterwards.
    """
    changed: list[tuple[Cell, float]] = []
    cell: Any  # its private ``_value`` is not in openpyxl's stubs
    try:
        for ws in workbook.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    value = cell._value  # private: the raw value, whatever its data_type
                    if (cell.data_type == "n" and isinstance(value, float)
                            and float(f"{value:.16g}") != value):
                        changed.append((cell, value))
                        cell._value = repr(value)
        yield
    finally:
        for cell, value in changed:
            cell._value = value


def _save(workbook: Workbook, target: Path, when: _dt.datetime | None) -> None:
    """Save like ``Workbook.save`` but without its "modified = now", with fixed zip times and
    with floats written exactly."""
    stamp = _ZIP_EPOCH
    if when is not None:
        # zip entries carry a wall-clock time without zone: Vietnamese time, so the document
        # timestamp reads as 00:00 of the document's date (as in the PDF and the HTML)
        local = when.replace(tzinfo=_dt.UTC).astimezone(LOCAL_TZ)
        if local.year >= 1980:
            stamp = (local.year, local.month, local.day, local.hour, local.minute,
                     local.second)
    with _FixedTimeZip(target, stamp) as archive, _exact_floats(workbook):
        ExcelWriter(workbook, archive).write_data()
