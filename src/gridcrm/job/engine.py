"""Where the main job's per-customer work runs: the engine hook of the step layer.

A step asks ``ctx.engine`` for the work an engine may distribute — the feature table, the
customer forecasts, the group forecasts and the tag evaluation — and does everything else
itself (files, notes, plots, the registered models). :class:`PandasEngine` (the default of
:func:`gridcrm.job.run`) does it in this process; :class:`gridcrm.spark.engine.SparkEngine`
does it on Spark (the 15-minute forecasts included). An engine is any object with the methods of :class:`Engine` (a
:class:`typing.Protocol`: no base class to inherit, so an engine in a lower layer, such as
:mod:`gridcrm.spark`, implements it without importing the job).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pandas as pd

from gridcrm.forecasting.outputs import CustomerForecasts

if TYPE_CHECKING:
    from gridcrm.job.steps import StepContext
    from gridcrm.tags import TagResult, TagSet

__all__ = ["CustomerForecasts", "Engine", "IntervalForecasts", "PandasEngine", "driver_history", "interval_forecaster"]

#: 15-minute load: a week in steps, the weeks of history used, and the fewest weeks before as_of a customer needs.
WEEK_15MIN, INTERVAL_WEEKS, INTERVAL_MIN_WEEKS = 672, 8, 4


@dataclass
class IntervalForecasts:
    """What an engine's :meth:`Engine.interval_forecasts` returns (any object with these attributes will do).

    Attributes
    ----------
    forecasts : DataFrame
        ``unique_id, ds, forecast, lo_*, hi_*`` (and ``day_type`` with the calendar) and the
        ``selected`` model of every interval customer, as ``interval_forecasts.parquet`` has them;
        ``unique_id, ds, forecast`` and no row when no customer has enough load.
    summary : DataFrame
        :func:`~gridcrm.forecasting.summarize_metrics` over the season after ``as_of`` (MASE with
        m = the season), empty when the data has no load after ``as_of``.
    customer : int or None
        The fan chart's customer (highest mean load before ``as_of``); None when no customer.
    history, actual : DataFrame
        ``unique_id, ds, y``: that customer's load before ``as_of`` (missing steps as NaN) and after it.
    """

    forecasts: pd.DataFrame
    summary: pd.DataFrame
    customer: Any
    history: pd.DataFrame
    actual: pd.DataFrame


def interval_forecaster(cfg: Any) -> Any:
    """The job's 15-minute forecaster (not fitted), from the forecasting settings ``cfg``: what every engine fits.

    Two seasons (day and week; m = one week), model choice by backtest, conformal ranges at
    ``cfg.level`` over the last :data:`INTERVAL_WEEKS` weeks; with ``cfg.calendar``, holidays and
    adjusted working days from the customer's own profiles
    (:class:`~gridcrm.forecasting.multiseason.CalendarProfileForecaster`).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> fc = interval_forecaster(SimpleNamespace(level=(80, 95), random_state=0, calendar="cn"))
    >>> type(fc).__name__, fc.forecaster.season_length, fc.forecaster.interval_method
    ('CalendarProfileForecaster', 672, 'conformal')
    """
    from gridcrm.forecasting import ConsumptionForecaster

    fc = ConsumptionForecaster(season_length=WEEK_15MIN, freq="15min", level=tuple(cfg.level),
                               max_history=INTERVAL_WEEKS * WEEK_15MIN, interval_method="conformal",
                               random_state=cfg.random_state)
    if cfg.calendar:  # holidays from the customer's holiday/Sunday profile, adjusted working days as weekdays
        from gridcrm.forecasting.multiseason import CalendarProfileForecaster

        fc = CalendarProfileForecaster(forecaster=fc, calendar=cfg.calendar)
    return fc


def _inner(forecaster: Any) -> Any:
    """The ConsumptionForecaster of ``forecaster`` (itself, or the one a CalendarProfileForecaster wraps)."""
    return getattr(forecaster, "forecaster", None) or forecaster


@runtime_checkable
class Engine(Protocol):
    """What the steps delegate to an engine (``ctx.engine``).

    Attributes
    ----------
    name : str
        ``pandas``, ``spark``, ...: said in the notes.
    """

    name: str

    def features(self, ctx: StepContext) -> pd.DataFrame:
        """The feature table of the active customers at ``ctx.as_of`` (``build_features``'s columns and dtypes)."""

    def customer_forecasts(self, ctx: StepContext, cfg: Any, customers: pd.Index) -> CustomerForecasts:
        """Fit and forecast every customer of ``customers`` ``cfg.h`` days ahead with the settings ``cfg``
        (a :class:`~gridcrm.forecasting.ForecastConfig`), regressors as the config says."""

    def group_forecasts(self, ctx: StepContext, cfg: Any, customers: CustomerForecasts
                        ) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
        """``(groups, accuracy, group_model)``: the group forecasts reconciled with the customers', their
        accuracy per level after ``as_of`` and the fitted :class:`~gridcrm.forecasting.groups.GroupForecaster`."""

    def interval_forecasts(self, ctx: StepContext, forecaster: Any, min_weeks: int = INTERVAL_MIN_WEEKS
                           ) -> IntervalForecasts:
        """One season (``forecaster``'s ``season_length`` steps) of the load of every customer with ``min_weeks``
        weeks of it before ``as_of`` at the forecaster's ``freq``: ``forecaster`` (e.g.
        :func:`interval_forecaster`'s) fitted on each, its accuracy over the season after ``as_of``."""

    def tags(self, ctx: StepContext, tagset: TagSet, features: pd.DataFrame, extra: pd.DataFrame | None
             ) -> TagResult:
        """``tagset.evaluate(features, extra=extra)``, as the engine computes it."""


def driver_history(ctx: StepContext, cfg: Any, customers: Any) -> pd.DataFrame:
    """The job's daily history of ``customers`` before ``as_of``: ``daily_frame`` with degree-days, plus the calendar.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(n_customers=3, start="2024-01-01", end="2024-03-31", seed=1).dataset
    >>> ctx = SimpleNamespace(dataset=ds, as_of=pd.Timestamp("2024-03-01"))
    >>> h = driver_history(ctx, SimpleNamespace(temperature=True, calendar="cn"), ds.customers["customer_id"])
    >>> bool(h["ds"].max() < pd.Timestamp("2024-03-01")), {"heating", "cooling"} <= set(h.columns)
    (True, True)
    """
    from gridcrm.forecasting import daily_frame

    history = daily_frame(ctx.dataset.truncate(ctx.as_of), customers=customers, temperature=cfg.temperature)
    if cfg.calendar:
        from gridcrm.forecasting.regressors import add_calendar

        history = add_calendar(history)
    return history


def fit_driver_model(ctx: StepContext, cfg: Any, history: pd.DataFrame) -> tuple[Any, str]:
    """``cfg.forecaster()`` fitted on ``history``, wrapped with its regressors' future values; and the note's words."""
    forecaster = cfg.forecaster().fit(history)
    regressors = ""
    if forecaster.exog_names_:
        from gridcrm.forecasting.regressors import with_regressors

        forecaster = with_regressors(forecaster, ctx.dataset.customers, ctx.dataset.weather, ctx.as_of,
                                     cfg.future_temperature)
        regressors = (f"; regressors {', '.join(forecaster.forecaster.exog_names_)}"
                      + (f", future temperature: {forecaster.temperature_source}" if cfg.temperature else ""))
    return forecaster, regressors


def group_forecasts_on_driver(ctx: StepContext, cfg: Any, history: pd.DataFrame, customers_model: Any
                              ) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """Group forecasts reconciled with the customers', and their accuracy per level after ``as_of``.

    The groups get the customers' regressors (degree-days weighted by their regions' shares, the calendar).
    """
    from gridcrm.forecasting import daily_frame
    from gridcrm.forecasting.groups import accuracy_by_level, fit_group_forecaster

    ids = history["unique_id"].unique()
    members = ctx.dataset.customers.set_index("customer_id").reindex(ids)[list(cfg.groups)]
    members.index.name = "unique_id"
    regions = ctx.dataset.customers.set_index("customer_id")["region"]  # degree-days of groups: their regions'
    model = fit_group_forecaster(customers_model, history, members, cfg.groups, cfg.forecaster(),
                                 method=cfg.reconciliation, regions=regions, weather=ctx.dataset.weather,
                                 as_of=ctx.as_of, future_temperature=cfg.future_temperature)
    reconciled = model.predict(cfg.h)
    base = model.base(cfg.h)
    later = daily_frame(ctx.dataset, customers=ids, fill=False)
    later = later[(later["ds"] >= ctx.as_of) & (later["ds"] < ctx.as_of + pd.Timedelta(days=cfg.h))]
    acc = []
    for name, fc in (("base", base), (f"reconciled ({model.method})", reconciled)):
        if later.empty:
            break
        table = accuracy_by_level(fc, history, later, model.hierarchy, members, int(cfg.season_length))
        acc.append(table.assign(forecasts=name).set_index("forecasts", append=True))
    accuracy = pd.concat(acc) if acc else pd.DataFrame(columns=["mase", "bias", "coverage_95", "n_series"])
    groups = reconciled.loc[reconciled["level"] != "customer"].reset_index(drop=True)
    return groups, accuracy, model


def interval_forecasts_on_driver(ctx: StepContext, forecaster: Any, min_weeks: int = INTERVAL_MIN_WEEKS
                                 ) -> IntervalForecasts:
    """:meth:`Engine.interval_forecasts` in this process: the interval load before ``as_of``, fitted at once."""
    from gridcrm.forecasting import interval_frame
    from gridcrm.forecasting.metrics import series_metrics, summarize_metrics, training_scales

    inner = _inner(forecaster)
    season, freq = int(inner.season_length), inner.freq
    load = interval_frame(ctx.dataset.truncate(ctx.as_of), freq=freq)
    load = load[load["ds"] < ctx.as_of]
    enough = load.dropna(subset=["y"]).groupby("unique_id").size() >= min_weeks * (pd.Timedelta(days=7)
                                                                                  // pd.Timedelta(freq))
    load = load[load["unique_id"].isin(enough.index[enough])]
    if load.empty:
        none = pd.DataFrame(columns=["unique_id", "ds", "y"])
        return IntervalForecasts(pd.DataFrame(columns=["unique_id", "ds", "forecast"]), pd.DataFrame(), None,
                                 none, none)
    fc = forecaster.fit(load)
    out = fc.predict(season)
    later = interval_frame(ctx.dataset, customers=load["unique_id"].unique(), freq=freq, fill=False)
    later = later[(later["ds"] >= ctx.as_of) & (later["ds"] < ctx.as_of + season * pd.Timedelta(freq))]
    joined = out.merge(later, on=["unique_id", "ds"], how="inner").dropna(subset=["y"])
    summary = pd.DataFrame()
    if len(joined):
        summary = summarize_metrics(series_metrics(joined, training_scales(load.dropna(subset=["y"]), season)))
    biggest = load.groupby("unique_id")["y"].mean().idxmax()
    return IntervalForecasts(out.merge(fc.models_[["selected"]], left_on="unique_id", right_index=True), summary,
                             biggest, load[load["unique_id"] == biggest], later[later["unique_id"] == biggest])


class PandasEngine:
    """The default engine: every step's work in this process, with pandas (needs no Java).

    Examples
    --------
    >>> isinstance(PandasEngine(), Engine)
    True
    """

    name = "pandas"

    def features(self, ctx: StepContext) -> pd.DataFrame:
        from gridcrm.features import build_features

        return build_features(ctx.dataset, as_of=ctx.as_of, windows=tuple(ctx.config.features.windows))

    def customer_forecasts(self, ctx: StepContext, cfg: Any, customers: pd.Index) -> CustomerForecasts:
        history = driver_history(ctx, cfg, customers)
        forecaster, regressors = fit_driver_model(ctx, cfg, history)
        return CustomerForecasts(history, forecaster.predict(cfg.h), forecaster.models_, forecaster, regressors)

    def group_forecasts(self, ctx: StepContext, cfg: Any, customers: CustomerForecasts
                        ) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
        if getattr(customers, "sampled", False):
            raise ValueError("group forecasts on the driver need every customer's history, got a sample")
        return group_forecasts_on_driver(ctx, cfg, customers.history, customers.forecaster)

    def interval_forecasts(self, ctx: StepContext, forecaster: Any, min_weeks: int = INTERVAL_MIN_WEEKS
                           ) -> IntervalForecasts:
        return interval_forecasts_on_driver(ctx, forecaster, min_weeks)

    def tags(self, ctx: StepContext, tagset: TagSet, features: pd.DataFrame, extra: pd.DataFrame | None
             ) -> TagResult:
        return tagset.evaluate(features, extra=extra)

    def __repr__(self) -> str:
        return "PandasEngine()"
