"""Exceptions of :mod:`gridcrm.risk`.

Each subclasses the natural built-in so that callers catching ``ValueError``
keep working, and its message says what to change.
"""

from __future__ import annotations

from gridcrm.errors import ConfigError, GridcrmError

__all__ = ["FeatureMismatchError", "LabelError", "RiskConfigError"]


class LabelError(GridcrmError, ValueError):
    """Labels cannot be used: missing values, a single class, not binary, or no snapshot that can be labelled."""


class FeatureMismatchError(GridcrmError, ValueError):
    """The frame given at predict time does not match the features the model was fitted on.

    Raised for missing columns, a column whose kind changed (numeric vs category),
    and unseen categories when ``handle_unknown="error"``.
    """


class RiskConfigError(ConfigError):
    """``configs/risk.yaml`` (or the mapping given instead) has a bad key or value; the message names it."""
