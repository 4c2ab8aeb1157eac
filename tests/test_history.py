"""The multi-period KPI engine gives exactly the figures of the per-period computation it
replaced (tests/kpi_reference.py): same columns, dtypes, row order and values, for tables,
histories and base counts, on the hand-built district and on a generated demo district."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefkit.data import Dataset
from briefkit.kpis import (
    KpiTables,
    ScoreRule,
    UnitCounts,
    compute_kpis,
    dossier_indicators,
    kpi_history,
    kpi_tables,
    load_index766_weights,
    unit_counts,
)
from briefkit.periods import Period, parse_period
from briefkit.targets import Targets, load_targets
from tests import kpi_fixture, kpi_reference as reference

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = load_index766_weights()
# Not the file's weights: the history must use the ones it is given.
CUSTOM_WEIGHTS = {"index766_progress": ScoreRule(12.0, 0.9),
                  "index766_online": ScoreRule(9.0, 0.3)}

# baseline_plus by default and in a unit override, a roll-up override, min and max rules.
TARGETS_YAML = """\
2021:
  on_time_rate: {min: 0.9}
  online_rate: {baseline_plus: 0.05}
2022:
  online_rate: 0.5
  on_time_rate: {min: 0.98}
  pending_overdue: {max: 0}
  l3_online_share: {baseline_plus: 0.10}
  l3_procedures_with_online: {min: 0.6}
  index766_progress: {baseline_plus: 1}
  units:
    "007": {online_rate: 0.6, l4_online_share: {baseline_plus: 0.2}}
    "AGG": {resolved_late: {max: 1}}
    "*": {pending_overdue: {max: 5}}
2023:
  units:
    "TP": {on_time_rate: {baseline_plus: 0.01}}
"""

FIXTURE_PERIODS = [
    ("2022Q1", "calendar"), ("2022Q1", "nd09"), ("2022Q2", "calendar"), ("2022-03", "calendar"),
    ("2022-01", "nd09"), ("2022H1", "calendar"), ("2022H1", "nd09"), ("2022", "calendar"),
    ("2022", "nd09"), ("2021Q4", "calendar"), ("2023Q1", "calendar"),
    ("2022-01..2022-04", "calendar"), ("2030Q1", "calendar"), ("2019Q1", "nd09"),
]


def assert_same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(new, old, check_exact=True)


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Targets:
    path = tmp_path_factory.mktemp("targets") / "targets.yaml"
    path.write_text(TARGETS_YAML, encoding="utf-8")
    return load_targets(path)


def _variants() -> dict[str, Dataset]:
    """The fixture district, and variants that exercise the corners of the base counts."""
    plain = kpi_fixture.dataset()
    no_aggregates = kpi_fixture.dataset(with_aggregates=False)

    # TP reports Biểu 06 rows for quarters where it has no dossier in play (and one where it
    # has: dossiers win); AGG's optional counts are missing (NA).
    mixed = kpi_fixture.dataset()
    extra = mixed.aggregates.iloc[[0, 0, 1]].copy()
    extra["unit_id"] = ["TP", "TP", "TP"]
    extra["period"] = ["2021Q1", "2022Q1", "2021Q2"]
    mixed.aggregates = pd.concat([mixed.aggregates, extra], ignore_index=True)
    mixed.aggregates["received_postal"] = pd.array([pd.NA, 1, 0, 1, pd.NA], dtype="Int64")

    # Without the optional columns at all.
    bare = kpi_fixture.dataset()
    bare.aggregates = bare.aggregates.drop(columns=["received_postal", "resolved_online",
                                                    "returned_by_post", "apology_sent"])

    # A parent without dossiers (no catalogue), a dossier of a unit not in units.csv and one
    # of a procedure not in procedures.csv (no online level).
    odd = kpi_fixture.dataset()
    odd.units = odd.units.assign(parent_id=["EMPTY", "EMPTY", pd.NA, "EMPTY"])
    stray = odd.dossiers.iloc[[0, 1]].copy()
    stray["dossier_id"] = ["X1", "X2"]
    stray["unit_id"] = ["GHOST", "TP"]
    stray["procedure_id"] = ["1.000001", "9.999999"]
    odd.dossiers = pd.concat([odd.dossiers, stray], ignore_index=True)

    # Times of day: received and resolved dates are compared with the period's midnight
    # bounds, while procedure coverage and documents count whole days (Period.contains).
    timed = kpi_fixture.dataset()
    timed.dossiers = timed.dossiers.assign(
        received_at=timed.dossiers["received_at"] + pd.Timedelta(hours=9),
        resolved_at=timed.dossiers["resolved_at"] + pd.Timedelta(hours=16, minutes=30))
    timed.documents = timed.documents.assign(
        sent_at=timed.documents["sent_at"] + pd.Timedelta(hours=11))

    # No dossiers, no documents: only Biểu 06 rows and catalogues.
    empty = kpi_fixture.dataset()
    empty.dossiers = empty.dossiers.iloc[0:0]
    empty.documents = empty.documents.iloc[0:0]
    return {"plain": plain, "no_aggregates": no_aggregates, "mixed": mixed, "bare": bare,
            "odd": odd, "timed": timed, "empty": empty}


VARIANTS = _variants()
# Every period for the richest variant, a few for the others (the reference is slow).
FEW_PERIODS = [("2022Q1", "calendar"), ("2022H1", "nd09"), ("2022-03", "calendar")]
CASES = [(variant, spec, convention)
         for variant in VARIANTS
         for spec, convention in (FIXTURE_PERIODS if variant == "mixed" else FEW_PERIODS)]


@pytest.mark.parametrize(("variant", "spec", "convention"), CASES)
def test_table_matches_the_reference(variant: str, spec: str, convention: str,
                                     targets: Targets) -> None:
    ds, period = VARIANTS[variant], parse_period(spec, convention)
    assert_same(compute_kpis(ds, period), reference.compute_kpis(ds, period))
    assert_same(compute_kpis(ds, period, targets), reference.compute_kpis(ds, period, targets))


@pytest.mark.parametrize(("variant", "spec", "convention"), CASES)
def test_base_counts_match_the_reference(variant: str, spec: str, convention: str) -> None:
    ds, period = VARIANTS[variant], parse_period(spec, convention)
    assert_same(unit_counts(ds, period), reference.unit_counts(ds, period))


@pytest.mark.parametrize(("variant", "spec", "convention", "n"), [
    ("mixed", "2022Q1", "calendar", 8), ("mixed", "2022Q2", "nd09", 6),
    ("mixed", "2022-04", "nd09", 6), ("mixed", "2022H1", "calendar", 4),
    ("mixed", "2023", "nd09", 3), ("mixed", "2022-02..2022-04", "calendar", 3),
    ("mixed", "2022Q1", "calendar", 1), ("timed", "2022Q1", "calendar", 8),
    ("timed", "2022-03", "nd09", 3),
])
def test_history_and_tables_match_the_reference(variant: str, spec: str, convention: str,
                                                n: int, targets: Targets) -> None:
    ds, period = VARIANTS[variant], parse_period(spec, convention)
    for judged in (None, targets):
        old_table = reference.compute_kpis(ds, period, judged)
        old_history = reference.kpi_history(ds, period, n, judged)
        assert_same(kpi_history(ds, period, n, judged), old_history)
        table, history = kpi_tables(ds, period, n, judged)
        assert_same(table, old_table)
        assert_same(history, old_history)


def _random_periods(seed: int, count: int) -> list[Period]:
    """Periods of every kind and both conventions around the fixture's dates (fixed seed)."""
    rng = random.Random(seed)
    periods = []
    for _ in range(count):
        year = rng.choice([2020, 2021, 2022, 2023])
        kind = rng.choice(["month", "quarter", "half", "year", "range"])
        if kind == "month":
            spec = f"{year}-{rng.randint(1, 12):02d}"
        elif kind == "quarter":
            spec = f"{year}Q{rng.randint(1, 4)}"
        elif kind == "half":
            spec = f"{year}H{rng.randint(1, 2)}"
        elif kind == "year":
            spec = str(year)
        else:
            first = rng.randint(1, 12)
            last = first + rng.randint(0, 14)
            spec = f"{year}-{first:02d}..{year + (last - 1) // 12}-{(last - 1) % 12 + 1:02d}"
        periods.append(parse_period(spec, rng.choice(["calendar", "nd09"])))
    return periods


@pytest.mark.parametrize("period", _random_periods(seed=766, count=10), ids=str)
def test_random_periods_match_the_reference(period: Period, targets: Targets) -> None:
    ds = VARIANTS["mixed"]
    table, history = kpi_tables(ds, period, 2, targets)
    assert_same(table, reference.compute_kpis(ds, period, targets))
    assert_same(history, reference.kpi_history(ds, period, 2, targets))


@pytest.mark.parametrize(("spec", "convention"), FIXTURE_PERIODS)
def test_dossier_flags_match_the_reference(spec: str, convention: str) -> None:
    ds, period = VARIANTS["timed"], parse_period(spec, convention)
    old = reference._dossier_indicators(ds.dossiers, reference._online_levels(ds, ds.dossiers),
                                        period)
    assert_same(dossier_indicators(ds, ds.dossiers, period), old)


def test_weights_reach_the_history() -> None:
    ds, period = VARIANTS["plain"], parse_period("2022Q1")
    table, history = kpi_tables(ds, period, 4, weights=CUSTOM_WEIGHTS)
    assert_same(history, reference.kpi_history(ds, period, 4, weights=CUSTOM_WEIGHTS))
    assert_same(table, reference.compute_kpis(ds, period, weights=CUSTOM_WEIGHTS))
    default = kpi_history(ds, period, 4)
    points = history["kpi"] == "index766_progress"
    assert not history.loc[points, "value"].equals(default.loc[points, "value"])
    assert_same(kpi_history(ds, period, 4, weights=CUSTOM_WEIGHTS), history)


def test_each_period_is_computed_once(targets: Targets, monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    computed: list[Period] = []
    original = UnitCounts._counts

    def counting(self: UnitCounts, period: Period, *args):  # type: ignore[no-untyped-def]
        computed.append(period)
        return original(self, period, *args)

    monkeypatch.setattr(UnitCounts, "_counts", counting)
    period = parse_period("2022Q1")
    kpi_tables(VARIANTS["plain"], period, 8, targets)
    # 8 quarters (the last year's Q1 among them) and the 2021 baseline of 2022's
    # baseline_plus rules; 2021's own baseline_plus reads 2020.
    expected = {*period.trailing(8), parse_period("2021"), parse_period("2020")}
    assert sorted(computed, key=str) == sorted(expected, key=str)


def test_raw_tables_handed_out_are_copies() -> None:
    tables = KpiTables(VARIANTS["plain"])
    period = parse_period("2022Q1")
    first = tables.raw_table(period)
    first["value"] = np.nan
    assert tables.raw_table(period)["value"].notna().any()


# ------------------------------------------------------------------------ generated demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    from briefkit.data import load_dataset
    from briefkit.demo import generate

    folder = tmp_path_factory.mktemp("demo")
    generate(folder, world="district", n_dossiers=2_000)
    return load_dataset(folder)


@pytest.fixture(scope="module")
def demo_targets() -> Targets:
    return load_targets(ROOT / "params" / "targets.yaml")


@pytest.mark.parametrize(("spec", "convention", "n"), [
    ("2023Q4", "calendar", 8), ("2023H1", "nd09", 3), ("2023-07", "nd09", 3),
    ("2023-01..2023-07", "calendar", 2),
])
def test_demo_district_matches_the_reference(demo: Dataset, demo_targets: Targets, spec: str,
                                             convention: str, n: int) -> None:
    period = parse_period(spec, convention)
    table, history = kpi_tables(demo, period, n, demo_targets)
    assert_same(table, reference.compute_kpis(demo, period, demo_targets))
    assert_same(history, reference.kpi_history(demo, period, n, demo_targets))
    assert_same(unit_counts(demo, period), reference.unit_counts(demo, period))


def test_demo_history_with_custom_weights(demo: Dataset, demo_targets: Targets) -> None:
    period = parse_period("2023Q3")
    table, history = kpi_tables(demo, period, 4, demo_targets, weights=CUSTOM_WEIGHTS)
    assert_same(table, reference.compute_kpis(demo, period, demo_targets,
                                              weights=CUSTOM_WEIGHTS))
    assert_same(history, reference.kpi_history(demo, period, 4, demo_targets,
                                               weights=CUSTOM_WEIGHTS))
