"""scikit-learn's estimator checks on the segmentation estimators."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from gridcrm.segmentation import CustomerSegmenter, SegmentationPreprocessor
from gridcrm.segmentation.shapes import LoadShapeClusterer

_ROW_SHAPES = (
    "rows are normalised into shapes, so the positions of make_blobs clusters are (by design) not what is "
    "clustered; covered by the load-shape quality tests"
)


def _expected_failures(estimator) -> dict[str, str]:
    if isinstance(estimator, LoadShapeClusterer) and estimator.normalize is not None:
        return {"check_clustering": _ROW_SHAPES}
    return {}


@pytest.mark.filterwarnings("ignore::gridcrm.segmentation.UnstableSegmentsWarning")  # random data has no segments
@pytest.mark.filterwarnings("ignore:Number of distinct clusters:sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        SegmentationPreprocessor(),
        CustomerSegmenter(n_clusters=3, stability_runs=0),
        CustomerSegmenter(k_range=(2, 4), stability_runs=2, n_init=2),
        LoadShapeClusterer(normalize=None, k_range=(2, 4), n_init=2),
        LoadShapeClusterer(n_clusters=3, normalize="total"),
        LoadShapeClusterer(n_clusters=3, normalize="zscore"),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check) -> None:
    check(estimator)
