"""The main job's tracking step: one MLflow run per model, registered and promoted by champion/challenger.

Every model is judged on data after ``as_of`` that it never saw, with a metric
that does not depend on the model's own internals, so that a new version and
the champion are compared like for like. Each metric is a plain function of the
capability it judges; this module only gathers the data and calls it:

* credit: :func:`gridcrm.credit.judge.arrears_auc` (a low score for next-bill arrears);
* value: :func:`gridcrm.credit.judge.future_revenue_spearman` (the revenue billed in
  the 90 days after ``as_of``);
* segmenter: :func:`gridcrm.segmentation.judge.silhouette_rank_space`;
* forecaster: :func:`gridcrm.forecasting.judge.mase_after_as_of` (lower is better);
* churn, arrears: :func:`gridcrm.models.judge.roc_auc_after_as_of`.

A risk model is registered with its grade cuts (:func:`gridcrm.models.grades.grade_cuts`
on the active customers at ``as_of``), the ones the job's risk list was graded with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # the job's types; tracking never imports the job at run time
    from gridcrm.config import RunConfig
    from gridcrm.pipeline import RunResult

__all__ = ["planned", "store_uri", "track"]

logger = logging.getLogger(__name__)


@dataclass
class _Tracked:
    kind: str
    model: Any
    input_example: pd.DataFrame
    metric: str
    evaluate: Callable[[Any], float]
    params: dict[str, Any]
    artifacts: list[str]
    frames: dict[str, pd.DataFrame]
    higher_is_better: bool = True
    request_params: dict[str, Any] | None = None
    trials: pd.DataFrame | None = None
    adapter: str | None = None  # serving adapter, when not named like the model


def _credit(config: RunConfig, result: RunResult) -> _Tracked | None:
    from gridcrm.credit.judge import arrears_auc
    from gridcrm.models.labels import arrears_labels

    scorer = result.frames["credit_model"]
    features = result.frames["features"]
    labels = arrears_labels(result.dataset, result.as_of)
    X = features.loc[features.index.intersection(labels.index), [c for c in scorer.indicators_ if c in features]]
    y = labels.loc[X.index, "label"].to_numpy()
    request = X.reset_index()

    def evaluate(model: Any) -> float:
        return arrears_auc(model.predict(request)["score"].to_numpy(dtype=float), y)

    step = config.step("credit")
    return _Tracked("credit", scorer, request.head(5), arrears_auc.__name__, evaluate,
                    {"config": str(step.config) if step else ""},
                    ["credit_weights_plot"], {"credit_scores.csv": result.frames["credit"].head(1000)})


def _value(config: RunConfig, result: RunResult) -> _Tracked | None:
    from gridcrm.credit.judge import future_revenue_spearman, revenue_after

    scorer = result.frames["value_model"]
    features = result.frames["features"]
    revenue = revenue_after(result.dataset.bills, result.as_of, features.index, days=90).to_numpy()
    request = features[[c for c in scorer.indicators_ if c in features.columns]].reset_index()

    def evaluate(model: Any) -> float:
        return future_revenue_spearman(model.predict(request)["value_score"].to_numpy(dtype=float), revenue)

    step = config.step("value")
    return _Tracked("value", scorer, request.head(5), future_revenue_spearman.__name__, evaluate,
                    {"config": str(step.config) if step else ""}, [],
                    {"big_customers.csv": result.frames["big_customers"]})


def _segmenter(config: RunConfig, result: RunResult) -> _Tracked | None:
    from gridcrm.segmentation.judge import silhouette_rank_space

    segmenter = result.frames["segmentation_model"]
    features = result.frames["features"]
    request = features[list(segmenter.features_)].reset_index()
    clustered = request.drop(columns="customer_id")
    names = result.frames["segment_profiles"]["name"].to_dict()

    def evaluate(model: Any) -> float:
        return silhouette_rank_space(clustered, model.predict(request)["segment"].to_numpy())

    step = config.step("segmentation")
    return _Tracked("segmenter", {"segmenter": segmenter, "names": names}, request.head(5), silhouette_rank_space.__name__,
                    evaluate, {"config": str(step.config) if step else "", "k": segmenter.n_clusters_},
                    ["segment_k_plot", "segment_sizes_plot", "segment_heatmap_plot"],
                    {"segment_profiles.csv": result.frames["segment_profiles"],
                     "segment_k_scores.csv": result.frames["segment_k_scores"]})


def _forecaster(config: RunConfig, result: RunResult) -> _Tracked | None:
    from gridcrm.forecasting import daily_frame
    from gridcrm.forecasting.judge import mase_after_as_of

    forecaster = result.frames["forecast_model"]
    horizon = int(result.frames["forecasts"].groupby("unique_id").size().max())
    features = result.frames["features"]
    actual = daily_frame(result.dataset, customers=features.index, fill=False)
    request = pd.DataFrame({"customer_id": features.index.to_numpy()})

    def evaluate(model: Any) -> float:
        fc = model.predict(request, params={"horizon": horizon}).rename(columns={"customer_id": "unique_id"})
        return mase_after_as_of(fc, actual, result.as_of, season_length=forecaster.season_length, horizon=horizon)

    step = config.step("forecasting")
    return _Tracked("forecaster", forecaster, request.head(5), mase_after_as_of.__name__, evaluate,
                    {"config": str(step.config) if step else "", "horizon": horizon},
                    ["forecast_fan_plot"], {"forecast_backtest.csv": result.frames["forecast_backtest"],
                                            "forecast_models.csv": result.frames["forecast_models"]},
                    higher_is_better=False, request_params={"horizon": horizon})


def _request(frame: pd.DataFrame) -> pd.DataFrame:
    """Features as a serving request: categories as strings (JSON has no categorical type)."""
    from gridcrm.tracking import to_request

    return to_request(frame)


def _risk(kind: str) -> Callable[[RunConfig, RunResult], _Tracked | None]:
    def build(config: RunConfig, result: RunResult) -> _Tracked | None:
        from gridcrm.models.grades import grade_cuts
        from gridcrm.models.judge import roc_auc_after_as_of

        model = result.frames[f"{kind}_training"].model
        features = result.frames["features"]
        cuts = grade_cuts(model.predict_proba(features)[:, 1])  # as the job's risk list graded the same customers
        report = result.frames[f"{kind}_report"]
        label = result.frames[f"{kind}_outcome"]
        rows = features.index.intersection(label.index)
        request = _request(features.loc[rows, model.feature_names])
        y = label.loc[rows, "label"].to_numpy()

        def evaluate(served: Any) -> float:
            return roc_auc_after_as_of(y, served.predict(request)["probability"].to_numpy(dtype=float))

        trained = result.frames[f"{kind}_training"]
        step = config.step("risk")
        tables = {f"{kind}_evaluation_after_as_of.csv": report.metrics}
        if trained.report is not None:
            tables[f"{kind}_evaluation_test_snapshot.csv"] = trained.report.metrics
        if trained.tuning is not None:
            tables[f"{kind}_optuna_trials.csv"] = trained.tuning.history
        return _Tracked(kind, {"model": model, "cuts": cuts}, request.head(5), roc_auc_after_as_of.__name__, evaluate,
                        {"config": str(step.config) if step else "", **{k: v for k, v in trained.summary().items()
                                                                          if not isinstance(v, dict)}},
                        [f"{kind}_{p}_plot" for p in ("roc", "calibration", "lift", "importance")], tables,
                        trials=trained.tuning.history if trained.tuning is not None else None, adapter="risk")

    return build


_TRACKERS: dict[str, tuple[str, Callable[[RunConfig, RunResult], _Tracked | None]]] = {
    "segmentation_model": ("segmenter", _segmenter),
    "credit_model": ("credit", _credit),
    "value_model": ("value", _value),
    "forecast_model": ("forecaster", _forecaster),
    "arrears_training": ("arrears", _risk("arrears")),
    "churn_training": ("churn", _risk("churn")),
}


def store_uri(config: RunConfig) -> str:
    """The job's tracking store: ``tracking.uri``, else ``$MLFLOW_TRACKING_URI``, else ``<output dir>/mlruns.db``.

    Resolved by :func:`gridcrm.tracking.tracking_uri`; the default store sits beside the job's other results.
    """
    from gridcrm.tracking.runs import tracking_uri

    return tracking_uri(config.tracking.uri, default=config.output.dir / "mlruns.db")


def planned(result: RunResult) -> list[str]:
    """The registered model names the job has a fitted model for, in tracking order."""
    return [f"gridcrm-{kind}" for key, (kind, _) in _TRACKERS.items() if key in result.frames]


def track(config: RunConfig, result: RunResult) -> None:
    """Log one MLflow run per fitted model of ``result``; register and promote when configured.

    Progress is kept in ``result.frames["tracking"]`` as it goes (``done``: the models
    logged or found unchanged), so that a failure part way can say what was not recorded.
    A risk model trained on fewer positive events than ``result.frames["<kind>_events"]``
    requires is logged and registered but never promoted to champion.
    """
    from gridcrm.tracking import configure, log_model, promote, tracked_run
    from gridcrm.tracking.runs import frame_digest, store_lock

    uri = store_uri(config)
    state: dict[str, Any] = {"uri": uri, "decisions": {}, "unchanged": [], "held_back": {}, "done": []}
    result.frames["tracking"] = state
    decisions, unchanged = state["decisions"], state["unchanged"]
    configure(uri)  # before any MLflow call: never MLflow's default store (./mlflow.db)
    features_digest = frame_digest(result.frames["features"])
    for key, (kind, build) in _TRACKERS.items():
        if key not in result.frames:
            continue
        name = f"gridcrm-{kind}"
        fingerprint = _fingerprint(config, kind, features_digest, result.as_of)
        with store_lock(uri):  # check, register and promote as one step: two jobs never register a model twice
            same = _registered_with(uri, name, fingerprint) if config.tracking.register else None
            if same is not None:  # training is deterministic: same inputs, same model; registering it again says nothing
                unchanged.append(f"{name} v{same}")
                state["done"].append(name)
                continue
            tracked = build(config, result)
            if tracked is None:
                continue
            held_back = _too_few_events(result, kind)
            with tracked_run(config.tracking.experiment, f"{config.name}-{kind}", uri=uri,
                             config={"as_of": str(result.as_of.date()), kind: tracked.params},
                             config_file=config.source, tags={"gridcrm.kind": kind}) as run:
                run.log_dataset(result.frames["features"], "features", as_of=result.as_of,
                                source=str(config.data.path))
                for artifact in tracked.artifacts:
                    if artifact in result.files:
                        run.log_artifact(result.files[artifact], "plots")
                for file, frame in tracked.frames.items():
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


def _too_few_events(result: RunResult, kind: str) -> str | None:
    """Why a risk model may not become champion (trained on too few positive events), else None."""
    events = result.frames.get(f"{kind}_events")
    if events is None:
        return None
    n, minimum = events
    return f"trained on {n} events (< {minimum})" if n < minimum else None


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


def _fingerprint(config: RunConfig, kind: str, features_digest: str, as_of: pd.Timestamp) -> str:
    """What determines a model: gridcrm's version, its step's config file, the features and as_of."""
    import hashlib

    from gridcrm._version import __version__

    step = {"segmenter": "segmentation", "forecaster": "forecasting", "arrears": "risk", "churn": "risk"}.get(kind, kind)
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
