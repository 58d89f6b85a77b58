"""Run the main job with both engines and compare every output file (``--engine pandas`` vs ``--engine spark``).

    python experiments/compare_engines.py                         # configs/demo.yaml on data/sample
    python experiments/compare_engines.py --config my.yaml --atol 1e-9 --keep /tmp/engines

Each engine writes into its own temporary folder (tracking off: the comparison is of the job's
outputs, not of the registry). Every Parquet and CSV file is read with pandas and compared with
``assert_frame_equal`` (rows sorted by their key columns where a file has them, numbers to
``--atol``); other files are compared by name only. Prints one line per file and the wall time of
each engine; exits 1 if a file differs or exists on one side only.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
#: Columns that identify a row, in the order rows are sorted before comparing.
KEYS = ("unique_id", "customer_id", "ds", "date", "tag", "level", "forecasts", "month")


def _absolute(value: object) -> object:
    """Relative paths of the config (``data/sample``, ``configs/x.yaml``) made absolute from the project root:
    the copy is written in a temporary folder."""
    if isinstance(value, dict):
        return {k: _absolute(v) for k, v in value.items()}
    if isinstance(value, str) and not Path(value).is_absolute() and (ROOT / value).exists():
        return str(ROOT / value)
    return value


def _run(config: Path, engine: str, out: Path) -> float:
    cfg = _absolute(yaml.safe_load(config.read_text()))
    cfg["output"] = {"dir": str(out)}
    cfg["tracking"] = {"enabled": False}
    path = out.parent / f"{engine}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gridcrm.cli", "run", "--config", str(path), "--engine", engine],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"gridcrm run --engine {engine} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path) if path.name.endswith(".parquet") else pd.read_csv(path)
    frame = frame.reset_index() if frame.index.name is not None or isinstance(frame.index, pd.MultiIndex) else frame
    keys = [k for k in KEYS if k in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True) if keys else frame


def compare(a: Path, b: Path, atol: float) -> list[tuple[str, str]]:
    """``(file, verdict)`` for every file in either folder: ``equal``, ``only in <side>`` or the difference."""
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    rows = []
    for name in names:
        pa, pb = a / name, b / name
        if not pa.exists() or not pb.exists():
            rows.append((name, f"only in {'pandas' if pa.exists() else 'spark'}"))
            continue
        if not name.endswith((".parquet", ".csv")):
            rows.append((name, "present in both (not compared)"))
            continue
        try:
            fa, fb = _read(pa), _read(pb)
            pd.testing.assert_frame_equal(fb, fa, check_exact=False, rtol=0, atol=atol)
            rows.append((name, f"equal ({len(fa):,} rows × {fa.shape[1]} columns)"))
        except AssertionError as exc:
            rows.append((name, "DIFFERENT: " + " ".join(str(exc).split())[:300]))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "demo.yaml")
    ap.add_argument("--atol", type=float, default=1e-9)
    ap.add_argument("--keep", type=Path, help="write both output folders here instead of a temporary folder")
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="gridcrm-engines-")) if args.keep is None else args.keep
    root.mkdir(parents=True, exist_ok=True)
    try:
        seconds = {e: _run(args.config.resolve(), e, root / e) for e in ("pandas", "spark")}
        rows = compare(root / "pandas", root / "spark", args.atol)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"python experiments/compare_engines.py --config {args.config} --atol {args.atol:g}")
    print(f"wall: pandas {seconds['pandas']:.1f} s, spark {seconds['spark']:.1f} s")
    for name, verdict in rows:
        print(f"  {name:42s} {verdict}")
    bad = [n for n, v in rows if v.startswith(("DIFFERENT", "only"))]
    print(f"{len(rows) - len(bad)} of {len(rows)} files equal or present in both; {len(bad)} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
