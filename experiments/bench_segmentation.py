"""Benchmark: CustomerSegmenter on 1,000,000 customers × 20 features, k chosen in 2..12.

Target (issue 5): choosing k and fitting in under 90 s on 2 cores, under 4 GB of memory.

    .venv/bin/python experiments/bench_segmentation.py                 # 1,000,000 × 20, n_jobs=2
    .venv/bin/python experiments/bench_segmentation.py --n-customers 100000 --n-jobs 1
    .venv/bin/python experiments/bench_segmentation.py --n-clusters 8      # a fixed, larger k

The feature table is simulated (a mixture of customer groups with skewed
amounts, a weekly rhythm, seasonality, interval-meter features missing for
most customers, payment punctuality), with registry names, so that the
default preprocessing (log of amounts, missing indicators) is exercised as on
real data. Prints the time of each step (the segmenter logs at INFO level
with verbose=1), the total fit time and the peak resident memory
(``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import logging
import platform
import resource
import time

import numpy as np
import pandas as pd

from gridcrm.segmentation import CustomerSegmenter

FEATURES_20 = (
    "kwh_mean_365d", "kwh_mean_90d", "kwh_cv_90d", "weekday_weekend_ratio", "seasonality_strength",
    "zero_day_share_365d", "load_factor", "peak_share", "valley_share", "contracted_kva",
    "daily_capacity_utilisation", "on_time_rate_365d", "days_late_mean_365d", "online_channel_share_365d",
    "bill_amount_mean_365d", "tenure_years", "complaints_365d", "calls_365d", "heating_sensitivity",
    "cooling_sensitivity",
)  # fmt: skip


def simulate_features(n: int, n_features: int, seed: int) -> pd.DataFrame:
    """A customer feature table of ``n`` rows: six behaviour groups, skewed amounts, structured missingness."""
    rng = np.random.default_rng(seed)
    group = rng.choice(6, size=n, p=[0.45, 0.30, 0.12, 0.07, 0.04, 0.02])
    level = np.array([1.5, 2.3, 5.5, 4.0, 7.5, 10.5])[group] + rng.normal(0, 0.45, n)  # log kWh/day
    weekly = np.array([0.92, 0.95, 1.25, 1.0, 1.5, 1.05])[group] * rng.lognormal(0, 0.06, n)
    season = np.clip(np.array([0.2, 0.3, 0.2, 0.7, 0.15, 0.25])[group] + rng.normal(0, 0.08, n), 0, 1)
    punctual = np.clip(np.array([0.97, 0.7, 0.92, 0.85, 0.98, 0.99])[group] + rng.normal(0, 0.08, n), 0, 1)
    interval = rng.random(n) < np.array([0.0, 0.0, 0.05, 0.0, 0.4, 1.0])[group]
    cols = {
        "kwh_mean_365d": np.exp(level),
        "kwh_mean_90d": np.exp(level + rng.normal(0, 0.15, n)),
        "kwh_cv_90d": rng.gamma(4, 0.08, n) * np.array([1.0, 1.1, 0.8, 1.8, 0.7, 0.3])[group],
        "weekday_weekend_ratio": weekly,
        "seasonality_strength": season,
        "zero_day_share_365d": np.where(group == 3, rng.beta(2, 8, n), rng.beta(0.2, 40, n)),
        "load_factor": np.where(interval, rng.beta(6, 4, n), np.nan),
        "peak_share": np.where(interval, rng.beta(8, 16, n), np.nan),
        "valley_share": np.where(interval, rng.beta(6, 18, n), np.nan),
        "contracted_kva": np.exp(level - 1.2 + rng.normal(0, 0.3, n)),
        "daily_capacity_utilisation": rng.beta(3, 6, n),
        "on_time_rate_365d": punctual,
        "days_late_mean_365d": rng.exponential(1 + 20 * (1 - punctual)),
        "online_channel_share_365d": rng.beta(2, 2, n),
        "bill_amount_mean_365d": np.exp(level + 3.2 + rng.normal(0, 0.1, n)),
        "tenure_years": rng.gamma(3, 3, n),
        "complaints_365d": rng.poisson(0.1 + 0.6 * (1 - punctual), n).astype(float),
        "calls_365d": rng.poisson(1.2, n).astype(float),
        "heating_sensitivity": rng.normal(0.02, 0.02, n),
        "cooling_sensitivity": rng.normal(0.05, 0.03, n),
    }
    frame = pd.DataFrame({name: cols[name] for name in FEATURES_20[:n_features]})
    gaps = rng.random((n, 4)) < 0.01  # a few customers without payment or seasonality history
    for j, col in enumerate(("on_time_rate_365d", "days_late_mean_365d", "seasonality_strength", "kwh_cv_90d")):
        if col in frame:
            frame.loc[gaps[:, j], col] = np.nan
    frame.index = pd.RangeIndex(n, name="customer_id")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-customers", type=int, default=1_000_000)
    parser.add_argument("--n-features", type=int, default=20, choices=range(2, len(FEATURES_20) + 1))
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--n-clusters", default="auto", help="'auto' (choose k in 2..12) or a whole number")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(relativeCreated)8.0f ms  %(name)s: %(message)s")

    t0 = time.perf_counter()
    X = simulate_features(args.n_customers, args.n_features, args.seed)
    t_data = time.perf_counter() - t0
    print(f"data: {X.shape[0]:,} customers × {X.shape[1]} features simulated in {t_data:.1f} s")

    n_clusters = args.n_clusters if args.n_clusters == "auto" else int(args.n_clusters)
    seg = CustomerSegmenter(n_clusters, features=None, k_range=(2, 12), random_state=args.seed, n_jobs=args.n_jobs,
                            verbose=1)  # fmt: skip
    t0 = time.perf_counter()
    seg.fit(X)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    labels = seg.predict(X)
    t_predict = time.perf_counter() - t0

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    if seg.k_scores_ is not None:
        print(seg.k_scores_.round(4).to_string())
    print(f"best k by criterion: {seg.k_votes_}; k = {seg.n_clusters_} ({seg.algorithm_} on all customers)")
    print(f"segment sizes: {np.bincount(labels).tolist()}")
    if seg.stability_ is not None:
        print(f"stability: {seg.stability_.summary()}")
    print(f"python {platform.python_version()}, n_jobs={args.n_jobs}")
    what = "choose k in 2..12 + final fit" if n_clusters == "auto" else f"k={n_clusters}: fit"
    print(f"fit ({what} + stability check): {t_fit:.1f} s")
    print(f"predict: {t_predict:.1f} s")
    print(f"peak memory (ru_maxrss): {rss_mb:,.0f} MB")


if __name__ == "__main__":
    main()
