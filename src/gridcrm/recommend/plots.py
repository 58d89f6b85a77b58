"""Plot of the recommendations: how many customers each product goes to, by class, and its mean propensity.

matplotlib is imported when the plot is drawn, not with :mod:`gridcrm.recommend`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from gridcrm.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_recommendations"]


def plot_recommendations(recommendations: pd.DataFrame, title: str = "Recommended products") -> Figure:
    """Horizontal bars: customers recommended each product (coloured by class), with its mean propensity.

    Parameters
    ----------
    recommendations : DataFrame
        From :meth:`ProductRecommender.recommend` (``product``, ``product_class``, ``propensity``).
    title : str

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rec = pd.DataFrame({"customer_id": [1, 1, 2], "product": ["a", "b", "a"], "product_class": ["x", "y", "x"],
    ...                     "propensity": [0.2, 0.1, 0.4]})
    >>> fig = plot_recommendations(rec)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['b', 'a']
    """
    missing = [c for c in ("product", "product_class", "propensity") if c not in recommendations.columns]
    if missing:
        raise InputError(f"plot_recommendations: column(s) {missing} missing; columns are "
                         f"{list(recommendations.columns)}")
    import matplotlib.pyplot as plt

    table = (recommendations.groupby(["product", "product_class"], observed=True)
             .agg(customers=("propensity", "size"), propensity=("propensity", "mean"))
             .reset_index().sort_values("customers"))
    classes = list(dict.fromkeys(table["product_class"]))
    palette = plt.get_cmap("tab10")
    colour = {c: palette(i % 10) for i, c in enumerate(classes)}
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(table) + 1.5))
    ax.barh(table["product"], table["customers"], color=[colour[c] for c in table["product_class"]])
    for y, (n, p) in enumerate(zip(table["customers"], table["propensity"], strict=True)):
        ax.text(n, y, f"  {p:.0%}", va="center", fontsize=8)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour[c]) for c in classes]
    ax.legend(handles, classes, fontsize=8, loc="lower right")
    ax.set_xlabel("customers recommended the product (label: mean propensity)")
    ax.set_title(title)
    fig.tight_layout()
    return fig
