"""The Parquet reader's fast paths give what the text path gives.

Parquet booleans without nulls go to a yes/no column as they are, and text columns (all but a
table's single unique key) are read as dictionaries and converted once per distinct value.
Both must give the very frames (values and dtypes) and problems (rules, rows, columns and
messages) that rendering every cell as text and reading it back gives: the same tables are
loaded with the fast paths and with them turned off, and as CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from briefkit import schema
from briefkit.data import read_parquet as reader
from briefkit.data.convert import convert, strip_text
from briefkit.data.load import load_file
from briefkit.data.loaded import Loaded
from briefkit.problems import Problem

TODAY = pd.Timestamp(2023, 1, 1)
LONG = "x" * 40_000  # beyond a spreadsheet cell (rules.MAX_CELL_CHARS)

# Each table: (column → Arrow type for the Parquet copy, records). None is a null in Parquet
# and an empty cell in CSV; booleans are written "true"/"false" in CSV.
DOSSIERS = (
    {"dossier_id": pa.string(), "unit_id": pa.string(), "procedure_id": pa.string(),
     "channel": pa.string(), "received_at": pa.string(), "due_at": pa.string(),
     "resolved_at": pa.string(), "returned_by_post": pa.bool_(), "apology_sent": pa.bool_(),
     "inter_agency": pa.string()},
    [
        ["H1", "007", "1.001600", "truc_tuyen", "2022-01-10", "2022-01-20", "2022-01-15",
         False, False, "false"],
        ["H2", " P1 ", "2.000", " truc_tiep ", "2022-02-01 08:30", "2022-02-05", "",
         False, None, "yes"],
        ["H3", "P1\u200b", "2.000", "Fax", "10/02/2022", "15/02/2022", "N/A",
         True, True, "có"],
        ["H2", "\u00a0Q6", " 2.000", "TRUC_TUYEN", "31/02/2022", "2022-03-05", None,
         False, False, " "],
        ["H5", "Phu\u031bo\u0300ng", "2.000", "", "2022-03-01", "2022-03-05", "-",
         True, False, "maybe"],
        ["h5", None, "\u200b", None, "2022-03-01", None, "2022-03-02",
         False, False, None],
        ["H7", "007", None, "Trực tuyến", "2022-03-01", "2022-03-08", "2022-03-02",
         False, True, "N/A"],
        ["H2", "007", "1.001600", "truc_tiep", "2022-03-01", "2022-03-08", "2022-02-01",
         False, False, "false"],
    ],
)
UNITS = (
    {"unit_id": pa.string(), "name": pa.string(), "kind": pa.string(), "level": pa.string(),
     "parent_id": pa.string(), "fields": pa.string()},
    [
        ["Q6", "UBND Quận 6", "quan", "huyen", None, None],
        ["007", "Phòng Tư pháp", "phong_ban", "huyen", "Q6", "Tư pháp; Hộ tịch"],
        ["P1", "UBND Phu\u031bo\u0300ng 1", "phuong_xa", " xa ", "Q6", "Hé tÞch"],
        ["P2", LONG, "phuong_xa", "XA", " Q6", ""],
        ["P3", "UBND", "phuong_xa", "cấp 9", "Q6\u200b", "Hé tÞch"],
        ["P1", "UBND Phường 1", "phuong_xa", "xa", "Q6", None],
    ],
)
PROCEDURES = (
    {"procedure_id": pa.string(), "name": pa.string(), "field": pa.string(),
     "level": pa.string(), "online_level": pa.string()},
    [
        ["1.001600", "Cấp bản sao", "Hộ tịch", "huyen", "4"],
        ["2.000", "Đăng ký khai sinh", "Hộ tịch", "xa", " 3 "],
        ["2.001", "Đăng ký kết hôn", "Hộ tịch", "commune", "7"],
        ["2.002", "Đăng ký khai tử", "Hộ tịch", "xa", None],
    ],
)
TABLES = {"dossiers": DOSSIERS, "units": UNITS, "procedures": PROCEDURES}


def write_parquet(path: Path, types: dict[str, pa.DataType], records: list[list[object]]
                  ) -> Path:
    columns = {name: pa.array([r[i] for r in records], type=t)
               for i, (name, t) in enumerate(types.items())}
    pq.write_table(pa.table(columns), path)
    return path


def write_csv(path: Path, types: dict[str, pa.DataType], records: list[list[object]]) -> Path:
    def cell(value: object) -> object:
        return "" if value is None else str(value).lower() if isinstance(value, bool) else value

    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(types)
        writer.writerows([cell(v) for v in r] for r in records)
    return path


def text_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn the fast paths off: every column but native dates rendered as text, as before."""
    monkeypatch.setattr(reader, "_categorical", lambda array: None)
    monkeypatch.setattr(reader, "_kept_as_is", lambda s, kind: kind == "date" and
                        pd.api.types.is_datetime64_any_dtype(s))


def shown(problems: list[Problem]) -> list[tuple[object, ...]]:
    return [(p.file, p.rule, p.severity, p.row, p.column, p.message) for p in problems]


def assert_same(fast: Loaded, slow: Loaded) -> None:
    pd.testing.assert_frame_equal(fast.frame, slow.frame, check_dtype=True, check_exact=True)
    assert (fast.frame.dtypes == slow.frame.dtypes).all()
    assert shown(fast.problems) == shown(slow.problems)
    assert fast.rows.tolist() == slow.rows.tolist()


@pytest.mark.parametrize("name", sorted(TABLES))
def test_fast_paths_equal_text_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    name: str) -> None:
    path = write_parquet(tmp_path / f"{name}.parquet", *TABLES[name])
    fast = load_file(path, schema.TABLES[name], TODAY)
    with monkeypatch.context() as m:
        text_path(m)
        slow = load_file(path, schema.TABLES[name], TODAY)
    assert_same(fast, slow)
    assert fast.problems  # the tables are meant to be full of mistakes


def test_fast_paths_are_taken(tmp_path: Path) -> None:
    """The reader hands over native booleans and Categoricals, but not for the unique key."""
    from briefkit.data.read_parquet import read_parquet

    raw = read_parquet(write_parquet(tmp_path / "dossiers.parquet", *DOSSIERS),
                       schema.TABLES["dossiers"])
    kinds = {name: raw.columns[pos].dtype for name, pos in raw.positions.items()}
    assert kinds["returned_by_post"] == np.bool_
    assert kinds["dossier_id"] == "str"
    for name in ("unit_id", "procedure_id", "channel", "received_at", "inter_agency",
                 "apology_sent"):  # apology_sent: booleans with a null, as "true"/"false"
        assert isinstance(kinds[name], pd.CategoricalDtype), name


def test_parquet_fast_paths_equal_csv(tmp_path: Path) -> None:
    """The same records as CSV: the same frame, and the same problems one row up (the CSV
    header is row 1, a Parquet file's first record is)."""
    for name, (types, records) in TABLES.items():
        table = schema.TABLES[name]
        fast = load_file(write_parquet(tmp_path / f"{name}.parquet", types, records), table,
                         TODAY)
        text = load_file(write_csv(tmp_path / f"{name}.csv", types, records), table, TODAY)
        pd.testing.assert_frame_equal(fast.frame, text.frame, check_dtype=True,
                                      check_exact=True)

        def rows_up(message: str) -> str:  # "rows 3, 6" → "rows 2, 5"
            return re.sub(r"\b(rows? )([\d, ]*\d)", lambda m: m[1] + re.sub(
                r"\d+", lambda n: str(int(n[0]) - 1), m[2]), message)

        assert shown(fast.problems) == [
            (p.file.replace(".csv", ".parquet"), p.rule, p.severity,
             None if p.row is None else p.row - 1, p.column, rows_up(p.message))
            for p in text.problems]


def test_duplicate_ids_are_named_with_their_rows(tmp_path: Path) -> None:
    loaded = load_file(write_parquet(tmp_path / "dossiers.parquet", *DOSSIERS),
                       schema.TABLES["dossiers"], TODAY)
    dups = [(p.row, p.message) for p in loaded.problems if p.rule == "duplicate_id"]
    assert dups == [(4, "dossier_id 'H2' is already used in row 2"),
                    (8, "dossier_id 'H2' is already used in row 2")]


def test_unique_ids_have_no_duplicate(tmp_path: Path) -> None:
    types, records = DOSSIERS
    ids = [f"H{i}" for i in range(len(records) - 1)] + [None]  # a missing id is no duplicate
    unique = [[i, *r[1:]] for i, r in zip(ids, records, strict=True)]
    loaded = load_file(write_parquet(tmp_path / "dossiers.parquet", types, unique),
                       schema.TABLES["dossiers"], TODAY)
    assert not [p for p in loaded.problems if p.rule == "duplicate_id"]
    assert [p.row for p in loaded.problems if p.rule == "empty_value"
            and p.column == "dossier_id"] == [8]


def test_blank_records_dropped_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record null in every column is dropped (its row number kept for the others) on the
    dictionary path too; booleans with a null are text, so that they can be blank."""
    types, records = DOSSIERS
    blank: list[object] = [None] * len(types)
    path = write_parquet(tmp_path / "dossiers.parquet", types, [records[0], blank, records[1]])
    fast = load_file(path, schema.TABLES["dossiers"], TODAY)
    assert fast.rows.tolist() == [1, 3]
    with monkeypatch.context() as m:
        text_path(m)
        assert_same(fast, load_file(path, schema.TABLES["dossiers"], TODAY))


def test_stored_dictionary_with_unused_values(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A column stored as a dictionary may list values no record has: they do not count
    (here: twelve day-first dates, of which the records use two, are no month-first hint)."""
    days = [f"{d:02d}/{m:02d}/2022" for m in (1, 2) for d in range(1, 7)]
    types, records = DOSSIERS
    rows = [[f"H{i}", *records[0][1:]] for i in range(3)]
    table = pa.table({name: pa.array([r[i] for r in rows], type=t)
                      for i, (name, t) in enumerate(types.items())})
    due = pa.DictionaryArray.from_arrays(pa.array([0, 7, None], pa.int32()), pa.array(days))
    table = table.set_column(table.schema.get_field_index("due_at"), "due_at", due)
    path = tmp_path / "dossiers.parquet"
    pq.write_table(table, path)
    fast = load_file(path, schema.TABLES["dossiers"], TODAY)
    assert fast.frame["due_at"].tolist()[:2] == [pd.Timestamp(2022, 1, 1),
                                                 pd.Timestamp(2022, 2, 2)]
    with monkeypatch.context() as m:
        text_path(m)
        assert_same(fast, load_file(path, schema.TABLES["dossiers"], TODAY))


# --------------------------------------------------------------------------------------
# convert and strip_text on Categoricals: the same as on the text
# --------------------------------------------------------------------------------------


def same_conversion(kind: str, texts: list[str | None], categories: list[str]) -> None:
    text = pd.Series(texts, dtype="str")
    coded = pd.Series(pd.Categorical(texts, categories=categories))
    stripped = strip_text(coded)
    assert isinstance(stripped.dtype, pd.CategoricalDtype)
    pd.testing.assert_series_equal(stripped.astype("str"), strip_text(text))
    values, bad, missing = convert(kind, strip_text(text))
    coded_values, coded_bad, coded_missing = convert(kind, stripped)
    pd.testing.assert_series_equal(coded_values, values, check_dtype=True, check_exact=True)
    assert coded_bad.keys() == bad.keys()
    for rule, mask in bad.items():
        assert coded_bad[rule].tolist() == mask.tolist(), rule
    assert coded_missing.tolist() == missing.tolist()


DAY_FIRST = [f"{d:02d}/{m:02d}/2022" for m in (1, 2) for d in range(1, 7)]  # all days ≤ 12


@pytest.mark.parametrize(("kind", "texts", "unused"), [
    ("date", DAY_FIRST, []),  # month first suspected: the mask too
    ("date", DAY_FIRST[:2], DAY_FIRST[2:]),  # unused categories are no evidence
    ("date", ["2022-01-05", " 05/01/2022 ", "N/A", None, "31/02/2022", "2022-01-05T08:00"], []),
    ("online_level", ["4", "3", "4"], ["toàn trình"]),  # no NA among the rows: int8
    ("online_level", ["4", None, "toàn trình"], []),  # Int8
    ("bool", ["true", "có", " ", "maybe", "null", None], ["unused"]),
    ("channel", ["truc_tuyen", "Fax", "TRUC_TIEP", "", None], []),
    ("id", ["P1", "P1\u200b", "\u200b", "Phu\u031bo\u0300ng", None, " P1"], []),
    ("text", ["Hé tÞch", "UBND Phu\u031bo\u0300ng 1", "", None], ["Hé tÞch "]),
    ("count", ["3", "-1", "2.5", "N/A", "99999999999999"], []),
    ("level", [], ["xa"]),  # no rows at all
])
def test_convert_categorical(kind: str, texts: list[str | None], unused: list[str]) -> None:
    present = list(dict.fromkeys(t for t in texts if t is not None))
    same_conversion(kind, texts, [*unused, *present])


def test_month_first_on_categories() -> None:
    _, bad, _ = convert("date", pd.Series(pd.Categorical(DAY_FIRST)))
    assert bad["month_first_dates"].all()


def test_native_booleans_need_no_reading() -> None:
    values, bad, missing = convert("bool", strip_text(pd.Series([True, False])))
    assert values.dtype == np.bool_ and values.tolist() == [True, False]
    assert not any(mask.any() for mask in bad.values()) and not missing.any()


def test_native_booleans_elsewhere_are_text(tmp_path: Path) -> None:
    """Booleans in a column that is not a yes/no one are still read as text."""
    types, records = DOSSIERS
    path = write_parquet(tmp_path / "dossiers.parquet", {**types, "channel": pa.bool_()},
                         [[*r[:3], i % 2 == 0, *r[4:]] for i, r in enumerate(records)])
    loaded = load_file(path, schema.TABLES["dossiers"], TODAY)
    assert {p.message for p in loaded.problems if p.rule == "unknown_channel"} == {
        f"unknown channel {v!r}; expected {schema.VOCABULARY_HINTS['channel']}"
        for v in ("true", "false")}


def test_long_cell_in_a_dictionary_column(tmp_path: Path) -> None:
    loaded = load_file(write_parquet(tmp_path / "units.parquet", *UNITS),
                       schema.TABLES["units"], TODAY)
    (long,) = [p for p in loaded.problems if p.rule == "cell_too_long"]
    assert (long.row, long.column) == (4, "name")


def test_large_strings_and_timestamps_dates(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    types, records = DOSSIERS
    large = {name: pa.large_string() if t == pa.string() else t for name, t in types.items()}
    path = write_parquet(tmp_path / "dossiers.parquet", large, records)
    fast = load_file(path, schema.TABLES["dossiers"], TODAY)
    assert fast.frame["unit_id"].dtype == "str"
    with monkeypatch.context() as m:
        text_path(m)
        assert_same(fast, load_file(path, schema.TABLES["dossiers"], TODAY))
    assert dt.date(2022, 1, 10) == fast.frame["received_at"].iloc[0].date()
