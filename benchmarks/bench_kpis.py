"""Speed of the KPI path on the demo district: prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_kpis.py [--data data/demo] [--period 2023Q4]

Measures, each as the best of a few runs (2-core machine: see the README for the figures):
load + validate, one quarter's KPI table (with the same-period-last-year comparison and
targets), the 8-period history a briefing charts, and the whole `briefkit kpis` command.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn: Callable[[], object], runs: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(ROOT / "data" / "demo"))
    parser.add_argument("--period", default="2023Q4")
    parser.add_argument("--targets", default=str(ROOT / "params" / "targets.yaml"))
    args = parser.parse_args()

    from briefkit.data import load_dataset
    from briefkit.kpis import compute_kpis, kpi_history
    from briefkit.periods import parse_period
    from briefkit.targets import load_targets

    if not (Path(args.data) / "dossiers.csv").exists():
        from briefkit.demo import generate

        seconds, _ = best_of(lambda: generate(args.data), runs=1)
        print(f"generate demo data                 {seconds:7.2f} s")

    period = parse_period(args.period)
    targets = load_targets(args.targets)
    seconds, ds = best_of(lambda: load_dataset(args.data))
    print(f"load + validate ({len(ds.dossiers):,} dossiers)  {seconds:7.2f} s")
    seconds, table = best_of(lambda: compute_kpis(ds, period, targets))
    print(f"KPI table {period.spec} ({len(table):,} rows)      {seconds:7.2f} s")
    seconds, _ = best_of(lambda: kpi_history(ds, period, 8, targets))
    print(f"8-period history                   {seconds:7.2f} s")

    tracemalloc.start()
    compute_kpis(ds, period, targets)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"KPI table peak Python memory       {peak / 2**20:7.1f} MiB")

    cli = [str(Path(sys.executable).with_name("briefkit")), "kpis", "--data", args.data,
           "--period", args.period, "--targets", args.targets, "--out", "/tmp/briefkit-bench",
           "--quiet"]
    seconds, _ = best_of(lambda: subprocess.run(cli, check=True, capture_output=True))
    print(f"`briefkit kpis` whole command      {seconds:7.2f} s")


if __name__ == "__main__":
    main()
