"""Folder names for units: safe on every file system, readable, stable across runs."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

__all__ = ["unit_slug", "unit_slugs"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_SLUG_MAX = 48
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                    *(f"LPT{i}" for i in range(10))}


def _short_hash(unit_id: str) -> str:
    return hashlib.sha256(unit_id.encode("utf-8")).hexdigest()[:8]


def unit_slug(unit_id: str) -> str:
    """A folder name for one unit id, on its own (see :func:`unit_slugs` for a set of ids).

    Vietnamese letters lose their diacritics (``Phường`` → ``Phuong``, ``đ`` → ``d``), every
    run of other characters than ``A-Z a-z 0-9 _ -`` becomes ``_``, and the result is cut to
    48 characters. Whenever that is not the id itself — or the id starts with ``-`` or is a
    Windows device name (``CON``, ``NUL``…) — ``-`` and the first 8 hex digits of the id's
    sha256 are appended: ``"../x"`` → ``x-<hash>``, ``"UBND Phường 1"`` →
    ``UBND_Phuong_1-<hash>``, ``"TP"`` → ``TP``. So a slug never holds a path separator or a
    dot (no ``..``, no hidden folder, no clash with ``kpis.csv``/``overview.html``), and two
    ids that clean up alike still get different folders.
    """
    text = unicodedata.normalize("NFKD", unit_id.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    base = _UNSAFE.sub("_", text).strip("_").lstrip("-")[:_SLUG_MAX].rstrip("_")
    if base and base == unit_id and base.upper() not in _WINDOWS_DEVICES:
        return base
    return f"{base or 'unit'}-{_short_hash(unit_id)}"


def unit_slugs(unit_ids: Iterable[str]) -> dict[str, str]:
    """Folder names for a set of unit ids: :func:`unit_slug`, plus the hash for ids that differ
    only in case (``TP`` and ``tp``), which would share a folder on the case-insensitive file
    systems of Windows and macOS. Computed over *all* units of units.csv, so a unit's folder
    does not depend on which ``--units`` a run asks for. Raises ValueError if two slugs
    still collide (a 32-bit hash collision: never seen, but never silent either)."""
    ids = list(dict.fromkeys(unit_ids))
    slugs = {u: unit_slug(u) for u in ids}
    groups: dict[str, list[str]] = defaultdict(list)
    for u in ids:
        groups[slugs[u].casefold()].append(u)
    for members in groups.values():
        if len(members) > 1:
            for u in members:
                if slugs[u] == u:
                    slugs[u] = f"{u}-{_short_hash(u)}"
    seen: dict[str, str] = {}
    for u in ids:
        other = seen.setdefault(slugs[u].casefold(), u)
        if other != u:
            raise ValueError(f"unit ids {other!r} and {u!r} map to the same folder "
                             f"{slugs[u]!r}; rename one of them")
    return slugs
