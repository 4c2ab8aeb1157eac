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

from briefkit.data.textbytes import BLOCK_BYTES, arrow_data, text_buffers

#: Keys longer than this (in UTF-8 bytes) take the hash-table path: the word matrix would grow
#: with the longest value. Ids are far shorter.
MAX_BYTES = 64

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


def _hashes(array: pa.Array) -> np.ndarray | None:
    """Each string's 64-bit hash (its length and its bytes, zero-padded to whole words), or
    None for values longer than :data:`MAX_BYTES`."""
    buffers = text_buffers(array)
    if buffers is None:
        return None
    offsets, data = buffers[0].astype(np.int64), buffers[1]
    n = len(array)
    lengths = np.diff(offsets)
    longest = int(lengths.max())
    if longest > MAX_BYTES:
        return None
    width = max(8, -(-longest // 8) * 8)  # bytes per row, whole words
    step = max(1, BLOCK_BYTES // width)
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

