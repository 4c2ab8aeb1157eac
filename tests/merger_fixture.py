"""A hand-built merger (see test_unit_changes.py): wards W1, W2, W3 became commune C on
1 July 2025 (unit_changes), with figures worked out by hand.

2024Q4 (the wards): W1 received 3 (2 online), resolved 3 (early, on time, late); W2 received
2 (1 online), resolved 2 (early, on time); W3 received 2 (1 online), resolved 1 (late, with
an apology), 1 pending in time (C2, resolved early on 4/1/2025).
2025Q2: W2 resolves B3 (online, early); W1 receives A4 on 25/6, still open on 1/7: C takes it
over and resolves it late on 3/7/2025.
2025Q4 (the commune): C received 5 (3 online), resolved 5 (3 early, 1 on time, 1 late).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from briefkit.data import Dataset

T = pd.Timestamp

UNITS = pd.DataFrame({
    "unit_id": ["W1", "W2", "W3", "C"],
    "name": ["UBND Phường 1", "UBND Phường 2", "UBND Phường 3", "UBND Xã Hợp Nhất"],
    "kind": ["phuong_xa"] * 4,
    "level": ["xa"] * 4,
    "parent_id": [pd.NA] * 4,
    "fields": [pd.NA] * 4,
})

PROCEDURES = pd.DataFrame({
    "procedure_id": ["2.000001", "2.000002", "2.000003"],
    "name": ["Đăng ký khai sinh", "Chứng thực chữ ký", "Đăng ký kết hôn"],
    "field": ["Hộ tịch", "Chứng thực", "Hộ tịch"],
    "level": ["xa", "xa", "xa"],
    "online_level": pd.array([4, 3, 2], dtype="int8"),
})

P4, P3, P2 = "2.000001", "2.000002", "2.000003"  # by online level

# id, unit, procedure, channel, received, due, resolved, apology
_ROWS = [
    ("A1", "W1", P4, "truc_tuyen", "2024-10-02", "2024-10-05", "2024-10-04", False),
    ("A2", "W1", P3, "truc_tiep", "2024-10-10", "2024-10-12", "2024-10-12", False),
    ("A3", "W1", P4, "truc_tuyen", "2024-11-03", "2024-11-05", "2024-11-08", False),
    ("B1", "W2", P4, "truc_tuyen", "2024-10-20", "2024-10-25", "2024-10-21", False),
    ("B2", "W2", P2, "truc_tiep", "2024-12-01", "2024-12-03", "2024-12-03", False),
    ("C1", "W3", P3, "truc_tuyen", "2024-11-11", "2024-11-13", "2024-11-20", True),
    ("C2", "W3", P3, "truc_tiep", "2024-12-20", "2025-01-05", "2025-01-04", False),
    ("B3", "W2", P3, "truc_tuyen", "2025-04-10", "2025-04-12", "2025-04-11", False),
    ("A4", "W1", P4, "truc_tiep", "2025-06-25", "2025-07-02", "2025-07-03", False),
    ("D1", "C", P4, "truc_tuyen", "2025-10-01", "2025-10-03", "2025-10-02", False),
    ("D2", "C", P4, "truc_tuyen", "2025-10-05", "2025-10-08", "2025-10-08", False),
    ("D3", "C", P3, "truc_tiep", "2025-11-01", "2025-11-03", "2025-11-05", False),
    ("D4", "C", P3, "truc_tuyen", "2025-12-01", "2025-12-04", "2025-12-03", False),
    ("D5", "C", P2, "truc_tiep", "2025-12-10", "2025-12-12", "2025-12-11", False),
]

CHANGES = pd.DataFrame({
    "from_unit_id": ["W1", "W2", "W3"],
    "to_unit_id": ["C", "C", "C"],
    "effective_date": pd.to_datetime(["2025-07-01"] * 3).astype("datetime64[ns]"),
})


def dossiers() -> pd.DataFrame:
    frame = pd.DataFrame(_ROWS, columns=["dossier_id", "unit_id", "procedure_id", "channel",
                                         "received_at", "due_at", "resolved_at",
                                         "apology_sent"])
    for column in ("received_at", "due_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    frame.insert(7, "returned_by_post", False)
    frame["inter_agency"] = False
    return frame


def dataset(*, changes: bool = True) -> Dataset:
    empty = pd.DataFrame({"document_id": pd.Series([], dtype="str"),
                          "unit_id": pd.Series([], dtype="str"),
                          "sent_at": pd.Series([], dtype="datetime64[ns]"),
                          "electronic": pd.Series([], dtype=bool),
                          "digitally_signed": pd.Series([], dtype=bool)})
    from briefkit.data.convert import empty_frame as _empty_frame
    from briefkit.schema import AGGREGATES, UNIT_CHANGES

    return Dataset(units=UNITS.copy(), procedures=PROCEDURES.copy(), dossiers=dossiers(),
                   aggregates=_empty_frame(AGGREGATES), documents=empty,
                   unit_changes=CHANGES.copy() if changes else _empty_frame(UNIT_CHANGES))


def write_folder(folder: str | Path, changes: list[list[str]] | None = None,
                 header: tuple[str, str, str] = ("Mã đơn vị cũ", "Mã đơn vị mới",
                                                  "Ngày hiệu lực"),
                 extra_dossiers: list[tuple] = ()) -> Path:
    """The fixture as CSV files, unit_changes with Vietnamese headers and day-first dates
    (``changes``: its rows as text, default the three wards into C on 01/07/2025)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    UNITS.to_csv(folder / "units.csv", index=False)
    PROCEDURES.to_csv(folder / "procedures.csv", index=False)
    frame = pd.DataFrame([*_ROWS, *extra_dossiers],
                         columns=["dossier_id", "unit_id", "procedure_id", "channel",
                                  "received_at", "due_at", "resolved_at", "apology_sent"])
    frame.to_csv(folder / "dossiers.csv", index=False)
    rows = changes if changes is not None else [[w, "C", "01/07/2025"] for w in
                                                ("W1", "W2", "W3")]
    pd.DataFrame(rows, columns=list(header)).to_csv(folder / "unit_changes.csv", index=False)
    return folder
