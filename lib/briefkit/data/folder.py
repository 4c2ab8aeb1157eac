"""The folder: find its files, load each, run the cross-table checks."""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import pandas as pd

from briefkit import schema
from briefkit.data.changes import check_unit_changes
from briefkit.data.convert import empty_frame
from briefkit.data.crosscheck import (
    check_coverage,
    check_dossier_fit,
    check_hierarchy,
    check_references,
)
from briefkit.data.load import load_file
from briefkit.data.rules import problem
from briefkit.problems import Problem


def as_today(today: _dt.date | None) -> pd.Timestamp:
    return pd.Timestamp(today if today is not None else _dt.date.today()).normalize()


#: A partition folder's name, hive-style: ``KEY=VALUE`` (``province=01``).
_HIVE = re.compile(r"[^=/\\]+=[^=/\\]+")


def partitions(dataset: Path | str) -> list[Path]:
    """The partition folders of a dataset (``KEY=VALUE`` sub-folders, by name), or the folder
    itself when it has none (a plain data folder): see :mod:`briefkit.partitioned`."""
    folder = Path(dataset)
    found = sorted(p for p in folder.iterdir() if p.is_dir() and _HIVE.fullmatch(p.name)) \
        if folder.is_dir() else []
    return found or [folder]


def find_files(folder: str | Path) -> tuple[dict[str, Path], list[Problem]]:
    """The data files of a folder, without reading them: table name → file; a missing
    folder, missing required tables and ambiguous ones are problems."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}, [problem("missing_folder", str(folder),
                             f"data folder {str(folder)!r} does not exist")]
    return _find_files(folder)


def _find_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Table name → file; missing required tables and ambiguous ones are problems."""
    found: dict[str, list[Path]] = {name: [] for name in schema.TABLES}
    others: dict[str, list[Path]] = {name: [] for name in schema.TABLES}
    for path in sorted(folder.iterdir()):
        stem = path.stem.casefold()
        if stem in found and path.is_file():
            (found if path.suffix.lower() in schema.FORMATS else others)[stem].append(path)
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    if not any(found.values()) and (parts := partitions(folder)) != [folder]:
        return files, [_partitioned(folder, parts)]
    for name, table in schema.TABLES.items():
        paths = found[name]
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            problems.append(problem(
                "ambiguous_file", paths[0].name,
                f"table {name!r} is given {len(paths)} times ({names}); keep one file"))
        elif paths:
            files[name] = paths[0]
        elif table.required:
            hint = ""
            if others[name]:
                hint = f" ({', '.join(p.name for p in others[name])} is not a supported format)"
            problems.append(problem(
                "missing_file", f"{name}.csv",
                f"required table {name!r} not found in {folder}: expected {name}.csv, "
                f"{name}.xlsx or {name}.parquet{hint}"))
    return files, problems


def _partitioned(folder: Path, parts: list[Path]) -> Problem:
    """A partitioned dataset given where a data folder is expected: one problem saying so."""
    shown = ", ".join(p.name for p in parts[:3]) + (", …" if len(parts) > 3 else "")
    return problem(
        "missing_file", folder.name,
        f"{str(folder)!r} is a partitioned dataset ({len(parts)} partitions: {shown}), not a "
        "data folder: `briefkit kpis` reads it whole; the other commands read one data folder, "
        f"e.g. --data {str(parts[0])!r}")


def run_checks(folder: Path, today: _dt.date | None
         ) -> tuple[dict[str, pd.DataFrame], dict[str, Path], list[Problem]]:
    """Load everything, check everything; frames are only meaningful without errors."""
    frames = {name: empty_frame(t) for name, t in schema.TABLES.items()}
    if not folder.is_dir():
        return frames, {}, [problem("missing_folder", str(folder),
                                     f"data folder {str(folder)!r} does not exist")]
    now = as_today(today)
    files, problems = _find_files(folder)
    loaded = {name: load_file(path, schema.TABLES[name], now) for name, path in files.items()}
    for item in loaded.values():
        frames[item.table.name] = item.frame
    check_references(loaded)
    check_hierarchy(loaded)
    check_dossier_fit(loaded)
    check_coverage(loaded)
    check_unit_changes(loaded)
    for item in loaded.values():
        problems.extend(item.problems)
    return frames, files, problems
