"""Forecasts per partition on Spark equal the pandas batched engine, whatever the partitioning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import load_dataset
from gridcrm.errors import ConfigError
from gridcrm.forecasting import ConsumptionForecaster, daily_frame

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::FutureWarning")]  # pyspark: pandas >= 3
AS_OF = "2024-06-01"


def test_forecasts_and_models_equal_the_pandas_engine_for_two_partitionings(spark, extract):
    from gridcrm.spark import SparkDataset, read_tables
    from gridcrm.spark.forecasting import forecasts_to_pandas, models_to_pandas, spark_daily_frame, spark_forecasts

    folder, extracted_on = extract
    dataset = load_dataset(folder)
    history = daily_frame(dataset.truncate(AS_OF))
    # model choice by backtest, outlier cleaning, fallbacks: every per-series setting of the job's config
    forecaster = ConsumptionForecaster(season_length=7, level=(80, 95), model_selection="backtest",
                                       selection_windows=2)
    expected = forecaster.fit(history).predict(14)
    sds = SparkDataset.trusted(read_tables(spark, folder), extracted_on)
    connected = sds.tables["customers"].where(f"connected_on < '{AS_OF}'")
    spark_history = spark_daily_frame(sds.tables["meter_daily"], AS_OF, customers=connected)
    for n in (2, 5):
        fc, models = spark_forecasts(spark_history, forecaster, 14, n_partitions=n)
        got = forecasts_to_pandas(fc)
        pd.testing.assert_frame_equal(got, expected.reset_index(drop=True), check_exact=False, rtol=0, atol=1e-9)
        got_models = models_to_pandas(models)
        pd.testing.assert_frame_equal(got_models, forecaster.models_, check_exact=False, rtol=0, atol=1e-9)
    assert (forecaster.models_["fallback"] != "").any() or forecaster.models_["selected"].nunique() > 1


def test_pooled_settings_are_refused(spark, extract):
    from gridcrm.spark import SparkDataset, read_tables
    from gridcrm.spark.forecasting import spark_daily_frame, spark_forecasts

    folder, extracted_on = extract
    sds = SparkDataset.trusted(read_tables(spark, folder), extracted_on)
    history = spark_daily_frame(sds.tables["meter_daily"], AS_OF)
    with pytest.raises(ConfigError, match="calibrated"):
        spark_forecasts(history, ConsumptionForecaster(interval_method="calibrated"), 7)
    with pytest.raises(ConfigError, match="clustered"):
        spark_forecasts(history, ConsumptionForecaster(engine="clustered"), 7)
    with pytest.raises(ConfigError, match="exogenous"):
        spark_forecasts(history.withColumn("heating", history["y"] * 0), ConsumptionForecaster(), 7)


def test_forecasts_with_the_jobs_regressors_equal_the_pandas_step(spark, extract):
    """Degree-days and the Chinese calendar built per partition: the forecasts of the job's forecasting step."""
    from pathlib import Path

    from gridcrm.forecasting import load_forecast_config
    from gridcrm.forecasting.regressors import add_calendar, with_regressors
    from gridcrm.spark import SparkDataset, read_tables
    from gridcrm.spark.forecasting import (
        Regressors,
        forecasts_to_pandas,
        models_to_pandas,
        spark_daily_frame,
        spark_forecasts,
    )

    folder, extracted_on = extract
    dataset = load_dataset(folder)
    cfg = load_forecast_config(Path(__file__).resolve().parents[2] / "configs" / "forecast.yaml")
    assert cfg.temperature and cfg.calendar
    ids = dataset.customers.loc[dataset.customers["connected_on"] < AS_OF, "customer_id"].to_numpy()[:30]
    # what the job's forecasting step does (job/builtin.py), on 30 customers
    history = add_calendar(daily_frame(dataset.truncate(AS_OF), customers=ids, temperature=True))
    fitted = cfg.forecaster().fit(history)
    assert {"heating", "cooling"} <= set(fitted.exog_names_)
    step = with_regressors(fitted, dataset.customers, dataset.weather, AS_OF, cfg.future_temperature)
    expected = step.predict(7)
    sds = SparkDataset.trusted(read_tables(spark, folder), extracted_on)
    chosen = spark.createDataFrame(pd.DataFrame({"customer_id": ids}))
    spark_history = spark_daily_frame(sds.tables["meter_daily"], AS_OF, customers=chosen)
    reg = Regressors(dataset.customers, dataset.weather, AS_OF, future_temperature=cfg.future_temperature)
    for n in (2, 3):
        fc, models = spark_forecasts(spark_history, cfg.forecaster(), 7, n_partitions=n, regressors=reg)
        pd.testing.assert_frame_equal(forecasts_to_pandas(fc), expected.reset_index(drop=True), check_exact=False,
                                      rtol=0, atol=1e-9)
        pd.testing.assert_frame_equal(models_to_pandas(models), step.models_, check_exact=False, rtol=0, atol=1e-9)
    with pytest.raises(ConfigError, match="future_temperature"):
        spark_forecasts(spark_history, cfg.forecaster(), 7,
                        regressors=Regressors(dataset.customers, dataset.weather, AS_OF, future_temperature="hot"))


#: The job's 15-minute forecasts (job/builtin.py ``_interval_forecasts``): a week of quarter-hours, 8 weeks of history.
WEEK = 672


@pytest.fixture(scope="module")
def interval_extract(tmp_path_factory):
    """480 customers (11 with 15-minute load: 9 over 42 days, 2 over 31), the job's interval history at 2024-11-01."""
    from gridcrm.data.synth import generate_dataset
    from gridcrm.forecasting import interval_frame

    ds = generate_dataset(n_customers=480, start="2024-09-20", end="2024-10-31", seed=5).dataset
    folder = ds.save(tmp_path_factory.mktemp("interval"))
    as_of = pd.Timestamp("2024-11-01")
    load = interval_frame(ds.truncate(as_of), freq="15min")  # as the job: before as_of, >= 4 weeks of load
    load = load[load["ds"] < as_of]
    enough = load.dropna(subset=["y"]).groupby("unique_id").size() >= 4 * WEEK
    return folder, ds.extracted_on, as_of, load[load["unique_id"].isin(enough.index[enough])]


def _interval_forecaster() -> object:
    from gridcrm.forecasting.multiseason import CalendarProfileForecaster

    return CalendarProfileForecaster(forecaster=ConsumptionForecaster(
        season_length=WEEK, freq="15min", level=(80, 95), max_history=8 * WEEK, interval_method="conformal",
        random_state=0), calendar="cn")


@pytest.mark.slow  # 51-62 s at load 3-5 (two partitionings x two passes of 15-minute fits), over the 40 s budget
def test_interval_forecasts_with_conformal_ranges_equal_the_jobs_for_two_partitionings(spark, interval_extract):
    """Pooled conformal factors (one global pass) and the calendar read on every series' days: the job's numbers."""
    from gridcrm.spark import SparkDataset, read_tables
    from gridcrm.spark.forecasting import forecasts_to_pandas, models_to_pandas, spark_forecasts, spark_interval_frame

    folder, extracted_on, as_of, load = interval_extract
    # five customers, four of 42 days and one of 31, choosing three candidates (two of them twice)
    ids = [10000016, 10000027, 10000164, 10000215, 10000347]
    history = load[load["unique_id"].isin(ids)].reset_index(drop=True)
    fitted = _interval_forecaster().fit(history)
    expected = fitted.predict(WEEK)
    assert fitted.models_["selected"].tolist() == ["SeasonalNaive[96]", "Blocks", "MSTL", "MSTL", "Blocks"]
    sds = SparkDataset.trusted(read_tables(spark, folder), extracted_on)
    chosen = sds.tables["customers"].where(sds.tables["customers"]["customer_id"].isin(ids))
    spark_history = spark_interval_frame(sds.tables["load_interval"], as_of, customers=chosen)
    got_history = spark_history.toPandas().sort_values(["unique_id", "ds"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got_history, history.dropna(subset=["y"]).reset_index(drop=True),
                                  check_dtype=False, check_exact=False, rtol=0, atol=1e-12)
    ranges = ["lo_80", "hi_80", "lo_95", "hi_95"]
    from pyspark.sql import functions as F

    part = {r["unique_id"]: r["p"] for r in spark_history.select("unique_id").distinct().repartition(3, "unique_id")
            .select("unique_id", F.spark_partition_id().alias("p")).collect()}
    assert part[10000164] != part[10000215] or part[10000027] != part[10000347]  # a candidate's series split
    for n in (2, 3):
        fc, models = spark_forecasts(spark_history, _interval_forecaster(), WEEK, n_partitions=n)
        got = forecasts_to_pandas(fc)
        pd.testing.assert_frame_equal(got.drop(columns=ranges), expected.drop(columns=ranges), check_exact=False,
                                      rtol=0, atol=1e-9)
        # the ranges' half-widths to 1e-9 relative: the batched ARIMA's backtest refits differ by ~1e-9 between
        # batches of other series, which moves a pooled quantile by ~1e-10 (kW in the thousands)
        for side in ranges:
            np.testing.assert_allclose((got[side] - got["forecast"]).abs(), (expected[side] - expected["forecast"]).abs(),
                                       rtol=1e-9, atol=1e-9)
        pd.testing.assert_frame_equal(models_to_pandas(models), fitted.models_, check_exact=False, rtol=1e-9,
                                      atol=1e-9)
    # alone (a partition of its own, without the pooled pass) a series gets the factor of its own errors
    alone = _interval_forecaster().fit(history[history["unique_id"] == 10000164])
    assert alone.models_["interval_scale_95"].item() != pytest.approx(fitted.models_.loc[10000164, "interval_scale_95"])
    from gridcrm.forecasting.multiseason import CalendarProfileForecaster

    with pytest.raises(ConfigError, match="calibrated"):
        spark_forecasts(spark_history, CalendarProfileForecaster(forecaster=ConsumptionForecaster(
            season_length=WEEK, freq="15min", interval_method="calibrated")), WEEK)
    with pytest.raises(ConfigError, match="clustered"):
        spark_forecasts(spark_history, CalendarProfileForecaster(forecaster=ConsumptionForecaster(
            season_length=WEEK, freq="15min", engine="clustered")), WEEK)


def test_exact_quantiles_equal_numpy_through_narrow_brackets(spark, monkeypatch):
    """The sketch only brackets the order statistics: the quantiles are numpy's, bit for bit, even from a coarse
    sketch (wide brackets) and with ties; a group below another's values is not mixed in."""
    import gridcrm.spark.forecasting as sf

    rng = np.random.default_rng(3)
    a = np.round(np.abs(rng.normal(0, 1.5, 3001)), 2)  # ties
    b = np.abs(rng.standard_cauchy(20))
    frame = spark.createDataFrame(pd.DataFrame({"g": ["a"] * a.size + ["b"] * b.size, "z": np.r_[a, b]}))
    qs = [0.8, 0.95, 0.0, 1.0]
    for accuracy in (10_000, 20):
        monkeypatch.setattr(sf, "QUANTILE_ACCURACY", accuracy)
        got = sf.exact_quantiles(frame, {"a": a.size, "b": b.size}, qs)
        assert got["a"] == np.quantile(a, qs).tolist() and got["b"] == np.quantile(b, qs).tolist()
