"""Chinese calendar, seasonal normal temperatures and forecasts that build their own regressors (#15)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.errors import ConfigError
from gridcrm.forecasting import ConsumptionForecaster, load_forecast_config
from gridcrm.forecasting.regressors import add_calendar, china_calendar, temperature_normals, with_regressors


def test_calendar_flags_holidays_adjusted_workdays_and_the_spring_festival_window():
    cal = china_calendar(pd.date_range("2024-09-28", "2024-10-08"))
    # National Day 1-7 October 2024; Sunday 29 September and Saturday 12 October were working days
    assert cal.loc["2024-10-01":"2024-10-07", "holiday"].eq(1).all()
    assert cal.loc["2024-09-28", "holiday"] == 0 and cal.loc["2024-10-08", "holiday"] == 0
    assert cal.loc["2024-09-29", "workday_adjusted"] == 1 and cal.loc["2024-09-28", "workday_adjusted"] == 0
    # Spring Festival 2024: days off 10-17 February; window from 7 days before to 10 days after
    sf = china_calendar(pd.date_range("2024-02-01", "2024-03-01"))["spring_festival"]
    assert sf.loc["2024-02-03"] == 1 and sf.loc["2024-02-02"] == 0
    assert sf.loc["2024-02-27"] == 1 and sf.loc["2024-02-28"] == 0


def test_calendar_years_the_package_does_not_cover_get_zeros():
    cal = china_calendar(["2003-10-01", "2024-10-01"])
    assert cal["holiday"].tolist() == [0.0, 1.0]


def test_seasonal_normal_is_the_mean_over_years():
    days = pd.date_range("2022-01-01", "2023-12-31")
    temp = np.where(days.year == 2022, 10.0, 20.0)
    normals = temperature_normals(pd.DataFrame({"region": "R", "date": days, "temp_c": temp}))
    assert normals.loc[("R", 200)] == pytest.approx(15.0)
    # nothing on or after as_of is read
    only_2022 = temperature_normals(pd.DataFrame({"region": "R", "date": days, "temp_c": temp}), as_of="2023-01-01")
    assert only_2022.loc[("R", 200)] == pytest.approx(10.0)


def test_forecaster_with_regressors_builds_future_degree_days_and_calendar():
    rng = np.random.default_rng(2)
    days = pd.date_range("2023-01-01", "2024-09-30")
    temp = 15 + 12 * np.cos(2 * np.pi * (days.day_of_year - 200) / 365)
    weather = pd.DataFrame({"region": "R", "date": days, "temp_c": temp})
    customers = pd.DataFrame({"customer_id": [1, 2], "region": "R"})
    cool = np.maximum(temp - 22, 0)
    frames = [pd.DataFrame({"unique_id": c, "ds": days, "y": 50 + 4 * cool + rng.normal(0, 1, len(days)),
                            "cooling": cool, "heating": np.maximum(15 - temp, 0)}) for c in (1, 2)]
    df = add_calendar(pd.concat(frames, ignore_index=True))
    fc = ConsumptionForecaster(engine="batched").fit(df)
    assert set(fc.exog_names_) == {"cooling", "heating", "holiday", "workday_adjusted", "spring_festival"}
    model = with_regressors(fc, customers, weather, "2024-10-01")
    X = model.future_exog(10)
    assert X.loc[X["ds"] == "2024-10-03", "holiday"].eq(1).all()
    normal_oct3 = temperature_normals(weather, "2024-10-01").loc[("R", pd.Timestamp("2024-10-03").day_of_year)]
    assert X.loc[X["ds"] == "2024-10-03", "cooling"].iloc[0] == pytest.approx(max(normal_oct3 - 22, 0))
    out = model.predict(10)
    assert out.columns.tolist()[:3] == ["unique_id", "ds", "forecast"] and len(out) == 20
    assert model.season_length == 7 and model.models_ is fc.models_


def test_forecast_config_reads_the_regressor_keys_and_refuses_bad_values():
    cfg = load_forecast_config({"forecast": {"temperature": True, "calendar": "cn"}})
    assert cfg.temperature and cfg.calendar == "cn" and cfg.future_temperature == "normal"
    assert "temperature" not in cfg.forecaster().get_params()
    with pytest.raises(ConfigError, match="forecast.calendar: expected one of"):
        load_forecast_config({"forecast": {"calendar": "us"}})
    with pytest.raises(ConfigError, match="model_selection=.aic. is not allowed"):
        load_forecast_config({"forecast": {"model_selection": "aic"}})
