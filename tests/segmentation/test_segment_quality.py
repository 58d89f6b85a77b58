"""Quality on synthetic data: segments recover the generator's latent customer classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from gridcrm.segmentation import CustomerSegmenter


@pytest.mark.slow
def test_segments_recover_latent_classes(synth_features) -> None:
    features, truth = synth_features
    seg = CustomerSegmenter(random_state=0).fit(features)  # defaults: features, k chosen in 2..12
    classes = truth["latent_class"].to_numpy()
    assert adjusted_rand_score(classes, seg.labels_) >= 0.8
    assert seg.stability_.is_stable
    mix = pd.crosstab(seg.labels_, classes, normalize="index")
    assert mix["residential"].max() >= 0.98  # one segment is (almost) only residential ...
    assert mix.loc[mix["residential"].idxmax()].sum() == pytest.approx(1.0)
    residential = classes == "residential"
    assert np.mean(seg.labels_[residential] == mix["residential"].idxmax()) >= 0.98  # ... and holds them all


@pytest.mark.slow
def test_segment_names_on_synthetic_customers(synth_features) -> None:
    features, truth = synth_features
    seg = CustomerSegmenter(random_state=0).fit(features)
    profile = seg.profile(features.assign(customer_class=truth["latent_class"].to_numpy()))
    names = profile.names.tolist()
    assert any(n.startswith("low-consumption residential") for n in names)
    assert any(n.startswith("high-consumption") and "weekday-heavy" in n for n in names)
    assert profile.summary["share_consumption"].max() > 0.9  # the business segment uses nearly all the energy
