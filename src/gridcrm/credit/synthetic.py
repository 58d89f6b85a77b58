"""Synthetic credit and value indicators, for benchmarks, examples and tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["synthetic_indicators"]


def synthetic_indicators(n: int, seed: int = 0, *, nan_share: float = 0.05, external: bool = True) -> pd.DataFrame:
    """Random but plausible indicator columns for the shipped credit and value configs.

    For benchmarks, examples and tests of the scorers without a dataset; real
    indicators come from :func:`gridcrm.features.build_features`.

    Parameters
    ----------
    n : int
        Customers (rows), indexed ``customer_id`` 1..n.
    seed : int
    nan_share : float
        Share of missing values in a few indicators.
    external : bool
        Add ``external_credit_score`` (present for about 40%).

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> synthetic_indicators(3, seed=1).shape[0]
    3
    """
    rng = np.random.default_rng(seed)
    late = rng.random(n) < 0.25
    arrears = np.where(late, rng.poisson(0.8, n), 0)
    frame = pd.DataFrame(
        {
            "on_time_rate_365d": np.clip(1 - late * rng.beta(2, 5, n), 0, 1),
            "days_late_mean_365d": late * rng.gamma(2.0, 4.0, n),
            "days_late_max_365d": late * rng.gamma(2.0, 12.0, n),
            "arrears_count": arrears,
            "arrears_amount": arrears * rng.lognormal(5, 1.5, n),
            "months_since_last_arrears": np.where(late, rng.integers(0, 36, n), np.nan),
            "disconnection_notices_365d": (arrears > 1) * rng.poisson(0.5, n),
            "theft_count": (rng.random(n) < 0.01).astype(int),
            "violation_count": rng.poisson(0.03, n),
            "blacklisted": rng.random(n) < 0.005,
            "tenure_years": rng.gamma(2.0, 5.0, n),
            "kwh_cv_90d": rng.gamma(2.0, 0.15, n),
            "daily_capacity_utilisation": rng.beta(2, 5, n),
            "complaints_365d": rng.poisson(0.3, n),
            "complaints_billing_365d": rng.poisson(0.1, n),
            "kwh_mean_365d": rng.lognormal(2.5, 1.5, n),
            "kwh_mean_90d": rng.lognormal(2.5, 1.5, n),
            "bill_amount_mean_365d": rng.lognormal(4.5, 1.5, n),
            "satisfaction_mean_365d": rng.uniform(1, 5, n),
            "online_channel_share_365d": rng.random(n),
            "kwh_yoy_growth": rng.normal(0.02, 0.15, n),
            "kwh_trend_slope": rng.normal(0.0, 0.1, n),
            "applications_365d": rng.poisson(0.05, n),
            "load_factor": np.where(rng.random(n) < 0.3, rng.beta(4, 4, n), np.nan),
            "power_factor": np.where(rng.random(n) < 0.3, rng.uniform(0.8, 1.0, n), np.nan),
        },
        index=pd.RangeIndex(1, n + 1, name="customer_id"),
    )
    if external:
        frame["external_credit_score"] = np.where(rng.random(n) < 0.4, rng.uniform(30, 100, n), np.nan)
    for col in ["on_time_rate_365d", "days_late_mean_365d", "tenure_years", "kwh_cv_90d", "kwh_yoy_growth",
                "satisfaction_mean_365d"]:
        values = frame[col].to_numpy(dtype=float, copy=True)
        values[rng.random(n) < nan_share] = np.nan
        frame[col] = values
    return frame
