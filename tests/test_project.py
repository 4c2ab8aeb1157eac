"""The files briefkit ships (briefkit.packaged) and ``briefkit init`` (briefkit.project), in
this checkout's editable install; tests/test_install.py does the same from a built wheel."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefkit import packaged, project
from briefkit.batch.plan import default_header_file, default_notebooks_dir
from briefkit.cli import app
from briefkit.kpis import DEFAULT_INDEX766_FILE
from briefkit.render import TEMPLATES_DIR

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = ["README.md", "data", "notebooks", "notebooks/overview.ipynb",
          "notebooks/unit_briefing.ipynb", "outputs", "outputs/.gitignore", "params",
          "params/header.yaml", "params/index766.yaml", "params/targets.yaml"]
DEMO_TABLES = ["units.csv", "procedures.csv", "dossiers.csv"]


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.fixture
def no_demo(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Stand-in for the demo generator (fast): records where it was asked to write."""
    calls: list[Path] = []

    def generate(out_dir: str | Path) -> dict[str, Path]:
        out = Path(out_dir)
        out.mkdir(parents=True)
        calls.append(out)
        (out / "dossiers.csv").write_text("dossier_id,received_at\nA,2022-08-01 08:00\n",
                                          encoding="utf-8")
        return {"dossiers": out / "dossiers.csv"}

    monkeypatch.setattr("briefkit.demo.generate", generate)
    return calls


def test_the_checkout_is_the_one_source_of_the_shipped_files() -> None:
    # Editable install: no copies in the package, the top-level folders themselves.
    assert packaged.checkout_root() == ROOT
    assert packaged.notebooks_dir() == ROOT / "notebooks"
    assert packaged.params_dir() == ROOT / "params"
    assert packaged.notebook_path("unit_briefing.ipynb").is_file()
    assert packaged.params_path("header.yaml").is_file()
    assert not (ROOT / "lib" / "briefkit" / "resources" / "notebooks").exists()
    assert not (ROOT / "lib" / "briefkit" / "resources" / "params").exists()
    assert packaged.templates_dir() == ROOT / "lib" / "briefkit" / "resources" / "templates"
    assert packaged.templates_dir() == TEMPLATES_DIR
    assert DEFAULT_INDEX766_FILE == ROOT / "params" / "index766.yaml"


def test_a_project_folder_wins_over_the_shipped_files(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_notebooks_dir() == packaged.notebooks_dir()
    assert default_header_file() == packaged.params_path("header.yaml")
    project.init_project(tmp_path / "p", demo=False)
    monkeypatch.chdir(tmp_path / "p")
    assert default_notebooks_dir() == tmp_path / "p" / "notebooks"
    assert default_header_file() == tmp_path / "p" / "params" / "header.yaml"


def test_init_writes_the_layout_with_the_demo(tmp_path: Path) -> None:
    result = project.init_project(tmp_path / "proj")  # the real demo generator
    folder = tmp_path / "proj"
    assert result.folder == folder and result.demo
    assert set(LAYOUT) <= set(tree(folder))
    assert all((folder / "data" / "demo" / name).is_file() for name in DEMO_TABLES)
    assert {p.as_posix() for p in result.files} >= {
        "notebooks/unit_briefing.ipynb", "params/targets.yaml", "data/demo/dossiers.csv",
        "outputs/.gitignore", "README.md"}
    for name in ("unit_briefing.ipynb", "overview.ipynb"):  # copies of the shipped files
        assert (folder / "notebooks" / name).read_bytes() == packaged.notebook_path(
            name).read_bytes()
    for name in ("targets.yaml", "index766.yaml", "header.yaml"):
        assert (folder / "params" / name).read_bytes() == packaged.params_path(name).read_bytes()
    assert (folder / "outputs" / ".gitignore").read_text(encoding="utf-8").splitlines()[-2:] == [
        "*", "!.gitignore"]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert result.period is not None
    assert (f"briefkit run --data data/demo --period {result.period} --targets "
            "params/targets.yaml --out outputs") in readme
    assert "Dự án báo cáo briefkit" in readme and "A briefkit project" in readme
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_init_without_the_demo(tmp_path: Path, no_demo: list[Path]) -> None:
    result = project.init_project(tmp_path / "proj", demo=False)
    written = tree(tmp_path / "proj")
    assert set(LAYOUT) <= set(written) and not no_demo
    assert [p for p in written if p.startswith("data")] == ["data"]
    assert {p for p in written if p.startswith("params/")} == {
        f"params/{p.name}" for p in packaged.params_dir().glob("*.yaml")}
    assert result.period is None
    readme = (tmp_path / "proj" / "README.md").read_text(encoding="utf-8")
    assert "briefkit demo-data --out data/demo" in readme


def test_init_takes_an_empty_folder_and_refuses_a_full_one(tmp_path: Path,
                                                         no_demo: list[Path]) -> None:
    (tmp_path / "empty").mkdir()
    inode = (tmp_path / "empty").stat().st_ino
    project.init_project(tmp_path / "empty")
    assert (tmp_path / "empty").stat().st_ino == inode  # the same folder (`briefkit init .`)
    assert no_demo and no_demo[0].name == "demo"
    assert (tmp_path / "empty" / "data" / "demo" / "dossiers.csv").is_file()
    full = tmp_path / "full"
    full.mkdir()
    (full / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(project.ProjectError, match=str(full)):  # "… is not empty …"
        project.init_project(full)
    assert tree(full) == ["mine.txt"]
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(project.ProjectError, match=str(tmp_path / "file")):
        project.init_project(tmp_path / "file")


def test_force_writes_its_files_and_keeps_the_others(tmp_path: Path,
                                                     no_demo: list[Path]) -> None:
    folder = tmp_path / "proj"
    (folder / "params").mkdir(parents=True)
    (folder / "params" / "targets.yaml").write_text("old", encoding="utf-8")
    (folder / "params" / "mine.yaml").write_text("mine", encoding="utf-8")
    (folder / "data" / "demo").mkdir(parents=True)
    (folder / "data" / "demo" / "stale.csv").write_text("old demo", encoding="utf-8")
    (folder / "data" / "real").mkdir()
    (folder / "data" / "real" / "units.csv").write_text("real", encoding="utf-8")
    project.init_project(folder, force=True)
    assert (folder / "params" / "targets.yaml").read_bytes() == packaged.params_path(
        "targets.yaml").read_bytes()
    assert (folder / "params" / "mine.yaml").read_text(encoding="utf-8") == "mine"
    assert (folder / "data" / "real" / "units.csv").read_text(encoding="utf-8") == "real"
    assert tree(folder / "data" / "demo") == ["dossiers.csv"]  # the demo is replaced whole
    assert set(LAYOUT) <= set(tree(folder))


def test_a_failure_leaves_nothing_half_written(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(out_dir: str | Path) -> dict[str, Path]:
        Path(out_dir).mkdir(parents=True)
        (Path(out_dir) / "units.csv").write_text("half", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr("briefkit.demo.generate", broken)
    with pytest.raises(OSError, match="disk full"):
        project.init_project(tmp_path / "proj")
    assert list(tmp_path.iterdir()) == []


def test_the_init_command(tmp_path: Path, no_demo: list[Path]) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(tmp_path / "proj"), "--no-demo"])
    assert result.exit_code == 0, result.output
    assert set(LAYOUT) <= set(tree(tmp_path / "proj")) and not no_demo
    again = runner.invoke(app, ["init", str(tmp_path / "proj")])
    assert again.exit_code == 2 and not no_demo
    forced = runner.invoke(app, ["init", str(tmp_path / "proj"), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "proj" / "data" / "demo" / "dossiers.csv").is_file()
