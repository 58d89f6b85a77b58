"""Group decisions: aggregating several experts' judgements (AIJ) or priorities (AIP).

Aggregation of individual judgements (AIJ) takes the element-wise weighted
geometric mean of the experts' matrices; it is the only aggregation that keeps
the result reciprocal and on the scale (Aczél & Saaty 1983), and it is the
standard for a group that acts as one (Forman & Peniwati 1998). Aggregation of
individual priorities (AIP) takes the weighted geometric mean of the experts'
priority vectors, for experts who act as separate individuals.

References
----------
Aczél, J. & Saaty, T. L. (1983). Procedures for synthesizing ratio judgements.
*Journal of Mathematical Psychology* 27(1), 93–102.
Forman, E. & Peniwati, K. (1998). Aggregating individual judgments and priorities
with the analytic hierarchy process. *EJOR* 108(1), 165–169.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.credit.ahp import AHPResult, ahp_weights  # noqa: F401  (ahp_weights used in doctests)
from gridcrm.credit.errors import AHPError, JudgementError
from gridcrm.credit.pairwise import SAATY_SCALE, PairwiseMatrix, pairwise_matrix

__all__ = ["aggregate_judgements", "aggregate_priorities"]


# --------------------------------------------------------------------------- groups


def _expert_weights(weights: Mapping[str, float] | Sequence[float] | None, keys: list[Any]) -> np.ndarray:
    if weights is None:
        return np.full(len(keys), 1 / len(keys))
    if isinstance(weights, Mapping):
        unknown = sorted(set(map(str, weights)) - set(map(str, keys)))
        missing = [k for k in keys if k not in weights]
        if unknown or missing:
            raise AHPError(f"expert weights must name exactly the experts {keys}; unknown {unknown}, "
                           f"missing {missing}")
        lam = np.array([weights[k] for k in keys], dtype=float)
    else:
        lam = np.asarray(weights, dtype=float)
    if lam.shape != (len(keys),) or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise AHPError(f"expert weights must be {len(keys)} positive numbers, got {weights!r}")
    return lam / lam.sum()


def aggregate_judgements(
    judgements: Sequence[Any] | Mapping[str, Any],
    weights: Mapping[str, float] | Sequence[float] | None = None,
    *,
    labels: Sequence[str] | None = None,
    scale: tuple[float, float] | None = SAATY_SCALE,
) -> PairwiseMatrix:
    """Aggregate several experts' judgements by their (weighted) geometric mean (AIJ).

    The element-wise geometric mean of reciprocal matrices is reciprocal, stays on
    the scale, and is the only aggregation that keeps both properties (Aczél &
    Saaty 1983).

    Parameters
    ----------
    judgements : sequence or mapping of matrices/judgements
        One entry per expert, each anything :func:`pairwise_matrix` accepts; a
        mapping ``{expert: judgements}`` names the experts.
    weights : mapping or sequence of float, optional
        Experts' weights (normalised to sum 1); equal by default.
    labels : sequence of str, optional
        Element order of the result (and labels for unlabelled matrices).
    scale : (float, float) or None
        Scale the individual matrices are checked against.

    Returns
    -------
    PairwiseMatrix

    Raises
    ------
    AHPError
        No expert, experts comparing different elements, or bad weights.

    Examples
    --------
    >>> m = aggregate_judgements({"finance": {("payment", "arrears"): 4},
    ...                           "marketing": {("payment", "arrears"): 1}})
    >>> m.judgement("payment", "arrears")
    2.0
    """
    if isinstance(judgements, Mapping):
        keys: list[Any] = list(judgements)
        items = [judgements[k] for k in keys]
    else:
        items = list(judgements)
        keys = list(range(len(items)))
    if not items:
        raise AHPError("no expert judgements to aggregate")
    mats = []
    for k, item in zip(keys, items, strict=True):
        try:
            mats.append(pairwise_matrix(item, labels if not isinstance(item, (Mapping, PairwiseMatrix)) else None,
                                        scale=scale))
        except JudgementError as exc:
            raise JudgementError(f"expert {k!r}: {exc}") from exc
    order = labels if labels is not None else mats[0].labels
    logs = []
    for k, m in zip(keys, mats, strict=True):
        if order is None or m.labels is None:
            if m.n != mats[0].n:
                raise AHPError(f"expert {k!r} compares {m.n} elements, expert {keys[0]!r} {mats[0].n}")
            logs.append(np.log(m.values))
            continue
        if set(m.labels) != set(order):
            raise AHPError(
                f"expert {k!r} compares {sorted(m.labels)}, not the same elements as {sorted(order)}"
            )
        idx = [m.labels.index(x) for x in order]
        logs.append(np.log(m.values[np.ix_(idx, idx)]))
    lam = _expert_weights(weights, keys)
    agg = np.exp(np.tensordot(lam, np.stack(logs), axes=1))
    return PairwiseMatrix(agg, list(order) if order is not None else None, scale=scale)


def aggregate_priorities(
    results: Sequence[AHPResult] | Mapping[str, AHPResult],
    weights: Mapping[str, float] | Sequence[float] | None = None,
) -> pd.Series:
    """Aggregate experts' priority vectors by their weighted geometric mean (AIP).

    Use it when experts act as separate individuals; use
    :func:`aggregate_judgements` (AIJ) when they act as one group.

    Examples
    --------
    >>> a = ahp_weights({("x", "y"): 4})
    >>> b = ahp_weights({("x", "y"): 1})
    >>> aggregate_priorities([a, b]).round(3).tolist()  # sqrt(0.8 * 0.5) : sqrt(0.2 * 0.5)
    [0.667, 0.333]
    """
    if isinstance(results, Mapping):
        keys: list[Any] = list(results)
        items = [results[k] for k in keys]
    else:
        items = list(results)
        keys = list(range(len(items)))
    if not items:
        raise AHPError("no priorities to aggregate")
    index = items[0].weights.index
    for k, r in zip(keys, items, strict=True):
        if set(r.weights.index) != set(index):
            raise AHPError(f"expert {k!r} weighs {list(r.weights.index)}, not {list(index)}")
    lam = _expert_weights(weights, keys)
    logw = np.stack([np.log(r.weights.reindex(index).to_numpy()) for r in items])
    g = np.exp(np.tensordot(lam, logw, axes=1))
    return pd.Series(g / g.sum(), index=index, name="weight")
