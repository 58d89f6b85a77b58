"""Exact TreeSHAP contributions of a LightGBM model, computed once per decision pattern instead of once per row.

LightGBM's ``pred_contrib`` runs TreeSHAP — O(leaves × depth²) — for every row
and tree: a million rows through 300 trees of 15 leaves takes 4–5 minutes on
2 cores. But TreeSHAP reads a row only through the split decisions of the tree
(``Tree::Decision``: which way the row goes at each internal node, on or off
its own path), so rows that take the same decision at every node of a tree get
the same contributions from it, to the last bit. A tree of 15 leaves has 14
splits and so at most 2¹⁴ patterns; a million rows show a few thousand of them.

So, tree by tree: the decisions of every row are evaluated with numpy (the
rules of LightGBM's ``NumericalDecision`` and ``CategoricalDecision``, missing
values included), rows are grouped by pattern, LightGBM's own ``pred_contrib``
runs on one representative row per pattern for that tree alone, and each row
receives its pattern's contributions. The values are LightGBM's, bit for bit,
per tree; summing the trees in order gives the total up to rounding in the
last place (< 1e-14). Trees with more than 63 splits, or whose patterns are
more than half the rows, are sent to ``pred_contrib`` row by row, and linear
trees (``linear_tree``) to ``pred_contrib`` whole. That is the fate of larger
trees on continuous features: with 31 leaves most trees show more patterns
than half of 100,000 rows, and explaining costs what it did before (about
13 minutes per million rows and 300 trees on 2 cores).

Row chunks run in threads (numpy and LightGBM release the GIL), each with its
own copy of the Booster; a row's result does not depend on the chunking or the
number of threads.
"""

from __future__ import annotations

import os
import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

__all__ = ["frame_matrix", "tree_contributions"]

#: LightGBM's ``kZeroThreshold`` (a C++ float): values within it are zero for ``missing_type`` "Zero".
_ZERO = float(np.float32(1e-35))
#: Below this many rows, one ``pred_contrib`` call costs less than grouping rows by pattern.
MIN_ROWS = 4_000
#: Largest number of rows per chunk (bounds the per-chunk buffers).
MAX_CHUNK = 500_000


@dataclass(frozen=True)
class _Split:
    feature: int
    categorical: bool
    threshold: float
    left_categories: np.ndarray  # categorical splits: the category codes that go left
    default_left: bool
    missing_type: str  # "None", "Zero" or "NaN"


def _parse(booster: lgb.Booster, num_iteration: int) -> list[list[_Split]] | None:
    """Every tree's splits, in LightGBM's split order; None for linear trees (not supported here)."""
    trees = []
    for info in booster.dump_model(num_iteration=num_iteration)["tree_info"]:
        nodes = []
        stack = [info["tree_structure"]]
        while stack:
            node = stack.pop()
            if "leaf_coeff" in node or "leaf_features" in node:
                return None
            if "split_index" in node:
                nodes.append(node)
                stack += [node["left_child"], node["right_child"]]
        nodes.sort(key=lambda nd: nd["split_index"])
        splits = []
        for nd in nodes:
            categorical = nd["decision_type"] == "=="
            cats = (np.array([int(c) for c in str(nd["threshold"]).split("||")], dtype=np.int64) if categorical
                    else np.empty(0, dtype=np.int64))
            splits.append(_Split(int(nd["split_feature"]), categorical, 0.0 if categorical else float(nd["threshold"]),
                                 cats, bool(nd["default_left"]), str(nd["missing_type"])))
        trees.append(splits)
    return trees


def frame_matrix(data: pd.DataFrame) -> np.ndarray:
    """The float64 matrix LightGBM predicts from, column-major: ``(n_features, n_rows)``.

    Numeric columns as they are; categorical columns as their category codes,
    NaN for missing (as LightGBM's own pandas conversion does).
    """
    out = np.empty((data.shape[1], len(data)), dtype=np.float64)
    for j, col in enumerate(data.columns):
        s = data[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = s.cat.codes.to_numpy()
            out[j] = codes
            out[j, codes < 0] = np.nan
        else:
            out[j] = s.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


class _Columns:
    """A chunk of the matrix with the per-column masks the decisions need, computed once."""

    def __init__(self, cols: np.ndarray) -> None:
        self.cols = cols
        self._nan: dict[int, np.ndarray | None] = {}
        self._zero: dict[int, np.ndarray] = {}
        self._codes: dict[int, tuple[np.ndarray, int]] = {}

    def nan(self, f: int) -> np.ndarray | None:
        if f not in self._nan:
            m = np.isnan(self.cols[f])
            self._nan[f] = m if m.any() else None
        return self._nan[f]

    def zero(self, f: int) -> np.ndarray:
        """Rows LightGBM treats as zero: |x| ≤ kZeroThreshold, or NaN (NaN becomes 0 for this missing type)."""
        if f not in self._zero:
            x = self.cols[f]
            z = (x >= -_ZERO) & (x <= _ZERO)
            nan = self.nan(f)
            self._zero[f] = z if nan is None else z | nan
        return self._zero[f]

    def codes(self, f: int) -> tuple[np.ndarray, int]:
        """Integer categories (C++ ``static_cast<int>``); NaN and negatives map to a slot that never goes left."""
        if f not in self._codes:
            x = self.cols[f]
            ok = ~np.isnan(x) & (x >= 0) & (x < 2**31)
            idx = np.where(ok, x, 0.0).astype(np.int64)
            size = int(idx.max(initial=0)) + 2
            idx[~ok] = size - 1
            self._codes[f] = (idx, size)
        return self._codes[f]

    def goes_left(self, s: _Split) -> np.ndarray:
        """``Tree::Decision`` for every row: True where the row goes to the left child."""
        if s.categorical:  # NaN and negative codes go right; the others by the split's bitset
            idx, size = self.codes(s.feature)
            table = np.zeros(size, dtype=bool)
            table[s.left_categories[(s.left_categories >= 0) & (s.left_categories < size - 1)]] = True
            return table[idx]
        go = self.cols[s.feature] <= s.threshold  # NaN compares False; handled below
        if s.missing_type == "Zero":
            go[self.zero(s.feature)] = s.default_left
        else:
            nan = self.nan(s.feature)
            if nan is not None:  # "NaN": the default side; "None": NaN is read as 0.0
                go[nan] = s.default_left if s.missing_type == "NaN" else 0.0 <= s.threshold
        return go


def _patterns(splits: list[_Split], columns: _Columns, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(representative row of each pattern, pattern of each row), or None when grouping would not pay."""
    n = len(rows)
    k = len(splits)
    if k > 63:
        return None
    dtype = np.uint16 if k <= 16 else np.uint32 if k <= 32 else np.uint64
    code = np.zeros(n, dtype=dtype)
    for i, s in enumerate(splits):
        bit = columns.goes_left(s).view(np.uint8).astype(dtype)
        np.left_shift(bit, dtype(i), out=bit)
        np.bitwise_or(code, bit, out=code)
    if k <= 20:
        rep = np.full(1 << k, -1, dtype=np.int64)
        rep[code] = rows  # any row of the pattern will do: they share every decision
        uniq = np.flatnonzero(rep >= 0)
        if 2 * len(uniq) > n:
            return None
        remap = np.zeros(1 << k, dtype=np.int32)
        remap[uniq] = np.arange(len(uniq), dtype=np.int32)
        return rep[uniq], remap[code]
    uniq, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    if 2 * len(uniq) > n:
        return None
    return first, inverse.astype(np.int32)


def _chunk(booster: lgb.Booster, trees: list[list[_Split]], cols: np.ndarray, out: np.ndarray) -> float:
    """Tree contributions of one row chunk, added into ``out`` (n_features + 1, n_rows); returns the bias."""
    n_features = cols.shape[0]
    n = cols.shape[1]
    columns = _Columns(cols)
    bias = 0.0
    buf = np.empty(n, dtype=np.float64)
    rows = np.arange(n, dtype=np.int64)
    rows_matrix: np.ndarray | None = None
    for t, splits in enumerate(trees):
        grouped = _patterns(splits, columns, rows)
        if grouped is None:  # every row through LightGBM for this tree
            if rows_matrix is None:
                rows_matrix = np.ascontiguousarray(cols.T)
            table = booster.predict(rows_matrix, start_iteration=t, num_iteration=1, pred_contrib=True,
                                    num_threads=1)
            bias += float(table[0, n_features])
            out[:n_features] += table[:, :n_features].T
            continue
        rep, pattern = grouped
        table = booster.predict(np.ascontiguousarray(cols[:, rep].T), start_iteration=t, num_iteration=1,
                                pred_contrib=True, num_threads=1)
        bias += float(table[0, n_features])  # the tree's expected value: the same for every row
        table_t = np.ascontiguousarray(table[:, :n_features].T)
        for f in np.flatnonzero(table_t.any(axis=1)):  # the features the tree splits on
            np.take(table_t[f], pattern, out=buf)
            out[f] += buf
    return bias


def tree_contributions(booster: lgb.Booster, data: pd.DataFrame, num_iteration: int, n_jobs: int | None = None,
                       min_rows: int | None = None) -> np.ndarray:
    """TreeSHAP contributions of the first ``num_iteration`` trees: ``(n_rows, n_features + 1)``, bias last.

    Parameters
    ----------
    booster : lightgbm.Booster
        A binary (single-output) model.
    data : DataFrame
        Rows in the model's columns and dtypes (``RiskClassifier._prepared``).
    num_iteration : int
        Trees to use (> 0).
    n_jobs : int or None
        Threads over row chunks; None or -1: all cores.
    min_rows : int, optional
        Fewer rows than this go to ``pred_contrib`` in one call; default :data:`MIN_ROWS`.

    Returns
    -------
    ndarray
        The same values as ``booster.predict(data, num_iteration=num_iteration, pred_contrib=True)``
        up to rounding in the last place; each row sums to the raw score.
    """
    n = len(data)
    min_rows = MIN_ROWS if min_rows is None else min_rows
    trees = _parse(booster, num_iteration) if n >= min_rows else None
    if trees is None:
        return np.asarray(booster.predict(data, num_iteration=num_iteration, pred_contrib=True), dtype=np.float64)
    matrix = frame_matrix(data)
    n_features = matrix.shape[0]
    threads = (os.cpu_count() or 1) if n_jobs in (None, -1) else max(1, int(n_jobs))
    n_chunks = max(min(threads, n // max(min_rows, 1)), -(-n // MAX_CHUNK), 1)
    bounds = np.linspace(0, n, n_chunks + 1).astype(int)
    out = np.zeros((n_features + 1, n), dtype=np.float64)

    workers = min(threads, n_chunks)
    # one Booster per thread: concurrent predictions over different tree ranges on one Booster race in
    # LightGBM (``InitPredict`` sets the range on the shared model). The text round trip is exact.
    boosters: queue.SimpleQueue[lgb.Booster] = queue.SimpleQueue()
    boosters.put(booster)
    if workers > 1:
        text = booster.model_to_string(num_iteration=num_iteration)
        for _ in range(workers - 1):
            boosters.put(lgb.Booster(model_str=text))

    def run(i: int) -> float:
        lo, hi = bounds[i], bounds[i + 1]
        own = boosters.get()
        try:
            return _chunk(own, trees, matrix[:, lo:hi], out[:, lo:hi])
        finally:
            boosters.put(own)

    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            biases = list(pool.map(run, range(n_chunks)))
    else:
        biases = [run(i) for i in range(n_chunks)]
    out[n_features] = biases[0]  # the same sum of the trees' expected values in every chunk
    return out.T
