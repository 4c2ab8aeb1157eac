"""Speed of `briefkit run` against the naive papermill loop: prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_batch.py [--data data/demo-district] [--period 2023Q4]
        [--workers N] [--large-wards 92] [--only naive,run,unchanged,changed,large] [--keep]

Everything runs as a user runs it, as subprocesses of the command-line tools, with a fixed
SOURCE_DATE_EPOCH, and one table is printed at the end with the targets beside the figures
(on the demo district, ``briefkit demo-data --world district --out data/demo-district``, which
`make bench-batch` writes: the figures stay comparable with earlier runs):

* **naive loop**: per unit, `papermill` on notebooks/unit_briefing.ipynb (``-r unit_id``: a
  raw string, so the ward code 09868 stays text), then `jupyter nbconvert --to briefing_html`
  and `--to briefing_pdf` on the executed notebook; the time per unit is the mean of 3 units;
* **`briefkit run --force`** on the demo quarter (a copy of ``--data``: the changed-data run
  below edits the copy in place, as a new export overwriting the old one would), total and
  per unit, and the ratio naive / run per unit;
* an **unchanged re-run** (the same command without --force, right after);
* a **re-run after one ward's data changed**: one of its dossiers, resolved on time in the
  quarter, is resolved 7 days after its due date instead (still in the quarter): only that
  ward's figures change (online rates, the KPI its peers see, do not), plus the district's;
  the manifest says which steps were rebuilt and which reused;
* a **100-unit world** (``briefkit.demo.generate(wards=92)``, 541k dossiers so that every
  unit is as busy as in the demo district, see :func:`briefkit.demo.dossiers_for`), generated
  once into ~/.cache/briefkit-bench/ and reused, run with --force;
* **peak memory** of the `briefkit run` commands, measured two ways: the kernel's max RSS of
  the command's process tree (``os.wait4`` returns the rusage of the child and of every
  descendant it waited for, the workers included: the largest single process, not a sum),
  and /proc sampled every 0.2 s with psutil (when installed): the driver's peak, the largest
  worker's peak, and the peak of the sum over the tree (RSS counts shared pages in every
  process, so the sum overstates; the target is checked against it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SOURCE_DATE_EPOCH = "1704697200"  # 2024-01-08 14:00 in Hà Nội: the briefings' date
NAIVE_UNITS = ("TP", "KT", "09868")  # two departments and a ward whose code starts with 0
CHANGED_WARD = "09874"
STEPS = ("naive", "run", "unchanged", "changed", "large")
SAMPLE_EVERY_S = 0.2
MIB = 2**20

# Targets (issue "fast batch"): checked and printed, never asserted.
TARGET_SPEEDUP = 20.0
TARGET_DEMO_S = 15.0
TARGET_LARGE_S = 45.0
TARGET_UNCHANGED_S = 2.0
TARGET_PEAK_BYTES = 2 * 10**9


# ------------------------------------------------------------------------------ running


class CommandFailed(RuntimeError):
    pass


@dataclass
class Memory:
    """Peaks of one command's process tree (bytes); None when not measured."""

    tree_max_rss: int | None = None  # kernel: the largest single process (wait4 rusage)
    driver: int | None = None  # sampled
    largest_worker: int | None = None  # sampled
    tree_sum: int | None = None  # sampled: max over samples of the sum of RSS
    samples: int = 0


@dataclass
class Timed:
    seconds: float
    memory: Memory = field(default_factory=Memory)


class _Sampler(threading.Thread):
    """Polls the RSS of a process and of its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[int, int] = {}
        self.tree_sum = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop_event.is_set():
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for process in processes:
                try:
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                self.peaks[process.pid] = max(self.peaks.get(process.pid, 0), rss)
            self.tree_sum = max(self.tree_sum, total)
            self.samples += 1
            self._stop_event.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


#: Commands that crashed after writing their output (the figures count them; the table says).
CRASHES: list[str] = []


def as_users_run(env: dict[str, str]) -> dict[str, str]:
    """``env`` as on users' machines: Python keeps its bytecode cache. Some sandboxes and CI
    images set ``PYTHONDONTWRITEBYTECODE``; an editable install then compiles briefkit's
    modules from source in every process (~0.25 s each: the driver and every worker),
    which no installed briefkit does."""
    return {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(command: Sequence[str | Path], log: Path, *, cwd: Path = ROOT, sample: bool = False,
        output: Path | None = None) -> Timed:
    """Run ``command``, output to ``log``; wall time and (``sample``) memory peaks.

    A command that dies of a signal after writing ``output`` (when given) is recorded in
    :data:`CRASHES` instead of failing the benchmark: its work was done and timed."""
    argv = [str(part) for part in command]
    env = as_users_run({**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH})
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(argv)}\n".encode())
        out.flush()
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = _Sampler(process.pid) if sample else None
        if sampler is not None:
            sampler.start()
        # wait4, not Popen.wait: its rusage is the command's own tree's, not cumulative over
        # every child this script ever had (as getrusage(RUSAGE_CHILDREN) would be).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if sampler is not None:
            sampler.stop()
    memory = Memory(tree_max_rss=usage.ru_maxrss * 1024)  # Linux: kibibytes
    if sampler is not None and sampler.samples:
        memory.samples = sampler.samples
        memory.driver = sampler.peaks.get(process.pid)
        others = [rss for pid, rss in sampler.peaks.items() if pid != process.pid]
        memory.largest_worker = max(others, default=None)
        memory.tree_sum = sampler.tree_sum
    crashed_after_output = (
        process.returncode < 0 and output is not None and output.exists()
        and output.stat().st_size > 0 and output.stat().st_mtime >= time.time() - seconds - 1
    )
    if crashed_after_output:
        CRASHES.append(f"signal {-process.returncode} after writing {output.name}: "
                       f"{' '.join(argv)}")
    elif process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise CommandFailed(f"exit status {process.returncode}: {' '.join(argv)}\n"
                            f"--- end of {log} ---\n{tail}")
    return Timed(seconds, memory)


# ------------------------------------------------------------------------------ steps


@dataclass
class Naive:
    per_unit: float
    execute: float
    html: float
    pdf: float


def naive_loop(data: Path, period: str, work: Path, log: Path) -> Naive:
    """papermill + nbconvert (HTML, PDF) per unit, as a user would script it."""
    times: list[tuple[float, float, float]] = []
    for unit_id in NAIVE_UNITS:
        executed = work / f"{unit_id}.ipynb"
        execute = run([BIN / "papermill", ROOT / "notebooks" / "unit_briefing.ipynb", executed,
                       "-p", "data_dir", data, "-r", "unit_id", unit_id, "-p", "period", period,
                       "-p", "targets_file", ROOT / "params" / "targets.yaml",
                       "-p", "header_file", ROOT / "params" / "header.yaml"], log, cwd=work)
        html = run([BIN / "jupyter", "nbconvert", "--to", "briefing_html", executed], log,
                   cwd=work)
        pdf = run([BIN / "jupyter", "nbconvert", "--to", "briefing_pdf", executed], log,
                  cwd=work, output=executed.with_suffix(".pdf"))
        times.append((execute.seconds, html.seconds, pdf.seconds))
        progress(f"naive {unit_id}: {execute.seconds:.1f} + {html.seconds:.1f} + "
                 f"{pdf.seconds:.1f} s")
    mean = [sum(column) / len(times) for column in zip(*times, strict=True)]
    return Naive(sum(mean), *mean)


def briefkit_run(data: Path, period: str, out: Path, log: Path, workers: int | None,
                 *, force: bool) -> Timed:
    command: list[str | Path] = [
        BIN / "briefkit", "run", "--data", data, "--period", period,
        "--targets", ROOT / "params" / "targets.yaml", "--header", ROOT / "params" / "header.yaml",
        "--out", out]
    if workers is not None:
        command += ["--workers", str(workers)]
    if force:
        command.append("--force")
    return run(command, log, sample=True)


def read_manifest(out: Path, period: str) -> dict[str, Any]:
    return json.loads((out / period / "manifest.json").read_text(encoding="utf-8"))


def builds(manifest: dict[str, Any]) -> tuple[list[str], int]:
    """The steps rebuilt (unit ids, overview, annex) and how many were reused."""
    rows = [(u["unit_id"], u["build"]) for u in manifest["units"]]
    rows += [(name, step["build"]) for name, step in manifest["steps"].items()]
    rebuilt = [name for name, build in rows if build == "rebuilt"]
    return rebuilt, sum(build == "reused" for _, build in rows)


def change_one_dossier(data: Path, unit_id: str, period: str) -> str:
    """Resolve one of ``unit_id``'s on-time dossiers of ``period`` 7 days after its due date
    (still in the quarter), editing that one line of dossiers.csv; returns its id."""
    from briefkit.periods import parse_period

    quarter = parse_period(period)
    first, last = quarter.start.date().isoformat(), quarter.end.date().isoformat()
    path = data / "dossiers.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    at = {name: header.index(name) for name in ("dossier_id", "unit_id", "due_at", "resolved_at")}
    for number, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        if len(cells) != len(header) or cells[at["unit_id"]] != unit_id:
            continue
        due, resolved = cells[at["due_at"]], cells[at["resolved_at"]]
        if not resolved or not first <= resolved[:10] <= due:
            continue
        new_day = (dt.date.fromisoformat(due) + dt.timedelta(days=7)).isoformat()
        if new_day > last:
            continue
        cells[at["resolved_at"]] = f"{new_day}{resolved[10:]}"
        lines[number] = ",".join(cells)
        path.write_text("\n".join(lines), encoding="utf-8")
        return cells[at["dossier_id"]]
    raise RuntimeError(f"no on-time dossier of {unit_id} resolved in {period} to change")


def large_world(wards: int, n_dossiers: int | None, log: Path) -> tuple[Path, float | None]:
    """The larger world's data folder, generated once (seconds taken, None when cached)."""
    from briefkit import demo

    n_dossiers = n_dossiers or demo.dossiers_for(wards)
    digest = hashlib.sha256()
    package = Path(demo.__file__).parent
    world_data = (package.parent / "resources" / "demo").rglob("*")
    for path in sorted([*package.glob("*.py"), *world_data]):
        if path.is_file():
            digest.update(path.read_bytes())
    source = digest.hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefkit-bench"
    folder = cache / f"world-w{wards}-n{n_dossiers}-{source}"
    if (folder / "dossiers.csv").exists():
        return folder, None
    partial = folder.with_name(folder.name + ".part")
    shutil.rmtree(partial, ignore_errors=True)
    timed = run([str(BIN / "briefkit"), "demo-data", "--world", "district", "--out",
                 str(partial), "--wards",
                 str(wards), "--dossiers", str(n_dossiers)], log)
    partial.rename(folder)
    return folder, timed.seconds


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ report


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []
        self.notes: list[str] = []

    def add(self, measure: str, figure: str, target: str = "", verdict: str = "") -> None:
        self.rows.append((measure, figure, target, verdict))

    def check(self, measure: str, value: float, text: str, target: float, target_text: str,
              *, at_most: bool = True) -> None:
        ok = value <= target if at_most else value >= target
        self.add(measure, text, target_text, "ok" if ok else "MISSED")

    def print(self) -> None:
        header = ("measure", "figure", "target", "")
        widths = [max(len(row[i]) for row in [header, *self.rows]) for i in range(4)]
        line = "  ".join("-" * w for w in widths)
        print(line)
        for row in [header, *self.rows]:
            print("  ".join(cell.ljust(w) if i != 1 else cell.rjust(w)
                            for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip())
            if row is header:
                print(line)
        print(line)
        for note in self.notes:
            print(f"* {note}")
        for crash in CRASHES:
            print(f"! crashed at exit, {crash}")


def mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MIB:,.0f} MiB"


def slow_spots(manifest: dict[str, Any], top: int = 3) -> str:
    """Mean execute/render seconds of the rebuilt units, the slowest, overview and annex."""
    units = [u for u in manifest["units"] if u["build"] == "rebuilt" and u["execute_s"]]
    if not units:
        return "no unit rebuilt"
    execute = sum(u["execute_s"] for u in units) / len(units)
    render = sum(u["render_s"] or 0 for u in units) / len(units)
    slowest = sorted(units, key=lambda u: -u["duration_s"])[:top]
    parts = [f"units: execute {execute:.2f} s + render {render:.2f} s (mean of {len(units)})",
             "slowest " + ", ".join(f"{u['unit_id']} {u['duration_s']:.1f} s" for u in slowest)]
    for name, step in manifest["steps"].items():
        if step["build"] == "rebuilt":
            detail = f"{step['duration_s']:.1f} s"
            if step.get("execute_s") is not None:
                detail += f" (execute {step['execute_s']:.1f} + render {step['render_s']:.1f})"
            parts.append(f"{name} {detail}")
    return "; ".join(parts)


def memory_rows(table: Table, label: str, memory: Memory, *, check: bool) -> None:
    table.add(f"peak memory, {label}: largest process (kernel)", mib(memory.tree_max_rss))
    table.add("  driver / largest worker (sampled)",
              f"{mib(memory.driver)} / {mib(memory.largest_worker)}")
    if check and memory.tree_sum is not None:
        table.check("  sum over the process tree (sampled)", memory.tree_sum,
                    mib(memory.tree_sum), TARGET_PEAK_BYTES, "< 2 GB")
    elif check and memory.tree_max_rss is not None:
        table.check("  (no psutil) largest process", memory.tree_max_rss,
                    mib(memory.tree_max_rss), TARGET_PEAK_BYTES, "< 2 GB")


# ------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "demo-district")
    parser.add_argument("--period", default="2023Q4")
    parser.add_argument("--workers", type=int, default=None,
                        help="passed to briefkit run (default: its own, one per core)")
    parser.add_argument("--large-wards", type=int, default=92,
                        help="wards of the larger world (92: 100 briefed units)")
    parser.add_argument("--large-dossiers", type=int, default=None,
                        help="dossiers of the larger world (default: as busy per unit as the "
                        "demo district, briefkit.demo.dossiers_for)")
    parser.add_argument("--only", default=",".join(STEPS),
                        help=f"comma-separated subset of {','.join(STEPS)}")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if unknown := only - set(STEPS):
        parser.error(f"unknown step(s): {', '.join(sorted(unknown))}")
    if not (args.data / "dossiers.csv").exists():
        parser.error(f"{args.data} has no dossiers.csv: run `make bench-batch` or "
                     "`briefkit demo-data --world district --out data/demo-district` first")

    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="briefkit-bench-"))
    log = work / "commands.log"
    data = work / "data"
    shutil.copytree(args.data, data)
    out = work / "out"
    table = Table()
    started = time.perf_counter()
    try:
        measure(args, only, work, log, data, out, table)
    except CommandFailed as exc:
        print(f"\nbench_batch: a command failed (log: {log})\n{exc}", file=sys.stderr)
        args.keep = True
        sys.exit(1)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"scratch folder kept: {work}", file=sys.stderr)
    load_after = os.getloadavg()
    print(f"\nbriefkit batch benchmark — {os.cpu_count()} cores, workers: "
          f"{args.workers or 'default'}, SOURCE_DATE_EPOCH={SOURCE_DATE_EPOCH}, "
          f"{time.perf_counter() - started:.0f} s in all; load average (1, 5, 15 min) "
          f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} after")
    table.print()


def measure(args: argparse.Namespace, only: set[str], work: Path, log: Path, data: Path,
            out: Path, table: Table) -> None:
    period, workers = args.period, args.workers
    naive: Naive | None = None
    if "naive" in only:
        naive_dir = work / "naive"
        naive_dir.mkdir()
        naive = naive_loop(data, period, naive_dir, log)
        table.add(f"naive loop, per unit (mean of {len(NAIVE_UNITS)})", f"{naive.per_unit:.2f} s",
                  "baseline")
        table.add("  papermill / nbconvert html / nbconvert pdf",
                  f"{naive.execute:.2f} / {naive.html:.2f} / {naive.pdf:.2f} s")

    if "run" in only or "unchanged" in only or "changed" in only:
        forced = briefkit_run(data, period, out, log, workers, force=True)
        manifest = read_manifest(out, period)
        units = len(manifest["units"])
        per_unit = forced.seconds / units
        progress(f"run --force: {forced.seconds:.1f} s, {units} units")
        table.check(f"briefkit run --force, demo quarter ({units} units)", forced.seconds,
                    f"{forced.seconds:.1f} s", TARGET_DEMO_S, f"<= {TARGET_DEMO_S:.0f} s")
        table.add("  per unit (total / units)", f"{per_unit:.2f} s")
        if naive is not None:
            speedup = naive.per_unit / per_unit
            table.check("  speed-up per unit, naive / run", speedup, f"{speedup:.1f}x",
                        TARGET_SPEEDUP, f">= {TARGET_SPEEDUP:.0f}x", at_most=False)
        table.notes.append(f"demo quarter, manifest: {slow_spots(manifest)}")
        memory_rows(table, "demo quarter", forced.memory, check=True)

        if "unchanged" in only:
            again = briefkit_run(data, period, out, log, workers, force=False)
            rebuilt, reused = builds(read_manifest(out, period))
            progress(f"unchanged re-run: {again.seconds:.1f} s")
            table.check("unchanged re-run", again.seconds, f"{again.seconds:.2f} s",
                        TARGET_UNCHANGED_S, f"<= {TARGET_UNCHANGED_S:.0f} s")
            table.add("  steps rebuilt / reused", f"{len(rebuilt)} / {reused}")

        if "changed" in only:
            dossier = change_one_dossier(data, CHANGED_WARD, period)
            changed = briefkit_run(data, period, out, log, workers, force=False)
            rebuilt, reused = builds(read_manifest(out, period))
            progress(f"changed re-run: {changed.seconds:.1f} s, rebuilt {rebuilt}")
            table.add(f"re-run, one dossier of ward {CHANGED_WARD} changed",
                      f"{changed.seconds:.2f} s")
            table.add(f"  ({dossier} resolved late) steps rebuilt / reused",
                      f"{len(rebuilt)} / {reused}", "", ", ".join(rebuilt))

    if "large" in only:
        world, generated = large_world(args.large_wards, args.large_dossiers, log)
        if generated is not None:
            progress(f"generated {world} in {generated:.1f} s")
        large = briefkit_run(world, period, work / "out-large", log, workers, force=True)
        manifest = read_manifest(work / "out-large", period)
        units = len(manifest["units"])
        progress(f"large world: {large.seconds:.1f} s, {units} units")
        dossiers = sum(1 for _ in (world / "dossiers.csv").open(encoding="utf-8")) - 1
        table.check(f"briefkit run --force, {units} units ({dossiers:,} dossiers)",
                    large.seconds, f"{large.seconds:.1f} s", TARGET_LARGE_S,
                    f"<= {TARGET_LARGE_S:.0f} s")
        table.add("  per unit (total / units)", f"{large.seconds / units:.2f} s")
        table.notes.append(f"{units} units, manifest: {slow_spots(manifest)}")
        memory_rows(table, f"{units} units", large.memory, check=True)


if __name__ == "__main__":
    main()
