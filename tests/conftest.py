"""Shared fixtures."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from helpers import make_raw_tables

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def raw_tables() -> dict[str, pd.DataFrame]:
    """A fresh copy of the tiny valid extract (tests may change it)."""
    return make_raw_tables()
