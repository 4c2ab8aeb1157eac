"""``briefkit convert``: a validated folder as Parquet, read back without re-validation when its
files are exactly what convert wrote, in full otherwise (issue 10 item 3)."""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import briefkit.data
from briefkit import schema
from briefkit.cli import app
from briefkit.data import Dataset, load_dataset
from briefkit.data.converted import METADATA, validator_fingerprint
from briefkit.iorw import sha256_file
from briefkit.kpis import compute_kpis
from briefkit.periods import parse_period
from briefkit.problems import InputError
from tests import kpi_fixture

TODAY = _dt.date.today()  # what convert (the CLI) measures "in the future" against


def convert(*args: str) -> Any:
    return CliRunner().invoke(app, ["convert", *args],
                              env={"COLUMNS": "300", "LANG": "en_US.UTF-8"})


def assert_same(a: Dataset, b: Dataset) -> None:
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    assert a.warnings == b.warnings


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records the folders fully validated."""
    seen: list[Path] = []
    real = briefkit.data.run_checks

    def spy(folder: Path, today: _dt.date | None) -> Any:
        seen.append(folder)
        return real(folder, today)

    monkeypatch.setattr(briefkit.data, "run_checks", spy)
    return seen


@pytest.fixture(scope="module")
def fixture_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("convert")
    src = kpi_fixture.write_folder(root / "src")
    done = convert("--data", str(src), "--out", str(root / "parquet"))
    assert done.exit_code == 0, done.output
    return src, root / "parquet"


@pytest.fixture(scope="module")
def demo_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from briefkit.demo import generate

    root = tmp_path_factory.mktemp("convert-demo")
    generate(root / "src", n_dossiers=20_000)
    done = convert("--data", str(root / "src"), "--out", str(root / "parquet"))
    assert done.exit_code == 0, done.output
    assert re.search(r" \d{3}(\.\d{3} dòng|,\d{3} rows)", done.output), done.output  # digit groups
    return root / "src", root / "parquet"


def test_layout_and_metadata(fixture_pair: tuple[Path, Path]) -> None:
    src, out = fixture_pair
    assert sorted(p.name for p in out.iterdir()) == [
        "aggregates.parquet", "briefkit-dataset.json", "documents.parquet",
        "dossiers.parquet", "procedures.parquet", "units.parquet"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp left
    meta = json.loads((out / METADATA).read_text(encoding="utf-8"))
    assert meta["contract_version"] == 1
    assert meta["sources"]["dossiers"] == {
        "file": "dossiers.csv", "sha256": sha256_file(src / "dossiers.csv"),
        "size": (src / "dossiers.csv").stat().st_size}
    assert meta["tables"]["dossiers"]["rows"] == len(kpi_fixture.dossiers())
    assert [w["rule"] for w in meta["warnings"]]  # the fixture's EMPTY unit
    types = pq.read_schema(out / "dossiers.parquet")
    assert types.field("unit_id").type == pa.string()
    assert types.field("received_at").type == pa.date32()
    assert types.field("inter_agency").type == pa.bool_()
    assert pq.read_schema(out / "procedures.parquet").field("online_level").type == pa.int8()


def test_round_trip_skips_validation(fixture_pair: tuple[Path, Path],
                                     validations: list[Path]) -> None:
    src, out = fixture_pair
    got = load_dataset(out)
    assert validations == []
    expected = load_dataset(src, today=TODAY)
    assert_same(got, expected)
    assert got.files == {name: out / f"{name}.parquet" for name in expected.files}
    period = parse_period("2022Q1")
    pd.testing.assert_frame_equal(compute_kpis(got, period), compute_kpis(expected, period))


def test_demo_round_trip_and_kpis(demo_pair: tuple[Path, Path],
                                  validations: list[Path]) -> None:
    src, out = demo_pair
    got = load_dataset(out)
    assert validations == []
    expected = load_dataset(src, today=TODAY)
    assert_same(got, expected)
    assert len(got.dossiers) > 15_000 and len(got.unit_changes)
    for spec in ("2025Q3", "2025"):
        period = parse_period(spec)
        pd.testing.assert_frame_equal(compute_kpis(got, period), compute_kpis(expected, period))


def _copy(out: Path, dest: Path) -> Path:
    dest.mkdir()
    for path in out.iterdir():
        (dest / path.name).write_bytes(path.read_bytes())
    return dest


def test_rewritten_file_is_validated_in_full(fixture_pair: tuple[Path, Path], tmp_path: Path,
                                             validations: list[Path]) -> None:
    """Same values, other bytes (another compression): validated in full, same frames."""
    src, out = fixture_pair
    folder = _copy(out, tmp_path / "copy")
    pq.write_table(pq.read_table(folder / "dossiers.parquet"), folder / "dossiers.parquet",
                   compression="snappy")
    got = load_dataset(folder, today=TODAY)
    assert validations == [folder]
    expected = load_dataset(src, today=TODAY)
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), obj=name)


def test_folder_of_other_validating_code_is_validated_in_full(
        fixture_pair: tuple[Path, Path], tmp_path: Path, validations: list[Path]) -> None:
    """Same version string, other rules (the code that validated it changed): not trusted."""
    _, out = fixture_pair
    folder = _copy(out, tmp_path / "copy")
    meta_path = folder / "briefkit-dataset.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["validator"] == validator_fingerprint()
    meta["validator"] = "0" * 64
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    load_dataset(folder, today=TODAY)
    assert validations == [folder]


def test_tampered_file_gives_its_errors(fixture_pair: tuple[Path, Path], tmp_path: Path) -> None:
    """A dossier moved to an unknown unit, even with the metadata's sha256 updated to match:
    the schema check passes, but not the sha256 — and with a changed type neither."""
    _, out = fixture_pair
    folder = _copy(out, tmp_path / "copy")
    data = pq.read_table(folder / "dossiers.parquet").to_pandas()
    data.loc[0, "unit_id"] = "NOWHERE"
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False),
                   folder / "dossiers.parquet")
    with pytest.raises(InputError) as caught:
        load_dataset(folder)
    bad = [p for p in caught.value.problems if p.severity == "error"]
    assert [(p.file, p.row, p.column) for p in bad] == [("dossiers.parquet", 1, "unit_id")]


def test_forged_metadata_still_checks_the_schema(fixture_pair: tuple[Path, Path],
                                                 tmp_path: Path,
                                                 validations: list[Path]) -> None:
    """Dates rewritten as text and the metadata edited to match: the schema differs, so the
    folder is validated in full (and the text dates read as the same dates)."""
    src, out = fixture_pair
    folder = _copy(out, tmp_path / "copy")
    path = folder / "dossiers.parquet"
    table = pq.read_table(path)
    table = table.set_column(4, "received_at", table.column("received_at").cast(pa.string()))
    pq.write_table(table, path)
    meta = json.loads((folder / METADATA).read_text(encoding="utf-8"))
    meta["tables"]["dossiers"].update(sha256=sha256_file(path), size=path.stat().st_size)
    (folder / METADATA).write_text(json.dumps(meta), encoding="utf-8")
    got = load_dataset(folder, today=TODAY)
    assert validations == [folder]
    pd.testing.assert_frame_equal(got.dossiers, load_dataset(src, today=TODAY).dossiers)


def test_extra_source_file_is_validated_in_full(fixture_pair: tuple[Path, Path],
                                                tmp_path: Path) -> None:
    _, out = fixture_pair
    folder = _copy(out, tmp_path / "copy")
    (folder / "units.csv").write_text("unit_id,name,kind,level\nX,X,x,xa\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_dataset(folder)
    assert {p.rule for p in caught.value.problems} >= {"ambiguous_file"}


def test_bad_source_writes_nothing(tmp_path: Path) -> None:
    src = kpi_fixture.write_folder(tmp_path / "src")
    text = (src / "dossiers.csv").read_text(encoding="utf-8")
    (src / "dossiers.csv").write_text(text.replace(",TP,", ",NOWHERE,", 1), encoding="utf-8")
    done = convert("--data", str(src), "--out", str(tmp_path / "out" / "parquet"))
    assert done.exit_code == 2
    assert "NOWHERE" in done.output
    assert not (tmp_path / "out").exists()


def test_existing_output_refused_unless_force(fixture_pair: tuple[Path, Path],
                                              tmp_path: Path) -> None:
    src, _ = fixture_pair
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x", encoding="utf-8")
    done = convert("--data", str(src), "--out", str(out))
    assert done.exit_code == 2 and "--force" in done.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    done = convert("--data", str(src), "--out", str(out), "--force")
    assert done.exit_code == 0, done.output
    assert not (out / "keep.txt").exists() and (out / METADATA).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing left beside it
    empty = tmp_path / "empty"
    empty.mkdir()
    assert convert("--data", str(src), "--out", str(empty)).exit_code == 0


@pytest.mark.parametrize("where", ["inside", "same", "parent"])
def test_output_must_be_outside_the_data(tmp_path: Path, where: str) -> None:
    src = kpi_fixture.write_folder(tmp_path / "data" / "src")
    out = {"inside": src / "parquet", "same": src, "parent": tmp_path / "data"}[where]
    done = convert("--data", str(src), "--out", str(out), "--force")
    assert done.exit_code == 2
    assert sorted(p.name for p in src.iterdir()) == sorted(
        ["units.csv", "procedures.csv", "dossiers.csv", "aggregates.csv", "documents.csv"])


def test_same_bytes_from_two_processes(fixture_pair: tuple[Path, Path], tmp_path: Path) -> None:
    """Deterministic: no time or path in the files (Parquet's created_by is the writer's
    version, the same in both)."""
    src, _ = fixture_pair
    env = {**os.environ, "LANG": "en_US.UTF-8"}
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-m", "briefkit", "convert", "--data", str(src),
                        "--out", str(tmp_path / name)], check=True, capture_output=True,
                       env=env, timeout=120)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    created_by = pq.ParquetFile(tmp_path / "a" / "dossiers.parquet").metadata.created_by
    assert created_by.startswith("parquet-cpp-arrow")
