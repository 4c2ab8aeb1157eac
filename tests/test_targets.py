"""The targets file: its forms, and errors that name the file, line and KPI."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefkit.problems import InputError
from briefkit.targets import TargetRule, load_targets


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_forms_and_overrides(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, """\
2022:
  online_rate: 0.8447
  on_time_rate: {min: 0.98}
  pending_overdue: {max: 0}
  l3_online_share: {baseline_plus: 0.10}
  units:
    "TP": {online_rate: 0.85}
    "*": {pending_overdue: {max: 3}}
"""))
    assert targets.rule(2022, "X", "online_rate") == TargetRule("min", 0.8447)
    assert targets.rule(2022, "TP", "online_rate") == TargetRule("min", 0.85)
    assert targets.rule(2022, "TP", "on_time_rate") == TargetRule("min", 0.98)
    assert targets.rule(2022, "X", "pending_overdue") == TargetRule("max", 0.0)
    assert targets.rule(2022, "*", "pending_overdue") == TargetRule("max", 3.0)
    assert targets.rule(2022, "X", "l3_online_share") == TargetRule("baseline_plus", 0.10)
    assert targets.rule(2023, "X", "online_rate") is None
    assert targets.rule(2022, "X", "received_total") is None


def test_the_projects_targets_file_loads() -> None:
    path = Path(__file__).resolve().parents[1] / "params" / "targets.yaml"
    targets = load_targets(path)
    assert targets.rule(2022, "*", "online_rate") is not None
    assert targets.rule(2022, "*", "online_rate").amount == 0.8447


@pytest.mark.parametrize(("text", "line", "needle"), [
    ("2022:\n  online_rat: 0.8\n", 2, "unknown KPI id 'online_rat'"),
    ("2022:\n  online_rate: 84.47\n", 2, "fraction between 0 and 1"),
    ("2022:\n  online_rate: {minimum: 0.8}\n", 2, "exactly one of min, max, baseline_plus"),
    ("2022:\n  online_rate: high\n", 2, "must be a number"),
    ("twenty:\n  online_rate: 0.8\n", 1, "is not a year"),
    ("2022:\n  units:\n    TP: {online_rat: 0.8}\n", 3, "unknown KPI id"),
    ("2022:\n  online_rate: [0.8\n", 3, "not valid YAML"),
])
def test_errors_name_file_line_and_kpi(tmp_path: Path, text: str, line: int, needle: str):
    with pytest.raises(InputError) as caught:
        load_targets(write(tmp_path, text))
    problem = caught.value.problems[0]
    assert problem.file == "targets.yaml"
    assert problem.row == line
    assert needle in problem.message
    assert str(problem).startswith(f"targets.yaml, row {line}")


def test_all_errors_at_once(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_targets(write(tmp_path, "2022:\n  a: 1\n  b: 2\n  online_rate: 2\n"))
    assert [p.row for p in caught.value.problems] == [2, 3, 4]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="targets file not found"):
        load_targets(tmp_path / "nope.yaml")
