"""``briefkit run --scheduler``: the same outputs from a Dask cluster as from local workers.

One local cluster (two worker processes, one thread each) serves the module. Its workers get
another SOURCE_DATE_EPOCH than the driver: the documents' date is the driver's and travels in
the tasks, so the outputs must not depend on the workers' environment. The scheduler fails a
task as soon as its worker dies (``allowed-failures: 0``) and gives each worker one task at a
time (``worker-saturation: 1.0``), so the task that kills its worker is the only one that
fails, deterministically. That test runs last: the killed worker is restarted in the
background.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from briefkit.batch import RunRequest, run_batch
from briefkit.manifest import verify_manifest
from briefkit.problems import InputError
from briefkit.workers import NotebookTask, WorkerContext
from tests import kpi_fixture

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

from briefkit.dask_pool import DaskPool  # noqa: E402  (needs distributed)


def doc(unit: str, ext: str, period: str = "2022Q1") -> str:
    """A unit briefing's file name under the default settings (BC-TTHC_<slug>_<period>)."""
    from briefkit.batch import unit_slug

    return f"BC-TTHC_{unit_slug(unit)}_{period}.{ext}"


OVERVIEW = "BC-TTHC_tong-hop_2022Q1"  # the overview's files: OVERVIEW + ".pdf" …
ANNEX = "PL-TTHC_2022Q1.xlsx"

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"  # the real briefing notebooks (charts, tables, the header)
FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
DRIVER_EPOCH = "1700000000"  # 2023-11-14: the documents' date
WORKER_EPOCH = "86400"  # what the workers see: must not matter


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.LocalCluster]:
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.scheduler.worker-saturation": 1.0}):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
            env={"SOURCE_DATE_EPOCH": WORKER_EPOCH})
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kpi_fixture.write_folder(tmp_path_factory.mktemp("dask") / "data")


def outputs(folder: Path) -> dict[str, bytes]:
    """Every published file but the manifest (times, pool) and the lock."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in {"manifest.json", ".briefkit.lock"}}


def notebooks_folder(folder: Path, unit_source: str) -> Path:
    """The fixture overview and a unit notebook whose failing cell is ``unit_source``."""
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "overview.ipynb", folder / "overview.ipynb")
    nb = nbformat.read(FIXTURES / "unit_briefing.ipynb", as_version=4)
    failing = next(c for c in nb.cells if "boom" in c.source)
    failing.source = unit_source
    nbformat.write(nb, folder / "unit_briefing.ipynb")
    return folder


def test_dask_outputs_are_byte_identical_to_local_workers(
        cluster: distributed.LocalCluster, data: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("briefkit.render")
    with distributed.Client(cluster, set_as_default=False) as client:
        assert set(client.run(os.getenv, "SOURCE_DATE_EPOCH").values()) == {WORKER_EPOCH}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", DRIVER_EPOCH)
    on_dask = run_batch(RunRequest(data, "2022Q1", tmp_path / "dask", units=["007"],
                                   notebooks=NOTEBOOKS, scheduler=cluster.scheduler_address),
                        progress=False)
    local = run_batch(RunRequest(data, "2022Q1", tmp_path / "local", units=["007"],
                                 notebooks=NOTEBOOKS, workers=1), progress=False)
    for result in (on_dask, local):
        assert result.exit_code == 0, [(s.name, s.error) for s in result.steps]
        assert verify_manifest(result.manifest) == []
    remote, here = outputs(on_dask.folder), outputs(local.folder)
    assert {"kpis.csv", ANNEX, f"{OVERVIEW}.ipynb", f"{OVERVIEW}.html", f"{OVERVIEW}.pdf",
            f"007/{doc('007', 'ipynb')}", f"007/{doc('007', 'html')}",
            f"007/{doc('007', 'pdf')}"} <= set(remote)
    assert sorted(remote) == sorted(here)
    assert [name for name in remote if remote[name] != here[name]] == []
    executed = nbformat.reads(remote[f"007/{doc('007', 'ipynb')}"].decode("utf-8"),
                              as_version=4)
    assert executed.metadata.papermill["input_path"] == str(NOTEBOOKS / "unit_briefing.ipynb")
    assert executed.metadata.briefkit["created"].startswith("2023-11-1")  # not 1970: the driver's
    parameters = json.loads(on_dask.manifest.read_text("utf-8"))["parameters"]
    assert (parameters["pool"], parameters["workers"], parameters["scheduler"]) == (
        "dask", 2, cluster.scheduler_address)


def test_the_notebook_travels_with_the_task(cluster: distributed.LocalCluster,
                                            tmp_path: Path) -> None:
    driver_only = tmp_path / "notebooks" / "unit_briefing.ipynb"
    driver_only.parent.mkdir()
    shutil.copy(FIXTURES / "unit_briefing.ipynb", driver_only)
    nowhere = tmp_path / "nowhere" / "unit_briefing.ipynb"
    parameters = {"unit_id": "007", "period": "2022Q1"}

    def tasks() -> Iterator[NotebookTask]:
        yield NotebookTask("shipped", driver_only, "briefing", parameters)
        yield NotebookTask("missing", nowhere, "briefing", parameters)
        driver_only.unlink()  # the pool has read every task: the workers cannot see it now

    with distributed.Client(cluster, set_as_default=False) as client:
        with DaskPool(WorkerContext(), client) as pool:
            assert pool.size == 2
            results = {r.key: r for r in pool.run(tasks())}
        assert client.status == "running"  # a client the pool was given stays open
    shipped, missing = results["shipped"], results["missing"]
    assert shipped.ok, shipped.error
    executed = nbformat.reads(shipped.files["briefing.ipynb"].decode("utf-8"), as_version=4)
    assert executed.metadata.papermill["input_path"] == str(driver_only)
    assert set(shipped.files) == {"briefing.ipynb", "briefing.html", "briefing.pdf",
                                  "marker.json"}  # and not the copy of the notebook
    assert not missing.ok and not missing.files
    assert missing.error.startswith(f"worker: notebook {str(nowhere)!r} not found on ")


def test_an_unreachable_scheduler_is_an_input_error() -> None:
    with socket.socket() as bound:  # a port nobody listens on, and nobody can take meanwhile
        bound.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{bound.getsockname()[1]}"
        with pytest.raises(InputError, match="cannot connect to the Dask scheduler"):
            DaskPool(WorkerContext(), address, timeout=1)


def test_a_failing_unit_on_dask_leaves_the_others_complete(
        cluster: distributed.LocalCluster, data: Path, tmp_path: Path) -> None:
    notebooks = notebooks_folder(tmp_path / "notebooks", (
        'if unit_id == "TP":\n    raise RuntimeError(f"boom for {unit_id}")'))
    result = run_batch(RunRequest(data, "2022Q1", tmp_path / "out", notebooks=notebooks,
                                  scheduler=cluster.scheduler_address), progress=False)
    assert result.exit_code == 1
    status = {u.unit_id: (u.status, u.error) for u in result.units}
    assert status["TP"][0] == "failed" and "RuntimeError: boom for TP" in status["TP"][1]
    assert {u: s for u, (s, _) in status.items() if u != "TP"} == {
        "007": "ok", "EMPTY": "ok", "AGG": "ok"}
    assert result.overview.ok and result.annex.ok
    folder = result.folder
    assert os.listdir(folder / "TP") == [doc("TP", "ipynb")]  # the error in place, no HTML/PDF
    for unit in ("007", "EMPTY", "AGG"):
        assert {doc(unit, "ipynb"), doc(unit, "html"), doc(unit, "pdf")} <= set(
            os.listdir(folder / unit))
    assert verify_manifest(result.manifest) == []


def test_a_worker_killed_mid_task_fails_that_unit_only(
        cluster: distributed.LocalCluster, data: Path, tmp_path: Path) -> None:
    # Six tasks for two worker threads: the scheduler queues them (root tasks) and, with a
    # saturation of 1.0, sends a worker its next task only when the previous one is done, so
    # the killer is alone on the worker it kills.
    notebooks = notebooks_folder(tmp_path / "notebooks", (
        'if unit_id == "007":\n'
        '    import os, signal\n'
        '    os.kill(os.getpid(), signal.SIGKILL)'))
    result = run_batch(RunRequest(data, "2022Q1", tmp_path / "out", notebooks=notebooks,
                                  scheduler=cluster.scheduler_address), progress=False)
    assert result.exit_code == 1
    status = {u.unit_id: (u.status, u.error) for u in result.units}
    assert status["007"][0] == "failed"
    assert status["007"][1].startswith("the Dask worker running this task died (KilledWorker")
    assert {u: s for u, (s, _) in status.items() if u != "007"} == {
        "TP": "ok", "EMPTY": "ok", "AGG": "ok"}
    assert result.overview.ok and result.annex.ok
    assert not (result.folder / "007" / doc("007", "pdf")).exists()
    assert verify_manifest(result.manifest) == []
