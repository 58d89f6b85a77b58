"""SHAP contributions, reasons in words from the feature registry, global importance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.features import FEATURES
from gridcrm.risk import RiskClassifier, contributions, global_importance, top_reasons
from gridcrm.risk.explain import describe_value


def test_contributions_sum_to_the_raw_score(fitted, frame):
    X, _, _ = frame
    c = contributions(fitted, X.iloc[:50])
    assert list(c.columns) == list(X.columns) + ["bias"]
    assert c.index.equals(X.index[:50])
    assert np.allclose(c.sum(axis=1), fitted.decision_function(X.iloc[:50]))


def test_contributions_without_linear_base(frame):
    X, y, _ = frame
    m = RiskClassifier(n_jobs=1, linear_base=False).fit(X, y)
    c = m.explain(X.iloc[:20])
    assert np.allclose(c.sum(axis=1), m.decision_function(X.iloc[:20]))


def test_top_reasons_use_the_registry(fitted, frame):
    X, _, _ = frame
    risky = X.loc[X["late_bills_365d"] >= 3].head(5)
    r = fitted.top_reasons(risky, n_reasons=2)
    assert list(r.columns) == [f"reason_{k}{s}" for k in (1, 2) for s in ("", "_feature", "_value", "_contribution")]
    assert r.index.equals(risky.index)
    first = r.iloc[0]
    assert first["reason_1_contribution"] > 0
    assert (r["reason_1_contribution"].fillna(np.inf) >= r["reason_2_contribution"].fillna(-np.inf)).all()
    spec = FEATURES[first["reason_1_feature"]] if first["reason_1_feature"] in FEATURES else None
    if spec is not None:
        assert first["reason_1"].startswith(spec.description + ": ")
    late = r.loc[r["reason_1_feature"] == "late_bills_365d"]
    assert len(late) > 0
    assert late["reason_1"].iloc[0] == f"{FEATURES['late_bills_365d'].description}: {int(late['reason_1_value'].iloc[0])}"


def test_reasons_direction_and_custom_descriptions(fitted, frame):
    X, _, _ = frame
    rows = X.head(20)
    down = top_reasons(fitted, rows, n_reasons=1, direction="decrease")
    assert (down["reason_1_contribution"].dropna() < 0).all()
    both = top_reasons(fitted, rows, n_reasons=1, direction="both",
                       descriptions={"noise": ("Random noise", "units", "never")})
    noise = both.loc[both["reason_1_feature"] == "noise", "reason_1"]
    assert noise.empty or noise.str.startswith("Random noise: ").all()
    with pytest.raises(ValueError, match="direction"):
        top_reasons(fitted, rows, direction="up")
    with pytest.raises(ValueError, match="n_reasons"):
        top_reasons(fitted, rows, n_reasons=0)


def test_more_reasons_than_features(frame):
    X, y, _ = frame
    small = X[["late_bills_365d", "noise"]]
    m = RiskClassifier(n_jobs=1).fit(small, y)
    r = m.top_reasons(small.head(3), n_reasons=4)
    assert r["reason_4"].isna().all() and r["reason_3_feature"].isna().all()


def test_missing_values_say_what_missing_means(fitted, frame):
    X, _, _ = frame
    rows = X.loc[X["months_since_last_arrears"].isna()].head(200)
    r = fitted.top_reasons(rows, n_reasons=5)
    texts = pd.concat([r[f"reason_{k}"] for k in range(1, 6)]).dropna()
    hits = texts[texts.str.startswith(FEATURES["months_since_last_arrears"].description)]
    assert hits.empty or hits.str.endswith("missing (never in arrears)").all()


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(0.456, "share", "46%"), (2.0, "count", "2"), (True, "flag", "yes"), ("east", "category", "east"),
     (12345.678, "CNY", "12,345.7 CNY"), (1.23456, "ratio", "1.23"), (None, "days", "missing")],
)
def test_describe_value(value, unit, text):
    assert describe_value(value, unit) == text


def test_global_importance(fitted, frame):
    X, _, _ = frame
    imp = global_importance(fitted, X.iloc[:300])
    assert set(imp.index) == set(X.columns)
    assert {"gain", "gain_share", "splits", "mean_abs_shap", "description", "unit"} <= set(imp.columns)
    assert imp["mean_abs_shap"].is_monotonic_decreasing
    assert imp.loc["late_bills_365d", "description"] == FEATURES["late_bills_365d"].description
    assert imp.index[-1] in {"noise", "region", "customer_class"} or imp.loc["noise", "mean_abs_shap"] < imp[
        "mean_abs_shap"].iloc[0]
    assert "mean_abs_shap" not in global_importance(fitted).columns
