"""Complaint hotspots with control limits, and resolution times (#17)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gridcrm.errors import InputError
from gridcrm.service import complaint_hotspots, plot_hotspots, resolution_times

CUSTOMERS = pd.DataFrame({"customer_id": [1, 2, 3, 4], "region": ["A", "A", "B", "B"],
                          "connected_on": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-01", "2023-07-01"]),
                          "closed_on": pd.to_datetime([None, None, None, None])})


def _complaints(customer: int, months: pd.DatetimeIndex, topic: str = "outage", kind: str = "complaint"):
    return pd.DataFrame({"customer_id": customer, "at": months + pd.Timedelta(days=3), "kind": kind, "topic": topic})


def test_expected_counts_limits_and_alerts_match_a_hand_computation():
    months = pd.date_range("2023-01-01", periods=12, freq="MS")
    con = pd.concat([_complaints(1, months), _complaints(1, pd.DatetimeIndex(["2023-12-01"] * 7)),
                     _complaints(3, months[::2], "billing"), _complaints(1, months, "outage", "call"),
                     _complaints(1, pd.DatetimeIndex(["2024-01-01"]))])  # January 2024: after as_of's last month
    out = complaint_hotspots(con, CUSTOMERS, "2024-01-01", history=12, min_history=6)
    a = out[(out["region"] == "A") & (out["topic"] == "outage")].set_index("month")
    dec = a.loc[pd.Timestamp("2023-12-01")]
    assert dec["complaints"] == 8 and dec["accounts"] == 2
    assert dec["expected"] == pytest.approx((11 + 0.5) / 22 * 2)  # 11 past months of one complaint, 2 accounts
    assert dec["upper_limit"] == stats.poisson.ppf(0.995, (11 + 0.5) / 22 * 2)  # no overdispersion in history
    assert dec["alert"] and not a["alert"].drop(pd.Timestamp("2023-12-01")).any()
    assert a["expected"].iloc[:6].isna().all()  # fewer than 6 months of history: no expectation, no alert
    b = out[out["region"] == "B"].set_index("month")
    assert b.loc[pd.Timestamp("2023-06-01"), "accounts"] == 1 and b.loc[pd.Timestamp("2023-07-01"), "accounts"] == 2
    assert b.loc[pd.Timestamp("2023-06-01"), "rate_per_1000"] == pytest.approx(0.0)
    assert b.loc[pd.Timestamp("2023-07-01"), "rate_per_1000"] == pytest.approx(500.0)  # 1 complaint, 2 accounts
    assert out["month"].max() == pd.Timestamp("2023-12-01")


def test_hotspots_refuse_unknown_groups_and_missing_topic():
    con = _complaints(1, pd.date_range("2023-01-01", periods=3, freq="MS"))
    with pytest.raises(InputError, match="by"):
        complaint_hotspots(con, CUSTOMERS, "2024-01-01", by=("county",))
    with pytest.raises(InputError, match=r"contacts: missing column\(s\) \['topic'\]"):
        complaint_hotspots(con.drop(columns="topic"), CUSTOMERS, "2024-01-01")
    with pytest.raises(InputError, match="alpha"):
        complaint_hotspots(con, CUSTOMERS, "2024-01-01", alpha=0.9)


def test_resolution_counts_only_what_was_known_at_as_of():
    con = pd.DataFrame({
        "customer_id": [1, 1, 1, 3, 3], "kind": "complaint", "topic": ["outage"] * 3 + ["billing"] * 2,
        "at": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 08:00", "2024-01-31 20:00", "2024-01-10 00:00",
                              "2024-02-05 00:00"]),
        "closed_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 08:00", "2024-02-03 00:00", "2024-01-11 00:00", None]),
    })
    out = resolution_times(con, "2024-02-01", {"outage": 4, "billing": 48}, customers=CUSTOMERS,
                           by=("region", "topic")).set_index(["region", "topic"])
    outage = out.loc[("A", "outage")]
    # third ticket: closed after as_of, so still open at as_of, and only 4 hours old: not yet due
    assert (outage["tickets"], outage["resolved"], outage["open"]) == (3, 2, 1)
    assert outage["median_hours"] == pytest.approx(13.0) and outage["within_standard"] == pytest.approx(0.5)
    assert out.loc[("B", "billing"), "within_standard"] == pytest.approx(1.0)


def test_heatmap_marks_alerts(tmp_path):
    h = pd.DataFrame({"region": ["A", "A", "B"], "topic": ["outage", "billing", "outage"],
                      "month": pd.Timestamp("2024-01-01"), "complaints": [9, 1, 2],
                      "expected": [2.0, 1.0, 2.0], "alert": [True, False, False]})
    fig = plot_hotspots(h, tmp_path / "heat.png")
    assert (tmp_path / "heat.png").stat().st_size > 1000
    assert len(fig.axes[0].patches) == 1
    assert np.isclose(fig.axes[0].images[0].get_array()[0, 1], np.log2(9.5 / 2.5))
