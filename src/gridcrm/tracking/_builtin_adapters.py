"""The serving adapters of gridcrm's own models (registered on import).

Each answers one request frame with one row per input row, in input order; a
``customer_id`` column in the request is echoed back so that callers can join.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.errors import InputError

#: The adapters of gridcrm's own kinds; :func:`gridcrm.tracking.adapters.serve_predict` adds them to its
#: registry (not an import side effect: a second import of the adapters module gets them too).
BUILTIN: dict[str, Callable[..., pd.DataFrame]] = {}


def register_adapter(kind: str) -> Callable[[Callable[..., pd.DataFrame]], Callable[..., pd.DataFrame]]:
    def deco(fn: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        BUILTIN[kind] = fn
        return fn

    return deco

#: Longest forecast a request may ask for, in days (ten years).
MAX_HORIZON = 3660
#: Most reasons a request may ask for per customer.
MAX_REASONS = 20


def _ids(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series | None]:
    if "customer_id" in frame.columns:
        return frame.drop(columns="customer_id"), frame["customer_id"]
    return frame, None


def _with_ids(out: pd.DataFrame, ids: pd.Series | None) -> pd.DataFrame:
    out = out.reset_index(drop=True)
    if ids is not None:
        out.insert(0, "customer_id", ids.to_numpy())
    return out


@register_adapter("credit")
def _credit(model: Any, frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Indicators → credit score (0–100), grade, coverage."""
    X, ids = _ids(frame)
    scored = model.transform(X)
    out = pd.DataFrame({"score": scored["score"].astype("float64"), "grade": scored["grade"].astype(str),
                        "coverage": scored["coverage"].astype("float64")})
    return _with_ids(out, ids)


@register_adapter("value")
def _value(model: Any, frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Indicators → customer value score and the six dimension scores."""
    X, ids = _ids(frame)
    scored = model.transform(X)
    cols = ["value_score"] + [c for c in scored.columns if c.startswith("dim_")]
    return _with_ids(scored[cols].astype("float64"), ids)


@register_adapter("segmenter")
def _segmenter(model: Any, frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Features → segment number and readable segment name.

    ``model`` is ``{"segmenter": fitted CustomerSegmenter, "names": {segment: name}}``.
    """
    X, ids = _ids(frame)
    segmenter = model["segmenter"]
    # a request carries the clustered features only; columns seen in fit but not clustered on are unused
    X = X.reindex(columns=getattr(segmenter, "feature_names_in_", X.columns))
    labels = segmenter.predict(X)
    names = model["names"]
    out = pd.DataFrame({"segment": labels.astype("int64"), "segment_name": [names.get(int(g), "") for g in labels]})
    return _with_ids(out, ids)


@register_adapter("forecaster")
def _forecaster(model: Any, frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Customer ids (+ request parameter ``horizon``, days) → daily forecasts with their ranges.

    ``model`` is a fitted :class:`~gridcrm.forecasting.ConsumptionForecaster`; its forecasts
    start the day after the history it was fitted on. Unknown ids get no rows.
    """
    horizon = params.get("horizon", 28)
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or not 1 <= horizon <= MAX_HORIZON:
        raise InputError(f"request parameter 'horizon' must be a whole number of days from 1 to {MAX_HORIZON}, "
                         f"got {horizon!r}")
    horizon = int(horizon)
    wanted = pd.Index(frame["customer_id"].to_numpy())
    out = model.predict(horizon)
    out = out[out["unique_id"].isin(wanted)].rename(columns={"unique_id": "customer_id"})
    order = pd.Series(range(len(wanted)), index=wanted)
    out = out.assign(_o=out["customer_id"].map(order)).sort_values(["_o", "ds"]).drop(columns="_o")
    return out.reset_index(drop=True)


@register_adapter("risk")
def _risk(model: Any, frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Features → calibrated probability, risk grade and the top reasons in words.

    ``model`` is ``{"model": fitted RiskClassifier, "cuts": {"high": p, "elevated": p}}``: the
    probabilities above which a customer was in the top 5% ("high") and the top 20% ("elevated")
    of the population the model was registered with (:func:`gridcrm.risk.grades.grade_cuts`),
    applied by :func:`gridcrm.risk.grades.risk_grades` as in the main job's risk list.
    Request parameter ``n_reasons`` (default 3).
    """
    from gridcrm.risk.grades import risk_grades

    X, ids = _ids(frame)
    clf, cuts = model["model"], model["cuts"]
    p = clf.predict_proba(X)[:, 1]  # a missing feature column is an error naming it
    grade = risk_grades(p, cuts)
    n = params.get("n_reasons", 3)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= MAX_REASONS:
        raise InputError(f"request parameter 'n_reasons' must be a whole number from 0 to {MAX_REASONS}, got {n!r}")
    n = int(n)
    reasons = clf.top_reasons(X, n_reasons=n)
    text = pd.Series("", index=reasons.index, dtype=object)
    for i in range(1, n + 1):  # a loop over the n reason columns, vectorised over customers
        if f"reason_{i}" not in reasons:
            continue
        r = reasons[f"reason_{i}"].fillna("").astype(object)
        text = text.where(r.eq(""), text.where(text.eq(""), text + "; ") + r)
    out = pd.DataFrame({"probability": p, "risk_grade": grade, "reasons": text.to_numpy()})
    return _with_ids(out, ids)
