"""Plots: a fan chart of one series (history, forecast, ranges) and the distribution of backtest errors.

matplotlib is imported when a plot is drawn; each function draws on ``ax`` (a new figure
when omitted) and returns the axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcrm.forecasting.metrics import interval_levels

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["fan_chart", "error_distribution"]


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def fan_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    unique_id: object,
    *,
    last: int | None = 120,
    actual: pd.DataFrame | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Fan chart of one series: its recent history, the forecast and its ranges, widest shaded lightest.

    Parameters
    ----------
    history : DataFrame
        Long frame ``unique_id, ds, y`` (the training data).
    forecast : DataFrame
        Output of :meth:`ConsumptionForecaster.predict`.
    unique_id : object
        Series to draw.
    last : int, optional
        History points shown (None: all).
    actual : DataFrame, optional
        Long frame of the realised values over the horizon, drawn as points.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> hist = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-01-01", periods=30), "y": np.arange(30.0)})
    >>> fc = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-01-31", periods=3), "forecast": [30.0] * 3,
    ...                    "lo_95": [25.0] * 3, "hi_95": [35.0] * 3})
    >>> ax = fan_chart(hist, fc, 1)
    >>> ax.get_ylabel()
    'kWh'
    """
    h = history.loc[history["unique_id"] == unique_id]
    f = forecast.loc[forecast["unique_id"] == unique_id]
    if h.empty and f.empty:
        raise ValueError(f"unique_id={unique_id!r} is in neither history nor forecast")
    if last is not None:
        h = h.tail(last)
    ax = _axes(ax, (10, 4))
    ax.plot(h["ds"], h["y"], color="0.2", lw=1, label="history")
    levels = interval_levels(list(f.columns))
    for i, lv in enumerate(sorted(levels, reverse=True)):
        ax.fill_between(f["ds"], f[f"lo_{lv}"], f[f"hi_{lv}"], color="tab:blue", alpha=0.15 + 0.15 * i, lw=0,
                        label=f"{lv} % range")
    ax.plot(f["ds"], f["forecast"], color="tab:blue", lw=1.5, label="forecast")
    if actual is not None:
        a = actual.loc[(actual["unique_id"] == unique_id) & actual["ds"].isin(f["ds"])]
        ax.plot(a["ds"], a["y"], "o", ms=3, color="tab:red", label="actual")
    ax.set_ylabel("kWh")
    ax.set_title(title or f"Consumption forecast of {unique_id}")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def error_distribution(
    metrics: pd.DataFrame,
    metric: str = "mase",
    groups: pd.Series | None = None,
    *,
    ax: Axes | None = None,
    bins: int = 40,
) -> Axes:
    """Histogram of a backtest metric per series (``BacktestResult.metrics``), per group if given.

    Parameters
    ----------
    metrics : DataFrame
        Per-series (and cutoff) metrics.
    metric : str
        Column to draw (``mase``, ``smape``, ``bias``, ``coverage_95``...).
    groups : Series, optional
        Group label per ``unique_id``: one histogram per group, overlaid.
    ax : matplotlib Axes, optional
    bins : int

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> m = pd.DataFrame({"unique_id": range(50), "mase": np.linspace(0.5, 2, 50)})
    >>> error_distribution(m).get_xlabel()
    'mase'
    """
    if metric not in metrics.columns:
        raise KeyError(f"metric {metric!r} is not a column of metrics; columns are {list(metrics.columns)}")
    ax = _axes(ax, (7, 4))
    values = metrics[metric].replace([np.inf, -np.inf], np.nan)
    finite = values.dropna()
    edges = np.histogram_bin_edges(finite, bins=bins) if len(finite) else bins
    if groups is None:
        ax.hist(finite, bins=edges, color="tab:blue", alpha=0.8)
        ax.axvline(finite.median(), color="k", ls="--", lw=1, label=f"median {finite.median():.3g}")
    else:
        lab = groups.reindex(metrics["unique_id"]).to_numpy()
        for g in pd.unique(lab):
            ax.hist(values[lab == g].dropna(), bins=edges, alpha=0.5, label=str(g))
    ax.set_xlabel(metric)
    ax.set_ylabel("series")
    ax.legend(fontsize="small")
    return ax
