"""Churn: account closures from three causes, simulated month by month together with the service contacts.

**Moves** (any class, mostly homes). Each open account closes with a daily hazard

``h = h0[class] × tenure × exp(2.3 × min(complaints, 2) + 1.6 × price_sensitivity × log⁺ shock
+ 2.5 × (0.7 - satisfaction))``

where ``complaints`` counts its complaints in the three previous months
(≈ 90 days), ``shock`` is the shock ratio of the bill issued that month,
and ``tenure = 0.6 + 1.8 × exp(-years / 1.5)`` makes new accounts leave more
often (``h0``: 1.6 % a year for homes, less for businesses).

**Business closures** (commercial, industrial, agricultural, large industry).
A business falls into financial distress with the hazard of
:func:`~gridcrm.data.synth.customers.distress_rate` (a few % a year, more
with poor credit and a falling trend); its consumption then declines, its
bills are paid late more often, it calls about payments, and the account
closes 30 days + an exponential time (mean 90 days) after the onset.

**Switching to a competing retailer** (large customers: commercial,
industrial and large-industry accounts supplied at 10 kV or more, see
:func:`switch_eligible`) once the retail market opens. A large customer
starts negotiating with a retailer with the daily hazard
:func:`switch_hazard` — from about 6 % a year (commercial) to 15 % (large industry),
ramping up over the half year after the opening, higher for the larger
(courted more), the price-sensitive, the dissatisfied and recent
complainers, lower with poor credit (arrears must be settled before a
switch, and retailers screen payers). While negotiating it calls about
tariffs and bills; the switch takes effect, and the account with the
utility closes, 30 days + an exponential time (mean 60 days) later.

The true probability ``p_churn_90d`` that an account open at ``end`` closes in
the next 90 days combines the three: the move hazard at ``end``; for a
business already in distress (or a customer already negotiating) the chance
that its pending closure falls within 90 days, otherwise the chance that a
distress (a negotiation) starts and ends in a closure within 90 days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridcrm.data.synth.billing import Bills
from gridcrm.data.synth.calendar import Calendar
from gridcrm.data.synth.contacts import COMPLAINT, month_contacts
from gridcrm.data.synth.customers import (
    BIG,
    COM,
    DISTRESS_MEAN_DAYS,
    DISTRESS_MIN_DAYS,
    IND,
    NEVER,
    Population,
    distress_rate,
)
from gridcrm.data.synth.segments import SEGMENTS
from gridcrm.data.synth.weather import Climate

__all__ = ["Service", "simulate_service", "daily_hazard", "switch_hazard", "switch_eligible", "CHURN_CAUSES",
           "SWITCH_RATE", "SWITCH_MIN_DAYS", "SWITCH_MEAN_DAYS", "SWITCH_MIN_KV"]

#: Causes of a closure (``truth.churn_cause``), in the order of the codes 1, 2, 3 (0: open).
CHURN_CAUSES: tuple[str, ...] = ("move", "business_closure", "switch")
# Yearly base rate of moves per class (residential .. large_industry).
_BASE_RATE = np.array([0.016, 0.020, 0.008, 0.008, 0.004])
_SEGMENT_RATE = np.array([1.5 if s.name == "second_home" else 1.0 for s in SEGMENTS])
_HORIZON_DAYS = 90
#: Yearly rate at which an average eligible customer starts negotiating with a competing retailer.
SWITCH_RATE = 0.08
#: The switch takes effect ``SWITCH_MIN_DAYS`` + Exponential(``SWITCH_MEAN_DAYS``) days after that.
SWITCH_MIN_DAYS = 30
SWITCH_MEAN_DAYS = 60.0
#: Supply voltage (kV) from which commercial and industrial accounts may buy from a retailer.
SWITCH_MIN_KV = 10.0
_SWITCH_RAMP_DAYS = 180.0
_MAX_DAILY = 0.05


@dataclass
class Service:
    """What the month-by-month service simulation produced.

    Attributes
    ----------
    closed : ndarray of int
        ``closed_on`` day offset per customer, ``NEVER`` while open at ``end``.
    cause : ndarray of int
        Cause of the closure: 0 open, else 1 + index into :data:`CHURN_CAUSES`.
    shopping_from : ndarray of int
        Day the customer started negotiating with a competing retailer (``NEVER``: not before ``end``).
    switch_on : ndarray of int
        Day that switch takes effect (may lie after ``end``; ``NEVER``: no negotiation).
    contacts : list of dict
        One batch of contacts per month (see :func:`~gridcrm.data.synth.contacts.month_contacts`).
    complaints : ndarray, shape (n_customers, n_months)
        Complaints per month (before dropping those after a closure).
    p_churn : ndarray
        True probability that an account open at ``end`` closes in the next 90 days (NaN if closed).
    p_switch : ndarray
        The part of it due to a switch: probability that it switches in the next 90 days (NaN if closed).
    """

    closed: np.ndarray
    cause: np.ndarray
    shopping_from: np.ndarray
    switch_on: np.ndarray
    contacts: list[dict[str, np.ndarray]]
    complaints: np.ndarray
    p_churn: np.ndarray
    p_switch: np.ndarray


def daily_hazard(pop: Population, who: np.ndarray, day: int | np.ndarray, complaints: np.ndarray,
                 shock: np.ndarray) -> np.ndarray:
    """Daily hazard of a move (closure for other reasons than distress or a switch) of customers ``who``.

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
    return np.minimum(rate / 365.25, _MAX_DAILY)


def switch_eligible(pop: Population) -> np.ndarray:
    """Which customers may buy from a competing retailer: commercial, industrial and large-industry accounts at 10 kV+."""
    return np.isin(pop.cls, [COM, IND, BIG]) & (pop.voltage >= SWITCH_MIN_KV)


def switch_hazard(pop: Population, who: np.ndarray, day: int | np.ndarray, opens: int,
                  complaints: np.ndarray) -> np.ndarray:
    """Daily hazard that customers ``who`` start negotiating with a competing retailer on ``day``.

    Parameters
    ----------
    pop : Population
    who : ndarray of int
        Customer positions.
    day : int or ndarray
        Day offset.
    opens : int
        Day offset on which the retail market opens.
    complaints : ndarray
        Complaints in the previous three months.

    Returns
    -------
    ndarray
        0 for customers that are not eligible or before the market opens.
    """
    ramp = np.clip((np.asarray(day) - opens) / _SWITCH_RAMP_DAYS, 0.0, 1.0)
    size = (pop.kva[who] / 1000.0) ** 0.2
    rate = SWITCH_RATE * ramp * size * np.exp(
        1.5 * (pop.price_sens[who] - 0.4) + 2.0 * (0.7 - pop.satisfaction[who])
        + 0.7 * np.minimum(complaints, 2) + 2.0 * (pop.credit[who] - 0.75))
    return np.where(switch_eligible(pop)[who], np.minimum(rate / 365.25, _MAX_DAILY), 0.0)


def _first_event(h: np.ndarray, span: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Days until an event of daily hazard ``h`` (geometric), ``NEVER`` if not within ``span`` days."""
    with np.errstate(divide="ignore"):
        wait = np.floor(np.log1p(-rng.random(len(h))) / np.log1p(-h))
    return np.where(wait < span, wait, NEVER).astype(np.int64)


def _p_pending(onset: np.ndarray, n_days: int, min_days: int, mean_days: float) -> np.ndarray:
    """P(closure in the horizon after ``end``) of a pending closure ``min_days`` + Exp(``mean_days``) after ``onset``."""
    avail = np.clip(n_days + _HORIZON_DAYS - (onset + min_days), 0, _HORIZON_DAYS)
    return -np.expm1(-avail / mean_days)


def _geometric_sum(r: np.ndarray, a: np.ndarray, b: int) -> np.ndarray:
    """``sum(r ** s for s in range(a, b))``, elementwise."""
    a = np.minimum(a, b)
    near_one = np.abs(1.0 - r) < 1e-9
    safe = np.where(near_one, 0.5, r)
    return np.where(near_one, (b - a) * 1.0, (safe**a - safe**b) / (1.0 - safe))


def _p_start_and_close(h: np.ndarray, min_days: int, mean_days: float, earliest: np.ndarray | int = 0) -> np.ndarray:
    """P(an onset of daily hazard ``h`` on a horizon day ≥ ``earliest`` and its closure both fall in the horizon).

    ``sum over s in [earliest, K) of h (1 - h)^s (1 - exp(-(K - s) / mean_days))`` with
    ``K = horizon - min_days``, in closed form (two geometric sums).
    """
    k = _HORIZON_DAYS - min_days
    h = np.asarray(h, dtype=float)
    first = np.broadcast_to(np.asarray(earliest, dtype=float), h.shape)
    q = 1.0 - h
    return np.clip(h * (_geometric_sum(q, first, k) - np.exp(-k / mean_days)
                        * _geometric_sum(q * np.exp(1.0 / mean_days), first, k)), 0.0, 1.0)


def simulate_service(pop: Population, cal: Calendar, climate: Climate, bills: Bills, rng: np.random.Generator,
                     market_opens: int = 0) -> Service:
    """Simulate contacts, switches to competing retailers and closures month by month (vectorised over customers).

    Parameters
    ----------
    pop : Population
    cal : Calendar
    climate : Climate
    bills : Bills
        Bills as if no account closed (closures only remove later bills).
    rng : numpy.random.Generator
    market_opens : int
        Day offset on which the retail market opens (negative: before ``start``).

    Returns
    -------
    Service
    """
    n = len(pop)
    last_day = cal.n_days - 1  # closed_on may not pass `end`
    ended = np.where(pop.distress_to <= last_day, pop.distress_to, NEVER)
    moved = np.full(n, NEVER, dtype=np.int64)
    shopping = np.full(n, NEVER, dtype=np.int64)
    switch_on = np.full(n, NEVER, dtype=np.int64)
    closed = ended.copy()
    complaints = np.zeros((n, cal.n_months), dtype=np.int64)
    eligible = switch_eligible(pop)
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
        recent = complaints[alive, max(j - 3, 0) : j].sum(axis=1)

        # large customers start negotiating with a competing retailer
        free = eligible[alive] & (shopping[alive] == NEVER) & (stop > market_opens)
        who, since = alive[free], np.maximum(first[free], market_opens)
        wait = _first_event(switch_hazard(pop, who, since, market_opens, recent[free]), stop - since, rng)
        starts = wait < NEVER
        who, day = who[starts], since[starts] + wait[starts]
        shopping[who] = day
        switch_on[who] = day + SWITCH_MIN_DAYS + np.floor(rng.exponential(SWITCH_MEAN_DAYS, len(who))).astype(np.int64)
        closed[who] = np.minimum(closed[who], np.where(switch_on[who] <= last_day, switch_on[who], NEVER))

        batch = month_contacts(pop, alive, first, stop, shock, bill_day, climate.outage[:, lo:stop], lo, rng,
                               shopping_from=shopping[alive], distress_from=pop.distress_from[alive])
        complaints[:, j] = np.bincount(batch["customer"][batch["kind"] == COMPLAINT], minlength=n)
        batches.append(batch)

        h = daily_hazard(pop, alive, first, recent, shock)
        wait = _first_event(h, np.minimum(stop, cal.n_days - 1) - first, rng)
        leaves = wait < NEVER
        moved[alive[leaves]] = first[leaves] + wait[leaves] + 1
        closed[alive[leaves]] = np.minimum(closed[alive[leaves]], moved[alive[leaves]])

    switched = np.where(switch_on <= last_day, switch_on, NEVER)
    candidates = np.stack([moved, ended, switched])
    cause = np.where(closed < NEVER, candidates.argmin(axis=0) + 1, 0)

    open_at_end = np.flatnonzero(closed == NEVER)
    last = np.searchsorted(cal.month_hi, cal.n_days - 1, side="right")
    recent = complaints[open_at_end, max(last - 2, 0) : last + 1].sum(axis=1)
    next_bill = bills.first_after(cal.n_days)[open_at_end]
    shock = np.where(next_bill >= 0, bills.shock[open_at_end, np.maximum(next_bill, 0)], 1.0)
    p_move = -np.expm1(_HORIZON_DAYS * np.log1p(-daily_hazard(pop, open_at_end, cal.n_days, recent, shock)))

    onset = pop.distress_from[open_at_end]
    in_distress = onset < cal.n_days
    rate = distress_rate(pop.cls[open_at_end], pop.credit[open_at_end], pop.trend[open_at_end])
    grace_over = np.maximum(pop.conn[open_at_end] + 180 - cal.n_days, 0)
    p_distress = np.where(in_distress, _p_pending(onset, cal.n_days, DISTRESS_MIN_DAYS, DISTRESS_MEAN_DAYS),
                          _p_start_and_close(rate, DISTRESS_MIN_DAYS, DISTRESS_MEAN_DAYS, grace_over))

    negotiating = shopping[open_at_end] < NEVER
    h_switch = switch_hazard(pop, open_at_end, cal.n_days, market_opens, recent)
    p_sw = np.where(negotiating, _p_pending(shopping[open_at_end], cal.n_days, SWITCH_MIN_DAYS, SWITCH_MEAN_DAYS),
                    _p_start_and_close(h_switch, SWITCH_MIN_DAYS, SWITCH_MEAN_DAYS))

    p_churn = np.full(n, np.nan)
    p_churn[open_at_end] = 1.0 - (1.0 - p_move) * (1.0 - p_distress) * (1.0 - p_sw)
    p_switch = np.full(n, np.nan)
    p_switch[open_at_end] = p_sw
    return Service(closed=closed, cause=cause, shopping_from=shopping, switch_on=switch_on, contacts=batches,
                   complaints=complaints, p_churn=p_churn, p_switch=p_switch)
