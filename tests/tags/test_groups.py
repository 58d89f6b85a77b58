"""The one group-description engine behind segment profiles and group portraits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gridcrm.segmentation.profile as profile_module
import gridcrm.tags.portraits as portraits_module
from gridcrm.errors import InputError
from gridcrm.segmentation import profile_groups
from gridcrm.tags import Portraits, TagSet
from gridcrm.tags.groups import describe_groups

TAGS = TagSet.from_dict({"categories": {"usage": "Use"}, "tags": [
    {"id": "big", "label": "Big", "category": "usage", "rule": {"feature": "kwh_mean_365d", "op": ">", "value": 5}}]})


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "kwh_mean_365d": [2.0, 4.0, 10.0, 20.0, np.nan, 8.0],
        "kwh_total_365d": [700.0, 1400.0, 3600.0, 7300.0, 0.0, 3000.0],
        "customer_class": ["residential", "residential", "commercial", "commercial", "residential", "commercial"],
        "region": ["a", "a", "b", "b", "a", None],
    }, index=pd.Index(range(1, 7), name="customer_id"))


def test_describe_groups_by_hand():
    f = _frame()
    d = describe_groups(f, "region", features=["kwh_mean_365d"], differences=True, distributions=True,
                        indicators=TAGS.evaluate(f).indicators(), totals={"consumption": f["kwh_total_365d"]},
                        dominant="customer_class")
    assert d.by == "region" and d.groups.tolist() == ["a", "b"] and d.codes.tolist() == [0, 0, 1, 1, 0, -1]
    # customer 6 has no region: counted in the population (shares, "all") but in no group
    assert d.sizes["n_customers"].tolist() == [3, 2] and d.sizes["share_customers"].tolist() == [0.5, 2 / 6]
    assert d.shares["share_consumption"].tolist() == pytest.approx([2100 / 16000, 10900 / 16000])
    assert d.medians["kwh_mean_365d"].tolist() == [3.0, 15.0]  # the missing value is ignored
    assert d.dominant["dominant_customer_class"].tolist() == ["residential", "commercial"]
    assert d.dominant["dominant_customer_class_share"].tolist() == [1.0, 1.0]
    # Cohen's d of a (2, 4) against b (10, 20): pooled sd sqrt((2 + 50) / 2), difference -12
    assert d.differences.loc["a", "kwh_mean_365d"] == pytest.approx(-12 / np.sqrt(26))
    assert d.differences.loc["b", "kwh_mean_365d"] == pytest.approx(12 / np.sqrt(26))
    # big (kwh > 5): nobody of a, both of b, and 3 of all 6 customers
    assert d.prevalence.loc["big"].tolist() == [0.0, 1.0, 0.5] and d.lift.loc["big"].tolist() == [0.0, 2.0]
    assert d.distributions.loc[("kwh_mean_365d", "all"), "count"] == 5
    assert d.distributions.loc[("kwh_mean_365d", "a"), "missing_share"] == pytest.approx(1 / 3)
    assert d.units == {"kwh_mean_365d": "kWh/day"}
    assert d.labels == {"kwh_mean_365d": "Mean daily kWh over the last 365 days"}


def test_describe_groups_errors():
    f = _frame()
    with pytest.raises(InputError, match="groups: frame has no column 'zone'"):
        describe_groups(f, "zone")
    with pytest.raises(InputError, match="aligned with the frame's 6 rows"):
        describe_groups(f, pd.Series([1, 2]))
    with pytest.raises(InputError, match=r"no column\(s\) \['kwh'\]"):
        describe_groups(f, "region", features=["kwh"])


def test_segment_profiles_and_group_portraits_share_the_engine(monkeypatch):
    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return describe_groups(*args, **kwargs)

    monkeypatch.setattr(profile_module, "describe_groups", spy)
    monkeypatch.setattr(portraits_module, "describe_groups", spy)
    f = _frame().dropna(subset=["region"]).fillna({"kwh_mean_365d": 1.0})
    profile = profile_groups(f, "region", features=["kwh_mean_365d"])
    portrait = Portraits(f, TAGS.evaluate(f)).group_portrait("region", features=["kwh_mean_365d"])
    assert len(calls) == 2 and calls[0]["differences"] and calls[1]["distributions"]
    # one engine, one answer: sizes and medians agree between the two descriptions
    assert profile.summary["n_customers"].tolist() == portrait.kpis["customers"].drop("all").tolist() == [3, 2]
    medians = portrait.distributions.xs("kwh_mean_365d", level="feature")["p50"].drop("all")
    assert profile.medians["kwh_mean_365d"].tolist() == medians.tolist() == [2.0, 15.0]
