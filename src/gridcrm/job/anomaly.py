"""The main job's ``anomaly`` step: theft, meter-fault and abnormal-consumption scores and the inspection list (#16).

Section ``anomaly: {config: configs/anomaly.yaml}``. The detector learns from the thefts recorded
before ``as_of`` (and clean inspections, when the data has an ``inspections`` table) and scores every
active customer at ``as_of``; the inspection list ranks them by expected recovered energy. Writes
``anomaly_scores.parquet``, ``inspection_list.csv`` and ``anomaly_flagged.png`` (the first customer
of the list, onset marked). Registers ``gridcrm-anomaly``, judged by the share of the thefts recorded
in the 180 days after ``as_of`` that its top 1 % held.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.job.steps import StepContext, StepResult, TrackedModel, step

logger = logging.getLogger(__name__)

__all__ = ["AnomalyResult", "JUDGE_DAYS"]

#: Days after ``as_of`` whose recorded thefts judge the model.
JUDGE_DAYS = 180


@dataclass(frozen=True)
class AnomalyResult(StepResult):
    """Scores per active customer, the inspection list, the fitted detector and the signals it scored."""

    scores: pd.DataFrame
    inspections: pd.DataFrame
    detector: Any
    signals: pd.DataFrame

    def customer_columns(self) -> pd.DataFrame:
        """``anomaly_score`` and ``anomaly_kind`` per customer, read by the tags (``suspected_theft``, ...)."""
        return pd.DataFrame({"anomaly_score": self.scores["score"], "anomaly_kind": self.scores["kind"]})


def _check(path: Path, registry: dict[str, Any]) -> None:
    from gridcrm.anomaly import load_anomaly_config

    load_anomaly_config(path).anomaly_detector()


def recorded_after(dataset: Any, ids: pd.Index, as_of: pd.Timestamp, days: int = JUDGE_DAYS) -> np.ndarray:
    """Whether each customer of ``ids`` had a theft recorded in ``[as_of, as_of + days)``."""
    if "events" not in dataset.table_names or dataset.events.empty:
        return np.zeros(len(ids), dtype=bool)
    ev = dataset.events
    hit = (ev["kind"].astype(str) == "theft") & (ev["at"] >= as_of) & (ev["at"] < as_of + pd.Timedelta(days=days))
    return ids.isin(ev.loc[hit, "customer_id"]).astype(bool) if len(ids) else np.zeros(0, dtype=bool)


def _track(kind: str, ctx: StepContext, res: AnomalyResult) -> TrackedModel:
    from gridcrm.anomaly.judge import recorded_theft_recall_at_top
    from gridcrm.tracking import to_request
    from gridcrm.tracking._anomaly_adapter import request_columns

    det = res.detector
    request = to_request(res.signals[request_columns()].reset_index())
    y = np.asarray(recorded_after(ctx.dataset, res.signals.index, ctx.as_of))

    def evaluate(model: Any) -> float:
        return recorded_theft_recall_at_top(y, model.predict(request)["score"].to_numpy(dtype=float))

    params = {"config": str(ctx.section.config) if ctx.section else "", **det.get_params(),
              "recorded_thefts": det.n_positives_, "clean_inspections": det.n_negatives_,
              "supervised": det.supervised_, "blend_weight": det.blend_weight_,
              "label_frequency": det.label_frequency_}
    return TrackedModel("anomaly", det, request.head(5), recorded_theft_recall_at_top.__name__, evaluate, params,
                        ["anomaly_flagged_plot"], {"inspection_list.csv": res.inspections}, adapter="anomaly")


def signal_rows(dataset: Any, as_of: pd.Timestamp) -> pd.DataFrame:
    """The served detector's request rows at ``as_of`` (what ``gridcrm score`` sends it): signals, peer group, levels."""
    from gridcrm.anomaly import anomaly_signals
    from gridcrm.tracking._anomaly_adapter import request_columns

    return anomaly_signals(dataset, as_of)[request_columns()]


# gridcrm score sends this model signal rows (score_inputs), not the feature rows.
@step("anomaly", result=AnomalyResult, before=("tags",), check=_check, models=("anomaly",), track=_track,
      writes=("anomaly_scores.parquet", "inspection_list.csv", "anomaly_flagged.png"),
      scores={"anomaly": {"score": "anomaly_score", "kind": "anomaly_kind", "reasons": "anomaly_reasons"}},
      score_inputs={"anomaly": signal_rows})
def _anomaly(ctx: StepContext) -> AnomalyResult:
    from gridcrm.anomaly import anomaly_signals, inspection_list, load_anomaly_config
    from gridcrm.anomaly.detector import _context, describe
    from gridcrm.anomaly.plots import plot_flagged_customer

    assert ctx.section is not None
    cfg = load_anomaly_config(ctx.section.config)
    known = ctx.dataset.truncate(ctx.as_of)  # nothing after as_of: not a recorded theft, not a read
    det = cfg.anomaly_detector().fit(known, ctx.as_of)
    signals = anomaly_signals(known, ctx.as_of)
    context = _context(known, signals.index.to_numpy(), ctx.as_of) if det.use_payments else None
    scores = describe(signals, det.predict_signals(signals, context), context, ctx.as_of)
    ctx.write("anomaly_scores", scores, "anomaly_scores.parquet")
    listed = inspection_list(scores, dataset=known, **cfg.inspection)
    ctx.write("inspection_list", listed, "inspection_list.csv", index=False)
    first = listed.iloc[0] if len(listed) else None
    if first is not None:
        fig = plot_flagged_customer(known, int(first["customer_id"]), ctx.as_of, first["onset"],
                                    title=f"customer {int(first['customer_id'])}: {first['kind']}, score "
                                          f"{first['score']:.2f} (first on the inspection list)")
    else:
        fig = plot_flagged_customer(known, int(scores.index[0]), ctx.as_of, None,
                                    title="no customer on the inspection list")
    ctx.save_figure("anomaly_flagged_plot", fig, "anomaly_flagged.png")
    kinds = scores["kind"].value_counts()
    ctx.report_table("Anomalies by kind", kinds.rename("customers").to_frame())
    mode = (f"PU model on {det.n_positives_} recorded thefts, blend weight {det.blend_weight_}" if det.supervised_
            else f"unsupervised ({det.n_positives_} recorded thefts: too few to learn from)")
    ctx.note(f"anomaly: {int(kinds.get('theft', 0)):,} theft-like drops, {int(kinds.get('meter_fault', 0)):,} meter "
             f"faults among {len(scores):,} customers ({mode}); inspection list of {len(listed)} worth "
             f"{listed['expected_kwh'].sum():,.0f} kWh expected ({listed.attrs.get('excluded_recent', 0)} "
             f"recently inspected left out)")
    return AnomalyResult(scores=scores, inspections=listed, detector=det, signals=signals)
