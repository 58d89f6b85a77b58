"""Bad input: every rule of the data model is enforced, named, and counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import DataValidationError, SchemaError, validate_tables
from gridcrm.data.schemas import TABLES
from helpers import EXTRACTED_ON


def _quarantine(tables):
    return validate_tables(tables, extracted_on=EXTRACTED_ON, on_error="quarantine")


def _only_rejection(ds, table):
    rej = [r for r in ds.report.rejections if r.table == table]
    assert len(rej) == 1, ds.report
    return rej[0]


def test_clean_extract_validates_with_schema_dtypes_and_nothing_rejected(raw_tables):
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    assert ds.report.ok
    for name, schema in TABLES.items():
        frame = ds[name]
        assert list(frame.columns) == schema.column_names
        assert {c: str(t) for c, t in frame.dtypes.items()} == schema.dtypes, name
        assert len(frame) == len(raw_tables[name])
    assert ds.customers["industry_code"].isna().sum() == 1
    assert ds.customers["closed_on"].notna().sum() == 1
    # optional columns that were absent come back as all-missing columns
    assert ds.customers["household_size"].isna().all()


def test_missing_column_raises_naming_table_and_column(raw_tables):
    raw_tables["meter_daily"] = raw_tables["meter_daily"].drop(columns="kwh")
    for mode in ("raise", "quarantine"):
        with pytest.raises(SchemaError, match=r"meter_daily.*\['kwh'\]"):
            validate_tables(raw_tables, extracted_on=EXTRACTED_ON, on_error=mode)


def test_missing_required_table_raises(raw_tables):
    del raw_tables["customers"]
    with pytest.raises(SchemaError, match="customers"):
        validate_tables(raw_tables, extracted_on=EXTRACTED_ON)


def test_wrong_dtype_is_reported_row_by_row(raw_tables):
    raw_tables["meter_daily"]["kwh"] = raw_tables["meter_daily"]["kwh"].astype(object)
    raw_tables["meter_daily"].loc[4, "kwh"] = "n/a"
    with pytest.raises(DataValidationError, match=r"meter_daily\.kwh: not a number — 1 row\(s\), e\.g\. row=4, kwh='n/a'"):
        validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    ds = _quarantine(raw_tables)
    assert ds.report.rows_rejected["meter_daily"] == 1
    assert ds.meter_daily["kwh"].dtype == "float64"


def test_unparseable_date(raw_tables):
    raw_tables["bills"].loc[1, "issued_on"] = "2024-02-31"
    ds = _quarantine(raw_tables)
    rej = [r for r in ds.report.rejections if r.table == "bills"]
    assert [(r.column, r.rule, r.n_rows) for r in rej] == [("issued_on", "not a date", 1)]
    assert rej[0].examples == [{"row": 1, "issued_on": "2024-02-31"}]
    # its payment-less bill is gone; nothing else in bills
    assert ds.report.rows_rejected["bills"] == 1
    assert 12 not in set(ds.bills["bill_id"])


def test_negative_and_absurd_kwh(raw_tables):
    raw_tables["meter_daily"].loc[2, "kwh"] = -1.0
    raw_tables["meter_daily"].loc[3, "kwh"] = 8 * 24 * 1.5 + 1  # customer 1 has 8 kVA
    ds = _quarantine(raw_tables)
    rules = {(r.column, r.rule): r.n_rows for r in ds.report.rejections}
    assert rules == {("kwh", "below the minimum 0"): 1, ("kwh", "kWh above contracted_kva × 24 h × 1.5"): 1}
    assert ds.report.rows_rejected["meter_daily"] == 2


def test_duplicate_keys_set_aside_all_copies(raw_tables):
    m = raw_tables["meter_daily"]
    raw_tables["meter_daily"] = pd.concat([m, m.iloc[[5]]], ignore_index=True)
    with pytest.raises(DataValidationError, match=r"meter_daily\.customer_id\+date: duplicate key"):
        validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    ds = _quarantine(raw_tables)
    r = _only_rejection(ds, "meter_daily")
    assert r.n_rows == 2 and {e["row"] for e in r.examples} == {5, 30}
    assert len(ds.meter_daily) == 29


def test_unsorted_input_is_sorted_and_duplicates_still_found(raw_tables):
    m = raw_tables["meter_daily"]
    shuffled = pd.concat([m, m.iloc[[7]]], ignore_index=True).sample(frac=1.0, random_state=0).reset_index(drop=True)
    raw_tables["meter_daily"] = shuffled
    ds = _quarantine(raw_tables)
    assert _only_rejection(ds, "meter_daily").n_rows == 2
    out = ds.meter_daily
    assert out.set_index(["customer_id", "date"]).index.is_monotonic_increasing
    assert out.index.equals(pd.RangeIndex(len(out)))


def test_rows_of_unknown_customers(raw_tables):
    raw_tables["contacts"].loc[0, "customer_id"] = 99
    with pytest.raises(DataValidationError, match=r"contacts\.customer_id: customer_id not in customers"):
        validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    ds = _quarantine(raw_tables)
    assert ds.report.rows_rejected == {**{t: 0 for t in TABLES}, "contacts": 1}


def test_payment_of_unknown_bill_or_of_another_customers_bill(raw_tables):
    raw_tables["payments"].loc[0, "bill_id"] = 999
    raw_tables["payments"].loc[3, "bill_id"] = 11  # customer 3 paying customer 1's bill
    ds = _quarantine(raw_tables)
    rules = {(r.column, r.rule): r.n_rows for r in ds.report.rejections}
    assert rules == {
        ("bill_id", "bill_id not in bills (unknown or set aside)"): 1,
        ("bill_id+customer_id", "bill belongs to another customer"): 1,
    }
    assert list(ds.payments["payment_id"]) == [201, 202]


def test_dates_in_the_future_of_the_data(raw_tables):
    raw_tables["payments"].loc[1, "paid_on"] = "2031-01-01"
    raw_tables["weather"].loc[0, "date"] = "2024-03-02"  # the day after extracted_on
    ds = _quarantine(raw_tables)
    rules = {(r.table, r.column): r.rule for r in ds.report.rejections}
    assert rules == {
        ("payments", "paid_on"): "dated after the extract was taken (2024-03-01)",
        ("weather", "date"): "dated after the extract was taken (2024-03-01)",
    }
    # a due date after the extract is normal (the bill is not due yet)
    assert (ds.bills["due_on"] > pd.Timestamp(EXTRACTED_ON)).any()


def test_placeholder_dates_and_cross_column_rules(raw_tables):
    raw_tables["customers"].loc[0, "connected_on"] = "1900-01-01"
    raw_tables["bills"].loc[0, "due_on"] = "2024-01-15"  # before issued_on 2024-02-03
    ds = _quarantine(raw_tables)
    rules = {(r.table, r.column, r.rule): r.n_rows for r in ds.report.rejections}
    assert rules[("customers", "connected_on", "date before 1950-01-01 (a placeholder?)")] == 1
    assert rules[("bills", "issued_on+due_on", "due_on before issued_on")] == 1


def test_quarantined_customer_takes_its_rows_along_and_everything_is_counted(raw_tables):
    raw_tables["customers"].loc[0, "customer_class"] = "household"  # not an allowed class
    ds = _quarantine(raw_tables)
    r = ds.report
    assert r.rows_rejected["customers"] == 1
    # every row of customer 1 in every child table is set aside, and counted under a named rule
    for name in ("meter_daily", "bills", "payments", "contacts"):
        n_child = int((raw_tables[name]["customer_id"] == 1).sum())
        assert r.rows_rejected[name] == n_child, name
        assert any(x.table == name and x.rule.startswith("customer_id not in customers") for x in r.rejections)
    assert sum(r.rows_kept.values()) + sum(r.rows_rejected.values()) == sum(r.rows_in.values())
    assert "customers.customer_class: not one of" in str(r)


def test_raise_lists_every_problem_at_once(raw_tables):
    raw_tables["meter_daily"].loc[0, "kwh"] = -5.0
    raw_tables["contacts"].loc[2, "satisfaction"] = 9.0
    raw_tables["payments"].loc[0, "channel"] = "pigeon"
    with pytest.raises(DataValidationError) as info:
        validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    msg = str(info.value)
    for needle in ("meter_daily.kwh", "contacts.satisfaction: above the maximum 5", "payments.channel: not one of"):
        assert needle in msg
    assert "on_error='quarantine'" in msg
    assert len(info.value.report.rejections) == 3


def test_non_integer_ids_and_missing_keys(raw_tables):
    raw_tables["bills"]["bill_id"] = raw_tables["bills"]["bill_id"].astype("float64")
    raw_tables["bills"].loc[4, "bill_id"] = 31.5
    raw_tables["bills"].loc[3, "bill_id"] = np.nan
    ds = _quarantine(raw_tables)
    rules = {(r.table, r.column, r.rule): r.n_rows for r in ds.report.rejections}
    assert rules[("bills", "bill_id", "not a whole number")] == 1
    assert rules[("bills", "bill_id", "missing value")] == 1
    assert ds.bills["bill_id"].dtype == "int64"
    # the payment of the fractional-id bill (31) now points nowhere, and is counted
    assert rules[("payments", "bill_id", "bill_id not in bills (unknown or set aside)")] == 1


def test_unknown_columns_are_reported_not_loaded(raw_tables):
    raw_tables["customers"]["shoe_size"] = 42
    ds = _quarantine(raw_tables)
    assert ds.report.ignored_columns == {"customers": ["shoe_size"]}
    assert "shoe_size" not in ds.customers.columns


def test_bad_on_error_argument(raw_tables):
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'quarantine', got 'ignore'"):
        validate_tables(raw_tables, on_error="ignore")


def test_pandera_export_flags_the_same_rows_as_gridcrm(raw_tables):
    pa = pytest.importorskip("pandera.pandas")
    clean = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    meter = clean.meter_daily.copy()
    meter.loc[[3, 17], "kwh"] = [-1.0, 6e7]
    meter.loc[8, "customer_id"] = meter.loc[7, "customer_id"]
    meter.loc[8, "date"] = meter.loc[7, "date"]  # duplicate key
    with pytest.raises(pa.errors.SchemaErrors) as info:
        TABLES["meter_daily"].to_pandera().validate(meter, lazy=True)
    pandera_rows = set(info.value.failure_cases["index"].dropna().astype(int))
    ours = validate_tables({**raw_tables, "meter_daily": meter}, extracted_on=EXTRACTED_ON, on_error="quarantine")
    flagged = {ex["row"] for r in ours.report.rejections if r.table == "meter_daily" for ex in r.examples}
    assert pandera_rows == flagged == {3, 7, 8, 17}
    # a clean table passes the exported schema, dtypes included
    for name, schema in TABLES.items():
        schema.to_pandera().validate(clean[name])
