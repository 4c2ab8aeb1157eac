"""Vietnamese formatting of numbers and dates for briefings attached to official documents.

Why this module exists rather than f-strings:

* Separators come from Babel's ``vi_VN`` locale data (decimal comma, dot for thousands), never
  from hand-written replacements that break on negatives or large numbers.
* Official figures are **rounded half up** (0,80185 -> 80,19%; 2,5 -> 3) the way staff check them
  by hand or in Excel. Python's ``round``, ``format`` and Babel all round half to even, and binary
  floats add artefacts (0.29 * 100 == 28.999999999999996). So every number is first converted to
  an exact :class:`~decimal.Decimal`, quantised with ``ROUND_HALF_UP`` and only then handed to
  Babel, whose own rounding is then a no-op.
* Binary floats are read through their shortest representation and then cut to 15 significant
  digits (what Excel keeps) before rounding. That removes arithmetic noise such as
  0.845 - 0.8 == 0.04499999999999993, which must show as "4,50" points, not "4,49". Integers and
  Decimals are taken exactly.
* Rounding is symmetric (half away from zero: -2,5 -> -3), so a negative figure reads as its
  positive counterpart with a minus sign; a value that rounds to zero never shows "-0".
* A missing value (None, NaN, pandas NA/NaT) formats as "—" so that one unit without data does
  not break a whole briefing; infinity raises, because it only arises from a division by zero
  that the KPI code should have turned into a missing value.

Dates follow Decree 30/2020/NĐ-CP: "ngày 05 tháng 02 năm 2022" (days below 10 and the months 1
and 2 take a leading zero, other months do not: "ngày 09 tháng 3 năm 2022").
"""

from __future__ import annotations

import datetime as _dt
import math
import operator
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.numbers import (
    format_decimal as _babel_format_decimal,
    format_percent as _babel_format_percent,
)

LOCALE = Locale.parse("vi_VN")
#: What a missing figure prints as (an em dash, as in printed statistical tables).
MISSING = "—"
#: Significant digits kept from a binary float before rounding (Excel keeps 15 as well).
FLOAT_SIGNIFICANT_DIGITS = 15

ValueKind = Literal["rate", "count", "points"]
_DEFAULT_DECIMALS: dict[str, int] = {"rate": 2, "count": 0, "points": 2}

_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


# --------------------------------------------------------------------------- exact numbers


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas NA / NaT and Decimal NaN (scalars only)."""
    if value is None:
        return True
    if not pd.api.types.is_scalar(value):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _check_decimals(decimals: int) -> int:
    if isinstance(decimals, bool):
        raise TypeError("decimals must be an int, not a bool")
    decimals = operator.index(decimals)
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    return decimals


def _to_decimal(value: Any) -> Decimal:
    """An exact Decimal for a number, free of binary-float artefacts (see module docstring).

    Raises TypeError for non-numbers (including bool and text: a figure that arrives as text
    is a bug upstream) and ValueError for infinities.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Expected a number, got a boolean: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, np.integer)):
        return Decimal(int(value))
    elif isinstance(value, (float, np.floating)):
        if isinstance(value, float):  # includes np.float64, whose repr is "np.float64(…)"
            text = repr(float(value))
        else:  # float32 / float16: shortest text for *their* precision ("0.8447", not …447003)
            text = np.format_float_positional(value, unique=True, trim="-")
        result = Decimal(text)
        if result.is_finite() and result != 0:
            with localcontext() as ctx:
                ctx.prec = FLOAT_SIGNIFICANT_DIGITS
                ctx.rounding = ROUND_HALF_EVEN
                result = +result  # unary plus applies the context precision
    else:
        raise TypeError(f"Expected a number, got {type(value).__name__}: {value!r}")
    if result.is_infinite():
        raise ValueError(f"Cannot format an infinite value ({value!r}); a division by zero?")
    return result


def _quantize(number: Decimal, decimals: int) -> Decimal:
    """Round half up to ``decimals`` places; never returns negative zero."""
    quantum = Decimal(1).scaleb(-decimals)
    with localcontext() as ctx:
        # enough precision for any magnitude we may meet, so quantize never signals
        ctx.prec = max(28, number.adjusted() + decimals + 5)
        result = number.quantize(quantum, rounding=ROUND_HALF_UP)
    return abs(result) if result == 0 else result


def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


@overload
def round_half_up(x: pd.Series, decimals: int = 0) -> pd.Series: ...
@overload
def round_half_up(x: Any, decimals: int = 0) -> float: ...
def round_half_up(x: Any, decimals: int = 0) -> float | pd.Series:
    """Round half up (away from zero on ties) exactly as the formatters do, as a float.

    Narrative code uses it to compute gaps from the *shown* figures, e.g. the gap between a
    target of 84,47% and a rate of 80,18% is ``round_half_up(0.8447, 4) - round_half_up(0.8018,
    4)``, formatted with :func:`format_points` as "4,29". Missing values give NaN. A Series is
    rounded element by element (Decimal arithmetic cannot be vectorised exactly; Series here
    hold one value per unit, so this is cheap) and keeps its index.
    """
    decimals = _check_decimals(decimals)
    if isinstance(x, pd.Series):
        return x.map(lambda v: round_half_up(v, decimals), na_action="ignore").astype(float)
    if is_missing(x):
        return math.nan
    return float(_quantize(_to_decimal(x), decimals))


# --------------------------------------------------------------------------- numbers


def format_number(x: Any, decimals: int = 0, *, locale: Locale | str = LOCALE) -> str:
    """A number the Vietnamese way: 3043 -> "3.043", 4.5 (decimals=1) -> "4,5", -1234 -> "-1.234".

    Exactly ``decimals`` decimal places, rounded half up; missing -> "—". ``locale`` only for
    the terminal's English (:func:`briefkit.i18n.number`); documents are Vietnamese.
    """
    decimals = _check_decimals(decimals)
    if is_missing(x):
        return MISSING
    number = _quantize(_to_decimal(x), decimals)
    return _babel_format_decimal(number, format=_pattern(decimals), locale=locale)


def format_percent(fraction: Any, decimals: int = 2) -> str:
    """A fraction as a percentage: 0.8018 -> "80,18%", 1 -> "100,00%", 1 (decimals=0) -> "100%".

    Rule: always exactly ``decimals`` decimal places, rounded half up, no space before "%"
    (Babel's vi_VN percent pattern). No clamping: 0.99996 shows "100,00%" like Excel would, so
    narrative code must decide "all dossiers" from the counts, not from the shown figure.
    Pass the fraction itself, not ``fraction * 100``, so no float multiplication precedes the
    rounding. Missing -> "—".
    """
    decimals = _check_decimals(decimals)
    if is_missing(fraction):
        return MISSING
    # rounding the fraction at decimals + 2 places == rounding the percentage at decimals
    number = _quantize(_to_decimal(fraction), decimals + 2)
    return _babel_format_percent(number, format=_pattern(decimals) + "%", locale=LOCALE)


def format_points(diff: Any, decimals: int = 2) -> str:
    """A difference of two fractions in percentage points, as an absolute value: 0.0429 -> "4,29".

    Absolute because the sentence carries the direction ("thấp hơn 4,29 điểm phần trăm"); the
    caller writes the words "điểm phần trăm". Missing -> "—".
    """
    decimals = _check_decimals(decimals)
    if is_missing(diff):
        return MISSING
    number = _quantize(abs(_to_decimal(diff)) * 100, decimals)
    return _babel_format_decimal(number, format=_pattern(decimals), locale=LOCALE)


def format_ratio(num: Any, den: Any) -> str:
    """Numerator over denominator as counts: (3043, 3836) -> "3.043/3.836".

    "—" if either is missing: a half-known ratio would misstate the figure.
    """
    if is_missing(num) or is_missing(den):
        return MISSING
    return f"{format_number(num)}/{format_number(den)}"


def format_value(value: Any, kind: ValueKind, decimals: int | None = None) -> str:
    """Format a KPI value by its kind, as kpis.csv stores it.

    * ``rate``: a fraction, shown as a percentage with 2 decimals ("80,18%");
    * ``count``: a whole number ("3.043");
    * ``points``: index points (Decision 766), 2 decimals, sign kept ("17,42").

    ``decimals`` overrides the default of the kind. None / NaN / NA -> "—".
    """
    if kind not in _DEFAULT_DECIMALS:
        raise ValueError(f"kind must be one of {', '.join(_DEFAULT_DECIMALS)}, got {kind!r}")
    places = _DEFAULT_DECIMALS[kind] if decimals is None else decimals
    if kind == "rate":
        return format_percent(value, places)
    return format_number(value, places)


def to_roman(n: int) -> str:
    """Roman numeral for 1..3999 ("quý IV", "Phụ lục II")."""
    if isinstance(n, (bool, np.bool_)):
        raise TypeError("to_roman() needs an int, not a bool")
    n = operator.index(n)
    if not 1 <= n <= 3999:
        raise ValueError(f"to_roman() handles 1..3999, got {n}")
    parts: list[str] = []
    for value, symbol in _ROMAN:
        count, n = divmod(n, value)
        parts.append(symbol * count)
    return "".join(parts)


# --------------------------------------------------------------------------- dates


def _to_date(d: Any) -> _dt.date:
    """A calendar date from a date, datetime, Timestamp, numpy datetime64 or ISO 8601 text.

    Time-zone-aware values keep their wall-clock date. Other text is refused: "03/04/2022" is
    ambiguous to generic parsers, and parsing user text is the loader's job.
    """
    if isinstance(d, str):
        try:
            ts = pd.to_datetime(d.strip(), format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"Date {d!r} is not ISO 8601 (YYYY-MM-DD)") from exc
        return ts.date()
    if isinstance(d, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(d).date()
    if isinstance(d, _dt.datetime):
        return d.date()
    if isinstance(d, _dt.date):
        return d
    raise TypeError(f"Expected a date, got {type(d).__name__}: {d!r}")


def format_date(d: Any) -> str:
    """ "ngày 20 tháng 5 năm 2022" per Decree 30/2020 (leading zero for days < 10 and months 1–2).

    Missing (None / NaT) -> "—", for table cells such as the result date of an open dossier.
    """
    if is_missing(d):
        return MISSING
    day = _to_date(d)
    month = "MM" if day.month <= 2 else "M"
    return _babel_format_date(day, format=f"'ngày' dd 'tháng' {month} 'năm' y", locale=LOCALE)


def format_place_date(place: str, d: Any) -> str:
    """The place-and-date line of a document header: "Quận 6, ngày 20 tháng 5 năm 2022".

    Unlike :func:`format_date`, a missing date or empty place raises: a dispatch without them
    is not a valid document.
    """
    if not isinstance(place, str) or not place.strip():
        raise ValueError(f"A place name is required, got {place!r}")
    if is_missing(d):
        raise ValueError("A document date is required")
    return f"{place.strip()}, {format_date(d)}"


__all__ = [
    "FLOAT_SIGNIFICANT_DIGITS",
    "LOCALE",
    "MISSING",
    "ValueKind",
    "format_date",
    "format_number",
    "format_percent",
    "format_place_date",
    "format_points",
    "format_ratio",
    "format_value",
    "is_missing",
    "round_half_up",
    "to_roman",
]
