"""Forecasts per partition on Spark equal the pandas batched engine, whatever the partitioning."""

from __future__ import annotations

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
