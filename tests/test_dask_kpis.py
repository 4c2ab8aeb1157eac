"""``briefkit kpis --data DATASET [--scheduler …]``: a partitioned dataset gives exactly the
in-memory figures of the folder that concatenates its partitions.

Datasets: the KPI fixture split by units into two partitions (one of them written by
``briefkit convert``), the fixture cloned into three provinces (the same procedures with
online dossiers in every partition: the national roll-up counts each once), and three
provinces cut from the demo world (its units under another prefix in each, a third of its
dossiers and documents each; mergers and parent units stay within a province). One local
cluster (two worker processes, one thread each) serves the module; results are gathered in
partition order, so nothing depends on timing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from briefkit.cli import app
from briefkit.dask_pool import connect
from briefkit.data import load_dataset
from briefkit.kpis import _KPI_LIST, KpiTables, compute_kpis
from briefkit.partitioned import PartitionedCounts, compute_partitioned, partitions
from briefkit.periods import parse_period
from briefkit.pipeline import KpiRequest, kpis_csv_text
from briefkit.problems import InputError
from tests import kpi_fixture

distributed = pytest.importorskip("distributed")

_TABLES = ("units", "procedures", "dossiers", "aggregates", "documents", "unit_changes")
#: The id columns that name a unit (prefixed in a cloned province), and the row keys.
_UNIT_COLUMNS = ("unit_id", "parent_id", "from_unit_id", "to_unit_id")
_KEYS = ("dossier_id", "document_id")


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    try:
        with distributed.Client(cluster, set_as_default=False) as client:
            yield client
    finally:
        cluster.close()


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    """The folder's CSV files as text, cell for cell."""
    return {t: pd.read_csv(folder / f"{t}.csv", dtype=str, keep_default_na=False)
            for t in _TABLES if (folder / f"{t}.csv").exists()}


def _write(frames: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _split(frames: dict[str, pd.DataFrame], units: list[str]) -> dict[str, pd.DataFrame]:
    """The tables' rows of ``units`` (procedures whole; unit_changes by their former unit)."""
    part = {}
    for name, frame in frames.items():
        column = {"procedures": None, "unit_changes": "from_unit_id"}.get(name, "unit_id")
        part[name] = frame if column is None else frame[frame[column].isin(units)]
    return part


def _province(frames: dict[str, pd.DataFrame], prefix: str, k: int, n: int
              ) -> dict[str, pd.DataFrame]:
    """A copy of a world as another province: every unit id (and row key) under ``prefix``,
    the ``k``-th of every ``n`` dossiers and documents."""
    out = {}
    for name, frame in frames.items():
        frame = frame.copy()
        if name in ("dossiers", "documents"):
            frame = frame.iloc[k::n]
        for column in (*_UNIT_COLUMNS, *_KEYS):
            if column in frame and name != "procedures":
                frame[column] = frame[column].where(frame[column] == "", prefix + frame[column])
        out[name] = frame
    return out


def _concat(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    return {name: pd.concat([p[name] for p in parts], ignore_index=True)
            if name != "procedures" else parts[0][name] for name in parts[0]}


def _dataset(root: Path, parts: list[dict[str, pd.DataFrame]]) -> tuple[Path, Path]:
    """(the whole folder, the partitioned dataset) of the partitions."""
    whole = _write(_concat(parts), root / "whole")
    for i, part in enumerate(parts):
        _write(part, root / "dataset" / f"province={i + 1:02d}")
    return whole, root / "dataset"


def _assert_same(whole: Path, counts: PartitionedCounts, specs: list[str]) -> None:
    """Every period and convention: the same table as in memory, and the same kpis.csv."""
    ds = load_dataset(whole)
    memory, spread = KpiTables(ds), KpiTables(counts.dataset, counts=counts)
    for spec in specs:
        for convention in ("calendar", "nd09"):
            period = parse_period(spec, convention)
            expected, got = memory.table(period), spread.table(period)
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
            assert kpis_csv_text(got) == kpis_csv_text(expected)
            assert len(got) > 0


def test_fixture_split_by_units_on_a_cluster(client: distributed.Client,
                                             tmp_path: Path) -> None:
    frames = _read(kpi_fixture.write_folder(tmp_path / "fixture"))
    parts = [_split(frames, ["TP", "EMPTY"]), _split(frames, ["007", "AGG"])]
    whole, dataset = _dataset(tmp_path, parts)
    # The first province as `briefkit convert` writes it (the recommended layout).
    converted = dataset / "province=01"
    result = CliRunner().invoke(app, ["convert", "--data", str(converted), "--out",
                                      str(tmp_path / "converted")])
    assert result.exit_code == 0, result.output
    for file in converted.iterdir():
        file.unlink()
    converted.rmdir()
    (tmp_path / "converted").rename(converted)
    assert (converted / "briefkit-dataset.json").exists()
    assert [p.name for p in partitions(dataset)] == ["province=01", "province=02"]

    counts = PartitionedCounts(dataset, client)
    _assert_same(whole, counts, ["2022Q1", "2022"])


def test_a_procedure_online_in_several_provinces_counts_once(client: distributed.Client,
                                                             tmp_path: Path) -> None:
    frames = _read(kpi_fixture.write_folder(tmp_path / "fixture"))
    parts = [_province(frames, f"P{k}-", 0, 1) for k in range(3)]
    whole, dataset = _dataset(tmp_path, parts)
    counts = PartitionedCounts(dataset, client)
    _assert_same(whole, counts, ["2022Q1", "2022"])

    table = KpiTables(counts.dataset, counts=counts).table(parse_period("2022Q1"))
    alone = compute_kpis(kpi_fixture.dataset(), parse_period("2022Q1"))
    distinct = [k.id for k in _KPI_LIST if k.rollup == "distinct_procedures"]
    assert distinct
    for kpi in distinct:  # three provinces offer the same procedures: each counts once
        rows = [t[(t["unit_id"] == "*") & (t["kpi"] == kpi)] for t in (table, alone)]
        pd.testing.assert_frame_equal(
            *(r[["numerator", "denominator", "value"]].reset_index(drop=True) for r in rows))
        assert rows[0]["numerator"].iloc[0] > 0, kpi


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(app, ["demo-data", "--out", str(folder), "--dossiers",
                                      "20000"])
    assert result.exit_code == 0, result.output
    return _read(folder)


def test_demo_provinces_on_a_cluster(client: distributed.Client, tmp_path: Path,
                                     demo: dict[str, pd.DataFrame]) -> None:
    parts = [_province(demo, f"T{k}", k, 3) for k in range(3)]
    whole, dataset = _dataset(tmp_path, parts)
    counts = PartitionedCounts(dataset, client)
    assert len(counts.unit_ids) == 3 * len(demo["units"])
    # a quarter after the 2025 reform (the former units gone), a year across it (their
    # figures added up into the units they became part of)
    _assert_same(whole, counts, ["2025Q3", "2025"])
    year = KpiTables(counts.dataset, counts=counts).raw_table(parse_period("2025"))
    assert (year["basis"] == "predecessors").any()


def test_cli_kpis_on_a_scheduler_writes_the_same_kpis_csv(
        client: distributed.Client, tmp_path: Path) -> None:
    frames = _read(kpi_fixture.write_folder(tmp_path / "fixture"))
    whole, dataset = _dataset(tmp_path, [_split(frames, ["TP", "AGG"]),
                                         _split(frames, ["007", "EMPTY"])])
    address = client.scheduler.address  # type: ignore[union-attr]
    runner = CliRunner()
    base = ["kpis", "--period", "2022Q1", "--quiet"]
    expected = runner.invoke(app, [*base, "--data", str(whole), "--out", str(tmp_path / "a")])
    on_dask = runner.invoke(app, [*base, "--data", str(dataset), "--out", str(tmp_path / "b"),
                                  "--scheduler", address])
    in_process = runner.invoke(app, [*base, "--data", str(dataset), "--out",
                                     str(tmp_path / "c")])
    for result in (expected, on_dask, in_process):
        assert result.exit_code == 0, result.output
    csv = (tmp_path / "a" / "2022Q1" / "kpis.csv").read_bytes()
    assert (tmp_path / "b" / "2022Q1" / "kpis.csv").read_bytes() == csv
    assert (tmp_path / "c" / "2022Q1" / "kpis.csv").read_bytes() == csv


def test_partitions_that_do_not_make_one_dataset(tmp_path: Path) -> None:
    frames = _read(kpi_fixture.write_folder(tmp_path / "fixture"))
    other = _split(frames, ["007", "AGG"])
    extra = other["procedures"].iloc[:1].assign(procedure_id="9.999999")
    other["procedures"] = pd.concat([other["procedures"], extra], ignore_index=True)
    bad = frames | {"dossiers": frames["dossiers"].assign(unit_id="NOWHERE")}
    _, dataset = _dataset(tmp_path, [_split(frames, ["TP", "007"]), other, bad])
    with pytest.raises(InputError) as caught:
        compute_partitioned(KpiRequest(dataset, "2022Q1"))
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith("province=03/dossiers.csv, row 2") for m in messages), messages
    assert "province=02/units: unit '007' is also in partition province=01: a unit belongs " \
        "to one partition" in messages, messages
    assert any(m.startswith("province=02/procedures: differs") for m in messages), messages


def test_unreachable_scheduler_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cannot connect to the Dask scheduler"):
        connect("tcp://127.0.0.1:9", timeout=1)
