"""Two-season model, model choice by backtest and conformal ranges (#15)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.forecasting import ConsumptionForecaster
from gridcrm.forecasting._models import seasonal_naive_models
from gridcrm.forecasting.batched import fit_batched
from gridcrm.forecasting.multiseason import decompose, fit_multi_season
from gridcrm.forecasting.select import BacktestScores, Candidate, backtest_scores, choose, conformal_scales


def _hourly(weeks: int, n: int, seed: int, noise: float = 0.05) -> np.ndarray:
    t = np.arange(weeks * 168)
    day = np.where((t % 24 >= 8) & (t % 24 < 20), 3.0, 1.0)
    week = np.where(t % 168 >= 120, 0.6, 1.0)
    rng = np.random.default_rng(seed)
    return (day * week)[:, None] * np.exp(rng.normal(0, noise, (t.size, n)))


def _frame(Y: np.ndarray, freq: str = "h") -> pd.DataFrame:
    T, N = Y.shape
    ds = pd.date_range("2024-01-01", periods=T, freq=freq)
    return pd.DataFrame({"unique_id": np.repeat(np.arange(N), T), "ds": np.tile(ds, N), "y": Y.T.ravel()})


def test_decompose_recovers_additive_daily_and_weekly_seasons():
    t = np.arange(5 * 168)
    daily = np.where(t % 24 < 6, -2.0, 1.0)
    weekly = np.where(t % 168 >= 144, -3.0, 0.5)  # Sundays lower
    y = 100 + 0.01 * t + daily + weekly
    trend, D, W = decompose(y[:, None], 168)
    fitted = trend[:, 0] + D[t % 24, 0] + W[t % 168, 0]
    inner = slice(2 * 168, 3 * 168)  # away from the ends of the moving average
    assert np.median(np.abs(fitted - y)[inner]) < 0.05
    # the daily profile keeps the 3-unit step between night and day
    assert D[12, 0] - D[2, 0] == pytest.approx(3.0, abs=0.1)


def test_two_season_model_forecasts_both_seasons_a_week_ahead():
    Y = _hourly(6, 2, seed=0)
    m = fit_multi_season(Y, 168, lambda Z, s: fit_batched(Z, s))
    mean, sd = m.predict(168)
    truth = _hourly(1, 1, seed=0, noise=0.0)[:, 0]
    assert np.median(np.abs(mean[:, 0] - truth)) < 0.1
    assert mean[130, 0] < 0.8 * mean[10 + 24 * 2, 0] or mean[130, 0] < mean[12, 0]  # weekend below a weekday
    assert np.isfinite(sd).all() and (sd > 0).all()
    assert m.table()["model"].str.startswith("MSTL[24,168]").all()


def test_two_season_model_needs_two_weeks_and_whole_days():
    with pytest.raises(ValueError, match="two weeks"):
        fit_multi_season(_hourly(1, 1, 0), 168, lambda Z, s: fit_batched(Z, s))
    with pytest.raises(ValueError, match="multiple of 7"):
        fit_multi_season(_hourly(3, 1, 0), 100, lambda Z, s: fit_batched(Z, s))


def test_choice_takes_the_lowest_backtest_mase_and_the_naive_on_ties():
    s = 7
    rng = np.random.default_rng(1)
    t = np.arange(200)
    exact_week = np.tile([5.0, 6, 7, 8, 9, 3, 2], 30)[:200]
    drift = 10 + 0.5 * t + rng.normal(0, 0.1, 200)  # a trend: the seasonal naive lags by 3.5
    Y = np.c_[exact_week, drift]
    cands = [
        Candidate("naive", lambda Y, X, c: seasonal_naive_models(Y, s, "", "t"), min_steps=s + 2),
        Candidate("arima", lambda Y, X, c: fit_batched(Y, s), min_steps=40),
    ]
    scores = backtest_scores(Y, cands, season_length=s, horizon=14, windows=2)
    assert scores.windows == 2
    assert scores.mase[0, 0] == pytest.approx(0.0)  # naive is exact on a repeated week (a floored scale)
    # errors 3.5 (first week ahead) and 7 (second) over a training scale of 7 x 0.5 = 3.5
    assert scores.mase[0, 1] == pytest.approx(1.5, abs=0.05)
    choice = choose(scores, default=1)
    assert choice.tolist() == [0, 1]


def test_backtest_windows_end_at_the_last_training_step():
    """Window w trains on all but the last w horizons and is scored on the horizon after: nothing later."""
    Y = _hourly(5, 2, seed=3)
    cands = [Candidate("naive", lambda Y, X, c: seasonal_naive_models(Y, 168, "", "t"), min_steps=170)]
    got = backtest_scores(Y, cands, season_length=168, horizon=168, windows=2).mase[0]
    by_hand = []
    for w in (1, 2):
        train, test = Y[: -168 * w], Y[len(Y) - 168 * w : len(Y) - 168 * (w - 1)]
        scale = np.abs(train[168:] - train[:-168]).mean(axis=0)
        by_hand.append(np.abs(test - train[-168:]).mean(axis=0) / scale)
    assert got == pytest.approx(np.mean(by_hand, axis=0))


def test_conformal_factor_is_the_empirical_over_the_normal_quantile():
    z = [[np.full((100, 2), 2.0 * 1.959963984540054)], [np.full((100, 2), np.nan)]]
    bs = BacktestScores(["a", "b"], np.zeros((2, 2)), z, 1, 100)
    f = conformal_scales(bs, np.array([0, 0]), [95])
    assert f[95] == pytest.approx([2.0, 2.0])
    # too few errors in a group: the pooled factor, then 1 with none at all
    small = BacktestScores(["a"], np.zeros((1, 2)), [[np.full((10, 2), 5.0)]], 1, 10)
    assert conformal_scales(small, np.array([0, 0]), [80])[80] == pytest.approx([1.0, 1.0])


def test_forecaster_hourly_default_records_the_choice_and_keeps_its_output():
    df = _frame(_hourly(6, 3, seed=4))
    fc = ConsumptionForecaster(season_length=168, freq="h").fit(df)
    out = fc.predict(48)
    assert out.columns.tolist() == ["unique_id", "ds", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert len(out) == 3 * 48 and np.isfinite(out["forecast"]).all()
    m = fc.models_
    assert set(m["selected"]) <= {"SeasonalNaive[168]", "SeasonalNaive[24]", "Blocks", "MSTL"}
    assert (m["backtest_windows"] == 2).all()
    assert np.isfinite(m["backtest_mase"]).all() and (m["backtest_mase"] <= m["backtest_mase_snaive"] + 1e-12).all()
    assert m["backtest_scores"].str.contains("SeasonalNaive\\[168\\]=").all()


def test_daily_choice_puts_seasonal_naive_in_models_and_conformal_widens():
    rng = np.random.default_rng(5)
    week = np.tile([5.0, 6, 7, 8, 9, 3, 2], 60)[:400]
    # an exactly repeated week (both candidates score 0: the naive wins the tie) and a wandering level
    Y = np.c_[week, 20 + np.cumsum(rng.normal(0, 1, 400)) * 0.3 + week]
    df = _frame(Y, freq="D")
    fc = ConsumptionForecaster(interval_method="conformal").fit(df)
    m = fc.models_
    assert m.loc[0, "selected"] == "SeasonalNaive[7]" and m.loc[0, "model"] == "SeasonalNaive[7]"
    assert m.loc[1, "selected"] == "ARIMA" and m.loc[1, "model"].startswith("ARIMA")
    assert m.loc[1, "backtest_mase"] < m.loc[1, "backtest_mase_snaive"]
    assert {"interval_scale_80", "interval_scale_95"} <= set(m.columns)
    assert fc.interval_scale_[95] == pytest.approx(float(np.median(m["interval_scale_95"])))
    plain = ConsumptionForecaster(model_selection=None).fit(df)
    assert "selected" not in plain.models_.columns


def test_model_choice_in_passes_of_few_series_gives_the_same_choice_and_forecasts(synthetic_year, monkeypatch):
    # the backtest runs CHUNK_SERIES series at a time to bound its memory; every score is per series
    import gridcrm.forecasting.select as select
    from gridcrm.forecasting import daily_frame

    df = daily_frame(synthetic_year.dataset.truncate("2024-10-01"))
    df = df[df["unique_id"].isin(df["unique_id"].unique()[:40])]
    whole = ConsumptionForecaster(interval_method="conformal").fit(df)
    monkeypatch.setattr(select, "CHUNK_SERIES", 7)  # 6 passes, the last one of 5 series
    parts = ConsumptionForecaster(interval_method="conformal").fit(df)
    assert parts.models_["selected"].tolist() == whole.models_["selected"].tolist()
    assert set(whole.models_["selected"]) == {"ARIMA", "SeasonalNaive[7]"}  # both candidates chosen somewhere
    a, b = whole.predict(14), parts.predict(14)
    np.testing.assert_allclose(b[["forecast", "lo_95", "hi_95"]].to_numpy(), a[["forecast", "lo_95", "hi_95"]].to_numpy(),
                               rtol=1e-9)


def test_backtest_refuses_a_pass_of_no_series():
    with pytest.raises(ValueError, match="chunk must be a positive whole number of series, got 0"):
        backtest_scores(np.ones((30, 3)), [], season_length=7, horizon=7, windows=1, chunk=0)
