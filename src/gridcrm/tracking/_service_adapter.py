"""The serving adapter of the complaint classifier (``gridcrm-complaint-classifier``).

A request has a ``text`` column; the answer has per text, in order, the ``topic``, its
``probability``, the ``urgency`` level and its ``reasons`` (the urgent words and sensitive
words found).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.errors import InputError
from gridcrm.tracking._builtin_adapters import register_adapter

__all__: list[str] = []


@register_adapter("complaint-classifier")
def _complaint_classifier(model: Any, frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Texts → topic, probability, urgency."""
    if "text" not in frame.columns:
        raise InputError(f"complaint-classifier: the request needs a 'text' column, got {list(frame.columns)}")
    texts = [None if pd.isna(t) else str(t) for t in frame["text"]]
    proba = model.predict_proba(texts)
    best = proba.argmax(axis=1) if len(texts) else np.zeros(0, dtype=int)
    urgency = model.urgency(texts)
    out = pd.DataFrame({"topic": model.classes_[best].astype(str),
                        "probability": proba[np.arange(len(texts)), best].astype("float64"),
                        "urgency": urgency["level"].astype(str).to_numpy(),
                        "reasons": urgency["reasons"].astype(str).to_numpy()})
    return out
