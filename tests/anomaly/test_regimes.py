"""The seasonal change point and the two-regime signals of intermittent tampering, on hand-made series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from anomaly.anomaly_data import AS_OF, THIEF, make_tables
from gridcrm.anomaly import AnomalyDetector, anomaly_signals
from gridcrm.anomaly.detector import intermittent_evidence, theft_evidence
from gridcrm.anomaly.signals import _harmonic_change_point, _regimes
from gridcrm.data import validate_tables

TAMPER = 1010  # a peer of the hand extract that alternates: 60 % of its load read for 8 days of 14, from June 2024


def _weeks(seed: int, step_at: int | None, amplitude: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = np.arange(104)
    r = amplitude * np.cos(2 * np.pi * (w - 20) / 52.18) + rng.normal(0, 0.05, 104)
    if step_at is not None:
        r[step_at:] -= 0.5
    return r[None, :]


def test_own_seasonal_pattern_is_not_a_level_shift():
    z, week, shift, resid = _harmonic_change_point(_weeks(0, None, 0.3))
    assert z[0] > -5  # a plain mean-shift test sees a strong "drop" in the low half of the season
    plain = _weeks(0, None, 0.3)[0]
    j = np.arange(13, 101)
    stat = np.array([(plain[k:].mean() - plain[:k].mean()) * np.sqrt(k * (104 - k) / 104) for k in j])
    assert stat.min() / 0.05 < -20


def test_step_found_beside_the_seasonal_pattern():
    z, week, shift, resid = _harmonic_change_point(_weeks(1, 80, 0.3))
    assert week[0] == 80 and shift[0] == pytest.approx(-0.5, abs=0.05) and z[0] < -20
    # the harmonic is removed from what is left: before and after the step are flat
    before, after = resid[0, :80], resid[0, 80:]
    assert before.std() < 0.08 and after.std() < 0.08
    assert after.mean() - before.mean() == pytest.approx(-0.5, abs=0.05)


def test_missing_weeks_and_too_short_rows():
    r = _weeks(2, 70, 0.0)
    r[0, :5] = np.nan
    z, week, shift, _ = _harmonic_change_point(np.vstack([r, np.full((1, 104), np.nan)]))
    assert week[0] == 70 and shift[0] == pytest.approx(-0.5, abs=0.05)
    assert np.isnan(z[1]) and week[1] == -1 and np.isnan(shift[1])


def test_regimes_of_an_on_off_customer():
    days = np.arange(182)
    peers = np.full((9, 182), 10.0)
    on_off = np.where(days % 14 < 8, 6.0, 10.0)  # 40 % of the load off for 8 days of each 14
    step = np.where(days < 100, 10.0, 6.0)
    block = np.vstack([on_off, step, peers])
    gap, sep, switches, spells = _regimes(block, np.zeros(11, dtype=int))
    # on_off is scaled by its median 6: log ratios 0 (on) and g = log(10/6 + 0.05) - log(1.05) (off); the 3-day
    # means of each 14-day cycle are 6 × 0, 2 × g/3, 2 × 2g/3, 4 × g: regimes {0, g/3} and {2g/3, g}, gap 29g/36
    g = np.log(10 / 6 + 0.05) - np.log(1.05)
    assert gap[0] == pytest.approx(29 * g / 36, abs=0.01)
    # step is scaled by its median 10: log ratios 0 then log(0.65) - log(1.05), one mixed pair of 3-day means
    assert gap[1] == pytest.approx(np.log(1.05) - np.log(0.65), abs=0.01)
    assert 20 <= switches[0] <= 26 and switches[1] == 1  # 13 cycles, 2 changes each (3-day smoothing)
    assert 12 <= spells[0] <= 13 and spells[1] == 1  # a low spell of 6-8 days per cycle; a step is one spell
    assert sep[0] > 3 and sep[1] > 3
    assert np.isnan(_regimes(np.full((1, 182), np.nan), np.zeros(1, dtype=int))[0][0])


@pytest.fixture(scope="module")
def tampered():
    tables = make_tables()
    meter = tables["meter_daily"]
    on = (meter["customer_id"] == TAMPER) & (meter["date"] >= pd.Timestamp("2024-06-01"))
    phase = (meter.loc[on, "date"] - pd.Timestamp("2024-06-01")).dt.days % 14 < 8
    meter.loc[on & phase.reindex(meter.index, fill_value=False), "kwh"] *= 0.6
    return validate_tables(tables, extracted_on="2025-01-01")


def test_intermittent_tampering_found_by_its_regimes(tampered):
    sig = anomaly_signals(tampered, AS_OF)
    row = sig.loc[TAMPER]
    assert row["regime_drop_182d"] == pytest.approx(0.4, abs=0.1) and row["regime_drop_change"] > 0.15
    assert 15 <= row["regime_switches_182d"] <= 30
    ie = pd.Series(intermittent_evidence(sig), index=sig.index)
    assert ie[TAMPER] > 0.5 and ie.drop(index=TAMPER).max() < 0.1
    ev = pd.Series(theft_evidence(sig), index=sig.index)
    assert ev[TAMPER] >= ie[TAMPER] and ev[THIEF] > 0.9
    out = AnomalyDetector(random_state=0).fit(tampered, AS_OF).score(tampered, AS_OF)
    assert set(out["score"].nlargest(2).index) == {THIEF, TAMPER}
    assert out.loc[TAMPER, "kind"] == "theft" and "% less kWh in on/off spells" in out.loc[TAMPER, "reasons"]
    assert "on/off" not in out.loc[THIEF, "reasons"]


def test_missing_regime_columns_give_no_intermittent_evidence():
    assert intermittent_evidence(pd.DataFrame(index=range(3))).tolist() == [0.0, 0.0, 0.0]


def test_a_clean_inspection_after_the_onset_lowers_the_evidence():
    tables = make_tables()
    tables["inspections"] = pd.DataFrame({
        "customer_id": [THIEF, THIEF, 1005, 1006],
        "date": pd.to_datetime(["2024-03-01", "2024-10-01", "2024-03-01", "2025-01-01"]),
        "result": ["clean", "clean", "clean", "clean"]})
    ds = validate_tables(tables, extracted_on="2025-01-02")
    sig = anomaly_signals(ds, AS_OF)
    assert sig.loc[THIEF, "days_since_clean_inspection"] == (AS_OF - pd.Timestamp("2024-10-01")).days  # the last
    assert sig.loc[1005, "days_since_clean_inspection"] == (AS_OF - pd.Timestamp("2024-03-01")).days
    assert np.isnan(sig.loc[1006, "days_since_clean_inspection"])  # on as_of: not seen yet
    plain = anomaly_signals(validate_tables(make_tables(), extracted_on="2025-01-01"), AS_OF)
    assert plain["days_since_clean_inspection"].isna().all()
    with_visit = theft_evidence(sig.loc[[THIEF]])[0]
    without = theft_evidence(plain.loc[[THIEF]])[0]
    assert with_visit == pytest.approx(0.2 * without)  # the crew came after the drop of 2024-07-01
    before_onset = sig.loc[[THIEF]].assign(days_since_clean_inspection=(AS_OF - pd.Timestamp("2024-03-01")).days)
    assert theft_evidence(before_onset)[0] == pytest.approx(without)
