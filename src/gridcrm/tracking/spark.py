"""Registered gridcrm models applied to Spark DataFrames (``mlflow.pyfunc.spark_udf``): the one place Spark meets MLflow.

The model is resolved in the registry on the driver (``models:/NAME@ALIAS``), its files are
shipped once to every executor, and each executor loads it once and scores Arrow batches
of rows — the standard way to batch-score registered models at scale. The answer columns
and their Spark types are those the model gives for the first rows (``customer_id`` echoed
as in serving), so a Spark answer row equals the served (and ``load_model(...).predict``) one.

Every gridcrm model answers a row from that row alone (credit, value, segmenter, arrears,
churn, anomaly), except the kinds of :data:`POOLED_KINDS`: the recommender allocates
capacity-limited products across all the customers of one request and its tags' percentile
rules rank a customer within the request, so scoring it batch by batch would change the
answer. Those are scored in one global pass: the frame goes to one partition, whose rows
are concatenated and answered by one ``predict`` call on one executor (memory: the whole
request on that executor, never on the driver).
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

__all__ = ["POOLED_KINDS", "spark_score"]

logger = logging.getLogger(__name__)

_SPARK_OF_KIND = {"i": "bigint", "u": "bigint", "f": "double", "b": "boolean"}

#: Model kinds whose answer for a row depends on the other rows of the request, and why: scored in one pass.
POOLED_KINDS: dict[str, str] = {
    "recommender": "capacity-limited products are allocated across every customer of a request, and the tags' "
                   "percentile rules rank a customer within it",
}
#: Models loaded by this Python worker, by local path (a reused worker loads each model once).
_LOADED: dict[str, object] = {}


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
        Rows of a model of :data:`POOLED_KINDS` come back in one partition.

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
    kind = str((getattr(model.pyfunc, "model_config", None) or {}).get("kind", ""))
    kept = [(c, t) for c, t in fields if c not in frame.columns or prefix]
    logger.info("scoring with %s (%s) on Spark: answer columns %s", model.model_uri, kind or "kind unknown",
                [c for c, _ in fields])
    if kind in POOLED_KINDS:
        return _score_in_one_pass(frame, model.model_uri, columns, kept, prefix)
    udf = mlflow.pyfunc.spark_udf(frame.sparkSession, model.model_uri, result_type=result_type, env_manager="local")
    scored = frame.withColumn("_gridcrm_answer", udf(F.struct(*[F.col(c) for c in columns])))
    answers = [F.col(f"_gridcrm_answer.`{c}`").alias(f"{prefix}{c}") for c, _ in kept]
    return scored.select(*frame.columns, *answers)


def _score_in_one_pass(frame: DataFrame, model_uri: str, columns: list[str],
                       kept: list[tuple[str, str]], prefix: str) -> DataFrame:
    """``frame`` scored by one ``predict`` call over all its rows, on one executor (see :data:`POOLED_KINDS`)."""
    import tempfile
    from pathlib import Path

    import mlflow

    spark = frame.sparkSession
    temp = spark.conf.get("spark.gridcrm.tempdir", None)  # gridcrm.spark.spark_session's folder, removed at stop
    local = mlflow.artifacts.download_artifacts(artifact_uri=model_uri,
                                                dst_path=tempfile.mkdtemp(prefix="gridcrm-model-", dir=temp))
    spark.sparkContext.addFile(local, recursive=True)  # shipped once to every executor
    shipped = Path(local).name
    names = list(frame.columns)
    answer_names = [c for c, _ in kept]
    schema = ", ".join([*(f"`{f.name}` {f.dataType.simpleString()}" for f in frame.schema.fields),
                        *(f"`{prefix}{c}` {t}" for c, t in kept)])

    def run(batches):  # type: ignore[no-untyped-def]
        frames = [b for b in batches if len(b)]
        if not frames:
            return
        rows = pd.concat(frames, ignore_index=True)
        answer = _worker_model(shipped, model_uri).predict(rows[columns])
        out = rows[names].copy()
        for c in answer_names:
            out[f"{prefix}{c}"] = answer[c].to_numpy()
        yield out

    return frame.repartition(1).mapInPandas(run, schema)


def _worker_model(shipped: str, model_uri: str):  # type: ignore[no-untyped-def]
    """The registered model shipped with ``SparkContext.addFile``, loaded once per Python worker."""
    import mlflow
    from pyspark import SparkFiles

    from gridcrm.tracking.registry import RegisteredModel

    path = SparkFiles.get(shipped)
    if path not in _LOADED:
        _LOADED[path] = RegisteredModel(mlflow.pyfunc.load_model(path), model_uri)
    return _LOADED[path]


def request_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A pandas frame as a Spark request frame holds it (:func:`to_request`: index to columns, categories to strings)."""
    return to_request(frame)
