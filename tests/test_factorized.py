"""briefkit.data.factorized: one factorization per column, shared, never stale."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from briefkit.data import factorized, load_dataset
from briefkit.data.factorized import factorize, per_distinct
from briefkit.kpis.counts import UnitCounts


def _same_as_pandas(values: pd.Series) -> None:
    codes, uniques = factorize(values)
    expected_codes, expected_uniques = pd.factorize(values)
    np.testing.assert_array_equal(codes, expected_codes)
    assert list(uniques) == list(expected_uniques)


def test_a_column_is_hashed_once_and_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"unit_id": pd.Series(["b", "a", None, "b"], dtype="str")})
    calls: list[int] = []
    real = pd.factorize

    def counting(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
        calls.append(len(values))
        return real(values)

    monkeypatch.setattr(factorized.pd, "factorize", counting)
    first = factorize(frame["unit_id"])
    again = factorize(frame["unit_id"])  # a new Series over the same column
    assert again[0] is first[0] and calls == [4]
    assert first[0].tolist() == [0, 1, -1, 0] and list(first[1]) == ["b", "a"]
    assert not first[0].flags.writeable  # shared: nobody may change them


def test_a_column_changed_in_place_is_factorized_again() -> None:
    frame = pd.DataFrame({"unit_id": pd.Series(["b", "a", "b"], dtype="str")})
    factorize(frame["unit_id"])
    frame.loc[1, "unit_id"] = "b"
    codes, uniques = factorize(frame["unit_id"])
    assert codes.tolist() == [0, 0, 0] and list(uniques) == ["b"]


def test_an_entry_goes_with_its_column() -> None:
    frame = pd.DataFrame({"unit_id": pd.Series(["x", "y"], dtype="str")})
    factorize(frame["unit_id"])
    key = id(frame["unit_id"].array)
    assert key in factorized._cache
    del frame
    gc.collect()
    assert key not in factorized._cache


def test_other_columns_are_factorized_as_pandas_does() -> None:
    _same_as_pandas(pd.Series(["b", None, "a", "b"], dtype=object))
    _same_as_pandas(pd.Series([3, 1, 3]))
    _same_as_pandas(pd.Series(["b", None, "a", "b"], dtype="str"))


def test_the_kpi_counts_reuse_the_loaders_factorizations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader's cross-table checks factorize the dossiers' ids; UnitCounts finds them."""
    tables = {
        "units": "unit_id,name,kind,level,parent_id\nQ6,UBND Quận 6,quan,huyen,\n"
                 "P1,UBND Phường 1,phuong_xa,xa,Q6\n",
        "procedures": "procedure_id,name,field,level,online_level\n"
                      "2.000,Đăng ký khai sinh,Hộ tịch,xa,3\n",
        "dossiers": "dossier_id,unit_id,procedure_id,channel,received_at,due_at,resolved_at\n"
                    "H1,P1,2.000,truc_tuyen,2022-01-10,2022-01-20,2022-01-15\n"
                    "H2,P1,2.000,truc_tiep,2022-02-01,2022-02-05,\n",
    }
    for name, text in tables.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    ds = load_dataset(tmp_path, today=dt.date(2023, 1, 1))
    assert ds.warnings == []
    for column in ("unit_id", "procedure_id"):
        assert id(ds.dossiers[column].array) in factorized._cache
    hashed: list[object] = []
    real = pd.factorize

    def recording(values: object, *args: object, **kwargs: object) -> object:
        hashed.append(getattr(values, "array", None))
        return real(values, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pd, "factorize", recording)
    UnitCounts(ds)
    for column in ("unit_id", "procedure_id"):  # the dossiers' ids are not hashed again
        assert not any(array is ds.dossiers[column].array for array in hashed)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "B", "ễ", ""])), max_size=30),
       st.sampled_from(["str", "object"]), st.booleans())
def test_per_distinct_is_the_function_of_each_value(values: list[str | None], dtype: str,
                                                     as_index: bool) -> None:
    series = pd.Series(values, dtype=dtype)
    given_values = pd.Index(series) if as_index else series
    spread = per_distinct(given_values, lambda u: np.array([f"<{v}>" for v in u], dtype=object),
                          "missing")
    assert spread.tolist() == ["missing" if v is None else f"<{v}>" for v in values]
    lengths = per_distinct(given_values, lambda u: u.str.len().to_numpy(dtype=float), np.nan)
    np.testing.assert_array_equal(lengths, [np.nan if v is None else len(v) for v in values])
