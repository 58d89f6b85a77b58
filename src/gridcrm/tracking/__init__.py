"""MLflow tracking, model registry and serving for gridcrm models.

Nothing else in gridcrm imports MLflow (``tests/test_layers.py`` checks it): modelling
works without a tracking store; this package wraps it. MLflow itself is imported lazily,
on first use. :mod:`gridcrm.tracking.job` logs, registers and promotes the main job's
models; each is judged by a plain function of its capability (``gridcrm.credit.judge``,
``gridcrm.segmentation.judge``, ``gridcrm.forecasting.judge``, ``gridcrm.risk.judge``).
The tracking store is resolved in one place, :func:`tracking_uri`.
"""

from gridcrm.tracking.adapters import register_adapter, serve_predict
from gridcrm.tracking.registry import (
    PromotionDecision,
    RegisteredModel,
    load_model,
    log_model,
    pip_requirements,
    promote,
    registered_model_uri,
    to_request,
)
from gridcrm.tracking.runs import TrackedRun, configure, flatten, tracked_run, tracking_uri
from gridcrm.tracking.serve import ModelServer, free_port

__all__ = [
    "ModelServer",
    "PromotionDecision",
    "RegisteredModel",
    "TrackedRun",
    "configure",
    "flatten",
    "free_port",
    "load_model",
    "log_model",
    "pip_requirements",
    "promote",
    "register_adapter",
    "registered_model_uri",
    "serve_predict",
    "to_request",
    "tracked_run",
    "tracking_uri",
]
