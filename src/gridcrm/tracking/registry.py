"""Models as MLflow models: logging, registration, champion/challenger, loading by alias."""

from __future__ import annotations

import logging
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridcrm import __version__
from gridcrm.tracking.adapters import serve_predict
from gridcrm.tracking.runs import TrackedRun, configure

__all__ = ["PromotionDecision", "load_model", "log_model", "promote", "pip_requirements"]

logger = logging.getLogger(__name__)

_SERVED_MODEL = Path(__file__).with_name("_served_model.py")


def pip_requirements() -> list[str]:
    """Explicit requirements of a logged gridcrm model (no slow inference by MLflow)."""
    from importlib.metadata import version

    pkgs = ["mlflow", "pandas", "numpy", "scikit-learn", "joblib", "lightgbm", "statsmodels", "pyyaml", "pyarrow"]
    return [f"gridcrm=={__version__}"] + [f"{p}=={version(p)}" for p in pkgs]


def log_model(
    model: Any,
    kind: str,
    input_example: pd.DataFrame,
    *,
    name: str = "model",
    registered_model_name: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Any:
    """Log a fitted gridcrm model as an MLflow pyfunc in the active run.

    Parameters
    ----------
    model : object
        A fitted gridcrm estimator (pickled with joblib).
    kind : str
        Its adapter kind (``"credit"``, ``"segmenter"``, ``"churn"``, ...): what it answers when served.
    input_example : DataFrame
        A few rows of input; the signature is inferred from it and the model's answer to it.
    name : str
        Name of the model in the run.
    registered_model_name : str, optional
        Register a new version under this name (``"gridcrm-churn"``, ...).
    params : mapping, optional
        Request parameters the model accepts (with defaults), e.g. ``{"horizon": 28}``.

    Returns
    -------
    mlflow.models.model.ModelInfo
        ``model_uri`` and, when registered, ``registered_model_version``.
    """
    import joblib
    import mlflow

    configure(mlflow.get_tracking_uri())
    example = input_example
    output = serve_predict(kind, model, example, params)
    request_params = dict(params) if params else None
    with warnings.catch_warnings():
        # integer columns stay integers: ids and counts are never missing in gridcrm's frames, and MLflow
        # refuses int64 requests against a double schema, so the "declare them as doubles" hint does not apply
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column")
        signature = mlflow.models.infer_signature(example, output, params=request_params)
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "model.joblib"
        joblib.dump(model, file)
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(_SERVED_MODEL),
            artifacts={"model": str(file)},
            model_config={"kind": kind},
            signature=signature,
            input_example=example,
            pip_requirements=pip_requirements(),
            registered_model_name=registered_model_name,
        )


def load_model(name: str, alias: str = "champion") -> Any:
    """Load a registered model by alias: ``load_model("gridcrm-churn")`` is ``models:/gridcrm-churn@champion``."""
    import mlflow

    configure(mlflow.get_tracking_uri())
    return mlflow.pyfunc.load_model(f"models:/{name}@{alias}")


@dataclass(frozen=True)
class PromotionDecision:
    """Outcome of a champion/challenger comparison.

    Attributes
    ----------
    name : str
        Registered model name.
    version : str
        The new (challenger) version.
    metric : str
    challenger_value : float
    champion_version : str or None
        The champion before the decision (None: there was none).
    champion_value : float or None
    promoted : bool
        Whether the new version now holds the ``champion`` alias.
    reason : str
    """

    name: str
    version: str
    metric: str
    challenger_value: float
    champion_version: str | None
    champion_value: float | None
    promoted: bool
    reason: str


def promote(
    name: str,
    version: str | int,
    metric: str,
    evaluate: Callable[[Any], float],
    *,
    higher_is_better: bool = True,
    run: TrackedRun | None = None,
) -> PromotionDecision:
    """Give ``version`` the ``champion`` alias only if it beats the current champion.

    Both models are loaded from the registry and scored by the same ``evaluate``
    callable (which holds the evaluation data), so the comparison is like for like.
    The loser of a comparison gets the ``challenger`` alias. The decision and both
    figures are logged to ``run`` when given.

    Parameters
    ----------
    name : str
        Registered model name.
    version : str or int
        The newly registered version.
    metric : str
        Name of what ``evaluate`` returns (e.g. ``"roc_auc"``).
    evaluate : callable
        ``evaluate(pyfunc_model) -> float`` on fixed evaluation data.
    higher_is_better : bool
    run : TrackedRun, optional

    Returns
    -------
    PromotionDecision
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    configure(mlflow.get_tracking_uri())
    client = MlflowClient()
    version = str(version)
    new_value = float(evaluate(mlflow.pyfunc.load_model(f"models:/{name}/{version}")))
    try:
        current = client.get_model_version_by_alias(name, "champion")
    except MlflowException:
        current = None
    if current is not None and str(current.version) == version:
        current = None
    if current is None:
        decision = PromotionDecision(name, version, metric, new_value, None, None, True, "no champion yet")
    else:
        champion = str(current.version)
        old_value = float(evaluate(mlflow.pyfunc.load_model(f"models:/{name}/{champion}")))
        better = new_value > old_value if higher_is_better else new_value < old_value
        reason = (f"{metric} {new_value:.4f} {'beats' if better else 'does not beat'} champion v{champion}'s "
                  f"{old_value:.4f} ({'higher' if higher_is_better else 'lower'} is better)")
        decision = PromotionDecision(name, version, metric, new_value, champion, old_value, better, reason)
    if decision.promoted:
        client.set_registered_model_alias(name, "champion", version)
        if decision.champion_version is not None:
            client.set_registered_model_alias(name, "challenger", decision.champion_version)
    else:
        client.set_registered_model_alias(name, "challenger", version)
    client.set_model_version_tag(name, version, f"eval.{metric}", f"{new_value:.6g}")
    client.set_model_version_tag(name, version, "promotion", decision.reason)
    logger.info("%s v%s: %s", name, version, decision.reason)
    if run is not None:
        run.log_metrics({f"promotion.challenger.{metric}": new_value,
                         **({f"promotion.champion.{metric}": decision.champion_value}
                            if decision.champion_value is not None else {})})
        mlflow.set_tags({"promotion.decision": "promoted" if decision.promoted else "kept champion",
                         "promotion.reason": decision.reason})
        mlflow.log_dict({k: v for k, v in asdict(decision).items()}, "promotion.json", run_id=run.run_id)
    return decision
