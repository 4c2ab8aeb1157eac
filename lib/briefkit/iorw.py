"""File writing that never leaves a half-written file under a final name.

Every output goes to a temporary file in the destination folder and is moved into place with
:func:`os.replace`, which is atomic on one file system: a reader (or a crashed run) sees the
old file or the new one, never a torn one. The rename replaces a symbolic link at the final
name itself, never its target; :func:`real_folder` does the same for a folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    # mkstemp makes the file private (0600) and os.replace keeps that; outputs are shared
    # through office folders, so give them the mode any new file would get.
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def real_folder(path: str | Path) -> Path:
    """``path`` as a real folder, created with its parents if missing. A symbolic link in its
    place is removed, never followed (its target is left as it is), so nothing written into
    the folder lands outside the output folder it belongs to."""
    folder = Path(path)
    if folder.is_symlink():
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding))


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
