"""The generator's thefts, meter faults and confounders (synth/anomaly.py): rates, shapes, truth, stream isolation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data.synth import generate_dataset
from gridcrm.data.synth.segments import SEGMENTS
from gridcrm.errors import InputError

ARGS = (3000, "2023-01-01", "2024-06-30")


@pytest.fixture(scope="module")
def pair():
    return generate_dataset(*ARGS, seed=5, theft_rate=0.0), generate_dataset(*ARGS, seed=5, theft_rate=0.03)


def test_theft_rate_and_kinds(pair):
    base, more = pair
    t = more.truth
    assert t["theft_from"].notna().sum() == round(0.03 * len(t))
    new = t["theft_kind"].isin(["abrupt", "gradual", "intermittent"])
    assert new.sum() > 30 and t.loc[new, "theft_share"].between(0.2, 0.6).all()
    assert set(t.loc[new, "theft_kind"].astype(str)) == {"abrupt", "gradual", "intermittent"}
    # the base population's thefts stay what they were
    legacy = base.truth["theft_from"].notna()
    pd.testing.assert_series_equal(base.truth.loc[legacy, "theft_from"], t.loc[legacy, "theft_from"])
    assert (t.loc[legacy, "theft_kind"] == "bypass").all()
    assert not t.loc[t["latent_class"] == "large_industry", "theft_from"].notna().any()


def test_found_thefts_are_events_and_stop(pair):
    t, ds = pair[1].truth, pair[1].dataset
    found = t.index[t["theft_detected"]]
    ev = ds.events.loc[ds.events["kind"].astype(str) == "theft"]
    assert set(ev["customer_id"]) == set(found)
    assert (t.loc[found, "theft_found_on"] > t.loc[found, "theft_from"]).all()


def test_other_tables_stay_put(pair):
    base, more = pair
    for name in ("customers", "weather", "contacts"):
        pd.testing.assert_frame_equal(base.dataset[name], more.dataset[name], obj=name)
    t = more.truth
    untouched = t.index[t["theft_kind"].isna() & t["fault_kind"].isna() & t["confounder"].isna()]
    m0, m1 = base.dataset.meter_daily, more.dataset.meter_daily
    a = m0.loc[m0["customer_id"].isin(untouched)].reset_index(drop=True)
    b = m1.loc[m1["customer_id"].isin(untouched)].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_a_theft_lowers_the_reads_by_its_share(pair):
    base, more = pair
    t = more.truth
    abrupt = t.index[(t["theft_kind"] == "abrupt") & ~t["theft_detected"] & t["theft_circuit"].isna()][0]
    onset = t.loc[abrupt, "theft_from"]
    reads = [m.loc[(m["customer_id"] == abrupt) & (m["date"] >= onset), "kwh"].to_numpy()
             for m in (base.dataset.meter_daily, more.dataset.meter_daily)]
    ok = reads[0] > 1
    ratio = reads[1][ok] / reads[0][ok]
    assert ratio == pytest.approx(np.full(ok.sum(), 1 - t.loc[abrupt, "theft_share"]), abs=0.01)


def test_stuck_meter_repeats_one_read(pair):
    t, m = pair[1].truth, pair[1].dataset.meter_daily
    stuck = t.loc[t["fault_kind"] == "stuck"]
    assert len(stuck) >= 1
    cid = stuck.index[0]
    lo, hi = stuck.loc[cid, "fault_from"], stuck.loc[cid, "fault_to"]
    r = m.loc[(m["customer_id"] == cid) & (m["date"] >= lo) & (m["date"] < hi), "kwh"].dropna()
    assert r.nunique() <= 1


def test_theft_rate_checked():
    with pytest.raises(InputError, match="theft_rate must be a share between 0 and 0.2"):
        generate_dataset(50, "2024-01-01", "2024-03-31", seed=1, theft_rate=0.5)


# -- realism of both sides (#16): what a legitimate step and a circuit bypass leave in the extract ----------------
def _reads(ds, ids):
    m = ds.meter_daily
    m = m.loc[m["customer_id"].isin(ids)].dropna(subset=["kwh"])
    return m.assign(dow=m["date"].dt.day_of_week)


def test_a_home_step_comes_with_a_new_weekly_pattern(pair):
    t, ds = pair[1].truth, pair[1].dataset
    homes = t["latent_class"] == "residential"
    shifted = t.index[homes & (t["level_shift_on"] > "2023-04-01") & (t["level_shift_on"] < "2024-04-01")]
    still = t.index[homes & t["level_shift_on"].isna() & t["vacant_from"].isna() & t["theft_from"].isna()
                    & t["confounder"].isna()][:300]
    m = _reads(ds, shifted.union(still))
    m = m.assign(after=m["date"] >= m["customer_id"].map(t["level_shift_on"]).fillna(pd.Timestamp("2023-10-01")),
                 weekend=m["dow"] >= 5)
    m = m.loc[m["kwh"] > 0].assign(lk=lambda f: np.log(f["kwh"]))
    mean = m.groupby(["customer_id", "after", "weekend"])["lk"].mean().unstack(["after", "weekend"])
    change = ((mean[(True, True)] - mean[(True, False)]) - (mean[(False, True)] - mean[(False, False)])).abs()
    # a new household tilts its weekends by exp(N(0, 0.2)): the contrast moves several times more than by chance
    assert change.reindex(shifted).median() > 2.5 * change.reindex(still).median()


def test_a_business_step_is_on_its_working_days(pair):
    t, ds = pair[1].truth, pair[1].dataset
    down = t.index[(t["latent_segment"].isin(["office", "shop", "one_shift", "two_shift"]))
                   & (t["level_shift_factor"] < 0.8) & (t["level_shift_on"] > "2023-04-01")
                   & (t["level_shift_on"] < "2024-04-01") & t["theft_from"].isna() & t["distress_from"].isna()]
    assert len(down) >= 3
    m = _reads(ds, down)
    m = m.assign(after=m["date"] >= m["customer_id"].map(t["level_shift_on"]), rest=m["dow"] >= 5)
    mean = m.groupby(["customer_id", "after", "rest"])["kwh"].mean().unstack(["after", "rest"])
    work = 1 - mean[(True, False)] / mean[(False, False)]
    rest = 1 - mean[(True, True)] / mean[(False, True)]
    # rest days lose 10-50 % of what working days lose
    assert (rest / work).median() < 0.6 and (work > 0.08).all()


def test_steps_come_with_applications(pair):
    t, c = pair[1].truth, pair[1].dataset.contacts
    apps = c.loc[c["kind"].astype(str) == "application"]
    homes = t.index[(t["latent_class"] == "residential") & (t["level_shift_on"] > "2023-03-01")
                    & (t["level_shift_on"] < "2024-05-01") & ~t["churned"]]
    transfer = apps.loc[apps["category"] == "name_transfer"].merge(
        t.loc[homes, ["level_shift_on"]], left_on="customer_id", right_index=True)
    near = (transfer["at"] - transfer["level_shift_on"]).dt.days.abs() <= 31
    with_one = transfer.loc[near, "customer_id"].nunique() / len(homes)
    assert 0.25 <= with_one <= 0.6  # 40 % of household changes change the account holder
    # the contacts that were there are all still there, only renumbered
    assert c["contact_id"].is_monotonic_increasing and c["at"].is_monotonic_increasing
    base = pair[0].dataset.contacts
    pd.testing.assert_frame_equal(base.drop(columns="contact_id"), c.drop(columns="contact_id"))


def test_circuit_thefts_and_heating_retrofits(pair):
    base, more = pair
    t = more.truth
    assert set(t["theft_circuit"].dropna().astype(str)) == {"working_hours", "heating_cooling"}
    assert t.loc[t["theft_circuit"].notna(), "theft_kind"].isin(["abrupt", "gradual"]).all()
    assert (t["retrofit_kind"].notna() == (t["confounder"] == "retrofit")).all()
    # a working-hours bypass takes a fifth as much on rest days
    cid = t.index[(t["theft_circuit"] == "working_hours")][0]
    onset, found = t.loc[cid, "theft_from"], t.loc[cid, "theft_found_on"]
    reads = []
    for synth in (base, more):
        m = _reads(synth.dataset, [cid])
        m = m.loc[(m["date"] >= onset) & ((m["date"] < found) if pd.notna(found) else True)]
        reads.append(m.set_index("date"))
    ratio = (reads[1]["kwh"] / reads[0]["kwh"]).where(reads[0]["kwh"] > 1)
    share = t.loc[cid, "theft_share"]
    weekly = np.array(next(seg.weekly for seg in SEGMENTS if seg.name == t.loc[cid, "latent_segment"]))
    busy = weekly[reads[0]["dow"].to_numpy()] >= 0.85 * weekly.max()
    if t.loc[cid, "theft_kind"] == "abrupt":
        assert ratio[busy].min() == pytest.approx(1 - share, abs=0.01)
    assert ratio[~busy].median() == pytest.approx(1 - 0.2 * share, abs=0.02)


def test_half_of_the_household_changes_leave_the_home_empty_first(pair):
    t, ds = pair[1].truth, pair[1].dataset
    homes = t.index[(t["latent_class"] == "residential") & (t["level_shift_on"] > "2023-03-01")
                    & (t["level_shift_on"] < "2024-06-01") & t["vacant_from"].isna() & t["theft_from"].isna()]
    m = _reads(ds, homes)
    on = m["customer_id"].map(t["level_shift_on"])
    usual = m.loc[m["date"] < on - pd.Timedelta(days=30)].groupby("customer_id")["kwh"].median()
    gap = m.loc[(m["date"] >= on - pd.Timedelta(days=30)) & (m["date"] < on)]
    low = (gap["kwh"] < 0.15 * gap["customer_id"].map(usual)).groupby(gap["customer_id"]).sum()
    share = (low.reindex(homes, fill_value=0) >= 3).mean()
    assert 0.35 <= share <= 0.65
