"""One time for a whole run, and the date its documents carry.

Two runs of the same inputs must give the same files (whichever executor, worker count or
process produced them), so no output reads the wall clock on its own. Instead:

* :func:`run_time` is taken **once** per run (``briefkit run`` takes it when it starts): the
  moment given by ``SOURCE_DATE_EPOCH`` when that variable is set (the reproducible-builds
  convention: seconds since 1970-01-01 UTC), else now. It is Vietnamese time, to the second.
  Only the manifest records it with its seconds (``started_at``).
* :func:`document_date` is the date the documents are dated with: the header's ``date`` when
  the settings fix one, else the run's day. The Decree-30 header prints it ("ngày 30 tháng 11
  năm 2026"), and every time embedded in a file — the PDF's creation date, the annex's
  ``docProps/core.xml``, the fonts' ``head`` tables (through ``SOURCE_DATE_EPOCH`` in the
  processes that render, see :func:`document_epoch`) — is that date at 00:00 Vietnamese time
  (:func:`document_timestamp`). So the same inputs rendered twice on one day, or with one
  ``SOURCE_DATE_EPOCH``, give byte-identical files.

Vietnam has kept UTC+7 without daylight saving since 1975; the fixed offset is used when the
system has no time-zone database.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping

__all__ = [
    "LOCAL_TZ",
    "SOURCE_DATE_EPOCH",
    "document_date",
    "document_epoch",
    "document_timestamp",
    "local_now",
    "run_time",
]

#: The environment variable of the reproducible-builds convention.
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"

try:
    from zoneinfo import ZoneInfo

    LOCAL_TZ: _dt.tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")
except Exception:  # no tz database
    LOCAL_TZ = _dt.timezone(_dt.timedelta(hours=7), "ICT")


def local_now() -> _dt.datetime:
    """Now, in Vietnamese time, to the second (the manifest's ``finished_at``)."""
    return _dt.datetime.now(LOCAL_TZ).replace(microsecond=0)


def run_time(environ: Mapping[str, str] | None = None) -> _dt.datetime:
    """The one time of a run: ``SOURCE_DATE_EPOCH`` when set, else now (Vietnamese time, to
    the second). Raises ValueError for a ``SOURCE_DATE_EPOCH`` that is not a whole number of
    seconds, rather than silently using the clock."""
    env = os.environ if environ is None else environ
    raw = env.get(SOURCE_DATE_EPOCH, "").strip()
    if not raw:
        return local_now()
    try:
        seconds = int(raw)
    except ValueError:
        raise ValueError(f"{SOURCE_DATE_EPOCH}={raw!r} is not a whole number of seconds "
                         f"since 1970-01-01 UTC") from None
    return _dt.datetime.fromtimestamp(seconds, LOCAL_TZ)


def _as_date(value: object) -> _dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value).strip()[:10])


def document_date(run: _dt.datetime, header_date: object = None) -> _dt.date:
    """The date the documents of a run carry: ``header_date`` (a date, datetime or ISO text)
    when the settings give one, else the run's day in Vietnamese time."""
    fixed = _as_date(header_date)
    if fixed is not None:
        return fixed
    if run.tzinfo is not None:
        run = run.astimezone(LOCAL_TZ)
    return run.date()


def document_timestamp(day: _dt.date) -> _dt.datetime:
    """The time embedded in the files of a document dated ``day``: 00:00 Vietnamese time."""
    return _dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def document_epoch(day: _dt.date) -> int:
    """:func:`document_timestamp` as seconds since the epoch: the ``SOURCE_DATE_EPOCH`` the
    rendering processes get, so font subsets (fontTools stamps their ``head`` table with it)
    carry the document's date instead of the second they were written."""
    return int(document_timestamp(day).timestamp())
