"""Load-shape clustering: typical daily load profiles, each customer's dominant shape and shape mix.

A daily load profile is one day of a customer's interval load as 24 (hourly)
or 96 (15-minute) numbers. :func:`daily_load_profiles` builds the wide frame
of profiles from the ``load_interval`` table; :class:`LoadShapeClusterer`
normalises each profile (by the day's total, its maximum, or to z-scores), so
that a factory and a shop with the same rhythm share a shape whatever their
size, and clusters the normalised profiles into typical shapes with k-means.
:meth:`LoadShapeClusterer.shape_features` turns the day-level shapes into
customer features: the dominant shape and the share of days in each shape.
"""

from __future__ import annotations

import logging
import re
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from gridcrm._params import N_JOBS, RANDOM_STATE, VERBOSE, Interval, Options, ValidatedParams
from gridcrm.segmentation._kmeans import n_threads, nearest_center
from gridcrm.segmentation._validation import K_RANGE_RULE, numeric_matrix, short, validated_input
from gridcrm.segmentation.errors import SegmentationInputError
from gridcrm.segmentation.selection import K_SELECTION_METHODS, cluster

__all__ = ["LoadShapeClusterer", "daily_load_profiles", "normalize_profiles", "name_shapes", "segment_load_shapes",
           "IDLE"]

logger = logging.getLogger(__name__)

#: Label of a day without consumption: it has no shape.
IDLE = -1
_DAY_NS = 86_400 * 10**9
_INTERVALS_PER_DAY = 96  # load_interval is on a 15-minute grid
# Time-of-day periods used in shape names: (first hour, name).
_PERIODS = ((0, "night"), (6, "morning"), (10, "daytime"), (17, "evening"), (23, "night"))
_FLAT_PEAK_TO_MEAN = 1.3


def daily_load_profiles(
    load_interval: pd.DataFrame,
    *,
    points_per_day: int = 24,
    per: str = "day",
    days: str = "all",
    min_coverage: float = 0.9,
) -> pd.DataFrame:
    """Wide frame of daily load profiles from the ``load_interval`` table.

    Parameters
    ----------
    load_interval : DataFrame
        Columns ``customer_id``, ``timestamp`` (datetime64, 15-minute grid)
        and ``kw``, as in :data:`gridcrm.data.schemas.LOAD_INTERVAL`.
    points_per_day : {24, 48, 96}, default=24
        Points of a profile: hourly (mean kW of the hour's intervals), half-hourly or 15-minute.
    per : {"day", "customer"}, default="day"
        ``"day"``: one row per customer and day (index ``customer_id, date``);
        ``"customer"``: each customer's mean daily profile over its complete
        days (index ``customer_id``).
    days : {"all", "weekday", "weekend"}, default="all"
        Which days of the week to keep.
    min_coverage : float, default=0.9
        Share of a day's 96 intervals that must have a reading; days with
        less, or with a point (hour) without any reading, are left out.

    Returns
    -------
    DataFrame
        One column per time of day, labelled ``"00:00"``, ``"01:00"``, ... in kW.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> ts = pd.date_range("2024-01-01", periods=2 * 96, freq="15min")
    >>> li = pd.DataFrame({"customer_id": 7, "timestamp": ts, "kw": np.tile(np.repeat(np.arange(24.0), 4), 2)})
    >>> p = daily_load_profiles(li)
    >>> p.shape, list(p.index.names), p.iloc[0, :3].tolist()
    ((2, 24), ['customer_id', 'date'], [0.0, 1.0, 2.0])
    """
    _check_profile_args(load_interval, points_per_day, per, days, min_coverage)
    cid = load_interval["customer_id"].to_numpy()
    ts = load_interval["timestamp"].to_numpy().astype("datetime64[ns]").view("int64")
    kw = load_interval["kw"].to_numpy(dtype=np.float64, na_value=np.nan)
    day = ts // _DAY_NS
    if days != "all":
        weekend = (day + 3) % 7 >= 5  # 1970-01-01 was a Thursday; Monday = 0
        keep = weekend if days == "weekend" else ~weekend
        cid, ts, kw, day = cid[keep], ts[keep], kw[keep], day[keep]
    m = points_per_day
    slot = (ts - day * _DAY_NS) // (_DAY_NS // m)
    cust_codes, cust_ids = pd.factorize(cid, sort=True)
    first_day = day.min() if day.size else 0
    n_days = int(day.max() - first_day + 1) if day.size else 1
    group, keys = pd.factorize(cust_codes.astype(np.int64) * n_days + (day - first_day), sort=True)
    g = len(keys)
    flat = group * m + slot
    have = ~np.isnan(kw)
    sums = np.bincount(flat, weights=np.where(have, kw, 0.0), minlength=g * m).reshape(g, m)
    counts = np.bincount(flat, weights=have, minlength=g * m).reshape(g, m)
    complete = (counts.sum(axis=1) >= min_coverage * _INTERVALS_PER_DAY) & (counts > 0).all(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        profiles = sums[complete] / counts[complete]
    keys = keys[complete]
    columns = [f"{(j * 1440 // m) // 60:02d}:{(j * 1440 // m) % 60:02d}" for j in range(m)]
    customer = np.asarray(cust_ids)[keys // n_days]
    date = ((keys % n_days + first_day) * _DAY_NS).astype("datetime64[ns]")
    logger.debug("daily profiles: %d complete days of %d, %d customers", complete.sum(), g, np.unique(customer).size)
    if per == "customer":
        out = pd.DataFrame(profiles, columns=columns).groupby(customer).mean()
        out.index.name = "customer_id"
        return out
    index = pd.MultiIndex.from_arrays([customer, date], names=["customer_id", "date"])
    return pd.DataFrame(profiles, index=index, columns=columns)


def segment_load_shapes(
    load_interval: pd.DataFrame | None,
    labels: pd.Series,
    *,
    as_of: pd.Timestamp | str | None = None,
    days: int = 30,
    points_per_day: int = 24,
) -> pd.DataFrame:
    """Typical day of each segment: the mean of its interval-metered customers' daily shapes.

    Each customer's mean daily profile over the ``days`` days before ``as_of``
    (:func:`daily_load_profiles`, ``per="customer"``) is normalised to shares of
    the day's energy, so that a large and a small customer weigh alike; the
    segment's shape is their mean.

    Parameters
    ----------
    load_interval : DataFrame or None
        ``customer_id``, ``timestamp``, ``kw``; ``None`` or empty: no shapes.
    labels : Series
        Segment of each customer, indexed by ``customer_id``.
    as_of : Timestamp-like, optional
        Only intervals before it are read (default: all).
    days : int, default=30
    points_per_day : {24, 48, 96}, default=24

    Returns
    -------
    DataFrame
        Index: the segments with at least one interval-metered customer;
        columns: times of day; values: share of the day's energy.
        ``attrs["n_customers"]``: customers behind each shape.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> ts = pd.date_range("2024-01-01", periods=3 * 96, freq="15min")
    >>> day = np.where((np.arange(96) >= 36) & (np.arange(96) < 72), 3.0, 1.0)  # 09-18 h: 3 x the rest, 3 / (9 x 3 + 15)
    >>> li = pd.DataFrame({"customer_id": np.repeat([1, 2], len(ts)), "timestamp": np.tile(ts, 2),
    ...                    "kw": np.r_[np.tile(day, 3), 10 * np.tile(day, 3)]})
    >>> shapes = segment_load_shapes(li, pd.Series([0, 0, 1], index=[1, 2, 3]))
    >>> shapes.index.tolist(), shapes.attrs["n_customers"], round(float(shapes.loc[0, "12:00"]), 4)
    ([0], {0: 2}, 0.0714)
    """
    if load_interval is None or len(load_interval) == 0:
        return pd.DataFrame()
    li = load_interval
    if as_of is not None:
        end = pd.Timestamp(as_of)
        li = li[(li["timestamp"] < end) & (li["timestamp"] >= end - pd.Timedelta(days=days))]
    li = li[li["customer_id"].isin(labels.index)]
    if len(li) == 0:
        return pd.DataFrame()
    profiles = daily_load_profiles(li, points_per_day=points_per_day, per="customer")
    totals = profiles.sum(axis=1)
    shares = profiles[totals > 0].div(totals[totals > 0], axis=0)
    segment = labels.reindex(shares.index)
    out = shares.groupby(segment.to_numpy()).mean()
    out.index.name = "segment"
    out.attrs["n_customers"] = {int(g): int(n) for g, n in segment.value_counts().sort_index().items()}
    return out


def _check_profile_args(load_interval: Any, points_per_day: int, per: str, days: str, min_coverage: float) -> None:
    if not isinstance(load_interval, pd.DataFrame):
        raise SegmentationInputError(f"load_interval must be a DataFrame, got {type(load_interval).__name__}")
    absent = [c for c in ("customer_id", "timestamp", "kw") if c not in load_interval.columns]
    if absent:
        raise SegmentationInputError(f"load_interval lacks column(s) {absent} (see gridcrm.data.schemas.LOAD_INTERVAL)")
    if not pd.api.types.is_datetime64_dtype(load_interval["timestamp"]):
        raise SegmentationInputError(
            f"load_interval.timestamp must be datetime64, got {load_interval['timestamp'].dtype}; "
            "load tables with gridcrm.data.load_dataset or convert with pd.to_datetime"
        )
    if points_per_day not in (24, 48, 96):
        raise SegmentationInputError(f"points_per_day must be 24, 48 or 96, got {points_per_day!r}")
    if per not in ("day", "customer"):
        raise SegmentationInputError(f"per must be 'day' or 'customer', got {per!r}")
    if days not in ("all", "weekday", "weekend"):
        raise SegmentationInputError(f"days must be 'all', 'weekday' or 'weekend', got {days!r}")
    if not 0 <= min_coverage <= 1:
        raise SegmentationInputError(f"min_coverage must be a share between 0 and 1, got {min_coverage!r}")


def normalize_profiles(
    P: np.ndarray, method: str | None, names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Normalise each row (day) of ``P``; return the shapes and a mask of idle rows.

    Parameters
    ----------
    P : ndarray of shape (n_rows, n_points)
        Load profiles, no NaN.
    method : {"total", "max", "zscore"} or None
        ``"total"``: divide by the row's sum (shares of the day's energy);
        ``"max"``: divide by the row's maximum (1 at the peak); ``"zscore"``:
        subtract the row's mean and divide by its standard deviation (a
        constant row becomes all zeros); ``None``: rows as given.
    names : list of str, optional
        Column names, for error messages.

    Returns
    -------
    shapes : ndarray of shape (n_rows, n_points)
    idle : ndarray of bool
        Rows that are all zero (no consumption, so no shape); their shape is
        all zeros. Always False when ``method`` is None.

    Examples
    --------
    >>> S, idle = normalize_profiles(np.array([[1.0, 3.0], [0.0, 0.0]]), "total")
    >>> S.tolist(), idle.tolist()
    ([[0.25, 0.75], [0.0, 0.0]], [False, True])
    """
    if method is None:
        return P, np.zeros(P.shape[0], dtype=bool)
    idle = ~(P != 0).any(axis=1)
    if method in ("total", "max"):
        negative = np.flatnonzero((P < 0).any(axis=0))
        if negative.size:
            cols = [names[j] if names else j for j in negative]
            raise SegmentationInputError(
                f"Negative values in data: load profile column(s) {short(cols)}; normalize={method!r} needs "
                "non-negative load: use normalize='zscore' (or None) for net load"
            )
        denom = P.sum(axis=1) if method == "total" else P.max(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            S = P / denom[:, None]
    else:
        std = P.std(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            S = (P - P.mean(axis=1, keepdims=True)) / np.where(std > 0, std, 1.0)[:, None]
    S[idle] = 0.0
    return S, idle


def name_shapes(centers: np.ndarray, normalize: str | None = "total") -> list[str]:
    """Names of shapes from their centres: when the day peaks, or ``"flat"``.

    A shape whose peak is less than 1.3 × its mean is ``"flat"`` (not judged
    for z-scored shapes, whose level is gone); otherwise it is named by the
    periods (night 23–06, morning 06–10, daytime 10–17, evening 17–23) of its
    peaks: the stretches of the day at least 75 % of the way from the lowest
    to the highest point, each named by the period holding most of it.
    Shapes sharing a name are told apart by the time of their highest point
    ("evening peak at 19:00"), then by a number.

    Examples
    --------
    >>> h = np.arange(24)
    >>> evening = 1 + np.exp(-0.5 * ((h - 19.5) / 1.5) ** 2)
    >>> name_shapes(np.vstack([evening / evening.sum(), np.full(24, 1 / 24)]))
    ['evening peak', 'flat']
    """
    names, peak_at = [], []
    for c in np.asarray(centers, dtype=float):
        m = c.size
        level = c.mean()
        if np.ptp(c) == 0:
            names.append("flat")
            peak_at.append("")
            continue
        peak_at.append(f"{(int(np.argmax(c)) * 1440 // m) // 60:02d}:{(int(np.argmax(c)) * 1440 // m) % 60:02d}")
        if normalize in ("total", "max") and level > 0 and c.max() < _FLAT_PEAK_TO_MEAN * level:
            names.append("flat")
            continue
        periods = _peak_periods(c)
        names.append(f"{periods[0]} peak" if len(periods) == 1 else f"{periods[0]} and {periods[1]} peaks")
    out = [f"{nm} at {at}" if nm != "flat" and names.count(nm) > 1 else nm for nm, at in zip(names, peak_at, strict=True)]
    seen: dict[str, int] = {}
    for i, nm in enumerate(out):
        seen[nm] = seen.get(nm, 0) + 1
        out[i] = nm if seen[nm] == 1 else f"{nm} ({seen[nm]})"
    return out


def _peak_periods(c: np.ndarray) -> list[str]:
    """Periods of the day's peaks, highest first: one per stretch of the day above 75 % of the range.

    A stretch (a plateau of office hours, an evening hump) is named by the
    period holding most of its points; midnight wraps around.
    """
    m = c.size
    smooth = np.convolve(np.r_[c[-1], c, c[0]], np.ones(3) / 3, mode="valid")
    above = smooth >= smooth.min() + 0.75 * (smooth.max() - smooth.min())
    start = int(np.argmin(above))  # a point below the threshold: stretches do not wrap past it
    order = (np.arange(m) + start) % m
    stretches: list[list[int]] = []
    for j, prev in zip(order, np.r_[False, above[order][:-1]], strict=True):
        if above[j]:
            if not prev:
                stretches.append([])
            stretches[-1].append(int(j))
    stretches.sort(key=lambda st: -smooth[st].max())
    periods = []
    for st in stretches:
        hours = [_period(j * 24 / m) for j in st]
        periods.append(max(dict.fromkeys(hours), key=hours.count))
    return list(dict.fromkeys(periods))


def _period(hour: float) -> str:
    return [name for start, name in _PERIODS if hour >= start][-1]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


class LoadShapeClusterer(ValidatedParams, ClusterMixin, BaseEstimator):
    """K-means clustering of daily load profiles into typical load shapes.

    Each row (a customer-day, or a customer's mean day) is normalised by
    ``normalize`` and the normalised shapes are clustered; k is chosen like
    :class:`CustomerSegmenter` does when ``n_clusters="auto"``. Rows without
    any consumption have no shape: they are labelled ``-1`` (:data:`IDLE`).
    Shapes are numbered by decreasing size and named by when the day peaks
    (:func:`name_shapes`).

    Parameters
    ----------
    n_clusters : "auto" or int, default="auto"
        Number of shapes, or ``"auto"`` to choose it in ``k_range``.
    normalize : {"total", "max", "zscore"} or None, default="total"
        Row normalisation (see :func:`normalize_profiles`). ``"total"`` and
        ``"max"`` need non-negative load; ``None`` clusters rows as given.
    k_range : (int, int), default=(2, 10)
    k_selection : {"vote", "silhouette", "calinski_harabasz", "davies_bouldin", "elbow"}, default="vote"
    n_init : int, default=4
    minibatch_threshold : int, default=100_000
        Rows above which ``MiniBatchKMeans`` replaces ``KMeans``.
    selection_sample_size : int or None, default=50_000
    silhouette_sample_size : int or None, default=4_000
    n_jobs : int or None, default=None
        Threads, as in :class:`CustomerSegmenter`.
    random_state : int, RandomState or None, default=0
        Seed of the samples and initialisations. None: not seeded, results vary
        from run to run; an int: reproducible.
    verbose : int, default=0
        0: progress logged at DEBUG level, 1 or more: at INFO level.

    Attributes
    ----------
    n_clusters_ : int
    labels_ : ndarray of shape (n_samples,)
        Shape of each row; ``-1`` for idle rows.
    cluster_centers_ : ndarray of shape (n_clusters_, n_points)
        Mean normalised shape of each cluster (the representative shape).
    shapes_ : DataFrame
        ``cluster_centers_`` with the time-of-day columns, indexed by shape.
    shape_names_ : list of str
        Readable name of each shape ("evening peak", "flat", ...).
    inertia_ : float
    n_iter_ : int
    algorithm_ : {"kmeans", "minibatch"}
    k_scores_ : DataFrame or None
    k_votes_ : dict or None
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names in fit (DataFrame input only).

    See Also
    --------
    daily_load_profiles : builds ``X`` from ``load_interval``.
    CustomerSegmenter : ``shape_features`` output can join the customer features.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> h = np.arange(24)
    >>> evening = 1 + 2 * np.exp(-0.5 * ((h - 19) / 1.5) ** 2)
    >>> daytime = 0.3 + 2 * ((h >= 8) & (h < 18))
    >>> X = np.vstack([evening * rng.uniform(1, 5, (40, 1)), daytime * rng.uniform(10, 50, (20, 1))])
    >>> X = X * rng.lognormal(0, 0.05, X.shape)
    >>> shapes = LoadShapeClusterer(k_range=(2, 4), random_state=0).fit(X)
    >>> shapes.n_clusters_, shapes.shape_names_
    (2, ['evening peak', 'daytime peak'])
    """

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        "n_clusters": [Options({"auto"}), Interval(Integral, 1, None, closed="left")],
        "normalize": [Options({"total", "max", "zscore"}), None],
        "k_range": [K_RANGE_RULE],
        "k_selection": [Options(K_SELECTION_METHODS)],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "minibatch_threshold": [Interval(Integral, 1, None, closed="left")],
        "selection_sample_size": [Interval(Integral, 10, None, closed="left"), None],
        "silhouette_sample_size": [Interval(Integral, 10, None, closed="left"), None],
        "n_jobs": N_JOBS,
        "random_state": [*RANDOM_STATE, np.random.RandomState],
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        n_clusters: str | int = "auto",
        *,
        normalize: str | None = "total",
        k_range: tuple[int, int] = (2, 10),
        k_selection: str = "vote",
        n_init: int = 4,
        minibatch_threshold: int = 100_000,
        selection_sample_size: int | None = 50_000,
        silhouette_sample_size: int | None = 4_000,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = 0,
        verbose: int = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.normalize = normalize
        self.k_range = k_range
        self.k_selection = k_selection
        self.n_init = n_init
        self.minibatch_threshold = minibatch_threshold
        self.selection_sample_size = selection_sample_size
        self.silhouette_sample_size = silhouette_sample_size
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: None = None) -> LoadShapeClusterer:
        """Normalise the profiles, choose k (if asked) and cluster the shapes.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_points)
            One daily load profile per row (24 or 96 points), e.g. from
            :func:`daily_load_profiles`; no NaN.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        level = logging.INFO if self.verbose else logging.DEBUG
        S, idle, names = self._shapes(X, reset=True)
        active = np.flatnonzero(~idle)
        n = active.size
        if isinstance(self.n_clusters, Integral) and n < self.n_clusters:
            raise SegmentationInputError(
                f"n_clusters={self.n_clusters} but X has only n_samples={n} rows with consumption; "
                "lower n_clusters or pass more days"
            )
        found = cluster(S[active] if n < S.shape[0] else S, self, check_random_state(self.random_state), level)
        k, fit = found.k, found.fit
        self.n_clusters_ = k
        self.k_scores_, self.k_votes_ = found.scores, found.votes
        self.cluster_centers_ = fit.centers
        self.labels_ = np.full(S.shape[0], IDLE, dtype=np.int64)
        self.labels_[active] = fit.labels
        self.inertia_ = fit.inertia
        self.n_iter_ = fit.n_iter
        self.algorithm_ = fit.algorithm
        self.shape_names_ = name_shapes(fit.centers, self.normalize)
        self.shapes_ = pd.DataFrame(fit.centers, index=pd.RangeIndex(k, name="shape"), columns=names)
        logger.log(level, "%d load shapes from %d profiles (%d idle): %s", k, S.shape[0], idle.sum(), self.shape_names_)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Shape of each profile: the nearest representative shape, ``-1`` for idle rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_points)

        Returns
        -------
        ndarray of int64, shape (n_samples,)
        """
        check_is_fitted(self, "cluster_centers_")
        S, idle, _ = self._shapes(X, reset=False)
        with threadpool_limits(limits=n_threads(self.n_jobs)):
            labels = nearest_center(S, self.cluster_centers_)[0]
        labels[idle] = IDLE
        return labels

    def shape_features(self, X: pd.DataFrame | np.ndarray, customer_id: Any = None) -> pd.DataFrame:
        """Each customer's dominant shape and shape mix, as customer features.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_points)
            Daily profiles; with ``customer_id=None`` a DataFrame whose index
            has a ``customer_id`` level (as :func:`daily_load_profiles` returns).
        customer_id : array-like, optional
            Customer of each row, when ``X`` does not carry it in its index.

        Returns
        -------
        DataFrame
            Indexed by ``customer_id``: ``dominant_shape`` (label),
            ``dominant_shape_name`` (category), ``shape_share_<name>`` for
            every shape (share of the customer's days) and, with a
            normalisation, ``idle_day_share``.
        """
        check_is_fitted(self, "cluster_centers_")
        ids = self._customer_ids(X, customer_id)
        labels = self.predict(X)
        k = self.n_clusters_
        codes, uniques = pd.factorize(ids, sort=True)
        counts = np.bincount(codes * (k + 1) + (labels + 1), minlength=len(uniques) * (k + 1))
        counts = counts.reshape(len(uniques), k + 1).astype(float)
        share = counts / counts.sum(axis=1, keepdims=True)
        names = self.shape_names_
        out = pd.DataFrame(share[:, 1:], index=pd.Index(uniques, name="customer_id"),
                           columns=[f"shape_share_{_slug(nm)}" for nm in names])
        if self.normalize is not None:
            out["idle_day_share"] = share[:, 0]
        dominant = np.where(counts[:, 1:].sum(axis=1) > 0, counts[:, 1:].argmax(axis=1), IDLE)
        out.insert(0, "dominant_shape", dominant)
        out.insert(1, "dominant_shape_name", pd.Categorical(
            [names[d] if d >= 0 else "idle" for d in dominant], categories=[*names, "idle"]))
        return out

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = self.normalize in ("total", "max")
        return tags

    def _shapes(self, X: Any, *, reset: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
        X, names = validated_input(self, X, reset=reset)
        A = numeric_matrix(X, names, range(len(names)))
        if A.shape[1] < 2:
            raise SegmentationInputError(
                f"X has n_features={A.shape[1]}; a load shape needs at least 2 points per day (24 or 96)"
            )
        nan_cols = np.flatnonzero(np.isnan(A).any(axis=0))
        if nan_cols.size:
            raise SegmentationInputError(
                f"load profiles have missing values (NaN) in column(s) {short([names[j] for j in nan_cols])}; a shape "
                "needs every point of the day: fill or drop those rows (daily_load_profiles leaves incomplete "
                "days out)"
            )
        S, idle = normalize_profiles(A, self.normalize, names)
        return S, idle, names

    def _customer_ids(self, X: Any, customer_id: Any) -> np.ndarray:
        if customer_id is not None:
            ids = np.asarray(customer_id)
            if ids.shape != (len(X),):
                raise SegmentationInputError(f"customer_id: expected one id per row ({len(X)}), got shape {ids.shape}")
            return ids
        if isinstance(X, pd.DataFrame) and "customer_id" in (X.index.names or []):
            return X.index.get_level_values("customer_id").to_numpy()
        raise SegmentationInputError(
            "shape_features needs the customer of each row: pass customer_id=... or a DataFrame indexed by "
            "customer_id (as daily_load_profiles returns)"
        )
