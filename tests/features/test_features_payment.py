"""Billing and payment features, by hand on the tiny extract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import validate_tables
from gridcrm.features import bill_status, build_features
from helpers import EXTRACTED_ON

MONTH = 365.25 / 12


@pytest.fixture
def tiny(raw_tables):
    raw_tables["customers"].loc[1, "closed_on"] = None  # keep customer 2 open to see its payments
    return validate_tables(raw_tables, extracted_on=EXTRACTED_ON)


def test_paid_late_in_two_parts(tiny):
    f = build_features(tiny, "2024-03-01")
    # customer 2: bill 21 (1636, due 02-20) paid 800 on 02-15 and 836 on 02-25: in full 5 days late
    c2 = f.loc[2]
    assert c2["bills_365d"] == 1 and c2["on_time_rate_365d"] == 0.0
    assert c2["days_late_mean_365d"] == 5.0 and c2["days_late_max_365d"] == 5.0
    assert c2["late_bills_365d"] == 1 and c2["arrears_count"] == 0 and c2["arrears_amount"] == 0.0
    assert c2["partial_payment_share_365d"] == 1.0
    assert c2["months_since_last_arrears"] == pytest.approx(10 / MONTH)
    assert c2["online_channel_share_365d"] == 0.0 and c2["payments_365d"] == 2
    assert c2["disconnection_notices_365d"] == 1
    assert c2["bill_amount_mean_365d"] == 1636.0  # bill 22 is issued on as_of: not known


def test_paid_on_time_online(tiny):
    c1 = build_features(tiny, "2024-03-01").loc[1]
    assert c1["on_time_rate_365d"] == 1.0 and c1["days_late_max_365d"] == 0.0
    assert np.isnan(c1["months_since_last_arrears"])  # never in arrears
    assert c1["online_channel_share_365d"] == 1.0  # wechat
    assert c1["partial_payment_share_365d"] == 0.0 and c1["bill_amount_mean_365d"] == 55.47


def test_unpaid_bills_are_arrears_counted_to_as_of(tiny):
    f = build_features(tiny, "2024-02-24")
    # customer 2 paid 800 of 1636 before 02-24; customer 3 nothing of 195029.25 (due 02-21)
    assert f.loc[2, "arrears_count"] == 1 and f.loc[2, "arrears_amount"] == pytest.approx(836.0)
    assert f.loc[2, "days_late_mean_365d"] == 4.0 and f.loc[2, "partial_payment_share_365d"] == 0.0
    assert f.loc[3, "arrears_amount"] == pytest.approx(195029.25) and f.loc[3, "days_late_max_365d"] == 3.0
    assert f.loc[3, "months_since_last_arrears"] == pytest.approx(3 / MONTH)
    assert f.loc[1, "arrears_count"] == 0


def test_no_bill_due_gives_nan_rates_and_zero_counts(tiny):
    f = build_features(tiny, "2024-02-10")  # bills issued, none due yet
    assert (f["bills_365d"] == 0).all() and (f["arrears_count"] == 0).all()
    for name in ("on_time_rate_365d", "days_late_mean_365d", "days_late_max_365d", "partial_payment_share_365d"):
        assert f[name].isna().all(), name
    assert f.loc[1, "bill_amount_mean_365d"] == 55.47
    assert np.isnan(f.loc[1, "online_channel_share_365d"])  # the payment of 02-10 is on as_of: not known


def test_bill_status_table():
    bills = pd.DataFrame({"bill_id": [2, 1, 3], "customer_id": [7, 7, 7],
                          "issued_on": pd.to_datetime(["2024-02-03", "2024-01-03", "2024-02-03"]),
                          "due_on": pd.to_datetime(["2024-02-20", "2024-01-20", "2024-02-20"]),
                          "amount": [12.0, 10.0, 0.0]})
    pays = pd.DataFrame({"bill_id": [1, 1, 2], "customer_id": [7, 7, 7],
                         "paid_on": pd.to_datetime(["2024-01-25", "2024-01-10", "2024-02-20"]),
                         "amount": [6.0, 4.0, 11.996]})
    s = bill_status(bills, pays, pd.Timestamp("2024-03-01")).set_index("bill_id")
    assert list(s.index) == [1, 2, 3]
    assert s.loc[1, "paid_full_on"] == pd.Timestamp("2024-01-25") and s.loc[1, "days_late"] == 5.0
    assert bool(s.loc[2, "on_time"])  # short by less than a cent: paid in full
    assert bool(s.loc[3, "on_time"]) and s.loc[3, "paid_full_on"] == pd.Timestamp("2024-02-03")  # nothing to pay
