"""The segmentation step of the main job (#20): segments within each class, k evidence, pages, migration."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gridcrm.cli import main
from gridcrm.data.synth import generate_dataset

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.slow
def test_main_job_segments_within_classes_and_writes_the_migration(tmp_path, capsys):
    generate_dataset(1200, "2023-01-01", "2024-12-31", seed=3).dataset.save(tmp_path / "data")
    config = tmp_path / "job.yaml"
    config.write_text(f"name: t\nas_of: 2024-10-01\ndata:\n  path: {tmp_path / 'data'}\noutput:\n  dir: {tmp_path / 'out'}\n"
                      f"features:\n  windows: [30, 90, 365]\nsegmentation:\n  config: {CONFIGS / 'segmentation.yaml'}\n"
                      "tracking:\n  enabled: false\n")
    assert main(["run", "--config", str(config)]) == 0
    out = tmp_path / "out"
    segments = pd.read_parquet(out / "segments.parquet")
    features = pd.read_parquet(out / "features.parquet")
    assert segments.index.equals(features.index)
    # every segment lies in one class, and its name starts with it
    classes = features["customer_class"].astype(str)
    per_segment = classes.groupby(segments["segment"]).nunique()
    assert (per_segment == 1).all()
    first_class = classes.groupby(segments["segment"]).first()
    names = segments.groupby("segment")["segment_name"].first()
    assert all(n.split(" · ")[0] == c for n, c in zip(names, first_class, strict=True))
    assert (out / "segment_k_selection.png").is_file() and (out / "segment_profile_residential.png").is_file()
    migration = pd.read_csv(out / "segment_migration.csv", index_col=0)
    assert migration.to_numpy().sum() > 0 and migration.columns[-1] == "(gone)" and migration.index[-1] == "(new)"
    # customers active now = customers counted in the later columns' arrivals and stays
    assert int(migration.drop(columns="(gone)").to_numpy().sum()) == len(features)
    text = capsys.readouterr().out
    assert "segmentation: residential: k = " in text and "stayed in their segment" in text
