"""Evaluation report, metrics, expected metrics under known probabilities, baselines and plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from gridcrm.risk import RiskClassifier, global_importance
from gridcrm.risk.evaluation import (
    LogisticBaseline,
    calibration_table,
    evaluate,
    expected_brier,
    expected_roc_auc,
    ks_statistic,
    lift_table,
    score_metrics,
)


def test_lift_and_capture_by_hand():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    s = np.array([10, 9, 8, 7, 6, 5, 4, 3, 2, 1.0])
    lt = lift_table(y, s, fractions=[0.2, 0.5])
    assert lt.loc[0.2, "events"] == 2 and lt.loc[0.2, "lift"] == pytest.approx(1.0 / 0.3)
    assert lt.loc[0.2, "capture_rate"] == pytest.approx(2 / 3)
    assert lt.loc[0.5, "rows"] == 5
    with pytest.raises(ValueError, match="fractions"):
        lift_table(y, s, fractions=[0])


def test_ks_and_metrics():
    assert ks_statistic([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.5)
    m = score_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert m["roc_auc"] == pytest.approx(0.75) and m["base_rate"] == 0.5
    assert {"pr_auc", "ks", "brier", "log_loss", "lift_5", "capture_20"} <= set(m)
    assert np.isnan(score_metrics([0, 1], [3.0, 7.0], probabilistic=False)["brier"])


def test_expected_auc_matches_simulation():
    rng = np.random.default_rng(0)
    p = rng.beta(1, 8, 2000)
    s = np.round(p + rng.normal(0, 0.05, 2000), 2)  # with ties
    draws = [roc_auc_score(rng.random(2000) < p, s) for _ in range(200)]
    assert expected_roc_auc(p, s) == pytest.approx(np.mean(draws), abs=0.003)
    assert expected_roc_auc(p, p) >= expected_roc_auc(p, s)
    assert expected_brier(p, p) < expected_brier(p, s.clip(0, 1))
    with pytest.raises(ValueError, match="undefined"):
        expected_roc_auc([0.0, 0.0], [0.1, 0.2])


def test_calibration_table():
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 0.5, 5000)
    y = (rng.random(5000) < p).astype(int)
    cal = calibration_table(y, p, n_bins=5)
    assert len(cal) == 5 and cal["rows"].sum() == 5000
    assert np.allclose(cal["mean_predicted"], cal["observed"], atol=0.04)
    assert len(calibration_table(y, p, n_bins=4, strategy="uniform")) == 2  # p ≤ 0.5: upper bins empty


def test_evaluate_report_and_files(frame, fitted, tmp_path):
    X, y, p = frame
    Xt, yt = X.iloc[1500:], y.iloc[1500:]
    lr = LogisticBaseline().fit(X.iloc[:1500], y.iloc[:1500])
    scores = {"lightgbm": fitted.predict_proba(Xt)[:, 1], "logistic": lr.predict_proba(Xt)[:, 1],
              "oracle": p[1500:], "late_bills": Xt["late_bills_365d"].to_numpy(dtype=float)}
    rep = evaluate(yt, scores, probabilistic=["lightgbm", "logistic", "oracle"],
                   importance=global_importance(fitted, Xt))
    assert list(rep.metrics.index) == list(scores)
    assert np.isnan(rep.metrics.loc["late_bills", "brier"])
    assert set(rep.calibration["score"]) == {"lightgbm", "logistic", "oracle"}
    assert "| lightgbm |" in rep.to_markdown()
    written = rep.save(tmp_path / "report")
    for name in ("metrics", "lift", "calibration", "importance", "roc_plot", "pr_plot", "calibration_plot",
                 "lift_plot", "importance_plot"):
        assert written[name].is_file() and written[name].stat().st_size > 0, name
    assert pd.read_csv(written["metrics"], index_col=0).shape[0] == 4


def test_evaluate_errors():
    with pytest.raises(ValueError, match="scores is empty"):
        evaluate([0, 1], {})
    with pytest.raises(ValueError, match="'a' has shape"):
        evaluate([0, 1], {"a": [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError, match="missing or infinite"):
        evaluate([0, 1], {"a": [0.1, np.nan]})
    with pytest.raises(ValueError, match="not among the scores"):
        evaluate([0, 1], {"a": [0.1, 0.2]}, probabilistic=["b"])


def test_logistic_baseline(frame):
    X, y, _ = frame
    lr = LogisticBaseline().fit(X.iloc[:1500], y.iloc[:1500])
    assert 1e-3 <= lr.C_ <= 10
    assert roc_auc_score(y.iloc[1500:], lr.predict_proba(X.iloc[1500:])[:, 1]) > 0.7
    assert LogisticBaseline(C=0.5).fit(X, y).C_ == 0.5
    unseen = X.iloc[:2].assign(region="mars")
    assert lr.predict_proba(unseen).shape == (2, 2)


def test_baseline_beats_nothing_on_pure_noise_without_crashing():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=300)})
    y = rng.integers(0, 2, 300)
    assert RiskClassifier(n_jobs=1).fit(X, y).predict_proba(X).shape == (300, 2)
