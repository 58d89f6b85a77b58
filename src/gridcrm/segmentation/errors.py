"""Exceptions and warnings of :mod:`gridcrm.segmentation`."""

from __future__ import annotations

from gridcrm.errors import ConfigError, GridcrmError

__all__ = ["SegmentationInputError", "SegmentationConfigError", "UnstableSegmentsWarning"]


class SegmentationInputError(GridcrmError, ValueError):
    """Data given to a segmentation estimator cannot be clustered as it is.

    The message names the offending column or argument and says what to do.
    """


class SegmentationConfigError(ConfigError):
    """``configs/segmentation.yaml`` has an unknown key or a bad value; the message names the key."""


class UnstableSegmentsWarning(UserWarning):
    """Segments change a lot across seeds or bootstrap resamples: do not build service rules on them as they are."""
