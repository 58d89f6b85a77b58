"""daily_load_profiles: the wide frame of daily load profiles built from load_interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.segmentation import SegmentationInputError
from gridcrm.segmentation.shapes import daily_load_profiles


def _interval(days: int = 3, customer: int = 5, start: str = "2024-01-01") -> pd.DataFrame:
    ts = pd.date_range(start, periods=days * 96, freq="15min").astype("datetime64[ns]")
    kw = np.tile(np.arange(96.0), days) + np.repeat(np.arange(days) * 100.0, 96)
    return pd.DataFrame({"customer_id": customer, "timestamp": ts, "kw": kw})


def test_hourly_points_are_mean_kw_of_the_hour() -> None:
    p = daily_load_profiles(_interval(days=2))
    assert p.shape == (2, 24) and p.columns[:3].tolist() == ["00:00", "01:00", "02:00"]
    assert p.iloc[0, 0] == pytest.approx(np.mean([0, 1, 2, 3]))
    assert p.iloc[1, 23] == pytest.approx(100 + np.mean([92, 93, 94, 95]))
    assert p.index.get_level_values("date").tolist() == list(pd.to_datetime(["2024-01-01", "2024-01-02"]))
    assert p.index.get_level_values("date").dtype == "datetime64[ns]"


def test_fifteen_minute_points() -> None:
    p = daily_load_profiles(_interval(days=1), points_per_day=96)
    assert p.shape == (1, 96) and p.columns[1] == "00:15"
    np.testing.assert_allclose(p.to_numpy()[0], np.arange(96.0))


def test_incomplete_days_are_left_out() -> None:
    li = _interval(days=3)
    li.loc[96:191:5, "kw"] = np.nan  # day 2: 20 of 96 missing, scattered (every hour keeps a reading)
    li = li.drop(index=range(200, 204))  # day 3: hour 2 missing altogether
    p = daily_load_profiles(li)
    assert p.index.get_level_values("date").tolist() == [pd.Timestamp("2024-01-01")]
    assert len(daily_load_profiles(li, min_coverage=0.7)) == 2


def test_per_customer_mean_day_and_weekdays() -> None:
    li = pd.concat([_interval(days=7, customer=1, start="2024-01-01"), _interval(days=7, customer=2)])
    per_day = daily_load_profiles(li)
    assert per_day.index.get_level_values("customer_id").unique().tolist() == [1, 2]
    mean_day = daily_load_profiles(li, per="customer")
    assert mean_day.index.name == "customer_id" and mean_day.shape == (2, 24)
    assert mean_day.iloc[0, 0] == pytest.approx(per_day.loc[1].iloc[:, 0].mean())
    weekdays = daily_load_profiles(li, days="weekday")  # 2024-01-01 was a Monday
    assert weekdays.index.get_level_values("date").day_of_week.max() == 4 and len(weekdays) == 10
    assert len(daily_load_profiles(li, days="weekend")) == 4


def test_unsorted_input() -> None:
    li = _interval(days=2)
    shuffled = li.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(daily_load_profiles(shuffled), daily_load_profiles(li))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda li: li.drop(columns="kw"), r"lacks column\(s\) \['kw'\]"),
        (lambda li: li.assign(timestamp=li["timestamp"].astype(str)), "timestamp must be datetime64"),
        (lambda li: li.to_numpy(), "must be a DataFrame"),
    ],
)
def test_bad_tables(change, message: str) -> None:
    with pytest.raises(SegmentationInputError, match=message):
        daily_load_profiles(change(_interval()))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"points_per_day": 12}, "points_per_day"), ({"per": "week"}, "per must be"), ({"days": "sunday"}, "days must"),
     ({"min_coverage": 1.5}, "min_coverage")],
)
def test_bad_arguments(kwargs, message: str) -> None:
    with pytest.raises(SegmentationInputError, match=message):
        daily_load_profiles(_interval(), **kwargs)
