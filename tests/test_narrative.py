"""Sentences of a briefing, pinned word for word."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from briefkit.narrative import below_target_sentence, kpi_sentence, units_below_target
from briefkit.periods import parse_period

Q1 = parse_period("2022Q1")


def table(rows: list[dict]) -> pd.DataFrame:
    defaults = {"unit_name": "", "is_rollup": False, "numerator": np.nan, "denominator": np.nan,
                "target": np.nan, "status": "khong_ap_dung", "target_rule": None,
                "value_prev": np.nan}
    return pd.DataFrame([{**defaults, **r} for r in rows])


def test_the_directive_sentence() -> None:
    t = table([{"unit_id": "*", "kpi": "online_rate", "numerator": 8018, "denominator": 10000,
                "value": 0.8018, "target": 0.8447, "status": "chua_dat", "target_rule": "min",
                "is_rollup": True}])
    assert kpi_sentence(t, "*", "online_rate", Q1) == (
        "Trong quý I/2022, tỷ lệ hồ sơ được xử lý trực tuyến trên tổng số hồ sơ được giải quyết "
        "đạt 80,18%, chưa đạt chỉ tiêu năm 2022 là 84,47% (thấp hơn 4,29 điểm phần trăm).")
    assert kpi_sentence(t, "*", "online_rate", Q1, with_counts=True) == (
        "Trong quý I/2022, tỷ lệ hồ sơ được xử lý trực tuyến trên tổng số hồ sơ được giải quyết "
        "đạt 80,18% (8.018/10.000 hồ sơ), chưa đạt chỉ tiêu năm 2022 là 84,47% (thấp hơn 4,29 "
        "điểm phần trăm).")


def test_gap_is_computed_from_the_printed_figures() -> None:
    # 0.80185 prints as 80,19% (half up); 84,47 − 80,19 = 4,28 whatever the float says
    t = table([{"unit_id": "X", "kpi": "online_rate", "numerator": 80185, "denominator": 100000,
                "value": 0.80185, "target": 0.8447, "status": "chua_dat", "target_rule": "min"}])
    assert "đạt 80,19%, chưa đạt chỉ tiêu năm 2022 là 84,47% (thấp hơn 4,28 điểm phần trăm)" \
        in kpi_sentence(t, "X", "online_rate", Q1)


def test_met_exceeded_and_exactly_on_target() -> None:
    t = table([
        {"unit_id": "A", "kpi": "on_time_rate", "value": 0.99, "target": 0.98, "status": "dat",
         "target_rule": "min"},
        {"unit_id": "B", "kpi": "on_time_rate", "value": 0.98, "target": 0.98, "status": "dat",
         "target_rule": "min"},
    ])
    assert kpi_sentence(t, "A", "on_time_rate", Q1).endswith(
        "đạt 99,00%, vượt chỉ tiêu năm 2022 là 98,00% (cao hơn 1,00 điểm phần trăm).")
    assert kpi_sentence(t, "B", "on_time_rate", Q1).endswith(
        "đạt 98,00%, đạt chỉ tiêu năm 2022 là 98,00%.")


def test_count_with_maximum_and_change() -> None:
    t = table([{"unit_id": "A", "kpi": "pending_overdue", "value": 12.0, "target": 0.0,
                "status": "chua_dat", "target_rule": "max", "value_prev": 15.0}])
    assert kpi_sentence(t, "A", "pending_overdue", Q1, with_change=True) == (
        "Trong quý I/2022, số hồ sơ đang giải quyết quá hạn là 12 hồ sơ, chưa đạt chỉ tiêu năm "
        "2022 là không để phát sinh hồ sơ nào, giảm 3 hồ sơ so với cùng kỳ quý I/2021.")


def test_count_with_a_maximum_above_zero_and_no_opening() -> None:
    t = table([{"unit_id": "A", "kpi": "pending_overdue", "value": 3.0, "target": 5.0,
                "status": "dat", "target_rule": "max"}])
    assert kpi_sentence(t, "A", "pending_overdue", Q1, opening=False) == (
        "Số hồ sơ đang giải quyết quá hạn là 3 hồ sơ, đạt chỉ tiêu năm 2022 là tối đa 5 hồ sơ "
        "(thấp hơn 2 hồ sơ).")


def test_no_data() -> None:
    t = table([{"unit_id": "A", "kpi": "online_rate", "value": np.nan, "numerator": 0,
                "denominator": 0}])
    assert kpi_sentence(t, "A", "online_rate", Q1) == (
        "Trong quý I/2022, tỷ lệ hồ sơ được xử lý trực tuyến trên tổng số hồ sơ được giải quyết: "
        "không phát sinh hồ sơ để tính.")


def test_units_below_target_named_with_gaps() -> None:
    t = table([
        {"unit_id": "TP", "unit_name": "Phòng Tư pháp", "kpi": "online_rate", "value": 0.721,
         "target": 0.8447, "status": "chua_dat", "target_rule": "min"},
        {"unit_id": "P3", "unit_name": "UBND Phường 3", "kpi": "online_rate", "value": 0.80,
         "target": 0.8447, "status": "chua_dat", "target_rule": "min"},
        {"unit_id": "P1", "unit_name": "UBND Phường 1", "kpi": "online_rate", "value": 0.90,
         "target": 0.8447, "status": "dat", "target_rule": "min"},
        {"unit_id": "*", "unit_name": "Toàn bộ", "kpi": "online_rate", "value": 0.80,
         "target": 0.8447, "status": "chua_dat", "target_rule": "min", "is_rollup": True},
    ])
    assert [s.unit_id for s in units_below_target(t, "online_rate")] == ["TP", "P3"]
    assert below_target_sentence(t, "online_rate", Q1) == (
        "Trong quý I/2022, có 2/3 đơn vị chưa đạt chỉ tiêu năm 2022 về tỷ lệ hồ sơ được xử lý "
        "trực tuyến trên tổng số hồ sơ được giải quyết (84,47%): Phòng Tư pháp (72,10%, thấp hơn "
        "12,37 điểm phần trăm); UBND Phường 3 (80,00%, thấp hơn 4,47 điểm phần trăm).")


def test_everyone_met() -> None:
    t = table([{"unit_id": "P1", "unit_name": "UBND Phường 1", "kpi": "online_rate",
                "value": 0.9, "target": 0.8447, "status": "dat", "target_rule": "min"}])
    assert below_target_sentence(t, "online_rate", Q1) == (
        "Trong quý I/2022, tất cả các đơn vị đều đạt chỉ tiêu năm 2022 về tỷ lệ hồ sơ được xử lý "
        "trực tuyến trên tổng số hồ sơ được giải quyết.")


def test_unknown_row() -> None:
    with pytest.raises(KeyError):
        kpi_sentence(table([{"unit_id": "A", "kpi": "online_rate", "value": 1.0}]), "B",
                     "online_rate", Q1)
