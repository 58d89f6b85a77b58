"""RiskClassifier: the estimator contract, determinism, categories, bad input, persistence."""

from __future__ import annotations

import io
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import check_estimator

from gridcrm.risk import (
    ArrearsLabel,
    ArrearsModel,
    ChurnLabel,
    ChurnModel,
    FeatureMismatchError,
    LabelError,
    RiskClassifier,
)
from gridcrm.risk._frame import UnseenCategoryWarning


def test_fit_predict_shapes_and_quality(frame, fitted):
    X, y, p = frame
    proba = fitted.predict_proba(X.iloc[1500:])
    assert proba.shape == (500, 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert roc_auc_score(y.iloc[1500:], proba[:, 1]) > 0.7
    assert set(fitted.predict(X.iloc[:50])) <= {0, 1}
    assert fitted.n_features_in_ == X.shape[1]
    assert list(fitted.feature_names_in_) == list(X.columns)
    assert set(fitted.categories_) == {"customer_class", "region"}
    assert fitted.best_iteration_ == 0 or (fitted.best_iteration_ >= 1 and fitted.best_iteration_ < fitted.n_estimators)
    assert fitted.linear_ is not None


def test_deterministic_and_seeded(frame):
    X, y, _ = frame
    X, y = X.iloc[:800], y.iloc[:800]
    a = RiskClassifier(n_jobs=1, random_state=3).fit(X, y).predict_proba(X)[:, 1]
    b = RiskClassifier(n_jobs=1, random_state=3).fit(X, y).predict_proba(X)[:, 1]
    c = RiskClassifier(n_jobs=2, random_state=3).fit(X, y).predict_proba(X)[:, 1]
    assert np.array_equal(a, b)
    assert np.allclose(a, c)  # deterministic=True: the thread count does not change the model


def test_decision_function_is_the_log_odds(fitted, frame):
    X, _, _ = frame
    p = fitted.predict_proba(X.iloc[:20])[:, 1]
    assert np.allclose(1 / (1 + np.exp(-fitted.decision_function(X.iloc[:20]))), p)


def test_columns_matched_by_name_extra_ignored(fitted, frame):
    X, _, _ = frame
    shuffled = X.iloc[:30][list(reversed(X.columns))].assign(customer_segment="x", as_of=1)
    assert np.allclose(fitted.predict_proba(shuffled), fitted.predict_proba(X.iloc[:30]))


def test_missing_column_is_an_error_naming_it(fitted, frame):
    X, _, _ = frame
    with pytest.raises(FeatureMismatchError, match="late_bills_365d"):
        fitted.predict_proba(X.drop(columns="late_bills_365d"))


def test_numeric_column_turned_text_is_an_error(fitted, frame):
    X, _, _ = frame
    bad = X.iloc[:5].assign(noise=["a", "b", "c", "d", "e"])
    with pytest.raises(FeatureMismatchError, match="'noise'.*numeric"):
        fitted.predict_proba(bad)


def test_unseen_category_warns_and_counts_as_missing(fitted, frame):
    X, _, _ = frame
    row = X.iloc[:3].copy()
    row["region"] = ["mars", "east", None]
    with pytest.warns(UnseenCategoryWarning, match="region.*mars"):
        p_unseen = fitted.predict_proba(row)
    missing = row.assign(region=[None, "east", None])
    assert np.allclose(p_unseen, fitted.predict_proba(missing))


def test_unseen_category_error_and_ignore(frame):
    X, y, _ = frame
    row = X.iloc[:2].assign(region="mars")
    strict = RiskClassifier(n_jobs=1, handle_unknown="error").fit(X, y)
    with pytest.raises(FeatureMismatchError, match="handle_unknown='warn'"):
        strict.predict_proba(row)
    quiet = clone(strict).set_params(handle_unknown="ignore").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet.predict_proba(row)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.ones(50), "exactly two classes"),
        (np.r_[np.zeros(49), np.nan], "1 missing label"),
        (np.arange(50) % 3, "exactly two classes"),
    ],
)
def test_bad_labels(y, match):
    X = pd.DataFrame({"a": np.arange(50.0)})
    with pytest.raises(LabelError, match=match):
        RiskClassifier(n_jobs=1).fit(X, y)


def test_bad_input():
    X = pd.DataFrame({"a": np.arange(10.0), "when": pd.date_range("2024-01-01", periods=10)})
    with pytest.raises(TypeError, match="'when'.*convert dates"):
        RiskClassifier(n_jobs=1).fit(X, np.arange(10) % 2)
    with pytest.raises(ValueError, match="rows but y has"):
        RiskClassifier(n_jobs=1).fit(X[["a"]], [0, 1])
    with pytest.raises(ValueError, match="learning_rate"):
        RiskClassifier(learning_rate=-1).fit(X[["a"]], np.arange(10) % 2)


def test_string_labels_and_classes(frame):
    X, y, _ = frame
    named = y.map({0: "paid", 1: "late"})
    m = RiskClassifier(n_jobs=1).fit(X, named)
    assert list(m.classes_) == ["late", "paid"]  # the second class (sorted) is the event
    assert set(m.predict(X.iloc[:20])) <= {"late", "paid"}


def test_early_stopping_modes(frame):
    X, y, _ = frame
    time = np.repeat(pd.date_range("2024-01-01", periods=4, freq="MS").to_numpy(), len(X) // 4)
    held = RiskClassifier(n_jobs=1, linear_base=False).fit(X, y, time=time)
    assert "valid" in held.evals_result_ and held.best_iteration_ < held.n_estimators
    full = RiskClassifier(n_jobs=1, n_estimators=30, early_stopping=False, linear_base=False).fit(X, y)
    assert full.best_iteration_ == 30 and full.evals_result_ == {}
    tiny = RiskClassifier(n_jobs=1, n_estimators=20, linear_base=False).fit(X.iloc[:150], y.iloc[:150])
    assert tiny.best_iteration_ == 20  # "auto": too few rows to hold any out
    monitored = RiskClassifier(n_jobs=1, n_estimators=25, early_stopping=False).fit(
        X.iloc[:1500], y.iloc[:1500], eval_set=(X.iloc[1500:], y.iloc[1500:]))
    assert len(monitored.evals_result_["valid"]["binary_logloss"]) == 25


def test_holdout_takes_the_latest_snapshot(frame):
    X, y, _ = frame
    time = np.repeat(pd.date_range("2024-01-01", periods=5, freq="MS").to_numpy(), len(X) // 5)
    m = RiskClassifier(n_jobs=1)
    fit_idx, val_idx = m._holdout(y.to_numpy().astype(float), time)
    assert set(time[val_idx]) == {time.max()} and time.max() not in set(time[fit_idx])


def test_no_trees_when_they_do_not_help():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"signal": rng.normal(size=600), "junk": rng.normal(size=600)})
    y = (rng.random(600) < 1 / (1 + np.exp(-(-1 + 1.5 * X["signal"])))).astype(int)
    # trees this greedy only fit noise: the linear base alone must win on validation
    greedy = RiskClassifier(n_jobs=1, learning_rate=1.0, num_leaves=64, min_child_samples=2, reg_lambda=0.0,
                            subsample=1.0, colsample_bytree=1.0)
    m = greedy.fit(X.iloc[:300], y.iloc[:300], eval_set=(X.iloc[300:], y.iloc[300:]))
    assert m.best_iteration_ == 0
    assert np.all(m.feature_importances_ == 0)
    contrib = m.explain(X.iloc[:5])
    assert np.allclose(contrib.sum(axis=1), m.decision_function(X.iloc[:5]))
    assert contrib["junk"].abs().max() < contrib["signal"].abs().max()


def test_class_weight_balanced_raises_probabilities(frame):
    X, y, _ = frame
    plain = RiskClassifier(n_jobs=1, linear_base=False).fit(X, y)
    balanced = RiskClassifier(n_jobs=1, linear_base=False, class_weight="balanced").fit(X, y)
    assert balanced.predict_proba(X)[:, 1].mean() > 2 * plain.predict_proba(X)[:, 1].mean()


def test_sample_weight_validation(frame):
    X, y, _ = frame
    with pytest.raises(ValueError, match="sample_weight"):
        RiskClassifier(n_jobs=1).fit(X, y, sample_weight=-np.ones(len(y)))


def test_numpy_input(frame):
    X, y, _ = frame
    num = X.select_dtypes("number").to_numpy()
    m = RiskClassifier(n_jobs=1).fit(num, y.to_numpy())
    assert not hasattr(m, "feature_names_in_")
    assert m.predict_proba(num[:3]).shape == (3, 2)
    with pytest.raises(ValueError, match="5 features"):
        m.predict_proba(num[:3, :3].tolist() and np.c_[num[:3], num[:3, :1]])


def test_pickle_roundtrip(fitted, frame):
    X, _, _ = frame
    buf = io.BytesIO()
    joblib.dump(fitted, buf)
    buf.seek(0)
    again = joblib.load(buf)
    assert np.array_equal(again.predict_proba(X), fitted.predict_proba(X))
    assert again.top_reasons(X.iloc[:3]).equals(fitted.top_reasons(X.iloc[:3]))


def test_get_set_params_and_clone():
    m = RiskClassifier(num_leaves=7, label=ArrearsLabel(late_days=30))
    params = m.get_params()
    assert params["num_leaves"] == 7 and params["label"].late_days == 30
    c = clone(m)
    assert c.get_params()["label"] == ArrearsLabel(late_days=30)
    assert c.set_params(num_leaves=9).num_leaves == 9
    with pytest.raises(ValueError, match="Invalid parameter 'leaves'"):
        m.set_params(leaves=3)


def test_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RiskClassifier().predict_proba(pd.DataFrame({"a": [1.0]}))


def test_configured_uses():
    assert ArrearsModel().label_spec == ArrearsLabel()
    assert ChurnModel().label_spec == ChurnLabel()
    assert ChurnModel(label=ChurnLabel(horizon_days=30)).label_spec.horizon_days == 30
    with pytest.raises(ValueError, match="no label definition"):
        RiskClassifier().label_spec  # noqa: B018
    m = ArrearsModel.from_config({"labels": {"arrears": {"late_days": 30}}, "classifier": {"num_leaves": 7}},
                                 n_jobs=1)
    assert (m.label.late_days, m.num_leaves, m.n_jobs) == (30, 7, 1)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_sklearn_estimator_checks():
    expected = {
        # columns are matched by name and extra columns ignored, so that a feature table with more
        # columns than the model uses (ids, other models' features) can be scored as it is
        "check_dataframe_column_names_consistency": "columns matched by name, extra columns ignored",
    }
    check_estimator(RiskClassifier(n_estimators=5, n_jobs=1, linear_base=False), expected_failed_checks=expected)
