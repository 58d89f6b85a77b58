"""Customer master data and each customer's latent traits.

:func:`draw_population` draws, for every account, what the utility records
(class, industry, region, supply station, capacity, voltage, connection date,
channel, household, prepaid) and what it does not see but what drives the
behaviour in the other tables: the latent segment, credit quality, price
sensitivity, satisfaction, consumption level and trend, weather
sensitivities, a possible level shift, vacancy spell or electricity theft,
and — for businesses — a possible financial distress that ends in the
business closing: from its onset the consumption declines towards a floor,
bills are paid late more often, and the account closes
:data:`DISTRESS_MIN_DAYS` days + an exponential time (mean
:data:`DISTRESS_MEAN_DAYS` days) later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.data.schemas import CUSTOMER_CLASSES, CUSTOMERS
from gridcrm.data.synth.calendar import Calendar
from gridcrm.data.synth.frames import build_frame
from gridcrm.data.synth.segments import CLASS_SHARES, SEGMENTS, TARIFFS, segment_array
from gridcrm.data.synth.weather import Climate

__all__ = ["Population", "draw_population", "customers_frame", "allocate_classes", "distress_factor", "distress_rate",
           "ID_BASE",
           "NEVER", "DISTRESS_RATE", "DISTRESS_MIN_DAYS", "DISTRESS_MEAN_DAYS"]

#: Customer ids are ``ID_BASE + 0 .. n - 1``.
ID_BASE = 10_000_000
#: Day offset standing for "never" (no closure, no shift, ...), far beyond any window.
NEVER = np.iinfo(np.int32).max

RES, COM, IND, AGR, BIG = range(len(CUSTOMER_CLASSES))
_YEARS_OF_HISTORY = 15
_RES_KVA = np.array([4, 6, 8, 10, 12, 16, 20], dtype=float)
# Channel weights (app, wechat, alipay, counter, bank, direct_debit, phone) of
# accounts opened long ago and recently, per class: young accounts go online.
_CHANNELS_OLD = np.array([
    [0.08, 0.15, 0.05, 0.32, 0.18, 0.17, 0.05],
    [0.05, 0.08, 0.02, 0.20, 0.35, 0.28, 0.02],
    [0.02, 0.03, 0.00, 0.15, 0.45, 0.33, 0.02],
    [0.03, 0.10, 0.05, 0.55, 0.20, 0.05, 0.02],
    [0.01, 0.02, 0.00, 0.07, 0.50, 0.40, 0.00],
])
_CHANNELS_YOUNG = np.array([
    [0.30, 0.35, 0.15, 0.05, 0.04, 0.08, 0.03],
    [0.20, 0.25, 0.10, 0.05, 0.20, 0.18, 0.02],
    [0.10, 0.10, 0.02, 0.05, 0.38, 0.33, 0.02],
    [0.15, 0.30, 0.10, 0.30, 0.10, 0.03, 0.02],
    [0.05, 0.05, 0.00, 0.02, 0.48, 0.40, 0.00],
])
_CREDIT_SHIFT = np.array([0.0, -0.25, 0.0, -0.35, 0.5])  # logit shift by class
_PRICE_SHIFT = np.array([{"small_household": 0.15, "second_home": -0.1, "shop": 0.1, "office": -0.05, "process": -0.15,
                           "batch": -0.15, "irrigation": 0.1}.get(s.name, 0.0) for s in SEGMENTS])
_TREND = np.array([[0.02, 0.04], [0.03, 0.07], [0.01, 0.08], [0.0, 0.05], [0.02, 0.05]])  # mean, sd per year
#: Yearly rate of the onset of financial distress (a business heading for closure) per class, for an
#: average customer of the class; poor credit and a falling trend raise it (see :func:`distress_rate`).
DISTRESS_RATE = np.array([0.0, 0.055, 0.035, 0.02, 0.015])
#: The account closes ``DISTRESS_MIN_DAYS`` + Exponential(``DISTRESS_MEAN_DAYS``) days after the onset.
DISTRESS_MIN_DAYS = 30
DISTRESS_MEAN_DAYS = 90.0
_DISTRESS_TAU = 45.0  # days over which consumption falls towards its floor
_DISTRESS_GRACE = 180  # no distress in the first half year after connection


@dataclass
class Population:
    """All customers, as parallel arrays indexed by position (``ids`` ascending).

    Day values are integer offsets from the calendar's ``start`` (negative:
    before the window); :data:`NEVER` means "does not happen".
    """

    ids: np.ndarray
    cls: np.ndarray
    seg: np.ndarray
    region: np.ndarray
    station: np.ndarray
    station_names: np.ndarray
    issue_day: np.ndarray
    due_days: np.ndarray
    industry: np.ndarray
    kva: np.ndarray
    voltage: np.ndarray
    conn: np.ndarray
    channel: np.ndarray
    household: np.ndarray
    prepaid: np.ndarray
    credit: np.ndarray
    price_sens: np.ndarray
    satisfaction: np.ndarray
    base: np.ndarray
    trend: np.ndarray
    heat: np.ndarray
    cool: np.ndarray
    noise: np.ndarray
    shift_day: np.ndarray
    shift_factor: np.ndarray
    vacant_from: np.ndarray
    vacant_to: np.ndarray
    vacant_factor: np.ndarray
    theft_from: np.ndarray
    theft_to: np.ndarray
    theft_factor: np.ndarray
    theft_detected: np.ndarray
    distress_from: np.ndarray
    distress_to: np.ndarray
    distress_floor: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def allocate_classes(n: int) -> np.ndarray:
    """Number of customers of each class: the target mix, at least one of each class from 50 customers.

    Examples
    --------
    >>> allocate_classes(100).tolist()
    [80, 12, 5, 2, 1]
    >>> allocate_classes(50).tolist()
    [39, 6, 3, 1, 1]
    """
    share = np.array(list(CLASS_SHARES.values()))
    counts = np.floor(share * n).astype(np.int64)
    remainder = share * n - counts
    for k in np.argsort(-remainder, kind="stable")[: n - counts.sum()]:
        counts[k] += 1
    if n >= 50:
        for k in np.flatnonzero(counts == 0):
            counts[k] = 1
            counts[RES] -= 1
    return counts


def _pick(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One category per row of a (n, k) weight matrix."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1)


def _segments(cls: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    seg_cls = np.array([CUSTOMER_CLASSES.index(s.customer_class) for s in SEGMENTS])
    weights = np.where(seg_cls[None, :] == cls[:, None], segment_array("share")[None, :], 0.0)
    return _pick(rng, weights)


def _stations(region: np.ndarray, names: tuple[str, ...], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """5–20 supply stations per region, of unequal size; each customer's station and its billing calendar."""
    per_region = rng.integers(5, 21, len(names))
    first = np.cumsum(per_region) - per_region
    station_names = np.array([f"{name}_ss{k + 1:02d}" for name, size in zip(names, per_region, strict=True)
                              for k in range(size)], dtype=object)
    u = rng.random(len(region))
    station = np.empty(len(region), dtype=np.int64)
    for r, size in enumerate(per_region):  # a loop over regions
        cum = np.cumsum((1.0 + np.arange(size)) ** -0.7)
        mine = region == r
        station[mine] = first[r] + np.minimum(np.searchsorted(cum / cum[-1], u[mine], side="right"), size - 1)
    issue_day = rng.integers(3, 6, len(station_names))[station]
    due_days = rng.integers(15, 21, len(station_names))[station]
    return station, station_names, issue_day, due_days


def _capacity(cls: np.ndarray, base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(cls)
    need = base * rng.uniform(0.6, 1.4, n)
    res = _RES_KVA[np.minimum(np.searchsorted(_RES_KVA, need), len(_RES_KVA) - 1)]
    lognormal = {COM: (60, 0.9, 10, 500, 5), IND: (630, 0.9, 100, 5000, 10), AGR: (25, 0.7, 5, 100, 1),
                 BIG: (6300, 0.8, 1000, 50000, 100)}
    kva = res.copy()
    for c, (median, sd, lo, hi, step) in lognormal.items():
        draw = np.clip(np.round(median * np.exp(rng.normal(0, sd, n)) / step) * step, lo, hi)
        kva = np.where(cls == c, draw, kva)
    return kva


def _voltage(cls: np.ndarray, kva: np.ndarray) -> np.ndarray:
    big = np.select([kva < 8000, kva < 20000], [10.0, 35.0], 110.0)
    return np.select(
        [cls == RES, cls == COM, cls == IND, cls == AGR],
        [0.22, np.where(kva <= 100, 0.38, 10.0), np.where(kva < 315, 0.38, 10.0), np.where(kva < 10, 0.22, 0.38)],
        big,
    )


def _household(seg_name: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(seg_name)
    draws = {
        "small_household": 1 + rng.integers(0, 2, n),
        "family": 3 + rng.integers(0, 3, n),
        "high_consumption": 3 + np.minimum(rng.poisson(1.5, n), 20),
        "electric_heating": 2 + rng.integers(0, 4, n),
        "second_home": 1 + rng.integers(0, 3, n),
    }
    out = np.full(n, np.nan)
    for name, size in draws.items():
        out = np.where(seg_name == name, size, out)
    return out


def _industry(seg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A code drawn uniformly from each customer's segment list; None where the list is empty."""
    codes = np.array([c for s in SEGMENTS for c in s.industry] + [None], dtype=object)
    size = np.array([len(s.industry) for s in SEGMENTS])
    first = np.cumsum(size) - size
    pick = first[seg] + (rng.random(len(seg)) * size[seg]).astype(np.int64)
    return codes[np.where(size[seg] > 0, pick, len(codes) - 1)]


def distress_rate(cls: np.ndarray, credit: np.ndarray, trend: np.ndarray) -> np.ndarray:
    """Daily hazard of the onset of financial distress (0 for homes).

    Examples
    --------
    >>> rate = distress_rate(np.array([0, 1]), np.array([0.7, 0.7]), np.array([0.0, 0.0]))
    >>> float(rate[0]), bool(0.03 < rate[1] * 365.25 < 0.08)
    (0.0, True)
    """
    return DISTRESS_RATE[cls] * np.exp(3.0 * (0.7 - credit) - 5.0 * trend) / 365.25


def distress_factor(days_since_onset: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Consumption factor ``days_since_onset`` days into a distress: from 1 down towards ``floor``.

    Examples
    --------
    >>> distress_factor(np.array([0.0, 45.0, 365.0]), np.array([0.3, 0.3, 0.3])).round(2).tolist()
    [1.0, 0.56, 0.3]
    """
    return floor + (1.0 - floor) * np.exp(-np.maximum(days_since_onset, 0.0) / _DISTRESS_TAU)


def _spells(n: int, p: np.ndarray, lo: int, hi: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Which customers have a spell (with probability ``p``) and its first day, uniform in ``[lo, hi)``."""
    has = rng.random(n) < p
    first = rng.integers(lo, max(hi, lo + 1), n)
    return has, np.where(has, first, NEVER)


def draw_population(n: int, cal: Calendar, climate: Climate, rng: np.random.Generator) -> Population:
    """Draw ``n`` customers with their recorded attributes and latent traits.

    Parameters
    ----------
    n : int
        Number of customers.
    cal : Calendar
    climate : Climate
        Supplies the region names and customer weights.
    rng : numpy.random.Generator

    Returns
    -------
    Population
    """
    cls = rng.permutation(np.repeat(np.arange(len(CUSTOMER_CLASSES)), allocate_classes(n))).astype(np.int64)
    seg = _segments(cls, rng)
    seg_name = np.array([s.name for s in SEGMENTS])[seg]
    region = rng.choice(len(climate.names), size=n, p=climate.weight)
    station, station_names, issue_day, due_days = _stations(region, climate.names, rng)

    # Connection date: density rising 3 % a year over the last 15 years up to `end`.
    g = 0.03
    t = np.log1p(rng.random(n) * np.expm1(g * _YEARS_OF_HISTORY)) / g
    conn = np.round(cal.n_days - 1 - (_YEARS_OF_HISTORY - t) * 365.25).astype(np.int64)
    age_at_end = (cal.n_days - 1 - conn) / 365.25

    household = _household(seg_name, rng)
    hh_ref = np.select([seg_name == "family", seg_name == "high_consumption"], [4.0, 4.5], 2.0)
    lo, hi = segment_array("level").T
    level = np.exp(rng.uniform(np.log(lo[seg]), np.log(hi[seg])))
    res_base = level * np.where(np.isnan(household), 1.0, household / hh_ref) ** 0.35
    kva = _capacity(cls, res_base, rng)
    base = np.where(cls == RES, res_base, level * kva * 24.0)

    draw = np.clip(rng.beta(5.0, 2.0, n), 1e-6, 1 - 1e-6)
    logit = np.log(draw / (1.0 - draw))
    logit += 0.05 * np.minimum(age_at_end, 10) - 0.3 * (age_at_end < 1) + _CREDIT_SHIFT[cls]
    logit -= 0.15 * np.char.endswith(np.array(climate.names), "county")[region]
    credit = 1.0 / (1.0 + np.exp(-logit))
    price_sens = rng.beta(2.0, 3.0, n) + _PRICE_SHIFT[seg]
    youth = np.exp(-age_at_end / 4.0)[:, None]
    channel = _pick(rng, _CHANNELS_OLD[cls] * (1 - youth) + _CHANNELS_YOUNG[cls] * youth)
    p_prepaid = np.select([cls == RES, cls == COM], [0.08 + 0.25 * (1 - credit), 0.06], 0.0)
    industry = _industry(seg, rng)

    trend = np.clip(rng.normal(_TREND[cls, 0], _TREND[cls, 1]), -0.3, 0.3)
    heat = segment_array("heat")[seg] * np.exp(rng.normal(0, 0.3, n))
    cool = segment_array("cool")[seg] * np.exp(rng.normal(0, 0.3, n))
    noise = segment_array("noise")[seg] * rng.uniform(0.8, 1.2, n)

    has_shift, shift_day = _spells(n, np.full(n, 0.08), 30, cal.n_sim - 30, rng)
    up = rng.random(n) < 0.6
    jump = np.where(up, np.abs(rng.normal(0.3, 0.15, n)), -np.abs(rng.normal(0.25, 0.1, n)))
    shift_factor = np.where(has_shift, np.exp(np.where(cls == RES, rng.normal(0, 0.3, n), jump)), 1.0)

    p_vacant = np.where(cls == RES, np.where(seg_name == "second_home", 0.4, 0.02), 0.0)
    has_vacancy, vacant_from = _spells(n, p_vacant, -60, cal.n_sim, rng)
    vacant_to = np.where(has_vacancy, vacant_from + rng.integers(30, 241, n), NEVER)
    vacant_factor = np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0.02, 0.08, n))

    p_theft = np.where(cls == BIG, 0.0, np.minimum(0.004 * ((1 - credit) / 0.3) ** 2, 0.04))
    has_theft, theft_from = _spells(n, p_theft, 60, cal.n_days - 30, rng)
    theft_from = np.where(has_theft & (theft_from >= np.maximum(conn, 0) + 30), theft_from, NEVER)
    found = theft_from + 30 + rng.exponential(120.0, n).astype(np.int64)
    theft_detected = (theft_from < NEVER) & (rng.random(n) < 0.65) & (found < cal.n_days)
    theft_to = np.where(theft_detected, found, NEVER)

    # Financial distress of businesses: onset after a memoryless wait (from 90 days before the window,
    # not in an account's first half year), closure DISTRESS_MIN_DAYS + an exponential time later.
    rate = distress_rate(cls, credit, trend)
    lo = np.maximum(conn + _DISTRESS_GRACE, -90)
    wait = rng.exponential(1.0, n) / np.maximum(rate, 1e-300)
    onset = lo + np.floor(np.minimum(wait, 10 * cal.n_sim)).astype(np.int64)
    has_distress = (rate > 0) & (onset < cal.n_sim)
    distress_from = np.where(has_distress, onset, NEVER)
    lag = DISTRESS_MIN_DAYS + np.floor(rng.exponential(DISTRESS_MEAN_DAYS, n)).astype(np.int64)
    distress_to = np.where(has_distress, np.maximum(onset + lag, 1), NEVER)
    distress_floor = rng.uniform(0.15, 0.5, n)

    return Population(
        ids=ID_BASE + np.arange(n, dtype=np.int64), cls=cls, seg=seg, region=region, station=station,
        station_names=station_names, issue_day=issue_day, due_days=due_days, industry=industry, kva=kva,
        voltage=_voltage(cls, kva), conn=conn, channel=channel, household=household,
        prepaid=rng.random(n) < p_prepaid, credit=credit, price_sens=np.clip(price_sens, 0.0, 1.0),
        satisfaction=rng.beta(5.0, 2.0, n), base=base, trend=trend, heat=heat, cool=cool, noise=noise,
        shift_day=shift_day, shift_factor=shift_factor, vacant_from=vacant_from, vacant_to=vacant_to,
        vacant_factor=vacant_factor, theft_from=theft_from, theft_to=theft_to,
        theft_factor=rng.uniform(0.3, 0.6, n), theft_detected=theft_detected,
        distress_from=distress_from, distress_to=distress_to, distress_floor=distress_floor,
    )


def customers_frame(pop: Population, cal: Calendar, region_names: tuple[str, ...], closed: np.ndarray) -> pd.DataFrame:
    """The ``customers`` table.

    Parameters
    ----------
    pop : Population
    cal : Calendar
    region_names : tuple of str
    closed : ndarray of int
        Day offset of ``closed_on`` per customer, :data:`NEVER` while open.
    """
    closed_on = np.where(closed < NEVER, cal.dates(np.minimum(closed, cal.n_sim)), np.datetime64("NaT", "ns"))
    return build_frame(
        CUSTOMERS,
        {
            "customer_id": pop.ids,
            "customer_class": pop.cls,
            "industry_code": pop.industry,
            "region": np.array(region_names, dtype=object)[pop.region],
            "supply_station": pop.station_names[pop.station],
            "tariff": np.array(TARIFFS, dtype=object)[pop.cls],
            "contracted_kva": pop.kva,
            "voltage_kv": pop.voltage,
            "connected_on": cal.dates(pop.conn),
            "closed_on": closed_on,
            "preferred_channel": pop.channel,
            "household_size": pop.household,
            "prepaid": pop.prepaid,
        },
    )
