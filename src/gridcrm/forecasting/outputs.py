"""What an engine's customer forecasts are: every customer's forecasts and models, and the model the job registers.

Lives below the job and the engines (:mod:`gridcrm.job.engine` re-exports it; the Spark engine
extends it) so that an engine in a lower layer builds the same object without importing the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["CustomerForecasts"]


@dataclass
class CustomerForecasts:
    """What an engine's ``customer_forecasts`` returns (:class:`gridcrm.job.engine.Engine`; any object with these
    attributes will do).

    Attributes
    ----------
    history : DataFrame
        The daily history on the driver, as the job's ``daily_frame`` makes it (regressor columns
        included): every forecast customer, or a seeded sample of them when an engine keeps the
        driver's share bounded (then ``sampled`` is True). The backtest, the fan chart and the
        driver's model read it.
    forecasts : DataFrame or None
        ``unique_id, ds, forecast, lo_*, hi_*`` of every customer; None when the engine wrote
        them itself (too many rows to collect: ``written``).
    models : DataFrame
        ``models_`` of every customer (one row each).
    forecaster : fitted model
        The model registered as ``gridcrm-forecaster`` (with its regressors).
    regressors : str
        What the note says of the regressors ("" when none).
    ranges : DataFrame or None
        Per-customer consumption ranges when the engine computed them (``forecasts`` None);
        None: the step computes them from ``forecasts``.
    written : Path or None
        Where the engine wrote ``forecasts.parquet`` (a Parquet directory) when ``forecasts`` is None.
    sampled : bool
        ``history`` and ``forecaster`` cover a sample of the customers only.
    """

    history: pd.DataFrame
    forecasts: pd.DataFrame | None
    models: pd.DataFrame
    forecaster: Any
    regressors: str = ""
    ranges: pd.DataFrame | None = None
    written: Path | None = None
    sampled: bool = False

    def of(self, ids: Any) -> pd.DataFrame:
        """The forecasts of the customers ``ids`` (e.g. the one a fan chart shows).

        Examples
        --------
        >>> fc = pd.DataFrame({"unique_id": [1, 2], "ds": pd.Timestamp("2024-10-01"), "forecast": [3.0, 4.0]})
        >>> CustomerForecasts(pd.DataFrame(), fc, pd.DataFrame(), None).of([2])["forecast"].tolist()
        [4.0]
        """
        if self.forecasts is None:
            raise ValueError("the forecasts were written, not collected: read them from `written`")
        return self.forecasts[self.forecasts["unique_id"].isin(list(ids))]
