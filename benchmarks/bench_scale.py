"""The KPI core at scale (issue 10): prints figures and the targets beside them, asserts nothing.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 1e6,1e7] [--formats csv,parquet]
        [--repeat N] [--period 2026Q3] [--quick] [--stages] [--no-duckdb]

Worlds: the demo province (``briefkit demo-data --dossiers N``, 2024 to 2026Q3) at each size,
generated once and cached outside the repository, in
``${XDG_CACHE_HOME:-~/.cache}/briefkit-bench/scale-<N>-<generator fingerprint>/``:
``csv/`` is what demo-data writes, ``parquet-v<N>/`` the same tables as Parquet (written with
pyarrow from the CSV, streamed: codes and ids as strings, dates as ``date32``, date-times as
timestamps (wall clock, no time zone; milliseconds in the file), booleans as booleans,
counts as int64). The fingerprint hashes the generator's code and world data, so a changed
generator makes a new world; delete the folder to reclaim the space (10 M dossiers: about
1.1 GB of CSV and 0.1 GB of Parquet; generating them takes minutes and ~10 GB of memory).

Per size and format, each step runs in a fresh subprocess (``--repeat N``: N times, best
time, highest peak), as a user's command would:

* **load + validate**: :func:`briefkit.data.load_dataset` on the folder;
* **KPI table**: :func:`briefkit.kpis.compute_kpis` of one quarter (``--period``, with
  params/targets.yaml and the same-period-last-year comparison, as `briefkit kpis`), timed
  after the load, in a process that loaded first; its peak is that of load + table, which
  is what the memory target is about;
* **8-period history**: :func:`briefkit.kpis.kpi_history` (8 quarters ending with the
  period, targets too), likewise after a load;
* **peak memory**: each process's peak RSS (``getrusage(RUSAGE_SELF)`` at the end of its
  timed work; Python and the imports included, about 0.2 GB);
* **rows/s**: dossier rows over the load + validate + KPI table time; **CPU**: the CPU time
  of load + validate + table (every thread), steadier than wall time on a busy machine, and
  what the check that the cost is linear in rows compares;
* **DuckDB** (when importable: it is in the ``dev`` extra): the same quarter's three base
  counts per unit (received in the quarter, resolved in the quarter, received online) from
  the same dossiers file, in a fresh process, DuckDB's own threads (all cores), and the
  ratio briefkit (load + validate + table) / DuckDB. Its counts are checked against
  briefkit's flags (:class:`briefkit.kpis.DossierArrays`) for the same quarter.

``--stages`` adds a breakdown of load + validate by stage (read, strip, convert by column
kind, checks, cross-table checks) from timers wrapped around the loader's functions: what
the loader's rewrite has to beat. ``--quick``: 100 k dossiers only, a smoke test of the
script (well under a minute once generated).

Targets (issue 10, on 2 cores): 10 M dossiers loaded, validated and one quarter's table
computed within 10 s from Parquet and 25 s from CSV, peak memory within 3 GB, within 5x of
DuckDB's three counts on the same Parquet file, cost linear in rows. Without a 10 M run,
the largest size measured is extrapolated linearly, and the verdicts say so.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GB = 10**9
PARQUET_LAYOUT = 1  # bump when the Parquet written from the CSV changes: a new folder
HISTORY_PERIODS = 8
#: csv and parquet: the same tables as a user's export, validated on every load; converted:
#: what `briefkit convert` writes from the CSV (validated once, fingerprinted, loaded without
#: re-validation), the fast path the README recommends for large exports
FORMATS = ("csv", "parquet", "converted")
ONLINE = "truc_tuyen"

# Targets (issue 10): checked and printed, never asserted.
TARGET_ROWS = 10_000_000
TARGET_SECONDS = {"parquet": 10.0, "converted": 10.0, "csv": 25.0}
TARGET_PEAK_BYTES = 3 * GB
TARGET_DUCKDB_RATIO = 5.0
TARGET_LINEAR = 1.25  # per-row cost at 10 M within 25 % of that at 1 M


# ------------------------------------------------------------------------------ worlds


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "briefkit-bench"


def generator_fingerprint() -> str:
    """Hash of the demo generator's code and world data: a changed generator, a new world."""
    from briefkit import demo

    digest = hashlib.sha256()
    package = Path(demo.__file__).parent
    world_data = (package.parent / "resources" / "demo").rglob("*")
    for path in sorted([*package.glob("*.py"), *world_data]):
        if path.is_file():
            digest.update(path.relative_to(package.parent).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class World:
    size: int
    folder: Path
    generated: dict[str, Any] = field(default_factory=dict)  # seconds, peak of demo-data
    converted: dict[str, Any] = field(default_factory=dict)  # seconds, peak of the Parquet

    def data(self, fmt: str) -> Path:
        if fmt == "converted":  # per version and validating code: others re-validate it
            from importlib.metadata import version

            from briefkit.data.converted import validator_fingerprint

            return self.folder / f"converted-{version('briefkit')}-{validator_fingerprint()[:12]}"
        return self.folder / ("csv" if fmt == "csv" else f"parquet-v{PARQUET_LAYOUT}")

    def dossiers_file(self, fmt: str) -> Path:
        return self.data(fmt) / f"dossiers.{'csv' if fmt == 'csv' else 'parquet'}"


def world(size: int, formats: Sequence[str]) -> World:
    """The cached world of ``size`` dossiers, generated (CSV) and converted (Parquet) when
    missing; each folder is written under a temporary name, then renamed."""
    folder = cache_root() / f"scale-{size}-{generator_fingerprint()}"
    folder.mkdir(parents=True, exist_ok=True)
    found = World(size, folder)
    stats = folder / "generated.json"
    csv = found.data("csv")
    if not (csv / "dossiers.csv").exists():
        progress(f"generating {size:,} dossiers into {csv} (once) …")
        partial = csv.with_name(csv.name + ".part")
        shutil.rmtree(partial, ignore_errors=True)
        seconds, peak = run_command([BIN / "briefkit", "demo-data", "--dossiers", str(size),
                                     "--out", partial])
        partial.rename(csv)
        stats.write_text(json.dumps({"seconds": seconds, "peak_bytes": peak}), encoding="utf-8")
        progress(f"generated in {seconds:.0f} s, peak {peak / GB:.1f} GB")
    parquet = found.data("parquet")
    converted_stats = folder / f"{parquet.name}.json"
    if "parquet" in formats and not (parquet / "dossiers.parquet").exists():
        progress(f"writing the Parquet copy into {parquet} (once) …")
        partial = parquet.with_name(parquet.name + ".part")
        shutil.rmtree(partial, ignore_errors=True)
        converted = child("parquet", csv, partial)
        partial.rename(parquet)
        converted_stats.write_text(json.dumps(converted), encoding="utf-8")
        progress(f"written in {converted['seconds']:.1f} s")
    validated = found.data("converted")
    if "converted" in formats and not (validated / "briefkit-dataset.json").exists():
        progress(f"briefkit convert into {validated} (once) …")
        shutil.rmtree(validated, ignore_errors=True)
        seconds, peak = run_command([BIN / "briefkit", "convert", "--data", csv,
                                     "--out", validated])
        progress(f"converted in {seconds:.1f} s, peak {peak / GB:.1f} GB")
    if stats.exists():
        found.generated = json.loads(stats.read_text(encoding="utf-8"))
    if converted_stats.exists():
        found.converted = json.loads(converted_stats.read_text(encoding="utf-8"))
    return found


def run_command(argv: Sequence[str | Path]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes, kernel's: wait4) of a command; output discarded
    unless it fails."""
    started = time.perf_counter()
    process = subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(output.decode(errors="replace")[-4000:])
        raise SystemExit(f"failed: {' '.join(map(str, argv))}")
    return seconds, usage.ru_maxrss * 1024  # Linux: KiB


# ------------------------------------------------------------------------------ the steps
# Each step runs in a fresh process: `bench_scale.py --child STEP DATA [OUT]`, which prints
# one JSON object (its last line of output).


def child(step: str, data: Path, out: Path | None = None, *, period: str = "",
          fmt: str = "csv") -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", step, str(data), "--period", period,
            "--child-format", fmt]
    if out is not None:
        argv += ["--child-out", str(out)]
    return run_child(argv, f"step {step!r} failed on {data}")


def run_child(argv: list[str], failure: str) -> dict[str, Any]:
    """Run a measuring child process; the JSON object of its last line of output."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-6000:])
        raise SystemExit(failure)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cpu_seconds() -> float:
    """CPU time of this process so far, every thread, user and system: on a busy machine
    a steadier figure than the wall time (pyarrow's and DuckDB's threads make it larger)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss() -> int:
    """This process's peak RSS so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child_main(step: str, data: Path, out: Path | None, period_spec: str, fmt: str) -> None:
    if step == "parquet":
        assert out is not None
        print(json.dumps(write_parquet_folder(data, out)))
        return
    if step == "duckdb":
        print(json.dumps(duckdb_counts(data, period_spec, fmt)))
        return
    from briefkit.data import load_dataset
    from briefkit.periods import parse_period
    from briefkit.targets import load_targets

    period = parse_period(period_spec)
    targets = load_targets(ROOT / "params" / "targets.yaml")
    result: dict[str, Any] = {}
    if step == "stages":
        with stage_timers() as timers:
            started = time.perf_counter()
            ds = load_dataset(data)
            timers["total"] = time.perf_counter() - started
        result["stages"] = dict(timers)
        result["rows"] = len(ds.dossiers)
        print(json.dumps(result))
        return
    started, cpu = time.perf_counter(), cpu_seconds()
    ds = load_dataset(data)
    result["load"] = time.perf_counter() - started
    result["load_cpu"] = cpu_seconds() - cpu
    result["rows"] = len(ds.dossiers)
    result["warnings"] = len(ds.warnings)
    if step == "table":
        from briefkit.kpis import compute_kpis

        started, cpu = time.perf_counter(), cpu_seconds()
        table = compute_kpis(ds, period, targets)
        result["seconds"] = time.perf_counter() - started
        result["cpu"] = cpu_seconds() - cpu
        result["peak"] = peak_rss()
        result["table_rows"] = len(table)
        del table
        result["counts"] = briefkit_counts(ds, period)  # after the peak was read
    elif step == "history":
        from briefkit.kpis import kpi_history

        started, cpu = time.perf_counter(), cpu_seconds()
        history = kpi_history(ds, period, HISTORY_PERIODS, targets)
        result["seconds"] = time.perf_counter() - started
        result["cpu"] = cpu_seconds() - cpu
        result["peak"] = peak_rss()
        result["table_rows"] = len(history)
    else:
        result["seconds"], result["cpu"] = result["load"], result["load_cpu"]
        result["peak"] = peak_rss()
    print(json.dumps(result))


def briefkit_counts(ds: Any, period: Any) -> dict[str, list[int]]:
    """Per unit id (as in the file): received, resolved and received online in the period,
    from briefkit's own flags: what DuckDB's counts must equal."""
    import numpy as np
    import pandas as pd

    from briefkit.kpis import DossierArrays
    from briefkit.kpis.dossiers import online_levels

    dossiers = ds.dossiers
    flags = DossierArrays.of(dossiers, online_levels(ds, dossiers)).flags(period)
    received = (flags["received_online"] | flags["received_direct"]
                | flags["received_postal"]).astype(np.int64)
    frame = pd.DataFrame({"unit_id": dossiers["unit_id"].to_numpy(dtype=object),
                          "received": received,
                          "resolved": flags["resolved_total"].astype(np.int64),
                          "online": flags["received_online"].astype(np.int64)})
    sums = frame.groupby("unit_id", sort=True)[["received", "resolved", "online"]].sum()
    return {str(unit): [int(v) for v in row] for unit, row in zip(
        sums.index, sums.to_numpy(), strict=True) if any(row)}


# ------------------------------------------------------------------------------ DuckDB


def duckdb_query(source: str, first: str, last: str) -> str:
    in_quarter = f"BETWEEN DATE '{first}' AND DATE '{last}'"
    return f"""
        SELECT unit_id,
               count(*) FILTER (WHERE CAST(received_at AS DATE) {in_quarter}) AS received,
               count(*) FILTER (WHERE CAST(resolved_at AS DATE) {in_quarter}) AS resolved,
               count(*) FILTER (WHERE CAST(received_at AS DATE) {in_quarter}
                                AND channel = '{ONLINE}') AS online
        FROM {source}
        GROUP BY unit_id"""


def duckdb_counts(data: Path, period_spec: str, fmt: str) -> dict[str, Any]:
    """The quarter's three counts per unit by DuckDB, straight from the dossiers file (the
    CSV with its codes read as text and its date-times as timestamps)."""
    import duckdb

    from briefkit.periods import parse_period

    period = parse_period(period_spec)
    first, last = period.start.date().isoformat(), period.end.date().isoformat()
    path = str(data / f"dossiers.{'csv' if fmt == 'csv' else 'parquet'}").replace("'", "''")
    if fmt == "csv":
        source = (f"read_csv('{path}', header = true, types = {{'unit_id': 'VARCHAR', "
                  "'channel': 'VARCHAR', 'received_at': 'TIMESTAMP', "
                  "'resolved_at': 'TIMESTAMP'})")
    else:
        source = f"read_parquet('{path}')"
    connection = duckdb.connect()
    started, cpu = time.perf_counter(), cpu_seconds()
    rows = connection.execute(duckdb_query(source, first, last)).fetchall()
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    threads = connection.execute("SELECT current_setting('threads')").fetchone()
    return {"seconds": seconds, "cpu": cpu, "peak": peak_rss(), "version": duckdb.__version__,
            "threads": threads[0] if threads else None,
            "counts": {str(unit): [int(r), int(s), int(o)] for unit, r, s, o in rows
                       if r or s or o}}


# ------------------------------------------------------------------------------ Parquet


def write_parquet_folder(csv_folder: Path, out: Path) -> dict[str, Any]:
    """Every table of ``csv_folder`` as Parquet in ``out``, streamed from the CSV by pyarrow
    (memory stays at a few blocks): column types from the data contract's column kinds."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from briefkit import schema

    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for path in sorted(csv_folder.glob("*.csv")):
        table = schema.TABLES[path.stem]
        header = path.open(encoding="utf-8").readline().rstrip("\n").split(",")
        sample = _first_values(path, header)
        types: dict[str, pa.DataType] = {}
        for name in header:
            kind = table.column(name).kind
            if kind == "date":
                # a date stays a date; a date-time (received_at 2026-07-01 08:15) a timestamp
                with_time = len(sample.get(name, "")) > 10
                types[name] = pa.timestamp("s") if with_time else pa.date32()
            elif kind == "bool":
                types[name] = pa.bool_()
            elif kind == "count":
                types[name] = pa.int64()
            else:
                types[name] = pa.string()  # codes keep their leading zeros
        convert = pacsv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=True,
            true_values=["true"], false_values=["false"],
            timestamp_parsers=["%Y-%m-%d %H:%M", pacsv.ISO8601])
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=64 << 20),
                                convert_options=convert)
        with pq.ParquetWriter(out / f"{path.stem}.parquet", reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
    return {"seconds": time.perf_counter() - started, "peak": peak_rss()}


def _first_values(path: Path, header: list[str], lines: int = 2000) -> dict[str, str]:
    """The first non-empty value of each column among the first ``lines`` records."""
    found: dict[str, str] = {}
    with path.open(encoding="utf-8") as stream:
        stream.readline()
        for _, line in zip(range(lines), stream, strict=False):
            for name, value in zip(header, line.rstrip("\n").split(","), strict=False):
                if value and name not in found:
                    found[name] = value
    return found


# ------------------------------------------------------------------------------ stages


@contextlib.contextmanager
def stage_timers() -> Iterator[dict[str, float]]:
    """Seconds spent in the loader's functions, by stage and table (``dossiers: read``).

    Timers are wrapped around the module attributes the loader calls through; a function
    missing (the loader was rewritten) is simply not timed, the rest shows as ``other``."""
    import importlib

    timers: dict[str, float] = {}
    current = ["?"]
    patched: list[tuple[Any, str, Any]] = []

    def wrap(module_name: str, attribute: str, label: Callable[..., str],
             *, table_of: Callable[..., str] | None = None) -> None:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return
        original = getattr(module, attribute, None)
        if original is None:
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            outer = current[0]
            if table_of is not None:
                current[0] = table_of(*args, **kwargs)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                key = label(*args, **kwargs)
                timers[key] = timers.get(key, 0.0) + time.perf_counter() - started
                current[0] = outer

        setattr(module, attribute, timed)
        patched.append((module, attribute, original))

    load, folder = "briefkit.data.load", "briefkit.data.folder"
    wrap(folder, "load_file", lambda path, table, *a, **k: f"{table.name}: load_file (all)",
         table_of=lambda path, table, *a, **k: table.name)
    wrap(load, "read_file", lambda *a, **k: f"{current[0]}: read file → text columns")
    wrap(load, "strip_text", lambda *a, **k: f"{current[0]}: strip text, blank records")
    wrap(load, "convert", lambda kind, *a, **k: f"{current[0]}: convert {kind} columns")
    wrap(load, "_check_unique", lambda *a, **k: f"{current[0]}: unique keys")
    wrap(load, "_check_dates", lambda *a, **k: f"{current[0]}: date order and range")
    wrap(load, "check_file", lambda *a, **k: f"{current[0]}: suspicious values")
    wrap(load, "check_aggregates", lambda *a, **k: f"{current[0]}: Biểu 06 identities")
    for name in ("check_references", "check_hierarchy", "check_dossier_fit",
                 "check_coverage", "check_unit_changes"):
        wrap(folder, name, lambda *a, _n=name, **k: f"cross-table: {_n}")
    try:
        yield timers
    finally:
        for module, attribute, original in reversed(patched):
            setattr(module, attribute, original)


def print_stages(label: str, result: dict[str, Any]) -> None:
    stages: dict[str, float] = result["stages"]
    total = stages.pop("total")
    print(f"\nload + validate by stage, {label} ({result['rows']:,} dossiers): "
          f"{total:.2f} s in all")
    tables: dict[str, float] = {}
    for key, seconds in stages.items():
        table, _, what = key.partition(": ")
        if what == "load_file (all)":
            tables[table] = seconds
    shown = 0.0
    for table, table_seconds in sorted(tables.items(), key=lambda kv: -kv[1]):
        inner = {k.partition(": ")[2]: v for k, v in stages.items()
                 if k.startswith(f"{table}: ") and not k.endswith("load_file (all)")}
        if table_seconds < 0.05 * total:
            print(f"  {table + ' (file)':<44} {table_seconds:7.2f} s  {table_seconds / total:4.0%}")
            shown += table_seconds
            continue
        print(f"  {table + ' (file)':<44} {table_seconds:7.2f} s  {table_seconds / total:4.0%}")
        small = 0.0
        for what, seconds in sorted(inner.items(), key=lambda kv: -kv[1]):
            if seconds < 0.01 * total:
                small += seconds
                continue
            print(f"    {what:<42} {seconds:7.2f} s  {seconds / total:4.0%}")
        print(f"    {'smaller stages (< 1 % each)':<42} {small:7.2f} s  {small / total:4.0%}")
        # in load_file itself: the values as objects for messages, masks, the frame
        other = table_seconds - sum(inner.values())
        print(f"    {'rest of load_file (not timed apart)':<42} {other:7.2f} s  "
              f"{other / total:4.0%}")
        shown += table_seconds
    for key, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        if key.startswith("cross-table"):
            print(f"  {key:<44} {seconds:7.2f} s  {seconds / total:4.0%}")
            shown += seconds
    print(f"  {'rest (finding files, Dataset)':<44} {total - shown:7.2f} s")


# ------------------------------------------------------------------------------ measuring


@dataclass
class Figures:
    size: int
    fmt: str
    rows: int = 0
    load: float | None = None
    table: float | None = None
    history: float | None = None
    load_table_cpu: float | None = None  # CPU seconds, all threads
    duckdb_cpu: float | None = None
    peak_load: int = 0
    peak_table: int = 0
    peak_history: int = 0
    duckdb: float | None = None
    duckdb_peak: int = 0
    duckdb_note: str = ""
    counts_agree: bool | None = None
    stages: dict[str, Any] | None = None  # --stages: the child's timers

    @property
    def load_table(self) -> float | None:
        return None if self.load is None or self.table is None else self.load + self.table

    @property
    def ratio(self) -> float | None:
        total = self.load_table
        return None if total is None or not self.duckdb else total / self.duckdb


def best_of(repeat: int, step: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The run with the best time, with the least CPU time and the highest peak of all runs."""
    runs = [step() for _ in range(repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "cpu": min(r["cpu"] for r in runs), "peak": max(r["peak"] for r in runs)}


def measure(found: World, fmt: str, args: argparse.Namespace) -> Figures:
    data = found.data(fmt)
    figures = Figures(found.size, fmt)
    label = f"{found.size:,} {fmt}"

    def step(name: str) -> dict[str, Any]:
        result = best_of(args.repeat, lambda: child(name, data, period=args.period, fmt=fmt))
        progress(f"{label}: {name} {result['seconds']:.2f} s, peak "
                 f"{result['peak'] / GB:.2f} GB")
        return result

    loaded = step("load")
    figures.rows, figures.load, figures.peak_load = loaded["rows"], loaded["seconds"], \
        loaded["peak"]
    table = step("table")
    figures.table, figures.peak_table = table["seconds"], table["peak"]
    figures.load_table_cpu = loaded["cpu"] + table["cpu"]
    history = step("history")
    figures.history, figures.peak_history = history["seconds"], history["peak"]
    if args.duckdb:
        counted = step("duckdb")
        figures.duckdb, figures.duckdb_peak = counted["seconds"], counted["peak"]
        figures.duckdb_cpu = counted["cpu"]
        figures.duckdb_note = f"DuckDB {counted['version']}, {counted['threads']} threads"
        figures.counts_agree = counted["counts"] == table["counts"]
        if not figures.counts_agree:
            progress(f"{label}: DuckDB's counts differ from briefkit's")
    if args.stages:
        figures.stages = child("stages", data, period=args.period, fmt=fmt)
    return figures


# ------------------------------------------------------------------------------ report


def seconds_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def short(rows: int) -> str:
    """1,003,238 → '1 M', 100,318 → '100 k'."""
    return f"{rows / 1e6:.3g} M" if rows >= 10**6 else f"{rows / 1e3:.3g} k"


def gb(value: int | float) -> str:
    return f"{value / GB:.2f} GB"


def print_table(rows: list[list[str]], header: list[str], left: set[int]) -> None:
    """Columns in ``left`` aligned left, the others right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    print(rule)
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) if i in left else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())
        if row is header:
            print(rule)
    print(rule)


def report(results: list[Figures], worlds: dict[int, World], args: argparse.Namespace) -> None:
    rows = []
    for f in results:
        total = f.load_table
        rows.append([
            f"{f.rows:,}", f.fmt, seconds_text(f.load), seconds_text(f.table),
            seconds_text(f.history), seconds_text(total), seconds_text(f.load_table_cpu),
            "n/a" if not total else f"{f.rows / total:,.0f}",
            f"{gb(f.peak_load)} / {gb(f.peak_table)} / {gb(f.peak_history)}",
            (f"{seconds_text(f.duckdb)} (CPU {seconds_text(f.duckdb_cpu)})" if args.duckdb
             else args.no_duckdb_reason),
            "n/a" if f.ratio is None else f"{f.ratio:.0f}x",
        ])
    print_table(rows, ["dossiers", "format", "load+validate", "KPI table",
                       f"history ({HISTORY_PERIODS})", "load+table", "CPU", "rows/s",
                       "peak: load / +table / +history", "DuckDB 3 counts",
                       "briefkit/DuckDB"], left={0, 1})
    print(f"* period {args.period}; best of {args.repeat}; KPI table and history timed after "
          "a load, in processes of their own (peaks include the load and Python, ~0.2 GB)")
    print("* rows/s and briefkit/DuckDB: over load + validate + KPI table (wall time); CPU: "
          "its CPU time (every thread), steadier than wall time on a busy machine")
    notes = {f.duckdb_note for f in results if f.duckdb_note}
    if notes:
        agree = all(f.counts_agree for f in results if f.counts_agree is not None)
        print(f"* {'; '.join(sorted(notes))}; DuckDB peaks "
              + ", ".join(f"{f.size:,} {f.fmt} {gb(f.duckdb_peak)}" for f in results
                          if f.duckdb is not None)
              + f"; its per-unit counts equal briefkit's flags: {'yes' if agree else 'NO'}")
    for size, found in sorted(worlds.items()):
        generated = found.generated
        if generated:
            converted = found.converted
            parquet = "" if not converted else (
                f"; its Parquet copy {converted['seconds']:.1f} s, peak {gb(converted['peak'])}")
            print(f"* world of {size:,}: `briefkit demo-data --dossiers {size}` took "
                  f"{generated['seconds']:.0f} s, peak {gb(generated['peak_bytes'])}{parquet} "
                  f"(cached in {found.folder})")
    print()
    print_targets(results)
    for f in results:
        if f.stages is not None:
            print_stages(f"{f.fmt}", f.stages)


def print_targets(results: list[Figures]) -> None:
    """The issue's targets beside the figures: at 10 M when measured, else extrapolated
    linearly from the largest size measured (the verdict says so)."""
    rows = []

    def at_target(fmt: str) -> tuple[Figures | None, float, str]:
        measured = [f for f in results if f.fmt == fmt and f.load_table is not None]
        if not measured:
            return None, 1.0, ""
        largest = max(measured, key=lambda f: f.size)
        if largest.size >= TARGET_ROWS:
            return largest, 1.0, ""
        return largest, TARGET_ROWS / largest.rows, \
            f" (extrapolated from {short(largest.rows)})"

    def verdict(ok: bool, note: str) -> str:
        return ("met" if ok else "missed") + note

    for fmt in ("converted", "parquet", "csv"):
        figures, scale, note = at_target(fmt)
        if figures is None or figures.load_table is None:
            continue
        seconds = figures.load_table * scale
        rows.append([f"10 M from {fmt}: load + validate + KPI table", f"{seconds:.1f} s",
                     f"<= {TARGET_SECONDS[fmt]:.0f} s",
                     verdict(seconds <= TARGET_SECONDS[fmt], note)])
        # memory: Python's own ~0.2 GB does not scale; the rest does
        base = 0.2 * GB
        peak = base + (figures.peak_table - base) * scale
        rows.append([f"10 M from {fmt}: peak memory (load + table)", gb(peak),
                     f"<= {TARGET_PEAK_BYTES / GB:.0f} GB",
                     verdict(peak <= TARGET_PEAK_BYTES, note)])
        if fmt != "csv" and figures.ratio is not None:
            rows.append([f"10 M {fmt}: briefkit / DuckDB's 3 counts", f"{figures.ratio:.0f}x",
                         f"<= {TARGET_DUCKDB_RATIO:.0f}x",
                         verdict(figures.ratio <= TARGET_DUCKDB_RATIO,
                                 note and f" (at {short(figures.rows)})")])
    for fmt in ("converted", "parquet", "csv"):
        # CPU time: the wall time of the smaller size is mostly noise on a busy machine
        sizes = sorted((f for f in results if f.fmt == fmt and f.load_table_cpu),
                       key=lambda f: f.size)
        if len(sizes) >= 2:
            small, large = sizes[0], sizes[-1]
            assert small.load_table_cpu is not None and large.load_table_cpu is not None
            factor = (large.load_table_cpu / large.rows) / (small.load_table_cpu / small.rows)
            rows.append([f"linear in rows ({fmt}): CPU per row {short(large.rows)} / "
                         f"{short(small.rows)}", f"{factor:.2f}x",
                         f"<= {TARGET_LINEAR:.2f}x", verdict(factor <= TARGET_LINEAR, "")])
    if not rows:
        return
    print("targets (issue 10, 2 cores)")
    print_table(rows, ["target", "figure", "bound", "verdict"], left={0, 3})


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ main


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(float(part)) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"sizes: {exc}") from exc
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive numbers (1e6,1e7)")
    return sizes


def parse_formats(text: str) -> list[str]:
    formats = [part.strip() for part in text.split(",") if part.strip()]
    if not formats or set(formats) - set(FORMATS):
        raise argparse.ArgumentTypeError(f"formats: a comma-separated subset of "
                                         f"{','.join(FORMATS)}")
    return formats


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=parse_sizes, default=[10**6, 10**7],
                        help="dossiers per world, comma-separated (default 1e6,1e7)")
    parser.add_argument("--formats", type=parse_formats, default=list(FORMATS),
                        help="input formats, comma-separated (default csv,parquet)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per step, best time kept")
    parser.add_argument("--period", default="2026Q3", help="the quarter (default 2026Q3)")
    parser.add_argument("--quick", action="store_true",
                        help="100 k dossiers only: a smoke test of this script")
    parser.add_argument("--stages", action="store_true",
                        help="also break load + validate down by stage")
    parser.add_argument("--no-duckdb", dest="duckdb", action="store_false",
                        help="skip the DuckDB yardstick even when it is installed")
    parser.add_argument("--child", nargs=2, metavar=("STEP", "DATA"), help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-format", default="csv", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child[0], Path(args.child[1]), args.child_out, args.period,
                   args.child_format)
        return
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.quick:
        args.sizes = [100_000]
    args.no_duckdb_reason = "skipped"
    if args.duckdb:
        try:
            import duckdb  # noqa: F401
        except ImportError:
            progress("DuckDB is not installed (pip install -e '.[dev]'): no yardstick")
            args.duckdb, args.no_duckdb_reason = False, "not installed"

    load_before = os.getloadavg()
    started = time.perf_counter()
    worlds: dict[int, World] = {}
    results: list[Figures] = []
    for size in sorted(args.sizes):
        worlds[size] = world(size, args.formats)
        for fmt in args.formats:
            results.append(measure(worlds[size], fmt, args))
    load_after = os.getloadavg()
    print(f"\nbriefkit scale benchmark — {os.cpu_count()} cores, "
          f"{time.perf_counter() - started:.0f} s in all; load average (1, 5, 15 min) "
          f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} after")
    report(results, worlds, args)


if __name__ == "__main__":
    main()
