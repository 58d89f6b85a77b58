"""A run never starts on a configuration that would fail: every step's file and every setting checked first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gridcrm.cli import main
from gridcrm.config import load_config

ROOT = Path(__file__).resolve().parents[1]
STEP_FILES = {"credit": "credit_ahp.yaml", "value": "value_ahp.yaml", "tags": "tags.yaml",
              "segmentation": "segmentation.yaml", "forecasting": "forecast.yaml", "risk": "risk.yaml",
              "recommend": "products.yaml", "service": "service.yaml", "anomaly": "anomaly.yaml"}
OTHER_FILES = ("payment_plans.yaml",)  # named by products.yaml (#18)


@pytest.fixture
def project(tmp_path) -> Path:
    """A project folder like the repository: configs/ (copies, to break) and data/sample (a link)."""
    (tmp_path / "configs").mkdir()
    for name in (*STEP_FILES.values(), *OTHER_FILES):
        shutil.copyfile(ROOT / "configs" / name, tmp_path / "configs" / name)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sample").symlink_to(ROOT / "data" / "sample")
    demo = (ROOT / "configs" / "demo.yaml").read_text().replace("enabled: true", "enabled: false")
    (tmp_path / "configs" / "demo.yaml").write_text(demo)
    return tmp_path


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gridcrm run: error: "), err
    return lines[0]


def _nothing_written(project: Path) -> None:
    out = project / "out" / "demo"
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


BROKEN = {
    # step: (file, text replaced, replacement, what the one line must say)
    "tags": ("tags.yaml", "rule: {feature: customer_class, op: \"==\", value: residential}",
             "rule: {feature: customer_klass, op: \"==\", value: residential}", "customer_klass"),
    "credit": ("credit_ahp.yaml", "on_time_rate_365d", "on_time_rate_356d", "on_time_rate_356d"),
    "risk": ("risk.yaml", "  late_days: 15", "  late_dayz: 15", "late_dayz"),
    "forecasting": ("forecast.yaml", "engine: batched", "engine: turbo", "turbo"),
    "recommend": ("products.yaml", "lift: 2.5, reason: complained about voltage",
                  "lift: -2.5, reason: complained about voltage", "products[0].signals[0].lift"),
    "service": ("service.yaml", "  window_days: 365", "  window_dayz: 365", "window_dayz"),
    "anomaly": ("anomaly.yaml", "  capacity: 200", "  capacity: -200", "capacity"),
    "segmentation": ("segmentation.yaml", "k_selection: stability        # stability",
                     "k_selection: stable           # stability", "stable"),
}


@pytest.mark.parametrize("step", sorted(BROKEN))
def test_a_broken_step_config_stops_the_run_before_anything_is_written(project, step, capsys):
    file, old, new, said = BROKEN[step]
    path = project / "configs" / file
    text = path.read_text()
    assert old in text, f"{file} no longer holds {old!r}: update the test"
    path.write_text(text.replace(old, new, 1))
    assert main(["run", "--config", str(project / "configs" / "demo.yaml")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"{step}.config ({path})" in line and said in line
    _nothing_written(project)


def test_a_missing_step_config_file_is_named(project, capsys):
    (project / "configs" / "risk.yaml").unlink()
    assert main(["run", "--config", str(project / "configs" / "demo.yaml")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"risk.config: file {project / 'configs' / 'risk.yaml'} does not exist" in line
    _nothing_written(project)


def test_features_a_step_names_are_always_computed(project):
    demo = project / "configs" / "demo.yaml"
    demo.write_text(demo.read_text().replace("windows: [30, 90, 365]", "windows: [14, 90, 365]"))
    tags = project / "configs" / "tags.yaml"
    tags.write_text(tags.read_text().replace("rule: {feature: kwh_mean_365d, quantile: [0.8, 1.0]",
                                             "rule: {feature: kwh_mean_30d, quantile: [0.8, 1.0]", 1))
    cfg = load_config(demo)
    assert cfg.features.windows == (14, 90, 365, 30)  # 30: a tag rule names kwh_mean_30d


def test_an_as_of_that_leaves_a_risk_model_nothing_to_learn_is_refused_before_writing(project, capsys):
    demo = project / "configs" / "demo.yaml"
    demo.write_text(demo.read_text().replace("as_of: 2024-10-01", "as_of: 2024-09-01"))
    assert main(["run", "--config", str(demo)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "as_of 2024-09-01 leaves the churn model nothing to learn from" in line
    assert "snapshots.min_history_days, now 365" in line
    _nothing_written(project)


@pytest.mark.slow
def test_the_demo_runs_to_the_end_with_other_windows(project, capsys):
    """features.windows: [14, 90, 365] trained risk on one window set and scored on another (FeatureMismatchError)."""
    import pandas as pd

    demo = project / "configs" / "demo.yaml"
    demo.write_text(demo.read_text().replace("windows: [30, 90, 365]", "windows: [14, 90, 365]"))
    risk = project / "configs" / "risk.yaml"
    risk.write_text(risk.read_text().replace("n_trials: 30", "n_trials: 3"))
    assert main(["run", "--config", str(demo)]) == 0
    features = pd.read_parquet(project / "out" / "demo" / "features.parquet")
    assert {"kwh_mean_14d", "kwh_mean_90d", "kwh_mean_365d"} <= set(features.columns)
    assert "kwh_mean_30d" not in features.columns
    assert (project / "out" / "demo" / "risk_list.parquet").is_file()
