"""Fitted ARIMA models of many series in one structure, their forecasts, and the fallback models.

Every engine (and every fallback: seasonal naive, naive, constant, mean) ends as the
same representation, ``ar_full(B) y_t = c + ma(B) e_t`` with ``ar_full`` including the
differencing, so forecasting and intervals are one vectorised code path.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcrm.forecasting._arima import forecast_recursive, psi_weights

__all__ = [
    "FittedModels",
    "seasonal_naive_models",
    "robust_constant_models",
    "guard_models",
    "predict_models",
    "concat_models",
    "take_models",
]

#: Columns of the per-series model table (``models_``).
MODEL_COLUMNS = [
    "model",
    "p",
    "d",
    "q",
    "P",
    "D",
    "Q",
    "s",
    "constant",
    "aicc",
    "sigma2",
    "n_obs",
    "n_imputed",
    "engine",
    "fallback",
]


@dataclass
class FittedModels:
    """ARIMA models of ``N`` series, ready to forecast.

    Attributes
    ----------
    ar_full : ndarray (N, La)
        AR polynomial times the differencing polynomial.
    ma : ndarray (N, Lm)
        MA polynomial.
    c : ndarray (N,)
        Constant of the differenced equation.
    sigma2 : ndarray (N,)
        Innovation variance.
    y_tail, e_tail : ndarray (La - 1, N), (Lm - 1, N)
        Last values of the series (minus the exogenous part) and of its residuals.
    beta : ndarray (N, K)
        Coefficients of the exogenous columns (K may be 0).
    table : DataFrame
        One row per series, columns :data:`MODEL_COLUMNS`.
    """

    ar_full: np.ndarray
    ma: np.ndarray
    c: np.ndarray
    sigma2: np.ndarray
    y_tail: np.ndarray
    e_tail: np.ndarray
    beta: np.ndarray
    table: pd.DataFrame = field(repr=False)

    @property
    def n_series(self) -> int:
        return self.c.shape[0]


def _pad_cols(a: np.ndarray, L: int) -> np.ndarray:
    return np.pad(a, ((0, 0), (0, L - a.shape[1])))


def _pad_rows_front(a: np.ndarray, L: int) -> np.ndarray:
    return np.pad(a, ((L - a.shape[0], 0), (0, 0)))


def concat_models(parts: list[FittedModels]) -> FittedModels:
    """Stack fitted models of disjoint sets of series (in the given order)."""
    La = max(p.ar_full.shape[1] for p in parts)
    Lm = max(p.ma.shape[1] for p in parts)
    K = max(p.beta.shape[1] for p in parts)
    return FittedModels(
        ar_full=np.concatenate([_pad_cols(p.ar_full, La) for p in parts]),
        ma=np.concatenate([_pad_cols(p.ma, Lm) for p in parts]),
        c=np.concatenate([p.c for p in parts]),
        sigma2=np.concatenate([p.sigma2 for p in parts]),
        y_tail=np.concatenate([_pad_rows_front(p.y_tail, La - 1) for p in parts], axis=1),
        e_tail=np.concatenate([_pad_rows_front(p.e_tail, Lm - 1) for p in parts], axis=1),
        beta=np.concatenate([_pad_cols(p.beta, K) for p in parts]),
        table=pd.concat([p.table for p in parts], ignore_index=True),
    )


def take_models(m: FittedModels, idx: np.ndarray) -> FittedModels:
    """The models of series ``idx``."""
    return FittedModels(
        ar_full=m.ar_full[idx],
        ma=m.ma[idx],
        c=m.c[idx],
        sigma2=m.sigma2[idx],
        y_tail=m.y_tail[:, idx],
        e_tail=m.e_tail[:, idx],
        beta=m.beta[idx],
        table=m.table.iloc[idx].reset_index(drop=True),
    )


def replace_models(m: FittedModels, idx: np.ndarray, new: FittedModels) -> FittedModels:
    """``m`` with the series at positions ``idx`` replaced by ``new`` (same length as ``idx``)."""
    if len(idx) == 0:
        return m
    keep = np.setdiff1d(np.arange(m.n_series), idx)
    order = np.argsort(np.concatenate([keep, idx]), kind="stable")
    both = concat_models([take_models(m, keep), new])
    return take_models(both, order)


def _table(n: int, **cols: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "model": "",
        "p": 0,
        "d": 0,
        "q": 0,
        "P": 0,
        "D": 0,
        "Q": 0,
        "s": 1,
        "constant": False,
        "aicc": np.nan,
        "sigma2": np.nan,
        "n_obs": 0,
        "n_imputed": 0,
        "engine": "",
        "fallback": "",
    }
    base.update(cols)
    return pd.DataFrame({k: np.broadcast_to(np.asarray(v), (n,)).copy() for k, v in base.items()})[MODEL_COLUMNS]


def seasonal_naive_models(Y: np.ndarray, s: int, reason: str | np.ndarray, engine: str) -> FittedModels:
    """Fallback models for the columns of ``Y`` (T, N): the simplest forecast each series allows.

    * at least ``s + 2`` points: seasonal naive ``y_t = y_{t-s}``;
    * at least 2 points: naive ``y_t = y_{t-1}``;
    * 1 point: that value, with zero variance;
    * no point: NaN forecasts.

    A constant series (all-zero included) gets a zero variance. ``reason`` is recorded
    in the ``fallback`` column.
    """
    T, N = Y.shape
    n_obs = (~np.isnan(Y)).sum(axis=0) if T else np.zeros(N, dtype=int)
    s_eff = np.where(n_obs >= s + 2, s, 1)
    L = max(s, 1) + 1
    ar = np.zeros((N, L))
    ar[:, 0] = 1.0
    ar[np.arange(N), s_eff] = -1.0
    sigma2 = np.zeros(N)
    for lag in np.unique(s_eff):
        cols = np.flatnonzero(s_eff == lag)
        if T > lag:
            with np.errstate(invalid="ignore", over="ignore"):
                diffs = Y[lag:, cols] - Y[:-lag, cols]
                cnt = (~np.isnan(diffs)).sum(axis=0)
                ss = np.nansum(diffs**2, axis=0)
            sigma2[cols] = np.where(cnt > 0, ss / np.maximum(cnt, 1), 0.0)
    last = Y[-(L - 1) :] if T >= L - 1 else np.pad(Y, ((L - 1 - T, 0), (0, 0)), constant_values=np.nan)
    if n_obs.min(initial=1) < L - 1 and T:
        # series shorter than a season: repeat their last value back in time
        filled = pd.DataFrame(last).bfill().ffill().to_numpy()
        last = np.where(np.isnan(last), filled, last)
    empty = n_obs == 0
    c = np.where(empty, np.nan, 0.0)
    reasons = np.broadcast_to(np.asarray(reason, dtype=object), (N,))
    names = np.where(s_eff == s, f"SeasonalNaive[{s}]", "Naive")
    names = np.where(n_obs <= 1, "Constant", names)
    names = np.where(empty, "None", names)
    table = _table(
        N,
        model=names,
        d=np.where(s_eff == 1, 1, 0) * (n_obs > 1),
        D=(s_eff == s) & (s > 1),
        s=s,
        sigma2=sigma2,
        n_obs=n_obs,
        engine=engine,
        fallback=reasons,
    )
    table["D"] = table["D"].astype(int)
    return FittedModels(
        ar_full=ar,
        ma=np.ones((N, 1)),
        c=c,
        sigma2=sigma2,
        y_tail=np.nan_to_num(last, nan=0.0) + np.where(empty, np.nan, 0.0)[None, :],
        e_tail=np.zeros((0, N)),
        beta=np.zeros((N, 0)),
        table=table,
    )


def predict_models(m: FittedModels, h: int, X_future: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Point forecasts and forecast standard deviations, each ``(h, N)``.

    Parameters
    ----------
    m : FittedModels
    h : int
        Horizon.
    X_future : ndarray (h, N, K), optional
        Future exogenous values, needed when ``m.beta`` has columns.
    """
    mean = forecast_recursive(m.y_tail, m.e_tail, m.ar_full, m.ma, m.c, h)
    if m.beta.shape[1]:
        mean = mean + np.einsum("hnk,nk->hn", X_future, m.beta)

    psi = psi_weights(m.ar_full, m.ma, h)
    sd = np.sqrt(np.cumsum(psi**2, axis=0) * m.sigma2[None, :])
    return mean, sd


def robust_constant_models(Y: np.ndarray, s: int, reason: str | np.ndarray, engine: str) -> FittedModels:
    """Last-resort models for the columns of ``Y`` (T, N): the median of the last season, with a robust variance.

    The standard deviation is 1.4826 times the median absolute seasonal difference (first
    differences when the series is shorter than two seasons), so a few absurd values cannot
    make it infinite; the variance is capped at 1e300. Series without any observation get NaN.
    """
    T, N = Y.shape
    s = max(int(s), 1)
    lag = s if T > 2 * s else 1
    with np.errstate(invalid="ignore", over="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: NaN on purpose
        recent = Y[-s:] if T >= s else Y
        level = np.nanmedian(recent, axis=0) if T else np.full(N, np.nan)
        level = np.where(np.isnan(level), np.nanmedian(Y, axis=0), level) if T else level
        diffs = np.abs(Y[lag:] - Y[:-lag]) if T > lag else np.full((1, N), np.nan)
        sd = 1.4826 * np.nanmedian(np.where(np.isfinite(diffs), diffs, np.nan), axis=0)
    sigma2 = np.minimum(np.nan_to_num(sd, nan=0.0), 1e150) ** 2
    empty = np.isnan(level)
    n_obs = (~np.isnan(Y)).sum(axis=0)
    table = _table(N, model=np.where(empty, "None", "RobustConstant"), s=s, sigma2=sigma2, n_obs=n_obs,
                   engine=engine, fallback=np.broadcast_to(np.asarray(reason, dtype=object), (N,)))
    return FittedModels(
        ar_full=np.ones((N, 1)),
        ma=np.ones((N, 1)),
        c=level,
        sigma2=sigma2,
        y_tail=np.zeros((0, N)),
        e_tail=np.zeros((0, N)),
        beta=np.zeros((N, 0)),
        table=table,
    )


#: Multiples of the range of a series' history beyond which a probe forecast (or its standard deviation)
#: is absurd and the model is replaced by a simpler one.
ABSURD_RANGES = 10.0


def _absurd(m: FittedModels, Y: np.ndarray, h: int) -> np.ndarray:
    """Series whose forecasts over ``h`` steps are non-finite or far outside their history's range."""
    core = dataclasses.replace(m, beta=np.zeros((m.n_series, 0)))  # the exogenous part is the user's
    with np.errstate(all="ignore"):
        mean, sd = predict_models(core, h)
        seen = ~np.isnan(Y).all(axis=0)
        lo = np.nanmin(np.where(np.isnan(Y), np.inf, Y), axis=0)
        hi = np.nanmax(np.where(np.isnan(Y), -np.inf, Y), axis=0)
        span = hi - lo
        tol = ABSURD_RANGES * span + 1e-6 * np.maximum(np.abs(lo), np.abs(hi)) + 1e-12
        bad = ~(np.isfinite(mean).all(axis=0) & np.isfinite(sd).all(axis=0))
        bad |= (mean.min(axis=0) < lo - tol) | (mean.max(axis=0) > hi + tol) | (sd.max(axis=0) > tol)
    return bad & seen


def guard_models(m: FittedModels, Y: np.ndarray, s: int, engine: str, h: int | None = None) -> FittedModels:
    """Replace models whose forecasts are non-finite or absurd by seasonal naive, then by a robust constant.

    A model is absurd when, over a probe horizon ``h`` (default ``max(2 s, 28)``), its point
    forecast leaves the range of the series' history (``Y`` minus any exogenous part) by more
    than :data:`ABSURD_RANGES` times that range, or its standard deviation exceeds that
    margin. The reason is recorded in the ``fallback`` column; exogenous coefficients are kept.

    Examples
    --------
    >>> Y = np.array([[1.0, 2.0], [1.5, 2.5], [1.2, 1e300], [1.4, 2.2]])
    >>> m = guard_models(seasonal_naive_models(Y, 1, "", "batched"), Y, 1, "batched")
    >>> m.table["model"].tolist(), bool(np.isfinite(predict_models(m, 3)[1]).all())
    (['SeasonalNaive[1]', 'RobustConstant'], True)
    """
    h = int(h or max(2 * s, 28))
    bad = np.flatnonzero(_absurd(m, Y, h))
    if bad.size == 0:
        return m
    what = m.table["model"].to_numpy()[bad].astype(str)
    fb = seasonal_naive_models(Y[:, bad], s, [f"{w} gave non-finite or absurd forecasts" for w in what], engine)
    still = _absurd(fb, Y[:, bad], h)
    if still.any():
        reasons = [f"{w} and {f} gave non-finite or absurd forecasts"
                   for w, f in zip(what[still], fb.table["model"].to_numpy()[still], strict=True)]
        fb = replace_models(fb, np.flatnonzero(still), robust_constant_models(Y[:, bad[still]], s, reasons, engine))
    fb.beta = m.beta[bad]
    fb.table["n_obs"] = m.table["n_obs"].to_numpy()[bad]
    return replace_models(m, bad, fb)
