"""The main job: registered steps with typed results, run and batch scoring, the report.

* :mod:`gridcrm.job.steps` — the step registry (:func:`step`), :class:`StepContext`, :class:`StepResult`,
  :class:`TrackedModel`;
* :mod:`gridcrm.job.results` — the built-in steps' typed results;
* :mod:`gridcrm.job.builtin` — the built-in steps, one registration each;
* :mod:`gridcrm.job.run` — :func:`run` and :class:`RunResult`;
* :mod:`gridcrm.job.engine` — where the per-customer work runs: :class:`Engine` (protocol), :class:`PandasEngine`
  (``gridcrm.spark.engine.SparkEngine`` on Spark);
* :mod:`gridcrm.job.score` — :func:`score` (``gridcrm score``);
* :mod:`gridcrm.job.report` — ``report.md``.
"""

from __future__ import annotations

from gridcrm.job import builtin as _builtin  # noqa: F401  (registers the built-in steps)
from gridcrm.job.engine import Engine, PandasEngine
from gridcrm.job.run import MIN_EVENTS, RunResult, run
from gridcrm.job.score import score
from gridcrm.job.steps import Step, StepContext, StepResult, TrackedModel, registered_steps, step, temporary_registry

__all__ = ["MIN_EVENTS", "Engine", "PandasEngine", "RunResult", "Step", "StepContext", "StepResult", "TrackedModel",
           "registered_steps", "run", "score", "step", "temporary_registry"]
