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
