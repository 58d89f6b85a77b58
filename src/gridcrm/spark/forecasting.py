"""Forecasts on Spark: the batched engine once per partition of series (``repartition`` + ``mapInPandas``).

Each partition gathers whole series (every row of a ``unique_id`` lands in one partition), fits one
:class:`~gridcrm.forecasting.ConsumptionForecaster` on all of them at once (the vectorised batched
engine: no Python call per series) and returns its forecasts and its ``models_`` rows. With
per-series settings — ``interval_method="model"``, per-series model choice by backtest, the
``batched`` or ``exact`` engine — a series' model and forecasts do not depend on which series share
its partition (tested with two partition counts).

Conformal ranges (``interval_method="conformal"``) pool the standardised backtest errors of every
series that chose the same candidate: they run as one global pass between two per-partition
passes. Pass 1 fits each partition and returns each series' chosen candidate and the standardised
errors of its backtest windows (:attr:`ConsumptionForecaster.conformal_errors_`); the global pass
takes, per candidate, the exact empirical quantile at each level (:func:`exact_quantiles`: a
``percentile_approx`` sketch brackets the order statistics, only the values inside the brackets
reach the driver; over every partition's errors, with the pandas path's pooling rule: a candidate with fewer than
:data:`~gridcrm.forecasting.select.MIN_CONFORMAL_ERRORS` errors gets the quantile of all
errors); pass 2 fits again with these factors (``ConsumptionForecaster(conformal_scales=...)``)
and forecasts. Pass 1 costs a second fit of every series: the price of ranges that do not depend
on the partitioning. The other settings that pool series — calibrated intervals (one scale from
a random sample of series), the ``clustered`` engine and ``selection="cluster"`` (k-means over
series) — are refused.

The main job's 15-minute forecasts wrap the forecaster in a
:class:`~gridcrm.forecasting.multiseason.CalendarProfileForecaster` (Chinese holidays from the
customer's profile): accepted here, each partition reads the calendar on the days of every series
(its ``days`` hook), so a series' holidays do not depend on which series share its partition.
:func:`spark_interval_frame` gives the job's 15-minute history.

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

__all__ = ["QUANTILE_ACCURACY", "Regressors", "exact_quantiles", "forecasts_to_pandas", "models_to_pandas",
           "spark_daily_frame", "spark_forecasts", "spark_interval_frame"]

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


def _probe(forecaster: object, exog: bool = False) -> pd.DataFrame:
    """Two short series on the forecaster's frequency (with regressor columns when ``exog``)."""
    inner = _inner(forecaster)
    freq = inner.freq or "D"
    season = int(inner.season_length)
    n = max(84, 3 * season)
    t = np.arange(n)
    rng = np.random.default_rng(0)
    ds = pd.date_range("2024-01-01", periods=n, freq=freq)
    probe = pd.DataFrame({
        "unique_id": np.repeat([1, 2], n),
        "ds": np.tile(ds, 2),
        "y": np.concatenate([10 + np.sin(t * 2 * np.pi / 7) + rng.normal(0, 0.3, n), 5 + rng.normal(0, 0.3, n)]),
    })
    if exog:
        from gridcrm.forecasting.regressors import add_calendar

        probe = add_calendar(probe.assign(heating=np.maximum(15 - 10 * np.sin(np.tile(t, 2) / 20), 0), cooling=0.0))
    return probe


#: Schemas of the settings seen so far (a probe fit of a 15-minute forecaster takes seconds).
_SCHEMAS: dict[str, tuple[list[tuple[str, str, str]], list[tuple[str, str]]]] = {}


def _schemas(forecaster: object, h: int, exog: bool = False
             ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """(column, Spark type, pandas dtype) of ``models_`` and (column, Spark type) of the forecasts' value
    columns for these settings: a fit on two short series (once per settings)."""
    settings = {k: v for k, v in forecaster.get_params(deep=True).items()
                if not hasattr(v, "get_params") and not k.endswith("conformal_scales") and not k.endswith("n_jobs")}
    key = repr((type(forecaster).__name__, sorted(settings.items()), min(int(h), 2), bool(exog)))
    if key not in _SCHEMAS:
        _SCHEMAS[key] = _probe_schemas(forecaster, h, exog)
    return _SCHEMAS[key]


def _probe_schemas(forecaster: object, h: int, exog: bool
                   ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    inner = _inner(forecaster)
    # given conformal factors may lack the probe's candidates: the probe fits with its own
    probe_inner = inner.__class__(**{**inner.get_params(), "conformal_scales": None, "n_jobs": 1})
    model = (forecaster.__class__(**{**forecaster.get_params(deep=False), "forecaster": probe_inner})
             if forecaster is not inner else probe_inner)
    fitted = model.fit(_probe(forecaster, exog))
    models = fitted.models_
    model_cols = [(str(name), _SPARK_OF_KIND.get(getattr(dtype, "kind", "O"), "string"), str(dtype))
                  for name, dtype in models.dtypes.items()]
    out = fitted.predict(min(int(h), 2)) if not exog else None
    if out is None:
        levels = _levels(inner)
        fc_cols = [(c, "double") for c in ["forecast", *[f"{side}_{lv}" for lv in levels for side in ("lo", "hi")]]]
    else:
        fc_cols = [(str(c), _SPARK_OF_KIND.get(out[c].dtype.kind, "string")) for c in out.columns
                   if c not in ("unique_id", "ds")]
    return model_cols, fc_cols


def _inner(forecaster: object) -> ConsumptionForecaster:
    """The ConsumptionForecaster of ``forecaster`` (itself, or the one a CalendarProfileForecaster wraps)."""
    from gridcrm.forecasting.multiseason import CalendarProfileForecaster

    if isinstance(forecaster, CalendarProfileForecaster):
        inner = forecaster.forecaster if forecaster.forecaster is not None else CalendarProfileForecaster()._inner()
        if not isinstance(inner, ConsumptionForecaster):
            raise ConfigError("the Spark engine fits a CalendarProfileForecaster wrapping a ConsumptionForecaster, "
                              f"got one wrapping {type(inner).__name__}")
        return inner
    if not isinstance(forecaster, ConsumptionForecaster):
        raise ConfigError("spark_forecasts takes a ConsumptionForecaster or a CalendarProfileForecaster, got "
                          f"{type(forecaster).__name__}")
    return forecaster


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
    forecaster : ConsumptionForecaster or CalendarProfileForecaster
        Its settings (``get_params``) are used; it is not fitted here. A
        :class:`~gridcrm.forecasting.multiseason.CalendarProfileForecaster` (the job's 15-minute
        forecasts) reads the calendar on the days of every series of ``history``;
        ``interval_method="conformal"`` runs the pooled pass described in the module.
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
        :meth:`ConsumptionForecaster.predict` gives them (plus ``day_type`` with a
        CalendarProfileForecaster); ``models``: ``unique_id`` and the
        columns of ``models_`` as ``m0, m1, ...`` (Spark's column names ignore case, and
        ``models_`` has both ``p`` and ``P``): :func:`models_to_pandas` names them.
        Both are lazy views of one cached pass.

    Raises
    ------
    ConfigError
        Settings that pool series (calibrated intervals, the clustered engine, ``segments``,
        ``selection="cluster"``) or exogenous columns in ``history`` (their future values are not
        handled here); regressors with a CalendarProfileForecaster.
    """
    from pyspark.sql import functions as F

    from gridcrm.forecasting.multiseason import CalendarProfileForecaster

    calendar = isinstance(forecaster, CalendarProfileForecaster)
    inner = _inner(forecaster)
    params = inner.get_params()
    if params.get("interval_method") == "calibrated":
        raise ConfigError("interval_method='calibrated' pools every series' holdout errors into one scale: the Spark "
                          "engine fits per partition and cannot; use interval_method='model' (the default)")
    if params.get("engine") == "clustered" or params.get("segments") is not None:
        raise ConfigError("the clustered engine groups series across partitions (k-means over customers): the Spark "
                          "engine fits per partition; use engine='batched' or 'exact'")
    if params.get("selection") == "cluster" and params.get("model_selection") is not None:
        raise ConfigError("selection='cluster' chooses one model per k-means cluster of every series: per partition "
                          "the choice would depend on the partitioning; use selection='series'")
    if calendar and regressors is not None:
        raise ConfigError("regressors are for daily forecasts; a CalendarProfileForecaster takes none")
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
    use_exog = regressors is not None and (regressors.temperature or regressors.calendar)
    model_cols, fc_types = _schemas(forecaster, int(h), exog=bool(use_exog))
    reg = regressors if use_exog else None
    if reg is not None:
        cut = pd.Timestamp(reg.as_of)
        customers = reg.customers[["customer_id", "region"]].copy()
        weather_before = reg.weather.loc[reg.weather["date"] < cut] if len(reg.weather) else reg.weather
        # the customers' regions travel once, with the function (about 16 bytes a customer)
        reg = dataclasses.replace(reg, customers=customers.iloc[:0])
    fc_cols = [c for c, _ in fc_types]
    ddl = ", ".join([f"{_KIND} string", "unique_id bigint", "ds timestamp_ntz",
                     *[f"`{c}` {t}" for c, t in fc_types],
                     # m0, m1, ...: Spark's column names ignore case, and models_ has p and P
                     *[f"m{i} {spark_type}" for i, (_, spark_type, _) in enumerate(model_cols)]])
    spark = history.sparkSession
    n_partitions = int(n_partitions or 2 * spark.sparkContext.defaultParallelism)
    h = int(h)
    names = [_KIND, "unique_id", "ds", *fc_cols, *[f"m{i}" for i in range(len(model_cols))]]
    parts = history.select("unique_id", "ds", "y").repartition(n_partitions, "unique_id")
    days = _calendar_days(history, _inner(forecaster), h) if calendar else None

    def fit_predict(df: pd.DataFrame, inner_params: dict) -> tuple[object, pd.DataFrame | None]:
        """Fit one partition's series (``predict`` too unless the forecasts are not wanted: pass 1)."""
        if calendar:
            from gridcrm.forecasting.frame import fill_gaps

            model = forecaster.__class__(**{**forecaster.get_params(deep=False),
                                            "forecaster": inner.__class__(**inner_params)})
            fitted = model.fit(fill_gaps(df, inner.freq), days=days[0])  # the gaps as interval_frame fills them
            return fitted, lambda: fitted.predict(h, days=days[1])
        cls = inner.__class__
        if reg is None:
            fitted = cls(**inner_params).fit(df)
            return fitted, lambda: fitted.predict(h)
        from gridcrm.forecasting.regressors import with_regressors

        fitted = cls(**inner_params).fit(_with_regressors(df, reg, customers, weather_before))
        if fitted.exog_names_:
            fitted = with_regressors(fitted, customers, reg.weather, cut, reg.future_temperature)
        return fitted, lambda: fitted.predict(h)

    if params.get("interval_method") == "conformal" and params.get("conformal_scales") is None:
        scales = _pooled_conformal_scales(parts, lambda df: fit_predict(df, params)[0], _levels(inner))
        params = {**params, "conformal_scales": scales}

    def frame(columns: dict[str, object], n: int) -> pd.DataFrame:  # every column of the schema, None where unset
        return pd.DataFrame({c: columns[c] if c in columns else np.full(n, None, dtype=object) for c in names})

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        df = _partition_frame(batches)
        if df is None:
            return
        fitted, predict = fit_predict(df, params)
        fc = predict()
        out_fc = {_KIND: np.full(len(fc), "forecast", dtype=object),
                  "unique_id": fc["unique_id"].to_numpy(dtype=np.int64), "ds": fc["ds"].to_numpy()}
        for c, spark_type in fc_types:
            out_fc[c] = fc[c].to_numpy(dtype=np.float64 if spark_type == "double" else np.int64)
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

    both = parts.mapInPandas(run, ddl).persist(StorageLevel.MEMORY_AND_DISK)
    forecasts = both.where(F.col(_KIND) == "forecast").select("unique_id", "ds", *fc_cols)
    models = both.where(F.col(_KIND) == "model").select("unique_id", *[f"m{i}" for i in range(len(model_cols))])
    models = models.withMetadata("unique_id", {"gridcrm_columns": [f"{n}:{d}" for n, _, d in model_cols]})
    return forecasts, models


def _partition_frame(batches: Iterator[pd.DataFrame]) -> pd.DataFrame | None:
    """A partition's rows (whole series: every Arrow batch) as a sorted ``unique_id, ds, y`` frame; None if empty."""
    frames = [b for b in batches if len(b)]
    if not frames:
        return None
    df = pd.concat(frames, ignore_index=True)
    df = pd.DataFrame({"unique_id": df["unique_id"].to_numpy(dtype=np.int64),
                       "ds": pd.to_datetime(df["ds"]).astype("datetime64[ns]"),
                       "y": df["y"].to_numpy(dtype=np.float64)})
    return df.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def _calendar_days(history: DataFrame, inner: ConsumptionForecaster, h: int
                   ) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """The days of every series' history (first to last day, gaps filled) and of every series' forecast.

    Computed from the distinct (first, last) time stamps of the series: a handful of rows to the driver.
    """
    from pyspark.sql import functions as F

    spans = (history.groupBy("unique_id").agg(F.min("ds").alias("first"), F.max("ds").alias("last"))
             .select("first", "last").distinct().toPandas())
    if spans.empty:
        return pd.DatetimeIndex([]), pd.DatetimeIndex([])
    first = pd.to_datetime(spans["first"]).dt.normalize()
    last = pd.to_datetime(spans["last"])
    past = np.concatenate([pd.date_range(a, b.normalize(), freq="D").to_numpy()
                           for a, b in zip(first, last, strict=True)])
    steps = max(int(h), int(inner.season_length))  # CalendarProfileForecaster forecasts at least a season
    offset = pd.tseries.frequencies.to_offset(inner.freq)
    future = np.concatenate([pd.date_range(end + offset, periods=steps, freq=offset).normalize().to_numpy()
                             for end in last.unique()])
    return pd.DatetimeIndex(np.unique(past)), pd.DatetimeIndex(np.unique(future))


def _pooled_conformal_scales(parts: DataFrame, fit: object, levels: list[int | float]
                             ) -> dict[int | float, dict[str, float]]:
    """The conformal factors per level and candidate over every partition's backtest errors (the global pass).

    Pass 1 fits each partition (``fit(df)`` → a fitted forecaster) and returns each series' chosen
    candidate and its finite standardised errors; per candidate, the factor is the exact empirical
    quantile (:func:`exact_quantiles`, as ``numpy.quantile``) over the normal one, the pandas rule of
    :func:`~gridcrm.forecasting.select.conformal_scales` applied to all series at once.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from gridcrm.forecasting._arima import interval_z
    from gridcrm.forecasting.select import MIN_CONFORMAL_ERRORS, SCALE_BOUNDS

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        df = _partition_frame(batches)
        if df is None:
            return
        fitted = fit(df)
        inner = getattr(fitted, "forecaster_", fitted)
        errors = inner.conformal_errors_
        if errors is None:
            return
        chosen = inner.models_["selected"].reindex(errors.columns).to_numpy(dtype=object)
        Z = errors.to_numpy().T  # (series, steps)
        finite = np.isfinite(Z)
        names = np.unique(chosen)
        # one row per finite error, and one null row per candidate chosen here (a candidate without errors still
        # needs its factor: the pooled one)
        yield pd.DataFrame({"candidate": np.r_[np.repeat(chosen, finite.sum(axis=1)), names].astype(object),
                            "z": np.r_[Z[finite], np.full(len(names), np.nan)]}).astype({"z": "float64"})

    pass1 = parts.mapInPandas(run, "candidate string, z double").persist(StorageLevel.MEMORY_AND_DISK)
    try:
        z = pass1.select("candidate", F.when(~F.isnan("z"), F.col("z")).alias("z"))  # NaN → null: not counted
        counts = {r["candidate"]: int(r["n"]) for r in z.groupBy("candidate").agg(F.count("z").alias("n")).collect()}
        qs = [float(lv) / 100 for lv in levels]
        big = {c: n for c, n in counts.items() if n >= MIN_CONFORMAL_ERRORS}
        quantiles = exact_quantiles(z.withColumnRenamed("candidate", "g"), big, qs) if big else {}
        pooled = None
        if len(big) < len(counts) and sum(counts.values()) >= MIN_CONFORMAL_ERRORS:
            pooled = exact_quantiles(z.select(F.lit("*").alias("g"), "z"), {"*": sum(counts.values())}, qs)["*"]
    finally:
        pass1.unpersist()
    out: dict[int | float, dict[str, float]] = {}
    for k, lv in enumerate(levels):
        q_norm = interval_z(lv)
        base = pooled[k] / q_norm if pooled is not None else 1.0
        out[lv] = {c: float(np.clip(quantiles[c][k] / q_norm if c in quantiles else base, *SCALE_BOUNDS))
                   for c in counts}
    logger.info("conformal factors over %d errors of %d candidate(s): %s", sum(counts.values()), len(counts), out)
    return out


#: Rank accuracy of the sketch that brackets an exact quantile (``percentile_approx``: rank error at most n / accuracy).
QUANTILE_ACCURACY = 10_000


def _numpy_linear(n: int, q: float) -> tuple[int, int, float]:
    """The order statistics (0-based) ``numpy.quantile`` (method ``linear``) interpolates for ``q`` of ``n`` values,
    and the weight of the upper one (numpy's own arithmetic)."""
    index = (n - 1) * q
    lo = int(np.floor(index))
    return min(max(lo, 0), n - 1), min(max(lo + 1, 0), n - 1), float(index - np.floor(index))


def exact_quantiles(z: DataFrame, counts: dict[str, int], qs: list[float]) -> dict[str, list[float]]:
    """Exact empirical quantiles (``numpy.quantile``'s linear method) of ``z`` per group ``g``, in bounded memory.

    Spark's exact ``percentile`` keeps every distinct value of a group in one task; here a sketch
    (``percentile_approx``, rank error at most ``n / QUANTILE_ACCURACY``) brackets the two order
    statistics each quantile interpolates, only the values inside the brackets (about
    ``6 n / QUANTILE_ACCURACY`` a quantile) reach the driver, and the order statistics are read from
    them, their ranks offset by the count of values below the bracket. A bracket that misses
    (the sketch's bound broken) is widened to the group's whole range.

    Parameters
    ----------
    z : Spark DataFrame
        Columns ``g`` (string) and ``z`` (double; nulls ignored, no NaN).
    counts : dict of str to int
        Non-null values per group, for the groups wanted.
    qs : list of float
        Quantiles in [0, 1].

    Returns
    -------
    dict of str to list of float
        Per group, the quantiles in the order of ``qs``.
    """
    from pyspark.sql import functions as F

    z = z.where(F.col("z").isNotNull() & F.col("g").isin(list(counts)))
    margin = 3.0 / QUANTILE_ACCURACY
    pcts = [min(max(q + d, 0.0), 1.0) for q in qs for d in (-margin, margin)]
    sketch = {r["g"]: list(r["b"]) for r in z.groupBy("g").agg(
        F.percentile_approx("z", F.array(*[F.lit(p) for p in pcts]), QUANTILE_ACCURACY).alias("b")).collect()}
    out: dict[str, list[float]] = {}
    for attempt in range(2):
        brackets = {(g, k): (sketch[g][2 * k], sketch[g][2 * k + 1]) for g in counts if g not in out
                    for k in range(len(qs))}
        if not brackets:
            break
        if attempt:  # the whole range of a group whose bracket missed
            ranges = {r["g"]: (r["lo"], r["hi"]) for r in z.groupBy("g").agg(F.min("z").alias("lo"), F.max("z")
                      .alias("hi")).collect()}
            brackets = {(g, k): ranges[g] for g, k in brackets}
        inside = None
        for (g, _), (a, b) in brackets.items():
            cond = (F.col("g") == g) & (F.col("z") >= a) & (F.col("z") <= b)
            inside = cond if inside is None else inside | cond
        below = z.agg(*[F.sum(F.when((F.col("g") == g) & (F.col("z") < a), 1).otherwise(0)).alias(f"b{i}")
                        for i, ((g, _), (a, _)) in enumerate(brackets.items())]).collect()[0]
        values: dict[str, np.ndarray] = {}
        for g, part in z.where(inside).select("g", "z").toPandas().groupby("g"):
            values[g] = np.sort(part["z"].to_numpy(dtype=np.float64))
        for i, ((g, k), (a, b)) in enumerate(brackets.items()):
            lo, hi, t = _numpy_linear(counts[g], qs[k])
            v = values.get(g, np.zeros(0))
            v = v[(v >= a) & (v <= b)]  # the values of this bracket (a group's brackets were collected together)
            n_below = int(below[f"b{i}"] or 0)
            if not (0 <= lo - n_below and hi - n_below < len(v)):
                continue  # missed: retried on the whole range
            v_lo, v_hi = float(v[lo - n_below]), float(v[hi - n_below])
            diff = v_hi - v_lo
            out.setdefault(g, [np.nan] * len(qs))[k] = v_hi - diff * (1 - t) if t >= 0.5 else v_lo + diff * t
        out = {g: vals for g, vals in out.items() if not any(np.isnan(vals))} if attempt == 0 else out
    return out


def spark_interval_frame(
    load_interval: DataFrame,
    as_of: pd.Timestamp | str,
    *,
    freq: str = "15min",
    customers: DataFrame | None = None,
    min_weeks: int | None = 4,
) -> DataFrame:
    """Interval load known before ``as_of`` as a long Spark frame ``unique_id, ds, y`` (the job's 15-minute history).

    What the main job forecasts a week of: :func:`gridcrm.forecasting.interval_frame` of the data
    truncated at ``as_of`` (load averaged to ``freq``), keeping the series with at least
    ``min_weeks`` weeks of observed steps.

    Parameters
    ----------
    load_interval : Spark DataFrame
        The validated ``load_interval`` table.
    as_of : Timestamp-like
        Rows stamped on or after it (its day) are left out.
    freq : str
        ``"15min"`` keeps the metered intervals, ``"h"`` averages them to hours (a fixed frequency).
    customers : Spark DataFrame, optional
        Keep only its ``customer_id``s; with a ``connected_on`` column, those connected before
        ``as_of`` (as :meth:`gridcrm.data.Dataset.truncate`).
    min_weeks : int or None
        Series with fewer observed steps than this many weeks are left out (the job: 4); None keeps all.

    Returns
    -------
    Spark DataFrame
        Missing steps are not inserted (the forecasters read them as gaps;
        :func:`spark_forecasts` fills them per partition where a CalendarProfileForecaster needs them).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    cut = pd.Timestamp(as_of).normalize()
    step = pd.tseries.frequencies.to_offset(freq)
    try:
        micros = int(pd.Timedelta(step).value // 1000)
    except ValueError as exc:
        raise ConfigError(f"freq must be a fixed frequency such as '15min' or 'h', got {freq!r}") from exc
    if min_weeks is not None and (not isinstance(min_weeks, (int, np.integer)) or isinstance(min_weeks, bool)
                                  or min_weeks < 0):
        raise ConfigError(f"min_weeks must be a whole number of weeks or None, got {min_weeks!r}")
    load = load_interval.where(F.col("timestamp") < F.lit(cut.to_pydatetime()).cast("timestamp_ntz"))
    if customers is not None:
        if "connected_on" in customers.columns:
            customers = customers.where(F.col("connected_on") < F.lit(cut.to_pydatetime()).cast("timestamp_ntz"))
        load = load.join(customers.select("customer_id").distinct(), "customer_id", "left_semi")
    # floor to the step as pandas' dt.floor does (from the epoch), on naive time stamps read as UTC
    floor = F.expr(f"timestamp_micros(floor(unix_micros(cast(`timestamp` as timestamp)) / {micros}) * {micros})")
    df = (load.select(F.col("customer_id").alias("unique_id"), floor.cast("timestamp_ntz").alias("ds"), "kw")
          .groupBy("unique_id", "ds").agg(F.avg("kw").alias("y")))
    if min_weeks:
        observed = F.count(F.when(F.col("y").isNotNull() & ~F.isnan("y"), 1)).over(Window.partitionBy("unique_id"))
        need = int(min_weeks) * int(pd.Timedelta(days=7) // pd.Timedelta(step))
        df = df.withColumn("_n", observed).where(F.col("_n") >= need).drop("_n")
    return df


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
