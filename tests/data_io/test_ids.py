"""Ids are read exactly: never through float, overflow and junk counted row by row, account numbers an error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import DataValidationError, SchemaError, load_dataset, validate_tables
from gridcrm.data.schemas import TABLES
from helpers import EXTRACTED_ON, make_raw_tables

BIG = 12345678901234567  # 17 digits: float64 rounds it to ...568
BIG2 = 12345678901234569


def _write_csv(folder, tables):
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _balanced(report):
    assert sum(report.rows_kept.values()) + sum(report.rows_rejected.values()) == sum(report.rows_in.values())
    for t in report.rows_in:
        assert report.rows_kept[t] + report.rows_rejected[t] == report.rows_in[t], t


def _big_ids():
    t = make_raw_tables()
    for frame in t.values():
        if "customer_id" in frame:
            frame["customer_id"] = frame["customer_id"].map({1: BIG, 2: BIG2, 3: 3})
    return t


def test_17_digit_ids_survive_a_blank_id_in_csv(tmp_path):
    t = _big_ids()
    t["meter_daily"]["customer_id"] = t["meter_daily"]["customer_id"].astype(object)
    t["meter_daily"].loc[4, "customer_id"] = None  # one blank: pandas alone would read the column as float64
    folder = _write_csv(tmp_path / "x", t)
    ds = load_dataset(folder, extracted_on=EXTRACTED_ON, on_error="quarantine")
    assert set(ds.customers["customer_id"]) == {BIG, BIG2, 3}
    assert set(ds.meter_daily["customer_id"]) == {BIG, BIG2, 3}  # not rounded onto one another
    assert ds.meter_daily["customer_id"].dtype == "int64"
    rules = {(r.table, r.column, r.rule): r.n_rows for r in ds.report.rejections}
    assert rules == {("meter_daily", "customer_id", "missing value"): 1}
    assert ds.report.rows_rejected["meter_daily"] == 1
    _balanced(ds.report)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("9223372036854775808", "out of int64 range"),  # int64 max + 1: used to wrap to a negative id
        ("99999999999999999999999", "out of int64 range"),
        ("12.5", "not a whole number"),
        ("n.a.", "not a whole number"),
        ("-4", "below the minimum 0"),
    ],
)
def test_invalid_ids_are_counted_rejections_naming_the_row(tmp_path, value, rule):
    t = make_raw_tables()
    for name in ("bills", "payments"):
        t[name]["bill_id"] = t[name]["bill_id"].astype(object)
    t["bills"].loc[2, "bill_id"] = value
    folder = _write_csv(tmp_path / "x", t)
    with pytest.raises(DataValidationError, match=rf"bills\.bill_id: {rule} — 1 row\(s\), e\.g\. row=2, bill_id='{value}'"):
        load_dataset(folder, extracted_on=EXTRACTED_ON)
    ds = load_dataset(folder, extracted_on=EXTRACTED_ON, on_error="quarantine")
    assert 21 not in set(ds.bills["bill_id"]) and len(ds.bills) == 4
    assert ds.bills["bill_id"].min() >= 0
    _balanced(ds.report)


def test_every_int_column_of_every_table_is_parsed_exactly(tmp_path):
    """One junk value per int column: each is one counted rejection, nothing crashes or wraps."""
    t = make_raw_tables()
    t["customers"]["household_size"] = ["3", "x", None]
    hits = []
    for name, schema in TABLES.items():
        for spec in schema.columns:
            if spec.kind == "int" and spec.name in t[name].columns and name != "customers":
                t[name][spec.name] = t[name][spec.name].astype(object)
                t[name].loc[0, spec.name] = "18446744073709551617"
                hits.append((name, spec.name))
    ds = validate_tables(t, extracted_on=EXTRACTED_ON, on_error="quarantine")
    rules = {(r.table, r.column): r.rule for r in ds.report.rejections if r.rule in (
        "out of int64 range", "not a whole number")}
    for hit in hits:
        assert rules[hit] == "out of int64 range", hit
    assert rules[("customers", "household_size")] == "not a whole number"
    _balanced(ds.report)


@pytest.mark.parametrize("value", ["007123", "A1023"])
def test_account_numbers_in_an_id_column_are_an_error_saying_how_to_map_them(tmp_path, value):
    t = make_raw_tables()
    t["customers"]["customer_id"] = t["customers"]["customer_id"].astype(object)
    t["customers"].loc[2, "customer_id"] = value
    folder = _write_csv(tmp_path / "x", t)
    for mode in ("raise", "quarantine"):
        with pytest.raises(SchemaError) as info:
            load_dataset(folder, extracted_on=EXTRACTED_ON, on_error=mode)
        msg = str(info.value)
        assert f"customers.customer_id has values with leading zeros or letters (e.g. row 2: '{value}'" in msg
        assert "pd.factorize(df['customer_id'])" in msg and "int64" in msg


def test_leading_zeros_elsewhere_and_plus_signs_and_whole_floats_are_fine():
    t = make_raw_tables()
    t["customers"]["household_size"] = ["03", None, "+2"]
    t["bills"]["bill_id"] = ["11", "12.0", " 21 ", "+22", "31"]
    ds = validate_tables(t, extracted_on=EXTRACTED_ON)
    assert list(ds.bills["bill_id"]) == [11, 12, 21, 22, 31]
    assert ds.customers["household_size"].tolist()[0] == 3 and ds.customers["household_size"].tolist()[2] == 2


def test_parquet_float_ids_must_be_exact(tmp_path):
    t = make_raw_tables()
    t["bills"]["bill_id"] = [11.0, 12.5, 2.0**53 + 2, 1e19, 31.0]
    t["payments"]["bill_id"] = [11.0, 21.0, 21.0, 31.0]
    folder = _write_csv(tmp_path / "x", {k: v for k, v in t.items() if k not in ("bills", "payments")})
    t["bills"].to_parquet(folder / "bills.parquet")
    t["payments"].to_parquet(folder / "payments.parquet")
    ds = load_dataset(folder, extracted_on=EXTRACTED_ON, on_error="quarantine")
    rules = {r.rule: [e["row"] for e in r.examples] for r in ds.report.rejections if r.table == "bills"}
    assert rules["not a whole number"] == [1]
    assert rules["a float above 2^53 cannot hold an exact id (store ids as integers or text)"] == [2]
    assert rules["out of int64 range"] == [3]
    assert list(ds.bills["bill_id"]) == [11, 31]
    _balanced(ds.report)


def test_parquet_int_ids_with_a_null_stay_exact(tmp_path):
    t = _big_ids()
    meter = t["meter_daily"]
    meter["customer_id"] = pd.array([None, *meter["customer_id"][1:]], dtype="Int64")
    folder = _write_csv(tmp_path / "x", {k: v for k, v in t.items() if k != "meter_daily"})
    meter.to_parquet(folder / "meter_daily.parquet")
    ds = load_dataset(folder, extracted_on=EXTRACTED_ON, on_error="quarantine")
    assert set(ds.meter_daily["customer_id"]) == {BIG, BIG2, 3}
    assert ds.report.rows_rejected["meter_daily"] == 1
    # uint64 beyond int64 does not wrap to a negative id
    frame = pd.DataFrame({"customer_id": np.array([1, 2**63 + 5], dtype="uint64"), "date": ["2024-01-05"] * 2,
                          "kwh": [1.0, 2.0]})
    ds = validate_tables({"customers": t["customers"].assign(customer_id=[1, BIG2, 3]), "meter_daily": frame},
                         extracted_on=EXTRACTED_ON, on_error="quarantine")
    assert [(r.column, r.rule) for r in ds.report.rejections] == [("customer_id", "out of int64 range")]
    assert list(ds.meter_daily["customer_id"]) == [1]
