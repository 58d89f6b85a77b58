"""The MLflow pyfunc of every gridcrm model (logged as "models from code").

MLflow copies this file into each logged model; at load time it unpickles the
fitted gridcrm estimator from the ``model`` artifact and answers requests through
the adapter of the model's kind (``model_config["kind"]``).
"""

from __future__ import annotations

from typing import Any

import joblib
import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class GridcrmModel(PythonModel):
    """Serve a fitted gridcrm estimator through its kind's adapter."""

    def load_context(self, context: Any) -> None:
        self.model = joblib.load(context.artifacts["model"])
        self.kind = context.model_config["kind"]

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        from gridcrm.tracking.adapters import serve_predict

        return serve_predict(self.kind, self.model, model_input, params)


mlflow.models.set_model(GridcrmModel())
