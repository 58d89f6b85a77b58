"""Run configuration: every key validated at load, errors name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridcrm.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "configs"
    d.mkdir(exist_ok=True)
    f = d / "run.yaml"
    f.write_text(text)
    return f


def test_demo_config_loads_and_resolves_paths_from_project_root():
    cfg = load_config(ROOT / "configs" / "demo.yaml")
    assert cfg.name == "demo"
    assert cfg.data.path == ROOT / "data" / "sample"
    assert cfg.data.on_error == "quarantine"
    assert cfg.output.dir == ROOT / "out" / "demo"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("data:\n  path: x\n  on_eror: raise\n", r"data: unknown key\(s\) \['on_eror'\]"),
        ("data:\n  path: x\n  on_error: ignore\n", r"data.on_error: expected one of \['raise', 'quarantine'\], got 'ignore'"),
        ("name: demo\n", "data: required key missing"),
        ("data:\n  on_error: raise\n", "data.path: required key missing"),
        ("data:\n  path: 3\n", r"data.path: expected a path \(string\), got 3"),
        ("data: [1, 2]\n", "data: expected a mapping"),
        ("data:\n  path: x\noutput:\n  dir: out\n  format: csv\n", r"output: unknown key\(s\) \['format'\]"),
        ("data:\n  path: x\n  extracted_on: 2024-03-01\n", None),
        ("data: {path: x\n", "not valid YAML"),
    ],
)
def test_bad_configs_name_the_key(tmp_path, text, message):
    f = _write(tmp_path, text)
    if message is None:
        assert load_config(f).data.extracted_on == "2024-03-01"
        return
    with pytest.raises(ConfigError, match=message):
        load_config(f)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "none.yaml")
