"""The serving adapter of the complaint classifier (``gridcrm-complaint-classifier``).

A request has a ``text`` column (and optionally ``contact_id``/``customer_id``, echoed back);
the answer has per text the ``topic``, its ``probability``, the ``urgency`` level and its
``reasons``. Texts are masked (names, phones, ID numbers) before the reasons are returned.
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
    for key in ("customer_id", "contact_id")[::-1]:
        if key in frame.columns:
            out.insert(0, key, frame[key].to_numpy())
    return out
