"""AHP scoring of customers: indicators → 0–100 score, grade and per-indicator contributions.

The score of a customer is ``100 · Σ_l w_l · g_l`` where ``w_l`` is the global AHP
weight of indicator ``l`` and ``g_l`` its goodness in [0, 1] (see
:mod:`gridcrm.credit.normalize`). The contribution of indicator ``l`` is
``100 · w_l · g_l``: the contributions add up to the score, and ``100 · w_l`` is the
most an indicator can give, so ``100 · w_l − contribution`` is the points it cost.

Missing values follow each indicator's ``missing`` policy. With ``renormalise``
the missing indicator's weight is shared by its present siblings in proportion to
their weights; if a whole criterion has no present indicator, its weight is
shared by the present criteria at the level above, and so on up to the goal
(a customer with no present indicator at all gets no score). The ``coverage``
column is the share of the AHP weight whose indicator was observed rather than
filled in or dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from gridcrm._params import Options, ValidatedParams
from gridcrm.credit.config import DEFAULT_GRADES, GradeScale, ScoringConfig, load_scoring_config
from gridcrm.credit.errors import CreditConfigError, IndicatorError
from gridcrm.credit.hierarchy import AHPHierarchy, Node
from gridcrm.credit.normalize import IndicatorNormalizer, apply_missing_policy

__all__ = ["CONTRIB_PREFIX", "CreditScorer", "HierarchyScorer"]

logger = logging.getLogger(__name__)

#: Prefix of the contribution columns of the scorers' output.
CONTRIB_PREFIX = "contrib_"

ConfigLike = str | Path | Mapping[str, Any] | ScoringConfig


@dataclass(frozen=True)
class _Evaluation:
    """Arrays of one scoring pass; (k, n) arrays have one row per indicator."""

    index: pd.Index
    values: np.ndarray  # raw indicator values, NaN where missing
    goodness: np.ndarray  # after the missing policy; 0 where the indicator was dropped
    points: np.ndarray  # 100 · effective weight · goodness; NaN for unscored customers
    score: np.ndarray  # (n,)
    coverage: np.ndarray  # (n,)
    weights: np.ndarray | None  # effective weights (k, n), only when asked for


class HierarchyScorer(ValidatedParams, TransformerMixin, BaseEstimator):
    """Shared engine of :class:`CreditScorer` and :class:`~gridcrm.credit.value.CustomerValueScorer`.

    Parameters
    ----------
    config : str, Path, mapping or ScoringConfig
        The scoring configuration (see :mod:`gridcrm.credit.config`).
    on_inconsistent : {"warn", "raise", "ignore"}, optional
        Overrides the config's policy for inconsistent judgements.
    """

    #: Shipped config (in :mod:`gridcrm.configs`) used when ``config`` is None; None: a config is required.
    _default_config: str | None = None

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        "on_inconsistent": [Options({"warn", "raise", "ignore"}), None],
    }

    def __init__(self, config: ConfigLike | None = None, *, on_inconsistent: str | None = None) -> None:
        self.config = config
        self.on_inconsistent = on_inconsistent

    # -- fitting
    def _fit(self, X: pd.DataFrame) -> None:
        self._validate_params()
        config = self.config
        if config is None and self._default_config is not None:
            from gridcrm.configs import shipped

            config = shipped(self._default_config)
        if config is None:
            raise CreditConfigError(
                f"{type(self).__name__} needs a config: a YAML path such as 'configs/credit_ahp.yaml', "
                "a mapping with the same content, or a ScoringConfig"
            )
        cfg = load_scoring_config(config, on_inconsistent=self.on_inconsistent)
        specs = list(cfg.indicators.values())
        self.config_ = cfg
        self.hierarchy_ = cfg.hierarchy
        self.weights_ = cfg.weights.rename("weight")
        self.normalizer_ = IndicatorNormalizer(specs).fit(X)
        self.indicators_ = list(cfg.indicators)
        self.criteria_ = pd.Series(cfg.hierarchy.top_level_of()).reindex(self.indicators_).rename("criterion")
        self.feature_names_in_ = np.array(self.indicators_, dtype=object)
        self.n_features_in_ = len(self.indicators_)
        logger.info("%s fitted on %d customers: %d indicators, hierarchy CR %.3f", type(self).__name__, len(X),
                    len(specs), cfg.hierarchy.hierarchy_cr)

    # -- scoring
    def _evaluate(self, X: pd.DataFrame, *, with_weights: bool = False) -> _Evaluation:
        check_is_fitted(self, "normalizer_")
        index, good, values = self.normalizer_.raw_goodness(X)
        specs = self.normalizer_.specs_
        apply_missing_policy(good, specs, inplace=True)
        base = self.weights_.to_numpy()
        # A share of the weight: summed row by row in a fixed order (not a BLAS dot product, whose
        # order depends on the CPU's SIMD path) and clipped, since AHP weights sum to 1 only within
        # rounding (1 + 2e-16 on the shipped config) and a share is never above 1.
        coverage = np.clip((~np.isnan(values) * base[:, None]).sum(axis=0), 0.0, 1.0)
        renormalised = [j for j, spec in enumerate(specs) if spec.missing == "renormalise"]
        dropped = np.isnan(good[renormalised])
        cols = np.flatnonzero(dropped.any(axis=0)) if renormalised else np.empty(0, dtype=np.intp)
        np.nan_to_num(good, copy=False, nan=0.0)
        points = good * (100.0 * base)[:, None]
        weights = np.repeat(base[:, None], len(index), axis=1) if with_weights else None
        unscored = np.empty(0, dtype=np.intp)
        if cols.size:
            present = np.ones((len(base), cols.size), dtype=bool)
            present[renormalised] = ~dropped[:, cols]
            sub = _effective_weights(present, self.hierarchy_, self.indicators_)
            points[:, cols] = 100.0 * sub * good[:, cols]
            if weights is not None:
                weights[:, cols] = sub
            unscored = cols[sub.sum(axis=0) == 0]
        # points are goodness (0-1) x 100 x weight: at most 100 within rounding of the weights; a score is 0-100
        score = np.clip(points.sum(axis=0), 0.0, 100.0)
        if unscored.size:
            score[unscored] = np.nan
            points[:, unscored] = np.nan
            logger.warning("%d customer(s) have no indicator present and get no score", unscored.size)
        return _Evaluation(index, values, good, points, score, coverage, weights)

    def _contrib_frame(self, ev: _Evaluation) -> dict[str, np.ndarray]:
        return {f"{CONTRIB_PREFIX}{name}": ev.points[j] for j, name in enumerate(self.indicators_)}

    def criterion_points(self, scored: pd.DataFrame) -> pd.DataFrame:
        """Sum a transform output's contributions by top-level criterion (one column each)."""
        check_is_fitted(self, "normalizer_")
        out = {}
        for crit in self.hierarchy_.root.children:
            cols = [f"{CONTRIB_PREFIX}{i}" for i in self.indicators_ if self.criteria_[i] == crit.name]
            out[crit.name] = scored[cols].sum(axis=1, min_count=1)
        return pd.DataFrame(out, index=scored.index)

    def explain(self, X: pd.DataFrame, customer_id: Any = None) -> pd.DataFrame:
        """Why a customer has their score: one row per indicator, most points lost first.

        Parameters
        ----------
        X : DataFrame
            Indicators; one row, or several with ``customer_id`` naming the row.
        customer_id : optional
            Index label of the customer.

        Returns
        -------
        DataFrame
            Columns ``criterion``, ``value``, ``unit``, ``observed``, ``goodness``,
            ``weight`` (effective), ``points``, ``max_points``, ``lost``, ``description``.
        """
        check_is_fitted(self, "normalizer_")
        if customer_id is not None:
            if customer_id not in X.index:
                raise KeyError(f"customer {customer_id!r} is not in the frame")
            X = X.loc[[customer_id]]
        if len(X) != 1:
            raise IndicatorError(f"explain() takes one customer; got {len(X)} rows and no customer_id")
        ev = self._evaluate(X, with_weights=True)
        if ev.weights is None:  # pragma: no cover - with_weights=True always sets them
            raise RuntimeError("effective weights were not computed")
        specs = self.normalizer_.specs_
        frame = pd.DataFrame(
            {
                "criterion": self.criteria_.to_numpy(),
                "value": ev.values[:, 0],
                "unit": [s.unit for s in specs],
                "observed": ~np.isnan(ev.values[:, 0]),
                "goodness": ev.goodness[:, 0],
                "weight": ev.weights[:, 0],
                "points": ev.points[:, 0],
                "max_points": 100.0 * ev.weights[:, 0],
                "description": [s.description for s in specs],
            },
            index=pd.Index(self.indicators_, name="indicator"),
        )
        frame["lost"] = frame["max_points"] - frame["points"]
        cols = ["criterion", "value", "unit", "observed", "goodness", "weight", "points", "max_points", "lost",
                "description"]
        return frame[cols].sort_values("lost", ascending=False, kind="stable")


class CreditScorer(HierarchyScorer):
    """AHP credit score (0–100), grade and per-indicator contributions, scikit-learn style.

    ``fit`` loads and checks the configuration (judgements, consistency, indicator
    names) and learns the normalisation references from the reference population
    it is given; ``transform`` scores any frame of indicators.

    Parameters
    ----------
    config : str, Path, mapping or ScoringConfig, optional
        E.g. ``"configs/credit_ahp.yaml"`` (see :mod:`gridcrm.credit.config`). Default: the
        shipped ``credit_ahp.yaml`` (``gridcrm.configs.shipped("credit_ahp.yaml")``), read at ``fit``.
    grades : mapping of str to float, optional
        ``{grade: lower bound}``, best first; overrides the config's ``grades``
        (default AAA ≥ 90, AA ≥ 80, A ≥ 70, B ≥ 60, C below).
    on_inconsistent : {"warn", "raise", "ignore"}, optional
        Overrides the config's policy for inconsistent judgements.

    Attributes
    ----------
    config_ : ScoringConfig
    hierarchy_ : AHPHierarchy
        Weights and consistency (``hierarchy_.summary()``, ``hierarchy_.to_text()``).
    weights_ : pandas.Series
        Global weight of each indicator (sum 1).
    normalizer_ : IndicatorNormalizer
        The learned references.
    grade_scale_ : GradeScale
    indicators_ : list of str
    criteria_ : pandas.Series
        Top-level criterion of each indicator.
    feature_names_in_ : ndarray
    n_features_in_ : int

    See Also
    --------
    gridcrm.credit.value.CustomerValueScorer : the six-dimension customer value.

    Examples
    --------
    >>> import pandas as pd
    >>> config = {"name": "mini", "grades": {"A": 80, "B": 50, "C": 0},
    ...     "hierarchy": {"name": "credit", "judgements": [["on_time_rate_365d", "theft_count", 3]], "children": [
    ...         {"indicator": "on_time_rate_365d", "direction": "benefit", "method": "minmax",
    ...          "bounds": [0.5, 1.0], "missing": "neutral"},
    ...         {"indicator": "theft_count", "direction": "cost", "method": "thresholds",
    ...          "points": [[0, 1.0], [1, 0.0]], "missing": "best"}]}}
    >>> X = pd.DataFrame({"on_time_rate_365d": [1.0, 0.75, None], "theft_count": [0, 0, 2]},
    ...                  index=pd.Index([11, 12, 13], name="customer_id"))
    >>> out = CreditScorer(config).fit(X).transform(X)
    >>> out[["score", "grade", "contrib_on_time_rate_365d", "contrib_theft_count"]]  # doctest: +NORMALIZE_WHITESPACE
                 score grade  contrib_on_time_rate_365d  contrib_theft_count
    customer_id
    11           100.0     A                       75.0                 25.0
    12            62.5     B                       37.5                 25.0
    13            37.5     C                       37.5                  0.0

    With no config, the shipped ``credit_ahp.yaml``:

    >>> from gridcrm.credit.synthetic import synthetic_indicators
    >>> X = synthetic_indicators(200, seed=1)
    >>> scored = CreditScorer().fit(X).transform(X)
    >>> bool(scored["score"].between(0, 100).all()), sorted(set(scored["grade"]) - {"AAA", "AA", "A", "B", "C"})
    (True, [])
    """

    _default_config = "credit_ahp.yaml"

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        **HierarchyScorer._parameter_rules,
        "grades": [Mapping, None],
    }

    def __init__(
        self,
        config: ConfigLike | None = None,
        *,
        grades: Mapping[str, float] | None = None,
        on_inconsistent: str | None = None,
    ) -> None:
        super().__init__(config, on_inconsistent=on_inconsistent)
        self.grades = grades

    def fit(self, X: pd.DataFrame, y: Any = None) -> CreditScorer:
        """Load the config and learn the normalisation references from the population ``X``.

        Parameters
        ----------
        X : DataFrame
            Indicator columns (extra columns are ignored), indexed by customer_id;
            the reference population (e.g. all active customers at ``as_of``).
        y : ignored

        Returns
        -------
        self
        """
        self._fit(X)
        if self.grades is not None:
            self.grade_scale_ = GradeScale.from_mapping(self.grades)
        else:
            self.grade_scale_ = self.config_.grades or GradeScale.from_mapping(DEFAULT_GRADES)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Score customers.

        Returns
        -------
        DataFrame
            Indexed like ``X``: ``score`` (0–100), ``grade`` (ordered categorical,
            worst < best), ``coverage`` (share of the weight observed), then
            ``contrib_<indicator>`` per indicator, adding up to ``score``.
        """
        ev = self._evaluate(X)
        data: dict[str, Any] = {
            "score": ev.score,
            "grade": self.grade_scale_.assign(ev.score),
            "coverage": ev.coverage,
        }
        data.update(self._contrib_frame(ev))
        return pd.DataFrame(data, index=ev.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output columns of :meth:`transform`."""
        check_is_fitted(self, "normalizer_")
        return np.array(["score", "grade", "coverage"] + [f"{CONTRIB_PREFIX}{i}" for i in self.indicators_],
                        dtype=object)


def _effective_weights(present: np.ndarray, hierarchy: AHPHierarchy, leaves: list[str]) -> np.ndarray:
    """Leaf weights (k, m) after sharing the weight of absent leaves (see the module docstring).

    ``present`` is (k, m): one row per leaf in ``leaves`` order, one column per customer.
    """
    pos = {name: j for j, name in enumerate(leaves)}
    local = hierarchy.local_weights
    presence: dict[str, np.ndarray] = {}

    def up(node: Node) -> np.ndarray:
        if node.is_leaf:
            presence[node.name] = present[pos[node.name]]
        else:
            presence[node.name] = np.logical_or.reduce([up(c) for c in node.children])
        return presence[node.name]

    up(hierarchy.root)
    out = np.zeros(present.shape)

    def down(node: Node, eff: np.ndarray) -> None:
        if node.is_leaf:
            out[pos[node.name]] = eff
            return
        shares = [float(local[c.name]) * presence[c.name] for c in node.children]
        total = np.sum(shares, axis=0)
        safe = np.where(total > 0, total, 1.0)
        for child, share in zip(node.children, shares, strict=True):
            down(child, eff * share / safe)

    down(hierarchy.root, np.ones(present.shape[1]))
    return out
