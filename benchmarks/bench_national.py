"""A national quarter on a Dask cluster (issue 10 item 4): measures a partitioned dataset's
KPIs on a ``LocalCluster`` and projects what 34 provinces cost on N workers. Prints figures
and a projection; asserts nothing.

    .venv/bin/python benchmarks/bench_national.py [--sizes 1e5,1e6] [--provinces 2,4]
        [--workers 1,2] [--driver-provinces 34] [--period 2026Q3] [--repeat 3]
        [--national-dossiers 30e6] [--national-provinces 34] [--national-communes 3321]
        [--bandwidth-mb 100] [--report-from RESULTS]

Datasets: the demo province worlds of ``benchmarks/bench_scale.py`` (``briefkit demo-data
--dossiers S``, cached in ``~/.cache/briefkit-bench/scale-<S>-<fp>/csv/``, generated there
when missing) cloned into provinces, hive-style: ``province=NN/`` holds the world's tables
with every unit id, parent, merger and row key prefixed ``PNN-`` (as ``_province`` in
``tests/test_dask_kpis.py``, but with *all* the world's dossiers: each partition has S
dossiers and the world's 472 units, 99 of them communes after the 2025 reform), written by
``briefkit convert`` from a temporary CSV copy, so workers take the fast path. They are built
once into ``${XDG_CACHE_HOME:-~/.cache}/briefkit-bench/national-<generator fp>-<validator
fp>/`` (``s<S>/province=NN/``; a dataset of P provinces, ``datasets/s<S>-p<P>/``, links to the
first P of them): a changed loader makes a new folder, since a converted folder is only
trusted by the validation that wrote it. 1 M dossiers take about 8 MB a partition; delete
the folder to reclaim the space. Targets: ``params/targets.yaml`` without its per-unit
overrides (they name the demo's own unit ids), so the workers are asked for three periods:
the quarter, the same quarter last year, and last year (the ``baseline_plus`` rules).

Each measurement runs in a fresh process:

* **worker task** (per size, best of ``--repeat`` in one process): what
  :func:`briefkit.partitioned.compute_partitioned` asks of a worker for one partition —
  ``_open`` (load the converted folder, :class:`~briefkit.kpis.counts.UnitCounts`, the
  summary), ``_summary`` and ``_period_counts`` for the periods the table needs — timed by
  wrapping those functions while ``compute_partitioned`` runs in-process on that one
  partition; also the pickled size of what the worker sends back (summary + counts), the
  memory a loaded partition holds (RSS growth across ``_open``, first run) and whether the
  converted fast path was taken;
* **cluster** (per size, number of provinces and of worker processes): a ``LocalCluster`` of
  N processes, one thread each; first ``briefkit kpis --data DATASET --scheduler ADDRESS
  --period … --targets … --out …`` as a user runs it (the workers' first job: they import
  briefkit), then ``compute_partitioned`` on the same cluster (``--repeat`` times, best
  wall time), split with the scheduler's task stream and timers around
  ``PartitionedCounts._map``: the workers' critical path (the time at least one worker
  computes), the driver's own work (stacking the counts, rows, roll-ups, targets, ranks:
  everything outside the rounds of tasks) and the overhead of the rounds (scheduling,
  transfer, (de)serialisation: the rounds' time when no worker computes);
* **driver at the national unit count**: the same on ``--driver-provinces`` partitions
  (default 34) of the smallest size, once per N (its driver alone takes tens of seconds),
  so the driver's time is measured at the number of units a national dataset has rather
  than extrapolated.

The raw figures go to ``results.json`` in the cache folder; ``--report-from FILE`` prints
the report (and a projection with other ``--national-*`` options) without measuring.

Projection, for a national dataset of D dossiers (``--national-dossiers``, default 30 M: an
assumption to replace by your volume; every year the partitions hold counts, since workers
load whole partitions, not just the quarter) over 34 provinces and 3,321 communes, on N = 1,
4, 8, 16, 34 workers: ``ceil(34/N)`` × the worker task at D/34 dossiers (linear fit over the
measured sizes) + the driver and round overhead (least-squares quadratic in the number of
units over the cluster runs — it grows faster than the units — at the national unit count:
the demo province's units scaled by 3,321 / (34 × its communes)) + the transfer of every
partition's result at ``--bandwidth-mb``; ``briefkit kpis`` adds its start-up and the writing
of kpis.csv (CLI warm − wall, fitted likewise); memory per worker: ``ceil(34/N)`` loaded
partitions (a worker keeps each of its partitions loaded until the table is done).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import bench_scale
from bench_scale import (
    BIN,
    ROOT,
    cache_root,
    generator_fingerprint,
    parse_sizes,
    print_table,
    progress,
    run_command,
    short,
)

MB = 10**6
GB = 10**9
TABLES = ("units", "procedures", "dossiers", "aggregates", "documents", "unit_changes")
#: The id columns that name a unit (prefixed in a cloned province), and the row keys.
UNIT_COLUMNS = ("unit_id", "parent_id", "from_unit_id", "to_unit_id")
KEYS = ("dossier_id", "document_id")
PROJECTED_WORKERS = (1, 4, 8, 16, 34)


# ------------------------------------------------------------------------------ datasets


def validator_fingerprint() -> str:
    from briefkit.data.converted import validator_fingerprint as fingerprint

    return fingerprint()[:12]


def national_root() -> Path:
    """The cache folder of the partitions, per demo generator and validating code."""
    return cache_root() / f"national-{generator_fingerprint()}-{validator_fingerprint()}"


def read_world(csv: Path) -> dict[str, Any]:
    """The world's CSV tables as text, cell for cell."""
    import pandas as pd

    return {t: pd.read_csv(csv / f"{t}.csv", dtype=str, keep_default_na=False)
            for t in TABLES if (csv / f"{t}.csv").exists()}


def province(frames: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The world as another province: every unit id and row key under ``prefix`` (the
    procedures, the national catalogue, unchanged), all its dossiers."""
    out = {}
    for name, frame in frames.items():
        if name != "procedures":
            frame = frame.copy()
            for column in (*UNIT_COLUMNS, *KEYS):
                if column in frame:
                    frame[column] = frame[column].where(frame[column] == "",
                                                        prefix + frame[column])
        out[name] = frame
    return out


def converted(folder: Path) -> bool:
    return (folder / "briefkit-dataset.json").is_file()


def build_partitions(size: int, count: int) -> tuple[Path, dict[str, Any]]:
    """The folder of ``count`` converted provinces of the ``size`` world (built when missing),
    and facts about the world (dossiers, units, communes after the reform)."""
    found = bench_scale.world(size, ["csv"])
    csv = found.data("csv")
    folder = national_root() / f"s{size}"
    folder.mkdir(parents=True, exist_ok=True)
    facts_file = folder / "world.json"
    missing = [k for k in range(1, count + 1) if not converted(folder / f"province={k:02d}")]
    if missing or not facts_file.exists():
        progress(f"reading the {short(size)} world ({csv}) …")
        frames = read_world(csv)
        units, changes = frames["units"], frames.get("unit_changes")
        former = set(changes["from_unit_id"]) if changes is not None else set()
        current = units[~units["unit_id"].isin(former)]
        facts = {"dossiers": len(frames["dossiers"]), "units": len(units),
                 "communes": int((current["level"] == "xa").sum())}
        facts_file.write_text(json.dumps(facts), encoding="utf-8")
        for k in missing:
            out = folder / f"province={k:02d}"
            shutil.rmtree(out, ignore_errors=True)
            with tempfile.TemporaryDirectory(dir=folder, prefix=".source-") as tmp:
                source = Path(tmp) / "data"
                source.mkdir()
                for name, frame in province(frames, f"P{k:02d}-").items():
                    frame.to_csv(source / f"{name}.csv", index=False)
                seconds, peak = run_command([BIN / "briefkit", "convert", "--data", source,
                                             "--out", out])
            progress(f"{out.relative_to(national_root())}: briefkit convert {seconds:.1f} s, "
                     f"peak {peak / GB:.2f} GB, {folder_bytes(out) / MB:.1f} MB")
    return folder, json.loads(facts_file.read_text(encoding="utf-8"))


def dataset(size: int, count: int) -> Path:
    """``datasets/s<size>-p<count>/``: links to the first ``count`` provinces of ``size``."""
    folder = national_root() / "datasets" / f"s{size}-p{count}"
    if not all((folder / f"province={k:02d}").exists() for k in range(1, count + 1)):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for k in range(1, count + 1):
            (folder / f"province={k:02d}").symlink_to(Path("..", "..", f"s{size}",
                                                           f"province={k:02d}"))
    return folder


def targets_file() -> Path:
    """params/targets.yaml without its per-unit overrides (they name the demo's unit ids,
    which the provinces prefix): the same rules, hence the same periods asked of workers."""
    import yaml

    path = national_root() / "targets.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    rules = yaml.safe_load((ROOT / "params" / "targets.yaml").read_text(encoding="utf-8"))
    for year in rules.values():
        if isinstance(year, dict):
            year.pop("units", None)
    path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    return path


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------ children
# Each measurement runs in a fresh process: `bench_national.py --child STEP DATA …`, which
# prints one JSON object (its last line of output).


def child(step: str, data: Path, *extra: str) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", step, str(data), *extra]
    return bench_scale.run_child(argv, f"step {step!r} failed on {data}")


def rss() -> int:
    """This process's resident memory now, in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def wrap(module: Any, name: str, record: Callable[[str, float, Any], None]) -> None:
    """Replace ``module.name`` by a function that times it and records its result."""
    original = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = original(*args, **kwargs)
        record(name, time.perf_counter() - started, result)
        return result

    setattr(module, name, timed)


def child_worker(folder: Path, period: str, targets: Path, repeat: int) -> dict[str, Any]:
    """What a worker does for one partition, timed inside ``compute_partitioned`` run in this
    process on that partition alone (a plain data folder is a dataset of one partition)."""
    from briefkit import __version__, partitioned
    from briefkit.data.converted import read_converted
    from briefkit.pipeline import KpiRequest

    runs: list[dict[str, Any]] = []
    current: dict[str, Any] = {}

    def record(name: str, seconds: float, result: Any) -> None:
        current[name] = current.get(name, 0.0) + seconds
        if name == "_summary":
            current["summary_bytes"] = len(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
        elif name == "_period_counts":
            current["counts_bytes"] = len(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
            current["periods"] = len(result)

    for name in ("_open", "_summary", "_period_counts"):
        wrap(partitioned, name, record)
    request = KpiRequest(folder, period, targets=targets)
    for _ in range(repeat):
        current = {}
        started = time.perf_counter()
        partitioned.compute_partitioned(request)
        current["total"] = time.perf_counter() - started
        current["task"] = current["_open"] + current["_summary"] + current["_period_counts"]
        current["driver"] = current["total"] - current["task"]
        runs.append(current)
    best = min(runs, key=lambda r: r["task"])
    # The memory a loaded partition holds on its worker: one more of them held, RSS growth
    # from one to three (imports and the allocator's first growth come before).
    current = {}
    held = [partitioned._open(str(folder), ".", __version__)]
    one = rss()
    held += [partitioned._open(str(folder), ".", __version__) for _ in range(2)]
    partition_bytes = (rss() - one) / 2
    del held
    return {**best, "first_task": runs[0]["task"], "partition_bytes": partition_bytes,
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "fast_path": read_converted(folder) is not None}


def union_seconds(intervals: list[tuple[float, float]]) -> float:
    """The length of the union of intervals."""
    total, end = 0.0, -math.inf
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def child_cluster(data: Path, period: str, targets: Path, workers: int, repeat: int
                  ) -> dict[str, Any]:
    """A LocalCluster of ``workers`` processes: the CLI once on its cold workers, then
    ``compute_partitioned`` ``repeat`` times, split into workers, rounds and driver."""
    import distributed
    from dask.utils import key_split

    from briefkit import partitioned
    from briefkit.pipeline import KpiRequest

    rounds: list[tuple[float, float]] = []
    original = partitioned.PartitionedCounts._map

    def timed_map(self: Any, fn: Callable[..., Any], **kwargs: Any) -> list[Any]:
        started = time.time()  # the task stream's clock
        try:
            return original(self, fn, **kwargs)
        finally:
            rounds.append((started, time.time()))

    partitioned.PartitionedCounts._map = timed_map  # type: ignore[method-assign]
    from briefkit.data.converted import read_converted

    def fast_path() -> bool:  # every partition still as convert wrote it, for this loader
        return all(read_converted(p) is not None for p in partitioned.partitions(data))

    result: dict[str, Any] = {"workers": workers, "partitions": len(partitioned.partitions(data)),
                              "fast_path_before": fast_path()}
    with tempfile.TemporaryDirectory() as out, distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            dashboard_address=":0") as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(workers)
        address = cluster.scheduler_address
        cli = [BIN / "briefkit", "kpis", "--data", data, "--scheduler", address, "--period",
               period, "--targets", targets, "--out", out, "--quiet"]
        result["cli_cold"], result["cli_peak"] = run_command(cli)
        request = KpiRequest(data, period, targets=targets)
        runs = []
        for _ in range(repeat):
            rounds.clear()
            with distributed.get_task_stream(client) as stream:
                started = time.time()
                partitioned.compute_partitioned(request, client)
                wall = time.time() - started
            computing: list[tuple[float, float]] = []
            per_function: dict[str, list[float]] = {}
            for task in stream.data:
                for part in task["startstops"]:
                    if part["action"] == "compute":
                        computing.append((part["start"], part["stop"]))
                        per_function.setdefault(key_split(task["key"]), []).append(
                            part["stop"] - part["start"])
            in_rounds = sum(stop - start for start, stop in rounds)
            workers_busy = union_seconds(computing)
            runs.append({"wall": wall, "workers_busy": workers_busy,
                         "rounds": in_rounds, "driver_own": wall - in_rounds,
                         "overhead": in_rounds - workers_busy,
                         "driver": wall - workers_busy,
                         "tasks": {k: [len(v), sum(v)] for k, v in per_function.items()}})
        result.update(min(runs, key=lambda r: r["wall"]))
        result["cli_warm"], _ = run_command(cli)
    # in a fresh process: the loader's fingerprint now (the workers' is that of their first load)
    after = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                            "from briefkit.data.converted import read_converted; "
                            "sys.exit(any(read_converted(p) is None for p in "
                            "map(Path, sys.argv[1:])))",
                            *map(str, partitioned.partitions(data))], check=False)
    result["fast_path"] = result["fast_path_before"] and after.returncode == 0
    return result


def child_main(args: argparse.Namespace) -> None:
    step, data = args.child[0], Path(args.child[1])
    if step == "worker":
        print(json.dumps(child_worker(data, args.period, args.child_targets, args.repeat)))
    elif step == "cluster":
        print(json.dumps(child_cluster(data, args.period, args.child_targets,
                                       args.child_workers, args.child_repeat)))
    else:
        raise SystemExit(f"unknown step {step!r}")


# ------------------------------------------------------------------------------ report


def fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line; through the origin with one distinct x
    (then proportional)."""
    if len(set(xs)) < 2:
        x, y = sum(xs) / len(xs), sum(ys) / len(ys)
        return 0.0, y / x
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) \
        / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def poly_fit(xs: Sequence[float], ys: Sequence[float]) -> Any:
    """The least-squares polynomial of ``ys`` over ``xs``: quadratic with three distinct xs
    or more (the driver's time grows faster than the units), else linear, else
    proportional."""
    import numpy as np

    degree = min(2, len(set(xs)) - 1)
    if degree == 0:
        return np.poly1d([sum(ys) / sum(xs), 0.0])
    return np.poly1d(np.polyfit(xs, ys, degree))


def s(value: float) -> str:
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def poly_text(poly: Any) -> str:
    """``a + b·u + c·u²`` in seconds, u in thousands of units."""
    text = ""
    for p, c in enumerate(reversed(poly.coeffs)):
        term = f"{abs(c * 1e3 ** p):.3g}" + ("" if p == 0 else " u" if p == 1 else f" u^{p}")
        text += (f"{'-' if c < 0 else ''}{term}" if not text
                 else f" {'-' if c < 0 else '+'} {term}")
    return text + " s (u in thousands of units)"


def kb(value: float) -> str:
    return f"{value / 1e3:.0f} kB"


def report(workers: dict[int, dict[str, Any]], clusters: list[dict[str, Any]],
           facts: dict[int, dict[str, Any]], args: argparse.Namespace) -> None:
    print("\nworker task, one partition, in-process (best of "
          f"{args.repeat}; load = _open: load the converted folder + UnitCounts + summary)")
    rows = []
    for size, w in sorted(workers.items()):
        rows.append([f"{facts[size]['dossiers']:,}", s(w["_open"]), s(w["_summary"]),
                     s(w["_period_counts"]), s(w["task"]), s(w["first_task"]),
                     str(w["periods"]), kb(w["summary_bytes"]), kb(w["counts_bytes"]),
                     f"{w['partition_bytes'] / MB:.0f} MB", "yes" if w["fast_path"] else "NO"])
    print_table(rows, ["dossiers", "load", "summary", "counts", "task", "1st run", "periods",
                       "summary pickled", "counts pickled", "memory held", "fast path"],
                left=set())

    print("\ncluster: LocalCluster, N processes x 1 thread; CLI = `briefkit kpis --scheduler` "
          "(cold: the workers' first job); the rest is compute_partitioned, best of "
          f"{args.repeat} ({args.driver_provinces} provinces: one run)")
    rows = []
    for c in clusters:
        per_partition = sum(v[1] for v in c["tasks"].values()) / c["partitions"]
        rows.append([f"{facts[c['size']]['dossiers']:,}", str(c["partitions"]),
                     f"{c['units']:,}", str(c["workers"]), s(c["cli_cold"]), s(c["cli_warm"]),
                     s(c["wall"]), s(c["workers_busy"]), s(per_partition),
                     s(c["driver_own"]), s(c["overhead"]), s(c["driver"]),
                     " ".join(f"{x:.1f}" for x in c["load"])])
    print_table(rows, ["dossiers/prov", "prov", "units", "N", "CLI cold", "CLI warm", "wall",
                       "workers busy", "task/prov", "driver own", "round overhead",
                       "driver+overhead", "load avg"], left=set())
    stale = [f"{short(facts[c['size']]['dossiers'])} x {c['partitions']}, N={c['workers']}"
             for c in clusters if not c["fast_path"]]
    if stale:
        print("  WARNING: the converted partitions were not on the fast path for this loader "
              f"before or after these runs: {'; '.join(stale)} (lib/briefkit/data changed "
              "during the run?): some of their loads may have been full validations")
    print("  workers busy: the time at least one worker computes; task/prov: the tasks' "
          "compute time per partition on the cluster; driver own: outside the rounds of "
          "tasks (stacking, rows, roll-ups, targets, ranks); round overhead: the rounds' time "
          "when no worker computes (scheduling, transfer, (de)serialisation)")
    speedups = []
    by_key = {(c["size"], c["partitions"], c["workers"]): c for c in clusters}
    for (size, count, n), c in sorted(by_key.items()):
        one = by_key.get((size, count, 1))
        if n > 1 and one is not None:
            speedups.append(f"{short(facts[size]['dossiers'])} x {count}: N={n} "
                            f"{one['wall'] / c['wall']:.2f}x (workers busy "
                            f"{one['workers_busy'] / c['workers_busy']:.2f}x)")
    if speedups:
        print("  speed-up over N=1 (wall): " + "; ".join(speedups))

    project(workers, clusters, facts, args)


def project(workers: dict[int, dict[str, Any]], clusters: list[dict[str, Any]],
            facts: dict[int, dict[str, Any]], args: argparse.Namespace) -> None:
    sizes = sorted(workers)
    xs = [facts[size]["dossiers"] for size in sizes]
    task_a, task_b = fit(xs, [workers[size]["task"] for size in sizes])
    mem_a, mem_b = fit(xs, [workers[size]["partition_bytes"] for size in sizes])
    # What a worker sends back is per unit (units, their catalogue, units x counts), not per
    # dossier: the mean over the sizes, scaled by the national units per province.
    sent_here = sum(workers[size]["summary_bytes"] + workers[size]["counts_bytes"]
                    for size in sizes) / len(sizes)
    driver_fit = poly_fit([c["units"] for c in clusters], [c["driver"] for c in clusters])
    world = facts[sizes[0]]
    provinces = args.national_provinces
    per_province = args.national_dossiers / provinces
    units = world["units"] * args.national_communes / world["communes"]  # the whole country
    task = task_a + task_b * per_province
    memory = max(mem_a + mem_b * per_province, 0.0)
    sent = provinces * sent_here * units / (provinces * world["units"])
    transfer = sent / (args.bandwidth_mb * MB)
    driver = float(driver_fit(units))
    # what the command adds to compute_partitioned: start-up, notes, writing kpis.csv (a row
    # per unit and KPI: it grows with the units too)
    cli_fit = poly_fit([c["units"] for c in clusters],
                       [max(c["cli_warm"] - c["wall"], 0.0) for c in clusters])
    cli = max(float(cli_fit(units)), 0.0)
    print(f"\nprojection: a national quarter, {args.national_dossiers:,.0f} dossiers in the "
          f"data over {provinces} provinces ({per_province:,.0f} a partition), "
          f"{args.national_communes:,} communes, about {units:,.0f} units")
    rows = []
    for n in PROJECTED_WORKERS:
        per_worker = math.ceil(provinces / n)
        total = per_worker * task + driver + transfer
        rows.append([str(n), str(per_worker), s(per_worker * task), s(driver), s(transfer),
                     s(total), s(total + cli), f"{per_worker * memory / GB:.2f} GB"])
    print_table(rows, ["N workers", "partitions/worker", "workers", "driver+overhead",
                       "transfer", "compute_partitioned", "briefkit kpis", "memory/worker"],
                left=set())
    measured = sorted({(c["partitions"], c["units"]) for c in clusters})
    print(f"""assumptions:
  * {args.national_dossiers:,.0f} dossiers in the partitions (--national-dossiers): an
    ASSUMPTION, replace it by your volume; it is every dossier the folders hold (workers load
    whole partitions, every year, not just the quarter), spread evenly over {provinces}
    provinces; a province of twice the average takes twice its time.
  * worker task per partition = {task_a:.3f} s + {task_b * 1e6:.3f} s per million dossiers
    (fit over {', '.join(f'{x:,}' for x in xs)} dossiers; load of the converted folder,
    UnitCounts, {workers[sizes[0]]['periods']} periods: the quarter, the same quarter last
    year and last year for the baseline_plus targets) → {s(task)} at {per_province:,.0f};
    one worker = one core, reading from a shared file system as fast as the local disk
    here; the partitions spread evenly, ceil({provinces}/N) a worker, both rounds (load,
    counts) run where the partition is.
  * driver + round overhead: {poly_text(driver_fit)} (least squares, u = units, over the
    cluster runs at {', '.join(f'{p} provinces ({u:,} units)' for p, u in measured)})
    → {s(driver)} at {units:,.0f} units (the demo province's {world['units']} units, former
    units of the 2025 reform included, scaled by {args.national_communes:,} / ({provinces} x
    {world['communes']} communes)); the driver and scheduler on their own core.
  * transfer: {sent / MB:.1f} MB of pickled results in all ({sent_here / MB:.2f} MB a
    partition here, summary + counts: per unit, not per dossier — the units x procedures
    catalogue is most of it) at {args.bandwidth_mb:.0f} MB/s (--bandwidth-mb); on the cluster
    runs above it is part of the round overhead.
  * memory per worker: ceil({provinces}/N) x {memory / MB:.0f} MB (RSS growth of loading one
    partition, fit by size): a worker keeps its partitions loaded until the table is done;
    Dask's default memory limit (the machine's memory / workers) spills or pauses beyond it.
  * briefkit kpis = compute_partitioned + {s(cli)}: the command's start-up, notes and
    kpis.csv (CLI warm - wall above: {poly_text(cli_fit)}).
  * not included: the workers' first job importing briefkit (CLI cold - CLI warm above),
    `briefkit convert` of each export (once per export, not per quarter).""")


# ------------------------------------------------------------------------------ main


def parse_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if not counts or any(c < 1 for c in counts):
        raise argparse.ArgumentTypeError("comma-separated positive integers (1,2)")
    return counts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=parse_sizes, default=[10**5, 10**6],
                        help="dossiers per partition, comma-separated (default 1e5,1e6)")
    parser.add_argument("--provinces", type=parse_counts, default=[2, 4],
                        help="partitions per dataset, comma-separated (default 2,4)")
    parser.add_argument("--workers", type=parse_counts, default=[1, 2],
                        help="worker processes of the LocalCluster (default 1,2)")
    parser.add_argument("--driver-provinces", type=int, default=34,
                        help="also run this many partitions of the smallest size, to measure "
                             "the driver at a national unit count (0: skip; default 34)")
    parser.add_argument("--period", default="2026Q3", help="the quarter (default 2026Q3)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step, best kept")
    parser.add_argument("--national-dossiers", type=float, default=30e6,
                        help="dossiers in a national dataset: an assumption (default 30e6)")
    parser.add_argument("--national-provinces", type=int, default=34)
    parser.add_argument("--national-communes", type=int, default=3321)
    parser.add_argument("--bandwidth-mb", type=float, default=100.0,
                        help="network between workers and driver, MB/s (default 100)")
    parser.add_argument("--child", nargs=2, metavar=("STEP", "DATA"), help=argparse.SUPPRESS)
    parser.add_argument("--child-targets", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--child-repeat", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--report-from", type=Path, metavar="RESULTS",
                        help="measure nothing: the report of a run's results.json")
    args = parser.parse_args(argv)
    if args.child:
        child_main(args)
        return
    if args.report_from:
        report_from(args.report_from, args)
        return
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    load_before = os.getloadavg()
    started = time.perf_counter()
    sizes = sorted(args.sizes)
    targets = targets_file()
    facts: dict[int, dict[str, Any]] = {}
    for size in sizes:
        count = max(args.provinces)
        if size == sizes[0]:
            count = max(count, args.driver_provinces)
        _, facts[size] = build_partitions(size, count)
    common = ["--period", args.period, "--child-targets", str(targets)]

    workers: dict[int, dict[str, Any]] = {}
    for size in sizes:
        folder = national_root() / f"s{size}" / "province=01"
        workers[size] = child("worker", folder, *common, "--repeat", str(args.repeat))
        w = workers[size]
        progress(f"worker task {short(size)}: {w['task']:.2f} s (first {w['first_task']:.2f} "
                 f"s), {(w['summary_bytes'] + w['counts_bytes']) / 1e3:.0f} kB back, "
                 f"fast path {w['fast_path']}")

    # the national unit count once per N: its driver alone takes tens of seconds
    plan = [(size, count, args.repeat) for size in sizes for count in sorted(args.provinces)]
    if args.driver_provinces and args.driver_provinces not in args.provinces:
        plan.append((sizes[0], args.driver_provinces, 1))
    clusters = []
    for size, count, repeat in plan:
        for n in sorted(args.workers):
            load = os.getloadavg()
            c = child("cluster", dataset(size, count), *common, "--child-workers", str(n),
                      "--child-repeat", str(repeat))
            c.update(size=size, units=count * facts[size]["units"],
                     load=[load[0], os.getloadavg()[0]])
            clusters.append(c)
            progress(f"{short(size)} x {count} provinces, {n} workers: wall {c['wall']:.2f} s, "
                     f"workers busy {c['workers_busy']:.2f} s, driver+overhead "
                     f"{c['driver']:.2f} s, CLI cold {c['cli_cold']:.2f} s")

    load_after = os.getloadavg()
    header = (f"briefkit national benchmark — {os.cpu_count()} cores, "
              f"{time.perf_counter() - started:.0f} s in all; load average (1, 5, 15 min) "
              f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
              f"{' '.join(f'{x:.2f}' for x in load_after)} after; data in {national_root()}")
    results = national_root() / "results.json"
    results.write_text(json.dumps({"header": header, "workers": workers, "clusters": clusters,
                                   "facts": facts}, indent=1), encoding="utf-8")
    print(f"\n{header}\n(raw figures: {results}; --report-from it re-prints this report, with "
          f"other --national-* options)")
    report(workers, clusters, facts, args)


def report_from(path: Path, args: argparse.Namespace) -> None:
    """The report of saved figures (JSON keys are strings: sizes back to ints)."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    print(f"\n{saved['header']}\n(from {path})")
    report({int(k): v for k, v in saved["workers"].items()}, saved["clusters"],
           {int(k): v for k, v in saved["facts"].items()}, args)


if __name__ == "__main__":
    main()
