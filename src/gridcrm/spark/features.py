"""Customer features on Spark: :func:`gridcrm.features.build_features` once per partition of customers.

Every table's rows of a customer go to the same partition (``repartition(n, "customer_id")`` on
one union of the tables, each table's row packed in one struct column named after the table, null
in the other tables' rows); each partition (``mapInArrow``) unpacks the tables and calls the
library's own :func:`~gridcrm.features.build_features` on its customers. Only the rows a feature
can read are shuffled: facts dated before ``as_of``, and of the meter reads and 15-minute loads
only the days the features look back (:func:`look_back_days`). No feature of the registry reads
another customer's rows (checked by the tests: the Spark table equals the pandas one on the same
data), so the result cannot depend on which customers share a partition. The only thing pooled is
the set of categories of the category features, which the driver sets when it reads the table
back (:func:`features_to_pandas`).
Weather (regions × days, small) travels to every partition with the function.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridcrm.data.dataset import Dataset
from gridcrm.data.schemas import TABLES
from gridcrm.features._common import active_customers, check_as_of, parse_as_of
from gridcrm.features.account import _FIXED_CATEGORIES, _category
from gridcrm.features.builder import build_features, feature_dtypes
from gridcrm.features.load import LOAD_WINDOW_DAYS
from gridcrm.features.registry import DEFAULT_WINDOWS, feature_registry
from gridcrm.spark.data import SparkDataset, to_model_frame

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["FEATURE_TABLES", "customer_partitions", "features_to_pandas", "look_back_days", "spark_features"]

logger = logging.getLogger(__name__)

#: Tables the features read per customer (weather is broadcast).
FEATURE_TABLES: tuple[str, ...] = ("customers", "meter_daily", "load_interval", "bills", "payments", "contacts",
                                   "events")
_SPARK_OF = {"int64": "bigint", "float64": "double", "bool": "boolean", "category": "string"}
#: Days of daily meter reads the consumption features read at most (two years: year-on-year growth).
_METER_SPAN_DAYS = 2 * 365


def look_back_days(windows: Sequence[int] = DEFAULT_WINDOWS) -> dict[str, int]:
    """Days before ``as_of`` whose rows a feature can read, for the tables whose features look back a fixed span.

    The daily reads: two years (year-on-year growth) or the longest window; the 15-minute
    loads: :data:`gridcrm.features.load.LOAD_WINDOW_DAYS`. Bills, payments, contacts and events
    are read over their whole history (a bill's payments, ever-blacklisted) and are not cut.

    Examples
    --------
    >>> look_back_days((30, 90, 365))
    {'meter_daily': 730, 'load_interval': 30}
    """
    return {"meter_daily": max(_METER_SPAN_DAYS, *windows), "load_interval": LOAD_WINDOW_DAYS}


def customer_partitions(
    sds: SparkDataset, as_of: pd.Timestamp, n_partitions: int, tables: Sequence[str] = FEATURE_TABLES,
    windows: Sequence[int] = DEFAULT_WINDOWS,
) -> DataFrame:
    """One Spark DataFrame holding every row of ``tables`` a feature at ``as_of`` can read, partitioned by customer.

    Columns: ``customer_id`` and one struct column per table (named after it, holding the table's
    other columns; null in the other tables' rows): a row carries its own table's values only, not
    the ~50 columns of every table. Fact rows dated on or after ``as_of``, and meter reads and
    loads older than :func:`look_back_days`, are dropped here (they could not change a feature
    at ``as_of``), so they are never shuffled.
    """
    from pyspark.sql import functions as F

    cut = F.lit(as_of.to_pydatetime()).cast("timestamp_ntz")
    spans = look_back_days(windows)
    parts = []
    for name in tables:
        if name not in sds.tables:
            continue
        schema = TABLES[name]
        df = sds.tables[name]
        if name != "customers" and schema.time_column is not None:
            df = df.where(F.col(schema.time_column) < cut)
            if name in spans:
                start = (as_of - pd.Timedelta(days=spans[name])).to_pydatetime()
                df = df.where(F.col(schema.time_column) >= F.lit(start).cast("timestamp_ntz"))
        packed = [F.col(c) for c in schema.column_names if c != "customer_id"]  # the key travels once, outside
        parts.append(df.select(F.col("customer_id"), F.struct(*packed).alias(name)))
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part, allowMissingColumns=True)
    return union.repartition(n_partitions, "customer_id")


def split_tables(batch: Any, tables: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The inverse of :func:`customer_partitions` on one partition (an Arrow table): name → frame with the model's dtypes."""
    import pyarrow as pa

    out = {}
    for name in tables:
        schema = TABLES[name]
        column = batch.column(name) if name in batch.column_names else None
        if column is None or batch.num_rows == 0:
            rows = pd.DataFrame(index=pd.RangeIndex(0))
        else:
            valid = column.is_valid()
            packed = column.filter(valid).combine_chunks()
            if isinstance(packed, pa.ChunkedArray):  # pyarrow < 16 keeps a chunked array
                packed = pa.concat_arrays(packed.chunks) if packed.num_chunks else pa.array([], packed.type)
            rows = pa.Table.from_struct_array(packed).to_pandas()
            rows["customer_id"] = batch.column("customer_id").filter(valid).to_numpy()
        out[name] = to_model_frame(rows, schema)
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

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        frames = [b for b in batches if b.num_rows]
        if not frames:
            return
        parts = split_tables(pa.Table.from_batches(frames), tables)
        if len(active_customers(parts["customers"], cut)) == 0:
            return
        ds = Dataset({**parts, "weather": weather}, extracted_on=extracted_on)
        table = build_features(ds, as_of=cut, windows=windows)
        out = {"customer_id": table.index.to_numpy(dtype=np.int64)}
        for n in names:
            col = table[n]
            out[n] = col.astype(object).where(col.notna(), None) if dtypes[n] == "category" else col.to_numpy()
        yield from pa.Table.from_pandas(pd.DataFrame(out), schema=arrow, preserve_index=False).to_batches()

    arrow = _arrow_schema(names, dtypes)
    return customer_partitions(sds, cut, n_partitions, tables, windows).mapInArrow(run, schema)


def _arrow_schema(names: Sequence[str], dtypes: dict[str, str]) -> Any:
    import pyarrow as pa

    of = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(), "category": pa.string()}
    return pa.schema([pa.field("customer_id", pa.int64()), *[pa.field(n, of[dtypes[n]]) for n in names]])


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


def features_to_pandas(features: DataFrame | pd.DataFrame, as_of: pd.Timestamp | str,
                       windows: Sequence[int] = DEFAULT_WINDOWS) -> pd.DataFrame:
    """Collect a :func:`spark_features` table to the driver as ``build_features`` returns it.

    ``features`` may also be the pandas frame read from its Parquet output (``pd.read_parquet`` of
    the folder Spark wrote: no row passes through the driver's JVM, whose result size is capped).

    Indexed by ``customer_id`` (sorted), registry order, the dtypes of
    :func:`~gridcrm.features.feature_dtypes`; category features get the categories of the
    whole table (as one ``build_features`` call over every customer would), ``attrs["as_of"]`` set.
    """
    registry = feature_registry(tuple(windows))
    dtypes = feature_dtypes(registry)
    pdf = (features if isinstance(features, pd.DataFrame) else features.toPandas()).sort_values("customer_id",
                                                                                               kind="stable")
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
