"""Generate the demo data: ``python data/generate_demo.py [--world province|district]``.

A thin wrapper around :func:`briefkit.demo.generate` (the same as ``briefkit demo-data``),
for people who look for the data's origin next to the data. Same seed, same bytes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from briefkit.demo import generate

DEFAULT_OUT = Path(__file__).resolve().parent / "demo"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder to write (default: data/demo next to this script)")
    parser.add_argument("--world", default="province", choices=["province", "district"],
                        help="the province after the 2025 reform (default) or the district")
    parser.add_argument("--seed", type=int, default=2022, help="random seed (default: 2022)")
    parser.add_argument("--dossiers", type=int, default=None,
                        help="dossiers received between start and end (default: the world's, "
                        "300000 for the province, 100000 for the district)")
    parser.add_argument("--start", default=None,
                        help="first receipt day (ISO date; default: the world's)")
    parser.add_argument("--end", default=None, help="last day covered (ISO date; default: the "
                        "world's)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    written = generate(args.out, world=args.world, seed=args.seed, n_dossiers=args.dossiers,
                       start=args.start, end=args.end)
    elapsed = time.perf_counter() - started
    for table, path in written.items():
        print(f"{table:<11} {path} ({path.stat().st_size:,} bytes)")
    print(f"done in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
