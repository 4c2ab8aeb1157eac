"""Conversion by column kind: text in, (canonical values, {rule: bad mask}) out.

A column may also arrive as a pandas Categorical of text (a Parquet string column read as a
dictionary): it is then stripped and converted once per distinct value, by the same
functions, and the results are spread over the rows by their codes, so the values, masks
and dtypes are the ones the plain text would give. Parquet booleans without nulls (numpy
``bool``) need no reading at all in a yes/no column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data.mojibake import garbled_mask
from briefkit.data.rules import BAD_VALUE_RULE, MAX_COUNT
from briefkit.data.suspicious import clean_ids, month_first
from briefkit.data.textbytes import non_ascii, scan_ascii
from briefkit.schema import Table

#: The time zone of tz-aware timestamps' wall clock (Parquet): the data is Vietnamese.
LOCAL_TZ = "Asia/Ho_Chi_Minh"

_NS_MIN = np.datetime64("1678-01-01", "us")
_NS_MAX = np.datetime64("2261-12-31", "us")


def strip_text(s: pd.Series) -> pd.Series:
    """Stripped text, empty → NA (datetime and boolean columns from Parquet pass through; a
    categorical one is stripped per category, categories that strip alike merged)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return _strip_categories(s)
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s
    s = s.astype("str")
    scan = scan_ascii(s)
    if scan is not None and not scan.spaces and not scan.empty:  # nothing to strip or empty
        return s
    s = s.str.strip()
    return s.where(s != "")


def _strip_categories(s: pd.Series) -> pd.Series:
    categories = pd.Series(s.cat.categories, dtype="str")
    stripped = strip_text(categories)
    if stripped.equals(categories):
        return s
    new_codes, uniques = pd.factorize(stripped)  # a category stripped to nothing: -1, NA
    codes = np.append(new_codes, -1)[s.cat.codes.to_numpy()]  # and code -1 stays -1
    return pd.Series(pd.Categorical.from_codes(codes, categories=uniques, validate=False),
                     index=s.index)


def _distinct(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The distinct values of a categorical column as text: the categories some row has, and
    NA (last) if a row has none; and each row's position among them. Every property of the
    column as a whole (its set of dates, whether any value is NA…) is thus that of these."""
    codes = s.cat.codes.to_numpy()
    count = len(s.cat.categories)
    seen = np.zeros(count + 1, dtype=bool)
    seen[codes] = True  # code -1 (NA) marks the last place
    texts = pd.Series(np.append(s.cat.categories.to_numpy(dtype=object), [None])[seen],
                      dtype="str")
    if seen[:count].all():
        return texts, codes  # code -1 picks the trailing NA
    return texts, (np.cumsum(seen) - 1)[codes]


def _nfc(text: pd.Series) -> pd.Series:
    """Text in NFC: a decomposed "Phường" (macOS, some exports) must equal its NFC twin.
    Only non-ASCII cells need it, and normalising is per cell, so it is done on those only."""
    odd = non_ascii(text)
    if odd is None:
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


def _parse_date_texts(texts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[D] of distinct date texts (NaT where unreadable), and whether each was read
    by a day-first format (``14/03/2022``: the ones a month-first export could fake).

    The cell is split into a date part and an optional time part (after a space or ``T``).
    The time is checked against :data:`schema.TIME_PATTERN` and dropped; each format of
    :data:`schema.DATE_FORMATS` is tried, vectorised, on the date parts no earlier format
    could read. Dates outside datetime64[ns]'s range (years like 0022) are unreadable.
    """
    if texts.empty:
        return np.array([], dtype="datetime64[D]"), np.zeros(0, dtype=bool)
    day, time_ok = _split_clock(texts)
    day_codes, day_uniques = pd.factorize(day)
    values = np.asarray(day_uniques, dtype=object)
    parsed = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    todo = np.ones(len(values), dtype=bool)
    day_first = np.zeros(len(values), dtype=bool)
    for fmt in schema.DATE_FORMATS:
        idx = np.flatnonzero(todo)
        if not len(idx):
            break
        attempt = pd.to_datetime(pd.Series(values[idx], dtype="str"), format=fmt,
                                 errors="coerce").to_numpy(dtype="datetime64[us]")
        ok = ~np.isnat(attempt) & (attempt >= _NS_MIN) & (attempt <= _NS_MAX)
        parsed[idx[ok]] = attempt[ok].astype("datetime64[D]")
        todo[idx[ok]] = False
        day_first[idx[ok]] = fmt.startswith("%d")
    out = np.append(parsed, np.datetime64("NaT"))[day_codes]
    out[~time_ok] = np.datetime64("NaT")
    return out, np.append(day_first, False)[day_codes] & ~np.isnat(out)


def _split_clock(texts: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The date part of each text (before the first space or ``T``) and whether its time part,
    if any, is a valid time (:data:`schema.TIME_PATTERN`). One Arrow regex over the texts
    (a date-time column has nearly as many distinct texts as rows: pandas' split was most of
    its parsing time); the time check runs once per distinct time (a day has 1,440 minutes).
    A text the pattern cannot take (a line break inside) keeps no date part: unreadable."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # from the texts' own Arrow buffers where they have them: a date-time column has nearly
    # as many distinct texts as rows, millions of Python strings otherwise
    texts_arrow = pa.array(texts.array, type=pa.string(), from_pandas=True)
    parts = pc.extract_regex(texts_arrow, r"^(?P<day>[^ T]*)(?P<clock>[ T].*)?$")
    day = pd.Series(parts.field("day").to_numpy(zero_copy_only=False), index=texts.index,
                    dtype="str")
    # the time part with its separator: "" when the text has none, " " or "T" alone when empty
    clock = pd.Series(parts.field("clock").to_numpy(zero_copy_only=False), dtype="str")
    day = day.where(parts.is_valid().to_numpy(zero_copy_only=False))
    codes, uniques = pd.factorize(clock)
    given = pd.Series(np.asarray(uniques, dtype=object), dtype="str")
    # after a space, a "T" in the time part counts as a space too ("05/01/2022 T08:00")
    after = given.str.slice(1)
    after = after.where(~given.str.startswith(" "), after.str.replace("T", " ", n=1,
                                                                     regex=False))
    valid = (given == "") | after.str.strip().str.fullmatch(schema.TIME_PATTERN)
    time_ok = np.append(valid.fillna(False).to_numpy(dtype=bool), True)[codes]
    return day, time_ok


def _parse_dates(s: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Dates at midnight (datetime64[ns]), the mask of unreadable cells and the mask of the
    cells of a column that looks month first (:func:`~briefkit.data.suspicious.month_first`
    on its distinct day-first dates; else all False).

    Text is parsed once per distinct value (a date column has few), see
    :func:`_parse_date_texts`. Native datetimes (Parquet) are only truncated to the day,
    tz-aware ones first taken to Vietnamese wall-clock time: they are never ambiguous.
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
        days = s.to_numpy().astype("datetime64[D]")  # from the column's own unit
        none = np.zeros(len(s), bool)
        dates = pd.Series(days.astype("datetime64[ns]"), index=s.index, copy=False)
        return dates, none, none.copy()
    codes, uniques = pd.factorize(s)
    parsed, day_first = _parse_date_texts(
        pd.Series(uniques, dtype="str"))
    days = np.append(parsed, np.datetime64("NaT"))[codes]
    bad = (codes >= 0) & np.isnat(days)
    ambiguous = np.zeros(len(s), bool)
    if day_first.any() and month_first(parsed[day_first]):
        ambiguous = np.append(day_first, False)[codes]
    return pd.Series(days.astype("datetime64[ns]"), index=s.index, copy=False), bad, ambiguous


def convert(kind: str, text: pd.Series) -> tuple[pd.Series, dict[str, np.ndarray], np.ndarray]:
    """(canonical values, {rule: mask of bad values}, mask of missing values) for a column
    already through :func:`strip_text`."""
    if isinstance(text.dtype, pd.CategoricalDtype):  # once per distinct value, then per row
        texts, at = _distinct(text)
        each, each_bad, each_missing = convert(kind, texts)
        return (pd.Series(each.array.take(at), index=text.index),
                {rule: mask[at] for rule, mask in each_bad.items()}, each_missing[at])
    if kind == "bool" and pd.api.types.is_bool_dtype(text):  # Parquet booleans, no nulls
        none = np.zeros(len(text), dtype=bool)
        return text, {BAD_VALUE_RULE[kind]: none}, none.copy()
    if kind in schema.NULL_MARKER_KINDS and not pd.api.types.is_datetime64_any_dtype(text):
        text = text.where(~text.isin(schema.NULL_MARKERS))
    missing = text.isna().to_numpy()
    if kind == "date":
        values, bad, ambiguous = _parse_dates(text)
        return values, {"bad_date": bad, "month_first_dates": ambiguous}, missing
    if kind == "id":  # an id left empty by its invisible characters is an empty id
        ids, changed = clean_ids(text)
        return _nfc(ids), {"invisible_character": changed}, ids.isna().to_numpy()
    if kind == "text":
        text = _nfc(text)
        return text, {"garbled_text": garbled_mask(text)}, missing
    if kind == "period":
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
    rule = BAD_VALUE_RULE[kind]
    if kind == "bool":
        yes = pd.Series(mapped == True, index=text.index, dtype=bool, copy=False)  # noqa: E712
        return yes, {rule: bad}, missing
    if kind == "online_level":
        levels = pd.Series(mapped, index=text.index, dtype="Int8")
        if not levels.isna().any():
            levels = levels.astype("int8")
        return levels, {rule: bad}, missing
    return pd.Series(mapped, index=text.index, dtype="str"), {rule: bad}, missing


def default(kind: str, n: int) -> pd.Series:
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


def empty_frame(table: Table) -> pd.DataFrame:
    """A table with no file: its columns with their canonical dtypes, no rows."""
    return pd.DataFrame({c.name: default(c.kind, 0) for c in table.columns})


def bad_message(kind: str, value: str) -> str:
    if kind == "date":
        return (f"cannot read date {value!r} (expected 14/03/2022, 2022-03-14, "
                "with or without a time, or an Excel date)")
    if kind == "count":
        return f"count {value!r} is not a whole number"
    noun = {"level": "level", "online_level": "online level", "channel": "channel",
            "bool": "yes/no value"}[kind]
    return f"unknown {noun} {value!r}; expected {schema.VOCABULARY_HINTS[kind]}"
