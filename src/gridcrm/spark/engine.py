"""``gridcrm run --engine spark``: the main job with its distributed steps on Spark.

What runs on Spark: reading and validating the extract (the same quarantine report, checked
against the pandas path's) and the customer features (per partition of customers). Everything
after the features runs as in the pandas engine on the driver — segmentation, credit and value
(AHP over the feature table), forecasting (its regressors, group forecasts and reconciliation
pool customers), risk (training on snapshots), tags and portraits — so the output folder has the
same names, columns and dtypes. The job's registry is handed in (this package sits below the
job), and the features step is swapped for the Spark one inside it.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from gridcrm.errors import GridcrmError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["use_spark_features"]

logger = logging.getLogger(__name__)


def use_spark_features(registry: dict[str, Any], spark: SparkSession, partitions: int | None = None) -> None:
    """Replace the ``features`` step of the job's ``registry`` by one that validates and builds features on Spark.

    Parameters
    ----------
    registry : dict
        The job's step registry, e.g. from ``gridcrm.job.temporary_registry()`` (restored after it).
    spark : SparkSession
    partitions : int, optional
        Partitions of customers.

    The step writes ``features.parquet`` with the pandas engine's columns and dtypes (the table is
    collected to the driver: the steps after it are pandas steps).
    """
    base = registry["features"]

    def features_on_spark(ctx: Any) -> Any:
        from gridcrm.spark.data import read_tables, validate_spark
        from gridcrm.spark.features import features_to_pandas, spark_features

        data = ctx.config.data
        sds = validate_spark(read_tables(spark, data.path), extracted_on=ctx.dataset.extracted_on,
                             on_error=data.on_error, date_format=data.date_format)
        pandas_report = ctx.dataset.report
        if pandas_report is not None and (sds.report.rows_kept != pandas_report.rows_kept
                                          or len(sds.report.rejections) != len(pandas_report.rejections)):
            raise GridcrmError(f"the Spark and pandas engines disagree on the rows kept ({sds.report.rows_kept} vs "
                               f"{pandas_report.rows_kept}): please report this with the extract's data model")
        windows = tuple(ctx.config.features.windows)
        features = features_to_pandas(spark_features(sds, ctx.as_of, windows, n_partitions=partitions),
                                      ctx.as_of, windows)
        sds.unpersist()
        ctx.write("features", features, "features.parquet")
        ctx.note(f"features: {len(features):,} active customers × {features.shape[1]} features as of "
                 f"{ctx.as_of.date()} (validated and built on Spark, {spark.sparkContext.master})")
        return base.result(features=features, windows=windows)

    registry["features"] = dataclasses.replace(base, fn=features_on_spark)
