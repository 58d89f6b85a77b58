"""The MLflow pyfunc of every gridcrm model (logged as "models from code").

MLflow copies this file into each logged model; at load time it unpickles the
fitted gridcrm estimator from the ``model`` artifact and answers requests through
the adapter of the model's kind (``model_config["kind"]``).

Every request is checked first (:func:`gridcrm.tracking.adapters.check_request`:
types, plausible ranges, allowed categories, NaN only where it means something),
so ``mlflow models serve``, ``gridcrm serve`` and ``load_model(...).predict`` refuse
the same requests. A refused request raises :class:`ServingError` with
``INVALID_PARAMETER_VALUE`` (HTTP 400); an unexpected failure raises it with
``INTERNAL_ERROR`` (HTTP 500, the traceback goes to the server's log). Either way the
HTTP body is only ``{"error_code": ..., "message": ...}``: no stack trace, no path,
no echo of the request.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import joblib
import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INTERNAL_ERROR, INVALID_PARAMETER_VALUE
from mlflow.pyfunc import PythonModel

logger = logging.getLogger("gridcrm.tracking.served_model")


class ServingError(MlflowException):
    """An error answered to a client as ``{"error_code": ..., "message": ...}`` and nothing else.

    MLflow's scoring server prefixes the message of an exception raised while predicting with
    the request's data, and serialises every extra field of the exception; this one keeps the
    body to its code and its own message.
    """

    def __init__(self, message: str, error_code: int = INVALID_PARAMETER_VALUE) -> None:
        super().__init__(message, error_code=error_code)
        self.reply = message

    def serialize_as_json(self) -> str:
        return json.dumps({"error_code": self.error_code, "message": self.reply})


class GridcrmModel(PythonModel):
    """Serve a fitted gridcrm estimator through its kind's adapter, after checking the request."""

    def load_context(self, context: Any) -> None:
        self.model = joblib.load(context.artifacts["model"])
        self.kind = context.model_config["kind"]
        self.columns = context.model_config.get("columns")

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        from gridcrm.errors import GridcrmError
        from gridcrm.tracking.adapters import check_request, serve_predict

        try:
            frame = check_request(model_input, self.columns, self.kind)
            return serve_predict(self.kind, self.model, frame, params)
        except GridcrmError as err:
            raise ServingError(str(err)) from err
        except Exception as err:
            logger.exception("gridcrm %s model failed on a request of %d rows", self.kind, len(model_input))
            raise ServingError(f"the gridcrm {self.kind} model failed on this request ({type(err).__name__}); "
                               "the server's log has the details", INTERNAL_ERROR) from err


mlflow.models.set_model(GridcrmModel())
