"""Indicator normalisation: raw indicator values → goodness in [0, 1] (1 = best).

Each indicator of a scoring hierarchy has an :class:`IndicatorSpec`:

``direction``
    ``benefit`` (more is better: on-time rate, tenure) or ``cost`` (less is better:
    days late, arrears, theft).
``method``
    - ``minmax``: linear between a low and a high reference, clipped to [0, 1].
      The references are fixed ``bounds: [lo, hi]``, or learned at fit from the
      reference population as its ``quantiles: [q_lo, q_hi]`` (default ``[0, 1]``,
      i.e. min and max; ``[0.01, 0.99]`` resists outliers). If the reference
      population is constant the indicator is a pass/fail test: 1 at or better
      than that value, 0 worse.
    - ``percentile``: the share of the reference population that the customer is
      at least as good as (ties count in the customer's favour, so the best
      customers score 1 even when many share the best value). Learned at fit.
    - ``thresholds``: piecewise function of fixed ``points: [[x, goodness], ...]``
      (x increasing), ``interpolate: linear`` (default) or ``step`` (the goodness
      of the last point at or below x); constant beyond the end points. The
      goodness must rise with x for a benefit and fall for a cost.
``missing``
    What a NaN (or an absent optional column) means — say it explicitly:
    ``neutral`` (goodness ``neutral_value``, 0.5 by default), ``worst`` (0),
    ``best`` (1; e.g. ``months_since_last_arrears`` is NaN for customers never in
    arrears), or ``renormalise`` (the indicator drops out and its weight is shared
    by the present indicators, see :mod:`gridcrm.credit.scoring`).
``required``
    ``true`` (default): the column must be in the frame. ``false``: it may be absent
    (all values missing), e.g. external credit where present.
``external``
    ``true`` for an indicator that the feature builder does not produce (and so is
    not in :data:`gridcrm.features.FEATURES`), e.g. an external credit bureau
    score; it needs ``description`` and ``unit``. Every other indicator must be in
    the feature registry.
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from gridcrm.credit.errors import CreditConfigError, IndicatorError
from gridcrm.features.registry import FEATURES, FeatureSpec

__all__ = ["INDICATOR_KEYS", "IndicatorNormalizer", "IndicatorSpec", "check_indicator_frame", "check_registry"]

logger = logging.getLogger(__name__)

Direction = Literal["benefit", "cost"]
NormMethod = Literal["minmax", "percentile", "thresholds"]
MissingPolicy = Literal["neutral", "worst", "best", "renormalise"]

#: Keys an indicator leaf may carry in a scoring config (besides indicator/title/description).
INDICATOR_KEYS: frozenset[str] = frozenset(
    {"direction", "method", "bounds", "quantiles", "points", "interpolate", "missing", "neutral_value", "required",
     "external", "unit"}
)
_METHOD_KEYS = {"minmax": {"bounds", "quantiles"}, "percentile": set(), "thresholds": {"points", "interpolate"}}


@dataclass(frozen=True)
class IndicatorSpec:
    """How one indicator is normalised and what its missing values mean (see the module docstring).

    Examples
    --------
    >>> IndicatorSpec("on_time_rate_365d", "benefit", "minmax", "neutral", bounds=(0.5, 1.0)).unit
    'share'
    """

    name: str
    direction: Direction
    method: NormMethod
    missing: MissingPolicy
    bounds: tuple[float, float] | None = None
    quantiles: tuple[float, float] = (0.0, 1.0)
    points: tuple[tuple[float, float], ...] = ()
    interpolate: Literal["linear", "step"] = "linear"
    neutral_value: float = 0.5
    required: bool = True
    external: bool = False
    description: str = ""
    unit: str = ""

    def __post_init__(self) -> None:
        if not self.external and self.name in FEATURES:
            spec: FeatureSpec = FEATURES[self.name]
            if not self.description:
                object.__setattr__(self, "description", spec.description)
            if not self.unit:
                object.__setattr__(self, "unit", spec.unit)
        try:
            _check_spec(self)
        except ValueError as exc:
            raise CreditConfigError(f"indicator {self.name!r}: {exc}") from exc

    @classmethod
    def from_config(
        cls,
        name: str,
        attrs: Mapping[str, Any],
        *,
        where: str,
        description: str = "",
        registry: Mapping[str, FeatureSpec] | None = None,
    ) -> IndicatorSpec:
        """Read a spec from a config leaf's attributes; errors name ``where`` and the key.

        Raises
        ------
        CreditConfigError
            A key is missing, unknown for the method, or has a bad value; or the
            indicator is not in the feature registry (and not declared external).
        """
        reg = FEATURES if registry is None else registry
        for key in ("direction", "method", "missing"):
            if key not in attrs:
                raise CreditConfigError(f"{where}: required key {key!r} missing (say it explicitly)")
        method = attrs["method"]
        if method not in _METHOD_KEYS:
            raise CreditConfigError(f"{where}.method: expected one of {sorted(_METHOD_KEYS)}, got {method!r}")
        misplaced = sorted((set(attrs) & set().union(*_METHOD_KEYS.values())) - _METHOD_KEYS[method])
        if misplaced:
            raise CreditConfigError(f"{where}: key(s) {misplaced} do not apply to method {method!r}")
        external = _bool(attrs.get("external", False), f"{where}.external")
        check_registry(name, external, where, registry=reg)
        if external and (not description or not attrs.get("unit")):
            raise CreditConfigError(f"{where}: an external indicator needs a 'description' and a 'unit'")
        kwargs: dict[str, Any] = {
            "name": name, "direction": attrs["direction"], "method": method, "missing": attrs["missing"],
            "external": external, "required": _bool(attrs.get("required", True), f"{where}.required"),
            "description": description or (reg[name].description if name in reg else ""),
            "unit": str(attrs.get("unit") or (reg[name].unit if name in reg else "")),
        }
        if "bounds" in attrs:
            kwargs["bounds"] = _pair_of_numbers(attrs["bounds"], f"{where}.bounds")
        if "quantiles" in attrs:
            kwargs["quantiles"] = _pair_of_numbers(attrs["quantiles"], f"{where}.quantiles")
        if "points" in attrs:
            pts = attrs["points"]
            if not isinstance(pts, list) or not all(isinstance(p, list) and len(p) == 2 for p in pts):
                raise CreditConfigError(f"{where}.points: expected a list of [value, goodness] pairs, got {pts!r}")
            kwargs["points"] = tuple(_pair_of_numbers(p, f"{where}.points") for p in pts)
        for key in ("interpolate", "neutral_value"):
            if key in attrs:
                kwargs[key] = attrs[key]
        try:
            return cls(**kwargs)
        except CreditConfigError as exc:
            raise CreditConfigError(f"{where}: {exc.__cause__}") from exc.__cause__


def check_registry(name: str, external: bool, where: str, registry: Mapping[str, FeatureSpec] | None = None) -> None:
    """Check that an indicator is a numeric feature of the registry, or declared external.

    Raises
    ------
    CreditConfigError
        Naming ``where`` (the config path), the indicator and close registry names.
    """
    reg = FEATURES if registry is None else registry
    if external:
        if name in reg:
            raise CreditConfigError(f"{where}: {name!r} is in the feature registry; do not declare it external")
        return
    if name not in reg:
        close = difflib.get_close_matches(name, list(reg), n=3)
        hint = f"; did you mean {close}?" if close else "."
        raise CreditConfigError(
            f"{where}: indicator {name!r} is not in the feature registry (gridcrm.features.FEATURES){hint} "
            "If it comes from outside the feature builder (e.g. an external credit score), declare it with "
            "external: true, a description and a unit."
        )
    if reg[name].kind == "category":
        raise CreditConfigError(f"{where}: indicator {name!r} is categorical and cannot be normalised")


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise CreditConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _pair_of_numbers(value: Any, where: str) -> tuple[float, float]:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise CreditConfigError(f"{where}: expected two numbers [a, b], got {value!r}")
    return float(value[0]), float(value[1])


def _check_spec(s: IndicatorSpec) -> None:
    if s.direction not in ("benefit", "cost"):
        raise ValueError(f"direction must be 'benefit' or 'cost', got {s.direction!r}")
    if s.method not in _METHOD_KEYS:
        raise ValueError(f"method must be one of {sorted(_METHOD_KEYS)}, got {s.method!r}")
    if s.missing not in ("neutral", "worst", "best", "renormalise"):
        raise ValueError(f"missing must be 'neutral', 'worst', 'best' or 'renormalise', got {s.missing!r}")
    if not (isinstance(s.neutral_value, (int, float)) and 0 <= s.neutral_value <= 1):
        raise ValueError(f"neutral_value must be in [0, 1], got {s.neutral_value!r}")
    if s.bounds is not None and s.method != "minmax":
        raise ValueError(f"bounds apply to method 'minmax' only, not {s.method!r}")
    if s.points and s.method != "thresholds":
        raise ValueError(f"points apply to method 'thresholds' only, not {s.method!r}")
    if s.method == "minmax":
        if s.bounds is not None and not (math.isfinite(s.bounds[0]) and s.bounds[0] < s.bounds[1]):
            raise ValueError(f"bounds must be finite with lo < hi, got {list(s.bounds)}")
        q0, q1 = s.quantiles
        if not 0 <= q0 < q1 <= 1:
            raise ValueError(f"quantiles must satisfy 0 ≤ q_lo < q_hi ≤ 1, got {list(s.quantiles)}")
    if s.method == "thresholds":
        if len(s.points) < 2:
            raise ValueError("thresholds need at least two points [[value, goodness], ...]")
        xs = np.array([p[0] for p in s.points])
        gs = np.array([p[1] for p in s.points])
        if not np.all(np.isfinite(xs)) or np.any(np.diff(xs) <= 0):
            raise ValueError(f"threshold values must increase strictly, got {xs.tolist()}")
        if np.any((gs < 0) | (gs > 1)):
            raise ValueError(f"threshold goodness must be in [0, 1], got {gs.tolist()}")
        steps = np.diff(gs)
        if s.direction == "benefit" and np.any(steps < 0):
            raise ValueError(f"a benefit indicator's goodness must not fall as the value rises, got {gs.tolist()}")
        if s.direction == "cost" and np.any(steps > 0):
            raise ValueError(f"a cost indicator's goodness must not rise with the value, got {gs.tolist()}")
        if s.interpolate not in ("linear", "step"):
            raise ValueError(f"interpolate must be 'linear' or 'step', got {s.interpolate!r}")


def check_indicator_frame(X: Any, specs: Sequence[IndicatorSpec]) -> tuple[pd.Index, np.ndarray]:
    """Validate a frame of indicators and return its index and a (k, n) float array, one row per indicator.

    Indicator-major so that each indicator's values are contiguous. Absent optional
    columns are all-NaN; booleans become 0/1.

    Raises
    ------
    IndicatorError
        Not a DataFrame, required columns absent (all are named), non-numeric or
        infinite values, or a duplicated index.
    """
    if not isinstance(X, pd.DataFrame):
        raise IndicatorError(
            f"expected a pandas DataFrame of indicator columns indexed by customer_id, got {type(X).__name__}; "
            "the columns are matched by name"
        )
    absent = [s.name for s in specs if s.required and s.name not in X.columns]
    if absent:
        raise IndicatorError(
            f"required indicator column(s) absent: {absent}; build them with gridcrm.features.build_features, "
            "or mark them required: false in the config"
        )
    if not X.index.is_unique:
        dupes = X.index[X.index.duplicated()].unique()[:5].tolist()
        raise IndicatorError(f"the index must identify customers once; duplicated: {dupes}")
    out = np.full((len(specs), len(X)), np.nan)
    for j, s in enumerate(specs):
        if s.name not in X.columns:
            continue
        col = X[s.name]
        if col.dtype == bool or str(col.dtype) == "boolean":
            values = col.astype("float64").to_numpy()
        else:
            try:
                values = pd.to_numeric(col, errors="raise").to_numpy(dtype="float64", na_value=np.nan)
            except (TypeError, ValueError) as exc:
                raise IndicatorError(f"indicator {s.name!r} has non-numeric values (dtype {col.dtype})") from exc
        bad = np.isinf(values)
        if bad.any():
            raise IndicatorError(
                f"indicator {s.name!r} has {int(bad.sum())} infinite value(s) (e.g. at {X.index[bad][:3].tolist()}); "
                "use NaN if the value is missing"
            )
        out[j] = values
    return X.index, out


class IndicatorNormalizer(TransformerMixin, BaseEstimator):
    """Learn normalisation references from a population and map indicators to goodness in [0, 1].

    Parameters
    ----------
    specs : sequence of IndicatorSpec
        One per indicator, in output order.

    Attributes
    ----------
    references_ : dict of str to dict
        Per indicator, what was learned: ``lo``/``hi`` for minmax, ``values`` and
        ``cum_counts`` (the reference distribution) for percentile.
    n_reference_ : int
        Size of the reference population.
    feature_names_in_ : ndarray of str
        Indicator names.

    Examples
    --------
    >>> import pandas as pd
    >>> spec = IndicatorSpec("arrears_count", "cost", "percentile", "worst")
    >>> X = pd.DataFrame({"arrears_count": [0, 0, 0, 1, 3]}, index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> IndicatorNormalizer([spec]).fit(X).transform(X)["arrears_count"].tolist()
    [1.0, 1.0, 1.0, 0.4, 0.2]
    """

    def __init__(self, specs: Sequence[IndicatorSpec]) -> None:
        self.specs = specs

    def fit(self, X: pd.DataFrame, y: Any = None) -> IndicatorNormalizer:
        """Learn the references of the learned methods from the population ``X``.

        Raises
        ------
        IndicatorError
            An indicator with a learned method has no observed value in ``X``.
        """
        specs = tuple(self.specs)
        _, values = check_indicator_frame(X, specs)
        refs: dict[str, dict[str, Any]] = {}
        for j, s in enumerate(specs):
            x = values[j]
            x = x[~np.isnan(x)]
            needs_data = s.method == "percentile" or (s.method == "minmax" and s.bounds is None)
            if needs_data and x.size == 0:
                raise IndicatorError(
                    f"indicator {s.name!r} has no observed value in the reference population, so its {s.method} "
                    "references cannot be learned; give fixed bounds or thresholds, or drop it"
                )
            if s.method == "minmax":
                if s.bounds is not None:
                    lo, hi = s.bounds
                else:
                    lo, hi = (float(v) for v in np.quantile(x, s.quantiles))
                    if hi <= lo:
                        logger.warning(
                            "indicator %s is constant (%g) in the reference population between quantiles %s: it "
                            "becomes a pass/fail test (1 at or better than %g, 0 worse)", s.name, lo,
                            list(s.quantiles), lo,
                        )
                refs[s.name] = {"lo": float(lo), "hi": float(hi)}
            elif s.method == "percentile":
                uniq, counts = np.unique(x, return_counts=True)
                refs[s.name] = {"values": uniq, "cum_counts": np.concatenate([[0], np.cumsum(counts)]),
                                "n": int(x.size)}
            else:
                refs[s.name] = {}
        self.specs_ = specs
        self.references_ = refs
        self.n_reference_ = len(X)
        self.feature_names_in_ = np.array([s.name for s in specs], dtype=object)
        self.n_features_in_ = len(specs)
        return self

    def raw_goodness(self, X: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
        """Goodness before the missing-value policy: ``(index, goodness, raw values)``, NaN where missing.

        The arrays are (k, n): one row per indicator.
        """
        check_is_fitted(self, "references_")
        index, values = check_indicator_frame(X, self.specs_)
        good = np.empty_like(values)
        for j, s in enumerate(self.specs_):
            good[j] = _goodness(values[j], s, self.references_[s.name])
        return index, good, values

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Goodness in [0, 1] per indicator, after the missing-value policy.

        Indicators with ``missing: renormalise`` stay NaN where missing: the
        scorers share their weight among the present indicators.
        """
        index, good, _ = self.raw_goodness(X)
        apply_missing_policy(good, self.specs_, inplace=True)
        return pd.DataFrame({s.name: good[j] for j, s in enumerate(self.specs_)}, index=index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Indicator names."""
        check_is_fitted(self, "references_")
        return self.feature_names_in_.copy()


def apply_missing_policy(good: np.ndarray, specs: Sequence[IndicatorSpec], *, inplace: bool = False) -> np.ndarray:
    """Fill NaN goodness (k, n) per indicator: neutral → neutral_value, worst → 0, best → 1, renormalise → NaN."""
    out = good if inplace else good.copy()
    for j, s in enumerate(specs):
        if s.missing == "renormalise":
            continue
        fill = {"neutral": s.neutral_value, "worst": 0.0, "best": 1.0}[s.missing]
        row = out[j]
        row[np.isnan(row)] = fill
    return out


def _goodness(x: np.ndarray, s: IndicatorSpec, ref: Mapping[str, Any]) -> np.ndarray:
    missing = np.isnan(x)
    if s.method == "minmax":
        lo, hi = ref["lo"], ref["hi"]
        if hi > lo:
            g = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
            g = g if s.direction == "benefit" else 1.0 - g
        else:
            g = (x >= lo if s.direction == "benefit" else x <= lo).astype(float)
    elif s.method == "percentile":
        values, cum, n = ref["values"], ref["cum_counts"], ref["n"]
        if s.direction == "benefit":
            g = cum[np.searchsorted(values, x, side="right")] / n  # share of the population ≤ x
        else:
            g = (n - cum[np.searchsorted(values, x, side="left")]) / n  # share of the population ≥ x
    else:
        xs = np.array([p[0] for p in s.points])
        gs = np.array([p[1] for p in s.points])
        if s.interpolate == "linear":
            g = np.interp(x, xs, gs)
        else:
            g = gs[np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 1)]
    g = np.asarray(g, dtype=float)
    g[missing] = np.nan
    return g
