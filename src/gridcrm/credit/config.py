"""Scoring configurations (``configs/credit_ahp.yaml``, ``configs/value_ahp.yaml``) → validated objects.

A scoring config is a YAML mapping::

    name: credit                 # used in messages
    title: Customer credit score
    ahp:                         # optional; these are the defaults
      method: eigenvector        # or geometric
      cr_threshold: 0.1
      on_inconsistent: warn      # warn | raise | ignore
    grades:                      # credit only: lower bound of each grade, best first
      AAA: 90
      AA: 80
      A: 70
      B: 60
      C: 0
    big_customers:               # value only
      top_share: 0.2
    hierarchy:                   # goal → criteria → sub-criteria → indicators
      name: credit
      judgements: [...]
      children: [...]

Indicator leaves carry the keys of :class:`~gridcrm.credit.normalize.IndicatorSpec`.
Every key is checked on load: unknown keys, wrong types, invalid judgements and
indicators missing from the feature registry are :class:`CreditConfigError`\\ s that
name the file and the node path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridcrm._yaml import read_config
from gridcrm.credit.errors import CreditConfigError
from gridcrm.credit.hierarchy import AHPHierarchy
from gridcrm.credit.normalize import INDICATOR_KEYS, IndicatorSpec, check_registry
from gridcrm.features.registry import FeatureSpec

__all__ = ["GradeScale", "ScoringConfig", "load_scoring_config", "load_value_config"]

_TOP_KEYS = {"name", "title", "description", "ahp", "grades", "big_customers", "hierarchy"}
_AHP_KEYS = {"method", "cr_threshold", "on_inconsistent"}
DEFAULT_GRADES: dict[str, float] = {"AAA": 90.0, "AA": 80.0, "A": 70.0, "B": 60.0, "C": 0.0}


@dataclass(frozen=True)
class GradeScale:
    """Letter grades cut from a 0–100 score.

    Parameters
    ----------
    labels : tuple of str
        Best first, e.g. ``("AAA", "AA", "A", "B", "C")``.
    lower_bounds : tuple of float
        Lowest score of each grade (inclusive), decreasing; the last is 0.

    Examples
    --------
    >>> g = GradeScale.from_mapping({"AAA": 90, "AA": 80, "A": 70, "B": 60, "C": 0})
    >>> g.assign([95.0, 90.0, 89.9, 12.0]).tolist()
    ['AAA', 'AAA', 'AA', 'C']
    """

    labels: tuple[str, ...]
    lower_bounds: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.lower_bounds) or len(self.labels) < 2:
            raise CreditConfigError("grades: need at least two grades, each with one lower bound")
        if len(set(self.labels)) != len(self.labels):
            raise CreditConfigError(f"grades: duplicate grade names {list(self.labels)}")
        b = np.array(self.lower_bounds, dtype=float)
        if np.any(np.diff(b) >= 0):
            raise CreditConfigError(
                f"grades: lower bounds must decrease from the best grade to the worst, got "
                f"{dict(zip(self.labels, self.lower_bounds, strict=True))}"
            )
        if b[-1] != 0 or b[0] > 100:
            raise CreditConfigError(
                f"grades: the worst grade must start at 0 and every bound be ≤ 100, got "
                f"{dict(zip(self.labels, self.lower_bounds, strict=True))}"
            )

    @classmethod
    def from_mapping(cls, grades: Mapping[str, Any], where: str = "grades") -> GradeScale:
        """From ``{grade: lower bound}``, best grade first."""
        if not isinstance(grades, Mapping) or not grades:
            raise CreditConfigError(f"{where}: expected a mapping of grade to lower bound, got {grades!r}")
        for k, v in grades.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise CreditConfigError(f"{where}.{k}: expected a number (the grade's lowest score), got {v!r}")
        return cls(tuple(str(k) for k in grades), tuple(float(v) for v in grades.values()))

    def assign(self, scores: Any) -> pd.Categorical:
        """Grades of ``scores`` as an ordered categorical (worst < best); NaN scores get NaN."""
        s = np.asarray(scores, dtype=float)
        asc = np.array(self.lower_bounds[::-1])
        codes = np.searchsorted(asc, s, side="right") - 1
        codes = np.where(np.isnan(s), -1, np.clip(codes, 0, len(asc) - 1))
        return pd.Categorical.from_codes(codes, categories=list(self.labels[::-1]), ordered=True)

    def to_dict(self) -> dict[str, float]:
        """``{grade: lower bound}``, best first."""
        return dict(zip(self.labels, self.lower_bounds, strict=True))


@dataclass(frozen=True, eq=False)
class ScoringConfig:
    """A validated scoring configuration.

    Attributes
    ----------
    name, title : str
    hierarchy : AHPHierarchy
        With its weights and consistency computed.
    indicators : dict of str to IndicatorSpec
        In the hierarchy's leaf order.
    grades : GradeScale or None
    top_share : float or None
        Share of customers on the big-customer list (value configs).
    source : str
        File name, or ``"<dict>"``.
    """

    name: str
    title: str
    hierarchy: AHPHierarchy
    indicators: dict[str, IndicatorSpec]
    grades: GradeScale | None = None
    top_share: float | None = None
    source: str = "<dict>"

    @property
    def weights(self) -> pd.Series:
        """Global weights of the indicators (sum 1)."""
        return self.hierarchy.leaf_weights


def load_scoring_config(
    source: str | Path | Mapping[str, Any] | ScoringConfig | None = None,
    *,
    on_inconsistent: str | None = None,
    registry: Mapping[str, FeatureSpec] | None = None,
) -> ScoringConfig:
    """Read and validate a scoring configuration.

    Parameters
    ----------
    source : str, Path, mapping, ScoringConfig or None
        A YAML file, the same content as a mapping, or an already loaded config
        (returned unchanged). Default: the shipped credit config ``credit_ahp.yaml``
        (``gridcrm.configs.shipped("credit_ahp.yaml")``, the project's
        ``configs/credit_ahp.yaml``), found from any working directory; the shipped value
        config is :func:`load_value_config`. Read by :func:`gridcrm._yaml.read_config`.
    on_inconsistent : {"warn", "raise", "ignore"}, optional
        Overrides ``ahp.on_inconsistent``.
    registry : mapping, optional
        Feature registry to check indicator names against
        (:data:`gridcrm.features.FEATURES` by default).

    Returns
    -------
    ScoringConfig

    Raises
    ------
    CreditConfigError
        The message names the file and key path (a missing file is also a ``FileNotFoundError``).

    Notes
    -----
    The one way from a scoring config to an estimator is to pass it (or its path) as
    ``CreditScorer(config=...)`` or ``CustomerValueScorer(config=...)``.

    Examples
    --------
    >>> load_scoring_config().source                # the shipped credit config, with no path
    'credit_ahp.yaml'
    >>> cfg = load_scoring_config({
    ...     "name": "mini",
    ...     "hierarchy": {"name": "credit", "judgements": [["on_time_rate_365d", "theft_count", 3]], "children": [
    ...         {"indicator": "on_time_rate_365d", "direction": "benefit", "method": "minmax",
    ...          "bounds": [0.5, 1.0], "missing": "neutral"},
    ...         {"indicator": "theft_count", "direction": "cost", "method": "thresholds",
    ...          "points": [[0, 1.0], [1, 0.0]], "missing": "best"}]}})
    >>> cfg.weights.to_dict()
    {'on_time_rate_365d': 0.75, 'theft_count': 0.25}
    """
    if isinstance(source, ScoringConfig):
        if on_inconsistent is not None:
            raise CreditConfigError(
                "on_inconsistent applies when a config is loaded; pass the config's path or mapping instead of a "
                "loaded ScoringConfig"
            )
        return source
    raw, path = read_config(source, what="scoring config", error=CreditConfigError, shipped="credit_ahp.yaml")
    src = "<dict>" if path is None else path.name
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise CreditConfigError(f"{src}: unknown key(s) {unknown}; allowed keys are {sorted(_TOP_KEYS)}")
    if "hierarchy" not in raw:
        raise CreditConfigError(f"{src}: required key 'hierarchy' missing")
    name = str(raw.get("name", "scoring"))
    ahp = dict(raw.get("ahp") or {})
    bad = sorted(set(ahp) - _AHP_KEYS)
    if bad:
        raise CreditConfigError(f"{src}: ahp: unknown key(s) {bad}; allowed keys are {sorted(_AHP_KEYS)}")
    method = ahp.get("method", "eigenvector")
    if method not in ("eigenvector", "geometric"):
        raise CreditConfigError(f"{src}: ahp.method: expected 'eigenvector' or 'geometric', got {method!r}")
    cr_threshold = ahp.get("cr_threshold", 0.1)
    if isinstance(cr_threshold, bool) or not isinstance(cr_threshold, (int, float)) or not 0 < cr_threshold < 1:
        raise CreditConfigError(f"{src}: ahp.cr_threshold: expected a number in (0, 1), got {cr_threshold!r}")
    policy = on_inconsistent or ahp.get("on_inconsistent", "warn")
    if policy not in ("warn", "raise", "ignore"):
        raise CreditConfigError(f"{src}: ahp.on_inconsistent: expected warn, raise or ignore, got {policy!r}")
    _check_indicator_names(raw["hierarchy"], f"{src}: hierarchy", registry)
    hierarchy = AHPHierarchy.from_dict(
        raw["hierarchy"], where=f"{src}: hierarchy", leaf_attrs=INDICATOR_KEYS, method=method,
        cr_threshold=float(cr_threshold), on_inconsistent=policy, source=src,
    )
    indicators: dict[str, IndicatorSpec] = {}
    for leaf, _parent, _level, path in hierarchy.walk():
        if not leaf.is_leaf:
            continue
        where = f"{src}: hierarchy > {path.replace('/', ' > ')}"
        indicators[leaf.name] = IndicatorSpec.from_config(
            leaf.name, leaf.attrs, where=where, description=leaf.description, registry=registry
        )
    grades = GradeScale.from_mapping(raw["grades"], f"{src}: grades") if "grades" in raw else None
    top_share = None
    if "big_customers" in raw:
        bc = raw["big_customers"]
        if not isinstance(bc, Mapping) or set(bc) - {"top_share"}:
            raise CreditConfigError(f"{src}: big_customers: expected {{top_share: 0.2}}, got {bc!r}")
        top_share = bc.get("top_share", 0.2)
        if isinstance(top_share, bool) or not isinstance(top_share, (int, float)) or not 0 < top_share <= 1:
            raise CreditConfigError(f"{src}: big_customers.top_share: expected a share in (0, 1], got {top_share!r}")
        top_share = float(top_share)
    return ScoringConfig(
        name=name, title=str(raw.get("title", name)), hierarchy=hierarchy, indicators=indicators,
        grades=grades, top_share=top_share, source=src,
    )


def load_value_config(
    source: str | Path | Mapping[str, Any] | ScoringConfig | None = None,
    *,
    on_inconsistent: str | None = None,
    registry: Mapping[str, FeatureSpec] | None = None,
) -> ScoringConfig:
    """Read and validate a customer-value scoring configuration (default: the shipped ``value_ahp.yaml``).

    The same as :func:`load_scoring_config`, whose default is the credit config; this one's
    default is ``gridcrm.configs.shipped("value_ahp.yaml")``.

    Parameters
    ----------
    source : str, Path, mapping, ScoringConfig or None
        A YAML file, the same content as a mapping, an already loaded config (returned
        unchanged), or None for the shipped ``value_ahp.yaml``.
    on_inconsistent : {"warn", "raise", "ignore"}, optional
        Overrides ``ahp.on_inconsistent``.
    registry : mapping, optional
        Feature registry to check indicator names against.

    Returns
    -------
    ScoringConfig
        Pass it as ``CustomerValueScorer(config=...)``.

    Raises
    ------
    CreditConfigError
        The message names the file and key path.

    Examples
    --------
    >>> cfg = load_value_config()
    >>> cfg.source, cfg.top_share
    ('value_ahp.yaml', 0.2)
    """
    if source is None:
        from gridcrm.configs import shipped

        source = shipped("value_ahp.yaml")
    return load_scoring_config(source, on_inconsistent=on_inconsistent, registry=registry)


def _check_indicator_names(node: Any, where: str, registry: Mapping[str, FeatureSpec] | None) -> None:
    """Check indicator names against the registry before the judgements refer to them."""
    if not isinstance(node, Mapping):
        return  # the hierarchy parser reports it
    name = node.get("indicator", node.get("name"))
    here = f"{where} > {name}"
    if "indicator" in node and isinstance(name, str):
        check_registry(name, node.get("external") is True, here, registry=registry)
    children = node.get("children")
    if isinstance(children, list):
        for child in children:
            _check_indicator_names(child, here, registry)
