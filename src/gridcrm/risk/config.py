"""The risk models' configuration (``configs/risk.yaml``), validated into typed objects.

Every key is checked when loaded; unknown keys and wrong values are
:class:`~gridcrm.risk.errors.RiskConfigError` naming the key
(``tuning.search_space.num_leaves.low: expected a number``). A missing key
takes the default shown in ``configs/risk.yaml``, which is also what
:func:`load_risk_config` returns without a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridcrm._yaml import read_config
from gridcrm.risk.errors import RiskConfigError
from gridcrm.risk.labels import ArrearsLabel, ChurnLabel
from gridcrm.risk.rules import Rule, parse_rules

__all__ = ["RiskConfig", "RiskListConfig", "SnapshotConfig", "TuningConfig", "load_risk_config"]

#: Rules used when the config has none: the internal blacklist and the premium-customer list.
DEFAULT_RULES: dict[str, Any] = {
    "internal_blacklist": {
        "description": "Electricity theft or a blacklist entry on record, or arrears likely on top of unpaid bills",
        "any": [
            "theft_count > 0",
            "blacklisted == true",
            {"all": ["p_arrears >= 0.5", "arrears_count >= 2"]},
            {"all": ["p_arrears >= 0.3", "violation_count > 0", "late_bills_365d >= 3"]},
        ],
    },
    "premium_customer": {
        "description": "Top 20% by bill, reliable payer, low risk of arrears and churn",
        "all": [
            "bill_amount_mean_365d >= p80",
            "p_arrears <= 0.02",
            "p_churn <= 0.02",
            "late_bills_365d == 0",
            "theft_count == 0",
            "tenure_years >= 2",
        ],
    },
}


@dataclass(frozen=True)
class SnapshotConfig:
    """Snapshot dates of the stacked training sets and their time split.

    Attributes
    ----------
    n : int
        Number of monthly snapshots (the latest ones whose labels are known).
    freq : str
        pandas frequency of the snapshots.
    min_history_days : int
        Data needed before the first snapshot.
    valid, test : int
        Snapshots for validation and test (see :func:`~gridcrm.risk.labels.time_split`).
    """

    n: int = 12
    freq: str = "MS"
    min_history_days: int = 365
    valid: int = 1
    test: int = 1


@dataclass(frozen=True)
class TuningConfig:
    """Budget and search space of :func:`~gridcrm.risk.tuning.tune`."""

    n_trials: int = 30
    timeout_s: float | None = 600.0
    metric: str = "log_loss"
    seed: int = 0
    search_space: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RiskListConfig:
    """What a risk list shows and which flags it raises."""

    n_reasons: int = 3
    amount_column: str = "bill_amount_mean_365d"
    columns: tuple[str, ...] = ("customer_class", "arrears_count", "arrears_amount", "late_bills_365d")
    rules: Mapping[str, Rule] = field(default_factory=lambda: parse_rules(DEFAULT_RULES))


@dataclass(frozen=True)
class RiskConfig:
    """Everything ``configs/risk.yaml`` holds.

    Attributes
    ----------
    arrears_label : ArrearsLabel
    churn_label : ChurnLabel
    snapshots : SnapshotConfig
    classifier : dict
        Overrides of :class:`~gridcrm.risk.RiskClassifier` parameters.
    tuning : TuningConfig
    calibration : {"auto", "isotonic", "sigmoid", "none"}
    risk_list : RiskListConfig
    min_events : int
        Fewest positive training rows for a model to be made champion (default 50): below it the model
        is logged, registered and listed, with a note that it is indicative only, but never promoted.
    source : Path or None
    """

    arrears_label: ArrearsLabel = field(default_factory=ArrearsLabel)
    churn_label: ChurnLabel = field(default_factory=ChurnLabel)
    snapshots: SnapshotConfig = field(default_factory=SnapshotConfig)
    classifier: Mapping[str, Any] = field(default_factory=dict)
    tuning: TuningConfig = field(default_factory=TuningConfig)
    calibration: str = "auto"
    risk_list: RiskListConfig = field(default_factory=RiskListConfig)
    min_events: int = 50  # gridcrm.pipeline.MIN_EVENTS
    source: Path | None = None


def _mapping(raw: Any, key: str, allowed: set[str]) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise RiskConfigError(f"{key}: expected a mapping, got {raw!r}")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise RiskConfigError(f"{key}: unknown key(s) {unknown}; allowed keys are {sorted(allowed)}")
    return raw


def _int(raw: Mapping[str, Any], name: str, key: str, default: int, minimum: int = 0) -> int:
    v = raw.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise RiskConfigError(f"{key}.{name}: expected a whole number ≥ {minimum}, got {v!r}")
    return v


def _labels(raw: Any) -> tuple[ArrearsLabel, ChurnLabel]:
    labels = _mapping(raw, "labels", {"arrears", "churn"})
    a = _mapping(labels.get("arrears"), "labels.arrears", {"late_days", "horizon_days"})
    arrears = ArrearsLabel(_int(a, "late_days", "labels.arrears", 15), _int(a, "horizon_days", "labels.arrears", 45, 1))
    c = _mapping(labels.get("churn"), "labels.churn",
                 {"horizon_days", "large_classes", "consumption_share", "baseline_days"})
    classes = c.get("large_classes", ["large_industry"])
    if not isinstance(classes, list) or not all(isinstance(x, str) for x in classes):
        raise RiskConfigError(f"labels.churn.large_classes: expected a list of customer classes, got {classes!r}")
    from gridcrm.data.schemas import CUSTOMER_CLASSES

    bad = sorted(set(classes) - set(CUSTOMER_CLASSES))
    if bad:
        raise RiskConfigError(f"labels.churn.large_classes: unknown class(es) {bad}; classes are {list(CUSTOMER_CLASSES)}")
    share = c.get("consumption_share", 0.3)
    if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1):
        raise RiskConfigError(f"labels.churn.consumption_share: expected a number in (0, 1) or null, got {share!r}")
    churn = ChurnLabel(_int(c, "horizon_days", "labels.churn", 90, 1), tuple(classes),
                       None if share is None else float(share), _int(c, "baseline_days", "labels.churn", 365, 1))
    return arrears, churn


def _classifier(raw: Any) -> dict[str, Any]:
    from gridcrm.risk.classifier import RiskClassifier

    known = set(RiskClassifier().get_params()) - {"label"}
    params = dict(_mapping(raw, "classifier", known))
    try:
        RiskClassifier(**params)._validate_params()
    except (ValueError, TypeError) as exc:
        raise RiskConfigError(f"classifier: {exc}") from None
    return params


def _tuning(raw: Any) -> TuningConfig:
    from gridcrm.risk.tuning import METRICS, parse_search_space

    t = _mapping(raw, "tuning", {"n_trials", "timeout_s", "metric", "seed", "search_space"})
    timeout = t.get("timeout_s", 600.0)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise RiskConfigError(f"tuning.timeout_s: expected a positive number of seconds or null, got {timeout!r}")
    metric = t.get("metric", "log_loss")
    if metric not in METRICS:
        raise RiskConfigError(f"tuning.metric: expected one of {sorted(METRICS)}, got {metric!r}")
    space = t.get("search_space")
    if space is not None:
        parse_search_space(space, "tuning.search_space")
    return TuningConfig(_int(t, "n_trials", "tuning", 30, 1), None if timeout is None else float(timeout), metric,
                        _int(t, "seed", "tuning", 0), space)


def _risk_list(raw: Any) -> RiskListConfig:
    r = _mapping(raw, "risk_list", {"n_reasons", "amount_column", "columns", "rules"})
    amount = r.get("amount_column", "bill_amount_mean_365d")
    if not isinstance(amount, str):
        raise RiskConfigError(f"risk_list.amount_column: expected a column name, got {amount!r}")
    columns = r.get("columns", list(RiskListConfig.columns))
    if not isinstance(columns, list) or not all(isinstance(x, str) for x in columns):
        raise RiskConfigError(f"risk_list.columns: expected a list of column names, got {columns!r}")
    rules = parse_rules(r["rules"]) if "rules" in r else parse_rules(DEFAULT_RULES)
    return RiskListConfig(_int(r, "n_reasons", "risk_list", 3, 1), amount, tuple(columns), rules)


def load_risk_config(source: str | Path | Mapping[str, Any] | RiskConfig | None = None) -> RiskConfig:
    """Read and validate a risk configuration.

    Parameters
    ----------
    source : path, mapping, RiskConfig or None
        A YAML file (``configs/risk.yaml``), the same content as a mapping, a
        config already loaded (returned as is), or None (default) for the shipped
        ``risk.yaml`` (``gridcrm.configs.shipped("risk.yaml")``, the project's
        ``configs/risk.yaml``), found from any working directory: the built-in default of
        every key (a test keeps them equal) and one LightGBM thread (``classifier: {n_jobs: 1}``).
        An empty mapping gives the built-in defaults alone. Read by
        :func:`gridcrm._yaml.read_config`.

    Returns
    -------
    RiskConfig

    Raises
    ------
    RiskConfigError
        The file is missing (also a ``FileNotFoundError``), not YAML or not a mapping (the
        message names the file), or a key or value is wrong (the message names the key).

    Notes
    -----
    The config's one way to an estimator: ``ArrearsModel.from_config(cfg)`` and
    ``ChurnModel.from_config(cfg)`` (the label and ``cfg.classifier``, the
    :class:`~gridcrm.risk.RiskClassifier` parameters).

    Examples
    --------
    >>> default = load_risk_config()                 # the shipped risk.yaml, with no path
    >>> default.arrears_label.late_days, default.classifier, default.source.name
    (15, {'n_jobs': 1}, 'risk.yaml')
    >>> cfg = load_risk_config({"labels": {"arrears": {"late_days": 30}}, "classifier": {"n_jobs": 1}})
    >>> cfg.arrears_label.late_days, cfg.churn_label.horizon_days, cfg.classifier
    (30, 90, {'n_jobs': 1})
    >>> load_risk_config({"tuning": {"metric": "accuracy"}})
    Traceback (most recent call last):
    ...
    gridcrm.risk.errors.RiskConfigError: tuning.metric: expected one of ['log_loss', 'pr_auc', 'roc_auc'], got 'accuracy'
    """
    if isinstance(source, RiskConfig):
        return source
    raw, path = read_config(source, what="risk config", error=RiskConfigError, shipped="risk.yaml")
    top = _mapping(raw, "risk config", {"labels", "snapshots", "classifier", "tuning", "calibration", "risk_list",
                                              "min_events"})
    arrears, churn = _labels(top.get("labels"))
    s = _mapping(top.get("snapshots"), "snapshots", {"n", "freq", "min_history_days", "valid", "test"})
    freq = s.get("freq", "MS")
    if not isinstance(freq, str):
        raise RiskConfigError(f"snapshots.freq: expected a pandas frequency such as 'MS', got {freq!r}")
    snapshots = SnapshotConfig(_int(s, "n", "snapshots", 12, 3), freq, _int(s, "min_history_days", "snapshots", 365),
                               _int(s, "valid", "snapshots", 1, 1), _int(s, "test", "snapshots", 1, 0))
    calibration = top.get("calibration", "auto")
    if calibration not in ("auto", "isotonic", "sigmoid", "none"):
        raise RiskConfigError(f"calibration: expected one of ['auto', 'isotonic', 'sigmoid', 'none'], got {calibration!r}")
    min_events = top.get("min_events", 50)
    if isinstance(min_events, bool) or not isinstance(min_events, int) or min_events < 0:
        raise RiskConfigError(f"min_events: expected a whole number ≥ 0, got {min_events!r}")
    return RiskConfig(arrears, churn, snapshots, _classifier(top.get("classifier")), _tuning(top.get("tuning")),
                      calibration, _risk_list(top.get("risk_list")), min_events, path)
