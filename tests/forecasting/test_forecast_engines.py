"""Both ARIMA engines on simulated processes with known parameters: estimates, intervals, fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

from gridcrm.forecasting._arima import (
    Order,
    choose_differencing,
    kpss_stat,
    psi_weights,
    seasonal_strength,
    stl_seasonal_strength,
)
from gridcrm.forecasting._models import predict_models
from gridcrm.forecasting.batched import fit_batched
from gridcrm.forecasting.exact import fit_exact, fit_one
from gridcrm.forecasting.simulate import simulate_arima


def _coef(models, lag, which="ar"):
    poly = models.ar_full if which == "ar" else models.ma
    return (-poly[:, lag]) if which == "ar" else poly[:, lag]


def test_batched_recovers_arma11():
    Y = 10 + simulate_arima(ar=[0.6], ma=[0.3], n=600, n_series=60, seed=1)
    m = fit_batched(Y, 1, candidates=[(1, 1, 0, 0)], max_d=0)
    assert (m.table["model"] == "ARIMA(1,0,1) c").all()
    assert abs(np.median(_coef(m, 1)) - 0.6) < 0.05
    assert abs(np.median(m.ma[:, 1]) - 0.3) < 0.06
    assert abs(np.median(m.sigma2) - 1.0) < 0.08
    # the constant c = mean * (1 - phi)
    assert abs(np.median(m.c) - 10 * 0.4) < 0.2


def test_batched_recovers_seasonal_airline_model():
    Y = 50 + simulate_arima(ma=[-0.4], seasonal_ma=[-0.6], d=1, D=1, s=7, n=700, n_series=40, seed=2)
    m = fit_batched(Y, 7, candidates=[(0, 1, 0, 1)])
    airline = m.table["model"] == "ARIMA(0,1,1)(0,1,1)[7]"
    assert airline.mean() > 0.7  # d, D chosen by KPSS and seasonal strength (Hyndman–Khandakar rules)
    theta = m.ma[airline.to_numpy(), 1]
    Theta = m.ma[airline.to_numpy(), 7]
    assert abs(np.median(theta) + 0.4) < 0.06
    assert abs(np.median(Theta) + 0.6) < 0.06


def test_exact_recovers_seasonal_arima():
    Y = simulate_arima(ar=[0.5], seasonal_ma=[-0.5], D=1, s=7, n=500, n_series=2, seed=3)
    for j in range(2):
        m = fit_one(Y[:, j], 7, order=Order(1, 0, 0, 0, 1, 1, 7))
        assert m.table.loc[0, "engine"] == "exact"
        assert abs(-m.ar_full[0, 1] - 0.5) < 0.1
        assert abs(m.ma[0, 7] + 0.5) < 0.12


def test_exact_search_finds_an_ar_model():
    Y = 5 + simulate_arima(ar=[0.7], n=400, n_series=1, seed=4)
    m = fit_exact(Y, 1, max_d=0)
    row = m.table.iloc[0]
    assert row["d"] == 0 and row["p"] >= 1 and row["fallback"] == ""
    assert abs(-m.ar_full[0, 1] - 0.7) < 0.15 or row["p"] > 1


@pytest.mark.parametrize("engine", ["batched", "exact"])
def test_interval_coverage_close_to_nominal(engine):
    n_series = 200 if engine == "batched" else 16
    Y = 20 + simulate_arima(ar=[0.6], ma=[0.2], n=330, n_series=n_series, seed=5)
    h = 30
    fit = fit_batched if engine == "batched" else fit_exact
    m = fit(Y[:-h], 1, max_d=0)
    mean, sd = predict_models(m, h)
    inside95 = np.abs(Y[-h:] - mean) <= 1.96 * sd
    inside80 = np.abs(Y[-h:] - mean) <= 1.2816 * sd
    tol = 0.025 if engine == "batched" else 0.06
    assert abs(inside95.mean() - 0.95) < tol
    assert abs(inside80.mean() - 0.80) < 2 * tol


def test_fallbacks_are_recorded_and_never_stop_the_others():
    rng = np.random.default_rng(6)
    good = 30 + simulate_arima(ar=[0.5], seasonal_ma=[-0.5], D=1, s=7, n=300, n_series=2, seed=6)
    short = np.full(300, np.nan)
    short[-20:] = rng.normal(10, 1, 20)
    zeros = np.zeros(300)
    const = np.full(300, 4.2)
    empty = np.full(300, np.nan)
    Y = np.column_stack([good[:, 0], short, zeros, const, empty, good[:, 1]])
    for fit in (fit_batched, fit_exact):
        m = fit(Y, 7)
        fb = m.table["fallback"].tolist()
        assert fb[0] == "" or "ARIMA" in m.table.loc[0, "model"]
        assert "too short" in fb[1] and fb[2] == "constant series" and fb[3] == "constant series"
        assert m.table.loc[5, "model"].startswith("ARIMA")
        mean, sd = predict_models(m, 14)
        assert np.isfinite(mean[:, [0, 1, 2, 3, 5]]).all()
        assert np.allclose(mean[:, 2], 0) and np.allclose(sd[:, 2], 0)
        assert np.allclose(mean[:, 3], 4.2)
        assert np.isnan(mean[:, 4]).all()
        # the short series: seasonal naive repeats its last week
        assert np.allclose(mean[:7, 1], short[-7:])


def test_differencing_tests():
    rng = np.random.default_rng(7)
    stationary = rng.normal(size=(500, 1))
    walk = np.cumsum(rng.normal(size=(500, 1)), axis=0)
    assert kpss_stat(stationary)[0] < 0.463 < kpss_stat(walk)[0]
    seasonal = np.tile([0, 0, 0, 0, 0, 5.0, 5.0], 60)[:, None] + rng.normal(0, 0.5, (420, 1))
    assert seasonal_strength(seasonal, 7)[0] > 0.9 > seasonal_strength(stationary, 7)[0]
    d, D = choose_differencing(np.column_stack([stationary[:420], seasonal]), 7)
    assert D.tolist() == [0, 1]


def test_psi_weights_of_seasonal_difference():
    ar = np.zeros((1, 8))
    ar[0, [0, 7]] = [1.0, -1.0]
    psi = psi_weights(ar, np.ones((1, 1)), 15)[:, 0]
    assert psi.tolist() == [1.0] + [0.0] * 6 + [1.0] + [0.0] * 6 + [1.0]


def test_exact_with_css_estimation_keeps_the_search_s_estimates():
    """estimation='css': no likelihood refit; an AR(1) of 0.6 is estimated by CSS within sampling error (#15)."""
    from gridcrm.forecasting._models import predict_models
    from gridcrm.forecasting.exact import fit_exact
    from gridcrm.forecasting.simulate import simulate_arima

    Y = 10 + simulate_arima(ar=[0.6], n=600, n_series=2, seed=4)
    m = fit_exact(Y, 1, max_d=0, estimation="css")
    assert m.table["engine"].tolist() == ["exact", "exact"]
    assert m.table["model"].tolist() == ["ARIMA(1,0,0) c"] * 2
    assert np.allclose(m.table["sigma2"], 1.0, atol=0.1)  # unit innovations
    assert np.allclose(-m.ar_full[:, 1], 0.6, atol=0.08)  # phi
    one_step = predict_models(m, 1)[0][0]
    # the one-step forecast is c + phi y_T: pulled 40 % of the way back to the mean of 10
    assert np.allclose(one_step, 10 + 0.6 * (Y[-1] - 10), atol=0.15)


def test_stl_seasonal_test_keeps_a_weekly_shape_that_scales_with_level_shifts():
    """A business week (weekend at 30-40 %) whose level steps 10 → 25 → 3: a fixed classical season calls the
    scaled shape noise (strength 0.54 < 0.64, D = 0); the STL test of auto.arima sees the season (0.86, D = 1) (#15)."""
    rng = np.random.default_rng(0)
    week = np.tile([1.0, 1, 1, 1, 1, 0.4, 0.3], 60)
    level = np.r_[np.full(140, 10.0), np.full(140, 25.0), np.full(140, 3.0)]
    y = level * week * np.exp(rng.normal(0, 0.15, 420))
    Y = np.c_[y, rng.normal(10, 1, 420)]
    assert seasonal_strength(Y, 7)[0] < 0.64
    strength = stl_seasonal_strength(Y, 7)
    assert strength[0] > 0.8 and strength[1] < 0.3
    assert choose_differencing(Y, 7, seasonal_test="classical")[1].tolist() == [0, 0]
    assert choose_differencing(Y, 7, seasonal_test="stl")[1].tolist() == [1, 0]
    assert fit_one(y, 7).table.loc[0, "D"] == 1  # the exact engine's default
    with pytest.raises(ValueError, match="seasonal_test"):
        choose_differencing(Y, 7, seasonal_test="x13")


def test_exact_refuses_an_unknown_estimation_or_seasonal_test():
    Y = 10 + simulate_arima(ar=[0.5], n=100, n_series=1, seed=0)
    with pytest.raises(ValueError, match="estimation must be 'css' or 'ml', got 'mle'"):
        fit_exact(Y, 1, estimation="mle")
    with pytest.raises(ValueError, match="seasonal_test"):
        fit_exact(Y, 1, seasonal_test="ocsb")


def test_exact_maximum_likelihood_is_still_available():
    """estimation='ml' refits by statsmodels' exact likelihood: on an AR(1) of 0.6 it agrees with CSS to sampling error."""
    Y = 10 + simulate_arima(ar=[0.6], n=400, n_series=1, seed=8)
    ml = fit_exact(Y, 1, max_d=0, estimation="ml", orders=[Order(1, 0, 0, constant=True)])
    css = fit_exact(Y, 1, max_d=0, orders=[Order(1, 0, 0, constant=True)])
    assert ml.table.loc[0, "model"] == css.table.loc[0, "model"] == "ARIMA(1,0,0) c"
    assert abs(ml.ar_full[0, 1] - css.ar_full[0, 1]) < 0.02
    assert abs(-ml.ar_full[0, 1] - 0.6) < 0.08


def test_stepwise_search_also_starts_from_the_batched_candidates():
    """The batched engine's small set are starting models too (#15): all scored, the best of everything tried kept."""
    from gridcrm.forecasting.batched import default_candidates
    from gridcrm.forecasting.exact import stepwise_search

    y = 30 + simulate_arima(ar=[0.6, 0.2], seasonal_ar=[0.5], ma=[0.3], s=7, n=400, n_series=1, seed=9)[:, 0]
    w, X = y, np.zeros((y.size, 0))
    hk = stepwise_search(w, X, 0, 0, 7, more_starts=False)
    more = stepwise_search(w, X, 0, 0, 7)
    hk_starts = {(2, 2, 1, 1), (0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1)}
    tried = {(o.p, o.q, o.P, o.Q) for _, o, _ in more}
    assert set(default_candidates(7, 0)) | hk_starts <= tried
    assert not set(default_candidates(7, 0)) <= {(o.p, o.q, o.P, o.Q) for _, o, _ in hk}
    scores = [t[0] for t in more]
    assert scores == sorted(scores) and np.isfinite(scores[0])
    assert all(o.constant for _, o, _ in more if (o.p, o.q, o.P, o.Q) in hk_starts)  # d + D = 0: with a mean
