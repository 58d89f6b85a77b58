"""The main job's ``recommend`` step: product bundles per customer and payment plans by credit grade (#18).

Section ``recommend: {config: configs/products.yaml}``. Uses the credit grades, segments and
tags when those steps ran (the catalogue's rules read them; a rule on a column that is absent
is unknown, so e.g. the cash-flow products, offered by credit grade, need the credit step).
Propensities are learned from the ``offers`` table when the data has one (offers made in the
``window_days`` before ``as_of - horizon_days``, with features built at the start of that
window), else the catalogue's rule-based priors are used. Each campaign of the catalogue's
``campaigns:`` list (name, tag-expression audience, group columns) is selected on the same
customers (features, tags, credit grade, segment): ``campaign_<name>.csv`` (the list) and
``campaign_counts.csv`` (every campaign's counts by group).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gridcrm.job.steps import StepContext, StepResult, TrackedModel, step

logger = logging.getLogger(__name__)

__all__ = ["RecommendResult"]


@dataclass(frozen=True)
class RecommendResult(StepResult):
    """Recommendations (one row per customer and product), payment plans, plan changes, the fitted bundle."""

    recommendations: pd.DataFrame
    payment_plans: pd.DataFrame
    plan_changes: pd.DataFrame
    bundle: dict[str, Any]
    n_training_offers: int
    campaigns: dict[str, Any] = field(default_factory=dict)


def _check(path: Path, registry: dict[str, Any]) -> None:
    from gridcrm.recommend import load_payment_plans, load_product_catalogue

    cat = load_product_catalogue(path)
    if cat.payment_plans is not None:
        load_payment_plans(cat.payment_plans)


def _bundle(ctx: StepContext) -> dict[str, Any]:
    """What the recommender's customer frame is built from: the fitted tags, credit scorer and segmenter."""
    bundle: dict[str, Any] = {"recommender": None, "tags": None, "credit": None, "segmenter": None, "names": {}}
    tags_step = ctx.config.step("tags")
    if ctx.use("tags") is not None and tags_step is not None:
        from gridcrm.tags import load_tags

        bundle["tags"] = load_tags(tags_step.config)
    credit = ctx.use("credit")
    if credit is not None:
        bundle["credit"] = credit.scorer
    seg = ctx.use("segmentation")
    if seg is not None:
        bundle["segmenter"], bundle["names"] = seg.segmenter, dict(seg.names)
    return bundle


def _track(kind: str, ctx: StepContext, res: RecommendResult) -> TrackedModel:
    from gridcrm.recommend.judge import replay_precision_at_k
    from gridcrm.tracking import to_request
    from gridcrm.tracking._recommend_adapter import request_features

    bundle = res.bundle
    rec = bundle["recommender"]
    features = ctx.need("features").features
    request = to_request(features[request_features(bundle, features)])
    offers = ctx.dataset["offers"] if "offers" in ctx.dataset.table_names else None
    as_of, k, horizon = ctx.as_of, rec.k_, rec.catalogue_.settings.horizon_days

    def evaluate(model: Any) -> float:
        if offers is None or offers.empty:
            return float("nan")
        answer = model.predict(request)
        long = pd.concat([pd.DataFrame({"customer_id": answer["customer_id"], "product": answer[f"product_{r}"],
                                        "rank": r}) for r in range(1, k + 1)])
        return replay_precision_at_k(long[long["product"] != ""], offers, as_of, k=k, horizon_days=horizon)

    learned = rec.source().value_counts().to_dict()
    return TrackedModel("recommender", bundle, request.head(5), replay_precision_at_k.__name__, evaluate,
                        {"config": str(ctx.section.config) if ctx.section else "", "k": k,
                         "propensity": rec.propensity, "training_offers": res.n_training_offers,
                         "products_learned": learned.get("learned", 0),
                         "products_on_rule_priors": learned.get("rule prior", 0)},
                        ["recommend_plot"] if "recommend_plot" in ctx.job.files else [],
                        {"recommendations.csv": res.recommendations.head(1000),
                             "payment_plan_changes.csv": res.plan_changes.head(1000)})


@step("recommend", uses=("segmentation", "credit", "value", "risk", "tags"), result=RecommendResult, check=_check,
      models=("recommender",), track=_track,
      scores={"recommender": {"products": "recommended_products", "reasons": "recommendation_reasons"}},
      writes=("recommendations.parquet", "payment_plans.parquet", "payment_plan_changes.csv", "campaign_counts.csv"))
def _recommend(ctx: StepContext) -> RecommendResult:
    from gridcrm.features import build_features
    from gridcrm.recommend import ProductRecommender, load_payment_plans, load_product_catalogue, training_offers
    from gridcrm.tracking._recommend_adapter import recommender_inputs

    assert ctx.section is not None
    cat = load_product_catalogue(ctx.section.config)
    features = ctx.need("features").features
    bundle = _bundle(ctx)
    X = recommender_inputs(bundle, features)
    offers = ctx.dataset["offers"] if "offers" in ctx.dataset.table_names else None
    rec = ProductRecommender(catalogue=cat)
    n_train = 0
    if offers is not None and not offers.empty:
        s = cat.settings
        snapshot, train = training_offers(offers, ctx.as_of, horizon_days=s.horizon_days, window_days=s.window_days)
        n_train = len(train)
        if n_train:  # features as known at the start of the training offers: nothing after them
            past = build_features(ctx.dataset, as_of=snapshot, windows=tuple(ctx.config.features.windows))
            rec.fit(recommender_inputs(bundle, past), train)
        else:
            rec.fit(X)
    else:
        rec.fit(X)
    bundle["recommender"] = rec
    recommendations = rec.recommend(X)
    ctx.write("recommendations", recommendations, "recommendations.parquet")
    plans = load_payment_plans(cat.payment_plans) if cat.payment_plans is not None else load_payment_plans()
    graded = X if "credit_grade" in X.columns else X.assign(credit_grade=pd.Series(pd.NA, index=X.index, dtype=object))
    assigned = plans.assign(graded)
    ctx.write("payment_plans", assigned, "payment_plans.parquet")
    changes = assigned[assigned["change"]]
    ctx.write("payment_plan_changes", changes, "payment_plan_changes.csv")
    if len(recommendations):
        from gridcrm.recommend.plots import plot_recommendations

        ctx.save_figure("recommend_plot", plot_recommendations(recommendations, f"Recommended products at "
                                                               f"{ctx.as_of.date()}"), "recommendations.png")
    audiences = _campaigns(ctx, cat, X)
    by_class = recommendations.groupby("product_class").size().sort_values(ascending=False)
    ctx.report_table("Recommended products by class", by_class.rename("recommendations").to_frame())
    source = rec.source().value_counts().to_dict()
    history = (f"{source.get('learned', 0)} products learned from {n_train:,} offers, "
               f"{source.get('rule prior', 0)} on rule priors" if rec.model_ is not None
               else "no offer history to learn from: rule priors only")
    ctx.note(f"recommend: {recommendations['customer_id'].nunique():,} customers get "
             f"{len(recommendations):,} products (k = {rec.k_}; {history}); "
             f"{len(changes):,} customers should change payment plan"
             + ("" if "credit_grade" in X.columns else " (no credit grades: run the credit step)")
             + ("; campaigns: " + ", ".join(f"{name} {len(a):,}" for name, a in audiences.items()) if audiences else ""))
    return RecommendResult(recommendations=recommendations, payment_plans=assigned, plan_changes=changes,
                           bundle=bundle, n_training_offers=n_train, campaigns=audiences)


def _campaigns(ctx: StepContext, cat: Any, X: pd.DataFrame) -> dict[str, Any]:
    """Select and export each campaign's audience; their counts by group in one file."""
    from gridcrm.recommend import select

    audiences, counts = {}, []
    for c in cat.campaigns:
        audience = select(X, c.audience, by=list(c.by), columns=list(c.columns))
        if audience.unknown_columns:
            logger.warning("campaign %s: column(s) %s absent (their conditions not met)", c.name,
                           list(audience.unknown_columns))
        ctx.write(f"campaign_{c.name}", audience.customers, f"campaign_{c.name}.csv")
        table = audience.counts.reset_index()
        group = table[list(c.by)].astype(str).agg(" / ".join, axis=1)
        counts.append(pd.DataFrame({"campaign": c.name, "by": " / ".join(c.by), "group": group})
                      .join(table.drop(columns=list(c.by))))
        audiences[c.name] = audience
    if counts:
        table = pd.concat(counts, ignore_index=True)
        ctx.write("campaign_counts", table, "campaign_counts.csv", index=False)
        ctx.report_table("Campaign audiences (all customers)", table[table["group"].str.startswith("all")]
                         .set_index("campaign")[["selected", "customers", "share_of_group"]])
    return audiences
