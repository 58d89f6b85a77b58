"""The main job: the data step, then every registered step whose section is configured, in dependency order.

Nothing here names a capability: the steps (:mod:`gridcrm.job.builtin`, or any registered with
:func:`gridcrm.job.steps.step`) say what they need, write and register.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gridcrm.config import RunConfig
from gridcrm.data import Dataset, load_dataset
from gridcrm.data.dates import as_date
from gridcrm.errors import GridcrmError, TrackingError
from gridcrm.job.steps import StepContext, StepResult, TrackedModel, ordered, registered_steps

__all__ = ["MIN_EVENTS", "RunResult", "run"]

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
    results : dict of str to StepResult
        Every step's typed result by step name (``features``, ``credit``, ``segmentation``, ...).
    notes : list of str
        One line per step on what it did, for people.
    tables : dict of str to DataFrame
        Tables shown in ``report.md``, by title.
    tracking : dict or None
        The tracking step's state when tracking ran: ``uri``, ``decisions``, ``held_back``,
        ``unchanged``, ``done``.
    """

    dataset: Dataset
    summary: pd.DataFrame
    rejections: pd.DataFrame
    output_dir: Path
    as_of: pd.Timestamp
    files: dict[str, Path] = field(default_factory=dict)
    results: dict[str, StepResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    tracking: dict[str, Any] | None = None
    _contexts: dict[str, StepContext] = field(default_factory=dict, repr=False)

    def models(self) -> list[tuple[str, str, Callable[[], TrackedModel]]]:
        """``(kind, step name, build)`` for every model the job's steps registered, in tracking order."""
        steps = registered_steps()
        found = []
        for name, res in self.results.items():
            s = steps.get(name)
            if s is None or s.track is None:
                continue
            for kind in s.models:
                found.append((kind, name, _bind(s.track, kind, self._contexts[name], res)))
        return found

    @property
    def frames(self) -> Mapping[str, Any]:
        """Deprecated read-only view of the results under the job's former string keys; use ``results``.

        .. deprecated:: 0.14
           ``result.frames["credit"]`` is ``result.results["credit"].scores``, and so on
           (:mod:`gridcrm.job.results`); ``frames`` will be removed.
        """
        import warnings

        from gridcrm.job._legacy import frames_view

        warnings.warn("RunResult.frames is deprecated: read the typed step results in RunResult.results "
                      "(e.g. results['credit'].scores)", DeprecationWarning, stacklevel=2)
        return frames_view(self.results, self.summary, self.tracking)


def _bind(track: Callable[[str, StepContext, Any], TrackedModel], kind: str, ctx: StepContext,
          res: StepResult) -> Callable[[], TrackedModel]:
    return lambda: track(kind, ctx, res)


def _step_data(out: Path, dataset: Dataset, as_of: pd.Timestamp) -> RunResult:
    report = dataset.report
    summary = dataset.summary()
    rejections = report.to_frame() if report is not None else pd.DataFrame()
    result = RunResult(dataset, summary, rejections, out, as_of)
    summary.to_csv(out / "data_summary.csv")
    result.files["summary"] = out / "data_summary.csv"
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


def _preflight(config: RunConfig, dataset: Dataset, as_of: pd.Timestamp, steps: list[Any]) -> None:
    """Refuse, before anything is written, an ``as_of`` the data or a configured step cannot work with.

    The features need customers before ``as_of`` and no day after the extract; each step with a
    ``preflight`` checks its own needs (the risk models: a dry run of the time split on the labels).
    """
    from gridcrm.features._common import active_customers, check_as_of

    check_as_of(dataset, as_of, len(active_customers(dataset.customers, as_of)))
    for s in steps:
        section = config.step(s.name)
        if s.preflight is not None and section is not None:
            s.preflight(section, dataset, as_of)


def run(config: RunConfig, engine: Any = None) -> RunResult:
    """Run the main job: every configured step, in order; results written to ``config.output.dir``.

    Parameters
    ----------
    config : RunConfig
        From :func:`gridcrm.config.load_config`.
    engine : Engine, optional
        Where the steps' per-customer work runs (:mod:`gridcrm.job.engine`); None: in this process
        with pandas (:class:`~gridcrm.job.engine.PandasEngine`).

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError
        A setting the data cannot work with (``as_of``), before anything is written.
    TrackingError
        Tracking failed after every result was written (``error.result`` holds them).
    """
    from gridcrm._paths import prepare_output_dir
    from gridcrm.job.engine import Engine, PandasEngine
    from gridcrm.job.report import write_report

    engine = PandasEngine() if engine is None else engine
    if not isinstance(engine, Engine):  # the protocol's methods, checked before anything is read or written
        raise GridcrmError(f"engine: expected an object with the methods of gridcrm.job.engine.Engine (features, "
                           f"customer_forecasts, group_forecasts, interval_forecasts, tags) and a name, got "
                           f"{type(engine).__name__}")
    out = prepare_output_dir(config.output.dir, "output folder (output.dir)")
    steps = ordered(lambda name: config.step(name) is not None, where=str(config.source or "config"))
    total = len(steps) + 1
    logger.info("step 1/%d: loading and validating %s", total, config.data.path)
    dataset = load_dataset(config.data.path, **config.data.load_kwargs())
    as_of = as_date(config.as_of, "as_of") if config.as_of else dataset.extracted_on
    _preflight(config, dataset, as_of, steps)  # nothing is written before the settings are known to work
    result = _step_data(out, dataset, as_of)
    for i, s in enumerate(steps, start=2):
        logger.info("step %d/%d: %s", i, total, s.name)
        ctx = StepContext(s.name, config, result, engine=engine)
        produced = s.fn(ctx)
        if not isinstance(produced, s.result):
            raise GridcrmError(f"step {s.name} returned {type(produced).__name__}, expected {s.result.__name__} "
                               f"(its result= in the registration)")
        missing = [name for name in s.writes if not (out / name).exists()]  # a file, or a Parquet directory
        if missing:
            raise GridcrmError(f"step {s.name} did not write {missing} in {out} (its writes= in the registration)")
        result.results[s.name] = produced
        result._contexts[s.name] = ctx
    # the results first, then tracking: a tracking failure never costs the job's work
    if config.source is not None:
        result.files["config"] = out / "config.yaml"
        shutil.copyfile(config.source, result.files["config"])
    result.files["report_md"] = write_report(config, result)
    if config.tracking.enabled:
        logger.info("tracking: logging, registering and promoting the models")
        _track(config, result)
        result.files["report_md"] = write_report(config, result)  # with the tracking notes
    return result


def _track(config: RunConfig, result: RunResult) -> None:
    """Track the job's models; on any failure, a one-line :class:`TrackingError` saying what was not recorded.

    The results are already in the output folder; the report gets a note and the error
    carries the :class:`RunResult` (``error.result``).
    """
    from gridcrm.job.report import write_report
    from gridcrm.tracking.job import planned, store_uri, track

    try:
        track(config, result)
    except Exception as exc:  # noqa: BLE001 - store, disk, registry and MLflow errors alike
        state = result.tracking or {}
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
        result.files["report_md"] = write_report(config, result)
        error = TrackingError(message)
        error.result = result  # type: ignore[attr-defined]
        raise error from exc
