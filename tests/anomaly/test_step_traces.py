"""What else changes at a level shift (#16): the weekly pattern, the seasonal response, an application, and
whether the drop lasts — on the hand-made extract, against a proportional bypass (THIEF)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from anomaly.anomaly_data import AS_OF, DAYS, THEFT_ONSET, THIEF, make_tables
from gridcrm.anomaly import anomaly_signals
from gridcrm.anomaly.detector import application_factor, step_pattern_factor, theft_evidence
from gridcrm.data import validate_tables

HOUSEHOLD, FLAT, OLD_VACANCY, MOVER = 1020, 1021, 1022, 1023


@pytest.fixture(scope="module")
def traced():
    """The hand extract with: a new household from THEFT_ONSET (half the load on weekdays, 90 % at weekends;
    its account holder changed 10 days before), a customer whose seasonal swing goes from THEFT_ONSET (a heat
    pump: half the load, no season), an old vacancy (zero from 2023-10-01 to 2024-04-30, then as before) and a
    move (10 days at 5 % of the load, then 60 % of it)."""
    tables = make_tables(seed=3)
    meter = tables["meter_daily"]
    after = meter["date"] >= THEFT_ONSET
    weekend = meter["date"].dt.day_of_week >= 5
    season = 1.0 + 0.4 * np.cos(2 * np.pi * (meter["date"].dt.day_of_year - 15) / 365.25)
    kwh = meter["kwh"].to_numpy().copy()
    hh = (meter["customer_id"] == HOUSEHOLD).to_numpy()
    kwh[hh & after] *= np.where(weekend[hh & after], 0.9, 0.5)
    flat = (meter["customer_id"] == FLAT).to_numpy()
    kwh[flat & after] *= (0.5 / season[flat & after]) * season[flat & after].mean()
    old = (meter["customer_id"] == OLD_VACANCY).to_numpy()
    kwh[old & (meter["date"] >= "2023-10-01") & (meter["date"] <= "2024-04-30")] = 0.0
    mover = (meter["customer_id"] == MOVER).to_numpy()
    kwh[mover & after] *= 0.6
    kwh[mover & (meter["date"] >= THEFT_ONSET - pd.Timedelta(days=10)) & ~after] *= 0.05  # empty for 10 days
    tables["meter_daily"] = meter.assign(kwh=np.round(kwh, 2))
    tables["contacts"] = pd.DataFrame({
        "contact_id": [1, 2], "customer_id": [HOUSEHOLD, THIEF],
        "at": pd.to_datetime([THEFT_ONSET - pd.Timedelta(days=10), AS_OF + pd.Timedelta(days=3)]),
        "kind": ["application", "application"], "category": ["name_transfer", "name_transfer"],
        "text": [None, None], "satisfaction": [np.nan, np.nan],
    })
    ds = validate_tables(tables, extracted_on=(DAYS[-1] + pd.Timedelta(days=5)).date().isoformat())
    return anomaly_signals(ds, AS_OF)


def test_a_new_household_changes_the_weekly_pattern_a_bypass_does_not(traced):
    s = traced
    assert abs(s.loc[THIEF, "weekly_pattern_change_z"]) < 2.5
    assert s.loc[HOUSEHOLD, "weekly_pattern_change_z"] > 8  # weekends lost less than weekdays
    factor = step_pattern_factor(s.loc[[THIEF, HOUSEHOLD]])
    assert factor[0] > 0.9 and factor[1] < 0.01


def test_a_flattened_season_is_measured(traced):
    s = traced
    assert s.loc[FLAT, "season_slope_change_z"] < -5
    assert abs(s.loc[THIEF, "season_slope_change_z"]) < 3


def test_an_application_near_the_onset_counts_only_before_as_of(traced):
    s = traced
    # the onset is estimated to the week: within a week of the 10 days
    assert 3 <= s.loc[HOUSEHOLD, "application_days_from_shift"] <= 17
    assert np.isnan(s.loc[THIEF, "application_days_from_shift"])  # its application is after as_of
    assert application_factor(s.loc[[HOUSEHOLD, THIEF]]).tolist() == [0.3, 1.0]


def test_the_drop_must_last_without_the_seasonal_harmonic(traced):
    s = traced
    assert s.loc[THIEF, "recent_drop_median"] == pytest.approx(0.5, abs=0.08)
    assert abs(s.loc[OLD_VACANCY, "recent_drop_median"]) < 0.1
    ev = pd.Series(theft_evidence(s), index=s.index)
    assert ev[THIEF] > 0.9
    assert ev[HOUSEHOLD] < 0.05 * ev[THIEF] and ev[OLD_VACANCY] < 0.05 and ev[FLAT] < ev[THIEF]


def test_a_home_left_empty_at_the_step_is_a_move(traced):
    s = traced
    assert 8 <= s.loc[MOVER, "empty_days_at_shift"] <= 10 and s.loc[THIEF, "empty_days_at_shift"] == 0
    assert application_factor(s.loc[[MOVER]]).tolist() == [0.3]
    ev = pd.Series(theft_evidence(s), index=s.index)
    assert ev[MOVER] < 0.35 * ev[THIEF]
