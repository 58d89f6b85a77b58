"""Registered champions applied on Spark (mlflow.pyfunc.spark_udf) answer as load_model(...).predict does.

Every registered gridcrm model that answers one row per customer is checked on the same rows:
credit, value, segmenter, arrears, churn, anomaly (signal rows) and the recommender (scored in one
pass: its answer for a customer depends on the other customers of the request).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]
ROOT = Path(__file__).resolve().parents[2]
CREDIT_CONFIG = ROOT / "configs" / "credit_ahp.yaml"
#: Model, alias: every registered per-customer gridcrm model (churn under its test alias when not champion).
CHAMPIONS = [("gridcrm-credit", "champion"), ("gridcrm-value", "champion"), ("gridcrm-segmenter", "champion"),
             ("gridcrm-arrears", "champion"), ("gridcrm-churn", None), ("gridcrm-anomaly", "champion"),
             ("gridcrm-recommender", "champion")]


def _request(champions, name: str, model) -> pd.DataFrame:
    from gridcrm.tracking import to_request

    if name == "gridcrm-anomaly":
        from gridcrm.tracking._anomaly_adapter import request_columns

        return to_request(champions["signals"][request_columns()].reset_index())
    inputs = [c.name for c in model.metadata.get_input_schema().inputs]
    return to_request(champions["features"].reset_index())[inputs]


def _alias(champions, name: str, alias: str | None) -> str:
    if alias is not None:
        return alias
    from mlflow import MlflowClient

    aliases = MlflowClient(champions["uri"]).get_registered_model(name).aliases
    return "champion" if "champion" in aliases else "tested"


@pytest.mark.slow  # one main-job run registers them (session fixture)
@pytest.mark.parametrize(("name", "alias"), CHAMPIONS, ids=[n.removeprefix("gridcrm-") for n, _ in CHAMPIONS])
def test_every_champion_scores_on_spark_as_in_pandas(spark, champions, name, alias):
    from gridcrm.tracking import load_model
    from gridcrm.tracking.spark import POOLED_KINDS, spark_score

    alias = _alias(champions, name, alias)
    model = load_model(name, alias, uri=champions["uri"])
    request = _request(champions, name, model)
    assert len(request) > 500
    expected = model.predict(request)
    assert len(expected) == len(request)
    frame = spark.createDataFrame(request).repartition(3)  # rows of one batch in pandas, three partitions here
    scored = spark_score(frame, name, alias, uri=champions["uri"])
    got = scored.toPandas().sort_values("customer_id").reset_index(drop=True)
    assert list(got.columns) == list(request.columns) + [c for c in expected.columns if c != "customer_id"]
    want = expected.sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[list(expected.columns)], want, check_dtype=False, check_exact=False,
                                  rtol=0, atol=1e-9)
    kind = model.pyfunc.model_config["kind"]
    assert (scored.rdd.getNumPartitions() == 1) == (kind in POOLED_KINDS)


@pytest.mark.slow
def test_the_recommender_depends_on_the_whole_request_so_it_is_scored_in_one_pass(champions):
    from gridcrm.tracking import load_model

    model = load_model("gridcrm-recommender", uri=champions["uri"])
    request = _request(champions, "gridcrm-recommender", model)
    whole = model.predict(request)
    halves = pd.concat([model.predict(request.iloc[::2]), model.predict(request.iloc[1::2])])
    halves = halves.sort_values("customer_id").reset_index(drop=True)
    # batch by batch (as spark_udf scores) some customers would get other products: capacity and percentiles
    assert not halves["products"].equals(whole.sort_values("customer_id").reset_index(drop=True)["products"])


@pytest.mark.slow
def test_every_model_the_job_registered_is_checked(champions):
    from mlflow import MlflowClient

    registered = {m.name for m in MlflowClient(champions["uri"]).search_registered_models()}
    assert registered == {n for n, _ in CHAMPIONS}
    assert set(champions["decisions"]) <= registered


def test_credit_champion_scores_on_spark_as_in_pandas(spark, tracking_uri):
    from gridcrm.credit import CreditScorer, load_scoring_config
    from gridcrm.credit.synthetic import synthetic_indicators
    from gridcrm.errors import InputError, TrackingError
    from gridcrm.tracking import load_model, log_model, promote, tracked_run
    from gridcrm.tracking.spark import spark_score

    names = list(load_scoring_config(CREDIT_CONFIG).indicators)
    X = synthetic_indicators(300, 3)
    X = X[[c for c in names if c in X.columns]]
    X.index = pd.Index(X.index.to_numpy(dtype=np.int64) + 999, name="customer_id")
    with tracked_run("credit", "v1") as run:
        scorer = CreditScorer(CREDIT_CONFIG).fit(X)
        info = log_model(scorer, "credit", X.reset_index().head(5), registered_model_name="gridcrm-credit")
        promote("gridcrm-credit", info.registered_model_version, "none", lambda m: 0.0, run=run)
    expected = load_model("gridcrm-credit", uri=tracking_uri).predict(X.reset_index())
    request = spark.createDataFrame(X.reset_index()).repartition(3)
    got = spark_score(request, "gridcrm-credit", uri=tracking_uri, prefix="credit_").toPandas()
    got = got.sort_values("customer_id").reset_index(drop=True)
    assert [c for c in got.columns if c.startswith("credit_")] == ["credit_customer_id", "credit_score",
                                                                    "credit_grade", "credit_coverage"]
    got = got[[f"credit_{c}" for c in expected.columns]].set_axis(list(expected.columns), axis=1)
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True), check_dtype=False, check_exact=False,
                                  rtol=0, atol=1e-9)
    with pytest.raises(TrackingError, match="gridcrm-nope@champion"):
        spark_score(request, "gridcrm-nope", uri=tracking_uri)
    with pytest.raises(InputError, match="lacks column"):
        spark_score(request, "gridcrm-credit", uri=tracking_uri, columns=["customer_id", "no_such"])
