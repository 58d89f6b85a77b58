"""The main job's ``service`` step: complaint topics, screening list, hotspots, resolution times (#17).

Section ``service: {config: configs/service.yaml}``. Trains ``ComplaintClassifier`` on the
contact texts made before ``as_of`` (the recorded ``contacts.topic`` where there is one, the
keyword rules' weak labels elsewhere), tracked and served as ``gridcrm-complaint-classifier``
(judged by macro-F1 on the texts made after ``as_of``); screens the texts for sensitive words and
escalation behaviour; counts complaint hotspots with control limits; measures resolution times
against the service standards; finds what moves survey satisfaction; sums it up per customer. Personal data in texts is masked
before any text is written, logged or used as an input example.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridcrm.errors import ConfigError, InputError
from gridcrm.job.steps import StepContext, StepResult, TrackedModel, step

logger = logging.getLogger(__name__)

__all__ = ["ServiceResult"]

_MIN_TEXTS = 20


@dataclass(frozen=True)
class ServiceResult(StepResult):
    """Per-customer service features, the screening list, hotspots, resolution times, the classifier."""

    customers: pd.DataFrame
    screening: pd.DataFrame
    hotspots: pd.DataFrame
    resolution: pd.DataFrame
    drivers: pd.DataFrame
    classifier: Any

    def customer_columns(self) -> pd.DataFrame:
        """``escalation_risk`` (0/1) and ``service_last_topics`` per customer, for tags and portraits."""
        return pd.DataFrame({"escalation_risk": self.customers["escalation_risk"].astype(int),
                             "service_last_topics": self.customers["service_last_topics"]})


def _check(path: Path, registry: dict[str, Any]) -> None:
    from gridcrm.service.config import load_service_config

    load_service_config(path)


def _preflight(section: Any, dataset: Any, as_of: pd.Timestamp) -> None:
    contacts = dataset.contacts
    # a column the extract lacks is loaded empty: refuse an empty one as a missing one
    missing = [c for c in ("text", "topic", "closed_at") if c not in contacts.columns or contacts[c].isna().all()]
    if missing:
        raise ConfigError(f"service: the contacts table has no {missing} column(s); the service step needs contact "
                          "texts, topics and closing times (regenerate the data with gridcrm synth, or leave the "
                          "service section out)")
    n = int((contacts["text"].notna() & (contacts["at"] < as_of)).sum())
    if n < _MIN_TEXTS:
        raise ConfigError(f"service: {n} contact texts before as_of {as_of.date()}; the classifier needs at least "
                          f"{_MIN_TEXTS}")


def _texts_after(ctx: StepContext) -> pd.DataFrame:
    c = ctx.dataset.contacts
    return c.loc[(c["at"] >= ctx.as_of) & c["text"].notna() & c["topic"].notna(), ["text", "topic"]]


def _track(kind: str, ctx: StepContext, res: ServiceResult) -> TrackedModel:
    from gridcrm.service import mask_pii
    from gridcrm.service.judge import topic_macro_f1

    later = _texts_after(ctx)
    request = pd.DataFrame({"text": mask_pii(later["text"].astype(str))})
    truth = later["topic"].astype(str).to_numpy()
    clf = res.classifier

    def evaluate(model: Any) -> float:
        return topic_macro_f1(model.predict(request)["topic"].to_numpy(), truth)

    example = pd.DataFrame({"text": res.screening["text"].head(5).tolist() or ["停电三个小时了"]})
    params = {"config": str(ctx.section.config) if ctx.section else "", "C": clf.C, "calibrated": clf.calibrated_,
              "labelled": clf.n_labelled_, "weak_labelled": clf.n_weak_labelled_, "left_out": clf.n_unlabelled_,
              "topics": ",".join(clf.classes_)}
    return TrackedModel(kind, clf, example, topic_macro_f1.__name__, evaluate, params, ["complaint_hotspots_plot"],
                        {"screening_list.csv": res.screening.head(1000), "resolution_times.csv": res.resolution})


@step("service", result=ServiceResult, before=("tags",), check=_check, preflight=_preflight, models=("complaint-classifier",),
      track=_track, writes=("service_customers.parquet", "screening_list.csv", "complaint_hotspots.csv",
                            "complaint_hotspots.png", "resolution_times.csv", "satisfaction_drivers.csv"))
def _service(ctx: StepContext) -> ServiceResult:
    from gridcrm.service import (
        SensitiveScreen,
        complaint_hotspots,
        customer_service_features,
        plot_hotspots,
        resolution_times,
        satisfaction_drivers,
        screening_list,
    )
    from gridcrm.service.config import load_service_config

    assert ctx.section is not None
    cfg = load_service_config(ctx.section.config)
    contacts, customers = ctx.dataset.contacts, ctx.dataset.customers
    before = contacts.loc[(contacts["at"] < ctx.as_of) & contacts["text"].notna()]
    known = before["topic"].astype(object).where(before["topic"].notna(), None)
    try:
        clf = cfg.complaint_classifier().fit(before["text"].astype(str), known)
    except InputError as exc:
        raise InputError(f"service: {exc}") from None
    screened = screening_list(contacts, ctx.as_of, screen=SensitiveScreen(cfg.lexicon), classifier=clf,
                              repeat_days=cfg.repeat_days)
    ctx.write("screening_list", screened, "screening_list.csv")
    features = customer_service_features(screened, ctx.as_of, window_days=cfg.window_days,
                                         frequent_complainer=cfg.frequent_complainer)
    ctx.write("service_customers", features, "service_customers.parquet")
    hotspots = complaint_hotspots(contacts, customers, ctx.as_of, by=cfg.hotspot_by, history=cfg.history_months,
                                  min_history=cfg.min_history_months, alpha=cfg.alpha)
    ctx.write("complaint_hotspots", hotspots, "complaint_hotspots.csv")
    rows = "region" if "region" in cfg.hotspot_by else cfg.hotspot_by[0]
    columns = "topic" if "topic" in cfg.hotspot_by else cfg.hotspot_by[-1]
    ctx.save_figure("complaint_hotspots_plot", plot_hotspots(hotspots, rows=rows, columns=columns),
                    "complaint_hotspots.png")
    resolution = resolution_times(contacts, ctx.as_of, cfg.standards_hours, customers=customers, by=("topic",))
    ctx.write("resolution_times", resolution, "resolution_times.csv")
    ctx.report_table("Resolution within the service standard", resolution.set_index("topic"))
    try:
        drivers = satisfaction_drivers(contacts, ctx.as_of, cfg.standards_hours)
        said = f"satisfaction drivers from {drivers.attrs['n_surveys']:,} surveys (R² {drivers.attrs['r2']:.2f})"
    except InputError as exc:  # too few surveys: the table is written empty and the note says why
        drivers = pd.DataFrame(columns=["effect", "low", "high", "p_value", "mean"])
        said = f"no satisfaction drivers ({exc})"
    ctx.write("satisfaction_drivers", drivers, "satisfaction_drivers.csv")
    ctx.report_table("Satisfaction drivers (score points per unit, 95 % interval)", drivers.round(3))
    latest = hotspots[hotspots["month"] == hotspots["month"].max()] if len(hotspots) else hotspots
    ctx.note(f"service: {len(before):,} texts ({clf.n_labelled_:,} with a topic, {clf.n_weak_labelled_:,} weak "
             f"labels, {clf.n_unlabelled_:,} left out); {int(screened['flagged'].sum()):,} contacts on the screening "
             f"list; {int(latest['alert'].sum())} hotspot alert(s) in the last month; "
             f"{int(features['escalation_risk'].sum()):,} customers at escalation risk, "
             f"{int(features['frequent_complainer'].sum()):,} frequent complainers; {said}")
    return ServiceResult(customers=features, screening=screened, hotspots=hotspots, resolution=resolution,
                         drivers=drivers, classifier=clf)
