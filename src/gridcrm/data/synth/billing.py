"""Monthly bills: energy from the meter reads, amounts from the tariffs, and bill shock.

One bill per customer and month with at least one read. It is issued on the
supply station's billing day (3rd–5th) of the next month and due 15–20 days
later. Amounts follow the tariff of the class:

* ``res_tiered``: 0.5283 CNY/kWh up to 230 kWh a month, 0.5783 up to 400, 0.8283 above;
* ``commercial_flat``: 0.80 CNY/kWh; ``industrial_flat``: 0.65; ``agri_flat``: 0.48;
* ``large_industry_2part``: 0.60 CNY/kWh plus 25 CNY per kVA of contracted capacity a month.

*Bill shock* is the bill's amount per day of reads over the mean of the six
months before; customers complain, churn and pay late more after a shock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.data.schemas import BILLS
from gridcrm.data.synth.calendar import Calendar
from gridcrm.data.synth.customers import AGR, BIG, COM, IND, RES, Population
from gridcrm.data.synth.frames import build_frame

__all__ = ["Bills", "make_bills", "bills_frame", "tariff_amount", "BILL_ID_BASE"]

#: Bill ids are ``BILL_ID_BASE + 0 .. n - 1`` in order of period, then customer.
BILL_ID_BASE = 500_000_000
_TIERS = (230.0, 400.0)
_TIER_PRICES = (0.5283, 0.5783, 0.8283)
_FLAT_PRICE = {COM: 0.80, IND: 0.65, AGR: 0.48, BIG: 0.60}
_CAPACITY_PRICE = 25.0
_SHOCK_MONTHS = 6


@dataclass
class Bills:
    """Every simulated bill as (n_customers, n_months) matrices.

    ``valid`` marks the months billed (at least one read); ``issued`` and
    ``due`` are day offsets from the calendar's start; ``shock`` is the bill
    shock ratio (1 without history); ``bill_id`` is -1 for bills not in the
    dataset (invalid, or issued after ``end``).
    """

    kwh: np.ndarray
    amount: np.ndarray
    valid: np.ndarray
    issued: np.ndarray
    due: np.ndarray
    shock: np.ndarray
    bill_id: np.ndarray

    @property
    def published(self) -> np.ndarray:
        """Bills that are in the dataset."""
        return self.bill_id >= 0

    def first_after(self, day: int) -> np.ndarray:
        """Month (column) of each customer's first bill issued on or after ``day``, -1 if none."""
        after = self.valid & (self.issued >= day)
        return np.where(after.any(axis=1), after.argmax(axis=1), -1)


def tariff_amount(cls: np.ndarray, kwh: np.ndarray, kva: np.ndarray, month_share: np.ndarray) -> np.ndarray:
    """Amount billed (CNY, rounded to the fen) for a month's kWh.

    Parameters
    ----------
    cls : ndarray of int, shape (n,)
        Class code per customer.
    kwh : ndarray, shape (n, m)
        kWh billed.
    kva : ndarray, shape (n,)
        Contracted capacity (two-part tariff).
    month_share : ndarray, shape (n, m)
        Share of the month the bill covers (prorates the capacity charge).

    Examples
    --------
    >>> tariff_amount(np.array([0]), np.array([[300.0]]), np.array([8.0]), np.array([[1.0]]))
    array([[161.99]])
    """
    low, high = _TIERS
    p1, p2, p3 = _TIER_PRICES
    tiered = p1 * np.minimum(kwh, low) + p2 * np.clip(kwh - low, 0, high - low) + p3 * np.maximum(kwh - high, 0)
    price = np.select([cls == c for c in _FLAT_PRICE], list(_FLAT_PRICE.values()), 0.0)[:, None]
    amount = np.where((cls == RES)[:, None], tiered, price * kwh)
    amount += np.where((cls == BIG)[:, None], _CAPACITY_PRICE * kva[:, None] * month_share, 0.0)
    return np.round(amount, 2)


def _shock(amount: np.ndarray, reads: np.ndarray) -> np.ndarray:
    rate = np.divide(amount, reads, out=np.zeros_like(amount), where=reads > 0)
    pad = np.zeros((len(amount), 1))
    cum_amount = np.concatenate([pad, np.cumsum(amount, axis=1)], axis=1)
    cum_reads = np.concatenate([pad, np.cumsum(reads, axis=1, dtype=float)], axis=1)
    m = amount.shape[1]
    lo = np.maximum(np.arange(m) - _SHOCK_MONTHS, 0)
    prev_amount = cum_amount[:, :m] - cum_amount[:, lo]
    prev_reads = cum_reads[:, :m] - cum_reads[:, lo]
    usual = np.divide(prev_amount, prev_reads, out=np.zeros_like(amount), where=prev_reads > 0)
    shock = np.divide(rate, usual, out=np.ones_like(amount), where=usual > 0)
    return np.clip(shock, 0.2, 5.0)


def make_bills(pop: Population, cal: Calendar, month_kwh: np.ndarray, month_reads: np.ndarray) -> Bills:
    """Bills of every customer and simulated month from the monthly meter totals.

    Parameters
    ----------
    pop : Population
    cal : Calendar
    month_kwh, month_reads : ndarray, shape (n_customers, n_months)
        kWh and number of reads per month.

    Returns
    -------
    Bills
    """
    valid = month_reads > 0
    kwh = np.round(month_kwh, 2)
    days_in_month = pd.DatetimeIndex(cal.periods).days_in_month.to_numpy()
    amount = tariff_amount(pop.cls, kwh, pop.kva, month_reads / days_in_month[None, :])
    amount = np.where(valid, amount, 0.0)
    issued = cal.month_hi[None, :] + (pop.issue_day - 1)[:, None]
    due = issued + pop.due_days[:, None]
    published = valid & (issued < cal.n_days)
    order = np.flatnonzero(published.T.ravel())  # period-major: ids rise with time
    bill_id = np.full(published.T.shape, -1, dtype=np.int64)
    bill_id.reshape(-1)[order] = BILL_ID_BASE + np.arange(len(order))
    return Bills(kwh=kwh, amount=amount, valid=valid, issued=issued, due=due,
                 shock=_shock(amount, month_reads), bill_id=bill_id.T.copy())


def bills_frame(bills: Bills, pop: Population, cal: Calendar) -> pd.DataFrame:
    """The ``bills`` table (published bills only), sorted by ``bill_id``."""
    j, i = np.nonzero(bills.published.T)  # same period-major order as the ids
    return build_frame(
        BILLS,
        {
            "bill_id": bills.bill_id[i, j],
            "customer_id": pop.ids[i],
            "period": cal.periods[j],
            "issued_on": cal.dates(bills.issued[i, j]),
            "due_on": cal.dates(bills.due[i, j]),
            "kwh": bills.kwh[i, j],
            "amount": bills.amount[i, j],
        },
    )
