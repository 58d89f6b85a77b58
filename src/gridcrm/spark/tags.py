"""Tags on Spark: per-customer rules per partition, population rules in one global pass.

Most tag rules read one customer's own features (``arrears_count >= 2``, ``customer_class ==
'residential'``): they are evaluated by :meth:`gridcrm.tags.TagSet.evaluate` once per partition of
the Spark feature table. A rule with a percentile — a threshold ``pNN``, a percentile range within
a group (``quantile: [0.8, 1.0], by: customer_class``) or quantile bands — ranks a customer among
all the customers evaluated, so a partition alone would give another answer: those tags (and the
tags that refer to them) are evaluated once, on the driver, over the whole population's columns
they read (a few columns per customer, not the feature table), and joined back by ``customer_id``.
The result equals ``TagSet.evaluate`` over every customer at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcrm.features.account import _FIXED_CATEGORIES, _category
from gridcrm.features.builder import feature_dtypes
from gridcrm.features.registry import DEFAULT_WINDOWS, feature_registry
from gridcrm.tags.engine import TagSet
from gridcrm.tags.rules import Bands, Compare, Percentile, Quantile, TagRef, walk

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["pooled_tags", "spark_tags", "tags_to_pandas"]

logger = logging.getLogger(__name__)


def _ranks_population(rule: object) -> bool:
    return (isinstance(rule, Quantile) or (isinstance(rule, Bands) and rule.scale == "quantile")
            or (isinstance(rule, Compare) and isinstance(rule.value, Percentile)))


def _refs(rule: object) -> set[str]:
    return {r.tag for r in walk(rule) if isinstance(r, TagRef)}


def pooled_tags(tags: TagSet) -> set[str]:
    """Ids of the tags whose answer for a customer depends on the other customers evaluated.

    A tag is pooled when a rule of it ranks the population (a ``pNN`` threshold, a percentile
    range, quantile bands) or when it refers to a pooled tag.

    Examples
    --------
    >>> tags = TagSet.from_dict({"categories": {"u": "Use"}, "tags": [
    ...     {"id": "big", "label": "Big", "category": "u",
    ...      "rule": {"feature": "kwh_mean_365d", "op": ">=", "percentile": 80}},
    ...     {"id": "late", "label": "Late", "category": "u", "rule": {"feature": "late_bills_365d", "op": ">=", "value": 2}},
    ...     {"id": "big_late", "label": "Big and late", "category": "u", "rule": {"all": ["big", "late"]}}]})
    >>> sorted(pooled_tags(tags))
    ['big', 'big_late']
    """
    pooled = {tid for tid, spec in tags.tags.items() if any(_ranks_population(r) for r in walk(spec.rule))}
    changed = True
    while changed:  # tags referring to pooled tags, transitively
        more = {tid for tid, spec in tags.tags.items() if tid not in pooled and _refs(spec.rule) & pooled}
        pooled |= more
        changed = bool(more)
    return pooled


def _subset(tags: TagSet, ids: set[str]) -> TagSet:
    """The tags ``ids`` and every tag they refer to, as a tag set of their own (evaluation order kept)."""
    keep = set(ids)
    changed = True
    while changed:
        more = {r for tid in keep for r in _refs(tags.tags[tid].rule)} - keep
        keep |= more
        changed = bool(more)
    order = [tid for tid in tags._order if tid in keep]
    return TagSet(tags.categories, {tid: s for tid, s in tags.tags.items() if tid in keep}, tags.registry, order)


def _frames(pdf: pd.DataFrame, names: Sequence[str], dtypes: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A Spark batch → (features with the pandas dtypes, extra columns), both indexed by ``customer_id``."""
    index = pd.Index(pdf["customer_id"].to_numpy(dtype=np.int64), name="customer_id")
    data = {}
    for n in names:
        if n not in pdf.columns:
            continue
        values = pdf[n]
        data[n] = (_category(values, _FIXED_CATEGORIES.get(n)) if dtypes[n] == "category"
                   else values.to_numpy().astype(dtypes[n], copy=False))
    features = pd.DataFrame(data, index=index, copy=False)
    extra = pdf.drop(columns=["customer_id", *data]).set_axis(index)
    return features, extra


def _spark_type(spec: object) -> str:
    return "string" if getattr(spec, "kind", "flag") == "band" else "boolean"


def spark_tags(
    features: DataFrame, tags: TagSet, extra: DataFrame | None = None, windows: Sequence[int] = DEFAULT_WINDOWS,
) -> DataFrame:
    """Evaluate ``tags`` on a Spark feature table (e.g. from :func:`gridcrm.spark.features.spark_features`).

    Parameters
    ----------
    features : Spark DataFrame
        ``customer_id`` and the registry's features (category features as strings).
    tags : TagSet
    extra : Spark DataFrame, optional
        Other models' columns (``customer_id`` and e.g. ``credit_grade``), joined by customer.
    windows : sequence of int
        The features' windows (for their dtypes).

    Returns
    -------
    Spark DataFrame
        ``customer_id`` and one column per evaluated tag in the tag set's order (flags ``boolean``,
        bands ``string``); tags whose model column is absent are left out, as
        ``TagSet.evaluate`` does. :func:`tags_to_pandas` gives ``TagResult.wide``.
    """
    from pyspark.sql import functions as F

    registry = feature_registry(tuple(windows))
    dtypes = feature_dtypes(registry)
    names = [n for n in registry if n in features.columns]
    frame = features if extra is None else features.join(extra, "customer_id", "left")
    head_f, head_x = _frames(frame.limit(20).toPandas(), names, dtypes)
    evaluated = list(tags.evaluate(head_f, head_x if len(head_x.columns) else None).wide.columns)
    pooled = pooled_tags(tags) & set(evaluated)
    local = [t for t in evaluated if t not in pooled]
    logger.info("tags on Spark: %d per partition, %d in one global pass (percentiles: %s)", len(local), len(pooled),
                sorted(pooled)[:8])
    local_set = _subset(tags, set(local))
    schema = ", ".join(["customer_id bigint", *[f"`{t}` {_spark_type(tags.tags[t])}" for t in local]])

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            if not len(pdf):
                continue
            f, x = _frames(pdf, names, dtypes)
            wide = local_set.evaluate(f, x if len(x.columns) else None).wide
            out = {"customer_id": f.index.to_numpy(dtype=np.int64)}
            for t in local:
                col = wide[t]
                out[t] = (col.astype(object).where(col.notna(), None).to_numpy() if tags.tags[t].kind == "band"
                          else col.to_numpy(dtype=bool))
            yield pd.DataFrame(out)

    result = frame.mapInPandas(run, schema)
    if pooled:
        pooled_set = _subset(tags, pooled)
        columns = sorted({c for t in pooled_set for c in (t.features | t.columns)} & set(frame.columns))
        f, x = _frames(frame.select("customer_id", *columns).toPandas(), names, dtypes)  # a few columns a customer
        wide = pooled_set.evaluate(f, x if len(x.columns) else None).wide
        got = pd.DataFrame({"customer_id": f.index.to_numpy(dtype=np.int64)})
        for t in [t for t in evaluated if t in pooled]:
            col = wide[t]
            got[t] = (col.astype(object).where(col.notna(), None).to_numpy() if tags.tags[t].kind == "band"
                      else col.to_numpy(dtype=bool))
        pooled_schema = ", ".join(["customer_id bigint",
                                   *[f"`{t}` {_spark_type(tags.tags[t])}" for t in got.columns[1:]]])
        spark = features.sparkSession
        result = result.join(spark.createDataFrame(got, pooled_schema), "customer_id", "left")
    return result.select("customer_id", *[F.col(f"`{t}`") for t in evaluated])


def tags_to_pandas(wide: DataFrame, tags: TagSet) -> pd.DataFrame:
    """Collect :func:`spark_tags` as ``TagSet.evaluate(...).wide`` is: indexed by ``customer_id`` (sorted),
    flags ``bool``, bands categorical with their levels in order."""
    pdf = wide.toPandas().sort_values("customer_id", kind="stable")
    index = pd.Index(pdf["customer_id"].to_numpy(dtype=np.int64), name="customer_id")
    cols = {}
    for t in pdf.columns[1:]:
        spec = tags.tags[t]
        if spec.kind == "band":
            cols[t] = pd.Categorical(pdf[t].to_numpy(dtype=object), categories=list(spec.levels), ordered=True)
        else:
            cols[t] = pdf[t].to_numpy(dtype=bool)
    return pd.DataFrame(cols, index=index, copy=False)
