"""Dates: year-first layouts read as they are; day/month layouts need a date_format; zones are an error."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from gridcrm.data import DataValidationError, SchemaError, load_dataset, validate_tables
from gridcrm.errors import InputError
from helpers import EXTRACTED_ON, make_raw_tables


def _balanced(report):
    for t in report.rows_in:
        assert report.rows_kept[t] + report.rows_rejected[t] == report.rows_in[t], t


@pytest.mark.parametrize(
    "layout", ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d 00:00:00", "%Y-%m-%dT00:00", "%Y-%m-%d 00:00:00.000"]
)
def test_year_first_layouts_are_read_without_a_format(tmp_path, layout):
    t = make_raw_tables()
    t["bills"]["issued_on"] = pd.to_datetime(t["bills"]["issued_on"]).dt.strftime(layout)
    ds = validate_tables(t, extracted_on=EXTRACTED_ON)
    assert ds.report.ok
    assert ds.bills["issued_on"].tolist()[0] == pd.Timestamp("2024-02-03")


@pytest.mark.parametrize("values", [["05/03/2024"], ["25/03/2024"], ["5.3.2024"], ["03-05-24"]])
def test_day_month_layouts_are_an_error_asking_for_a_format_never_a_guess(tmp_path, values):
    t = make_raw_tables()
    t["customers"].loc[1, "connected_on"] = values[0]  # even a day > 12, where a guess would be "safe"
    for mode in ("raise", "quarantine"):
        with pytest.raises(SchemaError) as info:
            validate_tables(t, extracted_on=EXTRACTED_ON, on_error=mode)
        msg = str(info.value)
        assert f"customers.connected_on has dates with day and month in either order (e.g. row 1: '{values[0]}')" in msg
        assert "date_format={'customers': '%d/%m/%Y'}" in msg


def test_date_format_reads_exactly_that_layout_and_counts_the_rest(tmp_path):
    t = make_raw_tables()
    t["customers"]["connected_on"] = ["05/03/2015", "15/07/2019", "2024-01-03"]
    t["customers"]["closed_on"] = [None, "20/02/2024", None]
    folder = tmp_path / "x"
    folder.mkdir()
    for name, frame in t.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    with pytest.raises(DataValidationError, match=r"customers\.connected_on: does not match date_format '%d/%m/%Y' — 1 row"):
        load_dataset(folder, extracted_on=EXTRACTED_ON, date_format={"customers": "%d/%m/%Y"})
    ds = load_dataset(folder, extracted_on=EXTRACTED_ON, date_format={"customers": "%d/%m/%Y"}, on_error="quarantine")
    assert ds.customers["connected_on"].tolist() == [pd.Timestamp("2015-03-05"), pd.Timestamp("2019-07-15")]
    assert ds.customers["closed_on"].tolist()[1] == pd.Timestamp("2024-02-20")
    assert ds.report.rows_rejected["customers"] == 1
    _balanced(ds.report)
    # per column, and one layout for every table
    t["meter_daily"]["date"] = pd.to_datetime(t["meter_daily"]["date"]).dt.strftime("%m/%d/%Y")
    ds = validate_tables(t, extracted_on=EXTRACTED_ON, on_error="quarantine",
                         date_format={"customers": "%d/%m/%Y", "meter_daily.date": "%m/%d/%Y"})
    assert ds.meter_daily["date"].min() == pd.Timestamp("2024-01-05")


def test_bad_date_format_arguments_name_the_key():
    t = make_raw_tables()
    with pytest.raises(InputError, match="date_format key 'bils' is not a table or date column"):
        validate_tables(t, extracted_on=EXTRACTED_ON, date_format={"bils": "%d/%m/%Y"})
    with pytest.raises(InputError, match=r"date_format\['bills'\] must be a strftime layout"):
        validate_tables(t, extracted_on=EXTRACTED_ON, date_format={"bills": "dd/mm/yyyy"})


@pytest.mark.parametrize("value", ["2024-01-20T09:15:00Z", "2024-01-20 09:15:00+08:00", "2024-01-20 09:15 +0800"])
def test_time_zones_in_text_are_an_error(value):
    t = make_raw_tables()
    t["contacts"].loc[0, "at"] = value
    expected = f"contacts.at has time zones (e.g. row 0: '{value}'); gridcrm holds naive local time"
    with pytest.raises(SchemaError, match=re.escape(expected)):
        validate_tables(t, extracted_on=EXTRACTED_ON, on_error="quarantine")


def test_time_zones_in_a_datetime_column_are_an_error_not_dropped(tmp_path):
    t = make_raw_tables()
    t["contacts"]["at"] = pd.to_datetime(t["contacts"]["at"]).dt.tz_localize("UTC")
    with pytest.raises(SchemaError, match=r"contacts\.at holds time zone UTC .*tz_localize\(None\)"):
        validate_tables(t, extracted_on=EXTRACTED_ON)
    mixed = t["contacts"]["at"].astype(object)
    mixed[1] = mixed[1].tz_convert("Asia/Shanghai")
    t["contacts"]["at"] = mixed
    with pytest.raises(SchemaError, match=r"contacts\.at has time zones"):
        validate_tables(t, extracted_on=EXTRACTED_ON)


def test_far_future_placeholders_are_counted_not_a_crash(tmp_path):
    t = make_raw_tables()
    t["customers"].loc[0, "closed_on"] = "9999-12-31"
    ds = validate_tables(t, extracted_on=EXTRACTED_ON, on_error="quarantine")
    rules = {(r.table, r.column): r.rule for r in ds.report.rejections}
    assert rules[("customers", "closed_on")] == "date after 2262-04-11 (a placeholder?)"
    assert ds.report.rows_rejected["customers"] == 1
