"""Models as MLflow models: logging, registration, champion/challenger, loading by alias."""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridcrm._version import __version__
from gridcrm.errors import TrackingError
from gridcrm.tracking.adapters import request_contract, serve_predict
from gridcrm.tracking.runs import TrackedRun, configure, current_uri

__all__ = ["PromotionDecision", "RegisteredModel", "load_model", "log_model", "promote", "pip_requirements",
           "registered_model_uri", "to_request"]

#: Where ``gridcrm run --config configs/demo.yaml`` registers its models (named in "not found" errors).
DEMO_STORE = "sqlite:///out/demo/mlruns.db"

logger = logging.getLogger(__name__)

_SERVED_MODEL = Path(__file__).with_name("_served_model.py")


def to_request(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as a model server receives it: a named index becomes a column, categories become strings.

    JSON has no categorical type, so a served model's signature declares category columns as strings;
    :func:`log_model` infers it from ``to_request(input_example)`` and :class:`RegisteredModel` applies
    this to every frame it is given, so a feature frame straight from
    :func:`gridcrm.features.build_features` can be scored in a notebook as it is.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    DataFrame
        A copy with a default ``RangeIndex``.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"customer_class": pd.Categorical(["residential"]), "kwh": [1.5]},
    ...                  index=pd.Index([7], name="customer_id"))
    >>> r = to_request(X)
    >>> list(r.columns), r["customer_class"].dtype == object
    (['customer_id', 'customer_class', 'kwh'], True)
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"a request must be a pandas DataFrame, got {type(frame).__name__}")
    cats = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    out = frame.astype({c: object for c in cats}) if cats else frame
    out = out.reset_index(drop=True)
    if not any(n is not None for n in frame.index.names):
        return out
    # the index as leading columns in one concat: reset_index() inserts, which warns on a wide frame of many blocks
    return pd.concat([frame.index.to_frame(index=False), out], axis=1)


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

    configure(current_uri())
    example = to_request(input_example)
    output = serve_predict(kind, model, example, params)
    request_params = dict(params) if params else None
    with warnings.catch_warnings():
        # integer columns stay integers: ids and counts are never missing in gridcrm's frames, and MLflow
        # refuses int64 requests against a double schema, so the "declare them as doubles" hint does not apply
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column")
        signature = mlflow.models.infer_signature(example, output, params=request_params)
    signature, columns = request_contract(signature, example)  # MLflow casts nothing; the served model checks
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "model.joblib"
        joblib.dump(model, file)
        # MLflow prints "Successfully registered model ..." / "Created version ..." to stderr: a library
        # call says it in the log instead (the job reports every registration in its summary)
        said = io.StringIO()
        with contextlib.redirect_stderr(said):
            info = mlflow.pyfunc.log_model(
                name=name,
                python_model=str(_SERVED_MODEL),
                artifacts={"model": str(file)},
                model_config={"kind": kind, "columns": columns},
                signature=signature,
                input_example=example,
                pip_requirements=pip_requirements(),
                registered_model_name=registered_model_name,
            )
        for line in said.getvalue().splitlines():
            if line.strip():
                logger.debug("mlflow: %s", line.strip())
        return info


class RegisteredModel:
    """A registered gridcrm model loaded from the registry, scoring frames as they come from gridcrm.

    ``predict`` passes the frame through :func:`to_request` (index to columns, categories to
    strings) and then to the MLflow pyfunc, which checks it against the model's signature: the
    answer is the one the HTTP server gives for the same rows.

    Attributes
    ----------
    pyfunc : mlflow.pyfunc.PyFuncModel
        The underlying MLflow model.
    model_uri : str
    """

    def __init__(self, pyfunc: Any, model_uri: str) -> None:
        self.pyfunc = pyfunc
        self.model_uri = model_uri

    @property
    def metadata(self) -> Any:
        """The MLflow model metadata (signature, run id, ...)."""
        return self.pyfunc.metadata

    def predict(self, frame: pd.DataFrame, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Score ``frame`` (one answer row per input row, in order; ``customer_id`` echoed)."""
        return self.pyfunc.predict(to_request(frame), params=dict(params) if params else None)

    def __repr__(self) -> str:
        return f"RegisteredModel({self.model_uri!r})"


def registered_model_uri(name: str, alias: str = "champion", uri: str | None = None) -> str:
    """Check that ``name@alias`` is registered in the tracking store; return its ``models:/`` URI.

    Opens the store without creating it, so asking a store that does not exist
    leaves no empty database behind.

    Parameters
    ----------
    name : str
        Registered model name.
    alias : str
    uri : str, optional
        Tracking store; default ``$MLFLOW_TRACKING_URI``, else ``sqlite:///<cwd>/mlruns.db``
        (see :func:`gridcrm.tracking.tracking_uri`).

    Returns
    -------
    str
        ``models:/NAME@ALIAS``.

    Raises
    ------
    gridcrm.errors.TrackingError
        The store does not exist or cannot be opened, or holds no ``name@alias``; the
        message names the store, the model and alias, and what the store does hold.

    Examples
    --------
    >>> import tempfile
    >>> registered_model_uri("gridcrm-arrears", uri=f"sqlite:///{tempfile.mkdtemp()}/m.db")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.errors.TrackingError: no tracking store at sqlite:///.../m.db ...
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    resolved = configure(uri if uri is not None else current_uri(), create=False)
    client = MlflowClient(resolved)
    try:
        client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        try:
            held = sorted({m.name for m in client.search_registered_models()})
        except MlflowException:
            held = []
        demo = "" if resolved.endswith("out/demo/mlruns.db") else (
            f"; the demo (gridcrm run --config configs/demo.yaml) registers into {DEMO_STORE}")
        raise TrackingError(
            f"no registered model {name}@{alias} in the tracking store {resolved} (it holds "
            f"{', '.join(held) if held else 'no registered model'}){demo}: give the store that holds it "
            "(load_model(..., uri=...), --tracking-uri, tracking.uri or $MLFLOW_TRACKING_URI)") from exc
    return f"models:/{name}@{alias}"


def load_model(name: str, alias: str = "champion", uri: str | None = None) -> RegisteredModel:
    """Load a registered model by alias, in one line from a notebook.

    ``load_model("gridcrm-churn", uri="sqlite:///out/demo/mlruns.db")`` loads
    ``models:/gridcrm-churn@champion`` from the demo's store. Without ``uri`` the store is
    ``$MLFLOW_TRACKING_URI`` (or the one :func:`gridcrm.tracking.configure` set), else
    ``sqlite:///<cwd>/mlruns.db``.

    Parameters
    ----------
    name : str
        Registered model name (``gridcrm-churn``, ``gridcrm-arrears``, ``gridcrm-credit``, ...).
    alias : str
        ``"champion"`` (default), ``"challenger"`` or any alias set on a version.
    uri : str, optional
        Tracking store holding the registry (e.g. ``"sqlite:///out/demo/mlruns.db"``).

    Returns
    -------
    RegisteredModel
        ``.predict(frame, params=None)`` scores a gridcrm frame as it is.

    Raises
    ------
    gridcrm.errors.TrackingError
        The store does not exist, cannot be opened, or holds no ``name@alias`` (the
        message names the store and the model).

    Examples
    --------
    >>> import tempfile
    >>> load_model("gridcrm-churn", uri=f"sqlite:///{tempfile.mkdtemp()}/m.db")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.errors.TrackingError: no tracking store at sqlite:///.../m.db ...
    """
    import mlflow

    model_uri = registered_model_uri(name, alias, uri)
    return RegisteredModel(mlflow.pyfunc.load_model(model_uri), model_uri)


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

    client = MlflowClient(configure(current_uri()))
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
