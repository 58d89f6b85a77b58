"""Payment plans by credit grade, and audience selection by a tag expression."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from gridcrm.errors import ConfigError, InputError
from gridcrm.recommend import CatalogueError, load_payment_plans, parse_expression, select

PLANS = {
    "arrangements": {"post": "Post-payment", "pre": "Pre-payment", "deposit": "Deposit"},
    "plans": {"A": {"allowed": ["post", "pre"], "recommended": "post"},
              "C": {"allowed": ["pre", "deposit"], "recommended": "pre", "deposit_months": 2}},
    "current": [{"arrangement": "pre", "when": "prepaid == true"},
                {"arrangement": "deposit", "when": {"column": "deposit_held", "op": ">", "value": 0}}],
    "otherwise": "post",
}


def _customers() -> pd.DataFrame:
    return pd.DataFrame({
        "credit_grade": ["A", "A", "C", "C", "C", "B", None],
        "prepaid": [False, True, False, True, False, False, False],
        "deposit_held": [0.0, 0.0, 0.0, 0.0, 500.0, 0.0, 0.0],
        "bill_amount_mean_365d": [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0],
    }, index=pd.Index(np.arange(1, 8), name="customer_id"))


def test_plans_by_grade_and_who_should_change():
    out = load_payment_plans(PLANS).assign(_customers())
    assert out["current"].tolist() == ["post", "pre", "post", "pre", "deposit", "post", "post"]
    # grade C may not stay on post-payment; grade B and no grade have no plan
    assert out["change"].tolist() == [False, False, True, False, False, False, False]
    assert out.loc[3, "action"] == "move from post to pre"
    assert out.loc[6, "action"] == "no credit grade: no plan" and out.loc[7, "action"] == "no credit grade: no plan"
    np.testing.assert_allclose(out["deposit"].to_numpy(), [0, 0, 600, 800, 1000, np.nan, np.nan])
    assert out.loc[1, "allowed"] == "post, pre"


def test_without_the_columns_the_rules_read_everyone_is_on_otherwise():
    out = load_payment_plans(PLANS).assign(_customers()[["credit_grade"]])
    assert set(out["current"]) == {"post"} and out["deposit"].isna().all()
    with pytest.raises(InputError, match="no 'credit_grade' column"):
        load_payment_plans(PLANS).assign(_customers().drop(columns="credit_grade"))


def test_shipped_plans_cover_the_credit_grades():
    plans = load_payment_plans()
    assert list(plans.plans) == ["AAA", "AA", "A", "B", "C"]
    assert plans.plans["C"].deposit_months > plans.plans["B"].deposit_months > plans.plans["AAA"].deposit_months


@pytest.mark.parametrize("change, message", [
    (lambda r: r["plans"]["A"].update(recommended="deposit"), "plans.A.recommended: 'deposit' is not one of"),
    (lambda r: r["plans"]["A"].update(allowed=["cash"]), "plans.A.allowed: ['cash'] are not arrangements"),
    (lambda r: r["plans"]["C"].update(deposit_months=-1), "plans.C.deposit_months: expected a number >= 0"),
    (lambda r: r["plans"]["C"].update(months=1), "plans.C: unknown key(s) ['months']"),
    (lambda r: r["current"][0].update(when="prepaid === 1"), "current[0].when:"),
    (lambda r: r.update(otherwise="cash"), "otherwise: ['cash'] are not arrangements"),
])
def test_bad_plans_are_refused_naming_the_key(change, message):
    raw = copy.deepcopy(PLANS)
    change(raw)
    with pytest.raises(CatalogueError) as err:
        load_payment_plans(raw)
    assert message in str(err.value) and isinstance(err.value, ConfigError)


def _tagged() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_class": ["residential", "commercial", "commercial", "industrial", "industrial"],
        "large_capacity": [False, False, True, True, True],
        "outage_complaint": [True, True, False, True, False],
        "complaints_365d": [1, 1, 0, 4, 2],
        "chronic_late_payer": [False, False, False, True, False],
        "segment_name": ["a", "b", "b", "c", "c"],
    }, index=pd.Index([10, 11, 12, 13, 14], name="customer_id"))


def test_select_by_text_expression_with_counts_by_group(tmp_path):
    aud = select(_tagged(), "large_capacity and (outage_complaint or complaints_365d >= 2) and not chronic_late_payer",
                 by="segment_name", columns=["complaints_365d"])
    assert aud.customers.index.tolist() == [14]
    assert aud.counts.loc["c", "selected"] == 1 and aud.counts.loc["c", "customers"] == 2
    assert aud.counts.loc["all"].tolist() == [1, 5, 0.2, 1.0]
    path = aud.to_csv(tmp_path / "campaign" / "audience.csv")
    assert pd.read_csv(path, index_col=0).index.tolist() == [14]


def test_select_by_mapping_list_and_unknown_columns():
    f = _tagged()
    assert len(select(f, {"any": ["chronic_late_payer", "complaints_365d >= 2"]})) == 2
    assert len(select(f, ["outage_complaint", "large_capacity"])) == 1
    aud = select(f, "high_value or outage_complaint")  # no high_value tag: unknown, never selects
    assert len(aud) == 3 and aud.unknown_columns == ("high_value",)
    assert select(f, "complaints_365d >= 1", by=["customer_class", "segment_name"]).counts["selected"].sum() == 8


@pytest.mark.parametrize("text, message", [
    ("large_capacity and", "ends where a tag or condition is expected"),
    ("(large_capacity or outage_complaint", "a '(' is not closed"),
    ("large_capacity outage_complaint", "expression 'large_capacity outage_complaint'"),
    ("and large_capacity", "'and' where a tag or condition is expected"),
    ("large_capacity) ", "unexpected ')'"),
])
def test_bad_expressions_say_why(text, message):
    with pytest.raises(CatalogueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_expression(text)


def test_select_refuses_a_missing_group_column():
    with pytest.raises(InputError, match=r"no column\(s\) \['region'\]"):
        select(_tagged(), "large_capacity", by="region")
