"""Provenance and the run manifest: hashes a reader can recompute, JSON that round-trips, and a
verification that notices missing, changed and moved files. No notebook runs here."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from briefkit import __version__
from briefkit.manifest import (
    MANIFEST_VERSION,
    build_manifest,
    data_fingerprint,
    dump_manifest,
    jsonable,
    provenance,
    verify_manifest,
    write_manifest,
)
from briefkit.periods import parse_period

Q1 = parse_period("2022Q1", "nd09")
START = dt.datetime(2022, 5, 20, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
END = START + dt.timedelta(seconds=42)


@pytest.fixture
def data(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    files = {}
    for table, text in {"units": "unit_id\nTP\n007\n", "procedures": "procedure_id\n1.0\n",
                        "dossiers": "dossier_id,unit_id\nD1,TP\n"}.items():
        files[table] = folder / f"{table}.csv"
        files[table].write_text(text, encoding="utf-8")
    return files


def test_fingerprint_is_the_documented_hash_of_hashes(data: dict[str, Path]) -> None:
    lines = "".join(f"{t}  {hashlib.sha256(data[t].read_bytes()).hexdigest()}\n"
                    for t in sorted(data))
    expected = hashlib.sha256(lines.encode()).hexdigest()
    assert data_fingerprint(data) == expected
    assert data_fingerprint(dict(reversed(data.items()))) == expected  # order of the mapping


def test_fingerprint_ignores_location_and_sees_every_byte(data: dict[str, Path],
                                                          tmp_path: Path) -> None:
    before = data_fingerprint(data)
    moved = {t: Path(shutil.copy(p, tmp_path / f"copy-{p.name}")) for t, p in data.items()}
    assert data_fingerprint(moved) == before
    swapped = {"units": data["procedures"], "procedures": data["units"],
               "dossiers": data["dossiers"]}
    assert data_fingerprint(swapped) != before  # a file playing another role
    with data["dossiers"].open("a", encoding="utf-8") as handle:
        handle.write("D2,007\n")
    assert data_fingerprint(data) != before


def test_provenance_is_flat_json_for_the_briefing_and_the_annex(data: dict[str, Path]) -> None:
    from briefkit import report
    from briefkit.annex import generated_at

    params = {"data_dir": data["units"].parent, "unit_id": "007", "targets_file": None}
    prov = provenance(SimpleNamespace(files=data), Q1, params, generated_at=START)
    assert prov == json.loads(json.dumps(prov))  # JSON-serialisable as is
    assert prov["period"] == "quý I/2022" and prov["period_spec"] == "2022Q1"
    assert prov["convention"] == "nd09"
    assert prov["data_sha256"] == data_fingerprint(data)
    assert prov["data_files"]["units"] == hashlib.sha256(data["units"].read_bytes()).hexdigest()
    # no absolute path: the data folder by its name, the data files relative to it
    assert prov["parameters"] == {"data_dir": data["units"].parent.name,
                                  "unit_id": "007", "targets_file": None}
    assert prov["data_file_names"]["units"] == data["units"].name
    assert prov["version"] == __version__
    assert prov["generated_at"] == "2022-05-20T08:30:00+07:00"
    # what the colleagues' consumers make of it
    line = report.provenance_html(prov)
    assert "Kỳ báo cáo: quý I/2022" in line and prov["data_sha256"][:12] in line
    assert "tạo ngày 20/05/2022" in line and "08:30" not in line  # the date only
    assert generated_at(prov) == dt.datetime(2022, 5, 20, 1, 30)  # UTC in the xlsx


def test_provenance_defaults_to_vietnamese_time_now(data: dict[str, Path]) -> None:
    prov = provenance(data, Q1, {})
    stamp = dt.datetime.fromisoformat(prov["generated_at"])
    assert stamp.utcoffset() == dt.timedelta(hours=7)
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 60


def test_jsonable_handles_what_parameters_hold() -> None:
    import numpy as np
    import pandas as pd

    value = {"p": Path("/a/b"), "n": np.int64(3), "f": np.float64(0.5), "nan": float("nan"),
             "na": pd.NA, "d": dt.date(2022, 1, 2), "s": {"b", "a"}, "t": ("x", 1),
             "period": Q1}
    assert jsonable(value) == {"p": "/a/b", "n": 3, "f": 0.5, "nan": None, "na": None,
                               "d": "2022-01-02", "s": ["a", "b"], "t": ["x", 1],
                               "period": "2022Q1"}


def _outputs(root: Path) -> list[Path]:
    (root / "TP").mkdir(parents=True)
    files = [root / "kpis.csv", root / "TP" / "briefing.pdf", root / "overview.html"]
    for i, path in enumerate(files):
        path.write_bytes(b"x" * (i + 1) * 10)
    return files


def _fields(data: dict[str, Path], outputs: list[Path], root: Path) -> dict:
    return dict(period=Q1, outputs=outputs, data_files=data,
                other_inputs={"targets": None, "header": data["units"]},
                parameters={"out": root, "units": ["007"]},
                units=[{"unit_id": "TP", "status": "ok", "files": ["TP/briefing.pdf"]},
                       {"unit_id": "007", "status": "failed", "error": "RuntimeError: boom"}],
                steps={"overview": {"status": "ok", "files": ["overview.html"]}},
                executor="papermill", started_at=START, finished_at=END)


def test_manifest_lists_outputs_inputs_and_units(data: dict[str, Path], tmp_path: Path) -> None:
    root = tmp_path / "out" / "2022Q1"
    outputs = _outputs(root)
    path = write_manifest(root / "manifest.json", **_fields(data, outputs, root))
    text = path.read_text(encoding="utf-8")
    manifest = json.loads(text)
    assert text == json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    assert text == dump_manifest(manifest)
    assert manifest["outputs"] == {
        "TP/briefing.pdf": {"sha256": hashlib.sha256(b"x" * 20).hexdigest(), "size": 20},
        "kpis.csv": {"sha256": hashlib.sha256(b"x" * 10).hexdigest(), "size": 10},
        "overview.html": {"sha256": hashlib.sha256(b"x" * 30).hexdigest(), "size": 30}}
    assert manifest["inputs"]["data"]["sha256"] == data_fingerprint(data)
    assert set(manifest["inputs"]["data"]["files"]) == set(data)
    assert manifest["inputs"]["targets"] is None
    assert manifest["inputs"]["header"]["path"] == str(data["units"].resolve())
    assert manifest["period"] == {"spec": "2022Q1", "label": "quý I/2022", "kind": "quarter",
                                  "start": "2021-12-15", "end": "2022-03-14"}
    assert manifest["convention"] == "nd09" and manifest["executor"] == "papermill"
    assert manifest["parameters"] == {"out": root.as_posix(), "units": ["007"]}
    assert manifest["summary"] == {"units": 2, "ok": 1, "failed": 1, "failed_units": ["007"],
                                   "status": "failed"}
    assert manifest["started_at"] == "2022-05-20T08:30:00+07:00"
    assert manifest["duration_s"] == 42
    assert manifest["manifest_version"] == MANIFEST_VERSION
    assert manifest["briefkit_version"] == __version__
    assert verify_manifest(path) == []


def test_verify_reports_missing_changed_and_moved(data: dict[str, Path], tmp_path: Path) -> None:
    root = tmp_path / "2022Q1"
    outputs = _outputs(root)
    path = write_manifest(root / "manifest.json", **_fields(data, outputs, root))
    (root / "kpis.csv").write_bytes(b"y" * 10)  # same size, other bytes
    (root / "TP" / "briefing.pdf").write_bytes(b"x")  # truncated
    (root / "overview.html").unlink()
    with data["dossiers"].open("a", encoding="utf-8") as handle:
        handle.write("D2,007\n")
    problems = verify_manifest(path)
    assert problems == [
        "TP/briefing.pdf: size 1 bytes, the manifest says 20",
        "kpis.csv: sha256 differs from the manifest (the file was changed)",
        "overview.html: missing",
        f"input data:dossiers: {data['dossiers'].resolve()}: size "
        f"{data['dossiers'].stat().st_size} bytes, the manifest says "
        f"{data['dossiers'].stat().st_size - 7}",
    ]
    assert len(verify_manifest(path, inputs=False)) == 3
    # the folder can move as a whole: outputs are relative to the manifest
    (root / "kpis.csv").write_bytes(b"x" * 10)
    (root / "TP" / "briefing.pdf").write_bytes(b"x" * 20)
    (root / "overview.html").write_bytes(b"x" * 30)
    moved = Path(shutil.move(root, tmp_path / "elsewhere"))
    assert verify_manifest(moved / "manifest.json", inputs=False) == []


def test_outputs_must_be_inside_the_folder(data: dict[str, Path], tmp_path: Path) -> None:
    root = tmp_path / "2022Q1"
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    with pytest.raises(ValueError, match="not inside"):
        build_manifest(root, **_fields(data, [outside], root))


def test_verify_an_unreadable_manifest(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text("{not json", encoding="utf-8")
    [problem] = verify_manifest(path)
    assert "cannot read the manifest" in problem
