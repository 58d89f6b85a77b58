"""Shared helpers of the feature builders: the as-of date, active customers, row → customer positions."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from gridcrm.data.dates import as_date
from gridcrm.errors import InputError

logger = logging.getLogger(__name__)

DAY_NS: int = 86_400 * 10**9
#: Days in a "month" when a feature is expressed in months.
DAYS_PER_MONTH: float = 365.25 / 12


def parse_as_of(as_of: object, default: pd.Timestamp | None = None) -> pd.Timestamp:
    """Return ``as_of`` as a midnight ``Timestamp``; ``ValueError`` naming the argument otherwise.

    Features are computed for whole days: a time of day is dropped, so nothing
    dated on the as-of day itself is ever used.
    """
    if as_of is None:
        if default is None:
            raise ValueError("as_of must be a date, got None")
        as_of = default
    return as_date(as_of, "as_of")


def check_as_of(dataset: object, as_of: pd.Timestamp, n_active: int) -> None:
    """Refuse an ``as_of`` the data cannot speak for: after the extract was taken, or before any customer.

    ``as_of`` may be the day after ``extracted_on`` at the latest (rows are used when dated *before*
    ``as_of``): later, features would read the unknown days in between as no consumption and no payment.
    With no customer active at ``as_of`` (before every connection) there is nothing to compute; with
    customers but no meter read yet, features are missing (NaN) and a warning says so.
    """
    extracted_on = dataset.extracted_on  # type: ignore[attr-defined]
    if as_of > extracted_on + pd.Timedelta(days=1):
        raise InputError(
            f"as_of {as_of.date()} is after the extract was taken ({extracted_on.date()}): what happened in "
            f"between is unknown, so features would read it as no consumption and no payment; use an as_of "
            f"on or before {(extracted_on + pd.Timedelta(days=1)).date()}"
        )
    reads = dataset.meter_daily["date"]  # type: ignore[attr-defined]
    first_read = reads.min() if len(reads) else pd.NaT
    if n_active == 0:
        connected = dataset.customers["connected_on"]  # type: ignore[attr-defined]
        first = connected.min() if len(connected) else pd.NaT
        where = ("the extract has no customers" if pd.isna(first)
                 else f"no customer is active then (the first was connected on {first.date()}, the first meter "
                      f"read is on {'none' if pd.isna(first_read) else first_read.date()})")
        raise InputError(f"as_of {as_of.date()} is before the data: {where}; choose a later as_of")
    if pd.isna(first_read) or as_of <= first_read:
        logger.warning("as_of %s is before the first meter read (%s): consumption features are all missing",
                       as_of.date(), "none" if pd.isna(first_read) else first_read.date())


def ns(values: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch of a datetime column, as int64 (NaT → the int64 minimum)."""
    arr = values.to_numpy()
    if arr.dtype != np.dtype("datetime64[ns]"):
        arr = arr.astype("datetime64[ns]")
    return arr.view("int64")


def active_customers(customers: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Customers connected before ``as_of`` and not closed before it, sorted by ``customer_id``."""
    keep = (customers["connected_on"] < as_of) & ~(customers["closed_on"] < as_of)
    active = customers.loc[keep]
    ids = active["customer_id"].to_numpy()
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        active = active.sort_values("customer_id", kind="stable")
    return active.reset_index(drop=True)


def positions(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each of ``values`` in the sorted unique array ``ids``; -1 where absent."""
    if len(ids) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    pos = np.searchsorted(ids, values)
    clipped = np.minimum(pos, len(ids) - 1)
    return np.where(ids[clipped] == values, clipped, -1).astype(np.int64)


def is_sorted(values: np.ndarray, chunk: int = 1 << 22) -> bool:
    """Whether ``values`` is non-decreasing (checked in chunks to keep temporaries small)."""
    n = len(values)
    for start in range(0, max(n - 1, 0), chunk):
        stop = min(start + chunk + 1, n)
        part = values[start:stop]
        if not bool(np.all(part[1:] >= part[:-1])):
            return False
    return True


def window_mask(t_ns: np.ndarray, as_of: pd.Timestamp, days: int) -> np.ndarray:
    """Rows dated in ``[as_of - days, as_of)``."""
    end = as_of.value
    return (t_ns >= end - days * DAY_NS) & (t_ns < end)


def count(pos: np.ndarray, mask: np.ndarray | None, n: int) -> np.ndarray:
    """Rows per customer (``pos`` from :func:`positions`), optionally only where ``mask``."""
    keep = pos >= 0 if mask is None else (pos >= 0) & mask
    return np.bincount(pos[keep], minlength=n).astype(np.int64)


def total(pos: np.ndarray, weights: np.ndarray, mask: np.ndarray | None, n: int) -> np.ndarray:
    """Sum of ``weights`` per customer where ``mask`` (NaN weights are skipped)."""
    keep = (pos >= 0) & ~np.isnan(weights)
    if mask is not None:
        keep &= mask
    return np.bincount(pos[keep], weights=weights[keep], minlength=n)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is zero (never a warning)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def group_max(pos: np.ndarray, values: np.ndarray, mask: np.ndarray | None, n: int) -> np.ndarray:
    """Largest of ``values`` per customer where ``mask``; NaN for customers without a value."""
    keep = (pos >= 0) & ~np.isnan(values)
    if mask is not None:
        keep &= mask
    out = np.full(n, -np.inf)
    np.maximum.at(out, pos[keep], values[keep])
    out[np.isneginf(out)] = np.nan
    return out


def isin(values: pd.Series, allowed: tuple[str, ...] | list[str]) -> np.ndarray:
    """``values.isin(allowed)`` as a bool array, through the codes for a categorical column (fast)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = np.asarray(values.cat.categories.astype(str).isin(list(allowed)))
        codes = values.cat.codes.to_numpy()
        return (codes >= 0) & np.append(cats, False)[codes]
    return values.isin(list(allowed)).to_numpy(dtype=bool, na_value=False)
