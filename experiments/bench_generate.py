"""Benchmark of the synthetic data generator: time, peak memory and rows per table.

Usage: ``python experiments/bench_generate.py [--customers 100000] [--days 730] [--seed 0]``.
Exits with status 1 when the run takes longer than ``--max-seconds`` or its
peak resident memory exceeds ``--max-rss-gb``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import pandas as pd

from gridcrm.data.synth import generate_dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000, help="number of customers (default 100000)")
    parser.add_argument("--days", type=int, default=730, help="days of daily reads (default 730)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--start", default="2023-01-01", help="first day (default 2023-01-01)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time limit (default 60)")
    parser.add_argument("--max-rss-gb", type=float, default=4.0, help="peak memory limit (default 4)")
    args = parser.parse_args(argv)

    start = pd.Timestamp(args.start)
    end = start + pd.Timedelta(days=args.days - 1)
    t0 = time.perf_counter()
    synth = generate_dataset(args.customers, start, end, seed=args.seed)
    seconds = time.perf_counter() - t0
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux

    print(f"generate_dataset({args.customers:,} customers, {start.date()} .. {end.date()}, seed={args.seed})")
    for name, frame in synth.dataset.items():
        print(f"  {name:<14} {len(frame):>12,} rows")
    print(f"  {'truth':<14} {len(synth.truth):>12,} rows")
    print(f"  {'bill_truth':<14} {len(synth.bill_truth):>12,} rows")
    print(f"seconds: {seconds:.1f} (limit {args.max_seconds:.0f})")
    print(f"peak RSS: {rss_gb:.2f} GiB (limit {args.max_rss_gb:.1f})")
    ok = seconds <= args.max_seconds and rss_gb <= args.max_rss_gb
    print("OK" if ok else "LIMIT EXCEEDED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
