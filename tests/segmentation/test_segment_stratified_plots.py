"""Plots of the stratified segmentation and of migration (#20): they draw what they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from gridcrm.segmentation import CustomerSegmenter, SegmentationInputError, migration_matrix
from gridcrm.segmentation.plots import plot_k_selection_by_stratum, plot_migration, plot_stratum_profile

from .test_segment_stratified import _customers, _segmenter


@pytest.fixture(scope="module")
def fitted() -> tuple[CustomerSegmenter, pd.DataFrame]:
    X, _ = _customers()
    return _segmenter().fit(X), X


def test_k_plot_has_a_row_per_segmented_stratum(fitted) -> None:
    seg, _ = fitted
    fig = plot_k_selection_by_stratum(seg)
    assert len(fig.axes) == 3 * 2  # residential and commercial; the 8 farms are not segmented
    assert fig.axes[0].get_title().startswith("residential")
    with pytest.raises(SegmentationInputError, match="by="):
        plot_k_selection_by_stratum(CustomerSegmenter(2, stability_runs=0).fit(np.arange(20.0).reshape(10, 2)))


def test_stratum_page_shows_shares_within_the_stratum(fitted) -> None:
    seg, X = fitted
    fig = plot_stratum_profile(seg.profile(X), "commercial")
    bars = [p.get_width() for p in fig.axes[0].patches][: int((seg.strata_["stratum"] == "commercial").sum())]
    assert sum(bars) == pytest.approx(1.0)
    with pytest.raises(SegmentationInputError, match="no stratum 'industrial'"):
        plot_stratum_profile(seg.profile(X), "industrial")


def test_migration_counts_moves_arrivals_and_departures(fitted) -> None:
    seg, X = fitted
    later = X.iloc[5:].copy()
    later = pd.concat([later, X.iloc[[0]].rename(index={X.index[0]: 99_999})])  # a newcomer like customer 0
    high = 2.0 * later["kwh_mean_365d"].max()
    target = seg.predict(later.iloc[[0]].assign(customer_class="residential", kwh_mean_365d=high))[0]
    before = pd.Series(seg.labels_, index=X.index)
    homes = later.index[(later["customer_class"] == "residential").to_numpy() & (before.reindex(later.index) != target)
                        .to_numpy()][:4]
    later.loc[homes, "kwh_mean_365d"] = high  # four homes now use far more than anyone
    m = migration_matrix(seg, X, later, labels=pd.Series(seg.labels_, index=X.index))
    assert m.shape == (seg.n_clusters_ + 1, seg.n_clusters_ + 1)
    assert m["(gone)"].sum() == 5 and m.loc["(new)"].sum() == 1
    assert np.trace(m.iloc[:-1, :-1].to_numpy()) == len(X) - 5 - 4
    assert m[target].sum() - m.loc[target, target] == 4
    assert m.to_numpy().sum() == len(X) + 1
    fig = plot_migration(m)
    assert fig.axes[0].get_title() == "Segment migration"


def test_stratum_page_draws_the_typical_day_of_metered_segments(fitted) -> None:
    from gridcrm.segmentation.shapes import segment_load_shapes

    seg, X = fitted
    commercial = X.index[(X["customer_class"] == "commercial").to_numpy()][:3]
    ts = pd.date_range("2024-01-01", periods=5 * 96, freq="15min")
    load = pd.DataFrame({"customer_id": np.repeat(commercial, len(ts)), "timestamp": np.tile(ts, 3),
                         "kw": np.tile(np.r_[np.ones(48), 3 * np.ones(48)], 15)})
    shapes = segment_load_shapes(load, pd.Series(seg.labels_, index=X.index), as_of="2024-01-06", days=30)
    assert sum(shapes.attrs["n_customers"].values()) == 3
    np.testing.assert_allclose(shapes.sum(axis=1), 1.0)
    fig = plot_stratum_profile(seg.profile(X), "commercial", shapes=shapes)
    titles = [ax.get_title() for ax in fig.axes]
    assert "Typical day (interval-metered customers)" in titles
    # nothing before as_of: no shapes, and the page has no such panel
    assert segment_load_shapes(load, pd.Series(seg.labels_, index=X.index), as_of="2024-01-01").empty
