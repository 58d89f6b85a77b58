"""Registered gridcrm models applied to Spark DataFrames (``mlflow.pyfunc.spark_udf``): the one place Spark meets MLflow.

The model is resolved in the registry on the driver (``models:/NAME@ALIAS``), its files are
shipped once to every executor, and each executor loads it once and scores Arrow batches
of rows — the standard way to batch-score registered models at scale. The answer columns
and their Spark types are those the model gives for the first rows (``customer_id`` echoed
as in serving), so a Spark answer row equals the served (and ``load_model(...).predict``) one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from gridcrm.errors import InputError
from gridcrm.tracking.registry import load_model, to_request

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["spark_score"]

logger = logging.getLogger(__name__)

_SPARK_OF_KIND = {"i": "bigint", "u": "bigint", "f": "double", "b": "boolean"}


def spark_score(
    frame: DataFrame,
    name: str,
    alias: str = "champion",
    uri: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    prefix: str = "",
) -> DataFrame:
    """Score every row of a Spark DataFrame with the registered model ``name@alias``.

    Parameters
    ----------
    frame : Spark DataFrame
        Request rows: ``customer_id`` and the model's input columns (categories as strings,
        as :func:`gridcrm.tracking.to_request` makes them).
    name : str
        Registered model name (``gridcrm-credit``, ``gridcrm-value``, ``gridcrm-segmenter``,
        ``gridcrm-arrears``, ``gridcrm-churn``, ...).
    alias : str
    uri : str, optional
        Tracking store (default as in :func:`gridcrm.tracking.load_model`).
    columns : sequence of str, optional
        Input columns passed to the model (default: every column of ``frame``).
    prefix : str
        Prefix of the answer columns in the result.

    Returns
    -------
    Spark DataFrame
        ``frame``'s columns and the model's answer columns (``customer_id`` not repeated).

    Raises
    ------
    gridcrm.errors.TrackingError
        No such model in the store.
    InputError
        ``columns`` names columns ``frame`` lacks.
    """
    import mlflow
    from pyspark.sql import functions as F

    model = load_model(name, alias, uri)  # checks the registry, names the store in its error
    columns = list(frame.columns) if columns is None else list(columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"spark_score({name!r}): frame lacks column(s) {missing}; it has {frame.columns}")
    head = frame.select(*columns).limit(5).toPandas()
    answer = model.predict(head)
    fields = [(str(c), _SPARK_OF_KIND.get(getattr(answer[c].dtype, "kind", "O"), "string")) for c in answer.columns]
    result_type = ", ".join(f"`{c}` {t}" for c, t in fields)
    udf = mlflow.pyfunc.spark_udf(frame.sparkSession, model.model_uri, result_type=result_type, env_manager="local")
    scored = frame.withColumn("_gridcrm_answer", udf(F.struct(*[F.col(c) for c in columns])))
    answers = [F.col(f"_gridcrm_answer.`{c}`").alias(f"{prefix}{c}") for c, _ in fields
               if c not in frame.columns or prefix]
    logger.info("scoring with %s on Spark: answer columns %s", model.model_uri, [c for c, _ in fields])
    return scored.select(*frame.columns, *answers)


def request_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A pandas frame as a Spark request frame holds it (:func:`to_request`: index to columns, categories to strings)."""
    return to_request(frame)
