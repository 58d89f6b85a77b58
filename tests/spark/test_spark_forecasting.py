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
