"""Service-contact features: calls, complaints by category, repairs, applications, satisfaction.

Windows are ``[as_of - w days, as_of)`` on the contact's timestamp;
``complaints_3m`` counts the complaints of the last three calendar months,
``[as_of - 3 months, as_of)``. Over two years, how often a customer calls and
complains, and how many of the contacts are complaints, describe how satisfied
the customer is better than the rare survey scores; billing calls and
complaints show how the customer reacts to the size of the bills. Calls, complaints
and repairs about outages or the line (``outage_contacts_365d``) say how much the
quality of supply bothers the customer; capacity-change applications
(``capacity_change_applications_365d``) announce a change of load. The service the customer got —
tickets still open at ``as_of``, hours to close the year's tickets, repeat contacts on one topic —
is what the service step's satisfaction drivers measure, fed back here to the churn model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.features._common import DAY_NS, count, group_max, isin, ns, positions, ratio, total, window_mask
from gridcrm.features.registry import COMPLAINT_CATEGORIES

__all__ = ["contact_features", "contact_feature_names", "CONTACT_WINDOWS", "TICKET_FEATURES"]

#: Windows of the call, complaint and repair counts, in days.
CONTACT_WINDOWS: tuple[int, ...] = (90, 365, 730)
_KIND_COLUMNS = {"call": "calls", "complaint": "complaints", "repair": "repairs"}
#: Contact categories about the supply itself (``outage_contacts_365d``).
_SUPPLY_CATEGORIES: tuple[str, ...] = ("outage", "line")


#: Features of the service a customer got (tickets' closing times and repeats; NaN without those columns).
TICKET_FEATURES: tuple[str, ...] = ("tickets_open", "resolution_hours_mean_365d", "repeat_contacts_365d")
#: Contact kinds that are tickets the utility has to close.
_TICKET_KINDS: tuple[str, ...] = ("complaint", "repair")


def contact_feature_names() -> list[str]:
    """Names of the columns :func:`contact_features` returns, in order."""
    names = [f"{col}_{w}d" for w in CONTACT_WINDOWS for col in _KIND_COLUMNS.values()]
    names += [f"complaints_{c}_365d" for c in COMPLAINT_CATEGORIES]
    return names + ["applications_365d", "satisfaction_mean_365d", "days_since_last_complaint", "complaints_3m",
                    "satisfaction_mean_730d", "complaint_share_730d", "billing_contacts_730d", "outage_contacts_365d",
                    "capacity_change_applications_365d", *TICKET_FEATURES]


def contact_features(contacts: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    """Contact features of ``customers`` (sorted by ``customer_id``) at ``as_of``.

    ``days_since_last_complaint`` counts calendar days: a complaint made at any
    time on the day before ``as_of`` is 1 day old.

    Returns
    -------
    dict of str to ndarray
        Keyed by :func:`contact_feature_names`.

    Examples
    --------
    >>> import pandas as pd
    >>> contacts = pd.DataFrame({"customer_id": [7, 7], "kind": ["complaint", "survey"],
    ...     "at": pd.to_datetime(["2024-01-10 15:00", "2024-01-12 09:00"]), "category": ["outage", None],
    ...     "satisfaction": [None, 2.0]})
    >>> f = contact_features(contacts, pd.DataFrame({"customer_id": [7]}), pd.Timestamp("2024-02-01"))
    >>> int(f["complaints_outage_365d"][0]), float(f["satisfaction_mean_365d"][0])
    (1, 2.0)
    >>> float(f["days_since_last_complaint"][0])  # 10 January → 1 February
    22.0
    >>> int(f["complaints_3m"][0]), float(f["complaint_share_730d"][0]), int(f["billing_contacts_730d"][0])
    (1, 1.0, 0)
    >>> int(f["outage_contacts_365d"][0]), int(f["capacity_change_applications_365d"][0])
    (1, 0)
    """
    ids = customers["customer_id"].to_numpy()
    n = len(ids)
    at = ns(contacts["at"])
    pos = positions(ids, contacts["customer_id"].to_numpy())
    before = at < as_of.value
    kind = contacts["kind"]
    out: dict[str, np.ndarray] = {}
    kinds = {k: isin(kind, (k,)) for k in (*_KIND_COLUMNS, "application")}
    for w in CONTACT_WINDOWS:
        win = window_mask(at, as_of, w)
        for k, col in _KIND_COLUMNS.items():
            out[f"{col}_{w}d"] = count(pos, win & kinds[k], n)
    year = window_mask(at, as_of, 365)
    complaint_year = year & kinds["complaint"]
    category = contacts["category"]
    for c in COMPLAINT_CATEGORIES:
        out[f"complaints_{c}_365d"] = count(pos, complaint_year & isin(category, (c,)), n)
    out["applications_365d"] = count(pos, year & kinds["application"], n)
    score = contacts["satisfaction"].to_numpy(dtype=np.float64, na_value=np.nan)
    out["satisfaction_mean_365d"] = ratio(total(pos, score, year, n), count(pos, year & ~np.isnan(score), n))
    day = (at // DAY_NS).astype(np.float64)
    last = group_max(pos, day, before & kinds["complaint"], n)
    out["days_since_last_complaint"] = as_of.value // DAY_NS - last
    quarter = (at >= (as_of - pd.DateOffset(months=3)).value) & before
    out["complaints_3m"] = count(pos, quarter & kinds["complaint"], n)
    two_years = window_mask(at, as_of, 730)
    out["satisfaction_mean_730d"] = ratio(total(pos, score, two_years, n),
                                          count(pos, two_years & ~np.isnan(score), n))
    out["complaint_share_730d"] = ratio(out["complaints_730d"], out["complaints_730d"] + out["calls_730d"])
    billing = two_years & (kinds["call"] | kinds["complaint"]) & isin(category, ("billing", "tariff"))
    out["billing_contacts_730d"] = count(pos, billing, n)
    supply = year & (kinds["call"] | kinds["complaint"] | kinds["repair"]) & isin(category, _SUPPLY_CATEGORIES)
    out["outage_contacts_365d"] = count(pos, supply, n)
    out["capacity_change_applications_365d"] = count(pos, year & kinds["application"]
                                                      & isin(category, ("capacity_change",)), n)
    out.update(_ticket_features(contacts, pos, at, before, year, kinds, as_of, n))
    return out


def _ticket_features(contacts: pd.DataFrame, pos: np.ndarray, at: np.ndarray, before: np.ndarray,
                     year: np.ndarray, kinds: dict[str, np.ndarray], as_of: pd.Timestamp,
                     n: int) -> dict[str, np.ndarray]:
    """Tickets still open at ``as_of`` (a closing on or after it is not yet known), mean hours to close the
    year's tickets, repeat contacts; NaN for every customer when the extract has no closing times or
    repeat flags (an older extract), not 0."""
    nan = np.full(n, np.nan)
    out = {name: nan.copy() for name in TICKET_FEATURES}
    ticket = kinds["complaint"] | kinds["repair"]
    if "closed_at" in contacts.columns and contacts["closed_at"].notna().any():
        closed = contacts["closed_at"]
        closed_ns = np.where(closed.isna().to_numpy(), np.iinfo(np.int64).max, ns(closed.fillna(pd.Timestamp(0))))
        known = closed_ns < as_of.value
        out["tickets_open"] = count(pos, before & ticket & ~known, n).astype(np.float64)
        hours = (closed_ns - at) / 3.6e12
        done = year & ticket & known
        out["resolution_hours_mean_365d"] = ratio(total(pos, np.where(done, hours, 0.0), done, n), count(pos, done, n))
    if "repeat" in contacts.columns and contacts["repeat"].notna().any():
        repeat = contacts["repeat"].fillna(False).to_numpy(dtype=bool)
        out["repeat_contacts_365d"] = count(pos, year & repeat, n).astype(np.float64)
    return out
