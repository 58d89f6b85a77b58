"""Behaviour features (#20): hand-computed values on made-up meter reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.features import FEATURES, build_features
from gridcrm.features.behaviour import BEHAVIOUR_FEATURE_NAMES, behaviour_features

AS_OF = pd.Timestamp("2024-01-01")
DAYS = pd.date_range("2023-01-01", "2023-12-31")


def _run(kwh_by_customer: dict[int, np.ndarray], weather: pd.DataFrame | None = None) -> pd.DataFrame:
    meter = pd.concat([pd.DataFrame({"customer_id": cid, "date": DAYS, "kwh": kwh})
                       for cid, kwh in kwh_by_customer.items()])
    meter = meter.dropna(subset=["kwh"]).reset_index(drop=True)
    customers = pd.DataFrame({"customer_id": sorted(kwh_by_customer), "region": "r"})
    return pd.DataFrame(behaviour_features(meter, customers, AS_OF, weather), index=customers["customer_id"])


def test_steady_customer_has_no_vacancy_no_variability_and_ratios_of_one() -> None:
    f = _run({1: np.full(len(DAYS), 5.0)})
    row = f.loc[1]
    assert row["weekend_ratio_365d"] == pytest.approx(1.0)
    assert row["winter_summer_ratio"] == pytest.approx(1.0)
    assert row["vacancy_days_max_365d"] == 0.0
    assert row["day_to_day_variability_365d"] == pytest.approx(0.0)
    assert np.isnan(row["baseload_kwh"])  # no weather: no degree-day regression


def test_weekend_home_with_a_vacant_spell() -> None:
    kwh = np.where(DAYS.day_of_week >= 5, 6.0, 2.0)
    kwh[(DAYS >= "2023-03-06") & (DAYS < "2023-04-17")] = 0.0  # six whole weeks away
    row = _run({7: kwh}).loc[7]
    assert row["vacancy_days_max_365d"] == 42.0
    # 2023: 105 weekend days and 260 weekdays, of which 12 and 30 away
    assert row["weekend_ratio_365d"] == pytest.approx((6.0 * 93 / 105) / (2.0 * 230 / 260))
    # |ln(6.05) - ln(2.05)| on 2 of 7 day changes a week, 0 otherwise: the median is 0
    assert row["day_to_day_variability_365d"] == pytest.approx(0.0)


def test_a_meter_gap_inside_a_vacancy_does_not_break_the_run() -> None:
    kwh = np.full(len(DAYS), 4.0)
    kwh[100:160] = 0.1
    kwh[120:125] = np.nan  # no reads those days
    assert _run({3: kwh}).loc[3, "vacancy_days_max_365d"] == 60.0


def test_winter_peak_and_baseload_from_the_degree_day_regression() -> None:
    temp = 15.0 - 12.0 * np.cos(2 * np.pi * (DAYS.day_of_year.to_numpy() - 15) / 365)  # 3 °C in January, 27 °C in July
    weather = pd.DataFrame({"region": "r", "date": DAYS, "temp_c": temp})
    kwh = 5.0 + 0.5 * np.maximum(18.0 - temp, 0.0)  # 5 kWh/day plus 0.5 per heating degree
    row = _run({1: kwh}, weather).loc[1]
    assert row["baseload_kwh"] == pytest.approx(5.0, abs=1e-6)
    winter = DAYS.month.isin([12, 1, 2])
    summer = DAYS.month.isin([6, 7, 8])
    assert row["winter_summer_ratio"] == pytest.approx(kwh[winter].mean() / kwh[summer].mean())
    assert row["winter_summer_ratio"] > 2


def test_too_few_reads_give_nan() -> None:
    kwh = np.full(len(DAYS), np.nan)
    kwh[-30:] = 3.0
    row = _run({1: kwh}).loc[1]
    assert row[list(BEHAVIOUR_FEATURE_NAMES)].isna().all()


def test_registered_and_built_by_default() -> None:
    from gridcrm.data.synth import generate_dataset

    for name in BEHAVIOUR_FEATURE_NAMES:
        assert name in FEATURES and FEATURES[name].description
    table = build_features(generate_dataset(40, "2023-01-01", "2024-03-31", seed=4).dataset)
    assert set(BEHAVIOUR_FEATURE_NAMES) <= set(table.columns)
    assert table["weekend_ratio_365d"].notna().mean() > 0.8
