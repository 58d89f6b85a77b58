"""Benchmark: AHP credit scoring of 1,000,000 customers (indicator frame → score, grade, contributions).

Usage::

    .venv/bin/python experiments/bench_credit.py [--customers 1000000] [--repeat 3]

Builds a plausible indicator frame with numpy (the columns of ``configs/credit_ahp.yaml``,
with missing values and a partly present external credit score), fits a
:class:`~gridcrm.credit.CreditScorer` on it (learning the normalisation references),
then times ``transform``: score, grade and per-indicator contributions for every
customer. The target is under 10 s on 2 cores. Prints the machine's cores and load,
since the figure is measured on a machine other jobs may share.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from gridcrm.credit import CreditScorer
from gridcrm.credit.synthetic import synthetic_indicators

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "credit_ahp.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"machine: {cores} cores available to this process; load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} (other jobs may share the cores)")

    t0 = time.perf_counter()
    X = synthetic_indicators(args.customers, args.seed)
    print(f"indicator frame: {X.shape[0]:,} customers × {X.shape[1]} indicators, built in "
          f"{time.perf_counter() - t0:.2f} s")

    t0 = time.perf_counter()
    scorer = CreditScorer(CONFIG).fit(X)
    print(f"fit (config, AHP weights, normalisation references on all customers): {time.perf_counter() - t0:.2f} s")

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = scorer.transform(X)
        times.append(time.perf_counter() - t0)
    best, worst = min(times), max(times)
    print(f"transform (score, grade, {len(scorer.indicators_)} contributions): best {best:.2f} s, worst {worst:.2f} s "
          f"over {args.repeat} runs → {args.customers / best:,.0f} customers/s")
    print(f"output: {out.shape[0]:,} rows × {out.shape[1]} columns (score, grade, coverage, contributions)")
    gap = float((out.filter(like="contrib_").sum(axis=1) - out["score"]).abs().max())
    print(f"largest |Σ contributions − score|: {gap:.2e}")
    print("grades:", out["grade"].value_counts(normalize=True).sort_index(ascending=False).round(3).to_dict())
    target = 10.0
    print(f"target < {target:.0f} s for {1_000_000:,} customers: "
          f"{'met' if best * 1_000_000 / args.customers < target else 'NOT met'}")


if __name__ == "__main__":
    main()
