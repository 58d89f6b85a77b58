"""Every ```python block of README.md runs as written, in order, from the project root after `make demo`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# One namespace for all blocks, as in a notebook; each block reported by number.
_RUNNER = textwrap.dedent(
    """
    import re, sys, traceback
    from pathlib import Path
    text = Path(sys.argv[1]).read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\\n(.*?)^```", text, flags=re.S | re.M)
    ns = {"__name__": "__main__"}
    for i, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"README.md python block {i}", "exec"), ns)
        except BaseException:
            traceback.print_exc()
            sys.exit(f"README.md python block {i} failed")
        print(f"block {i} ran", flush=True)
    """
)


def _python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.S | re.M)


def _stray_files() -> set[str]:
    """Untracked and ignored entries of the checkout (but bytecode and others' new modules under src/, tests/)."""
    out = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return {line for line in out.splitlines() if line[:2] in ("??", "!!") and "__pycache__" not in line
            and not line[3:].startswith(("src/gridcrm/", "tests/"))}


def test_readme_blocks_are_found():
    blocks = _python_blocks()
    assert len(blocks) >= 7 and all(b.strip() for b in blocks)
    assert "my_frame" not in README.read_text(encoding="utf-8")


@pytest.mark.slow
def test_every_python_block_runs_in_order_after_the_demo(tmp_path):
    before = _stray_files()
    data_before = subprocess.run(["git", "status", "--porcelain", "--", "data"], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout
    project = tmp_path / "project"  # a project root: the sample (read only) and a copy of the configs
    (project / "data").mkdir(parents=True)
    (project / "data" / "sample").symlink_to(ROOT / "data" / "sample", target_is_directory=True)
    shutil.copytree(ROOT / "configs", project / "configs", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(MPLBACKEND="Agg", HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()

    gridcrm = Path(sys.executable).with_name("gridcrm")
    cli = [str(gridcrm)] if gridcrm.exists() else [sys.executable, "-c", "import sys; from gridcrm.cli import main; "
                                                                         "sys.exit(main())"]
    demo = subprocess.run([*cli, "run", "--config", "configs/demo.yaml"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert (project / "out" / "demo" / "mlruns.db").is_file()

    runner = tmp_path / "run_readme.py"
    runner.write_text(_RUNNER)
    out = subprocess.run([sys.executable, runner, README], cwd=project, env=env, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-4000:]
    assert out.stdout.count(" ran\n") == len(_python_blocks())
    # the blocks wrote where they say, and nothing else appeared
    assert (project / "data" / "big" / "dataset.json").is_file()
    assert (project / "by_region.png").is_file()
    assert sorted(p.name for p in project.iterdir()) == ["by_region.png", "configs", "data", "out"]
    assert sorted(p.name for p in (project / "data").iterdir()) == ["big", "sample"]
    assert _stray_files() == before, "running the README wrote into the checkout"
    assert subprocess.run(["git", "status", "--porcelain", "--", "data"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout == data_before
