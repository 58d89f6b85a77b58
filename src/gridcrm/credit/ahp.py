"""The analytic hierarchy process (AHP): pairwise comparisons, priorities, consistency, groups.

A *pairwise comparison matrix* ``A`` holds judgements ``a_ij`` — how many times
element ``i`` matters more than element ``j`` on Saaty's 1–9 scale — with
``a_ji = 1 / a_ij`` and ``a_ii = 1``. From it:

- priority weights ``w`` (summing to 1): the principal right eigenvector of ``A``
  (Saaty 1977; the default) or the normalised row geometric means (Crawford &
  Williams 1985);
- ``λmax``, the principal eigenvalue (``λmax ≥ n``, equal iff ``A`` is consistent);
- the consistency index ``CI = (λmax − n) / (n − 1)`` and the consistency ratio
  ``CR = CI / RI(n)``, with Saaty's random index table :data:`SAATY_RANDOM_INDEX`.
  Judgements with ``CR ≥ 0.1`` should be revised: :meth:`AHPResult.inconsistency`
  says which, and what value the weights imply.

Matrices are built and validated in :mod:`gridcrm.credit.pairwise`; group
decisions are aggregated in :mod:`gridcrm.credit.group`.

References
----------
Saaty, T. L. (1977). A scaling method for priorities in hierarchical structures.
*Journal of Mathematical Psychology* 15(3), 234–281.
Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.
Saaty, T. L. (2003). Decision-making with the AHP: Why is the principal eigenvector
necessary. *European Journal of Operational Research* 145(1), 85–91.
Crawford, G. & Williams, C. (1985). A note on the analysis of subjective judgment
matrices. *Journal of Mathematical Psychology* 29(4), 387–405.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from gridcrm.credit.errors import AHPError, InconsistencyError, InconsistencyWarning
from gridcrm.credit.pairwise import SCALE_VALUES, PairwiseMatrix, format_judgement, pairwise_matrix

__all__ = [
    "SAATY_RANDOM_INDEX",
    "AHPResult",
    "ahp_weights",
    "random_index",
]

logger = logging.getLogger(__name__)

#: Saaty's random index RI(n): the mean CI of random reciprocal matrices of order n
#: (Saaty 1980). For n ≤ 2 every reciprocal matrix is consistent, so RI = 0 and CR = 0.
SAATY_RANDOM_INDEX: Mapping[int, float] = MappingProxyType(
    {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
)

Method = Literal["eigenvector", "geometric"]
OnInconsistent = Literal["warn", "raise", "ignore"]


# --------------------------------------------------------------------------- priorities


def random_index(n: int, table: Mapping[int, float] | None = None) -> float:
    """The random index RI(n) (Saaty's table by default).

    Raises
    ------
    AHPError
        ``n`` is not in the table: pass a ``table`` with it, or split the level.

    Examples
    --------
    >>> random_index(4), random_index(2)
    (0.9, 0.0)
    """
    tab = SAATY_RANDOM_INDEX if table is None else table
    if n <= 2:
        return 0.0
    if n not in tab:
        raise AHPError(
            f"no random index for n = {n} in the table (it has n = {sorted(tab)}): pass random_index={{{n}: ...}} "
            "from a published extension, or split the level into sub-criteria (Saaty advises at most 7 ± 2 "
            "elements per comparison)"
        )
    return float(tab[n])


@dataclass(frozen=True, eq=False)
class AHPResult:
    """Priorities and consistency of one pairwise comparison matrix.

    Attributes
    ----------
    weights : pandas.Series
        Priority weights, summing to 1, indexed by the labels (0…n−1 when unlabelled).
    lambda_max : float
        Principal eigenvalue of the matrix (whatever the weighting method).
    ci : float
        Consistency index ``(λmax − n) / (n − 1)`` (0 for n ≤ 2).
    ri : float
        Random index used.
    cr : float
        Consistency ratio ``CI / RI`` (0 for n ≤ 2).
    method : {"eigenvector", "geometric"}
    matrix : PairwiseMatrix
    cr_threshold : float
        The judgements are called consistent when ``cr < cr_threshold``.
    name : str or None
        What was compared (for messages).
    """

    weights: pd.Series
    lambda_max: float
    ci: float
    ri: float
    cr: float
    method: str
    matrix: PairwiseMatrix
    cr_threshold: float = 0.1
    name: str | None = None

    @property
    def n(self) -> int:
        """Number of elements compared."""
        return self.matrix.n

    @property
    def consistent(self) -> bool:
        """``cr < cr_threshold``."""
        return bool(self.cr < self.cr_threshold)

    def inconsistency(self) -> pd.DataFrame:
        """Judgements ranked by how much they add to the inconsistency.

        For each pair ``(i, j)`` with ``i`` before ``j``:

        - ``judgement``: the given ``a_ij``;
        - ``implied``: ``w_i / w_j``, the value consistent with the weights;
        - ``error_ratio``: ``e_ij = a_ij · w_j / w_i`` (1 when consistent);
        - ``contribution``: ``(e_ij + 1/e_ij − 2) / n``, the pair's part of
          ``λmax − n``. With eigenvector weights the contributions add up exactly to
          ``λmax − n`` (``Σ_ij e_ij = n·λmax``, Saaty 2003), so ``share`` is each
          judgement's share of the inconsistency;
        - ``best_value``: the value of Saaty's scale that, changing this judgement
          alone (and its reciprocal), gives the smallest ``λmax``, and ``cr_if_best``
          the CR it would give.

        Returns
        -------
        pandas.DataFrame
            Largest share first.

        Examples
        --------
        A consistent matrix (weights 8:4:2:1) with one judgement turned around:

        >>> j = {("a", "b"): 2, ("a", "c"): 4, ("a", "d"): "1/2", ("b", "c"): 2, ("b", "d"): 4, ("c", "d"): 2}
        >>> top = ahp_weights(j, on_inconsistent="ignore").inconsistency().iloc[0]
        >>> print(f"({top.a}, {top.b}) = {top.judgement}: best {top.best_value} -> CR {top.cr_if_best:.3f}")
        (a, d) = 0.5: best 8.0 -> CR 0.000
        """
        a = self.matrix.values
        w = self.weights.to_numpy()
        n = a.shape[0]
        names: Sequence[Any] = self.matrix.labels if self.matrix.labels is not None else list(range(n))
        iu, ju = np.triu_indices(n, k=1)
        judged = a[iu, ju]
        implied = w[iu] / w[ju]
        err = judged / implied
        contrib = (err + 1 / err - 2) / n
        total = contrib.sum()
        share = contrib / total if total > 0 else np.zeros_like(contrib)
        best, best_cr = _best_single_changes(a, iu, ju, self.ri)
        frame = pd.DataFrame(
            {
                "a": [names[i] for i in iu],
                "b": [names[j] for j in ju],
                "judgement": judged,
                "implied": implied,
                "error_ratio": err,
                "contribution": contrib,
                "share": share,
                "best_value": best,
                "cr_if_best": best_cr,
            }
        )
        return frame.sort_values("share", ascending=False, kind="stable").reset_index(drop=True)

    def describe_inconsistency(self, top: int = 3) -> str:
        """One sentence on the judgements that contribute most to the inconsistency."""
        parts = []
        for row in self.inconsistency().head(top).itertuples():
            parts.append(
                f"({row.a}, {row.b}) = {format_judgement(row.judgement)} where the weights imply "
                f"{row.implied:.3g} ({row.share:.0%} of the inconsistency; changing it alone to "
                f"{format_judgement(row.best_value)} gives CR {row.cr_if_best:.3f})"
            )
        return "; ".join(parts)

    def to_frame(self) -> pd.DataFrame:
        """Weights with their rank, one row per element."""
        return pd.DataFrame({"weight": self.weights, "rank": self.weights.rank(ascending=False, method="min")})

    def __str__(self) -> str:
        what = f"{self.name}: " if self.name else ""
        ws = ", ".join(f"{k} {v:.3f}" for k, v in self.weights.items())
        return (
            f"{what}{ws} | λmax {self.lambda_max:.3f}, CI {self.ci:.3f}, CR {self.cr:.3f}"
            f"{'' if self.consistent else ' (inconsistent)'}"
        )


def _best_single_changes(a: np.ndarray, iu: np.ndarray, ju: np.ndarray, ri: float) -> tuple[np.ndarray, np.ndarray]:
    """For each pair, the scale value minimising λmax when only that judgement changes."""
    n = a.shape[0]
    best = np.ones(len(iu))
    best_cr = np.zeros(len(iu))
    if n <= 2:
        return a[iu, ju].copy(), best_cr
    for k, (i, j) in enumerate(zip(iu, ju, strict=True)):
        batch = np.repeat(a[None, :, :], len(SCALE_VALUES), axis=0)
        batch[:, i, j] = SCALE_VALUES
        batch[:, j, i] = 1 / SCALE_VALUES
        lam = np.linalg.eigvals(batch).real.max(axis=1)
        m = int(np.argmin(lam))
        best[k] = SCALE_VALUES[m]
        best_cr[k] = max(0.0, (lam[m] - n) / (n - 1)) / ri if ri > 0 else 0.0
    return best, best_cr


def _principal_eigen(a: np.ndarray) -> tuple[float, np.ndarray]:
    n = a.shape[0]
    if n == 1:
        return 1.0, np.ones(1)
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    vec = vecs[:, k].real
    vec = np.abs(vec)  # the Perron vector of a positive matrix has one sign
    return lam, vec / vec.sum()


def ahp_weights(
    matrix: Any,
    method: Method = "eigenvector",
    *,
    labels: Sequence[str] | None = None,
    cr_threshold: float = 0.1,
    on_inconsistent: OnInconsistent = "warn",
    random_index_table: Mapping[int, float] | None = None,
    name: str | None = None,
) -> AHPResult:
    """Priority weights and consistency of a pairwise comparison matrix.

    Parameters
    ----------
    matrix : PairwiseMatrix, array-like, DataFrame, mapping or triples
        Anything :func:`pairwise_matrix` accepts (it is validated).
    method : {"eigenvector", "geometric"}
        Principal right eigenvector (Saaty; default) or normalised row geometric
        means (logarithmic least squares). ``λmax``, CI and CR are properties of the
        matrix and are the same for both.
    labels : sequence of str, optional
        Element names for an unlabelled matrix.
    cr_threshold : float
        CR at or above which the judgements are inconsistent (Saaty's 0.1).
    on_inconsistent : {"warn", "raise", "ignore"}
        What to do when ``cr ≥ cr_threshold``: an :class:`InconsistencyWarning`
        (default) or an :class:`InconsistencyError`, both naming the judgements
        that contribute most and the values the weights imply.
    random_index_table : mapping of int to float, optional
        RI by n; Saaty's :data:`SAATY_RANDOM_INDEX` by default (n ≤ 10).
    name : str, optional
        What is compared, for messages.

    Returns
    -------
    AHPResult

    Raises
    ------
    JudgementError
        Invalid matrix (see :class:`PairwiseMatrix`).
    InconsistencyError
        ``cr ≥ cr_threshold`` and ``on_inconsistent="raise"``.

    Examples
    --------
    Saaty's (2008) drinks example, relative consumption of drinks in the US:

    >>> drinks = [[1, 9, 5, 2, 1, 1, "1/2"],
    ...           ["1/9", 1, "1/3", "1/9", "1/9", "1/9", "1/9"],
    ...           ["1/5", 3, 1, "1/3", "1/4", "1/3", "1/9"],
    ...           ["1/2", 9, 3, 1, "1/2", 1, "1/3"],
    ...           [1, 9, 4, 2, 1, 2, "1/2"],
    ...           [1, 9, 3, 1, "1/2", 1, "1/3"],
    ...           [2, 9, 9, 3, 2, 3, 1]]
    >>> r = ahp_weights(drinks, labels=["coffee", "wine", "tea", "beer", "sodas", "milk", "water"])
    >>> r.weights.round(3).tolist()
    [0.177, 0.019, 0.042, 0.116, 0.19, 0.129, 0.327]
    >>> round(r.cr, 3), r.consistent
    (0.022, True)
    """
    if method not in ("eigenvector", "geometric"):
        raise ValueError(f"method must be 'eigenvector' or 'geometric', got {method!r}")
    if on_inconsistent not in ("warn", "raise", "ignore"):
        raise ValueError(f"on_inconsistent must be 'warn', 'raise' or 'ignore', got {on_inconsistent!r}")
    if not (isinstance(cr_threshold, (int, float)) and cr_threshold > 0):
        raise ValueError(f"cr_threshold must be a positive number, got {cr_threshold!r}")
    pm = pairwise_matrix(matrix, labels)
    a = pm.values
    n = pm.n
    lam, w_eig = _principal_eigen(a)
    if method == "eigenvector":
        w = w_eig
    else:
        g = np.exp(np.log(a).mean(axis=1))
        w = g / g.sum()
    ci = max(0.0, (lam - n) / (n - 1)) if n > 2 else 0.0
    ri = random_index(n, random_index_table)
    cr = ci / ri if ri > 0 else 0.0
    index = pd.Index(pm.labels) if pm.labels is not None else pd.RangeIndex(n)
    result = AHPResult(
        weights=pd.Series(w, index=index, name="weight"),
        lambda_max=lam if n > 2 else float(n),
        ci=ci,
        ri=ri,
        cr=cr,
        method=method,
        matrix=pm,
        cr_threshold=float(cr_threshold),
        name=name,
    )
    if not result.consistent and on_inconsistent != "ignore":
        what = f" in {name!r}" if name else ""
        message = (
            f"inconsistent judgements{what}: CR = {cr:.3f} ≥ {cr_threshold:g} (n = {n}, λmax = {lam:.3f}, "
            f"CI = {ci:.3f}). Most inconsistent: {result.describe_inconsistency()}. Revise these judgements "
            "(AHPResult.inconsistency() lists all), or set on_inconsistent='ignore' to accept them."
        )
        if on_inconsistent == "raise":
            raise InconsistencyError(message, result)
        warnings.warn(message, InconsistencyWarning, stacklevel=2)
    logger.debug("AHP %s: %s", name or "matrix", result)
    return result
