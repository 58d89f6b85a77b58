"""Batch scoring: every active customer's portrait row from the registered champions (``gridcrm score``)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from gridcrm.config import RunConfig
from gridcrm.data import load_dataset
from gridcrm.errors import TrackingError
from gridcrm.job.builtin import consumption_range

__all__ = ["score"]

logger = logging.getLogger(__name__)

def champion_columns() -> dict[str, dict[str, str]]:
    """Registered models read by :func:`score` and the columns each adds to a portrait row, as the steps declare.

    Examples
    --------
    >>> champion_columns()["gridcrm-credit"]
    {'score': 'credit_score', 'grade': 'credit_grade'}
    """
    from gridcrm.job.steps import registered_steps

    return {f"gridcrm-{kind}": dict(columns) for s in registered_steps().values() for kind, columns in s.scores.items()}


def _score_inputs() -> dict[str, object]:
    """Registered model name → the builder of its request rows, for models that do not take the feature rows."""
    from gridcrm.job.steps import registered_steps

    return {f"gridcrm-{kind}": fn for s in registered_steps().values() for kind, fn in s.score_inputs.items()}


def score(config: RunConfig, output: Path | None = None, alias: str = "champion") -> tuple[pd.DataFrame, Path]:
    """Batch scoring: every active customer's portrait row from the registered models, written to Parquet.

    Loads the data, builds features at ``as_of``, asks each registered model's
    ``alias`` version (those the job's steps declare with ``scores=``, see
    :func:`champion_columns`: ``gridcrm-segmenter``, ``gridcrm-credit``, ``gridcrm-value``,
    ``gridcrm-churn``, ``gridcrm-arrears``, ``gridcrm-recommender``, ``gridcrm-anomaly``; and
    ``gridcrm-forecaster``; those not registered are skipped with a log line) for its answer —
    on the feature rows, or on the rows its step builds (``score_inputs``: the anomaly detector's
    signals at ``as_of``), evaluates the tags on the features and
    the models' outputs, and writes one row per customer: segment and its name, credit
    score and grade, value score and rank (1 = most valuable), churn and arrears
    probabilities with risk grade and reasons, the consumption range (mean daily
    forecast over the forecasting horizon with the mean of its lower 80% and upper 95%
    daily bounds, as in the portraits) and the tags.

    Parameters
    ----------
    config : RunConfig
        Data, ``as_of``, tags config and tracking store.
    output : Path, optional
        Parquet file; default ``<output dir>/scores.parquet``.
    alias : str
        Registered model alias to use.

    Returns
    -------
    (DataFrame, Path)
        The rows (index ``customer_id``) and the file written.
    """
    from gridcrm.features import build_features
    from gridcrm.forecasting import load_forecast_config
    from gridcrm.tracking import RegisteredModel, configure, load_model, to_request
    from gridcrm.tracking.job import store_uri

    uri = configure(store_uri(config), create=False)  # a missing store is an error naming it, not a new empty one
    dataset = load_dataset(config.data.path, **config.data.load_kwargs())
    as_of = pd.Timestamp(config.as_of) if config.as_of else dataset.extracted_on
    features = build_features(dataset, as_of=as_of, windows=config.features.windows)

    def champion(name: str) -> RegisteredModel | None:
        """The registered ``name@alias``, or None when the store holds none."""
        try:
            return load_model(name, alias, uri=uri)
        except TrackingError:  # the store opened above: what is missing is the model
            logger.info("no %s@%s registered: its columns are left out", name, alias)
            return None

    request = to_request(features)  # JSON-like: categories as strings
    columns: dict[str, pd.Series] = {}
    champions = champion_columns()
    builders = _score_inputs()
    for name, wanted in champions.items():
        model = champion(name)
        if model is None:
            continue
        if name in builders:  # a model of other rows than the features (one per customer, index customer_id)
            rows = builders[name](dataset, as_of)  # type: ignore[operator]
            asked, index, what = to_request(rows.reset_index()), rows.index, "its request rows"
        else:
            asked, index, what = request, features.index, "the features"
        inputs = [c.name for c in model.metadata.get_input_schema().inputs]
        lacking = [c for c in inputs if c not in asked.columns]
        if lacking:
            raise TrackingError(f"{name}@{alias} in {uri} needs column(s) {what} at {as_of.date()} lack: {lacking[:10]}; "
                               "retrain it with this gridcrm version (gridcrm run)")
        answer = model.predict(asked[inputs])
        for source, target in wanted.items():
            if source in answer.columns:
                columns[target] = pd.Series(answer[source].to_numpy(), index=index).reindex(features.index)
        logger.info("scored %s customers with %s@%s", f"{len(features):,}", name, alias)
    if not columns:
        raise TrackingError(f"no registered model @{alias} in the tracking store {uri} (looked for "
                            f"{', '.join(champions)}): run `gridcrm run` with tracking.enabled on this config first, "
                            "or point tracking.uri (or $MLFLOW_TRACKING_URI) at the store that holds them")
    scores = pd.DataFrame(columns, index=features.index)
    if "value_score" in scores:
        scores["value_rank"] = scores["value_score"].rank(ascending=False, method="min").astype("Int64")
    forecaster = champion("gridcrm-forecaster")
    if forecaster is not None:
        fstep = config.step("forecasting")
        horizon = load_forecast_config(fstep.config).h if fstep is not None else 28
        daily = forecaster.predict(request[["customer_id"]], params={"horizon": horizon})
        levels = tuple(sorted(int(c[3:]) for c in daily.columns if c.startswith("lo_")))
        scores = scores.join(consumption_range(daily, (levels[0], levels[-1])).reindex(features.index))
        logger.info("forecast range over %d days for %s customers", horizon, f"{daily['customer_id'].nunique():,}")
    step = config.step("tags")
    if step is not None:
        from gridcrm.tags import load_tags

        wide = load_tags(step.config).evaluate(features, extra=scores).wide
        scores = scores.join(wide.add_prefix("tag_"))
    path = output or config.output.dir / "scores.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    scores.attrs["as_of"] = as_of.isoformat()
    scores.to_parquet(path)
    return scores, path
