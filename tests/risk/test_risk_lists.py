"""Risk lists: ranking, amounts, reasons, rule flags (internal blacklist, premium customers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.risk import ArrearsModel, ChurnModel, RiskConfigError
from gridcrm.risk.config import load_risk_config
from gridcrm.risk.risk_lists import flagged, risk_list
from gridcrm.risk.rules import parse_rule, parse_rules


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


def _hand_list() -> pd.DataFrame:
    """Seven customers of a risk list, each built to raise (or just miss) one flag of configs/risk.yaml."""
    return pd.DataFrame({
        "p_arrears": [0.1, 0.1, 0.6, 0.35, 0.35, 0.01, np.nan],
        "p_churn": [0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01],
        "theft_count": [1, 0, 0, 0, 0, 0, 0],
        "blacklisted": [False, True, False, False, False, False, False],
        "arrears_count": [0, 0, 2, 0, 0, 0, 0],
        "violation_count": [0, 0, 0, 1, 1, 0, 0],
        "late_bills_365d": [0, 0, 0, 3, 2, 0, 0],
        "bill_amount_mean_365d": [100.0, 100.0, 100.0, 100.0, 400.0, 500.0, 450.0],
        "tenure_years": [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0],
    }, index=pd.Index(range(1, 8), name="customer_id"))


def test_shipped_flags_equal_hand_computed_flags():
    """The shipped flags, now tag rules, flag exactly the customers worked out by hand."""
    rules = load_risk_config().risk_list.rules
    f = _hand_list()
    # 1 theft, 2 blacklisted, 3 p_arrears >= 0.5 with 2 arrears, 4 p_arrears >= 0.3 + violation + 3 late bills;
    # 5 has only 2 late bills
    assert rules["internal_blacklist"].evaluate(f).tolist() == [True, True, True, True, False, False, False]
    # p80 of the bills [100 x4, 400, 450, 500] is 400 + 0.8 x 50 = 440: customers 6 and 7 are in the top 20%;
    # 7's arrears probability is unknown, so it is not premium
    assert rules["premium_customer"].evaluate(f).tolist() == [False] * 5 + [True, False]
    from gridcrm.tags.rules import AllOf, AnyOf, Compare, Percentile
    assert isinstance(rules["internal_blacklist"].tree, AnyOf) and isinstance(rules["premium_customer"].tree, AllOf)
    assert Compare("column", "bill_amount_mean_365d", ">=", Percentile(80.0)) in rules["premium_customer"].tree.parts


def test_flags_in_the_tag_grammar_equal_the_shorthand():
    f = _hand_list()
    short = parse_rule("x", {"all": ["p_arrears >= 0.3", "violation_count > 0", "late_bills_365d >= 3"]})
    tagged = parse_rule("x", {"description": "same", "rule": {"all": [
        {"column": "p_arrears", "op": ">=", "value": 0.3},
        {"feature": "violation_count", "op": ">", "value": 0},
        {"not": {"feature": "late_bills_365d", "op": "<", "value": 3}}]}})
    assert tagged.evaluate(f).tolist() == short.evaluate(f).tolist() == [False, False, False, True] + [False] * 3
    assert tagged.description == "same" and tagged.columns == short.columns
    top = parse_rule("top", {"feature": "bill_amount_mean_365d", "op": ">=", "percentile": 80})
    assert top.evaluate(f).tolist() == parse_rule("top", "bill_amount_mean_365d >= p80").evaluate(f).tolist()
    within = parse_rule("w", {"feature": "bill_amount_mean_365d", "quantile": [0.5, 1.0]})  # mid-rank percentiles
    assert within.evaluate(f).tolist() == [False, False, False, False, True, True, True]


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("late", r"rules\.bad: 'late' is not a condition.*flags cannot refer to tags"),
        ({"feature": "kwh_mean_356d", "op": ">", "value": 1}, r"rules\.bad: unknown feature 'kwh_mean_356d'"),
        ({"feature": "customer_class", "op": ">=", "percentile": 50}, "percentiles need a number"),
        ({"column": "p_churn", "op": ">=", "percentile": 150}, "from 0 to 100"),
        ({"rule": "p_churn > 1", "all": []}, r"unknown key\(s\) \['all'\] next to 'rule'"),
        ({"all": [], "any": []}, "at least one condition"),
    ],
)
def test_bad_flags_in_the_tag_grammar(spec, match):
    with pytest.raises(RiskConfigError, match=match):
        parse_rules({"bad": spec}, where="rules")


def test_flags_read_the_risk_grades(models_and_features):
    models, feats = models_and_features
    rules = parse_rules({"high_arrears": "arrears_risk_grade == 'high'",
                         "watch": {"rule": {"any": [{"column": "churn_risk_grade", "op": "in", "value": ["high"]},
                                                    "p_arrears >= p99"]}}})
    lst = risk_list(feats, models, rules=rules, n_reasons=1, explain=0)
    assert lst["high_arrears"].tolist() == (lst["arrears_risk_grade"] == "high").tolist()
    assert lst["high_arrears"].sum() == round(0.05 * len(lst))
    expected = (lst["churn_risk_grade"] == "high") | (lst["p_arrears"] >= lst["p_arrears"].quantile(0.99))
    assert lst["watch"].tolist() == expected.tolist()
