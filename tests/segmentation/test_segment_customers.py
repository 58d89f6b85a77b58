"""CustomerSegmenter: fitting, choosing k, features, bad input, prediction."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from gridcrm.features import FEATURES
from gridcrm.segmentation import DEFAULT_FEATURES, CustomerSegmenter, SegmentationInputError

TRUE_GROUPS = np.repeat([0, 1, 2], [60, 40, 20])


def quick(**params) -> CustomerSegmenter:
    return CustomerSegmenter(**{"random_state": 0, "stability_runs": 0, "k_range": (2, 6), **params})


def test_default_features_are_numeric_registry_features() -> None:
    assert len(set(DEFAULT_FEATURES)) == len(DEFAULT_FEATURES)
    for name in DEFAULT_FEATURES:
        assert FEATURES[name].kind in ("float", "int"), name


def test_auto_k_finds_the_groups(blobs: pd.DataFrame) -> None:
    seg = quick().fit(blobs)
    assert seg.n_clusters_ == 3
    assert adjusted_rand_score(TRUE_GROUPS, seg.labels_) == 1.0
    assert list(seg.k_scores_.columns) == ["inertia", "silhouette", "calinski_harabasz", "davies_bouldin"]
    assert list(seg.k_scores_.index) == [2, 3, 4, 5, 6]
    assert set(seg.k_votes_) == {"silhouette", "calinski_harabasz", "davies_bouldin", "elbow"}


def test_segments_numbered_by_size_and_predict_matches_labels(blobs: pd.DataFrame) -> None:
    seg = quick(n_clusters=3).fit(blobs)
    assert np.bincount(seg.labels_).tolist() == [60, 40, 20]
    np.testing.assert_array_equal(seg.predict(blobs), seg.labels_)
    assert seg.k_scores_ is None and seg.k_votes_ is None
    assert seg.cluster_centers_.shape == (3, len(seg.preprocessor_.get_feature_names_out()))


def test_same_seed_same_segments(blobs: pd.DataFrame) -> None:
    a = quick(n_clusters=4).fit(blobs)
    b = clone(a).fit(blobs)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_)


def test_default_features_used_when_present(blobs: pd.DataFrame) -> None:
    frame = blobs.assign(customer_class="residential", extra=np.arange(len(blobs), dtype=float))
    seg = quick(n_clusters=3).fit(frame)
    assert seg.features_ == ["kwh_mean_365d", "weekday_weekend_ratio", "on_time_rate_365d"]
    assert seg.n_features_in_ == 5


def test_frame_without_registry_names_uses_all_columns() -> None:
    X = pd.DataFrame({"a": [0.0, 0.1, 5.0, 5.1], "b": [1.0, 1.1, 3.0, 3.2]})
    seg = quick(n_clusters=2).fit(X)
    assert seg.features_ == ["a", "b"]


def test_explicit_features_by_name_and_position(blobs: pd.DataFrame) -> None:
    by_name = quick(n_clusters=3, features=["kwh_mean_365d"]).fit(blobs)
    by_position = quick(n_clusters=3, features=[0]).fit(blobs.to_numpy())
    assert by_name.features_ == ["kwh_mean_365d"] and by_position.features_ == ["x0"]
    np.testing.assert_array_equal(by_name.labels_, by_position.labels_)


@pytest.mark.parametrize(
    ("features", "message"),
    [(["kwh_mean_365d", "nope"], "X has no column 'nope'"), ([7], "position 7 is outside"), (["kwh_mean_365d"] * 2,
     "distinct columns")],
)
def test_bad_feature_lists_name_the_problem(blobs: pd.DataFrame, features, message: str) -> None:
    with pytest.raises(SegmentationInputError, match=message):
        quick(n_clusters=2, features=features).fit(blobs)


def test_non_numeric_column_is_named(blobs: pd.DataFrame) -> None:
    frame = blobs.assign(region=pd.Categorical(["east", "west"] * 60))
    with pytest.raises(SegmentationInputError, match=r"non-numeric column\(s\) \['region \(category\)'\]"):
        quick(n_clusters=2, features=None).fit(frame)


def test_all_nan_column_explicit_is_an_error(blobs: pd.DataFrame) -> None:
    frame = blobs.assign(extra=np.nan)
    with pytest.raises(SegmentationInputError, match=r"\['extra'\] are missing \(NaN\) in every row"):
        quick(n_clusters=2, features=None).fit(frame)


def test_all_nan_default_feature_is_left_out_with_a_warning(blobs: pd.DataFrame) -> None:
    frame = blobs.assign(peak_share=np.nan)
    with pytest.warns(UserWarning, match=r"default feature\(s\) \['peak_share'\] are missing for every customer"):
        seg = quick(n_clusters=3).fit(frame)
    assert "peak_share" not in seg.features_
    assert seg.predict(frame).shape == (120,)


def test_only_empty_default_features_is_an_error(blobs: pd.DataFrame) -> None:
    frame = pd.DataFrame({"peak_share": np.nan, "x": np.arange(5.0)}, index=range(5))
    with pytest.raises(SegmentationInputError, match=r"default features present in X \(\['peak_share'\]\) are missing"):
        quick(n_clusters=2).fit(frame)


def test_constant_column_is_dropped_with_a_warning(blobs: pd.DataFrame) -> None:
    frame = blobs.assign(contracted_kva=8.0)
    with pytest.warns(UserWarning, match=r"dropping constant column\(s\) \['contracted_kva'\]"):
        seg = quick(n_clusters=3).fit(frame)
    assert "contracted_kva" not in seg.preprocessor_.get_feature_names_out()
    assert adjusted_rand_score(TRUE_GROUPS, seg.labels_) == 1.0


def test_all_constant_is_an_error() -> None:
    with pytest.raises(SegmentationInputError, match="every column of X is constant"):
        quick(n_clusters=2).fit(np.ones((10, 2)))


def test_fewer_rows_than_clusters() -> None:
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(SegmentationInputError, match=r"n_clusters=5 but X has only n_samples=4 rows"):
        quick(n_clusters=5).fit(X)
    with pytest.raises(SegmentationInputError, match=r"choosing k in 3\.\.6 needs at least 4 rows"):
        CustomerSegmenter(k_range=(3, 6)).fit(X[:3])


def test_k_range_capped_by_rows() -> None:
    X = np.array([[0.0, 0], [0.1, 0], [5, 5], [5.1, 5], [9, 0], [9.1, 0.1]])
    seg = quick(k_range=(2, 12)).fit(X)
    assert seg.k_scores_.index.max() == 5


@pytest.mark.parametrize("k_range", [(1, 4), (5, 3), (2,), ("2", 4), 6])
def test_bad_k_range(blobs: pd.DataFrame, k_range) -> None:
    with pytest.raises((SegmentationInputError, ValueError), match="k_range"):
        CustomerSegmenter(k_range=k_range).fit(blobs)


def test_infinity_is_an_error_naming_the_column(blobs: pd.DataFrame) -> None:
    frame = blobs.copy()
    frame.loc[105, "weekday_weekend_ratio"] = np.inf
    with pytest.raises(SegmentationInputError, match=r"infinity in column\(s\) \['weekday_weekend_ratio'\]"):
        quick(n_clusters=3).fit(frame)
    seg = quick(n_clusters=3).fit(blobs)
    with pytest.raises(SegmentationInputError, match="infinity"):
        seg.predict(frame)


def test_missing_values_imputed_and_flagged(blobs: pd.DataFrame) -> None:
    frame = blobs.copy()
    frame.loc[frame.index[:40:2], "on_time_rate_365d"] = np.nan  # 20 of 120 missing: an indicator
    seg = quick(n_clusters=3).fit(frame)
    assert "on_time_rate_365d_missing" in seg.preprocessor_.get_feature_names_out()
    assert np.isfinite(seg.cluster_centers_).all()


def test_nan_at_predict_time_is_imputed_and_logged(blobs: pd.DataFrame, caplog) -> None:
    seg = quick(n_clusters=3).fit(blobs)
    new = blobs.iloc[[0, 70, 110]].copy()
    new.loc[new.index[1], "on_time_rate_365d"] = np.nan
    with caplog.at_level(logging.WARNING, logger="gridcrm.segmentation"):
        labels = seg.predict(new)
    np.testing.assert_array_equal(labels, seg.labels_[[0, 70, 110]])
    assert "on_time_rate_365d" in caplog.text and "imputed with the training median" in caplog.text


def test_predict_checks_the_columns(blobs: pd.DataFrame) -> None:
    seg = quick(n_clusters=3).fit(blobs)
    with pytest.raises(ValueError, match="same order"):
        seg.predict(blobs[blobs.columns[::-1]])
    with pytest.raises(ValueError, match="expecting 3 features"), pytest.warns(UserWarning, match="feature names"):
        seg.predict(blobs.to_numpy()[:, :2])


def test_minibatch_and_sample_paths_agree_with_full_kmeans() -> None:
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(c, 0.3, size=(400, 3)) for c in (0, 3, 6)])
    full = quick(n_clusters=3).fit(X)
    sampled = quick(n_clusters=3, selection_sample_size=300, minibatch_threshold=500).fit(X)
    auto = quick(selection_sample_size=300, minibatch_threshold=500).fit(X)
    assert full.algorithm_ == "kmeans" and sampled.algorithm_ == "minibatch"
    assert adjusted_rand_score(full.labels_, sampled.labels_) == 1.0
    assert auto.n_clusters_ == 3 and adjusted_rand_score(full.labels_, auto.labels_) == 1.0


def test_n_jobs_gives_the_same_result(blobs: pd.DataFrame) -> None:
    one = CustomerSegmenter(k_range=(2, 5), stability_runs=2, random_state=0).fit(blobs)
    two = clone(one).set_params(n_jobs=2).fit(blobs)
    np.testing.assert_array_equal(one.labels_, two.labels_)
    pd.testing.assert_frame_equal(one.k_scores_, two.k_scores_)


def test_verbose_logs_progress_at_info(blobs: pd.DataFrame, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="gridcrm.segmentation"):
        quick(verbose=0).fit(blobs)
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]
    with caplog.at_level(logging.INFO, logger="gridcrm.segmentation"):
        quick(verbose=1).fit(blobs)
    assert any("chose k=3" in r.getMessage() for r in caplog.records)


def test_no_warnings_on_clean_data(blobs: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CustomerSegmenter(k_range=(2, 5), random_state=0).fit(blobs)
