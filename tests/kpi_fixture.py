"""A tiny hand-built district whose every KPI was worked out by hand (see test_kpis.py).

Units: TP (department, fields Chứng thực; Hộ tịch), 007 (ward, id with a leading zero),
EMPTY (department with no dossiers), AGG (ward that reports Biểu 06 counts only).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from briefkit.data import Dataset

T = pd.Timestamp
NaT = pd.NaT

UNITS = pd.DataFrame({
    "unit_id": ["TP", "007", "EMPTY", "AGG"],
    "name": ["Phòng Tư pháp", "UBND Phường 7", "Phòng Nội vụ", "UBND Phường 9"],
    "kind": ["phong_ban", "phuong_xa", "phong_ban", "phuong_xa"],
    "level": ["huyen", "xa", "huyen", "xa"],
    "parent_id": [pd.NA] * 4,
    "fields": ["Chứng thực; Hộ tịch", pd.NA, "Nội vụ", pd.NA],
})

PROCEDURES = pd.DataFrame({
    "procedure_id": ["1.000001", "1.000002", "1.000003", "1.000004", "2.000001", "2.000002",
                     "2.000003"],
    "name": ["Chứng thực bản sao", "Đăng ký khai sinh (huyện)", "Giao đất", "Thi đua",
             "Đăng ký khai sinh", "Chứng thực chữ ký", "Đăng ký kết hôn"],
    "field": ["Chứng thực", "Hộ tịch", "Đất đai", "Nội vụ", "Hộ tịch", "Chứng thực", "Hộ tịch"],
    "level": ["huyen", "huyen", "huyen", "huyen", "xa", "xa", "xa"],
    "online_level": pd.array([4, 3, 2, 3, 4, 3, 2], dtype="int8"),
})

# id, unit, procedure, channel, received, due, resolved, post, apology, inter_agency
_ROWS = [
    ("D1", "TP", "1.000001", "truc_tuyen", T("2022-01-05"), T("2022-01-10"), T("2022-01-08"),
     False, False, False),
    ("D2", "TP", "1.000001", "truc_tuyen", T("2022-02-01"), T("2022-02-05"), T("2022-02-05"),
     True, False, False),
    ("D3", "TP", "1.000002", "truc_tiep", T("2022-02-10"), T("2022-02-15"), T("2022-02-20"),
     False, True, False),
    ("D4", "TP", "1.000002", "buu_chinh", T("2022-03-01"), T("2022-03-10"), T("2022-03-15"),
     False, False, False),
    ("D5", "TP", "1.000002", "truc_tiep", T("2021-12-20"), T("2022-01-05"), T("2022-01-04"),
     False, False, False),
    ("D6", "TP", "1.000002", "truc_tuyen", T("2022-03-25"), T("2022-04-05"), NaT,
     False, False, False),
    ("D7", "TP", "1.000002", "truc_tiep", T("2022-01-10"), T("2022-01-20"), NaT,
     False, False, True),
    ("D8", "TP", "1.000001", "truc_tiep", T("2021-11-01"), T("2021-11-10"), T("2021-12-01"),
     False, False, False),
    ("D9", "TP", "1.000001", "truc_tuyen", T("2022-03-31"), T("2022-04-04"), T("2022-04-02"),
     False, False, False),
    ("D10", "TP", "1.000001", "truc_tuyen", T("2022-01-12"), T("2022-01-20"), T("2022-01-19"),
     False, False, True),
    ("D11", "TP", "1.000002", "truc_tiep", T("2022-03-20"), T("2022-03-31"), NaT,
     False, False, False),
    ("W0", "007", "2.000001", "truc_tiep", T("2021-01-05"), T("2021-01-06"), T("2021-01-05"),
     False, False, False),
    ("W1", "007", "2.000001", "truc_tuyen", T("2022-01-03"), T("2022-01-04"), T("2022-01-04"),
     False, False, False),
    ("W2", "007", "2.000002", "truc_tiep", T("2022-01-03"), T("2022-01-04"), T("2022-01-03"),
     False, False, False),
    ("W3", "007", "2.000002", "truc_tuyen", T("2022-02-03"), T("2022-02-04"), T("2022-02-04"),
     False, False, True),
    ("W4", "007", "2.000003", "truc_tiep", T("2022-02-07"), T("2022-02-08"), T("2022-02-07"),
     False, False, False),
]
DOSSIER_COLUMNS = ["dossier_id", "unit_id", "procedure_id", "channel", "received_at", "due_at",
                   "resolved_at", "returned_by_post", "apology_sent", "inter_agency"]

AGGREGATES = pd.DataFrame({
    "unit_id": ["AGG", "AGG"],
    "period": ["2022Q1", "2022Q2"],
    "received_online": [10, 6],
    "received_direct_or_postal": [5, 4],
    "carried_over": [2, 4],
    "resolved_early": [8, 7],
    "resolved_on_time": [4, 3],
    "resolved_late": [1, 2],
    "pending_in_time": [3, 2],
    "pending_overdue": [1, 0],
    "resolved_online": [9, 8],
    "received_postal": [1, 0],
    "returned_by_post": [2, 1],
    "apology_sent": [1, 2],
}).astype({c: "Int64" for c in ["received_online", "received_direct_or_postal", "carried_over",
                                "resolved_early", "resolved_on_time", "resolved_late",
                                "pending_in_time", "pending_overdue", "resolved_online",
                                "received_postal", "returned_by_post", "apology_sent"]})

DOCUMENTS = pd.DataFrame({
    "document_id": ["V1", "V2", "V3", "V4", "V5"],
    "unit_id": ["TP", "TP", "TP", "007", "007"],
    "sent_at": [T("2022-01-10"), T("2022-02-10"), T("2022-03-10"), T("2022-03-01"),
                T("2022-04-01")],
    "electronic": [True, True, False, True, True],
    "digitally_signed": [True, False, False, True, True],
})


def dossiers() -> pd.DataFrame:
    frame = pd.DataFrame(_ROWS, columns=DOSSIER_COLUMNS)
    for column in ("returned_by_post", "apology_sent", "inter_agency"):
        frame[column] = frame[column].astype(bool)
    for column in ("received_at", "due_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame


def dataset(*, with_aggregates: bool = True) -> Dataset:
    aggregates = AGGREGATES.copy() if with_aggregates else AGGREGATES.iloc[0:0].copy()
    return Dataset(units=UNITS.copy(), procedures=PROCEDURES.copy(), dossiers=dossiers(),
                   aggregates=aggregates, documents=DOCUMENTS.copy(), files={}, warnings=[])


def write_folder(folder: str | Path, *, day_first: bool = True) -> Path:
    """Write the fixture as a data folder of CSV files the way a portal export looks:
    Vietnamese day-first dates, true/false booleans, optional tables included."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def date_text(series: pd.Series) -> pd.Series:
        fmt = "%d/%m/%Y" if day_first else "%Y-%m-%d"
        return series.dt.strftime(fmt).fillna("")

    UNITS.to_csv(folder / "units.csv", index=False)
    PROCEDURES.to_csv(folder / "procedures.csv", index=False)
    frame = dossiers()
    for column in ("received_at", "due_at", "resolved_at"):
        frame[column] = date_text(frame[column])
    frame.to_csv(folder / "dossiers.csv", index=False)
    AGGREGATES.to_csv(folder / "aggregates.csv", index=False)
    documents = DOCUMENTS.copy()
    documents["sent_at"] = date_text(documents["sent_at"])
    documents.to_csv(folder / "documents.csv", index=False)
    return folder
