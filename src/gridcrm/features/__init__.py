"""Point-in-time customer features and their registry.

:func:`build_features` turns a :class:`~gridcrm.data.Dataset` into one row per
active customer as known just before a date; :class:`FeatureBuilder` does the
same inside a scikit-learn pipeline. The registry (:data:`FEATURES`,
:func:`feature_registry`, :func:`registry_frame`) names every feature with its
description, unit and meaning of NaN.
"""

from gridcrm.features.builder import FeatureBuilder, build_features, feature_dtypes
from gridcrm.features.payment import bill_status
from gridcrm.features.registry import FEATURES, FeatureSpec, feature_registry, registry_frame

__all__ = [
    "FEATURES",
    "FeatureBuilder",
    "FeatureSpec",
    "bill_status",
    "build_features",
    "feature_dtypes",
    "feature_registry",
    "registry_frame",
]
