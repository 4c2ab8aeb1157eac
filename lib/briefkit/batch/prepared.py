"""The run's prepared data — the validated units and the bundle — computed once, and kept
beside the outputs for the next run with the same inputs.

:func:`prepare` loads nothing it has: a run into a period folder leaves its prepared data in
``OUT/<period>/.briefkit/prepared-<key>/`` (the bundle's files plus ``plan.json``: the units
of units.csv, the data warnings, the data files). The **key** is the sha256 of everything the
prepared data is a function of: the sha256 of every data file, of the targets, header and
Decision-766 files, their paths (they are recorded as parameters), the period and convention,
the documents' date, the history length and the briefkit version. When the next run's key is
the same, validation and computation already happened on exactly these bytes: the run reads
the prepared data (milliseconds) instead of loading, validating and computing again (about a
second for 100,000 dossiers), and reports the same data warnings. Any change of any input gives
another key, so a stale cache is never read; only the newest is kept.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefkit import __version__
from briefkit.bundle import BUNDLE_VERSION, Bundle, load_bundle
from briefkit.coverage import DataSpan
from briefkit.iorw import atomic_write_text, sha256_file
from briefkit.problems import Problem

__all__ = ["CACHE_DIR", "HISTORY_PERIODS", "Prepared", "cache_key", "load_cached",
           "save_cached"]

#: The hidden folder of a period folder that holds the prepared data of its last run.
CACHE_DIR = ".briefkit"
#: Trailing periods of the history every briefing charts.
HISTORY_PERIODS = 8
_PREFIX = "prepared-"


@dataclass
class Prepared:
    """What a run computes once: ``units`` (every unit of units.csv, in order, as (id, name)),
    ``grouping_only`` (units that only group others), the data ``files`` and ``warnings``,
    and the full ``bundle`` (its ``table`` is the period's KPI table: kpis.csv and the
    annex); ``span``: the days the data cover (:mod:`briefkit.coverage`)."""

    units: list[tuple[str, str]]
    grouping_only: set[str]
    files: dict[str, Path]
    warnings: list[Problem]
    bundle: Bundle
    cached: bool = field(default=False, compare=False)
    span: DataSpan | None = None
    #: Each unit's slice keys, ``unit_id → (fingerprint, data_sha256)`` of
    #: ``bundle.unit_slice(unit_id)`` (functions of the bundle alone): kept with the bundle,
    #: so that a run with the same inputs knows every step's input key without slicing.
    slice_keys: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False)


def cache_key(files: Mapping[str, Path], data_sha256: str, others: Mapping[str, Path | None],
              parameters: Mapping[str, Any]) -> str:
    """The key of prepared data (see the module docstring): ``files`` the data files by
    table and ``data_sha256`` their :func:`~briefkit.manifest.data_fingerprint` (the caller
    has it: the files are hashed once), ``others`` the other input files by role (None: not
    used), ``parameters`` the rest (period, convention, documents' date…)."""
    parts = {
        "briefkit": __version__, "bundle_version": BUNDLE_VERSION,
        "history_periods": HISTORY_PERIODS, "data_sha256": data_sha256,
        "data": {table: str(path) for table, path in sorted(files.items())},
        "others": {role: None if path is None else [str(path), sha256_file(path)]
                   for role, path in sorted(others.items())},
        "parameters": dict(parameters),
    }
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _problem_dict(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "message": problem.message, "row": problem.row,
            "column": problem.column, "severity": problem.severity, "rule": problem.rule}


def load_cached(period_folder: Path, key: str) -> Prepared | None:
    """The prepared data saved under ``key``, or None (absent, or unreadable: then the run
    simply computes it again)."""
    folder = period_folder / CACHE_DIR / f"{_PREFIX}{key}"
    try:
        meta = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
        if meta.get("key") != key:
            return None
        bundle = load_bundle(folder)
        return Prepared(
            units=[(str(u), str(n)) for u, n in meta["units"]],
            grouping_only={str(u) for u in meta["grouping_only"]},
            files={str(t): Path(p) for t, p in meta["files"].items()},
            warnings=[Problem(**p) for p in meta["warnings"]],
            bundle=bundle, cached=True, span=DataSpan.from_list(meta.get("span")),
            slice_keys={str(u): (str(k[0]), str(k[1]))
                        for u, k in meta.get("slice_keys", {}).items()})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_cached(period_folder: Path, key: str, prepared: Prepared) -> None:
    """Keep ``prepared`` under ``key`` (written atomically, ``plan.json`` last) and remove
    older prepared data. Failing to write the cache never fails a run."""
    root = period_folder / CACHE_DIR
    folder = root / f"{_PREFIX}{key}"
    try:
        prepared.bundle.save(folder)
        atomic_write_text(folder / "plan.json", json.dumps({
            "key": key, "units": prepared.units, "grouping_only": sorted(prepared.grouping_only),
            "files": {t: str(p) for t, p in prepared.files.items()},
            "warnings": [_problem_dict(p) for p in prepared.warnings],
            "span": None if prepared.span is None else prepared.span.as_list(),
            "slice_keys": {u: list(k) for u, k in sorted(prepared.slice_keys.items())}},
            ensure_ascii=False, indent=1))
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for other in root.glob(f"{_PREFIX}*"):
        if other != folder:
            shutil.rmtree(other, ignore_errors=True)
