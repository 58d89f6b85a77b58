"""Typed results of the main job's built-in steps (one small frozen dataclass per step)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gridcrm.job.steps import StepResult

__all__ = ["CreditResult", "FeaturesResult", "ForecastResult", "RiskResult", "SegmentationResult", "TagsResult",
           "ValueResult"]


@dataclass(frozen=True)
class FeaturesResult(StepResult):
    """Point-in-time features: one row per active customer at ``as_of``."""

    features: pd.DataFrame
    windows: tuple[int, ...]


@dataclass(frozen=True)
class SegmentationResult(StepResult):
    """Segments: ``labels`` (segment per customer), ``names`` (segment → name), profiles and the fitted segmenter."""

    labels: pd.Series
    names: dict[Any, str]
    profiles: pd.DataFrame
    k_scores: pd.DataFrame
    segmenter: Any

    @property
    def segment_names(self) -> pd.Series:
        """Each customer's segment name (index ``customer_id``, named ``segment_name``)."""
        return self.labels.map(self.names).rename("segment_name")


@dataclass(frozen=True)
class CreditResult(StepResult):
    """AHP credit: ``scores`` (``score``, ``grade``, ...) and the fitted scorer."""

    scores: pd.DataFrame
    scorer: Any

    def customer_columns(self) -> pd.DataFrame:
        """``credit_score`` and ``credit_grade`` per customer."""
        return pd.DataFrame({"credit_score": self.scores["score"], "credit_grade": self.scores["grade"]})


@dataclass(frozen=True)
class ValueResult(StepResult):
    """Customer value: ``scores`` (``value_score``, ``value_rank``, ...), the big customers and the fitted scorer."""

    scores: pd.DataFrame
    big_customers: pd.DataFrame
    scorer: Any

    def customer_columns(self) -> pd.DataFrame:
        """``value_score`` and ``value_rank`` per customer."""
        return self.scores[["value_score", "value_rank"]]


@dataclass(frozen=True)
class ForecastResult(StepResult):
    """Consumption forecasts, the per-customer model table, the typical-day ranges and the backtest summary.

    ``groups``: reconciled forecasts of the customer groups and the total (``level`` column);
    ``group_accuracy``: MASE, bias and coverage per level after ``as_of``, base and reconciled;
    ``group_model``: the fitted :class:`~gridcrm.forecasting.groups.GroupForecaster`.
    ``forecasts`` is None when the engine wrote them itself (``forecasts.parquet`` a Parquet
    directory: more rows than the Spark engine's ``spark.collect_max_rows``); ``forecaster`` is the
    registered model, fitted on the driver (on a seeded sample of ``spark.driver_max_series``
    customers when there are more: ``models`` and ``ranges`` still cover every customer).
    """

    forecasts: pd.DataFrame | None
    models: pd.DataFrame
    ranges: pd.DataFrame
    backtest: pd.DataFrame
    forecaster: Any
    h: int
    groups: pd.DataFrame | None = None
    group_accuracy: pd.DataFrame | None = None
    group_model: Any = None


@dataclass(frozen=True)
class RiskResult(StepResult):
    """Churn and arrears: per kind the training, outcome after ``as_of``, its evaluation and event counts.

    ``columns`` holds per kind the portrait's columns (``<kind>_probability``, ``<kind>_risk_grade``).
    """

    risk_list: pd.DataFrame
    trainings: dict[str, Any] = field(default_factory=dict)
    outcomes: dict[str, pd.DataFrame] = field(default_factory=dict)
    reports: dict[str, Any] = field(default_factory=dict)
    events: dict[str, tuple[int, int]] = field(default_factory=dict)
    columns: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def models(self) -> dict[str, Any]:
        """The fitted risk model per kind."""
        return {kind: trained.model for kind, trained in self.trainings.items()}

    def customer_columns(self) -> pd.DataFrame | None:
        """Churn and arrears columns per customer (probability, risk grade, ...), where the models ran."""
        parts = [self.columns[key] for key in ("churn", "arrears") if key in self.columns]
        return pd.concat(parts, axis=1) if parts else None


@dataclass(frozen=True)
class TagsResult(StepResult):
    """Tags (long and wide) and every customer's portrait row."""

    tags: Any
    portraits: pd.DataFrame
