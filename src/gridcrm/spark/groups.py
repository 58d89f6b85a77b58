"""Group forecasts on Spark: group series summed in Spark, reconciled with the customers' forecasts from sums.

What the main job's forecasting step does with pandas (``fit_group_forecaster`` → ``predict`` →
``accuracy_by_level``), without collecting the customer level to the driver:

1. Every customer belongs to one *cell*: its values of the group levels and its region (the
   combinations present: far fewer than customers; a cell is in exactly one group of every level).
2. Group series: the customers' history is summed per cell and day in Spark, then per group and
   day (each cell is in one group of every level); only groups × days reach the driver. The
   regions' shares of each group (degree-days of groups) are sums of the customers' mean ``y`` per cell.
3. The group model (small: one series per group) is fitted on the driver, with the customers'
   regressors made for groups as :func:`~gridcrm.forecasting.groups.fit_group_forecaster` makes them.
4. Reconciliation with ``W = diag(w_a, w_b)`` (``ols``, ``wls_struct``, ``wls_var``; ``bottom_up``):
   the projection ``(S' W^-1 S)^-1 S' W^-1 y_hat`` with ``S = [A; I]`` needs, per horizon, only
   ``A t`` and ``A W_b A'`` (``t = y_b + W_b A' (y_a / w_a)``), both sums over cells of the customers'
   forecasts and weights (:func:`reconcile_sums`); the ``m × m`` system (``m`` = groups) is solved
   on the driver and each customer moves by ``w_b (q - A' u)`` of its cell, a small broadcast table.
   ``mint_shrink`` needs the full covariance of the customers' errors and is refused.
5. Accuracy per level after ``as_of``: the customer level in Spark (MASE scale per customer from
   its history, by date), the groups on the driver with the library's own metrics.

What is shuffled: every history row at most once, by customer — for the customers' MASE scales (a
window over days; only with ``actual``) and for the join to the customers' cells when that is a
sort-merge join, in one query whose exchange Spark reuses; without either, history is aggregated
map-side (per customer; per cell and day). The customer forecasts are joined once to the date grid
(again when the lazy ``customers`` result is written), the reads after ``as_of`` once to the grid.
Rows per group and day come back to the driver; one row per cell and horizon goes out (broadcast).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from gridcrm.errors import ConfigError, InputError
from gridcrm.forecasting.frame import DS, ID, Y
from gridcrm.forecasting.groups import (
    _group_exog,
    _level_metrics,
    _mean_by_level,
    _on_grid,
    _region_shares,
    _wrap_regressors,
    level_of,
)
from gridcrm.forecasting.reconcile import (
    _VAR_FLOOR,
    METHODS,
    _clipped,
    _matrix,
    _membership,
    _shifted,
    _variance_level,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["SparkGroupForecasts", "reconcile_sums", "spark_group_forecasts"]

logger = logging.getLogger(__name__)

_REGION = "_region"
_KIND = "_gridcrm_pass"
_EMPTY_ACCURACY = ["mase", "bias", "coverage_95", "n_series"]


@dataclass(frozen=True)
class SparkGroupForecasts:
    """Group forecasts reconciled with the customers' on Spark (what the main job's forecasting step writes).

    Attributes
    ----------
    groups : DataFrame
        Reconciled group forecasts, as ``group_forecasts.parquet``: ``unique_id`` (group id), ``ds``,
        ``forecast``, ``lo_<l>``, ``hi_<l>``, ``level``.
    base : DataFrame
        The group model's forecasts on the same date grid (unreconciled), same columns but ``level``.
    accuracy : DataFrame
        As ``forecast_accuracy_by_level.csv``: index ``level`` × ``forecasts`` (``base``,
        ``reconciled (<method>)``), columns ``mase, bias, coverage_95, n_series``; empty without actuals.
    group_model : fitted model
        The group series' model (a ``RegressorForecaster`` when the customers had regressors).
    hierarchy_levels : dict of str to list of str
        Group ids per level (``customer_class``, ``region``..., ``total``).
    customers : pyspark.sql.DataFrame
        Reconciled customer forecasts (lazy): ``unique_id``, ``ds`` and the value columns, on the grid.
    """

    groups: pd.DataFrame
    base: pd.DataFrame
    accuracy: pd.DataFrame
    group_model: object
    hierarchy_levels: dict[str, list[str]]
    customers: DataFrame


def reconcile_sums(A: sparse.spmatrix | np.ndarray, yb_sum: np.ndarray, wb_sum: np.ndarray, ya: np.ndarray,
                   wa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reconciled group forecasts and each cell's correction, from sums of the bottom series per cell.

    The projection with ``W = diag(wa, wb)`` and ``S = [A; I]`` (customers as bottom series) is, per
    horizon, ``r_a = A t - (A W_b A') u`` and ``r_b = t - W_b A' u`` with ``t = y_b + W_b A' (y_a / w_a)``
    and ``u = (W_a + A W_b A')^-1 A t`` (Woodbury). Customers of one *cell* share every group, so
    ``A t`` and ``A W_b A'`` are sums over cells of ``y_b`` and ``w_b``, and a customer moves by
    ``w_b * k`` with ``k = A' (y_a / w_a) - A' u`` of its cell.

    Parameters
    ----------
    A : sparse or ndarray (m, c)
        ``A[g, j] = 1`` when cell ``j`` is in group ``g``.
    yb_sum, wb_sum : ndarray (c, H)
        Sums over each cell's customers of their base forecasts and of their weights ``w_b``.
    ya, wa : ndarray (m, H)
        Base forecasts and weights of the groups.

    Returns
    -------
    ra : ndarray (m, H)
        Reconciled group forecasts.
    k : ndarray (c, H)
        A customer of cell ``j`` gets ``y_b + w_b * k[j]``.

    Examples
    --------
    Two customers (forecasts 1 and 2) and their total (forecast 4), all weights 1 (``ols``): as
    :func:`~gridcrm.forecasting.reconcile.reconcile`, the total becomes 11/3 and each customer
    moves by 1/3, whether each customer is a cell of its own or both share one cell.

    >>> ra, k = reconcile_sums(np.array([[1.0, 1.0]]), np.array([[1.0], [2.0]]), np.ones((2, 1)),
    ...                        np.array([[4.0]]), np.ones((1, 1)))
    >>> round(float(ra[0, 0]), 4), k[:, 0].round(4).tolist()
    (3.6667, [0.3333, 0.3333])
    >>> ra, k = reconcile_sums(np.array([[1.0]]), np.array([[3.0]]), np.array([[2.0]]), np.array([[4.0]]),
    ...                        np.ones((1, 1)))
    >>> round(float(ra[0, 0]), 4), round(float(k[0, 0]), 4)
    (3.6667, 0.3333)
    """
    A = sparse.csr_matrix(A)
    yb_sum, wb_sum = np.asarray(yb_sum, float), np.asarray(wb_sum, float)
    ya, wa = np.asarray(ya, float), np.asarray(wa, float)
    m, c = A.shape
    if yb_sum.shape != wb_sum.shape or yb_sum.shape[0] != c or ya.shape != wa.shape or ya.shape[0] != m \
            or ya.shape[1] != yb_sum.shape[1]:
        raise ValueError(f"reconcile_sums: shapes do not match: A {A.shape}, yb_sum {yb_sum.shape}, wb_sum "
                         f"{wb_sum.shape}, ya {ya.shape}, wa {wa.shape}")
    H = ya.shape[1]
    ra, k = np.empty((m, H)), np.empty((c, H))
    for j in range(H):  # a handful of horizons; each an m x m solve
        q = A.T @ (ya[:, j] / wa[:, j])
        At = A @ (yb_sum[:, j] + wb_sum[:, j] * q)
        AWA = (A.multiply(wb_sum[:, j][None, :]).tocsr() @ A.T).toarray()
        u = np.linalg.solve(np.diag(wa[:, j]) + AWA, At)
        ra[:, j] = At - AWA @ u
        k[:, j] = q - A.T @ u
    return ra, k


def _valid(col: str) -> Column:
    """``col`` where it is a number (null for null and NaN: pandas skips both)."""
    from pyspark.sql import functions as F

    return F.when(F.col(col).isNotNull() & ~F.isnan(F.col(col)), F.col(col))


def _check(history: DataFrame, customer_forecasts: DataFrame, customers: DataFrame, levels: list[str],
           h: object, method: str, regressors: object, actual: DataFrame | None) -> None:
    from gridcrm.spark.forecasting import Regressors

    if method == "mint_shrink":
        raise ConfigError("reconciliation 'mint_shrink' needs the full covariance of every customer's backtest "
                          "errors (a dense customers x customers matrix), which the Spark engine does not build; "
                          "use 'wls_var' (variance scaling, the default) or 'wls_struct', 'ols', 'bottom_up'")
    if method not in METHODS:
        raise ConfigError(f"method={method!r} is not a reconciliation method; expected one of "
                          f"{[m for m in METHODS if m != 'mint_shrink']}")
    if not isinstance(h, (int, np.integer)) or isinstance(h, bool) or h < 1:
        raise ConfigError(f"h must be a positive whole number of steps, got {h!r}")
    for name, df, cols in (("history", history, ("unique_id", "ds", "y")),
                           ("customer_forecasts", customer_forecasts, ("unique_id", "ds", "forecast")),
                           ("customers", customers, ("customer_id", *levels)),
                           ("actual", actual, ("unique_id", "ds", "y"))):
        if df is None:
            continue
        lacking = [c for c in cols if c not in df.columns]
        if lacking:
            raise InputError(f"{name} lacks column(s) {lacking}; it has {list(df.columns)}")
    if regressors is not None:
        if not isinstance(regressors, Regressors):
            raise ConfigError(f"regressors must be a gridcrm.spark.forecasting.Regressors, got "
                              f"{type(regressors).__name__}")
        if regressors.temperature and "region" not in customers.columns:
            raise InputError("customers lacks column 'region': the groups' degree-days (regressors.temperature) "
                             "weight their regions' temperatures")


def spark_group_forecasts(
    history: DataFrame,
    customer_forecasts: DataFrame,
    customers: DataFrame,
    levels: list[str],
    forecaster: object,
    h: int,
    *,
    method: str = "wls_var",
    regressors: object | None = None,
    actual: DataFrame | None = None,
    season_length: int | None = None,
) -> SparkGroupForecasts:
    """Group forecasts (``levels`` and the total) reconciled with the customers' forecasts, on Spark.

    Equal (to rounding) to the main job's pandas path: ``fit_group_forecaster`` on the customers'
    history, ``predict(h)`` and ``base(h)`` of the result, and ``accuracy_by_level`` of both against
    ``actual``. The customer level stays in Spark; groups × days reach the driver.

    Parameters
    ----------
    history : pyspark.sql.DataFrame
        ``unique_id, ds, y``: the daily reads of the forecast customers before ``as_of`` (what
        :func:`~gridcrm.spark.forecasting.spark_forecasts` was given; missing days need not be rows).
    customer_forecasts : pyspark.sql.DataFrame
        The customers' forecasts returned by :func:`~gridcrm.spark.forecasting.spark_forecasts` from
        ``history`` (``unique_id, ds, forecast, lo_<l>, hi_<l>``). A customer of ``history`` without a
        forecast on a day of the grid gets 0 there, as in ``GroupForecaster.base``.
    customers : pyspark.sql.DataFrame
        The validated ``customers`` table: ``customer_id``, the ``levels`` columns and ``region``.
    levels : list of str
        Group levels, e.g. ``["customer_class", "region", "industry_code"]``; a total is always added.
    forecaster : ConsumptionForecaster
        Unfitted; cloned and fitted to the group series on the driver.
    h : int
        Horizon in days.
    method : {"wls_var", "wls_struct", "ols", "bottom_up"}
        Reconciliation (see :mod:`gridcrm.forecasting.reconcile`); ``mint_shrink`` is refused.
    regressors : gridcrm.spark.forecasting.Regressors, optional
        As given to ``spark_forecasts``: the groups get degree-days (their regions' temperatures
        weighted by the regions' shares of the group's consumption) and the calendar.
    actual : pyspark.sql.DataFrame, optional
        ``unique_id, ds, y``: reads in ``[as_of, as_of + h)``, for the accuracy per level.
    season_length : int, optional
        Seasonal lag of the MASE scale (default the forecaster's).

    Returns
    -------
    SparkGroupForecasts

    Raises
    ------
    ConfigError
        ``mint_shrink`` or an unknown method, a bad ``h`` or ``regressors``.
    InputError
        A missing column, a history customer without a row in ``customers`` (or without a region
        when degree-days are asked for).

    Notes
    -----
    Spark actions: one over ``history`` and the customers (cells, regions' shares, MASE scales,
    sums per cell and day), one for the group sums, one over ``customer_forecasts`` on the grid
    (sums per cell and day), two over ``actual`` (group sums; the customer level's accuracy).
    The customer → cell table stays persisted (memory and disk) for the lazy ``customers`` result.

    Examples
    --------
    The reconciliation itself, from sums per cell, is :func:`reconcile_sums` (runs without Spark).
    >>> from gridcrm.spark.groups import spark_group_forecasts  # doctest: +SKIP
    >>> out = spark_group_forecasts(history, forecasts, sds.tables["customers"],  # doctest: +SKIP
    ...                             ["customer_class", "region"], ConsumptionForecaster(), 28, actual=later)
    >>> out.accuracy.loc[("total", "reconciled (wls_var)"), "mase"]  # doctest: +SKIP
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from sklearn.base import clone

    levels = [levels] if isinstance(levels, str) else list(levels)
    _check(history, customer_forecasts, customers, levels, h, method, regressors, actual)
    h = int(h)
    spark = history.sparkSession
    s = int(season_length if season_length is not None else forecaster.season_length)
    use_exog = regressors is not None and (regressors.temperature or regressors.calendar)
    labs = [f"_l{i}" for i in range(len(levels))]

    # 1. cells: each history customer's values of the levels and its region (one text key), its mean y
    region = F.col("region") if "region" in customers.columns else F.lit(None).cast("string")
    raw = [*[F.col(c) for c in levels], region]
    key = F.concat_ws("\u0001", *[F.coalesce(c.cast("string"), F.lit("\u0000")) for c in raw])
    known = customers.select(F.col("customer_id").cast("bigint").alias("unique_id"), key.alias("_key"),
                             *[c.alias(n) for c, n in zip(raw, [*labs, _REGION], strict=True)])
    day = F.datediff(F.to_date(F.col("ds")), F.lit("1970-01-01").cast("date")).alias("_day")
    hist = history.select(F.col("unique_id").cast("bigint").alias("unique_id"), day, _valid("y").alias("y"))
    stats, by_customer = [F.avg("y").alias("_size")], hist
    if actual is not None:  # MASE scale: mean |y - y s days before| (by date: a missing day is no row)
        from pyspark.sql import Window

        before = Window.partitionBy("unique_id").orderBy("_day").rangeBetween(-s, -s)
        by_customer = hist.withColumn("_lag", F.max("y").over(before))
        stats.append(F.avg(F.abs(F.col("y") - F.col("_lag"))).alias("_scale"))
    # one query for the customers' means and scales and for the sums per cell and day: history, shuffled by
    # customer for the window and for a sort-merge join to the customers, is shuffled once (the exchange is reused)
    per_day = (hist.join(known.select("unique_id", "_key"), "unique_id", "left").groupBy("_key", "_day")
               .agg(F.sum("y").alias("y"), F.count("y").alias("n"), F.count(F.lit(1)).alias("rows")))
    passes = (by_customer.groupBy("unique_id").agg(*stats).withColumn(_KIND, F.lit("customer"))
              .unionByName(per_day.withColumn(_KIND, F.lit("day")), allowMissingColumns=True)
              .persist(StorageLevel.MEMORY_AND_DISK))
    per_customer = (passes.where(F.col(_KIND) == "customer")
                    .select("unique_id", "_size", *(["_scale"] if actual is not None else []))
                    .join(known, "unique_id", "left").persist(StorageLevel.MEMORY_AND_DISK))
    cells = (per_customer.groupBy("_key")
             .agg(*[F.first(n).alias(n) for n in [*labs, _REGION]], F.count(F.lit(1)).alias("_n"),
                  F.sum(F.greatest(F.coalesce("_size", F.lit(0.0)), F.lit(0.0))).alias("_size")).toPandas())
    if cells["_key"].isna().any():
        lost = [r[0] for r in per_customer.where(F.col("_key").isNull()).select("unique_id").limit(10).collect()]
        n_lost = int(cells.loc[cells["_key"].isna(), "_n"].sum())
        per_customer.unpersist()
        passes.unpersist()
        raise InputError(f"customers has no row for {n_lost} customer(s) of history; add them. Affected series: {lost}")
    if regressors is not None and regressors.temperature and cells[_REGION].isna().any():
        per_customer.unpersist()
        passes.unpersist()
        raise InputError("customers has no region for some customers of history: the groups' degree-days need it")
    cells = cells.sort_values("_key", kind="stable").reset_index(drop=True)  # one order, whatever the partitions
    cells["_cell"] = np.arange(len(cells), dtype=np.int32)
    table = cells[labs].set_axis(levels, axis=1).set_axis(cells["_cell"].to_numpy())
    hierarchy = _membership(cells["_cell"].to_numpy(), table, levels, True)  # bottom series: the cells
    A = hierarchy.A
    group_ids = hierarchy.group_ids.astype(str)
    cell_of = pd.Series(np.arange(len(cells)), index=hierarchy.bottom_ids.astype(int))  # cell id -> column of A
    cell_map = spark.createDataFrame(cells[["_key", "_cell"]], "_key string, _cell int")
    members = (per_customer.join(F.broadcast(cell_map), "_key").select("unique_id", "_cell")
               .persist(StorageLevel.MEMORY_AND_DISK))
    rows, cols = A.nonzero()
    membership = F.broadcast(spark.createDataFrame(
        pd.DataFrame({"_cell": hierarchy.bottom_ids.astype(np.int32)[cols], "_g": rows.astype(np.int32)}),
        "_cell int, _g int"))

    total = int(np.flatnonzero(group_ids == "total")[0])  # every customer's group: counts the rows

    def to_groups(per_cell: DataFrame) -> tuple[pd.DataFrame, int]:
        """Sums per cell and day (``_cell, _day, y, n, rows``) → the groups' sums on the days where a member has a
        number (as ``aggregate``), and the number of rows summed."""
        got = (per_cell.join(membership, "_cell").groupBy("_g", "_day")
               .agg(F.sum("y").alias("y"), F.sum("n").alias("n"), F.sum("rows").alias("rows")).toPandas())
        n_rows = int(got.loc[got["_g"] == total, "rows"].sum())
        got = got.loc[got["n"] > 0]
        days = np.datetime64("1970-01-01", "ns") + got["_day"].to_numpy(dtype=np.int64).astype("timedelta64[D]")
        out = pd.DataFrame({ID: group_ids[got["_g"].to_numpy(dtype=int)], DS: days.astype("datetime64[ns]"),
                            Y: got["y"].to_numpy(dtype=float)})
        out[ID] = out[ID].astype(str)
        return out.sort_values([ID, DS], kind="stable").reset_index(drop=True), n_rows

    # 2. group series and the group model, fitted on the driver
    agg, _ = to_groups(passes.where(F.col(_KIND) == "day").join(F.broadcast(cell_map), "_key")
                       .select("_cell", "_day", "y", "n", "rows"))
    model = clone(forecaster)
    if use_exog:
        from gridcrm.forecasting.regressors import CALENDAR_COLUMNS

        exog = [*(["heating", "cooling"] if regressors.temperature else []),
                *(list(CALENDAR_COLUMNS) if regressors.calendar else [])]
        weights = None
        if regressors.temperature:
            by_cell = cells.iloc[cell_of.to_numpy()]
            weights = _region_shares(hierarchy, by_cell["_size"].to_numpy(float),
                                     by_cell[_REGION].astype(str).to_numpy())
        model = model.fit(_group_exog(agg, exog, weights, regressors.weather))
        model = _wrap_regressors(model, weights, regressors.weather, agg, regressors.as_of,
                                 regressors.future_temperature)
    else:
        model = model.fit(agg)

    # 3. base forecasts on one date grid (a series without a forecast on a day: 0 there)
    grp = model.predict(h)
    values = [c for c in grp.columns if c not in (ID, DS)]
    lacking = [c for c in values if c not in customer_forecasts.columns]
    if lacking:
        raise InputError(f"customer_forecasts lacks column(s) {lacking} that the group forecasts have: forecast "
                         "customers and groups at the same interval levels")
    latest = customer_forecasts.agg(F.max(F.col("ds").cast("timestamp_ntz"))).collect()[0][0]
    end = pd.Timestamp(grp[DS].max())
    if latest is not None:  # the grid ends on the latest forecast day of customers and groups, as GroupForecaster.base
        end = max(end, pd.Timestamp(latest).as_unit(end.unit))
    dates = pd.date_range(end=end, periods=h, freq=model.freq_)
    base = _on_grid(grp.assign(**{ID: grp[ID].astype(str)}), group_ids, dates, values)
    day_frame = spark.createDataFrame([(d.to_pydatetime(),) for d in dates], "ds timestamp_ntz")
    fc = customer_forecasts.select(F.col("unique_id").cast("bigint").alias("unique_id"),
                                   F.col("ds").cast("timestamp_ntz").alias("ds"), *values)
    zero = [F.when(F.col(c).isNull() | F.isnan(F.col(c)), F.lit(0.0)).otherwise(F.col(c)).alias(c) for c in values]
    grid = (members.crossJoin(F.broadcast(day_frame)).join(fc, ["unique_id", "ds"], "left")
            .select("unique_id", "_cell", "ds", *zero))

    # 4. reconciliation from sums per cell and day; each customer moves by w_b * k of its cell and day
    fcb = base.assign(**{ID: base[ID].astype(str)})
    ya, day_cols = _matrix(fcb, group_ids, "forecast", "base")
    if method == "wls_var":
        lv, z = _variance_level(values)
        d = (F.col(f"hi_{lv}") - F.col("forecast")) / F.lit(z)
        wb = F.greatest(d * d, F.lit(_VAR_FLOOR))
        ha, _ = _matrix(fcb, group_ids, f"hi_{lv}", "base")
        wa = np.maximum(((ha - ya) / z) ** 2, _VAR_FLOOR)
    else:
        wb = F.lit(1.0)
        sizes = np.asarray(A @ cells["_n"].to_numpy(float)[cell_of.to_numpy()])
        wa = np.broadcast_to((sizes if method == "wls_struct" else np.ones(len(group_ids)))[:, None], ya.shape)
    grid = grid.withColumn("_w", wb).persist(StorageLevel.MEMORY_AND_DISK)  # summed, then read by the accuracy
    day_index = pd.DatetimeIndex(day_cols).astype("datetime64[ns]")
    yb_sum, wb_sum = np.zeros((len(cells), len(day_cols))), np.zeros((len(cells), len(day_cols)))
    sums = grid.groupBy("_cell", "ds").agg(F.sum("forecast").alias("yb"), F.sum("_w").alias("wb")).toPandas()
    r = cell_of.reindex(sums["_cell"].to_numpy()).to_numpy()
    c = day_index.get_indexer(pd.to_datetime(sums["ds"]).astype("datetime64[ns]"))
    yb_sum[r, c], wb_sum[r, c] = sums["yb"].to_numpy(float), sums["wb"].to_numpy(float)
    if method == "bottom_up":
        ra, k = A @ yb_sum, np.zeros_like(yb_sum)
    else:
        ra, k = reconcile_sums(A, yb_sum, wb_sum, ya, wa)
    groups = _clipped(_shifted(fcb, group_ids, day_cols, ra, ya))
    groups = groups.assign(level=level_of(groups[ID], hierarchy)).reset_index(drop=True)
    moves = spark.createDataFrame(pd.DataFrame({"_cell": np.repeat(hierarchy.bottom_ids.astype(np.int32), len(day_cols)),
                                                "ds": np.tile(day_index.to_numpy(), len(cells)), "_k": k.ravel()}),
                                  "_cell int, ds timestamp_ntz, _k double")
    shifted = grid.join(F.broadcast(moves), ["_cell", "ds"]).select(
        "unique_id", "ds", *values,
        *[F.greatest(F.col(c) + F.col("_w") * F.col("_k"), F.lit(0.0)).alias(f"r_{c}") for c in values])
    customers_out = shifted.select("unique_id", "ds", *[F.col(f"r_{c}").alias(c) for c in values])

    # 5. accuracy per level against the reads after as_of
    accuracy = pd.DataFrame(columns=_EMPTY_ACCURACY)
    if actual is not None:
        act_rows = actual.select(F.col("unique_id").cast("bigint").alias("unique_id"),
                                 F.col("ds").cast("timestamp_ntz").alias("ds"), F.col("y"))
        act_groups, n_rows = to_groups(
            act_rows.select("unique_id", day, _valid("y").alias("y")).join(members, "unique_id")
            .groupBy("_cell", "_day").agg(F.sum("y").alias("y"), F.count("y").alias("n"), F.count(F.lit(1)).alias("rows")))
        if n_rows:  # as the job: no reads after as_of, no accuracy table
            recon = f"reconciled ({method})"
            customer_rows = _customer_accuracy(per_customer.select("unique_id", "_scale"), shifted, act_rows, values,
                                               recon)
            lvls = [lv for lv in hierarchy.levels if lv != "total"]
            tables = []
            for name, frame in (("base", base), (recon, groups)):
                table = _mean_by_level(_level_metrics(frame, agg, act_groups, hierarchy, s), lvls)
                if name in customer_rows:
                    row = pd.DataFrame([customer_rows[name]], index=pd.Index(["customer"], name="level"))
                    table = pd.concat([row[list(table.columns)].astype(table.dtypes.to_dict()), table])
                    table.index.name = "level"
                tables.append(table.assign(forecasts=name).set_index("forecasts", append=True))
            accuracy = pd.concat(tables)
    per_customer.unpersist()
    passes.unpersist()
    grid.unpersist()  # the lazy customers result recomputes it from the cached members and the customer forecasts
    logger.info("group forecasts on Spark: %d cells, %d groups, %d days", len(cells), len(group_ids), h)
    return SparkGroupForecasts(groups=groups, base=base, accuracy=accuracy, group_model=model,
                               hierarchy_levels={lv: list(ids) for lv, ids in hierarchy.levels.items()},
                               customers=customers_out)


def _customer_accuracy(scales: DataFrame, shifted: DataFrame, actual: DataFrame, values: list[str], name: str
                       ) -> dict[str, dict[str, float]]:
    """The customer rows of the accuracy table (base and reconciled forecasts), computed in Spark.

    Per customer, as ``series_metrics``: MASE = mean absolute error / ``_scale`` of ``scales`` (the
    seasonal-naive MAE of its history), bias = 100 × sum of errors / sum of ``|y|``, coverage of
    the 95 % interval; then the mean over the customers (missing values skipped) and their number.
    """
    from pyspark.sql import functions as F

    reads = actual.select("unique_id", "ds", _valid("y").alias("y")).where(F.col("y").isNotNull())
    cover = "lo_95" in values and "hi_95" in values
    needed = ["forecast", *(["lo_95", "hi_95"] if cover else [])]
    shifted = shifted.select("unique_id", "ds", *needed, *[f"r_{c}" for c in needed])  # narrower join
    parts = []
    for tag, p in (("b", ""), ("r", "r_")):
        e = F.col(f"{p}forecast") - F.col("y")
        parts += [F.sum(F.abs(e)).alias(f"{tag}_ae"), F.sum(e).alias(f"{tag}_e")]
        if cover:
            inside = (F.col("y") >= F.col(f"{p}lo_95")) & (F.col("y") <= F.col(f"{p}hi_95"))
            parts.append(F.avg(inside.cast("double")).alias(f"{tag}_cov"))
    per = (shifted.join(reads, ["unique_id", "ds"])
           .groupBy("unique_id").agg(F.count(F.lit(1)).alias("_n"), F.sum(F.abs("y")).alias("_absy"), *parts)
           .join(scales, "unique_id", "left"))
    outs = []
    for tag in ("b", "r"):
        outs += [F.avg(F.when(F.col("_scale") > 0, F.col(f"{tag}_ae") / F.col("_n") / F.col("_scale"))).alias(f"{tag}_mase"),
                 F.avg(F.when(F.col("_absy") > 0, 100 * F.col(f"{tag}_e") / F.col("_absy"))).alias(f"{tag}_bias")]
        if cover:
            outs.append(F.avg(f"{tag}_cov").alias(f"{tag}_coverage_95"))
    row = per.agg(F.count(F.lit(1)).alias("n"), *outs).collect()[0].asDict()
    if not row["n"]:
        return {}
    out = {}
    for tag, label in (("b", "base"), ("r", name)):
        vals = {c: (np.nan if row[f"{tag}_{c}"] is None else float(row[f"{tag}_{c}"]))
                for c in ("mase", "bias", "coverage_95") if f"{tag}_{c}" in row}
        out[label] = {**vals, "n_series": int(row["n"])}
    return out
