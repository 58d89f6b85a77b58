"""The synthetic offers table and the true propensities behind it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import load_dataset
from gridcrm.data.synth import generate_dataset
from gridcrm.data.synth.offers import NEEDS, OFFER_PRODUCTS
from gridcrm.recommend import load_product_catalogue


@pytest.fixture(scope="module")
def synth():
    return generate_dataset(1500, "2023-01-01", "2024-06-30", seed=11)


def test_the_generator_offers_the_catalogues_products():
    cat = load_product_catalogue()
    assert [p[0] for p in OFFER_PRODUCTS] == cat.ids
    classes = list(cat.classes)
    assert [NEEDS[p[1]] for p in OFFER_PRODUCTS] == [p.product_class for p in cat.products]
    assert list(NEEDS) == classes


def test_offers_table_follows_its_schema_and_the_calendar(synth, tmp_path):
    ds = synth.dataset
    offers = ds["offers"]
    assert len(offers) > 1000
    assert offers["product"].isin([p[0] for p in OFFER_PRODUCTS]).all()
    accepted = offers.dropna(subset=["accepted_on"])
    delay = (accepted["accepted_on"] - accepted["offered_on"]).dt.days
    assert delay.between(1, 89).all()
    assert (accepted["accepted_on"] < ds.extracted_on).all()
    closed = ds.customers.set_index("customer_id")["closed_on"].reindex(offers["customer_id"]).to_numpy()
    assert not (offers["offered_on"].to_numpy() >= closed).any()  # nobody is offered anything once closed
    ds.save(tmp_path / "d")
    again = load_dataset(tmp_path / "d", on_error="raise")
    pd.testing.assert_frame_equal(again["offers"], offers, check_dtype=False)


def test_truth_has_needs_and_propensities_and_uptake_follows_them(synth):
    truth = synth.offer_truth
    assert list(truth.columns) == [f"need_{n}" for n in NEEDS] + [f"p_{p[0]}" for p in OFFER_PRODUCTS]
    p = truth.filter(like="p_").to_numpy()
    assert ((p > 0) & (p < 1)).all()
    offers = synth.dataset["offers"]
    known = offers[offers["offered_on"] < synth.dataset.extracted_on - pd.Timedelta(days=90)]
    true_p = truth.filter(like="p_").rename(columns=lambda c: c[2:]).stack()
    p_offer = true_p.reindex(pd.MultiIndex.from_arrays([known["customer_id"], known["product"]])).to_numpy()
    accepted = known["accepted_on"].notna().to_numpy()
    # the observed uptake matches the true propensities on average (within 3 standard errors)
    se = np.sqrt((p_offer * (1 - p_offer)).sum()) / len(p_offer)
    assert abs(accepted.mean() - p_offer.mean()) < 3 * se + 0.01
    assert accepted[p_offer > 0.5].mean() > 3 * accepted[p_offer < 0.1].mean()


def test_same_seed_same_offers():
    a = generate_dataset(120, "2024-01-01", "2024-06-30", seed=5)
    b = generate_dataset(120, "2024-01-01", "2024-06-30", seed=5)
    pd.testing.assert_frame_equal(a.dataset["offers"], b.dataset["offers"])
    pd.testing.assert_frame_equal(a.offer_truth, b.offer_truth)
