"""The second offer simulator and the comparison of rankings on the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.errors import InputError
from gridcrm.recommend import load_product_catalogue, training_offers
from gridcrm.recommend.evaluate import compare_recommenders
from gridcrm.recommend.simulate import simulate_offer_history


def _customers(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "contracted_kva": rng.choice([6.0, 10.0, 80.0, 200.0, 500.0], n),
        "complaints_365d": rng.poisson(0.5, n).astype(float), "tenure_years": rng.uniform(0, 25, n),
        "bills_365d": 12.0, "kwh_mean_365d": rng.lognormal(3, 1, n), "load_factor": rng.uniform(0.1, 0.9, n),
        "customer_class": pd.Categorical(rng.choice(["residential", "commercial", "industrial"], n)),
        "credit_grade": rng.choice(["AAA", "AA", "A", "B", "C"], n),
    }, index=pd.Index(np.arange(n), name="customer_id"))


def test_simulated_offers_go_to_eligible_products_and_follow_the_truth():
    X = _customers(800, 0)
    sim = simulate_offer_history(X, "2023-01-01", "2024-12-31", seed=2)
    cat = load_product_catalogue()
    el = cat.eligibility(X).stack()
    assert el.reindex(pd.MultiIndex.from_arrays([sim.offers["customer_id"], sim.offers["product"]])).all()
    assert ((sim.propensity > 0) & (sim.propensity < 1)).all().all()
    p = sim.propensity.stack().reindex(pd.MultiIndex.from_arrays([sim.offers["customer_id"],
                                                                   sim.offers["product"]])).to_numpy()
    closed = sim.offers["offered_on"] < "2024-10-01"
    accepted = sim.offers["accepted_on"].notna().to_numpy()
    assert abs(accepted[closed].mean() - p[closed].mean()) < 0.03
    again = simulate_offer_history(X, "2023-01-01", "2024-12-31", seed=2)
    pd.testing.assert_frame_equal(again.offers, sim.offers)
    with pytest.raises(InputError, match="end must be after start"):
        simulate_offer_history(X, "2024-01-01", "2023-01-01")


@pytest.mark.slow
def test_compare_recommenders_orders_the_oracle_first():
    X = _customers(1500, 1)
    sim = simulate_offer_history(X, "2023-01-01", "2025-01-01", seed=3, offers_per_year=4.0)
    _, train = training_offers(sim.offers, "2024-07-01")
    table = compare_recommenders(X, train, X, true_propensity=sim.propensity, offers=sim.offers, as_of="2024-07-01")
    assert set(table.index.get_level_values("ranking")) == {"model", "hierarchical", "ensemble", "logistic",
                                                           "per_product", "rules", "popularity", "oracle"}
    for group in ("all", "with a choice"):
        g = table.loc[group]
        assert g["expected_precision"].idxmax() == "oracle"
        assert g.loc["oracle", "vs_oracle"] == pytest.approx(1.0)
        assert g.loc["popularity", "vs_popularity"] == pytest.approx(1.0)
        assert g.loc["popularity", "top_decile_lift"] == pytest.approx(1.0)  # the same order for everyone
        assert g["top_decile_lift"].idxmax() == "oracle"
    assert table.loc["with a choice", "model"]["n_customers"] < len(X)
    # the learned model beats the same order for everyone on a world where tastes follow the columns
    assert table.loc[("all", "model"), "expected_precision"] > table.loc[("all", "popularity"), "expected_precision"]
