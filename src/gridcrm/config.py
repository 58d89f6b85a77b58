"""Configuration: YAML files in ``configs/`` → typed, validated objects.

Every key is checked when the file is loaded: unknown keys (typos) and values of
the wrong type are errors that name the key, so a run never starts on a config
that would fail half-way through.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gridcrm.data.dates import as_date

__all__ = [
    "ConfigError",
    "DataConfig",
    "FeaturesConfig",
    "OutputConfig",
    "RunConfig",
    "SparkConfig",
    "StepConfig",
    "TrackingConfig",
    "load_config",
]


from gridcrm.errors import ConfigError  # noqa: E402  (re-exported: its home is gridcrm.errors)


@dataclass(frozen=True)
class DataConfig:
    """Where the extract is and how to treat rows that break the data model.

    Attributes
    ----------
    path : Path
        Dataset folder, relative to the config file's folder's parent when relative
        (configs live in ``configs/``, paths are written from the project root).
    on_error : {"raise", "quarantine"}
    extracted_on : str or None
        Extraction date; defaults to the dataset's manifest.
    encoding : str
        Text encoding of CSV files (default ``utf-8``; Chinese extracts often need ``gb18030``).
    date_format : str, mapping or None
        Layout of text dates that are not year-first (``05/03/2024``): one ``strftime`` layout for
        every table, or a mapping ``{table: layout}`` / ``{"table.column": layout}``. Day/month
        layouts are never guessed.
    """

    path: Path
    on_error: Literal["raise", "quarantine"] = "quarantine"
    extracted_on: str | None = None
    encoding: str = "utf-8"
    date_format: str | dict[str, str] | None = None

    def load_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`gridcrm.data.load_dataset` that this section sets."""
        return {"on_error": self.on_error, "extracted_on": self.extracted_on, "encoding": self.encoding,
                "date_format": self.date_format}


@dataclass(frozen=True)
class OutputConfig:
    """Where results go.

    Attributes
    ----------
    dir : Path
        Output folder (created), relative to the project root when relative.
    """

    dir: Path = Path("out")


@dataclass(frozen=True)
class FeaturesConfig:
    """Point-in-time features.

    Attributes
    ----------
    windows : list of int
        Look-back windows of the consumption level features, in days.
    """

    windows: tuple[int, ...] = (30, 90, 365)


@dataclass(frozen=True)
class StepConfig:
    """A capability step of the main job, configured by its own YAML file.

    Attributes
    ----------
    config : Path
        The capability's configuration (``configs/tags.yaml``, ``configs/credit_ahp.yaml``, ...).
    enabled : bool
        Run the step (default true when the section is present).
    """

    config: Path
    enabled: bool = True


@dataclass(frozen=True)
class TrackingConfig:
    """MLflow tracking of the main job's models.

    Attributes
    ----------
    enabled : bool
        Log runs, metrics, artifacts and models (default false: modelling needs no tracking store).
    uri : str or None
        Tracking URI; default ``$MLFLOW_TRACKING_URI`` or ``sqlite:///<output dir>/mlruns.db``.
    experiment : str
        Experiment name.
    register : bool
        Register each model under ``gridcrm-<kind>`` and promote it by champion/challenger.
    """

    enabled: bool = False
    uri: str | None = None
    experiment: str = "gridcrm"
    register: bool = True


@dataclass(frozen=True)
class SparkConfig:
    """Where the Spark engine runs (``engine: spark``; needs ``gridcrm[spark]`` and Java 17+).

    Attributes
    ----------
    master : str or None
        Spark master URL (``local[4]``, ``spark://host:7077``, ``yarn``); default
        ``$GRIDCRM_SPARK_MASTER``, else ``local[*]``.
    partitions : int or None
        Partitions of customers for the distributed steps; default twice the cores Spark has.
    driver_max_series : int
        Most customers whose forecasting model (the registered ``gridcrm-forecaster``) is fitted on
        the driver; above it, a seeded sample of that many (``forecasts.parquet`` always comes from
        Spark, for every customer).
    collect_max_rows : int
        Most forecast rows collected to the driver; above it ``forecasts.parquet`` is a Parquet
        directory written by Spark (same columns and dtypes with ``pandas.read_parquet``).
    """

    master: str | None = None
    partitions: int | None = None
    driver_max_series: int = 200_000
    collect_max_rows: int = 10_000_000

    def __post_init__(self) -> None:
        for name in ("driver_max_series", "collect_max_rows"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"spark.{name}: expected a positive whole number, got {value!r}")


@dataclass(frozen=True)
class RunConfig:
    """The main job's configuration (``gridcrm run --config ...``).

    A step runs when its section is present (and not ``enabled: false``).

    Attributes
    ----------
    name : str
        Name of the run, used in output names.
    as_of : str or None
        Date the features, scores and forecasts are made at (default: the extraction date).
    data : DataConfig
    output : OutputConfig
    features : FeaturesConfig
    steps : dict of str to StepConfig
        One section per step registered with :func:`gridcrm.job.steps.step` (``tags``, ``credit``,
        ``value``, ``segmentation``, ``forecasting``, ``risk`` and any capability that joined later),
        under the step's name as a top-level YAML key. ``cfg.tags``, ``cfg.credit``, ... read it.
    tracking : TrackingConfig
    engine : {"pandas", "spark"}
        ``spark``: the distributed steps run on Spark (``gridcrm run --engine`` overrides it).
    spark : SparkConfig
    source : Path or None
        The file this config was read from.
    """

    data: DataConfig
    name: str = "gridcrm"
    as_of: str | None = None
    output: OutputConfig = field(default_factory=OutputConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    engine: Literal["pandas", "spark"] = "pandas"
    spark: SparkConfig = field(default_factory=SparkConfig)
    source: Path | None = None
    steps: dict[str, StepConfig] = field(default_factory=dict)

    def step(self, name: str) -> StepConfig | None:
        """The section of a registered step when the step is to run (present, not ``enabled: false``), else None."""
        section = self.steps.get(name)
        return section if section is not None and section.enabled else None

    # The built-in steps' sections, read as attributes (as before the registry held them all).
    tags = property(lambda self: self.steps.get("tags"), doc="The ``tags`` step's section, or None.")
    credit = property(lambda self: self.steps.get("credit"), doc="The ``credit`` step's section, or None.")
    value = property(lambda self: self.steps.get("value"), doc="The ``value`` step's section, or None.")
    segmentation = property(lambda self: self.steps.get("segmentation"),
                            doc="The ``segmentation`` step's section, or None.")
    forecasting = property(lambda self: self.steps.get("forecasting"), doc="The ``forecasting`` step's section, or None.")
    risk = property(lambda self: self.steps.get("risk"), doc="The ``risk`` step's section, or None.")


#: The run configuration's own keys that are not YAML keys.
_NOT_YAML = ("source", "steps")


def _build(cls: type, raw: Any, where: str, root: Path) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(raw).__name__} {raw!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in _NOT_YAML}
    extra: dict[str, StepConfig] = {}
    if cls is RunConfig:  # a section of a step registered with gridcrm.job.steps.step
        from gridcrm.job.steps import registered_steps

        steps = registered_steps()
        for key in [k for k in steps if k in raw and k not in fields and not steps[k].always]:  # registration order
            extra[key] = _build(StepConfig, raw[key], key, root)
        fields_and_steps = sorted(set(fields) | {k for k, v in steps.items() if not v.always})
    unknown = sorted(set(raw) - set(fields) - set(extra))
    if unknown:
        if cls is RunConfig:
            raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed keys are {fields_and_steps}")
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed keys are {sorted(fields)}")
    values = {}
    for name, f in fields.items():
        key = f"{where}.{name}" if where else name
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{key}: required key missing")
            continue
        values[name] = _value(hints[name], raw[name], key, root)
    if extra:
        values["steps"] = extra
    return cls(**values)


def _value(tp: Any, value: Any, key: str, root: Path) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key, root)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) > 1:  # e.g. str | dict[str, str]: the first type the value fits
            if isinstance(value, dict):
                fits = [a for a in inner if typing.get_origin(a) is dict]
            else:
                fits = [a for a in inner if typing.get_origin(a) is not dict]
            if not fits:
                raise ConfigError(f"{key}: expected {' or '.join(_type_name(a) for a in inner)}, got {value!r}")
            return _value(fits[0], value, key, root)
        return _value(inner[0], value, key, root)
    if origin is dict:
        key_type, value_type = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        return {_value(key_type, k, f"{key}", root): _value(value_type, v, f"{key}.{k}", root)
                for k, v in value.items()}
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            raise ConfigError(f"{key}: expected one of {list(allowed)}, got {value!r}")
        return value
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return tuple(_value(inner, v, f"{key}[{i}]", root) for i, v in enumerate(value))
    if tp is Path:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a path (string), got {value!r}")
        p = Path(value)
        return p if p.is_absolute() else root / p
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        if hasattr(value, "isoformat"):  # YAML dates
            return value.isoformat()
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (tp is int and not isinstance(value, int)):
            raise ConfigError(f"{key}: expected {tp.__name__}, got {value!r}")
        return tp(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported type {tp}")  # pragma: no cover - programming error


def _type_name(tp: Any) -> str:
    return "a mapping" if typing.get_origin(tp) is dict else f"a {getattr(tp, '__name__', tp)}"


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a run configuration.

    Relative paths in the file are resolved against the project root, taken to be
    the parent of the folder holding the config (``configs/demo.yaml`` → ``.``).

    Parameters
    ----------
    path : str or Path
        YAML file.

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        The file is missing or not YAML, a key is unknown or missing, or a value has
        the wrong type; the message names the key.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "configs"; d.mkdir()
    >>> _ = (d / "run.yaml").write_text("data:\\n  path: data/sample\\n  on_error: raise\\n")
    >>> cfg = load_config(d / "run.yaml")
    >>> cfg.data.on_error, cfg.data.path.name
    ('raise', 'sample')
    """
    from gridcrm._yaml import read_config

    file = Path(path)
    raw, _ = read_config(file, what="config file", error=ConfigError, shipped=None)
    root = file.resolve().parent.parent
    try:
        cfg = _build(RunConfig, raw if raw is not None else {}, "", root)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None
    for key, value in (("as_of", cfg.as_of), ("data.extracted_on", cfg.data.extracted_on)):
        if value is not None:
            try:
                as_date(value, key)
            except ValueError as exc:
                raise ConfigError(f"{file}: {exc}") from None
    cfg = check_steps(cfg, where=str(file))
    return dataclasses.replace(cfg, source=file)


#: Consumption level features carry their window in their name (``kwh_mean_30d``).
_WINDOWED = re.compile(r"\bkwh_(?:mean|median|total)_(\d+)d\b")


def check_steps(cfg: RunConfig, where: str = "config") -> RunConfig:
    """Load and check every enabled step's configuration file, and what the steps need, before any work is done.

    The steps are those registered with :func:`gridcrm.job.steps.step` (the built-in ones and any
    other); a step whose ``needs`` no enabled step produces is refused (one line). Each step's file
    must exist and pass the step's ``check`` (for the built-in steps: load with its capability's
    loader; tags and AHP indicators are checked against the feature registry of the run's windows,
    the segmenter and the forecaster are built from their settings, the risk list's columns must be
    features). Windows of the
    consumption features that a step's file names (``kwh_mean_30d`` in a tag rule, say) are added to
    ``features.windows``: a feature a configured step names is always computed, and the risk models
    train and score on the same feature set.

    Parameters
    ----------
    cfg : RunConfig
    where : str
        The run configuration's file, named in errors.

    Returns
    -------
    RunConfig
        ``cfg`` with ``features.windows`` completed.

    Raises
    ------
    ConfigError
        One line naming the run config, the step, its file and what is wrong in it.
    """
    from gridcrm.errors import GridcrmError
    from gridcrm.features import feature_registry
    from gridcrm.job.steps import ordered

    steps = [s for s in ordered(lambda name: cfg.step(name) is not None, where=where) if not s.always]
    windows = list(cfg.features.windows)
    for s in steps:
        step = cfg.step(s.name)
        assert step is not None
        if not step.config.is_file():
            raise ConfigError(f"{where}: {s.name}.config: file {step.config} does not exist")
        try:
            text = step.config.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: {s.name}.config: {step.config} cannot be read ({exc})") from None
        windows += sorted({int(w) for w in _WINDOWED.findall(text)} - set(windows))
    try:
        registry = feature_registry(tuple(windows))
    except ValueError as exc:
        raise ConfigError(f"{where}: features.windows: {exc}") from None
    for s in steps:
        step = cfg.step(s.name)
        if step is None or s.check is None:
            continue
        try:
            s.check(step.config, registry)
        except (GridcrmError, ValueError, TypeError, KeyError) as exc:
            text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            raise ConfigError(f"{where}: {s.name}.config ({step.config}): {text}") from exc
    return dataclasses.replace(cfg, features=FeaturesConfig(windows=tuple(windows)))
