"""From files on disk to kpis.csv through the command line, as scripts use it."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from briefkit.cli import app
from briefkit.data import load_dataset
from briefkit.kpis import KPIS, compute_kpis
from briefkit.periods import parse_period
from tests import kpi_fixture

runner = CliRunner()
Q1 = parse_period("2022Q1")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return kpi_fixture.write_folder(tmp_path / "data")


def test_loaded_files_give_the_hand_computed_figures(folder: Path) -> None:
    from_files = compute_kpis(load_dataset(folder), Q1)
    direct = compute_kpis(kpi_fixture.dataset(), Q1)
    columns = ["unit_id", "kpi", "numerator", "denominator", "value"]
    pd.testing.assert_frame_equal(from_files[columns], direct[columns])


def test_day_first_trap_counts_in_april(folder: Path) -> None:
    path = folder / "dossiers.csv"
    with path.open("a", encoding="utf-8") as handle:
        handle.write("TRAP,TP,1.000001,truc_tuyen,03/04/2022,05/04/2022,,false,false,false\n")
    ds = load_dataset(folder)
    trap = ds.dossiers.set_index("dossier_id").loc["TRAP", "received_at"]
    assert trap == pd.Timestamp("2022-04-03")
    q1 = compute_kpis(ds, Q1)
    q2 = compute_kpis(ds, parse_period("2022Q2"))
    assert q1[(q1.unit_id == "TP") & (q1.kpi == "received_online")]["value"].item() == 5
    assert q2[(q2.unit_id == "TP") & (q2.kpi == "received_online")]["value"].item() == 1


def test_kpis_command_writes_the_contract_csv(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["kpis", "--data", str(folder), "--period", "2022Q1",
                                 "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    path = out / "2022Q1" / "kpis.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["unit_id", "unit_name", "period", "kpi", "numerator",
                             "denominator", "value", "target", "status", "basis"]
    assert len(rows) == 7 * len(KPIS)
    by_key = {(r["unit_id"], r["kpi"]): r for r in rows}
    assert by_key[("TP", "online_rate")] | {} == {
        "unit_id": "TP", "unit_name": "Phòng Tư pháp", "period": "2022Q1", "kpi": "online_rate",
        "numerator": "3", "denominator": "6", "value": "0.5", "target": "",
        "status": "khong_ap_dung", "basis": "own"}
    assert by_key[("007", "received_total")]["value"] == "4"  # the leading zero survives
    assert by_key[("*", "online_rate")]["numerator"] == "14"
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")  # plain UTF-8 for machines


def test_kpis_command_with_targets_and_nd09(folder: Path, tmp_path: Path) -> None:
    targets = tmp_path / "t.yaml"
    targets.write_text("2022:\n  online_rate: 0.6\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["kpis", "--data", str(folder), "--period", "2022Q1",
                                 "--convention", "nd09", "--targets", str(targets),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "2022Q1" / "kpis.csv", dtype={"unit_id": str})
    row = frame[(frame.unit_id == "TP") & (frame.kpi == "online_rate")].iloc[0]
    assert (row["value"], row["target"], row["status"]) == (0.6, 0.6, "dat")
    assert "Phòng Tư pháp" in result.output  # the table is printed


@pytest.mark.parametrize(("args", "needle"), [
    (["--period", "2022Q5"], "2022Q5"),
    (["--period", "2022Q1", "--convention", "lunar"], "lunar"),
])
def test_bad_arguments_exit_2_and_write_nothing(folder: Path, tmp_path: Path, args, needle):
    out = tmp_path / "out"
    result = runner.invoke(app, ["kpis", "--data", str(folder), "--out", str(out), *args])
    assert result.exit_code == 2
    assert needle in result.output
    assert not out.exists()


def test_bad_data_exits_2_naming_file_row_column(folder: Path, tmp_path: Path) -> None:
    path = folder / "dossiers.csv"
    with path.open("a", encoding="utf-8") as handle:
        handle.write("BAD,NOPE,1.000001,truc_tuyen,31/02/2022,05/04/2022,,false,false,false\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["kpis", "--data", str(folder), "--period", "2022Q1",
                                 "--out", str(out)])
    assert result.exit_code == 2
    assert "dossiers.csv, row 18" in result.output
    assert "'unit_id'" in result.output and "'received_at'" in result.output
    assert not out.exists()

    result = runner.invoke(app, ["validate", "--data", str(folder)])
    assert result.exit_code == 2
    assert "dossiers.csv, row 18" in result.output


def test_validate_clean_folder(folder: Path) -> None:
    result = runner.invoke(app, ["validate", "--data", str(folder)])
    assert result.exit_code == 0, result.output
    assert "không có lỗi" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("briefkit ")


def test_same_inputs_same_kpis_csv(folder: Path, tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = runner.invoke(app, ["kpis", "--data", str(folder), "--period", "2022H1",
                                     "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        outputs.append((out / "2022H1" / "kpis.csv").read_bytes())
    assert outputs[0] == outputs[1]
