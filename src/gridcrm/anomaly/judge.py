"""How an anomaly detector is judged: precision of its top list for the thefts recorded after ``as_of``.

A plain function, no tracking store: :mod:`gridcrm.tracking` calls it to compare a new model
version with the champion on the same customers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridcrm.errors import InputError

__all__ = ["recorded_theft_recall_at_top"]


def recorded_theft_recall_at_top(recorded_after: Sequence[int] | np.ndarray | pd.Series,
                                 score: Sequence[float] | np.ndarray | pd.Series, top_share: float = 0.01) -> float:
    """Share of the thefts recorded after ``as_of`` that the scores at ``as_of`` put in their top ``top_share``.

    Inspectors find thefts the model did not point to as well, so this is a recall of the list against a
    biased sample of the true thefts; it is the figure a utility can compute without ground truth, and
    higher is better.

    Parameters
    ----------
    recorded_after : array-like of {0, 1}
        Per customer, whether a theft was recorded (``events``) in the period after ``as_of``.
    score : array-like of float
        The detector's score at ``as_of`` for the same customers; NaN counts as the lowest.
    top_share : float
        Share of the customers listed (0 < top_share <= 1); ties at the cut are broken by position.

    Returns
    -------
    float
        NaN when no theft was recorded after ``as_of``.

    Examples
    --------
    >>> recorded_theft_recall_at_top([0, 1, 0, 1, 0, 0, 0, 0, 0, 0], [.1, .9, .2, .3, .8, 0, 0, 0, 0, 0], 0.2)
    0.5
    """
    y = np.asarray(recorded_after).astype(bool)
    s = np.nan_to_num(np.asarray(score, dtype=np.float64), nan=-np.inf)
    if y.shape != s.shape:
        raise InputError(f"recorded_after and score must be one value per customer, got {y.shape} and {s.shape}")
    if not 0 < top_share <= 1:
        raise InputError(f"top_share must be a share in (0, 1], got {top_share!r}")
    if not y.any():
        return float("nan")
    k = max(1, int(round(top_share * len(s))))
    top = np.argsort(-s, kind="stable")[:k]
    return float(y[top].sum() / y.sum())
