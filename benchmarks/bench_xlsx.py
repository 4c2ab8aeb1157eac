"""Reading a workbook (issue 10): openpyxl's reader against python-calamine's, on one export.

    .venv/bin/python benchmarks/bench_xlsx.py [--dossiers 100000] [--repeat N]

The workbook: the demo province's dossiers table (``briefkit demo-data --dossiers N``, as
``make bench-scale`` generates it, shared with it) written as a workbook the way an office
export is: openpyxl's write-only mode (which stores no sheet dimension), one sheet, codes
and ids as text, dates as date cells (a date or a date and time), booleans as booleans.
Built once and cached in ``${XDG_CACHE_HOME:-~/.cache}/briefkit-bench/xlsx-<N>-<generator
fingerprint>/dossiers.xlsx``.

Each reader (:func:`briefkit.data.read_xlsx.read_xlsx`, ``fast=False``: openpyxl's path as
before; ``fast=True``: python-calamine's, the default) reads the table in a fresh process
(``--repeat N``: N times, best time, highest peak); printed: wall and CPU seconds (every
thread), peak RSS of the process (Python and the imports included), whether each sheet took
the fast path, and a digest of what was read, which must be the same for both.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import (  # a sibling script, not a package
    GB,
    cache_root,
    cpu_seconds,
    generator_fingerprint,
    peak_rss,
    progress,
    run_child,
    world,
)

READERS = {"openpyxl": False, "calamine": True}


def workbook(size: int) -> Path:
    """The cached workbook of ``size`` dossiers (written under a temporary name, then
    renamed)."""
    path = cache_root() / f"xlsx-{size}-{generator_fingerprint()}" / "dossiers.xlsx"
    if path.exists():
        return path
    source = world(size, ["csv"]).data("csv") / "dossiers.csv"
    progress(f"writing {source} as a workbook into {path} (once) …")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    started = time.perf_counter()
    write_workbook(source, partial)
    partial.rename(path)
    progress(f"written in {time.perf_counter() - started:.0f} s")
    return path


def write_workbook(source: Path, target: Path) -> None:
    """The CSV table as an office export's workbook (see the module)."""
    import openpyxl

    from briefkit import schema

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Hồ sơ")
    with source.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        kinds = {c.name: c.kind for c in schema.TABLES["dossiers"].columns}
        convert = [_converter(kinds.get(name, "text")) for name in header]
        ws.append(header)
        for row in rows:
            ws.append([f(v) for f, v in zip(convert, row, strict=True)])
    wb.save(target)


def _converter(kind: str) -> Any:
    def text(v: str) -> Any:
        return v or None

    def date(v: str) -> Any:
        if not v:
            return None
        return dt.date.fromisoformat(v) if len(v) == 10 else dt.datetime.fromisoformat(v)

    def boolean(v: str) -> Any:
        return {"true": True, "false": False}.get(v, v or None)

    return {"date": date, "bool": boolean}.get(kind, text)


# ------------------------------------------------------------------------------ children


def child_main(reader: str, path: Path) -> None:
    """Read the table once with ``reader``; one JSON line of figures."""
    import briefkit.data.read_xlsx as module
    from briefkit import schema
    from briefkit.data.xlsx_cells import Fallback

    paths: list[str] = []
    fast_records = module._fast_records

    def spy(*args: Any) -> Any:
        try:
            part = fast_records(*args)
        except Fallback as exc:
            paths.append(f"openpyxl ({exc})")
            raise
        paths.append("calamine")
        return part

    module._fast_records = spy  # type: ignore[assignment]
    cpu, wall = cpu_seconds(), time.perf_counter()
    raw = module.read_xlsx(path, schema.TABLES["dossiers"], fast=READERS[reader])
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    digest = hashlib.sha256()
    digest.update(repr((raw.header, raw.header_row, raw.positions, raw.rows.tolist(),
                        [str(p) for p in raw.problems])).encode())
    for pos in sorted(raw.columns):
        digest.update(repr(raw.columns[pos].tolist()).encode())
    print(json.dumps({"wall": wall, "cpu": cpu, "peak": peak_rss(), "records": len(raw.rows),
                      "paths": paths or ["openpyxl"], "digest": digest.hexdigest()[:16]}))


def measure(reader: str, path: Path, repeat: int) -> dict[str, Any]:
    runs = [run_child([sys.executable, __file__, "--child", reader, str(path)],
                      f"{reader} failed on {path}") for _ in range(repeat)]
    best = min(runs, key=lambda r: r["wall"])
    return {**best, "cpu": min(r["cpu"] for r in runs), "peak": max(r["peak"] for r in runs)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=float, default=100_000,
                        help="dossiers in the demo world (default 100000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per reader (best time)")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child[0], Path(args.child[1]))
        return
    path = workbook(int(args.dossiers))
    print(f"workbook: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    results = {reader: measure(reader, path, args.repeat) for reader in READERS}
    print(f"{'reader':<10} {'records':>9} {'wall s':>8} {'CPU s':>8} {'peak GB':>8}  path")
    for reader, r in results.items():
        print(f"{reader:<10} {r['records']:>9,} {r['wall']:>8.2f} {r['cpu']:>8.2f} "
              f"{r['peak'] / GB:>8.2f}  {', '.join(r['paths'])}")
    old, new = results["openpyxl"], results["calamine"]
    print(f"openpyxl / calamine: {old['wall'] / new['wall']:.1f}x wall, "
          f"{old['cpu'] / new['cpu']:.1f}x CPU")
    same = old["digest"] == new["digest"]
    print("what was read: " + ("the same" if same else "DIFFERENT") + f" ({new['digest']})")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
