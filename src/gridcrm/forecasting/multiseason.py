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

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.forecasting._models import FittedModels, predict_models

__all__ = ["MultiSeasonFit", "fit_multi_season", "decompose", "MULTI_SEASON_WEEKS"]

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
        At least two weeks (``2 s`` steps) observed in every column; at most the last
        ``weeks`` whole weeks that every column has are used.
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
    n_obs = int((~np.isnan(Y)).sum(axis=0).min()) if N else T
    k = min(weeks, n_obs // s)
    if k < 2:
        raise ValueError(f"the two-season model needs at least two weeks ({2 * s} steps) of history, got {n_obs}")
    Yk = Y[T - k * s :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        trend, D, W = decompose(Yk, s)
    p = s // 7
    pos = np.arange(k * s)
    Z = Yk - D[pos % p] - W[pos % s]
    rest = fit_rest(Z, 1)
    future = np.arange(s)  # step j + 1 after the end sits at week position (k s + j) % s = j
    return MultiSeasonFit(s=s, p=p, seasonal=D[future % p] + W[future], rest=rest)
