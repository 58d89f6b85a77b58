"""The main job's built-in steps, each one registration (:func:`gridcrm.job.steps.step`).

features → segmentation → credit → value → forecasting → risk → tags. Each step calls its
capability, writes its files, adds its note and returns its typed result
(:mod:`gridcrm.job.results`); a step that registers a model says so with ``models=`` and a
``track`` function that hands tracking the fitted object, the capability's champion metric and
the data after ``as_of`` to judge it on.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridcrm.errors import ConfigError
from gridcrm.job.results import (
    CreditResult,
    FeaturesResult,
    ForecastResult,
    RiskResult,
    SegmentationResult,
    TagsResult,
    ValueResult,
)
from gridcrm.job.steps import StepContext, TrackedModel, step

if TYPE_CHECKING:
    from gridcrm.config import StepConfig
    from gridcrm.data import Dataset

logger = logging.getLogger(__name__)


def _config_param(ctx: StepContext) -> dict[str, Any]:
    return {"config": str(ctx.section.config) if ctx.section is not None else ""}


# --- features -------------------------------------------------------------------------------------------------------
@step("features", needs=(), result=FeaturesResult, writes=("features.parquet",), always=True)
def _features(ctx: StepContext) -> FeaturesResult:
    windows = tuple(ctx.config.features.windows)
    features = ctx.engine.features(ctx)
    ctx.write("features", features, "features.parquet")
    ctx.note(f"features: {len(features):,} active customers × {features.shape[1]} features as of {ctx.as_of.date()}")
    return FeaturesResult(features=features, windows=windows)


# --- segmentation ---------------------------------------------------------------------------------------------------
def _check_segmentation(path: Path, registry: dict[str, Any]) -> None:
    from gridcrm.segmentation import load_segmentation_config

    seg = load_segmentation_config(path)
    seg.customer_segmenter()
    seg.load_shape_clusterer()
    features = seg.customers.get("features", "default")
    if not isinstance(features, str):
        unknown = [f for f in features if f not in registry]
        if unknown:
            raise ConfigError(f"customers.features: {unknown} are not features of the registry")


def _track_segmentation(kind: str, ctx: StepContext, res: SegmentationResult) -> TrackedModel:
    from gridcrm.segmentation.judge import silhouette_rank_space

    segmenter = res.segmenter
    features = ctx.need("features").features
    by = [] if segmenter.by is None else [segmenter.by] if isinstance(segmenter.by, str) else list(segmenter.by)
    request = features[[*by, *(f for f in segmenter.features_ if f not in by)]].reset_index()
    clustered = request.drop(columns=["customer_id", *by])
    names = res.profiles["name"].to_dict()

    def evaluate(model: Any) -> float:
        return silhouette_rank_space(clustered, model.predict(request)["segment"].to_numpy())

    return TrackedModel("segmenter", {"segmenter": segmenter, "names": names}, request.head(5),
                        silhouette_rank_space.__name__, evaluate, {**_config_param(ctx), "k": segmenter.n_clusters_},
                        ["segment_k_plot", "segment_sizes_plot", "segment_heatmap_plot"],
                        {"segment_profiles.csv": res.profiles, "segment_k_scores.csv": res.k_scores})


@step("segmentation", result=SegmentationResult, models=("segmenter",), track=_track_segmentation,
      check=_check_segmentation, scores={"segmenter": {"segment": "segment", "segment_name": "segment_name"}},
      writes=("segments.parquet", "segment_profiles.csv", "segment_k_scores.csv", "segment_k_selection.png",
              "segment_sizes.png", "segment_heatmap.png"))
def _segmentation(ctx: StepContext) -> SegmentationResult:
    from gridcrm.segmentation import load_segmentation_config
    from gridcrm.segmentation.plots import (
        plot_feature_heatmap,
        plot_k_selection,
        plot_k_selection_by_stratum,
        plot_segment_sizes,
        plot_stratum_profile,
    )

    assert ctx.section is not None
    features = ctx.need("features").features
    with warnings.catch_warnings(record=True) as caught:  # e.g. no 15-min load before as_of: shape features left out
        warnings.simplefilter("always", UserWarning)
        segmenter = load_segmentation_config(ctx.section.config).customer_segmenter().fit(features)
    for w in caught:
        logger.info("segmentation: %s", w.message)  # also in the summary notes
        ctx.note(f"segmentation: {w.message}")
    profile = segmenter.profile(features)
    names = profile.names
    labels = pd.Series(segmenter.labels_, index=features.index, name="segment")
    ctx.write("segments", pd.DataFrame({"segment": labels, "segment_name": labels.map(names)}), "segments.parquet")
    ctx.write("segment_profiles", profile.summary, "segment_profiles.csv")
    ctx.report_table("Segment profiles", profile.summary)
    ctx.write("segment_k_scores", segmenter.k_scores_, "segment_k_scores.csv")
    ctx.save_figure("segment_sizes_plot", plot_segment_sizes(profile), "segment_sizes.png")
    ctx.save_figure("segment_heatmap_plot", plot_feature_heatmap(profile), "segment_heatmap.png")
    if segmenter.by is None:
        ctx.save_figure("segment_k_plot", plot_k_selection(segmenter.k_scores_, segmenter.n_clusters_),
                        "segment_k_selection.png")
        stability = segmenter.stability_
        stable = f", stability ARI {stability.mean_ari:.2f}" if stability is not None else ""
        ctx.note(f"segmentation: k = {segmenter.n_clusters_} (chosen from {len(segmenter.k_scores_)}){stable}: "
                 + "; ".join(f"{n} ({(labels == g).mean():.0%})" for g, n in names.items()))
    else:
        _stratified_outputs(ctx, segmenter, profile, plot_k_selection_by_stratum, plot_stratum_profile)
    _segment_migration(ctx, load_segmentation_config(ctx.section.config), features)
    return SegmentationResult(labels=labels, names=dict(names), profiles=profile.summary,
                              k_scores=segmenter.k_scores_, segmenter=segmenter)


def _segment_migration(ctx: StepContext, cfg: Any, features: pd.DataFrame) -> None:
    """Segments ``migration.months_before`` months before as_of (fitted then) against now, scored by that model."""
    from gridcrm.errors import GridcrmError
    from gridcrm.features import build_features
    from gridcrm.segmentation import migration_matrix
    from gridcrm.segmentation.plots import plot_migration

    if cfg.migration_months == 0:
        return
    earlier_on = ctx.as_of - pd.DateOffset(months=cfg.migration_months)
    try:
        earlier = build_features(ctx.dataset, as_of=earlier_on, windows=tuple(ctx.config.features.windows))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the earlier model's own notes are not this run's
            model = cfg.customer_segmenter().fit(earlier)
    except (GridcrmError, ValueError) as exc:
        ctx.note(f"segmentation: no migration matrix from {earlier_on.date()}: {exc}")
        return
    matrix = migration_matrix(model, earlier, features, labels=pd.Series(model.labels_, index=earlier.index))
    names = model.profile(earlier).names
    ctx.save_figure("segment_migration_plot", plot_migration(matrix), "segment_migration.png")
    labelled = matrix.rename(index=lambda g: f"{g}: {names[g]}" if g in names else g,
                             columns=lambda g: f"{g}: {names[g]}" if g in names else g)
    ctx.write("segment_migration", labelled, "segment_migration.csv")
    stayed, both = sum(int(matrix.iat[i, i]) for i in range(len(matrix) - 1)), int(matrix.iloc[:-1, :-1].sum().sum())
    ctx.note(f"segmentation: from {earlier_on.date()} to {ctx.as_of.date()} (segments of the {earlier_on.date()} "
             f"model): {stayed / max(both, 1):.0%} of {both:,} customers stayed in their segment; "
             f"{int(matrix.loc['(new)'].sum()):,} new, {int(matrix['(gone)'].sum()):,} gone")


def _stratified_outputs(ctx: StepContext, segmenter: Any, profile: Any, plot_k: Any, plot_profile: Any) -> None:
    """k evidence of every stratum in one figure, one page per segmented stratum, one note per stratum."""
    import re

    from gridcrm.segmentation.shapes import segment_load_shapes

    ctx.save_figure("segment_k_plot", plot_k(segmenter), "segment_k_selection.png")
    labels = pd.Series(segmenter.labels_, index=ctx.need("features").features.index)
    shapes = segment_load_shapes(ctx.dataset.load_interval, labels, as_of=ctx.as_of)
    for stratum, model in segmenter.segmenters_.items():
        if model is not None:
            slug = re.sub(r"[^0-9A-Za-z]+", "_", stratum).strip("_").lower()
            ctx.save_figure(f"segment_profile_{slug}_plot", plot_profile(profile, stratum, shapes=shapes),
                            f"segment_profile_{slug}.png")
        shares = profile.summary.loc[profile.summary["stratum"] == stratum, ["name", "share_customers"]]
        stability = segmenter.stability_.get(stratum)
        stable = f", stability ARI {stability.mean_ari:.2f}" if stability is not None else ""
        ctx.note(f"segmentation: {stratum}: k = {len(shares)}{stable}: "
                 + "; ".join(f"{n} ({s:.1%})" for n, s in shares.itertuples(index=False)))
    for note in segmenter.notes_:
        ctx.note(f"segmentation: {note}")


# --- credit and value -----------------------------------------------------------------------------------------------
def _check_scoring(path: Path, registry: dict[str, Any]) -> None:
    from gridcrm.credit import load_scoring_config

    load_scoring_config(path, registry=registry)


def _track_credit(kind: str, ctx: StepContext, res: CreditResult) -> TrackedModel:
    from gridcrm.credit.judge import arrears_auc
    from gridcrm.risk.labels import arrears_labels

    scorer = res.scorer
    features = ctx.need("features").features
    labels = arrears_labels(ctx.dataset, ctx.as_of)
    X = features.loc[features.index.intersection(labels.index), [c for c in scorer.indicators_ if c in features]]
    y = labels.loc[X.index, "label"].to_numpy()
    request = X.reset_index()

    def evaluate(model: Any) -> float:
        return arrears_auc(model.predict(request)["score"].to_numpy(dtype=float), y)

    return TrackedModel("credit", scorer, request.head(5), arrears_auc.__name__, evaluate, _config_param(ctx),
                        ["credit_weights_plot"], {"credit_scores.csv": res.scores.head(1000)})


@step("credit", result=CreditResult, models=("credit",), track=_track_credit, check=_check_scoring,
      scores={"credit": {"score": "credit_score", "grade": "credit_grade"}},
      writes=("credit.parquet", "credit_ahp_weights.png"))
def _credit(ctx: StepContext) -> CreditResult:
    from gridcrm.credit import CreditScorer, plot_weights

    assert ctx.section is not None
    features = ctx.need("features").features
    scorer = CreditScorer(ctx.section.config).fit(features)
    scored = scorer.transform(features)
    ctx.write("credit", scored, "credit.parquet")
    plot_weights(scorer.hierarchy_, ctx.output_dir / "credit_ahp_weights.png")
    ctx.job.files["credit_weights_plot"] = ctx.output_dir / "credit_ahp_weights.png"
    grades = scored["grade"].value_counts().sort_index(ascending=False)
    ctx.note("credit: grades " + ", ".join(f"{g} {n:,}" for g, n in grades.items()))
    return CreditResult(scores=scored, scorer=scorer)


def _track_value(kind: str, ctx: StepContext, res: ValueResult) -> TrackedModel:
    from gridcrm.credit.judge import future_revenue_spearman, revenue_after

    scorer = res.scorer
    features = ctx.need("features").features
    revenue = revenue_after(ctx.dataset.bills, ctx.as_of, features.index, days=90).to_numpy()
    request = features[[c for c in scorer.indicators_ if c in features.columns]].reset_index()

    def evaluate(model: Any) -> float:
        return future_revenue_spearman(model.predict(request)["value_score"].to_numpy(dtype=float), revenue)

    return TrackedModel("value", scorer, request.head(5), future_revenue_spearman.__name__, evaluate,
                        _config_param(ctx), [], {"big_customers.csv": res.big_customers})


@step("value", result=ValueResult, models=("value",), track=_track_value, check=_check_scoring,
      scores={"value": {"value_score": "value_score"}},
      writes=("value.parquet", "big_customers.csv"))
def _value(ctx: StepContext) -> ValueResult:
    from gridcrm.credit import CustomerValueScorer

    assert ctx.section is not None
    features = ctx.need("features").features
    scorer = CustomerValueScorer(ctx.section.config).fit(features)
    scores = scorer.transform(features)
    ctx.write("value", scores, "value.parquet")
    big = scorer.big_customers(features)
    ctx.write("big_customers", big, "big_customers.csv")
    ctx.note(f"value: top {len(big):,} customers by value listed with reasons")
    return ValueResult(scores=scores, big_customers=big, scorer=scorer)


# --- forecasting ----------------------------------------------------------------------------------------------------
def consumption_range(daily: pd.DataFrame, levels: tuple[int, int] = (80, 95)) -> pd.DataFrame:
    """A typical day of the horizon per customer: the mean daily forecast and the mean of its daily bounds.

    ``levels``: the lower bound of the first level and the upper bound of the second (the portrait's
    "consumption range"). ``daily`` has ``customer_id``, ``forecast``, ``lo_<level>``, ``hi_<level>``.
    """
    low, high = levels
    ranges = daily.groupby("customer_id")[["forecast", f"lo_{low}", f"hi_{high}"]].mean()
    ranges.columns = ["forecast_kwh_day", f"forecast_kwh_day_lo_{low}", f"forecast_kwh_day_hi_{high}"]
    return ranges


def _check_forecasting(path: Path, registry: dict[str, Any]) -> None:
    from gridcrm.forecasting import load_forecast_config

    load_forecast_config(path)


def _track_forecasting(kind: str, ctx: StepContext, res: ForecastResult) -> TrackedModel:
    from gridcrm.forecasting import daily_frame
    from gridcrm.forecasting.judge import mase_after_as_of

    if kind == "group-forecaster":
        return _track_group_forecaster(ctx, res)
    forecaster = res.forecaster
    horizon = res.h if res.forecasts is None else int(res.forecasts.groupby("unique_id").size().max())
    features = ctx.need("features").features
    actual = daily_frame(ctx.dataset, customers=features.index, fill=False)
    request = pd.DataFrame({"customer_id": features.index.to_numpy()})
    as_of = ctx.as_of

    def evaluate(model: Any) -> float:
        fc = model.predict(request, params={"horizon": horizon}).rename(columns={"customer_id": "unique_id"})
        return mase_after_as_of(fc, actual, as_of, season_length=forecaster.season_length, horizon=horizon)

    return TrackedModel("forecaster", forecaster, request.head(5), mase_after_as_of.__name__, evaluate,
                        {**_config_param(ctx), "horizon": horizon}, ["forecast_fan_plot"],
                        {"forecast_backtest.csv": res.backtest, "forecast_models.csv": res.models},
                        higher_is_better=False, request_params={"horizon": horizon})


def _track_group_forecaster(ctx: StepContext, res: ForecastResult) -> TrackedModel:
    from gridcrm.forecasting import aggregate, daily_frame
    from gridcrm.forecasting.judge import group_mase_after_as_of

    model = res.group_model
    horizon = int(res.groups.groupby("unique_id").size().max())
    h = model.hierarchy
    members = ctx.dataset.customers.set_index("customer_id").reindex(h.bottom_ids.astype(int))
    later = daily_frame(ctx.dataset, customers=h.bottom_ids.astype(int), fill=False)
    actual, _ = aggregate(later, members, [lv for lv in h.levels if lv != "total"], total=True, include_bottom=False)
    request = pd.DataFrame({"unique_id": h.group_ids.astype(str)})
    as_of = ctx.as_of

    def evaluate(served: Any) -> float:
        fc = served.predict(request, params={"horizon": horizon})
        return group_mase_after_as_of(fc, actual, as_of, season_length=model.season_length, horizon=horizon)

    return TrackedModel("group-forecaster", model, request.head(5), group_mase_after_as_of.__name__, evaluate,
                        {**_config_param(ctx), "horizon": horizon, "reconciliation": model.method},
                        [], {"forecast_accuracy_by_level.csv": res.group_accuracy.reset_index()},
                        higher_is_better=False, request_params={"horizon": horizon})


def _interval_forecasts(ctx: StepContext, cfg: Any) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """A week ahead of the 15-minute load of the interval customers with 4 weeks of it before ``as_of``.

    The engine fits :func:`gridcrm.job.engine.interval_forecaster` (two seasons, model choice by
    backtest, conformal ranges, the calendar from the customer's own profiles) on every such
    customer and scores the week after ``as_of`` (MASE with m = one week, 95 % coverage) where the
    data has it; the fan chart shows the customer of highest mean load.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gridcrm.forecasting import fan_chart
    from gridcrm.job.engine import INTERVAL_MIN_WEEKS, interval_forecaster

    got = ctx.engine.interval_forecasts(ctx, interval_forecaster(cfg), INTERVAL_MIN_WEEKS)
    if got.customer is None:
        fig, ax = plt.subplots(figsize=(9, 3))
        ax.text(0.5, 0.5, f"no 15-minute customer has {INTERVAL_MIN_WEEKS} weeks of load before {ctx.as_of.date()}",
                ha="center", va="center")
        ax.set_axis_off()
        return got.forecasts, got.summary, fig
    out, biggest = got.forecasts, got.customer
    selected = out.loc[out["unique_id"] == biggest, "selected"].iloc[0]
    ax = fan_chart(got.history, out.drop(columns=["selected"]), biggest, last=14 * 96, actual=got.actual,
                   title=f"15-minute load of customer {biggest}: a week after {ctx.as_of.date()} ({selected})")
    ax.set_ylabel("kW")
    return out, got.summary, ax.figure


@step("forecasting", result=ForecastResult, models=("forecaster", "group-forecaster"), track=_track_forecasting,
      check=_check_forecasting,
      writes=("forecasts.parquet", "forecast_models.csv", "forecast_backtest.csv", "forecast_fan_chart.png",
              "group_forecasts.parquet", "forecast_accuracy_by_level.csv", "interval_forecasts.parquet",
              "interval_fan_chart.png"))
def _forecasting(ctx: StepContext) -> ForecastResult:
    from gridcrm.forecasting import backtest, daily_frame, fan_chart, load_forecast_config

    assert ctx.section is not None
    cfg = load_forecast_config(ctx.section.config)
    features = ctx.need("features").features
    fc = ctx.engine.customer_forecasts(ctx, cfg, features.index)
    history, forecasts, models, forecaster = fc.history, fc.forecasts, fc.models, fc.forecaster
    if forecasts is not None:
        ctx.write("forecasts", forecasts, "forecasts.parquet")
        ranges = consumption_range(forecasts.rename(columns={"unique_id": "customer_id"}),
                                   levels=(min(cfg.level), max(cfg.level)))
    else:  # too many rows to collect: the engine wrote the Parquet directory and computed the ranges
        ctx.job.files["forecasts"] = fc.written
        ranges = fc.ranges
    ctx.write("forecast_models", models, "forecast_models.csv")
    # accuracy on the last windows before as_of, for a sample of customers (what the ranges are worth)
    sample = history["unique_id"].drop_duplicates().sample(
        n=min(300, history["unique_id"].nunique()), random_state=cfg.random_state)
    bt = backtest(cfg.forecaster(), history[history["unique_id"].isin(sample)], h=cfg.backtest.h,
                  n_windows=cfg.backtest.windows, step=cfg.backtest.step)
    summary = bt.summary()
    ctx.write("forecast_backtest", summary, "forecast_backtest.csv")
    ctx.report_table("Forecast backtest", summary)
    on_driver = features.index.isin(history["unique_id"].unique())  # every customer, or the engine's driver sample
    biggest = features.loc[on_driver, "kwh_mean_90d"].idxmax()
    later = daily_frame(ctx.dataset, customers=[biggest], fill=False)
    ax = fan_chart(history, fc.of([biggest]), biggest, actual=later[later["ds"] >= ctx.as_of])
    ctx.save_figure("forecast_fan_plot", ax.figure, "forecast_fan_chart.png")
    overall = summary.loc["all"]
    interval, interval_summary, interval_fig = _interval_forecasts(ctx, cfg)
    ctx.write("interval_forecasts", interval, "interval_forecasts.parquet")
    ctx.save_figure("interval_fan_plot", interval_fig, "interval_fan_chart.png")
    if len(interval_summary):
        ctx.report_table("15-minute load, a week after as_of", interval_summary)
        row = interval_summary.loc["all"]
        ctx.note(f"interval load: {interval['unique_id'].nunique()} customers × 672 quarter-hours; MASE (m = one week) "
                 f"{row['mase']:.2f}, 95% coverage {row['coverage_95']:.0%} over the week after as_of")
    groups, accuracy, group_model = ctx.engine.group_forecasts(ctx, cfg, fc)
    ctx.write("group_forecasts", groups, "group_forecasts.parquet")
    ctx.write("forecast_accuracy_by_level", accuracy.reset_index(), "forecast_accuracy_by_level.csv")
    if len(accuracy):
        ctx.report_table("Forecast accuracy per level after as_of", accuracy)
    fallbacks = int((models["fallback"].fillna("") != "").sum())
    regressors = fc.regressors
    ctx.note(f"forecasting: {len(models):,} customers × {cfg.h} days ({cfg.engine}), "
             f"{fallbacks} fallbacks; backtest on {len(sample)}: MASE {overall['mase']:.2f}, "
             f"95% coverage {overall['coverage_95']:.0%}"
             + (f" (observed temperatures){regressors}" if regressors else ""))
    if len(accuracy):
        rec = accuracy.xs(accuracy.index.get_level_values("forecasts")[-1], level="forecasts")["mase"]
        ctx.note(f"group forecasts: {groups['unique_id'].nunique()} groups of {', '.join(cfg.groups)} and the total, "
                 f"{group_model.method}; MASE after as_of per level: "
                 + ", ".join(f"{lv} {v:.2f}" for lv, v in rec.items()))
    return ForecastResult(forecasts=forecasts, models=models, ranges=ranges, backtest=summary,
                          forecaster=forecaster, h=int(cfg.h), groups=groups, group_accuracy=accuracy,
                          group_model=group_model)


# --- risk -----------------------------------------------------------------------------------------------------------
def _check_risk(path: Path, registry: dict[str, Any]) -> None:
    from gridcrm.risk import load_risk_config

    risk = load_risk_config(path)
    named = [*risk.risk_list.columns, risk.risk_list.amount_column]
    unknown = [c for c in named if c not in registry]
    if unknown:
        raise ConfigError(f"risk_list: column(s) {unknown} are not features of the registry")


def _preflight_risk(section: StepConfig, dataset: Dataset, as_of: pd.Timestamp) -> None:
    """Each risk model needs training, validation and test snapshots whose labels closed before ``as_of``."""
    from gridcrm.risk import LabelError, load_risk_config, snapshot_dates
    from gridcrm.risk.labels import plan_split

    cfg = load_risk_config(section.config)
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
                f"in {section.config})"
            ) from exc


def _track_risk(kind: str, ctx: StepContext, res: RiskResult) -> TrackedModel:
    from gridcrm.risk.grades import grade_cuts
    from gridcrm.risk.judge import roc_auc_after_as_of
    from gridcrm.tracking import to_request

    trained = res.trainings[kind]
    model = trained.model
    features = ctx.need("features").features
    cuts = grade_cuts(model.predict_proba(features)[:, 1])  # as the job's risk list graded the same customers
    label = res.outcomes[kind]
    rows = features.index.intersection(label.index)
    request = to_request(features.loc[rows, model.feature_names])  # categories as strings (JSON has none)
    y = label.loc[rows, "label"].to_numpy()

    def evaluate(served: Any) -> float:
        return roc_auc_after_as_of(y, served.predict(request)["probability"].to_numpy(dtype=float))

    tables = {f"{kind}_evaluation_after_as_of.csv": res.reports[kind].metrics}
    if trained.report is not None:
        tables[f"{kind}_evaluation_test_snapshot.csv"] = trained.report.metrics
    if trained.tuning is not None:
        tables[f"{kind}_optuna_trials.csv"] = trained.tuning.history
    events, minimum = res.events[kind]
    return TrackedModel(kind, {"model": model, "cuts": cuts}, request.head(5), roc_auc_after_as_of.__name__, evaluate,
                        {**_config_param(ctx), **{k: v for k, v in trained.summary().items() if not isinstance(v, dict)}},
                        [f"{kind}_{p}_plot" for p in ("roc", "calibration", "lift", "importance")], tables,
                        trials=trained.tuning.history if trained.tuning is not None else None, adapter="risk",
                        held_back=f"trained on {events} events (< {minimum})" if events < minimum else None)


def _risk_plots(ctx: StepContext, kind: str, report: Any, model: Any) -> None:
    from gridcrm.risk import global_importance
    from gridcrm.risk.plots import plot_calibration, plot_importance, plot_lift, plot_pr, plot_roc

    as_of = ctx.as_of.date()
    figures = {
        "roc": plot_roc(report, f"{kind}: ROC after {as_of}"),
        "pr": plot_pr(report, f"{kind}: precision–recall after {as_of}"),
        "calibration": plot_calibration(report, f"{kind}: calibration after {as_of}"),
        "lift": plot_lift(report, f"{kind}: cumulative lift"),
        "importance": plot_importance(global_importance(model), title=f"{kind}: feature importance (mean |SHAP|)"),
    }
    for what, fig in figures.items():
        ctx.save_figure(f"{kind}_{what}_plot", fig, f"{kind}_{what}.png")


@step("risk", result=RiskResult, models=("arrears", "churn"), track=_track_risk, check=_check_risk,
      preflight=_preflight_risk, writes=("risk_list.parquet",),
      scores={kind: {"probability": f"{kind}_probability", "risk_grade": f"{kind}_risk_grade",
                     "reasons": f"{kind}_reasons"} for kind in ("churn", "arrears")})
def _risk(ctx: StepContext) -> RiskResult:
    from gridcrm.features import build_features
    from gridcrm.risk import (
        build_training_set,
        evaluate,
        load_risk_config,
        risk_list,
        snapshot_dates,
        time_split,
        train_risk_model,
    )

    assert ctx.section is not None
    cfg = load_risk_config(ctx.section.config)
    known = ctx.dataset.truncate(ctx.as_of)  # training never sees an outcome after as_of
    features = ctx.need("features").features
    windows = ctx.config.features.windows
    snap = cfg.snapshots
    trainings: dict[str, Any] = {}
    outcomes: dict[str, pd.DataFrame] = {}
    reports: dict[str, Any] = {}
    events_by_kind: dict[str, tuple[int, int]] = {}

    def build(dataset: Any, cut: pd.Timestamp) -> pd.DataFrame:  # the job's windows: trained as scored
        return build_features(dataset, as_of=cut, windows=windows)

    for kind, label in (("arrears", cfg.arrears_label), ("churn", cfg.churn_label)):
        snapshots = snapshot_dates(known, label, n=snap.n, freq=snap.freq, min_history_days=snap.min_history_days)
        data = build_training_set(known, snapshots, label, features=build)
        train, valid, test = time_split(data, valid_snapshots=snap.valid, test_snapshots=snap.test)
        trained = train_risk_model(kind, train, valid, test, config=cfg)
        trainings[kind] = trained
        # the honest figure: the model scored at as_of against what happened after it
        outcome = label.labels(ctx.dataset, ctx.as_of)
        outcomes[kind] = outcome
        rows = features.index.intersection(outcome.index)
        report = evaluate(outcome.loc[rows, "label"].to_numpy(),
                          {"model": trained.model.predict_proba(features.loc[rows])[:, 1]})
        reports[kind] = report
        _risk_plots(ctx, kind, report, trained.model)
        auc = float(report.metrics.loc["model", "roc_auc"])
        events, minimum = int(train.y.sum()), int(cfg.min_events)
        events_by_kind[kind] = (events, minimum)
        if events < minimum:
            logger.warning("%s model: trained on %d events (< %d): not registered as champion", kind, events, minimum)
            ctx.note(f"risk: {kind} model: trained on {events} events (< {minimum}): not registered as "
                     "champion (its probabilities below are indicative only)")
        ctx.note(f"risk: {kind} model on {len(train.y):,} training rows ({int(train.y.sum()):,} positive) "
                 f"from {len(train.snapshots)} of {len(snapshots)} snapshots (the others validate, test "
                 f"or are gaps); ROC-AUC {auc:.3f} on what happened after {ctx.as_of.date()}")
    models = {kind: trained.model for kind, trained in trainings.items()}
    ranked = risk_list(features, models, rules=cfg.risk_list.rules, n_reasons=cfg.risk_list.n_reasons,
                       amount_column=cfg.risk_list.amount_column, columns=cfg.risk_list.columns)
    ctx.write("risk_list", ranked, "risk_list.parquet")
    portrait_columns: dict[str, pd.DataFrame] = {}
    for kind in models:
        if f"p_{kind}" in ranked:  # the portrait's columns, named as batch scoring names them
            columns = {f"{kind}_probability": ranked[f"p_{kind}"], f"{kind}_risk_grade": ranked[f"{kind}_risk_grade"]}
            portrait_columns[kind] = pd.DataFrame(columns, index=ranked.index).reindex(features.index)
    return RiskResult(risk_list=ranked, trainings=trainings, outcomes=outcomes, reports=reports,
                      events=events_by_kind, columns=portrait_columns)


# --- tags and portraits ---------------------------------------------------------------------------------------------
def _check_tags(path: Path, registry: dict[str, Any]) -> None:
    from gridcrm.tags import load_tags

    load_tags(path, registry=registry)


def _scores(ctx: StepContext) -> pd.DataFrame | None:
    """The models' outputs the tags and portraits read: every earlier step's :meth:`customer_columns`."""
    parts = [cols for res in ctx.job.results.values() if (cols := res.customer_columns()) is not None]
    return pd.concat(parts, axis=1) if parts else None


@step("tags", uses=("segmentation", "credit", "value", "forecasting", "risk"), result=TagsResult, check=_check_tags,
      writes=("tags.parquet", "portraits.parquet", "group_portrait.png"))
def _tags(ctx: StepContext) -> TagsResult:
    from gridcrm.tags import Portraits, load_tags, plot_group_portrait

    assert ctx.section is not None
    features = ctx.need("features").features
    scores = _scores(ctx)
    tags = ctx.engine.tags(ctx, load_tags(ctx.section.config), features, scores)
    ctx.write("tags", tags.long, "tags.parquet")
    seg, fc = ctx.use("segmentation"), ctx.use("forecasting")
    segments = seg.segment_names if seg is not None else None
    portraits = Portraits(features, tags, segments=segments, scores=scores,
                          forecasts=fc.ranges if fc is not None else None)
    table = portraits.table()
    ctx.write("portraits", table, "portraits.parquet")
    by: str | pd.Series = segments if segments is not None else "customer_class"
    ctx.save_figure("group_portrait_plot", plot_group_portrait(portraits.group_portrait(by)), "group_portrait.png")
    top = tags.prevalence().sort_values(ascending=False).head(3)
    ctx.note(f"tags: {tags.wide.shape[1]} tags, {len(tags.long):,} (customer, tag) pairs; most common "
             + ", ".join(f"{t} {p:.0%}" for t, p in top.items()))
    return TagsResult(tags=tags, portraits=table)
