"""configs/segmentation.yaml: read, validated, turned into estimators."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridcrm.config import ConfigError
from gridcrm.segmentation import CustomerSegmenter, SegmentationConfigError
from gridcrm.segmentation.config import load_segmentation_config
from gridcrm.segmentation.shapes import LoadShapeClusterer

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "segmentation.yaml"


def test_the_committed_config_loads() -> None:
    cfg = load_segmentation_config(CONFIG)
    seg = cfg.customer_segmenter()
    assert isinstance(seg, CustomerSegmenter) and seg.k_range == (2, 8) and seg.random_state == 42
    # the main job segments within each class, k chosen by stability (#20)
    assert seg.by == "customer_class" and seg.k_selection == "stability" and seg.features == "default"
    assert cfg.migration_months == 12
    assert isinstance(cfg.load_shape_clusterer(), LoadShapeClusterer)
    assert cfg.profiles == {"points_per_day": 24, "per": "day", "days": "all", "min_coverage": 0.9}
    assert cfg.source == CONFIG


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"segments": {}}, r"unknown section\(s\) \['segments'\]"),
        ({"customers": {"n_clusterz": 4}}, "customers.n_clusterz: unknown key"),
        ({"customers": {"n_clusters": 0}},
         r"customers.n_clusters: CustomerSegmenter: n_clusters=0 is not allowed; expected 'auto' or an integer >= 1"),
        ({"customers": {"k_range": [1, 5]}},
         r"customers.k_range: CustomerSegmenter: k_range=\(1, 5\) is not allowed; expected a pair \(k_min, k_max\)"),
        ({"customers": {"by": 3}}, "customers.by: CustomerSegmenter: by=3 is not allowed"),
        ({"migration": {"months_before": -1}}, "migration.months_before: expected a whole number of months"),
        ({"migration": {"months": 12}}, r"migration.months: unknown key; allowed keys are \['months_before'\]"),
        ({"customers": {"min_segment_share": 1.5}}, "customers.min_segment_share: CustomerSegmenter"),
        ({"customers": {"k_selection": "stable"}}, "customers.k_selection: CustomerSegmenter: k_selection='stable'"),
        ({"shapes": {"normalize": "sum"}}, "shapes.normalize: LoadShapeClusterer: normalize='sum' is not allowed"),
        ({"shapes": []}, "shapes: expected a mapping"),
        ({"profiles": {"points_per_day": 60}}, "profiles.points_per_day: expected one of"),
        ({"profiles": {"min_coverage": "all"}}, "profiles.min_coverage"),
    ],
)
def test_bad_keys_are_named(raw, message: str) -> None:
    with pytest.raises(SegmentationConfigError, match=message):
        load_segmentation_config(raw)


def test_config_error_is_a_config_error(tmp_path) -> None:
    path = tmp_path / "seg.yaml"
    path.write_text("customers: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"segmentation config .*seg\.yaml is not valid YAML"):
        load_segmentation_config(path)
