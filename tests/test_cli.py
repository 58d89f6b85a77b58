"""The command line: run, validate, and errors that read well."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gridcrm.cli import main
from gridcrm.data import validate_tables
from helpers import EXTRACTED_ON


@pytest.fixture
def extract(tmp_path, raw_tables) -> Path:
    raw_tables["meter_daily"].loc[0, "kwh"] = -3.0
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON, on_error="quarantine")
    folder = ds.save(tmp_path / "extract", format="csv")
    # put the bad row back in the file so that the run must set it aside
    (folder / "meter_daily.csv").write_text(
        (folder / "meter_daily.csv").read_text() + "1,2024-01-15T00:00:00,-3.0\n"
    )
    return folder


def test_run_prints_summary_and_writes_results(tmp_path, extract, capsys):
    cfg = tmp_path / "configs" / "run.yaml"
    cfg.parent.mkdir()
    cfg.write_text(f"name: t\ndata:\n  path: {extract}\noutput:\n  dir: {tmp_path / 'out'}\n")
    assert main(["run", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "meter_daily" in out and "rows_rejected" in out
    assert "meter_daily.kwh: below the minimum 0 — 1 row(s)" in out
    report = json.loads((tmp_path / "out" / "data_report.json").read_text())
    assert report["rows_rejected"]["meter_daily"] == 1
    assert report["rows_kept"]["meter_daily"] == 29
    assert (tmp_path / "out" / "data_summary.csv").is_file()
    assert (tmp_path / "out" / "config.yaml").read_text() == cfg.read_text()


def test_validate_raise_mode_fails_with_a_readable_error(extract, capsys):
    assert main(["validate", str(extract), "--on-error", "raise"]) == 2
    err = capsys.readouterr().err
    assert "gridcrm validate: error:" in err and "meter_daily.kwh" in err


def test_bad_config_exits_2_naming_the_key(tmp_path, capsys):
    cfg = tmp_path / "configs" / "bad.yaml"
    cfg.parent.mkdir()
    cfg.write_text("data:\n  path: x\n  colour: red\n")
    assert main(["run", "--config", str(cfg)]) == 2
    assert "unknown key(s) ['colour']" in capsys.readouterr().err


def test_console_script_help():
    exe = Path(sys.executable).with_name("gridcrm")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("run", "validate", "synth"):
        assert command in out
