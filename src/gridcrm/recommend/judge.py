"""How product recommendations are judged, on what happened after ``as_of`` (plain functions).

- :func:`replay_precision_at_k` (the champion metric): of the offers made in the ``horizon_days``
  after ``as_of`` that matched a recommendation (the customer was offered one of its top ``k``
  products), the share accepted within ``horizon_days`` — the "replay" estimate of precision@k,
  unbiased when the later offers did not follow the recommendations (higher is better);
- :func:`expected_precision_at_k`: on synthetic data, the mean true acceptance probability of
  the recommended products (the precision@k expected if every recommendation were offered);
- :func:`top_decile_lift`: on synthetic data, the campaign metric — per product, the mean true
  acceptance probability of the tenth of its eligible customers a score ranks highest over
  that of all its eligible customers, averaged over the products weighted by their eligible customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.errors import InputError

__all__ = ["expected_precision_at_k", "replay_precision_at_k", "top_decile_lift"]


def _top(recommended: pd.DataFrame, k: int) -> pd.DataFrame:
    missing = [c for c in ("customer_id", "product", "rank") if c not in recommended.columns]
    if missing:
        raise InputError(f"recommended: column(s) {missing} missing; columns are {list(recommended.columns)}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k must be a whole number >= 1, got {k!r}")
    return recommended.loc[recommended["rank"] <= k, ["customer_id", "product"]]


def replay_precision_at_k(recommended: pd.DataFrame, offers: pd.DataFrame, as_of: pd.Timestamp | str, *,
                          k: int = 3, horizon_days: int = 90) -> float:
    """Share of the later offers of a recommended product that were accepted within the horizon.

    Parameters
    ----------
    recommended : DataFrame
        ``customer_id``, ``product``, ``rank`` (from :meth:`ProductRecommender.recommend`).
    offers : DataFrame
        The offers table (``customer_id``, ``product``, ``offered_on``, ``accepted_on``).
    as_of : Timestamp-like
        Offers made in ``[as_of, as_of + horizon_days)`` are judged.
    k, horizon_days : int

    Returns
    -------
    float
        NaN when no later offer matched a recommendation.

    Examples
    --------
    >>> rec = pd.DataFrame({"customer_id": [1, 1, 2], "product": ["a", "b", "a"], "rank": [1, 2, 1]})
    >>> offers = pd.DataFrame({"customer_id": [1, 1, 2, 2], "product": ["a", "c", "a", "b"],
    ...     "offered_on": pd.to_datetime(["2024-07-02", "2024-07-02", "2024-08-01", "2024-08-01"]),
    ...     "accepted_on": pd.to_datetime(["2024-07-10", "2024-07-05", None, "2024-08-02"])})
    >>> replay_precision_at_k(rec, offers, "2024-07-01", k=3)
    0.5
    """
    from gridcrm.recommend.recommender import offer_labels

    start = pd.Timestamp(as_of).normalize()
    later = offers[(offers["offered_on"] >= start) & (offers["offered_on"] < start + pd.Timedelta(days=horizon_days))]
    hit = later.merge(_top(recommended, k).drop_duplicates(), on=["customer_id", "product"], how="inner")
    if hit.empty:
        return float("nan")
    return float(offer_labels(hit, horizon_days).mean())


def expected_precision_at_k(recommended: pd.DataFrame, true_propensity: pd.DataFrame, *, k: int = 3) -> float:
    """Mean true acceptance probability of the recommended products (rank <= ``k``).

    ``true_propensity``: customers (index) × products (columns), e.g. the ``p_<product>`` columns of
    :attr:`gridcrm.data.synth.SyntheticData.offer_truth` without their prefix.

    Examples
    --------
    >>> rec = pd.DataFrame({"customer_id": [1, 1, 2], "product": ["a", "b", "a"], "rank": [1, 2, 1]})
    >>> truth = pd.DataFrame({"a": [0.5, 0.1], "b": [0.3, 0.9]}, index=[1, 2])
    >>> round(expected_precision_at_k(rec, truth), 3)
    0.3
    """
    top = _top(recommended, k)
    if top.empty:
        return float("nan")
    rows = true_propensity.index.get_indexer(top["customer_id"])
    cols = true_propensity.columns.get_indexer(top["product"])
    if (rows < 0).any() or (cols < 0).any():
        raise InputError("true_propensity lacks some recommended customers or products")
    return float(true_propensity.to_numpy(dtype=float)[rows, cols].mean())


def top_decile_lift(scores: pd.DataFrame, true_propensity: pd.DataFrame, eligible: pd.DataFrame, *,
                    min_customers: int = 100) -> float:
    """Mean top-decile lift of a score over the products (weighted by their eligible customers).

    For each product with at least ``min_customers`` eligible customers: the customers whose score
    is at or above its 90th percentile (ties included: a score equal for everyone selects everyone,
    lift 1), their mean true propensity divided by that of every eligible customer.

    Parameters
    ----------
    scores, true_propensity, eligible : DataFrame
        Customers × products (same index and columns): a score ranking customers per product (e.g.
        learned propensities), the true propensities, and eligibility (bool).
    min_customers : int

    Returns
    -------
    float
        NaN when no product has ``min_customers`` eligible customers.

    Examples
    --------
    >>> truth = pd.DataFrame({"a": [0.1] * 90 + [0.5] * 10})
    >>> eligible = truth > 0
    >>> round(top_decile_lift(truth, truth, eligible, min_customers=10), 2)  # 0.5 / 0.14
    3.57
    >>> top_decile_lift(truth * 0 + 1, truth, eligible, min_customers=10)  # the same score for all: no lift
    1.0
    """
    for name, frame in (("scores", scores), ("eligible", eligible)):
        if not frame.index.equals(true_propensity.index) or list(frame.columns) != list(true_propensity.columns):
            raise InputError(f"top_decile_lift: {name} must have the customers (index) and products (columns) of "
                             "true_propensity")
    s, t, e = (f.to_numpy(dtype=float) for f in (scores, true_propensity, eligible))
    lifts, weights = [], []
    for j in range(t.shape[1]):
        at = (e[:, j] > 0) & ~np.isnan(t[:, j]) & ~np.isnan(s[:, j])
        if at.sum() < min_customers or t[at, j].mean() <= 0:
            continue
        top = s[at, j] >= np.quantile(s[at, j], 0.9)
        lifts.append(t[at, j][top].mean() / t[at, j].mean())
        weights.append(at.sum())
    return float(np.average(lifts, weights=weights)) if lifts else float("nan")
