"""The ``clustered`` engine (the case studies' ARIMA + k-means): ARIMA on segment totals, shared out to customers.

1. Each customer belongs to a segment: given (a column of segment labels, e.g. from
   :mod:`gridcrm.segmentation`), or found by k-means on the customer's recent weekly
   profile and level (:func:`kmeans_segments`).
2. The segment totals are forecast with the ``batched`` engine.
3. A customer's forecast is its recent share of the segment total (over the last
   ``share_window`` steps) times the total's forecast.
4. Its range adds, to the share of the total's forecast variance, the variance of the
   customer's own deviations from "share × total" over the last ``4 * share_window`` steps:
   customers are far noisier than their segment, and an interval scaled down from the
   segment's alone would cover far less than its nominal level.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.forecasting._models import FittedModels, predict_models
from gridcrm.forecasting.batched import fit_batched

__all__ = ["ClusteredFit", "fit_clustered", "kmeans_segments"]

logger = logging.getLogger(__name__)


def kmeans_segments(Y: np.ndarray, season_length: int, n_segments: int = 8, random_state: int = 0) -> np.ndarray:
    """k-means segments of the columns of ``Y`` (T, N) from their last 8 seasons: seasonal profile and log level.

    Returns
    -------
    ndarray of shape (N,)
        Segment label (0 .. n_segments - 1) of each series.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Y = np.r_[[np.tile([1, 1, 1, 1, 1, 3, 3], 10)] * 5, [np.tile([3, 3, 3, 3, 3, 1, 1], 10)] * 5].T
    >>> labels = kmeans_segments(Y + rng.uniform(0, 0.1, Y.shape), 7, n_segments=2)
    >>> len(set(labels[:5])), len(set(labels[5:])), labels[0] != labels[5]
    (1, 1, np.True_)
    """
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    s = max(int(season_length), 1)
    window = Y[-min(8 * s, Y.shape[0]) :]
    level = np.nanmean(window, axis=0)
    k = window.shape[0] // s * s
    if s > 1 and k >= s:
        prof = np.nanmean(window[-k:].reshape(k // s, s, -1), axis=0)
        prof = prof / np.where(np.nanmean(prof, axis=0) > 0, np.nanmean(prof, axis=0), 1.0)
        feats = np.c_[prof.T, np.log1p(np.maximum(level, 0))]
    else:
        feats = np.log1p(np.maximum(level, 0))[:, None]
    feats = StandardScaler().fit_transform(np.nan_to_num(feats))
    n_clusters = int(min(n_segments, len(feats)))
    return KMeans(n_clusters=n_clusters, n_init=4, random_state=random_state).fit_predict(feats)


@dataclass
class ClusteredFit:
    """Fitted clustered engine.

    Attributes
    ----------
    segments : ndarray (N,)
        Segment position (index into ``segment_labels``) of each customer.
    segment_labels : ndarray (G,)
    totals : FittedModels
        Models of the ``G`` segment totals.
    share : ndarray (N,)
        Each customer's recent share of its segment total.
    idio_var : ndarray (N,)
        Variance of the customer's deviations from ``share × total``.
    """

    segments: np.ndarray
    segment_labels: np.ndarray
    totals: FittedModels
    share: np.ndarray
    idio_var: np.ndarray

    def predict(self, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Customer mean and sd ``(h, N)``, then segment-total mean and sd ``(h, G)``."""
        tmean, tsd = predict_models(self.totals, h)
        mean = tmean[:, self.segments] * self.share
        sd = np.sqrt((tsd[:, self.segments] * self.share) ** 2 + self.idio_var)
        return mean, sd, tmean, tsd

    def table(self) -> pd.DataFrame:
        """Per-customer model table: the segment total's model, the segment and the share."""
        t = self.totals.table.iloc[self.segments].reset_index(drop=True).copy()
        t["segment"] = self.segment_labels[self.segments]
        t["share"] = self.share
        t["sigma2"] = self.idio_var
        t["engine"] = "clustered"
        return t


def fit_clustered(
    Y: np.ndarray,
    season_length: int,
    segments: np.ndarray | None = None,
    *,
    n_segments: int = 8,
    share_window: int | None = None,
    random_state: int = 0,
    **batched_kw: object,
) -> ClusteredFit:
    """Fit the clustered engine to the columns of ``Y`` (T, N).

    Parameters
    ----------
    Y : ndarray of shape (T, N)
        Right-aligned, gap-free series (NaN before a series starts counts as 0 in the totals).
    season_length : int
    segments : array-like of shape (N,), optional
        Segment label per series; default :func:`kmeans_segments`.
    n_segments : int
        Segments for k-means when ``segments`` is not given.
    share_window : int, optional
        Steps over which shares are measured; default 4 seasons (28 days for daily data).
    random_state : int
    **batched_kw
        Passed to :func:`~gridcrm.forecasting.batched.fit_batched` for the totals.

    Returns
    -------
    ClusteredFit
    """
    s = max(int(season_length), 1)
    if segments is None:
        segments = kmeans_segments(Y, s, n_segments, random_state)
    labels, pos = np.unique(np.asarray(segments), return_inverse=True)
    G = labels.size
    Y0 = np.nan_to_num(Y)
    onehot = np.zeros((Y.shape[1], G))
    onehot[np.arange(Y.shape[1]), pos] = 1.0
    totals = Y0 @ onehot  # (T, G)
    # a total starts when its first member does
    started = np.cumsum((~np.isnan(Y)).astype(float) @ onehot, axis=0) > 0
    totals[~started] = np.nan
    window = int(share_window or 4 * s)
    recent = Y0[-window:].sum(axis=0)
    recent_tot = totals[-window:].sum(axis=0)[pos]
    share = np.where(recent_tot > 0, recent / np.where(recent_tot > 0, recent_tot, 1.0), 0.0)
    long = min(4 * window, Y.shape[0])
    dev = Y0[-long:] - share * totals[-long:][:, pos]
    idio_var = np.nanvar(dev, axis=0)
    fitted = fit_batched(totals, s, **batched_kw)
    logger.info("clustered: %d series in %d segments", Y.shape[1], G)
    return ClusteredFit(segments=pos, segment_labels=labels, totals=fitted, share=share, idio_var=idio_var)
