"""Old or new, never a mix: ``briefkit run`` killed with SIGKILL at every point where the output
folder changes leaves ``OUT/<period>`` as the complete previous run or the complete new one,
its manifest matching its files; the next run completes and leaves no debris.

The kills are deterministic: ``BRIEFKIT_FAILPOINT`` names the point where the run kills
itself (:mod:`briefkit.failpoints`), so every point is hit on every test run, whatever the
machine's speed. The second run's data differ from the first's (one more dossier for unit
007), so a folder mixing the two runs' files would disagree with either manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from briefkit.failpoints import ENV
from briefkit.manifest import MANIFEST_NAME, verify_manifest
from tests.test_batch import make_data, make_notebooks

#: The points, in the order a run reaches them (see briefkit.batch and .publish).
POINTS = ("prepared", "begun", "step-published", "manifest", "switch", "switched")
#: Before "switched" the folder must still be the previous run; from it, the new one.
SWITCHED_FROM = POINTS.index("switched")
EXTRA_DOSSIER = "D99,007,1.000001,truc_tuyen,03/03/2022,10/03/2022,08/03/2022,False,False,False\n"


def run(data: Path, notebooks: Path, out: Path, point: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1650412800"}
    env.pop(ENV, None)
    if point is not None:
        env[ENV] = point
    return subprocess.run(
        [sys.executable, "-m", "briefkit", "run", "--data", str(data), "--period", "2022Q1",
         "--units", "007,AGG", "--notebooks", str(notebooks), "--out", str(out),
         "--workers", "0", "--no-progress"],
        capture_output=True, text=True, env=env, timeout=600)


def state(folder: Path) -> dict[str, str]:
    """The complete, consistent folder's manifest outputs (relative path → sha256); fails
    the test when the folder is missing, half-written or mixed."""
    assert folder.is_dir(), "the period folder vanished"
    manifest = folder / MANIFEST_NAME
    assert manifest.is_file(), "no manifest: the folder is not a complete run"
    assert verify_manifest(manifest, inputs=False) == []
    listed = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
    visible = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
               if p.is_file() and not any(part.startswith(".") for part in
                                          p.relative_to(folder).parts)}
    assert visible == set(listed) | {MANIFEST_NAME}, "files the manifest does not list"
    # the fixture notebook's marker.json records its working folder: it differs by --out
    return {rel: entry["sha256"] for rel, entry in listed.items()
            if not rel.endswith("marker.json")}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | dict[str, str]]:
    root = tmp_path_factory.mktemp("crash")
    data = make_data(root / "data")
    notebooks = make_notebooks(root / "notebooks")
    done = run(data, notebooks, root / "first")
    assert done.returncode == 0, done.stdout + done.stderr
    old = state(root / "first" / "2022Q1")
    with (data / "dossiers.csv").open("a", encoding="utf-8") as handle:
        handle.write(EXTRA_DOSSIER)  # the next runs' data: 007 and the roll-ups change
    done = run(data, notebooks, root / "second")
    assert done.returncode == 0, done.stdout + done.stderr
    new = state(root / "second" / "2022Q1")
    assert old["kpis.csv"] != new["kpis.csv"]
    return {"root": root, "data": data, "notebooks": notebooks, "old": old, "new": new}


@pytest.mark.parametrize("point", POINTS)
def test_killed_run_leaves_old_or_new_never_a_mix(world: dict, point: str) -> None:
    root: Path = world["root"]
    out = root / f"kill-{point}"
    shutil.copytree(root / "first", out, symlinks=True)  # the previous, complete run
    killed = run(world["data"], world["notebooks"], out, point)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    expected = world["new"] if POINTS.index(point) >= SWITCHED_FROM else world["old"]
    assert state(out / "2022Q1") == expected

    done = run(world["data"], world["notebooks"], out)  # the next run sweeps and completes
    assert done.returncode == 0, done.stdout + done.stderr
    assert state(out / "2022Q1") == world["new"]
    assert sorted(p.name for p in out.iterdir()) == [".briefkit-2022Q1.lock", "2022Q1"]
    assert [p for p in (out / "2022Q1").rglob("*") if ".part" in p.name] == []


def test_a_busy_folder_has_its_own_exit_status(world: dict) -> None:
    fcntl = pytest.importorskip("fcntl")
    out: Path = world["root"] / "busy"
    out.mkdir()
    with open(out / ".briefkit-2022Q1.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = run(world["data"], world["notebooks"], out)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "another briefkit run" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == [".briefkit-2022Q1.lock"]
