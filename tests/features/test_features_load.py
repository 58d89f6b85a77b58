"""Load features from a hand-made 15-minute frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import validate_tables
from gridcrm.features import build_features
from helpers import EXTRACTED_ON


@pytest.fixture
def interval(raw_tables):
    # customer 3 (4000 kVA): one day of 1000 kW, 2000 kW from 18 to 22 h, 500 kvar throughout
    stamps = pd.date_range("2024-02-20", periods=96, freq="15min")
    kw = np.where((stamps.hour >= 18) & (stamps.hour < 22), 2000.0, 1000.0)
    day = pd.DataFrame({"customer_id": 3, "timestamp": stamps, "kw": kw, "kvar": 500.0})
    old = pd.DataFrame({"customer_id": 3, "timestamp": pd.date_range("2024-01-10", periods=4, freq="15min"),
                        "kw": 9999.0, "kvar": 0.0})  # more than 30 days before as_of: not used
    raw_tables["load_interval"] = pd.concat([old, day], ignore_index=True)
    return validate_tables(raw_tables, extracted_on=EXTRACTED_ON)


def test_load_features_by_hand(interval):
    c3 = build_features(interval, "2024-03-01").loc[3]
    # hourly energy: 1000 kWh for 20 hours, 2000 kWh for 4 hours: 28000 kWh
    assert c3["peak_kw"] == 2000.0
    assert c3["load_factor"] == pytest.approx((28000 / 24) / 2000)
    assert c3["peak_share"] == pytest.approx((3 * 1000 + 3 * 2000) / 28000)  # 08-11 and 18-21
    assert c3["valley_share"] == pytest.approx(8 * 1000 / 28000)  # 23-07
    assert c3["night_share"] == pytest.approx(6 * 1000 / 28000)  # 00-06
    assert c3["evening_share"] == pytest.approx(4 * 2000 / 28000)  # 18-22
    assert c3["power_factor"] == pytest.approx(28000 / np.hypot(28000, 24 * 500))
    assert c3["capacity_utilisation"] == pytest.approx(0.5)


def test_no_interval_data_gives_nan(interval):
    f = build_features(interval, "2024-03-01")
    assert f.loc[[1], ["load_factor", "peak_kw", "power_factor", "capacity_utilisation"]].isna().all().all()
    # on as_of itself the day's intervals are not known yet; the old ones are too old
    assert np.isnan(build_features(interval, "2024-02-20").loc[3, "peak_kw"])


def test_power_factor_needs_reactive_power(raw_tables):
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)  # the tiny load has no kvar column
    c3 = build_features(ds, "2024-02-01").loc[3]
    assert c3["peak_kw"] == 1270.0 and np.isnan(c3["power_factor"])
