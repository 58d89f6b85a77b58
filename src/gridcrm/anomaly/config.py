"""``configs/anomaly.yaml`` → validated settings: the detector's parameters and the inspection list's.

Two sections, each optional: ``detector`` (parameters of :class:`AnomalyDetector`) and ``inspection``
(keyword arguments of :func:`inspection_list`: ``capacity``, ``exclude_days``, ``horizon_days``,
``prices``, ``quotas``, ``kinds``). Every key is checked when the file is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridcrm._params import validate_params
from gridcrm._yaml import read_config
from gridcrm.anomaly.detector import KINDS, AnomalyDetector
from gridcrm.errors import ConfigError, InputError

__all__ = ["AnomalyConfig", "AnomalyConfigError", "load_anomaly_config"]

_INSPECTION = {"capacity": 200, "exclude_days": 180, "horizon_days": 365, "prices": None, "quotas": None,
               "kinds": ["theft", "meter_fault", "other"]}


class AnomalyConfigError(ConfigError):
    """A bad anomaly config: the message names the file or the key."""


@dataclass(frozen=True)
class AnomalyConfig:
    """Validated anomaly settings.

    Attributes
    ----------
    detector : dict
        :class:`AnomalyDetector` parameters.
    inspection : dict
        :func:`inspection_list` keyword arguments (all keys present, defaults filled in).
    source : Path or None
    """

    detector: dict[str, Any] = field(default_factory=dict)
    inspection: dict[str, Any] = field(default_factory=lambda: dict(_INSPECTION))
    source: Path | None = None

    def anomaly_detector(self) -> AnomalyDetector:
        """A new, unfitted :class:`AnomalyDetector` with the configured parameters."""
        return AnomalyDetector(**self.detector)


def _section(name: str, section: Any) -> dict[str, Any]:
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise AnomalyConfigError(f"{name}: expected a mapping, got {section!r}")
    return dict(section)


def load_anomaly_config(source: str | Path | Mapping[str, Any] | AnomalyConfig | None = None) -> AnomalyConfig:
    """Read and validate the anomaly settings.

    Parameters
    ----------
    source : str, Path, mapping, AnomalyConfig or None
        A YAML file, its parsed content, a loaded config (returned unchanged) or None for the shipped
        ``anomaly.yaml``. Read by :func:`gridcrm._yaml.read_config`.

    Returns
    -------
    AnomalyConfig

    Raises
    ------
    AnomalyConfigError
        Naming the file (missing, not YAML, not a mapping) or the key (unknown, wrong type or range).

    Examples
    --------
    >>> load_anomaly_config().source.name
    'anomaly.yaml'
    >>> load_anomaly_config({"inspection": {"capacity": 50}}).inspection["capacity"]
    50
    >>> load_anomaly_config({"detector": {"label_window": 90}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.anomaly.config.AnomalyConfigError: detector.label_window: unknown key; allowed keys are [...]
    """
    if isinstance(source, AnomalyConfig):
        return source
    raw, path = read_config(source, what="anomaly config", error=AnomalyConfigError, shipped="anomaly.yaml")
    unknown = sorted(set(raw) - {"detector", "inspection"})
    if unknown:
        raise AnomalyConfigError(f"unknown section(s) {unknown}; allowed sections are detector, inspection")
    detector = _section("detector", raw.get("detector"))
    allowed = sorted(AnomalyDetector().get_params())
    for key, value in detector.items():
        if key not in allowed:
            raise AnomalyConfigError(f"detector.{key}: unknown key; allowed keys are {allowed}")
        try:
            validate_params(AnomalyDetector, {key: value}, AnomalyDetector._parameter_rules)
        except InputError as exc:
            raise AnomalyConfigError(f"detector.{key}: {exc}") from exc
    inspection = _section("inspection", raw.get("inspection"))
    for key in inspection:
        if key not in _INSPECTION:
            raise AnomalyConfigError(f"inspection.{key}: unknown key; allowed keys are {sorted(_INSPECTION)}")
    inspection = {**_INSPECTION, **inspection}
    for key in ("capacity", "exclude_days", "horizon_days"):
        value, low = inspection[key], 1 if key != "exclude_days" else 0
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise AnomalyConfigError(f"inspection.{key}: expected a whole number >= {low}, got {value!r}")
    kinds = inspection["kinds"]
    if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
        raise AnomalyConfigError(f"inspection.kinds: expected a list of kinds among {list(KINDS)}, got {kinds!r}")
    inspection["kinds"] = tuple(kinds)
    prices = inspection["prices"]
    if prices is not None and not (isinstance(prices, (int, float)) and not isinstance(prices, bool) and prices >= 0) \
            and not (isinstance(prices, Mapping) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                         and v >= 0 for v in prices.values())):
        raise AnomalyConfigError(f"inspection.prices: expected CNY/kWh (a number or a mapping of class to a "
                                 f"number >= 0), got {prices!r}")
    quotas = inspection["quotas"]
    if quotas is not None:
        from gridcrm.anomaly.inspection import _quota_limits

        try:
            _quota_limits(quotas, inspection["capacity"], None)  # type: ignore[arg-type]
        except InputError as exc:
            raise AnomalyConfigError(str(exc).replace("inspection_list: ", "inspection.")) from exc
    return AnomalyConfig(detector=detector, inspection=inspection, source=path)
