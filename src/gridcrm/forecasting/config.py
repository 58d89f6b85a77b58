"""Forecasting configuration (``configs/forecast.yaml``) → typed, validated objects."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridcrm._yaml import read_config
from gridcrm.errors import ConfigError

__all__ = ["BacktestConfig", "ForecastConfig", "load_forecast_config"]


def _deprecated_horizon(owner: str) -> None:
    warnings.warn(f"{owner}.horizon is deprecated; use {owner}.h (the forecast horizon is h everywhere)",
                  DeprecationWarning, stacklevel=3)


@dataclass(frozen=True)
class BacktestConfig:
    """Rolling-origin backtest: ``windows`` origins ``step`` steps apart, each forecasting ``h`` steps."""

    windows: int = 3
    step: int = 28
    h: int = 28

    @property
    def horizon(self) -> int:
        """Deprecated name of :attr:`h` (a ``DeprecationWarning``)."""
        _deprecated_horizon("BacktestConfig")
        return self.h


@dataclass(frozen=True)
class ForecastConfig:
    """Parameters of :class:`~gridcrm.forecasting.ConsumptionForecaster`, the horizon ``h`` and the backtest.

    ``h`` is the number of steps forecast (``ConsumptionForecaster.predict(h=cfg.h)``);
    ``horizon``, its former name, is still read (a ``DeprecationWarning``).

    The main job's regressors (daily forecasts): ``temperature`` adds heating and cooling
    degree-days of the customer's region; ``calendar: cn`` the Chinese holiday calendar
    (:func:`~gridcrm.forecasting.regressors.china_calendar`); ``future_temperature`` says
    where the forecast days' temperatures come from: ``normal`` (the seasonal normal before
    ``as_of``) or ``weather`` (the weather table's days after ``as_of`` — a scenario or a
    weather forecast loaded there —, the normal where it has none). ``groups``: the customer
    columns whose groups (and the total) the job also forecasts and reconciles with the
    customers (``reconciliation``: a method of :func:`~gridcrm.forecasting.reconcile`).

    Examples
    --------
    >>> cfg = ForecastConfig(engine="exact")
    >>> cfg.forecaster().engine, cfg.h
    ('exact', 28)
    """

    engine: str = "batched"
    season_length: int = 7
    level: tuple[int, ...] = (80, 95)
    h: int = 28
    n_jobs: int | None = 1
    interval_method: str = "model"
    clip: bool = True
    outliers: str | None = "clean"
    outlier_threshold: float = 7.0
    max_history: int | None = None
    n_segments: int = 8
    chunk_size: int = 500
    random_state: int | None = 0
    model_selection: str | None = "backtest"
    selection_windows: int = 2
    selection: str = "series"
    selection_clusters: int = 20
    selection_sample: int = 100
    temperature: bool = False
    calendar: str | None = None
    future_temperature: str = "normal"
    groups: tuple[str, ...] = ("customer_class", "region", "industry_code")
    reconciliation: str = "wls_var"
    backtest: BacktestConfig = field(default_factory=BacktestConfig)

    #: Keys that describe the main job's inputs, not the estimator.
    JOB_KEYS = ("h", "backtest", "temperature", "calendar", "future_temperature", "groups", "reconciliation")

    @property
    def horizon(self) -> int:
        """Deprecated name of :attr:`h` (a ``DeprecationWarning``)."""
        _deprecated_horizon("ForecastConfig")
        return self.h

    def forecaster(self, **overrides: Any):  # noqa: ANN201 - avoids an import cycle in the annotation
        """A :class:`~gridcrm.forecasting.ConsumptionForecaster` with these parameters."""
        from gridcrm.forecasting.forecaster import ConsumptionForecaster

        params = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in self.JOB_KEYS}
        params["level"] = tuple(self.level)
        params.update(overrides)
        return ConsumptionForecaster(**params)


_TYPES = {"engine": str, "interval_method": str, "season_length": int, "h": int, "n_jobs": (int, type(None)),
          "clip": bool, "outliers": (str, type(None)), "outlier_threshold": (float, int),
          "max_history": (int, type(None)), "n_segments": int, "chunk_size": int, "random_state": (int, type(None)),
          "model_selection": (str, type(None)), "selection_windows": int, "temperature": bool,
          "selection": str, "selection_clusters": int, "selection_sample": int,
          "calendar": (str, type(None)), "future_temperature": str, "reconciliation": str}
#: Allowed values of the main job's regressor keys.
_CHOICES = {"selection": ("series", "cluster"), "calendar": ("cn", None), "future_temperature": ("normal", "weather"),
            "reconciliation": ("mint_shrink", "wls_var", "wls_struct", "ols", "bottom_up")}
#: Customer columns the job's group forecasts may use.
GROUP_COLUMNS = ("customer_class", "region", "industry_code", "tariff", "supply_station")


def _renamed_horizon(body: dict[str, Any], where: str) -> dict[str, Any]:
    """``horizon`` (the former key) read as ``h``, with a DeprecationWarning; both at once is an error."""
    if "horizon" not in body:
        return body
    if "h" in body:
        raise ConfigError(f"{where}: both h and horizon are given; keep h (horizon is its deprecated name)")
    warnings.warn(f"{where}.horizon is deprecated; write h (the forecast horizon is h everywhere)",
                  DeprecationWarning, stacklevel=3)
    return {("h" if k == "horizon" else k): v for k, v in body.items()}


def _check_type(key: str, value: Any, tp: Any) -> None:
    types = tp if isinstance(tp, tuple) else (tp,)
    if isinstance(value, bool) and bool not in types:
        raise ConfigError(f"{key}: expected {types[0].__name__}, got {value!r}")
    if not isinstance(value, types):
        raise ConfigError(f"{key}: expected {types[0].__name__}, got {value!r}")


def load_forecast_config(
    source: str | Path | Mapping[str, Any] | ForecastConfig | None = None, *, section: str = "forecast"
) -> ForecastConfig:
    """Read the ``forecast`` section of a YAML file and validate every key.

    Parameters
    ----------
    source : str, Path, mapping, ForecastConfig or None
        The YAML file, the same content as a mapping (``{"forecast": {...}}``), an already
        loaded config (returned unchanged), or None (default) for the shipped ``forecast.yaml``
        (``gridcrm.configs.shipped("forecast.yaml")``, the project's ``configs/forecast.yaml``),
        found from any working directory. Read by :func:`gridcrm._yaml.read_config`.
    section : str
        The top-level key holding the settings (keyword only).

    Returns
    -------
    ForecastConfig
        Its one way to an estimator is :meth:`ForecastConfig.forecaster`; the horizon is ``cfg.h``.

    Raises
    ------
    ConfigError
        Missing file (also a ``FileNotFoundError``), invalid YAML, unknown key, or a value of
        the wrong type or range; the message names the file or the key.

    Examples
    --------
    >>> load_forecast_config().engine           # the shipped settings, with no path
    'batched'
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.yaml"
    >>> _ = p.write_text("forecast:\\n  engine: exact\\n  backtest:\\n    windows: 2\\n")
    >>> load_forecast_config(p).backtest.windows
    2
    >>> load_forecast_config({"forecast": {"engine": "exact", "h": 14}}).forecaster().engine
    'exact'
    """
    if isinstance(source, ForecastConfig):
        return source
    raw, _path = read_config(source, what="forecast config", error=ConfigError, shipped="forecast.yaml")
    body = raw.get(section, {})
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise ConfigError(f"{section}: expected a mapping, got {body!r}")
    body = dict(body)
    body = _renamed_horizon(body, section)
    allowed = {f.name for f in dataclasses.fields(ForecastConfig)}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ConfigError(f"{section}: unknown key(s) {unknown}; allowed keys are {sorted(allowed)}")
    values: dict[str, Any] = {}
    for key, value in body.items():
        where = f"{section}.{key}"
        if key == "backtest":
            values[key] = _backtest(value, where)
        elif key == "groups":
            if not isinstance(value, list) or not value or not all(v in GROUP_COLUMNS for v in value):
                raise ConfigError(f"{where}: expected a non-empty list of customer columns from {list(GROUP_COLUMNS)}, "
                                  f"got {value!r}")
            values[key] = tuple(value)
        elif key == "level":
            if not isinstance(value, list) or not value or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v < 100 for v in value
            ):
                raise ConfigError(f"{where}: expected a list of integers between 0 and 100, got {value!r}")
            values[key] = tuple(value)
        else:
            _check_type(where, value, _TYPES[key])
            if key in _CHOICES and value not in _CHOICES[key]:
                raise ConfigError(f"{where}: expected one of {list(_CHOICES[key])}, got {value!r}")
            values[key] = value
    cfg = ForecastConfig(**values)
    try:
        cfg.forecaster()._validate_params()
    except ValueError as exc:
        raise ConfigError(f"{section}: {exc}") from exc
    return cfg


def _backtest(value: Any, where: str) -> BacktestConfig:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a mapping")
    value = _renamed_horizon(dict(value), where)
    allowed = {f.name for f in dataclasses.fields(BacktestConfig)}
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed keys are {sorted(allowed)}")
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"{where}.{k}: expected an integer >= 1, got {v!r}")
    return BacktestConfig(**value)
