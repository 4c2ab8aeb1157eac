"""Whether a text column's values are all distinct, quickly, without a Python string each.

A table's key (ten million ``dossier_id``) must be unique. Hashing ten million strings in a
hash table — ``pd.unique``, ``pyarrow.compute.unique`` — took 2–4 s and 1.1–1.3 GB of
temporaries at 10 M dossiers, the largest single step of loading a Parquet file and the peak of
loading a CSV. Keys are short (ids of a few dozen characters), so this module reads them from
their Arrow buffers as rows of machine words, hashes each row to 64 bits with numpy and sorts
the hashes: 0.8 s and a fraction of the memory.

It is exact: equal strings have equal hashes, so hashes that are all different *prove* the
strings different. When two hashes are equal (a duplicate id, or, once in a few hundred
thousand loads of 10 M ids, two ids whose hashes collide), or when the column is not Arrow
text or holds a long value, the answer comes from ``pd.unique`` instead; the caller then
names the duplicates as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Keys longer than this (in UTF-8 bytes) take the hash-table path: the word matrix would grow
#: with the longest value. Ids are far shorter.
MAX_BYTES = 64

#: Bytes of the word matrix built at a time (its gather indices take eight times as much).
_CHUNK_BYTES = 32 << 20

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def all_distinct(values: pd.Series) -> bool:
    """True when no two non-missing values are equal."""
    if _proven_distinct(values):
        return True
    present = values.dropna() if values.hasnans else values
    return len(pd.unique(present)) == len(present)


def _proven_distinct(values: pd.Series) -> bool:
    """True when the values' 64-bit hashes are all different (so the values are); False when
    that cannot be shown this way (then nothing is known)."""
    arrow = arrow_data(values)
    if arrow is None:
        return False
    parts = []
    for chunk in arrow.chunks:
        present = pc.drop_null(chunk) if chunk.null_count else chunk
        if len(present):
            part = _hashes(present)
            if part is None:
                return False
            parts.append(part)
    if sum(len(p) for p in parts) < 2:
        return True
    hashes = np.concatenate(parts)
    hashes.sort()
    return not bool((hashes[1:] == hashes[:-1]).any())


def arrow_data(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow chunks holding an Arrow-backed text column (the array's own, not a copy:
    ``pa.array`` would combine them into one), or None for other columns."""
    if not isinstance(values.dtype, pd.StringDtype) or values.dtype.storage != "pyarrow":
        return None
    data = values.array.__arrow_array__()
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def _hashes(array: pa.Array) -> np.ndarray | None:
    """Each string's 64-bit hash (its length and its bytes, zero-padded to whole words), or
    None for values longer than :data:`MAX_BYTES`."""
    buffers = _text_buffers(array)
    if buffers is None:
        return None
    offsets, data = buffers[0].astype(np.int64), buffers[1]
    n = len(array)
    lengths = np.diff(offsets)
    longest = int(lengths.max())
    if longest > MAX_BYTES:
        return None
    width = max(8, -(-longest // 8) * 8)  # bytes per row, whole words
    step = max(1, _CHUNK_BYTES // width)
    hashes = np.empty(n, dtype=np.uint64)
    for start in range(0, n, step):
        stop = min(n, start + step)
        rows = _rows(data, offsets[start:stop + 1], lengths[start:stop], longest, width)
        hashes[start:stop] = _mix_rows(rows.view(np.uint64), lengths[start:stop])
    return hashes


def _rows(data: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, longest: int,
          width: int) -> np.ndarray:
    """The strings as a (rows, width) byte matrix, each zero-padded on the right."""
    count = len(lengths)
    rows = np.zeros((count, width), dtype=np.uint8)
    if longest == 0:
        return rows
    if int(lengths.min()) == longest:  # every value the same length: the bytes are the rows
        rows[:, :longest] = data[offsets[0]:offsets[-1]].reshape(count, longest)
        return rows
    column = np.arange(longest, dtype=np.int64)
    inside = column < lengths[:, None]
    at = np.minimum(offsets[:-1, None] + column, max(len(data) - 1, 0))
    rows[:, :longest] = np.where(inside, data[at], 0)
    return rows


def _mix_rows(words: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row: its length, then each word that holds some of its bytes,
    chained through the splitmix64 finalizer. The padding words are left out, so a string's
    hash does not depend on the width of the matrix it sits in (chunks differ)."""
    h = _mix(lengths.astype(np.uint64) * _GOLDEN)
    for j in range(words.shape[1]):
        mixed = _mix(h ^ words[:, j])
        h = mixed if j == 0 else np.where(lengths > 8 * j, mixed, h)
    return h


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every input bit reaches every output bit."""
    x = x + _GOLDEN
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def ascii_letter_cases(values: pd.Series) -> tuple[bool, bool] | None:
    """For an Arrow-backed text column written in ASCII only: (whether some value holds an
    upper-case letter, whether some value holds a lower-case one), read from the bytes of its
    buffers; None for other columns, or when some byte is not ASCII. (The bytes between the
    offsets of the values, missing ones included, which hold no byte or ignored ones: a
    letter found there can only make the answer more cautious.)"""
    arrow = arrow_data(values)
    if arrow is None:
        return None
    upper = lower = False
    for chunk in arrow.chunks:
        if len(chunk) == 0:
            continue
        data = _bytes_of(chunk)
        for start in range(0, len(data), _CHUNK_BYTES):
            block = data[start:start + _CHUNK_BYTES]
            if len(block) == 0:
                continue
            if int(block.max()) >= 0x80:
                return None
            upper = upper or bool(((block - np.uint8(ord("A"))) < np.uint8(26)).any())
            lower = lower or bool(((block - np.uint8(ord("a"))) < np.uint8(26)).any())
    return upper, lower


def _bytes_of(array: pa.Array) -> np.ndarray:
    """The bytes an Arrow string array's values span."""
    buffers = _text_buffers(array)
    if buffers is None:
        raise TypeError(f"not text: {array.type}")
    offsets, data = buffers
    return data[int(offsets[0]):int(offsets[-1])]


def _text_buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """An Arrow string array's offsets (its ``len + 1``, as stored) and its data buffer, as
    numpy views; None if it is not text."""
    if pa.types.is_large_string(array.type):
        offset_type: type[np.signedinteger] = np.int64
    elif pa.types.is_string(array.type):
        offset_type = np.int32
    else:
        return None
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)
    offsets = offsets[array.offset:array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None \
        else np.zeros(0, np.uint8)
    return offsets, data
