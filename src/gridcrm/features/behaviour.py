"""Behaviour features from daily meter reads: what kind of home or business a customer is.

The level and the weather response of a customer are already in the consumption
family (``kwh_mean_365d``, ``heating_sensitivity``, ...). These add what tells
behaviour groups of one class apart, all over the last 365 days before ``as_of``:

* ``baseload_kwh`` — the temperature-neutral daily kWh (the intercept of the
  degree-day regression of :mod:`gridcrm.features.consumption`): the level
  without the heating or cooling;
* ``winter_summer_ratio`` — mean daily kWh in December–February over June–August:
  electric heating is a winter peak, air conditioning a summer one;
* ``weekend_ratio_365d`` — mean weekend over mean weekday kWh (a second home or a
  shop is a weekend customer, an office or a one-shift plant a weekday one);
* ``vacancy_days_max_365d`` — the longest run of days below a fifth of the
  customer's median daily kWh (an empty second home, a closed season);
* ``day_to_day_variability_365d`` — the median absolute change of ln(kWh) from one
  day to the next: how regular the use is, whatever its level and season.

Reads are laid out as a (customers × days) matrix in blocks, as in the
consumption family; everything is a vectorised reduction along the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.features._common import DAY_NS, is_sorted, ns, ratio
from gridcrm.features.consumption import _median, _read_matrix, _temperature_rows, _temperature_slopes

__all__ = ["behaviour_features", "BEHAVIOUR_FEATURE_NAMES", "VACANCY_SHARE", "MIN_SEASON_READS"]

BEHAVIOUR_FEATURE_NAMES: tuple[str, ...] = (
    "baseload_kwh",
    "winter_summer_ratio",
    "weekend_ratio_365d",
    "vacancy_days_max_365d",
    "day_to_day_variability_365d",
)
#: A day is "vacant" below this share of the customer's median daily kWh.
VACANCY_SHARE: float = 0.2
#: Reads needed in each of winter and summer for ``winter_summer_ratio``.
MIN_SEASON_READS: int = 30
#: Reads needed in the last 365 days for the other behaviour features.
MIN_READS: int = 60
_YEAR = 365
_WINTER = (12, 1, 2)
_SUMMER = (6, 7, 8)
_EPS_KWH = 0.05  # below this a day's kWh is "nothing": ln-changes are taken of kWh + this


def behaviour_features(
    meter_daily: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: pd.Timestamp,
    weather: pd.DataFrame | None = None,
    block_cells: int = 500_000,
) -> dict[str, np.ndarray]:
    """Behaviour features of ``customers`` at ``as_of``, one array per feature.

    Parameters
    ----------
    meter_daily : DataFrame
        ``customer_id``, ``date``, ``kwh`` (sorted by ``customer_id`` ideally).
    customers : DataFrame
        The customers to describe, sorted by ``customer_id``, with ``region``.
    as_of : Timestamp
        Midnight; only reads dated before it are used.
    weather : DataFrame, optional
        ``region``, ``date``, ``temp_c``; without it ``baseload_kwh`` is NaN.
    block_cells : int
        About this many (customer, day) cells are processed at a time.

    Returns
    -------
    dict of str to ndarray
        Keyed by :data:`BEHAVIOUR_FEATURE_NAMES`, each of length ``len(customers)``;
        NaN with fewer than 60 reads in the last 365 days (or 30 in winter and in
        summer for the ratio).

    Examples
    --------
    A customer who uses 2 kWh on weekdays and 4 kWh at weekends, and is away
    (0 kWh) for five weeks of the summer:

    >>> import numpy as np, pandas as pd
    >>> days = pd.date_range("2023-01-01", "2023-12-31")
    >>> kwh = np.where(days.day_of_week >= 5, 4.0, 2.0)
    >>> kwh[(days >= "2023-07-03") & (days < "2023-08-07")] = 0.0
    >>> meter = pd.DataFrame({"customer_id": 1, "date": days, "kwh": kwh})
    >>> customers = pd.DataFrame({"customer_id": [1], "region": ["r"]})
    >>> f = behaviour_features(meter, customers, pd.Timestamp("2024-01-01"))
    >>> float(f["vacancy_days_max_365d"][0]), round(float(f["weekend_ratio_365d"][0]), 2)
    (35.0, 2.0)
    >>> round(float(f["winter_summer_ratio"][0]), 2)
    1.64
    """
    ids = customers["customer_id"].to_numpy()
    n = len(ids)
    out = {name: np.full(n, np.nan) for name in BEHAVIOUR_FEATURE_NAMES}
    if n == 0:
        return out
    cid = meter_daily["customer_id"].to_numpy()
    if not is_sorted(cid):
        meter_daily = meter_daily.sort_values(["customer_id", "date"], kind="stable")
        cid = meter_daily["customer_id"].to_numpy()
    date_ns = ns(meter_daily["date"])
    kwh = meter_daily["kwh"].to_numpy(dtype=np.float64)
    temps = _temperature_rows(weather, customers["region"], as_of)
    days = pd.DatetimeIndex((as_of.value - DAY_NS * np.arange(1, _YEAR + 1, dtype=np.int64)).astype("datetime64[ns]"))
    calendar = {
        "weekend": np.asarray(days.day_of_week >= 5),
        "winter": np.asarray(days.month.isin(_WINTER)),
        "summer": np.asarray(days.month.isin(_SUMMER)),
    }
    starts = np.searchsorted(cid, ids, side="left")
    ends = np.searchsorted(cid, ids, side="right")
    block = max(1, block_cells // _YEAR)
    for a in range(0, n, block):
        b = min(n, a + block)
        m = _read_matrix(date_ns, kwh, starts[a:b], ends[a:b], as_of, _YEAR)
        values = _block(m, calendar, temps[a:b] if temps is not None else None)
        for name, col in values.items():
            out[name][a:b] = col
    return out


def _mean(z: np.ndarray, v: np.ndarray, columns: np.ndarray, min_reads: int = 1) -> np.ndarray:
    n = v[:, columns].sum(axis=1)
    mean = ratio(z[:, columns].sum(axis=1), n)
    mean[n < min_reads] = np.nan
    return mean


def _block(m: np.ndarray, cal: dict[str, np.ndarray], temps: np.ndarray | None) -> dict[str, np.ndarray]:
    v = ~np.isnan(m)
    z = np.where(v, m, 0.0)
    n = v.sum(axis=1)
    few = n < MIN_READS
    out: dict[str, np.ndarray] = {}
    if temps is not None:
        base = _temperature_slopes(v, z, temps)[0]
    else:
        base = np.full(len(m), np.nan)
    out["baseload_kwh"] = np.where(few, np.nan, base)
    out["winter_summer_ratio"] = ratio(_mean(z, v, cal["winter"], MIN_SEASON_READS),
                                       _mean(z, v, cal["summer"], MIN_SEASON_READS))
    weekend = ratio(_mean(z, v, cal["weekend"]), _mean(z, v, ~cal["weekend"]))
    out["weekend_ratio_365d"] = np.where(few, np.nan, weekend)
    out["vacancy_days_max_365d"] = np.where(few, np.nan, _longest_low_run(m, v))
    # day-to-day change of ln(kWh): consecutive pairs of reads only (columns run back in time)
    lz = np.log(np.where(v, np.maximum(m, 0.0), 0.0) + _EPS_KWH)
    both = v[:, 1:] & v[:, :-1]
    step = np.where(both, np.abs(lz[:, 1:] - lz[:, :-1]), np.nan)
    pairs = both.sum(axis=1)
    out["day_to_day_variability_365d"] = np.where(few | (pairs == 0), np.nan, _median(step, pairs))
    return out


def _longest_low_run(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Longest run of consecutive days below ``VACANCY_SHARE`` × the row's median (missing days break no run)."""
    median = _median(m, v.sum(axis=1))
    low = v & (m < VACANCY_SHARE * median[:, None])
    # a missing day continues the run it sits in (a meter gap inside a vacancy): carry the last state over
    state = np.where(v, low.astype(np.int8), -1)
    carried = _forward_fill(state)
    run = carried == 1
    # longest run of True per row: cumulative count reset at each False
    width = run.shape[1]
    idx = np.arange(width)
    last_false = np.maximum.accumulate(np.where(~run, idx[None, :], -1), axis=1)
    length = idx[None, :] - last_false
    return np.where(run, length, 0).max(axis=1, initial=0).astype(np.float64)


def _forward_fill(state: np.ndarray) -> np.ndarray:
    """Replace -1 by the last value that is not -1 in the row (0 before any)."""
    width = state.shape[1]
    idx = np.where(state >= 0, np.arange(width)[None, :], -1)
    np.maximum.accumulate(idx, axis=1, out=idx)
    filled = np.take_along_axis(state, np.maximum(idx, 0), axis=1)
    return np.where(idx >= 0, filled, 0)
