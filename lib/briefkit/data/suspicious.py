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
* **Legacy-encoding mojibake** (:func:`garbled`). Vietnamese text that went through a legacy
  encoding reads as Latin letters and symbols. Three kinds are recognised: UTF-8 bytes read
  as Windows-1252 / Latin-1 (``Há»™ tá»‹ch``), TCVN3 / ABC text shown in a Unicode font
  (``Hé tÞch``) and VNI Windows text likewise (``Hoä tòch``). The first is recognised by its
  byte sequences (a lead byte rendered ``Ã``, ``Ä``, ``Æ``, ``á»``… followed by continuation
  bytes), decoding to Vietnamese letters. The two others are 8-bit tables whose letters are
  also Latin-1 letters, so a character alone proves little: a value is garbled when decoding
  it turns words that are not Vietnamese syllables into valid ones (``tÞch`` → ``tịch``) and
  turns no valid syllable into an invalid one (:func:`is_syllable` knows the onsets, rhymes
  and the tone rule of stop-final syllables). Only values whose every character exists in
  Windows-1252 can be TCVN3 / VNI text (correct Vietnamese nearly always has ư, ơ, đ, ạ…,
  which it lacks). The warning gives the repaired text; the data is not changed.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

from briefkit import schema
from briefkit.data.aggregates import parse_periods
from briefkit.data.loaded import Loaded
from briefkit.data.rules import PLAUSIBLE_COUNT_PER_MONTH, rows_text
from briefkit.data.textbytes import all_ascii, scan_ascii

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
    if all_ascii(text):
        return text, changed
    odd = (~text.str.isascii()).fillna(False).to_numpy(dtype=bool)
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
# Vietnamese syllables (to judge a legacy-encoding decoding)
# --------------------------------------------------------------------------------------

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
_STOP_TONES = {"\u0301", "\u0323"}  # the only tones of a syllable ending in c, ch, p, t
_ONSETS = "ngh ng gh gi kh nh ph qu th tr ch b c d đ g h k l m n p r s t v x"
_OPEN_RHYMES = ("a ai ao au ay âu ây e eo ê êu i ia iu iêu o oa oai oao oay oe oeo oi ô ôi ơ "
                "ơi u ua uây uê ui uôi uơ uy uya uyu ư ưa ưi ươi ươu ưu y yêu")
_CLOSED = {  # vowels → the final consonants they take
    "a": "c ch m n ng nh p t", "ă": "c m n ng p t", "â": "c m n ng p t",
    "e": "c m n ng p t", "ê": "ch m n nh p t", "i": "ch m n nh p t",
    "iê": "c m n ng p t", "yê": "m n ng t", "o": "c m n ng p t", "oo": "c ng",
    "ô": "c m n ng p t", "ơ": "m n p t", "u": "c m n ng p t", "uô": "c m n ng t",
    "ư": "c m ng t", "ươ": "c m n ng p t", "oa": "c ch m n ng nh p t",
    "oă": "c m n ng t", "oe": "n t", "uâ": "n ng t", "uê": "ch nh",
    "uy": "ch n nh p t", "uyê": "n t", "y": "ch n nh p t",  # y: after qu (quýt, quỳnh)
}
#: rhyme → (its vowels, its final consonant)
_RHYMES: dict[str, tuple[str, str]] = {
    **{r: (r, "") for r in _OPEN_RHYMES.split()},
    **{v + f: (v, f) for v, finals in _CLOSED.items() for f in finals.split()},
}


def _tone_places(vowels: str, final: str) -> set[int]:
    """Where the tone may sit among a rhyme's vowels: on the (last) vowel with a hat, breve
    or horn (việc, người); else on the last vowel before a final consonant (hoàng); else on
    the first of two (mùa, hai) — or the second in oa, oe, uy, both styles being in use
    (hòa / hoà) — and the middle of three (ngoài)."""
    marked = [i for i, v in enumerate(vowels) if v in "ăâêôơư"]
    if marked:
        return {marked[-1]}
    if final or len(vowels) == 1:
        return {len(vowels) - 1}
    if len(vowels) == 2:
        return {0, 1} if vowels in ("oa", "oe", "uy") else {0}
    return {1}


def is_syllable(word: str) -> bool:
    """Whether a word is a possible Vietnamese syllable: an onset, a rhyme, at most one tone,
    placed where Vietnamese writes it (either style), and only sắc or nặng before c, ch, p, t."""
    letters: list[str] = []  # the word's letters without tone, each with its marks
    tones: list[tuple[str, int]] = []  # (tone mark, index of the letter carrying it)
    for c in unicodedata.normalize("NFD", word.lower()):
        if c in _TONE_MARKS:
            tones.append((c, len(letters) - 1))
        elif unicodedata.combining(c) and letters:
            letters[-1] += c
        else:
            letters.append(c)
    if len(tones) > 1 or (tones and tones[0][1] < 0):
        return False
    bare = [unicodedata.normalize("NFC", letter) for letter in letters]
    if any(len(letter) != 1 for letter in bare):
        return False
    text = "".join(bare)
    for onset in ("", *_ONSETS.split()):
        if not text.startswith(onset) or text[len(onset):] not in _RHYMES:
            continue
        vowels, final = _RHYMES[text[len(onset):]]
        if not tones:
            if not final.startswith(("c", "p", "t")):
                return True
            continue
        tone, at = tones[0]
        if final.startswith(("c", "p", "t")) and tone not in _STOP_TONES:
            continue
        if at - len(onset) in _tone_places(vowels, final):
            return True
    return False


# --------------------------------------------------------------------------------------
# Legacy-encoding mojibake
# --------------------------------------------------------------------------------------


def _cp1252_bytes() -> dict[str, int]:
    """Character → byte for text that was bytes read as Windows-1252 (Latin-1 for the bytes
    Windows-1252 leaves undefined, and for tools that read Latin-1 instead)."""
    table: dict[str, int] = {}
    for b in range(256):
        with contextlib.suppress(UnicodeDecodeError):  # 5 bytes cp1252 leaves undefined
            table.setdefault(bytes([b]).decode("cp1252"), b)
    for b in range(256):
        table.setdefault(chr(b), b)
    return table


_BYTE = _cp1252_bytes()
_CP1252_TEXT = re.compile("[" + re.escape("".join(_BYTE)) + "]*")

_VIET_LOWER = ("aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữự"
               "yỳýỷỹỵđ")
#: Letters of Vietnamese that are not ASCII, and the combining marks of decomposed text.
VIETNAMESE = frozenset(
    [c for c in _VIET_LOWER + _VIET_LOWER.upper() if not c.isascii()]
    + ["\u0300", "\u0301", "\u0302", "\u0303", "\u0306", "\u0309", "\u031b", "\u0323"])


def _chars_of(first: int, last: int) -> str:
    return "".join(re.escape(c) for c, b in _BYTE.items() if first <= b <= last)


_CONT = f"[{_chars_of(0x80, 0xBF)}]"
_UTF8_SEQUENCE = re.compile(
    f"[{_chars_of(0xC2, 0xDF)}]{_CONT}|[{_chars_of(0xE0, 0xEF)}]{_CONT}{{2}}")
#: What may follow a Vietnamese capital in correct text: a "sequence" Ã + one of these
#: (XÃ + no-break space, a closing quote…) proves nothing on its own.
_WEAK_FOLLOWERS = frozenset("\u00a0‘’‚“”„…–—«»·•°©®™")


def _utf8_repair(text: str) -> tuple[str, int]:
    """Text with every UTF-8 sequence read as Windows-1252 decoded, and how many of them
    decoded to a Vietnamese letter in a way correct text cannot show."""
    strong = 0

    def decode(m: re.Match[str]) -> str:
        nonlocal strong
        seq = m.group(0)
        try:
            char = bytes(_BYTE[c] for c in seq).decode("utf-8")
        except UnicodeDecodeError:
            return seq
        if char in VIETNAMESE and not (len(seq) == 2 and seq[0] in VIETNAMESE
                                       and seq[1] in _WEAK_FOLLOWERS):
            strong += 1
        return char

    return _UTF8_SEQUENCE.sub(decode, text), strong


def _utf8(text: str) -> str | None:
    """The repaired text if ``text`` is UTF-8 read as Windows-1252 (twice, even)."""
    repaired, strong = _utf8_repair(text)
    if not strong:
        return None
    for _ in range(2):  # garbled twice (a garbled file saved and garbled again)
        again, more = _utf8_repair(repaired)
        if not more:
            break
        repaired = again
    return unicodedata.normalize("NFC", repaired)


# TCVN3 (ABC, TCVN 5712:1993 VN3): one byte per letter, lower case only but for Ă Â Đ Ê Ô Ơ Ư
# (capitals with a tone use the same codes in an upper-case font).
_TCVN3_LETTERS = ("áàảãạăắằẳẵặâấầẩẫậđéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵ"
                  "ĂÂĐÊÔƠƯ")
_TCVN3_BYTES = bytes.fromhex(
    "b8b5b6b7b9a8bebbbcbdc6a9cac7c8c9cbaed0cccecfd1aad5d2d3d4d6ddd7d8dcdee3dfe1e2e4abe8e5e6"
    "e7e9acedeaebeceef3eff1f2f4adf8f5f6f7f9fdfafbfcfea1a2a7a3a4a5a6")
TCVN3 = {bytes([b]).decode("cp1252"): letter
         for b, letter in zip(_TCVN3_BYTES, _TCVN3_LETTERS, strict=True)}
_TCVN3_TABLE = str.maketrans(TCVN3)
_TCVN3_WORD = re.compile("(?:[^\\W\\d_]|[" + re.escape("".join(TCVN3)) + "])+")


def _compose(base: str, *marks: str) -> str:
    return unicodedata.normalize("NFC", base + "".join(marks))


def _vni_table() -> dict[str, str]:
    """VNI Windows: a base letter then a mark letter (``aø`` = à), a few letters alone."""
    acute, grave, hook, tilde, dot = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
    tones = {"ù": acute, "ø": grave, "û": hook, "õ": tilde, "ï": dot}
    hat = {"â": "", "á": acute, "à": grave, "å": hook, "ã": tilde, "ä": dot}
    breve = {"ê": "", "é": acute, "è": grave, "ú": hook, "ü": tilde, "ë": dot}
    table: dict[str, str] = {}
    for upper in (False, True):
        def case(s: str, up: bool = upper) -> str:
            return s.upper() if up else s
        for base, letter in {"a": "a", "e": "e", "i": "i", "o": "o", "u": "u", "y": "y",
                             "ô": "ơ", "ö": "ư"}.items():
            for mark, tone in tones.items():
                table[case(base + mark)] = case(_compose(letter, tone))
        for base in "aeo":
            for mark, tone in hat.items():
                table[case(base + mark)] = case(_compose(base, "\u0302", tone))
        for mark, tone in breve.items():
            table[case("a" + mark)] = case(_compose("a", "\u0306", tone))
        for single, letter in {"ô": "ơ", "ö": "ư", "ñ": "đ", "ò": "ị", "ó": "ĩ", "æ": "ỉ",
                               "î": "ỵ"}.items():
            table[case(single)] = case(letter)
    return table


VNI = _vni_table()
_VNI_SEQUENCE = re.compile("|".join(re.escape(k) for k in sorted(VNI, key=len, reverse=True)))
_WORD = re.compile("[^\\W\\d_]+")


def _tcvn3_decoder(text: str) -> Callable[[str], str]:
    """TCVN3 decoding of the words of ``text``: in capitals if the text is (an upper-case
    font shows capitals with the codes of small letters)."""
    letters = [c for c in text if c.isascii() and c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return lambda word: word.translate(_TCVN3_TABLE).upper()
    return lambda word: word.translate(_TCVN3_TABLE)


def _vni_word(word: str) -> str:
    return _VNI_SEQUENCE.sub(lambda m: VNI[m.group(0)], word)


def _legacy(text: str, words: re.Pattern[str], decode: Callable[[str], str]
            ) -> tuple[int, str] | None:
    """(score, decoded text) if decoding the words of ``text`` turns words that are not
    Vietnamese syllables into syllables (more of them than stay invalid) and spoils none."""
    fixed = spoiled = invalid = 0
    for word in words.findall(text):
        decoded = decode(word)
        if decoded == word:
            continue
        was, now = is_syllable(word), is_syllable(decoded)
        fixed += now and not was
        spoiled += was and not now
        invalid += not now
    if fixed and not spoiled and fixed > invalid:
        return fixed - invalid, words.sub(lambda m: decode(m.group(0)), text)
    return None


def garbled(text: str) -> tuple[str, str | None] | None:
    """(the encoding that garbled ``text``, the repaired text or None), or None if the text
    does not look garbled."""
    if text.isascii():
        return None
    repaired = _utf8(text)
    if repaired is not None:
        return "UTF-8 read as Windows-1252", repaired
    if not _CP1252_TEXT.fullmatch(text):
        return None  # has letters (ư, ơ, đ, ạ…) no legacy-garbled text has
    found = [(r[0], name, r[1]) for name, r in (
        ("TCVN3 (ABC)", _legacy(text, _TCVN3_WORD, _tcvn3_decoder(text))),
        ("VNI", _legacy(text, _WORD, _vni_word))) if r is not None]
    if not found:
        return None
    _, name, decoded = max(found, key=lambda f: f[0])
    return name, decoded


def garbled_mask(text: pd.Series) -> np.ndarray:
    """Rows of a text column that look garbled, judged once per distinct non-ASCII value."""
    out = np.zeros(len(text), dtype=bool)
    odd = (~text.str.isascii()).fillna(False).to_numpy(dtype=bool)
    if not odd.any():
        return out
    codes, uniques = pd.factorize(text[odd])
    bad = np.array([garbled(str(u)) is not None for u in uniques] + [False], dtype=bool)
    out[np.flatnonzero(odd)] = bad[codes]
    return out


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
