"""gridcrm installed outside the repository: shipped configs as package data, and a real wheel."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
from pathlib import Path

import pytest

from gridcrm.configs import NAMES, shipped
from gridcrm.credit import CreditScorer, CustomerValueScorer, load_scoring_config
from gridcrm.credit.synthetic import synthetic_indicators
from gridcrm.forecasting import load_forecast_config
from gridcrm.risk.config import load_risk_config
from gridcrm.risk.tuning import DEFAULT_SEARCH_SPACE
from gridcrm.segmentation.config import load_segmentation_config
from gridcrm.tags import load_tags

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


def _stray_files() -> set[str]:
    """Untracked and ignored files of the checkout a test could leave (not bytecode, not new source files).

    Tracked files and new modules under src/ or tests/ are left out: in a shared checkout other people
    edit them while the test runs.
    """
    out = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return {line for line in out.splitlines() if line[:2] in ("??", "!!") and "__pycache__" not in line
            and not line[3:].startswith(("src/gridcrm/", "tests/"))}


def test_every_config_file_is_shipped_and_is_the_project_file():
    assert sorted(NAMES) == sorted(p.name for p in CONFIGS.glob("*.yaml")), "a YAML file in configs/ is not shipped"
    for name in NAMES:
        assert shipped(name).read_bytes() == (CONFIGS / name).read_bytes(), name
    with pytest.raises(FileNotFoundError, match=r"'tags.yml' is not a shipped gridcrm config; expected one of"):
        shipped("tags.yml")


def test_loaders_default_to_the_shipped_configs_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # far from the repository: no configs/ here
    assert load_tags().tags == load_tags(CONFIGS / "tags.yaml").tags
    assert load_scoring_config().weights.equals(load_scoring_config(CONFIGS / "credit_ahp.yaml").weights)
    assert load_segmentation_config() == load_segmentation_config(CONFIGS / "segmentation.yaml")
    assert load_forecast_config() == load_forecast_config(CONFIGS / "forecast.yaml")
    risk = load_risk_config()
    assert risk == load_risk_config(CONFIGS / "risk.yaml") and risk.classifier == {"n_jobs": 1}
    # the shipped file shows every built-in default: only its one-thread override differs
    assert risk.tuning.search_space == DEFAULT_SEARCH_SPACE
    builtin = dataclasses.replace(risk, classifier={}, source=None,
                                  tuning=dataclasses.replace(risk.tuning, search_space=None))
    assert builtin == load_risk_config({})
    X = synthetic_indicators(300, seed=3)
    credit = CreditScorer().fit(X)
    assert credit.config_.source == "credit_ahp.yaml"
    assert credit.transform(X).equals(CreditScorer(str(CONFIGS / "credit_ahp.yaml")).fit(X).transform(X))
    value = CustomerValueScorer().fit(X)
    assert value.config_.source == "value_ahp.yaml" and len(value.dimensions_) == 6
    assert value.transform(X).equals(CustomerValueScorer(str(CONFIGS / "value_ahp.yaml")).fit(X).transform(X))
    assert list(tmp_path.iterdir()) == []  # and nothing written here


def test_pyproject_ships_every_subpackage_and_the_configs():
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.relative_to(ROOT / "src").parent.parts) for p in (ROOT / "src").rglob("__init__.py")}
    assert set(setup["packages"]) == found | {"gridcrm.configs"}, (
        "pyproject.toml [tool.setuptools] packages must list every package under src/ (and gridcrm.configs)"
    )
    assert setup["package-dir"] == {"": "src", "gridcrm.configs": "configs"}
    assert setup["package-data"]["gridcrm.configs"] == ["*.yaml"]


# The wheel is built from a copy of the sources (setuptools writes build/ and *.egg-info beside them),
# installed into a fresh venv that sees the project venv's dependencies through a .pth file (gridcrm
# itself is installed first, into an empty venv, so it can only come from the wheel), then used from
# an empty directory with HOME moved into the temporary folder.
_WHEEL_SCRIPT = textwrap.dedent(
    """
    import pathlib, sys
    import gridcrm, gridcrm.configs
    from gridcrm.data.synth import generate_dataset
    print("GRIDCRM", gridcrm.__file__)
    print("CONFIGS", gridcrm.configs.shipped("tags.yaml"))
    generate_dataset(n_customers=120, start="2023-06-01", end="2024-12-31", seed=3).dataset.save("data/sample")
    ns = {}
    exec(compile(pathlib.Path(sys.argv[1]).read_text(), "README block 1", "exec"), ns)
    from gridcrm.credit import CreditScorer
    from gridcrm.features import build_features
    from gridcrm.tags import load_tags
    features = build_features(ns["ds"], as_of="2024-10-01")
    tags = load_tags().evaluate(features)
    scores = CreditScorer().fit(features).transform(features)
    print("ROWS", len(features), tags.wide.shape[1], scores["score"].notna().sum())
    """
)


def _readme_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), flags=re.S | re.M)


@pytest.mark.slow
def test_wheel_installs_and_runs_the_notebook_example_outside_the_repository(tmp_path):
    before = _stray_files()
    src = tmp_path / "src-copy"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(ROOT / "src", src / "src", ignore=ignore)
    shutil.copytree(CONFIGS, src / "configs", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", dist, src],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = dist.glob("gridcrm-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", python, "install", "--no-deps", "--no-index", "-q", wheel],
                   check=True, capture_output=True, cwd=tmp_path)
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_gridcrm_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")

    work = tmp_path / "work"
    (tmp_path / "home").mkdir()
    work.mkdir()
    block = tmp_path / "block1.py"
    block.write_text(_readme_blocks()[0])
    script = tmp_path / "run.py"
    script.write_text(_WHEEL_SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MLFLOW_", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp_path / "home"), PYTHONNOUSERSITE="1", MPLBACKEND="Agg",
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    out = subprocess.run([python, script, block], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if line.split(" ", 1)[0].isupper())
    assert Path(lines["GRIDCRM"]).is_relative_to(site), lines["GRIDCRM"]  # from the wheel, not src/
    assert Path(lines["CONFIGS"]) == site / "gridcrm" / "configs" / "tags.yaml"
    n_rows, n_tags, n_scored = map(int, lines["ROWS"].split())
    assert n_rows > 50 and n_tags > 50 and n_scored == n_rows
    cli = subprocess.run([venv / "bin" / "gridcrm", "validate", "data/sample"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert sorted(p.name for p in work.iterdir()) == ["data"]
    assert sorted(p.name for p in (work / "data").iterdir()) == ["big", "sample"]
    assert _stray_files() == before, "the wheel test wrote into the checkout"
