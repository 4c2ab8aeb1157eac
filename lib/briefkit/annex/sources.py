"""Sheet 3, "Nguồn dữ liệu": the provenance in Vietnamese, for whoever checks the figures;
hidden, not part of the printed annex (see :mod:`briefkit.annex`)."""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from briefkit.annex.cells import _fit_height, _merge, _notice, _print_setup, _put, _width
from briefkit.annex.contents import (
    _CONVENTION_WORDS,
    PARAMETER_LABELS,
    PROVENANCE_LABELS,
    SHEET_KPI_DATA,
    SOURCES_SHEET_NOTICE,
    SOURCES_TITLE,
)
from briefkit.annex.styles import (
    _BOLD,
    _CENTER,
    _FILL_HEADER,
    _ITALIC,
    _LEFT,
    _RIGHT,
    _TITLE,
)
from briefkit.formatting import is_missing
from briefkit.periods import Period


def _provenance_value(value: object) -> object:
    """Numbers stay numbers; times become ISO text (unambiguous, no locale, no time zone loss);
    lists and mappings become JSON; everything else its text."""
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return value if math.isfinite(float(value)) else str(value)
    if isinstance(value, (_dt.date, _dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return json.dumps(items, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def provenance_rows(provenance: Mapping[str, object]) -> list[tuple[str, object]]:
    """The provenance as the "Nguồn dữ liệu" sheet lists it, in Vietnamese: known keys under
    their labels (:data:`PROVENANCE_LABELS`), each data file by its name relative to the data
    folder with its sha256, each parameter on a row of its own; other keys as they are."""
    rows: list[tuple[str, object]] = []
    names = provenance.get("data_file_names")
    names = names if isinstance(names, Mapping) else {}
    for key, value in provenance.items():
        if key == "data_file_names":
            continue
        if key == "data_files" and isinstance(value, Mapping):
            for table, sha in value.items():
                rows.append((f"Tệp dữ liệu {names.get(table, table)} (sha256)", sha))
        elif key == "parameters" and isinstance(value, Mapping):
            for name, item in value.items():
                label = PARAMETER_LABELS.get(str(name), str(name))
                rows.append((f"Tham số: {label}", "(không có)" if item is None else item))
        elif key == "convention" and str(value) in _CONVENTION_WORDS:
            rows.append((PROVENANCE_LABELS[key], _CONVENTION_WORDS[str(value)]))
        else:
            rows.append((PROVENANCE_LABELS.get(str(key), str(key)), value))
    return rows


def _sources_sheet(ws: Worksheet, period: Period, provenance: Mapping[str, object]) -> None:
    """The provenance, for whoever checks the figures: not part of the printed annex (a grey
    tab, and a running header saying so on its pages)."""
    rows = provenance_rows(provenance)
    key_width = min(max([16.0, *(len(str(k)) + 3.0 for k, _ in rows)]), 40.0)
    values = [_provenance_value(v) for _, v in rows]
    longest = max((len(str(v)) for v in values if v is not None), default=20)
    value_width = min(max(30.0, longest + 3.0), 90.0)
    _merge(ws, 1, 1, 1, 2, SOURCES_TITLE, font=_BOLD, align=_TITLE, border=False)
    _merge(ws, 2, 1, 2, 2, f"Kỳ báo cáo: {period.label()}", font=_ITALIC, align=_TITLE,
           border=False)
    _put(ws, 3, 1, "Thông tin", font=_BOLD, align=_CENTER, fill=_FILL_HEADER)
    _put(ws, 3, 2, "Giá trị", font=_BOLD, align=_CENTER, fill=_FILL_HEADER)
    for row, ((key, _), value) in enumerate(zip(rows, values, strict=True), start=4):
        _put(ws, row, 1, str(key), font=_BOLD, align=_LEFT)
        align = _LEFT if isinstance(value, str) or value is None else _RIGHT
        _put(ws, row, 2, value, align=align)
        _fit_height(ws, row, [(str(key), key_width), (str(value or ""), value_width)])
    note = (f"Ghi chú: trang tính này và trang tính “{SHEET_KPI_DATA}” (trang tính cuối, dữ "
            "liệu dạng máy đọc, trùng khớp với tệp kpis.csv) dùng để kiểm tra, đối chiếu và "
            "nhập vào phần mềm khác; không thuộc phần phụ lục cần in.")
    note_row = 4 + len(values) + 1
    _merge(ws, note_row, 1, note_row, 2, note, font=_ITALIC, align=_LEFT, border=False)
    _fit_height(ws, note_row, [(note, key_width + value_width)])
    _width(ws, 1, key_width)
    _width(ws, 2, value_width)
    ws.freeze_panes = "A4"
    ws.sheet_properties.tabColor = "808080"
    _print_setup(ws, "3:3")
    _notice(ws, SOURCES_SHEET_NOTICE)
