"""Complaint hotspots by region × topic × month (or supply station, customer class) and resolution times.

:func:`complaint_hotspots` counts complaints per cell and month, with the rate per 1,000 open
accounts, and raises an alert when a month's count is beyond what the cell's own history
explains: the expected count is the cell's rate over the previous ``history`` months (with half
a complaint added, so a quiet history does not make one complaint an alert) times this
month's open accounts, and the upper control limit is the ``1 - alpha`` quantile of a
negative binomial with that mean and the cell's history's overdispersion (a Poisson when the
history shows none). :func:`resolution_times` gives the time-to-resolve distribution and the
share of tickets resolved within the service standard per topic (and region). Both read only
what was known before ``as_of``: contacts made before it, tickets closed before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from gridcrm.errors import InputError

__all__ = ["complaint_hotspots", "resolution_times"]

_GROUPS = ("region", "supply_station", "customer_class", "topic")


def _need(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{table}: missing column(s) {missing}; the service capability needs "
                         f"{list(columns)} (contacts.topic comes from the generator or ComplaintClassifier)")


def _with_groups(contacts: pd.DataFrame, customers: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    bad = [b for b in by if b not in _GROUPS]
    if bad or not by:
        raise InputError(f"by: {bad or list(by)} not allowed; expected a non-empty list of {list(_GROUPS)}")
    cust_cols = [b for b in by if b != "topic"]
    _need(customers, ["customer_id", *cust_cols], "customers")
    return contacts.merge(customers[["customer_id", *cust_cols]], on="customer_id", how="inner")


def complaint_hotspots(contacts: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp | str, *,
                       by: Sequence[str] = ("region", "topic"), kinds: Sequence[str] = ("complaint",),
                       history: int = 12, min_history: int = 6, alpha: float = 0.005) -> pd.DataFrame:
    """Complaints per cell and month with control limits and alerts.

    Parameters
    ----------
    contacts : DataFrame
        ``customer_id``, ``at``, ``kind``, ``topic``.
    customers : DataFrame
        ``customer_id``, ``connected_on``, ``closed_on`` and the columns of ``by``.
    as_of : Timestamp-like
        Months that ended before it are counted.
    by : sequence of {"region", "supply_station", "customer_class", "topic"}
    kinds : sequence of str
        Kinds of contact counted.
    history : int
        Months of each cell's own history behind its expected count.
    min_history : int
        Fewest months of history before a cell can alert.
    alpha : float
        One-sided false-alarm probability of the control limit per cell and month.

    Returns
    -------
    DataFrame
        One row per cell and month: the ``by`` columns, ``month`` (first day), ``complaints``,
        ``accounts`` (open in the month), ``rate_per_1000``, ``expected``, ``upper_limit``,
        ``alert`` (complaints above the limit) and ``ratio`` (complaints / expected).

    Examples
    --------
    >>> cust = pd.DataFrame({"customer_id": [1, 2], "region": ["A", "A"],
    ...                      "connected_on": pd.to_datetime(["2020-01-01"] * 2), "closed_on": pd.NaT})
    >>> at = pd.date_range("2023-01-05", periods=12, freq="MS").append(pd.DatetimeIndex(["2023-12-10"] * 9))
    >>> con = pd.DataFrame({"customer_id": 1, "at": at, "kind": "complaint", "topic": "outage"})
    >>> out = complaint_hotspots(con, cust, "2024-01-01", min_history=6)
    >>> out[["complaints", "expected", "upper_limit", "alert"]].tail(2).round(2).values.tolist()
    [[1, 1.06, 4.0, False], [10, 1.05, 4.0, True]]
    """
    from scipy import stats

    from gridcrm.data.dates import as_date

    cut = as_date(as_of, "as_of")
    _need(contacts, ["customer_id", "at", "kind", "topic"], "contacts")
    _need(customers, ["customer_id", "connected_on", "closed_on"], "customers")
    if not 0 < alpha < 0.5:
        raise InputError(f"alpha: expected a probability between 0 and 0.5, got {alpha!r}")
    if history < 2 or min_history < 2:
        raise InputError(f"history and min_history: expected at least 2 months, got {history}, {min_history}")
    by = list(by)
    seen = contacts.loc[(contacts["at"] < cut) & contacts["kind"].isin(list(kinds)) & contacts["topic"].notna()]
    seen = _with_groups(seen, customers, by)
    last = (cut.to_period("M") - 1)
    if seen.empty:
        return pd.DataFrame(columns=[*by, "month", "complaints", "accounts", "rate_per_1000", "expected",
                                     "upper_limit", "alert", "ratio"])
    months = pd.period_range(seen["at"].min().to_period("M"), last, freq="M")
    seen = seen.assign(month=seen["at"].dt.to_period("M"))
    seen = seen[seen["month"] <= last]
    counts = seen.groupby([*by, "month"], observed=True).size().unstack("month", fill_value=0)
    counts = counts.reindex(columns=months, fill_value=0)
    # open accounts per (customer-side group, month)
    cust_by = [b for b in by if b != "topic"]
    start = months.start_time.to_numpy()
    end = (months.end_time).to_numpy()
    open_ = (customers["connected_on"].to_numpy()[:, None] <= end[None, :]) & ~(
        customers["closed_on"].to_numpy()[:, None] < start[None, :])
    open_frame = pd.DataFrame(open_, columns=months)
    if cust_by:
        accounts = open_frame.groupby([customers[c].to_numpy() for c in cust_by]).sum()
        accounts.index.names = cust_by
        key = counts.index.droplevel([b for b in by if b not in cust_by]) if len(by) > len(cust_by) else counts.index
        acc = accounts.reindex(key).fillna(0).to_numpy()
    else:
        acc = np.repeat(open_frame.sum().to_numpy()[None, :], len(counts), axis=0)
    c = counts.to_numpy(dtype=float)
    rate = np.divide(c, acc, out=np.full_like(c, np.nan), where=acc > 0)
    # the cell's rate over its history, with half a complaint added so that a quiet history is not "never"
    past_c = pd.DataFrame(c).T.shift(1).rolling(history, min_periods=min_history).sum().T.to_numpy()
    past_a = pd.DataFrame(acc).T.shift(1).rolling(history, min_periods=min_history).sum().T.to_numpy()
    mean_rate = np.divide(past_c + 0.5, past_a, out=np.full_like(c, np.nan), where=past_a > 0)
    expected = mean_rate * acc
    past_counts = pd.DataFrame(c).T.shift(1).rolling(history, min_periods=min_history)
    mu_hist, var_hist = past_counts.mean().T.to_numpy(), past_counts.var().T.to_numpy()
    over = np.where(var_hist > mu_hist, (var_hist - mu_hist) / np.maximum(mu_hist, 1e-9) ** 2, 0.0)  # NB 1/r
    mu = np.maximum(expected, 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(over > 0, 1.0 / over, np.inf)
        p = r / (r + mu)
        nb = stats.nbinom.ppf(1 - alpha, np.where(np.isfinite(r), r, 1.0), np.where(np.isfinite(r), p, 0.5))
        pois = stats.poisson.ppf(1 - alpha, mu)
    limit = np.where(np.isnan(expected), np.nan, np.where(np.isfinite(r), nb, pois))
    out = pd.DataFrame({
        "complaints": c.ravel().astype(np.int64), "accounts": acc.ravel().astype(np.int64),
        "rate_per_1000": 1000 * rate.ravel(), "expected": expected.ravel(), "upper_limit": limit.ravel(),
    })
    idx = counts.index.to_frame(index=False)
    cells = idx.loc[idx.index.repeat(len(months))].reset_index(drop=True)
    out.insert(0, "month", np.tile(months.start_time.to_numpy(), len(counts)))
    out = pd.concat([cells, out], axis=1)
    out["alert"] = (out["complaints"] > out["upper_limit"]).fillna(False).astype(bool)
    out["ratio"] = out["complaints"] / out["expected"].where(out["expected"] > 0)
    return out


def resolution_times(contacts: pd.DataFrame, as_of: pd.Timestamp | str, standards: Mapping[str, float], *,
                     customers: pd.DataFrame | None = None, by: Sequence[str] = ("topic",),
                     kinds: Sequence[str] = ("complaint", "repair", "call", "application")) -> pd.DataFrame:
    """Time to resolve and the share resolved within the service standard, per group.

    A ticket opened before ``as_of`` is resolved if ``closed_at`` is before ``as_of`` (a later
    closing time was not yet known); a ticket still open counts as not within the standard
    once it is older than the standard.

    Parameters
    ----------
    contacts : DataFrame
        ``customer_id``, ``at``, ``kind``, ``topic``, ``closed_at``.
    as_of : Timestamp-like
    standards : mapping
        Topic → service standard in hours (topics without one: no share).
    customers : DataFrame, optional
        Needed when ``by`` holds a customer column (``region``, ...).
    by : sequence of str
    kinds : sequence of str

    Returns
    -------
    DataFrame
        Per group: ``tickets``, ``resolved``, ``open``, ``median_hours``, ``p90_hours`` (of resolved
        tickets), ``standard_hours``, ``within_standard`` (share of tickets that are due).

    Examples
    --------
    >>> con = pd.DataFrame({"customer_id": 1, "kind": "complaint", "topic": "outage",
    ...     "at": pd.to_datetime(["2024-01-01 08:00"] * 3),
    ...     "closed_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 08:00", None])})
    >>> resolution_times(con, "2024-02-01", {"outage": 4})[["tickets", "open", "median_hours", "within_standard"]]
       tickets  open  median_hours  within_standard
    0        3     1          13.0         0.333333
    """
    from gridcrm.data.dates import as_date

    cut = as_date(as_of, "as_of")
    _need(contacts, ["customer_id", "at", "kind", "topic", "closed_at"], "contacts")
    seen = contacts.loc[(contacts["at"] < cut) & contacts["kind"].isin(list(kinds)) & contacts["topic"].notna()]
    by = list(by)
    if [b for b in by if b != "topic"]:
        if customers is None:
            raise InputError(f"resolution_times: by={by} needs the customers table")
        seen = _with_groups(seen, customers, by)
    closed = seen["closed_at"].where(seen["closed_at"] < cut)
    hours = (closed - seen["at"]).dt.total_seconds() / 3600
    age = (cut - seen["at"]).dt.total_seconds() / 3600
    std = seen["topic"].astype(str).map(dict(standards)).astype(float)
    due = hours.notna() | (age > std)
    within = (hours <= std) & hours.notna()
    frame = pd.DataFrame({"hours": hours, "resolved": hours.notna(), "due": due & std.notna(),
                          "within": within & std.notna(), "std": std})
    keys = [seen[b].astype(str).to_numpy() for b in by]
    g = frame.groupby(keys)
    out = pd.DataFrame({
        "tickets": g.size(), "resolved": g["resolved"].sum(), "median_hours": g["hours"].median(),
        "p90_hours": g["hours"].quantile(0.9), "standard_hours": g["std"].first(),
        "within_standard": g["within"].sum() / g["due"].sum().where(g["due"].sum() > 0),
    })
    out.insert(2, "open", out["tickets"] - out["resolved"])
    out.index.names = by
    return out.reset_index()
