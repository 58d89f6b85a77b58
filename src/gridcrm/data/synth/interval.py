"""15-minute interval load of the largest customers.

The interval customers are the largest open accounts by contracted capacity
(large-industry, industrial and big commercial accounts in practice). Each
day's 96 values follow the customer's segment load shape (shifts, office
hours, continuous process...), moved by a few intervals per customer and
perturbed interval by interval, then scaled so that ``sum(kw) × 0.25 h``
equals that day's metered kWh. Reactive power follows from a per-customer
power factor (0.80–0.98) with a little interval noise.

All interval customers have the last ``interval_days`` days; the
:data:`LONG_HISTORY_CUSTOMERS` largest of them (by kVA) also have the
:data:`LONG_HISTORY_DAYS` days before the end, so that a weekly-seasonal
forecast of 15-minute load (8 weeks of history, a week judged) can be made
at an ``as_of`` months before the extract (the demo's 2024-10-01). Those
extra days are drawn after all the others, so the last ``interval_days``
days are the same as without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.data.schemas import LOAD_INTERVAL
from gridcrm.data.synth.calendar import Calendar
from gridcrm.data.synth.consumption import MeterStore
from gridcrm.data.synth.customers import NEVER, Population
from gridcrm.data.synth.frames import build_frame
from gridcrm.data.synth.segments import SEGMENTS

__all__ = ["interval_customers", "interval_frame", "load_shapes", "LONG_HISTORY_CUSTOMERS", "LONG_HISTORY_DAYS"]

#: Interval customers (the largest by kVA) with a long interval history.
LONG_HISTORY_CUSTOMERS = 10
#: Days of that long history, ending on the extract's last day (22 weeks).
LONG_HISTORY_DAYS = 154

_QUARTER_NS = 15 * 60 * 10**9
_HOURLY = {
    "office": [.25] * 7 + [.45, .8, 1, 1, 1, .85, .95, 1, 1, 1, .9, .6, .4, .3, .3, .25, .25],
    "shop": [.2] * 8 + [.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, .9, .6, .3],
    "hospitality": [.5] * 6 + [.7, .9, .8, .7, .7, .9, 1, .8, .7, .7, .8, 1.1, 1.2, 1.2, 1.1, 1, .8, .6],
    "one_shift": [.15] * 8 + [1, 1, 1, 1, .7, 1, 1, 1, 1, .4] + [.15] * 6,
    "two_shift": [.3] * 7 + [.6, 1, 1, 1, 1, .85, 1, 1, 1, .85, 1, 1, 1, 1, 1, 1, .9],
    "continuous": [1] * 7 + [.95] + [1] * 7 + [.95] + [1] * 7 + [.95],
    "process": [1] * 24,
    "batch": [.55] * 7 + [.8] + [1] * 16,
    "irrigation": [.4] * 6 + [1] * 12 + [.4] * 6,
    "livestock": [.9] * 6 + [1.1] * 12 + [.9] * 6,
    "residential": [.3] * 6 + [.6, .7, .5, .5, .5, .6, .6, .5, .5, .5, .6, .9, 1.2, 1.2, 1.1, 1, .8, .5],
}


def load_shapes() -> np.ndarray:
    """Typical 96-interval load shape of each segment (mean 1), shape (n_segments, 96).

    Examples
    --------
    >>> shapes = load_shapes()
    >>> shapes.shape, bool(np.allclose(shapes.mean(axis=1), 1.0))
    ((15, 96), True)
    """
    hourly = np.array([_HOURLY.get(s.name, _HOURLY["residential"]) for s in SEGMENTS], dtype=float)
    shapes = np.repeat(hourly, 4, axis=1)
    return shapes / shapes.mean(axis=1, keepdims=True)


def interval_customers(pop: Population, closed: np.ndarray, n_interval: int) -> np.ndarray:
    """Positions of the ``n_interval`` largest accounts open at the end (by kVA, then id), ascending."""
    open_ = np.flatnonzero(closed == NEVER)
    ranked = open_[np.lexsort((pop.ids[open_], -pop.kva[open_]))]
    return np.sort(ranked[:n_interval])


def interval_frame(pop: Population, who: np.ndarray, store: MeterStore, cal: Calendar, interval_days: int,
                   rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``load_interval`` table for customers ``who`` over the last ``interval_days`` days.

    Intervals exist for the days with a (non-missing) daily read. Memory is
    about 3 kB per customer-day.

    Returns
    -------
    frame : DataFrame
    power_factor : ndarray
        Each interval customer's mean power factor.
    """
    power_factor = rng.uniform(0.80, 0.98, len(who))
    rows, owner = store.tail(who, cal.n_days - interval_days, cal.start_ns)
    read = ~np.isnan(store.kwh[rows])
    rows, owner = rows[read], owner[read]
    shifts = rng.integers(-4, 5, len(who))
    frame = _intervals(pop, who, store, rows, owner, shifts, power_factor, rng)
    long_days = min(LONG_HISTORY_DAYS, cal.n_days)
    if LONG_HISTORY_CUSTOMERS and long_days > interval_days and len(who):
        k = min(LONG_HISTORY_CUSTOMERS, len(who))
        big = np.sort(np.lexsort((pop.ids[who], -pop.kva[who]))[:k])
        lrows, lown = store.tail(who[big], cal.n_days - long_days, cal.start_ns)
        earlier = store.date[lrows] < cal.start_ns + (cal.n_days - interval_days) * 86_400 * 10**9
        keep = earlier & ~np.isnan(store.kwh[lrows])
        extra = _intervals(pop, who, store, lrows[keep], big[lown[keep]], shifts, power_factor, rng)
        frame = pd.concat([extra, frame], ignore_index=True)
        frame = frame.sort_values(["customer_id", "timestamp"], kind="stable").reset_index(drop=True)
    return frame, power_factor


def _intervals(pop: Population, who: np.ndarray, store: MeterStore, rows: np.ndarray, owner: np.ndarray,
               shifts: np.ndarray, power_factor: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """The 96 intervals of each daily read ``rows`` of customer ``who[owner]``."""
    seg = pop.seg[who][owner]
    shift = shifts[owner]
    quarter = np.arange(96)
    shape = load_shapes()[seg[:, None], (quarter[None, :] - shift[:, None]) % 96]
    jitter = (0.5 * np.array([s.noise for s in SEGMENTS]))[seg]
    shape *= np.exp(rng.normal(0.0, 1.0, shape.shape) * jitter[:, None])
    kw = np.round(4.0 * store.kwh[rows][:, None] * shape / shape.sum(axis=1, keepdims=True), 3)
    pf = np.clip(power_factor[owner][:, None] + rng.normal(0.0, 0.01, kw.shape), 0.7, 0.999)
    kvar = np.round(kw * np.sqrt(1.0 - pf**2) / pf, 3)
    timestamp = store.date[rows][:, None] + quarter[None, :] * _QUARTER_NS
    frame = build_frame(
        LOAD_INTERVAL,
        {
            "customer_id": np.repeat(store.customer_id[rows], 96),
            "timestamp": timestamp.reshape(-1).view("datetime64[ns]"),
            "kw": kw.reshape(-1),
            "kvar": kvar.reshape(-1),
        },
    )
    return frame
