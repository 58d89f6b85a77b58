"""Theft, meter faults and legitimate drops injected into the daily reads (#16), from the ``anomaly`` stream.

The base population (:mod:`gridcrm.data.synth.customers`) already has a few
thefts (about 0.4 % of customers; a bypass of 40–70 % of the load from
``theft_from`` until found) drawn from the ``customers`` stream; they stay
exactly as they are. On top of them, drawn from the ``anomaly`` stream only:

* **more thefts**, up to ``theft_rate`` of the customers (default 1 %), chosen
  with weight ``(1 - credit)²`` among customers that are not large industry,
  each a *partial* bypass of 20–60 % of the load, of three kinds: ``abrupt``
  (40 %), ``gradual`` (30 %: the share grows linearly over 30–120 days) and
  ``intermittent`` (30 %: on for 40–80 % of each 14–42-day cycle). 65 % are
  found (recorded in ``events``) 30 days + an exponential (mean 120 days) after
  the onset, if before ``end`` and before a closure; the theft stops when found.
* **meter faults** (0.3 %): ``stuck`` (the register repeats one read for 20–150
  days) or ``slow`` (reads 40–80 % of the energy for 60–300 days, until repaired).
* **confounders** — legitimate drops: ``solar`` (1.5 % of homes and shops: the
  day's rooftop generation, 20–60 % of the base level at the summer solstice,
  seasonal and cloudy-day noisy, is subtracted, reads floored at 0) and
  ``retrofit`` (2 % of all but large industry: efficiency work or a heat pump
  replaced cuts 10–30 % of the load from one day on).

The ground truth says which is which (``theft_kind``, ``theft_share``,
``fault_kind``, ``fault_from``, ``fault_to``, ``confounder``,
``confounder_from``); thefts keep ``truth.theft_from`` / ``theft_found_on``.
Reads are changed in place in the meter store and the monthly totals (bills)
follow; nothing else is drawn again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.data.synth.calendar import DAY_NS, Calendar
from gridcrm.data.synth.consumption import MeterStore, ranges
from gridcrm.data.synth.customers import BIG, COM, NEVER, RES, Population

__all__ = ["Anomalies", "inject_anomalies", "anomaly_truth", "THEFT_KINDS", "FAULT_KINDS", "CONFOUNDERS",
           "DEFAULT_THEFT_RATE"]

#: Theft rate of the generator by default (share of customers with a theft in the window).
DEFAULT_THEFT_RATE = 0.01
#: Kinds of theft in ``truth.theft_kind`` (code 1, 2, ...; 0 = none, NaN in the truth).
THEFT_KINDS: tuple[str, ...] = ("bypass", "abrupt", "gradual", "intermittent")
FAULT_KINDS: tuple[str, ...] = ("stuck", "slow")
CONFOUNDERS: tuple[str, ...] = ("solar", "retrofit")
_FAULT_RATE = 0.003
_SOLAR_RATE = 0.015
_RETROFIT_RATE = 0.02


@dataclass
class Anomalies:
    """Per-customer anomaly draws (code k > 0 is entry k - 1 of :data:`THEFT_KINDS`, ...; 0 = none)."""

    theft_kind: np.ndarray
    theft_share: np.ndarray
    ramp_days: np.ndarray
    period: np.ndarray
    on_share: np.ndarray
    fault_kind: np.ndarray
    fault_from: np.ndarray
    fault_to: np.ndarray
    fault_factor: np.ndarray
    confounder: np.ndarray
    confounder_from: np.ndarray
    confounder_size: np.ndarray


def _draw(pop: Population, cal: Calendar, closed: np.ndarray, rng: np.random.Generator,
          theft_rate: float) -> Anomalies:
    n = len(pop)
    legacy = pop.theft_from < NEVER
    start = np.maximum(pop.conn, 0) + 30
    onset = rng.integers(60, max(cal.n_days - 30, 61), n)
    eligible = (pop.cls != BIG) & ~legacy & (onset >= start) & (onset < np.minimum(closed, cal.n_days))
    n_new = int(min(max(round(theft_rate * n) - int(legacy.sum()), 0), eligible.sum()))
    # weighted sampling without replacement from a fixed number of draws (Efraimidis-Spirakis keys u^(1/w)),
    # so that the draws after it do not depend on the theft rate
    weight = np.where(eligible, np.maximum((1.0 - pop.credit) ** 2, 1e-12), 0.0)
    with np.errstate(divide="ignore"):
        key = np.where(eligible, np.log(rng.random(n)) / np.where(eligible, weight, 1.0), -np.inf)
    new = np.zeros(n, dtype=bool)
    if n_new > 0:
        new[np.argsort(-key, kind="stable")[:n_new]] = True
    kind_draw = rng.random(n)
    kind = np.where(new, np.select([kind_draw < 0.4, kind_draw < 0.7], [2, 3], 4), np.where(legacy, 1, 0))
    share = np.where(new, rng.uniform(0.2, 0.6, n), np.where(legacy, 1.0 - pop.theft_factor, 0.0))
    found = onset + 30 + rng.exponential(120.0, n).astype(np.int64)
    detected = new & (rng.random(n) < 0.65) & (found < cal.n_days) & (found < closed)
    pop.theft_from = np.where(new, onset, pop.theft_from)
    pop.theft_to = np.where(new, np.where(detected, found, NEVER), pop.theft_to)
    pop.theft_detected = np.where(new, detected, pop.theft_detected)

    fault = (rng.random(n) < _FAULT_RATE) & ~(kind > 0)
    fault_kind = np.where(fault, np.where(rng.random(n) < 0.5, 1, 2), 0)
    fault_from = np.where(fault, rng.integers(30, max(cal.n_days - 10, 31), n), NEVER)
    length = np.where(fault_kind == 1, rng.integers(20, 151, n), rng.integers(60, 301, n))
    fault_to = np.where(fault, fault_from + length, NEVER)

    which = rng.random(n)
    solar = (which < _SOLAR_RATE) & np.isin(pop.cls, (RES, COM))
    retrofit = (which >= _SOLAR_RATE) & (which < _SOLAR_RATE + _RETROFIT_RATE) & (pop.cls != BIG)
    conf = np.where(solar, 1, np.where(retrofit, 2, 0)) * ~(kind > 0) * ~fault
    conf_from = np.where(conf > 0, rng.integers(30, max(cal.n_days - 10, 31), n), NEVER)
    size = np.where(conf == 1, rng.uniform(0.2, 0.6, n), rng.uniform(0.1, 0.3, n))
    return Anomalies(theft_kind=kind, theft_share=share, ramp_days=rng.integers(30, 121, n),
                     period=rng.integers(14, 43, n), on_share=rng.uniform(0.4, 0.8, n), fault_kind=fault_kind,
                     fault_from=fault_from, fault_to=fault_to, fault_factor=rng.uniform(0.4, 0.8, n),
                     confounder=conf, confounder_from=conf_from, confounder_size=size)


def inject_anomalies(pop: Population, cal: Calendar, store: MeterStore, closed: np.ndarray,
                     rng: np.random.Generator, theft_rate: float = DEFAULT_THEFT_RATE) -> Anomalies:
    """Draw the extra thefts, faults and confounders and apply them to the reads of ``store`` (in place).

    ``pop.theft_from``/``theft_to``/``theft_detected`` gain the new thefts (so ``events`` records the
    found ones). Monthly totals change by the change of the reads.
    """
    an = _draw(pop, cal, closed, rng, theft_rate)
    touched = np.flatnonzero((an.theft_kind >= 2) | (an.fault_kind > 0) | (an.confounder > 0))
    if len(touched) == 0:
        return an
    first = store.first_row[touched]
    rows, owner = ranges(first, first + store.counts[touched])
    cust = touched[owner]
    day = (store.date[rows] - cal.start_ns) // DAY_NS
    old = store.kwh[rows].copy()
    new = old.copy()

    k = an.theft_kind[cust]
    t0, t1 = pop.theft_from[cust], pop.theft_to[cust]
    active = (k >= 2) & (day >= t0) & (day < t1)
    since = day - np.where(active, t0, 0)
    ramp = np.where(k == 3, np.clip(since / an.ramp_days[cust], 0.0, 1.0), 1.0)
    on = np.where(k == 4, (since % an.period[cust]) < an.on_share[cust] * an.period[cust], True)
    new = np.where(active, new * (1.0 - an.theft_share[cust] * ramp * on), new)

    fk = an.fault_kind[cust]
    in_fault = (fk > 0) & (day >= an.fault_from[cust]) & (day < an.fault_to[cust])
    new = np.where(in_fault & (fk == 2), new * an.fault_factor[cust], new)
    stuck = in_fault & (fk == 1)
    if stuck.any():
        frozen = pd.Series(new[stuck]).groupby(cust[stuck]).transform("first").to_numpy()
        new[stuck] = frozen

    c = an.confounder[cust]
    after = (c > 0) & (day >= an.confounder_from[cust])
    doy = cal.doy[np.clip(day, 0, len(cal.doy) - 1)]
    cloud = rng.uniform(0.3, 1.0, len(rows))
    solar = an.confounder_size[cust] * pop.base[cust] * (0.75 + 0.25 * np.cos(2 * np.pi * (doy - 172) / 365.25))
    new = np.where(after & (c == 1), np.maximum(new - solar * cloud, 0.0), new)
    new = np.where(after & (c == 2), new * (1.0 - an.confounder_size[cust]), new)
    new = np.round(new, 2)
    store.kwh[rows] = new

    month = np.searchsorted(cal.month_hi, day, side="right")
    delta = np.nan_to_num(new) - np.nan_to_num(old)
    np.add.at(store.month_kwh, (cust, month), delta)
    np.maximum(store.month_kwh, 0.0, out=store.month_kwh)
    return an


def anomaly_truth(an: Anomalies, cal: Calendar) -> pd.DataFrame:
    """Truth columns of the anomalies, one row per customer (in population order)."""

    def dates(days: np.ndarray) -> np.ndarray:
        valid = days < NEVER
        return np.where(valid, cal.dates(np.where(valid, np.minimum(days, cal.n_sim - 1), 0)),
                        np.datetime64("NaT", "ns"))

    return pd.DataFrame({
        "theft_kind": pd.Categorical.from_codes(an.theft_kind - 1, categories=list(THEFT_KINDS)),
        "theft_share": np.where(an.theft_kind > 0, an.theft_share, np.nan),
        "fault_kind": pd.Categorical.from_codes(an.fault_kind - 1, categories=list(FAULT_KINDS)),
        "fault_from": dates(an.fault_from),
        "fault_to": dates(an.fault_to),
        "confounder": pd.Categorical.from_codes(an.confounder - 1, categories=list(CONFOUNDERS)),
        "confounder_from": dates(an.confounder_from),
    })
