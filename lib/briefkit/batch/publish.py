"""The output folder: one run at a time, staged files moved into place, stale ones removed,
the previous run's manifest read back (for stale files and reuse)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefkit.iorw import sha256_file
from briefkit.manifest import MANIFEST_NAME
from briefkit.problems import InputError, Problem

__all__ = ["LOCK_NAME", "Previous", "Publisher", "exclusive", "is_temporary", "publish_order",
           "sweep"]

LOCK_NAME = ".briefkit.lock"


@contextlib.contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Create ``folder`` and hold an advisory lock on it for the run (POSIX; elsewhere a
    no-op). The OS releases it when the process dies, so a crash never leaves it stuck."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; one run at a time is on the user
        yield
        return
    with open(folder / LOCK_NAME, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError([Problem(str(folder), "another briefkit run is writing to this "
                                      "folder; wait for it to finish", rule="busy")]) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_temporary(path: Path) -> bool:
    return path.name.startswith(".") and ".part" in path.name


def sweep(folder: Path) -> None:
    """Remove what killed runs left: hidden ``*.part`` staging folders and temp files."""
    for entry in folder.iterdir():
        if is_temporary(entry):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


@dataclass
class Previous:
    """What the previous run's manifest says, by step key (``unit:<id>``,
    ``step:overview``, ``step:annex``): its files, its input key and status, and the
    sha256 of every output."""

    files: dict[str, list[str]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> Previous:
        try:
            manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(manifest, Mapping):
            return cls()
        out = cls(outputs={str(k): v for k, v in (manifest.get("outputs") or {}).items()
                           if isinstance(v, Mapping)})
        rows: list[tuple[str, Any]] = []
        for unit in manifest.get("units", []) or []:
            if isinstance(unit, Mapping) and isinstance(unit.get("unit_id"), str):
                rows.append((f"unit:{unit['unit_id']}", unit))
        for name, step in (manifest.get("steps", {}) or {}).items():
            if isinstance(step, Mapping):
                rows.append((f"step:{name}", step))
        for key, row in rows:
            out.files[key] = [str(f) for f in row.get("files", []) or []]
            if isinstance(row.get("input_key"), str):
                out.keys[key] = row["input_key"]
            out.status[key] = str(row.get("status"))
        return out

    def reusable(self, key: str, input_key: str, folder: Path) -> list[Path] | None:
        """The previous files of step ``key`` when it succeeded with the same ``input_key``
        and every one of its files is still there, byte for byte as the manifest lists it;
        else None."""
        if self.keys.get(key) != input_key or self.status.get(key) != "ok":
            return None
        paths = []
        for rel in self.files.get(key, []):
            entry = self.outputs.get(rel)
            path = folder / rel
            if entry is None or not path.is_file() or \
                    not path.resolve().is_relative_to(folder.resolve()) or \
                    path.stat().st_size != entry.get("size") or \
                    sha256_file(path) != entry.get("sha256"):
                return None
            paths.append(path)
        return paths or None

    def paths(self, key: str, folder: Path) -> list[Path]:
        return [folder / rel for rel in self.files.get(key, [])]


class Publisher:
    """Moves staged files to their final names and deletes stale ones, never outside the
    period folder and never a file this run already published."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.published: set[Path] = set()

    def _inside(self, path: Path) -> bool:
        resolved = path.resolve()
        return resolved != self.folder.resolve() / MANIFEST_NAME and \
            resolved.is_relative_to(self.folder.resolve())

    def publish(self, staged: Sequence[tuple[Path, Path]], stale: Iterable[Path]) -> list[Path]:
        """``staged``: (staged file, final path) pairs, moved in order; ``stale``: final paths
        to delete unless they are among this run's outputs."""
        targets = {final for _, final in staged}
        for path in stale:
            if path not in targets and path not in self.published and self._inside(path) \
                    and (path.is_file() or path.is_symlink()):
                path.unlink()
        for source, final in staged:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, final)
            self.published.add(final)
        return [final for _, final in staged]


def publish_order(rel: str, main: Sequence[str]) -> int:
    """Extras first, then the notebook, the HTML, and the PDF very last: once the PDF is in
    place, everything that goes with it is too."""
    return 1 + main.index(rel) if rel in main else 0
