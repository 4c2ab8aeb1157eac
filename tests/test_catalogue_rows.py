"""``CatalogueArrays.rows_of`` (a group's catalogue rows read from its members' runs) gives
exactly the rows a mask over the whole catalogue gives, in catalogue order: the roll-ups'
and mergers' procedure coverage depends on that order (a procedure's level is its first
row's)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, strategies as st

from briefkit.kpis import CatalogueArrays
from tests.test_properties import properties


@properties(60)
@given(units=st.lists(st.integers(-1, 5), max_size=40), data=st.data())
def test_rows_of_is_the_mask_over_the_catalogue(units: list[int], data: st.DataObject) -> None:
    n_units = 6
    unit = np.array(units, dtype=np.int64)
    catalogue = CatalogueArrays(unit, np.arange(len(unit)) % 3, np.full(len(unit), 3.0),
                                pd.Index(["a", "b", "c"]), n_units)
    members = np.array(data.draw(st.lists(st.booleans(), min_size=n_units,
                                          max_size=n_units)), dtype=bool)
    expected = np.flatnonzero((unit >= 0) & members[np.maximum(unit, 0)])
    np.testing.assert_array_equal(catalogue.rows_of(members), expected)
