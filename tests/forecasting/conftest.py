"""Fixtures of the forecasting tests: small synthetic datasets and simulated ARIMA frames."""

from __future__ import annotations

import pytest

from gridcrm.data.synth import generate_dataset


@pytest.fixture(scope="session")
def synthetic_small():
    """60 customers, Jan-Apr 2024, with some interval load."""
    return generate_dataset(n_customers=60, start="2024-01-01", end="2024-04-30", seed=3)


@pytest.fixture(scope="session")
def synthetic_year():
    """150 customers over two years (daily backtests)."""
    return generate_dataset(n_customers=150, start="2023-01-01", end="2024-12-31", seed=21)
