"""Registered champions applied on Spark (mlflow.pyfunc.spark_udf) answer as load_model(...).predict does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]
ROOT = Path(__file__).resolve().parents[2]
CREDIT_CONFIG = ROOT / "configs" / "credit_ahp.yaml"


def test_credit_champion_scores_on_spark_as_in_pandas(spark, tracking_uri):
    from gridcrm.credit import CreditScorer, load_scoring_config
    from gridcrm.credit.synthetic import synthetic_indicators
    from gridcrm.errors import TrackingError
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
    got = spark_score(request, "gridcrm-credit", uri=tracking_uri).toPandas()
    got = got.sort_values("customer_id").reset_index(drop=True)[list(expected.columns)]
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True), check_dtype=False, check_exact=False,
                                  rtol=0, atol=1e-9)
    with pytest.raises(TrackingError, match="gridcrm-nope@champion"):
        spark_score(request, "gridcrm-nope", uri=tracking_uri)
