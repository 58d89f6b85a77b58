"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from helpers import make_raw_tables

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def raw_tables() -> dict[str, pd.DataFrame]:
    """A fresh copy of the tiny valid extract (tests may change it)."""
    return make_raw_tables()


@pytest.fixture(scope="session")
def _mlflow_template_db(tmp_path_factory) -> Path:
    """A migrated, empty MLflow SQLite store, made once per session (migrations take seconds)."""
    from gridcrm.tracking import configure

    db = tmp_path_factory.mktemp("mlflow-template") / "mlruns.db"
    configure(f"sqlite:///{db}")
    from mlflow import MlflowClient

    MlflowClient().search_experiments()
    return db


@pytest.fixture
def tracking_uri(tmp_path, _mlflow_template_db, monkeypatch) -> str:
    """A fresh SQLite tracking store in tmp_path (a copy of the template); cwd is tmp_path."""
    import shutil

    db = tmp_path / "mlruns.db"
    shutil.copyfile(_mlflow_template_db, db)
    uri = f"sqlite:///{db}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)
    from gridcrm.tracking import configure

    configure(uri)
    return uri
