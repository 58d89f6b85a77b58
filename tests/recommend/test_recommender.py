"""ProductRecommender: learned and rule-based propensities, expected value, bundles, reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.errors import InputError
from gridcrm.recommend.recommender import ProductRecommender, allocate, offer_labels, training_offers

CAT = {
    "classes": {"q": "Quality", "v": "Value"},
    "recommender": {"k": 2, "min_offers": 50, "min_accepted": 5},
    "products": [
        {"id": "repair", "class": "q", "value": 100, "cost": 5, "prior": 0.1, "eligible": "contracted_kva >= 8",
         "signals": [{"when": "complaints_365d >= 1", "lift": 2, "reason": "complained in the past year"}]},
        {"id": "care", "class": "v", "value": 50, "cost": 2, "prior": 0.2, "eligible": "tenure_years >= 3"},
        {"id": "visit", "class": "q", "value": 300, "cost": 20, "prior": 0.1, "capacity": 5,
         "eligible": "contracted_kva >= 315", "excludes": ["care"]},
        {"id": "report", "class": "v", "value": 10, "cost": 1, "prior": 0.3},
    ],
}


def _world(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"contracted_kva": rng.choice([6.0, 100.0, 500.0], n),
                      "complaints_365d": rng.poisson(0.6, n).astype(float),
                      "tenure_years": rng.uniform(0, 20, n),
                      "customer_class": pd.Categorical(rng.choice(["residential", "commercial"], n))},
                     index=pd.Index(np.arange(100, 100 + n), name="customer_id"))
    who = rng.integers(0, n, 3000)
    product = rng.choice(["repair", "care", "visit"], 3000, p=[0.6, 0.39, 0.01])
    complained = X["complaints_365d"].to_numpy()[who] > 0
    p = np.where(product == "repair", np.where(complained, 0.6, 0.05), 0.2)
    offers = pd.DataFrame({"customer_id": X.index.to_numpy()[who], "product": product,
                           "accepted": rng.random(3000) < p})
    return X, offers


def test_allocate_respects_capacity_exclusions_and_fills_with_minus_one():
    s = np.array([[9.0, 8.0, 7.0], [6.0, 5.0, 4.0], [3.0, np.nan, 1.0]])
    ex = np.zeros((3, 3), bool)
    ex[0, 1] = ex[1, 0] = True
    chosen = allocate(s, 3, ex, np.array([1, np.inf, 1]))
    # slot 1: all want 0 (capacity 1): row 0 gets it; row 1 takes its next best, 1; row 2 (1 not allowed) takes 2
    # slot 2: row 0 may not have 1 (excluded by 0) and 2 is full; row 1: 0 and 2 are full; row 2: nothing left
    assert chosen.tolist() == [[0, -1, -1], [1, -1, -1], [2, -1, -1]]


def test_allocate_gives_a_full_product_to_the_best_scores():
    s = np.array([[1.0], [3.0], [2.0], [np.nan]])
    assert allocate(s, 1, np.zeros((1, 1), bool), np.array([2.0])).ravel().tolist() == [-1, 0, 0, -1]


def test_learned_propensity_follows_the_history_and_cold_start_uses_the_prior():
    X, offers = _world()
    rec = ProductRecommender(catalogue=CAT, n_estimators=60).fit(X, offers)
    assert rec.learned_products_ == ["repair", "care"]  # visit: about 30 offers (< min_offers)
    assert rec.source().to_dict() == {"repair": "learned", "care": "learned", "visit": "rule prior",
                                      "report": "rule prior"}
    p = rec.predict_propensity(X)
    complained = X["complaints_365d"] > 0
    assert p.loc[complained, "repair"].mean() > 0.45 and p.loc[~complained, "repair"].mean() < 0.15
    prior = rec.catalogue_.rule_propensity(X)
    pd.testing.assert_series_equal(p["visit"], prior["visit"])
    np.testing.assert_allclose(prior["repair"], np.where(complained, 0.2, 0.1))
    assert rec.learned_["visit"][0] < 50


def test_expected_value_is_propensity_times_value_minus_cost_where_eligible():
    X, _ = _world(50)
    rec = ProductRecommender(catalogue=CAT, propensity="rules").fit(X)
    ev = rec.expected_value(X)
    expected = np.where(X["tenure_years"] >= 3, 0.2 * 50 - 2, np.nan)
    np.testing.assert_allclose(ev["care"], expected)
    np.testing.assert_allclose(ev["report"], 0.3 * 10 - 1)
    assert ev["visit"].notna().sum() == (X["contracted_kva"] >= 315).sum()


def test_bundles_respect_k_capacity_exclusions_and_give_reasons():
    X, offers = _world()
    rec = ProductRecommender(catalogue=CAT, n_estimators=60).fit(X, offers)
    out = rec.recommend(X)
    assert out.groupby("customer_id").size().max() == 2
    assert (out["product"] == "visit").sum() == 5
    both = out.groupby("customer_id")["product"].agg(set)
    assert not any({"visit", "care"} <= s for s in both)
    assert (out.groupby("customer_id")["expected_value"].apply(lambda v: v.is_monotonic_decreasing)).all()
    repair = out[out["product"] == "repair"].set_index("customer_id")
    said = repair["reasons"].eq("complained in the past year")
    assert (said == (X.loc[repair.index, "complaints_365d"] >= 1)).all()
    assert set(repair.loc[~said, "reasons"]) == {"eligible: contracted_kva >= 8.0"}
    unconstrained = rec.recommend(X, constraints=False)
    assert (unconstrained["product"] == "visit").sum() > 5


def test_recommend_by_given_scores_keeps_eligibility():
    X, _ = _world(40)
    rec = ProductRecommender(catalogue=CAT, propensity="rules").fit(X)
    scores = pd.DataFrame({"repair": 0.0, "care": 0.0, "visit": 1.0, "report": 0.5}, index=X.index)
    out = rec.recommend(X, scores=scores, k=1, constraints=False)
    top = out.set_index("customer_id")["product"]
    assert (top[X["contracted_kva"] >= 315] == "visit").all()
    assert (top[X["contracted_kva"] < 315] == "report").all()


def test_same_seed_same_propensities_and_logistic_works():
    X, offers = _world()
    a = ProductRecommender(catalogue=CAT, n_estimators=40, random_state=3).fit(X, offers).predict_propensity(X)
    b = ProductRecommender(catalogue=CAT, n_estimators=40, random_state=3).fit(X, offers).predict_propensity(X)
    pd.testing.assert_frame_equal(a, b)
    lr = ProductRecommender(catalogue=CAT, propensity="logistic").fit(X, offers).predict_propensity(X)
    assert lr.loc[X["complaints_365d"] > 0, "repair"].mean() > lr.loc[X["complaints_365d"] == 0, "repair"].mean()


def test_bad_inputs_are_refused_naming_what():
    X, offers = _world(30)
    with pytest.raises(InputError, match=r"offers lack column\(s\) \['accepted'\]"):
        ProductRecommender(catalogue=CAT).fit(X, offers.drop(columns="accepted"))
    with pytest.raises(InputError, match="X must be a DataFrame"):
        ProductRecommender(catalogue=CAT).fit(X.to_numpy(), offers)
    with pytest.raises(InputError, match=r"^ProductRecommender: propensity='magic' is not allowed"):
        ProductRecommender(catalogue=CAT, propensity="magic").fit(X, offers)
    rec = ProductRecommender(catalogue=CAT).fit(X, offers.assign(product="unknown"))
    assert rec.n_offers_dropped_ == len(offers) and rec.model_ is None
    with pytest.raises(InputError, match="by must be"):
        rec.recommend(X, by="value")
    fitted = ProductRecommender(catalogue=CAT, n_estimators=10).fit(X, offers)
    with pytest.raises(InputError, match=r"X lacks 1 column\(s\) the model was fitted with: \['tenure_years'\]"):
        fitted.predict_propensity(X.drop(columns="tenure_years"))


def test_training_offers_are_point_in_time():
    offers = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2],
        "product": ["a", "b", "c", "a", "b"],
        "offered_on": pd.to_datetime(["2023-03-01", "2023-05-01", "2024-04-05", "2024-03-15", "2024-03-01"]),
        "accepted_on": pd.to_datetime(["2023-03-05", "2023-05-10", "2024-04-06", "2024-07-10", "2024-06-01"]),
    })
    snap, rows = training_offers(offers, "2024-07-01", horizon_days=90, window_days=365)
    assert snap == pd.Timestamp("2023-04-03")
    # 2023-03-01 before the window; 2024-04-05 after as_of - 90 days (its outcome is not closed)
    assert rows["offered_on"].dt.strftime("%Y-%m-%d").tolist() == ["2023-05-01", "2024-03-15", "2024-03-01"]
    # accepted after as_of (2024-07-10) is not known at as_of; 2024-06-01 is 92 days after the offer
    assert rows["accepted"].tolist() == [True, False, False]
    assert offer_labels(offers, 90).tolist() == [True, True, True, False, False]


def test_percentile_thresholds_are_fixed_at_fit_so_one_customer_scores_as_in_a_batch():
    X, _ = _world(200)
    cat = {**CAT, "products": [{**CAT["products"][0], "signals": [
        {"when": "tenure_years >= p75", "lift": 3, "reason": "among the longest-standing quarter"}]}]}
    rec = ProductRecommender(catalogue=cat, propensity="rules").fit(X)
    threshold = float(X["tenure_years"].quantile(0.75))
    assert str(rec.catalogue_["repair"].signals[0].rule) == f"tenure_years >= {threshold!r}"
    batch = rec.predict_propensity(X)["repair"]
    alone = pd.concat([rec.predict_propensity(X.iloc[[i]])["repair"] for i in range(0, 200, 37)])
    pd.testing.assert_series_equal(alone, batch.iloc[list(range(0, 200, 37))])
    np.testing.assert_allclose(batch, np.where(X["tenure_years"] >= threshold, 0.3, 0.1))


@pytest.mark.parametrize("propensity", ["logistic", "per_product"])
def test_linear_models_learn_and_fill_missing_values_from_the_fit(propensity):
    X, offers = _world()
    rec = ProductRecommender(catalogue=CAT, propensity=propensity).fit(X, offers)
    p = rec.predict_propensity(X)
    complained = X["complaints_365d"] > 0
    assert p.loc[complained, "repair"].mean() > 2 * p.loc[~complained, "repair"].mean()
    if propensity == "per_product":
        assert sorted(rec.model_) == ["care", "repair"]
    one = X.iloc[[0]].assign(tenure_years=np.nan)
    many = pd.concat([one, X.iloc[1:50]])
    pd.testing.assert_frame_equal(rec.predict_propensity(one), rec.predict_propensity(many).iloc[[0]])


def _spread_world(n: int = 1500, d: int = 40, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tastes spread thinly over many columns: the columns are noisy mixtures of three hidden factors (as
    customer features are correlated); product a is liked by customers high on the first factor, product b
    by those low on it (each column alone says little)."""
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((n, 3))
    Z = factors @ rng.standard_normal((3, d)) + rng.standard_normal((n, d))
    X = pd.DataFrame(Z, columns=[f"c{i}" for i in range(d)], index=pd.Index(np.arange(n), name="customer_id"))
    taste = factors[:, 0]
    truth = pd.DataFrame({"a": 1 / (1 + np.exp(-(-1.5 + 1.5 * taste))), "b": 1 / (1 + np.exp(-(-1.5 - 1.5 * taste)))},
                         index=X.index)
    who = rng.integers(0, n, 4000)
    product = rng.choice(["a", "b"], 4000)
    p = truth.to_numpy()[who, (product == "b").astype(int)]
    offers = pd.DataFrame({"customer_id": who, "product": product, "accepted": rng.random(4000) < p})
    return X, offers, truth


SPREAD = {"classes": {"q": "Q"}, "recommender": {"k": 1, "min_offers": 50, "min_accepted": 5},
          "products": [{"id": "a", "class": "q", "value": 10, "cost": 1, "prior": 0.2},
                       {"id": "b", "class": "q", "value": 10, "cost": 1, "prior": 0.2}]}


@pytest.mark.parametrize("propensity", ["hierarchical", "ensemble"])
def test_hierarchical_learns_opposite_tastes_spread_over_many_columns(propensity):
    X, offers, truth = _spread_world()
    rec = ProductRecommender(catalogue=SPREAD, propensity=propensity, n_components=10, n_estimators=60).fit(X, offers)
    p = rec.predict_propensity(X)
    assert rec.learned_products_ == ["a", "b"]
    for product in ("a", "b"):  # each product's own direction, learned from the shared components
        assert np.corrcoef(p[product], truth[product])[0, 1] > 0.8
    # the better product per customer is found for most customers (chance: one half)
    assert ((p["a"] > p["b"]) == (truth["a"] > truth["b"])).mean() > 0.85
    # one customer alone is scored as in the batch (standardisation and components fixed at fit)
    pd.testing.assert_frame_equal(rec.predict_propensity(X.iloc[[7]]), p.iloc[[7]])


def test_hierarchical_needs_numeric_columns_and_names_them():
    X = pd.DataFrame({"kind": ["x", "y"] * 60}, index=pd.Index(np.arange(120), name="customer_id"))
    offers = pd.DataFrame({"customer_id": np.arange(120), "product": "a", "accepted": np.arange(120) % 3 == 0})
    with pytest.raises(InputError, match="no numeric or bool customer column"):
        ProductRecommender(catalogue=SPREAD, propensity="hierarchical").fit(X, offers)
