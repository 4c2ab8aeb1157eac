"""The demo province (``briefkit demo-data``'s default world): tỉnh Lâm Giang across the 2025
reform — sở/ngành throughout; former districts' departments and former communes until
30/6/2025; new communes, wards and a special zone from 1/7/2025 (unit_changes.csv)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from briefkit import demo
from briefkit.cli import app
from briefkit.labels import KIND_LABELS

SMALL = 20_000
REFORM = pd.Timestamp("2025-07-01")
NEW_KINDS = {"xa", "phuong", "dac_khu"}
MOUNTAIN_DISTRICTS = {"MK", "NS"}  # huyện Mường Khao, huyện Na Sầm (units.csv)


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return demo.generate(tmp_path_factory.mktemp("province"), n_dossiers=SMALL)


@pytest.fixture(scope="module")
def tables(written: dict[str, Path]) -> dict[str, pd.DataFrame]:
    return {name: read(path) for name, path in written.items()}


@pytest.fixture(scope="module")
def dossiers(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    frame = tables["dossiers"].merge(tables["units"][["unit_id", "kind", "parent_id"]],
                                     on="unit_id", how="left")
    for column in ("received_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column].replace("", None), format="%Y-%m-%d %H:%M")
    frame["due_at"] = pd.to_datetime(frame["due_at"], format="%Y-%m-%d")
    return frame


def test_six_tables_and_the_same_bytes_in_another_process(
    written: dict[str, Path], tmp_path: Path
) -> None:
    assert list(written) == ["units", "procedures", "dossiers", "aggregates", "documents",
                             "unit_changes"]
    script = ("import sys; from briefkit import demo; "
              f"demo.generate(sys.argv[1], n_dossiers={SMALL})")
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)
    for name, path in written.items():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), name


def test_the_province_and_its_sectors(tables: dict[str, pd.DataFrame]) -> None:
    units = tables["units"]
    assert units["unit_id"].is_unique
    province = units[units["kind"] == "ubnd"]
    assert province[["unit_id", "name", "level", "parent_id"]].values.tolist() == [
        ["UBND", "UBND tỉnh Lâm Giang", "tinh", ""]]
    sectors = units[units["kind"] == "so_nganh"]
    assert len(sectors) == 15 and set(sectors["level"]) == {"tinh"}
    assert set(sectors["parent_id"]) == {"UBND"} and (sectors["fields"] != "").all()
    assert "Sở Tư pháp" in set(sectors["name"])
    # each field of the province's procedures is handled by exactly one sở
    handled = [f for fields in sectors["fields"] for f in fields.split(";")]
    assert len(handled) == len(set(handled))
    procedures = tables["procedures"]
    assert set(procedures.loc[procedures["level"] == "tinh", "field"]) == set(handled)
    assert set(procedures["online_level"]) >= {"2", "3", "4", "khong", "mot_phan", "toan_trinh"}


def test_communes_after_the_reform(tables: dict[str, pd.DataFrame]) -> None:
    units = tables["units"]
    new = units[units["kind"].isin(NEW_KINDS)]
    assert 95 <= len(new) <= 105
    assert new["kind"].value_counts()["dac_khu"] == 1
    assert new["kind"].value_counts()["phuong"] >= 10
    assert set(new["level"]) == {"xa"} and set(new["parent_id"]) == {"UBND"}
    assert new["unit_id"].str.fullmatch(r"\d{5}").all()
    assert new["name"].str.match(r"UBND (Xã|Phường|Đặc khu) \w").all()
    for kind in NEW_KINDS | {"so_nganh", "phuong_xa", "phong_ban"}:
        assert kind in KIND_LABELS  # a group heading, never the raw code


def test_every_former_unit_maps_to_exactly_one_new_one(tables: dict[str, pd.DataFrame]) -> None:
    units, changes = tables["units"].set_index("unit_id"), tables["unit_changes"]
    assert changes["from_unit_id"].is_unique
    assert set(changes["effective_date"]) == {"2025-07-01"}
    kind_from = units.loc[changes["from_unit_id"], "kind"].to_numpy()
    kind_to = units.loc[changes["to_unit_id"], "kind"].to_numpy()
    communes = kind_from == "phuong_xa"
    assert 250 <= communes.sum() <= 300
    assert set(kind_to[communes]) == NEW_KINDS
    # every former ward/commune/town is in unit_changes, every new commune merges 2 to 4
    assert set(changes["from_unit_id"][communes]) == set(units.index[units["kind"] == "phuong_xa"])
    merged = changes[communes].groupby("to_unit_id").size()
    assert set(merged.index) == set(units.index[units["kind"].isin(NEW_KINDS)])
    assert merged.between(2, 4).all()
    # the former districts' departments end: their work went to the sở
    assert set(kind_to[kind_from == "phong_ban"]) == {"so_nganh"}
    assert (kind_from == "phong_ban").sum() == (units["kind"] == "phong_ban").sum()


def test_dossiers_follow_the_reform(dossiers: pd.DataFrame) -> None:
    former = dossiers["kind"].isin(["phuong_xa", "phong_ban"])
    new = dossiers["kind"].isin(NEW_KINDS)
    assert former.any() and new.any()
    assert (dossiers.loc[former, "received_at"] < REFORM).all()
    # a former unit hands nothing over: no result after its last day, nothing left open
    assert (dossiers.loc[former, "resolved_at"] < REFORM).all()
    assert (dossiers.loc[new, "received_at"] >= REFORM).all()
    assert dossiers.loc[dossiers["kind"] == "so_nganh", "received_at"].min() < REFORM
    assert dossiers["received_at"].max() < pd.Timestamp("2026-10-01")
    received = dossiers["received_at"].dt.to_period("Q").astype(str)
    assert set(received[~received.str.startswith("2023")]) == {
        f"{y}Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)} - {"2026Q4"}


def test_urban_wards_are_busier_than_mountain_communes(
    tables: dict[str, pd.DataFrame], dossiers: pd.DataFrame
) -> None:
    units, changes = tables["units"].set_index("unit_id"), tables["unit_changes"]
    district_of = changes.assign(district=units.loc[changes["from_unit_id"], "parent_id"].values
                                 ).groupby("to_unit_id")["district"].first()
    per_unit = dossiers[dossiers["kind"].isin(NEW_KINDS)].groupby("unit_id").size()
    wards = per_unit[units.loc[per_unit.index, "kind"] == "phuong"]
    mountain = per_unit[district_of.loc[per_unit.index].isin(MOUNTAIN_DISTRICTS)]
    assert len(mountain) >= 20
    assert wards.median() > 4 * mountain.median()
    assert wards.min() > mountain.max()


def test_no_due_date_on_a_holiday_or_a_weekend(dossiers: pd.DataFrame) -> None:
    days_off = pd.DatetimeIndex(list(holidays.country_holidays("VN", years=range(2023, 2028))))
    for column in ("received_at", "due_at"):
        days = dossiers[column].dt.normalize()
        assert (days.dt.day_of_week < 5).all(), column
        assert not days.isin(days_off).any(), column
    assert pd.Timestamp("2025-09-01") in days_off  # the package knows the decreed days off


def test_aggregates_stop_with_their_unit(tables: dict[str, pd.DataFrame]) -> None:
    aggregates = tables["aggregates"]
    assert not aggregates.empty
    assert aggregates["period"].max() == "2025Q2"
    ended = set(tables["unit_changes"]["from_unit_id"])
    assert set(aggregates["unit_id"]) <= ended


def test_documents_only_while_a_unit_exists(tables: dict[str, pd.DataFrame]) -> None:
    documents = tables["documents"].merge(tables["units"][["unit_id", "kind"]], on="unit_id")
    sent = pd.to_datetime(documents["sent_at"])
    assert (sent[documents["kind"].isin(["phuong_xa", "phong_ban", "quan_huyen"])]
            < REFORM).all()
    assert (sent[documents["kind"].isin(NEW_KINDS)] >= REFORM).all()


def test_the_loader_accepts_the_province(written: dict[str, Path]) -> None:
    from briefkit.data import load_dataset

    dataset = load_dataset(written["units"].parent)
    assert len(dataset.unit_changes) == len(read(written["unit_changes"]))


def test_command_line_worlds(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["demo-data", "--out", str(tmp_path / "d"), "--world",
                                 "district", "--dossiers", "300"])
    assert result.exit_code == 0, result.output
    expected = demo.generate(tmp_path / "e", world="district", n_dossiers=300)
    for name, path in expected.items():
        assert (tmp_path / "d" / path.name).read_bytes() == path.read_bytes(), name
    assert not (tmp_path / "d" / "unit_changes.csv").exists()
    refused = runner.invoke(app, ["demo-data", "--out", str(tmp_path / "p"), "--wards", "20"])
    assert refused.exit_code != 0 and not (tmp_path / "p").exists()
    unknown = runner.invoke(app, ["demo-data", "--out", str(tmp_path / "u"), "--world", "x"])
    assert unknown.exit_code != 0 and not (tmp_path / "u").exists()


def test_a_district_written_over_a_province_leaves_no_unit_changes(tmp_path: Path) -> None:
    demo.generate(tmp_path, n_dossiers=2_000, end="2025-12-31")
    assert (tmp_path / "unit_changes.csv").exists()
    demo.generate(tmp_path, world="district", n_dossiers=300)
    assert not (tmp_path / "unit_changes.csv").exists()
    with pytest.raises(ValueError, match="only the district"):
        demo.generate(tmp_path, n_dossiers=300, wards=20)


def test_the_world_is_package_data() -> None:
    world = demo.load_world("province")
    assert world.name == "tỉnh Lâm Giang" and world.days_off == {"package": "VN"}
    assert np.isin(["so_nganh", "phuong_xa"], [u.kind for u in world.units]).all()
    assert Path(demo.__file__).parent.joinpath("..", "resources", "demo", "province",
                                               "units.csv").resolve().is_file()
