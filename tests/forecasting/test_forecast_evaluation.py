"""Metrics, rolling-origin backtests, group forecasts and reconciliation, plots, configuration."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from gridcrm.config import ConfigError
from gridcrm.forecasting import (
    ConsumptionForecaster,
    aggregate,
    arima_frame,
    backtest,
    daily_frame,
    error_distribution,
    fan_chart,
    load_forecast_config,
    reconcile,
    series_metrics,
    simulate_arima,
    training_scales,
)

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[2]


def test_metrics_on_a_hand_example():
    train = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-01-01", periods=4), "y": [1.0, 3.0, 1.0, 3.0]})
    fc = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-01-05", periods=2), "y": [2.0, 4.0],
                       "forecast": [3.0, 3.0], "lo_80": [2.5, 2.5], "hi_80": [3.5, 3.5]})
    m = series_metrics(fc, training_scales(train, 1)).iloc[0]
    assert m["mase"] == pytest.approx(1.0 / 2.0)  # MAE 1, in-sample naive MAE 2
    assert m["rmsse"] == pytest.approx(1.0 / 2.0)
    assert m["smape"] == pytest.approx(100 * (2 / 5 + 2 / 7) / 2)
    assert m["bias"] == pytest.approx(0.0)
    assert m["coverage_80"] == 0.0
    # Winkler: width 1 + (2 / 0.2) * 0.5 for each point, scaled by 2
    assert m["winkler_80"] == pytest.approx((1 + 10 * 0.5) / 2)


def test_backtest_windows_metrics_and_groups():
    df = arima_frame(30 + simulate_arima(ar=[0.5], seasonal_ma=[-0.4], D=1, s=7, n=250, n_series=4, seed=21))
    res = backtest(ConsumptionForecaster(), df, h=14, n_windows=3, step=7)
    assert res.metrics["cutoff"].nunique() == 3 and len(res.metrics) == 12
    cut = res.forecasts.groupby("cutoff")["ds"].agg(["min", "max"])
    assert ((cut["max"] - cut["min"]) == pd.Timedelta(days=13)).all()
    assert ((cut.index[1:] - cut.index[:-1]) == pd.Timedelta(days=7)).all()
    overall = res.summary()
    assert 0.2 < overall.loc["all", "mase"] < 2 and 0.6 < overall.loc["all", "coverage_95"] <= 1
    groups = pd.Series(["x", "x", "y", "y"], index=range(4), name="segment")
    by = res.summary(groups)
    assert by.index.tolist() == ["x", "y"] and by["n_series"].tolist() == [2, 2]
    assert len(res.by_cutoff()) == 3
    with pytest.raises(ValueError, match="n_windows"):
        backtest(ConsumptionForecaster(), df, h=7, n_windows=0)


def test_customer_and_segment_accuracy_of_clustered_backtest(synthetic_year):
    df = daily_frame(synthetic_year.dataset)
    cls = synthetic_year.dataset.customers.set_index("customer_id")["customer_class"].astype(str)
    res = backtest(ConsumptionForecaster(engine="clustered", segments=cls), df, h=28, n_windows=2, step=28)
    per_class = res.summary(cls.rename("customer_class"), how="median")
    assert set(per_class.index) <= set(cls.unique())
    assert per_class["mase"].notna().all()


def test_aggregate_and_reconcile_are_coherent():
    Y = 10 + simulate_arima(ar=[0.5], n=200, n_series=6, seed=22)
    df = arima_frame(Y)
    groups = pd.DataFrame({"region": ["n", "n", "s", "s", "s", "n"], "cls": list("abab" "ab")}, index=range(6))
    frame, hier = aggregate(df, groups, ["region", ["region", "cls"]])
    assert set(hier.levels) == {"region", "region/cls", "total"}
    tot = frame.loc[frame["unique_id"] == "total", "y"].to_numpy()
    assert np.allclose(tot, Y.sum(axis=1))
    base = ConsumptionForecaster(season_length=1).fit(frame).predict(5)
    for method in ("bottom_up", "ols", "wls_struct", "wls_var"):
        rec = reconcile(base, hier, method=method).set_index(["unique_id", "ds"])["forecast"]
        wide = rec.unstack("ds")
        bottom = wide.loc[hier.bottom_ids].to_numpy()
        groups_fc = wide.loc[hier.group_ids].to_numpy()
        assert np.allclose(hier.A @ bottom, groups_fc, rtol=1e-6), method
    bu = reconcile(base, hier, "bottom_up").set_index(["unique_id", "ds"])
    b = base.set_index(["unique_id", "ds"])
    assert np.allclose(bu.loc[hier.bottom_ids.tolist(), "forecast"], b.loc[hier.bottom_ids.tolist(), "forecast"])
    with pytest.raises(ValueError, match="method"):
        reconcile(base, hier, "mint_magic")
    with pytest.raises(KeyError, match="industry"):
        aggregate(df, groups, ["industry"])


def test_plots_draw():
    df = arima_frame(20 + simulate_arima(ar=[0.5], n=120, n_series=2, seed=23))
    fc = ConsumptionForecaster(season_length=1).fit(df)
    ax = fan_chart(df, fc.predict(14), 0, actual=df)
    assert len(ax.collections) == 2  # one band per level
    res = backtest(ConsumptionForecaster(season_length=1), df, h=7, n_windows=2)
    ax = error_distribution(res.metrics, "smape", groups=pd.Series(["a", "b"], index=[0, 1]))
    assert ax.get_xlabel() == "smape"
    with pytest.raises(ValueError, match="neither"):
        fan_chart(df, fc.predict(3), 99)


def test_forecast_config_file_and_errors(tmp_path):
    cfg = load_forecast_config(ROOT / "configs" / "forecast.yaml")
    assert cfg.engine == "batched" and cfg.level == (80, 95) and cfg.backtest.windows >= 1
    assert cfg.forecaster().season_length == cfg.season_length
    bad = tmp_path / "f.yaml"
    bad.write_text("forecast:\n  engin: exact\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['engin'\]"):
        load_forecast_config(bad)
    bad.write_text("forecast:\n  season_length: seven\n")
    with pytest.raises(ConfigError, match="forecast.season_length: expected int"):
        load_forecast_config(bad)
    bad.write_text("forecast:\n  engine: magic\n")
    with pytest.raises(ConfigError, match="engine='magic'"):
        load_forecast_config(bad)
    bad.write_text("forecast:\n  backtest:\n    windows: 0\n")
    with pytest.raises(ConfigError, match="forecast.backtest.windows"):
        load_forecast_config(bad)
