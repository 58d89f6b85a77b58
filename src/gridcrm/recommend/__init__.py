"""Differentiated service: a product catalogue, recommended bundles, payment plans by credit grade, audiences.

- :func:`load_product_catalogue` — ``configs/products.yaml``: 22 products in six classes, eligibility in the
  tag rule language, value, cost, prior and signals, capacity, exclusions;
- :class:`ProductRecommender` — propensity (learned from the ``offers`` table, rule-based priors for cold
  start) × value − cost, bundles of ``k`` with exclusions and capacity, reasons in words;
- :func:`load_payment_plans` — ``configs/payment_plans.yaml``: credit grade → payment arrangements, and
  the customers whose arrangement should change;
- :func:`select` — an audience by a tag expression, with counts by group, exported for a campaign
  (:func:`audience_customers` builds the customers it screens; ``gridcrm select``; the catalogue's
  ``campaigns:`` in the main job);
- :mod:`gridcrm.recommend.judge` — precision@k on what happened after ``as_of``, top-decile lift.
"""

from gridcrm.recommend.audience import Audience, audience_customers, parse_expression, select
from gridcrm.recommend.catalogue import (
    Campaign,
    CatalogueError,
    Product,
    ProductCatalogue,
    RecommenderSettings,
    Signal,
    load_product_catalogue,
)
from gridcrm.recommend.judge import expected_precision_at_k, replay_precision_at_k, top_decile_lift
from gridcrm.recommend.payment_plans import GradePlan, PaymentPlans, load_payment_plans
from gridcrm.recommend.recommender import ProductRecommender, allocate, offer_labels, training_offers

__all__ = [
    "Audience",
    "Campaign",
    "CatalogueError",
    "GradePlan",
    "PaymentPlans",
    "Product",
    "ProductCatalogue",
    "ProductRecommender",
    "RecommenderSettings",
    "Signal",
    "allocate",
    "audience_customers",
    "expected_precision_at_k",
    "load_payment_plans",
    "load_product_catalogue",
    "offer_labels",
    "parse_expression",
    "replay_precision_at_k",
    "select",
    "top_decile_lift",
    "training_offers",
]
