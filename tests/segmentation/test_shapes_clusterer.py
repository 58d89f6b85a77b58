"""LoadShapeClusterer: normalisation, idle days, names, shape mix, bad input, quality on synthetic load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.segmentation import SegmentationInputError
from gridcrm.segmentation.shapes import IDLE, LoadShapeClusterer, daily_load_profiles, name_shapes, normalize_profiles

HOURS = np.arange(24)
EVENING = 1 + 2 * np.exp(-0.5 * ((HOURS - 19) / 1.5) ** 2)
DAYTIME = 0.3 + 2 * ((HOURS >= 8) & (HOURS < 18))
FLAT = np.ones(24)


@pytest.fixture
def days() -> pd.DataFrame:
    """Customer-days of three customers: evening (1), daytime (2) and flat (3) load, of very different sizes."""
    rng = np.random.default_rng(0)
    rows, index = [], []
    for cid, shape, size in ((1, EVENING, 1.0), (2, DAYTIME, 50.0), (3, FLAT, 800.0)):
        for d in range(30):
            rows.append(shape * size * rng.uniform(0.7, 1.3) * rng.lognormal(0, 0.05, 24))
            index.append((cid, pd.Timestamp("2024-03-01") + pd.Timedelta(days=d)))
    cols = [f"{h:02d}:00" for h in HOURS]
    return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["customer_id", "date"]), columns=cols)


def test_shapes_found_whatever_the_size(days: pd.DataFrame) -> None:
    lsc = LoadShapeClusterer(k_range=(2, 5), random_state=0).fit(days)
    assert lsc.n_clusters_ == 3
    assert sorted(lsc.shape_names_) == ["daytime peak", "evening peak", "flat"]
    by_customer = pd.crosstab(days.index.get_level_values("customer_id"), lsc.labels_)
    assert (by_customer.max(axis=1) == 30).all()
    np.testing.assert_allclose(lsc.shapes_.sum(axis=1), 1.0)  # shares of the day's energy
    assert lsc.shapes_.columns.tolist() == days.columns.tolist()
    np.testing.assert_array_equal(lsc.predict(days), lsc.labels_)


def test_shape_features(days: pd.DataFrame) -> None:
    lsc = LoadShapeClusterer(n_clusters=3, random_state=0).fit(days)
    features = lsc.shape_features(days)
    assert features.index.tolist() == [1, 2, 3]
    names = dict(zip(features.index, features["dominant_shape_name"].astype(str), strict=True))
    assert names == {1: "evening peak", 2: "daytime peak", 3: "flat"}
    share_cols = [c for c in features if c.startswith("shape_share_")]
    assert sorted(share_cols) == ["shape_share_daytime_peak", "shape_share_evening_peak", "shape_share_flat"]
    np.testing.assert_allclose(features[share_cols].sum(axis=1) + features["idle_day_share"], 1.0)
    flat_days = days.loc[[3]].reset_index(drop=True)
    again = lsc.shape_features(flat_days, customer_id=np.full(30, 3))
    assert again.loc[3, "shape_share_flat"] == 1.0
    with pytest.raises(SegmentationInputError, match="customer_id"):
        lsc.shape_features(flat_days)


def test_idle_days_have_no_shape(days: pd.DataFrame) -> None:
    with_idle = days.copy()
    with_idle.iloc[[0, 1]] = 0.0
    lsc = LoadShapeClusterer(n_clusters=3, random_state=0).fit(with_idle)
    assert (lsc.labels_[:2] == IDLE).all() and (lsc.labels_[2:] >= 0).all()
    assert lsc.shape_features(with_idle).loc[1, "idle_day_share"] == pytest.approx(2 / 30)


@pytest.mark.parametrize("normalize", ["total", "max", "zscore", None])
def test_normalisations(days: pd.DataFrame, normalize) -> None:
    lsc = LoadShapeClusterer(n_clusters=3, normalize=normalize, random_state=0).fit(days)
    assert lsc.n_clusters_ == 3
    if normalize == "max":
        assert lsc.shapes_.max(axis=1).between(0.8, 1.0).all()
    if normalize == "zscore":
        np.testing.assert_allclose(lsc.shapes_.mean(axis=1), 0.0, atol=1e-12)


def test_normalize_profiles() -> None:
    P = np.array([[1.0, 3.0], [2.0, 2.0], [0.0, 0.0]])
    S, idle = normalize_profiles(P, "max")
    np.testing.assert_allclose(S, [[1 / 3, 1.0], [1.0, 1.0], [0.0, 0.0]])
    S, idle = normalize_profiles(P, "zscore")
    np.testing.assert_allclose(S, [[-1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    assert idle.tolist() == [False, False, True]


def test_names() -> None:
    morning = 1 + 2 * np.exp(-0.5 * ((HOURS - 7) / 1.0) ** 2)
    two_humps = 1 + 1.8 * np.exp(-0.5 * ((HOURS - 7) / 1.0) ** 2) + 2 * np.exp(-0.5 * ((HOURS - 20) / 1.0) ** 2)
    night = np.roll(DAYTIME, 12)
    late = np.roll(EVENING, 2)
    names = name_shapes(np.vstack([s / s.sum() for s in (morning, two_humps, night, EVENING, late, FLAT)]))
    assert names == ["morning peak", "evening and morning peaks", "night peak", "evening peak at 19:00",
                     "evening peak at 21:00", "flat"]  # fmt: skip


def test_bad_input(days: pd.DataFrame) -> None:
    with pytest.raises(SegmentationInputError, match=r"Negative values in data: load profile column\(s\) \['05:00'\]"):
        LoadShapeClusterer(n_clusters=2).fit(days.assign(**{"05:00": -1.0}))
    gap = days.copy()
    gap.iloc[3, 7] = np.nan
    with pytest.raises(SegmentationInputError, match=r"missing values \(NaN\) in column\(s\) \['07:00'\]"):
        LoadShapeClusterer(n_clusters=2).fit(gap)
    lsc = LoadShapeClusterer(n_clusters=2, random_state=0).fit(days)
    with pytest.raises(SegmentationInputError, match="NaN"):
        lsc.predict(gap)
    with pytest.raises(SegmentationInputError, match="n_features=1"):
        LoadShapeClusterer(n_clusters=2).fit(np.ones((5, 1)))
    with pytest.raises(SegmentationInputError, match=r"n_clusters=4 but X has only n_samples=3 rows with consumption"):
        LoadShapeClusterer(n_clusters=4).fit(days.iloc[:3])


@pytest.mark.slow
def test_synthetic_shapes_separate_residential_commercial_industrial(synth_load) -> None:
    load, truth = synth_load
    profiles = daily_load_profiles(load, per="customer", days="weekday")
    lsc = LoadShapeClusterer(n_clusters=4, random_state=0).fit(profiles)
    segment = truth.loc[profiles.index, "latent_segment"].to_numpy()
    klass = truth.loc[profiles.index, "latent_class"].to_numpy()
    name = np.where(lsc.labels_ >= 0, np.array(lsc.shape_names_)[lsc.labels_], "idle")  # idle: a vacant home
    residential = klass == "residential"
    assert np.mean(np.char.find(name[residential].astype(str), "evening") >= 0) >= 0.95
    offices = segment == "office"  # commercial, office hours
    assert np.mean(np.char.find(name[offices].astype(str), "daytime") >= 0) >= 0.9
    round_the_clock = np.isin(segment, ["continuous", "process"])  # industrial / large industry
    assert np.mean(name[round_the_clock] == "flat") >= 0.9
    for label in np.unique(lsc.labels_[residential & (lsc.labels_ >= 0)]):  # their shapes hold (almost) only homes
        members = klass[lsc.labels_ == label]
        assert np.mean(members == "residential") >= 0.95


@pytest.mark.slow
def test_synthetic_day_level_shape_mix(synth_load) -> None:
    load, truth = synth_load
    days = daily_load_profiles(load)
    lsc = LoadShapeClusterer(random_state=0).fit(days)  # k chosen
    features = lsc.shape_features(days)
    klass = truth.loc[features.index, "latent_class"]
    dominant = features["dominant_shape_name"].astype(str)
    assert (dominant[klass == "residential"].str.contains("evening")).mean() >= 0.95
    offices = truth.loc[features.index, "latent_segment"] == "office"
    assert (dominant[offices].str.contains("daytime")).mean() >= 0.9
