"""The serving adapter of the product recommender (``gridcrm-recommender``), and the frame it recommends from.

The served model is a bundle ``{"recommender": ProductRecommender, "tags": TagSet or None,
"credit": CreditScorer or None, "segmenter": CustomerSegmenter or None, "names": {segment: name}}``:
a request carries features only, and :func:`recommender_inputs` adds the credit grade, the
segment and the tags the catalogue's rules read, exactly as the main job did when it fitted
the recommender.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.errors import InputError
from gridcrm.tracking._builtin_adapters import register_adapter

__all__ = ["recommendation_columns", "recommender_inputs", "request_features"]

#: Most products a request may ask for per customer.
MAX_K = 22


def recommender_inputs(bundle: Mapping[str, Any], features: pd.DataFrame) -> pd.DataFrame:
    """Features plus what the bundle's models add: ``credit_score``, ``credit_grade``, ``segment``,
    ``segment_name`` and the tags (those another model's column would be needed for are left out).

    ``features`` is indexed by ``customer_id``.
    """
    extra: dict[str, Any] = {}
    credit = bundle.get("credit")
    if credit is not None:
        scored = credit.transform(features)
        extra["credit_score"] = scored["score"].astype(float)
        extra["credit_grade"] = scored["grade"].astype(str).where(scored["grade"].notna())
    segmenter = bundle.get("segmenter")
    if segmenter is not None:
        X = features.reindex(columns=getattr(segmenter, "feature_names_in_", features.columns))
        labels = pd.Series(np.asarray(segmenter.predict(X)), index=features.index)
        extra["segment"] = labels
        extra["segment_name"] = labels.map(bundle.get("names") or {})
    extras = pd.DataFrame(extra, index=features.index)
    parts = [features, extras]
    tags = bundle.get("tags")
    if tags is not None:
        wide = tags.evaluate(features, extra=extras if len(extras.columns) else None).wide
        parts.append(wide[[c for c in wide.columns if c not in features.columns and c not in extras.columns]])
    return pd.concat(parts, axis=1)


def request_features(bundle: Mapping[str, Any], features: pd.DataFrame) -> list[str]:
    """The feature columns a request to the bundle must carry (in ``features``' order)."""
    needed: set[str] = set()
    rec = bundle["recommender"]
    needed |= set(rec.feature_names_) | rec.catalogue_.columns()
    if bundle.get("tags") is not None:
        for t in bundle["tags"]:
            needed |= t.features
    if bundle.get("credit") is not None:
        needed |= set(bundle["credit"].indicators_)
    if bundle.get("segmenter") is not None:
        needed |= set(getattr(bundle["segmenter"], "feature_names_in_", []))
    return [c for c in features.columns if c in needed]


def recommendation_columns(long: pd.DataFrame, ids: pd.Index, k: int) -> pd.DataFrame:
    """One row per customer of ``ids`` from the long recommendations: ``products`` (comma-separated, best
    first), ``product_1`` … ``product_k``, ``expected_value`` (of the bundle) and ``reasons``
    (``product: reasons``, separated by `` | ``)."""
    wide = long.pivot(index="customer_id", columns="rank", values="product").reindex(index=ids,
                                                                                    columns=range(1, k + 1))
    said = (long["product"] + ": " + long["reasons"].astype(str)).to_numpy()
    why = pd.DataFrame({"customer_id": long["customer_id"], "rank": long["rank"], "why": said}).pivot(
        index="customer_id", columns="rank", values="why").reindex(index=ids, columns=range(1, k + 1))
    products = pd.Series("", index=ids, dtype=object)
    reasons = pd.Series("", index=ids, dtype=object)
    for r in range(1, k + 1):  # a loop over the k slots, vectorised over customers
        p, w = wide[r].fillna(""), why[r].fillna("")
        products = products.where(p.eq(""), products.where(products.eq(""), products + ", ") + p)
        reasons = reasons.where(w.eq(""), reasons.where(reasons.eq(""), reasons + " | ") + w)
    out = pd.DataFrame({"products": products})
    for r in range(1, k + 1):
        out[f"product_{r}"] = wide[r].fillna("").astype(object)
    out["expected_value"] = long.groupby("customer_id")["expected_value"].sum().reindex(ids).fillna(0.0)
    out["reasons"] = reasons
    return out


@register_adapter("recommender")
def _recommender(model: Any, frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Features → the recommended bundle: products (best first), expected value and reasons in words.

    Request parameter ``k`` (default: the catalogue's), at most 22.
    """
    rec = model["recommender"]
    k = params.get("k", rec.k_)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
        raise InputError(f"request parameter 'k' must be a whole number from 1 to {MAX_K}, got {k!r}")
    k = int(k)
    if "customer_id" in frame.columns:
        ids = pd.Index(frame["customer_id"].to_numpy(), name="customer_id")
        features = frame.drop(columns="customer_id").set_axis(ids)
    else:
        ids = pd.Index(np.arange(len(frame)), name="customer_id")
        features = frame.set_axis(ids)
    if ids.has_duplicates:
        raise InputError("a recommender request must hold each customer_id once")
    long = rec.recommend(recommender_inputs(model, features), k=k)
    out = recommendation_columns(long, ids, k).reset_index(drop=True)
    if "customer_id" in frame.columns:
        out.insert(0, "customer_id", frame["customer_id"].to_numpy())
    return out
