"""The fast batch: the prepared bundle, warm in-process execution, parallel workers,
incremental re-runs, and outputs that do not depend on how or where they were produced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from briefkit import briefing
from briefkit.batch import RunRequest, run_batch
from briefkit.bundle import PEER_KPIS, build_bundle, load_bundle
from briefkit.engines import ExecutionOutcome, InProcessExecutor
from briefkit.manifest import verify_manifest
from tests import kpi_fixture
from tests.test_batch import ScriptedExecutor, fake_annex, fake_render, make_notebooks


def doc(unit: str, ext: str, period: str = "2022Q1") -> str:
    """A unit briefing's file name under the default settings (BC-TTHC_<slug>_<period>)."""
    from briefkit.batch import unit_slug

    return f"BC-TTHC_{unit_slug(unit)}_{period}.{ext}"


OVERVIEW = "BC-TTHC_tong-hop_2022Q1"  # the overview's files: OVERVIEW + ".pdf" …
ANNEX = "PL-TTHC_2022Q1.xlsx"

ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
parent_body: "ỦY BAN NHÂN DÂN QUẬN 6"
issuing_body: "VĂN PHÒNG HĐND VÀ UBND"
place: "Quận 6"
date: 2022-04-20
"""
TARGETS = "2022:\n  online_rate: 0.6\n  l3_online_share: {baseline_plus: 0.10}\n"
# A dossier of ward 007 still open at the end of 2022Q1: it changes 007's received and pending
# counts, not its online rate (a share of *resolved* dossiers), so no other unit's slice.
PENDING_007 = "W9,007,2.000002,truc_tiep,10/03/2022,30/03/2022,,False,False,False\n"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return kpi_fixture.write_folder(tmp_path / "data")


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    return make_notebooks(tmp_path / "notebooks")


def scripted(data: Path, out: Path, notebooks: Path, executor: Any = None,
             **options: Any) -> Any:
    return run_batch(RunRequest(data, "2022Q1", out, notebooks=notebooks,
                                **{"workers": 0, **options}),
                     executor=executor or ScriptedExecutor(), renderer=fake_render,
                     annex_writer=fake_annex, progress=False)


def builds(result: Any) -> dict[str, str]:
    manifest = json.loads(result.manifest.read_text("utf-8"))
    rows = {u["unit_id"]: u["build"] for u in manifest["units"]}
    rows.update({name: step["build"] for name, step in manifest["steps"].items()})
    return rows


def outputs(folder: Path) -> dict[str, bytes]:
    """Every file of a run but the manifest (whose times differ) and the lock."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in ("manifest.json", ".briefkit.lock")}


# ---------------------------------------------------------------------------- the bundle


def test_a_slice_round_trips_exactly(data: Path, tmp_path: Path) -> None:
    full = build_bundle(data, "2022Q1", header_file=None)
    part = full.unit_slice("007")
    back = load_bundle(part.save(tmp_path / "slice"))
    for name in ("table", "history", "late"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(part, name))
    assert (back.period, back.unit_id, back.provenance, back.parameters) == \
        (part.period, "007", part.provenance, part.parameters)
    assert back.to_files() == part.to_files()  # the same bytes: the same fingerprint


@pytest.mark.parametrize("world", ["fixture", "merger"])
def test_a_slices_fingerprint_is_that_of_its_own_frames(world: str, tmp_path: Path) -> None:
    """Slices take their row hashes from the whole frames' (hashed once): the same as
    hashing the slice's own frames, for every unit, former units' late dossiers included."""
    import dataclasses

    from tests import merger_fixture

    if world == "fixture":
        full = build_bundle(kpi_fixture.write_folder(tmp_path / "data"), "2022Q1")
    else:
        full = build_bundle(merger_fixture.write_folder(tmp_path / "data"), "2024Q4")
    units = sorted(set(full.table.loc[~full.table["is_rollup"].astype(bool), "unit_id"]))
    assert len(units) >= 3
    for unit in units:
        part = full.unit_slice(unit)
        fresh = dataclasses.replace(part)  # no hashes carried over: computed from its frames
        assert part.fingerprint() == fresh.fingerprint()
        assert part.provenance["data_sha256"] == fresh.fingerprint(provenance=False)
        back = load_bundle(part.save(tmp_path / "slices" / unit))
        assert back.fingerprint() == part.fingerprint()


def test_a_slice_holds_what_the_unit_shows_and_nothing_else(data: Path) -> None:
    full = build_bundle(data, "2022Q1")
    part = full.unit_slice("007")
    others = part.table[part.table["unit_id"] != "007"]
    assert set(others["kpi"]) <= set(PEER_KPIS) and set(others["unit_id"]) == {"AGG"}
    assert set(part.history["unit_id"]) == {"007"}
    assert set(part.late["unit_id"]) <= {"007"}
    # its provenance names the slice, not the whole folder, which changes with any unit
    assert part.provenance["data_sha256"] == part.fingerprint(provenance=False)
    assert part.provenance["data_sha256"] != full.provenance["data_sha256"]
    assert "data_files" not in part.provenance


def test_prepare_by_hand_and_from_the_bundle_agree(data: Path, tmp_path: Path) -> None:
    by_hand = briefing.prepare(data, "2022Q1", unit_id="007")
    folder = build_bundle(data, "2022Q1").unit_slice("007").save(tmp_path / "b")
    batch = briefing.prepare("ignored", "ignored", bundle=folder)
    for name in ("table", "history", "late"):
        pd.testing.assert_frame_equal(getattr(batch, name), getattr(by_hand, name))
    assert batch.provenance == by_hand.provenance
    assert briefing.unit_sentences(batch, "007") == briefing.unit_sentences(by_hand, "007")


def test_custom_decision_766_weights_reach_the_history(data: Path, tmp_path: Path) -> None:
    weights = tmp_path / "index766.yaml"
    weights.write_text("index766_progress: {points: 3, full_at: 1.0}\n"
                       "index766_online: {points: 5, full_at: 0.5}\n", encoding="utf-8")
    default = build_bundle(data, "2022Q1")
    custom = build_bundle(data, "2022Q1", index766_file=weights)

    def points(bundle: Any, frame: str) -> pd.Series:
        rows = getattr(bundle, frame)
        if frame == "history":
            rows = rows[rows["period_order"] == rows["period_order"].max()]
        rows = rows[rows["kpi"].str.startswith("index766")]
        return rows.set_index(["unit_id", "kpi"])["value"].sort_index()

    pd.testing.assert_series_equal(points(custom, "history"), points(custom, "table"))
    assert not points(custom, "history").equals(points(default, "history"))
    # and the sentences say "x/3 điểm", "x/5 điểm": the weights the figures were computed with
    assert custom.points == {"index766_progress": 3.0, "index766_online": 5.0}
    for bundle, most in ((custom, ("/3 điểm", "/5 điểm")), (default, ("/20 điểm", "/12 điểm"))):
        sliced = load_bundle(bundle.unit_slice("TP").save(tmp_path / f"slice-{most[0][1:3]}"))
        said = " ".join(briefing.unit_sentences(briefing.Briefing.from_bundle(sliced), "TP"))
        assert all(text in said for text in most), said


# ----------------------------------------------------------------------- incremental runs


def test_a_rerun_slices_only_the_units_that_run(data: Path, tmp_path: Path, notebooks: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The slices' keys are kept with the prepared data: a run with the same inputs knows
    every step's input key without slicing, and slices only for the steps that run."""
    from briefkit.bundle import Bundle

    out = tmp_path / "out"
    first = scripted(data, out, notebooks)
    original, sliced = Bundle.unit_slice, []

    def counting(self: Bundle, unit_id: str) -> Bundle:
        sliced.append(unit_id)
        return original(self, unit_id)

    monkeypatch.setattr(Bundle, "unit_slice", counting)
    again = scripted(data, out, notebooks)
    manifest = json.loads(again.manifest.read_text("utf-8"))
    assert manifest["parameters"]["prepared"] == "cached"
    assert sliced == ["EMPTY"]  # the unit that failed runs again, nothing else is sliced
    assert outputs(again.folder) == outputs(first.folder)
    sliced.clear()
    forced = scripted(data, out, notebooks, force=True)
    assert sorted(sliced) == sorted(u.unit_id for u in forced.units)  # once each
    assert outputs(forced.folder) == outputs(first.folder)


def test_an_unchanged_rerun_reuses_everything(data: Path, tmp_path: Path,
                                              notebooks: Path) -> None:
    out = tmp_path / "out"
    first = scripted(data, out, notebooks)
    assert set(builds(first).values()) == {"rebuilt"}
    assert [u.unit_id for u in first.failed_units] == ["EMPTY"]  # fake_render fails it
    before = outputs(first.folder)
    executor = ScriptedExecutor()
    again = scripted(data, out, notebooks, executor)
    # only the unit that failed runs again: a failure is never reused
    assert [c["unit_id"] for c in executor.calls] == ["EMPTY"]
    assert {k for k, v in builds(again).items() if v == "rebuilt"} == {"EMPTY"}
    assert outputs(again.folder) == before
    assert verify_manifest(again.manifest) == []
    assert again.summary()["reused"] == len(again.steps) - 1


def test_one_units_data_changed_rebuilds_that_unit_the_overview_and_the_annex(
        data: Path, tmp_path: Path, notebooks: Path) -> None:
    out = tmp_path / "out"
    scripted(data, out, notebooks)
    with (data / "dossiers.csv").open("a", encoding="utf-8") as handle:
        handle.write(PENDING_007)
    executor = ScriptedExecutor()
    result = scripted(data, out, notebooks, executor)
    assert builds(result) == {"TP": "reused", "007": "rebuilt", "EMPTY": "rebuilt",
                              "AGG": "reused", "overview": "rebuilt", "annex": "rebuilt"}
    assert sorted(c.get("unit_id", "*overview") for c in executor.calls) == \
        ["*overview", "007", "EMPTY"]
    assert verify_manifest(result.manifest) == []


def test_force_and_damaged_outputs_rebuild(data: Path, tmp_path: Path,
                                           notebooks: Path) -> None:
    out = tmp_path / "out"
    first = scripted(data, out, notebooks)
    (first.folder / "AGG" / doc("AGG", "pdf")).write_bytes(b"edited by hand")
    result = scripted(data, out, notebooks)
    assert builds(result)["AGG"] == "rebuilt"
    assert (result.folder / "AGG" / doc("AGG", "pdf")).read_bytes() == b"%PDF-1.4 AGG"
    assert {k for k, v in builds(result).items() if v == "rebuilt"} == {"AGG", "EMPTY"}
    forced = scripted(data, out, notebooks, force=True)
    assert set(builds(forced).values()) == {"rebuilt"}


def test_a_new_notebook_rebuilds_every_unit(data: Path, tmp_path: Path,
                                            notebooks: Path) -> None:
    out = tmp_path / "out"
    scripted(data, out, notebooks)
    unit = notebooks / "unit_briefing.ipynb"
    nb = nbformat.read(unit, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Một đoạn mới."))
    nbformat.write(nb, unit)
    result = scripted(data, out, notebooks)
    assert builds(result) == {"TP": "rebuilt", "007": "rebuilt", "EMPTY": "rebuilt",
                              "AGG": "rebuilt", "overview": "reused", "annex": "reused"}


def prepared_from(result: Any) -> str:
    return json.loads(result.manifest.read_text("utf-8"))["parameters"]["prepared"]


def test_prepared_data_is_reused_only_for_the_same_inputs(data: Path, tmp_path: Path,
                                                          notebooks: Path) -> None:
    out = tmp_path / "out"
    first = scripted(data, out, notebooks)
    kpis = first.kpis.read_bytes()
    assert prepared_from(first) == "computed"
    again = scripted(data, out, notebooks)
    assert prepared_from(again) == "cached"  # nothing loaded, validated or computed again
    assert again.kpis.read_bytes() == kpis
    assert [str(w) for w in again.data_warnings] == [str(w) for w in first.data_warnings]
    targets = tmp_path / "targets.yaml"
    targets.write_text(TARGETS, encoding="utf-8")
    other = run_batch(RunRequest(data, "2022Q1", out, notebooks=notebooks, workers=0,
                                 targets=targets), executor=ScriptedExecutor(),
                      renderer=fake_render, annex_writer=fake_annex, progress=False)
    assert prepared_from(other) == "computed"
    cache = first.folder / ".briefkit"
    assert len(list(cache.iterdir())) == 1  # only the newest is kept
    for plan in cache.glob("*/plan.json"):
        plan.write_text("{not json", encoding="utf-8")  # damaged: computed again, no failure
    damaged = run_batch(RunRequest(data, "2022Q1", out, notebooks=notebooks, workers=0,
                                   targets=targets), executor=ScriptedExecutor(),
                        renderer=fake_render, annex_writer=fake_annex, progress=False)
    assert prepared_from(damaged) == "computed" and damaged.kpis.read_bytes() == \
        other.kpis.read_bytes()
    assert prepared_from(scripted(data, out, notebooks, force=True)) == "computed"


# ------------------------------------------------------------------------ worker processes


class DyingExecutor(ScriptedExecutor):
    """Kills its worker process in the middle of unit 007."""

    name = "dying"

    def execute(self, notebook: Path, output: Path,
                parameters: Mapping[str, Any]) -> ExecutionOutcome:
        if parameters.get("unit_id") == "007":
            os._exit(3)
        return super().execute(notebook, output, parameters)


def test_a_worker_that_dies_fails_its_unit_alone(data: Path, tmp_path: Path,
                                                 notebooks: Path) -> None:
    result = scripted(data, tmp_path / "out", notebooks, DyingExecutor(), workers=2)
    status = {u.unit_id: (u.status, u.error) for u in result.units}
    assert status["007"] == ("failed", "the worker process died (exit code 3) while running "
                                       "this task")
    # the others complete (EMPTY fails in fake_render, as always)
    assert {u for u, (s, _) in status.items() if s != "ok"} == {"007", "EMPTY"}
    assert result.overview.ok and result.annex.ok
    assert not (result.folder / "007").exists()
    assert verify_manifest(result.manifest) == []


def test_a_unit_over_the_time_limit_is_stopped(data: Path, tmp_path: Path,
                                               notebooks: Path) -> None:
    result = scripted(data, tmp_path / "out", notebooks, SleepyExecutor(), workers=2,
                      timeout=5)
    status = {u.unit_id: (u.status, u.error) for u in result.units}
    assert status["TP"] == ("failed", "timed out after 5 s")
    assert {u for u, (s, _) in status.items() if s != "ok"} == {"TP", "EMPTY"}


def _explode() -> None:
    raise RuntimeError("this executor cannot be loaded in a worker")


class Unloadable(ScriptedExecutor):
    """Pickles, but cannot be unpickled: every worker process dies while it starts."""

    name = "unloadable"

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return _explode, ()


def test_workers_that_cannot_start_fail_every_step_instead_of_retrying_forever(
        data: Path, tmp_path: Path, notebooks: Path) -> None:
    result = scripted(data, tmp_path / "out", notebooks, Unloadable(), workers=2)
    assert result.steps and all(not step.ok for step in result.steps)
    assert {step.error for step in result.steps} == {
        "no worker process could start (the last exited with code 1; its error is on stderr). "
        "A script that runs the batch must start it under `if __name__ == \"__main__\":` "
        "(worker processes import the script), or run with workers=0"}
    assert verify_manifest(result.manifest) == []


def test_closing_the_pool_ends_its_idle_workers_cleanly(data: Path, tmp_path: Path,
                                                        notebooks: Path) -> None:
    from briefkit.workers import LocalPool, WorkerContext

    pool = LocalPool(WorkerContext(ScriptedExecutor()), 2)
    result = run_batch(RunRequest(data, "2022Q1", tmp_path / "out", notebooks=notebooks,
                                  workers=2), executor=ScriptedExecutor(),
                       renderer=fake_render, annex_writer=fake_annex, progress=False,
                       pool=pool)
    assert result.overview.ok and pool._workers  # the caller's pool: still open
    processes = [worker.process for worker in pool._workers]
    assert all(process.is_alive() for process in processes)
    pool.close()
    assert pool._workers == []
    assert [process.exitcode for process in processes] == [0, 0]  # told, not killed


class CollectorProbe(ScriptedExecutor):
    """Records, in each unit's folder, how the cyclic garbage collector is set where it runs."""

    name = "collector-probe"

    def execute(self, notebook: Path, output: Path,
                parameters: Mapping[str, Any]) -> ExecutionOutcome:
        import gc

        outcome = super().execute(notebook, output, parameters)
        Path(parameters["output_dir"], "extra.txt").write_text(json.dumps(
            {"threshold": gc.get_threshold()[0], "frozen": gc.get_freeze_count()}),
            encoding="utf-8")
        return outcome


def test_workers_keep_what_they_imported_out_of_the_collectors_way(
        data: Path, tmp_path: Path, notebooks: Path) -> None:
    import gc

    from briefkit.workers.pools import WORKER_GC_THRESHOLD

    result = scripted(data, tmp_path / "out", notebooks, CollectorProbe(), workers=2)
    states = [json.loads((result.folder / unit.slug / "extra.txt").read_text(encoding="utf-8"))
              for unit in result.units if unit.ok]
    assert states and all(state["threshold"] == WORKER_GC_THRESHOLD for state in states)
    # the warm-up's objects: briefkit, pandas, matplotlib, WeasyPrint and the shell
    assert all(state["frozen"] > 50_000 for state in states)
    # the driver's own collector is left as it was (it may be a user's notebook)
    assert gc.get_threshold()[0] != WORKER_GC_THRESHOLD and gc.get_freeze_count() == 0


class SleepyExecutor(ScriptedExecutor):
    """Never finishes unit TP."""

    name = "sleepy"

    def execute(self, notebook: Path, output: Path,
                parameters: Mapping[str, Any]) -> ExecutionOutcome:
        if parameters.get("unit_id") == "TP":
            import time

            time.sleep(3600)
        return super().execute(notebook, output, parameters)


# ----------------------------------------------------------------- the in-process engine


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def test_in_process_keeps_papermills_semantics(tmp_path: Path) -> None:
    source = _notebook(tmp_path / "in.ipynb", "leak = x * 2\nleak", "print('hi')",
                       "from IPython.display import HTML, display\ndisplay(HTML('<b>b</b>'))",
                       "raise ValueError(f'bad {x}')", "after = 1")
    executor = InProcessExecutor()
    outcome = executor.execute(source, tmp_path / "out.ipynb", {"x": 21})
    assert not outcome.ok and outcome.error == "ValueError: bad 21 (cell 6)"
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    marker, _, injected, *cells = nb.cells
    assert "An Exception was encountered" in marker.source  # papermill's marker, on top
    assert "injected-parameters" in injected.metadata.tags
    assert injected.source == "# Parameters\nx = 21\n"
    assert injected.id == "briefkit-2"  # cells added during execution: fixed ids
    result, stream, display, in_place, error, after = cells
    assert result.outputs[0]["output_type"] == "execute_result"
    assert result.outputs[0]["data"]["text/plain"] == "42"
    assert nb.cells[1].execution_count == 1  # every notebook starts at In [1]
    assert result.execution_count == result.outputs[0]["execution_count"] == 3
    assert 'id="papermill-error-cell"' in in_place.source  # papermill's link to the error
    assert stream.outputs[0]["text"] == "hi\n"
    assert display.outputs[0]["data"]["text/html"] == "<b>b</b>"
    assert error.outputs[0]["ename"] == "ValueError"
    assert after.outputs == [] and after.execution_count is None  # stopped at the error
    assert nb.metadata.papermill["start_time"] is None  # no wall clock in the file
    # a fresh namespace for the next notebook
    probe = _notebook(tmp_path / "probe.ipynb", "'leak' in dir()")
    assert executor.execute(probe, tmp_path / "probe-out.ipynb", {}).ok
    cell = nbformat.read(tmp_path / "probe-out.ipynb", as_version=4).cells[-1]
    assert cell.outputs[0]["data"]["text/plain"] == "False"


# --------------------------------------------- the same files, however they were produced


def _cli_run(data: Path, base: Path, out: Path, *extra: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    done = subprocess.run(
        [sys.executable, "-m", "briefkit", "run", "--data", str(data), "--period", "2022Q1",
         "--targets", str(base / "targets.yaml"), "--header", str(base / "header.yaml"),
         "--units", "TP,007", "--notebooks", str(ROOT / "notebooks"), "--out", str(out),
         "--no-progress", *extra], capture_output=True, text=True, env=env, cwd=base)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """The real notebooks on the fixture district, three ways: two separate `briefkit run`
    processes (2 warm workers; 1 worker), and in this process on fresh Jupyter kernels.
    The header fixes the documents' date, and SOURCE_DATE_EPOCH is unset: nothing may
    depend on the clock."""
    base = tmp_path_factory.mktemp("same")
    data = kpi_fixture.write_folder(base / "data")
    (base / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    (base / "header.yaml").write_text(HEADER, encoding="utf-8")
    _cli_run(data, base, base / "a", "--workers", "2")
    _cli_run(data, base, base / "b", "--workers", "1")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        cold = run_batch(RunRequest(data, "2022Q1", base / "c", targets=base / "targets.yaml",
                                    header=base / "header.yaml", units=["TP", "007"],
                                    notebooks=ROOT / "notebooks", executor="papermill",
                                    workers=0), progress=False)
    assert cold.exit_code == 0, [s.error for s in cold.steps]
    return {name: outputs(base / name / "2022Q1") for name in "abc"}


def test_two_processes_and_worker_counts_give_the_same_bytes(
        three_runs: dict[str, dict[str, bytes]]) -> None:
    a, b = three_runs["a"], three_runs["b"]
    assert {f"TP/{doc('TP', 'pdf')}", f"007/{doc('007', 'html')}", f"{OVERVIEW}.pdf", ANNEX,
            "kpis.csv"} <= set(a)
    assert sorted(a) == sorted(b)
    assert [name for name in a if a[name] != b[name]] == []


def test_warm_in_process_and_cold_kernels_give_the_same_documents(
        three_runs: dict[str, dict[str, bytes]]) -> None:
    warm, cold = three_runs["a"], three_runs["c"]
    assert sorted(warm) == sorted(cold)
    documents = [n for n in warm if not n.endswith(".ipynb")]
    assert [n for n in documents if warm[n] != cold[n]] == []
    for name in (n for n in warm if n.endswith(".ipynb")):  # the same cells and outputs
        w, c = (nbformat.reads(x[name].decode("utf-8"), as_version=4) for x in (warm, cold))
        assert [(x.source, x.get("outputs")) for x in w.cells] == \
            [(x.source, x.get("outputs")) for x in c.cells], name
