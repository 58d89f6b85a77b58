"""Dataset: point-in-time truncation, save/load round trips, summaries."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gridcrm.data import Dataset, load_dataset, validate_tables
from gridcrm.data.schemas import TABLES
from helpers import EXTRACTED_ON


@pytest.fixture
def dataset(raw_tables) -> Dataset:
    return validate_tables(raw_tables, extracted_on=EXTRACTED_ON)


def test_truncate_removes_everything_known_on_or_after_as_of(dataset):
    cut = pd.Timestamp("2024-02-11")
    before = dataset.truncate(cut)
    assert before.extracted_on == cut
    for name, schema in TABLES.items():
        assert (before[name][schema.time_column] < cut).all(), name
    # customer 3 connected 2024-01-03 stays; customer 2 closed 2024-02-20: closure unknown on 2024-02-11
    assert list(before.customers["customer_id"]) == [1, 2, 3]
    assert before.customers["closed_on"].isna().all()
    # the bills issued 2024-02-03/04 are known, the ones issued 2024-03-01 are not; due dates kept as issued
    assert list(before.bills["bill_id"]) == [11, 21, 31]
    assert list(before.payments["payment_id"]) == [101]  # paid 2024-02-10; the others later
    assert list(before.contacts["contact_id"]) == [1, 2, 3]
    assert before.events.empty  # the disconnection notice is dated 2024-02-22
    assert dataset.truncate("2024-02-10").payments.empty  # on the boundary: not known
    # the original is unchanged
    assert len(dataset.bills) == 5 and dataset.customers["closed_on"].notna().sum() == 1


def test_truncate_drops_customers_connected_later_with_all_their_rows(dataset):
    before = dataset.truncate("2024-01-03")  # customer 3 connects that day
    assert list(before.customers["customer_id"]) == [1, 2]
    for name in ("meter_daily", "load_interval", "bills", "payments"):
        assert 3 not in set(before[name]["customer_id"]), name
    assert before.meter_daily.empty  # reads start 2024-01-05


def test_truncate_is_exact_at_the_boundary(dataset):
    before = dataset.truncate("2024-01-10")
    assert before.meter_daily["date"].max() == pd.Timestamp("2024-01-09")
    # 15-minute load from 2024-01-10 00:00 on is on the boundary day: not known
    assert before.load_interval.empty


def test_truncate_rejects_non_dates(dataset):
    with pytest.raises(ValueError, match="as_of must be a date such as .2024-01-01., got .soon."):
        dataset.truncate("soon")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_save_and_load_round_trip(dataset, tmp_path, fmt):
    folder = dataset.save(tmp_path / "extract", format=fmt)
    manifest = json.loads((folder / "dataset.json").read_text())
    assert manifest["extracted_on"] == EXTRACTED_ON
    assert manifest["rows"]["meter_daily"] == 30
    loaded = load_dataset(folder)
    assert loaded.report.ok and loaded.extracted_on == pd.Timestamp(EXTRACTED_ON)
    for name, frame in dataset.items():
        pd.testing.assert_frame_equal(loaded[name], frame, check_categorical=True, obj=name)


def test_load_reports_missing_folder_and_table(tmp_path, dataset):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_dataset(tmp_path / "nope")
    folder = dataset.save(tmp_path / "x")
    (folder / "meter_daily.parquet").unlink()
    with pytest.raises(Exception, match=r"required table 'meter_daily' not found.*meter_daily.parquet or meter_daily.csv"):
        load_dataset(folder)


def test_load_refuses_two_files_for_one_table(tmp_path, dataset):
    folder = dataset.save(tmp_path / "x")
    dataset.weather.to_csv(folder / "weather.csv", index=False)
    with pytest.raises(Exception, match="table 'weather' is in several files"):
        load_dataset(folder)


def test_optional_tables_may_be_absent(raw_tables):
    ds = validate_tables({k: raw_tables[k] for k in ("customers", "meter_daily")}, extracted_on=EXTRACTED_ON)
    assert ds.bills.empty and list(ds.bills.columns) == TABLES["bills"].column_names
    assert ds.summary().loc["bills", "rows"] == 0


def test_summary_counts_rows_customers_dates_and_rejections(raw_tables):
    raw_tables["meter_daily"].loc[0, "kwh"] = -1.0
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON, on_error="quarantine")
    s = ds.summary()
    assert s.loc["meter_daily", "rows"] == 29
    assert s.loc["meter_daily", "rows_rejected"] == 1
    assert s.loc["meter_daily", "customers"] == 3
    assert s.loc["meter_daily", "first"] == pd.Timestamp("2024-01-05")
    assert s.loc["meter_daily", "last"] == pd.Timestamp("2024-01-14")
    assert pd.isna(s.loc["weather", "customers"])


def test_constructor_rejects_unknown_or_missing_tables(dataset):
    with pytest.raises(KeyError, match="unknown table"):
        Dataset({"customers": dataset.customers, "meter_daily": dataset.meter_daily, "gas": dataset.weather})
    with pytest.raises(KeyError, match="needs the table"):
        Dataset({"customers": dataset.customers})


def test_truncate_blanks_what_happened_later_in_every_table(raw_tables):
    raw_tables["contacts"]["closed_at"] = ["2024-01-20 18:00:00", "2024-02-12 09:00:00", None]
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    before = ds.truncate("2024-02-10")
    # the complaint of 2024-02-05 is known, its closing on 2024-02-12 is not; the call closed earlier is
    assert before.contacts.set_index("contact_id")["closed_at"].isna().tolist() == [False, True, True]
    # the offer of 2024-01-15 is known, its acceptance on 2024-01-29 too; at 2024-01-20 only the offer
    offers = ds.truncate("2024-01-20")["offers"]
    assert offers["product"].tolist() == ["energy_audit"] and offers["accepted_on"].isna().all()
    assert ds.truncate("2024-02-10")["offers"]["accepted_on"].notna().tolist() == [True, False]
    assert ds.contacts["closed_at"].notna().sum() == 2  # the original is unchanged
