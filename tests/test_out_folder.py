"""``--out`` is checked before anything is written: a file, a folder inside the data folder,
or one that cannot be written is an input error (exit status 2) naming the option."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from briefkit.batch import RunRequest, run_batch
from briefkit.batch.plan import _check_out
from briefkit.problems import InputError
from tests import kpi_fixture


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    return kpi_fixture.write_folder(tmp_path / "data")


@pytest.mark.parametrize(("out", "message"), [
    ("afile", "is a file, not a folder"),
    ("afile/below", "is a file, not a folder"),
    ("data", "is inside the data folder"),
    ("data/outputs", "is inside the data folder"),
])
def test_bad_out_folders_are_refused_before_anything_is_written(
        tmp_path: Path, data: Path, out: str, message: str) -> None:
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(InputError) as caught:
        run_batch(RunRequest(data, "2022Q1", tmp_path / out, units=["TP"], workers=0),
                  progress=False)
    [problem] = [p for p in caught.value.problems if p.file == "--out"]
    assert message in problem.message
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_an_unwritable_out_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    # as root every folder is writable: the permission check is exercised through os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    [problem] = _check_out(tmp_path / "out", tmp_path / "data", "out")
    assert problem.message == f"'out': no permission to write in {str(tmp_path)!r}"
    monkeypatch.undo()
    assert _check_out(tmp_path / "out" / "new", tmp_path / "data", "out/new") == []
