"""Arrow-backed text columns for tests, as the loader's frames hold them."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa


def arrow_series(values: list[str | None], chunks: int = 1) -> pd.Series:
    """``values`` as an Arrow-backed text Series in ``chunks`` Arrow chunks (a Parquet file
    read in row groups gives several)."""
    if chunks == 1 or len(values) < chunks:
        return pd.Series(values, dtype="str")
    size = -(-len(values) // chunks)
    parts = [pa.array(values[i:i + size], type=pa.large_string())
             for i in range(0, len(values), size)]
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(parts)))
