"""Forecast accuracy and interval metrics on long frames, per series, per group and overall.

All metrics are computed from a frame of forecasts joined with the actuals
(``unique_id, ds, y, forecast, lo_<l>, hi_<l>`` and, in backtests, ``cutoff``) and the
scales of each series' training history:

* ``mase``: mean absolute error / mean absolute seasonal-naive error in training;
* ``rmsse``: root mean squared error / root mean squared seasonal-naive error in training;
* ``smape``: ``200 * mean(|y - f| / (|y| + |f|))`` in %, 0 where both are 0;
* ``bias``: ``sum(f - y) / sum(|y|)`` in % (positive: over-forecast);
* ``coverage_<l>``: share of actuals inside the ``l`` % interval;
* ``winkler_<l>``: mean interval (Winkler) score, ``(hi - lo) + 2/alpha (lo - y)+ + 2/alpha (y - hi)+``,
  divided by the training seasonal-naive MAE so that it compares across series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["training_scales", "series_metrics", "summarize_metrics", "interval_levels"]

ID, DS = "unique_id", "ds"


def interval_levels(columns: Sequence[str]) -> list[int]:
    """Levels present as ``lo_<l>`` / ``hi_<l>`` column pairs.

    Examples
    --------
    >>> interval_levels(["forecast", "lo_80", "hi_80", "lo_95", "hi_95"])
    [80, 95]
    """
    out = []
    for c in columns:
        if c.startswith("lo_") and f"hi_{c[3:]}" in columns:
            v = float(c[3:])
            out.append(int(v) if v.is_integer() else v)
    return sorted(out)


def training_scales(train: pd.DataFrame, season_length: int, by: Sequence[str] = (ID,)) -> pd.DataFrame:
    """Seasonal-naive in-sample MAE and MSE of each series (``by`` may add ``cutoff``).

    Examples
    --------
    >>> tr = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-01-01", periods=4), "y": [1.0, 2.0, 4.0, 8.0]})
    >>> training_scales(tr, 1)[["mae_scale", "mse_scale"]].round(2).values.tolist()
    [[2.33, 7.0]]
    """
    by = list(by)
    s = int(season_length)
    g = train.groupby(by, sort=False)["y"]
    diff = train["y"] - g.shift(s)
    out = pd.DataFrame({"abs": diff.abs(), "sq": diff**2})
    for c in by:
        out[c] = train[c].to_numpy()
    agg = out.groupby(by, sort=False).agg(mae_scale=("abs", "mean"), mse_scale=("sq", "mean"))
    return agg.reset_index()


def series_metrics(
    fc: pd.DataFrame, scales: pd.DataFrame, by: Sequence[str] = (ID,)
) -> pd.DataFrame:
    """Metrics of each series (and cutoff) from forecasts joined with actuals.

    Parameters
    ----------
    fc : DataFrame
        ``unique_id, ds, y, forecast`` and ``lo_<l>, hi_<l>`` columns (``cutoff`` in backtests).
    scales : DataFrame
        From :func:`training_scales` with the same ``by``.
    by : sequence of str
        Keys of a series evaluation: ``("unique_id",)`` or ``("unique_id", "cutoff")``.

    Returns
    -------
    DataFrame
        One row per key: ``mase, rmsse, smape, bias, coverage_<l>, winkler_<l>``.
    """
    by = list(by)
    levels = interval_levels(list(fc.columns))
    y, f = fc["y"].to_numpy(float), fc["forecast"].to_numpy(float)
    err = f - y
    denom = np.abs(y) + np.abs(f)
    parts = {
        "_ae": np.abs(err),
        "_se": err**2,
        "_sape": np.where(denom > 0, 2 * np.abs(err) / np.where(denom > 0, denom, 1), 0.0),
        "_err": err,
        "_absy": np.abs(y),
    }
    for lv in levels:
        lo, hi = fc[f"lo_{lv}"].to_numpy(float), fc[f"hi_{lv}"].to_numpy(float)
        alpha = 1 - lv / 100
        parts[f"coverage_{lv}"] = ((y >= lo) & (y <= hi)).astype(float)
        parts[f"_wink_{lv}"] = (hi - lo) + 2 / alpha * (np.maximum(lo - y, 0) + np.maximum(y - hi, 0))
    tmp = pd.DataFrame(parts)
    for c in by:
        tmp[c] = fc[c].to_numpy()
    g = tmp.groupby(by, sort=False)
    sums = g.sum()
    means = g.mean()
    out = pd.DataFrame(index=means.index)
    sc = scales.set_index(by).reindex(out.index)
    mae_scale = sc["mae_scale"].to_numpy()
    mse_scale = sc["mse_scale"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["mase"] = np.where(mae_scale > 0, means["_ae"] / mae_scale, np.nan)
        out["rmsse"] = np.where(mse_scale > 0, np.sqrt(means["_se"] / mse_scale), np.nan)
        out["smape"] = 100 * means["_sape"]
        out["bias"] = np.where(sums["_absy"] > 0, 100 * sums["_err"] / sums["_absy"], np.nan)
        for lv in levels:
            out[f"coverage_{lv}"] = means[f"coverage_{lv}"]
            out[f"winkler_{lv}"] = np.where(mae_scale > 0, means[f"_wink_{lv}"] / mae_scale, np.nan)
    return out.reset_index()


def summarize_metrics(metrics: pd.DataFrame, groups: pd.Series | None = None, how: str = "mean") -> pd.DataFrame:
    """Aggregate per-series metrics overall, or per group of series.

    Parameters
    ----------
    metrics : DataFrame
        From :func:`series_metrics`.
    groups : Series, optional
        Group label per ``unique_id`` (index); default one overall row.
    how : {"mean", "median"}

    Returns
    -------
    DataFrame
        One row per group (``"all"`` overall) with the aggregated metrics and ``n_series``.

    Examples
    --------
    >>> m = pd.DataFrame({"unique_id": [1, 2], "mase": [1.0, 3.0]})
    >>> summarize_metrics(m).loc["all", "mase"]
    np.float64(2.0)
    """
    cols = [c for c in metrics.columns if c not in (ID, DS, "cutoff")]
    if groups is None:
        key = pd.Series("all", index=metrics.index, name="group")
    else:
        key = pd.Series(groups.reindex(metrics[ID]).to_numpy(), index=metrics.index, name=groups.name or "group")
    vals = metrics[cols].replace([np.inf, -np.inf], np.nan)
    agg = vals.groupby(key).agg(how)
    agg["n_series"] = metrics.groupby(key)[ID].nunique()
    return agg
