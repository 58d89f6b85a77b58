"""Hierarchies from YAML: local/global weights, consistency, summary, errors that name the node; configs."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

from gridcrm.credit import (
    AHPError,
    AHPHierarchy,
    CreditConfigError,
    InconsistencyError,
    InconsistencyWarning,
    Node,
    ahp_weights,
    load_hierarchy,
    load_scoring_config,
    plot_weights,
)
from gridcrm.features import FEATURES

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [ROOT / "configs" / "credit_ahp.yaml", ROOT / "configs" / "value_ahp.yaml"]

TREE = """
name: goal
title: Pick a supplier
judgements: [[quality, price, 2], [quality, service, 4], [price, service, 2]]
children:
  - name: quality
    judgements: [[defects, durability, 3]]
    children: [{name: defects}, {name: durability}]
  - name: price
  - name: service
    matrix: [[1, 2, 4], ["1/2", 1, 2], ["1/4", "1/2", 1]]
    children: [{name: speed}, {name: courtesy}, {name: hours}]
"""


@pytest.fixture
def tree_file(tmp_path: Path) -> Path:
    f = tmp_path / "tree.yaml"
    f.write_text(TREE)
    return f


def test_local_and_global_weights(tree_file):
    h = load_hierarchy(tree_file)
    # the goal and service matrices are perfectly consistent: 4:2:1
    assert h.local_weights[["quality", "price", "service"]].tolist() == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    assert h.local_weights[["defects", "durability"]].tolist() == pytest.approx([0.75, 0.25])
    assert h.global_weights["defects"] == pytest.approx(4 / 7 * 0.75)
    assert h.global_weights["speed"] == pytest.approx(1 / 7 * 4 / 7)
    assert list(h.leaf_weights.index) == ["defects", "durability", "price", "speed", "courtesy", "hours"]
    assert h.leaf_weights.sum() == pytest.approx(1.0)
    assert h.top_level_of()["courtesy"] == "service"


def test_summary_and_text(tree_file):
    h = load_hierarchy(tree_file)
    s = h.summary()
    assert list(s.index) == ["goal", "quality", "defects", "durability", "price", "service", "speed", "courtesy",
                             "hours"]
    assert s.loc["goal", "kind"] == "goal" and s.loc["quality", "kind"] == "criterion"
    assert s.loc["defects", "kind"] == "indicator" and s.loc["price", "kind"] == "indicator"
    assert s.loc["service", "path"] == "goal/service" and s.loc["speed", "parent"] == "service"
    assert np.isnan(s.loc["defects", "cr"]) and s.loc["goal", "n"] == 3
    text = h.to_text()
    assert "Pick a supplier" in text and "│   └── durability" in text and "hierarchy CR 0.000" in text


def test_hierarchy_cr_is_weighted_ci_over_weighted_ri():
    broken = {("a", "b"): 2, ("a", "c"): 4, ("a", "d"): "1/2", ("b", "c"): 2, ("b", "d"): 4, ("c", "d"): 2}
    leaves = tuple(Node(x) for x in "abcd")
    root = Node("goal", judgements={("x", "y"): 3}, children=(
        Node("x", judgements=broken, children=leaves),
        Node("y", judgements={("e", "f"): 2, ("e", "g"): 1, ("f", "g"): "1/2"}, children=tuple(Node(x) for x in "efg")),
    ))
    with pytest.warns(InconsistencyWarning, match=r"goal/x: CR = 0.403"):
        h = AHPHierarchy(root)
    rx, ry = h.results["x"], h.results["y"]
    expected = (0.75 * rx.ci + 0.25 * ry.ci) / (0.75 * rx.ri + 0.25 * ry.ri)
    assert h.hierarchy_cr == pytest.approx(expected)
    table = h.consistency()
    assert table.loc["(hierarchy)", "cr"] == pytest.approx(expected)
    assert not table.loc["x", "consistent"] and not h.consistent
    with pytest.raises(InconsistencyError, match="goal/x"):
        AHPHierarchy(root, on_inconsistent="raise")


def test_experts_at_a_node_are_aggregated_by_aij():
    h = AHPHierarchy.from_dict({
        "name": "goal",
        "experts": {"e1": [["a", "b", 4]], "e2": [["a", "b", 1]]},
        "expert_weights": {"e1": 1, "e2": 1},
        "children": [{"name": "a"}, {"name": "b"}],
    })
    assert h.local_weights["a"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"name": "g", "children": [{"name": "a"}, {"name": "b"}]}, r"hierarchy > g.judgements: .*missing judgements"),
        ({"name": "g", "judgements": [["a", "b", 2]], "children": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
         r"hierarchy > g.judgements: .*missing judgements: 2 of 3 pairs not given: \(a, c\), \(b, c\)"),
        ({"name": "g", "judgements": [["a", "b", 12]], "children": [{"name": "a"}, {"name": "b"}]},
         r"hierarchy > g.judgements: .*outside the scale.*\(a, b\) = 12"),
        ({"name": "g", "judgements": [["a", "b", 2]], "colour": "red", "children": [{"name": "a"}, {"name": "b"}]},
         r"hierarchy > g: unknown key\(s\) \['colour'\]"),
        ({"name": "g", "judgements": [["a", "b", 2]], "children": [{"name": "a", "weight": 2}, {"name": "b"}]},
         r"hierarchy > g > a: unknown key\(s\) \['weight'\]"),
        ({"name": "g", "judgements": [["a", "b", 2]], "matrix": [[1, 2], [0.5, 1]],
          "children": [{"name": "a"}, {"name": "b"}]}, r"give one of \['judgements', 'matrix'\]"),
        ({"name": "g", "judgements": [["a", "b", 2]], "children": [{"name": "a"}]}, r"one child \(a\)"),
        ({"name": "g", "judgements": [["a", "b"]], "children": [{"name": "a"}, {"name": "b"}]},
         r"\[a, b, value\] triples"),
        ({"title": "no name"}, "exactly one of 'name'"),
    ],
    ids=["no-judgements", "missing-pair", "off-scale", "unknown-key", "unknown-leaf-key", "two-forms", "one-child",
         "bad-triple", "no-name"],
)
def test_node_errors_name_the_path(node, message):
    with pytest.raises(CreditConfigError, match=message):
        AHPHierarchy.from_dict(node)


def test_duplicate_node_names():
    with pytest.raises(AHPError, match=r"'a' is used twice: at g/a and at g/b/a"):
        AHPHierarchy.from_dict({"name": "g", "judgements": [["a", "b", 2]], "children": [
            {"name": "a"}, {"name": "b", "children": [{"name": "a"}]}]})


def test_load_hierarchy_errors(tmp_path):
    with pytest.raises(CreditConfigError, match="does not exist"):
        load_hierarchy(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(CreditConfigError, match="not valid YAML"):
        load_hierarchy(bad)


# --------------------------------------------------------------------------- shipped configs
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_are_consistent_and_use_registry_features(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistencyWarning)
        cfg = load_scoring_config(path)
    h = cfg.hierarchy
    assert h.consistent and h.hierarchy_cr < 0.1
    assert all(r.cr < 0.1 for r in h.results.values())
    assert cfg.weights.sum() == pytest.approx(1.0)
    for name, spec in cfg.indicators.items():
        assert spec.external or name in FEATURES, name
    # every inner node's weights equal a direct computation from its matrix
    for name, r in h.results.items():
        direct = ahp_weights(h.node(name).comparison)
        np.testing.assert_allclose(r.weights.to_numpy(), direct.weights.to_numpy())


def test_credit_config_covers_the_issue_indicator_system():
    cfg = load_scoring_config(CONFIGS[0])
    names = set(cfg.indicators)
    for required in ["on_time_rate_365d", "days_late_mean_365d", "arrears_count", "arrears_amount",
                     "months_since_last_arrears", "theft_count", "violation_count", "tenure_years", "kwh_cv_90d",
                     "daily_capacity_utilisation", "complaints_365d"]:
        assert required in names
    ext = cfg.indicators["external_credit_score"]
    assert ext.external and not ext.required and ext.missing == "renormalise"
    assert cfg.grades.labels == ("AAA", "AA", "A", "B", "C")
    assert h_levels(cfg.hierarchy) == 3  # goal → criteria → sub-criteria → indicators


def h_levels(h: AHPHierarchy) -> int:
    return max(level for *_, level, _path in h.walk())


def test_value_config_has_the_six_dimensions():
    cfg = load_scoring_config(CONFIGS[1])
    assert [c.name for c in cfg.hierarchy.root.children] == [
        "purchase_level", "profit_contribution", "loyalty", "credit", "development_potential", "profitability"]
    assert cfg.top_share == 0.2


def _credit_raw() -> dict:
    return yaml.safe_load(CONFIGS[0].read_text())


def test_unknown_indicator_error_names_indicator_and_path():
    raw = _credit_raw()
    raw["hierarchy"]["children"][1]["children"][0]["indicator"] = "theft_cnt"
    expected = (r"<dict>: hierarchy > credit > compliance > theft_cnt: indicator 'theft_cnt' is not in the "
                r"feature registry.*did you mean \['theft_count'\]")
    with pytest.raises(CreditConfigError, match=expected):
        load_scoring_config(raw)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "zscore"}, r"theft_count.method: expected one of"),
        ({"direction": None}, r"theft_count: direction must be"),
        ({"missing": "drop"}, r"theft_count: missing must be"),
        ({"bounds": [0, 1]}, r"theft_count: key\(s\) \['bounds'\] do not apply to method 'thresholds'"),
        ({"points": [[0, 0.0], [1, 1.0]]}, r"cost indicator's goodness must not rise"),
        ({"points": [[1, 1.0], [0, 0.0]]}, r"must increase strictly"),
        ({"external": True}, r"is in the feature registry; do not declare it external"),
        ({"required": "yes"}, r"theft_count.required: expected true or false"),
    ],
    ids=["method", "direction", "missing", "misplaced-key", "rising-cost", "unsorted-points", "external",
         "required"],
)
def test_indicator_spec_errors(change, message):
    raw = _credit_raw()
    leaf = raw["hierarchy"]["children"][1]["children"][0]
    assert leaf["indicator"] == "theft_count"
    leaf.update(change)
    with pytest.raises(CreditConfigError, match=message):
        load_scoring_config(raw)


def test_top_level_config_errors():
    raw = _credit_raw()
    raw["grade"] = raw.pop("grades")
    with pytest.raises(CreditConfigError, match=r"unknown key\(s\) \['grade'\]"):
        load_scoring_config(raw)
    raw = _credit_raw()
    raw["grades"] = {"AAA": 90, "AA": 95, "C": 0}
    with pytest.raises(CreditConfigError, match="must decrease"):
        load_scoring_config(raw)
    raw = _credit_raw()
    raw["ahp"]["on_inconsistent"] = "shout"
    with pytest.raises(CreditConfigError, match="ahp.on_inconsistent"):
        load_scoring_config(raw)
    with pytest.raises(CreditConfigError, match="does not exist"):
        load_scoring_config("configs/nope.yaml")


def test_inconsistent_config_can_raise():
    raw = _credit_raw()
    raw["hierarchy"]["children"][1]["judgements"] = [["theft_count", "violation_count", 9],
                                                     ["theft_count", "blacklisted", "1/9"],
                                                     ["violation_count", "blacklisted", 9]]
    with pytest.raises(InconsistencyError, match=r"credit/compliance: CR"):
        load_scoring_config(raw, on_inconsistent="raise")
    with pytest.warns(InconsistencyWarning, match=r"credit/compliance"):
        load_scoring_config(raw)


def test_plot_weights_saves_a_file(tmp_path):
    out = tmp_path / "weights.png"
    fig = plot_weights(load_scoring_config(CONFIGS[0]).hierarchy, out)
    assert out.stat().st_size > 10_000
    assert len(fig.axes) == 2


def test_python_api_errors():
    with pytest.raises(AHPError, match="duplicate children"):
        Node("g", children=(Node("a"), Node("a")))
    with pytest.raises(AHPError, match="missing judgements among its children"):
        Node("g", children=(Node("a"), Node("b")))
    with pytest.raises(AHPError, match="either judgements or experts"):
        Node("g", children=(Node("a"), Node("b")), judgements={("a", "b"): 1}, experts={"x": {("a", "b"): 1}})
    with pytest.raises(AHPError, match="judgements but no children"):
        Node("a", judgements={("x", "y"): 1})


def test_load_hierarchy_under_a_key(tmp_path):
    f = tmp_path / "cfg.yaml"
    f.write_text("other: 1\nhierarchy:\n  name: g\n  judgements: [[a, b, '1/3']]\n  children: [{name: a}, {name: b}]\n")
    assert load_hierarchy(f, key="hierarchy").leaf_weights.to_dict() == pytest.approx({"a": 0.25, "b": 0.75})
    with pytest.raises(CreditConfigError, match="no top-level key 'tree'"):
        load_hierarchy(f, key="tree")
