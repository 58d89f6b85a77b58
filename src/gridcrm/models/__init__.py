"""Churn and arrears risk: labels, LightGBM classifier, tuning, calibration, evaluation, reasons, risk lists.

- :mod:`~gridcrm.models.labels`: point-in-time arrears and churn labels, stacked training sets, time splits.
- :mod:`~gridcrm.models.classifier`: :class:`RiskClassifier` and its configured uses
  :class:`ArrearsModel` and :class:`ChurnModel`.
- :mod:`~gridcrm.models.tuning`: :func:`tune` (Optuna TPE, pruning, budgets, resumable storage).
- :mod:`~gridcrm.models.calibration`: :class:`ProbabilityCalibrator` (isotonic / sigmoid, chosen on validation).
- :mod:`~gridcrm.models.evaluation`: metrics, lift, calibration curves, :class:`LogisticBaseline`, reports.
- :mod:`~gridcrm.models.explain`: SHAP contributions, reasons in words, global importance.
- :mod:`~gridcrm.models.risk_lists` and :mod:`~gridcrm.models.rules`: ranked, explained, flagged lists.
- :mod:`~gridcrm.models.grades`: :func:`grade_cuts` and :func:`risk_grades` ("high", "elevated", "normal"), the one
  risk grade of the job, batch scoring and serving; :mod:`~gridcrm.models.judge`: :func:`roc_auc_after_as_of`.
- :mod:`~gridcrm.models.plots`: ROC, PR, calibration, lift and importance figures.
- :mod:`~gridcrm.models.config`: ``configs/risk.yaml``; :mod:`~gridcrm.models.training`: the training node.
"""

from gridcrm.models.calibration import ProbabilityCalibrator
from gridcrm.models.classifier import ArrearsModel, ChurnModel, RiskClassifier
from gridcrm.models.config import RiskConfig, load_risk_config
from gridcrm.models.errors import FeatureMismatchError, LabelError, RiskConfigError
from gridcrm.models.evaluation import EvaluationReport, LogisticBaseline, evaluate, expected_brier, expected_roc_auc
from gridcrm.models.explain import contributions, global_importance, top_reasons
from gridcrm.models.grades import GRADE_SHARES, RISK_GRADES, grade_cuts, risk_grades
from gridcrm.models.judge import roc_auc_after_as_of
from gridcrm.models.labels import (
    ArrearsLabel,
    ChurnLabel,
    TrainingSet,
    arrears_labels,
    build_training_set,
    churn_labels,
    snapshot_dates,
    time_split,
)
from gridcrm.models.risk_lists import flagged, risk_list
from gridcrm.models.rules import Rule, parse_rules
from gridcrm.models.training import TrainingResult, train_risk_model
from gridcrm.models.tuning import TuningResult, tune

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
