"""The job's former string-keyed view of its results (``RunResult.frames``, deprecated).

Kept apart from :mod:`gridcrm.job.run`, which names no capability; removed with ``frames``.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

import pandas as pd

from gridcrm.job.steps import StepResult


def frames_view(results: Mapping[str, StepResult], summary: pd.DataFrame,
                tracking: dict[str, Any] | None) -> Mapping[str, Any]:
    """The built-in steps' results under their former keys (``features``, ``credit``, ``value_model``, ...)."""
    view: dict[str, Any] = {}
    r = results
    if "features" in r:
        view["features"] = r["features"].features  # type: ignore[attr-defined]
    if "credit" in r:
        view["credit"], view["credit_model"] = r["credit"].scores, r["credit"].scorer  # type: ignore[attr-defined]
    if "value" in r:
        v = r["value"]
        view.update(value=v.scores, value_model=v.scorer, big_customers=v.big_customers)  # type: ignore[attr-defined]
    if "segmentation" in r:
        s = r["segmentation"]
        view.update(segments=s.segment_names, segmentation_model=s.segmenter,  # type: ignore[attr-defined]
                    segment_profiles=s.profiles, segment_k_scores=s.k_scores)  # type: ignore[attr-defined]
    if "forecasting" in r:
        f = r["forecasting"]
        view.update(forecasts=f.forecasts, forecast_models=f.models, ranges=f.ranges,  # type: ignore[attr-defined]
                    forecast_backtest=f.backtest, forecast_model=f.forecaster)  # type: ignore[attr-defined]
    if "risk" in r:
        k = r["risk"]
        view["risk_list"] = k.risk_list  # type: ignore[attr-defined]
        for kind in k.trainings:  # type: ignore[attr-defined]
            view[f"{kind}_training"] = k.trainings[kind]  # type: ignore[attr-defined]
            view[f"{kind}_outcome"] = k.outcomes[kind]  # type: ignore[attr-defined]
            view[f"{kind}_report"] = k.reports[kind]  # type: ignore[attr-defined]
            view[f"{kind}_events"] = k.events[kind]  # type: ignore[attr-defined]
            if kind in k.columns:  # type: ignore[attr-defined]
                view[kind] = k.columns[kind]  # type: ignore[attr-defined]
    if "tags" in r:
        view.update(tags=r["tags"].tags.long, portraits=r["tags"].portraits)  # type: ignore[attr-defined]
    view["summary"] = summary
    if tracking is not None:
        view["tracking"] = tracking
    return types.MappingProxyType(view)
