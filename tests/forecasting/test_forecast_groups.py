"""Group forecasts, MinT with a shrunk covariance, accuracy per level and the served group forecaster (#15)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.errors import InputError
from gridcrm.forecasting import ConsumptionForecaster, aggregate, reconcile
from gridcrm.forecasting.groups import accuracy_by_level, fit_group_forecaster
from gridcrm.forecasting.judge import group_mase_after_as_of
from gridcrm.forecasting.reconcile import shrunk_covariance
from gridcrm.forecasting.simulate import arima_frame, simulate_arima
from helpers import weather_driven_customers


def _orthogonal_errors(k: int, n: int = 64) -> np.ndarray:
    """Columns of a Walsh–Hadamard matrix without its constant column: zero mean, equal variance, uncorrelated."""
    H = np.array([[1.0]])
    while H.shape[0] < n:
        H = np.block([[H, H], [H, -H]])
    return H[:, 1 : k + 1]


def test_shrunk_covariance_keeps_the_variances_and_shrinks_noise_correlations_away():
    W, lam = shrunk_covariance(3.0 * _orthogonal_errors(3))
    assert lam == pytest.approx(1.0)  # no correlation at all: everything is shrunk to the diagonal
    assert np.allclose(W, 9.0 * np.eye(3))
    rng = np.random.default_rng(0)
    common = rng.normal(size=(500, 1))
    e = common + 0.1 * rng.normal(size=(500, 2))  # strongly correlated: little shrinkage
    W, lam = shrunk_covariance(e)
    assert lam < 0.05 and W[0, 1] / np.sqrt(W[0, 0] * W[1, 1]) > 0.95


def test_mint_shrink_with_uncorrelated_equal_errors_is_ols_and_coherent():
    A = np.ones((1, 2))
    from scipy import sparse

    from gridcrm.forecasting.reconcile import Hierarchy

    h = Hierarchy(np.array(["1", "2"]), np.array(["total"]), sparse.csr_matrix(A), {"total": ["total"]})
    fc = pd.DataFrame({"unique_id": ["1", "2", "total"], "ds": pd.Timestamp("2024-01-01"), "forecast": [1.0, 2.0, 4.0]})
    errors = pd.DataFrame(_orthogonal_errors(3), columns=["total", "1", "2"])
    mint = reconcile(fc, h, "mint_shrink", errors=errors).set_index("unique_id")["forecast"]
    ols = reconcile(fc, h, "ols").set_index("unique_id")["forecast"]
    assert mint.round(6).to_dict() == ols.round(6).to_dict()
    assert mint["total"] == pytest.approx(mint["1"] + mint["2"])
    with pytest.raises(ValueError, match="needs errors"):
        reconcile(fc, h, "mint_shrink")
    with pytest.raises(ValueError, match="Affected series: \\['total'\\]"):
        reconcile(fc, h, "mint_shrink", errors=errors.drop(columns="total"))


def test_group_forecaster_is_coherent_scored_per_level_and_judged():
    Y = 50 + simulate_arima(ma=[0.3], seasonal_ma=[-0.5], D=1, s=7, n=230, n_series=6, seed=4)
    df = arima_frame(Y, start="2024-01-01")
    cut = df["ds"].min() + pd.Timedelta(days=199)
    hist, later = df[df["ds"] <= cut], df[df["ds"] > cut]
    members = pd.DataFrame({"region": list("AABBCC")}, index=pd.Index(range(6), name="unique_id"))
    cust = ConsumptionForecaster().fit(hist)
    gf = fit_group_forecaster(cust, hist, members, ["region"], ConsumptionForecaster())
    assert gf.method == "mint_shrink" and gf.errors.shape[1] == 6 + 3 + 1
    out = gf.predict(14)
    day = out[out["ds"] == out["ds"].min()].set_index("unique_id")["forecast"]
    assert day["region=A"] == pytest.approx(day["0"] + day["1"])
    assert day["total"] == pytest.approx(day[[str(i) for i in range(6)]].sum())
    acc = accuracy_by_level(out, hist, later, gf.hierarchy, members, 7)
    assert acc.index.tolist() == ["customer", "region", "total"]
    assert acc["n_series"].tolist() == [6, 3, 1]
    # the total's MASE by hand: mean |error| over the 14 days / mean |weekly difference| of the summed history
    tot_hist = hist.groupby("ds")["y"].sum()
    tot_act = later.groupby("ds")["y"].sum().iloc[:14]
    fc_tot = out[out["unique_id"] == "total"].set_index("ds")["forecast"]
    by_hand = (tot_act - fc_tot).abs().mean() / tot_hist.diff(7).abs().mean()
    assert acc.loc["total", "mase"] == pytest.approx(by_hand)
    actual, _ = aggregate(df, members, ["region"], total=True, include_bottom=False)
    score = group_mase_after_as_of(out, actual, cut + pd.Timedelta(days=1), season_length=7)
    assert score == pytest.approx((acc.loc["region", "mase"] + acc.loc["total", "mase"]) / 2, rel=1e-6)
    with pytest.raises(InputError, match="level"):
        group_mase_after_as_of(out.drop(columns="level"), actual, cut, season_length=7)


def test_served_group_forecaster_answers_group_ids_in_request_order():
    from gridcrm.tracking._group_forecast_adapter import _group_forecaster

    df = arima_frame(50 + simulate_arima(ar=[0.5], n=120, n_series=4, seed=1), start="2024-01-01")
    members = pd.DataFrame({"region": list("AABB")}, index=pd.Index(range(4), name="unique_id"))
    gf = fit_group_forecaster(ConsumptionForecaster().fit(df), df, members, ["region"], ConsumptionForecaster())
    out = _group_forecaster(gf, pd.DataFrame({"unique_id": ["total", "region=B", "nope"]}), {"horizon": 3})
    assert out["unique_id"].tolist() == ["total"] * 3 + ["region=B"] * 3
    with pytest.raises(InputError, match="horizon"):
        _group_forecaster(gf, pd.DataFrame({"unique_id": ["total"]}), {"horizon": 0})


def test_a_customer_whose_history_ends_early_counts_as_zero_and_keeps_groups_finite():
    df = arima_frame(50 + simulate_arima(ar=[0.5], n=150, n_series=3, seed=2), start="2024-01-01")
    df = df[~((df["unique_id"] == 2) & (df["ds"] > df["ds"].max() - pd.Timedelta(days=10)))]  # closed 10 days early
    members = pd.DataFrame({"region": list("AAB")}, index=pd.Index(range(3), name="unique_id"))
    gf = fit_group_forecaster(ConsumptionForecaster().fit(df), df, members, ["region"], ConsumptionForecaster(),
                              method="wls_var")
    base = gf.base(5)
    assert base["ds"].min() == df["ds"].max() + pd.Timedelta(days=1) and len(base) == (3 + 2 + 1) * 5
    assert (base.loc[base["unique_id"] == "2", "forecast"] == 0).all()
    out = gf.predict(5)
    assert np.isfinite(out[["forecast", "lo_95", "hi_95"]].to_numpy()).all()


def test_groups_get_their_regions_degree_days_and_the_calendar():
    from gridcrm.forecasting.groups import region_weights
    from gridcrm.forecasting.regressors import RegressorForecaster, temperature_normals, with_regressors
    from gridcrm.forecasting.sources import temperature_features

    df, customers, weather = weather_driven_customers("2023-01-01", seed=3)
    cust = with_regressors(ConsumptionForecaster().fit(df), customers, weather, "2024-10-01")
    members = pd.DataFrame({"cls": ["x", "x", "y"]}, index=pd.Index([1, 2, 3], name="unique_id"))
    gf = fit_group_forecaster(cust, df, members, ["cls"], ConsumptionForecaster(), method="wls_var",
                              regions=customers.set_index("customer_id")["region"], weather=weather,
                              as_of="2024-10-01")
    assert isinstance(gf.groups, RegressorForecaster)
    assert set(gf.groups.forecaster.exog_names_) == {"heating", "cooling", "holiday", "workday_adjusted",
                                                      "spring_festival"}
    w = region_weights(df, gf.hierarchy, customers.set_index("customer_id")["region"])
    assert w.loc["cls=x"].tolist() == [1.0, 0.0]  # both members in region A
    mean = df.groupby("unique_id")["y"].mean()
    assert w.loc["total", "A"] == pytest.approx((mean[1] + mean[2]) / mean.sum())  # shares of the mean load
    # the future degree-days of the total: its regions' seasonal normals, weighted by their shares of its load
    X = gf.groups.future_exog(3)
    normals = temperature_normals(weather, "2024-10-01")
    doy = pd.Timestamp("2024-10-02").day_of_year
    want = sum(w.loc["total", r] * temperature_features(np.array([normals.loc[(r, doy)]]))["heating"][0] for r in "AB")
    got = X.loc[(X["unique_id"] == "total") & (X["ds"] == "2024-10-02"), "heating"].iloc[0]
    assert got == pytest.approx(want)
    assert X.loc[X["ds"] == "2024-10-02", "holiday"].eq(1).all()
    out = gf.predict(7)
    day = out[out["ds"] == out["ds"].min()].set_index("unique_id")["forecast"]
    assert day["total"] == pytest.approx(day[["1", "2", "3"]].sum())
    with pytest.raises(ValueError, match="pass regions"):
        fit_group_forecaster(cust, df, members, ["cls"], ConsumptionForecaster(), method="wls_var")
    with pytest.raises(ValueError, match="cannot be given"):
        fit_group_forecaster(cust, df.assign(price=1.0), members, ["cls"], ConsumptionForecaster(), method="wls_var")
