"""Process start-up: deferred imports (briefkit.startup) and worker processes that end at once
when the pool closes."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefkit.startup import SLOW_IMPORTS, defer_imports

PROBE = """\
import sys
sys.briefkit_probe_imports = getattr(sys, "briefkit_probe_imports", 0) + 1


def double(x):
    return 2 * x


CONSTANT = 7
"""


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An importable module that counts its imports in ``sys.briefkit_probe_imports``."""
    name = f"briefkit_probe_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(PROBE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delattr(sys, "briefkit_probe_imports", raising=False)
    yield name
    sys.modules.pop(name, None)
    monkeypatch.delattr(sys, "briefkit_probe_imports", raising=False)


def imports() -> int:
    return int(getattr(sys, "briefkit_probe_imports", 0))


def test_a_deferred_function_imports_its_module_on_the_first_call(probe: str) -> None:
    assert defer_imports({probe: ("double",)}) == [probe]
    assert defer_imports({probe: ("double",)}) == []  # idempotent
    double = importlib.import_module(probe).double  # `from probe import double`
    assert imports() == 0
    assert double(21) == 42
    assert imports() == 1
    real = importlib.import_module(probe)
    assert real.CONSTANT == 7 and real.double(2) == 4 and double(3) == 6
    assert imports() == 1  # imported once, the stand-in gone from sys.modules
    assert type(sys.modules[probe]).__name__ == "module"


def test_any_other_attribute_imports_the_module(probe: str) -> None:
    defer_imports({probe: ()})
    stand_in = importlib.import_module(probe)
    assert imports() == 0
    assert stand_in.CONSTANT == 7
    assert imports() == 1
    assert stand_in.double(5) == 10 and imports() == 1
    with pytest.raises(AttributeError):
        stand_in.__no_such_dunder__  # noqa: B018  (import machinery probes: not a use)


def test_missing_or_already_imported_modules_are_left_alone(probe: str) -> None:
    assert defer_imports({"briefkit_no_such_module_here": ("f",)}) == []
    assert "briefkit_no_such_module_here" not in sys.modules
    real = importlib.import_module(probe)
    assert defer_imports({probe: ("double",)}) == []
    assert sys.modules[probe] is real and imports() == 1
    assert defer_imports({"os.path": ()}) == []  # top-level modules only


@pytest.mark.skipif(importlib.util.find_spec("rfc3987_syntax") is None,
                    reason="rfc3987-syntax is not installed (JupyterLab brings it)")
def test_nbformat_no_longer_builds_the_iri_parsers_but_iris_are_still_checked() -> None:
    assert "rfc3987_syntax" in SLOW_IMPORTS
    script = """
import sys
from briefkit.startup import defer_imports
assert defer_imports() == ["rfc3987_syntax"]
import nbformat
from jsonschema import FormatChecker
assert type(sys.modules["rfc3987_syntax"]).__name__ == "_StandIn"
checker = FormatChecker()
assert "iri" in checker.checkers
assert checker.conforms("https://example.org/đường", "iri")
assert not checker.conforms("not an iri", "iri")
assert type(sys.modules["rfc3987_syntax"]).__name__ == "module"
"""
    subprocess.run([sys.executable, "-c", script], check=True)
