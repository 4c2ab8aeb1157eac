"""Where one briefing's time goes, this tree beside a baseline revision: prints figures,
asserts nothing.

    .venv/bin/python benchmarks/bench_units.py [--baseline REV] [--data data/demo-district]
        [--period 2023Q4] [--units 8] [--repeat 3] [--quarter]

The machines this project is measured on are noisy (the same run varies by 20 %), so a figure
means little next to one measured on another day. This benchmark measures the per-unit costs
of a batch **side by side**: each round runs a fresh process for this tree and, with
``--baseline REV`` (a git revision, e.g. the commit before a change), one for that revision
(checked out into a temporary git worktree and imported through ``PYTHONPATH``, with the same
interpreter and packages), alternating, ``--repeat`` rounds; the table gives the best round of
each and their ratio. Each process measures, for the first ``--units`` units of the period:

* **execute** and **render**: ``briefkit.batch.run_batch`` with ``workers=0`` (every step in
  that process, one after the other, exactly as a batch worker runs it) on those units, the
  ``execute_s`` and ``render_s`` the manifest records, median over the units;
* **charts**: the unit briefing's four charts built and written as SVG
  (``briefkit.charts``), median over the units, after one unit to warm up;
* **quarter** (with ``--quarter``): the whole period as a user runs it, ``python -m briefkit
  run --force`` with the default workers, its wall time (about 25 s a round and a tree).

The process warms up as a batch worker does before its first task (the imports, the shell,
and the garbage collector's settings where the revision has them), so execute, render and
charts are a worker's costs.

Best of several rounds, because the noise comes in phases: on one afternoon the same code
rendered a unit in 0.47 s and, minutes later, in 0.80 s (CPU time inflates alike, so it is
not time-slicing that a CPU clock would see through).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_batch import ROOT, SOURCE_DATE_EPOCH, as_users_run  # a sibling script

MEASURES = ("execute", "render", "charts")


def as_a_worker() -> None:
    """Warm up as :func:`briefkit.workers.pools._worker_main` does (what a revision has)."""
    import importlib

    def step(module: str, name: str) -> None:
        try:
            function = getattr(importlib.import_module(module), name, None)
        except ImportError:
            function = None
        if function is not None:
            function()

    step("briefkit.startup", "defer_imports")
    step("briefkit.inprocess", "warm_up")
    step("briefkit.workers.pools", "settle_collector")


def child(data: Path, period: str, count: int) -> dict[str, float]:
    """Run in a fresh process: the per-unit medians, in seconds."""
    as_a_worker()
    from briefkit import briefing, charts
    from briefkit.batch import RunRequest, run_batch

    prepared = briefing.prepare(str(data), period, targets_file=str(ROOT / "params" /
                                                                   "targets.yaml"))
    table = prepared.table
    units = list(table.loc[~table["is_rollup"].astype(bool), "unit_id"].astype(str)
                 .unique())[:count]
    with tempfile.TemporaryDirectory(prefix="bench-units-") as out:
        result = run_batch(RunRequest(data, period, out, targets=ROOT / "params" /
                                      "targets.yaml", header=ROOT / "params" / "header.yaml",
                                      units=units, workers=0, force=True), progress=False)
        manifest = json.loads(Path(result.manifest).read_text(encoding="utf-8"))
    rows = manifest["units"]
    figures: dict[str, float] = {
        "execute": statistics.median(r["execute_s"] for r in rows),
        "render": statistics.median(r["render_s"] for r in rows)}
    times = []
    for unit in [units[0], *units]:  # the first one again: warm-up
        started = time.perf_counter()
        for fig in (charts.online_trend(prepared.history, unit, briefing.PEER_KPI),
                    charts.peer_comparison(prepared.table, unit, briefing.PEER_KPI),
                    charts.channel_mix(prepared.table, unit),
                    charts.timeliness(prepared.table, unit)):
            charts.figure_svg(fig)
            charts.close(fig)
        times.append(time.perf_counter() - started)
    figures["charts"] = statistics.median(times[1:])
    return figures


def measure(lib: Path, args: argparse.Namespace) -> dict[str, float]:
    env = as_users_run({**os.environ, "PYTHONPATH": str(lib),
                        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "MPLBACKEND": "agg"})
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--data", str(args.data), "--period",
         args.period, "--units", str(args.units)],
        env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if args.quarter:
        with tempfile.TemporaryDirectory(prefix="bench-units-quarter-") as out:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "briefkit", "run", "--data", str(args.data),
                 "--period", args.period, "--targets", str(ROOT / "params" / "targets.yaml"),
                 "--header", str(ROOT / "params" / "header.yaml"), "--out", out, "--force"],
                env=env, check=True, capture_output=True, cwd=ROOT)
            figures["quarter"] = time.perf_counter() - started
    return figures


def worktree(revision: str, folder: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(folder),
                    revision], check=True)
    return folder / "lib"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "demo-district")
    parser.add_argument("--period", default="2023Q4")
    parser.add_argument("--units", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", help="a git revision measured beside this tree")
    parser.add_argument("--quarter", action="store_true",
                        help="also time the whole period's `briefkit run --force`")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.data.resolve(), args.period, args.units)))
        return
    if not (args.data / "dossiers.csv").exists():
        parser.error(f"{args.data} has no dossiers.csv: `briefkit demo-data --world district "
                     f"--out data/demo-district` first")
    args.data = args.data.resolve()
    measures = (*MEASURES, "quarter") if args.quarter else MEASURES
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-units-tree-") as scratch:
        trees: dict[str, Path] = {"this tree": ROOT / "lib"}
        if args.baseline:
            trees = {f"baseline {args.baseline}": worktree(args.baseline,
                                                           Path(scratch) / "baseline"),
                     **trees}
        try:
            rounds: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
            for round_ in range(args.repeat):
                for name, lib in trees.items():
                    rounds[name].append(measure(lib, args))
                    print(f"  … round {round_ + 1}, {name}: " + ", ".join(
                        f"{m} {rounds[name][-1][m] * 1000:.0f} ms" for m in measures),
                        file=sys.stderr, flush=True)
        finally:
            if args.baseline:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(Path(scratch) / "baseline")], check=False)
    print(f"\nper-unit costs, {args.units} units of {args.period} ({args.data.name}), best of "
          f"{args.repeat} rounds, {os.cpu_count()} cores, {time.perf_counter() - started:.0f} "
          f"s in all; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    names = list(trees)
    header = ["measure (median per unit)", *names] + (["ratio"] if len(names) == 2 else [])
    rows: list[list[Any]] = []
    for m in measures:
        best = [min(r[m] for r in rounds[name]) for name in names]
        label = "quarter (whole run)" if m == "quarter" else m
        row = [label, *(f"{b:.1f} s" if m == "quarter" else f"{b * 1000:.0f} ms"
                        for b in best)]
        if len(names) == 2:
            row.append(f"{best[1] / best[0]:.2f}")
        rows.append(row)
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
