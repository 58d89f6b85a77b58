"""Fixtures of the credit tests: hand-made indicator frames and the shipped configs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from gridcrm.credit.synthetic import synthetic_indicators as make_indicators

ROOT = Path(__file__).resolve().parents[2]
CREDIT_CONFIG = ROOT / "configs" / "credit_ahp.yaml"
VALUE_CONFIG = ROOT / "configs" / "value_ahp.yaml"




@pytest.fixture
def indicators() -> Callable[..., pd.DataFrame]:
    """Factory: ``indicators(n, seed=0, nan_share=0.05, external=True)``."""
    return make_indicators
