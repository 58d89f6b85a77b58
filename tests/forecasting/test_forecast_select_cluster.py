"""Model choice per cluster of similar series (``selection="cluster"``, #15)."""

from __future__ import annotations

import numpy as np
import pytest

from gridcrm.forecasting import ConsumptionForecaster
from gridcrm.forecasting.simulate import arima_frame, simulate_arima

WEEK = np.array([5.0, 6, 7, 8, 9, 3, 2])


@pytest.fixture(scope="module")
def two_kinds():
    """8 series repeating one week exactly (both candidates score 0: the weekly naive wins the tie) and 8 AR(1)
    series around 50 (the ARIMA forecasts the pull back to the mean, the naive repeats last week's noise)."""
    rng = np.random.default_rng(0)
    T = 280
    weekly = np.tile(WEEK, T // 7)[:, None] * rng.uniform(1, 3, 8)
    ar = 50 + simulate_arima(ar=[0.7], n=T, n_series=8, seed=1)
    return arima_frame(np.c_[weekly, ar])


@pytest.fixture(scope="module")
def per_series(two_kinds):
    return ConsumptionForecaster(selection="series").fit(two_kinds).models_


def test_each_cluster_gets_the_candidate_with_the_lowest_mean_backtest_score(two_kinds, per_series):
    m = ConsumptionForecaster(selection="cluster", selection_clusters=2, selection_sample=8).fit(two_kinds).models_
    lab = m["selection_cluster"].to_numpy()
    assert len(set(lab[:8])) == 1 and len(set(lab[8:])) == 1 and lab[0] != lab[8]
    assert (m["selected"].iloc[:8] == "SeasonalNaive[7]").all() and (m["selected"].iloc[8:] == "ARIMA").all()
    assert (m["model"].iloc[:8] == "SeasonalNaive[7]").all() and m["model"].iloc[8:].str.startswith("ARIMA").all()
    assert (per_series["selected"].iloc[:8] == "SeasonalNaive[7]").all()
    assert (m["backtest_series"] == 8).all() and (m["backtest_windows"] == 2).all()
    # every series of a cluster was backtested: the cluster's scores are the means of the per-series ones
    for rows in (slice(0, 8), slice(8, 16)):
        assert np.allclose(m["backtest_mase_snaive"].iloc[rows], per_series["backtest_mase_snaive"].iloc[rows].mean())
    assert np.allclose(m["backtest_mase"].iloc[8:], per_series["backtest_mase"].iloc[8:].mean())
    assert m["backtest_mase"].iloc[8] < m["backtest_mase_snaive"].iloc[8]


def test_a_sample_of_each_cluster_decides_for_all_its_series(two_kinds):
    fc = ConsumptionForecaster(selection="cluster", selection_clusters=2, selection_sample=3).fit(two_kinds)
    m = fc.models_
    assert (m["backtest_series"] == 3).all()
    assert (m["selected"].iloc[:8] == "SeasonalNaive[7]").all() and (m["selected"].iloc[8:] == "ARIMA").all()
    errors = fc.backtest_errors_
    assert errors.shape == (2 * 14, 16)
    assert errors.notna().all().sum() == 6  # the six backtested series; the others were not backtested
    out = fc.predict(7)
    assert np.allclose(out["forecast"].to_numpy()[:7], two_kinds["y"].to_numpy()[273:280])  # naive: its last week


def test_cluster_selection_refuses_bad_parameters(two_kinds):
    with pytest.raises(ValueError, match="selection"):
        ConsumptionForecaster(selection="customer").fit(two_kinds)
    with pytest.raises(ValueError, match="selection_sample"):
        ConsumptionForecaster(selection="cluster", selection_sample=0).fit(two_kinds)


def test_the_config_sets_the_choice_per_cluster():
    from gridcrm.errors import ConfigError
    from gridcrm.forecasting import load_forecast_config

    fc = load_forecast_config({"forecast": {"selection": "cluster", "selection_clusters": 5,
                                            "selection_sample": 50}}).forecaster()
    assert (fc.selection, fc.selection_clusters, fc.selection_sample) == ("cluster", 5, 50)
    assert load_forecast_config({"forecast": {}}).forecaster().selection == "series"
    with pytest.raises(ConfigError, match="selection"):
        load_forecast_config({"forecast": {"selection": "customer"}})


def test_selection_features_are_computed_per_series_in_passes(monkeypatch):
    """The features of 100,000 series are computed CHUNK_SERIES at a time (memory); each is per series."""
    from gridcrm.forecasting import select

    Y = np.random.default_rng(0).gamma(3.0, 2.0, (200, 25))
    Y[:50, 3] = np.nan  # a series that starts late
    whole = select.selection_features(Y, 7)
    monkeypatch.setattr(select, "CHUNK_SERIES", 4)
    assert np.allclose(select.selection_features(Y, 7), whole, rtol=1e-12)
    assert whole.shape == (25, 4) and np.isfinite(whole).all()
