"""Payments of bills, arrears and disconnection notices.

For every bill the customer falls into arrears — pays more than 15 days
after the due date, or never — with the true probability

``p = sigmoid(-2.6 + class + 5.5 × (0.55 - credit) + arrears_before × (0.6 + 2.0 × (1 - credit))
+ 0.9 × log shock - 2.5 × prepaid - 1.0 × direct_debit + 1.5 × distressed)``

so poor credit, a previous arrears (persistence, strongest for poor credit),
a bill shock and a business's financial distress (the bill is issued after its
onset) raise it. Customers in arrears either never pay (more so
with poor credit; a third of them pay part of the bill) or pay 16 days or
more late, with a heavy tail; the others pay by the due date (good credit
early), a few of them 1–15 days late. Prepaid accounts are settled on the
issue day, direct debits the day after. Some bills are paid in two parts.
Channels follow the preferred channel, with a drift to online channels
(app, WeChat, Alipay) that grows year by year. A disconnection notice goes
out when a customer owes two or more overdue bills a few days after a billing day; most
customers then settle all their arrears within days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.data.schemas import CHANNELS, PAYMENTS
from gridcrm.data.synth.billing import Bills
from gridcrm.data.synth.calendar import Calendar
from gridcrm.data.synth.customers import NEVER, Population
from gridcrm.data.synth.frames import build_frame

__all__ = ["Payments", "simulate_payments", "payments_frame", "arrears_logit", "PAYMENT_ID_BASE"]

#: Payment ids are ``PAYMENT_ID_BASE + 0 .. n - 1`` in order of payment date.
PAYMENT_ID_BASE = 900_000_000
#: Days after the due date beyond which a payment counts as arrears.
LATE_DAYS = 15
_CLASS_SHIFT = np.array([0.0, 0.2, 0.0, 0.4, -0.5])
_DIRECT_DEBIT = CHANNELS.index("direct_debit")
_ONLINE = np.array([c in ("app", "wechat", "alipay") for c in CHANNELS])
# Channel mix of payments not made through the preferred channel, in 2020; online weights grow 25 % a year.
_MIX_2020 = np.array([0.15, 0.20, 0.12, 0.25, 0.15, 0.08, 0.05])


@dataclass
class Payments:
    """Result of the payment simulation.

    Attributes
    ----------
    customer, bill_col, day, amount, channel : ndarray
        One entry per payment made up to ``end``; the bill is ``(customer, bill_col)`` of the bill matrices.
    p_arrears : ndarray, shape (n_customers, n_months)
        True arrears probability of each bill (0 where nothing is owed).
    notices : tuple of ndarray
        Customer position and day of each disconnection notice.
    """

    customer: np.ndarray
    bill_col: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    channel: np.ndarray
    p_arrears: np.ndarray
    notices: tuple[np.ndarray, np.ndarray]


#: Log-odds added to a bill's arrears while its business is in financial distress.
DISTRESS_ARREARS = 1.5


def arrears_logit(pop: Population, arrears_before: np.ndarray, shock: np.ndarray,
                  distressed: np.ndarray | None = None) -> np.ndarray:
    """Log-odds that a bill falls into arrears, given whether the previous one did, its shock ratio and distress."""
    extra = 0.0 if distressed is None else DISTRESS_ARREARS * distressed
    return extra + (
        -2.6
        + _CLASS_SHIFT[pop.cls]
        + 5.5 * (0.55 - pop.credit)
        + arrears_before * (0.6 + 2.0 * (1.0 - pop.credit))
        + 0.9 * np.clip(np.log(shock), -0.5, 1.5)
        - 2.5 * pop.prepaid
        - 1.0 * (pop.channel == _DIRECT_DEBIT)
    )


def _settle_day(pop: Population, issued: np.ndarray, due: np.ndarray, arrears: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Day each bill is fully paid (``NEVER`` if not), given whether it falls into arrears."""
    n = len(pop)
    bad = 1.0 - pop.credit
    never = arrears & (rng.random(n) < 0.25 + 0.5 * bad)
    very_late = due + LATE_DAYS + 1 + np.minimum(np.exp(rng.normal(2.6 + 0.8 * bad, 0.7)), 365).astype(np.int64)
    a_bit_late = rng.random(n) < 0.04 + 0.3 * bad**2
    on_time = issued + (rng.random(n) ** (0.5 + 2.0 * pop.credit) * (due - issued + 1)).astype(np.int64)
    on_time = np.minimum(on_time, due)
    day = np.where(a_bit_late, due + rng.integers(1, LATE_DAYS + 1, n), on_time)
    day = np.where(pop.channel == _DIRECT_DEBIT, issued + 1, day)
    day = np.where(pop.prepaid, issued, day)
    return np.where(never, NEVER, np.where(arrears, very_late, day))


def _channels(pop: Population, customer: np.ndarray, day: np.ndarray, cal: Calendar,
              rng: np.random.Generator) -> np.ndarray:
    year = cal.start.year + (cal.start.day_of_year + day) / 365.25
    preferred = pop.channel[customer]
    offline = ~_ONLINE[preferred] & (preferred != _DIRECT_DEBIT)
    keep = np.where(offline, np.clip(0.85 - 0.1 * (year - 2019), 0.35, 0.85), 0.85)
    weights = _MIX_2020[None, :] * np.where(_ONLINE, 1.25, 1.0)[None, :] ** np.clip(year - 2020, -10, 10)[:, None]
    cum = np.cumsum(weights, axis=1)
    other = (cum < (rng.random(len(day)) * cum[:, -1])[:, None]).sum(axis=1)
    return np.where(rng.random(len(day)) < keep, preferred, other)


def simulate_payments(pop: Population, cal: Calendar, bills: Bills, rng: np.random.Generator) -> Payments:
    """Simulate the payment of every bill, month by month (vectorised over customers).

    Parameters
    ----------
    pop : Population
    cal : Calendar
    bills : Bills
    rng : numpy.random.Generator

    Returns
    -------
    Payments
    """
    n, m = bills.amount.shape
    owed = bills.valid & (bills.amount >= 0.01)
    p = np.zeros((n, m))
    settled = np.full((n, m), NEVER, dtype=np.int64)
    split = np.zeros((n, m), dtype=bool)
    first_day = np.zeros((n, m), dtype=np.int64)
    before = np.zeros(n, dtype=bool)
    notices: list[tuple[np.ndarray, np.ndarray]] = []
    for j in range(m):
        if j > 0:
            notices.append(_notice(pop, bills, settled, j, rng))
        logit = arrears_logit(pop, before, bills.shock[:, j], pop.distress_from <= bills.issued[:, j])
        p[:, j] = np.where(owed[:, j], 1.0 / (1.0 + np.exp(-logit)), 0.0)
        arrears = rng.random(n) < p[:, j]
        before = np.where(bills.valid[:, j], arrears, before)
        issued = bills.issued[:, j]
        settled[:, j] = np.where(owed[:, j], _settle_day(pop, issued, bills.due[:, j], arrears, rng), NEVER)
        paid = settled[:, j] < NEVER
        chance = np.where(paid, 0.04 + 0.1 * (1 - pop.credit), 0.33)
        split[:, j] = owed[:, j] & (bills.amount[:, j] >= 2) & (rng.random(n) < chance)
        first_day[:, j] = issued + np.where(paid, rng.random(n) * (settled[:, j] - issued + 1),
                                            rng.integers(0, 61, n)).astype(np.int64)
    first_amount = np.round(bills.amount * rng.uniform(0.2, 0.7, (n, m)), 2)

    paid = settled < NEVER
    two = split & paid & (first_day < settled)
    parts = (
        (paid & ~two, settled, bills.amount),
        (two | (split & ~paid), first_day, first_amount),  # a first part, or the only part of an unpaid bill
        (two, settled, bills.amount - first_amount),
    )
    customer, col, day, amount = (np.concatenate(x) for x in zip(
        *[(*np.nonzero(mask), when[mask], value[mask]) for mask, when, value in parts], strict=True))
    made = day < cal.n_days
    customer, col, day, amount = customer[made], col[made], day[made], amount[made]
    channel = _channels(pop, customer, day, cal, rng)
    on_debit = (pop.channel[customer] == _DIRECT_DEBIT) & (day == bills.issued[customer, col] + 1)
    channel = np.where(on_debit, _DIRECT_DEBIT, channel)
    who, when = (np.concatenate(x) for x in zip(*notices, strict=True)) if notices else (np.zeros(0, int),) * 2
    sent = when < cal.n_days
    return Payments(customer=customer, bill_col=col, day=day, amount=amount, channel=channel, p_arrears=p,
                    notices=(who[sent], when[sent]))


def _notice(pop: Population, bills: Bills, settled: np.ndarray, j: int,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Disconnection notices a few days after the billing day of month ``j``, and the arrears they recover.

    A notice goes to customers with two or more overdue unpaid bills that day; most of
    them (more so with good credit) then pay everything within days, which
    stays more than 15 days late. ``settled`` is updated in place.
    """
    day = bills.issued[:, j] + rng.integers(1, 6, len(bills.issued))
    overdue = (bills.due[:, :j] < day[:, None]) & (settled[:, :j] > day[:, None]) & (bills.amount[:, :j] > 0)
    who = np.flatnonzero(bills.valid[:, j] & (overdue.sum(axis=1) >= 2))
    when = day[who]
    pays = rng.random(len(who)) < 0.3 + 0.5 * pop.credit[who]
    catch_up = when + rng.integers(1, 11, len(who))
    rows, cols = np.nonzero(overdue[who] & pays[:, None])
    late_enough = bills.due[who[rows], cols] + LATE_DAYS + 1
    settled[who[rows], cols] = np.minimum(settled[who[rows], cols], np.maximum(catch_up[rows], late_enough))
    return who, when


def payments_frame(pay: Payments, bills: Bills, pop: Population, cal: Calendar) -> pd.DataFrame:
    """The ``payments`` table, ids in order of payment date."""
    bill_id = bills.bill_id[pay.customer, pay.bill_col]
    order = np.lexsort((bill_id, pop.ids[pay.customer], pay.day))
    return build_frame(
        PAYMENTS,
        {
            "payment_id": PAYMENT_ID_BASE + np.arange(len(order), dtype=np.int64),
            "bill_id": bill_id[order],
            "customer_id": pop.ids[pay.customer][order],
            "paid_on": cal.dates(pay.day[order]),
            "amount": pay.amount[order],
            "channel": pay.channel[order],
        },
    )
