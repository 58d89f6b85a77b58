"""Broken files and folders: one readable error naming the file, in both on_error modes."""

from __future__ import annotations

import gzip
import json
import re

import pandas as pd
import pytest

from gridcrm.data import DataFileError, DataValidationError, SchemaError, load_dataset, validate_tables
from gridcrm.errors import GridcrmError, InputError
from helpers import EXTRACTED_ON, make_raw_tables


@pytest.fixture
def csv_folder(tmp_path):
    ds = validate_tables(make_raw_tables(), extracted_on=EXTRACTED_ON)
    return ds.save(tmp_path / "csv", format="csv")


@pytest.fixture
def parquet_folder(tmp_path):
    ds = validate_tables(make_raw_tables(), extracted_on=EXTRACTED_ON)
    return ds.save(tmp_path / "pq", format="parquet")


def _raises(folder, match, **kwargs):
    for mode in ("raise", "quarantine"):
        with pytest.raises(DataFileError, match=match) as info:
            load_dataset(folder, on_error=mode, **kwargs)
        assert isinstance(info.value, SchemaError | DataValidationError | GridcrmError)
    return str(info.value)


# --- truncated files -------------------------------------------------------------------------------
def test_csv_cut_mid_row_is_an_error_naming_table_and_line(csv_folder):
    (csv_folder / "dataset.json").unlink()  # no manifest to compare with: the last row alone tells
    path = csv_folder / "meter_daily.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b",")])  # "3,2024-01-14" of "3,2024-01-14,30009.0\n"
    expected = f"{path} looks cut short: its last row (line 31) has 2 of the header's 3 fields and no line break"
    msg = _raises(csv_folder, re.escape(expected))
    assert "copy or export the file again" in msg


def test_short_last_row_with_a_line_break_is_an_error_too(csv_folder):
    path = csv_folder / "weather.csv"
    path.write_text(path.read_text() + "east\n")
    _raises(csv_folder, r"weather\.csv looks cut short: its last row \(line 22\) has 1 of the header's 3 fields;")


def test_row_counts_differ_from_the_manifest(csv_folder):
    path = csv_folder / "meter_daily.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:16]))  # cut on a line break: only the manifest can tell
    _raises(csv_folder, r"table 'meter_daily': .*meter_daily\.csv has 15 rows but dataset\.json says 30")


def test_optional_table_in_manifest_but_missing_file(parquet_folder):
    (parquet_folder / "payments.parquet").unlink()
    _raises(parquet_folder, r"table 'payments': dataset\.json in .* says 4 rows but no payments\.parquet")


def test_quoted_newlines_in_the_last_row_are_not_a_short_row(tmp_path):
    t = make_raw_tables()
    t["contacts"].loc[2, "text"] = 'line one\nline "two", and three'
    folder = tmp_path / "x"
    folder.mkdir()
    for name, frame in t.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    path = folder / "contacts.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # and no final line break: still complete
    ds = load_dataset(folder, extracted_on=EXTRACTED_ON)
    assert ds.contacts["text"].tolist()[2] == 'line one\nline "two", and three'


def test_a_manifest_with_only_extracted_on_rows_and_format_stays_valid(tmp_path):
    t = make_raw_tables()
    folder = tmp_path / "x"
    folder.mkdir()
    for name in ("customers", "meter_daily"):
        t[name].to_csv(folder / f"{name}.csv", index=False)
    manifest = {"extracted_on": EXTRACTED_ON, "rows": {"customers": 3, "meter_daily": 30, "smart_plugs": 7},
                "format": "csv", "new_key": [1]}
    (folder / "dataset.json").write_text(json.dumps(manifest))
    ds = load_dataset(folder)
    assert ds.report.ok and len(ds.meter_daily) == 30 and ds.extracted_on == pd.Timestamp(EXTRACTED_ON)


# --- broken files -----------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [b"customer_id,date,kwh\n1,2024-01-05,6.0\n", b"PAR1\x00\x01\x02garbage"])
def test_corrupt_parquet(parquet_folder, content):
    path = parquet_folder / "meter_daily.parquet"
    path.write_bytes(content)
    _raises(parquet_folder, re.escape(str(path)) + r" is not a readable Parquet file \(.+\); copy or export it again")


def test_truncated_parquet(parquet_folder):
    path = parquet_folder / "customers.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _raises(parquet_folder, r"customers\.parquet is not a readable Parquet file")


def test_empty_csv(csv_folder):
    (csv_folder / "bills.csv").write_bytes(b"")
    msg = _raises(csv_folder, r"bills\.csv is empty: expected a header row with columns \['bill_id', 'customer_id'")
    assert "'amount']" in msg


def test_truncated_gzip_csv(csv_folder):
    path = csv_folder / "meter_daily.csv"
    packed = gzip.compress(path.read_bytes())
    path.unlink()
    (csv_folder / "meter_daily.csv.gz").write_bytes(packed[: len(packed) // 2])
    _raises(csv_folder, r"meter_daily\.csv\.gz cannot be read \(.+\); copy or export it again")


def test_too_many_fields_in_a_row(csv_folder):
    path = csv_folder / "weather.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n") + ",extra\n"
    path.write_text("".join(lines))
    _raises(csv_folder, r"weather\.csv: 1 row\(s\) have another number of fields than the header's 3, e\.g\. "
                        r"record 4 \(the header is 1\) has 4: 'east,2024-01-07T00:00:00,3\.2,extra'; fix the rows")


def test_a_short_row_in_the_middle_is_an_error_not_blanks(csv_folder):
    """pandas would fill the missing fields with blanks; a nullable column would hide the damage."""
    path = csv_folder / "customers.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = ",".join(lines[2].split(",")[:9]) + "\n"  # customer 2 loses closed_on and preferred_channel
    path.write_text("".join(lines))
    _raises(csv_folder, r"customers\.csv: 1 row\(s\) have another number of fields than the header's 13, "
                        r"e\.g\. record 3 \(the header is 1\) has 9: '2,commercial")


def test_gb18030_csv_needs_its_encoding(tmp_path):
    t = make_raw_tables()
    t["customers"]["region"] = ["华东", "华东", "西部"]
    t["weather"]["region"] = ["华东"] * 10 + ["西部"] * 10
    folder = tmp_path / "x"
    folder.mkdir()
    for name, frame in t.items():
        frame.to_csv(folder / f"{name}.csv", index=False, encoding="gb18030")
    header = len("customer_id,customer_class,industry_code,region,supply_station,tariff,contracted_kva,voltage_kv,"
                 "connected_on,closed_on,preferred_channel\n1,residential,,")
    msg = _raises(folder, r"customers\.csv is not valid utf-8 text \(byte 0xbb at position "
                  + f"{header}, line 2\\); pass encoding='gb18030' \\(or the file's encoding\\) to load_dataset")
    assert "\n" not in msg
    ds = load_dataset(folder, extracted_on=EXTRACTED_ON, encoding="gb18030")
    assert ds.customers["region"].tolist() == ["华东", "华东", "西部"]
    assert ds.report.ok
    with pytest.raises(InputError, match="encoding 'klingon' is not a text encoding"):
        load_dataset(folder, encoding="klingon")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", r"dataset\.json is not valid JSON \(.+ at line 1, column 2\); fix it or delete it"),
        ("[1, 2]", r"dataset\.json must hold a JSON object .*, got a list"),
        ('{"rows": [3, 30]}', r"dataset\.json: 'rows' must map table names to row counts, got \[3, 30\]"),
        ('{"rows": {"customers": -3}}', r"dataset\.json: 'rows\.customers' must be a row count .*got -3"),
        ('{"rows": {"customers": "3"}}', r"dataset\.json: 'rows\.customers' must be a row count .*got '3'"),
        ('{"rows": {"customers": true}}', r"'rows\.customers' must be a row count .*got True"),
        ('{"extracted_on": "last tuesday"}',
         r"dataset\.json: 'extracted_on' must be a date such as '2024-10-01', got 'last tuesday'"),
        ('{"extracted_on": 20240301}', r"'extracted_on' must be a date such as '2024-10-01', got 20240301"),
    ],
)
def test_malformed_manifest_names_the_key(csv_folder, text, match):
    (csv_folder / "dataset.json").write_text(text)
    _raises(csv_folder, match)
