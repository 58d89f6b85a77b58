"""Small frames for the risk-model tests (fast: a few thousand rows, one thread)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_frame(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """A risk-like frame with numeric, missing and categorical columns, its labels and true probabilities."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "late_bills_365d": rng.poisson(0.8, n).astype("int64"),
        "on_time_rate_365d": np.clip(rng.beta(6, 1.5, n), 0, 1),
        "arrears_amount": np.where(rng.random(n) < 0.8, 0.0, rng.gamma(2, 200, n)),
        "months_since_last_arrears": np.where(rng.random(n) < 0.6, np.nan, rng.uniform(0, 24, n)),
        "customer_class": pd.Categorical(rng.choice(["residential", "commercial", "industrial"], n, p=[.8, .15, .05])),
        "region": rng.choice(["east", "west", "north", "south"], n),
        "noise": rng.normal(size=n),
    }, index=pd.Index(np.arange(1000, 1000 + n), name="customer_id"))
    logit = (-3.0 + 0.6 * X["late_bills_365d"] - 3.0 * (X["on_time_rate_365d"] - 0.8)
             + 0.002 * X["arrears_amount"] + 0.8 * (X["customer_class"] == "commercial")
             + 0.5 * X["months_since_last_arrears"].isna().map({True: 0.0, False: 1.0}))
    p = 1.0 / (1.0 + np.exp(-logit.to_numpy(dtype=float)))
    y = pd.Series((rng.random(n) < p).astype(int), index=X.index, name="arrears")
    return X, y, p


@pytest.fixture(scope="session")
def frame():
    return make_frame()


@pytest.fixture(scope="session")
def fitted(frame):
    """A model fitted on the first 1,500 rows, early-stopped on the rest."""
    from gridcrm.risk import RiskClassifier

    X, y, _ = frame
    return RiskClassifier(n_jobs=1).fit(X.iloc[:1500], y.iloc[:1500], eval_set=(X.iloc[1500:], y.iloc[1500:]))


@pytest.fixture(scope="session")
def frame_factory():
    """``make_frame(n, seed)`` for tests that need another size or seed."""
    return make_frame
