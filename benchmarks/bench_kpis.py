"""Speed of the KPI path on the demo district: prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_kpis.py [--data data/demo-district] [--period 2023Q4]
        [--runs 5]

(the demo district: ``briefkit demo-data --world district --out data/demo-district``, which
`make bench` writes; the figures stay comparable with earlier runs)

Measures, each as the median of a few runs in this one process (2-core machine: see the
README for the figures): load + validate; the quarter's KPI table (with the same-period-last-
year comparison and targets), the 8-period history a briefing charts, and both together, by
the per-period computation briefkit had before the multi-period engine (tests/kpi_reference.py)
and by the engine (``compute_kpis``, ``kpi_history``, ``kpi_tables``), side by side; then the
peak memory of a table and the whole `briefkit kpis` command.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def median_of(fn: Callable[[], object], runs: int = 3) -> tuple[float, object]:
    """Median wall time of ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(ROOT / "data" / "demo-district"))
    parser.add_argument("--period", default="2023Q4")
    parser.add_argument("--targets", default=str(ROOT / "params" / "targets.yaml"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from briefkit.data import load_dataset
    from briefkit.kpis import compute_kpis, kpi_history, kpi_tables
    from briefkit.periods import parse_period
    from briefkit.targets import load_targets

    sys.path.insert(0, str(ROOT))
    from tests import kpi_reference as old

    old.CACHE = False  # the old path as it ran: every period computed every time it is asked

    if not (Path(args.data) / "dossiers.csv").exists():
        from briefkit.demo import generate

        seconds, _ = median_of(lambda: generate(args.data, world="district"), runs=1)
        print(f"generate demo data                  {seconds:7.2f} s")

    period = parse_period(args.period)
    targets = load_targets(args.targets)
    runs = args.runs
    seconds, ds = median_of(lambda: load_dataset(args.data), runs)
    print(f"load + validate ({len(ds.dossiers):,} dossiers)   {seconds:7.2f} s")

    def old_both() -> tuple[pd.DataFrame, pd.DataFrame]:
        return old.compute_kpis(ds, period, targets), old.kpi_history(ds, period, 8, targets)

    old_table_s, old_table = median_of(lambda: old.compute_kpis(ds, period, targets), runs)
    old_history_s, old_history = median_of(lambda: old.kpi_history(ds, period, 8, targets), runs)
    old_both_s, _ = median_of(old_both, runs)
    table_s, table = median_of(lambda: compute_kpis(ds, period, targets), runs)
    history_s, history = median_of(lambda: kpi_history(ds, period, 8, targets), runs)
    both_s, (both_table, both_history) = median_of(
        lambda: kpi_tables(ds, period, 8, targets), runs)

    def same(new: pd.DataFrame, reference: pd.DataFrame) -> bool:
        try:
            pd.testing.assert_frame_equal(new, reference, check_exact=True)
        except AssertionError:
            return False
        return True

    identical = (same(table, old_table) and same(history, old_history)
                 and same(both_table, old_table) and same(both_history, old_history))
    print(f"{f'median of {runs} runs':<36} {'old path':>9} {'engine':>9} {'speed-up':>9}")
    for label, before, after in [
        (f"KPI table {period.spec} ({len(table):,} rows)", old_table_s, table_s),
        ("8-period history", old_history_s, history_s),
        ("table + history (kpi_tables)", old_both_s, both_s),
    ]:
        print(f"{label:<36} {before:7.2f} s {after:7.2f} s {before / after:8.1f}×")
    print(f"same figures as the old path        {'yes' if identical else 'NO'}")

    tracemalloc.start()
    compute_kpis(ds, period, targets)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"KPI table peak Python memory        {peak / 2**20:7.1f} MiB")

    cli = [str(Path(sys.executable).with_name("briefkit")), "kpis", "--data", args.data,
           "--period", args.period, "--targets", args.targets, "--out", "/tmp/briefkit-bench",
           "--quiet"]
    seconds, _ = median_of(lambda: subprocess.run(cli, check=True, capture_output=True), runs)
    print(f"`briefkit kpis` whole command       {seconds:7.2f} s")


if __name__ == "__main__":
    main()
