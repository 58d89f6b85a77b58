"""Long seasons (hourly and 15-minute load: 24/168 or 96/672 steps) by block totals and within-block shares.

A seasonal ARIMA at lag 168 or 672 needs many seasons of history and gives poor
multi-step forecasts on load data, where the weekly seasonal naive forecast is a strong
baseline. Interval load is a daily total spread over the day by a stable load shape, so:

1. the series is cut into blocks of ``p`` steps, aligned on its end: days (``p = s / 7``)
   when the season is a week (``s`` a multiple of 7), else whole seasons (``p = s``);
2. the block totals are forecast by an ARIMA engine, with a weekly season (7) for days;
3. each step's share of its block total, at the same position of the season, is averaged
   over the last ``SHAPE_SEASONS`` seasons and multiplies the block forecast;
4. the variance adds, to the share of the block total's forecast variance, the variance of
   the steps' relative deviations from "share × block total".
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.forecasting._models import FittedModels, predict_models

__all__ = ["BlockFit", "fit_long_season", "block_length", "LONG_SEASON", "SHAPE_SEASONS"]

#: Seasons at least this long are modelled by blocks.
LONG_SEASON = 24
#: Seasons over which within-block shares are averaged.
SHAPE_SEASONS = 4


def block_length(s: int) -> tuple[int, int]:
    """Block length and the season of the block totals for season ``s``.

    Examples
    --------
    >>> block_length(168), block_length(672), block_length(24)
    ((24, 7), (96, 7), (24, 1))
    """
    return (s // 7, 7) if s % 7 == 0 else (s, 1)


@dataclass
class BlockFit:
    """Fitted long-season model of ``N`` series.

    Attributes
    ----------
    s, p : int
        Season and block length.
    blocks : FittedModels
        Models of the block totals.
    shares : ndarray (s, N)
        Row ``j``: share of its block total of the step ``j + 1`` steps after the end.
    rel_var : ndarray (N,)
        Variance of the relative deviations of steps from "share × block total".
    """

    s: int
    p: int
    blocks: FittedModels
    shares: np.ndarray
    rel_var: np.ndarray

    def predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation ``(h, N)``."""
        nb = -(-h // self.p)
        bmean, bsd = predict_models(self.blocks, nb)
        steps = np.arange(h)
        b = steps // self.p
        sh = self.shares[steps % self.s]
        mean = sh * bmean[b]
        var = sh**2 * (bsd[b] ** 2 * (1 + self.rel_var) + self.rel_var * bmean[b] ** 2)
        return mean, np.sqrt(var)

    def table(self) -> pd.DataFrame:
        """Per-series model table (the block totals' models, relabelled)."""
        t = self.blocks.table.copy()
        t["model"] = f"Blocks[{self.p}] " + t["model"].astype(str) + f" x shares[{self.s}]"
        t["s"] = self.s
        return t


def fit_long_season(Y: np.ndarray, s: int, fit_blocks: Callable[[np.ndarray, int], FittedModels]) -> BlockFit:
    """Fit the long-season model to the columns of ``Y`` (T, N), right-aligned and gap-free.

    Parameters
    ----------
    Y : ndarray of shape (T, N)
    s : int
        Season (e.g. 168 for hourly data with daily and weekly patterns).
    fit_blocks : callable
        ``fit_blocks(block_totals, season)`` returns the fitted models of the block totals
        (the batched or exact engine).

    Returns
    -------
    BlockFit

    Examples
    --------
    >>> from gridcrm.forecasting.batched import fit_batched
    >>> day = np.r_[np.full(8, 1.0), np.full(16, 3.0)]
    >>> rng = np.random.default_rng(0)
    >>> Y = np.tile(day, 7 * 8)[:, None] * rng.uniform(0.9, 1.1, (24 * 7 * 8, 2))
    >>> m = fit_long_season(Y, 168, lambda B, bs: fit_batched(B, bs))
    >>> mean, sd = m.predict(24)
    >>> bool(mean[10, 0] > 2 * mean[2, 0])
    True
    """
    p, bs = block_length(s)
    T, N = Y.shape
    Tb = T // p * p
    Yt = Y[T - Tb :]
    totals = Yt.reshape(Tb // p, p, N).sum(axis=1)
    blocks = fit_blocks(totals, bs)
    per_step_total = np.repeat(totals, p, axis=0)
    # seasons of shares per series, from its own history (rows before its first value are not its history):
    # a series' shares do not depend on the longer series fitted with it
    first = np.argmax(~np.isnan(Yt), axis=0) if N else np.zeros(0, dtype=int)
    k_of = np.maximum(1, np.minimum(SHAPE_SEASONS, (Tb - first) // s))
    k = max(1, min(SHAPE_SEASONS, Tb // s))
    recent = Yt[Tb - k * s :].copy()
    recent[np.arange(k * s)[:, None] < ((k - k_of) * s)[None, :]] = np.nan  # older than the series' own k seasons
    rec_tot = per_step_total[Tb - k * s :]
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # positions never positive: uniform shares below
        share = np.where(rec_tot > 0, recent / rec_tot, np.nan)
        shares = np.nanmean(share.reshape(k, s, N), axis=0)
    shares = np.where(np.isnan(shares), 1.0 / p, shares)
    fitted_steps = np.tile(shares, (k, 1)) * rec_tot
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(fitted_steps > 0, recent / fitted_steps - 1, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rel_var = np.nan_to_num(np.nanvar(rel, axis=0))
    return BlockFit(s=s, p=p, blocks=blocks, shares=shares, rel_var=rel_var)
