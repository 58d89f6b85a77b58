"""Tag rules: loading errors (tag id and reason), evaluation semantics, the shipped tags.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from gridcrm.data import validate_tables
from gridcrm.features import build_features
from gridcrm.tags import TagRuleError, TagSet, load_tags
from helpers import EXTRACTED_ON

TAGS_YAML = Path(__file__).resolve().parents[2] / "configs" / "tags.yaml"
CATS = {"usage": "Electricity-use behaviour", "payment": "Consumption & payment behaviour"}


def _tag(tid: str, **kw) -> dict:
    return {"id": tid, "label": tid.replace("_", " "), "category": kw.pop("category", "usage"), **kw}


def _load(*tags: dict) -> TagSet:
    return TagSet.from_dict({"categories": CATS, "tags": list(tags)})


def _problems(*tags: dict) -> list[tuple[str, str]]:
    with pytest.raises(TagRuleError) as info:
        _load(*tags)
    return info.value.problems


@pytest.fixture
def features() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kwh_mean_365d": [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, np.nan],
            "customer_class": pd.Categorical(["residential"] * 4 + ["commercial"] * 3),
            "on_time_rate_365d": [1.0, 0.5, np.nan, 0.97, 0.2, 1.0, 1.0],
            "blacklisted": [False, True, False, False, False, False, False],
            "peak_month": [7.0, 1.0, np.nan, 8.0, 12.0, 6.0, 7.0],
        },
        index=pd.Index([11, 12, 13, 14, 15, 16, 17], name="customer_id"),
    )


# -- errors -------------------------------------------------------------------------------
def test_unknown_feature_is_named_with_a_suggestion():
    problems = _problems(_tag("big", rule={"feature": "kwh_mean_356d", "op": ">", "value": 1}))
    [(tag, reason)] = problems
    assert tag == "big" and reason.startswith("unknown feature 'kwh_mean_356d' (did you mean 'kwh_mean_365d'")


def test_bad_operator_and_wrong_values():
    problems = _problems(
        _tag("a", rule={"feature": "kwh_mean_365d", "op": "=>", "value": 1}),
        _tag("b", rule={"feature": "customer_class", "op": ">", "value": "x"}),
        _tag("c", rule={"feature": "kwh_mean_365d", "op": ">", "value": "high"}),
        _tag("d", rule={"feature": "customer_class", "op": "==", "value": "residental"}),
        _tag("e", rule={"feature": "kwh_mean_365d", "op": "between", "value": [5, 1]}),
        _tag("f", rule={"feature": "kwh_mean_365d", "op": ">"}),
        _tag("g", rule={"feature": "kwh_mean_365d", "op": "is_missing", "value": 1}),
    )
    reasons = dict(problems)
    assert reasons["a"].startswith("bad operator '=>' on 'kwh_mean_365d'; use one of")
    assert reasons["b"].startswith("operator '>' does not apply to 'customer_class', a category feature")
    assert reasons["c"] == "'>' on 'kwh_mean_365d' needs a number, got 'high'"
    assert reasons["d"].startswith("'customer_class' never takes the value(s) ['residental']")
    assert reasons["e"] == "'between' on 'kwh_mean_365d' needs [lo, hi] with lo <= hi, got [5, 1]"
    assert reasons["f"] == "operator '>' on 'kwh_mean_365d' needs a value"
    assert reasons["g"] == "operator 'is_missing' on 'kwh_mean_365d' takes no value"


def _bands(*levels, scale="quantile"):
    return {"feature": "kwh_mean_365d", "scale": scale,
            "levels": [{"label": lab, "from": lo, "to": hi} for lab, lo, hi in levels]}


def test_overlapping_and_gapped_bands():
    problems = _problems(
        _tag("overlap", bands=_bands(("low", 0, 0.5), ("high", 0.4, 1))),
        _tag("gap", bands=_bands(("low", 0, 10), ("high", 20, 30), scale="value")),
        _tag("short", bands=_bands(("low", 0, 0.5), ("high", 0.5, 0.9))),
        _tag("dup", bands=_bands(("x", 0, 0.5), ("x", 0.5, 1))),
    )
    reasons = dict(problems)
    assert reasons["overlap"].startswith("bands 'low' [0, 0.5) and 'high' [0.4, 1) overlap")
    assert reasons["gap"] == "gap between bands 'low' (to 10) and 'high' (from 20)"
    assert reasons["short"] == "quantile bands must cover 0 to 1, these cover 0 to 0.9 (gap)"
    assert reasons["dup"] == "band labels ['x'] are used more than once"


def test_references_and_cycles():
    problems = _problems(
        _tag("a", rule={"all": ["b", {"not": "missing_tag"}]}),
        _tag("b", rule={"any": ["c"]}),
        _tag("c", rule={"not": "a"}),
        _tag("level", bands=_bands(("low", 0, 0.5), ("high", 0.5, 1))),
        _tag("d", rule="level"),
        _tag("e", rule={"tag": "level", "in": ["medium"]}),
    )
    reasons = {(t, r) for t, r in problems}
    assert ("a", "refers to unknown tag 'missing_tag'") in reasons
    assert any(t == "a" and r == "tags refer to each other in a cycle: a → b → c → a" for t, r in reasons)
    assert ("d", "refers to 'level', a tag with levels ['low', 'high']: write {tag: level, in: [...]}") in reasons
    assert ("e", "levels ['medium'] are not levels of 'level' (['low', 'high'])") in reasons


def test_structure_errors():
    problems = _problems(
        _tag("Bad-Id", rule={"feature": "kwh_mean_365d", "op": ">", "value": 1}),
        _tag("x", category="nowhere", rule={"feature": "kwh_mean_365d", "op": ">", "value": 1}),
        _tag("y", rule={"feature": "kwh_mean_365d", "op": ">", "value": 1}, colour="red"),
        _tag("z"),
        _tag("y", rule={"feature": "kwh_mean_365d", "quantile": [0.5, 0.2]}),
    )
    reasons = dict(problems)
    assert reasons["Bad-Id"] == "id must be lower_snake_case text, got 'Bad-Id'"
    assert reasons["x"].startswith("unknown category 'nowhere'")
    assert ("y", "unknown key(s) ['colour']; allowed: ['bands', 'category', 'description', 'id', 'label', "
                 "'rule']") in problems
    assert reasons["z"] == "a tag needs exactly one of 'rule' (a yes/no tag) or 'bands' (a tag with levels)"
    assert ("y", "the id is used by another tag") in problems


def test_all_problems_in_one_error_naming_the_file(tmp_path):
    f = tmp_path / "tags.yaml"
    f.write_text(yaml.safe_dump({"categories": CATS, "tags": [
        _tag("a", rule={"feature": "nope", "op": ">", "value": 1}),
        _tag("b", rule={"feature": "kwh_mean_365d", "op": "~", "value": 1})]}))
    with pytest.raises(TagRuleError, match=r"2 problems in .*tags\.yaml:\n- tag 'a': unknown feature 'nope'"):
        load_tags(f)
    f.write_text("tags: [unclosed")
    with pytest.raises(TagRuleError, match="not valid YAML"):
        load_tags(f)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_tags(tmp_path / "absent.yaml")


# -- evaluation ---------------------------------------------------------------------------
def test_threshold_nan_is_false_never_an_error(features):
    tags = _load(_tag("prompt", category="payment", rule={"feature": "on_time_rate_365d", "op": ">=", "value": 0.95}),
                 _tag("summer", rule={"feature": "peak_month", "op": "in", "value": [6, 7, 8]}),
                 _tag("black", rule={"feature": "blacklisted", "op": "==", "value": True}),
                 _tag("no_kwh", rule={"feature": "kwh_mean_365d", "op": "is_missing"}))
    wide = tags.evaluate(features).wide
    assert wide["prompt"].tolist() == [True, False, False, True, False, True, True]
    assert wide["summer"].tolist() == [True, False, False, True, False, True, True]
    assert wide.index[wide["black"]].tolist() == [12] and wide.index[wide["no_kwh"]].tolist() == [17]
    assert all(wide[c].dtype == bool for c in wide)


def test_three_valued_logic_inside_a_rule_and_published_tags_outside(features):
    tags = _load(
        _tag("late", rule={"feature": "on_time_rate_365d", "op": "<", "value": 0.6}),
        _tag("not_late_inline", rule={"not": {"feature": "on_time_rate_365d", "op": "<", "value": 0.6}}),
        _tag("not_late_tag", rule={"not": "late"}),
        _tag("late_or_big", rule={"any": [{"feature": "on_time_rate_365d", "op": "<", "value": 0.6},
                                          {"feature": "kwh_mean_365d", "op": ">=", "value": 3}]}),
        _tag("late_and_small", rule={"all": [{"feature": "on_time_rate_365d", "op": "<", "value": 0.6},
                                             {"feature": "kwh_mean_365d", "op": "<", "value": 3}]}),
    )
    wide = tags.evaluate(features).wide
    assert not wide.loc[13, "not_late_inline"]  # unknown stays unknown: False
    assert wide.loc[13, "not_late_tag"]  # the published tag "late" is False, so "not late" holds
    assert wide.loc[13, "late_or_big"]  # unknown or True is True
    assert not wide.loc[13, "late_and_small"]  # unknown and False is False
    assert wide["late_and_small"].tolist() == [False, True, False, False, False, False, False]


def test_quantiles_within_groups(features):
    tags = _load(
        _tag("top_half", rule={"feature": "kwh_mean_365d", "quantile": [0.5, 1.0], "by": "customer_class"}),
        _tag("level", bands={"feature": "kwh_mean_365d", "scale": "quantile", "by": "customer_class",
                             "levels": [{"label": "low", "from": 0, "to": 0.5},
                                        {"label": "high", "from": 0.5, "to": 1}]}),
        _tag("size", bands={"feature": "kwh_mean_365d", "scale": "value",
                            "levels": [{"label": "small", "from": 0, "to": 5},
                                       {"label": "big", "from": 5, "to": 15}]}),
        _tag("small_high", rule={"all": [{"tag": "level", "in": ["high"]}, {"tag": "size", "in": ["small"]}]}),
    )
    wide = tags.evaluate(features).wide
    # residential 1, 2, 3, 4 → mid-rank percentiles .125 .375 .625 .875; commercial 10, 20 → .25 .75; NaN → none
    assert wide["top_half"].tolist() == [False, False, True, True, False, True, False]
    assert wide["level"].tolist()[:6] == ["low", "low", "high", "high", "low", "high"]
    assert pd.isna(wide.loc[17, "level"]) and wide["level"].cat.ordered
    assert wide["size"].tolist()[:5] == ["small"] * 4 + ["big"] and pd.isna(wide.loc[16, "size"])  # 20 > 15
    assert wide.index[wide["small_high"]].tolist() == [13, 14]


def test_long_form_and_indicators(features):
    tags = _load(_tag("big", rule={"feature": "kwh_mean_365d", "op": ">=", "value": 4}),
                 _tag("size", bands={"feature": "kwh_mean_365d", "scale": "value",
                                     "levels": [{"label": "small", "from": 0, "to": 5},
                                                {"label": "big", "from": 5, "to": 100}]}))
    result = tags.evaluate(features)
    long = result.long
    assert list(long.columns) == ["customer_id", "tag_id", "level"]
    assert long[long["customer_id"] == 14][["tag_id", "level"]].astype(object).values.tolist() == [
        ["big", np.nan], ["size", "small"]]
    assert len(long) == result.wide["big"].sum() + result.wide["size"].notna().sum()
    ind = result.indicators()
    assert list(ind.columns) == ["big", "size=small", "size=big"] and ind.dtypes.eq(bool).all()
    assert result.prevalence()["size=small"] == pytest.approx(4 / 7)


def test_model_columns_are_skipped_until_they_exist(features):
    tags = _load(_tag("churny", rule={"column": "churn_probability", "op": ">=", "value": 0.5}),
                 _tag("churny_and_big", rule={"all": ["churny", {"feature": "kwh_mean_365d", "op": ">", "value": 3}]}),
                 _tag("big", rule={"feature": "kwh_mean_365d", "op": ">", "value": 3}))
    result = tags.evaluate(features)
    assert result.skipped == ("churny", "churny_and_big") and list(result.wide.columns) == ["big"]
    with pytest.raises(KeyError, match=r"tag 'churny' needs column\(s\) \['churn_probability'\]"):
        tags.evaluate(features, on_missing_column="raise")
    scores = pd.DataFrame({"churn_probability": [0.9, 0.1, 0.7]}, index=[14, 15, 16])
    wide = tags.evaluate(features, extra=scores).wide
    assert wide.index[wide["churny"]].tolist() == [14, 16]
    assert wide.index[wide["churny_and_big"]].tolist() == [14, 16]


def test_missing_feature_column_is_named(features):
    tags = _load(_tag("growth", rule={"feature": "kwh_yoy_growth", "op": ">", "value": 0.1}))
    with pytest.raises(KeyError, match=r"growth: \['kwh_yoy_growth'\]"):
        tags.evaluate(features)


# -- the shipped tag library ----------------------------------------------------------------
def test_shipped_tags_load_and_cover_the_five_categories():
    tags = load_tags(TAGS_YAML)
    assert len(tags) >= 60
    assert list(tags.categories) == ["basic", "usage", "payment", "evaluation", "related"]
    per = tags.catalog().groupby("category").size()
    assert (per >= 8).all(), per
    for must in ("high_consumer", "evening_peaker", "summer_peaking", "prompt_payer", "chronic_late_payer",
                 "online_first", "frequent_complainer", "capacity_under_used", "new_customer", "at_risk"):
        assert must in tags


def test_shipped_tags_evaluate_on_the_tiny_extract(raw_tables):
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    features = build_features(ds, "2024-02-21")
    result = load_tags(TAGS_YAML).evaluate(features)
    assert result.wide.index.equals(features.index)
    tags = load_tags(TAGS_YAML)
    columns = {t.id for t in tags if t.columns}  # the tags on other models' columns (churn, arrears, credit, value)
    assert columns >= {"high_churn_risk", "high_arrears_risk", "low_credit_grade", "top_value_customer"}
    assert set(result.skipped) == columns
    assert result.wide.loc[1, "residential"] and result.wide.loc[3, "new_customer"]
    assert not result.wide.loc[3, "prompt_payer"]  # no bill due yet: not a prompt payer ...
    assert not result.wide.loc[3, "chronic_late_payer"]  # ... and not a late payer either
