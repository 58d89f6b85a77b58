"""The serving adapter of the anomaly detector (``gridcrm-anomaly``).

A request is one row per customer of :func:`gridcrm.anomaly.anomaly_signals` (the signals and
``customer_class``; NaN where a signal is unknown); the answer is ``score``, ``kind``, ``reasons``,
``missing_kwh_per_day``, ``fault_score`` and ``onset_days_ago`` (days between the estimated onset
and the date the signals were computed at).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.tracking._builtin_adapters import _ids, _with_ids, register_adapter

__all__ = ["request_columns"]

#: Request columns besides the signals (the peer group and the level of reads that size the loss).
_EXTRA = ("customer_class", "region", "kwh_per_day_90d", "kwh_per_day_before")


def request_columns() -> list[str]:
    """Columns of a request: the signals, then the peer group and reads' levels."""
    from gridcrm.anomaly import SIGNAL_NAMES

    return [*SIGNAL_NAMES, *_EXTRA]


@register_adapter("anomaly")
def _anomaly(model: Any, frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Signal rows → theft score, kind, reasons, missing kWh/day, fault score, days since onset."""
    from gridcrm.anomaly.detector import describe

    X, ids = _ids(frame)
    X = X.reset_index(drop=True)
    for name in request_columns():  # a missing column is an error naming it
        if name not in X.columns:
            raise KeyError(f"request lacks the column {name!r} (anomaly_signals gives every one)")
    p = model.predict_signals(X)
    as_of = pd.Timestamp(model.fit_as_of_)
    out = describe(X, p, None, as_of)
    days = np.where(out["onset"].notna(), X["shift_days_ago"].to_numpy(dtype=float), np.nan)
    answer = pd.DataFrame({"score": out["score"].to_numpy(dtype=float), "kind": out["kind"].astype(str).to_numpy(),
                           "reasons": out["reasons"].to_numpy(dtype=object),
                           "missing_kwh_per_day": out["missing_kwh_per_day"].to_numpy(dtype=float),
                           "fault_score": out["fault_score"].to_numpy(dtype=float), "onset_days_ago": days})
    return _with_ids(answer, ids)
