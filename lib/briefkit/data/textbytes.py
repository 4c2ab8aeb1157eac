"""What the bytes of an Arrow-backed text column show, without a Python string per value.

The loader's frames hold text as Arrow strings (``str``, pyarrow storage): an offsets buffer
and one data buffer of UTF-8 bytes. A few questions about ten million ids — is every value
ASCII, is any written in upper case, is there anything to strip — are answered by scanning
those bytes with numpy, a few milliseconds per hundred megabytes, where pandas' string methods
build a new array of ten million values to answer each (0.1–0.2 s apiece).

Every answer is conservative: the bytes scanned are those between the first and the last
value's offsets, so a missing value's bytes (usually none) are scanned too, and anything found
there can only send the caller to its exact, slower path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Bytes of a matrix built at a time (bounds the temporaries of a whole-column computation).
BLOCK_BYTES = 32 << 20

#: Bytes scanned at a time: small enough for a scan's temporaries to stay in the CPU's cache
#: (ten times quicker over 190 MB than one pass with temporaries the size of the column).
_SCAN_BYTES = 256 << 10


def arrow_data(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow chunks holding an Arrow-backed text column (the array's own, not a copy:
    ``pa.array`` would combine them into one), or None for other columns."""
    if not isinstance(values.dtype, pd.StringDtype) or values.dtype.storage != "pyarrow":
        return None
    data = values.array.__arrow_array__()
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def text_buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
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


@dataclass(frozen=True)
class Scan:
    """What the bytes of an all-ASCII text column hold."""

    upper: bool  # some A–Z
    lower: bool  # some a–z
    spaces: bool  # some byte up to 0x20 or 0x7F (spaces, tabs, line breaks, controls)
    empty: bool  # some present value is the empty string


def scan_ascii(values: pd.Series) -> Scan | None:
    """The :class:`Scan` of an Arrow-backed text column whose bytes are all ASCII; None for
    other columns, or when some byte is not ASCII (the caller then asks pandas)."""
    spans = _spans(values)
    if spans is None:
        return None
    upper = lower = spaces = empty = False
    for chunk, span in spans:
        shortest = pc.min(pc.binary_length(chunk)).as_py()  # of the present values
        empty = empty or shortest == 0
        for start in range(0, len(span), _SCAN_BYTES):
            block = span[start:start + _SCAN_BYTES]
            if int(block.max()) >= 0x80:
                return None
            upper = upper or bool(((block - np.uint8(ord("A"))) < np.uint8(26)).any())
            lower = lower or bool(((block - np.uint8(ord("a"))) < np.uint8(26)).any())
            spaces = spaces or int(block.min()) <= 0x20 or bool((block == 0x7F).any())
    return Scan(upper, lower, spaces, empty)


def all_ascii(values: pd.Series) -> bool:
    """Whether every present value is ASCII (from the bytes when the column is Arrow text)."""
    spans = _spans(values)
    if spans is None:
        present = values.dropna()
        return bool(present.astype("str").str.isascii().all()) if len(present) else True
    return all(int(span[start:start + _SCAN_BYTES].max()) < 0x80
               for _, span in spans for start in range(0, len(span), _SCAN_BYTES))


def non_ascii(values: pd.Series) -> np.ndarray | None:
    """The mask of the present values that are not ASCII, or None when every one is (then
    answered from the bytes, when the column is Arrow text): the cells that per-cell Unicode
    work (normalising, cleaning) has to look at."""
    if all_ascii(values):
        return None
    # (pandas' "str" answers False, not NA, for a missing value: it is not a non-ASCII cell)
    ascii_ = values.str.isascii().fillna(True).to_numpy(dtype=bool)
    mask: np.ndarray = values.notna().to_numpy(dtype=bool) & ~ascii_
    return mask


def _spans(values: pd.Series) -> list[tuple[pa.Array, np.ndarray]] | None:
    """Each Arrow chunk of a text column with the bytes its values span (see the module);
    None if the column is not Arrow text."""
    arrow = arrow_data(values)
    if arrow is None:
        return None
    spans = []
    for chunk in arrow.chunks:
        buffers = text_buffers(chunk)
        if buffers is None:
            return None
        offsets, data = buffers
        if len(chunk):
            spans.append((chunk, data[int(offsets[0]):int(offsets[-1])]))
    return spans
