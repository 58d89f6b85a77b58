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

Realism of both sides (#16, drawn from the ``realism`` stream, appended last, so every
other stream gives the numbers it gave; :func:`draw_realism`):

* a **legitimate level shift leaves the traces it leaves in the world**
  (:func:`reshape_shifts`): in a home, a step is a change of household (someone
  moves out or in, a new tenant) and the new household lives differently — its
  weekend/weekday ratio changes (a factor ``exp(N(0, 0.2))`` on weekends and
  holidays) and its heating and cooling response is its own (the heat and cool
  sensitivities times ``exp(N(0, 0.4))``); 40 % of them change the account holder
  (a ``name_transfer`` application, :func:`~gridcrm.data.synth.contacts.shift_applications`);
  half of them leave the home empty for 3–30 days between the two households
  (standby load, 2–10 % of the day's load, before the step).
  A business that grows or shrinks does it on its working days (a line, a
  shift, a floor); its rest days (holidays and the segment's quiet weekdays)
  change by only 10–50 % of the step, and half of the downsizings apply first to
  reduce their contracted capacity. The decline of a business in financial
  distress is the same: fewer shifts and customers, the standby load stays, so
  its rest days lose that share of the decline.
* **retrofits**: in half of the retrofits of temperature-sensitive customers (the
  heating or cooling part is on average at least 10 % of the load) the work is a
  heat pump or insulation, which cuts 40–80 % of the temperature-driven part of
  each day (truth ``retrofit_kind`` ``heating``), not a share of everything;
* **thefts**: half of the abrupt and gradual bypasses take one circuit instead of
  a share of everything (truth ``theft_circuit``): a business with quiet days
  bypasses a machine of its working hours (the share is stolen on working days,
  a fifth of it on rest days), a temperature-sensitive customer the heating or
  air-conditioning circuit (the stolen share follows the temperature-driven
  part of the day, its mean over the window is ``theft_share``). Slow meters
  stay proportional: that is what they do.

The ground truth says which is which (``theft_kind``, ``theft_share``,
``theft_circuit``, ``fault_kind``, ``fault_from``, ``fault_to``, ``confounder``,
``confounder_from``, ``retrofit_kind``); thefts keep ``truth.theft_from`` /
``theft_found_on``. Reads are changed in place in the meter store and the
monthly totals (bills) follow; nothing else is drawn again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.data.synth.calendar import DAY_NS, Calendar
from gridcrm.data.synth.consumption import CAP_FACTOR, MeterStore, ranges
from gridcrm.data.synth.customers import BIG, COM, NEVER, RES, Population, distress_factor
from gridcrm.data.synth.segments import segment_array
from gridcrm.data.synth.weather import Climate

__all__ = ["Anomalies", "Realism", "inject_anomalies", "anomaly_truth", "draw_realism", "reshape_shifts",
           "THEFT_KINDS", "FAULT_KINDS", "CONFOUNDERS", "THEFT_CIRCUITS", "RETROFIT_KINDS", "DEFAULT_THEFT_RATE"]

#: Theft rate of the generator by default (share of customers with a theft in the window).
DEFAULT_THEFT_RATE = 0.01
#: Kinds of theft in ``truth.theft_kind`` (code 1, 2, ...; 0 = none, NaN in the truth).
THEFT_KINDS: tuple[str, ...] = ("bypass", "abrupt", "gradual", "intermittent")
FAULT_KINDS: tuple[str, ...] = ("stuck", "slow")
CONFOUNDERS: tuple[str, ...] = ("solar", "retrofit")
#: The circuit a theft takes instead of a share of everything (``truth.theft_circuit``; NaN: a share of all).
THEFT_CIRCUITS: tuple[str, ...] = ("working_hours", "heating_cooling")
#: What a retrofit cuts (``truth.retrofit_kind``): a share of everything, or of the temperature-driven part.
RETROFIT_KINDS: tuple[str, ...] = ("efficiency", "heating")
_CIRCUIT_SHARE = 0.5
_HEATING_RETROFIT_SHARE = 0.5
_TEMPERATURE_SENSITIVE = 0.10  # mean temperature-driven share of the load above which heating work is possible
_REST_THEFT = 0.2  # share of a working-hours bypass left on rest days
_MOVE_GAP_SHARE = 0.5  # household changes with an empty home between the two households
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
    theft_circuit: np.ndarray | None = None
    retrofit_kind: np.ndarray | None = None
    mean_temperature_share: np.ndarray | None = None


@dataclass
class Realism:
    """Per-customer draws of the ``realism`` stream (see the module docstring), all of length ``n``."""

    heat_mult: np.ndarray
    cool_mult: np.ndarray
    weekend_tilt: np.ndarray
    rest_share: np.ndarray
    circuit_u: np.ndarray
    retrofit_u: np.ndarray
    retrofit_cut: np.ndarray
    move_u: np.ndarray
    move_days: np.ndarray
    move_standby: np.ndarray


def draw_realism(n: int, rng: np.random.Generator) -> Realism:
    """Draw the realism traits of ``n`` customers (a fixed number of draws: nothing depends on other arguments).

    Examples
    --------
    >>> r = draw_realism(3, np.random.default_rng(0))
    >>> r.rest_share.shape, bool(((r.rest_share >= 0.1) & (r.rest_share <= 0.5)).all())
    ((3,), True)
    """
    return Realism(heat_mult=np.exp(rng.normal(0.0, 0.4, n)), cool_mult=np.exp(rng.normal(0.0, 0.4, n)),
                   weekend_tilt=np.exp(rng.normal(0.0, 0.2, n)), rest_share=rng.uniform(0.1, 0.5, n),
                   circuit_u=rng.random(n), retrofit_u=rng.random(n), retrofit_cut=rng.uniform(0.4, 0.8, n),
                   move_u=rng.random(n), move_days=rng.integers(3, 31, n), move_standby=rng.uniform(0.02, 0.1, n))


def _weather_term(pop: Population, climate: Climate, cust: np.ndarray, day: np.ndarray,
                  heat_mult: np.ndarray | float = 1.0, cool_mult: np.ndarray | float = 1.0) -> np.ndarray:
    """``1 + heat × HDD + cool × CDD`` of each (customer, day) pair, as in the base consumption."""
    reg = pop.region[cust]
    return 1.0 + pop.heat[cust] * heat_mult * climate.hdd[reg, day] + pop.cool[cust] * cool_mult * climate.cdd[reg, day]


def _mean_temperature_share(pop: Population, climate: Climate, who: np.ndarray, n_days: int) -> np.ndarray:
    """Mean over the window's days of the temperature-driven share ``(w - 1) / w`` of the load of ``who``."""
    reg = pop.region[who]
    w = (1.0 + pop.heat[who, None] * climate.hdd[reg, :n_days] + pop.cool[who, None] * climate.cdd[reg, :n_days])
    return ((w - 1.0) / w).mean(axis=1) if len(who) else np.zeros(0)


def _rest_day(pop: Population, cal: Calendar, cust: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Holidays and the weekdays on which the customer's segment uses less than 85 % of its busiest day."""
    weekly = segment_array("weekly")
    seg = pop.seg[cust]
    return cal.holiday[day] | (weekly[seg, cal.dow[day]] < 0.85 * weekly.max(axis=1)[seg])


def _customer_rows(store: MeterStore, cal: Calendar, who: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    first = store.first_row[who]
    rows, owner = ranges(first, first + store.counts[who])
    return rows, who[owner], (store.date[rows] - cal.start_ns) // DAY_NS


def _write(store: MeterStore, cal: Calendar, rows: np.ndarray, cust: np.ndarray, day: np.ndarray,
           old: np.ndarray, new: np.ndarray) -> None:
    """Write the new reads and move the monthly totals (bills) by the change."""
    store.kwh[rows] = new
    month = np.searchsorted(cal.month_hi, day, side="right")
    delta = np.nan_to_num(new) - np.nan_to_num(old)
    np.add.at(store.month_kwh, (cust, month), delta)
    np.maximum(store.month_kwh, 0.0, out=store.month_kwh)


def reshape_shifts(pop: Population, cal: Calendar, climate: Climate, store: MeterStore, realism: Realism) -> None:
    """Give every level shift the pattern of what it is in the world (in place; see the module docstring).

    A home's step is a new household (half of them after 3-30 empty days at standby load): from
    ``shift_day`` its weekend/holiday reads change by
    ``weekend_tilt`` (normalised so the week's mean keeps the step) and its weather term is that of new
    heat and cool sensitivities. A business's step is on its working days: on its rest days the step is
    ``1 + (factor - 1) × rest_share``, and so is the decline of a business in financial distress (its
    :func:`~gridcrm.data.synth.customers.distress_factor`). Reads stay within the contracted capacity and the
    register's 0.01 kWh.
    """
    distressed = (pop.distress_from < cal.n_days) & (pop.cls != RES)
    touched = np.flatnonzero(((pop.shift_day < cal.n_days) | distressed) & (store.counts > 0))
    if len(touched) == 0:
        return
    rows, cust, day = _customer_rows(store, cal, touched)
    # half of the household changes leave the home empty for 3-30 days between the two households
    move = (pop.cls[cust] == RES) & (realism.move_u[cust] < _MOVE_GAP_SHARE)
    empty = move & (day >= pop.shift_day[cust] - realism.move_days[cust]) & (day < pop.shift_day[cust])
    old = store.kwh[rows[empty]].copy()  # standby (a fridge, a router): a share of the day's load, not a constant
    _write(store, cal, rows[empty], cust[empty], day[empty], old, np.round(old * realism.move_standby[cust[empty]], 2))
    after = (day >= pop.shift_day[cust]) | (distressed[cust] & (day >= pop.distress_from[cust]))
    rows, cust, day = rows[after], cust[after], day[after]
    old = store.kwh[rows].copy()
    shifted = day >= pop.shift_day[cust]
    f = np.where(shifted, pop.shift_factor[cust], 1.0)
    tilt = realism.weekend_tilt[cust]
    weekend = (cal.dow[day] >= 5) | cal.holiday[day]
    home = (_weather_term(pop, climate, cust, day, realism.heat_mult[cust], realism.cool_mult[cust])
            / _weather_term(pop, climate, cust, day) * np.where(weekend, tilt, 1.0) / ((5.0 + 2.0 * tilt) / 7.0))
    # a business changes its working days: its rest days move by rest_share of the step or of the decline
    declining = distressed[cust] & (day >= pop.distress_from[cust])
    fd = np.where(declining, distress_factor(day - pop.distress_from[cust], pop.distress_floor[cust]), 1.0)
    rest_share = realism.rest_share[cust]
    business = np.where(_rest_day(pop, cal, cust, day),
                        (1.0 + (f - 1.0) * rest_share) * (1.0 + (fd - 1.0) * rest_share) / (f * fd), 1.0)
    g = np.where(pop.cls[cust] == RES, np.where(shifted, home, 1.0), business)
    new = np.minimum(np.round(old * g, 2), pop.kva[cust] * CAP_FACTOR)
    _write(store, cal, rows, cust, day, old, new)


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


def _circuits(pop: Population, cal: Calendar, climate: Climate, an: Anomalies, realism: Realism) -> None:
    """Which thefts take one circuit and which retrofits cut the temperature-driven part (sets ``an``'s codes)."""
    n = len(pop)
    weekly = segment_array("weekly")
    quiet_days = (weekly < 0.85 * weekly.max(axis=1)[:, None]).any(axis=1)[pop.seg]
    circuit = np.zeros(n, dtype=np.int64)
    retrofit = np.where(an.confounder == 2, 1, 0)
    steady = np.isin(an.theft_kind, (2, 3)) & (realism.circuit_u < _CIRCUIT_SHARE)
    circuit[steady & (pop.cls != RES) & quiet_days] = 1
    rest = np.flatnonzero(steady & (circuit == 0))
    heated = np.flatnonzero(an.confounder == 2)
    share = _mean_temperature_share(pop, climate, np.concatenate([rest, heated]), cal.n_days)
    circuit[rest[share[: len(rest)] >= 1.5 * _TEMPERATURE_SENSITIVE]] = 2
    heat_work = heated[(share[len(rest):] >= _TEMPERATURE_SENSITIVE)
                       & (realism.retrofit_u[heated] < _HEATING_RETROFIT_SHARE)]
    retrofit[heat_work] = 2
    an.theft_circuit, an.retrofit_kind = circuit, retrofit
    an.mean_temperature_share = np.zeros(n)
    an.mean_temperature_share[np.concatenate([rest, heated])] = share


def inject_anomalies(pop: Population, cal: Calendar, store: MeterStore, closed: np.ndarray,
                     rng: np.random.Generator, theft_rate: float = DEFAULT_THEFT_RATE, *,
                     climate: Climate | None = None, realism: Realism | None = None) -> Anomalies:
    """Draw the extra thefts, faults and confounders and apply them to the reads of ``store`` (in place).

    ``pop.theft_from``/``theft_to``/``theft_detected`` gain the new thefts (so ``events`` records the
    found ones). Monthly totals change by the change of the reads. With ``climate`` and ``realism``
    (:func:`draw_realism`), half of the steady thefts take one circuit and half of the retrofits of
    temperature-sensitive customers cut the temperature-driven part (module docstring); without them
    every theft and retrofit takes a share of everything.
    """
    an = _draw(pop, cal, closed, rng, theft_rate)
    n = len(pop)
    if climate is not None and realism is not None:
        _circuits(pop, cal, climate, an, realism)
    else:
        an.theft_circuit = np.zeros(n, dtype=np.int64)
        an.retrofit_kind = np.where(an.confounder == 2, 1, 0)
    touched = np.flatnonzero((an.theft_kind >= 2) | (an.fault_kind > 0) | (an.confounder > 0))
    if len(touched) == 0:
        return an
    rows, cust, day = _customer_rows(store, cal, touched)
    old = store.kwh[rows].copy()
    new = old.copy()

    k = an.theft_kind[cust]
    t0, t1 = pop.theft_from[cust], pop.theft_to[cust]
    active = (k >= 2) & (day >= t0) & (day < t1)
    since = day - np.where(active, t0, 0)
    ramp = np.where(k == 3, np.clip(since / an.ramp_days[cust], 0.0, 1.0), 1.0)
    on = np.where(k == 4, (since % an.period[cust]) < an.on_share[cust] * an.period[cust], True)
    stolen = an.theft_share[cust] * ramp * on
    circuit = an.theft_circuit[cust]
    if (circuit > 0).any():
        assert climate is not None  # circuits are only drawn with a climate
        rest_day = _rest_day(pop, cal, cust, day)
        temp_part = 1.0 - 1.0 / _weather_term(pop, climate, cust, np.clip(day, 0, cal.n_sim - 1))
        assert an.mean_temperature_share is not None
        mean_part = np.maximum(an.mean_temperature_share[cust], 1e-6)
        stolen = np.where(circuit == 1, np.where(rest_day, _REST_THEFT * stolen, stolen), stolen)
        stolen = np.where(circuit == 2, np.minimum(stolen * temp_part / mean_part, 0.9), stolen)
    new = np.where(active, new * (1.0 - stolen), new)

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
    cut = an.confounder_size[cust]
    if (an.retrofit_kind[cust] == 2).any():
        assert climate is not None and realism is not None
        temp_part = 1.0 - 1.0 / _weather_term(pop, climate, cust, np.clip(day, 0, cal.n_sim - 1))
        cut = np.where(an.retrofit_kind[cust] == 2, realism.retrofit_cut[cust] * temp_part, cut)
    new = np.where(after & (c == 2), new * (1.0 - cut), new)
    new = np.round(new, 2)
    _write(store, cal, rows, cust, day, old, new)
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
        "theft_circuit": pd.Categorical.from_codes(_codes(an.theft_circuit, an.theft_kind) - 1,
                                                   categories=list(THEFT_CIRCUITS)),
        "retrofit_kind": pd.Categorical.from_codes(_codes(an.retrofit_kind, an.confounder) - 1,
                                                   categories=list(RETROFIT_KINDS)),
    })


def _codes(codes: np.ndarray | None, like: np.ndarray) -> np.ndarray:
    return np.zeros(len(like), dtype=np.int64) if codes is None else np.asarray(codes, dtype=np.int64)
