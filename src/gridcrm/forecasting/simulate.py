"""Simulated seasonal ARIMA processes with known parameters (for tests, examples and checks of coverage)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from gridcrm.forecasting._arima import diff_poly, expand_ar, expand_ma

__all__ = ["simulate_arima", "arima_frame"]


def simulate_arima(
    ar: Sequence[float] = (),
    ma: Sequence[float] = (),
    n: int = 500,
    n_series: int = 1,
    *,
    d: int = 0,
    D: int = 0,
    s: int = 1,
    seasonal_ar: Sequence[float] = (),
    seasonal_ma: Sequence[float] = (),
    sigma: float = 1.0,
    mean: float = 0.0,
    burn: int = 200,
    seed: int = 0,
) -> np.ndarray:
    """Simulate ``n_series`` independent paths of a seasonal ARIMA process.

    ``phi(B) Phi(B^s) (1 - B)^d (1 - B^s)^D (y_t - mean) = theta(B) Theta(B^s) e_t`` with
    ``e_t ~ N(0, sigma^2)``; signs as in statsmodels (``ar=[0.6]`` is ``y_t = 0.6 y_{t-1} + e_t``,
    ``ma=[0.4]`` is ``e_t + 0.4 e_{t-1}``).

    Returns
    -------
    ndarray of shape (n, n_series)
        Time-major paths.

    Examples
    --------
    >>> Y = simulate_arima(ar=[0.5], n=1000, n_series=2, seed=1)
    >>> Y.shape
    (1000, 2)
    """
    rng = np.random.default_rng(seed)
    a = expand_ar(np.atleast_2d(np.asarray(ar, float)).reshape(1, -1), np.asarray(seasonal_ar, float).reshape(1, -1), s)
    m = expand_ma(np.asarray(ma, float).reshape(1, -1), np.asarray(seasonal_ma, float).reshape(1, -1), s)
    e = rng.normal(0.0, sigma, size=(n + burn, n_series))
    w = lfilter(m[0], a[0], e, axis=0)
    y = lfilter([1.0], diff_poly(d, D, s), w, axis=0) if d or D else w
    return y[burn:] + mean


def arima_frame(Y: np.ndarray, start: str = "2023-01-01", freq: str = "D") -> pd.DataFrame:
    """A long frame ``unique_id, ds, y`` from time-major paths (ids 0, 1, ...).

    Examples
    --------
    >>> arima_frame(np.zeros((3, 2))).shape
    (6, 3)
    """
    T, N = Y.shape
    ds = pd.date_range(start, periods=T, freq=freq)
    return pd.DataFrame({"unique_id": np.repeat(np.arange(N), T), "ds": np.tile(ds, N), "y": Y.T.ravel()})
