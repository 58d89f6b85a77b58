"""CustomerValueScorer: six dimensions, value score and rank, the top-20% big-customer list with reasons."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcrm.credit import CustomerValueScorer

VALUE_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "value_ahp.yaml"
DIMENSIONS = ["purchase_level", "profit_contribution", "loyalty", "credit", "development_potential", "profitability"]


@pytest.fixture
def scored(indicators):
    X = indicators(2000, seed=7)
    scorer = CustomerValueScorer(VALUE_CONFIG).fit(X)
    return X, scorer, scorer.transform(X)


def test_six_dimensions_add_up_to_the_value_score(scored):
    _, scorer, out = scored
    assert scorer.dimensions_ == DIMENSIONS
    dims = out[[f"dim_{d}" for d in DIMENSIONS]]
    np.testing.assert_allclose(dims.sum(axis=1), out["value_score"], rtol=1e-12)
    np.testing.assert_allclose(out.filter(like="contrib_").sum(axis=1), out["value_score"], rtol=1e-12)
    assert out["value_score"].between(0, 100).all()


def test_rank_and_top_share(scored):
    _, _, out = scored
    assert sorted(out["value_rank"].tolist()) == list(range(1, len(out) + 1))
    order = out.sort_values("value_rank")["value_score"].to_numpy()
    assert np.all(np.diff(order) <= 0)  # rank 1 is the highest score
    assert out["big_customer"].sum() == math.ceil(0.2 * len(out))
    assert out.loc[out["big_customer"], "value_score"].min() >= out.loc[~out["big_customer"], "value_score"].max()


def test_big_customer_list_with_reasons(scored):
    X, scorer, out = scored
    big = scorer.big_customers(X)
    assert len(big) == math.ceil(0.2 * len(X))
    assert big["value_rank"].tolist() == list(range(1, len(big) + 1))
    assert set(big.index) == set(out.index[out["big_customer"]])
    titles = ["Purchase level", "Profit contribution", "Loyalty", "Credit status", "Development potential",
              "Profitability"]
    for reason in big["reasons"].head(50):
        assert reason and any(t in reason for t in titles)
        assert "pts vs average" in reason
    first = big.iloc[0]
    best_dim = (big[[f"dim_{d}" for d in DIMENSIONS]].iloc[0] - out[[f"dim_{d}" for d in DIMENSIONS]].mean()).idxmax()
    title = scorer.hierarchy_.node(best_dim.removeprefix("dim_")).title
    assert first["reasons"].startswith(title)
    assert len(scorer.big_customers(X, top_share=0.05)) == math.ceil(0.05 * len(X))


def test_top_share_parameter_overrides_config(indicators):
    X = indicators(100)
    out = CustomerValueScorer(VALUE_CONFIG, top_share=0.1).fit(X).transform(X)
    assert out["big_customer"].sum() == 10
    with pytest.raises(ValueError, match="top_share"):
        CustomerValueScorer(VALUE_CONFIG, top_share=1.5).fit(X)


def test_reasons_quote_value_unit_and_standing():
    X = pd.DataFrame({"kwh_mean_365d": [900.0, 50.0, 20.0, 10.0, 5.0], "tenure_years": [2.0, 20.0, 1.0, 3.0, 4.0]},
                     index=pd.Index(list("abcde"), name="customer_id"))
    config = {"name": "mini", "hierarchy": {"name": "value", "judgements": [["purchase", "loyalty", 3]], "children": [
        {"name": "purchase", "title": "purchase level", "children": [
            {"indicator": "kwh_mean_365d", "direction": "benefit", "method": "percentile", "missing": "worst"}]},
        {"name": "loyalty", "title": "loyalty", "children": [
            {"indicator": "tenure_years", "direction": "benefit", "method": "minmax", "missing": "worst"}]}]}}
    big = CustomerValueScorer(config, top_share=0.4).fit(X).big_customers(X)
    assert big.index.tolist() == ["b", "a"]
    assert big.loc["a", "reasons"] == "purchase level +30.0 pts vs average (kwh_mean_365d = 900 kWh/day, top 20%)"
    assert big.loc["b", "reasons"] == ("loyalty +18.4 pts vs average (tenure_years = 20 years, top 20%); "
                                       "purchase level +15.0 pts vs average (kwh_mean_365d = 50 kWh/day, top 40%)")
