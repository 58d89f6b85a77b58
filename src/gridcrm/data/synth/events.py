"""Risk events: electricity theft, violations, disconnection notices and blacklist entries.

* ``theft``: recorded when an inspection finds it (most thefts are found within
  months); the thief's metered kWh drops from the start of the theft until it
  is found. Thieves are mostly customers of poor credit. Each detection also
  puts the account on the blacklist.
* ``violation``: capacity overruns, unauthorised load, seal damage; rare,
  commoner for business accounts and poor credit.
* ``disconnection``: notices sent when two or more bills are overdue.
* ``blacklist``: repeated non-payers (at their third notice) and found thieves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.data.schemas import EVENT_KINDS, EVENTS
from gridcrm.data.synth.calendar import DAY_NS, Calendar
from gridcrm.data.synth.customers import Population
from gridcrm.data.synth.frames import build_frame

__all__ = ["events_frame"]

THEFT, VIOLATION, DISCONNECTION, BLACKLIST = range(len(EVENT_KINDS))
# Violations a year per class (residential .. large_industry), for an account of average credit.
_VIOLATION_RATE = np.array([0.002, 0.01, 0.02, 0.005, 0.03])
_DETAILS = {
    THEFT: ("meter bypassed", "magnet found on meter", "illegal hook-up to the line", "meter tampered (seal broken)"),
    VIOLATION: ("load above contracted capacity", "unauthorised capacity increase", "tariff category misuse",
                "meter seal damaged"),
    DISCONNECTION: ("notice: two months of arrears", "notice: arrears overdue, supply will be cut"),
    BLACKLIST: ("repeated non-payment",),
}
_THEFT_BLACKLIST = "electricity theft"


def _third_notice(customer: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Customers reaching their third disconnection notice, and that notice's day."""
    order = np.lexsort((day, customer))
    customer, day = customer[order], day[order]
    rank = np.arange(len(customer)) - np.searchsorted(customer, customer, side="left")
    third = rank == 2
    return customer[third], day[third]


def events_frame(pop: Population, cal: Calendar, closed: np.ndarray, notices: tuple[np.ndarray, np.ndarray],
                 rng: np.random.Generator) -> pd.DataFrame:
    """The ``events`` table, sorted by (customer_id, at, kind).

    Parameters
    ----------
    pop : Population
    cal : Calendar
    closed : ndarray of int
        ``closed_on`` day offset per customer (``NEVER`` while open).
    notices : tuple of ndarray
        Customer positions and days of the disconnection notices.
    rng : numpy.random.Generator
    """
    n = len(pop)
    found = np.flatnonzero(pop.theft_detected)
    found_day = pop.theft_to[found]

    first = np.maximum(pop.conn, 0)
    last = np.minimum(closed, cal.n_days)
    years = np.maximum(last - first, 0) / 365.25
    count = rng.poisson(_VIOLATION_RATE[pop.cls] * years * (1.5 - pop.credit) / 0.75)
    violator = np.repeat(np.arange(n), count)
    violation_day = first[violator] + (rng.random(len(violator)) * (last - first)[violator]).astype(np.int64)

    notice_who, notice_day = notices
    listed, listed_day = _third_notice(notice_who, notice_day)
    blacklist_theft = found_day + rng.integers(1, 11, len(found))

    customer = np.concatenate([found, violator, notice_who, listed, found])
    day = np.concatenate([found_day, violation_day, notice_day, listed_day + 1, blacklist_theft])
    kind = np.repeat([THEFT, VIOLATION, DISCONNECTION, BLACKLIST, BLACKLIST],
                     [len(found), len(violator), len(notice_who), len(listed), len(found)])
    keep = (day < cal.n_days) & (day <= closed[customer])
    customer, day, kind = customer[keep], day[keep], kind[keep]
    is_theft_listing = np.zeros(len(keep), dtype=bool)
    is_theft_listing[len(keep) - len(found) :] = True
    is_theft_listing = is_theft_listing[keep]

    office = rng.integers(8 * 3600, 18 * 3600, len(day))
    at = cal.start_ns + day * DAY_NS + office * 10**9
    detail = np.empty(len(day), dtype=object)
    pick = rng.random(len(day))
    for k, options in _DETAILS.items():
        rows = np.flatnonzero(kind == k)
        detail[rows] = np.array(options, dtype=object)[(pick[rows] * len(options)).astype(int)]
    detail[is_theft_listing] = _THEFT_BLACKLIST

    ids = pop.ids[customer]
    order = np.lexsort((kind, at, ids))
    ids, at, kind, detail = ids[order], at[order], kind[order], detail[order]
    unique = np.ones(len(ids), dtype=bool)
    unique[1:] = (ids[1:] != ids[:-1]) | (at[1:] != at[:-1]) | (kind[1:] != kind[:-1])
    return build_frame(
        EVENTS,
        {"customer_id": ids[unique], "at": at[unique].view("datetime64[ns]"), "kind": kind[unique],
         "detail": detail[unique]},
    )

