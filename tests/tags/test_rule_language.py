"""The one rule language: the ``"column op value"`` shorthand and percentile thresholds in the tag grammar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.features.registry import FEATURES
from gridcrm.tags import TagSet
from gridcrm.tags._evaluate import evaluate_rule
from gridcrm.tags.rules import AllOf, Compare, Parser, Percentile, TagRef, parse_condition


def test_shorthand_parses_into_the_tag_rule_tree():
    assert parse_condition("p_churn <= 0.02") == Compare("column", "p_churn", "<=", 0.02)
    assert parse_condition("blacklisted == true") == Compare("column", "blacklisted", "==", True)
    assert parse_condition("customer_class != 'residential'") == Compare("column", "customer_class", "!=",
                                                                         "residential")
    assert parse_condition(" kwh_mean_365d>=p99.5 ") == Compare("column", "kwh_mean_365d", ">=", Percentile(99.5))
    with pytest.raises(ValueError, match="is not a condition"):
        parse_condition("a = 2")
    with pytest.raises(ValueError, match="'banana' is not a number"):
        parse_condition("a > banana")


def test_parser_takes_the_shorthand_only_when_asked():
    problems: list = []
    assert Parser("t", FEATURES, problems).rule("a > 1") == TagRef("a > 1")  # tags.yaml: a string is a tag id
    rule = Parser("t", FEATURES, problems, shorthand=True).rule({"all": ["a > 1", "big"]})
    assert rule == AllOf((Compare("column", "a", ">", 1.0), TagRef("big"))) and problems == []


def test_percentile_threshold_in_tags_and_in_rules():
    f = pd.DataFrame({"kwh_mean_365d": [1.0, 2.0, 3.0, 4.0, np.nan]}, index=pd.Index(range(5), name="customer_id"))
    tags = TagSet.from_dict({"categories": {"usage": "Use"}, "tags": [{"id": "top", "label": "Top", "category":
                             "usage", "rule": {"feature": "kwh_mean_365d", "op": ">", "percentile": 50}}]})
    # the median of 1..4 (missing ignored) is 2.5
    assert tags.evaluate(f).wide["top"].tolist() == [False, False, True, True, False]
    assert evaluate_rule(parse_condition("kwh_mean_365d > p50"), f).tolist() == [False, False, True, True, False]
    assert str(parse_condition("kwh_mean_365d > p50")) == "kwh_mean_365d > p50"


def test_rule_errors_name_the_rule_and_column():
    f = pd.DataFrame({"c": ["x", "y"]})
    with pytest.raises(ValueError, match="rule 'rule': cannot compare column 'c' \\(text\\)"):
        evaluate_rule(parse_condition("c > 2"), f)


def test_at_least_k_of_counts_parts_with_three_valued_logic():
    frame = pd.DataFrame({"a": [1.0, 1.0, 1.0, 0.0, np.nan, np.nan], "b": [1.0, 0.0, np.nan, 0.0, 1.0, 0.0],
                          "c": [0.0, 0.0, 1.0, np.nan, 1.0, 0.0]})
    problems: list = []
    parser = Parser("t", {}, problems, shorthand=True)
    rule = parser.rule({"at_least": 2, "of": ["a > 0", "b > 0", "c > 0"]})
    assert problems == [] and str(rule) == "at least 2 of (a > 0.0, b > 0.0, c > 0.0)"
    assert evaluate_rule(rule, frame).tolist() == [True, False, True, False, True, False]
    from gridcrm.tags._evaluate import Evaluator

    value, known = Evaluator(frame, None, {}).rule(rule, "t")
    # rows 3 and 5 have an unknown part but two true ones; rows 4 and 6 two false parts of three: known false
    assert known.tolist() == [True, True, True, True, True, True] and value.tolist()[1] is False
    one_of_two = parser.rule({"at_least": 2, "of": ["a > 0", "b > 0"]})
    assert Evaluator(frame, None, {}).rule(one_of_two, "t")[1].tolist() == [True, True, False, True, False, True]
    bad: list = []
    Parser("t", {}, bad).rule({"at_least": 4, "of": ["x", "y"]})
    Parser("t", {}, bad).rule({"at_least": 1, "of": ["x"], "not": "y"})
    Parser("t", {}, bad).rule({"at_least": 1, "of": []})
    assert [why for _, why in bad] == [
        "'at_least' must be a whole number from 1 to the 2 rules of 'of', got 4",
        "'at_least' rule has unknown key(s) ['not']; allowed: ['at_least', 'of']",
        "'at_least' needs 'of', a non-empty list of rules, got []"]
