"""Hyper-parameter search for :class:`~gridcrm.risk.RiskClassifier` with Optuna.

A seeded TPE sampler proposes parameters from a search space (``configs/risk.yaml``
``tuning.search_space``); each trial fits on the training rows with early
stopping on the validation rows (later snapshots) and is scored on them. Poor
trials are pruned while they boost: every ``report_every`` rounds the
validation metric is reported and the median pruner stops trials that trail
the median of earlier ones at the same round. A trial budget and a time budget
bound the search; with a storage URL (``sqlite:///tuning.db``) a study can be
interrupted and resumed, and only the trials still missing are run.
"""

from __future__ import annotations

import logging
import math
import time as _time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

from gridcrm.risk.classifier import RiskClassifier
from gridcrm.risk.errors import RiskConfigError

__all__ = ["DEFAULT_SEARCH_SPACE", "METRICS", "ParamSpace", "TuningResult", "tune"]

logger = logging.getLogger(__name__)

#: Metric name → (sklearn scorer on (y, p), direction, LightGBM metric reported for pruning).
METRICS: dict[str, tuple[Any, str, str]] = {
    "log_loss": (lambda y, p: log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]), "minimize",
                 "binary_logloss"),
    "roc_auc": (roc_auc_score, "maximize", "auc"),
    "pr_auc": (average_precision_score, "maximize", "average_precision"),
}


@dataclass(frozen=True)
class ParamSpace:
    """The range of one parameter.

    Attributes
    ----------
    name : str
        A :class:`RiskClassifier` parameter.
    kind : {"float", "int", "categorical"}
    low, high : float, optional
        Bounds (inclusive) of a numeric parameter.
    log : bool
        Sample on a log scale.
    choices : tuple, optional
        Values of a categorical parameter.
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] | None = None

    @classmethod
    def from_mapping(cls, name: str, spec: Mapping[str, Any], where: str = "search_space") -> ParamSpace:
        """Build and check one entry of a search space, errors naming ``where.name``."""
        key = f"{where}.{name}"
        if not isinstance(spec, Mapping):
            raise RiskConfigError(f"{key}: expected a mapping with 'type' and 'low'/'high' or 'choices', got {spec!r}")
        allowed = {"type", "low", "high", "log", "choices"}
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise RiskConfigError(f"{key}: unknown key(s) {unknown}; allowed keys are {sorted(allowed)}")
        kind = spec.get("type")
        if kind not in ("float", "int", "categorical"):
            raise RiskConfigError(f"{key}.type: expected one of ['float', 'int', 'categorical'], got {kind!r}")
        if kind == "categorical":
            choices = spec.get("choices")
            if not isinstance(choices, (list, tuple)) or not choices:
                raise RiskConfigError(f"{key}.choices: expected a non-empty list, got {choices!r}")
            return cls(name, kind, choices=tuple(choices))
        low, high, log = spec.get("low"), spec.get("high"), spec.get("log", False)
        for bound, v in (("low", low), ("high", high)):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise RiskConfigError(f"{key}.{bound}: expected a number, got {v!r}")
            if kind == "int" and not float(v).is_integer():
                raise RiskConfigError(f"{key}.{bound}: expected a whole number for an int parameter, got {v!r}")
        if not isinstance(log, bool):
            raise RiskConfigError(f"{key}.log: expected true or false, got {log!r}")
        if low > high:
            raise RiskConfigError(f"{key}: low ({low}) is above high ({high})")
        if log and low <= 0:
            raise RiskConfigError(f"{key}: a log-scale range needs low > 0, got {low}")
        return cls(name, kind, float(low), float(high), log)

    def suggest(self, trial: optuna.Trial) -> Any:
        """Draw a value from ``trial``."""
        if self.kind == "categorical":
            return trial.suggest_categorical(self.name, list(self.choices or ()))
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)  # type: ignore[arg-type]
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)  # type: ignore[arg-type]


#: The search space used when none is given (the same as ``configs/risk.yaml``).
DEFAULT_SEARCH_SPACE: dict[str, dict[str, Any]] = {
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.2, "log": True},
    "num_leaves": {"type": "int", "low": 4, "high": 128, "log": True},
    "min_child_samples": {"type": "int", "low": 5, "high": 500, "log": True},
    "subsample": {"type": "float", "low": 0.5, "high": 1.0},
    "colsample_bytree": {"type": "float", "low": 0.3, "high": 1.0},
    "reg_lambda": {"type": "float", "low": 1e-3, "high": 100.0, "log": True},
    "reg_alpha": {"type": "float", "low": 1e-3, "high": 10.0, "log": True},
    "cat_smooth": {"type": "float", "low": 1.0, "high": 100.0, "log": True},
}


def parse_search_space(space: Mapping[str, Any] | None, where: str = "search_space") -> list[ParamSpace]:
    """Check a search space against the parameters of :class:`RiskClassifier`."""
    raw = DEFAULT_SEARCH_SPACE if space is None else space
    if not isinstance(raw, Mapping) or not raw:
        raise RiskConfigError(f"{where}: expected a non-empty mapping of parameter → range, got {raw!r}")
    known = set(RiskClassifier().get_params())
    out = []
    for name, spec in raw.items():
        if isinstance(spec, ParamSpace):
            out.append(spec)
            continue
        if name not in known:
            raise RiskConfigError(f"{where}.{name}: not a RiskClassifier parameter; parameters are {sorted(known)}")
        out.append(ParamSpace.from_mapping(name, spec, where))
    return out


@dataclass
class TuningResult:
    """What a search found.

    Attributes
    ----------
    best_params : dict
        The sampled parameters of the best trial.
    best_value : float
        Its validation metric.
    metric : str
    best_estimator : RiskClassifier or None
        Fitted with ``best_params`` (early-stopped on the validation rows).
    study : optuna.Study
        The study, with every trial.
    history : DataFrame
        One row per trial: number, state, value, parameters, duration.
    elapsed : float
        Seconds spent in this call.
    """

    best_params: dict[str, Any]
    best_value: float
    metric: str
    best_estimator: RiskClassifier | None
    study: optuna.Study = field(repr=False)
    history: pd.DataFrame = field(repr=False)
    elapsed: float = 0.0


class _Pruning:
    """LightGBM callback reporting the validation metric to Optuna every ``every`` rounds."""

    def __init__(self, trial: optuna.Trial, metric: str, every: int, sign: float) -> None:
        self.trial, self.metric, self.every, self.sign = trial, metric, every, sign
        self.order = 30  # after early stopping's callback has recorded the round

    def __call__(self, env: Any) -> None:
        step = env.iteration + 1
        if step % self.every:
            return
        for _, name, value, _ in env.evaluation_result_list:
            if name == self.metric:
                self.trial.report(float(value), step)
                if self.trial.should_prune():
                    raise optuna.TrialPruned(f"pruned at round {step} ({name}={value:.5f})")
                return


def tune(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    X_valid: pd.DataFrame,
    y_valid: pd.Series | np.ndarray,
    *,
    estimator: RiskClassifier | None = None,
    search_space: Mapping[str, Any] | None = None,
    metric: str = "log_loss",
    n_trials: int = 30,
    timeout: float | None = None,
    storage: str | None = None,
    study_name: str = "risk",
    seed: int = 0,
    pruning: bool = True,
    report_every: int = 10,
    refit: bool = True,
) -> TuningResult:
    """Search the parameters of a :class:`RiskClassifier` with Optuna (TPE, median pruning).

    Parameters
    ----------
    X, y : training features and labels.
    X_valid, y_valid : validation features and labels (later snapshots); used
        for early stopping and for the metric.
    estimator : RiskClassifier, optional
        Base estimator whose other parameters (``n_jobs``, ``label`` ...) are
        kept; default ``RiskClassifier()``.
    search_space : mapping, optional
        Parameter → ``{type, low, high, log}`` or ``{type: categorical, choices}``;
        default :data:`DEFAULT_SEARCH_SPACE`.
    metric : {"log_loss", "roc_auc", "pr_auc"}
        Validation metric to optimise.
    n_trials : int
        Trial budget of the study, counting finished trials already in ``storage``.
    timeout : float, optional
        Time budget of this call, in seconds.
    storage : str, optional
        Optuna storage URL (``"sqlite:///tuning.db"``) to keep and resume the study.
    study_name : str
        Name of the study in ``storage``.
    seed : int
        Seed of the TPE sampler.
    pruning : bool
        Prune poor trials while they boost.
    report_every : int
        Rounds between reports to the pruner.
    refit : bool
        Return the best trial's fitted estimator (refitted if it came from an
        earlier session).

    Returns
    -------
    TuningResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600)})
    >>> y = (X["a"] + rng.normal(size=600) > 1).astype(int)
    >>> res = tune(X[:400], y[:400], X[400:], y[400:], estimator=RiskClassifier(n_jobs=1), n_trials=3)
    >>> len(res.history), sorted(res.best_params)[:2]
    (3, ['cat_smooth', 'colsample_bytree'])
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    if not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive whole number, got {n_trials!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    space = parse_search_space(search_space)
    base = RiskClassifier() if estimator is None else estimator
    scorer, direction, lgb_metric = METRICS[metric]
    yv = np.asarray(y_valid)
    if len(np.unique(yv)) < 2:
        raise ValueError("y_valid holds a single class; the validation metric is undefined — use more snapshots")

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        direction=direction,
        load_if_exists=storage is not None,
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(3, n_trials // 3))),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3 * report_every)
        if pruning else optuna.pruners.NopPruner(),
    )
    done = sum(t.state.is_finished() for t in study.trials)
    remaining = n_trials - done
    donor = None
    if base.linear_base and remaining > 0:  # the same linear base for every trial: fit it once
        donor = clone(base).set_params(n_estimators=1, early_stopping=False).fit(X, y)
    best: dict[str, Any] = {}
    sign = 1.0 if direction == "minimize" else -1.0

    def objective(trial: optuna.Trial) -> float:
        params = {p.name: p.suggest(trial) for p in space}
        lgb_params = {**(base.lgb_params or {}), "metric": lgb_metric}
        est = clone(base).set_params(**params, lgb_params=lgb_params, early_stopping=True)
        cbs = [_Pruning(trial, lgb_metric, report_every, sign)] if pruning else None
        est.fit(X, y, eval_set=(X_valid, y_valid), callbacks=cbs, linear_base_from=donor)
        value = float(scorer((yv == est.classes_[1]).astype(int), est.predict_proba(X_valid)[:, 1]))
        trial.set_user_attr("best_iteration", est.best_iteration_)
        if not best or sign * value < sign * best["value"]:
            best.update(value=value, number=trial.number, estimator=est)
        return value

    started = _time.perf_counter()
    if remaining > 0:
        study.optimize(objective, n_trials=remaining, timeout=timeout)
    else:
        logger.info("study %r already has %d finished trials (budget %d); nothing to run", study_name, done, n_trials)
    elapsed = _time.perf_counter() - started
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not completed:
        raise RuntimeError(f"no trial of study {study_name!r} completed within the budget; raise timeout or n_trials")
    bt = study.best_trial
    estimator_out = None
    if refit:
        if best and best["number"] == bt.number:
            estimator_out = best["estimator"]
        else:
            estimator_out = clone(base).set_params(**bt.params, early_stopping=True).fit(
                X, y, eval_set=(X_valid, y_valid), linear_base_from=donor)
        estimator_out.set_params(lgb_params=base.lgb_params)  # the pruning metric is not part of the model
    history = study.trials_dataframe(attrs=("number", "state", "value", "params", "duration", "user_attrs"))
    logger.info("tuning %s: %d trials (%d pruned), best %s=%.5f in trial %d, %.1f s", study_name, len(study.trials),
                sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials), metric, bt.value, bt.number,
                elapsed)
    if math.isnan(bt.value):  # pragma: no cover - objective never returns NaN on two-class validation data
        raise RuntimeError("best trial value is NaN")
    return TuningResult(dict(bt.params), float(bt.value), metric, estimator_out, study, history, elapsed)
