"""Spark (local mode) against pandas on the same machine: validation, features, forecasts, scoring from Parquet.

    .venv/bin/python experiments/bench_spark.py --customers 10000 --months 15 --series 2000 --master local[2]

Generates a synthetic extract (``gridcrm.data.synth``), writes it as Parquet, then times each engine
on it: read + validate (rows/s over every table), features at ``as_of`` (meter rows/s), forecasts of
``--series`` customers' daily kWh (series/s; the job's per-series settings, no regressors) and scoring
with a registered credit champion (rows/s; pandas: ``load_model(...).predict``, Spark:
``gridcrm.tracking.spark.spark_score``). Spark timings include writing the result to Parquet (Spark is
lazy: a write is what a job does); both engines' results are checked equal before a figure is printed.

``--as-of`` (default 2024-10-01; the extract ends 2024-12-31) and ``--months`` set how much history the
features read. The features row also gives the bytes Spark shuffled (compressed, from its status store);
``--shuffle-layouts`` first shuffles the same rows in the layout used until 2026-12-06 (every table's
columns side by side, ~50 mostly-null columns, no look-back cut) and in today's (one struct column per
table, meter reads and loads cut to what the features read), and prints both. ``--only validate`` runs
read + validate alone on both engines (and checks their quarantine reports equal):

    /usr/bin/time -v .venv/bin/python experiments/bench_spark.py --customers 1000000 --months 2 --only validate

``--groups`` times the group forecasts alone (the forecasting step's ``_group_forecasts``: the job's
settings, degree-days and calendar, ``wls_var``) of ``--series`` customers: pandas
(``fit_group_forecaster``, ``predict``, ``base``, ``accuracy_by_level``) against
``gridcrm.spark.groups.spark_group_forecasts`` (reconciled customers written to Parquet). Both get the
same customer forecasts (seasonal naive, made once: what the customers' model is does not change this
step's work); results checked equal (relative 1e-9):

    .venv/bin/python experiments/bench_spark.py --customers 20000 --months 15 --series 20000 --groups

``--only interval`` times the main job's 15-minute forecasts (a week ahead, 8 weeks of history, model choice
by backtest, conformal ranges, Chinese calendar) of ``--interval-customers`` customers with 15-minute load
over the last ``--interval-days`` days of the extract, as of the day after it: pandas (one fit) against
Spark (``spark_interval_frame`` + ``spark_forecasts``: two fits per partition around the global conformal
pass); results checked equal:

    .venv/bin/python experiments/bench_spark.py --customers 4000 --months 2 --only interval --interval-customers 200
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
    p.add_argument("--as-of", default="2024-10-01", help="features and forecasts as of this date")
    p.add_argument("--driver-memory", default="2g", help="spark.driver.memory (local mode: the executors' too; "
                   "1M customers needs more than 2g: validation's caches and a join's broadcast share it)")
    p.add_argument("--shuffle-layouts", action="store_true", help="also compare the features' shuffle layouts")
    p.add_argument("--interval-customers", type=int, default=None, help="customers with 15-minute load")
    p.add_argument("--interval-days", type=int, default=None, help="days of 15-minute load (default: the generator's)")
    p.add_argument("--only", choices=("all", "validate", "interval"), default="all",
                   help="'validate': read + validate only, on both engines (reports checked equal)")
    p.add_argument("--groups", action="store_true", help="time the group forecasts and their reconciliation alone")
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
    from gridcrm.spark.session import shuffle_bytes_written
    from gridcrm.tracking import configure, load_model, log_model, promote, tracked_run
    from gridcrm.tracking.spark import spark_score

    work = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    end = pd.Timestamp("2024-12-31")
    start = (end - pd.DateOffset(months=args.months)).normalize() + pd.Timedelta(days=1)
    t = time.perf_counter()
    ds = generate_dataset(n_customers=args.customers, start=start, end=end, seed=args.seed,
                          n_interval_customers=args.interval_customers,
                          **({"interval_days": args.interval_days} if args.interval_days else {})).dataset
    if args.only == "interval":
        interval_only(args, ds, ds.save(work / "extract"))
        return
    folder = ds.save(work / "extract")
    rows_in = sum(len(f) for _, f in ds.items())
    print(f"extract: {args.customers:,} customers, {len(ds.meter_daily):,} meter rows, {rows_in:,} rows in all "
          f"({time.perf_counter() - t:.0f} s to generate and write)")
    del ds
    as_of = pd.Timestamp(args.as_of)
    cfg = load_forecast_config(ROOT / "configs" / "forecast.yaml")
    forecaster = cfg.forecaster()
    h = int(cfg.h)
    out: list[tuple[str, str, float, float, str]] = []
    if args.groups:
        groups_only(args, folder, as_of, cfg)
        return

    # --- pandas ----------------------------------------------------------------------------------------------
    t = time.perf_counter()
    dataset = load_dataset(folder, on_error="quarantine")
    t_load = time.perf_counter() - t
    report_pandas = dataset.report
    if args.only == "validate":
        del dataset
        validate_only(args, folder, rows_in, t_load, report_pandas)
        return
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
    spark = spark_session(args.master, shuffle_partitions=args.partitions, driver_memory=args.driver_memory)
    print(f"Spark session on {args.master}: {time.perf_counter() - t:.1f} s (not counted below)")
    try:
        t = time.perf_counter()
        sds = validate_spark(read_tables(spark, folder), extracted_on=pd.Timestamp("2025-01-01"), on_error="quarantine")
        t_load_s = time.perf_counter() - t
        check_reports(sds.report, report_pandas)
        if args.shuffle_layouts:
            shuffle_layouts(spark, sds, as_of, args.partitions)
        t = time.perf_counter()
        b = shuffle_bytes_written(spark)
        sfeat = spark_features(sds, as_of, n_partitions=args.partitions)
        sfeat.write.parquet(str(work / "spark_features"))
        t_feat_s = time.perf_counter() - t
        print(f"features on Spark shuffled {(shuffle_bytes_written(spark) - b) / 1e6:,.1f} MB")
        got = features_to_pandas(pd.read_parquet(work / "spark_features"), as_of)  # not through the driver's JVM
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


def _counts(report) -> tuple:
    return (report.rows_in, report.rows_kept, sorted((r.table, r.column, r.rule, r.n_rows) for r in report.rejections))


def check_reports(spark_report, pandas_report) -> None:
    """The two engines' quarantine reports: the same rows in, kept, and rows set aside per rule."""
    if _counts(spark_report) != _counts(pandas_report):
        raise AssertionError(f"validation reports differ:\nSpark:  {_counts(spark_report)}\npandas: {_counts(pandas_report)}")


def validate_only(args, folder: Path, rows_in: int, t_load: float, report_pandas) -> None:
    """Read + validate on Spark (``--only validate``) after the pandas engine did; print both rates."""
    from gridcrm.spark import read_tables, spark_session, stop_session, validate_spark

    t = time.perf_counter()
    spark = spark_session(args.master, shuffle_partitions=args.partitions, driver_memory=args.driver_memory)
    print(f"Spark session on {args.master}, driver memory {args.driver_memory}: {time.perf_counter() - t:.1f} s "
          "(not counted below)")
    try:
        t = time.perf_counter()
        sds = validate_spark(read_tables(spark, folder), extracted_on=pd.Timestamp("2025-01-01"), on_error="quarantine")
        t_spark = time.perf_counter() - t
        check_reports(sds.report, report_pandas)
        sds.unpersist()
    finally:
        stop_session(spark)
    set_aside = sum(report_pandas.rows_in.values()) - sum(report_pandas.rows_kept.values())
    print(f"\n{'step':<10} {'engine':<7} {'units':>12} {'seconds':>8} {'per second':>12}  (equal reports checked: "
          f"{set_aside:,} rows set aside by {len(report_pandas.rejections)} rules)")
    for engine, s in (("pandas", t_load), ("spark", t_spark)):
        print(f"{'validate':<10} {engine:<7} {rows_in:>12,} {s:>8.1f} {rows_in / s:>12,.0f}  rows/s")


def interval_only(args, ds, folder: Path) -> None:
    """The job's 15-minute forecasts on both engines (``--only interval``), as of the day after the extract."""
    from gridcrm.forecasting import ConsumptionForecaster, interval_frame
    from gridcrm.forecasting.multiseason import CalendarProfileForecaster
    from gridcrm.spark import SparkDataset, read_tables, spark_session, stop_session
    from gridcrm.spark.forecasting import forecasts_to_pandas, models_to_pandas, spark_forecasts, spark_interval_frame

    week = 672
    as_of = pd.Timestamp(ds.extracted_on)

    def forecaster():
        return CalendarProfileForecaster(forecaster=ConsumptionForecaster(
            season_length=week, freq="15min", level=(80, 95), max_history=8 * week, interval_method="conformal",
            random_state=0), calendar="cn")

    load = interval_frame(ds.truncate(as_of), freq="15min")
    load = load[load["ds"] < as_of]
    enough = load.dropna(subset=["y"]).groupby("unique_id").size() >= 4 * week
    load = load[load["unique_id"].isin(enough.index[enough])].reset_index(drop=True)
    n = load["unique_id"].nunique()
    print(f"15-minute history: {n:,} customers, {len(load):,} rows")
    t = time.perf_counter()
    fitted = forecaster().fit(load)
    expected = fitted.predict(week)
    t_pandas = time.perf_counter() - t
    spark = spark_session(args.master, shuffle_partitions=args.partitions, driver_memory=args.driver_memory)
    try:
        sds = SparkDataset.trusted(read_tables(spark, folder), ds.extracted_on)
        t = time.perf_counter()
        history = spark_interval_frame(sds.tables["load_interval"], as_of, customers=sds.tables["customers"])
        fc, models = spark_forecasts(history, forecaster(), week, n_partitions=args.partitions)
        got, got_models = forecasts_to_pandas(fc), models_to_pandas(models)
        t_spark = time.perf_counter() - t
    finally:
        stop_session(spark)
    pd.testing.assert_frame_equal(got[["unique_id", "ds", "forecast"]], expected[["unique_id", "ds", "forecast"]],
                                  check_exact=False, rtol=0, atol=1e-9)
    for side in ("lo_80", "hi_80", "lo_95", "hi_95"):
        np.testing.assert_allclose((got[side] - got["forecast"]).abs(), (expected[side] - expected["forecast"]).abs(),
                                   rtol=1e-9, atol=1e-9)
    # the batched ARIMA's backtest refits differ by ~1e-9 relative between batches of other series (seen up to 5e-9
    # in a backtest MASE at 200 customers)
    pd.testing.assert_frame_equal(got_models, fitted.models_, check_exact=False, rtol=1e-7, atol=1e-9)
    print(f"\n{'step':<10} {'engine':<7} {'series':>8} {'seconds':>8} {'series/s':>9}  (equal results checked)")
    for engine, s in (("pandas", t_pandas), ("spark", t_spark)):
        print(f"{'interval':<10} {engine:<7} {n:>8,} {s:>8.1f} {n / s:>9.2f}")


def shuffle_layouts(spark, sds, as_of: pd.Timestamp, partitions: int) -> None:
    """Bytes shuffled by the features' union of customer tables: the old wide layout against today's."""
    from pyspark.sql import functions as F

    from gridcrm.data.schemas import TABLES
    from gridcrm.spark.features import FEATURE_TABLES, customer_partitions
    from gridcrm.spark.session import shuffle_bytes_written

    def wide():  # the layout until 2026-12-06: table name + every table's columns, prefixed, null elsewhere
        parts = []
        for name in [t for t in FEATURE_TABLES if t in sds.tables]:
            schema, df = TABLES[name], sds.tables[name]
            if name != "customers" and schema.time_column is not None:
                df = df.where(F.col(schema.time_column) < F.lit(as_of.to_pydatetime()).cast("timestamp_ntz"))
            parts.append(df.select(F.col("customer_id"), F.lit(name).alias("_gridcrm_table"),
                                   *[F.col(c).alias(f"{name}__{c}") for c in schema.column_names]))
        union = parts[0]
        for part in parts[1:]:
            union = union.unionByName(part, allowMissingColumns=True)
        return union.repartition(partitions, "customer_id")

    tables = [t for t in FEATURE_TABLES if t in sds.tables]
    for label, frame in (("wide columns, no look-back cut", wide()),
                         ("struct per table + look-back cut", customer_partitions(sds, as_of, partitions, tables))):
        b, t = shuffle_bytes_written(spark), time.perf_counter()
        rows = frame.count()  # how many rows (a count shuffles no column: measured apart below)
        b, t = shuffle_bytes_written(spark), time.perf_counter()
        frame.write.format("noop").mode("overwrite").save()  # every column through the shuffle, nothing written
        print(f"features' shuffle, {label}: {rows:,} rows, {(shuffle_bytes_written(spark) - b) / 1e6:,.1f} MB "
              f"in {time.perf_counter() - t:.1f} s")


class _Fixed:
    """A customers' model that gives forecasts made beforehand (``GroupForecaster.base`` calls ``predict(h)``)."""

    def __init__(self, forecasts: pd.DataFrame) -> None:
        self.forecasts = forecasts

    def predict(self, h: int) -> pd.DataFrame:
        return self.forecasts


def naive_forecasts(history: pd.DataFrame, as_of: pd.Timestamp, h: int, levels=(80, 95)) -> pd.DataFrame:
    """Seasonal-naive daily forecasts (the last week repeated, 0 for a missing day) with normal ranges, vectorised."""
    import warnings

    from scipy import stats

    y = history.pivot(index="unique_id", columns="ds", values="y").reindex(
        columns=pd.date_range(end=as_of - pd.Timedelta(days=1), periods=7 * 8, freq="D"))
    last = np.nan_to_num(y.to_numpy()[:, -7:])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a customer with fewer than 2 weekly differences: sd 0
        sd = np.nan_to_num(np.nanstd(y.to_numpy()[:, 7:] - y.to_numpy()[:, :-7], axis=1))
    ids, days = y.index.to_numpy(), pd.date_range(as_of, periods=h, freq="D")
    point = np.tile(last, (1, h // 7 + 1))[:, :h]
    out = {"unique_id": np.repeat(ids, h), "ds": np.tile(days.to_numpy(), len(ids)), "forecast": point.ravel()}
    for lv in levels:
        half = (stats.norm.ppf(0.5 + lv / 200) * sd)[:, None] * np.ones((1, h))
        out[f"lo_{lv}"] = np.maximum(point - half, 0).ravel()
        out[f"hi_{lv}"] = (point + half).ravel()
    return pd.DataFrame(out)


def groups_only(args, folder: Path, as_of: pd.Timestamp, cfg) -> None:
    """``--groups``: the forecasting step's group forecasts with pandas, then on Spark; equal results, timings."""
    from pyspark.sql import functions as F

    from gridcrm.data import load_dataset
    from gridcrm.forecasting import daily_frame
    from gridcrm.forecasting.groups import accuracy_by_level, fit_group_forecaster
    from gridcrm.forecasting.regressors import add_calendar
    from gridcrm.spark import read_tables, spark_session, stop_session
    from gridcrm.spark.forecasting import Regressors, spark_daily_frame
    from gridcrm.spark.groups import spark_group_forecasts
    from gridcrm.spark.session import shuffle_bytes_written

    work = folder.parent
    h = int(cfg.h)
    dataset = load_dataset(folder)
    cust = dataset.customers
    ids = np.sort(cust.loc[cust["connected_on"] < as_of, "customer_id"].to_numpy())[: args.series]
    history = daily_frame(dataset.truncate(as_of), customers=ids, temperature=cfg.temperature)
    if cfg.calendar:
        history = add_calendar(history)
    ids = np.sort(history["unique_id"].unique())
    fc = naive_forecasts(history, as_of, h, tuple(cfg.level))
    fc.to_parquet(work / "customer_forecasts.parquet", index=False)
    later = daily_frame(dataset, customers=ids, fill=False)
    later = later[(later["ds"] >= as_of) & (later["ds"] < as_of + pd.Timedelta(days=h))]
    t = time.perf_counter()
    members = cust.set_index("customer_id").reindex(ids)[list(cfg.groups)]
    members.index.name = "unique_id"
    model = fit_group_forecaster(_Fixed(fc), history, members, cfg.groups, cfg.forecaster(), method=cfg.reconciliation,
                                 regions=cust.set_index("customer_id")["region"], weather=dataset.weather, as_of=as_of,
                                 future_temperature=cfg.future_temperature)
    reconciled = model.predict(h)
    acc = [accuracy_by_level(f, history, later, model.hierarchy, members, int(cfg.season_length))
           .assign(forecasts=name).set_index("forecasts", append=True)
           for name, f in (("base", model.base(h)), (f"reconciled ({model.method})", reconciled))]
    t_pandas = time.perf_counter() - t
    accuracy = pd.concat(acc)
    groups = reconciled.loc[reconciled["level"] != "customer"].reset_index(drop=True)
    n_groups = groups["unique_id"].nunique()
    weather = dataset.weather
    del dataset, history
    t = time.perf_counter()
    spark = spark_session(args.master, shuffle_partitions=args.partitions, driver_memory=args.driver_memory)
    print(f"Spark session on {args.master}: {time.perf_counter() - t:.1f} s (not counted below)")
    try:
        tables = read_tables(spark, folder)
        chosen = spark.createDataFrame(pd.DataFrame({"customer_id": ids}))
        meter = tables["meter_daily"]
        s_history = spark_daily_frame(meter, as_of, customers=chosen)
        end = (as_of + pd.Timedelta(days=h)).to_pydatetime()
        actual = (meter.join(chosen, "customer_id", "left_semi")
                  .where((F.col("date") >= F.lit(as_of.to_pydatetime()).cast("timestamp_ntz"))
                         & (F.col("date") < F.lit(end).cast("timestamp_ntz")))
                  .select(F.col("customer_id").alias("unique_id"), F.col("date").alias("ds"), F.col("kwh").alias("y")))
        s_fc = spark.read.parquet(str(work / "customer_forecasts.parquet"))
        reg = Regressors(cust, weather, as_of, temperature=cfg.temperature, calendar=bool(cfg.calendar),
                         future_temperature=cfg.future_temperature)
        b, t = shuffle_bytes_written(spark), time.perf_counter()
        got = spark_group_forecasts(s_history, s_fc, tables["customers"], cfg.groups, cfg.forecaster(), h,
                                    method=cfg.reconciliation, regressors=reg, actual=actual)
        got.customers.write.parquet(str(work / "spark_reconciled_customers"))
        t_spark = time.perf_counter() - t
        shuffled = shuffle_bytes_written(spark) - b
        rec = pd.read_parquet(work / "spark_reconciled_customers").sort_values(["unique_id", "ds"])
    finally:
        stop_session(spark)
    pd.testing.assert_frame_equal(got.groups, groups, check_exact=False, rtol=1e-9, atol=1e-9)
    # coverage counts a reading inside its range: a reading exactly on a zero-width range (a constant history's
    # seasonal naive) is in or out by the last bit of the reconciled bound (pandas subtracts ~1e-14 more): one day
    # of one customer moves the customer level's coverage by 1 / (h * customers)
    cols = [c for c in accuracy.columns if c != "coverage_95"]
    pd.testing.assert_frame_equal(got.accuracy[cols], accuracy[cols], check_exact=False, rtol=1e-9, atol=1e-9)
    flips = ((got.accuracy["coverage_95"] - accuracy["coverage_95"]).abs() * h * accuracy["n_series"]).max()
    assert flips <= 3.01, f"coverage_95 differs by {flips:.2f} customer-days"
    want = reconciled.loc[reconciled["level"] == "customer"]
    np.testing.assert_allclose(rec["forecast"].to_numpy(),
                               want.assign(unique_id=want["unique_id"].astype(np.int64))
                               .sort_values(["unique_id", "ds"])["forecast"].to_numpy(), rtol=1e-9, atol=1e-9)
    print(f"group forecasts of {len(ids):,} customers: {n_groups} groups of {', '.join(cfg.groups)} and the total, "
          f"{h} days, {cfg.reconciliation}; Spark shuffled {shuffled / 1e6:,.1f} MB")
    print(f"\n{'step':<10} {'engine':<7} {'units':>12} {'seconds':>8} {'per second':>12}  (equal results checked)")
    for engine, s in (("pandas", t_pandas), ("spark", t_spark)):
        print(f"{'groups':<10} {engine:<7} {len(ids):>12,} {s:>8.1f} {len(ids) / s:>12,.0f}  customers/s")


if __name__ == "__main__":
    main()
