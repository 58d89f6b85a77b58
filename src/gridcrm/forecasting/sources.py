"""Long frames ``unique_id, ds, y`` from a :class:`~gridcrm.data.Dataset`: daily kWh, interval load, bills.

Exogenous columns: heating and cooling degree-days from the weather of the customer's
region, and holiday flags.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from gridcrm.forecasting.frame import DS, ID, FrameError, Y, _ids, fill_gaps

__all__ = ["daily_frame", "interval_frame", "monthly_frame", "temperature_features", "holiday_flags"]


def daily_frame(
    dataset: object,
    customers: Iterable[int] | None = None,
    *,
    temperature: bool = False,
    holidays: Iterable[object] | None = None,
    fill: bool = True,
) -> pd.DataFrame:
    """Daily kWh of a :class:`~gridcrm.data.Dataset` as a long frame ``unique_id, ds, y``.

    Parameters
    ----------
    dataset : Dataset
    customers : iterable of int, optional
        Customer ids to keep; default all.
    temperature : bool
        Add the exogenous columns of :func:`temperature_features` from the
        customer's region's weather (``heating``, ``cooling``, in degree-days).
    holidays : iterable of date-like, optional
        Dates that get ``holiday = 1`` (an exogenous column).
    fill : bool
        Insert missing days (meter gaps) as ``y = NaN`` (:func:`fill_gaps`).

    Returns
    -------
    DataFrame
        ``unique_id`` (the customer id), ``ds``, ``y`` and the exogenous columns asked for.

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(n_customers=5, start="2024-01-01", end="2024-02-29", seed=3).dataset
    >>> daily_frame(ds).columns.tolist()
    ['unique_id', 'ds', 'y']
    """
    meter = dataset.meter_daily
    if customers is not None:
        meter = meter.loc[meter["customer_id"].isin(list(customers))]
    df = pd.DataFrame({ID: meter["customer_id"].to_numpy(), DS: meter["date"].to_numpy(), Y: meter["kwh"].to_numpy()})
    if fill and len(df):
        df = fill_gaps(df, "D")
    if temperature:
        df = _add_temperature(df, dataset.customers, dataset.weather)
    if holidays is not None:
        df = df.assign(holiday=holiday_flags(df[DS], holidays))
    return df.reset_index(drop=True)


def _add_temperature(df: pd.DataFrame, customers: pd.DataFrame, weather: pd.DataFrame) -> pd.DataFrame:
    region = customers.set_index("customer_id")["region"]
    w = weather.assign(temp_c=weather.groupby("region")["temp_c"].transform(lambda s: s.interpolate(limit_direction="both")))
    temps = w.set_index(["region", "date"])["temp_c"]
    key = pd.MultiIndex.from_arrays([region.reindex(df[ID]).to_numpy(), df[DS].to_numpy()])
    temp = temps.reindex(key).to_numpy()
    if np.isnan(temp).any():
        bad = pd.unique(df.loc[np.isnan(temp), ID])
        raise FrameError(
            f"no temperature for some days of the customers' regions (weather table). Affected series: {_ids(bad)}"
        )
    feats = temperature_features(temp)
    return df.assign(**{k: v for k, v in feats.items()})


def temperature_features(temp_c: np.ndarray | pd.Series, heat_base: float = 15.0, cool_base: float = 22.0) -> dict:
    """Heating and cooling degree-days from daily mean temperatures.

    ``heating = max(heat_base - temp, 0)``, ``cooling = max(temp - cool_base, 0)``:
    consumption responds to temperature in a V shape, linear on each side.

    Returns
    -------
    dict of str to ndarray
        ``{"heating": ..., "cooling": ...}``

    Examples
    --------
    >>> temperature_features(np.array([10.0, 25.0]))["cooling"].tolist()
    [0.0, 3.0]
    """
    t = np.asarray(temp_c, dtype=float)
    return {"heating": np.maximum(heat_base - t, 0.0), "cooling": np.maximum(t - cool_base, 0.0)}


def holiday_flags(ds: pd.Series | pd.DatetimeIndex, holidays: Iterable[object]) -> np.ndarray:
    """1.0 where ``ds`` (normalised to the day) is one of ``holidays``, else 0.0.

    Examples
    --------
    >>> holiday_flags(pd.date_range("2024-02-09", periods=3), ["2024-02-10"]).tolist()
    [0.0, 1.0, 0.0]
    """
    days = pd.DatetimeIndex(pd.to_datetime(list(holidays))).normalize()
    return pd.DatetimeIndex(ds).normalize().isin(days).astype(float)


def interval_frame(
    dataset: object, customers: Iterable[int] | None = None, freq: str = "h", fill: bool = True
) -> pd.DataFrame:
    """Interval load (kW) of large customers as a long frame, averaged to ``freq``.

    Parameters
    ----------
    dataset : Dataset
    customers : iterable of int, optional
    freq : str
        ``"15min"`` keeps the metered intervals; ``"h"`` (default) averages them to hours.
    fill : bool
        Insert missing intervals as NaN.

    Returns
    -------
    DataFrame
        ``unique_id, ds, y`` with ``y`` in kW.
    """
    load = dataset.load_interval
    if customers is not None:
        load = load.loc[load["customer_id"].isin(list(customers))]
    df = pd.DataFrame({ID: load["customer_id"].to_numpy(), DS: load["timestamp"].dt.floor(freq).to_numpy(),
                       Y: load["kw"].to_numpy()})
    df = df.groupby([ID, DS], as_index=False, sort=True)[Y].mean()
    if fill and len(df):
        df = fill_gaps(df, freq)
    return df


def monthly_frame(dataset: object, customers: Iterable[int] | None = None) -> pd.DataFrame:
    """Billed kWh per customer and month (``ds`` = first day of the billing month).

    Returns
    -------
    DataFrame
        ``unique_id, ds, y``; a month billed twice is summed.
    """
    bills = dataset.bills
    if customers is not None:
        bills = bills.loc[bills["customer_id"].isin(list(customers))]
    df = pd.DataFrame({ID: bills["customer_id"].to_numpy(), DS: bills["period"].to_numpy(), Y: bills["kwh"].to_numpy()})
    df = df.groupby([ID, DS], as_index=False, sort=True)[Y].sum()
    if len(df):
        df = fill_gaps(df, "MS")
    return df
