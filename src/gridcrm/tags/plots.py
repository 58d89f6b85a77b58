"""A one-page figure of a group portrait (matplotlib, imported when a plot is drawn)."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcrm.tags.portraits import KPI_LABELS, GroupPortrait

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_group_portrait", "distinctive_tags"]

logger = logging.getLogger(__name__)

_RATE_KPIS = ("online_payment_rate", "online_channel_penetration", "on_time_payment_rate", "arrears_customer_rate")
_KPI_COLOURS = ("#1f77b4", "#17becf", "#2ca02c", "#d62728")
_DEFAULT_FEATURES = ("kwh_mean_365d", "bill_amount_mean_365d", "tenure_years")


def distinctive_tags(portrait: GroupPortrait, n: int = 12, groups: list | None = None) -> pd.Index:
    """The ``n`` tag indicators whose prevalence differs most between groups and everyone.

    An indicator scores the largest absolute difference, in shares of customers,
    between a group's prevalence and everyone's. Indicators that restate the
    grouping (:meth:`GroupPortrait.restating`) are left out.
    """
    groups = portrait.groups if groups is None else groups
    gap = portrait.prevalence[groups].sub(portrait.prevalence["all"], axis=0).abs().max(axis=1)
    gap = gap.drop(portrait.restating())
    return gap[gap > 0].sort_values(ascending=False, kind="stable").head(n).index


def plot_group_portrait(
    portrait: GroupPortrait,
    path: str | Path | None = None,
    feature: str | None = None,
    top_n: int = 12,
    max_groups: int = 10,
    title: str | None = None,
) -> Figure:
    """Draw a group portrait on one page: sizes, channel KPIs, distinctive tags, a feature's spread.

    Panels: the size of each group; the channel and payment KPIs of each group (dots)
    against everyone (dashed lines); a heat map of the ``top_n`` most distinctive tags
    (colour: lift against everyone, from ¼× to 4×; text: share of the group holding
    the tag); the distribution of ``feature`` per group (box: 25–75th percentile,
    whiskers: 10–90th, line: median).

    Parameters
    ----------
    portrait : GroupPortrait
        From :meth:`gridcrm.tags.Portraits.group_portrait`.
    path : str or Path, optional
        Save the figure there (format from the suffix, e.g. ``.png``, ``.svg``).
    feature : str, optional
        Feature whose distribution is shown; defaults to mean daily kWh over 365 days,
        or the first feature summarised.
    top_n : int
        Number of tags in the heat map.
    max_groups : int
        Show the largest groups only (the title says how many there are).
    title : str, optional
        Figure title; default names the grouping, date and number of customers.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from gridcrm.tags import Portraits, TagSet
    >>> f = pd.DataFrame({"kwh_mean_365d": [3.0, 9.0, 30.0, 2.0], "region": ["a", "a", "b", "b"]},
    ...                  index=pd.Index([1, 2, 3, 4], name="customer_id"))
    >>> tags = TagSet.from_dict({"categories": {"usage": "Use"}, "tags": [{"id": "big", "label": "Big",
    ...     "category": "usage", "rule": {"feature": "kwh_mean_365d", "op": ">", "value": 5}}]})
    >>> fig = plot_group_portrait(Portraits(f, tags.evaluate(f)).group_portrait("region"))
    >>> len(fig.axes) >= 4
    True
    """
    import matplotlib.pyplot as plt

    if top_n < 1 or max_groups < 1:
        raise ValueError(f"top_n and max_groups must be at least 1, got top_n={top_n}, max_groups={max_groups}")
    all_groups = portrait.groups
    groups = all_groups[:max_groups]
    if not groups:
        raise ValueError("the group portrait has no groups to draw")
    feature = _pick_feature(portrait, feature)

    fig = plt.figure(figsize=(15, 10), layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=(1, 1.35), width_ratios=(1.25, 1))
    _sizes(fig.add_subplot(grid[0, 0]), portrait, groups)
    _kpis(fig.add_subplot(grid[0, 1]), portrait, groups)
    _heatmap(fig, fig.add_subplot(grid[1, 0]), portrait, groups, top_n)
    _spread(fig.add_subplot(grid[1, 1]), portrait, groups, feature)

    n = int(portrait.kpis.loc["all", "customers"])
    when = f" as of {pd.Timestamp(portrait.as_of).date()}" if portrait.as_of is not None else ""
    shown = f" (the {len(groups)} largest of {len(all_groups)} groups)" if len(groups) < len(all_groups) else ""
    fig.suptitle(title or f"Customers by {portrait.by}{when}: {n:,} customers{shown}", fontsize=15,
                 fontweight="bold")
    if path is not None:
        fig.savefig(path, dpi=120)
        logger.info("group portrait saved to %s", path)
    return fig


def _pick_feature(portrait: GroupPortrait, feature: str | None) -> str | None:
    available = list(dict.fromkeys(portrait.distributions.index.get_level_values("feature")))
    if feature is not None:
        if feature not in available:
            raise KeyError(f"feature={feature!r} is not summarised in the portrait; it has {available}")
        return feature
    return next((f for f in _DEFAULT_FEATURES if f in available), available[0] if available else None)


def _group_labels(groups: list) -> list[str]:
    return [str(g) for g in groups]


def _sizes(ax, portrait: GroupPortrait, groups: list) -> None:
    kpis = portrait.kpis.loc[groups]
    y = np.arange(len(groups))
    ax.barh(y, kpis["customers"], color="#7f7f7f")
    for yi, (n, share) in enumerate(zip(kpis["customers"], kpis["customer_share"], strict=True)):
        ax.text(n, yi, f" {n:,} ({share:.0%})", va="center", fontsize=9)
    ax.set_yticks(y, _group_labels(groups))
    ax.invert_yaxis()
    ax.set_xlim(0, kpis["customers"].max() * 1.3)
    ax.set_title("Group size", loc="left", fontweight="bold")
    ax.set_xlabel("customers")
    ax.spines[["top", "right"]].set_visible(False)


def _kpis(ax, portrait: GroupPortrait, groups: list) -> None:
    kpis = [k for k in _RATE_KPIS if k in portrait.kpis.columns]
    y = np.arange(len(groups))
    if not kpis:
        ax.text(0.5, 0.5, "no channel or payment KPIs\n(features missing)", ha="center", va="center")
        ax.set_axis_off()
        return
    for i, (k, colour) in enumerate(zip(kpis, _KPI_COLOURS, strict=False)):
        values = portrait.kpis.loc[groups, k].to_numpy(dtype=float) * 100
        offset = (i - (len(kpis) - 1) / 2) * 0.12
        ax.scatter(values, y + offset, color=colour, s=36, label=KPI_LABELS[k], zorder=3)
        overall = portrait.kpis.loc["all", k] * 100
        if np.isfinite(overall):
            ax.axvline(overall, color=colour, linestyle="--", linewidth=1, alpha=0.7)
    ax.set_yticks(y, _group_labels(groups))
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% (dashed: all customers)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Channel and payment KPIs", loc="left", fontweight="bold")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=9, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def _heatmap(fig, ax, portrait: GroupPortrait, groups: list, top_n: int) -> None:
    import matplotlib

    rows = distinctive_tags(portrait, top_n, groups)
    if len(rows) == 0:
        ax.text(0.5, 0.5, "no tag sets these groups apart", ha="center", va="center")
        ax.set_axis_off()
        return
    lift = portrait.lift.loc[rows, groups].to_numpy(dtype=float)
    prev = portrait.prevalence.loc[rows, groups].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        colour = np.clip(np.log2(lift), -2, 2)
    colour[prev < 0.005] = np.nan  # held by (almost) nobody in the group: grey, not a loud "¼×"
    cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="#eeeeee")
    image = ax.imshow(np.ma.masked_invalid(colour), cmap=cmap, vmin=-2, vmax=2, aspect="auto")
    for (i, j), p in np.ndenumerate(prev):
        dark = np.isfinite(colour[i, j]) and abs(colour[i, j]) > 1.3
        ax.text(j, i, f"{p:.0%}" if p >= 0.005 else "–", ha="center", va="center", fontsize=8,
                color="white" if dark else "black")
    catalog = portrait.tag_catalog.loc[rows]
    labels = [f"{lab}  ·  {cat}" for lab, cat in zip(catalog["label"], catalog["category"], strict=True)]
    ax.set_yticks(np.arange(len(rows)), labels, fontsize=9)
    ax.set_xticks(np.arange(len(groups)), _group_labels(groups), rotation=30, ha="right")
    ax.set_title("Most distinctive tags (text: share of the group; colour: lift vs all)", loc="left",
                 fontweight="bold")
    bar = fig.colorbar(image, ax=ax, shrink=0.8, ticks=[-2, -1, 0, 1, 2])
    bar.ax.set_yticklabels(["¼×", "½×", "1×", "2×", "4×"])
    bar.set_label("lift vs all customers")


def _spread(ax, portrait: GroupPortrait, groups: list, feature: str | None) -> None:
    if feature is None:
        ax.set_axis_off()
        return
    dist = portrait.distributions.xs(feature, level="feature")
    stats, labels = [], []
    for g in [*groups, "all"]:
        if g not in dist.index or dist.loc[g, "count"] == 0:
            continue
        r = dist.loc[g]
        stats.append({"whislo": r["p10"], "q1": r["p25"], "med": r["p50"], "q3": r["p75"], "whishi": r["p90"],
                      "mean": r["mean"], "fliers": [], "label": str(g)})
        labels.append(str(g))
    if not stats:
        ax.text(0.5, 0.5, f"no values of {feature}", ha="center", va="center")
        ax.set_axis_off()
        return
    boxes = ax.bxp(stats, orientation="horizontal", showmeans=True, patch_artist=True,
                   meanprops={"marker": "D", "markerfacecolor": "black", "markeredgecolor": "black",
                              "markersize": 4})
    for patch, label in zip(boxes["boxes"], labels, strict=True):
        patch.set_facecolor("#c7c7c7" if label == "all" else "#9ecae1")
    low = min(s["whislo"] for s in stats)
    high = max(s["whishi"] for s in stats)
    if low > 0 and high / low > 50:
        ax.set_xscale("log")
    ax.invert_yaxis()
    unit = portrait.feature_units.get(feature, "")
    scale = ", log scale" if ax.get_xscale() == "log" else ""
    ax.set_xlabel(f"{unit or feature}{scale} · box 25–75%, whiskers 10–90%, ◆ mean")
    ax.set_title(textwrap.shorten(portrait.feature_labels.get(feature, feature), 50, placeholder="…"), loc="left",
                 fontweight="bold")
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
