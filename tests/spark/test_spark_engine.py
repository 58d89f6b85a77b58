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


def _job_configs(folder, tmp_path) -> tuple[str, str]:
    """features, credit, forecasting (configs/forecast.yaml shortened: 7 days ahead on 120 days of history, one
    backtest window, two group levels) and tags; the Spark one with ``collect_max_rows: 50`` (the forecasts
    written by Spark as a Parquet directory) and ``driver_max_series: 20`` (the registered model and the backtest
    on a sample of 20 of the customers) and two partitions of customers (tiny data: fewer tasks)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "configs"
    forecast = (root / "forecast.yaml").read_text()
    for old, new in (("\n  h: 28 ", "\n  h: 7 "), ("    windows: 3 ", "    windows: 1 "), ("    h: 28 ", "    h: 7 "),
                     ("\n  max_history: null ", "\n  max_history: 120 "),
                     ("\n  groups: [customer_class, region, industry_code]", "\n  groups: [customer_class, region]")):
        assert old in forecast, old
        forecast = forecast.replace(old, new)
    (tmp_path / "forecast.yaml").write_text(forecast)
    sections = (f"credit:\n  config: {root / 'credit_ahp.yaml'}\n"
                f"forecasting:\n  config: {tmp_path / 'forecast.yaml'}\ntags:\n  config: {root / 'tags.yaml'}\n")
    paths = []
    for out, extra in (("pandas", ""), ("spark", "engine: spark\nspark:\n  collect_max_rows: 50\n  driver_max_series: 20\n"
                                   "  partitions: 2\n")):
        path = tmp_path / f"{out}.yaml"
        path.write_text(f"name: t\nas_of: 2024-06-01\ndata:\n  path: {folder}\n  on_error: quarantine\n"
                        f"output:\n  dir: {tmp_path / out}\n{sections}{extra}")
        paths.append(str(path))
    return paths[0], paths[1]


@pytest.mark.slow
def test_run_on_spark_writes_what_the_pandas_engine_writes(spark, small_extract, tmp_path, capsys):
    """Features, forecasts (customers and 15-minute load on Spark, the registered model and the groups' model on the
    driver) and tags."""
    folder, _ = small_extract
    on_pandas, on_spark = _job_configs(folder, tmp_path)
    assert main(["run", "--config", on_pandas]) == 0
    pandas_out = capsys.readouterr().out
    # engine from the config; the session fixture's local[2] session is the one reused
    assert main(["run", "--config", on_spark]) == 0
    out = capsys.readouterr().out
    assert "built on Spark" in out and "tags: evaluated on Spark" in out
    assert "written by Spark as the Parquet directory forecasts.parquet/" in out
    assert "interval load: forecast on Spark" in out and "summed and reconciled on Spark" in out
    n = len(pd.read_csv(tmp_path / "pandas" / "forecast_models.csv"))
    assert f"seeded sample of 20 of {n} customers" in out and n > 20
    # the 15-minute accuracy note (MASE, coverage over the week after as_of) says the same on both engines
    notes = [[line[line.index("interval load: "):] for line in text.splitlines() if "quarter-hours; MASE" in line]
             for text in (pandas_out, out)]
    assert len(notes[0]) == 1 and notes[1] == notes[0]
    a, b = tmp_path / "pandas", tmp_path / "spark"
    assert sorted(p.name for p in b.iterdir()) == sorted(p.name for p in a.iterdir())
    assert (b / "forecasts.parquet").is_dir() and (a / "forecasts.parquet").is_file()
    assert json.loads((a / "data_report.json").read_text()) == json.loads((b / "data_report.json").read_text())
    compared = []
    for path in sorted(a.iterdir()):
        if path.suffix == ".parquet":
            left, right = pd.read_parquet(path), pd.read_parquet(b / path.name)
        elif path.suffix == ".csv":
            left, right = pd.read_csv(path), pd.read_csv(b / path.name)
        else:
            continue
        if path.name == "forecast_backtest.csv":  # on the driver's sample: 20 of the customers
            assert "backtest on 20: MASE" in out and f"backtest on {n}: MASE" in pandas_out
            continue
        pd.testing.assert_frame_equal(right, left, check_exact=False, rtol=0, atol=1e-9, obj=path.name)
        compared.append(path.name)
    assert {"features.parquet", "forecasts.parquet", "forecast_models.csv", "group_forecasts.parquet",
            "forecast_accuracy_by_level.csv", "interval_forecasts.parquet", "tags.parquet", "portraits.parquet",
            "credit.parquet"} <= set(compared)
    interval = pd.read_parquet(b / "interval_forecasts.parquet")
    assert {"selected", "day_type", "lo_95", "hi_95"} <= set(interval.columns)
    assert interval.groupby("unique_id").size().eq(672).all() and interval["unique_id"].nunique() >= 2
    written = pd.read_parquet(b / "forecasts.parquet")
    assert len(written) == 7 * n > 50  # more rows than collect_max_rows
    assert str(written["ds"].dtype) == "datetime64[ns]" and list((b / "forecasts.parquet").glob("part-*"))
