"""Robust seasonal outlier cleaning of many series at once, before any model is fitted.

A meter spike (a read of 1e9 kWh in a 10 kWh/day series, a register reset, a negative
read) breaks every least-squares fit: one point can drive a forecast to 0 or its range
to infinity. :func:`clean_outliers` finds such points in every column of a time-major
matrix and replaces them by a robust seasonal baseline; it never drops a point.

For each point ``y_t`` of a series with season ``s``:

1. the **baseline** ``b_t`` is the median of the values at the same position of the
   season in the ``2 * window + 1`` seasons around it (``y_{t + j s}``, ``|j| <= window``;
   fewer at the ends of the series and at gaps). A median of values that includes ``y_t``
   follows a level shift (a customer whose consumption doubles for good, a long vacancy)
   from its first step and a slow seasonal swing (winter peaks) exactly;
2. the **residual** ``r_t = y_t - b_t`` is compared with a robust scale of the series'
   noise: the median ``|r|`` of each block of ``4 * s`` steps (at least 28), and the
   scale at ``t`` is the largest of those of its block, the two neighbouring blocks and
   the series' typical block (the median of them all), scaled to estimate the standard
   deviation of Gaussian noise. Taking the largest never flags the ordinary noise of a
   noisy period because another period is quiet (a vacancy); a floor of 1e-3 times the
   series' mean level covers perfectly flat series;
3. a point is an **outlier** when ``|r_t| > threshold * scale`` and the run of consecutive
   residuals of the same sign above half the threshold that holds it is at most
   ``max_run`` steps long: a spike is isolated, while a level shift or a vacancy that the
   baseline has not caught up with (at the end of a series, or shorter than ``window + 1``
   seasons) is a long run, and is left alone. Non-finite values (``inf``) are always
   outliers; a baseline needs at least 3 values, so very short series are left as they are.

Flagged points take their baseline value (NaN when there is none, which the gap
imputation then fills). Everything is vectorised over series (chunks of columns bound
the memory), with Python loops only over the few seasonal lags.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["clean_outliers", "seasonal_baseline", "OUTLIER_THRESHOLD", "MAX_RUN"]

logger = logging.getLogger(__name__)

#: Default threshold of :func:`clean_outliers`, in robust standard deviations of the noise.
OUTLIER_THRESHOLD = 7.0
#: Longest run of same-sign extreme residuals still treated as outliers (longer: a regime).
MAX_RUN = 2
#: Median ``|y_t - b_t|`` of Gaussian noise with standard deviation 1 when ``b_t`` is the median of
#: 5 values including ``y_t`` (measured on 10 million draws): the residual scale is divided by it.
_MEDIAN_ABS_RESID = 0.491
#: Elements of a chunk of the matrix (rows x columns) processed at once; bounds the memory.
_CHUNK_ELEMENTS = 1 << 20


def _nanmedian_rows(A: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring NaN (NaN when a row has no value), by one sort."""
    S = np.sort(A, axis=-1)  # NaN sort last
    cnt = np.count_nonzero(~np.isnan(A), axis=-1)
    lo = np.take_along_axis(S, (np.maximum(cnt - 1, 0) // 2)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(S, (cnt // 2)[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore"):
        med = lo / 2 + hi / 2  # halves first: no overflow near the largest floats
    return np.where(cnt > 0, med, np.nan)


def _median3(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    return np.maximum(np.minimum(x, y), np.minimum(np.maximum(x, y), z))


def _median5(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Element-wise median of five arrays by a min/max network (the smaller minimum and larger maximum of
    two pairs cannot be the median)."""
    lo = np.maximum(np.minimum(a, b), np.minimum(c, d))
    hi = np.minimum(np.maximum(a, b), np.maximum(c, d))
    return _median3(e, lo, hi)


def _shifted(Yf: np.ndarray, lag: int) -> np.ndarray:
    """``Y`` moved ``lag`` rows up (``y_{t + lag}`` at row ``t``), NaN shifted in."""
    T = Yf.shape[0]
    out = np.full_like(Yf, np.nan)
    if abs(lag) < T:
        if lag >= 0:
            out[: T - lag] = Yf[lag:]
        else:
            out[-lag:] = Yf[: T + lag]
    return out


def seasonal_baseline(Y: np.ndarray, season_length: int, window: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Median of each point and the values one, two, ... ``window`` seasons before and after it.

    Parameters
    ----------
    Y : ndarray of shape (T, N)
        Time-major series; NaN (and non-finite values) are ignored.
    season_length : int
        Season in steps (1: the neighbouring steps).
    window : int
        Seasons on each side.

    Returns
    -------
    baseline : ndarray of shape (T, N)
        NaN where no value is available.
    count : ndarray of shape (T, N)
        Values the median was taken over.

    Examples
    --------
    >>> y = np.array([[1.0], [2.0], [50.0], [4.0], [5.0]])
    >>> seasonal_baseline(y, 1)[0].ravel().tolist()
    [2.0, 3.0, 4.0, 4.5, 5.0]
    """
    s = max(int(season_length), 1)
    Yf = np.where(np.isfinite(Y), Y, np.nan)
    cols = [_shifted(Yf, j * s) for j in range(-window, window + 1)]
    if window != 2:
        stack = np.stack(cols, axis=-1)
        return _nanmedian_rows(stack), np.count_nonzero(~np.isnan(stack), axis=-1)
    # missing values become -inf and +inf in turn, so that the median of the five is the median of the
    # values present; with an even number present, the other way of alternating gives the other middle value
    n_missing = np.zeros(Y.shape, dtype=np.int8)
    for c in cols:
        m = np.isnan(c)
        n_missing += m
        c[m] = np.where(n_missing[m] % 2 == 1, -np.inf, np.inf)
    base = _median5(*cols)
    count = 5 - n_missing
    rows = np.flatnonzero((count % 2 == 0).any(axis=1))
    if rows.size:
        other = _median5(*[np.where(np.isinf(c[rows]), -c[rows], c[rows]) for c in cols])
        with np.errstate(invalid="ignore"):
            base[rows] = base[rows] / 2 + other / 2  # halves first: no overflow near the largest floats
    return np.where(count > 0, base, np.nan), count


def _run_length(M: np.ndarray) -> np.ndarray:
    """For each True of a boolean ``(T, N)`` matrix, the length of the run of Trues (along axis 0) holding it."""
    def forward(B: np.ndarray) -> np.ndarray:
        c = np.cumsum(B, axis=0)
        return c - np.maximum.accumulate(np.where(B, 0, c), axis=0)

    return np.where(M, forward(M) + forward(M[::-1])[::-1] - 1, 0)


def _block_medians(absr: np.ndarray, block: int) -> np.ndarray:
    """Median ``|r|`` of each block of ``block`` rows aligned on the last row, ``(n_blocks, N)``."""
    T, N = absr.shape
    nb = -(-T // block)
    padded = np.full((nb * block, N), np.nan)
    padded[nb * block - T :] = absr
    return _nanmedian_rows(padded.reshape(nb, block, N).transpose(0, 2, 1))


def _clean_chunk(
    Y: np.ndarray, s: int, threshold: float, max_run: int, window: int
) -> tuple[np.ndarray, np.ndarray]:
    T = Y.shape[0]
    base, count = seasonal_baseline(Y, s, window)
    finite = np.isfinite(Y)
    block = max(4 * s, 28)
    with np.errstate(invalid="ignore", over="ignore"):
        r = np.where(finite & (count >= 3), Y - base, np.nan)
        absr = np.abs(r)
        blocks = _block_medians(absr, block)  # (n_blocks, N)
        typical = _nanmedian_rows(blocks.T)  # the series' usual noise
        nb = blocks.shape[0]
        # a block and its neighbours: a block where a quiet period turns noisy takes the noisy scale
        padded = np.pad(blocks, ((1, 1), (0, 0)), constant_values=np.nan)
        near = np.fmax(np.fmax(padded[:-2], padded[1:-1]), padded[2:])
        local = np.repeat(near, block, axis=0)[nb * block - T :]
        scale = np.fmax(local, typical[None, :]) / _MEDIAN_ABS_RESID
        level = np.nanmean(np.where(finite, np.abs(base), np.nan), axis=0) if T else np.zeros(Y.shape[1])
        scale = np.nan_to_num(np.fmax(scale, 1e-3 * level[None, :]), nan=0.0)  # a floor for flat series
        extreme = absr > threshold * scale
    candidates = np.flatnonzero(extreme.any(axis=0) | np.isinf(Y).any(axis=0))
    n_out = np.zeros(Y.shape[1], dtype=int)
    if candidates.size == 0:
        return Y, n_out
    rc, half = r[:, candidates], 0.5 * threshold * scale[:, candidates]
    with np.errstate(invalid="ignore"):
        run = np.maximum(_run_length(rc > half), _run_length(rc < -half))
    outlier = (extreme[:, candidates] & (run <= max_run)) | np.isinf(Y[:, candidates])
    Y[:, candidates] = np.where(outlier, base[:, candidates], Y[:, candidates])
    n_out[candidates] = outlier.sum(axis=0)
    return Y, n_out


def clean_outliers(
    Y: np.ndarray,
    season_length: int,
    threshold: float = OUTLIER_THRESHOLD,
    *,
    max_run: int = MAX_RUN,
    window: int = 2,
    copy: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Replace isolated outliers of each column of a time-major matrix by their seasonal baseline.

    See the module docstring for the method.

    Parameters
    ----------
    Y : ndarray of shape (T, N)
        Right-aligned series; NaN before a series starts and at gaps (kept as NaN).
    season_length : int
        Season in steps (7 for daily data; 1 for none).
    threshold : float
        Robust standard deviations of the noise beyond which an isolated point is an outlier.
    max_run : int
        Longest run of consecutive extreme residuals of one sign still cleaned.
    window : int
        Seasons on each side of a point in its baseline.
    copy : bool
        Work on a copy (default) or in place.

    Returns
    -------
    Y : ndarray of shape (T, N)
        The cleaned series.
    n_outliers : ndarray of shape (N,)
        Points replaced in each series.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> week = np.array([10.0, 10, 10, 10, 10, 14, 14])
    >>> Y = np.tile(week, 20)[:, None] + rng.normal(0, 0.5, (140, 2))
    >>> Y[70, 0], Y[71, 1] = 1e9, -5.0
    >>> clean, n = clean_outliers(Y, 7)
    >>> n.tolist(), bool(abs(clean[70, 0] - 10) < 1.5), bool(abs(clean[71, 1] - 10) < 1.5)
    ([1, 1], True, True)
    """
    Y = np.array(Y, dtype=float, copy=copy)
    if Y.ndim != 2:
        raise ValueError(f"clean_outliers: Y must be a 2-D time-major matrix (T, N), got shape {Y.shape}")
    T, N = Y.shape
    n_out = np.zeros(N, dtype=int)
    if T == 0 or N == 0:
        return Y, n_out
    s = max(int(season_length), 1)
    step = max(1, _CHUNK_ELEMENTS // T)
    for lo in range(0, N, step):
        hi = min(lo + step, N)
        Y[:, lo:hi], n_out[lo:hi] = _clean_chunk(Y[:, lo:hi], s, float(threshold), int(max_run), int(window))
    return Y, n_out
