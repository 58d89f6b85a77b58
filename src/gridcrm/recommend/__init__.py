"""Differentiated service: a product catalogue, recommended bundles, payment plans by credit grade, audiences."""

from gridcrm.recommend.catalogue import (
    CatalogueError,
    Product,
    ProductCatalogue,
    RecommenderSettings,
    Signal,
    load_product_catalogue,
)

__all__ = ["CatalogueError", "Product", "ProductCatalogue", "RecommenderSettings", "Signal", "load_product_catalogue"]
