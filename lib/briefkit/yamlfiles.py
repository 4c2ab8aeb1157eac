"""Parameter files in YAML, read strictly: what a clerk can write, nothing a hostile file needs.

Every parameter file briefkit reads (targets, document settings, Decision-766 weights) goes
through :func:`read_yaml` / :func:`compose_yaml`, which refuse, with the file and the line:

* a file larger than :data:`MAX_BYTES` (parameter files are a few kilobytes);
* anchors and aliases (``&a`` / ``*a``): a dozen lines of nested aliases expand to billions
  of nodes (the "billion laughs"); no parameter file needs them;
* a key written twice in one mapping (YAML keeps the last one silently);
* tags other than YAML's standard ones (``!!python/object`` and friends, never executed by
  the safe loader, but an error to report, not a traceback).

Errors are :class:`~briefkit.problems.InputError` (exit status 2), each naming the file and
the line as an editor shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from briefkit.problems import InputError, Problem

__all__ = ["MAX_BYTES", "StrictLoader", "compose_yaml", "read_text", "read_yaml"]

#: The largest parameter file accepted.
MAX_BYTES = 1_000_000
_STANDARD_TAG = "tag:yaml.org,2002:"
_STANDARD_TAGS = {f"{_STANDARD_TAG}{t}" for t in (
    "str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary", "merge")}


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors, aliases, duplicate keys or unusual tags."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML's own
        start: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*{event.anchor}) are not allowed in a parameter file",
                start)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.composer.ComposerError(
                None, None, f"anchors (&{anchor}) are not allowed in a parameter file",
                start)
        node: Any = super().compose_node(parent, index)
        if node is not None and node.tag not in _STANDARD_TAGS:
            raise yaml.composer.ComposerError(
                None, None, f"the tag {node.tag!r} is not allowed in a parameter file",
                node.start_mark)
        return node

    def compose_mapping_node(self, anchor: Any) -> Any:
        node = super().compose_mapping_node(anchor)
        seen: dict[str, int] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise yaml.composer.ComposerError(
                        None, None, f"the key {key.value!r} is written twice (first on line "
                        f"{seen[key.value]})", key.start_mark)
                seen[key.value] = key.start_mark.line + 1
        return node


def _timestamp(loader: StrictLoader, node: Any) -> Any:
    """YAML's date constructor, with an impossible date (2022-02-30) an error at its line
    rather than a ValueError from :mod:`datetime`."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a date ({exc})", node.start_mark) from None


StrictLoader.add_constructor(f"{_STANDARD_TAG}timestamp", _timestamp)


def _problem(name: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    text = getattr(exc, "problem", None) or str(exc)
    return Problem(name, f"not valid YAML: {text}",
                   row=mark.line + 1 if mark is not None else None, rule="yaml")


def read_text(path: str | Path, name: str | None = None) -> str:
    """The file's text (UTF-8, a byte-order mark allowed), refused when it is larger than
    :data:`MAX_BYTES` or not UTF-8. Raises FileNotFoundError when there is no file."""
    source = Path(path)
    name = name or source.name
    size = source.stat().st_size
    if size > MAX_BYTES:
        raise InputError([Problem(name, f"the file is {size:,} bytes; a parameter file is at "
                                  f"most {MAX_BYTES:,}", rule="too_large")])
    try:
        return source.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, f"not UTF-8 text (byte {exc.start})",
                                  rule="encoding")]) from None


def compose_yaml(text: str, name: str) -> Any:
    """The YAML node tree of ``text`` (for readers that report lines), strictly."""
    try:
        return yaml.compose(text, Loader=StrictLoader)
    except yaml.YAMLError as exc:
        raise InputError([_problem(name, exc)]) from None


def read_yaml(path: str | Path, name: str | None = None) -> Any:
    """The file's data, strictly (see the module docstring)."""
    source = Path(path)
    name = name or source.name
    text = read_text(source, name)
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as exc:
        raise InputError([_problem(name, exc)]) from None
