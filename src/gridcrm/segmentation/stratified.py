"""Stratified segmentation: one k-means per stratum (a customer class, a region), k chosen in each.

Segmenting all customers at once finds what the customer master already holds
(residential against the rest). Segmenting *within* a class finds how homes or
businesses of that class use electricity. :class:`CustomerSegmenter` with
``by=`` calls :func:`fit_strata`: every stratum gets its own segmenter (a clone
with ``by=None`` and its own seed), labels are made unique across strata
(stratum after stratum, in decreasing stratum size), and a stratum with fewer
than ``min_stratum_size`` customers is one segment, with a note.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from gridcrm.segmentation._validation import short
from gridcrm.segmentation.errors import SegmentationInputError, UnstableSegmentsWarning

__all__ = ["STRATUM_SEPARATOR", "Strata", "by_columns", "fit_strata", "stratum_keys"]

logger = logging.getLogger(__name__)

#: Between a stratum and a segment's name: "residential · electric heating, winter peak".
STRATUM_SEPARATOR = " · "
_MISSING = "(missing)"


@dataclass
class Strata:
    """What :func:`fit_strata` found.

    ``segmenters`` maps each stratum to its fitted segmenter (``None``: one
    segment); ``table`` has one row per segment (``stratum``, ``local_segment``,
    ``n_customers``); ``labels`` is the segment of every row; ``notes`` say what
    was simplified.
    """

    segmenters: dict[str, Any]
    offsets: dict[str, int]
    table: pd.DataFrame
    labels: np.ndarray
    notes: list[str] = field(default_factory=list)


def by_columns(by: str | Sequence[str]) -> list[str]:
    """``by`` as a list of column names."""
    return [by] if isinstance(by, str) else list(by)


def stratum_keys(X: pd.DataFrame, by: str | Sequence[str]) -> pd.Series:
    """Each row's stratum as a string (values of the ``by`` columns joined by " / "; missing is "(missing)").

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_class": ["residential", None], "region": ["east", "west"]})
    >>> stratum_keys(frame, ["customer_class", "region"]).tolist()
    ['residential / east', '(missing) / west']
    """
    if not isinstance(X, pd.DataFrame):
        raise SegmentationInputError(f"by={by!r} needs X as a DataFrame holding those columns, got "
                                     f"{type(X).__name__}")
    cols = by_columns(by)
    absent = [c for c in cols if c not in X.columns]
    if absent:
        raise SegmentationInputError(f"by: X has no column(s) {short(absent)} to stratify on; its columns are "
                                     f"{short(list(X.columns))}")
    parts = [X[c].astype("string").fillna(_MISSING) for c in cols]
    key = parts[0]
    for p in parts[1:]:
        key = key + " / " + p
    return key.astype(object).rename("stratum")


def fit_strata(estimator: Any, X: pd.DataFrame, keys: pd.Series, features: list[str] | None,
               default_features: Sequence[str], seeds: Sequence[int]) -> Strata:
    """Fit one clone of ``estimator`` (``by=None``) per stratum; strata in decreasing size.

    ``features``: the columns every stratum clusters on, or ``None`` for
    ``default_features``; in each stratum, those present and not missing for
    every customer (``household_size`` exists for homes only).
    """
    sizes = keys.value_counts(sort=False)
    order = sorted(sizes.index, key=lambda s: (-int(sizes[s]), str(s)))
    codes = pd.Categorical(keys, categories=order).codes
    rows_of = {s: np.flatnonzero(codes == i) for i, s in enumerate(order)}
    labels = np.empty(len(X), dtype=np.int64)
    segmenters: dict[str, Any] = {}
    offsets: dict[str, int] = {}
    records: list[dict[str, Any]] = []
    notes: list[str] = []
    offset = 0
    for stratum, seed in zip(order, seeds, strict=False):
        rows = rows_of[stratum]
        part = X.iloc[rows]
        offsets[stratum] = offset
        small = _too_small(estimator, len(rows))
        if small:
            notes.append(f"{stratum}: {len(rows)} customers, {small}: one segment")
            segmenters[stratum] = None
            labels[rows] = offset
            records.append({"stratum": stratum, "local_segment": 0, "n_customers": len(rows)})
            offset += 1
            continue
        # a feature no customer of the stratum has (household size of a business) says nothing there
        cols = [f for f in (features if features is not None else default_features)
                if f in part.columns and part[f].notna().any()]
        if not cols:
            raise SegmentationInputError(f"stratum {stratum!r}: none of the default features {short(default_features)}"
                                         " has a value; choose the columns with features=[...]")
        sub = clone(estimator).set_params(by=None, features=list(cols), random_state=int(seed))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sub.fit(part)
        for w in caught:
            notes.append(f"{stratum}: {w.message}")
            if issubclass(w.category, UnstableSegmentsWarning):
                warnings.warn(notes[-1], UnstableSegmentsWarning, stacklevel=4)
        segmenters[stratum] = sub
        labels[rows] = sub.labels_ + offset
        counts = np.bincount(sub.labels_, minlength=sub.n_clusters_)
        records += [{"stratum": stratum, "local_segment": j, "n_customers": int(c)} for j, c in enumerate(counts)]
        logger.debug("stratum %s: %d customers, k=%d", stratum, len(rows), sub.n_clusters_)
        offset += sub.n_clusters_
    table = pd.DataFrame(records, index=pd.RangeIndex(len(records), name="segment"))
    return Strata(segmenters=segmenters, offsets=offsets, table=table, labels=labels, notes=notes)


def _too_small(estimator: Any, n: int) -> str:
    """Why a stratum of ``n`` customers is one segment ("" if it is segmented)."""
    if n < estimator.min_stratum_size:
        return f"fewer than min_stratum_size={estimator.min_stratum_size}"
    if estimator.n_clusters == "auto" and n < estimator.k_range[0] + 1:
        return f"too few to choose k in {tuple(estimator.k_range)}"
    if estimator.n_clusters != "auto" and n < int(estimator.n_clusters):
        return f"fewer than n_clusters={estimator.n_clusters}"
    return ""
