"""The simulated calendar: days, months, weekdays, public holidays, Spring Festival.

The simulation runs from ``start`` to the last day of the month of ``end``:
the days after ``end`` are never written to the dataset, but they complete the
first bill issued after the extract, whose true arrears probability the
generator reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Calendar", "make_calendar", "spring_festival", "DAY_NS"]

DAY_NS = 86_400 * 10**9

# Chinese New Year (first day of the first lunar month).
_SPRING_FESTIVAL = {
    2000: "02-05", 2001: "01-24", 2002: "02-12", 2003: "02-01", 2004: "01-22", 2005: "02-09", 2006: "01-29",
    2007: "02-18", 2008: "02-07", 2009: "01-26", 2010: "02-14", 2011: "02-03", 2012: "01-23", 2013: "02-10",
    2014: "01-31", 2015: "02-19", 2016: "02-08", 2017: "01-28", 2018: "02-16", 2019: "02-05", 2020: "01-25",
    2021: "02-12", 2022: "02-01", 2023: "01-22", 2024: "02-10", 2025: "01-29", 2026: "02-17", 2027: "02-06",
    2028: "01-26", 2029: "02-13", 2030: "02-03", 2031: "01-23", 2032: "02-11", 2033: "01-31", 2034: "02-19",
    2035: "02-08", 2036: "01-28", 2037: "02-15", 2038: "02-04", 2039: "01-24", 2040: "02-12",
}


def spring_festival(year: int) -> pd.Timestamp:
    """Date of the Spring Festival (Chinese New Year) in ``year``.

    Exact for 2000–2040; other years get 5 February, the festival's mean date.

    Examples
    --------
    >>> spring_festival(2024)
    Timestamp('2024-02-10 00:00:00')
    """
    return pd.Timestamp(f"{year}-{_SPRING_FESTIVAL.get(year, '02-05')}")


@dataclass(frozen=True)
class Calendar:
    """Day and month structure of one simulation.

    Day ``d`` is ``start + d days``; ``n_days`` days (``start`` .. ``end``)
    are written out, ``n_sim`` days (through the end of ``end``'s month) are
    simulated. Month ``j`` covers days ``month_lo[j] <= d < month_hi[j]``;
    ``month_hi[-1] == n_sim``.

    Attributes
    ----------
    start, end : Timestamp
    n_days, n_sim : int
    dow : ndarray of int
        Weekday of each simulated day, 0 = Monday.
    doy : ndarray of int
        Day of the year, 1-based.
    years : ndarray of float
        Years elapsed since ``start``.
    holiday : ndarray of bool
        Public holiday (New Year, Spring Festival week, Qingming, Labour Day, National Day).
    spring_weight : ndarray of float
        0..1 weight of the Spring Festival shutdown / family-gathering period.
    periods : ndarray of datetime64[ns]
        First day of each simulated month.
    month_lo, month_hi : ndarray of int
    """

    start: pd.Timestamp
    end: pd.Timestamp
    n_days: int
    n_sim: int
    dow: np.ndarray
    doy: np.ndarray
    years: np.ndarray
    holiday: np.ndarray
    spring_weight: np.ndarray
    periods: np.ndarray
    month_lo: np.ndarray
    month_hi: np.ndarray

    @property
    def n_months(self) -> int:
        """Number of simulated months."""
        return len(self.periods)

    @property
    def start_ns(self) -> int:
        """``start`` as nanoseconds since the epoch."""
        return int(self.start.value)

    def dates(self, offsets: np.ndarray) -> np.ndarray:
        """``datetime64[ns]`` dates of integer day offsets."""
        return (self.start_ns + np.asarray(offsets, dtype=np.int64) * DAY_NS).view("datetime64[ns]")


def _spring_weight(days: pd.DatetimeIndex) -> np.ndarray:
    """Weight of the Spring Festival period: ramps down before, full for ~10 days, slow recovery."""
    years = np.arange(days.year.min() - 1, days.year.max() + 2)
    festivals = pd.DatetimeIndex([spring_festival(int(y)) for y in years]).as_unit("ns").asi8 // DAY_NS
    day_num = days.as_unit("ns").asi8 // DAY_NS
    nearest = np.abs(day_num[:, None] - festivals[None, :]).argmin(axis=1)
    k = day_num - festivals[nearest]
    return np.interp(k, [-11, -3, -2, 7, 8, 21], [0.0, 0.5, 1.0, 1.0, 0.8, 0.0], left=0.0, right=0.0)


def _holidays(days: pd.DatetimeIndex) -> np.ndarray:
    month, day = days.month.to_numpy(), days.day.to_numpy()
    fixed = (
        ((month == 1) & (day == 1))
        | ((month == 4) & (day >= 4) & (day <= 6))
        | ((month == 5) & (day <= 5))
        | ((month == 10) & (day <= 7))
    )
    festivals = {y: spring_festival(y) for y in np.unique(days.year)}
    sf = pd.DatetimeIndex([festivals[y] for y in days.year]).as_unit("ns")
    k = (days.as_unit("ns") - sf).days.to_numpy()
    return fixed | ((k >= -1) & (k <= 5))


def make_calendar(start: pd.Timestamp, end: pd.Timestamp) -> Calendar:
    """Build the calendar of a simulation from ``start`` to ``end`` (inclusive).

    Parameters
    ----------
    start, end : Timestamp
        First and last day written to the dataset (midnight).

    Returns
    -------
    Calendar

    Examples
    --------
    >>> cal = make_calendar(pd.Timestamp("2024-01-15"), pd.Timestamp("2024-03-10"))
    >>> cal.n_days, cal.n_sim, cal.n_months
    (56, 77, 3)
    >>> cal.month_lo.tolist(), cal.month_hi.tolist()
    ([0, 17, 46], [17, 46, 77])
    """
    sim_end = (end + pd.offsets.MonthEnd(0)).normalize()
    days = pd.date_range(start, sim_end, freq="D", unit="ns")
    periods = pd.date_range(start.to_period("M").start_time, sim_end, freq="MS", unit="ns")
    lo = np.maximum((periods - start).days.to_numpy(), 0)
    hi = np.append(lo[1:], len(days))
    return Calendar(
        start=start,
        end=end,
        n_days=int((end - start).days) + 1,
        n_sim=len(days),
        dow=days.day_of_week.to_numpy(),
        doy=days.day_of_year.to_numpy(),
        years=np.arange(len(days)) / 365.25,
        holiday=_holidays(days),
        spring_weight=_spring_weight(days),
        periods=periods.to_numpy(),
        month_lo=lo.astype(np.int64),
        month_hi=hi.astype(np.int64),
    )
