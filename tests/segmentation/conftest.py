"""Fixtures of the segmentation tests: synthetic customers (features and truth) and interval load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data.synth import generate_dataset
from gridcrm.features import build_features


@pytest.fixture(scope="session")
def synth_features() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature table of 3,000 synthetic customers after 18 months, and the generator's truth for them."""
    synth = generate_dataset(3000, "2023-01-01", "2024-06-30", seed=11)
    features = build_features(synth.dataset)
    return features, synth.truth.loc[features.index]


@pytest.fixture(scope="session")
def synth_load() -> tuple[pd.DataFrame, pd.DataFrame]:
    """15-minute load of 300 synthetic customers (all interval-metered) over 14 days, and the truth."""
    synth = generate_dataset(300, "2024-01-01", "2024-02-29", seed=3, n_interval_customers=300, interval_days=14)
    return synth.dataset["load_interval"], synth.truth


@pytest.fixture
def blobs() -> pd.DataFrame:
    """Three well-separated groups of customers (60, 40, 20) on registry features."""
    rng = np.random.default_rng(0)
    sizes, level, weekly, punctual = [60, 40, 20], [1.5, 3.5, 5.5], [0.9, 1.6, 1.25], [0.97, 0.93, 0.85]
    parts = [
        pd.DataFrame({
            "kwh_mean_365d": rng.lognormal(lv, 0.2, n),
            "weekday_weekend_ratio": rng.normal(wk, 0.04, n),
            "on_time_rate_365d": np.clip(rng.normal(pt, 0.03, n), 0, 1),
        })
        for n, lv, wk, pt in zip(sizes, level, weekly, punctual, strict=True)
    ]  # fmt: skip
    frame = pd.concat(parts, ignore_index=True)
    frame.index = pd.RangeIndex(100, 100 + len(frame), name="customer_id")
    return frame
