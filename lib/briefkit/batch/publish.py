"""The output folder: one run at a time, built beside the previous one and switched in with
one rename; staged files moved into place, stale ones removed, the previous run's manifest
read back (for stale files and reuse).

**Old or new, never a mix.** A run never writes into ``OUT/<period>`` itself. It builds the
next state of the folder in a hidden sibling, ``OUT/.briefkit-<period>.next-<random>``:
first a copy of the current folder made of hard links (every file the run keeps costs no
copy; a file the run replaces gets a new inode through :func:`os.replace`, so the previous
set is never touched), then the run's own files and deletions, the manifest last. Then
:func:`switch` exchanges the two folders in one ``renameat2(RENAME_EXCHANGE)`` (Linux) and
removes the previous set. At every instant ``OUT/<period>`` is the complete previous run or
the complete new one, with its manifest; a run killed at any point leaves hidden siblings
only, which the next run removes (:func:`sweep`). Where the kernel or the file system cannot
exchange two folders, two renames are made instead: for that instant the folder is absent,
never mixed.

The lock (:func:`exclusive`) is a sibling too, ``OUT/.briefkit-<period>.lock``: the folder
it guards is replaced by each run.

**Never through a symbolic link.** A link planted in the output folder cannot make a run
write, or delete, outside it: the copy skips links (a link inside ``OUT/<period>`` is not in
the next set, so the run's files are new files beside nothing), a period folder that is a
link is neither copied from nor swept but replaced by the new set (the link removed, its
target left as it is), and the lock file is opened without following a link."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefkit.failpoints import reach
from briefkit.iorw import sha256_file
from briefkit.manifest import MANIFEST_NAME
from briefkit.problems import InputError, Problem

__all__ = ["BusyError", "Previous", "Publisher", "begin", "exclusive", "is_temporary",
           "lock_path", "publish_order", "sibling_prefix", "sweep", "switch"]


class BusyError(InputError):
    """Another run holds the period folder's lock (the CLI's exit status 3: try again later;
    not bad input)."""


def sibling_prefix(folder: Path) -> str:
    """The name prefix of ``folder``'s hidden siblings: its lock, next and previous sets."""
    return f".briefkit-{folder.name}"


def lock_path(folder: Path) -> Path:
    return folder.parent / f"{sibling_prefix(folder)}.lock"


@contextlib.contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Hold an advisory lock on ``folder`` for the run (a sibling file, since the folder
    itself is replaced; POSIX; elsewhere a no-op). The OS releases it when the process dies,
    so a crash never leaves it stuck. Raises :class:`BusyError` when another run holds it."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; one run at a time is on the user
        yield
        return
    with open(lock_path(folder), "a+b", opener=_open_no_follow) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError([Problem(str(folder), "another briefkit run is writing to this "
                                     "folder; wait for it to finish", rule="busy")]) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _open_no_follow(path: str, flags: int) -> int:
    """``os.open`` for :func:`open` that never follows a symbolic link: one planted where the
    lock file goes is removed (its target is left as it is) and the file created."""
    flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
    if os.path.islink(path):  # not yet replaced by another run that met the same link
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    return os.open(path, flags | os.O_CREAT, 0o666)


def _clone(source: Path, target: Path) -> None:
    """``target`` (new) with ``source``'s files as hard links (copies where the file system
    has none), skipping temporary entries; symlinks are not followed nor kept (``source``
    itself included: a period folder that is a link starts the run empty)."""
    target.mkdir()
    if source.is_symlink() or not source.is_dir():
        return
    for entry in source.iterdir():
        if is_temporary(entry) or entry.is_symlink():
            continue
        if entry.is_dir():
            _clone(entry, target / entry.name)
        elif entry.is_file():
            try:
                os.link(entry, target / entry.name)
            except OSError:
                shutil.copy2(entry, target / entry.name)


def begin(folder: Path) -> Path:
    """The folder the run builds in: a hidden sibling of ``folder`` holding the current
    files (hard links). Call under :func:`exclusive`, after :func:`sweep`."""
    import secrets

    building = folder.parent / f"{sibling_prefix(folder)}.next-{secrets.token_hex(4)}"
    try:
        _clone(folder, building)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return building


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False when this
    system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not here
        return False
    raise OSError(errno, os.strerror(errno), str(a))


def switch(building: Path, folder: Path) -> None:
    """Make ``building`` the folder: one atomic exchange where possible (see the module
    docstring), then remove the previous set."""
    reach("switch")
    if not folder.exists() and not folder.is_symlink():
        os.rename(building, folder)
        return
    if _exchange(building, folder):
        reach("switched")
        _remove(building)  # now the previous set (a link, if the folder was one)
        return
    previous = folder.parent / f"{sibling_prefix(folder)}.old-{building.name[-8:]}"
    os.rename(folder, previous)
    os.rename(building, folder)
    _remove(previous)


def is_temporary(path: Path) -> bool:
    return path.name.startswith(".") and ".part" in path.name


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def sweep(folder: Path) -> None:
    """Remove what killed runs left: ``folder``'s hidden next/previous siblings, and hidden
    ``*.part`` staging folders and temp files inside it (older versions' leftovers)."""
    prefix = sibling_prefix(folder)
    if folder.parent.is_dir():
        for entry in folder.parent.iterdir():
            if entry.name.startswith((f"{prefix}.next-", f"{prefix}.old-")):
                _remove(entry)
    if folder.is_dir() and not folder.is_symlink():  # never into a link's target
        for entry in folder.iterdir():
            if is_temporary(entry):
                _remove(entry)


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
