"""Risk-event features: theft, violations, blacklist."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.features._common import count, isin, ns, positions

__all__ = ["event_features", "EVENT_FEATURE_NAMES"]

EVENT_FEATURE_NAMES: tuple[str, ...] = ("theft_count", "violation_count", "blacklisted")


def event_features(events: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    """Event features of ``customers`` (sorted by ``customer_id``) from all events before ``as_of``.

    The data model records blacklist entries but not removals, so a customer
    with any blacklist entry before ``as_of`` is ``blacklisted``.

    Returns
    -------
    dict of str to ndarray
        Keyed by :data:`EVENT_FEATURE_NAMES`.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"customer_id": [7, 7], "kind": ["theft", "blacklist"],
    ...                        "at": pd.to_datetime(["2023-05-01", "2024-03-01"])})
    >>> f = event_features(events, pd.DataFrame({"customer_id": [7]}), pd.Timestamp("2024-02-01"))
    >>> int(f["theft_count"][0]), bool(f["blacklisted"][0])
    (1, False)
    """
    ids = customers["customer_id"].to_numpy()
    n = len(ids)
    before = ns(events["at"]) < as_of.value
    pos = positions(ids, events["customer_id"].to_numpy())
    kind = events["kind"]
    return {
        "theft_count": count(pos, before & isin(kind, ("theft",)), n),
        "violation_count": count(pos, before & isin(kind, ("violation",)), n),
        "blacklisted": count(pos, before & isin(kind, ("blacklist",)), n) > 0,
    }
