"""The training node: tune (or fit), calibrate, and evaluate a risk model against its baselines.

:func:`train_risk_model` is what a training script or pipeline calls once the
stacked training set is split by time: it tunes a ``ChurnModel`` or
``ArrearsModel`` with the configured budget on the training snapshots
(early stopping and the metric on the validation snapshots), calibrates it on
the validation snapshots, fits the logistic baseline on the same training
rows, and evaluates everything on the test snapshots — with any extra scores
given (the AHP credit score for arrears, a simulation's true probabilities).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridcrm.risk.classifier import ArrearsModel, ChurnModel, RiskClassifier
from gridcrm.risk.config import RiskConfig, load_risk_config
from gridcrm.risk.evaluation import EvaluationReport, LogisticBaseline, evaluate
from gridcrm.risk.explain import global_importance
from gridcrm.risk.labels import TrainingSet
from gridcrm.risk.tuning import TuningResult, tune

__all__ = ["TrainingResult", "train_risk_model"]

logger = logging.getLogger(__name__)

_MODELS: dict[str, type[RiskClassifier]] = {"arrears": ArrearsModel, "churn": ChurnModel}


@dataclass
class TrainingResult:
    """A trained, calibrated risk model and its evaluation.

    Attributes
    ----------
    model : ArrearsModel or ChurnModel
        Fitted and calibrated (``model.calibrator_``).
    baseline : LogisticBaseline
        The logistic regression fitted on the same training rows.
    tuning : TuningResult or None
        The Optuna search, when tuning ran.
    report : EvaluationReport or None
        Scores on the test snapshots: ``model`` (calibrated), ``model_uncalibrated``,
        ``logistic`` and the extra scores; None without test rows.
    seconds : float
        Time spent.
    """

    model: RiskClassifier
    baseline: LogisticBaseline
    tuning: TuningResult | None
    report: EvaluationReport | None
    seconds: float

    def summary(self) -> dict[str, Any]:
        """The figures worth logging: test metrics per score, calibration, chosen parameters."""
        out: dict[str, Any] = {"trees": self.model.best_iteration_,
                               "linear_base": self.model.linear_ is not None,
                               "calibration": self.model.calibrator_.method_ if self.model.calibrator_ else None}
        if self.tuning is not None:
            out["best_params"] = self.tuning.best_params
            out["trials"] = len(self.tuning.history)
        if self.report is not None:
            for name, row in self.report.metrics.iterrows():
                for metric in ("roc_auc", "pr_auc", "ks", "brier", "lift_10"):
                    out[f"{name}.{metric}"] = float(row[metric])
        return out


def train_risk_model(
    kind: str,
    train: TrainingSet,
    valid: TrainingSet,
    test: TrainingSet | None = None,
    *,
    config: RiskConfig | Mapping[str, Any] | str | None = None,
    tuned: bool = True,
    n_trials: int | None = None,
    timeout: float | None = None,
    storage: str | None = None,
    n_jobs: int | None = None,
    extra_scores: Mapping[str, Any] | None = None,
) -> TrainingResult:
    """Tune or fit, calibrate and evaluate a churn or arrears model.

    Parameters
    ----------
    kind : {"arrears", "churn"}
    train, valid, test : TrainingSet
        From :func:`gridcrm.risk.labels.time_split`; ``test`` may be None or empty.
    config : RiskConfig, mapping, path or None
        Risk configuration (labels, classifier overrides, tuning budget and
        search space, calibration method); default ``load_risk_config()``.
    tuned : bool
        Run the Optuna search (else fit with the configured parameters).
    n_trials, timeout : optional
        Override the configured trial and time budgets.
    storage : str, optional
        Optuna storage URL to keep or resume the study.
    n_jobs : int, optional
        Threads for LightGBM.
    extra_scores : mapping of str to array-like, optional
        More scores of the test rows to compare (higher = riskier), e.g.
        ``{"credit_score": -score}`` or a simulation's ``{"oracle": p}``.

    Returns
    -------
    TrainingResult

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> from gridcrm.risk import ArrearsLabel, build_training_set, snapshot_dates, time_split
    >>> ds = generate_dataset(600, "2023-01-01", "2024-12-31", seed=2).dataset
    >>> data = build_training_set(ds, snapshot_dates(ds, ArrearsLabel(), n=8), ArrearsLabel())
    >>> train, valid, test = time_split(data)
    >>> res = train_risk_model("arrears", train, valid, test, tuned=False, n_jobs=1)
    >>> list(res.report.metrics.index)
    ['model', 'model_uncalibrated', 'logistic']
    """
    if kind not in _MODELS:
        raise ValueError(f"kind must be one of {sorted(_MODELS)}, got {kind!r}")
    started = time.perf_counter()
    cfg = load_risk_config(config)
    overrides = {} if n_jobs is None else {"n_jobs": n_jobs}
    model = _MODELS[kind].from_config(cfg, **overrides)
    result_tuning = None
    if tuned:
        result_tuning = tune(train.X, train.y, valid.X, valid.y, estimator=model,
                             search_space=cfg.tuning.search_space, metric=cfg.tuning.metric,
                             n_trials=n_trials or cfg.tuning.n_trials,
                             timeout=timeout if timeout is not None else cfg.tuning.timeout_s,
                             storage=storage, study_name=f"{kind}_risk", seed=cfg.tuning.seed)
        model = result_tuning.best_estimator
    else:
        model.fit(train.X, train.y, eval_set=(valid.X, valid.y))
    model.calibrate(valid.X, valid.y, method=cfg.calibration)
    baseline = LogisticBaseline().fit(train.X, train.y)
    report = None
    if test is not None and len(test):
        scores = {"model": model.predict_proba(test.X)[:, 1],
                  "model_uncalibrated": model.predict_proba(test.X, calibrated=False)[:, 1],
                  "logistic": baseline.predict_proba(test.X)[:, 1]}
        for name, s in (extra_scores or {}).items():
            scores[name] = np.asarray(s, dtype=float)
        probabilistic = [n for n in scores if n not in (extra_scores or {})]
        probabilistic += [n for n, s in scores.items() if n in (extra_scores or {}) and s.min() >= 0 and s.max() <= 1]
        report = evaluate(test.y, scores, probabilistic=probabilistic,
                          importance=global_importance(model, test.X))
    seconds = time.perf_counter() - started
    logger.info("%s model: %d training rows, %s trees, linear base %s, calibration %s, %.0f s", kind, len(train),
                model.best_iteration_, model.linear_ is not None, model.calibrator_.method_, seconds)
    return TrainingResult(model, baseline, result_tuning, report, seconds)
