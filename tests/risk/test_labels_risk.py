"""Arrears and churn labels on a hand-written extract, stacked training sets and time splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import validate_tables
from gridcrm.risk import ArrearsLabel, ChurnLabel, TrainingSet, arrears_labels, build_training_set, churn_labels
from gridcrm.risk.errors import LabelError
from gridcrm.risk.labels import check_labels, snapshot_dates, time_split

EXTRACTED = "2024-04-01"


def _customer(cid, cls="residential", connected="2020-01-01", closed=None, kva=10.0):
    return {"customer_id": cid, "customer_class": cls, "industry_code": None if cls == "residential" else "C26",
            "region": "east", "supply_station": "e1", "tariff": "t", "contracted_kva": kva, "voltage_kv": 0.4,
            "connected_on": connected, "closed_on": closed, "preferred_channel": "app"}


@pytest.fixture(scope="module")
def extract():
    """Customers 1–9 with one next bill each after 2024-01-01 (see the comments), and meter reads."""
    customers = pd.DataFrame([
        _customer(1),                                   # paid on time
        _customer(2),                                   # paid in two parts, in full 20 days late
        _customer(3),                                   # paid exactly 15 days late: not arrears
        _customer(4),                                   # bill of zero: never arrears
        _customer(5),                                   # never paid
        _customer(6),                                   # paid part only
        _customer(7),                                   # next bill issued after the 45-day window
        _customer(8, connected="2024-02-01"),           # not a customer yet at 2024-01-01
        _customer(9, closed="2023-12-01"),              # closed before
        _customer(10, closed="2024-02-15"),             # churns within 90 days
        _customer(11, cls="large_industry", kva=5000.0),  # its load falls to a tenth: churn
        _customer(12, cls="industrial", kva=5000.0),      # same fall, but not a "large" class
    ])
    bills = pd.DataFrame([
        (101, 1, "2023-12-01", "2024-01-03", "2024-01-20", 50.0),
        (102, 2, "2023-12-01", "2024-01-04", "2024-01-21", 80.0),
        (103, 3, "2023-12-01", "2024-01-05", "2024-01-22", 30.0),
        (104, 4, "2023-12-01", "2024-01-05", "2024-01-22", 0.0),
        (105, 5, "2023-12-01", "2024-01-05", "2024-01-22", 40.0),
        (106, 6, "2023-12-01", "2024-01-05", "2024-01-22", 40.0),
        (107, 7, "2024-01-01", "2024-02-20", "2024-03-05", 40.0),
        (111, 1, "2023-11-01", "2023-12-03", "2023-12-20", 45.0),  # before as_of: not the next bill
        (112, 1, "2024-02-01", "2024-03-03", "2024-03-20", 45.0),  # due + 15 days after extracted_on
    ], columns=["bill_id", "customer_id", "period", "issued_on", "due_on", "amount"]).assign(kwh=100.0)
    payments = pd.DataFrame([
        (1, 101, 1, "2024-01-15", 50.0),
        (2, 102, 2, "2024-01-10", 40.0),
        (3, 102, 2, "2024-02-10", 40.0),
        (4, 103, 3, "2024-02-06", 30.0),
        (5, 106, 6, "2024-01-10", 10.0),
        (6, 111, 1, "2023-12-15", 45.0),
    ], columns=["payment_id", "bill_id", "customer_id", "paid_on", "amount"]).assign(channel="app")
    days = pd.date_range("2023-01-01", "2024-03-31")
    meter = []
    for cid in (11, 12):
        kwh = np.where(days < "2024-01-01", 60_000.0, 6_000.0)
        meter.append(pd.DataFrame({"customer_id": cid, "date": days, "kwh": kwh}))
    meter.append(pd.DataFrame({"customer_id": 1, "date": days, "kwh": 5.0}))
    tables = {"customers": customers, "bills": bills, "payments": payments, "meter_daily": pd.concat(meter)}
    return validate_tables(tables, extracted_on=EXTRACTED)


def test_arrears_label_cases(extract):
    lab = arrears_labels(extract, "2024-01-01")
    assert lab.index.name == "customer_id"
    expected = {1: 0, 2: 1, 3: 0, 4: 0, 5: 1, 6: 1}
    assert {k: int(v) for k, v in lab["label"].items()} == expected
    assert lab.loc[1, "bill_id"] == 101  # the first bill issued on or after as_of, not the earlier one
    assert pd.isna(lab.loc[2, "paid_in_full_on"])  # paid in full after the deadline: outside the window
    assert lab.loc[3, "paid_in_full_on"] == pd.Timestamp("2024-02-06")
    assert pd.isna(lab.loc[6, "paid_in_full_on"])
    assert lab.loc[3, "observed_until"] == pd.Timestamp("2024-02-06")


def test_arrears_label_window_and_lateness(extract):
    wide = arrears_labels(extract, "2024-01-01", horizon_days=60)
    assert 7 in wide.index and 7 not in arrears_labels(extract, "2024-01-01").index
    strict = arrears_labels(extract, "2024-01-01", late_days=0)
    assert strict.loc[3, "label"] == 1  # 15 days late is late when no grace is allowed


def test_arrears_label_leaves_out_bills_not_yet_decided(extract):
    lab = arrears_labels(extract, "2024-03-01")  # bill 112: due 2024-03-20, decided after 2024-04-04
    assert not lab.index.isin([1]).any()


def test_arrears_label_population(extract):
    lab = arrears_labels(extract, "2024-01-01", horizon_days=60)
    assert 8 not in lab.index and 9 not in lab.index


def test_churn_label_cases(extract):
    lab = churn_labels(extract, "2024-01-01", horizon_days=90)
    assert lab.loc[10, "label"] == 1 and lab.loc[10, "closed"]
    assert lab.loc[11, "label"] == 1 and lab.loc[11, "consumption_drop"]
    assert lab.loc[12, "label"] == 0  # industrial is not a large class by default
    assert lab.loc[1, "label"] == 0
    assert 8 not in lab.index and 9 not in lab.index
    closure_only = churn_labels(extract, "2024-01-01", consumption_share=None)
    assert closure_only.loc[11, "label"] == 0
    both = churn_labels(extract, "2024-01-01", large_classes=("large_industry", "industrial"))
    assert both.loc[12, "label"] == 1


def test_churn_label_needs_the_whole_horizon(extract):
    with pytest.raises(ValueError, match="need data until 2024-04-30"):
        churn_labels(extract, "2024-01-31", horizon_days=90)


@pytest.mark.parametrize("bad", [{"late_days": -1}, {"horizon_days": 1.5}])
def test_arrears_label_bad_arguments(extract, bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        arrears_labels(extract, "2024-01-01", **bad)


def test_bad_as_of(extract):
    with pytest.raises(ValueError, match="as_of must be a date"):
        arrears_labels(extract, "not a date")


def test_check_labels():
    with pytest.raises(LabelError, match="2 missing label"):
        check_labels([0, 1, np.nan, np.nan])
    with pytest.raises(LabelError, match="exactly two classes"):
        check_labels([1, 1, 1])
    with pytest.raises(LabelError, match="1d array"):
        check_labels(np.zeros((3, 2)))
    assert check_labels(pd.Series([0, 1])).tolist() == [0, 1]


def _fake_features(dataset, as_of):
    ids = dataset.customers["customer_id"]
    return pd.DataFrame({"n_bills": dataset.bills.groupby("customer_id").size().reindex(ids, fill_value=0).to_numpy()},
                        index=pd.Index(ids.to_numpy(), name="customer_id"))


def test_build_training_set_stacks_snapshots(extract):
    ts = build_training_set(extract, ["2024-01-01", "2023-12-01"], ChurnLabel(horizon_days=30),
                            features=_fake_features)
    assert ts.snapshots == [pd.Timestamp("2023-12-01"), pd.Timestamp("2024-01-01")]
    assert ts.X.index.names == ["as_of", "customer_id"]
    assert ts.X.index.equals(ts.y.index) and ts.X.index.equals(ts.info.index)
    assert "observed_until" in ts.info.columns and ts.kind == "churn"
    # the features saw only bills issued before each as_of
    assert ts.X.loc[(pd.Timestamp("2024-01-01"), 1), "n_bills"] == 1
    assert "rows=" in repr(ts) and len(ts) == len(ts.y)


def test_build_training_set_errors(extract):
    with pytest.raises(ValueError, match="snapshots is empty"):
        build_training_set(extract, [], ArrearsLabel(), features=_fake_features)
    with pytest.raises(ValueError, match="no customer with both"):
        build_training_set(extract, ["2022-01-01"], ArrearsLabel(), features=_fake_features)


def _stack(n_snapshots, label_days):
    snaps = pd.date_range("2024-01-01", periods=n_snapshots, freq="MS")
    idx = pd.MultiIndex.from_product([snaps, [1, 2, 3]], names=["as_of", "customer_id"])
    seen = idx.get_level_values("as_of") + pd.Timedelta(days=label_days)
    return TrainingSet(pd.DataFrame({"x": np.arange(len(idx))}, index=idx), pd.Series([0, 1, 0] * n_snapshots,
                       index=idx), pd.DataFrame({"observed_until": seen}, index=idx))


def test_time_split_leaves_gaps_for_open_labels():
    train, valid, test = time_split(_stack(10, 75))  # labels stay open ~2.5 months
    assert test.snapshots == [pd.Timestamp("2024-10-01")]
    assert valid.snapshots == [pd.Timestamp("2024-07-01")]
    assert train.snapshots[-1] == pd.Timestamp("2024-04-01")
    assert max(train.info["observed_until"]) < valid.snapshots[0]
    assert max(valid.info["observed_until"]) < test.snapshots[0]


def test_time_split_without_purge_is_consecutive():
    train, valid, test = time_split(_stack(6, 75), valid_snapshots=2, test_snapshots=1, purge=False)
    assert [len(p.snapshots) for p in (train, valid, test)] == [3, 2, 1]


def test_time_split_without_test():
    train, valid, test = time_split(_stack(4, 20), test_snapshots=0)
    assert len(test) == 0 and valid.snapshots == [pd.Timestamp("2024-04-01")]


def test_time_split_too_few_snapshots():
    with pytest.raises(ValueError, match="add earlier snapshots"):
        time_split(_stack(3, 75))


def test_snapshot_dates(extract):
    dates = snapshot_dates(extract, ChurnLabel(horizon_days=30), n=3, min_history_days=300)
    assert dates == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
    with pytest.raises(ValueError, match="no snapshot date"):
        snapshot_dates(extract, ChurnLabel(), min_history_days=900)
