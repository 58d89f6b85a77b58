"""Benchmark: every tag of configs/tags.yaml evaluated on 100,000 customers (target < 60 s in all).

Usage::

    .venv/bin/python experiments/bench_tags.py [--customers 100000] [--days 730] [--seed 0] [--repeat 3]

Generates a synthetic extract with :func:`gridcrm.data.synth.generate_dataset`, builds the feature
table at the extract's end with :func:`gridcrm.features.build_features` (so the 15-minute load
features exist for the interval customers) and the model columns the tags on other models read
(credit and value from the shipped scorers; churn and arrears probabilities from the generator's
truth, graded by :mod:`gridcrm.risk.grades`), then times only :meth:`gridcrm.tags.TagSet.evaluate`
— every tag, wide form — and, separately, the long form and the indicators. Prints the tag count by
category, the timings (best and median of ``--repeat`` runs) and the cores and load, since the
machine may be shared. Exits with status 1 when the evaluation takes longer than ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from gridcrm.credit import CreditScorer, CustomerValueScorer
from gridcrm.data.synth import generate_dataset
from gridcrm.features import build_features
from gridcrm.risk.grades import grade_cuts, risk_grades
from gridcrm.tags import load_tags

TAGS = Path(__file__).resolve().parents[1] / "configs" / "tags.yaml"


def model_columns(features: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The columns the main job's tags step passes: credit, value, churn and arrears."""
    credit = CreditScorer().fit(features).transform(features)
    value = CustomerValueScorer().fit(features).transform(features)
    out = pd.DataFrame({"credit_score": credit["score"], "credit_grade": credit["grade"],
                        "value_score": value["value_score"], "value_rank": value["value_rank"]}, index=features.index)
    for kind, column in (("churn", "p_churn_90d"), ("arrears", "p_arrears_next")):
        p = truth[column].reindex(features.index).fillna(0.0).to_numpy()
        out[f"{kind}_probability"] = p
        out[f"{kind}_risk_grade"] = risk_grades(p, grade_cuts(p))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", default="2023-01-01")
    parser.add_argument("--repeat", type=int, default=3, help="timed evaluations (default 3)")
    parser.add_argument("--tags", type=Path, default=TAGS)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="limit for evaluating all tags (default 60)")
    args = parser.parse_args(argv)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()
    print(f"machine: {cores} cores for this process; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          "(other jobs may share the cores)")
    tags = load_tags(args.tags)
    per = tags.catalog().groupby("category", sort=False).size()
    print(f"{len(tags)} tags: " + ", ".join(f"{c} {n}" for c, n in per.items()))

    t0 = time.perf_counter()
    start = pd.Timestamp(args.start)
    end = start + pd.Timedelta(days=args.days - 1)
    synth = generate_dataset(args.customers, start, end, seed=args.seed)
    t1 = time.perf_counter()
    features = build_features(synth.dataset)
    t2 = time.perf_counter()
    extra = model_columns(features, synth.truth)
    t3 = time.perf_counter()
    print(f"setup (not timed): generate {args.customers:,} customers × {args.days} days {t1 - t0:.1f} s; "
          f"features {features.shape[0]:,} × {features.shape[1]} {t2 - t1:.1f} s; model columns {t3 - t2:.1f} s")

    times = []
    for _ in range(max(1, args.repeat)):
        s = time.perf_counter()
        result = tags.evaluate(features, extra=extra)
        times.append(time.perf_counter() - s)
    s = time.perf_counter()
    long = result.long
    t_long = time.perf_counter() - s
    s = time.perf_counter()
    indicators = result.indicators()
    t_ind = time.perf_counter() - s
    best, median = min(times), statistics.median(times)
    print(f"evaluate all {result.wide.shape[1]} tags ({len(result.skipped)} skipped) on {len(features):,} customers: "
          f"{best:.2f} s best, {median:.2f} s median of {len(times)}  (target < {args.max_seconds:g} s)")
    print(f"  long form {len(long):,} (customer, tag) pairs {t_long:.2f} s; "
          f"indicators {indicators.shape[1]} columns {t_ind:.2f} s")
    shares = indicators.mean()
    never, always = list(shares.index[shares == 0]), list(shares.index[shares == 1])
    print(f"  indicators never true: {len(never)} {never}; always true: {len(always)} {always}")
    return 0 if median <= args.max_seconds else 1


if __name__ == "__main__":
    sys.exit(main())
