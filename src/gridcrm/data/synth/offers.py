"""Offers of the utility's service products and their uptake, with the true propensities behind them.

Each customer has six latent *needs* (one per product class of ``configs/products.yaml``:
power quality, business handling, cash flow, communication, energy saving, value-added
services), built from what happened to it in the simulation (outage and voltage complaints,
repairs, applications, its credit, price sensitivity, satisfaction, size, growth) plus a
part nobody observes, and a latent *responsiveness* to offers. The true probability that
the customer accepts product ``p`` within 90 days of an offer is

    ``sigmoid(base_p + weight_p × need[class_p] + side_p × need[second_p] + 0.5 × responsiveness)``

and does not change over the window. The utility's campaigns offer products month by month:
big customers (not residential, 50 kVA or more) more often, each offer one product drawn
among those the utility targets at the customer's kind (its own, simpler targeting than the
catalogue's rules), through a channel that suits the customer. An acceptance comes 1 to 89
days after the offer; one after the extract date is not known yet (``accepted_on`` missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.data.schemas import OFFER_CHANNELS
from gridcrm.data.synth.calendar import Calendar
from gridcrm.data.synth.customers import Population

__all__ = ["NEEDS", "OFFER_CHANNELS", "OFFER_PRODUCTS", "OfferWorld", "offer_world", "offers_frame", "simulate_offers"]

#: The latent needs, one per product class.
NEEDS: tuple[str, ...] = ("power_quality", "business_handling", "cash_flow", "communication", "energy_saving",
                          "value_added")

_ALL, _BIG, _LARGE = 0, 1, 2  # whom the utility's campaigns target: anyone, big customers, 315 kVA or more
#: (product id, need, weight, second need, its weight, base log-odds, target) of each product.
OFFER_PRODUCTS: tuple[tuple[str, int, float, int, float, float, int], ...] = (
    ("quality_testing", 0, 1.3, 4, 0.3, -2.6, _BIG),
    ("safety_inspection", 0, 1.0, 1, 0.4, -2.3, _BIG),
    ("equipment_management", 0, 1.2, 1, 0.5, -2.9, _LARGE),
    ("fast_fault_repair", 0, 1.4, 3, 0.3, -2.8, _ALL),
    ("expansion_service", 1, 1.5, 4, 0.2, -2.9, _BIG),
    ("outage_coordination", 1, 0.9, 0, 0.6, -2.4, _BIG),
    ("accident_investigation", 1, 0.8, 0, 0.6, -3.0, _LARGE),
    ("emergency_plan", 1, 0.9, 0, 0.7, -2.7, _LARGE),
    ("instalment_prepayment", 2, 1.4, 5, 0.2, -2.7, _ALL),
    ("financial_payment", 2, 1.3, 1, 0.4, -3.0, _BIG),
    ("account_manager_visits", 3, 1.2, 5, 0.3, -2.1, _LARGE),
    ("liaison_service", 3, 1.0, 0, 0.4, -2.4, _BIG),
    ("customer_forum", 3, 0.6, 5, 0.5, -1.9, _BIG),
    ("fast_complaint_handling", 3, 1.5, 0, 0.3, -2.4, _ALL),
    ("energy_audit", 4, 1.3, 2, 0.3, -2.6, _BIG),
    ("energy_performance_contract", 4, 1.1, 1, 0.4, -3.2, _LARGE),
    ("electrification", 4, 1.2, 1, 0.3, -3.1, _ALL),
    ("usage_report", 5, 1.1, 4, 0.4, -2.3, _ALL),
    ("personalised_bill", 5, 0.9, 2, 0.5, -2.6, _ALL),
    ("demand_side_consulting", 5, 0.9, 4, 0.6, -2.8, _LARGE),
    ("training", 5, 0.8, 0, 0.5, -2.5, _BIG),
    ("customer_care", 5, 1.0, 3, 0.4, -2.2, _ALL),
)
_RES = 0  # position of "residential" in CUSTOMER_CLASSES


class OfferWorld:
    """The latent needs, responsiveness and true propensities of every customer (arrays by position)."""

    def __init__(self, needs: np.ndarray, responsiveness: np.ndarray, propensity: np.ndarray) -> None:
        self.needs = needs
        self.responsiveness = responsiveness
        self.propensity = propensity

    def truth(self, ids: np.ndarray) -> pd.DataFrame:
        """``need_<class>`` and ``p_<product>`` per customer, indexed by ``customer_id``."""
        cols = {f"need_{n}": self.needs[:, j] for j, n in enumerate(NEEDS)}
        cols.update({f"p_{p[0]}": self.propensity[:, i] for i, p in enumerate(OFFER_PRODUCTS)})
        return pd.DataFrame(cols, index=pd.Index(ids, name="customer_id"))


def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def _counts(contacts: pd.DataFrame, pos: pd.Series, n: int, kind: str, categories: tuple[str, ...] | None = None
            ) -> np.ndarray:
    rows = contacts["kind"].astype(str) == kind
    if categories is not None:
        rows &= contacts["category"].isin(categories)
    where = pos.reindex(contacts.loc[rows, "customer_id"].to_numpy()).to_numpy()
    return np.bincount(where[~np.isnan(where)].astype(np.int64), minlength=n).astype(np.float64)


def offer_world(pop: Population, contacts: pd.DataFrame, rng: np.random.Generator) -> OfferWorld:
    """Draw every customer's needs, responsiveness and true propensities from what happened to it."""
    n = len(pop)
    pos = pd.Series(np.arange(n, dtype=np.float64), index=pop.ids)
    quality = _counts(contacts, pos, n, "complaint", ("outage", "voltage")) + _counts(contacts, pos, n, "repair")
    applied = _counts(contacts, pos, n, "application", ("capacity_change", "new_connection"))
    complaints = _counts(contacts, pos, n, "complaint") + 0.3 * _counts(contacts, pos, n, "call")
    size = np.log(np.maximum(pop.kva, 1.0))
    use = np.log1p(np.maximum(pop.base, 0.0))
    big = (pop.cls != _RES).astype(np.float64)
    eps = rng.standard_normal((n, len(NEEDS)))
    needs = np.column_stack([
        0.9 * _z(np.log1p(quality)) + 0.5 * _z(pop.voltage >= 10) + 0.6 * eps[:, 0],
        0.6 * _z(size) + 0.7 * _z(np.log1p(applied)) + 0.5 * _z(pop.trend) + 0.6 * eps[:, 1],
        0.9 * _z(-pop.credit) + 0.4 * _z(use) + 0.3 * _z(pop.price_sens) + 0.6 * eps[:, 2],
        0.8 * _z(np.log1p(complaints)) + 0.5 * _z(-pop.satisfaction) + 0.3 * _z(big) + 0.6 * eps[:, 3],
        0.6 * _z(use) + 0.5 * _z(pop.price_sens) + 0.4 * _z(pop.heat) + 0.6 * eps[:, 4],
        0.6 * _z(use) + 0.4 * _z(-pop.conn) + 0.4 * _z(big) + 0.6 * eps[:, 5],
    ])
    responsiveness = rng.standard_normal(n)
    need, weight, second, side, base = (np.array([p[k] for p in OFFER_PRODUCTS]) for k in (1, 2, 3, 4, 5))
    logit = base + weight * needs[:, need.astype(int)] + side * needs[:, second.astype(int)] \
        + 0.5 * responsiveness[:, None]
    return OfferWorld(needs, responsiveness, 1.0 / (1.0 + np.exp(-logit)))


def simulate_offers(pop: Population, cal: Calendar, world: OfferWorld, closed: np.ndarray,
                    rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Monthly campaigns from the third month of the window: who is offered what, when, and whether accepted.

    Returns parallel arrays ``customer`` (position), ``product`` (index), ``day``, ``channel`` and
    ``accepted_day`` (-1: not accepted, or not by the extract date).
    """
    n = len(pop)
    big = (pop.cls != _RES) & (pop.kva >= 50)
    large = pop.kva >= 315
    target = np.array([p[6] for p in OFFER_PRODUCTS])
    offerable = np.column_stack([np.ones(n, bool) if t == _ALL else (big if t == _BIG else large) for t in target])
    rate = np.where(big, 0.22, 0.06)  # offers per customer and month
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("customer", "product", "day", "channel", "accepted_day")}
    for month_start in range(60, cal.n_days, 30):
        who = np.flatnonzero((rng.random(n) < rate) & (closed > month_start + 30))
        if not len(who):
            continue
        day = month_start + rng.integers(0, min(30, cal.n_days - month_start), size=len(who))
        choices = offerable[who]
        # one product per offer, uniform among those the campaign targets at the customer
        u = rng.random(len(who)) * choices.sum(axis=1)
        product = np.argmax(np.cumsum(choices, axis=1) > u[:, None], axis=1)
        channel = np.where(big[who], rng.choice([0, 1], size=len(who), p=[0.6, 0.4]),
                           rng.choice([1, 2, 3, 4, 5], size=len(who), p=[0.15, 0.3, 0.25, 0.2, 0.1]))
        accepted = rng.random(len(who)) < world.propensity[who, product]
        delay = 1 + np.minimum(rng.geometric(1 / 18, size=len(who)) - 1, 88)
        accepted_day = np.where(accepted & (day + delay < cal.n_days) & (day + delay < closed[who]), day + delay, -1)
        for k, v in (("customer", who), ("product", product), ("day", day), ("channel", channel),
                     ("accepted_day", accepted_day)):
            out[k].append(v)
    return {k: (np.concatenate(v) if v else np.array([], dtype=np.int64)) for k, v in out.items()}


def offers_frame(offers: dict[str, np.ndarray], pop: Population, cal: Calendar) -> pd.DataFrame:
    """The ``offers`` table (schema :data:`gridcrm.data.schemas.OFFERS`), sorted by its key."""
    accepted = offers["accepted_day"] >= 0
    accepted_on = np.where(accepted, cal.dates(np.where(accepted, offers["accepted_day"], 0)),
                           np.datetime64("NaT", "ns"))
    frame = pd.DataFrame({
        "customer_id": pop.ids[offers["customer"]].astype(np.int64),
        "offered_on": cal.dates(offers["day"]),
        "product": pd.array(np.array([p[0] for p in OFFER_PRODUCTS], dtype=object)[offers["product"]], dtype="str"),
        "channel": pd.Categorical.from_codes(offers["channel"].astype(np.int64), categories=list(OFFER_CHANNELS)),
        "accepted_on": accepted_on,
    })
    frame = frame.sort_values(["customer_id", "offered_on", "product"], kind="stable")
    return frame.drop_duplicates(["customer_id", "offered_on", "product"]).reset_index(drop=True)
