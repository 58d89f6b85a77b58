"""Consumption features: hand-computed values on the tiny extract and on hand-made series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import validate_tables
from gridcrm.features import build_features
from helpers import EXTRACTED_ON, make_raw_tables


@pytest.fixture(scope="module")
def tiny():
    return validate_tables(make_raw_tables(), extracted_on=EXTRACTED_ON)


def test_level_features_use_only_reads_in_the_window(tiny):
    # customer 1 reads 6, 7, ..., 15 kWh on 2024-01-05 .. 2024-01-14; as of 2024-01-12: 6 .. 12
    f = build_features(tiny, "2024-01-12", windows=(3, 4, 30))
    c1 = f.loc[1]
    assert c1["kwh_mean_3d"] == 11.0 and c1["kwh_median_3d"] == 11.0 and c1["kwh_total_3d"] == 33.0
    assert c1["kwh_median_4d"] == 10.5  # 9, 10, 11, 12
    assert c1["kwh_mean_30d"] == 9.0 and c1["kwh_total_30d"] == 63.0
    assert f.loc[3, "kwh_total_30d"] == sum(30000.0 + i for i in range(7))


def test_shape_features_by_hand(tiny):
    c1 = build_features(tiny, "2024-01-12").loc[1]
    # 6..12: mean 9, population variance (9+4+1+0+1+4+9)/7 = 4
    assert c1["kwh_cv_90d"] == pytest.approx(2 / 9)
    # 2024-01-05 is a Friday: weekend reads 7 (Sat) and 8 (Sun); weekdays 6, 9, 10, 11, 12
    assert c1["weekday_weekend_ratio"] == pytest.approx((48 / 5) / 7.5)
    assert c1["zero_day_share_365d"] == 0.0
    # connected in 2015: 365 days in the window, 7 of them read
    assert c1["gap_day_share_365d"] == pytest.approx(358 / 365)
    assert c1["daily_capacity_utilisation"] == pytest.approx(12 / (24 * 8.0))
    for name in ("kwh_yoy_growth", "kwh_trend_slope", "seasonality_strength", "peak_month",
                 "heating_slope", "cooling_slope", "heating_sensitivity"):
        assert np.isnan(c1[name]), name


def test_gap_share_counts_days_since_connection_only(tiny):
    # customer 3 connected 2024-01-03: 9 days to 2024-01-11, reads on 7 of them
    assert build_features(tiny, "2024-01-12").loc[3, "gap_day_share_365d"] == pytest.approx(2 / 9)


def test_no_reads_in_the_window_gives_nan_never_zero(tiny):
    f = build_features(tiny, "2024-03-01")  # the last read is on 2024-01-14
    for name in ("kwh_mean_30d", "kwh_median_30d", "kwh_total_30d"):
        assert np.isnan(f.loc[1, name]), name
    assert f.loc[1, "kwh_total_90d"] == sum(6.0 + i for i in range(10))
    before_reads = build_features(tiny, "2024-01-05")  # customers exist, no read yet
    assert before_reads[["kwh_mean_365d", "zero_day_share_365d", "gap_day_share_365d", "kwh_cv_90d",
                         "daily_capacity_utilisation"]].isna().all().all()


def _one_customer(kwh: np.ndarray, start: str, temp: np.ndarray | None = None, connected: str = "2015-01-01"):
    days = pd.date_range(start, periods=len(kwh))
    customers = pd.DataFrame({
        "customer_id": [1], "customer_class": ["residential"], "industry_code": [None], "region": ["r"],
        "supply_station": ["s"], "tariff": ["t"], "contracted_kva": [1000.0], "voltage_kv": [0.22],
        "connected_on": [connected], "closed_on": [None], "preferred_channel": ["app"]})
    tables = {"customers": customers, "meter_daily": pd.DataFrame({"customer_id": 1, "date": days, "kwh": kwh})}
    if temp is not None:
        tables["weather"] = pd.DataFrame({"region": "r", "date": days, "temp_c": temp})
    end = days[-1] + pd.Timedelta(days=1)
    return validate_tables(tables, extracted_on=end), end


def test_temperature_slopes_recover_an_exact_hinge_model():
    n = 365
    temp = 17.0 - 15.0 * np.cos(2 * np.pi * np.arange(n) / n) + 3.0 * np.sin(np.arange(n) / 3.0)  # 2..35 °C
    kwh = 10.0 + 2.0 * np.maximum(18.0 - temp, 0) + 3.0 * np.maximum(temp - 22.0, 0)
    ds, end = _one_customer(np.round(kwh, 10), "2023-01-01", temp)
    c = build_features(ds, end).loc[1]
    assert c["heating_slope"] == pytest.approx(2.0, abs=1e-6)
    assert c["cooling_slope"] == pytest.approx(3.0, abs=1e-6)
    assert c["heating_sensitivity"] == pytest.approx(0.2, abs=1e-6)
    assert c["cooling_sensitivity"] == pytest.approx(0.3, abs=1e-6)


def test_too_few_hot_days_leave_the_cooling_slope_missing():
    n = 365
    temp = np.full(n, 10.0) + np.arange(n) % 5  # never above 22 °C
    kwh = 5.0 + 1.5 * np.maximum(18.0 - temp, 0)
    ds, end = _one_customer(kwh, "2023-01-01", temp)
    c = build_features(ds, end).loc[1]
    assert c["heating_slope"] == pytest.approx(1.5, abs=1e-6)
    assert np.isnan(c["cooling_slope"]) and np.isnan(c["cooling_sensitivity"])


def test_a_constant_temperature_gives_no_slope():
    ds, end = _one_customer(np.full(365, 6.0) + np.arange(365) % 3, "2023-01-01", np.full(365, 10.0))
    c = build_features(ds, end).loc[1]
    assert np.isnan(c["heating_slope"]) and np.isnan(c["heating_sensitivity"])


def test_trend_growth_and_seasonality_by_hand():
    # two years: 10 kWh/day, then 12 kWh/day
    ds, end = _one_customer(np.r_[np.full(365, 10.0), np.full(365, 12.0)], "2023-01-01")
    c = build_features(ds, end).loc[1]
    assert c["kwh_yoy_growth"] == pytest.approx(0.2)
    assert c["kwh_trend_slope"] == pytest.approx(0.0, abs=1e-9)
    # a linear rise of 0.01 kWh/day over the last year: slope 3.6525 kWh/day per year over a mean of 11.82
    ds, end = _one_customer(10.0 + 0.01 * np.arange(365), "2023-01-01")
    assert build_features(ds, end).loc[1, "kwh_trend_slope"] == pytest.approx(3.6525 / 11.82)
    # use equal to the month number: the month explains everything, December is the peak
    days = pd.date_range("2023-01-01", "2023-12-31")
    ds, end = _one_customer(days.month.to_numpy(dtype=float), "2023-01-01")
    c = build_features(ds, end).loc[1]
    assert c["seasonality_strength"] == pytest.approx(1.0) and c["peak_month"] == 12


def test_yoy_growth_needs_two_years_of_tenure():
    ds, end = _one_customer(np.r_[np.full(365, 10.0), np.full(365, 12.0)], "2023-01-01", connected="2023-06-01")
    assert np.isnan(build_features(ds, end).loc[1, "kwh_yoy_growth"])


def test_zero_days_and_unsorted_meter_table():
    kwh = np.r_[np.zeros(73), np.full(292, 4.0)]
    ds, end = _one_customer(kwh, "2023-01-01")
    assert build_features(ds, end).loc[1, "zero_day_share_365d"] == pytest.approx(73 / 365)
    tables = {name: frame for name, frame in ds.items()}
    tables["meter_daily"] = tables["meter_daily"].iloc[::-1].reset_index(drop=True)
    shuffled = type(ds)(tables, extracted_on=ds.extracted_on)
    pd.testing.assert_frame_equal(build_features(shuffled, end), build_features(ds, end))
