"""Churn and arrears risk: labels, LightGBM classifier, tuning, calibration, evaluation, reasons, risk lists.

- :mod:`~gridcrm.risk.labels`: point-in-time arrears and churn labels, stacked training sets, time splits.
- :mod:`~gridcrm.risk.classifier`: :class:`RiskClassifier` and its configured uses
  :class:`ArrearsModel` and :class:`ChurnModel`.
- :mod:`~gridcrm.risk.tuning`: :func:`tune` (Optuna TPE, pruning, budgets, resumable storage).
- :mod:`~gridcrm.risk.calibration`: :class:`ProbabilityCalibrator` (isotonic / sigmoid, chosen on validation).
- :mod:`~gridcrm.risk.evaluation`: metrics, lift, calibration curves, :class:`LogisticBaseline`, reports.
- :mod:`~gridcrm.risk.explain`: SHAP contributions, reasons in words, global importance.
- :mod:`~gridcrm.risk.risk_lists` and :mod:`~gridcrm.risk.rules`: ranked, explained, flagged lists.
- :mod:`~gridcrm.risk.grades`: :func:`grade_cuts` and :func:`risk_grades` ("high", "elevated", "normal"), the one
  risk grade of the job, batch scoring and serving; :mod:`~gridcrm.risk.judge`: :func:`roc_auc_after_as_of`.
- :mod:`~gridcrm.risk.plots`: ROC, PR, calibration, lift and importance figures.
- :mod:`~gridcrm.risk.config`: ``configs/risk.yaml``; :mod:`~gridcrm.risk.training`: the training node.
"""

from gridcrm.risk.calibration import ProbabilityCalibrator
from gridcrm.risk.classifier import ArrearsModel, ChurnModel, RiskClassifier
from gridcrm.risk.config import RiskConfig, load_risk_config
from gridcrm.risk.errors import FeatureMismatchError, LabelError, RiskConfigError
from gridcrm.risk.evaluation import EvaluationReport, LogisticBaseline, evaluate, expected_brier, expected_roc_auc
from gridcrm.risk.explain import contributions, global_importance, top_reasons
from gridcrm.risk.grades import GRADE_SHARES, RISK_GRADES, grade_cuts, risk_grades
from gridcrm.risk.judge import roc_auc_after_as_of
from gridcrm.risk.labels import (
    ArrearsLabel,
    ChurnLabel,
    TrainingSet,
    arrears_labels,
    build_training_set,
    churn_labels,
    snapshot_dates,
    time_split,
)
from gridcrm.risk.risk_lists import flagged, risk_list
from gridcrm.risk.rules import Rule, parse_rules
from gridcrm.risk.training import TrainingResult, train_risk_model
from gridcrm.risk.tuning import TuningResult, tune

__all__ = [
    "ArrearsLabel",
    "ArrearsModel",
    "ChurnLabel",
    "ChurnModel",
    "EvaluationReport",
    "FeatureMismatchError",
    "GRADE_SHARES",
    "LabelError",
    "LogisticBaseline",
    "ProbabilityCalibrator",
    "RISK_GRADES",
    "RiskClassifier",
    "RiskConfig",
    "RiskConfigError",
    "Rule",
    "TrainingResult",
    "TrainingSet",
    "TuningResult",
    "arrears_labels",
    "build_training_set",
    "churn_labels",
    "contributions",
    "evaluate",
    "expected_brier",
    "expected_roc_auc",
    "flagged",
    "global_importance",
    "grade_cuts",
    "load_risk_config",
    "parse_rules",
    "risk_grades",
    "risk_list",
    "roc_auc_after_as_of",
    "snapshot_dates",
    "time_split",
    "top_reasons",
    "train_risk_model",
    "tune",
]
