"""Tests for briefkit.formatting: exact strings, as they will appear in official documents."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from briefkit.formatting import (
    MISSING,
    format_date,
    format_number,
    format_percent,
    format_place_date,
    format_points,
    format_ratio,
    format_value,
    is_missing,
    round_half_up,
    to_roman,
)

MISSING_VALUES = [None, math.nan, np.nan, np.float32("nan"), pd.NA, pd.NaT, Decimal("NaN")]


# ------------------------------------------------------------------------------ format_number


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (3043, 0, "3.043"),
        (1234567, 0, "1.234.567"),
        (4.5, 1, "4,5"),
        (0, 0, "0"),
        (0, 2, "0,00"),
        (7, 0, "7"),
        (999, 0, "999"),
        (1000, 0, "1.000"),
        (-1234, 0, "-1.234"),
        (-1234567.891, 2, "-1.234.567,89"),
        (10**12, 0, "1.000.000.000.000"),
        (10**25, 0, "10.000.000.000.000.000.000.000.000"),
        (1e20, 0, "100.000.000.000.000.000.000"),
        (1234.5, 2, "1.234,50"),
        (3043.0, 0, "3.043"),
        # half up, never banker's rounding
        (2.5, 0, "3"),
        (3.5, 0, "4"),
        (0.5, 0, "1"),
        (1.005, 2, "1,01"),
        (2.675, 2, "2,68"),
        (0.125, 2, "0,13"),
        # symmetric: ties go away from zero
        (-2.5, 0, "-3"),
        (-1.005, 2, "-1,01"),
        # no negative zero
        (-0.4, 0, "0"),
        (-0.001, 2, "0,00"),
        (-0.0, 0, "0"),
        # float artefacts
        (0.29 * 100, 2, "29,00"),
        (0.29 * 100, 0, "29"),
        (0.1 + 0.2, 2, "0,30"),
        (1.1 * 3, 1, "3,3"),
        # numpy and Decimal
        (np.int64(3043), 0, "3.043"),
        (np.int32(-7), 0, "-7"),
        (np.uint16(65535), 0, "65.535"),
        (np.float64(2.5), 0, "3"),
        (np.float32(3043.5), 0, "3.044"),
        (np.float32(4.45), 1, "4,5"),
        (Decimal("2.5"), 0, "3"),
        (Decimal("1234.565"), 2, "1.234,57"),
    ],
)
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize("value", MISSING_VALUES)
def test_format_number_missing(value):
    assert format_number(value) == MISSING == "—"


@pytest.mark.parametrize("value", ["3043", True, np.bool_(False), [1, 2], pd.Series([1])])
def test_format_number_refuses_non_numbers(value):
    with pytest.raises(TypeError):
        format_number(value)


@pytest.mark.parametrize("value", [math.inf, -math.inf, np.inf, Decimal("Infinity")])
def test_format_number_refuses_infinity(value):
    with pytest.raises(ValueError, match="infinite"):
        format_number(value)


@pytest.mark.parametrize("decimals", [-1, 1.5, True])
def test_bad_decimals(decimals):
    with pytest.raises((TypeError, ValueError)):
        format_number(1, decimals)
    with pytest.raises((TypeError, ValueError)):
        format_percent(0.5, decimals)


def test_numbers_from_pandas_columns():
    counts = pd.Series([3043, None], dtype="Int64")
    assert [format_number(v) for v in counts] == ["3.043", "—"]
    rates = pd.Series([0.8018, np.nan])
    assert [format_percent(v) for v in rates] == ["80,18%", "—"]


# ------------------------------------------------------------------------------ format_percent


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.8018, 2, "80,18%"),
        (0.8447, 2, "84,47%"),
        (0.79, 0, "79%"),
        (1, 2, "100,00%"),
        (1, 0, "100%"),
        (1.0, 2, "100,00%"),
        (0, 2, "0,00%"),
        (0, 0, "0%"),
        (0.5, 1, "50,0%"),
        (0.29, 2, "29,00%"),
        (0.57, 2, "57,00%"),
        (0.80185, 2, "80,19%"),  # half up
        (0.80175, 2, "80,18%"),  # half up, not to even
        (0.005, 0, "1%"),
        (0.995, 0, "100%"),
        (0.99996, 2, "100,00%"),  # no clamping: same as Excel
        (0.98, 2, "98,00%"),
        (3043 / 3836, 2, "79,33%"),
        (12.5, 2, "1.250,00%"),
        (-0.05, 2, "-5,00%"),
        (-0.0429, 2, "-4,29%"),
        (-0.00001, 2, "0,00%"),  # no negative zero
        (np.float64(0.8447), 2, "84,47%"),
        (np.float32(0.8447), 2, "84,47%"),
        (Decimal("0.80185"), 2, "80,19%"),
        (np.int64(1), 0, "100%"),
    ],
)
def test_format_percent(value, decimals, expected):
    assert format_percent(value, decimals) == expected


def test_format_percent_default_decimals_and_no_space():
    assert format_percent(0.8018) == "80,18%"
    assert " " not in format_percent(0.8018) and "\xa0" not in format_percent(0.8018)


@pytest.mark.parametrize("value", MISSING_VALUES)
def test_format_percent_missing(value):
    assert format_percent(value) == "—"


# ------------------------------------------------------------------------------ format_points


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.0429, 2, "4,29"),
        (-0.0429, 2, "4,29"),  # absolute: the sentence carries the direction
        (0.8447 - 0.8018, 2, "4,29"),  # 0.04290000000000005
        (0.8018 - 0.8447, 2, "4,29"),
        (0.845 - 0.8, 2, "4,50"),  # 0.04499999999999993
        (0.10, 2, "10,00"),
        (0.10, 0, "10"),
        (0.00125, 2, "0,13"),
        (0, 2, "0,00"),
        (-0.00001, 2, "0,00"),
        (1, 2, "100,00"),
    ],
)
def test_format_points(value, decimals, expected):
    assert format_points(value, decimals) == expected


def test_format_points_missing():
    assert format_points(None) == "—"
    assert format_points(np.nan) == "—"


# ------------------------------------------------------------------------------ format_ratio


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [
        (3043, 3836, "3.043/3.836"),
        (0, 0, "0/0"),
        (90, 1000, "90/1.000"),
        (np.int64(3043), 3836.0, "3.043/3.836"),
        (None, 3836, "—"),
        (3043, np.nan, "—"),
        (pd.NA, pd.NA, "—"),
    ],
)
def test_format_ratio(num, den, expected):
    assert format_ratio(num, den) == expected


# ------------------------------------------------------------------------------ format_value


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.8018, "rate", "80,18%"),
        (1, "rate", "100,00%"),
        (3043, "count", "3.043"),
        (3043.0, "count", "3.043"),
        (0, "count", "0"),
        (17.42, "points", "17,42"),
        (17.425, "points", "17,43"),
        (20, "points", "20,00"),
        (-1.5, "points", "-1,50"),  # index points keep their sign
        (None, "rate", "—"),
        (np.nan, "count", "—"),
        (pd.NA, "points", "—"),
        (float("nan"), "rate", "—"),
    ],
)
def test_format_value(value, kind, expected):
    assert format_value(value, kind) == expected


def test_format_value_decimals_override_and_bad_kind():
    assert format_value(0.8018, "rate", decimals=0) == "80%"
    assert format_value(17.4249, "points", decimals=1) == "17,4"
    with pytest.raises(ValueError, match="rate, count, points"):
        format_value(1, "percent")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ to_roman


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "I"),
        (2, "II"),
        (3, "III"),
        (4, "IV"),
        (5, "V"),
        (9, "IX"),
        (14, "XIV"),
        (40, "XL"),
        (49, "XLIX"),
        (90, "XC"),
        (400, "CD"),
        (944, "CMXLIV"),
        (1994, "MCMXCIV"),
        (2022, "MMXXII"),
        (3999, "MMMCMXCIX"),
        (np.int64(4), "IV"),
    ],
)
def test_to_roman(n, expected):
    assert to_roman(n) == expected


@pytest.mark.parametrize("n", [0, -1, 4000])
def test_to_roman_out_of_range(n):
    with pytest.raises(ValueError):
        to_roman(n)


@pytest.mark.parametrize("n", [1.0, "4", True])
def test_to_roman_needs_int(n):
    with pytest.raises(TypeError):
        to_roman(n)


# ------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2022, 5, 20), "ngày 20 tháng 5 năm 2022"),
        (dt.date(2022, 2, 5), "ngày 05 tháng 02 năm 2022"),
        (dt.date(2022, 3, 9), "ngày 09 tháng 3 năm 2022"),
        (dt.date(2022, 1, 10), "ngày 10 tháng 01 năm 2022"),
        (dt.date(2022, 1, 1), "ngày 01 tháng 01 năm 2022"),
        (dt.date(2022, 10, 1), "ngày 01 tháng 10 năm 2022"),
        (dt.date(2022, 12, 31), "ngày 31 tháng 12 năm 2022"),
        (dt.date(2024, 2, 29), "ngày 29 tháng 02 năm 2024"),
        (dt.datetime(2022, 5, 20, 16, 30), "ngày 20 tháng 5 năm 2022"),
        (pd.Timestamp("2022-05-20 08:00"), "ngày 20 tháng 5 năm 2022"),
        (pd.Timestamp("2022-05-20 23:30", tz="Asia/Ho_Chi_Minh"), "ngày 20 tháng 5 năm 2022"),
        (np.datetime64("2022-05-20"), "ngày 20 tháng 5 năm 2022"),
        ("2022-05-20", "ngày 20 tháng 5 năm 2022"),
        ("2022-05-20T10:00:00", "ngày 20 tháng 5 năm 2022"),
    ],
)
def test_format_date(value, expected):
    assert format_date(value) == expected


@pytest.mark.parametrize("value", [None, pd.NaT, np.datetime64("NaT")])
def test_format_date_missing(value):
    assert format_date(value) == "—"


def test_format_date_refuses_ambiguous_text_and_non_dates():
    with pytest.raises(ValueError, match="ISO"):
        format_date("03/04/2022")
    with pytest.raises(TypeError):
        format_date(20220520)


def test_format_place_date():
    assert format_place_date("Quận 6", dt.date(2022, 5, 20)) == "Quận 6, ngày 20 tháng 5 năm 2022"
    assert format_place_date(" Quận 6 ", "2022-02-05") == "Quận 6, ngày 05 tháng 02 năm 2022"
    with pytest.raises(ValueError):
        format_place_date("Quận 6", None)
    with pytest.raises(ValueError):
        format_place_date("Quận 6", pd.NaT)
    with pytest.raises(ValueError):
        format_place_date("  ", dt.date(2022, 5, 20))


# ------------------------------------------------------------------------------ round_half_up


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.80185, 4, 0.8019),
        (0.8447, 4, 0.8447),
        (2.5, 0, 3.0),
        (-2.5, 0, -3.0),
        (1.005, 2, 1.01),
        (2.675, 2, 2.68),
        (0.29 * 100, 2, 29.0),
        (3043, 0, 3043.0),
        (np.float32(0.8447), 4, 0.8447),
        (Decimal("0.80185"), 4, 0.8019),
        (-0.0001, 2, 0.0),
    ],
)
def test_round_half_up(value, decimals, expected):
    result = round_half_up(value, decimals)
    assert isinstance(result, float)
    assert result == expected
    assert math.copysign(1, result) == math.copysign(1, expected)  # no -0.0


def test_round_half_up_missing_and_series():
    assert math.isnan(round_half_up(None, 2))
    assert math.isnan(round_half_up(pd.NA, 2))
    s = pd.Series([0.80185, None, 2.675], index=["a", "b", "c"])
    out = round_half_up(s, 2)
    assert out.dtype == float
    assert list(out.index) == ["a", "b", "c"]
    assert out["a"] == 0.80 and math.isnan(out["b"]) and out["c"] == 2.68


def test_gap_from_shown_figures():
    """The narrative's gap is computed from the rounded figures it shows."""
    target, value = 0.8447, 0.80184  # shown as 84,47% and 80,18%
    gap = round_half_up(target, 4) - round_half_up(value, 4)
    assert format_percent(target) == "84,47%"
    assert format_percent(value) == "80,18%"
    assert format_points(gap) == "4,29"


# ------------------------------------------------------------------------------ is_missing


@pytest.mark.parametrize("value", MISSING_VALUES)
def test_is_missing(value):
    assert is_missing(value)


@pytest.mark.parametrize("value", [0, 0.0, "", "—", [None], Decimal(0)])
def test_is_not_missing(value):
    assert not is_missing(value)
