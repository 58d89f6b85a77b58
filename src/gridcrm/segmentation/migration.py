"""Segment migration: who moved from which segment to which between two ``as_of`` dates.

The model fitted at the earlier date scores both feature tables, so a move means
the customer's behaviour changed, not that the segments were redrawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from gridcrm.segmentation.errors import SegmentationInputError

__all__ = ["migration_matrix", "NEW", "GONE"]

#: Row of the customers active at the later date only, column of those active at the earlier date only.
NEW, GONE = "(new)", "(gone)"


def migration_matrix(segmenter: Any, earlier: pd.DataFrame, later: pd.DataFrame,
                     labels: pd.Series | None = None) -> pd.DataFrame:
    """Customers by segment at the earlier date (rows) and at the later date (columns).

    Parameters
    ----------
    segmenter : fitted CustomerSegmenter
        Fitted at the earlier date; it scores both tables.
    earlier, later : DataFrame
        Feature tables (``build_features`` at each ``as_of``), indexed by ``customer_id``.
    labels : Series, optional
        Segments at the earlier date by ``customer_id`` (e.g. ``labels_`` of the fit);
        default: ``segmenter.predict(earlier)``.

    Returns
    -------
    DataFrame of int
        Counts; the index holds the earlier segments and ``"(new)"`` (customers only in
        ``later``), the columns the later segments and ``"(gone)"`` (only in ``earlier``).
        ``attrs["from"]`` and ``attrs["to"]`` hold the tables' ``as_of`` when known.
        ``matrix.iloc[:-1, :-1].to_numpy().trace() / matrix.iloc[:-1, :-1].to_numpy().sum()``
        is the share of the customers who stayed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from gridcrm.segmentation import CustomerSegmenter
    >>> rng = np.random.default_rng(0)
    >>> before = pd.DataFrame({"kwh_mean_365d": np.r_[rng.normal(3, 0.1, 20), rng.normal(30, 1, 20)]},
    ...                       index=pd.RangeIndex(40, name="customer_id"))
    >>> seg = CustomerSegmenter(2, stability_runs=0, random_state=0).fit(before)
    >>> after = before.iloc[2:].copy()          # customers 0 and 1 left
    >>> after.loc[2:4, "kwh_mean_365d"] = 30.0  # customers 2, 3 and 4 now use ten times more
    >>> migration_matrix(seg, before, after)  # doctest: +NORMALIZE_WHITESPACE
    later     0   1  (gone)
    earlier
    0        15   3       2
    1         0  20       0
    (new)     0   0       0
    """
    check_is_fitted(segmenter, "labels_")
    for name, table in (("earlier", earlier), ("later", later)):
        if not isinstance(table, pd.DataFrame):
            raise SegmentationInputError(f"{name} must be a feature table (DataFrame indexed by customer_id), got "
                                         f"{type(table).__name__}")
        if not table.index.is_unique:
            raise SegmentationInputError(f"{name}: customer_id appears more than once in the index")
    before = labels if labels is not None else pd.Series(segmenter.predict(earlier), index=earlier.index)
    after = pd.Series(segmenter.predict(later), index=later.index)
    k = int(segmenter.n_clusters_)
    both = before.index.union(after.index)
    row = before.reindex(both).astype("object").where(before.reindex(both).notna(), NEW)
    col = after.reindex(both).astype("object").where(after.reindex(both).notna(), GONE)
    order_rows = [*range(k), NEW]
    order_cols = [*range(k), GONE]
    matrix = pd.crosstab(pd.Categorical(row, categories=order_rows), pd.Categorical(col, categories=order_cols),
                         dropna=False).reindex(index=order_rows, columns=order_cols, fill_value=0)
    matrix.index.name, matrix.columns.name = "earlier", "later"
    matrix.attrs = {"from": earlier.attrs.get("as_of", "the earlier date"),
                    "to": later.attrs.get("as_of", "the later date")}
    return matrix.astype(np.int64)
