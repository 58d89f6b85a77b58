"""Outliers: one meter spike must not ruin a forecast; legitimate level shifts, seasons and vacancies stay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.errors import GridcrmError
from gridcrm.forecasting import ConsumptionForecaster, ForecastConfig, arima_frame, backtest
from gridcrm.forecasting._models import guard_models, predict_models, seasonal_naive_models
from gridcrm.forecasting.outliers import clean_outliers, seasonal_baseline

WEEK = np.array([10.0, 10, 10, 10, 10, 14, 14])


def _daily(T: int = 300, n: int = 3, seed: int = 0, sd: float = 0.7) -> np.ndarray:
    """~10 kWh/day with a weekend bump and Gaussian noise, (T, n)."""
    rng = np.random.default_rng(seed)
    return np.tile(WEEK, T // 7 + 1)[:T, None] + rng.normal(0, sd, (T, n))


# -- the cleaning function alone ------------------------------------------------------------------


def test_hand_computed_cases():
    Y = np.tile(WEEK, 6)[:, None].repeat(4, axis=1)  # noise-free: every baseline is the weekday's value
    Y[20, 0] = 1e9  # a Saturday
    Y[22, 1] = -3.0  # a Monday: negative read
    Y[15, 2] = np.inf
    Y[30, 3] = np.nan  # a gap stays a gap
    clean, n = clean_outliers(Y, 7)
    assert n.tolist() == [1, 1, 1, 0]
    assert clean[20, 0] == 14.0 and clean[22, 1] == 10.0 and clean[15, 2] == 10.0
    assert np.isnan(clean[30, 3])
    expected = np.tile(WEEK, 6)
    for j in range(3):
        assert np.array_equal(clean[:, j], expected)
    assert Y[20, 0] == 1e9  # copy=True leaves the input alone


def test_replacement_is_the_median_of_the_same_weekday_around():
    Y = _daily(T=70, n=1, seed=1)
    t = 35
    Y[t, 0] = 500.0  # 50x a normal day
    clean, n = clean_outliers(Y, 7)
    assert n.tolist() == [1]
    neighbours = Y[[t - 14, t - 7, t, t + 7, t + 14], 0]
    assert clean[t, 0] == pytest.approx(np.median(neighbours))
    unchanged = np.arange(70) != t
    assert np.array_equal(clean[unchanged, 0], Y[unchanged, 0])


def test_baseline_at_the_ends_and_with_too_few_values():
    y = np.array([[1.0], [2.0], [50.0], [4.0], [5.0]])
    base, count = seasonal_baseline(y, 1)
    assert base.ravel().tolist() == [2.0, 3.0, 4.0, 4.5, 5.0]  # medians of 3, 4, 5, 4, 3 values
    assert count.ravel().tolist() == [3, 4, 5, 4, 3]
    # two points only: neither can be judged (a baseline needs 3 values)
    assert clean_outliers(np.array([[1.0], [1e9]]), 1)[1].tolist() == [0]


def test_legitimate_patterns_are_left_untouched():
    T = 400
    t = np.arange(T)
    base = _daily(T=T, n=1, seed=2)[:, 0]
    rng = np.random.default_rng(3)
    step = base.copy()
    step[240:] *= 2  # consumption doubles for good
    step_recent = base.copy()
    step_recent[-5:] *= 2  # ... five days ago
    winter = base + 6 * np.cos(2 * np.pi * t / 365)  # seasonal winter peaks
    winter_exact = np.tile(WEEK, 60)[:T] + 6 * np.cos(2 * np.pi * t / 365)  # the same without noise
    vacancy = base.copy()
    vacancy[200:230] = 0.3 + rng.normal(0, 0.05, 30)  # a month away
    short_vacancy = base.copy()
    short_vacancy[200:210] = 0.2  # ten days away
    vacant_now = base.copy()
    vacant_now[-60:] = 0.0  # moved out
    Y = np.column_stack([step, step_recent, winter, winter_exact, vacancy, short_vacancy, vacant_now])
    clean, n = clean_outliers(Y, 7)
    assert n.tolist() == [0] * Y.shape[1]
    assert np.array_equal(clean, Y)


@pytest.mark.parametrize("value", [1e9, 1e300, "x50", -5.0])
def test_isolated_spikes_are_cleaned(value):
    Y = _daily(T=300, n=2, seed=4)
    Y[150, 0] = 50 * Y[150, 0] if value == "x50" else value
    clean, n = clean_outliers(Y, 7)
    assert n.tolist() == [1, 0]
    assert 8 < clean[150, 0] < 12  # a Tuesday: the weekday level
    assert np.isfinite(clean).all()


def test_a_spike_and_its_correcting_negative_read_are_both_cleaned():
    Y = _daily(T=200, n=1, seed=5)
    Y[100, 0], Y[101, 0] = 400.0, -380.0  # a cumulative register read twice, then corrected
    clean, n = clean_outliers(Y, 7)
    assert n.tolist() == [2]
    assert (np.abs(clean[[100, 101], 0] - 10) < 2.5).all()


def test_a_noisy_period_after_a_quiet_one_is_not_cleaned():
    rng = np.random.default_rng(6)
    y = np.r_[np.full(240, 0.4) + rng.normal(0, 0.02, 240), 10 + rng.normal(0, 3.0, 120)]  # vacant, then occupied
    _, n = clean_outliers(y[:, None], 7)
    assert n.tolist() == [0]


# -- the forecaster -------------------------------------------------------------------------------


def _frame(Y: np.ndarray) -> pd.DataFrame:
    return arima_frame(Y, start="2024-01-01")


@pytest.mark.parametrize("engine", ["batched", "exact", "clustered"])
def test_a_1e9_spike_does_not_change_the_forecast(engine):
    Y = _daily(T=280, n=3, seed=7)
    spiked = Y.copy()
    spiked[200, 0] = 1e9
    kw = {"engine": engine, "n_jobs": 1, "segments": {0: "a", 1: "a", 2: "b"} if engine == "clustered" else None,
          "model_selection": None}  # the cleaning is the subject; the model choice has its own tests
    ref = ConsumptionForecaster(**kw).fit(_frame(Y)).predict(14)
    fc = ConsumptionForecaster(**kw).fit(_frame(spiked))
    out = fc.predict(14)
    assert fc.models_["n_outliers"].tolist() == [1, 0, 0]
    mine, clean = out.loc[out["unique_id"] == 0, "forecast"].mean(), ref.loc[ref["unique_id"] == 0, "forecast"].mean()
    assert abs(mine - clean) < 0.3 * clean
    assert out["hi_95"].max() < 100


@pytest.mark.parametrize("engine", ["batched", "exact", "clustered"])
def test_a_1e300_spike_gives_finite_forecasts_and_ranges(engine):
    Y = _daily(T=280, n=2, seed=8)
    Y[100, 1] = 1e300
    kw = {"engine": engine, "n_jobs": 1, "n_segments": 1, "model_selection": None}
    out = ConsumptionForecaster(**kw).fit(_frame(Y)).predict(14)
    cols = ["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert np.isfinite(out[cols].to_numpy()).all()
    assert out["hi_95"].max() < 100


# with cleaning off, arithmetic on 1e300 overflows on the way (numpy says so); the guard then falls back
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("engine", ["batched", "exact"])
def test_without_cleaning_absurd_models_fall_back_and_stay_finite(engine):
    Y = _daily(T=280, n=2, seed=9)
    Y[-3, 1] = 1e300  # in the last week: seasonal naive would repeat it
    fc = ConsumptionForecaster(engine=engine, outliers=None, clip=False).fit(_frame(Y))
    out = fc.predict(14)
    cols = ["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert np.isfinite(out[cols].to_numpy()).all()
    assert fc.models_["n_outliers"].tolist() == [0, 0]
    row = fc.models_.loc[1]
    assert row["model"] == "RobustConstant" and "absurd" in row["fallback"]


def test_guard_replaces_only_absurd_models():
    Y = np.column_stack([np.linspace(1, 2, 40), np.r_[np.linspace(1, 2, 39), 1e300]])
    m = seasonal_naive_models(Y, 7, "", "batched")
    g = guard_models(m, Y, 7, "batched")
    assert g.table["model"].tolist() == ["SeasonalNaive[7]", "RobustConstant"]
    assert g.table.loc[0, "fallback"] == ""
    assert g.table.loc[1, "fallback"] == "SeasonalNaive[7] and SeasonalNaive[7] gave non-finite or absurd forecasts"
    mean, sd = predict_models(g, 10)
    assert np.isfinite(mean).all() and np.isfinite(sd).all()
    assert np.allclose(mean[:, 1], np.median(Y[-7:, 1]))


def test_long_season_path_cleans_hourly_spikes():
    rng = np.random.default_rng(10)
    days = 56
    shape = np.r_[np.full(7, 0.4), np.full(12, 1.3), np.full(5, 0.8)]
    y = np.tile(shape, days) * rng.lognormal(0, 0.05, days * 24)
    y[700] = 1e9
    df = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-01-01", periods=days * 24, freq="h"), "y": y})
    fc = ConsumptionForecaster(season_length=168).fit(df)
    out = fc.predict(24)
    assert fc.models_["n_outliers"].tolist() == [1]
    assert np.isfinite(out["hi_95"]).all() and out["forecast"].max() < 5


def test_backtest_windows_fit_on_cleaned_history():
    Y = _daily(T=200, n=2, seed=11)
    Y[120, 0] = 1e9
    res = backtest(ConsumptionForecaster(calibration_size=0), _frame(Y), h=7, n_windows=2)
    assert [m["n_outliers"].tolist() for m in res.models] == [[1, 0], [1, 0]]
    assert res.forecasts["hi_95"].max() < 100


def test_cleaning_can_be_switched_off_and_tuned():
    Y = _daily(T=200, n=1, seed=12)
    Y[100, 0] = 30.0  # about 28 noise standard deviations high
    df = _frame(Y)
    assert ConsumptionForecaster().fit(df).models_["n_outliers"].tolist() == [1]
    assert ConsumptionForecaster(outlier_threshold=40).fit(df).models_["n_outliers"].tolist() == [0]
    assert ConsumptionForecaster(outliers=None).fit(df).models_["n_outliers"].tolist() == [0]
    assert ForecastConfig(outliers=None, outlier_threshold=6.0).forecaster().get_params()["outlier_threshold"] == 6.0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"outliers": "drop"}, r"outliers='drop' is not allowed; expected 'clean' or None"),
        ({"outlier_threshold": 0}, r"outlier_threshold=0 is not allowed; expected a positive number"),
        ({"outlier_threshold": float("nan")}, r"outlier_threshold=nan"),
    ],
)
def test_bad_outlier_parameters_are_named(params, message):
    with pytest.raises(GridcrmError, match=message):
        ConsumptionForecaster(**params).fit(_frame(_daily(T=60, n=1)))


def test_forecast_config_reads_and_checks_the_outlier_keys(tmp_path):
    from gridcrm.errors import ConfigError
    from gridcrm.forecasting import load_forecast_config

    good = tmp_path / "good.yaml"
    good.write_text("forecast:\n  outliers: null\n  outlier_threshold: 6\n")
    fc = load_forecast_config(good).forecaster()
    assert fc.outliers is None and fc.outlier_threshold == 6
    assert load_forecast_config(tmp_path / "good.yaml").forecaster(outliers="clean").outliers == "clean"
    bad = tmp_path / "bad.yaml"
    bad.write_text("forecast:\n  outliers: drop\n")
    with pytest.raises(ConfigError, match=r"outliers='drop' is not allowed; expected 'clean' or None"):
        load_forecast_config(bad)
    bad.write_text("forecast:\n  outlier_threshold: yes\n")
    with pytest.raises(ConfigError, match=r"forecast.outlier_threshold: expected float, got True"):
        load_forecast_config(bad)
