"""Probability calibration: method choice on held-out data, Brier before and after."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

from gridcrm.risk import ProbabilityCalibrator, RiskClassifier
from gridcrm.risk.errors import LabelError


def _miscalibrated(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    true = rng.beta(1, 12, n)
    y = (rng.random(n) < true).astype(int)
    return true, y


def test_auto_picks_a_method_that_lowers_brier():
    true, y = _miscalibrated()
    raw = np.sqrt(true)  # right order, far too high
    cal = ProbabilityCalibrator().fit(raw, y)
    assert cal.method_ in {"isotonic", "sigmoid"}
    assert set(cal.cv_brier_) == {"isotonic", "sigmoid", "none"}
    assert cal.brier_after_ < cal.brier_before_
    out = cal.transform(raw)
    assert brier_score_loss(y, out) < brier_score_loss(y, raw)
    assert np.all(np.diff(out[np.argsort(raw)]) >= -1e-12)  # monotone: the ranking is kept


def test_auto_keeps_calibrated_probabilities():
    true, y = _miscalibrated(seed=1)
    cal = ProbabilityCalibrator().fit(true, y)
    assert cal.brier_after_ <= cal.cv_brier_["none"] + 1e-12


@pytest.mark.parametrize("method", ["isotonic", "sigmoid", "none"])
def test_explicit_methods(method):
    true, y = _miscalibrated(seed=2)
    cal = ProbabilityCalibrator(method=method).fit(true**0.5, y)
    assert cal.method_ == method and not hasattr(cal, "cv_brier_")
    assert cal.transform(np.array([0.0, 0.5, 1.0])).shape == (3,)


def test_few_events_fall_back_to_sigmoid():
    cal = ProbabilityCalibrator().fit([0.1, 0.2, 0.3, 0.9], [0, 0, 0, 1])
    assert cal.method_ == "sigmoid"


def test_bad_input():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        ProbabilityCalibrator().fit([0.1, 1.5], [0, 1])
    with pytest.raises(LabelError, match="missing label"):
        ProbabilityCalibrator().fit([0.1, 0.5], [0, np.nan])
    with pytest.raises(ValueError, match="method"):
        ProbabilityCalibrator(method="platt").fit([0.1, 0.5], [0, 1])
    with pytest.raises(ValueError, match="0/1"):
        ProbabilityCalibrator().fit([0.1, 0.5], [1, 2])


def test_model_calibrate_on_held_out(frame):
    X, y, _ = frame
    m = RiskClassifier(n_jobs=1, class_weight="balanced", linear_base=False).fit(X.iloc[:1200], y.iloc[:1200])
    raw = m.predict_proba(X.iloc[1200:])[:, 1]
    m.calibrate(X.iloc[1200:1600], y.iloc[1200:1600])
    cal = m.predict_proba(X.iloc[1600:])[:, 1]
    assert m.calibrator_.brier_after_ < m.calibrator_.brier_before_
    assert brier_score_loss(y.iloc[1600:], cal) < brier_score_loss(y.iloc[1600:], raw[400:])
    assert np.allclose(m.predict_proba(X.iloc[1600:], calibrated=False)[:, 1], raw[400:])
