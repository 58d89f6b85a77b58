"""Rolling-origin backtests of a forecaster on a long frame."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone

from gridcrm._params import Interval, validate_params
from gridcrm.forecasting.frame import FrameError, _offset, future_dates, infer_freq, validate_frame
from gridcrm.forecasting.metrics import series_metrics, summarize_metrics, training_scales

__all__ = ["BacktestResult", "backtest", "cutoffs"]

logger = logging.getLogger(__name__)


@dataclass
class BacktestResult:
    """Forecasts and metrics of a rolling-origin backtest.

    Attributes
    ----------
    forecasts : DataFrame
        ``unique_id, ds, cutoff, y, forecast, lo_<l>, hi_<l>``.
    metrics : DataFrame
        Per series and cutoff (see :mod:`gridcrm.forecasting.metrics`).
    seconds : float
        Wall time of all fits and predictions.
    """

    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    seconds: float = 0.0
    models: list[pd.DataFrame] = field(default_factory=list, repr=False)

    def summary(self, groups: pd.Series | None = None, how: str = "mean") -> pd.DataFrame:
        """Metrics overall, or per group (a label per ``unique_id``: segment, class, region...)."""
        return summarize_metrics(self.metrics, groups, how)

    def by_cutoff(self) -> pd.DataFrame:
        """Mean metrics per forecast origin."""
        cols = [c for c in self.metrics.columns if c not in ("unique_id", "cutoff")]
        return self.metrics.groupby("cutoff")[cols].mean()


def cutoffs(last: pd.Timestamp, h: int, n_windows: int, step: int, offset: pd.DateOffset) -> list[pd.Timestamp]:
    """Last training time stamps of the windows, oldest first: the last window ends at ``last``.

    Examples
    --------
    >>> [c.day for c in cutoffs(pd.Timestamp("2024-01-31"), 7, 2, 7, pd.offsets.Day())]
    [17, 24]
    """
    return [last - (h + (n_windows - 1 - i) * step) * offset for i in range(n_windows)]


def backtest(
    forecaster: object,
    df: pd.DataFrame,
    h: int,
    *,
    n_windows: int = 3,
    step: int | None = None,
    X_future: pd.DataFrame | None = None,
) -> BacktestResult:
    """Evaluate ``forecaster`` by rolling origin: fit on the data up to each cutoff, forecast ``h`` steps.

    Parameters
    ----------
    forecaster : estimator
        Anything with ``fit(df)`` and ``predict(h, X_future=None)`` returning
        ``unique_id, ds, forecast, lo_*, hi_*`` and a ``season_length`` parameter
        (a :class:`~gridcrm.forecasting.ConsumptionForecaster`); it is cloned per window.
    df : DataFrame
        Long frame with the whole history (exogenous columns included).
    h : int
        Horizon of each window.
    n_windows : int
        Number of forecast origins.
    step : int, optional
        Steps between origins; default ``h`` (windows that do not overlap).
    X_future : DataFrame, optional
        Unused: the exogenous values of the test windows are taken from ``df``
        (actual values: an "oracle" weather forecast, to be stated when reporting).

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> from gridcrm.forecasting import ConsumptionForecaster
    >>> from gridcrm.forecasting.simulate import simulate_arima, arima_frame
    >>> df = arima_frame(20 + simulate_arima(ar=[0.7], n=300, n_series=2, seed=0))
    >>> res = backtest(ConsumptionForecaster(season_length=1, calibration_size=0), df, h=7, n_windows=2)
    >>> res.metrics["cutoff"].nunique(), round(float(res.summary().loc["all", "coverage_95"]), 1) >= 0.5
    (2, True)
    """
    steps = [Interval(Integral, 1, None, closed="left")]
    validate_params("backtest", {"h": h, "n_windows": n_windows, "step": step},
                    {"h": steps, "n_windows": steps, "step": [*steps, None]})
    exog = validate_frame(df, name="df")
    step = h if step is None else step
    season = int(getattr(forecaster, "season_length", 1))
    probe = clone(forecaster)
    freq = getattr(probe, "freq", None)
    offset = _offset(freq or infer_freq(df))
    cuts = cutoffs(df["ds"].max(), h, n_windows, step, offset)
    if (df["ds"] <= cuts[0]).sum() == 0:
        raise FrameError(f"no data before the first cutoff {cuts[0]}; use fewer windows or a smaller step")
    frames, scales, models = [], [], []
    t0 = time.perf_counter()
    for cut in cuts:
        train = df.loc[df["ds"] <= cut]
        test = df.loc[(df["ds"] > cut) & (df["ds"] <= cut + h * offset)]
        model = clone(forecaster).fit(train)
        fut = test[["unique_id", "ds", *exog]] if exog else None
        if exog:
            fut = _complete_future(model, fut, h, offset)
        pred = model.predict(h, X_future=fut)
        joined = pred.merge(test[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="inner")
        joined.insert(2, "cutoff", cut)
        frames.append(joined.loc[joined["y"].notna()])
        sc = training_scales(train, season)
        sc["cutoff"] = cut
        scales.append(sc)
        models.append(model.models_.assign(cutoff=cut))
        logger.info("backtest window ending %s: %d forecasts", cut.date(), len(joined))
    seconds = time.perf_counter() - t0
    forecasts = pd.concat(frames, ignore_index=True)
    metrics = series_metrics(forecasts, pd.concat(scales, ignore_index=True), by=("unique_id", "cutoff"))
    return BacktestResult(forecasts=forecasts, metrics=metrics, seconds=seconds, models=models)


def _complete_future(model: object, fut: pd.DataFrame, h: int, offset: pd.DateOffset) -> pd.DataFrame:
    """Future exogenous rows for every forecast date: series whose test window has gaps get interpolated values."""
    dates = future_dates(model._ids, model._last_ds, h, offset)
    full = dates.merge(fut, on=["unique_id", "ds"], how="left")
    cols = [c for c in fut.columns if c not in ("unique_id", "ds")]
    full[cols] = full.groupby("unique_id", sort=False)[cols].transform(lambda s: s.interpolate(limit_direction="both"))
    return full.fillna({c: float(np.nanmean(fut[c])) if len(fut) else 0.0 for c in cols})
