"""The stratified segmenter served over HTTP (#20): the real server answers like the model in process."""

from __future__ import annotations

import json
import urllib.request

import pytest

from gridcrm.tracking import ModelServer, log_model, promote, tracked_run

from .test_segment_stratified import FEATURES, _customers, _segmenter


@pytest.mark.slow
def test_served_stratified_segmenter_answers_like_in_process(tracking_uri):
    X, _ = _customers()
    seg = _segmenter().fit(X)
    names = seg.profile(X).names.to_dict()
    request = X[["customer_class", *FEATURES]].reset_index()
    request["customer_class"] = request["customer_class"].astype(str)
    with tracked_run("segmentation", "serve"):
        info = log_model({"segmenter": seg, "names": names}, "segmenter", request.head(3),
                         registered_model_name="gridcrm-segmenter")
    promote("gridcrm-segmenter", info.registered_model_version, "n", lambda m: 1.0)
    sample = request.sample(25, random_state=1)
    expected = seg.predict(X.loc[sample["customer_id"]])
    with ModelServer("models:/gridcrm-segmenter@champion", tracking_uri=tracking_uri) as server:
        body = json.dumps({"dataframe_split": json.loads(sample.to_json(orient="split", index=False,
                                                                        double_precision=15))}).encode()
        req = urllib.request.Request(f"{server.url}/invocations", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            got = json.loads(resp.read())["predictions"]
    assert [r["customer_id"] for r in got] == sample["customer_id"].tolist()
    assert [r["segment"] for r in got] == expected.tolist()
    assert [r["segment_name"] for r in got] == [names[int(g)] for g in expected]
    assert any(r["segment_name"].startswith("commercial · ") for r in got)
