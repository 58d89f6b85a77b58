"""The engine hook of the step layer: the steps take their per-customer work from ``ctx.engine`` (no Java needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcrm.config import load_config
from gridcrm.data.synth import generate_dataset
from gridcrm.errors import GridcrmError
from gridcrm.job import run
from gridcrm.job.engine import CustomerForecasts, Engine, IntervalForecasts, PandasEngine, interval_forecaster

ROOT = Path(__file__).resolve().parents[1]


class Recording:
    """An engine by duck typing: the pandas engine's work, changed where a test can see it, and every call recorded."""

    name = "recording"

    def __init__(self) -> None:
        self.inner = PandasEngine()
        self.calls: list[tuple[str, object]] = []

    def features(self, ctx):
        table = self.inner.features(ctx).iloc[:12]  # the steps after it see these 12 customers only
        self.calls.append(("features", ctx.name))
        return table

    def customer_forecasts(self, ctx, cfg, customers):
        fc = self.inner.customer_forecasts(ctx, cfg, customers)
        self.calls.append(("customer_forecasts", list(customers)))
        bounds = [c for c in fc.forecasts.columns if c.startswith(("lo_", "hi_"))]
        forecasts = fc.forecasts.assign(forecast=7.0, **{c: 7.0 for c in bounds})  # a value the step cannot invent
        return CustomerForecasts(fc.history, forecasts, fc.models, fc.forecaster, fc.regressors)

    def group_forecasts(self, ctx, cfg, customers):
        self.calls.append(("group_forecasts", float(customers.forecasts["forecast"].iloc[0])))
        return self.inner.group_forecasts(ctx, cfg, customers)

    def interval_forecasts(self, ctx, forecaster, min_weeks):
        got = self.inner.interval_forecasts(ctx, forecaster, min_weeks)  # no 15-minute load in this extract
        self.calls.append(("interval_forecasts", (type(forecaster).__name__, forecaster.forecaster.season_length,
                                                  min_weeks, got.customer, len(got.forecasts))))
        ds = pd.date_range(ctx.as_of, periods=3, freq="15min")
        forecasts = pd.DataFrame({"unique_id": 5, "ds": ds, "forecast": 7.0, "lo_95": 6.0, "hi_95": 8.0,
                                  "selected": "Blocks"})
        history = pd.DataFrame({"unique_id": 5, "ds": ds - pd.Timedelta(hours=1), "y": [1.0, np.nan, 3.0]})
        summary = pd.DataFrame({"mase": [0.5], "coverage_95": [0.75]}, index=pd.Index(["all"]))
        return IntervalForecasts(forecasts, summary, 5, history, history.iloc[:0])

    def tags(self, ctx, tagset, features, extra):
        self.calls.append(("tags", (len(features), sorted(extra.columns) if extra is not None else None)))
        return self.inner.tags(ctx, tagset, features, extra)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("engine")
    extract = generate_dataset(40, "2023-06-01", "2024-07-31", seed=5, n_interval_customers=0).dataset.save(
        tmp / "extract")
    forecast = (ROOT / "configs" / "forecast.yaml").read_text()
    forecast = forecast.replace("\n  h: 28 ", "\n  h: 7 ").replace("    windows: 3 ", "    windows: 1 ")
    (tmp / "forecast.yaml").write_text(forecast.replace("    h: 28 ", "    h: 7 "))
    (tmp / "tags.yaml").write_text(
        "categories:\n  use: Use\ntags:\n"
        "  - {id: big, label: Big, category: use, rule: {feature: kwh_mean_90d, op: '>=', percentile: 50}}\n"
        "  - {id: good_credit, label: Good credit, category: use, rule: {column: credit_score, op: '>=', value: 0}}\n")
    (tmp / "run.yaml").write_text(
        f"name: t\nas_of: 2024-06-01\ndata:\n  path: {extract}\noutput:\n  dir: {tmp / 'out'}\n"
        f"credit:\n  config: {ROOT / 'configs' / 'credit_ahp.yaml'}\nforecasting:\n  config: {tmp / 'forecast.yaml'}\n"
        f"tags:\n  config: {tmp / 'tags.yaml'}\n")
    return tmp


def test_the_steps_take_their_work_from_the_engine(project):
    engine = Recording()
    assert isinstance(engine, Engine) and isinstance(PandasEngine(), Engine)  # the protocol, by duck typing
    result = run(load_config(project / "run.yaml"), engine=engine)
    kinds = [k for k, _ in engine.calls]
    assert kinds == ["features", "customer_forecasts", "interval_forecasts", "group_forecasts", "tags"]
    features = result.results["features"].features
    assert len(features) == 12 and len(pd.read_parquet(result.files["features"])) == 12
    calls = dict(engine.calls)
    assert calls["customer_forecasts"] == list(features.index)  # the forecasting step forecasts the engine's table
    assert calls["group_forecasts"] == 7.0  # the group forecasts get the engine's customer forecasts
    assert calls["tags"] == (12, ["credit_grade", "credit_score"])  # the earlier models' columns reach the tags
    # the job's 15-minute forecaster (from forecast.yaml: calendar cn) and rule; none of these customers has the load
    assert calls["interval_forecasts"] == ("CalendarProfileForecaster", 672, 4, None, 0)
    interval = pd.read_parquet(result.files["interval_forecasts"])  # what the engine returned, written by the step
    assert interval["forecast"].tolist() == [7.0] * 3 and set(interval["selected"]) == {"Blocks"}
    assert any("interval load: 1 customers" in n and "MASE (m = one week) 0.50, 95% coverage 75%" in n
               for n in result.notes)
    written = pd.read_parquet(result.files["forecasts"])
    assert (written["forecast"] == 7.0).all() and written["unique_id"].nunique() == 12
    portraits = pd.read_parquet(result.files["portraits"])
    ranges = result.results["forecasting"].ranges  # computed by the step from the engine's forecasts
    assert np.allclose(ranges.to_numpy(dtype=float), 7.0) and len(ranges) == 12
    assert len(portraits) == 12
    tags = pd.read_parquet(result.files["tags"])
    assert set(tags["customer_id"]) <= set(features.index) and {"big", "good_credit"} <= set(tags["tag_id"].astype(str))
    assert all(type(c.engine) is Recording for c in result._contexts.values())


def test_run_without_an_engine_runs_on_pandas(tmp_path):
    extract = generate_dataset(15, "2023-06-01", "2024-03-31", seed=2, n_interval_customers=0).dataset.save(
        tmp_path / "extract")
    (tmp_path / "run.yaml").write_text(f"name: t\ndata:\n  path: {extract}\noutput:\n  dir: {tmp_path / 'out'}\n")
    result = run(load_config(tmp_path / "run.yaml"))
    assert isinstance(result._contexts["features"].engine, PandasEngine)
    expected = PandasEngine().features(result._contexts["features"])
    pd.testing.assert_frame_equal(result.results["features"].features, expected)
    with pytest.raises(GridcrmError, match="engine: expected an object with the methods"):
        run(load_config(tmp_path / "run.yaml"), engine=object())


def test_the_interval_forecaster_is_the_jobs_settings():
    from types import SimpleNamespace

    fc = interval_forecaster(SimpleNamespace(level=(80, 95), random_state=3, calendar=None))
    assert type(fc).__name__ == "ConsumptionForecaster"  # no calendar: no profile wrapper
    assert (fc.season_length, fc.freq, fc.level, fc.max_history, fc.interval_method, fc.random_state) == (
        672, "15min", (80, 95), 8 * 672, "conformal", 3)


def test_the_pandas_engine_refuses_group_forecasts_from_a_sample():
    sampled = CustomerForecasts(pd.DataFrame(), None, pd.DataFrame(), None, sampled=True)
    with pytest.raises(ValueError, match="every customer's history"):
        PandasEngine().group_forecasts(None, None, sampled)
    with pytest.raises(ValueError, match="written, not collected"):
        sampled.of([1])
