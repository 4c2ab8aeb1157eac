"""Legacy-encoding mojibake in text columns (:func:`garbled`, the ``garbled_text`` warning).

Vietnamese text that went through a legacy encoding reads as Latin letters and symbols.
Three kinds are recognised: UTF-8 bytes read as Windows-1252 / Latin-1 (``Há»™ tá»‹ch``),
TCVN3 / ABC text shown in a Unicode font (``Hé tÞch``) and VNI Windows text likewise
(``Hoä tòch``). The first is recognised by its byte sequences (a lead byte rendered ``Ã``, ``Ä``,
``Æ``, ``á»``… followed by continuation bytes), decoding to Vietnamese letters. The two
others are 8-bit tables whose letters are also Latin-1 letters, so a character alone proves
little: a value is garbled when decoding it turns words that are not Vietnamese syllables
into valid ones (``tÞch`` → ``tịch``) and turns no valid syllable into an invalid one
(:func:`is_syllable` knows the onsets, rhymes and the tone rule of stop-final syllables).
Only values whose every character exists in Windows-1252 can be TCVN3 / VNI text (correct
Vietnamese nearly always has ư, ơ, đ, ạ…, which it lacks). The warning gives the repaired
text; the data is not changed.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

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
