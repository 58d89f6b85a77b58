"""Differentiated service: a product catalogue, recommended bundles, payment plans by credit grade, audiences.

- :func:`load_product_catalogue` — ``configs/products.yaml``: 22 products in six classes, eligibility in the
  tag rule language, value, cost, prior and signals, capacity, exclusions;
- :class:`ProductRecommender` — propensity (learned from the ``offers`` table, rule-based priors for cold
  start) × value − cost, bundles of ``k`` with exclusions and capacity, reasons in words;
- :mod:`gridcrm.recommend.judge` — precision@k on what happened after ``as_of``.
"""

from gridcrm.recommend.catalogue import (
    CatalogueError,
    Product,
    ProductCatalogue,
    RecommenderSettings,
    Signal,
    load_product_catalogue,
)
from gridcrm.recommend.judge import expected_precision_at_k, replay_precision_at_k
from gridcrm.recommend.recommender import ProductRecommender, allocate, offer_labels, training_offers

__all__ = [
    "CatalogueError",
    "Product",
    "ProductCatalogue",
    "ProductRecommender",
    "RecommenderSettings",
    "Signal",
    "allocate",
    "expected_precision_at_k",
    "load_product_catalogue",
    "offer_labels",
    "replay_precision_at_k",
    "training_offers",
]
