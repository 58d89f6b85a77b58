"""The serving adapter of the group forecaster (``gridcrm-group-forecaster``): group ids → reconciled forecasts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.errors import InputError
from gridcrm.tracking._builtin_adapters import MAX_HORIZON, register_adapter

__all__: list[str] = []


@register_adapter("group-forecaster")
def _group_forecaster(model: Any, frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Group ids (``unique_id``: ``"region=3"``, ``"customer_class=residential"``, ``"total"``...) + request
    parameter ``horizon`` (days) → reconciled daily forecasts with their ranges and ``level``.

    ``model`` is a fitted :class:`~gridcrm.forecasting.groups.GroupForecaster`; unknown ids get no rows.
    """
    horizon = params.get("horizon", 28)
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or not 1 <= horizon <= MAX_HORIZON:
        raise InputError(f"request parameter 'horizon' must be a whole number of days from 1 to {MAX_HORIZON}, "
                         f"got {horizon!r}")
    if "unique_id" not in frame.columns:
        raise InputError("the request lacks column 'unique_id' (group ids such as 'region=3' or 'total')")
    wanted = pd.Index(frame["unique_id"].astype(str).to_numpy())
    out = model.predict(int(horizon))
    out = out[out["unique_id"].isin(wanted)]
    order = pd.Series(range(len(wanted)), index=wanted)
    out = out.assign(_o=out["unique_id"].map(order)).sort_values(["_o", "ds"]).drop(columns="_o")
    return out.reset_index(drop=True)
