"""Models as MLflow models: log, register, promote, load by alias, and serve over real HTTP."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcrm.credit import CreditScorer, load_scoring_config
from gridcrm.credit.synthetic import synthetic_indicators
from gridcrm.errors import TrackingError
from gridcrm.tracking import ModelServer, load_model, log_model, promote, tracked_run
from gridcrm.tracking.serve import group_processes
from helpers import post_json

ROOT = Path(__file__).resolve().parents[2]
CREDIT_CONFIG = ROOT / "configs" / "credit_ahp.yaml"


def _indicators(n: int, seed: int) -> pd.DataFrame:
    names = list(load_scoring_config(CREDIT_CONFIG).indicators)
    X = synthetic_indicators(n, seed)
    X.index = X.index + 999  # customer ids 1000..
    return X[[c for c in names if c in X.columns]]


def test_promotion_only_when_the_challenger_wins(tracking_uri):
    X = _indicators(200, seed=1)
    target = CreditScorer(CREDIT_CONFIG).fit(X).transform(X)["score"]

    def agreement(model) -> float:  # the same evaluation data for both models
        got = model.predict(X.reset_index())["score"].to_numpy()
        return -float(np.abs(got - target.to_numpy()).mean())

    with tracked_run("credit", "v1") as run:
        good = CreditScorer(CREDIT_CONFIG).fit(X)
        info = log_model(good, "credit", X.reset_index().head(5), registered_model_name="gridcrm-credit")
        first = promote("gridcrm-credit", info.registered_model_version, "agreement", agreement, run=run)
    assert first.promoted and first.reason == "no champion yet"
    with tracked_run("credit", "v2") as run:
        worse = CreditScorer(CREDIT_CONFIG).fit(X.iloc[:20])  # references from a small population: worse
        info2 = log_model(worse, "credit", X.reset_index().head(5), registered_model_name="gridcrm-credit")
        second = promote("gridcrm-credit", info2.registered_model_version, "agreement", agreement, run=run)
    assert not second.promoted
    assert second.champion_version == "1" and second.champion_value == pytest.approx(0.0)
    assert second.challenger_value < 0
    from mlflow import MlflowClient

    client = MlflowClient()
    assert str(client.get_model_version_by_alias("gridcrm-credit", "champion").version) == "1"
    assert str(client.get_model_version_by_alias("gridcrm-credit", "challenger").version) == "2"
    assert client.get_run(run.run_id).data.tags["promotion.decision"] == "kept champion"
    # one line from a notebook
    champion = load_model("gridcrm-credit")
    pd.testing.assert_series_equal(champion.predict(X.reset_index())["score"], target.reset_index(drop=True),
                                   check_names=False)


@pytest.mark.slow
def test_served_champion_answers_like_in_process_and_rejects_bad_requests(tracking_uri):
    X = _indicators(60, seed=2)
    scorer = CreditScorer(CREDIT_CONFIG).fit(X)
    with tracked_run("credit", "serve"):
        info = log_model(scorer, "credit", X.reset_index().head(3), registered_model_name="gridcrm-credit")
    promote("gridcrm-credit", info.registered_model_version, "n", lambda m: 1.0)
    # new customers, not the reference population: a percentile indicator is a step at each reference value,
    # so a reference customer's own value, rounded in JSON, could land on the other side of its own step
    fresh = _indicators(10, seed=3)
    expected = scorer.transform(fresh)
    request = fresh.reset_index()
    with ModelServer("models:/gridcrm-credit@champion", tracking_uri=tracking_uri) as server:
        pgid = os.getpgid(server.process.pid)
        model_dir = server.model_dir
        assert (model_dir / "MLmodel").is_file()  # the version's artifacts, downloaded for the server
        status, body = post_json(f"{server.url}/invocations",
                             {"dataframe_split": json.loads(request.to_json(orient="split", index=False, double_precision=15))})
        assert status == 200, body
        got = pd.DataFrame(body["predictions"])
        assert list(got["customer_id"]) == list(request["customer_id"])
        np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-9)
        assert list(got["grade"]) == list(expected["grade"].astype(str))
        bad_status, bad_body = post_json(f"{server.url}/invocations", {"dataframe_split": {"columns": ["x"], "data": [["a"]]}})
        assert 400 <= bad_status < 500
        assert "message" in bad_body and len(bad_body["message"]) > 10
    assert group_processes(pgid) == []  # no server process left behind
    assert not model_dir.exists()  # nor the downloaded model
    # the port is taken: one line naming the model, uvicorn's reason and the log
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = ModelServer("models:/gridcrm-credit@champion", port=taken.getsockname()[1], tracking_uri=tracking_uri)
        with pytest.raises(TrackingError, match=r"models:/gridcrm-credit@champion exited with code \d+ before "
                                                r"answering \(.*address already in use.*\); its log: /") as err:
            server.start()
    assert "\n" not in str(err.value) and server.process is None and server.model_dir is None


def test_serving_a_model_the_store_does_not_hold_is_one_line_naming_the_store(tracking_uri, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # the model's temporary folder
    server = ModelServer("models:/gridcrm-nope@champion", tracking_uri=tracking_uri)
    with pytest.raises(TrackingError, match=r"no registered model gridcrm-nope@champion in the tracking store "
                                            r"sqlite:///.*mlruns\.db \(it holds no registered model\)") as err:
        server.start()
    assert "\n" not in str(err.value) and server.process is None
    assert not list(tmp_path.glob("gridcrm-serve-*"))  # no folder left behind
    missing = tmp_path / "none.db"
    with pytest.raises(TrackingError, match="no tracking store at sqlite:///.*none\\.db"):
        ModelServer("models:/gridcrm-nope@champion", tracking_uri=f"sqlite:///{missing}").start()
    assert not missing.exists()  # serving never creates a store


def _descendants(pid: int) -> list[int]:
    """Live (non-zombie) processes below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@pytest.mark.slow
def test_gridcrm_serve_answers_for_the_risk_model_with_reasons(tracking_uri):
    """``gridcrm serve gridcrm-arrears``: features → probability, risk grade and reasons, as in process."""
    import signal
    import subprocess
    import sys
    import time

    from gridcrm.risk import RiskClassifier
    from gridcrm.tracking.serve import free_port
    from risk.conftest import make_frame

    X, y, _ = make_frame(1500, seed=4)
    clf = RiskClassifier(n_jobs=1, n_estimators=60).fit(X.iloc[:1200], y.iloc[:1200])
    p_all = clf.predict_proba(X)[:, 1]
    model = {"model": clf, "cuts": {"high": float(np.quantile(p_all, 0.95)), "elevated": float(np.quantile(p_all, 0.8))}}
    with tracked_run("arrears", "serve"):
        info = log_model(model, "risk", X.reset_index().head(5), registered_model_name="gridcrm-arrears")
    promote("gridcrm-arrears", info.registered_model_version, "n", lambda m: 1.0)
    request = X.iloc[1200:1230].reset_index()
    expected = load_model("gridcrm-arrears").predict(request)  # in process, through the registry
    assert set(expected.columns) == {"customer_id", "probability", "risk_grade", "reasons"}
    np.testing.assert_allclose(expected["probability"], clf.predict_proba(X.iloc[1200:1230])[:, 1], rtol=1e-12)

    port = free_port()
    cli = subprocess.Popen([sys.executable, "-m", "gridcrm.cli", "serve", "gridcrm-arrears", "--port", str(port),
                            "--tracking-uri", tracking_uri], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           start_new_session=True)
    served: list[int] = []
    try:
        os.set_blocking(cli.stdout.fileno(), False)
        said = b""
        deadline = time.monotonic() + 120
        while b"Serving" not in said:  # the CLI says so once the server answers
            assert cli.poll() is None, said.decode() + cli.stdout.read().decode()
            assert time.monotonic() < deadline, f"gridcrm serve did not start in 120 s: {said.decode()}"
            said += cli.stdout.read() or b""
            time.sleep(0.2)
        os.set_blocking(cli.stdout.fileno(), True)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=5) as resp:
            assert resp.status == 200
        served = _descendants(cli.pid)
        assert served, "the model server runs below the gridcrm serve process"
        url = f"http://127.0.0.1:{port}/invocations"
        body = {"dataframe_split": json.loads(request.to_json(orient="split", index=False, double_precision=15))}
        status, answer = post_json(url, body)
        assert status == 200, answer
        got = pd.DataFrame(answer["predictions"])
        assert list(got["customer_id"]) == list(request["customer_id"])
        np.testing.assert_allclose(got["probability"], expected["probability"], rtol=1e-9)
        assert list(got["risk_grade"]) == list(expected["risk_grade"])
        assert list(got["reasons"]) == list(expected["reasons"])
        # reasons name what raises the risk; a customer at high or elevated risk always has some
        assert (got["risk_grade"] != "normal").sum() >= 3
        assert got.loc[got["risk_grade"] != "normal", "reasons"].str.len().gt(0).all()
        assert got["reasons"].str.len().gt(0).mean() > 0.8
        # the same request as CSV (what MLflow's own CSV parser could not read): the same answer
        csv_request = urllib.request.Request(url, data=request.to_csv(index=False).encode(),
                                             headers={"Content-Type": "text/csv"})
        with urllib.request.urlopen(csv_request, timeout=30) as resp:
            by_csv = pd.DataFrame(json.loads(resp.read())["predictions"])
        np.testing.assert_allclose(by_csv["probability"], expected["probability"], rtol=1e-9)
        assert list(by_csv["risk_grade"]) == list(expected["risk_grade"])
        assert list(by_csv["reasons"]) == list(expected["reasons"])
        # a request without a feature the model needs: 4xx naming the column, without echoing the request
        status, answer = post_json(url, {"dataframe_split": json.loads(
            request.drop(columns="on_time_rate_365d").to_json(orient="split", index=False))})
        assert 400 <= status < 500 and "on_time_rate_365d" in answer.get("message", ""), answer
        assert set(answer) == {"error_code", "message"} and str(request["customer_id"].iloc[0]) not in answer["message"]
    finally:
        cli.send_signal(signal.SIGTERM)  # what `kill` and process managers send; Ctrl-C takes the same path
        try:
            out, _ = cli.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(cli.pid, signal.SIGKILL)
            for pid in served:
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
            raise
    assert cli.returncode == 0, out.decode()
    assert "Stopping (SIGTERM)" in out.decode()
    assert "Serving models:/gridcrm-arrears@champion" in said.decode()
    assert [pid for pid in served if _alive(pid)] == []  # the server and its workers are gone


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
