"""The main job's tracking step: one MLflow run per model, registered and promoted by champion/challenger.

Every model is judged on data after ``as_of`` that it never saw, with a metric
that does not depend on the model's own internals, so that a new version and
the champion are compared like for like. Each metric is a plain function of the
capability it judges; the job's step that fitted the model declares it, with the data to
judge on (:class:`gridcrm.job.steps.TrackedModel`), and this module logs, registers and
promotes whatever the steps declare. The built-in steps' metrics:

* credit: :func:`gridcrm.credit.judge.arrears_auc` (a low score for next-bill arrears);
* value: :func:`gridcrm.credit.judge.future_revenue_spearman` (the revenue billed in
  the 90 days after ``as_of``);
* segmenter: :func:`gridcrm.segmentation.judge.silhouette_rank_space`;
* forecaster: :func:`gridcrm.forecasting.judge.mase_after_as_of` (lower is better);
* churn, arrears: :func:`gridcrm.risk.judge.roc_auc_after_as_of`.

A risk model is registered with its grade cuts (:func:`gridcrm.risk.grades.grade_cuts`
on the active customers at ``as_of``), the ones the job's risk list was graded with.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # the job's types; tracking never imports the job at run time
    from gridcrm.config import RunConfig
    from gridcrm.job.run import RunResult

__all__ = ["planned", "store_uri", "track"]

logger = logging.getLogger(__name__)


def store_uri(config: RunConfig) -> str:
    """The job's tracking store: ``tracking.uri``, else ``$MLFLOW_TRACKING_URI``, else ``<output dir>/mlruns.db``.

    Resolved by :func:`gridcrm.tracking.tracking_uri`; the default store sits beside the job's other results.
    """
    from gridcrm.tracking.runs import tracking_uri

    return tracking_uri(config.tracking.uri, default=config.output.dir / "mlruns.db")


def planned(result: RunResult) -> list[str]:
    """The registered model names the job has a fitted model for, in tracking order (as its steps declare)."""
    return [f"gridcrm-{kind}" for kind, _, _ in result.models()]


def track(config: RunConfig, result: RunResult) -> None:
    """Log one MLflow run per fitted model of ``result``; register and promote when configured.

    The models are those the job's steps declare (``RunResult.models()``: per model its kind,
    step and a function building its :class:`~gridcrm.job.steps.TrackedModel`). Progress is kept
    in ``result.tracking`` as it goes (``done``: the models logged or found unchanged), so that a
    failure part way can say what was not recorded. A model the step holds back (``held_back``,
    e.g. a risk model trained on too few positive events) is logged and registered but never
    promoted to champion.
    """
    from gridcrm.tracking import configure, log_model, promote, tracked_run
    from gridcrm.tracking.runs import frame_digest, store_lock

    uri = store_uri(config)
    state: dict[str, Any] = {"uri": uri, "decisions": {}, "unchanged": [], "held_back": {}, "done": []}
    result.tracking = state
    decisions, unchanged = state["decisions"], state["unchanged"]
    configure(uri)  # before any MLflow call: never MLflow's default store (./mlflow.db)
    features = result.results["features"].features  # type: ignore[attr-defined]
    features_digest = frame_digest(features)
    for kind, step, build in result.models():
        name = f"gridcrm-{kind}"
        fingerprint = _fingerprint(config, kind, step, features_digest, result.as_of)
        with store_lock(uri):  # check, register and promote as one step: two jobs never register a model twice
            same = _registered_with(uri, name, fingerprint) if config.tracking.register else None
            if same is not None:  # training is deterministic: same inputs, same model; registering it again says nothing
                unchanged.append(f"{name} v{same}")
                state["done"].append(name)
                continue
            tracked = build()
            held_back = tracked.held_back
            with tracked_run(config.tracking.experiment, f"{config.name}-{kind}", uri=uri,
                             config={"as_of": str(result.as_of.date()), kind: tracked.params},
                             config_file=config.source, tags={"gridcrm.kind": kind}) as run:
                run.log_dataset(features, "features", as_of=result.as_of,
                                source=str(config.data.path))
                for artifact in tracked.artifacts:
                    if artifact in result.files:
                        run.log_artifact(result.files[artifact], "plots")
                for file, frame in tracked.tables.items():
                    run.log_frame(frame, file, "tables")
                if tracked.trials is not None:
                    _log_trials(config, tracked.trials, uri)
                info = log_model(tracked.model, tracked.adapter or kind, tracked.input_example, params=tracked.request_params,
                                 registered_model_name=name if config.tracking.register else None)
                value = tracked.evaluate(_load(info.model_uri))
                run.log_metrics({tracked.metric: value})
                if config.tracking.register:
                    from mlflow import MlflowClient

                    version = str(info.registered_model_version)
                    client = MlflowClient(uri)
                    client.set_model_version_tag(name, version, "gridcrm.fingerprint", fingerprint)
                    if held_back:
                        client.set_model_version_tag(name, version, "promotion", held_back)
                        run.set_tags({"promotion.decision": "not a champion", "promotion.reason": held_back})
                        state["held_back"][name] = {"version": version, "metric": tracked.metric, "value": value,
                                                    "reason": held_back}
                        logger.info("%s v%s: %s", name, version, held_back)
                    else:
                        decision = promote(name, version, tracked.metric, tracked.evaluate,
                                           higher_is_better=tracked.higher_is_better, run=run)
                        decisions[name] = asdict(decision)
            state["done"].append(name)
    if unchanged:
        result.notes.append(f"tracking: unchanged inputs, not registered again: {', '.join(unchanged)}")
    new = len(decisions) + len(state["held_back"])
    result.notes.append(f"tracking: {new or 'no'} new model version(s) registered in {uri}" + "".join(
        f"\n    {n} v{d['version']}: {'champion' if d['promoted'] else 'challenger'} ("
        + (f"{d['metric']} {d['challenger_value']:.4f}, first version)" if d["champion_value"] is None
           else f"{d['reason']})")
        for n, d in decisions.items()) + "".join(
        f"\n    {n} v{d['version']}: not champion ({d['metric']} {d['value']:.4f}; {d['reason']})"
        for n, d in state["held_back"].items()))


def _log_trials(config: RunConfig, trials: pd.DataFrame, uri: str) -> None:
    """One child run per Optuna trial: its parameters, objective value, state and duration."""
    from gridcrm.tracking import tracked_run

    for trial in trials.itertuples(index=False):
        row = trial._asdict()
        params = {k[len("params_"):]: v for k, v in row.items() if k.startswith("params_")}
        with tracked_run(config.tracking.experiment, f"trial-{row['number']}", uri=uri, nested=True,
                         config=params, tags={"optuna.state": str(row.get("state", ""))}) as child:
            duration = row.get("duration")
            child.log_metrics({"objective": row.get("value"),
                               "duration_s": duration.total_seconds() if hasattr(duration, "total_seconds") else None},
                              step=int(row["number"]))


def _fingerprint(config: RunConfig, kind: str, step: str, features_digest: str, as_of: pd.Timestamp) -> str:
    """What determines a model: gridcrm's version, its step's config file, the features and as_of."""
    import hashlib

    from gridcrm._version import __version__

    section = config.step(step)
    text = section.config.read_text() if section is not None and section.config.is_file() else ""
    h = hashlib.sha256("|".join([__version__, kind, text, features_digest, str(as_of.date())]).encode())
    return h.hexdigest()[:20]


def _registered_with(uri: str, name: str, fingerprint: str) -> str | None:
    """The latest version of ``name`` trained from the same inputs (champion or not), else None.

    Any version counts, not only the champion: a version that lost to the champion (or
    was held back) would otherwise be registered again, identical, on every rerun.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        versions = MlflowClient(uri).search_model_versions(f"name = '{name}'")
    except MlflowException:
        return None
    same = [int(v.version) for v in versions if v.tags.get("gridcrm.fingerprint") == fingerprint]
    return str(max(same)) if same else None


def _load(model_uri: str) -> Any:
    import mlflow

    return mlflow.pyfunc.load_model(model_uri)
