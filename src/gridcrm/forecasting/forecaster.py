"""``ConsumptionForecaster``: ARIMA forecasts with ranges for every series of a long frame."""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from gridcrm._params import BOOLEAN, N_JOBS, RANDOM_STATE, Check, Interval, Options, ValidatedParams, validate_params
from gridcrm.forecasting._arima import interval_z
from gridcrm.forecasting._models import (
    FittedModels,
    guard_models,
    predict_models,
    replace_models,
    seasonal_naive_models,
)
from gridcrm.forecasting.batched import fit_batched, refit_batched
from gridcrm.forecasting.clustered import ClusteredFit, fit_clustered
from gridcrm.forecasting.exact import fit_exact, orders_from_table
from gridcrm.forecasting.frame import (
    FrameError,
    fill_gaps,
    future_dates,
    impute_seasonal,
    infer_freq,
    to_matrix,
    validate_frame,
)
from gridcrm.forecasting.longseason import LONG_SEASON, BlockFit, fit_long_season
from gridcrm.forecasting.multiseason import fit_multi_season
from gridcrm.forecasting.outliers import OUTLIER_THRESHOLD, clean_outliers
from gridcrm.forecasting.select import (
    Candidate,
    SelectedFit,
    backtest_scores,
    choose,
    choose_per_cluster,
    chosen_errors,
    cluster_selection_columns,
    conformal_scales,
    fit_selected,
    sample_clusters,
    selection_clusters,
    selection_columns,
    selection_features,
)

__all__ = ["ConsumptionForecaster", "ENGINES"]

logger = logging.getLogger(__name__)

#: Engines of :class:`ConsumptionForecaster`.
ENGINES = ("batched", "exact", "clustered")
#: Values of ``ConsumptionForecaster(outliers=...)``.
OUTLIER_POLICIES = ("clean", None)


def _positive_int(low: int) -> Interval:
    return Interval(numbers.Integral, low, None, closed="left")


def _is_levels(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 < v < 100 for v in value)


def _is_scales(value: Any) -> bool:
    """``{level: {candidate name: factor}}`` with positive finite factors."""
    return isinstance(value, Mapping) and len(value) > 0 and all(
        isinstance(lv, numbers.Real) and not isinstance(lv, bool) and isinstance(per, Mapping) and all(
            isinstance(name, str) and isinstance(f, numbers.Real) and not isinstance(f, bool)
            and np.isfinite(f) and f > 0 for name, f in per.items())
        for lv, per in value.items())


#: The model-choice candidate of a forecaster with regressors that drops them (the ARIMA orders kept).
NO_REGRESSORS = "ARIMA without regressors"


def _apply_choice(core: FittedModels, Y: np.ndarray, cands: list[Candidate], choice: np.ndarray) -> FittedModels:
    """The engine's models with the series that chose the seasonal naive (candidate 0) or the ARIMA without
    regressors refitted so; a fallback (too short, constant...) keeps its model and its reason."""
    arima = core.table["model"].astype(str).str.startswith("ARIMA").to_numpy()
    for i, cand in enumerate(cands):
        if i == 1:
            continue  # the engine's own model
        idx = np.flatnonzero((choice == i) & arima)
        if idx.size:  # refitted without exogenous columns: their coefficients become 0
            core = replace_models(core, idx, cand.fit(Y[:, idx], None, idx))
    return core


def _on_columns(fit: Callable[[np.ndarray, np.ndarray | None, np.ndarray], object],
                cols: np.ndarray) -> Callable[[np.ndarray, np.ndarray | None, np.ndarray], object]:
    """``fit`` told the positions among all series of the columns ``cols`` it is given a subset of."""
    return lambda Y, X, idx: fit(Y, X, cols[idx])


class ConsumptionForecaster(ValidatedParams, BaseEstimator):
    """Seasonal ARIMA forecasts of consumption with prediction intervals, for every series of a long frame.

    Parameters
    ----------
    season_length : int
        Period of the seasonality in steps: 7 for daily kWh, 24 or 168 for hourly load,
        96 or 672 for 15-minute load, 12 for monthly bills; 1 for none.
    level : sequence of int
        Levels of the prediction intervals, in % (columns ``lo_80``, ``hi_80``, ...).
    engine : {"batched", "exact", "clustered"}
        ``batched``: vectorised ARIMA for thousands of series at once (the default, for
        everyone); ``exact``: per-series stepwise AICc search as ``auto.arima`` (STL seasonal
        test, conditional-sum-of-squares estimates; big customers, reference); ``clustered``: ARIMA of segment totals
        shared out to customers. Only ``batched`` and ``exact`` use exogenous columns.
    n_jobs : int or None, default=1
        Processes (joblib) over series (``exact``) or chunks of series (``batched``).
        None: 1 (as in scikit-learn and joblib); -1: all cores.
    freq : str, optional
        Pandas frequency of ``ds``; inferred from the data when omitted.
    interval_method : {"model", "calibrated", "conformal"}
        ``model`` (default): Gaussian intervals from the model's psi-weights and residual
        variance (their coverage is measured by :func:`~gridcrm.forecasting.backtest`).
        ``conformal``: the same, with the standard deviation of each series multiplied, per
        level, by the empirical quantile of the standardised errors of its chosen model on
        the model-choice backtest windows (pooled over the series that chose the same
        candidate) over the normal quantile (``models_["interval_scale_<level>"]``).
        ``calibrated``: the same, widened or narrowed by a factor per level so
        that they cover their level on holdouts: the models (orders kept) are refitted on
        the history minus its last ``k * calibration_horizon`` steps (``k = 1 ..
        calibration_windows``) for up to ``calibration_size`` series, each forecasts the
        next ``calibration_horizon`` steps, and the factor is the ratio of the empirical
        quantile of the absolute standardised errors to the normal one (kept within
        0.5–4). See ``interval_scale_``.
    calibration_size : int
        Series used for the calibration (a seeded random sample).
    calibration_horizon : int, optional
        Holdout length of the calibration; default ``4 * season_length`` (at least 14).
    calibration_windows : int
        Holdout windows of the calibration, one after the other back from the end.
    clip : bool
        Clip forecasts and interval bounds at 0 (consumption cannot be negative).
    outliers : {"clean", None}
        ``clean`` (default): before any model is fitted, isolated outliers of each series
        (meter spikes, absurd or negative reads, non-finite values) are replaced by a robust
        weekly-seasonal baseline (:func:`~gridcrm.forecasting.outliers.clean_outliers`) and
        counted in ``models_["n_outliers"]``; level shifts, seasonal swings and vacancies are
        left alone. None: the data are fitted as given.
    outlier_threshold : float
        Robust standard deviations of a series' noise beyond which an isolated point is an
        outlier (default 7; 5 cleans more, 8 less).
    max_history : int, optional
        Use at most this many most recent steps of each series.
    segments : Series or mapping, optional
        ``clustered`` only: segment label per ``unique_id`` (e.g. customer class, or the
        segment from :mod:`gridcrm.segmentation`); default k-means (``n_segments``).
    n_segments : int
        ``clustered`` only: k-means segments when ``segments`` is not given.
    candidates : sequence of (p, q, P, Q), optional
        ``batched`` only: the orders searched (default per seasonal differencing).
    chunk_size : int
        ``batched`` only: series per vectorised block.
    max_models : int
        ``exact`` only: models tried by the stepwise search, at most.
    random_state : int or None, default=0
        Seed of the calibration sample and of k-means. None: not seeded, results
        vary from run to run; an int: reproducible.
    model_selection : {"backtest", None}, default="backtest"
        ``backtest`` (``batched`` and ``exact``): each series keeps, among candidates, the one
        with the lowest MASE on ``selection_windows`` rolling-origin windows of
        ``selection_horizon`` steps before the end of its history (never after it). Daily
        and monthly seasons: the engine's ARIMA (its order refitted per window) and the
        seasonal naive. Long seasons (``season_length >= 24``): the seasonal naive of the
        season and, for a week (a multiple of 7), of the day, the block model
        (:mod:`~gridcrm.forecasting.longseason`) and the two-season MSTL + ARIMA model
        (:mod:`~gridcrm.forecasting.multiseason`). The seasonal naive wins ties. Recorded in
        ``models_``: ``selected``, ``backtest_mase``, ``backtest_mase_snaive``,
        ``backtest_scores``, ``backtest_windows``. None: the engine's model (the block model
        for long seasons), no backtest.
    selection_windows : int
        Backtest windows of the model choice (and of ``interval_method="conformal"``).
    selection_horizon : int, optional
        Steps of each window; default the season for long seasons, else ``max(2 * season_length, 14)``.
    selection : {"series", "cluster"}, default="series"
        ``series``: each series is backtested and chooses its own model. ``cluster``: the
        series are grouped by k-means (``selection_clusters`` clusters, seeded by
        ``random_state``) on features of their history (seasonal strength, noise over level,
        share of near-zero steps, KPSS statistic; :func:`~gridcrm.forecasting.select.selection_features`),
        at most ``selection_sample`` series of each cluster are backtested, and every series
        of a cluster gets the candidate with the lowest mean backtest MASE over the cluster's
        sample — the backtest's cost no longer grows with the number of series. ``models_``
        then records the cluster's mean scores and ``selection_cluster``, ``backtest_series``
        (series backtested in the cluster); ``backtest_errors_`` holds the sampled series' errors only.
    selection_clusters : int
        ``selection="cluster"``: clusters of similar series.
    selection_sample : int
        ``selection="cluster"``: series backtested per cluster, at most.
    conformal_scales : mapping, optional
        ``interval_method="conformal"`` with ``selection="series"`` only: the factors
        ``{level: {candidate name: factor}}`` computed elsewhere — over a larger set of series
        than this fit sees, e.g. by the Spark engine from every partition's
        :attr:`conformal_errors_` (:func:`gridcrm.spark.forecasting.spark_forecasts`) — used as
        given instead of those of this fit's own backtest; every level and every chosen
        candidate must have one. None (default): from this fit's backtest.

    Attributes
    ----------
    models_ : DataFrame
        Indexed by ``unique_id``: the chosen model (``model``, ``p, d, q, P, D, Q, s``,
        ``constant``), its ``aicc`` and ``sigma2``, ``n_obs``, ``n_imputed`` (gap
        points imputed), ``n_negative`` (negative values in the data), ``n_outliers``
        (points cleaned), ``engine`` and ``fallback`` (empty, or why a simpler model
        was used).
    interval_scale_ : dict of int to float
        Factor applied to the standard deviation at each level (1.0 with ``model``).
    conformal_errors_ : DataFrame or None
        ``interval_method="conformal"``: the standardised errors ``|y - forecast| / sd`` of each
        series' chosen model on the model-choice windows (rows: the windows' steps, columns:
        ``unique_id``; NaN where not scored), what the conformal factors pool per candidate.
    segments_ : DataFrame
        ``clustered`` only: the segment totals' models, indexed by segment.
    freq_ : str
    n_series_ : int

    See Also
    --------
    gridcrm.forecasting.backtest : rolling-origin evaluation.
    gridcrm.forecasting.reconcile : coherent group totals.

    Notes
    -----
    Gaps (missing time stamps or NaN ``y``) are imputed by the value one season earlier
    and counted in ``models_["n_imputed"]``, after outliers are cleaned. A series that
    is too short, constant (all zeros included) or has no valid ARIMA falls back to
    seasonal naive (or naive, or its single value), with the reason in
    ``models_["fallback"]``; so does a model whose forecasts or ranges are non-finite or
    absurd (far outside the series' history), then to a robust constant if seasonal naive
    is absurd too: forecasts and ranges are finite for any finite input. A series without
    any observation gets NaN forecasts. With ``clip=True`` forecasts and bounds are
    clipped at 0.

    Examples
    --------
    >>> from gridcrm.forecasting.simulate import simulate_arima, arima_frame
    >>> Y = 50 + simulate_arima(ma=[0.4], seasonal_ma=[-0.6], D=1, s=7, n=400, n_series=3, seed=1)
    >>> fc = ConsumptionForecaster(season_length=7).fit(arima_frame(Y))
    >>> out = fc.predict(14)
    >>> out.columns.tolist()
    ['unique_id', 'ds', 'forecast', 'lo_80', 'hi_80', 'lo_95', 'hi_95']
    >>> len(out), bool((out["lo_95"] <= out["forecast"]).all())
    (42, True)
    """

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        "season_length": [_positive_int(1)],
        "level": [Check(_is_levels, "a non-empty list of numbers between 0 and 100, e.g. (80, 95)")],
        "engine": [Options(ENGINES)],
        "n_jobs": N_JOBS,
        "interval_method": [Options({"calibrated", "conformal", "model"})],
        "calibration_size": [_positive_int(0)],
        "calibration_horizon": [_positive_int(1), None],
        "calibration_windows": [_positive_int(1)],
        "clip": BOOLEAN,
        "outliers": [Options({"clean"}), None],
        "outlier_threshold": [Check(Interval(numbers.Real, 0, None, closed="neither").allows,
                                    "a positive number of robust standard deviations, e.g. 7")],
        "max_history": [_positive_int(10), None],
        "n_segments": [_positive_int(1)],
        "chunk_size": [_positive_int(1)],
        "max_models": [_positive_int(1)],
        "random_state": RANDOM_STATE,
        "model_selection": [Options({"backtest"}), None],
        "selection_windows": [_positive_int(1)],
        "selection_horizon": [_positive_int(1), None],
        "selection": [Options({"series", "cluster"})],
        "selection_clusters": [_positive_int(1)],
        "selection_sample": [_positive_int(1)],
        "conformal_scales": [Check(_is_scales, "a mapping {level: {candidate name: positive factor}}"), None],
    }

    def __init__(
        self,
        *,
        season_length: int = 7,
        level: Sequence[int] = (80, 95),
        engine: str = "batched",
        n_jobs: int | None = 1,
        freq: str | None = None,
        interval_method: str = "model",
        calibration_size: int = 1000,
        calibration_horizon: int | None = None,
        calibration_windows: int = 3,
        clip: bool = True,
        outliers: str | None = "clean",
        outlier_threshold: float = OUTLIER_THRESHOLD,
        max_history: int | None = None,
        segments: pd.Series | Mapping | None = None,
        n_segments: int = 8,
        candidates: Sequence[tuple[int, int, int, int]] | None = None,
        chunk_size: int = 500,
        max_models: int = 60,
        random_state: int | None = 0,
        model_selection: str | None = "backtest",
        selection_windows: int = 2,
        selection_horizon: int | None = None,
        selection: str = "series",
        selection_clusters: int = 20,
        selection_sample: int = 100,
        conformal_scales: Mapping[float, Mapping[str, float]] | None = None,
    ) -> None:
        self.season_length = season_length
        self.level = level
        self.engine = engine
        self.n_jobs = n_jobs
        self.freq = freq
        self.interval_method = interval_method
        self.calibration_size = calibration_size
        self.calibration_horizon = calibration_horizon
        self.calibration_windows = calibration_windows
        self.clip = clip
        self.outliers = outliers
        self.outlier_threshold = outlier_threshold
        self.max_history = max_history
        self.segments = segments
        self.n_segments = n_segments
        self.candidates = candidates
        self.chunk_size = chunk_size
        self.max_models = max_models
        self.random_state = random_state
        self.model_selection = model_selection
        self.selection_windows = selection_windows
        self.selection_horizon = selection_horizon
        self.selection = selection
        self.selection_clusters = selection_clusters
        self.selection_sample = selection_sample
        self.conformal_scales = conformal_scales

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, df: pd.DataFrame, y: None = None) -> ConsumptionForecaster:
        """Fit one model per series of ``df``.

        Parameters
        ----------
        df : DataFrame
            Long frame ``unique_id, ds, y`` plus exogenous columns (used by the
            ``batched`` and ``exact`` engines; their future values go to :meth:`predict`).
        y : None
            Ignored (the target is the ``y`` column).

        Returns
        -------
        self
        """
        self._validate_params()
        exog = validate_frame(df, name="df")
        if exog and self.engine == "clustered":
            raise FrameError(f"df has exogenous column(s) {exog}, which the clustered engine cannot use; drop them "
                             "or choose engine='batched' or 'exact'")
        self.freq_ = self.freq or infer_freq(df)
        # missing time stamps become NaN in the matrix; only exogenous columns need the rows themselves
        filled = fill_gaps(df, self.freq_) if exog else df
        sm = to_matrix(filled, self.freq_, max_length=self.max_history, exog=exog)
        del filled
        n_negative = (sm.values < 0).sum(axis=0)
        n_outliers = self._clean(sm.values)
        Y, n_imputed = impute_seasonal(sm.values, self.season_length, copy=False)
        X = sm.exog if exog else None
        if exog and self.season_length >= LONG_SEASON:
            raise FrameError(f"df has exogenous column(s) {exog}, which long seasons (season_length >= {LONG_SEASON}) "
                             "cannot use; drop them or aggregate the data to days")
        core = self._fit_core(Y, X, sm.ids)
        core, extra = self._select(core, Y, X)
        table = core.table if isinstance(core, FittedModels) else core.table()
        table = table.assign(n_obs=sm.n_obs, n_imputed=n_imputed, n_negative=n_negative, n_outliers=n_outliers,
                             **extra)
        self.models_ = table.set_index(pd.Index(sm.ids, name="unique_id"))
        self._core, self._ids, self._last_ds, self._offset = core, sm.ids, sm.last_ds, sm.offset
        self.exog_names_ = exog
        self.n_series_ = len(sm.ids)
        if isinstance(core, ClusteredFit):
            seg = core.totals.table.copy()
            seg.index = pd.Index(core.segment_labels, name="segment")
            self.segments_ = seg.assign(n_members=np.bincount(core.segments, minlength=len(core.segment_labels)))
        self.interval_scale_ = self._calibrate(Y, X, sm.ids)
        if self._series_scale:
            for lv, f in self._series_scale.items():
                self.models_[f"interval_scale_{lv}"] = f
        n_fb = int((self.models_["fallback"] != "").sum())
        logger.info("fitted %d series with the %s engine; %d fallback(s)", self.n_series_, self.engine, n_fb)
        return self

    def _n_jobs(self) -> int:
        """Processes for joblib: ``n_jobs``, None being 1."""
        return 1 if self.n_jobs is None else int(self.n_jobs)

    def _clean(self, Y: np.ndarray) -> np.ndarray:
        """Clean the outliers of ``Y`` in place (``outliers="clean"``); points cleaned per series."""
        if self.outliers is None:
            return np.zeros(Y.shape[1], dtype=int)
        _, n_out = clean_outliers(Y, int(self.season_length), float(self.outlier_threshold), copy=False)
        if n_out.any():
            hit = n_out[n_out > 0]
            logger.info("outliers: %d point(s) cleaned in %d of %d series (at most %d in one series, median %d)",
                        int(hit.sum()), hit.size, n_out.size, int(hit.max()), int(np.median(hit)))
        else:
            logger.info("outliers: none found in %d series", n_out.size)
        return n_out

    def _segment_labels(self, ids: np.ndarray) -> np.ndarray | None:
        if self.segments is None:
            return None
        seg = pd.Series(self.segments) if not isinstance(self.segments, pd.Series) else self.segments
        labels = seg.reindex(ids)
        if labels.isna().any():
            missing = ids[labels.isna().to_numpy()]
            raise ValueError(f"segments has no label for some series; add them. Affected series: {list(missing)[:10]}")
        return labels.to_numpy()

    def _fit_blocks(self, B: np.ndarray, season: int) -> FittedModels:
        if self.engine == "exact":
            return fit_exact(B, season, n_jobs=self._n_jobs(), max_models=self.max_models)
        return fit_batched(B, season, chunk_size=self.chunk_size, n_jobs=self._n_jobs())

    def _fit_core(
        self, Y: np.ndarray, X: np.ndarray | None, ids: np.ndarray
    ) -> FittedModels | ClusteredFit | BlockFit:
        s = int(self.season_length)
        if s >= LONG_SEASON and self.engine != "clustered":
            if self.model_selection is not None or self.interval_method == "conformal":
                return None  # chosen among candidates by _select
            return fit_long_season(Y, s, self._fit_blocks)
        if self.engine == "batched":
            return fit_batched(Y, s, X, candidates=self.candidates, chunk_size=self.chunk_size, n_jobs=self._n_jobs())
        if self.engine == "exact":
            return fit_exact(Y, s, X, n_jobs=self._n_jobs(), max_models=self.max_models)
        return fit_clustered(Y, s, self._segment_labels(ids), n_segments=self.n_segments,
                             random_state=self.random_state, chunk_size=self.chunk_size)

    # -- model choice by backtest ------------------------------------------------------------
    def _selection_horizon(self) -> int:
        s = int(self.season_length)
        if self.selection_horizon:
            return int(self.selection_horizon)
        return s if s >= LONG_SEASON else max(2 * s, 14)

    def _candidates(self, core: FittedModels | None, exog: bool = False) -> tuple[list[Candidate], dict, int]:
        """Candidates, their table functions and the index of the engine's own model.

        Daily and monthly seasons: the seasonal naive, the engine's ARIMA and, when the
        forecaster has exogenous columns (``exog``), the same ARIMA orders without them.
        """
        s, engine = int(self.season_length), self.engine

        def naive(lag: int) -> Candidate:
            return Candidate(f"SeasonalNaive[{lag}]", lambda Y, X, cols: guard_models(
                seasonal_naive_models(Y, lag, "", engine), Y, lag, engine), min_steps=lag + 2)

        if s >= LONG_SEASON:
            cands = [naive(s)]
            if s % 7 == 0:
                cands.append(naive(s // 7))
            cands.append(Candidate("Blocks", lambda Y, X, cols: fit_long_season(Y, s, self._fit_blocks),
                                   min_steps=2 * s))
            if s % 7 == 0:
                cands.append(Candidate("MSTL", lambda Y, X, cols: fit_multi_season(
                    Y, s, lambda Z, s1: self._fit_blocks(Z, 1)), min_steps=2 * s))
            tables = {c.name: (lambda m: m.table if isinstance(m, FittedModels) else m.table()) for c in cands}
            return cands, tables, len(cands) - 1
        table = core.table
        if engine == "batched":
            def refit(Y: np.ndarray, X: np.ndarray | None, cols: np.ndarray) -> FittedModels:
                return refit_batched(Y, table.iloc[cols].reset_index(drop=True), X)
        else:
            def refit(Y: np.ndarray, X: np.ndarray | None, cols: np.ndarray) -> FittedModels:
                return fit_exact(Y, s, X, n_jobs=self._n_jobs(), orders=orders_from_table(table.iloc[cols]))
        cands = [naive(s), Candidate("ARIMA", refit, min_steps=max(4 * s + 20, 30))]
        if exog:
            cands.append(Candidate(NO_REGRESSORS, lambda Y, X, cols: refit(Y, None, cols), min_steps=max(4 * s + 20, 30)))
        return cands, {}, 1

    def _select(self, core: object, Y: np.ndarray, X: np.ndarray | None) -> tuple[object, dict[str, np.ndarray]]:
        """Model choice by backtest (and the conformal factors); the chosen core and the columns for ``models_``."""
        self._series_scale: dict[Any, np.ndarray] = {}
        self._backtest_errors = None
        self._conformal_z = None
        conformal = self.interval_method == "conformal"
        if (self.model_selection is None and not conformal) or self.engine == "clustered":
            return core, {}
        long = int(self.season_length) >= LONG_SEASON
        cands, tables, own = self._candidates(core if not long else None, exog=X is not None and X.shape[2] > 0)
        if self.model_selection is None:
            cands, own = [cands[own if not long else 2]], 0
        default = 0 if long and self.model_selection is not None else own
        if self.model_selection is not None and self.selection == "cluster":
            return self._select_per_cluster(core, Y, X, cands, tables, default, own, long)
        scores = backtest_scores(Y, cands, season_length=int(self.season_length), horizon=self._selection_horizon(),
                                 windows=int(self.selection_windows), X=X)
        choice = choose(scores, default=default) if self.model_selection is not None else np.full(Y.shape[1], own)
        if long:
            core = fit_selected(Y, cands, choice, tables)
        elif self.model_selection is not None:
            # a fallback (too short, constant...) keeps its model and its reason
            core = _apply_choice(core, Y, cands, choice)
        self._backtest_errors = chosen_errors(scores, choice)
        if conformal:
            levels = [int(v) if float(v).is_integer() else float(v) for v in self.level]
            self._conformal_z = chosen_errors(scores, choice, standardised=True)
            self._series_scale = (conformal_scales(scores, choice, levels) if self.conformal_scales is None
                                  else self._given_scales(scores.names, choice, levels))
        naive = 0 if self.model_selection is not None else None
        n_changed = int((choice != own).sum())
        names, counts = np.unique(np.asarray(scores.names)[choice], return_counts=True)
        logger.info("model choice on %d backtest window(s) of %d steps: %s", scores.windows, scores.horizon,
                    ", ".join(f"{n} {c}" for n, c in zip(names.tolist(), counts.tolist(), strict=True)))
        logger.debug("%d series moved off the engine's own model", n_changed)
        return core, selection_columns(scores, choice, naive)

    def _given_scales(self, names: list[str], choice: np.ndarray, levels: list[float]) -> dict[Any, np.ndarray]:
        """Per level, the factor of each series' chosen candidate from ``conformal_scales``."""
        given = {float(lv): per for lv, per in self.conformal_scales.items()}
        out = {}
        for lv in levels:
            per = given.get(float(lv))
            if per is None:
                raise ValueError(f"conformal_scales has no factors for level {lv}; it has levels {sorted(given)}")
            factors = np.array([float(per.get(n, np.nan)) for n in names])  # one per candidate
            missing = sorted({names[i] for i in np.unique(choice) if np.isnan(factors[i])})
            if missing:
                raise ValueError(f"conformal_scales[{lv}] has no factor for the chosen candidate(s) {missing}; "
                                 f"it has {sorted(per)}")
            out[lv] = factors[choice]
        return out

    def _select_per_cluster(self, core: object, Y: np.ndarray, X: np.ndarray | None, cands: list[Candidate],
                            tables: dict, default: int, own: int, long: bool) -> tuple[object, dict[str, np.ndarray]]:
        """``selection="cluster"``: backtest a sample of each cluster of similar series, one choice per cluster."""
        s, N = int(self.season_length), Y.shape[1]
        labels = selection_clusters(selection_features(Y, s), int(self.selection_clusters), self.random_state)
        sample = sample_clusters(labels, int(self.selection_sample), self.random_state)
        mapped = [Candidate(c.name, _on_columns(c.fit, sample), c.min_steps) for c in cands]
        scores = backtest_scores(Y[:, sample], mapped, season_length=s, horizon=self._selection_horizon(),
                                 windows=int(self.selection_windows), X=X[:, sample] if X is not None else None)
        choice, mean = choose_per_cluster(scores, labels[sample], labels, default)
        if long:
            core = fit_selected(Y, cands, choice, tables)
        else:
            core = _apply_choice(core, Y, cands, choice)
        errors = np.full((scores.windows * scores.horizon, N), np.nan)
        errors[:, sample] = chosen_errors(scores, choice[sample])
        self._backtest_errors = errors
        if self.interval_method == "conformal":
            if self.conformal_scales is not None:
                raise ValueError("conformal_scales is for selection='series' (each series' own backtest errors); "
                                 "selection='cluster' computes its factors from the sampled series")
            levels = [int(v) if float(v).is_integer() else float(v) for v in self.level]
            for lv, f in conformal_scales(scores, choice[sample], levels).items():
                full = np.full(N, float(np.median(f)))
                for i in np.unique(choice[sample]):  # the factor is one per chosen candidate
                    full[choice == i] = f[choice[sample] == i][0]
                self._series_scale[lv] = full
        logger.info("model choice per cluster: %d clusters, %d of %d series backtested on %d window(s); %s",
                    mean.shape[1], sample.size, N, scores.windows,
                    ", ".join(f"{n} {int((choice == i).sum())}" for i, n in enumerate(scores.names)))
        return core, cluster_selection_columns(scores, mean, labels, choice, 0, labels[sample])

    @property
    def backtest_errors_(self) -> pd.DataFrame | None:
        """Signed errors ``y - forecast`` of each series' chosen model on the model-choice windows.

        Rows: the steps of the windows (oldest window last), columns: ``unique_id``; None when
        no backtest ran (``model_selection=None`` without conformal ranges, or ``clustered``).
        Their covariance is what MinT reconciliation (``reconcile(..., "mint_shrink")``) needs.
        """
        if getattr(self, "_backtest_errors", None) is None:
            return None
        return pd.DataFrame(self._backtest_errors, columns=pd.Index(self._ids, name="unique_id"))

    @property
    def conformal_errors_(self) -> pd.DataFrame | None:
        """Standardised errors ``|y - forecast| / sd`` of each series' chosen model on the model-choice windows.

        Rows: the steps of the windows (oldest window last), columns: ``unique_id``; NaN where not
        scored. None unless ``interval_method="conformal"`` with ``selection="series"``. Pooled
        per candidate (``models_["selected"]``), their empirical quantiles are the conformal
        factors: give factors computed from several fits' errors back as ``conformal_scales``.
        """
        if getattr(self, "_conformal_z", None) is None:
            return None
        return pd.DataFrame(self._conformal_z, columns=pd.Index(self._ids, name="unique_id"))

    def _predict_core(
        self, core: FittedModels | ClusteredFit | BlockFit, h: int, Xf: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(core, ClusteredFit):
            return core.predict(h)[:2]
        if isinstance(core, (BlockFit, SelectedFit)):
            return core.predict(h)
        return predict_models(core, h, Xf)

    def _calibrate(self, Y: np.ndarray, X: np.ndarray | None, ids: np.ndarray) -> dict[int, float]:
        levels = [int(v) if float(v).is_integer() else float(v) for v in self.level]
        ones = {lv: 1.0 for lv in levels}
        if self.interval_method == "conformal":
            return {lv: float(np.median(f)) for lv, f in self._series_scale.items()} or ones
        if self.interval_method == "model" or self.calibration_size == 0:
            return ones
        if isinstance(self._core, SelectedFit):
            logger.info("interval calibration skipped: models chosen per series; use interval_method='conformal'")
            return ones
        h = int(self.calibration_horizon or max(4 * self.season_length, 14))
        n_obs = (~np.isnan(Y)).sum(axis=0)
        eligible = np.flatnonzero(n_obs > (2 + self.calibration_windows) * h)
        if eligible.size == 0:
            logger.info("interval calibration skipped: no series longer than %d steps", 3 * h)
            return ones
        rng = np.random.default_rng(self.random_state)
        if self.engine == "clustered" or isinstance(self._core, BlockFit):
            sample = np.arange(Y.shape[1])
        else:
            sample = np.sort(rng.choice(eligible, size=min(self.calibration_size, eligible.size), replace=False))
        table = self.models_.iloc[sample].reset_index(drop=True)
        zs = []
        for w in range(self.calibration_windows):
            end = Y.shape[0] - w * h
            if (n_obs[sample] - w * h).min() < 2 * h:
                break
            Ytr, Yte = Y[: end - h, sample], Y[end - h : end, sample]
            Xtr = X[: end - h, sample] if X is not None else None
            Xte = X[end - h : end, sample] if X is not None else None
            if isinstance(self._core, BlockFit):
                core = fit_long_season(Ytr, int(self.season_length), self._fit_blocks)
            elif self.engine == "batched":
                core = refit_batched(Ytr, table, Xtr)
            elif self.engine == "exact":
                core = fit_exact(Ytr, int(self.season_length), Xtr, n_jobs=self._n_jobs(),
                                 orders=orders_from_table(table))
            else:
                core = fit_clustered(Ytr, int(self.season_length), self._core.segments, chunk_size=self.chunk_size)
            mean, sd = self._predict_core(core, h, Xte)
            if self.clip:
                mean = np.maximum(mean, 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                zs.append((np.abs(Yte - mean) / sd)[sd > 0])
        z = np.concatenate(zs) if zs else np.zeros(0)
        z = z[np.isfinite(z)]
        if z.size < 100:
            logger.info("interval calibration skipped: only %d holdout errors", z.size)
            return ones
        scale = {lv: float(np.clip(np.quantile(z, lv / 100) / interval_z(lv), 0.5, 4.0)) for lv in levels}
        logger.info("interval calibration on %d series x %d steps: %s", len(sample), h, scale)
        return scale

    # -- prediction -------------------------------------------------------------------------
    def predict(self, h: int, X_future: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast ``h`` steps after each series' last time stamp.

        Parameters
        ----------
        h : int
            Horizon in steps.
        X_future : DataFrame, optional
            ``unique_id, ds`` and the exogenous columns used in :meth:`fit`, for the
            ``h`` time stamps after each series' end.

        Returns
        -------
        DataFrame
            ``unique_id, ds, forecast`` and ``lo_<level>, hi_<level>`` per level,
            clipped at 0 when ``clip``.
        """
        if not hasattr(self, "models_"):
            raise NotFittedError("This ConsumptionForecaster is not fitted yet; call fit(df) first.")
        validate_params("ConsumptionForecaster.predict", {"h": h}, {"h": [_positive_int(1)]})
        out = future_dates(self._ids, self._last_ds, h, self._offset)
        Xf = self._future_exog(out, X_future)
        mean, sd = self._predict_core(self._core, h, Xf)
        return self._frame(out, mean, sd)

    def _future_exog(self, dates: pd.DataFrame, X_future: pd.DataFrame | None) -> np.ndarray | None:
        if not self.exog_names_:
            return None
        if X_future is None:
            raise FrameError(f"the model was fitted with exogenous columns {self.exog_names_}; pass their future "
                             "values as X_future (unique_id, ds and those columns)")
        validate_frame(X_future, target=None, exog=self.exog_names_, name="X_future")
        merged = dates.merge(X_future[["unique_id", "ds", *self.exog_names_]], on=["unique_id", "ds"], how="left")
        missing = merged[self.exog_names_].isna().any(axis=1)
        if missing.any():
            bad = merged.loc[missing, "unique_id"].unique()
            raise FrameError(f"X_future lacks rows for some forecast dates. Affected series: {list(bad)[:10]}")
        h = len(dates) // len(self._ids)
        return merged[self.exog_names_].to_numpy(float).reshape(len(self._ids), h, -1).transpose(1, 0, 2)

    def _frame(self, out: pd.DataFrame, mean: np.ndarray, sd: np.ndarray) -> pd.DataFrame:
        cols: dict[str, np.ndarray] = {"forecast": mean.T.ravel()}
        sdf = sd.T.ravel()
        for lv in self.level:
            lv = int(lv) if float(lv).is_integer() else lv
            series = getattr(self, "_series_scale", {}).get(lv)
            factor = np.repeat(series, len(sdf) // len(series)) if series is not None else self.interval_scale_.get(lv, 1.0)
            half = interval_z(lv) * factor * sdf
            cols[f"lo_{lv}"] = cols["forecast"] - half
            cols[f"hi_{lv}"] = cols["forecast"] + half
        if self.clip:
            cols = {k: np.maximum(v, 0.0) for k, v in cols.items()}
        return out.assign(**cols)

    def predict_segments(self, h: int) -> pd.DataFrame:
        """``clustered`` only: forecasts of the segment totals (``unique_id`` is the segment label)."""
        if not isinstance(getattr(self, "_core", None), ClusteredFit):
            raise ValueError("predict_segments needs a fitted ConsumptionForecaster with engine='clustered'")
        core = self._core
        _, _, tmean, tsd = core.predict(h)
        last = pd.DatetimeIndex([self._last_ds.max()] * len(core.segment_labels))
        out = future_dates(core.segment_labels, last, h, self._offset)
        return self._frame(out, tmean, tsd)
