"""Provenance of a briefing and the manifest of a batch run.

Two audiences, one vocabulary:

* :func:`provenance` is what a briefing (and the Excel annex) prints about itself: which
  period under which convention, which data (one sha256 a reader can compare across documents),
  which parameters, which briefkit, when. It is a flat, JSON-serialisable dict whose keys are
  those :func:`briefkit.report.provenance_html` and :func:`briefkit.annex.write_annex` read.
* :func:`build_manifest` / :func:`write_manifest` describe a whole ``briefkit run``:
  every output file with its sha256 and size, every input file with its sha256, the
  parameters, the status of every unit, the executor, start and end. :func:`verify_manifest`
  checks a folder against it, so whoever receives the outputs can tell they are complete
  and untouched, and that the inputs are still the ones they were computed from.

Times are Vietnamese wall-clock time with their offset (``2022-05-20T08:30:00+07:00``): the
documents are Vietnamese, and a server in UTC must not stamp "01:30" on a morning report.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from briefkit import __version__
from briefkit.clock import LOCAL_TZ, local_now
from briefkit.iorw import atomic_write_text, sha256_file
from briefkit.periods import Period

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "build_manifest",
    "data_fingerprint",
    "dump_manifest",
    "file_entry",
    "fingerprint_of",
    "jsonable",
    "local_now",
    "provenance",
    "verify_manifest",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
#: Bumped when a key changes meaning or disappears (adding keys does not bump it).
MANIFEST_VERSION = 1


def _iso(moment: _dt.datetime) -> str:
    """ISO 8601 with an offset; a naive datetime is taken as Vietnamese time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.isoformat(timespec="seconds")


def jsonable(value: Any) -> Any:
    """``value`` with every leaf JSON can carry: paths as POSIX text, dates as ISO text,
    sets as sorted lists, numpy/pandas scalars as Python ones, anything else as ``str``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, _dt.datetime):
        return _iso(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Period):
        return value.spec
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    item = getattr(value, "item", None)  # numpy / pandas scalars
    if callable(item):
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            pass
    return str(value)


# ---------------------------------------------------------------------------- hashing


def file_entry(path: str | Path) -> dict[str, Any]:
    """``{"sha256": …, "size": …}`` of one file."""
    path = Path(path)
    return {"sha256": sha256_file(path), "size": path.stat().st_size}


def data_fingerprint(files: Mapping[str, str | Path]) -> str:
    """One sha256 for a set of input files, the one a briefing prints.

    It is the sha256 of the lines ``"<table>  <sha256 of the file>\\n"`` in table-name
    order — the output of ``sha256sum`` with table names instead of file names, so it can be
    recomputed by hand. Hashing the per-file hashes rather than the concatenated bytes keeps
    file boundaries (moving bytes from one file to the next changes it) and the table names
    (the same file playing another role changes it); it changes whenever any file's bytes do,
    and does not depend on where the folder is or on the order of ``files``.
    """
    return fingerprint_of({table: sha256_file(path) for table, path in files.items()})


def fingerprint_of(hashes: Mapping[str, str]) -> str:
    """:func:`data_fingerprint` from the files' sha256 already computed (``{table: sha256}``),
    so a caller that needs both hashes each file once."""
    lines = "".join(f"{table}  {hashes[table]}\n" for table in sorted(hashes))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def _input_files(dataset_or_files: Any) -> dict[str, Path]:
    files = getattr(dataset_or_files, "files", dataset_or_files)
    if not isinstance(files, Mapping):
        raise TypeError("provenance() needs a Dataset (with .files) or a {table: path} mapping")
    return {str(k): Path(v) for k, v in files.items()}


def _data_file_name(path: Path, root: Any) -> str:
    """A data file's name relative to the data folder (its bare name when outside it)."""
    try:
        return Path(path).absolute().relative_to(Path(root).absolute()).as_posix()
    except (TypeError, ValueError):
        return Path(path).name


def provenance(dataset: Any, period: Period, parameters: Mapping[str, Any],
               generated_at: _dt.datetime | None = None) -> dict[str, Any]:
    """What a briefing says about its own origin; flat and JSON-serialisable.

    ``dataset`` is a :class:`~briefkit.data.Dataset` (its ``files``) or a ``{table: path}``
    mapping. Keys, in the order they read best on the annex's "Nguồn dữ liệu" sheet:
    ``period`` (the Vietnamese label, "quý I/2022"), ``period_spec`` ("2022Q1"),
    ``convention``, ``data_sha256`` (:func:`data_fingerprint`), ``data_files``
    (``{table: sha256}``), ``data_file_names`` (``{table: file name relative to the data
    folder}``), ``parameters`` (no absolute path: see
    :func:`briefkit.document.portable_parameters`), ``version`` (briefkit), ``generated_at``
    (ISO 8601 with offset; default now, in Vietnamese time). Documents carry it in their
    metadata, never in their text; the manifest keeps the absolute paths.
    """
    from briefkit.document import portable_parameters

    files = _input_files(dataset)
    hashes = {table: sha256_file(files[table]) for table in sorted(files)}
    root = parameters.get("data_dir")
    if root is None and files:
        root = Path(os.path.commonpath([str(p.parent.absolute()) for p in files.values()]))
    return {
        "period": period.label(),
        "period_spec": period.spec,
        "convention": period.convention,
        "data_sha256": fingerprint_of(hashes),
        "data_files": hashes,
        "data_file_names": {table: _data_file_name(files[table], root)
                            for table in sorted(files)},
        "parameters": jsonable(portable_parameters(dict(parameters))),
        "version": __version__,
        "generated_at": _iso(generated_at or local_now()),
    }


# ---------------------------------------------------------------------------- manifest


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form; outputs must live under ``root``."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise ValueError(f"output {path} is not inside {root}") from None


def _input_entry(path: str | Path | None) -> dict[str, Any] | None:
    return None if path is None else _file_input(path)


def _file_input(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    return {"path": str(path.resolve()), **file_entry(path)}


def build_manifest(root: str | Path, *, period: Period, outputs: Iterable[str | Path],
                   data_files: Mapping[str, str | Path],
                   other_inputs: Mapping[str, str | Path | None] | None = None,
                   parameters: Mapping[str, Any], units: Sequence[Mapping[str, Any]],
                   steps: Mapping[str, Mapping[str, Any]] | None = None, executor: str,
                   started_at: _dt.datetime, finished_at: _dt.datetime,
                   warnings: Sequence[str] = ()) -> dict[str, Any]:
    """The manifest of a run whose outputs live under ``root`` (the period folder).

    ``outputs``: the files the run wrote (absolute, or relative to ``root``); listed by
    path relative to ``root`` with sha256 and size. ``data_files``: ``{table: path}`` of the
    data folder (hashed individually and as :func:`data_fingerprint`). ``other_inputs``:
    further files the outputs depend on (targets, header, notebooks…), ``None`` for "not
    used". ``units``: one mapping per unit (``unit_id``, ``status`` ``ok``/``failed``,
    ``error``, ``duration_s``…), in run order. ``steps``: the same for the period-wide steps
    (overview, annex). The manifest itself is not listed: it cannot hold its own hash.
    """
    root = Path(root)
    data_entries = {table: _file_input(path) for table, path in data_files.items()}
    listed: dict[str, dict[str, Any]] = {}
    for item in outputs:
        path = Path(item) if Path(item).is_absolute() else root / item
        listed[_relative(path, root)] = file_entry(path)
    unit_rows = [jsonable(dict(u)) for u in units]
    failed = [u for u in unit_rows if u.get("status") != "ok"]
    step_rows = {name: jsonable(dict(step)) for name, step in (steps or {}).items()}
    steps_ok = all(step.get("status") == "ok" for step in step_rows.values())
    return {
        "manifest_version": MANIFEST_VERSION,
        "briefkit_version": __version__,
        "executor": executor,
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
        "duration_s": round((finished_at - started_at).total_seconds(), 3),
        "period": {"spec": period.spec, "label": period.label(), "kind": period.kind,
                   "start": period.start.date().isoformat(),
                   "end": period.end.date().isoformat()},
        "convention": period.convention,
        "parameters": jsonable(dict(parameters)),
        "inputs": {
            "data": {
                "sha256": fingerprint_of({table: entry["sha256"]
                                          for table, entry in data_entries.items()}),
                "files": data_entries,
            },
            **{name: _input_entry(path) for name, path in (other_inputs or {}).items()},
        },
        "outputs": listed,
        "units": unit_rows,
        "steps": step_rows,
        "summary": {"units": len(unit_rows), "ok": len(unit_rows) - len(failed),
                    "failed": len(failed), "failed_units": [u.get("unit_id") for u in failed],
                    "status": "ok" if not failed and steps_ok else "failed"},
        "warnings": list(warnings),
    }


def dump_manifest(manifest: Mapping[str, Any]) -> str:
    """The manifest as written: UTF-8 JSON, keys sorted, indent 2, newline at the end (stable
    bytes, readable diffs between runs)."""
    return json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def write_manifest(path: str | Path, **fields: Any) -> Path:
    """Build the manifest of the outputs under ``path``'s folder (see :func:`build_manifest`
    for ``fields``) and write it atomically. Returns ``path``."""
    path = Path(path)
    return atomic_write_text(path, dump_manifest(build_manifest(path.parent, **fields)))


def verify_manifest(path: str | Path, *, inputs: bool = True) -> list[str]:
    """Every way the folder of ``path`` disagrees with its manifest; empty when it agrees.

    Outputs: missing, or a size/sha256 that differs. With ``inputs``, also the input files
    that are missing or changed since the run (they are looked up at their absolute path).
    Files the manifest does not list are not reported: the folder may hold other units'
    earlier briefings or a user's own files (see :mod:`briefkit.batch`).
    """
    path = Path(path)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: cannot read the manifest ({exc})"]
    root = path.parent
    problems: list[str] = []
    for rel, entry in sorted(manifest.get("outputs", {}).items()):
        target = (root / rel).resolve()
        if not target.is_relative_to(root.resolve()):
            problems.append(f"{rel}: points outside {root}")
            continue
        problems += _compare(rel, target, entry)
    for unit in manifest.get("units", []):
        for rel in unit.get("files", []):
            if rel not in manifest.get("outputs", {}):
                problems.append(f"{rel}: listed for unit {unit.get('unit_id')!r} but not "
                                f"among the outputs")
    if inputs:
        section = manifest.get("inputs", {})
        entries = dict(section.get("data", {}).get("files", {}))
        entries = {f"data:{k}": v for k, v in entries.items()}
        entries.update({k: v for k, v in section.items() if k != "data"})
        for name, entry in sorted(entries.items()):
            if entry:
                problems += [f"input {name}: {p}"
                             for p in _compare(entry["path"], Path(entry["path"]), entry)]
    return problems


def _compare(label: str, path: Path, entry: Mapping[str, Any]) -> list[str]:
    if not path.is_file():
        return [f"{label}: missing"]
    size = path.stat().st_size
    if size != entry.get("size"):
        return [f"{label}: size {size} bytes, the manifest says {entry.get('size')}"]
    if sha256_file(path) != entry.get("sha256"):
        return [f"{label}: sha256 differs from the manifest (the file was changed)"]
    return []
