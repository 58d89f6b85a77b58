"""One Spark session for every Spark test (starting one costs seconds); skipped without pyspark or Java."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("PYTHONWARNINGS", "ignore::FutureWarning")  # pyspark 4.3 warns about pandas >= 3 per task


@pytest.fixture(scope="session")
def spark():
    from gridcrm.spark.session import spark_available, spark_session, stop_session

    reason = spark_available()
    if reason is not None:
        pytest.skip(f"Spark tests skipped: {reason}")
    session = spark_session("local[2]", driver_memory="2g", shuffle_partitions=4)
    yield session
    stop_session(session)


@pytest.fixture(scope="session")
def extract(tmp_path_factory) -> tuple[Path, pd.Timestamp]:
    """A small synthetic extract saved as Parquet (80 customers, 14 months) and its extraction date."""
    from gridcrm.data.synth import generate_dataset

    ds = generate_dataset(n_customers=80, start="2023-06-01", end="2024-07-31", seed=11).dataset
    folder = tmp_path_factory.mktemp("extract")
    ds.save(folder)
    return folder, ds.extracted_on


@pytest.fixture(scope="session")
def small_extract(tmp_path_factory) -> tuple[Path, pd.Timestamp]:
    """30 customers over 8 months to 2024-06-14, three of them with 15-minute load from 2024-05-01 (the job's four
    weeks before an as_of of 2024-06-01, and the week after it); saved as Parquet, with its extraction date."""
    from gridcrm.data.synth import generate_dataset

    ds = generate_dataset(n_customers=30, start="2023-10-01", end="2024-06-14", seed=11, n_interval_customers=3,
                          interval_days=45).dataset
    folder = tmp_path_factory.mktemp("small_extract")
    ds.save(folder)
    return folder, ds.extracted_on


@pytest.fixture(scope="session")
def champions(tmp_path_factory, _mlflow_template_db):
    """Every per-customer champion registered ONCE by one main-job run into a tracking store of its own.

    600 synthetic customers (thefts at 3 %), as_of 2024-10-01: segmentation, credit, value, risk (arrears and
    churn; 2 tuning trials), anomaly, tags and recommend, tracking on. Churn, on too few events to become
    champion here, gets the alias ``tested`` on its registered version (the same model). Yields the store's
    URI, the feature table and the anomaly signals the job scored.
    """
    import shutil

    from gridcrm.config import load_config
    from gridcrm.data.synth import generate_dataset
    from gridcrm.job import run

    root = Path(__file__).resolve().parents[2]
    tmp = tmp_path_factory.mktemp("champions")
    extract = generate_dataset(600, "2023-01-01", "2024-12-31", seed=4, theft_rate=0.03).dataset.save(tmp / "extract")
    risk = (root / "configs" / "risk.yaml").read_text().replace("n_trials: 30", "n_trials: 2")
    (tmp / "risk.yaml").write_text(risk)
    out = tmp / "out"
    out.mkdir()
    shutil.copyfile(_mlflow_template_db, out / "mlruns.db")  # migrated already (fast)
    configs = {"credit": root / "configs/credit_ahp.yaml", "value": root / "configs/value_ahp.yaml",
               "tags": root / "configs/tags.yaml", "segmentation": root / "configs/segmentation.yaml",
               "risk": tmp / "risk.yaml", "recommend": root / "configs/products.yaml",
               "anomaly": root / "configs/anomaly.yaml"}
    cfg = tmp / "run.yaml"
    cfg.write_text(f"name: t\nas_of: 2024-10-01\ndata:\n  path: {extract}\noutput:\n  dir: {out}\n"
                   + "".join(f"{k}:\n  config: {v}\n" for k, v in configs.items())
                   + "tracking:\n  enabled: true\n  experiment: spark-champions\n")
    with pytest.MonkeyPatch.context() as mp:
        uri = f"sqlite:///{out / 'mlruns.db'}"
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.chdir(tmp)
        result = run(load_config(cfg))
        from mlflow import MlflowClient

        client = MlflowClient(uri)
        churn = client.search_model_versions("name = 'gridcrm-churn'")
        if churn and "champion" not in client.get_registered_model("gridcrm-churn").aliases:
            client.set_registered_model_alias("gridcrm-churn", "tested", max(int(v.version) for v in churn))
        yield {"uri": uri, "features": result.results["features"].features,
               "signals": result.results["anomaly"].signals, "decisions": result.tracking["decisions"]}
