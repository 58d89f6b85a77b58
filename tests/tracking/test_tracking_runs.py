"""Tracking runs against a real SQLite store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from gridcrm import __version__
from gridcrm.tracking import flatten, tracked_run, tracking_uri


def test_importing_gridcrm_does_not_import_mlflow():
    code = "import sys, gridcrm, gridcrm.data, gridcrm.features, gridcrm.tracking; print('mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_default_uri_is_sqlite_in_cwd(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert tracking_uri() == f"sqlite:///{tmp_path / 'mlruns.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////elsewhere/x.db")
    assert tracking_uri() == "sqlite:////elsewhere/x.db"
    assert tracking_uri("sqlite:////given.db") == "sqlite:////given.db"


def test_flatten_nested_config():
    assert flatten({"a": {"b": {"c": 1}}, "d": [1, 2]}) == {"a.b.c": "1", "d": "[1, 2]"}


def test_tracked_run_logs_params_tags_config_dataset_and_artifacts(tracking_uri, tmp_path):
    import mlflow
    from mlflow import MlflowClient

    cfg_file = tmp_path / "run.yaml"
    cfg_file.write_text("segmentation:\n  k: 5\n")
    frame = pd.DataFrame({"customer_id": [1, 2, 3], "kwh_mean_30d": [5.0, 7.5, 9.0]})
    with tracked_run("test-exp", "r1", config={"segmentation": {"k": 5}}, config_file=cfg_file) as run:
        run.log_metrics({"silhouette": 0.41, "bad": float("nan")})
        run.log_metrics({"loss": 0.5}, step=3)
        run.log_dataset(frame, "features", as_of="2024-07-01")
        run.log_frame(frame, "profile.csv")
    client = MlflowClient()
    r = client.get_run(run.run_id)
    assert r.data.params["segmentation.k"] == "5"
    assert r.data.params["dataset.features.as_of"] == "2024-07-01"
    assert r.data.params["dataset.features.rows"] == "3"
    assert r.data.metrics == {"silhouette": 0.41, "loss": 0.5}
    assert r.data.tags["gridcrm.version"] == __version__
    assert [m.step for m in client.get_metric_history(run.run_id, "loss")] == [3]
    inputs = r.inputs.dataset_inputs
    assert inputs[0].dataset.name == "features" and len(inputs[0].dataset.digest) == 16
    names = {a.path for a in client.list_artifacts(run.run_id)}
    assert names == {"config", "profile.csv"}
    # artifacts live beside the database, not in whatever directory the user is in
    root = Path(tracking_uri[len("sqlite:///"):]).parent / "mlartifacts"
    assert any(root.rglob("profile.csv"))
    assert mlflow.active_run() is None


def test_importing_gridcrm_does_not_import_matplotlib():
    code = "import sys, gridcrm; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
