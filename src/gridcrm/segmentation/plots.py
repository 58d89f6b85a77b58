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

__all__ = ["plot_k_selection", "plot_load_shapes", "plot_segment_sizes", "plot_feature_heatmap",
           "plot_k_selection_by_stratum", "plot_stratum_profile", "plot_migration"]

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


def plot_k_selection_by_stratum(segmenter: Any) -> Figure:
    """Evidence for k in each stratum of a ``CustomerSegmenter(by=..., k_selection="stability")``: one row each.

    Columns: stability (mean ARI across seeds and bootstraps, and the least
    stable segment's bootstrap Jaccard) with their thresholds, the smallest
    segment's share, and the silhouette (shown, not used: it favours k = 2).
    The chosen k is the dashed red line.

    Parameters
    ----------
    segmenter : CustomerSegmenter
        Fitted with ``by`` and ``n_clusters="auto"``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    scores = getattr(segmenter, "k_scores_", None)
    if getattr(segmenter, "by", None) is None or scores is None:
        raise SegmentationInputError("plot_k_selection_by_stratum needs a CustomerSegmenter fitted with by=... and "
                                     "n_clusters='auto'")
    strata = list(dict.fromkeys(scores.index.get_level_values("stratum")))
    chosen = segmenter.strata_.groupby("stratum").size()
    plt = _pyplot()
    fig, axes = plt.subplots(len(strata), 3, figsize=(11, 1.2 + 2.2 * len(strata)), squeeze=False)
    for row, stratum in zip(axes, strata, strict=True):
        table = scores.xs(stratum, level="stratum")
        k = table.index.to_numpy()
        panels = (
            ("stability", "mean ARI across refits", getattr(segmenter, "stability_threshold", None)),
            ("min_share", "smallest segment's share", getattr(segmenter, "min_segment_share", None)),
            ("silhouette", "silhouette (not used)", None),
        )
        for ax, (col, title, line) in zip(row, panels, strict=True):
            if col in table:
                ax.plot(k, table[col], marker="o", color="tab:blue", label=col)
            if col == "stability" and "min_jaccard" in table:
                ax.plot(k, table["min_jaccard"], marker="s", color="tab:green", label="least stable segment's Jaccard")
                ax.legend(fontsize=7)
            if line is not None:
                ax.axhline(line, color="grey", linestyle=":", linewidth=1)
            ax.axvline(int(chosen[stratum]), color="tab:red", linestyle="--", linewidth=1)
            ax.set_title(f"{stratum}: {title}", fontsize=9)
            ax.grid(alpha=0.3)
        row[0].set_ylabel(f"k = {int(chosen[stratum])}")
    for ax in axes[-1]:
        ax.set_xlabel("k (number of segments)")
    fig.suptitle("Choosing k in each stratum: the largest k whose segments come back and are not too small")
    fig.tight_layout()
    return fig


def plot_stratum_profile(profile: SegmentProfile, stratum: str, max_features: int = 10,
                         shapes: pd.DataFrame | None = None) -> Figure:
    """One page for one stratum: its segments' sizes and shares, what distinguishes each, their typical day.

    Parameters
    ----------
    profile : SegmentProfile
        From ``CustomerSegmenter(by=...).profile`` (its summary has a ``stratum`` column).
    stratum : str
    max_features : int, default=10
    shapes : DataFrame, optional
        Typical day of each segment (:func:`gridcrm.segmentation.shapes.segment_load_shapes`);
        drawn when it holds a segment of the stratum.

    Returns
    -------
    matplotlib.figure.Figure
    """
    summary = profile.summary
    if "stratum" not in summary or stratum not in set(summary["stratum"]):
        raise SegmentationInputError(f"the profile has no stratum {stratum!r}")
    rows = summary.index[summary["stratum"] == stratum]
    within = summary.loc[rows].copy()
    shares = [c for c in ("share_customers", "share_consumption", "share_revenue") if c in within]
    within[shares] = within[shares] / within[shares].sum().replace(0.0, np.nan)  # shares of the stratum
    part = SegmentProfile(summary=within, differences=profile.differences.reindex(rows).dropna(axis=1, how="all"),
                          medians=profile.medians.reindex(rows))
    own = shapes.loc[shapes.index.isin(rows)] if shapes is not None and len(shapes) else pd.DataFrame()
    plt = _pyplot()
    if len(own):
        fig, (left, right, third) = plt.subplots(1, 3, figsize=(21, max(4.0, 1.8 + 0.7 * len(rows))),
                                                 width_ratios=(1, 1.3, 0.9))
        counts = shapes.attrs.get("n_customers", {})
        for g, row in own.iterrows():
            third.plot(range(own.shape[1]), row.to_numpy(), marker=".", label=f"{g} ({counts.get(int(g), '?')} metered)")
        step = max(1, own.shape[1] // 8)
        third.set_xticks(range(0, own.shape[1], step))
        third.set_xticklabels(own.columns[::step], fontsize=8)
        third.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        third.set_ylabel("share of the day's energy")
        third.set_title("Typical day (interval-metered customers)")
        third.legend(fontsize=7)
        third.grid(alpha=0.3)
    else:
        fig, (left, right) = plt.subplots(1, 2, figsize=(15, max(4.0, 1.8 + 0.7 * len(rows))), width_ratios=(1, 1.3))
    plot_segment_sizes(part, ax=left)
    left.set_title(f"{stratum}: segments (shares of the {stratum} customers, consumption, revenue)")
    if part.differences.shape[1]:
        plot_feature_heatmap(part, max_features=max_features, ax=right)
        right.set_yticklabels([str(g) for g in rows], fontsize=8)
    else:
        right.set_axis_off()
    fig.tight_layout()
    return fig


def plot_migration(matrix: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Segment migration between two dates: share of each earlier segment (rows) in each later one (columns).

    Parameters
    ----------
    matrix : DataFrame
        Counts, from :func:`gridcrm.segmentation.migration_matrix`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    counts = matrix.to_numpy(dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(2.0 + 0.6 * counts.shape[1], 1.5 + 0.5 * counts.shape[0]))
    else:
        fig = ax.figure
    im = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(counts.shape[1]))
    ax.set_xticklabels([str(c) for c in matrix.columns], fontsize=7, rotation=90)
    ax.set_yticks(range(counts.shape[0]))
    ax.set_yticklabels([str(r) for r in matrix.index], fontsize=7)
    for (i, j), v in np.ndenumerate(shares):
        if counts[i, j]:
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=6, color="white" if v > 0.6 else "black")
    ax.set_xlabel(f"segment at {matrix.attrs.get('to', 'the later date')}")
    ax.set_ylabel(f"segment at {matrix.attrs.get('from', 'the earlier date')}")
    fig.colorbar(im, ax=ax, label="share of the earlier segment")
    ax.set_title("Segment migration")
    fig.tight_layout()
    return fig
