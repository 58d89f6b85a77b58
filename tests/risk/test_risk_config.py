"""configs/risk.yaml: loads, matches the built-in defaults, and errors name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridcrm.risk import ArrearsLabel, ChurnLabel, RiskConfigError
from gridcrm.risk.config import RiskConfig, load_risk_config
from gridcrm.risk.tuning import DEFAULT_SEARCH_SPACE

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "risk.yaml"


def test_shipped_config_is_the_default():
    cfg = load_risk_config(CONFIG)
    default = load_risk_config()
    assert cfg.source == CONFIG
    assert cfg.arrears_label == default.arrears_label == ArrearsLabel()
    assert cfg.churn_label == default.churn_label == ChurnLabel()
    assert cfg.snapshots == default.snapshots
    assert cfg.tuning.search_space == DEFAULT_SEARCH_SPACE
    assert cfg.risk_list.rules == default.risk_list.rules
    assert cfg.classifier == {"n_jobs": 1} and cfg.calibration == "auto"  # one thread: see configs/risk.yaml
    assert load_risk_config(cfg) is cfg


def test_partial_config_keeps_other_defaults():
    cfg = load_risk_config({"labels": {"churn": {"consumption_share": None, "large_classes": ["industrial"]}},
                            "risk_list": {"rules": {"watch": "p_arrears >= 0.4"}}})
    assert cfg.churn_label.consumption_share is None and cfg.churn_label.large_classes == ("industrial",)
    assert list(cfg.risk_list.rules) == ["watch"]
    assert isinstance(cfg, RiskConfig)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"label": {}}, r"risk config: unknown key\(s\) \['label'\]"),
        ({"labels": {"arrears": {"late_days": -1}}}, r"labels\.arrears\.late_days"),
        ({"labels": {"arrears": {"grace": 3}}}, r"labels\.arrears: unknown key"),
        ({"labels": {"churn": {"large_classes": ["huge"]}}}, r"labels\.churn\.large_classes: unknown class"),
        ({"labels": {"churn": {"consumption_share": 1.5}}}, r"labels\.churn\.consumption_share"),
        ({"snapshots": {"n": 2}}, r"snapshots\.n"),
        ({"classifier": {"num_leafs": 3}}, r"classifier: unknown key"),
        ({"classifier": {"num_leaves": 1}}, "classifier: .*num_leaves"),
        ({"tuning": {"timeout_s": -5}}, r"tuning\.timeout_s"),
        ({"tuning": {"search_space": {"num_leaves": {"type": "int", "low": 9, "high": 3}}}},
         r"tuning\.search_space\.num_leaves"),
        ({"calibration": "platt"}, "calibration: expected one of"),
        ({"risk_list": {"rules": {"x": {"all": ["p_arrears ~ 1"]}}}}, r"risk_list\.rules\.x\.all\[0\]"),
        ({"risk_list": {"n_reasons": 0}}, r"risk_list\.n_reasons"),
        ([1, 2], "expected a mapping"),
    ],
)
def test_errors_name_the_key(raw, match):
    with pytest.raises(RiskConfigError, match=match):
        load_risk_config(raw)


def test_file_errors(tmp_path):
    with pytest.raises(RiskConfigError, match="does not exist"):
        load_risk_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("labels: [unclosed\n")
    with pytest.raises(RiskConfigError, match="not valid YAML"):
        load_risk_config(bad)
