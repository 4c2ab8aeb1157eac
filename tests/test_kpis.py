"""Every KPI pinned on the hand-built district of kpi_fixture.py (figures worked out by hand)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from briefkit.data import Dataset, load_dataset
from briefkit.kpis import (
    BIEU06_COLUMNS,
    KPIS,
    bieu06_frame,
    compute_kpis,
    load_index766_weights,
    unit_catalogue,
)
from briefkit.periods import parse_period
from briefkit.targets import load_targets
from tests import kpi_fixture, merger_fixture

WEIGHTS = load_index766_weights()


def table_for(spec: str, convention: str = "calendar", targets=None, **kwargs) -> pd.DataFrame:
    return compute_kpis(kpi_fixture.dataset(**kwargs), parse_period(spec, convention), targets)


def get(table: pd.DataFrame, unit: str, kpi: str) -> pd.Series:
    rows = table[(table["unit_id"] == unit) & (table["kpi"] == kpi)]
    assert len(rows) == 1, (unit, kpi)
    return rows.iloc[0]


def value(table: pd.DataFrame, unit: str, kpi: str) -> float:
    return get(table, unit, kpi)["value"]


def fraction(table: pd.DataFrame, unit: str, kpi: str) -> tuple[float, float]:
    row = get(table, unit, kpi)
    return row["numerator"], row["denominator"]


@pytest.fixture(scope="module")
def q1() -> pd.DataFrame:
    return table_for("2022Q1")


TP_Q1_COUNTS = {
    "received_online": 5, "received_direct": 3, "received_postal": 1, "carried_over": 1,
    "received_total": 10, "resolved_total": 6, "resolved_early": 3, "resolved_on_time": 1,
    "resolved_late": 2, "pending_total": 4, "pending_in_time": 3, "pending_overdue": 1,
    "returned_by_post": 1, "apology_sent": 1, "online_received_l3": 1, "online_received_l4": 4,
    "procedures_online": 2, "documents_electronic": 2,
}


@pytest.mark.parametrize(("kpi", "expected"), TP_Q1_COUNTS.items())
def test_department_counts_calendar(q1: pd.DataFrame, kpi: str, expected: int) -> None:
    assert value(q1, "TP", kpi) == expected


TP_Q1_RATES = {
    "online_rate": (3, 6), "on_time_rate": (4, 6), "late_apology_rate": (1, 2),
    "l3_online_share": (1, 5), "l4_online_share": (4, 4), "l3_procedures_with_online": (1, 1),
    "l4_procedures_with_online": (1, 1), "inter_agency_l3_online_share": (0, 1),
    "inter_agency_l4_online_share": (1, 1), "documents_signed_rate": (1, 2),
}


@pytest.mark.parametrize(("kpi", "expected"), TP_Q1_RATES.items())
def test_department_rates_calendar(q1: pd.DataFrame, kpi: str, expected: tuple[int, int]):
    assert fraction(q1, "TP", kpi) == expected
    assert value(q1, "TP", kpi) == expected[0] / expected[1]


def test_index766_points(q1: pd.DataFrame) -> None:
    # progress: 20 × (early 3 + on time 1 + pending in time 3) / received 10
    assert fraction(q1, "TP", "index766_progress") == (7, 10)
    assert value(q1, "TP", "index766_progress") == pytest.approx(14.0)
    # online share 5/9 ≥ 50%: full points; the aggregate ward 10/15 ≥ 50% too
    assert fraction(q1, "TP", "index766_online") == (5, 9)
    assert value(q1, "TP", "index766_online") == WEIGHTS["index766_online"].points
    # below 50 %: proportional. The ward has 2 online of 4: exactly 50 % → full points.
    assert value(q1, "007", "index766_online") == WEIGHTS["index766_online"].points


def test_index766_online_is_proportional_below_full_share() -> None:
    table = table_for("2021")  # TP received D5 (direct) and D8 (direct) in 2021: 0 online
    assert fraction(table, "TP", "index766_online") == (0, 2)
    assert value(table, "TP", "index766_online") == 0
    rule = WEIGHTS["index766_online"]
    half = table_for("2022-03..2022-04")  # TP: D4 postal, D6 and D9 online, D11 direct
    assert fraction(half, "TP", "index766_online") == (2, 4)
    assert value(half, "TP", "index766_online") == rule.points


def test_ward_with_leading_zero_id(q1: pd.DataFrame) -> None:
    assert value(q1, "007", "received_total") == 4
    assert fraction(q1, "007", "online_rate") == (2, 4)
    assert value(q1, "007", "on_time_rate") == 1.0
    assert math.isnan(value(q1, "007", "late_apology_rate"))  # no late dossier: no rate
    assert fraction(q1, "007", "l3_online_share") == (1, 2)
    assert fraction(q1, "007", "inter_agency_l3_online_share") == (1, 1)
    assert math.isnan(value(q1, "007", "inter_agency_l4_online_share"))
    assert value(q1, "007", "procedures_online") == 2


def test_unit_without_dossiers(q1: pd.DataFrame) -> None:
    for kpi in ("received_total", "resolved_total", "pending_total", "received_online"):
        assert value(q1, "EMPTY", kpi) == 0
    for kpi in ("online_rate", "on_time_rate", "l3_online_share", "index766_progress"):
        assert math.isnan(value(q1, "EMPTY", kpi))
        assert get(q1, "EMPTY", kpi)["status"] == "khong_ap_dung"
    # it offers one level-3 procedure (Nội vụ) that received no online dossier
    assert fraction(q1, "EMPTY", "l3_procedures_with_online") == (0, 1)


def test_aggregate_only_unit_joins_the_tables(q1: pd.DataFrame) -> None:
    assert value(q1, "AGG", "received_total") == 17
    assert value(q1, "AGG", "received_direct") == 4
    assert value(q1, "AGG", "received_postal") == 1
    assert fraction(q1, "AGG", "online_rate") == (9, 13)
    assert fraction(q1, "AGG", "on_time_rate") == (12, 13)
    assert value(q1, "AGG", "pending_overdue") == 1
    assert math.isnan(value(q1, "AGG", "l3_online_share"))  # not on the Biểu 06 form
    assert math.isnan(value(q1, "AGG", "l3_procedures_with_online"))


def test_aggregate_rows_compose_a_half_year() -> None:
    h1 = table_for("2022H1")
    # flows add up; carried over from Q1, pending from Q2
    assert value(h1, "AGG", "received_online") == 16
    assert value(h1, "AGG", "carried_over") == 2
    assert value(h1, "AGG", "pending_in_time") == 2
    assert value(h1, "AGG", "pending_overdue") == 0
    assert fraction(h1, "AGG", "online_rate") == (17, 25)
    # a period the rows do not tile is unknown, not zero
    may = table_for("2022-05")
    assert math.isnan(value(may, "AGG", "received_total"))


def test_aggregate_rows_fill_periods_without_dossiers() -> None:
    ds = kpi_fixture.dataset()
    extra = ds.aggregates.iloc[[0, 0]].copy()
    extra["unit_id"] = ["TP", "TP"]
    extra["period"] = ["2021Q1", "2022Q1"]  # TP had no dossier in play in 2021Q1
    ds.aggregates = pd.concat([ds.aggregates, extra], ignore_index=True)
    early = compute_kpis(ds, parse_period("2021Q1"), compare=False)
    assert value(early, "TP", "received_total") == 17  # from its Biểu 06 row
    assert fraction(early, "TP", "online_rate") == (9, 13)
    assert math.isnan(value(early, "TP", "l3_online_share"))
    q1 = compute_kpis(ds, parse_period("2022Q1"), compare=False)
    assert value(q1, "TP", "received_total") == 10  # dossier data wins
    quiet = compute_kpis(ds, parse_period("2021Q2"), compare=False)
    assert value(quiet, "TP", "received_total") == 0  # no row, no dossier: a real zero


def test_rollups(q1: pd.DataFrame) -> None:
    assert value(q1, "*", "received_total") == 10 + 4 + 0 + 17
    assert fraction(q1, "*", "online_rate") == (3 + 2 + 0 + 9, 6 + 4 + 0 + 13)
    # the aggregate ward does not report level-3 dossiers: left out of both sides
    assert fraction(q1, "*", "l3_online_share") == (1 + 1, 5 + 2)
    # distinct procedures: 1.000002, 2.000002 got online dossiers; 1.000004 did not
    assert fraction(q1, "*", "l3_procedures_with_online") == (2, 3)
    assert fraction(q1, "*", "l4_procedures_with_online") == (2, 2)
    assert value(q1, "*", "procedures_online") == 5
    assert fraction(q1, "*huyen", "online_rate") == (3, 6)
    assert fraction(q1, "*xa", "online_rate") == (2 + 9, 4 + 13)
    assert set(q1["unit_id"]) == {"TP", "007", "EMPTY", "AGG", "*", "*huyen", "*xa"}
    assert get(q1, "*", "online_rate")["is_rollup"]
    assert get(q1, "*", "online_rate")["unit_name"] == "Toàn bộ các đơn vị"


def test_decree09_cut_off() -> None:
    nd09 = table_for("2022Q1", "nd09")  # 15/12/2021 – 14/03/2022
    expected = {"received_online": 3, "received_direct": 3, "received_postal": 1,
                "carried_over": 0, "received_total": 7, "resolved_total": 5,
                "resolved_early": 3, "resolved_on_time": 1, "resolved_late": 1,
                "pending_total": 2, "pending_in_time": 0, "pending_overdue": 2}
    assert {k: value(nd09, "TP", k) for k in expected} == expected
    assert fraction(nd09, "TP", "online_rate") == (3, 5)


def test_open_dossiers_carry_over_forever() -> None:
    table = table_for("2030Q1")  # D6, D7, D11 were never resolved
    assert value(table, "TP", "carried_over") == 3
    assert value(table, "TP", "pending_overdue") == 3
    assert value(table, "TP", "received_online") == 0


def test_empty_period() -> None:
    table = table_for("2019Q1")
    units = table[~table["is_rollup"] & (table["unit_id"] != "AGG")]
    counts = units[units["kpi"].map(lambda k: KPIS[k].kind == "count")
                   & ~units["kpi"].str.startswith("procedures")]
    assert (counts["value"] == 0).all()
    rates = table[table["kpi"].map(lambda k: KPIS[k].kind == "rate")]
    coverage = rates["kpi"].str.contains("procedures_with_online")
    assert rates.loc[~coverage, "value"].isna().all()
    assert (table["status"] == "khong_ap_dung").all()


def test_bieu06_identities(q1: pd.DataFrame) -> None:
    form = bieu06_frame(q1)
    known = form.dropna(subset=[3])
    assert (known[3] == known[4] + known[5] + known[6]).all()
    assert (known[3] == known[7] + known[11]).all()
    assert (known[7] == known[8] + known[9] + known[10]).all()
    assert (known[11] == known[12] + known[13]).all()
    assert list(form.loc["TP", [n for n, *_ in BIEU06_COLUMNS]]) == [10, 5, 4, 1, 6, 3, 1, 2, 4,
                                                                     3, 1]


def test_bieu06_column_5_without_the_postal_split() -> None:
    ds = kpi_fixture.dataset()
    ds.aggregates = ds.aggregates.assign(received_postal=pd.array([pd.NA, pd.NA], "Int64"))
    table = compute_kpis(ds, parse_period("2022Q1"))
    assert math.isnan(value(table, "AGG", "received_direct"))
    assert bieu06_frame(table).loc["AGG", 5] == 5
    assert value(table, "AGG", "received_total") == 17


def test_rollup_counts_add_up_every_member(q1: pd.DataFrame) -> None:
    """TP 1 + 007 0 + EMPTY 0 + AGG 1 dossiers received by post (AGG's Biểu 06 has the split):
    the roll-up's split is the whole of its column (5)."""
    assert value(q1, "*", "received_postal") == 1 + 0 + 0 + 1
    assert value(q1, "*", "received_direct") == 3 + 2 + 0 + 4
    assert value(q1, "*", "returned_by_post") == 1 + 0 + 0 + 2
    assert bieu06_frame(q1).loc["*", 5] == 9 + 2


def test_rollup_count_unknown_when_a_member_with_figures_lacks_it() -> None:
    """AGG reports 2022Q1 without received_postal: the roll-ups it belongs to have no split
    (not the 1 that TP reports), the others keep theirs; column (5) and the rates stand."""
    ds = kpi_fixture.dataset()
    ds.aggregates = ds.aggregates.assign(received_postal=pd.array([pd.NA, pd.NA], "Int64"))
    table = compute_kpis(ds, parse_period("2022Q1"))
    for rollup in ("*", "*xa"):
        assert math.isnan(value(table, rollup, "received_postal"))
        assert math.isnan(value(table, rollup, "received_direct"))
        # nor level-3/4 online counts, which no Biểu 06 carries
        assert math.isnan(value(table, rollup, "online_received_l3"))
    assert value(table, "*huyen", "received_postal") == 1  # TP and EMPTY report it
    assert value(table, "*huyen", "received_direct") == 3
    assert value(table, "*huyen", "online_received_l3") == 1
    assert value(table, "*", "received_total") == 10 + 4 + 0 + 17
    assert bieu06_frame(table).loc["*", 5] == 11
    assert value(table, "*", "returned_by_post") == 3  # AGG has this one
    assert fraction(table, "*", "l3_online_share") == (1 + 1, 5 + 2)  # a rate: left out


def test_rollup_leaves_out_a_member_without_figures_for_the_period() -> None:
    """AGG has no Biểu 06 row for 2021Q4 (no figure at all): the roll-up adds up the others."""
    ds = kpi_fixture.dataset()
    ds.aggregates = ds.aggregates.assign(received_postal=pd.array([pd.NA, pd.NA], "Int64"))
    table = compute_kpis(ds, parse_period("2021Q4"), compare=False)
    assert math.isnan(value(table, "AGG", "received_total"))
    units = ["TP", "007", "EMPTY"]
    for kpi in ("received_postal", "received_direct", "online_received_l3"):
        assert value(table, "*", kpi) == sum(value(table, u, kpi) for u in units), kpi


def test_merged_unit_count_unknown_when_a_former_unit_lacks_it(tmp_path: Path) -> None:
    """C adds up its former wards while they exist (unit_changes); W3 reported 2024Q4 as
    Biểu 06 counts without received_postal: C's postal count is unknown, not W1's + W2's."""
    folder = merger_fixture.write_folder(tmp_path)
    dossiers = pd.read_csv(folder / "dossiers.csv", dtype=str)
    dossiers[dossiers["unit_id"] != "W3"].to_csv(folder / "dossiers.csv", index=False)
    pd.DataFrame({"unit_id": ["W3"], "period": ["2024Q4"], "received_online": [1],
                  "received_direct_or_postal": [1], "carried_over": [0], "resolved_early": [0],
                  "resolved_on_time": [0], "resolved_late": [1], "pending_in_time": [1],
                  "pending_overdue": [0], "apology_sent": [1]}
                 ).to_csv(folder / "aggregates.csv", index=False)
    table = compute_kpis(load_dataset(folder), parse_period("2024Q4"), compare=False)
    assert get(table, "C", "received_postal")["basis"] == "predecessors"
    assert value(table, "C", "received_total") == 3 + 2 + 2
    assert value(table, "C", "received_online") == 2 + 1 + 1
    assert value(table, "C", "apology_sent") == 1
    for unit in ("C", "*"):
        assert math.isnan(value(table, unit, "received_postal"))
        assert math.isnan(value(table, unit, "received_direct"))
    assert value(table, "W1", "received_postal") == 0


def test_a_parent_without_dossiers_offers_no_catalogue() -> None:
    ds = kpi_fixture.dataset()
    ds.units = ds.units.assign(parent_id=["EMPTY", "EMPTY", pd.NA, "EMPTY"])
    table = compute_kpis(ds, parse_period("2022Q1"))
    assert fraction(table, "EMPTY", "l3_procedures_with_online") == (0, 0)
    assert get(table, "EMPTY", "l3_procedures_with_online")["status"] == "khong_ap_dung"
    assert value(table, "EMPTY", "procedures_online") == 0
    assert fraction(table, "*", "l3_procedures_with_online") == (2, 2)  # not 2/3 any more
    assert value(table, "EMPTY", "received_total") == 0


def test_catalogue_narrowed_by_fields() -> None:
    pairs = unit_catalogue(kpi_fixture.UNITS, kpi_fixture.PROCEDURES)
    by_unit = pairs.groupby("unit_id")["procedure_id"].apply(sorted).to_dict()
    assert by_unit["TP"] == ["1.000001", "1.000002"]  # not Đất đai, not Nội vụ
    assert by_unit["EMPTY"] == ["1.000004"]
    assert by_unit["007"] == ["2.000001", "2.000002", "2.000003"]


def test_change_against_same_period_last_year() -> None:
    q1 = table_for("2022Q1")
    row = get(q1, "007", "online_rate")
    assert row["value_prev"] == 0.0  # 2021Q1: W0 resolved, received in person
    assert row["change"] == 0.5
    assert math.isnan(get(q1, "TP", "online_rate")["value_prev"])


def test_ranking(q1: pd.DataFrame) -> None:
    ranks = q1[q1["kpi"] == "online_rate"].set_index("unit_id")["rank"]
    assert ranks["AGG"] == 1  # 9/13
    assert ranks["TP"] == 2 and ranks["007"] == 2  # tie at 0.5
    assert math.isnan(ranks["EMPTY"]) and math.isnan(ranks["*"])
    late = q1[q1["kpi"] == "pending_overdue"].set_index("unit_id")["rank"]
    assert late["007"] == 1 and late["EMPTY"] == 1  # fewer is better
    assert late["TP"] == 3 and late["AGG"] == 3


TARGETS_YAML = """\
2022:
  online_rate: 0.5            # TP sits exactly on it
  on_time_rate: {min: 0.98}
  pending_overdue: {max: 0}
  l3_online_share: {baseline_plus: 0.10}
  units:
    "007": {online_rate: 0.6}
    "*": {pending_overdue: {max: 5}}
"""


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("targets") / "targets.yaml"
    path.write_text(TARGETS_YAML, encoding="utf-8")
    return table_for("2022Q1", targets=load_targets(path))


def test_value_exactly_on_a_minimum_meets_it(judged: pd.DataFrame) -> None:
    row = get(judged, "TP", "online_rate")
    assert (row["value"], row["target"], row["status"]) == (0.5, 0.5, "dat")


def test_unit_override(judged: pd.DataFrame) -> None:
    row = get(judged, "007", "online_rate")
    assert (row["target"], row["status"]) == (0.6, "chua_dat")


def test_maximum_target(judged: pd.DataFrame) -> None:
    assert get(judged, "007", "pending_overdue")["status"] == "dat"  # 0 ≤ 0
    assert get(judged, "TP", "pending_overdue")["status"] == "chua_dat"  # 1 > 0
    assert get(judged, "*", "pending_overdue")["target"] == 5  # roll-up override
    assert get(judged, "*", "pending_overdue")["status"] == "dat"  # 2 ≤ 5


def test_baseline_plus_uses_last_calendar_year(judged: pd.DataFrame) -> None:
    # TP in 2021: one level-3 dossier (D5), received in person → 0 %; target 0 + 10 points
    row = get(judged, "TP", "l3_online_share")
    assert row["target"] == pytest.approx(0.10)
    assert row["status"] == "dat"  # 1/5 = 20 %
    # the ward had no level-3 dossier in 2021: no baseline, no target
    assert math.isnan(get(judged, "007", "l3_online_share")["target"])
    assert get(judged, "007", "l3_online_share")["status"] == "khong_ap_dung"


def test_no_target_means_not_applicable(judged: pd.DataFrame) -> None:
    assert get(judged, "TP", "received_total")["status"] == "khong_ap_dung"
    assert math.isnan(get(judged, "TP", "received_total")["target"])
    # a year without targets judges nothing
    assert (table_for("2023Q1")["status"] == "khong_ap_dung").all()


def test_every_kpi_of_the_contract_is_computed(q1: pd.DataFrame) -> None:
    contract = Path(__file__).resolve().parents[2] / "shared" / "data-contract.md"
    ids = set(KPIS)
    if contract.exists():
        text = contract.read_text(encoding="utf-8")
        section = text[text.index("## KPI ids"):text.index("## Targets")]
        for kpi in ids:
            assert kpi in section, f"{kpi} is not a contract KPI id"
    assert set(q1["kpi"]) == ids
    assert len(q1) == len(ids) * q1["unit_id"].nunique()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    from briefkit.data import load_dataset
    from briefkit.demo import generate

    folder = tmp_path_factory.mktemp("demo")
    generate(folder, world="district", n_dossiers=6_000)
    return load_dataset(folder)


@pytest.mark.parametrize(("spec", "convention"), [
    ("2021Q1", "calendar"), ("2022Q3", "calendar"), ("2023Q4", "calendar"), ("2022H1", "nd09"),
    ("2023H2", "nd09"), ("2022", "calendar"),
])
def test_bieu06_identities_hold_on_the_demo_district(demo: Dataset, spec: str,
                                                     convention: str) -> None:
    table = compute_kpis(demo, parse_period(spec, convention), compare=False)
    form = bieu06_frame(table)
    assert form[3].notna().all()  # the aggregate-only wards report every quarter
    assert (form[3] == form[4] + form[5] + form[6]).all()
    assert (form[3] == form[7] + form[11]).all()
    assert (form[7] == form[8] + form[9] + form[10]).all()
    assert (form[11] == form[12] + form[13]).all()
    units = form[~form["is_rollup"]]
    for number in range(3, 14):  # a roll-up is the sum of its units
        assert form.loc["*", number] == units[number].sum()
    assert form.loc["*", 6] > 0  # dossiers carried over from the period before


def test_quarterly_rows_cannot_tile_seven_months(demo: Dataset) -> None:
    table = compute_kpis(demo, parse_period("2023-01..2023-07"), compare=False)
    form = bieu06_frame(table)
    wards = sorted(set(demo.aggregates["unit_id"]))
    assert form.loc[wards, 3].isna().all()  # unknown, never zero
    assert form.drop(index=wards)[3].notna().all()
    assert form.loc["*", 3] == form[~form["is_rollup"]][3].sum()  # the reported ones
