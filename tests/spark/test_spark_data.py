"""Reading and validating on Spark: the same kept rows and the same quarantine report as the pandas path."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from gridcrm.data import load_dataset
from gridcrm.data._errors import DataValidationError, SchemaError

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::FutureWarning")]  # pyspark: pandas >= 3


def _dirty(folder, target):
    """A copy of the extract with rows that break one rule each (and one customer whose id is duplicated)."""
    shutil.copytree(folder, target)
    (target / "dataset.json").unlink()  # the row counts change
    for name in ("load_interval", "events", "weather", "offers"):
        (target / f"{name}.parquet").unlink(missing_ok=True)  # fewer tables, fewer Spark jobs: a faster test
    read = lambda n: pd.read_parquet(target / f"{n}.parquet")  # noqa: E731
    customers = read("customers")
    customers = pd.concat([customers, customers.iloc[[3]]], ignore_index=True)  # customer 4 twice: both set aside
    customers.loc[5, "contracted_kva"] = 0.1  # below the minimum 0.5
    customers.to_parquet(target / "customers.parquet", index=False)
    meter = read("meter_daily")
    extra = meter.iloc[[10, 11, 12, 13]].copy()
    extra["customer_id"] = [99_999, meter["customer_id"].iloc[20], meter["customer_id"].iloc[20], 7]
    extra["date"] = [pd.Timestamp("2024-01-01"), meter["date"].iloc[20], pd.Timestamp("2030-01-01"),
                     pd.Timestamp("2024-01-05")]
    meter = pd.concat([meter, extra], ignore_index=True)
    meter.loc[2, "kwh"] = -3.0
    meter.to_parquet(target / "meter_daily.parquet", index=False)
    bills = read("bills")
    bills.loc[1, "due_on"] = bills.loc[1, "issued_on"] - pd.Timedelta(days=3)
    bills.to_parquet(target / "bills.parquet", index=False)
    payments = read("payments")
    other = payments.index[payments["customer_id"] != payments["customer_id"].iloc[0]][0]
    payments.loc[0, "bill_id"] = payments.loc[other, "bill_id"]
    payments.loc[1, "bill_id"] = 10**9
    payments.to_parquet(target / "payments.parquet", index=False)
    contacts = read("contacts").astype({"kind": "str"})
    contacts.loc[0, "kind"] = "fax"
    contacts.to_parquet(target / "contacts.parquet", index=False)
    return target


def _report(report):
    return {(r.table, r.column, r.rule): (r.n_rows, r.examples) for r in report.rejections}


def _joins(frame) -> set[tuple[str, str]]:
    """(join kind, referenced key) of the reference joins in a validated table's plan."""
    plan = frame._jdf.queryExecution().executedPlan().toString()
    return set(re.findall(r"(\w+Join) \[\w+#\d+L?\], \[(_ref_\w+)#", plan))


def test_quarantine_report_and_kept_rows_equal_the_pandas_path(spark, extract, tmp_path, monkeypatch):
    import gridcrm.spark.data as spark_data
    from gridcrm.spark.data import read_tables, validate_spark

    folder, extracted_on = extract
    dirty = _dirty(folder, tmp_path / "dirty")
    expected = load_dataset(dirty, on_error="quarantine", extracted_on=extracted_on)
    assert expected.report.rows_in["customers"] < 100 < expected.report.rows_in["bills"]
    # the 81 customers are broadcast, the bills (> 100 rows) joined by sort-merge: both kinds give the same report
    monkeypatch.setattr(spark_data, "BROADCAST_MAX_ROWS", 100)
    got = validate_spark(read_tables(spark, dirty), extracted_on=extracted_on, on_error="quarantine")
    assert _joins(got.tables["meter_daily"]) == {("BroadcastHashJoin", "_ref_cid")}
    assert _joins(got.tables["payments"]) == {("BroadcastHashJoin", "_ref_cid"), ("SortMergeJoin", "_ref_bid")}
    assert got.report.rows_in == expected.report.rows_in
    assert got.report.rows_kept == expected.report.rows_kept
    assert _report(got.report) == _report(expected.report)
    assert [(r.table, r.column, r.rule) for r in got.report.rejections] == [
        (r.table, r.column, r.rule) for r in expected.report.rejections]
    # the rules the dirty rows break, counted by hand
    counts = {k: v[0] for k, v in _report(got.report).items()}
    assert counts[("customers", "customer_id", "duplicate key (all rows sharing it set aside)")] == 2
    assert counts[("customers", "contracted_kva", "below the minimum 0.5")] == 1
    assert counts[("meter_daily", "kwh", "below the minimum 0")] == 1
    assert counts[("bills", "issued_on+due_on", "due_on before issued_on")] == 1
    assert counts[("payments", "bill_id+customer_id", "bill belongs to another customer")] == 1
    assert counts[("payments", "bill_id", "bill_id not in bills (unknown or set aside)")] >= 1
    assert sum(got.report.rows_in.values()) - sum(got.report.rows_kept.values()) == sum(
        expected.report.rows_rejected.values())
    dataset = got.to_dataset()
    for name in expected.table_names:
        # Spark keeps microseconds: the synthetic contact times carry nanoseconds, truncated on Spark
        want = expected[name].apply(lambda c: c.dt.floor("us") if c.dtype.kind == "M" else c)
        pd.testing.assert_frame_equal(dataset[name], want, check_exact=True)
    got.unpersist()


def test_raise_mode_raises_with_every_rule(spark, extract, tmp_path):
    from gridcrm.spark.data import read_tables, validate_spark

    folder, extracted_on = extract
    dirty = _dirty(folder, tmp_path / "dirty")
    for name in ("bills", "payments", "contacts"):
        (dirty / f"{name}.parquet").unlink()  # two tables are enough here
    with pytest.raises(DataValidationError) as caught:
        validate_spark(read_tables(spark, dirty), extracted_on=extracted_on, on_error="raise")
    expected = pytest.raises(DataValidationError, load_dataset, dirty, on_error="raise", extracted_on=extracted_on)
    assert _report(caught.value.report) == _report(expected.value.report)


def test_missing_columns_and_tables_are_refused(spark, extract, tmp_path):
    from gridcrm.spark.data import read_tables, validate_spark

    folder, _ = extract
    tables = read_tables(spark, folder)
    with pytest.raises(SchemaError, match="table 'meter_daily' lacks required column"):
        validate_spark({**tables, "meter_daily": tables["meter_daily"].drop("kwh")}, on_error="quarantine")
    with pytest.raises(SchemaError, match=r"required table\(s\) \['meter_daily'\] missing"):
        read_tables(spark, {"customers": tables["customers"]})
    with pytest.raises(ValueError, match="on_error must be"):
        validate_spark(tables, on_error="skip")
