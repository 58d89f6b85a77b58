"""Plot of a flagged customer's consumption with the estimated onset marked (matplotlib, Agg, imported lazily)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gridcrm.anomaly.signals import HISTORY_DAYS, daily_matrix
from gridcrm.data.dataset import Dataset

__all__ = ["plot_flagged_customer"]


def plot_flagged_customer(dataset: Dataset, customer_id: int, as_of: pd.Timestamp | str,
                          onset: pd.Timestamp | None = None, title: str | None = None) -> Any:
    """Daily kWh of one customer over the signals' history before ``as_of``, its 28-day mean, the onset.

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(30, "2024-01-01", "2024-06-30", seed=1).dataset
    >>> fig = plot_flagged_customer(ds, int(ds.customers["customer_id"].iloc[0]), "2024-06-01",
    ...                             onset=pd.Timestamp("2024-04-01"))
    >>> len(fig.axes)
    1
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cut = pd.Timestamp(as_of)
    days = daily_matrix(dataset.meter_daily, np.array([customer_id], dtype=np.int64), cut, HISTORY_DAYS)[0]
    dates = pd.date_range(end=cut - pd.Timedelta(days=1), periods=HISTORY_DAYS)
    series = pd.Series(days, index=dates)
    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.plot(series.index, series.to_numpy(), lw=0.5, color="0.6", label="daily kWh")
    ax.plot(series.index, series.rolling(28, min_periods=7).mean().to_numpy(), lw=1.8, color="C0",
            label="28-day mean")
    if onset is not None and not pd.isna(onset):
        ax.axvline(pd.Timestamp(onset), color="C3", ls="--", lw=1.5, label=f"estimated onset {pd.Timestamp(onset).date()}")
    ax.set_ylabel("kWh/day")
    ax.set_title(title or f"customer {customer_id}: reads before {cut.date()}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
