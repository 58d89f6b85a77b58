"""Fixtures of the anomaly tests."""

from __future__ import annotations

import pytest

from anomaly.anomaly_data import hand_dataset


@pytest.fixture(scope="session")
def hand():
    """The hand-made extract of anomaly_data.make_tables."""
    return hand_dataset()
