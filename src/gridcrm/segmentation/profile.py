"""Segment and group portraits: sizes, shares, distinguishing features and a name in words.

:func:`profile_groups` describes any grouping of customers — k-means
segments, customer classes, a tag — the same way:

* size and share of customers, share of consumption and of revenue;
* the dominant customer class and its share;
* each feature's **standardised difference** between the group and the rest
  of the customers (Cohen's d: difference of means over the pooled standard
  deviation, on the log scale for skewed amounts, missing values ignored);
  ``|d| >= 0.5`` is a clear difference, ``|d| >= 0.8`` a large one;
* the group's median of each feature, in the feature's unit;
* a readable name built from the largest differences, such as
  ``"high-consumption commercial, weekday-heavy, prompt payers"``.

:func:`profile_groups` is built on the shared group-description engine
:func:`gridcrm.tags.groups.describe_groups` (also behind
:meth:`gridcrm.tags.Portraits.group_portrait`); it adds the names.

Names come from a phrase table keyed by the feature registry's names
(:data:`PHRASES`); pass ``phrases=`` to add or override phrases for your own
features. A feature without a phrase is described as ``"high <name>"``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.features.registry import FEATURES
from gridcrm.segmentation.errors import SegmentationInputError
from gridcrm.segmentation.preprocessing import LOG_UNITS
from gridcrm.tags.groups import MAX_EFFECT, describe_groups, standardised_differences

__all__ = ["Phrase", "PHRASES", "SegmentProfile", "profile_groups", "name_segments", "phrase_for",
           "standardised_differences", "MAX_EFFECT"]

#: Standardised difference from which a feature counts as distinguishing a group.
MIN_EFFECT = 0.5
#: Share of a group that one customer class must reach to name the group.
CLASS_MAJORITY = 0.5
_CONSUMPTION_COLUMNS = ("kwh_total_365d", "kwh_mean_365d", "kwh_total_90d", "kwh_mean_90d", "kwh_mean_30d")


@dataclass(frozen=True)
class Phrase:
    """How a feature reads in a segment name.

    Attributes
    ----------
    theme : str
        Features of one theme compete for one slot of a name. ``"level"``
        leads the name ("high-consumption ...").
    high, low : str
        Words for a group clearly above / below the rest; ``""`` when that
        side is not worth saying.
    """

    theme: str
    high: str
    low: str = ""


_LEVEL = Phrase("level", "high-consumption", "low-consumption")
_LATE = Phrase("payment", "late payers", "prompt payers")
_CONTACT = Phrase("contacts", "frequent callers", "")

#: Phrases of the registry's features, by regular expression on the feature name (first match wins).
PHRASES: tuple[tuple[str, Phrase], ...] = (
    (r"kwh_(mean|median|total)_\d+d", _LEVEL),
    (r"bill_amount_mean_365d", Phrase("value", "large bills", "small bills")),
    (r"contracted_kva|peak_kw", Phrase("size", "large connection", "small connection")),
    (r"kwh_cv_\d+d", Phrase("variability", "volatile use", "steady use")),
    (r"weekday_weekend_ratio", Phrase("weekly", "weekday-heavy", "weekend-heavy")),
    (r"seasonality_strength", Phrase("season", "seasonal", "year-round")),
    (r"zero_day_share_\d+d", Phrase("idle", "many idle days", "")),
    (r"gap_day_share_\d+d", Phrase("data", "meter gaps", "")),
    (r"kwh_yoy_growth|kwh_trend_slope", Phrase("trend", "growing", "shrinking")),
    (r"heating_sensitivity", Phrase("weather", "electric heating, winter peak", "")),
    (r"winter_summer_ratio", Phrase("season", "winter peak", "summer peak")),
    (r"weekend_ratio_365d", Phrase("weekly", "weekend-heavy", "weekday-heavy")),
    (r"vacancy_days_max_365d", Phrase("occupancy", "long vacant spells", "")),
    (r"day_to_day_variability_365d", Phrase("variability", "irregular use", "regular use")),
    (r"baseload_kwh", Phrase("level", "high base load", "low base load")),
    (r"household_size", Phrase("household", "large households", "small households")),
    (r"heating_slope", Phrase("weather", "heating-sensitive", "")),
    (r"cooling_slope", Phrase("weather", "cooling-sensitive", "")),
    (r"load_factor", Phrase("shape", "round-the-clock load", "peaky load")),
    (r"peak_share", Phrase("shape", "peak-hour use", "off-peak use")),
    (r"valley_share|night_share", Phrase("shape", "night-time use", "daytime use")),
    (r"power_factor", Phrase("reactive", "good power factor", "poor power factor")),
    (r"(daily_)?capacity_utilisation", Phrase("size", "near capacity", "low capacity use")),
    (r"on_time_rate_365d", Phrase("payment", "prompt payers", "late payers")),
    (r"days_late_(mean|max)_365d|late_bills_365d", _LATE),
    (r"arrears_(count|amount)|disconnection_notices_365d", Phrase("payment", "in arrears", "")),
    (r"months_since_last_arrears", Phrase("payment", "", "recent arrears")),
    (r"partial_payment_share_365d", Phrase("instalments", "pay in instalments", "")),
    (r"online_channel_share_365d", Phrase("channel", "online payers", "offline payers")),
    (r"complaints.*", Phrase("contacts", "frequent complainers", "")),
    (r"(calls|repairs)_\d+d", _CONTACT),
    (r"satisfaction_mean_365d", Phrase("satisfaction", "satisfied", "dissatisfied")),
    (r"days_since_last_complaint", Phrase("contacts", "", "recent complainers")),
    (r"applications_365d", Phrase("growth", "expanding", "")),
    (r"tenure_years", Phrase("tenure", "long-standing", "new")),
    (r"voltage_kv", Phrase("size", "high-voltage", "low-voltage")),
    (r"theft_count|violation_count|blacklisted", Phrase("risk", "risk events on record", "")),
    (r"bills_365d", Phrase("billing", "", "few bills")),
)
_MISSING_PHRASES = {
    "load": "no interval meter",
    "payment": "no recent bills",
    "consumption": "short history",
    "contacts": "no survey answers",
}


def phrase_for(feature: str, phrases: Mapping[str, Phrase] | None = None) -> Phrase:
    """The phrase of a feature: ``phrases`` first, then :data:`PHRASES`, then a generic one.

    Missing indicators (``<feature>_missing``) and load-shape shares
    (``shape_share_<name>``, from :meth:`LoadShapeClusterer.shape_features`)
    have phrases of their own.

    Examples
    --------
    >>> phrase_for("kwh_mean_90d").high
    'high-consumption'
    >>> phrase_for("shape_share_evening_peak").high
    'evening peak'
    >>> phrase_for("peak_share_missing").high
    'no interval meter'
    >>> phrase_for("x3")
    Phrase(theme='x3', high='high x3', low='low x3')
    """
    if phrases and feature in phrases:
        return phrases[feature]
    for pattern, phrase in PHRASES:
        if re.fullmatch(pattern, feature):
            return phrase
    if feature.startswith("shape_share_"):
        return Phrase("shape", feature.removeprefix("shape_share_").replace("_", " "), "")
    if feature.endswith("_missing"):
        base = feature.removesuffix("_missing")
        family = FEATURES[base].family if base in FEATURES else None
        return Phrase("data", _MISSING_PHRASES.get(family, f"often missing {base}"), "")
    return Phrase(feature, f"high {feature}", f"low {feature}")


@dataclass(frozen=True)
class SegmentProfile:
    """Portrait of each group of customers.

    Attributes
    ----------
    summary : DataFrame
        One row per group: ``name``, ``n_customers``, ``share_customers``,
        ``share_consumption`` and ``share_revenue`` (when available),
        ``dominant_class`` and ``dominant_class_share`` (when the class is
        known) and ``top_features`` (the largest differences, in words).
    differences : DataFrame
        Standardised difference of each feature (columns) for each group (rows).
    medians : DataFrame
        Median of each feature for each group, in the feature's unit.
    """

    summary: pd.DataFrame
    differences: pd.DataFrame
    medians: pd.DataFrame

    @property
    def names(self) -> pd.Series:
        """The readable name of each group."""
        return self.summary["name"]

    def top_features(self, group: Any, n: int = 5) -> pd.Series:
        """The ``n`` features that distinguish ``group`` most, by absolute standardised difference."""
        d = self.differences.loc[group].dropna()
        return d.reindex(d.abs().sort_values(ascending=False).index[:n])


def profile_groups(
    frame: pd.DataFrame,
    groups: str | Sequence[Any] | np.ndarray | pd.Series,
    *,
    features: Sequence[str] | None = None,
    log_columns: str | Sequence[str] | None = "auto",
    consumption: str | None = "auto",
    revenue: str | None = "auto",
    class_column: str | None = "auto",
    top_n: int = 3,
    phrases: Mapping[str, Phrase] | None = None,
) -> SegmentProfile:
    """Describe groups of customers: sizes, shares, distinguishing features, names.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    groups : str or array-like
        A column of ``frame`` (a class, a tag) or one label per row.
    features : list of str, optional
        Numeric columns to compare; default: every numeric or boolean column
        except ``groups``.
    log_columns : "auto", list of str or None, default="auto"
        Columns compared on the log scale (``log1p``). ``"auto"``:
        non-negative registry amounts (kWh, kW, kVA, CNY, counts) and
        non-negative columns with skewness above 1.
    consumption : str or None, default="auto"
        Column whose total is shared out (``share_consumption``). ``"auto"``:
        the first of ``kwh_total_365d``, ``kwh_mean_365d``, ``kwh_total_90d``,
        ``kwh_mean_90d``, ``kwh_mean_30d`` present; ``None``: none.
    revenue : str or None, default="auto"
        Column whose total is shared out (``share_revenue``). ``"auto"``:
        ``bill_amount_mean_365d`` × ``bills_365d`` when both are present,
        else ``bill_amount_mean_365d``; ``None``: none.
    class_column : str or None, default="auto"
        Customer class column used in names; ``"auto"``: ``customer_class`` if present.
    top_n : int, default=3
        Features listed in ``summary["top_features"]``.
    phrases : mapping of str to Phrase, optional
        Extra phrases for names (see :func:`phrase_for`).

    Returns
    -------
    SegmentProfile

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "kwh_mean_365d": [4.0, 5.0, 6.0, 400.0, 500.0, 450.0],
    ...     "on_time_rate_365d": [0.5, 0.6, 0.4, 1.0, 1.0, 0.95],
    ...     "customer_class": ["residential"] * 3 + ["commercial"] * 3,
    ... })
    >>> p = profile_groups(frame, [0, 0, 0, 1, 1, 1])
    >>> p.names.tolist()
    ['low-consumption residential, late payers', 'high-consumption commercial, prompt payers']
    >>> p.summary["share_consumption"].round(3).tolist()
    [0.011, 0.989]
    """
    if not isinstance(frame, pd.DataFrame):
        raise SegmentationInputError(f"frame must be a DataFrame with one row per customer, got {type(frame).__name__}")
    labels = _group_labels(frame, groups)
    group_col = groups if isinstance(groups, str) else None
    klass = _resolve_column(frame, class_column, ("customer_class",), "class_column")
    if features is None:
        features = [
            c for c in frame.columns
            if c not in (group_col, klass)
            and (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
            and not isinstance(frame[c].dtype, pd.CategoricalDtype)
        ]  # fmt: skip
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise SegmentationInputError(f"features: frame has no column(s) {missing}")
    if (pd.factorize(labels)[0] < 0).any():
        raise SegmentationInputError("groups: missing group labels; every row needs a group")
    totals = {}
    cons = _resolve_column(frame, consumption, _CONSUMPTION_COLUMNS, "consumption")
    if cons is not None:
        totals["consumption"] = frame[cons]
    rev = _revenue(frame, revenue)
    if rev is not None:
        totals["revenue"] = rev
    desc = describe_groups(
        frame,
        pd.Series(labels, index=frame.index, name="segment"),
        features=list(features),
        differences=True,
        log_columns=_log_columns(frame, list(features), log_columns),
        totals=totals,
        dominant=klass,
    )
    differences = desc.differences
    summary = pd.concat([desc.sizes, desc.shares], axis=1)
    if desc.dominant is not None:
        summary["dominant_class"] = desc.dominant.iloc[:, 0]
        summary["dominant_class_share"] = desc.dominant.iloc[:, 1]
    summary["top_features"] = [
        ", ".join(f"{f} {d:+.1f}" for f, d in _top(differences.loc[g], top_n)) for g in desc.groups
    ]
    dominant = summary["dominant_class"] if "dominant_class" in summary else None
    share = summary["dominant_class_share"] if "dominant_class_share" in summary else None
    names = name_segments(differences, dominant, share, phrases=phrases)
    summary.insert(0, "name", names)
    return SegmentProfile(summary=summary, differences=differences, medians=desc.medians)


def name_segments(
    differences: pd.DataFrame,
    dominant_class: pd.Series | None = None,
    dominant_share: pd.Series | None = None,
    *,
    phrases: Mapping[str, Phrase] | None = None,
    n_phrases: int = 2,
) -> list[str]:
    """Readable, unique names from standardised differences.

    A name reads ``"<level> <class>, <usage>, <payment>"``: the consumption
    level (when a level feature is among the columns: high, mid or low),
    the customer class that holds at least half the group (else
    ``customers``), then the phrase of the clearest usage difference (weekly
    rhythm, seasonality, load shape, variability...) and of the clearest
    payment difference, each only if ``|d| >= 0.5``. Free slots (up to
    ``n_phrases``) go to the clearest other differences, except size and
    bill amount, which restate the level. Groups whose names coincide get
    further phrases, then their label.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"kwh_mean_365d": [1.2, -0.9], "weekday_weekend_ratio": [1.5, 0.1],
    ...                   "on_time_rate_365d": [0.8, -0.7], "contracted_kva": [2.0, -0.2]})
    >>> name_segments(d)
    ['high-consumption customers, weekday-heavy, prompt payers', 'low-consumption customers, late payers']
    """
    heads, options = [], []
    for g in differences.index:
        level, ranked = _phrases(differences.loc[g].dropna(), phrases)
        noun = "customers"
        if dominant_class is not None and dominant_share is not None and dominant_share.loc[g] >= CLASS_MAJORITY:
            noun = str(dominant_class.loc[g]).replace("_", " ")
        heads.append(f"{level} {noun}".strip())
        options.append(ranked)
    extra = dict.fromkeys(range(len(heads)), 0)
    while True:
        names = [_join(heads[i], _pick(options[i], n_phrases, extra[i])) for i in range(len(heads))]
        dup = {i for i, nm in enumerate(names) if names.count(nm) > 1}
        grow = [i for i in dup if extra[i] < len(options[i])]
        if not grow:
            break
        for i in grow:
            extra[i] += 1
    return [f"{nm} ({g})" if i in dup else nm for i, (nm, g) in enumerate(zip(names, differences.index, strict=True))]


#: Themes that fill the usage slot and the payment slot of a name.
_USAGE_THEMES = frozenset({"weekly", "season", "shape", "variability", "idle", "weather", "trend", "reactive"})
_PAYMENT_THEMES = frozenset({"payment", "channel", "instalments", "billing"})


#: Themes that restate the consumption level ("large connection"): named only to tell segments apart.
_LEVEL_LIKE_THEMES = frozenset({"size", "value"})


def _pick(ranked: list[tuple[str, str]], n: int, extra: int = 0) -> list[str]:
    """The usage phrase, the payment phrase, the clearest others up to ``n``, then ``extra`` more of any theme.

    ``ranked`` lists (theme, phrase), largest difference first.
    """
    chosen: list[tuple[str, str]] = []
    for themes in (_USAGE_THEMES, _PAYMENT_THEMES):
        first = next((tw for tw in ranked if tw[0] in themes), None)
        if first is not None and len(chosen) < n:
            chosen.append(first)
    for tw in ranked:
        if len(chosen) < n and tw not in chosen and tw[0] not in _LEVEL_LIKE_THEMES:
            chosen.append(tw)
    chosen += [tw for tw in ranked if tw not in chosen][:extra]
    return [w for _, w in chosen]


def _join(head: str, words: list[str]) -> str:
    return ", ".join([head, *words])


def _phrases(row: pd.Series, phrases: Mapping[str, Phrase] | None) -> tuple[str, list[tuple[str, str]]]:
    """The level word and the (theme, phrase) of each other clear difference, one per theme, largest first."""
    level = ""
    used: set[str] = set()
    ranked: list[tuple[str, str]] = []
    for feature, d in row.reindex(row.abs().sort_values(ascending=False).index).items():
        ph = phrase_for(str(feature), phrases)
        if ph.theme == "level":
            if not level:
                level = ph.high if d >= MIN_EFFECT else ph.low if d <= -MIN_EFFECT else "mid-consumption"
            continue
        word = ph.high if d >= MIN_EFFECT else ph.low if d <= -MIN_EFFECT else ""
        if word and ph.theme not in used and word not in (w for _, w in ranked):
            used.add(ph.theme)
            ranked.append((ph.theme, word))
    return level, ranked


def _top(row: pd.Series, n: int) -> list[tuple[str, float]]:
    row = row.dropna()
    return [(str(f), float(row[f])) for f in row.abs().sort_values(ascending=False).index[:n]]


def _group_labels(frame: pd.DataFrame, groups: Any) -> np.ndarray:
    if isinstance(groups, str):
        if groups not in frame.columns:
            raise SegmentationInputError(f"groups: frame has no column {groups!r}")
        return frame[groups].to_numpy()
    labels = np.asarray(groups)
    if labels.shape != (len(frame),):
        raise SegmentationInputError(f"groups: expected one label per row ({len(frame)}), got shape {labels.shape}")
    return labels


def _resolve_column(frame: pd.DataFrame, spec: str | None, auto: Sequence[str], what: str) -> str | None:
    if spec is None:
        return None
    if spec == "auto":
        return next((c for c in auto if c in frame.columns), None)
    if spec not in frame.columns:
        raise SegmentationInputError(f"{what}: frame has no column {spec!r}")
    return spec


def _log_columns(frame: pd.DataFrame, names: list[str], log_columns: str | Sequence[str] | None) -> list[str]:
    """The features compared on the log scale (the engine keeps those without negative values)."""
    if log_columns is None:
        return []
    if log_columns != "auto":
        return list(log_columns)
    values = frame[names].to_numpy(dtype=np.float64, na_value=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = values - np.nanmean(values, axis=0)
        skew = np.nan_to_num(np.nanmean(d**3, axis=0) / np.nanmean(d**2, axis=0) ** 1.5)
    amounts = np.array([n in FEATURES and FEATURES[n].unit in LOG_UNITS for n in names], dtype=bool)
    return [n for n, logged in zip(names, amounts | (skew > 1.0), strict=True) if logged]


def _revenue(frame: pd.DataFrame, revenue: str | None) -> pd.Series | None:
    if revenue != "auto":
        col = _resolve_column(frame, revenue, (), "revenue")
        return None if col is None else frame[col]
    if "bill_amount_mean_365d" not in frame.columns:
        return None
    amount = frame["bill_amount_mean_365d"].astype(float)
    return amount * frame["bills_365d"].astype(float) if "bills_365d" in frame.columns else amount
