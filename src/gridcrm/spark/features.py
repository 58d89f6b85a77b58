"""Customer features on Spark: :func:`gridcrm.features.build_features` once per partition of customers.

Every table's rows of a customer go to the same partition (``repartition(n, "customer_id")`` on
one union of the tables, each table's columns prefixed with its name); each partition rebuilds
the tables in pandas and calls the library's own :func:`~gridcrm.features.build_features` on its
customers. No feature of the registry reads another customer's rows (checked by the tests: the
Spark table equals the pandas one on the same data), so the result cannot depend on which
customers share a partition. The only thing pooled is the set of categories of the category
features, which the driver sets when it reads the table back (:func:`features_to_pandas`).
Weather (regions × days, small) travels to every partition with the function.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcrm.data.dataset import Dataset
from gridcrm.data.schemas import TABLES
from gridcrm.features._common import active_customers, check_as_of, parse_as_of
from gridcrm.features.account import _FIXED_CATEGORIES, _category
from gridcrm.features.builder import build_features, feature_dtypes
from gridcrm.features.registry import DEFAULT_WINDOWS, feature_registry
from gridcrm.spark.data import SparkDataset, to_model_frame

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["FEATURE_TABLES", "customer_partitions", "features_to_pandas", "spark_features"]

logger = logging.getLogger(__name__)

#: Tables the features read per customer (weather is broadcast).
FEATURE_TABLES: tuple[str, ...] = ("customers", "meter_daily", "load_interval", "bills", "payments", "contacts",
                                   "events")
_TABLE = "_gridcrm_table"
_SPARK_OF = {"int64": "bigint", "float64": "double", "bool": "boolean", "category": "string"}


def _prefixed(table: str, column: str) -> str:
    return f"{table}__{column}"


def customer_partitions(
    sds: SparkDataset, as_of: pd.Timestamp, n_partitions: int, tables: Sequence[str] = FEATURE_TABLES
) -> DataFrame:
    """One Spark DataFrame holding every row of ``tables`` known before ``as_of``, partitioned by customer.

    Columns: ``customer_id``, ``_gridcrm_table`` and each table's columns as ``<table>__<column>``
    (null in the other tables' rows). Fact rows dated on or after ``as_of`` are dropped here
    (they could not change a feature at ``as_of``), so they are never shuffled.
    """
    from pyspark.sql import functions as F

    parts = []
    for name in tables:
        if name not in sds.tables:
            continue
        schema = TABLES[name]
        df = sds.tables[name]
        if name != "customers" and schema.time_column is not None:
            df = df.where(F.col(schema.time_column) < F.lit(as_of.to_pydatetime()).cast("timestamp_ntz"))
        parts.append(df.select(F.col("customer_id"), F.lit(name).alias(_TABLE),
                               *[F.col(c).alias(_prefixed(name, c)) for c in schema.column_names]))
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part, allowMissingColumns=True)
    return union.repartition(n_partitions, "customer_id")


def split_tables(pdf: pd.DataFrame, tables: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The inverse of :func:`customer_partitions` on one partition: table name → frame with the model's dtypes."""
    out = {}
    kinds = pdf[_TABLE].to_numpy() if len(pdf) else np.array([], dtype=object)
    for name in tables:
        schema = TABLES[name]
        rows = pdf.loc[kinds == name]
        frame = pd.DataFrame({c: rows[_prefixed(name, c)].to_numpy() for c in schema.column_names
                              if _prefixed(name, c) in rows.columns}, index=pd.RangeIndex(len(rows)))
        out[name] = to_model_frame(frame, schema)
    return out


def spark_features(
    sds: SparkDataset,
    as_of: pd.Timestamp | str | None = None,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    *,
    n_partitions: int | None = None,
) -> DataFrame:
    """The feature table of :func:`gridcrm.features.build_features`, computed on Spark.

    Parameters
    ----------
    sds : SparkDataset
        From :func:`gridcrm.spark.validate_spark`.
    as_of : Timestamp-like, optional
        Default ``sds.extracted_on``.
    windows : sequence of int
    n_partitions : int, optional
        Partitions of customers (default: the session's default parallelism × 2). Each holds
        about ``customers / n_partitions`` customers with all their rows in memory at once.

    Returns
    -------
    DataFrame
        A lazy Spark DataFrame: ``customer_id`` and the registry's features in registry order
        (int features ``bigint``, float ``double``, bool ``boolean``, category ``string``).
        :func:`features_to_pandas` gives the pandas table, equal to ``build_features``.

    Raises
    ------
    InputError
        ``as_of`` is after the extract or before every customer (checked on the driver with
        a count, as ``build_features`` does).
    """
    cut = parse_as_of(as_of, default=sds.extracted_on)
    registry = feature_registry(tuple(windows))
    windows = tuple(windows)
    spark = sds.tables["customers"].sparkSession
    n_partitions = int(n_partitions or 2 * spark.sparkContext.defaultParallelism)
    _check_as_of(sds, cut)
    weather = (to_model_frame(sds.tables["weather"].toPandas(), TABLES["weather"])
               if "weather" in sds.tables else TABLES["weather"].empty())
    tables = [t for t in FEATURE_TABLES if t in sds.tables]
    dtypes = feature_dtypes(registry)
    names = list(registry)
    schema = ", ".join(["customer_id bigint", *[f"`{n}` {_SPARK_OF[dtypes[n]]}" for n in names]])
    extracted_on = sds.extracted_on

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        frames = [b for b in batches if len(b)]
        if not frames:
            return
        parts = split_tables(pd.concat(frames, ignore_index=True), tables)
        if len(active_customers(parts["customers"], cut)) == 0:
            return
        ds = Dataset({**parts, "weather": weather}, extracted_on=extracted_on)
        table = build_features(ds, as_of=cut, windows=windows)
        out = {"customer_id": table.index.to_numpy(dtype=np.int64)}
        for n in names:
            col = table[n]
            out[n] = col.astype(object).where(col.notna(), None) if dtypes[n] == "category" else col.to_numpy()
        yield pd.DataFrame(out)

    return customer_partitions(sds, cut, n_partitions, tables).mapInPandas(run, schema)


def _check_as_of(sds: SparkDataset, cut: pd.Timestamp) -> None:
    """``check_as_of`` of the pandas path, on counts computed by Spark."""
    from pyspark.sql import functions as F

    customers = sds.tables["customers"]
    active = customers.where((F.col("connected_on") < F.lit(cut.to_pydatetime()).cast("timestamp_ntz"))
                             & ~F.coalesce(F.col("closed_on") < F.lit(cut.to_pydatetime()).cast("timestamp_ntz"),
                                           F.lit(False))).count()
    first = sds.tables["meter_daily"].agg(F.min("date")).collect()[0][0]
    first_connected = customers.agg(F.min("connected_on")).collect()[0][0]

    class _Summary:  # what check_as_of reads: extracted_on and the first read / connection
        extracted_on = sds.extracted_on
        meter_daily = pd.DataFrame({"date": pd.Series([first], dtype="datetime64[ns]")})
        customers = pd.DataFrame({"connected_on": pd.Series([first_connected], dtype="datetime64[ns]")})

    check_as_of(_Summary(), cut, active)


def features_to_pandas(features: DataFrame, as_of: pd.Timestamp | str, windows: Sequence[int] = DEFAULT_WINDOWS
                       ) -> pd.DataFrame:
    """Collect a :func:`spark_features` table to the driver as ``build_features`` returns it.

    Indexed by ``customer_id`` (sorted), registry order, the dtypes of
    :func:`~gridcrm.features.feature_dtypes`; category features get the categories of the
    whole table (as one ``build_features`` call over every customer would), ``attrs["as_of"]`` set.
    """
    registry = feature_registry(tuple(windows))
    dtypes = feature_dtypes(registry)
    pdf = features.toPandas().sort_values("customer_id", kind="stable")
    index = pd.Index(pdf["customer_id"].to_numpy(dtype=np.int64), name="customer_id")
    data = {}
    for n in registry:
        values = pdf[n]
        if dtypes[n] == "category":  # the categories one build_features call over every customer gives
            data[n] = _category(values, _FIXED_CATEGORIES.get(n))
        else:
            data[n] = values.to_numpy().astype(dtypes[n], copy=False)
    frame = pd.DataFrame(data, index=index, copy=False)
    frame.attrs["as_of"] = parse_as_of(as_of).isoformat()
    return frame
