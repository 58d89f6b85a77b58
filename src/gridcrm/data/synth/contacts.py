"""Service contacts: hotline calls, complaints, repairs, applications and surveys.

Each month, every open account makes contacts at rates that depend on its
class and satisfaction (routine calls, attitude and meter complaints,
repairs, business applications, routine surveys), on the bill just issued
(a bill shock brings billing calls and billing/tariff complaints, more so for
price-sensitive customers) and on its region's outages that month (outage
calls, outage and voltage complaints, repairs). Complaints and repairs are
often followed by a satisfaction survey; scores are lower after a complaint.
Applications also mark new connections, capacity increases (before a level
shift up) and account closures. A large customer negotiating with a competing
retailer (before it switches) calls about tariffs and bills and complains
about tariffs more often; a business in financial distress calls about
payments and applies to reduce its capacity. A legitimate level shift often comes with
an application (:func:`shift_applications`, #16): 40 % of the household changes behind a home's
step change the account holder (``name_transfer``) within 30 days of it, and half of the
businesses that downsize apply to reduce their contracted capacity 10–40 days before.
Contacts happen mostly in office hours.
Every contact but a survey has a topic (``contacts.topic``, from its cause), a channel, a repeat flag (same topic within 30 days)
and a closing time: lognormal hours around a median per topic, slower in some regions, left
empty while the ticket is still open at the extraction date. Complaints carry a text in Chinese or
English written for their topic (:mod:`gridcrm.data.synth.texts`). Topics, channels, texts and
closing times are drawn from the ``texts`` stream, so every other column stays as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.data.schemas import CONTACT_KINDS, CONTACT_TOPICS, CONTACTS
from gridcrm.data.synth.calendar import DAY_NS, Calendar
from gridcrm.data.synth.customers import NEVER, Population
from gridcrm.data.synth.frames import build_frame
from gridcrm.data.synth.texts import complaint_texts

__all__ = ["CATEGORIES", "month_contacts", "lifecycle_contacts", "contacts_frame", "shift_applications",
           "CONTACT_ID_BASE"]

#: Contact ids are ``CONTACT_ID_BASE + 0 .. n - 1`` in order of time.
CONTACT_ID_BASE = 700_000_000
#: Topics of contacts (``contacts.category``).
CATEGORIES: tuple[str, ...] = (
    "billing", "tariff", "outage", "voltage", "service_attitude", "meter", "inquiry", "payment", "line",
    "new_connection", "capacity_change", "name_transfer", "account_closure",
    "complaint_followup", "repair_followup", "routine",
)
CALL, COMPLAINT, REPAIR, APPLICATION, SURVEY = range(len(CONTACT_KINDS))
_C = {name: k for k, name in enumerate(CATEGORIES)}
_DAYS_PER_MONTH = 30.4
# Multiplier of routine contact rates by class (residential .. large_industry).
_CLASS_RATE = np.array([1.0, 2.0, 2.5, 1.2, 4.0])
# (kind, category, monthly rate per account) of contacts spread over the month.
_ROUTINE = (
    (CALL, "inquiry", 0.020), (CALL, "payment", 0.005), (COMPLAINT, "service_attitude", 0.0016),
    (COMPLAINT, "meter", 0.001), (REPAIR, "meter", 0.002), (REPAIR, "line", 0.002), (SURVEY, "routine", 0.006),
)
_APPLICATION_RATE = {"capacity_change": np.array([0.0002, 0.004, 0.006, 0.002, 0.01]),
                     "name_transfer": np.array([0.001, 0.002, 0.0005, 0.0005, 0.0])}
# (kind, category, rate per unit of bill shock) of contacts in the days after a bill.
_AFTER_BILL = ((CALL, "billing", 0.02), (COMPLAINT, "billing", 0.006), (COMPLAINT, "tariff", 0.003))
# (kind, category, rate per unit of outage severity) of contacts just after an outage.
_AFTER_OUTAGE = ((CALL, "outage", 0.02), (COMPLAINT, "outage", 0.005), (COMPLAINT, "voltage", 0.0024),
                 (REPAIR, "outage", 0.006))
# (kind, category, monthly rate) of the extra contacts of a large customer shopping for a retailer ...
_SHOPPING = ((CALL, "tariff", 0.5), (CALL, "billing", 0.4), (COMPLAINT, "tariff", 0.15),
             (APPLICATION, "capacity_change", 0.06))
# ... and of a business in financial distress.
_DISTRESS = ((CALL, "payment", 0.3), (APPLICATION, "capacity_change", 0.05))
_FOLLOW_UP = {COMPLAINT: ("complaint_followup", 0.5), REPAIR: ("repair_followup", 0.3)}
_OFFICE_HOURS = np.array([0.2] * 7 + [1, 3, 5, 5, 4, 3, 4, 5, 5, 4, 3] + [2, 1.5, 1, 0.7, 0.5, 0.3])
#: Topic (``contacts.topic``) of each category.
TOPIC_OF: dict[str, str] = {
    "billing": "billing", "tariff": "billing", "payment": "billing", "outage": "outage", "line": "outage",
    "voltage": "voltage", "meter": "meter", "service_attitude": "service_attitude",
    "inquiry": "other", "name_transfer": "business_handling", "account_closure": "business_handling",
    "new_connection": "connection", "capacity_change": "connection",
    "complaint_followup": "other", "repair_followup": "other", "routine": "other",
}
# Median hours to close a ticket, per topic (order of CONTACT_TOPICS), and the spread (sd of log hours).
_CLOSE_HOURS = np.array([30.0, 5.0, 60.0, 70.0, 50.0, 90.0, 200.0, 12.0])
_CLOSE_SPREAD = 0.8
_CHANNEL_SHARE = {"phone": 0.6, "app": 0.15, "wechat": 0.1, "counter": 0.15}
_REPEAT_DAYS = 30
# Applications that come with a legitimate level shift (#16): a new account holder for a home's new
# household, a capacity reduction before a business downsizes.
_TRANSFER_SHARE, _REDUCTION_SHARE = 0.4, 0.5
# Kinds of contact whose text the extract keeps (calls and applications are classified by the agent).
_TEXT_KINDS = (COMPLAINT,)


def _rates(table: tuple, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kinds = np.array([k for k, _, _ in table])
    cats = np.array([_C[c] for _, c, _ in table])
    return kinds, cats, scale[:, None] * np.array([r for _, _, r in table])[None, :]


def _draw(rng: np.random.Generator, rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson number of contacts per account (row) and, for each, the component (column) it comes from."""
    total = rates.sum(axis=1)
    who = np.repeat(np.arange(len(rates)), rng.poisson(total))
    cum = np.cumsum(rates[who], axis=1)
    u = rng.random(len(who)) * cum[:, -1]
    return who, np.minimum((cum < u[:, None]).sum(axis=1), rates.shape[1] - 1)


def _outage_days(rng: np.random.Generator, region: np.ndarray, severity: np.ndarray) -> np.ndarray:
    """For each contact of ``region``, one outage day (column of ``severity``) drawn by severity."""
    r_out, d_out = np.nonzero(severity)
    cum = np.cumsum(severity[r_out, d_out])
    lo = np.searchsorted(r_out, region, side="left")
    hi = np.searchsorted(r_out, region, side="right")
    before = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
    total = cum[np.maximum(hi - 1, 0)] - before
    k = np.searchsorted(cum, before + rng.random(len(region)) * total, side="right")
    return d_out[np.clip(k, lo, np.maximum(hi - 1, lo))]


def month_contacts(pop: Population, alive: np.ndarray, first: np.ndarray, stop: int, shock: np.ndarray,
                   bill_day: np.ndarray, outage: np.ndarray, lo: int, rng: np.random.Generator,
                   shopping_from: np.ndarray | None = None,
                   distress_from: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Contacts made in one month by the accounts open in it.

    Parameters
    ----------
    pop : Population
    alive : ndarray of int
        Customers (positions) open at some point of the month.
    first : ndarray of int
        Each one's first day in the month; ``stop`` is the first day after it.
    shock : ndarray
        Shock ratio of the bill issued this month (1 when none).
    bill_day : ndarray of int
        Day the bill was issued.
    outage : ndarray, shape (n_regions, stop - lo)
        Outage severity of each region on each day of the month.
    lo : int
        First day of the month.
    rng : numpy.random.Generator
    shopping_from, distress_from : ndarray of int, optional
        Day each customer started negotiating with a competing retailer, and
        the onset of its financial distress (``NEVER``: none); from that day
        on it makes the extra contacts of ``_SHOPPING`` / ``_DISTRESS``.

    Returns
    -------
    dict
        ``customer`` (position), ``day``, ``kind`` and ``category`` codes.
    """
    exposure = (stop - first) / _DAYS_PER_MONTH
    cls = pop.cls[alive]
    routine = _CLASS_RATE[cls] * exposure
    kinds, cats, rates = _rates(_ROUTINE, routine)
    unhappy = 1.6 - pop.satisfaction[alive]
    rates[:, kinds == COMPLAINT] *= unhappy[:, None]
    app_rates = np.stack([r[cls] * exposure for r in _APPLICATION_RATE.values()], axis=1)
    rates = np.concatenate([rates, app_rates], axis=1)
    kinds = np.concatenate([kinds, [APPLICATION] * len(_APPLICATION_RATE)])
    cats = np.concatenate([cats, [_C[c] for c in _APPLICATION_RATE]])
    who, comp = _draw(rng, rates)
    out = {"customer": [alive[who]], "day": [first[who] + (rng.random(len(who)) * (stop - first[who])).astype(int)],
           "kind": [kinds[comp]], "category": [cats[comp]]}

    pain = np.maximum(np.exp(2.0 * np.clip(np.log(shock), 0.0, 1.5)) - 1.0, 0.0) * (0.5 + pop.price_sens[alive])
    kinds, cats, rates = _rates(_AFTER_BILL, pain * ((bill_day >= first) & (bill_day < stop)))
    rates[:, kinds == COMPLAINT] *= unhappy[:, None]
    who, comp = _draw(rng, rates)
    out["customer"].append(alive[who])
    out["day"].append(np.clip(bill_day[who] + rng.integers(0, 10, len(who)), first[who], stop - 1))
    out["kind"].append(kinds[comp])
    out["category"].append(cats[comp])

    region = pop.region[alive]
    hit = outage.sum(axis=1)[region] * (stop - first) / max(stop - lo, 1)
    kinds, cats, rates = _rates(_AFTER_OUTAGE, hit)
    industrial = (cls == 2) | (cls == 4)
    rates[:, cats == _C["voltage"]] *= (1.0 + industrial)[:, None]
    rates[:, kinds == COMPLAINT] *= unhappy[:, None]
    who, comp = _draw(rng, rates)
    day = lo + _outage_days(rng, region[who], outage) + rng.integers(0, 2, len(who))
    out["customer"].append(alive[who])
    out["day"].append(np.clip(day, first[who], stop - 1))
    out["kind"].append(kinds[comp])
    out["category"].append(cats[comp])

    for table, since in ((_SHOPPING, shopping_from), (_DISTRESS, distress_from)):
        if since is None:
            continue
        begin = np.clip(since, first, stop)
        kinds, cats, rates = _rates(table, (stop - begin) / _DAYS_PER_MONTH)
        who, comp = _draw(rng, rates)
        out["customer"].append(alive[who])
        out["day"].append(begin[who] + (rng.random(len(who)) * (stop - begin[who])).astype(int))
        out["kind"].append(kinds[comp])
        out["category"].append(cats[comp])
    return {key: np.concatenate(parts).astype(np.int64) for key, parts in out.items()}


def lifecycle_contacts(pop: Population, cal: Calendar, closed: np.ndarray,
                       rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Applications for new connections, capacity increases (10–40 days before a shift up) and account closures."""
    new = np.flatnonzero(pop.conn >= 0)
    lead = rng.integers(10, 41, len(pop))
    grow = np.flatnonzero((pop.shift_day < NEVER) & (pop.shift_factor > 1.05) & (pop.cls > 0))
    grow_day = pop.shift_day[grow] - lead[grow]
    grow = grow[(grow_day >= np.maximum(pop.conn[grow], 0)) & (grow_day < cal.n_days)]
    gone = np.flatnonzero(closed < NEVER)
    customer = np.concatenate([new, grow, gone])
    return {
        "customer": customer,
        "day": np.concatenate([pop.conn[new], pop.shift_day[grow] - lead[grow], closed[gone]]),
        "kind": np.full(len(customer), APPLICATION),
        "category": np.repeat([_C["new_connection"], _C["capacity_change"], _C["account_closure"]],
                              [len(new), len(grow), len(gone)]),
    }


def _follow_ups(contacts: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    parts = []
    for kind, (category, p) in _FOLLOW_UP.items():
        src = np.flatnonzero((contacts["kind"] == kind) & (rng.random(len(contacts["kind"])) < p))
        parts.append((contacts["customer"][src], contacts["day"][src] + rng.integers(1, 6, len(src)),
                      np.full(len(src), SURVEY), np.full(len(src), _C[category])))
    return {key: np.concatenate([p[k] for p in parts]) for k, key in enumerate(("customer", "day", "kind", "category"))}


def _days_since_complaint(customer: np.ndarray, day: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """For each contact (sorted by customer, day), days since the customer's last earlier complaint (inf if none)."""
    stamp = customer * 10**7 + day
    last = np.maximum.accumulate(np.where(kind == COMPLAINT, stamp, -1))
    prev = np.concatenate([[-1], last[:-1]])
    return np.where(prev >= customer * 10**7, stamp - prev, np.inf)


def contacts_frame(batches: list[dict[str, np.ndarray]], pop: Population, cal: Calendar, closed: np.ndarray,
                   rng: np.random.Generator, text_rng: np.random.Generator) -> pd.DataFrame:
    """The ``contacts`` table: all contacts up to ``end`` and ``closed_on``, with scores and texts.

    Parameters
    ----------
    batches : list of dict
        Outputs of :func:`month_contacts` and :func:`lifecycle_contacts`.
    pop : Population
    cal : Calendar
    closed : ndarray of int
        ``closed_on`` day offset per customer (``NEVER`` while open).
    rng : numpy.random.Generator
    text_rng : numpy.random.Generator
        Draws of the texts, channels and closing times (its own stream: the other columns
        do not depend on it).
    """
    base = {key: np.concatenate([b[key] for b in batches]) for key in ("customer", "day", "kind", "category")}
    both = _follow_ups(base, rng)
    c = {key: np.concatenate([base[key], both[key]]) for key in base}
    keep = (c["day"] < cal.n_days) & (c["day"] <= closed[c["customer"]]) & (c["day"] >= pop.conn[c["customer"]])
    c = {key: v[keep] for key, v in c.items()}
    order = np.lexsort((c["day"], c["customer"]))
    c = {key: v[order] for key, v in c.items()}
    n = len(order)
    kind, category = c["kind"], c["category"]

    recent = _days_since_complaint(c["customer"], c["day"], kind) <= 60
    sat = pop.satisfaction[c["customer"]]
    mean = 2.4 + 2.2 * sat - 1.4 * (category == _C["complaint_followup"]) - 0.3 * (category == _C["repair_followup"])
    mean -= 0.8 * (recent & (category == _C["routine"]))
    rated = (kind == SURVEY) | ((kind == CALL) & (rng.random(n) < 0.15))
    score = np.clip(np.rint(mean + 0.4 * (kind == CALL) + rng.normal(0.0, 0.7, n)), 1, 5)

    rng.random(n), rng.random(n)  # the draws of the former fixed texts: keep the stream, so `at` is unchanged

    outage_like = np.isin(category, [_C["outage"], _C["voltage"], _C["line"]])
    hours = np.where(outage_like, rng.integers(0, 24, n), rng.choice(24, n, p=_OFFICE_HOURS / _OFFICE_HOURS.sum()))
    at = cal.start_ns + c["day"] * DAY_NS + (hours * 3600 + rng.integers(0, 3600, n)) * 10**9
    by_time = np.lexsort((c["customer"], at))
    topic, channel, text, closed_at, repeat = _tickets(c, kind, category, at, pop, cal, text_rng)
    return build_frame(
        CONTACTS,
        {
            "contact_id": CONTACT_ID_BASE + np.arange(n, dtype=np.int64),
            "customer_id": pop.ids[c["customer"]][by_time],
            "at": at[by_time].view("datetime64[ns]"),
            "kind": kind[by_time],
            "category": np.array(CATEGORIES, dtype=object)[category][by_time],
            "text": text[by_time],
            "satisfaction": np.where(rated, score, np.nan)[by_time],
            "topic": topic[by_time],
            "channel": channel[by_time],
            "closed_at": closed_at[by_time].view("datetime64[ns]"),
            "repeat": repeat[by_time],
        },
    )


def _tickets(c: dict[str, np.ndarray], kind: np.ndarray, category: np.ndarray, at: np.ndarray, pop: Population,
             cal: Calendar, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Topic, channel, text, closing time (ns, NaT while open) and repeat flag of every contact but surveys."""
    n = len(kind)
    has = kind != SURVEY
    topic_code = np.array([CONTACT_TOPICS.index(TOPIC_OF[name]) for name in CATEGORIES])[category]
    topic = np.where(has, np.array(CONTACT_TOPICS, dtype=object)[topic_code], None)
    names = list(_CHANNEL_SHARE)
    drawn = rng.choice(len(names), n, p=np.array(list(_CHANNEL_SHARE.values())))
    drawn = np.where(kind == REPAIR, names.index("phone"), drawn)
    channel = np.where(has, np.array(names, dtype=object)[drawn], None)
    anger = (1.0 - pop.satisfaction[c["customer"]]) * np.where(kind == COMPLAINT, 1.0, 0.3)
    text = np.full(n, None, dtype=object)
    rows = np.flatnonzero(np.isin(kind, _TEXT_KINDS))
    text[rows] = complaint_texts(topic[rows], rng, anger=anger[rows])["text"].to_numpy()
    region_pace = np.exp(rng.normal(0.0, 0.3, int(pop.region.max()) + 1))
    hours = _CLOSE_HOURS[topic_code] * region_pace[pop.region[c["customer"]]] * np.exp(
        rng.normal(0.0, _CLOSE_SPREAD, n))
    closed_ns = at + (hours * 3600e9).astype(np.int64)
    extracted_ns = cal.start_ns + cal.n_days * DAY_NS
    nat = np.iinfo(np.int64).min
    closed_at = np.where(has & (closed_ns < extracted_ns), closed_ns, nat)
    order = np.lexsort((at, topic_code, c["customer"]))
    same = (c["customer"][order][1:] == c["customer"][order][:-1]) & (topic_code[order][1:] == topic_code[order][:-1])
    recent = np.diff(at[order]) <= _REPEAT_DAYS * DAY_NS
    repeat = np.zeros(n, dtype=bool)
    repeat[order[1:]] = same & recent & has[order[1:]] & has[order[:-1]]
    return topic, channel, text, closed_at, repeat


def _repeat_flags(customer: np.ndarray, at: np.ndarray, category: pd.Series, topic: pd.Series) -> np.ndarray:
    """The repeat flags of :func:`_tickets` (a survey's category counts for the order, as there)."""
    has = topic.notna().to_numpy()
    lookup = {name: CONTACT_TOPICS.index(TOPIC_OF[name]) for name in CATEGORIES}
    code = category.astype(str).map(lookup).to_numpy(dtype=np.int64)
    order = np.lexsort((at, code, customer))
    same = (customer[order][1:] == customer[order][:-1]) & (code[order][1:] == code[order][:-1])
    recent = np.diff(at[order]) <= _REPEAT_DAYS * DAY_NS
    repeat = np.zeros(len(customer), dtype=bool)
    repeat[order[1:]] = same & recent & has[order[1:]] & has[order[:-1]]
    return repeat


def shift_applications(contacts: pd.DataFrame, pop: Population, cal: Calendar, closed: np.ndarray,
                       rng: np.random.Generator) -> pd.DataFrame:
    """The ``contacts`` table with the applications that come with legitimate level shifts (#16).

    A home's step is a change of household: with probability 0.4 the account holder changes too (a
    ``name_transfer`` application within 30 days of the step). A business that downsizes (a step below
    0.95) applies with probability 0.5 to reduce its contracted capacity (``capacity_change``) 10–40 days
    before. The new rows (their channel and closing time drawn from ``rng``, nothing else drawn again) are
    merged in time order; contact ids are renumbered in time order and the repeat flags recomputed.

    Parameters
    ----------
    contacts : DataFrame
        The table of :func:`contacts_frame`.
    pop : Population
    cal : Calendar
    closed : ndarray of int
        ``closed_on`` day offset per customer (``NEVER`` while open).
    rng : numpy.random.Generator
        Its own stream: the other contacts do not depend on it.
    """
    n = len(pop)
    u, lag, lead = rng.random(n), rng.integers(-30, 31, n), rng.integers(10, 41, n)
    shifted = pop.shift_day < NEVER
    transfer = shifted & (pop.cls == 0) & (u < _TRANSFER_SHARE)
    reduce = shifted & (pop.cls > 0) & (pop.shift_factor < 0.95) & (u < _REDUCTION_SHARE)
    who = np.flatnonzero(transfer | reduce)
    day = np.where(transfer[who], pop.shift_day[who] + lag[who], pop.shift_day[who] - lead[who])
    keep = (day >= np.maximum(pop.conn[who], 0)) & (day < cal.n_days) & (day <= closed[who])
    who, day = who[keep], day[keep]
    m = len(who)
    category = np.where(transfer[who], _C["name_transfer"], _C["capacity_change"])
    hours = rng.choice(24, m, p=_OFFICE_HOURS / _OFFICE_HOURS.sum())
    at = cal.start_ns + day * DAY_NS + (hours * 3600 + rng.integers(0, 3600, m)) * 10**9
    names = list(_CHANNEL_SHARE)
    channel = np.array(names, dtype=object)[rng.choice(len(names), m, p=np.array(list(_CHANNEL_SHARE.values())))]
    topic_code = np.array([CONTACT_TOPICS.index(TOPIC_OF[name]) for name in CATEGORIES])[category]
    close = at + (_CLOSE_HOURS[topic_code] * np.exp(rng.normal(0.0, _CLOSE_SPREAD, m)) * 3600e9).astype(np.int64)
    extracted_ns = cal.start_ns + cal.n_days * DAY_NS
    new = build_frame(
        CONTACTS,
        {
            "contact_id": np.zeros(m, dtype=np.int64),
            "customer_id": pop.ids[who],
            "at": at.view("datetime64[ns]"),
            "kind": np.full(m, APPLICATION),
            "category": np.array(CATEGORIES, dtype=object)[category],
            "text": np.full(m, None, dtype=object),
            "satisfaction": np.full(m, np.nan),
            "topic": np.array(CONTACT_TOPICS, dtype=object)[topic_code],
            "channel": channel,
            "closed_at": np.where(close < extracted_ns, close, np.iinfo(np.int64).min).view("datetime64[ns]"),
            "repeat": np.zeros(m, dtype=bool),
        },
    )
    out = pd.concat([contacts, new], ignore_index=True)
    at_all = out["at"].to_numpy().view("int64")
    cid = out["customer_id"].to_numpy(dtype=np.int64)
    out = out.iloc[np.lexsort((cid, at_all))].reset_index(drop=True)
    out["contact_id"] = CONTACT_ID_BASE + np.arange(len(out), dtype=np.int64)
    repeat = _repeat_flags(out["customer_id"].to_numpy(dtype=np.int64), out["at"].to_numpy().view("int64"),
                           out["category"], out["topic"])
    out["repeat"] = pd.array(repeat, dtype=contacts["repeat"].dtype)
    return out
