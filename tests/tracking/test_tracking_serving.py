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
from gridcrm.tracking import ModelServer, load_model, log_model, promote, tracked_run
from gridcrm.tracking.serve import group_processes

ROOT = Path(__file__).resolve().parents[2]
CREDIT_CONFIG = ROOT / "configs" / "credit_ahp.yaml"


def _indicators(n: int, seed: int) -> pd.DataFrame:
    names = list(load_scoring_config(CREDIT_CONFIG).indicators)
    X = synthetic_indicators(n, seed)
    X.index = X.index + 999  # customer ids 1000..
    return X[[c for c in names if c in X.columns]]


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


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
        status, body = _post(f"{server.url}/invocations",
                             {"dataframe_split": json.loads(request.to_json(orient="split", index=False, double_precision=15))})
        assert status == 200, body
        got = pd.DataFrame(body["predictions"])
        assert list(got["customer_id"]) == list(request["customer_id"])
        np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-9)
        assert list(got["grade"]) == list(expected["grade"].astype(str))
        bad_status, bad_body = _post(f"{server.url}/invocations", {"dataframe_split": {"columns": ["x"], "data": [["a"]]}})
        assert 400 <= bad_status < 500
        assert "message" in bad_body and len(bad_body["message"]) > 10
    assert group_processes(pgid) == []  # no server process left behind
