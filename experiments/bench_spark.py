"""Spark (local mode) against pandas on the same machine: validation, features, forecasts, scoring from Parquet.

    .venv/bin/python experiments/bench_spark.py --customers 10000 --months 15 --series 2000 --master local[2]

Generates a synthetic extract (``gridcrm.data.synth``), writes it as Parquet, then times each engine
on it: read + validate (rows/s over every table), features at ``as_of`` (meter rows/s), forecasts of
``--series`` customers' daily kWh (series/s; the job's per-series settings, no regressors) and scoring
with a registered credit champion (rows/s; pandas: ``load_model(...).predict``, Spark:
``gridcrm.tracking.spark.spark_score``). Spark timings include writing the result to Parquet (Spark is
lazy: a write is what a job does); both engines' results are checked equal before a figure is printed.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=10_000)
    p.add_argument("--months", type=int, default=15, help="months of history in the extract")
    p.add_argument("--series", type=int, default=2_000, help="customers whose daily kWh are forecast")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--partitions", type=int, default=8)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    os.environ.setdefault("PYTHONWARNINGS", "ignore::FutureWarning")

    from gridcrm.credit import CreditScorer
    from gridcrm.data import load_dataset
    from gridcrm.data.synth import generate_dataset
    from gridcrm.features import build_features
    from gridcrm.forecasting import daily_frame, load_forecast_config
    from gridcrm.spark import read_tables, spark_session, stop_session, validate_spark
    from gridcrm.spark.features import features_to_pandas, spark_features
    from gridcrm.spark.forecasting import forecasts_to_pandas, spark_daily_frame, spark_forecasts
    from gridcrm.tracking import configure, load_model, log_model, promote, tracked_run
    from gridcrm.tracking.spark import spark_score

    work = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    end = pd.Timestamp("2024-12-31")
    start = (end - pd.DateOffset(months=args.months)).normalize() + pd.Timedelta(days=1)
    t = time.perf_counter()
    ds = generate_dataset(n_customers=args.customers, start=start, end=end, seed=args.seed).dataset
    folder = ds.save(work / "extract")
    rows_in = sum(len(f) for _, f in ds.items())
    print(f"extract: {args.customers:,} customers, {len(ds.meter_daily):,} meter rows, {rows_in:,} rows in all "
          f"({time.perf_counter() - t:.0f} s to generate and write)")
    del ds
    as_of = pd.Timestamp("2024-10-01")
    cfg = load_forecast_config(ROOT / "configs" / "forecast.yaml")
    forecaster = cfg.forecaster()
    h = int(cfg.h)
    out: list[tuple[str, str, float, float, str]] = []

    # --- pandas ----------------------------------------------------------------------------------------------
    t = time.perf_counter()
    dataset = load_dataset(folder, on_error="quarantine")
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    features = build_features(dataset, as_of=as_of)
    t_feat = time.perf_counter() - t
    known = dataset.meter_daily["date"] < as_of
    meter_rows = int(known.sum())
    ids = np.sort(features.index.to_numpy())[: args.series]
    history = daily_frame(dataset.truncate(as_of), customers=ids, fill=False)
    t = time.perf_counter()
    fc_pandas = forecaster.fit(history).predict(h)
    t_fc = time.perf_counter() - t
    indicators = features[[c for c in CreditScorer(ROOT / "configs" / "credit_ahp.yaml").fit(features.head(200))
                           .indicators_ if c in features.columns]]
    configure(f"sqlite:///{work / 'mlruns.db'}")
    with tracked_run("bench", "credit") as run:
        scorer = CreditScorer(ROOT / "configs" / "credit_ahp.yaml").fit(indicators)
        info = log_model(scorer, "credit", indicators.reset_index().head(5), registered_model_name="gridcrm-credit")
        promote("gridcrm-credit", info.registered_model_version, "none", lambda m: 0.0, run=run)
    champion = load_model("gridcrm-credit")
    t = time.perf_counter()
    scored_pandas = champion.predict(indicators.reset_index())
    t_score = time.perf_counter() - t
    out += [("validate", "pandas", rows_in, t_load, "rows"), ("features", "pandas", meter_rows, t_feat, "meter rows"),
            ("forecasts", "pandas", len(ids), t_fc, "series"), ("scoring", "pandas", len(indicators), t_score, "rows")]
    indicators.reset_index().to_parquet(work / "indicators.parquet", index=False)
    del dataset

    # --- Spark -----------------------------------------------------------------------------------------------
    t = time.perf_counter()
    spark = spark_session(args.master, shuffle_partitions=args.partitions)
    print(f"Spark session on {args.master}: {time.perf_counter() - t:.1f} s (not counted below)")
    try:
        t = time.perf_counter()
        sds = validate_spark(read_tables(spark, folder), extracted_on=pd.Timestamp("2025-01-01"), on_error="quarantine")
        t_load_s = time.perf_counter() - t
        t = time.perf_counter()
        sfeat = spark_features(sds, as_of, n_partitions=args.partitions)
        sfeat.write.parquet(str(work / "spark_features"))
        t_feat_s = time.perf_counter() - t
        got = features_to_pandas(spark.read.parquet(str(work / "spark_features")), as_of)
        pd.testing.assert_frame_equal(got, features, check_exact=False, rtol=0, atol=1e-9)
        chosen = spark.createDataFrame(pd.DataFrame({"customer_id": ids}))
        t = time.perf_counter()
        fc, models = spark_forecasts(spark_daily_frame(sds.tables["meter_daily"], as_of, customers=chosen),
                                     forecaster, h, n_partitions=args.partitions)
        fc.write.parquet(str(work / "spark_forecasts"))
        t_fc_s = time.perf_counter() - t
        pd.testing.assert_frame_equal(forecasts_to_pandas(spark.read.parquet(str(work / "spark_forecasts"))),
                                      fc_pandas.reset_index(drop=True), check_exact=False, rtol=0, atol=1e-9)
        request = spark.read.parquet(str(work / "indicators.parquet")).repartition(args.partitions)
        t = time.perf_counter()
        spark_score(request, "gridcrm-credit").write.parquet(str(work / "spark_scores"))
        t_score_s = time.perf_counter() - t
        scored = spark.read.parquet(str(work / "spark_scores")).toPandas().sort_values("customer_id")
        np.testing.assert_allclose(scored["score"].to_numpy(), scored_pandas.sort_values("customer_id")["score"],
                                   rtol=0, atol=1e-9)
        sds.unpersist()
    finally:
        stop_session(spark)
    out += [("validate", "spark", rows_in, t_load_s, "rows"), ("features", "spark", meter_rows, t_feat_s, "meter rows"),
            ("forecasts", "spark", len(ids), t_fc_s, "series"), ("scoring", "spark", len(indicators), t_score_s, "rows")]
    print(f"\n{'step':<10} {'engine':<7} {'units':>12} {'seconds':>8} {'per second':>12}  (equal results checked)")
    for step, engine, n, s, unit in out:
        print(f"{step:<10} {engine:<7} {n:>12,} {s:>8.1f} {n / s:>12,.0f}  {unit}/s")


if __name__ == "__main__":
    main()
