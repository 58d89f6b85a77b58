"""Tags on Spark equal TagSet.evaluate over every customer at once, percentile rules included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import load_dataset
from gridcrm.features import build_features
from gridcrm.tags import load_tags

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::FutureWarning")]  # pyspark: pandas >= 3
AS_OF = "2024-06-01"


@pytest.mark.slow  # Spark features of 80 customers + 232 tags per partition: ~100 s on a loaded machine
def test_shipped_tags_on_spark_equal_the_pandas_evaluation(spark, extract):
    from gridcrm.spark import SparkDataset, read_tables
    from gridcrm.spark.features import spark_features
    from gridcrm.spark.tags import pooled_tags, spark_tags, tags_to_pandas

    folder, extracted_on = extract
    tags = load_tags()
    pooled = pooled_tags(tags)
    # the shipped file ranks within groups (class, region, station) and over everyone (value_score >= p80)
    assert {"top_value_customer", "consumption_level", "station_heavyweight", "regional_heavyweight"} <= pooled
    assert "residential" not in pooled
    features = build_features(load_dataset(folder), as_of=AS_OF)
    rng = np.random.default_rng(3)
    extra = pd.DataFrame({"value_score": rng.uniform(0, 100, len(features)),
                          "credit_grade": rng.choice(["AAA", "AA", "A", "B", "C"], len(features))},
                         index=features.index)
    expected = tags.evaluate(features, extra=extra).wide
    assert any(t in expected.columns for t in pooled)
    sds = SparkDataset.trusted(read_tables(spark, folder), extracted_on)
    sfeat = spark_features(sds, AS_OF, n_partitions=3)
    sextra = spark.createDataFrame(extra.reset_index()).repartition(2)
    got = tags_to_pandas(spark_tags(sfeat.repartition(3), tags, sextra), tags)
    pd.testing.assert_frame_equal(got, expected)
