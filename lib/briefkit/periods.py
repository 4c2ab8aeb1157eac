"""Reporting periods: parsing, date bounds under both cut-off conventions, Vietnamese labels.

Every period is modelled as a run of *nominal months* (a quarter is three, a year twelve, a range
whatever it spans). That single representation makes both conventions one rule each:

* ``calendar`` (the national portal's index): from the 1st of the first nominal month to the last
  day of the last one.
* ``nd09`` (Decree 09/2019 cut-off, official periodic reports): from the 15th of the month *before*
  the first nominal month to the 14th of the last nominal month, so Q1 2022 runs 15/12/2021 to
  14/03/2022 and the year 2022 runs 15/12/2021 to 14/12/2022.

It also makes ``previous`` / ``shift_years`` / ``trailing`` plain month arithmetic, and fixes what
``year`` means: the year of the last nominal month, the year whose targets judge the period.

The cut-off day is a parameter of :data:`CONVENTIONS` rather than scattered constants because the
legal rule may change (domain notes: "make it a parameter").
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from briefkit.i18n import N_, _

Convention = Literal["calendar", "nd09"]
Kind = Literal["month", "quarter", "half", "year", "range"]

#: Day of the month on which a nominal month starts, by convention (it starts in the month
#: *before* when the day is not 1). ``None`` means natural calendar months.
CONVENTIONS: dict[str, int | None] = {"calendar": None, "nd09": 15}

#: A range of months longer than this is almost certainly a typo (e.g. 2021-01..2022-12 is fine,
#: 2012-01..2022-07 is not).
MAX_RANGE_MONTHS = 24

_MIN_YEAR, _MAX_YEAR = 1900, 2199
_ROMAN = ("I", "II", "III", "IV")
_KIND_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}
_ACCEPTED = N_(
    "accepted forms: 2022Q1 or \"quý I/2022\" (quarter), 2022-05 or \"tháng 5/2022\" (month), "
    "2022H1 or \"6 tháng đầu năm 2022\" (half-year), 2022 or \"năm 2022\" (year), "
    "2022-01..2022-07 or \"7 tháng đầu năm 2022\" (range of months)"
)

_SEP = r"[-_/.]?"
_RE_YEAR = re.compile(r"^(\d{4})$")
_RE_QH_YEAR_FIRST = re.compile(rf"^(\d{{4}}){_SEP}([QH])(\d{{1,2}})$")
_RE_QH_YEAR_LAST = re.compile(rf"^([QH])(\d{{1,2}}){_SEP}(\d{{4}})$")
_RE_MONTH_YEAR_FIRST = re.compile(r"^(\d{4})[-_/.](\d{1,2})$")
_RE_MONTH_YEAR_LAST = re.compile(r"^(\d{1,2})[-_/.](\d{4})$")

# Periods as officials write them (and as :meth:`Period.label` writes them), matched on the
# text folded by :func:`_fold`: lower case, no diacritics, single spaces ("Quý IV/2023" ->
# "quy iv/2023", "6 tháng đầu năm 2023" -> "6 thang dau nam 2023").
_VI_YEAR_SEP = r"\s*(?:[-/.]|\s|\bnam\b)\s*"
_RE_VI_QUARTER = re.compile(rf"^quy\s*([ivx]+|\d{{1,2}}){_VI_YEAR_SEP}(\d{{4}})$")
_RE_VI_MONTH = re.compile(rf"^thang\s*(\d{{1,2}}){_VI_YEAR_SEP}(\d{{4}})$")
_RE_VI_FIRST_MONTHS = re.compile(r"^(\d{1,2})\s*thang\s*(dau|cuoi)\s*nam\s*(\d{4})$")
_RE_VI_YEAR = re.compile(r"^nam\s*(\d{4})$")
_RE_VI_RANGE_IN_YEAR = re.compile(
    r"^tu\s*thang\s*(\d{1,2})\s*den\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})$")
_RE_VI_RANGE = re.compile(
    r"^tu\s*thang\s*(\d{1,2})\s*/\s*(\d{4})\s*den\s*thang\s*(\d{1,2})\s*/\s*(\d{4})$")
_ROMAN_NUMBERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


# --------------------------------------------------------------------------- month arithmetic
# A month is an int index: year * 12 + (month - 1). Differences are lengths in months.


def _idx(year: int, month: int) -> int:
    return year * 12 + month - 1


def _ym(idx: int) -> tuple[int, int]:
    return idx // 12, idx % 12 + 1


def _bounds(first: int, last: int, convention: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day (midnight, inclusive) of the nominal months ``first..last``."""
    cutoff = CONVENTIONS[convention]
    if cutoff is None:
        y0, m0 = _ym(first)
        y1, m1 = _ym(last + 1)  # the day before the 1st of the following month
        return pd.Timestamp(y0, m0, 1), pd.Timestamp(y1, m1, 1) - pd.Timedelta(days=1)
    y0, m0 = _ym(first - 1)
    y1, m1 = _ym(last)
    return pd.Timestamp(y0, m0, cutoff), pd.Timestamp(y1, m1, cutoff - 1)


def _check_year(year: int, spec: str) -> None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise ValueError(_(
            "Period {spec!r}: year {year} is outside {low}–{high}; is it a typo?"
        ).format(spec=spec, year=year, low=_MIN_YEAR, high=_MAX_YEAR))


def _check_month(month: int, spec: str) -> None:
    if not 1 <= month <= 12:
        raise ValueError(_("Period {spec!r}: month must be 1–12, got {month}").format(
            spec=spec, month=month))


def _quarter(year: int, number: int, spec: str, written: str = "") -> tuple[Kind, int, int]:
    """Quarter ``number`` of ``year``; ``written``: how the quarter was written, for errors."""
    _check_year(year, spec)
    if not 1 <= number <= 4:
        raise ValueError(_("Period {spec!r}: quarter must be Q1–Q4, got {written}").format(
            spec=spec, written=written or f"Q{number}"))
    return "quarter", _idx(year, 3 * number - 2), _idx(year, 3 * number)


def _half(year: int, number: int, spec: str) -> tuple[Kind, int, int]:
    _check_year(year, spec)
    if not 1 <= number <= 2:
        raise ValueError(_("Period {spec!r}: half-year must be H1 or H2, got H{number}").format(
            spec=spec, number=number))
    return "half", _idx(year, 6 * number - 5), _idx(year, 6 * number)


def _range(first: int, last: int, spec: str) -> tuple[Kind, int, int]:
    if last < first:
        raise ValueError(_("Period {spec!r}: the range is reversed (it ends before it "
                           "starts)").format(spec=spec))
    length = last - first + 1
    if length > MAX_RANGE_MONTHS:
        raise ValueError(_("Period {spec!r}: a range spans at most {most} months, this one "
                           "spans {length}").format(spec=spec, most=MAX_RANGE_MONTHS,
                                                    length=length))
    return "range", first, last


def _month_of(year: int, month: int, spec: str) -> int:
    _check_year(year, spec)
    _check_month(month, spec)
    return _idx(year, month)


def _canonical(kind: str, first: int, last: int) -> str:
    """Canonical spec of the nominal months ``first..last`` seen as a period of ``kind``."""
    y0, m0 = _ym(first)
    y1, m1 = _ym(last)
    if kind == "month":
        return f"{y1:04d}-{m1:02d}"
    if kind == "quarter":
        return f"{y1:04d}Q{(m1 - 1) // 3 + 1}"
    if kind == "half":
        return f"{y1:04d}H{(m1 - 1) // 6 + 1}"
    if kind == "year":
        return f"{y1:04d}"
    return f"{y0:04d}-{m0:02d}..{y1:04d}-{m1:02d}"


def _parse_month(text: str, spec: str) -> int:
    """Month index of one month written ``YYYY-MM`` (or ``MM/YYYY``), as used in ranges."""
    m = _RE_MONTH_YEAR_FIRST.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    else:
        m = _RE_MONTH_YEAR_LAST.match(text)
        if not m:
            raise ValueError(_(
                "Period {spec!r}: {text!r} is not a month; a range is written with months, "
                "e.g. 2022-01..2022-07").format(spec=spec, text=text))
        month, year = int(m.group(1)), int(m.group(2))
    return _month_of(year, month, spec)


def _fold(text: str) -> str:
    """Lower case, without diacritics (NFC or NFD input alike; đ -> d), single spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


def _parse_vietnamese(spec: str) -> tuple[Kind, int, int] | None:
    """(kind, first, last) of a period written in Vietnamese ("quý IV/2023", "tháng 5/2023",
    "6 tháng đầu năm 2023", "7 tháng đầu năm 2023", "năm 2023", "từ tháng 3 đến tháng 7 năm
    2023", "từ tháng 11/2022 đến tháng 2/2023"), None when it is not written so."""
    text = _fold(spec)
    m = _RE_VI_QUARTER.match(text)
    if m:
        written = m.group(1)
        number = int(written) if written.isdigit() else _ROMAN_NUMBERS.get(written, 0)
        return _quarter(int(m.group(2)), number, spec, written.upper())
    m = _RE_VI_MONTH.match(text)
    if m:
        idx = _month_of(int(m.group(2)), int(m.group(1)), spec)
        return "month", idx, idx
    m = _RE_VI_YEAR.match(text)
    if m:
        year = int(m.group(1))
        _check_year(year, spec)
        return "year", _idx(year, 1), _idx(year, 12)
    m = _RE_VI_FIRST_MONTHS.match(text)
    if m:
        months, year, first_part = int(m.group(1)), int(m.group(3)), m.group(2) == "dau"
        if months == 6:
            return _half(year, 1 if first_part else 2, spec)
        if not 1 <= months <= 12:
            raise ValueError(_("Period {spec!r}: a year has 12 months, not {months}").format(
                spec=spec, months=months))
        if first_part:
            return _range(_month_of(year, 1, spec), _idx(year, months), spec)
        return _range(_month_of(year, 13 - months, spec), _idx(year, 12), spec)
    m = _RE_VI_RANGE_IN_YEAR.match(text)
    if m:
        year = int(m.group(3))
        return _range(_month_of(year, int(m.group(1)), spec),
                      _month_of(year, int(m.group(2)), spec), spec)
    m = _RE_VI_RANGE.match(text)
    if m:
        return _range(_month_of(int(m.group(2)), int(m.group(1)), spec),
                      _month_of(int(m.group(4)), int(m.group(3)), spec), spec)
    return None


def _parse_spec(spec: str) -> tuple[Kind, int, int]:
    """(kind, first month index, last month index) of a spec, leniently, or ValueError."""
    text = re.sub(r"\s+", "", spec).upper()
    if not text:
        raise ValueError(_("Empty period; {accepted}").format(accepted=_(_ACCEPTED)))

    if ".." in text:
        parts = text.split("..")
        if len(parts) != 2 or not all(parts):
            raise ValueError(_(
                "Period {spec!r}: a range has exactly two months, e.g. 2022-01..2022-07"
            ).format(spec=spec))
        first, last = (_parse_month(p, spec) for p in parts)
        return _range(first, last, spec)

    m = _RE_YEAR.match(text)
    if m:
        year = int(m.group(1))
        _check_year(year, spec)
        return "year", _idx(year, 1), _idx(year, 12)

    m = _RE_QH_YEAR_FIRST.match(text)
    if m:
        year, letter, number = int(m.group(1)), m.group(2), int(m.group(3))
    else:
        m = _RE_QH_YEAR_LAST.match(text)
        if m:
            letter, number, year = m.group(1), int(m.group(2)), int(m.group(3))
    if m:
        return _quarter(year, number, spec) if letter == "Q" else _half(year, number, spec)

    if _RE_MONTH_YEAR_FIRST.match(text) or _RE_MONTH_YEAR_LAST.match(text):
        idx = _parse_month(text, spec)
        return "month", idx, idx

    vietnamese = _parse_vietnamese(spec)
    if vietnamese is not None:
        return vietnamese
    raise ValueError(_("Unrecognised period {spec!r}; {accepted}").format(
        spec=spec, accepted=_(_ACCEPTED)))


def _check_convention(convention: Any) -> Convention:
    """Validate a convention name, leniently on case and separators ("ND-09" -> "nd09")."""
    if isinstance(convention, str):
        name = re.sub(r"[\s_\-.]", "", convention).lower()
        if name in CONVENTIONS:
            return name  # type: ignore[return-value]
    raise ValueError(_("Unknown period convention {convention!r}; use one of {names}").format(
        convention=convention, names=", ".join(get_args(Convention))))


def _to_timestamp(value: Any) -> pd.Timestamp:
    """A scalar date as a naive Timestamp (wall-clock time kept, time zone dropped).

    Strings must be ISO 8601: "03/04/2022" is ambiguous to pandas (it would read March 4th,
    while the contract says April 3rd), and parsing user text is the loader's job.
    """
    if isinstance(value, str):
        try:
            ts = pd.to_datetime(value.strip(), format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"Date {value!r} is not ISO 8601 (YYYY-MM-DD)") from exc
    elif isinstance(value, (_dt.date, np.datetime64, pd.Timestamp)):
        ts = pd.Timestamp(value)
    else:
        raise TypeError(f"Expected a date, got {type(value).__name__}: {value!r}")
    if pd.isna(ts):
        raise ValueError("A missing date (NaT) belongs to no period")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts


# --------------------------------------------------------------------------- Period


@dataclass(frozen=True)
class Period:
    """A reporting period under one cut-off convention.

    Build it with :func:`parse_period` or :func:`period_of`; the constructor checks that the
    fields agree with each other (a hand-made ``Period`` with a wrong ``end`` would silently
    count the wrong dossiers). ``str(period)`` is its spec, so it can go straight into a path.
    """

    spec: str
    kind: Kind
    convention: Convention
    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self) -> None:
        convention = _check_convention(self.convention)
        kind, first, last = _parse_spec(self.spec)
        spec = _canonical(kind, first, last)
        start, end = _bounds(first, last, convention)
        actual = (self.spec, self.kind, self.convention, self.start, self.end)
        if actual != (spec, kind, convention, start, end):
            raise ValueError(
                f"Inconsistent Period{actual!r}; expected "
                f"{(spec, kind, convention, start.date(), end.date())!r}. "
                f"Build periods with parse_period()."
            )

    def __str__(self) -> str:
        return self.spec

    # ---- nominal months (derived from the canonical spec, so the dataclass stays 5 fields)
    @property
    def _months(self) -> tuple[int, int]:
        _, first, last = _parse_spec(self.spec)
        return first, last

    def _with_months(self, first: int, last: int) -> Period:
        return _make(self.kind, first, last, self.convention)

    # ---- public API
    @property
    def year(self) -> int:
        """The year the period belongs to: that of its last nominal month.

        Targets are looked up by it. Under ``nd09`` Q1 2022 starts on 15/12/2021 but is a 2022
        period; a range 2021-11..2022-02 is judged against 2022 targets.
        """
        return _ym(self._months[1])[0]

    @property
    def slug(self) -> str:
        """A folder-name-safe identifier: the canonical spec (digits, Q, H, '-', '.')."""
        return self.spec

    def label(self) -> str:
        """Vietnamese label for the briefing text ("quý I/2022", "7 tháng đầu năm 2022").

        It names the nominal months, so it is the same under both conventions.
        """
        first, last = self._months
        y0, m0 = _ym(first)
        y1, m1 = _ym(last)
        if self.kind == "month" or (self.kind == "range" and first == last):
            return f"tháng {m1}/{y1}"
        if self.kind == "quarter":
            return f"quý {_ROMAN[(m1 - 1) // 3]}/{y1}"
        if self.kind == "half":
            return f"6 tháng {'đầu' if m1 == 6 else 'cuối'} năm {y1}"
        if self.kind == "year":
            return f"năm {y1}"
        if y0 == y1 and m0 == 1:
            return f"{m1} tháng đầu năm {y1}"
        if y0 == y1:
            return f"từ tháng {m0} đến tháng {m1} năm {y1}"
        return f"từ tháng {m0}/{y0} đến tháng {m1}/{y1}"

    def shift_years(self, n: int) -> Period:
        """The same period ``n`` years later (``n=-1``: the same period last year)."""
        first, last = self._months
        return self._with_months(first + 12 * n, last + 12 * n)

    def previous(self) -> Period:
        """The period of the same kind just before this one (a range shifts by its length)."""
        first, last = self._months
        length = last - first + 1
        return self._with_months(first - length, last - length)

    def trailing(self, n: int) -> list[Period]:
        """The ``n`` periods of this kind ending with this one, oldest first (trend charts)."""
        if n < 1:
            raise ValueError(f"trailing() needs n >= 1, got {n}")
        first, last = self._months
        length = last - first + 1
        return [
            self._with_months(first - k * length, last - k * length) for k in range(n - 1, -1, -1)
        ]

    def year_period(self) -> Period:
        """The whole year :attr:`year` in the same convention (for year-to-date comparisons)."""
        year = self.year
        return _make("year", _idx(year, 1), _idx(year, 12), self.convention)

    def contains(self, dates: Any) -> pd.Series:
        """Boolean mask ``start <= d <= end`` by calendar day, vectorised; NaT gives False.

        Times of day are ignored (a dossier resolved at 16:30 on the last day is in), which is
        why the upper test is ``d < end + 1 day`` rather than ``d <= end``. Time-zone-aware
        values are compared by their wall-clock time. A Series keeps its index; other
        array-likes get a default index. Non-datetime input is converted only from ISO 8601
        text or date objects: day-first text must be parsed by the loader.
        """
        series = dates if isinstance(dates, pd.Series) else pd.Series(dates)
        if series.empty:
            return pd.Series(False, index=series.index, dtype=bool)
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            try:
                series = pd.to_datetime(series, format="ISO8601")
            except (ValueError, TypeError) as exc:
                raise TypeError(
                    "Period.contains() needs datetimes (or ISO 8601 text); parse day-first "
                    "dates such as 14/03/2022 with the loader first"
                ) from exc
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_localize(None)
        after_end = self.end + pd.Timedelta(days=1)
        mask = (series >= self.start) & (series < after_end)
        return mask.fillna(False).astype(bool)


def _make(kind: Kind, first: int, last: int, convention: Convention) -> Period:
    start, end = _bounds(first, last, convention)
    return Period(_canonical(kind, first, last), kind, convention, start, end)


def parse_period(spec: str | int, convention: Convention = "calendar") -> Period:
    """Parse a period spec such as ``2022Q1``, ``2022-05``, ``2022H1``, ``2022``,
    ``2022-01..2022-07``, or as officials write it: "quý I/2022" (also "Quý 1/2022", "quý 1
    năm 2022"), "tháng 5/2022", "6 tháng đầu năm 2022" / "6 tháng cuối năm 2022" (the
    halves), "7 tháng đầu năm 2022" (a range), "năm 2022", "từ tháng 3 đến tháng 7 năm 2022",
    "từ tháng 11/2021 đến tháng 2/2022" — every :meth:`Period.label` reads back.

    Lenient on case, spaces and separators ("2022q1", "2022 Q1", "2022-Q1", "Q1/2022",
    "2022-5", "05/2022"), and on diacritics in the Vietnamese forms (composed or decomposed
    Unicode, or none: "quy IV/2022"), because specs come from command lines and YAML written by
    hand; the result carries the canonical spec. Error messages are in the current language
    (:mod:`briefkit.i18n`). An ``int`` year is accepted because YAML turns
    ``2022`` into one. Raises ValueError naming what is wrong (month 13, Q5, a reversed range…).
    """
    if isinstance(spec, bool) or not isinstance(spec, (str, int, np.integer)):
        raise ValueError(_("A period spec is text such as '2022Q1', got {spec!r}").format(
            spec=spec))
    conv = _check_convention(convention)
    kind, first, last = _parse_spec(str(spec))
    return _make(kind, first, last, conv)


def period_of(date: Any, kind: str, convention: Convention = "calendar") -> Period:
    """The month / quarter / half / year (``kind``) that contains ``date``.

    Under ``nd09`` a date on or after the 15th belongs to the *next* nominal month, so
    20/12/2022 is in 2023-01, 2023Q1, 2023H1 and the year 2023, while 14/12/2022 is in 2022-12.
    ``date`` is a date, datetime, Timestamp, numpy datetime64 or ISO 8601 text.
    """
    conv = _check_convention(convention)
    if kind not in _KIND_MONTHS:
        raise ValueError(f"period_of() kind must be one of {', '.join(_KIND_MONTHS)}, got {kind!r}")
    ts = _to_timestamp(date)
    month = _idx(ts.year, ts.month)
    cutoff = CONVENTIONS[conv]
    if cutoff is not None and ts.day >= cutoff:
        month += 1
    size = _KIND_MONTHS[kind]
    year, m = _ym(month)
    first = _idx(year, (m - 1) // size * size + 1)
    return _make(kind, first, first + size - 1, conv)  # type: ignore[arg-type]


__all__ = ["CONVENTIONS", "MAX_RANGE_MONTHS", "Convention", "Period", "parse_period", "period_of"]
