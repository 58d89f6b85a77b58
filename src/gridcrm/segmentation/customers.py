"""Customer segmentation: k-means on the customer feature table, with k chosen, stability checked and segments named."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from gridcrm._params import ARRAY_LIKE, BOOLEAN, N_JOBS, RANDOM_STATE, VERBOSE, Interval, Options, ValidatedParams
from gridcrm.segmentation._kmeans import n_threads, nearest_center, seeds
from gridcrm.segmentation._validation import K_RANGE_RULE, array_names, numeric_matrix, short, validated_input
from gridcrm.segmentation.errors import SegmentationInputError, UnstableSegmentsWarning
from gridcrm.segmentation.preprocessing import SegmentationPreprocessor
from gridcrm.segmentation.profile import Phrase, SegmentProfile, profile_groups
from gridcrm.segmentation.selection import K_SELECTION_METHODS, cluster
from gridcrm.segmentation.stability import assess_stability
from gridcrm.segmentation.stratified import STRATUM_SEPARATOR, by_columns, fit_strata, stratum_keys

__all__ = ["CustomerSegmenter", "DEFAULT_FEATURES", "BEHAVIOUR_FEATURES"]

logger = logging.getLogger(__name__)

#: Registry features used by default (those present in the data): how much, when in
#: the week and the year, how regularly, in what daily shape, on what connection,
#: and how the customer pays.
DEFAULT_FEATURES: tuple[str, ...] = (
    "kwh_mean_365d",
    "kwh_cv_90d",
    "weekday_weekend_ratio",
    "seasonality_strength",
    "zero_day_share_365d",
    "load_factor",
    "peak_share",
    "valley_share",
    "contracted_kva",
    "daily_capacity_utilisation",
    "on_time_rate_365d",
    "days_late_mean_365d",
    "online_channel_share_365d",
)
#: Features of the within-class (``by=...``) default: the ones that separated the generator's behaviour
#: groups best (share of each feature's variance between the groups, then k-means ARI on three extracts):
#: level, extra kWh per heating degree, winter over summer use, weekly rhythm, regularity, and the
#: household's size (homes only; a stratum without it leaves it out). The heating slope in kWh/day/°C
#: separated electric heating better than the relative heating sensitivity (a ratio to a noisy intercept);
#: the winter/summer ratio tells electric heating from homes that are merely large.
BEHAVIOUR_FEATURES: tuple[str, ...] = (
    "kwh_mean_365d",
    "heating_slope",
    "winter_summer_ratio",
    "weekend_ratio_365d",
    "day_to_day_variability_365d",
    "household_size",
)
#: Customers on which refits for the stability report are made.
STABILITY_SAMPLE_SIZE = 20_000


class CustomerSegmenter(ValidatedParams, ClusterMixin, BaseEstimator):
    """K-means segmentation of customers, with k chosen from the data and segments described in words.

    ``fit`` selects the features, prepares them for k-means
    (:class:`SegmentationPreprocessor`: log of skewed amounts, robust scaling,
    median imputation with missing indicators, constant columns dropped),
    chooses k when ``n_clusters="auto"`` (silhouette, Calinski–Harabasz,
    Davies–Bouldin and elbow over ``k_range``, on a sample of
    ``selection_sample_size`` customers), fits k-means on all customers
    (``KMeans``, or ``MiniBatchKMeans`` above ``minibatch_threshold``
    customers; ``n_init`` seeded initialisations) and measures how stable the
    segments are across seeds and bootstrap resamples. Segments are numbered
    by decreasing size.

    Parameters
    ----------
    n_clusters : "auto" or int, default="auto"
        Number of segments, or ``"auto"`` to choose it in ``k_range``.
    features : "default", list of str or int, or None, default="default"
        Columns to cluster on. ``"default"``: the :data:`DEFAULT_FEATURES`
        present in a DataFrame (all columns of an array, or of a DataFrame
        holding none of them); default features missing in every row are
        left out with a warning. A list: those columns (names for a
        DataFrame, positions for an array). ``None``: all columns.
    k_range : (int, int), default=(2, 12)
        Smallest and largest k tried by ``n_clusters="auto"``.
    k_selection : {"vote", "silhouette", "calinski_harabasz", "davies_bouldin", "elbow", "stability"}, \
default="vote"
        How k is chosen: the k most criteria find best (ties: best
        silhouette), one criterion, or ``"stability"``: the largest k whose
        segments come back across seeds and bootstraps (mean ARI at least
        ``stability_threshold``) with no segment under ``min_segment_share``.
    by : str, list of str or None, default=None
        Columns of ``X`` (a customer class, a region) to segment *within*: one
        segmentation per stratum, k chosen in each, labels unique across
        strata, names prefixed with the stratum ("residential · ...").
    min_segment_share : float, default=0.03
        Smallest segment share an actionable k needs (``k_selection="stability"``).
    min_stratum_size : int, default=50
        Strata with fewer customers are one segment (with a note in ``notes_``).
    log_transform, scaling, missing_indicator, clip
        Passed to :class:`SegmentationPreprocessor`.
    n_init : int, default=4
        Seeded k-means initialisations; the best (lowest inertia) is kept.
    minibatch_threshold : int, default=100_000
        Customers above which ``MiniBatchKMeans`` replaces ``KMeans``.
    selection_sample_size : int or None, default=50_000
        Customers on which k is chosen (all if ``None`` or fewer).
    silhouette_sample_size : int or None, default=4_000
        Customers on which the silhouette is computed for each k.
    stability_runs : int, default=5
        Refits with other seeds, and on bootstrap resamples, each (on up to
        20,000 customers); 0 skips the stability check.
    stability_threshold : float, default=0.75
        Mean adjusted Rand index below which the segments are called unstable
        (an :class:`UnstableSegmentsWarning` is issued; so it is when a
        segment's bootstrap Jaccard similarity falls below 0.5).
    n_jobs : int or None, default=None
        Threads: the k-means fits of the k scan and of the stability check run
        side by side (each on one core), the final fit and ``predict`` use
        this many cores. ``None``: 1 (unless in a ``joblib.parallel_config``
        context), ``-1``: all cores.
    random_state : int, RandomState or None, default=0
        Seed of every random choice (samples, initialisations, resamples).
        None: not seeded, results vary from run to run; an int: reproducible.
    verbose : int, default=0
        0: progress is logged at DEBUG level; 1 or more: at INFO level
        (logger ``gridcrm.segmentation``).

    Attributes
    ----------
    n_clusters_ : int
        Number of segments (over all strata with ``by``).
    labels_ : ndarray of shape (n_samples,)
        Segment of each customer of ``X``.
    cluster_centers_ : ndarray of shape (n_clusters_, n_model_features)
        Segment centres in the preprocessed space (columns:
        ``preprocessor_.get_feature_names_out()``).
    inertia_ : float
        Sum of squared distances to the nearest centre (preprocessed space).
    n_iter_ : int
        Iterations (mini-batch steps for ``MiniBatchKMeans``) of the final fit.
    algorithm_ : {"kmeans", "minibatch"}
        Which k-means ran on all customers.
    features_ : list of str
        Input columns clustered on.
    preprocessor_ : SegmentationPreprocessor
        The fitted preprocessing.
    k_scores_ : DataFrame or None
        For ``n_clusters="auto"``: per k, inertia, silhouette,
        Calinski–Harabasz and Davies–Bouldin; ``None`` otherwise.
    k_votes_ : dict of str to int or None
        Best k of each criterion (``n_clusters="auto"``).
    stability_ : StabilityReport or None
        Agreement across seeds and bootstrap resamples.
    n_features_in_ : int
        Number of columns of ``X`` in fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` in fit (DataFrame input only).
    strata_ : DataFrame
        With ``by``: one row per segment, ``stratum``, ``local_segment`` and
        ``n_customers``. ``cluster_centers_``, ``inertia_``, ``n_iter_``,
        ``algorithm_`` and ``preprocessor_`` then live in ``segmenters_``.
    segmenters_ : dict of str to CustomerSegmenter or None
        With ``by``: the fitted segmenter of each stratum (``None``: a small
        stratum, one segment). ``k_scores_`` is then indexed by
        (``stratum``, ``k``), ``k_votes_`` and ``stability_`` are dicts by stratum.
    notes_ : list of str
        What was simplified (small strata, unstable segments), one line each.

    Notes
    -----
    Missing values: NaN is imputed with the feature's median, at fit and at
    predict time, and flagged by the missing indicators of often-missing
    features; a feature never missing in fit but missing at predict time is
    logged as a warning. Infinite values and non-numeric columns are errors.

    See Also
    --------
    LoadShapeClusterer : clusters daily load shapes; its shape mix can be fed in as features.
    profile_groups : the same portrait for any grouping (class, tag).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({
    ...     "kwh_mean_365d": np.r_[rng.lognormal(1.5, 0.3, 60), rng.lognormal(6, 0.3, 30)],
    ...     "weekday_weekend_ratio": np.r_[rng.normal(0.95, 0.05, 60), rng.normal(1.8, 0.1, 30)],
    ... })
    >>> seg = CustomerSegmenter(k_range=(2, 5), stability_runs=2, random_state=0).fit(X)
    >>> seg.n_clusters_, np.bincount(seg.labels_).tolist()
    (2, [60, 30])
    >>> seg.profile(X).names.tolist()
    ['low-consumption customers, weekend-heavy', 'high-consumption customers, weekday-heavy']
    """

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        "n_clusters": [Options({"auto"}), Interval(Integral, 1, None, closed="left")],
        "features": [Options({"default"}), *ARRAY_LIKE, None],
        "k_range": [K_RANGE_RULE],
        "k_selection": [Options(K_SELECTION_METHODS)],
        "by": [str, list, tuple, None],
        "min_segment_share": [Interval(Real, 0, 1, closed="left")],
        "min_stratum_size": [Interval(Integral, 1, None, closed="left")],
        "log_transform": [Options({"auto"}), *ARRAY_LIKE, None],
        "scaling": [Options({"robust", "standard"}), None],
        "missing_indicator": [Options({"auto"}), *BOOLEAN],
        "clip": [Interval(Real, 0, None, closed="neither"), None],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "minibatch_threshold": [Interval(Integral, 1, None, closed="left")],
        "selection_sample_size": [Interval(Integral, 10, None, closed="left"), None],
        "silhouette_sample_size": [Interval(Integral, 10, None, closed="left"), None],
        "stability_runs": [Interval(Integral, 0, None, closed="left")],
        "stability_threshold": [Interval(Real, 0, 1, closed="both")],
        "n_jobs": N_JOBS,
        "random_state": [*RANDOM_STATE, np.random.RandomState],
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        n_clusters: str | int = "auto",
        *,
        features: str | Sequence[str | int] | None = "default",
        k_range: tuple[int, int] = (2, 12),
        k_selection: str = "vote",
        by: str | Sequence[str] | None = None,
        min_segment_share: float = 0.03,
        min_stratum_size: int = 50,
        log_transform: str | Sequence[str | int] | None = "auto",
        scaling: str | None = "robust",
        missing_indicator: str | bool = "auto",
        clip: float | None = 5.0,
        n_init: int = 4,
        minibatch_threshold: int = 100_000,
        selection_sample_size: int | None = 50_000,
        silhouette_sample_size: int | None = 4_000,
        stability_runs: int = 5,
        stability_threshold: float = 0.75,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = 0,
        verbose: int = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.features = features
        self.k_range = k_range
        self.k_selection = k_selection
        self.by = by
        self.min_segment_share = min_segment_share
        self.min_stratum_size = min_stratum_size
        self.log_transform = log_transform
        self.scaling = scaling
        self.missing_indicator = missing_indicator
        self.clip = clip
        self.n_init = n_init
        self.minibatch_threshold = minibatch_threshold
        self.selection_sample_size = selection_sample_size
        self.silhouette_sample_size = silhouette_sample_size
        self.stability_runs = stability_runs
        self.stability_threshold = stability_threshold
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: None = None) -> CustomerSegmenter:
        """Choose k (if asked), fit k-means on all customers and check the segments' stability.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            One row per customer, e.g. the output of
            ``gridcrm.features.build_features``; NaN for missing values.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        level = logging.INFO if self.verbose else logging.DEBUG
        self.notes_ = []
        if self.by is not None:
            return self._fit_strata(X, level)
        Z = self._prepare(X, level)
        rng = check_random_state(self.random_state)
        found = cluster(Z, self, rng, level)
        self.n_clusters_ = found.k
        self.k_scores_, self.k_votes_ = found.scores, found.votes
        self.cluster_centers_ = found.fit.centers
        self.labels_ = found.fit.labels
        self.inertia_ = found.fit.inertia
        self.n_iter_ = found.fit.n_iter
        self.algorithm_ = found.fit.algorithm
        self.stability_ = self._stability(Z, seeds(rng, 1)[0], level)
        return self

    def _fit_strata(self, X: Any, level: int) -> CustomerSegmenter:
        """One segmentation per stratum of ``by`` (see :mod:`gridcrm.segmentation.stratified`)."""
        keys = stratum_keys(X, self.by)
        X, names = validated_input(self, X, reset=True)
        by = by_columns(self.by)
        if self.features is None:
            features = [c for c in names if c not in by and pd.api.types.is_numeric_dtype(X[c])
                        and not isinstance(X[c].dtype, pd.CategoricalDtype)]
        elif isinstance(self.features, str):
            features = None
        else:
            features = list(self.features)
        rng = check_random_state(self.random_state)
        strata = fit_strata(self, X, keys, features, BEHAVIOUR_FEATURES, seeds(rng, keys.nunique()))
        fitted = {s: m for s, m in strata.segmenters.items() if m is not None}
        self.segmenters_ = strata.segmenters
        self._offsets = strata.offsets
        self.strata_ = strata.table
        self.labels_ = strata.labels
        self.n_clusters_ = len(strata.table)
        self.notes_ = strata.notes
        self.features_ = list(dict.fromkeys(f for m in fitted.values() for f in m.features_))
        scores = {s: m.k_scores_ for s, m in fitted.items() if m.k_scores_ is not None}
        self.k_scores_ = pd.concat(scores, names=["stratum", "k"]) if scores else None
        self.k_votes_ = {s: m.k_votes_ for s, m in fitted.items()}
        self.stability_ = {s: m.stability_ for s, m in fitted.items()}
        for note in self.notes_:
            logger.log(level, "segmentation: %s", note)
        logger.log(level, "segmented %d strata into %d segments: %s", len(strata.segmenters), self.n_clusters_,
                   short([f"{s}: {m.n_clusters_ if m else 1}" for s, m in strata.segmenters.items()]))
        return self

    def _prepare(self, X: Any, level: int) -> np.ndarray:
        """Select and check the features, fit the preprocessing, return the data k-means sees."""
        X, names = validated_input(self, X, reset=True)
        positions = self._feature_positions(X, names, level)
        A = numeric_matrix(X, names, positions)
        positions, A = self._drop_empty_defaults(X, names, positions, A)
        n = A.shape[0]
        if isinstance(self.n_clusters, Integral) and n < self.n_clusters:
            raise SegmentationInputError(
                f"n_clusters={self.n_clusters} but X has only n_samples={n} rows (customers); "
                "lower n_clusters or pass more customers"
            )
        self._positions = positions
        self._never_missing = ~np.isnan(A).any(axis=0)
        self.features_ = [names[j] for j in positions]
        pre = SegmentationPreprocessor(
            log_transform=self.log_transform,
            scaling=self.scaling,
            missing_indicator=self.missing_indicator,
            clip=self.clip,
        )
        self.preprocessor_ = pre._fit_matrix(A, self.features_)
        if isinstance(X, pd.DataFrame):
            pre.feature_names_in_ = np.asarray(self.features_, dtype=object)
        Z = pre._transform_matrix(A)
        logger.log(level, "segmenting %d customers on %d model features %s", n, Z.shape[1], short(self.features_))
        return Z

    def predict(self, X: Any) -> np.ndarray:
        """Segment of each customer: the nearest segment centre after the fitted preprocessing.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in fit. NaN is imputed with the training median.

        Returns
        -------
        ndarray of int64, shape (n_samples,)
        """
        check_is_fitted(self, "labels_")
        if self.by is not None:
            return self._predict_strata(X)
        X, names = validated_input(self, X, reset=False)
        A = numeric_matrix(X, names, self._positions)
        newly_missing = np.isnan(A).any(axis=0) & self._never_missing
        if newly_missing.any():
            logger.warning(
                "feature(s) %s have missing values although they had none in fit; imputed with the training median",
                short([self.features_[j] for j in np.flatnonzero(newly_missing)]),
            )
        with threadpool_limits(limits=n_threads(self.n_jobs)):
            return nearest_center(self.preprocessor_._transform_matrix(A), self.cluster_centers_)[0]

    def _predict_strata(self, X: Any) -> np.ndarray:
        keys = stratum_keys(X, self.by)
        validated_input(self, X, reset=False)
        unknown = sorted(set(keys) - set(self.segmenters_))
        if unknown:
            raise SegmentationInputError(f"by: stratum(s) {short(unknown)} were not seen in fit (fitted strata: "
                                         f"{short(list(self.segmenters_))}); refit on data that holds them")
        out = np.empty(len(X), dtype=np.int64)
        for stratum, model in self.segmenters_.items():
            rows = np.flatnonzero((keys == stratum).to_numpy())
            if len(rows) == 0:
                continue
            local = np.zeros(len(rows), dtype=np.int64) if model is None else model.predict(X.iloc[rows])
            out[rows] = local + self._offsets[stratum]
        return out

    def profile(
        self,
        X: pd.DataFrame,
        *,
        labels: Sequence[int] | np.ndarray | None = None,
        describe: Sequence[str] = (),
        consumption: str | None = "auto",
        revenue: str | None = "auto",
        class_column: str | None = "auto",
        top_n: int = 3,
        phrases: Mapping[str, Phrase] | None = None,
    ) -> SegmentProfile:
        """Portrait of each segment: size, shares of consumption and revenue, distinguishing features, name.

        Parameters
        ----------
        X : DataFrame
            The customers to describe: the columns seen in fit, plus any
            others (consumption, revenue, ``customer_class``) used by the
            portrait.
        labels : array-like of int, optional
            Segment of each row; default: :meth:`predict` on the fit-time columns.
        describe : list of str, optional
            Further numeric columns of ``X`` to compare across segments
            without having clustered on them (complaints, tenure, ...).
        consumption, revenue, class_column, top_n, phrases
            See :func:`profile_groups`.

        Returns
        -------
        SegmentProfile
            Differences are computed on the clustered features (the log scale
            for logged ones) and on the missing indicators.
        """
        check_is_fitted(self, "labels_")
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X), columns=array_names(np.asarray(X).shape[1]))
        if self.by is not None:
            return self._profile_strata(X, labels, describe=describe, consumption=consumption, revenue=revenue,
                                        top_n=top_n, phrases=phrases)
        if labels is None:
            fit_columns = list(getattr(self, "feature_names_in_", X.columns[: self.n_features_in_]))
            absent = [c for c in fit_columns if c not in X.columns]
            if absent:
                raise SegmentationInputError(f"X lacks column(s) {short(absent)} seen in fit; pass labels= or add them")
            labels = self.predict(X[fit_columns])
        pre = self.preprocessor_
        kept = [self.features_[j] for j in pre.columns_]
        indicators = {
            f"{self.features_[g[0]]}_missing": X[[self.features_[j] for j in g]].isna().mean(axis=1)
            for g in pre.indicator_groups_
        }
        return profile_groups(
            X.assign(**indicators),
            np.asarray(labels),
            features=kept + list(indicators) + [c for c in describe if c not in kept],
            log_columns=[c for c, logged in zip(kept, pre.log_columns_, strict=True) if logged],
            consumption=consumption,
            revenue=revenue,
            class_column=class_column,
            top_n=top_n,
            phrases=phrases,
        )

    def _profile_strata(self, X: pd.DataFrame, labels: Any, **kwargs: Any) -> SegmentProfile:
        """Shares of the whole (sizes, consumption, revenue) from all rows; names and differences within each stratum."""
        labels = self.predict(X) if labels is None else np.asarray(labels)
        keys = stratum_keys(X, self.by)
        numeric = [c for c in self.features_ if c in X.columns]
        overall = profile_groups(X, labels, features=numeric + [c for c in kwargs["describe"] if c not in numeric],
                                 consumption=kwargs["consumption"], revenue=kwargs["revenue"],
                                 class_column=None, top_n=kwargs["top_n"], phrases=kwargs["phrases"])
        summary = overall.summary.copy()
        differences = []
        for stratum, model in self.segmenters_.items():
            rows = (keys == stratum).to_numpy()
            segs = self.strata_.index[self.strata_["stratum"] == stratum]
            if model is None or not rows.any() or np.unique(labels[rows]).size < 2:
                present = [s for s in segs if s in summary.index]
                summary.loc[present, "name"] = stratum
                summary.loc[present, "top_features"] = ""
                continue
            local = model.profile(X.loc[rows], labels=labels[rows] - self._offsets[stratum], class_column=None,
                                  consumption=kwargs["consumption"], revenue=kwargs["revenue"],
                                  describe=kwargs["describe"], top_n=kwargs["top_n"], phrases=kwargs["phrases"])
            local_summary = local.summary.rename(index=lambda j, o=self._offsets[stratum]: j + o)
            summary.loc[local_summary.index, "name"] = stratum + STRATUM_SEPARATOR + local_summary["name"]
            summary.loc[local_summary.index, "top_features"] = local_summary["top_features"]
            differences.append(local.differences.rename(index=lambda j, o=self._offsets[stratum]: j + o))
        summary.insert(0, "stratum", self.strata_["stratum"].reindex(summary.index))
        diffs = pd.concat(differences).reindex(summary.index) if differences else overall.differences
        return SegmentProfile(summary=summary, differences=diffs, medians=overall.medians)

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _feature_positions(self, X: Any, names: list[str], level: int) -> list[int]:
        if self.features is None:
            return list(range(len(names)))
        if isinstance(self.features, str):  # "default"
            present = set(DEFAULT_FEATURES) & set(names) if isinstance(X, pd.DataFrame) else set()
            if not present:
                return list(range(len(names)))
            absent = [f for f in DEFAULT_FEATURES if f not in present]
            if absent:
                logger.log(level, "default features absent from X, not used: %s", short(absent))
            return [j for j, c in enumerate(names) if c in present]
        positions = []
        for f in self.features:
            if isinstance(f, Integral) and not isinstance(f, bool):
                if not 0 <= int(f) < len(names):
                    raise SegmentationInputError(f"features: position {f} is outside X's {len(names)} columns")
                positions.append(int(f))
            elif f in names:
                positions.append(names.index(f))
            else:
                raise SegmentationInputError(f"features: X has no column {f!r}; its columns are {short(names)}")
        if not positions or len(set(positions)) != len(positions):
            raise SegmentationInputError(f"features must list distinct columns of X, got {self.features!r}")
        return positions

    def _drop_empty_defaults(
        self, X: Any, names: list[str], positions: list[int], A: np.ndarray
    ) -> tuple[list[int], np.ndarray]:
        """Default features missing in every row are left out (an extract may lack a source); others are errors."""
        if not isinstance(self.features, str) or not isinstance(X, pd.DataFrame) or A.shape[0] == 0:
            return positions, A
        empty = np.isnan(A).all(axis=0) & np.isin([names[j] for j in positions], DEFAULT_FEATURES)
        if not empty.any():
            return positions, A
        if empty.all():
            raise SegmentationInputError(
                f"the default features present in X ({short([names[j] for j in positions])}) are missing (NaN) for "
                "every customer: choose the columns to cluster on with features=[...]"
            )
        warnings.warn(
            f"default feature(s) {short([names[positions[j]] for j in np.flatnonzero(empty)])} are missing for every "
            "customer and are left out",
            UserWarning,
            stacklevel=4,
        )
        return [p for p, e in zip(positions, empty, strict=True) if not e], A[:, ~empty]

    def _stability(self, Z: np.ndarray, seed: int, level: int):
        if self.stability_runs == 0 or self.n_clusters_ < 2:
            return None
        report = assess_stability(
            Z,
            self.cluster_centers_,
            n_runs=self.stability_runs,
            n_init=self.n_init,
            random_state=seed,
            sample_size=STABILITY_SAMPLE_SIZE,
            minibatch_threshold=self.minibatch_threshold,
            threshold=self.stability_threshold,
            n_jobs=self.n_jobs,
        )
        logger.log(level, "stability: %s", report.summary())
        if not report.is_stable:
            warnings.warn(
                f"the {self.n_clusters_} segments are unstable: {report.summary()}. Consider fewer segments, "
                "other features or more customers before building on them.",
                UnstableSegmentsWarning,
                stacklevel=4,
            )
        return report
