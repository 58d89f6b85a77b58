"""``generate_dataset``: the whole synthetic extract and its ground truth."""

from __future__ import annotations

import logging
import numbers
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.data.dataset import Dataset
from gridcrm.data.dates import as_date
from gridcrm.data.schemas import CUSTOMER_CLASSES
from gridcrm.data.synth.anomaly import (
    DEFAULT_THEFT_RATE,
    anomaly_truth,
    draw_realism,
    inject_anomalies,
    reshape_shifts,
)
from gridcrm.data.synth.billing import bills_frame, make_bills
from gridcrm.data.synth.calendar import Calendar, make_calendar
from gridcrm.data.synth.churn import CHURN_CAUSES, Service, simulate_service, switch_eligible
from gridcrm.data.synth.consumption import close_accounts, meter_frame, simulate_meter
from gridcrm.data.synth.contacts import contacts_frame, lifecycle_contacts, shift_applications
from gridcrm.data.synth.customers import NEVER, Population, customers_frame, draw_population
from gridcrm.data.synth.events import events_frame
from gridcrm.data.synth.inspections import inspections_frame
from gridcrm.data.synth.interval import interval_customers, interval_frame
from gridcrm.data.synth.offers import offer_world, offers_frame, simulate_offers
from gridcrm.data.synth.payments import Payments, payments_frame, simulate_payments
from gridcrm.data.synth.segments import SEGMENTS
from gridcrm.data.synth.weather import make_climate, weather_frame
from gridcrm.errors import InputError

__all__ = ["SyntheticData", "generate_dataset"]

logger = logging.getLogger(__name__)

_FIRST_YEAR, _LAST_YEAR = 1970, 2200  # dates the calendar (datetime64[ns]) holds with room for a simulation
_MAX_DAYS = 366 * 30  # a longer window than 30 years is a mistake, not a dataset
_STREAMS = ("weather", "customers", "meter", "service", "contacts", "payments", "events", "interval", "texts",
            "offers", "anomaly", "inspections", "realism")


@dataclass(frozen=True)
class SyntheticData:
    """A synthetic extract and the truth that generated it.

    Attributes
    ----------
    dataset : Dataset
        The tables, as a utility would extract them (``extracted_on = end + 1 day``).
    truth : DataFrame
        One row per customer, indexed by ``customer_id``: the latent traits
        (``latent_class``, ``latent_segment``, ``credit_quality``,
        ``price_sensitivity``, ``satisfaction``, ``base_kwh``, ``trend``,
        ``heat_sensitivity``, ``cool_sensitivity``), the hidden events
        (``level_shift_on``/``level_shift_factor``, ``vacant_from``/``vacant_to``,
        ``theft_from``/``theft_detected``/``theft_found_on``,
        ``distress_from`` — onset of a business's financial distress, before ``end`` —,
        ``switch_eligible`` — may buy from a competing retailer —, ``shopping_from`` — started
        negotiating with one, before ``end``), the outcomes (``churned``, ``closed_on``,
        ``churn_cause``: ``move``, ``business_closure`` or ``switch``) and the true
        probabilities ``p_churn_90d`` (an account open at ``end`` closes within 90 days, from
        any cause; NaN if closed), ``p_switch_90d`` (the same for a switch to a competing
        retailer) and ``p_arrears_next`` (its next bill, issued after ``end``, is paid more
        than 15 days late or never; NaN without one), plus ``interval`` and ``power_factor``
        of the interval customers, and the anomalies of :mod:`gridcrm.data.synth.anomaly`
        (``theft_kind``, ``theft_share``, ``fault_kind``, ``fault_from``, ``fault_to``, ``confounder``,
        ``confounder_from``, ``theft_circuit``, ``retrofit_kind``). ``truth.attrs["retail_market_opens"]`` is the opening date.
    bill_truth : DataFrame
        Indexed by ``bill_id``: ``p_arrears``, the true probability that the
        bill is paid more than 15 days after ``due_on`` or never.
    offer_truth : DataFrame or None
        Indexed by ``customer_id``: the six latent needs ``need_<class>`` behind the ``offers``
        table and ``p_<product>``, the true probability that the customer accepts the product
        within 90 days of an offer (:mod:`gridcrm.data.synth.offers`).
    """

    dataset: Dataset
    truth: pd.DataFrame
    bill_truth: pd.DataFrame
    offer_truth: pd.DataFrame | None = None


def _integer(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"generate_dataset: {name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise InputError(f"generate_dataset: {name} must be {bound}, got {value}")
    return int(value)


def _date(name: str, value: object) -> pd.Timestamp:
    try:
        day = as_date(value, name)
    except ValueError as exc:
        raise InputError(f"generate_dataset: {exc}") from None
    if not _FIRST_YEAR <= day.year <= _LAST_YEAR:
        raise InputError(f"generate_dataset: {name} must lie between {_FIRST_YEAR} and {_LAST_YEAR}, "
                         f"got {day.date()}")
    return day


def _market_opens(value: object, first_day: pd.Timestamp, last_day: pd.Timestamp) -> pd.Timestamp:
    """The retail market's opening date: given, or the first of the month a quarter into the window."""
    if value is None:
        return (first_day + (last_day - first_day) / 4).to_period("M").start_time
    return _date("retail_market_opens", value)


def _dates(dates: np.ndarray, cal: Calendar, valid: np.ndarray) -> np.ndarray:
    return np.where(valid, cal.dates(np.where(valid, dates, 0)), np.datetime64("NaT", "ns"))


def _truth(pop: Population, cal: Calendar, service: Service, pay: Payments, bills_next: np.ndarray,
           interval_who: np.ndarray, power_factor: np.ndarray, market_opens: pd.Timestamp) -> pd.DataFrame:
    n = len(pop)
    closed = service.closed
    has_next = bills_next >= 0
    p_next = np.where(has_next, pay.p_arrears[np.arange(n), np.maximum(bills_next, 0)], np.nan)
    is_interval = np.zeros(n, dtype=bool)
    is_interval[interval_who] = True
    pf = np.full(n, np.nan)
    pf[interval_who] = power_factor
    shifted = pop.shift_day < cal.n_days
    vacant = pop.vacant_from < NEVER
    theft = pop.theft_from < NEVER
    distress = pop.distress_from < cal.n_days
    shopping = service.shopping_from < NEVER
    cause = pd.Categorical.from_codes(service.cause - 1, categories=list(CHURN_CAUSES))
    truth = pd.DataFrame(
        {
            "latent_class": pd.Categorical.from_codes(pop.cls, categories=list(CUSTOMER_CLASSES)),
            "latent_segment": pd.array(np.array([s.name for s in SEGMENTS], dtype=object)[pop.seg], dtype="str"),
            "credit_quality": pop.credit,
            "price_sensitivity": pop.price_sens,
            "satisfaction": pop.satisfaction,
            "base_kwh": pop.base,
            "trend": pop.trend,
            "heat_sensitivity": pop.heat,
            "cool_sensitivity": pop.cool,
            "level_shift_on": _dates(pop.shift_day, cal, shifted),
            "level_shift_factor": np.where(shifted, pop.shift_factor, np.nan),
            "vacant_from": _dates(pop.vacant_from, cal, vacant),
            "vacant_to": _dates(pop.vacant_to, cal, vacant),
            "theft_from": _dates(pop.theft_from, cal, theft),
            "theft_detected": pop.theft_detected,
            "theft_found_on": _dates(pop.theft_to, cal, pop.theft_detected),
            "distress_from": _dates(pop.distress_from, cal, distress),
            "switch_eligible": switch_eligible(pop),
            "shopping_from": _dates(service.shopping_from, cal, shopping),
            "churned": closed < NEVER,
            "closed_on": _dates(closed, cal, closed < NEVER),
            "churn_cause": cause,
            "p_churn_90d": service.p_churn,
            "p_switch_90d": service.p_switch,
            "p_arrears_next": p_next,
            "interval": is_interval,
            "power_factor": pf,
        },
        index=pd.Index(pop.ids, name="customer_id"),
    )
    truth.attrs["retail_market_opens"] = market_opens.date().isoformat()
    return truth


def generate_dataset(
    n_customers: int,
    start: pd.Timestamp | str,
    end: pd.Timestamp | str,
    seed: int,
    *,
    n_interval_customers: int | None = None,
    interval_days: int = 31,
    n_regions: int = 6,
    retail_market_opens: pd.Timestamp | str | None = None,
    show_progress: bool = False,
    theft_rate: float = DEFAULT_THEFT_RATE,
) -> SyntheticData:
    """Generate a realistic synthetic utility extract with known ground truth.

    Customers of five classes in ``n_regions`` regions use electricity day by
    day (weekly patterns, holidays, Spring Festival, heating and cooling,
    irrigation, trends, level shifts, vacancy, theft, meter gaps), are billed
    monthly, pay according to their credit (late payments, partial payments,
    persistent arrears, disconnection notices), contact the utility (calls,
    complaints after bill shocks and outages, repairs, applications, surveys)
    and churn: homes move (more after complaints and bill shocks), businesses
    in financial distress decline, pay late and close, and large customers
    switch to competing retailers once the retail market opens (see
    :mod:`gridcrm.data.synth.churn`). The largest accounts also have 15-minute
    interval load. The same seed gives identical tables.

    Parameters
    ----------
    n_customers : int
        Number of accounts (at least 1); at least one of each class from 50.
    start, end : Timestamp or str
        First and last day of the meter data; ``end`` must be after ``start``.
    seed : int
        Seed (non-negative) of all random draws.
    n_interval_customers : int, optional
        Accounts with 15-minute load; default ``min(max(1, round(0.025 × n_customers)), 50)``.
    interval_days : int
        Days of interval load, ending on ``end`` (the whole window if it is shorter).
    n_regions : int
        Number of regions (1 to 99).
    retail_market_opens : Timestamp or str, optional
        Day the retail market opens: from then on, large customers (commercial,
        industrial and large industry at 10 kV or more) may switch to a competing
        retailer. Default: the first of the month a quarter of the way into the
        window; a date before ``start`` means open throughout, after ``end`` never.
    show_progress : bool
        Show a progress bar over the blocks of meter reads.
    theft_rate : float
        Share of customers with an electricity theft in the window (0 to 0.2; default 1 %): partial
        bypasses, gradual and intermittent, plus meter faults and legitimate drops (rooftop solar,
        retrofits), see :mod:`gridcrm.data.synth.anomaly`. The base population's own thefts
        (about 0.4 %) are always there.

    Returns
    -------
    SyntheticData
        ``dataset``, ``truth`` (per customer) and ``bill_truth`` (per bill).

    Raises
    ------
    gridcrm.errors.InputError
        If an argument is of the wrong type or out of range; the message names
        it, its value and what was expected (also a ``ValueError``).

    Examples
    --------
    >>> synth = generate_dataset(60, "2024-01-01", "2024-03-31", seed=7)
    >>> ds = synth.dataset
    >>> len(ds.customers), str(ds.extracted_on.date())
    (60, '2024-04-01')
    >>> sorted(ds.customers["customer_class"].unique())
    ['agricultural', 'commercial', 'industrial', 'large_industry', 'residential']
    >>> len(ds.meter_daily) > 60 * 85, bool(synth.bill_truth["p_arrears"].between(0, 1).all())
    (True, True)
    >>> synth.truth.columns[:4].tolist()
    ['latent_class', 'latent_segment', 'credit_quality', 'price_sensitivity']
    >>> generate_dataset(0, "2024-01-01", "2024-03-31", seed=7)
    Traceback (most recent call last):
    ...
    gridcrm.errors.InputError: generate_dataset: n_customers must be >= 1, got 0
    """
    n = _integer("n_customers", n_customers, 1)
    first_day, last_day = _date("start", start), _date("end", end)
    if last_day <= first_day:
        raise InputError(f"generate_dataset: end must be after start, got start={first_day.date()} and "
                         f"end={last_day.date()}")
    if (last_day - first_day).days >= _MAX_DAYS:
        raise InputError(f"generate_dataset: end must be less than {_MAX_DAYS // 366} years after start, got "
                         f"start={first_day.date()} and end={last_day.date()}")
    opens = _market_opens(retail_market_opens, first_day, last_day)
    seed = _integer("seed", seed, 0)
    if n_interval_customers is None:
        n_interval = min(max(1, round(0.025 * n)), 50)
    else:
        n_interval = _integer("n_interval_customers", n_interval_customers, 0, n)
    interval_days = _integer("interval_days", interval_days, 1)
    n_regions = _integer("n_regions", n_regions, 1, 99)
    if isinstance(theft_rate, bool) or not isinstance(theft_rate, numbers.Real) or not 0 <= theft_rate <= 0.2:
        raise InputError(f"generate_dataset: theft_rate must be a share between 0 and 0.2, got {theft_rate!r}")
    if not isinstance(show_progress, bool):
        raise InputError(f"generate_dataset: show_progress must be True or False, got {show_progress!r}")

    t0 = time.perf_counter()
    streams = dict(zip(_STREAMS, np.random.default_rng(seed).spawn(len(_STREAMS)), strict=True))
    cal = make_calendar(first_day, last_day)
    climate = make_climate(cal, n_regions, streams["weather"])
    pop = draw_population(n, cal, climate, streams["customers"])
    logger.info("synth: %d customers, %d days, %d regions", n, cal.n_days, n_regions)
    store = simulate_meter(pop, cal, climate, streams["meter"], show_progress=show_progress)
    logger.info("synth: %d meter reads simulated (%.1f s)", store.n_rows, time.perf_counter() - t0)
    service = simulate_service(pop, cal, climate, make_bills(pop, cal, store.month_kwh, store.month_reads),
                               streams["service"], market_opens=int((opens - first_day).days))
    close_accounts(store, service.closed, cal)
    realism_rng, applications_rng = streams["realism"].spawn(2)  # #16: level shifts, circuits, applications
    realism = draw_realism(n, realism_rng)
    reshape_shifts(pop, cal, climate, store, realism)
    anomalies = inject_anomalies(pop, cal, store, service.closed, streams["anomaly"], theft_rate,
                                 climate=climate, realism=realism)
    pop.theft_detected = pop.theft_detected & (pop.theft_to <= service.closed)  # no inspection after a closure
    bills = make_bills(pop, cal, store.month_kwh, store.month_reads)
    pay = simulate_payments(pop, cal, bills, streams["payments"])
    causes = np.bincount(service.cause, minlength=len(CHURN_CAUSES) + 1)[1:]
    logger.info("synth: %d closures (%s; retail market opens %s), %d payments (%.1f s)", int(causes.sum()),
                ", ".join(f"{c} {k}" for c, k in zip(CHURN_CAUSES, causes, strict=True)), opens.date(), len(pay.day),
                time.perf_counter() - t0)
    interval_who = interval_customers(pop, service.closed, n_interval)
    load, power_factor = interval_frame(pop, interval_who, store, cal, min(interval_days, cal.n_days),
                                        streams["interval"])
    contact_batches = [*service.contacts, lifecycle_contacts(pop, cal, service.closed, streams["contacts"])]
    tables = {
        "customers": customers_frame(pop, cal, climate.names, service.closed),
        "meter_daily": meter_frame(store),
        "load_interval": load,
        "bills": bills_frame(bills, pop, cal),
        "payments": payments_frame(pay, bills, pop, cal),
        "contacts": contacts_frame(contact_batches, pop, cal, service.closed, streams["contacts"],
                                   streams["texts"]),
        "events": events_frame(pop, cal, service.closed, pay.notices, streams["events"]),
        "weather": weather_frame(climate, cal, streams["weather"]),
    }
    world = offer_world(pop, tables["contacts"], streams["offers"])  # #18: offers of service products
    tables["offers"] = offers_frame(simulate_offers(pop, cal, world, service.closed, streams["offers"]), pop, cal)
    tables["contacts"] = shift_applications(tables["contacts"], pop, cal, service.closed, applications_rng)
    truth = _truth(pop, cal, service, pay, bills.first_after(cal.n_days), interval_who, power_factor, opens)
    truth = pd.concat([truth, anomaly_truth(anomalies, cal).set_axis(truth.index)], axis=1).__finalize__(truth)
    tables["inspections"] = inspections_frame(tables["customers"], truth, first_day, last_day, streams["inspections"])
    published = bills.published
    bill_truth = pd.DataFrame(
        {"p_arrears": pay.p_arrears.T[published.T]},
        index=pd.Index(bills.bill_id.T[published.T], name="bill_id"),
    )
    logger.info("synth: done in %.1f s (%s)", time.perf_counter() - t0,
                ", ".join(f"{k}={len(v):,}" for k, v in tables.items()))
    return SyntheticData(
        dataset=Dataset(tables, extracted_on=last_day + pd.Timedelta(days=1)),
        truth=truth,
        bill_truth=bill_truth,
        offer_truth=world.truth(pop.ids),
    )
