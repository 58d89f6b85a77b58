"""The feature registry: every feature's name, family, description, unit and meaning of NaN.

The registry is the contract between the feature builders, the tag rules
(``configs/tags.yaml``), the credit and value indicator systems, the risk
models' explanations and the portraits: they all refer to features by these
names and show these descriptions and units.

Window-dependent features carry their window in the name (``kwh_mean_90d``);
:func:`feature_registry` builds the registry for any set of windows, and
:data:`FEATURES` is the registry for the default windows (30, 90, 365 days).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from gridcrm.data.schemas import CHANNELS, CUSTOMER_CLASSES

__all__ = [
    "FeatureSpec",
    "FEATURES",
    "DEFAULT_WINDOWS",
    "COMPLAINT_CATEGORIES",
    "ONLINE_CHANNELS",
    "feature_registry",
    "feature_spec",
    "registry_frame",
    "ANOMALY_SIGNALS",
]

Family = Literal["consumption", "load", "payment", "contacts", "account", "events"]

#: Default look-back windows, in days.
DEFAULT_WINDOWS: tuple[int, ...] = (30, 90, 365)
#: Complaint categories counted one by one.
COMPLAINT_CATEGORIES: tuple[str, ...] = ("billing", "outage", "voltage", "service_attitude", "meter", "tariff")
#: Payment channels counted as online.
ONLINE_CHANNELS: tuple[str, ...] = ("app", "wechat", "alipay")

_NO_HISTORY = "no data in the window (new customer, or nothing recorded)"
_NO_INTERVAL = "no 15-minute load for the customer (only large customers have it)"
_NO_BILLS = "no bill due in the window"


@dataclass(frozen=True)
class FeatureSpec:
    """One feature.

    Attributes
    ----------
    name : str
    family : {"consumption", "load", "payment", "contacts", "account", "events"}
    description : str
        One line for people (portraits, explanations).
    unit : str
        Unit, or ``"share"`` (0–1), ``"ratio"``, ``"count"``, ``"category"``, ``"flag"``.
    kind : {"float", "int", "category", "bool"}
    missing : str
        What NaN means for this feature ("" if it is never missing).
    min, max : float, optional
        Plausible inclusive bounds of a numeric feature: a value outside them is a wrong input,
        not a customer (served models refuse it). :func:`feature_registry` fills them from the
        unit (shares in [0, 1], counts from 0, money up to 1e11 CNY, ...) unless set here.
    allowed : tuple of str, optional
        The values a category feature can take, where the data model fixes them.
    """

    name: str
    family: Family
    description: str
    unit: str
    kind: Literal["float", "int", "category", "bool"] = "float"
    missing: str = ""
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None


def _consumption(windows: Iterable[int]) -> list[FeatureSpec]:
    out: list[FeatureSpec] = []
    for w in windows:
        out += [
            FeatureSpec(f"kwh_mean_{w}d", "consumption", f"Mean daily kWh over the last {w} days", "kWh/day",
                        missing=_NO_HISTORY),
            FeatureSpec(f"kwh_median_{w}d", "consumption", f"Median daily kWh over the last {w} days", "kWh/day",
                        missing=_NO_HISTORY),
            FeatureSpec(f"kwh_total_{w}d", "consumption", f"Total kWh read over the last {w} days", "kWh",
                        missing=_NO_HISTORY),
        ]
    out += [
        FeatureSpec("kwh_yoy_growth", "consumption", "Growth of the last 365 days' kWh over the 365 days before",
                    "ratio", missing="less than two years of reads"),
        FeatureSpec("kwh_trend_slope", "consumption",
                    "Linear trend of daily kWh over the last 365 days, relative to their mean", "share/year",
                    missing="fewer than 60 reads in the last 365 days"),
        FeatureSpec("kwh_cv_90d", "consumption", "Coefficient of variation of daily kWh over the last 90 days",
                    "ratio", missing=_NO_HISTORY + " or zero mean"),
        FeatureSpec("weekday_weekend_ratio", "consumption",
                    "Mean weekday kWh over mean weekend kWh, last 90 days", "ratio",
                    missing=_NO_HISTORY + " or no weekend use"),
        FeatureSpec("zero_day_share_365d", "consumption", "Share of days with zero kWh, last 365 days", "share",
                    missing=_NO_HISTORY),
        FeatureSpec("gap_day_share_365d", "consumption",
                    "Share of days without a read (meter gaps) since connection, last 365 days", "share",
                    missing=_NO_HISTORY),
        FeatureSpec("seasonality_strength", "consumption",
                    "Share of the variance of daily kWh explained by the month, last 365 days", "share",
                    missing="fewer than 9 months of reads in the last 365 days"),
        FeatureSpec("peak_month", "consumption", "Calendar month with the highest mean daily kWh, last 365 days",
                    "month", kind="int", missing="fewer than 9 months of reads in the last 365 days"),
        FeatureSpec("heating_slope", "consumption",
                    "Extra kWh/day per degree below 18 °C (regression on the region's temperature), last 365 days",
                    "kWh/day/°C", missing="no weather for the region, or too few cold days"),
        FeatureSpec("cooling_slope", "consumption",
                    "Extra kWh/day per degree above 22 °C (regression on the region's temperature), last 365 days",
                    "kWh/day/°C", missing="no weather for the region, or too few hot days"),
        FeatureSpec("heating_sensitivity", "consumption",
                    "Heating slope over the temperature-neutral daily kWh (the regression's intercept)", "share/°C",
                    missing="heating slope missing, or no positive temperature-neutral use"),
        FeatureSpec("cooling_sensitivity", "consumption",
                    "Cooling slope over the temperature-neutral daily kWh (the regression's intercept)", "share/°C",
                    missing="cooling slope missing, or no positive temperature-neutral use"),
        FeatureSpec("kwh_last_month_ratio", "consumption",
                    "Mean daily kWh of the last calendar month (the next bill's, on the 1st) over the six months "
                    "before it", "ratio", missing="no read in the last month or in the six months before it"),
    ]
    return out


def _load() -> list[FeatureSpec]:
    return [
        FeatureSpec("load_factor", "load", "Mean over peak 15-minute load, last 30 days of interval data", "share",
                    missing=_NO_INTERVAL),
        FeatureSpec("peak_kw", "load", "Highest 15-minute load, last 30 days of interval data", "kW",
                    missing=_NO_INTERVAL),
        FeatureSpec("peak_share", "load", "Share of energy used in peak hours (08–11 and 18–21)", "share",
                    missing=_NO_INTERVAL),
        FeatureSpec("valley_share", "load", "Share of energy used in valley hours (23–07)", "share",
                    missing=_NO_INTERVAL),
        FeatureSpec("night_share", "load", "Share of energy used from 00 to 06", "share", missing=_NO_INTERVAL),
        FeatureSpec("power_factor", "load", "Power factor kWh / sqrt(kWh² + kvarh²)", "ratio",
                    missing=_NO_INTERVAL + " or no reactive power"),
        FeatureSpec("capacity_utilisation", "load", "Peak 15-minute kW over contracted kVA", "ratio",
                    missing=_NO_INTERVAL),
        FeatureSpec("evening_share", "load", "Share of energy used in the evening (18–22)", "share",
                    missing=_NO_INTERVAL),
    ]


def _payment(windows: Iterable[int]) -> list[FeatureSpec]:
    return [
        FeatureSpec("bills_365d", "payment", "Bills due in the last 365 days", "count", kind="int"),
        FeatureSpec("bill_amount_mean_365d", "payment", "Mean amount of the bills issued in the last 365 days",
                    "CNY", missing="no bill issued in the window"),
        FeatureSpec("on_time_rate_365d", "payment",
                    "Share of bills due in the last 365 days paid in full by their due date", "share",
                    missing=_NO_BILLS),
        FeatureSpec("days_late_mean_365d", "payment",
                    "Mean days from due date to full payment (0 if on time; unpaid counted to as_of)", "days",
                    missing=_NO_BILLS),
        FeatureSpec("days_late_max_365d", "payment", "Most days late of a bill due in the last 365 days", "days",
                    missing=_NO_BILLS),
        FeatureSpec("arrears_count", "payment", "Bills past due and not fully paid at as_of", "count", kind="int"),
        FeatureSpec("arrears_amount", "payment", "Amount past due and unpaid at as_of", "CNY"),
        FeatureSpec("late_bills_365d", "payment", "Bills due in the last 365 days paid late or not yet paid",
                    "count", kind="int"),
        FeatureSpec("months_since_last_arrears", "payment",
                    "Months since the due date of the last bill paid late or not paid", "months",
                    missing="never in arrears"),
        FeatureSpec("partial_payment_share_365d", "payment",
                    "Share of bills due in the last 365 days paid in more than one payment", "share",
                    missing=_NO_BILLS),
        FeatureSpec("online_channel_share_365d", "payment",
                    "Share of payments in the last 365 days made online (app, WeChat, Alipay)", "share",
                    missing="no payment in the window"),
        FeatureSpec("disconnection_notices_365d", "payment", "Disconnection notices in the last 365 days", "count",
                    kind="int"),
        FeatureSpec("payments_365d", "payment", "Payments made in the last 365 days", "count", kind="int"),
        FeatureSpec("payment_earliness_730d", "payment",
                    "How early in the payment window bills due in the last 730 days were paid: mean of "
                    "-ln(share of the window used) over the bills paid by their due date", "score",
                    missing="no bill due in the last 730 days paid by its due date"),
        FeatureSpec("on_time_rate_730d", "payment",
                    "Share of bills due in the last 730 days paid in full by their due date", "share",
                    missing=_NO_BILLS),
        FeatureSpec("slightly_late_rate_730d", "payment",
                    "Share of bills due in the last 730 days (and over 15 days ago) paid in full 1–15 days late",
                    "share", missing="no bill due in the window more than 15 days ago"),
        FeatureSpec("arrears_rate_730d", "payment",
                    "Share of bills due in the last 730 days (and over 15 days ago) not paid in full within 15 days "
                    "of the due date", "share", missing="no bill due in the window more than 15 days ago"),
        FeatureSpec("unpaid_60d_rate_730d", "payment",
                    "Share of bills due in the last 730 days (and over 60 days ago) still not paid in full", "share",
                    missing="no bill due in the window more than 60 days ago"),
        FeatureSpec("arrears_log_days_late_730d", "payment",
                    "Mean ln(1 + days late) of the bills due in the last 730 days paid in full over 15 days late",
                    "ln(days)", missing="no bill of the window paid over 15 days late"),
        FeatureSpec("arrears_after_arrears_rate_730d", "payment",
                    "Share of the bills of arrears_rate_730d that follow a bill in arrears and are in arrears too",
                    "share", missing="no bill of the window follows a bill in arrears"),
        FeatureSpec("disconnection_notices_730d", "payment", "Disconnection notices in the last 730 days", "count",
                    kind="int"),
        FeatureSpec("last_bill_days_late", "payment",
                    "Days late of the latest bill past its due date (to full payment, or to as_of if unpaid)", "days",
                    missing="no bill past its due date"),
        FeatureSpec("last_bill_unpaid_share", "payment",
                    "Share of the latest bill past its due date still unpaid at as_of", "share",
                    missing="no bill past its due date"),
    ]


def _contacts(windows: Iterable[int]) -> list[FeatureSpec]:
    out: list[FeatureSpec] = []
    for w in (90, 365, 730):
        out += [
            FeatureSpec(f"calls_{w}d", "contacts", f"Hotline calls in the last {w} days", "count", kind="int"),
            FeatureSpec(f"complaints_{w}d", "contacts", f"Complaints in the last {w} days", "count", kind="int"),
            FeatureSpec(f"repairs_{w}d", "contacts", f"Repair requests in the last {w} days", "count", kind="int"),
        ]
    out += [
        FeatureSpec(f"complaints_{c}_365d", "contacts", f"Complaints about {c.replace('_', ' ')} in the last 365 days",
                    "count", kind="int")
        for c in COMPLAINT_CATEGORIES
    ]
    out += [
        FeatureSpec("applications_365d", "contacts", "Business applications (new connection, capacity change) "
                    "in the last 365 days", "count", kind="int"),
        FeatureSpec("satisfaction_mean_365d", "contacts", "Mean satisfaction score given in the last 365 days (1–5)",
                    "score", missing="no survey answered in the window"),
        FeatureSpec("days_since_last_complaint", "contacts", "Days since the last complaint", "days",
                    missing="never complained"),
        FeatureSpec("complaints_3m", "contacts", "Complaints in the last three calendar months", "count", kind="int"),
        FeatureSpec("satisfaction_mean_730d", "contacts", "Mean satisfaction score given in the last 730 days (1–5)",
                    "score", missing="no survey answered in the window"),
        FeatureSpec("complaint_share_730d", "contacts",
                    "Complaints over hotline calls and complaints, last 730 days", "share",
                    missing="no call or complaint in the window"),
        FeatureSpec("billing_contacts_730d", "contacts",
                    "Calls and complaints about the bill or the tariff in the last 730 days", "count", kind="int"),
        FeatureSpec("outage_contacts_365d", "contacts",
                    "Calls, complaints and repair requests about outages or the line in the last 365 days", "count",
                    kind="int"),
        FeatureSpec("capacity_change_applications_365d", "contacts",
                    "Applications for a capacity change in the last 365 days", "count", kind="int"),
        FeatureSpec("tickets_open", "contacts", "Complaints and repair requests not yet closed at as_of", "count",
                    missing=_NO_TICKETS),
        FeatureSpec("resolution_hours_mean_365d", "contacts",
                    "Mean hours to close the complaints and repair requests of the last 365 days", "hours",
                    missing="no ticket closed in the last 365 days, or " + _NO_TICKETS),
        FeatureSpec("repeat_contacts_365d", "contacts",
                    "Contacts on a topic the customer contacted about within the 30 days before, last 365 days",
                    "count", missing="the extract has no repeat flags"),
    ]
    return out


#: Why a ticket feature is NaN: an extract without closing times (contacts.closed_at).
_NO_TICKETS = "the extract has no closing times of tickets"


def _account() -> list[FeatureSpec]:
    return [
        FeatureSpec("tenure_years", "account", "Years since connection", "years"),
        FeatureSpec("customer_class", "account", "Customer class", "category", kind="category",
                    allowed=CUSTOMER_CLASSES),
        FeatureSpec("industry_code", "account", "Industry code", "category", kind="category",
                    missing="no industry (residential)"),
        FeatureSpec("region", "account", "Region", "category", kind="category"),
        FeatureSpec("tariff", "account", "Tariff", "category", kind="category"),
        FeatureSpec("contracted_kva", "account", "Contracted capacity", "kVA"),
        FeatureSpec("voltage_kv", "account", "Supply voltage", "kV"),
        FeatureSpec("daily_capacity_utilisation", "account",
                    "Highest daily kWh in the last 365 days over 24 h × contracted kVA", "ratio",
                    missing=_NO_HISTORY),
        FeatureSpec("supply_station", "account", "Supply station serving the account", "category", kind="category"),
        FeatureSpec("preferred_channel", "account", "Channel the customer prefers", "category", kind="category",
                    allowed=CHANNELS),
        FeatureSpec("household_size", "account", "Persons in the household", "persons",
                    missing="not recorded (non-residential, or unknown)"),
        FeatureSpec("prepaid", "account", "Pays in advance (False where unknown)", "flag", kind="bool"),
    ]


def _events() -> list[FeatureSpec]:
    return [
        FeatureSpec("theft_count", "events", "Electricity theft events on record", "count", kind="int"),
        FeatureSpec("violation_count", "events", "Violations of the supply contract on record", "count", kind="int"),
        FeatureSpec("blacklisted", "events", "On the blacklist at as_of", "flag", kind="bool"),
    ]


def _behaviour() -> list[FeatureSpec]:
    few = "fewer than 60 reads in the last 365 days"
    return [
        FeatureSpec("baseload_kwh", "consumption",
                    "Temperature-neutral daily kWh (intercept of the degree-day regression), last 365 days",
                    "kWh/day", missing=few + ", or no weather for the region"),
        FeatureSpec("winter_summer_ratio", "consumption",
                    "Mean daily kWh in December-February over June-August, last 365 days", "ratio",
                    missing="fewer than 30 reads in winter or in summer in the last 365 days, or no summer use"),
        FeatureSpec("weekend_ratio_365d", "consumption", "Mean weekend kWh over mean weekday kWh, last 365 days",
                    "ratio", missing=few + ", or no weekday use"),
        FeatureSpec("vacancy_days_max_365d", "consumption",
                    "Longest run of days below a fifth of the customer's median daily kWh, last 365 days", "days",
                    missing=few),
        FeatureSpec("day_to_day_variability_365d", "consumption",
                    "Median absolute change of ln(kWh) from one day to the next, last 365 days", "ratio",
                    missing=few),
    ]


_BIG = 1e6  # far beyond any real value of a relative quantity, far below an overflow or a unit mistake
#: Plausible bounds by unit: wide enough for every customer of a real utility (the data model's own
#: bounds: 50 million kWh a day, 1 million kVA, a billion CNY per bill), narrow enough to refuse the absurd.
_UNIT_BOUNDS: dict[str, tuple[float, float]] = {
    "share": (0.0, 1.0),
    "count": (0.0, 1e7),
    "kWh/day": (0.0, 5e7),
    "kWh": (0.0, 5e7 * 3660),
    "kW": (0.0, 1e7),
    "kVA": (0.5, 1e6),
    "kV": (0.2, 1000.0),
    "CNY": (0.0, 1e11),
    "days": (0.0, 36_600.0),
    "months": (0.0, 1_200.0),
    "years": (0.0, 100.0),
    "persons": (1.0, 30.0),
    "month": (1.0, 12.0),
    "ratio": (0.0, _BIG),
    "share/year": (-_BIG, _BIG),
    "share/°C": (-_BIG, _BIG),
    "kWh/day/°C": (-5e7, 5e7),
    "ln(days)": (0.0, 11.0),
    "score": (0.0, _BIG),
}
#: Bounds of the features whose range their unit does not give.
_NAME_BOUNDS: dict[str, tuple[float, float]] = {
    "kwh_yoy_growth": (-1.0, _BIG),
    "power_factor": (0.0, 1.0),
    "satisfaction_mean_365d": (1.0, 5.0),
    "satisfaction_mean_730d": (1.0, 5.0),
    "payment_earliness_730d": (0.0, 1e3),
}


def _bounded(spec: FeatureSpec) -> FeatureSpec:
    if spec.kind not in ("float", "int") or (spec.min is not None and spec.max is not None):
        return spec
    lo, hi = _NAME_BOUNDS.get(spec.name, _UNIT_BOUNDS.get(spec.unit, (float("-inf"), float("inf"))))
    return replace(spec, min=lo if spec.min is None else spec.min, max=hi if spec.max is None else spec.max)


def feature_registry(windows: Iterable[int] = DEFAULT_WINDOWS) -> dict[str, FeatureSpec]:
    """Build the registry for the given consumption windows.

    Parameters
    ----------
    windows : iterable of int
        Look-back windows of the consumption level features, in days.

    Returns
    -------
    dict of str to FeatureSpec
        In a stable order: consumption, load, payment, contacts, account, events.

    Examples
    --------
    >>> reg = feature_registry((7, 28))
    >>> reg["kwh_mean_28d"].unit
    'kWh/day'
    """
    windows = tuple(windows)
    if not windows or any((not isinstance(w, int)) or w < 1 for w in windows):
        raise ValueError(f"windows must be positive whole numbers of days, got {windows!r}")
    specs = _consumption(windows) + _load() + _payment(windows) + _contacts(windows) + _account() + _events() + _behaviour()
    return {s.name: _bounded(s) for s in specs}


#: The registry for the default windows.
FEATURES: dict[str, FeatureSpec] = feature_registry()

_WINDOWED = re.compile(r"kwh_(?:mean|median|total)_(\d+)d")


def feature_spec(name: str) -> FeatureSpec | None:
    """The spec of a feature by name, for any window (``kwh_mean_28d``); None if gridcrm has no such feature.

    Examples
    --------
    >>> feature_spec("on_time_rate_365d").min, feature_spec("on_time_rate_365d").max
    (0.0, 1.0)
    >>> feature_spec("kwh_total_28d").unit, feature_spec("not_a_feature") is None
    ('kWh', True)
    """
    if name in FEATURES:
        return FEATURES[name]
    m = _WINDOWED.fullmatch(name)
    if m is None or int(m.group(1)) < 1:
        return None
    return feature_registry((int(m.group(1)),))[name]


def registry_frame(registry: dict[str, FeatureSpec] | None = None) -> pd.DataFrame:
    """The registry as a table (for docs and notebooks).

    Examples
    --------
    >>> registry_frame().loc["arrears_amount", "unit"]
    'CNY'
    """
    reg = FEATURES if registry is None else registry
    return pd.DataFrame([s.__dict__ for s in reg.values()]).set_index("name")


# --- anomaly signals (#16): the per-customer signals of gridcrm.anomaly.anomaly_signals -----------------------------
_NO_YEAR = "fewer than 455 days of reads before as_of, or no reads in one of the two 90-day windows"
_NO_SHIFT = "too few weeks of reads for a change point (13 before, 3 after)"
_NO_REGIME = "fewer than 30 daily reads in the last 182 days, or in the same days a year earlier"
#: The anomaly signals (theft, meter faults, abnormal consumption), one row per customer at ``as_of``;
#: computed by :func:`gridcrm.anomaly.anomaly_signals`, not by :func:`build_features`.
ANOMALY_SIGNALS: dict[str, FeatureSpec] = {s.name: s for s in (
    FeatureSpec("drop_yoy_90d", "consumption", "Drop of the median daily kWh of the last 90 days against the same "
                "90 days a year earlier (0.4 = 40 % less)", "share", missing=_NO_YEAR, min=-_BIG, max=1.0),
    FeatureSpec("drop_vs_peers_90d", "consumption", "Year-on-year drop of the last 90 days beyond the median "
                "year-on-year change of the peers (same class and region)", "share", missing=_NO_YEAR,
                min=-_BIG, max=1.0),
    FeatureSpec("shift_z", "consumption", "Strength of the largest downward level shift of weekly kWh relative to "
                "peers over the last 104 weeks, beside an annual harmonic that takes up the customer's own "
                "seasonal pattern (t-value of the step in units of the customer's own noise; more negative = "
                "clearer drop)", "z", missing=_NO_SHIFT, min=-_BIG, max=_BIG),
    FeatureSpec("shift_drop", "consumption", "Size of that level shift: share of the level before it that is gone "
                "after it, relative to peers and the customer's own seasonal pattern", "share", missing=_NO_SHIFT,
                min=-_BIG, max=1.0),
    FeatureSpec("shift_days_ago", "consumption", "Days between the estimated onset of that level shift and as_of",
                "days", missing=_NO_SHIFT),
    FeatureSpec("shift_persistence", "consumption", "Share of the weeks after the shift that stay below the "
                "midpoint between the levels before and after (1 = sustained, low = intermittent)", "share",
                missing=_NO_SHIFT),
    FeatureSpec("recent_drop_vs_before", "consumption", "Drop of the last 8 weeks against the level before the "
                "shift, relative to peers", "share", missing=_NO_SHIFT, min=-_BIG, max=1.0),
    FeatureSpec("recent_drop_median", "consumption", "Drop of the median weekly kWh relative to peers over the "
                "last 8 weeks after the change point against the median of the weeks before it, without the "
                "seasonal harmonic (an old vacancy or closure spell that the harmonic bends to fit leaves the recent "
                "weeks at the level before it: no lasting drop)", "share", missing=_NO_SHIFT, min=-_BIG, max=1.0),
    FeatureSpec("peer_corr_change", "consumption", "Change of the correlation of weekly kWh with the peers' "
                "seasonal profile, last 52 weeks minus the 52 before (negative = decoupled from the season and "
                "weather the peers follow)", "ratio", missing="fewer than 20 weeks of reads in either year",
                min=-2.0, max=2.0),
    FeatureSpec("zero_share_90d", "consumption", "Share of the reads of the last 90 days that are zero", "share",
                missing=_NO_HISTORY),
    FeatureSpec("zero_run_max_90d", "consumption", "Longest run of zero reads in the last 90 days", "days",
                missing=_NO_HISTORY),
    FeatureSpec("repeat_read_share_90d", "consumption", "Share of the days of the last 90 whose non-zero read "
                "equals the day before's to the 0.01 kWh (a stuck or flat register)", "share",
                missing=_NO_HISTORY),
    FeatureSpec("regularity_ratio_90d", "consumption", "Coefficient of variation of daily kWh of the last 90 days "
                "over that of the same 90 days a year earlier (low = implausibly regular)", "ratio",
                missing=_NO_YEAR),
    FeatureSpec("capacity_use_max_90d", "consumption", "Highest daily kWh of the last 90 days over contracted "
                "kVA × 24 h (above 1 is inconsistent with the contract)", "ratio", missing=_NO_HISTORY),
    FeatureSpec("regime_drop_182d", "consumption", "Gap between a low and a high regime of daily kWh relative to "
                "peers in the last 182 days (1-D two-means split of the 3-day running mean, each regime 15-85 % "
                "of the days; 0.3 = the low regime reads 30 % less)", "share", missing=_NO_REGIME, min=0.0,
                max=1.0),
    FeatureSpec("regime_drop_change", "consumption", "regime_drop_182d minus the same gap in the same 182 days a "
                "year earlier (positive = on/off regimes that were not there before: intermittent tampering)",
                "share", missing=_NO_REGIME, min=-1.0, max=1.0),
    FeatureSpec("regime_separation_change", "consumption", "Separation of the two regimes (gap over the pooled "
                "within-regime spread) in the last 182 days minus that of the same days a year earlier", "z",
                missing=_NO_REGIME, min=-_BIG, max=_BIG),
    FeatureSpec("regime_switches_182d", "consumption", "Changes between the low and the high regime in the last "
                "182 days, in time order (1 = a single step; 10-40 = regimes of days to weeks; more = noise)",
                "count", missing=_NO_REGIME),
    FeatureSpec("regime_low_spells_182d", "consumption", "Spells of at least 5 days in the low regime in the "
                "last 182 days (1 = a single step down; several = a load switched off and on again)", "count",
                missing=_NO_REGIME),
    FeatureSpec("weekly_pattern_change_z", "consumption", "Change at the level shift of the customer's weekend/"
                "weekday contrast (mean log of daily kWh relative to peers on Saturdays and Sundays minus on other "
                "days, after the change point minus before), over its standard error: a new household or a "
                "business cutting its working days changes the weekly pattern, a bypass of a share of the load "
                "does not", "z", missing="no change point, or fewer than 8 days in a part", min=-_BIG, max=_BIG),
    FeatureSpec("season_slope_change_z", "consumption", "Change at the level shift of the slope of the "
                "customer's weekly log kWh on its peers' (the seasonal and temperature response), after the change "
                "point minus before, over its standard error: a new household heats and cools differently, a heat "
                "pump or insulation (or a bypassed heating circuit) flattens it, a bypass of a share of the load "
                "keeps it", "z", missing="no change point, or fewer than 8 weeks after it", min=-_BIG, max=_BIG),
    FeatureSpec("empty_days_at_shift", "consumption", "Days read below 15 % of the customer's usual level (median "
                "weekly kWh/day) within 21 days either side of the change point: a home left empty between two "
                "households (a move) reads its standby load at the step; a bypass does not empty the home",
                "days", missing="no change point", min=0.0),
    FeatureSpec("application_days_from_shift", "contacts", "Days between the estimated onset of the level shift "
                "and the nearest application before as_of for a change of account holder, of contracted capacity "
                "or a closure (contacts.kind = application, category name_transfer, capacity_change or "
                "account_closure): a legitimate change is often announced", "days",
                missing="no change point, no such application before as_of, or no contacts table", min=0.0),
    FeatureSpec("days_since_clean_inspection", "consumption", "Days between the last site inspection before "
                "as_of that found nothing (inspections.result = clean) and as_of (a crew saw the meter after a "
                "drop that began earlier: evidence against theft)", "days",
                missing="no clean inspection before as_of, or no inspections table"),
    FeatureSpec("bill_read_gap_180d", "payment", "Median relative gap between billed kWh and the sum of the daily "
                "reads of the month, bills issued in the last 180 days", "ratio",
                missing="no bills, or none in the last 180 days"),
    FeatureSpec("interval_repeat_share_30d", "load", "Share of 15-minute intervals of the last 30 days whose "
                "non-zero kW repeats the one before exactly (stuck meter)", "share", missing=_NO_INTERVAL),
    FeatureSpec("power_factor_change_7d", "load", "Power factor of the last 7 days minus that of the 23 days "
                "before (sudden change: wiring, capacitor or phase fault)", "ratio",
                missing=_NO_INTERVAL + ", or no reactive power", min=-1.0, max=1.0),
)}
ANOMALY_SIGNALS = {name: _bounded(spec) for name, spec in ANOMALY_SIGNALS.items()}
