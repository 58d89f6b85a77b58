"""load_anomaly_config, the judge and the truth-based evaluation (values computed by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.anomaly.config import AnomalyConfigError, load_anomaly_config
from gridcrm.anomaly.evaluation import evaluate_against_truth, r_precision, theft_targets
from gridcrm.anomaly.judge import recorded_theft_recall_at_top
from gridcrm.errors import InputError


def test_shipped_config_and_its_estimator():
    cfg = load_anomaly_config()
    assert cfg.source.name == "anomaly.yaml" and cfg.inspection["capacity"] == 200
    det = cfg.anomaly_detector()
    assert det.get_params()["label_window_days"] == 365 and det.random_state == 0
    assert load_anomaly_config(cfg) is cfg


@pytest.mark.parametrize(("raw", "match"), [
    ({"detectors": {}}, r"unknown section\(s\) \['detectors'\]"),
    ({"detector": {"C": -1}}, "detector.C"),
    ({"detector": {"use_payments": "yes"}}, "detector.use_payments"),
    ({"inspection": {"capacity": 0}}, "inspection.capacity: expected a whole number >= 1"),
    ({"inspection": {"kinds": ["fraud"]}}, "inspection.kinds"),
    ({"inspection": {"quotas": {"station": 0.2}}}, "inspection.quotas.station"),
    ({"inspection": {"prices": "cheap"}}, "inspection.prices"),
    ({"inspection": {"capcity": 5}}, "inspection.capcity: unknown key"),
])
def test_bad_configs_name_the_key(raw, match):
    with pytest.raises(AnomalyConfigError, match=match):
        load_anomaly_config(raw)


def test_missing_file_names_it(tmp_path):
    with pytest.raises(AnomalyConfigError, match="nope.yaml"):
        load_anomaly_config(tmp_path / "nope.yaml")


def test_judge_recall_at_top():
    y = np.zeros(100, dtype=int)
    y[[3, 50, 99]] = 1
    s = np.linspace(1, 0, 100)  # customer 0 first
    assert recorded_theft_recall_at_top(y, s, 0.05) == pytest.approx(1 / 3)  # top 5 = 0..4 holds 3
    assert recorded_theft_recall_at_top(np.zeros(5), np.ones(5)) != recorded_theft_recall_at_top(np.zeros(5),
                                                                                                np.ones(5))  # NaN
    with pytest.raises(InputError, match="one value per customer"):
        recorded_theft_recall_at_top([1, 0], [0.5])
    with pytest.raises(InputError, match="top_share"):
        recorded_theft_recall_at_top([1, 0], [0.5, 0.1], 0)


def test_targets_and_metrics_by_hand():
    as_of = pd.Timestamp("2024-12-01")
    idx = pd.Index([1, 2, 3, 4, 5, 6], name="customer_id")
    truth = pd.DataFrame({
        "theft_from": pd.to_datetime(["2024-01-01", "2024-11-20", "2024-03-01", None, None, "2024-02-01"]),
        "theft_found_on": pd.to_datetime([None, None, "2024-06-01", None, None, "2025-01-10"]),
    }, index=idx)
    target, left_out = theft_targets(truth, idx, as_of)
    assert target.tolist() == [True, False, False, False, False, True]  # 2 too new, 3 already recorded
    assert left_out.tolist() == [False, True, True, False, False, False]
    scores = pd.Series([0.9, 0.99, 0.99, 0.8, 0.1, 0.5], index=idx)
    out = evaluate_against_truth(scores, truth, as_of, capacity=2, legit=pd.Series([False, False, False, True,
                                                                                     False, False], index=idx),
                                 missing_kwh=pd.Series([2.0, 0, 0, 0, 0, 4.0], index=idx), horizon_days=10)
    # kept: 1 (0.9, theft), 4 (0.8), 5 (0.1), 6 (0.5, theft): ranking 1, 4, 6, 5
    assert out["n_targets"] == 2 and out["r_precision"] == 0.5 and out["precision_at_capacity"] == 0.5
    assert out["roc_auc"] == pytest.approx(0.75) and out["recall_at_capacity"] == 0.5
    assert out["kwh_per_inspection"] == pytest.approx(2.0 * 10 / 2) and out["legit_share_top1pct"] == 0.0
    assert r_precision([0, 0], [1, 2]) != r_precision([0, 0], [1, 2])  # NaN without a target
