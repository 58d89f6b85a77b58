"""Customer portraits: one customer's record, and the portrait of any group of customers.

An individual portrait gathers a customer's tags (by category, with labels),
key features (with descriptions and units from the feature registry) and the
outputs of later models — segment, scores, forecast range — when they are
given. A group portrait describes every group of a grouping (customer class,
region, supply station, segment...): size, tag prevalence and lift against the
whole population, feature distributions and the channel KPIs of the case
studies; it is built on the shared group-description engine
:func:`gridcrm.tags.groups.describe_groups` (also behind
:func:`gridcrm.segmentation.profile_groups`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.features.registry import FEATURES, ONLINE_CHANNELS, FeatureSpec
from gridcrm.tags.groups import describe_groups
from gridcrm.tags.result import TagResult

__all__ = ["Portraits", "GroupPortrait", "group_kpis", "KEY_FEATURES", "KPI_LABELS"]

#: Features shown in portraits by default (those present in the feature table).
KEY_FEATURES: tuple[str, ...] = (
    "customer_class", "region", "supply_station", "tariff", "tenure_years", "contracted_kva",
    "kwh_mean_30d", "kwh_mean_365d", "kwh_yoy_growth", "kwh_trend_slope", "seasonality_strength", "peak_month",
    "heating_sensitivity", "cooling_sensitivity", "daily_capacity_utilisation",
    "peak_kw", "load_factor", "capacity_utilisation", "power_factor",
    "bill_amount_mean_365d", "on_time_rate_365d", "days_late_mean_365d", "arrears_count", "arrears_amount",
    "online_channel_share_365d",
    "calls_365d", "complaints_365d", "satisfaction_mean_365d", "days_since_last_complaint",
    "theft_count", "violation_count", "blacklisted",
)
#: Readable names of the group KPIs.
KPI_LABELS: dict[str, str] = {
    "customers": "Customers",
    "customer_share": "Share of customers",
    "online_payment_rate": "Online payment rate",
    "online_channel_penetration": "Online-channel penetration",
    "on_time_payment_rate": "On-time payment rate",
    "arrears_customer_rate": "Customers in arrears",
    "arrears_amount": "Arrears (CNY)",
    "complaints_per_1000": "Complaints per 1,000 customers",
    "satisfaction_mean": "Mean satisfaction (1-5)",
    "kwh_365d": "kWh, last 365 days",
    "consumption_share": "Share of consumption",
}


def _plain(value: object) -> object:
    """A JSON-serialisable Python value (NaN and NA → None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _group_key(features: pd.DataFrame, by: str | pd.Series) -> pd.Series:
    if isinstance(by, str):
        if by not in features.columns:
            raise KeyError(f"by={by!r} is not a column of the features; pass a column name or a Series "
                           "indexed by customer_id (e.g. segments)")
        return features[by]
    if isinstance(by, pd.Series):
        return by.reindex(features.index).rename(by.name if by.name is not None else "group")
    raise TypeError(f"by must be a column name or a Series indexed by customer_id, got {type(by).__name__}")


def group_kpis(features: pd.DataFrame, by: str | pd.Series | None = None) -> pd.DataFrame:
    """Channel, payment, service and consumption KPIs per group and for everyone.

    * ``online_payment_rate``: online payments (app, WeChat, Alipay) over all payments
      of the last 365 days;
    * ``online_channel_penetration``: share of customers who prefer an online channel
      or paid online at least once in the last 365 days;
    * ``on_time_payment_rate``: bills due in the last 365 days paid by their due date,
      over all those bills; ``arrears_customer_rate``: share of customers in arrears;
    * ``complaints_per_1000``, ``satisfaction_mean``, ``kwh_365d`` and ``consumption_share``.

    A KPI whose features the table lacks is left out.

    Parameters
    ----------
    features : DataFrame
        From :func:`gridcrm.features.build_features`.
    by : str or Series, optional
        A feature column (``"customer_class"``, ``"region"``, ``"supply_station"``) or a
        Series indexed by ``customer_id`` (segments). ``None``: everyone only.

    Returns
    -------
    DataFrame
        One row per group (customers without a group are left out) and a last row ``"all"``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"region": ["a", "a", "b"], "payments_365d": [10, 2, 12],
    ...     "online_channel_share_365d": [1.0, 0.0, 0.25], "preferred_channel": ["app", "counter", "bank"]},
    ...     index=pd.Index([1, 2, 3], name="customer_id"))
    >>> kpis = group_kpis(f, "region")
    >>> kpis[["customers", "online_payment_rate", "online_channel_penetration"]].round(3)
    ... # doctest: +NORMALIZE_WHITESPACE
            customers  online_payment_rate  online_channel_penetration
    region
    a               2                0.833                       0.500
    b               1                0.250                       1.000
    all             3                0.542                       0.667
    """
    cols: dict[str, pd.Series] = {"customers": pd.Series(1, index=features.index, dtype=np.int64)}
    has = features.columns.__contains__
    if has("online_channel_share_365d") and has("payments_365d"):
        n_pay = features["payments_365d"].astype(np.float64)
        cols["_online_payments"] = features["online_channel_share_365d"].fillna(0.0) * n_pay
        cols["_payments"] = n_pay
    if has("online_channel_share_365d") or has("preferred_channel"):
        online = pd.Series(False, index=features.index)
        if has("online_channel_share_365d"):
            online |= features["online_channel_share_365d"].fillna(0.0) > 0
        if has("preferred_channel"):
            online |= features["preferred_channel"].astype(object).isin(ONLINE_CHANNELS)
        cols["online_channel_penetration"] = online.astype(np.float64)
    if has("on_time_rate_365d") and has("bills_365d"):
        n_bills = features["bills_365d"].astype(np.float64)
        cols["_on_time_bills"] = features["on_time_rate_365d"].fillna(0.0) * n_bills
        cols["_bills"] = n_bills
    if has("arrears_count"):
        cols["arrears_customer_rate"] = (features["arrears_count"] > 0).astype(np.float64)
    if has("arrears_amount"):
        cols["arrears_amount"] = features["arrears_amount"]
    if has("complaints_365d"):
        cols["_complaints"] = features["complaints_365d"].astype(np.float64)
    if has("satisfaction_mean_365d"):
        cols["satisfaction_mean"] = features["satisfaction_mean_365d"]
    if has("kwh_total_365d"):
        cols["kwh_365d"] = features["kwh_total_365d"]
    frame = pd.DataFrame(cols)
    means = {"online_channel_penetration", "arrears_customer_rate", "satisfaction_mean"}
    agg = {c: ("mean" if c in means else "sum") for c in frame.columns}
    overall = frame.agg(agg).to_frame("all").T
    if by is None:
        table = overall
    else:
        key = _group_key(features, by)
        grouped = frame.groupby(key, observed=True, sort=True).agg(agg)
        table = pd.concat([grouped, overall])
        table.index.name = key.name
    table["customers"] = table["customers"].astype(np.int64)
    out = pd.DataFrame(index=table.index)
    out["customers"] = table["customers"]
    out["customer_share"] = table["customers"] / len(features) if len(features) else np.nan
    if "_payments" in table:
        out["online_payment_rate"] = table["_online_payments"] / table["_payments"].replace(0, np.nan)
    if "online_channel_penetration" in table:
        out["online_channel_penetration"] = table["online_channel_penetration"]
    if "_bills" in table:
        out["on_time_payment_rate"] = table["_on_time_bills"] / table["_bills"].replace(0, np.nan)
    for c in ("arrears_customer_rate", "arrears_amount"):
        if c in table:
            out[c] = table[c]
    if "_complaints" in table:
        out["complaints_per_1000"] = 1000 * table["_complaints"] / table["customers"].replace(0, np.nan)
    if "satisfaction_mean" in table:
        out["satisfaction_mean"] = table["satisfaction_mean"]
    if "kwh_365d" in table:
        out["kwh_365d"] = table["kwh_365d"]
        total = table.loc["all", "kwh_365d"]
        out["consumption_share"] = table["kwh_365d"] / total if total else np.nan
    return out


@dataclass
class GroupPortrait:
    """The portrait of every group of one grouping.

    Attributes
    ----------
    by : str
        Name of the grouping.
    kpis : DataFrame
        :func:`group_kpis`: one row per group and ``"all"``; includes size (``customers``,
        ``customer_share``) and the channel KPIs.
    prevalence : DataFrame
        Share of each group holding each tag indicator (rows: indicators, see
        :meth:`TagResult.indicators`; columns: groups and ``"all"``).
    lift : DataFrame
        ``prevalence`` of the group over that of everyone (NaN where nobody holds it).
    distributions : DataFrame
        Per (feature, group): ``count`` (non-missing), ``missing_share``, ``mean`` and
        the 10th, 25th, 50th, 75th and 90th percentiles.
    tag_catalog : DataFrame
        Label, category and tag of each indicator.
    feature_units, feature_labels : dict of str to str
        Unit and description of each feature in ``distributions``.
    as_of : Timestamp or None
    """

    by: str
    kpis: pd.DataFrame
    prevalence: pd.DataFrame
    lift: pd.DataFrame
    distributions: pd.DataFrame
    tag_catalog: pd.DataFrame
    feature_units: dict[str, str]
    feature_labels: dict[str, str]
    as_of: pd.Timestamp | None = None

    @property
    def groups(self) -> list:
        """The groups, largest first."""
        sizes = self.kpis["customers"].drop("all")
        return list(sizes.sort_values(ascending=False, kind="stable").index)

    def restating(self) -> pd.Index:
        """Indicators held by all or none of every group: they restate the grouping (``residential``
        when grouping by class) and say nothing more about it."""
        groups = self.prevalence.drop(columns="all")
        return self.prevalence.index[groups.isin([0.0, 1.0]).all(axis=1)]

    def top_tags(self, group: object, n: int = 10, min_prevalence: float = 0.05) -> pd.DataFrame:
        """The tags that set ``group`` apart: highest lift among those held by ``min_prevalence`` of it.

        Indicators that restate the grouping (:meth:`restating`) are left out.

        Returns
        -------
        DataFrame
            Indexed by indicator: ``label``, ``category``, ``prevalence``, ``prevalence_all``, ``lift``.
        """
        if group not in self.prevalence.columns or group == "all":
            raise KeyError(f"no group {group!r}; groups are {self.groups}")
        table = pd.DataFrame({
            "label": self.tag_catalog["label"],
            "category": self.tag_catalog["category"],
            "prevalence": self.prevalence[group],
            "prevalence_all": self.prevalence["all"],
            "lift": self.lift[group],
        })
        table = table[(table["prevalence"] >= min_prevalence) & ~table.index.isin(self.restating())]
        return table.sort_values(["lift", "prevalence"], ascending=False).head(n)

    def to_dict(self) -> dict:
        """A JSON-serialisable record: per group, its KPIs, top tags and feature medians."""
        out: dict = {"by": self.by, "as_of": _plain(self.as_of), "groups": {}}
        for g in [*self.groups, "all"]:
            kpis = {k: _plain(v) for k, v in self.kpis.loc[g].items()}
            med = self.distributions.xs(g, level="group")["p50"] if g in self.distributions.index.get_level_values(
                "group") else pd.Series(dtype=float)
            entry = {"kpis": kpis, "feature_medians": {f: _plain(v) for f, v in med.items()}}
            if g != "all":
                top = self.top_tags(g, n=10)
                entry["top_tags"] = [
                    {"indicator": i, "label": r["label"], "prevalence": _plain(r["prevalence"]),
                     "lift": _plain(r["lift"])} for i, r in top.iterrows()
                ]
            out["groups"][_plain(g)] = entry
        return out


class Portraits:
    """Portraits of customers, from their features, tags and (optionally) other models' outputs.

    Parameters
    ----------
    features : DataFrame
        From :func:`gridcrm.features.build_features` (index ``customer_id``).
    tags : TagResult
        From :meth:`gridcrm.tags.TagSet.evaluate` on the same customers.
    registry : dict of str to FeatureSpec, optional
        Descriptions and units of the features; defaults to :data:`gridcrm.features.FEATURES`.
    key_features : sequence of str, optional
        Features shown in an individual portrait and summarised in group portraits;
        defaults to :data:`KEY_FEATURES` (those present).
    segments : Series, optional
        Segment of each customer (index ``customer_id``), from the segmentation module.
    scores : DataFrame, optional
        Scores of each customer (credit score and grade, value rank, churn and arrears
        probabilities...), one column per score.
    forecasts : DataFrame, optional
        Forecast of each customer, e.g. ``kwh``, ``kwh-lo-80``, ``kwh-hi-80``.

    Examples
    --------
    >>> import json
    >>> import pandas as pd
    >>> from gridcrm.tags import TagSet
    >>> features = pd.DataFrame({"kwh_mean_365d": [35.0, 4.0], "on_time_rate_365d": [1.0, float("nan")]},
    ...                         index=pd.Index([7, 8], name="customer_id"))
    >>> tags = TagSet.from_dict({"categories": {"usage": "Electricity-use behaviour"}, "tags": [
    ...     {"id": "big", "label": "Big user", "category": "usage",
    ...      "rule": {"feature": "kwh_mean_365d", "op": ">=", "value": 20}}]})
    >>> p = Portraits(features, tags.evaluate(features), scores=pd.DataFrame({"credit_score": [88.0]}, index=[7]))
    >>> record = p.portrait(7)
    >>> record["tags"]["usage"]["tags"]
    [{'id': 'big', 'label': 'Big user', 'level': None}]
    >>> record["features"]["consumption"][0]
    {'name': 'kwh_mean_365d', 'description': 'Mean daily kWh over the last 365 days', 'unit': 'kWh/day', 'value': 35.0}
    >>> record["scores"], p.portrait(8)["features"]["payment"][0]["missing"]
    ({'credit_score': 88.0}, 'no bill due in the window')
    >>> _ = json.dumps(record)
    """

    def __init__(
        self,
        features: pd.DataFrame,
        tags: TagResult,
        registry: dict[str, FeatureSpec] | None = None,
        key_features: Sequence[str] | None = None,
        segments: pd.Series | None = None,
        scores: pd.DataFrame | None = None,
        forecasts: pd.DataFrame | None = None,
    ) -> None:
        if not isinstance(features, pd.DataFrame):
            raise TypeError(f"features must be a DataFrame, got {type(features).__name__}")
        if not isinstance(tags, TagResult):
            raise TypeError(f"tags must be a TagResult (TagSet.evaluate), got {type(tags).__name__}")
        if not tags.wide.index.equals(features.index):
            raise ValueError("tags and features describe different customers: evaluate the tags on these features")
        self.features = features
        self.tags = tags
        self.registry = FEATURES if registry is None else registry
        if key_features is None:
            key_features = [f for f in KEY_FEATURES if f in features.columns]
        unknown = [f for f in key_features if f not in features.columns]
        if unknown:
            raise KeyError(f"key_features {unknown} are not columns of the features")
        self.key_features = list(key_features)
        self.segments = segments
        self.scores = scores
        self.forecasts = forecasts

    def _spec(self, name: str) -> FeatureSpec | None:
        return self.registry.get(name)

    def portrait(self, customer_id: int) -> dict:
        """The portrait of one customer as a JSON-serialisable dict.

        Returns
        -------
        dict
            ``customer_id``, ``as_of``, ``tags`` (per category id: its ``label`` and the
            tags held, each ``{id, label, level}``), ``features`` (per family: the key
            features, each ``{name, description, unit, value}`` plus ``missing`` — what NaN
            means — when the value is missing), ``segment``, ``scores`` and ``forecast``
            (None or empty until those models' outputs are given).

        Raises
        ------
        KeyError
            The customer is not in the feature table.
        """
        try:
            pos = self.features.index.get_loc(customer_id)
        except KeyError:
            raise KeyError(f"customer_id {customer_id!r} is not in the features (not active at as_of?)") from None
        tagset = self.tags.tagset
        tags: dict[str, dict] = {c: {"label": label, "tags": []} for c, label in tagset.categories.items()}
        for tid in self.tags.wide.columns:
            value = self.tags.wide[tid].iloc[pos]
            spec = tagset[tid]
            if spec.kind == "band":
                if not pd.isna(value):
                    tags[spec.category]["tags"].append({"id": tid, "label": spec.label, "level": str(value)})
            elif bool(value):
                tags[spec.category]["tags"].append({"id": tid, "label": spec.label, "level": None})
        features: dict[str, list] = {}
        for name in self.key_features:
            spec = self._spec(name)
            value = _plain(self.features[name].iloc[pos])
            item = {"name": name, "description": spec.description if spec else name,
                    "unit": spec.unit if spec else None, "value": value}
            if value is None and spec is not None and spec.missing:
                item["missing"] = spec.missing
            features.setdefault(spec.family if spec else "other", []).append(item)
        return {
            "customer_id": _plain(customer_id),
            "as_of": _plain(self.features.attrs.get("as_of")),
            "tags": tags,
            "features": features,
            "segment": _plain(self.segments.get(customer_id)) if self.segments is not None else None,
            "scores": self._row(self.scores, customer_id),
            "forecast": self._row(self.forecasts, customer_id) or None,
        }

    def table(self) -> pd.DataFrame:
        """Every customer's portrait as one row: key features, tags per category, segment, scores, forecast.

        The batch form of :meth:`portrait`, for files and the CRM: tag labels of a
        category are joined by ``"; "`` (a band tag as ``"Label: level"``) in a column
        ``tags_<category>``; scores and forecast columns keep their names.

        Returns
        -------
        DataFrame
            Indexed by ``customer_id``, in the order of the features.

        Examples
        --------
        >>> import pandas as pd
        >>> from gridcrm.tags import TagSet
        >>> f = pd.DataFrame({"kwh_mean_365d": [35.0, 4.0]}, index=pd.Index([7, 8], name="customer_id"))
        >>> tags = TagSet.from_dict({"categories": {"usage": "Use"}, "tags": [
        ...     {"id": "big", "label": "Big user", "category": "usage",
        ...      "rule": {"feature": "kwh_mean_365d", "op": ">=", "value": 20}}]})
        >>> Portraits(f, tags.evaluate(f)).table()["tags_usage"].tolist()
        ['Big user', '']
        """
        tagset = self.tags.tagset
        long = self.tags.long
        tag_ids = list(long["tag_id"].cat.categories)
        labels = np.array([tagset[t].label for t in tag_ids], dtype=object)
        categories = np.array([tagset[t].category for t in tag_ids], dtype=object)
        codes = long["tag_id"].cat.codes.to_numpy()
        level = long["level"].astype(object).to_numpy()
        has_level = pd.notna(level)
        text = labels[codes].copy()
        text[has_level] = text[has_level] + ": " + level[has_level].astype(str)
        joined = (
            pd.DataFrame({"customer_id": long["customer_id"].to_numpy(), "category": categories[codes], "text": text})
            .groupby(["customer_id", "category"], sort=False)["text"].agg("; ".join)
            .unstack("category")
        )
        columns: dict[str, pd.Series] = {name: self.features[name] for name in self.key_features}
        for c in tagset.categories:
            col = joined[c] if c in joined.columns else pd.Series(dtype=object)
            columns[f"tags_{c}"] = col.reindex(self.features.index).fillna("")
        if self.segments is not None:
            columns["segment"] = self.segments.reindex(self.features.index)
        for extra in (self.scores, self.forecasts):
            if extra is not None:
                aligned = extra.reindex(self.features.index)
                columns.update({str(k): aligned[k] for k in aligned.columns})
        return pd.DataFrame(columns, index=self.features.index)

    @staticmethod
    def _row(frame: pd.DataFrame | None, customer_id: int) -> dict:
        if frame is None or customer_id not in frame.index:
            return {}
        return {str(k): _plain(v) for k, v in frame.loc[customer_id].items()}

    def group_portrait(self, by: str | pd.Series, features: Sequence[str] | None = None) -> GroupPortrait:
        """The portrait of every group of a grouping.

        Parameters
        ----------
        by : str or Series
            A column of the features (``"customer_class"``, ``"region"``, ``"supply_station"``)
            or a Series indexed by ``customer_id`` (segments). Customers without a group
            count in ``"all"`` only.
        features : sequence of str, optional
            Numeric features to summarise; defaults to the numeric key features.

        Returns
        -------
        GroupPortrait

        Raises
        ------
        KeyError
            ``by`` is not a column of the features.
        ValueError
            The feature table is empty.

        Examples
        --------
        >>> import pandas as pd
        >>> from gridcrm.tags import TagSet
        >>> f = pd.DataFrame({"kwh_mean_365d": [3.0, 9.0, 30.0, 2.0], "region": ["a", "a", "b", "b"]},
        ...                  index=pd.Index([1, 2, 3, 4], name="customer_id"))
        >>> tags = TagSet.from_dict({"categories": {"usage": "Use"}, "tags": [{"id": "big", "label": "Big",
        ...     "category": "usage", "rule": {"feature": "kwh_mean_365d", "op": ">", "value": 5}}]})
        >>> gp = Portraits(f, tags.evaluate(f)).group_portrait("region")
        >>> gp.prevalence.loc["big"].tolist(), gp.lift.loc["big"].tolist()
        ([0.5, 0.5, 0.5], [1.0, 1.0])
        >>> float(gp.distributions.loc[("kwh_mean_365d", "b"), "p50"])
        16.0
        """
        if self.features.empty:
            raise ValueError("there are no customers to portray (the feature table is empty)")
        key = _group_key(self.features, by)
        names = [f for f in (self.key_features if features is None else features)
                 if pd.api.types.is_numeric_dtype(self.features[f].dtype)
                 and not pd.api.types.is_bool_dtype(self.features[f].dtype)]
        desc = describe_groups(self.features, key, features=names, distributions=True,
                               indicators=self.tags.indicators(), registry=self.registry)
        return GroupPortrait(
            by=desc.by,
            kpis=group_kpis(self.features, key),
            prevalence=desc.prevalence,
            lift=desc.lift,
            distributions=desc.distributions,
            tag_catalog=self.tags.indicator_catalog(),
            feature_units=desc.units,
            feature_labels=desc.labels,
            as_of=self.features.attrs.get("as_of"),
        )
