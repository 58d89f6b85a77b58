"""The main job's service step: config checked at load, old data refused before writing, the run, serving (#17)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from gridcrm.cli import main
from gridcrm.data import Dataset
from gridcrm.data.synth.core import generate_dataset
from helpers import post_json

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("service-data") / "data"
    generate_dataset(400, "2023-01-01", "2024-06-30", seed=11).dataset.save(folder)
    return folder


def _project(tmp_path: Path, data: Path, *, tracking: bool = False, service_yaml: str | None = None) -> Path:
    (tmp_path / "configs").mkdir(exist_ok=True)
    text = service_yaml if service_yaml is not None else (ROOT / "configs" / "service.yaml").read_text()
    (tmp_path / "configs" / "service.yaml").write_text(text)
    run = tmp_path / "configs" / "run.yaml"
    run.write_text(f"""name: t
as_of: 2024-04-01
data: {{path: {data}}}
output: {{dir: {tmp_path / 'out'}}}
features: {{windows: [30, 90, 365]}}
service: {{config: {tmp_path / 'configs' / 'service.yaml'}}}
tracking: {{enabled: {str(tracking).lower()}, experiment: t}}
""")
    return run


def _nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


def test_a_broken_service_config_stops_the_run_before_anything_is_written(tmp_path, data, capsys):
    broken = (ROOT / "configs" / "service.yaml").read_text().replace("alpha: 0.005", "alpha: 5", 1)
    run = _project(tmp_path, data, service_yaml=broken)
    assert main(["run", "--config", str(run)]) == 2
    line = capsys.readouterr().err.strip()
    assert "service.config" in line and "hotspots.alpha" in line and "\n" not in line
    _nothing_written(tmp_path)


def test_data_without_texts_or_topics_is_refused_before_anything_is_written(tmp_path, data, capsys):
    from gridcrm.data import load_dataset

    old = load_dataset(data)
    tables = {name: old[name] for name in old.table_names}
    tables["contacts"] = tables["contacts"].drop(columns=["topic", "channel", "closed_at", "repeat"])
    Dataset(tables, extracted_on=old.extracted_on).save(tmp_path / "old")
    run = _project(tmp_path, tmp_path / "old")
    assert main(["run", "--config", str(run)]) == 2
    line = capsys.readouterr().err.strip()
    assert "service" in line and "['topic', 'closed_at']" in line
    _nothing_written(tmp_path)


@pytest.mark.slow
def test_the_step_writes_its_files_registers_and_serves_the_classifier(tmp_path, data, tracking_uri):
    from gridcrm.tracking.serve import free_port

    run = _project(tmp_path, data, tracking=True)
    assert main(["run", "--config", str(run)]) == 0
    out = tmp_path / "out"
    screening = pd.read_csv(out / "screening_list.csv")
    assert len(screening) > 20 and not screening["text"].str.contains(r"\d{11}|[王李张刘陈杨黄赵吴周]先生").any()
    assert (screening.loc[screening["flagged"], "reasons"].str.len() > 0).all()
    customers = pd.read_parquet(out / "service_customers.parquet")
    assert {"service_last_topics", "frequent_complainer", "escalation_risk"} <= set(customers.columns)
    hot = pd.read_csv(out / "complaint_hotspots.csv", parse_dates=["month"])
    assert hot["month"].max() == pd.Timestamp("2024-03-01")  # the last month that ended before as_of
    assert (out / "complaint_hotspots.png").stat().st_size > 1000
    resolution = pd.read_csv(out / "resolution_times.csv")
    assert resolution["within_standard"].between(0, 1).all()
    assert "gridcrm-complaint-classifier" in (out / "report.md").read_text()

    port = free_port()
    cli = subprocess.Popen([sys.executable, "-m", "gridcrm.cli", "serve", "gridcrm-complaint-classifier", "--port",
                            str(port), "--tracking-uri", tracking_uri],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        os.set_blocking(cli.stdout.fileno(), False)
        said, deadline = b"", time.monotonic() + 180
        while b"Serving" not in said:
            assert cli.poll() is None, said.decode() + (cli.stdout.read() or b"").decode()
            assert time.monotonic() < deadline, f"gridcrm serve did not start: {said.decode()}"
            said += cli.stdout.read() or b""
            time.sleep(0.3)
        os.set_blocking(cli.stdout.fileno(), True)
        request = {"dataframe_split": {"columns": ["text"],
                                       "data": [["停电五个小时了还没来电"], ["这个月电费翻倍，再不处理我就找记者曝光"]]}}
        status, answer = post_json(f"http://127.0.0.1:{port}/invocations", request)
        assert status == 200, answer
        got = pd.DataFrame(answer["predictions"])
        from gridcrm.tracking import load_model

        expected = load_model("gridcrm-complaint-classifier").predict(
            pd.DataFrame({"text": [r[0] for r in request["dataframe_split"]["data"]]}))
        assert got["topic"].tolist() == expected["topic"].tolist() and got.loc[1, "topic"] == "billing"
        pd.testing.assert_series_equal(got["probability"], expected["probability"], rtol=1e-9)
        assert got["probability"].between(0, 1).all() and got.loc[1, "urgency"] == "high"
        assert re.search("media", got.loc[1, "reasons"])
    finally:
        cli.send_signal(signal.SIGTERM)
        try:
            cli.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(cli.pid, signal.SIGKILL)
            raise
