"""ConsumptionForecaster: the estimator contract, output, exogenous columns, engines, long seasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from gridcrm.errors import InputError
from gridcrm.forecasting import ConsumptionForecaster, FrameError, arima_frame, daily_frame, simulate_arima


@pytest.fixture(scope="module")
def weekly_frame() -> pd.DataFrame:
    Y = 40 + simulate_arima(ar=[0.5], seasonal_ma=[-0.5], D=1, s=7, n=300, n_series=6, seed=11)
    return arima_frame(Y)


def test_predict_frame_shape_dates_and_columns(weekly_frame):
    fc = ConsumptionForecaster(level=(50, 80, 95)).fit(weekly_frame)
    out = fc.predict(10)
    assert out.columns.tolist() == ["unique_id", "ds", "forecast", "lo_50", "hi_50", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert len(out) == 60
    first = out.groupby("unique_id")["ds"].min()
    assert (first == weekly_frame["ds"].max() + pd.Timedelta(days=1)).all()
    assert (out["lo_95"] <= out["lo_80"]).all() and (out["lo_80"] <= out["forecast"]).all()
    assert (out["hi_50"] <= out["hi_95"]).all()
    assert set(fc.models_.columns) >= {"model", "p", "d", "q", "P", "D", "Q", "aicc", "fallback", "n_imputed"}
    assert fc.models_.index.name == "unique_id" and fc.n_series_ == 6


def test_estimator_contract(weekly_frame):
    fc = ConsumptionForecaster(engine="exact", n_jobs=1)
    assert clone(fc).get_params()["engine"] == "exact"
    with pytest.raises(NotFittedError, match="fit"):
        fc.predict(3)
    assert ConsumptionForecaster().fit(weekly_frame) is not None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"engine": "magic"}, r"engine='magic' is not allowed; expected one of"),
        ({"season_length": 0}, r"season_length=0"),
        ({"level": (80, 120)}, r"level=\(80, 120\)"),
        ({"n_jobs": 0}, r"n_jobs=0"),
        ({"interval_method": "bootstrap"}, "interval_method"),
    ],
)
def test_bad_parameters_are_named(weekly_frame, params, message):
    with pytest.raises(ValueError, match=message):
        ConsumptionForecaster(**params).fit(weekly_frame)


def test_bad_horizon(weekly_frame):
    fc = ConsumptionForecaster().fit(weekly_frame)
    with pytest.raises(InputError, match=r"ConsumptionForecaster.predict: h=0 is not allowed; expected an integer >= 1"):
        fc.predict(0)


def test_forecasts_and_bounds_are_clipped_at_zero():
    Y = simulate_arima(ar=[0.3], n=200, n_series=3, seed=12, sigma=5.0)
    df = arima_frame(Y)
    out = ConsumptionForecaster(season_length=1).fit(df).predict(5)
    assert (out[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]] >= 0).all().all()
    raw = ConsumptionForecaster(season_length=1, clip=False).fit(df).predict(5)
    assert (raw["lo_95"] < 0).any()


def test_gaps_negative_values_and_fallbacks_in_models_table(weekly_frame):
    df = weekly_frame.copy()
    df = df.drop(index=df.index[(df["unique_id"] == 0) & (df["ds"].dt.day == 15)])  # missing rows
    df.loc[(df["unique_id"] == 1) & (df["ds"].dt.day == 3), "y"] = np.nan  # missing values
    df.loc[df["unique_id"] == 2, "y"] = 0.0  # vacant home
    df.loc[(df["unique_id"] == 3) & (df["ds"].dt.day == 9), "y"] = -2.0
    fc = ConsumptionForecaster().fit(df)
    m = fc.models_
    assert m.loc[0, "n_imputed"] > 0 and m.loc[1, "n_imputed"] > 0
    assert m.loc[2, "fallback"] == "constant series"
    assert m.loc[3, "n_negative"] > 0
    out = fc.predict(7)
    assert (out.loc[out["unique_id"] == 2, ["forecast", "hi_95"]] == 0).all().all()
    assert out["forecast"].notna().all()


def test_exogenous_temperature_is_used_by_batched_and_exact():
    rng = np.random.default_rng(13)
    T, N, h = 300, 3, 14
    temp = rng.normal(10, 5, (T + h, N))
    noise = simulate_arima(ar=[0.5], n=T + h, n_series=N, seed=13)
    y = 100 + 3.0 * temp + noise
    ds = pd.date_range("2023-01-01", periods=T + h)
    full = pd.DataFrame({"unique_id": np.repeat(np.arange(N), T + h), "ds": np.tile(ds, N),
                         "y": y.T.ravel(), "temp": temp.T.ravel()})
    train, future = full[full["ds"] < ds[T]], full[full["ds"] >= ds[T]]
    for engine in ("batched", "exact"):
        fc = ConsumptionForecaster(season_length=1, engine=engine).fit(train)
        assert fc.exog_names_ == ["temp"]
        beta = fc._core.beta[:, 0]
        assert np.allclose(beta, 3.0, atol=0.1)
        out = fc.predict(h, X_future=future[["unique_id", "ds", "temp"]])
        err = out["forecast"].to_numpy() - future["y"].to_numpy()
        assert np.abs(err).mean() < 2.0
        with pytest.raises(FrameError, match="X_future"):
            fc.predict(h)


def test_clustered_engine_with_given_segments_and_segment_forecasts(weekly_frame):
    segments = pd.Series(["a", "a", "a", "b", "b", "b"], index=range(6))
    fc = ConsumptionForecaster(engine="clustered", segments=segments).fit(weekly_frame)
    assert fc.models_["segment"].tolist() == segments.tolist()
    shares = fc.models_.groupby("segment")["share"].sum()
    assert np.allclose(shares, 1.0)
    seg = fc.predict_segments(7)
    cust = fc.predict(7)
    cust["segment"] = segments.reindex(cust["unique_id"]).to_numpy()
    summed = cust.groupby(["segment", "ds"])["forecast"].sum().to_numpy()
    assert np.allclose(summed, seg.sort_values(["unique_id", "ds"])["forecast"].to_numpy())
    with pytest.raises(ValueError, match="no label"):
        ConsumptionForecaster(engine="clustered", segments=segments.iloc[:3]).fit(weekly_frame)


def test_clustered_kmeans_segments_by_default(weekly_frame):
    fc = ConsumptionForecaster(engine="clustered", n_segments=2).fit(weekly_frame)
    assert fc.models_["segment"].nunique() == 2 and len(fc.segments_) == 2


def test_calibrated_intervals_report_their_scale(weekly_frame):
    fc = ConsumptionForecaster(interval_method="calibrated", calibration_horizon=14).fit(weekly_frame)
    assert set(fc.interval_scale_) == {80, 95}
    assert all(0.5 <= v <= 4 for v in fc.interval_scale_.values())


def test_hourly_load_with_a_weekly_season_beats_weekly_naive():
    rng = np.random.default_rng(14)
    days = 63
    shape = np.r_[np.full(7, 0.4), np.full(12, 1.3), np.full(5, 0.8)]
    daily = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, days))) * np.tile([1, 1, 1, 1, 1, 0.6, 0.5], 9)
    y = (np.repeat(daily, 24) * np.tile(shape, days) / 24) * rng.lognormal(0, 0.08, days * 24)
    df = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-01-01", periods=days * 24, freq="h"), "y": y})
    h = 24
    train, test = df.iloc[:-h], df.iloc[-h:]
    fc = ConsumptionForecaster(season_length=168).fit(train)
    assert fc.models_["model"].iloc[0].startswith("Blocks[24]")
    out = fc.predict(h)
    mae = np.abs(out["forecast"].to_numpy() - test["y"].to_numpy()).mean()
    naive = np.abs(train["y"].to_numpy()[-168:-168 + h] - test["y"].to_numpy()).mean()
    assert mae < naive


def test_daily_frame_of_synthetic_customers(synthetic_small):
    df = daily_frame(synthetic_small.dataset)
    fc = ConsumptionForecaster().fit(df)
    out = fc.predict(14)
    assert out["unique_id"].nunique() == df["unique_id"].nunique()
    assert out["forecast"].notna().all()


def test_model_choice_weighs_the_arima_with_and_without_its_regressors():
    """A forecaster with regressors backtests its ARIMA without them too (#15): series driven by the temperature keep
    it; a series that drops it gets a zero coefficient, so its forecast no longer reads X_future."""
    rng = np.random.default_rng(14)
    T, N, h = 300, 8, 14
    temp = rng.normal(10, 5, (T + h, N))
    noise = simulate_arima(ar=[0.5], n=T + h, n_series=N, seed=14)
    y = 100 + np.r_[3.0, 3.0, 3.0, 3.0, 0, 0, 0, 0] * temp + noise  # the last four do not depend on it
    ds = pd.date_range("2023-01-01", periods=T + h)
    full = pd.DataFrame({"unique_id": np.repeat(np.arange(N), T + h), "ds": np.tile(ds, N),
                         "y": y.T.ravel(), "temp": temp.T.ravel()})
    train, future = full[full["ds"] < ds[T]], full[full["ds"] >= ds[T]][["unique_id", "ds", "temp"]]
    fc = ConsumptionForecaster(season_length=1).fit(train)
    m = fc.models_
    assert m["backtest_scores"].str.contains("ARIMA without regressors=").all()
    assert (m["selected"].iloc[:4] == "ARIMA").all()
    assert np.allclose(fc._core.beta[:4, 0], 3.0, atol=0.1)
    dropped = np.flatnonzero(m["selected"] == "ARIMA without regressors")
    assert dropped.size > 0 and (dropped >= 4).all()
    assert (fc._core.beta[dropped, 0] == 0).all()
    a = fc.predict(h, X_future=future)
    b = fc.predict(h, X_future=future.assign(temp=future["temp"] + 10.0))
    moved = (a["forecast"] != b["forecast"]).to_numpy().reshape(N, h).any(axis=1)
    assert moved[:4].all() and not moved[dropped].any()
