"""anomaly_signals on a hand-made extract: sizes, onsets and runs known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from anomaly.anomaly_data import AS_OF, SEASONAL, STUCK, THEFT_ONSET, THIEF, VACANT
from gridcrm.anomaly import SIGNAL_NAMES, anomaly_signals
from gridcrm.anomaly.signals import daily_matrix
from gridcrm.errors import InputError
from gridcrm.features.registry import ANOMALY_SIGNALS


@pytest.fixture(scope="module")
def sig(hand):
    return anomaly_signals(hand, AS_OF)


def test_one_row_per_active_customer_and_every_signal_in_the_registry(sig):
    assert sig.index.name == "customer_id" and len(sig) == 40 and sig.index.is_unique
    assert set(SIGNAL_NAMES) == set(ANOMALY_SIGNALS) and set(SIGNAL_NAMES) <= set(sig.columns)
    for name, spec in ANOMALY_SIGNALS.items():
        values = sig[name].dropna()
        assert spec.description and spec.unit
        assert ((values >= spec.min) & (values <= spec.max)).all(), name


def test_theft_shift_size_and_onset(sig):
    row = sig.loc[THIEF]
    assert row["shift_drop"] == pytest.approx(0.5, abs=0.06)  # half the load bypassed
    onset_days = (AS_OF - THEFT_ONSET).days  # 184
    assert abs(row["shift_days_ago"] - onset_days) <= 14  # weekly resolution
    assert row["shift_z"] < -8
    assert row["shift_persistence"] > 0.9
    assert row["drop_yoy_90d"] == pytest.approx(0.5, abs=0.08)


def test_seasonal_customer_shows_no_drop(sig):
    others = sig.drop(index=[THIEF, VACANT, STUCK])
    assert others["shift_z"].min() > sig.loc[THIEF, "shift_z"] / 2
    assert others["drop_vs_peers_90d"].abs().max() < 0.3
    assert abs(sig.loc[SEASONAL, "drop_vs_peers_90d"]) < 0.3


def test_zero_and_stuck_runs(sig):
    assert sig.loc[VACANT, "zero_share_90d"] == 1.0 and sig.loc[VACANT, "zero_run_max_90d"] == 90
    # 2024-11-02 .. 2024-12-31: 60 equal reads, 59 repeats among the 89 day pairs of the last 90 days
    assert sig.loc[STUCK, "repeat_read_share_90d"] == pytest.approx(59 / 89)
    assert sig.loc[THIEF, "zero_share_90d"] == 0.0
    assert sig.loc[STUCK, "capacity_use_max_90d"] < 1


def test_daily_reads_alone_give_nan_for_the_other_tables(sig):
    assert sig["bill_read_gap_180d"].isna().all() and sig["interval_repeat_share_30d"].isna().all()


def test_point_in_time(hand):
    cut = pd.Timestamp("2024-10-01")
    full = anomaly_signals(hand, cut)
    pd.testing.assert_frame_equal(full, anomaly_signals(hand.truncate(cut), cut))


def test_daily_matrix_places_reads():
    meter = pd.DataFrame({"customer_id": [5, 5, 6, 8], "kwh": [1.0, 2.0, 3.0, 4.0],
                          "date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-02"])})
    m = daily_matrix(meter, np.array([5, 6]), pd.Timestamp("2024-01-03"), days=2)
    expected = np.array([[1.0, np.nan], [np.nan, 3.0]], dtype=np.float32)  # 2024-01-01, 01-02 (01-03 is as_of)
    np.testing.assert_array_equal(m, expected)


def test_bad_inputs(hand):
    with pytest.raises(TypeError, match="Dataset"):
        anomaly_signals({"customers": None}, AS_OF)
    with pytest.raises(InputError, match="after the extract"):
        anomaly_signals(hand, "2025-06-01")
