"""Parameter files read strictly (briefkit.yamlfiles): an alias bomb, a duplicated key, a
Python tag or an oversized file is a clear error naming the file and the line, through every
reader (targets, document settings, Decision-766 weights), never a traceback or minutes of
work."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefkit.kpis import load_index766_weights
from briefkit.problems import InputError
from briefkit.settings import load_settings
from briefkit.targets import load_targets
from briefkit.yamlfiles import MAX_BYTES, read_yaml

#: A dozen lines that expand to 10⁹ strings with a lax loader ("billion laughs").
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))

CASES = {
    "bomb": (BOMB, "anchors (&a) are not allowed", 1),
    "alias": ("x: 1\ny: *z\n", "aliases (*z) are not allowed", 2),
    "duplicate": ("2022:\n  online_rate: 0.8\n  online_rate: 0.9\n",
                  "the key 'online_rate' is written twice (first on line 2)", 3),
    "python tag": ("x: !!python/object/apply:os.system ['echo pwned']\n",
                   "the tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
                   1),
    "custom tag": ("x: !secret abc\n", "the tag '!secret' is not allowed", 1),
}


def reader_cases() -> list[tuple[str, str]]:
    return [(reader, case) for reader in ("targets", "settings", "weights") for case in CASES]


def read(reader: str, path: Path) -> object:
    if reader == "targets":
        return load_targets(path)
    if reader == "settings":
        return load_settings(path)
    return load_index766_weights(path)


@pytest.mark.parametrize(("reader", "case"), reader_cases())
def test_hostile_parameter_files_are_clear_errors(tmp_path: Path, reader: str,
                                                   case: str) -> None:
    text, message, line = CASES[case]
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:  # refused at the first anchor: nothing expands
        read(reader, path)
    [problem] = caught.value.problems
    assert message in problem.message
    assert problem.row == line
    assert problem.file.endswith("params.yaml")


def test_an_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("x: " + "y" * MAX_BYTES + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="a parameter file is at most 1,000,000"):
        read_yaml(path)


def test_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("place: Quận 13\n".encode()[:9] + b"\xff\n")
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_yaml(path)


def test_ordinary_files_still_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("\ufeffa: 1\nb: [x, y]\nc: {d: 2022-05-20, e: null, f: true}\n",
                    encoding="utf-8")
    data = read_yaml(path)
    assert data["a"] == 1 and data["b"] == ["x", "y"] and data["c"]["f"] is True
    # the shipped parameter files pass
    root = Path(__file__).resolve().parents[1] / "params"
    for name in ("targets.yaml", "header.yaml", "header-district.yaml", "index766.yaml"):
        assert read_yaml(root / name)


@pytest.mark.parametrize(("spec", "message"), [
    ("pending_overdue: {max: -1}", "max must be a finite number ≥ 0, got -1"),
    ("pending_overdue: {max: .inf}", "max must be a finite number ≥ 0, got inf"),
    ("l3_online_share: {baseline_plus: .nan}", "baseline_plus must be a finite number, got nan"),
])
def test_negative_or_infinite_targets_are_refused(tmp_path: Path, spec: str,
                                                  message: str) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(f"2022:\n  {spec}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_targets(path)
    [problem] = caught.value.problems
    assert message in problem.message and problem.row == 2
