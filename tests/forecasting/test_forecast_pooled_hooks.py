"""Hooks for fitting a frame in parts (the Spark engine's partitions) with the results of one whole fit (#19).

``ConsumptionForecaster(conformal_scales=...)`` takes conformal factors pooled over every part from the
parts' ``conformal_errors_``; ``CalendarProfileForecaster.fit/predict(days=...)`` read the calendar on the
days of the whole frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.forecasting import ConsumptionForecaster
from gridcrm.forecasting._arima import interval_z
from gridcrm.forecasting.multiseason import CalendarProfileForecaster
from gridcrm.forecasting.select import SCALE_BOUNDS


def _daily(n_days: int = 300, seed: int = 0) -> pd.DataFrame:
    """Four daily series: two seasonal random walks (the seasonal naive wins), two wandering levels (ARIMA wins)."""
    rng = np.random.default_rng(seed)
    week = np.tile([5.0, 6, 7, 8, 9, 3, 2], n_days // 7 + 1)[:n_days]
    walk = np.cumsum(rng.normal(0, 0.5, (n_days // 7 + 1, 7)), axis=0).ravel()[:n_days]
    Y = [20 + week + walk, 30 + 2 * week + 1.5 * walk[::-1],
         20 + np.cumsum(rng.normal(0, 1, n_days)) * 0.3 + week, 30 + np.cumsum(rng.normal(0, 1, n_days)) * 0.5]
    ds = pd.date_range("2024-01-01", periods=n_days, freq="D")
    return pd.concat([pd.DataFrame({"unique_id": i, "ds": ds, "y": y}) for i, y in enumerate(Y)], ignore_index=True)


@pytest.fixture(scope="module")
def conformal():
    df = _daily()
    return df, ConsumptionForecaster(interval_method="conformal", selection_windows=8).fit(df)


def test_conformal_errors_pooled_per_candidate_give_the_factors(conformal):
    _, fc = conformal
    z, chosen = fc.conformal_errors_, fc.models_["selected"]
    assert z.shape == (8 * 14, 4) and list(z.columns) == [0, 1, 2, 3]  # 8 windows of 14 days
    assert chosen.tolist() == ["SeasonalNaive[7]", "SeasonalNaive[7]", "ARIMA", "ARIMA"]
    for ids in ([0, 1], [2, 3]):  # 2 x 112 errors: at least MIN_CONFORMAL_ERRORS, a factor per candidate
        pooled = z[ids].to_numpy().ravel()
        pooled = pooled[np.isfinite(pooled)]
        assert pooled.size == 224
        for lv in (80, 95):
            want = np.clip(np.quantile(pooled, lv / 100) / interval_z(lv), *SCALE_BOUNDS)
            np.testing.assert_allclose(fc.models_.loc[ids, f"interval_scale_{lv}"], want, rtol=0, atol=1e-12)
    assert fc.models_.loc[0, "interval_scale_95"] != fc.models_.loc[2, "interval_scale_95"]
    assert ConsumptionForecaster().fit(_daily(100)).conformal_errors_ is None  # model ranges: no conformal errors


def test_given_conformal_scales_replace_the_fits_own(conformal):
    df, fc = conformal
    names = sorted(set(fc.models_["selected"]))
    ones = ConsumptionForecaster(interval_method="conformal", selection_windows=8,
                                 conformal_scales={80: dict.fromkeys(names, 1.0), 95: dict.fromkeys(names, 1.0)})
    model = ConsumptionForecaster(interval_method="model", selection_windows=8).fit(df).predict(7)
    # factors of 1: the model's own Gaussian ranges, the same choice and forecasts
    pd.testing.assert_frame_equal(ones.fit(df).predict(7), model, check_exact=False, rtol=0, atol=1e-9)
    # a factor per candidate: series that chose it get it (the forecast itself does not change)
    scales = {80: {n: 1.0 + i for i, n in enumerate(names)}, 95: {n: 2.0 + i for i, n in enumerate(names)}}
    got = ConsumptionForecaster(interval_method="conformal", selection_windows=8, conformal_scales=scales).fit(df)
    for lv in (80, 95):
        np.testing.assert_array_equal(got.models_[f"interval_scale_{lv}"],
                                      got.models_["selected"].map(scales[lv]).to_numpy(float))
    out = got.predict(7).merge(model, on=["unique_id", "ds"], suffixes=("", "_m"))
    np.testing.assert_allclose(out["forecast"], out["forecast_m"], rtol=0, atol=1e-9)
    first = out["unique_id"] == 0  # the 95 % half-width is the factor times the model's (no clipping at 0 here)
    f95 = scales[95][fc.models_.loc[0, "selected"]]
    np.testing.assert_allclose((out["hi_95"] - out["forecast"])[first], f95 * (out["hi_95_m"] - out["forecast_m"])[first],
                               rtol=1e-9)
    short = _daily(100)
    with pytest.raises(ValueError, match="no factors for level 95"):
        ConsumptionForecaster(interval_method="conformal", conformal_scales={80: dict.fromkeys(names, 1.0)}).fit(short)
    with pytest.raises(ValueError, match="no factor for the chosen candidate"):
        ConsumptionForecaster(interval_method="conformal", conformal_scales={80: {}, 95: {}}).fit(short)
    with pytest.raises(ValueError, match="conformal_scales"):
        ConsumptionForecaster(conformal_scales={95: {"ARIMA": -1.0}}).fit(short)


def _two_spans() -> pd.DataFrame:
    """Daily load of two customers, one ending on Sunday 29 Sep 2024 (a worked Sunday), one a week earlier."""
    days = pd.date_range("2024-08-05", "2024-09-29")
    base = np.where(days.day_of_week == 6, 40.0, 100.0) + np.random.default_rng(0).normal(0, 1, len(days))
    a = pd.DataFrame({"unique_id": 1, "ds": days, "y": base})
    b = pd.DataFrame({"unique_id": 2, "ds": days[:-7], "y": 2 * base[:-7]})
    return pd.concat([a, b], ignore_index=True)


def test_calendar_on_the_whole_frames_days_makes_a_part_fit_like_the_whole():
    df = _two_spans()

    def model() -> CalendarProfileForecaster:
        return CalendarProfileForecaster(forecaster=ConsumptionForecaster(season_length=7, freq="D"),
                                         holiday_profile="own")

    whole = model().fit(df)
    expected = whole.predict(7)
    days = df["ds"].unique()
    future = expected["ds"].unique()
    parts = []
    for uid in (1, 2):
        part = model().fit(df[df["unique_id"] == uid], days=days)
        pd.testing.assert_frame_equal(part.models_, whole.models_.loc[[uid]])
        parts.append(part.predict(7, days=future))
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), expected)
    # customer 1 alone reads the calendar of its own forecast week: National Day (1-6 Oct) gets Sunday 6 Oct's
    # forecast; in the whole frame its nearest Sunday is 29 Sep, which only customer 2's forecast holds
    alone = model().fit(df[df["unique_id"] == 1]).predict(7)
    oct1 = expected["ds"] == pd.Timestamp("2024-10-01")
    assert not np.isclose(alone.loc[alone["ds"] == pd.Timestamp("2024-10-01"), "forecast"].item(),
                          expected.loc[oct1 & (expected["unique_id"] == 1), "forecast"].item())
    with pytest.raises(ValueError, match="days lacks 7 day"):
        model().fit(df, days=days[:-7])


def test_long_season_models_of_a_series_do_not_depend_on_longer_series_beside_it():
    """Two-season and block models use each series' own whole weeks, not the shortest series' (hourly, s = 168)."""
    from gridcrm.forecasting.batched import fit_batched
    from gridcrm.forecasting.longseason import fit_long_season
    from gridcrm.forecasting.multiseason import fit_multi_season

    rng = np.random.default_rng(1)
    t = np.arange(7 * 168)
    day = np.where((t % 24 >= 8) & (t % 24 < 20), 3.0, 1.0) * np.where(t % 168 >= 120, 0.5, 1.0)
    Y = day[:, None] * rng.uniform(0.9, 1.1, (t.size, 2))
    Y[: 7 * 168 - 588, 1] = np.nan  # series 1: its last three and a half weeks only

    def fit_rest(Z, s):
        return fit_batched(Z, s)

    both, alone = fit_multi_season(Y, 168, fit_rest), fit_multi_season(Y[-588:, 1:], 168, fit_rest)
    for a, b in zip(both.predict(48), alone.predict(48), strict=True):
        np.testing.assert_allclose(a[:, 1], b[:, 0], rtol=1e-9)
    long_alone = fit_multi_season(Y[:, :1], 168, fit_rest)  # six weeks: not cut to the short series' three
    np.testing.assert_allclose(both.predict(48)[0][:, 0], long_alone.predict(48)[0][:, 0], rtol=1e-9)
    both, alone = fit_long_season(Y, 168, fit_rest), fit_long_season(Y[-588:, 1:], 168, fit_rest)
    np.testing.assert_allclose(both.shares[:, 1], alone.shares[:, 0], rtol=1e-12)
    np.testing.assert_allclose(both.rel_var[1], alone.rel_var[0], rtol=1e-12)
