"""Customer value on six dimensions, value rank, and the top-20% big-customer list with reasons.

The Yibin big-customer case evaluates customer value on six dimensions — purchase
level, profit contribution, loyalty, credit, development potential and
profitability — and serves the most valuable 20% differently. ``configs/value_ahp.yaml``
weighs the dimensions and their indicators with AHP; :class:`CustomerValueScorer`
scores, ranks and lists them. The value score is built exactly like the credit
score (see :mod:`gridcrm.credit.scoring`): the dimension columns add up to it.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from gridcrm._params import Interval
from gridcrm.credit.scoring import CONTRIB_PREFIX, ConfigLike, HierarchyScorer

__all__ = ["DIM_PREFIX", "CustomerValueScorer"]

#: Prefix of the dimension columns of :meth:`CustomerValueScorer.transform`.
DIM_PREFIX = "dim_"


class CustomerValueScorer(HierarchyScorer):
    """Six-dimension AHP customer value: score, rank and the big-customer list.

    Parameters
    ----------
    config : str, Path, mapping or ScoringConfig, optional
        E.g. ``"configs/value_ahp.yaml"``; the goal's children are the dimensions. Default: the
        shipped ``value_ahp.yaml`` (``gridcrm.configs.shipped("value_ahp.yaml")``), read at ``fit``.
    top_share : float, optional
        Share of customers on the big-customer list; overrides the config's
        ``big_customers.top_share`` (default 0.2).
    on_inconsistent : {"warn", "raise", "ignore"}, optional
        Overrides the config's policy for inconsistent judgements.

    Attributes
    ----------
    dimensions_ : list of str
        The goal's children.
    top_share_ : float
    (and the attributes of :class:`~gridcrm.credit.scoring.CreditScorer` but ``grade_scale_``)

    Examples
    --------
    >>> import pandas as pd
    >>> config = {"name": "mini-value", "hierarchy": {"name": "value",
    ...     "judgements": [["purchase", "loyalty", 3]], "children": [
    ...     {"name": "purchase", "title": "purchase level", "children": [
    ...         {"indicator": "kwh_mean_365d", "direction": "benefit", "method": "percentile", "missing": "worst"}]},
    ...     {"name": "loyalty", "children": [
    ...         {"indicator": "tenure_years", "direction": "benefit", "method": "minmax", "missing": "worst"}]}]}}
    >>> X = pd.DataFrame({"kwh_mean_365d": [900.0, 50.0, 20.0, 10.0, 5.0],
    ...                   "tenure_years": [2.0, 20.0, 1.0, 3.0, 4.0]},
    ...                  index=pd.Index(list("abcde"), name="customer_id"))
    >>> scorer = CustomerValueScorer(config, top_share=0.4).fit(X)
    >>> scorer.transform(X)[["value_score", "value_rank", "big_customer"]].round(2)  # doctest: +NORMALIZE_WHITESPACE
                 value_score  value_rank  big_customer
    customer_id
    a                  76.32           2          True
    b                  85.00           1          True
    c                  45.00           3         False
    d                  32.63           4         False
    e                  18.95           5         False
    >>> print(scorer.big_customers(X)["reasons"].loc["a"])
    purchase level +30.0 pts vs average (kwh_mean_365d = 900 kWh/day, top 20%)

    With no config, the shipped ``value_ahp.yaml`` (six dimensions, top 20%):

    >>> from gridcrm.credit.synthetic import synthetic_indicators
    >>> X = synthetic_indicators(200, seed=1)
    >>> value = CustomerValueScorer().fit(X)
    >>> len(value.dimensions_), int(value.transform(X)["big_customer"].sum())
    (6, 40)
    """

    _default_config = "value_ahp.yaml"

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        **HierarchyScorer._parameter_rules,
        "top_share": [Interval(Real, 0, 1, closed="right"), None],
    }

    def __init__(
        self,
        config: ConfigLike | None = None,
        *,
        top_share: float | None = None,
        on_inconsistent: str | None = None,
    ) -> None:
        super().__init__(config, on_inconsistent=on_inconsistent)
        self.top_share = top_share

    def fit(self, X: pd.DataFrame, y: Any = None) -> CustomerValueScorer:
        """Load the config and learn the normalisation references from the population ``X``.

        Returns
        -------
        self
        """
        self._fit(X)
        share = self.top_share if self.top_share is not None else (self.config_.top_share or 0.2)
        self.top_share_ = float(share)
        self.dimensions_ = [c.name for c in self.hierarchy_.root.children]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Value score, rank among the customers of ``X``, big-customer flag, dimensions, contributions.

        Returns
        -------
        DataFrame
            ``value_score`` (0–100), ``value_rank`` (1 = most valuable, ties broken
            by order in ``X``; missing for unscored customers), ``big_customer``
            (in the top ``top_share_`` of the scored customers), ``coverage``,
            ``dim_<dimension>`` (points per dimension, adding up to the score) and
            ``contrib_<indicator>``.
        """
        ev = self._evaluate(X)
        score = ev.score
        scored = ~np.isnan(score)
        order = np.argsort(np.where(scored, -score, np.inf), kind="stable")
        rank = np.empty(len(score))
        rank[order] = np.arange(1, len(score) + 1)
        rank[~scored] = np.nan
        n_top = math.ceil(self.top_share_ * int(scored.sum()))
        data: dict[str, Any] = {
            "value_score": score,
            "value_rank": pd.array(rank, dtype="Int64"),
            "big_customer": scored & (rank <= n_top),
            "coverage": ev.coverage,
        }
        contribs = self._contrib_frame(ev)
        for dim in self.dimensions_:
            cols = [f"{CONTRIB_PREFIX}{i}" for i in self.indicators_ if self.criteria_[i] == dim]
            data[f"{DIM_PREFIX}{dim}"] = np.sum([contribs[c] for c in cols], axis=0)
        data.update(contribs)
        return pd.DataFrame(data, index=ev.index)

    def big_customers(self, X: pd.DataFrame, top_share: float | None = None, n_reasons: int = 3) -> pd.DataFrame:
        """The most valuable customers of ``X`` with the reasons each one is on the list.

        A reason is a dimension where the customer earns more points than the
        average customer of ``X``, strongest first, with the indicator that adds
        most to the lead, its value and the customer's standing among ``X``.

        Parameters
        ----------
        X : DataFrame
            Indicators of the population to rank (indexed by customer_id).
        top_share : float, optional
            Defaults to ``top_share_``.
        n_reasons : int
            Reasons listed per customer.

        Returns
        -------
        DataFrame
            Sorted by rank: ``value_rank``, ``value_score``, the ``dim_`` columns and
            ``reasons`` (text, ``"; "``-separated).
        """
        check_is_fitted(self, "normalizer_")
        share = self.top_share_ if top_share is None else top_share
        if not 0 < share <= 1:
            raise ValueError(f"top_share must be a share in (0, 1], got {share!r}")
        scored = self.transform(X)
        n_top = math.ceil(share * int(scored["value_score"].notna().sum()))
        top = scored[scored["value_rank"] <= n_top].sort_values("value_rank")
        dims = [f"{DIM_PREFIX}{d}" for d in self.dimensions_]
        dim_excess = top[dims].to_numpy() - scored[dims].mean().to_numpy()
        contrib_cols = [f"{CONTRIB_PREFIX}{i}" for i in self.indicators_]
        contrib_excess = top[contrib_cols].to_numpy() - scored[contrib_cols].mean().to_numpy()
        values = X.reindex(columns=self.indicators_).loc[top.index]
        standing = _standing(X.reindex(columns=self.indicators_), values, self.normalizer_.specs_)
        titles = {c.name: c.label() for c in self.hierarchy_.root.children}
        units = {s.name: s.unit for s in self.normalizer_.specs_}
        members = {d: [j for j, i in enumerate(self.indicators_) if self.criteria_[i] == d] for d in self.dimensions_}
        reasons = []
        for r in range(len(top)):
            best = np.argsort(-dim_excess[r], kind="stable")[:n_reasons]
            parts = []
            for d in best:
                if dim_excess[r, d] <= 0:
                    break
                dim = self.dimensions_[d]
                j = max(members[dim], key=lambda k, row=r: contrib_excess[row, k])
                name = self.indicators_[j]
                parts.append(f"{titles[dim]} +{dim_excess[r, d]:.1f} pts vs average "
                             f"({_describe(name, values.iat[r, j], units[name], standing[r, j])})")
            reasons.append("; ".join(parts) if parts else "ranked by overall score")
        out = top[["value_rank", "value_score", *dims]].copy()
        out["reasons"] = reasons
        return out


def _standing(population: pd.DataFrame, rows: pd.DataFrame, specs: Any) -> np.ndarray:
    """Each row's top share: the share of the population at least as good on the indicator (0.05 = top 5%)."""
    out = np.full(rows.shape, np.nan)
    for j, s in enumerate(specs):
        pop = np.sort(pd.to_numeric(population.iloc[:, j], errors="coerce").dropna().to_numpy(dtype=float))
        if pop.size == 0:
            continue
        x = pd.to_numeric(rows.iloc[:, j], errors="coerce").to_numpy(dtype=float)
        if s.direction == "benefit":
            share = (pop.size - np.searchsorted(pop, x, side="left")) / pop.size
        else:
            share = np.searchsorted(pop, x, side="right") / pop.size
        share[np.isnan(x)] = np.nan
        out[:, j] = share
    return out


def _describe(name: str, value: Any, unit: str, top: float) -> str:
    if pd.isna(value):
        return f"{name}: no data"
    v = float(value)
    if unit == "share":
        shown = f"{v:.0%}"
    else:
        shown = f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
        shown += "" if unit in ("", "count", "flag", "ratio") else f" {unit}"
    if math.isnan(top):
        return f"{name} = {shown}"
    return f"{name} = {shown}, top {max(top, 0.01):.0%}"
