"""How a consumption forecaster is judged: MASE of its forecasts over the days after ``as_of``.

A plain function, no tracking store: :mod:`gridcrm.tracking` calls it to compare
a new forecaster version with the champion on the same customers and days.
"""

from __future__ import annotations

import pandas as pd

from gridcrm.errors import InputError
from gridcrm.forecasting.metrics import series_metrics, training_scales

__all__ = ["mase_after_as_of", "group_mase_after_as_of"]


def mase_after_as_of(forecasts: pd.DataFrame, actual: pd.DataFrame, as_of: pd.Timestamp | str, *,
                     season_length: int, horizon: int | None = None) -> float:
    """Mean over customers of the MASE of daily forecasts made at ``as_of`` (lower is better).

    Each series' errors over ``[as_of, as_of + horizon)`` are scaled by its seasonal-naive
    error before ``as_of`` (:func:`~gridcrm.forecasting.metrics.training_scales`).

    Parameters
    ----------
    forecasts : DataFrame
        ``unique_id, ds, forecast`` (interval columns are ignored), as from
        :meth:`ConsumptionForecaster.predict`.
    actual : DataFrame
        ``unique_id, ds, y``: the measured daily kWh before and after ``as_of``, without
        filled gaps (:func:`~gridcrm.forecasting.daily_frame` with ``fill=False``).
    as_of : Timestamp or str
        First forecast day; the days before it give each series' scale.
    season_length : int
        Season of the seasonal-naive scale (7 for daily data with a weekly pattern).
    horizon : int, optional
        Days after ``as_of`` judged; default the longest series of ``forecasts``.

    Returns
    -------
    float
        The mean MASE over the series with both forecasts and actuals.

    Raises
    ------
    gridcrm.errors.InputError
        A frame lacks a column it needs.

    Examples
    --------
    >>> ds = pd.date_range("2024-01-01", periods=6)
    >>> actual = pd.DataFrame({"unique_id": 1, "ds": ds, "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    >>> fc = pd.DataFrame({"unique_id": 1, "ds": ds[4:], "forecast": [5.0, 8.0]})
    >>> mase_after_as_of(fc, actual, "2024-01-05", season_length=1)
    1.0
    """
    for name, frame, needed in (("forecasts", forecasts, ("unique_id", "ds", "forecast")),
                                ("actual", actual, ("unique_id", "ds", "y"))):
        lacking = [c for c in needed if c not in frame.columns]
        if lacking:
            raise InputError(f"{name} lacks column(s) {lacking}; expected a long frame with {list(needed)}")
    start = pd.Timestamp(as_of)
    if horizon is None:
        horizon = int(forecasts.groupby("unique_id").size().max())
    history = actual[actual["ds"] < start]
    later = actual[(actual["ds"] >= start) & (actual["ds"] < start + pd.Timedelta(days=horizon))]
    scales = training_scales(history, season_length)
    joined = forecasts.merge(later, on=["unique_id", "ds"], how="inner")
    return float(series_metrics(joined, scales)["mase"].mean())  # series without a scale (NaN) left out


def group_mase_after_as_of(forecasts: pd.DataFrame, actual: pd.DataFrame, as_of: pd.Timestamp | str, *,
                           season_length: int, horizon: int | None = None) -> float:
    """Mean over the group levels of the mean MASE of group forecasts made at ``as_of`` (lower is better).

    The champion metric of ``gridcrm-group-forecaster``: each level (customer class, region,
    industry, total...) counts once, however many groups it has; customers are left out (the
    customer forecaster has its own metric).

    Parameters
    ----------
    forecasts : DataFrame
        ``unique_id, ds, forecast, level`` of the group series (rows with ``level == "customer"``
        are ignored).
    actual : DataFrame
        ``unique_id, ds, y`` of the same group series before and after ``as_of``.
    as_of, season_length, horizon
        As in :func:`mase_after_as_of`.

    Examples
    --------
    >>> ds = pd.date_range("2024-01-01", periods=6)
    >>> actual = pd.DataFrame({"unique_id": "total", "ds": ds, "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    >>> fc = pd.DataFrame({"unique_id": "total", "ds": ds[4:], "forecast": [5.0, 8.0], "level": "total"})
    >>> group_mase_after_as_of(fc, actual, "2024-01-05", season_length=1)
    1.0
    """
    if "level" not in forecasts.columns:
        raise InputError("forecasts lacks column 'level'; expected the reconciled frame of a GroupForecaster")
    groups = forecasts.loc[forecasts["level"] != "customer"]
    per_level = [mase_after_as_of(part, actual, as_of, season_length=season_length, horizon=horizon)
                 for _, part in groups.groupby("level")]
    per_level = [v for v in per_level if v == v]
    if not per_level:
        raise InputError("no group forecast has actuals after as_of to be judged on")
    return float(sum(per_level) / len(per_level))
