"""One way to read a date argument (``as_of``, ``start``, ...), with one kind of error."""

from __future__ import annotations

import numbers

import pandas as pd

from gridcrm.errors import InputError

__all__ = ["as_date"]


def as_date(value: object, name: str = "as_of") -> pd.Timestamp:
    """Read a date argument: a naive calendar day (midnight), or a ``ValueError`` naming the argument.

    Parameters
    ----------
    value : str, datetime-like
        e.g. ``"2024-07-01"``, ``datetime.date(2024, 7, 1)``, a ``Timestamp``. A time of day is dropped.
        Numbers are refused: ``pd.Timestamp(20241001)`` is 1970-01-01 plus 20 ms, never what was meant.
    name : str
        The argument's name, for the message.

    Returns
    -------
    Timestamp

    Raises
    ------
    InputError
        (a ``ValueError``) Not a date, a number, missing, or with a time zone (gridcrm's tables hold
        local time).

    Examples
    --------
    >>> as_date("2024-07-01 13:30")
    Timestamp('2024-07-01 00:00:00')
    >>> as_date("soon", "start")
    Traceback (most recent call last):
    ...
    gridcrm.errors.InputError: start must be a date such as '2024-01-01', got 'soon'
    >>> as_date(20241001)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.errors.InputError: as_of must be a date ..., got the number 20241001: write it as a date ('2024-10-01')
    """
    if isinstance(value, (numbers.Number, bool)):
        digits = str(value)
        hint = f"'{digits[:4]}-{digits[4:6]}-{digits[6:]}'" if len(digits) == 8 and digits.isdigit() else "'2024-01-01'"
        raise InputError(f"{name} must be a date such as '2024-01-01', got the number {value!r}: "
                         f"write it as a date ({hint})")
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a date such as '2024-01-01', got {value!r}") from exc
    if pd.isna(stamp):
        raise InputError(f"{name} must be a date such as '2024-01-01', got {value!r}")
    if stamp.tzinfo is not None:
        raise InputError(f"{name} must be a naive local date (no time zone), got {value!r}")
    return stamp.normalize()
