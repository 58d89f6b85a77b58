"""Exceptions and warnings of :mod:`gridcrm.credit`.

Every error subclasses the natural built-in (``ValueError``) so that callers who
catch the built-in keep working, and says what to change.
"""

from __future__ import annotations

from gridcrm.errors import ConfigError, GridcrmError

__all__ = [
    "AHPError",
    "CreditConfigError",
    "InconsistencyError",
    "InconsistencyWarning",
    "IndicatorError",
    "JudgementError",
]


class AHPError(GridcrmError, ValueError):
    """Base class of the errors raised by the AHP computations."""


class JudgementError(AHPError):
    """A pairwise comparison matrix or a set of judgements is invalid.

    The message names the offending pair, e.g. ``(payment, arrears)``.
    """


class InconsistencyError(AHPError):
    """The consistency ratio reached the threshold and ``on_inconsistent="raise"``.

    Attributes
    ----------
    result : AHPResult
        The full result, so that the caller can inspect
        :meth:`AHPResult.inconsistency` and revise the judgements.
    """

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class InconsistencyWarning(UserWarning):
    """The consistency ratio of a comparison reached the threshold (CR ≥ 0.1 by default)."""


class CreditConfigError(ConfigError):
    """A credit or customer-value configuration is invalid; the message names the key path."""


class IndicatorError(GridcrmError, ValueError):
    """An indicator frame cannot be scored (missing required column, infinite values, ...)."""
