"""Per-customer anomaly signals at ``as_of``: :func:`anomaly_signals`.

Every signal is computed from rows dated before ``as_of`` only, vectorised over
customers (a dense customers × days matrix of the last :data:`HISTORY_DAYS`
days of daily reads; 100,000 customers × 2 years is about 300 MB in float32).
Each is a feature of :data:`gridcrm.features.registry.ANOMALY_SIGNALS` with its
description, unit and meaning of NaN.

How the level shift is found (not with a fixed threshold): the weekly mean kWh
of each customer is divided by the median weekly profile of its peers (same
class and region, each peer scaled to its own median), so that seasons,
holidays and weather that move the whole peer group cancel. The log of that
ratio is regressed on an annual harmonic (the customer's own seasonal pattern:
more or less heating than its peers, gas heating, a summer business) and a step
from week ``j``; the most negative t-value of the step over ``j`` (in units of
the customer's own robust week-to-week noise) is the change point
(:func:`_harmonic_change_point`; a plain mean-shift test reads a seasonal
pattern unlike the peers' as a level shift).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from gridcrm.data.dataset import Dataset
from gridcrm.features._common import DAY_NS, active_customers, check_as_of, ns, parse_as_of, positions
from gridcrm.features.registry import ANOMALY_SIGNALS

__all__ = ["anomaly_signals", "SIGNAL_NAMES", "HISTORY_DAYS", "daily_matrix", "weekly_levels"]

logger = logging.getLogger(__name__)

#: Days of daily reads the signals look back (104 weeks).
HISTORY_DAYS: int = 728
#: Names of the signals, in the order of the table :func:`anomaly_signals` returns.
SIGNAL_NAMES: tuple[str, ...] = tuple(ANOMALY_SIGNALS)
_RECENT = 90
_MIN_BEFORE_WEEKS = 13
_MIN_AFTER_WEEKS = 3
_CHUNK = 1 << 23


def daily_matrix(meter: pd.DataFrame, ids: np.ndarray, as_of: pd.Timestamp, days: int = HISTORY_DAYS) -> np.ndarray:
    """Daily kWh of ``ids`` (sorted) over the ``days`` days before ``as_of``, shape (len(ids), days), NaN if unread.

    Examples
    --------
    >>> meter = pd.DataFrame({"customer_id": [7, 7, 9], "kwh": [1.0, 2.0, 3.0],
    ...                       "date": pd.to_datetime(["2024-01-29", "2024-01-31", "2024-01-30"])})
    >>> daily_matrix(meter, np.array([7, 9]), pd.Timestamp("2024-02-01"), days=3)
    array([[ 1., nan,  2.],
           [nan,  3., nan]], dtype=float32)
    """
    out = np.full((len(ids), days), np.nan, dtype=np.float32)
    if len(ids) == 0 or len(meter) == 0:
        return out
    start = as_of.value - days * DAY_NS
    dates = meter["date"].to_numpy()
    if dates.dtype != np.dtype("datetime64[ns]"):
        dates = dates.astype("datetime64[ns]")
    t_all = dates.view("int64")
    cid_all = meter["customer_id"].to_numpy()
    kwh_all = meter["kwh"].to_numpy()
    lo, hi = int(ids[0]), int(ids[-1])
    dense = hi - lo < 8 * len(ids) + 1_000_000  # ids compact enough for a lookup table
    if dense:
        lut = np.full(hi - lo + 1, -1, dtype=np.int64)
        lut[ids - lo] = np.arange(len(ids))
    for a in range(0, len(t_all), _CHUNK):  # chunks keep the temporaries small at 100,000 customers × 2 years
        t = t_all[a : a + _CHUNK]
        keep = (t >= start) & (t < as_of.value)
        if not keep.any():
            continue
        cid = cid_all[a : a + _CHUNK][keep]
        if dense:
            inside = (cid >= lo) & (cid <= hi)
            pos = np.full(len(cid), -1, dtype=np.int64)
            pos[inside] = lut[cid[inside] - lo]
        else:
            pos = positions(ids, cid)
        ok = pos >= 0
        col = (t[keep][ok] - start) // DAY_NS
        out[pos[ok], col] = kwh_all[a : a + _CHUNK][keep][ok]
    return out


def weekly_levels(daily: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean kWh/day of each week (ending on the last day) and the number of reads in it.

    Weeks without a read are NaN.
    """
    n, days = daily.shape
    weeks = days // 7
    block = daily[:, days - 7 * weeks :].reshape(n, weeks, 7)
    have = ~np.isnan(block)
    cnt = have.sum(axis=2)
    tot = np.where(have, block, 0.0).sum(axis=2, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
    return mean, cnt


def _nanmedian_rows(x: np.ndarray) -> np.ndarray:
    out = np.full(x.shape[0], np.nan)
    some = ~np.all(np.isnan(x), axis=1)
    if some.any():
        out[some] = np.nanmedian(x[some], axis=1)
    return out


def _group_median(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Column-wise median of the rows of each group, broadcast back to the rows (NaN skipped)."""
    frame = pd.DataFrame(values)
    med = frame.groupby(group, sort=False).median()
    return med.reindex(group).to_numpy()


def _harmonic_change_point(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Most negative level-shift statistic of each row of ``r`` beside an annual harmonic: (z, week, shift, resid).

    Each row (weeks; NaN filled with the row mean) is regressed on a constant, ``cos`` and ``sin`` of the
    week over 52.18 weeks and a step from week ``j``; the statistic is the step's t-value
    ``(s̃_j · r̃) / (|s̃_j| σ)`` with ``r̃``, ``s̃_j`` residualised on the harmonic (one shared projection, so
    all customers and candidate weeks are two matrix products) and ``σ`` the customer's robust
    week-to-week noise of ``r̃``. The harmonic takes up a customer's own seasonal pattern (more or
    less heating than its peers, gas heating, a summer business) that a plain mean-shift test reads as
    a level shift. ``resid`` is ``r`` less the fitted harmonic (NaN where ``r`` is), for the size and
    persistence of the drop. ``week`` is the first week after the change (-1 if none was possible).
    """
    parts = [_harmonic_chunk(r[a : a + _REGIME_CHUNK]) for a in range(0, max(len(r), 1), _REGIME_CHUNK)]
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))  # type: ignore[return-value]


def _harmonic_chunk(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n, k = r.shape
    have = ~np.isnan(r)
    cnt = have.sum(axis=1)
    mu = _share(np.where(have, r, 0.0).sum(axis=1), cnt.astype(float))
    x = np.where(have, r, np.nan_to_num(mu)[:, None])
    w = np.arange(k)
    basis = np.column_stack([np.ones(k), np.cos(2 * np.pi * w / 52.18), np.sin(2 * np.pi * w / 52.18)])
    proj = basis @ np.linalg.pinv(basis)
    resid_all = x - x @ proj.T  # r less its least-squares harmonic (M symmetric)
    first = np.arange(1, k)  # candidate first weeks after the change
    steps = (w[:, None] >= first[None, :]).astype(float)
    st = steps - proj @ steps
    den = (st * st).sum(axis=0)
    num = resid_all @ st
    m = np.cumsum(have, axis=1)
    n1 = m[:, first - 1]
    n2 = cnt[:, None] - n1
    valid = (n1 >= _MIN_BEFORE_WEEKS) & (n2 >= _MIN_AFTER_WEEKS) & (den > 1e-9)[None, :]
    d = np.diff(np.where(have, resid_all, np.nan), axis=1)
    sigma = np.full(n, np.nan)
    some = (~np.isnan(d)).sum(axis=1) >= 2
    if some.any():
        sigma[some] = np.nanmedian(np.abs(d[some] - np.nanmedian(d[some], axis=1)[:, None]), axis=1) * 1.4826 / np.sqrt(2)
    sigma = np.maximum(np.nan_to_num(sigma, nan=1.0), 0.02)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = np.where(valid, num / np.sqrt(np.maximum(den, 1e-12))[None, :], np.inf)
    j = np.argmin(stat, axis=1)
    rows = np.arange(n)
    best = stat[rows, j]
    found = np.isfinite(best)
    z = np.where(found, best / sigma, np.nan)
    shift = np.where(found, num[rows, j] / den[j], np.nan)
    week = np.where(found, first[j], -1)
    # the harmonic fitted jointly with the step, removed from r
    if found.any():
        coef_h = (x - shift[:, None] * steps[:, j].T) @ np.linalg.pinv(basis).T
        fitted = coef_h @ basis.T
        resid = np.where(found[:, None], r - fitted + coef_h[:, :1], r)
    else:
        resid = r.copy()
    return z, week, shift, np.where(have, resid, np.nan)


def _longest_run(flag: np.ndarray) -> np.ndarray:
    run = np.zeros(flag.shape[0], dtype=np.int64)
    best = np.zeros(flag.shape[0], dtype=np.int64)
    for col in range(flag.shape[1]):
        run = np.where(flag[:, col], run + 1, 0)
        np.maximum(best, run, out=best)
    return best


def _cv(x: np.ndarray) -> np.ndarray:
    """Coefficient of variation of each row (NaN skipped; NaN with fewer than 2 values or a zero mean)."""
    have = ~np.isnan(x)
    cnt = have.sum(axis=1)
    x0 = np.where(have, x, 0.0).astype(np.float64)
    mean = _share(x0.sum(axis=1), cnt.astype(float))
    var = _share((np.where(have, x0 - mean[:, None], 0.0) ** 2).sum(axis=1), cnt.astype(float))
    return np.where(cnt >= 2, _share(np.sqrt(var), mean), np.nan)


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(len(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


_REGIME_DAYS = 182
_SPELL_DAYS = 5
_REGIME_SMOOTH = 3
_REGIME_CHUNK = 8192


def _regimes(block: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two-regime split of daily kWh relative to peers: (log gap between the regimes, separation, switches).

    Each day's kWh over the row's median is divided by the peers' median of the same (log, 3-day running
    mean); the days are split into a low and a high regime by the threshold that maximises the
    between-regime sum of squares (1-D two-means, each regime 15-85 % of the days: one sort and one cumulative
    sum for all customers). ``separation`` is the gap in units of the pooled within-regime spread;
    ``switches`` counts the changes of regime in time order. NaN with fewer than 30 days read.
    """
    n = block.shape[0]
    med = _nanmedian_rows(block)
    scaled = (block / np.where(med > 0, med, np.nan)[:, None]).astype(np.float32)
    peer = _group_median(scaled, group).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.log(scaled + np.float32(0.05)) - np.log(peer + np.float32(0.05))
    del scaled, peer
    out = np.full((4, n), np.nan)
    for a in range(0, n, _REGIME_CHUNK):  # chunks keep the temporaries small at 100,000 customers
        out[:, a : a + _REGIME_CHUNK] = _two_regimes(e[a : a + _REGIME_CHUNK])
    bad = (~np.isnan(block)).sum(axis=1) < 30
    out[:, bad] = np.nan
    return out[0], out[1], out[2], out[3]


def _two_regimes(e: np.ndarray) -> np.ndarray:
    """(gap, separation, switches, low spells) of the rows of ``e`` (log ratios, NaN skipped); see :func:`_regimes`."""
    n, days = e.shape
    have = ~np.isnan(e)
    c = np.zeros((n, days + 1))
    np.cumsum(np.where(have, e, 0.0), axis=1, out=c[:, 1:])
    m = np.zeros((n, days + 1))
    np.cumsum(have, axis=1, out=m[:, 1:])
    w = _REGIME_SMOOTH
    cnt = m[:, w:] - m[:, :-w]
    x = np.where(cnt > 0, (c[:, w:] - c[:, :-w]) / np.maximum(cnt, 1), np.nan)
    del c, m, cnt
    k = x.shape[1]
    fill = np.nan_to_num(_nanmedian_rows(x))
    x = np.where(np.isnan(x), fill[:, None], x)
    srt = np.sort(x, axis=1)
    cs = np.cumsum(srt, axis=1)
    j = np.arange(1, k)
    lo = cs[:, :-1] / j
    hi = (cs[:, -1:] - cs[:, :-1]) / (k - j)
    between = j * (k - j) / k * (hi - lo) ** 2
    between = np.where(((j >= 0.15 * k) & (j <= 0.85 * k))[None, :], between, -1.0)
    b = np.argmax(between, axis=1)
    rows = np.arange(n)
    gap = hi[rows, b] - lo[rows, b]
    within = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(axis=1) - between[rows, b]
    sep = gap / np.maximum(np.sqrt(np.maximum(within, 0.0) / max(k - 2, 1)), 1e-3)
    low = x < ((hi[rows, b] + lo[rows, b]) / 2)[:, None]
    switches = (low[:, 1:] != low[:, :-1]).sum(axis=1).astype(np.float64)
    # low spells of at least _SPELL_DAYS days: a bypass switched on and off gives several, a step one
    edge = np.diff(np.pad(low, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    r0, c0 = np.nonzero(edge == 1)
    _, c1 = np.nonzero(edge == -1)  # row-major order: the end of each spell follows its start
    spells = np.bincount(r0[(c1 - c0) >= _SPELL_DAYS], minlength=n).astype(np.float64)
    return np.vstack([gap, sep, switches, spells])


_MIN_CELL_DAYS = 8
_MIN_SLOPE_WEEKS = 8


_PEER_SAMPLE = 2000
_PATTERN_EPS = 0.005  # small: a proportional drop must leave the log contrast of weekends and weekdays as it was


def _group_day_median(daily: np.ndarray, scale: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise median of ``daily / scale`` over each group's rows (NaN skipped; the first
    :data:`_PEER_SAMPLE` rows of a larger group), shape (n_groups, days), and each row's group."""
    codes, uniques = pd.factorize(group)
    out = np.full((len(uniques), daily.shape[1]), np.nan, dtype=np.float32)
    for g in range(len(uniques)):
        rows = np.flatnonzero(codes == g)[:_PEER_SAMPLE]
        block = daily[rows] / scale[rows, None]
        some = ~np.all(np.isnan(block), axis=0)
        if some.any():
            out[g, some] = np.nanmedian(block[:, some], axis=0)
    return out, codes


def _weekly_pattern_change(daily: np.ndarray, level: np.ndarray, group: np.ndarray, onset_week: np.ndarray,
                           as_of: pd.Timestamp) -> np.ndarray:
    """t-value of the change, at ``onset_week``, of the weekend/weekday contrast of log daily kWh relative to peers.

    ``e`` = log(kWh / own level + 0.005) - log(peers' median of that + 0.005) per day (``level``: the
    median weekly kWh/day); the contrast is the mean of ``e`` on Saturdays and Sundays minus on the other
    days; the statistic is (contrast from week ``onset_week`` on - before) / its standard error (pooled
    within-cell variance of ``e``). NaN without a change point or with fewer than 8 days in one of the four
    cells. ``daily`` has whole weeks ending on the day before ``as_of``.
    """
    n, days = daily.shape
    k = days // 7
    daily = daily[:, days - 7 * k :]
    # the weeks are whole, so a weekday sits at the same place of every 7-day block
    first_dow = (as_of - pd.Timedelta(days=7 * k)).day_of_week
    place = (first_dow + np.arange(7)) % 7
    weekend_at, weekday_at = np.flatnonzero(place >= 5), np.flatnonzero(place < 5)
    scale = np.where(level > 0, level, np.nan).astype(np.float32)
    peer, codes = _group_day_median(daily, scale, group)
    lpeer = np.log(peer + np.float32(_PATTERN_EPS))
    out = np.full(n, np.nan)
    after = np.arange(k)[None, :] >= onset_week[:, None]
    for a in range(0, n, _REGIME_CHUNK):
        sl = slice(a, min(a + _REGIME_CHUNK, n))
        with np.errstate(invalid="ignore", divide="ignore"):
            e = (np.log(daily[sl] / scale[sl, None] + np.float32(_PATTERN_EPS)) - lpeer[codes[sl]]).reshape(-1, k, 7)
        have = ~np.isnan(e)
        e = np.where(have, e, np.float32(0.0))
        per_week = []
        for at in (weekend_at, weekday_at):
            part = e[:, :, at]
            per_week.append((have[:, :, at].sum(axis=2, dtype=np.float64), part.sum(axis=2, dtype=np.float64),
                             (part * part).sum(axis=2, dtype=np.float64)))
        aft = after[sl]
        cnt, mean, ss = [], [], []
        for part in (~aft, aft):
            for c, s1, s2 in per_week:
                cc = np.where(part, c, 0).sum(axis=1)
                t1, t2 = np.where(part, s1, 0).sum(axis=1), np.where(part, s2, 0).sum(axis=1)
                mu = _share(t1, cc)
                cnt.append(cc)
                mean.append(mu)
                ss.append(np.maximum(t2 - cc * np.nan_to_num(mu) ** 2, 0.0))
        cnt_a, mean_a = np.stack(cnt), np.stack(mean)
        var = _share(sum(ss), cnt_a.sum(axis=0) - 4)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(var * (1.0 / cnt_a).sum(axis=0))
            z = ((mean_a[2] - mean_a[3]) - (mean_a[0] - mean_a[1])) / np.maximum(se, 1e-6)
        ok = (cnt_a >= _MIN_CELL_DAYS).all(axis=0) & (onset_week[sl] >= 0)
        out[sl] = np.where(ok, z, np.nan)
    return out


_EMPTY_SHARE = 0.15
_EMPTY_WINDOW = 21


def _empty_days_at_step(daily: np.ndarray, level: np.ndarray, week: np.ndarray) -> np.ndarray:
    """Days read below 15 % of the customer's level within 21 days either side of the change point's week.

    ``level`` is the median weekly kWh/day; ``week`` the first week after the change (-1: none, NaN). A home
    left empty between two households (a move) reads its standby load for days to weeks at the step.
    """
    n, days = daily.shape
    k = days // 7
    start = np.where(week >= 0, days - 7 * k + 7 * week, -10 * days)
    cols = np.arange(days)[None, :]
    near = (cols >= (start - _EMPTY_WINDOW)[:, None]) & (cols < (start + _EMPTY_WINDOW)[:, None])
    with np.errstate(invalid="ignore"):
        low = near & (daily < (_EMPTY_SHARE * level)[:, None])
    return np.where(week >= 0, low.sum(axis=1), np.nan).astype(np.float64)


def _season_slope_change(lw: np.ndarray, lp: np.ndarray, week: np.ndarray) -> np.ndarray:
    """t-value of the change at ``week`` of the slope of the customer's weekly log kWh on its peers' (NaN: too few)."""
    n, k = lw.shape
    ok_all = ~np.isnan(lw) & ~np.isnan(lp)
    after = np.arange(k)[None, :] >= week[:, None]
    parts = []
    for part in (~after, after):
        ok = ok_all & part
        cnt = ok.sum(axis=1).astype(np.float64)
        x0, y0 = np.where(ok, lp, 0.0), np.where(ok, lw, 0.0)
        mx, my = _share(x0.sum(axis=1), cnt), _share(y0.sum(axis=1), cnt)
        dx = np.where(ok, lp - np.nan_to_num(mx)[:, None], 0.0)
        dy = np.where(ok, lw - np.nan_to_num(my)[:, None], 0.0)
        sxx, sxy = (dx * dx).sum(axis=1), (dx * dy).sum(axis=1)
        slope = _share(sxy, sxx)
        rss = np.maximum((dy * dy).sum(axis=1) - np.nan_to_num(slope) * sxy, 0.0)
        var = _share(rss, cnt - 2) / np.where(sxx > 1e-9, sxx, np.nan)
        parts.append((cnt, slope, var))
    (c0, b0, v0), (c1, b1, v1) = parts
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (b1 - b0) / np.sqrt(np.maximum(v0 + v1, 1e-12))
    good = (c0 >= _MIN_SLOPE_WEEKS) & (c1 >= _MIN_SLOPE_WEEKS) & (week >= 0)
    return np.where(good, z, np.nan)


def _application_days(contacts: pd.DataFrame | None, ids: np.ndarray, onset_days_ago: np.ndarray,
                      as_of: pd.Timestamp) -> np.ndarray:
    """Days between the estimated onset and the nearest application of :data:`_SHIFT_APPLICATIONS` before as_of."""
    out = np.full(len(ids), np.nan)
    if contacts is None or len(contacts) == 0 or "category" not in contacts.columns:
        return out
    t = ns(contacts["at"])
    keep = ((t < as_of.value) & (contacts["kind"].astype(str).to_numpy() == "application")
            & contacts["category"].astype(str).isin(_SHIFT_APPLICATIONS).to_numpy())
    pos = positions(ids, contacts["customer_id"].to_numpy(dtype=np.int64)[keep])
    ok = pos >= 0
    pos, t = pos[ok], t[keep][ok]
    onset = as_of.value - np.nan_to_num(onset_days_ago[pos], nan=-1e9).astype(np.int64) * DAY_NS
    gap = np.abs(t - onset) / DAY_NS
    has = ~np.isnan(onset_days_ago[pos])
    nearest = np.full(len(ids), np.inf)
    np.minimum.at(nearest, pos[has], gap[has])
    out[np.isfinite(nearest)] = np.floor(nearest[np.isfinite(nearest)])
    return out


#: Applications that announce a legitimate level shift (``contacts.category`` of kind ``application``).
_SHIFT_APPLICATIONS = ("name_transfer", "capacity_change", "account_closure")


def _daily_signals(daily: np.ndarray, customers: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    n, days = daily.shape
    recent = daily[:, -_RECENT:]
    year_ago = daily[:, days - 365 - _RECENT : days - 365]
    read = ~np.isnan(recent)
    n_read = read.sum(axis=1)
    with np.errstate(invalid="ignore"):
        zero = read & (recent <= 0)
        same = read[:, 1:] & read[:, :-1] & (recent[:, 1:] == recent[:, :-1]) & (recent[:, 1:] > 0)
    med_recent, med_year = _nanmedian_rows(recent), _nanmedian_rows(year_ago)
    yoy = _share(med_recent, med_year)
    group = (customers["customer_class"].astype(str) + "|" + customers["region"].astype(str)).to_numpy()
    peer_yoy = pd.Series(yoy).groupby(group).transform("median").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        drop_self = 1.0 - yoy
        drop_peer = 1.0 - yoy / peer_yoy
        cv_recent, cv_year = _cv(recent), _cv(year_ago)
    kva = customers["contracted_kva"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", all="ignore"):
        peak = np.where(n_read > 0, np.nanmax(np.where(read, recent, -np.inf), axis=1), np.nan)

    weekly, _ = weekly_levels(daily)
    level = _nanmedian_rows(weekly)
    scaled = weekly / np.where(level > 0, level, np.nan)[:, None]
    peer = _group_median(scaled, group)
    eps = 0.02
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.log(scaled + eps) - np.log(peer + eps)
    r_raw = r
    z, week, shift, r = _harmonic_change_point(r)
    k = r.shape[1]
    onset_days = np.where(week >= 0, (k - week) * 7, np.nan)
    with np.errstate(invalid="ignore"):
        after_low = np.where(np.arange(k)[None, :] >= week[:, None], r, np.nan)
        before_mean = np.where(np.arange(k)[None, :] < week[:, None], r, np.nan)
    bm = np.full(n, np.nan)
    has = ~np.all(np.isnan(before_mean), axis=1)
    bm[has] = np.nanmean(before_mean[has], axis=1)
    below = after_low < (bm + 0.5 * np.nan_to_num(shift))[:, None]
    n_after = (~np.isnan(after_low)).sum(axis=1)
    persist = _share(below.sum(axis=1).astype(float), n_after.astype(float))
    # the last 8 weeks, but only those after the change point
    last8 = np.where(np.arange(k)[None, :] >= np.maximum(week, k - 8)[:, None], r, np.nan)
    recent_rel = np.full(n, np.nan)
    some = ~np.all(np.isnan(last8), axis=1)
    recent_rel[some] = np.nanmean(last8[some], axis=1) - bm[some]

    # the same without the harmonic, with medians: an old vacancy or a spell the harmonic bent to fit leaves
    # the recent weeks at the level before it
    cols = np.arange(k)[None, :]
    raw_rel = (_nanmedian_rows(np.where(cols >= np.maximum(week, k - 8)[:, None], r_raw, np.nan))
               - _nanmedian_rows(np.where(cols < week[:, None], r_raw, np.nan)))
    raw_rel = np.where(week >= 0, raw_rel, np.nan)

    def corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ok = ~np.isnan(a) & ~np.isnan(b)
        cnt = ok.sum(axis=1)
        a0, b0 = np.where(ok, a, 0.0), np.where(ok, b, 0.0)
        ma, mb = _share(a0.sum(axis=1), cnt), _share(b0.sum(axis=1), cnt)
        da, db = np.where(ok, a0 - ma[:, None], 0.0), np.where(ok, b0 - mb[:, None], 0.0)
        den = np.sqrt((da**2).sum(axis=1) * (db**2).sum(axis=1))
        out = _share((da * db).sum(axis=1), den)
        return np.where(cnt >= 20, out, np.nan)

    with np.errstate(invalid="ignore", divide="ignore"):
        lw, lp = np.log(scaled + eps), np.log(peer + eps)
    corr_last, corr_prev = corr(lw[:, -52:], lp[:, -52:]), corr(lw[:, :-52], lp[:, :-52])
    # intermittent tampering: two regimes in the last 182 days that the same days a year earlier lack
    gap_now, sep_now, switches, spells = _regimes(daily[:, -_REGIME_DAYS:], group)
    gap_before, sep_before, _, _ = _regimes(daily[:, days - 364 - _REGIME_DAYS : days - 364], group)
    # what changed at the step besides the level: the weekly pattern and the seasonal response
    weekly_z = _weekly_pattern_change(daily, level, group, week, as_of)
    empty = _empty_days_at_step(daily, level, week)
    season_z = _season_slope_change(lw, lp, week)
    return {
        "drop_yoy_90d": drop_self,
        "drop_vs_peers_90d": drop_peer,
        "shift_z": z,
        "shift_drop": np.where(np.isnan(shift), np.nan, 1.0 - np.exp(shift)),
        "shift_days_ago": onset_days,
        "shift_persistence": persist,
        "recent_drop_vs_before": np.where(np.isnan(recent_rel), np.nan, 1.0 - np.exp(recent_rel)),
        "recent_drop_median": np.where(np.isnan(raw_rel), np.nan, 1.0 - np.exp(raw_rel)),
        "peer_corr_change": corr_last - corr_prev,
        "zero_share_90d": _share(zero.sum(axis=1).astype(float), n_read.astype(float)),
        "zero_run_max_90d": np.where(n_read > 0, _longest_run(zero), np.nan),
        "repeat_read_share_90d": _share(same.sum(axis=1).astype(float), np.maximum(n_read - 1, 0).astype(float)),
        "regularity_ratio_90d": _share(cv_recent, cv_year),
        "capacity_use_max_90d": _share(peak, kva * 24.0),
        "regime_drop_182d": 1.0 - np.exp(-gap_now),
        "regime_drop_change": np.exp(-gap_before) - np.exp(-gap_now),
        "regime_separation_change": sep_now - sep_before,
        "regime_switches_182d": switches,
        "regime_low_spells_182d": spells,
        "empty_days_at_shift": empty,
        "weekly_pattern_change_z": weekly_z,
        "season_slope_change_z": season_z,
    }


def _bill_signal(bills: pd.DataFrame, daily: np.ndarray, ids: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
    """Median over the last 6 bills issued before ``as_of`` of |billed kWh - read kWh| / read kWh of the month."""
    n, days = daily.shape
    out = np.full(n, np.nan)
    if bills is None or len(bills) == 0:
        return out
    issued = ns(bills["issued_on"])
    period = ns(bills["period"])
    start = as_of.value - days * DAY_NS
    keep = (issued < as_of.value) & (period >= start) & (issued >= as_of.value - 190 * DAY_NS)
    b = bills.loc[keep]
    if len(b) == 0:
        return out
    pos = positions(ids, b["customer_id"].to_numpy())
    p0 = (ns(b["period"]) - start) // DAY_NS
    p1 = np.minimum(p0 + b["period"].dt.days_in_month.to_numpy(), days)
    ok = (pos >= 0) & (p1 <= days)
    pos, p0, p1 = pos[ok], p0[ok], p1[ok]
    if len(pos) == 0:
        return out
    first = int(p0.min())  # only the columns the bills cover
    cum = np.zeros((n, days - first + 1))
    np.cumsum(np.nan_to_num(daily[:, first:], nan=0.0), axis=1, dtype=np.float64, out=cum[:, 1:])
    read_kwh = cum[pos, p1 - first] - cum[pos, p0 - first]
    billed = b["kwh"].to_numpy(dtype=np.float64)[ok]
    gap = np.abs(billed - read_kwh) / np.maximum(read_kwh, 1.0)
    med = pd.Series(gap).groupby(pos).median()
    out[med.index.to_numpy()] = med.to_numpy()
    return out


def _interval_signals(load: pd.DataFrame, ids: np.ndarray, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    """Stuck intervals and power-factor change over the last 30 days of 15-minute load."""
    n = len(ids)
    stuck, pf_change = np.full(n, np.nan), np.full(n, np.nan)
    if load is None or len(load) == 0:
        return {"interval_repeat_share_30d": stuck, "power_factor_change_7d": pf_change}
    t = ns(load["timestamp"])
    keep = (t >= as_of.value - 30 * DAY_NS) & (t < as_of.value)
    sub = load.loc[keep]
    pos = positions(ids, sub["customer_id"].to_numpy())
    ok = pos >= 0
    pos, tt = pos[ok], t[keep][ok]
    kw = sub["kw"].to_numpy(dtype=np.float64)[ok]
    order = np.lexsort((tt, pos))
    pos, tt, kw = pos[order], tt[order], kw[order]
    same = (pos[1:] == pos[:-1]) & (kw[1:] == kw[:-1]) & (kw[1:] > 0)
    pairs = np.bincount(pos[1:][pos[1:] == pos[:-1]], minlength=n)
    stuck = _share(np.bincount(pos[1:][same], minlength=n).astype(float), pairs.astype(float))
    if "kvar" in sub.columns:
        kvar = sub["kvar"].to_numpy(dtype=np.float64)[ok][order]
        good = ~np.isnan(kw) & ~np.isnan(kvar)
        last7 = tt >= as_of.value - 7 * DAY_NS
        p_kw = [np.bincount(pos[good & m], weights=kw[good & m], minlength=n) for m in (last7, ~last7)]
        p_kv = [np.bincount(pos[good & m], weights=np.abs(kvar[good & m]), minlength=n) for m in (last7, ~last7)]
        with np.errstate(invalid="ignore", divide="ignore"):
            pf = [a / np.sqrt(a**2 + b**2) for a, b in zip(p_kw, p_kv, strict=True)]
        pf_change = pf[0] - pf[1]
    return {"interval_repeat_share_30d": stuck, "power_factor_change_7d": pf_change}


def _clean_inspection(inspections: pd.DataFrame | None, ids: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
    """Days between the last inspection before ``as_of`` that found nothing (result ``clean``) and ``as_of``."""
    out = np.full(len(ids), np.nan)
    if inspections is None or len(inspections) == 0:
        return out
    t = ns(inspections["date"])
    keep = (t < as_of.value) & (inspections["result"].astype(str).to_numpy() == "clean")
    pos = positions(ids, inspections["customer_id"].to_numpy(dtype=np.int64)[keep])
    ok = pos >= 0
    last = np.full(len(ids), np.iinfo(np.int64).min)
    np.maximum.at(last, pos[ok], t[keep][ok])
    seen = last > np.iinfo(np.int64).min
    out[seen] = (as_of.value - last[seen]) // DAY_NS
    return out


def anomaly_signals(dataset: Dataset, as_of: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """The anomaly signals of every customer active at ``as_of``, one row per customer.

    Works on daily reads alone (``customers`` + ``meter_daily``); bills and
    15-minute load add their signals when present (NaN otherwise). Nothing
    dated on or after ``as_of`` is read: the table is the same on a dataset
    truncated at ``as_of``.

    Parameters
    ----------
    dataset : Dataset
    as_of : Timestamp-like, optional
        Default: the dataset's ``extracted_on``.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``; the columns are :data:`SIGNAL_NAMES` plus
        ``customer_class`` and ``region`` (the peer group), ``kwh_per_day_90d``
        (median daily kWh of the last 90 days) and ``kwh_per_day_before``
        (median daily kWh of the same 90 days a year earlier), used to size the
        missing energy. ``attrs["as_of"]`` holds the date.

    Raises
    ------
    TypeError
        If ``dataset`` is not a Dataset.
    gridcrm.errors.InputError
        If ``as_of`` is after the extract or before every customer.

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(80, "2023-01-01", "2024-06-30", seed=3).dataset
    >>> s = anomaly_signals(ds, "2024-06-01")
    >>> s.index.name, len(s) > 0, set(SIGNAL_NAMES) <= set(s.columns)
    ('customer_id', True, True)
    >>> bool(s["zero_share_90d"].dropna().between(0, 1).all())
    True
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a gridcrm Dataset, got {type(dataset).__name__}")
    cut = parse_as_of(as_of, default=dataset.extracted_on)
    customers = active_customers(dataset.customers, cut)
    check_as_of(dataset, cut, len(customers))
    ids = customers["customer_id"].to_numpy(dtype=np.int64)
    daily = daily_matrix(dataset.meter_daily, ids, cut)
    columns = _daily_signals(daily, customers, cut)
    bills = dataset.bills if "bills" in dataset.table_names else None
    columns["bill_read_gap_180d"] = _bill_signal(bills, daily, ids, cut)
    load = dataset.load_interval if "load_interval" in dataset.table_names else None
    columns.update(_interval_signals(load, ids, cut))
    contacts = dataset.contacts if "contacts" in dataset.table_names else None
    columns["application_days_from_shift"] = _application_days(contacts, ids, columns["shift_days_ago"], cut)
    inspections = dataset["inspections"] if "inspections" in dataset.table_names else None
    columns["days_since_clean_inspection"] = _clean_inspection(inspections, ids, cut)
    frame = pd.DataFrame({name: np.asarray(columns[name], dtype=np.float64) for name in SIGNAL_NAMES},
                         index=pd.Index(ids, name="customer_id"))
    frame["customer_class"] = customers["customer_class"].astype(str).to_numpy()
    frame["region"] = customers["region"].astype(str).to_numpy()
    frame["kwh_per_day_90d"] = _nanmedian_rows(daily[:, -_RECENT:])
    frame["kwh_per_day_before"] = _nanmedian_rows(daily[:, -365 - _RECENT : -365])
    frame.attrs["as_of"] = cut.isoformat()
    logger.info("anomaly signals: %d customers as of %s", len(frame), cut.date())
    return frame
