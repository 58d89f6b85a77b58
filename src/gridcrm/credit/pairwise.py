"""Pairwise comparison matrices: reading, validating and formatting judgements.

A *pairwise comparison matrix* ``A`` holds judgements ``a_ij`` — how many times
element ``i`` matters more than element ``j`` on Saaty's 1–9 scale — with
``a_ji = 1 / a_ij`` and ``a_ii = 1``. :class:`PairwiseMatrix` is always valid and
exactly reciprocal; every error names the offending pair.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.credit.errors import JudgementError

__all__ = [
    "SAATY_SCALE",
    "SCALE_VALUES",
    "Judgements",
    "PairwiseMatrix",
    "format_judgement",
    "nearest_scale_value",
    "pairwise_matrix",
    "parse_judgement",
]

#: Bounds of Saaty's fundamental scale: 1/9 … 9.
SAATY_SCALE: tuple[float, float] = (1 / 9, 9.0)
#: The 17 values of Saaty's scale, ascending: 1/9, 1/8, …, 1/2, 1, 2, …, 9.
SCALE_VALUES: np.ndarray = np.array([1 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)])
SCALE_VALUES.setflags(write=False)

Judgements = Mapping[tuple[Hashable, Hashable], Any] | Iterable[Sequence[Any]]

_DEFAULT_RTOL = 0.01
_MAX_LISTED = 5


# --------------------------------------------------------------------------- judgements


def parse_judgement(value: Any, where: str = "judgement") -> float:
    """Read one judgement: a positive number, or a fraction written as a string.

    Parameters
    ----------
    value : int, float or str
        ``3``, ``0.2``, ``"1/3"`` or ``"3"``.
    where : str
        Where the value comes from, for the error message.

    Returns
    -------
    float

    Raises
    ------
    JudgementError
        The value is not a finite positive number.

    Examples
    --------
    >>> parse_judgement("1/3")
    0.3333333333333333
    >>> parse_judgement(5)
    5.0
    """
    if isinstance(value, bool) or value is None:
        raise JudgementError(f"{where}: expected a positive number such as 3 or '1/3', got {value!r}")
    if isinstance(value, str):
        try:
            number = float(Fraction(value.strip().replace(" ", "")))
        except (ValueError, ZeroDivisionError) as exc:
            raise JudgementError(f"{where}: cannot read {value!r} as a number; write e.g. 3 or '1/3'") from exc
    else:
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise JudgementError(f"{where}: expected a positive number such as 3 or '1/3', got {value!r}") from exc
    if not math.isfinite(number) or number <= 0:
        raise JudgementError(f"{where}: judgements must be finite and positive, got {value!r}")
    return number


def nearest_scale_value(x: float) -> float:
    """The value of Saaty's scale (1…9 and 1/2…1/9) nearest to ``x`` on a log scale.

    Examples
    --------
    >>> nearest_scale_value(2.6)
    3.0
    >>> round(nearest_scale_value(0.3), 4)
    0.3333
    """
    if not x > 0:
        raise ValueError(f"x must be positive, got {x!r}")
    below_one = x < 1
    y = 1 / x if below_one else x
    lo = min(9, max(1, math.floor(y)))
    hi = min(9, lo + 1)
    k = lo if math.log(y) - math.log(lo) <= math.log(hi) - math.log(y) else hi
    return 1 / k if below_one else float(k)


def format_judgement(x: float) -> str:
    """Format a judgement for people: ``3``, ``1/3``, ``2.4`` or ``1/2.4``.

    Examples
    --------
    >>> format_judgement(1 / 3), format_judgement(5.0), format_judgement(0.4)
    ('1/3', '5', '1/2.5')
    """
    if x >= 1:
        return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.3g}"
    inv = 1 / x
    return f"1/{inv:.0f}" if abs(inv - round(inv)) < 1e-9 else f"1/{inv:.3g}"


def _pair(labels: Sequence[str] | None, i: int, j: int) -> str:
    if labels is None:
        return f"({i}, {j})"
    return f"({labels[i]}, {labels[j]})"


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


# --------------------------------------------------------------------------- matrix


class PairwiseMatrix:
    """A validated, exactly reciprocal pairwise comparison matrix.

    Parameters
    ----------
    values : array-like of shape (n, n)
        Judgements ``a_ij`` (how many times ``i`` matters more than ``j``). Strings
        such as ``"1/3"`` are read as fractions. One of ``a_ij``/``a_ji`` may be NaN:
        it is filled with the reciprocal of the other (so an upper triangle is enough).
    labels : sequence of str, optional
        Names of the elements, in row order. Errors and weights use them.
    scale : (float, float) or None
        Allowed range of the judgements, Saaty's ``(1/9, 9)`` by default; ``None``
        for matrices of measured ratios that may exceed it.
    reciprocal_rtol : float
        Relative tolerance on ``a_ij · a_ji = 1``, on ``a_ii = 1`` and on the scale
        bounds (``0.333`` for ``1/3`` passes, ``0.3`` does not). Pairs within the
        tolerance are made exactly reciprocal with the geometric mean
        ``sqrt(a_ij / a_ji)``.

    Raises
    ------
    JudgementError
        Not square, a missing judgement (both ``a_ij`` and ``a_ji`` NaN), a
        non-positive or infinite value, a diagonal value other than 1, a pair that is
        not reciprocal, or a value outside the scale; the message names the pair.

    See Also
    --------
    pairwise_matrix : build one from a matrix, a DataFrame or judgements.
    PairwiseMatrix.from_judgements : build one from ``{(a, b): value}``.

    Examples
    --------
    >>> m = PairwiseMatrix([[1, 3], ["1/3", 1]], labels=["payment", "arrears"])
    >>> m.judgement("arrears", "payment")
    0.3333333333333333
    >>> PairwiseMatrix([[1, 3], [3, 1]], labels=["payment", "arrears"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.credit.errors.JudgementError: judgements are not reciprocal: (payment, arrears) = 3 but ... (expected 1/3)
    """

    __slots__ = ("_values", "_labels", "_scale")

    def __init__(
        self,
        values: Any,
        labels: Sequence[str] | None = None,
        *,
        scale: tuple[float, float] | None = SAATY_SCALE,
        reciprocal_rtol: float = _DEFAULT_RTOL,
    ) -> None:
        arr = _as_float_matrix(values, labels)
        lab = _check_labels(labels, arr.shape[0])
        arr = _validate_and_complete(arr, lab, scale, reciprocal_rtol)
        arr.setflags(write=False)
        self._values = arr
        self._labels = lab
        self._scale = scale

    # -- constructors
    @classmethod
    def from_judgements(
        cls,
        judgements: Judgements,
        labels: Sequence[str] | None = None,
        *,
        scale: tuple[float, float] | None = SAATY_SCALE,
        reciprocal_rtol: float = _DEFAULT_RTOL,
    ) -> PairwiseMatrix:
        """Build the matrix from judgements on pairs.

        Parameters
        ----------
        judgements : mapping or iterable
            ``{("payment", "arrears"): 3, ...}`` or ``[("payment", "arrears", 3), ...]``;
            values as in :func:`parse_judgement`. Each unordered pair is needed once;
            giving both directions is allowed when they are reciprocal.
        labels : sequence of str, optional
            Element order; by default the order of first appearance. Needed for a
            single element (no pairs).
        scale, reciprocal_rtol
            As in :class:`PairwiseMatrix`.

        Raises
        ------
        JudgementError
            A missing pair (all are listed), an unknown label, a self-comparison other
            than 1, or contradictory duplicates.

        Examples
        --------
        >>> m = PairwiseMatrix.from_judgements({("a", "b"): 2, ("a", "c"): 4, ("b", "c"): 2})
        >>> m.labels
        ('a', 'b', 'c')
        >>> PairwiseMatrix.from_judgements({("a", "b"): 2, ("a", "c"): 4})
        Traceback (most recent call last):
        ...
        gridcrm.credit.errors.JudgementError: missing judgements: 1 of 3 pairs not given: (b, c)
        """
        triples = _judgement_triples(judgements)
        if labels is None:
            order: list[str] = []
            for a, b, _ in triples:
                for x in (a, b):
                    if x not in order:
                        order.append(x)
            labels = order
        lab = _check_labels(labels, len(labels))
        if lab is None:  # pragma: no cover - labels is never None here
            raise JudgementError("labels are required")
        index = {x: k for k, x in enumerate(lab)}
        n = len(lab)
        arr = np.full((n, n), np.nan)
        np.fill_diagonal(arr, 1.0)
        seen: dict[tuple[int, int], float] = {}
        for a, b, raw in triples:
            for x in (a, b):
                if x not in index:
                    raise JudgementError(f"judgement ({a}, {b}): {x!r} is not one of the elements {list(lab)}")
            value = parse_judgement(raw, where=f"judgement ({a}, {b})")
            i, j = index[a], index[b]
            if i == j:
                if abs(value - 1) > reciprocal_rtol:
                    raise JudgementError(f"judgement ({a}, {a}) = {raw!r}: an element compared with itself must be 1")
                continue
            key, v = ((i, j), value) if i < j else ((j, i), 1 / value)
            if key in seen and abs(seen[key] * (1 / v) - 1) > reciprocal_rtol:
                p, q = lab[key[0]], lab[key[1]]
                raise JudgementError(
                    f"contradictory judgements for ({p}, {q}): given as {format_judgement(seen[key])} "
                    f"and as {format_judgement(v)}; keep one"
                )
            seen[key] = v
            arr[key] = v
            arr[key[::-1]] = 1 / v
        missing = [_pair(lab, i, j) for i in range(n) for j in range(i + 1, n) if (i, j) not in seen]
        if missing:
            total = n * (n - 1) // 2
            raise JudgementError(
                f"missing judgements: {len(missing)} of {total} pairs not given: {_listing(missing)}"
            )
        return cls(arr, lab, scale=scale, reciprocal_rtol=reciprocal_rtol)

    @classmethod
    def from_weights(cls, weights: Mapping[str, float] | pd.Series | Sequence[float]) -> PairwiseMatrix:
        """The perfectly consistent matrix ``a_ij = w_i / w_j`` (no scale bound).

        Examples
        --------
        >>> PairwiseMatrix.from_weights({"a": 0.5, "b": 0.25, "c": 0.125}).judgement("a", "c")
        4.0
        """
        if isinstance(weights, Mapping):
            labels: list[str] | None = [str(k) for k in weights]
            w = np.asarray(list(weights.values()), dtype=float)
        elif isinstance(weights, pd.Series):
            labels = [str(k) for k in weights.index]
            w = weights.to_numpy(dtype=float)
        else:
            labels = None
            w = np.asarray(weights, dtype=float)
        if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise JudgementError(f"weights must be a non-empty vector of positive numbers, got {w!r}")
        return cls(np.outer(w, 1 / w), labels, scale=None)

    # -- accessors
    @property
    def values(self) -> np.ndarray:
        """The matrix (read-only)."""
        return self._values

    @property
    def labels(self) -> tuple[str, ...] | None:
        """Element names, or None."""
        return self._labels

    @property
    def scale(self) -> tuple[float, float] | None:
        """Scale bounds the matrix was checked against."""
        return self._scale

    @property
    def n(self) -> int:
        """Number of elements compared."""
        return int(self._values.shape[0])

    def judgement(self, a: str | int, b: str | int) -> float:
        """``a_ab``, by label or by position."""
        i, j = self._position(a), self._position(b)
        return float(self._values[i, j])

    def _position(self, x: str | int) -> int:
        if self._labels is not None and isinstance(x, str):
            try:
                return self._labels.index(x)
            except ValueError:
                raise KeyError(f"{x!r} is not one of {list(self._labels)}") from None
        return int(x)

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a labelled DataFrame."""
        names = list(self._labels) if self._labels is not None else list(range(self.n))
        return pd.DataFrame(np.array(self._values), index=names, columns=names)

    def judgements(self) -> dict[tuple[str | int, str | int], float]:
        """The upper-triangle judgements ``{(a, b): a_ab}``."""
        names: Sequence[Any] = self._labels if self._labels is not None else range(self.n)
        return {(names[i], names[j]): float(self._values[i, j]) for i in range(self.n) for j in range(i + 1, self.n)}

    def __repr__(self) -> str:
        return f"PairwiseMatrix(n={self.n}, labels={list(self._labels) if self._labels else None})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PairwiseMatrix):
            return NotImplemented
        return self._labels == other._labels and np.array_equal(self._values, other._values)

    __hash__ = None  # type: ignore[assignment]


def _as_float_matrix(values: Any, labels: Sequence[str] | None = None) -> np.ndarray:
    if isinstance(values, PairwiseMatrix):
        return np.array(values.values)
    if isinstance(values, pd.DataFrame):
        values = values.to_numpy(dtype=object)
    raw = np.asarray(values, dtype=object)
    if raw.ndim != 2 or raw.shape[0] != raw.shape[1] or raw.shape[0] == 0:
        raise JudgementError(
            f"a pairwise comparison matrix must be square and non-empty, got shape {raw.shape}"
        )
    names = [str(x) for x in labels] if labels is not None and len(labels) == raw.shape[0] else None
    out = np.empty(raw.shape, dtype=float)
    for (i, j), v in np.ndenumerate(raw):
        if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()):
            out[i, j] = np.nan
        elif isinstance(v, bool):
            raise JudgementError(f"entry {_pair(names, i, j)} is a boolean ({v}); expected a number")
        elif isinstance(v, str):
            try:
                out[i, j] = float(Fraction(v.strip().replace(" ", "")))
            except (ValueError, ZeroDivisionError) as exc:
                raise JudgementError(f"entry {_pair(names, i, j)} = {v!r} is not a number; write e.g. 3 or '1/3'") \
                    from exc
        else:
            try:
                out[i, j] = float(v)
            except (TypeError, ValueError) as exc:
                raise JudgementError(f"entry {_pair(names, i, j)} = {v!r} is not a number") from exc
    return out


def _check_labels(labels: Sequence[str] | None, n: int) -> tuple[str, ...] | None:
    if labels is None:
        return None
    if isinstance(labels, str):
        raise JudgementError(f"labels must be a sequence of names, got the string {labels!r}")
    lab = tuple(str(x) for x in labels)
    if len(lab) != n:
        raise JudgementError(f"{len(lab)} labels for a {n}×{n} matrix: {list(lab)}")
    dupes = sorted({x for x in lab if lab.count(x) > 1})
    if dupes:
        raise JudgementError(f"duplicate labels: {dupes}")
    return lab


def _validate_and_complete(
    arr: np.ndarray, labels: tuple[str, ...] | None, scale: tuple[float, float] | None, rtol: float
) -> np.ndarray:
    n = arr.shape[0]
    arr = arr.copy()
    diag = np.diag(arr)
    bad_diag = [i for i in range(n) if not (np.isfinite(diag[i]) and abs(diag[i] - 1) <= rtol)]
    if bad_diag:
        items = [f"{_pair(labels, i, i)} = {diag[i]:g}" for i in bad_diag]
        raise JudgementError(f"the diagonal must be 1 (an element equals itself): {_listing(items)}")
    np.fill_diagonal(arr, 1.0)
    iu, ju = np.triu_indices(n, k=1)
    upper, lower = arr[iu, ju], arr[ju, iu]
    both_missing = np.isnan(upper) & np.isnan(lower)
    if both_missing.any():
        items = [_pair(labels, i, j) for i, j in zip(iu[both_missing], ju[both_missing], strict=True)]
        raise JudgementError(
            f"missing judgements: {int(both_missing.sum())} of {len(iu)} pairs not given: {_listing(items)}"
        )
    bad = ~np.isnan(arr) & (~np.isfinite(arr) | (arr <= 0))
    if bad.any():
        items = [f"{_pair(labels, i, j)} = {arr[i, j]:g}" for i, j in zip(*np.nonzero(bad), strict=True)]
        hint = " (use NaN, not 0, for the triangle you leave empty)" if np.any(arr[bad] == 0) else ""
        raise JudgementError(f"judgements must be finite and positive: {_listing(items)}{hint}")
    # fill one-sided pairs with the reciprocal
    only_upper = ~np.isnan(upper) & np.isnan(lower)
    only_lower = np.isnan(upper) & ~np.isnan(lower)
    arr[ju[only_upper], iu[only_upper]] = 1 / upper[only_upper]
    arr[iu[only_lower], ju[only_lower]] = 1 / lower[only_lower]
    upper, lower = arr[iu, ju], arr[ju, iu]
    not_recip = np.abs(upper * lower - 1) > rtol
    if not_recip.any():
        items = [
            f"{_pair(labels, i, j)} = {format_judgement(arr[i, j])} but {_pair(labels, j, i)} = "
            f"{format_judgement(arr[j, i])} (expected {format_judgement(1 / arr[i, j])})"
            for i, j in zip(iu[not_recip], ju[not_recip], strict=True)
        ]
        raise JudgementError(f"judgements are not reciprocal: {_listing(items)}")
    if scale is not None:
        lo, hi = scale
        out = (arr < lo * (1 - rtol)) | (arr > hi * (1 + rtol))
        out &= arr >= 1  # report each pair once, by its side ≥ 1
        if out.any():
            items = [f"{_pair(labels, i, j)} = {format_judgement(arr[i, j])}" for i, j in zip(*np.nonzero(out),
                                                                                              strict=True)]
            raise JudgementError(
                f"judgements outside the scale {format_judgement(lo)}…{format_judgement(hi)}: {_listing(items)}; "
                "use scale=None for measured ratios"
            )
    # exact reciprocity, keeping the information of both entries
    sym = np.sqrt(upper / lower)
    arr[iu, ju] = sym
    arr[ju, iu] = 1 / sym
    return arr


def _judgement_triples(judgements: Judgements) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    if isinstance(judgements, Mapping):
        for key, value in judgements.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise JudgementError(f"judgement keys must be pairs (a, b), got {key!r}")
            out.append((str(key[0]), str(key[1]), value))
        return out
    for item in judgements:
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 3:
            raise JudgementError(f"judgements must be (a, b, value) triples, got {item!r}")
        out.append((str(item[0]), str(item[1]), item[2]))
    return out


def pairwise_matrix(
    data: Any,
    labels: Sequence[str] | None = None,
    *,
    scale: tuple[float, float] | None = SAATY_SCALE,
    reciprocal_rtol: float = _DEFAULT_RTOL,
) -> PairwiseMatrix:
    """Build a validated :class:`PairwiseMatrix` from whatever form the judgements are in.

    Parameters
    ----------
    data : PairwiseMatrix, array-like, DataFrame, mapping or iterable of triples
        A full (or upper-triangle, NaN elsewhere) matrix; a square DataFrame whose
        index gives the labels; ``{(a, b): value}``; or ``[(a, b, value), ...]``.
    labels : sequence of str, optional
        Element names (for a matrix) or element order (for judgements).
    scale, reciprocal_rtol
        As in :class:`PairwiseMatrix`.

    Returns
    -------
    PairwiseMatrix

    Examples
    --------
    >>> pairwise_matrix({("payment", "arrears"): 3}).to_frame().round(3)
             payment  arrears
    payment    1.000      3.0
    arrears    0.333      1.0
    """
    if isinstance(data, PairwiseMatrix):
        if labels is not None and tuple(labels) != data.labels:
            return PairwiseMatrix(data.values, labels, scale=scale, reciprocal_rtol=reciprocal_rtol)
        return data
    if isinstance(data, pd.DataFrame):
        if list(data.index) != list(data.columns):
            raise JudgementError(
                f"a DataFrame matrix needs the same labels, in the same order, on rows and columns; "
                f"got index {list(data.index)} and columns {list(data.columns)}"
            )
        return PairwiseMatrix(data, labels if labels is not None else [str(x) for x in data.index],
                              scale=scale, reciprocal_rtol=reciprocal_rtol)
    if isinstance(data, Mapping) or _looks_like_triples(data):
        return PairwiseMatrix.from_judgements(data, labels, scale=scale, reciprocal_rtol=reciprocal_rtol)
    return PairwiseMatrix(data, labels, scale=scale, reciprocal_rtol=reciprocal_rtol)


def _looks_like_triples(data: Any) -> bool:
    if isinstance(data, np.ndarray) or not isinstance(data, Sequence) or not data:
        return False
    first = data[0]
    return (
        isinstance(first, Sequence)
        and not isinstance(first, str)
        and len(first) == 3
        and isinstance(first[0], str)
    )
