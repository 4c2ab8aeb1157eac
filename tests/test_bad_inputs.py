"""The corpus of malformed and hostile inputs (``tests/bad_inputs/cases.yaml``): each case is a
change to the fixture data folder or to the command line, and the CLI must answer it with a
clear error (the expected message and exit status), never a traceback, and write nothing.

``python -m tests.test_bad_inputs`` prints the corpus's summary line (cases, clear errors,
tracebacks, cases that wrote something)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from briefkit.cli import app
from tests import kpi_fixture

CASES_FILE = Path(__file__).parent / "bad_inputs" / "cases.yaml"
CASES: dict[str, dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


def prepare(case: dict[str, Any], root: Path) -> tuple[Path, Path, list[str]]:
    """The case's data folder, output folder and command line."""
    data = kpi_fixture.write_folder(root / "data")
    for name, text in (case.get("files") or {}).items():
        if text is None:
            (data / name).unlink()
        else:
            (data / name).write_text(text, encoding="utf-8")
    for name in case.get("mkdir") or []:
        (data / name).mkdir()
    for name, hexed in (case.get("bytes") or {}).items():
        (data / name).write_bytes(bytes.fromhex(hexed))
    for name, text in (case.get("append") or {}).items():
        with (data / name).open("a", encoding="utf-8") as handle:
            handle.write(text)
    for name, (old, new) in (case.get("replace") or {}).items():
        content = (data / name).read_text(encoding="utf-8")
        assert old in content, f"{name}: {old!r} not found"
        (data / name).write_text(content.replace(old, new, 1), encoding="utf-8")
    out = root / "out"
    if case.get("pre_out_file"):
        (root / "afile-out").write_text("x", encoding="utf-8")
    extra = [a.replace("{data}", str(data)).replace("{out}", str(out))
             for a in case.get("args") or []]
    args = [case.get("command", "kpis"), "--data", str(data), "--period", "2022Q1",
            "--out", str(out)]
    for i in range(0, len(extra), 2):  # later options win: drop the defaults they replace
        if extra[i] in args and extra[i] != "--units":
            at = args.index(extra[i])
            del args[at:at + 2]
    if case.get("command") == "run":
        args.append("--no-progress")
    return data, out, args + extra


def answer(case: dict[str, Any], root: Path) -> tuple[int, str, bool, Path]:
    """Exit status, output, whether a traceback was printed, the output folder."""
    _, out, args = prepare(case, root)
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300", "LANG": "en_US.UTF-8"})
    traceback = result.exception is not None and not isinstance(result.exception, SystemExit)
    return result.exit_code, result.output, traceback or "Traceback" in result.output, out


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_its_clear_error(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    status, output, traceback, out = answer(case, tmp_path)
    assert not traceback, output
    assert status == case["expect"]["exit"], output
    assert case["expect"]["message"] in output, output
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert written == [], written  # nothing written


def summary(root: Path) -> str:
    clear = tracebacks = wrote = 0
    for i, case in enumerate(CASES.values()):
        status, output, traceback, out = answer(case, root / str(i))
        tracebacks += traceback
        wrote += bool(out.exists() and any(p.is_file() for p in out.rglob("*")))
        clear += (not traceback and status == case["expect"]["exit"]
                  and case["expect"]["message"] in output)
    return (f"bad inputs: {len(CASES)} cases, {clear} clear errors, {tracebacks} tracebacks, "
            f"{wrote} wrote something")


if __name__ == "__main__":  # python -m tests.test_bad_inputs
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        print(summary(Path(folder)))
    sys.exit(0)
