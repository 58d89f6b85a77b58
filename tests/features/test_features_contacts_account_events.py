"""Contact, account and event features, by hand on the tiny extract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import validate_tables
from gridcrm.data.schemas import CUSTOMER_CLASSES
from gridcrm.features import build_features
from helpers import EXTRACTED_ON


@pytest.fixture
def tiny(raw_tables):
    raw_tables["customers"].loc[1, "closed_on"] = None
    extra = pd.DataFrame({"customer_id": [1, 1, 3], "at": ["2024-01-15 10:00:00", "2024-02-01 09:00:00",
                                                           "2024-02-25 16:00:00"],
                          "kind": ["theft", "violation", "blacklist"], "detail": [None, None, None]})
    raw_tables["events"] = pd.concat([raw_tables["events"], extra], ignore_index=True)
    return validate_tables(raw_tables, extracted_on=EXTRACTED_ON)


def test_contact_counts_and_scores(tiny):
    f = build_features(tiny, "2024-03-01")
    c1, c2 = f.loc[1], f.loc[2]
    assert (c1["calls_90d"], c1["calls_365d"], c1["complaints_365d"]) == (1, 1, 0)
    assert np.isnan(c1["satisfaction_mean_365d"]) and np.isnan(c1["days_since_last_complaint"])
    assert (c2["complaints_90d"], c2["complaints_billing_365d"], c2["complaints_outage_365d"]) == (1, 1, 0)
    assert c2["calls_90d"] == 0 and c2["repairs_365d"] == 0 and c2["applications_365d"] == 0
    assert c2["satisfaction_mean_365d"] == 2.0
    assert c2["days_since_last_complaint"] == 25.0  # complained on 2024-02-05


def test_contacts_on_the_as_of_day_are_not_known(tiny):
    f = build_features(tiny, "2024-02-05")  # the complaint is at 14:00 that day
    assert f.loc[2, "complaints_365d"] == 0 and np.isnan(f.loc[2, "days_since_last_complaint"])
    assert build_features(tiny, "2024-02-06").loc[2, "days_since_last_complaint"] == 1.0


def test_account_features(tiny):
    f = build_features(tiny, "2024-03-01")
    assert f.loc[1, "tenure_years"] == pytest.approx(3288 / 365.25)  # 2015-03-01 to 2024-03-01
    assert list(f["customer_class"].cat.categories) == list(CUSTOMER_CLASSES)
    assert f.loc[2, "customer_class"] == "commercial" and f.loc[3, "region"] == "west"
    assert pd.isna(f.loc[1, "industry_code"]) and f.loc[3, "industry_code"] == "C26"
    assert f.loc[3, "contracted_kva"] == 4000.0 and f.loc[3, "voltage_kv"] == 10.0
    assert f.loc[1, "supply_station"] == "e1" and f.loc[1, "preferred_channel"] == "wechat"
    assert np.isnan(f.loc[1, "household_size"]) and not f["prepaid"].any()


def test_active_customers_only(raw_tables):
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)  # customer 2 closed on 2024-02-20
    assert list(build_features(ds, "2024-02-20").index) == [1, 2, 3]  # closed that day: still active
    assert list(build_features(ds, "2024-02-21").index) == [1, 3]
    assert list(build_features(ds, "2024-01-03").index) == [1, 2]  # customer 3 connects that day


def test_event_counts(tiny):
    before = build_features(tiny, "2024-02-20")
    assert (before.loc[1, "theft_count"], before.loc[1, "violation_count"]) == (1, 1)
    assert not before.loc[3, "blacklisted"]
    after = build_features(tiny, "2024-03-01")
    assert after.loc[3, "blacklisted"] and not after.loc[1, "blacklisted"]
    assert after["theft_count"].sum() == 1


def test_ticket_features_by_hand_and_nan_without_closing_times():
    import numpy as np
    import pandas as pd

    from gridcrm.features.contacts import contact_features

    contacts = pd.DataFrame({
        "customer_id": [1, 1, 1, 2],
        "kind": ["complaint", "repair", "call", "complaint"],
        "at": pd.to_datetime(["2024-01-10 08:00", "2024-01-20 10:00", "2024-01-21 09:00", "2024-01-25 12:00"]),
        "category": ["billing", "outage", "billing", "billing"],
        "satisfaction": [np.nan] * 4,
        # closed after 6 h; closed on 2024-02-03 (after as_of: not yet known); a call is no ticket; never closed
        "closed_at": pd.to_datetime(["2024-01-10 14:00", "2024-02-03 10:00", "2024-01-21 09:05", None]),
        "repeat": [False, False, True, False],
    })
    customers = pd.DataFrame({"customer_id": [1, 2, 3]})
    f = contact_features(contacts, customers, pd.Timestamp("2024-02-01"))
    assert f["tickets_open"].tolist() == [1.0, 1.0, 0.0]
    assert f["resolution_hours_mean_365d"][0] == 6.0 and np.isnan(f["resolution_hours_mean_365d"][1:]).all()
    assert f["repeat_contacts_365d"].tolist() == [1.0, 0.0, 0.0]
    old = contact_features(contacts.drop(columns=["closed_at", "repeat"]), customers, pd.Timestamp("2024-02-01"))
    assert all(np.isnan(old[name]).all() for name in ("tickets_open", "resolution_hours_mean_365d",
                                                      "repeat_contacts_365d"))
