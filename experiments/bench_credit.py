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

import numpy as np
import pandas as pd

from gridcrm.credit import CreditScorer

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "credit_ahp.yaml"


def indicator_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Random but plausible credit indicators for ``n`` customers, indexed by customer_id."""
    rng = np.random.default_rng(seed)
    late = rng.random(n) < 0.25
    arrears = np.where(late, rng.poisson(0.8, n), 0)
    frame = pd.DataFrame(
        {
            "on_time_rate_365d": np.clip(1 - late * rng.beta(2, 5, n), 0, 1),
            "days_late_mean_365d": late * rng.gamma(2.0, 4.0, n),
            "days_late_max_365d": late * rng.gamma(2.0, 12.0, n),
            "arrears_count": arrears,
            "arrears_amount": arrears * rng.lognormal(5, 1.5, n),
            "months_since_last_arrears": np.where(late, rng.integers(0, 36, n), np.nan),
            "disconnection_notices_365d": (arrears > 1) * rng.poisson(0.5, n),
            "theft_count": (rng.random(n) < 0.01).astype(int),
            "violation_count": rng.poisson(0.03, n),
            "blacklisted": rng.random(n) < 0.005,
            "tenure_years": rng.gamma(2.0, 5.0, n),
            "kwh_cv_90d": rng.gamma(2.0, 0.15, n),
            "daily_capacity_utilisation": rng.beta(2, 5, n),
            "complaints_365d": rng.poisson(0.3, n),
            "complaints_billing_365d": rng.poisson(0.1, n),
            "external_credit_score": np.where(rng.random(n) < 0.4, rng.uniform(30, 100, n), np.nan),
        },
        index=pd.RangeIndex(1, n + 1, name="customer_id"),
    )
    for col in ["on_time_rate_365d", "days_late_mean_365d", "tenure_years", "kwh_cv_90d"]:
        values = frame[col].to_numpy(dtype=float, copy=True)
        values[rng.random(n) < 0.05] = np.nan
        frame[col] = values
    return frame


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
    X = indicator_frame(args.customers, args.seed)
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
