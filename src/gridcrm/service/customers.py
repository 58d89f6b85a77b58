"""The screening list (contacts with reasons) and per-customer service features.

:func:`screening_list` takes every contact with a text made before ``as_of`` and gives the
reasons to look at it: sensitive words (:class:`~gridcrm.service.SensitiveScreen`, negated and
quoted mentions not counted), urgency (:meth:`~gridcrm.service.ComplaintClassifier.urgency`),
and the behaviour signals of the issue: a repeat contact on the same topic within
``repeat_days`` and rising anger (a contact angrier than the customer's previous one, anger =
urgency score + severity of the words). Texts are masked (:func:`~gridcrm.service.mask_pii`)
before they are returned. :func:`customer_service_features` sums it up per customer over a
window: complaints, repeat contacts, escalation contacts, worst severity, the last topics,
``frequent_complainer`` and ``escalation_risk``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.errors import InputError
from gridcrm.service.pii import mask_pii

__all__ = ["customer_service_features", "screening_list"]

_LIST_COLUMNS = ["contact_id", "customer_id", "at", "kind", "topic", "max_severity", "urgency", "anger", "repeat",
                 "rising_anger", "flagged", "reasons", "text"]


def screening_list(contacts: pd.DataFrame, as_of: pd.Timestamp | str, *, topics: pd.Series | None = None,
                   screen: object | None = None, classifier: object | None = None,
                   repeat_days: int = 30) -> pd.DataFrame:
    """Contacts with a text before ``as_of``, with what makes each one worth a look.

    Parameters
    ----------
    contacts : DataFrame
        ``contact_id``, ``customer_id``, ``at``, ``kind``, ``text`` (``topic`` used when present).
    as_of : Timestamp-like
    topics : Series, optional
        Topic per contact (index aligned with ``contacts``), e.g. a classifier's; default ``contacts.topic``.
    screen : SensitiveScreen, optional
        Default: the shipped lexicon.
    classifier : ComplaintClassifier, optional
        Its :meth:`urgency` is used (a fitted one keeps its rules); default: the shipped rules.
    repeat_days : int

    Returns
    -------
    DataFrame
        One row per contact with a text: ``contact_id``, ``customer_id``, ``at``, ``kind``, ``topic``,
        ``max_severity``, ``urgency``, ``anger``, ``repeat``, ``rising_anger``, ``flagged`` (a
        sensitive word, high urgency, a repeat or rising anger), ``reasons`` and the masked ``text``;
        flagged contacts first, by severity.
    """
    from gridcrm.data.dates import as_date
    from gridcrm.service.classify import ComplaintClassifier
    from gridcrm.service.screen import SensitiveScreen

    missing = [c for c in ("contact_id", "customer_id", "at", "kind", "text") if c not in contacts.columns]
    if missing:
        raise InputError(f"contacts: missing column(s) {missing}; the screening list needs the contact texts")
    cut = as_date(as_of, "as_of")
    seen = contacts.loc[(contacts["at"] < cut) & contacts["text"].notna()].copy()
    if topics is not None:
        seen["topic"] = topics.reindex(seen.index)
    elif "topic" not in seen.columns:
        seen["topic"] = None
    seen = seen.sort_values(["customer_id", "at"], kind="stable")
    texts = seen["text"].astype(str).tolist()
    screen = SensitiveScreen() if screen is None else screen
    flags = screen.flags(texts)
    urgency = (classifier if classifier is not None else ComplaintClassifier()).urgency(texts)
    sev = flags["max_severity"].to_numpy()
    anger = urgency["score"].to_numpy() + sev
    cust = seen["customer_id"].to_numpy()
    same_customer = np.r_[False, cust[1:] == cust[:-1]]
    prev_anger = np.r_[0, anger[:-1]]
    rising = same_customer & (anger > prev_anger) & (prev_anger > 0)
    topic = seen["topic"].astype(object).to_numpy()
    at = seen["at"].to_numpy()
    order = np.lexsort((at, pd.Series(topic).astype(str).to_numpy(), cust))
    repeat = np.zeros(len(seen), dtype=bool)
    if len(seen) > 1:
        same = (cust[order][1:] == cust[order][:-1]) & (topic[order][1:] == topic[order][:-1]) & pd.notna(
            topic[order][1:])
        near = (at[order][1:] - at[order][:-1]) <= np.timedelta64(repeat_days, "D")
        repeat[order[1:]] = same & near
    reasons = []
    for i in range(len(seen)):  # only strings are joined here; every signal above is vectorised
        r = [flags.at[i, "reasons"]] if sev[i] else []
        if urgency.at[i, "score"] and urgency.at[i, "reasons"]:
            r.append(f"urgent ({urgency.at[i, 'level']}): {urgency.at[i, 'reasons']}")
        if repeat[i]:
            r.append(f"repeat: {topic[i]} again within {repeat_days} days")
        if rising[i]:
            r.append("rising anger")
        reasons.append("; ".join(r))
    out = pd.DataFrame({
        "contact_id": seen["contact_id"].to_numpy(), "customer_id": cust, "at": at,
        "kind": seen["kind"].astype(str).to_numpy(), "topic": topic, "max_severity": sev,
        "urgency": urgency["level"].to_numpy(), "anger": anger, "repeat": repeat, "rising_anger": rising,
        "reasons": reasons, "text": mask_pii(texts),
    })
    flagged = (sev > 0) | (urgency["score"].to_numpy() >= 2) | repeat | rising
    out.insert(out.columns.get_loc("reasons"), "flagged", flagged)
    return out.sort_values(["flagged", "max_severity", "anger", "at"], ascending=[False, False, False, False],
                           kind="stable").reset_index(drop=True)[_LIST_COLUMNS]


def customer_service_features(screened: pd.DataFrame, as_of: pd.Timestamp | str, *, window_days: int = 365,
                              frequent_complainer: int = 3, n_last_topics: int = 3) -> pd.DataFrame:
    """Per customer, what the contacts of the last ``window_days`` before ``as_of`` say.

    Parameters
    ----------
    screened : DataFrame
        Output of :func:`screening_list`.
    as_of : Timestamp-like
    window_days, frequent_complainer, n_last_topics : int

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``: ``service_complaints``, ``service_repeat_contacts``,
        ``service_escalation_contacts`` (a sensitive word of severity ≥ 2), ``service_max_severity``,
        ``service_rising_anger``, ``service_last_topics`` (most recent first), ``frequent_complainer``
        (at least ``frequent_complainer`` complaints), ``escalation_risk`` (an escalation contact,
        or rising anger together with a repeat contact).

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": [1, 1, 2], "at": pd.to_datetime(["2024-01-02", "2024-01-20", "2024-01-05"]),
    ...                   "kind": "complaint", "topic": ["outage", "billing", "meter"], "max_severity": [0, 3, 0],
    ...                   "repeat": [False, False, False], "rising_anger": [False, False, False]})
    >>> f = customer_service_features(s, "2024-02-01", frequent_complainer=2)
    >>> f[["service_complaints", "service_last_topics", "frequent_complainer", "escalation_risk"]].values.tolist()
    [[2, 'billing, outage', True, True], [1, 'meter', False, False]]
    """
    from gridcrm.data.dates import as_date

    cut = as_date(as_of, "as_of")
    w = screened.loc[(screened["at"] < cut) & (screened["at"] >= cut - pd.Timedelta(days=window_days))]
    g = w.assign(complaint=w["kind"] == "complaint", escalation=w["max_severity"] >= 2).groupby("customer_id")
    out = pd.DataFrame({
        "service_complaints": g["complaint"].sum().astype(np.int64),
        "service_repeat_contacts": g["repeat"].sum().astype(np.int64),
        "service_escalation_contacts": g["escalation"].sum().astype(np.int64),
        "service_max_severity": g["max_severity"].max().astype(np.int64),
        "service_rising_anger": g["rising_anger"].sum().astype(np.int64),
    })
    last = (w.dropna(subset=["topic"]).sort_values("at", ascending=False, kind="stable")
            .groupby("customer_id")["topic"].agg(lambda s: ", ".join(s.astype(str).head(n_last_topics))))
    out["service_last_topics"] = last.reindex(out.index).fillna("")
    out["frequent_complainer"] = out["service_complaints"] >= frequent_complainer
    out["escalation_risk"] = (out["service_escalation_contacts"] > 0) | (
        (out["service_rising_anger"] > 0) & (out["service_repeat_contacts"] > 0))
    out.index.name = "customer_id"
    return out
