"""How a customer segmentation is judged: silhouette of its segments in a fixed space.

A plain function, no tracking store: :mod:`gridcrm.tracking` calls it to compare
a new segmenter version with the champion. The space is the same for both — the
clustered features scaled to their ranks — so that neither model's own scaling
decides the comparison.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridcrm.errors import InputError

__all__ = ["silhouette_rank_space"]


def silhouette_rank_space(features: pd.DataFrame, labels: Sequence[int] | np.ndarray | pd.Series, *,
                          max_rows: int = 5000, random_state: int = 0) -> float:
    """Silhouette of ``labels`` with each feature scaled to its rank (higher is better).

    Parameters
    ----------
    features : DataFrame
        The clustered features, one row per customer (numbers only; no id column).
        Each column is replaced by its percentile rank; a missing value sits in the middle (0.5).
    labels : array-like of int
        The segment of each row.
    max_rows : int
        Rows scored: a random sample of this size when there are more (the silhouette
        costs the square of the rows).
    random_state : int
        Seed of the sample; fixed, so that two models are scored on the same rows.

    Returns
    -------
    float
        The mean silhouette, or ``-inf`` when the sample holds fewer than two segments.

    Raises
    ------
    gridcrm.errors.InputError
        ``labels`` is not one value per row of ``features``.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 10.0, 11.0, 12.0]})  # ranks: evenly spaced, whatever the gap
    >>> round(silhouette_rank_space(X, [0, 0, 0, 1, 1, 1]), 3)
    0.514
    """
    from sklearn.metrics import silhouette_score

    labels = np.asarray(labels)
    if labels.shape != (len(features),):
        raise InputError(f"labels must be one segment per row of features ({len(features)}), got shape {labels.shape}")
    space = features.rank(pct=True).fillna(0.5).to_numpy()
    sample = np.random.default_rng(random_state).permutation(len(space))[:max_rows]
    if len(np.unique(labels[sample])) < 2:
        return float("-inf")
    return float(silhouette_score(space[sample], labels[sample]))
