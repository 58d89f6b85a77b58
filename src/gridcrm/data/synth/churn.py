"""Account closures (churn), simulated month by month together with the service contacts.

Each open account closes with a daily hazard

``h = h0[class] × tenure × exp(2.3 × min(complaints, 2) + 1.6 × price_sensitivity × log⁺ shock
+ 2.5 × (0.7 - satisfaction))``

where ``complaints`` counts its complaints in the three previous months
(≈ 90 days), ``shock`` is the shock ratio of the bill issued that month,
and ``tenure = 0.6 + 1.8 × exp(-years / 1.5)`` makes new accounts leave more
often. The base rates ``h0`` (a year) make movers — residential and
commercial accounts — most of the churn, a few percent over two years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridcrm.data.synth.billing import Bills
from gridcrm.data.synth.calendar import Calendar
from gridcrm.data.synth.contacts import COMPLAINT, month_contacts
from gridcrm.data.synth.customers import NEVER, Population
from gridcrm.data.synth.segments import SEGMENTS
from gridcrm.data.synth.weather import Climate

__all__ = ["Service", "simulate_service", "daily_hazard"]

# Yearly base closure rate per class (residential .. large_industry).
_BASE_RATE = np.array([0.016, 0.040, 0.014, 0.008, 0.006])
_SEGMENT_RATE = np.array([1.5 if s.name == "second_home" else 1.0 for s in SEGMENTS])
_HORIZON_DAYS = 90


@dataclass
class Service:
    """What the month-by-month service simulation produced.

    Attributes
    ----------
    closed : ndarray of int
        ``closed_on`` day offset per customer, ``NEVER`` while open.
    contacts : list of dict
        One batch of contacts per month (see :func:`~gridcrm.data.synth.contacts.month_contacts`).
    complaints : ndarray, shape (n_customers, n_months)
        Complaints per month (before dropping those after a closure).
    p_churn : ndarray
        True probability that an account open at ``end`` closes in the next 90 days (NaN if closed).
    """

    closed: np.ndarray
    contacts: list[dict[str, np.ndarray]]
    complaints: np.ndarray
    p_churn: np.ndarray


def daily_hazard(pop: Population, who: np.ndarray, day: int | np.ndarray, complaints: np.ndarray,
                 shock: np.ndarray) -> np.ndarray:
    """Daily closure hazard of customers ``who`` on ``day``.

    Parameters
    ----------
    pop : Population
    who : ndarray of int
        Customer positions.
    day : int or ndarray
        Day offset at which tenure is measured.
    complaints : ndarray
        Complaints in the previous three months.
    shock : ndarray
        Shock ratio of the latest bill.

    Returns
    -------
    ndarray
    """
    years = np.maximum(day - pop.conn[who], 0) / 365.25
    tenure = 0.6 + 1.8 * np.exp(-years / 1.5)
    pain = pop.price_sens[who] * np.clip(np.log(shock), 0.0, 1.2)
    rate = _BASE_RATE[pop.cls[who]] * _SEGMENT_RATE[pop.seg[who]] * tenure
    rate *= np.exp(2.3 * np.minimum(complaints, 2) + 1.6 * pain + 2.5 * (0.7 - pop.satisfaction[who]))
    return np.minimum(rate / 365.25, 0.05)


def simulate_service(pop: Population, cal: Calendar, climate: Climate, bills: Bills,
                     rng: np.random.Generator) -> Service:
    """Simulate contacts and closures month by month (vectorised over customers).

    Parameters
    ----------
    pop : Population
    cal : Calendar
    climate : Climate
    bills : Bills
        Bills as if no account closed (closures only remove later bills).
    rng : numpy.random.Generator

    Returns
    -------
    Service
    """
    n = len(pop)
    closed = np.full(n, NEVER, dtype=np.int64)
    complaints = np.zeros((n, cal.n_months), dtype=np.int64)
    batches = []
    for j in range(cal.n_months):
        lo, stop = int(cal.month_lo[j]), int(min(cal.month_hi[j], cal.n_days))
        if lo >= cal.n_days:
            break
        first_all = np.maximum(pop.conn, lo)
        alive = np.flatnonzero((first_all < stop) & (closed > lo))
        first = first_all[alive]
        if j > 0:
            billed = bills.valid[alive, j - 1]
            shock = np.where(billed, bills.shock[alive, j - 1], 1.0)
            bill_day = np.where(billed, bills.issued[alive, j - 1], NEVER)
        else:
            shock, bill_day = np.ones(len(alive)), np.full(len(alive), NEVER)
        batch = month_contacts(pop, alive, first, stop, shock, bill_day, climate.outage[:, lo:stop], lo, rng)
        complaints[:, j] = np.bincount(batch["customer"][batch["kind"] == COMPLAINT], minlength=n)
        batches.append(batch)

        recent = complaints[alive, max(j - 3, 0) : j].sum(axis=1)
        h = daily_hazard(pop, alive, first, recent, shock)
        span = np.minimum(stop, cal.n_days - 1) - first  # closed_on may not pass `end`
        survive = np.floor(np.log1p(-rng.random(len(alive))) / np.log1p(-h)).astype(np.int64)
        leaves = survive < span
        closed[alive[leaves]] = first[leaves] + survive[leaves] + 1

    open_at_end = np.flatnonzero(closed == NEVER)
    last = np.searchsorted(cal.month_hi, cal.n_days - 1, side="right")
    recent = complaints[open_at_end, max(last - 2, 0) : last + 1].sum(axis=1)
    next_bill = bills.first_after(cal.n_days)[open_at_end]
    shock = np.where(next_bill >= 0, bills.shock[open_at_end, np.maximum(next_bill, 0)], 1.0)
    h = daily_hazard(pop, open_at_end, cal.n_days, recent, shock)
    p_churn = np.full(n, np.nan)
    p_churn[open_at_end] = -np.expm1(_HORIZON_DAYS * np.log1p(-h))
    return Service(closed=closed, contacts=batches, complaints=complaints, p_churn=p_churn)
