"""Plots: k selection, load shapes, segment sizes, feature heatmap (drawn and saved, not looked at)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from gridcrm.segmentation import CustomerSegmenter, SegmentationInputError
from gridcrm.segmentation.plots import plot_feature_heatmap, plot_k_selection, plot_load_shapes, plot_segment_sizes
from gridcrm.segmentation.shapes import LoadShapeClusterer

matplotlib.use("Agg")


@pytest.fixture
def segmenter(blobs: pd.DataFrame) -> CustomerSegmenter:
    return CustomerSegmenter(k_range=(2, 6), random_state=0, stability_runs=0).fit(blobs)


def test_k_selection_plot(segmenter: CustomerSegmenter, tmp_path) -> None:
    fig = plot_k_selection(segmenter)
    assert len(fig.axes) == 4 and "k = 3" in fig._suptitle.get_text()
    fig.savefig(tmp_path / "k.png")
    assert plot_k_selection(segmenter.k_scores_).axes
    with pytest.raises(SegmentationInputError, match="n_clusters='auto'"):
        plot_k_selection(CustomerSegmenter(n_clusters=2, stability_runs=0).fit(np.eye(4)))


def test_profile_plots(segmenter: CustomerSegmenter, blobs: pd.DataFrame, tmp_path) -> None:
    profile = segmenter.profile(blobs.assign(kwh_total_365d=blobs["kwh_mean_365d"] * 365))
    fig = plot_segment_sizes(profile)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["customers", "consumption"]
    fig.savefig(tmp_path / "sizes.png")
    fig = plot_feature_heatmap(profile, max_features=2)
    assert len(fig.axes[0].get_xticklabels()) == 2
    fig.savefig(tmp_path / "heatmap.png")


def test_load_shape_plot(tmp_path) -> None:
    rng = np.random.default_rng(0)
    hours = np.arange(24)
    evening = 1 + 2 * np.exp(-0.5 * ((hours - 19) / 1.5) ** 2)
    X = np.vstack([evening * rng.uniform(1, 3, (20, 1)), np.ones((10, 24))]) * rng.lognormal(0, 0.05, (30, 24))
    lsc = LoadShapeClusterer(n_clusters=2, random_state=0).fit(X)
    fig = plot_load_shapes(lsc)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["0: evening peak (20, 67%)", "1: flat (10, 33%)"]
    fig.savefig(tmp_path / "shapes.png")
