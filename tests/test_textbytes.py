"""briefkit.data.textbytes: facts read from an Arrow text column's bytes equal pandas' own."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from briefkit.data import convert, textbytes
from briefkit.data.convert import _nfc, strip_text
from briefkit.data.suspicious import clean_ids
from briefkit.data.textbytes import Scan, all_ascii, non_ascii, scan_ascii
from tests.arrow_text import arrow_series

# ASCII letters, digits, punctuation, spaces and controls that strip, a non-ASCII letter
_text = st.text(alphabet=st.sampled_from("aZ9-. \t\x1f\x7fễ\u00a0"), max_size=6)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), _text), max_size=12), st.integers(1, 3))
def test_a_scan_says_what_the_values_hold(values: list[str | None], chunks: int) -> None:
    series = arrow_series(values, chunks)
    scan = scan_ascii(series)
    present = [v for v in values if v is not None]
    assert all_ascii(series) == all(v.isascii() for v in present)
    odd = non_ascii(series)
    if all(v.isascii() for v in present):
        assert odd is None
    else:
        assert odd is not None
        assert odd.tolist() == [v is not None and not v.isascii() for v in values]
    if not all(v.isascii() for v in present):
        assert scan is None
        return
    assert scan == Scan(upper=any(c.isupper() for v in present for c in v),
                        lower=any(c.islower() for v in present for c in v),
                        spaces=any(c <= " " or c == "\x7f" for v in present for c in v),
                        empty="" in present)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), _text), max_size=12), st.integers(1, 3))
def test_quick_paths_give_what_the_slow_ones_give(values: list[str | None],
                                                  chunks: int) -> None:
    """strip_text, clean_ids and NFC skip their work when the bytes show none to do: the
    results are those of the path that asks pandas about every value."""
    series = arrow_series(values, chunks)
    quick = strip_text(series), *clean_ids(series), _nfc(series)
    with pytest.MonkeyPatch.context() as patch:
        for module in (textbytes, convert):
            patch.setattr(module, "scan_ascii", lambda values: None)
        slow = strip_text(series), *clean_ids(series), _nfc(series)
    pd.testing.assert_series_equal(quick[0], slow[0])
    pd.testing.assert_series_equal(quick[1], slow[1])
    assert quick[2].tolist() == slow[2].tolist()
    pd.testing.assert_series_equal(quick[3], slow[3])


def test_a_sliced_column_reads_only_its_own_bytes() -> None:
    """A slice of an Arrow array shares the buffer of the whole: only its span counts."""
    whole = pa.array(["abc", "ABC", "ễ", "xyz"])
    assert scan_ascii(pd.Series(pd.arrays.ArrowStringArray(whole[3:]))) == \
        Scan(upper=False, lower=True, spaces=False, empty=False)
    scan = scan_ascii(pd.Series(pd.arrays.ArrowStringArray(whole[:2])))
    assert scan is not None and scan.upper and scan.lower
    assert scan_ascii(pd.Series(["a", "b"], dtype=object)) is None
    assert all_ascii(pd.Series(["a", None], dtype=object))
    assert not all_ascii(pd.Series(["a", "ễ"], dtype=object))
