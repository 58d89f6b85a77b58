"""The gridcrm data model on Spark: read tables, validate them with the same rules and the same quarantine report.

:func:`read_tables` reads Parquet folders/files, Hive tables or Spark DataFrames;
:func:`validate_spark` applies the rules of :func:`gridcrm.data.validate_tables`:

* row rules (conversion, nullability, ranges, allowed values, cross-column rules, dates after the
  extract) run per partition with ``mapInPandas`` through the library's own code, batch by batch
  (every one of these rules reads one row only, so the result cannot depend on the partitioning);
* duplicate keys are a Spark window count over the key;
* references (unknown customers or bills, a bill of another customer, kWh above what the
  contracted capacity can draw) are Spark joins against the kept customers and bills: a
  broadcast join when that table has at most :data:`BROADCAST_MAX_ROWS` rows, else a
  sort-merge join (a join hint on that one join; the session's settings are left alone).

The report counts every rule as the pandas path does: rows in = kept + set aside, per table.
Nothing is collected to the driver but counts and at most five example rows per rule.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridcrm.data._convert import _plain
from gridcrm.data._errors import DataValidationError, SchemaError
from gridcrm.data.dataset import Dataset
from gridcrm.data.schemas import REQUIRED_TABLES, TABLES, TableSchema
from gridcrm.data.validation import (
    _N_EXAMPLES,
    CAPACITY_FACTOR,
    OnError,
    Rejection,
    ValidationReport,
    _check_table_names,
    _Collector,
    _convert_table,
    _cross_column_rules,
    _final_dtype,
    _future_rules,
    _row_rules,
    _start,
)
from gridcrm.errors import InputError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

__all__ = ["BROADCAST_MAX_ROWS", "SPARK_TYPES", "SparkDataset", "read_tables", "spark_schema", "to_model_frame",
           "validate_spark"]

logger = logging.getLogger(__name__)

#: Spark SQL type of each kind of column of the data model (dates are naive timestamps, as in pandas).
SPARK_TYPES: dict[str, str] = {
    "int": "bigint",
    "float": "double",
    "date": "timestamp_ntz",
    "timestamp": "timestamp_ntz",
    "str": "string",
    "category": "string",
    "bool": "boolean",
}
#: Reference rules join a table to the kept ``customers`` (or ``bills``) by broadcasting them when they have at
#: most this many rows, else by a sort-merge join. Spark would otherwise pick a broadcast from its size estimate
#: of the cached, filtered table (far too small): at 1,000,000 customers that broadcast ran a 2 GB driver out
#: of memory ("Not enough memory to build and broadcast the table"). 200,000 rows × (key, value) ≈ 5 MB.
BROADCAST_MAX_ROWS = 200_000
# the stages of validation, in the order the pandas path reports them
_CONVERT, _ROW, _CROSS, _FUTURE, _REFERENCE, _DUPLICATE = range(6)
_SEP = "\x1f"
_JOIN = "\x1e"
_RULES = "_gridcrm_rules"
_RAW = "_gridcrm_raw"
_PID = "_gridcrm_partition"
_POS = "_gridcrm_position"


def spark_schema(schema: TableSchema, extra: str = "") -> StructType:
    """The Spark schema of a validated table of the data model.

    Parameters
    ----------
    schema : TableSchema
        One of :data:`gridcrm.data.schemas.TABLES`.
    extra : str
        More fields, in Spark DDL (``"x double, y string"``), appended.

    Examples
    --------
    >>> from gridcrm.data.schemas import TABLES
    >>> spark_schema(TABLES["weather"]).simpleString()  # doctest: +SKIP
    'struct<region:string,date:timestamp_ntz,temp_c:double>'
    >>> _ddl(TABLES["weather"])
    '`region` string, `date` timestamp_ntz, `temp_c` double'
    """
    from pyspark.sql.types import _parse_datatype_string

    ddl = _ddl(schema) + (f", {extra}" if extra else "")
    return _parse_datatype_string(ddl)


def _ddl(schema: TableSchema) -> str:
    return ", ".join(f"`{c.name}` {SPARK_TYPES[c.kind]}" for c in schema.columns)


def to_model_frame(frame: pd.DataFrame, schema: TableSchema, sort: bool = True) -> pd.DataFrame:
    """A pandas frame as Spark hands it over (``toPandas``, ``mapInPandas``) → the dtypes of a validated table.

    Category columns get the data model's categories, nullable ints ``Int64``, dates ``datetime64[ns]``;
    rows are sorted by the table's key (``sort``) and the index is a fresh ``RangeIndex``.

    Examples
    --------
    >>> from gridcrm.data.schemas import TABLES
    >>> raw = pd.DataFrame({"region": ["b", "a"], "date": pd.to_datetime(["2024-01-01"] * 2), "temp_c": [1.0, None]})
    >>> out = to_model_frame(raw, TABLES["weather"])
    >>> out["region"].tolist(), str(out["temp_c"].dtype)
    (['a', 'b'], 'float64')
    """
    cols: dict[str, pd.Series] = {}
    for spec in schema.columns:
        values = frame[spec.name] if spec.name in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        if spec.kind == "category":
            cols[spec.name] = pd.Series(pd.Categorical(values.astype("str"), categories=list(spec.allowed or ())),
                                        index=frame.index)
        elif spec.kind in ("date", "timestamp"):
            cols[spec.name] = pd.to_datetime(values).astype("datetime64[ns]")
        elif spec.kind == "float":
            cols[spec.name] = pd.to_numeric(values).astype("float64")
        elif spec.kind == "str":
            cols[spec.name] = values.astype("str")
        elif spec.kind == "bool" and spec.nullable:
            cols[spec.name] = values.astype("boolean")
        else:
            cols[spec.name] = _final_dtype(values, spec)
    out = pd.DataFrame(cols, index=frame.index, copy=False)
    if sort and len(out) > 1:
        out = out.sort_values(list(schema.key), kind="stable")
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------
def _nanos_columns(path: Path) -> list[str]:
    """Columns stored as nanosecond timestamps (pandas' default), which Spark reads as longs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = [path] if path.is_file() else sorted(path.rglob("*.parquet"))
    if not files:
        return []
    arrow = pq.read_schema(files[0])
    return [f.name for f in arrow if pa.types.is_timestamp(f.type) and f.type.unit == "ns"]


def _fix_nanos(frame: DataFrame, names: list[str]) -> DataFrame:
    from pyspark.sql import functions as F

    for name in names:
        if name in frame.columns and dict(frame.dtypes)[name] == "bigint":
            frame = frame.withColumn(name, F.expr(f"timestamp_micros(`{name}` div 1000)").cast("timestamp_ntz"))
    return frame


def read_tables(
    spark: SparkSession,
    source: str | Path | Mapping[str, Any],
) -> dict[str, DataFrame]:
    """Read the tables of an extract as Spark DataFrames (not yet validated: see :func:`validate_spark`).

    Parameters
    ----------
    spark : SparkSession
    source : path or mapping
        A dataset folder holding ``<table>.parquet`` files or folders of Parquet files (as
        :func:`gridcrm.data.save_dataset` or Spark write them); or a mapping of table name to a
        Spark DataFrame, a Parquet path, or a Hive/catalog table name (``"db.meter_daily"``).

    Returns
    -------
    dict of str to DataFrame
        By table name, in the data model's order. Nanosecond Parquet timestamps are read as
        microsecond timestamps (Spark's resolution; the data model's dates are whole days).

    Raises
    ------
    FileNotFoundError
        ``source`` is not a folder.
    SchemaError
        A required table is missing, or a name is not a table of the data model.
    """
    if isinstance(source, Mapping):
        unknown = sorted(set(source) - set(TABLES))
        if unknown:
            raise SchemaError(f"unknown table(s) {unknown}; the data model has {list(TABLES)}")
        items = dict(source)
    else:
        folder = Path(source)
        if not folder.is_dir():
            raise FileNotFoundError(f"dataset folder {folder} does not exist (or is not a folder)")
        items = {name: folder / f"{name}.parquet" for name in TABLES if (folder / f"{name}.parquet").exists()}
        csv = [name for name in TABLES if name not in items and any(folder.glob(f"{name}.csv*"))]
        if csv:
            raise SchemaError(f"table(s) {csv} in {folder} are CSV files: the Spark engine reads Parquet (convert "
                              "them with gridcrm.data.load_dataset(...).save(folder), or read them with Spark yourself)")
    missing = [t for t in REQUIRED_TABLES if t not in items]
    if missing:
        raise SchemaError(f"required table(s) {missing} missing; got {sorted(items)}")
    out: dict[str, DataFrame] = {}
    for name in TABLES:
        if name not in items:
            continue
        item = items[name]
        if isinstance(item, (str, Path)) and (isinstance(item, Path) or Path(item).exists()):
            path = Path(item)
            out[name] = _fix_nanos(spark.read.parquet(str(path)), _nanos_columns(path))
        elif isinstance(item, str):
            out[name] = spark.table(item)
        elif hasattr(item, "sparkSession") and hasattr(item, "mapInPandas"):
            out[name] = item
        else:
            raise InputError(f"table {name!r}: expected a Spark DataFrame, a Parquet path or a table name, "
                             f"got {type(item).__name__}")
    return out


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------
@dataclass
class SparkDataset:
    """Validated tables of one extract as Spark DataFrames, with the same report as the pandas path.

    Attributes
    ----------
    tables : dict of str to DataFrame
        The kept rows of each table present, with the data model's columns and Spark types
        (:data:`SPARK_TYPES`); not globally sorted (sorting happens per partition where needed).
    extracted_on : Timestamp
    report : ValidationReport or None
        None for :meth:`trusted` tables.
    """

    tables: dict[str, DataFrame]
    extracted_on: pd.Timestamp
    report: ValidationReport | None
    _cached: list[DataFrame] = field(default_factory=list, repr=False)

    @classmethod
    def trusted(cls, tables: Mapping[str, DataFrame], extracted_on: pd.Timestamp | str) -> SparkDataset:
        """Tables you know to be valid (written by gridcrm, or validated before), without validating again.

        Like :class:`~gridcrm.data.Dataset`'s constructor: nothing is checked but the table names;
        ``report`` is None.
        """
        _check_table_names(tables)
        kept = {n: df.select(*[c for c in TABLES[n].column_names if c in df.columns]) for n, df in tables.items()}
        return cls(kept, pd.Timestamp(extracted_on).normalize(), None)  # type: ignore[arg-type]

    def to_dataset(self) -> Dataset:
        """Collect every table to the driver as a :class:`~gridcrm.data.Dataset` (for data that fit one machine)."""
        frames = {name: to_model_frame(df.toPandas(), TABLES[name]) for name, df in self.tables.items()}
        return Dataset(frames, extracted_on=self.extracted_on, report=self.report)

    def unpersist(self) -> None:
        """Free the cached intermediate tables of validation."""
        for df in self._cached:
            df.unpersist()
        self._cached.clear()


def _label(stage: int, column_index: int, k: int, column: str, rule: str) -> str:
    return f"{stage}{_SEP}{column_index:04d}{_SEP}{k:03d}{_SEP}{column}{_SEP}{rule}"


def _column_index(schema: TableSchema, column: str) -> int:
    first = column.split("+")[0]
    return schema.column_names.index(first) if first in schema.column_names else 9999


def _row_local(schema: TableSchema, cut: pd.Timestamp, date_formats: dict[str, str]):  # noqa: ANN202
    """The per-partition function of the row rules (``mapInPandas``)."""
    name = schema.name

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        pid = ctx.partitionId() if ctx is not None else 0
        offset = 0
        for raw in batches:
            raw = raw.reset_index(drop=True)
            col = _Collector(name, raw)
            stages = []
            frame = _convert_table(schema, raw, col, date_formats)
            stages.append(len(col.masks))
            _row_rules(schema, frame, col)
            stages.append(len(col.masks))
            _cross_column_rules(name, frame, col)
            stages.append(len(col.masks))
            _future_rules(schema, frame, cut, col)
            stages.append(len(col.masks))
            labels = np.full(len(raw), "", dtype=object)
            raws = np.full(len(raw), None, dtype=object)
            bad = col.any_bad()
            seen: dict[tuple[int, int], int] = {}
            for i, (column, rule, mask) in enumerate(col.masks):
                stage = next(s for s, end in enumerate(stages) if i < end)
                where = (stage, _column_index(schema, column))
                k = seen.get(where, 0)
                seen[where] = k + 1
                labels[mask] += _label(stage, where[1], k, column, rule) + _JOIN
            for p in np.flatnonzero(bad):  # only the rows set aside: a handful
                raws[p] = pickle.dumps({str(c): _plain(raw[c].iloc[p]) for c in raw.columns})
            out = {spec.name: _for_arrow(frame[spec.name], spec.kind) for spec in schema.columns}
            out[_RULES] = labels
            out[_RAW] = raws
            out[_PID] = np.full(len(raw), pid, dtype=np.int32)
            out[_POS] = np.arange(offset, offset + len(raw), dtype=np.int64)
            offset += len(raw)
            yield pd.DataFrame(out)

    return run


def _for_arrow(values: pd.Series, kind: str) -> pd.Series:
    """A converted column as Arrow can carry it into the Spark schema."""
    if kind == "category":
        return values.astype(object).where(values.notna(), None)
    if kind == "str":
        return values.astype(object).where(values.notna(), None)
    return values


def _examples(row: Any, column: str) -> dict[str, object]:
    """The example values of a row set aside: as read (row rules) or as converted (rules applied in Spark)."""
    names = column.split("+")
    if row[_RAW] is not None:
        values = pickle.loads(row[_RAW])
        return {c: values[c] for c in names if c in values}
    out = {}
    for c in names:
        v = row[c]
        out[c] = str(pd.Timestamp(v)) if hasattr(v, "isoformat") else _plain(v)
    return out


def validate_spark(
    tables: Mapping[str, DataFrame],
    extracted_on: pd.Timestamp | str | None = None,
    on_error: OnError = "raise",
    date_format: str | Mapping[str, str] | None = None,
) -> SparkDataset:
    """Validate Spark tables against the data model, as :func:`gridcrm.data.validate_tables` does.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        From :func:`read_tables` (or your own Spark DataFrames with the data model's columns).
    extracted_on, on_error, date_format
        As in :func:`gridcrm.data.validate_tables`.

    Returns
    -------
    SparkDataset
        The kept rows (lazy Spark DataFrames over a cached, annotated copy of each table) and
        the :class:`~gridcrm.data.validation.ValidationReport`: rows in, kept, and per rule the
        rows set aside with up to five examples (``row`` is the position in the order Spark
        reads the input: the file's order for one Parquet file).

    Raises
    ------
    SchemaError
        A required table or column is missing, or a value cannot be read at all (as the pandas path).
    DataValidationError
        With ``on_error="raise"``, when any row breaks a rule.
    """
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    date_formats, cut, report = _start(tables, extracted_on, on_error, date_format)

    kept: dict[str, DataFrame] = {}
    cached: list[DataFrame] = []
    for name, schema in TABLES.items():
        if name not in tables:
            continue
        raw = tables[name]
        extra = [c for c in raw.columns if c not in schema.column_names]
        if extra:
            report.ignored_columns[name] = [str(c) for c in extra]
            logger.warning("table %s: columns %s are not in the data model and were not loaded", name, extra)
        present = [c for c in schema.column_names if c in raw.columns]
        start = time.perf_counter()
        out_schema = spark_schema(schema, f"{_RULES} string, {_RAW} binary, {_PID} int, {_POS} bigint")
        try:
            ann = raw.select(*present).mapInPandas(_row_local(schema, cut, date_formats), out_schema)
            ann = _reference_rules(name, schema, ann, kept, report.rows_in)
            dup = _label(_DUPLICATE, 0, 0, "+".join(schema.key), "duplicate key (all rows sharing it set aside)")
            ann = _duplicate_rule(ann, schema.key, dup)
            ann = ann.persist(StorageLevel.MEMORY_AND_DISK)
            cached.append(ann)
            counts = ann.agg(F.count(F.lit(1)).alias("n"),
                             F.sum(F.when(F.col(_RULES) == "", 1).otherwise(0)).alias("kept")).collect()[0]
            rules_of = F.split(F.col(_RULES), _JOIN)
            clean = int(counts["kept"] or 0) == int(counts["n"])  # no row set aside: no second job
            per_rule = [] if clean else (ann.where(F.col(_RULES) != "")
                        .select(F.explode(rules_of).alias("r"), _PID, _POS, _RAW, *schema.column_names)
                        .where(F.col("r") != "")
                        .withColumn("k", F.row_number().over(Window.partitionBy("r").orderBy(_PID, _POS)))
                        .withColumn("n", F.count(F.lit(1)).over(Window.partitionBy("r")))
                        .where(F.col("k") <= _N_EXAMPLES).collect())
            offsets = _offsets(ann) if per_rule else {}
        except Exception as exc:  # a SchemaError raised inside a Python worker: raise it here, as pandas would
            _reraise(exc)
            raise
        n_in, n_kept = int(counts["n"]), int(counts["kept"] or 0)
        logger.info("validated %s: %s rows in %.1f s", name, f"{n_in:,}", time.perf_counter() - start)
        report.rows_in[name] = n_in
        rules: dict[str, list[Any]] = {}
        for row in per_rule:
            rules.setdefault(row["r"], []).append(row)
        for label in sorted(rules):
            rows = sorted(rules[label], key=lambda r: (r[_PID], r[_POS]))
            _, _, _, column, rule = label.split(_SEP, 4)
            examples = [{"row": offsets[r[_PID]] + int(r[_POS]), **_examples(r, column)} for r in rows]
            report.rejections.append(Rejection(name, column, rule, int(rows[0]["n"]), examples))
        if on_error == "raise" and rules:
            dup_free = ann.where(~F.col(_RULES).contains(dup))
            kept[name] = dup_free.select(*schema.column_names)
            continue
        kept[name] = ann.where(F.col(_RULES) == "").select(*schema.column_names)
        report.rows_kept[name] = n_kept

    if report.rejections and on_error == "raise":
        for df in cached:
            df.unpersist()
        raise DataValidationError(
            "the data break the data model:\n"
            + "\n".join(f"- {r}" for r in report.rejections)
            + "\nFix the rows, or load with on_error='quarantine' to set them aside and count them.",
            report,
        )
    for name, n in report.rows_rejected.items():
        if n:
            logger.warning("table %s: %s of %s rows set aside", name, f"{n:,}", f"{report.rows_in[name]:,}")
    return SparkDataset(kept, cut, report, cached)


def _offsets(ann: DataFrame) -> dict[int, int]:
    """First input position of each input partition (a count per partition: one small aggregation)."""
    from pyspark.sql import functions as F

    sizes = sorted((int(r[_PID]), int(r["n"])) for r in ann.groupBy(_PID).agg(F.count(F.lit(1)).alias("n")).collect())
    out, start = {}, 0
    for pid, n in sizes:
        out[pid] = start
        start += n
    return out


def _duplicate_rule(ann: DataFrame, key: tuple[str, ...], label: str) -> DataFrame:
    """Label every row whose key another row shares (a count per key, joined back null-safely)."""
    from pyspark.sql import functions as F

    names = [f"_dup_{i}" for i in range(len(key))]
    dups = (ann.groupBy(*key).agg(F.count(F.lit(1)).alias("_dup_n")).where(F.col("_dup_n") > 1)
            .select(*[F.col(k).alias(n) for k, n in zip(key, names, strict=True)], F.lit(True).alias("_dup_hit")))
    cond = None
    for k, n in zip(key, names, strict=True):
        c = ann[k].eqNullSafe(dups[n])
        cond = c if cond is None else cond & c
    joined = ann.join(dups, cond, "left")
    joined = joined.withColumn(_RULES, F.when(F.col("_dup_hit").isNotNull(), F.concat(F.col(_RULES), F.lit(label + _JOIN)))
                               .otherwise(F.col(_RULES)))
    return joined.drop(*names, "_dup_hit")


def _reference_rules(name: str, schema: TableSchema, ann: DataFrame, kept: dict[str, DataFrame],
                     rows: Mapping[str, int]) -> DataFrame:
    """Append the labels of the cross-table rules (joins against the kept customers and bills).

    ``rows``: rows in of the tables validated so far; a referenced table with more than
    :data:`BROADCAST_MAX_ROWS` is joined by a sort-merge join (hint ``merge``, which adaptive
    execution keeps), a smaller one is broadcast.
    """
    from pyspark.sql import functions as F

    def right(table: str, frame: DataFrame) -> DataFrame:
        return frame.hint("merge") if rows.get(table, 0) > BROADCAST_MAX_ROWS else F.broadcast(frame)

    def add(frame: DataFrame, cond: Any, column: str, rule: str, k: int) -> DataFrame:
        label = _label(_REFERENCE, 0, k, column, rule)  # k: the pandas path's order of these rules
        return frame.withColumn(_RULES, F.when(F.coalesce(cond, F.lit(False)),
                                               F.concat(F.col(_RULES), F.lit(label + _JOIN)))
                                .otherwise(F.col(_RULES)))

    if "customer_id" in schema.column_names and name != "customers":
        customers = kept["customers"].select(F.col("customer_id").alias("_ref_cid"),
                                             F.col("contracted_kva").alias("_ref_kva"))
        customers = right("customers", customers)
        ann = ann.join(customers, ann["customer_id"] == customers["_ref_cid"], "left")
        ann = add(ann, F.col("customer_id").isNotNull() & F.col("_ref_cid").isNull(), "customer_id",
                  "customer_id not in customers (unknown or set aside)", 0)
        if name == "meter_daily":
            cap = F.col("_ref_kva") * 24 * CAPACITY_FACTOR
            over = F.col("kwh").isNotNull() & ~F.isnan("kwh") & cap.isNotNull() & ~F.isnan(cap) & (F.col("kwh") > cap)
            ann = add(ann, over, "kwh", f"kWh above contracted_kva × 24 h × {CAPACITY_FACTOR}", 1)
        ann = ann.drop("_ref_cid", "_ref_kva")
    if name == "payments":
        bills = right("bills", kept["bills"].select(F.col("bill_id").alias("_ref_bid"),
                                                   F.col("customer_id").alias("_ref_owner")))
        ann = ann.join(bills, ann["bill_id"] == bills["_ref_bid"], "left")
        ann = add(ann, F.col("bill_id").isNotNull() & F.col("_ref_bid").isNull(), "bill_id",
                  "bill_id not in bills (unknown or set aside)", 2)
        ann = add(ann, F.col("_ref_bid").isNotNull() & ~F.col("_ref_owner").eqNullSafe(F.col("customer_id")),
                  "bill_id+customer_id", "bill belongs to another customer", 3)
        ann = ann.drop("_ref_bid", "_ref_owner")
    return ann


def _reraise(exc: Exception) -> None:
    """Raise the gridcrm error a Python worker raised (its message is inside Spark's), if it was one."""
    text = str(exc)
    for cls in (SchemaError, InputError):
        marker = f"{cls.__name__}: "
        if marker in text:
            message = text.split(marker, 1)[1].split("\n\tat ")[0].strip().split("\n\n")[0]
            raise cls(message) from exc
