"""Each id column hashed once per run: ``pd.factorize`` shared by the loader and the KPIs.

The loader's cross-table checks look the dossiers' unit and procedure ids up in the units and
procedures tables (:meth:`~briefkit.data.loaded.Loaded.codes`); the KPI counts then look the
same ids up again (:class:`~briefkit.kpis.counts.UnitCounts`). Both need the column as codes
and distinct values, and hashing ten million ids takes about 0.2 s a column. The frames the
loader checks are the frames of the :class:`~briefkit.data.Dataset`, so the factorization is
kept with the column's array and found again by whoever asks next.

An entry belongs to one column array (by identity) and to the Arrow data it held when it was
factorized: an array changed in place since (``frame.loc[...] = ...`` gives an Arrow-backed
array new Arrow data) is factorized again. An entry goes when its array does. Only
Arrow-backed text columns are kept; other columns are factorized on every call. The codes are
read-only: they are shared.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from briefkit.data.textbytes import arrow_data

#: id(array) → (the Arrow data it held, codes, distinct values)
_cache: dict[int, tuple[pa.ChunkedArray, np.ndarray, pd.Index]] = {}


def factorize(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(values)``: each value's code (-1 for missing) and the distinct values,
    in order of first appearance; computed once per Arrow-backed column (see the module)."""
    data = arrow_data(values)
    if data is None:
        codes, uniques = pd.factorize(values)
        return codes, pd.Index(uniques)
    array = values.array
    key = id(array)
    hit = _cache.get(key)
    if hit is not None and hit[0] is data:
        return hit[1], hit[2]
    codes, uniques = pd.factorize(values)
    codes.flags.writeable = False
    entry = (data, codes, pd.Index(uniques))
    if hit is None:  # the entry goes with its array (before its id can be reused)
        weakref.finalize(array, _cache.pop, key, None)
    _cache[key] = entry
    return entry[1], entry[2]


def per_distinct(values: pd.Series | pd.Index, compute: Callable[[pd.Index], Any],
                 missing: Any) -> np.ndarray:
    """``compute`` of the distinct values (an array, one result each), spread to every value,
    ``missing`` where a value is missing: ten million dossiers hold a few hundred units, a few
    thousand procedures, a few dozen distinct days per month…, so a lookup or a conversion
    costs a pass over the codes, whatever it costs per value."""
    if isinstance(values, pd.Series):
        codes, uniques = factorize(values)
    else:
        codes, distinct = pd.factorize(values)
        uniques = pd.Index(distinct)
    each = np.asarray(compute(uniques))
    spread: np.ndarray = np.append(each, np.array([missing], dtype=each.dtype))[codes]
    return spread
