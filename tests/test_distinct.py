"""briefkit.data.distinct: the key check's hash-and-sort answers exactly as a hash table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from briefkit.data import distinct
from briefkit.data.distinct import (
    MAX_BYTES,
    _hashes,
    _proven_distinct,
    all_distinct,
)
from briefkit.data.suspicious import _fold_is_injective, fold_ids
from tests.arrow_text import arrow_series


def _expected(values: list[str | None]) -> bool:
    present = [v for v in values if v is not None]
    return len(set(present)) == len(present)


# ids: short codes sharing prefixes (as real ids do), text with NUL and non-ASCII characters
# (UTF-8 bytes cross word boundaries), the empty string, and values longer than MAX_BYTES
_ids = st.one_of(
    st.from_regex(r"H[0-9]{2}\.[0-9]{3}-[0-9]{6}-[0-9]{1,4}", fullmatch=True),
    st.text(alphabet=st.sampled_from("ab\x00ễđ8 "), max_size=20),
    st.text(min_size=MAX_BYTES - 2, max_size=MAX_BYTES + 3, alphabet="xyẽ"),
    st.none(),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_ids, max_size=40), st.integers(1, 4), st.data())
def test_same_answer_as_a_set(values: list[str | None], chunks: int, data: st.DataObject) -> None:
    if values and data.draw(st.booleans()):  # a duplicate, somewhere
        values = [*values, data.draw(st.sampled_from(values))]
    assert all_distinct(arrow_series(values, chunks)) == _expected(values)
    if _proven_distinct(arrow_series(values, chunks)):  # the fast path never claims too much
        assert _expected(values)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet="ab\x00c", max_size=30), min_size=1, max_size=20))
def test_a_string_hashes_alike_whatever_its_neighbours(values: list[str]) -> None:
    """Chunks are hashed apart, with rows as wide as their longest value: a value's hash must
    not depend on that width, or one id in two chunks would pass as two ids."""
    alone = [_hashes(pa.array([v])) for v in values]
    together = _hashes(pa.array(values, type=pa.large_string()))
    assert together is not None
    assert [int(h[0]) for h in alone if h is not None] == [int(h) for h in together]


def test_the_same_id_in_two_chunks_is_a_duplicate() -> None:
    s = arrow_series(["H1", "a much longer identifier of 40 bytes....", "H1"], chunks=2)
    assert s.array._pa_array.num_chunks == 2  # type: ignore[attr-defined]
    assert not all_distinct(s)


def test_padding_does_not_merge_values() -> None:
    """'A' and 'A\\0' pad to the same bytes; their lengths keep them apart."""
    assert _proven_distinct(pd.Series(["A", "A\x00", "A\x00\x00"], dtype="str"))


def test_long_and_non_arrow_values_take_the_hash_table() -> None:
    long = ["x" * (MAX_BYTES + 1), "y" * (MAX_BYTES + 1)]
    assert not _proven_distinct(pd.Series(long, dtype="str"))
    assert all_distinct(pd.Series(long, dtype="str"))
    assert not _proven_distinct(pd.Series(["a", "b"], dtype=object))
    assert all_distinct(pd.Series(["a", "b", None], dtype=object))
    assert not all_distinct(pd.Series(["a", "b", "a"], dtype=object))


def test_missing_values_are_not_duplicates() -> None:
    assert all_distinct(pd.Series([None, "a", None, "b"], dtype="str"))
    assert all_distinct(pd.Series([None, None], dtype="str"))
    assert all_distinct(pd.Series([], dtype="str"))


def test_a_hash_collision_falls_back_to_the_exact_answer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Equal hashes prove nothing: every value colliding, the answer is still exact."""
    monkeypatch.setattr(distinct, "_mix_rows",
                        lambda words, lengths: np.zeros(len(lengths), np.uint64))
    assert not _proven_distinct(pd.Series(["a", "b"], dtype="str"))
    assert all_distinct(pd.Series(["a", "b"], dtype="str"))
    assert not all_distinct(pd.Series(["a", "b", "a"], dtype="str"))


def test_many_distinct_ids_are_proven_without_the_hash_table() -> None:
    ids = [f"H67.{u:03d}-2305{d:02d}-{k:04d}" for u in range(20) for d in range(1, 29)
           for k in range(60)]
    assert _proven_distinct(pd.Series(ids, dtype="str"))
    assert not all_distinct(pd.Series([*ids, ids[1234]], dtype="str"))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet="aAbB1ĐđＡ", min_size=1, max_size=3), max_size=10))
def test_the_case_proof_agrees_with_folding(ids: list[str]) -> None:
    """Where the quick proof says no two ids fold together, folding finds no two."""
    series = pd.Series(ids, dtype="str")
    if _fold_is_injective(series):
        folded = fold_ids(series)
        assert folded.nunique() == series.nunique()
