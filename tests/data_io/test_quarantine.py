"""Quarantine never crashes, and every row read is either kept or counted as set aside."""

from __future__ import annotations

import pytest

from gridcrm.data import load_dataset, validate_tables
from gridcrm.data.schemas import TABLES
from helpers import EXTRACTED_ON, make_raw_tables


def _balanced(report):
    assert set(report.rows_in) == set(report.rows_kept)
    for t in report.rows_in:
        assert report.rows_kept[t] + report.rows_rejected[t] == report.rows_in[t], t


def _empty_with_schema_dtypes(ds, name):
    frame = ds[name]
    assert frame.empty
    assert list(frame.columns) == TABLES[name].column_names
    assert {c: str(t) for c, t in frame.dtypes.items()} == TABLES[name].dtypes, name


def test_every_customer_set_aside_takes_everything_along(tmp_path):
    t = make_raw_tables()
    t["customers"]["customer_class"] = "household"  # not an allowed class: every customer goes
    ds = validate_tables(t, extracted_on=EXTRACTED_ON, on_error="quarantine")
    r = ds.report
    assert r.rows_rejected["customers"] == 3
    for name in ("customers", "meter_daily", "load_interval", "bills", "payments", "contacts", "events"):
        _empty_with_schema_dtypes(ds, name)
        assert r.rows_rejected[name] == len(t[name]), name
    assert len(ds.weather) == 20  # weather has no customer
    _balanced(r)
    # and the same through files
    folder = ds.save(tmp_path / "empty")
    again = load_dataset(folder)
    assert again.report.ok and again.customers.empty


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [("bills", "kwh", -1.0), ("meter_daily", "kwh", -1.0), ("payments", "amount", 0.0), ("contacts", "kind", "fax")],
)
def test_every_row_of_a_child_table_set_aside(table, column, value):
    t = make_raw_tables()
    t[table][column] = value
    ds = validate_tables(t, extracted_on=EXTRACTED_ON, on_error="quarantine")
    _empty_with_schema_dtypes(ds, table)
    assert ds.report.rows_rejected[table] == len(t[table])
    assert len(ds.customers) == 3
    if table == "bills":  # payments of bills set aside are set aside in turn, and counted
        _empty_with_schema_dtypes(ds, "payments")
        assert ds.report.rows_rejected["payments"] == 4
    _balanced(ds.report)
