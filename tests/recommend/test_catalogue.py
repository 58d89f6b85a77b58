"""The product catalogue: the shipped file, its checks, eligibility and rule-based priors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from gridcrm.configs import shipped
from gridcrm.errors import ConfigError
from gridcrm.recommend import CatalogueError, load_product_catalogue

MINI = {
    "classes": {"q": "Quality", "c": "Cash"},
    "recommender": {"k": 2},
    "products": [
        {"id": "test", "class": "q", "value": 100, "cost": 10, "prior": 0.1, "eligible": "contracted_kva >= 50",
         "signals": [{"when": "complaints_365d >= 1", "lift": 3, "reason": "complained"},
                     {"when": "outage_complaint", "lift": 2, "reason": "outage tag"}]},
        {"id": "instal", "class": "c", "value": 50, "cost": 5, "prior": 0.2,
         "eligible": {"column": "credit_grade", "op": "in", "value": ["AAA", "AA"]}, "excludes": ["test"]},
    ],
}


def test_shipped_catalogue_has_22_products_in_6_classes():
    cat = load_product_catalogue()
    assert len(cat) == 22 and len(cat.classes) == 6
    counts = pd.Series([p.product_class for p in cat.products]).value_counts().to_dict()
    assert counts == {"power_quality": 4, "business_handling": 4, "cash_flow": 2, "communication": 4,
                      "energy_saving": 3, "value_added": 5}
    assert cat.payment_plans is not None and cat.payment_plans.name == "payment_plans.yaml"
    assert all(p.value >= 0 and p.cost >= 0 and 0 < p.prior < 1 for p in cat.products)


def test_the_catalogue_is_also_read_from_a_path_and_returned_unchanged():
    cat = load_product_catalogue(shipped("products.yaml"))
    assert cat.ids == load_product_catalogue().ids
    assert load_product_catalogue(cat) is cat


def test_eligibility_and_rule_prior_by_hand():
    cat = load_product_catalogue(MINI)
    f = pd.DataFrame({"contracted_kva": [10.0, 100.0, 100.0, np.nan], "complaints_365d": [1, 1, 0, 0],
                      "outage_complaint": [True, True, False, False],
                      "credit_grade": ["AAA", "B", "AA", None]}, index=pd.Index([1, 2, 3, 4], name="customer_id"))
    el = cat.eligibility(f)
    assert el["test"].tolist() == [False, True, True, False]  # a missing capacity is unknown: not eligible
    assert el["instal"].tolist() == [True, False, True, False]
    prior = cat.rule_propensity(f)
    np.testing.assert_allclose(prior["test"], [0.6, 0.6, 0.1, 0.1])
    np.testing.assert_allclose(prior["instal"], [0.2] * 4)
    assert cat.exclusions().tolist() == [[False, True], [True, False]]


def test_an_absent_column_makes_its_rule_unknown_not_an_error():
    cat = load_product_catalogue(MINI)
    f = pd.DataFrame({"contracted_kva": [100.0], "complaints_365d": [0]})
    assert cat.eligibility(f)["instal"].tolist() == [False]  # no credit grades: cash-flow products not offered
    np.testing.assert_allclose(cat.rule_propensity(f)["test"], [0.1])  # no tags: the tag signal does not hold


def test_prior_capped_by_max_prior():
    raw = {**MINI, "recommender": {"max_prior": 0.25}}
    f = pd.DataFrame({"contracted_kva": [100.0], "complaints_365d": [5], "outage_complaint": [True]})
    assert load_product_catalogue(raw).rule_propensity(f)["test"].iloc[0] == pytest.approx(0.25)


@pytest.mark.parametrize("change, message", [
    (lambda r: r["products"][0].update(colour="red"), "products[0]: unknown key(s) ['colour']"),
    (lambda r: r["products"][0].update(prior=1.5), "products[0].prior: expected a number >= 0 and <= 1, got 1.5"),
    (lambda r: r["products"][0].update(eligible="contracted_kva >> 3"), "products[0].eligible:"),
    (lambda r: r["products"][0].update(eligible={"feature": "no_such_feature", "op": ">", "value": 1}),
     "products[0].eligible:"),
    (lambda r: r["products"][0]["signals"][0].update(lift=0), "products[0].signals[0].lift: expected a number > 0"),
    (lambda r: r["products"][1].update(excludes=["nothing"]), "products[1].excludes: ['nothing'] are not products"),
    (lambda r: r["products"][1].update(id="test", excludes=[]), "products: id(s) ['test'] used more than once"),
    (lambda r: r["products"][1].update({"class": "energy"}), "products[1].class: 'energy' is not one of the classes"),
    (lambda r: r.update(recommender={"k": 0}), "recommender.k: expected a whole number >= 1"),
    (lambda r: r.update(recommender={"size": 3}), "recommender: unknown key(s) ['size']"),
    (lambda r: r.update(extra=1), "top level: unknown key(s) ['extra']"),
    (lambda r: r["products"][0].update(capacity=2.5), "products[0].capacity: expected a whole number"),
])
def test_bad_catalogues_are_refused_naming_the_key(change, message):
    import copy

    raw = copy.deepcopy(MINI)
    change(raw)
    with pytest.raises(CatalogueError) as err:
        load_product_catalogue(raw)
    assert message in str(err.value)
    assert isinstance(err.value, ConfigError) and isinstance(err.value, ValueError)


def test_a_bad_file_is_named(tmp_path):
    path = tmp_path / "p.yaml"
    raw = {**MINI, "products": [{**MINI["products"][0], "value": "much"}]}
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(CatalogueError, match=r"product catalogue .*p\.yaml: products\[0\]\.value: expected a number"):
        load_product_catalogue(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_product_catalogue(tmp_path / "none.yaml")


def test_every_column_the_shipped_rules_read_is_a_feature_a_shipped_tag_or_a_model_column():
    from gridcrm.features.registry import FEATURES
    from gridcrm.tags import load_tags

    tags = {t.id for t in load_tags()}
    unknown = load_product_catalogue().columns() - set(FEATURES) - tags - {"credit_grade", "segment_name"}
    assert not unknown, f"rules read columns nothing produces: {sorted(unknown)}"
    demand = {c for c in load_product_catalogue().columns() if c.startswith(("need_", "demand_"))}
    assert len(demand) >= 20  # the demand tags of the six themes drive the priors


def test_at_least_rules_decide_eligibility_with_percentiles_frozen_and_absent_columns_unknown():
    raw = {"classes": {"q": "Quality"}, "products": [
        {"id": "care", "class": "q", "value": 10, "cost": 1, "prior": 0.1,
         "eligible": {"at_least": 2, "of": ["demand_power_quality", "demand_cash_flow", "complaints_365d >= p50"]}},
        {"id": "care_graded", "class": "q", "value": 10, "cost": 1, "prior": 0.1,
         "eligible": {"at_least": 1, "of": [{"column": "credit_grade", "op": "in", "value": ["A"]},
                                                 "demand_cash_flow"]}}]}
    cat = load_product_catalogue(raw)
    f = pd.DataFrame({"demand_power_quality": [True, True, False, False],
                      "demand_cash_flow": [True, False, False, True],
                      "complaints_365d": [0, 5, 9, 1]})
    # p50 of complaints over f is 3.0: rows 1 and 2 meet it; row 0: two demand tags; row 3: one of three
    assert cat.eligibility(f)["care"].tolist() == [True, True, False, False]
    frozen = cat.frozen(f)
    assert "complaints_365d >= 3.0" in str(frozen["care"].eligible)
    assert frozen.eligibility(f.iloc[[2]])["care"].tolist() == [False]  # one customer alone: same threshold
    # credit_grade absent: that part is unknown, the other part still counts
    assert cat.eligibility(f)["care_graded"].tolist() == [True, False, False, True]
    assert cat.columns() >= {"demand_power_quality", "demand_cash_flow", "complaints_365d", "credit_grade"}


def test_campaigns_are_read_and_checked_at_load():
    cat = load_product_catalogue()
    assert [c.name for c in cat.campaigns] == ["power_quality_outreach", "energy_saving_drive"]
    assert cat.campaigns[0].by == ("region",) and cat.campaigns[1].by == ("customer_class",)
    raw = dict(MINI, campaigns=[{"name": "big", "audience": "contracted_kva >= 315", "by": "region"}])
    assert load_product_catalogue(raw).campaigns[0].by == ("region",)
    for bad, match in ((
            [{"name": "big", "audience": "high_value and ("}], r"campaigns\[0\]\.audience: expression"),
            ([{"name": "big bad", "audience": "high_value"}], r"campaigns\[0\]\.name: expected letters"),
            ([{"name": "a", "audience": "high_value", "colour": 1}], r"campaigns\[0\]: unknown key"),
            ([{"name": "a", "audience": "x"}, {"name": "a", "audience": "y"}], r"name\(s\) \['a'\] used more"),
            ([{"name": "a", "audience": "x", "by": []}], r"campaigns\[0\]\.by: expected at least one")):
        with pytest.raises(CatalogueError, match=match):
            load_product_catalogue(dict(MINI, campaigns=bad))
