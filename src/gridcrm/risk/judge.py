"""How a churn or arrears model is judged: its ROC-AUC on what happened after ``as_of``.

A plain function, no tracking store: :mod:`gridcrm.tracking` calls it to compare
a new model version with the champion on the same customers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridcrm.errors import InputError

__all__ = ["roc_auc_after_as_of"]


def roc_auc_after_as_of(outcome: Sequence[int] | np.ndarray | pd.Series,
                        probability: Sequence[float] | np.ndarray | pd.Series) -> float:
    """ROC-AUC of the probabilities scored at ``as_of`` for what happened after it (higher is better).

    Parameters
    ----------
    outcome : array-like of {0, 1}
        Per customer, whether the event (closure, arrears) happened after ``as_of``
        (``label`` of :func:`~gridcrm.risk.churn_labels` / :func:`~gridcrm.risk.arrears_labels`).
    probability : array-like of float
        The model's probability for the same customers, in the same order; customers
        without one (NaN) are left out.

    Returns
    -------
    float
        ROC-AUC, or NaN when the customers left hold only one outcome.

    Raises
    ------
    gridcrm.errors.InputError
        ``outcome`` and ``probability`` differ in length.

    Examples
    --------
    >>> roc_auc_after_as_of([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(outcome)
    score = np.asarray(probability, dtype="float64")
    if y.shape != score.shape:
        raise InputError(f"outcome and probability must be one value per customer, got {y.shape} and {score.shape}")
    ok = ~np.isnan(score)
    return float(roc_auc_score(y[ok], score[ok])) if len(np.unique(y[ok])) == 2 else float("nan")
