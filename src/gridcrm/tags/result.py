"""The result of evaluating tags: wide and long tables, indicators, prevalence."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from gridcrm.tags.engine import TagSet

__all__ = ["TagResult"]


class TagResult:
    """Tags of every customer: a wide table, a long table, indicators and prevalence.

    Attributes
    ----------
    wide : DataFrame
        Index ``customer_id``; one column per evaluated tag: bool for a flag tag,
        an ordered categorical for a band tag (NaN where no level applies).
    tagset : TagSet
        The tags evaluated.
    skipped : tuple of str
        Tags not evaluated because a model column they read is absent.
    """

    def __init__(self, wide: pd.DataFrame, tagset: TagSet, skipped: tuple[str, ...] = ()) -> None:
        self.wide = wide
        self.tagset = tagset
        self.skipped = skipped

    def __repr__(self) -> str:
        return f"TagResult({len(self.wide):,} customers × {self.wide.shape[1]} tags, {len(self.skipped)} skipped)"

    @cached_property
    def long(self) -> pd.DataFrame:
        """One row per (customer, tag held): ``customer_id``, ``tag_id`` and ``level`` (NaN for flags).

        Sorted by customer, then by tag in file order.
        """
        ids = self.wide.index.to_numpy()
        tag_ids = list(self.wide.columns)
        rows, tags, levels = [], [], []
        all_levels: list[str] = []
        for j, tid in enumerate(tag_ids):
            col = self.wide[tid]
            if isinstance(col.dtype, pd.CategoricalDtype):
                codes = col.cat.codes.to_numpy()
                hit = np.flatnonzero(codes >= 0)
                offset = len(all_levels)
                all_levels.extend(col.cat.categories)
                levels.append(codes[hit].astype(np.int64) + offset)
            else:
                hit = np.flatnonzero(col.to_numpy())
                levels.append(np.full(len(hit), -1, dtype=np.int64))
            rows.append(hit)
            tags.append(np.full(len(hit), j, dtype=np.int64))
        row = np.concatenate(rows) if rows else np.array([], dtype=np.int64)
        tag = np.concatenate(tags) if tags else np.array([], dtype=np.int64)
        level = np.concatenate(levels) if levels else np.array([], dtype=np.int64)
        order = np.lexsort((tag, row))
        uniq = list(dict.fromkeys(all_levels))
        remap = np.array([uniq.index(x) for x in all_levels] + [-1], dtype=np.int64)
        return pd.DataFrame({
            "customer_id": ids[row[order]],
            "tag_id": pd.Categorical.from_codes(tag[order], categories=tag_ids),
            "level": pd.Categorical.from_codes(remap[level[order]], categories=uniq),
        })

    def indicators(self) -> pd.DataFrame:
        """All tags as yes/no columns: a band tag gives one column per level, named ``"tag_id=level"``."""
        cols: dict[str, np.ndarray] = {}
        for tid in self.wide.columns:
            col = self.wide[tid]
            if isinstance(col.dtype, pd.CategoricalDtype):
                codes = col.cat.codes.to_numpy()
                for i, level in enumerate(col.cat.categories):
                    cols[f"{tid}={level}"] = codes == i
            else:
                cols[tid] = col.to_numpy(dtype=bool)
        return pd.DataFrame(cols, index=self.wide.index, copy=False)

    def indicator_catalog(self) -> pd.DataFrame:
        """Label, category and tag of each column of :meth:`indicators`."""
        rows = []
        for tid in self.wide.columns:
            spec = self.tagset[tid]
            if spec.kind == "band":
                rows += [{"indicator": f"{tid}={lv}", "tag_id": tid, "level": lv, "label": f"{spec.label}: {lv}",
                          "category": spec.category} for lv in spec.levels]
            else:
                rows.append({"indicator": tid, "tag_id": tid, "level": None, "label": spec.label,
                             "category": spec.category})
        return pd.DataFrame(rows, columns=["indicator", "tag_id", "level", "label", "category"]).set_index("indicator")

    def prevalence(self) -> pd.Series:
        """Share of customers holding each indicator (see :meth:`indicators`)."""
        return self.indicators().mean()
