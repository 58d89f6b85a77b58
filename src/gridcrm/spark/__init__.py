"""The same pipeline on Apache Spark (optional extra ``gridcrm[spark]``; needs Java 17+).

Per-customer work is distributed (``repartition(n, "customer_id")`` + ``mapInPandas`` with one
vectorised library call per partition); pooled steps run once, globally. pyspark is imported only
when a function runs, so ``import gridcrm.spark`` works without it.
"""

from gridcrm.spark.data import SPARK_TYPES, SparkDataset, read_tables, spark_schema, to_model_frame, validate_spark
from gridcrm.spark.session import (
    DEFAULT_MASTER,
    SparkUnavailable,
    shuffle_bytes_written,
    spark_available,
    spark_session,
    stop_session,
)

__all__ = [
    "DEFAULT_MASTER",
    "SPARK_TYPES",
    "SparkDataset",
    "SparkUnavailable",
    "read_tables",
    "shuffle_bytes_written",
    "spark_available",
    "spark_schema",
    "spark_session",
    "stop_session",
    "to_model_frame",
    "validate_spark",
]
