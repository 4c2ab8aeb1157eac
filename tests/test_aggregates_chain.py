"""Biểu 06 rows of one unit that do not chain: a row's carried_over is not what the unit's row
for the period before left pending. Each row balances on its own, but a period made of both
(a half-year of two quarters) would break (3) = (7) + (11): the loader warns
(``unchained_aggregates``) and the combined period's figures are unknown, never inconsistent.
A single period is unaffected."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefkit.data import load_dataset, validate
from briefkit.kpis import KPIS, AggregateRows, bieu06_frame, compute_kpis, unit_counts
from briefkit.periods import parse_period
from tests import kpi_fixture
from tests.test_properties import UNCHAINED

TODAY = dt.date(2023, 1, 1)
FORM = list(range(3, 14))  # Biểu 06 columns (3) … (13)

# The defect as found (tests/test_properties.py): Q1 leaves 3 + 1 = 4 pending, Q2 carries
# over 0; 17 = 13 + 4 and 10 = 10 + 0 hold, but 2022H1 would read (3) 27 ≠ (7)+(11) 23.
FOLDER = UNCHAINED  # the data set of the property test that found it


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("unchained")
    for name, text in FOLDER.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def test_the_loader_warns_naming_both_rows(folder: Path) -> None:
    found = [p for p in validate(folder, today=TODAY) if p.rule == "unchained_aggregates"]
    assert [(p.severity, p.file, p.row, p.column) for p in found] == [
        ("warning", "aggregates.csv", 3, "carried_over")]
    assert found[0].message == (
        "unit 'AGG': carried_over 0 in period '2022Q2' is not what period '2022Q1' left "
        "pending (row 2: pending_in_time 3 + pending_overdue 1 = 4): the rows do not follow "
        "on from each other, so a period spanning both (a half-year of two quarters…) is left "
        "unknown")
    ds = load_dataset(folder, today=TODAY)  # a warning, not an error
    assert "unchained_aggregates" in {w.rule for w in ds.warnings}


@pytest.mark.parametrize("convention", ["calendar", "nd09"])
def test_the_combined_period_is_unknown(folder: Path, convention: str) -> None:
    ds = load_dataset(folder, today=TODAY)
    table = compute_kpis(ds, parse_period("2022H1", convention), compare=False)
    form = bieu06_frame(table)
    assert form.loc["AGG", FORM].isna().all(), form.loc["AGG"]
    # every figure its rows give (not its catalogue, nor its documents)
    dossier_figures = [k for k, d in KPIS.items()
                       if d.group in ("bieu06", "postal", "timeliness", "index766")
                       or k == "online_rate"]
    agg = table[(table["unit_id"] == "AGG") & table["kpi"].isin(dossier_figures)]
    assert len(agg) == len(dossier_figures) and agg["value"].isna().all(), agg
    # the unknown ward is left out of the roll-ups (as a ward that did not report)
    assert form.loc["*", 3] == form.loc["TP", 3] == 1
    assert form.loc["*", 3] == form.loc["*", 7] + form.loc["*", 11]


@pytest.mark.parametrize(("spec", "row"), [
    ("2022Q1", [17, 10, 5, 2, 13, 8, 4, 1, 4, 3, 1]),
    ("2022Q2", [10, 6, 4, 0, 10, 7, 3, 0, 0, 0, 0]),
])
def test_a_single_period_is_unaffected(folder: Path, spec: str, row: list[int]) -> None:
    ds = load_dataset(folder, today=TODAY)
    form = bieu06_frame(compute_kpis(ds, parse_period(spec), compare=False))
    assert form.loc["AGG", FORM].tolist() == row


def test_chained_rows_still_compose() -> None:
    """The fixture's rows chain (Q2 carries over the 3 + 1 that Q1 left pending)."""
    figures = AggregateRows(kpi_fixture.AGGREGATES).figures(parse_period("2022H1"), ["AGG"])
    assert figures["AGG"]["carried_over"] == 2 and figures["AGG"]["pending_in_time"] == 2
    assert figures["AGG"]["received_online"] == 16


def test_unchained_rows_give_every_figure_unknown() -> None:
    aggregates = kpi_fixture.AGGREGATES.copy()
    aggregates.loc[1, ["carried_over", "pending_in_time"]] = [3, 1]  # 13 = 12 + 1, not 4
    rows = AggregateRows(aggregates)
    chained = AggregateRows(kpi_fixture.AGGREGATES).figures(parse_period("2022H1"), ["AGG"])
    unchained = rows.figures(parse_period("2022H1"), ["AGG"])
    assert unchained["AGG"].keys() == chained["AGG"].keys()
    assert all(math.isnan(v) for v in unchained["AGG"].values())
    assert rows.figures(parse_period("2022Q2"), ["AGG"])["AGG"]["carried_over"] == 3


def test_a_broken_link_anywhere_in_the_period() -> None:
    """Three months, the second → third link broken: the quarter is unknown, the first two
    months together are known."""
    base = {"unit_id": "AGG", "received_online": 1, "received_direct_or_postal": 0,
            "resolved_early": 1, "resolved_on_time": 0, "resolved_late": 0,
            "pending_overdue": 0}
    aggregates = pd.DataFrame([
        base | {"period": "2022-01", "carried_over": 0, "pending_in_time": 0},
        base | {"period": "2022-02", "carried_over": 0, "pending_in_time": 0},
        base | {"period": "2022-03", "carried_over": 2, "pending_in_time": 2},  # 3 = 1 + 2
    ])
    rows = AggregateRows(aggregates)
    assert all(math.isnan(v) for v in rows.figures(parse_period("2022Q1"), ["AGG"])["AGG"]
               .values())
    two = rows.figures(parse_period("2022-01..2022-02"), ["AGG"])["AGG"]
    assert (two["received_online"], two["resolved_total"], two["pending_total"]) == (2, 2, 0)


def test_unknown_not_zero_for_a_unit_that_also_has_dossiers() -> None:
    """TP has dossiers (none in play in 2021H1) and unchained Biểu 06 rows for 2021Q1–Q2:
    its 2021H1 figures are unknown, not the zeros of its dossier data."""
    ds = kpi_fixture.dataset()
    extra = ds.aggregates.copy()
    extra["unit_id"] = ["TP", "TP"]
    extra["period"] = ["2021Q1", "2021Q2"]
    extra.loc[1, ["carried_over", "pending_in_time"]] = [3, 1]  # Q1 left 4 pending
    ds.aggregates = pd.concat([ds.aggregates, extra], ignore_index=True)
    counts = unit_counts(ds, parse_period("2021H1"))
    assert np.isnan(counts.loc["TP", ["received_total", "resolved_total", "pending_total",
                                      "received_online", "carried_over"]].to_numpy(float)).all()
    assert counts.loc["TP", "received_total"] != 0
    q1 = unit_counts(ds, parse_period("2021Q1"))
    assert q1.loc["TP", "received_total"] == 17
