"""Plots of segments and load shapes: k selection, centroid load shapes, segment sizes, feature heatmap.

Each function draws on a new figure (or the axes given) and returns the
figure; saving or showing it is the caller's business. matplotlib is imported
when a plot is drawn, not with :mod:`gridcrm.segmentation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridcrm.segmentation.errors import SegmentationInputError
from gridcrm.segmentation.profile import SegmentProfile

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_k_selection", "plot_load_shapes", "plot_segment_sizes", "plot_feature_heatmap"]

_CRITERIA_TITLES = {
    "silhouette": "Silhouette (higher is better)",
    "calinski_harabasz": "Calinski–Harabasz (higher is better)",
    "davies_bouldin": "Davies–Bouldin (lower is better)",
    "inertia": "Inertia (elbow)",
}


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def plot_k_selection(scores: Any, chosen: int | None = None) -> Figure:
    """The four k-selection criteria against k, with the chosen k marked.

    Parameters
    ----------
    scores : DataFrame or fitted CustomerSegmenter / LoadShapeClusterer
        A table of :func:`score_k_range`, or an estimator fitted with
        ``n_clusters="auto"`` (its ``k_scores_`` and ``n_clusters_`` are used).
    chosen : int, optional
        k to mark (default: the estimator's ``n_clusters_``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from gridcrm.segmentation import score_k_range
    >>> Z = np.vstack([np.random.default_rng(0).normal(c, 0.3, (30, 2)) for c in (0, 3)])
    >>> fig = plot_k_selection(score_k_range(Z, (2, 4), random_state=0), chosen=2)
    >>> len(fig.axes)
    4
    """
    if hasattr(scores, "k_scores_"):
        chosen = scores.n_clusters_ if chosen is None else chosen
        scores = scores.k_scores_
    if not isinstance(scores, pd.DataFrame):
        raise SegmentationInputError(
            "plot_k_selection needs a score table or an estimator fitted with n_clusters='auto' (k_scores_ is None)"
        )
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(9, 6), sharex=True)
    for ax, (col, title) in zip(axes.ravel(), _CRITERIA_TITLES.items(), strict=True):
        ax.plot(scores.index, scores[col], marker="o", color="tab:blue")
        if chosen is not None:
            ax.axvline(chosen, color="tab:red", linestyle="--", linewidth=1)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("k (number of segments)")
    fig.suptitle("Choosing k" + (f": k = {chosen}" if chosen is not None else ""))
    fig.tight_layout()
    return fig


def plot_load_shapes(clusterer: Any, ax: Axes | None = None, sizes: np.ndarray | None = None) -> Figure:
    """Representative (centroid) load shape of each cluster over the day.

    Parameters
    ----------
    clusterer : fitted LoadShapeClusterer
    ax : matplotlib Axes, optional
    sizes : array-like of int, optional
        Rows per shape for the legend; default: counted from ``clusterer.labels_``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from gridcrm.segmentation import LoadShapeClusterer
    >>> X = np.vstack([np.r_[np.ones(12), 3 * np.ones(12)], np.ones(24)]).repeat(5, axis=0)
    >>> fig = plot_load_shapes(LoadShapeClusterer(n_clusters=2, random_state=0).fit(X))
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['0: evening peak (5, 50%)', '1: flat (5, 50%)']
    """
    shapes = clusterer.shapes_
    if sizes is None:
        labels = clusterer.labels_
        sizes = np.bincount(labels[labels >= 0], minlength=len(shapes))
    total = max(int(np.sum(sizes)), 1)
    plt = _pyplot()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(9, 5))
    hours = np.arange(shapes.shape[1]) * 24 / shapes.shape[1]
    for i, row in shapes.iterrows():
        name = clusterer.shape_names_[i]
        ax.plot(hours, row.to_numpy(), linewidth=2, label=f"{i}: {name} ({sizes[i]:,}, {sizes[i] / total:.0%})")
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlim(0, 24)
    ax.set_xlabel("hour of day")
    unit = {"total": "share of the day's energy", "max": "share of the day's peak", "zscore": "z-score"}
    ax.set_ylabel(unit.get(clusterer.normalize, "load"))
    ax.set_title("Typical daily load shapes")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_segment_sizes(profile: SegmentProfile, ax: Axes | None = None) -> Figure:
    """Share of customers (and of consumption and revenue, when known) of each segment.

    Parameters
    ----------
    profile : SegmentProfile
        From :meth:`CustomerSegmenter.profile` or :func:`profile_groups`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from gridcrm.segmentation import profile_groups
    >>> frame = pd.DataFrame({"kwh_mean_365d": [4.0, 5.0, 300.0, 320.0], "segment": [0, 0, 1, 1]})
    >>> fig = plot_segment_sizes(profile_groups(frame, "segment"))
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['customers', 'consumption']
    """
    summary = profile.summary
    cols = [c for c in ("share_customers", "share_consumption", "share_revenue") if c in summary]
    plt = _pyplot()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(9, 1.2 + 0.55 * len(summary)))
    y = np.arange(len(summary))
    height = 0.8 / len(cols)
    for i, col in enumerate(cols):
        ax.barh(y + i * height, summary[col], height=height, label=col.removeprefix("share_"))
    ax.set_yticks(y + height * (len(cols) - 1) / 2)
    ax.set_yticklabels([f"{g}: {nm}" for g, nm in summary["name"].items()], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("share")
    ax.set_title("Segment sizes")
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_feature_heatmap(profile: SegmentProfile, max_features: int = 15, ax: Axes | None = None) -> Figure:
    """Standardised difference of each feature (columns) for each segment (rows).

    Grey "n/a" cells: the feature has no value for any customer of the segment
    (interval-meter features of a segment without interval meters, say).

    Parameters
    ----------
    profile : SegmentProfile
    max_features : int, default=15
        Features shown: those with the largest absolute difference in any segment.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from gridcrm.segmentation import profile_groups
    >>> frame = pd.DataFrame({"kwh_mean_365d": [4.0, 5.0, 300.0, 320.0], "tenure_years": [1.0, 9, 2, 8],
    ...                       "segment": [0, 0, 1, 1]})
    >>> fig = plot_feature_heatmap(profile_groups(frame, "segment"))
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['kwh_mean_365d', 'tenure_years']
    """
    d = profile.differences
    order = d.abs().max(axis=0).sort_values(ascending=False).index[:max_features]
    d = d[order]
    plt = _pyplot()
    if ax is None:
        label_width = 0.075 * max((len(f"{g}: {nm}") for g, nm in profile.names.items()), default=10)
        fig, ax = plt.subplots(figsize=(max(6.0, 2.0 + label_width + 0.65 * d.shape[1]), 2.0 + 0.5 * d.shape[0]))
    else:
        fig = ax.figure
    limit = max(float(np.nanmax(np.abs(d.to_numpy()))), 0.5) if d.size else 1.0
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="lightgrey")  # grey: not measured in the segment
    im = ax.imshow(np.ma.masked_invalid(d.to_numpy()), cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(d.shape[1]))
    ax.set_xticklabels(d.columns, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(d.shape[0]))
    ax.set_yticklabels([f"{g}: {nm}" for g, nm in profile.names.items()], fontsize=8)
    for (i, j), v in np.ndenumerate(d.to_numpy()):
        text, colour = ("n/a", "dimgrey") if not np.isfinite(v) else (f"{v:+.1f}", "white" if abs(v) > limit * 0.6
                                                                       else "black")  # fmt: skip
        ax.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
    fig.colorbar(im, ax=ax, label="standardised difference vs the rest")
    ax.set_title("What distinguishes each segment")
    fig.tight_layout()
    return fig
