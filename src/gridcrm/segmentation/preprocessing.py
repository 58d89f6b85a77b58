"""Preparing utility features for k-means.

K-means measures squared Euclidean distance, so on raw utility data it sees
little beyond the largest customers' kWh: amounts are skewed over several
orders of magnitude, units differ from column to column, some features are
missing for whole groups of customers (no interval meter, no bill yet) and
some are constant in a given extract. :class:`SegmentationPreprocessor` fixes
each of these in turn, the same way at fit and at predict time.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from gridcrm._params import ARRAY_LIKE, BOOLEAN, Interval, Options, ValidatedParams
from gridcrm.features.registry import FEATURES
from gridcrm.segmentation._validation import numeric_matrix, short, validated_input
from gridcrm.segmentation.errors import SegmentationInputError

__all__ = ["SegmentationPreprocessor", "LOG_UNITS"]

logger = logging.getLogger(__name__)

#: Registry units of non-negative amounts that are always log-transformed under ``log_transform="auto"``.
LOG_UNITS: frozenset[str] = frozenset({"kWh", "kWh/day", "kW", "kVA", "CNY", "count"})
# IQR of a normal distribution in standard deviations: a std fallback keeps the IQR's units.
_IQR_PER_STD = 1.349
#: Rows on which centres, scales and skewness are estimated (a fixed random sample when there are more).
STATS_ROWS = 200_000


class SegmentationPreprocessor(ValidatedParams, TransformerMixin, BaseEstimator):
    """Make customer features fit for k-means.

    In order, at fit and at transform time:

    1. **log** — ``log1p`` of skewed non-negative amounts (kWh, money,
       counts), so that a factory and a flat are a few units apart, not a
       million; values below 0 in a logged column count as 0;
    2. **scale** — centre on the median and divide by the interquartile
       range (robust to the outliers utility data always has); a column whose
       IQR is 0 (mostly zeros, like complaint counts) is divided by its
       standard deviation × 1.349 instead;
    3. **impute** — missing values take the column's median (its centre);
    4. **clip** — scaled values are clipped to ``[-clip, clip]`` so that a
       handful of extreme customers cannot claim clusters of their own;
    5. **missing indicators** — for columns often missing, a 0/1 column
       saying so, worth as much as one IQR of a feature. Columns always
       missing together (all interval-meter features, say) share one
       indicator, so a missing source counts once.

    Constant columns carry no information for clustering: they are dropped,
    with a :class:`UserWarning` naming them. All-missing columns and
    non-numeric columns are errors naming them.

    Parameters
    ----------
    log_transform : "auto", list of str or int, or None, default="auto"
        Columns to log. ``"auto"``: non-negative columns that are amounts in
        the feature registry (units kWh, kWh/day, kW, kVA, CNY, count) or
        whose skewness exceeds ``skew_threshold``. A list names the columns
        (by name for a DataFrame, by position for an array). ``None``: none.
    scaling : {"robust", "standard"} or None, default="robust"
        ``"robust"``: median and IQR; ``"standard"``: mean and standard
        deviation; ``None``: no scaling (columns already comparable).
    missing_indicator : "auto" or bool, default="auto"
        ``"auto"``: an indicator for columns with at least
        ``min_missing_share`` missing at fit time; ``True``: for every column
        with a missing value at fit time; ``False``: none.
    min_missing_share : float, default=0.05
        See ``missing_indicator``.
    clip : float or None, default=5.0
        Bound on the absolute value of scaled features; ``None``: no clipping.
    skew_threshold : float, default=1.0
        Skewness above which ``log_transform="auto"`` logs a non-negative column.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in fit.
    feature_names_in_ : ndarray of str
        Column names seen in fit (DataFrame input only).
    columns_ : ndarray of int
        Positions of the input columns kept (constant ones are dropped).
    log_columns_ : ndarray of bool
        For each kept column, whether it is logged.
    center_, scale_ : ndarray of float
        Centre and scale of each kept column (after the log).
    indicator_groups_ : list of ndarray of int
        For each missing indicator, the positions of the input columns it
        stands for (the indicator is the share of them missing in the row).
    constant_columns_ : list of str
        Names of the input columns dropped as constant.

    See Also
    --------
    CustomerSegmenter : uses this preprocessor before k-means.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"kwh_mean_365d": [3.0, 8.0, 9.0, 250.0, np.nan, 12.0],
    ...                   "on_time_rate_365d": [1.0, 0.9, np.nan, 1.0, np.nan, 0.5]})
    >>> pre = SegmentationPreprocessor().fit(X)
    >>> pre.get_feature_names_out().tolist()
    ['kwh_mean_365d', 'on_time_rate_365d', 'kwh_mean_365d_missing', 'on_time_rate_365d_missing']
    >>> pre.log_columns_.tolist()
    [True, False]
    >>> pre.transform(X).shape
    (6, 4)
    """

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        "log_transform": [Options({"auto"}), *ARRAY_LIKE, None],
        "scaling": [Options({"robust", "standard"}), None],
        "missing_indicator": [Options({"auto"}), *BOOLEAN],
        "min_missing_share": [Interval(Real, 0, 1, closed="right")],
        "clip": [Interval(Real, 0, None, closed="neither"), None],
        "skew_threshold": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        log_transform: str | Sequence[str | int] | None = "auto",
        scaling: str | None = "robust",
        missing_indicator: str | bool = "auto",
        min_missing_share: float = 0.05,
        clip: float | None = 5.0,
        skew_threshold: float = 1.0,
    ) -> None:
        self.log_transform = log_transform
        self.scaling = scaling
        self.missing_indicator = missing_indicator
        self.min_missing_share = min_missing_share
        self.clip = clip
        self.skew_threshold = skew_threshold

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: None = None) -> SegmentationPreprocessor:
        """Learn which columns to log, their centres and scales, and the missing indicators.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric features, NaN for missing values.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        X, names = validated_input(self, X, reset=True)
        return self._fit_matrix(numeric_matrix(X, names, range(len(names))), names)

    def _fit_matrix(self, A: np.ndarray, names: list[str]) -> SegmentationPreprocessor:
        """Fit on a float matrix already checked (the segmenter's entry point, which selects columns itself)."""
        self.n_features_in_ = A.shape[1]
        n, p = A.shape
        if n < 2:
            raise SegmentationInputError(f"X has n_samples={n}; at least 2 rows are needed to learn scales")
        missing = np.isnan(A)
        miss_share = missing.mean(axis=0)
        all_nan = np.flatnonzero(miss_share == 1.0)
        if all_nan.size:
            raise SegmentationInputError(
                f"column(s) {short([names[j] for j in all_nan])} are missing (NaN) in every row; "
                "drop them before fitting"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanmin(A, axis=0), np.nanmax(A, axis=0)
        constant = lo == hi
        self.constant_columns_ = [names[j] for j in np.flatnonzero(constant)]
        if constant.all():
            raise SegmentationInputError(
                f"every column of X is constant ({short(self.constant_columns_)}): there is nothing to cluster on"
            )
        if self.constant_columns_:
            warnings.warn(
                f"dropping constant column(s) {short(self.constant_columns_)}: they cannot separate customers",
                UserWarning,
                stacklevel=4,
            )
        kept = np.flatnonzero(~constant)
        rows = None if n <= STATS_ROWS else np.sort(np.random.default_rng(0).choice(n, STATS_ROWS, replace=False))
        S = A[:, kept] if rows is None else A[np.ix_(rows, kept)]
        logged = self._log_mask(S, names, kept, lo[kept] >= 0)
        stats = self._stats(_log1p_columns(S, logged))
        # A column nearly constant or nearly all-missing in the sample: take its statistics from all rows.
        thin = np.flatnonzero((stats[3] == 0) | np.isnan(stats[0]))
        if rows is not None and thin.size:
            full = self._stats(_log1p_columns(A[:, kept[thin]], logged[thin]))
            for arr, fixed in zip(stats, full, strict=True):
                arr[thin] = fixed
        self.columns_ = kept
        self.log_columns_ = logged
        self.median_, self.center_, self.scale_, _ = stats
        self.indicator_groups_ = self._indicator_groups(missing, miss_share)
        self._names_out = [names[j] for j in kept] + [f"{names[g[0]]}_missing" for g in self.indicator_groups_]
        logger.debug(
            "preprocessor: %d columns kept, %d logged, %d missing indicators",
            kept.size,
            int(self.log_columns_.sum()),
            len(self.indicator_groups_),
        )
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Log, scale, impute and clip the features and append the missing indicators.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in fit. NaN is imputed with the column's median
            (and flagged, if the column has a missing indicator).

        Returns
        -------
        ndarray of shape (n_samples, n_features_out)
        """
        check_is_fitted(self, "center_")
        X, names = validated_input(self, X, reset=False)
        A = numeric_matrix(X, names, range(len(names)))
        return self._transform_matrix(A)

    def _transform_matrix(self, A: np.ndarray) -> np.ndarray:
        T = _log1p_columns(A[:, self.columns_], self.log_columns_)
        T -= self.center_
        T /= self.scale_
        imputed = (self.median_ - self.center_) / self.scale_
        nan_rows, nan_cols = np.nonzero(np.isnan(T))
        T[nan_rows, nan_cols] = imputed[nan_cols]
        if self.clip is not None:
            np.clip(T, -self.clip, self.clip, out=T)
        if not self.indicator_groups_:
            return T
        ind = np.column_stack([np.isnan(A[:, g]).mean(axis=1) for g in self.indicator_groups_])
        return np.hstack([T, ind])

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        """Names of the output columns: the kept input columns, then ``<column>_missing`` indicators.

        Parameters
        ----------
        input_features : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "center_")
        return np.asarray(self._names_out, dtype=object)

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _log_mask(self, S: np.ndarray, names: list[str], kept: np.ndarray, nonneg: np.ndarray) -> np.ndarray:
        """Which kept columns to log; ``S`` holds the kept columns, ``nonneg`` says which have no negative value."""
        p = S.shape[1]
        if self.log_transform is None:
            return np.zeros(p, dtype=bool)
        if isinstance(self.log_transform, str):  # "auto"
            amounts = np.array([names[j] in FEATURES and FEATURES[names[j]].unit in LOG_UNITS for j in kept])
            return nonneg & (amounts | (_skewness(S) > self.skew_threshold))
        mask = np.zeros(p, dtype=bool)
        for c in self.log_transform:
            j = _input_position(c, names)
            if j not in kept:
                continue  # a constant column, dropped
            i = int(np.flatnonzero(kept == j)[0])
            if not nonneg[i]:
                raise SegmentationInputError(
                    f"log_transform: column {names[j]!r} has negative values; a log only suits non-negative amounts"
                )
            mask[i] = True
        return mask

    def _stats(self, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Median, centre, scale and standard deviation of each column of ``T`` (NaN ignored)."""
        p = T.shape[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            std = np.nanstd(T, axis=0)
            median = np.nanmedian(T, axis=0)
            if self.scaling is None:
                return median, np.zeros(p), np.ones(p), std
            if self.scaling == "standard":
                return median, np.nanmean(T, axis=0), np.where(std > 0, std, 1.0), std
            q25, q75 = np.nanpercentile(T, [25, 75], axis=0)
        scale = q75 - q25
        flat = ~(scale > 0)
        scale[flat] = std[flat] * _IQR_PER_STD
        scale[~(scale > 0)] = 1.0
        return median, median.copy(), scale, std

    def _indicator_groups(self, missing: np.ndarray, share: np.ndarray) -> list[np.ndarray]:
        if self.missing_indicator is False:
            return []
        floor = self.min_missing_share if self.missing_indicator == "auto" else np.finfo(float).tiny
        groups: dict[bytes, list[int]] = {}
        for j in np.flatnonzero(share >= floor):
            groups.setdefault(np.packbits(missing[:, j]).tobytes(), []).append(int(j))
        return [np.array(g) for g in groups.values()]


def _input_position(column: str | int, names: list[str]) -> int:
    if isinstance(column, Integral) and not isinstance(column, bool):
        if not 0 <= int(column) < len(names):
            raise SegmentationInputError(f"log_transform: position {column} is outside X's {len(names)} columns")
        return int(column)
    if column not in names:
        raise SegmentationInputError(f"log_transform: X has no column {column!r}; columns are {short(names)}")
    return names.index(column)


def _log1p_columns(A: np.ndarray, mask: np.ndarray) -> np.ndarray:
    T = np.array(A, dtype=np.float64, copy=True)
    if mask.any():
        T[:, mask] = np.log1p(np.maximum(T[:, mask], 0.0))
    return T


def _skewness(A: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = A - np.nanmean(A, axis=0)
        d2 = d * d
        m2 = np.nanmean(d2, axis=0)
        m3 = np.nanmean(d2 * d, axis=0)
        skew = m3 / m2**1.5
    return np.nan_to_num(skew, nan=0.0)
