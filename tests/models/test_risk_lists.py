"""Risk lists: ranking, amounts, reasons, rule flags (internal blacklist, premium customers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.models import ArrearsModel, ChurnModel, RiskConfigError
from gridcrm.models.config import load_risk_config
from gridcrm.models.risk_lists import flagged, risk_list
from gridcrm.models.rules import parse_rule, parse_rules


@pytest.fixture(scope="module")
def models_and_features(frame):
    X, y, _ = frame
    rng = np.random.default_rng(4)
    feats = X.assign(
        bill_amount_mean_365d=rng.gamma(2.0, 100.0, len(X)),
        theft_count=(rng.random(len(X)) < 0.01).astype(int),
        violation_count=(rng.random(len(X)) < 0.02).astype(int),
        blacklisted=rng.random(len(X)) < 0.005,
        arrears_count=rng.poisson(0.3, len(X)),
        tenure_years=rng.uniform(0, 20, len(X)),
    )
    churn_y = (rng.random(len(X)) < 0.03 + 0.05 * (feats["tenure_years"] < 2)).astype(int)
    arrears = ArrearsModel(n_jobs=1).fit(X, y)
    churn = ChurnModel(n_jobs=1).fit(feats[["tenure_years", "noise"]], churn_y)
    return {"arrears": arrears, "churn": churn}, feats


def test_risk_list_with_configured_rules(models_and_features):
    models, feats = models_and_features
    cfg = load_risk_config()
    lst = risk_list(feats, models, rules=cfg.risk_list.rules, columns=list(cfg.risk_list.columns[:2]),
                    amount_column=cfg.risk_list.amount_column)
    assert lst.index.name == "customer_id" and set(lst.index) == set(feats.index)
    assert lst["rank"].tolist() == list(range(1, len(lst) + 1))
    assert lst["p_arrears"].is_monotonic_decreasing
    expected = lst["p_arrears"] * feats.loc[lst.index, "bill_amount_mean_365d"]
    assert np.allclose(lst["expected_arrears_amount"], expected)
    assert {"arrears_reasons", "churn_reasons", "internal_blacklist", "premium_customer", "flags"} <= set(lst.columns)
    black = flagged(lst, "internal_blacklist")
    must = feats.index[(feats["theft_count"] > 0) | feats["blacklisted"]]
    assert set(must) <= set(black.index)
    premium = flagged(lst, "premium_customer")
    assert (premium["p_arrears"] <= 0.02).all() and (premium["p_churn"] <= 0.02).all()
    assert (feats.loc[premium.index, "bill_amount_mean_365d"] >= feats["bill_amount_mean_365d"].quantile(0.8)).all()
    both = lst.loc[lst["internal_blacklist"] & lst["premium_customer"]]
    assert all(f == "internal_blacklist, premium_customer" for f in both["flags"])
    assert lst.loc[~lst["internal_blacklist"] & ~lst["premium_customer"], "flags"].eq("").all()


def test_risk_list_sort_top_and_single_model(models_and_features):
    models, feats = models_and_features
    top = risk_list(feats, models, sort_by="p_churn", top=10, n_reasons=1)
    assert len(top) == 10 and top["p_churn"].is_monotonic_decreasing
    single = risk_list(feats, models["churn"], amount_column=None)
    assert "p_churn" in single.columns and "expected_arrears_amount" not in single.columns
    reasons = risk_list(feats.head(50), models["arrears"], n_reasons=2)["arrears_reasons"]
    assert reasons.map(lambda t: t.count("; ") <= 1).all()
    partial = risk_list(feats, models, explain=5)
    assert (partial["arrears_reasons"].iloc[5:] == "").all() and (partial["arrears_reasons"].iloc[:5] != "").any()
    assert list(partial.columns[:5]) == ["rank", "p_arrears", "p_churn", "expected_arrears_amount", "arrears_reasons"]


def test_risk_list_errors(models_and_features):
    models, feats = models_and_features
    with pytest.raises(KeyError, match="amount_column 'bill'"):
        risk_list(feats, models, amount_column="bill")
    with pytest.raises(KeyError, match="rule 'x' uses column 'unknown'"):
        risk_list(feats, models, rules={"x": parse_rule("x", "unknown > 1")})
    with pytest.raises(KeyError, match=r"columns \['nope'\]"):
        risk_list(feats, models, columns=["nope"])
    with pytest.raises(KeyError, match="sort_by"):
        risk_list(feats, models, sort_by="p_theft")
    with pytest.raises(KeyError, match="not a flag"):
        flagged(risk_list(feats.head(5), models), "vip")


def test_rules_semantics():
    f = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0], "c": pd.Categorical(["x", "y", None, "x"]), "b": [True, False,
                      True, False]})
    assert parse_rule("r", "a >= 3").evaluate(f).tolist() == [False, False, True, True]
    assert parse_rule("r", "a != 3").evaluate(f).tolist() == [True, False, False, True]  # NaN never matches
    assert parse_rule("r", "c == 'x'").evaluate(f).tolist() == [True, False, False, True]
    assert parse_rule("r", "b == true").evaluate(f).tolist() == [True, False, True, False]
    assert parse_rule("r", "a >= p50").evaluate(f).tolist() == [False, False, True, True]
    nested = parse_rule("r", {"all": ["a > 0"], "any": ["b == true", {"all": ["a > 4", "c == 'x'"]}]})
    assert nested.evaluate(f).tolist() == [True, False, True, True]
    assert nested.columns == {"a", "b", "c"}
    with pytest.raises(ValueError, match="cannot compare column 'c'"):
        parse_rule("r", "c > 2").evaluate(f)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"all": ["a = 2"]}, r"rules\.bad\.all\[0\]: 'a = 2' is not a condition"),
        ({"all": ["a > banana"]}, "not a number"),
        ({"every": ["a > 1"]}, "unknown key"),
        ({"description": "x"}, "needs 'all' or 'any'"),
        ({"all": "a > 1"}, "expected a list"),
        (3, "expected a condition string or a mapping"),
    ],
)
def test_bad_rules(spec, match):
    with pytest.raises(RiskConfigError, match=match):
        parse_rules({"bad": spec}, where="rules")
