"""One way to read a date argument (``as_of``, ``start``, ...), with one kind of error."""

from __future__ import annotations

import pandas as pd

__all__ = ["as_date"]


def as_date(value: object, name: str = "as_of") -> pd.Timestamp:
    """Read a date argument: a naive calendar day (midnight), or a ``ValueError`` naming the argument.

    Parameters
    ----------
    value : str, datetime-like
        e.g. ``"2024-07-01"``, ``datetime.date(2024, 7, 1)``, a ``Timestamp``. A time of day is dropped.
    name : str
        The argument's name, for the message.

    Returns
    -------
    Timestamp

    Raises
    ------
    ValueError
        Not a date, missing, or with a time zone (gridcrm's tables hold local time).

    Examples
    --------
    >>> as_date("2024-07-01 13:30")
    Timestamp('2024-07-01 00:00:00')
    >>> as_date("soon", "start")
    Traceback (most recent call last):
    ...
    ValueError: start must be a date such as '2024-01-01', got 'soon'
    """
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a date such as '2024-01-01', got {value!r}") from exc
    if pd.isna(stamp):
        raise ValueError(f"{name} must be a date such as '2024-01-01', got {value!r}")
    if stamp.tzinfo is not None:
        raise ValueError(f"{name} must be a naive local date (no time zone), got {value!r}")
    return stamp.normalize()
