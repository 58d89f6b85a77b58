"""AnomalyDetector: unsupervised on daily reads alone, PU learning, kinds, onsets, reasons, parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from anomaly.anomaly_data import AS_OF, STUCK, THEFT_ONSET, THIEF, VACANT
from gridcrm.anomaly import KINDS, AnomalyDetector
from gridcrm.anomaly.detector import _fit_pu
from gridcrm.errors import InputError


@pytest.fixture(scope="module")
def scored(hand):
    det = AnomalyDetector(random_state=0).fit(hand, AS_OF)
    return det, det.score(hand, AS_OF)


def test_daily_reads_alone_is_unsupervised_and_ranks_the_thief_first(scored):
    det, out = scored
    assert not det.supervised_ and det.n_positives_ == 0 and np.isnan(det.label_frequency_)
    assert len(out) == 40 and out.index.name == "customer_id"
    assert out["score"].between(0, 1).all() and set(out["kind"].astype(str)) <= set(KINDS)
    assert out["score"].idxmax() == THIEF and out.loc[THIEF, "kind"] == "theft"
    assert out.drop(index=THIEF)["score"].max() < 0.5


def test_onset_kinds_and_reasons(scored, hand):
    _, out = scored
    assert abs((out.loc[THIEF, "onset"] - THEFT_ONSET).days) <= 14
    assert out.loc[VACANT, "kind"] == "vacancy_closure"
    assert out.loc[STUCK, "kind"] == "meter_fault" and out.loc[STUCK, "fault_score"] == 1.0
    assert "% less kWh than before" in out.loc[THIEF, "reasons"] and "change-point z" in out.loc[THIEF, "reasons"]
    assert "read zero" in out.loc[VACANT, "reasons"] and "repeat the day before" in out.loc[STUCK, "reasons"]
    assert out.loc[out["kind"] == "none", "reasons"].eq("").all()
    # half the load gone: missing energy per day equals what is still read
    meter = hand.meter_daily
    still_read = meter.loc[(meter["customer_id"] == THIEF) & (meter["date"] >= AS_OF - pd.Timedelta(days=90)), "kwh"]
    assert out.loc[THIEF, "missing_kwh_per_day"] == pytest.approx(still_read.median(), rel=0.25)
    assert out.loc[VACANT, "missing_kwh_per_day"] == 0.0


def test_pu_label_frequency_recovers_the_share_recorded():
    # separable classes: g(x) -> c on the positives, so Elkan-Noto's c is the share of positives labelled
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(400, bool), np.zeros(4000, bool)]
    x = np.c_[np.where(y, 6.0, 0.0) + rng.normal(0, 0.5, len(y)), rng.normal(0, 1, len(y))]
    s = y & (rng.random(len(y)) < 0.3)
    model, c, oof = _fit_pu(x, s, np.ones(len(y)), C=1.0, random_state=0)
    assert c == pytest.approx(s.sum() / y.sum(), abs=0.05)
    p = model.predict_proba(x)[:, 1] / c
    assert p[y].mean() > 0.8 and p[~y].mean() < 0.05
    assert oof.shape == s.shape and np.mean(oof[s]) == pytest.approx(c)


def test_not_fitted_params_and_bad_input(hand):
    with pytest.raises(NotFittedError):
        AnomalyDetector().score(hand, AS_OF)
    with pytest.raises(InputError, match="label_window_days"):
        AnomalyDetector(label_window_days=5).fit(hand, AS_OF)
    with pytest.raises(TypeError, match="Dataset"):
        AnomalyDetector().fit(pd.DataFrame(), AS_OF)
    det = AnomalyDetector(random_state=None, C=2.0)
    assert clone(det).get_params()["C"] == 2.0 and clone(det).get_params()["random_state"] is None


def test_inspections_give_positives_and_confirmed_negatives():
    from anomaly.anomaly_data import make_tables
    from gridcrm.anomaly.detector import _labels
    from gridcrm.anomaly.inspection import recently_inspected
    from gridcrm.data import validate_tables

    tables = make_tables()
    tables["inspections"] = pd.DataFrame({"customer_id": [1000, 1004, 1005, 1006],
                                          "date": ["2024-03-01", "2024-05-01", "2023-01-05", "2024-12-20"],
                                          "result": ["theft", "clean", "clean", "meter_fault"]})
    tables["events"] = pd.DataFrame({"customer_id": [1007, 1008], "at": ["2024-02-01 10:00", "2023-06-01 09:00"],
                                     "kind": "theft", "detail": None})
    ds = validate_tables(tables, extracted_on="2025-01-01")
    pos, neg, known = _labels(ds, pd.Timestamp("2024-01-01"), AS_OF)
    assert sorted(pos.tolist()) == [1000, 1007] and neg.tolist() == [1004] and known.tolist() == [1008]
    assert recently_inspected(ds, AS_OF, 30).tolist() == [1006]
