"""Daily meter reads, generated block by block straight into the final arrays.

A customer's expected daily kWh is the product of

* its base level and linear trend,
* the day factor of its segment and region: weekday pattern, public holidays,
  the Spring Festival dip (industry, offices) or rise (homes), the irrigation
  season, and the region's outage days,
* the weather term ``1 + heat × HDD + cool × CDD`` with its own sensitivities,
* a level shift, a vacancy spell or electricity theft, where it has one,
* the decline of a business in financial distress towards its floor
  (:func:`~gridcrm.data.synth.customers.distress_factor`),

times mean-one log-normal noise. Reads are capped at ``contracted_kva × 24 h ×
1.5``, rounded to 0.01 kWh like a meter register, missing on meter gaps (runs
of days) and NaN for a few failed reads. Memory stays at the size of the
result: customers are simulated in blocks of :data:`BLOCK_SIZE`, each block
written into preallocated arrays, and monthly totals (for bills) are summed
per block.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.data.schemas import METER_DAILY
from gridcrm.data.synth.calendar import DAY_NS, Calendar
from gridcrm.data.synth.customers import NEVER, Population, distress_factor
from gridcrm.data.synth.frames import build_frame
from gridcrm.data.synth.segments import SEGMENTS, segment_array
from gridcrm.data.synth.weather import Climate

__all__ = ["MeterStore", "simulate_meter", "close_accounts", "meter_frame", "ranges", "BLOCK_SIZE", "CAP_FACTOR"]

logger = logging.getLogger(__name__)

#: Customers simulated together; fixed, so that results do not depend on anything but the seed.
BLOCK_SIZE = 2048
#: Daily kWh never exceeds ``contracted_kva × CAP_FACTOR``.
CAP_FACTOR = 24 * 1.5 * 0.999
_GAP_SHARE = 0.005
_GAP_MEAN_DAYS = 3.0
_NAN_SHARE = 0.0005
_OUTAGE_CUT = 0.25
_COMPACT_CHUNK = 1 << 22


@dataclass
class MeterStore:
    """Daily reads of all customers, sorted by customer and date, plus monthly totals.

    ``customer_id``, ``date`` (int64 ns) and ``kwh`` may be longer than the
    data: the first ``counts.sum()`` rows are the reads. ``month_kwh`` and
    ``month_reads`` (shape ``(n_customers, n_months)``) hold the kWh and
    number of reads of every simulated month, including the days after
    ``end`` that complete the last month.
    """

    customer_id: np.ndarray
    date: np.ndarray
    kwh: np.ndarray
    counts: np.ndarray
    month_kwh: np.ndarray
    month_reads: np.ndarray

    @property
    def n_rows(self) -> int:
        """Number of reads."""
        return int(self.counts.sum())

    @property
    def first_row(self) -> np.ndarray:
        """Row of each customer's first read."""
        return np.cumsum(self.counts) - self.counts

    def tail(self, customers: np.ndarray, from_day: np.ndarray | int, start_ns: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the reads of ``customers`` dated on or after day ``from_day`` (one per customer, or one for all).

        Returns
        -------
        rows, owner : ndarray of int
            Row numbers into the store and, for each, the index into ``customers``.
        """
        counts = self.counts[customers]
        from_day = np.broadcast_to(from_day, customers.shape)
        last = self.first_row[customers] + counts
        last_day = (self.date[np.maximum(last - 1, 0)] - start_ns) // DAY_NS
        span = np.where(counts > 0, np.clip(last_day + 1 - from_day, 0, counts), 0)
        rows, owner = ranges(last - span, last)
        keep = self.date[rows] >= start_ns + from_day[owner] * DAY_NS
        return rows[keep], owner[keep]


def ranges(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``arange(start, stop)`` of every pair, and the pair each value comes from.

    Examples
    --------
    >>> values, owner = ranges(np.array([0, 10]), np.array([3, 12]))
    >>> values.tolist(), owner.tolist()
    ([0, 1, 2, 10, 11], [0, 0, 0, 1, 1])
    """
    lengths = np.maximum(np.asarray(stops) - np.asarray(starts), 0)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.asarray(starts)[owner] + within, owner


def _cells(rows: np.ndarray, first: np.ndarray, stop: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of the cells ``[first, stop)`` of each row of a (n, width) array, and their row."""
    first = np.clip(first, 0, width)
    stop = np.clip(stop, 0, width)
    flat, owner = ranges(rows * width + first, rows * width + stop)
    return flat, rows[owner]


def day_factors(cal: Calendar, climate: Climate) -> np.ndarray:
    """Factor of each (segment, region) pair on each day, shape (n_segments × n_regions, n_sim)."""
    weekly = segment_array("weekly")[:, cal.dow]
    daily = np.where(cal.holiday[None, :], segment_array("holiday")[:, None], weekly)
    daily = daily * (1.0 - segment_array("spring")[:, None] * cal.spring_weight[None, :])
    irrigation = 0.35 + 1.9 * np.exp(-0.5 * ((cal.doy - 165) / 40.0) ** 2)
    daily = np.where(segment_array("irrigation")[:, None], daily * irrigation[None, :], daily)
    outage = 1.0 - _OUTAGE_CUT * climate.outage
    return (daily[:, None, :] * outage[None, :, :]).reshape(len(SEGMENTS) * len(climate.names), cal.n_sim)


def _block_kwh(pop: Population, sl: slice, cal: Calendar, climate: Climate, factors: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """Simulated daily kWh (before gaps) of the customers in ``sl``, shape (block, n_sim)."""
    seg, reg = pop.seg[sl], pop.region[sl]
    n_regions = len(climate.names)
    x = factors[seg * n_regions + reg]
    weather = climate.hdd[reg]
    weather *= pop.heat[sl, None]
    buf = climate.cdd[reg]
    buf *= pop.cool[sl, None]
    weather += buf
    weather += 1.0
    x *= weather
    np.multiply.outer(pop.trend[sl], cal.years, out=buf)
    buf += 1.0
    np.maximum(buf, 0.3, out=buf)
    buf *= pop.base[sl, None]
    x *= buf
    noise = rng.standard_normal(out=weather)
    sd = pop.noise[sl]
    noise *= sd[:, None]
    noise -= 0.5 * sd[:, None] ** 2
    np.exp(noise, out=noise)
    x *= noise

    flat = x.reshape(-1)
    for first, stop, factor in (
        (pop.shift_day[sl], np.full(len(seg), NEVER), pop.shift_factor[sl]),
        (pop.vacant_from[sl], pop.vacant_to[sl], pop.vacant_factor[sl]),
        (pop.theft_from[sl], pop.theft_to[sl], pop.theft_factor[sl]),
    ):
        has = np.flatnonzero(first < NEVER)
        cells, owner = _cells(has, first[has], stop[has], cal.n_sim)
        flat[cells] *= factor[owner]
    onset = pop.distress_from[sl]
    has = np.flatnonzero(onset < NEVER)
    cells, owner = _cells(has, onset[has], np.full(len(has), cal.n_sim), cal.n_sim)
    flat[cells] *= distress_factor(cells - owner * cal.n_sim - onset[owner], pop.distress_floor[sl][owner])
    np.minimum(x, (pop.kva[sl] * CAP_FACTOR)[:, None], out=x)
    return np.round(x, 2, out=x)


def _block_missing(n: int, n_sim: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of meter-gap cells (runs of days) and of failed (NaN) reads in a (n, n_sim) block."""
    runs = rng.poisson(_GAP_SHARE * n_sim / _GAP_MEAN_DAYS, n)
    rows = np.repeat(np.arange(n), runs)
    first = rng.integers(0, n_sim, len(rows))
    length = rng.geometric(1.0 / _GAP_MEAN_DAYS, len(rows))
    gaps, _ = _cells(rows, first, first + length, n_sim)
    failed = np.repeat(np.arange(n), rng.poisson(_NAN_SHARE * n_sim, n)) * n_sim
    return gaps, failed + rng.integers(0, n_sim, len(failed))


def simulate_meter(pop: Population, cal: Calendar, climate: Climate, rng: np.random.Generator,
                   show_progress: bool = False) -> MeterStore:
    """Simulate every customer's daily reads from its connection to the end of the window.

    Accounts are treated as open throughout; :func:`close_accounts` then
    removes the reads from each ``closed_on`` on.

    Parameters
    ----------
    pop : Population
    cal : Calendar
    climate : Climate
    rng : numpy.random.Generator
        Spawns one child generator per block.
    show_progress : bool
        Show a tqdm bar over the blocks.

    Returns
    -------
    MeterStore
    """
    n = len(pop)
    capacity = int(np.clip(cal.n_days - np.maximum(pop.conn, 0), 0, None).sum())
    store = MeterStore(
        customer_id=np.empty(capacity, dtype=np.int64),
        date=np.empty(capacity, dtype=np.int64),
        kwh=np.empty(capacity, dtype=np.float64),
        counts=np.zeros(n, dtype=np.int64),
        month_kwh=np.zeros((n, cal.n_months)),
        month_reads=np.zeros((n, cal.n_months), dtype=np.int16),
    )
    factors = day_factors(cal, climate)
    day = np.arange(cal.n_sim)
    starts = range(0, n, BLOCK_SIZE)
    blocks = zip(starts, rng.spawn(len(starts)), strict=True)
    if show_progress:
        from tqdm.auto import tqdm

        blocks = tqdm(blocks, total=len(starts), desc="meter reads", unit="block")
    pos = 0
    for first, block_rng in blocks:
        sl = slice(first, min(first + BLOCK_SIZE, n))
        x = _block_kwh(pop, sl, cal, climate, factors, block_rng)
        active = day[None, :] >= pop.conn[sl, None]
        gaps, failed = _block_missing(x.shape[0], cal.n_sim, block_rng)
        active.reshape(-1)[gaps] = False
        billed = np.where(active, x, 0.0)
        billed.reshape(-1)[failed] = 0.0
        x.reshape(-1)[failed] = np.nan
        store.month_kwh[sl] = np.add.reduceat(billed, cal.month_lo, axis=1)
        store.month_reads[sl] = np.add.reduceat(active.view(np.int8), cal.month_lo, axis=1, dtype=np.int16)

        written = active[:, : cal.n_days]
        row, col = np.nonzero(written)
        k = len(row)
        store.kwh[pos : pos + k] = x[:, : cal.n_days][written]
        store.date[pos : pos + k] = cal.start_ns + col * DAY_NS
        store.customer_id[pos : pos + k] = pop.ids[sl][row]
        store.counts[sl] = np.bincount(row, minlength=x.shape[0])
        pos += k
        logger.debug("meter block %d-%d: %d reads", sl.start, sl.stop, k)
    return store


def close_accounts(store: MeterStore, closed: np.ndarray, cal: Calendar) -> None:
    """Remove the reads on and after each customer's ``closed_on`` (in place) and fix the monthly totals.

    Parameters
    ----------
    store : MeterStore
    closed : ndarray of int
        Day offset of ``closed_on`` per customer, ``NEVER`` while open.
    cal : Calendar
    """
    churned = np.flatnonzero(closed < NEVER)
    if len(churned) == 0:
        return
    first_row = store.first_row
    rows, owner = store.tail(churned, closed[churned], cal.start_ns)
    n_drop = np.bincount(owner, minlength=len(churned))
    keep = np.ones(store.n_rows, dtype=bool)
    keep[rows] = False
    write = int(first_row[churned[0]])
    for a in range(write, store.n_rows, _COMPACT_CHUNK):
        mask = keep[a : a + _COMPACT_CHUNK]
        k = int(mask.sum())
        for column in (store.customer_id, store.date, store.kwh):
            column[write : write + k] = column[a : a + len(mask)][mask]
        write += k
    store.counts[churned] -= n_drop

    month = np.searchsorted(cal.month_hi, closed[churned], side="right")
    after = np.arange(cal.n_months)[None, :] > month[:, None]
    store.month_kwh[churned] = np.where(after, 0.0, store.month_kwh[churned])
    store.month_reads[churned] = np.where(after, 0, store.month_reads[churned])
    rows, owner = store.tail(churned, cal.month_lo[month], cal.start_ns)
    store.month_kwh[churned, month] = np.bincount(owner, weights=np.nan_to_num(store.kwh[rows]), minlength=len(churned))
    store.month_reads[churned, month] = np.bincount(owner, minlength=len(churned))

def meter_frame(store: MeterStore) -> pd.DataFrame:
    """The ``meter_daily`` table, sharing memory with the store."""
    n = store.n_rows
    return build_frame(
        METER_DAILY,
        {"customer_id": store.customer_id[:n], "date": store.date[:n].view("datetime64[ns]"), "kwh": store.kwh[:n]},
    )
