"""The main job's anomaly step, its config check and its registered model served over HTTP."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcrm.config import load_config
from gridcrm.data.synth import generate_dataset
from gridcrm.errors import ConfigError
from gridcrm.job import run
from gridcrm.job.anomaly import AnomalyResult

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2024-10-01"


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    return generate_dataset(1500, "2023-01-01", "2024-12-31", seed=4, theft_rate=0.03).dataset.save(
        tmp_path_factory.mktemp("extract"))


def _config(tmp_path: Path, extract: Path, anomaly_file: Path, tracking: bool = False) -> Path:
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"name: t\nas_of: {AS_OF}\ndata:\n  path: {extract}\noutput:\n  dir: {tmp_path / 'out'}\n"
                   f"anomaly:\n  config: {anomaly_file}\ntracking:\n  enabled: {str(tracking).lower()}\n")
    return cfg


def test_a_broken_anomaly_config_is_refused_before_any_work(tmp_path):
    bad = tmp_path / "anomaly.yaml"
    bad.write_text("inspection:\n  capacity: 0\n")
    cfg = _config(tmp_path, tmp_path / "no-data-needed", bad)
    with pytest.raises(ConfigError, match="inspection.capacity"):
        load_config(cfg)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_step_writes_scores_the_list_and_the_plot(tmp_path, extract):
    small = tmp_path / "anomaly.yaml"
    small.write_text("inspection:\n  capacity: 15\n")
    result = run(load_config(_config(tmp_path, extract, small)))
    res = result.results["anomaly"]
    assert isinstance(res, AnomalyResult)
    out = tmp_path / "out"
    scores = pd.read_parquet(out / "anomaly_scores.parquet")
    listed = pd.read_csv(out / "inspection_list.csv")
    assert (out / "anomaly_flagged.png").stat().st_size > 10_000
    assert scores.index.is_unique and scores["score"].between(0, 1).all()
    assert len(listed) == 15 and listed["rank"].tolist() == list(range(1, 16))
    assert listed["expected_cny"].is_monotonic_decreasing  # by expected recovered value
    assert set(listed["customer_id"]) <= set(scores.index)
    assert any(n.startswith("anomaly: ") and "inspection list of 15" in n for n in result.notes)
    # point in time: nothing after as_of reaches the detector
    assert res.detector.fit_as_of_ == pd.Timestamp(AS_OF)


@pytest.mark.slow
def test_served_detector_answers_like_in_process(tracking_uri, extract):
    from gridcrm.anomaly import AnomalyDetector, anomaly_signals
    from gridcrm.data import load_dataset
    from gridcrm.tracking import ModelServer, log_model, promote, to_request, tracked_run
    from gridcrm.tracking._anomaly_adapter import request_columns
    from gridcrm.tracking.adapters import serve_predict

    ds = load_dataset(extract)
    det = AnomalyDetector(random_state=0).fit(ds, AS_OF)
    signals = anomaly_signals(ds, AS_OF)
    request = to_request(signals[request_columns()].reset_index())
    with tracked_run("anomaly", "serve"):
        info = log_model(det, "anomaly", request.head(3), registered_model_name="gridcrm-anomaly")
    promote("gridcrm-anomaly", info.registered_model_version, "n", lambda m: 1.0)
    rows = request.loc[signals["shift_z"].to_numpy() < -5].head(20)
    expected = serve_predict("anomaly", det, rows)
    assert expected.columns.tolist() == ["customer_id", "score", "kind", "reasons", "missing_kwh_per_day",
                                         "fault_score", "onset_days_ago"]
    assert (expected["reasons"] != "").any()
    with ModelServer("models:/gridcrm-anomaly@champion", tracking_uri=tracking_uri) as server:
        body = {"dataframe_split": json.loads(rows.to_json(orient="split", index=False, double_precision=15))}
        req = urllib.request.Request(f"{server.url}/invocations", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            got = pd.DataFrame(json.loads(resp.read())["predictions"])
    assert got["customer_id"].tolist() == expected["customer_id"].tolist()
    np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-6)
    assert got["kind"].tolist() == expected["kind"].tolist() and got["reasons"].tolist() == expected["reasons"].tolist()


@pytest.mark.slow
def test_gridcrm_score_sends_the_detector_its_signal_rows_and_adds_its_columns(tmp_path, tracking_uri, extract):
    from gridcrm.anomaly import AnomalyDetector, anomaly_signals
    from gridcrm.data import load_dataset
    from gridcrm.job.score import score
    from gridcrm.tracking import log_model, promote, to_request, tracked_run
    from gridcrm.tracking._anomaly_adapter import request_columns

    ds = load_dataset(extract)
    det = AnomalyDetector(random_state=0).fit(ds, AS_OF)
    request = to_request(anomaly_signals(ds, AS_OF)[request_columns()].reset_index())
    with tracked_run("anomaly", "score"):
        info = log_model(det, "anomaly", request.head(3), registered_model_name="gridcrm-anomaly")
    promote("gridcrm-anomaly", info.registered_model_version, "n", lambda m: 1.0)
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"name: t\nas_of: {AS_OF}\ndata:\n  path: {extract}\noutput:\n  dir: {tmp_path / 'out'}\n"
                   "tracking:\n  enabled: true\n")
    rows, path = score(load_config(cfg))  # the only champion in the store: the detector
    expected = det.score(ds, AS_OF).reindex(rows.index)
    assert path.is_file() and list(rows.columns) == ["anomaly_score", "anomaly_kind", "anomaly_reasons"]
    np.testing.assert_allclose(rows["anomaly_score"], expected["score"], rtol=1e-9)
    assert rows["anomaly_kind"].tolist() == expected["kind"].astype(str).tolist()
    assert rows["anomaly_reasons"].tolist() == expected["reasons"].tolist()
    assert (rows["anomaly_kind"] == "theft").sum() > 0  # the extract has 3 % thieves
