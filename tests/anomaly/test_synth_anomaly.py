"""The generator's thefts, meter faults and confounders (synth/anomaly.py): rates, shapes, truth, stream isolation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data.synth import generate_dataset
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
    abrupt = t.index[(t["theft_kind"] == "abrupt") & ~t["theft_detected"]][0]
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
