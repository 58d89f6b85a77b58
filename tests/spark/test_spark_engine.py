"""gridcrm run --engine spark: the same output files, columns and dtypes as the pandas engine."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gridcrm.cli import main
from gridcrm.config import load_config

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::FutureWarning")]


def _config(folder, tmp_path, out: str, extra: str = "") -> str:
    configs = tmp_path / "configs"
    configs.mkdir(exist_ok=True)
    path = configs / f"{out}.yaml"
    path.write_text(f"name: t\nas_of: 2024-06-01\ndata:\n  path: {folder}\n  on_error: quarantine\n"
                    f"output:\n  dir: {tmp_path / out}\nfeatures:\n  windows: [30, 365]\n{extra}")
    return str(path)


def test_engine_key_and_spark_section_are_checked(tmp_path):
    good = tmp_path / "configs" / "a.yaml"
    good.parent.mkdir()
    good.write_text("data:\n  path: data/sample\nengine: spark\nspark:\n  master: local[2]\n  partitions: 4\n")
    cfg = load_config(good)
    assert (cfg.engine, cfg.spark.master, cfg.spark.partitions) == ("spark", "local[2]", 4)
    assert load_config(_config("data/sample", tmp_path, "b")).engine == "pandas"
    bad = tmp_path / "configs" / "c.yaml"
    bad.write_text("data:\n  path: data/sample\nengine: dask\n")
    assert main(["run", "--config", str(bad)]) == 2
    bad.write_text("data:\n  path: data/sample\nspark:\n  mastr: local[2]\n")
    assert main(["run", "--config", str(bad)]) == 2


@pytest.mark.slow
def test_run_on_spark_writes_what_the_pandas_engine_writes(spark, extract, tmp_path, capsys):
    folder, _ = extract
    assert main(["run", "--config", _config(folder, tmp_path, "pandas")]) == 0
    # engine from the config; the session fixture's local[2] session is the one reused
    assert main(["run", "--config", _config(folder, tmp_path, "spark", "engine: spark\n")]) == 0
    assert "built on Spark" in capsys.readouterr().out
    a = pd.read_parquet(tmp_path / "pandas" / "features.parquet")
    b = pd.read_parquet(tmp_path / "spark" / "features.parquet")
    pd.testing.assert_frame_equal(b, a, check_exact=False, rtol=0, atol=1e-9)
    ra = json.loads((tmp_path / "pandas" / "data_report.json").read_text())
    rb = json.loads((tmp_path / "spark" / "data_report.json").read_text())
    assert ra == rb
    assert sorted(p.name for p in (tmp_path / "spark").iterdir()) == sorted(p.name for p in (tmp_path / "pandas").iterdir())
