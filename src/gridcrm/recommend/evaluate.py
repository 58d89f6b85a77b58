"""Recommenders compared on the truth: the learned model, rules only, popularity and the oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.recommend.catalogue import ProductCatalogue, load_product_catalogue
from gridcrm.recommend.judge import expected_precision_at_k, replay_precision_at_k, top_decile_lift
from gridcrm.recommend.recommender import ProductRecommender

__all__ = ["compare_recommenders"]


def compare_recommenders(X_train: pd.DataFrame, offers_train: pd.DataFrame, X: pd.DataFrame, *,
                         true_propensity: pd.DataFrame | None = None, offers: pd.DataFrame | None = None,
                         as_of: pd.Timestamp | str | None = None, catalogue: ProductCatalogue | None = None,
                         k: int = 3, random_state: int | None = 0) -> pd.DataFrame:
    """Precision@k of eight rankings of each customer's eligible products, and their top-decile lift.

    ``model`` (pooled LightGBM on the offers), ``hierarchical`` (shared and per-product effects
    over the principal components of the customer columns, shrunk), ``ensemble`` (the mean
    log-odds of those two), ``logistic`` (pooled logistic regression),
    ``per_product`` (a shrunk logistic regression per product),
    ``rules`` (the catalogue's rule-based priors), ``popularity`` (each product's acceptance rate
    in ``offers_train``, the same order for everyone) and ``oracle`` (the true propensities).
    Products are ranked by propensity without exclusions or capacities (the ranking's quality),
    over all customers of ``X`` and over those with more than ``k`` eligible products (where
    the ranking matters: with ``k`` or fewer, every ranking recommends the same products).

    Parameters
    ----------
    X_train : DataFrame
        Customers as known at the start of the training offers (see :func:`training_offers`).
    offers_train : DataFrame
        ``customer_id``, ``product``, ``accepted``.
    X : DataFrame
        Customers at ``as_of``.
    true_propensity : DataFrame, optional
        Customers × products; gives ``expected_precision`` and the oracle.
    offers, as_of : optional
        The offers table and the day recommendations are made: gives ``replay_precision``
        (offers in the 90 days after ``as_of``) and ``replay_offers``.
    catalogue : ProductCatalogue, optional
    k : int
    random_state : int or None

    Returns
    -------
    DataFrame
        One row per (``customers``: ``all`` / ``with a choice``, ``ranking``): ``n_customers``,
        ``expected_precision``, ``vs_popularity``, ``vs_oracle``, ``top_decile_lift`` (per product over
        its eligible customers, see :func:`~gridcrm.recommend.judge.top_decile_lift`),
        ``replay_precision``, ``replay_offers``.
    """
    cat = load_product_catalogue(catalogue)
    fitted = {name: ProductRecommender(catalogue=cat, propensity=kind, k=k, random_state=random_state)
              .fit(X_train, offers_train)
              for name, kind in (("model", "lightgbm"), ("hierarchical", "hierarchical"), ("ensemble", "ensemble"),
                                 ("logistic", "logistic"), ("per_product", "per_product"), ("rules", "rules"))}
    base = fitted["rules"]
    popularity = base.popularity_.fillna(0.0).to_numpy()
    scores: dict[str, pd.DataFrame | None] = {"model": None, "hierarchical": None, "ensemble": None, "logistic": None,
                                               "per_product": None, "rules": None,
                                               "popularity": pd.DataFrame(np.tile(popularity, (len(X), 1)),
                                                                          index=X.index, columns=cat.ids)}
    if true_propensity is not None:
        scores["oracle"] = true_propensity.reindex(index=X.index, columns=cat.ids)
    choice = X.index[cat.eligibility(X).sum(axis=1).to_numpy() > k]
    rows = []
    for group, who in (("all", X.index), ("with a choice", choice)):
        Xg = X.loc[who]
        for name, given in scores.items():
            rec = fitted.get(name, base)
            out = rec.recommend(Xg, k=k, by="propensity", scores=None if given is None else given.loc[who],
                                constraints=False)
            row = {"customers": group, "ranking": name, "n_customers": len(who)}
            row["expected_precision"] = (expected_precision_at_k(out, true_propensity, k=k)
                                         if true_propensity is not None else np.nan)
            if true_propensity is not None:
                ranked = rec.predict_propensity(Xg) if given is None else given.loc[who]
                truth = true_propensity.reindex(index=who, columns=cat.ids)
                row["top_decile_lift"] = top_decile_lift(ranked.reindex(index=who, columns=cat.ids), truth,
                                                         cat.eligibility(Xg).reindex(columns=cat.ids))
            if offers is not None and as_of is not None:
                later = offers[offers["customer_id"].isin(who)]
                row["replay_precision"] = replay_precision_at_k(out, later, as_of, k=k)
                start = pd.Timestamp(as_of)
                matched = later[(later["offered_on"] >= start) & (later["offered_on"] < start + pd.Timedelta(days=90))]
                row["replay_offers"] = len(matched.merge(out[["customer_id", "product"]], on=["customer_id", "product"]))
            rows.append(row)
    table = pd.DataFrame(rows).set_index(["customers", "ranking"])
    for group in ("all", "with a choice"):
        g = table.loc[group]
        table.loc[(group, slice(None)), "vs_popularity"] = (g["expected_precision"] / g.loc["popularity",
                                                            "expected_precision"]).to_numpy()
        if "oracle" in g.index:
            table.loc[(group, slice(None)), "vs_oracle"] = (g["expected_precision"] / g.loc["oracle",
                                                            "expected_precision"]).to_numpy()
    return table
