"""Evaluation of theft detection against a generator's ground truth (benchmarks, not the judge)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.errors import InputError

__all__ = ["theft_targets", "r_precision", "evaluate_against_truth"]


def theft_targets(truth: pd.DataFrame, index: pd.Index, as_of: pd.Timestamp | str,
                  min_days: int = 60) -> tuple[pd.Series, pd.Series]:
    """The thefts to find at ``as_of`` and the customers left out of the evaluation.

    A target is a theft active at ``as_of``, started at least ``min_days`` before it and not yet recorded
    (``theft_found_on`` missing or on/after ``as_of``). Left out: thefts started less than ``min_days``
    before ``as_of`` (too new to be judged either way) and thefts already recorded.

    Returns
    -------
    target, left_out : Series of bool
        Indexed like ``index``.
    """
    cut = pd.Timestamp(as_of)
    t = truth.reindex(index)
    start, found = t["theft_from"], t["theft_found_on"]
    active = start.notna() & (start < cut) & ~(found < cut)
    target = active & (start <= cut - pd.Timedelta(days=min_days))
    left_out = (active & ~target) | (found < cut)
    return target.fillna(False).astype(bool), left_out.fillna(False).astype(bool)


def r_precision(target: np.ndarray | pd.Series, score: np.ndarray | pd.Series) -> float:
    """Precision at k = the number of targets (ties broken by position); NaN without a target.

    Examples
    --------
    >>> r_precision([1, 0, 1, 0], [0.9, 0.8, 0.1, 0.0])
    0.5
    """
    y = np.asarray(target).astype(bool)
    s = np.nan_to_num(np.asarray(score, dtype=np.float64), nan=-np.inf)
    k = int(y.sum())
    if k == 0:
        return float("nan")
    return float(y[np.argsort(-s, kind="stable")[:k]].mean())


def evaluate_against_truth(scores: pd.Series, truth: pd.DataFrame, as_of: pd.Timestamp | str, capacity: int, *,
                           legit: pd.Series | None = None, missing_kwh: pd.Series | None = None,
                           horizon_days: int = 365, min_days: int = 60) -> dict[str, float]:
    """ROC-AUC, R-precision, precision and recall at ``capacity``, legitimate share of the top 1 %, recovered kWh.

    Parameters
    ----------
    scores : Series
        Score per customer (higher = inspect first), indexed by ``customer_id``.
    truth : DataFrame
        ``theft_from`` and ``theft_found_on`` per customer.
    capacity : int
        Inspections available.
    legit : Series of bool, optional
        Customers with a legitimate drop (for the share of the top 1 % they fill).
    missing_kwh : Series, optional
        True kWh/day not metered per customer (0 for honest ones): recovered kWh per inspection over
        ``horizon_days`` of the listed targets.

    Returns
    -------
    dict
        ``n_targets``, ``roc_auc``, ``r_precision``, ``precision_at_capacity``, ``recall_at_capacity``,
        ``legit_share_top1pct`` (if ``legit``), ``kwh_per_inspection`` (if ``missing_kwh``).
    """
    from sklearn.metrics import roc_auc_score

    if isinstance(capacity, bool) or not isinstance(capacity, (int, np.integer)) or capacity < 1:
        raise InputError(f"capacity must be a whole number >= 1, got {capacity!r}")
    target, left_out = theft_targets(truth, scores.index, as_of, min_days)
    keep = ~left_out.to_numpy()
    y = target.to_numpy()[keep]
    s = np.nan_to_num(scores.to_numpy(dtype=np.float64)[keep], nan=-np.inf)
    order = np.argsort(-s, kind="stable")
    top = order[:capacity]
    out = {
        "n_customers": float(keep.sum()),
        "n_targets": float(y.sum()),
        "roc_auc": float(roc_auc_score(y, np.where(np.isinf(s), -1e300, s))) if 0 < y.sum() < len(y) else np.nan,
        "r_precision": r_precision(y, s),
        "precision_at_capacity": float(y[top].mean()),
        "recall_at_capacity": float(y[top].sum() / max(y.sum(), 1)),
    }
    if legit is not None:
        one_pct = order[: max(1, len(s) // 100)]
        out["legit_share_top1pct"] = float(legit.reindex(scores.index).fillna(False).to_numpy(dtype=bool)[keep][
            one_pct].mean())
    if missing_kwh is not None:
        m = missing_kwh.reindex(scores.index).fillna(0.0).to_numpy(dtype=np.float64)[keep]
        out["kwh_per_inspection"] = float((m[top] * y[top]).sum() * horizon_days / capacity)
    return out
