"""Benchmark of loading + validating a large extract: time and peak memory.

Usage: ``python experiments/bench_load.py [--customers 100000] [--days 730] [--format parquet]``.
The extract is generated once (seeded, in a separate process so that its memory
does not count here) into ``data/bench/``, which git ignores. Exits with status 1
when loading takes longer than ``--max-seconds`` or peak memory exceeds ``--max-rss-gb``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from gridcrm.data import load_dataset

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--max-seconds", type=float, default=20.0)
    parser.add_argument("--max-rss-gb", type=float, default=4.0)
    args = parser.parse_args(argv)

    start = pd.Timestamp("2023-01-01")
    end = start + pd.Timedelta(days=args.days - 1)
    folder = ROOT / "data" / "bench" / f"{args.customers}x{args.days}-{args.seed}-{args.format}"
    if not (folder / "dataset.json").is_file():
        print(f"generating {folder} ...", flush=True)
        gridcrm = Path(sys.executable).with_name("gridcrm")
        subprocess.run([str(gridcrm), "-q", "synth", "--customers", str(args.customers), "--start", str(start.date()),
                        "--end", str(end.date()), "--seed", str(args.seed), "--format", args.format,
                        "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)

    t0 = time.perf_counter()
    ds = load_dataset(folder, on_error="quarantine")
    seconds = time.perf_counter() - t0
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"load_dataset({folder.name}) — {sum(len(f) for _, f in ds.items()):,} rows in all")
    print(ds.summary()[["rows", "rows_rejected"]].to_string())
    print(f"seconds: {seconds:.1f} (limit {args.max_seconds:g})")
    print(f"peak RSS: {rss_gb:.2f} GiB (limit {args.max_rss_gb:g})")
    ok = seconds <= args.max_seconds and rss_gb <= args.max_rss_gb
    print("OK" if ok else "OVER LIMIT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
