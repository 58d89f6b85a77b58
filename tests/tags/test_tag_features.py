"""The contact features added for the demand tags (#18), by hand."""

from __future__ import annotations

import pandas as pd

from gridcrm.features.contacts import contact_feature_names, contact_features
from gridcrm.features.registry import FEATURES


def test_outage_contacts_and_capacity_change_applications_by_hand():
    contacts = pd.DataFrame({
        "customer_id": [7, 7, 7, 7, 7, 8, 8, 8],
        "kind": ["call", "repair", "complaint", "call", "call", "application", "application", "repair"],
        "category": ["outage", "line", "outage", "billing", "outage", "capacity_change", "new_connection", "meter"],
        "at": pd.to_datetime(["2024-01-10 09:00", "2023-06-01 10:00", "2023-02-02 11:00", "2024-01-11 12:00",
                              "2022-12-31 13:00", "2023-11-30 14:00", "2023-12-01 15:00", "2024-01-31 23:00"]),
        "satisfaction": [None] * 8,
    })
    f = contact_features(contacts, pd.DataFrame({"customer_id": [7, 8, 9]}), pd.Timestamp("2024-02-01"))
    # customer 7: the outage call, the line repair and the outage complaint are within 365 days; the billing
    # call is not about the supply, and the outage call of 2022-12-31 is more than 365 days before as_of
    assert f["outage_contacts_365d"].tolist() == [3, 0, 0]
    assert f["capacity_change_applications_365d"].tolist() == [0, 1, 0]
    assert {"outage_contacts_365d", "capacity_change_applications_365d"} <= set(contact_feature_names())
    assert FEATURES["outage_contacts_365d"].family == "contacts" and FEATURES["outage_contacts_365d"].kind == "int"
