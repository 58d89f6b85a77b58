"""The Chinese calendar in interval forecasts: holidays from the customer's holiday/Sunday profile (#15)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.errors import InputError
from gridcrm.forecasting import ConsumptionForecaster, backtest
from gridcrm.forecasting.multiseason import HOLIDAY, ORDINARY, WORKDAY_ADJUSTED, CalendarProfileForecaster, day_types

#: Hourly data: a week of 168 steps, 2024-08-05 (a Monday) to 2024-09-30 (a Monday) before National Day.
START, END = "2024-08-05", "2024-10-01"


def _hourly(weekday: float, sunday: float, holiday: float, saturday: float | None = None, freq: str = "h"
            ) -> pd.DataFrame:
    """Two customers: office hours 8-18 at ``weekday`` level; Sundays and holidays at their own levels."""
    ds = pd.date_range(START, END, freq=freq, inclusive="left")
    day = ds.normalize()
    kind = day_types(pd.DatetimeIndex(day.unique())).reindex(day).to_numpy()
    level = np.where(day.day_of_week == 6, sunday, np.where(day.day_of_week == 5, saturday or weekday, weekday))
    level = np.where(kind == HOLIDAY, holiday, np.where(kind == WORKDAY_ADJUSTED, weekday, level))
    shape = np.where((ds.hour >= 8) & (ds.hour < 18), 1.0, 0.3)
    rng = np.random.default_rng(0)
    y = [level * shape * (1 + 0.01 * rng.normal(size=len(ds))) * k for k in (1.0, 2.0)]
    return pd.concat([pd.DataFrame({"unique_id": i, "ds": ds, "y": v}) for i, v in enumerate(y)], ignore_index=True)


def _model(freq: str = "h", **kw) -> CalendarProfileForecaster:
    s = 168 if freq == "h" else 7
    return CalendarProfileForecaster(forecaster=ConsumptionForecaster(season_length=s, freq=freq), **kw)


@pytest.fixture(scope="module")
def fitted():
    """Holidays at half the Sunday level (Mid-autumn, 15-17 Sep, in the history)."""
    return _model(holiday_profile="own").fit(_hourly(weekday=100.0, sunday=40.0, holiday=20.0))


def test_day_types_follow_the_state_council_calendar():
    kinds = day_types(pd.date_range("2024-09-13", "2024-10-13"))
    assert kinds.loc["2024-09-14"] == WORKDAY_ADJUSTED and kinds.loc["2024-09-29"] == WORKDAY_ADJUSTED
    assert kinds.loc["2024-10-12"] == WORKDAY_ADJUSTED
    assert (kinds.loc["2024-09-15":"2024-09-17"] == HOLIDAY).all() and (kinds.loc["2024-10-01":"2024-10-07"] == HOLIDAY).all()
    assert kinds.loc["2024-09-13"] == ORDINARY and kinds.loc["2024-10-13"] == ORDINARY


def test_the_holiday_ratio_is_measured_and_the_history_cleaned(fitted):
    assert fitted.models_["holiday_ratio"].to_numpy() == pytest.approx([0.5, 0.5], abs=0.02)
    assert fitted.models_["holiday_days"].tolist() == [3, 3]
    assert fitted.days_replaced_ == 5  # 14, 15-17 and 29 Sep
    assert {"selected", "backtest_mase"} <= set(fitted.models_.columns)


def test_national_day_is_forecast_from_the_holiday_profile_and_the_weekday_is_kept(fitted):
    out = fitted.predict(168 + 24)
    day = out["ds"].dt.normalize()
    noon = out[(out["ds"].dt.hour == 12) & (out["unique_id"] == 0)].set_index(day[out.index[
        (out["ds"].dt.hour == 12) & (out["unique_id"] == 0)]])
    # 1-7 Oct: half of an ordinary Sunday (40) = 20; 8 Oct an ordinary Tuesday = 100
    assert noon.loc["2024-10-01":"2024-10-07", "forecast"].to_numpy() == pytest.approx(np.full(7, 20.0), rel=0.05)
    assert noon.loc["2024-10-08", "forecast"] == pytest.approx(100.0, rel=0.05)
    assert (noon.loc["2024-10-01":"2024-10-07", "day_type"] == HOLIDAY).all()
    # ranges move with the forecast, and keep it inside them
    assert (out["lo_95"] <= out["forecast"] + 1e-9).all() and (out["forecast"] <= out["hi_95"] + 1e-9).all()
    assert len(out) == 2 * (168 + 24) and out.groupby("unique_id").size().tolist() == [192, 192]


def test_the_default_sunday_profile_ignores_the_ratio_and_short_horizons_still_see_a_sunday():
    m = _model("D").fit(_hourly(weekday=100.0, sunday=40.0, holiday=20.0, freq="D"))
    out = m.predict(1)  # only 1 Oct asked: the week is forecast inside, cut to one step
    assert len(out) == 2 and out["forecast"].to_numpy() == pytest.approx([12.0, 24.0], rel=0.05)  # 40 x 0.3


def test_an_adjusted_working_day_is_forecast_as_a_weekday():
    # history to 6 Oct; forecast 7-13 Oct: 12 Oct is a Saturday worked (Saturdays otherwise at 60)
    df = _hourly(weekday=100.0, sunday=40.0, holiday=20.0, saturday=60.0, freq="D")
    ds = pd.date_range("2024-10-01", "2024-10-07", freq="D", inclusive="left")
    extra = pd.concat([pd.DataFrame({"unique_id": i, "ds": ds, "y": 20.0 * k * np.where(
        (ds.hour >= 8) & (ds.hour < 18), 1.0, 0.3)}) for i, k in ((0, 1.0), (1, 2.0))])
    both = pd.concat([df, extra], ignore_index=True).sort_values(["unique_id", "ds"])
    out = _model("D", holiday_profile="own").fit(both).predict(7)
    day = out[out["unique_id"] == 0].set_index("ds")["forecast"] / 0.3  # daily rows are at midnight: shape 0.3
    assert day.loc["2024-10-12"] == pytest.approx(100.0, rel=0.05)
    assert day.loc["2024-10-13"] == pytest.approx(40.0, rel=0.05)
    assert day.loc["2024-10-07"] == pytest.approx(20.0, rel=0.05)  # the holiday ratio of 1-6 Oct: 0.5


def test_bad_parameters_and_seasons_that_are_not_weeks_are_refused():
    df = _hourly(weekday=100.0, sunday=40.0, holiday=20.0, freq="D")
    with pytest.raises(InputError, match="holiday_profile='weekday' is not allowed"):
        _model(holiday_profile="weekday").fit(df)
    with pytest.raises(ValueError, match="season_length 24 is not a week of whole days"):
        CalendarProfileForecaster(forecaster=ConsumptionForecaster(season_length=24, freq="D")).fit(df)
    with pytest.raises(Exception, match="not fitted"):
        _model().predict(24)


def test_backtest_clones_it_and_it_beats_the_plain_forecaster_over_a_holiday_week():
    df = _hourly(weekday=100.0, sunday=40.0, holiday=20.0, freq="D")
    df = df[df["ds"] < "2024-09-23"]  # last window: 16-22 Sep with Mid-autumn; 5 Aug-15 Sep to learn from
    plain = backtest(ConsumptionForecaster(season_length=7, freq="D"), df, h=7, n_windows=1)
    cal = backtest(_model("D"), df, h=7, n_windows=1)  # the default: holidays as Sundays
    assert cal.summary().loc["all", "mase"] < 0.5 * plain.summary().loc["all", "mase"]
