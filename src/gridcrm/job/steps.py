"""The main job's step registry: each step declares its config section, inputs, function, typed result and models.

A step is registered once, next to (or inside) the capability it runs::

    @step("anomaly", needs=("features",), result=AnomalyResult, writes=("anomalies.parquet",))
    def _anomaly(ctx: StepContext) -> AnomalyResult:
        features = ctx.need("features").features
        ...
        ctx.write("anomalies", frame, "anomalies.parquet")
        ctx.note(f"anomaly: {n} customers flagged")
        return AnomalyResult(scores=frame)

The step runs when its section (``anomaly: {config: configs/anomaly.yaml}``) is present in the
run configuration; :func:`gridcrm.config.load_config` refuses a section whose ``needs`` are not
produced by an enabled step, and calls the step's ``check`` on its file before any work.
Nothing in :mod:`gridcrm.job.run` names a step.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridcrm.errors import ConfigError, GridcrmError

if TYPE_CHECKING:
    from gridcrm.config import RunConfig, StepConfig
    from gridcrm.data import Dataset
    from gridcrm.job.run import RunResult

__all__ = ["ALWAYS", "Step", "StepContext", "StepResult", "TrackedModel", "ordered", "registered_steps",
           "step", "temporary_registry"]


@dataclass(frozen=True)
class StepResult:
    """Base of every step's typed result (one small frozen dataclass per step)."""

    def customer_columns(self) -> pd.DataFrame | None:
        """Per-customer columns (indexed by ``customer_id``) that this step gives the tags and portraits.

        Model outputs a tag rule may read (``credit_grade``, ``anomaly_score``, ...); None (the default)
        when the step gives none. A step whose columns tags read declares ``before=("tags",)``.
        """
        return None


@dataclass
class TrackedModel:
    """A model a step asks the job's tracking to log, register and promote.

    Attributes
    ----------
    kind : str
        Registered as ``gridcrm-<kind>``; also the serving adapter unless ``adapter`` is set.
    model : object
        What the serving adapter wraps.
    input_example : DataFrame
        A few request rows.
    metric : str
        The champion metric's name (the capability's judge function's ``__name__``).
    evaluate : callable
        Served model → the metric on data after ``as_of`` that the model never saw.
    params, artifacts, tables, higher_is_better, request_params, trials, adapter
        Logged run parameters, keys of ``RunResult.files`` logged as plots, tables logged by file
        name, the metric's direction, request parameters of the served model, Optuna trials and
        the serving adapter's name.
    held_back : str or None
        Why the model may be registered but never promoted (e.g. too few training events).
    """

    kind: str
    model: Any
    input_example: pd.DataFrame
    metric: str
    evaluate: Callable[[Any], float]
    params: dict[str, Any] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    higher_is_better: bool = True
    request_params: dict[str, Any] | None = None
    trials: pd.DataFrame | None = None
    adapter: str | None = None
    held_back: str | None = None


@dataclass(frozen=True)
class Step:
    """A registered step of the main job (see :func:`step`).

    Attributes
    ----------
    name : str
        The step's section of the run configuration (and its key in ``RunResult.results``).
    fn : callable
        :class:`StepContext` → the step's result (an instance of ``result``).
    needs : tuple of str
        Steps whose results it cannot run without (``features`` is always produced).
    uses : tuple of str
        Steps whose results it uses when they ran (ordering only).
    result : type
        The :class:`StepResult` subclass it returns.
    writes : tuple of str
        File names it writes in the output folder.
    models : tuple of str
        Kinds of the models it registers (``gridcrm-<kind>``), in tracking order.
    track : callable or None
        ``(kind, ctx, result) -> TrackedModel``: what tracking logs for each of ``models``.
    check : callable or None
        ``(config_file, feature_registry) -> None``: raises on a config file that would fail.
    preflight : callable or None
        ``(section, dataset, as_of) -> None``: raises :class:`ConfigError` before anything is written.
    always : bool
        Runs without a config section (``features``).
    scores : dict
        Per registered kind, the columns :func:`gridcrm.job.score` takes from its champion's answer
        and their names in a portrait row (``{"credit": {"score": "credit_score"}}``).
    score_inputs : dict
        Per registered kind whose model does not take the feature rows, ``(dataset, as_of) -> DataFrame``:
        the request rows :func:`gridcrm.job.score` sends it instead (one per customer, index
        ``customer_id``; e.g. the anomaly detector's signal rows).
    before : tuple of str
        Steps that use its results when it ran (ordering only): ``before=("tags",)`` for a step whose
        :meth:`StepResult.customer_columns` tag rules read, without editing the tags step.
    """

    name: str
    fn: Callable[[StepContext], StepResult]
    needs: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    result: type = StepResult
    writes: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    track: Callable[[str, StepContext, Any], TrackedModel] | None = None
    check: Callable[[Path, dict[str, Any]], None] | None = None
    preflight: Callable[[StepConfig, Dataset, pd.Timestamp], None] | None = None
    always: bool = False
    scores: dict[str, dict[str, str]] = field(default_factory=dict)
    before: tuple[str, ...] = ()
    score_inputs: dict[str, Callable[[Dataset, pd.Timestamp], pd.DataFrame]] = field(default_factory=dict)


_REGISTRY: dict[str, Step] = {}
_StepFn = Callable[["StepContext"], Any]


def step(name: str, *, needs: tuple[str, ...] = ("features",), uses: tuple[str, ...] = (),
         result: type = StepResult, writes: tuple[str, ...] = (), models: tuple[str, ...] = (),
         track: Callable[[str, StepContext, Any], TrackedModel] | None = None,
         check: Callable[[Path, dict[str, Any]], None] | None = None,
         preflight: Callable[[StepConfig, Dataset, pd.Timestamp], None] | None = None,
         always: bool = False,
         scores: dict[str, dict[str, str]] | None = None,
         before: tuple[str, ...] = (),
         score_inputs: dict[str, Callable[[Dataset, pd.Timestamp], pd.DataFrame]] | None = None
         ) -> Callable[[_StepFn], _StepFn]:
    """Register a step of the main job (a decorator of the step function).

    Parameters
    ----------
    name : str
        Its section in the run configuration; must not be registered already.
    needs, uses, result, writes, models, track, check, preflight, always, scores, before, score_inputs
        See :class:`Step`.

    Returns
    -------
    callable
        The decorator; the function is returned unchanged.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class CountResult(StepResult):
    ...     n: int
    >>> with temporary_registry():
    ...     @step("count", result=CountResult)
    ...     def _count(ctx):
    ...         return CountResult(n=len(ctx.need("features").features))
    ...     "count" in registered_steps()
    True
    >>> "count" in registered_steps()
    False
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigError(f"step name: expected an identifier (a config section), got {name!r}")

    def register(fn: _StepFn) -> _StepFn:
        if name in _REGISTRY:
            raise ConfigError(f"step {name!r} is registered already (by {_REGISTRY[name].fn.__qualname__})")
        _REGISTRY[name] = Step(name, fn, tuple(needs), tuple(uses), result, tuple(writes), tuple(models), track,
                               check, preflight, always, dict(scores or {}), tuple(before),
                               dict(score_inputs or {}))
        return fn

    return register


#: Results every job has, before any registered step: the validated data.
ALWAYS = ("data",)


#: Modules whose import registers gridcrm's own steps: the built-in ones, then one module per capability
#: that joined later (a new capability adds its module here and nothing else in the job).
STEP_MODULES: tuple[str, ...] = (
    "gridcrm.job.builtin",
    "gridcrm.job.recommend",
    "gridcrm.job.service",
    "gridcrm.job.anomaly",
)


def _load_builtin() -> None:
    import importlib

    for module in STEP_MODULES:
        importlib.import_module(module)  # registers the module's steps


def registered_steps() -> dict[str, Step]:
    """Every registered step by name, in registration order (built-in steps first)."""
    _load_builtin()
    return dict(_REGISTRY)


@contextlib.contextmanager
def temporary_registry() -> Iterator[dict[str, Step]]:
    """Steps registered inside the ``with`` block are forgotten after it (for tests and notebooks)."""
    _load_builtin()
    saved = dict(_REGISTRY)
    try:
        yield _REGISTRY
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)


def ordered(enabled: Callable[[str], bool], where: str = "config") -> list[Step]:
    """The steps to run, dependencies first (registration order among independent steps).

    Parameters
    ----------
    enabled : callable
        Step name → whether its section is present and enabled (``always`` steps always run).
    where : str
        The run configuration, named in errors.

    Raises
    ------
    ConfigError
        A step needs the result of a step that does not run, or steps need each other.
    """
    steps = registered_steps()
    active = {n: s for n, s in steps.items() if s.always or enabled(n)}
    for s in active.values():
        for need in s.needs:
            if need not in active and need not in ALWAYS:
                why = "is not a registered step" if need not in steps else "is disabled or has no section"
                raise ConfigError(f"{where}: {s.name} needs the {need} step's results, but {need} {why}; "
                                  f"add a {need}: section or disable {s.name}")
    after = {n: [*s.needs, *s.uses, *(o.name for o in active.values() if n in o.before)] for n, s in active.items()}
    done: list[Step] = []
    pending = list(active.values())
    while pending:
        ready = next((s for s in pending if all(d in {x.name for x in done} or d not in active
                                                for d in after[s.name])), None)
        if ready is None:
            raise ConfigError(f"{where}: steps {[s.name for s in pending]} need each other's results")
        done.append(ready)
        pending.remove(ready)
    return done


class StepContext:
    """What a step function gets: its config, the job so far, and how to write files and notes.

    Attributes
    ----------
    name : str
        The step's name.
    config : RunConfig
    section : StepConfig or None
        The step's section (None for ``always`` steps).
    job : RunResult
        The job so far (``dataset``, ``as_of``, ``output_dir``, ``results``, ``files``, ``notes``).
    engine : Engine
        Where the per-customer work runs (:mod:`gridcrm.job.engine`; default :class:`~gridcrm.job.engine.PandasEngine`).
    """

    def __init__(self, name: str, config: RunConfig, job: RunResult, engine: Any = None) -> None:
        self.name = name
        self.config = config
        self.section = config.step(name)
        self.job = job
        if engine is None:
            from gridcrm.job.engine import PandasEngine

            engine = PandasEngine()
        self.engine = engine

    @property
    def dataset(self) -> Dataset:
        return self.job.dataset

    @property
    def as_of(self) -> pd.Timestamp:
        return self.job.as_of

    @property
    def output_dir(self) -> Path:
        return self.job.output_dir

    def need(self, name: str) -> Any:
        """The result of step ``name`` (one of this step's ``needs``)."""
        try:
            return self.job.results[name]
        except KeyError:
            raise GridcrmError(f"step {self.name}: the {name} step's result is missing (declare it in needs=)") from None

    def use(self, name: str) -> Any:
        """The result of step ``name`` when it ran, else None."""
        return self.job.results.get(name)

    def write(self, key: str, frame: pd.DataFrame, name: str, index: bool = True) -> Path:
        """Write ``frame`` to ``name`` in the output folder (Parquet or CSV by suffix), listed as ``key``."""
        path = self.output_dir / name
        if name.endswith(".parquet"):
            frame.to_parquet(path)
        else:
            frame.to_csv(path, index=index)
        self.job.files[key] = path
        return path

    def save_figure(self, key: str, fig: Any, name: str) -> Path:
        """Save a figure (listed as ``key``, a plot of the report) and close it if pyplot holds it."""
        path = self.output_dir / name
        fig.savefig(path, dpi=110)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close(fig)
        self.job.files[key] = path
        return path

    def note(self, text: str) -> None:
        """One line for people, in the summary and ``report.md``."""
        self.job.notes.append(text)

    def report_table(self, title: str, frame: pd.DataFrame) -> None:
        """A table shown in ``report.md`` under ``title``."""
        self.job.tables[title] = frame
