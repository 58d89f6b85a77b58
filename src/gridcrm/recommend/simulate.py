"""A second offer simulator, written independently of :mod:`gridcrm.data.synth.offers`, to judge recommenders.

Where the main generator derives six latent *needs* from the simulated events and gives each
product one need, this world is a random *latent-factor* model over any customer frame: each
customer's taste is a random projection of its standardised numeric columns plus hidden
factors nobody observes, each product has a random taste vector and base rate, and

    ``p(customer, product) = sigmoid(base_product + strength × <taste_customer, taste_product> / sqrt(d))``.

Offers go uniformly at random to products the *catalogue* says the customer may have (the
main generator targets by its own rules), a Poisson number per customer over the period,
and an acceptance follows 1 to 60 days later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.errors import InputError
from gridcrm.recommend.catalogue import ProductCatalogue, load_product_catalogue

__all__ = ["OfferSimulation", "simulate_offer_history"]


@dataclass(frozen=True)
class OfferSimulation:
    """Simulated offers (the ``offers`` table's columns) and the true propensities (customers × products)."""

    offers: pd.DataFrame
    propensity: pd.DataFrame


def simulate_offer_history(X: pd.DataFrame, start: pd.Timestamp | str, end: pd.Timestamp | str, *,
                           catalogue: ProductCatalogue | None = None, offers_per_year: float = 1.5,
                           dims: int = 4, hidden_share: float = 0.4, strength: float = 2.0,
                           seed: int = 0) -> OfferSimulation:
    """Simulate offers to the customers of ``X`` between ``start`` and ``end`` (exclusive).

    Parameters
    ----------
    X : DataFrame
        Customers (index ``customer_id``) with the columns the catalogue's rules read; its numeric
        columns drive the tastes.
    start, end : Timestamp-like
    catalogue : ProductCatalogue, optional
        Default: the shipped one.
    offers_per_year : float
        Mean offers per customer and year.
    dims : int
        Taste dimensions.
    hidden_share : float
        Share (0 to 1) of a taste's variance that no column of ``X`` explains.
    strength : float
        How much tastes move the log-odds.
    seed : int

    Returns
    -------
    OfferSimulation

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"contracted_kva": np.linspace(5, 600, 50), "complaints_365d": np.arange(50) % 3,
    ...                   "tenure_years": np.linspace(0, 30, 50), "bills_365d": 12.0},
    ...                  index=pd.Index(np.arange(50), name="customer_id"))
    >>> sim = simulate_offer_history(X, "2024-01-01", "2024-12-31", seed=1)
    >>> sim.propensity.shape, set(sim.offers.columns) >= {"customer_id", "offered_on", "product", "accepted_on"}
    ((50, 22), True)
    """
    cat = load_product_catalogue(catalogue)
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if last <= first:
        raise InputError(f"simulate_offer_history: end must be after start, got {first.date()} and {last.date()}")
    if not 0 <= hidden_share <= 1:
        raise InputError(f"simulate_offer_history: hidden_share must be between 0 and 1, got {hidden_share!r}")
    rng = np.random.default_rng(seed)
    numeric = X.select_dtypes(include=["number", "bool"]).astype(float)
    Z = ((numeric - numeric.mean()) / numeric.std(ddof=0).replace(0, 1)).fillna(0.0).clip(-4, 4).to_numpy()
    n, m = len(X), len(cat)
    W = rng.standard_normal((Z.shape[1], dims)) / np.sqrt(max(Z.shape[1], 1))
    seen = np.tanh(Z @ W)
    seen = (seen - seen.mean(axis=0)) / np.where(seen.std(axis=0) > 0, seen.std(axis=0), 1.0)
    taste = np.sqrt(1 - hidden_share) * seen + np.sqrt(hidden_share) * rng.standard_normal((n, dims))
    item = rng.standard_normal((m, dims))
    rate = rng.uniform(0.03, 0.15, m)
    base = np.log(rate / (1 - rate))  # logit of the base rate
    p = 1 / (1 + np.exp(-(base + strength * taste @ item.T / np.sqrt(dims))))
    propensity = pd.DataFrame(p, index=X.index, columns=cat.ids)

    eligible = cat.eligibility(X).to_numpy()
    days = (last - first).days
    count = rng.poisson(offers_per_year * days / 365.25, n) * eligible.any(axis=1)
    who = np.repeat(np.arange(n), count)
    # a uniform product among the customer's eligible ones
    u = rng.random(len(who)) * eligible[who].sum(axis=1)
    product = np.argmax(np.cumsum(eligible[who], axis=1) > u[:, None], axis=1)
    offered = first + pd.to_timedelta(rng.integers(0, days, len(who)), unit="D")
    accepted = rng.random(len(who)) < p[who, product]
    delay = pd.to_timedelta(rng.integers(1, 61, len(who)), unit="D")
    accepted_on = pd.Series(offered + delay).where(accepted)
    accepted_on = accepted_on.where(accepted_on < last)
    offers = pd.DataFrame({"customer_id": X.index.to_numpy()[who], "offered_on": offered,
                           "product": np.array(cat.ids, dtype=object)[product], "channel": "phone",
                           "accepted_on": accepted_on.to_numpy()})
    offers = offers.sort_values(["customer_id", "offered_on", "product"]).drop_duplicates(
        ["customer_id", "offered_on", "product"])
    return OfferSimulation(offers.reset_index(drop=True), propensity)
