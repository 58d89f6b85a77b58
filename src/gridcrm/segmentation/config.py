"""``configs/segmentation.yaml`` → validated settings and ready-to-fit estimators.

The file has three sections, each optional:

* ``customers`` — parameters of :class:`CustomerSegmenter`;
* ``shapes`` — parameters of :class:`LoadShapeClusterer`;
* ``profiles`` — arguments of :func:`daily_load_profiles`.

Every key is checked when the file is read, with the estimators' own
parameter rules, so a typo or a bad value stops the run before any fitting
with a message naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridcrm._params import validate_params
from gridcrm._yaml import read_config
from gridcrm.errors import InputError
from gridcrm.segmentation.customers import CustomerSegmenter
from gridcrm.segmentation.errors import SegmentationConfigError
from gridcrm.segmentation.shapes import LoadShapeClusterer

__all__ = ["SegmentationConfig", "load_segmentation_config"]

_PROFILE_KEYS = {"points_per_day": (24, 48, 96), "per": ("day", "customer"), "days": ("all", "weekday", "weekend")}


@dataclass(frozen=True)
class SegmentationConfig:
    """Validated segmentation settings.

    Attributes
    ----------
    customers : dict
        :class:`CustomerSegmenter` parameters.
    shapes : dict
        :class:`LoadShapeClusterer` parameters.
    profiles : dict
        :func:`daily_load_profiles` keyword arguments.
    migration_months : int
        The main job's migration matrix compares segments with this many months
        before ``as_of`` (a model fitted then scores both dates); 0: none.
    source : Path or None
        The file read.
    """

    customers: dict[str, Any] = field(default_factory=dict)
    shapes: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None
    migration_months: int = 0

    def customer_segmenter(self) -> CustomerSegmenter:
        """A new, unfitted :class:`CustomerSegmenter` with the configured parameters."""
        return CustomerSegmenter(**self.customers)

    def load_shape_clusterer(self) -> LoadShapeClusterer:
        """A new, unfitted :class:`LoadShapeClusterer` with the configured parameters."""
        return LoadShapeClusterer(**self.shapes)


def load_segmentation_config(
    source: str | Path | Mapping[str, Any] | SegmentationConfig | None = None,
) -> SegmentationConfig:
    """Read and validate segmentation settings.

    Parameters
    ----------
    source : str, Path, mapping, SegmentationConfig or None
        A YAML file, its already-parsed content, an already loaded config (returned unchanged),
        or None (default) for the shipped ``segmentation.yaml``
        (``gridcrm.configs.shipped("segmentation.yaml")``, the project's
        ``configs/segmentation.yaml``), found from any working directory. Read by
        :func:`gridcrm._yaml.read_config`.

    Returns
    -------
    SegmentationConfig
        Its one way to the estimators is :meth:`SegmentationConfig.customer_segmenter` and
        :meth:`SegmentationConfig.load_shape_clusterer`; ``cfg.profiles`` are the keyword
        arguments of :func:`daily_load_profiles`.

    Raises
    ------
    SegmentationConfigError
        Naming the file (missing — also a ``FileNotFoundError`` —, not YAML, not a mapping) or
        the key (unknown sections or keys, values of the wrong type or range).

    Examples
    --------
    >>> load_segmentation_config().source.name     # the shipped settings, with no path
    'segmentation.yaml'
    >>> cfg = load_segmentation_config({"customers": {"n_clusters": 6, "k_range": [3, 8]}})
    >>> cfg.customer_segmenter().k_range
    (3, 8)
    >>> load_segmentation_config({"customers": {"n_clusterz": 6}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.segmentation.errors.SegmentationConfigError: customers.n_clusterz: unknown key; allowed keys are [...]
    """
    if isinstance(source, SegmentationConfig):
        return source
    raw, path = read_config(source, what="segmentation config", error=SegmentationConfigError,
                            shipped="segmentation.yaml")
    unknown = sorted(set(raw) - {"customers", "shapes", "profiles", "migration"})
    if unknown:
        raise SegmentationConfigError(f"unknown section(s) {unknown}; allowed sections are customers, shapes, profiles, "
                                      "migration")
    customers = _estimator_params("customers", raw.get("customers"), CustomerSegmenter)
    shapes = _estimator_params("shapes", raw.get("shapes"), LoadShapeClusterer)
    profiles = _profile_params(raw.get("profiles"))
    return SegmentationConfig(customers=customers, shapes=shapes, profiles=profiles, source=path,
                              migration_months=_migration_months(raw.get("migration")))


def _migration_months(section: Any) -> int:
    params = _section("migration", section)
    for key, value in params.items():
        if key != "months_before":
            raise SegmentationConfigError(f"migration.{key}: unknown key; allowed keys are ['months_before']")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120:
            raise SegmentationConfigError(f"migration.months_before: expected a whole number of months from 0 to 120 "
                                          f"(0: no migration matrix), got {value!r}")
    return int(params.get("months_before", 0))


def _section(name: str, section: Any) -> dict[str, Any]:
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise SegmentationConfigError(f"{name}: expected a mapping of parameters, got {section!r}")
    return dict(section)


def _estimator_params(name: str, section: Any, cls: type[CustomerSegmenter | LoadShapeClusterer]) -> dict[str, Any]:
    params = _section(name, section)
    allowed = sorted(cls().get_params())
    for key in params:
        if key not in allowed:
            raise SegmentationConfigError(f"{name}.{key}: unknown key; allowed keys are {allowed}")
    if isinstance(params.get("k_range"), list):
        params["k_range"] = tuple(params["k_range"])
    for key, value in params.items():
        try:
            validate_params(cls, {key: value}, cls._parameter_rules)
        except InputError as exc:
            raise SegmentationConfigError(f"{name}.{key}: {exc}") from exc
    return params


def _profile_params(section: Any) -> dict[str, Any]:
    params = _section("profiles", section)
    allowed = sorted([*_PROFILE_KEYS, "min_coverage"])
    for key, value in params.items():
        if key not in allowed:
            raise SegmentationConfigError(f"profiles.{key}: unknown key; allowed keys are {allowed}")
        if key in _PROFILE_KEYS and value not in _PROFILE_KEYS[key]:
            raise SegmentationConfigError(f"profiles.{key}: expected one of {list(_PROFILE_KEYS[key])}, got {value!r}")
        if key == "min_coverage" and not (isinstance(value, (int, float)) and 0 <= value <= 1):
            raise SegmentationConfigError(f"profiles.min_coverage: expected a share between 0 and 1, got {value!r}")
    return params
