"""The ``batched`` engine: seasonal ARIMA for thousands of series at once, in vectorised numpy.

For each chunk of series (``chunk_size`` columns of a time-major matrix):

1. orders of differencing per series: ``D`` by seasonal strength, ``d`` by KPSS
   (the Hyndman–Khandakar rules, :func:`~gridcrm.forecasting._arima.choose_differencing`);
2. for the series sharing ``(d, D)``, every candidate order ``(p, q)(P, Q)`` is estimated
   at once: Hannan–Rissanen (a long autoregression gives innovations, then one batched
   least-squares regression on lagged values and lagged innovations), refined by a few
   Gauss–Newton steps on the conditional sum of squares of the multiplicative model;
3. per series, the candidate with the lowest AICc among the stationary and invertible
   ones is kept; a series with none falls back to seasonal naive, with the reason;
4. a model whose forecasts are non-finite or absurd falls back to seasonal naive, then to
   a robust constant (:func:`~gridcrm.forecasting._models.guard_models`).

The only Python loops are over chunks, candidate orders, lags and time steps, never
over series. Intervals come from the psi-weights of the fitted model and its residual
variance (:func:`~gridcrm.forecasting._models.predict_models`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from gridcrm.forecasting._arima import (
    Order,
    aicc,
    choose_differencing,
    css_residuals,
    diff_poly,
    difference,
    expand_ar,
    expand_ma,
    polymul,
    stable_factors,
)
from gridcrm.forecasting._models import (
    FittedModels,
    _table,
    concat_models,
    guard_models,
    replace_models,
    seasonal_naive_models,
    take_models,
)

__all__ = ["fit_batched", "refit_batched", "default_candidates"]

logger = logging.getLogger(__name__)

#: Candidate ``(p, q, P, Q)`` orders of the batched search for seasonally differenced series (``D = 1``).
#: The candidate sets are small on purpose: each candidate costs a pass over every series, and on
#: realistic daily consumption the orders left out were chosen for fewer than 1 % of the series.
SEASONAL_DIFF_CANDIDATES: tuple[tuple[int, int, int, int], ...] = (
    (0, 1, 0, 1),
    (1, 1, 0, 1),
    (2, 0, 0, 1),
    (2, 1, 0, 1),
)
#: Candidates for seasonal series without seasonal differencing (``D = 0``): seasonal AR terms.
SEASONAL_AR_CANDIDATES: tuple[tuple[int, int, int, int], ...] = (
    (1, 1, 1, 0),
    (1, 0, 1, 1),
    (1, 1, 1, 1),
    (2, 1, 1, 1),
)
#: Candidates without a season.
NONSEASONAL_CANDIDATES: tuple[tuple[int, int, int, int], ...] = (
    (1, 0, 0, 0),
    (0, 1, 0, 0),
    (1, 1, 0, 0),
    (2, 0, 0, 0),
    (2, 1, 0, 0),
)


def default_candidates(s: int, D: int) -> tuple[tuple[int, int, int, int], ...]:
    """The candidate ``(p, q, P, Q)`` orders for season length ``s`` and seasonal differencing ``D``.

    Examples
    --------
    >>> default_candidates(7, 1)[0]
    (0, 1, 0, 1)
    """
    if s <= 1:
        return NONSEASONAL_CANDIDATES
    return SEASONAL_DIFF_CANDIDATES if D else SEASONAL_AR_CANDIDATES


def _shift(X: np.ndarray, k: int) -> np.ndarray:
    """``B^k X`` along axis 0 (zeros shifted in)."""
    if k == 0:
        return X
    out = np.zeros_like(X)
    out[k:] = X[:-k]
    return out


def _apply_poly(poly: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``poly(B) X`` for per-series polynomial rows ``poly (N, L)`` and ``X (T, N)``."""
    out = X * poly[:, 0]
    for k in np.flatnonzero(np.any(poly[:, 1:] != 0, axis=0)) + 1:
        out[k:] += poly[:, k] * X[:-k]
    return out


def _ols(cols: list[np.ndarray], target: np.ndarray, mask: np.ndarray, ridge: float = 1e-6) -> np.ndarray:
    """Per-series least squares of ``target`` on ``cols`` over the rows where ``mask``; ``(N, K)``."""
    K, N = len(cols), target.shape[1]
    mcols = [np.where(mask, c, 0.0) for c in cols]
    XtX = np.empty((N, K, K))
    Xty = np.empty((N, K))
    for i in range(K):
        Xty[:, i] = np.einsum("tn,tn->n", mcols[i], target)
        for j in range(i, K):
            XtX[:, i, j] = XtX[:, j, i] = np.einsum("tn,tn->n", mcols[i], cols[j])
    scale = np.maximum(np.trace(XtX, axis1=1, axis2=2) / max(K, 1), 1e-12)
    XtX += ridge * scale[:, None, None] * np.eye(K)
    return np.linalg.solve(XtX, Xty[..., None])[..., 0]


def _unpack(params: np.ndarray, o: Order) -> tuple[np.ndarray, ...]:
    i = np.cumsum([0, o.p, o.P, o.q, o.Q])
    c = params[:, i[4]] if o.constant else np.zeros(params.shape[0])
    return params[:, i[0] : i[1]], params[:, i[1] : i[2]], params[:, i[2] : i[3]], params[:, i[3] : i[4]], c


def _polys(params: np.ndarray, o: Order) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    phi, Phi, theta, Theta, c = _unpack(params, o)
    return expand_ar(phi, Phi, o.s), expand_ma(theta, Theta, o.s), c


def _valid(params: np.ndarray, o: Order) -> np.ndarray:
    phi, Phi, theta, Theta, c = _unpack(params, o)
    return stable_factors(phi, Phi, -1.0) & stable_factors(theta, Theta, 1.0) & np.isfinite(c)


def _sse(E: np.ndarray) -> np.ndarray:
    return np.einsum("tn,tn->n", E, E)


def _filter_ma(cols: list[np.ndarray], ma: np.ndarray, t0: np.ndarray) -> list[np.ndarray]:
    """``col / ma(B)`` along time for each ``(T, N)`` array of ``cols``, zero before each series' ``t0``.

    The arrays are stacked as ``(T, K, N)`` so that one step of the recursion updates all of
    them with a few vectorised operations.
    """
    T = cols[0].shape[0]
    valid = (np.arange(T)[:, None] >= t0[None, :])[:, None, :]
    X = np.where(valid, np.stack(cols, axis=1), 0.0)
    lags = np.flatnonzero(np.any(ma[:, 1:] != 0, axis=0)) + 1
    coefs = [ma[:, k] for k in lags]
    for t in range(int(max(t0.min(), 1)), T):
        acc = X[t]
        for k, m in zip(lags, coefs, strict=True):
            if t >= k:
                acc -= m * X[t - k]
    X = np.where(valid, X, 0.0)
    return [X[:, i, :] for i in range(X.shape[1])]


def _gauss_newton(
    W0: np.ndarray, params: np.ndarray, o: Order, tvec: np.ndarray, n_iter: int
) -> tuple[np.ndarray, np.ndarray]:
    """Refine CSS estimates of order ``o`` by damped Gauss–Newton steps; returns ``(params, residuals)``."""
    N = W0.shape[1]
    ar, ma, c = _polys(params, o)
    E = css_residuals(W0, ar, ma, c, tvec)
    sse = _sse(E)
    step = np.ones(N)
    for _ in range(n_iter):
        phi, Phi, theta, Theta, _c = _unpack(params, o)
        ones = np.zeros((N, 1))
        seas_ar = expand_ar(ones[:, :0], Phi, o.s)
        reg_ar = expand_ar(phi, ones[:, :0], o.s)
        seas_ma = expand_ma(ones[:, :0], Theta, o.s)
        reg_ma = expand_ma(theta, ones[:, :0], o.s)
        sw, rw = _apply_poly(seas_ar, W0), _apply_poly(reg_ar, W0)
        se, re = _apply_poly(seas_ma, E), _apply_poly(reg_ma, E)
        cols = [-_shift(sw, i) for i in range(1, o.p + 1)]
        cols += [-_shift(rw, o.s * j) for j in range(1, o.P + 1)]
        cols += [-_shift(se, i) for i in range(1, o.q + 1)]
        cols += [-_shift(re, o.s * j) for j in range(1, o.Q + 1)]
        if o.constant:
            cols.append(-np.ones_like(W0))
        # d e / d params = -(1 / ma(B)) * input (the inputs carry the sign), zero before t0
        J = _filter_ma(cols, ma, tvec)
        K = len(J)
        JtJ = np.empty((N, K, K))
        Jte = np.empty((N, K))
        for i in range(K):
            Jte[:, i] = np.einsum("tn,tn->n", J[i], E)
            for j in range(i, K):
                JtJ[:, i, j] = JtJ[:, j, i] = np.einsum("tn,tn->n", J[i], J[j])
        damp = 1e-6 * np.maximum(np.trace(JtJ, axis1=1, axis2=2) / K, 1e-12)
        delta = -np.linalg.solve(JtJ + damp[:, None, None] * np.eye(K), Jte[..., None])[..., 0]
        delta = np.nan_to_num(delta)
        trial = params + step[:, None] * delta
        tar, tma, tc = _polys(trial, o)
        ok = _valid(trial, o)
        with np.errstate(all="ignore"):
            Et = css_residuals(W0, tar, np.where(ok[:, None], tma, ma), tc, tvec)
            new = _sse(Et)
        better = ok & np.isfinite(new) & (new < sse)
        params = np.where(better[:, None], trial, params)
        E = np.where(better[None, :], Et, E)
        sse = np.where(better, new, sse)
        step = np.where(better, np.minimum(step * 2, 1.0), step / 2)
        ar, ma, c = _polys(params, o)
    return params, E


def _hannan_rissanen(W0: np.ndarray, innov: np.ndarray, o: Order, mask: np.ndarray) -> np.ndarray:
    cols = [_shift(W0, i) for i in range(1, o.p + 1)]
    cols += [_shift(W0, o.s * j) for j in range(1, o.P + 1)]
    cols += [_shift(innov, i) for i in range(1, o.q + 1)]
    cols += [_shift(innov, o.s * j) for j in range(1, o.Q + 1)]
    if o.constant:
        cols.append(np.ones_like(W0))
    if not cols:
        return np.zeros((W0.shape[1], 0))
    return _ols(cols, W0, mask)


def _long_ar_lags(s: int) -> list[int]:
    if s <= 14:
        return list(range(1, max(2 * s, 10) + 1))
    return list(range(1, 9)) + [s - 1, s, s + 1, 2 * s]


def _fit_class(
    Y: np.ndarray, d: int, D: int, s: int, candidates: Sequence[tuple[int, int, int, int]], n_iter: int
) -> tuple[np.ndarray, list[Order], list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """Estimate every candidate for series sharing ``(d, D)``; AICc ``(C, N)``, orders, params, residuals."""
    T, N = Y.shape
    W = difference(Y, d, D, s)
    first = np.argmax(~np.isnan(W), axis=0)
    W0 = np.nan_to_num(W)
    lags = _long_ar_lags(s)
    rows = np.arange(T)[:, None]
    with_const = d + D <= 1
    orders = [Order(p, d, q, P, D, Q, s, constant=with_const) for p, q, P, Q in candidates]
    max_ar = max(o.ar_lags for o in orders)
    max_ma = max(o.ma_lags for o in orders)
    t_ar = first + max(lags)
    longar_cols = [_shift(W0, k) for k in lags] + [np.ones_like(W0)]
    mask_ar = rows >= t_ar[None, :]
    coef = _ols(longar_cols, W0, mask_ar)
    innov = W0 - sum(coef[:, i] * col for i, col in enumerate(longar_cols))
    innov = np.where(mask_ar, innov, 0.0)
    mask_reg = rows >= np.maximum(t_ar + max_ma, first + max_ar)[None, :]
    t_css = first + max_ar
    n_eff = T - t_css
    scores, params_all, resid_all = [], [], []
    for o in orders:
        params = _hannan_rissanen(W0, innov, o, mask_reg)
        with np.errstate(all="ignore"):
            if n_iter > 0 and params.shape[1]:
                params, E = _gauss_newton(W0, params, o, t_css, n_iter)
            else:
                ar, ma, c = _polys(params, o)
                E = css_residuals(W0, ar, ma, c, t_css)
            score = aicc(_sse(E), n_eff, o.n_params)
        scores.append(np.where(_valid(params, o), score, np.inf))
        params_all.append(params)
        resid_all.append(E)
    return np.array(scores), orders, params_all, resid_all, n_eff, W0


def _assemble(
    Y: np.ndarray, orders: list[Order], params_all: list[np.ndarray], resid_all: list[np.ndarray],
    scores: np.ndarray, n_eff: np.ndarray, best: np.ndarray
) -> FittedModels:
    """Build the fitted models of one class from each series' chosen candidate."""
    parts, where = [], []
    for k, o in enumerate(orders):
        cols = np.flatnonzero(best == k)
        if cols.size == 0:
            continue
        params = params_all[k][cols]
        ar, ma, c = _polys(params, o)
        ar_full = polymul(ar, diff_poly(o.d, o.D, o.s))
        E = resid_all[k][:, cols]
        sse = _sse(E)
        sigma2 = sse / np.maximum(n_eff[cols] - o.n_params, 1)
        La, Lm = ar_full.shape[1], ma.shape[1]
        table = _table(
            cols.size, model=str(o), p=o.p, d=o.d, q=o.q, P=o.P, D=o.D, Q=o.Q, s=o.s, constant=o.constant,
            aicc=scores[k, cols], sigma2=sigma2, engine="batched",
        )
        parts.append(
            FittedModels(
                ar_full=ar_full,
                ma=ma,
                c=c,
                sigma2=sigma2,
                y_tail=Y[Y.shape[0] - (La - 1) :, cols] if La > 1 else np.zeros((0, cols.size)),
                e_tail=E[E.shape[0] - (Lm - 1) :] if Lm > 1 else np.zeros((0, cols.size)),
                beta=np.zeros((cols.size, 0)),
                table=table,
            )
        )
        where.append(cols)
    merged = concat_models(parts)
    return take_models(merged, np.argsort(np.concatenate(where), kind="stable"))


def _min_length(s: int, candidates: Sequence[tuple[int, int, int, int]]) -> int:
    max_lag = max((p + s * P + q + s * Q) for p, q, P, Q in candidates)
    return max(3 * s + max_lag, 30) + max(_long_ar_lags(s))


def fit_batched(
    Y: np.ndarray,
    season_length: int,
    X: np.ndarray | None = None,
    *,
    candidates: Sequence[tuple[int, int, int, int]] | None = None,
    max_d: int = 1,
    max_D: int = 1,
    n_iter: int = 4,
    chunk_size: int = 500,
    n_jobs: int = 1,
) -> FittedModels:
    """Fit seasonal ARIMA models to the columns of ``Y``, many at once.

    Parameters
    ----------
    Y : ndarray of shape (T, N)
        Right-aligned series without gaps (NaN only before a series starts), see
        :func:`~gridcrm.forecasting.frame.to_matrix` and
        :func:`~gridcrm.forecasting.frame.impute_seasonal`.
    season_length : int
        Period of the seasonality (7 for daily data, 168 for hourly, 1 for none).
    X : ndarray of shape (T, N, K), optional
        Exogenous columns (regression with ARIMA errors): their coefficients are
        estimated by least squares on the seasonally differenced series (first
        differences without a season), and the ARIMA is fitted to ``y - X beta``.
    candidates : sequence of (p, q, P, Q), optional
        Orders to try for every series; default :func:`default_candidates` for the
        series' seasonal differencing.
    max_d, max_D : int
        Largest orders of differencing (0 or 1).
    n_iter : int
        Gauss–Newton refinements of the Hannan–Rissanen estimates (0: none).
    chunk_size : int
        Series per vectorised block; memory grows linearly with it.
    n_jobs : int
        joblib processes working on chunks in parallel.

    Returns
    -------
    FittedModels
        One model per column, in order; fallbacks are recorded in ``table["fallback"]``.

    Examples
    --------
    >>> from gridcrm.forecasting.simulate import simulate_arima
    >>> Y = simulate_arima(ar=[0.6], ma=[], n=400, n_series=3, seed=0)
    >>> fit_batched(Y, 1, max_d=0).table["model"].str.startswith("ARIMA").all()
    np.True_
    """
    s = int(season_length)
    cands = None if candidates is None else tuple(tuple(c) for c in candidates)
    if s == 1 and cands is not None:
        cands = tuple(c for c in cands if c[2] == 0 and c[3] == 0) or NONSEASONAL_CANDIDATES
    N = Y.shape[1]
    bounds = [(lo, min(lo + chunk_size, N)) for lo in range(0, N, chunk_size)]
    args = [(Y[:, a:b], None if X is None else X[:, a:b], s, cands, max_d, max_D, n_iter) for a, b in bounds]
    if n_jobs == 1 or len(args) == 1:
        parts = [_fit_chunk_safe(*a) for a in args]
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(delayed(_fit_chunk_safe)(*a) for a in args)
    return concat_models(parts)


def _fit_chunk_safe(Y: np.ndarray, X: np.ndarray | None, s: int, cands, max_d: int, max_D: int, n_iter: int) -> FittedModels:
    """One chunk; an unexpected numerical failure degrades the chunk to seasonal naive instead of stopping the run."""
    try:
        beta = _exog_coefficients(Y, X, s) if X is not None and X.shape[2] else None
        U = Y - np.einsum("tnk,nk->tn", X, beta) if beta is not None else Y
        fitted = _fit_chunk(U, s, cands, max_d, max_D, n_iter)
        if beta is not None:
            fitted.beta = beta
        return guard_models(fitted, U, s, "batched")
    except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
        logger.warning("batched fit of a chunk of %d series failed (%s); seasonal naive used", Y.shape[1], exc)
        return seasonal_naive_models(Y, s, f"batched fit failed: {type(exc).__name__}: {exc}", "batched")


def _exog_coefficients(Y: np.ndarray, X: np.ndarray, s: int) -> np.ndarray:
    lag = s if s > 1 else 1
    W = difference(Y, 0, 1, lag)
    mask = ~np.isnan(W)
    cols = [np.nan_to_num(difference(X[:, :, k], 0, 1, lag)) for k in range(X.shape[2])]
    return _ols(cols, np.nan_to_num(W), mask)


def _fit_chunk(
    Y: np.ndarray, s: int, cands: Sequence[tuple[int, int, int, int]] | None, max_d: int, max_D: int, n_iter: int
) -> FittedModels:
    T, N = Y.shape
    n_obs = (~np.isnan(Y)).sum(axis=0)
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(Y, axis=0, initial=-np.inf, where=~np.isnan(Y)) - np.nanmin(
            Y, axis=0, initial=np.inf, where=~np.isnan(Y)
        )
    min_len = max(_min_length(s, cands or default_candidates(s, D)) for D in (0, 1))
    short = n_obs < min_len
    constant = ~short & (spread <= 1e-12 * np.maximum(np.nanmax(np.abs(Y), axis=0, initial=0.0), 1.0))
    reasons = np.full(N, "", dtype=object)
    reasons[short] = f"too short for ARIMA (fewer than {min_len} points)"
    reasons[constant] = "constant series"
    ok = np.flatnonzero(~short & ~constant)
    groups: list[tuple[np.ndarray, FittedModels]] = []
    if ok.size:
        # the fit uses at most the series' own history: shorter series are padded with NaN
        Yok = Y[:, ok]
        keep_rows = T - int(n_obs[ok].max())
        Yok = Yok[keep_rows:]
        d, D = choose_differencing(Yok, s, max_d=max_d, max_D=max_D if s > 1 else 0)
        for dd, DD in sorted(set(zip(d.tolist(), D.tolist(), strict=True))):
            cls = np.flatnonzero((d == dd) & (D == DD))
            Ycls = Yok[:, cls]
            first = int(T - keep_rows - n_obs[ok][cls].max())
            Ycls = Ycls[first:]
            cls_cands = cands or default_candidates(s, DD)
            scores, orders, params, resid, n_eff, _ = _fit_class(Ycls, dd, DD, s, cls_cands, n_iter)
            best = np.argmin(scores, axis=0)
            finite = np.isfinite(scores[best, np.arange(cls.size)])
            if finite.any():
                fitted = _assemble(Ycls[:, finite], orders, [p[finite] for p in params],
                                   [r[:, finite] for r in resid], scores[:, finite], n_eff[finite], best[finite])
                fitted.table["n_obs"] = n_obs[ok][cls][finite]
                groups.append((ok[cls[finite]], fitted))
            reasons[ok[cls[~finite]]] = "no candidate ARIMA was stationary and invertible"
    fell = np.flatnonzero(reasons != "")
    if fell.size:
        fb = seasonal_naive_models(Y[:, fell], s, reasons[fell], engine="batched")
        groups.append((fell, fb))
    idx = np.concatenate([g[0] for g in groups])
    merged = concat_models([g[1] for g in groups])
    return take_models(merged, np.argsort(idx, kind="stable"))


def refit_batched(Y: np.ndarray, table, X: np.ndarray | None = None, n_iter: int = 4) -> FittedModels:
    """Refit each column of ``Y`` with the order already chosen for it (``table``, as ``FittedModels.table``).

    Used to re-estimate models on a shorter history (interval calibration) without a new search;
    series whose chosen model was a fallback get the same fallback.
    """
    s = int(table["s"].iloc[0]) if len(table) else 1
    beta = _exog_coefficients(Y, X, s) if X is not None and X.shape[2] else None
    U = Y - np.einsum("tnk,nk->tn", X, beta) if beta is not None else Y
    arima = table["model"].str.startswith("ARIMA").to_numpy()
    keys = table[["d", "D", "p", "q", "P", "Q"]].to_numpy()
    groups: list[tuple[np.ndarray, FittedModels]] = []
    for key in np.unique(keys[arima], axis=0):
        cols = np.flatnonzero(arima & (keys == key).all(axis=1))
        d, D, p, q, P, Q = (int(v) for v in key)
        Ycls = U[:, cols]
        first = int(np.argmax((~np.isnan(Ycls)).any(axis=1)))
        Ycls = Ycls[first:]
        scores, orders, params, resid, n_eff, _ = _fit_class(Ycls, d, D, s, [(p, q, P, Q)], n_iter)
        best = np.zeros(cols.size, dtype=int)
        fitted = _assemble(Ycls, orders, params, resid, scores, n_eff, best)
        bad = ~np.isfinite(scores[0])
        if bad.any():
            fb = seasonal_naive_models(Ycls[:, bad], s, "refit not stationary/invertible", "batched")
            fitted = replace_models(fitted, np.flatnonzero(bad), fb)
        groups.append((cols, fitted))
    rest = np.flatnonzero(~arima)
    if rest.size:
        groups.append((rest, seasonal_naive_models(U[:, rest], s, table["fallback"].to_numpy()[rest], "batched")))
    idx = np.concatenate([g[0] for g in groups])
    merged = take_models(concat_models([g[1] for g in groups]), np.argsort(idx, kind="stable"))
    if beta is not None:
        merged.beta = beta
    return guard_models(merged, U, s, "batched")
