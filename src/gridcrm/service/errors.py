"""Errors of :mod:`gridcrm.service`."""

from __future__ import annotations

from gridcrm.errors import ConfigError

__all__ = ["ServiceConfigError"]


class ServiceConfigError(ConfigError):
    """The service config, the keyword rules or the sensitive-word lexicon has a bad key or value."""
