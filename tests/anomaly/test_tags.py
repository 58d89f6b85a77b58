"""The anomaly tags of configs/tags.yaml read the anomaly step's columns and are skipped without them."""

from __future__ import annotations

import pandas as pd
import yaml

from gridcrm.configs import shipped
from gridcrm.tags import load_tags


def test_anomaly_tags_follow_kind_and_score():
    shipped_tags = yaml.safe_load(shipped("tags.yaml").read_text(encoding="utf-8"))["tags"]
    ours = [t for t in shipped_tags if t["id"] in ("suspected_theft", "meter_fault_suspected")]
    assert len(ours) == 2
    categories = yaml.safe_load(shipped("tags.yaml").read_text(encoding="utf-8"))["categories"]
    tags = load_tags({"categories": categories, "tags": ours})
    idx = pd.Index([1, 2, 3, 4], name="customer_id")
    features = pd.DataFrame({"contracted_kva": [8.0, 8.0, 8.0, 8.0]}, index=idx)
    extra = pd.DataFrame({"anomaly_kind": ["theft", "theft", "meter_fault", "none"],
                          "anomaly_score": [0.95, 0.85, 0.8, 0.0]}, index=idx)
    wide = tags.evaluate(features, extra=extra).wide
    assert wide["suspected_theft"].tolist() == [True, False, False, False]
    assert wide["meter_fault_suspected"].tolist() == [False, False, True, False]
    skipped = tags.evaluate(features).skipped
    assert "suspected_theft" in skipped and "meter_fault_suspected" in skipped
