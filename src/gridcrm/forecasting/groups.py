"""Group forecasts (customer class, region, industry, total) reconciled with the customer forecasts.

:func:`fit_group_forecaster` sums the customers' history per group (:func:`aggregate`), fits one
:class:`ConsumptionForecaster` to the group series, and keeps the customers' fitted model: the
resulting :class:`GroupForecaster` forecasts both and makes them coherent (:func:`reconcile`),
by default with MinT and a shrunk covariance of the two forecasters' backtest errors.
:func:`accuracy_by_level` scores base and reconciled forecasts per level against later actuals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.forecasting.frame import DS, ID, Y
from gridcrm.forecasting.metrics import series_metrics, training_scales
from gridcrm.forecasting.reconcile import Hierarchy, aggregate, reconcile

__all__ = ["GroupForecaster", "fit_group_forecaster", "accuracy_by_level", "region_weights"]


@dataclass
class GroupForecaster:
    """Customer and group forecasts, reconciled.

    Attributes
    ----------
    customers : fitted model
        The customers' model (``predict(h)`` gives ``unique_id, ds, forecast, lo_*, hi_*``).
    groups : ConsumptionForecaster
        Fitted to the group series (ids as in ``hierarchy.group_ids``).
    hierarchy : Hierarchy
    method : str
        Reconciliation method (:data:`~gridcrm.forecasting.reconcile.METHODS`).
    errors : DataFrame or None
        Backtest errors of every series (``mint_shrink``).
    """

    customers: object
    groups: object
    hierarchy: Hierarchy
    method: str = "mint_shrink"
    errors: pd.DataFrame | None = None

    @property
    def season_length(self) -> int:
        return int(self.groups.season_length)

    def base(self, h: int) -> pd.DataFrame:
        """Unreconciled forecasts of customers and groups (``unique_id`` as strings), all on the same ``h`` dates.

        The dates follow the latest history; a customer (or group) whose history ends earlier (a
        closed account, reads missing at the end) has no forecast on some of them and counts as 0
        there, as in the group sums.
        """
        grp = self.groups.predict(h)
        cust = self.customers.predict(h)
        both = pd.concat([cust.assign(**{ID: cust[ID].astype(str)}), grp.assign(**{ID: grp[ID].astype(str)})],
                         ignore_index=True)
        dates = pd.date_range(end=both[DS].max(), periods=h, freq=self.groups.freq_)  # also a RegressorForecaster's
        ids = np.r_[self.hierarchy.bottom_ids.astype(str), self.hierarchy.group_ids.astype(str)]
        return _on_grid(both, ids, dates, [c for c in grp.columns if c not in (ID, DS)])

    def predict(self, h: int) -> pd.DataFrame:
        """Reconciled forecasts of every series: customers and groups, with a ``level`` column."""
        out = reconcile(self.base(h), self.hierarchy, self.method, errors=self.errors)
        return out.assign(level=level_of(out[ID], self.hierarchy))


def _on_grid(both: pd.DataFrame, ids: np.ndarray, dates: pd.DatetimeIndex, values: list[str]) -> pd.DataFrame:
    """Forecasts of ``ids`` (strings) on ``dates``: a series without a forecast on a date gets 0 there."""
    grid = pd.MultiIndex.from_arrays([np.repeat(ids, len(dates)), np.tile(dates, len(ids))], names=[ID, DS])
    return both.set_index([ID, DS])[values].reindex(grid).fillna(0.0).reset_index()


def level_of(ids: pd.Series, hierarchy: Hierarchy) -> np.ndarray:
    """The level of each id: ``customer`` or the hierarchy's level name (``customer_class``, ``total``...)."""
    lookup = {str(g): lv for lv, gs in hierarchy.levels.items() for g in gs}
    return ids.astype(str).map(lookup).fillna("customer").to_numpy()


def fit_group_forecaster(
    customers_model: object,
    history: pd.DataFrame,
    groups: pd.DataFrame,
    levels: Sequence[str],
    forecaster: object,
    *,
    method: str = "mint_shrink",
    regions: pd.Series | None = None,
    weather: pd.DataFrame | None = None,
    as_of: pd.Timestamp | str | None = None,
    future_temperature: str = "normal",
) -> GroupForecaster:
    """Fit the group series of ``history`` and keep ``customers_model`` (already fitted on its customers).

    When ``history`` has degree-day columns (``heating``, ``cooling``) or calendar columns
    (:data:`~gridcrm.forecasting.regressors.CALENDAR_COLUMNS`), the group series get them too:
    the calendar as it is, and the degree-days of a group as the mean of its regions'
    (from ``weather``), weighted by the regions' shares of the group's consumption — so a
    class or the total responds to the weather where its load is. The group model is then a
    :class:`~gridcrm.forecasting.regressors.RegressorForecaster` that builds them for any
    horizon (future temperatures as ``future_temperature`` says: the seasonal normal of the
    years before ``as_of``, or the weather table's days after it).

    Parameters
    ----------
    customers_model : fitted model
        Its ``backtest_errors_`` (or its ``forecaster.backtest_errors_``) feed ``mint_shrink``.
    history : DataFrame
        ``unique_id, ds, y`` of the customers (extra columns ignored).
    groups : DataFrame
        Indexed by ``unique_id``: one column per level in ``levels``.
    levels : sequence of str
        Group levels (a total is always added).
    forecaster : ConsumptionForecaster
        Unfitted; cloned and fitted to the group series.
    method : str
        Reconciliation method; ``mint_shrink`` falls back to ``wls_var`` when an error is missing.
    regions : Series, optional
        Region of each customer (index ``unique_id``); needed with degree-day columns.
    weather : DataFrame, optional
        ``region, date, temp_c``; needed with degree-day columns.
    as_of : date-like, optional
        The forecast origin (seasonal normals from the days before it); default the day after the history.
    future_temperature : {"normal", "weather"}
        As in :func:`~gridcrm.forecasting.regressors.with_regressors`.

    Examples
    --------
    >>> from gridcrm.forecasting import ConsumptionForecaster
    >>> from gridcrm.forecasting.simulate import arima_frame, simulate_arima
    >>> df = arima_frame(50 + simulate_arima(ma=[0.3], seasonal_ma=[-0.5], D=1, s=7, n=200, n_series=4, seed=2))
    >>> cust = ConsumptionForecaster().fit(df)
    >>> g = pd.DataFrame({"region": ["A", "A", "B", "B"]}, index=pd.Index([0, 1, 2, 3], name="unique_id"))
    >>> gf = fit_group_forecaster(cust, df, g, ["region"], ConsumptionForecaster())
    >>> out = gf.predict(7)
    >>> sorted(out["level"].unique())
    ['customer', 'region', 'total']
    >>> day = out[out["ds"] == out["ds"].min()].set_index("unique_id")["forecast"]
    >>> bool(abs(day["total"] - day[["0", "1", "2", "3"]].sum()) < 1e-6)
    True
    """
    from sklearn.base import clone

    agg, hierarchy = aggregate(history[[ID, DS, Y]], groups, levels=list(levels), total=True, include_bottom=False)
    exog = [c for c in history.columns if c not in (ID, DS, Y)]
    if exog:
        agg, weights = _group_regressors(agg, history, hierarchy, exog, regions, weather)
        group_model = clone(forecaster).fit(agg)
        group_model = _wrap_regressors(group_model, weights, weather, history, as_of, future_temperature)
    else:
        group_model = clone(forecaster).fit(agg)
    errors = None
    if method == "mint_shrink":
        inner = getattr(customers_model, "forecaster", customers_model)
        ce, ge = inner.backtest_errors_, group_model.backtest_errors_
        if ce is None or ge is None or len(ce) != len(ge):
            method = "wls_var"
        else:
            errors = pd.concat([ce.reset_index(drop=True), ge.reset_index(drop=True)], axis=1)
            errors.columns = errors.columns.astype(str)
    return GroupForecaster(customers_model, group_model, hierarchy, method, errors)


def region_weights(history: pd.DataFrame, hierarchy: Hierarchy, regions: pd.Series) -> pd.DataFrame:
    """Each group's shares of consumption by region (rows sum to 1), from the customers' mean ``y``.

    Examples
    --------
    >>> df = pd.DataFrame({"unique_id": [1, 2, 3], "ds": pd.Timestamp("2024-01-01"), "y": [1.0, 3.0, 4.0]})
    >>> _, h = aggregate(df, pd.DataFrame({"c": ["x", "x", "y"]}, index=[1, 2, 3]), ["c"])
    >>> region_weights(df, h, pd.Series(["A", "B", "B"], index=[1, 2, 3])).round(2).to_dict("index")
    {'c=x': {'A': 0.25, 'B': 0.75}, 'c=y': {'A': 0.0, 'B': 1.0}, 'total': {'A': 0.12, 'B': 0.88}}
    """
    ids = pd.Index(hierarchy.bottom_ids).astype(str)  # customer ids compared as text, as in group ids
    reg = pd.Series(regions.to_numpy(), index=regions.index.astype(str)).reindex(ids)
    if reg.isna().any():
        raise ValueError(f"regions has no region for some customers. Affected series: {ids[reg.isna()][:10].tolist()}")
    size = history.groupby(history[ID].astype(str))[Y].mean().reindex(ids).fillna(0.0).clip(lower=0.0).to_numpy()
    return _region_shares(hierarchy, size, reg.astype(str).to_numpy())


def _region_shares(hierarchy: Hierarchy, size: np.ndarray, regions: np.ndarray) -> pd.DataFrame:
    """Each group's shares by region of ``size`` (one value per bottom series of ``hierarchy``, in its region)."""
    from scipy import sparse

    names, inv = np.unique(regions, return_inverse=True)
    onehot = sparse.csr_matrix((size, (np.arange(len(size)), inv)), shape=(len(size), len(names)))
    share = np.asarray((hierarchy.A @ onehot).todense())
    total = share.sum(axis=1, keepdims=True)
    share = np.where(total > 0, share / np.where(total > 0, total, 1.0), 1.0 / len(names))
    return pd.DataFrame(share, index=pd.Index(hierarchy.group_ids.astype(str), name=ID), columns=names)


def _group_regressors(agg: pd.DataFrame, history: pd.DataFrame, hierarchy: Hierarchy, exog: list[str],
                      regions: pd.Series | None, weather: pd.DataFrame | None
                      ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The group frame with the customers' exogenous columns made for groups, and the groups' region weights."""
    from gridcrm.forecasting.regressors import CALENDAR_COLUMNS

    unknown = [c for c in exog if c not in ("heating", "cooling", *CALENDAR_COLUMNS)]
    if unknown:
        raise ValueError(f"history has exogenous column(s) {unknown} that group series cannot be given; group "
                         f"forecasts know heating, cooling and {list(CALENDAR_COLUMNS)}")
    weights = None
    if {"heating", "cooling"} & set(exog):
        if regions is None or weather is None:
            raise ValueError("history has degree-day columns: pass regions (customer -> region) and weather "
                             "(region, date, temp_c) so that the groups get their regions' degree-days")
        weights = region_weights(history, hierarchy, regions)
    return _group_exog(agg, exog, weights, weather), weights


def _group_exog(agg: pd.DataFrame, exog: list[str], weights: pd.DataFrame | None, weather: pd.DataFrame | None
                ) -> pd.DataFrame:
    """The group frame with ``exog`` columns: degree-days weighted by ``weights`` (groups x regions), the calendar."""
    from gridcrm.forecasting.regressors import CALENDAR_COLUMNS, add_calendar, weighted_degree_days

    if weights is not None:
        w = weather.assign(temp_c=weather.groupby("region")["temp_c"].transform(
            lambda s: s.interpolate(limit_direction="both")))
        temps = w.set_index([w["region"].astype(str), "date"])["temp_c"]
        temps = temps[~temps.index.duplicated()]

        def temp_of(r: np.ndarray, d: np.ndarray) -> np.ndarray:
            return temps.reindex(pd.MultiIndex.from_arrays([r, d])).to_numpy()

        dd = weighted_degree_days(agg, weights, temp_of)
        agg = agg.assign(**{k: v for k, v in dd.items() if k in exog})
    cal = [c for c in exog if c in CALENDAR_COLUMNS]
    if cal:
        agg = add_calendar(agg).drop(columns=[c for c in CALENDAR_COLUMNS if c not in cal])
    return agg[[ID, DS, Y, *exog]]


def _wrap_regressors(model: object, weights: pd.DataFrame | None, weather: pd.DataFrame | None,
                     history: pd.DataFrame, as_of: pd.Timestamp | str | None, future_temperature: str) -> object:
    """The fitted group model wrapped so that ``predict(h)`` builds its degree-days and calendar."""
    from gridcrm.forecasting.regressors import RegressorForecaster, temperature_normals

    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(history[DS].max()) + pd.Timedelta(days=1)
    empty = pd.Series(dtype=float)
    if weights is None:
        return RegressorForecaster(model, pd.Series(dtype=object), empty, empty, "none (calendar only)")
    w = weather.assign(region=weather["region"].astype(str))
    normals = temperature_normals(w, as_of)
    future, source = empty, "seasonal normal of the years before as_of"
    if future_temperature == "weather":
        later = w.loc[w["date"] >= as_of].dropna(subset=["temp_c"])
        future = later.set_index(["region", "date"])["temp_c"]
        future = future[~future.index.duplicated()]
        source = "the weather table after as_of (scenario), seasonal normal elsewhere"
    return RegressorForecaster(model, pd.Series(dtype=object), future, normals, source, region_weights=weights)


def accuracy_by_level(
    forecasts: pd.DataFrame, history: pd.DataFrame, actual: pd.DataFrame, hierarchy: Hierarchy, groups: pd.DataFrame,
    season_length: int,
) -> pd.DataFrame:
    """Mean MASE, bias and 95 % coverage per level of forecasts against actuals after the history.

    ``history`` and ``actual`` are customer frames (``unique_id, ds, y``); group series are summed
    from them as the hierarchy says (customers with missing days count as 0 in a group's sum).
    """
    levels = [lv for lv in hierarchy.levels if lv != "total"]
    frames = []
    for df in (history, actual):
        agg, _ = aggregate(df[[ID, DS, Y]], groups, levels=levels, total=True, include_bottom=True)
        frames.append(agg.assign(**{ID: agg[ID].astype(str)}))
    hist, act = frames
    return _mean_by_level(_level_metrics(forecasts, hist, act, hierarchy, season_length), levels)


#: Columns of the accuracy per level (``coverage_95`` when the forecasts have a 95 % interval), then ``n_series``.
ACCURACY_COLUMNS = ("mase", "bias", "coverage_95")


def _level_metrics(forecasts: pd.DataFrame, hist: pd.DataFrame, act: pd.DataFrame, hierarchy: Hierarchy,
                   season_length: int) -> pd.DataFrame:
    """Metrics of each series (``series_metrics``) with its ``level``; ``hist``, ``act``: series frames, ids as text."""
    joined = forecasts.assign(**{ID: forecasts[ID].astype(str)}).merge(act, on=[ID, DS], how="inner")
    joined = joined.loc[joined[Y].notna()]
    m = series_metrics(joined, training_scales(hist, season_length))
    m["level"] = level_of(m[ID], hierarchy)
    return m


def _mean_by_level(m: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """The mean of each metric of :data:`ACCURACY_COLUMNS` per level and ``n_series``, levels in hierarchy order."""
    cols = [c for c in ACCURACY_COLUMNS if c in m.columns]
    out = m.groupby("level")[cols].mean()
    out["n_series"] = m.groupby("level").size()
    order = ["customer", *levels, "total"]
    return out.reindex([lv for lv in order if lv in out.index])
