"""Stability across seeds and bootstrap resamples, and the warning when segments are unstable."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans

from gridcrm.segmentation import CustomerSegmenter, UnstableSegmentsWarning, assess_stability


def test_separated_groups_are_stable(blobs) -> None:
    seg = CustomerSegmenter(n_clusters=3, random_state=0).fit(blobs)
    report = seg.stability_
    assert report.is_stable and report.mean_ari > 0.95
    assert len(report.ari_seeds) == 5 and len(report.ari_bootstrap) == 5
    assert report.segment_jaccard.index.tolist() == [0, 1, 2] and (report.segment_jaccard > 0.95).all()
    assert report.to_frame().shape == (10, 3)
    assert report.summary().startswith("mean ARI ")


def test_structureless_data_warns() -> None:
    X = np.random.default_rng(0).uniform(size=(300, 4))
    with pytest.warns(UnstableSegmentsWarning, match="the 6 segments are unstable"):
        seg = CustomerSegmenter(n_clusters=6, random_state=0, n_init=1).fit(X)
    assert not seg.stability_.is_stable


def test_stability_can_be_skipped(blobs) -> None:
    assert CustomerSegmenter(n_clusters=3, stability_runs=0).fit(blobs).stability_ is None


def test_an_arbitrary_split_is_flagged_segment_by_segment() -> None:
    rng = np.random.default_rng(0)
    # a tight group far away, and a round blob that k-means must cut in two along an arbitrary direction
    X = np.vstack([rng.normal(10, 0.1, (100, 2)), rng.normal(0, 1, (200, 2))])
    centers = KMeans(3, n_init=4, random_state=0).fit(X).cluster_centers_
    report = assess_stability(X, centers, n_runs=4, random_state=0)
    tight = int(np.argmax(centers[:, 0]))
    halves = [j for j in range(3) if j != tight]
    assert report.segment_jaccard.loc[tight] > 0.95
    assert report.segment_jaccard.loc[halves].min() < 0.9
    assert report.mean_ari < 0.95
