"""The main job, step by step, from a validated :class:`~gridcrm.config.RunConfig`.

Each step is a library call; this module only wires them together and writes
the results to the output folder. A step runs when its config section is present:

1. data — load and validate, summarise every table;
2. features — point-in-time features at ``as_of``;
3. credit, value — AHP credit score and grade, six-dimension customer value;
4. segmentation — k-means segments, named;
5. forecasting — consumption forecasts with ranges;
6. risk — churn and arrears probabilities with reasons;
7. tags and portraits — every customer's portrait row (``portraits.parquet``).
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gridcrm.config import RunConfig
from gridcrm.data import Dataset, load_dataset
from gridcrm.data.dates import as_date
from gridcrm.errors import TrackingError

__all__ = ["MIN_EVENTS", "RunResult", "run", "score"]

logger = logging.getLogger(__name__)

#: Fewest positive training events (closures, arrears) for a risk model to become champion. Below
#: this a model's ROC-AUC after ``as_of`` is mostly noise (the demo's churn model: 5 closures,
#: AUC 0.535) and LightGBM's leaves (``min_child_samples`` 5-500) hold a handful of positives each;
#: the model is still logged, registered and listed, but never promoted. The default of
#: ``min_events`` in the risk config (``configs/risk.yaml``), which the job reads.
MIN_EVENTS = 50


@dataclass
class RunResult:
    """What the main job produced.

    Attributes
    ----------
    dataset : Dataset
        The validated data.
    summary : DataFrame
        Per table: rows, customers, date range, rows set aside.
    rejections : DataFrame
        Per table, column and rule: rows set aside, with examples.
    output_dir : Path
    as_of : Timestamp
    files : dict of str to Path
        Every file written, by what it holds.
    frames : dict of str to DataFrame
        Every step's result (``features``, ``credit``, ``value``, ``portraits``, ...).
    notes : list of str
        One line per step on what it did, for people.
    """

    dataset: Dataset
    summary: pd.DataFrame
    rejections: pd.DataFrame
    output_dir: Path
    as_of: pd.Timestamp
    files: dict[str, Path] = field(default_factory=dict)
    frames: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def write(self, key: str, frame: pd.DataFrame, name: str) -> None:
        """Keep ``frame`` as ``key`` and write it to ``name`` (Parquet or CSV by suffix)."""
        self.frames[key] = frame
        path = self.output_dir / name
        if name.endswith(".parquet"):
            frame.to_parquet(path)
        else:
            frame.to_csv(path)
        self.files[key] = path


def _save_figure(fig: Any, path: Path) -> None:
    """Save a figure and close it if pyplot holds it (a job run in a notebook neither leaks nor shows it)."""
    fig.savefig(path, dpi=110)
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)


def _preflight(config: RunConfig, dataset: Dataset, as_of: pd.Timestamp) -> None:
    """Refuse, before anything is written, an ``as_of`` the data or a configured step cannot work with.

    The features need customers before ``as_of`` and no day after the extract; each risk model
    needs training, validation and test snapshots whose labels closed before ``as_of`` (a dry run
    of the time split on the labels alone).
    """
    from gridcrm.errors import ConfigError
    from gridcrm.features._common import active_customers, check_as_of

    check_as_of(dataset, as_of, len(active_customers(dataset.customers, as_of)))
    step = config.step("risk")
    if step is None:
        return
    from gridcrm.models import LabelError, load_risk_config, snapshot_dates
    from gridcrm.models.labels import plan_split

    cfg = load_risk_config(step.config)
    known = dataset.truncate(as_of)
    snap = cfg.snapshots
    for kind, label in (("arrears", cfg.arrears_label), ("churn", cfg.churn_label)):
        try:
            dates = snapshot_dates(known, label, n=snap.n, freq=snap.freq, min_history_days=snap.min_history_days)
            plan_split(known, dates, label, valid_snapshots=snap.valid, test_snapshots=snap.test)
        except LabelError as exc:
            raise ConfigError(
                f"as_of {as_of.date()} leaves the {kind} model nothing to learn from: {exc}. Use a later as_of, "
                f"or fewer days of history per snapshot (snapshots.min_history_days, now {snap.min_history_days}, "
                f"in {step.config})"
            ) from exc


def _step_data(config: RunConfig, out: Path, dataset: Dataset, as_of: pd.Timestamp) -> RunResult:
    report = dataset.report
    summary = dataset.summary()
    rejections = report.to_frame() if report is not None else pd.DataFrame()
    result = RunResult(dataset, summary, rejections, out, as_of)
    result.write("summary", summary, "data_summary.csv")
    rejections.to_csv(out / "data_rejections.csv", index=False)
    result.files["rejections"] = out / "data_rejections.csv"
    body = {
        "extracted_on": str(dataset.extracted_on.date()),
        "rows_in": report.rows_in if report else {},
        "rows_kept": report.rows_kept if report else {},
        "rows_rejected": report.rows_rejected if report else {},
        "ignored_columns": report.ignored_columns if report else {},
        "rejections": json.loads(rejections.to_json(orient="records", date_format="iso")),
    }
    (out / "data_report.json").write_text(json.dumps(body, indent=2, default=str) + "\n")
    result.files["report"] = out / "data_report.json"
    rejected = sum(report.rows_rejected.values()) if report else 0
    result.notes.append(f"data: {len(dataset.customers):,} customers, {len(dataset.meter_daily):,} daily reads, "
                        f"{rejected:,} rows set aside")
    return result


def _step_features(config: RunConfig, result: RunResult) -> None:
    from gridcrm.features import build_features

    features = build_features(result.dataset, as_of=result.as_of, windows=config.features.windows)
    result.write("features", features, "features.parquet")
    result.notes.append(f"features: {len(features):,} active customers × {features.shape[1]} features "
                        f"as of {result.as_of.date()}")


def _step_credit(config: RunConfig, result: RunResult) -> None:
    from gridcrm.credit import CreditScorer, plot_weights

    step = config.step("credit")
    assert step is not None
    features = result.frames["features"]
    scorer = CreditScorer(step.config).fit(features)
    scored = scorer.transform(features)
    result.frames["credit_model"] = scorer
    result.write("credit", scored, "credit.parquet")
    plot_weights(scorer.hierarchy_, result.output_dir / "credit_ahp_weights.png")
    result.files["credit_weights_plot"] = result.output_dir / "credit_ahp_weights.png"
    grades = scored["grade"].value_counts().sort_index(ascending=False)
    result.notes.append("credit: grades " + ", ".join(f"{g} {n:,}" for g, n in grades.items()))


def _step_value(config: RunConfig, result: RunResult) -> None:
    from gridcrm.credit import CustomerValueScorer

    step = config.step("value")
    assert step is not None
    features = result.frames["features"]
    scorer = CustomerValueScorer(step.config).fit(features)
    result.frames["value_model"] = scorer
    result.write("value", scorer.transform(features), "value.parquet")
    big = scorer.big_customers(features)
    result.write("big_customers", big, "big_customers.csv")
    result.notes.append(f"value: top {len(big):,} customers by value listed with reasons")


def _step_segmentation(config: RunConfig, result: RunResult) -> None:
    from gridcrm.segmentation import load_segmentation_config
    from gridcrm.segmentation.plots import plot_feature_heatmap, plot_k_selection, plot_segment_sizes

    step = config.step("segmentation")
    assert step is not None
    features = result.frames["features"]
    with warnings.catch_warnings(record=True) as caught:  # e.g. no 15-min load before as_of: shape features left out
        warnings.simplefilter("always", UserWarning)
        segmenter = load_segmentation_config(step.config).customer_segmenter().fit(features)
    for w in caught:
        logger.info("segmentation: %s", w.message)  # also in the summary notes
        result.notes.append(f"segmentation: {w.message}")
    result.frames["segmentation_model"] = segmenter
    profile = segmenter.profile(features)
    names = profile.names
    labels = pd.Series(segmenter.labels_, index=features.index, name="segment")
    segments = pd.DataFrame({"segment": labels, "segment_name": labels.map(names)})
    result.write("segments", segments, "segments.parquet")
    result.frames["segments"] = segments["segment_name"]
    result.write("segment_profiles", profile.summary, "segment_profiles.csv")
    result.write("segment_k_scores", segmenter.k_scores_, "segment_k_scores.csv")
    figures = {
        "segment_k_plot": ("segment_k_selection.png", plot_k_selection(segmenter.k_scores_, segmenter.n_clusters_)),
        "segment_sizes_plot": ("segment_sizes.png", plot_segment_sizes(profile)),
        "segment_heatmap_plot": ("segment_heatmap.png", plot_feature_heatmap(profile)),
    }
    for key, (name, fig) in figures.items():
        _save_figure(fig, result.output_dir / name)
        result.files[key] = result.output_dir / name
    stability = getattr(segmenter, "stability_", None)
    stable = f", stability ARI {stability.mean_ari:.2f}" if stability is not None else ""
    result.notes.append(f"segmentation: k = {segmenter.n_clusters_} (chosen from {len(segmenter.k_scores_)}){stable}: "
                        + "; ".join(f"{n} ({(labels == g).mean():.0%})" for g, n in names.items()))


def _step_forecasting(config: RunConfig, result: RunResult) -> None:
    from gridcrm.forecasting import backtest, daily_frame, fan_chart, load_forecast_config

    step = config.step("forecasting")
    assert step is not None
    cfg = load_forecast_config(step.config)
    features = result.frames["features"]
    history = daily_frame(result.dataset.truncate(result.as_of), customers=features.index)
    forecaster = cfg.forecaster().fit(history)
    forecasts = forecaster.predict(cfg.h)
    result.frames["forecast_model"] = forecaster
    result.write("forecasts", forecasts, "forecasts.parquet")
    result.write("forecast_models", forecaster.models_, "forecast_models.csv")
    result.frames["ranges"] = _consumption_range(forecasts.rename(columns={"unique_id": "customer_id"}),
                                                 levels=(min(cfg.level), max(cfg.level)))
    # accuracy on the last windows before as_of, for a sample of customers (what the ranges are worth)
    sample = history["unique_id"].drop_duplicates().sample(
        n=min(300, history["unique_id"].nunique()), random_state=cfg.random_state)
    bt = backtest(cfg.forecaster(), history[history["unique_id"].isin(sample)], h=cfg.backtest.h,
                  n_windows=cfg.backtest.windows, step=cfg.backtest.step)
    summary = bt.summary()
    result.write("forecast_backtest", summary, "forecast_backtest.csv")
    biggest = features["kwh_mean_90d"].idxmax()
    later = daily_frame(result.dataset, customers=[biggest], fill=False)
    ax = fan_chart(history, forecasts, biggest, actual=later[later["ds"] >= result.as_of])
    _save_figure(ax.figure, result.output_dir / "forecast_fan_chart.png")
    result.files["forecast_fan_plot"] = result.output_dir / "forecast_fan_chart.png"
    overall = summary.loc["all"]
    fallbacks = int((forecaster.models_["fallback"].fillna("") != "").sum())
    result.notes.append(
        f"forecasting: {forecasts['unique_id'].nunique():,} customers × {cfg.h} days ({cfg.engine}), "
        f"{fallbacks} fallbacks; backtest on {len(sample)}: MASE {overall['mase']:.2f}, "
        f"95% coverage {overall['coverage_95']:.0%}")


def _step_risk(config: RunConfig, result: RunResult) -> None:
    from gridcrm.features import build_features
    from gridcrm.models import (
        build_training_set,
        evaluate,
        load_risk_config,
        risk_list,
        snapshot_dates,
        time_split,
        train_risk_model,
    )
    step = config.step("risk")
    assert step is not None
    cfg = load_risk_config(step.config)
    known = result.dataset.truncate(result.as_of)  # training never sees an outcome after as_of
    features = result.frames["features"]
    models: dict[str, Any] = {}
    snap = cfg.snapshots

    def build(dataset: Dataset, cut: pd.Timestamp) -> pd.DataFrame:  # the job's windows: trained as scored
        return build_features(dataset, as_of=cut, windows=config.features.windows)

    for kind, label in (("arrears", cfg.arrears_label), ("churn", cfg.churn_label)):
        snapshots = snapshot_dates(known, label, n=snap.n, freq=snap.freq, min_history_days=snap.min_history_days)
        data = build_training_set(known, snapshots, label, features=build)
        train, valid, test = time_split(data, valid_snapshots=snap.valid, test_snapshots=snap.test)
        trained = train_risk_model(kind, train, valid, test, config=cfg)
        models[kind] = trained.model
        result.frames[f"{kind}_training"] = trained
        # the honest figure: the model scored at as_of against what happened after it
        outcome = label.labels(result.dataset, result.as_of)
        result.frames[f"{kind}_outcome"] = outcome
        rows = features.index.intersection(outcome.index)
        report = evaluate(outcome.loc[rows, "label"].to_numpy(),
                          {"model": trained.model.predict_proba(features.loc[rows])[:, 1]})
        result.frames[f"{kind}_report"] = report
        _risk_plots(kind, report, trained.model, result)
        auc = float(report.metrics.loc["model", "roc_auc"])
        events, minimum = int(train.y.sum()), int(cfg.min_events)
        result.frames[f"{kind}_events"] = (events, minimum)
        if events < minimum:
            logger.warning("%s model: trained on %d events (< %d): not registered as champion", kind, events, minimum)
            result.notes.append(f"risk: {kind} model: trained on {events} events (< {minimum}): not registered as "
                                "champion (its probabilities below are indicative only)")
        result.notes.append(f"risk: {kind} model on {len(train.y):,} training rows ({int(train.y.sum()):,} positive) "
                            f"from {len(train.snapshots)} of {len(snapshots)} snapshots (the others validate, test "
                            f"or are gaps); ROC-AUC {auc:.3f} on what happened after {result.as_of.date()}")
    ranked = risk_list(features, models, rules=cfg.risk_list.rules, n_reasons=cfg.risk_list.n_reasons,
                       amount_column=cfg.risk_list.amount_column, columns=cfg.risk_list.columns)
    result.write("risk_list", ranked, "risk_list.parquet")
    for kind in models:
        prob = ranked[f"p_{kind}"] if f"p_{kind}" in ranked else None
        if prob is not None:  # the portrait's columns, named as batch scoring names them
            columns = {f"{kind}_probability": prob, f"{kind}_risk_grade": ranked[f"{kind}_risk_grade"]}
            result.frames[kind] = pd.DataFrame(columns, index=ranked.index).reindex(features.index)


def _risk_plots(kind: str, report: Any, model: Any, result: RunResult) -> None:
    from gridcrm.models import global_importance
    from gridcrm.models.plots import plot_calibration, plot_importance, plot_lift, plot_pr, plot_roc

    figures = {
        "roc": plot_roc(report, f"{kind}: ROC after {result.as_of.date()}"),
        "pr": plot_pr(report, f"{kind}: precision–recall after {result.as_of.date()}"),
        "calibration": plot_calibration(report, f"{kind}: calibration after {result.as_of.date()}"),
        "lift": plot_lift(report, f"{kind}: cumulative lift"),
        "importance": plot_importance(global_importance(model), title=f"{kind}: feature importance (mean |SHAP|)"),
    }
    for what, fig in figures.items():
        path = result.output_dir / f"{kind}_{what}.png"
        _save_figure(fig, path)
        result.files[f"{kind}_{what}_plot"] = path


def _scores(result: RunResult) -> pd.DataFrame | None:
    cols: dict[str, pd.Series] = {}
    if "credit" in result.frames:
        cols["credit_score"] = result.frames["credit"]["score"]
        cols["credit_grade"] = result.frames["credit"]["grade"]
    if "value" in result.frames:
        cols["value_score"] = result.frames["value"]["value_score"]
        cols["value_rank"] = result.frames["value"]["value_rank"]
    for key in ("churn", "arrears"):
        if key in result.frames:
            for c in result.frames[key].columns:
                cols[c] = result.frames[key][c]
    return pd.DataFrame(cols) if cols else None


def _step_tags(config: RunConfig, result: RunResult) -> None:
    from gridcrm.tags import Portraits, load_tags, plot_group_portrait

    step = config.step("tags")
    assert step is not None
    features = result.frames["features"]
    scores = _scores(result)
    tags = load_tags(step.config).evaluate(features, extra=scores)
    result.write("tags", tags.long, "tags.parquet")
    segments = result.frames.get("segments")
    portraits = Portraits(features, tags, segments=segments, scores=scores, forecasts=result.frames.get("ranges"))
    result.write("portraits", portraits.table(), "portraits.parquet")
    by: str | pd.Series = segments if segments is not None else "customer_class"
    _save_figure(plot_group_portrait(portraits.group_portrait(by)), result.output_dir / "group_portrait.png")
    result.files["group_portrait_plot"] = result.output_dir / "group_portrait.png"
    top = tags.prevalence().sort_values(ascending=False).head(3)
    result.notes.append(f"tags: {tags.wide.shape[1]} tags, {len(tags.long):,} (customer, tag) pairs; most common "
                        + ", ".join(f"{t} {p:.0%}" for t, p in top.items()))


_STEPS: list[tuple[str, Callable[[RunConfig, RunResult], None]]] = [
    ("segmentation", _step_segmentation),
    ("credit", _step_credit),
    ("value", _step_value),
    ("forecasting", _step_forecasting),
    ("risk", _step_risk),
    ("tags", _step_tags),
]


def run(config: RunConfig) -> RunResult:
    """Run the main job: every configured step, in order; results written to ``config.output.dir``.

    Parameters
    ----------
    config : RunConfig
        From :func:`gridcrm.config.load_config`.

    Returns
    -------
    RunResult
    """
    from gridcrm._paths import prepare_output_dir

    out = prepare_output_dir(config.output.dir, "output folder (output.dir)")
    planned = ["data", "features"] + [name for name, _ in _STEPS if config.step(name) is not None]
    logger.info("step 1/%d: loading and validating %s", len(planned), config.data.path)
    dataset = load_dataset(config.data.path, **config.data.load_kwargs())
    as_of = as_date(config.as_of, "as_of") if config.as_of else dataset.extracted_on
    _preflight(config, dataset, as_of)  # nothing is written before the settings are known to work
    result = _step_data(config, out, dataset, as_of)
    logger.info("step 2/%d: features as of %s", len(planned), result.as_of.date())
    _step_features(config, result)
    for i, (name, fn) in enumerate(((n, f) for n, f in _STEPS if config.step(n) is not None), start=3):
        logger.info("step %d/%d: %s", i, len(planned), name)
        fn(config, result)
    # the results first, then tracking: a tracking failure never costs the job's work
    if config.source is not None:
        result.files["config"] = out / "config.yaml"
        shutil.copyfile(config.source, result.files["config"])
    result.files["report_md"] = _write_report(config, result)
    if config.tracking.enabled:
        logger.info("tracking: logging, registering and promoting the models")
        _track(config, result)
        result.files["report_md"] = _write_report(config, result)  # with the tracking notes
    return result


def _track(config: RunConfig, result: RunResult) -> None:
    """Track the job's models; on any failure, a one-line :class:`TrackingError` saying what was not recorded.

    The results are already in the output folder; the report gets a note and the error
    carries the :class:`RunResult` (``error.result``).
    """
    from gridcrm.tracking.job import planned, store_uri, track

    try:
        track(config, result)
    except Exception as exc:  # noqa: BLE001 - store, disk, registry and MLflow errors alike
        state = result.frames.get("tracking") or {}
        uri = state.get("uri") or store_uri(config)
        done = set(state.get("done", []))
        missing = [name for name in planned(result) if name not in done]
        reason = str(exc) if isinstance(exc, TrackingError) else f"{type(exc).__name__}: {exc}"
        reason = reason.strip().splitlines()[0][:300] if reason.strip() else type(exc).__name__
        recorded = f" ({', '.join(sorted(done))} recorded)" if done else ""
        again = f"gridcrm run --config {config.source}" if config.source is not None else "the job with this config"
        message = (f"tracking failed, the results are written to {result.output_dir}/ but "
                   f"{', '.join(missing) or 'no model'} {'was' if len(missing) == 1 else 'were'} not logged or "
                   f"registered in {uri}{recorded}: {reason}; make the store usable (or set tracking.uri) and "
                   f"rerun {again}: the results come out the same and only the models not yet registered are "
                   "registered")
        result.notes.append(f"tracking: FAILED — {', '.join(missing) or 'no model'} not registered in {uri}: {reason}")
        result.files["report_md"] = _write_report(config, result)
        error = TrackingError(message)
        error.result = result  # type: ignore[attr-defined]
        raise error from exc


def _markdown_table(frame: pd.DataFrame) -> str:
    shown = frame.reset_index().astype(str)
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + " --- |" * shown.shape[1]]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in shown.itertuples(index=False)]
    return "\n".join(lines)


def _write_report(config: RunConfig, result: RunResult) -> Path:
    """``report.md`` in the output folder: what each step did, the data summary and every plot."""
    parts = [f"# gridcrm run `{config.name}` — as of {result.as_of.date()}", "",
             *[f"- {note}" for note in result.notes], "", "## Data", "", _markdown_table(result.summary)]
    for key in ("segment_profiles", "forecast_backtest"):
        if key in result.frames:
            parts += ["", f"## {key.replace('_', ' ').capitalize()}", "", _markdown_table(result.frames[key])]
    plots = [(k, p) for k, p in result.files.items() if k.endswith("_plot")]
    if plots:
        parts += ["", "## Plots", ""] + [f"### {k[:-5].replace('_', ' ')}\n\n![{k}]({p.name})\n" for k, p in plots]
    path = result.output_dir / "report.md"
    path.write_text("\n".join(parts) + "\n")
    return path


#: Registered models read by :func:`score`, and the columns each contributes to a portrait row.
_CHAMPIONS: dict[str, dict[str, str]] = {
    "gridcrm-segmenter": {"segment": "segment", "segment_name": "segment_name"},
    "gridcrm-credit": {"score": "credit_score", "grade": "credit_grade"},
    "gridcrm-value": {"value_score": "value_score"},
    "gridcrm-churn": {"probability": "churn_probability", "risk_grade": "churn_risk_grade", "reasons": "churn_reasons"},
    "gridcrm-arrears": {"probability": "arrears_probability", "risk_grade": "arrears_risk_grade",
                        "reasons": "arrears_reasons"},
}


def _consumption_range(daily: pd.DataFrame, levels: tuple[int, int] = (80, 95)) -> pd.DataFrame:
    """A typical day of the horizon per customer: the mean daily forecast and the mean of its daily bounds.

    ``levels``: the lower bound of the first level and the upper bound of the second (the portrait's
    "consumption range"). ``daily`` has ``customer_id``, ``forecast``, ``lo_<level>``, ``hi_<level>``.
    """
    low, high = levels
    ranges = daily.groupby("customer_id")[["forecast", f"lo_{low}", f"hi_{high}"]].mean()
    ranges.columns = ["forecast_kwh_day", f"forecast_kwh_day_lo_{low}", f"forecast_kwh_day_hi_{high}"]
    return ranges


def score(config: RunConfig, output: Path | None = None, alias: str = "champion") -> tuple[pd.DataFrame, Path]:
    """Batch scoring: every active customer's portrait row from the registered models, written to Parquet.

    Loads the data, builds features at ``as_of``, asks each registered model's
    ``alias`` version (``gridcrm-segmenter``, ``gridcrm-credit``, ``gridcrm-value``,
    ``gridcrm-churn``, ``gridcrm-arrears``, ``gridcrm-forecaster``; those not registered
    are skipped with a log line) for its answer, evaluates the tags on the features and
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
    for name, wanted in _CHAMPIONS.items():
        model = champion(name)
        if model is None:
            continue
        inputs = [c.name for c in model.metadata.get_input_schema().inputs]
        lacking = [c for c in inputs if c not in request.columns]
        if lacking:
            raise TrackingError(f"{name}@{alias} in {uri} needs column(s) the features at {as_of.date()} lack: {lacking[:10]}; "
                               "retrain it with this gridcrm version (gridcrm run)")
        answer = model.predict(request[inputs])
        for source, target in wanted.items():
            if source in answer.columns:
                columns[target] = pd.Series(answer[source].to_numpy(), index=features.index)
        logger.info("scored %s customers with %s@%s", f"{len(features):,}", name, alias)
    if not columns:
        raise TrackingError(f"no registered model @{alias} in the tracking store {uri} (looked for "
                            f"{', '.join(_CHAMPIONS)}): run `gridcrm run` with tracking.enabled on this config first, "
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
        scores = scores.join(_consumption_range(daily, (levels[0], levels[-1])).reindex(features.index))
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
