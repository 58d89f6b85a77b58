"""``gridcrm run --engine spark``: the main job's per-customer work on Spark (:class:`SparkEngine`).

The job's steps ask their engine (``ctx.engine``, :mod:`gridcrm.job.engine`) for the feature
table, the customer forecasts, the group forecasts, the 15-minute forecasts and the tags;
:class:`SparkEngine` answers on
Spark with the same columns and dtypes as the pandas engine, and implements that interface by duck
typing (this package sits below the job and does not import it):

- **features**: the extract read and validated on Spark (the quarantine report checked against
  the pandas one), the feature table built per partition of customers; the Spark table stays
  cached for the tags.
- **customer forecasts**: :func:`~gridcrm.spark.forecasting.spark_forecasts` of every customer
  with the job's settings and regressors. The model registered as ``gridcrm-forecaster`` is fitted
  on the driver ("training stays where it belongs"): on every customer up to
  ``driver_max_series``, else on a seeded sample of that many. More forecast rows than
  ``collect_max_rows``: ``forecasts.parquet`` is a Parquet directory written by Spark and the
  portraits' consumption ranges are computed in Spark.
- **group forecasts**: the group series summed in Spark and reconciled from sums
  (:func:`~gridcrm.spark.groups.spark_group_forecasts`); the group model (one series a group) fitted
  on the driver. ``mint_shrink`` (every customer's backtest errors) runs on the driver.
- **15-minute forecasts**: :func:`~gridcrm.spark.forecasting.spark_interval_frame` (the job's
  history rule) and :func:`~gridcrm.spark.forecasting.spark_forecasts` with the job's forecaster
  (conformal ranges pooled in one global pass); the MASE scales in Spark; the forecasts, the load
  of the week after ``as_of`` they are scored against and the fan chart customer's history collected.
- **tags**: :func:`~gridcrm.spark.tags.spark_tags` over the cached feature table and the earlier
  models' columns (tags ranking the population in one global pass).

Everything else (segmentation, credit, value, risk training, portraits)
runs on the driver as in the pandas engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridcrm.errors import ConfigError, GridcrmError
from gridcrm.forecasting.outputs import CustomerForecasts

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from gridcrm.tags import TagResult, TagSet

__all__ = ["SparkEngine", "SparkForecasts", "SparkIntervalForecasts"]

logger = logging.getLogger(__name__)


@dataclass
class SparkForecasts(CustomerForecasts):
    """The customer forecasts of :meth:`SparkEngine.customer_forecasts`: a
    :class:`~gridcrm.forecasting.outputs.CustomerForecasts` with the Spark frames behind it.

    ``forecasts`` is None when they were written by Spark to ``written`` (a Parquet directory);
    ``history`` and ``forecaster`` are the driver's (every customer, or a sample: ``sampled``).
    """

    spark_forecasts: Any = field(default=None, repr=False)
    spark_history: Any = field(default=None, repr=False)
    spark_regressors: Any = field(default=None, repr=False)

    def of(self, ids: Any) -> pd.DataFrame:
        """The forecasts of the customers ``ids`` (collected from Spark when they were not collected)."""
        if self.forecasts is not None:
            return super().of(ids)
        from pyspark.sql import functions as F

        from gridcrm.spark.forecasting import forecasts_to_pandas

        wanted = [int(i) for i in ids]
        return forecasts_to_pandas(self.spark_forecasts.where(F.col("unique_id").isin(wanted)))


@dataclass
class SparkIntervalForecasts:
    """The 15-minute forecasts of :meth:`SparkEngine.interval_forecasts` (attributes as the job's
    ``gridcrm.job.engine.IntervalForecasts``): ``forecasts`` with ``selected``, the accuracy
    ``summary`` over the season after ``as_of``, the fan chart's ``customer``, its ``history`` and ``actual``.
    """

    forecasts: pd.DataFrame
    summary: pd.DataFrame
    customer: Any
    history: pd.DataFrame
    actual: pd.DataFrame


class SparkEngine:
    """The main job's engine on Spark (see the module's docstring for what runs where).

    Parameters
    ----------
    spark : SparkSession
    partitions : int, optional
        Partitions of customers (default: twice the session's default parallelism).
    driver : engine
        The engine of the work that stays on the driver — the job's ``PandasEngine``: the
        registered forecaster's fit and the group forecasts (``gridcrm run`` passes it).
    driver_max_series : int
        Most customers the registered forecaster is fitted on (above it: a seeded sample).
    collect_max_rows : int
        Most forecast rows collected to the driver (above it: a Parquet directory).

    Examples
    --------
    >>> SparkEngine(None, driver=object(), driver_max_series=0)
    Traceback (most recent call last):
    ...
    gridcrm.errors.ConfigError: driver_max_series: expected a positive whole number, got 0
    """

    name = "spark"

    def __init__(self, spark: SparkSession, partitions: int | None = None, *, driver: Any,
                 driver_max_series: int = 200_000, collect_max_rows: int = 10_000_000) -> None:
        for arg, value in (("driver_max_series", driver_max_series), ("collect_max_rows", collect_max_rows)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"{arg}: expected a positive whole number, got {value!r}")
        if partitions is not None and (isinstance(partitions, bool) or not isinstance(partitions, (int, np.integer))
                                       or partitions < 1):
            raise ConfigError(f"partitions: expected a positive whole number or None, got {partitions!r}")
        self.spark = spark
        self.partitions = partitions
        self.driver = driver
        self.driver_max_series = int(driver_max_series)
        self.collect_max_rows = int(collect_max_rows)
        self._sds: Any = None
        self._features: DataFrame | None = None

    def __repr__(self) -> str:
        return (f"SparkEngine(partitions={self.partitions}, driver_max_series={self.driver_max_series}, "
                f"collect_max_rows={self.collect_max_rows})")

    @property
    def master(self) -> str:
        return str(self.spark.sparkContext.master)

    # -- features -----------------------------------------------------------------------------------------------
    def features(self, ctx: Any) -> pd.DataFrame:
        """Validate the extract and build the feature table on Spark; the Spark table stays cached for the tags."""
        from pyspark import StorageLevel

        from gridcrm.spark.data import read_tables, validate_spark
        from gridcrm.spark.features import features_to_pandas, spark_features

        data = ctx.config.data
        self.close()
        sds = validate_spark(read_tables(self.spark, data.path), extracted_on=ctx.dataset.extracted_on,
                             on_error=data.on_error, date_format=data.date_format)
        pandas_report = ctx.dataset.report
        if pandas_report is not None and (sds.report.rows_kept != pandas_report.rows_kept
                                          or len(sds.report.rejections) != len(pandas_report.rejections)):
            raise GridcrmError(f"the Spark and pandas engines disagree on the rows kept ({sds.report.rows_kept} vs "
                               f"{pandas_report.rows_kept}): please report this with the extract's data model")
        windows = tuple(ctx.config.features.windows)
        table = spark_features(sds, ctx.as_of, windows, n_partitions=self.partitions)
        self._sds, self._features = sds, table.persist(StorageLevel.MEMORY_AND_DISK)
        features = features_to_pandas(self._features, ctx.as_of, windows)
        ctx.note(f"features: validated and built on Spark ({self.master})")
        return features

    def _feature_table(self) -> DataFrame:
        if self._features is None:
            raise GridcrmError("the Spark engine's features step has not run: its feature table is what the "
                               "forecasts and tags read")
        return self._features

    # -- customer forecasts -------------------------------------------------------------------------------------
    def customer_forecasts(self, ctx: Any, cfg: Any, customers: pd.Index) -> SparkForecasts:
        """Every customer's forecasts and ``models_`` on Spark; the registered model fitted on the driver."""
        from pyspark.sql import functions as F

        from gridcrm.spark.forecasting import (
            Regressors,
            forecasts_to_pandas,
            models_to_pandas,
            spark_daily_frame,
            spark_forecasts,
        )

        features = self._feature_table()
        ids = pd.Index(customers)
        sampled = len(ids) > self.driver_max_series
        on_driver = ids
        if sampled:
            rng = np.random.default_rng(cfg.random_state)
            on_driver = pd.Index(np.sort(rng.choice(ids.to_numpy(), self.driver_max_series, replace=False)),
                                 name=ids.name)
            ctx.note(f"forecasting: the registered model fitted on the driver on a seeded sample of "
                     f"{self.driver_max_series:,} of {len(ids):,} customers (spark.driver_max_series); "
                     "every customer's forecasts come from Spark")
        driver = self.driver.customer_forecasts(ctx, cfg, on_driver)
        history = spark_daily_frame(self._sds.tables["meter_daily"], ctx.as_of, customers=features)
        regressors = Regressors(ctx.dataset.customers, ctx.dataset.weather, ctx.as_of, temperature=cfg.temperature,
                                calendar=bool(cfg.calendar), future_temperature=cfg.future_temperature)
        forecasts, models = spark_forecasts(history, cfg.forecaster(), int(cfg.h), n_partitions=self.partitions,
                                            regressors=regressors)
        models_pd = models_to_pandas(models)
        rows = len(models_pd) * int(cfg.h)  # predict gives h rows a series
        result = SparkForecasts(driver.history, None, models_pd, driver.forecaster, driver.regressors,
                                sampled=sampled, spark_forecasts=forecasts, spark_history=history,
                                spark_regressors=regressors)
        if rows <= self.collect_max_rows:
            result.forecasts = forecasts_to_pandas(forecasts)
        else:
            path = Path(ctx.output_dir) / "forecasts.parquet"
            write_parquet_directory(forecasts, path, sort=("unique_id", "ds"))
            low, high = min(cfg.level), max(cfg.level)
            ranges = (forecasts.groupBy("unique_id")
                      .agg(F.mean("forecast").alias("forecast_kwh_day"),
                           F.mean(f"lo_{low}").alias(f"forecast_kwh_day_lo_{low}"),
                           F.mean(f"hi_{high}").alias(f"forecast_kwh_day_hi_{high}")).toPandas())
            ranges["unique_id"] = ranges["unique_id"].astype(np.int64)
            result.ranges = ranges.rename(columns={"unique_id": "customer_id"}).set_index("customer_id").sort_index()
            result.written = path
            ctx.note(f"forecasting: {rows:,} forecast rows (> spark.collect_max_rows {self.collect_max_rows:,}) "
                     f"written by Spark as the Parquet directory {path.name}/; consumption ranges computed in Spark")
        ctx.note(f"forecasting: every customer's forecasts on Spark ({self.master}); the registered model fitted on "
                 f"the driver on {len(on_driver):,} customers")
        return result

    # -- group forecasts ----------------------------------------------------------------------------------------
    def group_forecasts(self, ctx: Any, cfg: Any, customers: SparkForecasts) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
        """Group series summed and reconciled on Spark (:func:`gridcrm.spark.groups.spark_group_forecasts`).

        The group model is fitted on the driver (one series a group); the registered
        :class:`~gridcrm.forecasting.groups.GroupForecaster` is the driver's customer model, that
        group model and the customers' hierarchy. ``mint_shrink`` (the full covariance of the
        customers' errors) runs on the driver with the pandas engine's code.
        """
        from pyspark.sql import functions as F

        from gridcrm.forecasting.groups import GroupForecaster
        from gridcrm.forecasting.reconcile import aggregate
        from gridcrm.spark.groups import spark_group_forecasts

        if cfg.reconciliation == "mint_shrink":
            if customers.sampled:
                raise GridcrmError(
                    "group forecasts: reconciliation mint_shrink needs every customer's backtest errors on the "
                    f"driver, which holds a sample (more customers than spark.driver_max_series = "
                    f"{self.driver_max_series:,}); use wls_var, wls_struct, ols or bottom_up")
            ctx.note("group forecasts: mint_shrink on the driver (the pandas engine's code)")
            return self.driver.group_forecasts(ctx, cfg, customers)
        start = pd.Timestamp(ctx.as_of).normalize()
        end = start + pd.Timedelta(days=int(cfg.h))
        ids = customers.spark_history.select(F.col("unique_id").alias("customer_id")).distinct()
        actual = (self._sds.tables["meter_daily"].join(ids, "customer_id", "left_semi")
                  .where((F.col("date") >= F.lit(start.to_pydatetime()).cast("timestamp_ntz"))
                         & (F.col("date") < F.lit(end.to_pydatetime()).cast("timestamp_ntz")))
                  .select(F.col("customer_id").alias("unique_id"), F.col("date").alias("ds"),
                          F.col("kwh").alias("y")))
        got = spark_group_forecasts(customers.spark_history, customers.spark_forecasts, self._sds.tables["customers"],
                                    list(cfg.groups), cfg.forecaster(), int(cfg.h), method=cfg.reconciliation,
                                    regressors=customers.spark_regressors, actual=actual,
                                    season_length=int(cfg.season_length))
        history = customers.history
        members = ctx.dataset.customers.set_index("customer_id").reindex(history["unique_id"].unique())[list(cfg.groups)]
        members.index.name = "unique_id"
        _, hierarchy = aggregate(history[["unique_id", "ds", "y"]], members, levels=list(cfg.groups), total=True,
                                 include_bottom=False)
        model = GroupForecaster(customers.forecaster, got.group_model, hierarchy, cfg.reconciliation)
        ctx.note(f"group forecasts: summed and reconciled on Spark ({self.master}); the group model fitted on the "
                 f"driver on {len(got.groups['unique_id'].unique()):,} group series")
        return got.groups, got.accuracy, model

    # -- 15-minute forecasts --------------------------------------------------------------------------------------
    def interval_forecasts(self, ctx: Any, forecaster: Any, min_weeks: int = 4) -> SparkIntervalForecasts:
        """The job's 15-minute forecasts on Spark: the interval load before ``as_of`` read, fitted and scored there.

        :func:`~gridcrm.spark.forecasting.spark_interval_frame` (the job's history rule) and
        :func:`~gridcrm.spark.forecasting.spark_forecasts` with ``forecaster`` (conformal ranges
        pooled in one global pass); the MASE scales (mean ``|y - y one season before|`` per
        customer) in Spark. Collected to the driver: the forecasts, the load of the season after
        ``as_of`` they are scored against (as many rows), the fan chart customer's history.
        """
        from pyspark import StorageLevel
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        from gridcrm.forecasting import fill_gaps
        from gridcrm.forecasting.metrics import series_metrics, summarize_metrics
        from gridcrm.spark.forecasting import (
            forecasts_to_pandas,
            models_to_pandas,
            spark_forecasts,
            spark_interval_frame,
        )

        inner = getattr(forecaster, "forecaster", None) or forecaster
        season, freq = int(inner.season_length), inner.freq
        step = pd.Timedelta(freq)
        tables = self._spark_tables()
        load = spark_interval_frame(tables["load_interval"], ctx.as_of, freq=freq, customers=tables["customers"],
                                    min_weeks=min_weeks).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            # per customer in one job: MASE scales as training_scales (the observed steps in order, y minus y a
            # season of steps before) and the mean load (the fan chart's customer)
            observed = load.where(F.col("y").isNotNull() & ~F.isnan("y"))
            diff = F.col("y") - F.lag("y", season).over(Window.partitionBy("unique_id").orderBy("ds"))
            scales = (observed.select("unique_id", "y", diff.alias("_d")).groupBy("unique_id")
                      .agg(F.avg(F.abs("_d")).alias("mae_scale"), F.avg(F.col("_d") * F.col("_d")).alias("mse_scale"),
                           F.avg("y").alias("_mean"))
                      .toPandas())
            if scales.empty:
                none = pd.DataFrame(columns=["unique_id", "ds", "y"])
                return SparkIntervalForecasts(pd.DataFrame(columns=["unique_id", "ds", "forecast"]), pd.DataFrame(),
                                              None, none, none)
            scales["unique_id"] = scales["unique_id"].astype(np.int64)
            scales = scales.sort_values("unique_id", kind="stable").reset_index(drop=True)
            biggest = int(scales.set_index("unique_id")["_mean"].idxmax())
            fc, models = spark_forecasts(load, forecaster, season, n_partitions=self.partitions)
            out = forecasts_to_pandas(fc)
            selected = models_to_pandas(models)[["selected"]]
            later = _later_load(tables["load_interval"], load.select("unique_id").distinct(), ctx.as_of,
                                season * step, freq)
            joined = out.merge(later, on=["unique_id", "ds"], how="inner").dropna(subset=["y"])
            summary = pd.DataFrame()
            if len(joined):
                summary = summarize_metrics(series_metrics(joined, scales.drop(columns=["_mean"])))
            history = load.where(F.col("unique_id") == biggest).toPandas()
            history = _long(history).sort_values("ds", kind="stable").reset_index(drop=True)
            history = fill_gaps(history, freq)
        finally:
            load.unpersist()
        ctx.note(f"interval load: forecast on Spark ({self.master}), conformal ranges pooled in one pass")
        return SparkIntervalForecasts(out.merge(selected, left_on="unique_id", right_index=True), summary, biggest,
                                      history, later[later["unique_id"] == biggest])

    def _spark_tables(self) -> dict[str, DataFrame]:
        if self._sds is None:
            raise GridcrmError("the Spark engine's features step has not run: it reads and validates the extract "
                               "the 15-minute forecasts read")
        return self._sds.tables

    # -- tags -----------------------------------------------------------------------------------------------------
    def tags(self, ctx: Any, tagset: TagSet, features: pd.DataFrame, extra: pd.DataFrame | None) -> TagResult:
        """``tagset.evaluate(features, extra)`` on Spark: per partition, the population-ranking tags in one pass."""
        from gridcrm.spark.tags import spark_tags, tags_to_pandas
        from gridcrm.tags import TagResult

        sextra = None
        if extra is not None and len(extra.columns):
            sextra = self.spark.createDataFrame(_for_spark(extra))
        wide = tags_to_pandas(spark_tags(self._feature_table(), tagset, extra=sextra,
                                         windows=tuple(ctx.config.features.windows)), tagset)
        missing = features.index.difference(wide.index)
        if len(missing):
            raise GridcrmError(f"tags on Spark: {len(missing)} customers of the feature table have no tags "
                               f"(e.g. {list(missing[:3])})")
        wide = wide.loc[features.index]
        skipped = tuple(t for t in getattr(tagset, "_order", list(tagset.tags)) if t not in wide.columns)
        ctx.note(f"tags: evaluated on Spark ({self.master})")
        return TagResult(wide=wide, tagset=tagset, skipped=skipped)

    def close(self) -> None:
        """Release the cached Spark tables (the session stays)."""
        if self._features is not None:
            self._features.unpersist()
        if self._sds is not None:
            self._sds.unpersist()
        self._sds = self._features = None


def _for_spark(extra: pd.DataFrame) -> pd.DataFrame:
    """Model columns indexed by ``customer_id`` → a frame Spark takes (categories as strings, missing as None)."""
    out = {"customer_id": extra.index.to_numpy(dtype=np.int64)}
    for name, col in extra.items():
        if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object or pd.api.types.is_string_dtype(col):
            out[str(name)] = col.astype(object).where(col.notna(), None).to_numpy()
        else:
            out[str(name)] = col.to_numpy()
    return pd.DataFrame(out)


def _long(frame: pd.DataFrame) -> pd.DataFrame:
    """A collected ``unique_id, ds, y`` frame with the pandas engine's dtypes (int64, datetime64[ns], float64)."""
    return pd.DataFrame({"unique_id": frame["unique_id"].to_numpy(dtype=np.int64),
                         "ds": pd.to_datetime(frame["ds"]).astype("datetime64[ns]").to_numpy(),
                         "y": frame["y"].to_numpy(dtype=float)})


def _later_load(load_interval: DataFrame, ids: DataFrame, as_of: Any, span: pd.Timedelta, freq: str) -> pd.DataFrame:
    """The load of ``ids`` over ``span`` from ``as_of`` averaged to ``freq``, collected (``interval_frame`` unfilled)."""
    from pyspark.sql import functions as F

    start = pd.Timestamp(as_of).normalize()
    micros = int(pd.Timedelta(freq).value // 1000)
    floor = F.expr(f"timestamp_micros(floor(unix_micros(cast(`timestamp` as timestamp)) / {micros}) * {micros})")
    rows = (load_interval.join(ids.withColumnRenamed("unique_id", "customer_id"), "customer_id", "left_semi")
            .where((F.col("timestamp") >= F.lit(start.to_pydatetime()).cast("timestamp_ntz"))
                   & (F.col("timestamp") < F.lit((start + span).to_pydatetime()).cast("timestamp_ntz")))
            .select(F.col("customer_id").alias("unique_id"), floor.cast("timestamp_ntz").alias("ds"), "kw")
            .groupBy("unique_id", "ds").agg(F.avg("kw").alias("y")).toPandas())
    return _long(rows).sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def write_parquet_directory(frame: DataFrame, path: Path, sort: tuple[str, ...] = ()) -> Path:
    """Write a Spark table as a Parquet directory that ``pandas.read_parquet`` reads with the pandas engine's dtypes.

    Rows in ``sort`` order across the part files (range-partitioned, sorted within each); timestamps
    without time zone written as INT96, which pyarrow reads as ``datetime64[ns]`` (Parquet's
    ``TIMESTAMP_MICROS`` would give ``datetime64[us]``), with the session's time zone set to UTC
    for the write so the wall-clock values are kept.
    """
    from pyspark.sql import functions as F

    spark = frame.sparkSession
    conf = spark.conf
    saved = {k: conf.get(k, None) for k in ("spark.sql.parquet.outputTimestampType", "spark.sql.session.timeZone")}
    conf.set("spark.sql.parquet.outputTimestampType", "INT96")
    conf.set("spark.sql.session.timeZone", "UTC")  # before the cast is analysed: wall clock kept
    try:
        ntz = [f.name for f in frame.schema.fields if f.dataType.typeName() == "timestamp_ntz"]
        out = frame.select(*[F.col(c).cast("timestamp").alias(c) if c in ntz else F.col(c) for c in frame.columns])
        if sort:
            n = max(1, int(spark.sparkContext.defaultParallelism))
            out = out.repartitionByRange(n, *sort).sortWithinPartitions(*sort)
        out.write.mode("overwrite").parquet(str(path))
    finally:
        for k, v in saved.items():
            if v is None:
                conf.unset(k)
            else:
                conf.set(k, v)
    return path
