"""One engine that describes groups of customers, for segment profiles and group portraits.

:func:`describe_groups` takes a feature table and a grouping (a column, or one
label per customer: a segment, a customer class, a region, a tag) and measures
each group against the whole population:

* its size and share of customers, and its share of totals such as
  consumption and revenue;
* the dominant value of a category column (the customer class) and its share;
* each feature's median, and optionally its full distribution (count, missing
  share, mean, 10th–90th percentiles) next to the population's;
* each feature's **standardised difference** between the group and the rest
  (Cohen's d, on the log scale for the columns given, missing values ignored);
* the prevalence of tag indicators in the group and their lift over the
  population (the over-represented tags);
* the unit and description of each feature, from the feature registry.

It sits in the feature/tag layer so that every capability can describe its
groups the same way: :func:`gridcrm.segmentation.profile_groups` (segment names)
and :meth:`gridcrm.tags.Portraits.group_portrait` are both built on it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcrm.errors import InputError
from gridcrm.features.registry import FEATURES, FeatureSpec

__all__ = ["GroupDescription", "describe_groups", "standardised_differences", "QUANTILES", "MAX_EFFECT"]

#: Bound on standardised differences (reached when a group and the rest are each constant and differ).
MAX_EFFECT = 10.0
#: Percentiles of the feature distributions.
QUANTILES: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9)


@dataclass(frozen=True)
class GroupDescription:
    """What :func:`describe_groups` measured; parts not asked for are None.

    Attributes
    ----------
    by : str
        Name of the grouping.
    groups : Index
        The groups, in order (sorted; a categorical grouping in its categories' order).
    codes : ndarray of int
        Position in ``groups`` of each customer's group; -1 for a customer without a group.
    sizes : DataFrame
        Per group: ``n_customers`` and ``share_customers`` (of every customer, grouped or not).
    shares : DataFrame
        Per group: ``share_<name>``, its share of each of the ``totals`` (missing counts as 0).
    dominant : DataFrame or None
        Per group: ``dominant_<column>`` (the commonest value) and ``dominant_<column>_share``.
    medians : DataFrame
        Median of each feature (columns) in each group (rows), in the feature's unit.
    differences : DataFrame or None
        Standardised difference of each feature for each group against the rest.
    distributions : DataFrame or None
        Per (feature, group) and (feature, ``"all"``): ``count``, ``missing_share``, ``mean``,
        ``p10`` … ``p90``.
    prevalence : DataFrame or None
        Share of each group (columns, then ``"all"``) holding each indicator (rows).
    lift : DataFrame or None
        ``prevalence`` of each group over that of everyone (NaN where nobody holds it).
    units, labels : dict of str to str
        Unit and description of each feature (registry; ``""`` and the name when unknown).
    """

    by: str
    groups: pd.Index
    codes: np.ndarray
    sizes: pd.DataFrame
    shares: pd.DataFrame
    medians: pd.DataFrame
    dominant: pd.DataFrame | None = None
    differences: pd.DataFrame | None = None
    distributions: pd.DataFrame | None = None
    prevalence: pd.DataFrame | None = None
    lift: pd.DataFrame | None = None
    units: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def describe_groups(
    frame: pd.DataFrame,
    groups: str | pd.Series,
    *,
    features: Sequence[str] = (),
    differences: bool = False,
    log_columns: Sequence[str] = (),
    distributions: bool = False,
    indicators: pd.DataFrame | None = None,
    totals: Mapping[str, pd.Series] | None = None,
    dominant: str | None = None,
    registry: Mapping[str, FeatureSpec] | None = None,
) -> GroupDescription:
    """Describe every group of a grouping of customers against the whole population.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    groups : str or Series
        A column of ``frame``, or a Series aligned with ``frame`` (one label per row;
        missing: no group — the customer counts in the population only).
    features : sequence of str
        Numeric columns of ``frame`` to summarise (medians; differences and
        distributions when asked for).
    differences : bool, default=False
        Compute standardised differences (:func:`standardised_differences`).
    log_columns : sequence of str
        Features compared on the log scale (``log1p``) when they have no negative value.
    distributions : bool, default=False
        Compute the full distribution of each feature per group and overall.
    indicators : DataFrame, optional
        Yes/no indicators aligned with ``frame`` (``TagResult.indicators()``): their
        prevalence per group and lift.
    totals : mapping of str to Series, optional
        Amounts whose total is shared out between groups (``{"consumption": kwh}``).
    dominant : str, optional
        A category column whose commonest value per group is given.
    registry : mapping of str to FeatureSpec, optional
        Units and descriptions; default :data:`gridcrm.features.FEATURES`.

    Returns
    -------
    GroupDescription

    Raises
    ------
    InputError
        ``groups``, a feature or ``dominant`` is not a column of ``frame``, or the
        labels do not match its rows.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"kwh_mean_365d": [3.0, 9.0, 30.0, 2.0], "region": ["a", "a", "b", None]})
    >>> d = describe_groups(f, "region", features=["kwh_mean_365d"], differences=True)
    >>> d.sizes  # doctest: +NORMALIZE_WHITESPACE
            n_customers  share_customers
    region
    a                 2             0.50
    b                 1             0.25
    >>> d.medians["kwh_mean_365d"].tolist(), d.units
    ([6.0, 30.0], {'kwh_mean_365d': 'kWh/day'})
    >>> d.differences.round(2)["kwh_mean_365d"].tolist()
    [-5.66, 5.66]
    """
    key = _key(frame, groups)
    registry = FEATURES if registry is None else registry
    features = list(features)
    absent = [f for f in [*features, *([dominant] if dominant else [])] if f not in frame.columns]
    if absent:
        raise InputError(f"features: frame has no column(s) {absent}")
    codes, uniques = pd.factorize(key, sort=True)  # the order of groupby(key, observed=True, sort=True)
    index = pd.Index(uniques, name=key.name)
    k = len(index)
    grouped_rows = codes >= 0
    n = np.bincount(codes[grouped_rows], minlength=k)
    sizes = pd.DataFrame({"n_customers": n, "share_customers": n / len(frame) if len(frame) else np.nan},
                         index=index)
    shares = pd.DataFrame(index=index)
    for name, values in (totals or {}).items():
        shares[f"share_{name}"] = _share(values, codes, k)
    numeric = frame[features].astype(float)
    medians = numeric[grouped_rows].groupby(codes[grouped_rows]).median().reindex(range(k))
    medians.index = index
    out = {
        "by": str(key.name), "groups": index, "codes": codes, "sizes": sizes, "shares": shares, "medians": medians,
        "units": {f: (registry[f].unit if f in registry else "") for f in features},
        "labels": {f: (registry[f].description if f in registry else f) for f in features},
    }
    if dominant is not None:
        table = pd.crosstab(codes[grouped_rows], frame[dominant].to_numpy()[grouped_rows])
        table.index = index
        out["dominant"] = pd.DataFrame({f"dominant_{dominant}": table.idxmax(axis=1),
                                        f"dominant_{dominant}_share": table.max(axis=1) / table.sum(axis=1)})
    if differences:
        values = _logged(numeric.to_numpy(dtype=np.float64, na_value=np.nan), features, log_columns)
        d = standardised_differences(values[grouped_rows], codes[grouped_rows], k)
        out["differences"] = pd.DataFrame(d, index=index, columns=features)
    if distributions:
        out["distributions"] = _distributions(frame[features], key)
    if indicators is not None:
        prevalence = indicators.groupby(key, observed=True, sort=True).mean().T
        prevalence["all"] = indicators.mean()
        overall = prevalence["all"].replace(0.0, np.nan)
        out["prevalence"] = prevalence
        out["lift"] = prevalence.drop(columns="all").div(overall, axis=0)
    return GroupDescription(**out)


def standardised_differences(values: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    """Cohen's d of each column, each group against the rest, ignoring NaN (k × n_features).

    Computed from per-group sums, so one pass over the data serves every group.
    Bounded by ±:data:`MAX_EFFECT`; 0 where both sides are constant and equal,
    NaN where the group or the rest has no value.

    Examples
    --------
    >>> import numpy as np
    >>> standardised_differences(np.array([[1.0], [2.0], [5.0], [6.0]]), np.array([0, 0, 1, 1]), 2).round(2)
    array([[-5.66],
           [ 5.66]])
    """
    ok = ~np.isnan(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nan_to_num(np.nanmean(values, axis=0))  # centring keeps the sums of squares accurate
    v = np.where(ok, values - centre, 0.0)

    def per_group(w: np.ndarray) -> np.ndarray:  # k × n_features sums, without BLAS threads
        return np.column_stack([np.bincount(codes, weights=w[:, j], minlength=k) for j in range(w.shape[1])])

    n_in, s_in, q_in = per_group(ok.astype(float)), per_group(v), per_group(v * v)
    n_out, s_out, q_out = ok.sum(0) - n_in, v.sum(0) - s_in, (v * v).sum(0) - q_in
    with np.errstate(invalid="ignore", divide="ignore"):
        m_in, m_out = s_in / n_in, s_out / n_out
        ss_in = np.maximum(q_in - n_in * m_in**2, 0.0)
        ss_out = np.maximum(q_out - n_out * m_out**2, 0.0)
        pooled = np.sqrt((ss_in + ss_out) / (n_in + n_out - 2))
        d = (m_in - m_out) / pooled
    d = np.clip(np.nan_to_num(d, nan=0.0), -MAX_EFFECT, MAX_EFFECT)  # a constant group apart from a constant rest
    d[(n_in == 0) | (n_out == 0)] = np.nan
    return d


def _key(frame: pd.DataFrame, groups: str | pd.Series) -> pd.Series:
    if isinstance(groups, str):
        if groups not in frame.columns:
            raise InputError(f"groups: frame has no column {groups!r}")
        return frame[groups]
    if not isinstance(groups, pd.Series) or len(groups) != len(frame) or not groups.index.equals(frame.index):
        raise InputError(f"groups: expected a column name or a Series aligned with the frame's {len(frame)} rows, "
                         f"got {type(groups).__name__}")
    return groups


def _logged(values: np.ndarray, names: list[str], log_columns: Sequence[str]) -> np.ndarray:
    """``values`` with ``log1p`` applied to the ``log_columns`` that have no negative value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        nonneg = np.nanmin(values, axis=0) >= 0 if values.size else np.zeros(len(names), dtype=bool)
    mask = np.isin(names, list(log_columns)) & nonneg
    out = values.copy()
    out[:, mask] = np.log1p(out[:, mask])
    return out


def _share(values: pd.Series, codes: np.ndarray, k: int) -> np.ndarray:
    v = values.to_numpy(dtype=np.float64, na_value=np.nan)
    v = np.where(np.isnan(v), 0.0, v)
    total = v.sum()
    grouped = codes >= 0
    return np.bincount(codes[grouped], weights=v[grouped], minlength=k) / total if total else np.full(k, np.nan)


def _distributions(frame: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """Per feature and group (and ``"all"``): count, missing share, mean and percentiles."""
    grouped = frame.groupby(key, observed=True, sort=True)
    quantiles = grouped.quantile(list(QUANTILES))
    every = frame.quantile(list(QUANTILES))
    stats = {
        "count": (grouped.count(), frame.count()),
        "missing_share": (1 - grouped.count().div(grouped.size(), axis=0), frame.isna().mean()),
        "mean": (grouped.mean(), frame.mean()),
        **{f"p{round(p * 100)}": (quantiles.xs(p, level=-1), every.loc[p]) for p in QUANTILES},
    }
    columns = {}
    for name, (by_group, overall) in stats.items():
        table = pd.concat([by_group, overall.to_frame("all").T])
        table.index = pd.Index(list(table.index), dtype=object, name="group")
        columns[name] = table.stack()
    out = pd.concat(columns, axis=1)
    out.index.names = ["group", "feature"]
    out["count"] = out["count"].astype(np.int64)
    groups = list(dict.fromkeys(out.index.get_level_values("group")))
    order = pd.MultiIndex.from_product([list(frame.columns), groups], names=["feature", "group"])
    return out.swaplevel().reindex(order)
