"""The main job end to end on a small synthetic extract."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gridcrm.config import load_config
from gridcrm.data.synth import generate_dataset
from gridcrm.pipeline import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("extract")
    return generate_dataset(300, "2023-01-01", "2024-06-30", seed=11).dataset.save(folder)


def _config(tmp_path: Path, extract: Path, extra: str = "") -> Path:
    cfg = tmp_path / "configs" / "run.yaml"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text(
        f"name: t\nas_of: 2024-05-01\ndata:\n  path: {extract}\noutput:\n  dir: {tmp_path / 'out'}\n"
        f"credit:\n  config: {ROOT / 'configs/credit_ahp.yaml'}\nvalue:\n  config: {ROOT / 'configs/value_ahp.yaml'}\n"
        f"tags:\n  config: {ROOT / 'configs/tags.yaml'}\n{extra}"
    )
    return cfg


def test_main_job_writes_every_step(tmp_path, extract):
    result = run(load_config(_config(tmp_path, extract)))
    assert result.as_of == pd.Timestamp("2024-05-01")
    features = pd.read_parquet(result.files["features"])
    portraits = pd.read_parquet(result.files["portraits"])
    credit = pd.read_parquet(result.files["credit"])
    assert features.index.equals(portraits.index) and features.index.equals(credit.index)
    assert credit["score"].between(0, 100).all()
    assert {"credit_score", "credit_grade", "value_score", "value_rank"} <= set(portraits.columns)
    big = pd.read_csv(result.files["big_customers"])
    assert len(big) == round(0.2 * len(features))
    for key in ("credit_weights_plot", "group_portrait_plot"):
        assert result.files[key].stat().st_size > 10_000
    # a model's output feeds the tags: the credit grade tag is evaluated, not skipped
    tags = pd.read_parquet(result.files["tags"])
    low = set(credit.index[credit["grade"].astype(str).isin(["B", "C"])])
    assert low, "the sample should hold some low grades"
    assert set(tags.loc[tags["tag_id"] == "low_credit_grade", "customer_id"]) == low


def test_a_step_can_be_switched_off(tmp_path, extract):
    cfg = _config(tmp_path, extract).read_text().replace("value:\n", "value:\n  enabled: false\n")
    (tmp_path / "configs" / "run.yaml").write_text(cfg)
    result = run(load_config(tmp_path / "configs" / "run.yaml"))
    assert "value" not in result.files and "credit" in result.files

