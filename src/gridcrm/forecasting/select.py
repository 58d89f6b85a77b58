"""Model choice per series by a rolling-origin backtest before the forecast origin, and conformal ranges from it.

Every candidate (seasonal naive, the ARIMA engines, the long-season models) is fitted on the
history minus its last ``w * horizon`` steps (``w = 1 .. windows``) and forecasts the next
``horizon`` steps; its score on a series is the mean over the windows of the MASE (absolute
errors over the training's mean absolute seasonal difference). Each series keeps the candidate
with the lowest score (the first listed on a tie, so a model must beat the seasonal naive to be
chosen). Nothing after the forecast origin is read: the windows all end at the last training
step.

The same windows give each chosen model's standardised errors ``|y - forecast| / sd``; their
empirical quantile at each level over the series that chose the candidate, divided by the normal
quantile, is the factor that makes the ranges cover on these windows (split-conformal
calibration per group of series; see :func:`conformal_scales`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcrm.forecasting._arima import interval_z
from gridcrm.forecasting._models import FittedModels, predict_models

__all__ = ["Candidate", "SelectedFit", "backtest_scores", "choose", "choose_per_cluster", "conformal_scales",
           "predict_core", "selection_clusters", "selection_features"]

logger = logging.getLogger(__name__)

#: Fewest standardised holdout errors a group needs for its own conformal factor (else the pooled one).
MIN_CONFORMAL_ERRORS = 200
#: Conformal factors are kept within these bounds.
SCALE_BOUNDS = (0.5, 4.0)


def predict_core(core: object, h: int, X_future: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation ``(h, N)`` of any fitted core (FittedModels or an object with ``predict(h)``)."""
    if isinstance(core, FittedModels):
        return predict_models(core, h, X_future)
    return core.predict(h)


@dataclass(frozen=True)
class Candidate:
    """A candidate model: ``fit(Y, X, cols)`` returns a fitted core for the columns of ``Y`` (T, n).

    ``cols`` are the positions of those columns among all series (``X`` may be None);
    ``min_steps`` the fewest observed steps a series needs for this candidate.
    """

    name: str
    fit: Callable[[np.ndarray, np.ndarray | None, np.ndarray], object]
    min_steps: int = 2


@dataclass
class BacktestScores:
    """Backtest of the candidates: ``mase (n_candidates, N)`` (NaN: not scored) and standardised errors."""

    names: list[str]
    mase: np.ndarray
    z: list[list[np.ndarray]] = field(repr=False)  # per candidate, per window: |e| / sd, (h, N)
    windows: int = 0
    horizon: int = 0
    errors: list[list[np.ndarray]] = field(default_factory=list, repr=False)  # signed y - forecast, (h, N)


def _scale(Ytr: np.ndarray, s: int) -> np.ndarray:
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lag = s if Ytr.shape[0] > s + 1 else 1
        sc = np.nanmean(np.abs(Ytr[lag:] - Ytr[:-lag]), axis=0)
        floor = 1e-9 * np.nanmean(np.abs(Ytr), axis=0) + 1e-12  # an exactly repeating history still compares
    return np.where(np.isfinite(sc), np.maximum(sc, floor), np.nan)


#: Series per backtest pass: model choice refits its candidates on every series of a pass at once, so
#: passes of this many series bound its memory (100,000 series in one pass: 9.3 GB).
CHUNK_SERIES = 10_000


def backtest_scores(
    Y: np.ndarray,
    candidates: Sequence[Candidate],
    *,
    season_length: int,
    horizon: int,
    windows: int,
    X: np.ndarray | None = None,
    chunk: int | None = None,
) -> BacktestScores:
    """Score every candidate on the last ``windows`` windows of ``horizon`` steps of ``Y`` (T, N).

    Windows whose training part would leave a candidate fewer than ``min_steps`` observations
    for a series do not score that series (NaN); a window is skipped when no series is left.
    Series are scored ``chunk`` (default :data:`CHUNK_SERIES`) at a time (every score is per series, so the result is the same,
    to rounding: a reduction over fewer columns may take another SIMD path).

    Examples
    --------
    >>> class Last:  # a toy candidate: the last value, give or take its series' spread
    ...     def __init__(self, Y):
    ...         self.y, self.sd = Y[-1], np.nanstd(Y, axis=0)
    ...     def predict(self, h):
    ...         return np.tile(self.y, (h, 1)), np.tile(self.sd, (h, 1))
    >>> def fit_last(Y, X, cols):
    ...     return Last(Y)
    >>> Y = np.random.default_rng(0).gamma(5.0, 2.0, (120, 5))
    >>> whole = backtest_scores(Y, [Candidate("last", fit_last)], season_length=7, horizon=7, windows=2)
    >>> parts = backtest_scores(Y, [Candidate("last", fit_last)], season_length=7, horizon=7, windows=2, chunk=2)
    >>> bool(np.allclose(whole.mase, parts.mase, rtol=1e-12, equal_nan=True)), whole.windows == parts.windows
    (True, True)
    """
    N = Y.shape[1]
    chunk = CHUNK_SERIES if chunk is None else chunk
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"backtest_scores: chunk must be a positive whole number of series, got {chunk!r}")
    if N <= chunk:
        return _backtest_scores(Y, candidates, season_length=season_length, horizon=horizon, windows=windows, X=X)
    parts = []
    for c0 in range(0, N, chunk):
        c1 = min(N, c0 + chunk)
        shifted = [Candidate(c.name, _shifted(c.fit, c0), c.min_steps) for c in candidates]
        parts.append(_backtest_scores(Y[:, c0:c1], shifted, season_length=season_length, horizon=horizon,
                                      windows=windows, X=X[:, c0:c1] if X is not None else None))
    used = max(p.windows for p in parts)
    return BacktestScores(
        names=parts[0].names, mase=np.concatenate([p.mase for p in parts], axis=1),
        z=[[np.concatenate([p.z[i][w] for p in parts], axis=1) for w in range(used)] for i in range(len(candidates))],
        windows=used, horizon=horizon,
        errors=[[np.concatenate([p.errors[i][w] for p in parts], axis=1) for w in range(used)]
                for i in range(len(candidates))])


def _shifted(fit: Callable[[np.ndarray, np.ndarray | None, np.ndarray], object],
             offset: int) -> Callable[[np.ndarray, np.ndarray | None, np.ndarray], object]:
    """``fit`` told the positions of a pass's series among all series."""
    return lambda Y, X, cols: fit(Y, X, cols + offset)


def _backtest_scores(
    Y: np.ndarray,
    candidates: Sequence[Candidate],
    *,
    season_length: int,
    horizon: int,
    windows: int,
    X: np.ndarray | None = None,
) -> BacktestScores:
    """:func:`backtest_scores` in one pass; every candidate has one (h, N) array per window used (NaN: not scored)."""
    T, N = Y.shape
    n_obs = (~np.isnan(Y)).sum(axis=0)
    mase = np.zeros((len(candidates), N))
    count = np.zeros((len(candidates), N))
    zs: list[list[np.ndarray]] = [[] for _ in candidates]
    errs: list[list[np.ndarray]] = [[] for _ in candidates]
    used = 0
    for w in range(1, windows + 1):
        cut = T - w * horizon
        if cut <= 0:
            break
        Ytr, Yte = Y[:cut], Y[cut : cut + horizon]
        Xtr = X[:cut] if X is not None else None
        Xte = X[cut : cut + horizon] if X is not None else None
        scale = _scale(Ytr, season_length)
        for i, cand in enumerate(candidates):
            ok = np.flatnonzero((n_obs - w * horizon >= cand.min_steps) & np.isfinite(scale))
            if ok.size == 0:
                zs[i].append(np.full((horizon, N), np.nan))
                errs[i].append(np.full((horizon, N), np.nan))
                continue
            Xc = Xtr[:, ok] if Xtr is not None else None
            try:
                core = cand.fit(Ytr[:, ok], Xc, ok)
                mean, sd = predict_core(core, horizon, Xte[:, ok] if Xte is not None else None)
            except (ValueError, np.linalg.LinAlgError) as exc:
                logger.info("model choice: %s failed on a backtest window (%s)", cand.name, exc)
                zs[i].append(np.full((horizon, N), np.nan))
                errs[i].append(np.full((horizon, N), np.nan))
                continue
            with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                err = np.abs(Yte[:, ok] - mean)
                m = np.nanmean(err, axis=0) / scale[ok]
                z = np.full((horizon, N), np.nan)
                z[:, ok] = np.where(sd > 0, err / sd, np.nan)
                signed = np.full((horizon, N), np.nan)
                signed[:, ok] = Yte[:, ok] - mean
            good = np.isfinite(m)
            mase[i, ok[good]] += m[good]
            count[i, ok[good]] += 1
            zs[i].append(z)
            errs[i].append(signed)
        used = w
    with np.errstate(invalid="ignore", divide="ignore"):
        mase = np.where(count > 0, mase / np.maximum(count, 1), np.nan)
    return BacktestScores(names=[c.name for c in candidates], mase=mase, z=zs, windows=used, horizon=horizon,
                          errors=errs)


def chosen_errors(scores: BacktestScores, choice: np.ndarray, *, standardised: bool = False) -> np.ndarray:
    """Signed backtest errors ``(windows * horizon, N)`` of each series' chosen candidate (NaN where not scored).

    With ``standardised``, the standardised errors ``|y - forecast| / sd`` instead (what
    :func:`conformal_scales` pools).
    """
    N = choice.size
    rows = []
    source = scores.z if standardised else scores.errors
    for w in range(max((len(e) for e in source), default=0)):
        block = np.full((scores.horizon, N), np.nan)
        for i, errs in enumerate(source):
            cols = choice == i
            if w < len(errs) and cols.any():
                block[:, cols] = errs[w][:, cols]
        rows.append(block)
    return np.vstack(rows) if rows else np.zeros((0, N))


def choose(scores: BacktestScores, default: int) -> np.ndarray:
    """Index of the chosen candidate per series: the lowest backtest MASE; ``default`` where nothing was scored.

    Examples
    --------
    >>> bs = BacktestScores(["naive", "arima"], np.array([[1.0, 0.8, np.nan], [0.9, 0.8, np.nan]]), [[], []])
    >>> choose(bs, default=1).tolist()
    [1, 0, 1]
    """
    m = np.where(np.isfinite(scores.mase), scores.mase, np.inf)
    best = np.argmin(m, axis=0)  # first on ties
    return np.where(np.isfinite(m).any(axis=0), best, default)


def conformal_scales(
    scores: BacktestScores, choice: np.ndarray, levels: Sequence[float], *, widen_only: bool = False
) -> dict[float, np.ndarray]:
    """Per level, the factor (N,) on each series' standard deviation that makes its chosen model's ranges cover.

    For the series that chose candidate ``i``, the factor is the empirical ``level`` quantile of
    their standardised backtest errors divided by the normal quantile (pooled over all series
    when a group has fewer than :data:`MIN_CONFORMAL_ERRORS` errors; 1 when there are none),
    kept within :data:`SCALE_BOUNDS`; with ``widen_only`` never below 1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = [[np.abs(rng.normal(0, 2.0, (500, 3)))]]
    >>> bs = BacktestScores(["m"], np.ones((1, 3)), z, 1, 500)
    >>> f = conformal_scales(bs, np.zeros(3, dtype=int), [95])[95]
    >>> bool(np.allclose(f, f[0])), round(float(f[0]), 1)
    (True, 2.0)
    """
    N = choice.size
    pooled = [np.concatenate([z[:, choice == i].ravel() for z in zz]) for i, zz in enumerate(scores.z) if zz]
    allz = np.concatenate(pooled) if pooled else np.zeros(0)
    allz = allz[np.isfinite(allz)]
    out: dict[float, np.ndarray] = {}
    for lv in levels:
        q_norm = interval_z(lv)
        base = float(np.quantile(allz, lv / 100) / q_norm) if allz.size >= MIN_CONFORMAL_ERRORS else 1.0
        f = np.full(N, base)
        for i, zz in enumerate(scores.z):
            cols = choice == i
            if not cols.any() or not zz:
                continue
            z = np.concatenate([a[:, cols].ravel() for a in zz])
            z = z[np.isfinite(z)]
            if z.size >= MIN_CONFORMAL_ERRORS:
                f[cols] = np.quantile(z, lv / 100) / q_norm
        f = np.clip(f, *SCALE_BOUNDS)
        out[lv] = np.maximum(f, 1.0) if widen_only else f
    return out


@dataclass
class SelectedFit:
    """Per-series chosen models: candidate ``names[choice[j]]`` for series ``j``, each fitted on its series.

    ``cores[i]`` is fitted on the columns ``cols[i]`` (None when no series chose candidate ``i``).
    """

    names: list[str]
    choice: np.ndarray
    cores: list[object | None]
    cols: list[np.ndarray]
    tables: list[pd.DataFrame | None]

    def predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation ``(h, N)``."""
        N = self.choice.size
        mean, sd = np.full((h, N), np.nan), np.full((h, N), np.nan)
        for core, cols in zip(self.cores, self.cols, strict=True):
            if core is not None and cols.size:
                mean[:, cols], sd[:, cols] = predict_core(core, h)
        return mean, sd

    def table(self) -> pd.DataFrame:
        """Per-series model table in series order."""
        parts, order = [], []
        for t, cols in zip(self.tables, self.cols, strict=True):
            if t is not None and cols.size:
                parts.append(t)
                order.append(cols)
        table = pd.concat(parts, ignore_index=True)
        return table.iloc[np.argsort(np.concatenate(order), kind="stable")].reset_index(drop=True)


def selection_columns(scores: BacktestScores, choice: np.ndarray, naive: int | None) -> dict[str, np.ndarray]:
    """Columns recorded in ``models_``: the chosen candidate, its backtest MASE, the seasonal naive's and all scores."""
    idx = np.arange(choice.size)
    chosen = scores.mase[choice, idx]
    text = [
        "; ".join(f"{n}={v:.3f}" for n, v in zip(scores.names, scores.mase[:, j], strict=True) if np.isfinite(v))
        for j in idx
    ]
    return {
        "selected": np.asarray(scores.names, dtype=object)[choice],
        "backtest_mase": chosen,
        "backtest_mase_snaive": scores.mase[naive] if naive is not None else np.full(choice.size, np.nan),
        "backtest_scores": np.asarray(text, dtype=object),
        "backtest_windows": np.full(choice.size, scores.windows),
    }


def fit_selected(
    Y: np.ndarray, candidates: Sequence[Candidate], choice: np.ndarray,
    table_of: Mapping[str, Callable[[object], pd.DataFrame]],
) -> SelectedFit:
    """Fit each chosen candidate on the full history of the series that chose it (no exogenous columns)."""
    cores, cols, tables = [], [], []
    for i, cand in enumerate(candidates):
        c = np.flatnonzero(choice == i)
        core = cand.fit(Y[:, c], None, c) if c.size else None
        cores.append(core)
        cols.append(c)
        tables.append(table_of[cand.name](core) if core is not None else None)
    return SelectedFit(names=[c.name for c in candidates], choice=choice, cores=cores, cols=cols, tables=tables)


# -- model choice per cluster of similar series ------------------------------------------------
def selection_features(Y: np.ndarray, season_length: int) -> np.ndarray:
    """Features ``(N, 4)`` of each series' history that tell which model suits it, vectorised.

    Seasonal strength (classical decomposition), the mean absolute seasonal difference over the
    mean level (how noisy; log), the share of near-zero steps (vacancy), and the KPSS statistic
    (level shifts, trends; log1p). Series without enough history get the column medians.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> week = np.tile([1.0, 1, 1, 1, 1, 0.4, 0.3], 30)
    >>> F = selection_features(np.c_[10 * week + rng.normal(0, 0.1, 210), rng.gamma(2.0, 5.0, 210)], 7)
    >>> F.shape, bool(F[0, 0] > 0.9 > F[1, 0]), bool(F[0, 1] < F[1, 1])
    ((2, 4), True, True)
    """
    # per series, so computed CHUNK_SERIES columns at a time: the temporaries of the whole
    # (T, 100,000) matrix at once peaked at 10.4 GB
    F = np.concatenate([_features(Y[:, c0 : c0 + CHUNK_SERIES], season_length)
                        for c0 in range(0, Y.shape[1], CHUNK_SERIES)]) if Y.shape[1] else np.zeros((0, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fill = np.nanmedian(F, axis=0) if F.size else np.zeros(4)
    return np.where(np.isnan(F), np.nan_to_num(fill)[None, :], F)


def _features(Y: np.ndarray, season_length: int) -> np.ndarray:
    """:func:`selection_features` of a block of columns, NaN where a feature is undefined."""
    from gridcrm.forecasting._arima import kpss_stat, seasonal_strength

    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmean(np.abs(Y), axis=0)
        noise = np.log(_scale(Y, season_length) / np.maximum(level, 1e-12))
        med = np.nanmedian(Y, axis=0)
        near_zero = np.nanmean(np.where(np.isnan(Y), np.nan, Y <= 0.1 * np.abs(med)), axis=0)
        F = np.c_[seasonal_strength(Y, season_length), noise, near_zero, np.log1p(kpss_stat(Y))]
    return np.where(np.isfinite(F), F, np.nan)


def selection_clusters(features: np.ndarray, n_clusters: int, random_state: int | None = 0,
                       max_fit: int = 20_000) -> np.ndarray:
    """K-means labels ``(N,)`` of standardised features, fitted on at most ``max_fit`` series (seeded).

    Fewer distinct series than ``n_clusters`` give one cluster each.

    Examples
    --------
    >>> F = np.r_[np.zeros((5, 2)), np.ones((5, 2)) * 10]
    >>> lab = selection_clusters(F, 2)
    >>> len(set(lab[:5])), len(set(lab[5:])), bool(lab[0] != lab[5])
    (1, 1, True)
    """
    from sklearn.cluster import KMeans

    N = features.shape[0]
    sd = features.std(axis=0)
    Z = (features - features.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    k = int(min(n_clusters, len(np.unique(Z.round(9), axis=0))))
    if k <= 1:
        return np.zeros(N, dtype=int)
    rng = np.random.default_rng(random_state)
    fit_rows = rng.choice(N, size=max_fit, replace=False) if N > max_fit else np.arange(N)
    km = KMeans(n_clusters=k, n_init=3, random_state=random_state).fit(Z[fit_rows])
    return km.predict(Z).astype(int)


def sample_clusters(labels: np.ndarray, per_cluster: int, random_state: int | None = 0) -> np.ndarray:
    """Sorted positions of at most ``per_cluster`` series drawn from each cluster (seeded).

    Examples
    --------
    >>> sample_clusters(np.array([0, 0, 0, 1, 1, 2]), 2).size
    5
    """
    rng = np.random.default_rng(random_state)
    out = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        out.append(members if members.size <= per_cluster else rng.choice(members, per_cluster, replace=False))
    return np.sort(np.concatenate(out)) if out else np.zeros(0, dtype=int)


def choose_per_cluster(scores: BacktestScores, labels_sample: np.ndarray, labels: np.ndarray,
                       default: int) -> tuple[np.ndarray, np.ndarray]:
    """One candidate per cluster: the lowest mean backtest MASE over the cluster's scored series.

    ``scores`` are the backtest of the sampled series (their cluster labels ``labels_sample``);
    every series of a cluster (``labels``, all series) gets the cluster's choice (the first
    candidate on a tie, ``default`` where no series of the cluster was scored). Returns the
    choice per series ``(N,)`` and the mean MASE per candidate and cluster ``(n_candidates, n_clusters)``.

    Examples
    --------
    >>> bs = BacktestScores(["naive", "arima"], np.array([[1.0, 0.9, 0.5, 0.6], [0.8, 0.8, 0.7, 0.7]]), [[], []])
    >>> choice, mean = choose_per_cluster(bs, np.array([0, 0, 1, 1]), np.array([0, 1, 1, 0, 2]), default=1)
    >>> choice.tolist(), mean.round(2).tolist()
    ([1, 0, 0, 1, 1], [[0.95, 0.55, nan], [0.8, 0.7, nan]])
    """
    n_clusters = int(max(labels.max(initial=-1), labels_sample.max(initial=-1))) + 1
    m = np.where(np.isfinite(scores.mase), scores.mase, 0.0)
    ok = np.isfinite(scores.mase).astype(float)
    total = np.zeros((m.shape[0], n_clusters))
    count = np.zeros((m.shape[0], n_clusters))
    for i in range(m.shape[0]):
        total[i] = np.bincount(labels_sample, weights=m[i], minlength=n_clusters)
        count[i] = np.bincount(labels_sample, weights=ok[i], minlength=n_clusters)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    best = np.argmin(np.where(np.isfinite(mean), mean, np.inf), axis=0)
    per_cluster = np.where(np.isfinite(mean).any(axis=0), best, default)
    return per_cluster[labels], mean


def cluster_selection_columns(scores: BacktestScores, mean: np.ndarray, labels: np.ndarray, choice: np.ndarray,
                              naive: int | None, labels_sample: np.ndarray) -> dict[str, np.ndarray]:
    """``models_`` columns of a choice per cluster: the cluster's chosen candidate and its mean backtest scores."""
    n_clusters = mean.shape[1]
    text = np.asarray(["; ".join(f"{n}={v:.3f}" for n, v in zip(scores.names, mean[:, c], strict=True)
                                 if np.isfinite(v)) for c in range(n_clusters)], dtype=object)
    return {
        "selected": np.asarray(scores.names, dtype=object)[choice],
        "backtest_mase": mean[choice, labels],
        "backtest_mase_snaive": mean[naive, labels] if naive is not None else np.full(choice.size, np.nan),
        "backtest_scores": text[labels],
        "backtest_windows": np.full(choice.size, scores.windows),
        "selection_cluster": labels,
        "backtest_series": np.bincount(labels_sample, minlength=n_clusters)[labels],
    }
