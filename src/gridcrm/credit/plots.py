"""Figures of AHP weights and score distributions, saved to files.

The functions build :class:`matplotlib.figure.Figure` objects directly (no pyplot
state, no backend to choose) and save them when given a path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with gridcrm
    from matplotlib.figure import Figure

from gridcrm.credit.config import GradeScale
from gridcrm.credit.hierarchy import AHPHierarchy

__all__ = ["plot_score_distribution", "plot_weights"]

_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


def plot_weights(hierarchy: AHPHierarchy, path: str | Path | None = None, *, title: str | None = None) -> Figure:
    """Bar charts of an AHP hierarchy's weights: criteria (left) and indicators' global weights (right).

    Criteria bars carry their CR; indicator bars are coloured by criterion and
    labelled with their global weight.

    Parameters
    ----------
    hierarchy : AHPHierarchy
    path : str or Path, optional
        Where to save the figure (format from the suffix, e.g. ``.png``, ``.svg``).
    title : str, optional
        Defaults to the goal's title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from gridcrm.credit.hierarchy import AHPHierarchy, Node
    >>> h = AHPHierarchy(Node("goal", judgements={("a", "b"): 3}, children=(Node("a"), Node("b"))))
    >>> fig = plot_weights(h)
    >>> len(fig.axes)
    2
    """
    criteria = list(hierarchy.root.children)
    leaf_of = hierarchy.top_level_of()
    leaves = hierarchy.leaf_weights
    colors = {c.name: _COLORS[k % len(_COLORS)] for k, c in enumerate(criteria)}
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, max(4.0, 0.32 * len(leaves) + 1.5)), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.6])

    names = [c.label() for c in criteria][::-1]
    weights = [float(hierarchy.local_weights[c.name]) for c in criteria][::-1]
    bars = left.barh(names, weights, color=[colors[c.name] for c in criteria][::-1])
    for bar, c in zip(bars, criteria[::-1], strict=True):
        r = hierarchy.results.get(c.name)
        note = f"{bar.get_width():.3f}" + (f"  (CR {r.cr:.3f})" if r is not None and r.n > 2 else "")
        left.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + note, va="center", fontsize=8)
    root_result = hierarchy.results.get(hierarchy.root.name)
    cr_text = f"CR {root_result.cr:.3f}, " if root_result is not None else ""
    left.set_title(f"Criteria ({cr_text}hierarchy CR {hierarchy.hierarchy_cr:.3f})", fontsize=10)
    left.set_xlabel("weight")
    left.set_xlim(0, max(weights) * 1.6 if weights else 1)

    order = [name for c in criteria for name in leaves.index if leaf_of.get(name) == c.name][::-1]
    values = leaves[order].to_numpy()
    bars = right.barh(order, values, color=[colors[leaf_of[n]] for n in order])
    for bar in bars:
        right.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {bar.get_width():.3f}", va="center",
                   fontsize=8)
    right.set_title("Indicators: global weights (sum 1)", fontsize=10)
    right.set_xlabel("global weight")
    right.set_xlim(0, float(values.max()) * 1.25 if len(values) else 1)
    right.tick_params(axis="y", labelsize=8)
    fig.suptitle(title or hierarchy.root.label())
    if path is not None:
        fig.savefig(Path(path), dpi=120)
    return fig


def plot_score_distribution(
    scores: pd.Series | np.ndarray,
    grades: GradeScale | None = None,
    path: str | Path | None = None,
    *,
    title: str = "Score distribution",
) -> Figure:
    """Histogram of 0–100 scores, with the grade bands and the share of customers in each.

    Parameters
    ----------
    scores : Series or ndarray
        E.g. ``CreditScorer.transform(X)["score"]``; NaN are left out.
    grades : GradeScale, optional
        Draws the cuts and labels the bands.
    path : str or Path, optional
        Where to save the figure.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    ax.hist(s, bins=np.linspace(0, 100, 51), color="#4c72b0")
    if grades is not None and s.size:
        for k, label in enumerate(grades.labels):
            lo, hi = grades.lower_bounds[k], (100.0 if k == 0 else grades.lower_bounds[k - 1])
            share = float(np.mean((s >= lo) & ((s < hi) if k else (s <= hi))))
            if k:
                ax.axvline(hi, color="grey", linestyle="--", linewidth=0.8)
            ax.text((lo + hi) / 2, 1.01, f"{label}\n{share:.1%}", ha="center", va="bottom", fontsize=8,
                    transform=ax.get_xaxis_transform())
    ax.set_xlim(0, 100)
    ax.set_xlabel("score")
    ax.set_ylabel("customers")
    ax.set_title(title, pad=28 if grades is not None else 6)
    if path is not None:
        fig.savefig(Path(path), dpi=120)
    return fig
