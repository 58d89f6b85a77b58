"""Group forecasts (class, region, industry, total) and their reconciliation with customer forecasts.

:func:`aggregate` adds to a customer frame the series of every group asked for (sums of
its members) and returns the :class:`Hierarchy` that links them; one
:class:`~gridcrm.forecasting.ConsumptionForecaster` fits all of them; :func:`reconcile`
makes the forecasts coherent (every group forecast the sum of its customers').

Methods
-------
``bottom_up``
    Groups are the sums of the customer forecasts.
``ols``, ``wls_struct``, ``wls_var``
    The optimal-combination (MinT) projection ``S (S' W^-1 S)^-1 S' W^-1 y_hat`` with a
    diagonal ``W``: identity, the number of customers under each series (structural
    scaling), or each base forecast's variance (variance scaling, "MinT-diagonal").
    The projection is computed through the Woodbury identity, with one ``m x m`` solve
    (``m`` = groups).
``mint_shrink``
    MinT with the full covariance of the base forecasts' errors, shrunk towards its diagonal
    (Schäfer & Strimmer 2005; Wickramasuriya, Athanasopoulos & Hyndman 2019), estimated from
    errors given by the caller (e.g. ``ConsumptionForecaster.backtest_errors_`` of the
    customers and of the groups). A dense ``(n + m)^2`` matrix: at most
    :data:`MINT_MAX_SERIES` series (group the customers first beyond that).

Intervals
---------
Each series keeps the width of its base interval, moved by the change of its point
forecast (an approximation; reconciled point forecasts are exact). With ``clip`` the
results are clipped at 0 again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from gridcrm.forecasting.metrics import interval_levels

__all__ = ["Hierarchy", "aggregate", "reconcile", "shrunk_covariance", "METHODS", "MINT_MAX_SERIES"]

METHODS = ("bottom_up", "ols", "wls_struct", "wls_var", "mint_shrink")
#: Most series (customers + groups) ``mint_shrink`` reconciles (a dense covariance of that size).
MINT_MAX_SERIES = 6000
TOTAL = "total"


@dataclass
class Hierarchy:
    """How group series are made of customer (bottom) series.

    Attributes
    ----------
    bottom_ids : ndarray (n,)
    group_ids : ndarray (m,)
        Group series ids, ``"<column>=<value>[/<column>=<value>]"`` or ``"total"``.
    A : scipy.sparse.csr_matrix (m, n)
        ``A[g, i] = 1`` when customer ``i`` belongs to group ``g``.
    levels : dict of str to list
        Group ids per level (``"customer_class"``, ``"customer_class/region"``, ``"total"``).
    """

    bottom_ids: np.ndarray
    group_ids: np.ndarray
    A: sparse.csr_matrix
    levels: dict[str, list[str]]


def aggregate(
    df: pd.DataFrame,
    groups: pd.DataFrame,
    levels: Sequence[Sequence[str] | str] = (),
    total: bool = True,
    include_bottom: bool = True,
) -> tuple[pd.DataFrame, Hierarchy]:
    """Add group series (sums of members) to a customer long frame.

    Parameters
    ----------
    df : DataFrame
        ``unique_id, ds, y`` of the customers (gaps as NaN: a sum over members skips them).
    groups : DataFrame
        Indexed by ``unique_id`` (the customer id), one column per grouping
        (``customer_class``, ``region``, ``industry_code``...).
    levels : sequence of str or of lists of str
        Groupings to build: ``["customer_class", "region", ["customer_class", "region"]]``.
    total : bool
        Add the grand total (``unique_id = "total"``).
    include_bottom : bool
        Keep the customer series in the returned frame.

    Returns
    -------
    frame : DataFrame
        Long frame with the group series after the customers; ``unique_id`` becomes a string.
    hierarchy : Hierarchy

    Examples
    --------
    >>> df = pd.DataFrame({"unique_id": [1, 1, 2, 2], "ds": pd.to_datetime(["2024-01-01", "2024-01-02"] * 2),
    ...                    "y": [1.0, 2.0, 3.0, 4.0]})
    >>> frame, h = aggregate(df, pd.DataFrame({"region": ["a", "a"]}, index=[1, 2]), ["region"])
    >>> frame.loc[frame["unique_id"] == "region=a", "y"].tolist()
    [4.0, 6.0]
    """
    bottom = pd.unique(df["unique_id"])
    hierarchy = _membership(bottom, groups, levels, total)
    A, ids = hierarchy.A, list(hierarchy.group_ids)
    pos = pd.Series(np.arange(len(bottom)), index=bottom).reindex(df["unique_id"]).to_numpy()
    frames = []
    if include_bottom:
        frames.append(df[["unique_id", "ds", "y"]].assign(unique_id=df["unique_id"].astype(str)))
    dates, date_pos = np.unique(df["ds"].to_numpy(), return_inverse=True)
    y = df["y"].to_numpy(float)
    ok = ~np.isnan(y)
    B = sparse.csr_matrix((y[ok], (pos[ok], date_pos[ok])), shape=(len(bottom), len(dates)))
    present = sparse.csr_matrix((np.ones(ok.sum()), (pos[ok], date_pos[ok])), shape=(len(bottom), len(dates)))
    G = (A @ B).toarray()
    cnt = (A @ present).toarray()
    gi, di = np.nonzero(cnt > 0)
    frames.append(pd.DataFrame({"unique_id": np.asarray(ids, dtype=object)[gi], "ds": dates[di], "y": G[gi, di]}))
    out = pd.concat(frames, ignore_index=True)
    out["unique_id"] = out["unique_id"].astype(str)
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True), hierarchy


def _membership(bottom: np.ndarray, groups: pd.DataFrame, levels: Sequence[Sequence[str] | str], total: bool
                ) -> Hierarchy:
    """The hierarchy of the ``bottom`` series (ids of ``groups``' index): group ids per level and ``A``."""
    missing = pd.Index(bottom).difference(groups.index)
    if len(missing):
        raise ValueError(f"groups has no row for some series; add them. Affected series: {missing[:10].tolist()}")
    specs = [[lv] if isinstance(lv, str) else list(lv) for lv in levels]
    for spec in specs:
        for col in spec:
            if col not in groups.columns:
                raise KeyError(f"levels names column {col!r}, which groups lacks; columns are {list(groups.columns)}")
    g = groups.reindex(bottom)
    labels_per_level: dict[str, np.ndarray] = {}
    for spec in specs:
        name = "/".join(spec)
        lab = None
        for col in spec:
            values = g[col].astype(object).where(g[col].notna(), "missing")  # no label: a group of its own
            part = col + "=" + np.asarray([str(v) for v in values], dtype=object)
            lab = part if lab is None else lab + "/" + part
        labels_per_level[name] = np.asarray(lab, dtype=object)
    if total:
        labels_per_level[TOTAL] = np.full(len(bottom), TOTAL, dtype=object)
    rows, cols, ids, lv_ids = [], [], [], {}
    for name, lab in labels_per_level.items():
        uniq, inv = np.unique(lab, return_inverse=True)
        rows.append(inv + len(ids))
        cols.append(np.arange(len(bottom)))
        lv_ids[name] = list(uniq)
        ids.extend(uniq)
    m = len(ids)
    A = sparse.csr_matrix(
        (np.ones(sum(len(r) for r in rows)), (np.concatenate(rows) if rows else [], np.concatenate(cols) if cols else [])),
        shape=(m, len(bottom)),
    )
    return Hierarchy(bottom_ids=np.asarray(bottom).astype(str), group_ids=np.asarray(ids, dtype=str), A=A,
                     levels=lv_ids)


def _matrix(fc: pd.DataFrame, ids: np.ndarray, col: str, name: str) -> np.ndarray:
    wide = fc.pivot(index="unique_id", columns="ds", values=col)
    missing = pd.Index(ids).difference(wide.index)
    if len(missing):
        raise ValueError(f"{name} has no forecasts for some series of the hierarchy. Affected series: "
                         f"{missing[:10].tolist()}")
    return wide.reindex(ids).to_numpy(float), wide.columns


def shrunk_covariance(errors: np.ndarray) -> tuple[np.ndarray, float]:
    """Covariance of the columns of ``errors`` (T, k) shrunk towards its diagonal, and the shrinkage weight.

    The weight ``lambda`` minimises the estimated mean squared error of the correlations
    (Schäfer & Strimmer 2005, target D: the diagonal); NaN errors count as 0 after centring.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> e = rng.normal(size=(400, 3)) @ np.array([[1.0, 0.8, 0.0], [0.0, 0.6, 0.0], [0.0, 0.0, 2.0]])
    >>> W, lam = shrunk_covariance(e)
    >>> bool(0 <= lam < 0.1), round(float(W[2, 2]), 0)
    (True, 4.0)
    """
    X = np.asarray(errors, dtype=float)
    X = np.nan_to_num(X - np.nanmean(X, axis=0), nan=0.0)
    n = X.shape[0]
    if n < 3:
        raise ValueError(f"mint_shrink needs at least 3 errors per series, got {n}")
    cov = X.T @ X / n
    sd = np.sqrt(np.maximum(np.diag(cov), 1e-12))
    Xs = X / sd
    corr = cov / np.outer(sd, sd)
    # estimated variance of each correlation: n^2 / (n - 1)^3 * (mean of (x_i x_j)^2 - r_ij^2), standardised x
    v = ((Xs**2).T @ (Xs**2) / n - corr**2) * n**2 / (n - 1) ** 3
    np.fill_diagonal(v, 0.0)
    off = corr**2
    np.fill_diagonal(off, 0.0)
    lam = float(np.clip(v.sum() / max(off.sum(), 1e-12), 0.0, 1.0))
    W = (1 - lam) * cov
    W[np.diag_indices_from(W)] = np.diag(cov)
    return W, lam


def reconcile(
    forecasts: pd.DataFrame, hierarchy: Hierarchy, method: str = "bottom_up", clip: bool = True,
    errors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Make customer and group forecasts coherent.

    Parameters
    ----------
    forecasts : DataFrame
        Base forecasts of every series of the hierarchy (customers and groups), as
        returned by :meth:`ConsumptionForecaster.predict` on the frame of :func:`aggregate`.
    hierarchy : Hierarchy
    method : {"bottom_up", "ols", "wls_struct", "wls_var", "mint_shrink"}
        See the module docstring. ``wls_var`` needs ``hi_<l>`` columns (the variance is
        read from the upper half-width of the widest interval); ``mint_shrink`` needs ``errors``.
    errors : DataFrame, optional
        ``mint_shrink``: base-forecast errors, one column per series of the hierarchy (customers
        and groups, named as ``unique_id``), one row per time step (backtest errors).
    clip : bool
        Clip at 0 after reconciliation.

    Returns
    -------
    DataFrame
        Same columns as ``forecasts``, rows of the hierarchy's series, coherent point forecasts.

    Examples
    --------
    >>> A = sparse.csr_matrix(np.ones((1, 2)))
    >>> h = Hierarchy(np.array(["1", "2"]), np.array(["total"]), A, {"total": ["total"]})
    >>> fc = pd.DataFrame({"unique_id": ["1", "2", "total"], "ds": pd.Timestamp("2024-01-01"),
    ...                    "forecast": [1.0, 2.0, 4.0]})
    >>> reconcile(fc, h, "ols").set_index("unique_id")["forecast"].round(3).tolist()
    [1.333, 2.333, 3.667]
    """
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not allowed; expected one of {list(METHODS)}")
    fc = forecasts.assign(unique_id=forecasts["unique_id"].astype(str))
    yb, dates = _matrix(fc, hierarchy.bottom_ids, "forecast", "forecasts")
    ya, _ = _matrix(fc, hierarchy.group_ids, "forecast", "forecasts")
    A = hierarchy.A
    if method == "bottom_up":
        rb = yb
    elif method == "mint_shrink":
        rb = _mint_bottom(yb, ya, hierarchy, errors)
    else:
        n, m = A.shape[1], A.shape[0]
        if method == "ols":
            wb, wa = np.ones((n, 1)), np.ones((m, 1))
        elif method == "wls_struct":
            wb, wa = np.ones((n, 1)), np.asarray(A.sum(axis=1)).reshape(m, 1)
        else:
            lv, z = _variance_level(list(fc.columns))
            hb, _ = _matrix(fc, hierarchy.bottom_ids, f"hi_{lv}", "forecasts")
            ha, _ = _matrix(fc, hierarchy.group_ids, f"hi_{lv}", "forecasts")
            wb = np.maximum(((hb - yb) / z) ** 2, _VAR_FLOOR)
            wa = np.maximum(((ha - ya) / z) ** 2, _VAR_FLOOR)
        rb = _wls_bottom(yb, ya, A, wb, wa)
    ra = A @ rb
    out = [_shifted(fc, ids, dates, new, old) for ids, new, old in ((hierarchy.bottom_ids, rb, yb),
                                                                     (hierarchy.group_ids, ra, ya))]
    res = pd.concat(out, ignore_index=True)
    return _clipped(res) if clip else res


def _shifted(fc: pd.DataFrame, ids: np.ndarray, dates: pd.Index, new: np.ndarray, old: np.ndarray) -> pd.DataFrame:
    """The rows of ``fc`` of series ``ids`` with the point forecast and the bounds moved by ``new - old`` (ids x dates)."""
    shift = pd.DataFrame(new - old, index=ids, columns=dates).stack().rename("_shift").reset_index()
    shift.columns = ["unique_id", "ds", "_shift"]
    part = fc.merge(shift, on=["unique_id", "ds"], how="inner")
    value_cols = [c for c in part.columns if c == "forecast" or c.startswith(("lo_", "hi_"))]
    part[value_cols] = part[value_cols].to_numpy() + part[["_shift"]].to_numpy()
    return part.drop(columns="_shift")


def _clipped(res: pd.DataFrame) -> pd.DataFrame:
    """``res`` with the point forecasts and the bounds clipped at 0 (in place)."""
    value_cols = [c for c in res.columns if c == "forecast" or c.startswith(("lo_", "hi_"))]
    res[value_cols] = res[value_cols].clip(lower=0)
    return res


#: Smallest variance of ``wls_var`` (a series forecast as 0 with no width, e.g. a closed account's zeros).
_VAR_FLOOR = 1e-9


def _variance_level(columns: Sequence[str]) -> tuple[int | float, float]:
    """``wls_var``: the widest interval level of ``columns`` and its normal quantile (variance from its upper half-width)."""
    from gridcrm.forecasting._arima import interval_z

    levels = interval_levels(list(columns))
    if not levels:
        raise ValueError("method='wls_var' needs interval columns hi_<level> in forecasts")
    return levels[-1], float(interval_z(levels[-1]))


def _mint_bottom(yb: np.ndarray, ya: np.ndarray, hierarchy: Hierarchy, errors: pd.DataFrame | None) -> np.ndarray:
    """Bottom forecasts of MinT with the shrunk error covariance: ``(S' W^-1 S)^-1 S' W^-1 y_hat``."""
    if errors is None:
        raise ValueError("method='mint_shrink' needs errors: backtest errors of every series of the hierarchy")
    ids = np.r_[hierarchy.group_ids, hierarchy.bottom_ids].astype(str)
    if ids.size > MINT_MAX_SERIES:
        raise ValueError(f"method='mint_shrink' reconciles at most {MINT_MAX_SERIES} series, got {ids.size}; "
                         "use wls_var or reconcile groups of customers")
    E = errors.rename(columns=str)
    missing = pd.Index(ids).difference(E.columns)
    if len(missing):
        raise ValueError(f"errors has no column for some series of the hierarchy. Affected series: "
                         f"{missing[:10].tolist()}")
    W, _lam = shrunk_covariance(E[ids].to_numpy(float))
    W[np.diag_indices_from(W)] += 1e-9 * max(float(np.trace(W)) / len(ids), 1e-12)
    S = sparse.vstack([hierarchy.A, sparse.identity(len(hierarchy.bottom_ids), format="csr")]).toarray()
    WiS = np.linalg.solve(W, S)
    M = S.T @ WiS
    yhat = np.vstack([ya, yb])
    return np.linalg.solve(M, WiS.T @ yhat)


def _wls_bottom(yb: np.ndarray, ya: np.ndarray, A: sparse.csr_matrix, wb: np.ndarray, wa: np.ndarray) -> np.ndarray:
    """Bottom forecasts of the projection with ``W = diag(wa, wb)``, column by column of ``wb`` (horizons).

    ``(S' W^-1 S)^-1 = Wb - Wb A' (Wa + A Wb A')^-1 A Wb`` (Woodbury), with ``S = [A; I]``.
    """
    H = yb.shape[1]
    wb = np.broadcast_to(wb, yb.shape)
    wa = np.broadcast_to(wa, ya.shape)
    out = np.empty_like(yb)
    for k in range(H):  # a handful of horizons; each step is vectorised over all customers
        Wb = wb[:, k]
        rhs = yb[:, k] / Wb + A.T @ (ya[:, k] / wa[:, k])
        t = Wb * rhs
        AWb = A.multiply(Wb[None, :]).tocsr()
        inner = np.diag(wa[:, k]) + (AWb @ A.T).toarray()
        corr = Wb * (A.T @ np.linalg.solve(inner, A @ t))
        out[:, k] = t - corr
    return out
