"""Realistic interval load of utility customers, for benchmarks only — written independently of gridcrm's generator.

gridcrm's own synthetic interval load (``gridcrm.data.synth.interval``) spreads a metered daily
total over an hourly step shape per segment. This module builds load the other way round, from
the shapes utilities publish for their load-research classes, so that a forecaster tuned on one
is checked on the other:

* **residential**: night base, a morning bump, a high evening peak (18:00–22:00), later mornings
  and a midday bump at weekends; air conditioning on hot afternoons and evenings, heating on
  cold evenings;
* **office**: a logistic ramp-up around 08:00 and ramp-down around 18:00 with a lunch dip; a low
  base at weekends and on holidays; cooling proportional to the heat during opening hours;
* **three-shift industry**: flat load with short dips at the 06:00/14:00/22:00 shift changes,
  lower on Sundays for some plants, shut down (a skeleton load) over the national holidays, and
  production level shifts (an order book that moves by ±10–25 % a few times a year);
* **retail**: open 09:00–21:00 every day, busier at weekends and on holidays.

Every day is scaled by a day-level AR(1) factor (weather and activity), every interval by an
interval-level AR(1) multiplicative noise, and a few meter-level spikes are added. Chinese public
holidays of 2024 (with the adjusted working Saturdays/Sundays) are built in as a table below, not
read from any package. Everything is driven by one seed.

Examples
--------
>>> df = interval_load(n_customers=4, start="2024-08-05", weeks=2, seed=1)
>>> sorted(df.columns), len(df) == 4 * 14 * 96
(['kind', 'ds', 'unique_id', 'y'], True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["KINDS", "interval_load", "CN_HOLIDAYS_2024", "CN_WORKDAYS_2024"]

KINDS = ("residential", "office", "industry3", "retail")

#: Chinese public holidays of 2024 (days off) and the adjusted working weekend days.
CN_HOLIDAYS_2024 = pd.to_datetime(
    ["2024-01-01"] + [f"2024-02-{d:02d}" for d in range(10, 18)] + ["2024-04-04", "2024-04-05", "2024-04-06"]
    + [f"2024-05-0{d}" for d in range(1, 6)] + ["2024-06-10", "2024-09-15", "2024-09-16", "2024-09-17"]
    + [f"2024-10-0{d}" for d in range(1, 8)]
)
CN_WORKDAYS_2024 = pd.to_datetime(["2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11",
                                   "2024-09-14", "2024-09-29", "2024-10-12"])


def _bump(hour: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((hour - centre) / width) ** 2)


def _logistic(hour: np.ndarray, at: float, steep: float = 2.5) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-steep * (hour - at)))


def _shape(kind: str, hour: np.ndarray, day_type: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Relative load (T,) of one customer; ``day_type`` 0 working day, 1 Saturday, 2 Sunday/holiday."""
    h = (hour - shift) % 24
    off = day_type > 0
    if kind == "residential":
        work = 0.35 + 0.35 * _bump(h, 7.3, 1.0) + 0.95 * _bump(h, 19.8, 1.7) + 0.15 * _bump(h, 12.5, 1.5)
        rest = 0.38 + 0.25 * _bump(h, 9.5, 1.6) + 0.35 * _bump(h, 13.0, 2.0) + 0.95 * _bump(h, 19.5, 1.9)
        return np.where(off, rest, work)
    if kind == "office":
        open_ = _logistic(h, 8.0) * (1 - _logistic(h, 18.2)) * (1 - 0.18 * _bump(h, 12.5, 0.6))
        sat = np.where(day_type == 1, 0.12, 0.0)
        return 0.22 + np.where(off, sat * open_, 0.85 * open_)
    if kind == "industry3":
        dips = 1 - 0.18 * (_bump(h, 6.0, 0.25) + _bump(h, 14.0, 0.25) + _bump(h, 22.0, 0.25))
        return 1.0 * dips
    # retail
    open_ = _logistic(h, 9.0, 3.0) * (1 - _logistic(h, 21.0, 3.0))
    return 0.25 + open_ * np.where(off, 1.0, 0.8)


def _ar1(rng: np.random.Generator, n: int, m: int, phi: float, sd: float) -> np.ndarray:
    """``m`` AR(1) paths of length ``n`` (stationary start), shape (n, m)."""
    e = rng.normal(0.0, sd, (n, m))
    out = np.empty((n, m))
    out[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + e[t]
    return out


def interval_load(
    n_customers: int = 40,
    *,
    start: str = "2024-06-03",
    weeks: int = 21,
    per_day: int = 96,
    kinds: tuple[str, ...] = KINDS,
    seed: int = 0,
) -> pd.DataFrame:
    """Interval load (kW) of ``n_customers`` customers of the given ``kinds`` (cycled), ``per_day`` steps a day.

    Returns a long frame ``unique_id, ds, y, kind``.
    """
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, periods=weeks * 7, freq="D")
    n_days, T = len(days), weeks * 7 * per_day
    ds = pd.date_range(start, periods=T, freq=pd.Timedelta(days=1) / per_day)
    hour = (np.arange(T) % per_day) * 24.0 / per_day
    dow = np.repeat(days.dayofweek.to_numpy(), per_day)
    holiday = np.repeat(days.isin(CN_HOLIDAYS_2024), per_day)
    workday = np.repeat(days.isin(CN_WORKDAYS_2024), per_day)
    day_type = np.where(holiday, 2, np.where(workday, 0, np.where(dow == 6, 2, np.where(dow == 5, 1, 0))))
    # weather: a seasonal cycle (summer peak late July), multi-day anomalies, a diurnal swing
    doy = np.repeat(days.dayofyear.to_numpy(), per_day)
    anomaly = np.repeat(_ar1(rng, n_days, 1, 0.8, 1.8)[:, 0], per_day)
    temp = 17 + 11 * np.cos(2 * np.pi * (doy - 205) / 365) + anomaly + 4 * np.sin(2 * np.pi * (hour - 9) / 24)
    cool = np.maximum(temp - 26, 0)
    heat = np.maximum(12 - temp, 0)
    frames = []
    day_noise = np.repeat(_ar1(rng, n_days, n_customers, 0.6, 0.05), per_day, axis=0)
    step_noise = _ar1(rng, T, n_customers, 0.85, 0.05 if per_day >= 96 else 0.04)
    for i in range(n_customers):
        kind = kinds[i % len(kinds)]
        size = float(np.exp(rng.normal(np.log(200 if kind != "residential" else 20), 0.6)))
        shift = np.full(T, rng.normal(0, 0.4))
        shape = _shape(kind, hour, day_type, shift)
        if kind == "industry3":
            sunday_cut = rng.uniform(0.0, 0.4)
            shape = shape * np.where((dow == 6) & ~workday, 1 - sunday_cut, 1.0)
            shape = shape * np.where(holiday, rng.uniform(0.25, 0.6), 1.0)
            level = np.ones(T)
            for _ in range(rng.poisson(0.6 * weeks / 13)):
                at = rng.integers(per_day * 7, T)
                level[at:] *= 1 + rng.choice([-1, 1]) * rng.uniform(0.1, 0.25)
            shape = shape * level
        hot = 0.02 * rng.uniform(0.5, 1.5) * cool * (1 if kind in ("residential", "office", "retail") else 0.2)
        if kind == "office":
            hot = hot * (shape > 0.5)
        cold = 0.015 * rng.uniform(0.5, 1.5) * heat * (kind == "residential")
        y = size * (shape + hot + cold) * np.exp(day_noise[:, i] + step_noise[:, i])
        spikes = rng.random(T) < 2e-4
        y = np.where(spikes, y * rng.uniform(2, 4, T), y)
        frames.append(pd.DataFrame({"unique_id": f"{kind}-{i:03d}", "ds": ds, "y": y, "kind": kind}))
    return pd.concat(frames, ignore_index=True)
