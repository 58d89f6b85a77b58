"""Choosing k: score table, criteria, votes, elbow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.segmentation import SegmentationInputError, choose_k, score_k_range
from gridcrm.segmentation.selection import elbow_k


@pytest.fixture
def four_groups() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(c, 0.4, size=(80, 2)) for c in ([0, 0], [5, 0], [0, 5], [5, 5])])


def test_scores_and_choice(four_groups: np.ndarray) -> None:
    scores = score_k_range(four_groups, (2, 7), random_state=0)
    assert scores.index.tolist() == [2, 3, 4, 5, 6, 7]
    assert (np.diff(scores["inertia"]) < 0).all()
    k, votes = choose_k(scores)
    assert k == 4 and votes == {"silhouette": 4, "calinski_harabasz": 4, "davies_bouldin": 4, "elbow": 4}


def test_each_criterion_alone() -> None:
    scores = pd.DataFrame(
        {"inertia": [100.0, 50.0, 20.0, 18.0], "silhouette": [0.5, 0.7, 0.6, 0.4],
         "calinski_harabasz": [10.0, 20.0, 30.0, 25.0], "davies_bouldin": [0.9, 0.8, 0.5, 0.7]},
        index=pd.Index([2, 3, 4, 5], name="k"),
    )  # fmt: skip
    assert choose_k(scores, "silhouette")[0] == 3
    assert choose_k(scores, "calinski_harabasz")[0] == 4
    assert choose_k(scores, "davies_bouldin")[0] == 4
    assert choose_k(scores, "elbow")[0] == 4
    assert choose_k(scores, "vote")[0] == 4
    with pytest.raises(SegmentationInputError, match="k_selection must be one of"):
        choose_k(scores, "gap")


def test_vote_tie_goes_to_the_best_silhouette() -> None:
    scores = pd.DataFrame(
        {"inertia": [100.0, 60.0, 30.0, 25.0], "silhouette": [0.6, 0.5, 0.55, 0.4],
         "calinski_harabasz": [10.0, 20.0, 15.0, 12.0], "davies_bouldin": [0.5, 0.9, 0.8, 0.7]},
        index=pd.Index([2, 3, 4, 5], name="k"),
    )  # fmt: skip
    k, votes = choose_k(scores)
    assert sorted(votes.values()) == [2, 2, 3, 4] and k == 2


def test_elbow() -> None:
    assert elbow_k(np.arange(2, 9), np.array([100, 50, 20, 17, 15, 14, 13.0])) == 4
    assert elbow_k(np.array([2, 3]), np.array([10.0, 5.0])) == 2


def test_silhouette_sample(four_groups: np.ndarray) -> None:
    full = score_k_range(four_groups, (3, 5), random_state=0, silhouette_sample_size=None)
    sampled = score_k_range(four_groups, (3, 5), random_state=0, silhouette_sample_size=100)
    np.testing.assert_allclose(full["silhouette"], sampled["silhouette"], atol=0.05)
    pd.testing.assert_series_equal(full["inertia"], sampled["inertia"])


def test_duplicates_give_nan_scores_not_a_crash() -> None:
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 10, axis=0)
    with pytest.warns(Warning, match="distinct clusters"):
        scores = score_k_range(X, (2, 4), random_state=0)
    assert scores.loc[2, "silhouette"] == pytest.approx(1.0)
    k, _ = choose_k(scores)
    assert k == 2
