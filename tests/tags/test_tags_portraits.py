"""Individual and group portraits, the KPIs and the plot."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from gridcrm.data import validate_tables
from gridcrm.data.synth import generate_dataset
from gridcrm.features import build_features
from gridcrm.tags import Portraits, group_kpis, load_tags, plot_group_portrait
from helpers import EXTRACTED_ON

TAGS_YAML = Path(__file__).resolve().parents[2] / "configs" / "tags.yaml"


@pytest.fixture(scope="module")
def tiny_portraits():
    from helpers import make_raw_tables

    raw = make_raw_tables()
    raw["customers"].loc[1, "closed_on"] = None
    features = build_features(validate_tables(raw, extracted_on=EXTRACTED_ON), "2024-03-01")
    return Portraits(features, load_tags(TAGS_YAML).evaluate(features),
                     segments=pd.Series({1: "families", 2: "shops"}, name="segment"),
                     scores=pd.DataFrame({"credit_score": [91.5], "credit_grade": ["AA"]}, index=[1]),
                     forecasts=pd.DataFrame({"kwh": [310.0], "kwh-lo-80": [280.0], "kwh-hi-80": [350.0]}, index=[1]))


@pytest.fixture(scope="module")
def synth_portraits():
    synth = generate_dataset(1500, "2023-01-01", "2024-12-31", seed=3)
    features = build_features(synth.dataset)
    segments = synth.truth["latent_segment"].rename("segment")
    return Portraits(features, load_tags(TAGS_YAML).evaluate(features), segments=segments)


def test_individual_portrait_is_a_json_record(tiny_portraits):
    record = tiny_portraits.portrait(1)
    assert json.loads(json.dumps(record)) == record
    assert record["customer_id"] == 1 and record["as_of"] == "2024-03-01T00:00:00"
    assert list(record["tags"]) == ["basic", "usage", "payment", "evaluation", "related"]
    assert record["tags"]["basic"]["label"] == "Basic attributes"
    basic = {t["id"]: t for t in record["tags"]["basic"]["tags"]}
    assert basic["residential"]["label"] == "Residential" and basic["tenure_band"]["level"] == "5-12 years"
    payment = {t["id"] for t in record["tags"]["payment"]["tags"]}
    assert {"online_first", "payment_reliability"} <= payment
    consumption = {f["name"]: f for f in record["features"]["consumption"]}
    assert consumption["kwh_mean_365d"] == {"name": "kwh_mean_365d", "unit": "kWh/day", "value": 10.5,
                                            "description": "Mean daily kWh over the last 365 days"}
    assert consumption["kwh_yoy_growth"]["value"] is None
    assert consumption["kwh_yoy_growth"]["missing"] == "less than two years of reads"
    assert record["segment"] == "families"
    assert record["scores"] == {"credit_score": 91.5, "credit_grade": "AA"}
    assert record["forecast"] == {"kwh": 310.0, "kwh-lo-80": 280.0, "kwh-hi-80": 350.0}


def test_slots_are_empty_until_models_fill_them(tiny_portraits):
    record = tiny_portraits.portrait(3)
    assert record["segment"] is None and record["scores"] == {} and record["forecast"] is None
    with pytest.raises(KeyError, match="customer_id 99 is not in the features"):
        tiny_portraits.portrait(99)


def test_group_kpis_by_hand(tiny_portraits):
    k = group_kpis(tiny_portraits.features, "region")
    # east: customers 1 (1 payment, wechat) and 2 (2 payments, bank); west: customer 3 (1 payment, counter)
    assert k.loc["east", "customers"] == 2 and k.loc["all", "customers"] == 3
    assert k.loc["east", "online_payment_rate"] == pytest.approx(1 / 3)
    assert k.loc["east", "online_channel_penetration"] == pytest.approx(0.5)
    assert k.loc["west", "online_payment_rate"] == 0.0
    assert k.loc["all", "on_time_payment_rate"] == pytest.approx(1 / 3)  # 1 of 3 bills due paid on time
    assert k.loc["east", "complaints_per_1000"] == pytest.approx(500.0)
    assert k["customer_share"].drop("all").sum() == pytest.approx(1.0)


def test_group_portrait_prevalence_and_lift(synth_portraits):
    gp = synth_portraits.group_portrait("customer_class")
    assert gp.kpis["customers"].drop("all").sum() == gp.kpis.loc["all", "customers"] == len(synth_portraits.features)
    prev = gp.prevalence
    assert prev.loc["residential", "residential"] == 1.0 and prev.loc["residential", "commercial"] == 0.0
    sizes = gp.kpis["customers"].drop("all")
    weighted = (prev[sizes.index] * sizes / sizes.sum()).sum(axis=1)
    np.testing.assert_allclose(weighted, prev["all"])  # groups add up to everyone
    assert gp.lift.loc["weekday_user", "commercial"] > 2
    top = gp.top_tags("commercial", n=5)
    assert "commercial" not in top.index  # restates the grouping
    assert (top["prevalence"] >= 0.05).all() and top["lift"].is_monotonic_decreasing
    dist = gp.distributions.loc[("kwh_mean_365d", "large_industry")]
    assert dist["p10"] <= dist["p50"] <= dist["p90"]
    json.dumps(gp.to_dict())


def test_group_portrait_by_segments_series(synth_portraits):
    gp = synth_portraits.group_portrait(synth_portraits.segments)
    assert gp.by == "segment" and "electric_heating" in gp.groups
    assert gp.prevalence.loc["heating_sensitive", "electric_heating"] > 0.5
    with pytest.raises(KeyError, match="by='segment_id' is not a column"):
        synth_portraits.group_portrait("segment_id")


def test_plot_group_portrait_writes_a_readable_png(synth_portraits, tmp_path):
    gp = synth_portraits.group_portrait("region")
    fig = plot_group_portrait(gp, tmp_path / "by_region.png")
    try:
        assert (tmp_path / "by_region.png").stat().st_size > 50_000
        titles = [ax.get_title(loc="left") for ax in fig.axes]
        assert "Group size" in titles and "Channel and payment KPIs" in titles
        assert any(t.startswith("Most distinctive tags") for t in titles)
    finally:
        plt.close(fig)
    with pytest.raises(KeyError, match="feature='nope' is not summarised"):
        plot_group_portrait(gp, feature="nope")


def test_portrait_table_has_one_row_per_customer(tiny_portraits):
    table = tiny_portraits.table()
    assert table.index.equals(tiny_portraits.features.index)
    assert [c for c in table.columns if c.startswith("tags_")] == [
        "tags_basic", "tags_usage", "tags_payment", "tags_evaluation", "tags_related"]
    assert "Tenure: 5-12 years" in table.loc[1, "tags_basic"].split("; ")
    assert table.loc[1, "credit_grade"] == "AA" and pd.isna(table.loc[3, "credit_score"])
    assert table.loc[1, "kwh-hi-80"] == 350.0 and table.loc[2, "segment"] == "shops"
    record = tiny_portraits.portrait(2)
    held = [t["label"] + (f": {t['level']}" if t["level"] else "") for t in record["tags"]["related"]["tags"]]
    assert table.loc[2, "tags_related"] == "; ".join(held)
