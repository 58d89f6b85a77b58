"""Segment and group portraits: shares, standardised differences, readable names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.segmentation import CustomerSegmenter, Phrase, SegmentationInputError, name_segments, profile_groups
from gridcrm.segmentation.customers import DEFAULT_FEATURES
from gridcrm.segmentation.profile import phrase_for, standardised_differences


def test_standardised_difference_is_cohens_d() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 2))
    values[::7, 1] = np.nan
    codes = np.repeat([0, 1, 2], [20, 20, 10])
    d = standardised_differences(values, codes, 3)
    for g in range(3):
        for j in range(2):
            x_in = values[codes == g, j]
            x_out = values[codes != g, j]
            x_in, x_out = x_in[~np.isnan(x_in)], x_out[~np.isnan(x_out)]
            pooled = np.sqrt(((len(x_in) - 1) * x_in.var(ddof=1) + (len(x_out) - 1) * x_out.var(ddof=1))
                             / (len(x_in) + len(x_out) - 2))  # fmt: skip
            assert d[g, j] == pytest.approx((x_in.mean() - x_out.mean()) / pooled)


def test_profile_of_a_fitted_segmenter(blobs: pd.DataFrame) -> None:
    frame = blobs.assign(
        customer_class=np.repeat(["residential", "commercial", "industrial"], [60, 40, 20]),
        kwh_total_365d=blobs["kwh_mean_365d"] * 365,
        bill_amount_mean_365d=blobs["kwh_mean_365d"] * 30 * 0.6,
        bills_365d=12,
    )
    seg = CustomerSegmenter(n_clusters=3, random_state=0, stability_runs=0).fit(blobs)
    profile = seg.profile(frame)
    s = profile.summary
    assert s["n_customers"].tolist() == [60, 40, 20]
    assert s["share_customers"].sum() == pytest.approx(1.0)
    assert s["share_consumption"].sum() == pytest.approx(1.0)
    assert s["share_consumption"].iloc[2] > 0.5 and s["share_revenue"].iloc[2] > 0.5
    assert s["dominant_class"].tolist() == ["residential", "commercial", "industrial"]
    assert s["name"].tolist() == [
        "low-consumption residential, weekend-heavy, prompt payers",
        "high-consumption commercial, weekday-heavy",
        "high-consumption industrial, late payers",
    ]
    assert profile.differences.columns.tolist() == ["kwh_mean_365d", "weekday_weekend_ratio", "on_time_rate_365d"]
    assert profile.top_features(2, n=1).index.tolist() == ["kwh_mean_365d"]
    assert profile.medians.loc[0, "weekday_weekend_ratio"] == pytest.approx(0.9, abs=0.02)
    assert s["top_features"].iloc[0].startswith("weekday_weekend_ratio -")
    described = seg.profile(frame.assign(complaints_365d=np.repeat([0, 0, 3], [60, 40, 20])), describe=["complaints_365d"])
    assert described.differences.loc[2, "complaints_365d"] > 2


def test_profile_needs_the_fit_columns(blobs: pd.DataFrame) -> None:
    seg = CustomerSegmenter(n_clusters=3, random_state=0, stability_runs=0).fit(blobs)
    with pytest.raises(SegmentationInputError, match="lacks column"):
        seg.profile(blobs.drop(columns="on_time_rate_365d"))
    labels = seg.labels_
    assert seg.profile(blobs.drop(columns="on_time_rate_365d").assign(on_time_rate_365d=0.9), labels=labels)


def test_group_portrait_by_a_column() -> None:
    frame = pd.DataFrame({
        "customer_class": ["residential"] * 4 + ["commercial"] * 2,
        "kwh_mean_365d": [5.0, 6.0, 7.0, 6.5, 300.0, 280.0],
        "online_channel_share_365d": [0.9, 0.8, 0.95, 0.85, 0.1, 0.2],
    })  # fmt: skip
    p = profile_groups(frame, "customer_class")
    assert p.summary.index.tolist() == ["commercial", "residential"]
    assert p.names.tolist() == ["high-consumption commercial, offline payers", "low-consumption residential, online payers"]
    assert "customer_class" not in p.differences.columns


def test_missing_indicators_appear_in_the_portrait(synth_features) -> None:
    features, _ = synth_features
    seg = CustomerSegmenter(n_clusters=3, random_state=0, stability_runs=0).fit(features)
    profile = seg.profile(features)
    assert "load_factor_missing" in profile.differences.columns
    assert profile.summary["n_customers"].sum() == len(features)


def test_names_are_unique() -> None:
    d = pd.DataFrame(
        {"kwh_mean_365d": [1.0, 1.1, -1.0], "weekday_weekend_ratio": [1.0, 1.2, 0.0],
         "on_time_rate_365d": [0.9, 0.8, 0.0], "kwh_cv_90d": [0.7, -0.7, 0.0]},
    )  # fmt: skip
    names = name_segments(d)
    assert len(set(names)) == 3
    assert names[0] != names[1] and names[0].startswith("high-consumption customers, weekday-heavy, prompt payers")
    same = pd.DataFrame({"x": [1.0, 1.0]})
    assert name_segments(same) == ["customers, high x (0)", "customers, high x (1)"]


def test_phrases() -> None:
    for name in DEFAULT_FEATURES:
        assert not phrase_for(name).theme == name, f"no phrase for default feature {name}"
    assert phrase_for("kwh_total_30d").theme == "level"
    assert phrase_for("idle_day_share").high == "high idle_day_share"
    custom = {"idle_day_share": Phrase("idle", "often idle")}
    assert phrase_for("idle_day_share", custom).high == "often idle"


def test_bad_groups() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(SegmentationInputError, match="one label per row"):
        profile_groups(frame, [0])
    with pytest.raises(SegmentationInputError, match="no column 'g'"):
        profile_groups(frame, "g")
    with pytest.raises(SegmentationInputError, match="missing group labels"):
        profile_groups(frame, [0, None])
