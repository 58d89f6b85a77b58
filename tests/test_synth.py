"""The synthetic data generator: data model conformance, determinism and the behaviour it must show."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcrm.cli import main as cli_main
from gridcrm.data import validate_tables
from gridcrm.data.schemas import CUSTOMER_CLASSES, TABLES
from gridcrm.data.synth import SyntheticData, generate_dataset
from gridcrm.data.synth.calendar import spring_festival
from gridcrm.errors import InputError
from gridcrm.risk import churn_labels

ROOT = Path(__file__).resolve().parents[1]
#: The committed sample and the arguments of ``make sample`` that regenerate it.
SAMPLE = ROOT / "data" / "sample"
SAMPLE_ARGS = (2000, "2023-01-01", "2024-12-31")
SAMPLE_SEED = 20241231

START, END = "2023-07-01", "2024-06-30"


@pytest.fixture(scope="module")
def small() -> SyntheticData:
    return generate_dataset(400, START, END, seed=11)


@pytest.fixture(scope="module")
def large() -> SyntheticData:
    """Enough customers and days for behavioural statistics (about a second to generate)."""
    return generate_dataset(6000, "2023-01-01", "2024-12-31", seed=21)


def _hashes(synth: SyntheticData) -> dict[str, int]:
    out = {name: int(pd.util.hash_pandas_object(frame, index=True).sum()) for name, frame in synth.dataset.items()}
    out["truth"] = int(pd.util.hash_pandas_object(synth.truth, index=True).sum())
    out["bill_truth"] = int(pd.util.hash_pandas_object(synth.bill_truth, index=True).sum())
    return out


# -- determinism ------------------------------------------------------------------------------
def test_same_seed_gives_identical_tables(small):
    again = generate_dataset(400, START, END, seed=11, show_progress=True)
    assert _hashes(again) == _hashes(small)
    for name, frame in small.dataset.items():
        pd.testing.assert_frame_equal(again.dataset[name], frame)


def test_different_seed_gives_different_tables(small):
    other = _hashes(generate_dataset(400, START, END, seed=12))
    mine = _hashes(small)
    for name in ("customers", "meter_daily", "load_interval", "bills", "payments", "contacts", "weather", "truth"):
        assert other[name] != mine[name], name


# -- data model -----------------------------------------------------------------------------
def test_every_table_has_exactly_the_schema_columns_and_dtypes(small):
    for name, schema in TABLES.items():
        frame = small.dataset[name]
        assert list(frame.columns) == schema.column_names, name
        expected = schema.empty().dtypes
        for column in schema.column_names:
            assert frame[column].dtype == expected[column], (name, column, frame[column].dtype)
            if isinstance(expected[column], pd.CategoricalDtype):
                assert list(frame[column].cat.categories) == list(schema.column(column).allowed)
        assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0, name
        assert len(frame) > 0, name


def test_keys_are_unique_and_sorted(small):
    for name, schema in TABLES.items():
        frame = small.dataset[name]
        key = list(schema.key)
        assert not frame.duplicated(key).any(), name
        resorted = frame.sort_values(key, kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, resorted, obj=name)


def test_foreign_keys_hold(small):
    ds = small.dataset
    ids = set(ds.customers["customer_id"])
    for name in ("meter_daily", "load_interval", "bills", "payments", "contacts", "events"):
        assert set(ds[name]["customer_id"]) <= ids, name
    bills = set(zip(ds.bills["bill_id"], ds.bills["customer_id"], strict=True))
    paid = set(zip(ds.payments["bill_id"], ds.payments["customer_id"], strict=True))
    assert paid <= bills
    assert set(ds.customers["region"]) <= set(ds.weather["region"])


def test_nothing_is_dated_after_the_extract_except_due_dates(small):
    ds = small.dataset
    assert ds.extracted_on == pd.Timestamp(END) + pd.Timedelta(days=1)
    for name, schema in TABLES.items():
        for column in schema.future_columns:
            assert (ds[name][column].dropna() <= ds.extracted_on).all(), (name, column)
    assert (ds.payments["paid_on"] < ds.extracted_on).all()


def test_generated_tables_pass_validation_without_rejections(small):
    ds = small.dataset
    checked = validate_tables(dict(ds.items()), extracted_on=ds.extracted_on, on_error="quarantine")
    assert sum(checked.report.rows_rejected.values()) == 0
    for name, frame in ds.items():
        pd.testing.assert_frame_equal(checked[name], frame)


# -- customers ------------------------------------------------------------------------------
def test_class_mix_and_attributes(large):
    c = large.dataset.customers
    share = c["customer_class"].value_counts(normalize=True)
    assert share["residential"] == pytest.approx(0.80, abs=0.01)
    assert share["large_industry"] == pytest.approx(0.01, abs=0.005)
    res = c["customer_class"] == "residential"
    assert c.loc[res, "industry_code"].isna().all() and c.loc[~res, "industry_code"].notna().all()
    assert c.loc[res, "household_size"].notna().all() and c.loc[~res, "household_size"].isna().all()
    assert c.loc[res, "contracted_kva"].between(4, 20).all()
    assert c.loc[c["customer_class"] == "large_industry", "contracted_kva"].between(1000, 50000).all()
    assert (c.loc[res, "voltage_kv"] == 0.22).all()
    assert c.groupby("region")["supply_station"].nunique().between(5, 20).all()
    assert (c["connected_on"] >= pd.Timestamp("2023-01-01")).mean() > 0.05  # new connections in the window
    young = c["connected_on"] > pd.Timestamp("2020-01-01")
    online = c["preferred_channel"].isin(["app", "wechat", "alipay"])
    assert online[young & res].mean() > online[~young & res].mean() + 0.2


def test_every_class_present_from_fifty_customers():
    c = generate_dataset(50, "2024-01-01", "2024-02-29", seed=3).dataset.customers
    assert set(c["customer_class"]) == set(CUSTOMER_CLASSES)


# -- metering -------------------------------------------------------------------------------
def test_meter_reads_respect_capacity_lifetime_and_register_rounding(small):
    ds = small.dataset
    m = ds.meter_daily.merge(ds.customers, on="customer_id")
    assert (m["kwh"].dropna() <= m.loc[m["kwh"].notna(), "contracted_kva"] * 24 * 1.5).all()
    assert (m["date"] >= m["connected_on"]).all()
    assert not (m["date"] >= m["closed_on"]).any()
    kwh = m["kwh"].dropna().to_numpy()
    assert np.allclose(kwh, np.round(kwh, 2), rtol=0, atol=1e-9)
    assert 0 < m["kwh"].isna().mean() < 0.005


def test_meter_gaps_are_rare_runs(small):
    ds = small.dataset
    c = ds.customers
    first = c["connected_on"].clip(lower=pd.Timestamp(START))
    last = c["closed_on"].fillna(ds.extracted_on)
    expected = int(((last - first).dt.days).clip(lower=0).sum())
    missing = 1 - len(ds.meter_daily) / expected
    assert 0.002 < missing < 0.015
    m = ds.meter_daily
    step = m["date"].diff().dt.days.where(m["customer_id"].eq(m["customer_id"].shift()))
    assert (step.dropna() >= 1).all()
    assert (step[step > 1] - 1).mean() > 1.5  # gaps come in runs of days


def _with_class(synth: SyntheticData) -> pd.DataFrame:
    ds = synth.dataset
    return ds.meter_daily.merge(ds.customers[["customer_id", "customer_class", "region"]], on="customer_id")


def test_commercial_use_is_weekday_heavy(large):
    m = _with_class(large)
    com = m[m["customer_class"] == "commercial"]
    weekend = com["date"].dt.day_of_week >= 5
    assert com.loc[~weekend, "kwh"].mean() / com.loc[weekend, "kwh"].mean() > 1.3


def test_residential_use_peaks_in_summer_in_hot_regions(large):
    ds = large.dataset
    w = ds.weather
    summer = w["date"].dt.month.isin([7, 8])
    hot = w[summer].groupby("region")["temp_c"].mean()
    hot = hot[hot >= 27].index
    assert len(hot) >= 3
    m = _with_class(large)
    res = m[(m["customer_class"] == "residential") & m["region"].isin(hot)]
    month = res["date"].dt.month
    assert res.loc[month.isin([7, 8]), "kwh"].mean() > 1.2 * res.loc[month.isin([4, 5]), "kwh"].mean()


def test_industry_dips_over_spring_festival(large):
    m = _with_class(large)
    ind = m[m["customer_class"] == "industrial"].groupby("date")["kwh"].mean()
    for year in (2023, 2024):
        festival = spring_festival(year)
        during = ind[festival : festival + pd.Timedelta(days=6)].mean()
        before = ind[festival - pd.Timedelta(days=40) : festival - pd.Timedelta(days=14)].mean()
        assert during < 0.7 * before, year


def test_irrigation_season_lifts_agricultural_use(large):
    m = _with_class(large)
    agr = m[m["customer_class"] == "agricultural"]
    month = agr["date"].dt.month
    assert agr.loc[month.isin([5, 6, 7]), "kwh"].mean() > 1.5 * agr.loc[month.isin([11, 12, 1]), "kwh"].mean()


def test_vacant_homes_and_theft_show_in_the_reads(large):
    t = large.truth
    m = large.dataset.meter_daily.join(t[["vacant_from", "vacant_to", "theft_from", "theft_found_on"]],
                                       on="customer_id")
    vacant = (m["date"] >= m["vacant_from"]) & (m["date"] < m["vacant_to"])
    owners = m[m["vacant_from"].notna()]
    assert owners.loc[vacant, "kwh"].mean() < 0.15 * owners.loc[~vacant, "kwh"].mean()
    found = t.index[t["theft_detected"]]
    assert len(found) >= 3
    thief = m[m["customer_id"].isin(found)]
    stealing = (thief["date"] >= thief["theft_from"]) & (thief["date"] < thief["theft_found_on"])
    just_before = (thief["date"] < thief["theft_from"]) & (thief["date"] >= thief["theft_from"] - pd.Timedelta(days=60))
    mean_kwh = thief["kwh"].groupby([thief["customer_id"], np.select([stealing, just_before], [1, 0], -1)]).mean()
    ratio = mean_kwh.xs(1, level=1) / mean_kwh.xs(0, level=1)
    assert ratio.median() < 0.75


def test_interval_load_matches_daily_reads(small):
    ds = small.dataset
    li = ds.load_interval
    assert li["customer_id"].nunique() == 10  # 2.5 % of 400
    daily = (li.assign(date=li["timestamp"].dt.normalize()).groupby(["customer_id", "date"])["kw"].sum() * 0.25)
    meter = ds.meter_daily.set_index(["customer_id", "date"])["kwh"].reindex(daily.index)
    assert meter.notna().all()
    assert np.allclose(daily, meter, rtol=0.02, atol=0.05)
    # the 10 largest (here all 10) also have 154 days, for weekly-seasonal interval forecasts (#15)
    first = li.groupby("customer_id")["timestamp"].min()
    assert (first >= pd.Timestamp(END) - pd.Timedelta(days=153)).all()
    assert (first < pd.Timestamp(END) - pd.Timedelta(days=30)).sum() == 10
    assert (li.groupby("customer_id").size() >= 96 * 25).all()
    ratio = (li["kvar"] / li["kw"]).where(li["kw"] > 1)
    typical = ratio.groupby(li["customer_id"]).median()
    assert typical.between(np.tan(np.arccos(0.98)) - 0.01, np.tan(np.arccos(0.80)) + 0.01).all()  # power factor
    assert ratio.dropna().between(0.0, 0.9).all()
    c = ds.customers.set_index("customer_id")
    chosen = c.loc[li["customer_id"].unique()]
    assert chosen["closed_on"].isna().all()
    assert chosen["contracted_kva"].min() >= c.loc[c["closed_on"].isna(), "contracted_kva"].nlargest(10).min()


# -- bills and payments ---------------------------------------------------------------------
def test_bills_sum_the_months_meter_reads(small):
    ds = small.dataset
    m = ds.meter_daily.assign(period=ds.meter_daily["date"].dt.to_period("M").dt.start_time.astype("datetime64[ns]"))
    sums = m.groupby(["customer_id", "period"])["kwh"].sum()
    b = ds.bills.set_index(["customer_id", "period"])
    assert np.allclose(b["kwh"], sums.reindex(b.index), atol=0.011)
    assert (ds.bills["issued_on"].dt.day.between(3, 5)).all()
    assert ((ds.bills["due_on"] - ds.bills["issued_on"]).dt.days.between(15, 20)).all()
    res = b.join(ds.customers.set_index("customer_id")["tariff"])
    flat = res[res["tariff"] == "commercial_flat"]
    assert np.allclose(flat["amount"], np.round(flat["kwh"] * 0.80, 2), atol=0.011)
    tiered = res[(res["tariff"] == "res_tiered") & (res["kwh"] > 400)]
    expected = 0.5283 * 230 + 0.5783 * 170 + 0.8283 * (tiered["kwh"] - 400)
    assert np.allclose(tiered["amount"], expected, atol=0.011)


def test_payments_follow_their_bills(small):
    ds = small.dataset
    p = ds.payments.merge(ds.bills[["bill_id", "issued_on", "amount"]], on="bill_id", suffixes=("", "_bill"))
    assert (p["paid_on"] >= p["issued_on"]).all()
    paid = p.groupby("bill_id").agg(total=("amount", "sum"), owed=("amount_bill", "first"), parts=("amount", "size"))
    assert (paid["total"] <= paid["owed"] + 0.005).all()
    assert (paid["parts"] == 2).mean() > 0.01  # partial payments
    assert (paid["parts"] <= 2).all()


def _bill_outcomes(synth: SyntheticData) -> pd.DataFrame:
    """Published bills whose lateness is known at the extract: late = paid > 15 days after due, or not in full."""
    ds = synth.dataset
    pay = ds.payments.groupby("bill_id").agg(total=("amount", "sum"), last=("paid_on", "max"))
    b = ds.bills.set_index("bill_id").join(pay)
    b = b[(b["amount"] > 0) & (b["due_on"] + pd.Timedelta(days=16) < ds.extracted_on)]
    late = (b["total"].fillna(0) < b["amount"] - 0.005) | (b["last"] > b["due_on"] + pd.Timedelta(days=15))
    return b.assign(late=late, credit=synth.truth["credit_quality"].reindex(b["customer_id"]).to_numpy(),
                    p=synth.bill_truth["p_arrears"].reindex(b.index))


def test_poor_credit_pays_late_far_more_often(large):
    b = _bill_outcomes(large)
    quartile = pd.qcut(b["credit"], 4, labels=False)
    rate = b.groupby(quartile)["late"].mean()
    assert rate[0] > 4 * rate[3]
    assert rate.is_monotonic_decreasing


def test_bill_truth_is_calibrated(large):
    b = _bill_outcomes(large)
    assert b["p"].notna().all()
    assert b["late"].mean() == pytest.approx(b["p"].mean(), rel=0.1)
    decile = pd.qcut(b["p"].rank(method="first"), 10, labels=False)
    by = b.groupby(decile)[["late", "p"]].mean()
    assert by.loc[9, "late"] == pytest.approx(by.loc[9, "p"], rel=0.15)
    assert by.loc[9, "late"] > 10 * by.loc[0, "late"]


def test_arrears_persist_and_lead_to_disconnection_notices(large):
    ds = large.dataset
    b = _bill_outcomes(large).sort_values(["customer_id", "period"])
    previous = b.groupby("customer_id")["late"].shift()
    assert b.loc[previous.eq(True), "late"].mean() > 5 * b.loc[previous.eq(False), "late"].mean()
    notices = ds.events[ds.events["kind"] == "disconnection"]
    assert len(notices) > 0
    pay = ds.payments.groupby("bill_id").agg(total=("amount", "sum"), paid=("paid_on", "max"))
    owed = ds.bills.merge(pay, on="bill_id", how="left")
    owed["paid"] = owed["paid"].where(owed["total"] >= owed["amount"] - 0.005)  # settled by the last payment
    pairs = notices[["customer_id", "at"]].merge(owed[owed["amount"] > 0], on="customer_id")
    overdue = (pairs["due_on"] < pairs["at"].dt.normalize()) & ~(pairs["paid"] <= pairs["at"].dt.normalize())
    counts = overdue.groupby([pairs["customer_id"], pairs["at"]]).sum()
    assert (counts >= 2).all()


def test_online_payment_channels_grow(large):
    p = large.dataset.payments
    online = p["channel"].isin(["app", "wechat", "alipay"])
    by_year = online.groupby(p["paid_on"].dt.year).mean()
    assert by_year[2024] > by_year[2023]


# -- contacts, churn, events ----------------------------------------------------------------
def test_contacts_look_like_a_service_centre(large):
    c = large.dataset.contacts
    assert set(c["kind"]) == {"call", "complaint", "repair", "application", "survey"}
    assert set(c.loc[c["kind"] == "complaint", "category"]) == {
        "billing", "outage", "voltage", "service_attitude", "meter", "tariff"}
    score = c["satisfaction"].dropna()
    assert score.isin([1, 2, 3, 4, 5]).all()
    assert c.loc[c["kind"] == "survey", "satisfaction"].notna().all()
    assert c.loc[c["kind"].isin(["complaint", "repair", "application"]), "satisfaction"].isna().all()
    complaint = c["kind"] == "complaint"
    assert c.loc[complaint, "text"].notna().all() and c.loc[~complaint, "text"].isna().all()
    after = c[c["category"] == "complaint_followup"]["satisfaction"].mean()
    routine = c[c["category"] == "routine"]["satisfaction"].mean()
    assert after < routine - 0.8
    hour = c["at"].dt.hour
    assert hour.between(8, 17).mean() > 0.7
    apps = c[c["kind"] == "application"].merge(large.dataset.customers, on="customer_id")
    per_account = apps.groupby("customer_class", observed=True).size() / large.dataset.customers[
        "customer_class"].value_counts()
    assert per_account["commercial"] > per_account["residential"]


def test_complaints_rise_after_high_bills(large):
    ds = large.dataset
    c = ds.contacts
    bills = ds.bills.sort_values(["customer_id", "period"]).copy()
    usual = bills.groupby("customer_id")["amount"].transform(lambda a: a.shift().rolling(6, min_periods=3).mean())
    bills["shock"] = bills["amount"] / usual
    billing = c[(c["kind"] == "complaint") & (c["category"] == "billing")]
    hit = billing.merge(bills[["customer_id", "issued_on", "shock"]], on="customer_id")
    hit = hit[(hit["at"] >= hit["issued_on"]) & (hit["at"] < hit["issued_on"] + pd.Timedelta(days=12))]
    assert hit["shock"].median() > 1.2 > bills["shock"].median()


def test_churn_is_higher_among_complainers_and_matches_the_truth(large):
    ds, t = large.dataset, large.truth
    complainers = set(ds.contacts.loc[ds.contacts["kind"] == "complaint", "customer_id"])
    closed = ds.customers.set_index("customer_id")["closed_on"].notna()
    rate = closed.groupby(closed.index.isin(complainers)).mean()
    assert rate[True] > 1.3 * rate[False]
    assert 0.01 < closed.mean() < 0.08
    pd.testing.assert_series_equal(t["churned"], closed, check_names=False)
    assert t.loc[t["churned"], "p_churn_90d"].isna().all()
    p = t.loc[~t["churned"], "p_churn_90d"]
    assert p.between(0, 1).all() and p.notna().all()
    # the expected closures in the 90 days after the end match those of the window's last 90 days
    last_90 = int((t["closed_on"] >= ds.extracted_on - pd.Timedelta(days=90)).sum())
    assert last_90 > 20
    assert 0.6 < p.sum() / last_90 < 1.6


def test_churn_has_three_causes_at_realistic_yearly_rates(large):
    t = large.truth
    cause = t["churn_cause"]
    assert list(cause.cat.categories) == ["move", "business_closure", "switch"]
    assert cause.notna().equals(t["churned"])
    in_2024 = (t["closed_on"] >= "2024-01-01") & (t["closed_on"] < "2025-01-01")
    yearly = in_2024.groupby(t["latent_class"], observed=True).mean()
    assert 0.005 < yearly["residential"] < 0.03  # homes move rarely
    assert 0.03 < yearly["commercial"] < 0.15 and 0.03 < yearly["industrial"] < 0.15
    homes = t["latent_class"] == "residential"
    assert set(cause[homes].dropna()) == {"move"}
    by_cause = cause[t["latent_class"].isin(["commercial", "industrial"])].value_counts()
    assert by_cause["business_closure"] > by_cause["move"]


def test_only_large_customers_switch_and_only_after_the_market_opens(large):
    t, c = large.truth, large.dataset.customers.set_index("customer_id")
    opens = pd.Timestamp(t.attrs["retail_market_opens"])
    assert opens == pd.Timestamp("2023-07-01")  # default: the first of the month a quarter into the window
    eligible = t["switch_eligible"]
    assert eligible.equals(c["customer_class"].isin(["commercial", "industrial", "large_industry"])
                           & (c["voltage_kv"] >= 10))
    switched = t["churn_cause"] == "switch"
    assert switched.sum() >= 20 and not (switched & ~eligible).any()
    assert (t.loc[switched, "closed_on"] > opens + pd.Timedelta(days=30)).all()
    assert (t.loc[t["shopping_from"].notna(), "shopping_from"] >= opens).all()
    # 5-15 % of the eligible customers a year once the market is open; the largest are courted more
    yearly = (switched & (t["closed_on"] >= "2024-01-01"))[eligible].mean()
    assert 0.04 < yearly < 0.15
    big = c["contracted_kva"] >= c.loc[eligible, "contracted_kva"].median()
    assert switched[eligible & big].mean() > switched[eligible & ~big].mean()
    assert (t.loc[~eligible, "p_switch_90d"].dropna() == 0).all()
    assert (t.loc[eligible, "p_switch_90d"].dropna() > 0).all()


def test_retail_market_opening_date_is_an_argument():
    never = generate_dataset(1500, "2023-01-01", "2023-12-31", seed=5, retail_market_opens="2030-01-01").truth
    assert never["switch_eligible"].sum() > 50
    assert not (never["churn_cause"] == "switch").any() and never["shopping_from"].isna().all()
    assert (never["p_switch_90d"].dropna() == 0).all()
    always = generate_dataset(1500, "2023-01-01", "2023-12-31", seed=5, retail_market_opens="2020-01-01").truth
    assert always.attrs["retail_market_opens"] == "2020-01-01"
    assert (always["shopping_from"] < pd.Timestamp("2023-03-01")).any()  # negotiating from the first weeks


def test_businesses_decline_and_pay_late_before_they_close(large):
    ds, t = large.dataset, large.truth
    closing = t.index[t["churn_cause"] == "business_closure"]
    assert len(closing) >= 30 and t.loc[closing, "distress_from"].notna().all()
    m = ds.meter_daily[ds.meter_daily["customer_id"].isin(closing)].join(t[["closed_on", "distress_from"]],
                                                                         on="customer_id")
    last_month = m[(m["closed_on"] - m["date"]).dt.days.between(1, 30)].groupby("customer_id")["kwh"].mean()
    before = m[(m["date"] < m["distress_from"]) & (m["date"] >= m["distress_from"] - pd.Timedelta(days=120))]
    ratio = (last_month / before.groupby("customer_id")["kwh"].mean()).dropna()
    assert len(ratio) >= 20 and ratio.median() < 0.7
    b = _bill_outcomes(large).join(t["distress_from"], on="customer_id")
    mine = b[b["customer_id"].isin(closing)]
    distressed = mine["issued_on"] >= mine["distress_from"]
    assert mine.loc[distressed, "late"].mean() > 1.8 * mine.loc[~distressed, "late"].mean()


def test_switchers_ask_about_tariffs_before_they_leave(large):
    ds, t = large.dataset, large.truth
    c = ds.contacts[ds.contacts["category"].isin(["tariff", "billing"])].join(t[["closed_on"]], on="customer_id")
    switchers = t.index[t["churn_cause"] == "switch"]
    ahead = c[c["customer_id"].isin(switchers) & (c["closed_on"] - c["at"]).dt.days.between(0, 119)]
    stayers = t.index[t["switch_eligible"] & ~t["churned"]]
    usual = c[c["customer_id"].isin(stayers) & (c["at"] >= ds.extracted_on - pd.Timedelta(days=120))]
    assert len(ahead) / len(switchers) > 5 * len(usual) / len(stayers)


def test_churn_labels_see_the_generated_churn(large):
    ds, t = large.dataset, large.truth
    label = churn_labels(ds, "2024-01-01")
    connected = ds.customers.set_index("customer_id")["connected_on"] < "2024-01-01"
    closing = t.index[(t["closed_on"] >= "2024-01-01") & (t["closed_on"] < "2024-03-31") & connected]
    assert set(label.index[label["closed"]]) == set(closing)
    assert label["label"].sum() >= 30


def test_next_bill_arrears_truth(large):
    t = large.truth
    p = t["p_arrears_next"]
    assert p.dropna().between(0, 1).all()
    assert p.notna().mean() > 0.9
    assert p.corr(t["credit_quality"], method="spearman") < -0.3


def test_events(large):
    e = large.dataset.events
    assert set(e["kind"]) == {"theft", "violation", "disconnection", "blacklist"}
    t = large.truth
    thieves = set(e.loc[e["kind"] == "theft", "customer_id"])
    assert thieves == set(t.index[t["theft_detected"]])
    assert t.loc[list(thieves), "credit_quality"].mean() < t["credit_quality"].mean() - 0.1
    listed = set(e.loc[e["kind"] == "blacklist", "customer_id"])
    notices = e[e["kind"] == "disconnection"].groupby("customer_id").size()
    assert listed <= thieves | set(notices.index[notices >= 3])


# -- arguments ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_customers": 0}, "n_customers must be >= 1, got 0"),
        ({"n_customers": -5}, "n_customers must be >= 1, got -5"),
        ({"n_customers": 2.5}, "n_customers must be an integer, got 2.5"),
        ({"n_customers": True}, "n_customers must be an integer, got True"),
        ({"start": "not a date"}, "start must be a date such as '2024-01-01', got 'not a date'"),
        ({"start": "1900-01-01"}, "start must lie between 1970 and 2200, got 1900-01-01"),
        ({"end": None}, "end must be a date"),
        ({"end": "2023-12-31"}, "end must be after start, got start=2024-01-01 and end=2023-12-31"),
        ({"end": "2024-01-01"}, "end must be after start, got start=2024-01-01 and end=2024-01-01"),
        ({"end": "2099-01-01"}, "end must be less than 30 years after start"),
        ({"seed": -1}, "seed must be >= 0, got -1"),
        ({"seed": "7"}, "seed must be an integer, got '7'"),
        ({"n_interval_customers": 11}, "n_interval_customers must be between 0 and 10, got 11"),
        ({"interval_days": 0}, "interval_days must be >= 1, got 0"),
        ({"interval_days": 7.5}, "interval_days must be an integer, got 7.5"),
        ({"n_regions": 0}, "n_regions must be between 1 and 99, got 0"),
        ({"retail_market_opens": "soon"}, "retail_market_opens must be a date such as '2024-01-01', got 'soon'"),
        ({"show_progress": "yes"}, "show_progress must be True or False, got 'yes'"),
    ],
)
def test_bad_arguments_raise_input_errors_naming_them(kwargs, message):
    args = {"n_customers": 10, "start": "2024-01-01", "end": "2024-01-31", "seed": 1} | kwargs
    with pytest.raises(InputError, match="^generate_dataset: " + message.replace("(", r"\(").replace(")", r"\)")):
        generate_dataset(**args)


def test_numpy_integers_are_accepted():
    synth = generate_dataset(np.int64(20), "2024-01-01", "2024-01-31", seed=np.uint32(1), interval_days=np.int16(5))
    assert len(synth.dataset.customers) == 20


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--customers", "0"], "customers"),
        (["--start", "2024-05-01", "--end", "2024-01-01"], "end must be after start, got start=2024-05-01 and "
         "end=2024-01-01"),
        (["--start", "1900-01-01"], "start must lie between 1970 and 2200"),
        (["--interval-days", "0"], "interval"),
    ],
)
def test_cli_synth_reports_a_bad_argument_in_one_line(tmp_path, capsys, argv, named):
    try:
        status = cli_main(["synth", *argv, "--out", str(tmp_path / "out")])
    except SystemExit as stop:  # refused by the argument parser
        status = stop.code
    assert status == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("gridcrm synth: error: ") and named in last
    assert not list(tmp_path.rglob("*.parquet"))  # nothing written


# -- the committed sample -------------------------------------------------------------------
def _md5(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_writes_byte_identical_files(tmp_path):
    for name in ("a", "b"):
        assert cli_main(["-q", "synth", "--customers", "60", "--start", "2024-01-01", "--end", "2024-03-31",
                         "--seed", "3", "--out", str(tmp_path / name)]) == 0
    first, second = _md5(tmp_path / "a"), _md5(tmp_path / "b")
    assert len(first) == 14 and first == second


def test_committed_sample_is_what_make_sample_generates():
    synth = generate_dataset(*SAMPLE_ARGS, seed=SAMPLE_SEED)
    for name, frame in synth.dataset.items():
        pd.testing.assert_frame_equal(pd.read_parquet(SAMPLE / f"{name}.parquet"), frame, obj=name)
    pd.testing.assert_frame_equal(pd.read_parquet(SAMPLE / "truth.parquet"), synth.truth)
    pd.testing.assert_frame_equal(pd.read_parquet(SAMPLE / "offer_truth.parquet"), synth.offer_truth)
    size = sum(p.stat().st_size for p in SAMPLE.iterdir())
    assert size < 10_000_000, f"data/sample/ grew to {size:,} bytes"


def test_committed_sample_has_churn_to_learn_from():
    truth = pd.read_parquet(SAMPLE / "truth.parquet")
    closed = truth["closed_on"]
    before, after = closed < "2024-10-01", closed >= "2024-10-01"
    assert before.sum() >= 30 and after.sum() >= 8
    assert set(truth.loc[before, "churn_cause"]) == {"move", "business_closure", "switch"}
