"""Consumption features from daily meter reads (and the region's temperature).

The reads of a block of customers are laid out as a dense matrix, one row per
customer and one column per day before ``as_of`` (column 0 is the day before
``as_of``, column ``k`` the day ``k + 1`` days before it; a missing or failed
read is NaN). Every look-back window is then a slice of columns, and every
feature a vectorised reduction along the rows. Blocks keep the matrix small
(a few million cells) whatever the number of customers, so memory stays flat.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridcrm.features._common import DAY_NS, is_sorted, ns, ratio

__all__ = ["consumption_features", "consumption_feature_names", "HEATING_BASE_C", "COOLING_BASE_C"]

logger = logging.getLogger(__name__)

#: Degree-day base temperatures of the heating and cooling slopes.
HEATING_BASE_C: float = 18.0
COOLING_BASE_C: float = 22.0
#: Days with heating (cooling) degrees needed to estimate the heating (cooling) slope.
MIN_DEGREE_DAYS: int = 14
#: Reads needed in the last 365 days for the trend slope.
MIN_TREND_READS: int = 60
#: Months with at least MIN_READS_PER_MONTH reads needed for seasonality and peak month.
MIN_MONTHS: int = 9
MIN_READS_PER_MONTH: int = 10
#: Reads needed in each of the two years of the year-on-year growth.
MIN_YOY_READS: int = 183
_YEAR = 365
_DAYS_PER_YEAR = 365.25
#: Months before the last one that ``kwh_last_month_ratio`` compares it with.
_SHOCK_MONTHS = 6


def consumption_feature_names(windows: Sequence[int]) -> list[str]:
    """Names of the columns :func:`consumption_features` returns, in order."""
    names = [f"kwh_{stat}_{w}d" for w in windows for stat in ("mean", "median", "total")]
    return names + [
        "kwh_yoy_growth",
        "kwh_trend_slope",
        "kwh_cv_90d",
        "weekday_weekend_ratio",
        "zero_day_share_365d",
        "gap_day_share_365d",
        "seasonality_strength",
        "peak_month",
        "heating_slope",
        "cooling_slope",
        "heating_sensitivity",
        "cooling_sensitivity",
        "daily_capacity_utilisation",
        "kwh_last_month_ratio",
    ]


def consumption_features(
    meter_daily: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: pd.Timestamp,
    windows: Sequence[int] = (30, 90, 365),
    weather: pd.DataFrame | None = None,
    block_cells: int = 500_000,
) -> dict[str, np.ndarray]:
    """Consumption features of ``customers`` at ``as_of``, one array per feature.

    Parameters
    ----------
    meter_daily : DataFrame
        ``customer_id``, ``date``, ``kwh``; ideally sorted by ``customer_id`` (a validated
        table is), otherwise a sorted copy is made.
    customers : DataFrame
        The customers to describe, sorted by ``customer_id``, with ``region``,
        ``connected_on`` and ``contracted_kva``.
    as_of : Timestamp
        Midnight; only reads dated before it are used.
    windows : sequence of int
        Windows of the level features (mean, median, total), in days.
    weather : DataFrame, optional
        ``region``, ``date``, ``temp_c``; without it the temperature slopes are NaN.
    block_cells : int
        Customers are processed in blocks of about this many (customer, day) cells: small
        blocks keep the temporaries in the allocator's reused memory (fewer page faults).

    Returns
    -------
    dict of str to ndarray
        Keyed by :func:`consumption_feature_names`, each of length ``len(customers)``.

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({"customer_id": [1], "region": ["r"], "contracted_kva": [8.0],
    ...                           "connected_on": pd.to_datetime(["2020-01-01"])})
    >>> meter = pd.DataFrame({"customer_id": 1, "date": pd.date_range("2024-01-01", periods=7),
    ...                       "kwh": [4.0, 5.0, 6.0, 7.0, 8.0, 0.0, 12.0]})
    >>> f = consumption_features(meter, customers, pd.Timestamp("2024-01-08"), windows=(7,))
    >>> float(f["kwh_mean_7d"][0]), float(f["kwh_median_7d"][0]), round(float(f["zero_day_share_365d"][0]), 3)
    (6.0, 6.0, 0.143)

    ``kwh_last_month_ratio`` compares the mean daily kWh of the calendar month of the day before
    ``as_of`` with that of the six months before it: on the first of a month, the month the
    next bill will cover (a bill shock in the making).

    >>> meter = pd.DataFrame({"customer_id": 1, "date": pd.date_range("2023-12-01", "2024-01-31"),
    ...                       "kwh": [5.0] * 31 + [8.0] * 31})
    >>> float(consumption_features(meter, customers, pd.Timestamp("2024-02-01"))["kwh_last_month_ratio"][0])
    1.6
    """
    ids = customers["customer_id"].to_numpy()
    n = len(ids)
    span = max(2 * _YEAR, *windows)
    out = {name: np.full(n, np.nan) for name in consumption_feature_names(windows)}
    if n == 0:
        return out

    cid = meter_daily["customer_id"].to_numpy()
    if not is_sorted(cid):
        logger.info("meter_daily is not sorted by customer_id: sorting a copy")
        meter_daily = meter_daily.sort_values(["customer_id", "date"], kind="stable")
        cid = meter_daily["customer_id"].to_numpy()
    date_ns = ns(meter_daily["date"])
    kwh = meter_daily["kwh"].to_numpy(dtype=np.float64)

    calendar = _Calendar(as_of, span)
    temps = _temperature_rows(weather, customers["region"], as_of)
    tenure_days = ((as_of.value - ns(customers["connected_on"])) // DAY_NS).astype(np.int64)
    kva = customers["contracted_kva"].to_numpy(dtype=np.float64)

    starts = np.searchsorted(cid, ids, side="left")
    ends = np.searchsorted(cid, ids, side="right")
    block = max(1, block_cells // span)
    for a in range(0, n, block):
        b = min(n, a + block)
        matrix = _read_matrix(date_ns, kwh, starts[a:b], ends[a:b], as_of, span)
        values = _block_features(matrix, calendar, windows, temps[a:b] if temps is not None else None,
                                 tenure_days[a:b], kva[a:b])
        for name, col in values.items():
            out[name][a:b] = col
    return out


class _Calendar:
    """Day-of-week and month of each matrix column."""

    def __init__(self, as_of: pd.Timestamp, span: int) -> None:
        days = as_of.value - DAY_NS * np.arange(1, span + 1, dtype=np.int64)
        dates = pd.DatetimeIndex(days.astype("datetime64[ns]"))
        self.weekend = np.asarray(dates.day_of_week >= 5)
        self.month = np.asarray(dates.month, dtype=np.int64)
        # the last 365 days are runs of days of one calendar month (the month of as_of may come twice)
        month = self.month[:_YEAR]
        self.run_starts = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
        self.run_onehot = np.zeros((len(self.run_starts), 12))
        self.run_onehot[np.arange(len(self.run_starts)), month[self.run_starts] - 1] = 1.0
        # time of each of the last 365 days, in years, relative to as_of
        self.t_years = -np.arange(1, _YEAR + 1, dtype=np.float64) / _DAYS_PER_YEAR
        self.dates = dates
        # columns of the calendar month of the day before as_of (up to as_of), and of the six months before it
        month_start = (as_of - pd.Timedelta(days=1)).to_period("M").to_timestamp()
        self.last_month = (as_of - month_start).days
        self.six_months_before = (as_of - (month_start - pd.DateOffset(months=_SHOCK_MONTHS))).days


def _temperature_rows(weather: pd.DataFrame | None, regions: pd.Series, as_of: pd.Timestamp) -> np.ndarray | None:
    """Temperature of each customer's region on each of the last 365 days (NaN where unknown)."""
    if weather is None or weather.empty:
        return None
    age = (as_of.value - ns(weather["date"])) // DAY_NS
    keep = (age >= 1) & (age <= _YEAR)
    w = weather.loc[keep]
    age = age[keep]
    codes, names = pd.factorize(w["region"])
    table = np.full((len(names) + 1, _YEAR), np.nan)  # last row: region without weather
    named = codes >= 0
    table[codes[named], age[named] - 1] = w["temp_c"].to_numpy(dtype=np.float64, na_value=np.nan)[named]
    pos = names.get_indexer(regions)
    return table[np.where(pos >= 0, pos, len(names))]


def _read_matrix(date_ns: np.ndarray, kwh: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 as_of: pd.Timestamp, span: int) -> np.ndarray:
    """Daily kWh of a block of customers (rows) on each of the ``span`` days before ``as_of`` (columns).

    The reads of block customer ``i`` are rows ``starts[i]:ends[i]`` of the sorted table.
    """
    lengths = ends - starts
    matrix = np.full((len(starts), span), np.nan)
    if lengths.sum() == 0:
        return matrix
    local = np.repeat(np.arange(len(starts)), lengths)
    if np.array_equal(starts[1:], ends[:-1]):  # no other customer's rows in between: one slice
        dates, values = date_ns[starts[0]:ends[-1]], kwh[starts[0]:ends[-1]]
    else:
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        rows = np.arange(len(local)) + offsets
        dates, values = date_ns[rows], kwh[rows]
    column = (as_of.value - dates) // DAY_NS - 1
    flat = local * span + column
    ok = (column >= 0) & (column < span)
    if not ok.all():
        flat, values = flat[ok], values[ok]
    matrix.ravel()[flat] = values  # flat indices: much faster than matrix[rows, cols]
    return matrix


def _median(values: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Row medians of ``values`` whose row ``i`` holds ``n[i]`` numbers and NaNs."""
    s = np.sort(values, axis=1)  # NaN sort last
    lo = np.maximum((n - 1) // 2, 0)[:, None]
    hi = np.where(n % 2 == 0, n // 2, lo[:, 0])[:, None]
    med = (np.take_along_axis(s, lo, axis=1) + np.take_along_axis(s, hi, axis=1))[:, 0] / 2
    med[n == 0] = np.nan
    return med


def _block_features(m: np.ndarray, cal: _Calendar, windows: Sequence[int], temps: np.ndarray | None,
                    tenure_days: np.ndarray, kva: np.ndarray) -> dict[str, np.ndarray]:
    valid = ~np.isnan(m)
    z = np.where(valid, m, 0.0)
    out: dict[str, np.ndarray] = {}
    for w in windows:
        n = valid[:, :w].sum(axis=1)
        tot = z[:, :w].sum(axis=1)
        out[f"kwh_mean_{w}d"] = ratio(tot, n)
        out[f"kwh_median_{w}d"] = _median(m[:, :w], n)
        out[f"kwh_total_{w}d"] = np.where(n > 0, tot, np.nan)

    v1, z1 = valid[:, :_YEAR], z[:, :_YEAR]
    n1 = v1.sum(axis=1)
    mean1 = ratio(z1.sum(axis=1), n1)
    n2 = valid[:, _YEAR:2 * _YEAR].sum(axis=1)
    mean2 = ratio(z[:, _YEAR:2 * _YEAR].sum(axis=1), n2)
    yoy = ratio(mean1, mean2) - 1
    yoy[(n1 < MIN_YOY_READS) | (n2 < MIN_YOY_READS) | (tenure_days < 2 * _YEAR)] = np.nan
    out["kwh_yoy_growth"] = yoy

    out["kwh_trend_slope"] = _trend(v1, z1, n1, mean1, cal.t_years)

    v90, z90 = valid[:, :90], z[:, :90]
    n90 = v90.sum(axis=1)
    mean90 = ratio(z90.sum(axis=1), n90)
    dev = np.where(v90, m[:, :90] - mean90[:, None], 0.0)
    std90 = np.sqrt(ratio((dev * dev).sum(axis=1), n90))
    out["kwh_cv_90d"] = ratio(std90, mean90)
    weekend = cal.weekend[:90]
    mean_wd = ratio(z90[:, ~weekend].sum(axis=1), v90[:, ~weekend].sum(axis=1))
    mean_we = ratio(z90[:, weekend].sum(axis=1), v90[:, weekend].sum(axis=1))
    out["weekday_weekend_ratio"] = ratio(mean_wd, mean_we)

    out["zero_day_share_365d"] = ratio((v1 & (z1 == 0)).sum(axis=1), n1)
    since = np.clip(tenure_days, 0, _YEAR)
    after_connection = np.arange(_YEAR)[None, :] < since[:, None]
    reads_since = (v1 & after_connection).sum(axis=1)
    gap = ratio(since - reads_since, since)
    gap[n1 == 0] = np.nan
    out["gap_day_share_365d"] = gap

    strength, peak = _seasonality(m[:, :_YEAR], v1, z1, mean1, cal)
    out["seasonality_strength"] = strength
    out["peak_month"] = peak
    if temps is not None:
        base, heat, cool = _temperature_slopes(v1, z1, temps)
    else:
        base = heat = cool = np.full(len(m), np.nan)
    positive = np.where(base > 0, base, np.nan)
    out["heating_slope"], out["cooling_slope"] = heat, cool
    out["heating_sensitivity"], out["cooling_sensitivity"] = heat / positive, cool / positive
    peak_day = np.where(v1, m[:, :_YEAR], -np.inf).max(axis=1, initial=-np.inf)
    out["daily_capacity_utilisation"] = np.where(n1 > 0, ratio(peak_day, 24.0 * kva), np.nan)
    last, before = slice(0, cal.last_month), slice(cal.last_month, cal.six_months_before)
    out["kwh_last_month_ratio"] = ratio(ratio(z[:, last].sum(axis=1), valid[:, last].sum(axis=1)),
                                        ratio(z[:, before].sum(axis=1), valid[:, before].sum(axis=1)))
    return out


def _trend(v: np.ndarray, z: np.ndarray, n: np.ndarray, mean: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Least-squares slope of kWh on time (per year), over the mean: share of the level per year."""
    vf = v.astype(np.float64)
    st = vf @ t
    stt = vf @ (t * t)
    sy = z.sum(axis=1)
    sty = z @ t
    slope = ratio(n * sty - st * sy, n * stt - st * st)
    rel = ratio(slope, mean)
    rel[n < MIN_TREND_READS] = np.nan
    return rel


def _seasonality(m: np.ndarray, v: np.ndarray, z: np.ndarray, mean: np.ndarray,
                 cal: _Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Share of variance explained by the calendar month, and the month of highest mean use."""
    month_n = np.add.reduceat(v.astype(np.float64), cal.run_starts, axis=1) @ cal.run_onehot
    month_mean = ratio(np.add.reduceat(z, cal.run_starts, axis=1) @ cal.run_onehot, month_n)
    between = np.nansum(month_n * (month_mean - mean[:, None]) ** 2, axis=1)
    dev = np.where(v, m - mean[:, None], 0.0)
    total_ss = (dev * dev).sum(axis=1)
    strength = ratio(between, total_ss)
    enough = month_n >= MIN_READS_PER_MONTH
    peak = np.where(enough, month_mean, -np.inf).argmax(axis=1) + 1.0
    few = enough.sum(axis=1) < MIN_MONTHS
    strength[few] = np.nan
    peak[few] = np.nan
    return strength, peak


def _temperature_slopes(v: np.ndarray, z: np.ndarray,
                        temps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Temperature-neutral kWh/day and kWh/day per heating and per cooling degree.

    Per-customer least squares of ``kwh = a + b_h * max(18 - T, 0) + b_c * max(T - 22, 0)``;
    a slope whose days are too few (fewer than ``MIN_DEGREE_DAYS``) or whose degrees do
    not vary is left out of the fit and reported NaN. Returns ``a``, ``b_h``, ``b_c``.
    """
    known = v & ~np.isnan(temps)
    k = known.astype(np.float64)
    t = np.where(known, temps, 0.0)
    h = np.maximum(HEATING_BASE_C - t, 0.0) * k
    c = np.maximum(t - COOLING_BASE_C, 0.0) * k
    y = np.where(known, z, 0.0)
    regs = (k, h, c)
    a = np.empty((len(v), 3, 3))
    rhs = np.empty((len(v), 3))
    for i, ri in enumerate(regs):
        rhs[:, i] = (ri * y).sum(axis=1)
        for j in range(i, 3):
            a[:, i, j] = a[:, j, i] = (ri * regs[j]).sum(axis=1)
    n = a[:, 0, 0]
    # enough degree days, and degrees that vary (a slope needs more than one temperature)
    ok_h = ((h > 0).sum(axis=1) >= MIN_DEGREE_DAYS) & (ratio(a[:, 1, 1], n) - ratio(a[:, 0, 1], n) ** 2 > 0.01)
    ok_c = ((c > 0).sum(axis=1) >= MIN_DEGREE_DAYS) & (ratio(a[:, 2, 2], n) - ratio(a[:, 0, 2], n) ** 2 > 0.01)
    for idx, ok in ((1, ok_h), (2, ok_c)):  # drop a slope without enough days from the fit
        a[~ok, idx, :] = 0.0
        a[~ok, :, idx] = 0.0
        a[~ok, idx, idx] = 1.0
        rhs[~ok, idx] = 0.0
    fit = ok_h | ok_c
    coef = np.full((len(v), 3), np.nan)
    if fit.any():
        a, rhs = a[fit], rhs[fit]
        # a relative ridge of 1e-10 keeps near-degenerate systems solvable
        a += 1e-10 * np.einsum("kii->ki", a)[:, :, None] * np.eye(3)
        coef[fit] = np.linalg.solve(a, rhs[:, :, None])[:, :, 0]
    return coef[:, 0], np.where(ok_h, coef[:, 1], np.nan), np.where(ok_c, coef[:, 2], np.nan)
