"""A real install: the sdist and the wheel built from this working tree, the wheel installed
into a fresh virtual environment outside the checkout, then ``briefkit init``, ``briefkit
demo-data`` and ``briefkit run`` for two units there, as an analyst would.

Nothing is downloaded: the build uses this environment's setuptools (``--no-build-isolation``)
and the new environment finds briefkit's dependencies through a ``.pth`` file naming this
environment's site-packages (and nbconvert's templates through ``JUPYTER_PATH``), while
briefkit itself comes from the wheel alone (the checkout's ``lib/`` is not importable there:
checked).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
#: Top-level entries of the working tree the build does not need.
NOT_BUILT = {".git", ".venv", ".ci", "outputs", "data", "tests", "benchmarks", "docs", "build",
             "dist", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


def _ignore(folder: str, names: list[str]) -> set[str]:
    skipped = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
    if Path(folder) == ROOT:
        skipped |= NOT_BUILT & set(names)
    return skipped


def _run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, (f"{' '.join(map(str, args))} exited {done.returncode}\n"
                                  f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist from a copy of the working tree (the checkout gets no build/ or egg-info), then
    the wheel from that sdist, as ``pip install briefkit`` builds it."""
    work = tmp_path_factory.mktemp("build")
    source, dist = work / "source", work / "dist"
    shutil.copytree(ROOT, source, ignore=_ignore)
    _run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
          "build_meta.build_sdist(sys.argv[1])", dist], cwd=source)
    (sdist,) = dist.glob("briefkit-*.tar.gz")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "-q", "-w", dist, sdist], cwd=work)
    (built,) = dist.glob("briefkit-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> Callable[..., subprocess.CompletedProcess[str]]:
    """A fresh venv with the wheel installed; returns ``run(args, cwd)`` for its commands."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", venv], cwd=venv.parent)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=venv).stdout.strip())
    # The dependencies, from this environment without downloading them (its own .pth files,
    # the editable briefkit's among them, are not processed from a path line).
    (site / "briefkit-test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], cwd=venv)
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", PYTHONNOUSERSITE="1",
               VIRTUAL_ENV=str(venv),
               # nbconvert's own templates (base, lab), which the briefing template extends, are
               # data files of the environment nbconvert was installed into: this one
               JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"))

    def run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
        return _run(args, cwd=cwd, env=env)

    run.site = site  # type: ignore[attr-defined]
    return run


def _requirements(specs: list[str]) -> dict[str, str]:
    """``{name: version specifier}``, names normalised (conda-forge's distributed is what
    pip's dask[distributed] brings)."""
    result = {}
    for spec in specs:
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*(.*)", spec.strip())
        assert match, spec
        name = match.group(1).lower().replace("_", "-").replace("dask[distributed]",
                                                                "distributed")
        result[name] = match.group(2).replace(" ", "")
    return result


def test_environment_yml_is_in_step_with_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    pip_side = _requirements([*project["dependencies"], *extras["dev"], *extras["dask"]])
    conda = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda_side = _requirements([d for d in conda["dependencies"] if isinstance(d, str)])
    assert conda_side.pop("python") == project["requires-python"]
    conda_side.pop("pip")
    assert conda_side == pip_side


@pytest.mark.slow
def test_the_wheel_ships_the_notebooks_params_and_templates(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("notebooks/unit_briefing.ipynb", "notebooks/overview.ipynb",
                    "params/targets.yaml", "params/index766.yaml", "params/header.yaml",
                    "templates/briefing/index.html.j2", "templates/briefing/conf.json",
                    "templates/briefing/static/briefing.css"):
        assert f"briefkit/resources/{shipped}" in names
    # byte for byte the repository's files: they are their only copy
    with zipfile.ZipFile(wheel) as archive:
        for folder in ("notebooks", "params"):
            for path in (ROOT / folder).iterdir():
                if path.suffix in {".ipynb", ".yaml"}:
                    assert archive.read(f"briefkit/resources/{folder}/{path.name}") == \
                        path.read_bytes(), path


@pytest.mark.slow
def test_init_demo_data_and_run_in_a_fresh_environment(
        installed: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    site: Path = installed.site  # type: ignore[attr-defined]
    where = json.loads(installed(["python", "-c", (
        "import json, briefkit, briefkit.packaged as p; print(json.dumps({'file': "
        "briefkit.__file__, 'version': briefkit.__version__, 'root': str(p.checkout_root()), "
        "'dirs': [str(p.notebooks_dir()), str(p.params_dir()), str(p.templates_dir())]}))")],
        cwd=tmp_path).stdout)
    assert Path(where["file"]).is_relative_to(site)  # the wheel, not the checkout's lib/
    assert where["root"] == "None" and where["version"] != "0.0.0+unknown"
    assert all(Path(d).is_relative_to(site / "briefkit" / "resources") for d in where["dirs"])

    installed(["briefkit", "init", "proj", "--no-demo"], cwd=tmp_path)
    proj = tmp_path / "proj"
    assert (proj / "notebooks" / "unit_briefing.ipynb").is_file()
    assert (proj / "params" / "targets.yaml").is_file()
    assert (proj / "outputs" / ".gitignore").is_file() and (proj / "README.md").is_file()
    installed(["briefkit", "demo-data", "--dossiers", "20000"], cwd=proj)  # → data/demo

    dossiers = pd.read_csv(proj / "data" / "demo" / "dossiers.csv", dtype=str,
                           usecols=["unit_id", "received_at"])
    received = pd.to_datetime(dossiers["received_at"])
    last = received.max()
    period = f"{last.year}Q{last.quarter}"  # the demo's latest quarter
    in_period = dossiers[received.dt.to_period("Q") == last.to_period("Q")]
    units = in_period["unit_id"].value_counts().index[:2].tolist()  # its two busiest units
    installed(["briefkit", "run", "--data", "data/demo", "--period", period, "--targets",
               "params/targets.yaml", "--units", ",".join(units), "--out", "outputs",
               "--no-progress"], cwd=proj)

    folder = proj / "outputs" / period
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["summary"]["status"] == "ok"
    assert [(u["unit_id"], u["status"]) for u in manifest["units"]] == [
        (u, "ok") for u in sorted(units, key=[u["unit_id"] for u in manifest["units"]].index)]
    assert manifest["briefkit_version"] == where["version"]
    for unit in units:  # the shipped header's file names: BC-TTHC_<unit>_<period>
        pdf = folder / unit / f"BC-TTHC_{unit}_{period}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-"), pdf
        assert (folder / unit / f"BC-TTHC_{unit}_{period}.html").is_file()
    assert (folder / f"BC-TTHC_tong-hop_{period}.pdf").read_bytes().startswith(b"%PDF-")
    assert (folder / f"PL-TTHC_{period}.xlsx").is_file() and (folder / "kpis.csv").is_file()
    inputs = manifest["inputs"]
    # the project's own notebooks and settings; the weights shipped in the wheel
    assert Path(inputs["unit_notebook"]["path"]) == proj / "notebooks" / "unit_briefing.ipynb"
    assert Path(inputs["header"]["path"]) == proj / "params" / "header.yaml"
    assert Path(inputs["index766"]["path"]) == (site / "briefkit" / "resources" / "params"
                                                / "index766.yaml")
