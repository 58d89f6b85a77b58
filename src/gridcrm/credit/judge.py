"""How a credit score and a customer value score are judged, on what happened after ``as_of``.

Plain functions, no tracking store: :mod:`gridcrm.tracking` calls them to compare
a new model version with the champion on the same customers.

- :func:`arrears_auc`: how well a low credit score points at the customers who fell
  into arrears on their next bill (ROC-AUC, higher is better);
- :func:`future_revenue_spearman`: how well the value score orders customers by the
  revenue billed to them in the 90 days after ``as_of`` (Spearman, higher is better),
  with :func:`revenue_after` for that revenue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from gridcrm.errors import InputError

__all__ = ["arrears_auc", "future_revenue_spearman", "revenue_after"]


def _pair(a: object, b: object, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if x.shape != y.shape or x.ndim != 1:
        raise InputError(f"{names[0]} and {names[1]} must be one value per customer, got shapes {x.shape} and {y.shape}")
    return x, y


def arrears_auc(score: Sequence[float] | np.ndarray | pd.Series,
                arrears: Sequence[int] | np.ndarray | pd.Series) -> float:
    """ROC-AUC of a low credit score for arrears after ``as_of`` (higher is better).

    Parameters
    ----------
    score : array-like of float
        Credit scores (0–100, high = creditworthy); customers without one (NaN) are left out.
    arrears : array-like of {0, 1}
        Per customer, in the same order: whether the next bill after ``as_of`` fell
        into arrears (``label`` of :func:`gridcrm.risk.arrears_labels`).

    Returns
    -------
    float
        ROC-AUC of ``-score``, or NaN when the customers left hold only one outcome.

    Raises
    ------
    gridcrm.errors.InputError
        ``score`` and ``arrears`` differ in length.

    Examples
    --------
    >>> arrears_auc([90.0, 80.0, 40.0, 55.0], [0, 0, 1, 1])
    1.0
    """
    from sklearn.metrics import roc_auc_score

    s, y = _pair(score, arrears, ("score", "arrears"))
    ok = ~np.isnan(s)
    return float(roc_auc_score(y[ok], -s[ok])) if len(np.unique(y[ok])) == 2 else float("nan")


def revenue_after(bills: pd.DataFrame, as_of: pd.Timestamp | str, customers: Iterable[int],
                  days: int = 90) -> pd.Series:
    """Revenue billed to each customer in the ``days`` after ``as_of`` (0 for customers with no bill).

    Parameters
    ----------
    bills : DataFrame
        The bills table (``customer_id``, ``issued_on``, ``amount``), e.g. ``Dataset.bills``.
    as_of : Timestamp or str
        First day counted.
    customers : iterable of int
        Customer ids, in the order wanted.
    days : int
        Length of the window.

    Returns
    -------
    Series
        Indexed by ``customers``: the sum of ``amount`` over bills issued in
        ``[as_of, as_of + days)``.

    Examples
    --------
    >>> bills = pd.DataFrame({"customer_id": [1, 1, 2], "amount": [10.0, 5.0, 7.0],
    ...                       "issued_on": pd.to_datetime(["2024-01-10", "2024-06-01", "2024-02-01"])})
    >>> revenue_after(bills, "2024-01-01", [1, 2, 3]).tolist()
    [10.0, 7.0, 0.0]
    """
    start = pd.Timestamp(as_of)
    later = bills[(bills["issued_on"] >= start) & (bills["issued_on"] < start + pd.Timedelta(days=days))]
    return later.groupby("customer_id")["amount"].sum().reindex(pd.Index(customers), fill_value=0.0)


def future_revenue_spearman(value_score: Sequence[float] | np.ndarray | pd.Series,
                            revenue: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Spearman correlation of the value score with the revenue billed after ``as_of`` (higher is better).

    Parameters
    ----------
    value_score : array-like of float
        Customer value scores.
    revenue : array-like of float
        Per customer, in the same order: the revenue after ``as_of`` (:func:`revenue_after`).

    Returns
    -------
    float

    Raises
    ------
    gridcrm.errors.InputError
        ``value_score`` and ``revenue`` differ in length.

    Examples
    --------
    >>> future_revenue_spearman([3.0, 1.0, 2.0], [300.0, 10.0, 20.0])
    1.0
    """
    from scipy.stats import spearmanr

    x, y = _pair(value_score, revenue, ("value_score", "revenue"))
    return float(spearmanr(x, y).statistic)
