"""Long frames: validation errors, gaps, matrices, Dataset helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.forecasting.frame import (
    FrameError,
    fill_gaps,
    future_dates,
    impute_seasonal,
    infer_freq,
    to_matrix,
    validate_frame,
)
from gridcrm.forecasting.sources import daily_frame, interval_frame, monthly_frame


def _frame(ids, days, y) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": ids, "ds": pd.to_datetime(days), "y": y})


def test_duplicate_pairs_name_the_series_and_the_fix():
    df = _frame([1, 1, 2], ["2024-01-01", "2024-01-01", "2024-01-01"], [1.0, 2.0, 3.0])
    with pytest.raises(FrameError, match=r"(?s)duplicate \(unique_id, ds\).*\[1\].*groupby"):
        validate_frame(df)


def test_non_numeric_y_is_rejected_with_a_conversion_hint():
    df = _frame([1, 1], ["2024-01-01", "2024-01-02"], ["1.0", "x"])
    with pytest.raises(FrameError, match=r"y must be numeric.*pd.to_numeric"):
        validate_frame(df)


def test_unsorted_dates_name_the_series():
    df = _frame([1, 1, 7, 7], ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-02"], [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(FrameError, match=r"(?s)not increasing.*\[7\].*sort_values"):
        validate_frame(df)


def test_interleaved_series_are_rejected():
    df = _frame([1, 2, 1], ["2024-01-01", "2024-01-01", "2024-01-02"], [1.0, 2.0, 3.0])
    with pytest.raises(FrameError, match="not contiguous"):
        validate_frame(df)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.drop(columns="ds"), r"lacks column\(s\) \['ds'\]"),
        (lambda d: d.assign(ds=d["ds"].astype(str)), "ds must be datetime64"),
        (lambda d: d.assign(y=[1.0, np.inf]), "infinite"),
        (lambda d: d.assign(temp=[1.0, np.nan]), r"temp \(exogenous\) has missing values"),
        (lambda d: d.assign(temp=["a", "b"]), r"temp \(exogenous\) must be numeric"),
    ],
)
def test_other_validation_errors(change, message):
    df = _frame([1, 1], ["2024-01-01", "2024-01-02"], [1.0, 2.0])
    with pytest.raises(FrameError, match=message):
        validate_frame(change(df))


def test_validate_returns_exogenous_columns():
    df = _frame([1, 1], ["2024-01-01", "2024-01-02"], [1.0, np.nan]).assign(heating=[0.0, 1.0])
    assert validate_frame(df) == ["heating"]


def test_fill_gaps_inserts_missing_days_and_interpolates_exog():
    df = _frame([1, 1, 2, 2], ["2024-01-01", "2024-01-04", "2024-01-01", "2024-01-02"], [1.0, 4.0, 5.0, 6.0])
    out = fill_gaps(df.assign(x=[0.0, 3.0, 1.0, 1.0]), "D")
    one = out[out["unique_id"] == 1]
    assert one["ds"].dt.day.tolist() == [1, 2, 3, 4]
    assert np.isnan(one["y"].iloc[1]) and one["x"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert len(out) == 6


def test_infer_freq_hourly_and_monthly():
    hourly = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-01-01", periods=4, freq="h"), "y": 1.0})
    monthly = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-01-01", periods=4, freq="MS"), "y": 1.0})
    assert infer_freq(hourly) == "h"
    assert infer_freq(monthly) == "MS"


def test_to_matrix_right_aligns_series_of_different_lengths():
    df = _frame([1, 1, 1, 2], ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05"], [1.0, 2.0, 3.0, 9.0])
    sm = to_matrix(df, "D")
    assert sm.values[:, 0].tolist() == [1.0, 2.0, 3.0]
    assert np.isnan(sm.values[:2, 1]).all() and sm.values[2, 1] == 9.0
    assert list(sm.last_ds.day) == [3, 5] and sm.n_obs.tolist() == [3, 1]


def test_impute_seasonal_fills_gaps_but_not_the_time_before_a_series_starts():
    Y = np.array([[np.nan, 1.0], [np.nan, 2.0], [5.0, np.nan], [6.0, 4.0], [np.nan, 5.0]])
    out, n = impute_seasonal(Y, 2)
    assert np.isnan(out[:2, 0]).all()
    assert out[4, 0] == 5.0 and out[2, 1] == 1.0
    assert n.tolist() == [1, 1]


def test_future_dates_monthly():
    out = future_dates(np.array([3]), pd.DatetimeIndex(["2024-11-01"]), 3, pd.offsets.MonthBegin())
    assert out["ds"].dt.month.tolist() == [12, 1, 2]


def test_dataset_helpers(synthetic_small):
    ds = synthetic_small.dataset
    daily = daily_frame(ds, temperature=True, holidays=["2024-02-10"])
    assert {"unique_id", "ds", "y", "heating", "cooling", "holiday"} <= set(daily.columns)
    assert validate_frame(daily) == ["heating", "cooling", "holiday"]
    assert daily["holiday"].sum() > 0
    monthly = monthly_frame(ds)
    assert infer_freq(monthly) == "MS"
    hourly = interval_frame(ds, freq="h")
    assert infer_freq(hourly) == "h" and hourly["unique_id"].isin(ds.load_interval["customer_id"]).all()
