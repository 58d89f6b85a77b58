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
    manifest = json.loads((folder / "dataset.json").read_text())
    manifest["rows"]["meter_daily"] += 1  # the file holds one row more: say so, or it reads as a broken copy
    (folder / "dataset.json").write_text(json.dumps(manifest))
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


def _one_error_line(err: str, command: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err  # one readable line, no traceback
    assert lines[0].startswith(f"gridcrm {command}: error: "), err
    assert "Traceback" not in err
    return lines[0]


def _config(tmp_path: Path, text: str) -> Path:
    cfg = tmp_path / "configs" / "run.yaml"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text(text)
    return cfg


def test_output_folder_that_is_a_file_is_one_line_before_any_work(tmp_path, extract, capsys):
    (tmp_path / "taken").write_text("a file")
    cfg = _config(tmp_path, f"data:\n  path: {extract}\noutput:\n  dir: {tmp_path / 'taken' / 'out'}\n")
    assert main(["run", "--config", str(cfg)]) == 2
    line = _one_error_line(capsys.readouterr().err, "run")
    assert f"{tmp_path / 'taken'} is a file, not a folder" in line


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root can write into a read-only folder")
def test_output_folder_not_writable_is_one_line(tmp_path, extract, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert main(["synth", "--customers", "5", "--out", str(locked)]) == 2
    assert "is not writable" in _one_error_line(capsys.readouterr().err, "synth")


def test_garbage_as_of_in_a_config_names_the_key(tmp_path, extract, capsys):
    cfg = _config(tmp_path, f"as_of: next tuesday\ndata:\n  path: {extract}\n")
    assert main(["run", "--config", str(cfg)]) == 2
    line = _one_error_line(capsys.readouterr().err, "run")
    assert "as_of must be a date such as '2024-01-01', got 'next tuesday'" in line and str(cfg) in line


def test_garbage_extracted_on_and_zero_customers_are_usage_errors(extract, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(extract), "--extracted-on", "garbage"])
    assert exit_info.value.code == 2
    assert "--extracted-on: expected a date such as 2024-10-01, got 'garbage'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["synth", "--customers", "0", "--out", str(tmp_path / "s")])
    assert exit_info.value.code == 2
    assert "--customers: expected a whole number >= 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_library_errors_are_one_line_and_debug_shows_the_traceback(tmp_path, extract, capsys):
    tags = tmp_path / "configs" / "tags.yaml"
    tags.parent.mkdir()
    tags.write_text("version: 1\ncategories: {basic: Basic}\ntags:\n  - {id: big, label: Big, category: basic, "
                    "rule: {feature: no_such_feature, op: '>', value: 1}}\n")
    cfg = _config(tmp_path, f"data:\n  path: {extract}\noutput:\n  dir: {tmp_path / 'out'}\n"
                            f"tags:\n  config: {tags}\n")
    assert main(["run", "--config", str(cfg)]) == 2
    line = _one_error_line(capsys.readouterr().err, "run")
    assert "no_such_feature" in line
    from gridcrm.errors import GridcrmError

    with pytest.raises(GridcrmError):
        main(["--debug", "run", "--config", str(cfg)])


def test_missing_dataset_folder_is_one_line(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert str(tmp_path / "nowhere") in _one_error_line(capsys.readouterr().err, "validate")


def test_help_imports_no_heavy_library():
    """`gridcrm --help` and argument errors answer fast: the CLI module imports no pandas, sklearn or mlflow."""
    code = ("import sys, gridcrm.cli, gridcrm; "
            "heavy = [m for m in ('pandas', 'numpy', 'sklearn', 'lightgbm', 'mlflow', 'optuna', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_day_first_dates_need_a_layout_and_a_config_can_give_it(tmp_path, extract, capsys):
    customers = (extract / "customers.csv").read_text().splitlines()
    header = customers[0].split(",")
    col = header.index("connected_on")

    def day_first(line: str) -> str:
        cells = line.split(",")
        y, m, d = cells[col][:10].split("-")
        cells[col] = f"{d}/{m}/{y}"
        return ",".join(cells)

    (extract / "customers.csv").write_text("\n".join([customers[0], *map(day_first, customers[1:])]) + "\n")
    assert main(["validate", str(extract)]) == 2
    assert "date_format" in _one_error_line(capsys.readouterr().err, "validate")
    capsys.readouterr()
    assert main(["validate", str(extract), "--date-format", "customers=%d/%m/%Y"]) == 0
    out = capsys.readouterr().out
    assert "customers.connected_on" not in out and "meter_daily.kwh: below the minimum 0 — 1 row(s)" in out
    cfg = _config(tmp_path, f"data:\n  path: {extract}\n  date_format:\n    customers: '%d/%m/%Y'\n"
                            f"output:\n  dir: {tmp_path / 'out'}\n")
    assert main(["run", "--config", str(cfg)]) == 0
