"""All periods in one pass (issue 10, item 2): :meth:`UnitCounts.of_many` first groups the
dossiers that every count of the periods treats alike, then counts groups; its figures are
exactly those of flagging every dossier for each period (:meth:`UnitCounts.of`). Compared on
the fixture variants, both demo worlds, generated dossier sets (Hypothesis, with times of
day), a loaded CSV with the day-first trap, and both cut-off conventions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from briefkit.data import Dataset, load_dataset
from briefkit.kpis import BASE_INDEX, UnitCounts, compute_kpis, kpi_history
from briefkit.kpis.dossiers import thresholds
from briefkit.periods import Period, parse_period
from tests import kpi_fixture
from tests.test_history import FIXTURE_PERIODS, VARIANTS
from tests.test_properties import KPI_PERIODS, KpiCase, kpi_cases, properties


def assert_same_counts(ds: Dataset, periods: list[Period]) -> None:
    """The grouped pass over ``periods`` gives each period's per-dossier counts exactly."""
    counts = UnitCounts(ds)
    groups = counts.dossiers.grouped(counts.dossier_unit, counts.dossier_procedure, periods)
    assert groups is not None
    assert groups.weight.sum() == len(counts.dossier_unit)  # every dossier in one group
    grouped = counts.of_many(periods)
    for period, together in zip(periods, grouped, strict=True):
        alone = counts.of(period)
        np.testing.assert_array_equal(together.counts, alone.counts, err_msg=str(period))
        np.testing.assert_array_equal(together.online, alone.online, err_msg=str(period))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_fixture_variants_every_period_both_conventions(variant: str) -> None:
    periods = [parse_period(spec, convention) for spec, convention in FIXTURE_PERIODS]
    assert_same_counts(VARIANTS[variant], periods)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Dataset]:
    """Both demo worlds, generated smaller (the tests run on a fresh clone, with no data/)."""
    from briefkit.demo import generate

    loaded = {}
    for world, n in (("province", 20_000), ("district", 6_000)):
        folder = tmp_path_factory.mktemp(world)
        generate(folder, world=world, n_dossiers=n)
        loaded[world] = load_dataset(folder)
    return loaded


@pytest.mark.parametrize(("world", "year"), [("province", 2026), ("district", 2023)])
@pytest.mark.parametrize("convention", ["calendar", "nd09"])
def test_demo_worlds_quarters_months_and_years(worlds: dict[str, Dataset], world: str,
                                               year: int, convention: str) -> None:
    specs = [f"{y}Q{q}" for y in (year - 2, year - 1, year) for q in (1, 2, 3, 4)]
    specs += [f"{year - 1}-{m:02d}" for m in range(1, 13)] + [str(year - 1), f"{year}H1"]
    assert_same_counts(worlds[world], [parse_period(spec, convention) for spec in specs])


def test_history_is_the_per_period_tables_on_the_demo(worlds: dict[str, Dataset]) -> None:
    """The history (grouped) stacks the tables computed one period at a time (two periods
    each: the period and the same one last year, flagged dossier by dossier)."""
    ds = worlds["district"]
    period = parse_period("2023Q4")
    history = kpi_history(ds, period, 8)
    for order, each in enumerate(period.trailing(8)):
        alone = compute_kpis(ds, each, compare=False)
        part = history[history["period_order"] == order].drop(
            columns=["period_label", "period_order"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone, check_exact=True)


def test_day_first_dates_are_counted_in_their_month(tmp_path: Path) -> None:
    """03/04/2022 is 3 April: a dossier written so lands in April's counts, not March's,
    in the grouped pass as dossier by dossier."""
    folder = kpi_fixture.write_folder(tmp_path / "data", day_first=True)
    dossiers = pd.read_csv(folder / "dossiers.csv", dtype=str, keep_default_na=False)
    extra = dossiers.iloc[[0]].copy()
    extra["dossier_id"] = "TRAP"
    extra["received_at"], extra["due_at"], extra["resolved_at"] = \
        "03/04/2022", "20/04/2022", ""
    pd.concat([dossiers, extra]).to_csv(folder / "dossiers.csv", index=False)
    ds = load_dataset(folder)
    trap = ds.dossiers.set_index("dossier_id").loc["TRAP"]
    assert trap["received_at"] == pd.Timestamp(2022, 4, 3)
    months = [parse_period(f"2022-{m:02d}") for m in (3, 4, 5)]
    assert_same_counts(ds, months)
    counts = UnitCounts(ds)
    unit = counts.unit_ids.get_loc(trap["unit_id"])
    with_trap = {str(p): c for p, c in zip(months, counts.of_many(months), strict=True)}
    without = UnitCounts(Dataset(**{**ds.__dict__, "dossiers": ds.dossiers[
        ds.dossiers["dossier_id"] != "TRAP"].reset_index(drop=True)}))
    for period, together in zip(months, without.of_many(months), strict=True):
        added = with_trap[str(period)].counts[unit] - together.counts[unit]
        channel = {"truc_tuyen": "received_online", "truc_tiep": "received_direct",
                   "buu_chinh": "received_postal"}[trap["channel"]]
        assert added[BASE_INDEX[channel]] == (1 if period.start.month == 4 else 0), period


def test_thresholds_separate_every_comparison() -> None:
    """A period contributes its first day, its last day, one nanosecond after that and the
    day after it; shared instants appear once, sorted."""
    q1, q2 = parse_period("2022Q1"), parse_period("2022Q2")
    points = thresholds([q2, q1, q1])
    day = 86_400 * 10**9
    start1, end1 = pd.Timestamp(2022, 1, 1).value, pd.Timestamp(2022, 3, 31).value
    start2, end2 = pd.Timestamp(2022, 4, 1).value, pd.Timestamp(2022, 6, 30).value
    assert points.tolist() == sorted({start1, end1, end1 + 1, end1 + day,
                                      start2, end2, end2 + 1, end2 + day})


def test_too_many_units_and_periods_fall_back_to_every_dossier() -> None:
    """When the group key would not fit in 63 bits there are no groups, and of_many still
    gives the per-dossier figures."""
    ds = VARIANTS["plain"]
    counts = UnitCounts(ds)
    periods = [parse_period(spec) for spec, _ in FIXTURE_PERIODS]
    huge = np.full_like(counts.dossier_unit, 2**50)
    assert counts.dossiers.grouped(huge, counts.dossier_procedure, periods) is None


@st.composite
def timed_cases(draw: st.DrawFn) -> tuple[KpiCase, list[Period]]:
    """A generated dossier set and periods, its dates often moved to an instant at or next
    to the periods' first and last days (midnight, a nanosecond either side, the last
    nanosecond of the day): where a wrong grouping would count a dossier in another period."""
    case = draw(kpi_cases())
    specs = draw(st.lists(st.sampled_from(KPI_PERIODS), min_size=1, max_size=6, unique=True))
    convention = draw(st.sampled_from(["calendar", "nd09"]))
    periods = [parse_period(s, convention) for s in specs]
    day = pd.Timedelta(days=1)
    near = [edge + shift for p in [case.period, *periods] for edge in (p.start, p.end)
            for shift in (pd.Timedelta(0), pd.Timedelta(1), -pd.Timedelta(1), day - pd.Timedelta(1),
                          day)]
    dossiers = case.ds.dossiers.copy()
    for column in ("received_at", "resolved_at", "due_at"):
        values = dossiers[column].tolist()
        for i in range(len(values)):
            if draw(st.integers(0, 2)) == 0:
                values[i] = draw(st.sampled_from(near))
        dossiers[column] = pd.Series(values, dtype="datetime64[ns]")
    # twins a nanosecond apart: alike but for one comparison, they must not share a group
    chosen = np.array([draw(st.booleans()) for _ in range(len(dossiers))], dtype=bool)
    twins = dossiers[chosen].copy()
    for column in ("received_at", "resolved_at", "due_at"):
        twins[column] += pd.to_timedelta(draw(st.lists(st.sampled_from([-1, 0, 1]),
                                                        min_size=len(twins),
                                                        max_size=len(twins))), unit="ns")
    twins["dossier_id"] = twins["dossier_id"] + "b"
    dossiers = pd.concat([dossiers, twins], ignore_index=True)
    ds = Dataset(**{**case.ds.__dict__, "dossiers": dossiers})
    return KpiCase(ds, case.period), periods


@properties(40)
@given(case=timed_cases())
def test_grouped_counts_equal_per_dossier_counts(case: tuple[KpiCase, list[Period]]) -> None:
    kpi_case, periods = case
    assert_same_counts(kpi_case.ds, [kpi_case.period, *periods])

