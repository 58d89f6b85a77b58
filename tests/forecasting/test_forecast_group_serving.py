"""The registered group forecaster (gridcrm-group-forecaster) served by the real MLflow server on 127.0.0.1 (#15)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from gridcrm.forecasting import ConsumptionForecaster
from gridcrm.forecasting.groups import fit_group_forecaster
from helpers import post_json, weather_driven_customers

pytestmark = pytest.mark.slow  # a real server: ~10 s to start on an idle machine


def _group_model():
    """Three customers in two regions with degree-days and the calendar; groups by class and the total."""
    from gridcrm.forecasting.regressors import with_regressors

    df, customers, weather = weather_driven_customers("2023-06-01", seed=5)
    cust = with_regressors(ConsumptionForecaster().fit(df), customers, weather, "2024-10-01")
    members = pd.DataFrame({"cls": ["x", "x", "y"]}, index=pd.Index([1, 2, 3], name="unique_id"))
    return fit_group_forecaster(cust, df, members, ["cls"], ConsumptionForecaster(), method="wls_var",
                                regions=customers.set_index("customer_id")["region"], weather=weather,
                                as_of="2024-10-01")


@pytest.fixture(scope="module")
def server(tmp_path_factory, _mlflow_template_db):
    """One real model server of gridcrm-group-forecaster@champion for the module (it takes ~10 s to start)."""
    from gridcrm.tracking import ModelServer, configure, log_model, promote, tracked_run

    tmp = tmp_path_factory.mktemp("group-serving")
    shutil.copyfile(_mlflow_template_db, tmp / "mlruns.db")
    uri = f"sqlite:///{tmp / 'mlruns.db'}"
    model = _group_model()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.chdir(tmp)
        configure(uri)
        with tracked_run("group-forecaster", "serve"):
            info = log_model(model, "group-forecaster", pd.DataFrame({"unique_id": ["total", "cls=x"]}),
                             registered_model_name="gridcrm-group-forecaster", params={"horizon": 28})
        promote("gridcrm-group-forecaster", info.registered_model_version, "group_mase_after_as_of", lambda m: 1.0,
                higher_is_better=False)
        with ModelServer("models:/gridcrm-group-forecaster@champion", host="127.0.0.1", tracking_uri=uri) as srv:
            yield srv, model


def test_served_group_forecasts_match_in_process_in_request_order_with_the_horizon_asked(server):
    srv, model = server
    status, body = post_json(f"{srv.url}/invocations", {
        "dataframe_split": {"columns": ["unique_id"], "data": [["total"], ["cls=y"], ["no-such-group"]]},
        "params": {"horizon": 5}})
    assert status == 200, body
    got = pd.DataFrame(body["predictions"])
    assert got["unique_id"].tolist() == ["total"] * 5 + ["cls=y"] * 5  # unknown ids get no rows
    want = model.predict(5).set_index(["unique_id", "ds"])
    got["ds"] = pd.to_datetime(got["ds"])
    want = want.loc[list(zip(got["unique_id"], got["ds"], strict=True))]
    np.testing.assert_allclose(got["forecast"], want["forecast"], rtol=1e-9)
    np.testing.assert_allclose(got["hi_95"], want["hi_95"], rtol=1e-9)
    assert set(got["level"]) == {"total", "cls"}
    assert got["ds"].min() == pd.Timestamp("2024-10-01")  # forecast from as_of, degree-days from seasonal normals


def test_served_group_forecaster_uses_its_default_horizon_and_refuses_bad_requests(server):
    srv, _ = server
    status, body = post_json(f"{srv.url}/invocations", {"dataframe_split": {"columns": ["unique_id"], "data": [["total"]]}})
    assert status == 200 and len(body["predictions"]) == 28
    for params, named in (({"horizon": 0}, "horizon"), ({"horizon": 10_000}, "horizon")):
        status, body = post_json(f"{srv.url}/invocations", {
            "dataframe_split": {"columns": ["unique_id"], "data": [["total"]]}, "params": params})
        assert 400 <= status < 500 and named in body.get("message", ""), body
    status, body = post_json(f"{srv.url}/invocations", {"dataframe_split": {"columns": ["region"], "data": [["A"]]}})
    assert 400 <= status < 500 and "message" in body
