"""Billing and payment features.

A bill counts as *paid in full* on the date its payments (made before
``as_of``) first add up to its amount, to the cent; a bill of amount 0 is paid
when issued. It is *on time* when paid in full on or before its due date, and
its *days late* are the days from the due date to full payment, or to
``as_of`` while it is still unpaid. A bill is *in arrears* when it is not paid
in full within :data:`ARREARS_DAYS` days of its due date; that is known only
for bills due more than :data:`ARREARS_DAYS` days before ``as_of``. Windows are
``[as_of - 365 days, as_of)`` or ``[as_of - 730 days, as_of)`` on the date
named by each feature (due date, issue date or payment date).

The 730-day features describe the customer's payment habits over a longer
history: how early in the payment window bills are usually paid
(``payment_earliness_730d``), how often they are a little late, in arrears,
or left unpaid, and how late arrears get paid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.features._common import (
    DAY_NS,
    DAYS_PER_MONTH,
    count,
    group_max,
    isin,
    ns,
    positions,
    ratio,
    total,
    window_mask,
)
from gridcrm.features.registry import ONLINE_CHANNELS

__all__ = ["payment_features", "PAYMENT_FEATURE_NAMES", "CENT", "ARREARS_DAYS"]

#: Tolerance of "paid in full" (rounding of the amounts).
CENT: float = 0.005
#: Days after the due date by which a bill must be paid in full not to be in arrears.
ARREARS_DAYS: int = 15
_WINDOW = 365
_LONG_WINDOW = 730
_UNPAID_DAYS = 60
PAYMENT_FEATURE_NAMES: tuple[str, ...] = (
    "bills_365d",
    "bill_amount_mean_365d",
    "on_time_rate_365d",
    "days_late_mean_365d",
    "days_late_max_365d",
    "arrears_count",
    "arrears_amount",
    "late_bills_365d",
    "months_since_last_arrears",
    "partial_payment_share_365d",
    "online_channel_share_365d",
    "disconnection_notices_365d",
    "payments_365d",
    "payment_earliness_730d",
    "on_time_rate_730d",
    "slightly_late_rate_730d",
    "arrears_rate_730d",
    "unpaid_60d_rate_730d",
    "arrears_log_days_late_730d",
    "arrears_after_arrears_rate_730d",
    "disconnection_notices_730d",
    "last_bill_days_late",
    "last_bill_unpaid_share",
)
_NEVER = np.iinfo(np.int64).max


def bill_status(bills: pd.DataFrame, payments: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per bill known at ``as_of``: amount paid, payments, date paid in full, days late.

    Parameters
    ----------
    bills, payments : DataFrame
        Tables of the data model.
    as_of : Timestamp

    Returns
    -------
    DataFrame
        One row per bill issued before ``as_of`` with ``bill_id``, ``customer_id``,
        ``issued_on``, ``due_on``, ``amount``, ``paid`` (CNY), ``n_payments``,
        ``paid_full_on`` (NaT while not paid in full), ``on_time`` (bool) and
        ``days_late`` (NaN while not yet due).

    Examples
    --------
    >>> import pandas as pd
    >>> bills = pd.DataFrame({"bill_id": [1, 2], "customer_id": [7, 7],
    ...     "issued_on": pd.to_datetime(["2024-01-03", "2024-02-03"]),
    ...     "due_on": pd.to_datetime(["2024-01-20", "2024-02-20"]), "amount": [10.0, 12.0]})
    >>> pays = pd.DataFrame({"bill_id": [1, 1], "customer_id": [7, 7],
    ...     "paid_on": pd.to_datetime(["2024-01-10", "2024-01-25"]), "amount": [4.0, 6.0]})
    >>> bill_status(bills, pays, pd.Timestamp("2024-03-01"))[["bill_id", "n_payments", "on_time", "days_late"]]
       bill_id  n_payments  on_time  days_late
    0        1           2    False        5.0
    1        2           0    False       10.0
    """
    end = as_of.value
    issued = ns(bills["issued_on"])
    b = bills.loc[issued < end, ["bill_id", "customer_id", "issued_on", "due_on", "amount"]]
    order = np.argsort(b["bill_id"].to_numpy(), kind="stable")
    b = b.iloc[order].reset_index(drop=True)
    bill_ids = b["bill_id"].to_numpy()
    amount = b["amount"].to_numpy(dtype=np.float64)
    nb = len(b)

    paid_on = ns(payments["paid_on"])
    p = payments.loc[paid_on < end]
    paid_on = paid_on[paid_on < end]
    bpos = positions(bill_ids, p["bill_id"].to_numpy())
    known = bpos >= 0
    bpos, paid_on = bpos[known], paid_on[known]
    pay_amount = p["amount"].to_numpy(dtype=np.float64)[known]

    paid = np.bincount(bpos, weights=pay_amount, minlength=nb)
    n_payments = np.bincount(bpos, minlength=nb).astype(np.int64)
    # date of full payment: the first payment at which the bill's running total reaches its amount
    by_date = np.lexsort((paid_on, bpos))
    running = pd.Series(pay_amount[by_date]).groupby(bpos[by_date]).cumsum().to_numpy()
    reached = running >= amount[bpos[by_date]] - CENT
    full_on = np.full(nb, _NEVER, dtype=np.int64)
    np.minimum.at(full_on, bpos[by_date][reached], paid_on[by_date][reached])
    free = amount <= CENT
    full_on[free] = np.minimum(full_on[free], ns(b["issued_on"])[free])

    due = ns(b["due_on"])
    is_paid = full_on < _NEVER
    on_time = is_paid & (full_on <= due)
    late_to = np.where(is_paid, full_on, end)
    days_late = np.maximum(late_to - due, 0) / DAY_NS
    days_late = np.where(due < end, days_late, np.nan)

    return b.assign(
        paid=paid,
        n_payments=n_payments,
        paid_full_on=np.where(is_paid, full_on, np.iinfo(np.int64).min).view("datetime64[ns]"),
        on_time=on_time,
        days_late=days_late,
    )


def payment_features(
    bills: pd.DataFrame,
    payments: pd.DataFrame,
    events: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: pd.Timestamp,
) -> dict[str, np.ndarray]:
    """Billing and payment features of ``customers`` (sorted by ``customer_id``) at ``as_of``.

    Returns
    -------
    dict of str to ndarray
        Keyed by :data:`PAYMENT_FEATURE_NAMES`.

    Examples
    --------
    >>> import pandas as pd
    >>> bills = pd.DataFrame({"bill_id": [1], "customer_id": [7], "issued_on": pd.to_datetime(["2024-01-03"]),
    ...                       "due_on": pd.to_datetime(["2024-01-20"]), "amount": [10.0]})
    >>> pays = pd.DataFrame({"bill_id": [1], "customer_id": [7], "paid_on": pd.to_datetime(["2024-01-10"]),
    ...                      "amount": [4.0], "channel": ["wechat"]})
    >>> events = pd.DataFrame({"customer_id": [], "at": pd.to_datetime([]), "kind": []})
    >>> f = payment_features(bills, pays, events, pd.DataFrame({"customer_id": [7]}), pd.Timestamp("2024-02-01"))
    >>> int(f["arrears_count"][0]), float(f["arrears_amount"][0]), float(f["days_late_max_365d"][0])
    (1, 6.0, 12.0)
    >>> float(f["last_bill_days_late"][0]), float(f["last_bill_unpaid_share"][0])
    (12.0, 0.6)

    ``payment_earliness_730d`` is the mean of ``-ln((d + 0.5) / (w + 1))`` over the bills
    paid in full by their due date, ``d`` days after issue with ``w`` days from issue to
    due date: higher is earlier, 0.03 for a payment on the due date of a 17-day window, 3.6 on the issue day.

    >>> pays = pays.assign(amount=[10.0], paid_on=pd.to_datetime(["2024-01-03"]))
    >>> f = payment_features(bills, pays, events, pd.DataFrame({"customer_id": [7]}), pd.Timestamp("2024-02-01"))
    >>> round(float(f["payment_earliness_730d"][0]), 2), float(f["on_time_rate_730d"][0])
    (3.58, 1.0)
    """
    ids = customers["customer_id"].to_numpy()
    n = len(ids)
    end = as_of.value
    status = bill_status(bills, payments, as_of)
    pos = positions(ids, status["customer_id"].to_numpy())
    due = ns(status["due_on"])
    amount = status["amount"].to_numpy(dtype=np.float64)
    on_time = status["on_time"].to_numpy()
    days_late = status["days_late"].to_numpy()
    n_payments = status["n_payments"].to_numpy()
    unpaid = amount - status["paid"].to_numpy()

    due_window = window_mask(due, as_of, _WINDOW)
    past_due = due < end
    in_arrears = past_due & status["paid_full_on"].isna().to_numpy()
    ever_late = past_due & ~on_time

    bills_due = count(pos, due_window, n)
    issued_window = window_mask(ns(status["issued_on"]), as_of, _WINDOW)
    last_late_due = group_max(pos, due.astype(np.float64), ever_late, n)

    pay_on = ns(payments["paid_on"])
    pay_window = window_mask(pay_on, as_of, _WINDOW)
    ppos = positions(ids, payments["customer_id"].to_numpy())
    online = isin(payments["channel"], ONLINE_CHANNELS)
    n_pay = count(ppos, pay_window, n)

    ev_on = ns(events["at"])
    epos = positions(ids, events["customer_id"].to_numpy())
    disconnection = isin(events["kind"], ("disconnection",))
    notices = window_mask(ev_on, as_of, _WINDOW) & disconnection

    long = window_mask(due, as_of, _LONG_WINDOW)
    issued = ns(status["issued_on"])
    full_on = ns(status["paid_full_on"])
    is_paid = status["paid_full_on"].notna().to_numpy()
    owed_on_time = on_time & (amount > CENT)  # a free bill is "paid" when issued: no habit to learn
    used = ((full_on - issued) / DAY_NS + 0.5) / ((due - issued) / DAY_NS + 1.0)
    earliness = np.where(owed_on_time, -np.log(np.clip(used, 1e-3, 1.0)), np.nan)
    deadline = due + ARREARS_DAYS * DAY_NS
    decided = long & (deadline < end)  # whether the bill ends in arrears is known at as_of
    in_time = is_paid & (full_on <= deadline)
    n_decided = count(pos, decided, n)
    aged = long & (due + _UNPAID_DAYS * DAY_NS <= end)
    paid_in_arrears = decided & ~in_time & is_paid
    last_due = group_max(pos, due.astype(np.float64), past_due, n)
    is_last = past_due & (pos >= 0) & (due.astype(np.float64) == last_due[np.maximum(pos, 0)])
    unpaid_share = np.clip(ratio(np.maximum(unpaid, 0.0), amount), 0.0, 1.0)
    unpaid_share[amount <= CENT] = 0.0
    long_bills = count(pos, long & past_due, n)
    # persistence: bills that follow (by issue date) a bill of the same customer that ended in arrears
    arrears = (deadline < end) & ~in_time
    by_issue = np.lexsort((issued, pos))
    follows = np.zeros(len(pos), dtype=bool)
    same = pos[by_issue][1:] == pos[by_issue][:-1]
    follows[by_issue[1:]] = same & arrears[by_issue][:-1]

    return {
        "bills_365d": bills_due,
        "bill_amount_mean_365d": ratio(total(pos, amount, issued_window, n), count(pos, issued_window, n)),
        "on_time_rate_365d": ratio(count(pos, due_window & on_time, n), bills_due),
        "days_late_mean_365d": ratio(total(pos, days_late, due_window, n), bills_due),
        "days_late_max_365d": group_max(pos, days_late, due_window, n),
        "arrears_count": count(pos, in_arrears, n),
        "arrears_amount": total(pos, np.maximum(unpaid, 0.0), in_arrears, n),
        "late_bills_365d": count(pos, due_window & ~on_time, n),
        "months_since_last_arrears": (end - last_late_due) / DAY_NS / DAYS_PER_MONTH,
        "partial_payment_share_365d": ratio(count(pos, due_window & (n_payments > 1), n), bills_due),
        "online_channel_share_365d": ratio(count(ppos, pay_window & online, n), n_pay),
        "disconnection_notices_365d": count(epos, notices, n),
        "payments_365d": n_pay,
        "payment_earliness_730d": ratio(total(pos, earliness, long, n), count(pos, long & owed_on_time, n)),
        "on_time_rate_730d": ratio(count(pos, long & past_due & on_time, n), long_bills),
        "slightly_late_rate_730d": ratio(count(pos, decided & ~on_time & in_time, n), n_decided),
        "arrears_rate_730d": ratio(count(pos, decided & ~in_time, n), n_decided),
        "unpaid_60d_rate_730d": ratio(count(pos, aged & ~is_paid, n), count(pos, aged, n)),
        "arrears_log_days_late_730d": ratio(total(pos, np.log1p(days_late), paid_in_arrears, n),
                                            count(pos, paid_in_arrears, n)),
        "arrears_after_arrears_rate_730d": ratio(count(pos, decided & follows & ~in_time, n),
                                                 count(pos, decided & follows, n)),
        "disconnection_notices_730d": count(epos, window_mask(ev_on, as_of, _LONG_WINDOW) & disconnection, n),
        "last_bill_days_late": group_max(pos, days_late, is_last, n),
        "last_bill_unpaid_share": group_max(pos, unpaid_share, is_last, n),
    }
