"""Two seasons at once (a day and a week of interval load): an MSTL-type decomposition with ARIMA on the rest.

For hourly, half-hourly or 15-minute load (a week of ``s`` steps, a day of ``p = s / 7``), every
series of a time-major matrix is decomposed, all series at once in numpy, over its last
``MULTI_SEASON_WEEKS`` weeks, in the order of MSTL (Bandara, Hyndman & Bergmeir 2021):

1. **trend**: the daily means, smoothed by a centred 7-day moving average and interpolated
   linearly between day centres;
2. **daily season** ``D`` (``p`` values): at each position of the day, the median over all days
   of the detrended series (medians: a holiday or a spike does not move the profile);
3. **weekly season** ``W`` (``s`` values): at each position of the week, the median over the weeks
   of what the daily season leaves, smoothed by a 3-step moving average along the week;
4. **ARIMA on the deseasonalised series** (trend + remainder): a non-seasonal ARIMA by the
   batched or exact engine (``fit_rest(Z, 1)``); its forecast plus ``D + W`` at the future
   positions is the forecast, its psi-weight standard deviation the range (calibrated on
   backtests by :mod:`gridcrm.forecasting.select` when it under-covers).

statsmodels' ``MSTL`` does the same with loess smoothers; on 15-minute data it takes about 5 s
per series for 8 weeks (measured), too slow for a backtested choice over many customers, so the
smoothers here are medians and moving averages.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from gridcrm._params import Check, Options, ValidatedParams
from gridcrm.forecasting._models import FittedModels, concat_models, predict_models, take_models

__all__ = ["MultiSeasonFit", "fit_multi_season", "decompose", "MULTI_SEASON_WEEKS", "CalendarProfileForecaster",
           "day_types"]

logger = logging.getLogger(__name__)

#: Weeks of history the decomposition uses (at most).
MULTI_SEASON_WEEKS = 6


def _moving_average(a: np.ndarray, width: int, circular: bool) -> np.ndarray:
    """Centred moving average of width ``width`` (odd) along axis 0 of ``a`` (n, N); shorter at the ends."""
    half = width // 2
    if circular:
        padded = np.concatenate([a[-half:], a, a[:half]]) if half else a
        c = np.cumsum(np.concatenate([np.zeros((1, a.shape[1])), padded]), axis=0)
        return (c[width:] - c[:-width]) / width
    n = a.shape[0]
    c = np.cumsum(np.concatenate([np.zeros((1, a.shape[1])), a]), axis=0)
    lo = np.clip(np.arange(n) - half, 0, n)
    hi = np.clip(np.arange(n) + half + 1, 0, n)
    return (c[hi] - c[lo]) / (hi - lo)[:, None]


def decompose(Y: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trend ``(T, N)``, daily season ``(p, N)`` and weekly season ``(s, N)`` of ``Y`` (T, N), ``T`` a multiple of ``s``.

    The daily season has median zero over its positions' medians by construction of the
    detrending; the seasonal part of step ``t`` is ``D[t % p] + W[t % s]``.

    Examples
    --------
    >>> t = np.arange(4 * 168)
    >>> y = 10 + np.where(t % 24 < 12, 2.0, -2.0) + np.where(t % 168 >= 120, -1.0, 0.5)
    >>> trend, D, W = decompose(y[:, None], 168)
    >>> seasonal = D[t % 24, 0] + W[t % 168, 0]
    >>> err = np.abs(trend[:, 0] + seasonal - y)
    >>> round(float(np.median(err)), 6), bool(np.quantile(err, 0.9) < 0.35)  # smoothing blurs the weekday edges
    (0.0, True)
    """
    T, N = Y.shape
    p = s // 7
    days = T // p
    daily_mean = Y.reshape(days, p, N).mean(axis=1)
    smooth = _moving_average(daily_mean, 7, circular=False)
    # linear interpolation between day centres (flat beyond the first and last centre)
    frac = (np.arange(p) + 0.5) / p - 0.5
    nxt = np.vstack([smooth[1:], smooth[-1:]])
    prv = np.vstack([smooth[:1], smooth[:-1]])
    slope = np.where(frac[None, :, None] >= 0, nxt[:, None, :] - smooth[:, None, :], smooth[:, None, :] - prv[:, None, :])
    trend = (smooth[:, None, :] + frac[None, :, None] * slope).reshape(T, N)
    x = Y - trend
    D = np.median(x.reshape(days, p, N), axis=0)
    r = x - np.tile(D, (days, 1))
    W = np.median(r.reshape(T // s, s, N), axis=0)
    W = _moving_average(W, 3, circular=True)
    return trend, D, W


@dataclass
class MultiSeasonFit:
    """Fitted two-season model of ``N`` series.

    Attributes
    ----------
    s, p : int
        Week and day in steps.
    seasonal : ndarray (s, N)
        Row ``j``: seasonal part (daily + weekly) of the step ``j + 1`` steps after the end.
    rest : FittedModels
        Non-seasonal ARIMA models of the deseasonalised series.
    """

    s: int
    p: int
    seasonal: np.ndarray
    rest: FittedModels

    def predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation ``(h, N)``."""
        mean, sd = predict_models(self.rest, h)
        return mean + self.seasonal[np.arange(h) % self.s], sd

    def table(self) -> pd.DataFrame:
        """Per-series model table (the ARIMA of the deseasonalised series, relabelled)."""
        t = self.rest.table.copy()
        t["model"] = f"MSTL[{self.p},{self.s}] + " + t["model"].astype(str)
        t["s"] = self.s
        return t


def fit_multi_season(
    Y: np.ndarray, s: int, fit_rest: Callable[[np.ndarray, int], FittedModels], *, weeks: int = MULTI_SEASON_WEEKS
) -> MultiSeasonFit:
    """Fit the two-season model to the columns of ``Y`` (T, N), right-aligned and gap-free.

    Parameters
    ----------
    Y : ndarray of shape (T, N)
        At least two weeks (``2 s`` steps) observed in every column; each column uses at most
        its last ``weeks`` whole weeks (the columns with as many whole weeks are fitted
        together: a series' model does not depend on the other columns).
    s : int
        The week in steps, a multiple of 7 (168 hourly, 336 half-hourly, 672 for 15 minutes).
    fit_rest : callable
        ``fit_rest(Z, 1)`` fits non-seasonal ARIMA models to the deseasonalised series.
    weeks : int
        Weeks of history used by the decomposition and the ARIMA.

    Returns
    -------
    MultiSeasonFit

    Examples
    --------
    >>> from gridcrm.forecasting.batched import fit_batched
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(6 * 168)
    >>> day = np.where((t % 24 >= 8) & (t % 24 < 20), 3.0, 1.0) * np.where(t % 168 >= 120, 0.5, 1.0)
    >>> Y = day[:, None] + rng.normal(0, 0.05, (t.size, 2))
    >>> m = fit_multi_season(Y, 168, lambda Z, s: fit_batched(Z, s))
    >>> mean, sd = m.predict(168)
    >>> bool(np.median(np.abs(mean[:, 0] - day[:168])) < 0.05)
    True
    """
    if s % 7:
        raise ValueError(f"season_length {s} is not a week of whole days (a multiple of 7)")
    T, N = Y.shape
    n_obs = (~np.isnan(Y)).sum(axis=0) if N else np.array([T])
    weeks_of = np.minimum(weeks, n_obs // s)  # whole weeks each column uses
    if weeks_of.min() < 2:
        raise ValueError(f"the two-season model needs at least two weeks ({2 * s} steps) of history, "
                         f"got {int(n_obs.min())}")
    p = s // 7
    future = np.arange(s)  # step j + 1 after the end sits at week position (k s + j) % s = j
    seasonal = np.empty((s, max(N, 1)))
    parts, order = [], []
    for k in np.unique(weeks_of):  # a few groups (at most weeks - 1), not a loop over series
        cols = np.flatnonzero(weeks_of == k) if N else slice(None)
        Yk = Y[T - int(k) * s :, cols]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            trend, D, W = decompose(Yk, s)
        pos = np.arange(int(k) * s)
        parts.append(fit_rest(Yk - D[pos % p] - W[pos % s], 1))
        order.append(cols)
        seasonal[:, cols] = D[future % p] + W[future]
    rest = parts[0] if len(parts) == 1 else take_models(concat_models(parts),
                                                          np.argsort(np.concatenate(order), kind="stable"))
    return MultiSeasonFit(s=s, p=p, seasonal=seasonal[:, :N], rest=rest)


# --- the Chinese calendar in interval forecasts ------------------------------------------------------------------------
#: Day types of :func:`day_types`.
ORDINARY, HOLIDAY, WORKDAY_ADJUSTED = 0, 1, 2
#: Bounds of a customer's holiday ratio (its holidays' mean load over its nearby Sundays').
HOLIDAY_RATIO_BOUNDS = (0.05, 3.0)
#: Days either side of a holiday whose ordinary Sundays make the ratio's reference.
HOLIDAY_REFERENCE_DAYS = 14


def day_types(days: pd.DatetimeIndex | pd.Series) -> pd.Series:
    """Type of each day from the Chinese calendar: ``ORDINARY`` (0), ``HOLIDAY`` (1) or ``WORKDAY_ADJUSTED`` (2).

    A holiday is a statutory day off (the weekend days inside a holiday included); an adjusted
    working day a Saturday or Sunday worked to bridge one (:func:`~gridcrm.forecasting.regressors.china_calendar`).

    Examples
    --------
    >>> day_types(pd.date_range("2024-09-28", "2024-10-02")).tolist()
    [0, 2, 0, 1, 1]
    """
    from gridcrm.forecasting.regressors import china_calendar

    cal = china_calendar(pd.DatetimeIndex(days))
    kind = np.where(cal["holiday"] > 0, HOLIDAY, np.where(cal["workday_adjusted"] > 0, WORKDAY_ADJUSTED, ORDINARY))
    return pd.Series(kind.astype(int), index=cal.index, name="day_type")


def _nearest_donor(days: pd.DatetimeIndex, kind: pd.Series, wanted: Callable[[pd.Timestamp, pd.Timestamp], bool],
                   candidates: Iterable[pd.Timestamp]) -> dict[pd.Timestamp, pd.Timestamp]:
    """For each special day of ``days``, the nearest of ``candidates`` (sorted by distance) ``wanted`` accepts."""
    out: dict[pd.Timestamp, pd.Timestamp] = {}
    pool = list(candidates)
    for d in days[kind.reindex(days).to_numpy() != ORDINARY]:  # a loop over the few special days, not over customers
        for c in sorted(pool, key=lambda c: (abs((c - d).days), c > d)):
            if wanted(d, c):
                out[d] = c
                break
    return out


class CalendarProfileForecaster(ValidatedParams, BaseEstimator):
    """Interval (or daily) forecasts that know the Chinese calendar: holidays from the customer's holiday/Sunday profile.

    A forecaster of ordinary weeks (the two-season model, blocks, seasonal naive... whatever the
    wrapped :class:`~gridcrm.forecasting.ConsumptionForecaster` chooses by backtest) forecasts a
    holiday like the weekday it falls on, and a weekly naive repeats last week's holiday next week.
    This wrapper, in :meth:`fit`:

    1. measures each customer's **holiday ratio**: its mean load on the holidays of the history
       over its mean load on the ordinary Sundays within ``HOLIDAY_REFERENCE_DAYS`` days of them
       (1 when the history has no holiday), used with ``holiday_profile="own"``;
    2. replaces every holiday and adjusted working day of the history by the nearest ordinary day
       of the same weekday (one to three weeks away), so the wrapped forecaster learns ordinary weeks;

    and in :meth:`predict`, on the forecaster's forecast of at least a week, replaces

    * each **holiday** by the forecast of the nearest forecast Sunday (times the holiday ratio
      with ``holiday_profile="own"``; forecast and range bounds alike),
    * each **adjusted working day** (a Saturday or Sunday worked) by the nearest forecast Monday–Friday.

    Parameters
    ----------
    forecaster : ConsumptionForecaster, optional
        Unfitted forecaster of the ordinary weeks (cloned); default
        ``ConsumptionForecaster(season_length=672, freq="15min", interval_method="conformal")``.
        Its ``season_length`` must be a week of whole days.
    calendar : {"cn"}
        The holiday calendar: ``cn``, China's (``chinesecalendar``).
    holiday_profile : {"sunday", "own"}
        ``sunday``: a holiday is the nearest forecast Sunday as it is; ``own``: times the
        customer's holiday ratio. ``sunday`` is the default: a ratio learned from the one or two
        short holidays a few weeks of interval history hold does not carry to the next one
        (on the demo sample, where customers ran as usual over Mid-autumn, ``own`` forecast
        National Day at up to 1.5 × their Sundays: MASE 1.95 against 0.87).

    Attributes
    ----------
    forecaster_ : ConsumptionForecaster
        Fitted on the history with its holidays and adjusted working days replaced.
    models_ : DataFrame
        The forecaster's ``models_`` plus ``holiday_ratio`` (measured, whether used or not) and
        ``holiday_days`` (holidays in the history).
    days_replaced_ : int
        Days of the history replaced (holidays and adjusted working days with an ordinary donor).

    Examples
    --------
    >>> from gridcrm.forecasting import ConsumptionForecaster
    >>> days = pd.date_range("2024-08-05", "2024-09-29")
    >>> base = np.where(days.day_of_week == 6, 40.0, 100.0)
    >>> base[days.isin(pd.to_datetime(["2024-09-15", "2024-09-16", "2024-09-17"]))] = 20.0  # half a Sunday
    >>> base[days == pd.Timestamp("2024-09-14")] = 100.0  # the Saturday worked
    >>> df = pd.DataFrame({"unique_id": 1, "ds": days, "y": base})
    >>> m = CalendarProfileForecaster(forecaster=ConsumptionForecaster(season_length=7, freq="D"),
    ...                               holiday_profile="own").fit(df)
    >>> round(float(m.models_.loc[1, "holiday_ratio"]), 2)
    0.5
    >>> m.predict(7)["forecast"].round(1).tolist()  # 30 Sep a Monday, 1-6 Oct National Day, 6 Oct a Sunday
    [100.0, 20.0, 20.0, 20.0, 20.0, 20.0, 20.0]
    """

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        "forecaster": [Check(lambda v: hasattr(v, "fit") and hasattr(v, "predict"), "an unfitted forecaster"), None],
        "calendar": [Options({"cn"})],
        "holiday_profile": [Options({"sunday", "own"})],
    }

    def __init__(self, *, forecaster: object | None = None, calendar: str = "cn", holiday_profile: str = "sunday"
                 ) -> None:
        self.forecaster = forecaster
        self.calendar = calendar
        self.holiday_profile = holiday_profile

    def _inner(self) -> object:
        if self.forecaster is not None:
            return self.forecaster
        from gridcrm.forecasting.forecaster import ConsumptionForecaster

        return ConsumptionForecaster(season_length=672, freq="15min", interval_method="conformal")

    @property
    def season_length(self) -> int:
        """The wrapped forecaster's season (what :func:`~gridcrm.forecasting.backtest` scales MASE by)."""
        return int(self._inner().season_length)

    @property
    def freq(self) -> str | None:
        return getattr(self._inner(), "freq", None)

    def fit(self, df: pd.DataFrame, y: None = None, *, days: object | None = None) -> CalendarProfileForecaster:
        """Fit on ``df`` (``unique_id, ds, y``), its holidays and adjusted working days replaced.

        Parameters
        ----------
        df : DataFrame
        y : None
            Ignored.
        days : date-like sequence, optional
            The days the calendar is read on: which ordinary day replaces a holiday, which
            Sundays a holiday ratio compares with. Default: the days of ``df``. When ``df`` is
            one part of a larger frame (the Spark engine fits a partition of series at a time),
            give the days of the whole frame, so that a series' fit does not depend on the
            series that share its part. Must hold every day of ``df``.

        Returns
        -------
        self
        """
        from sklearn.base import clone

        from gridcrm.forecasting.frame import validate_frame

        self._validate_params()
        validate_frame(df, name="df")
        s = self.season_length
        if s % 7:
            raise ValueError(f"CalendarProfileForecaster: the forecaster's season_length {s} is not a week of whole "
                             "days (a multiple of 7: 7 daily, 168 hourly, 336 half-hourly, 672 for 15 minutes)")
        day = pd.DatetimeIndex(df["ds"]).normalize()
        days = _calendar_days(day, days, "df")
        kind = day_types(days)
        ordinary = set(days[kind.to_numpy() == ORDINARY])

        def same_weekday(d: pd.Timestamp, c: pd.Timestamp) -> bool:
            return c in ordinary and (c - d).days % 7 == 0 and 0 < abs((c - d).days) <= 21

        donors = _nearest_donor(days, kind, same_weekday, days)
        shift = pd.Series({d: c - d for d, c in donors.items()}, dtype="timedelta64[ns]")
        offset = shift.reindex(day).fillna(pd.Timedelta(0)).to_numpy()
        y_of = df.set_index(["unique_id", "ds"])["y"]
        moved = offset != np.timedelta64(0, "ns")
        donor_y = y_of.reindex(pd.MultiIndex.from_arrays([df["unique_id"].to_numpy(), df["ds"].to_numpy() + offset]))
        donor_y = donor_y.to_numpy()
        new_y = np.where(moved & ~np.isnan(donor_y), donor_y, df["y"].to_numpy(float))
        cleaned = df.assign(y=new_y)
        # holiday ratio: the holidays' mean load over that of the ordinary Sundays within HOLIDAY_REFERENCE_DAYS
        is_hol = kind.reindex(day).to_numpy() == HOLIDAY
        hol_days = days[kind.to_numpy() == HOLIDAY]
        near = np.zeros(len(day), dtype=bool)
        if len(hol_days):
            sundays = days[(days.day_of_week == 6) & (kind.to_numpy() == ORDINARY)]
            gap = np.abs((sundays.to_numpy()[:, None] - hol_days.to_numpy()[None, :]) / np.timedelta64(1, "D"))
            ref = sundays[(gap <= HOLIDAY_REFERENCE_DAYS).any(axis=1)]
            near = day.isin(ref)
        ids = df["unique_id"].to_numpy()
        yv = df["y"].to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            hol_mean = pd.Series(np.where(is_hol, yv, np.nan)).groupby(ids).mean()
            ref_mean = pd.Series(np.where(near, yv, np.nan)).groupby(ids).mean()
            ratio = (hol_mean / ref_mean).where(ref_mean > 0)
        ratio = ratio.clip(*HOLIDAY_RATIO_BOUNDS).fillna(1.0)
        n_hol = pd.Series(is_hol & ~np.isnan(yv)).groupby(ids).sum() // max(1, self.season_length // 7)
        self.forecaster_ = clone(self._inner()).fit(cleaned)
        models = self.forecaster_.models_
        self.holiday_ratio_ = ratio.reindex(models.index).fillna(1.0)
        self.models_ = models.assign(holiday_ratio=self.holiday_ratio_.to_numpy(),
                                     holiday_days=n_hol.reindex(models.index).fillna(0).astype(int).to_numpy())
        self.days_replaced_ = int(len(donors))
        logger.info("calendar: %d special day(s) of the history replaced by an ordinary day", self.days_replaced_)
        return self

    def predict(self, h: int, X_future: pd.DataFrame | None = None, *, days: object | None = None) -> pd.DataFrame:
        """Forecast ``h`` steps: the wrapped forecaster's, holidays and adjusted working days replaced.

        Parameters
        ----------
        h : int
        X_future : DataFrame, optional
            As the wrapped forecaster's.
        days : date-like sequence, optional
            The forecast days a holiday may take its Sunday (or an adjusted working day its
            weekday) from. Default: the days of this forecast (at least a week after each
            series' end); give those of the whole frame's forecast when this model was fitted
            on one part of it (see :meth:`fit`). Must hold every forecast day.

        Returns
        -------
        DataFrame
            As the wrapped forecaster's (``unique_id, ds, forecast, lo_*, hi_*``) plus ``day_type``.
        """
        check_is_fitted(self, "forecaster_")
        s = self.season_length
        full = self.forecaster_.predict(max(int(h), s), X_future=X_future) if X_future is not None else \
            self.forecaster_.predict(max(int(h), s))
        full = full.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        day = pd.DatetimeIndex(full["ds"]).normalize()
        days = _calendar_days(day, days, "the forecast")
        kind = day_types(days)
        weekday = days.day_of_week
        sundays = set(days[weekday == 6])
        workdays = set(days[weekday < 5])
        kinds = kind.to_numpy()
        hol = days[kinds == HOLIDAY]
        adj = days[kinds == WORKDAY_ADJUSTED]
        src = {**_nearest_donor(hol, kind, lambda d, c: c in sundays, days),
               **_nearest_donor(adj, kind, lambda d, c: c in workdays, days)}
        values = [c for c in full.columns if c not in ("unique_id", "ds")]
        shift = pd.Series({d: c - d for d, c in src.items()}, dtype="timedelta64[ns]")
        offset = shift.reindex(day).fillna(pd.Timedelta(0)).to_numpy()
        moved = day.isin(shift.index)  # a holiday Sunday is its own donor (offset 0), times the ratio
        table = full.set_index(["unique_id", "ds"])[values]
        donor = table.reindex(pd.MultiIndex.from_arrays([full["unique_id"].to_numpy(), full["ds"].to_numpy() + offset]))
        ratio = self.holiday_ratio_.reindex(full["unique_id"]).fillna(1.0).to_numpy()
        factor = np.where((kind.reindex(day).to_numpy() == HOLIDAY) & (self.holiday_profile == "own"), ratio, 1.0)
        ok = moved & donor[values[0]].notna().to_numpy()
        for c in values:
            full[c] = np.where(ok, donor[c].to_numpy() * factor, full[c].to_numpy())
        full["day_type"] = kind.reindex(day).to_numpy()
        keep = full.groupby("unique_id", sort=False).cumcount() < int(h)
        return full.loc[keep].reset_index(drop=True)


def _calendar_days(day: pd.DatetimeIndex, given: object | None, what: str) -> pd.DatetimeIndex:
    """The sorted distinct days of ``day``, or the ``given`` days (which must hold all of them)."""
    if given is None:
        return pd.DatetimeIndex(day.unique()).sort_values()
    days = pd.DatetimeIndex(pd.to_datetime(given)).normalize().unique().sort_values()
    outside = pd.DatetimeIndex(day.unique()).difference(days)
    if len(outside):
        raise ValueError(f"days lacks {len(outside)} day(s) of {what}, e.g. {outside[0].date()}: give every day of "
                         "the whole frame")
    return days
