"""No label information reaches the features: the point-in-time guarantee of the stacked training sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import Dataset
from gridcrm.data.synth import generate_dataset
from gridcrm.features import build_features
from gridcrm.risk import ArrearsLabel, ChurnLabel, build_training_set, snapshot_dates

SNAPSHOTS = [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-06-01")]


@pytest.fixture(scope="module")
def synth():
    return generate_dataset(400, "2023-01-01", "2024-12-31", seed=11)


def _rewrite_future(ds: Dataset, as_of: pd.Timestamp) -> Dataset:
    """The same past, a different future: after ``as_of`` nobody pays, everyone closes, meters read 0."""
    tables = {name: frame.copy() for name, frame in ds.items()}
    pay = tables["payments"]
    tables["payments"] = pay.loc[pay["paid_on"] < as_of]
    c = tables["customers"]
    still_open = c["closed_on"].isna() | (c["closed_on"] >= as_of)
    c.loc[still_open & (c["connected_on"] < as_of), "closed_on"] = as_of + pd.Timedelta(days=10)
    m = tables["meter_daily"]
    m.loc[m["date"] >= as_of, "kwh"] = 0.0
    return Dataset(tables, extracted_on=ds.extracted_on)


@pytest.mark.parametrize("label", [ArrearsLabel(), ChurnLabel()], ids=["arrears", "churn"])
def test_features_do_not_see_the_future_labels_do(synth, label):
    ds = synth.dataset
    for as_of in SNAPSHOTS:
        original = build_training_set(ds, [as_of], label)
        changed = build_training_set(_rewrite_future(ds, as_of), [as_of], label)
        common = original.X.index.intersection(changed.X.index)
        assert len(common) > 0.9 * len(original.X)
        pd.testing.assert_frame_equal(original.X.loc[common], changed.X.loc[common])
        assert not original.y.loc[common].equals(changed.y.loc[common]), "the rewrite must change the labels"
        assert changed.y.loc[common].mean() > original.y.loc[common].mean()


def test_training_rows_are_the_point_in_time_features(synth):
    ds = synth.dataset
    ts = build_training_set(ds, SNAPSHOTS, ChurnLabel())
    for as_of in SNAPSHOTS:
        rows = ts.X.xs(as_of, level="as_of")
        direct = build_features(ds.truncate(as_of), as_of).loc[rows.index]
        pd.testing.assert_frame_equal(rows, direct)


@pytest.mark.parametrize("label", [ArrearsLabel(), ChurnLabel(consumption_share=0.5)], ids=["arrears", "churn"])
def test_labels_read_only_their_window(synth, label):
    """Labels at as_of are the same whatever happened before as_of or after the label's window."""
    ds = synth.dataset
    as_of = SNAPSHOTS[0]
    full = label.labels(ds, as_of)
    horizon_end = pd.Timestamp(full["observed_until"].max()) + pd.Timedelta(days=1)
    cut = ds.truncate(horizon_end)
    assert full.equals(label.labels(Dataset(dict(cut.items()), extracted_on=ds.extracted_on), as_of))
    tables = {name: frame.copy() for name, frame in ds.items()}
    pay = tables["payments"]
    tables["payments"] = pay.loc[pay["paid_on"] >= as_of]  # forget every payment before as_of
    forgot = label.labels(Dataset(tables, extracted_on=ds.extracted_on), as_of)
    if label.kind == "arrears":
        assert full.equals(forgot)


def test_snapshot_dates_leave_room_for_labels(synth):
    ds = synth.dataset
    for label in (ArrearsLabel(), ChurnLabel()):
        dates = snapshot_dates(ds, label, n=6)
        assert dates[-1] <= label.last_as_of(ds)
        assert dates[0] >= ds.meter_daily["date"].min() + pd.Timedelta(days=365)
        lab = label.labels(ds, dates[-1])
        assert np.all(lab["observed_until"] < ds.extracted_on)
