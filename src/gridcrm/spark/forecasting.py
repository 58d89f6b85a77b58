"""Forecasts on Spark: the batched engine once per partition of series (``repartition`` + ``mapInPandas``).

Each partition gathers whole series (every row of a ``unique_id`` lands in one partition), fits one
:class:`~gridcrm.forecasting.ConsumptionForecaster` on all of them at once (the vectorised batched
engine: no Python call per series) and returns its forecasts and its ``models_`` rows. With
per-series settings — ``interval_method="model"``, per-series model choice by backtest, the
``batched`` or ``exact`` engine — a series' model and forecasts do not depend on which series share
its partition (tested with two partition counts). Settings that pool series — calibrated intervals
(one scale from every series' holdout errors) and the ``clustered`` engine (k-means over series) —
are refused: they need one global pass, which this module does not do yet.

Regressors, as the main job's forecasting step uses them (``temperature``: heating and cooling
degree-days of the customer's region; ``calendar``: Chinese holidays and working days), are built
inside each partition by the library's own :func:`~gridcrm.forecasting.daily_frame` and
:func:`~gridcrm.forecasting.regressors.add_calendar` from the partition's reads, the customers'
regions and the weather table (regions × days: small, sent to every partition), and the future
values by :func:`~gridcrm.forecasting.regressors.with_regressors`, so a series' forecast is the one
the pandas engine gives it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcrm.errors import ConfigError
from gridcrm.forecasting import ConsumptionForecaster

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["Regressors", "forecasts_to_pandas", "models_to_pandas", "spark_daily_frame", "spark_forecasts"]

logger = logging.getLogger(__name__)

_KIND = "_gridcrm_kind"
_SPARK_OF_KIND = {"i": "bigint", "u": "bigint", "f": "double", "b": "boolean"}


@dataclass(frozen=True)
class Regressors:
    """What the forecasts are fitted with besides the reads, as in the main job's forecasting step.

    Parameters
    ----------
    customers : DataFrame
        ``customer_id`` and ``region`` of the forecast customers (the validated ``customers`` table).
    weather : DataFrame
        The validated ``weather`` table (``region``, ``date``, ``temp_c``), every day of the extract.
    as_of : Timestamp-like
        The forecasts' origin; reads are those before it.
    temperature : bool
        Heating and cooling degree-days of the customer's region (``daily_frame(temperature=True)``).
    calendar : bool
        Chinese holidays and adjusted working days (``add_calendar``).
    future_temperature : str
        ``normal`` or ``weather``, as :func:`~gridcrm.forecasting.regressors.with_regressors`.
    fill : bool
        Insert missing days as gaps (``daily_frame(fill=True)``, as the job does).

    Examples
    --------
    >>> import pandas as pd
    >>> r = Regressors(pd.DataFrame({"customer_id": [1], "region": ["a"]}), pd.DataFrame(), "2024-10-01")
    >>> r.temperature, r.calendar
    (True, True)
    """

    customers: pd.DataFrame
    weather: pd.DataFrame
    as_of: pd.Timestamp | str
    temperature: bool = True
    calendar: bool = True
    future_temperature: str = "normal"
    fill: bool = True


def _with_regressors(df: pd.DataFrame, reg: Regressors, customers: pd.DataFrame, weather_before: pd.DataFrame
                     ) -> pd.DataFrame:
    """``unique_id, ds, y`` of some series → the job's history frame: gaps filled, degree-days, calendar."""
    from gridcrm.forecasting import daily_frame

    ids = pd.unique(df["unique_id"])
    part = SimpleNamespace(meter_daily=pd.DataFrame({"customer_id": df["unique_id"].to_numpy(),
                                                     "date": df["ds"].to_numpy(), "kwh": df["y"].to_numpy()}),
                           customers=customers.loc[customers["customer_id"].isin(ids)],
                           weather=weather_before)
    history = daily_frame(part, temperature=reg.temperature, fill=reg.fill)
    if reg.calendar:
        from gridcrm.forecasting.regressors import add_calendar

        history = add_calendar(history)
    return history


def _levels(forecaster: ConsumptionForecaster) -> list[int | float]:
    return [int(v) if float(v).is_integer() else float(v) for v in forecaster.level]


def _models_schema(forecaster: ConsumptionForecaster, exog: bool = False) -> list[tuple[str, str, str]]:
    """(column, Spark type, pandas dtype) of ``models_`` for these settings: a fit on two short series
    (with regressor columns when ``exog``)."""
    t = np.arange(84)
    rng = np.random.default_rng(0)
    probe = pd.DataFrame({
        "unique_id": np.repeat([1, 2], len(t)),
        "ds": np.tile(pd.date_range("2024-01-01", periods=len(t), freq="D"), 2),
        "y": np.concatenate([10 + np.sin(t * 2 * np.pi / 7) + rng.normal(0, 0.3, len(t)),
                             5 + rng.normal(0, 0.3, len(t))]),
    })
    if exog:
        from gridcrm.forecasting.regressors import add_calendar

        probe = add_calendar(probe.assign(heating=np.maximum(15 - 10 * np.sin(np.tile(t, 2) / 20), 0), cooling=0.0))
    models = forecaster.__class__(**forecaster.get_params()).fit(probe).models_
    out = []
    for name, dtype in models.dtypes.items():
        spark_type = _SPARK_OF_KIND.get(getattr(dtype, "kind", "O"), "string")
        out.append((str(name), spark_type, str(dtype)))
    return out


def spark_forecasts(
    history: DataFrame,
    forecaster: ConsumptionForecaster,
    h: int,
    *,
    n_partitions: int | None = None,
    regressors: Regressors | None = None,
) -> tuple[DataFrame, DataFrame]:
    """Fit ``forecaster`` on every series of ``history`` and forecast ``h`` steps, on Spark.

    Parameters
    ----------
    history : Spark DataFrame
        Long frame ``unique_id`` (whole numbers), ``ds``, ``y`` — what
        :func:`gridcrm.forecasting.daily_frame` gives, e.g. from the meter table.
    forecaster : ConsumptionForecaster
        Its settings (``get_params``) are used; it is not fitted here.
    h : int
        Horizon in steps.
    n_partitions : int, optional
        Partitions of series (default: the session's default parallelism × 2).
    regressors : Regressors, optional
        Fit with degree-days and/or calendar columns, built per partition, and forecast with their
        future values (:func:`~gridcrm.forecasting.regressors.with_regressors`), as the main job does.

    Returns
    -------
    forecasts, models : Spark DataFrame
        ``forecasts``: ``unique_id, ds, forecast, lo_<level>, hi_<level>`` as
        :meth:`ConsumptionForecaster.predict` gives them; ``models``: ``unique_id`` and the
        columns of ``models_`` as ``m0, m1, ...`` (Spark's column names ignore case, and
        ``models_`` has both ``p`` and ``P``): :func:`models_to_pandas` names them.
        Both are lazy views of one cached pass.

    Raises
    ------
    ConfigError
        Settings that pool series (calibrated intervals, the clustered engine, ``segments``)
        or exogenous columns in ``history`` (their future values are not handled here).
    """
    from pyspark.sql import functions as F

    params = forecaster.get_params()
    if params.get("interval_method") == "calibrated":
        raise ConfigError("interval_method='calibrated' pools every series' holdout errors into one scale: the Spark "
                          "engine fits per partition and cannot; use interval_method='model' (the default)")
    if params.get("engine") == "clustered" or params.get("segments") is not None:
        raise ConfigError("the clustered engine groups series across partitions (k-means over customers): the Spark "
                          "engine fits per partition; use engine='batched' or 'exact'")
    extra = [c for c in history.columns if c not in ("unique_id", "ds", "y")]
    if extra:
        raise ConfigError(f"history has exogenous column(s) {extra}: their future values are unknown here; drop "
                          "them and pass regressors=Regressors(...) (degree-days, calendar) instead")
    if regressors is not None:
        if not isinstance(regressors, Regressors):
            raise ConfigError(f"regressors must be a gridcrm.spark.forecasting.Regressors, got {type(regressors).__name__}")
        lacking = [c for c in ("customer_id", "region") if c not in regressors.customers.columns]
        if lacking:
            raise ConfigError(f"regressors.customers lacks column(s) {lacking}")
        if regressors.future_temperature not in ("normal", "weather"):
            raise ConfigError(f"regressors.future_temperature must be 'normal' or 'weather', got "
                              f"{regressors.future_temperature!r}")
    if not isinstance(h, (int, np.integer)) or isinstance(h, bool) or h < 1:
        raise ConfigError(f"h must be a positive whole number of steps, got {h!r}")
    params = {**params, "n_jobs": 1}  # one process per Spark task: Spark gives the parallelism
    levels = _levels(forecaster)
    use_exog = regressors is not None and (regressors.temperature or regressors.calendar)
    model_cols = _models_schema(forecaster, exog=bool(use_exog))
    reg = regressors if use_exog else None
    if reg is not None:
        cut = pd.Timestamp(reg.as_of)
        customers = reg.customers[["customer_id", "region"]].copy()
        weather_before = reg.weather.loc[reg.weather["date"] < cut] if len(reg.weather) else reg.weather
        # the customers' regions travel once, with the function (about 16 bytes a customer)
        reg = dataclasses.replace(reg, customers=customers.iloc[:0])
    fc_cols = ["forecast", *[f"{side}_{lv}" for lv in levels for side in ("lo", "hi")]]
    ddl = ", ".join([f"{_KIND} string", "unique_id bigint", "ds timestamp_ntz",
                     *[f"`{c}` double" for c in fc_cols],
                     # m0, m1, ...: Spark's column names ignore case, and models_ has p and P
                     *[f"m{i} {spark_type}" for i, (_, spark_type, _) in enumerate(model_cols)]])
    spark = history.sparkSession
    n_partitions = int(n_partitions or 2 * spark.sparkContext.defaultParallelism)
    cls = forecaster.__class__
    h = int(h)
    names = [_KIND, "unique_id", "ds", *fc_cols, *[f"m{i}" for i in range(len(model_cols))]]

    def frame(columns: dict[str, object], n: int) -> pd.DataFrame:  # every column of the schema, None where unset
        return pd.DataFrame({c: columns[c] if c in columns else np.full(n, None, dtype=object) for c in names})

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        frames = [b for b in batches if len(b)]
        if not frames:
            return
        df = pd.concat(frames, ignore_index=True)
        df = pd.DataFrame({"unique_id": df["unique_id"].to_numpy(dtype=np.int64),
                           "ds": pd.to_datetime(df["ds"]).astype("datetime64[ns]"),
                           "y": df["y"].to_numpy(dtype=np.float64)})
        df = df.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        if reg is None:
            fitted = cls(**params).fit(df)
            fc = fitted.predict(h)
        else:
            from gridcrm.forecasting.regressors import with_regressors

            fitted = cls(**params).fit(_with_regressors(df, reg, customers, weather_before))
            if fitted.exog_names_:
                fitted = with_regressors(fitted, customers, reg.weather, cut, reg.future_temperature)
            fc = fitted.predict(h)
        out_fc = {_KIND: np.full(len(fc), "forecast", dtype=object),
                  "unique_id": fc["unique_id"].to_numpy(dtype=np.int64), "ds": fc["ds"].to_numpy()}
        for c in fc_cols:
            out_fc[c] = fc[c].to_numpy(dtype=np.float64)
        yield frame(out_fc, len(fc))
        models = fitted.models_
        out_m: dict[str, object] = {_KIND: np.full(len(models), "model", dtype=object),
                                    "unique_id": models.index.to_numpy(dtype=np.int64)}
        for i, (name, spark_type, _) in enumerate(model_cols):
            values = models[name]
            out_m[f"m{i}"] = (values.astype(object).where(values.notna(), None).to_numpy() if spark_type == "string"
                              else values.to_numpy())
        yield frame(out_m, len(models))

    from pyspark import StorageLevel

    both = (history.select("unique_id", "ds", "y").repartition(n_partitions, "unique_id")
            .mapInPandas(run, ddl).persist(StorageLevel.MEMORY_AND_DISK))
    forecasts = both.where(F.col(_KIND) == "forecast").select("unique_id", "ds", *fc_cols)
    models = both.where(F.col(_KIND) == "model").select("unique_id", *[f"m{i}" for i in range(len(model_cols))])
    models = models.withMetadata("unique_id", {"gridcrm_columns": [f"{n}:{d}" for n, _, d in model_cols]})
    return forecasts, models


def forecasts_to_pandas(forecasts: DataFrame) -> pd.DataFrame:
    """Collect Spark forecasts as :meth:`ConsumptionForecaster.predict` returns them (sorted by series and date)."""
    pdf = forecasts.toPandas().sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    pdf["unique_id"] = pdf["unique_id"].astype(np.int64)
    pdf["ds"] = pd.to_datetime(pdf["ds"]).astype("datetime64[ns]")
    return pdf


def models_to_pandas(models: DataFrame) -> pd.DataFrame:
    """Collect Spark ``models`` as ``ConsumptionForecaster.models_`` is: indexed by ``unique_id``, same dtypes."""
    columns = models.schema["unique_id"].metadata["gridcrm_columns"]
    pdf = models.toPandas().sort_values("unique_id", kind="stable").reset_index(drop=True)
    index = pd.Index(pdf["unique_id"].to_numpy(dtype=np.int64), name="unique_id")
    cols = {}
    for i, (name, dtype) in enumerate(c.rsplit(":", 1) for c in columns):
        values = pdf[f"m{i}"]
        cols[name] = values.astype(dtype) if dtype != "object" else values
    return pd.DataFrame(cols).set_axis(index)


def spark_daily_frame(meter_daily: DataFrame, as_of: pd.Timestamp | str, customers: DataFrame | None = None
                      ) -> DataFrame:
    """Daily kWh known before ``as_of`` as a long Spark frame ``unique_id, ds, y`` (``daily_frame`` of the pandas path).

    Parameters
    ----------
    meter_daily : Spark DataFrame
        The validated ``meter_daily`` table.
    as_of : Timestamp-like
        Rows dated on or after it are left out.
    customers : Spark DataFrame, optional
        Keep only the ids of its ``customer_id`` column (e.g. the feature table's active customers).

    Missing days are not inserted: the forecaster reads them as gaps either way.
    """
    from pyspark.sql import functions as F

    cut = pd.Timestamp(as_of).normalize().to_pydatetime()
    meter = meter_daily.where(F.col("date") < F.lit(cut).cast("timestamp_ntz"))
    if customers is not None:
        meter = meter.join(customers.select("customer_id").distinct(), "customer_id", "left_semi")
    return meter.select(F.col("customer_id").alias("unique_id"), F.col("date").alias("ds"), F.col("kwh").alias("y"))
