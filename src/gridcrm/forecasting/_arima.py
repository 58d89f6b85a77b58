"""Numerical core shared by the ARIMA engines, vectorised over series.

Arrays are *time-major*: ``(T, N)`` holds ``N`` series of ``T`` steps, right-aligned
(the last step of every series is the last row) with NaN before a series starts.
Polynomials are stored as coefficient rows ``(N, L)`` in powers of the backshift
operator ``B``: ``c[:, 0] + c[:, 1] B + ...``, with statsmodels' signs
(AR ``1 - phi_1 B - ...``, MA ``1 + theta_1 B + ...``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "Order",
    "diff_poly",
    "difference",
    "expand_ar",
    "expand_ma",
    "polymul",
    "css_residuals",
    "psi_weights",
    "forecast_recursive",
    "kpss_stat",
    "seasonal_strength",
    "stl_seasonal_strength",
    "choose_differencing",
    "aicc",
    "is_stable",
    "stable_factors",
    "interval_z",
]


@dataclass(frozen=True)
class Order:
    """A seasonal ARIMA order ``(p, d, q)(P, D, Q)_s`` with or without a constant.

    The constant is a mean when ``d + D == 0`` and a drift when ``d + D == 1``.
    """

    p: int
    d: int
    q: int
    P: int = 0
    D: int = 0
    Q: int = 0
    s: int = 1
    constant: bool = False

    def __str__(self) -> str:
        seas = f"({self.P},{self.D},{self.Q})[{self.s}]" if self.s > 1 else ""
        return f"ARIMA({self.p},{self.d},{self.q}){seas}{' c' if self.constant else ''}"

    @property
    def n_params(self) -> int:
        """ARMA coefficients plus the constant (not the variance)."""
        return self.p + self.q + self.P + self.Q + int(self.constant)

    @property
    def ar_lags(self) -> int:
        return self.p + self.P * self.s

    @property
    def ma_lags(self) -> int:
        return self.q + self.Q * self.s


def diff_poly(d: int, D: int, s: int) -> np.ndarray:
    """Coefficients of ``(1 - B)^d (1 - B^s)^D``.

    Examples
    --------
    >>> diff_poly(1, 1, 3).tolist()
    [1.0, -1.0, 0.0, -1.0, 1.0]
    """
    poly = np.array([1.0])
    for _ in range(d):
        poly = np.convolve(poly, [1.0, -1.0])
    seas = np.zeros(s + 1)
    seas[0], seas[s] = 1.0, -1.0
    for _ in range(D):
        poly = np.convolve(poly, seas)
    return poly


def difference(Y: np.ndarray, d: int, D: int, s: int) -> np.ndarray:
    """Apply ``(1 - B)^d (1 - B^s)^D`` along axis 0; the first ``d + D s`` rows become NaN."""
    W = np.asarray(Y, dtype=float)
    for _ in range(D):
        W = np.concatenate([np.full((s,) + W.shape[1:], np.nan), W[s:] - W[:-s]])
    for _ in range(d):
        W = np.concatenate([np.full((1,) + W.shape[1:], np.nan), W[1:] - W[:-1]])
    return W


def polymul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise product of polynomial rows ``a (N, La)`` and ``b (N, Lb)`` (or ``b (Lb,)``)."""
    a = np.atleast_2d(a)
    b = np.broadcast_to(np.atleast_2d(b), (a.shape[0], np.atleast_2d(b).shape[1]))
    out = np.zeros((a.shape[0], a.shape[1] + b.shape[1] - 1))
    for j in range(b.shape[1]):
        if np.any(b[:, j]):
            out[:, j : j + a.shape[1]] += a * b[:, j : j + 1]
    return out


def _seasonal_rows(coef: np.ndarray, s: int, sign: float) -> np.ndarray:
    n, k = coef.shape
    out = np.zeros((n, k * s + 1))
    out[:, 0] = 1.0
    out[:, s :: s] = sign * coef
    return out


def expand_ar(phi: np.ndarray, Phi: np.ndarray, s: int) -> np.ndarray:
    """``(1 - sum phi_i B^i)(1 - sum Phi_j B^{sj})`` for each row; shapes ``(N, p)``, ``(N, P)``."""
    n = phi.shape[0]
    a = np.concatenate([np.ones((n, 1)), -phi], axis=1)
    return polymul(a, _seasonal_rows(Phi, s, -1.0))


def expand_ma(theta: np.ndarray, Theta: np.ndarray, s: int) -> np.ndarray:
    """``(1 + sum theta_i B^i)(1 + sum Theta_j B^{sj})`` for each row."""
    n = theta.shape[0]
    m = np.concatenate([np.ones((n, 1)), theta], axis=1)
    return polymul(m, _seasonal_rows(Theta, s, 1.0))


def css_residuals(W: np.ndarray, ar: np.ndarray, ma: np.ndarray, c: np.ndarray, t0: np.ndarray) -> np.ndarray:
    """Conditional residuals of ``ar(B) w_t = c + ma(B) e_t`` (pre-sample residuals 0).

    Parameters
    ----------
    W : ndarray (T, N)
        Differenced series (NaN before a series starts).
    ar, ma : ndarray (N, La), (N, Lm)
        Polynomial rows with leading 1.
    c : ndarray (N,)
        Constant.
    t0 : ndarray (N,)
        First row of each series where a residual is computed (its AR lags all observed);
        residuals before it are 0.

    Returns
    -------
    ndarray (T, N)
        Residuals, 0 before ``t0``.
    """
    T, N = W.shape
    W0 = np.nan_to_num(W)
    U = W0 - c
    for k in np.flatnonzero(np.any(ar[:, 1:] != 0, axis=0)) + 1:
        U[k:] += ar[:, k] * W0[:-k]
    valid = np.arange(T)[:, None] >= t0[None, :]
    U = np.where(valid, U, 0.0)
    lags = np.flatnonzero(np.any(ma[:, 1:] != 0, axis=0)) + 1
    if lags.size == 0:
        return U
    # the MA recursion runs over time, vectorised over series; rows before t0 stay 0
    E = U
    coefs = [ma[:, k] for k in lags]
    for t in range(int(max(t0.min(), 1)), T):
        acc = E[t]
        for k, m in zip(lags, coefs, strict=True):
            if t >= k:
                acc -= m * E[t - k]
    return np.where(valid, E, 0.0)


def psi_weights(ar_full: np.ndarray, ma: np.ndarray, h: int) -> np.ndarray:
    """MA(infinity) weights ``psi_0 .. psi_{h-1}`` of ``ar_full(B) y = ma(B) e``; shape ``(h, N)``.

    Examples
    --------
    >>> psi_weights(np.array([[1.0, -0.5]]), np.array([[1.0]]), 3).ravel().tolist()
    [1.0, 0.5, 0.25]
    """
    n = ar_full.shape[0]
    psi = np.zeros((h, n))
    psi[0] = 1.0
    a = -ar_full[:, 1:]
    for k in range(1, h):
        acc = ma[:, k] if k < ma.shape[1] else np.zeros(n)
        acc = acc.copy()
        for j in range(1, min(k, a.shape[1]) + 1):
            acc += a[:, j - 1] * psi[k - j]
        psi[k] = acc
    return psi


def forecast_recursive(
    Y: np.ndarray, E: np.ndarray, ar_full: np.ndarray, ma: np.ndarray, c: np.ndarray, h: int
) -> np.ndarray:
    """Point forecasts of ``ar_full(B) y_t = c + ma(B) e_t`` for ``h`` steps, future shocks 0; ``(h, N)``.

    ``Y`` and ``E`` (T, N) must hold at least ``La - 1`` and ``Lm - 1`` past rows.
    """
    La, Lm = ar_full.shape[1], ma.shape[1]
    n = Y.shape[1]
    ypast = np.nan_to_num(Y[-(La - 1) :]) if La > 1 else np.zeros((0, n))
    epast = E[-(Lm - 1) :] if Lm > 1 else np.zeros((0, n))
    yext = np.concatenate([ypast, np.zeros((h, n))])
    eext = np.concatenate([epast, np.zeros((h, n))])
    oy, oe = ypast.shape[0], epast.shape[0]
    ar_lags = np.flatnonzero(np.any(ar_full[:, 1:] != 0, axis=0)) + 1
    ma_lags = np.flatnonzero(np.any(ma[:, 1:] != 0, axis=0)) + 1
    for k in range(h):
        val = c.copy()
        for j in ar_lags:
            val -= ar_full[:, j] * yext[oy + k - j]
        for j in ma_lags:
            if oe + k - j >= 0:
                val += ma[:, j] * eext[oe + k - j]
        yext[oy + k] = val
    return yext[oy:]


def kpss_stat(X: np.ndarray) -> np.ndarray:
    """KPSS level-stationarity statistic of each column (NaN-padded at the start), Bartlett long-run variance.

    Lag truncation ``3 sqrt(n) / 13`` as in R's ``forecast::ndiffs``; reject stationarity
    at 5 % when the statistic exceeds 0.463.
    """
    valid = ~np.isnan(X)
    n = valid.sum(axis=0).astype(float)
    safe_n = np.maximum(n, 1)
    mean = np.where(valid, X, 0).sum(axis=0) / safe_n
    e = np.where(valid, X - mean, 0.0)
    S = np.cumsum(e, axis=0)
    gamma0 = (e * e).sum(axis=0) / safe_n
    L = np.floor(3 * np.sqrt(safe_n) / 13).astype(int)
    lrv = gamma0.copy()
    for lag in range(1, int(L.max()) + 1 if L.size else 1):
        g = (e[lag:] * e[:-lag]).sum(axis=0) / safe_n
        lrv += np.where(lag <= L, 2 * (1 - lag / (L + 1)) * g, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = (S * S).sum(axis=0) / (safe_n**2 * lrv)
    return np.where((n > 3) & (lrv > 0), stat, 0.0)


def seasonal_strength(X: np.ndarray, s: int) -> np.ndarray:
    """Strength of seasonality ``max(0, 1 - Var(R) / Var(S + R))`` from a classical decomposition, per column.

    The trend is a centred moving average over one season; ``S`` the mean detrended value
    at each position of the season; ``R`` what remains. Columns with fewer than two
    full seasons get 0.
    """
    T, N = X.shape
    if s < 2 or T < 2 * s + 1:
        return np.zeros(N)
    valid = ~np.isnan(X)
    X0 = np.where(valid, X, 0.0)
    c = np.concatenate([np.zeros((1, N)), np.cumsum(X0, axis=0)])
    cv = np.concatenate([np.zeros((1, N)), np.cumsum(valid, axis=0)])
    if s % 2:
        half = s // 2
        tot = c[s:] - c[:-s]
        cnt = cv[s:] - cv[:-s]
        trend = np.full((T, N), np.nan)
        trend[half : T - half] = np.where(cnt == s, tot / s, np.nan)
    else:  # 2 x s moving average
        half = s // 2
        tot = c[s:] - c[:-s]
        cnt = cv[s:] - cv[:-s]
        ma1 = np.where(cnt == s, tot / s, np.nan)
        trend = np.full((T, N), np.nan)
        trend[half : T - half] = 0.5 * (ma1[:-1] + ma1[1:])
    detr = X - trend
    ok = ~np.isnan(detr)
    pos = (np.arange(T) - (T - 1)) % s  # position in the season, aligned at the last row
    seas = np.zeros((T, N))
    for k in range(s):
        rows = pos == k
        num = np.where(ok[rows], detr[rows], 0).sum(axis=0)
        den = ok[rows].sum(axis=0)
        seas[rows] = np.where(den > 0, num / np.maximum(den, 1), 0.0)
    seas -= np.nanmean(np.where(ok, seas, np.nan), axis=0) if ok.any() else 0.0
    R = np.where(ok, detr - seas, np.nan)
    SR = np.where(ok, detr, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), _quiet():
        vr = np.nanvar(R, axis=0)
        vsr = np.nanvar(SR, axis=0)
        strength = np.where(vsr > 0, 1 - vr / vsr, 0.0)
    enough = ok.sum(axis=0) >= 2 * s
    return np.where(enough, np.clip(np.nan_to_num(strength), 0, 1), 0.0)


def stl_seasonal_strength(X: np.ndarray, s: int, seasonal_window: int = 11) -> np.ndarray:
    """Strength of seasonality ``max(0, 1 - Var(R) / Var(S + R))`` from an STL decomposition, per column.

    The seasonal test of ``forecast::auto.arima`` and statsforecast's AutoARIMA (``nsdiffs``,
    ``test="seas"``): statsmodels' ``STL`` with a seasonal window of 11 cycles and local means
    (``seasonal_deg=0``), so the season may evolve (a weekly shape that scales with a shifted
    level stays seasonal, where :func:`seasonal_strength`'s fixed pattern calls it noise). One
    STL per column (about a millisecond for two years of days): for the per-series engine.
    Columns with fewer than two full seasons (after their leading NaN) get 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> week = np.tile([1.0, 1, 1, 1, 1, 0.4, 0.3], 40)
    >>> level = np.r_[np.full(140, 10.0), np.full(140, 25.0)]  # the shape scales with a level shift
    >>> X = np.c_[level * week * np.exp(rng.normal(0, 0.1, 280)), rng.normal(size=280)]
    >>> bool(stl_seasonal_strength(X, 7)[0] > 0.64 > stl_seasonal_strength(X, 7)[1])
    True
    """
    from statsmodels.tsa.seasonal import STL

    X = np.asarray(X, dtype=float)
    out = np.zeros(X.shape[1])
    if s < 2:
        return out
    for j in range(X.shape[1]):
        x = X[:, j]
        x = x[np.argmax(~np.isnan(x)) :] if (~np.isnan(x)).any() else x[:0]
        if x.size < 2 * s + 1 or np.isnan(x).any() or np.ptp(x) == 0:
            continue
        fit = STL(x, period=s, seasonal=seasonal_window, seasonal_deg=0).fit()
        rem, seas = np.asarray(fit.resid), np.asarray(fit.seasonal)
        vsr = np.var(rem + seas, ddof=1)
        if vsr > 0:
            out[j] = float(np.clip(1 - np.var(rem, ddof=1) / vsr, 0.0, 1.0))
    return out


class _quiet:
    def __enter__(self) -> None:
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._w.__exit__(*exc)


def choose_differencing(
    Y: np.ndarray, s: int, max_d: int = 1, max_D: int = 1, seasonal_threshold: float = 0.64, kpss_crit: float = 0.463,
    seasonal_test: str = "classical",
) -> tuple[np.ndarray, np.ndarray]:
    """Orders of differencing per column: ``D`` by seasonal strength, then ``d`` by repeated KPSS tests.

    This is the Hyndman–Khandakar rule of ``forecast::auto.arima`` (``nsdiffs`` with the
    seasonal-strength test, then ``ndiffs`` with KPSS at 5 % on the seasonally differenced series).
    ``seasonal_test``: ``"classical"`` (:func:`seasonal_strength`, vectorised; the batched engine)
    or ``"stl"`` (:func:`stl_seasonal_strength`, one STL per column, as auto.arima; the exact engine).
    """
    if seasonal_test not in ("classical", "stl"):
        raise ValueError(f"seasonal_test must be 'classical' or 'stl', got {seasonal_test!r}")
    N = Y.shape[1]
    D = np.zeros(N, dtype=int)
    if s > 1 and max_D > 0:
        strength = stl_seasonal_strength(Y, s) if seasonal_test == "stl" else seasonal_strength(Y, s)
        D = (strength > seasonal_threshold).astype(int)
    d = np.zeros(N, dtype=int)
    W = np.where(D[None, :] == 1, difference(Y, 0, 1, s), Y)
    for _ in range(max_d):
        stat = kpss_stat(W)
        more = stat > kpss_crit
        if not more.any():
            break
        d = d + more
        W = np.where(more[None, :], difference(W, 1, 0, s), W)
    return d, D


def aicc(sse: np.ndarray, n: np.ndarray, k: int) -> np.ndarray:
    """AICc of a Gaussian model with residual sum of squares ``sse`` over ``n`` terms and ``k`` parameters + variance."""
    kk = k + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = -0.5 * n * (np.log(2 * np.pi * sse / n) + 1)
        out = -2 * ll + 2 * kk + 2 * kk * (kk + 1) / np.maximum(n - kk - 1, 1)
    return np.where(np.isfinite(out) & (sse > 0) & (n > kk + 1), out, np.inf)


def is_stable(poly: np.ndarray, margin: float = 1e-3) -> np.ndarray:
    """Whether every root of each polynomial row lies outside the unit circle (by ``margin``)."""
    n, L = poly.shape
    nz = np.flatnonzero(np.any(poly != 0, axis=0))
    deg = int(nz.max()) if nz.size else 0
    if deg == 0:
        return np.ones(n, dtype=bool)
    # companion matrix of z^deg + c1 z^(deg-1) + ... : roots are inverse roots of poly(B)
    comp = np.zeros((n, deg, deg))
    comp[:, 0, :] = -poly[:, 1 : deg + 1]
    comp[:, np.arange(1, deg), np.arange(deg - 1)] = 1.0
    finite = np.isfinite(comp).all(axis=(1, 2))
    comp[~finite] = 0.0
    eig = np.linalg.eigvals(comp)
    return finite & (np.abs(eig).max(axis=1) < 1 - margin)


def _stable_small(coef: np.ndarray, sign: float, margin: float) -> np.ndarray:
    """Stability of ``1 + sign * sum coef_i B^i`` for degree <= 2 in closed form, else by companion eigenvalues."""
    n, k = coef.shape
    if k == 0:
        return np.ones(n, dtype=bool)
    a = -sign * coef  # as an AR polynomial 1 - a_1 B - a_2 B^2
    with np.errstate(invalid="ignore"):
        if k == 1:
            return np.abs(a[:, 0]) < 1 - margin
        if k == 2:
            a1, a2 = a[:, 0], a[:, 1]
            return (a1 + a2 < 1 - margin) & (a2 - a1 < 1 - margin) & (np.abs(a2) < 1 - margin)
    return is_stable(np.concatenate([np.ones((n, 1)), sign * coef], axis=1), margin)


def stable_factors(lo: np.ndarray, seas: np.ndarray, sign: float, margin: float = 1e-3) -> np.ndarray:
    """Stability of ``(1 + sign sum lo_i B^i)(1 + sign sum seas_j B^{sj})``, factor by factor.

    ``sign = -1`` for AR polynomials (stationarity), ``+1`` for MA polynomials (invertibility).
    The roots of a seasonal factor in ``B^s`` lie outside the unit circle exactly when
    those of the same polynomial in ``B`` do, so no companion matrix of degree ``s`` is needed.
    """
    finite = np.isfinite(lo).all(axis=1) & np.isfinite(seas).all(axis=1)
    return finite & _stable_small(np.nan_to_num(lo), sign, margin) & _stable_small(np.nan_to_num(seas), sign, margin)


def interval_z(level: float) -> float:
    """Two-sided normal quantile for a ``level`` % interval (95 → 1.96)."""
    return float(stats.norm.ppf(0.5 + level / 200.0))
