"""Units that merged (unit_changes), pinned on tests/merger_fixture.py: W1, W2, W3 became C
on 1/7/2025. Figures worked out by hand (see the fixture's docstring)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from briefkit import briefing
from briefkit.bundle import build_bundle
from briefkit.data import load_dataset, validate
from briefkit.kpis import KPI_CSV_COLUMNS, compute_kpis, kpi_history, kpi_tables
from briefkit.periods import parse_period
from briefkit.pipeline import KpiRequest, compute_request, kpis_csv_text
from briefkit.problems import InputError, Problem
from briefkit.targets import load_targets
from tests import merger_fixture

WARDS = ["W1", "W2", "W3"]
TARGETS = "2025:\n  online_rate: {baseline_plus: 0.05}\n  on_time_rate: 0.9\n"


def get(table: pd.DataFrame, unit: str, kpi: str) -> pd.Series:
    rows = table[(table["unit_id"] == unit) & (table["kpi"] == kpi)]
    assert len(rows) == 1, (unit, kpi)
    return rows.iloc[0]


def fraction(table: pd.DataFrame, unit: str, kpi: str) -> tuple[float, float]:
    row = get(table, unit, kpi)
    return row["numerator"], row["denominator"]


@pytest.fixture(scope="module")
def q4_2024() -> pd.DataFrame:
    return compute_kpis(merger_fixture.dataset(), parse_period("2024Q4"))


@pytest.fixture(scope="module")
def q4_2025(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("targets") / "targets.yaml"
    path.write_text(TARGETS, encoding="utf-8")
    return compute_kpis(merger_fixture.dataset(), parse_period("2025Q4"), load_targets(path))


# --------------------------------------------------------------------------------------
# Before the change: the commune's figures are its wards' added up
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kpi", "expected"), [
    ("received_total", 7), ("received_online", 4), ("received_direct", 3),
    ("resolved_total", 6), ("resolved_early", 2), ("resolved_on_time", 2),
    ("resolved_late", 2), ("pending_total", 1), ("pending_in_time", 1), ("apology_sent", 1),
])
def test_2024q4_counts_are_the_sum_of_the_three_wards(q4_2024: pd.DataFrame, kpi: str,
                                                      expected: int) -> None:
    assert get(q4_2024, "C", kpi)["value"] == expected
    assert sum(get(q4_2024, w, kpi)["value"] for w in WARDS) == expected


@pytest.mark.parametrize(("kpi", "expected"), [
    # summed numerators over summed denominators, never the mean of the wards' rates
    ("online_rate", (4, 6)),  # wards 2/3, 1/2, 1/1: their mean would be 72,22%
    ("on_time_rate", (4, 6)),  # wards 2/3, 2/2, 0/1
    ("late_apology_rate", (1, 2)),  # wards 0/1, —, 1/1
    # coverage counts each procedure once over the wards' catalogues (one each level)
    ("l3_procedures_with_online", (1, 1)),  # 2.000002 online at W3 only
    ("l4_procedures_with_online", (1, 1)),
])
def test_2024q4_rates_come_from_summed_fractions(q4_2024: pd.DataFrame, kpi: str,
                                                expected: tuple[int, int]) -> None:
    assert fraction(q4_2024, "C", kpi) == expected
    assert math.isclose(get(q4_2024, "C", kpi)["value"], expected[0] / expected[1])


def test_2024q4_distinct_procedures_are_not_added_up(q4_2024: pd.DataFrame) -> None:
    # each ward offers 2 procedures online; together still 2, not 6
    assert [get(q4_2024, u, "procedures_online")["value"] for u in [*WARDS, "C"]] == [2] * 4


def test_basis_marks_the_predecessors_rows(q4_2024: pd.DataFrame,
                                           q4_2025: pd.DataFrame) -> None:
    assert set(q4_2024.loc[q4_2024["unit_id"] == "C", "basis"]) == {"predecessors"}
    assert set(q4_2024.loc[q4_2024["unit_id"] != "C", "basis"]) == {"own"}
    assert set(q4_2025["basis"]) == {"own"}


def test_the_commune_equals_its_wards_relabelled() -> None:
    """Every KPI of C before the change is what C would show had it received the wards'
    dossiers itself: numerators, denominators and values."""
    ds = merger_fixture.dataset(changes=False)
    ds.dossiers["unit_id"] = ds.dossiers["unit_id"].replace(dict.fromkeys(WARDS, "C"))
    for spec in ("2024Q4", "2025Q1", "2025Q2", "2024"):
        merged = compute_kpis(merger_fixture.dataset(), parse_period(spec), compare=False)
        relabelled = compute_kpis(ds, parse_period(spec), compare=False)
        columns = ["kpi", "numerator", "denominator", "value"]
        pd.testing.assert_frame_equal(
            merged.loc[merged["unit_id"] == "C", columns].reset_index(drop=True),
            relabelled.loc[relabelled["unit_id"] == "C", columns].reset_index(drop=True))


def test_rollups_count_each_dossier_once(q4_2024: pd.DataFrame) -> None:
    units = q4_2024[~q4_2024["is_rollup"] & (q4_2024["kpi"] == "received_total")]
    assert units["value"].sum() == 14  # C's row repeats its wards'
    for rollup in ("*", "*xa"):
        assert get(q4_2024, rollup, "received_total")["value"] == 7
        assert fraction(q4_2024, rollup, "online_rate") == (4, 6)
        assert get(q4_2024, rollup, "procedures_online")["value"] == 2


# --------------------------------------------------------------------------------------
# After the change: the commune alone, compared with its wards' last year
# --------------------------------------------------------------------------------------


def test_former_units_have_no_rows_after_the_change(q4_2025: pd.DataFrame) -> None:
    assert set(q4_2025["unit_id"]) == {"C", "*", "*xa"}


def test_2025q4_change_uses_the_wards_2024q4(q4_2025: pd.DataFrame) -> None:
    online = get(q4_2025, "C", "online_rate")
    assert fraction(q4_2025, "C", "online_rate") == (3, 5)
    assert math.isclose(online["value_prev"], 4 / 6)
    assert math.isclose(online["change"], 3 / 5 - 4 / 6)
    on_time = get(q4_2025, "C", "on_time_rate")
    assert math.isclose(on_time["value_prev"], 4 / 6)
    assert math.isclose(on_time["change"], 4 / 5 - 4 / 6)
    assert get(q4_2025, "C", "received_total")["value_prev"] == 7


def test_2025_baseline_plus_target_uses_the_wards_2024(q4_2025: pd.DataFrame) -> None:
    # 2024: the wards resolved 6 dossiers, 4 received online; + 5 points
    row = get(q4_2025, "C", "online_rate")
    assert math.isclose(row["target"], 4 / 6 + 0.05)
    assert row["target_rule"] == "baseline_plus"
    assert row["status"] == "chua_dat"  # 60,00% < 71,67%


def test_a_ward_dossier_open_at_the_change_is_the_communes_afterwards() -> None:
    q3 = compute_kpis(merger_fixture.dataset(), parse_period("2025Q3"), compare=False)
    # A4: received by W1 on 25/6, resolved late on 3/7: carried over and late at C
    assert get(q3, "C", "carried_over")["value"] == 1
    assert get(q3, "C", "resolved_late")["value"] == 1
    assert set(q3.loc[q3["unit_id"] == "C", "basis"]) == {"own"}
    assert get(q3, "*", "resolved_late")["value"] == 1  # once


def test_history_is_continuous_across_the_reform() -> None:
    history = kpi_history(merger_fixture.dataset(), parse_period("2025Q4"))
    commune = history[(history["unit_id"] == "C") & (history["kpi"] == "received_total")]
    assert commune["period"].tolist() == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1",
                                          "2025Q2", "2025Q3", "2025Q4"]
    assert commune["value"].tolist() == [0, 0, 0, 7, 1, 2, 1, 5]
    assert commune["basis"].tolist() == ["predecessors"] * 6 + ["own"] * 2
    wards = history[history["unit_id"].isin(WARDS)]
    assert set(wards["period"]) == {"2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1",
                                    "2025Q2"}


def test_tables_and_history_agree() -> None:
    ds = merger_fixture.dataset()
    table, history = kpi_tables(ds, parse_period("2025Q4"))
    pd.testing.assert_frame_equal(table, compute_kpis(ds, parse_period("2025Q4")))
    pd.testing.assert_frame_equal(history, kpi_history(ds, parse_period("2025Q4")))


# --------------------------------------------------------------------------------------
# Files: kpis.csv, the briefing's sentence
# --------------------------------------------------------------------------------------


def test_kpis_csv_has_the_basis_column(tmp_path: Path) -> None:
    data = merger_fixture.write_folder(tmp_path / "data")
    result = compute_request(KpiRequest(data, "2024Q4"))
    lines = kpis_csv_text(result.table).splitlines()
    assert lines[0].split(",") == KPI_CSV_COLUMNS
    assert KPI_CSV_COLUMNS[-1] == "basis"
    assert "C,UBND Xã Hợp Nhất,2024Q4,online_rate,4,6,0.6666666666666666,,khong_ap_dung," \
           "predecessors" in lines
    assert "W1,UBND Phường 1,2024Q4,online_rate,2,3,0.6666666666666666,,khong_ap_dung,own" \
        in lines


def test_briefing_names_the_former_units(tmp_path: Path) -> None:
    data = merger_fixture.write_folder(tmp_path / "data")
    targets = tmp_path / "targets.yaml"
    targets.write_text(TARGETS, encoding="utf-8")
    b = briefing.prepare(data, "2025Q4", targets_file=targets, unit_id="C")
    assert b.unit_changes == {"C": [
        {"unit_id": "W1", "name": "UBND Phường 1", "until": "2025-07-01"},
        {"unit_id": "W2", "name": "UBND Phường 2", "until": "2025-07-01"},
        {"unit_id": "W3", "name": "UBND Phường 3", "until": "2025-07-01"}]}
    sentences = briefing.unit_sentences(b, "C")
    assert sentences[-1] == ("Số liệu cùng kỳ năm trước là số liệu cộng gộp của các đơn vị cũ: "
                             "UBND Phường 1, UBND Phường 2 và UBND Phường 3 (hợp nhất từ ngày "
                             "01/7/2025).")
    assert "so với cùng kỳ quý IV/2024" in " ".join(sentences)
    # a year later, last year is the commune's own: no such sentence
    later = briefing.prepare(data, "2026Q4", unit_id="C")
    assert not any("đơn vị cũ" in s for s in briefing.unit_sentences(later, "C"))


def test_bundle_slices(tmp_path: Path) -> None:
    data = merger_fixture.write_folder(tmp_path / "data")
    before = build_bundle(data, "2025Q2")
    # C's slice lists its wards' late dossiers while they exist; W1's own list stays its own
    assert before.unit_slice("C").late["dossier_id"].tolist() == []
    q4 = build_bundle(data, "2024Q4")
    assert sorted(q4.unit_slice("C").late["dossier_id"]) == ["A3"]
    assert q4.unit_slice("W1").late["dossier_id"].tolist() == ["A3"]
    assert q4.unit_slice("W1").unit_changes == {}
    after = build_bundle(data, "2025Q4")
    with pytest.raises(KeyError, match="ended on 2025-07-01"):
        after.unit_slice("W1")
    q3 = build_bundle(data, "2025Q3")
    # A4 (W1's, resolved late by C after the change, no apology letter) is C's
    assert q3.late[["dossier_id", "unit_id"]].values.tolist() == [["A4", "C"]]
    assert q3.unit_slice("C").late["dossier_id"].tolist() == ["A4"]


def test_without_unit_changes_bundles_are_unchanged(tmp_path: Path) -> None:
    data = merger_fixture.write_folder(tmp_path / "data")
    (data / "unit_changes.csv").unlink()
    bundle = build_bundle(data, "2024Q4")
    assert "unit_changes" not in json.loads(bundle.to_files()["bundle.json"])
    assert bundle.unit_changes == {}


# --------------------------------------------------------------------------------------
# Validation: file, row, column
# --------------------------------------------------------------------------------------


def problems_of(folder: Path, rule: str) -> list[Problem]:
    return [p for p in validate(folder) if p.rule == rule]


def test_vietnamese_headers_and_dates(tmp_path: Path) -> None:
    ds = load_dataset(merger_fixture.write_folder(tmp_path))
    pd.testing.assert_frame_equal(ds.unit_changes, merger_fixture.CHANGES)


def test_unknown_unit(tmp_path: Path) -> None:
    folder = merger_fixture.write_folder(tmp_path, [["W1", "C", "01/07/2025"],
                                                    ["W2", "NOPE", "01/07/2025"],
                                                    ["W9", "C", "01/07/2025"]])
    found = problems_of(folder, "unknown_unit")
    assert [(p.file, p.row, p.column) for p in found] == [
        ("unit_changes.csv", 4, "Mã đơn vị cũ"), ("unit_changes.csv", 3, "Mã đơn vị mới")]
    assert "'NOPE'" in str(found[1]) and "row 3" in str(found[1])
    where = re.escape("unit_changes.csv, row 3, column 'Mã đơn vị mới'")
    with pytest.raises(InputError, match=where):
        load_dataset(folder)


@pytest.mark.parametrize(("rows", "cyclic"), [
    ([["W1", "C", "01/07/2025"], ["C", "W1", "01/07/2025"]], [2, 3]),
    ([["W1", "W1", "01/07/2025"]], [2]),
    ([["W1", "W2", "01/07/2025"], ["W2", "W3", "01/07/2025"], ["W3", "W1", "01/07/2025"],
      ["C", "W1", "01/07/2025"]], [2, 3, 4]),
])
def test_cycle(tmp_path: Path, rows: list[list[str]], cyclic: list[int]) -> None:
    folder = merger_fixture.write_folder(tmp_path, rows)
    found = problems_of(folder, "change_cycle")
    assert [(p.file, p.row, p.column) for p in found] == \
        [("unit_changes.csv", r, "Mã đơn vị mới") for r in cyclic]
    assert "→" in found[0].message
    with pytest.raises(InputError):
        load_dataset(folder)


def test_dossier_after_the_change(tmp_path: Path) -> None:
    folder = merger_fixture.write_folder(tmp_path, extra_dossiers=[
        ("X1", "W2", merger_fixture.P4, "truc_tiep", "2025-07-01", "2025-07-03", "", False)])
    found = problems_of(folder, "activity_after_change")
    assert [(p.file, p.row, p.column) for p in found] == [("dossiers.csv", 16, "received_at")]
    assert "01/07/2025" in found[0].message


def test_a_unit_merged_twice(tmp_path: Path) -> None:
    folder = merger_fixture.write_folder(tmp_path, [["W1", "C", "01/07/2025"],
                                                    ["W1", "W2", "01/07/2025"]])
    found = problems_of(folder, "duplicate_id")
    assert [(p.file, p.row, p.column) for p in found] == [
        ("unit_changes.csv", 3, "Mã đơn vị cũ")]


def test_merged_into_a_unit_that_had_ended(tmp_path: Path) -> None:
    folder = merger_fixture.write_folder(tmp_path, [["W1", "W2", "01/10/2025"],
                                                    ["W2", "C", "01/07/2025"]])
    found = problems_of(folder, "change_into_former_unit")
    assert [(p.file, p.row, p.column) for p in found] == [
        ("unit_changes.csv", 2, "Ngày hiệu lực")]


def test_bad_date(tmp_path: Path) -> None:
    folder = merger_fixture.write_folder(tmp_path, [["W1", "C", "31/02/2025"]])
    found = problems_of(folder, "bad_date")
    assert [(p.file, p.row, p.column) for p in found] == [
        ("unit_changes.csv", 2, "Ngày hiệu lực")]


def test_a_chain_of_changes(tmp_path: Path) -> None:
    """W1 → W2 on 1/7/2025, W2 → C on 1/1/2026: C adds up both while they exist."""
    folder = merger_fixture.write_folder(tmp_path, [["W1", "W2", "01/07/2025"],
                                                    ["W2", "C", "01/01/2026"]])
    ds = load_dataset(folder)
    q4 = compute_kpis(ds, parse_period("2024Q4"), compare=False)
    assert get(q4, "W2", "received_total")["value"] == 5  # W1 + W2
    assert get(q4, "C", "received_total")["value"] == 5 + 0  # W1 + W2 + C's own
    assert get(q4, "W3", "received_total")["value"] == 2
    later = compute_kpis(ds, parse_period("2025Q4"), compare=False)
    assert "W1" not in set(later["unit_id"]) and "W2" in set(later["unit_id"])
    assert get(later, "C", "received_total")["basis"] == "predecessors"  # W2 until 1/1/2026
    assert get(later, "W2", "received_total")["basis"] == "own"  # W1 has ended


def test_aggregates_after_the_change(tmp_path: Path) -> None:
    folder = merger_fixture.write_folder(tmp_path)
    pd.DataFrame({"unit_id": ["W1", "W1"], "period": ["2025Q2", "2025Q3"],
                  "received_online": [1, 1], "received_direct_or_postal": [0, 0],
                  "carried_over": [0, 0], "resolved_early": [1, 1], "resolved_on_time": [0, 0],
                  "resolved_late": [0, 0], "pending_in_time": [0, 0], "pending_overdue": [0, 0]}
                 ).to_csv(folder / "aggregates.csv", index=False)
    found = problems_of(folder, "activity_after_change")
    assert [(p.file, p.row, p.column) for p in found] == [("aggregates.csv", 3, "period")]


def test_a_level_without_units_left_has_no_roll_up() -> None:
    """After the reform no district-level unit is left: no "Các đơn vị cấp huyện" row of
    zeros (here the former wards are made district-level units to have such a level)."""
    ds = merger_fixture.dataset()
    units = ds.units.copy()
    units.loc[units["unit_id"].isin(["W1", "W2", "W3"]), "level"] = "huyen"
    ds = type(ds)(**{**ds.__dict__, "units": units})
    before = compute_kpis(ds, parse_period("2024Q4"))
    after = compute_kpis(ds, parse_period("2025Q4"))
    assert sorted(before.loc[before["is_rollup"], "unit_id"].unique()) == ["*", "*huyen", "*xa"]
    assert sorted(after.loc[after["is_rollup"], "unit_id"].unique()) == ["*", "*xa"]
    received = after[(after["unit_id"] == "*") & (after["kpi"] == "received_total")]
    assert received["value"].tolist() == [5.0]
