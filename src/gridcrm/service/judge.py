"""How a complaint classifier is judged, on contacts made after ``as_of``.

A plain function, no tracking store: :mod:`gridcrm.tracking` calls it to compare a new
version of ``gridcrm-complaint-classifier`` with the champion on the same texts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gridcrm.errors import InputError

__all__ = ["topic_macro_f1"]


def topic_macro_f1(predicted: Sequence[str] | np.ndarray, topics: Sequence[str] | np.ndarray) -> float:
    """Macro-averaged F1 of predicted topics against the recorded ones (higher is better).

    Parameters
    ----------
    predicted, topics : array-like of str
        One topic id per text, in the same order. The average runs over the topics recorded.

    Returns
    -------
    float
        Macro-F1, or NaN without texts.

    Raises
    ------
    gridcrm.errors.InputError
        The two differ in length.

    Examples
    --------
    >>> round(topic_macro_f1(["outage", "billing", "billing"], ["outage", "billing", "meter"]), 4)
    0.5556
    """
    from sklearn.metrics import f1_score

    p, t = np.asarray(predicted, dtype=object), np.asarray(topics, dtype=object)
    if p.shape != t.shape:
        raise InputError(f"predicted and topics must be one topic per text, got {p.shape} and {t.shape}")
    if len(t) == 0:
        return float("nan")
    return float(f1_score(t.astype(str), p.astype(str), labels=np.unique(t.astype(str)), average="macro",
                          zero_division=0))
