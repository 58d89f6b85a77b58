"""inspection_list: expected recovered energy, quotas, recent-inspection exclusion, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.anomaly.inspection import inspection_list
from gridcrm.data import validate_tables
from gridcrm.errors import InputError


def _scores() -> pd.DataFrame:
    s = pd.DataFrame({
        "score": [0.9, 0.5, 0.8, 0.6, 0.95, 0.7],
        "kind": ["theft", "theft", "theft", "theft", "vacancy_closure", "theft"],
        "missing_kwh_per_day": [10.0, 40.0, 5.0, 8.0, 0.0, 6.0],
        "customer_class": ["residential", "commercial", "residential", "residential", "residential", "commercial"],
        "region": ["a", "a", "a", "b", "b", "b"],
        "onset": pd.NaT, "reasons": "", "fault_score": 0.0,
    }, index=pd.Index([1, 2, 3, 4, 5, 6], name="customer_id"))
    s.attrs["as_of"] = "2024-02-01T00:00:00"
    return s


def test_ranked_by_expected_value_at_the_class_price():
    out = inspection_list(_scores(), 3, horizon_days=10)
    # expected kWh: 2 -> 0.5*40*10 = 200, 1 -> 90, 3 -> 40, 4 -> 48, 6 -> 42; CNY at 0.80 commercial, 0.55 residential
    assert out["customer_id"].tolist() == [2, 1, 6]
    assert out["expected_kwh"].tolist() == pytest.approx([200.0, 90.0, 42.0])
    assert out["expected_cny"].tolist() == pytest.approx([160.0, 49.5, 33.6])
    assert out["rank"].tolist() == [1, 2, 3] and out.attrs["excluded_kind"] == 1


def test_quotas_greedy_down_the_ranking():
    out = inspection_list(_scores(), 3, horizon_days=10, quotas={"region": {"a": 1}})
    assert out["customer_id"].tolist() == [2, 6, 4]  # 1 skipped: region a is full after 2
    assert out.attrs["excluded_quota"] == 1
    out = inspection_list(_scores(), 4, horizon_days=10, quotas={"customer_class": 0.5})  # 2 per class
    assert out["customer_id"].tolist() == [2, 1, 6, 4] and out.attrs["excluded_quota"] == 0


def test_recently_inspected_are_excluded():
    ids = [1, 2, 3, 4, 5, 6]
    customers = pd.DataFrame({"customer_id": ids, "customer_class": "residential", "industry_code": None,
                              "region": "a", "supply_station": "s", "tariff": "t", "contracted_kva": 8.0,
                              "voltage_kv": 0.22, "connected_on": "2020-01-01", "closed_on": None,
                              "preferred_channel": "app"})
    meter = pd.DataFrame({"customer_id": ids, "date": "2024-01-01", "kwh": 1.0})
    events = pd.DataFrame({"customer_id": [2, 1], "at": ["2023-12-01", "2023-01-01"], "kind": "theft",
                           "detail": None})
    ds = validate_tables({"customers": customers, "meter_daily": meter, "events": events}, extracted_on="2024-02-01")
    out = inspection_list(_scores(), 3, dataset=ds, exclude_days=180, horizon_days=10)
    assert 2 not in out["customer_id"].tolist() and 1 in out["customer_id"].tolist()
    assert out.attrs["excluded_recent"] == 1
    assert 2 in inspection_list(_scores(), 3, dataset=ds, exclude_days=0)["customer_id"].tolist()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"capacity": 0}, "capacity must be a whole number >= 1"),
    ({"capacity": 2, "prices": "cheap"}, "prices must be"),
    ({"capacity": 2, "quotas": {"station": 0.5}}, "quotas.station"),
    ({"capacity": 2, "quotas": {"region": 1.5}}, "quotas.region must be a share"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        inspection_list(_scores(), **kwargs)


def test_scores_without_the_columns():
    with pytest.raises(InputError, match="lacks the columns"):
        inspection_list(pd.DataFrame({"score": np.ones(3)}), 2)
