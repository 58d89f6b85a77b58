"""The service capability's configuration (``configs/service.yaml``), validated into a typed object.

Unknown keys and wrong values are :class:`~gridcrm.service.errors.ServiceConfigError` naming
the key path (``hotspots.alpha: expected a number between 0 and 0.5``); the keyword rules and
the lexicon it names are loaded (and checked) with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridcrm._yaml import read_config
from gridcrm.data.schemas import CONTACT_TOPICS
from gridcrm.service.errors import ServiceConfigError
from gridcrm.service.lexicon import Lexicon, load_lexicon
from gridcrm.service.rules import TopicRules, load_topic_rules

__all__ = ["ServiceConfig", "load_service_config"]

_TOP = {"classifier", "rules", "lexicon", "customers", "hotspots", "standards_hours"}
_HOTSPOT_GROUPS = ("region", "supply_station", "customer_class", "topic")


@dataclass(frozen=True)
class ServiceConfig:
    """Everything ``configs/service.yaml`` holds (see the file for the meaning of each key)."""

    classifier: Mapping[str, Any] = field(default_factory=dict)
    rules: TopicRules | None = None
    lexicon: Lexicon | None = None
    window_days: int = 365
    frequent_complainer: int = 3
    repeat_days: int = 30
    hotspot_by: tuple[str, ...] = ("region", "topic")
    history_months: int = 12
    min_history_months: int = 6
    alpha: float = 0.005
    standards_hours: Mapping[str, float] = field(default_factory=dict)
    source: Path | None = None

    def complaint_classifier(self):  # noqa: ANN201
        """A :class:`~gridcrm.service.ComplaintClassifier` with the configured rules and parameters."""
        from gridcrm.service.classify import ComplaintClassifier

        return ComplaintClassifier(rules=self.rules, **dict(self.classifier))


def _section(raw: Mapping[str, Any], key: str, allowed: set[str], fail: Any) -> Mapping[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, Mapping):
        raise fail(f"{key}: expected a mapping, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise fail(f"{key}: unknown key(s) {unknown}; allowed keys are {sorted(allowed)}")
    return value


def _int(section: Mapping[str, Any], name: str, key: str, default: int, minimum: int, fail: Any) -> int:
    v = section.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise fail(f"{key}.{name}: expected a whole number ≥ {minimum}, got {v!r}")
    return v


def load_service_config(source: str | Path | Mapping[str, Any] | ServiceConfig | None = None) -> ServiceConfig:
    """Read and validate the service config.

    Parameters
    ----------
    source : path, mapping, ServiceConfig or None
        None: the shipped ``configs/service.yaml``.

    Returns
    -------
    ServiceConfig

    Raises
    ------
    ServiceConfigError
        A bad key or value, named by its path; a rules or lexicon file that is missing or bad.

    Examples
    --------
    >>> cfg = load_service_config()
    >>> cfg.hotspot_by, cfg.standards_hours["outage"], cfg.frequent_complainer
    (('region', 'topic'), 8.0, 3)
    >>> load_service_config({"hotspots": {"alpha": 2}})
    Traceback (most recent call last):
    ...
    gridcrm.service.errors.ServiceConfigError: service config: hotspots.alpha: expected a number between 0 and 0.5, got 2
    """
    from gridcrm.service.classify import ComplaintClassifier

    if isinstance(source, ServiceConfig):
        return source
    raw, path = read_config(source, what="service config", error=ServiceConfigError, shipped="service.yaml")
    where = f"service config {path}" if path is not None else "service config"

    def fail(msg: str) -> ServiceConfigError:
        return ServiceConfigError(f"{where}: {msg}")

    unknown = sorted(set(raw) - _TOP)
    if unknown:
        raise fail(f"unknown key(s) {unknown}; allowed keys are {sorted(_TOP)}")
    classifier = dict(_section(raw, "classifier", {"C", "calibration", "max_features", "random_state"}, fail))
    try:
        ComplaintClassifier(**classifier)._validate_params()
    except ValueError as exc:
        raise fail(f"classifier: {exc}") from None
    base = path.parent if path is not None else Path.cwd()

    def resolve(key: str) -> Path | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise fail(f"{key}: expected a path to a YAML file or null, got {value!r}")
        p = Path(value)
        return p if p.is_absolute() else base / p

    rules = load_topic_rules(resolve("rules"))
    lexicon = load_lexicon(resolve("lexicon"))
    cust = _section(raw, "customers", {"window_days", "frequent_complainer", "repeat_days"}, fail)
    hot = _section(raw, "hotspots", {"by", "history_months", "min_history_months", "alpha"}, fail)
    by = hot.get("by", ["region", "topic"])
    if not isinstance(by, list) or not by or any(b not in _HOTSPOT_GROUPS for b in by):
        raise fail(f"hotspots.by: expected a list of {list(_HOTSPOT_GROUPS)}, got {by!r}")
    alpha = hot.get("alpha", 0.005)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 0.5:
        raise fail(f"hotspots.alpha: expected a number between 0 and 0.5, got {alpha!r}")
    std_raw = raw.get("standards_hours") or {}
    if not isinstance(std_raw, Mapping):
        raise fail(f"standards_hours: expected a mapping topic → hours, got {std_raw!r}")
    standards = {}
    for topic, hours in std_raw.items():
        if topic not in CONTACT_TOPICS:
            raise fail(f"standards_hours.{topic}: not a topic id; expected one of {list(CONTACT_TOPICS)}")
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
            raise fail(f"standards_hours.{topic}: expected a positive number of hours, got {hours!r}")
        standards[str(topic)] = float(hours)
    return ServiceConfig(
        classifier=classifier, rules=rules, lexicon=lexicon,
        window_days=_int(cust, "window_days", "customers", 365, 1, fail),
        frequent_complainer=_int(cust, "frequent_complainer", "customers", 3, 1, fail),
        repeat_days=_int(cust, "repeat_days", "customers", 30, 1, fail),
        hotspot_by=tuple(by), history_months=_int(hot, "history_months", "hotspots", 12, 2, fail),
        min_history_months=_int(hot, "min_history_months", "hotspots", 6, 2, fail), alpha=float(alpha),
        standards_hours=standards, source=path,
    )
