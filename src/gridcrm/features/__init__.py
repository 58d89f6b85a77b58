"""Point-in-time customer features and their registry."""

from gridcrm.features.registry import FEATURES, FeatureSpec, feature_registry, registry_frame

__all__ = ["FEATURES", "FeatureSpec", "feature_registry", "registry_frame"]
