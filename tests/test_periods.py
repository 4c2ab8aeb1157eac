"""Tests for briefkit.periods: parsing, bounds under both conventions, labels, navigation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata

import numpy as np
import pandas as pd
import pytest

from briefkit.i18n import language
from briefkit.periods import MAX_RANGE_MONTHS, Period, parse_period, period_of

T = pd.Timestamp


@pytest.fixture(autouse=True)
def english_messages():
    """Error messages are checked in English here (they follow the current language; see
    test_vietnamese_errors)."""
    with language("en"):
        yield

# spec, convention, kind, start, end, year
BOUNDS = [
    ("2022Q1", "calendar", "quarter", "2022-01-01", "2022-03-31", 2022),
    ("2022Q2", "calendar", "quarter", "2022-04-01", "2022-06-30", 2022),
    ("2022Q3", "calendar", "quarter", "2022-07-01", "2022-09-30", 2022),
    ("2022Q4", "calendar", "quarter", "2022-10-01", "2022-12-31", 2022),
    ("2022Q1", "nd09", "quarter", "2021-12-15", "2022-03-14", 2022),
    ("2022Q2", "nd09", "quarter", "2022-03-15", "2022-06-14", 2022),
    ("2022Q3", "nd09", "quarter", "2022-06-15", "2022-09-14", 2022),
    ("2022Q4", "nd09", "quarter", "2022-09-15", "2022-12-14", 2022),
    ("2022-05", "calendar", "month", "2022-05-01", "2022-05-31", 2022),
    ("2022-05", "nd09", "month", "2022-04-15", "2022-05-14", 2022),
    ("2022-01", "nd09", "month", "2021-12-15", "2022-01-14", 2022),
    ("2022-12", "calendar", "month", "2022-12-01", "2022-12-31", 2022),
    ("2022-02", "calendar", "month", "2022-02-01", "2022-02-28", 2022),
    ("2024-02", "calendar", "month", "2024-02-01", "2024-02-29", 2024),  # leap year
    ("2000-02", "calendar", "month", "2000-02-01", "2000-02-29", 2000),  # leap (÷400)
    ("2100-02", "calendar", "month", "2100-02-01", "2100-02-28", 2100),  # not leap (÷100)
    ("2024-03", "nd09", "month", "2024-02-15", "2024-03-14", 2024),
    ("2022H1", "calendar", "half", "2022-01-01", "2022-06-30", 2022),
    ("2022H2", "calendar", "half", "2022-07-01", "2022-12-31", 2022),
    ("2022H1", "nd09", "half", "2021-12-15", "2022-06-14", 2022),
    ("2022H2", "nd09", "half", "2022-06-15", "2022-12-14", 2022),
    ("2022", "calendar", "year", "2022-01-01", "2022-12-31", 2022),
    ("2022", "nd09", "year", "2021-12-15", "2022-12-14", 2022),
    ("2022-01..2022-07", "calendar", "range", "2022-01-01", "2022-07-31", 2022),
    ("2022-01..2022-07", "nd09", "range", "2021-12-15", "2022-07-14", 2022),
    ("2021-11..2022-02", "calendar", "range", "2021-11-01", "2022-02-28", 2022),
    ("2021-11..2022-02", "nd09", "range", "2021-10-15", "2022-02-14", 2022),
    ("2023-12..2024-02", "calendar", "range", "2023-12-01", "2024-02-29", 2024),
]


@pytest.mark.parametrize(("spec", "convention", "kind", "start", "end", "year"), BOUNDS)
def test_bounds(spec, convention, kind, start, end, year):
    p = parse_period(spec, convention)
    assert p.spec == spec
    assert p.slug == spec
    assert str(p) == spec
    assert p.kind == kind
    assert p.convention == convention
    assert p.start == T(start)
    assert p.end == T(end)
    assert p.year == year
    # midnight, no time zone
    assert p.start == p.start.normalize() and p.end == p.end.normalize()
    assert p.start.tzinfo is None and p.end.tzinfo is None


def test_default_convention_is_calendar():
    assert parse_period("2022Q1") == parse_period("2022Q1", "calendar")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2022q1", "2022Q1"),
        ("2022 Q1", "2022Q1"),
        ("2022-Q1", "2022Q1"),
        ("2022_q4", "2022Q4"),
        ("2022/Q2", "2022Q2"),
        ("Q1/2022", "2022Q1"),
        ("q3-2022", "2022Q3"),
        ("  2022Q1\n", "2022Q1"),
        ("2022h1", "2022H1"),
        ("2022 H2", "2022H2"),
        ("2022-H2", "2022H2"),
        ("H1/2022", "2022H1"),
        ("2022-5", "2022-05"),
        ("2022/05", "2022-05"),
        ("05/2022", "2022-05"),
        ("5/2022", "2022-05"),
        ("2022 - 05", "2022-05"),
        (" 2022 ", "2022"),
        ("2022-1..2022-7", "2022-01..2022-07"),
        ("2022-01 .. 2022-07", "2022-01..2022-07"),
        ("01/2022..07/2022", "2022-01..2022-07"),
    ],
)
def test_lenient_parsing_normalises(text, canonical):
    assert parse_period(text).spec == canonical
    assert parse_period(text, "nd09").spec == canonical


def test_int_year_from_yaml():
    assert parse_period(2022) == parse_period("2022")
    assert parse_period(np.int64(2022)).spec == "2022"


@pytest.mark.parametrize("convention", ["ND09", " nd09 ", "nd-09", "nd_09", "Calendar"])
def test_lenient_convention(convention):
    assert parse_period("2022Q1", convention).convention in ("nd09", "calendar")


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("2022-13", "month must be 1–12"),
        ("2022-00", "month must be 1–12"),
        ("13/2022", "month must be 1–12"),
        ("2022Q5", "Q1–Q4"),
        ("2022Q0", "Q1–Q4"),
        ("2022H3", "H1 or H2"),
        ("2022H0", "H1 or H2"),
        ("2022-07..2022-01", "reversed"),
        ("2022-01..2021-12", "reversed"),
        ("2020-01..2022-01", "at most 24 months"),
        ("2022-01..", "exactly two months"),
        ("..2022-01", "exactly two months"),
        ("2022-01..2022-03..2022-05", "exactly two months"),
        ("2022Q1..2022Q2", "not a month"),
        ("2022-01..2022-13", "month must be 1–12"),
        ("", "Empty period"),
        ("   ", "Empty period"),
        ("Q1", "Unrecognised period"),
        ("22Q1", "Unrecognised period"),
        ("2022Q", "Unrecognised period"),
        ("202205", "Unrecognised period"),
        ("2022-05-01", "Unrecognised period"),
        ("quý V/2022", "Q1–Q4"),
        ("quý 0/2022", "Q1–Q4"),
        ("tháng 13/2022", "month must be 1–12"),
        ("13 tháng đầu năm 2022", "12 months"),
        ("từ tháng 7 đến tháng 3 năm 2022", "reversed"),
        ("quý I/22", "Unrecognised period"),
        ("quý trước", "Unrecognised period"),
        ("năm 0022", "outside"),
        ("0022", "outside"),
        ("9999Q1", "outside"),
    ],
)
def test_bad_specs(spec, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_period(spec)


def test_bad_spec_message_lists_accepted_forms():
    with pytest.raises(ValueError) as info:
        parse_period("last quarter")
    message = str(info.value)
    for form in ("2022Q1", "2022-05", "2022H1", "2022-01..2022-07"):
        assert form in message


@pytest.mark.parametrize("spec", [None, 2022.0, True, ["2022"]])
def test_non_text_spec(spec):
    with pytest.raises(ValueError):
        parse_period(spec)


def test_bad_convention():
    with pytest.raises(ValueError, match="calendar, nd09"):
        parse_period("2022Q1", "fiscal")
    with pytest.raises(ValueError):
        parse_period("2022Q1", None)  # type: ignore[arg-type]


def test_range_limits():
    assert parse_period("2021-01..2022-12").kind == "range"  # exactly 24 months
    one = parse_period("2022-05..2022-05")
    assert (one.kind, one.start, one.end) == ("range", T("2022-05-01"), T("2022-05-31"))
    assert one.label() == "tháng 5/2022"


# ------------------------------------------------------------------------------ labels


@pytest.mark.parametrize(
    ("spec", "label"),
    [
        ("2022Q1", "quý I/2022"),
        ("2022Q2", "quý II/2022"),
        ("2022Q3", "quý III/2022"),
        ("2022Q4", "quý IV/2022"),
        ("2022-05", "tháng 5/2022"),
        ("2022-12", "tháng 12/2022"),
        ("2022H1", "6 tháng đầu năm 2022"),
        ("2022H2", "6 tháng cuối năm 2022"),
        ("2022", "năm 2022"),
        ("2022-01..2022-07", "7 tháng đầu năm 2022"),
        ("2022-01..2022-02", "2 tháng đầu năm 2022"),
        ("2022-03..2022-07", "từ tháng 3 đến tháng 7 năm 2022"),
        ("2021-11..2022-02", "từ tháng 11/2021 đến tháng 2/2022"),
        ("2021-01..2022-03", "từ tháng 1/2021 đến tháng 3/2022"),
    ],
)
def test_labels_do_not_depend_on_convention(spec, label):
    assert parse_period(spec).label() == label
    assert parse_period(spec, "nd09").label() == label


# ------------------------------------------------------------------------------ navigation


@pytest.mark.parametrize("convention", ["calendar", "nd09"])
@pytest.mark.parametrize(
    ("spec", "previous"),
    [
        ("2022Q1", "2021Q4"),
        ("2022Q3", "2022Q2"),
        ("2022-01", "2021-12"),
        ("2022-03", "2022-02"),
        ("2022H1", "2021H2"),
        ("2022H2", "2022H1"),
        ("2022", "2021"),
        ("2022-01..2022-07", "2021-06..2021-12"),
        ("2022-03..2022-04", "2022-01..2022-02"),
        ("2022-02..2022-03", "2021-12..2022-01"),
    ],
)
def test_previous(spec, previous, convention):
    p = parse_period(spec, convention).previous()
    assert p == parse_period(previous, convention)
    assert p.kind == parse_period(spec).kind


@pytest.mark.parametrize("convention", ["calendar", "nd09"])
def test_previous_is_contiguous(convention):
    for spec in ("2022Q1", "2022-01", "2022H1", "2022", "2022-01..2022-07", "2024-03"):
        p = parse_period(spec, convention)
        assert p.previous().end + pd.Timedelta(days=1) == p.start


@pytest.mark.parametrize("convention", ["calendar", "nd09"])
def test_shift_years(convention):
    p = parse_period("2022Q1", convention)
    assert p.shift_years(-1) == parse_period("2021Q1", convention)
    assert p.shift_years(2) == parse_period("2024Q1", convention)
    assert p.shift_years(0) == p
    r = parse_period("2021-11..2022-02", convention)
    assert r.shift_years(-1).spec == "2020-11..2021-02"
    assert parse_period("2022-01..2022-07").shift_years(-1).label() == "7 tháng đầu năm 2021"


def test_shift_years_onto_leap_february():
    p = parse_period("2023-02").shift_years(1)
    assert (p.start, p.end) == (T("2024-02-01"), T("2024-02-29"))
    q = parse_period("2024-03", "nd09").shift_years(-1)
    assert (q.start, q.end) == (T("2023-02-15"), T("2023-03-14"))


def test_trailing():
    specs = [p.spec for p in parse_period("2022Q2", "nd09").trailing(4)]
    assert specs == ["2021Q3", "2021Q4", "2022Q1", "2022Q2"]
    assert all(p.convention == "nd09" for p in parse_period("2022Q2", "nd09").trailing(4))
    months = [p.spec for p in parse_period("2022-02").trailing(3)]
    assert months == ["2021-12", "2022-01", "2022-02"]
    halves = [p.spec for p in parse_period("2022H1").trailing(3)]
    assert halves == ["2021H1", "2021H2", "2022H1"]
    years = [p.spec for p in parse_period("2022").trailing(2)]
    assert years == ["2021", "2022"]
    ranges = [p.spec for p in parse_period("2022-01..2022-07").trailing(2)]
    assert ranges == ["2021-06..2021-12", "2022-01..2022-07"]
    assert parse_period("2022Q1").trailing(1) == [parse_period("2022Q1")]


def test_trailing_needs_positive_n():
    with pytest.raises(ValueError):
        parse_period("2022Q1").trailing(0)


@pytest.mark.parametrize("convention", ["calendar", "nd09"])
def test_year_period(convention):
    for spec in ("2022Q1", "2022-05", "2022H2", "2022", "2022-01..2022-07", "2021-11..2022-02"):
        y = parse_period(spec, convention).year_period()
        assert y == parse_period("2022", convention)
    assert parse_period("2022Q1", "nd09").year_period().start == T("2021-12-15")


# ------------------------------------------------------------------------------ period_of


@pytest.mark.parametrize(
    ("date", "kind", "convention", "spec"),
    [
        ("2022-05-14", "month", "calendar", "2022-05"),
        ("2022-05-15", "month", "calendar", "2022-05"),
        ("2022-05-14", "month", "nd09", "2022-05"),
        ("2022-05-15", "month", "nd09", "2022-06"),
        ("2022-12-14", "month", "nd09", "2022-12"),
        ("2022-12-15", "month", "nd09", "2023-01"),
        ("2022-12-20", "quarter", "nd09", "2023Q1"),
        ("2022-12-20", "half", "nd09", "2023H1"),
        ("2022-12-20", "year", "nd09", "2023"),
        ("2022-12-20", "quarter", "calendar", "2022Q4"),
        ("2022-12-20", "year", "calendar", "2022"),
        ("2022-12-14", "quarter", "nd09", "2022Q4"),
        ("2022-12-14", "year", "nd09", "2022"),
        ("2022-03-14", "quarter", "nd09", "2022Q1"),
        ("2022-03-15", "quarter", "nd09", "2022Q2"),
        ("2022-06-14", "half", "nd09", "2022H1"),
        ("2022-06-15", "half", "nd09", "2022H2"),
        ("2022-06-30", "half", "calendar", "2022H1"),
        ("2022-07-01", "half", "calendar", "2022H2"),
        ("2022-01-01", "quarter", "calendar", "2022Q1"),
        ("2022-03-31", "quarter", "calendar", "2022Q1"),
        ("2024-02-29", "month", "calendar", "2024-02"),
        ("2024-02-29", "month", "nd09", "2024-03"),
    ],
)
def test_period_of(date, kind, convention, spec):
    p = period_of(date, kind, convention)
    assert p == parse_period(spec, convention)
    assert p.contains(pd.Series([pd.Timestamp(date)])).item()


@pytest.mark.parametrize(
    "date",
    [
        dt.date(2022, 12, 20),
        dt.datetime(2022, 12, 20, 23, 59),
        pd.Timestamp("2022-12-20 08:30"),
        np.datetime64("2022-12-20"),
        "2022-12-20T10:00",
        pd.Timestamp("2022-12-20 23:30", tz="Asia/Ho_Chi_Minh"),
    ],
)
def test_period_of_accepts_date_types(date):
    assert period_of(date, "quarter", "nd09").spec == "2023Q1"


def test_period_of_errors():
    with pytest.raises(ValueError, match="kind"):
        period_of("2022-05-01", "range")
    with pytest.raises(ValueError, match="kind"):
        period_of("2022-05-01", "week")
    with pytest.raises(ValueError):
        period_of(pd.NaT, "month")
    with pytest.raises(ValueError, match="ISO"):
        period_of("03/04/2022", "month")  # ambiguous text: the loader's job
    with pytest.raises(TypeError):
        period_of(20220501, "month")
    with pytest.raises(ValueError):
        period_of("2022-05-01", "month", "fiscal")  # type: ignore[arg-type]


@pytest.mark.parametrize("convention", ["calendar", "nd09"])
def test_period_of_is_inverse_of_bounds(convention):
    days = pd.date_range("2021-11-01", "2023-02-28", freq="D")
    for kind in ("month", "quarter", "half", "year"):
        for day in days[::7]:
            p = period_of(day, kind, convention)
            assert p.start <= day <= p.end


# ------------------------------------------------------------------------------ contains


def test_contains_bounds_times_and_nat():
    p = parse_period("2022Q1", "nd09")
    dates = pd.Series(
        pd.to_datetime(
            [
                "2021-12-14 23:59",
                "2021-12-15 00:00",
                "2022-02-01",
                "2022-03-14 16:30",
                "2022-03-15 00:00",
                None,
            ],
            format="ISO8601",
        ),
        index=list("abcdef"),
    )
    mask = p.contains(dates)
    assert mask.dtype == bool
    assert list(mask.index) == list("abcdef")
    assert mask.tolist() == [False, True, True, True, False, False]


def test_contains_calendar_end_of_leap_february():
    p = parse_period("2024-02")
    raw = ["2024-01-31", "2024-02-29 12:00", "2024-03-01"]
    dates = pd.Series(pd.to_datetime(raw, format="ISO8601"))
    assert p.contains(dates).tolist() == [False, True, False]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_contains_any_datetime_unit(unit):
    dates = pd.Series(pd.to_datetime(["2022-01-01", "2022-04-01"])).astype(f"datetime64[{unit}]")
    assert parse_period("2022Q1").contains(dates).tolist() == [True, False]


def test_contains_timezone_aware_uses_wall_clock():
    dates = pd.Series(pd.to_datetime(["2022-03-31 23:30", "2022-04-01 00:30"], format="ISO8601"))
    aware = dates.dt.tz_localize("Asia/Ho_Chi_Minh")
    assert parse_period("2022Q1").contains(aware).tolist() == [True, False]


def test_contains_all_nat_empty_and_objects():
    p = parse_period("2022Q1")
    assert p.contains(pd.Series([pd.NaT, pd.NaT])).tolist() == [False, False]
    empty = p.contains(pd.Series([], dtype="datetime64[ns]"))
    assert empty.empty and empty.dtype == bool
    objects = pd.Series([dt.date(2022, 1, 1), None, dt.date(2022, 4, 1)])
    assert p.contains(objects).tolist() == [True, False, False]
    assert p.contains(["2022-03-31", "2022-04-01"]).tolist() == [True, False]


def test_contains_refuses_day_first_text():
    with pytest.raises(TypeError, match="loader"):
        parse_period("2022Q1").contains(pd.Series(["14/03/2022"]))


# ------------------------------------------------------------------------------ the dataclass


def test_period_is_frozen_hashable_and_checked():
    p = parse_period("2022Q1", "nd09")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.spec = "2022Q2"  # type: ignore[misc]
    assert {p, parse_period("2022q1", "nd09")} == {p}
    assert p != parse_period("2022Q1", "calendar")
    # consistent hand-made periods are fine; inconsistent ones are refused
    assert Period("2022Q1", "quarter", "nd09", T("2021-12-15"), T("2022-03-14")) == p
    with pytest.raises(ValueError, match="parse_period"):
        Period("2022Q1", "quarter", "nd09", T("2022-01-01"), T("2022-03-31"))
    with pytest.raises(ValueError):
        Period("2022q1", "quarter", "calendar", T("2022-01-01"), T("2022-03-31"))


# ------------------------------------------------------------------------------ Vietnamese forms


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("quý IV/2023", "2023Q4"),
        ("Quý IV/2023", "2023Q4"),
        ("QUÝ IV/2023", "2023Q4"),
        ("quý 4/2023", "2023Q4"),
        ("Quý 4/2023", "2023Q4"),
        ("quý 4 năm 2023", "2023Q4"),
        ("quý IV năm 2023", "2023Q4"),
        ("quý I - 2022", "2022Q1"),
        ("  quý   II/2022 ", "2022Q2"),
        ("quy iii/2022", "2022Q3"),  # without diacritics
        ("tháng 5/2023", "2023-05"),
        ("tháng 05/2023", "2023-05"),
        ("Tháng 12 năm 2022", "2022-12"),
        ("thang 1/2022", "2022-01"),
        ("6 tháng đầu năm 2023", "2023H1"),
        ("6 tháng cuối năm 2023", "2023H2"),
        ("6 THÁNG ĐẦU NĂM 2023", "2023H1"),
        ("7 tháng đầu năm 2023", "2023-01..2023-07"),
        ("9 tháng đầu năm 2023", "2023-01..2023-09"),
        ("3 tháng cuối năm 2023", "2023-10..2023-12"),
        ("năm 2023", "2023"),
        ("Năm 2023", "2023"),
        ("từ tháng 3 đến tháng 7 năm 2023", "2023-03..2023-07"),
        ("từ tháng 11/2022 đến tháng 2/2023", "2022-11..2023-02"),
    ],
)
def test_vietnamese_forms(text, canonical):
    assert parse_period(text).spec == canonical
    assert parse_period(text, "nd09").spec == canonical


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_vietnamese_forms_in_any_unicode_normalisation(form):
    for text, spec in (("quý IV/2023", "2023Q4"), ("6 tháng đầu năm 2023", "2023H1"),
                       ("tháng 5/2023", "2023-05"), ("năm 2023", "2023")):
        assert parse_period(unicodedata.normalize(form, text)).spec == spec


def _every_spec(years):
    """Every month, quarter, half and year of ``years``, and every range of 1 to 24 months
    starting in them."""
    for year in years:
        yield str(year)
        yield from (f"{year}H{half}" for half in (1, 2))
        yield from (f"{year}Q{quarter}" for quarter in range(1, 5))
        for month in range(1, 13):
            yield f"{year}-{month:02d}"
            for length in range(1, MAX_RANGE_MONTHS + 1):
                last = year * 12 + month - 1 + length - 1
                yield f"{year}-{month:02d}..{last // 12}-{last % 12 + 1:02d}"


@pytest.mark.parametrize("convention", ["calendar", "nd09"])
def test_labels_read_back(convention):
    """Every label parses back: to the same period, or — where a range has a standard
    period's label ("6 tháng đầu năm" is the first half, "tháng 5/2022" one month) — to that
    period, with the same days."""
    for spec in _every_spec((1900, 1901, 2021, 2022, 2023, 2024, 2198, 2199)):
        try:
            period = parse_period(spec, convention)
        except ValueError:  # a range running past 2199
            continue
        back = parse_period(period.label(), convention)
        assert (back.start, back.end) == (period.start, period.end), period
        if period.kind != "range" or back.kind == "range":
            assert back == period, (period, period.label())


def test_vietnamese_errors():
    with language("vi"):
        with pytest.raises(ValueError, match="quý phải từ I đến IV"):
            parse_period("quý V/2023")
        with pytest.raises(ValueError, match="tháng phải từ 1 đến 12"):
            parse_period("2022-13")
        with pytest.raises(ValueError) as info:
            parse_period("quý trước")
    message = str(info.value)
    assert message.startswith("Không đọc được kỳ báo cáo 'quý trước'")
    for form in ("quý I/2022", "tháng 5/2022", "6 tháng đầu năm 2022", "năm 2022",
                 "7 tháng đầu năm 2022", "2022Q1", "2022-01..2022-07"):
        assert form in message
