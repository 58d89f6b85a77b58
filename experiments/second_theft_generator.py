"""A second, independent generator of daily reads with thefts, written differently from gridcrm's (#16).

Not derived from :mod:`gridcrm.data.synth`: no segments, no shared day factors, no peer
structure by construction. Each customer's log daily kWh is

    log(base) + amplitude · cos(2π (doy - peak_day) / 365) + weekday effect + AR(1) noise (φ = 0.7)

with its *own* seasonal amplitude and peak day (a home heated by gas peaks in summer, one heated
electrically in winter; shops and workshops with a random weekly profile), and

* thefts (1 %): a meter bypass taking a share U(0.15, 0.55) of the load, from an onset uniform in the
  second year; 40 % of them ramp up over 14-90 days; none are recorded;
* legitimate changes (12 %): a household or business change multiplying the load by
  exp(N(0, 0.35)) from one day on (half of them downwards);
* vacancies (2 %): the load falls to 0-10 % for 30-200 days;
* rooftop solar (3 %): up to 2-8 kWh/day less, more in summer, floored at zero;
* missing reads (1 % of days, in runs).

Extended for realism in the #16 follow-up (the draws come after all the earlier ones, so every
earlier draw is what it was; written without looking at gridcrm's version): a legitimate change is
a new occupant, whose weekly profile is drawn afresh from its class's distribution and whose seasonal
amplitude is drawn afresh (same peak day: same climate); and 40 % of the thefts of commercial and
industrial customers bypass a machine used on the customer's busier weekdays (weekly effect above its
mean), so on its quieter days only a fifth of the share is taken.

``python experiments/second_theft_generator.py`` prints a summary of one draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.data import validate_tables


def second_generator(n: int = 20_000, start: str = "2023-01-01", days: int = 730, seed: int = 0,
                     theft_rate: float = 0.01) -> tuple[object, pd.DataFrame]:
    """Draw an extract (``customers`` + ``meter_daily`` only) and its truth.

    Returns
    -------
    dataset : gridcrm Dataset
    truth : DataFrame
        Indexed by ``customer_id``: ``theft_from``, ``theft_found_on`` (always NaT), ``theft_share``,
        ``legit_from`` (a legitimate change, a vacancy or solar), ``legit_kind``.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days)
    doy = dates.dayofyear.to_numpy()
    dow = dates.dayofweek.to_numpy()
    ids = np.arange(500_000, 500_000 + n)
    kind = rng.choice(["residential", "commercial", "industrial"], size=n, p=[0.85, 0.12, 0.03])
    base = np.where(kind == "residential", rng.gamma(3.0, 3.0, n), rng.gamma(2.0, 40.0, n))
    amp = rng.normal(0.0, 0.25, n)
    peak = rng.uniform(0, 365, n)
    week = np.where(kind[:, None] == "residential", rng.normal(0, 0.08, (n, 7)), rng.normal(0, 0.3, (n, 7)))
    week -= week.mean(axis=1, keepdims=True)
    noise = np.empty((n, days))
    e = rng.normal(0, 0.18, (n, days))
    noise[:, 0] = e[:, 0]
    for t in range(1, days):  # AR(1) over days, vectorised over customers
        noise[:, t] = 0.7 * noise[:, t - 1] + e[:, t]
    logk = np.log(base)[:, None] + amp[:, None] * np.cos(2 * np.pi * (doy[None, :] - peak[:, None]) / 365.0)
    kwh = np.exp(logk + week[np.arange(n)[:, None], dow[None, :]] + noise * np.sqrt(1 - 0.49))
    day = np.arange(days)[None, :]

    u = rng.random(n)
    theft = u < theft_rate
    legit_change = (u >= theft_rate) & (u < theft_rate + 0.12)
    vacancy = (u >= theft_rate + 0.12) & (u < theft_rate + 0.14) & (kind == "residential")
    solar = (u >= theft_rate + 0.14) & (u < theft_rate + 0.17)
    onset = rng.integers(365, days - 30, n)
    share = rng.uniform(0.15, 0.55, n)
    ramp = np.where(rng.random(n) < 0.4, rng.integers(14, 91, n), 1)
    frac = np.clip((day - onset[:, None] + 1) / ramp[:, None], 0.0, 1.0)
    kwh *= np.where(theft[:, None], 1.0 - share[:, None] * frac, 1.0)
    legit_from = rng.integers(60, days - 30, n)
    after = day >= legit_from[:, None]
    kwh *= np.where(legit_change[:, None] & after, np.exp(rng.normal(0, 0.35, n))[:, None], 1.0)
    vac_len = rng.integers(30, 201, n)
    vac = vacancy[:, None] & after & (day < (legit_from + vac_len)[:, None])
    kwh = np.where(vac, kwh * rng.uniform(0.0, 0.1, n)[:, None], kwh)
    sun = rng.uniform(2, 8, n)[:, None] * (0.6 + 0.4 * np.cos(2 * np.pi * (doy[None, :] - 172) / 365.0))
    kwh = np.where(solar[:, None] & after, np.maximum(kwh - sun * rng.uniform(0.2, 1, (n, days)), 0.0), kwh)
    kwh = np.round(kwh, 2)
    gone = rng.random((n, days)) < 0.01

    # realism (#16 follow-up), drawn after everything above
    week_new = np.where(kind[:, None] == "residential", rng.normal(0, 0.08, (n, 7)), rng.normal(0, 0.3, (n, 7)))
    week_new -= week_new.mean(axis=1, keepdims=True)
    amp_new = rng.normal(0.0, 0.25, n)
    machine = theft & (kind != "residential") & (rng.random(n) < 0.4)
    rows = np.flatnonzero(legit_change)
    occupant = np.exp(week_new[rows][:, dow] - week[rows][:, dow]
                      + (amp_new[rows] - amp[rows])[:, None] * np.cos(2 * np.pi * (doy[None, :] - peak[rows, None]) / 365.0))
    kwh[rows] = np.round(np.where(after[rows], kwh[rows] * occupant, kwh[rows]), 2)
    rows = np.flatnonzero(machine)
    quiet = week[rows][:, dow] <= 0.0
    taken = share[rows, None] * frac[rows]
    kwh[rows] = np.round(np.where(quiet, kwh[rows] * (1.0 - 0.2 * taken) / np.maximum(1.0 - taken, 1e-6), kwh[rows]), 2)

    customers = pd.DataFrame({
        "customer_id": ids, "customer_class": kind, "industry_code": None,
        "region": rng.choice(["north", "south", "east", "west"], size=n), "supply_station": "s1",
        "tariff": "flat", "contracted_kva": np.maximum(base * 0.5, 4.0).round(1), "voltage_kv": 0.38,
        "connected_on": "2015-01-01", "closed_on": None, "preferred_channel": "app",
    })
    rows, cols = np.nonzero(~gone)
    meter = pd.DataFrame({"customer_id": ids[rows], "date": dates[cols], "kwh": kwh[rows, cols]})
    ds = validate_tables({"customers": customers, "meter_daily": meter},
                         extracted_on=(dates[-1] + pd.Timedelta(days=1)).date().isoformat())
    legit_kind = np.select([legit_change, vacancy, solar], ["change", "vacancy", "solar"], "")
    truth = pd.DataFrame({
        "theft_from": pd.to_datetime(np.where(theft, dates[np.minimum(onset, days - 1)], pd.NaT)),
        "theft_found_on": pd.NaT,
        "theft_share": np.where(theft, share, np.nan),
        "legit_from": pd.to_datetime(np.where(legit_kind != "", dates[np.minimum(legit_from, days - 1)], pd.NaT)),
        "legit_kind": legit_kind,
    }, index=pd.Index(ids, name="customer_id"))
    return ds, truth


if __name__ == "__main__":
    ds, truth = second_generator(2000, seed=1)
    print(ds.summary())
    print(truth["legit_kind"].value_counts(), truth["theft_from"].notna().sum(), "thefts")
