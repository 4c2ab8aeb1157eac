"""The corpus of malformed and hostile inputs (``tests/bad_inputs/*.yaml``): each case is a
change to the fixture data folder or to the command line, and the CLI must answer it as the
case says: a clear error (the expected message and exit status, nothing written), or a run that
goes through with the expected warning, the expected figures and output files in which no text
from the data became markup or a formula. Never a traceback.

``python -m tests.test_bad_inputs`` prints the corpus's summary line.

Keys of a case (every key optional except ``expect``):

* ``files`` (name → new text; null deletes), ``append`` (name → text added), ``replace`` (name →
  [old, new], the first occurrence), ``bytes`` (name → hex), ``mkdir`` (names);
* ``build``: ``module:function`` of ``tests.bad_inputs``, called with the data folder, for
  inputs that are not text (workbooks, Parquet);
* ``command`` (default ``kpis``) and ``args`` (after the command; ``{data}``/``{out}`` replaced);
* ``expect``: ``exit``; ``message`` (a substring of the output: the error, or the warning of a
  run that goes on); ``written`` (default: false when ``exit`` is not 0); ``figures``: a list of
  ``{unit, kpi, value}`` (the ``value`` column of kpis.csv, null for unknown; a wrong one is a
  silent wrong figure);
  ``outputs``: output file (relative to ``{out}``) → ``{contains: [...], absent: [...]}`` (text
  that must or must not appear: an absent text that appears is an injection).
"""

from __future__ import annotations

import csv
import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from briefkit.cli import app
from tests import kpi_fixture

CASES_DIR = Path(__file__).parent / "bad_inputs"


def _load_cases() -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for name, case in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            assert name not in cases, f"{path.name}: case {name!r} is also in another file"
            cases[name] = case
    return cases


CASES = _load_cases()


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
    if case.get("build"):
        module, function = case["build"].split(":")
        getattr(importlib.import_module(f"tests.bad_inputs.{module}"), function)(data)
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


@dataclass
class Verdict:
    """What the CLI did with a case, judged against its ``expect``."""

    status: int
    output: str
    traceback: bool
    wrote: bool
    failures: list[str] = field(default_factory=list)
    wrong_figures: int = 0
    injections: int = 0

    @property
    def ok(self) -> bool:
        return not self.traceback and not self.failures


def _figures(out: Path) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for path in out.glob("*/kpis.csv"):
        with path.open(encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                found[(record["unit_id"], record["kpi"])] = record["value"]
    return found


def judge(case: dict[str, Any], root: Path) -> Verdict:
    """Run the CLI on a case and compare with what it expects."""
    _, out, args = prepare(case, root)
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300", "LANG": "en_US.UTF-8"})
    traceback = result.exception is not None and not isinstance(result.exception, SystemExit)
    output = result.output
    files = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    verdict = Verdict(result.exit_code, output, traceback or "Traceback" in output, bool(files))
    expect = case["expect"]
    if verdict.status != expect["exit"]:
        verdict.failures.append(f"exit {verdict.status}, expected {expect['exit']}")
    if "message" in expect and expect["message"] not in output:
        verdict.failures.append(f"message {expect['message']!r} not in the output")
    if not expect.get("written", expect["exit"] == 0) and files:
        verdict.failures.append(f"wrote {[str(p.relative_to(out)) for p in files]}")
    if expect.get("figures"):
        found = _figures(out)
        for figure in expect["figures"]:
            got = found.get((str(figure["unit"]), figure["kpi"]))
            wanted = figure["value"]  # null: unknown, an empty cell
            if got is None or (got != "" if wanted is None
                               else got == "" or float(got) != float(wanted)):
                verdict.wrong_figures += 1
                verdict.failures.append(
                    f"{figure['unit']} {figure['kpi']}: {got!r}, expected {figure['value']!r}")
    for name, checks in (expect.get("outputs") or {}).items():
        path = out / name
        if not path.is_file():
            verdict.failures.append(f"{name} was not written")
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in checks.get("contains") or []:
            if needle not in text:
                verdict.failures.append(f"{name} lacks {needle!r}")
        for needle in checks.get("absent") or []:
            if needle in text:
                verdict.injections += 1
                verdict.failures.append(f"{name} contains {needle!r}")
    return verdict


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_its_answer(name: str, tmp_path: Path) -> None:
    verdict = judge(CASES[name], tmp_path)
    assert not verdict.traceback, verdict.output
    assert verdict.failures == [], verdict.output


def summary(root: Path) -> str:
    errors = warnings = tracebacks = wrong = injections = wrote = failed = 0
    for i, case in enumerate(CASES.values()):
        verdict = judge(case, root / str(i))
        tracebacks += verdict.traceback
        wrong += verdict.wrong_figures
        injections += verdict.injections
        wrote += case["expect"]["exit"] != 0 and verdict.wrote
        failed += not verdict.ok
        if verdict.ok:
            errors += case["expect"]["exit"] != 0
            warnings += case["expect"]["exit"] == 0
    return (f"bad inputs: {len(CASES)} cases, {errors} clear errors, {warnings} clean runs with "
            f"their warning or safe output, {failed} failed, {tracebacks} tracebacks, {wrong} "
            f"silent wrong figures, {injections} injections, {wrote} wrote something on error")


if __name__ == "__main__":  # python -m tests.test_bad_inputs
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        print(summary(Path(folder)))
    sys.exit(0)
