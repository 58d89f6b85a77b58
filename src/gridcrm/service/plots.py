"""Plots of the service capability: the complaint hotspot heatmap."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcrm.errors import InputError

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with gridcrm
    from matplotlib.figure import Figure

__all__ = ["plot_hotspots"]


def plot_hotspots(hotspots: pd.DataFrame, path: str | Path | None = None, *, month: pd.Timestamp | None = None,
                  rows: str = "region", columns: str = "topic") -> Figure:
    """Heatmap of one month's complaints per ``rows`` × ``columns`` against what history explains.

    Colour: complaints / expected (log scale, 1 = as expected); each cell shows the count;
    a red frame marks an alert (above the control limit).

    Parameters
    ----------
    hotspots : DataFrame
        Output of :func:`~gridcrm.service.complaint_hotspots` with ``rows`` and ``columns`` in ``by``.
    path : str or Path, optional
        Where to save a PNG.
    month : Timestamp, optional
        The month shown (default: the latest).
    rows, columns : str

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> h = pd.DataFrame({"region": ["A", "A", "B"], "topic": ["outage", "billing", "outage"],
    ...                   "month": pd.Timestamp("2024-01-01"), "complaints": [9, 1, 2],
    ...                   "expected": [2.0, 1.0, 2.0], "alert": [True, False, False]})
    >>> fig = plot_hotspots(h)
    >>> fig.axes[0].get_title()
    'Complaints vs expected, 2024-01'
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    missing = [c for c in (rows, columns, "month", "complaints", "expected", "alert") if c not in hotspots]
    if missing:
        raise InputError(f"plot_hotspots: hotspots lacks column(s) {missing}; pass complaint_hotspots(...) output")
    if hotspots.empty:
        fig = Figure(figsize=(5, 2), layout="constrained")
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_title("No complaints with a topic before as_of")
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig
    month = hotspots["month"].max() if month is None else pd.Timestamp(month)
    one = hotspots[hotspots["month"] == month]
    count = one.pivot_table(index=rows, columns=columns, values="complaints", aggfunc="sum", observed=True)
    expected = one.pivot_table(index=rows, columns=columns, values="expected", aggfunc="sum", observed=True)
    alert = one.pivot_table(index=rows, columns=columns, values="alert", aggfunc="max", observed=True)
    ratio = np.log2((count + 0.5) / (expected.reindex_like(count) + 0.5))
    fig = Figure(figsize=(1.1 * count.shape[1] + 3, 0.45 * count.shape[0] + 2), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(ratio.to_numpy(dtype=float), cmap="RdYlBu_r", vmin=-3, vmax=3, aspect="auto")
    for i in range(count.shape[0]):
        for j in range(count.shape[1]):
            n = count.iloc[i, j]
            if pd.notna(n):
                ax.text(j, i, f"{int(n)}", ha="center", va="center", fontsize=8)
            if alert.reindex_like(count).iloc[i, j] is True or alert.reindex_like(count).iloc[i, j] == 1:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))
    ax.set_xticks(range(count.shape[1]), [str(c) for c in count.columns], rotation=30, ha="right")
    ax.set_yticks(range(count.shape[0]), [str(r) for r in count.index])
    ax.set_title(f"Complaints vs expected, {pd.Timestamp(month):%Y-%m}")
    fig.colorbar(image, ax=ax, label="log2(complaints / expected); red frame: alert")
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
