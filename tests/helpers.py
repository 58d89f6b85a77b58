"""Test helpers: a tiny hand-written extract that satisfies the data model."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pandas as pd

EXTRACTED_ON = "2024-03-01"


def make_raw_tables() -> dict[str, pd.DataFrame]:
    """Three customers, ten days of reads, two bills each, as raw frames (dates as strings, like CSV)."""
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "customer_class": ["residential", "commercial", "large_industry"],
            "industry_code": [None, "H62", "C26"],
            "region": ["east", "east", "west"],
            "supply_station": ["e1", "e2", "w1"],
            "tariff": ["res_tiered", "commercial_flat", "large_industry_2part"],
            "contracted_kva": [8.0, 60.0, 4000.0],
            "voltage_kv": [0.22, 0.38, 10.0],
            "connected_on": ["2015-03-01", "2019-07-15", "2024-01-03"],
            "closed_on": [None, "2024-02-20", None],
            "preferred_channel": ["wechat", "bank", "counter"],
        }
    )
    days = pd.date_range("2024-01-05", periods=10).strftime("%Y-%m-%d").tolist()
    meter = pd.DataFrame(
        {
            "customer_id": [1] * 10 + [2] * 10 + [3] * 10,
            "date": days * 3,
            "kwh": [6.0 + i for i in range(10)] + [200.0 + i for i in range(10)] + [30000.0 + i for i in range(10)],
        }
    )
    bills = pd.DataFrame(
        {
            "bill_id": [11, 12, 21, 22, 31],
            "customer_id": [1, 1, 2, 2, 3],
            "period": ["2024-01-01", "2024-02-01", "2024-01-01", "2024-02-01", "2024-01-01"],
            "issued_on": ["2024-02-03", "2024-03-01", "2024-02-03", "2024-03-01", "2024-02-04"],
            "due_on": ["2024-02-20", "2024-03-18", "2024-02-20", "2024-03-18", "2024-02-21"],
            "kwh": [105.0, 98.0, 2045.0, 1500.0, 300045.0],
            "amount": [55.47, 51.77, 1636.0, 1200.0, 195029.25],
        }
    )
    payments = pd.DataFrame(
        {
            "payment_id": [101, 201, 202, 301],
            "bill_id": [11, 21, 21, 31],
            "customer_id": [1, 2, 2, 3],
            "paid_on": ["2024-02-10", "2024-02-15", "2024-02-25", "2024-02-28"],
            "amount": [55.47, 800.0, 836.0, 195029.25],
            "channel": ["wechat", "bank", "bank", "counter"],
        }
    )
    contacts = pd.DataFrame(
        {
            "contact_id": [1, 2, 3],
            "customer_id": [1, 2, 2],
            "at": ["2024-01-20 09:15:00", "2024-02-05 14:00:00", "2024-02-07 10:30:00"],
            "kind": ["call", "complaint", "survey"],
            "category": ["billing", "billing", None],
            "text": [None, "bill too high", None],
            "satisfaction": [None, None, 2.0],
        }
    )
    events = pd.DataFrame(
        {
            "customer_id": [2],
            "at": ["2024-02-22 08:00:00"],
            "kind": ["disconnection"],
            "detail": ["arrears notice"],
        }
    )
    weather = pd.DataFrame(
        {
            "region": ["east"] * 10 + ["west"] * 10,
            "date": days * 2,
            "temp_c": [3.0 + 0.1 * i for i in range(10)] + [1.0 + 0.1 * i for i in range(10)],
        }
    )
    stamps = pd.date_range("2024-01-10", periods=8, freq="15min").strftime("%Y-%m-%d %H:%M:%S").tolist()
    load = pd.DataFrame({"customer_id": [3] * 8, "timestamp": stamps, "kw": [1200.0 + 10 * i for i in range(8)]})
    offers = pd.DataFrame({"customer_id": [1, 2], "offered_on": ["2024-01-15", "2024-02-01"],
                           "product": ["energy_audit", "usage_report"], "channel": ["visit", "sms"],
                           "accepted_on": ["2024-01-29", None]})
    inspections = pd.DataFrame({"customer_id": [3], "date": ["2024-02-10"], "result": ["clean"]})
    return {
        "customers": customers,
        "meter_daily": meter,
        "load_interval": load,
        "bills": bills,
        "payments": payments,
        "contacts": contacts,
        "events": events,
        "weather": weather,
        "offers": offers,
        "inspections": inspections,
    }


def post_json(url: str, body: dict) -> tuple[int, dict]:
    """POST ``body`` as JSON to a served model; its HTTP status and decoded answer (errors included)."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def weather_driven_customers(start: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Three customers in two regions whose daily kWh follows degree-days (to 2024-09-30), calendar added.

    Returns the long frame (``unique_id, ds, y`` + regressors), the customers (``customer_id, region``)
    and the weather (region A seasonal, B flat at 18 °C).
    """
    import numpy as np

    from gridcrm.forecasting.regressors import add_calendar
    from gridcrm.forecasting.sources import temperature_features

    rng = np.random.default_rng(seed)
    days = pd.date_range(start, "2024-09-30")
    temp = {"A": 16 + 14 * np.cos(2 * np.pi * (days.day_of_year - 200) / 365), "B": np.full(len(days), 18.0)}
    weather = pd.concat([pd.DataFrame({"region": r, "date": days, "temp_c": t}) for r, t in temp.items()])
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "region": ["A", "A", "B"]})
    frames = []
    for cid, reg, size in ((1, "A", 30.0), (2, "A", 10.0), (3, "B", 40.0)):
        dd = temperature_features(temp[reg])
        frames.append(pd.DataFrame({"unique_id": cid, "ds": days, "y": size + 3 * dd["cooling"] + 2 * dd["heating"]
                                    + rng.normal(0, 0.5, len(days)), **dd}))
    return add_calendar(pd.concat(frames, ignore_index=True)), customers, weather
