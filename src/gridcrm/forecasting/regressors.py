"""Weather and calendar regressors of daily forecasts: degree-days, the Chinese holiday calendar, future temperatures.

* :func:`china_calendar`: per day, ``holiday`` (a statutory day off, the weekend days inside a
  holiday included), ``workday_adjusted`` (a Saturday or Sunday made a working day to bridge a
  holiday) and ``spring_festival`` (the Spring Festival window: from ``SPRING_WINDOW[0]`` days
  before its first day off to ``SPRING_WINDOW[1]`` days after its last, when factories and
  offices run down and migrant workers are away), from the maintained ``chinesecalendar``
  package (the State Council's yearly notices). Years it does not cover get zeros, logged.
* :func:`temperature_normals`: the seasonal normal temperature of each region and day of the
  year (the mean over the years before ``as_of``, smoothed over ±7 days), the default future
  temperature of a forecast.
* :class:`RegressorForecaster`: a fitted forecaster together with what it needs to build its
  exogenous columns for any horizon (the regions' future temperatures, the calendar), so that
  ``predict(h)`` works as for a forecaster without regressors (the served model too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.forecasting.frame import DS, ID, FrameError, future_dates
from gridcrm.forecasting.sources import temperature_features

__all__ = ["china_calendar", "temperature_normals", "add_calendar", "with_regressors", "RegressorForecaster",
           "CALENDAR_COLUMNS", "SPRING_WINDOW", "weighted_degree_days"]

logger = logging.getLogger(__name__)

#: Days before the first and after the last Spring Festival day off that are in its window.
SPRING_WINDOW = (7, 10)
#: Columns of :func:`china_calendar`.
CALENDAR_COLUMNS = ("holiday", "workday_adjusted", "spring_festival")


def china_calendar(dates: Iterable[object]) -> pd.DataFrame:
    """Chinese calendar flags (0/1 floats) of each day of ``dates``, indexed by the normalised day.

    Examples
    --------
    >>> cal = china_calendar(pd.date_range("2024-09-13", "2024-09-17"))
    >>> cal["holiday"].tolist(), cal["workday_adjusted"].tolist()
    ([0.0, 0.0, 1.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0, 0.0])
    >>> bool(china_calendar(["2024-02-05", "2024-02-25", "2024-03-15"])["spring_festival"].tolist() == [1, 1, 0])
    True
    """
    import chinese_calendar as cc

    days = pd.DatetimeIndex(pd.to_datetime(pd.Index(list(dates)))).normalize().unique().sort_values()
    out = pd.DataFrame(0.0, index=days, columns=list(CALENDAR_COLUMNS))
    if len(days) == 0:
        return out
    uncovered: list[int] = []
    spring: list[pd.Timestamp] = []
    years = sorted(set(days.year))
    for year in years:
        start, end = pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31)
        try:
            cc.is_holiday(start.date())
            cc.is_holiday(end.date())
        except NotImplementedError:
            uncovered.append(year)
            continue
        for d in pd.date_range(start, end):  # one loop over the days of a year, not over customers
            off, name = cc.get_holiday_detail(d.date())
            if name == "Spring Festival" and off:
                spring.append(d)
    if uncovered:
        logger.warning("chinesecalendar does not cover %s: no holidays or adjusted working days there", uncovered)
    covered = ~days.year.isin(uncovered)
    for i in np.flatnonzero(covered):
        d = days[i].date()
        off, name = cc.get_holiday_detail(d)
        weekend = days[i].day_of_week >= 5
        out.iloc[i, 0] = float(off and name is not None)
        out.iloc[i, 1] = float(weekend and not off)
    if spring:
        s = pd.DatetimeIndex(spring)
        for _year, grp in pd.Series(s, index=s).groupby(s.year):
            lo = grp.min() - pd.Timedelta(days=SPRING_WINDOW[0])
            hi = grp.max() + pd.Timedelta(days=SPRING_WINDOW[1])
            out.loc[(out.index >= lo) & (out.index <= hi), "spring_festival"] = 1.0
    return out


def temperature_normals(weather: pd.DataFrame, as_of: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """Seasonal normal temperature per region and day of the year (1–366), from the days before ``as_of``.

    The mean over the years of each day of the year, smoothed by a circular ±7-day moving average.

    Examples
    --------
    >>> days = pd.date_range("2023-01-01", "2023-12-31")
    >>> w = pd.DataFrame({"region": "A", "date": days, "temp_c": 10 + 10 * np.sin(2 * np.pi * days.day_of_year / 365)})
    >>> n = temperature_normals(w)
    >>> n.shape, round(float(n.loc[("A", 91)]), 1)
    ((366,), 20.0)
    """
    w = weather[["region", "date", "temp_c"]].dropna()
    if as_of is not None:
        w = w.loc[w["date"] < pd.Timestamp(as_of)]
    if w.empty:
        raise FrameError("weather has no temperature before as_of: no seasonal normal can be formed")
    doy = pd.DatetimeIndex(w["date"]).day_of_year
    table = w.assign(doy=doy).pivot_table(index="doy", columns="region", values="temp_c", aggfunc="mean")
    table = table.reindex(range(1, 367)).interpolate(limit_direction="both")
    arr = table.to_numpy()
    padded = np.concatenate([arr[-7:], arr, arr[:7]])
    c = np.cumsum(np.concatenate([np.zeros((1, arr.shape[1])), padded]), axis=0)
    smooth = (c[15:] - c[:-15]) / 15
    out = pd.DataFrame(smooth, index=table.index, columns=table.columns).stack()
    out.index = out.index.swaplevel().set_names(["region", "doy"])
    return out.sort_index()


@dataclass
class RegressorForecaster:
    """A fitted forecaster with its exogenous columns built for any horizon.

    Attributes
    ----------
    forecaster : ConsumptionForecaster
        Fitted with the exogenous columns ``forecaster.exog_names_``.
    region : Series
        Region of each ``unique_id``.
    future_temp : Series
        Temperature indexed by ``(region, ds)`` for the days after the history that have one
        (a scenario, or the weather table's forecast), else empty.
    normals : Series
        Seasonal normal temperature indexed by ``(region, day of year)`` (:func:`temperature_normals`).
    temperature_source : str
        What the future temperatures are ("seasonal normal", "scenario", ...), said in outputs.
    region_weights : DataFrame or None
        For series that span regions (group sums): index ``unique_id``, one column per region,
        rows summing to 1; their degree-days are the weighted means of the regions' (``region``
        is then unused).
    """

    forecaster: object
    region: pd.Series
    future_temp: pd.Series
    normals: pd.Series
    temperature_source: str = "seasonal normal"
    region_weights: pd.DataFrame | None = None

    @property
    def season_length(self) -> int:
        return int(self.forecaster.season_length)

    @property
    def freq_(self) -> str:
        return self.forecaster.freq_

    @property
    def backtest_errors_(self) -> pd.DataFrame | None:
        return self.forecaster.backtest_errors_

    @property
    def models_(self) -> pd.DataFrame:
        return self.forecaster.models_

    def future_exog(self, h: int) -> pd.DataFrame:
        """``unique_id, ds`` and the exogenous columns for the ``h`` days after each series' history."""
        f = self.forecaster
        out = future_dates(f._ids, f._last_ds, h, f._offset)
        names = list(f.exog_names_)
        if {"heating", "cooling"} & set(names) and self.region_weights is not None:
            def temp_of(regions: np.ndarray, days: np.ndarray) -> np.ndarray:
                key = pd.MultiIndex.from_arrays([regions, days])
                got = self.future_temp.reindex(key).to_numpy() if len(self.future_temp) else np.full(len(key), np.nan)
                normal = self.normals.reindex(pd.MultiIndex.from_arrays([regions, pd.DatetimeIndex(days).day_of_year]))
                return np.where(np.isnan(got), normal.to_numpy(), got)

            out = out.assign(**weighted_degree_days(out, self.region_weights, temp_of))
        elif {"heating", "cooling"} & set(names):
            reg = self.region.reindex(out[ID]).to_numpy()
            key = pd.MultiIndex.from_arrays([reg, out[DS].to_numpy()])
            temp = self.future_temp.reindex(key).to_numpy() if len(self.future_temp) else np.full(len(out), np.nan)
            normal = self.normals.reindex(pd.MultiIndex.from_arrays([reg, pd.DatetimeIndex(out[DS]).day_of_year]))
            temp = np.where(np.isnan(temp), normal.to_numpy(), temp)
            if np.isnan(temp).any():
                bad = pd.unique(out.loc[np.isnan(temp), ID])[:10]
                raise FrameError(f"no future temperature for the regions of some series. Affected series: {list(bad)}")
            out = out.assign(**temperature_features(temp))
        cal_cols = [c for c in CALENDAR_COLUMNS if c in names]
        if cal_cols:
            cal = china_calendar(out[DS].unique())
            out = out.join(cal[cal_cols], on=DS)
        return out[[ID, DS, *names]]

    def predict(self, h: int, X_future: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast ``h`` days; the exogenous columns are built unless ``X_future`` is given."""
        return self.forecaster.predict(h, X_future=self.future_exog(h) if X_future is None else X_future)


def weighted_degree_days(
    keys: pd.DataFrame, weights: pd.DataFrame, temp_of: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> dict[str, np.ndarray]:
    """Heating and cooling degree-days of series spanning regions: the weighted mean of their regions' degree-days.

    Parameters
    ----------
    keys : DataFrame
        ``unique_id, ds`` rows.
    weights : DataFrame
        Index ``unique_id``, one column per region, each row summing to 1.
    temp_of : callable
        ``temp_of(regions, days)`` → the temperature of each (region, day) pair (NaN: unknown).

    Examples
    --------
    >>> keys = pd.DataFrame({"unique_id": ["g", "g"], "ds": pd.to_datetime(["2024-01-01", "2024-07-01"])})
    >>> w = pd.DataFrame({"A": [0.75], "B": [0.25]}, index=["g"])
    >>> temps = {("A", 1): 5.0, ("B", 1): 15.0, ("A", 183): 30.0, ("B", 183): 20.0}
    >>> def temp_of(r, d):
    ...     return np.array([temps[(a, b)] for a, b in zip(r, pd.DatetimeIndex(d).day_of_year)])
    >>> dd = weighted_degree_days(keys, w, temp_of)
    >>> dd["heating"].tolist(), dd["cooling"].tolist()  # heating below 15 °C, cooling above 22 °C
    ([7.5, 0.0], [0.0, 6.0])
    """
    days = pd.DatetimeIndex(pd.unique(keys[DS]))
    regions = np.asarray(weights.columns)
    temp = temp_of(np.repeat(regions, len(days)), np.tile(days.to_numpy(), len(regions)))
    temp = np.asarray(temp, dtype=float).reshape(len(regions), len(days)).T  # (days, regions)
    w = weights.reindex(keys[ID]).to_numpy(float)
    if np.isnan(w).any():
        bad = pd.unique(keys.loc[np.isnan(w).any(axis=1), ID])[:10]
        raise FrameError(f"region_weights has no row for some series. Affected series: {list(bad)}")
    used = w > 0
    if np.isnan(temp).any():
        missing = np.isnan(temp)[days.get_indexer(keys[DS])] & used
        if missing.any():
            bad = pd.unique(keys.loc[missing.any(axis=1), ID])[:10]
            raise FrameError(f"no temperature for some days of the regions of some series. Affected series: {list(bad)}")
    pos = days.get_indexer(keys[DS])
    feats = temperature_features(np.nan_to_num(temp))
    return {k: (w * v[pos]).sum(axis=1) for k, v in feats.items()}


def add_calendar(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (a long frame) with the columns of :func:`china_calendar` for its days.

    Examples
    --------
    >>> df = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-10-01", periods=2), "y": 1.0})
    >>> add_calendar(df)["holiday"].tolist()
    [1.0, 1.0]
    """
    cal = china_calendar(df[DS].unique())
    days = pd.DatetimeIndex(df[DS]).normalize()
    return df.assign(**{c: cal[c].reindex(days).to_numpy() for c in CALENDAR_COLUMNS})


def with_regressors(
    forecaster: object, customers: pd.DataFrame, weather: pd.DataFrame, as_of: pd.Timestamp | str,
    future_temperature: str = "normal",
) -> RegressorForecaster:
    """Wrap a forecaster fitted with degree-days and/or calendar columns so that ``predict(h)`` builds them.

    ``future_temperature``: ``normal`` (the seasonal normal of the days before ``as_of``) or
    ``weather`` (the weather table's days from ``as_of`` on — a scenario or a weather forecast
    loaded there —, the normal where it has none).
    """
    as_of = pd.Timestamp(as_of)
    region = customers.set_index("customer_id")["region"]
    normals = temperature_normals(weather, as_of) if len(weather) else pd.Series(dtype=float)
    future = pd.Series(dtype=float)
    source = "seasonal normal of the years before as_of"
    if future_temperature == "weather":
        later = weather.loc[weather["date"] >= as_of].dropna(subset=["temp_c"])
        future = later.set_index(["region", "date"])["temp_c"]
        source = "the weather table after as_of (scenario), seasonal normal elsewhere"
    return RegressorForecaster(forecaster, region, future, normals, source)
