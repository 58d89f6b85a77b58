"""Optuna tuning: seeded TPE, pruning, budgets, resumable SQLite storage, search-space checks."""

from __future__ import annotations

import optuna
import pytest

from gridcrm.risk import RiskClassifier, RiskConfigError
from gridcrm.risk.tuning import parse_search_space, tune

SPACE = {
    "learning_rate": {"type": "float", "low": 0.05, "high": 0.3, "log": True},
    "num_leaves": {"type": "int", "low": 4, "high": 32},
    "min_child_samples": {"type": "int", "low": 5, "high": 100, "log": True},
}


@pytest.fixture(scope="module")
def split(frame):
    X, y, _ = frame
    return X.iloc[:1400], y.iloc[:1400], X.iloc[1400:], y.iloc[1400:]


def _tune(split, **kw):
    base = RiskClassifier(n_jobs=1, n_estimators=150, linear_base=False)
    return tune(*split, estimator=base, search_space=SPACE, **{"n_trials": 4, **kw})


def test_tune_returns_best_params_history_and_fitted_model(split):
    res = _tune(split)
    assert set(res.best_params) == set(SPACE)
    assert len(res.history) == 4 and {"number", "state", "value"} <= set(res.history.columns)
    assert res.best_value == res.study.best_value
    assert res.best_estimator.num_leaves == res.best_params["num_leaves"]
    assert res.best_estimator.lgb_params is None  # the pruning metric is not kept in the model
    assert res.best_estimator.predict_proba(split[2]).shape == (len(split[2]), 2)


def test_tune_is_seeded(split):
    a, b = _tune(split, seed=5), _tune(split, seed=5)
    assert a.best_params == b.best_params and a.best_value == b.best_value


def test_pruning_stops_poor_trials(split):
    res = _tune(split, n_trials=12, metric="roc_auc", report_every=5)
    states = set(res.history["state"])
    assert "COMPLETE" in states
    assert res.study.direction == optuna.study.StudyDirection.MAXIMIZE
    assert (res.history["state"] == "PRUNED").sum() >= 1


def test_resume_from_sqlite_runs_only_missing_trials(split, tmp_path):
    storage = f"sqlite:///{tmp_path / 'tuning.db'}"
    first = _tune(split, n_trials=2, storage=storage, study_name="arrears")
    assert len(first.study.trials) == 2
    again = _tune(split, n_trials=4, storage=storage, study_name="arrears")
    assert len(again.study.trials) == 4
    done = _tune(split, n_trials=3, storage=storage, study_name="arrears", refit=False)
    assert len(done.study.trials) == 4 and done.best_estimator is None


def test_time_budget(split):
    res = _tune(split, n_trials=1000, timeout=1.0)
    assert len(res.history) >= 1 and len(res.history) < 1000


@pytest.mark.parametrize(
    ("space", "match"),
    [
        ({"leaves": {"type": "int", "low": 2, "high": 8}}, r"search_space\.leaves: not a RiskClassifier parameter"),
        ({"num_leaves": {"type": "int", "low": 8, "high": 2}}, r"search_space\.num_leaves: low \(8\) is above high"),
        ({"learning_rate": {"type": "float", "low": 0, "high": 1, "log": True}}, "log-scale range needs low > 0"),
        ({"num_leaves": {"type": "int", "low": 2.5, "high": 8}}, "whole number"),
        ({"num_leaves": {"type": "integer", "low": 2, "high": 8}}, r"num_leaves\.type"),
        ({"class_weight": {"type": "categorical", "choices": []}}, "non-empty list"),
        ({"num_leaves": {"type": "int", "low": 2, "high": 8, "step": 2}}, "unknown key"),
    ],
)
def test_bad_search_space(space, match):
    with pytest.raises(RiskConfigError, match=match):
        parse_search_space(space)


def test_bad_arguments(split):
    with pytest.raises(ValueError, match="metric must be one of"):
        _tune(split, metric="accuracy")
    with pytest.raises(ValueError, match="n_trials"):
        _tune(split, n_trials=0)
    X, y, Xv, yv = split
    with pytest.raises(ValueError, match="single class"):
        tune(X, y, Xv, yv * 0, n_trials=1)


def test_trials_share_one_linear_base(split):
    base = RiskClassifier(n_jobs=1, n_estimators=50)
    res = tune(*split, estimator=base, search_space=SPACE, n_trials=3)
    linear = res.best_estimator.linear_
    if linear is not None:
        alone = RiskClassifier(n_jobs=1, n_estimators=1, early_stopping=False).fit(split[0], split[1])
        assert linear.C_ == alone.linear_.C_
        assert (linear.model_.coef_ == alone.linear_.model_.coef_).all()
