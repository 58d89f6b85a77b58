"""Hard daily consumption series, for benchmarks only — a second generator, written independently of gridcrm's.

Each series is a customer's daily kWh over ``days`` days built as a product of parts, each drawn
at proportions seen in utilities' meter data (not gridcrm's generator, which simulates a
population, weather and bills):

* a base level (log-normal across customers) and a weekly profile of one of three kinds
  (households: flat with a weekend rise; businesses: a deep weekend trough; plants: a Sunday dip);
* a temperature response (cooling and/or heating degree-days of a shared, noisy annual cycle);
* **level shifts** (35 % of series: one or two permanent steps of ±15–60 %);
* **trend breaks** (20 %: a slope that starts at a random day, ±10–40 % a year);
* **vacancy** (12 %: one to three periods of 1–8 weeks at 2–8 % of the level);
* **holiday dips** (Chinese public holidays: businesses and plants at 20–60 %, households up to +15 %);
* **noise that grows with the level**: multiplicative log-normal noise with a day-level AR(1)
  and a standard deviation of 6–25 %, plus a few missing reads (1 % of series lose 2–10 % of days).

Examples
--------
>>> df = hard_daily(n_series=5, days=120, seed=3)
>>> df["unique_id"].nunique(), bool((df["y"].dropna() >= 0).all())
(5, True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["hard_daily", "HOLIDAYS"]

#: Chinese public holidays (days off) 2023–2024.
HOLIDAYS = pd.to_datetime(
    ["2023-01-02"] + [f"2023-01-{d}" for d in range(21, 28)] + ["2023-04-05"] + [f"2023-04-{d}" for d in range(29, 31)]
    + [f"2023-05-0{d}" for d in range(1, 4)] + ["2023-06-22", "2023-06-23", "2023-06-24"]
    + ["2023-09-29", "2023-09-30"] + [f"2023-10-0{d}" for d in range(1, 7)]
    + ["2024-01-01"] + [f"2024-02-{d}" for d in range(10, 18)] + ["2024-04-04", "2024-04-05", "2024-04-06"]
    + [f"2024-05-0{d}" for d in range(1, 6)] + ["2024-06-10", "2024-09-15", "2024-09-16", "2024-09-17"]
    + [f"2024-10-0{d}" for d in range(1, 8)]
)

_WEEK = {
    "household": np.array([1.0, 0.98, 0.98, 1.0, 1.03, 1.12, 1.15]),
    "business": np.array([1.05, 1.08, 1.08, 1.07, 1.05, 0.45, 0.30]),
    "plant": np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.92, 0.70]),
}


def hard_daily(n_series: int = 200, *, days: int = 730, end: str = "2024-12-31", seed: int = 0) -> pd.DataFrame:
    """Daily kWh of ``n_series`` hard customers over the ``days`` days ending on ``end``: ``unique_id, ds, y, kind``."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(end=end, periods=days, freq="D")
    t = np.arange(days)
    dow = ds.dayofweek.to_numpy()
    hol = ds.isin(HOLIDAYS)
    doy = ds.dayofyear.to_numpy()
    anomaly = np.zeros(days)
    shocks = rng.normal(0, 1.6, days)
    for i in range(1, days):
        anomaly[i] = 0.75 * anomaly[i - 1] + shocks[i]
    temp = 16 + 12 * np.cos(2 * np.pi * (doy - 200) / 365.25) + anomaly
    cdd, hdd = np.maximum(temp - 24, 0), np.maximum(14 - temp, 0)
    kinds = rng.choice(list(_WEEK), n_series, p=[0.55, 0.3, 0.15])
    out = []
    for j in range(n_series):
        kind = kinds[j]
        level = np.full(days, float(np.exp(rng.normal(np.log(30 if kind == "household" else 400), 0.8))))
        shape = _WEEK[kind][dow] * rng.uniform(0.9, 1.1, 7)[dow] ** 0.5
        weather = 1 + rng.uniform(0, 0.05) * cdd + rng.uniform(0, 0.03) * hdd * (kind == "household")
        if rng.random() < 0.35:
            for _ in range(rng.integers(1, 3)):
                at = rng.integers(30, days - 10)
                level[at:] *= 1 + rng.choice([-1, 1]) * rng.uniform(0.15, 0.6)
        if rng.random() < 0.20:
            at = rng.integers(60, days - 30)
            level[at:] *= 1 + rng.choice([-1, 1]) * rng.uniform(0.1, 0.4) * (t[at:] - at) / 365
        vacant = np.ones(days)
        if rng.random() < 0.12:
            for _ in range(rng.integers(1, 4)):
                at, span = rng.integers(0, days - 7), rng.integers(7, 57)
                vacant[at : at + span] = rng.uniform(0.02, 0.08)
        holiday = np.where(hol, rng.uniform(1.0, 1.15) if kind == "household" else rng.uniform(0.2, 0.6), 1.0)
        sd = rng.uniform(0.06, 0.25)
        e = np.zeros(days)
        z = rng.normal(0, sd, days)
        phi = rng.uniform(0.0, 0.6)
        for i in range(1, days):
            e[i] = phi * e[i - 1] + z[i] * np.sqrt(1 - phi**2)
        y = np.maximum(level, 0.1) * shape * weather * vacant * holiday * np.exp(e)
        if rng.random() < 0.01:
            y[rng.random(days) < rng.uniform(0.02, 0.10)] = np.nan
        out.append(pd.DataFrame({"unique_id": f"hard-{j:04d}", "ds": ds, "y": y, "kind": kind, "temperature": temp}))
    return pd.concat(out, ignore_index=True)
