"""A hand-made extract with known anomalies: 40 residential peers in one region, two years of reads."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.data import validate_tables

AS_OF = pd.Timestamp("2025-01-01")
DAYS = pd.date_range("2023-01-01", "2024-12-31")
THIEF, VACANT, STUCK, SEASONAL = 1000, 1001, 1002, 1003
THEFT_ONSET = pd.Timestamp("2024-07-01")


def make_tables(seed: int = 0) -> dict[str, pd.DataFrame]:
    """40 customers following one seasonal profile; 1000 loses half from THEFT_ONSET, 1001 reads zero from
    2024-09-01 (vacant), 1002 repeats one value for the last 60 days (stuck), 1003 is only seasonal."""
    rng = np.random.default_rng(seed)
    n = 40
    ids = np.arange(1000, 1000 + n)
    season = 1.0 + 0.4 * np.cos(2 * np.pi * (DAYS.day_of_year.to_numpy() - 15) / 365.25)
    level = rng.uniform(5.0, 15.0, n)
    kwh = level[:, None] * season[None, :] * np.exp(rng.normal(0, 0.15, (n, len(DAYS))))
    kwh[0, DAYS >= THEFT_ONSET] *= 0.5
    kwh[1, DAYS >= pd.Timestamp("2024-09-01")] = 0.0
    kwh[2, DAYS >= pd.Timestamp("2024-11-02")] = 7.5
    kwh = np.round(kwh, 2)
    customers = pd.DataFrame({
        "customer_id": ids, "customer_class": "residential", "industry_code": None, "region": "east",
        "supply_station": "e1", "tariff": "res_tiered", "contracted_kva": 8.0, "voltage_kv": 0.22,
        "connected_on": "2020-01-01", "closed_on": None, "preferred_channel": "wechat",
    })
    meter = pd.DataFrame({"customer_id": np.repeat(ids, len(DAYS)), "date": np.tile(DAYS, n),
                          "kwh": kwh.reshape(-1)})
    return {"customers": customers, "meter_daily": meter}


def hand_dataset(seed: int = 0):
    """The extract of :func:`make_tables` as a validated Dataset."""
    return validate_tables(make_tables(seed), extracted_on="2025-01-01")
