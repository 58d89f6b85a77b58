"""Consumption forecasts with ranges: seasonal ARIMA for every customer and every group, fast.

Input is a long frame ``unique_id, ds, y`` (+ exogenous columns), the convention of
Nixtla's libraries; :func:`daily_frame`, :func:`interval_frame` and :func:`monthly_frame`
build it from a :class:`~gridcrm.data.Dataset`. :class:`ConsumptionForecaster` cleans isolated outliers
(:func:`clean_outliers`) and fits one model per series with one of three engines
(``batched``, ``exact``, ``clustered``);
:func:`backtest` evaluates it by rolling origin; :func:`aggregate` and :func:`reconcile`
give coherent group forecasts; :mod:`gridcrm.forecasting.plots` draws fan charts.
"""

from gridcrm.forecasting.backtest import BacktestResult, backtest
from gridcrm.forecasting.config import BacktestConfig, ForecastConfig, load_forecast_config
from gridcrm.forecasting.forecaster import ENGINES, ConsumptionForecaster
from gridcrm.forecasting.frame import FrameError, fill_gaps, validate_frame
from gridcrm.forecasting.judge import mase_after_as_of
from gridcrm.forecasting.metrics import series_metrics, summarize_metrics, training_scales
from gridcrm.forecasting.multiseason import CalendarProfileForecaster
from gridcrm.forecasting.outliers import clean_outliers
from gridcrm.forecasting.plots import error_distribution, fan_chart
from gridcrm.forecasting.reconcile import Hierarchy, aggregate, reconcile
from gridcrm.forecasting.simulate import arima_frame, simulate_arima
from gridcrm.forecasting.sources import daily_frame, holiday_flags, interval_frame, monthly_frame, temperature_features

__all__ = [
    "ENGINES",
    "BacktestConfig",
    "BacktestResult",
    "CalendarProfileForecaster",
    "ConsumptionForecaster",
    "ForecastConfig",
    "FrameError",
    "Hierarchy",
    "aggregate",
    "arima_frame",
    "backtest",
    "clean_outliers",
    "daily_frame",
    "error_distribution",
    "fan_chart",
    "fill_gaps",
    "holiday_flags",
    "interval_frame",
    "load_forecast_config",
    "mase_after_as_of",
    "monthly_frame",
    "reconcile",
    "series_metrics",
    "simulate_arima",
    "summarize_metrics",
    "temperature_features",
    "training_scales",
    "validate_frame",
]
