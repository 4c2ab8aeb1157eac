"""``briefkit run``: the executor seam, slugs, failing units, atomic publishing and re-runs.

Real kernels are slow (about a second per notebook), so only a few tests start them: one CLI
run over four units shared by the tests that inspect its outputs, and one run through the real
renderer. Everything about publishing, stale files and the seam itself runs on a scripted
executor that writes notebooks without a kernel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import nbformat
import pytest
from typer.testing import CliRunner

from briefkit import batch, engines
from briefkit.batch import RunRequest, run_batch, unit_slug, unit_slugs
from briefkit.batch.publish import BusyError, lock_path
from briefkit.cli import app
from briefkit.engines import ExecutionOutcome, PapermillExecutor, get_executor
from briefkit.manifest import verify_manifest
from briefkit.problems import InputError
from briefkit.workers import NotebookTask, WorkerContext, run_task, tasks
from tests import kpi_fixture

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
ODD_ID = "../x"  # a unit id that would escape the output folder if used as a path
runner = CliRunner()


# ------------------------------------------------------------------------------ helpers


def doc(unit: str, ext: str, period: str = "2022Q1") -> str:
    """A unit briefing's file name under the default settings (BC-TTHC_<slug>_<period>)."""
    from briefkit.batch import unit_slug

    return f"BC-TTHC_{unit_slug(unit)}_{period}.{ext}"


OVERVIEW = "BC-TTHC_tong-hop_2022Q1"  # the overview's files: OVERVIEW + ".pdf" …
ANNEX = "PL-TTHC_2022Q1.xlsx"


def make_data(folder: Path) -> Path:
    """The KPI fixture district (TP, 007, EMPTY, AGG) plus a unit with a hostile id."""
    kpi_fixture.write_folder(folder)
    with (folder / "units.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"{ODD_ID},Đơn vị lạ,phong_ban,huyen,,\n")
    return folder


def make_notebooks(folder: Path, unit: str = "unit_briefing.ipynb") -> Path:
    """A notebooks folder with the standard names, from the fixtures."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / unit, folder / batch.UNIT_NOTEBOOK)
    shutil.copy(FIXTURES / "overview.ipynb", folder / batch.OVERVIEW_NOTEBOOK)
    return folder


def _unit_of(notebook: Path) -> str:
    """The unit folder an executed notebook belongs to (its parameters say which unit)."""
    meta = json.loads(notebook.read_text("utf-8"))["metadata"]
    parameters = (meta.get("papermill") or {}).get("parameters") or meta.get("parameters", {})
    return unit_slug(parameters["unit_id"]) if "unit_id" in parameters else "overview"


def fake_render(notebook: Path, html: Path, pdf: Path) -> None:
    """Small files; for unit EMPTY it fails half-way, after writing part of the HTML."""
    unit = _unit_of(notebook)
    html.write_text(f"<html>{unit}</html>", encoding="utf-8")
    if unit == "EMPTY":
        raise OSError("disk full")
    pdf.write_bytes(b"%PDF-1.4 " + unit.encode())


def fake_annex(path: Path, table: Any, period: Any, provenance: Mapping[str, Any],
               **options: Any) -> Path:
    path.write_text(json.dumps(provenance), encoding="utf-8")
    return path


def all_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def visible_outputs(folder: Path) -> set[str]:
    return {f for f in all_files(folder) if not f.startswith(".") and f != "manifest.json"}


class ScriptedExecutor:
    """Writes a notebook holding its parameters; fails for the keys in ``fail``. No kernel."""

    name = "scripted"

    def __init__(self, fail: Iterable[str] = (), on_run: Any = None):
        self.fail = set(fail)
        self.calls: list[dict[str, Any]] = []
        self.on_run = on_run

    def execute(self, notebook: Path, output: Path,
                parameters: Mapping[str, Any]) -> ExecutionOutcome:
        self.calls.append(dict(parameters))
        key = parameters.get("unit_id", "*overview")
        nb = nbformat.v4.new_notebook()
        nb.metadata["parameters"] = dict(parameters)
        nbformat.write(nb, output)
        Path(parameters["output_dir"], "extra.txt").write_text(key, encoding="utf-8")
        if self.on_run:
            self.on_run(key)
        ok = key not in self.fail
        return ExecutionOutcome(ok, output, 0.01, None if ok else f"RuntimeError: {key}")


def scripted_run(data: Path, out: Path, notebooks: Path, units: list[str] | None = None,
                 executor: Any = None, workers: int = 0, **options: Any) -> batch.BatchResult:
    """A run on the scripted executor; in this process (``workers=0``) unless asked, so the
    executor's record of calls is the test's to read."""
    return run_batch(RunRequest(data, "2022Q1", out, units=units, notebooks=notebooks,
                                workers=workers, **options),
                     executor=executor or ScriptedExecutor(fail={"TP"}),
                     renderer=fake_render, annex_writer=fake_annex, progress=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_data(tmp_path / "data")


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    return make_notebooks(tmp_path / "notebooks")


# ------------------------------------------------------------ one real run, via the CLI


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``briefkit run`` over TP (its notebook raises), 007 and ``../x``, with the default
    (in-process papermill) executor in this process, the fake renderer and annex writer."""
    root = tmp_path_factory.mktemp("cli_run")
    data = make_data(root / "data")
    notebooks = make_notebooks(root / "notebooks")
    out = root / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tasks, "default_renderer", lambda: fake_render)
        mp.setattr(tasks, "default_annex_writer", lambda: fake_annex)
        result = runner.invoke(app, [
            "run", "--data", str(data), "--period", "2022Q1", "--out", str(out),
            "--units", f" TP,007 ,{ODD_ID},", "--notebooks", str(notebooks),
            "--workers", "0", "--no-progress"])
    return {"result": result, "root": root, "out": out, "folder": out / "2022Q1",
            "notebooks": notebooks, "slug": unit_slug(ODD_ID)}


def test_cli_exit_1_when_a_unit_fails_and_prints_the_summary(cli_run: dict[str, Any]) -> None:
    result = cli_run["result"]
    assert result.exit_code == 1, result.output
    assert "RuntimeError: boom for TP (cell" in result.output
    assert "3 đơn vị: 2 hoàn tất, 1 lỗi" in result.output  # the summary, in Vietnamese


def test_unit_id_arrives_as_text_in_this_interpreter(cli_run: dict[str, Any]) -> None:
    marker = json.loads((cli_run["folder"] / "007" / "marker.json").read_text("utf-8"))
    assert marker["unit_id"] == "007" and marker["unit_id_type"] == "str"
    assert Path(marker["executable"]) == Path(sys.executable)
    # the notebook ran in its scratch folder, where its bundle and extra files go
    assert Path(marker["cwd"]).name.startswith("briefkit-task-")
    assert Path(marker["data_dir"]).is_absolute() and marker["period"] == "2022Q1"
    assert marker["header_file"].endswith("params/header.yaml")  # the default header
    executed = nbformat.read(cli_run["folder"] / "007" / doc("007", "ipynb"), as_version=4)
    injected = next(c for c in executed.cells
                    if "injected-parameters" in c.metadata.get("tags", []))
    assert 'unit_id = "007"' in injected.source


def test_a_failing_unit_keeps_its_notebook_and_others_complete(cli_run: dict[str, Any]) -> None:
    folder, slug = cli_run["folder"], cli_run["slug"]
    for unit in ("007", slug):
        assert {doc(unit, "ipynb"), doc(unit, "html"), doc(unit, "pdf")} <= set(
            os.listdir(folder / unit))
    assert (folder / slug / doc(slug, "pdf")).read_bytes() == f"%PDF-1.4 {slug}".encode()
    # TP: the notebook raised; its executed notebook shows the error, nothing else published
    assert os.listdir(folder / "TP") == [doc("TP", "ipynb")]
    executed = nbformat.read(folder / "TP" / doc("TP", "ipynb"), as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [("RuntimeError", "boom for TP")]
    last = executed.cells[-1]
    assert "after the failing cell" in last.source and not last.outputs  # stopped there
    assert {f"{OVERVIEW}.ipynb", f"{OVERVIEW}.html", f"{OVERVIEW}.pdf", ANNEX, "kpis.csv",
            "manifest.json"} <= set(os.listdir(folder))


def test_odd_unit_id_stays_inside_the_output_folder(cli_run: dict[str, Any]) -> None:
    root, out, slug = cli_run["root"], cli_run["out"], cli_run["slug"]
    assert re.fullmatch(r"x-[0-9a-f]{8}", slug)
    # the period folder, and beside it the lock of the runs that write it
    assert sorted(os.listdir(out)) == [".briefkit-2022Q1.lock", "2022Q1"]
    assert sorted(os.listdir(root)) == ["data", "notebooks", "out"]  # nothing escaped


def test_manifest_verifies_and_lists_every_output(cli_run: dict[str, Any]) -> None:
    folder, slug = cli_run["folder"], cli_run["slug"]
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    assert verify_manifest(path) == []
    assert set(manifest["outputs"]) == visible_outputs(folder)
    statuses = {u["unit_id"]: (u["status"], u["slug"]) for u in manifest["units"]}
    assert statuses == {"TP": ("failed", "TP"), "007": ("ok", "007"), ODD_ID: ("ok", slug)}
    assert [u["unit_id"] for u in manifest["units"]] == ["TP", "007", ODD_ID]
    assert manifest["executor"] == "inprocess"
    assert {u["build"] for u in manifest["units"]} == {"rebuilt"}
    assert manifest["parameters"]["units"] == ["TP", "007", ODD_ID]
    assert manifest["steps"]["overview"]["status"] == "ok"
    assert manifest["summary"]["status"] == "failed"
    annex = json.loads((folder / ANNEX).read_text("utf-8"))  # the fake writes JSON
    assert annex["data_sha256"] == manifest["inputs"]["data"]["sha256"]


def test_no_temporary_file_is_left(cli_run: dict[str, Any]) -> None:
    leftovers = [p for p in cli_run["root"].rglob("*") if ".part" in p.name]
    assert leftovers == []


# ------------------------------------------------------------------ the real renderer


def test_real_renderer_and_annex(data: Path, tmp_path: Path) -> None:
    pytest.importorskip("briefkit.render")
    pytest.importorskip("briefkit.annex")
    result = run_batch(RunRequest(data, "2022Q1", tmp_path / "out", units=["007"],
                                  notebooks=FIXTURES), progress=False)
    assert result.exit_code == 0, [u.error for u in result.units]
    folder = result.folder
    assert (folder / "007" / doc("007", "pdf")).read_bytes().startswith(b"%PDF")
    assert "<html" in (folder / "007" / doc("007", "html")).read_text("utf-8")
    assert (folder / f"{OVERVIEW}.pdf").read_bytes().startswith(b"%PDF")
    assert (folder / ANNEX).read_bytes().startswith(b"PK")
    assert verify_manifest(result.manifest) == []


# --------------------------------------------------------------------------- bad input


def test_bad_input_exits_2_lists_every_error_and_writes_nothing(data: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, [
        "run", "--data", str(data), "--period", "2022Q5", "--out", str(out),
        "--units", "TP,NOPE", "--notebooks", str(tmp_path / "missing"),
        "--executor", "warp-drive"])
    assert result.exit_code == 2
    for needle in ("2022Q5", "unknown unit id 'NOPE'", "unit_briefing.ipynb",
                   "unknown executor 'warp-drive'", "không có gì được ghi"):
        assert needle in result.output
    assert not out.exists()


def test_bad_data_raises_before_any_folder_exists(tmp_path: Path, notebooks: Path) -> None:
    folder = kpi_fixture.write_folder(tmp_path / "data")
    with (folder / "dossiers.csv").open("a", encoding="utf-8") as handle:
        handle.write("BAD,NOPE,1.000001,truc_tuyen,31/02/2022,05/04/2022,,false,false,false\n")
    with pytest.raises(InputError) as info:
        scripted_run(folder, tmp_path / "out", notebooks)
    assert {p.rule for p in info.value.problems} >= {"unknown_unit", "bad_date"}
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text", [
    "not json", "[]", '{"nbformat": 5, "cells": []}', '{"nbformat": "4"}', '{"nbformat": true}',
    '{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}',
    "", "\udcff"])
def test_a_notebook_is_refused_exactly_when_nbformat_cannot_read_it(
        data: Path, tmp_path: Path, notebooks: Path, text: str) -> None:
    """The run's preflight reads notebooks without nbformat (the driver need not import it):
    it refuses what ``nbformat.read(path, as_version=4)`` cannot read, and only that."""
    (notebooks / batch.OVERVIEW_NOTEBOOK).write_bytes(text.encode("utf-8", "surrogateescape"))
    try:
        nbformat.read(notebooks / batch.OVERVIEW_NOTEBOOK, as_version=4)
        readable = True
    except Exception:
        readable = False
    if readable:
        assert scripted_run(data, tmp_path / "out", notebooks).overview is not None
        return
    with pytest.raises(InputError) as info:
        scripted_run(data, tmp_path / "out", notebooks)
    [problem] = info.value.problems
    assert (problem.file, problem.rule) == ("--notebooks", "unreadable_file")
    assert problem.message.startswith("overview.ipynb is not a readable notebook: ")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------- publishing and re-runs (no kernel)


def test_parameters_are_the_contract_set(data: Path, tmp_path: Path, notebooks: Path) -> None:
    executor = ScriptedExecutor()
    scripted_run(data, tmp_path / "out", notebooks, units=["007"], executor=executor)
    [overview] = [c for c in executor.calls if "unit_id" not in c]  # overview first
    [unit] = [c for c in executor.calls if "unit_id" in c]
    assert list(unit) == list(batch.UNIT_PARAMETERS)
    assert (unit["output_dir"], unit["bundle"]) == (".", ".bundle")  # relative: reproducible
    assert unit["unit_id"] == "007" and unit["period"] == "2022Q1"
    assert unit["convention"] == "calendar" and unit["targets_file"] is None
    assert Path(unit["data_dir"]) == data.resolve()
    assert set(overview) == set(batch.UNIT_PARAMETERS) - {"unit_id"}


def test_rerun_removes_stale_outputs_of_a_unit_that_now_fails(data: Path, tmp_path: Path,
                                                              notebooks: Path) -> None:
    out = tmp_path / "out"
    first = scripted_run(data, out, notebooks, units=["007", ODD_ID],
                         executor=ScriptedExecutor())
    assert first.exit_code == 0
    folder = first.folder
    assert set(os.listdir(folder / "007")) == {doc("007", "ipynb"), doc("007", "html"),
                                               doc("007", "pdf"), "extra.txt"}
    (folder / "007" / "signed-by-hand.pdf").write_bytes(b"a person's file")
    odd = folder / unit_slug(ODD_ID)
    odd_before = {name: (odd / name).read_bytes() for name in os.listdir(odd)}

    second = scripted_run(data, out, notebooks, units=["007"],
                          executor=ScriptedExecutor(fail={"007"}), force=True)
    assert second.exit_code == 1
    # last run's PDF, HTML and extra file are gone; the executed notebook is this run's
    assert set(os.listdir(folder / "007")) == {doc("007", "ipynb"), "signed-by-hand.pdf"}
    executed = nbformat.read(folder / "007" / doc("007", "ipynb"), as_version=4)
    assert executed.metadata["parameters"]["unit_id"] == "007"
    # units outside --units keep their briefings; the manifest lists only this run
    assert {name: (odd / name).read_bytes() for name in os.listdir(odd)} == odd_before
    manifest = json.loads(second.manifest.read_text("utf-8"))
    assert [u["unit_id"] for u in manifest["units"]] == ["007"]
    assert "007/signed-by-hand.pdf" not in manifest["outputs"]
    assert verify_manifest(second.manifest) == []


def test_failed_overview_and_annex_leave_no_stale_files(data: Path, tmp_path: Path,
                                                        notebooks: Path) -> None:
    out = tmp_path / "out"
    scripted_run(data, out, notebooks, units=["007"], executor=ScriptedExecutor())

    def broken_annex(*args: Any, **options: Any) -> None:
        raise ValueError("bad table")

    result = run_batch(RunRequest(data, "2022Q1", out, units=["007"], notebooks=notebooks,
                                  workers=0, force=True),
                       executor=ScriptedExecutor(fail={"*overview"}), renderer=fake_render,
                       annex_writer=broken_annex, progress=False)
    assert result.exit_code == 1 and result.units[0].ok
    assert (result.overview.status, result.annex.error) == ("failed",
                                                             "annex: ValueError: bad table")
    names = set(os.listdir(result.folder))
    assert f"{OVERVIEW}.ipynb" in names
    assert not names & {f"{OVERVIEW}.html", f"{OVERVIEW}.pdf", ANNEX, "extra.txt"}


def test_parallel_workers_results_keep_unit_order(data: Path, tmp_path: Path,
                                                  notebooks: Path) -> None:
    result = scripted_run(data, tmp_path / "out", notebooks, executor=ScriptedExecutor(),
                          workers=2)
    assert [u.unit_id for u in result.units] == ["TP", "007", "EMPTY", "AGG", ODD_ID]
    assert [u.status for u in result.units] == ["ok", "ok", "failed", "ok", "ok"]
    assert verify_manifest(result.manifest) == []
    assert result.executor == "scripted"
    # EMPTY: rendering failed after writing part of the HTML: no HTML under the final name
    assert result.units[2].error == "render: OSError: disk full"
    assert os.listdir(result.folder / "EMPTY") == [doc("EMPTY", "ipynb")]


def test_leftovers_of_a_killed_run_are_swept(data: Path, tmp_path: Path,
                                             notebooks: Path) -> None:
    folder = tmp_path / "out" / "2022Q1"
    (folder / ".run-dead.part" / "TP").mkdir(parents=True)
    (folder / ".kpis.csv.abc.part").write_text("half")
    (folder / "manifest.json").write_text("{}")  # from the killed run's predecessor
    result = scripted_run(data, tmp_path / "out", notebooks, units=["007"])
    assert [p for p in folder.rglob("*") if ".part" in p.name] == []
    assert verify_manifest(result.manifest) == []


def test_a_second_concurrent_run_is_refused(data: Path, tmp_path: Path,
                                            notebooks: Path) -> None:
    fcntl = pytest.importorskip("fcntl")
    folder = tmp_path / "out" / "2022Q1"
    folder.parent.mkdir(parents=True)
    with open(lock_path(folder), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BusyError, match="another briefkit run"):
            scripted_run(data, tmp_path / "out", notebooks, units=["007"])
    assert os.listdir(folder.parent) == [lock_path(folder).name]  # nothing else written


def test_data_changed_during_the_run_is_a_warning(data: Path, tmp_path: Path,
                                                  notebooks: Path) -> None:
    def touch_data(key: str) -> None:
        if key == "007":
            with (data / "dossiers.csv").open("a", encoding="utf-8") as handle:
                handle.write("\n")

    result = scripted_run(data, tmp_path / "out", notebooks, units=["007"],
                          executor=ScriptedExecutor(on_run=touch_data))
    assert any("changed during the run" in w for w in result.warnings)
    assert json.loads(result.manifest.read_text("utf-8"))["warnings"] == result.warnings


# -------------------------------------------------------------------------------- slugs


AWKWARD = ["../x", "..", ".", "a/b", "a\\b", "Phường 1", "phường 1", "UBND Phường 1",
           "TP", "tp", "CON", "-rf", " ", "x" * 100, "007", "a b", "a_b", "Đội 9", "ĐỘI 9"]


def test_slugs_are_safe_unique_and_readable() -> None:
    slugs = unit_slugs(AWKWARD)
    for unit_id, slug in slugs.items():
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,56}", slug), (unit_id, slug)
    assert len({s.casefold() for s in slugs.values()}) == len(AWKWARD)
    assert slugs["007"] == "007" and slugs["a_b"] == "a_b"
    assert slugs["UBND Phường 1"].startswith("UBND_Phuong_1-")
    assert slugs["Đội 9"].startswith("Doi_9-")
    # ids differing only in case get distinct folders on case-insensitive file systems
    assert slugs["TP"] != "TP" and slugs["tp"] != "tp"
    assert unit_slug("TP") == "TP"  # … but a lone TP keeps its plain name
    assert unit_slug("CON").startswith("CON-")  # a Windows device name


def test_slugs_do_not_depend_on_the_subset() -> None:
    assert unit_slugs(["TP", "007"])["007"] == unit_slugs(["007"])["007"] == "007"


# ------------------------------------------------------------------- the executor seam


def test_registry_and_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(get_executor("papermill"), PapermillExecutor)
    plugin = EntryPoint(name="scripted", value="tests.test_batch:ScriptedExecutor",
                        group=engines.ENTRY_POINT_GROUP)
    shadow = EntryPoint(name="papermill", value="tests.test_batch:ScriptedExecutor",
                        group=engines.ENTRY_POINT_GROUP)
    broken = EntryPoint(name="broken", value="no_such_module:Nope",
                        group=engines.ENTRY_POINT_GROUP)
    monkeypatch.setattr(engines, "entry_points", lambda group: [plugin, shadow, broken])
    assert engines.available_executors() == ["inprocess", "papermill", "broken", "scripted"]
    assert isinstance(get_executor("scripted", fail={"TP"}), ScriptedExecutor)
    assert isinstance(get_executor("papermill"), PapermillExecutor)  # no shadowing
    with pytest.raises(ValueError, match="cannot be loaded"):
        get_executor("broken")
    with pytest.raises(ValueError, match="available: inprocess, papermill, broken, scripted"):
        get_executor("nope")


class Raising:
    name = "raising"

    def execute(self, notebook: Path, output: Path,
                parameters: Mapping[str, Any]) -> ExecutionOutcome:
        raise MemoryError("no room")


def test_a_raising_executor_is_a_failed_task_not_a_crash(tmp_path: Path) -> None:
    source = tmp_path / "in.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), source)
    task = NotebookTask("TP", source, "briefing", {"unit_id": "TP"})
    result = run_task(task, WorkerContext(executor=Raising()))
    assert result.key == "TP" and not result.ok
    assert result.error == "raising: MemoryError: no room"
    assert "MemoryError" in (result.detail or "") and result.files == {}


def test_a_unit_that_cannot_be_published_fails_alone(data: Path, tmp_path: Path,
                                                     notebooks: Path) -> None:
    out = tmp_path / "out"
    (out / "2022Q1" / "007" / doc("007", "pdf")).mkdir(parents=True)  # a folder in the way
    result = scripted_run(data, out, notebooks, units=["007", ODD_ID],
                          executor=ScriptedExecutor())
    assert [u.status for u in result.units] == ["failed", "ok"]
    assert result.units[0].error.startswith("publish: IsADirectoryError")
    assert not (result.folder / "007" / doc("007", "html")).exists()
    assert verify_manifest(result.manifest) == []
