"""One exception family: every error a user can cause is a :class:`GridcrmError`.

The command line turns any ``GridcrmError`` into one line naming what is wrong
(file, table, column, key, argument) and exits with status 2; ``--debug`` shows
the traceback. Errors that also mean "a bad value" subclass :class:`ValueError`
too, so ``except ValueError`` written against earlier releases keeps working.

Examples
--------
>>> from gridcrm.errors import ConfigError, GridcrmError
>>> issubclass(ConfigError, GridcrmError) and issubclass(ConfigError, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "GridcrmError",
    "ConfigError",
    "InputError",
    "TrackingError",
]


class GridcrmError(Exception):
    """Base of every error gridcrm raises for a user's mistake or a bad input."""


class ConfigError(GridcrmError, ValueError):
    """A configuration file is missing, unreadable, or has a bad key or value."""


class InputError(GridcrmError, ValueError):
    """An argument or an input file is not what gridcrm expects (the message says what was expected)."""


class TrackingError(GridcrmError, RuntimeError):
    """The tracking store could not record, register or load a model (the message says what was not done)."""
