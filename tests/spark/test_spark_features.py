"""Features on Spark equal build_features on the same data, whatever the partitioning."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gridcrm.data import load_dataset
from gridcrm.features import build_features

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::FutureWarning")]  # pyspark: pandas >= 3
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_features_equal_build_features_for_two_partitionings(spark, extract, tmp_path):
    from gridcrm.spark import SparkDataset, read_tables
    from gridcrm.spark.features import features_to_pandas, spark_features

    folder, extracted_on = extract  # clean: validation is tested in test_spark_data.py
    sds = SparkDataset.trusted(read_tables(spark, folder), extracted_on)
    expected = build_features(load_dataset(folder, on_error="quarantine"), as_of="2024-06-01", windows=(30, 365))
    assert len(expected) > 50
    for n in (2, 5):
        got = features_to_pandas(spark_features(sds, "2024-06-01", (30, 365), n_partitions=n), "2024-06-01", (30, 365))
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=0, atol=1e-9)
        assert got.attrs["as_of"] == expected.attrs["as_of"]
    # written by Spark, read back by pandas (not through the driver's JVM): the same table
    spark_features(sds, "2024-06-01", (30, 365), n_partitions=2).write.parquet(str(tmp_path / "f"))
    from_parquet = features_to_pandas(pd.read_parquet(tmp_path / "f"), "2024-06-01", (30, 365))
    pd.testing.assert_frame_equal(from_parquet, expected, check_exact=False, rtol=0, atol=1e-9)


def test_as_of_after_the_extract_is_refused_as_in_pandas(spark, extract):
    from gridcrm.errors import InputError
    from gridcrm.spark import SparkDataset, read_tables
    from gridcrm.spark.features import spark_features

    folder, extracted_on = extract
    sds = SparkDataset.trusted(read_tables(spark, folder), extracted_on)
    with pytest.raises(InputError, match="is after the extract was taken"):
        spark_features(sds, extracted_on + pd.Timedelta(days=5))
    with pytest.raises(InputError, match="is before the data"):
        spark_features(sds, "2000-01-01")


@pytest.mark.slow
def test_features_on_the_sample_equal_build_features(spark):
    from gridcrm.spark import SparkDataset, read_tables
    from gridcrm.spark.features import features_to_pandas, spark_features

    dataset = load_dataset(SAMPLE, on_error="quarantine")
    assert dataset.report.ok  # the sample is clean: its tables are the validated ones
    sds = SparkDataset.trusted(read_tables(spark, SAMPLE), dataset.extracted_on)
    got = features_to_pandas(spark_features(sds, "2024-10-01", n_partitions=4), "2024-10-01")
    expected = build_features(dataset, as_of="2024-10-01")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=0, atol=1e-9)


def test_the_union_carries_one_struct_per_table_and_only_rows_a_feature_reads(spark, extract):
    from gridcrm.spark import SparkDataset, read_tables
    from gridcrm.spark.features import FEATURE_TABLES, customer_partitions, look_back_days
    from gridcrm.spark.session import shuffle_bytes_written

    folder, extracted_on = extract
    sds = SparkDataset.trusted(read_tables(spark, folder), extracted_on)
    as_of = pd.Timestamp("2024-06-01")
    tables = [t for t in FEATURE_TABLES if t in sds.tables]
    union = customer_partitions(sds, as_of, 3, tables, windows=(30, 90))
    assert union.columns == ["customer_id", *tables]  # not ~50 columns side by side
    assert look_back_days((30, 90)) == {"meter_daily": 730, "load_interval": 30}
    assert look_back_days((30, 1000))["meter_daily"] == 1000
    meter = load_dataset(folder, on_error="quarantine").meter_daily
    days = meter["date"][meter["date"] < as_of]
    assert days.min() < as_of - pd.Timedelta(days=365)  # the extract has reads the cut could drop
    before = shuffle_bytes_written(spark)
    rows = union.where("meter_daily is not null").select("customer_id", "meter_daily.date").toPandas()
    assert shuffle_bytes_written(spark) > before
    assert len(rows) == len(days)  # every read before as_of within 730 days: all of them in this 14-month extract
    short = customer_partitions(sds, as_of, 3, tables, windows=(30,)).where("load_interval is not null")
    loads = load_dataset(folder, on_error="quarantine").load_interval
    stamp = loads["timestamp"]
    recent = (stamp < as_of) & (stamp >= as_of - pd.Timedelta(days=30))
    assert int((stamp < as_of).sum()) > int(recent.sum()) > 0  # older loads exist: the cut drops them
    assert short.count() == int(recent.sum())
