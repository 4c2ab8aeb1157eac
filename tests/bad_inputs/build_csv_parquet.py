"""Builders of the CSV and Parquet corpus cases (``tests/bad_inputs/csv_parquet.yaml``): each
takes the data folder with the fixture's CSV files and rewrites one table the way a real
export or a hand edit leaves it: in a legacy encoding (Windows-1258, TCVN3, UTF-16), too wide
or with a cell too long for a spreadsheet, or as Parquet with dates stored as numbers, tz-aware
timestamps, dictionary-encoded text or nested values."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

#: TCVN3 (ABC) bytes of the Vietnamese letters the fixture's units use (the .Vn fonts).
_TCVN3 = {"ò": 0xDF, "ư": 0xAD, "á": 0xB8, "ờ": 0xEA, "ộ": 0xE9, "ụ": 0xF4, "ơ": 0xAC,
          "ê": 0xAA, "ố": 0xE8, "ứ": 0xF8, "ạ": 0xB9, "ị": 0xDE, "ă": 0xA8, "â": 0xA9,
          "ô": 0xAB, "đ": 0xAE, "Đ": 0xA7, "ý": 0xFD, "ậ": 0xCB, "ồ": 0xE5, "ì": 0xD7,
          "ự": 0xF9}


def _windows_1258(text: str) -> bytes:
    """``text`` as Windows-1258 stores Vietnamese: base letters (ư, ơ, â, ê, ô, ă, đ) as one
    byte each, tone marks as combining bytes after them."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out.append(base + "".join(c for c in parts if c in _TONES))
    return "".join(out).encode("cp1258")


def _tcvn3(text: str) -> bytes:
    return bytes(_TCVN3[c] if c in _TCVN3 else ord(c) for c in unicodedata.normalize("NFC", text))


def procedures_windows_1258(data: Path) -> None:
    path = data / "procedures.csv"
    path.write_bytes(_windows_1258(path.read_text(encoding="utf-8")))


def units_tcvn3(data: Path) -> None:
    path = data / "units.csv"
    path.write_bytes(_tcvn3(path.read_text(encoding="utf-8")))


def units_unicode_text(data: Path) -> None:
    """Excel's "Unicode Text": UTF-16 with a byte order mark, tab-separated."""
    path = data / "units.csv"
    text = path.read_text(encoding="utf-8").replace(",", "\t")
    path.write_bytes(text.encode("utf-16"))


def units_stray_byte(data: Path) -> None:
    """A UTF-8 file with one byte of another encoding (a value pasted from an old file)."""
    path = data / "units.csv"
    path.write_bytes(path.read_bytes().replace("UBND Phường 9".encode(), b"UBND Ph\xfd\xf5ng 9"))


def units_long_name(data: Path) -> None:
    with (data / "units.csv").open("a", encoding="utf-8") as handle:
        handle.write("X1," + "Phòng " * 6_000 + "x" * 4_000 + ",phong_ban,huyen,,\n")


def units_too_wide(data: Path) -> None:
    """16,385 columns: one more than a spreadsheet has."""
    path = data / "units.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    extra = 16_385 - len(lines[0].split(","))
    header = lines[0] + "," + ",".join(f"c{i}" for i in range(extra))
    rows = [line + "," * extra for line in lines[1:]]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def dossiers_unclosed_quote_long(data: Path) -> None:
    """A stray quote in the second record's unit that nothing closes, in a file long enough
    for the rest of it to be more than a spreadsheet cell."""
    path = data / "dossiers.csv"
    text = path.read_text(encoding="utf-8")
    more = "".join(f"X{i},TP,1.000001,truc_tuyen,05/01/2022,10/01/2022,08/01/2022,False,False,"
                   "False\n" for i in range(600))
    path.write_text(text.replace("D2,TP,", 'D2,"TP,', 1) + more, encoding="utf-8")


def _dossiers_parquet(data: Path, **columns: pa.Array) -> None:
    """dossiers.csv as dossiers.parquet (text columns), some columns replaced."""
    path = data / "dossiers.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    path.unlink()
    table = pa.Table.from_pandas(frame.replace("", None), preserve_index=False)
    for name, array in columns.items():
        table = table.set_column(table.column_names.index(name), name, array)
    pq.write_table(table, data / "dossiers.parquet")


def _received(data: Path) -> pd.Series:
    frame = pd.read_csv(data / "dossiers.csv", dtype=str)
    return pd.to_datetime(frame["received_at"], format="%d/%m/%Y")


def _without_aggregates(data: Path) -> None:
    # Every received_at unusable + an aggregates file: crosscheck.check_coverage crashes on
    # the empty span (a bug of its own, reported); these cases are about the reader.
    (data / "aggregates.csv").unlink()


def parquet_yyyymmdd_dates(data: Path) -> None:
    received = _received(data)
    _without_aggregates(data)
    _dossiers_parquet(data, received_at=pa.array(received.dt.strftime("%Y%m%d").astype("int64")))


def parquet_epoch_millisecond_dates(data: Path) -> None:
    received = _received(data)
    _without_aggregates(data)
    millis = (received - pd.Timestamp(0)) // pd.Timedelta(milliseconds=1)
    _dossiers_parquet(data, received_at=pa.array(millis.astype("int64")))


def parquet_list_unit(data: Path) -> None:
    frame = pd.read_csv(data / "dossiers.csv", dtype=str)
    _without_aggregates(data)
    _dossiers_parquet(data, unit_id=pa.array([[u] for u in frame["unit_id"]]))


def parquet_all_null_received(data: Path) -> None:
    n = len(pd.read_csv(data / "dossiers.csv", dtype=str))
    _without_aggregates(data)
    _dossiers_parquet(data, received_at=pa.nulls(n))


def parquet_native_types(data: Path) -> None:
    """What a careful export writes: date32 receipts, tz-aware due dates (UTC instants whose
    Hanoi date is the day), dictionary-encoded ids and channels: the same figures."""
    frame = pd.read_csv(data / "dossiers.csv", dtype=str, keep_default_na=False)
    received = pd.to_datetime(frame["received_at"], format="%d/%m/%Y")
    due = pd.to_datetime(frame["due_at"], format="%d/%m/%Y")
    # 23:00 UTC the day before is 06:00 in Hanoi on the due day
    due_utc = [dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC) - dt.timedelta(hours=1)
               for d in due]
    _dossiers_parquet(
        data,
        received_at=pa.array(list(received.dt.date), pa.date32()),
        due_at=pa.array(due_utc, pa.timestamp("us", tz="UTC")),
        unit_id=pa.array(frame["unit_id"]).dictionary_encode(),
        channel=pa.array(frame["channel"]).dictionary_encode())
