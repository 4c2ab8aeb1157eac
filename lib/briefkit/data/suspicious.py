"""Values that read fine but are probably wrong (issue 9's "silently wrong" and "merely
suspicious" classes), each checked where it arises and per distinct value, not per row.

* **Month-first dates** (:func:`month_first`). ``03/04/2022`` is the 3rd of April (the
  contract), so a column written month first is read wrongly without any error as long as no
  "month" exceeds 12, i.e. as long as every real day is ≤ 12. The data cannot tell; what it can
  tell is how unlikely that is for day-first dates. Among a column's *distinct* day/month/year
  dates (ISO and native dates carry no doubt and are not counted; rows repeating a date add no
  evidence), a day-first column has a day ≤ 12 with a chance of about 12/30.4 ≈ 0.39 per date,
  so ``k`` distinct dates all with a day ≤ 12 happen by chance with probability ≈ 0.39**k:
  1e-4 for k = 10 (:data:`MONTH_FIRST_MIN_DATES`). The dates must also spread over at least
  two months as read (a file covering 1–10 January is day-first and plainly so; read month
  first it would cover ten months). Then the column gets one ``month_first_dates`` warning.
* **Invisible characters in ids** (:func:`clean_ids`). Zero-width and format characters
  (U+200B…U+200F, U+2060…U+2064, U+FEFF, the soft hyphen, bidi controls) cannot be meant in a
  code: they are removed. Space characters other than the plain space (no-break, narrow,
  ideographic…) look like a space: they become one. A trailing no-break space was already
  stripped; the rest would make ``"TP\\u200b"`` a unit of its own. One warning per column.
* **Ids equal but for letter case** (:func:`check_case_variants`). NFC is applied to every id
  when converted, so a decomposed ``Phường`` already equals its precomposed twin. Case (and
  compatibility forms: full-width letters) is not folded: ``"TP"`` and ``"tp"`` stay two ids,
  but two such ids in one table are reported. In ``units`` and ``procedures`` it is an error
  (``case_duplicate_id``): they are hand-kept catalogues that every other table refers to,
  no code system there distinguishes case, and two units "TP" and "tp" split one unit's
  dossiers and figures between two rows of a dispatch. In ``dossiers`` and ``documents`` it
  is a warning (``case_duplicate_record``): a record id comes from a system, where mixed-case
  generated ids may well be distinct; if they are the same record it is counted twice, and
  the user is told so. A reference that matches only after folding (``unit_id "tp"``) stays
  an ``unknown_unit`` error, with "did you mean 'TP'?" (:func:`suggestions`).
* **Absurd but in-range counts** (:func:`check_counts`). Above
  :data:`~briefkit.data.rules.PLAUSIBLE_COUNT_PER_MONTH` dossiers a month of the period
  (see there) an aggregates count is warned about (``implausible_count``), naming row and
  column; MAX_COUNT stays the hard limit.
* **Legacy-encoding mojibake**: :mod:`briefkit.data.mojibake` (its ``garbled_text`` warning
  is grouped here, like the others).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data.aggregates import parse_periods
from briefkit.data.loaded import Loaded
from briefkit.data.mojibake import garbled
from briefkit.data.rules import PLAUSIBLE_COUNT_PER_MONTH, rows_text
from briefkit.data.textbytes import non_ascii, scan_ascii

# --------------------------------------------------------------------------------------
# Month-first dates
# --------------------------------------------------------------------------------------

#: Distinct day/month/year dates, all with a day ≤ 12, from which a column is suspected of
#: being month first (chance ≈ 0.39**10 ≈ 1e-4 for a day-first column; see the module).
MONTH_FIRST_MIN_DATES = 10


def month_first(dates: np.ndarray) -> bool:
    """Whether distinct day-first dates (datetime64[D], no NaT) look month first: at least
    :data:`MONTH_FIRST_MIN_DATES` of them, over at least two months, and no day above 12."""
    dates = np.unique(dates)
    if len(dates) < MONTH_FIRST_MIN_DATES:
        return False
    months = dates.astype("datetime64[M]")
    days = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return bool(days.max() <= 12 and len(np.unique(months)) >= 2)


# --------------------------------------------------------------------------------------
# Invisible characters in ids
# --------------------------------------------------------------------------------------

#: Characters removed from ids: zero-width spaces and joiners, direction marks and
#: embeddings, word joiner and invisible operators, the byte-order mark, the soft hyphen.
INVISIBLE = ("\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff")
#: Space characters replaced by a plain space in ids (every Unicode space separator but it).
ODD_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_INVISIBLE = f"[{INVISIBLE}]"
_ODD_SPACE = f"[{ODD_SPACES}]"
_ANY = re.compile(f"[{INVISIBLE}{ODD_SPACES}]")


def clean_ids(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Ids without invisible characters, odd spaces as plain ones, stripped again (empty →
    NA); and the mask of the values changed. Only non-ASCII cells can hold such characters,
    so a column of ASCII codes costs one scan of its bytes."""
    changed = np.zeros(len(text), dtype=bool)
    odd = non_ascii(text)
    if odd is None:
        return text, changed
    sub = text[odd]
    hit = sub.str.contains(_ANY.pattern, regex=True).fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        return text, changed
    fixed = sub[hit].str.replace(_INVISIBLE, "", regex=True) \
        .str.replace(_ODD_SPACE, " ", regex=True).str.strip()
    out = text.copy()
    positions = np.flatnonzero(odd)[hit]
    out.iloc[positions] = fixed.where(fixed != "").to_numpy(dtype=object)
    changed[positions] = True
    return out, changed


def _char_names(values: np.ndarray) -> str:
    found = sorted(set(_ANY.findall("".join(pd.unique(values).tolist()))))
    return ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'character')}" for ch in found)


# --------------------------------------------------------------------------------------
# Ids equal but for letter case; suggestions for unknown references
# --------------------------------------------------------------------------------------

#: Tables whose id differing from another only by case is an error, or a warning.
CASE_RULE = {"units": "case_duplicate_id", "procedures": "case_duplicate_id",
             "dossiers": "case_duplicate_record", "documents": "case_duplicate_record"}


def fold_ids(ids: pd.Series) -> pd.Series:
    """The key under which ids that differ only by letter case or compatibility form (full
    width…) are equal: lower case for ASCII, NFKC case folding for the rest."""
    key = ids.str.lower()
    odd = (~ids.str.isascii()).fillna(False).to_numpy(dtype=bool)
    if odd.any():
        key[odd] = ids[odd].str.normalize("NFKC").str.casefold().str.normalize("NFKC")
    return key


def _fold_is_injective(ids: pd.Series) -> bool:
    """Cheap proof that no two ids can fold together: ASCII ids written in one case only
    (read from the column's bytes when it is Arrow text: ten million ids in a few ms)."""
    scan = scan_ascii(ids)
    if scan is not None:
        return not (scan.upper and scan.lower)
    present = ids.dropna()
    if not present.str.isascii().all():
        return False
    return bool((present.str.lower() == present).all() or (present.str.upper() == present).all())


def check_case_variants(loaded: Loaded) -> None:
    """Ids of one table that differ only by letter case (see the module for the severity)."""
    rule = CASE_RULE.get(loaded.table.name)
    key = loaded.table.unique
    if rule is None or len(key) != 1 or not loaded.has(key[0]):
        return
    column = key[0]
    ids = loaded.frame[column]
    if _fold_is_injective(ids):
        return
    folded = fold_ids(ids)
    twins = (folded.duplicated(keep=False) & ids.notna()).to_numpy(dtype=bool)
    if not twins.any():
        return
    frame = pd.DataFrame({"key": folded[twins].to_numpy(dtype=object),
                          "id": ids[twins].to_numpy(dtype=object),
                          "at": np.flatnonzero(twins)})
    spellings = frame.drop_duplicates(["key", "id"])  # first record of each spelling
    spellings = spellings[spellings["key"].duplicated(keep=False)]
    what = {"units": "unit", "procedures": "procedure"}.get(loaded.table.name)
    tail = (f"two {what}s or one? Ids that differ only so split one {what}'s dossiers and "
            "figures: merge them or make the ids clearly different" if what else
            "if they are the same record it is counted twice")
    at: list[int] = []
    messages: list[str] = []
    for _, group in spellings.groupby("key", sort=False):
        (place,) = loaded.places(group["at"].to_numpy()[:1])
        first = group["id"].iloc[0]
        for other, pos in zip(group["id"].iloc[1:], group["at"].iloc[1:], strict=True):
            at.append(int(pos))
            messages.append(f"{column} {other!r} differs from {first!r} ({place}) only by "
                            f"letter case or character width: {tail}")
    loaded.emit(rule, column, np.asarray(at, dtype=np.int64), messages)


def suggestions(unknown: pd.Series, known: pd.Series) -> dict[str, str]:
    """Unknown reference → the known id it equals but for case or width (when exactly one)."""
    wanted = pd.Series(pd.unique(unknown.dropna()), dtype="str")
    have = pd.Series(pd.unique(known.dropna()), dtype="str")
    if wanted.empty or have.empty:
        return {}
    index = pd.DataFrame({"key": fold_ids(have), "id": have})
    index = index.drop_duplicates("key", keep=False)  # ambiguous hints are no hints
    by_key = dict(zip(index["key"], index["id"], strict=True))
    out: dict[str, str] = {}
    for value, key in zip(wanted, fold_ids(wanted), strict=True):
        if key in by_key:
            out[value] = by_key[key]
    return out


# --------------------------------------------------------------------------------------
# Absurd but in-range counts
# --------------------------------------------------------------------------------------


def check_counts(loaded: Loaded) -> None:
    """Aggregates counts above PLAUSIBLE_COUNT_PER_MONTH × the months of the row's period."""
    if loaded.table.name != "aggregates" or not loaded.has("period") or loaded.frame.empty:
        return
    frame = loaded.frame
    periods = parse_periods(frame["period"])
    span = (periods.end.astype("datetime64[M]") - periods.start.astype("datetime64[M]")
            ).astype(np.int64) + 1
    unread = np.isnat(periods.start) | np.isnat(periods.end)  # bad_period errors already
    months = np.where(unread, np.nan, span.astype(np.float64))
    limit = months * PLAUSIBLE_COUNT_PER_MONTH
    for column in (*schema.AGGREGATE_COUNTS, *schema.AGGREGATE_OPTIONAL_COUNTS):
        if not loaded.has(column):
            continue
        counts = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            high = counts > limit
        if high.any():
            loaded.emit("implausible_count", column, high, [
                f"count {int(v):,} for unit {u!r} in period {p!r} is above {int(lim):,} "
                f"({PLAUSIBLE_COUNT_PER_MONTH:,} dossiers a month, more than the largest "
                "province's one-stop system handles): a typo, extra digits, or a total "
                "entered as one unit's?"
                for v, u, p, lim in zip(counts[high], frame["unit_id"][high],
                                        frame["period"][high], limit[high], strict=True)])


def check_file(loaded: Loaded) -> None:
    """The checks of this module that need a whole converted file."""
    check_case_variants(loaded)
    check_counts(loaded)


# --------------------------------------------------------------------------------------
# One warning per column for the rules above that concern many rows
# --------------------------------------------------------------------------------------

#: Rules of :func:`briefkit.data.convert.convert`'s masks reported once per column.
GROUPED = frozenset({"month_first_dates", "invisible_character", "garbled_text"})


def emit_grouped(rule: str, loaded: Loaded, column: str, raw: np.ndarray,
                 values: pd.Series, mask: np.ndarray) -> None:
    """One problem for a column's rows in ``mask`` (``raw``: the text as written, ``values``:
    as converted), at its first row, naming the rows."""
    idx = np.flatnonzero(mask)
    rows = loaded.rows[idx].tolist()
    sheets = None if loaded.sheets is None else loaded.sheets[idx].tolist()
    first = int(idx[0])
    example = str(raw[first])
    if rule == "month_first_dates":
        dates = pd.DatetimeIndex(values.iloc[idx].dropna().unique())
        day = pd.Timestamp(values.iloc[first])
        swapped = f"{day.year}-{day.day:02d}-{day.month:02d}"
        message = (
            f"{len(dates)} distinct dates written day/month/year over "
            f"{dates.to_period('M').nunique()} months and not one day above 12: they are read "
            f"day first as the data contract says ({example!r} = {day:%Y-%m-%d}), but the "
            f"file cannot show that they were not written month first ({example!r} would "
            f"then be {swapped}); check the export's date format on a dossier whose date you "
            f"know, or export ISO dates (2022-04-03) ({rows_text(rows, sheets)})")
    elif rule == "invisible_character":
        message = (
            f"{len(idx)} value(s) had invisible characters or unusual spaces "
            f"({_char_names(raw[idx])}), which cannot be meant in an id: removed, so "
            f"{example!r} is read as {values.iloc[first]!r} ({rows_text(rows, sheets)})")
    else:
        encoding, repaired = garbled(example) or ("a legacy encoding", None)
        fix = (f"probably {repaired!r}" if repaired is not None
               else "it cannot be recovered automatically")
        message = (
            f"text garbled by a legacy encoding ({encoding}): {example!r} is {fix} "
            f"({len(idx)} value(s), {rows_text(rows, sheets)}); export the file again as Unicode "
            "(CSV UTF-8) from the original, or convert it (e.g. Unikey's converter)")
    loaded.emit(rule, column, idx[:1], [message])
