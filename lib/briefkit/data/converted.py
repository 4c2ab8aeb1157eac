"""A validated data folder written as Parquet (``briefkit convert``), and reading it back.

:func:`write_converted` writes each table the folder had as one Parquet file, in the
canonical shape of :class:`~briefkit.data.Dataset`: codes and text as strings, dates as
``date32`` (they are calendar dates at midnight), booleans as booleans,
``procedures.online_level`` as ``int8``, aggregates counts as ``int64``. Beside them,
:data:`METADATA` records the contract and briefkit versions and the fingerprint of the
validating code (:func:`validator_fingerprint`), the source files (name,
sha256, size), each written file's sha256, size and row count, and the warnings the
validation gave. The folder is written into a temporary sibling and renamed into place.

:func:`read_converted` is the fast path of :func:`~briefkit.data.load_dataset`: when the
metadata is of this contract, this briefkit version and this validating code, and every
table file still has
the sha256 recorded (so the bytes are exactly those convert validated) and the Arrow
schema the canonical one, the tables become the canonical frames directly, without the
row checks. Anything else (a file edited, replaced, added or removed, another version)
returns ``None`` and the folder is validated in full, as any folder of Parquet files.

One file per table, not a hive-partitioned ``dossiers/year=…/`` folder: the loader reads
every year anyway (nothing prunes partitions yet), a single file keeps the source's row
order (partitioning by year reorders rows, so the frames would no longer equal the
source's and a full re-validation could not name a source-like row), and Parquet row groups
already let Arrow read the file on every core. Partitions become worth it with the Dask
path (issue 10 item 4), which reads per partition.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from briefkit import __version__, schema
from briefkit.i18n import _
from briefkit.iorw import sha256_file
from briefkit.problems import Problem
from briefkit.schema import Table

#: The metadata file of a converted folder.
METADATA = "briefkit-dataset.json"
#: The data contract version the canonical tables follow (data-contract.md, "v1").
CONTRACT_VERSION = 1
#: The layout of a converted folder (this module's), recorded to refuse a future one.
FORMAT = "briefkit-dataset"
FORMAT_VERSION = 1
#: Rows per Parquet row group: Arrow reads row groups in parallel.
ROW_GROUP = 1 << 20

_TEXT_KINDS = frozenset({"id", "text", "level", "channel", "period"})


@functools.cache
def validator_fingerprint() -> str:
    """sha256 of the code that validates a folder (this package and the schema): a converted
    folder is trusted only by the validation that checked it. The version string alone would
    not do: it stays the same across many changes of the rules."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in sorted([*here.glob("*.py"), here.parent / "schema.py"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class ConvertError(Exception):
    """An output folder convert may not write (exists, inside the data folder…)."""


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    if kind == "date":
        return pa.date32()
    if kind == "bool":
        return pa.bool_()
    if kind == "online_level":
        return pa.int8()
    if kind == "count":
        return pa.int64()
    return pa.string()


def arrow_schema(table: Table) -> Any:
    """The Arrow schema of ``table``'s converted file: its canonical columns in order."""
    import pyarrow as pa

    return pa.schema([pa.field(c.name, _arrow_type(c.kind)) for c in table.columns])


def _to_arrow(frame: pd.DataFrame, table: Table) -> Any:
    """A canonical frame as an Arrow table of :func:`arrow_schema` (no pandas metadata)."""
    import pyarrow as pa

    arrays = []
    for column in table.columns:
        s = frame[column.name]
        if column.kind == "date":
            if (s.dropna() != s.dropna().dt.normalize()).any():  # never in a canonical frame
                raise ValueError(f"{table.name}.{column.name}: dates with a time of day")
            arrays.append(pa.array(s, type=pa.timestamp("ns"), from_pandas=True)
                          .cast(pa.date32()))
        else:
            arrays.append(pa.array(s, type=_arrow_type(column.kind), from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=arrow_schema(table))


def _problem_dict(p: Problem) -> dict[str, Any]:
    return dataclasses.asdict(p)


def check_out(data: Path, out: Path, force: bool) -> None:
    """Raise :class:`ConvertError` when ``out`` may not be written for ``data``."""
    data_r, out_r = data.resolve(), out.resolve()
    if out_r == data_r or out_r.is_relative_to(data_r):
        raise ConvertError(_("{out} is inside the data folder {data}: choose a folder outside "
                             "it").format(out=out, data=data))
    if data_r.is_relative_to(out_r):
        raise ConvertError(_("the data folder {data} is inside {out}: choose another output "
                             "folder").format(out=out, data=data))
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise ConvertError(_("{folder} exists and is not a folder").format(folder=out))
        if any(out.iterdir()) and not force:
            raise ConvertError(_("{out} is not empty: choose a new folder, or pass --force to "
                                 "replace it").format(out=out))


def write_converted(frames: dict[str, pd.DataFrame], sources: dict[str, Path],
                    warnings: list[Problem], out: Path, *, force: bool = False) -> dict[str, Path]:
    """Write the tables of ``sources`` (table → source file) from ``frames`` (canonical, as
    validated) as Parquet into ``out`` with :data:`METADATA`; returns table → written file.

    Written into a temporary sibling folder, then renamed to ``out``; an existing ``out``
    (empty, or any with ``force``) is replaced only once everything is written.
    """
    import pyarrow.parquet as pq

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        tables: dict[str, Any] = {}
        for name in schema.TABLES:
            if name not in sources:
                continue
            table = schema.TABLES[name]
            path = tmp / f"{name}.parquet"
            pq.write_table(_to_arrow(frames[name], table), path, compression="zstd",
                           row_group_size=ROW_GROUP)
            tables[name] = {"file": path.name, "rows": len(frames[name]),
                            "sha256": sha256_file(path), "size": path.stat().st_size}
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "contract_version": CONTRACT_VERSION,
            "briefkit_version": __version__,
            "validator": validator_fingerprint(),
            "sources": {name: {"file": path.name, "sha256": sha256_file(path),
                               "size": path.stat().st_size}
                        for name, path in sorted(sources.items())},
            "tables": tables,
            "warnings": [_problem_dict(p) for p in warnings],
        }
        (tmp / METADATA).write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n",
                                    encoding="utf-8")
        _move_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {name: out / entry["file"] for name, entry in tables.items()}


def _move_into_place(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is moved aside first, then removed."""
    if not (out.exists() or out.is_symlink()):
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rmdir(old)
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def read_metadata(folder: Path) -> dict[str, Any] | None:
    """The folder's :data:`METADATA`, or None (absent, unreadable, another format)."""
    path = folder / METADATA
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return None
    return meta


def read_converted(folder: Path
                   ) -> tuple[dict[str, pd.DataFrame], dict[str, Path], list[Problem]] | None:
    """The canonical frames, files and recorded warnings of a converted folder whose files
    are exactly what convert wrote (see the module); None when anything differs."""
    meta = read_metadata(folder)
    if meta is None or meta.get("format_version") != FORMAT_VERSION \
            or meta.get("contract_version") != CONTRACT_VERSION \
            or meta.get("briefkit_version") != __version__ \
            or meta.get("validator") != validator_fingerprint():
        return None
    try:
        tables: dict[str, dict[str, Any]] = meta["tables"]
        files = {name: folder / str(entry["file"]) for name, entry in tables.items()}
        if set(files) - set(schema.TABLES) or not _same_table_files(folder, files):
            return None
        if any(files[name].stat().st_size != tables[name]["size"]
               or sha256_file(files[name]) != tables[name]["sha256"] for name in files):
            return None
        frames = {name: _read_table(files[name], schema.TABLES[name], int(tables[name]["rows"]))
                  for name in files}
        warnings = [Problem(**w) for w in meta["warnings"]]
    except (KeyError, TypeError, ValueError, OSError, _Mismatch):
        return None
    from briefkit.data.convert import empty_frame

    for name, table in schema.TABLES.items():
        if name not in frames:
            frames[name] = empty_frame(table)
    return frames, files, warnings


def _same_table_files(folder: Path, files: dict[str, Path]) -> bool:
    """The data files the folder offers are exactly the converted ones (none added, e.g. a
    units.csv next to units.parquet, none renamed)."""
    from briefkit.data.folder import find_files

    found, problems = find_files(folder)
    return not problems and found == files


class _Mismatch(Exception):
    """A converted file is not in the canonical shape: validate it in full."""


def _read_table(path: Path, table: Table, rows: int) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = pq.read_table(path)
    if not data.schema.remove_metadata().equals(arrow_schema(table)) or data.num_rows != rows:
        raise _Mismatch(path.name)
    text = pd.StringDtype("pyarrow", na_value=float("nan"))
    columns: dict[str, Any] = {}
    for column in table.columns:
        array = data.column(column.name)
        if column.kind in _TEXT_KINDS:
            columns[column.name] = array.to_pandas(types_mapper={pa.string(): text}.get)
        elif column.kind == "date":
            columns[column.name] = array.cast(pa.timestamp("ns")).to_pandas()
        elif column.kind == "count":
            columns[column.name] = array.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        else:  # bool, online_level: never missing in a canonical frame
            if array.null_count:
                raise _Mismatch(path.name)
            columns[column.name] = array.to_pandas()
    return pd.DataFrame(columns)
