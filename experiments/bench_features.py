"""Benchmark: point-in-time features and all tags for 100,000 customers × 730 days of daily reads.

Usage::

    .venv/bin/python experiments/bench_features.py [--customers 100000] [--days 730] [--seed 0]
    .venv/bin/python experiments/bench_features.py --save data/bench/features   # keep the extract
    .venv/bin/python experiments/bench_features.py --data data/bench/features    # reuse it

Generates a synthetic extract with :func:`gridcrm.data.synth.generate_dataset` (or reads a
saved one, trusting it as the generator validated it), then times each stage: the feature
table (:func:`gridcrm.features.build_features`), every tag of ``configs/tags.yaml`` (wide and
long forms) and, outside the target, a group portrait by customer class and the portrait
table. The target is features + tags under 60 s on 2 cores with peak resident memory under
4 GB (the peak includes the extract itself, and generation when it runs in the same process). Prints the cores and load, since the
figure is measured on a machine other jobs may share. Exits with status 1 over a limit.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import time
from pathlib import Path

import pandas as pd

from gridcrm.data import Dataset
from gridcrm.data.schemas import TABLES
from gridcrm.data.synth import generate_dataset
from gridcrm.features import build_features
from gridcrm.tags import Portraits, load_tags

TAGS = Path(__file__).resolve().parents[1] / "configs" / "tags.yaml"


def peak_gib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def read_saved(folder: Path) -> Dataset:
    """A dataset saved by ``Dataset.save`` (parquet), without validating it again."""
    manifest = json.loads((folder / "dataset.json").read_text())
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES
              if (folder / f"{name}.parquet").is_file()}
    return Dataset(tables, extracted_on=manifest["extracted_on"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", default="2023-01-01")
    parser.add_argument("--data", type=Path, help="read this saved extract instead of generating one")
    parser.add_argument("--save", type=Path, help="save the generated extract there (parquet)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="limit for features + tags (default 60)")
    parser.add_argument("--max-rss-gb", type=float, default=4.0, help="peak memory limit (default 4)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the time of each feature family")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="  %(name)s: %(message)s")
    if args.verbose:
        logging.getLogger("gridcrm.data").setLevel(logging.WARNING)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()
    print(f"machine: {cores} cores for this process; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          "(other jobs may share the cores)")

    t0 = time.perf_counter()
    if args.data is not None:
        dataset = read_saved(args.data)
        print(f"read {args.data}: {dataset}  [{time.perf_counter() - t0:.1f} s]")
    else:
        start = pd.Timestamp(args.start)
        end = start + pd.Timedelta(days=args.days - 1)
        dataset = generate_dataset(args.customers, start, end, seed=args.seed).dataset
        print(f"generated {args.customers:,} customers, {start.date()} .. {end.date()}: "
              f"{len(dataset.meter_daily):,} daily reads  [{time.perf_counter() - t0:.1f} s, "
              f"peak RSS so far {peak_gib():.2f} GiB]")
        if args.save is not None:
            dataset.save(args.save)
            print(f"saved to {args.save}")
    tags = load_tags(TAGS)

    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    features = build_features(dataset)
    stages["features"] = time.perf_counter() - t0
    print(f"features: {features.shape[0]:,} customers × {features.shape[1]} features  "
          f"[{stages['features']:.1f} s, peak RSS {peak_gib():.2f} GiB]")

    t0 = time.perf_counter()
    result = tags.evaluate(features)
    stages["tags"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    long = result.long
    stages["tags long form"] = time.perf_counter() - t0
    print(f"tags: {result.wide.shape[1]} tags evaluated ({len(result.skipped)} waiting for model columns), "
          f"{len(long):,} (customer, tag) rows  [{stages['tags']:.2f} s + long form "
          f"{stages['tags long form']:.2f} s, peak RSS {peak_gib():.2f} GiB]")

    portraits = Portraits(features, result)
    t0 = time.perf_counter()
    portrait = portraits.group_portrait("customer_class")
    seconds_group = time.perf_counter() - t0
    t0 = time.perf_counter()
    table = portraits.table()
    seconds_table = time.perf_counter() - t0
    print(f"portraits (not in the target): group portrait by customer_class, {len(portrait.groups)} groups × "
          f"{portrait.prevalence.shape[0]} tag indicators [{seconds_group:.2f} s]; portrait table "
          f"{table.shape[0]:,} × {table.shape[1]} [{seconds_table:.2f} s]")

    total = sum(stages.values())
    rss = peak_gib()
    print(f"features + tags: {total:.1f} s (limit {args.max_seconds:.0f})")
    print(f"peak RSS: {rss:.2f} GiB (limit {args.max_rss_gb:.1f})")
    ok = total <= args.max_seconds and rss <= args.max_rss_gb
    print("OK" if ok else "LIMIT EXCEEDED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
