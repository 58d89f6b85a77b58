"""Account features: tenure and the attributes of the customer master."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.data.schemas import CHANNELS, CUSTOMER_CLASSES
from gridcrm.features._common import DAY_NS, ns

__all__ = ["account_features", "ACCOUNT_FEATURE_NAMES"]

ACCOUNT_FEATURE_NAMES: tuple[str, ...] = (
    "tenure_years",
    "customer_class",
    "industry_code",
    "region",
    "tariff",
    "contracted_kva",
    "voltage_kv",
    "supply_station",
    "preferred_channel",
    "household_size",
    "prepaid",
)
#: Columns whose categories are fixed by the data model (the others take the values present).
_FIXED_CATEGORIES: dict[str, tuple[str, ...]] = {"customer_class": CUSTOMER_CLASSES, "preferred_channel": CHANNELS}


def _category(values: pd.Series, categories: tuple[str, ...] | None) -> pd.Categorical:
    text = values.astype(object).where(values.notna(), None).to_numpy()
    if categories is None:
        categories = tuple(sorted({v for v in text if v is not None}))
    return pd.Categorical(text, categories=list(categories))


def account_features(customers: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, np.ndarray | pd.Categorical]:
    """Account features of ``customers`` (the active ones, sorted by ``customer_id``) at ``as_of``.

    Category columns take the categories of the data model when it fixes them
    (customer class, preferred channel), otherwise the values present, sorted.
    ``prepaid`` is False where unknown.

    Returns
    -------
    dict of str to ndarray or Categorical
        Keyed by :data:`ACCOUNT_FEATURE_NAMES`.

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({"customer_id": [7], "customer_class": ["commercial"], "industry_code": ["H62"],
    ...     "region": ["east"], "tariff": ["flat"], "supply_station": ["e1"], "preferred_channel": ["app"],
    ...     "contracted_kva": [60.0], "voltage_kv": [0.38], "household_size": [None], "prepaid": [None],
    ...     "connected_on": pd.to_datetime(["2023-02-01"])})
    >>> f = account_features(customers, pd.Timestamp("2024-02-01"))
    >>> round(float(f["tenure_years"][0]), 3), f["customer_class"][0], bool(f["prepaid"][0])
    (0.999, 'commercial', False)
    """
    out: dict[str, np.ndarray | pd.Categorical] = {
        "tenure_years": (as_of.value - ns(customers["connected_on"])) / DAY_NS / 365.25,
    }
    for col in ("customer_class", "industry_code", "region", "tariff", "supply_station", "preferred_channel"):
        out[col] = _category(customers[col], _FIXED_CATEGORIES.get(col))
    for col in ("contracted_kva", "voltage_kv", "household_size"):
        out[col] = customers[col].to_numpy(dtype=np.float64, na_value=np.nan)
    out["prepaid"] = customers["prepaid"].to_numpy(dtype=bool, na_value=False)
    return {name: out[name] for name in ACCOUNT_FEATURE_NAMES}
